/* dupb.c - serves "dupb" and also "shared-type", which dupa/dupb both claim. */
#include "fixture.h"

FIXTURE_PLUGIN("dupb", "1.0.0", 0, NULL, NULL, fixture_execute, NULL, "dupb",
               "shared-type")
