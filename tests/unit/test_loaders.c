/*
 * test_loaders.c - the workflow, provider, Score and catalog loaders:
 * valid inputs in both layouts, and for each broken input the exact
 * message and file:line:col a user would see.  Fixtures live in
 * tests/data; broken variants are written inline (line numbers matter).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "host.h"
#include "model.h"
#include "policy.h"
#include "registry.h"
#include "testutil.h"

static char data_dir[2048];

static const char *
data(const char *rel)
{
	return tu_path(data_dir, rel);
}

static void
dump(const inn_diag *d)
{
	inn_diag_print(d, stdout, "# ");
}

/* Fails (showing every diagnostic) unless some entry contains needle. */
#define EXPECT_DIAG(d, needle) expect_diag((d), (needle), __FILE__, __LINE__)
/* Fails (showing every diagnostic) unless the load call rc returned 0. */
#define LOADED(rc, d) loaded((rc), (d), __FILE__, __LINE__)

static void
loaded(int rc, const inn_diag *d, const char *file, int line)
{
	if (rc == 0)
		return;
	dump(d);
	_fail(file, line);
}

static void
expect_diag(const inn_diag *d, const char *needle, const char *file, int line)
{
	if (inn_diag_find(d, needle, NULL, 0) >= 0)
		return;
	dump(d);
	_fail(file, line);
	(void)needle;
}

/* Loads text as "wf.yaml"; returns the loader's result. */
static int
load_text(const char *text, const inn_load_ctx *ctx, inn_workflow **wf, inn_diag *d)
{
	inn_diag_init(d);
	return inn_workflow_load_string(wf, "wf.yaml", text, strlen(text), ctx, d);
}

/* text, which must load without any diagnostic. */
static void
clean(const char *text)
{
	inn_workflow *wf = NULL;
	inn_diag d;

	assert_int_equal(load_text(text, NULL, &wf, &d), 0);
	if (d.n != 0) {
		dump(&d);
		fail_msg("diagnostics for: %s", text);
	}
	inn_workflow_free(wf);
	inn_diag_free(&d);
}

/* text, which must load without errors. */
static inn_workflow *
loads(const char *text)
{
	inn_workflow *wf = NULL;
	inn_diag d;

	if (load_text(text, NULL, &wf, &d) != 0) {
		dump(&d);
		fail_msg("refused: %s", text);
	}
	inn_diag_free(&d);
	return wf;
}

/* Expects text to be refused with an error containing needle. */
static void
refused(const char *text, const inn_load_ctx *ctx, const char *needle)
{
	inn_workflow *wf = NULL;
	inn_diag d;

	if (load_text(text, ctx, &wf, &d) == 0) {
		dump(&d);
		inn_workflow_free(wf);
		fail_msg("accepted; expected: %s", needle);
	}
	assert_null(wf);
	EXPECT_DIAG(&d, needle);
	inn_diag_free(&d);
}

static char *
write_in(const char *dir, const char *name, const char *text)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);

	assert_non_null(p);
	snprintf(p, strlen(dir) + strlen(name) + 2, "%s/%s", dir, name);
	assert_int_equal(tu_write(p, text), 0);
	return p;
}

/* --- diagnostics ---------------------------------------------------------- */

static void
test_diag_format_and_cap(void **state)
{
	inn_diag d;
	char buf[256];
	int i;

	(void)state;
	inn_diag_init(&d);
	inn_diag_add(&d, INN_DIAG_WARNING, "a.yaml", 3, 5, "x %d", 1);
	inn_diag_add(&d, INN_DIAG_ERROR, "a.yaml", 0, 0, "whole file");
	inn_diag_format(&d, 0, buf, sizeof(buf));
	assert_string_equal(buf, "a.yaml:3:5: warning: x 1");
	inn_diag_format(&d, 1, buf, sizeof(buf));
	assert_string_equal(buf, "a.yaml: error: whole file");
	for (i = 0; i < 2000; i++)
		inn_diag_add(&d, INN_DIAG_ERROR, "b.yaml", i + 1, 1, "e%d", i);
	assert_int_equal(d.n, INN_DIAG_MAX + 1);
	assert_int_equal(d.nerrors, 2001);
	assert_int_equal(inn_diag_count(&d, INN_DIAG_WARNING), 1);
	inn_diag_format(&d, INN_DIAG_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "b.yaml: error: too many diagnostics; the rest are not shown");
	inn_diag_free(&d);
}

static void
test_diag_print(void **state)
{
	inn_diag d;
	char out[256];
	size_t n;
	FILE *fp = tmpfile();

	(void)state;
	assert_non_null(fp);
	inn_diag_init(&d);
	inn_diag_print(&d, fp, "# ");
	assert_int_equal(ftell(fp), 0);
	inn_diag_add(&d, INN_DIAG_WARNING, "a.yaml", 3, 5, "x %d", 1);
	inn_diag_add(&d, INN_DIAG_ERROR, "a.yaml", 0, 0, "whole file");
	inn_diag_print(&d, fp, "# ");
	rewind(fp);
	n = fread(out, 1, sizeof(out) - 1, fp);
	out[n] = '\0';
	assert_string_equal(out, "# a.yaml:3:5: warning: x 1\n# a.yaml: error: whole file\n");
	fclose(fp);
	inn_diag_free(&d);
}

/* --- workflows: valid ------------------------------------------------------ */

static const char full_wf[] =
	"name: full\n"
	"description: every field\n"
	"metadata:\n"
	"  owner: team-a\n"
	"phase: post-deployment\n"
	"triggers: [product_deployment, manual]\n"
	"timeout: 15m\n"
	"parameters:\n"
	"  - name: app\n"
	"    type: string\n"
	"    required: true\n"
	"  - name: replicas\n"
	"    type: integer\n"
	"    default: 2\n"
	"  - name: debug\n"
	"    type: boolean\n"
	"    default: \"false\"\n"
	"variables:\n"
	"  GREETING: hello ${parameters.app}\n"
	"steps:\n"
	"  - name: build\n"
	"    type: policy\n"
	"    config:\n"
	"      script: echo url={{ .parameters.app }} ${GREETING} >> \"$INNOMINATUS_OUTPUT\"\n"
	"    env:\n"
	"      MODE: fast\n"
	"    retries: {limit: 3, backoff: 2s}\n"
	"    timeout: 90\n"
	"  - name: test\n"
	"    type: shell\n"
	"    if: true\n"
	"    depends_on: build\n"
	"    parallel: true\n"
	"    continueOnError: true\n"
	"    retries: 2\n"
	"    config:\n"
	"      script: echo ${steps.build.outputs.url}\n"
	"  - name: lint\n"
	"    type: shell\n"
	"    parallel: true\n"
	"    when: \"{{ eq .parameters.app \\\"x\\\" }}\"\n"
	"    dependsOn: [build]\n"
	"outputs:\n"
	"  url: ${steps.build.outputs.url}\n";

static void
test_workflow_full(void **state)
{
	const inn_load_ctx ctx = { NULL, NULL };
	inn_workflow *wf = NULL;
	const inn_step_def *s;
	inn_diag d;

	(void)state;
	LOADED(load_text(full_wf, &ctx, &wf, &d), &d);
	/* only the note that a bare-number timeout (the original's form) is
	 * the step's deadline here */
	assert_int_equal(d.n, 1);
	{
		char line[1024];

		inn_diag_format(&d, 0, line, sizeof(line));
		assert_non_null(strstr(line, "warning: step \"build\": timeout: 90 is this "
		                       "step's deadline"));
	}
	assert_string_equal(wf->name, "full");
	assert_string_equal(wf->owner, "team-a");
	assert_string_equal(wf->phase, "post-deployment");
	assert_int_equal(wf->ntriggers, 2);
	assert_int_equal(wf->timeout_ms, 15 * 60 * 1000);
	assert_int_equal(wf->nparams, 3);
	assert_true(wf->params[0].required);
	assert_int_equal(json_object_get_int(wf->params[1].def), 2);
	assert_string_equal(json_object_get_string(
		json_object_object_get(wf->variables, "GREETING")), "hello ${parameters.app}");
	assert_int_equal(wf->nsteps, 3);
	s = inn_workflow_step(wf, "build");
	assert_string_equal(s->type, "policy");
	assert_string_equal(s->plugin_type, "shell");
	assert_int_equal(s->retries, 3);
	assert_int_equal(s->backoff_ms, 2000);
	assert_true(s->retry_opt_in);
	assert_int_equal(s->timeout_ms, 90000);
	assert_string_equal(json_object_get_string(json_object_object_get(s->env, "MODE")),
	                    "fast");
	assert_int_equal(s->line, 21);
	assert_int_equal(s->col, 5);
	s = inn_workflow_step(wf, "test");
	assert_string_equal(s->when, "true");
	assert_int_equal(s->ndeps, 1);
	assert_string_equal(s->depends_on[0], "build");
	assert_true(s->parallel);
	assert_true(s->continue_on_error);
	assert_int_equal(s->retries, 2);
	assert_int_equal(s->backoff_ms, 1000);
	s = inn_workflow_step(wf, "lint");
	assert_non_null(s->config);
	assert_int_equal(json_object_object_length(s->config), 0);
	assert_false(s->retry_opt_in);
	assert_null(inn_workflow_step(wf, "nope"));
	inn_workflow_free(wf);
	inn_diag_free(&d);
}

static void
test_workflow_spec_form(void **state)
{
	const inn_load_ctx ctx = { NULL, NULL };
	inn_workflow *wf = NULL;
	inn_diag d;

	(void)state;
	inn_diag_init(&d);
	LOADED(inn_workflow_load_file(&wf, data("providers/orig-team/workflows/create-db.yaml"),
	                              &ctx, &d), &d);
	assert_string_equal(wf->name, "create-db");
	assert_string_equal(wf->description, "Creates a database");
	assert_int_equal(wf->nsteps, 2);
	assert_int_equal(wf->timeout_ms, 600000);
	assert_string_equal(wf->params[1].type, "enum");
	assert_non_null(wf->params[1].allowed);
	assert_string_equal(wf->steps[1].depends_on[0], "create");
	inn_workflow_free(wf);
	inn_diag_free(&d);
}

