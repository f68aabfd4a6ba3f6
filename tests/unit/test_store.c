/*
 * test_store.c - the store (server/store.h) on both backends: migrations,
 * executions and their listing, steps, logs and events cursors, API keys
 * (and that the plain key is never written), audit, hostile strings,
 * reopening, and concurrent log appends -- against a real SQLite file per
 * test, and against PostgreSQL when INN_TEST_PG_URL names a server.
 *
 * INN_TEST_PG_URL: a postgres:// URL of a server whose user may CREATE
 * DATABASE (tests/store_pg.sh starts one with tests/pg/pg.sh).  Each
 * PostgreSQL test creates its own fresh database through it (a random
 * name) and drops it afterwards.  INN_TEST_ONLY_PG=1 skips the SQLite
 * group.  SQLite-only tests (WAL mode, file modes, paths) stay in the
 * SQLite group; the PostgreSQL group adds password redaction, two handles
 * on one database, ownership moves under contention from threads with a
 * handle each, advisory locks, subscribe, the catalog generation, and a
 * dump loaded into another store.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#ifdef HAVE_LIBPQ
#include <libpq-fe.h>
#endif

#include "error.h"
#include "store.h"
#include "testutil.h"

struct env {
	char *dir;
	char path[4096];   /* the store file, or the PostgreSQL URL */
	char db[64];       /* PostgreSQL: the test's database */
	inn_store *st;
};

/* Set while the PostgreSQL group runs. */
static int use_pg;

#ifdef HAVE_LIBPQ
/* sql on a new connection to url; the first column of the first row, or
 * NULL (fails the test on an error). */
static char *
pg_raw(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r;
	char *out = NULL;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect %s: %s", url, PQerrorMessage(c));
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		out = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return out;
}

/* INN_TEST_PG_URL with its database replaced by db. */
static void
pg_url(char *out, size_t size, const char *db)
{
	const char *base = getenv("INN_TEST_PG_URL"), *slash, *q;

	assert_non_null(base);
	slash = strstr(base, "://");
	slash = strchr(slash != NULL ? slash + 3 : base, '/');
	if (slash == NULL) {
		snprintf(out, size, "%s/%s", base, db);
		return;
	}
	q = strchr(slash, '?');
	snprintf(out, size, "%.*s/%s%s", (int)(slash - base), base, db, q != NULL ? q : "");
}
#endif

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->dir = tu_mkdtemp("store");
	assert_non_null(e->dir);
	snprintf(e->path, sizeof(e->path), "%s/store.db", e->dir);
#ifdef HAVE_LIBPQ
	if (use_pg) {
		static unsigned counter;
		char sql[128];
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(e->db, sizeof(e->db), "inn_test_%d_%u_%ld", (int)getpid(), ++counter,
		         (long)(ts.tv_nsec % 1000000));
		snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", e->db);
		free(pg_raw(getenv("INN_TEST_PG_URL"), sql));
		pg_url(e->path, sizeof(e->path), e->db);
	}
#endif
	if (inn_store_open(&e->st, e->path) != 0)
		fail_msg("open %s: %s", e->path, inn_error_last());
	*state = e;
	return 0;
}

static int
setup_sqlite(void **state)
{
	use_pg = 0;
	return setup(state);
}

#ifdef HAVE_LIBPQ
static int
setup_pg(void **state)
{
	use_pg = 1;
	return setup(state);
}
#endif

static int
teardown(void **state)
{
	struct env *e = *state;

	inn_store_close(e->st);
#ifdef HAVE_LIBPQ
	if (use_pg && e->db[0] != '\0') {
		char sql[128];

		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", e->db);
		free(pg_raw(getenv("INN_TEST_PG_URL"), sql));
	}
#endif
	tu_rmrf_free(e->dir);
	free(e);
	return 0;
}

static void
reopen(struct env *e)
{
	inn_store_close(e->st);
	e->st = NULL;
	if (inn_store_open(&e->st, e->path) != 0)
		fail_msg("reopen %s: %s", e->path, inn_error_last());
}

/* The first column of the first row of sql, run on the store directly. */
static char *
raw_query(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	char *out = NULL;

#ifdef HAVE_LIBPQ
	if (use_pg)
		return pg_raw(path, sql);
#endif
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0) != NULL)
		out = strdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);
	return out;
}

static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

#ifdef HAVE_LIBPQ
	if (use_pg) {
		free(pg_raw(path, sql));
		return;
	}
#endif
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static inn_exec_row
exec_row(const char *workflow, const char *app, const char *team, const char *status)
{
	inn_exec_row r = { 0 };

	r.workflow = (char *)workflow;
	r.kind = (char *)"workflow";
	r.app = (char *)app;
	r.team = (char *)team;
	r.created_by = (char *)"ci-key";
	r.status = (char *)status;
	return r;
}

static int64_t
new_exec(inn_store *st, const char *app, const char *team, const char *status)
{
	inn_exec_row r = exec_row("storage-team/provision-bucket", app, team, status);

	if (inn_store_exec_create(st, &r) != 0)
		fail_msg("exec_create: %s", inn_error_last());
	assert_true(r.id > 0);
	return r.id;
}

/* ---- open and migrations ------------------------------------------------ */

