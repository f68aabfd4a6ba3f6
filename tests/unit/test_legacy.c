/*
 * test_legacy.c - the original innominatus's spellings: its step fields
 * (workingDir, path, operation, variables, outputs, playbook, namespace,
 * ...) read onto our plugins' configs with the warning a user sees, the
 * contradictions and config spellings refused with file:line:col, and the
 * allow-list gate for legacy step types (allowing "policy" loads shell.so
 * for policy steps only), also over the original's admin-config.yaml and
 * providers (../shared/compat or $INN_COMPAT_DIR; skipped without).
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
#include "exec.h"
#include "host.h"
#include "model.h"
#include "policy.h"
#include "registry.h"
#include "testutil.h"

static char compat[4096];    /* the original's files, or "" when absent */

/* The plugins every test loads against (default policy: all allowed). */
struct fx {
	char *plugins;
	inn_policy *pol;
	inn_registry *reg;
	inn_engine *eng;
	char *work, cwd[4096];      /* the folder the workflows' paths refer to */
	char diag[16384];
};

static int
setup(void **state)
{
	static const char *const plugins[] = { "shell", "terraform", "ansible", NULL };
	tu_engine_opts o = { "legacy", plugins, 1, 0, NULL };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	tu_engine_setup(&o, &f->plugins, &f->pol, &f->reg, &f->eng);
	/* written-out paths are checked at load: the ones the tests name exist
	 * in the folder of "test.yaml" (the current directory) */
	assert_non_null(getcwd(f->cwd, sizeof(f->cwd)));
	assert_non_null(f->work = tu_mkdtemp("legacy-paths"));
	assert_int_equal(chdir(f->work), 0);
	assert_int_equal(tu_sh("mkdir -p tf one two m sub ansible pb dir && "
	                       "touch p.yml ansible/site.yml pb/x.yml dir/y.yml"), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	tu_engine_teardown(f->plugins, f->pol, f->reg, f->eng);
	assert_int_equal(chdir(f->cwd), 0);
	tu_rmrf_free(f->work);
	free(f);
	return 0;
}

/* Loads yaml; want_ok says whether it must load.  The diagnostics are in
 * f->diag afterwards. */
static inn_workflow *
load(struct fx *f, const char *yaml, int want_ok)
{
	inn_workflow *wf = tu_load_wf(f->pol, f->reg, yaml, f->diag, sizeof(f->diag));

	if ((wf != NULL) != want_ok) {
		print_message("# %s", f->diag);
		fail_msg("the workflow %s", want_ok ? "was refused" : "loaded");
	}
	return wf;
}

/* config.<key> of wf's step i as JSON text. */
static const char *
cfg(const inn_workflow *wf, size_t i, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(wf->steps[i].config, key, &v))
		return "(absent)";
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	                                         JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* C8: the finding's own reproduction and the main executor's fields. */
static void
test_terraform_fields(void **state)
{
	struct fx *f = *state;
	inn_workflow *wf = load(f,
	    "name: tf-legacy\n"
	    "parameters: [{name: env, type: string, default: dev}]\n"
	    "steps:\n"
	    "  - {name: apply, type: terraform, operation: apply, workingDir: ./tf, "
	    "outputs: [bucket_name]}\n"
	    "  - name: old\n"
	    "    type: terraform\n"
	    "    path: ./modules/${parameters.env}\n"
	    "    variables: {region: eu, size: 2}\n"
	    "    config: {variables: {size: 2, zone: a}}\n", 1);

	assert_string_equal(cfg(wf, 0, "operation"), "\"apply\"");
	assert_string_equal(cfg(wf, 0, "working_dir"), "\"./tf\"");
	assert_string_equal(cfg(wf, 0, "outputs"), "[\"bucket_name\"]");
	assert_string_equal(cfg(wf, 1, "working_dir"), "\"./modules/${parameters.env}\"");
	assert_string_equal(cfg(wf, 1, "variables"), "{\"size\":2,\"zone\":\"a\",\"region\":\"eu\"}");
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:4:36: warning: step \"apply\": operation: "
	                   "deprecated spelling of the original innominatus; read as "
	                   "config.operation (write it there)");
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:4:54: warning: step \"apply\": workingDir: "
	                   "deprecated spelling of the original innominatus; read as "
	                   "config.working_dir");
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:4:72: warning: step \"apply\": outputs: "
	                   "deprecated spelling of the original innominatus; read as "
	                   "config.outputs");
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:7:5: warning: step \"old\": path: deprecated "
	                   "spelling of the original innominatus; read as config.working_dir");
	assert_null(strstr(f->diag, "unknown key"));
	inn_workflow_free(wf);
}

