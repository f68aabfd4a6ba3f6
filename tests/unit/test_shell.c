/*
 * test_shell.c - tests of the shell plugin (shell.so, loaded with dlopen from
 * $INN_SHELL_SO exactly as the server loads it) and of host->spawn under it:
 * exit statuses, environment passing and isolation, injection safety,
 * outputs, timeouts and cancellation killing whole process groups, log
 * streaming, bounded memory under a flood of output, and config refusals.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "host.h"
#include "testutil.h"

/* What the log sink keeps: records "<stream digit><line>\n", bounded. */
#define SINK_MAX (1024 * 1024)

struct sink {
	pthread_mutex_t lock;
	char buf[SINK_MAX];
	size_t len;
	size_t lines;
	int full;
};

static struct sink sink = { PTHREAD_MUTEX_INITIALIZER, { 0 }, 0, 0, 0 };
static const inn_plugin_descriptor *desc;
static void *plugin_state;
static void *plugin_handle;
static char *tmpdir;

static void
sink_fn(void *ud, const inn_step *step, int level, int stream, const char *line,
        size_t len)
{
	struct sink *s = ud;

	(void)step;
	(void)level;
	pthread_mutex_lock(&s->lock);
	s->lines++;
	if (s->len + len + 3 > sizeof(s->buf)) {
		s->full = 1;
	} else {
		s->buf[s->len++] = (char)('0' + stream);
		memcpy(s->buf + s->len, line, len);
		s->len += len;
		s->buf[s->len++] = '\n';
		s->buf[s->len] = '\0';
	}
	pthread_mutex_unlock(&s->lock);
}

static void
sink_reset(void)
{
	pthread_mutex_lock(&sink.lock);
	sink.len = 0;
	sink.lines = 0;
	sink.full = 0;
	sink.buf[0] = '\0';
	pthread_mutex_unlock(&sink.lock);
}

static int
log_has(const char *needle)
{
	return strstr(sink.buf, needle) != NULL;
}

static int64_t
now_ms(void)
{
	return inn_now_ms();
}

static int
group_setup(void **state)
{
	const char *so = getenv("INN_SHELL_SO");
	inn_plugin_describe_fn fn;

	(void)state;
	if (so == NULL) {
		fprintf(stderr, "INN_SHELL_SO is not set\n");
		return -1;
	}
	if ((plugin_handle = dlopen(so, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "dlopen %s: %s\n", so, dlerror());
		return -1;
	}
	*(void **)&fn = dlsym(plugin_handle, INN_PLUGIN_ENTRY_SYMBOL);
	if (fn == NULL || (desc = fn()) == NULL)
		return -1;
	if (desc->init(inn_host_table(), &plugin_state) != INN_OK)
		return -1;
	if ((tmpdir = tu_mkdtemp("shell")) == NULL)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (desc != NULL && desc->fini != NULL)
		desc->fini(plugin_state);
	if (plugin_handle != NULL)
		dlclose(plugin_handle);
	tu_rmrf_free(tmpdir);
	return 0;
}

/* A step of type shell with the given config (reference borrowed). */
static inn_step *
step_with(json_object *config, int64_t deadline_ms)
{
	inn_step_opts o;
	inn_step *step = NULL;

	memset(&o, 0, sizeof(o));
	o.type = "shell";
	o.name = "test-step";
	o.config = config;
	o.log = sink_fn;
	o.log_ud = &sink;
	o.deadline_ms = deadline_ms;
	assert_int_equal(inn_step_new(&step, &o), 0);
	return step;
}

static json_object *
parse(const char *json)
{
	json_object *o = json_tokener_parse(json);

	assert_non_null(o);
	return o;
}

/* {"script": script} plus any env entries given as NAME, value pairs. */
static json_object *
script_config(const char *script)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "script", json_object_new_string(script));
	return c;
}

static void
config_env(json_object *c, const char *name, const char *value)
{
	json_object *env;

	if (!json_object_object_get_ex(c, "env", &env)) {
		env = json_object_new_object();
		json_object_object_add(c, "env", env);
	}
	json_object_object_add(env, name, json_object_new_string(value));
}

