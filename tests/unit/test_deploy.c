/*
 * test_deploy.c - the engine's deployment plan (deploy.c) and parameter
 * rules (load_param.c): a Score spec resolved against a small catalog
 * written inline (types to create workflows, declared params kept, the
 * rest refused or noted, the template data before and after a resource
 * is provisioned, its secret outputs handed to the main run), and what a run is given (coercion, defaults, required,
 * allowed values, pattern, limits, secrets, the effective environment).
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
#include "exec.h"
#include "mask.h"
#include "model.h"
#include "testutil.h"

struct fixture {
	char *dir;
	inn_catalog *cat;
};

/* Two providers: db-team offers "pg" (create: make-db, which declares
 * name and password (secret) and size with a default), and "alias-db"
 * as an alias; web-team offers "cdn" only with a delete workflow. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tu_mkdtemp("deploy");
	assert_non_null(f->dir);
	tu_mkdir_in(f->dir, "db-team");
	tu_mkdir_in(f->dir, "db-team/workflows");
	tu_write_in(f->dir, "db-team/provider.yaml",
	            "name: db-team\nversion: 1.0.0\nworkflows_dir: workflows\n"
	            "capabilities:\n  resourceTypeCapabilities:\n"
	            "    - type: pg\n      operations:\n        create: {workflow: make-db}\n"
	            "    - type: alias-db\n      aliasFor: pg\n");
	tu_write_in(f->dir, "db-team/workflows/make-db.yaml",
	            "name: make-db\nparameters:\n"
	            "  - {name: name, type: string, required: true, pattern: '^[a-z]+$'}\n"
	            "  - {name: password, type: secret}\n"
	            "  - {name: size, type: integer, default: 5}\n"
	            "  - {name: tier, type: string, allowed_values: [small, large]}\n"
	            "steps:\n  - {name: a, type: shell, config: {script: 'true'}}\n"
	            "  - {name: b, type: shell, config: {script: 'true'}}\n");
	tu_mkdir_in(f->dir, "web-team");
	tu_mkdir_in(f->dir, "web-team/workflows");
	tu_write_in(f->dir, "web-team/provider.yaml",
	            "name: web-team\nversion: 1.0.0\nworkflows_dir: workflows\n"
	            "capabilities:\n  resourceTypeCapabilities:\n"
	            "    - type: cdn\n      operations:\n        delete: {workflow: drop-cdn}\n");
	tu_write_in(f->dir, "web-team/workflows/drop-cdn.yaml",
	            "name: drop-cdn\nsteps:\n  - {name: a, type: shell, config: {script: 'true'}}\n");
	f->cat = tu_catalog_load(f->dir, NULL);
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

/* The plan of yaml (a spec) with flags; expects rc, returns the plan (NULL
 * unless rc is 0).  The spec is freed first: the plan keeps what it needs. */
static inn_deploy *
plan_of(struct fixture *f, const char *yaml, int flags, inn_diag *d, int rc)
{
	inn_score *s = tu_spec(yaml);
	inn_deploy *plan = NULL;

	assert_int_equal(inn_deploy_plan(&plan, f->cat, s, flags, d), rc);
	inn_score_free(s);
	if (rc != 0)
		assert_null(plan);
	return plan;
}

