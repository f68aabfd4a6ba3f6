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
	             row->message, row->sealed_inputs);
	free(row);
}

/* The per-record clears inn_array_free calls for each list below. */
static void
exec_slot_clear(void *slot)
{
	inn_exec_row_free(*(inn_exec_row **)slot);
}

static void
step_row_clear(void *p)
{
	inn_step_row *r = p;

	INN_FREE_ALL(r->name, r->type, r->status, r->message, r->sealed_outputs);
	json_object_put(r->outputs);
}

static void
source_row_clear(void *p)
{
	inn_source_row *r = p;

	INN_FREE_ALL(r->name, r->kind, r->url, r->path, r->ref, r->commit, r->added_by);
}

static void
app_row_clear(void *p)
{
	inn_app_row *r = p;

	INN_FREE_ALL(r->name, r->team, r->created_by);
}

static void
resource_row_clear(void *p)
{
	inn_resource_row *r = p;

	INN_FREE_ALL(r->app, r->name, r->type, r->provider, r->status);
	json_object_put(r->outputs);
}

void
inn_exec_rows_free(inn_exec_row **rows, size_t n)
{
	inn_array_free(rows, n, sizeof(*rows), exec_slot_clear);
}

void
inn_step_rows_free(inn_step_row *rows, size_t n)
{
	inn_array_free(rows, n, sizeof(*rows), step_row_clear);
}

void
inn_source_rows_free(inn_source_row *rows, size_t n)
{
	inn_array_free(rows, n, sizeof(*rows), source_row_clear);
}

void
inn_app_rows_free(inn_app_row *rows, size_t n)
{
	inn_array_free(rows, n, sizeof(*rows), app_row_clear);
}

void
inn_resource_rows_free(inn_resource_row *rows, size_t n)
{
	inn_array_free(rows, n, sizeof(*rows), resource_row_clear);
}
