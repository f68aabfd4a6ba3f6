/*
 * store_rows.c - freeing the store's records (store_rows.h), shared by the
 * store's callers and its backends.
 */
#include "config.h"

#include <stdlib.h>

#include "array.h"
#include "store_rows.h"

void
inn_exec_row_free(inn_exec_row *row)
{
	if (row == NULL)
		return;
	json_object_put(row->params);
	json_object_put(row->spec);
	json_object_put(row->outputs);
	INN_FREE_ALL(row->workflow, row->kind, row->app, row->team, row->created_by, row->status,
	             row->message, row->sealed_inputs, row->owner);
	free(row);
}

/* Defines fn, the free of a list of n records of type T: CLEAR (statements
 * on r, a T *) frees what one record owns, then the list itself goes. */
#define ROWS_FREE(fn, T, CLEAR)                                                  \
	static void fn##_clear(void *p)                                           \
	{                                                                         \
		T *r = p;                                                         \
                                                                                  \
		CLEAR;                                                            \
	}                                                                         \
	void fn(T *rows, size_t n)                                                \
	{                                                                         \
		inn_array_free(rows, n, sizeof(*rows), fn##_clear);               \
	}

ROWS_FREE(inn_exec_rows_free, inn_exec_row *, inn_exec_row_free(*r))
ROWS_FREE(inn_step_rows_free, inn_step_row,
	INN_FREE_ALL(r->name, r->type, r->status, r->message, r->sealed_outputs);
	json_object_put(r->outputs);
	json_object_put(r->depends_on))
ROWS_FREE(inn_source_rows_free, inn_source_row,
	INN_FREE_ALL(r->name, r->kind, r->url, r->path, r->ref, r->commit, r->added_by))
ROWS_FREE(inn_app_rows_free, inn_app_row,
	INN_FREE_ALL(r->name, r->team, r->created_by, r->status);
	json_object_put(r->spec))
ROWS_FREE(inn_resource_rows_free, inn_resource_row,
	INN_FREE_ALL(r->app, r->name, r->type, r->provider, r->status, r->message,
	             r->sealed_params, r->sealed_outputs, r->fingerprint);
	json_object_put(r->outputs);
	json_object_put(r->params);
	json_object_put(r->secret_keys);
	json_object_put(r->depends_on))