static const char *
jstr(json_object *o, const char *a, const char *b)
{
	json_object *v;

	if (!json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b != NULL && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return json_object_get_string(v);
}

/* --- the plan ------------------------------------------------------------- */

static const char *const two_resources =
	"apiVersion: score.dev/v1b1\n"
	"metadata: {name: shop, team: red}\n"
	"containers: {web: {image: shop:1}}\n"
	"resources:\n"
	"  db: {type: pg, params: {name: shop, colour: blue}}\n"
	"  db2: {type: alias-db, params: {name: other}}\n";

static void
test_plan_resolves_types_and_builds_data(void **state)
{
	const inn_deploy_part *p;
	json_object *data, *res;
	inn_deploy *plan;
	inn_diag d;

	inn_diag_init(&d);
	plan = plan_of(*state, two_resources, 0, &d, 0);
	assert_int_equal(inn_deploy_nparts(plan), 2);
	p = inn_deploy_part_at(plan, 0);
	assert_string_equal(p->name, "db");
	assert_string_equal(p->type, "pg");
	assert_string_equal(p->provider->name, "db-team");
	assert_string_equal(p->wf->name, "make-db");
	/* declared params are kept, the rest is noted at the resource's line */
	assert_string_equal(jstr(p->params, "name", NULL), "shop");
	assert_false(json_object_object_get_ex(p->params, "colour", NULL));
	assert_int_equal(d.nerrors, 0);
	assert_true(inn_diag_find(&d, "score.yaml:5:", NULL, 0) >= 0);
	assert_true(inn_diag_find(&d, "warning: resource \"db\": its type \"pg\" (workflow "
	                          "make-db) has no parameter \"colour\"; it is not passed",
	                          NULL, 0) >= 0);
	/* an alias type resolves to its target's create workflow */
	p = inn_deploy_part_at(plan, 1);
	assert_string_equal(p->type, "alias-db");
	assert_string_equal(p->wf->name, "make-db");
	assert_int_equal(json_object_object_length(p->params), 1);
	assert_null(inn_deploy_part_at(plan, 2));
	assert_int_equal(inn_deploy_nsteps(plan), 4);
	/* the data templates see: app and a placeholder per resource */
	data = inn_deploy_data(plan);
	assert_string_equal(jstr(data, "app", "name"), "shop");
	assert_non_null(jstr(data, "app", "containers"));
	assert_true(json_object_object_get_ex(data, "resources", &res));
	assert_string_equal(jstr(res, "db", "name"), "db");
	assert_string_equal(jstr(res, "db", "type"), "pg");
	assert_null(jstr(res, "db", "host"));
	/* the plan keeps its own copy of the spec's parts */
	assert_string_equal(jstr(json_object_object_get(data, "app"), "metadata", "team"), "red");
	inn_deploy_free(plan);
	inn_diag_free(&d);
}

static void
test_plan_strict_refuses_undeclared(void **state)
{
	inn_diag d;

	inn_diag_init(&d);
	plan_of(*state, two_resources, INN_DEPLOY_STRICT, &d, INN_EINVAL);
	assert_string_equal(inn_error_last(), "resource \"db\": its type \"pg\" (workflow "
	                    "make-db) has no parameter \"colour\"");
	assert_int_equal(d.nerrors, 1);
	assert_true(inn_diag_find(&d, "score.yaml:5:", NULL, 0) >= 0);
	inn_diag_free(&d);
}

/* Each resource's params are checked as its run will take them before
 * anything is provisioned, and every resource's problems are reported at
 * once (not the first one, after the resources before it ran). */
static void
test_plan_checks_every_resource_first(void **state)
{
	inn_diag d;

	inn_diag_init(&d);
	plan_of(*state, "apiVersion: score.dev/v1b1\nmetadata: {name: a}\n"
	        "containers: {web: {image: a}}\nresources:\n"
	        "  ok: {type: pg, params: {name: fine}}\n"
	        "  noname: {type: pg}\n"
	        "  badname: {type: pg, params: {name: Bad1, size: many}}\n"
	        "  nope: {type: redis}\n", 0, &d, INN_EINVAL);
	assert_true(inn_diag_find(&d, "score.yaml:6:", NULL, 0) >= 0);
	assert_true(inn_diag_find(&d, "resource \"noname\": workflow \"make-db\": parameter "
	                          "\"name\": is required", NULL, 0) >= 0);
	assert_true(inn_diag_find(&d, "resource \"badname\":", NULL, 0) >= 0);
	assert_true(inn_diag_find(&d, "resource \"nope\": no provider offers type \"redis\"",
	                          NULL, 0) >= 0);
	assert_int_equal(d.nerrors, 3);
	inn_diag_free(&d);
}

static void
test_plan_unknown_type_and_no_create(void **state)
{
	plan_of(*state, "apiVersion: score.dev/v1b1\nmetadata: {name: a}\n"
	        "containers: {web: {image: a}}\nresources:\n  x: {type: redis}\n", 0, NULL,
	        INN_EINVAL);
	assert_string_equal(inn_error_last(), "resource \"x\": no provider offers type "
	                    "\"redis\" with a create workflow");
	/* a type whose provider has no create workflow for it */
	plan_of(*state, "apiVersion: score.dev/v1b1\nmetadata: {name: a}\n"
	        "containers: {web: {image: a}}\nresources:\n  c: {type: cdn}\n", 0, NULL,
	        INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "no provider offers type \"cdn\" with a create");
}

static void
test_plan_resource_limit(void **state)
{
	char yaml[16384];
	size_t used, i;

	used = (size_t)snprintf(yaml, sizeof(yaml), "apiVersion: score.dev/v1b1\n"
	                        "metadata: {name: a}\ncontainers: {web: {image: a}}\n"
	                        "resources:\n");
	for (i = 0; i <= INN_DEPLOY_RESOURCES_MAX; i++)
		used += (size_t)snprintf(yaml + used, sizeof(yaml) - used,
		                         "  r%zu: {type: pg, params: {name: x}}\n", i);
	assert_true(used < sizeof(yaml));
	plan_of(*state, yaml, 0, NULL, INN_EINVAL);
	assert_string_equal(inn_error_last(), "101 resources, more than the limit of 100 "
	                    "resources in one spec (this is resource 101)");
}

static void
test_plan_without_spec(void **state)
{
	struct fixture *f = *state;
	inn_deploy *plan = NULL;
	json_object *res;

	assert_int_equal(inn_deploy_plan(&plan, f->cat, NULL, INN_DEPLOY_STRICT, NULL), 0);
	assert_int_equal(inn_deploy_nparts(plan), 0);
	assert_int_equal(inn_deploy_nsteps(plan), 0);
	assert_false(json_object_object_get_ex(inn_deploy_data(plan), "app", NULL));
	assert_true(json_object_object_get_ex(inn_deploy_data(plan), "resources", &res));
	assert_int_equal(json_object_object_length(res), 0);
	inn_deploy_free(plan);
}

static void
test_resource_done_merges_outputs(void **state)
{
	inn_deploy *plan = plan_of(*state, two_resources, 0, NULL, 0);
	json_object *outs = json_object_new_object(), *res;

	json_object_object_add(outs, "host", json_object_new_string("db.internal"));
	json_object_object_add(outs, "port", json_object_new_int(5432));
	assert_int_equal(inn_deploy_resource_done(plan, 0, outs, NULL), 0);
	json_object_put(outs); /* the plan keeps its own references */
	assert_int_equal(inn_deploy_resource_done(plan, 1, NULL, NULL), 0);
	assert_int_equal(inn_deploy_resource_done(plan, 2, NULL, NULL), INN_EINVAL);
	assert_int_equal(json_object_array_length(inn_deploy_secrets(plan)), 0);
	assert_true(json_object_object_get_ex(inn_deploy_data(plan), "resources", &res));
	assert_string_equal(jstr(res, "db", "host"), "db.internal");
	assert_string_equal(jstr(res, "db", "port"), "5432");
	assert_string_equal(jstr(res, "db", "name"), "db");
	assert_string_equal(jstr(res, "db", "type"), "pg");
	assert_string_equal(jstr(res, "db2", "type"), "alias-db");
	inn_deploy_free(plan);
}

static void
test_resource_secrets_reach_the_main_run(void **state)
{
	inn_deploy *plan = plan_of(*state, two_resources, 0, NULL, 0);
	json_object *outs = json_object_new_object(), *done, *comp, *mask, *res;
	inn_masker *m = NULL;

	/* nothing secret yet: the main run gets its completed steps as they are */
	assert_null(inn_deploy_main_completed(plan, NULL));
	assert_int_equal(inn_masker_new(&m), 0);
	assert_int_equal(inn_masker_add(m, "s3cr3t-pw"), 0);
	json_object_object_add(outs, "password", json_object_new_string("s3cr3t-pw"));
	json_object_object_add(outs, "dsn", json_object_new_string("pg://u:s3cr3t-pw@h"));
	assert_int_equal(inn_deploy_resource_done(plan, 0, outs, m), 0);
	/* templates see the real value; the whole secret is kept for masking */
	assert_true(json_object_object_get_ex(inn_deploy_data(plan), "resources", &res));
	assert_string_equal(jstr(res, "db", "password"), "s3cr3t-pw");
	assert_int_equal(json_object_array_length(inn_deploy_secrets(plan)), 1);
	done = json_tokener_parse("{\"a\": {\"x\": \"1\"}, \"*mask\": [\"old-one\"]}");
	comp = inn_deploy_main_completed(plan, done);
	assert_non_null(comp);
	assert_true(json_object_object_get_ex(comp, "a", NULL));
	assert_true(json_object_object_get_ex(comp, INN_COMPLETED_MASK, &mask));
	assert_int_equal(json_object_array_length(mask), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(mask, 1)),
	                    "s3cr3t-pw");
	/* the caller's completed steps are not changed */
	assert_true(json_object_object_get_ex(done, INN_COMPLETED_MASK, &mask));
	assert_int_equal(json_object_array_length(mask), 1);
	json_object_put(comp);
	json_object_put(done);
	json_object_put(outs);
	inn_masker_free(m);
	inn_deploy_free(plan);
}

