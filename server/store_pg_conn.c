/*
 * store_pg_conn.c - the PostgreSQL backend's connections and its one
 * statement helper: a pool of PG_POOL connections guarded by a mutex and
 * a condition (each operation checks one out for its statements), a
 * broken connection reconnected once before an operation fails, every
 * value sent as a parameter (PQexecPrepared / PQexecParams, never spliced
 * into SQL), the fixed statements prepared once per connection, and the
 * error wording ("store URL: what: why", the URL's password as ***) in one
 * place.
 */
#include "config.h"

#include "store_pg_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store.h"

/* ---- the URL in messages ---------------------------------------------------- */

char *
inn_pg_redact(const char *url)
{
	/* "***" for a password of one byte: at most 2 bytes more per byte */
	size_t len = strlen(url) * 3 + 4;
	char *out = malloc(len);

	if (out != NULL)
		inn_store_url_redact(url, out, len);
	return out;
}

/* ---- errors ------------------------------------------------------------------ */

/* The message of r, or of the connection, on one line. */
static void
why(PGconn *c, const PGresult *r, char *buf, size_t size)
{
	const char *m = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	size_t i;

	if (m == NULL && r != NULL)
		m = PQresultErrorMessage(r);
	if ((m == NULL || *m == '\0') && c != NULL)
		m = PQerrorMessage(c);
	snprintf(buf, size, "%s", m != NULL && *m != '\0' ? m : "unknown error");
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = buf[i + 1] == '\0' ? '\0' : ' ';
}

int
inn_pg_fail(struct pg_store *s, PGconn *c, const PGresult *r, const char *what)
{
	char msg[512];

	why(c, r, msg, sizeof(msg));
	return inn_error_set(INN_ERROR, "store %s: %s: %s", s->shown, what, msg);
}

/* ---- connections -------------------------------------------------------------- */

