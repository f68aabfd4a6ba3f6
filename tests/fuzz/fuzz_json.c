/*
 * fuzz_json.c - libFuzzer target for API request bodies: the same parsing
 * the server runs on POST bodies (strict JSON object, run fields, a Score
 * spec given as a YAML string or an object; the execute route's query,
 * the input's first line, and Score spec body).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_body.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object *body = NULL, *params = NULL, *spec = NULL;
	const char *code;
	char msg[512];
	int dry_run;

	{
		/* the execute route: a query (the first line) and a Score spec body */
		const char *nl = memchr(data, '\n', size);
		char *query = NULL;

		if (nl != NULL && (query = strndup((const char *)data,
		                                   (size_t)(nl - (const char *)data))) != NULL) {
			inn_body_execute_fields(nl + 1, size - (size_t)(nl + 1 - (const char *)data),
			                        query, &params, &spec, &dry_run, &code, msg,
			                        sizeof(msg));
			json_object_put(params);
			json_object_put(spec);
			params = spec = NULL;
			free(query);
		}
	}
	if (inn_body_parse((const char *)data, size, &body, &code, msg, sizeof(msg)) != 0)
		return 0;
	if (inn_body_run_fields(body, &params, &spec, &dry_run, &code, msg, sizeof(msg)) == 0 &&
	    spec != NULL) {
		inn_score *sc = NULL;
		inn_diag d;

		inn_diag_init(&d);
		inn_score_from_json(&sc, "spec", spec, &d);
		inn_score_free(sc);
		inn_diag_free(&d);
	}
	json_object_put(spec);
	json_object_put(body);
	return 0;
}
