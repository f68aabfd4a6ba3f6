/*
 * store_pg_dump.c - export / import of a PostgreSQL store (store.h): any
 * table of inn_store_tables row by row in key order as JSON (the columns
 * from information_schema; integers as numbers, text as strings, NULL as
 * null, bytea as lowercase hex), streamed in libpq's single-row mode; a
 * dumped row inserted as it is, ids kept, and the identity sequences
 * moved past them.
 */
#include "config.h"

#include "store_pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* How each table is ordered, and its identity column (NULL: none). */
static const struct table_spec {
	const char *name, *order, *identity;
} tables[] = {
	{ "teams", "name COLLATE \"C\"", NULL },
	{ "users", "name COLLATE \"C\"", NULL },
	{ "api_keys", "id", "id" },
	{ "executions", "id", "id" },
	{ "steps", "exec_id, idx", NULL },
	{ "step_logs", "seq", "seq" },
	{ "events", "id", "id" },
	{ "audit", "id", "id" },
	{ "provider_sources", "name COLLATE \"C\"", NULL },
	{ "applications", "name COLLATE \"C\"", NULL },
	{ "resources", "app COLLATE \"C\", name COLLATE \"C\"", NULL },
};

static const struct table_spec *
spec_of(const char *table)
{
	size_t i;

	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (strcmp(tables[i].name, table) == 0)
			return &tables[i];
	return NULL;
}

/* The table's columns (name, is bytea), in their order. */
static int
columns(struct pg_store *s, struct pg_conn *pc, const char *table, PGresult **out)
{
	int rc = inn_pg_q(s, pc, out, NULL, "reading a table's columns", PQ_NONE,
	                  "SELECT attname::text, atttypid = 'bytea'::regtype FROM pg_attribute "
	                  "WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped "
	                  "ORDER BY attnum", "t", table);

	if (rc == 0 && PQntuples(*out) == 0) {
		PQclear(*out);
		*out = NULL;
		rc = inn_error_set(INN_ERROR, "store %s: no table %s", s->shown, table);
	}
	return rc;
}

/* Appends text to buf (size) at *off; INN_ERROR when it does not fit. */
static int
add(char *buf, size_t size, size_t *off, const char *a, const char *b, const char *c)
{
	int n = snprintf(buf + *off, size - *off, "%s%s%s", a, b, c);

	if (n < 0 || (size_t)n >= size - *off)
		return inn_error_set(INN_ERROR, "store: a statement is too long");
	*off += (size_t)n;
	return 0;
}

int
inn_pg_dump(inn_store *st, const char *table, int (*fn)(void *ud, json_object *row), void *ud)
{
	struct pg_store *s = PG(st);
	const struct table_spec *t = spec_of(table);
	char sql[4096];
	size_t off = 0;
	struct pg_conn *pc;
	PGresult *cols = NULL, *r;
	json_object *row;
	int rc, i, stop = 0;

	if (t == NULL)
		return inn_error_set(INN_EINVAL, "store: no table \"%s\" to dump", table);
	if ((rc = inn_pg_get(s, &pc)) < 0)
		return rc;
	if ((rc = columns(s, pc, table, &cols)) < 0)
		goto out;
	rc = add(sql, sizeof(sql), &off, "SELECT row_to_json(t)::text FROM (SELECT ", "", "");
	for (i = 0; rc == 0 && i < PQntuples(cols); i++) {
		const char *c = PQgetvalue(cols, i, 0);

		if (i > 0)
			rc = add(sql, sizeof(sql), &off, ", ", "", "");
		if (rc == 0 && inn_pg_int(cols, i, 1))
			rc = add(sql, sizeof(sql), &off, "encode(\"", c, "\", 'hex') AS ");
		if (rc == 0)
			rc = add(sql, sizeof(sql), &off, "\"", c, "\"");
	}
	if (rc == 0)
		rc = add(sql, sizeof(sql), &off, " FROM \"", table, "\" ORDER BY ");
	if (rc == 0)
		rc = add(sql, sizeof(sql), &off, t->order, ") t", "");
	if (rc < 0)
		goto out;
	/* one row at a time: a table of log lines need not fit in memory */
	if (!PQsendQuery(pc->c, sql) || !PQsetSingleRowMode(pc->c)) {
		rc = inn_pg_fail(s, pc->c, NULL, "dumping a table");
		goto drain;
	}
	while ((r = PQgetResult(pc->c)) != NULL) {
		if (PQresultStatus(r) == PGRES_SINGLE_TUPLE && rc == 0 && !stop) {
			if ((row = json_tokener_parse(PQgetvalue(r, 0, 0))) == NULL)
				rc = inn_error_set(INN_ERROR, "store %s: a row of %s is not JSON",
				                   s->shown, table);
			else if ((rc = fn(ud, row)) != 0)
				stop = 1;
			json_object_put(row);
		} else if (PQresultStatus(r) != PGRES_TUPLES_OK &&
		           PQresultStatus(r) != PGRES_SINGLE_TUPLE && rc == 0) {
			rc = inn_pg_fail(s, pc->c, r, "dumping a table");
		}
		PQclear(r);
		if (stop) {
			PGcancel *cancel = PQgetCancel(pc->c);
			char err[64];

			if (cancel != NULL) {
				PQcancel(cancel, err, (int)sizeof(err));
				PQfreeCancel(cancel);
			}
			stop = 2;  /* cancelled once; the rest is drained */
		}
	}
	goto out;
drain:
	while ((r = PQgetResult(pc->c)) != NULL)
		PQclear(r);
out:
	PQclear(cols);
	inn_pg_put(s, pc);
	return rc;
}

