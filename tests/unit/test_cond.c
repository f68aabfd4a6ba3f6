/*
 * test_cond.c - step conditions (cond.c): the original's `when:` keywords
 * and `if:`/`unless:` grammar evaluated against a run's data, what the
 * loader refuses (file:line:col), and real runs with worker processes:
 * on_failure cleanup after a failure, always, on_success, manual, the
 * reasons of skipped steps and what a dry-run says.
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

#include "cond.h"
#include "error.h"
#include "exec.h"
#include "model.h"
#include "testutil.h"

static tu_fx F;

/* --- the grammar, against data ---------------------------------------------- */

/* Steps named in the conditions below: build (0), test (1). */
static long
names_step(void *ud, const char *name, size_t len)
{
	(void)ud;
	if (len == 5 && memcmp(name, "build", 5) == 0)
		return 0;
	if (len == 4 && memcmp(name, "test", 4) == 0)
		return 1;
	return -1;
}

static inn_state
states(void *ud, size_t i)
{
	(void)ud;
	return i == 0 ? INN_STATE_SUCCEEDED : INN_STATE_FAILED;
}

/* Parses text (as if:) and evaluates it with the step env env (JSON) over
 * a fixed data object; the result, the detail in detail. */
static int
eval(const char *text, const char *env, char *detail, size_t len)
{
	static const char data_text[] =
		"{\"parameters\": {\"environment\": \"production\", \"enabled\": false, "
		"\"replicas\": 5, \"flag\": true},"
		" \"variables\": {\"APP\": \"myapp\", \"ENV\": \"staging\"},"
		" \"steps\": {\"build\": {\"outputs\": {\"version\": \"v2.1.0\"}}},"
		" \"workflow\": {\"name\": \"wf\"}}";
	inn_cond_names names = { names_step, NULL, NULL, NULL };
	json_object *data = json_tokener_parse(data_text);
	inn_tmpl_env tenv = { data, NULL, NULL, NULL };
	inn_cond_ctx ctx = { &tenv, env ? json_tokener_parse(env) : NULL, states, NULL };
	inn_cond *c = NULL;
	char buf[512];
	int rc;

	if ((rc = inn_cond_parse(&c, text, 0, &names)) != 0) {
		print_message("# %s: %s\n", text, inn_error_last());
		fail_msg("condition did not parse");
	}
	rc = inn_cond_eval(c, &ctx, detail ? detail : buf, detail ? len : sizeof(buf));
	inn_cond_free(c);
	json_object_put(ctx.env);
	json_object_put(data);
	return rc;
}

#define TRUE_(text, env) assert_int_equal(eval((text), (env), NULL, 0), 1)
#define FALSE_(text, env) assert_int_equal(eval((text), (env), NULL, 0), 0)

