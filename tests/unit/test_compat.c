/*
 * test_compat.c - the original innominatus's files (../shared/compat, or
 * $INN_COMPAT_DIR) load with our loaders.  The whole program is skipped,
 * with the path it looked for, when that folder is absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "policy.h"

static char compat[2048];

static const char *
compat_path(const char *rel)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", compat, rel);
	return buf;
}

static void
test_original_admin_config(void **state)
{
	inn_policy *p = NULL;

	(void)state;
	if (inn_policy_load(&p, compat_path("admin-config.yaml"), 0) != 0)
		fail_msg("%s", inn_error_last());
	assert_true(p->has_allow_list);
	assert_true(inn_policy_allows(p, "terraform"));
	assert_true(inn_policy_allows(p, "policy"));
	assert_false(inn_policy_allows(p, "shell")); /* the original omits it */
	assert_int_equal(p->max_steps, 50);
	assert_int_equal(p->max_concurrent, 10);
	assert_int_equal(p->max_workflow_ms, 30 * 60 * 1000);
	inn_policy_free(p);
}

static void
test_example_admin_config(void **state)
{
	inn_policy *p = NULL;

	(void)state;
	if (inn_policy_load(&p, compat_path("examples/admin-config.yaml"), 0) != 0)
		fail_msg("%s", inn_error_last());
	inn_policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_original_admin_config),
		cmocka_unit_test(test_example_admin_config),
	};
	const char *env = getenv("INN_COMPAT_DIR");
	const char *top = getenv("INN_TOP_SRCDIR");

	if (env != NULL && *env != '\0')
		snprintf(compat, sizeof(compat), "%s", env);
	else
		snprintf(compat, sizeof(compat), "%s/../shared/compat", top ? top : ".");
	if (access(compat, R_OK | X_OK) != 0) {
		printf("1..0 # SKIP compat folder absent: %s (set INN_COMPAT_DIR)\n", compat);
		return 0;
	}
	return cmocka_run_group_tests_name("compat", tests, NULL, NULL);
}
