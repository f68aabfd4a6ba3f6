/*
 * test_phases.c - which platform (golden path) and product (provider)
 * workflows run around a deployment (phases.c, inn_phase_select): by
 * phase, platform before product; first_deployment only on the first
 * deployment, product_deployment for a provider's workflow only when the
 * app uses one of its types, manual never; a provider's create workflow
 * never; one that cannot get a required parameter left out with a
 * warning; the standard inputs and defaults each gets.
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

#include "deploy.h"
#include "error.h"
#include "model.h"
#include "phases.h"
#include "testutil.h"

struct fixture {
	char *dir;
	inn_catalog *cat;
};

#define STEP "steps:\n  - {name: a, type: shell, config: {script: 'true'}}\n"

static void
provider_wf(const char *dir, const char *prov, const char *name, const char *extra)
{
	char rel[512], text[2048];

	snprintf(rel, sizeof(rel), "%s/workflows/%s.yaml", prov, name);
	snprintf(text, sizeof(text), "name: %s\n%s" STEP, name, extra);
	tu_write_in(dir, rel, text);
}

/* db-team offers pg (its create workflow has a phase, and still never
 * runs as one) and product workflows for each trigger; cache-team offers
 * redis and one product workflow; two golden paths carry platform
 * workflows, a third one a workflow without a phase. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char gp[4096];

	assert_non_null(f);
	f->dir = tu_mkdtemp("phases");
	assert_non_null(f->dir);
	tu_mkdir_in(f->dir, "providers");
	tu_mkdir_in(f->dir, "providers/db-team");
	tu_mkdir_in(f->dir, "providers/db-team/workflows");
	tu_write_in(f->dir, "providers/db-team/provider.yaml",
	            "name: db-team\nversion: 1.0.0\nworkflows_dir: workflows\n"
	            "capabilities:\n  resourceTypeCapabilities:\n"
	            "    - type: pg\n      operations:\n        create: {workflow: make-db}\n");
	provider_wf(f->dir, "providers/db-team", "make-db",
	            "phase: pre-deployment\ntriggers: [product_deployment]\n");
	provider_wf(f->dir, "providers/db-team", "db-init",
	            "phase: pre-deployment\ntriggers: [first_deployment]\n"
	            "parameters:\n  - {name: app_name, type: string, required: true}\n"
	            "  - {name: level, type: integer, default: 3}\n");
	provider_wf(f->dir, "providers/db-team", "db-backup",
	            "phase: post-deployment\ntriggers: [manual, product_deployment]\n");
	provider_wf(f->dir, "providers/db-team", "db-manual",
	            "phase: deployment\ntriggers: [manual]\n");
	provider_wf(f->dir, "providers/db-team", "db-needs",
	            "phase: post-deployment\ntriggers: [product_deployment]\n"
	            "parameters:\n  - {name: bucket, type: string, required: true}\n");
	provider_wf(f->dir, "providers/db-team", "db-nophase", "");
	tu_mkdir_in(f->dir, "providers/cache-team");
	tu_mkdir_in(f->dir, "providers/cache-team/workflows");
	tu_write_in(f->dir, "providers/cache-team/provider.yaml",
	            "name: cache-team\nversion: 1.0.0\nworkflows_dir: workflows\n"
	            "capabilities:\n  resourceTypeCapabilities:\n"
	            "    - type: redis\n      operations:\n        create: {workflow: make-cache}\n");
	provider_wf(f->dir, "providers/cache-team", "make-cache", "");
	provider_wf(f->dir, "providers/cache-team", "cache-warm",
	            "phase: post-deployment\ntriggers: [product_deployment]\n");
	tu_mkdir_in(f->dir, "gp");
	tu_mkdir_in(f->dir, "gp/workflows");
	tu_write_in(f->dir, "gp/workflows/audit.yaml",
	            "name: audit\nphase: pre-deployment\ntriggers: [product_deployment]\n"
	            "parameters:\n  - {name: namespace, type: string}\n" STEP);
	tu_write_in(f->dir, "gp/workflows/welcome.yaml",
	            "name: welcome\nphase: post-deployment\ntriggers: [first_deployment]\n" STEP);
	tu_write_in(f->dir, "gp/workflows/plain.yaml", "name: plain\n" STEP);
	tu_write_in(f->dir, "gp/goldenpaths.yaml",
	            "goldenpaths:\n  audit: ./workflows/audit.yaml\n"
	            "  welcome: ./workflows/welcome.yaml\n  plain: ./workflows/plain.yaml\n");
	snprintf(gp, sizeof(gp), "%s/gp/goldenpaths.yaml", f->dir);
	f->cat = tu_catalog_load(tu_path(f->dir, "providers"), gp);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	inn_catalog_free(f->cat);
	tu_rmrf_free(f->dir);
	free(f);
	return 0;
}

static inn_deploy *
plan_of(struct fixture *f, const char *resources)
{
	char yaml[2048];
	inn_score *s = NULL;
	inn_deploy *plan = NULL;
	inn_diag d;

	snprintf(yaml, sizeof(yaml), "apiVersion: score.dev/v1b1\nmetadata: {name: shop}\n"
	         "containers: {web: {image: shop:1}}\nresources: %s\n", resources);
	inn_diag_init(&d);
	assert_int_equal(inn_score_load_string(&s, "score.yaml", yaml, strlen(yaml), &d), 0);
	assert_int_equal(inn_deploy_plan_lifecycle(&plan, f->cat, "shop", s, NULL, 0,
	                                           INN_DEPLOY_STRICT, &d), 0);
	inn_score_free(s);
	inn_diag_free(&d);
	return plan;
}

/* "phase:provider/workflow(trigger)" for each entry, joined by blanks. */
static void
describe(const inn_phase_entry *e, size_t n, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s:%s%s%s(%s)", i ? " " : "",
		                         inn_phase_name(e[i].phase),
		                         e[i].provider ? e[i].provider->name : "",
		                         e[i].provider ? "/" : "", e[i].wf->name, e[i].trigger);
}

