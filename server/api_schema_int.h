/*
 * api_schema_int.h - the named schemas (api_schema_names.c: data only),
 * which the notation's parser (api_schema.c) reads.
 */
#ifndef INN_SERVER_API_SCHEMA_INT_H
#define INN_SERVER_API_SCHEMA_INT_H

#include <stddef.h>

/* A named schema: components.schemas[name], in the notation of api_schema.h. */
struct inn_schema_name {
	const char *name, *text, *description;
};

/* Every named schema (*n of them). */
const struct inn_schema_name *inn_schema_names(size_t *n);
/* The notation of the named schema, or NULL. */
const char *inn_schema_named(const char *name);

#endif
