/*
 * step_types.c - the legacy step-type alias table (step_types.h): the
 * original innominatus's step types mapped to our plugin types, with the
 * config each gets by default.
 */
#include "step_types.h"

#include <stddef.h>
#include <string.h>

#include "error.h"

/* Kept deliberately small; see step_types.h.  defaults: a JSON object of
 * config keys the step gets unless its config sets them (NULL: none). */
static const struct {
	const char *legacy, *plugin, *defaults;
} type_aliases[] = {
	{ "policy", "shell", "{\"errexit\":false}" },
};

#define NALIASES (sizeof(type_aliases) / sizeof(type_aliases[0]))

/* The alias entry for written, or NALIASES. */
static size_t
find_alias(const char *written)
{
	size_t i;

	for (i = 0; written != NULL && i < NALIASES; i++)
		if (strcmp(written, type_aliases[i].legacy) == 0)
			break;
	return written != NULL ? i : NALIASES;
}

const char *
inn_step_type_resolve(const char *written)
{
	size_t i = find_alias(written);

	return i < NALIASES ? type_aliases[i].plugin : written;
}

int
inn_step_type_defaults(const char *written, json_object *config)
{
	size_t i = find_alias(written);
	json_object *defs;
	int rc = 0;

	if (i == NALIASES || type_aliases[i].defaults == NULL ||
	    !json_object_is_type(config, json_type_object))
		return 0;
	if ((defs = json_tokener_parse(type_aliases[i].defaults)) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	json_object_object_foreach(defs, k, v) {
		if (json_object_object_get_ex(config, k, NULL))
			continue;
		if (json_object_object_add(config, k, json_object_get(v)) != 0) {
			json_object_put(v);
			rc = inn_error_set(INN_ENOMEM, "out of memory");
			break;
		}
	}
	json_object_put(defs);
	return rc;
}
