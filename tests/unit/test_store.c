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
		/* plan: none written; apply waits for plan; smoke for nothing */
		s.depends_on = order[i] == 0 ? NULL : json_tokener_parse(order[i] == 1 ? "[\"plan\"]" :
		                                                          "[]");
		assert_int_equal(inn_store_step_put(e->st, id, &s), 0);
		json_object_put(s.depends_on);
	}
	s.depends_on = NULL;
	/* Replace step 1: finished, with outputs (its dependencies are kept). */
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
	assert_null(rows[0].depends_on);
	assert_string_equal(json_object_to_json_string_ext(rows[1].depends_on,
	                                                   JSON_C_TO_STRING_PLAIN), "[\"plan\"]");
	assert_string_equal(json_object_to_json_string_ext(rows[2].depends_on,
	                                                   JSON_C_TO_STRING_PLAIN), "[]");
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

	assert_int_equal(inn_store_audit_list(e->st, 10, 0, &list), 0);
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

	assert_int_equal(inn_store_audit_list(e->st, 2, 0, &list), 0);
	assert_int_equal(json_object_array_length(list), 2);
	/* before: the entries older than that id, newest first -- the page
	 * after the one that ended with it */
	o = json_object_object_get(json_object_array_get_idx(list, 1), "id");
	{
		int64_t second = json_object_get_int64(o);
		json_object *older = NULL;

		assert_int_equal(inn_store_audit_list(e->st, 2, second, &older), 0);
		assert_int_equal(json_object_array_length(older), 1);
		assert_string_equal(json_object_get_string(json_object_object_get(
		                        json_object_array_get_idx(older, 0), "action")), "key.create");
		json_object_put(older);
		assert_int_equal(inn_store_audit_list(e->st, 2, second - 1, &older), 0);
		assert_int_equal(json_object_array_length(older), 0);
		json_object_put(older);
		/* the largest id there can be: from the newest */
		assert_int_equal(inn_store_audit_list(e->st, 10, INT64_MAX, &older), 0);
		assert_int_equal(json_object_array_length(older), 3);
		json_object_put(older);
	}
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
	assert_int_equal(inn_store_audit_list(e->st, 1, 0, &au), 0);
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

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

	double t0;

	for (t = 0; t < THREADS; t++) {
		app[t].st = e->st;
		app[t].exec_id = new_exec(e->st, "shop", "blue", "running");
		app[t].failures = 0;
	}
	t0 = now_s();
	for (t = 0; t < THREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, append_many, &app[t]), 0);
	for (t = 0; t < THREADS; t++)
		assert_int_equal(pthread_join(th[t], NULL), 0);
	printf("# %d threads x %d log appends (%s): %.0f/s\n", THREADS, PER_THREAD,
	       use_pg ? "PostgreSQL" : "SQLite", THREADS * PER_THREAD / (now_s() - t0));
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
	/* the same in groups of 100 (begin/commit) */
	t0 = now_s();
	for (i = 0; i < 10000; i++) {
		if (i % 100 == 0)
			assert_int_equal(inn_store_begin(e->st), 0);
		snprintf(line, sizeof(line), "deploy: pushed layer %d of the image to the registry", i);
		assert_int_equal(inn_store_log_append(e->st, id, "deploy", 1, 1, line, &seq), 0);
		if (i % 100 == 99)
			assert_int_equal(inn_store_commit(e->st), 0);
	}
	dt = now_s() - t0;
	printf("# 10000 log appends in groups of 100 (%s): %.0f/s\n",
	       use_pg ? "PostgreSQL" : "SQLite", 10000 / dt);
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

static inn_store *
open_other(struct env *e)
{
	inn_store *st = NULL;

	if (inn_store_open(&st, e->path) != 0)
		fail_msg("open %s: %s", e->path, inn_error_last());
	return st;
}

/* Two handles on one database (two replicas) see each other's rows. */
static void
test_pg_two_handles_share_rows(void **state)
{
	struct env *e = *state;
	inn_store *b = open_other(e);
	inn_exec_row *got = NULL;
	json_object *lines = NULL;
	int64_t id = new_exec(e->st, "shop", "blue", "pending"), seq;
	char *key = NULL;
	inn_principal p;

	assert_int_equal(inn_store_shared(e->st), 1);
	assert_int_equal(inn_store_exec_get(b, id, &got), 0);
	assert_string_equal(got->app, "shop");
	inn_exec_row_free(got);
	assert_int_equal(inn_store_log_append(b, id, "s", 1, 1, "from b", &seq), 0);
	assert_int_equal(inn_store_logs_get(e->st, id, 0, 10, &lines), 0);
	assert_int_equal(json_object_array_length(lines), 1);
	json_object_put(lines);
	assert_int_equal(inn_store_key_create(b, "ci", "user", "blue", &key), 0);
	assert_int_equal(inn_store_key_lookup(e->st, key, &p), 0);
	assert_string_equal(p.team, "blue");
	free(key);
	inn_store_close(b);
}

