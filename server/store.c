/*
 * store.c - the store's public face (see store.h): picks the backend from
 * the path's scheme, checks arguments and clamps limits once for every
 * backend, then dispatches through struct inn_store_ops (store_int.h).
 * Also the pieces every backend shares: API key generation and
 * hashing (OpenSSL), and the row destructors.
 */
#include "config.h"

#include "store.h"
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "clock.h"
#include "error.h"
#include "secret_file.h"
#include "sha256.h"
#include "state.h"

static const struct inn_store_ops *const backends[] = {
	&inn_store_sqlite_ops,
#ifdef HAVE_LIBPQ
	&inn_store_pg_ops,
#endif
};

/* An execution's (or resource's) status: a state word (state.h) other
 * than the steps-only "skipped". */
static int
exec_status_ok(const char *s)
{
	inn_state st;

	return inn_state_parse(s, &st) == 0 && st != INN_STATE_SKIPPED;
}

static const char *const exec_kinds[] = { "workflow", "golden-path", "deploy", "delete",
	                                   NULL };

static int
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

#define CHECK_STORE(st) do { \
	if ((st) == NULL) \
		return inn_error_set(INN_EINVAL, "%s: no store", __func__); \
} while (0)

#define CHECK_ARG(cond) do { \
	if (!(cond)) \
		return inn_error_set(INN_EINVAL, "%s: %s is required", __func__, #cond); \
} while (0)

/* A list getter's start: a store, both out-params, both cleared. */
#define CHECK_LIST(st, rows, n) do { \
	CHECK_STORE(st); \
	CHECK_ARG(rows != NULL); \
	CHECK_ARG(n != NULL); \
	*(rows) = NULL; \
	*(n) = 0; \
} while (0)

/* Names end up in fixed-size inn_principal fields, so bound them here. */
static int
check_name_max(const char *what, const char *s, size_t max)
{
	if (s == NULL || *s == '\0')
		return inn_error_set(INN_EINVAL, "store: %s must not be empty", what);
	if (strlen(s) > max)
		return inn_error_set(INN_EINVAL, "store: %s \"%.40s...\" is longer than %zu bytes",
		                     what, s, max);
	return 0;
}

static int
check_name(const char *what, const char *s)
{
	return check_name_max(what, s, INN_STORE_NAME_MAX);
}

/* Application and resource names: what the Score loader accepts (128). */
#define APP_NAME_MAX 128

static int
clamp_limit(int limit)
{
	if (limit <= 0)
		return INN_STORE_LIMIT_DEFAULT;
	return limit > INN_STORE_LIMIT_MAX ? INN_STORE_LIMIT_MAX : limit;
}

/* ---- how long calls take ------------------------------------------------ */

enum { METER_READ, METER_WRITE };

/* When the calling thread's current call began (ns, monotonic clock); a
 * backend never calls back into store.c, so calls do not nest. */
static _Thread_local int64_t meter_t0;

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
meter_mark(void)
{
	meter_t0 = mono_ns();
}

/* Counts the call begun at meter_mark() in class cls; returns rc.  "Not
 * found" and INN_STORE_LOST are answers, not failures. */
static int
meter_end(inn_store *st, int cls, int rc)
{
	static const long long bounds[INN_STORE_LAT_BUCKETS] = INN_STORE_LAT_BOUNDS;
	struct inn_store_meter *m = &st->meter;
	long long us = (long long)(mono_ns() - meter_t0) / 1000;
	int b = 0;

	while (b < INN_STORE_LAT_BUCKETS && us > bounds[b])
		b++;
	atomic_fetch_add_explicit(&m->calls[cls], 1, memory_order_relaxed);
	if (rc < 0 && rc != INN_ENOTFOUND && rc != INN_STORE_LOST)
		atomic_fetch_add_explicit(&m->errors[cls], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->us_sum[cls], us, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->bucket[cls][b], 1, memory_order_relaxed);
	return rc;
}

/* The backend call, timed (the comma orders the mark before the call). */
#define METERED(st, cls, call) (meter_mark(), meter_end((st), (cls), (call)))

void
inn_store_stats_get(inn_store *st, inn_store_stats *out)
{
	int c, b;

	if (out == NULL)
		return;
	memset(out, 0, sizeof(*out));
	if (st == NULL)
		return;
	for (c = 0; c < 2; c++) {
		out->calls[c] = atomic_load(&st->meter.calls[c]);
		out->errors[c] = atomic_load(&st->meter.errors[c]);
		out->us_sum[c] = atomic_load(&st->meter.us_sum[c]);
		for (b = 0; b <= INN_STORE_LAT_BUCKETS; b++)
			out->bucket[c][b] = atomic_load(&st->meter.bucket[c][b]);
	}
}