static void
test_migrations_recorded_and_idempotent(void **state)
{
	struct env *e = *state;
	struct stat sb;
	char *s;
	int v;

	assert_int_equal(inn_store_ping(e->st), 0);
	v = inn_store_schema_version(e->st);
	assert_true(v >= 1);
	if (!use_pg) {
		assert_int_equal(stat(e->path, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
	}

	reopen(e);
	reopen(e);
	assert_int_equal(inn_store_schema_version(e->st), v);
	s = raw_query(e->path, use_pg
	              ? "SELECT COUNT(*) || ':' || MIN(version) || ':' || MAX(version) "
	                "|| ':' || (CASE WHEN bool_and(applied_at > 0) THEN 1 ELSE 0 END) "
	                "FROM schema_migrations"
	              : "SELECT COUNT(*) || ':' || MIN(version) || ':' || MAX(version) "
	                "|| ':' || MIN(applied_at > 0) FROM schema_migrations");
	assert_non_null(s);
	{
		char want[64];

		snprintf(want, sizeof(want), "%d:1:%d:1", v, v);
		assert_string_equal(s, want);
	}
	free(s);
}

static void
test_wal_mode_is_active(void **state)
{
	struct env *e = *state;
	char *mode = raw_query(e->path, "PRAGMA journal_mode");

	assert_non_null(mode);
	assert_string_equal(mode, "wal");
	free(mode);
	/* The store is usable while another connection had it open. */
	assert_int_equal(inn_store_ping(e->st), 0);
}

static void
test_newer_schema_is_refused_naming_both_versions(void **state)
{
	struct env *e = *state;
	char known[32];

	snprintf(known, sizeof(known), "(%d)", inn_store_schema_version(e->st));
	inn_store_close(e->st);
	e->st = NULL;
	raw_exec(e->path, "INSERT INTO schema_migrations (version, applied_at) VALUES (99, 1)");
	assert_int_equal(inn_store_open(&e->st, e->path), INN_EINVAL);
	assert_null(e->st);
	TU_ASSERT_CONTAINS(inn_error_last(), "99");
	TU_ASSERT_CONTAINS(inn_error_last(), known);
	TU_ASSERT_CONTAINS(inn_error_last(), "newer");
}

static void
test_open_paths(void **state)
{
	struct env *e = *state;
	inn_store *st = NULL;
	char path[4200];

	/* The directory must exist; the message names it. */
	snprintf(path, sizeof(path), "sqlite:%s/no-such-dir/s.db", e->dir);
	assert_int_equal(inn_store_open(&st, path), INN_ENOTFOUND);
	assert_null(st);
	TU_ASSERT_CONTAINS(inn_error_last(), "no-such-dir");
	assert_false(tu_exists(tu_path(e->dir, "no-such-dir")));

#ifdef HAVE_LIBPQ
	/* a server that does not answer: the message names it, not its password */
	assert_true(inn_store_open(&st, "postgres://inn:s3cret@127.0.0.1:1/inn") < 0);
	assert_null(st);
	TU_ASSERT_CONTAINS(inn_error_last(), "postgres://inn:***@127.0.0.1:1/inn");
	assert_null(strstr(inn_error_last(), "s3cret"));
#else
	assert_int_equal(inn_store_open(&st, "postgres://db/inn"), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "postgres");
	TU_ASSERT_CONTAINS(inn_error_last(), "--with-postgresql");
#endif

	snprintf(path, sizeof(path), "sqlite:%s/other.db", e->dir);
	if (inn_store_open(&st, path) != 0)
		fail_msg("%s: %s", path, inn_error_last());
	assert_int_equal(inn_store_ping(st), 0);
	inn_store_close(st);
	assert_true(tu_exists(tu_path(e->dir, "other.db")));

	/* A file that is not a database says so, naming it. */
	assert_int_equal(tu_write(tu_path(e->dir, "junk.db"),
	                          "this is certainly not an SQLite database file at all\n"), 0);
	assert_true(inn_store_open(&st, tu_path(e->dir, "junk.db")) < 0);
	TU_ASSERT_CONTAINS(inn_error_last(), "junk.db");
	TU_ASSERT_CONTAINS(inn_error_last(), "not a database");
}

/* ---- executions ------------------------------------------------------------ */

static void
test_exec_create_get_update(void **state)
{
	struct env *e = *state;
	inn_exec_row r = exec_row("golden-deploy", "shop", "payments", "pending"), *got = NULL;
	json_object *out;

	r.kind = (char *)"golden-path";
	r.params = json_tokener_parse("{\"env\":\"prod\",\"replicas\":3}");
	r.spec = json_tokener_parse("{\"metadata\":{\"name\":\"shop\"}}");
	r.dry_run = 1;
	r.resumable = 1;
	r.sealed_inputs = (char *)"v1:c2VhbGVk";
	assert_int_equal(inn_store_exec_create(e->st, &r), 0);
	assert_true(r.id > 0);
	assert_true(r.created_ms > 1600000000000LL);

	assert_int_equal(inn_store_exec_get(e->st, r.id, &got), 0);
	assert_int_equal(got->id, r.id);
	assert_string_equal(got->workflow, "golden-deploy");
	assert_string_equal(got->kind, "golden-path");
	assert_string_equal(got->app, "shop");
	assert_string_equal(got->team, "payments");
	assert_string_equal(got->created_by, "ci-key");
	assert_string_equal(got->status, "pending");
	assert_null(got->message);
	assert_null(got->outputs);
	assert_true(json_object_equal(got->params, r.params));
	assert_true(json_object_equal(got->spec, r.spec));
	assert_int_equal(got->dry_run, 1);
	assert_int_equal(got->resumable, 1);
	assert_int_equal(got->retry_of, 0);
	assert_int_equal(got->created_ms, r.created_ms);
	assert_int_equal(got->started_ms, 0);
	assert_string_equal(got->sealed_inputs, "v1:c2VhbGVk");
	inn_exec_row_free(got);

	assert_int_equal(inn_store_exec_update(e->st, r.id, "running", NULL, 1000, 0, NULL), 0);
	out = json_tokener_parse("{\"url\":\"https://shop.example\"}");
	assert_int_equal(inn_store_exec_update(e->st, r.id, "failed", "step deploy: exit 2", 0,
	                                       2000, out), 0);
	/* NULL / 0 keep what is there. */
	assert_int_equal(inn_store_exec_update(e->st, r.id, NULL, NULL, 0, 0, NULL), 0);
	assert_int_equal(inn_store_exec_get(e->st, r.id, &got), 0);
	assert_string_equal(got->status, "failed");
	assert_string_equal(got->message, "step deploy: exit 2");
	assert_int_equal(got->started_ms, 1000);
	assert_int_equal(got->ended_ms, 2000);
	assert_true(json_object_equal(got->outputs, out));
	inn_exec_row_free(got);
	json_object_put(out);

	/* A retry points at its original; a missing original is refused. */
	{
		inn_exec_row retry = exec_row("golden-deploy", "shop", "payments", "pending");

		retry.retry_of = r.id;
		assert_int_equal(inn_store_exec_create(e->st, &retry), 0);
		assert_int_equal(inn_store_exec_get(e->st, retry.id, &got), 0);
		assert_int_equal(got->retry_of, r.id);
		assert_true(json_object_is_type(got->params, json_type_object));
		assert_int_equal(json_object_object_length(got->params), 0);
		inn_exec_row_free(got);
		retry.retry_of = 9999;
		assert_int_equal(inn_store_exec_create(e->st, &retry), INN_ENOTFOUND);
		TU_ASSERT_CONTAINS(inn_error_last(), "9999");
	}

	assert_int_equal(inn_store_exec_get(e->st, 9999, &got), INN_ENOTFOUND);
	assert_null(got);
	TU_ASSERT_CONTAINS(inn_error_last(), "9999");
	assert_int_equal(inn_store_exec_update(e->st, 9999, "running", NULL, 0, 0, NULL),
	                 INN_ENOTFOUND);
	assert_int_equal(inn_store_exec_update(e->st, r.id, "exploded", NULL, 0, 0, NULL),
	                 INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "exploded");
	r.status = (char *)"bogus";
	assert_int_equal(inn_store_exec_create(e->st, &r), INN_EINVAL);
	json_object_put(r.params);
	json_object_put(r.spec);
}

static void
test_exec_list_filters_and_pages(void **state)
{
	struct env *e = *state;
	inn_exec_filter f = { 0 };
	inn_exec_row **rows = NULL;
	int64_t ids[25], total = -1;
	size_t n = 0, i;

	/* 25 executions: odd ones team "blue" (13 of them), even "red";
	 * every fifth app "shop" and "succeeded". */
	for (i = 0; i < 25; i++)
		ids[i] = new_exec(e->st, i % 5 == 0 ? "shop" : "blog", i % 2 ? "red" : "blue",
		                  i % 5 == 0 ? "succeeded" : "running");

	f.page = 1;
	f.page_size = 10;
	assert_int_equal(inn_store_exec_list(e->st, &f, &rows, &n, &total), 0);
	assert_int_equal(total, 25);
	assert_int_equal(n, 10);
	for (i = 0; i < n; i++)       /* newest first */
		assert_int_equal(rows[i]->id, ids[24 - i]);
	inn_exec_rows_free(rows, n);

	f.page = 3;                   /* the last, partial page */
	assert_int_equal(inn_store_exec_list(e->st, &f, &rows, &n, &total), 0);
	assert_int_equal(total, 25);
	assert_int_equal(n, 5);
	assert_int_equal(rows[4]->id, ids[0]);
	inn_exec_rows_free(rows, n);

	f.page = 4;                   /* past the end: empty, total still known */
	assert_int_equal(inn_store_exec_list(e->st, &f, &rows, &n, &total), 0);
	assert_int_equal(n, 0);
	assert_int_equal(total, 25);
	inn_exec_rows_free(rows, n);

	/* Team scoping: only that team's rows and count. */
	f.page = 1;
	f.team = "blue";
	assert_int_equal(inn_store_exec_list(e->st, &f, &rows, &n, &total), 0);
	assert_int_equal(total, 13);
	assert_int_equal(n, 10);
	for (i = 0; i < n; i++)
		assert_string_equal(rows[i]->team, "blue");
	assert_int_equal(rows[0]->id, ids[24]);
	inn_exec_rows_free(rows, n);

	/* Several filters at once. */
	f.app = "shop";
	f.status = "succeeded";
	assert_int_equal(inn_store_exec_list(e->st, &f, &rows, &n, &total), 0);
	assert_int_equal(total, 3);   /* i = 0, 10, 20 */
	assert_int_equal(n, 3);
	assert_int_equal(rows[0]->id, ids[20]);
	assert_int_equal(rows[2]->id, ids[0]);
	inn_exec_rows_free(rows, n);

	f.workflow = "no/such";
	assert_int_equal(inn_store_exec_list(e->st, &f, &rows, &n, &total), 0);
	assert_int_equal(total, 0);
	assert_int_equal(n, 0);
	inn_exec_rows_free(rows, n);

	/* Clamping: page 0 is page 1, page_size above 200 is 200, below 1 the default. */
	memset(&f, 0, sizeof(f));
	f.page = 0;
	f.page_size = 100000;
	assert_int_equal(inn_store_exec_list(e->st, &f, &rows, &n, &total), 0);
	assert_int_equal(n, 25);
	inn_exec_rows_free(rows, n);
	f.page_size = 1;
	f.page = 25;
	assert_int_equal(inn_store_exec_list(e->st, &f, &rows, &n, &total), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0]->id, ids[0]);
	inn_exec_rows_free(rows, n);
	assert_int_equal(inn_store_exec_list(e->st, NULL, &rows, &n, NULL), 0);
	assert_int_equal(n, 20);
	inn_exec_rows_free(rows, n);
}

static void
test_exec_ids_with_status(void **state)
{
	struct env *e = *state;
	int64_t a, b, c, *ids = NULL;
	size_t n = 99;

	a = new_exec(e->st, "x", NULL, "running");
	b = new_exec(e->st, "x", NULL, "succeeded");
	c = new_exec(e->st, "x", NULL, "running");
	assert_int_equal(inn_store_exec_ids_with_status(e->st, "running", &ids, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], a);
	assert_int_equal(ids[1], c);
	free(ids);
	assert_int_equal(inn_store_exec_update(e->st, a, "interrupted", NULL, 0, 0, NULL), 0);
	assert_int_equal(inn_store_exec_ids_with_status(e->st, "running", &ids, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], c);
	free(ids);
	assert_int_equal(inn_store_exec_ids_with_status(e->st, "cancelled", &ids, &n), 0);
	assert_int_equal(n, 0);
	free(ids);
	(void)b;
}

/* ---- steps ------------------------------------------------------------------ */

static void
test_steps_put_replace_get(void **state)
{
	struct env *e = *state;
	int64_t id = new_exec(e->st, "shop", "blue", "running");
	inn_step_row s = { 0 }, *rows = NULL;
	size_t n = 0;
	int order[3] = { 2, 0, 1 }, i;

	for (i = 0; i < 3; i++) {
		s.idx = order[i];
		s.name = (char *)(order[i] == 0 ? "plan" : order[i] == 1 ? "apply" : "smoke");
		s.type = (char *)"shell";
		s.status = (char *)"pending";
		assert_int_equal(inn_store_step_put(e->st, id, &s), 0);
	}
	/* Replace step 1: finished, with outputs. */
	s.idx = 1;
	s.name = (char *)"apply";
	s.status = (char *)"succeeded";
	s.attempts = 2;
	s.message = (char *)"retried once";
	s.started_ms = 10;
	s.ended_ms = 20;
	s.outputs = json_tokener_parse("{\"bucket\":\"shop-assets\"}");
	assert_int_equal(inn_store_step_put(e->st, id, &s), 0);

	assert_int_equal(inn_store_steps_get(e->st, id, &rows, &n), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(rows[i].idx, i);
	assert_string_equal(rows[0].name, "plan");
	assert_string_equal(rows[0].status, "pending");
	assert_null(rows[0].outputs);
	assert_string_equal(rows[1].name, "apply");
	assert_string_equal(rows[1].type, "shell");
	assert_string_equal(rows[1].status, "succeeded");
	assert_int_equal(rows[1].attempts, 2);
	assert_string_equal(rows[1].message, "retried once");
	assert_int_equal(rows[1].started_ms, 10);
	assert_int_equal(rows[1].ended_ms, 20);
	assert_true(json_object_equal(rows[1].outputs, s.outputs));
	assert_string_equal(rows[2].name, "smoke");
	inn_step_rows_free(rows, n);
	json_object_put(s.outputs);

	/* Another execution has no steps; a missing one cannot get any. */
	assert_int_equal(inn_store_steps_get(e->st, id + 100, &rows, &n), 0);
	assert_int_equal(n, 0);
	inn_step_rows_free(rows, n);
	s.outputs = NULL;
	assert_int_equal(inn_store_step_put(e->st, id + 100, &s), INN_ENOTFOUND);
}

/* ---- logs and events -------------------------------------------------------- */

static void
test_logs_cursor_and_limit(void **state)
{
	struct env *e = *state;
	int64_t a = new_exec(e->st, "shop", "blue", "running");
	int64_t b = new_exec(e->st, "blog", "red", "running");
	int64_t seq, last = 0, seqs_a[10];
	json_object *lines = NULL, *l;
	char text[64];
	int i, na = 0;

	for (i = 0; i < 20; i++) {
		snprintf(text, sizeof(text), "line %d", i);
		assert_int_equal(inn_store_log_append(e->st, i % 2 ? b : a, "deploy", 1, i % 3 == 0 ? 2 : 1,
		                                      text, &seq), 0);
		assert_true(seq > last);  /* increasing across executions */
		last = seq;
		if (i % 2 == 0)
			seqs_a[na++] = seq;
	}

	assert_int_equal(inn_store_logs_get(e->st, a, 0, 0, &lines), 0);
	assert_int_equal(json_object_array_length(lines), 10);
	for (i = 0; i < 10; i++) {
		l = json_object_array_get_idx(lines, (size_t)i);
		assert_int_equal(json_object_get_int64(json_object_object_get(l, "seq")), seqs_a[i]);
		snprintf(text, sizeof(text), "line %d", 2 * i);
		assert_string_equal(json_object_get_string(json_object_object_get(l, "line")), text);
		assert_string_equal(json_object_get_string(json_object_object_get(l, "step")), "deploy");
		assert_int_equal(json_object_get_int(json_object_object_get(l, "level")), 1);
		assert_int_equal(json_object_get_int(json_object_object_get(l, "stream")),
		                 (2 * i) % 3 == 0 ? 2 : 1);
		assert_true(json_object_get_int64(json_object_object_get(l, "ts")) > 0);
	}
	json_object_put(lines);

	/* The cursor: after seqs_a[3], three lines. */
	assert_int_equal(inn_store_logs_get(e->st, a, seqs_a[3], 3, &lines), 0);
	assert_int_equal(json_object_array_length(lines), 3);
	l = json_object_array_get_idx(lines, 0);
	assert_int_equal(json_object_get_int64(json_object_object_get(l, "seq")), seqs_a[4]);
	l = json_object_array_get_idx(lines, 2);
	assert_int_equal(json_object_get_int64(json_object_object_get(l, "seq")), seqs_a[6]);
	json_object_put(lines);

	assert_int_equal(inn_store_logs_get(e->st, a, seqs_a[9], 100, &lines), 0);
	assert_int_equal(json_object_array_length(lines), 0);
	json_object_put(lines);

	/* A NULL step is null; a line for a missing execution is refused. */
	assert_int_equal(inn_store_log_append(e->st, b, NULL, 3, 2, "oops", &seq), 0);
	assert_int_equal(inn_store_logs_get(e->st, b, last, 10, &lines), 0);
	assert_int_equal(json_object_array_length(lines), 1);
	assert_null(json_object_object_get(json_object_array_get_idx(lines, 0), "step"));
	json_object_put(lines);
	assert_int_equal(inn_store_log_append(e->st, b + 100, "x", 1, 1, "lost", &seq),
	                 INN_ENOTFOUND);
}

static void
test_events_after_and_team(void **state)
{
	struct env *e = *state;
	int64_t x = new_exec(e->st, "shop", "blue", "running");
	int64_t id1, id2, id3;
	json_object *data = json_tokener_parse("{\"status\":\"running\"}"), *ev = NULL, *o;

	assert_int_equal(inn_store_event_add(e->st, "execution.started", x, "blue", data, &id1), 0);
	assert_int_equal(inn_store_event_add(e->st, "execution.started", 0, "red", NULL, &id2), 0);
	assert_int_equal(inn_store_event_add(e->st, "provider.reloaded", 0, NULL, NULL, &id3), 0);
	assert_true(id1 < id2 && id2 < id3);

	assert_int_equal(inn_store_events_after(e->st, 0, NULL, NULL, 100, &ev), 0);
	assert_int_equal(json_object_array_length(ev), 3);
	o = json_object_array_get_idx(ev, 0);
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "id")), id1);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "type")),
	                    "execution.started");
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "execution")), x);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "team")), "blue");
	assert_true(json_object_equal(json_object_object_get(o, "data"), data));
	assert_true(json_object_get_int64(json_object_object_get(o, "ts")) > 0);
	o = json_object_array_get_idx(ev, 1);
	assert_null(json_object_object_get(o, "execution"));
	assert_null(json_object_object_get(o, "data"));
	json_object_put(ev);

	assert_int_equal(inn_store_events_after(e->st, id1, NULL, NULL, 100, &ev), 0);
	assert_int_equal(json_object_array_length(ev), 2);
	json_object_put(ev);
	assert_int_equal(inn_store_events_after(e->st, 0, NULL, NULL, 1, &ev), 0);
	assert_int_equal(json_object_array_length(ev), 1);
	json_object_put(ev);
	assert_int_equal(inn_store_events_after(e->st, 0, "red", NULL, 100, &ev), 0);
	assert_int_equal(json_object_array_length(ev), 1);
	assert_int_equal(json_object_get_int64(json_object_object_get(
	                     json_object_array_get_idx(ev, 0), "id")), id2);
	json_object_put(ev);
	assert_int_equal(inn_store_events_after(e->st, id2, "red", NULL, 100, &ev), 0);
	assert_int_equal(json_object_array_length(ev), 0);
	json_object_put(ev);
	json_object_put(data);
}