static inn_exec_row
owned_row(const char *owner, const char *kind, const char *status)
{
	inn_exec_row r = exec_row("storage-team/provision-bucket", "shop", "blue", status);

	r.kind = (char *)kind;
	r.owner = (char *)owner;
	return r;
}

static int64_t
new_owned(inn_store *st, const char *owner, const char *kind, const char *status)
{
	inn_exec_row r = owned_row(owner, kind, status);

	if (inn_store_exec_create(st, &r) != 0)
		fail_msg("exec_create: %s", inn_error_last());
	return r.id;
}

static char *
owner_of(inn_store *st, int64_t id)
{
	inn_exec_row *got = NULL;
	char *o;

	assert_int_equal(inn_store_exec_get(st, id, &got), 0);
	o = got->owner != NULL ? strdup(got->owner) : NULL;
	inn_exec_row_free(got);
	return o;
}

/* Leases on the database's clock; what each ownership move does alone. */
static void
test_pg_replicas_leases_and_moves(void **state)
{
	struct env *e = *state;
	inn_store *b = open_other(e);
	json_object *list = NULL;
	int64_t gen = -1, pend, run, deploy, mine, *ids = NULL;
	size_t n = 0;
	char *o;

	assert_int_equal(inn_store_replica_join(e->st, "ra", "host-a", 60000), 0);
	assert_int_equal(inn_store_replica_join(b, "rdead", "host-b", 1), 0);
	assert_int_equal(inn_store_replica_list(e->st, &list), 0);
	assert_int_equal(json_object_array_length(list), 2);
	assert_string_equal(json_object_get_string(json_object_object_get(
	                        json_object_array_get_idx(list, 0), "id")), "ra");
	assert_true(json_object_get_boolean(json_object_object_get(
	                json_object_array_get_idx(list, 0), "alive")));
	json_object_put(list);
	assert_int_equal(inn_store_replica_beat(e->st, "ra", 60000, &gen), 0);
	assert_int_equal(gen, 0);
	assert_int_equal(inn_store_catalog_bump(b, &gen), 0);
	assert_int_equal(gen, 1);
	assert_int_equal(inn_store_replica_beat(e->st, "ra", 60000, &gen), 0);
	assert_int_equal(gen, 1);

	/* rdead's lease (1 ms) ran out: it cannot renew, claim or fence */
	pend = new_owned(b, "rdead", "workflow", "pending");
	run = new_owned(b, "rdead", "deploy", "running");
	usleep(20 * 1000);
	assert_int_equal(inn_store_replica_beat(b, "rdead", 1, NULL), INN_STORE_LOST);
	assert_int_equal(inn_store_exec_claim_start(b, "rdead", pend, 0), INN_STORE_LOST);
	assert_int_equal(inn_store_exec_fence(b, "rdead", run), INN_STORE_LOST);
	/* nothing to steal from a dead replica; adopting takes both */
	assert_int_equal(inn_store_exec_steal(e->st, "ra", 10, &ids, &n), 0);
	assert_int_equal(n, 0);
	free(ids);
	assert_int_equal(inn_store_exec_adopt(e->st, "ra", 10, &ids, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], pend);
	assert_int_equal(ids[1], run);
	free(ids);
	assert_int_equal(inn_store_exec_fence(e->st, "ra", run), 0);
	assert_int_equal(inn_store_exec_claim_start(e->st, "ra", pend, 1234), 0);
	assert_int_equal(inn_store_exec_claim_start(e->st, "ra", pend, 1234), INN_STORE_LOST);

	/* rb (live) queues; ra steals workflows, never deploys */
	assert_int_equal(inn_store_replica_join(b, "rb", "host-b", 60000), 0);
	deploy = new_owned(b, "rb", "deploy", "pending");
	mine = new_owned(b, "rb", "golden-path", "pending");
	assert_int_equal(inn_store_exec_steal(e->st, "ra", 10, &ids, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], mine);
	free(ids);
	assert_int_equal(inn_store_exec_claim_start(b, "rb", mine, 0), INN_STORE_LOST);
	assert_int_equal(inn_store_exec_fence(b, "rb", mine), INN_STORE_LOST);
	assert_int_equal(inn_store_exec_fence(e->st, "ra", mine), 0);

	/* release: owner NULL, then anyone adopts it */
	assert_int_equal(inn_store_exec_release(b, "rb", &deploy, 1), 0);
	o = owner_of(e->st, deploy);
	assert_null(o);
	assert_int_equal(inn_store_exec_adopt(e->st, "ra", 10, &ids, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], deploy);
	free(ids);
	assert_int_equal(inn_store_exec_release(e->st, "ra", NULL, 0), 0);
	o = owner_of(e->st, deploy);
	assert_null(o);
	o = owner_of(e->st, pend);   /* running: not released */
	assert_string_equal(o, "ra");
	free(o);

	assert_int_equal(inn_store_replica_leave(e->st, "ra"), 0);
	assert_int_equal(inn_store_replica_beat(e->st, "ra", 1000, NULL), INN_STORE_LOST);
	assert_int_equal(inn_store_exec_fence(e->st, "ra", run), INN_STORE_LOST);
	inn_store_close(b);
}