/* ---- opening -------------------------------------------------------------- */

/* "sqlite:PATH", "sqlite://PATH" or a plain PATH (SQLite).  Any other
 * "scheme://" is refused by name rather than taken for a file name. */
int
inn_store_open_with(inn_store **out, const char *path, const char *password)
{
	const char *colon, *target = path;
	const struct inn_store_ops *ops = backends[0];
	char shown[512];
	size_t i, len;

	if (out == NULL || path == NULL || *path == '\0')
		return inn_error_set(INN_EINVAL, "store: no store path given");
	*out = NULL;
	inn_store_url_redact(path, shown, sizeof(shown));
	colon = strchr(path, ':');
	if (colon != NULL && strcmp(path, ":memory:") != 0) {
		len = (size_t)(colon - path);
		/* PostgreSQL: the whole URL goes to libpq (never printed: it may hold a password) */
		if ((len == 8 && strncmp(path, "postgres", 8) == 0) ||
		    (len == 10 && strncmp(path, "postgresql", 10) == 0)) {
#ifdef HAVE_LIBPQ
			return inn_store_pg_ops.open(out, path, password);
#else
			return inn_error_set(INN_EINVAL, "store: %.*s:// needs an innominatus built "
			                     "with PostgreSQL (configure --with-postgresql; libpq-dev)",
			                     (int)len, path);
#endif
		}
		ops = NULL;
		for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
			if (strlen(backends[i]->scheme) == len &&
			    strncmp(path, backends[i]->scheme, len) == 0)
				ops = backends[i];
		if (ops != NULL) {
			target = colon + 1;
			if (strncmp(target, "//", 2) == 0)
				target += 2;
		} else if (strncmp(colon, "://", 3) == 0) {
			return inn_error_set(INN_EINVAL, "store: unsupported store \"%.*s://\" in %s "
			                     "(supported: sqlite:PATH or a file path)", (int)len,
			                     path, shown);
		} else {
			ops = backends[0];  /* a file name that happens to hold ':' */
		}
	}
	if (*target == '\0')
		return inn_error_set(INN_EINVAL, "store: %s names no file", shown);
	return ops->open(out, target, password);
}

int
inn_store_open(inn_store **out, const char *path)
{
	return inn_store_open_with(out, path, NULL);
}

int
inn_store_schema_found(inn_store *st)
{
	CHECK_STORE(st);
	return st->schema_found;
}

/* ---- libpq's keyword/value conninfo ------------------------------------ */

/* libpq's grammar: pairs "key = value" separated by blanks, with blanks
 * allowed around '='; a value is either single-quoted (a backslash escapes
 * the next character) or runs up to the next blank (where a backslash too
 * escapes the next character).  One recogniser serves the redaction and
 * the question "is this a conninfo" (start, reload, --check-config): text
 * that is recognised alike everywhere cannot be masked in one place and
 * taken for a file name in another. */
