/*
 * notallowed.c - a valid plugin whose type the policy does not allow.  Its
 * constructor leaves a marker: if the marker exists, the loader ran code it
 * should never have loaded.
 */
#include "fixture.h"

FIXTURE_CONSTRUCTOR("notallowed")

static const char *const types[] = { "notallowed", NULL };

static const inn_plugin_descriptor desc = {
	INN_PLUGIN_MAGIC, INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR,
	sizeof(inn_plugin_descriptor), 0, "notallowed", "1.0.0", types,
	NULL, NULL, NULL, NULL, fixture_execute, NULL
};

INN_PLUGIN_EXPORT const inn_plugin_descriptor *
inn_plugin_describe_v1(void)
{
	return &desc;
}