#define WORKERS 4
#define FREE_EXECS 200
#define QUEUED_EXECS 100

struct worker {
	const char *url;
	char me[16];
	int64_t started[FREE_EXECS + QUEUED_EXECS];   /* claim_start answered 0 */
	size_t nstarted, ntaken;
	int failures;
	char why[256];
};

static void
worker_fail(struct worker *w, const char *what)
{
	if (w->failures++ == 0)
		snprintf(w->why, sizeof(w->why), "%s: %s: %s", w->me, what, inn_error_last());
}

/* Claims (starts) what w took; another worker may have stolen it in
 * between (it is pending and w is live): then it is that one's. */
static void
worker_claim(struct worker *w, inn_store *st, const int64_t *ids, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		w->ntaken++;
		rc = inn_store_exec_claim_start(st, w->me, ids[i], 0);
		if (rc == 0)
			w->started[w->nstarted++] = ids[i];
		else if (rc != INN_STORE_LOST)
			worker_fail(w, "claim");
	}
}

/* A replica of its own: steals queued executions of the other replicas
 * and starts them, then adopts what has no live owner and starts it. */
static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	inn_store *st = NULL;
	int64_t *ids = NULL;
	size_t n;
	int idle = 0;

	if (inn_store_open(&st, w->url) != 0) {
		worker_fail(w, "open");
		return NULL;
	}
	if (inn_store_replica_join(st, w->me, "test", 60000) != 0)
		worker_fail(w, "join");
	while (idle < 2 && w->failures == 0) {
		if (inn_store_exec_steal(st, w->me, 5, &ids, &n) != 0) {
			worker_fail(w, "steal");
			break;
		}
		idle = n == 0 ? idle + 1 : 0;
		worker_claim(w, st, ids, n);
		free(ids);
	}
	idle = 0;
	while (idle < 2 && w->failures == 0) {
		if (inn_store_exec_adopt(st, w->me, 7, &ids, &n) != 0) {
			worker_fail(w, "adopt");
			break;
		}
		idle = n == 0 ? idle + 1 : 0;
		worker_claim(w, st, ids, n);
		free(ids);
	}
	inn_store_close(st);
	return NULL;
}

/* Several replicas (a thread and a handle each) take executions at once:
 * every one is taken by exactly one and claimed (started) exactly once. */
