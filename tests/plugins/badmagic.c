/* badmagic.c - exports the entry but its descriptor has the wrong magic. */
#include "fixture.h"

FIXTURE_DESCRIPTOR(0xdeadbeefu, INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR,
                   sizeof(inn_plugin_descriptor), 0, "badmagic", "1.0.0", NULL, NULL,
                   fixture_execute, NULL, "badmagic")