/* Both spellings given and different: an error at the legacy field. */
static void
test_contradictions(void **state)
{
	struct fx *f = *state;

	load(f, "name: c\nsteps:\n"
	        "  - name: a\n    type: terraform\n    workingDir: ./one\n"
	        "    config: {working_dir: ./two}\n", 0);
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:5:5: error: step \"a\": workingDir (\"./one\") "
	                   "contradicts config.working_dir (\"./two\"): write it once, under "
	                   "config.working_dir");
	load(f, "name: c\nsteps:\n"
	        "  - name: a\n    type: terraform\n    path: ./one\n    workingDir: ./two\n", 0);
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:6:5: error: step \"a\": workingDir (\"./two\") "
	                   "contradicts path (\"./one\")");
	load(f, "name: c\nsteps:\n"
	        "  - name: a\n    type: terraform\n    variables: {x: 1}\n"
	        "    config: {working_dir: m, variables: {x: \"2\"}}\n", 0);
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:5:5: error: step \"a\": variables.x (1) "
	                   "contradicts config.variables.x (\"2\")");
	load(f, "name: c\nsteps:\n"
	        "  - name: a\n    type: ansible\n    path: ./one\n    playbook: p.yml\n"
	        "    config: {working_dir: ./two}\n", 0);
	TU_ASSERT_CONTAINS(f->diag, "error: step \"a\": config.working_dir (\"./two\") "
	                   "contradicts path (\"./one\")");
	/* the same value twice is only the deprecation */
	inn_workflow_free(load(f, "name: c\nsteps:\n"
	        "  - name: a\n    type: terraform\n    operation: plan\n"
	        "    config: {working_dir: m, operation: plan}\n", 1));
}

/* ansible: the folder the original ran ansible-playbook in holds the
 * playbook. */
static void
test_ansible_fields(void **state)
{
	struct fx *f = *state;
	char yaml[8192], abs[4200], want[4400], *real = realpath(f->work, NULL);
	inn_workflow *wf;

	assert_non_null(real);
	snprintf(abs, sizeof(abs), "%s/ansible/site.yml", real);
	free(real);
	snprintf(yaml, sizeof(yaml), "name: an\nsteps:\n"
	         "  - {name: a, type: ansible, path: ./ansible, playbook: site.yml}\n"
	         "  - {name: b, type: ansible, workingDir: pb, config: {playbook: ./x.yml}}\n"
	         "  - {name: c, type: ansible, config: {playbook: y.yml, working_dir: dir}}\n"
	         "  - {name: d, type: ansible, path: ./ansible, config: {playbook: '%s'}}\n",
	         abs);
	wf = load(f, yaml, 1);
	assert_string_equal(cfg(wf, 0, "playbook"), "\"ansible/site.yml\"");
	assert_string_equal(cfg(wf, 1, "playbook"), "\"pb/x.yml\"");
	assert_string_equal(cfg(wf, 2, "playbook"), "\"dir/y.yml\"");
	assert_string_equal(cfg(wf, 2, "working_dir"), "(absent)");
	snprintf(want, sizeof(want), "\"%s\"", abs);
	assert_string_equal(cfg(wf, 3, "playbook"), want);
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:3:30: warning: step \"a\": path: deprecated "
	                   "spelling of the original innominatus (the folder ansible-playbook "
	                   "ran in); read as config.playbook: \"ansible/site.yml\"");
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:3:47: warning: step \"a\": playbook: "
	                   "deprecated spelling");
	snprintf(want, sizeof(want), "test.yaml:6:30: warning: step \"d\": path: ignored: "
	         "config.playbook \"%s\" is an absolute path", abs);
	TU_ASSERT_CONTAINS(f->diag, want);
	inn_workflow_free(wf);
}