static void
test_pg_adopt_steal_claim_under_contention(void **state)
{
	struct env *e = *state;
	static struct worker w[WORKERS];
	static int64_t free_ids[FREE_EXECS], queued[QUEUED_EXECS];
	int claimed_by_busy[QUEUED_EXECS] = { 0 };
	pthread_t th[WORKERS];
	int i, t, hits, nbusy = 0;
	size_t k, ntaken = 0;

	assert_int_equal(inn_store_replica_join(e->st, "busy", "test", 60000), 0);
	for (i = 0; i < FREE_EXECS; i++)
		free_ids[i] = new_owned(e->st, NULL, i % 2 ? "deploy" : "workflow", "pending");
	for (i = 0; i < QUEUED_EXECS; i++)
		queued[i] = new_owned(e->st, "busy", i % 2 ? "golden-path" : "workflow", "pending");
	for (t = 0; t < WORKERS; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].url = e->path;
		snprintf(w[t].me, sizeof(w[t].me), "w%d", t);
		assert_int_equal(pthread_create(&th[t], NULL, worker_run, &w[t]), 0);
	}
	/* the owner starts its queue meanwhile, from the back (the others
	 * steal from the front) */
	for (i = QUEUED_EXECS - 1; i >= 0; i--) {
		int rc = inn_store_exec_claim_start(e->st, "busy", queued[i], 0);

		if (rc != 0 && rc != INN_STORE_LOST)
			fail_msg("claim: %s", inn_error_last());
		claimed_by_busy[i] = rc == 0;
		nbusy += rc == 0;
	}
	for (t = 0; t < WORKERS; t++)
		assert_int_equal(pthread_join(th[t], NULL), 0);
	for (t = 0; t < WORKERS; t++)
		if (w[t].failures != 0)
			fail_msg("%d failures, first: %s", w[t].failures, w[t].why);
	for (i = 0; i < FREE_EXECS + QUEUED_EXECS; i++) {
		int64_t id = i < FREE_EXECS ? free_ids[i] : queued[i - FREE_EXECS];

		hits = i < FREE_EXECS ? 0 : claimed_by_busy[i - FREE_EXECS];
		for (t = 0; t < WORKERS; t++)
			for (k = 0; k < w[t].nstarted; k++)
				hits += w[t].started[k] == id;
		if (hits != 1)
			fail_msg("execution %lld started %d times", (long long)id, hits);
	}
	for (t = 0; t < WORKERS; t++)
		ntaken += w[t].ntaken;
	{
		char *c = raw_query(e->path, "SELECT COUNT(*) FROM executions WHERE status = 'running'");

		assert_string_equal(c, "300");
		free(c);
	}
	printf("# contention: %d workers took %zu times (adopt, steal) for %d executions; the "
	       "owner started %d of its %d queued, each started once\n", WORKERS, ntaken,
	       FREE_EXECS + QUEUED_EXECS, nbusy, QUEUED_EXECS);
}

/* Store-wide locks: one holder at a time, freed by release or close. */
static void
test_pg_lock_exclusive(void **state)
{
	struct env *e = *state;
	inn_store *b = open_other(e);

	assert_int_equal(inn_store_lock_try(e->st, "reaper"), 1);
	assert_int_equal(inn_store_lock_try(e->st, "reaper"), 1);
	assert_int_equal(inn_store_lock_try(b, "reaper"), 0);
	assert_int_equal(inn_store_lock_try(b, "refresh"), 1);
	assert_int_equal(inn_store_lock_try(e->st, "refresh"), 0);
	inn_store_lock_release(e->st, "reaper");
	assert_int_equal(inn_store_lock_try(b, "reaper"), 1);
	assert_int_equal(inn_store_lock_try(e->st, "reaper"), 0);
	inn_store_close(b);
	assert_int_equal(inn_store_lock_try(e->st, "reaper"), 1);
	assert_int_equal(inn_store_lock_try(e->st, "refresh"), 1);
}

struct seen {
	pthread_mutex_t mu;
	json_object *rows;           /* [{kind, row}] */
};

static void
collect(void *ud, const char *kind, json_object *row)
{
	struct seen *s = ud;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(o, "row", json_object_get(row));
	pthread_mutex_lock(&s->mu);
	json_object_array_add(s->rows, o);
	pthread_mutex_unlock(&s->mu);
}

/* The first row of kind whose member key is the string want (NULL: any). */
static json_object *
seen_find(struct seen *s, const char *kind, const char *key, const char *want)
{
	json_object *found = NULL, *o, *row;
	size_t i;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < json_object_array_length(s->rows) && found == NULL; i++) {
		o = json_object_array_get_idx(s->rows, i);
		row = json_object_object_get(o, "row");
		if (strcmp(json_object_get_string(json_object_object_get(o, "kind")), kind) == 0 &&
		    (key == NULL || (json_object_get_string(json_object_object_get(row, key)) != NULL &&
		                     strcmp(json_object_get_string(json_object_object_get(row, key)),
		                            want) == 0)))
			found = row;
	}
	pthread_mutex_unlock(&s->mu);
	return found;
}

/* Another replica's log lines, events, catalog bumps and releases reach
 * the subscriber in the shapes of store.h; its own writes do not. */