static void
test_grammar(void **state)
{
	char d[512];

	(void)state;
	/* literals, any case */
	TRUE_("true", NULL);
	TRUE_(" TRUE ", NULL);
	FALSE_("False", NULL);
	/* comparisons with variables: step env, then variables, then parameters */
	TRUE_("$ENVIRONMENT == production", "{\"ENVIRONMENT\": \"production\"}");
	FALSE_("$X == yes", "{\"X\": \"no\"}");
	assert_int_equal(eval("$X == yes", "{\"X\": \"no\"}", d, sizeof(d)), 0);
	assert_string_equal(d, "\"no\" == \"yes\"");
	TRUE_("$ENV == staging", NULL);
	TRUE_("${ENV} == \"staging\"", NULL);
	TRUE_("$ENV == staging", "{\"OTHER\": \"x\"}");
	FALSE_("$ENV == staging", "{\"ENV\": \"prod\"}");   /* the step's env wins */
	TRUE_("$environment == production", NULL);          /* a parameter */
	TRUE_("${APP}-${ENV} == myapp-staging", NULL);
	TRUE_("$VERSION != v1.0.0", "{\"VERSION\": \"v2\"}");
	/* numbers when both sides are numbers, else bytes */
	TRUE_("10 > 5", NULL);
	TRUE_("$COUNT >= 3", "{\"COUNT\": \"5\"}");
	TRUE_("$replicas > 3", NULL);
	TRUE_("10 > 9.5", NULL);
	FALSE_("10 < 9", NULL);
	TRUE_("abc < xyz", NULL);
	TRUE_("1e3 == 1000", NULL);
	TRUE_("10 < 9a", NULL);                             /* bytes: '1' < '9' */
	/* NaN and Inf are numbers, as Go's ParseFloat reads them */
	FALSE_("NaN == NaN", NULL);
	TRUE_("$X != nan", "{\"X\": \"NaN\"}");
	FALSE_("nan < 1", NULL);
	FALSE_("nan >= 1", NULL);
	TRUE_("Inf > 1e308", NULL);
	TRUE_("-Infinity < -1e308", NULL);
	TRUE_("inf == +Inf", NULL);
	TRUE_("+nan == +nan", NULL);                        /* not a number: bytes */
	/* string operators */
	TRUE_("hello world contains world", NULL);
	FALSE_("hello world contains missing", NULL);
	TRUE_("production startsWith prod", NULL);
	FALSE_("development startsWith prod", NULL);
	TRUE_("file.txt endsWith .txt", NULL);
	FALSE_("file.txt endsWith .md", NULL);
	TRUE_("test123 matches test[0-9]+", NULL);
	/* the original's order of search: == before the others, comparisons
	 * before words; never inside quotes; == trims blanks, then quotes */
	TRUE_("\"foo contains bar\" == \"foo contains bar\"", NULL);
	TRUE_("'a == b' == 'a == b'", NULL);
	TRUE_("a < b == a < b", NULL);
	FALSE_("\" a\" == a", NULL);
	TRUE_("\"$X\" == \" a\"", "{\"X\": \" a\"}");
	TRUE_("\"x y\" contains \" y\"", NULL);
	TRUE_("it's contains '", NULL);
	/* a pattern holding a comparison operator is quoted, else it splits there */
	TRUE_("ab matches \"a(?:x|b)>?\"", NULL);
	FALSE_("ab matches a>b", NULL);                      /* "ab matches a" > "b" */
	FALSE_("test matches ^[0-9]+$", NULL);
	TRUE_("$VERSION matches ^v[0-9]+\\.[0-9]+\\.0$", "{\"VERSION\": \"v2.1.0\"}");
	FALSE_("$VERSION matches ^v[0-9]+\\.[0-9]+\\.0$", "{\"VERSION\": \"v2.1.1\"}");
	TRUE_("$N matches ^\\d+$", "{\"N\": \"42\"}");     /* RE2 syntax */
	TRUE_("$N matches (?i)^abc$", "{\"N\": \"ABC\"}");
	TRUE_("$MESSAGE contains error", "{\"MESSAGE\": \"an error here\"}");
	TRUE_("\"hello\".contains(ell)", NULL);
	TRUE_("${ENV}.startsWith(sta)", NULL);
	TRUE_("$ENV.endsWith(ing)", NULL);
	/* the first operator wins; the rest is the operand */
	TRUE_("$X == a contains b", "{\"X\": \"a contains b\"}");
	/* values are never parsed again */
	FALSE_("$X == yes", "{\"X\": \"yes == yes\"}");
	TRUE_("$X == $Y", "{\"X\": \"a == b\", \"Y\": \"a == b\"}");
	/* variables alone: set and not "", "false" or "0" */
	TRUE_("DEPLOY_ENV", "{\"DEPLOY_ENV\": \"staging\"}");
	FALSE_("MISSING_VAR", NULL);
	FALSE_("$SKIP", "{\"SKIP\": \"false\"}");
	FALSE_("$SKIP", "{\"SKIP\": \"0\"}");
	TRUE_("$SKIP", "{\"SKIP\": \"yes\"}");
	FALSE_("$enabled", NULL);
	assert_int_equal(eval("MISSING_VAR", NULL, d, sizeof(d)), 0);
	assert_string_equal(d, "MISSING_VAR is not set");
	/* an unset variable in a comparison reads as "" */
	TRUE_("$NOPE == \"\"", NULL);
	/* step results */
	TRUE_("build.success", NULL);
	TRUE_("build.Succeeded", NULL);
	FALSE_("build.failed", NULL);
	TRUE_("test.failed", NULL);
	TRUE_("test.failure", NULL);
	FALSE_("test.skipped", NULL);
	/* step outputs, the original's spelling and ours */
	TRUE_("$build.version == v2.1.0", NULL);
	TRUE_("${build.version} startsWith v2", NULL);
	TRUE_("${steps.build.outputs.version} == v2.1.0", NULL);
	TRUE_("${workflow.ENV} == staging", NULL);
	TRUE_("$workflow.name == wf", NULL);
	/* templates keep working: truthy, or as operands */
	TRUE_("{{ eq .parameters.environment \"production\" }}", NULL);
	FALSE_("{{ .parameters.enabled }}", NULL);
	TRUE_("${parameters.flag}", NULL);
	FALSE_("${parameters.enabled}", NULL);
	TRUE_("{{ .parameters.environment }} == production", NULL);
	TRUE_("{{ if eq .parameters.environment \"a == b\" }}x{{ end }} == \"\"", NULL);
}