/* Fields with no meaning for the step's plugin: warned with the reason. */
static void
test_ignored_fields(void **state)
{
	struct fx *f = *state;
	inn_workflow *wf = load(f,
	    "name: ign\nsteps:\n"
	    "  - name: a\n    type: policy\n    namespace: ns\n    outputFile: /tmp/o.json\n"
	    "    setVariables: {X: y}\n    parallelGroup: 2\n    colour: red\n"
	    "    workingDir: sub\n    config: {script: 'true'}\n", 1);

	TU_ASSERT_CONTAINS(f->diag, "test.yaml:5:5: warning: step \"a\": namespace: ignored: "
	                   "the original read it for its kubernetes steps only, and policy "
	                   "steps have no such setting");
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:6:5: warning: step \"a\": outputFile: ignored: "
	                   "innominatus reads no outputs from a file");
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:7:5: warning: step \"a\": setVariables: "
	                   "ignored:");
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:8:5: warning: step \"a\": parallelGroup: "
	                   "ignored:");
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:9:5: warning: steps[0]: unknown key "
	                   "\"colour\" (ignored)");
	assert_string_equal(cfg(wf, 0, "working_dir"), "\"sub\"");
	assert_string_equal(cfg(wf, 0, "namespace"), "(absent)");
	inn_workflow_free(wf);

	/* a step type with no plugin here: its fields are not guessed at */
	load(f, "name: g\nsteps:\n"
	        "  - {name: g, type: git-pr, commitMessage: m, config: {}}\n", 0);
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:3:29: warning: step \"g\": commitMessage: not "
	                   "mapped (ignored): a field of the original's git-pr steps, "
	                   "which innominatus maps to no plugin config");
	TU_ASSERT_CONTAINS(f->diag, "error: step \"g\": no plugin provides step type "
	                   "\"git-pr\"");
	/* kubernetes steps: the original's step-level namespace is config's */
	load(f, "name: k\nsteps:\n"
	        "  - {name: k, type: kubernetes, namespace: ns, config: {manifest: x}}\n", 0);
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:3:33: warning: step \"k\": namespace: "
	                   "deprecated spelling of the original innominatus; read as "
	                   "config.namespace");
}

/* L2: the original's config spellings our plugins do not take. */
static void
test_config_spellings(void **state)
{
	struct fx *f = *state;

	load(f, "name: v\nsteps:\n"
	        "  - {name: a, type: ansible, config: {playbook: p.yml, vars: {x: 1}}}\n"
	        "  - {name: b, type: terraform, config: {workspace: infra, "
	        "working_dir: m, commands: [destroy]}}\n", 0);
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:3:56: error: step \"a\": config.vars: not a "
	                   "field of ansible steps: the original innominatus ignored it");
	TU_ASSERT_CONTAINS(f->diag, "write config.extra_vars to pass them");
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:4:75: error: step \"b\": config.commands: not "
	                   "a field of terraform steps");
	/* said once: the plugin does not add its own "unknown field" */
	assert_null(strstr(f->diag, "refused the config"));
}

/* Templates in legacy fields are checked like the config's. */
static void
test_legacy_refs(void **state)
{
	struct fx *f = *state;

	load(f, "name: r\nsteps:\n"
	        "  - {name: a, type: terraform, workingDir: './${parameters.nope}'}\n", 0);
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:3:44: error: step \"a\": workingDir: "
	                   "references parameters.nope, which is not declared in parameters");
}

/* Hostile values stay values: no split, no crash. */
static void
test_legacy_hostile(void **state)
{
	struct fx *f = *state;
	inn_workflow *wf = load(f,
	    "name: h\nsteps:\n"
	    "  - {name: a, type: terraform, workingDir: \"m; rm -rf / $(x) \\u00e9\", "
	    "variables: {\"a b\": [1, {c: d}]}}\n", 0);

	(void)wf;
	/* the plugin judges the value (a variable name with a blank) */
	TU_ASSERT_CONTAINS(f->diag, "terraform plugin refused the config");
	load(f, "name: h\nsteps:\n"
	        "  - {name: a, type: ansible, path: [1], playbook: p.yml}\n"
	        "  - {name: b, type: ansible, workingDir: '', playbook: p.yml}\n", 0);
	TU_ASSERT_CONTAINS(f->diag, "test.yaml:3:36: error: step \"a\": path: must be a "
	                   "folder path, not a list");
	TU_ASSERT_CONTAINS(f->diag, "step \"b\": workingDir: must be a folder path, not empty");
}

/* --- C6: the allow-list and legacy step types ---------------------------- */

struct gate {
	char *dir;
	inn_policy *pol;
	inn_registry *reg;
};

