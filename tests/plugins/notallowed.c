/*
 * notallowed.c - a valid plugin whose type the policy does not allow.  Its
 * constructor leaves a marker: if the marker exists, the loader ran code it
 * should never have loaded.
 */
#include "fixture.h"

FIXTURE_CONSTRUCTOR("notallowed")

FIXTURE_PLUGIN("notallowed", "1.0.0", 0, NULL, NULL, fixture_execute, NULL,
               "notallowed")