/* --- the parameters a run gets -------------------------------------------- */

static const inn_workflow *
make_db(struct fixture *f)
{
	const inn_workflow *wf = inn_catalog_workflow(f->cat, "db-team/make-db");

	assert_non_null(wf);
	return wf;
}

/* Resolves json for make-db; returns the result code, *out when 0. */
static int
resolve(struct fixture *f, const char *json, json_object **out)
{
	json_object *g = json_tokener_parse(json);
	int rc;

	assert_non_null(g);
	rc = inn_params_resolve(make_db(f), g, out);

	json_object_put(g);
	return rc;
}

static void
test_params_coerce_and_default(void **state)
{
	struct fixture *f = *state;
	json_object *out = NULL, *v;

	assert_int_equal(resolve(f, "{\"name\": \"shop\", \"size\": \"12\"}", &out), 0);
	assert_true(json_object_object_get_ex(out, "size", &v));
	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int(v), 12);
	/* an optional one without a default is there, as null */
	assert_true(json_object_object_get_ex(out, "password", &v));
	assert_null(v);
	json_object_put(out);
	/* a default fills in what is not given */
	assert_int_equal(resolve(f, "{\"name\": \"shop\"}", &out), 0);
	assert_true(json_object_object_get_ex(out, "size", &v));
	assert_int_equal(json_object_get_int(v), 5);
	json_object_put(out);
}

