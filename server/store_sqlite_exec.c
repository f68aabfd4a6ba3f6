/*
 * store_sqlite_exec.c - the SQLite backend's executions, their steps, log
 * lines and events: each operation one call of the statement helper
 * (store_sqlite_int.h) and a row reader, except the execution list, whose
 * WHERE names only the filter's columns and is prepared per call.
 */
#include "store_sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* ---- executions ---------------------------------------------------------- */

int
inn_sqlite_exec_create(inn_store *st, inn_exec_row *row)
{
	int64_t now = inn_wall_ms();
	struct sq_done done;
	int rc;

	rc = inn_sq_exec(SQ(st), &done, ST_EXEC_INSERT, "inserting an execution",
	                 "tttttttojj" "iidIIItt", row->workflow, row->kind, row->app, row->team,
	                 row->created_by, row->status, row->message, row->params, row->spec,
	                 row->outputs, row->dry_run != 0, row->resumable != 0, row->retry_of,
	                 now, row->started_ms, row->ended_ms, row->sealed_inputs,
	                 row->owner);
	if (rc < 0 && done.fk)
		return inn_error_set(INN_ENOTFOUND, "store: retry_of %lld: no such execution",
		                     (long long)row->retry_of);
	if (rc == 0) {
		row->id = done.rowid;
		row->created_ms = now;
	}
	return rc;
}

int
inn_sqlite_exec_update(inn_store *st, int64_t id, const char *status, const char *message,
                       int64_t started_ms, int64_t ended_ms, json_object *outputs)
{
	struct sq_done done;
	int rc;

	rc = inn_sq_exec(SQ(st), &done, ST_EXEC_UPDATE, "updating an execution", "IttIIj", id,
	                 status, message, started_ms, ended_ms, outputs);
	if (rc == 0 && done.changes == 0)
		rc = inn_error_set(INN_ENOTFOUND, "no execution %lld", (long long)id);
	return rc;
}

/* The current row of a statement selecting EXEC_COLS. */
static int
read_exec_row(sqlite3_stmt *q, inn_exec_row **out)
{
	inn_exec_row *r = calloc(1, sizeof(*r));
	int err = 0;

	if (r == NULL)
		return inn_error_set(INN_ENOMEM, "store: out of memory reading an execution");
	r->id = sqlite3_column_int64(q, 0);
	INN_SQ_COL_TEXTS(q, 1, &err, &r->workflow, &r->kind, &r->app, &r->team, &r->created_by,
	                 &r->status, &r->message);
	if (err == 0)
		r->params = inn_sq_col_json(q, 8, "params of execution", r->id, &err);
	if (err == 0)
		r->spec = inn_sq_col_json(q, 9, "spec of execution", r->id, &err);
	if (err == 0)
		r->outputs = inn_sq_col_json(q, 10, "outputs of execution", r->id, &err);
	r->dry_run = sqlite3_column_int(q, 11);
	r->resumable = sqlite3_column_int(q, 12);
	r->retry_of = sqlite3_column_int64(q, 13);
	r->created_ms = sqlite3_column_int64(q, 14);
	r->started_ms = sqlite3_column_int64(q, 15);
	r->ended_ms = sqlite3_column_int64(q, 16);
	r->sealed_inputs = inn_sq_col_text(q, 17, &err);
	r->owner = inn_sq_col_text(q, 18, &err);
	if (err < 0) {
		inn_exec_row_free(r);
		return err;
	}
	*out = r;
	return 0;
}

/* inn_sq_rows() row function: the one execution of a lookup by id. */
static int
exec_get_row(sqlite3_stmt *q, void *ud)
{
	inn_exec_row **out = ud;

	return *out != NULL ? 0 : read_exec_row(q, out);
}

