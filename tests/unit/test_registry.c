/*
 * test_registry.c - the plugin loader against real fixture plugins
 * (tests/plugins/, built as .so): what loads, what is refused and with which words,
 * and that a plugin the policy does not allow never runs any code.
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

#include "array.h"
#include "error.h"
#include "host.h"
#include "policy.h"
#include "registry.h"
#include "testutil.h"

struct env {
	char *plugins;  /* plugin directory */
	char *markers;  /* INN_TEST_MARKER_DIR */
	char *conf;     /* admin-config.yaml path */
	inn_policy *pol;
	inn_registry *reg;
};

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char conf[4096];

	e->plugins = tu_mkdtemp("plugins");
	e->markers = tu_mkdtemp("markers");
	assert_non_null(e->plugins);
	assert_non_null(e->markers);
	setenv("INN_TEST_MARKER_DIR", e->markers, 1);
	snprintf(conf, sizeof(conf), "%s/admin-config.yaml", e->markers);
	e->conf = strdup(conf);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	inn_registry_free(e->reg);
	inn_policy_free(e->pol);
	tu_rmrf(e->plugins);
	tu_rmrf(e->markers);
	INN_FREE_ALL(e->plugins, e->markers, e->conf);
	free(e);
	unsetenv("INN_TEST_MARKER_DIR");
	return 0;
}

/* Installs fixture <name>.so into the plugin dir with mode 0755. */
static void
install(struct env *e, const char *name)
{
	char file[256];

	snprintf(file, sizeof(file), "%s.so", name);
	assert_int_equal(tu_copy(tu_fixture(name), e->plugins, file, 0755), 0);
}

static void
policy_with(struct env *e, const char *yaml)
{
	assert_int_equal(tu_write(e->conf, yaml), 0);
	assert_int_equal(inn_policy_load(&e->pol, e->conf, 0), 0);
}

#define ALLOW_FIXTURES                                                          \
	"workflowPolicies:\n"                                                   \
	"  allowedStepTypes:\n"                                                 \
	"    - good\n    - newmajor\n    - oldminor\n    - noentry\n"           \
	"    - badmagic\n    - dupa\n    - dupb\n    - shared-type\n"           \
	"    - mismatch\n    - nofuncs\n    - initfail\n"

static void
load(struct env *e)
{
	assert_int_equal(inn_registry_load(&e->reg, e->plugins, e->pol,
	                                   inn_host_table()), 0);
}

/* The refusal reason for file, or NULL when it was not refused. */
static const char *
refusal(const struct env *e, const char *file)
{
	size_t i;

	for (i = 0; i < e->reg->nrefused; i++)
		if (strcmp(e->reg->refused[i].file, file) == 0)
			return e->reg->refused[i].reason;
	return NULL;
}

/* Loads fixture name alone under ALLOW_FIXTURES and returns why the
 * registry refused it (the test fails when anything was loaded). */
static const char *
refused_alone(struct env *e, const char *name)
{
	char file[256];
	const char *why;

	policy_with(e, ALLOW_FIXTURES);
	install(e, name);
	load(e);
	assert_int_equal(e->reg->nplugins, 0);
	snprintf(file, sizeof(file), "%s.so", name);
	why = refusal(e, file);
	assert_non_null(why);
	return why;
}

static int
marker(const struct env *e, const char *name)
{
	return tu_exists(tu_path(e->markers, name));
}


static void
test_good_plugin_loads_runs_and_unloads(void **state)
{
	struct env *e = *state;
	const inn_plugin *p;
	inn_step *step;
	inn_step_opts so;
	const char *v;

	policy_with(e, ALLOW_FIXTURES);
	install(e, "good");
	load(e);
	assert_int_equal(e->reg->nrefused, 0);
	assert_int_equal(e->reg->nplugins, 1);
	p = inn_registry_find(e->reg, "good");
	assert_non_null(p);
	assert_string_equal(p->desc.version, "1.2.3");
	assert_true(p->desc.flags & INN_PLUGIN_DRY_RUN);
	assert_true(marker(e, "good.ctor"));
	assert_true(marker(e, "good.init"));
	assert_false(marker(e, "good.fini"));

	memset(&so, 0, sizeof(so));
	so.type = "good";
	so.name = "first";
	assert_int_equal(inn_step_new(&step, &so), 0);
	assert_int_equal(p->desc.execute(p->state, inn_host_table(), step), 0);
	assert_true(json_object_object_get_ex(inn_step_outputs(step), "ran", NULL));
	v = json_object_get_string(json_object_object_get(inn_step_outputs(step), "ran"));
	assert_string_equal(v, "good");
	inn_step_free(step);

	inn_registry_free(e->reg);
	e->reg = NULL;
	assert_true(marker(e, "good.fini"));
}

