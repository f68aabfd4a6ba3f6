/*
 * test_exec.c - the executor end to end with real worker processes and real
 * plugins (shell.so, and the crashy/noop fixtures): ordering, parallel
 * overlap, outputs between steps, conditions, retries with backoff,
 * timeouts, cancellation, failure handling, parameters, secrets, dry-run,
 * and crash isolation (segfault, abort, hang, floods).
 */
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
#include <unistd.h>

#include "error.h"
#include "exec.h"
#include "host.h"
#include "model.h"
#include "testutil.h"

static tu_fx F;
/* What this file's callbacks collect besides the log. */
static struct {
	char states[8192];      /* "step:state " a state change */
	char first_print[256];  /* the first log line of step "prints" */
} E;

static void
collect_log(void *ud, const char *step, int level, int stream, const char *line,
            size_t len)
{
	pthread_mutex_lock(&F.lock);
	if (strcmp(step, "prints") == 0 && E.first_print[0] == '\0')
		snprintf(E.first_print, sizeof(E.first_print), "%.*s", (int)len, line);
	pthread_mutex_unlock(&F.lock);
	tu_fx_log(ud, step, level, stream, line, len);
}

static void
collect_state(void *ud, size_t idx, const char *step, inn_state st, int attempt,
              const char *msg)
{
	size_t used;

	(void)ud;
	(void)idx;
	(void)attempt;
	(void)msg;
	pthread_mutex_lock(&F.lock);
	used = strlen(E.states);
	snprintf(E.states + used, sizeof(E.states) - used, "%s:%s ", step, inn_state_name(st));
	pthread_mutex_unlock(&F.lock);
}

static int
setup(void **state)
{
	static const char *const plugins[] = { "shell", "crashy", "noop", NULL };
	const tu_engine_opts eo = { "exec-plugins", plugins, 3, 300, NULL };

	*state = &F;
	memset(&E, 0, sizeof(E));
	tu_fx_setup(&F, &eo, "exec-work");
	return 0;
}

static inn_workflow *
load_wf(const char *yaml)
{
	return tu_load_wf(F.pol, F.reg, yaml, NULL, 0);
}

static tu_result
run_wf_with(const char *yaml, json_object *params, json_object *data, int dry_run)
{
	inn_run_opts ro;

	E.states[0] = '\0';
	memset(&ro, 0, sizeof(ro));
	ro.params = params;
	ro.data = data;
	ro.dry_run = dry_run;
	ro.events.log = collect_log;
	ro.events.step_state = collect_state;
	return tu_fx_run(&F, yaml, NULL, &ro);
}

static tu_result
run_wf(const char *yaml, json_object *params, int dry_run)
{
	return run_wf_with(yaml, params, NULL, dry_run);
}

/* run_wf with template data (what a Score plan gives: app, resources). */
static tu_result
run_wf_data(const char *yaml, json_object *data, int dry_run)
{
	return run_wf_with(yaml, NULL, data, dry_run);
}

static void
test_sequence_and_outputs_between_steps(void **state)
{
	tu_result r;
	char yaml[2048];
	json_object *wo, *v;

	(void)state;
	snprintf(yaml, sizeof(yaml),
	         "name: pipeline\n"
	         "parameters:\n  - {name: app, type: string, required: true}\n"
	         "steps:\n"
	         "  - name: first\n    type: shell\n    config:\n      script: |\n"
	         "        echo first >> %s/order\n"
	         "        echo \"image=registry/{{ .parameters.app }}:1\" >> \"$INNOMINATUS_OUTPUT\"\n"
	         "  - name: second\n    type: shell\n    config:\n      script: |\n"
	         "        echo second >> %s/order\n"
	         "        echo \"deployed=${steps.first.outputs.image}\" >> \"$INNOMINATUS_OUTPUT\"\n"
	         "  - name: third\n    type: crashy\n    config: {mode: ok, value: \"${steps.second.outputs.deployed}\"}\n"
	         "outputs:\n  result: \"${steps.third.outputs.echo}\"\n",
	         F.work, F.work);
	{
		json_object *p = json_tokener_parse("{\"app\":\"shop\"}");

		r = run_wf(yaml, p, 0);
		json_object_put(p);
	}
	assert_int_equal(r.rc, 0);
	assert_int_equal(inn_run_state(r.run), INN_STATE_SUCCEEDED);
	assert_string_equal(tu_out(tu_step(r.run, "first"), "image"), "registry/shop:1");
	assert_string_equal(tu_out(tu_step(r.run, "second"), "deployed"), "registry/shop:1");
	assert_string_equal(tu_out(tu_step(r.run, "third"), "echo"), "registry/shop:1");
	wo = inn_run_outputs(r.run);
	assert_true(json_object_object_get_ex(wo, "result", &v));
	assert_string_equal(json_object_get_string(v), "registry/shop:1");
	{
		FILE *fp = fopen(tu_path(F.work, "order"), "r");
		char buf[64] = "";
		size_t n;

		assert_non_null(fp);
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		buf[n] = '\0';
		fclose(fp);
		assert_string_equal(buf, "first\nsecond\n");
	}
	tu_result_free(&r);
}

