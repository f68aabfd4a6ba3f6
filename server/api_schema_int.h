/*
 * api_schema_int.h - between the notation's parser (api_schema.c) and the
 * named schemas (api_schema_names.c).
 */
#ifndef INN_SERVER_API_SCHEMA_INT_H
#define INN_SERVER_API_SCHEMA_INT_H

/* The notation of the named schema, or NULL. */
const char *inn_schema_named(const char *name);

#endif
