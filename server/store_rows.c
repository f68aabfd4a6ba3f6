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

void
inn_exec_rows_free(inn_exec_row **rows, size_t n)
{
	size_t i;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++)
		inn_exec_row_free(rows[i]);
	free(rows);
}

void
inn_step_rows_free(inn_step_row *rows, size_t n)
{
	size_t i;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++) {
		INN_FREE_ALL(rows[i].name, rows[i].type, rows[i].status, rows[i].message,
		             rows[i].sealed_outputs);
		json_object_put(rows[i].outputs);
	}
	free(rows);
}

void
inn_source_rows_free(inn_source_row *rows, size_t n)
{
	size_t i;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++)
		INN_FREE_ALL(rows[i].name, rows[i].kind, rows[i].url, rows[i].path, rows[i].ref,
		             rows[i].commit, rows[i].added_by);
	free(rows);
}

void
inn_app_rows_free(inn_app_row *rows, size_t n)
{
	size_t i;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++)
		INN_FREE_ALL(rows[i].name, rows[i].team, rows[i].created_by);
	free(rows);
}

void
inn_resource_rows_free(inn_resource_row *rows, size_t n)
{
	size_t i;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++) {
		INN_FREE_ALL(rows[i].app, rows[i].name, rows[i].type, rows[i].provider,
		             rows[i].status);
		json_object_put(rows[i].outputs);
	}
	free(rows);
}