static void
test_pg_subscribe_delivers_others_rows(void **state)
{
	struct env *e = *state;
	inn_store *b = open_other(e);
	struct seen s = { PTHREAD_MUTEX_INITIALIZER, json_object_new_array() };
	json_object *data = json_tokener_parse("{\"k\":\"v\"}"), *row;
	char big[9000];
	int64_t x, seq, ev, gen, q;
	int i;

	assert_int_equal(inn_store_replica_join(e->st, "ra", "a", 60000), 0);
	assert_int_equal(inn_store_replica_join(b, "rb", "b", 60000), 0);
	assert_int_equal(inn_store_subscribe(e->st, collect, &s), 0);
	assert_int_equal(inn_store_subscribe(e->st, collect, &s), INN_EINVAL);
	x = new_exec(b, "shop", "blue", "running");
	q = new_owned(b, "rb", "workflow", "pending");
	assert_int_equal(inn_store_log_append(e->st, x, "s", 1, 1, "own line", &seq), 0);
	assert_int_equal(inn_store_event_add(e->st, "own.event", x, NULL, NULL, &ev), 0);
	assert_int_equal(inn_store_log_append(b, x, "deploy", 2, 1, "from b", &seq), 0);
	assert_int_equal(inn_store_event_add(b, "execution.started", x, NULL, data, &ev), 0);
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(inn_store_log_append(b, x, "deploy", 1, 2, big, &seq), 0);
	assert_int_equal(inn_store_catalog_bump(b, &gen), 0);
	assert_int_equal(inn_store_exec_release(b, "rb", NULL, 0), 0);
	for (i = 0; i < 500 && seen_find(&s, "pending", NULL, NULL) == NULL; i++)
		usleep(10 * 1000);

	row = seen_find(&s, "log", "line", "from b");
	assert_non_null(row);
	assert_string_equal(json_object_get_string(json_object_object_get(row, "team")), "blue");
	assert_string_equal(json_object_get_string(json_object_object_get(row, "created_by")),
	                    "ci-key");
	assert_string_equal(json_object_get_string(json_object_object_get(row, "step")), "deploy");
	assert_int_equal(json_object_get_int64(json_object_object_get(row, "execution")), x);
	assert_int_equal(json_object_get_int(json_object_object_get(row, "level")), 2);
	assert_true(json_object_get_int64(json_object_object_get(row, "seq")) > 0);
	assert_true(json_object_get_int64(json_object_object_get(row, "ts")) > 0);
	row = seen_find(&s, "log", "line", big);   /* too long to notify: read back */
	assert_non_null(row);
	assert_int_equal(json_object_get_int64(json_object_object_get(row, "seq")), seq);
	assert_string_equal(json_object_get_string(json_object_object_get(row, "team")), "blue");
	row = seen_find(&s, "event", "type", "execution.started");
	assert_non_null(row);
	assert_int_equal(json_object_get_int64(json_object_object_get(row, "id")), ev);
	assert_true(json_object_equal(json_object_object_get(row, "data"), data));
	assert_string_equal(json_object_get_string(json_object_object_get(row, "team")), "blue");
	assert_string_equal(json_object_get_string(json_object_object_get(row, "created_by")),
	                    "ci-key");
	row = seen_find(&s, "catalog", NULL, NULL);
	assert_non_null(row);
	assert_int_equal(json_object_get_int64(json_object_object_get(row, "gen")), gen);
	row = seen_find(&s, "pending", NULL, NULL);
	assert_non_null(row);
	assert_int_equal(json_object_get_int64(json_object_object_get(row, "id")), q);
	/* its own rows committed first, so they would be there by now */
	assert_null(seen_find(&s, "log", "line", "own line"));
	assert_null(seen_find(&s, "event", "type", "own.event"));
	assert_null(json_object_object_get(seen_find(&s, "log", "line", "from b"), "origin"));

	inn_store_close(b);
	inn_store_close(e->st);   /* stops the subscription before s goes */
	e->st = NULL;
	json_object_put(s.rows);
	json_object_put(data);
}

static int
dump_into(void *ud, json_object *row)
{
	json_object_array_add(ud, json_object_get(row));
	return 0;
}

static int
dump_stop(void *ud, json_object *row)
{
	(void)row;
	return ++*(int *)ud == 2 ? 42 : 0;
}

/* Every table of st, as {table: [rows]}. */
static json_object *
dump_all(inn_store *st)
{
	json_object *all = json_object_new_object(), *rows;
	size_t i;

	for (i = 0; inn_store_tables[i] != NULL; i++) {
		rows = json_object_new_array();
		if (inn_store_dump(st, inn_store_tables[i], dump_into, rows) != 0)
			fail_msg("dump %s: %s", inn_store_tables[i], inn_error_last());
		json_object_object_add(all, inn_store_tables[i], rows);
	}
	return all;
}

/* A dump of one store loaded into an empty one reproduces it: the same
 * rows and ids, keys that still look up, new ids past the loaded ones. */
