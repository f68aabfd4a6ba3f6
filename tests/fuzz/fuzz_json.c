/*
 * fuzz_json.c - libFuzzer target for API request bodies: the same parsing
 * the server runs on POST bodies (strict JSON object, run fields, a Score
 * spec given as a YAML string or an object).
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
