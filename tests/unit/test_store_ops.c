/*
 * test_store_ops.c - the store's operations (server/store.h): a URL shown
 * with its password as *** (every form libpq takes one in, a cut buffer
 * never showing any of it), the command-line refusal, the password file's
 * rules, the call statistics (/metrics), and dump / load / empty / rollback
 * on a SQLite file: a dump loaded into a new store dumps the same, an
 * unknown column or a non-hex key hash is refused, a rolled-back load
 * leaves the store empty, and ids go on past the loaded ones.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "store.h"
#include "testutil.h"

static void
test_url_redact(void **state)
{
	static const struct {
		const char *in, *out;
		int has;
	} cases[] = {
		{ "postgres://app:hunter2@db.example:5432/inn", "postgres://app:***@db.example:5432/inn", 1 },
		{ "postgresql://app@db/inn?sslmode=require&password=hunter2",
		  "postgresql://app@db/inn?sslmode=require&password=***", 1 },
		{ "postgresql://app:a@db/inn?password=b&x=1", "postgresql://app:***@db/inn?password=***&x=1", 1 },
		{ "postgres://app:p@ss/word@db/inn", "postgres://app:***@db/inn", 1 },
		{ "host=db password=hunter2 dbname=inn", "host=db password=*** dbname=inn", 1 },
		/* libpq's conninfo grammar: quoted values with blanks and escapes,
		 * blanks around '=' */
		{ "host=127.0.0.1 password='q SECRET3' user=u", "host=127.0.0.1 password=*** user=u", 1 },
		{ "host=h password='a\\' b' user=u", "host=h password=*** user=u", 1 },
		{ "host=h password = SECRET10", "host=h password = ***", 1 },
		{ " host = h  password =\t'x y'  sslpassword=z", " host = h  password =\t***  sslpassword=***", 1 },
		{ "host=h password=a\\ b dbname=x", "host=h password=*** dbname=x", 1 },
		{ "host=h password='unterminated SECRET", "host=h password=***", 1 },
		{ "host=h password='' dbname=x", "host=h password='' dbname=x", 0 },
		{ "host=h junk password=SECRET", "host=h ***", 1 },
		{ "postgres://app:@db/inn", "postgres://app:@db/inn", 0 },
		{ "postgres://app@db/inn", "postgres://app@db/inn", 0 },
		{ "postgres://db/inn?xpassword=1", "postgres://db/inn?xpassword=1", 0 },
		{ "/var/lib/inn/a:b@c.db", "/var/lib/inn/a:b@c.db", 0 },
		{ "sqlite:/tmp/inn.db", "sqlite:/tmp/inn.db", 0 },
	};
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(inn_store_url_redact(cases[i].in, buf, sizeof(buf)),
		                    cases[i].out);
		assert_int_equal(inn_store_url_has_password(cases[i].in), cases[i].has);
	}
	/* a buffer too short: cut, never a byte of the password */
	for (i = 1; i < 40; i++) {
		inn_store_url_redact("postgres://app:hunter2@db/inn", buf, i);
		assert_true(strlen(buf) < i);
		assert_null(strstr(buf, "hunt"));
	}
}

static void
test_is_conninfo(void **state)
{
	(void)state;
	assert_true(inn_store_is_conninfo("host=h"));
	assert_true(inn_store_is_conninfo("host = h password = x"));
	assert_true(inn_store_is_conninfo("  dbname\t=x"));
	assert_false(inn_store_is_conninfo("postgres://u@h/db?password=x"));
	assert_false(inn_store_is_conninfo("/var/lib/inn.db"));
	assert_false(inn_store_is_conninfo("sqlite:/tmp/a=b.db"));
	assert_false(inn_store_is_conninfo("my file.db"));
	assert_false(inn_store_is_conninfo("=x"));
}

static void
test_argv_check(void **state)
{
	(void)state;
	assert_int_equal(inn_store_url_argv_check("postgres://app@db/inn"), 0);
	assert_int_equal(inn_store_url_argv_check("/tmp/inn.db"), 0);
	assert_int_equal(inn_store_url_argv_check("postgres://app:hunter2@db/inn"), INN_EINVAL);
	assert_null(strstr(inn_error_last(), "hunter2"));
	TU_ASSERT_CONTAINS(inn_error_last(), "postgres://app:***@db/inn");
	TU_ASSERT_CONTAINS(inn_error_last(), "PGPASSWORD");
	TU_ASSERT_CONTAINS(inn_error_last(), "--db-password-file");
}