/* Runs config in a fresh step; returns execute()'s result and the step
 * (caller frees) in *out. */
static int
run(json_object *config, inn_step **out)
{
	inn_step *step = step_with(config, 0);

	sink_reset();
	*out = step;
	return desc->execute(plugin_state, inn_host_table(), step);
}

/* Runs config c in a fresh step and frees both: execute() must return rc
 * and, with msg, log a line containing msg. */
static void
run_expect(json_object *c, int rc, const char *msg)
{
	inn_step *step;

	assert_int_equal(run(c, &step), rc);
	if (msg != NULL)
		assert_true(log_has(msg));
	inn_step_free(step);
	json_object_put(c);
}

static const char *
output_of(inn_step *step, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(inn_step_outputs(step), key, &v))
		return NULL;
	return json_object_get_string(v);
}

/* Path of a fresh file name under the test's tmpdir. */
static void
tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* Non-zero if pid is gone (or a zombie nobody reaped yet). */
static int
pid_dead(pid_t pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	size_t n;

	if (kill(pid, 0) != 0 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return rp != NULL && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
}

/* Reads up to max pids, one per line, from path. */
static size_t
read_pids(const char *path, pid_t *pids, size_t max)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	long v;

	if (f == NULL)
		return 0;
	while (n < max && fscanf(f, "%ld", &v) == 1)
		pids[n++] = (pid_t)v;
	fclose(f);
	return n;
}

/* Asserts every pid dies within 3 s. */
static void
assert_all_dead(const pid_t *pids, size_t n)
{
	int64_t until = now_ms() + 3000;
	size_t i, alive = 0;

	for (i = 0; i < n; i++) {
		while (!pid_dead(pids[i]) && now_ms() < until)
			usleep(20 * 1000);
		if (!pid_dead(pids[i])) {
			kill(pids[i], SIGKILL); /* do not leave it behind */
			alive++;
		}
	}
	assert_int_equal(alive, 0);
}

static void
test_exit_codes(void **state)
{
	static const struct {
		const char *script;
		int rc;
		const char *log;
	} cases[] = {
		{ "echo fine; exit 0", INN_OK, NULL },
		{ "exit 1", INN_ERROR, "exit status 1" },
		{ "exit 42", INN_ERROR, "exit status 42" },
		{ "false; echo not reached", INN_ERROR, "exit status 1" }, /* -e */
		{ "false | true", INN_ERROR, "exit status 1" },            /* pipefail */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_expect(script_config(cases[i].script), cases[i].rc, cases[i].log);
		if (cases[i].log == NULL)
			assert_false(log_has("exit status"));
		assert_false(log_has("not reached"));
	}
}

static void
test_killed_by_signal(void **state)
{
	(void)state;
	run_expect(script_config("kill -SEGV $$"), INN_ERROR, "killed by signal 11 (SIGSEGV)");
}

static void
test_env_values(void **state)
{
	json_object *c = parse("{\"script\": \"{ echo \\\"g=$GREETING\\\"; "
	                       "echo \\\"n=$COUNT\\\"; echo \\\"b=$FLAG\\\"; "
	                       "echo \\\"s=$INNOMINATUS_STEP\\\"; } "
	                       ">> \\\"$INNOMINATUS_OUTPUT\\\"\", "
	                       "\"env\": {\"GREETING\": \"hello  world\", "
	                       "\"COUNT\": 3, \"FLAG\": true}}");
	inn_step *step;

	(void)state;
	assert_int_equal(run(c, &step), INN_OK);
	assert_string_equal(output_of(step, "g"), "hello  world");
	assert_string_equal(output_of(step, "n"), "3");
	assert_string_equal(output_of(step, "b"), "true");
	assert_string_equal(output_of(step, "s"), "test-step");
	inn_step_free(step);
	json_object_put(c);
}