static void
test_grammar_refusals(void **state)
{
	static const struct {
		const char *text;
		int in_when;
		const char *why;
	} bad[] = {
		{ "nosuch.success", 0, "there is no step \"nosuch\"" },
		{ "build.done", 0, "\"done\" is not a step status" },
		{ "test matches [", 0, "is not a Go regular expression" },
		{ "$X matches \"(?<=a\"", 0, "(?<=: lookaround is not supported" },
		{ "abc matches a(?=b)", 0, "(?=: lookaround is not supported" },
		{ "aa matches (a)\\1", 0, "\\1: backreferences are not supported" },
		{ "x matches (?R)?x", 0, "(?R: this group is not supported" },
		{ "x matches (?C1)x", 0, "(?C: this group is not supported" },
		{ "x matches (*NO_START_OPT)x", 0, "PCRE verbs are not part" },
		{ "hello world", 0, "cannot read \"hello world\"" },
		{ "1", 0, "\"1\" is a number, not a condition" },
		{ "1.5", 0, "\"1.5\" is a number, not a condition" },
		{ "a.contains(", 0, "a method is written A.contains(B)" },
		{ "x.startsWith(y", 0, "with its closing \")\"" },
		{ "on_sucess", 1, "\"on_sucess\" is not a when keyword" },
		{ "   ", 0, "empty condition" },
		{ "{{ .parameters.x", 0, "is not closed" },
		{ "$nostep.key == 1", 0, "\"nostep\" is not a step" },
	};
	inn_cond_names names = { names_step, NULL, NULL, NULL };
	inn_cond *c;
	inn_cond_when w;
	size_t i;
	static char big[70000];

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = NULL;
		assert_int_equal(inn_cond_parse(&c, bad[i].text, bad[i].in_when, &names),
		                 INN_EINVAL);
		assert_null(c);
		TU_ASSERT_CONTAINS(inn_error_last(), bad[i].why);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(inn_cond_parse(&c, big, 0, &names), INN_EINVAL);
	/* the keywords, any case and spacing */
	assert_int_equal(inn_cond_when_parse(" On_Failure ", &w), 0);
	assert_int_equal(w, INN_WHEN_ON_FAILURE);
	assert_int_equal(inn_cond_when_parse("success", &w), 0);
	assert_int_equal(w, INN_WHEN_ON_SUCCESS);
	assert_int_equal(inn_cond_when_parse("failure", &w), 0);
	assert_int_equal(w, INN_WHEN_ON_FAILURE);
	assert_int_equal(inn_cond_when_parse("always", &w), 0);
	assert_int_equal(inn_cond_when_parse("manual", &w), 0);
	assert_int_equal(w, INN_WHEN_MANUAL);
	assert_int_equal(inn_cond_when_parse("sometimes", &w), -1);
	/* a pattern that backtracks badly is decided (as RE2 decides it: no
	 * match), never a hang (pattern.c bounds the work) */
	assert_int_equal(eval("$X matches ^(a+)+$",
	                      "{\"X\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\"}", NULL, 0), 0);
	/* a pattern built from a value is compiled when it runs */
	assert_int_equal(eval("abc matches $P", "{\"P\": \"[\"}", NULL, 0), INN_EINVAL);
	/* a step output that is not set reads unresolved, as in the original:
	 * the reference as written, the detail naming it */
	{
		char d[512];

		assert_int_equal(eval("$build.nope == 1", NULL, d, sizeof(d)), 0);
		assert_string_equal(d, "\"$build.nope\" == \"1\"; $build.nope: "
		                    "steps.build.outputs.nope is not set");
		assert_int_equal(eval("$test.x != 1", NULL, NULL, 0), 1);
		assert_int_equal(eval("${steps.test.outputs.x} == 1", NULL, NULL, 0), 0);
		assert_int_equal(eval("{{ .steps.test.outputs.x }} == 1", NULL, NULL, 0), 0);
		assert_int_equal(eval("$test.x", NULL, d, sizeof(d)), INN_COND_UNRESOLVED);
		assert_string_equal(d, "$test.x: steps.test.outputs.x is not set");
		assert_int_equal(eval("{{ .steps.test.outputs.x }}", NULL, NULL, 0),
		                 INN_COND_UNRESOLVED);
		/* references side by side are one template: still unresolved */
		assert_int_equal(eval("$build.version$build.nope == x", NULL, d, sizeof(d)), 0);
		TU_ASSERT_CONTAINS(d, "steps.build.outputs.nope is not set");
		/* other missing data is still an error */
		assert_int_equal(eval("${parameters.nope} == 1", NULL, NULL, 0), INN_ENOTFOUND);
	}
}

