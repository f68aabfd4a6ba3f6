/*
 * store_rows.c - freeing the store's records (store_rows.h), shared by the
 * store's callers and its backends.
 */
#include "config.h"

#include <stdlib.h>

#include "store_rows.h"

void
inn_exec_row_free(inn_exec_row *row)
{
	if (row == NULL)
		return;
	free(row->workflow);
	free(row->kind);
	free(row->app);
	free(row->team);
	free(row->created_by);
	free(row->status);
	free(row->message);
	free(row->sealed_inputs);
	json_object_put(row->params);
	json_object_put(row->spec);
	json_object_put(row->outputs);
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
		free(rows[i].name);
		free(rows[i].type);
		free(rows[i].status);
		free(rows[i].message);
		json_object_put(rows[i].outputs);
		free(rows[i].sealed_outputs);
	}
	free(rows);
}

void
inn_source_rows_free(inn_source_row *rows, size_t n)
{
	size_t i;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(rows[i].name);
		free(rows[i].kind);
		free(rows[i].url);
		free(rows[i].path);
		free(rows[i].ref);
		free(rows[i].commit);
		free(rows[i].added_by);
	}
	free(rows);
}

void
inn_app_rows_free(inn_app_row *rows, size_t n)
{
	size_t i;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(rows[i].name);
		free(rows[i].team);
		free(rows[i].created_by);
	}
	free(rows);
}

void
inn_resource_rows_free(inn_resource_row *rows, size_t n)
{
	size_t i;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(rows[i].app);
		free(rows[i].name);
		free(rows[i].type);
		free(rows[i].provider);
		free(rows[i].status);
		json_object_put(rows[i].outputs);
	}
	free(rows);
}