/* ---- applications: owners and scopes ------------------------------------------ */

static size_t
count_apps(inn_store *st, const char *team, const char *user, const char *name)
{
	inn_app_row *rows = NULL;
	size_t n = 0;

	assert_int_equal(inn_store_app_list(st, team, user, name, &rows, &n), 0);
	inn_app_rows_free(rows, n);
	return n;
}

static void
test_app_owner_never_changes(void **state)
{
	struct env *e = *state;
	inn_resource_row res = { 0 };
	inn_resource_row *rl = NULL;
	inn_app_row *rows = NULL;
	size_t n = 0;

	/* a team's app: another team cannot touch it; the same team can */
	assert_int_equal(inn_store_app_put(e->st, "shop", "red", "red-dev", 0), 0);
	assert_int_equal(inn_store_app_put(e->st, "shop", "blue", "blue-dev", 0), INN_EINVAL);
	assert_non_null(strstr(inn_error_last(), "belongs to another team"));
	assert_int_equal(inn_store_app_put(e->st, "shop", NULL, "lone", 0), INN_EINVAL);
	assert_int_equal(inn_store_app_put(e->st, "shop", "red", "red-other", 0), 0);
	/* an admin's app (no team): nobody adopts it; an admin's run touches it */
	assert_int_equal(inn_store_app_put(e->st, "adminapp", NULL, "root", 1), 0);
	assert_int_equal(inn_store_app_put(e->st, "adminapp", "red", "red-dev", 0), INN_EINVAL);
	assert_int_equal(inn_store_app_put(e->st, "adminapp", NULL, "lone", 0), INN_EINVAL);
	assert_int_equal(inn_store_app_put(e->st, "adminapp", NULL, "root", 0), 0);
	assert_int_equal(inn_store_app_put(e->st, "shop", "blue", "admin-of-blue", 1), 0);
	/* a key without a team owns what it made */
	assert_int_equal(inn_store_app_put(e->st, "loneapp", "", "lone", 0), 0);
	assert_int_equal(inn_store_app_put(e->st, "loneapp", NULL, "lone2", 0), INN_EINVAL);
	assert_int_equal(inn_store_app_put(e->st, "loneapp", NULL, "lone", 0), 0);

	assert_int_equal(inn_store_app_list(e->st, NULL, NULL, "shop", &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].team, "red");          /* never re-assigned */
	assert_string_equal(rows[0].created_by, "red-dev");
	inn_app_rows_free(rows, n);
	assert_int_equal(inn_store_app_list(e->st, NULL, NULL, "adminapp", &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_null(rows[0].team);
	assert_string_equal(rows[0].created_by, "root");
	inn_app_rows_free(rows, n);

	/* scopes: admin all; a team its own; a key without a team its own only */
	assert_int_equal(count_apps(e->st, NULL, NULL, NULL), 3);
	assert_int_equal(count_apps(e->st, "red", NULL, NULL), 1);
	assert_int_equal(count_apps(e->st, "red", "root", NULL), 1);
	assert_int_equal(count_apps(e->st, "blue", NULL, NULL), 0);
	assert_int_equal(count_apps(e->st, NULL, "lone", NULL), 1);
	assert_int_equal(count_apps(e->st, NULL, "lone", "adminapp"), 0);
	assert_int_equal(count_apps(e->st, NULL, "lone2", NULL), 0);

	res.app = (char *)"adminapp";
	res.name = (char *)"db";
	res.type = (char *)"sqlite";
	res.status = (char *)"succeeded";      /* an execution's word, not a resource's */
	assert_int_equal(inn_store_resource_put(e->st, &res), INN_EINVAL);
	res.status = (char *)"active";
	res.fingerprint = (char *)"abc";
	res.message = (char *)"created";
	res.exec_id = 0;
	assert_int_equal(inn_store_resource_put(e->st, &res), 0);
	assert_int_equal(inn_store_resource_list(e->st, NULL, "lone", NULL, &rl, &n), 0);
	assert_int_equal(n, 0);
	inn_resource_rows_free(rl, n);
	assert_int_equal(inn_store_resource_list(e->st, NULL, "root", NULL, &rl, &n), 0);
	assert_int_equal(n, 1);
	inn_resource_rows_free(rl, n);
	assert_int_equal(inn_store_resource_list(e->st, NULL, NULL, NULL, &rl, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rl[0].status, "active");
	assert_string_equal(rl[0].fingerprint, "abc");
	assert_string_equal(rl[0].message, "created");
	inn_resource_rows_free(rl, n);

	/* the lifecycle columns of an application; deleting it takes its resources */
	assert_int_equal(inn_store_app_update(e->st, "adminapp", "bogus", NULL, -1, -1),
	                 INN_EINVAL);
	assert_int_equal(inn_store_app_update(e->st, "nosuch", "active", NULL, -1, -1),
	                 INN_ENOTFOUND);
	assert_int_equal(inn_store_app_update(e->st, "adminapp", "deploying", NULL, 12345, 1), 0);
	assert_int_equal(inn_store_app_update(e->st, "adminapp", "active", NULL, -1, -1), 0);
	assert_int_equal(inn_store_app_list(e->st, NULL, NULL, "adminapp", &rows, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].status, "active");
	assert_int_equal(rows[0].expires_ms, 12345);
	assert_int_equal(rows[0].deployed_ok, 1);
	inn_app_rows_free(rows, n);
	assert_int_equal(inn_store_app_delete(e->st, "adminapp"), 0);
	assert_int_equal(inn_store_app_delete(e->st, "adminapp"), INN_ENOTFOUND);
	assert_int_equal(inn_store_resource_list(e->st, NULL, NULL, NULL, &rl, &n), 0);
	assert_int_equal(n, 0);
	inn_resource_rows_free(rl, n);
}

/* A key without a team sees its own executions and their events, never an
 * admin's (which have no team either). */
static void
test_scope_of_a_key_without_team(void **state)
{
	struct env *e = *state;
	inn_exec_row r = exec_row("w/a", NULL, NULL, "pending");
	inn_exec_filter f = { 0 };
	inn_exec_row **rows = NULL;
	json_object *ev = NULL;
	int64_t mine, admins, id;
	size_t n = 0;
	int64_t total = 0;

	r.created_by = (char *)"lone";
	assert_int_equal(inn_store_exec_create(e->st, &r), 0);
	mine = r.id;
	r.created_by = (char *)"root";
	assert_int_equal(inn_store_exec_create(e->st, &r), 0);
	admins = r.id;
	assert_int_equal(inn_store_event_add(e->st, "execution.started", mine, NULL, NULL, &id), 0);
	assert_int_equal(inn_store_event_add(e->st, "execution.started", admins, NULL, NULL, &id),
	                 0);
	assert_int_equal(inn_store_event_add(e->st, "provider.reloaded", 0, NULL, NULL, &id), 0);

	f.user = "lone";
	assert_int_equal(inn_store_exec_list(e->st, &f, &rows, &n, &total), 0);
	assert_int_equal(total, 1);
	assert_int_equal(rows[0]->id, mine);
	inn_exec_rows_free(rows, n);
	f.user = "nobody";
	assert_int_equal(inn_store_exec_list(e->st, &f, &rows, &n, &total), 0);
	assert_int_equal(total, 0);
	inn_exec_rows_free(rows, n);
	f.user = NULL;
	assert_int_equal(inn_store_exec_list(e->st, &f, &rows, &n, &total), 0);
	assert_int_equal(total, 2);
	inn_exec_rows_free(rows, n);

	assert_int_equal(inn_store_events_after(e->st, 0, NULL, "lone", 100, &ev), 0);
	assert_int_equal(json_object_array_length(ev), 1);
	assert_int_equal(json_object_get_int64(json_object_object_get(
	                     json_object_array_get_idx(ev, 0), "execution")), mine);
	json_object_put(ev);
	assert_int_equal(inn_store_events_after(e->st, 0, NULL, NULL, 100, &ev), 0);
	assert_int_equal(json_object_array_length(ev), 3);
	json_object_put(ev);
}

/* ---- API keys ------------------------------------------------------------- */

/* Non-zero if needle occurs in the bytes of file (a missing file holds nothing). */
static int
file_holds(const char *file, const char *needle)
{
	FILE *f = fopen(file, "rb");
	char *buf = NULL;
	long len;
	int found = 0;

	if (f == NULL)
		return 0;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (len > 0 && (buf = malloc((size_t)len)) != NULL &&
	    fread(buf, 1, (size_t)len, f) == (size_t)len)
		found = memmem(buf, (size_t)len, needle, strlen(needle)) != NULL;
	free(buf);
	fclose(f);
	return found;
}

static void
assert_key_shape(const char *k)
{
	size_t i;

	assert_non_null(k);
	assert_int_equal(strlen(k), 44);
	assert_memory_equal(k, "inn_", 4);
	for (i = 4; i < 44; i++)
		assert_non_null(strchr("0123456789abcdef", k[i]));
}

static void
test_keys_create_lookup_revoke(void **state)
{
	struct env *e = *state;
	char *alice = NULL, *root = NULL, *again = NULL, wrong[45], file[4200];
	inn_principal p;
	const char *suffix[] = { "", "-wal", "-shm" };
	size_t i;

	assert_int_equal(inn_store_key_create(e->st, "alice", "user", "payments", &alice), 0);
	assert_key_shape(alice);
	assert_int_equal(inn_store_key_create(e->st, "root", "admin", NULL, &root), 0);
	assert_key_shape(root);
	assert_string_not_equal(alice, root);

	assert_int_equal(inn_store_key_lookup(e->st, alice, &p), 0);
	assert_string_equal(p.name, "alice");
	assert_string_equal(p.role, "user");
	assert_string_equal(p.team, "payments");
	assert_int_equal(inn_store_key_lookup(e->st, root, &p), 0);
	assert_string_equal(p.name, "root");
	assert_string_equal(p.role, "admin");
	assert_string_equal(p.team, "");

	/* One character off; not our shape at all; NULL. */
	snprintf(wrong, sizeof(wrong), "%s", alice);
	wrong[43] = wrong[43] == '0' ? '1' : '0';
	assert_int_equal(inn_store_key_lookup(e->st, wrong, &p), INN_ENOTFOUND);
	assert_string_equal(p.name, "");
	assert_int_equal(inn_store_key_lookup(e->st, "hunter2", &p), INN_ENOTFOUND);
	assert_int_equal(inn_store_key_lookup(e->st, NULL, &p), INN_ENOTFOUND);

	/* The plain key is nowhere on disk: not the store, its WAL or shm. */
	for (i = 0; i < 3 && !use_pg; i++) {
		snprintf(file, sizeof(file), "%s%s", e->path, suffix[i]);
		assert_false(file_holds(file, alice));
		assert_false(file_holds(file, alice + 4));
		assert_false(file_holds(file, root + 4));
	}
	if (!use_pg)
		assert_true(file_holds(e->path, "alice") ||
		            file_holds(tu_path(e->dir, "store.db-wal"), "alice"));
	else {
		char *h = raw_query(e->path, "SELECT string_agg(encode(key_hash, 'hex'), ',') "
		                    "FROM api_keys");

		assert_non_null(h);
		assert_null(strstr(h, alice + 4));
		free(h);
	}

	/* A live key's name is taken; a user keeps its role. */
	assert_int_equal(inn_store_key_create(e->st, "alice", "user", "payments", &again),
	                 INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "revoke");
	assert_null(again);
	assert_int_equal(inn_store_key_create(e->st, "bob", "superuser", NULL, &again), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "superuser");

	/* Revoked: unknown from then on; revoking twice says there is none. */
	assert_int_equal(inn_store_key_revoke(e->st, "alice"), 0);
	assert_int_equal(inn_store_key_lookup(e->st, alice, &p), INN_ENOTFOUND);
	assert_int_equal(inn_store_key_revoke(e->st, "alice"), INN_ENOTFOUND);
	assert_int_equal(inn_store_key_revoke(e->st, "nobody"), INN_ENOTFOUND);

	/* Rotation: a new key under the revoked name; the old one stays dead. */
	assert_int_equal(inn_store_key_create(e->st, "alice", "admin", "payments", &again),
	                 INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "exists with role user");
	assert_int_equal(inn_store_key_create(e->st, "alice", "user", "payments", &again), 0);
	assert_key_shape(again);
	assert_int_equal(inn_store_key_lookup(e->st, again, &p), 0);
	assert_string_equal(p.name, "alice");
	assert_int_equal(inn_store_key_lookup(e->st, alice, &p), INN_ENOTFOUND);

	free(alice);
	free(root);
	free(again);
}

/* ---- audit ------------------------------------------------------------------ */

static void
test_audit_add_list(void **state)
{
	struct env *e = *state;
	json_object *detail = json_tokener_parse("{\"role\":\"user\"}"), *list = NULL, *o;

	assert_int_equal(inn_store_audit(e->st, "root", "key.create", "alice", detail), 0);
	assert_int_equal(inn_store_audit(e->st, "root", "key.revoke", "alice", NULL), 0);
	assert_int_equal(inn_store_audit(e->st, NULL, "server.start", NULL, NULL), 0);

	assert_int_equal(inn_store_audit_list(e->st, 10, &list), 0);
	assert_int_equal(json_object_array_length(list), 3);
	o = json_object_array_get_idx(list, 0);   /* newest first */
	assert_string_equal(json_object_get_string(json_object_object_get(o, "action")),
	                    "server.start");
	assert_null(json_object_object_get(o, "who"));
	o = json_object_array_get_idx(list, 2);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "who")), "root");
	assert_string_equal(json_object_get_string(json_object_object_get(o, "action")),
	                    "key.create");
	assert_string_equal(json_object_get_string(json_object_object_get(o, "target")), "alice");
	assert_true(json_object_equal(json_object_object_get(o, "detail"), detail));
	assert_true(json_object_get_int64(json_object_object_get(o, "ts")) > 0);
	assert_true(json_object_get_int64(json_object_object_get(o, "id")) <
	            json_object_get_int64(json_object_object_get(json_object_array_get_idx(list, 0), "id")));
	json_object_put(list);

	assert_int_equal(inn_store_audit_list(e->st, 2, &list), 0);
	assert_int_equal(json_object_array_length(list), 2);
	json_object_put(list);
	json_object_put(detail);
}