static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static size_t
conninfo_key(const char *p)
{
	size_t n = 0;

	if (!((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z') || p[0] == '_'))
		return 0;
	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
	       (p[n] >= '0' && p[n] <= '9') || p[n] == '_')
		n++;
	return n;
}

int
inn_store_is_conninfo(const char *s)
{
	size_t i = 0, k;

	if (s == NULL)
		return 0;
	while (blank(s[i]))
		i++;
	if ((k = conninfo_key(s + i)) == 0)
		return 0;
	for (i += k; blank(s[i]); i++)
		;
	return s[i] == '=';
}

/* The pair of conninfo s at *at: its key [*ks, *ks + *kl) and its value
 * [*vs, *ve) (quotes included); *at moves past it.  1: a pair; 0: the end;
 * -1: text that is no pair (from *vs = where it starts to the end). */
static int
conninfo_pair(const char *s, size_t *at, size_t *ks, size_t *kl, size_t *vs, size_t *ve)
{
	size_t i = *at;

	while (blank(s[i]))
		i++;
	if (s[i] == '\0')
		return 0;
	*ks = i;
	*vs = i;
	*ve = i + strlen(s + i);
	if ((*kl = conninfo_key(s + i)) == 0)
		return -1;
	for (i += *kl; blank(s[i]); i++)
		;
	if (s[i] != '=')
		return -1;
	for (i++; blank(s[i]); i++)
		;
	*vs = i;
	if (s[i] == '\'') {
		for (i++; s[i] != '\0' && s[i] != '\''; i++)
			if (s[i] == '\\' && s[i + 1] != '\0')
				i++;
		if (s[i] == '\'')
			i++;
	} else {
		for (; s[i] != '\0' && !blank(s[i]); i++)
			if (s[i] == '\\' && s[i + 1] != '\0')
				i++;
	}
	*ve = i;
	*at = i;
	return 1;
}

/* The next password of conninfo s at or after from: a "password" (or
 * "sslpassword") value, or the rest of text that is no pair (it may hold
 * one: better masked than shown). */
static int
conninfo_password(const char *s, size_t from, size_t *ps, size_t *pe)
{
	size_t at = 0, ks, kl, vs, ve;
	int r;

	while ((r = conninfo_pair(s, &at, &ks, &kl, &vs, &ve)) != 0) {
		int secret = r < 0 || (kl == 8 && strncmp(s + ks, "password", 8) == 0) ||
		             (kl == 11 && strncmp(s + ks, "sslpassword", 11) == 0);

		/* an empty value ('' or nothing) is no password */
		if (secret && vs >= from && ve > vs &&
		    !(ve - vs == 2 && s[vs] == '\'' && s[vs + 1] == '\'')) {
			*ps = vs;
			*pe = ve;
			return 1;
		}
		if (r < 0)
			break;
	}
	return 0;
}

/* The next password in url at or after offset from: [*s, *e).  A conninfo
 * has its own grammar (above); in a URL two kinds: the userinfo's
 * "user:PASSWORD@" of a "scheme://" URL (up to its last '@' before any
 * '?', so that a password with a raw '@' or '/' is still found whole), and
 * the value of a "password=" parameter of its query.  0 when there is
 * none. */
static int
next_password(const char *url, size_t from, size_t *s, size_t *e)
{
	const char *auth = strstr(url, "://"), *q, *at = NULL, *c, *p;
	size_t best_s = (size_t)-1, best_e = 0;

	if (inn_store_is_conninfo(url))
		return conninfo_password(url, from, s, e);
	if (auth != NULL) {
		auth += 3;
		q = auth + strcspn(auth, "?#");
		for (p = auth; p < q; p++)
			if (*p == '@')
				at = p;
		c = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (c != NULL && (size_t)(c + 1 - url) >= from && c + 1 < at) {
			best_s = (size_t)(c + 1 - url);
			best_e = (size_t)(at - url);
		}
	}
	for (p = url + from; (p = strstr(p, "password=")) != NULL; p++) {
		if (p != url && strchr("?& \t", p[-1]) == NULL)
			continue;
		p += strlen("password=");
		if ((size_t)(p - url) < best_s && strcspn(p, "&# \t") > 0) {
			best_s = (size_t)(p - url);
			best_e = best_s + strcspn(p, "&# \t");
		}
		break;
	}
	if (best_s == (size_t)-1 || best_e <= best_s)
		return 0;
	*s = best_s;
	*e = best_e;
	return 1;
}

const char *
inn_store_url_redact(const char *url, char *buf, size_t len)
{
	size_t at = 0, from = 0, s, e;

	if (buf == NULL || len == 0)
		return buf;
	if (url == NULL)
		url = "(none)";
	buf[0] = '\0';
	while (next_password(url, from, &s, &e)) {
		at += (size_t)snprintf(buf + at, len - at, "%.*s***", (int)(s - from), url + from);
		if (at >= len)
			return buf;
		from = e;
	}
	snprintf(buf + at, len - at, "%s", url + from);
	return buf;
}

int
inn_store_url_has_password(const char *url)
{
	size_t s, e;

	return url != NULL && next_password(url, 0, &s, &e);
}

int
inn_store_url_argv_check(const char *url)
{
	char shown[512];

	if (!inn_store_url_has_password(url))
		return 0;
	return inn_error_set(INN_EINVAL, "the store URL %s holds a password, which every user "
	                     "of this machine could read in the process list: give it in "
	                     "PGPASSWORD or a PGPASSFILE, or in a file of mode 0600 named by "
	                     "--db-password-file (innominatus: also server.dbPasswordFile, or "
	                     "the whole URL as server.db in its config file)",
	                     inn_store_url_redact(url, shown, sizeof(shown)));
}

int
inn_store_password_file_read(const char *file, char **out)
{
	char *text = NULL;
	size_t n;
	int rc;

	if (out == NULL || file == NULL)
		return inn_error_set(INN_EINVAL, "store: no password file given");
	*out = NULL;
	if ((rc = inn_secret_file_read(file, 4096, &text, NULL)) < 0)
		return inn_error_set(rc, "password file %s: %s", file, inn_error_last());
	n = strcspn(text, "\r\n");
	if (n == 0) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
		return inn_error_set(INN_EINVAL, "password file %s: its first line is empty", file);
	}
	OPENSSL_cleanse(text + n, strlen(text + n));
	text[n] = '\0';
	*out = text;
	return 0;
}

void
inn_store_close(inn_store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

int
inn_store_ping(inn_store *st)
{
	CHECK_STORE(st);
	return METERED(st, METER_READ, st->ops->ping(st));
}

int
inn_store_begin(inn_store *st)
{
	CHECK_STORE(st);
	return st->ops->begin ? METERED(st, METER_WRITE, st->ops->begin(st)) : 0;
}

int
inn_store_commit(inn_store *st)
{
	CHECK_STORE(st);
	return st->ops->commit ? METERED(st, METER_WRITE, st->ops->commit(st)) : 0;
}

int
inn_store_rollback(inn_store *st)
{
	CHECK_STORE(st);
	if (st->ops->rollback == NULL)
		return inn_error_set(INN_ERROR, "store: the %s backend cannot undo a transaction",
		                     st->ops->scheme);
	return METERED(st, METER_WRITE, st->ops->rollback(st));
}

int
inn_store_schema_version(inn_store *st)
{
	CHECK_STORE(st);
	return METERED(st, METER_READ, st->ops->schema_version(st));
}

/* ---- executions ------------------------------------------------------ */

int
inn_store_exec_create(inn_store *st, inn_exec_row *row)
{
	CHECK_STORE(st);
	CHECK_ARG(row != NULL);
	CHECK_ARG(row->workflow != NULL);
	CHECK_ARG(row->kind != NULL);
	CHECK_ARG(row->status != NULL);
	if (!in_list(row->kind, exec_kinds))
		return inn_error_set(INN_EINVAL, "store: execution kind \"%s\" is not "
		                     "workflow, golden-path, deploy or delete", row->kind);
	if (!exec_status_ok(row->status))
		return inn_error_set(INN_EINVAL, "store: \"%s\" is not an execution status",
		                     row->status);
	if (row->retry_of < 0)
		return inn_error_set(INN_EINVAL, "store: retry_of %lld is negative",
		                     (long long)row->retry_of);
	return METERED(st, METER_WRITE, st->ops->exec_create(st, row));
}

int
inn_store_exec_update(inn_store *st, int64_t id, const char *status, const char *message,
                      int64_t started_ms, int64_t ended_ms, json_object *outputs)
{
	CHECK_STORE(st);
	if (status != NULL && !exec_status_ok(status))
		return inn_error_set(INN_EINVAL, "store: \"%s\" is not an execution status",
		                     status);
	return METERED(st, METER_WRITE,
	               st->ops->exec_update(st, id, status, message, started_ms, ended_ms,
	                                    outputs));
}

int
inn_store_exec_get(inn_store *st, int64_t id, inn_exec_row **out)
{
	CHECK_STORE(st);
	CHECK_ARG(out != NULL);
	*out = NULL;
	return METERED(st, METER_READ, st->ops->exec_get(st, id, out));
}

int
inn_store_exec_list(inn_store *st, const inn_exec_filter *f, inn_exec_row ***rows,
                    size_t *n, int64_t *total)
{
	inn_exec_filter c = { 0 };

	CHECK_LIST(st, rows, n);
	if (total != NULL)
		*total = 0;
	if (f != NULL)
		c = *f;
	if (c.page < 1)
		c.page = 1;
	if (c.page_size <= 0)
		c.page_size = INN_STORE_PAGE_SIZE_DEFAULT;
	else if (c.page_size > INN_STORE_PAGE_SIZE_MAX)
		c.page_size = INN_STORE_PAGE_SIZE_MAX;
	return METERED(st, METER_READ, st->ops->exec_list(st, &c, rows, n, total));
}

int
inn_store_exec_ids_with_status(inn_store *st, const char *status, int64_t **ids, size_t *n)
{
	CHECK_LIST(st, ids, n);
	CHECK_ARG(status != NULL);
	return METERED(st, METER_READ, st->ops->exec_ids_with_status(st, status, ids, n));
}

int
inn_store_exec_retried_by(inn_store *st, int64_t id, int64_t *out)
{
	CHECK_STORE(st);
	CHECK_ARG(out != NULL);
	*out = 0;
	return METERED(st, METER_READ, st->ops->exec_retried_by(st, id, out));
}

/* ---- steps ----------------------------------------------------------- */

int
inn_store_step_put(inn_store *st, int64_t exec_id, const inn_step_row *row)
{
	CHECK_STORE(st);
	CHECK_ARG(row != NULL);
	CHECK_ARG(row->name != NULL);
	CHECK_ARG(row->status != NULL);
	if (row->idx < 0)
		return inn_error_set(INN_EINVAL, "store: step index %d is negative", row->idx);
	return METERED(st, METER_WRITE, st->ops->step_put(st, exec_id, row));
}

int
inn_store_steps_get(inn_store *st, int64_t exec_id, inn_step_row **rows, size_t *n)
{
	CHECK_LIST(st, rows, n);
	return METERED(st, METER_READ, st->ops->steps_get(st, exec_id, rows, n));
}

/* ---- step logs ------------------------------------------------------- */

int
inn_store_log_append(inn_store *st, int64_t exec_id, const char *step, int level,
                     int stream, const char *line, int64_t *seq)
{
	return inn_store_log_append_at(st, exec_id, step, level, stream, line, inn_wall_ms(),
	                               seq);
}

int
inn_store_log_append_at(inn_store *st, int64_t exec_id, const char *step, int level,
                        int stream, const char *line, int64_t ts_ms, int64_t *seq)
{
	int64_t dummy;

	CHECK_STORE(st);
	CHECK_ARG(line != NULL);
	return METERED(st, METER_WRITE,
	               st->ops->log_append(st, exec_id, step, level, stream, line, ts_ms,
	                                   seq != NULL ? seq : &dummy));
}

int
inn_store_logs_get(inn_store *st, int64_t exec_id, int64_t after, int limit,
                   json_object **lines)
{
	CHECK_STORE(st);
	CHECK_ARG(lines != NULL);
	*lines = NULL;
	return METERED(st, METER_READ,
	               st->ops->logs_get(st, exec_id, after, clamp_limit(limit), lines));
}

int
inn_store_logs_scrub(inn_store *st, int64_t exec_id, const char *step,
                     inn_store_scrub_fn fn, void *ud, int *changed)
{
	int dummy;

	CHECK_STORE(st);
	CHECK_ARG(step != NULL && fn != NULL);
	return METERED(st, METER_WRITE,
	               st->ops->logs_scrub(st, exec_id, step, fn, ud,
	                                   changed != NULL ? changed : &dummy));
}

/* ---- events ---------------------------------------------------------- */

int
inn_store_event_add(inn_store *st, const char *type, int64_t exec_id, const char *team,
                    json_object *data, int64_t *id)
{
	int64_t dummy;

	CHECK_STORE(st);
	CHECK_ARG(type != NULL);
	return METERED(st, METER_WRITE,
	               st->ops->event_add(st, type, exec_id, team, data, id != NULL ? id : &dummy));
}

int
inn_store_events_after(inn_store *st, int64_t after, const char *team, const char *user,
                       int limit, json_object **events)
{
	CHECK_STORE(st);
	CHECK_ARG(events != NULL);
	*events = NULL;
	return METERED(st, METER_READ,
	               st->ops->events_after(st, after, team, user, clamp_limit(limit), events));
}

/* ---- API keys -------------------------------------------------------- */

#define KEY_NAME_MAX 64

int
inn_store_name_check(const char *what, const char *s)
{
	size_t i, n = s != NULL ? strlen(s) : 0;

	for (i = 0; i < n && i < KEY_NAME_MAX; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') ||
		      (i > 0 && (s[i] == '_' || s[i] == '.' || s[i] == '-'))))
			break;
	if (n == 0 || i < n)
		return inn_error_set(INN_EINVAL, "%s %s: it must be 1 to %d letters, digits, "
		                     "'_', '.' or '-', starting with a letter or digit", what,
		                     n == 0 ? "is empty" : i < KEY_NAME_MAX ?
		                     "has a character outside the rule" : "is too long",
		                     KEY_NAME_MAX);
	return 0;
}

int
inn_store_key_create(inn_store *st, const char *name, const char *role, const char *team,
                     char **plain)
{
	int rc;

	CHECK_STORE(st);
	CHECK_ARG(plain != NULL);
	*plain = NULL;
	if ((rc = inn_store_name_check("key name", name)) < 0)
		return rc;
	if (role == NULL || (strcmp(role, "admin") != 0 && strcmp(role, "user") != 0))
		return inn_error_set(INN_EINVAL, "store: role \"%s\" for key %s is not admin or user",
		                     role != NULL ? role : "(none)", name);
	if (team != NULL && *team == '\0')
		team = NULL;
	if (team != NULL && (rc = inn_store_name_check("team name", team)) < 0)
		return rc;
	return METERED(st, METER_WRITE, st->ops->key_create(st, name, role, team, plain));
}

int
inn_store_key_lookup(inn_store *st, const char *plain, inn_principal *out)
{
	CHECK_STORE(st);
	CHECK_ARG(out != NULL);
	memset(out, 0, sizeof(*out));
	/* Not the shape of our keys: no need to ask the database. */
	if (plain == NULL || strlen(plain) != INN_STORE_KEY_LEN || strncmp(plain, "inn_", 4) != 0)
		return inn_error_set(INN_ENOTFOUND, "unknown API key");
	return METERED(st, METER_READ, st->ops->key_lookup(st, plain, out));
}

int
inn_store_key_revoke(inn_store *st, const char *name)
{
	CHECK_STORE(st);
	CHECK_ARG(name != NULL);
	return METERED(st, METER_WRITE, st->ops->key_revoke(st, name));
}

int
inn_store_key_list(inn_store *st, json_object **keys)
{
	CHECK_STORE(st);
	CHECK_ARG(keys != NULL);
	*keys = NULL;
	return METERED(st, METER_READ, st->ops->key_list(st, keys));
}

/* ---- audit ----------------------------------------------------------- */

int
inn_store_audit(inn_store *st, const char *who, const char *action, const char *target,
                json_object *detail)
{
	CHECK_STORE(st);
	CHECK_ARG(action != NULL);
	return METERED(st, METER_WRITE, st->ops->audit(st, who, action, target, detail));
}

int
inn_store_audit_list(inn_store *st, int limit, int64_t before, json_object **entries)
{
	CHECK_STORE(st);
	CHECK_ARG(entries != NULL && before >= 0);
	*entries = NULL;
	return METERED(st, METER_READ, st->ops->audit_list(st, clamp_limit(limit),
	                                                   before > 0 ? before : INT64_MAX,
	                                                   entries));
}

/* ---- provider sources ------------------------------------------------ */

int
inn_store_source_put(inn_store *st, const inn_source_row *row)
{
	inn_source_row r;
	int rc;

	CHECK_STORE(st);
	CHECK_ARG(row != NULL);
	CHECK_ARG(row->kind != NULL);
	if ((rc = check_name("provider source name", row->name)) < 0)
		return rc;
	if (strcmp(row->kind, "git") == 0) {
		CHECK_ARG(row->url != NULL);
	} else if (strcmp(row->kind, "path") == 0) {
		CHECK_ARG(row->path != NULL);
	} else {
		return inn_error_set(INN_EINVAL, "store: provider source kind \"%s\" is not git "
		                     "or path", row->kind);
	}
	r = *row;
	if (r.added_ms <= 0)
		r.added_ms = inn_wall_ms();
	return METERED(st, METER_WRITE, st->ops->source_put(st, &r));
}

int
inn_store_source_list(inn_store *st, inn_source_row **rows, size_t *n)
{
	CHECK_LIST(st, rows, n);
	return METERED(st, METER_READ, st->ops->source_list(st, rows, n));
}

int
inn_store_source_delete(inn_store *st, const char *name)
{
	CHECK_STORE(st);
	CHECK_ARG(name != NULL);
	return METERED(st, METER_WRITE, st->ops->source_delete(st, name));
}

/* ---- applications and resources -------------------------------------- */

int
inn_store_app_put(inn_store *st, const char *name, const char *team, const char *created_by,
                  int any_owner)
{
	int rc;

	CHECK_STORE(st);
	if ((rc = check_name_max("application name", name, APP_NAME_MAX)) < 0)
		return rc;
	if (team != NULL && *team == '\0')
		team = NULL;
	if (team != NULL && (rc = check_name("team name", team)) < 0)
		return rc;
	return METERED(st, METER_WRITE,
	               st->ops->app_put(st, name, team, created_by, any_owner));
}

int
inn_store_app_list(inn_store *st, const char *team, const char *user, const char *name,
                   inn_app_row **rows, size_t *n)
{
	CHECK_LIST(st, rows, n);
	return METERED(st, METER_READ, st->ops->app_list(st, team, user, name, rows, n));
}

int
inn_store_resource_put(inn_store *st, const inn_resource_row *row)
{
	int rc;

	CHECK_STORE(st);
	CHECK_ARG(row != NULL);
	CHECK_ARG(row->type != NULL);
	CHECK_ARG(row->status != NULL);
	if ((rc = check_name_max("application name", row->app, APP_NAME_MAX)) < 0 ||
	    (rc = check_name_max("resource name", row->name, APP_NAME_MAX)) < 0)
		return rc;
	if (!inn_store_resource_status_ok(row->status))
		return inn_error_set(INN_EINVAL, "store: \"%s\" is not a resource status",
		                     row->status);
	return METERED(st, METER_WRITE, st->ops->resource_put(st, row));
}

int
inn_store_resource_status_ok(const char *s)
{
	static const char *const words[] = { "requested", "provisioning", "active", "failed",
		                             "updating", "terminating", "terminated", NULL };

	return s != NULL && in_list(s, words);
}

int
inn_store_app_update(inn_store *st, const char *name, const char *status, json_object *spec,
                     int64_t expires_ms, int deployed_ok)
{
	static const char *const words[] = { "deploying", "active", "failed", "deleting", NULL };

	CHECK_STORE(st);
	CHECK_ARG(name != NULL);
	if (status != NULL && !in_list(status, words))
		return inn_error_set(INN_EINVAL, "store: \"%s\" is not an application status",
		                     status);
	return METERED(st, METER_WRITE,
	               st->ops->app_update(st, name, status, spec, expires_ms, deployed_ok));
}

int
inn_store_app_delete(inn_store *st, const char *name)
{
	CHECK_STORE(st);
	CHECK_ARG(name != NULL);
	return METERED(st, METER_WRITE, st->ops->app_delete(st, name));
}

int
inn_store_resource_delete(inn_store *st, const char *app, const char *name)
{
	CHECK_STORE(st);
	CHECK_ARG(app != NULL);
	CHECK_ARG(name != NULL);
	return METERED(st, METER_WRITE, st->ops->resource_delete(st, app, name));
}

int
inn_store_resource_list(inn_store *st, const char *team, const char *user, const char *app,
                        inn_resource_row **rows, size_t *n)
{
	CHECK_LIST(st, rows, n);
	return METERED(st, METER_READ, st->ops->resource_list(st, team, user, app, rows, n));
}

/* ---- shared by backends ---------------------------------------------- */

int
inn_store_key_hash(const char *plain, unsigned char hash[INN_STORE_KEY_HASH_LEN])
{
	/* not OpenSSL's: checking keys must not initialise it (sha256.h) */
	inn_sha256(plain, strlen(plain), hash);
	return 0;
}

int
inn_store_key_generate(char plain[INN_STORE_KEY_LEN + 1],
                       unsigned char hash[INN_STORE_KEY_HASH_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[(INN_STORE_KEY_LEN - 4) / 2];
	size_t i;
	int rc;

	if (RAND_bytes(raw, (int)sizeof(raw)) != 1)
		return inn_error_set(INN_ERROR, "store: no randomness for an API key (OpenSSL "
		                     "RAND_bytes failed)");
	memcpy(plain, "inn_", 4);
	for (i = 0; i < sizeof(raw); i++) {
		plain[4 + 2 * i] = hex[raw[i] >> 4];
		plain[4 + 2 * i + 1] = hex[raw[i] & 0x0f];
	}
	plain[INN_STORE_KEY_LEN] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	if ((rc = inn_store_key_hash(plain, hash)) < 0)
		OPENSSL_cleanse(plain, INN_STORE_KEY_LEN + 1);
	return rc;
}

/* ---- replicas ------------------------------------------------------------ */

/* A replica id: what inn_store_name_check accepts. */
#define CHECK_ME(me) do { \
	int rc_ = inn_store_name_check("replica id", (me)); \
	if (rc_ != 0) \
		return rc_; \
} while (0)

/* An id list getter's start (max clamped to 1..INN_STORE_LIMIT_MAX). */
#define CHECK_IDS(st, me, ids, n) do { \
	CHECK_LIST(st, ids, n); \
	CHECK_ME(me); \
} while (0)

