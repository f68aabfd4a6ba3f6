/*
 * test_core.c - the engine's small parts: YAML trees with positions and
 * typed scalars, admin-config policies, durations, the secret
 * masker, the host's typed inputs, outputs and capped, masked step log, the
 * clocks and the growable-array helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "buf.h"
#include "clock.h"
#include "duration.h"
#include "error.h"
#include "host.h"
#include "mask.h"
#include "model.h"
#include "policy.h"
#include "testutil.h"
#include "yaml_tree.h"


static inn_ydoc *
yaml(const char *text)
{
	inn_ydoc *d = NULL;

	if (inn_yaml_load_string(&d, "t.yaml", text, strlen(text)) != 0)
		fail_msg("parse failed: %s", inn_error_last());
	return d;
}

static void
test_yaml_positions_and_types(void **state)
{
	inn_ydoc *d = yaml("a: 1\nb:\n  - false\n  - \"false\"\n  - ~\n  - 2.5\n  - 0x1F\n"
	                   "c: &anchor {k: v}\nd: *anchor\n");
	const inn_ynode *b = inn_ymap_get(d->root, "b");
	json_object *j;

	(void)state;
	assert_non_null(b);
	assert_int_equal(b->kind, INN_Y_SEQ);
	assert_int_equal(b->line, 3);
	assert_int_equal(b->col, 3);
	j = inn_ynode_to_json(d->root);
	assert_true(json_object_is_type(json_object_object_get(j, "a"), json_type_int));
	b = NULL;
	{
		json_object *arr = json_object_object_get(j, "b");

		assert_true(json_object_is_type(json_object_array_get_idx(arr, 0),
		                                json_type_boolean));
		assert_false(json_object_get_boolean(json_object_array_get_idx(arr, 0)));
		assert_true(json_object_is_type(json_object_array_get_idx(arr, 1),
		                                json_type_string));
		assert_null(json_object_array_get_idx(arr, 2));
		assert_true(json_object_is_type(json_object_array_get_idx(arr, 3),
		                                json_type_double));
		/* hex is not a YAML 1.2 core int: stays text */
		assert_string_equal(json_object_get_string(json_object_array_get_idx(arr, 4)),
		                    "0x1F");
	}
	assert_string_equal(json_object_get_string(json_object_object_get(
	    json_object_object_get(j, "d"), "k")), "v");
	json_object_put(j);
	inn_ydoc_free(d);
}

static void
test_yaml_errors_name_file_line_column(void **state)
{
	inn_ydoc *d = NULL;
	const char *bad = "a: 1\nb: [1, 2\nc: 3\n";
	const char *dup = "name: x\nsteps: []\nname: y\n";

	(void)state;
	assert_int_equal(inn_yaml_load_string(&d, "broken.yaml", bad, strlen(bad)),
	                 INN_EINVAL);
	assert_null(d);
	TU_ASSERT_CONTAINS(inn_error_last(), "broken.yaml:3:");
	assert_int_equal(inn_yaml_load_string(&d, "dup.yaml", dup, strlen(dup)),
	                 INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "dup.yaml:3:1: duplicate key \"name\" (first at line 1)");
	assert_int_equal(inn_yaml_load_file(&d, "/nonexistent/x.yaml"), INN_ENOTFOUND);
	TU_ASSERT_CONTAINS(inn_error_last(), "/nonexistent/x.yaml: cannot open");
}