static void
test_env_isolation(void **state)
{
	const char *script = "echo \"leak=${INN_TEST_LEAK-unset}\" >> "
	                     "\"$INNOMINATUS_OUTPUT\"";
	json_object *c = script_config(script);
	inn_step *step;

	(void)state;
	setenv("INN_TEST_LEAK", "leaked-value", 1);
	assert_int_equal(run(c, &step), INN_OK);
	assert_string_equal(output_of(step, "leak"), "unset");
	inn_step_free(step);

	json_object_object_add(c, "inherit_env", parse("[\"INN_TEST_LEAK\"]"));
	assert_int_equal(run(c, &step), INN_OK);
	assert_string_equal(output_of(step, "leak"), "leaked-value");
	inn_step_free(step);
	unsetenv("INN_TEST_LEAK");
	json_object_put(c);
}

static void
test_injection(void **state)
{
	char pwned[512], payload[1200];
	json_object *c = script_config("printf 'v=%s\\n' \"$V\" >> "
	                               "\"$INNOMINATUS_OUTPUT\"; echo \"$V\"");
	inn_step *step;

	(void)state;
	tmp_path(pwned, sizeof(pwned), "pwned");
	snprintf(payload, sizeof(payload), "$(touch %s); '\"`touch %s`", pwned,
	         pwned);
	config_env(c, "V", payload);
	assert_int_equal(run(c, &step), INN_OK);
	assert_string_equal(output_of(step, "v"), payload);
	assert_int_equal(access(pwned, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	inn_step_free(step);
	json_object_put(c);
}

static void
test_command_argv(void **state)
{
	const char *arg = "it's a \"quoted\"  arg $HOME `x` ;|&";
	json_object *c = json_object_new_object(), *argv = json_object_new_array();
	inn_step *step;

	(void)state;
	json_object_array_add(argv, json_object_new_string("sh"));
	json_object_array_add(argv, json_object_new_string("-c"));
	json_object_array_add(argv, json_object_new_string(
	    "printf 'a=%s\\n' \"$1\" >> \"$INNOMINATUS_OUTPUT\""));
	json_object_array_add(argv, json_object_new_string("argv0"));
	json_object_array_add(argv, json_object_new_string(arg));
	json_object_object_add(c, "command", argv);
	assert_int_equal(run(c, &step), INN_OK);
	assert_string_equal(output_of(step, "a"), arg);
	inn_step_free(step);
	json_object_put(c);
}

/* Non-zero if dir holds a leftover output file. */
static int
has_output_file(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, ".innominatus-output-", 20) == 0)
			found = 1;
	closedir(d);
	return found;
}

static void
test_outputs(void **state)
{
	json_object *c = parse(
	    "{\"script\": \"O=$INNOMINATUS_OUTPUT; echo url=https://x/?a=b >> $O; "
	    "printf 'multi<<EOF\\\\nline one\\\\n\\\\nline=three\\\\nEOF\\\\n' "
	    ">> $O; echo tok=s3cr3t-token >> $O; echo empty= >> $O\", "
	    "\"secret_outputs\": [\"tok\"]}");
	inn_step *step;

	(void)state;
	assert_int_equal(run(c, &step), INN_OK);
	assert_string_equal(output_of(step, "url"), "https://x/?a=b");
	assert_string_equal(output_of(step, "multi"), "line one\n\nline=three");
	assert_string_equal(output_of(step, "tok"), "s3cr3t-token");
	assert_string_equal(output_of(step, "empty"), "");
	assert_true(inn_step_output_is_secret(step, "tok"));
	assert_false(inn_step_output_is_secret(step, "url"));
	assert_false(has_output_file(inn_host_table()->workspace(step)));
	inn_step_free(step);
	json_object_put(c);
}

