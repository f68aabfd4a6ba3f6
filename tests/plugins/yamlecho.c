/*
 * yamlecho.c - a step plugin that declares config.manifest (and each of
 * config.manifests) YAML text ("x-innominatus-render": "yaml" in its
 * config_schema) and hands the text it was given back as outputs
 * "manifest" / "manifest_N", so a test sees exactly what a kubernetes
 * plugin would parse; with config.token_secret it asks host->secret()
 * for that secret and logs its length only (tests/yaml_render.sh).
 */
#include <stdio.h>
#include <string.h>

#include "fixture.h"

#define YAMLECHO_SCHEMA \
	"{\"type\":\"object\",\"properties\":{" \
	"\"manifest\":{\"type\":\"string\",\"x-innominatus-render\":\"yaml\"}," \
	"\"manifests\":{\"type\":\"array\",\"items\":{\"type\":\"string\"," \
	"\"x-innominatus-render\":\"yaml\"}}," \
	"\"token_secret\":{\"type\":\"string\"},\"note\":{\"type\":\"string\"}}}"

static int
yamlecho_execute(void *state, const inn_host *host, inn_step *step)
{
	const char *v = NULL, *name = NULL, *sec = NULL;
	char key[32];
	size_t i;

	(void)state;
	if (host->input_string(step, "token_secret", &name) == 0 && name != NULL) {
		if (host->secret(step, name, &sec) != 0 || sec == NULL) {
			host->log(step, INN_LOG_ERROR, "secret %s: not available", name);
			return INN_ENOTFOUND;
		}
		host->log(step, INN_LOG_INFO, "secret %s len=%zu", name, strlen(sec));
	}
	if (host->input_string(step, "manifest", &v) == 0 && v != NULL &&
	    host->output(step, "manifest", v, 0) != 0)
		return INN_ERROR;
	for (i = 0; i < 16; i++) {
		snprintf(key, sizeof(key), "manifests.%zu", i);
		if (host->input_string(step, key, &v) != 0 || v == NULL)
			break;
		snprintf(key, sizeof(key), "manifest_%zu", i);
		if (host->output(step, key, v, 0) != 0)
			return INN_ERROR;
	}
	return host->output(step, "done", "true", 0);
}

FIXTURE_PLUGIN("yamlecho", "1.0.0", INN_PLUGIN_DRY_RUN | INN_PLUGIN_IDEMPOTENT,
               YAMLECHO_SCHEMA, NULL, yamlecho_execute, NULL, "yamlecho")