static void
test_password_file(void **state)
{
	char *dir = tu_mkdtemp("pwfile"), *pw = NULL;
	const char *f = tu_path(dir, "pw");
	char file[4096];

	(void)state;
	snprintf(file, sizeof(file), "%s", f);
	assert_int_equal(tu_write(file, "s3cret\nignored\n"), 0);
	assert_int_equal(chmod(file, 0640), 0);
	assert_int_equal(inn_store_password_file_read(file, &pw), INN_EINVAL);
	assert_null(pw);
	TU_ASSERT_CONTAINS(inn_error_last(), file);
	TU_ASSERT_CONTAINS(inn_error_last(), "0640");
	assert_int_equal(chmod(file, 0600), 0);
	assert_int_equal(inn_store_password_file_read(file, &pw), 0);
	assert_string_equal(pw, "s3cret");
	free(pw);
	assert_int_equal(tu_write(file, "\nsecond\n"), 0);
	assert_int_equal(chmod(file, 0600), 0);
	assert_int_equal(inn_store_password_file_read(file, &pw), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "first line is empty");
	tu_rmrf_free(dir);
}

/* A store in dir/name with an execution, steps, log lines, a key, an app. */
static inn_store *
filled_store(const char *path, int64_t *exec_id, char **key)
{
	inn_store *st = NULL;
	inn_exec_row row = { 0 };
	inn_step_row step = { 0 };
	int64_t seq;

	assert_int_equal(inn_store_open(&st, path), 0);
	row.workflow = "team/wf";
	row.kind = "workflow";
	row.status = "succeeded";
	row.team = "red";
	assert_int_equal(inn_store_exec_create(st, &row), 0);
	*exec_id = row.id;
	step.idx = 0;
	step.name = "one";
	step.status = "succeeded";
	assert_int_equal(inn_store_step_put(st, row.id, &step), 0);
	assert_int_equal(inn_store_log_append(st, row.id, "one", 1, 1, "hello\twörld", &seq), 0);
	assert_int_equal(inn_store_log_append(st, row.id, "one", 1, 2, "", &seq), 0);
	assert_int_equal(inn_store_key_create(st, "ops", "user", "red", key), 0);
	assert_int_equal(inn_store_app_put(st, "shop", "red", "ops", 0), 0);
	assert_int_equal(inn_store_audit(st, "ops", "key.create", "ops", NULL), 0);
	return st;
}

struct lines {
	json_object *all;          /* {"table": T, "row": row} objects */
};

static const char *cur_table;

static int
collect(void *ud, json_object *row)
{
	struct lines *l = ud;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "table", json_object_new_string(cur_table));
	json_object_object_add(o, "row", json_object_get(row));
	json_object_array_add(l->all, o);
	return 0;
}

static json_object *
dump_all(inn_store *st)
{
	struct lines l = { json_object_new_array() };
	size_t i;

	for (i = 0; inn_store_tables[i] != NULL; i++) {
		cur_table = inn_store_tables[i];
		assert_int_equal(inn_store_dump(st, cur_table, collect, &l), 0);
	}
	return l.all;
}

static void
load_all(inn_store *st, json_object *all)
{
	size_t i;

	for (i = 0; i < json_object_array_length(all); i++) {
		json_object *o = json_object_array_get_idx(all, i);

		assert_int_equal(inn_store_load(st, json_object_get_string(
		                     json_object_object_get(o, "table")),
		                     json_object_object_get(o, "row")), 0);
	}
}

