/*
 * store_sqlite_dump.c - export / import of a SQLite store (store.h)
 * (PLACEHOLDER: the operations helper writes it)
 */
#include "store_sqlite_int.h"

#include "error.h"

int inn_sqlite_dump(inn_store *st, const char *table, int (*fn)(void *ud, json_object *row),
                    void *ud)
{ (void)st; (void)table; (void)fn; (void)ud;
  return inn_error_set(INN_ERROR, "store: dump is not written yet"); }
int inn_sqlite_load(inn_store *st, const char *table, json_object *row)
{ (void)st; (void)table; (void)row;
  return inn_error_set(INN_ERROR, "store: load is not written yet"); }
int inn_sqlite_empty(inn_store *st)
{ (void)st; return inn_error_set(INN_ERROR, "store: empty is not written yet"); }