/* --- the loader ------------------------------------------------------------- */

/* The diagnostics of loading yaml (empty when it loads cleanly). */
static const char *
load_diag(const char *yaml, int *loaded)
{
	static char diag[8192];
	inn_workflow *wf = tu_load_wf(NULL, NULL, yaml, diag, sizeof(diag));

	*loaded = wf != NULL;
	inn_workflow_free(wf);
	return diag;
}

static void
test_loader(void **state)
{
	int ok;
	const char *d;

	(void)state;
	/* C3: if and when together, unless read */
	d = load_diag("name: w\nsteps:\n"
	              "  - {name: deploy, type: shell, if: \"true\", when: on_success,\n"
	              "     unless: $SKIP == true, env: {SKIP: \"no\"}, config: {script: x}}\n",
	              &ok);
	assert_true(ok);
	assert_string_equal(d, "");
	/* unreadable conditions are load errors with file:line:col */
	d = load_diag("name: w\nsteps:\n  - name: a\n    type: shell\n    when: on_sucess\n", &ok);
	assert_false(ok);
	TU_ASSERT_CONTAINS(d, "test.yaml:5:11: error: step \"a\": when: \"on_sucess\" is not a "
	                   "when keyword");
	d = load_diag("name: w\nsteps:\n  - name: a\n    type: shell\n    if: nosuch.failed\n", &ok);
	assert_false(ok);
	TU_ASSERT_CONTAINS(d, "test.yaml:5:9: error: step \"a\": if: \"nosuch.failed\": there is "
	                   "no step \"nosuch\"");
	d = load_diag("name: w\nsteps:\n  - name: a\n    type: shell\n    unless: x matches \"(\"\n",
	              &ok);
	assert_false(ok);
	TU_ASSERT_CONTAINS(d, "test.yaml:5:13: error: step \"a\": unless: matches: pattern \"(\" "
	                   "is not a Go regular expression");
	d = load_diag("name: w\nsteps:\n  - name: a\n    type: shell\n    if: [a]\n", &ok);
	assert_false(ok);
	TU_ASSERT_CONTAINS(d, "step \"a\": if: must be a condition string or true/false");
	/* a step's status must be known when the condition is read */
	d = load_diag("name: w\nsteps:\n"
	              "  - {name: a, type: shell, parallel: true}\n"
	              "  - {name: b, type: shell, parallel: true, if: a.success}\n", &ok);
	assert_false(ok);
	TU_ASSERT_CONTAINS(d, "test.yaml:4:48: error: step \"b\": if: reads the status of step "
	                   "\"a\", which does not run before it (add it to depends_on)");
	d = load_diag("name: w\nsteps:\n  - {name: a, type: shell, if: a.success}\n", &ok);
	TU_ASSERT_CONTAINS(d, "reads its own status");
	/* template parts are checked like any template */
	d = load_diag("name: w\nsteps:\n"
	              "  - {name: a, type: shell, if: '${parameters.nope} == x'}\n", &ok);
	assert_false(ok);
	TU_ASSERT_CONTAINS(d, "test.yaml:3:32: error: step \"a\": if: references parameters.nope, "
	                   "which is not declared in parameters");
	d = load_diag("name: w\nsteps:\n"
	              "  - {name: a, type: shell}\n"
	              "  - {name: b, type: shell, parallel: true}\n"
	              "  - {name: c, type: shell, parallel: true, if: '$b.out == x'}\n", &ok);
	assert_false(ok);
	TU_ASSERT_CONTAINS(d, "step \"c\": if: references steps.b.outputs.out, but step \"b\" does "
	                   "not run before it");
	/* warnings: what can never be true, or is never set */
	d = load_diag("name: w\nsteps:\n"
	              "  - {name: a, type: shell}\n"
	              "  - {name: b, type: shell, if: a.failed}\n"
	              "  - {name: c, type: shell, when: manual}\n"
	              "  - {name: d, type: shell, unless: $SKIP_TESTS}\n"
	              "  - {name: e, type: shell, when: on_failure, if: a.failed}\n", &ok);
	assert_true(ok);
	TU_ASSERT_CONTAINS(d, "test.yaml:4:32: warning: step \"b\": if: can only be true when step "
	                   "\"a\" failed, but a failed step stops the run");
	TU_ASSERT_CONTAINS(d, "test.yaml:5:34: warning: step \"c\": when: manual: innominatus has "
	                   "no manual approval");
	TU_ASSERT_CONTAINS(d, "test.yaml:6:36: warning: step \"d\": unless: SKIP_TESTS is not set "
	                   "by the step's env, the workflow's variables or its parameters");
	assert_null(strstr(d, "step \"e\""));
}

