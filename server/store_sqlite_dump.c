/*
 * store_sqlite_dump.c - export / import of a SQLite store (store.h, "moving
 * a store"): every row of a table as a JSON object in key order, one row
 * of a dump inserted as it is, and whether the store is a fit target.
 *
 * The SQL here is built, unlike elsewhere in the backend, because a dump
 * goes over every column of a table whatever its migrations added: table
 * names come from inn_store_tables (checked by store.c) and the key
 * orders below, column names only from the table's own statement (a row's
 * member that is not a column is refused before any SQL is made).  Values
 * are always bound.
 */
#include "store_sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* The key order of each dumped table (parents before children is the
 * caller's: inn_store_tables). */
static const struct {
	const char *table;
	const char *order;
} keys[] = {
	{ "teams", "name" }, { "users", "name" }, { "api_keys", "id" },
	{ "executions", "id" }, { "steps", "exec_id, idx" }, { "step_logs", "seq" },
	{ "events", "id" }, { "audit", "id" }, { "provider_sources", "name" },
	{ "applications", "name" }, { "resources", "app, name" },
};

static const char *
key_order(const char *table)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].table, table) == 0)
			return keys[i].order;
	return NULL;
}

/* Prepares sql on the connection (caller holds the lock); NULL with the
 * error "store PATH: what: why". */
static sqlite3_stmt *
prepare(struct sqlite_store *s, const char *sql, const char *what)
{
	sqlite3_stmt *q = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) {
		inn_sq_fail(s, what);
		sqlite3_finalize(q);
		return NULL;
	}
	return q;
}

/* Column i of the current row as a dump value: integer, string, null, a
 * blob as lowercase hex (a real, which no table holds, as a number). */
static json_object *
column_value(sqlite3_stmt *q, int i)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b;
	json_object *v;
	char *h;
	int n, k;

	switch (sqlite3_column_type(q, i)) {
	case SQLITE_INTEGER:
		return json_object_new_int64(sqlite3_column_int64(q, i));
	case SQLITE_FLOAT:
		return json_object_new_double(sqlite3_column_double(q, i));
	case SQLITE_TEXT:
		return json_object_new_string_len((const char *)sqlite3_column_text(q, i),
		                                  sqlite3_column_bytes(q, i));
	case SQLITE_BLOB:
		b = sqlite3_column_blob(q, i);
		n = sqlite3_column_bytes(q, i);
		if ((h = malloc((size_t)n * 2 + 1)) == NULL)
			return NULL;
		for (k = 0; k < n; k++) {
			h[2 * k] = hex[b[k] >> 4];
			h[2 * k + 1] = hex[b[k] & 0x0f];
		}
		h[2 * n] = '\0';
		v = json_object_new_string(h);
		free(h);
		return v;
	default:
		return NULL;  /* SQL NULL: JSON null */
	}
}

int
inn_sqlite_dump(inn_store *st, const char *table, int (*fn)(void *ud, json_object *row),
                void *ud)
{
	struct sqlite_store *s = SQ(st);
	const char *order = key_order(table);
	sqlite3_stmt *q = NULL;
	json_object *row;
	char sql[256];
	int rc = 0, step, i, ncol;

	if (order == NULL)
		return inn_error_set(INN_EINVAL, "store %s: no key order for table %s", s->path,
		                     table);
	snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY %s", table, order);
	pthread_mutex_lock(&s->lock);
	if ((q = prepare(s, sql, "reading a table to dump")) == NULL) {
		rc = inn_error_set(INN_ERROR, "%s (table %s)", inn_error_last(), table);
		goto out;
	}
	ncol = sqlite3_column_count(q);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		row = json_object_new_object();
		for (i = 0; i < ncol && row != NULL; i++) {
			json_object *v = column_value(q, i);

			if (v == NULL && sqlite3_column_type(q, i) != SQLITE_NULL) {
				json_object_put(row);
				row = NULL;
			} else {
				json_object_object_add(row, sqlite3_column_name(q, i), v);
			}
		}
		if (row == NULL) {
			rc = inn_error_set(INN_ENOMEM, "store %s: out of memory dumping %s", s->path,
			                   table);
			goto out;
		}
		rc = fn(ud, row);
		json_object_put(row);
		if (rc != 0)
			goto out;
	}
	if (step != SQLITE_DONE)
		rc = inn_sq_fail(s, "reading a table to dump");
out:
	sqlite3_finalize(q);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* The bytes of lowercase (or uppercase) hex text; NULL when it is not hex
 * or of odd length (or out of memory: *nomem). */