static void
test_outputs_malformed(void **state)
{
	static const struct {
		const char *script;
		const char *log;
	} cases[] = {
		{ "echo good=1 >> $INNOMINATUS_OUTPUT; "
		  "echo 'this is not an output' >> $INNOMINATUS_OUTPUT", "line 2" },
		{ "printf 'a=1\\n\\nx<<END\\nv\\n' >> $INNOMINATUS_OUTPUT", "line 3" },
		{ "echo '9bad=1' >> $INNOMINATUS_OUTPUT", "line 1" },
		{ "head -c 1048577 /dev/zero | tr '\\0' a >> $INNOMINATUS_OUTPUT",
		  "larger than" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *c = script_config(cases[i].script);
		inn_step *step;

		assert_int_not_equal(run(c, &step), INN_OK);
		assert_true(log_has(cases[i].log));
		assert_false(has_output_file(inn_host_table()->workspace(step)));
		inn_step_free(step);
		json_object_put(c);
	}
}

static void
test_timeout_kills_group(void **state)
{
	char pidfile[512];
	json_object *c = script_config("sleep 1000 & echo $! >> \"$PIDS\"; "
	                               "echo $$ >> \"$PIDS\"; exec sleep 1000");
	inn_step *step;
	pid_t pids[4];
	int64_t t0;
	int rc;

	(void)state;
	tmp_path(pidfile, sizeof(pidfile), "timeout.pids");
	config_env(c, "PIDS", pidfile);
	json_object_object_add(c, "timeout", json_object_new_string("1s"));
	t0 = now_ms();
	rc = run(c, &step);
	assert_int_equal(rc, INN_ETIMEOUT);
	assert_true(now_ms() - t0 < 4000);
	assert_true(log_has("timed out after 1s"));
	assert_int_equal(read_pids(pidfile, pids, 4), 2);
	assert_all_dead(pids, 2);
	inn_step_free(step);
	json_object_put(c);
}

static void
test_step_deadline(void **state)
{
	json_object *c = script_config("sleep 1000");
	inn_step *step = step_with(c, inn_now_ms() + 500);
	int64_t t0 = now_ms();

	(void)state;
	sink_reset();
	assert_int_equal(desc->execute(plugin_state, inn_host_table(), step),
	                 INN_ETIMEOUT);
	assert_true(now_ms() - t0 < 3000);
	assert_true(log_has("deadline"));
	inn_step_free(step);
	json_object_put(c);
}

struct canceller {
	inn_step *step;
	const char *pidfile;
	int fired;
};

/* Cancels the step once the script has recorded its three pids. */
static void *
cancel_thread(void *arg)
{
	struct canceller *cc = arg;
	int64_t until = now_ms() + 10000;
	pid_t pids[4];

	while (read_pids(cc->pidfile, pids, 4) < 3 && now_ms() < until)
		usleep(20 * 1000);
	cc->fired = 1;
	inn_step_cancel(cc->step);
	return NULL;
}

static void
test_cancel_kills_group(void **state)
{
	char pidfile[512];
	json_object *c = script_config(
	    "sleep 1000 & echo $! >> \"$PIDS\"; sleep 1000 & echo $! >> \"$PIDS\"; "
	    "echo $$ >> \"$PIDS\"; wait");
	struct canceller cc;
	pthread_t th;
	pid_t pids[4];
	int64_t t0;
	int rc;

	(void)state;
	tmp_path(pidfile, sizeof(pidfile), "cancel.pids");
	config_env(c, "PIDS", pidfile);
	cc.step = step_with(c, 0);
	cc.pidfile = pidfile;
	cc.fired = 0;
	sink_reset();
	assert_int_equal(pthread_create(&th, NULL, cancel_thread, &cc), 0);
	t0 = now_ms();
	rc = desc->execute(plugin_state, inn_host_table(), cc.step);
	pthread_join(th, NULL);
	assert_true(cc.fired);
	assert_int_equal(rc, INN_ECANCELLED);
	assert_true(now_ms() - t0 < 8000);
	assert_int_equal(read_pids(pidfile, pids, 4), 3);
	assert_all_dead(pids, 3);
	inn_step_free(cc.step);
	json_object_put(c);
}

static void
test_background_job_does_not_hang(void **state)
{
	char pidfile[512];
	json_object *c = script_config("sleep 1000 & echo $! >> \"$PIDS\"; "
	                               "echo main done");
	inn_step *step;
	pid_t pid;
	int64_t t0 = now_ms();

	(void)state;
	tmp_path(pidfile, sizeof(pidfile), "bg.pids");
	config_env(c, "PIDS", pidfile);
	assert_int_equal(run(c, &step), INN_OK);
	assert_true(now_ms() - t0 < 4000);
	assert_true(log_has("1main done\n"));
	assert_int_equal(read_pids(pidfile, &pid, 1), 1);
	assert_all_dead(&pid, 1);
	inn_step_free(step);
	json_object_put(c);
}

static void
test_stream_order(void **state)
{
	json_object *c = script_config("for i in $(seq 1 300); do echo \"out $i\"; "
	                               "echo \"err $i\" >&2; done; printf tail");
	inn_step *step;
	char expect[32];
	const char *p;
	int next_out = 1, next_err = 1;

	(void)state;
	assert_int_equal(run(c, &step), INN_OK);
	for (p = sink.buf; *p != '\0'; p = strchr(p, '\n') + 1) {
		if (p[0] == '1' && strncmp(p + 1, "out ", 4) == 0) {
			snprintf(expect, sizeof(expect), "1out %d\n", next_out++);
			assert_memory_equal(p, expect, strlen(expect));
		} else if (p[0] == '2') {
			snprintf(expect, sizeof(expect), "2err %d\n", next_err++);
			assert_memory_equal(p, expect, strlen(expect));
		}
	}
	assert_int_equal(next_out, 301);
	assert_int_equal(next_err, 301);
	assert_true(log_has("\n1tail\n")); /* a last line without newline */
	inn_step_free(step);
	json_object_put(c);
}

static void
test_long_line_chunked(void **state)
{
	json_object *c = script_config("head -c 40000 /dev/zero | tr '\\0' y; "
	                               "echo; echo after");
	inn_step *step;
	const char *p;
	size_t total = 0, n;

	(void)state;
	assert_int_equal(run(c, &step), INN_OK);
	for (p = sink.buf; *p != '\0'; p += n + 2) {
		n = strcspn(p + 1, "\n");
		assert_true(n <= INN_LOG_LINE_MAX);
		if (p[1] == 'y')
			total += n;
	}
	assert_int_equal(total, 40000);
	assert_true(log_has("\n1after\n"));
	assert_int_equal(sink.lines, 4); /* 16384 + 16384 + 7232, "after" */
	inn_step_free(step);
	json_object_put(c);
}

struct runner {
	inn_step *step;
	int rc;
};

static void *
run_thread(void *arg)
{
	struct runner *r = arg;

	r->rc = desc->execute(plugin_state, inn_host_table(), r->step);
	return NULL;
}

/* Steps running at once on several threads keep their own results. */
static void
test_concurrent_steps(void **state)
{
	enum { N = 6 };
	json_object *c[N];
	struct runner r[N];
	pthread_t th[N];
	char id[16];
	int i;

	(void)state;
	sink_reset();
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "%d", i);
		c[i] = script_config("sleep 0.2; echo \"id=$ID\" >> "
		                     "$INNOMINATUS_OUTPUT; exit $((ID % 2))");
		config_env(c[i], "ID", id);
		r[i].step = step_with(c[i], 0);
		assert_int_equal(pthread_create(&th[i], NULL, run_thread, &r[i]), 0);
	}
	for (i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "%d", i);
		if (i % 2 == 0) {
			assert_int_equal(r[i].rc, INN_OK);
			assert_string_equal(output_of(r[i].step, "id"), id);
		} else {
			assert_int_equal(r[i].rc, INN_ERROR);
		}
		inn_step_free(r[i].step);
		json_object_put(c[i]);
	}
}