int
inn_pg_connect(struct pg_store *s, PGconn **out)
{
	/* the URL's own settings win over these (it comes later); a password
	 * given apart (inn_store_open_with; NULL: none) after it wins over its */
	static const char *const keys[] = { "connect_timeout", "fallback_application_name",
	                                    "dbname", "password", NULL };
	const char *vals[] = { "10", "innominatus", s->url, s->password, NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	PGresult *r;
	int rc;

	if (c == NULL)
		return inn_error_set(INN_ENOMEM, "store %s: out of memory connecting", s->shown);
	if (PQstatus(c) != CONNECTION_OK) {
		rc = inn_pg_fail(s, c, NULL, "connecting");
		PQfinish(c);
		return rc;
	}
	/* notices (e.g. "relation already exists, skipping") are not ours to print */
	PQsetNoticeProcessor(c, NULL, NULL);
	r = PQexec(c, "SET client_min_messages = warning");
	PQclear(r);
	*out = c;
	return 0;
}

int
inn_pg_reconnect(struct pg_store *s, struct pg_conn *pc)
{
	if (pc->c != NULL)
		PQfinish(pc->c);
	pc->c = NULL;
	memset(pc->prepared, 0, sizeof(pc->prepared));
	pc->tagged = 0;
	return inn_pg_connect(s, &pc->c);
}

/* Sets inn.replica on pc (the triggers tag rows with it). */
static int
tag(struct pg_store *s, struct pg_conn *pc, const char *me)
{
	int rc = inn_pg_q(s, pc, NULL, NULL, "tagging a connection", PQ_TAG, NULL, "t", me);

	if (rc == 0)
		pc->tagged = 1;
	return rc;
}

/* The connection of this thread's group (inn_pg_begin), if any. */
static __thread struct pg_store *tx_store;
static __thread struct pg_conn *tx_conn;

int
inn_pg_get(struct pg_store *s, struct pg_conn **out)
{
	struct pg_conn *pc = NULL;
	char me[sizeof(s->me)];
	size_t i;
	int rc = 0;

	if (tx_store == s) {
		*out = tx_conn;
		return 0;
	}
	pthread_mutex_lock(&s->mu);
	for (;;) {
		for (i = 0; i < PG_POOL && pc == NULL; i++)
			if (!s->pool[i].busy && s->pool[i].c != NULL)
				pc = &s->pool[i];
		for (i = 0; i < PG_POOL && pc == NULL; i++)
			if (!s->pool[i].busy)
				pc = &s->pool[i];
		if (pc != NULL)
			break;
		pthread_cond_wait(&s->cv, &s->mu);
	}
	pc->busy = 1;
	memcpy(me, s->me, sizeof(me));
	pthread_mutex_unlock(&s->mu);

	if (pc->c == NULL || PQstatus(pc->c) != CONNECTION_OK)
		rc = inn_pg_reconnect(s, pc);
	if (rc == 0 && !pc->tagged && me[0] != '\0')
		rc = tag(s, pc, me);
	if (rc < 0) {
		inn_pg_put(s, pc);
		return rc;
	}
	*out = pc;
	return 0;
}

void
inn_pg_put(struct pg_store *s, struct pg_conn *pc)
{
	if (tx_store == s && pc == tx_conn)
		return;  /* the group keeps it until commit */
	pthread_mutex_lock(&s->mu);
	pc->busy = 0;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* ---- the statement helper ------------------------------------------------------ */

#define PG_MAX_PARAMS 24

struct params {
	const char *v[PG_MAX_PARAMS];
	int len[PG_MAX_PARAMS];
	int fmt[PG_MAX_PARAMS];
	char num[PG_MAX_PARAMS][24];
	int n;
};

/* Fills p from ap, one letter of binds each (store_pg_int.h). */
static int
bind(struct params *p, const char *binds, va_list ap)
{
	json_object *j;
	int64_t v;
	int i;

	for (i = 0; binds[i] != '\0'; i++) {
		if (i >= PG_MAX_PARAMS)
			return inn_error_set(INN_ERROR, "store: too many parameters");
		p->len[i] = 0;
		p->fmt[i] = 0;
		switch (binds[i]) {
		case 't':
			p->v[i] = va_arg(ap, const char *);
			break;
		case 'i':
			snprintf(p->num[i], sizeof(p->num[i]), "%d", va_arg(ap, int));
			p->v[i] = p->num[i];
			break;
		case 'I':
		case 'd':
			v = va_arg(ap, int64_t);
			snprintf(p->num[i], sizeof(p->num[i]), "%lld", (long long)v);
			p->v[i] = binds[i] == 'd' && v == 0 ? NULL : p->num[i];
			break;
		case 'h':
			p->v[i] = (const char *)va_arg(ap, const unsigned char *);
			p->len[i] = INN_STORE_KEY_HASH_LEN;
			p->fmt[i] = 1;
			break;
		case 'j':
		case 'o':
			if ((j = va_arg(ap, json_object *)) == NULL) {
				p->v[i] = binds[i] == 'o' ? "{}" : NULL;
				break;
			}
			if ((p->v[i] = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN)) == NULL)
				return inn_error_set(INN_ENOMEM, "store: out of memory writing JSON");
			break;
		default:
			return inn_error_set(INN_ERROR, "store: bad parameter letter '%c'", binds[i]);
		}
	}
	p->n = i;
	return 0;
}

/* What a failed or finished statement did; 0 or the error. */
static int
finish(struct pg_store *s, struct pg_conn *pc, PGresult *r, PGresult **res,
       struct pg_done *done, const char *what)
{
	ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	const char *t, *state;
	int rc;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		if (done != NULL)
			done->fk = state != NULL && strcmp(state, "23503") == 0;
		rc = r == NULL && PQstatus(pc->c) == CONNECTION_OK
		     ? inn_error_set(INN_ENOMEM, "store %s: %s: out of memory", s->shown, what)
		     : inn_pg_fail(s, pc->c, r, what);
		PQclear(r);
		return rc;
	}
	if (done != NULL) {
		if (st == PGRES_TUPLES_OK) {
			done->changes = PQntuples(r);
			if (done->changes > 0 && PQnfields(r) > 0)
				done->id = inn_pg_int(r, 0, 0);
		} else if ((t = PQcmdTuples(r)) != NULL && *t != '\0') {
			done->changes = (int)strtol(t, NULL, 10);
		}
	}
	if (res != NULL)
		*res = r;
	else
		PQclear(r);
	return 0;
}

