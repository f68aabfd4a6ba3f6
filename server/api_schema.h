/*
 * api_schema.h - the JSON Schemas of the API's bodies (api_schema.c), in
 * a short notation the route table (api.c) and the named schemas share:
 *
 *   string integer number boolean null any object   a base type
 *   Name                                  a named schema ($ref)
 *   T?                                    T or null
 *   T|U                                   either ('a'|'b': an enum)
 *   'word'                                that string
 *   [T]                                   an array of T
 *   map<T>                                an object whose every member is a T
 *   {a!: T, b: U}                         an object with these members, no
 *                                         other; "!" marks one always present
 *   {...Name, c: V}                       Name's members (and their "!"), then these
 *   {a: T, *}                             other members may be present too
 *
 * A member may end with a description in double quotes: {a!: T "what a is"}.
 */
#ifndef INN_SERVER_API_SCHEMA_H
#define INN_SERVER_API_SCHEMA_H

#include <json-c/json.h>

/* The JSON Schema (2020-12) of text; a notation error becomes a schema
 * {"x-invalid-schema": MESSAGE} (the OpenAPI test looks for it) and a line
 * on stderr. */
json_object *inn_schema_parse(const char *text);
/* components.schemas: every named schema. */
json_object *inn_schema_components(void);

#endif
