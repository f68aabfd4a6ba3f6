/*
 * test_terraform.c - terraform.so end to end through the real executor and
 * worker processes, driving the real terraform binary offline (built-in
 * terraform_data resources): apply and outputs into later steps, no-op
 * re-apply, plan, destroy, secret outputs, per-resource state, inline
 * modules and workspaces, backend config, cancellation and timeout
 * mid-apply, dry-run, offline init failure, path escapes and config
 * validation.  Skips when terraform is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "exec.h"
#include "host.h"
#include "model.h"
#include "testutil.h"

/* The start of a one-step workflow "tf" of type terraform; its config
 * lines follow. */
#define TF_STEP "name: tf\nsteps:\n  - name: tf\n    type: terraform\n    config:\n"

#define APP "shop"
#define ENVIRONMENT "test"

static tu_fx F;
/* This file's folders besides the fixture's. */
static struct {
	char *state;      /* the engine's state root */
	char data[4096];  /* tests/data/terraform in the source tree */
} T;

/* snprintf that fails the test instead of truncating. */
static void INN_PRINTF_LIKE(3, 4)
fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		fail_msg("a test buffer of %zu bytes is too small", len);
}

/* Non-zero if the collected log contains s (thread-safe). */
static int
log_has(const char *s)
{
	int has;

	pthread_mutex_lock(&F.lock);
	has = strstr(F.log, s) != NULL;
	pthread_mutex_unlock(&F.lock);
	return has;
}

static int
setup(void **state)
{
	static const char *const plugins[] = { "terraform", "shell", "noop", NULL };
	const char *src = getenv("INN_TOP_SRCDIR");
	tu_engine_opts eo = { "tf-plugins", plugins, 2, 3000, NULL };

	(void)state;
	memset(&T, 0, sizeof(T));
	T.state = tu_mkdtemp("tf-state");
	fmt(T.data, sizeof(T.data), "%s/tests/data/terraform", src ? src : "..");
	eo.state_root = T.state;
	tu_fx_setup(&F, &eo, "tf-work");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tu_fx_teardown(&F);
	tu_rmrf_free(T.state);
	return 0;
}

/* Loads a workflow; with diag_out, a refused one returns NULL and the
 * diagnostics are in diag_out, else a refused one fails the test. */
static inn_workflow *
load(const char *yaml, char *diag_out, size_t diag_len)
{
	return tu_load_wf(F.pol, F.reg, yaml, diag_out, diag_len);
}

/* The provider folder of the workflows run (NULL: T.data). */
static const char *tf_base;

static int
prepare(tu_result *r, const char *yaml, const char *resource, int dry_run)
{
	inn_run_opts ro;

	memset(&ro, 0, sizeof(ro));
	ro.dry_run = dry_run;
	ro.app = APP;
	ro.resource = resource;
	ro.environment = ENVIRONMENT;
	/* the test modules play the provider folder: an absolute working_dir
	 * must lie inside it (IJ-9) */
	return tu_fx_prepare(&F, r, yaml, tf_base != NULL ? tf_base : T.data, &ro);
}

static tu_result
run_wf(const char *yaml, const char *resource, int dry_run)
{
	tu_result r;

	if (prepare(&r, yaml, resource, dry_run) != 0)
		fail_msg("run_new: %s", inn_error_last());
	r.rc = inn_run_execute(r.run);
	return r;
}

/* Prints the log when a run did not end as expected. */
static void
expect_state(const tu_result *r, const char *name, inn_state want)
{
	const inn_step_result *s = tu_step(r->run, name);

	if (s->state != want) {
		print_message("# step %s: %s (%s), wanted %s; log:\n%s", name,
		              inn_state_name(s->state), s->message ? s->message : "",
		              inn_state_name(want), F.log);
		fail();
	}
}

/* A one-step workflow running module dir (a path) with an operation and a
 * flow-style variables object (NULL: none). */
