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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"

/* Sets the error from connection db's last failure: "store PATH: what: why". */
int
inn_sq_fail_db(struct sqlite_store *s, sqlite3 *db, const char *what)
{
	int code = sqlite3_errcode(db) == SQLITE_NOMEM ? INN_ENOMEM : INN_ERROR;

	return inn_error_set(code, "store %s: %s: %s", s->path, what, sqlite3_errmsg(db));
}

/* Sets the error from the writer's last failure. */
int
inn_sq_fail(struct sqlite_store *s, const char *what)
{
	return inn_sq_fail_db(s, s->db, what);
}

/* The cached statement id of connection c, prepared on first use; NULL
 * with the error set. */
static sqlite3_stmt *
conn_stmt(struct sqlite_store *s, const struct sq_conn *c, enum stmt_id id)
{
	if (c->stmts[id] == NULL &&
	    sqlite3_prepare_v3(c->db, inn_sq_stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
	                       &c->stmts[id], NULL) != SQLITE_OK) {
		inn_sq_fail_db(s, c->db, "preparing a statement");
		c->stmts[id] = NULL;
	}
	return c->stmts[id];
}

/* The writer's cached statement id (caller holds the store's lock). */
static sqlite3_stmt *
stmt(struct sqlite_store *s, enum stmt_id id)
{
	struct sq_conn c = { s->db, s->stmts, NULL };

	return conn_stmt(s, &c, id);
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

/* ---- connections ------------------------------------------------------------ */

void
inn_sq_conn_read(struct sqlite_store *s, struct sq_conn *c)
{
	unsigned int i, first;

	/* A recursive trylock succeeds when the writer is free or already
	 * ours; an open transaction on it is then this thread's own. */
	if (pthread_mutex_trylock(&s->lock) == 0) {
		if (s->nreaders == 0 || !sqlite3_get_autocommit(s->db)) {
			*c = (struct sq_conn){ s->db, s->stmts, &s->lock };
			return;
		}
		pthread_mutex_unlock(&s->lock);
	} else if (s->nreaders == 0) {
		pthread_mutex_lock(&s->lock);
		*c = (struct sq_conn){ s->db, s->stmts, &s->lock };
		return;
	}
	first = __atomic_fetch_add(&s->next_reader, 1, __ATOMIC_RELAXED);
	for (i = 0; i < (unsigned int)s->nreaders; i++) {
		struct sq_reader *r = &s->readers[(first + i) % (unsigned int)s->nreaders];

		if (pthread_mutex_trylock(&r->lock) == 0) {
			*c = (struct sq_conn){ r->db, r->stmts, &r->lock };
			return;
		}
	}
	{
		struct sq_reader *r = &s->readers[first % (unsigned int)s->nreaders];

		pthread_mutex_lock(&r->lock);
		*c = (struct sq_conn){ r->db, r->stmts, &r->lock };
	}
}

void
inn_sq_conn_done(struct sq_conn *c)
{
	pthread_mutex_unlock(c->held);
}

int
inn_sq_readers_open(struct sqlite_store *s)
{
	int i;

	for (i = 0; i < SQ_READERS; i++) {
		struct sq_reader *r = &s->readers[i];
		char *msg = NULL;

		if (sqlite3_open_v2(s->path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
		                    NULL) != SQLITE_OK) {
			int rc = r->db != NULL ? inn_sq_fail_db(s, r->db, "opening a read connection")
			                       : inn_error_set(INN_ENOMEM, "store %s: out of memory",
			                                       s->path);

			sqlite3_close(r->db);
			r->db = NULL;
			return rc;
		}
		sqlite3_extended_result_codes(r->db, 1);
		sqlite3_busy_timeout(r->db, 5000);
		if (sqlite3_exec(r->db, "PRAGMA query_only = ON", NULL, NULL, &msg) != SQLITE_OK) {
			int rc = inn_error_set(INN_ERROR, "store %s: setting up a read connection: %s",
			                       s->path, msg != NULL ? msg : sqlite3_errmsg(r->db));

			sqlite3_free(msg);
			sqlite3_close(r->db);
			r->db = NULL;
			return rc;
		}
		if (pthread_mutex_init(&r->lock, NULL) != 0) {
			sqlite3_close(r->db);
			r->db = NULL;
			return inn_error_set(INN_ERROR, "store %s: cannot create a mutex", s->path);
		}
		s->nreaders = i + 1;
	}
	return 0;
}

void
inn_sq_readers_close(struct sqlite_store *s)
{
	int i;
	size_t k;

	for (i = 0; i < s->nreaders; i++) {
		for (k = 0; k < ST_COUNT; k++)
			sqlite3_finalize(s->readers[i].stmts[k]);
		sqlite3_close(s->readers[i].db);
		pthread_mutex_destroy(&s->readers[i].lock);
	}
	s->nreaders = 0;
}

/* ---- binding ---------------------------------------------------------------- */

/* One parameter, read from the caller's arguments before any lock is
 * taken (a queued write is run by another thread: it cannot read the
 * caller's va_list). */
struct sq_arg {
	char kind;                   /* 'n' NULL, 't' text, 'i' integer, 'h' key hash */
	int64_t i;
	const void *p;
};

/* Reads the arguments after binds (letters in store_sqlite_int.h) into
 * a[].  The count, or the error. */
static int
sq_pack(const char *binds, va_list ap, struct sq_arg *a)
{
	json_object *j;
	int n;

	for (n = 0; binds[n] != '\0'; n++) {
		struct sq_arg *x = &a[n];

		if (n == SQ_MAX_BINDS)
			return inn_error_set(INN_ERROR, "store: more than %d parameters", SQ_MAX_BINDS);
		switch (binds[n]) {
		case 't':
			x->p = va_arg(ap, const char *);
			x->kind = x->p == NULL ? 'n' : 't';
			break;
		case 'i':
			x->kind = 'i';
			x->i = va_arg(ap, int);
			break;
		case 'I':
			x->kind = 'i';
			x->i = va_arg(ap, int64_t);
			break;
		case 'd':
			x->i = va_arg(ap, int64_t);
			x->kind = x->i == 0 ? 'n' : 'i';
			break;
		case 'h':
			x->kind = 'h';
			x->p = va_arg(ap, const unsigned char *);
			break;
		case 'j':
		case 'o':
			if ((j = va_arg(ap, json_object *)) == NULL) {
				x->kind = binds[n] == 'o' ? 't' : 'n';
				x->p = "{}";
				break;
			}
			/* the text belongs to j, which outlives the statement */
			if ((x->p = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN)) == NULL)
				return inn_error_set(INN_ENOMEM, "store: out of memory writing JSON");
			x->kind = 't';
			break;
		default:
			return inn_error_set(INN_ERROR, "store: unknown parameter kind '%c'", binds[n]);
		}
	}
	return n;
}