static void
test_yaml_alias_bomb_is_bounded(void **state)
{
	char text[4096];
	size_t o = 0;
	int i;
	inn_ydoc *d;

	(void)state;
	o += (size_t)snprintf(text + o, sizeof(text) - o, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (i = 1; i < 9; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		                      "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
		                      i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
		                      i - 1, i - 1, i - 1);
	d = yaml(text);
	assert_null(inn_ynode_to_json(d->root));
	TU_ASSERT_CONTAINS(inn_error_last(), "alias bomb");
	inn_ydoc_free(d);
	/* an alias inside its own anchor cannot make the tree a loop */
	d = NULL;
	assert_int_equal(inn_yaml_load_string(&d, "loop.yaml", "a: &a [*a]\n", 11), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "loop.yaml:1:8: unknown alias *a");
}

static const char *
write_tmp(const char *dir, const char *name, const char *text)
{
	const char *p = tu_path(dir, name);

	assert_int_equal(tu_write(p, text), 0);
	return p;
}

static void
test_policy_fields_and_errors(void **state)
{
	char *dir = tu_mkdtemp("policy");
	inn_policy *p = NULL;

	(void)state;
	assert_int_equal(inn_policy_load(&p, write_tmp(dir, "a.yaml",
	    "workflowPolicies:\n  maxStepsPerWorkflow: 7\n  maxWorkflowDuration: 1h30m\n"
	    "  allowedStepTypes:\n    - shell\n    - terraform\n"), 0), 0);
	assert_true(inn_policy_allows(p, "shell"));
	assert_false(inn_policy_allows(p, "ansible"));
	assert_int_equal(p->max_steps, 7);
	assert_int_equal(p->max_workflow_ms, 90 * 60 * 1000);
	inn_policy_free(p);

	/* one type name (or "*") written as a scalar is the list of it */
	assert_int_equal(inn_policy_load(&p, write_tmp(dir, "s.yaml",
	    "workflowPolicies:\n  allowedStepTypes: shell\n"), 0), 0);
	assert_true(inn_policy_allows(p, "shell"));
	assert_false(inn_policy_allows(p, "ansible"));
	inn_policy_free(p);
	assert_int_equal(inn_policy_load(&p, write_tmp(dir, "b.yaml",
	    "workflowPolicies:\n  allowedStepTypes: {shell: 1}\n"), 0), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "b.yaml:2:21: workflowPolicies.allowedStepTypes: "
	                "must be a list");
	assert_int_equal(inn_policy_load(&p, write_tmp(dir, "c.yaml",
	    "workflowPolicies:\n  maxWorkflowDuration: soon\n"), 0), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "c.yaml:2:24: workflowPolicies.maxWorkflowDuration: "
	                "\"soon\" is not a duration");
	assert_int_equal(inn_policy_load(&p, write_tmp(dir, "d.yaml",
	    "workflowPolicies:\n  maxStepsPerWorkflow: many\n"), 0), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "d.yaml:2:24: workflowPolicies.maxStepsPerWorkflow");
	/* a missing default file is the default policy; an explicit one is an error */
	assert_int_equal(inn_policy_load(&p, tu_path(dir, "none.yaml"), 1), 0);
	assert_true(p->allow_all);
	assert_false(p->has_allow_list);
	inn_policy_free(p);
	assert_int_not_equal(inn_policy_load(&p, tu_path(dir, "none.yaml"), 0), 0);
	tu_rmrf_free(dir);
}

static void
test_durations(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(inn_parse_duration_ms("90", &ms), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(inn_parse_duration_ms("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(inn_parse_duration_ms("1h30m", &ms), 0);
	assert_int_equal(ms, 5400000);
	assert_int_equal(inn_parse_duration_ms("", &ms), -1);
	assert_int_equal(inn_parse_duration_ms("5x", &ms), -1);
	assert_int_equal(inn_parse_duration_ms("m", &ms), -1);
	assert_int_equal(inn_parse_duration_ms("99999999999999999999s", &ms), -1);
}

static void
test_masker_masks_value_and_encodings(void **state)
{
	inn_masker *m;
	const char *line = "pw=s3cr3t/+x b64=czNjcjN0Lyt4 url=s3cr3t%2F%2Bx ok";
	char *out;

	(void)state;
	assert_int_equal(inn_masker_new(&m), 0);
	assert_null(inn_masker_apply(m, line, strlen(line), NULL));
	assert_int_equal(inn_masker_add(m, "s3cr3t/+x"), 0);
	assert_int_equal(inn_masker_add(m, "ab"), 0); /* too short: ignored */
	out = inn_masker_apply(m, line, strlen(line), NULL);
	assert_non_null(out);
	assert_string_equal(out, "pw=*** b64=*** url=*** ok");
	free(out);
	inn_masker_free(m);
}

struct logbuf {
	char text[8192];
	size_t lines;
};

static void
collect(void *ud, const inn_step *step, int level, int stream, const char *line,
        size_t len)
{
	struct logbuf *b = ud;
	size_t used = strlen(b->text);

	(void)step;
	(void)level;
	(void)stream;
	b->lines++;
	if (used + len + 2 < sizeof(b->text)) {
		memcpy(b->text + used, line, len);
		b->text[used + len] = '\n';
		b->text[used + len + 1] = '\0';
	}
}

static int
lookup_secret(void *ud, const char *name, const char **value)
{
	(void)ud;
	if (strcmp(name, "db_password") != 0)
		return INN_ENOTFOUND;
	*value = "hunter2hunter2";
	return 0;
}

static void
test_host_inputs_outputs_and_log(void **state)
{
	const inn_host *h = inn_host_table();
	struct logbuf lb;
	inn_step_opts o;
	inn_step *s;
	const char *str;
	int64_t i64;
	int b;
	char *js;

	(void)state;
	memset(&lb, 0, sizeof(lb));
	memset(&o, 0, sizeof(o));
	o.type = "shell";
	o.name = "build";
	o.config = json_tokener_parse("{\"script\":\"echo\",\"n\":3,\"on\":false,"
	                              "\"nothing\":null,\"env\":{\"A\":\"1\",\"B\":\"2\"},"
	                              "\"list\":[\"x\",\"y\"]}");
	o.log = collect;
	o.log_ud = &lb;
	o.log_max_bytes = 64;
	o.output_max_bytes = 16;
	o.secret = lookup_secret;
	assert_int_equal(inn_step_new(&s, &o), 0);
	json_object_put(o.config);

	assert_int_equal(h->input_string(s, "script", &str), 0);
	assert_string_equal(str, "echo");
	assert_int_equal(h->input_int(s, "n", &i64), 0);
	assert_int_equal(i64, 3);
	assert_int_equal(h->input_bool(s, "on", &b), 0);
	assert_false(b);
	assert_int_equal(h->input_string(s, "n", &str), INN_ETYPE);
	TU_ASSERT_CONTAINS(h->last_error(), "step \"build\": config.n must be a string");
	assert_int_equal(h->input_string(s, "missing", &str), INN_ENOTFOUND);
	assert_int_equal(h->input_type(s, "nothing"), INN_VALUE_NULL);
	assert_int_equal(h->input_type(s, "missing"), INN_VALUE_ABSENT);
	assert_int_equal(h->input_type(s, "list.1"), INN_VALUE_STRING);
	assert_int_equal(h->input_type(s, "list.2"), INN_VALUE_ABSENT);
	assert_int_equal(h->input_count(s, "env"), 2);
	assert_string_equal(h->input_key(s, "env", 1), "B");
	assert_int_equal(h->input_json(s, "list", &js), 0);
	assert_string_equal(js, "[\"x\",\"y\"]");
	h->free(js);

	/* outputs: cap, names, secrets */
	assert_int_equal(h->output(s, "url", "http://x", 0), 0);
	assert_int_equal(h->output(s, "big", "0123456789abcdefXYZ", 0), INN_ETOOBIG);
	TU_ASSERT_CONTAINS(h->last_error(), "over the 16-byte cap");
	assert_int_equal(h->output(s, "bad name", "v", 0), INN_EINVAL);
	assert_int_equal(h->secret(s, "db_password", &str), 0);
	assert_int_equal(h->secret(s, "nope", &str), INN_ENOTFOUND);
	TU_ASSERT_CONTAINS(h->last_error(), "secret \"nope\" is not defined");
	assert_int_equal(h->output(s, "token", "tok-12345", INN_OUTPUT_SECRET), 0);
	assert_true(inn_step_output_is_secret(s, "token"));
	assert_false(inn_step_output_is_secret(s, "url"));

	/* log: secrets masked, then the cap drops the rest and counts it */
	h->log(s, INN_LOG_INFO, "connecting with %s and %s", "hunter2hunter2", "tok-12345");
	assert_string_equal(lb.text, "connecting with *** and ***\n");
	h->log(s, INN_LOG_INFO, "%s", "this line is long enough to pass the 64-byte cap");
	assert_int_equal(lb.lines, 2);
	TU_ASSERT_CONTAINS(lb.text, "[log truncated: the step log reached its 64-byte cap");
	assert_true(inn_step_log_dropped(s) > 0);
	h->log(s, INN_LOG_INFO, "%s", "and this one is dropped without a second note");
	assert_int_equal(lb.lines, 2);
	assert_true(access(h->workspace(s), W_OK) == 0);
	inn_step_free(s);
}

/* The bounded buffer: appends up to its maximum, refuses past it without
 * losing what it holds, and hands its text over. */
static void
test_buf_bounded(void **state)
{
	inn_buf b = INN_BUF_INIT(10);
	char *t;

	(void)state;
	assert_int_equal(inn_buf_adds(&b, "abc"), 0);
	assert_int_equal(inn_buf_addf(&b, "%d-%s", 42, "x"), 0);
	assert_string_equal(b.p, "abc42-x");
	assert_int_equal(inn_buf_adds(&b, "toolong"), INN_ETOOBIG);
	assert_int_equal(inn_buf_addf(&b, "%s", "1234"), INN_ETOOBIG);
	assert_string_equal(b.p, "abc42-x");
	assert_int_equal(b.len, 7);
	assert_int_equal(inn_buf_add(&b, "123", 3), 0);
	assert_int_equal(b.len, 10);
	assert_int_equal(inn_buf_add(&b, "", 0), 0);
	assert_int_equal(inn_buf_add(&b, "z", 1), INN_ETOOBIG);
	inn_buf_reset(&b);
	assert_string_equal(b.p, "");
	assert_int_equal(inn_buf_adds(&b, "again"), 0);
	t = inn_buf_take(&b);
	assert_string_equal(t, "again");
	assert_null(b.p);
	free(t);
	t = inn_buf_take(&b);
	assert_string_equal(t, "");
	free(t);
	inn_buf_free(&b);
}

/* The wall clock is the epoch in ms (as time() says, to the second); the
 * monotonic one never goes back and counts real time. */
static void
test_clock(void **state)
{
	int64_t before = (int64_t)time(NULL) * 1000, wall = inn_wall_ms();
	int64_t after = (int64_t)time(NULL) * 1000 + 1000, m1, m2;

	(void)state;
	assert_true(wall >= before && wall < after);
	m1 = inn_now_ms();
	usleep(20 * 1000);
	m2 = inn_now_ms();
	assert_true(m2 - m1 >= 20 && m2 - m1 < 5000);
}

/* Room grows by doubling from first and keeps what was there; a request
 * that cannot be met leaves the array and its capacity as they were. */
static void
test_array_reserve_and_strv(void **state)
{
	size_t cap = 0, i;
	char **v = NULL, **nv;
	int *a;

	(void)state;
	for (i = 0; i < 5; i++) {
		nv = inn_array_reserve(v, &cap, i + 1, sizeof(*v), 2);
		assert_non_null(nv);
		v = nv;
		assert_non_null(v[i] = strdup("x"));
	}
	assert_int_equal(cap, 8);
	assert_ptr_equal(inn_array_reserve(v, &cap, 8, sizeof(*v), 2), v);
	assert_int_equal(cap, 8);
	assert_null(inn_array_reserve(v, &cap, SIZE_MAX / 2, sizeof(*v), 2));
	assert_int_equal(cap, 8);
	assert_string_equal(v[4], "x");
	inn_strv_free(v, 5);
	inn_strv_free(NULL, 3);
	cap = 0;
	assert_non_null(a = inn_array_reserve(NULL, &cap, 3, sizeof(*a), 0));
	assert_int_equal(cap, 4);
	free(a);
}

struct named { int before; char *name; };

static void
test_array_free_all_and_find_name(void **state)
{
	struct named arr[3] = { { 1, "a" }, { 2, NULL }, { 3, "b" } };
	struct named *ptrs[3] = { &arr[2], &arr[0], &arr[1] };
	char *x = strdup("x"), *y = strdup("y");
	size_t off = offsetof(struct named, name);

	(void)state;
	/* NULLs among them are fine; the leak checker sees the rest freed */
	INN_FREE_ALL(x, NULL, y);
	inn_free_each(NULL, 0);
	assert_ptr_equal(inn_array_find_name(arr, 3, sizeof(arr[0]), off, "b"), &arr[2]);
	assert_ptr_equal(inn_array_find_name(arr, 3, sizeof(arr[0]), off, "a"), &arr[0]);
	assert_null(inn_array_find_name(arr, 3, sizeof(arr[0]), off, "c"));
	assert_null(inn_array_find_name(arr, 3, sizeof(arr[0]), off, NULL));
	assert_null(inn_array_find_name(NULL, 0, sizeof(arr[0]), off, "a"));
	assert_ptr_equal(inn_ptrv_find_name(ptrs, 3, off, "a"), &arr[0]);
	assert_ptr_equal(inn_ptrv_find_name(ptrs, 3, off, "b"), &arr[2]);
	assert_null(inn_ptrv_find_name(ptrs, 3, off, "c"));
	assert_null(inn_ptrv_find_name(ptrs, 3, off, NULL));
	assert_null(inn_ptrv_find_name(NULL, 0, off, "a"));
}

/* inn_array_free's clear for the test below: counts the elements it sees
 * in order and frees what each owns. */
static int cleared;

static void
named_clear(void *p)
{
	struct named *e = p;

	assert_int_equal(e->before, ++cleared);
	free(e->name);
}

/* A clear for a list of string pointers. */
INN_PTR_CLEAR(str_slot_clear, char, free)

/* Each element is cleared once, in order, then the array freed; NULL is a
 * no-op that calls nothing; a list of pointers frees what each points to
 * (the leak checker sees it). */
static void
test_array_free(void **state)
{
	struct named *arr = calloc(3, sizeof(*arr));
	char **v = calloc(2, sizeof(*v));
	int i;

	(void)state;
	assert_non_null(arr);
	for (i = 0; i < 3; i++) {
		arr[i].before = i + 1;
		assert_non_null(arr[i].name = strdup("n"));
	}
	cleared = 0;
	inn_array_free(arr, 3, sizeof(*arr), named_clear);
	assert_int_equal(cleared, 3);
	inn_array_free(NULL, 3, sizeof(*arr), named_clear);
	assert_int_equal(cleared, 3);
	assert_non_null(v);
	assert_non_null(v[0] = strdup("s"));
	inn_array_free(v, 2, sizeof(*v), str_slot_clear);
}

static const char *
nth_name(const void *names, size_t i)
{
	return ((const char *const *)names)[i];
}

static void
test_index_find(void **state)
{
	static const char *const names[] = { "b", "a", "ab", "b", "c" };
	static const size_t idx[] = { 1, 2, 0, 3, 4 }; /* a ab b b c */

	(void)state;
	assert_int_equal(inn_index_find(idx, 5, nth_name, names, "a", 1), 1);
	assert_int_equal(inn_index_find(idx, 5, nth_name, names, "abc", 2), 2);
	assert_int_equal(inn_index_find(idx, 5, nth_name, names, "b", 1), 0); /* the first */
	assert_int_equal(inn_index_find(idx, 5, nth_name, names, "c", 1), 4);
	assert_int_equal(inn_index_find(idx, 5, nth_name, names, "", 0), -1);
	assert_int_equal(inn_index_find(idx, 5, nth_name, names, "aa", 2), -1);
	assert_int_equal(inn_index_find(idx, 5, nth_name, names, "d", 1), -1);
	assert_int_equal(inn_index_find(idx, 0, nth_name, names, "a", 1), -1);
}

static int
vformat(char *buf, size_t len, char **big, const char *fmt, ...) INN_PRINTF_LIKE(4, 5);

static int
vformat(char *buf, size_t len, char **big, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = inn_vformat(buf, len, big, fmt, ap);
	va_end(ap);
	return n;
}

static void
test_vformat_short_and_long(void **state)
{
	char buf[8], *big = (char *)"unset";

	(void)state;
	assert_int_equal(vformat(buf, sizeof(buf), &big, "a%db", 12), 4);
	assert_string_equal(buf, "a12b");
	assert_null(big);
	assert_int_equal(vformat(buf, sizeof(buf), &big, "%s-%d", "abcdefgh", 42), 11);
	assert_string_equal(buf, "abcdefg");
	assert_non_null(big);
	assert_string_equal(big, "abcdefgh-42");
	free(big);
}

/* INN_JSON_ADD_STRS adds its pairs in order, a NULL value as JSON null. */
static void
test_json_add_strs(void **state)
{
	json_object *o = json_object_new_object();
	const char *none = NULL;

	(void)state;
	INN_JSON_ADD_STRS(o, "b", "x", "a", none, "c", "");
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
	                    "{\"b\":\"x\",\"a\":null,\"c\":\"\"}");
	json_object_put(o);
}

/* U11: the files of a git clone are named by their path in the repository
 * and the commit, in the entry's file and in its message; other paths,
 * and a folder that merely starts like the clone's, stay as they are. */
static void
test_diag_names_clone_files_by_repository_path(void **state)
{
	inn_diag d;
	char line[1024];

	(void)state;
	inn_diag_init(&d);
	inn_diag_alias("/srv/state/_providers/k8s", "0123456789abcdef0123");
	inn_diag_add(&d, INN_DIAG_ERROR, "/srv/state/_providers/k8s/team/workflows/x.yaml",
	             5, 11, "cannot read /srv/state/_providers/k8s/team/a.yaml: gone; "
	             "folder /srv/state/_providers/k8s (not /srv/state/_providers/k8s2/b)");
	inn_diag_add(&d, INN_DIAG_WARNING, "/etc/innominatus/admin.yaml", 2, 3, "as is");
	inn_diag_format(&d, 0, line, sizeof(line));
	assert_string_equal(line, "team/workflows/x.yaml@0123456789ab:5:11: error: cannot "
	                    "read team/a.yaml@0123456789ab: gone; folder .@0123456789ab "
	                    "(not /srv/state/_providers/k8s2/b)");
	inn_diag_format(&d, 1, line, sizeof(line));
	assert_string_equal(line, "/etc/innominatus/admin.yaml:2:3: warning: as is");
	/* forgotten: shown as it is again */
	inn_diag_alias("/srv/state/_providers/k8s", NULL);
	inn_diag_add(&d, INN_DIAG_ERROR, "/srv/state/_providers/k8s/x.yaml", 1, 1, "m");
	inn_diag_format(&d, 2, line, sizeof(line));
	assert_string_equal(line, "/srv/state/_providers/k8s/x.yaml:1:1: error: m");
	inn_diag_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_positions_and_types),
		cmocka_unit_test(test_yaml_errors_name_file_line_column),
		cmocka_unit_test(test_yaml_alias_bomb_is_bounded),
		cmocka_unit_test(test_policy_fields_and_errors),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_masker_masks_value_and_encodings),
		cmocka_unit_test(test_host_inputs_outputs_and_log),
		cmocka_unit_test(test_buf_bounded),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_array_reserve_and_strv),
		cmocka_unit_test(test_array_free_all_and_find_name),
		cmocka_unit_test(test_array_free),
		cmocka_unit_test(test_vformat_short_and_long),
		cmocka_unit_test(test_index_find),
		cmocka_unit_test(test_json_add_strs),
		cmocka_unit_test(test_diag_names_clone_files_by_repository_path),
	};

	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