static const char *
tf_yaml(const char *dir, const char *op, const char *vars)
{
	static char yaml[4096];

	fmt(yaml, sizeof(yaml),
	         TF_STEP
	         "      working_dir: %s\n      operation: %s\n%s%s%s",
	         dir, op, vars ? "      variables: " : "", vars ? vars : "",
	         vars ? "\n" : "");
	return yaml;
}

static const char *
data_dir(const char *name)
{
	static char buf[4096];

	fmt(buf, sizeof(buf), "%s/%s", T.data, name);
	return buf;
}

/* The one working copy of a resource (static buffer), or NULL. */
static const char *
working_copy(const char *resource)
{
	static char buf[4096];
	char dir[4096];
	struct dirent *e;
	DIR *d;
	int found = 0;

	fmt(dir, sizeof(dir), "%s/%s/%s/%s/terraform", T.state, APP, resource,
	         ENVIRONMENT);
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		fmt(buf, sizeof(buf), "%s/%s", dir, e->d_name);
		found++;
	}
	closedir(d);
	if (found != 1) {
		print_message("# %d working copies in %s\n", found, dir);
		return NULL;
	}
	return buf;
}

/* Resources recorded in a terraform state file; -1 if it cannot be read,
 * 0 if it does not exist. */
static int
state_resources(const char *wc, const char *rel)
{
	char path[4096];
	json_object *st, *res;
	int n = -1;

	fmt(path, sizeof(path), "%s/%s", wc, rel);
	if (!tu_exists(path))
		return 0;
	if ((st = json_object_from_file(path)) == NULL)
		return -1;
	if (json_object_object_get_ex(st, "resources", &res))
		n = (int)json_object_array_length(res);
	json_object_put(st);
	return n;
}

static int
file_equals(const char *path, const char *want)
{
	char buf[4096];
	FILE *fp = fopen(path, "r");
	size_t n;

	if (fp == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	if (strcmp(buf, want) != 0) {
		print_message("# %s holds \"%s\", wanted \"%s\"\n", path, buf, want);
		return 0;
	}
	return 1;
}

static void
test_apply_outputs_reach_a_later_step(void **state)
{
	tu_result r;
	char yaml[4096];
	const char *wc;

	(void)state;
	fmt(yaml, sizeof(yaml),
	         TF_STEP
	         "      working_dir: %s\n"
	         "      variables: {name: alpha, nodes: 5, labels: {team: core}}\n"
	         "  - name: use\n    type: shell\n    config:\n      script: |\n"
	         "        printf '%%s' \"${steps.tf.outputs.token}\" > %s/token\n"
	         "        echo \"token is ${steps.tf.outputs.token}\"\n"
	         "        echo \"seen=${steps.tf.outputs.cluster_name}/${steps.tf.outputs.tag}\""
	         " >> \"$INNOMINATUS_OUTPUT\"\n"
	         "outputs:\n  token: \"${steps.tf.outputs.token}\"\n",
	         data_dir("basic"), F.work);
	r = run_wf(yaml, "web", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	expect_state(&r, "use", INN_STATE_SUCCEEDED);
	assert_int_equal(r.rc, 0);
	/* typed outputs: strings as is, numbers and objects as compact JSON */
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "cluster_name"), "alpha");
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "nodes"), "5");
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "info"),
	                    "{\"bucket\":\"alpha-bucket\",\"ready\":true,\"zones\":[\"a\",\"b\"]}");
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "tag"), "tag-alpha");
	assert_string_equal(tu_out(tu_step(r.run, "use"), "seen"), "alpha/tag-alpha");
	TU_ASSERT_CONTAINS(F.log, "Apply complete! Resources: 2 added");
	/* the sensitive output is secret: masked everywhere, real for the step */
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "token"), "***");
	assert_string_equal(json_object_get_string(json_object_object_get(
	                    inn_run_outputs(r.run), "token")), "***");
	TU_ASSERT_CONTAINS(F.log, "token is ***");
	assert_null(strstr(F.log, "tok3n-alpha-5ecret"));
	assert_true(file_equals(tu_path(F.work, "token"), "tok3n-alpha-5ecret"));
	/* the state lives in the resource's working copy; no variable file
	 * or plan is left behind */
	assert_non_null(wc = working_copy("web"));
	assert_int_equal(state_resources(wc, "terraform.tfstate"), 2);
	assert_true(tu_exists(tu_path(wc, "modules/tag/main.tf")));
	assert_false(tu_exists(tu_path(wc, "innominatus.auto.tfvars.json")));
	assert_false(tu_exists(tu_path(wc, "innominatus.tfplan")));
	tu_result_free(&r);
}