int
inn_store_shared(inn_store *st)
{
	return st != NULL && st->ops->shared;
}

int
inn_store_replica_join(inn_store *st, const char *me, const char *host, int lease_ms)
{
	CHECK_STORE(st);
	CHECK_ME(me);
	CHECK_ARG(lease_ms > 0);
	return METERED(st, METER_WRITE, st->ops->replica_join(st, me, host, lease_ms));
}

int
inn_store_replica_beat(inn_store *st, const char *me, int lease_ms, int64_t *catalog_gen)
{
	CHECK_STORE(st);
	CHECK_ME(me);
	CHECK_ARG(lease_ms > 0);
	return METERED(st, METER_WRITE, st->ops->replica_beat(st, me, lease_ms, catalog_gen));
}

int
inn_store_replica_leave(inn_store *st, const char *me)
{
	CHECK_STORE(st);
	CHECK_ME(me);
	return METERED(st, METER_WRITE, st->ops->replica_leave(st, me));
}

int
inn_store_replica_list(inn_store *st, json_object **out)
{
	CHECK_STORE(st);
	CHECK_ARG(out != NULL);
	*out = NULL;
	return METERED(st, METER_READ, st->ops->replica_list(st, out));
}

int
inn_store_exec_claim_start(inn_store *st, const char *me, int64_t id, int64_t started_ms)
{
	CHECK_STORE(st);
	CHECK_ME(me);
	CHECK_ARG(id > 0);
	return METERED(st, METER_WRITE,
	               st->ops->exec_claim_start(st, me, id, started_ms > 0 ? started_ms
	                                                                   : inn_wall_ms()));
}