static void
test_newer_major_is_refused_naming_both_versions(void **state)
{
	struct env *e = *state;
	char want[64];

	snprintf(want, sizeof(want), "built for plugin ABI %d.0, this host provides %d.%d",
	         INN_PLUGIN_ABI_MAJOR + 1, INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR);
	TU_ASSERT_CONTAINS(refused_alone(e, "newmajor"), want);
}

static void
test_older_minor_with_smaller_struct_is_accepted(void **state)
{
	struct env *e = *state;
	const inn_plugin *p;

	policy_with(e, ALLOW_FIXTURES);
	install(e, "oldminor");
	load(e);
	p = inn_registry_find(e->reg, "oldminor");
	assert_non_null(p);
	assert_int_equal(p->desc_size, offsetof(inn_plugin_descriptor, fini));
	assert_null(p->desc.fini); /* past its struct_size: absent */
	inn_registry_free(e->reg);
	e->reg = NULL;
	assert_false(marker(e, "oldminor.fini"));
}

static void
test_missing_entry_symbol_is_refused(void **state)
{
	struct env *e = *state;

	TU_ASSERT_CONTAINS(refused_alone(e, "noentry"), "does not export inn_plugin_describe_v1()");
}

static void
test_bad_magic_is_refused(void **state)
{
	struct env *e = *state;

	TU_ASSERT_CONTAINS(refused_alone(e, "badmagic"), "bad magic 0xdeadbeef");
}

static void
test_disallowed_type_is_never_dlopened(void **state)
{
	struct env *e = *state;
	const char *why;

	policy_with(e, ALLOW_FIXTURES); /* lists good, not notallowed */
	install(e, "good");
	install(e, "notallowed");
	load(e);
	why = refusal(e, "notallowed.so");
	TU_ASSERT_CONTAINS(why, "step type \"notallowed\" is not in "
	                     "workflowPolicies.allowedStepTypes");
	TU_ASSERT_CONTAINS(why, "admin-config.yaml:2");
	/* The control: the allowed plugin's constructor did run in this test. */
	assert_true(marker(e, "good.ctor"));
	assert_false(marker(e, "notallowed.ctor"));
	assert_null(inn_registry_find(e->reg, "notallowed"));
}

static void
test_two_plugins_claiming_one_type(void **state)
{
	struct env *e = *state;
	const inn_plugin *p;

	policy_with(e, ALLOW_FIXTURES);
	install(e, "dupa");
	install(e, "dupb");
	load(e);
	p = inn_registry_find(e->reg, "shared-type");
	assert_non_null(p);
	assert_string_equal(p->file, "dupa.so");
	assert_null(inn_registry_find(e->reg, "dupb"));
	TU_ASSERT_CONTAINS(refusal(e, "dupb.so"),
	                "step type \"shared-type\" is already provided by dupa.so");
}

static void
test_group_writable_directory_is_refused(void **state)
{
	struct env *e = *state;

	policy_with(e, ALLOW_FIXTURES);
	install(e, "good");
	assert_int_equal(chmod(e->plugins, 0775), 0);
	assert_int_not_equal(inn_registry_load(&e->reg, e->plugins, e->pol,
	                                       inn_host_table()), 0);
	assert_null(e->reg);
	TU_ASSERT_CONTAINS(inn_error_last(), "group-writable (mode 0775)");
	assert_false(marker(e, "good.ctor"));
}

static void
test_unsafe_files_are_refused(void **state)
{
	struct env *e = *state;
	char target[4096], link[4096];

	policy_with(e, "workflowPolicies:\n  allowedStepTypes: [\"*\"]\n");
	assert_int_equal(tu_copy(tu_fixture("good"), e->plugins, "gw.so", 0775), 0);
	assert_int_equal(tu_copy(tu_fixture("good"), e->plugins, "ww.so", 0757), 0);
	snprintf(target, sizeof(target), "%s", tu_fixture("good"));
	snprintf(link, sizeof(link), "%s/good.so", e->plugins);
	assert_int_equal(symlink(target, link), 0);
	load(e);
	assert_int_equal(e->reg->nplugins, 0);
	TU_ASSERT_CONTAINS(refusal(e, "gw.so"), "group-writable");
	TU_ASSERT_CONTAINS(refusal(e, "ww.so"), "world-writable");
	TU_ASSERT_CONTAINS(refusal(e, "good.so"), "symbolic link");
	assert_false(marker(e, "good.ctor"));
}

static void
test_declared_type_must_match_file_name(void **state)
{
	struct env *e = *state;

	TU_ASSERT_CONTAINS(refused_alone(e, "mismatch"),
	                "declares step type \"something-else\" but its file is named "
	                "mismatch.so");
}

