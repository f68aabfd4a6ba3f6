/*
 * json_util.h - small json-c helpers: a string or null, a deep copy, string
 * fields added in one call (json_util.c).  Below every other engine header.
 */
#ifndef INN_CORE_JSON_UTIL_H
#define INN_CORE_JSON_UTIL_H

#include <stddef.h>

#include <json-c/json.h>

/* A JSON string, or JSON null for NULL (for building API answers). */
json_object *inn_json_str(const char *s);
/* A deep copy of o (NULL for NULL, or when out of memory). */
json_object *inn_json_copy(json_object *o);
/* Adds the n / 2 pairs of kv (a key, then its value) to o in their order,
 * each value as inn_json_str makes it; INN_JSON_ADD_STRS(o, "k", v, ...)
 * passes its arguments as kv. */
void inn_json_add_strs(json_object *o, const char *const *kv, size_t n);
#define INN_JSON_ADD_STRS(o, ...) \
	inn_json_add_strs((o), (const char *const[]){ __VA_ARGS__ }, \
	                  sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

#endif