static void
test_reapply_is_a_noop_and_plan_reports_changes(void **state)
{
	const char *vars = "{name: gamma, labels: {team: db}}";
	tu_result r;

	(void)state;
	r = run_wf(tf_yaml(data_dir("basic"), "apply", vars), "noop", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	tu_result_free(&r);

	/* the same apply again changes nothing and skips init */
	r = run_wf(tf_yaml(data_dir("basic"), "apply", vars), "noop", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	TU_ASSERT_CONTAINS(F.log, "No changes.");
	TU_ASSERT_CONTAINS(F.log, "Resources: 0 added, 0 changed, 0 destroyed");
	assert_null(strstr(F.log, "$ terraform init"));
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "cluster_name"), "gamma");
	tu_result_free(&r);

	r = run_wf(tf_yaml(data_dir("basic"), "plan", vars), "noop", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "changes"), "false");
	tu_result_free(&r);

	/* a changed variable: plan sees it, and planning changed nothing */
	r = run_wf(tf_yaml(data_dir("basic"), "plan", "{name: delta}"), "noop", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "changes"), "true");
	tu_result_free(&r);
	r = run_wf(tf_yaml(data_dir("basic"), "output", NULL), "noop", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "cluster_name"), "gamma");
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "token"), "***");
	tu_result_free(&r);
}

static void
test_destroy_removes_the_resources(void **state)
{
	tu_result r;
	const char *wc;

	(void)state;
	r = run_wf(tf_yaml(data_dir("basic"), "apply", "{name: doomed}"), "gone", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	tu_result_free(&r);
	assert_non_null(wc = working_copy("gone"));
	assert_int_equal(state_resources(wc, "terraform.tfstate"), 2);

	r = run_wf(tf_yaml(data_dir("basic"), "destroy", "{name: doomed}"), "gone", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	TU_ASSERT_CONTAINS(F.log, "Destroy complete! Resources: 2 destroyed.");
	assert_null(tu_step(r.run, "tf")->outputs == NULL ? NULL :
	            tu_out(tu_step(r.run, "tf"), "cluster_name"));
	tu_result_free(&r);
	assert_non_null(wc = working_copy("gone"));
	assert_int_equal(state_resources(wc, "terraform.tfstate"), 0);
}

static void
test_two_resources_do_not_share_state(void **state)
{
	tu_result r;
	char wca[4096], wcb[4096];

	(void)state;
	r = run_wf(tf_yaml(data_dir("basic"), "apply", "{name: aaa}"), "db-a", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "cluster_name"), "aaa");
	tu_result_free(&r);
	r = run_wf(tf_yaml(data_dir("basic"), "apply", "{name: bbb}"), "db-b", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	/* B started from nothing: it created its own resources */
	TU_ASSERT_CONTAINS(F.log, "Resources: 2 added, 0 changed, 0 destroyed");
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "cluster_name"), "bbb");
	tu_result_free(&r);
	fmt(wca, sizeof(wca), "%s", working_copy("db-a"));
	fmt(wcb, sizeof(wcb), "%s", working_copy("db-b"));
	assert_string_not_equal(wca, wcb);

	r = run_wf(tf_yaml(data_dir("basic"), "destroy", "{name: aaa}"), "db-a", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	tu_result_free(&r);
	assert_int_equal(state_resources(wca, "terraform.tfstate"), 0);
	assert_int_equal(state_resources(wcb, "terraform.tfstate"), 2);
	r = run_wf(tf_yaml(data_dir("basic"), "output", NULL), "db-b", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "cluster_name"), "bbb");
	tu_result_free(&r);
}

