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

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "model.h"
#include "policy.h"
#include "testutil.h"

static char compat[2048];

static const char *
compat_path(const char *rel)
{
	return tu_path(compat, rel);
}

/* The admin config compat_path(rel), which must load. */
static inn_policy *
policy_ok(const char *rel)
{
	inn_policy *p = NULL;

	if (inn_policy_load(&p, compat_path(rel), 0) != 0)
		fail_msg("%s", inn_error_last());
	return p;
}

static void
test_original_admin_config(void **state)
{
	inn_policy *p = policy_ok("admin-config.yaml");

	(void)state;
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
	(void)state;
	inn_policy_free(policy_ok("examples/admin-config.yaml"));
}

/* Prints every diagnostic (TAP comments) so a failure shows what was said. */
static void
dump(const inn_diag *d)
{
	inn_diag_print(d, stdout, "# ");
}

/* The one defective file of the original (see docs/compat.md):
 * storage-team/workflows/provision-s3-bucket.yaml, step create_namespace,
 * writes {{ .parameters.app_name }} into its manifest but the workflow
 * declares no app_name parameter (upstream ignored parameters: blocks and
 * rendered "<no value>").  We refuse it at load time, so the storage-team
 * provider does not load. */
#define S3_WORKFLOW "providers/storage-team/workflows/provision-s3-bucket.yaml"
#define S3_ERROR ":81:17: error: step \"create_namespace\": config.manifest: " \
	"references parameters.app_name, which is not declared in parameters"

static void
expect_s3_defect(const inn_diag *d)
{
	char want[8192];

	snprintf(want, sizeof(want), "%s", compat_path(S3_WORKFLOW));
	strncat(want, S3_ERROR, sizeof(want) - strlen(want) - 1);
	if (d->nerrors != 1 || inn_diag_find(d, want, NULL, 0) < 0) {
		dump(d);
		fail_msg("expected exactly: %s", want);
	}
}

static void
test_original_storage_team_defect(void **state)
{
	const inn_load_ctx ctx = { NULL, NULL };
	inn_provider *p = NULL;
	inn_diag d;

	(void)state;
	inn_diag_init(&d);
	assert_int_equal(inn_provider_load_dir(&p, compat_path("providers/storage-team"),
	                                       &ctx, &d), INN_EINVAL);
	assert_null(p);
	expect_s3_defect(&d);
	inn_diag_free(&d);
}

/* Every other provider folder of the original loads without an error when
 * no allow-list or registry gates the step types. */
static void
test_original_providers(void **state)
{
	static const char *const names[] = {
		"builtin", "container-team", "database-team", "identity-team",
		"test-team", "vault-team", NULL
	};
	const inn_load_ctx ctx = { NULL, NULL };
	size_t i;

	(void)state;
	for (i = 0; names[i] != NULL; i++) {
		inn_provider *p = NULL;
		inn_diag d;
		char rel[256];
		int rc;

		snprintf(rel, sizeof(rel), "providers/%s", names[i]);
		inn_diag_init(&d);
		rc = inn_provider_load_dir(&p, compat_path(rel), &ctx, &d);
		if (rc != 0 || d.nerrors != 0) {
			dump(&d);
			fail_msg("provider %s: %zu errors", names[i], d.nerrors);
		}
		assert_string_equal(p->name, names[i]);
		dump(&d); /* warnings, for the record */
		inn_provider_free(p);
		inn_diag_free(&d);
	}
}

/* The whole providers folder as one catalog: no resource type is claimed
 * twice, aliases resolve, operations name loaded workflows. */
static void
test_original_catalog(void **state)
{
	const inn_load_ctx ctx = { NULL, NULL };
	const char *dirs[1];
	const inn_provider *owner = NULL;
	const inn_resource_cap *cap;
	const inn_workflow *wf;
	inn_catalog *c = NULL;
	inn_diag d;
	char gp[4096];

	(void)state;
	inn_diag_init(&d);
	dirs[0] = strdup(compat_path("providers"));
	snprintf(gp, sizeof(gp), "%s", compat_path("goldenpaths.yaml"));
	assert_int_equal(inn_catalog_load(&c, dirs, 1, gp, &ctx, &d), INN_EINVAL);
	expect_s3_defect(&d);
	assert_int_equal(c->nproviders, 6); /* all but storage-team */
	assert_null(inn_catalog_provider(c, "storage-team"));
	assert_int_equal(c->ngoldenpaths, 0); /* goldenpaths.yaml is all comments */
	cap = inn_catalog_resource(c, "postgresql", &owner);
	assert_non_null(cap);
	assert_string_equal(owner->name, "database-team");
	assert_string_equal(cap->type, "postgres");
	assert_string_equal(cap->create, "provision-postgres");
	assert_string_equal(cap->update, "update-postgres");
	cap = inn_catalog_resource(c, "secrets", &owner);
	assert_non_null(cap);
	assert_string_equal(owner->name, "vault-team");
	assert_string_equal(cap->del, "delete-vault-space");
	assert_null(inn_catalog_resource(c, "minio-bucket", NULL));
	/* test-team lists only legacy resourceTypes: its provisioner creates */
	cap = inn_catalog_resource(c, "test-database", &owner);
	assert_non_null(cap);
	assert_string_equal(cap->create, "provision-test-db");
	wf = inn_catalog_workflow(c, "container-team/provision-container");
	assert_non_null(wf);
	assert_string_equal(wf->provider, "container-team");
	assert_string_equal(wf->operation, "create");
	assert_true(wf->nsteps >= 3);
	assert_string_equal(inn_workflow_step(wf, "create-git-repo")->plugin_type, "shell");
	inn_catalog_free(c);
	inn_diag_free(&d);
	free((char *)dirs[0]);
}

