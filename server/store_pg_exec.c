/*
 * store_pg_exec.c - the PostgreSQL backend's executions, their steps, log
 * lines and events: each operation one call of the statement helper
 * (store_pg_int.h) and a row reader, except the execution list, whose
 * WHERE names only the filter's columns and is built per call from
 * constant fragments, and the scrub of a step's lines, which applies the
 * caller's function here, between a SELECT and its UPDATEs.
 */
#include "config.h"

#include "store_pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* ---- executions ------------------------------------------------------------ */

int
inn_pg_exec_create(inn_store *st, inn_exec_row *row)
{
	int64_t now = inn_wall_ms();
	struct pg_done done;
	int rc;

	rc = inn_pg_run(PG(st), NULL, &done, "inserting an execution", PQ_EXEC_INSERT, NULL,
	                "tttttttojj" "iidIIItt", row->workflow, row->kind, row->app, row->team,
	                row->created_by, row->status, row->message, row->params, row->spec,
	                row->outputs, row->dry_run != 0, row->resumable != 0, row->retry_of,
	                now, row->started_ms, row->ended_ms, row->sealed_inputs, row->owner);
	if (rc < 0 && done.fk)
		return inn_error_set(INN_ENOTFOUND, "store: retry_of %lld: no such execution",
		                     (long long)row->retry_of);
	if (rc == 0) {
		row->id = done.id;
		row->created_ms = now;
	}
	return rc;
}

int
inn_pg_exec_update(inn_store *st, int64_t id, const char *status, const char *message,
                   int64_t started_ms, int64_t ended_ms, json_object *outputs)
{
	struct pg_done done;
	int rc;

	rc = inn_pg_run(PG(st), NULL, &done, "updating an execution", PQ_EXEC_UPDATE, NULL,
	                "IttIIj", id, status, message, started_ms, ended_ms, outputs);
	if (rc == 0 && done.changes == 0)
		rc = inn_error_set(INN_ENOTFOUND, "no execution %lld", (long long)id);
	return rc;
}

/* Row i of a result selecting PG_EXEC_COLS. */
static int
read_exec_row(const PGresult *q, int i, inn_exec_row **out)
{
	inn_exec_row *r = calloc(1, sizeof(*r));
	int err = 0;

	if (r == NULL)
		return inn_error_set(INN_ENOMEM, "store: out of memory reading an execution");
	r->id = inn_pg_int(q, i, 0);
	r->workflow = inn_pg_text(q, i, 1, &err);
	r->kind = inn_pg_text(q, i, 2, &err);
	r->app = inn_pg_text(q, i, 3, &err);
	r->team = inn_pg_text(q, i, 4, &err);
	r->created_by = inn_pg_text(q, i, 5, &err);
	r->status = inn_pg_text(q, i, 6, &err);
	r->message = inn_pg_text(q, i, 7, &err);
	if (err == 0)
		r->params = inn_pg_json(q, i, 8, "params of execution", r->id, &err);
	if (err == 0)
		r->spec = inn_pg_json(q, i, 9, "spec of execution", r->id, &err);
	if (err == 0)
		r->outputs = inn_pg_json(q, i, 10, "outputs of execution", r->id, &err);
	r->dry_run = (int)inn_pg_int(q, i, 11);
	r->resumable = (int)inn_pg_int(q, i, 12);
	r->retry_of = inn_pg_int(q, i, 13);
	r->created_ms = inn_pg_int(q, i, 14);
	r->started_ms = inn_pg_int(q, i, 15);
	r->ended_ms = inn_pg_int(q, i, 16);
	r->sealed_inputs = inn_pg_text(q, i, 17, &err);
	r->owner = inn_pg_text(q, i, 18, &err);
	if (err < 0) {
		inn_exec_row_free(r);
		return err;
	}
	*out = r;
	return 0;
}