/* --- workflows: broken ------------------------------------------------------ */

static void
test_workflow_unknown_dependency(void **state)
{
	(void)state;
	refused("name: w\n"
	        "steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "  - name: b\n"
	        "    type: shell\n"
	        "    depends_on: [a, c]\n",
	        NULL, "wf.yaml:7:21: error: step \"b\": depends_on names unknown step \"c\"");
}

static void
test_workflow_duplicate_steps(void **state)
{
	(void)state;
	refused("steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "  - name: b\n"
	        "    type: shell\n"
	        "  - name: a\n"
	        "    type: shell\n",
	        NULL, "wf.yaml:6:11: error: step \"a\": duplicate step name (lines 2 and 6)");
}

static void
test_workflow_cycle(void **state)
{
	(void)state;
	refused("steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "    depends_on: c\n"
	        "  - name: b\n"
	        "    type: shell\n"
	        "    depends_on: a\n"
	        "  - name: c\n"
	        "    type: shell\n"
	        "    depends_on: b\n",
	        NULL, "wf.yaml:2:5: error: step \"a\": depends_on cycle: a -> c -> b -> a");
	refused("steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "    dependsOn: a\n",
	        NULL, "wf.yaml:4:16: error: step \"a\": depends on itself (cycle: a -> a)");
}

static void
test_workflow_unknown_key_warns(void **state)
{
	inn_workflow *wf = NULL;
	inn_diag d;

	(void)state;
	assert_int_equal(load_text("name: w\n"
	                           "colour: blue\n"
	                           "steps:\n"
	                           "  - name: a\n"
	                           "    type: shell\n"
	                           "    retires: 3\n",
	                           NULL, &wf, &d), 0);
	assert_non_null(wf);
	assert_int_equal(d.nerrors, 0);
	EXPECT_DIAG(&d, "wf.yaml:2:1: warning: unknown key \"colour\" (ignored)");
	EXPECT_DIAG(&d, "wf.yaml:6:5: warning: steps[0]: unknown key \"retires\" (ignored)");
	inn_workflow_free(wf);
	inn_diag_free(&d);
}

static void
test_workflow_wrong_kinds(void **state)
{
	(void)state;
	refused("steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "  - name: b\n"
	        "    type: shell\n"
	        "  - name: c\n"
	        "    type: shell\n"
	        "    config:\n"
	        "      - script\n",
	        NULL, "wf.yaml:9:7: error: steps[2].config: must be a mapping, not a list");
	refused("steps: {a: 1}\n", NULL, "wf.yaml:1:8: error: steps: must be a list, not a "
	        "mapping");
	refused("- a\n", NULL, "wf.yaml:1:1: error: workflow: must be a mapping, not a list");
	refused("name: w\n", NULL, "wf.yaml: error: missing required field \"steps\"");
	refused("steps:\n  - type: shell\n", NULL,
	        "wf.yaml:2:5: error: steps[0]: missing required field \"name\"");
	refused("steps:\n  - name: a\n", NULL,
	        "wf.yaml:2:5: error: step \"a\": missing required field \"type\"");
	refused("steps:\n  - name: a b\n    type: shell\n", NULL,
	        "wf.yaml:2:11: error: steps[0]: step name \"a b\" must match "
	        "[A-Za-z0-9][A-Za-z0-9_-]*");
	refused("steps:\n  - name: a\n    type: shell\n    parallel: \"yes\"\n", NULL,
	        "wf.yaml:4:15: error: steps[0].parallel: must be true or false, not \"yes\"");
	refused("steps:\n  - name: a\n    type: shell\n    timeout: soon\n", NULL,
	        "wf.yaml:4:14: error: steps[0].timeout: \"soon\" is not a duration");
	refused("steps:\n  - name: a\n    type: shell\n    retries: {limit: 500}\n", NULL,
	        "wf.yaml:4:22: error: steps[0].retries.limit: \"500\" is not a whole number "
	        "between 0 and 100");
	refused("steps:\n  - name: a\n    type: shell\n    env: {1X: a}\n", NULL,
	        "wf.yaml:4:11: error: steps[0].env: \"1X\" is not a valid environment "
	        "variable name");
	refused("kind: Pipeline\nsteps: []\n", NULL,
	        "wf.yaml:1:7: error: kind: expected Workflow, not \"Pipeline\"");
	refused("phase: later\nsteps:\n  - name: a\n    type: shell\n", NULL,
	        "wf.yaml:1:8: error: phase: must be pre-deployment, deployment or "
	        "post-deployment");
	refused("steps:\n  - name: a\n    type: shell\n  bad: [\n", NULL, "wf.yaml:4:");
}

static void
test_workflow_parameter_refs(void **state)
{
	(void)state;
	refused("parameters:\n"
	        "  - name: app\n"
	        "steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "    config:\n"
	        "      script: echo {{ .parameters.ap }}\n",
	        NULL, "wf.yaml:7:15: error: step \"a\": config.script: references "
	        "parameters.ap, which is not declared in parameters");
	refused("steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "    env:\n"
	        "      X: ${parameters.x}\n",
	        NULL, "wf.yaml:5:10: error: step \"a\": env.X: references parameters.x, "
	        "which is not declared in parameters");
	refused("variables:\n"
	        "  V: ${parameters.nope}\n"
	        "steps:\n"
	        "  - name: a\n"
	        "    type: shell\n",
	        NULL, "wf.yaml:2:6: error: variables.V: references parameters.nope, which is "
	        "not declared in parameters");
	refused("parameters:\n"
	        "  - name: ns\n"
	        "    default: \"{{ .parameters.app }}\"\n"
	        "steps:\n"
	        "  - name: a\n"
	        "    type: shell\n",
	        NULL, "wf.yaml:3:14: error: parameter \"ns\": default: references "
	        "parameters.app, which is not declared in parameters");
}

/* Loads text (no errors allowed) and expects a warning containing needle. */
static void
warns(const char *text, const char *needle)
{
	inn_workflow *wf = NULL;
	inn_diag d;

	if (load_text(text, NULL, &wf, &d) != 0) {
		dump(&d);
		fail_msg("refused; expected the warning: %s", needle);
	}
	EXPECT_DIAG(&d, needle);
	inn_workflow_free(wf);
	inn_diag_free(&d);
}

/* A13, C2, C9: a dot-less ${NAME} is the shell's (never a template); a
 * reference no run can resolve (an undeclared variable, an unknown root,
 * a step or app field that does not exist) is a load error naming it and
 * the escape; $${X} and $X are the shell's and ${X:-d} stays shell text */