/* With the original admin-config.yaml as policy, the step types its
 * allowedStepTypes omits are refused at load time, naming file:line:col,
 * the step, the type and where the list lives. */
static void
test_original_providers_with_policy(void **state)
{
	inn_policy *pol = NULL;
	inn_load_ctx ctx = { NULL, NULL };
	inn_provider *p = NULL;
	inn_diag d;
	char want[12288], wf1[4096], wf2[4096], adm[4096];

	(void)state;
	snprintf(wf1, sizeof(wf1), "%s",
	         compat_path("providers/container-team/workflows/delete-argocd-app.yaml"));
	snprintf(wf2, sizeof(wf2), "%s",
	         compat_path("providers/container-team/workflows/delete-gitea-repo.yaml"));
	snprintf(adm, sizeof(adm), "%s", compat_path("admin-config.yaml"));
	ctx.policy = pol = policy_ok("admin-config.yaml");
	inn_diag_init(&d);
	assert_int_not_equal(inn_provider_load_dir(&p, compat_path("providers/container-team"),
	                                           &ctx, &d), 0);
	assert_null(p);
	/* argocd-app: step "delete-argocd-application" at line 27 */
	snprintf(want, sizeof(want), "%s:27:11: error: step \"delete-argocd-application\": "
	         "type \"argocd-app\" is not in workflowPolicies.allowedStepTypes (%s:",
	         wf1, adm);
	if (inn_diag_find(&d, want, NULL, 0) < 0) {
		dump(&d);
		fail_msg("expected: %s", want);
	}
	/* gitea-repo: step "delete-repository" at line 26 */
	snprintf(want, sizeof(want), "%s:26:11: error: step \"delete-repository\": "
	         "type \"gitea-repo\" is not in workflowPolicies.allowedStepTypes", wf2);
	if (inn_diag_find(&d, want, NULL, 0) < 0) {
		dump(&d);
		fail_msg("expected: %s", want);
	}
	/* policy and kubernetes are on the list */
	assert_int_equal(inn_diag_find(&d, "type \"policy\" is not", NULL, 0), -1);
	assert_int_equal(inn_diag_find(&d, "type \"kubernetes\" is not", NULL, 0), -1);
	inn_diag_free(&d);

	/* database-team uses only policy and kubernetes: accepted */
	inn_diag_init(&d);
	if (inn_provider_load_dir(&p, compat_path("providers/database-team"), &ctx, &d) != 0) {
		dump(&d);
		fail_msg("database-team refused under the original policy");
	}
	inn_provider_free(p);
	inn_diag_free(&d);
	inn_policy_free(pol);
}

/* Every Score spec of the original (examples/score*.yaml, dev-team-app.yaml
 * and the providers' examples) loads without an error. */
static void
test_original_score_specs(void **state)
{
	static const char *const dirs[] = {
		"examples", "providers/container-team/examples",
		"providers/database-team/examples", NULL
	};
	size_t i, count = 0;

	(void)state;
	for (i = 0; dirs[i] != NULL; i++) {
		char dir[4096];
		struct dirent *de;

		DIR *dp;

		snprintf(dir, sizeof(dir), "%s", compat_path(dirs[i]));
		assert_non_null(dp = opendir(dir));
		while ((de = readdir(dp)) != NULL) {
			char file[8192];
			inn_score *s = NULL;
			inn_diag d;

			if (strncmp(de->d_name, "score", 5) != 0 &&
			    strcmp(de->d_name, "dev-team-app.yaml") != 0)
				continue;
			snprintf(file, sizeof(file), "%s/%s", dir, de->d_name);
			inn_diag_init(&d);
			if (inn_score_load_file(&s, file, &d) != 0) {
				dump(&d);
				fail_msg("%s refused", file);
			}
			assert_non_null(s->app);
			inn_score_free(s);
			inn_diag_free(&d);
			count++;
		}
		closedir(dp);
	}
	assert_int_equal(count, 15);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_original_admin_config),
		cmocka_unit_test(test_example_admin_config),
		cmocka_unit_test(test_original_providers),
		cmocka_unit_test(test_original_storage_team_defect),
		cmocka_unit_test(test_original_catalog),
		cmocka_unit_test(test_original_providers_with_policy),
		cmocka_unit_test(test_original_score_specs),
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