/* Reads "start end" nanosecond stamps a shell step wrote. */
static void
read_span(const char *name, long long *a, long long *b)
{
	FILE *fp = fopen(tu_path(F.work, name), "r");

	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%lld %lld", a, b), 2);
	fclose(fp);
}

static void
test_parallel_steps_overlap(void **state)
{
	tu_result r;
	char yaml[2048];
	long long a0, a1, b0, b1, c0, c1;

	(void)state;
	snprintf(yaml, sizeof(yaml),
	         "name: fan-out\nsteps:\n"
	         "  - name: a\n    type: shell\n    parallel: true\n    config:\n"
	         "      script: 's=$(date +%%s%%N); sleep 0.4; echo \"$s $(date +%%s%%N)\" > %s/a'\n"
	         "  - name: b\n    type: shell\n    parallel: true\n    config:\n"
	         "      script: 's=$(date +%%s%%N); sleep 0.4; echo \"$s $(date +%%s%%N)\" > %s/b'\n"
	         "  - name: c\n    type: shell\n    config:\n"
	         "      script: 's=$(date +%%s%%N); echo \"$s $(date +%%s%%N)\" > %s/c'\n",
	         F.work, F.work, F.work);
	r = run_wf(yaml, NULL, 0);
	assert_int_equal(r.rc, 0);
	read_span("a", &a0, &a1);
	read_span("b", &b0, &b1);
	read_span("c", &c0, &c1);
	/* a and b ran at the same time; c waited for both */
	assert_true(b0 < a1 && a0 < b1);
	assert_true(c0 >= a1 && c0 >= b1);
	tu_result_free(&r);
}

static void
test_depends_on_orders_steps(void **state)
{
	tu_result r;
	char yaml[2048];
	long long a0, a1, b0, b1;

	(void)state;
	snprintf(yaml, sizeof(yaml),
	         "name: dag\nsteps:\n"
	         "  - name: b\n    type: shell\n    depends_on: [a]\n    config:\n"
	         "      script: 's=$(date +%%s%%N); echo \"$s $(date +%%s%%N)\" > %s/b'\n"
	         "  - name: a\n    type: shell\n    depends_on: []\n    config:\n"
	         "      script: 's=$(date +%%s%%N); sleep 0.2; echo \"$s $(date +%%s%%N)\" > %s/a'\n",
	         F.work, F.work);
	r = run_wf(yaml, NULL, 0);
	assert_int_equal(r.rc, 0);
	read_span("a", &a0, &a1);
	read_span("b", &b0, &b1);
	assert_true(b0 >= a1);
	tu_result_free(&r);
}

