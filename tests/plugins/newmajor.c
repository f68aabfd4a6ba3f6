/* newmajor.c - built for a future major ABI: must be refused naming both versions. */
#include "fixture.h"

FIXTURE_DESCRIPTOR(INN_PLUGIN_MAGIC, INN_PLUGIN_ABI_MAJOR + 1, 0,
                   sizeof(inn_plugin_descriptor), 0, "newmajor", "9.0.0", NULL, NULL,
                   fixture_execute, NULL, "newmajor")
