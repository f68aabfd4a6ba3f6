/*
 * json_util.c - small json-c helpers (json_util.h) shared by the loaders, the
 * executor and the API/CLI answers: a string or null, a deep copy, and a
 * list of string fields added in one call.  Below every other engine file.
 */
#include "json_util.h"

#include <stddef.h>

json_object *
inn_json_str(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

json_object *
inn_json_copy(json_object *o)
{
	json_object *c = NULL;

	if (o == NULL || json_object_deep_copy(o, &c, NULL) != 0)
		return NULL;
	return c;
}

void
inn_json_add_strs(json_object *o, const char *const *kv, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		json_object_object_add(o, kv[i], inn_json_str(kv[i + 1]));
}