/* ---- hostile strings, reopening ------------------------------------------ */

static void
test_hostile_strings_round_trip(void **state)
{
	struct env *e = *state;
	const char *evil = "x'); DROP TABLE executions; --\"\\ 'quoted' \xc3\xa9 %s %n ?1 :name";
	inn_exec_row r = exec_row(evil, evil, evil, "pending"), *got = NULL, **rows = NULL;
	inn_exec_filter f = { 0 };
	json_object *params = json_object_new_object(), *lines = NULL, *ev = NULL, *au = NULL;
	inn_step_row s = { 0 }, *steps = NULL;
	int64_t seq, total = 0;
	size_t n = 0;

	json_object_object_add(params, evil, json_object_new_string(evil));
	r.params = params;
	r.message = (char *)evil;
	assert_int_equal(inn_store_exec_create(e->st, &r), 0);
	assert_int_equal(inn_store_exec_get(e->st, r.id, &got), 0);
	assert_string_equal(got->workflow, evil);
	assert_string_equal(got->app, evil);
	assert_string_equal(got->team, evil);
	assert_string_equal(got->message, evil);
	assert_string_equal(json_object_get_string(json_object_object_get(got->params, evil)), evil);
	inn_exec_row_free(got);

	f.team = evil;
	f.app = evil;
	assert_int_equal(inn_store_exec_list(e->st, &f, &rows, &n, &total), 0);
	assert_int_equal(total, 1);
	inn_exec_rows_free(rows, n);

	s.name = (char *)evil;
	s.status = (char *)evil;
	assert_int_equal(inn_store_step_put(e->st, r.id, &s), 0);
	assert_int_equal(inn_store_steps_get(e->st, r.id, &steps, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(steps[0].name, evil);
	inn_step_rows_free(steps, n);

	assert_int_equal(inn_store_log_append(e->st, r.id, evil, 1, 1, evil, &seq), 0);
	assert_int_equal(inn_store_logs_get(e->st, r.id, 0, 10, &lines), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(
	                        json_object_array_get_idx(lines, 0), "line")), evil);
	json_object_put(lines);

	assert_int_equal(inn_store_event_add(e->st, evil, r.id, evil, params, &seq), 0);
	assert_int_equal(inn_store_events_after(e->st, 0, evil, NULL, 10, &ev), 0);
	assert_int_equal(json_object_array_length(ev), 1);
	assert_string_equal(json_object_get_string(json_object_object_get(
	                        json_object_array_get_idx(ev, 0), "type")), evil);
	json_object_put(ev);

	assert_int_equal(inn_store_audit(e->st, evil, evil, evil, params), 0);
	assert_int_equal(inn_store_audit_list(e->st, 1, &au), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(
	                        json_object_array_get_idx(au, 0), "target")), evil);
	json_object_put(au);

	/* The table is still there, and so is everything in it. */
	reopen(e);
	assert_int_equal(inn_store_exec_get(e->st, r.id, &got), 0);
	inn_exec_row_free(got);
	json_object_put(params);
}