/* --- real runs ------------------------------------------------------------- */

static int
setup(void **state)
{
	static const char *const plugins[] = { "crashy", "noop", NULL };
	const tu_engine_opts eo = { "cond-plugins", plugins, 2, 300, NULL };

	*state = &F;
	tu_fx_setup(&F, &eo, "cond-work");
	return 0;
}

/* Runs yaml with the given parameters and steps completed before (JSON
 * texts, or NULL). */
static tu_result
run_with(const char *yaml, int dry_run, const char *params, const char *completed)
{
	inn_run_opts ro;
	tu_result r;

	memset(&ro, 0, sizeof(ro));
	ro.dry_run = dry_run;
	ro.params = params ? json_tokener_parse(params) : NULL;
	ro.completed = completed ? json_tokener_parse(completed) : NULL;
	r = tu_fx_run(&F, yaml, NULL, &ro);
	json_object_put(ro.params);
	json_object_put(ro.completed);
	return r;
}

static tu_result
run(const char *yaml, int dry_run)
{
	return run_with(yaml, dry_run, NULL, NULL);
}

static const char failing_wf[] =
	"name: fails\n"
	"steps:\n"
	"  - {name: build, type: crashy, config: {mode: ok, value: v2.1.0}}\n"
	"  - {name: deploy, type: crashy, config: {mode: fail, value: disk full}}\n"
	"  - {name: smoke, type: noop}\n"
	"  - {name: cleanup, type: crashy, when: on_failure, config: {mode: ok, value: cleaned}}\n"
	"  - {name: report, type: noop, when: always, if: deploy.failed}\n"
	"  - {name: notify, type: noop, when: on_success}\n"
	"  - {name: canary, type: noop, when: always,\n"
	"     if: '$build.echo matches ^v[0-9]+\\.[0-9]+\\.0$'}\n"
	"  - {name: gate, type: noop, when: manual}\n";

static void
test_on_failure_cleanup_runs_and_the_run_fails(void **state)
{
	tu_result r;

	(void)state;
	r = run(failing_wf, 0);
	assert_int_not_equal(r.rc, 0);
	assert_int_equal(inn_run_state(r.run), INN_STATE_FAILED);
	TU_ASSERT_CONTAINS(inn_run_message(r.run), "step \"deploy\" failed");
	assert_int_equal(tu_step(r.run, "smoke")->state, INN_STATE_SKIPPED);
	assert_int_equal(tu_step(r.run, "cleanup")->state, INN_STATE_SUCCEEDED);
	assert_string_equal(tu_out(tu_step(r.run, "cleanup"), "echo"), "cleaned");
	assert_int_equal(tu_step(r.run, "report")->state, INN_STATE_SUCCEEDED);
	assert_int_equal(tu_step(r.run, "notify")->state, INN_STATE_SKIPPED);
	assert_int_equal(tu_step(r.run, "canary")->state, INN_STATE_SUCCEEDED);
	assert_int_equal(tu_step(r.run, "gate")->state, INN_STATE_SKIPPED);
	tu_result_free(&r);
}