int
inn_store_exec_fence(inn_store *st, const char *me, int64_t id)
{
	CHECK_STORE(st);
	CHECK_ME(me);
	CHECK_ARG(id > 0);
	return METERED(st, METER_READ, st->ops->exec_fence(st, me, id));
}

int
inn_store_exec_adopt(inn_store *st, const char *me, int max, int64_t **ids, size_t *n)
{
	CHECK_IDS(st, me, ids, n);
	return METERED(st, METER_WRITE, st->ops->exec_adopt(st, me, clamp_limit(max), ids, n));
}

int
inn_store_exec_steal(inn_store *st, const char *me, int max, int64_t **ids, size_t *n)
{
	CHECK_IDS(st, me, ids, n);
	return METERED(st, METER_WRITE, st->ops->exec_steal(st, me, clamp_limit(max), ids, n));
}

int
inn_store_exec_release(inn_store *st, const char *me, const int64_t *ids, size_t n)
{
	CHECK_STORE(st);
	CHECK_ME(me);
	if (ids != NULL && n == 0)
		return 0;
	return METERED(st, METER_WRITE, st->ops->exec_release(st, me, ids, n));
}

int
inn_store_lock_try(inn_store *st, const char *name)
{
	CHECK_STORE(st);
	CHECK_ARG(name != NULL && *name != '\0');
	return METERED(st, METER_WRITE, st->ops->lock_try(st, name));
}

