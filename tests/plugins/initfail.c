/* initfail.c - init() reports a failure (e.g. a missing binary). */
#include "fixture.h"

static int
initfail_init(const inn_host *host, void **state)
{
	(void)state;
	host->log(NULL, INN_LOG_ERROR, "initfail: required tool not found");
	return INN_EINVAL;
}

static const char *const types[] = { "initfail", NULL };

static const inn_plugin_descriptor desc = {
	INN_PLUGIN_MAGIC, INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR,
	sizeof(inn_plugin_descriptor), 0, "initfail", "1.0.0", types,
	NULL, NULL, initfail_init, NULL, fixture_execute, NULL
};

INN_PLUGIN_EXPORT const inn_plugin_descriptor *
inn_plugin_describe_v1(void)
{
	return &desc;
}