static int
vq(struct pg_store *s, struct pg_conn *pc, PGresult **res, struct pg_done *done,
   const char *what, int id, const char *sql, const char *binds, va_list ap)
{
	struct params p;
	char name[16];
	PGresult *r;
	int rc;

	if (done != NULL)
		memset(done, 0, sizeof(*done));
	if (res != NULL)
		*res = NULL;
	if ((rc = bind(&p, binds, ap)) < 0)
		return rc;
	if (id == PQ_NONE) {
		r = PQexecParams(pc->c, sql, p.n, NULL, p.v, p.len, p.fmt, 0);
		return finish(s, pc, r, res, done, what);
	}
	snprintf(name, sizeof(name), "inn%d", id);
	if (!pc->prepared[id]) {
		r = PQprepare(pc->c, name, inn_pg_sql[id], 0, NULL);
		if ((rc = finish(s, pc, r, NULL, NULL, "preparing a statement")) < 0)
			return inn_error_set(rc, "%s (%s)", inn_error_last(), what);
		pc->prepared[id] = 1;
	}
	r = PQexecPrepared(pc->c, name, p.n, p.v, p.len, p.fmt, 0);
	return finish(s, pc, r, res, done, what);
}

int
inn_pg_q(struct pg_store *s, struct pg_conn *pc, PGresult **res, struct pg_done *done,
         const char *what, int id, const char *sql, const char *binds, ...)
{
	va_list ap;
	int rc;

	va_start(ap, binds);
	rc = vq(s, pc, res, done, what, id, sql, binds, ap);
	va_end(ap);
	return rc;
}

int
inn_pg_run(struct pg_store *s, PGresult **res, struct pg_done *done, const char *what, int id,
           const char *sql, const char *binds, ...)
{
	struct pg_conn *pc;
	va_list ap;
	int rc, tries;

	for (tries = 0; tries < 2; tries++) {
		if ((rc = inn_pg_get(s, &pc)) < 0)
			return rc;
		va_start(ap, binds);
		rc = vq(s, pc, res, done, what, id, sql, binds, ap);
		va_end(ap);
		/* the connection broke under the statement: once more on a new one */
		if (rc < 0 && PQstatus(pc->c) != CONNECTION_OK && tries == 0 && pc != tx_conn) {
			if (inn_pg_reconnect(s, pc) < 0) {
				inn_pg_put(s, pc);
				return rc;
			}
			inn_pg_put(s, pc);
			continue;
		}
		inn_pg_put(s, pc);
		break;
	}
	return rc;
}

/* begin: this thread's statements go to one connection, in one
 * transaction, until commit.  A statement that fails inside the group
 * aborts it: commit then reports the failure and nothing of the group is
 * kept (PostgreSQL has no statement-level recovery without a savepoint
 * per statement, which would cost the round trips the group saves). */
int
inn_pg_begin(inn_store *st)
{
	struct pg_store *s = PG(st);
	struct pg_conn *pc;
	int rc;

	if (tx_store != NULL)
		return inn_error_set(INN_EINVAL, "store %s: a group is already open on this "
		                     "thread", s->shown);
	if ((rc = inn_pg_get(s, &pc)) < 0)
		return rc;
	if ((rc = inn_pg_cmd(s, pc, "BEGIN", "starting a transaction")) < 0) {
		inn_pg_put(s, pc);
		return rc;
	}
	tx_store = s;
	tx_conn = pc;
	return 0;
}

int
inn_pg_commit(inn_store *st)
{
	struct pg_store *s = PG(st);
	struct pg_conn *pc = tx_conn;
	PGresult *r;
	int rc = 0;

	if (tx_store != s)
		return inn_error_set(INN_EINVAL, "store %s: commit without begin", s->shown);
	tx_store = NULL;
	tx_conn = NULL;
	r = PQexec(pc->c, "COMMIT");
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = inn_pg_fail(s, pc->c, r, "committing");
	else if (strcmp(PQcmdStatus(r), "COMMIT") != 0)  /* an aborted group rolls back */
		rc = inn_error_set(INN_ERROR, "store %s: committing: a statement of the "
		                   "transaction failed, nothing of it was kept", s->shown);
	PQclear(r);
	inn_pg_put(s, pc);
	return rc;
}

/* Ends this thread's group, keeping nothing of it (an import that failed
 * half way). */
int
inn_pg_group_rollback(inn_store *st)
{
	struct pg_store *s = PG(st);
	struct pg_conn *pc = tx_conn;

	if (tx_store != s)
		return inn_error_set(INN_EINVAL, "store %s: rollback without begin", s->shown);
	tx_store = NULL;
	tx_conn = NULL;
	inn_pg_rollback(pc);
	inn_pg_put(s, pc);
	return 0;
}