static unsigned char *
unhex(const char *t, size_t len, size_t *n, int *nomem)
{
	unsigned char *b;
	size_t i;
	int hi, lo;

	*nomem = 0;
	if (len % 2 != 0)
		return NULL;
	if ((b = malloc(len / 2 + 1)) == NULL) {
		*nomem = 1;
		return NULL;
	}
	for (i = 0; i < len; i += 2) {
		hi = t[i] >= '0' && t[i] <= '9' ? t[i] - '0' : (t[i] | 0x20) >= 'a' &&
		     (t[i] | 0x20) <= 'f' ? (t[i] | 0x20) - 'a' + 10 : -1;
		lo = t[i + 1] >= '0' && t[i + 1] <= '9' ? t[i + 1] - '0' :
		     (t[i + 1] | 0x20) >= 'a' && (t[i + 1] | 0x20) <= 'f' ?
		     (t[i + 1] | 0x20) - 'a' + 10 : -1;
		if (hi < 0 || lo < 0) {
			free(b);
			return NULL;
		}
		b[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	*n = len / 2;
	return b;
}

/* The index of column name in the table's statement q, or -1. */
static int
column_index(sqlite3_stmt *q, const char *name)
{
	int i, n = sqlite3_column_count(q);

	for (i = 0; i < n; i++)
		if (strcmp(sqlite3_column_name(q, i), name) == 0)
			return i;
	return -1;
}

/* Binds v, the dumped value of column col (declared type decl), as
 * parameter i of ins. */
static int
bind_value(struct sqlite_store *s, sqlite3_stmt *ins, int i, const char *table,
           const char *col, const char *decl, json_object *v)
{
	unsigned char *b;
	const char *t;
	size_t n = 0;
	int len, nomem, rc;

	switch (json_object_get_type(v)) {
	case json_type_null:
		rc = sqlite3_bind_null(ins, i);
		break;
	case json_type_int:
		rc = sqlite3_bind_int64(ins, i, json_object_get_int64(v));
		break;
	case json_type_string:
		t = json_object_get_string(v);
		len = json_object_get_string_len(v);
		if (decl == NULL || strcmp(decl, "BLOB") != 0) {
			rc = sqlite3_bind_text(ins, i, t, len, SQLITE_STATIC);
			break;
		}
		if ((b = unhex(t, (size_t)len, &n, &nomem)) == NULL)
			return nomem ? inn_error_set(INN_ENOMEM, "store %s: out of memory", s->path)
			             : inn_error_set(INN_EINVAL, "table %s, column %s: \"%.20s\" is "
			                             "not hex (a binary column)", table, col, t);
		rc = sqlite3_bind_blob(ins, i, b, (int)n, free);
		break;
	default:
		return inn_error_set(INN_EINVAL, "table %s, column %s: a dump holds integers, "
		                     "strings and null, not %s", table, col,
		                     json_type_to_name(json_object_get_type(v)));
	}
	return rc == SQLITE_OK ? 0 : inn_sq_bind_fail(s);
}

/* *sql gets "INSERT INTO table ("c", ...) VALUES (?1, ...)" for the
 * members of row, each checked first against the table's columns (cols:
 * "SELECT * FROM table"). */
static int
insert_sql(sqlite3_stmt *cols, const char *table, json_object *row, char **sql)
{
	size_t cap = strlen(table) + 32, len;
	char *q;
	int n = 0;

	*sql = NULL;
	json_object_object_foreach(row, key, val) {
		(void)val;
		if (column_index(cols, key) < 0)
			return inn_error_set(INN_EINVAL, "table %s has no column \"%.64s\"", table,
			                     key);
		cap += strlen(key) + 4 + 16;  /* "key", and ?N, */
		n++;
	}
	if (n == 0)
		return inn_error_set(INN_EINVAL, "a row of %s has no columns", table);
	if ((q = malloc(cap)) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory loading %s", table);
	len = (size_t)snprintf(q, cap, "INSERT INTO %s (", table);
	n = 0;
	json_object_object_foreach(row, k2, v2) {
		(void)v2;
		len += (size_t)snprintf(q + len, cap - len, "%s\"%s\"", n++ ? ", " : "", k2);
	}
	len += (size_t)snprintf(q + len, cap - len, ") VALUES (");
	for (n = 1; n <= json_object_object_length(row); n++)
		len += (size_t)snprintf(q + len, cap - len, "%s?%d", n > 1 ? ", " : "", n);
	snprintf(q + len, cap - len, ")");
	*sql = q;
	return 0;
}

int
inn_sqlite_load(inn_store *st, const char *table, json_object *row)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *cols = NULL, *ins = NULL;
	char sql[128], *isql = NULL;
	int rc = 0, i = 0;

	snprintf(sql, sizeof(sql), "SELECT * FROM %s", table);
	pthread_mutex_lock(&s->lock);
	if ((cols = prepare(s, sql, "reading a table's columns")) == NULL) {
		rc = INN_ERROR;
		goto out;
	}
	if ((rc = insert_sql(cols, table, row, &isql)) < 0)
		goto out;
	if ((ins = prepare(s, isql, "preparing a row's insert")) == NULL) {
		rc = INN_ERROR;
		goto out;
	}
	json_object_object_foreach(row, key, val) {
		int c = column_index(cols, key);

		if ((rc = bind_value(s, ins, ++i, table, key, sqlite3_column_decltype(cols, c),
		                     val)) < 0)
			goto out;
	}
	if (sqlite3_step(ins) != SQLITE_DONE) {
		char what[64];

		snprintf(what, sizeof(what), "loading a row of %s", table);
		rc = inn_sq_fail(s, what);
		/* a row the schema refuses is the row's fault, not the store's */
		if ((sqlite3_errcode(s->db) & 0xff) == SQLITE_CONSTRAINT ||
		    sqlite3_errcode(s->db) == SQLITE_MISMATCH)
			rc = inn_error_set(INN_EINVAL, "%s", inn_error_last());
	}
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(cols);
	free(isql);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int
inn_sqlite_empty(inn_store *st)
{
	struct sqlite_store *s = SQ(st);
	sqlite3_stmt *q;
	int rc;

	pthread_mutex_lock(&s->lock);
	q = prepare(s, "SELECT EXISTS (SELECT 1 FROM executions) OR EXISTS (SELECT 1 FROM users) "
	            "OR EXISTS (SELECT 1 FROM provider_sources) OR EXISTS (SELECT 1 FROM audit) "
	            "OR EXISTS (SELECT 1 FROM applications)", "checking the store is empty");
	if (q == NULL)
		rc = INN_ERROR;
	else if (sqlite3_step(q) == SQLITE_ROW)
		rc = sqlite3_column_int(q, 0) ? 0 : 1;
	else
		rc = inn_sq_fail(s, "checking the store is empty");
	sqlite3_finalize(q);
	pthread_mutex_unlock(&s->lock);
	return rc;
}
