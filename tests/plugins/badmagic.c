/* badmagic.c - exports the entry but its descriptor has the wrong magic. */
#include "fixture.h"

static const char *const types[] = { "badmagic", NULL };

static const inn_plugin_descriptor desc = {
	0xdeadbeefu, INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR,
	sizeof(inn_plugin_descriptor), 0, "badmagic", "1.0.0", types,
	NULL, NULL, NULL, NULL, fixture_execute, NULL
};

INN_PLUGIN_EXPORT const inn_plugin_descriptor *
inn_plugin_describe_v1(void)
{
	return &desc;
}