static void
test_params_refused(void **state)
{
	struct fixture *f = *state;
	json_object *out = NULL;

	assert_int_equal(resolve(f, "{}", &out), INN_EINVAL);
	assert_null(out);
	TU_ASSERT_CONTAINS(inn_error_last(), "workflow \"make-db\": parameter \"name\": is "
	                   "required");
	{
		/* each refused with the message a user sees (exactly) */
		static const struct { const char *given, *message; } cases[] = {
			{ "{\"name\": \"a\", \"nope\": 1}", "workflow \"make-db\" has no parameter "
			  "\"nope\" (it declares: name, password, size, tier)" },
			{ "{\"name\": \"a\", \"size\": \"three\"}", "workflow \"make-db\": parameter "
			  "\"size\": \"three\" is not an integer" },
			{ "{\"name\": \"Shop\"}", "workflow \"make-db\": parameter \"name\": \"Shop\" "
			  "does not match the pattern ^[a-z]+$" },
			{ "{\"name\": \"a\", \"tier\": \"huge\"}", "workflow \"make-db\": parameter "
			  "\"tier\": \"huge\" is not one of the allowed values [\"small\",\"large\"]" },
		};
		size_t i;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			assert_int_equal(resolve(f, cases[i].given, &out), INN_EINVAL);
			assert_string_equal(inn_error_last(), cases[i].message);
		}
	}
	assert_null(out);
}