/* Binds ?1..?n from a[].  0, or the error "binding a value". */
static int
sq_bind(struct sqlite_store *s, sqlite3 *db, sqlite3_stmt *q, const struct sq_arg *a, int n)
{
	int i, rc = SQLITE_OK;

	for (i = 0; rc == SQLITE_OK && i < n; i++) {
		switch (a[i].kind) {
		case 'n':
			rc = sqlite3_bind_null(q, i + 1);
			break;
		case 't':
			rc = sqlite3_bind_text(q, i + 1, a[i].p, -1, SQLITE_STATIC);
			break;
		case 'i':
			rc = sqlite3_bind_int64(q, i + 1, a[i].i);
			break;
		case 'h':
			rc = sqlite3_bind_blob(q, i + 1, a[i].p, INN_STORE_KEY_HASH_LEN, SQLITE_STATIC);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	return rc == SQLITE_OK ? 0 : inn_sq_fail_db(s, db, "binding a value");
}

/* ---- writes and group commit ---------------------------------------------- */

/* One write: the statement, its parameters, and once run what it did. */
struct sq_req {
	enum stmt_id id;
	const char *what;
	struct sq_arg args[SQ_MAX_BINDS];
	int nargs;
	struct sq_done done;
	int rc;
	int finished;                /* committed (rc 0) or failed (rc, msg) */
	char msg[512];               /* the error of a write run by the combiner */
	struct sq_req *next;
};

/* Runs r on the writer (caller holds the store's lock): r->rc, r->done. */
static void
run_write(struct sqlite_store *s, struct sq_req *r)
{
	sqlite3_stmt *q;

	memset(&r->done, 0, sizeof(r->done));
	if ((q = stmt(s, r->id)) == NULL) {
		r->rc = INN_ERROR;
		return;
	}
	r->rc = sq_bind(s, s->db, q, r->args, r->nargs);
	if (r->rc == 0 && sqlite3_step(q) != SQLITE_DONE) {
		r->rc = inn_sq_fail(s, r->what);
		r->done.fk = sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_FOREIGNKEY;
	} else if (r->rc == 0) {
		r->done.rowid = sqlite3_last_insert_rowid(s->db);
		r->done.changes = sqlite3_changes(s->db);
	}
	stmt_done(q);
}

/* Keeps the message of r's failure for its own thread. */
static void
keep_error(struct sq_req *r)
{
	snprintf(r->msg, sizeof(r->msg), "%s", inn_error_last());
}

/* Fails the writes of a batch that ran before the transaction was lost. */
static void
fail_ran(struct sq_req *from, struct sq_req *to, int rc, const char *why)
{
	for (; from != to; from = from->next)
		if (from->rc == 0) {
			from->rc = rc;
			snprintf(from->msg, sizeof(from->msg), "%s", why);
		}
}

/* Runs a queued batch as one transaction (caller holds the store's lock
 * and no transaction is open): each write, then one COMMIT.  A write that
 * fails leaves the others in (SQLite undoes that statement alone); if the
 * transaction itself is lost, the writes already run fail with it. */
static void
run_batch(struct sqlite_store *s, struct sq_req *batch)
{
	struct sq_req *r, *first = batch;
	sqlite3_stmt *q;
	char why[512];
	int rc;

	if (batch->next == NULL) {  /* one write: autocommit */
		run_write(s, batch);
		if (batch->rc < 0)
			keep_error(batch);
		return;
	}
	for (r = batch; r != NULL; r = r->next) {
		if (sqlite3_get_autocommit(s->db)) {
			first = r;
			if ((q = stmt(s, ST_BEGIN)) == NULL || sqlite3_step(q) != SQLITE_DONE) {
				rc = q == NULL ? INN_ERROR : inn_sq_fail(s, "starting a transaction");
				stmt_done(q);
				snprintf(why, sizeof(why), "%s", inn_error_last());
				fail_ran(r, NULL, rc, why);  /* this write and the rest */
				return;
			}
			stmt_done(q);
		}
		run_write(s, r);
		if (r->rc < 0) {
			keep_error(r);
			if (sqlite3_get_autocommit(s->db))
				fail_ran(first, r, r->rc, r->msg);  /* the transaction is gone */
		}
	}
	if (sqlite3_get_autocommit(s->db))
		return;
	if ((q = stmt(s, ST_COMMIT)) == NULL || sqlite3_step(q) != SQLITE_DONE) {
		rc = q == NULL ? INN_ERROR : inn_sq_fail(s, "committing");
		stmt_done(q);
		snprintf(why, sizeof(why), "%s", inn_error_last());
		inn_sq_rollback(s);
		fail_ran(first, NULL, rc, why);
		return;
	}
	stmt_done(q);
}

/* The writes waiting in the queue, taken off it (gc_mu held). */
static struct sq_req *
queue_take(struct sqlite_store *s)
{
	struct sq_req *batch = s->gc_head;

	s->gc_head = NULL;
	s->gc_tail = &s->gc_head;
	return batch;
}

/* Tells the writes of batch that they are done, counts them and wakes
 * their threads (gc_mu held).  A write may be gone once its thread sees
 * it finished, so next is read first. */
static void
batch_finished(struct sqlite_store *s, struct sq_req *batch)
{
	struct sq_req *b, *next;

	for (b = batch; b != NULL; b = next) {
		next = b->next;
		b->finished = 1;
		s->gc_grouped++;
	}
	pthread_cond_broadcast(&s->gc_cond);
}

/* The queued writes, run inside the transaction this thread holds open
 * (sqlite_commit, before its COMMIT): one commit for all of them. */
struct sq_req *
inn_sq_group_join(struct sqlite_store *s)
{
	struct sq_req *batch, *r;

	if (sqlite3_get_autocommit(s->db))
		return NULL;
	pthread_mutex_lock(&s->gc_mu);
	batch = queue_take(s);
	pthread_mutex_unlock(&s->gc_mu);
	for (r = batch; r != NULL; r = r->next) {
		if (sqlite3_get_autocommit(s->db)) {
			/* an earlier one lost the transaction: the COMMIT fails too */
			r->rc = INN_ERROR;
			snprintf(r->msg, sizeof(r->msg), "store %s: the transaction was rolled "
			         "back", s->path);
			continue;
		}
		run_write(s, r);
		if (r->rc < 0)
			keep_error(r);
	}
	return batch;
}

/* Wakes the writes inn_sq_group_join() ran, once the COMMIT answered rc
 * (its error, when negative, is theirs). */
void
inn_sq_group_settle(struct sqlite_store *s, struct sq_req *batch, int rc)
{
	if (batch == NULL)
		return;
	if (rc < 0)
		fail_ran(batch, NULL, rc, inn_error_last());
	pthread_mutex_lock(&s->gc_mu);
	batch_finished(s, batch);
	pthread_mutex_unlock(&s->gc_mu);
}

/* A write that found the writer busy: queued, and committed by whichever
 * waiting writer becomes the combiner next (maybe this one). */
static void
group_write(struct sqlite_store *s, struct sq_req *r)
{
	struct sq_req *batch;

	pthread_mutex_lock(&s->gc_mu);
	r->next = NULL;
	*s->gc_tail = r;
	s->gc_tail = &r->next;
	while (!r->finished) {
		if (s->gc_busy) {
			pthread_cond_wait(&s->gc_cond, &s->gc_mu);
			continue;
		}
		s->gc_busy = 1;
		pthread_mutex_unlock(&s->gc_mu);
		/* what queues while the writer is busy joins this batch */
		pthread_mutex_lock(&s->lock);
		pthread_mutex_lock(&s->gc_mu);
		batch = queue_take(s);
		pthread_mutex_unlock(&s->gc_mu);
		if (batch != NULL)
			run_batch(s, batch);
		pthread_mutex_unlock(&s->lock);
		pthread_mutex_lock(&s->gc_mu);
		s->gc_batches++;
		s->gc_busy = 0;
		batch_finished(s, batch);
	}
	pthread_mutex_unlock(&s->gc_mu);
}

/* Non-zero while writes wait in the queue (a hint, read without gc_mu). */
static int
queued(struct sqlite_store *s)
{
	return __atomic_load_n(&s->gc_head, __ATOMIC_RELAXED) != NULL;
}

/* r and the writes queued before it, as one transaction, by this thread
 * (it holds the writer, outside any transaction). */
static void
combine_locked(struct sqlite_store *s, struct sq_req *r)
{
	struct sq_req *batch;

	pthread_mutex_lock(&s->gc_mu);
	r->next = NULL;
	*s->gc_tail = r;
	batch = queue_take(s);
	pthread_mutex_unlock(&s->gc_mu);
	run_batch(s, batch);
	pthread_mutex_lock(&s->gc_mu);
	s->gc_batches++;
	batch_finished(s, batch);
	pthread_mutex_unlock(&s->gc_mu);
}

/* One statement without rows, start to finish (contract in the header). */
int
inn_sq_exec(struct sqlite_store *s, struct sq_done *done, enum stmt_id id, const char *what,
            const char *binds, ...)
{
	struct sq_req r;
	va_list ap;

	if (done != NULL)
		memset(done, 0, sizeof(*done));
	r.id = id;
	r.what = what;
	r.rc = 0;
	r.finished = 0;
	r.msg[0] = '\0';
	va_start(ap, binds);
	r.nargs = sq_pack(binds, ap, r.args);
	va_end(ap);
	if (r.nargs < 0)
		return r.nargs;
	/* A free writer (or one this thread holds: inside a transaction, or a
	 * transaction's BEGIN and COMMIT themselves) runs the write at once;
	 * when writes wait in the queue, it runs them too, with this one, in
	 * one transaction. */
	if (id == ST_BEGIN || id == ST_COMMIT || id == ST_ROLLBACK ||
	    pthread_mutex_trylock(&s->lock) == 0) {
		if (id == ST_BEGIN || id == ST_COMMIT || id == ST_ROLLBACK)
			pthread_mutex_lock(&s->lock);
		if (queued(s) && sqlite3_get_autocommit(s->db))
			combine_locked(s, &r);
		else
			run_write(s, &r);
		pthread_mutex_unlock(&s->lock);
		if (r.rc < 0 && r.msg[0] != '\0')
			inn_error_set(r.rc, "%s", r.msg);
	} else {
		group_write(s, &r);
		if (r.rc < 0)
			inn_error_set(r.rc, "%s", r.msg);
	}
	if (done != NULL)
		*done = r.done;
	return r.rc;
}

static int
sq_vrows(struct sqlite_store *s, enum stmt_id id, const char *what, sq_row_fn row, void *ud,
         const char *binds, va_list ap)
{
	struct sq_arg args[SQ_MAX_BINDS];
	struct sq_conn c;
	sqlite3_stmt *q;
	int rc, n, step = SQLITE_DONE;

	if ((n = sq_pack(binds, ap, args)) < 0)
		return n;
	inn_sq_conn_read(s, &c);
	if ((q = conn_stmt(s, &c, id)) == NULL) {
		inn_sq_conn_done(&c);
		return INN_ERROR;
	}
	rc = sq_bind(s, c.db, q, args, n);
	while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
		rc = row(q, ud);
	if (rc == 0 && step != SQLITE_DONE)
		rc = inn_sq_fail_db(s, c.db, what);
	stmt_done(q);
	inn_sq_conn_done(&c);
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