static void
test_data_survives_reopen(void **state)
{
	struct env *e = *state;
	int64_t id = new_exec(e->st, "shop", "blue", "running"), seq1, seq2;
	inn_exec_row *got = NULL;
	json_object *lines = NULL;
	inn_principal p;
	char *key = NULL;

	assert_int_equal(inn_store_log_append(e->st, id, "s", 1, 1, "before", &seq1), 0);
	assert_int_equal(inn_store_key_create(e->st, "ci", "user", "blue", &key), 0);
	reopen(e);
	assert_int_equal(inn_store_exec_get(e->st, id, &got), 0);
	assert_string_equal(got->status, "running");
	inn_exec_row_free(got);
	assert_int_equal(inn_store_key_lookup(e->st, key, &p), 0);
	assert_string_equal(p.team, "blue");
	assert_int_equal(inn_store_log_append(e->st, id, "s", 1, 1, "after", &seq2), 0);
	assert_true(seq2 > seq1);
	assert_int_equal(inn_store_logs_get(e->st, id, 0, 10, &lines), 0);
	assert_int_equal(json_object_array_length(lines), 2);
	json_object_put(lines);
	free(key);
}

/* ---- concurrency and speed ------------------------------------------------ */

#define THREADS 4
#define PER_THREAD 500

