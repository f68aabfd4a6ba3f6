/*
 * api_body.c - request bodies: strict JSON (the whole body, one object,
 * nesting bounded) and the fields of a run request (see api_body.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "api_body.h"
#include "error.h"
#include "model.h"

#define BODY_MAX_DEPTH 64

int
inn_body_parse(const char *data, size_t len, json_object **out, const char **code,
               char *msg, size_t msglen)
{
	json_tokener *tok;
	json_object *o;

	*out = NULL;
	if (len == 0) {
		*out = json_object_new_object();
		return 0;
	}
	if (len > (size_t)0x7fffffff) {
		*code = "invalid_json";
		snprintf(msg, msglen, "the body is too large to parse");
		return 400;
	}
	tok = json_tokener_new_ex(BODY_MAX_DEPTH);
	o = json_tokener_parse_ex(tok, data, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != len) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		*code = "invalid_json";
		snprintf(msg, msglen, "the body is not valid JSON (%s at byte %zu)",
		         e == json_tokener_success ? "trailing data after the object"
		                                   : json_tokener_error_desc(e),
		         json_tokener_get_parse_end(tok));
		json_object_put(o);
		json_tokener_free(tok);
		return 400;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		*code = "invalid_body";
		snprintf(msg, msglen, "the body must be a JSON object");
		json_object_put(o);
		return 400;
	}
	*out = o;
	return 0;
}

int
inn_body_run_fields(json_object *body, json_object **params, json_object **spec,
                    int *dry_run, const char **code, char *msg, size_t msglen)
{
	json_object *v;

	*params = NULL;
	*spec = NULL;
	*dry_run = 0;
	*code = "invalid_request";
	if (json_object_object_get_ex(body, "parameters", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_object)) {
			snprintf(msg, msglen, "\"parameters\" must be an object");
			return 400;
		}
		*params = v;
	}
	if (json_object_object_get_ex(body, "dry_run", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_boolean)) {
			snprintf(msg, msglen, "\"dry_run\" must be true or false");
			return 400;
		}
		*dry_run = json_object_get_boolean(v);
	}
	if (!json_object_object_get_ex(body, "spec", &v) || v == NULL)
		return 0;
	*code = "invalid_spec";
	if (json_object_is_type(v, json_type_string)) {
		/* a YAML (or JSON) document as text */
		inn_score *sc = NULL;
		inn_diag d;
		int rc = 0;

		inn_diag_init(&d);
		if (inn_score_load_string(&sc, "spec", json_object_get_string(v),
		                          (size_t)json_object_get_string_len(v), &d) != 0 ||
		    d.nerrors > 0 || sc == NULL) {
			if (d.n > 0)
				inn_diag_format(&d, 0, msg, msglen);
			else
				snprintf(msg, msglen, "%s", inn_error_last());
			rc = 400;
		} else {
			*spec = json_object_get(sc->json);
		}
		inn_score_free(sc);
		inn_diag_free(&d);
		return rc;
	}
	if (json_object_is_type(v, json_type_object)) {
		*spec = json_object_get(v);
		return 0;
	}
	snprintf(msg, msglen, "\"spec\" must be an object or a YAML string");
	return 400;
}