static void
test_dump_load_round_trip(void **state)
{
	char *dir = tu_mkdtemp("dump"), a[4096], b[4096], *key = NULL;
	inn_store *src, *dst = NULL;
	json_object *d1, *d2, *bad;
	inn_principal who;
	inn_exec_row row = { 0 };
	int64_t id;

	(void)state;
	snprintf(a, sizeof(a), "%s/a.db", dir);
	snprintf(b, sizeof(b), "%s/b.db", dir);
	src = filled_store(a, &id, &key);
	assert_int_equal(inn_store_empty(src), 0);
	d1 = dump_all(src);
	assert_int_equal(inn_store_open(&dst, b), 0);
	assert_int_equal(inn_store_empty(dst), 1);

	/* refused rows change nothing */
	bad = json_tokener_parse("{\"name\": \"x\", \"nope\": 1}");
	assert_int_equal(inn_store_load(dst, "teams", bad), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "no column \"nope\"");
	json_object_put(bad);
	bad = json_tokener_parse("{\"name\": \"x\", \"created_ms\": 1.5}");
	assert_int_equal(inn_store_load(dst, "teams", bad), INN_EINVAL);
	json_object_put(bad);
	bad = json_tokener_parse("{\"id\": 9, \"name\": \"k\", \"user_name\": \"ops\", "
	                         "\"key_hash\": \"zz\", \"created_ms\": 1}");
	assert_int_equal(inn_store_load(dst, "api_keys", bad), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "not hex");
	json_object_put(bad);

	/* a load rolled back leaves nothing */
	assert_int_equal(inn_store_begin(dst), 0);
	load_all(dst, d1);
	assert_int_equal(inn_store_rollback(dst), 0);
	assert_int_equal(inn_store_empty(dst), 1);

	/* loaded for real: the same dump, the same key, ids go on */
	assert_int_equal(inn_store_begin(dst), 0);
	load_all(dst, d1);
	assert_int_equal(inn_store_commit(dst), 0);
	d2 = dump_all(dst);
	assert_string_equal(json_object_to_json_string(d1), json_object_to_json_string(d2));
	assert_int_equal(inn_store_key_lookup(dst, key, &who), 0);
	assert_string_equal(who.team, "red");
	row.workflow = "team/wf";
	row.kind = "workflow";
	row.status = "pending";
	assert_int_equal(inn_store_exec_create(dst, &row), 0);
	assert_true(row.id > id);
	assert_int_equal(inn_store_empty(dst), 0);

	json_object_put(d1);
	json_object_put(d2);
	free(key);
	inn_store_close(src);
	inn_store_close(dst);
	tu_rmrf_free(dir);
}

static void
test_stats_count_calls(void **state)
{
	inn_store *st = NULL;
	inn_store_stats s0, s1;
	inn_exec_row *row = NULL;
	json_object *bad;
	long long in_buckets;
	int i;

	(void)state;
	assert_int_equal(inn_store_open(&st, ":memory:"), 0);
	inn_store_stats_get(st, &s0);
	assert_int_equal(inn_store_ping(st), 0);
	assert_int_equal(inn_store_exec_get(st, 42, &row), INN_ENOTFOUND);  /* an answer */
	assert_int_equal(inn_store_audit(st, "x", "did", NULL, NULL), 0);
	bad = json_tokener_parse("{\"nope\": 1}");
	assert_int_equal(inn_store_load(st, "teams", bad), INN_EINVAL);     /* a failure */
	json_object_put(bad);
	assert_int_equal(inn_store_exec_get(NULL, 1, &row), INN_EINVAL);   /* not a call */
	inn_store_stats_get(st, &s1);
	assert_int_equal(s1.calls[0] - s0.calls[0], 2);
	assert_int_equal(s1.calls[1] - s0.calls[1], 2);
	assert_int_equal(s1.errors[0] - s0.errors[0], 0);
	assert_int_equal(s1.errors[1] - s0.errors[1], 1);
	for (i = 0; i < 2; i++) {
		int b;

		for (in_buckets = 0, b = 0; b <= INN_STORE_LAT_BUCKETS; b++)
			in_buckets += s1.bucket[i][b];
		assert_int_equal(in_buckets, s1.calls[i]);
		assert_true(s1.us_sum[i] >= 0);
	}
	inn_store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_redact),
		cmocka_unit_test(test_is_conninfo),
		cmocka_unit_test(test_argv_check),
		cmocka_unit_test(test_password_file),
		cmocka_unit_test(test_dump_load_round_trip),
		cmocka_unit_test(test_stats_count_calls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