static void
test_retries_with_exponential_backoff(void **state)
{
	tu_result r;

	(void)state;
	r = run_wf("name: flaky\nsteps:\n"
	           "  - name: f\n    type: crashy\n    retries: {limit: 3, backoff: 20ms}\n"
	           "    config: {mode: fail-times, times: 3}\n", NULL, 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(tu_step(r.run, "f")->attempts, 3);
	assert_string_equal(tu_out(tu_step(r.run, "f"), "attempts"), "3");
	TU_ASSERT_CONTAINS(F.log, "attempt 1 of 4 failed");
	TU_ASSERT_CONTAINS(F.log, "retrying in 20 ms");
	TU_ASSERT_CONTAINS(F.log, "retrying in 40 ms");
	tu_result_free(&r);

	/* retries exhausted: the step fails after limit + 1 attempts */
	r = run_wf("name: flaky\nsteps:\n"
	           "  - name: f\n    type: crashy\n    retries: {limit: 1, backoff: 10ms}\n"
	           "    config: {mode: fail-times, times: 5}\n", NULL, 0);
	assert_int_not_equal(r.rc, 0);
	assert_int_equal(tu_step(r.run, "f")->attempts, 2);
	assert_int_equal(tu_step(r.run, "f")->state, INN_STATE_FAILED);
	tu_result_free(&r);
}

static void
test_step_timeout(void **state)
{
	tu_result r;

	(void)state;
	r = run_wf("name: slow\nsteps:\n"
	           "  - name: s\n    type: crashy\n    timeout: 300ms\n"
	           "    config: {mode: sleep, ms: 20000}\n"
	           "  - name: after\n    type: noop\n", NULL, 0);
	assert_int_not_equal(r.rc, 0);
	assert_int_equal(tu_step(r.run, "s")->state, INN_STATE_TIMED_OUT);
	assert_int_equal(tu_step(r.run, "after")->state, INN_STATE_SKIPPED);
	tu_result_free(&r);
}

struct canceller {
	inn_run *run;
};

static void *
cancel_soon(void *arg)
{
	struct canceller *c = arg;

	usleep(300 * 1000);
	inn_run_cancel(c->run);
	return NULL;
}

static void
test_cancellation_stops_the_run(void **state)
{
	inn_workflow *wf;
	inn_run *run;
	inn_run_opts ro;
	pthread_t t;
	struct canceller c;

	(void)state;
	wf = load_wf("name: long\nsteps:\n"
	             "  - name: wait\n    type: shell\n    config: {script: 'sleep 30'}\n"
	             "  - name: never\n    type: noop\n");
	memset(&ro, 0, sizeof(ro));
	assert_int_equal(inn_run_new(&run, F.eng, wf, &ro), 0);
	c.run = run;
	pthread_create(&t, NULL, cancel_soon, &c);
	assert_int_not_equal(inn_run_execute(run), 0);
	pthread_join(t, NULL);
	assert_int_equal(inn_run_state(run), INN_STATE_CANCELLED);
	assert_int_equal(inn_run_step(run, 0)->state, INN_STATE_CANCELLED);
	assert_int_equal(inn_run_step(run, 1)->state, INN_STATE_CANCELLED);
	TU_ASSERT_CONTAINS(inn_run_step(run, 1)->message, "not started: cancelled");
	inn_run_free(run);
	inn_workflow_free(wf);
}

static void
test_crash_isolation(void **state)
{
	tu_result r;
	unsigned before = inn_engine_workers_started(F.eng);

	(void)state;
	r = run_wf("name: crashes\nsteps:\n"
	           "  - name: segv\n    type: crashy\n    continue_on_error: true\n"
	           "    config: {mode: segv}\n"
	           "  - name: abort\n    type: crashy\n    continue_on_error: true\n"
	           "    config: {mode: abort}\n"
	           "  - name: hang\n    type: crashy\n    continue_on_error: true\n"
	           "    timeout: 200ms\n    config: {mode: hang}\n"
	           "  - name: still-fine\n    type: crashy\n    config: {mode: ok, value: alive}\n",
	           NULL, 0);
	assert_int_equal(tu_step(r.run, "segv")->state, INN_STATE_FAILED);
	TU_ASSERT_CONTAINS(tu_step(r.run, "segv")->message, "plugin \"crashy\" crashed: its "
	                   "worker process ");
#if !defined(__SANITIZE_ADDRESS__)
	/* (under ASan the sanitizer reports the fault and exits instead) */
	TU_ASSERT_CONTAINS(tu_step(r.run, "segv")->message, "killed by signal 11");
#endif
	assert_int_equal(tu_step(r.run, "abort")->state, INN_STATE_FAILED);
	TU_ASSERT_CONTAINS(tu_step(r.run, "abort")->message, "killed by signal 6");
	assert_int_equal(tu_step(r.run, "hang")->state, INN_STATE_TIMED_OUT);
	TU_ASSERT_CONTAINS(tu_step(r.run, "hang")->message, "did not return within 300 ms after "
	                   "the step deadline; its worker process was killed");
	assert_int_equal(tu_step(r.run, "still-fine")->state, INN_STATE_SUCCEEDED);
	assert_string_equal(tu_out(tu_step(r.run, "still-fine"), "echo"), "alive");
	assert_int_equal(r.rc, 0); /* every failure was continue_on_error */
	/* the dead workers were replaced (the last step needed a new one) */
	assert_true(inn_engine_workers_started(F.eng) > before);
	tu_result_free(&r);
}

static void
test_floods_are_capped(void **state)
{
	tu_result r;

	(void)state;
	r = run_wf("name: floods\nsteps:\n"
	           "  - name: logs\n    type: crashy\n    config: {mode: flood-log}\n"
	           "  - name: prints\n    type: crashy\n    config: {mode: flood-stdout}\n"
	           "  - name: big\n    type: crashy\n    continue_on_error: true\n"
	           "    config: {mode: big-output}\n", NULL, 0);
	assert_int_equal(tu_step(r.run, "logs")->state, INN_STATE_SUCCEEDED);
	assert_int_equal(tu_step(r.run, "prints")->state, INN_STATE_SUCCEEDED);
	assert_string_equal(tu_out(tu_step(r.run, "prints"), "flooded"), "yes");
	/* both floods hit the per-step log cap and said so */
	assert_true(F.lines < 600000);
	/* what the plugin printed on its own stdout landed in the step log */
	TU_ASSERT_CONTAINS(E.first_print, "stdout flood line 0 ");
	assert_int_equal(tu_step(r.run, "big")->state, INN_STATE_FAILED);
	tu_result_free(&r);
}

static void
test_conditions_and_failures(void **state)
{
	tu_result r;

	(void)state;
	r = run_wf("name: conds\n"
	           "parameters:\n  - {name: enabled, type: boolean, default: false}\n"
	           "steps:\n"
	           "  - name: off\n    type: noop\n    if: \"{{ .parameters.enabled }}\"\n"
	           "  - name: on\n    type: noop\n    when: \"{{ not .parameters.enabled }}\"\n"
	           "  - name: boom\n    type: crashy\n    config: {mode: fail, value: broken disk}\n"
	           "  - name: later\n    type: noop\n", NULL, 0);
	assert_int_not_equal(r.rc, 0);
	assert_int_equal(tu_step(r.run, "off")->state, INN_STATE_SKIPPED);
	assert_string_equal(tu_step(r.run, "off")->message,
	                    "skipped: condition false: if: \"{{ .parameters.enabled }}\" is false");
	assert_int_equal(tu_step(r.run, "on")->state, INN_STATE_SUCCEEDED);
	assert_int_equal(tu_step(r.run, "boom")->state, INN_STATE_FAILED);
	assert_int_equal(tu_step(r.run, "later")->state, INN_STATE_SKIPPED);
	TU_ASSERT_CONTAINS(inn_run_message(r.run), "step \"boom\" failed");
	TU_ASSERT_CONTAINS(F.log, "failing: broken disk");
	tu_result_free(&r);
}

/* Workflow outputs reading a step output the step did not produce (not
 * written, step skipped, step failed under continue_on_error) are null
 * with a warning naming output, step and the fix, and the run succeeds, as
 * the original rendered "<no value>"; step configs still fail on it. */
static void
test_outputs_a_step_did_not_write(void **state)
{
	tu_result r;
	json_object *wo, *v;

	(void)state;
	r = run_wf("name: outs\n"
	           "steps:\n"
	           "  - name: a\n    type: shell\n    config:\n      script: |\n"
	           "        echo '{\"y\": 7}'\n"
	           "        echo x=1 >> \"$INNOMINATUS_OUTPUT\"\n"
	           "  - {name: b, type: noop, if: \"false\"}\n"
	           "  - {name: c, type: crashy, continue_on_error: true, config: {mode: fail, value: v}}\n"
	           "  - {name: d, type: noop}\n"
	           "outputs:\n"
	           "  plain: \"${steps.d.outputs.k}\"\n"
	           "  have: \"${steps.a.outputs.x}\"\n"
	           "  miss: \"{{ .steps.a.output.y }}\"\n"
	           "  text: \"id={{ .steps.a.output.y }}.\"\n"
	           "  legacy: \"{{ .a.y }}\"\n"
	           "  skipped: \"${steps.b.outputs.z}\"\n"
	           "  failed: \"${steps.c.outputs.echo}\"\n", NULL, 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(inn_run_state(r.run), INN_STATE_SUCCEEDED);
	wo = inn_run_outputs(r.run);
	assert_true(json_object_object_get_ex(wo, "have", &v));
	assert_string_equal(json_object_get_string(v), "1");
	assert_true(json_object_object_get_ex(wo, "miss", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(wo, "text", &v));
	assert_string_equal(json_object_get_string(v), "id=.");
	assert_true(json_object_object_get_ex(wo, "legacy", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(wo, "skipped", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(wo, "failed", &v));
	assert_null(v);
	TU_ASSERT_CONTAINS(F.log, "warning: outputs.miss: step \"a\" wrote no output \"y\", "
	                   "so the reference reads as null (empty in text); a script writes "
	                   "it with: echo \"y=...\" >> \"$INNOMINATUS_OUTPUT\"");
	TU_ASSERT_CONTAINS(F.log, "warning: outputs.text: step \"a\" wrote no output \"y\"");
	TU_ASSERT_CONTAINS(F.log, "warning: outputs.legacy: step \"a\" wrote no output \"y\"");
	TU_ASSERT_CONTAINS(F.log, "warning: outputs.skipped: step \"b\" was skipped, so it has "
	                   "no output \"z\"");
	TU_ASSERT_CONTAINS(F.log, "warning: outputs.failed: step \"c\" did not succeed, so it "
	                   "has no output \"echo\"");
	assert_true(json_object_object_get_ex(wo, "plain", &v));
	assert_null(v);
	TU_ASSERT_CONTAINS(F.log, "warning: outputs.plain: step \"d\" (noop) reported no output "
	                   "\"k\", so the reference reads as null (empty in text)");
	assert_null(strstr(F.log, "outputs.have"));
	tu_result_free(&r);

	/* a step's config: the missing output stays an error */
	r = run_wf("name: cfg\nsteps:\n"
	           "  - {name: a, type: shell, config: {script: \"true\"}}\n"
	           "  - {name: b, type: crashy, config: {mode: ok, value: \"${steps.a.outputs.y}\"}}\n",
	           NULL, 0);
	assert_int_not_equal(r.rc, 0);
	assert_int_equal(tu_step(r.run, "b")->state, INN_STATE_FAILED);
	TU_ASSERT_CONTAINS(tu_step(r.run, "b")->message, "steps.a.outputs.y is not defined");
	tu_result_free(&r);

	/* an output that exists, read deeper than it goes, is an error too */
	r = run_wf("name: deep\nsteps:\n"
	           "  - {name: a, type: shell, config: {script: \"echo x=1 >> $INNOMINATUS_OUTPUT\"}}\n"
	           "outputs:\n  deep: \"${steps.a.outputs.x.more}\"\n", NULL, 0);
	assert_int_not_equal(r.rc, 0);
	assert_int_equal(inn_run_state(r.run), INN_STATE_FAILED);
	TU_ASSERT_CONTAINS(inn_run_message(r.run), "outputs.deep");
	tu_result_free(&r);
}

/* Starts a run of wf with params (a JSON text, or NULL), which must be
 * refused with a message containing msg; returns the message. */
static const char *
refused(const inn_workflow *wf, const char *params, const char *msg)
{
	inn_run_opts ro;
	inn_run *run = NULL;
	json_object *p = params != NULL ? json_tokener_parse(params) : NULL;

	memset(&ro, 0, sizeof(ro));
	ro.params = p;
	assert_int_equal(inn_run_new(&run, F.eng, wf, &ro), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), msg);
	json_object_put(p);
	return inn_error_last();
}

static void
test_parameters_are_checked(void **state)
{
	const char *yaml = "name: params\n"
	                   "parameters:\n"
	                   "  - {name: replicas, type: integer, default: 2}\n"
	                   "  - {name: env, type: string, required: true, allowed_values: [dev, prod]}\n"
	                   "steps:\n  - name: s\n    type: crashy\n"
	                   "    config: {mode: ok, value: \"r=${parameters.replicas}\"}\n";
	inn_workflow *wf = load_wf(yaml);
	inn_run_opts ro;
	inn_run *run = NULL;
	json_object *p;

	(void)state;
	refused(wf, NULL, "parameter \"env\": is required");
	refused(wf, "{\"env\":\"staging\"}", "\"staging\" is not one of the allowed values");
	refused(wf, "{\"env\":\"dev\",\"replicas\":\"three\"}", "\"three\" is not an integer");
	refused(wf, "{\"env\":\"dev\",\"colour\":\"red\"}", "has no parameter \"colour\"");
	memset(&ro, 0, sizeof(ro));
	ro.params = p = json_tokener_parse("{\"env\":\"prod\",\"replicas\":\"5\"}");
	assert_int_equal(inn_run_new(&run, F.eng, wf, &ro), 0);
	assert_int_equal(json_object_get_int(json_object_object_get(inn_run_params(run),
	                                                            "replicas")), 5);
	assert_int_equal(inn_run_execute(run), 0);
	assert_string_equal(tu_out(inn_run_step(run, 0), "echo"), "r=5");
	json_object_put(p);
	inn_run_free(run);
	inn_workflow_free(wf);
}

/* A refused secret parameter: the error goes back to the caller (a 400
 * over the API) and into logs, so it names the rule, never the value. */
static void
test_refused_secret_is_not_echoed(void **state)
{
	const char *yaml = "name: sparams\n"
	                   "parameters:\n"
	                   "  - {name: pw, type: secret, pattern: '^[a-z]+$'}\n"
	                   "  - {name: pin, type: secret, allowed_values: [alpha, beta]}\n"
	                   "steps:\n  - name: s\n    type: crashy\n"
	                   "    config: {mode: ok, value: x}\n";
	inn_workflow *wf = load_wf(yaml);

	(void)state;
	assert_null(strstr(refused(wf, "{\"pw\":\"Hunter2-Secret-99\"}",
	                           "does not match the pattern"), "Hunter2"));
	assert_null(strstr(refused(wf, "{\"pin\":\"Gamma-Secret-77\"}",
	                           "is not one of the allowed values"), "Gamma"));
	inn_workflow_free(wf);
}

/* Values reach programs through the environment: a NUL (anywhere, also in
 * a map) or a value over the per-value limit is refused, never cut; so are
 * given values over the total limit.  Defaults are not the caller's. */
static void
test_parameter_value_limits(void **state)
{
	const char *yaml = "name: vlimits\n"
	                   "parameters:\n"
	                   "  - {name: a, type: string, default: x}\n"
	                   "  - {name: m, type: map, default: {}}\n"
	                   "  - {name: b, type: string, default: x}\n"
	                   "  - {name: c, type: string, default: x}\n"
	                   "  - {name: d, type: string, default: x}\n"
	                   "  - {name: e, type: string, default: x}\n"
	                   "  - {name: f, type: string, default: x}\n"
	                   "  - {name: g, type: string, default: x}\n"
	                   "  - {name: h, type: string, default: x}\n"
	                   "  - {name: i, type: string, default: x}\n"
	                   "steps:\n  - name: s\n    type: crashy\n"
	                   "    config: {mode: ok, value: x}\n";
	static const char names[] = "abcdefghi";
	inn_workflow *wf = load_wf(yaml);
	inn_run_opts ro;
	inn_run *run = NULL;
	json_object *p, *m;
	char *big = malloc(INN_PARAM_VALUE_MAX + 2);
	size_t k;

	(void)state;
	assert_non_null(big);
	memset(&ro, 0, sizeof(ro));
	ro.params = p = json_object_new_object();
	json_object_object_add(p, "a", json_object_new_string_len("a\0b", 3));
	assert_int_equal(inn_run_new(&run, F.eng, wf, &ro), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "parameter \"a\": a value may not contain a NUL");
	json_object_object_del(p, "a");
	m = json_object_new_object();
	json_object_object_add(m, "k", json_object_new_string_len("x\0y", 3));
	json_object_object_add(p, "m", m);
	assert_int_equal(inn_run_new(&run, F.eng, wf, &ro), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "parameter \"m\": a value may not contain a NUL");
	json_object_object_del(p, "m");
	memset(big, 'v', INN_PARAM_VALUE_MAX + 1);
	big[INN_PARAM_VALUE_MAX + 1] = '\0';
	json_object_object_add(p, "a", json_object_new_string(big));
	assert_int_equal(inn_run_new(&run, F.eng, wf, &ro), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "more than the limit of");
	/* exactly at the limit is fine, nine of them are over the total */
	big[INN_PARAM_VALUE_MAX] = '\0';
	json_object_object_add(p, "a", json_object_new_string(big));
	assert_int_equal(inn_run_new(&run, F.eng, wf, &ro), 0);
	inn_run_free(run);
	run = NULL;
	for (k = 0; names[k]; k++) {
		char n[2] = { names[k], '\0' };

		json_object_object_add(p, n, json_object_new_string(big));
	}
	assert_int_equal(inn_run_new(&run, F.eng, wf, &ro), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "together exceed the limit");
	json_object_put(p);
	free(big);
	inn_workflow_free(wf);
}

static void
test_secrets_are_masked(void **state)
{
	tu_result r;
	json_object *v;

	(void)state;
	r = run_wf("name: secret\nsteps:\n"
	           "  - name: mint\n    type: crashy\n"
	           "    config: {mode: ok, value: public, secret: 's3cr\"3t\\\\-token-9'}\n"
	           "  - name: use\n    type: shell\n    config:\n"
	           "      script: |\n"
	           "        echo \"using ${steps.mint.outputs.token}\"\n"
	           "        echo \"leak=${steps.mint.outputs.token}\" >> \"$INNOMINATUS_OUTPUT\"\n"
	           "outputs:\n  token: \"${steps.mint.outputs.token}\"\n", NULL, 0);
	assert_int_equal(r.rc, 0);
	assert_null(strstr(F.log, "-token-9"));
	TU_ASSERT_CONTAINS(F.log, "token is ***");
	TU_ASSERT_CONTAINS(F.log, "using ***");
	assert_string_equal(tu_out(tu_step(r.run, "mint"), "token"), "***");
	assert_string_equal(tu_out(tu_step(r.run, "use"), "leak"), "***");
	assert_true(json_object_object_get_ex(inn_run_outputs(r.run), "token", &v));
	assert_string_equal(json_object_get_string(v), "***");
	tu_result_free(&r);
}

static void
test_steps_inherit_no_descriptors(void **state)
{
	tu_result r;

	(void)state;
	/* the worker's engine socket (and anything else) must not reach a
	 * program a step runs: it could read other steps' secrets from it */
	r = run_wf("name: fds\nsteps:\n"
	           "  - name: look\n    type: shell\n    config:\n"
	           "      script: 'echo \"sockets=$(ls -l /proc/$$/fd | grep -c socket)\" "
	           ">> \"$INNOMINATUS_OUTPUT\"'\n", NULL, 0);
	assert_int_equal(r.rc, 0);
	assert_string_equal(tu_out(tu_step(r.run, "look"), "sockets"), "0");
	tu_result_free(&r);
}

static void
test_dry_run_reports_each_step(void **state)
{
	tu_result r;
	char yaml[1024];

	(void)state;
	snprintf(yaml, sizeof(yaml), "name: preview\n"
	         "parameters:\n  - {name: pw, type: secret, default: hunter2hunter2}\n"
	         "steps:\n"
	         "  - name: script\n    type: shell\n    config: {script: 'touch %s/dry-touched'}\n"
	         "  - name: capable\n    type: crashy\n    config: {mode: ok, value: \"${parameters.pw}\"}\n"
	         "  - name: never\n    type: noop\n    if: \"false\"\n", F.work);
	r = run_wf(yaml, NULL, 1);
	assert_int_equal(r.rc, 0);
	/* U12: a real run runs it, so it would run; nothing of it is simulated */
	assert_int_equal(tu_step(r.run, "script")->state, INN_STATE_WOULD_RUN);
	assert_string_equal(tu_step(r.run, "script")->message,
	                    "would-run (plugin has no dry-run: not simulated)");
	assert_false(tu_exists(tu_path(F.work, "dry-touched")));
	assert_int_equal(tu_step(r.run, "capable")->state, INN_STATE_WOULD_RUN);
	assert_string_equal(tu_out(tu_step(r.run, "capable"), "echo"), "(dry-run)");
	TU_ASSERT_CONTAINS(json_object_to_json_string(tu_step(r.run, "capable")->config), "\"***\"");
	assert_null(strstr(json_object_to_json_string(tu_step(r.run, "capable")->config), "hunter2"));
	assert_string_equal(tu_step(r.run, "never")->message,
	                    "skipped: condition false: if: \"false\" is false");
	tu_result_free(&r);
}

/* C9: a dry-run says would-run only when the real run gets past
 * rendering -- a value it cannot know (a resource's or a step's outputs)
 * is named -- and "would-fail" with the reason for what a real run would
 * refuse (a resource the run does not have). */
static void
test_dry_run_tells_would_fail(void **state)
{
	static const struct {
		const char *steps, *step;
		inn_state st, run_st;
		const char *msg;
	} cases[] = {
		{ "  - {name: a, type: crashy, config: {mode: ok, value: \"${resources.db.dsn}\"}}\n",
		  "a", INN_STATE_WOULD_RUN, INN_STATE_WOULD_RUN, "would-run (not simulated: "
		  "it reads resources.db.dsn, an output of resource \"db\", resolved at run "
		  "time)" },
		/* the real run would fail: no such resource */
		{ "  - {name: a, type: crashy, config: {mode: ok, value: \"${resources.dbb.dsn}\"}}\n",
		  "a", INN_STATE_FAILED, INN_STATE_FAILED, "would-fail: config.value: "
		  "${resources.dbb.dsn}: resources.dbb is not defined" },
		/* a step a dry-run does not run: its outputs are not known, and say so */
		{ "  - {name: s, type: shell, config: {script: 'echo x=1 >> $INNOMINATUS_OUTPUT'}}\n"
		  "  - {name: b, type: crashy, config: {mode: ok, value: \"${steps.s.outputs.x}\"}}\n",
		  "b", INN_STATE_WOULD_RUN, INN_STATE_WOULD_RUN, "would-run (not simulated: it "
		  "reads the outputs of step \"s\", resolved at run time)" },
		/* an unknown value does not hide what would fail after it */
		{ "  - {name: s, type: shell, config: {script: 'true'}}\n"
		  "  - {name: a, type: crashy, config: {mode: ok}, env: {A: \"${steps.s.outputs.y}\","
		  " B: \"${resources.dbb.dsn}\"}}\n",
		  "a", INN_STATE_FAILED, INN_STATE_FAILED, "would-fail: "
		  "env.B: ${resources.dbb.dsn}: resources.dbb is not defined" },
		/* a step skipped by its condition has no outputs in a real run either */
		{ "  - {name: s, type: noop, if: \"false\"}\n"
		  "  - {name: b, type: crashy, config: {mode: ok, value: \"${steps.s.outputs.x}\"}}\n",
		  "b", INN_STATE_FAILED, INN_STATE_FAILED, "would-fail: config.value: "
		  "${steps.s.outputs.x}: steps.s is not defined: step \"s\" was skipped (condition "
		  "false: if: \"false\" is false), so it has no outputs; guard the reference (| default \"\") or give this "
		  "step the same condition" },
	};
	json_object *data = json_tokener_parse(
		"{\"resources\": {\"db\": {\"name\": \"db\", \"type\": \"sqlite\"}},"
		" \"app\": {\"name\": \"shop\"}}");
	char yaml[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tu_result r;

		snprintf(yaml, sizeof(yaml), "name: d%zu\nsteps:\n%s", i, cases[i].steps);
		r = run_wf_data(yaml, data, 1);
		assert_int_equal(tu_step(r.run, cases[i].step)->state, cases[i].st);
		assert_string_equal(tu_step(r.run, cases[i].step)->message, cases[i].msg);
		assert_int_equal(inn_run_state(r.run), cases[i].run_st);
		if (i == 0) /* the config as far as it is known */
			TU_ASSERT_CONTAINS(json_object_to_json_string(tu_step(r.run, "a")->config),
			                   "(resolved at run time: resources.db.dsn)");
		tu_result_free(&r);
	}
	json_object_put(data);
}

/* Shell steps get APP_NAME (the Score application's name) through the
 * environment, as the original's scripts did; a hostile name stays text,
 * the step's own env entry wins, and a dot-less ${NAME} is bash's. */
static void
test_shell_gets_app_name(void **state)
{
	char yaml[1024], app[512];
	json_object *data = json_object_new_object(), *a = json_object_new_object();
	tu_result r;

	(void)state;
	snprintf(app, sizeof(app), "my-app'\"; touch %s/pwned; $(touch %s/pwned2) ${HOME}",
	         F.work, F.work);
	json_object_object_add(a, "name", json_object_new_string(app));
	json_object_object_add(data, "app", a);
	snprintf(yaml, sizeof(yaml), "name: env\nsteps:\n"
	         "  - name: s\n    type: policy\n    config:\n      script: |\n"
	         "        NS=demo\n"
	         "        echo \"app=${APP_NAME}\" >> \"$INNOMINATUS_OUTPUT\"\n"
	         "        echo \"ns=${NS}-quota\" >> \"$INNOMINATUS_OUTPUT\"\n"
	         "  - name: own\n    type: shell\n    env: {APP_NAME: mine}\n"
	         "    config: {script: 'echo \"app=${APP_NAME}\" >> \"$INNOMINATUS_OUTPUT\"'}\n");
	r = run_wf_data(yaml, data, 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(inn_run_state(r.run), INN_STATE_SUCCEEDED);
	assert_string_equal(tu_out(tu_step(r.run, "s"), "app"), app);
	assert_string_equal(tu_out(tu_step(r.run, "s"), "ns"), "demo-quota");
	assert_string_equal(tu_out(tu_step(r.run, "own"), "app"), "mine");
	assert_false(tu_exists(tu_path(F.work, "pwned")));
	assert_false(tu_exists(tu_path(F.work, "pwned2")));
	tu_result_free(&r);
	json_object_put(data);
}

/* The step_state callback names each step by its index in the workflow
 * too (the server's store rows use it), and the run follows the loader's
 * resolved graph: x waits for z (depends_on pointing forward), y for x (the
 * implicit order), z for nothing (its implicit edge to y would be a cycle). */
struct index_seen {
	const inn_workflow *wf;
	int mismatches;
	char order[64];
};

static void
check_index(void *ud, size_t idx, const char *step, inn_state st, int attempt,
            const char *msg)
{
	struct index_seen *is = ud;
	size_t used;

	(void)attempt;
	(void)msg;
	pthread_mutex_lock(&F.lock);
	if (idx >= is->wf->nsteps || strcmp(is->wf->steps[idx].name, step) != 0)
		is->mismatches++;
	used = strlen(is->order);
	if (st == INN_STATE_SUCCEEDED)
		snprintf(is->order + used, sizeof(is->order) - used, "%s ", step);
	pthread_mutex_unlock(&F.lock);
}

static void
test_step_state_carries_index(void **state)
{
	struct index_seen is;
	inn_run_opts ro;
	inn_run *run = NULL;

	(void)state;
	memset(&is, 0, sizeof(is));
	is.wf = load_wf("name: forward\nsteps:\n"
	                "  - {name: x, type: noop, depends_on: [z]}\n"
	                "  - {name: y, type: noop}\n"
	                "  - {name: z, type: noop}\n");
	memset(&ro, 0, sizeof(ro));
	ro.events.step_state = check_index;
	ro.events.ud = &is;
	assert_int_equal(inn_run_new(&run, F.eng, is.wf, &ro), 0);
	assert_int_equal(inn_run_execute(run), 0);
	assert_int_equal(inn_run_state(run), INN_STATE_SUCCEEDED);
	assert_int_equal(is.mismatches, 0);
	assert_string_equal(is.order, "z x y ");
	inn_run_free(run);
	inn_workflow_free((inn_workflow *)is.wf);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequence_and_outputs_between_steps),
		cmocka_unit_test(test_parallel_steps_overlap),
		cmocka_unit_test(test_depends_on_orders_steps),
		cmocka_unit_test(test_retries_with_exponential_backoff),
		cmocka_unit_test(test_step_timeout),
		cmocka_unit_test(test_cancellation_stops_the_run),
		cmocka_unit_test(test_crash_isolation),
		cmocka_unit_test(test_floods_are_capped),
		cmocka_unit_test(test_conditions_and_failures),
		cmocka_unit_test(test_outputs_a_step_did_not_write),
		cmocka_unit_test(test_parameters_are_checked),
		cmocka_unit_test(test_refused_secret_is_not_echoed),
		cmocka_unit_test(test_parameter_value_limits),
		cmocka_unit_test(test_secrets_are_masked),
		cmocka_unit_test(test_dry_run_reports_each_step),
		cmocka_unit_test(test_dry_run_tells_would_fail),
		cmocka_unit_test(test_shell_gets_app_name),
		cmocka_unit_test(test_steps_inherit_no_descriptors),
		cmocka_unit_test(test_step_state_carries_index),
	};
	int w = inn_worker_maybe_main(argc, argv);

	if (w >= 0)
		return w;
	return cmocka_run_group_tests_name("exec", tests, setup, tu_fx_group_teardown);
}