void
inn_store_lock_release(inn_store *st, const char *name)
{
	if (st != NULL && name != NULL) {
		meter_mark();
		st->ops->lock_release(st, name);
		meter_end(st, METER_WRITE, 0);
	}
}

int
inn_store_catalog_bump(inn_store *st, int64_t *gen)
{
	CHECK_STORE(st);
	return METERED(st, METER_WRITE, st->ops->catalog_bump(st, gen));
}

int
inn_store_subscribe(inn_store *st, inn_store_notify_fn fn, void *ud)
{
	CHECK_STORE(st);
	CHECK_ARG(fn != NULL);
	return st->ops->subscribe(st, fn, ud);
}

/* ---- export / import ------------------------------------------------------ */

const char *const inn_store_tables[] = {
	"teams", "users", "api_keys", "executions", "steps", "step_logs", "events", "audit",
	"provider_sources", "applications", "resources", NULL
};

static int
table_known(const char *t)
{
	return t != NULL && in_list(t, inn_store_tables);
}

int
inn_store_dump(inn_store *st, const char *table, int (*fn)(void *ud, json_object *row),
               void *ud)
{
	CHECK_STORE(st);
	CHECK_ARG(fn != NULL);
	if (!table_known(table))
		return inn_error_set(INN_EINVAL, "store: no table \"%s\" to dump",
		                     table ? table : "(null)");
	return METERED(st, METER_READ, st->ops->dump(st, table, fn, ud));
}

int
inn_store_load(inn_store *st, const char *table, json_object *row)
{
	CHECK_STORE(st);
	CHECK_ARG(json_object_is_type(row, json_type_object));
	if (!table_known(table))
		return inn_error_set(INN_EINVAL, "store: no table \"%s\" to load",
		                     table ? table : "(null)");
	return METERED(st, METER_WRITE, st->ops->load(st, table, row));
}

int
inn_store_empty(inn_store *st)
{
	CHECK_STORE(st);
	return METERED(st, METER_READ, st->ops->empty(st));
}
