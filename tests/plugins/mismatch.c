/* mismatch.c - file mismatch.so declares type "something-else". */
#include "fixture.h"

FIXTURE_PLUGIN("mismatch", "1.0.0", 0, NULL, NULL, fixture_execute, NULL,
               "something-else")
