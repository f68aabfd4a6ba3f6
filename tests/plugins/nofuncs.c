/* nofuncs.c - a descriptor without an execute function. */
#include "fixture.h"

static const char *const types[] = { "nofuncs", NULL };

static const inn_plugin_descriptor desc = {
	INN_PLUGIN_MAGIC, INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR,
	sizeof(inn_plugin_descriptor), 0, "nofuncs", "1.0.0", types,
	NULL, NULL, NULL, NULL, NULL, NULL
};

INN_PLUGIN_EXPORT const inn_plugin_descriptor *
inn_plugin_describe_v1(void)
{
	return &desc;
}