static void
test_first_deployment_order_and_triggers(void **state)
{
	struct fixture *f = *state;
	inn_deploy *plan = plan_of(f, "{db: {type: pg}}");
	inn_phase_entry *e = NULL;
	size_t n = 0;
	char got[2048];
	inn_diag d;

	inn_diag_init(&d);
	assert_int_equal(inn_phase_select(f->cat, plan, "shop", 1, &e, &n, &d), 0);
	describe(e, n, got, sizeof(got));
	/* not make-db (a create workflow), not db-manual, not cache-warm (no
	 * redis here), not db-nophase, not plain; db-needs left out, warned */
	assert_string_equal(got, "pre-deployment:audit(product_deployment) "
	                    "pre-deployment:db-team/db-init(first_deployment) "
	                    "post-deployment:welcome(first_deployment) "
	                    "post-deployment:db-team/db-backup(product_deployment)");
	assert_true(inn_diag_find(&d, "warning: product workflow db-team/db-needs "
	                          "(post-deployment, trigger product_deployment) does not "
	                          "run: its required parameter \"bucket\" has no default",
	                          NULL, 0) >= 0);
	assert_int_equal(d.nerrors, 0);
	/* the standard inputs each declares, and defaults */
	assert_string_equal(json_object_get_string(json_object_object_get(e[0].params,
	                                                                  "namespace")),
	                    "shop-default");
	assert_int_equal(json_object_object_length(e[0].params), 1);
	assert_string_equal(json_object_get_string(json_object_object_get(e[1].params,
	                                                                  "app_name")), "shop");
	assert_int_equal(json_object_get_int(json_object_object_get(e[1].params, "level")), 3);
	assert_null(e[2].provider);
	inn_phase_entries_free(e, n);
	inn_deploy_free(plan);
	inn_diag_free(&d);
}

static void
test_later_deployment_and_product_scope(void **state)
{
	struct fixture *f = *state;
	inn_deploy *plan = plan_of(f, "{db: {type: pg}, c: {type: redis}}");
	inn_phase_entry *e = NULL;
	size_t n = 0;
	char got[2048];

	/* first_deployment workflows do not run again; redis brings cache-warm */
	assert_int_equal(inn_phase_select(f->cat, plan, "shop", 0, &e, &n, NULL), 0);
	describe(e, n, got, sizeof(got));
	assert_string_equal(got, "pre-deployment:audit(product_deployment) "
	                    "post-deployment:cache-team/cache-warm(product_deployment) "
	                    "post-deployment:db-team/db-backup(product_deployment)");
	inn_phase_entries_free(e, n);
	inn_deploy_free(plan);

	/* an app without resources: only the platform's */
	plan = plan_of(f, "{}");
	assert_int_equal(inn_phase_select(f->cat, plan, "shop", 0, &e, &n, NULL), 0);
	describe(e, n, got, sizeof(got));
	assert_string_equal(got, "pre-deployment:audit(product_deployment)");
	inn_phase_entries_free(e, n);
	inn_deploy_free(plan);
}

static void
test_app_deletion_runs_no_phases(void **state)
{
	struct fixture *f = *state;
	inn_deploy_prev prev = { .name = "db", .type = "pg", .status = "active" };
	inn_deploy *plan = NULL;
	inn_phase_entry *e = NULL;
	size_t n = 7;

	assert_int_equal(inn_deploy_plan_lifecycle(&plan, f->cat, "shop", NULL, &prev, 1, 0,
	                                           NULL), 0);
	assert_int_equal(inn_deploy_nparts(plan), 1);
	assert_int_equal(inn_phase_select(f->cat, plan, "shop", 1, &e, &n, NULL), 0);
	assert_int_equal(n, 0);
	inn_phase_entries_free(e, n);
	inn_deploy_free(plan);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_deployment_order_and_triggers),
		cmocka_unit_test(test_later_deployment_and_product_scope),
		cmocka_unit_test(test_app_deletion_runs_no_phases),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
