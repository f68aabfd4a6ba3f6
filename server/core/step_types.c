/*
 * step_types.c - the legacy step-type alias table (step_types.h): the
 * original innominatus's step types mapped to our plugin types.
 */
#include "step_types.h"

#include <stddef.h>
#include <string.h>

/* Kept deliberately small; see step_types.h. */
static const struct {
	const char *legacy, *plugin;
} type_aliases[] = {
	{ "policy", "shell" },
};

const char *
inn_step_type_resolve(const char *written)
{
	size_t i;

	if (written == NULL)
		return NULL;
	for (i = 0; i < sizeof(type_aliases) / sizeof(type_aliases[0]); i++)
		if (strcmp(written, type_aliases[i].legacy) == 0)
			return type_aliases[i].plugin;
	return written;
}