static long
maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void
test_big_output_bounded(void **state)
{
	json_object *c = script_config("head -c 10485760 /dev/zero | tr '\\0' 'x' "
	                               "| fold -w 100");
	inn_step *step;
	long before = maxrss_kb();

	(void)state;
	assert_int_equal(run(c, &step), INN_OK);
	assert_true(sink.lines > 1000);
	/* Every line arrived, or the step log cap dropped the rest. */
	assert_true(sink.lines == 104858 || inn_step_log_dropped(step) > 0);
	assert_true(maxrss_kb() - before < 32 * 1024);
	inn_step_free(step);
	json_object_put(c);
}

static void
test_missing_program(void **state)
{
	(void)state;
	run_expect(parse("{\"command\": [\"innominatus-no-such-program-4711\", \"arg\"]}"),
	           INN_ESPAWN, "innominatus-no-such-program-4711");
	assert_true(log_has("no such program") || log_has("No such file"));
}

static void
test_shells_and_working_dir(void **state)
{
	json_object *c = parse("{\"script\": \"mkdir -p sub/dir\"}");
	inn_step *step;
	const char *shells[] = { "sh", "/bin/sh", "bash" };
	size_t i;

	(void)state;
	/* The working directory must exist inside the workspace. */
	assert_int_equal(run(c, &step), INN_OK);
	json_object_put(c);
	c = parse("{\"script\": \"echo \\\"pwd=$(pwd)\\\" >> $INNOMINATUS_OUTPUT\","
	          " \"working_dir\": \"sub/dir\"}");
	{
		/* Reuse the workspace of the first step. */
		inn_step_opts o;
		inn_step *s2;
		char want[4096];

		memset(&o, 0, sizeof(o));
		o.type = "shell";
		o.name = "wd";
		o.config = c;
		o.log = sink_fn;
		o.log_ud = &sink;
		o.workspace = inn_host_table()->workspace(step);
		assert_int_equal(inn_step_new(&s2, &o), 0);
		assert_int_equal(desc->execute(plugin_state, inn_host_table(), s2),
		                 INN_OK);
		snprintf(want, sizeof(want), "%s/sub/dir", o.workspace);
		assert_string_equal(output_of(s2, "pwd"), want);
		inn_step_free(s2);
	}
	inn_step_free(step);
	json_object_put(c);

	/* "sh" and "bash" get -e; a shell given by path runs the script as is. */
	for (i = 0; i < sizeof(shells) / sizeof(shells[0]); i++) {
		c = script_config("echo \"ok=$0\" >> $INNOMINATUS_OUTPUT; false; "
		                  "echo \"bad=1\" >> $INNOMINATUS_OUTPUT");
		json_object_object_add(c, "shell", json_object_new_string(shells[i]));
		if (shells[i][0] == '/') {
			assert_int_equal(run(c, &step), INN_OK);
			assert_string_equal(output_of(step, "ok"), shells[i]);
			assert_string_equal(output_of(step, "bad"), "1");
		} else {
			assert_int_equal(run(c, &step), INN_ERROR);
			assert_true(log_has("exit status 1"));
		}
		inn_step_free(step);
		json_object_put(c);
	}
}

