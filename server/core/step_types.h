/*
 * step_types.h - the legacy step-type alias table: which plugin type a
 * step type written in a workflow file runs as, and the config a step of
 * that type gets by default.  Below the loaders (load_steps.c resolves
 * every step's type with it).
 */
#ifndef INN_CORE_STEP_TYPES_H
#define INN_CORE_STEP_TYPES_H

#include <json-c/json.h>

/* Legacy step types of the original innominatus mapped to our plugins:
 * returns the plugin type for a written type, or written itself (NULL for
 * NULL).  The whole alias table (step_types.c):
 *     policy -> shell      (the original's "policy" step runs a bash script)
 * The admin allow-list is checked against the type as written; the
 * registry is asked for the resolved plugin type. */
const char *inn_step_type_resolve(const char *written);

/* Adds to config (a JSON object) each default config key of the alias
 * written that config does not set, so the step runs as the original ran
 * it; nothing for a type that is not an alias.  The defaults:
 *     policy: errexit: false   (the original ran `/bin/bash FILE`: no -e,
 *                               no pipefail)
 * Returns 0, or INN_ENOMEM (message set). */
int inn_step_type_defaults(const char *written, json_object *config);

#endif