static void
test_pg_dump_load_reproduces(void **state)
{
	struct env *e = *state;
	json_object *a, *b, *rows, *data = json_tokener_parse("{\"n\":1}"), *hex;
	inn_source_row src = { 0 };
	inn_resource_row res = { 0 };
	inn_step_row step = { 0 };
	inn_store *other = NULL;
	char url[4200], db[80], sql[160], *key = NULL;
	int64_t id, seq, ev, id2;
	inn_principal p;
	size_t i;
	int calls = 0;

	assert_int_equal(inn_store_empty(e->st), 1);
	assert_int_equal(inn_store_key_create(e->st, "ci", "user", "blue", &key), 0);
	id = new_exec(e->st, "shop", "blue", "succeeded");
	(void)new_exec(e->st, "blog", NULL, "failed");
	step.name = (char *)"plan";
	step.status = (char *)"succeeded";
	step.outputs = data;
	assert_int_equal(inn_store_step_put(e->st, id, &step), 0);
	assert_int_equal(inn_store_log_append(e->st, id, "plan", 1, 1, "hello \xc3\xa9 'q'", &seq), 0);
	assert_int_equal(inn_store_event_add(e->st, "execution.done", id, "blue", data, &ev), 0);
	assert_int_equal(inn_store_audit(e->st, "root", "key.create", "ci", data), 0);
	src.name = (char *)"tools";
	src.kind = (char *)"git";
	src.url = (char *)"https://git.example/tools.git";
	src.path = (char *)"";
	src.added_by = (char *)"root";
	assert_int_equal(inn_store_source_put(e->st, &src), 0);
	assert_int_equal(inn_store_app_put(e->st, "shop", "blue", "ci", 0), 0);
	res.app = (char *)"shop";
	res.name = (char *)"db";
	res.type = (char *)"postgres";
	res.status = (char *)"active";
	res.outputs = data;
	res.exec_id = id;
	assert_int_equal(inn_store_resource_put(e->st, &res), 0);
	assert_int_equal(inn_store_empty(e->st), 0);

	a = dump_all(e->st);
	rows = json_object_object_get(a, "api_keys");
	assert_int_equal(json_object_array_length(rows), 1);
	hex = json_object_object_get(json_object_array_get_idx(rows, 0), "key_hash");
	assert_int_equal(json_object_get_string_len(hex), 64);
	for (i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", json_object_get_string(hex)[i]));
	assert_true(json_object_is_type(json_object_object_get(json_object_array_get_idx(
	                json_object_object_get(a, "executions"), 0), "id"), json_type_int));
	assert_null(json_object_object_get(json_object_array_get_idx(
	                json_object_object_get(a, "executions"), 1), "team"));
	assert_int_equal(inn_store_dump(e->st, "step_logs", dump_stop, &calls), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(inn_store_dump(e->st, "executions", dump_stop, &calls), 42);

	snprintf(db, sizeof(db), "%s_copy", e->db);
	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", db);
	free(pg_raw(getenv("INN_TEST_PG_URL"), sql));
	pg_url(url, sizeof(url), db);
	if (inn_store_open(&other, url) != 0)
		fail_msg("open %s: %s", url, inn_error_last());
	assert_int_equal(inn_store_empty(other), 1);
	for (i = 0; inn_store_tables[i] != NULL; i++) {
		size_t k;

		rows = json_object_object_get(a, inn_store_tables[i]);
		for (k = 0; k < json_object_array_length(rows); k++)
			if (inn_store_load(other, inn_store_tables[i],
			                   json_object_array_get_idx(rows, k)) != 0)
				fail_msg("load %s: %s", inn_store_tables[i], inn_error_last());
	}
	b = dump_all(other);
	if (!json_object_equal(a, b))
		fail_msg("dumps differ:\n%s\n%s", json_object_to_json_string(a),
		         json_object_to_json_string(b));
	assert_int_equal(inn_store_empty(other), 0);
	assert_int_equal(inn_store_key_lookup(other, key, &p), 0);
	assert_string_equal(p.name, "ci");
	assert_string_equal(p.team, "blue");
	id2 = new_exec(other, "shop", "blue", "pending");
	assert_true(id2 > id + 1);
	assert_int_equal(inn_store_log_append(other, id2, "s", 1, 1, "next", &ev), 0);
	assert_true(ev > seq);
	/* an unknown column is refused */
	rows = json_tokener_parse("{\"name\":\"t\",\"created_ms\":1,\"colour\":\"red\"}");
	assert_int_equal(inn_store_load(other, "teams", rows), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "colour");
	json_object_put(rows);

	inn_store_close(other);
	snprintf(sql, sizeof(sql), "DROP DATABASE \"%s\" WITH (FORCE)", db);
	free(pg_raw(getenv("INN_TEST_PG_URL"), sql));
	json_object_put(a);
	json_object_put(b);
	json_object_put(data);
	free(key);
}

/* The server ends every connection of the store (a restart, a proxy's
 * timeout): the next operations reconnect and succeed. */
static void
test_pg_reconnects_after_lost_connections(void **state)
{
	struct env *e = *state;
	inn_exec_row *got = NULL;
	int64_t id = new_exec(e->st, "shop", "blue", "running"), seq;
	char *n;
	int i;

	assert_int_equal(inn_store_lock_try(e->st, "reaper"), 1);
	n = raw_query(e->path, "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
	              "WHERE datname = current_database() AND pid <> pg_backend_pid()");
	assert_non_null(n);
	assert_true(strcmp(n, "0") != 0);
	free(n);
	for (i = 0; i < 8; i++) {   /* more than the pool holds */
		assert_int_equal(inn_store_exec_get(e->st, id, &got), 0);
		inn_exec_row_free(got);
		got = NULL;
	}
	assert_int_equal(inn_store_log_append(e->st, id, "s", 1, 1, "after", &seq), 0);
	assert_int_equal(inn_store_ping(e->st), 0);
	/* the lock went with its connection; taking it again works */
	assert_int_equal(inn_store_lock_try(e->st, "reaper"), 1);
}

struct opener {
	const char *url;
	int rc;
	char why[256];
};

static void *
open_one(void *arg)
{
	struct opener *o = arg;
	inn_store *st = NULL;

	o->rc = inn_store_open(&st, o->url);
	if (o->rc != 0)
		snprintf(o->why, sizeof(o->why), "%s", inn_error_last());
	inn_store_close(st);
	return NULL;
}

/* Replicas starting together on a new database: each migration is
 * applied once, and every one of them opens. */
static void
test_pg_concurrent_first_opens_migrate_once(void **state)
{
	struct env *e = *state;
	struct opener o[4];
	pthread_t th[4];
	char url[4200], db[80], sql[160], *c;
	int i, v = inn_store_schema_version(e->st);

	snprintf(db, sizeof(db), "%s_race", e->db);
	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", db);
	free(pg_raw(getenv("INN_TEST_PG_URL"), sql));
	pg_url(url, sizeof(url), db);
	for (i = 0; i < 4; i++) {
		o[i].url = url;
		assert_int_equal(pthread_create(&th[i], NULL, open_one, &o[i]), 0);
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (i = 0; i < 4; i++)
		if (o[i].rc != 0)
			fail_msg("open %d: %s", i, o[i].why);
	c = pg_raw(url, "SELECT COUNT(*) || ':' || MAX(version) FROM schema_migrations");
	snprintf(sql, sizeof(sql), "%d:%d", v, v);
	assert_string_equal(c, sql);
	free(c);
	snprintf(sql, sizeof(sql), "DROP DATABASE \"%s\" WITH (FORCE)", db);
	free(pg_raw(getenv("INN_TEST_PG_URL"), sql));
}

#define CURSOR_WRITERS 3
#define CURSOR_PER_WRITER 300

struct cursor_writer {
	const char *url;
	int64_t exec_id;
	int failures;
	int *finished;               /* writers done (atomic) */
};

static void *
cursor_write(void *arg)
{
	struct cursor_writer *w = arg;
	inn_store *st = NULL;
	int64_t id;
	int i;

	if (inn_store_open(&st, w->url) != 0) {
		w->failures++;
		__atomic_add_fetch(w->finished, 1, __ATOMIC_SEQ_CST);
		return NULL;
	}
	for (i = 0; i < CURSOR_PER_WRITER; i++) {
		if (inn_store_log_append(st, w->exec_id, "s", 1, 1, "x", &id) != 0)
			w->failures++;
		if (inn_store_event_add(st, "t", w->exec_id, NULL, NULL, &id) != 0)
			w->failures++;
	}
	inn_store_close(st);
	__atomic_add_fetch(w->finished, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Reads what came after the cursors; returns how many new rows. */
static size_t
cursor_read(inn_store *st, int64_t exec_id, int64_t *log_after, int64_t *ev_after)
{
	json_object *rows = NULL;
	size_t n, total = 0;

	assert_int_equal(inn_store_logs_get(st, exec_id, *log_after, 10000, &rows), 0);
	n = json_object_array_length(rows);
	if (n > 0)
		*log_after = json_object_get_int64(json_object_object_get(
		    json_object_array_get_idx(rows, n - 1), "seq"));
	total += n;
	json_object_put(rows);
	assert_int_equal(inn_store_events_after(st, *ev_after, NULL, NULL, 10000, &rows), 0);
	n = json_object_array_length(rows);
	if (n > 0)
		*ev_after = json_object_get_int64(json_object_object_get(
		    json_object_array_get_idx(rows, n - 1), "id"));
	total += n;
	json_object_put(rows);
	return total;
}

/* A follower reading "after its cursor" while several replicas write
 * never skips a row: rows become visible in id order. */
static void
test_pg_cursors_never_skip_rows(void **state)
{
	struct env *e = *state;
	struct cursor_writer w[CURSOR_WRITERS];
	pthread_t th[CURSOR_WRITERS];
	int64_t x = new_exec(e->st, "shop", "blue", "running"), log_after = 0, ev_after = 0;
	size_t seen = 0;
	int i, finished = 0;

	for (i = 0; i < CURSOR_WRITERS; i++) {
		w[i].url = e->path;
		w[i].exec_id = x;
		w[i].failures = 0;
		w[i].finished = &finished;
		assert_int_equal(pthread_create(&th[i], NULL, cursor_write, &w[i]), 0);
	}
	while (seen < 2 * CURSOR_WRITERS * CURSOR_PER_WRITER) {
		size_t before = seen;

		seen += cursor_read(e->st, x, &log_after, &ev_after);
		if (seen == before && __atomic_load_n(&finished, __ATOMIC_SEQ_CST) == CURSOR_WRITERS)
			break;
	}
	for (i = 0; i < CURSOR_WRITERS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
	seen += cursor_read(e->st, x, &log_after, &ev_after);
	assert_int_equal(seen, 2 * CURSOR_WRITERS * CURSOR_PER_WRITER);
}

/* begin/commit: one transaction for the thread's writes, seen by the
 * other replicas only at commit; a failure inside loses the group. */
static void
test_pg_group_commit(void **state)
{
	struct env *e = *state;
	inn_store *b = open_other(e);
	int64_t x = new_exec(e->st, "shop", "blue", "running"), seq, ev;
	inn_step_row step = { 0 }, *rows = NULL;
	json_object *lines = NULL;
	size_t n = 9;

	step.name = (char *)"plan";
	step.status = (char *)"running";
	assert_int_equal(inn_store_begin(e->st), 0);
	assert_true(inn_store_begin(e->st) < 0);   /* one group per thread */
	assert_int_equal(inn_store_step_put(e->st, x, &step), 0);
	assert_int_equal(inn_store_event_add(e->st, "step.running", x, NULL, NULL, &ev), 0);
	assert_int_equal(inn_store_log_append(e->st, x, "plan", 1, 1, "grouped", &seq), 0);
	assert_int_equal(inn_store_steps_get(b, x, &rows, &n), 0);
	assert_int_equal(n, 0);
	inn_step_rows_free(rows, n);
	assert_int_equal(inn_store_commit(e->st), 0);
	assert_int_equal(inn_store_steps_get(b, x, &rows, &n), 0);
	assert_int_equal(n, 1);
	inn_step_rows_free(rows, n);
	assert_int_equal(inn_store_logs_get(b, x, 0, 10, &lines), 0);
	assert_int_equal(json_object_array_length(lines), 1);
	json_object_put(lines);
	assert_true(inn_store_commit(e->st) < 0);  /* no group open */

	assert_int_equal(inn_store_begin(e->st), 0);
	assert_int_equal(inn_store_log_append(e->st, x, "plan", 1, 1, "lost", &seq), 0);
	assert_int_equal(inn_store_step_put(e->st, x + 100, &step), INN_ENOTFOUND);
	assert_true(inn_store_log_append(e->st, x, "plan", 1, 1, "lost too", &seq) < 0);
	assert_true(inn_store_commit(e->st) < 0);
	assert_int_equal(inn_store_logs_get(b, x, 0, 10, &lines), 0);
	assert_int_equal(json_object_array_length(lines), 1);
	json_object_put(lines);
	assert_int_equal(inn_store_log_append(e->st, x, "plan", 1, 1, "after", &seq), 0);
	inn_store_close(b);
}

#define PG_ONLY_TESTS \
	T(test_pg_group_commit), \
	T(test_pg_concurrent_first_opens_migrate_once), \
	T(test_pg_cursors_never_skip_rows), \
	T(test_pg_reconnects_after_lost_connections), \
	T(test_pg_dump_load_reproduces), \
	T(test_pg_password_redacted), \
	T(test_pg_two_handles_share_rows), \
	T(test_pg_replicas_leases_and_moves), \
	T(test_pg_adopt_steal_claim_under_contention), \
	T(test_pg_lock_exclusive), \
	T(test_pg_subscribe_delivers_others_rows),
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
	size_t n = 0, i;
	int failed;

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
	failed = _cmocka_run_group_tests("store", all, n, NULL, NULL);
	for (i = 0; i < n; i++)
		free((char *)all[i].name);
	return failed != 0;
}