/* The config lines of the inline module's second form: one file, the
 * same state and workspace. */
#define ONE_FILE \
	"      state_key: inline-demo\n      workspace: staging\n" \
	"      module: |\n" \
	"        resource \"terraform_data\" \"d\" { input = 8 }\n" \
	"        output \"ws\" { value = terraform.workspace }\n"

static void
test_inline_module_workspace_env_and_outputs(void **state)
{
	tu_result r;
	const char *wc;
	char yaml[4096];

	(void)state;
	/* an inline module of two files in a workspace; config.env reaches
	 * terraform (TF_VAR_size); only the listed outputs are published */
	fmt(yaml, sizeof(yaml),
	         TF_STEP
	         "      state_key: inline-demo\n      workspace: staging\n"
	         "      env: {TF_VAR_size: 7}\n      outputs: [size]\n"
	         "      module:\n"
	         "        main.tf: |\n"
	         "          variable \"size\" { type = number }\n"
	         "          resource \"terraform_data\" \"d\" { input = var.size }\n"
	         "        outputs.tf: |\n"
	         "          output \"size\" { value = terraform_data.d.output }\n"
	         "          output \"ws\" { value = terraform.workspace }\n");
	r = run_wf(yaml, "inline", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "size"), "7");
	assert_null(tu_out(tu_step(r.run, "tf"), "ws"));
	tu_result_free(&r);
	assert_non_null(wc = working_copy("inline"));
	TU_ASSERT_CONTAINS(wc, "-staging");
	assert_int_equal(state_resources(wc, "terraform.tfstate.d/staging/terraform.tfstate"),
	                 1);
	assert_true(tu_exists(tu_path(wc, "outputs.tf")));

	/* the module changes (one file now): the same state (state_key) is
	 * updated in place and the dropped file leaves the working copy */
	fmt(yaml, sizeof(yaml), TF_STEP "      outputs: [ws]\n" ONE_FILE);
	r = run_wf(yaml, "inline", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "ws"), "staging");
	TU_ASSERT_CONTAINS(F.log, "0 added, 1 changed, 0 destroyed");
	tu_result_free(&r);
	assert_non_null(wc = working_copy("inline"));
	assert_false(tu_exists(tu_path(wc, "outputs.tf")));
	assert_true(tu_exists(tu_path(wc, "main.tf")));

	/* asking for an output the module does not have fails clearly */
	fmt(yaml, sizeof(yaml),
	    TF_STEP "      operation: output\n      outputs: [nope]\n" ONE_FILE);
	r = run_wf(yaml, "inline", 0);
	expect_state(&r, "tf", INN_STATE_FAILED);
	TU_ASSERT_CONTAINS(F.log, "config.outputs: terraform has no output \"nope\" (it "
	                   "has: ws)");
	tu_result_free(&r);
}