static void
test_no_failure_skips_on_failure_with_reasons(void **state)
{
	tu_result r;

	(void)state;
	r = run("name: fine\n"
	        "steps:\n"
	        "  - {name: ok, type: noop}\n"
	        "  - {name: cleanup, type: noop, when: on_failure}\n"
	        "  - {name: always, type: noop, when: Always}\n"
	        "  - {name: gate, type: noop, when: manual}\n"
	        "  - {name: a, type: noop, if: $X == yes, env: {X: \"no\"}}\n"
	        "  - {name: tests, type: noop, unless: \"true\"}\n"
	        "  - {name: both, type: noop, when: on_success, if: ok.success,\n"
	        "     unless: $M == true, env: {M: \"false\"}}\n", 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(inn_run_state(r.run), INN_STATE_SUCCEEDED);
	assert_string_equal(tu_step(r.run, "cleanup")->message,
	                    "skipped: condition false: when: on_failure, and no earlier step "
	                    "failed (of those it waits for)");
	assert_int_equal(tu_step(r.run, "always")->state, INN_STATE_SUCCEEDED);
	assert_int_equal(tu_step(r.run, "gate")->state, INN_STATE_SKIPPED);
	TU_ASSERT_CONTAINS(tu_step(r.run, "gate")->message, "skipped: when: manual: the step "
	                   "waits for a manual approval");
	assert_string_equal(tu_step(r.run, "a")->message,
	                    "skipped: condition false: if: \"$X == yes\" is false (\"no\" == "
	                    "\"yes\")");
	assert_string_equal(tu_step(r.run, "tests")->message,
	                    "skipped: condition false: unless: \"true\" is true");
	assert_int_equal(tu_step(r.run, "both")->state, INN_STATE_SUCCEEDED);
	tu_result_free(&r);
}

static void
test_on_success_after_a_tolerated_failure(void **state)
{
	tu_result r;

	(void)state;
	r = run("name: tolerated\n"
	        "steps:\n"
	        "  - {name: flaky, type: crashy, continue_on_error: true, config: {mode: fail}}\n"
	        "  - {name: next, type: noop}\n"
	        "  - {name: notify, type: noop, when: on_success}\n"
	        "  - {name: alert, type: noop, if: flaky.failed}\n"
	        "  - {name: cleanup, type: noop, when: failure}\n", 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(tu_step(r.run, "next")->state, INN_STATE_SUCCEEDED);
	assert_string_equal(tu_step(r.run, "notify")->message,
	                    "skipped: condition false: when: on_success, but step \"flaky\" "
	                    "failed");
	assert_int_equal(tu_step(r.run, "alert")->state, INN_STATE_SUCCEEDED);
	assert_int_equal(tu_step(r.run, "cleanup")->state, INN_STATE_SUCCEEDED);
	tu_result_free(&r);
}

static void
test_dry_run_tells_what_a_run_decides(void **state)
{
	tu_result r;

	(void)state;
	/* crashy's dry-run fails too: that failure is real, the rest follows */
	r = run(failing_wf, 1);
	assert_int_not_equal(r.rc, 0);
	assert_int_equal(tu_step(r.run, "build")->state, INN_STATE_WOULD_RUN);
	assert_int_equal(tu_step(r.run, "deploy")->state, INN_STATE_FAILED);
	assert_int_equal(tu_step(r.run, "cleanup")->state, INN_STATE_WOULD_RUN);
	assert_string_equal(tu_step(r.run, "cleanup")->message,
	                    "would-run (plugin dry-run succeeded)");
	assert_string_equal(tu_step(r.run, "report")->message,
	                    "would-run (plugin dry-run succeeded)");
	/* build's outputs in a dry-run are placeholders: not compared */
	assert_int_equal(tu_step(r.run, "canary")->state, INN_STATE_WOULD_RUN);
	TU_ASSERT_CONTAINS(tu_step(r.run, "canary")->message, "reads outputs of a step, "
	                   "which a dry-run does not know");
	tu_result_free(&r);
	/* what a dry-run cannot decide it says so; what it can, it decides as a
	 * run would */
	r = run("name: known\n"
	        "parameters: [{name: env, type: string, default: dev}]\n"
	        "steps:\n"
	        "  - {name: prod, type: noop, if: '${parameters.env} == prod'}\n"
	        "  - {name: dev, type: noop, unless: '$E != dev', env: {E: '${parameters.env}'}}\n"
	        "  - {name: cleanup, type: noop, when: on_failure}\n"
	        "  - {name: report, type: noop, when: always, if: dev.success}\n"
	        "  - {name: gate, type: noop, when: manual}\n", 1);
	assert_int_equal(r.rc, 0);
	assert_string_equal(tu_step(r.run, "prod")->message,
	                    "skipped: condition false: if: \"${parameters.env} == prod\" is false "
	                    "(\"dev\" == \"prod\")");
	assert_int_equal(tu_step(r.run, "dev")->state, INN_STATE_WOULD_RUN);
	assert_int_equal(tu_step(r.run, "cleanup")->state, INN_STATE_WOULD_RUN);
	assert_string_equal(tu_step(r.run, "cleanup")->message,
	                    "would-run only if an earlier step fails (when: on_failure); a "
	                    "dry-run cannot tell");
	assert_int_equal(tu_step(r.run, "report")->state, INN_STATE_WOULD_RUN);
	TU_ASSERT_CONTAINS(tu_step(r.run, "report")->message, "reads the result of a step, "
	                   "which a dry-run does not know");
	assert_int_equal(tu_step(r.run, "gate")->state, INN_STATE_SKIPPED);
	tu_result_free(&r);
}

/* A retry reuses what succeeded before, but not a cleanup: it answers the
 * new run's outcome. */
static void
test_retry_runs_cleanup_again(void **state)
{
	tu_result r;

	(void)state;
	r = run_with("name: again\n"
	             "steps:\n"
	             "  - {name: build, type: noop}\n"
	             "  - {name: deploy, type: crashy, config: {mode: fail}}\n"
	             "  - {name: cleanup, type: crashy, when: on_failure, config: {mode: ok, "
	             "value: again}}\n", 0, NULL, "{\"build\": {}, \"cleanup\": {}}");
	assert_int_not_equal(r.rc, 0);
	assert_string_equal(tu_step(r.run, "build")->message, "reused from an earlier execution");
	assert_int_equal(tu_step(r.run, "cleanup")->state, INN_STATE_SUCCEEDED);
	assert_string_equal(tu_out(tu_step(r.run, "cleanup"), "echo"), "again");
	tu_result_free(&r);
}

static void
test_secrets_in_reasons_are_masked(void **state)
{
	tu_result r;

	(void)state;
	r = run_with("name: masked\n"
	             "parameters: [{name: pw, type: secret}]\n"
	             "steps:\n"
	             "  - {name: a, type: noop, if: '$pw == nope'}\n", 0,
	             "{\"pw\": \"hunter2hunter2\"}", NULL);
	assert_int_equal(r.rc, 0);
	TU_ASSERT_CONTAINS(tu_step(r.run, "a")->message, "(\"***\" == \"nope\")");
	assert_null(strstr(tu_step(r.run, "a")->message, "hunter2"));
	tu_result_free(&r);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grammar),
		cmocka_unit_test(test_grammar_refusals),
		cmocka_unit_test(test_loader),
		cmocka_unit_test(test_on_failure_cleanup_runs_and_the_run_fails),
		cmocka_unit_test(test_no_failure_skips_on_failure_with_reasons),
		cmocka_unit_test(test_on_success_after_a_tolerated_failure),
		cmocka_unit_test(test_dry_run_tells_what_a_run_decides),
		cmocka_unit_test(test_retry_runs_cleanup_again),
		cmocka_unit_test(test_secrets_in_reasons_are_masked),
	};
	int w = inn_worker_maybe_main(argc, argv);

	if (w >= 0)
		return w;
	return cmocka_run_group_tests_name("cond", tests, setup, tu_fx_group_teardown);
}