int
inn_sqlite_exec_get(inn_store *st, int64_t id, inn_exec_row **out)
{
	inn_exec_row *r = NULL;
	int rc;

	rc = inn_sq_rows(SQ(st), ST_EXEC_GET, "reading an execution", exec_get_row, &r, "I", id);
	if (rc == 0 && r == NULL)
		rc = inn_error_set(INN_ENOTFOUND, "no execution %lld", (long long)id);
	if (rc < 0) {
		inn_exec_row_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* Binds the filter's non-NULL fields as ?1..?4 and ?7 (the numbers that
 * inn_sqlite_exec_list() used). */
static int
bind_filter(sqlite3_stmt *q, const char *const vals[5])
{
	int i;

	for (i = 0; i < 5; i++)
		if (vals[i] != NULL && inn_sq_bind_text(q, i < 4 ? i + 1 : 7, vals[i]) != SQLITE_OK)
			return -1;
	return 0;
}

/* Newest first: created_ms, then id for rows created in the same ms.  The
 * WHERE names only the filter's non-NULL columns, so SQLite can use their
 * indexes (an "?N IS NULL OR col = ?N" form would scan). */
int
inn_sqlite_exec_list(inn_store *st, const inn_exec_filter *f, inn_exec_row ***rows, size_t *n,
                     int64_t *total)
{
	static const char *const cols[4] = { "app", "status", "workflow", "team" };
	/* a key without a team: its own executions without a team */
	const char *const vals[5] = { f->app, f->status, f->workflow, f->team,
	                              f->team == NULL ? f->user : NULL };
	struct sqlite_store *s = SQ(st);
	char where[256], sql[1024];
	sqlite3_stmt *cq = NULL, *q = NULL;
	inn_exec_row **list = NULL;
	size_t count = 0, off = 0;
	int rc = 0, i, step, began = 0;
	struct sq_conn c;

	off = (size_t)snprintf(where, sizeof(where), "WHERE 1");
	for (i = 0; i < 4; i++)
		if (vals[i] != NULL)
			off += (size_t)snprintf(where + off, sizeof(where) - off, " AND %s = ?%d",
			                        cols[i], i + 1);
	if (vals[4] != NULL)
		off += (size_t)snprintf(where + off, sizeof(where) - off,
		                        " AND team IS NULL AND created_by = ?7");
	if ((list = calloc((size_t)f->page_size, sizeof(*list))) == NULL)
		return inn_error_set(INN_ENOMEM, "store: out of memory listing executions");

	/* the count and the page from one read transaction: they agree */
	inn_sq_conn_read(s, &c);
	if (sqlite3_get_autocommit(c.db) &&
	    sqlite3_exec(c.db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK)
		began = 1;
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM executions %s", where);
	if (sqlite3_prepare_v2(c.db, sql, -1, &cq, NULL) != SQLITE_OK) {
		rc = inn_sq_fail_db(s, c.db, "counting executions");
		goto out;
	}
	snprintf(sql, sizeof(sql), "SELECT " EXEC_COLS " FROM executions %s "
	         "ORDER BY created_ms DESC, id DESC LIMIT ?5 OFFSET ?6", where);
	if (sqlite3_prepare_v2(c.db, sql, -1, &q, NULL) != SQLITE_OK) {
		rc = inn_sq_fail_db(s, c.db, "listing executions");
		goto out;
	}
	if (bind_filter(cq, vals) < 0 || bind_filter(q, vals) < 0 ||
	    sqlite3_bind_int(q, 5, f->page_size) != SQLITE_OK ||
	    sqlite3_bind_int64(q, 6, (int64_t)(f->page - 1) * f->page_size) != SQLITE_OK) {
		rc = inn_sq_fail_db(s, c.db, "binding a value");
		goto out;
	}
	if (sqlite3_step(cq) != SQLITE_ROW) {
		rc = inn_sq_fail_db(s, c.db, "counting executions");
		goto out;
	}
	if (total != NULL)
		*total = sqlite3_column_int64(cq, 0);
	while ((step = sqlite3_step(q)) == SQLITE_ROW && count < (size_t)f->page_size) {
		if ((rc = read_exec_row(q, &list[count])) < 0)
			goto out;
		count++;
	}
	if (step != SQLITE_DONE && step != SQLITE_ROW)
		rc = inn_sq_fail_db(s, c.db, "listing executions");
out:
	sqlite3_finalize(cq);
	sqlite3_finalize(q);
	if (began)
		sqlite3_exec(c.db, "COMMIT", NULL, NULL, NULL);
	inn_sq_conn_done(&c);
	if (rc < 0) {
		inn_exec_rows_free(list, count);
		if (total != NULL)
			*total = 0;
		return rc;
	}
	*rows = list;
	*n = count;
	return 0;
}

static int
fill_id(sqlite3_stmt *q, void *row, void *ud)
{
	(void)ud;
	*(int64_t *)row = sqlite3_column_int64(q, 0);
	return 0;
}

int
inn_sqlite_exec_ids_with_status(inn_store *st, const char *status, int64_t **ids, size_t *n)
{
	struct sq_list l = { .size = sizeof(**ids), .fill = fill_id };
	int rc;

	rc = inn_sq_rows(SQ(st), ST_EXEC_IDS, "listing executions by status", inn_sq_list_row, &l,
	                 "t", status);
	if (rc < 0) {
		free(l.list);
		return rc;
	}
	*ids = l.list;
	*n = l.count;
	return 0;
}

int
inn_sqlite_exec_retried_by(inn_store *st, int64_t id, int64_t *out)
{
	struct sq_list l = { .size = sizeof(int64_t), .fill = fill_id };
	int rc;

	rc = inn_sq_rows(SQ(st), ST_EXEC_RETRIED_BY, "reading an execution's retry",
	                 inn_sq_list_row, &l, "I", id);
	if (rc == 0 && l.count > 0)
		*out = ((int64_t *)l.list)[0];
	free(l.list);
	return rc < 0 ? rc : 0;
}

/* ---- steps ----------------------------------------------------------------- */

int
inn_sqlite_step_put(inn_store *st, int64_t exec_id, const inn_step_row *row)
{
	struct sq_done done;
	int rc;

	rc = inn_sq_exec(SQ(st), &done, ST_STEP_PUT, "storing a step", "IitttitIIjtj", exec_id,
	                 row->idx, row->name, row->type, row->status, row->attempts, row->message,
	                 row->started_ms, row->ended_ms, row->outputs, row->sealed_outputs,
	                 row->depends_on);
	if (rc < 0 && done.fk)
		rc = inn_error_set(INN_ENOTFOUND, "no execution %lld", (long long)exec_id);
	return rc;
}

static int
fill_step(sqlite3_stmt *q, void *row, void *ud)
{
	inn_step_row *r = row;
	int rc = 0;

	r->idx = sqlite3_column_int(q, 0);
	r->name = inn_sq_col_text(q, 1, &rc);
	r->type = inn_sq_col_text(q, 2, &rc);
	r->status = inn_sq_col_text(q, 3, &rc);
	r->attempts = sqlite3_column_int(q, 4);
	r->message = inn_sq_col_text(q, 5, &rc);
	r->started_ms = sqlite3_column_int64(q, 6);
	r->ended_ms = sqlite3_column_int64(q, 7);
	if (rc == 0)
		r->outputs = inn_sq_col_json(q, 8, "outputs of a step of execution",
		                             *(const int64_t *)ud, &rc);
	r->sealed_outputs = inn_sq_col_text(q, 9, &rc);
	if (rc == 0)
		r->depends_on = inn_sq_col_json(q, 10, "depends_on of a step of execution",
		                                *(const int64_t *)ud, &rc);
	return rc;
}

int
inn_sqlite_steps_get(inn_store *st, int64_t exec_id, inn_step_row **rows, size_t *n)
{
	struct sq_list l = { .size = sizeof(**rows), .fill = fill_step, .ud = &exec_id };
	int rc;

	rc = inn_sq_rows(SQ(st), ST_STEPS_GET, "reading steps", inn_sq_list_row, &l, "I", exec_id);
	if (rc < 0) {
		inn_step_rows_free(l.list, l.count);
		return rc;
	}
	*rows = l.list;
	*n = l.count;
	return 0;
}

/* ---- step logs ---------------------------------------------------------- */

/* The hot path: one cached INSERT in autocommit mode.  WAL with
 * synchronous=NORMAL makes that an append to the -wal file, no fsync. */
int
inn_sqlite_log_append(inn_store *st, int64_t exec_id, const char *step, int level, int stream,
                      const char *line, int64_t ts_ms, int64_t *seq)
{
	struct sq_done done;
	int rc;

	rc = inn_sq_exec(SQ(st), &done, ST_LOG_APPEND, "appending a log line", "ItiitI", exec_id,
	                 step, level, stream, line, ts_ms);
	if (rc < 0 && done.fk)
		rc = inn_error_set(INN_ENOTFOUND, "no execution %lld", (long long)exec_id);
	else if (rc == 0)
		*seq = done.rowid;
	return rc;
}

static const struct sq_jfield log_fields[] = {
	{ "seq", SQ_J_INT }, { "step", SQ_J_TEXT }, { "level", SQ_J_INT },
	{ "stream", SQ_J_INT }, { "line", SQ_J_TEXT }, { "ts", SQ_J_INT }, { NULL, SQ_J_INT },
};

int
inn_sqlite_logs_get(inn_store *st, int64_t exec_id, int64_t after, int limit, json_object **lines)
{
	return inn_sq_json_rows(SQ(st), ST_LOGS_GET, "reading log lines", log_fields, lines, "IIi",
	                        exec_id, after, limit);
}

/* ---- events --------------------------------------------------------------- */

int
inn_sqlite_event_add(inn_store *st, const char *type, int64_t exec_id, const char *team,
                     json_object *data, int64_t *id)
{
	struct sq_done done;
	int rc;

	rc = inn_sq_exec(SQ(st), &done, ST_EVENT_ADD, "recording an event", "tdtjI", type, exec_id,
	                 team, data, inn_wall_ms());
	if (rc == 0)
		*id = done.rowid;
	return rc;
}

static const struct sq_jfield event_fields[] = {
	{ "id", SQ_J_INT }, { "type", SQ_J_TEXT }, { "execution", SQ_J_INT_OR_NULL },
	{ "team", SQ_J_TEXT }, { "data", SQ_J_JSON }, { "ts", SQ_J_INT }, { NULL, SQ_J_INT },
};

int
inn_sqlite_events_after(inn_store *st, int64_t after, const char *team, const char *user,
                        int limit, json_object **events)
{
	return inn_sq_json_rows(SQ(st), ST_EVENTS_AFTER, "reading events", event_fields, events,
	                        "Itit", after, team, limit, team == NULL ? user : NULL);
}