static void
test_backend_config_reaches_init(void **state)
{
	tu_result r;
	const char *wc;
	char yaml[4096];

	(void)state;
	fmt(yaml, sizeof(yaml),
	    TF_STEP
	    "      backend_config: {path: kept/custom-state-file.tfstate}\n"
	    "      module: |\n"
	    "        terraform {\n          backend \"local\" {}\n        }\n"
	    "        resource \"terraform_data\" \"d\" { input = 1 }\n");
	r = run_wf(yaml, "backend", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	/* the value is masked in the log like a secret */
	assert_null(strstr(F.log, "custom-state-file"));
	tu_result_free(&r);
	assert_non_null(wc = working_copy("backend"));
	assert_int_equal(state_resources(wc, "kept/custom-state-file.tfstate"), 1);
	assert_false(tu_exists(tu_path(wc, "terraform.tfstate")));
}

/* Non-zero while a process runs with its working folder under T.state. */
static int
process_under_state_root(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char link[64], target[PATH_MAX];
	size_t n = strlen(T.state);
	int found = 0;

	if (d == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		ssize_t len;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		fmt(link, sizeof(link), "/proc/%s/cwd", e->d_name);
		if ((len = readlink(link, target, sizeof(target) - 1)) <= 0)
			continue;
		target[len] = '\0';
		if (strncmp(target, T.state, n) == 0) {
			print_message("# process %s still runs in %s\n", e->d_name, target);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct canceller {
	inn_run *run;
	int64_t at;       /* when it cancelled */
};

/* Cancels the run once terraform is inside the sleeping provisioner. */
static void *
cancel_mid_apply(void *arg)
{
	struct canceller *c = arg;
	int i;

	for (i = 0; i < 600 && !log_has("Provisioning with 'local-exec'"); i++)
		usleep(50 * 1000);
	usleep(300 * 1000);
	c->at = now_ms();
	inn_run_cancel(c->run);
	return NULL;
}

static void
test_cancel_during_apply_kills_terraform(void **state)
{
	tu_result r;
	struct canceller c;
	pthread_t t;
	char mod[4096], src[4096];
	int64_t ended;
	int i;

	(void)state;
	fmt(mod, sizeof(mod), "%s/slow-module", F.work);
	assert_int_equal(mkdir(mod, 0755), 0);
	fmt(src, sizeof(src), "%s/main.tf", data_dir("slow"));
	assert_int_equal(tu_copy(src, mod, "main.tf", 0644), 0);
	tf_base = F.work; /* the module copy lives there */

	assert_int_equal(prepare(&r, tf_yaml(mod, "apply", NULL), "slow", 0), 0);
	c.run = r.run;
	c.at = 0;
	pthread_create(&t, NULL, cancel_mid_apply, &c);
	r.rc = inn_run_execute(r.run);
	ended = now_ms();
	pthread_join(t, NULL);
	assert_int_not_equal(r.rc, 0);
	assert_int_equal(inn_run_state(r.run), INN_STATE_CANCELLED);
	expect_state(&r, "tf", INN_STATE_CANCELLED);
	TU_ASSERT_CONTAINS(F.log, "Provisioning with 'local-exec'");
	if (ended - c.at > 5000)
		fail_msg("the run took %lld ms to end after the cancel",
		         (long long)(ended - c.at));
	/* terraform and its provisioner are gone */
	for (i = 0; i < 20 && process_under_state_root(); i++)
		usleep(100 * 1000);
	assert_false(process_under_state_root());
	tu_result_free(&r);

	/* config.timeout ends terraform the same way */
	fmt(src, sizeof(src), "%s      timeout: 1500ms\n", tf_yaml(mod, "apply", NULL));
	r = run_wf(src, "slow", 0);
	expect_state(&r, "tf", INN_STATE_TIMED_OUT);
	TU_ASSERT_CONTAINS(F.log, "terraform apply timed out: config.timeout (1s500ms) "
	                   "passed");
	for (i = 0; i < 20 && process_under_state_root(); i++)
		usleep(100 * 1000);
	assert_false(process_under_state_root());
	tu_result_free(&r);

	/* the state is still usable: the quick version of the module applies */
	fmt(src, sizeof(src), "%s/main.tf", data_dir("quick"));
	assert_int_equal(tu_copy(src, mod, "main.tf", 0644), 0);
	r = run_wf(tf_yaml(mod, "apply", NULL), "slow", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	assert_non_null(tu_out(tu_step(r.run, "tf"), "id"));
	tu_result_free(&r);
	assert_int_equal(state_resources(working_copy("slow"), "terraform.tfstate"), 1);
	tf_base = NULL;
}

static void
test_dry_run_only_plans(void **state)
{
	tu_result r;
	const char *wc;
	char yaml[4096];

	(void)state;
	fmt(yaml, sizeof(yaml), "%s"
	         "  - name: after\n    type: noop\n", tf_yaml(data_dir("basic"), "apply",
	                                                     "{name: dry}"));
	r = run_wf(yaml, "dry", 1);
	assert_int_equal(r.rc, 0);
	expect_state(&r, "tf", INN_STATE_WOULD_RUN);
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "changes"), "true");
	assert_null(tu_out(tu_step(r.run, "tf"), "cluster_name"));
	TU_ASSERT_CONTAINS(F.log, "dry-run: planning instead of apply");
	TU_ASSERT_CONTAINS(F.log, "$ terraform plan");
	assert_null(strstr(F.log, "$ terraform apply"));
	tu_result_free(&r);
	assert_non_null(wc = working_copy("dry"));
	assert_int_equal(state_resources(wc, "terraform.tfstate"), 0);

	/* a dry-run destroy plans the destroy and destroys nothing */
	r = run_wf(tf_yaml(data_dir("basic"), "apply", "{name: dry}"), "dry", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	tu_result_free(&r);
	r = run_wf(tf_yaml(data_dir("basic"), "destroy", "{name: dry}"), "dry", 1);
	expect_state(&r, "tf", INN_STATE_WOULD_RUN);
	assert_string_equal(tu_out(tu_step(r.run, "tf"), "changes"), "true");
	TU_ASSERT_CONTAINS(F.log, "$ terraform plan -destroy");
	tu_result_free(&r);
	assert_int_equal(state_resources(wc, "terraform.tfstate"), 2);
}

static void
test_init_failure_offline_quotes_terraform(void **state)
{
	tu_result r;

	(void)state;
	r = run_wf(tf_yaml(data_dir("needs-null"), "apply", NULL), "offline", 0);
	assert_int_not_equal(r.rc, 0);
	expect_state(&r, "tf", INN_STATE_FAILED);
	/* one line carries the command, the exit status and terraform's words */
	TU_ASSERT_CONTAINS(F.log, "terraform init failed (exit status 1): Error: Failed "
	                   "to query available provider packages");
	TU_ASSERT_CONTAINS(F.log, "hashicorp/null");
	assert_null(strstr(F.log, "$ terraform apply"));
	tu_result_free(&r);
}

static void
test_terraform_not_found(void **state)
{
	tu_result r;
	char yaml[4096];

	(void)state;
	fmt(yaml, sizeof(yaml), TF_STEP
	         "      working_dir: %s\n      terraform_bin: %s/no-such-terraform\n",
	         data_dir("basic"), F.work);
	r = run_wf(yaml, "nobin", 0);
	expect_state(&r, "tf", INN_STATE_FAILED);
	TU_ASSERT_CONTAINS(F.log, "no-such-terraform\" is not an executable file");
	tu_result_free(&r);
}

static void
test_paths_stay_inside_the_module_base(void **state)
{
	tu_result r;
	char base[4096], yaml[4096], outside[4096], src[4096], diag[4096];

	(void)state;
	/* base/mod is a copy of the quick module; base/out links outside */
	fmt(base, sizeof(base), "%s/base", F.work);
	fmt(outside, sizeof(outside), "%s/outside", F.work);
	assert_int_equal(mkdir(base, 0755), 0);
	assert_int_equal(mkdir(outside, 0755), 0);
	assert_int_equal(mkdir(tu_path(base, "mod"), 0755), 0);
	fmt(src, sizeof(src), "%s/main.tf", data_dir("quick"));
	assert_int_equal(tu_copy(src, tu_path(base, "mod"), "main.tf", 0644), 0);
	assert_int_equal(symlink(outside, tu_path(base, "out")), 0);

	fmt(yaml, sizeof(yaml), TF_STEP
	         "      module_base: %s\n      working_dir: mod\n", base);
	r = run_wf(yaml, "based", 0);
	expect_state(&r, "tf", INN_STATE_SUCCEEDED);
	assert_non_null(tu_out(tu_step(r.run, "tf"), "id"));
	tu_result_free(&r);

	/* a working_dir that leaves the base through a symbolic link: refused
	 * at load when written out, when the step runs when rendered */
	fmt(yaml, sizeof(yaml), TF_STEP
	         "      module_base: %s\n      working_dir: out\n", base);
	assert_null(load(yaml, diag, sizeof(diag)));
	TU_ASSERT_CONTAINS(diag, "test.yaml:7:7: error: step \"tf\": terraform plugin "
	                   "refused the config: config.working_dir: \"out\" leads out of");
	fmt(yaml, sizeof(yaml), "name: tf\nparameters: [{name: d, type: string, "
	    "default: out}]\nsteps:\n  - name: tf\n    type: terraform\n    config:\n"
	    "      module_base: %s\n      working_dir: \"${parameters.d}\"\n", base);
	r = run_wf(yaml, "based", 0);
	expect_state(&r, "tf", INN_STATE_FAILED);
	TU_ASSERT_CONTAINS(F.log, "config.working_dir: \"out\" leads out of");
	tu_result_free(&r);

	/* a module file that links outside the module */
	assert_int_equal(symlink(src, tu_path(base, "mod/extra.tf")), 0);
	fmt(yaml, sizeof(yaml), TF_STEP
	         "      module_base: %s\n      working_dir: mod\n", base);
	r = run_wf(yaml, "based", 0);
	expect_state(&r, "tf", INN_STATE_FAILED);
	TU_ASSERT_CONTAINS(F.log, "module file extra.tf is a symbolic link that leads "
	                   "out of the module folder");
	tu_result_free(&r);
}

/* Expects the one-step config (flow-style YAML lines under config:) to be
 * refused at load time with a message containing want. */
static void
expect_refused(const char *config, const char *want)
{
	char yaml[4096], diag[8192];
	inn_workflow *wf;

	fmt(yaml, sizeof(yaml), TF_STEP "%s", config);
	wf = load(yaml, diag, sizeof(diag));
	if (wf != NULL) {
		inn_workflow_free(wf);
		fail_msg("accepted:\n%s", config);
	}
	TU_ASSERT_CONTAINS(diag, "terraform plugin refused the config");
	TU_ASSERT_CONTAINS(diag, want);
}

/* The folder a module is confined to and the program run are never
 * rendered from parameters (IJ-9). */
static void
test_validate_refuses_rendered_bases(void **state)
{
	static const char *const keys[] = { "module_base", "terraform_bin" };
	char yaml[4096], diag[8192], want[128];
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		fmt(yaml, sizeof(yaml), "name: tf\nparameters:\n  - {name: p, type: string, "
		    "default: /}\nsteps:\n  - name: tf\n    type: terraform\n    config:\n"
		    "      working_dir: etc\n      %s: \"${parameters.p}\"\n", keys[i]);
		assert_null(load(yaml, diag, sizeof(diag)));
		fmt(want, sizeof(want), "config.%s: must be written out", keys[i]);
		TU_ASSERT_CONTAINS(diag, want);
	}
}

static void
test_validate_checks_the_config_shape(void **state)
{
	char diag[4096];
	inn_workflow *wf;

	(void)state;
	expect_refused("      working_dir: modules/../../etc\n",
	               "config.working_dir: \"modules/../../etc\" must not contain \"..\"");
	expect_refused("      working_dir: ..\n", "must not contain \"..\"");
	expect_refused("      module_base: ../up\n      working_dir: m\n",
	               "config.module_base: \"../up\" must be an absolute folder path");
	expect_refused("      operation: apply\n",
	               "needs exactly one of \"working_dir\" (a module folder) or \"module\"");
	expect_refused("      working_dir: /m\n      module: 'x'\n", "needs exactly one of");
	expect_refused("      working_dir: /m\n      operation: deploy\n",
	               "config.operation: \"deploy\" is not one of init, plan, apply, "
	               "destroy, output");
	expect_refused("      working_dir: /m\n      variables: [1, 2]\n",
	               "config.variables: must be an object");
	expect_refused("      working_dir: /m\n      variables: {\"bad name\": 1}\n",
	               "config.variables: \"bad name\" is not a valid terraform variable");
	expect_refused("      working_dir: /m\n      outputs: name\n",
	               "config.outputs: must be an array");
	expect_refused("      working_dir: /m\n      outputs: [ok, 3]\n",
	               "config.outputs.1: must be a string");
	expect_refused("      working_dir: /m\n      workspace: a/b\n",
	               "config.workspace: \"a/b\" is not a valid workspace name");
	expect_refused("      working_dir: /m\n      backend_config: {path: [1]}\n",
	               "config.backend_config.path: must be a string, number or boolean");
	expect_refused("      module: {../main.tf: x}\n",
	               "config.module: \"../main.tf\" is not a valid file name");
	expect_refused("      working_dir: /m\n      timeout: soon\n",
	               "config.timeout: \"soon\" is not a duration");
	expect_refused("      working_dir: /m\n      dir: /x\n", "unknown field \"dir\"");
	expect_refused("      working_dir: /m\n      backend_config: {path: /etc/x.tfstate}\n",
	               "config.backend_config.path: \"/etc/x.tfstate\" must be a relative");
	expect_refused("      working_dir: /m\n      backend_config: {workspace_dir: a/../../b}\n",
	               "config.backend_config.workspace_dir");

	/* templates are checked once rendered, not at load time */
	wf = load("name: tf\nparameters:\n  - {name: op, type: string, default: plan}\n"
	          "steps:\n  - name: tf\n    type: terraform\n    config:\n"
	          "      working_dir: \"/srv/providers/../${parameters.op}\"\n"
	          "      operation: \"{{ .parameters.op }}\"\n"
	          "      workspace: \"ws-${parameters.op}\"\n"
	          "      variables: {a: 1, b: [x], c: {d: true}}\n"
	          "      backend_config: {path: x.tfstate, retries: 3}\n"
	          "      outputs: [a, b-c]\n      timeout: 5m\n", diag, sizeof(diag));
	if (wf == NULL)
		fail_msg("refused: %s", diag);
	inn_workflow_free(wf);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_checks_the_config_shape),
		cmocka_unit_test(test_apply_outputs_reach_a_later_step),
		cmocka_unit_test(test_reapply_is_a_noop_and_plan_reports_changes),
		cmocka_unit_test(test_destroy_removes_the_resources),
		cmocka_unit_test(test_two_resources_do_not_share_state),
		cmocka_unit_test(test_inline_module_workspace_env_and_outputs),
		cmocka_unit_test(test_backend_config_reaches_init),
		cmocka_unit_test(test_cancel_during_apply_kills_terraform),
		cmocka_unit_test(test_dry_run_only_plans),
		cmocka_unit_test(test_init_failure_offline_quotes_terraform),
		cmocka_unit_test(test_terraform_not_found),
		cmocka_unit_test(test_paths_stay_inside_the_module_base),
		cmocka_unit_test(test_validate_refuses_rendered_bases),
	};
	int w = inn_worker_maybe_main(argc, argv);

	if (w >= 0)
		return w;
	if (!tu_in_path("terraform")) {
		printf("1..0 # SKIP terraform not installed\n");
		return 0;
	}
	return cmocka_run_group_tests_name("terraform", tests, setup, teardown);
}