/* A plugin folder with shell.so (mode) and an admin config allowing list. */
static void
gate_setup(struct gate *g, const char *list, mode_t mode)
{
	char text[256], so[4096], plugins[4200];
	const char *shell = getenv("INN_SHELL_SO");

	memset(g, 0, sizeof(*g));
	assert_non_null(g->dir = tu_mkdtemp("gate"));
	snprintf(so, sizeof(so), "%s", shell ? shell : "plugins/shell/.libs/shell.so");
	snprintf(plugins, sizeof(plugins), "%s/plugins", g->dir);
	assert_int_equal(mkdir(plugins, 0755), 0);
	assert_int_equal(tu_copy(so, plugins, "shell.so", mode), 0);
	snprintf(text, sizeof(text), "workflowPolicies:\n  allowedStepTypes: [%s]\n", list);
	assert_int_equal(tu_write(tu_path(g->dir, "admin.yaml"), text), 0);
	assert_int_equal(inn_policy_load(&g->pol, tu_path(g->dir, "admin.yaml"), 0), 0);
	assert_int_equal(inn_registry_load(&g->reg, plugins, g->pol, inn_host_table()), 0);
}

static void
gate_teardown(struct gate *g)
{
	inn_registry_free(g->reg);
	inn_policy_free(g->pol);
	tu_rmrf_free(g->dir);
}

static const char policy_wf[] =
	"name: p\nsteps: [{name: check, type: policy, config: {script: \"echo ok\"}}]\n";
static const char shell_wf[] =
	"name: s\nsteps: [{name: direct, type: shell, config: {script: \"echo no\"}}]\n";

static void
test_policy_allows_its_plugin(void **state)
{
	struct gate g;
	char diag[4096];
	inn_workflow *wf;
	const char *via = NULL;

	(void)state;
	gate_setup(&g, "policy", 0755);
	assert_int_equal(g.reg->nrefused, 0);
	assert_non_null(inn_registry_find(g.reg, "shell"));
	assert_true(inn_policy_allows_plugin(g.pol, "shell", &via));
	assert_string_equal(via, "policy");
	assert_false(inn_policy_allows(g.pol, "shell"));
	assert_int_equal(g.reg->nnotes, 1);
	TU_ASSERT_CONTAINS(g.reg->notes[0], "shell.so: loaded for steps of type \"policy\" "
	                   "only: workflowPolicies.allowedStepTypes (");
	TU_ASSERT_CONTAINS(g.reg->notes[0], "steps of type \"shell\" stay refused");
	wf = tu_load_wf(g.pol, g.reg, policy_wf, diag, sizeof(diag));
	assert_non_null(wf);
	inn_workflow_free(wf);
	assert_null(tu_load_wf(g.pol, g.reg, shell_wf, diag, sizeof(diag)));
	TU_ASSERT_CONTAINS(diag, "test.yaml:2:30: error: step \"direct\": type \"shell\" is "
	                   "not in workflowPolicies.allowedStepTypes (");
	TU_ASSERT_CONTAINS(diag, "(its plugin is loaded only for steps of type \"policy\", "
	                   "which runs on it)");
	gate_teardown(&g);

	/* allowing shell does not allow policy steps; the message says how */
	gate_setup(&g, "shell", 0755);
	assert_null(tu_load_wf(g.pol, g.reg, policy_wf, diag, sizeof(diag)));
	TU_ASSERT_CONTAINS(diag, "error: step \"check\": type \"policy\" is not in "
	                   "workflowPolicies.allowedStepTypes (");
	TU_ASSERT_CONTAINS(diag, "(it runs on the plugin of \"shell\", which is allowed; add "
	                   "\"policy\" to the list to allow these steps)");
	gate_teardown(&g);

	/* neither: refused before dlopen, as before */
	gate_setup(&g, "terraform", 0755);
	assert_int_equal(g.reg->nrefused, 1);
	TU_ASSERT_CONTAINS(g.reg->refused[0].reason, "step type \"shell\" is not in "
	                   "workflowPolicies.allowedStepTypes");
	gate_teardown(&g);
}

/* A plugin refused for another reason: the step says so, not "absent". */
static void
test_refused_plugin_named(void **state)
{
	struct gate g;
	char diag[4096];

	(void)state;
	gate_setup(&g, "policy", 0777);
	assert_int_equal(g.reg->nrefused, 1);
	assert_null(tu_load_wf(g.pol, g.reg, policy_wf, diag, sizeof(diag)));
	TU_ASSERT_CONTAINS(diag, "test.yaml:2:29: error: step \"check\": step type \"shell\" "
	                   "(the plugin for \"policy\"): its plugin shell.so was refused: ");
	TU_ASSERT_CONTAINS(diag, "world-writable");
	assert_null(strstr(diag, "no plugin provides"));
	gate_teardown(&g);
}