static void
test_params_limits(void **state)
{
	struct fixture *f = *state;
	json_object *g = json_object_new_object(), *out = NULL;
	char *big = malloc(INN_PARAM_VALUE_MAX + 2);

	assert_non_null(big);
	memset(big, 'a', INN_PARAM_VALUE_MAX + 1);
	big[INN_PARAM_VALUE_MAX + 1] = '\0';
	json_object_object_add(g, "name", json_object_new_string(big));
	assert_int_equal(inn_params_resolve(make_db(f), g, &out), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "parameter \"name\": a value is");
	TU_ASSERT_CONTAINS(inn_error_last(), "more than the limit of");
	json_object_object_add(g, "name", json_object_new_string_len("a\0b", 3));
	assert_int_equal(inn_params_resolve(make_db(f), g, &out), INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "may not contain a NUL character");
	assert_null(out);
	free(big);
	json_object_put(g);
}

static void
test_params_secret_never_quoted(void **state)
{
	struct fixture *f = *state;
	json_object *out = NULL;
	inn_masker *m = NULL;
	char *t;

	/* a secret's value is masked once resolved */
	assert_int_equal(resolve(f, "{\"name\": \"a\", \"password\": \"hunter2\"}", &out), 0);
	assert_int_equal(inn_masker_new(&m), 0);
	assert_int_equal(inn_params_mask_secrets(make_db(f), out, m), 0);
	t = inn_masker_apply(m, "pw=hunter2", 10, NULL);
	assert_non_null(t);
	assert_string_equal(t, "pw=" INN_MASK_TEXT);
	free(t);
	inn_masker_free(m);
	json_object_put(out);
}

static void
test_params_environment(void **state)
{
	struct fixture *f = *state;
	const char *wf_yaml = "name: w\nparameters:\n  - {name: environment, default: dev}\n"
	                      "steps:\n  - {name: a, type: shell, config: {script: 'true'}}\n";
	inn_workflow *wf = NULL;
	json_object *g;
	inn_diag d;

	(void)f;
	inn_diag_init(&d);
	assert_int_equal(inn_workflow_load_string(&wf, "w.yaml", wf_yaml, strlen(wf_yaml), NULL,
	                                          &d), 0);
	assert_string_equal(inn_params_environment(wf, NULL), "dev");
	g = json_tokener_parse("{\"environment\": \"prod\"}");
	assert_string_equal(inn_params_environment(wf, g), "prod");
	json_object_put(g);
	g = json_tokener_parse("{\"environment\": 7}");
	assert_null(inn_params_environment(wf, g));
	json_object_put(g);
	assert_null(inn_params_environment(make_db(*state), NULL));
	inn_workflow_free(wf);
	inn_diag_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_resolves_types_and_builds_data),
		cmocka_unit_test(test_plan_strict_refuses_undeclared),
		cmocka_unit_test(test_plan_checks_every_resource_first),
		cmocka_unit_test(test_plan_unknown_type_and_no_create),
		cmocka_unit_test(test_plan_resource_limit),
		cmocka_unit_test(test_plan_without_spec),
		cmocka_unit_test(test_resource_done_merges_outputs),
		cmocka_unit_test(test_resource_secrets_reach_the_main_run),
		cmocka_unit_test(test_params_coerce_and_default),
		cmocka_unit_test(test_params_refused),
		cmocka_unit_test(test_params_limits),
		cmocka_unit_test(test_params_secret_never_quoted),
		cmocka_unit_test(test_params_environment),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
