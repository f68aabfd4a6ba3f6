/*
 * store_pg_dump.c - export / import of a PostgreSQL store (store.h).
 */
#include "config.h"

#include "store_pg_int.h"

#include "error.h"

int inn_pg_dump(inn_store *st, const char *table, int (*fn)(void *ud, json_object *row),
                void *ud)
{ (void)st; (void)table; (void)fn; (void)ud;
	return inn_error_set(INN_ERROR, "store: dump is not written yet"); }
int inn_pg_load(inn_store *st, const char *table, json_object *row)
{ (void)st; (void)table; (void)row;
	return inn_error_set(INN_ERROR, "store: load is not written yet"); }
int inn_pg_empty(inn_store *st)
{ (void)st; return inn_error_set(INN_ERROR, "store: empty is not written yet"); }