/* errexit: false runs bash and sh without -e (and bash without pipefail),
 * as the original ran its policy scripts; the default stays strict. */
static void
test_errexit_false(void **state)
{
	const char *shells[] = { "bash", "sh" };
	const char *script = "n=$(echo hi | grep nomatch | wc -l); false; "
	                     "echo \"after=$n\" >> $INNOMINATUS_OUTPUT; false | true";
	json_object *c;
	inn_step *step;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(shells) / sizeof(shells[0]); i++) {
		c = script_config(script);
		json_object_object_add(c, "shell", json_object_new_string(shells[i]));
		json_object_object_add(c, "errexit", json_object_new_boolean(0));
		assert_int_equal(run(c, &step), INN_OK);
		assert_string_equal(output_of(step, "after"), "0");
		inn_step_free(step);
		json_object_put(c);
		/* errexit: true is the default, written or not */
		c = script_config(script);
		json_object_object_add(c, "shell", json_object_new_string(shells[i]));
		json_object_object_add(c, "errexit", json_object_new_boolean(1));
		run_expect(c, INN_ERROR, "exit status 1");
	}
	/* without -e, the script's last status is the step's */
	c = script_config("false; true; exit 3");
	json_object_object_add(c, "errexit", json_object_new_boolean(0));
	run_expect(c, INN_ERROR, "exit status 3");
}