int
inn_pg_exec_get(inn_store *st, int64_t id, inn_exec_row **out)
{
	PGresult *r = NULL;
	int rc;

	rc = inn_pg_run(PG(st), &r, NULL, "reading an execution", PQ_EXEC_GET, NULL, "I", id);
	if (rc < 0)
		return rc;
	if (PQntuples(r) == 0)
		rc = inn_error_set(INN_ENOTFOUND, "no execution %lld", (long long)id);
	else
		rc = read_exec_row(r, 0, out);
	PQclear(r);
	return rc;
}

/* Newest first.  The WHERE names only the filter's non-NULL columns
 * (constant fragments; the values are parameters $1..$4 and $7). */
int
inn_pg_exec_list(inn_store *st, const inn_exec_filter *f, inn_exec_row ***rows, size_t *n,
                 int64_t *total)
{
	static const char *const conds[4] = { " AND app = $1", " AND status = $2",
	                                      " AND workflow = $3", " AND team = $4" };
	const char *const vals[5] = { f->app, f->status, f->workflow, f->team,
	                              f->team == NULL ? f->user : NULL };
	struct pg_store *s = PG(st);
	char where[256], sql[1024];
	PGresult *cr = NULL, *r = NULL;
	inn_exec_row **list = NULL;
	size_t count = 0, off;
	int rc, i;

	/* every parameter appears in the text, so each has a type: the
	 * unused ones as "$N::text IS NULL" */
	off = (size_t)snprintf(where, sizeof(where), "WHERE TRUE");
	for (i = 0; i < 4; i++)
		off += (size_t)snprintf(where + off, sizeof(where) - off, "%s",
		                        vals[i] != NULL ? conds[i] : "");
	for (i = 0; i < 4; i++)
		if (vals[i] == NULL)
			off += (size_t)snprintf(where + off, sizeof(where) - off,
			                        " AND $%d::text IS NULL", i + 1);
	off += (size_t)snprintf(where + off, sizeof(where) - off, "%s",
	                        vals[4] != NULL ? " AND team IS NULL AND created_by = $5"
	                                        : " AND $5::text IS NULL");
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM executions %s", where);
	if ((rc = inn_pg_run(s, &cr, NULL, "counting executions", PQ_NONE, sql, "ttttt", vals[0],
	                     vals[1], vals[2], vals[3], vals[4])) < 0)
		goto out;
	snprintf(sql, sizeof(sql), "SELECT " PG_EXEC_COLS " FROM executions %s "
	         "ORDER BY created_ms DESC, id DESC LIMIT $6 OFFSET $7", where);
	if ((rc = inn_pg_run(s, &r, NULL, "listing executions", PQ_NONE, sql, "tttttiI", vals[0],
	                     vals[1], vals[2], vals[3], vals[4], f->page_size,
	                     (int64_t)(f->page - 1) * f->page_size)) < 0)
		goto out;
	if ((list = calloc((size_t)PQntuples(r) + 1, sizeof(*list))) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "store: out of memory listing executions");
		goto out;
	}
	for (i = 0; i < PQntuples(r) && i < f->page_size; i++) {
		if ((rc = read_exec_row(r, i, &list[count])) < 0)
			goto out;
		count++;
	}
	if (total != NULL)
		*total = inn_pg_int(cr, 0, 0);
out:
	PQclear(cr);
	PQclear(r);
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

int
inn_pg_exec_ids_with_status(inn_store *st, const char *status, int64_t **ids, size_t *n)
{
	PGresult *r = NULL;
	int rc;

	if ((rc = inn_pg_run(PG(st), &r, NULL, "listing executions by status", PQ_EXEC_IDS, NULL,
	                     "t", status)) < 0)
		return rc;
	rc = inn_pg_ids(r, ids, n);
	PQclear(r);
	return rc;
}

