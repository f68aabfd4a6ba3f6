/*
 * fuzz_tmpl.c - libFuzzer target for the template engine: renders the input
 * against a fixed data object as text, as a typed value and in shell mode,
 * lists its references and runs the shell-mode lint.  Replayed over tests/fuzz/corpus/tmpl by make
 * check (replay.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "mask.h"
#include "tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_data =
	"{ \"parameters\": { \"name\": \"web\", \"n\": 3, \"f\": 2.5, \"on\": true,"
	"    \"off\": false, \"none\": null, \"empty\": \"\","
	"    \"labels\": { \"b\": \"2\", \"a\": \"1\" }, \"list\": [ \"x\", { \"k\": [ 1, 2 ] } ],"
	"    \"inject\": \"{{ .secrets.token }} ${secrets.token} $(id)\" },"
	"  \"variables\": { \"APP_NAME\": \"shop\" },"
	"  \"steps\": { \"build-it\": { \"outputs\": { \"url\": \"http://b\" } } },"
	"  \"resources\": { \"db\": { \"host\": \"pg\" } },"
	"  \"secrets\": { \"token\": \"s3cr3t-token\", \"nested\": { \"pw\": \"hunter22\" } } }";

static int
fuzz_ref(void *ud, const char *ref)
{
	size_t *n = ud;

	*n += strlen(ref);
	return 0;
}

static int
fuzz_lint(void *ud, unsigned kind, const char *action, size_t offset)
{
	size_t *n = ud;

	*n += strlen(action) + kind + offset;
	return 0;
}

static int
fuzz_bind(void *ud, const char *value, char *name, size_t namelen)
{
	int *n = ud;

	(void)value;
	snprintf(name, namelen, "INN_T_%d", ++*n);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object *d, *v = NULL;
	inn_masker *m = NULL;
	inn_tmpl_env env;
	char *tmpl, *out = NULL;
	size_t refs = 0;
	int bound = 0;

	if ((tmpl = malloc(size + 1)) == NULL)
		return 0;
	memcpy(tmpl, data, size);
	tmpl[size] = '\0';
	if ((d = json_tokener_parse(fuzz_data)) == NULL || inn_masker_new(&m) != 0)
		goto out;
	memset(&env, 0, sizeof(env));
	env.data = d;
	env.masker = m;

	if (inn_tmpl_render_string(&env, tmpl, &out) == 0)
		free(out);
	out = NULL;
	if (inn_tmpl_render_value(&env, tmpl, &v) == 0)
		json_object_put(v);
	v = NULL;
	env.bind = fuzz_bind;
	env.bind_ud = &bound;
	if (inn_tmpl_render_string(&env, tmpl, &out) == 0)
		free(out);
	inn_tmpl_refs(tmpl, fuzz_ref, &refs);
	inn_tmpl_shell_lint(tmpl, fuzz_lint, &refs);
	inn_tmpl_has_syntax(tmpl);
out:
	inn_masker_free(m);
	json_object_put(d);
	free(tmpl);
	return 0;
}