static void
test_validate(void **state)
{
	static const struct {
		const char *config;
		const char *reason; /* NULL: accepted */
	} cases[] = {
		{ "{\"script\": \"echo hi\", \"timeout\": \"${parameters.t}\", "
		  "\"working_dir\": \"a/..b\", \"env\": {\"A\": 1, \"B\": true, "
		  "\"C_2\": \"x\", \"D\": 1.5}, \"inherit_env\": [\"HOME\"], "
		  "\"secret_outputs\": [\"tok.x-1\"], \"shell\": \"sh\"}", NULL },
		{ "{\"command\": [\"ls\", \"-l\"], \"timeout\": 90}", NULL },
		{ "{\"script\": \"x\", \"command\": [\"y\"]}",
		  "config: needs exactly one of \"script\" or \"command\"" },
		{ "{}", "config: needs exactly one of \"script\" or \"command\"" },
		{ "{\"script\": 5}", "config.script" },
		{ "{\"script\": \"x\", \"env\": {\"1BAD\": \"v\"}}",
		  "config.env: \"1BAD\" is not a valid environment variable name" },
		{ "{\"script\": \"x\", \"env\": {\"A\": {\"b\": 1}}}", "config.env.A" },
		{ "{\"script\": \"x\", \"env\": {\"A\": [1]}}", "config.env.A" },
		{ "{\"script\": \"x\", \"env\": [\"A=1\"]}", "config.env" },
		{ "{\"command\": []}", "config.command" },
		{ "{\"command\": [\"ls\", 3]}", "config.command.1" },
		{ "{\"script\": \"x\", \"working_dir\": \"/etc\"}", "config.working_dir" },
		{ "{\"script\": \"x\", \"working_dir\": \"a/../../b\"}",
		  "config.working_dir" },
		{ "{\"script\": \"x\", \"timeout\": \"banana\"}", "config.timeout" },
		{ "{\"script\": \"x\", \"timeout\": -5}", "config.timeout" },
		{ "{\"script\": \"x\", \"shell\": \"zsh\"}", "config.shell" },
		{ "{\"script\": \"x\", \"inherit_env\": [\"OK\", \"not-ok\"]}",
		  "config.inherit_env" },
		{ "{\"script\": \"x\", \"secret_outputs\": \"tok\"}",
		  "config.secret_outputs" },
		{ "{\"script\": \"x\", \"scirpt\": \"y\"}", "unknown field \"scirpt\"" },
		{ "{\"script\": \"x\", \"errexit\": false, \"shell\": \"/bin/sh\"}", NULL },
		{ "{\"command\": [\"true\"], \"errexit\": false}", NULL },
		{ "{\"script\": \"x\", \"errexit\": \"${parameters.e}\"}", NULL },
		{ "{\"script\": \"x\", \"errexit\": \"no\"}",
		  "config.errexit: must be true or false" },
		{ "{\"command\": [\"true\"], \"errexit\": true}",
		  "config.errexit: true applies only to a \"script\" run by bash or sh" },
		{ "{\"script\": \"x\", \"errexit\": true, \"shell\": \"/bin/sh\"}",
		  "a shell given by path gets no options" },
	};
	size_t i;

	(void)state;
	assert_non_null(desc->validate);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *c = parse(cases[i].config);
		inn_step *step = step_with(c, 0);
		char err[512] = "";
		int rc = desc->validate(plugin_state, inn_host_table(), step, err,
		                        sizeof(err));

		if (cases[i].reason == NULL) {
			if (rc != INN_OK)
				fail_msg("case %zu refused: %s", i, err);
		} else {
			assert_int_equal(rc, INN_EINVAL);
			if (strstr(err, cases[i].reason) == NULL)
				fail_msg("case %zu: \"%s\" does not name \"%s\"", i, err,
				         cases[i].reason);
			assert_null(strchr(err, '\n'));
		}
		inn_step_free(step);
		json_object_put(c);
	}
}

static void
test_execute_refuses_bad_config(void **state)
{
	(void)state;
	run_expect(parse("{\"script\": \"touch ran\", \"env\": {\"BAD-NAME\": 1}}"),
	           INN_EINVAL, "config.env");
}

