/*
 * noop.c - a step plugin that returns at once with one output; the unit of
 * the executor and API benchmarks (it measures the orchestrator, not a tool).
 */
#include "fixture.h"

static int
noop_execute(void *state, const inn_host *host, inn_step *step)
{
	(void)state;
	return host->output(step, "done", "true", 0);
}

static const char *const types[] = { "noop", NULL };

static const inn_plugin_descriptor desc = {
	INN_PLUGIN_MAGIC, INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR,
	sizeof(inn_plugin_descriptor), INN_PLUGIN_DRY_RUN | INN_PLUGIN_IDEMPOTENT,
	"noop", "1.0.0", types, "{\"type\":\"object\"}", NULL, NULL, NULL, noop_execute, NULL
};

INN_PLUGIN_EXPORT const inn_plugin_descriptor *
inn_plugin_describe_v1(void)
{
	return &desc;
}