int
inn_pg_exec_retried_by(inn_store *st, int64_t id, int64_t *out)
{
	PGresult *r = NULL;
	int rc;

	if ((rc = inn_pg_run(PG(st), &r, NULL, "reading an execution's retry", PQ_EXEC_RETRIED_BY,
	                     NULL, "I", id)) < 0)
		return rc;
	if (PQntuples(r) > 0)
		*out = inn_pg_int(r, 0, 0);
	PQclear(r);
	return 0;
}

/* ---- steps ----------------------------------------------------------------- */

int
inn_pg_step_put(inn_store *st, int64_t exec_id, const inn_step_row *row)
{
	struct pg_done done;
	int rc;

	rc = inn_pg_run(PG(st), NULL, &done, "storing a step", PQ_STEP_PUT, NULL, "IitttitIIjtj",
	                exec_id, row->idx, row->name, row->type, row->status, row->attempts,
	                row->message, row->started_ms, row->ended_ms, row->outputs,
	                row->sealed_outputs, row->depends_on);
	if (rc < 0 && done.fk)
		rc = inn_error_set(INN_ENOTFOUND, "no execution %lld", (long long)exec_id);
	return rc;
}

int
inn_pg_steps_get(inn_store *st, int64_t exec_id, inn_step_row **rows, size_t *n)
{
	inn_step_row *list;
	PGresult *r = NULL;
	int rc, i, cnt;

	if ((rc = inn_pg_run(PG(st), &r, NULL, "reading steps", PQ_STEPS_GET, NULL, "I",
	                     exec_id)) < 0)
		return rc;
	cnt = PQntuples(r);
	if ((list = calloc((size_t)cnt + 1, sizeof(*list))) == NULL) {
		PQclear(r);
		return inn_error_set(INN_ENOMEM, "store: out of memory reading steps");
	}
	for (i = 0; i < cnt && rc == 0; i++) {
		inn_step_row *s = &list[i];

		s->idx = (int)inn_pg_int(r, i, 0);
		s->name = inn_pg_text(r, i, 1, &rc);
		s->type = inn_pg_text(r, i, 2, &rc);
		s->status = inn_pg_text(r, i, 3, &rc);
		s->attempts = (int)inn_pg_int(r, i, 4);
		s->message = inn_pg_text(r, i, 5, &rc);
		s->started_ms = inn_pg_int(r, i, 6);
		s->ended_ms = inn_pg_int(r, i, 7);
		if (rc == 0)
			s->outputs = inn_pg_json(r, i, 8, "outputs of a step of execution", exec_id,
			                         &rc);
		s->sealed_outputs = inn_pg_text(r, i, 9, &rc);
		if (rc == 0)
			s->depends_on = inn_pg_json(r, i, 10, "depends_on of a step of execution",
			                            exec_id, &rc);
	}
	PQclear(r);
	if (rc < 0) {
		inn_step_rows_free(list, (size_t)cnt);
		return rc;
	}
	*rows = list;
	*n = (size_t)cnt;
	return 0;
}

/* ---- step logs ---------------------------------------------------------------- */

/* One statement (PQ_LOG_APPEND: why it takes an advisory lock). */
int
inn_pg_log_append(inn_store *st, int64_t exec_id, const char *step, int level, int stream,
                  const char *line, int64_t ts_ms, int64_t *seq)
{
	struct pg_done done;
	int rc;

	rc = inn_pg_run(PG(st), NULL, &done, "appending a log line", PQ_LOG_APPEND, NULL,
	                "ItiitI", exec_id, step, level, stream, line, ts_ms);
	if (rc < 0 && done.fk)
		rc = inn_error_set(INN_ENOTFOUND, "no execution %lld", (long long)exec_id);
	else if (rc == 0)
		*seq = done.id;
	return rc;
}

static const struct pg_jfield log_fields[] = {
	{ "seq", PG_J_INT }, { "step", PG_J_TEXT }, { "level", PG_J_INT },
	{ "stream", PG_J_INT }, { "line", PG_J_TEXT }, { "ts", PG_J_INT }, { NULL, PG_J_INT },
};