static void
test_descriptor(void **state)
{
	json_object *schema;

	(void)state;
	assert_int_equal(desc->magic, INN_PLUGIN_MAGIC);
	assert_int_equal(desc->abi_major, INN_PLUGIN_ABI_MAJOR);
	assert_int_equal(desc->struct_size, sizeof(inn_plugin_descriptor));
	assert_string_equal(desc->name, "shell");
	assert_string_equal(desc->step_types[0], "shell");
	assert_null(desc->step_types[1]);
	assert_true(desc->flags & INN_PLUGIN_CANCELLABLE);
	assert_non_null(desc->config_schema);
	schema = json_tokener_parse(desc->config_schema);
	assert_non_null(schema);
	json_object_put(schema);
}

/* host->spawn directly: stdin, capture with its cap, a bare environment. */
static void
test_spawn_capture(void **state)
{
	const inn_host *h = inn_host_table();
	json_object *c = json_object_new_object();
	inn_step *step = step_with(c, 0);
	const char *cat[] = { "cat", NULL };
	const char *flood[] = { "sh", "-c", "head -c 300000 /dev/zero", NULL };
	const char *env[] = { "env", NULL };
	const char *extra[] = { "A=1", "B=2", "A=3", NULL };
	inn_spawn_opts o;
	inn_spawn_result r;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.struct_size = sizeof(o);
	o.flags = INN_SPAWN_CAPTURE_STDOUT;
	o.argv = cat;
	o.stdin_data = "hello\nworld";
	o.stdin_len = 11;
	memset(&r, 0, sizeof(r));
	r.struct_size = sizeof(r);
	assert_int_equal(h->spawn(step, &o, &r), INN_OK);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.captured_len, 11);
	assert_string_equal(r.captured, "hello\nworld");
	assert_false(r.truncated);
	h->free(r.captured);

	o.argv = flood;
	o.stdin_data = NULL;
	o.stdin_len = 0;
	o.capture_max = 1000;
	memset(&r, 0, sizeof(r));
	r.struct_size = sizeof(r);
	assert_int_equal(h->spawn(step, &o, &r), INN_OK);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.captured_len, 1000);
	assert_true(r.truncated);
	h->free(r.captured);

	o.argv = env;
	o.flags = INN_SPAWN_CAPTURE_STDOUT | INN_SPAWN_NO_DEFAULT_ENV;
	o.env = extra;
	o.capture_max = 0;
	memset(&r, 0, sizeof(r));
	r.struct_size = sizeof(r);
	assert_int_equal(h->spawn(step, &o, &r), INN_OK);
	assert_string_equal(r.captured, "A=3\nB=2\n");
	h->free(r.captured);

	/* An older caller whose result ends before `captured` gets no buffer
	 * (and nothing leaks: LSan/valgrind would see it). */
	memset(&r, 0, sizeof(r));
	r.struct_size = offsetof(inn_spawn_result, captured);
	assert_int_equal(h->spawn(step, &o, &r), INN_OK);
	assert_null(r.captured);
	assert_int_equal(r.exit_code, 0);
	inn_step_free(step);
	json_object_put(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_descriptor),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_killed_by_signal),
		cmocka_unit_test(test_env_values),
		cmocka_unit_test(test_env_isolation),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_command_argv),
		cmocka_unit_test(test_outputs),
		cmocka_unit_test(test_outputs_malformed),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_step_deadline),
		cmocka_unit_test(test_cancel_kills_group),
		cmocka_unit_test(test_background_job_does_not_hang),
		cmocka_unit_test(test_stream_order),
		cmocka_unit_test(test_concurrent_steps),
		cmocka_unit_test(test_long_line_chunked),
		cmocka_unit_test(test_big_output_bounded),
		cmocka_unit_test(test_missing_program),
		cmocka_unit_test(test_shells_and_working_dir),
		cmocka_unit_test(test_errexit_false),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_execute_refuses_bad_config),
		cmocka_unit_test(test_spawn_capture),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
