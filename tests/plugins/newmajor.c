/* newmajor.c - built for a future major ABI: must be refused naming both versions. */
#include "fixture.h"

static const char *const types[] = { "newmajor", NULL };

static const inn_plugin_descriptor desc = {
	INN_PLUGIN_MAGIC, INN_PLUGIN_ABI_MAJOR + 1, 0,
	sizeof(inn_plugin_descriptor), 0, "newmajor", "9.0.0", types,
	NULL, NULL, NULL, NULL, fixture_execute, NULL
};

INN_PLUGIN_EXPORT const inn_plugin_descriptor *
inn_plugin_describe_v1(void)
{
	return &desc;
}