int
inn_pg_logs_get(inn_store *st, int64_t exec_id, int64_t after, int limit, json_object **lines)
{
	PGresult *r = NULL;
	int rc;

	if ((rc = inn_pg_run(PG(st), &r, NULL, "reading log lines", PQ_LOGS_GET, NULL, "IIi",
	                     exec_id, after, limit)) < 0)
		return rc;
	rc = inn_pg_json_rows(r, log_fields, lines);
	PQclear(r);
	return rc;
}

/* logs_scrub (contract in store.h): the step's lines are read and locked,
 * fn is applied here (PostgreSQL cannot call back into this process), and
 * the changed ones are rewritten, all in one transaction.  PostgreSQL has
 * no secure_delete: the old row versions stay in the table's pages until
 * VACUUM (autovacuum) reclaims them and later writes reuse the space. */
int
inn_pg_logs_scrub(inn_store *st, int64_t exec_id, const char *step, inn_store_scrub_fn fn,
                  void *ud, int *changed)
{
	struct pg_store *s = PG(st);
	struct pg_conn *pc;
	PGresult *r = NULL;
	int rc, i, count = 0;
	char *out;

	*changed = 0;
	if ((rc = inn_pg_get(s, &pc)) < 0)
		return rc;
	if ((rc = inn_pg_cmd(s, pc, "BEGIN", "starting a transaction")) < 0)
		goto out;
	if ((rc = inn_pg_q(s, pc, &r, NULL, "masking a step's log lines", PQ_LOGS_SCRUB_GET, NULL,
	                   "It", exec_id, step)) < 0)
		goto fail;
	for (i = 0; i < PQntuples(r); i++) {
		const char *line = PQgetvalue(r, i, 1);

		if ((out = fn(ud, line, (size_t)PQgetlength(r, i, 1))) == NULL)
			continue;
		if (strcmp(out, line) != 0) {
			rc = inn_pg_q(s, pc, NULL, NULL, "masking a step's log lines",
			              PQ_LOGS_SCRUB_SET, NULL, "It", inn_pg_int(r, i, 0), out);
			count++;
		}
		free(out);
		if (rc < 0)
			goto fail;
	}
	if ((rc = inn_pg_cmd(s, pc, "COMMIT", "committing masked log lines")) < 0)
		goto fail;
	*changed = count;
	goto out;
fail:
	inn_pg_rollback(pc);
out:
	PQclear(r);
	inn_pg_put(s, pc);
	return rc;
}

/* ---- events ------------------------------------------------------------------- */

/* One statement (PQ_EVENT_ADD: an advisory lock keeps ids visible in order). */
int
inn_pg_event_add(inn_store *st, const char *type, int64_t exec_id, const char *team,
                 json_object *data, int64_t *id)
{
	struct pg_done done;
	int rc;

	rc = inn_pg_run(PG(st), NULL, &done, "recording an event", PQ_EVENT_ADD, NULL, "tdtjI",
	                type, exec_id, team, data, inn_wall_ms());
	if (rc == 0)
		*id = done.id;
	return rc;
}

static const struct pg_jfield event_fields[] = {
	{ "id", PG_J_INT }, { "type", PG_J_TEXT }, { "execution", PG_J_INT_OR_NULL },
	{ "team", PG_J_TEXT }, { "data", PG_J_JSON }, { "ts", PG_J_INT }, { NULL, PG_J_INT },
};

int
inn_pg_events_after(inn_store *st, int64_t after, const char *team, const char *user,
                    int limit, json_object **events)
{
	PGresult *r = NULL;
	int rc;

	if ((rc = inn_pg_run(PG(st), &r, NULL, "reading events", PQ_EVENTS_AFTER, NULL, "Itit",
	                     after, team, limit, team == NULL ? user : NULL)) < 0)
		return rc;
	rc = inn_pg_json_rows(r, event_fields, events);
	PQclear(r);
	return rc;
}