static void
test_missing_execute_is_refused(void **state)
{
	struct env *e = *state;

	TU_ASSERT_CONTAINS(refused_alone(e, "nofuncs"), "no execute function");
}

static void
test_failing_init_is_refused_with_its_message(void **state)
{
	struct env *e = *state;
	const char *why = refused_alone(e, "initfail");

	assert_null(inn_registry_find(e->reg, "initfail"));
	TU_ASSERT_CONTAINS(why, "init() failed");
	TU_ASSERT_CONTAINS(why, "required tool not found");
}

static void
test_allow_list_semantics(void **state)
{
	struct env *e = *state;

	install(e, "good");
	install(e, "dupa");
	/* absent list: everything allowed, with a note saying so */
	policy_with(e, "workflowPolicies:\n  maxStepsPerWorkflow: 5\n");
	load(e);
	assert_int_equal(e->reg->nplugins, 2);
	assert_int_equal(e->reg->nnotes, 1);
	TU_ASSERT_CONTAINS(e->reg->notes[0], "every plugin in");
	inn_registry_free(e->reg);
	inn_policy_free(e->pol);
	/* explicit empty list: nothing allowed */
	policy_with(e, "workflowPolicies:\n  allowedStepTypes: []\n");
	load(e);
	assert_int_equal(e->reg->nplugins, 0);
	assert_int_equal(e->reg->nrefused, 2);
	inn_registry_free(e->reg);
	inn_policy_free(e->pol);
	/* an extra declared type outside the list is not registered */
	policy_with(e, "workflowPolicies:\n  allowedStepTypes: [dupa]\n");
	load(e);
	assert_non_null(inn_registry_find(e->reg, "dupa"));
	assert_null(inn_registry_find(e->reg, "shared-type"));
	assert_int_equal(e->reg->nnotes, 1);
	TU_ASSERT_CONTAINS(e->reg->notes[0], "extra step type \"shared-type\" not registered");
}

static void
test_missing_directory_and_other_files(void **state)
{
	struct env *e = *state;

	policy_with(e, ALLOW_FIXTURES);
	assert_int_equal(inn_registry_load(&e->reg, "/nonexistent/plugins", e->pol,
	                                   inn_host_table()), INN_ENOTFOUND);
	TU_ASSERT_CONTAINS(inn_error_last(), "/nonexistent/plugins");
	assert_int_equal(tu_write(tu_path(e->plugins, "README.txt"), "not a plugin\n"), 0);
	assert_int_equal(tu_write(tu_path(e->plugins, "Bad Name.so"), "x"), 0);
	chmod(tu_path(e->plugins, "Bad Name.so"), 0644);
	load(e);
	assert_int_equal(e->reg->nplugins, 0);
	assert_int_equal(e->reg->nrefused, 1);
	TU_ASSERT_CONTAINS(refusal(e, "Bad Name.so"), "not a valid step type name");
}

/* The step type a file's name gives (GET /api/plugins/refused shows it). */
static void
test_file_type(void **state)
{
	static const char *const none[] = {
		"", ".so", "x.SO", "kv.so.1", "kv", "Bad Name.so", "Kv.so", "-kv.so", "k/v.so",
		"k.v.so", "_x.so",
		"a12345678901234567890123456789012345678901234567890123456789012345.so",
	};
	char buf[80], small[3];
	size_t i;

	(void)state;
	assert_string_equal(inn_registry_file_type("kv.so", buf, sizeof(buf)), "kv");
	assert_string_equal(inn_registry_file_type("vault-setup.so", buf, sizeof(buf)),
	                    "vault-setup");
	assert_string_equal(inn_registry_file_type("a_1.so", buf, sizeof(buf)), "a_1");
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		if (inn_registry_file_type(none[i], buf, sizeof(buf)) != NULL)
			fail_msg("\"%s\" gave a step type", none[i]);
	/* a type that does not fit is none, not a prefix of it */
	assert_null(inn_registry_file_type("abc.so", small, sizeof(small)));
	assert_string_equal(inn_registry_file_type("ab.so", small, sizeof(small)), "ab");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_plugin_loads_runs_and_unloads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_major_is_refused_naming_both_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_older_minor_with_smaller_struct_is_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_entry_symbol_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_magic_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disallowed_type_is_never_dlopened, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_plugins_claiming_one_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_writable_directory_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsafe_files_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_declared_type_must_match_file_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_execute_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_init_is_refused_with_its_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allow_list_semantics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_directory_and_other_files, setup, teardown),
		cmocka_unit_test(test_file_type),
	};

	return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}