int
inn_pg_cmd(struct pg_store *s, struct pg_conn *pc, const char *sql, const char *what)
{
	return finish(s, pc, PQexec(pc->c, sql), NULL, NULL, what);
}

void
inn_pg_rollback(struct pg_conn *pc)
{
	PQclear(PQexec(pc->c, "ROLLBACK"));
}

/* ---- reading results -------------------------------------------------------------- */

char *
inn_pg_text(const PGresult *r, int row, int col, int *err)
{
	char *copy;

	if (PQgetisnull(r, row, col))
		return NULL;
	if ((copy = strdup(PQgetvalue(r, row, col))) == NULL)
		*err = inn_error_set(INN_ENOMEM, "store: out of memory reading a row");
	return copy;
}

int64_t
inn_pg_int(const PGresult *r, int row, int col)
{
	const char *v;

	if (PQgetisnull(r, row, col))
		return 0;
	v = PQgetvalue(r, row, col);
	if (v[0] == 't' || v[0] == 'f')   /* a boolean */
		return v[0] == 't';
	return (int64_t)strtoll(v, NULL, 10);
}

json_object *
inn_pg_json(const PGresult *r, int row, int col, const char *what, int64_t id, int *err)
{
	const char *t;
	json_object *v;

	if (PQgetisnull(r, row, col))
		return NULL;
	t = PQgetvalue(r, row, col);
	if ((v = json_tokener_parse(t)) == NULL && strcmp(t, "null") != 0)
		*err = inn_error_set(INN_ERROR, "store: %s of %lld is not valid JSON: %.60s",
		                     what, (long long)id, t);
	return v;
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

int
inn_pg_json_obj(const PGresult *r, int row, const struct pg_jfield *fields, json_object **out)
{
	json_object *o = json_object_new_object(), *v;
	int64_t id = inn_pg_int(r, row, 0);
	int i, rc = 0, err;

	if (o == NULL)
		return inn_error_set(INN_ENOMEM, "store: out of memory building JSON");
	for (i = 0; rc == 0 && fields[i].key != NULL; i++) {
		const char *key = fields[i].key;

		if (PQgetisnull(r, row, i) && fields[i].kind != PG_J_INT) {
			rc = jset(o, key, NULL, 0);
			continue;
		}
		switch (fields[i].kind) {
		case PG_J_INT:
		case PG_J_INT_OR_NULL:
			rc = jset(o, key, json_object_new_int64(inn_pg_int(r, row, i)), 1);
			break;
		case PG_J_BOOL:
			rc = jset(o, key, json_object_new_boolean(inn_pg_int(r, row, i) != 0), 1);
			break;
		case PG_J_TEXT:
			rc = jset(o, key, json_object_new_string(PQgetvalue(r, row, i)), 1);
			break;
		case PG_J_JSON:
			err = 0;
			v = inn_pg_json(r, row, i, key, id, &err);
			rc = err < 0 ? err : jset(o, key, v, 0);
			break;
		}
	}
	if (rc < 0) {
		json_object_put(o);
		return rc;
	}
	*out = o;
	return 0;
}

int
inn_pg_json_rows(const PGresult *r, const struct pg_jfield *fields, json_object **out)
{
	json_object *arr = json_object_new_array(), *o;
	int i, rc = 0;

	if (arr == NULL)
		return inn_error_set(INN_ENOMEM, "store: out of memory building JSON");
	for (i = 0; rc == 0 && i < PQntuples(r); i++) {
		if ((rc = inn_pg_json_obj(r, i, fields, &o)) == 0 &&
		    json_object_array_add(arr, o) != 0) {
			json_object_put(o);
			rc = inn_error_set(INN_ENOMEM, "store: out of memory building JSON");
		}
	}
	if (rc < 0) {
		json_object_put(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

static int
cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
inn_pg_ids(const PGresult *r, int64_t **ids, size_t *n)
{
	size_t count = (size_t)PQntuples(r), i;
	int64_t *list;

	if ((list = calloc(count + 1, sizeof(*list))) == NULL)
		return inn_error_set(INN_ENOMEM, "store: out of memory reading ids");
	for (i = 0; i < count; i++)
		list[i] = inn_pg_int(r, (int)i, 0);
	qsort(list, count, sizeof(*list), cmp_id);
	*ids = list;
	*n = count;
	return 0;
}
