/* mismatch.c - file mismatch.so declares type "something-else". */
#include "fixture.h"

static const char *const types[] = { "something-else", NULL };

static const inn_plugin_descriptor desc = {
	INN_PLUGIN_MAGIC, INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR,
	sizeof(inn_plugin_descriptor), 0, "mismatch", "1.0.0", types,
	NULL, NULL, NULL, NULL, fixture_execute, NULL
};

INN_PLUGIN_EXPORT const inn_plugin_descriptor *
inn_plugin_describe_v1(void)
{
	return &desc;
}
