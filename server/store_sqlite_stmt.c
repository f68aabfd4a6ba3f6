/*
 * store_sqlite_stmt.c - the SQLite backend's one statement helper: every
 * operation goes through inn_sq_exec (a statement without rows) or
 * inn_sq_rows / inn_sq_json_rows (a query), which take the store's lock,
 * prepare the cached statement on first use, bind the parameters from a
 * letter list, step, read each row, reset and unlock, with the error
 * wording ("store PATH: what: why") in one place.
 */
#include "store_sqlite_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"

/* Sets the error from the connection's last failure: "store PATH: what: why". */
int
inn_sq_fail(struct sqlite_store *s, const char *what)
{
	int code = sqlite3_errcode(s->db) == SQLITE_NOMEM ? INN_ENOMEM : INN_ERROR;

	return inn_error_set(code, "store %s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

/* The cached statement id, prepared on first use; NULL with the error set. */
static sqlite3_stmt *
stmt(struct sqlite_store *s, enum stmt_id id)
{
	if (s->stmts[id] == NULL &&
	    sqlite3_prepare_v3(s->db, inn_sq_stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
	                       &s->stmts[id], NULL) != SQLITE_OK) {
		inn_sq_fail(s, "preparing a statement");
		s->stmts[id] = NULL;
	}
	return s->stmts[id];
}

/* Readies a used statement for its next caller. */
static void
stmt_done(sqlite3_stmt *q)
{
	if (q != NULL) {
		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
	}
}

/* Undoes a failed transaction, keeping the message of what failed. */
void
inn_sq_rollback(struct sqlite_store *s)
{
	sqlite3_stmt *q;

	if (sqlite3_get_autocommit(s->db))
		return;  /* SQLite already rolled back */
	if ((q = stmt(s, ST_ROLLBACK)) != NULL) {
		sqlite3_step(q);
		stmt_done(q);
	}
}

/* NULL binds SQL NULL.  The string must outlive the step (SQLITE_STATIC). */
int
inn_sq_bind_text(sqlite3_stmt *q, int i, const char *v)
{
	return v == NULL ? sqlite3_bind_null(q, i) : sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC);
}

int
inn_sq_bind_fail(struct sqlite_store *s)
{
	return inn_sq_fail(s, "binding a value");
}

/* Binds ?1, ?2, ... from ap, one letter of binds each (the letters are
 * in store_sqlite_int.h).  0, or the error "binding a value". */
static int
sq_bind(struct sqlite_store *s, sqlite3_stmt *q, const char *binds, va_list ap)
{
	int i, rc = SQLITE_OK;
	json_object *j;
	const char *t;
	int64_t v;

	for (i = 0; rc == SQLITE_OK && binds[i] != '\0'; i++) {
		switch (binds[i]) {
		case 't':
			rc = inn_sq_bind_text(q, i + 1, va_arg(ap, const char *));
			break;
		case 'i':
			rc = sqlite3_bind_int(q, i + 1, va_arg(ap, int));
			break;
		case 'I':
			rc = sqlite3_bind_int64(q, i + 1, va_arg(ap, int64_t));
			break;
		case 'd':
			v = va_arg(ap, int64_t);
			rc = v == 0 ? sqlite3_bind_null(q, i + 1) : sqlite3_bind_int64(q, i + 1, v);
			break;
		case 'h':
			rc = sqlite3_bind_blob(q, i + 1, va_arg(ap, const unsigned char *),
			                       INN_STORE_KEY_HASH_LEN, SQLITE_STATIC);
			break;
		case 'j':
		case 'o':
			if ((j = va_arg(ap, json_object *)) == NULL) {
				rc = binds[i] == 'o' ? sqlite3_bind_text(q, i + 1, "{}", -1, SQLITE_STATIC)
				                     : sqlite3_bind_null(q, i + 1);
				break;
			}
			if ((t = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN)) == NULL)
				return inn_error_set(INN_ENOMEM, "store: out of memory writing JSON");
			rc = sqlite3_bind_text(q, i + 1, t, -1, SQLITE_TRANSIENT);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	return rc == SQLITE_OK ? 0 : inn_sq_bind_fail(s);
}

/* One statement without rows, start to finish (contract in the header). */
int
inn_sq_exec(struct sqlite_store *s, struct sq_done *done, enum stmt_id id, const char *what,
            const char *binds, ...)
{
	sqlite3_stmt *q;
	va_list ap;
	int rc;

	if (done != NULL)
		memset(done, 0, sizeof(*done));
	pthread_mutex_lock(&s->lock);
	if ((q = stmt(s, id)) == NULL) {
		pthread_mutex_unlock(&s->lock);
		return INN_ERROR;
	}
	va_start(ap, binds);
	rc = sq_bind(s, q, binds, ap);
	va_end(ap);
	if (rc == 0 && sqlite3_step(q) != SQLITE_DONE) {
		rc = inn_sq_fail(s, what);
		if (done != NULL)
			done->fk = sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_FOREIGNKEY;
	} else if (rc == 0 && done != NULL) {
		done->rowid = sqlite3_last_insert_rowid(s->db);
		done->changes = sqlite3_changes(s->db);
	}
	stmt_done(q);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int
sq_vrows(struct sqlite_store *s, enum stmt_id id, const char *what, sq_row_fn row, void *ud,
         const char *binds, va_list ap)
{
	sqlite3_stmt *q;
	int rc, step = SQLITE_DONE;

	pthread_mutex_lock(&s->lock);
	if ((q = stmt(s, id)) == NULL) {
		pthread_mutex_unlock(&s->lock);
		return INN_ERROR;
	}
	rc = sq_bind(s, q, binds, ap);
	while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
		rc = row(q, ud);
	if (rc == 0 && step != SQLITE_DONE)
		rc = inn_sq_fail(s, what);
	stmt_done(q);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* One query, row(q, ud) for each row (contract in the header). */
int
inn_sq_rows(struct sqlite_store *s, enum stmt_id id, const char *what, sq_row_fn row,
            void *ud, const char *binds, ...)
{
	va_list ap;
	int rc;

	va_start(ap, binds);
	rc = sq_vrows(s, id, what, row, ud, binds, ap);
	va_end(ap);
	return rc;
}

/* A text column as a malloc'd string (NULL for SQL NULL); *err on ENOMEM. */
char *
inn_sq_col_text(sqlite3_stmt *q, int i, int *err)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	char *copy;

	if (t == NULL)
		return NULL;
	if ((copy = strdup((const char *)t)) == NULL)
		*err = inn_error_set(INN_ENOMEM, "store: out of memory reading a row");
	return copy;
}

void
inn_sq_col_texts(sqlite3_stmt *q, int first, char **const *dst, size_t n, int *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		*dst[i] = inn_sq_col_text(q, first + (int)i, err);
}

/* A JSON text column parsed (NULL for SQL NULL); *err when it does not parse. */
json_object *
inn_sq_col_json(sqlite3_stmt *q, int i, const char *what, int64_t id, int *err)
{
	const char *t = (const char *)sqlite3_column_text(q, i);
	json_object *v;

	if (t == NULL)
		return NULL;
	if ((v = json_tokener_parse(t)) == NULL)
		*err = inn_error_set(INN_ERROR, "store: %s of %lld is not valid JSON: %.60s",
		                     what, (long long)id, t);
	return v;
}

/* One more element of a struct sq_list (contract in the header). */
int
inn_sq_list_row(sqlite3_stmt *q, void *ud)
{
	struct sq_list *l = ud;
	char *grown = inn_array_reserve(l->list, &l->cap, l->count + 1, l->size, 8);

	if (grown == NULL)
		return inn_error_set(INN_ENOMEM, "store: out of memory reading rows");
	l->list = grown;
	grown += l->count++ * l->size;
	memset(grown, 0, l->size);
	return l->fill(q, grown, l->ud);
}

/* json_object_object_add() that owns v even on failure; NULL v with
 * need set means its allocation failed. */
static int
jset(json_object *o, const char *key, json_object *v, int need)
{
	if ((need && v == NULL) || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return inn_error_set(INN_ENOMEM, "store: out of memory building JSON");
	}
	return 0;
}

/* Column i of q as member key of o, the way kind says; id names the row
 * in the message of a JSON column that does not parse. */
static int
jset_col(json_object *o, const char *key, enum sq_jkind kind, sqlite3_stmt *q, int i,
         int64_t id)
{
	const char *t;
	json_object *v;
	int err = 0;

	switch (kind) {
	case SQ_J_INT:
		return jset(o, key, json_object_new_int64(sqlite3_column_int64(q, i)), 1);
	case SQ_J_INT_OR_NULL:
		if (sqlite3_column_type(q, i) == SQLITE_NULL)
			return jset(o, key, NULL, 0);
		return jset(o, key, json_object_new_int64(sqlite3_column_int64(q, i)), 1);
	case SQ_J_TEXT:
		t = (const char *)sqlite3_column_text(q, i);
		return t == NULL ? jset(o, key, NULL, 0) : jset(o, key, json_object_new_string(t), 1);
	case SQ_J_JSON:
		v = inn_sq_col_json(q, i, key, id, &err);
		return err < 0 ? err : jset(o, key, v, 0);
	}
	return inn_error_set(INN_ERROR, "store: column %s of an unknown kind", key);
}

struct json_rows {
	json_object *arr;
	const struct sq_jfield *fields;
};

/* inn_sq_rows() row function for struct json_rows: one more object, its
 * members the row's columns in the order of the fields. */
static int
json_row(sqlite3_stmt *q, void *ud)
{
	struct json_rows *j = ud;
	json_object *o = json_object_new_object();
	int64_t id = sqlite3_column_int64(q, 0);
	int i, rc = 0;

	if (o == NULL || json_object_array_add(j->arr, o) != 0) {
		json_object_put(o);
		return inn_error_set(INN_ENOMEM, "store: out of memory building JSON");
	}
	for (i = 0; rc == 0 && j->fields[i].key != NULL; i++)
		rc = jset_col(o, j->fields[i].key, j->fields[i].kind, q, i, id);
	return rc;
}

/* One query into a JSON array of objects (contract in the header). */
int
inn_sq_json_rows(struct sqlite_store *s, enum stmt_id id, const char *what,
                 const struct sq_jfield *fields, json_object **out, const char *binds, ...)
{
	struct json_rows j = { json_object_new_array(), fields };
	va_list ap;
	int rc;

	if (j.arr == NULL)
		return inn_error_set(INN_ENOMEM, "store: out of memory building JSON");
	va_start(ap, binds);
	rc = sq_vrows(s, id, what, json_row, &j, binds, ap);
	va_end(ap);
	if (rc < 0) {
		json_object_put(j.arr);
		return rc;
	}
	*out = j.arr;
	return 0;
}