/* The original's admin-config.yaml (allowedStepTypes lists policy, not
 * shell) over its providers: every policy step is accepted, the step
 * types without a plugin are refused as absent, never as not allowed. */
static void
test_compat_admin_config(void **state)
{
	static const char *const teams[] = {
		"database-team", "container-team", "storage-team", "identity-team",
		"vault-team", "test-team", NULL
	};
	char so[4096], *dir;
	inn_policy *pol = NULL;
	inn_registry *reg = NULL;
	inn_load_ctx ctx;
	size_t i, policy_steps = 0;

	(void)state;
	assert_non_null(dir = tu_mkdtemp("compat-gate"));
	snprintf(so, sizeof(so), "%s", getenv("INN_SHELL_SO") ? getenv("INN_SHELL_SO") :
	         "plugins/shell/.libs/shell.so");
	assert_int_equal(tu_copy(so, dir, "shell.so", 0755), 0);
	assert_int_equal(inn_policy_load(&pol, tu_path(compat, "admin-config.yaml"), 0), 0);
	assert_int_equal(inn_registry_load(&reg, dir, pol, inn_host_table()), 0);
	assert_int_equal(reg->nrefused, 0);
	assert_non_null(inn_registry_find(reg, "shell"));
	ctx.policy = pol;
	ctx.registry = reg;
	for (i = 0; teams[i] != NULL; i++) {
		char path[8300];
		inn_provider *p = NULL;
		inn_diag d;
		size_t w, s;

		snprintf(path, sizeof(path), "%s/providers/%s", compat, teams[i]);
		inn_diag_init(&d);
		(void)inn_provider_load_dir(&p, path, &ctx, &d);
		assert_int_equal(inn_diag_find(&d, "type \"policy\" is not", NULL, 0), -1);
		assert_int_equal(inn_diag_find(&d, "the plugin for \"policy\"", NULL, 0), -1);
		assert_int_equal(inn_diag_find(&d, "no plugin provides step type \"shell\"",
		                               NULL, 0), -1);
		if (inn_diag_find(&d, "kubernetes", NULL, 0) >= 0)
			assert_true(inn_diag_find(&d, "no plugin provides step type "
			                          "\"kubernetes\" (the step types loaded: ", NULL, 0) >= 0);
		for (w = 0; p != NULL && w < p->nworkflows; w++)
			for (s = 0; s < p->workflows[w]->nsteps; s++)
				policy_steps += strcmp(p->workflows[w]->steps[s].type, "policy") == 0;
		inn_provider_free(p);
		inn_diag_free(&d);
	}
	/* the storage and test teams are policy-only providers */
	assert_true(policy_steps > 0);
	inn_registry_free(reg);
	inn_policy_free(pol);
	tu_rmrf_free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terraform_fields),
		cmocka_unit_test(test_contradictions),
		cmocka_unit_test(test_ansible_fields),
		cmocka_unit_test(test_ignored_fields),
		cmocka_unit_test(test_config_spellings),
		cmocka_unit_test(test_legacy_refs),
		cmocka_unit_test(test_legacy_hostile),
		cmocka_unit_test(test_policy_allows_its_plugin),
		cmocka_unit_test(test_refused_plugin_named),
		cmocka_unit_test(test_compat_admin_config),
	};

	const char *env = getenv("INN_COMPAT_DIR"), *top = getenv("INN_TOP_SRCDIR");
	size_t n = sizeof(tests) / sizeof(tests[0]);

	if (env != NULL && *env != '\0')
		snprintf(compat, sizeof(compat), "%s", env);
	else
		snprintf(compat, sizeof(compat), "%s/../shared/compat", top ? top : ".");
	if (access(tu_path(compat, "admin-config.yaml"), R_OK) != 0) {
		/* cmocka reports a skipped test as "not ok": leave it out */
		printf("# compat folder absent: %s (set INN_COMPAT_DIR); "
		       "test_compat_admin_config not run\n", compat);
		n--;
	}
	return _cmocka_run_group_tests("legacy", tests, n, setup, teardown);
}