/* One value of a dumped row as a parameter (NULL for null); buf holds
 * the text of a number. */
static const char *
param_of(json_object *v, char *buf, size_t size)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return NULL;
	case json_type_boolean:
		return json_object_get_boolean(v) ? "1" : "0";
	case json_type_int:
		snprintf(buf, size, "%lld", (long long)json_object_get_int64(v));
		return buf;
	case json_type_string:
		return json_object_get_string(v);
	default:  /* a double, object or array: its JSON text */
		return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	}
}

#define LOAD_MAX_COLS 24

int
inn_pg_load(inn_store *st, const char *table, json_object *row)
{
	struct pg_store *s = PG(st);
	const struct table_spec *t = spec_of(table);
	const char *vals[LOAD_MAX_COLS];
	char nums[LOAD_MAX_COLS][24], sql[4096], ph[32];
	size_t off = 0, voff = 0;
	char values[2048];
	struct pg_conn *pc;
	PGresult *cols = NULL, *r;
	int rc, i, n = 0, ncols;

	if (t == NULL)
		return inn_error_set(INN_EINVAL, "store: no table \"%s\" to load", table);
	if ((rc = inn_pg_get(s, &pc)) < 0)
		return rc;
	if ((rc = columns(s, pc, table, &cols)) < 0)
		goto out;
	ncols = PQntuples(cols);
	/* every key must be a column */
	json_object_object_foreach(row, key, val) {
		(void)val;
		for (i = 0; i < ncols && strcmp(PQgetvalue(cols, i, 0), key) != 0; i++)
			;
		if (i == ncols) {
			rc = inn_error_set(INN_EINVAL, "store: table %s has no column \"%.64s\"",
			                   table, key);
			goto out;
		}
	}
	rc = add(sql, sizeof(sql), &off, "INSERT INTO \"", table, "\" (");
	values[0] = '\0';
	for (i = 0; rc == 0 && i < ncols && n < LOAD_MAX_COLS; i++) {
		const char *c = PQgetvalue(cols, i, 0);
		json_object *v;

		if (!json_object_object_get_ex(row, c, &v))
			continue;
		vals[n] = param_of(v, nums[n], sizeof(nums[n]));
		snprintf(ph, sizeof(ph), inn_pg_int(cols, i, 1) ? "decode($%d, 'hex')" : "$%d",
		         n + 1);
		rc = add(sql, sizeof(sql), &off, n > 0 ? ", \"" : "\"", c, "\"");
		if (rc == 0)
			rc = add(values, sizeof(values), &voff, n > 0 ? ", " : "", ph, "");
		n++;
	}
	if (rc == 0 && n == 0)
		rc = inn_error_set(INN_EINVAL, "store: an empty row for %s", table);
	if (rc == 0)
		rc = add(sql, sizeof(sql), &off, ") VALUES (", values, ")");
	if (rc < 0)
		goto out;
	r = PQexecParams(pc->c, sql, n, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		rc = inn_pg_fail(s, pc->c, r, "loading a row");
		/* classes 22 (data) and 23 (constraints): the row's fault, not the store's */
		if (state != NULL && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0))
			rc = INN_EINVAL;
		rc = inn_error_set(rc, "%s (table %s)", inn_error_last(), table);
		PQclear(r);
		goto out;
	}
	PQclear(r);
	/* the identity sequence past the ids loaded */
	if (t->identity != NULL) {
		off = 0;
		if ((rc = add(sql, sizeof(sql), &off, "SELECT setval(pg_get_serial_sequence($1, $2), "
		              "GREATEST(1, (SELECT MAX(\"", t->identity, "\") FROM \"")) == 0 &&
		    (rc = add(sql, sizeof(sql), &off, table, "\")))", "")) == 0)
			rc = inn_pg_q(s, pc, NULL, NULL, "moving an id sequence", PQ_NONE, sql, "tt",
			              table, t->identity);
	}
out:
	PQclear(cols);
	inn_pg_put(s, pc);
	return rc;
}

int
inn_pg_empty(inn_store *st)
{
	struct pg_done done;
	int rc;

	rc = inn_pg_run(PG(st), NULL, &done, "checking whether the store is empty", PQ_NONE,
	                "SELECT NOT EXISTS (SELECT 1 FROM executions) AND "
	                "NOT EXISTS (SELECT 1 FROM users) AND "
	                "NOT EXISTS (SELECT 1 FROM provider_sources) AND "
	                "NOT EXISTS (SELECT 1 FROM audit) AND "
	                "NOT EXISTS (SELECT 1 FROM applications)", "");
	return rc < 0 ? rc : (int)done.id;
}
