/*
 * oldminor.c - a descriptor from an older minor of this major, which ended
 * before `fini`: its struct_size stops there.  The bytes after it happen to
 * hold a fini pointer the host must never call (absent fields are ignored).
 */
#include <stddef.h>

#include "fixture.h"

static void
stray_fini(void *state)
{
	(void)state;
	fixture_mark("oldminor.fini");
}

FIXTURE_DESCRIPTOR(INN_PLUGIN_MAGIC, INN_PLUGIN_ABI_MAJOR, 0,
                   offsetof(inn_plugin_descriptor, fini), 0, "oldminor", "0.9.0",
                   NULL, NULL, fixture_execute, stray_fini, "oldminor")
