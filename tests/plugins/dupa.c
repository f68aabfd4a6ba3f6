/* dupa.c - serves "dupa" and also "shared-type", which dupa/dupb both claim. */
#include "fixture.h"

FIXTURE_PLUGIN("dupa", "1.0.0", 0, NULL, NULL, fixture_execute, NULL, "dupa",
               "shared-type")