static void
test_workflow_unknown_refs(void **state)
{
	(void)state;
	/* C2: the compat finding's script loads clean and is left to bash */
	clean("name: bare\n"
	      "steps:\n"
	      "  - name: s\n"
	      "    type: policy\n"
	      "    config:\n"
	      "      script: |\n"
	      "        NAMESPACE=demo\n"
	      "        echo \"ns=${NAMESPACE}-quota home is ${HOME}\"\n");
	/* C9: an unknown root */
	refused("name: dry\n"
	        "steps: [{name: show, type: shell, config: {command: [\"echo\", "
	        "\"${nosuch.thing}\"]}}]\n",
	        NULL, "wf.yaml:2:62: error: step \"show\": config.command[1]: references "
	        "nosuch.thing, but \"nosuch\" is not a template root (parameters, steps, "
	        "resources, secrets, variables, workflow, app) nor a step of this workflow; "
	        "for literal text ${...} write $${...}");
	refused("steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "    config: {script: \"echo {{ .metadata.name }}\"}\n",
	        NULL, "wf.yaml:4:22: error: step \"a\": config.script: references "
	        "metadata.name, but \"metadata\" is not a template root");
	refused("steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "    config: {script: \"echo ${app.nme}\"}\n",
	        NULL, "wf.yaml:4:22: error: step \"a\": config.script: references app.nme, "
	        "but app holds only name, metadata and containers");
	refused("variables:\n"
	        "  A: \"${variables.B}\"\n"
	        "  B: x\n"
	        "steps:\n"
	        "  - {name: a, type: shell}\n",
	        NULL, "wf.yaml:2:6: error: variables.A: references variables.B, but that "
	        "variable is declared later (variables render in order)");
	refused("parameters:\n"
	        "  - {name: p, type: string, default: \"${variables.V}\"}\n"
	        "variables:\n"
	        "  V: x\n"
	        "steps:\n"
	        "  - {name: a, type: shell}\n",
	        NULL, "references variables.V, but that variable is declared later");
	clean("variables:\n"
	      "  A: x\n"
	      "  B: \"${variables.A}-{{ .workflow.name }}-${A}\"\n"
	      "steps:\n"
	      "  - name: a\n"
	      "    type: shell\n"
	      "    config:\n"
	      "      script: echo \"$${HOME} $HOME ${GITEA:-x} ${B} ${APP_NAME} "
	      "${variables.A} ${workflow} ${app.name}\"\n");
}

/* The original's ${workflow.X} (a workflow variable, or a golden-path
 * parameter) and ${<step>.<key>} (a step output): read as ours, with a
 * warning naming ours -- or refused when nothing of the name exists. */
static void
test_workflow_original_spellings(void **state)
{
	(void)state;
	warns("parameters:\n"
	      "  - {name: size, type: string, default: s}\n"
	      "variables:\n"
	      "  region: eu\n"
	      "steps:\n"
	      "  - name: a\n"
	      "    type: shell\n"
	      "    config: {command: [echo, \"${workflow.region}\", \"${workflow.size}\"]}\n",
	      "wf.yaml:8:30: warning: step \"a\": config.command[1]: workflow.region is the "
	      "original's spelling of a workflow variable; read as variables.region (write "
	      "that)");
	warns("parameters:\n"
	      "  - {name: size, type: string, default: s}\n"
	      "steps:\n"
	      "  - name: a\n"
	      "    type: shell\n"
	      "    config: {command: [echo, \"${workflow.size}\"]}\n",
	      "workflow.size is the original's spelling of a parameter; read as "
	      "parameters.size (write that)");
	refused("steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "    config: {command: [echo, \"${workflow.region}\"]}\n",
	        NULL, "wf.yaml:4:30: error: step \"a\": config.command[1]: references "
	        "workflow.region, but workflow.* holds only name and provider, and no "
	        "variable or parameter \"region\" is declared");
	warns("steps:\n"
	      "  - {name: build, type: shell}\n"
	      "  - name: b\n"
	      "    type: shell\n"
	      "    depends_on: [build]\n"
	      "    config: {command: [echo, \"${build.url}\"]}\n",
	      "wf.yaml:6:30: warning: step \"b\": config.command[1]: build.url is the "
	      "original's spelling of a step output; read as steps.build.outputs.url "
	      "(write that)");
	/* mapped, then checked as ours: the step must run first */
	refused("steps:\n"
	        "  - name: b\n"
	        "    type: shell\n"
	        "    config: {command: [echo, \"${build.url}\"]}\n"
	        "  - {name: build, type: shell}\n",
	        NULL, "step \"b\": config.command[1]: references build.url, but step \"build\" "
	        "does not run before it");
}

/* A step's declared outputs are what later steps may read of it; a step
 * has nothing but outputs. */
static void
test_workflow_declared_outputs(void **state)
{
	(void)state;
	refused("steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "    outputs: {url: \"the url\"}\n"
	        "  - name: b\n"
	        "    type: shell\n"
	        "    depends_on: [a]\n"
	        "    config: {command: [echo, \"${steps.a.outputs.uri}\"]}\n",
	        NULL, "wf.yaml:8:30: error: step \"b\": config.command[1]: references "
	        "steps.a.outputs.uri, but step \"a\" declares its outputs and \"uri\" is not "
	        "one of them");
	refused("steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "  - name: b\n"
	        "    type: shell\n"
	        "    depends_on: [a]\n"
	        "    config: {command: [echo, \"${steps.a.url}\"]}\n",
	        NULL, "references steps.a.url, but a step has only outputs (write "
	        "steps.a.outputs.<name>)");
	clean("steps:\n"
	      "  - name: a\n"
	      "    type: shell\n"
	      "    outputs: [url]\n"
	      "  - name: b\n"
	      "    type: shell\n"
	      "    depends_on: [a]\n"
	      "    config: {command: [echo, \"${steps.a.outputs.url}\", \"${steps.a.outputs}\"]}\n");
}

/* resources.R and app come from the run's Score spec: checked once the run
 * is planned, each at its file:line:col. */
static void
test_workflow_spec_refs(void **state)
{
	inn_workflow *wf;
	inn_diag d;
	json_object *data = json_tokener_parse(
		"{\"resources\": {\"db\": {\"name\": \"db\", \"type\": \"sqlite\"}},"
		" \"app\": {\"name\": \"shop\"}}");
	char buf[1024];

	(void)state;
	wf = loads("steps:\n"
	           "  - name: a\n"
	           "    type: shell\n"
	           "    config: {command: [echo, \"${resources.db.dsn}\", \"${resources.dbb.dsn}\","
	           " \"${app.name}\"]}\n");
	inn_diag_init(&d);
	assert_int_equal(inn_workflow_check_spec_refs(wf, data, &d), 1);
	inn_diag_format(&d, 0, buf, sizeof(buf));
	assert_string_equal(buf, "wf.yaml:4:53: error: step \"a\": config.command[2]: references "
	                    "resources.dbb.dsn, but the Score spec has no resource of that name "
	                    "(it has: db)");
	inn_diag_free(&d);
	inn_diag_init(&d);
	assert_int_equal(inn_workflow_check_spec_refs(wf, NULL, &d), 3);
	EXPECT_DIAG(&d, "references resources.db.dsn, but this run has no resources (they "
	            "come from a Score spec)");
	EXPECT_DIAG(&d, "references app.name, but this run has no application (app comes "
	            "from a Score spec)");
	inn_diag_free(&d);
	json_object_put(data);
	inn_workflow_free(wf);
}

static void
test_workflow_step_refs(void **state)
{
	(void)state;
	refused("steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "    config:\n"
	        "      script: echo ${steps.zz.outputs.x}\n",
	        NULL, "wf.yaml:5:15: error: step \"a\": config.script: references "
	        "steps.zz.outputs.x, but there is no step \"zz\"");
	refused("steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "    config:\n"
	        "      script: echo ${steps.a.outputs.x}\n",
	        NULL, "wf.yaml:5:15: error: step \"a\": config.script: references its own "
	        "outputs (steps.a.outputs.x)");
	refused("steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "outputs:\n"
	        "  x: \"{{ .steps.b.outputs.x }}\"\n",
	        NULL, "wf.yaml:5:6: error: outputs.x: references steps.b.outputs.x, but there "
	        "is no step \"b\"");
	/* A62: a later step, or a parallel sibling, has no outputs yet when the
	 * step runs: every real run failed "steps.b is not defined" */
	refused("steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "    config:\n"
	        "      script: echo ${steps.b.outputs.x}\n"
	        "  - name: b\n"
	        "    type: shell\n",
	        NULL, "wf.yaml:5:15: error: step \"a\": config.script: references "
	        "steps.b.outputs.x, but step \"b\" does not run before it");
	refused("steps:\n"
	        "  - {name: a, type: shell, parallel: true}\n"
	        "  - name: b\n"
	        "    type: shell\n"
	        "    parallel: true\n"
	        "    config:\n"
	        "      script: echo {{ .steps.a.outputs.x }}\n",
	        NULL, "wf.yaml:7:15: error: step \"b\": config.script: references "
	        "steps.a.outputs.x, but step \"a\" does not run before it");
	/* depends_on replaces the implicit order: b does not wait for a */
	refused("steps:\n"
	        "  - {name: a, type: shell}\n"
	        "  - {name: c, type: shell, depends_on: []}\n"
	        "  - name: b\n"
	        "    type: shell\n"
	        "    depends_on: [c]\n"
	        "    config: {script: \"echo ${steps.a.outputs.x}\"}\n"
	        "  - {name: d, type: shell, depends_on: []}\n",
	        NULL, "but step \"a\" does not run before it");
	/* variables render before any step */
	refused("variables:\n"
	        "  V: \"${steps.a.outputs.x}\"\n"
	        "steps:\n"
	        "  - {name: a, type: shell}\n",
	        NULL, "wf.yaml:2:6: error: variables.V: references steps.a.outputs.x, but "
	        "parameters and variables render before any step runs");
	/* the implicit order counts: an earlier step, through a parallel group
	 * and a chain, is an ancestor */
	clean("steps:\n"
	      "  - {name: a, type: shell}\n"
	      "  - {name: p1, type: shell, parallel: true}\n"
	      "  - {name: p2, type: shell, parallel: true}\n"
	      "  - name: b\n"
	      "    type: shell\n"
	      "    config: {script: \"echo ${steps.a.outputs.x} "
	      "${steps.p1.outputs.x} ${steps.p2.outputs.y}\"}\n");
	/* ... unless it is a dependency */
	clean("steps:\n"
	      "  - name: a\n"
	      "    type: shell\n"
	      "    depends_on: b\n"
	      "    config:\n"
	      "      script: echo ${steps.b.outputs.x}\n"
	      "  - name: b\n"
	      "    type: shell\n");
}

static void
test_workflow_template_syntax(void **state)
{
	(void)state;
	refused("steps:\n"
	        "  - name: a\n"
	        "    type: shell\n"
	        "    config:\n"
	        "      script: \"{{ if .parameters.x }}unterminated\"\n",
	        NULL, "wf.yaml:5:15: error: step \"a\": config.script: template error: ");
}

static void
test_workflow_parameter_defaults(void **state)
{
	(void)state;
	refused("parameters:\n"
	        "  - name: n\n"
	        "    type: integer\n"
	        "    default: lots\n"
	        "steps:\n  - name: a\n    type: shell\n",
	        NULL, "wf.yaml:4:14: error: parameters[0].default: \"lots\" is not an integer "
	        "(parameter \"n\" is of type integer)");
	refused("parameters:\n"
	        "  - name: b\n"
	        "    type: boolean\n"
	        "    default: 3\n"
	        "steps:\n  - name: a\n    type: shell\n",
	        NULL, "wf.yaml:4:14: error: parameters[0].default: 3 is not a boolean");
	refused("parameters:\n"
	        "  - name: s\n"
	        "    enum: [a, b]\n"
	        "    default: c\n"
	        "steps:\n  - name: a\n    type: shell\n",
	        NULL, "wf.yaml:4:14: error: parameters[0].default: \"c\" is not one of the "
	        "allowed values [\"a\",\"b\"]");
	refused("parameters:\n"
	        "  - name: s\n"
	        "    pattern: '^[a-z]+$'\n"
	        "    default: ABC\n"
	        "steps:\n  - name: a\n    type: shell\n",
	        NULL, "wf.yaml:4:14: error: parameters[0].default: \"ABC\" does not match the "
	        "pattern ^[a-z]+$");
	refused("parameters:\n"
	        "  - name: s\n"
	        "    type: colour\n"
	        "steps:\n  - name: a\n    type: shell\n",
	        NULL, "wf.yaml:3:11: error: parameters[0].type: unknown type \"colour\"");
	refused("parameters:\n"
	        "  - name: s\n"
	        "  - name: s\n"
	        "steps:\n  - name: a\n    type: shell\n",
	        NULL, "wf.yaml:3:5: error: parameters[1]: duplicate parameter \"s\" (lines 2 "
	        "and 3)");
}

static void
test_param_check(void **state)
{
	inn_param p;
	char why[256];

	(void)state;
	memset(&p, 0, sizeof(p));
	p.type = (char *)"number";
	assert_int_equal(tu_param_check_str(&p, "8080", why, sizeof(why)), 0);
	assert_int_equal(tu_param_check_str(&p, "{{ .parameters.port }}", why, sizeof(why)), 0);
	p.type = (char *)"duration";
	assert_int_equal(tu_param_check_str(&p, "1h30m", why, sizeof(why)), 0);
	assert_int_equal(tu_param_check_str(&p, "soon", why, sizeof(why)), -1);
	assert_string_equal(why, "\"soon\" is not a duration");
}

/* --- policy and registry gates ------------------------------------------- */

struct gate {
	char *dir, *conf;
	inn_policy *pol;
	inn_registry *reg;
};

/* A policy allowing the step types allowed (and at most max_steps), and
 * with_registry a plugin folder holding the shell plugin; ctx gets both. */
static void
gate_setup(struct gate *g, inn_load_ctx *ctx, const char *allowed, int max_steps,
           int with_registry)
{
	char text[512];
	const char *so = getenv("INN_SHELL_SO");

	memset(g, 0, sizeof(*g));
	assert_non_null(g->dir = tu_mkdtemp("loaders-gate"));
	snprintf(text, sizeof(text),
	         "workflowPolicies:\n"
	         "  maxStepsPerWorkflow: %d\n"
	         "  allowedStepTypes: [%s]\n", max_steps, allowed);
	g->conf = write_in(g->dir, "admin-config.yaml", text);
	assert_int_equal(inn_policy_load(&g->pol, g->conf, 0), 0);
	if (with_registry) {
		char plugins[4096];

		if (so == NULL || !tu_exists(so))
			fail_msg("INN_SHELL_SO not set or missing (%s)", so ? so : "unset");
		snprintf(plugins, sizeof(plugins), "%s/plugins", g->dir);
		assert_int_equal(mkdir(plugins, 0755), 0);
		assert_int_equal(chmod(plugins, 0755), 0);
		assert_int_equal(tu_copy(so, plugins, "shell.so", 0755), 0);
		if (inn_registry_load(&g->reg, plugins, g->pol, inn_host_table()) != 0)
			fail_msg("registry: %s", inn_error_last());
		assert_non_null(inn_registry_find(g->reg, "shell"));
	}
	ctx->policy = g->pol;
	ctx->registry = g->reg;
}

static void
gate_teardown(struct gate *g)
{
	inn_registry_free(g->reg);
	inn_policy_free(g->pol);
	tu_rmrf_free(g->dir);
	free(g->conf);
}

/* refused(), the expected message being head, path, tail run together
 * (path: the gate's config file or plugin directory). */
static void
refused_at(const char *text, const inn_load_ctx *ctx, const char *head, const char *path,
           const char *tail)
{
	char want[4096];

	snprintf(want, sizeof(want), "%s%s%s", head, path, tail);
	refused(text, ctx, want);
}

static void
test_workflow_max_steps(void **state)
{
	struct gate g;
	inn_load_ctx ctx;

	(void)state;
	gate_setup(&g, &ctx, "shell", 2, 0);
	refused_at("steps:\n"
	           "  - {name: a, type: shell}\n"
	           "  - {name: b, type: shell}\n"
	           "  - {name: c, type: shell}\n",
	           &ctx, "wf.yaml:2:3: error: steps: 3 steps exceed "
	           "workflowPolicies.maxStepsPerWorkflow (2, ", g.conf, ")");
	gate_teardown(&g);
}

static void
test_workflow_type_not_allowed(void **state)
{
	struct gate g;
	inn_load_ctx ctx;

	(void)state;
	gate_setup(&g, &ctx, "shell", 0, 0);
	refused_at("steps:\n"
	           "  - name: a\n"
	           "    type: shell\n"
	           "  - name: b\n"
	           "    type: terraform\n",
	           &ctx, "wf.yaml:5:11: error: step \"b\": type \"terraform\" is "
	           "not in workflowPolicies.allowedStepTypes (", g.conf, ":3)");
	/* the allow-list sees the type as written: policy is not shell */
	refused_at("steps:\n  - name: a\n    type: policy\n", &ctx,
	           "wf.yaml:3:11: error: step \"a\": type \"policy\" is "
	           "not in workflowPolicies.allowedStepTypes (", g.conf, ":3)");
	gate_teardown(&g);
}

static void
test_workflow_registry_and_validate(void **state)
{
	struct gate g;
	inn_load_ctx ctx;
	inn_workflow *wf = NULL;
	inn_diag d;

	(void)state;
	gate_setup(&g, &ctx, "shell, policy, kubernetes", 0, 1);
	/* U11: the plugins by their step types, never the server's directory */
	refused("steps:\n  - name: k\n    type: kubernetes\n", &ctx,
	        "wf.yaml:3:11: error: step \"k\": no plugin provides "
	        "step type \"kubernetes\" (the step types loaded: shell)");
	/* the plugin's validate() sees the unrendered config */
	refused("steps:\n"
	        "  - name: s\n"
	        "    type: policy\n"
	        "    config:\n"
	        "      script: echo hi\n"
	        "      colour: blue\n",
	        &ctx, "wf.yaml:5:7: error: step \"s\": shell plugin refused the config: "
	        "config: unknown field \"colour\"");
	/* and accepts a good one, templates and all */
	LOADED(load_text("parameters:\n"
	                 "  - name: who\n"
	                 "steps:\n"
	                 "  - name: s\n"
	                 "    type: policy\n"
	                 "    config:\n"
	                 "      script: echo {{ .parameters.who }}\n",
	                 &ctx, &wf, &d), &d);
	inn_workflow_free(wf);
	inn_diag_free(&d);
	gate_teardown(&g);
}

/* --- providers ------------------------------------------------------------- */

/* The provider folder data(rel), which must load without any diagnostic. */
static inn_provider *
provider_ok(const char *rel)
{
	inn_provider *p = NULL;
	inn_diag d;

	inn_diag_init(&d);
	LOADED(inn_provider_load_dir(&p, data(rel), NULL, &d), &d);
	assert_int_equal(d.n, 0);
	inn_diag_free(&d);
	return p;
}

static void
test_provider_simple_form(void **state)
{
	inn_provider *p = provider_ok("providers/simple-team");
	const inn_workflow *wf;

	(void)state;
	assert_string_equal(p->name, "simple-team");
	assert_string_equal(p->version, "0.1.0");
	assert_string_equal(p->owner, "platform");
	assert_int_equal(p->nworkflows, 2);
	/* alphabetical: deploy.yml (named by its file), hello.yaml */
	assert_string_equal(p->workflows[0]->name, "deploy");
	assert_non_null(wf = inn_provider_workflow(p, "hello"));
	assert_string_equal(wf->provider, "simple-team");
	assert_int_equal(p->ncaps, 2);
	assert_string_equal(p->caps[0].create, "hello");
	assert_string_equal(p->caps[1].alias_for, "greeting");
	assert_non_null(strstr(p->file, "simple-team/provider.yaml"));
	inn_provider_free(p);
}

static void
test_provider_original_form(void **state)
{
	inn_provider *p = provider_ok("providers/orig-team");
	const inn_workflow *wf;

	(void)state;
	assert_string_equal(p->name, "orig-team");
	assert_string_equal(p->category, "data");
	assert_int_equal(p->nworkflows, 2);
	assert_non_null(wf = inn_provider_workflow(p, "create-db"));
	assert_string_equal(wf->operation, "create");
	assert_string_equal(wf->category, "provisioner");
	assert_string_equal(inn_provider_workflow(p, "delete-db")->operation, "delete");
	/* db, database (alias) and the legacy-only cache */
	assert_int_equal(p->ncaps, 3);
	assert_string_equal(p->caps[0].del, "delete-db");
	assert_string_equal(p->caps[2].type, "cache");
	assert_string_equal(p->caps[2].create, "create-db");
	inn_provider_free(p);
}

static void
provider_refused(const char *dir, const char *needle)
{
	inn_provider *p = NULL;
	inn_diag d;

	inn_diag_init(&d);
	assert_int_not_equal(inn_provider_load_dir(&p, dir, NULL, &d), 0);
	assert_null(p);
	EXPECT_DIAG(&d, needle);
	inn_diag_free(&d);
}

static const char one_step[] = "steps:\n  - name: a\n    type: shell\n";

static void
test_provider_path_escape(void **state)
{
	char *root = tu_mkdtemp("loaders-escape"), *dir, *f, want[10240], real[4096];

	(void)state;
	assert_non_null(root);
	f = write_in(root, "outside.yaml", one_step);
	free(f);
	dir = malloc(strlen(root) + 8);
	snprintf(dir, strlen(root) + 8, "%s/prov", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_non_null(realpath(root, real));

	f = write_in(dir, "provider.yaml",
	             "kind: Provider\n"
	             "metadata:\n"
	             "  name: p\n"
	             "workflows:\n"
	             "  - name: w\n"
	             "    file: ../outside.yaml\n");
	free(f);
	snprintf(want, sizeof(want), "provider.yaml:6:11: error: workflows[0].file: "
	         "\"../outside.yaml\" resolves to %s/outside.yaml, outside the folder %s/prov",
	         real, real);
	provider_refused(dir, want);

	f = write_in(dir, "provider.yaml",
	             "kind: Provider\n"
	             "metadata: {name: p}\n"
	             "workflows:\n"
	             "  - name: w\n"
	             "    file: /etc/passwd\n");
	free(f);
	provider_refused(dir, "provider.yaml:5:11: error: workflows[0].file: \"/etc/passwd\" "
	                 "is an absolute path");

	/* a symlink inside the folder that points out of it */
	f = malloc(strlen(dir) + 16);
	snprintf(f, strlen(dir) + 16, "%s/link.yaml", dir);
	assert_int_equal(symlink("../outside.yaml", f), 0);
	free(f);
	f = write_in(dir, "provider.yaml",
	             "kind: Provider\n"
	             "metadata: {name: p}\n"
	             "workflows:\n"
	             "  - name: w\n"
	             "    file: link.yaml\n");
	free(f);
	snprintf(want, sizeof(want), "workflows[0].file: \"link.yaml\" resolves to "
	         "%s/outside.yaml, outside the folder", real);
	provider_refused(dir, want);

	/* simple form: workflows_dir pointing out */
	f = write_in(dir, "provider.yaml", "name: p\nworkflows_dir: ..\n");
	free(f);
	provider_refused(dir, "provider.yaml:2:16: error: workflows_dir: \"..\" resolves to");

	tu_rmrf_free(root);
	free(dir);
}

static void
test_provider_bad_capabilities(void **state)
{
	char *dir = tu_mkdtemp("loaders-caps"), *f;

	(void)state;
	assert_non_null(dir);
	f = write_in(dir, "w.yaml", one_step);
	free(f);
	f = write_in(dir, "provider.yaml",
	             "kind: Provider\n"
	             "metadata: {name: p}\n"
	             "capabilities:\n"
	             "  resourceTypeCapabilities:\n"
	             "    - type: t\n"
	             "      operations:\n"
	             "        create: {workflow: missing}\n"
	             "        destroy: {workflow: w}\n"
	             "    - type: u\n"
	             "      aliasFor: nothing\n"
	             "workflows:\n"
	             "  - {name: w, file: w.yaml, operation: create}\n");
	free(f);
	provider_refused(dir, "provider.yaml:7:28: error: capabilities.resourceTypeCapabilities"
	                 "[0].operations.create: workflow \"missing\" is not a workflow of "
	                 "provider \"p\"");
	provider_refused(dir, "provider.yaml:8:9: error: capabilities.resourceTypeCapabilities"
	                 "[0].operations: unknown operation \"destroy\"");
	provider_refused(dir, "provider.yaml:9:13: error: capabilities: type \"u\" is an alias "
	                 "for \"nothing\", which provider \"p\" does not declare");
	f = write_in(dir, "provider.yaml",
	             "kind: Provider\n"
	             "metadata: {name: p}\n"
	             "workflows:\n"
	             "  - {name: w, file: w.yaml, operation: destroy}\n");
	free(f);
	provider_refused(dir, "provider.yaml:4:40: error: workflows[0].operation: unknown "
	                 "operation \"destroy\"");
	f = write_in(dir, "provider.yaml", "kind: Plugin\nmetadata: {name: p}\n");
	free(f);
	provider_refused(dir, "provider.yaml:1:7: error: kind: expected Provider, not Plugin");
	f = write_in(dir, "provider.yaml", "description: nameless\n");
	free(f);
	provider_refused(dir, "provider.yaml:1:1: error: missing required field \"name\"");
	tu_rmrf_free(dir);
}

/* --- catalog ------------------------------------------------------------------ */

static void
test_catalog_and_goldenpaths(void **state)
{
	const char *dirs[1];
	inn_catalog *c = NULL;
	const inn_provider *owner = NULL;
	const inn_resource_cap *cap;
	const inn_goldenpath *g;
	char gp[4096];
	inn_diag d;

	(void)state;
	inn_diag_init(&d);
	dirs[0] = strdup(data("providers"));
	snprintf(gp, sizeof(gp), "%s", data("goldenpaths/goldenpaths.yaml"));
	LOADED(inn_catalog_load(&c, dirs, 1, gp, NULL, &d), &d);
	assert_int_equal(d.n, 0);
	assert_int_equal(c->nproviders, 2);
	assert_non_null(inn_catalog_provider(c, "orig-team"));
	cap = inn_catalog_resource(c, "database", &owner);
	assert_non_null(cap);
	assert_string_equal(cap->type, "db");
	assert_string_equal(owner->name, "orig-team");
	cap = inn_catalog_resource(c, "salute", &owner);
	assert_string_equal(cap->create, "hello");
	assert_null(inn_catalog_resource(c, "nothing", &owner));
	assert_null(owner);
	assert_non_null(inn_catalog_workflow(c, "simple-team/hello"));
	assert_null(inn_catalog_workflow(c, "simple-team/nope"));
	assert_int_equal(c->ngoldenpaths, 2);
	assert_non_null(g = inn_catalog_goldenpath(c, "onboard"));
	assert_string_equal(g->estimated_duration, "1-2 minutes");
	assert_int_equal(g->ntags, 2);
	assert_int_equal(g->nparams, 2);
	assert_string_equal(g->params[1].name, "tier");
	assert_true(g->owns_workflow);
	assert_string_equal(g->workflow->name, "onboard");
	assert_ptr_equal(inn_catalog_workflow(c, "onboard"), g->workflow);
	g = inn_catalog_goldenpath(c, "new-db");
	assert_ptr_equal(g->workflow, inn_catalog_workflow(c, "orig-team/create-db"));
	assert_false(g->owns_workflow);
	inn_catalog_free(c);
	inn_diag_free(&d);
	free((char *)dirs[0]);
}

static void
test_catalog_type_claimed_twice(void **state)
{
	char *root = tu_mkdtemp("loaders-clash"), *f, *p1, *p2;
	const char *dirs[1];
	inn_catalog *c = NULL;
	inn_diag d;
	char want[8192];

	(void)state;
	assert_non_null(root);
	p1 = malloc(strlen(root) + 4);
	p2 = malloc(strlen(root) + 4);
	snprintf(p1, strlen(root) + 4, "%s/a", root);
	snprintf(p2, strlen(root) + 4, "%s/b", root);
	assert_int_equal(mkdir(p1, 0755), 0);
	assert_int_equal(mkdir(p2, 0755), 0);
	f = write_in(p1, "provider.yaml",
	             "name: first\n"
	             "capabilities:\n"
	             "  resourceTypes: [queue]\n");
	free(f);
	f = write_in(p2, "provider.yaml",
	             "name: second\n"
	             "capabilities:\n"
	             "  resourceTypeCapabilities:\n"
	             "    - type: mq\n"
	             "    - type: queue\n"
	             "      aliasFor: mq\n");
	free(f);
	dirs[0] = root;
	inn_diag_init(&d);
	assert_int_equal(inn_catalog_load(&c, dirs, 1, NULL, NULL, &d), INN_EINVAL);
	snprintf(want, sizeof(want), "%s/provider.yaml:5:13: error: resource type \"queue\" "
	         "is claimed by two providers: \"first\" (%s/provider.yaml:3) and \"second\" "
	         "(%s/provider.yaml:5)", p2, p1, p2);
	EXPECT_DIAG(&d, want);
	assert_int_equal(c->nproviders, 1); /* the second is left out */
	inn_catalog_free(c);
	inn_diag_free(&d);

	/* the same provider name twice */
	f = write_in(p2, "provider.yaml", "name: first\n");
	free(f);
	inn_diag_init(&d);
	assert_int_equal(inn_catalog_load(&c, dirs, 1, NULL, NULL, &d), INN_EINVAL);
	EXPECT_DIAG(&d, "error: provider \"first\" is already loaded from");
	inn_catalog_free(c);
	inn_diag_free(&d);
	tu_rmrf_free(root);
	free(p1);
	free(p2);
}

static void
test_goldenpaths_broken(void **state)
{
	char *root = tu_mkdtemp("loaders-gp"), *f, want[10240], real[4096];
	inn_catalog *c = NULL;
	inn_diag d;

	(void)state;
	assert_non_null(root);
	/* goldenpaths.yaml in root/gp; root/elsewhere.yaml is outside it */
	free(write_in(root, "elsewhere.yaml", one_step));
	snprintf(want, sizeof(want), "%s/gp", root);
	assert_int_equal(mkdir(want, 0755), 0);
	assert_non_null(realpath(want, real));
	/* entirely commented out: an empty catalogue */
	f = write_in(real, "goldenpaths.yaml", "# goldenpaths:\n#   x:\n#     workflow: a\n");
	inn_diag_init(&d);
	assert_int_equal(inn_catalog_load(&c, NULL, 0, f, NULL, &d), 0);
	assert_int_equal(c->ngoldenpaths, 0);
	inn_catalog_free(c);
	inn_diag_free(&d);
	free(f);

	f = write_in(real, "goldenpaths.yaml",
	             "goldenpaths:\n"
	             "  esc:\n"
	             "    workflow: ../elsewhere.yaml\n"
	             "  ref:\n"
	             "    workflow: nobody/nothing\n"
	             "  bare:\n"
	             "    workflow: plain\n"
	             "  nowf:\n"
	             "    description: no workflow\n"
	             "  badparam:\n"
	             "    workflow: nobody/x\n"
	             "    parameters:\n"
	             "      n: {type: int, default: many}\n");
	inn_diag_init(&d);
	assert_int_equal(inn_catalog_load(&c, NULL, 0, f, NULL, &d), INN_EINVAL);
	snprintf(want, sizeof(want), "goldenpaths.yaml:3:15: error: goldenpaths.esc.workflow: "
	         "\"../elsewhere.yaml\" resolves to %.*s/elsewhere.yaml, outside the folder %s",
	         (int)(strlen(real) - 3), real, real);
	EXPECT_DIAG(&d, want);
	EXPECT_DIAG(&d, "goldenpaths.yaml:5:15: error: goldenpaths.ref.workflow: no provider "
	            "workflow \"nobody/nothing\" in the catalog");
	EXPECT_DIAG(&d, "goldenpaths.yaml:7:15: error: goldenpaths.bare.workflow: \"plain\" is "
	            "neither a file (./name.yaml) nor provider/workflow");
	EXPECT_DIAG(&d, "goldenpaths.yaml:9:5: error: goldenpaths.nowf: missing required field "
	            "\"workflow\"");
	EXPECT_DIAG(&d, "goldenpaths.yaml:13:31: error: goldenpaths.badparam.parameters.n."
	            "default: \"many\" is not an integer");
	assert_int_equal(c->ngoldenpaths, 0);
	inn_catalog_free(c);
	inn_diag_free(&d);
	free(f);
	tu_rmrf_free(root);
}

/* --- Score ----------------------------------------------------------------------- */

static void
test_score_valid(void **state)
{
	inn_score *s = NULL;
	inn_diag d;
	json_object *spec;

	(void)state;
	inn_diag_init(&d);
	LOADED(inn_score_load_file(&s, data("score/app.yaml"), &d), &d);
	assert_int_equal(d.n, 0);
	assert_string_equal(s->app, "shop");
	assert_int_equal(s->nresources, 2);
	assert_string_equal(s->resources[0].name, "db");
	assert_string_equal(s->resources[0].type, "postgres");
	assert_string_equal(s->resources[0].klass, "small");
	assert_int_equal(s->resources[0].line, 11);
	/* properties and params merge; params win */
	assert_string_equal(json_object_get_string(
		json_object_object_get(s->resources[0].params, "size")), "small");
	assert_string_equal(json_object_get_string(
		json_object_object_get(s->resources[0].params, "version")), "15");
	assert_int_equal(json_object_object_length(s->resources[1].params), 0);
	assert_non_null(json_object_object_get(s->containers, "main"));
	inn_score_free(s);
	inn_diag_free(&d);

	/* the API path: JSON, no positions */
	spec = json_tokener_parse("{\"apiVersion\":\"score.dev/v1b1\",\"metadata\":{\"name\":"
	                          "\"a\"},\"containers\":{\"c\":{\"image\":\"x\"}},"
	                          "\"resources\":{\"r\":{\"class\":\"big\"}}}");
	inn_diag_init(&d);
	assert_int_equal(inn_score_from_json(&s, "request", spec, &d), INN_EINVAL);
	EXPECT_DIAG(&d, "request: error: resources.r: missing required field \"type\"");
	json_object_put(spec);
	inn_diag_free(&d);
}

static void
score_refused(const char *text, const char *needle)
{
	inn_score *s = NULL;
	inn_diag d;

	inn_diag_init(&d);
	assert_int_not_equal(inn_score_load_string(&s, "score.yaml", text, strlen(text), &d),
	                     0);
	assert_null(s);
	EXPECT_DIAG(&d, needle);
	inn_diag_free(&d);
}

/* A45: an API spec's alias bomb stops at INN_SPEC_MAX_NODES, files keep
 * the 1M budget; a long name names the length limit (A17) */
static void
test_score_node_budget(void **state)
{
	char y[2048], name[200];
	inn_score *s = NULL;
	inn_diag d;
	int i, o;

	(void)state;
	o = snprintf(y, sizeof(y), "apiVersion: score.dev/v1b1\nmetadata: {name: a}\n"
	             "containers:\n  web:\n"
	             "    image: x\n    a0: &l0 [a,a,a,a,a,a,a,a,a,a]\n");
	for (i = 1; i <= 5; i++)
		o += snprintf(y + o, sizeof(y) - (size_t)o, "    a%d: &l%d [*l%d,*l%d,*l%d,*l%d,"
		              "*l%d,*l%d,*l%d,*l%d,*l%d,*l%d]\n", i, i, i - 1, i - 1, i - 1, i - 1,
		              i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	/* 10^6 + ... nodes: over the API's budget, within the files' one */
	inn_diag_init(&d);
	assert_int_not_equal(inn_score_load_string_max(&s, "spec", y, strlen(y),
	                                               INN_SPEC_MAX_NODES, &d), 0);
	assert_null(s);
	assert_true(inn_diag_find(&d, "expands to more than 100000 nodes", NULL, 0) >= 0);
	inn_diag_free(&d);
	inn_diag_init(&d);
	snprintf(y, sizeof(y), "apiVersion: score.dev/v1b1\nmetadata: {name: a}\n"
	             "containers:\n  web:\n"
	             "    image: x\n    a0: &l0 [a,a,a,a,a,a,a,a,a,a]\n"
	             "    a1: &l1 [*l0,*l0,*l0,*l0,*l0,*l0,*l0,*l0,*l0,*l0]\n");
	assert_int_equal(inn_score_load_string_max(&s, "spec", y, strlen(y),
	                                           INN_SPEC_MAX_NODES, &d), 0);
	assert_non_null(s);
	inn_score_free(s);
	inn_diag_free(&d);

	memset(name, 'n', 129);
	name[129] = '\0';
	snprintf(y, sizeof(y), "apiVersion: score.dev/v1b1\nmetadata: {name: %s}\n"
	         "containers: {}\n", name);
	score_refused(y, "is 129 characters long; a name has at most 128");
}

static void
test_score_broken(void **state)
{
	(void)state;
	score_refused("apiVersion: score.dev/v2\n"
	              "metadata: {name: a}\n"
	              "containers: {c: {image: x}}\n",
	              "score.yaml:1:13: error: apiVersion: unsupported \"score.dev/v2\" (this "
	              "server reads score.dev/v1b1)");
	score_refused("apiVersion: score.dev/v1b1\n"
	              "metadata:\n"
	              "  labels: {}\n"
	              "containers: {c: {image: x}}\n",
	              "score.yaml:3:3: error: metadata: missing required field \"name\"");
	score_refused("apiVersion: score.dev/v1b1\n"
	              "metadata: {name: a}\n"
	              "containers: {c: {image: x}}\n"
	              "resources:\n"
	              "  db:\n"
	              "    class: large\n",
	              "score.yaml:6:5: error: resources.db: missing required field \"type\"");
	score_refused("apiVersion: score.dev/v1b1\n"
	              "metadata: {name: a}\n"
	              "containers: {c: {image: x}}\n"
	              "resources:\n"
	              "  db: [postgres]\n",
	              "score.yaml:5:7: error: resources.db: must be a mapping, not a list");
	score_refused("apiVersion: score.dev/v1b1\n"
	              "metadata: {name: a}\n",
	              "score.yaml:1:1: error: missing required field \"containers\"");
	score_refused("metadata: {name: a}\ncontainers: {}\n",
	              "score.yaml:1:1: error: missing required field \"apiVersion\"");
	score_refused("", "score.yaml: error: a Score spec must be a mapping, not an empty "
	              "document");
}

/* --- hardening: big inputs, extra documents, limits (IN-8, IN-9, IN-11,
 * IN-17, IN-18, IJ-3) --------------------------------------------------------- */

/* A mapping of n keys "k000000: 0" ... one per line, then extra. */
static char *
big_map(size_t n, const char *extra)
{
	size_t cap = n * 16 + strlen(extra) + 1, used = 0, i;
	char *s = malloc(cap);

	assert_non_null(s);
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(s + used, cap - used, "k%06zu: %zu\n", i, i);
	snprintf(s + used, cap - used, "%s", extra);
	return s;
}

static void
test_yaml_big_map_duplicates(void **state)
{
	inn_ydoc *doc = NULL;
	const inn_ynode *v;
	char *text;

	(void)state;
	/* 150 000 keys: every one found, absent ones not, positions kept */
	text = big_map(150000, "");
	assert_int_equal(inn_yaml_load_string(&doc, "big.yaml", text, strlen(text)), 0);
	assert_int_equal(INN_YMAP_LEN(doc->root), 150000);
	assert_non_null(v = inn_ymap_get(doc->root, "k123456"));
	assert_string_equal(v->value, "123456");
	assert_non_null(v = inn_ymap_get(doc->root, "k000000"));
	assert_string_equal(v->value, "0");
	assert_non_null(v = inn_ymap_get(doc->root, "k149999"));
	assert_string_equal(v->value, "149999");
	assert_int_equal(inn_ymap_key(doc->root, "k100000")->line, 100001);
	assert_null(inn_ymap_get(doc->root, "k150000"));
	assert_null(inn_ymap_get(doc->root, "k"));
	assert_null(inn_ymap_get(doc->root, ""));
	inn_ydoc_free(doc);
	free(text);

	/* the repeat met first in file order is reported, with the line of
	 * the key's first occurrence */
	text = big_map(150000, "k000005: again\nk000003: again\nk000005: thrice\n");
	assert_int_equal(inn_yaml_load_string(&doc, "big.yaml", text, strlen(text)),
	                 INN_EINVAL);
	assert_null(doc);
	assert_string_equal(inn_error_last(),
	                    "big.yaml:150001:1: duplicate key \"k000005\" (first at line 6)");
	free(text);
	text = big_map(150000, "k149999: x\nk000000: y\n");
	assert_int_equal(inn_yaml_load_string(&doc, "big.yaml", text, strlen(text)),
	                 INN_EINVAL);
	assert_string_equal(inn_error_last(),
	                    "big.yaml:150001:1: duplicate key \"k149999\" (first at line 150000)");
	free(text);
	/* a non-scalar key before any repeat is that error; after one, the repeat */
	text = big_map(20, "? [x]\n: 1\nk000001: y\n");
	assert_int_equal(inn_yaml_load_string(&doc, "m.yaml", text, strlen(text)), INN_EINVAL);
	assert_string_equal(inn_error_last(), "m.yaml:21:3: mapping keys must be scalars");
	free(text);
	text = big_map(20, "k000001: y\n? [x]\n: 1\n");
	assert_int_equal(inn_yaml_load_string(&doc, "m.yaml", text, strlen(text)), INN_EINVAL);
	assert_string_equal(inn_error_last(),
	                    "m.yaml:21:1: duplicate key \"k000001\" (first at line 2)");
	free(text);
	/* small maps: the same semantics */
	assert_int_equal(inn_yaml_load_string(&doc, "s.yaml", "a: 1\nb: 2\nb: 3\na: 4\n", 20),
	                 INN_EINVAL);
	assert_string_equal(inn_error_last(), "s.yaml:3:1: duplicate key \"b\" (first at line 2)");
	/* anchors: the latest definition of a name wins */
	text = strdup("a: &x 1\nb: &x 2\nc: *x\n");
	assert_int_equal(inn_yaml_load_string(&doc, "al.yaml", text, strlen(text)), 0);
	assert_string_equal(inn_ymap_get(doc->root, "c")->value, "2");
	inn_ydoc_free(doc);
	free(text);
}

/* Many parameters: a repeat is reported naming both lines, the first
 * declaration is kept, references resolve. */
static void
test_workflow_many_parameters(void **state)
{
	size_t n = 20000, cap = n * 64 + 4096, used = 0, i;
	char *text = malloc(cap);
	inn_workflow *wf = NULL;
	inn_diag d;

	(void)state;
	assert_non_null(text);
	used += (size_t)snprintf(text + used, cap - used, "name: many\nparameters:\n");
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, cap - used,
		                         "  - {name: p%05zu, default: v%zu}\n", i, i);
	used += (size_t)snprintf(text + used, cap - used,
	                         "steps:\n  - name: a\n    type: shell\n    config:\n"
	                         "      script: echo {{ .parameters.p19999 }} "
	                         "${parameters.p00000} {{ .parameters.p12345 }}\n");
	assert_int_equal(load_text(text, NULL, &wf, &d), 0);
	assert_int_equal(wf->nparams, n);
	assert_string_equal(wf->params[12345].name, "p12345");
	assert_string_equal(wf->params[n - 1].name, "p19999");
	inn_workflow_free(wf);
	inn_diag_free(&d);
	/* an undeclared reference among many declared ones */
	snprintf(text + used, cap - used, "      env: {X: \"${parameters.p20000}\"}\n");
	refused(text, NULL, "references parameters.p20000, which is not declared");
	/* two repeats of p00007 and one of p19998: each reported, first kept */
	used = 0;
	used += (size_t)snprintf(text + used, cap - used, "name: many\nparameters:\n");
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, cap - used,
		                         "  - {name: p%05zu, default: v%zu}\n", i, i);
	snprintf(text + used, cap - used, "  - {name: p00007}\n  - {name: p19998}\n"
	         "  - {name: p00007}\nsteps:\n  - name: a\n    type: shell\n");
	assert_int_not_equal(load_text(text, NULL, &wf, &d), 0);
	EXPECT_DIAG(&d, "wf.yaml:20003:5: error: parameters[20000]: duplicate parameter "
	            "\"p00007\" (lines 10 and 20003)");
	EXPECT_DIAG(&d, "wf.yaml:20004:5: error: parameters[20001]: duplicate parameter "
	            "\"p19998\" (lines 20001 and 20004)");
	EXPECT_DIAG(&d, "wf.yaml:20005:5: error: parameters[20002]: duplicate parameter "
	            "\"p00007\" (lines 10 and 20005)");
	assert_int_equal(d.nerrors, 3);
	inn_diag_free(&d);
	free(text);
}

/* A provider with many resource types: a repeat is reported, the rest load. */
static void
test_provider_many_types(void **state)
{
	char *dir = tu_mkdtemp("loaders-many"), *f, *text;
	size_t n = 20000, cap = n * 64 + 1024, used = 0, i;
	inn_provider *p = NULL;
	inn_diag d;

	(void)state;
	assert_non_null(dir);
	assert_non_null(text = malloc(cap));
	f = write_in(dir, "w.yaml", "name: w\nsteps:\n  - name: a\n    type: shell\n");
	free(f);
	used += (size_t)snprintf(text + used, cap - used,
	                         "kind: Provider\nmetadata: {name: p}\n"
	                         "workflows:\n  - {name: w, file: w.yaml, operation: create}\n"
	                         "capabilities:\n  resourceTypeCapabilities:\n");
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, cap - used,
		                         "    - {type: t%05zu, operations: {create: w}}\n", i);
	used += (size_t)snprintf(text + used, cap - used, "  resourceTypes:\n");
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, cap - used, "    - r%05zu\n", i);
	f = write_in(dir, "provider.yaml", text);
	free(f);
	inn_diag_init(&d);
	assert_int_equal(inn_provider_load_dir(&p, dir, NULL, &d), 0);
	assert_int_equal(p->ncaps, 2 * n);
	assert_string_equal(p->caps[n + 5].type, "r00005");
	assert_string_equal(p->caps[n + 5].create, "w");
	inn_provider_free(p);
	inn_diag_free(&d);
	snprintf(text + used, cap - used, "    - t00004\n"); /* declared above: no entry */
	f = write_in(dir, "provider.yaml", text);
	free(f);
	inn_diag_init(&d);
	assert_int_equal(inn_provider_load_dir(&p, dir, NULL, &d), 0);
	assert_int_equal(p->ncaps, 2 * n);
	inn_provider_free(p);
	inn_diag_free(&d);
	snprintf(text + used, cap - used, "    - r1\n");
	memcpy(strstr(text, "type: t00009"), "type: t00003", 12);
	f = write_in(dir, "provider.yaml", text);
	free(f);
	provider_refused(dir, "provider.yaml:16:14: error: capabilities: resource type "
	                 "\"t00003\" is declared twice (lines 10 and 16)");
	free(text);
	tu_rmrf_free(dir);
}

/* IN-18: what follows the first document is named, not silently dropped. */
static void
test_second_document_warns(void **state)
{
	char *dir = tu_mkdtemp("loaders-docs"), *f;
	inn_workflow *wf = NULL;
	inn_provider *p = NULL;
	inn_score *s = NULL;
	inn_diag d;

	(void)state;
	assert_non_null(dir);
	/* a malformed second document is not read: a warning, the first loads */
	assert_int_equal(load_text("name: m1\nsteps:\n  - {name: a, type: shell}\n---\n"
	                           "name: m2\nsteps: {evil: [}\n", NULL, &wf, &d), 0);
	assert_string_equal(wf->name, "m1");
	EXPECT_DIAG(&d, "wf.yaml:4: warning: a second YAML document is ignored");
	assert_int_equal(d.nerrors, 0);
	inn_workflow_free(wf);
	inn_diag_free(&d);
	/* after an explicit end marker too; a lone first document warns nothing */
	assert_int_equal(load_text("name: m1\nsteps:\n  - {name: a, type: shell}\n...\n"
	                           "---\nname: m2\n", NULL, &wf, &d), 0);
	EXPECT_DIAG(&d, "wf.yaml:5: warning: a second YAML document is ignored");
	inn_workflow_free(wf);
	inn_diag_free(&d);
	/* but text where a document start must be is malformed YAML: an error */
	refused("name: m1\nsteps:\n  - {name: a, type: shell}\n...\nname: m2\n", NULL,
	        "wf.yaml:5:1: error: did not find expected <document start>");
	clean("---\nname: m1\nsteps:\n  - {name: a, type: shell}\n...\n");
	/* text the first document cannot end with stays an error */
	refused("[1, 2] x\n", NULL, "wf.yaml:1:8: error: ");

	assert_int_equal(mkdir(tu_path(dir, "w"), 0755), 0);
	f = write_in(dir, "w/w.yaml", "name: w\nsteps:\n  - {name: a, type: shell}\n---\nx: 1\n");
	free(f);
	f = write_in(dir, "provider.yaml", "name: p\nworkflows_dir: w\n---\nname: q\n");
	free(f);
	inn_diag_init(&d);
	assert_int_equal(inn_provider_load_dir(&p, dir, NULL, &d), 0);
	assert_true(inn_diag_find(&d, "/provider.yaml:3: warning: a second YAML document is "
	                          "ignored", NULL, 0) >= 0);
	assert_true(inn_diag_find(&d, "/w.yaml:4: warning: a second YAML document is ignored",
	                          NULL, 0) >= 0);
	inn_provider_free(p);
	inn_diag_free(&d);

	inn_diag_init(&d);
	assert_int_equal(inn_score_load_string(&s, "score.yaml",
	                                       "apiVersion: score.dev/v1b1\nmetadata: {name: a}\n"
	                                       "containers: {c: {image: x}}\n---\n"
	                                       "metadata: {name: b}\n", 85, &d), 0);
	EXPECT_DIAG(&d, "score.yaml:4: warning: a second YAML document is ignored");
	inn_score_free(s);
	inn_diag_free(&d);
	tu_rmrf_free(dir);
}

/* head, then n copies of fill, then tail, into text (which holds n + 256). */
static const char *
big_text(char *text, const char *head, char fill, size_t n, const char *tail)
{
	char *p = text + snprintf(text, 192, "%s", head);

	memset(p, fill, n);
	snprintf(p + n, 64, "%s", tail);
	return text;
}

/* IN-11: a run refuses a template over INN_TMPL_MAX_LEN (1 MiB): so does
 * validation, at the field's file:line:col, with or without template
 * syntax; strings a run does not render (parameter defaults) are not
 * limited. */
static void
test_template_length_checked_at_load(void **state)
{
	static const char *const script = "name: big\nsteps:\n  - name: a\n    type: shell\n"
	                                  "    config:\n      script: \"";
	size_t big = (1u << 20) + 1;
	char *text = malloc(big + 256);
	inn_workflow *wf = NULL;
	inn_diag d;

	(void)state;
	assert_non_null(text);
	refused(big_text(text, script, 'x', big, "\"\n"), NULL, "wf.yaml:6:15: error: step "
	        "\"a\": config.script: template error: template longer than 1048576 bytes");
	/* env, variables and outputs are rendered as well */
	refused(big_text(text, "name: big\nsteps:\n  - name: a\n    type: shell\n"
	                 "    env:\n      BIG: \"", 'x', big, "\"\n"),
	        NULL, "wf.yaml:6:12: error: step \"a\": env.BIG: template error: "
	        "template longer than 1048576 bytes");
	refused(big_text(text, "name: big\nsteps:\n  - name: a\n    type: shell\n"
	                 "outputs:\n  o: \"", 'y', big, "\"\n"),
	        NULL, "wf.yaml:6:6: error: outputs.o: template error: template longer "
	        "than 1048576 bytes");
	/* exactly the limit is fine; a default is a value, under the value
	 * size limit (INN_PARAM_VALUE_MAX) */
	assert_int_equal(load_text(big_text(text, script, 'x', big - 1, "\"\n"), NULL, &wf, &d),
	                 0);
	inn_workflow_free(wf);
	inn_diag_free(&d);
	refused(big_text(text, "name: big\nparameters:\n  - name: d\n    default: \"", 'x', big,
	                 "\"\nsteps:\n  - name: a\n    type: shell\n"),
	        NULL, "wf.yaml:4:14: error: parameters[0].default: a value is 1048577 bytes, "
	        "more than the limit of 126976 bytes");
	free(text);
}

/* IN-17: `list` (the README's word) is `array`; the message names both. */
static void
test_parameter_type_list(void **state)
{
	inn_workflow *wf = NULL;
	inn_diag d;
	char why[256];

	(void)state;
	assert_int_equal(load_text("name: l\nparameters:\n"
	                           "  - {name: hosts, type: list, default: [a, b]}\n"
	                           "steps:\n  - name: a\n    type: shell\n", NULL, &wf, &d), 0);
	assert_string_equal(wf->params[0].type, "array");
	assert_int_equal(tu_param_check_str(&wf->params[0], "a", why, sizeof(why)), -1);
	inn_workflow_free(wf);
	inn_diag_free(&d);
	refused("name: l\nparameters:\n  - {name: hosts, type: list, default: a}\n"
	        "steps:\n  - name: a\n    type: shell\n",
	        NULL, "wf.yaml:3:40: error: parameters[0].default: \"a\" is not a list");
	refused("parameters:\n  - name: s\n    type: colour\n"
	        "steps:\n  - name: a\n    type: shell\n",
	        NULL, "wf.yaml:3:11: error: parameters[0].type: unknown type \"colour\" (known: "
	        "string, number or float, integer or int, boolean or bool, map, object, array "
	        "or list, enum, duration, secret)");
}

/* IN-14: integers past 64 bits stay errors (never saturated, and never
 * converted to long long, which is undefined behaviour). */
static void
test_integer_out_of_range(void **state)
{
	inn_param p = { 0 };
	json_object *v;
	char why[256];

	(void)state;
	refused("parameters:\n  - {name: n, type: integer, default: 99999999999999999999999}\n"
	        "steps:\n  - name: a\n    type: shell\n",
	        NULL, "wf.yaml:2:39: error: parameters[0].default: 9.9999999999999992e+22 is out "
	        "of the 64-bit integer range");
	refused("parameters:\n  - {name: n, type: integer, default: -1e300}\n"
	        "steps:\n  - name: a\n    type: shell\n",
	        NULL, "is out of the 64-bit integer range");
	refused("parameters:\n  - {name: n, type: integer, default: 1.5}\n"
	        "steps:\n  - name: a\n    type: shell\n",
	        NULL, "parameters[0].default: 1.5 is not an integer");
	p.name = (char *)"n";
	p.type = (char *)"integer";
	assert_int_equal(tu_param_check_str(&p, "9223372036854775807", why, sizeof(why)), 0);
	assert_int_equal(tu_param_check_str(&p, "9223372036854775808", why, sizeof(why)), -1);
	assert_string_equal(why, "\"9223372036854775808\" is out of the 64-bit integer range");
	assert_int_equal(tu_param_check_str(&p, "-99999999999999999999", why, sizeof(why)), -1);
	assert_string_equal(why, "\"-99999999999999999999\" is out of the 64-bit integer range");
	v = json_object_new_double(9223372036854775808.0);
	assert_int_equal(inn_param_check(&p, v, why, sizeof(why)), -1);
	json_object_put(v);
	v = json_object_new_double(4.0);
	assert_int_equal(inn_param_check(&p, v, why, sizeof(why)), 0);
	json_object_put(v);
}

/* A8: a secret parameter's default that does not fit its pattern or its
 * allowed values is refused without quoting the default (or the allowed
 * values, secrets too). */
static void
test_secret_default_not_quoted(void **state)
{
	static const char *const yaml[] = {
		"parameters:\n  - {name: pw, type: secret, default: DefaultSecretXyz99, "
		"pattern: '^[0-9]+$'}\nsteps:\n  - name: a\n    type: shell\n",
		"parameters:\n  - {name: pw, type: secret, default: DefaultSecretXyz99, "
		"allowed_values: [AllowedSecretXyz98]}\nsteps:\n  - name: a\n    type: shell\n",
	};
	static const char *const want[] = {
		"parameters[0].default: its (secret) value does not match the pattern ^[0-9]+$",
		"parameters[0].default: its (secret) value is not one of the allowed values",
	};
	char buf[4096];
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		inn_workflow *wf = NULL;
		inn_diag d;

		assert_int_not_equal(load_text(yaml[i], NULL, &wf, &d), 0);
		assert_null(wf);
		inn_diag_format(&d, 0, buf, sizeof(buf));
		if (strstr(buf, want[i]) == NULL || strstr(buf, "SecretXyz9") != NULL)
			fail_msg("got: %s", buf);
		inn_diag_free(&d);
	}
}

/* IJ-3: a value in a here-document with a quoted delimiter cannot be
 * expanded by the shell: validation says so (other quoting is handled
 * when rendering, see test_tmpl.c). */
static void
test_shell_quoted_heredoc_warns(void **state)
{
	inn_workflow *wf = NULL;
	inn_diag d;

	(void)state;
	assert_int_equal(load_text("name: h\nparameters: [{name: msg}]\nsteps:\n"
	                           "  - name: a\n    type: shell\n    config:\n"
	                           "      script: |\n"
	                           "        echo '{{ .parameters.msg }}'\n"
	                           "        cat <<EOF\n        {{ .parameters.msg }}\n        EOF\n"
	                           "        cat <<'EOF'\n        ${parameters.msg}\n        EOF\n",
	                           NULL, &wf, &d), 0);
	EXPECT_DIAG(&d, "wf.yaml:7:15: warning: step \"a\": config.script: ${parameters.msg} "
	            "is inside a here-document with a quoted delimiter");
	assert_int_equal(d.n, 1);
	inn_workflow_free(wf);
	inn_diag_free(&d);
}

/* The loader resolves the step graph once (inn_step_def.dep_idx) and the
 * executor follows it: depends_on exactly, else the implicit order through
 * parallel groups; an implicit edge that would close a cycle with a forward
 * depends_on is left out. */
static void
expect_deps(const inn_workflow *wf, size_t i, size_t n, const size_t *want)
{
	size_t j;

	assert_int_equal(wf->steps[i].ndep_idx, n);
	for (j = 0; j < n; j++)
		assert_int_equal(wf->steps[i].dep_idx[j], want[j]);
}

static void
test_step_graph_resolved(void **state)
{
	static const size_t first[] = { 0 }, group[] = { 2, 1 }, last[] = { 2 };
	inn_workflow *wf;

	(void)state;
	wf = loads("steps:\n"
	           "  - {name: a, type: shell}\n"
	           "  - {name: b, type: shell, parallel: true}\n"
	           "  - {name: c, type: shell, parallel: true}\n"
	           "  - {name: d, type: shell}\n"
	           "  - {name: e, type: shell, depends_on: [a]}\n"
	           "  - {name: f, type: shell, depends_on: []}\n");
	expect_deps(wf, 0, 0, NULL);
	expect_deps(wf, 1, 1, first);
	expect_deps(wf, 2, 1, first);
	expect_deps(wf, 3, 2, group);
	expect_deps(wf, 4, 1, first);
	expect_deps(wf, 5, 0, NULL);
	inn_workflow_free(wf);

	/* x waits for z (forward); y waits for x; z would wait for y, which
	 * waits for z through x: left out */
	wf = loads("steps:\n"
	           "  - {name: x, type: shell, depends_on: [z]}\n"
	           "  - {name: y, type: shell}\n"
	           "  - {name: z, type: shell}\n");
	expect_deps(wf, 0, 1, last);
	expect_deps(wf, 1, 1, first);
	expect_deps(wf, 2, 0, NULL);
	inn_workflow_free(wf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diag_format_and_cap),
		cmocka_unit_test(test_diag_print),
		cmocka_unit_test(test_workflow_full),
		cmocka_unit_test(test_workflow_spec_form),
		cmocka_unit_test(test_workflow_unknown_dependency),
		cmocka_unit_test(test_workflow_duplicate_steps),
		cmocka_unit_test(test_workflow_cycle),
		cmocka_unit_test(test_workflow_unknown_key_warns),
		cmocka_unit_test(test_workflow_wrong_kinds),
		cmocka_unit_test(test_workflow_parameter_refs),
		cmocka_unit_test(test_workflow_step_refs),
		cmocka_unit_test(test_workflow_unknown_refs),
		cmocka_unit_test(test_workflow_original_spellings),
		cmocka_unit_test(test_workflow_declared_outputs),
		cmocka_unit_test(test_workflow_spec_refs),
		cmocka_unit_test(test_score_node_budget),
		cmocka_unit_test(test_workflow_template_syntax),
		cmocka_unit_test(test_workflow_parameter_defaults),
		cmocka_unit_test(test_param_check),
		cmocka_unit_test(test_secret_default_not_quoted),
		cmocka_unit_test(test_workflow_max_steps),
		cmocka_unit_test(test_workflow_type_not_allowed),
		cmocka_unit_test(test_workflow_registry_and_validate),
		cmocka_unit_test(test_provider_simple_form),
		cmocka_unit_test(test_provider_original_form),
		cmocka_unit_test(test_provider_path_escape),
		cmocka_unit_test(test_provider_bad_capabilities),
		cmocka_unit_test(test_catalog_and_goldenpaths),
		cmocka_unit_test(test_catalog_type_claimed_twice),
		cmocka_unit_test(test_goldenpaths_broken),
		cmocka_unit_test(test_score_valid),
		cmocka_unit_test(test_score_broken),
		cmocka_unit_test(test_yaml_big_map_duplicates),
		cmocka_unit_test(test_workflow_many_parameters),
		cmocka_unit_test(test_provider_many_types),
		cmocka_unit_test(test_second_document_warns),
		cmocka_unit_test(test_template_length_checked_at_load),
		cmocka_unit_test(test_parameter_type_list),
		cmocka_unit_test(test_shell_quoted_heredoc_warns),
		cmocka_unit_test(test_integer_out_of_range),
		cmocka_unit_test(test_step_graph_resolved),
	};
	const char *top = getenv("INN_TOP_SRCDIR");

	snprintf(data_dir, sizeof(data_dir), "%s/tests/data", top ? top : ".");
	return cmocka_run_group_tests_name("loaders", tests, NULL, NULL);
}
