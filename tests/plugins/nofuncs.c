/* nofuncs.c - a descriptor without an execute function. */
#include "fixture.h"

FIXTURE_PLUGIN("nofuncs", "1.0.0", 0, NULL, NULL, NULL, NULL, "nofuncs")