struct appender {
	inn_store *st;
	int64_t exec_id;
	int64_t seqs[PER_THREAD];
	int failures;
};

static void *
append_many(void *arg)
{
	struct appender *a = arg;
	char line[64];
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		snprintf(line, sizeof(line), "line %d", i);
		if (inn_store_log_append(a->st, a->exec_id, "s", 1, 1, line, &a->seqs[i]) != 0)
			a->failures++;
	}
	return NULL;
}

static int
cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static void
test_concurrent_appends(void **state)
{
	struct env *e = *state;
	static struct appender app[THREADS];
	static int64_t all[THREADS * PER_THREAD];
	pthread_t th[THREADS];
	json_object *lines = NULL;
	size_t i, k = 0;
	int t, j;

	for (t = 0; t < THREADS; t++) {
		app[t].st = e->st;
		app[t].exec_id = new_exec(e->st, "shop", "blue", "running");
		app[t].failures = 0;
		assert_int_equal(pthread_create(&th[t], NULL, append_many, &app[t]), 0);
	}
	for (t = 0; t < THREADS; t++)
		assert_int_equal(pthread_join(th[t], NULL), 0);
	for (t = 0; t < THREADS; t++) {
		assert_int_equal(app[t].failures, 0);
		for (j = 0; j < PER_THREAD; j++) {
			if (j > 0)  /* each thread sees its own seqs increase */
				assert_true(app[t].seqs[j] > app[t].seqs[j - 1]);
			all[k++] = app[t].seqs[j];
		}
	}
	qsort(all, k, sizeof(all[0]), cmp_i64);
	for (i = 1; i < k; i++)
		assert_true(all[i] != all[i - 1]);
	/* Every line of every thread is there, in its order. */
	for (t = 0; t < THREADS; t++) {
		assert_int_equal(inn_store_logs_get(e->st, app[t].exec_id, 0, 10000, &lines), 0);
		assert_int_equal(json_object_array_length(lines), PER_THREAD);
		assert_string_equal(json_object_get_string(json_object_object_get(
		                        json_object_array_get_idx(lines, PER_THREAD - 1), "line")),
		                    "line 499");
		json_object_put(lines);
	}
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints the figure; asserts only that every append succeeded. */
static void
test_append_speed(void **state)
{
	struct env *e = *state;
	int64_t id = new_exec(e->st, "shop", "blue", "running"), seq;
	double t0, dt;
	char line[128];
	int i;

	t0 = now_s();
	for (i = 0; i < 10000; i++) {
		snprintf(line, sizeof(line), "deploy: pushed layer %d of the image to the registry", i);
		assert_int_equal(inn_store_log_append(e->st, id, "deploy", 1, 1, line, &seq), 0);
	}
	dt = now_s() - t0;
	printf("# 10000 log appends (%s): %.1f ms, %.1f us each, %.0f/s\n",
	       use_pg ? "PostgreSQL, autocommit" : "SQLite, autocommit, WAL, synchronous=NORMAL",
	       dt * 1e3, dt * 1e6 / 10000, 10000 / dt);
	fflush(stdout);
}

#ifdef HAVE_LIBPQ
/* ---- PostgreSQL only ---------------------------------------------------------- */

/* Errors name the store by its URL with the password as ***. */
static void
test_pg_password_redacted(void **state)
{
	struct env *e = *state;
	inn_store *st = NULL;
	char url[4200];
	const char *at = strchr(strstr(e->path, "://") + 3, '@');

	/* the test server trusts loopback: a password it never checks, and a
	 * database that does not exist, so the server itself answers */
	assert_non_null(at);
	snprintf(url, sizeof(url), "postgresql://postgres:hunter2@%s_missing?password=hunter3",
	         at + 1);
	assert_true(inn_store_open(&st, url) < 0);
	assert_null(st);
	TU_ASSERT_CONTAINS(inn_error_last(), "postgresql://postgres:***@");
	TU_ASSERT_CONTAINS(inn_error_last(), "password=***");
	TU_ASSERT_CONTAINS(inn_error_last(), "does not exist");
	assert_null(strstr(inn_error_last(), "hunter"));
}

#define PG_ONLY_TESTS \
	T(test_pg_password_redacted),
#endif

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* Appends n tests to all[*count], named "prefix/test" and set up by setup_fn. */
static void
add_tests(struct CMUnitTest *all, size_t *count, const struct CMUnitTest *t, size_t n,
          const char *prefix, CMFixtureFunction setup_fn)
{
	size_t i;
	char *name;

	for (i = 0; i < n; i++) {
		if ((name = malloc(strlen(prefix) + strlen(t[i].name) + 2)) == NULL)
			abort();
		memcpy(name, prefix, strlen(prefix));
		name[strlen(prefix)] = '/';
		memcpy(name + strlen(prefix) + 1, t[i].name, strlen(t[i].name) + 1);
		all[*count] = t[i];
		all[*count].name = name;
		all[*count].setup_func = setup_fn;
		(*count)++;
	}
}

#define NUM(a) (sizeof(a) / sizeof((a)[0]))

/* One group (one TAP plan): SQLite, then PostgreSQL when INN_TEST_PG_URL is set. */
int
main(void)
{
	/* both backends */
	const struct CMUnitTest common[] = {
		T(test_migrations_recorded_and_idempotent),
		T(test_newer_schema_is_refused_naming_both_versions),
		T(test_exec_create_get_update),
		T(test_exec_list_filters_and_pages),
		T(test_exec_ids_with_status),
		T(test_steps_put_replace_get),
		T(test_logs_cursor_and_limit),
		T(test_events_after_and_team),
		T(test_app_owner_never_changes),
		T(test_scope_of_a_key_without_team),
		T(test_keys_create_lookup_revoke),
		T(test_audit_add_list),
		T(test_hostile_strings_round_trip),
		T(test_data_survives_reopen),
		T(test_concurrent_appends),
		T(test_append_speed),
	};
	const struct CMUnitTest sqlite_only[] = {
		T(test_wal_mode_is_active),
		T(test_open_paths),
	};
#ifdef HAVE_LIBPQ
	const struct CMUnitTest pg_only[] = {
		PG_ONLY_TESTS
	};
#endif
	struct CMUnitTest all[2 * NUM(common) + NUM(sqlite_only) + 32];
	const char *only_pg = getenv("INN_TEST_ONLY_PG"), *url = getenv("INN_TEST_PG_URL");
	size_t n = 0;

	if (only_pg == NULL || strcmp(only_pg, "1") != 0) {
		add_tests(all, &n, common, NUM(common), "sqlite", setup_sqlite);
		add_tests(all, &n, sqlite_only, NUM(sqlite_only), "sqlite", setup_sqlite);
	}
	if (url != NULL && *url != '\0') {
#ifdef HAVE_LIBPQ
		add_tests(all, &n, common, NUM(common), "pg", setup_pg);
		add_tests(all, &n, pg_only, NUM(pg_only), "pg", setup_pg);
#else
		fprintf(stderr, "INN_TEST_PG_URL is set but this build has no PostgreSQL backend\n");
		return 1;
#endif
	} else if (only_pg != NULL && strcmp(only_pg, "1") == 0) {
		fprintf(stderr, "INN_TEST_ONLY_PG=1 but INN_TEST_PG_URL is not set\n");
		return 1;
	}
	return _cmocka_run_group_tests("store", all, n, NULL, NULL) != 0;
}
