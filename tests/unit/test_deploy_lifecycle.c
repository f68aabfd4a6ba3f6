/*
 * test_deploy_lifecycle.c - what a deployment of a Score spec does with
 * each resource against what earlier deployments left (deploy.c,
 * inn_deploy_plan_lifecycle): created when new, kept when unchanged (the
 * same fingerprint whatever order the params are written in), updated when
 * a value changed, deleted when gone from a declarative spec or when the
 * app is deleted (in reverse dependency order, after everything else);
 * dependencies from resources.<r> references, cycles, every problem of a
 * spec reported in one go, and the containers' placeholders resolved.
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
#include "testutil.h"

struct fixture {
	char *dir;
	inn_catalog *cat;
};

#define STEP "steps:\n  - {name: a, type: shell, config: {script: 'true'}}\n"

/* db-team offers "pg" with create, update and delete workflows; cache-team
 * offers "redis" with create and delete only; web-team offers "cdn" with
 * a create workflow only. */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->dir = tu_mkdtemp("lifecycle");
	assert_non_null(f->dir);
	tu_mkdir_in(f->dir, "db-team");
	tu_mkdir_in(f->dir, "db-team/workflows");
	tu_write_in(f->dir, "db-team/provider.yaml",
	            "name: db-team\nversion: 1.0.0\nworkflows_dir: workflows\n"
	            "capabilities:\n  resourceTypeCapabilities:\n"
	            "    - type: pg\n      operations:\n        create: {workflow: make-db}\n"
	            "        update: {workflow: grow-db}\n        delete: {workflow: drop-db}\n");
	tu_write_in(f->dir, "db-team/workflows/make-db.yaml",
	            "name: make-db\nparameters:\n"
	            "  - {name: size, type: integer, default: 5}\n"
	            "  - {name: tier, type: string, allowed_values: [small, large]}\n"
	            "  - {name: host, type: string}\n"
	            "  - {name: app_name, type: string}\n" STEP);
	tu_write_in(f->dir, "db-team/workflows/grow-db.yaml",
	            "name: grow-db\nparameters:\n"
	            "  - {name: size, type: integer, default: 5}\n"
	            "  - {name: tier, type: string}\n" STEP);
	tu_write_in(f->dir, "db-team/workflows/drop-db.yaml",
	            "name: drop-db\nparameters:\n"
	            "  - {name: resource_name, type: string}\n"
	            "  - {name: size, type: integer}\n" STEP);
	tu_mkdir_in(f->dir, "cache-team");
	tu_mkdir_in(f->dir, "cache-team/workflows");
	tu_write_in(f->dir, "cache-team/provider.yaml",
	            "name: cache-team\nversion: 1.0.0\nworkflows_dir: workflows\n"
	            "capabilities:\n  resourceTypeCapabilities:\n"
	            "    - type: redis\n      operations:\n        create: {workflow: make-cache}\n"
	            "        delete: {workflow: drop-cache}\n");
	tu_write_in(f->dir, "cache-team/workflows/make-cache.yaml",
	            "name: make-cache\nparameters:\n  - {name: url, type: string}\n"
	            "  - {name: opts, type: map}\n" STEP);
	tu_write_in(f->dir, "cache-team/workflows/drop-cache.yaml",
	            "name: drop-cache\n" STEP);
	tu_mkdir_in(f->dir, "web-team");
	tu_mkdir_in(f->dir, "web-team/workflows");
	tu_write_in(f->dir, "web-team/provider.yaml",
	            "name: web-team\nversion: 1.0.0\nworkflows_dir: workflows\n"
	            "capabilities:\n  resourceTypeCapabilities:\n"
	            "    - type: cdn\n      operations:\n        create: {workflow: make-cdn}\n");
	tu_write_in(f->dir, "web-team/workflows/make-cdn.yaml",
	            "name: make-cdn\nparameters:\n  - {name: origin, type: string}\n" STEP);
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

/* The plan of yaml (NULL: the app is deleted) against prev; expects rc. */
static inn_deploy *
plan_of(struct fixture *f, const char *yaml, const inn_deploy_prev *prev, size_t nprev,
        int flags, inn_diag *d, int rc)
{
	inn_score *s = yaml != NULL ? tu_spec(yaml) : NULL;
	inn_deploy *plan = NULL;

	assert_int_equal(inn_deploy_plan_lifecycle(&plan, f->cat, "shop", s, prev, nprev, flags,
	                                           d), rc);
	inn_score_free(s);
	if (rc != 0)
		assert_null(plan);
	else
		assert_non_null(plan);
	return plan;
}

static const inn_deploy_part *
part_named(const inn_deploy *plan, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < inn_deploy_nparts(plan); i++)
		if (strcmp(inn_deploy_part_at(plan, i)->name, name) == 0) {
			if (idx != NULL)
				*idx = i;
			return inn_deploy_part_at(plan, i);
		}
	fail_msg("no part %s", name);
	return NULL;
}

static int
depends(const inn_deploy_part *p, size_t j)
{
	size_t k;

	for (k = 0; k < p->ndeps; k++)
		if (p->deps[k] == j)
			return 1;
	return 0;
}

/* The fingerprint of the single resource of yaml. */
static void
fingerprint_of(const char *yaml, char out[33])
{
	inn_score *s = tu_spec(yaml);

	assert_int_equal(s->nresources, 1);
	assert_int_equal(inn_deploy_fingerprint(&s->resources[0], out), 0);
	assert_int_equal(strlen(out), 32);
	inn_score_free(s);
}

#define HEAD "apiVersion: score.dev/v1b1\nmetadata: {name: shop}\n" \
	"containers: {web: {image: shop:1}}\nresources:\n"

/* --- create / update / keep / delete -------------------------------------- */

static void
test_fingerprint_ignores_key_order_not_values(void **state)
{
	char a[33], b[33], c[33], e[33];

	(void)state;
	fingerprint_of(HEAD "  db: {type: pg, params: {size: 5, tier: small}}\n", a);
	fingerprint_of(HEAD "  db:\n    params: {tier: small, size: 5}\n    type: pg\n", b);
	fingerprint_of(HEAD "  db: {type: pg, params: {size: 6, tier: small}}\n", c);
	fingerprint_of(HEAD "  db: {type: pg, params: {size: '5', tier: small}}\n", e);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, e);
	/* nested maps too */
	fingerprint_of(HEAD "  c: {type: redis, params: {opts: {x: 1, y: [1, 2]}}}\n", a);
	fingerprint_of(HEAD "  c: {type: redis, params: {opts: {y: [1, 2], x: 1}}}\n", b);
	fingerprint_of(HEAD "  c: {type: redis, params: {opts: {y: [2, 1], x: 1}}}\n", c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
}

static void
test_first_deployment_creates_everything(void **state)
{
	const inn_deploy_part *p;
	inn_deploy *plan;
	inn_diag d;

	inn_diag_init(&d);
	plan = plan_of(*state, HEAD "  db: {type: pg, params: {size: 7}}\n"
	               "  cache: {type: redis}\n", NULL, 0,
	               INN_DEPLOY_STRICT | INN_DEPLOY_DECLARATIVE, &d, 0);
	assert_int_equal(inn_deploy_nparts(plan), 2);
	p = part_named(plan, "db", NULL);
	assert_int_equal(p->op, INN_DEPLOY_CREATE);
	assert_string_equal(inn_deploy_op_name(p->op), "create");
	assert_string_equal(p->wf->name, "make-db");
	assert_string_equal(p->provider->name, "db-team");
	assert_int_equal(json_object_get_int(json_object_object_get(p->params, "size")), 7);
	/* the standard input it declares */
	assert_string_equal(json_object_get_string(json_object_object_get(p->params,
	                                                                  "app_name")), "shop");
	assert_int_equal(strlen(p->fingerprint), 32);
	assert_int_equal(p->ndeps, 0);
	assert_int_equal(part_named(plan, "cache", NULL)->op, INN_DEPLOY_CREATE);
	assert_int_equal(d.nerrors, 0);
	inn_deploy_free(plan);
	inn_diag_free(&d);
}

/* A second deployment: the unchanged resource (params in another order) is
 * kept with its stored outputs in the template data and its secret output
 * masked; the changed one is updated through its update workflow; the one
 * whose create failed is created again; the one that is gone is deleted. */
static void
test_second_deployment_keeps_updates_deletes(void **state)
{
	char fp_db[33], fp_cache[33];
	inn_deploy_prev prev[4];
	json_object *db_out = json_object_new_object(), *secret_keys = json_object_new_array();
	json_object *db_params = json_object_new_object(), *cache_params = json_object_new_object();
	json_object *res, *secrets;
	const inn_deploy_part *p;
	inn_deploy *plan;
	size_t i;
	inn_diag d;

	fingerprint_of(HEAD "  db: {type: pg, params: {tier: small, size: 5}}\n", fp_db);
	fingerprint_of(HEAD "  cache: {type: redis, params: {url: old}}\n", fp_cache);
	json_object_object_add(db_out, "host", json_object_new_string("db.internal"));
	json_object_object_add(db_out, "password", json_object_new_string("pw-s3cr3t"));
	json_object_array_add(secret_keys, json_object_new_string("password"));
	json_object_object_add(cache_params, "url", json_object_new_string("old"));
	json_object_object_add(db_params, "size", json_object_new_int(5));
	memset(prev, 0, sizeof(prev));
	prev[0] = (inn_deploy_prev){ .name = "db", .type = "pg", .provider = "db-team",
	                             .status = "active", .fingerprint = fp_db,
	                             .params = db_params, .outputs = db_out,
	                             .secret_keys = secret_keys };
	prev[1] = (inn_deploy_prev){ .name = "cache", .type = "redis", .status = "active",
	                             .fingerprint = fp_cache, .params = cache_params };
	prev[2] = (inn_deploy_prev){ .name = "cdn", .type = "cdn", .status = "failed" };
	prev[3] = (inn_deploy_prev){ .name = "old", .type = "pg", .status = "active",
	                             .fingerprint = fp_db, .params = db_params };
	inn_diag_init(&d);
	plan = plan_of(*state, HEAD "  db: {type: pg, params: {size: 5, tier: small}}\n"
	               "  cache: {type: redis, params: {url: new}}\n"
	               "  cdn: {type: cdn}\n", prev, 4,
	               INN_DEPLOY_STRICT | INN_DEPLOY_DECLARATIVE, &d, 0);
	assert_int_equal(inn_deploy_nparts(plan), 4);
	/* spec order, then the deleted ones */
	assert_string_equal(inn_deploy_part_at(plan, 0)->name, "db");
	assert_string_equal(inn_deploy_part_at(plan, 3)->name, "old");

	p = part_named(plan, "db", NULL);
	assert_int_equal(p->op, INN_DEPLOY_KEEP);
	assert_string_equal(p->fingerprint, fp_db);
	assert_int_equal(inn_deploy_nsteps(plan), 3); /* keep runs nothing */
	assert_true(json_object_object_get_ex(inn_deploy_data(plan), "resources", &res));
	assert_string_equal(json_object_get_string(json_object_object_get(
		json_object_object_get(res, "db"), "host")), "db.internal");
	secrets = inn_deploy_secrets(plan);
	assert_int_equal(json_object_array_length(secrets), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(secrets, 0)),
	                    "pw-s3cr3t");

	/* redis has no update workflow: created again, and said so */
	p = part_named(plan, "cache", NULL);
	assert_int_equal(p->op, INN_DEPLOY_UPDATE);
	assert_string_equal(p->wf->name, "make-cache");
	assert_non_null(p->note);
	TU_ASSERT_CONTAINS(p->note, "url");
	assert_true(inn_diag_find(&d, "warning: resource \"cache\": provider \"cache-team\" has "
	                          "no update workflow for type \"redis\"", NULL, 0) >= 0);

	/* failed without a fingerprint: its create failed, so it is created */
	p = part_named(plan, "cdn", NULL);
	assert_int_equal(p->op, INN_DEPLOY_CREATE);

	p = part_named(plan, "old", &i);
	assert_int_equal(p->op, INN_DEPLOY_DELETE);
	assert_string_equal(inn_deploy_op_name(p->op), "delete");
	assert_string_equal(p->wf->name, "drop-db");
	assert_string_equal(p->fingerprint, "");
	/* the standard input and the stored param its delete workflow declares */
	assert_string_equal(json_object_get_string(json_object_object_get(p->params,
	                                                                  "resource_name")), "old");
	assert_int_equal(json_object_get_int(json_object_object_get(p->params, "size")), 5);
	assert_int_equal(json_object_object_length(p->params), 2);
	/* after every create/update part, not after the kept one */
	assert_true(depends(p, 1));
	assert_true(depends(p, 2));
	assert_false(depends(p, 0));
	/* what its deletion reports is not kept for templates */
	assert_int_equal(inn_deploy_resource_done(plan, i, db_out, NULL), 0);
	assert_false(json_object_object_get_ex(res, "old", NULL));
	assert_int_equal(d.nerrors, 0);
	inn_deploy_free(plan);
	inn_diag_free(&d);

	/* without DECLARATIVE (a golden path's spec) what the spec omits stays */
	inn_diag_init(&d);
	plan = plan_of(*state, HEAD "  db: {type: pg, params: {size: 5, tier: small}}\n", prev, 4,
	               INN_DEPLOY_STRICT, &d, 0);
	assert_int_equal(inn_deploy_nparts(plan), 1);
	assert_int_equal(inn_deploy_part_at(plan, 0)->op, INN_DEPLOY_KEEP);
	inn_deploy_free(plan);
	inn_diag_free(&d);
	json_object_put(db_out);
	json_object_put(secret_keys);
	json_object_put(db_params);
	json_object_put(cache_params);
}

static void
test_changed_value_updates_through_update_workflow(void **state)
{
	char fp[33];
	inn_deploy_prev prev;
	json_object *old = json_object_new_object();
	const inn_deploy_part *p;
	inn_deploy *plan;

	fingerprint_of(HEAD "  db: {type: pg, params: {size: 5, tier: small}}\n", fp);
	json_object_object_add(old, "size", json_object_new_int(5));
	json_object_object_add(old, "tier", json_object_new_string("small"));
	/* what its create got: the standard input too */
	json_object_object_add(old, "app_name", json_object_new_string("shop"));
	memset(&prev, 0, sizeof(prev));
	prev = (inn_deploy_prev){ .name = "db", .type = "pg", .status = "active",
	                          .fingerprint = fp, .params = old };
	plan = plan_of(*state, HEAD "  db: {type: pg, params: {size: 9, tier: small}}\n", &prev,
	               1, INN_DEPLOY_STRICT | INN_DEPLOY_DECLARATIVE, NULL, 0);
	p = inn_deploy_part_at(plan, 0);
	assert_int_equal(p->op, INN_DEPLOY_UPDATE);
	assert_string_equal(inn_deploy_op_name(p->op), "update");
	assert_string_equal(p->wf->name, "grow-db");
	assert_string_not_equal(p->fingerprint, fp);
	assert_string_equal(p->note, "params changed: size");
	/* grow-db declares size and tier only: what make-db alone takes stays out */
	assert_int_equal(json_object_get_int(json_object_object_get(p->params, "size")), 9);
	assert_false(json_object_object_get_ex(p->params, "app_name", NULL));
	inn_deploy_free(plan);

	/* a failed update (it has a fingerprint) is tried again as an update */
	prev.status = "failed";
	plan = plan_of(*state, HEAD "  db: {type: pg, params: {size: 5, tier: small}}\n", &prev,
	               1, INN_DEPLOY_STRICT, NULL, 0);
	assert_int_equal(inn_deploy_part_at(plan, 0)->op, INN_DEPLOY_UPDATE);
	inn_deploy_free(plan);
	/* terminated: created anew */
	prev.status = "terminated";
	plan = plan_of(*state, HEAD "  db: {type: pg, params: {size: 5, tier: small}}\n", &prev,
	               1, INN_DEPLOY_STRICT, NULL, 0);
	assert_int_equal(inn_deploy_part_at(plan, 0)->op, INN_DEPLOY_CREATE);
	inn_deploy_free(plan);
	json_object_put(old);
}

/* Deleting the app deletes every resource it still has, a resource before
 * the ones it depended on; a type nobody deletes is forgotten, warned. */
static void
test_app_deletion_in_reverse_dependency_order(void **state)
{
	json_object *dep_db = json_object_new_array();
	inn_deploy_prev prev[4];
	const inn_deploy_part *db, *cache, *cdn;
	size_t idb, icache, icdn;
	inn_deploy *plan;
	inn_diag d;

	json_object_array_add(dep_db, json_object_new_string("db"));
	memset(prev, 0, sizeof(prev));
	prev[0] = (inn_deploy_prev){ .name = "db", .type = "pg", .status = "active" };
	prev[1] = (inn_deploy_prev){ .name = "cache", .type = "redis", .status = "active",
	                             .depends_on = dep_db };
	prev[2] = (inn_deploy_prev){ .name = "cdn", .type = "cdn", .status = "active" };
	prev[3] = (inn_deploy_prev){ .name = "gone", .type = "pg", .status = "terminated" };
	inn_diag_init(&d);
	plan = plan_of(*state, NULL, prev, 4, INN_DEPLOY_STRICT, &d, 0);
	assert_int_equal(inn_deploy_nparts(plan), 3); /* not the terminated one */
	/* by name */
	assert_string_equal(inn_deploy_part_at(plan, 0)->name, "cache");
	cache = part_named(plan, "cache", &icache);
	cdn = part_named(plan, "cdn", &icdn);
	db = part_named(plan, "db", &idb);
	assert_int_equal(db->op, INN_DEPLOY_DELETE);
	assert_int_equal(cache->op, INN_DEPLOY_DELETE);
	/* cache used db: db waits for cache's deletion, not the other way */
	assert_true(depends(db, icache));
	assert_false(depends(cache, idb));
	assert_string_equal(cache->wf->name, "drop-cache");
	/* web-team has no delete workflow for cdn */
	assert_null(cdn->wf);
	assert_int_equal(cdn->op, INN_DEPLOY_DELETE);
	assert_true(inn_diag_find(&d, "warning: resource \"cdn\": provider \"web-team\" has no "
	                          "delete workflow for type \"cdn\"", NULL, 0) >= 0);
	assert_int_equal(inn_deploy_nsteps(plan), 2);
	assert_int_equal(d.nerrors, 0);
	inn_deploy_free(plan);
	inn_diag_free(&d);
	json_object_put(dep_db);
}

static void
test_type_change_is_an_error(void **state)
{
	inn_deploy_prev prev;
	inn_diag d;

	memset(&prev, 0, sizeof(prev));
	prev = (inn_deploy_prev){ .name = "db", .type = "redis", .status = "active",
	                          .fingerprint = "x" };
	inn_diag_init(&d);
	plan_of(*state, HEAD "  db: {type: pg}\n", &prev, 1, INN_DEPLOY_STRICT, &d, INN_EINVAL);
	TU_ASSERT_CONTAINS(inn_error_last(), "resource \"db\": its type changed from \"redis\" "
	                   "to \"pg\"");
	assert_true(inn_diag_find(&d, "score.yaml:5:", NULL, 0) >= 0);
	inn_diag_free(&d);
}

/* --- dependencies ---------------------------------------------------------- */

static void
test_references_make_dependencies_rendered_when_run(void **state)
{
	const inn_deploy_part *cache, *cdn;
	json_object *outs = json_object_new_object(), *params = NULL;
	size_t idb, icache, icdn;
	inn_deploy *plan;

	plan = plan_of(*state, HEAD
	               "  cdn: {type: cdn, params: {origin: 'http://${resources.cache.url}/x'}}\n"
	               "  cache: {type: redis, params: {url: '{{ .resources.db.host }}', "
	               "opts: {port: '${resources.db.port}', keep: '${HOME}'}}}\n"
	               "  db: {type: pg}\n", NULL, 0,
	               INN_DEPLOY_STRICT | INN_DEPLOY_DECLARATIVE, NULL, 0);
	cdn = part_named(plan, "cdn", &icdn);
	cache = part_named(plan, "cache", &icache);
	part_named(plan, "db", &idb);
	assert_int_equal(cdn->ndeps, 1);
	assert_true(depends(cdn, icache));
	assert_int_equal(cache->ndeps, 1);
	assert_true(depends(cache, idb));
	/* before db ran its outputs are not there */
	assert_int_equal(inn_deploy_part_params(plan, icache, &params), INN_ENOTFOUND);
	TU_ASSERT_CONTAINS(inn_error_last(), "resource \"cache\": params.url");
	assert_null(params);
	json_object_object_add(outs, "host", json_object_new_string("db.internal"));
	json_object_object_add(outs, "port", json_object_new_int(5432));
	assert_int_equal(inn_deploy_resource_done(plan, idb, outs, NULL), 0);
	assert_int_equal(inn_deploy_part_params(plan, icache, &params), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(params, "url")),
	                    "db.internal");
	/* one whole reference keeps its type; a shell's ${HOME} stays */
	assert_true(json_object_is_type(json_object_object_get(
		json_object_object_get(params, "opts"), "port"), json_type_int));
	assert_string_equal(json_object_get_string(json_object_object_get(
		json_object_object_get(params, "opts"), "keep")), "${HOME}");
	/* the plan's own params are left as written */
	assert_string_equal(json_object_get_string(json_object_object_get(cache->params, "url")),
	                    "{{ .resources.db.host }}");
	json_object_put(params);
	assert_int_equal(inn_deploy_part_params(plan, 99, &params), INN_EINVAL);
	inn_deploy_free(plan);
	json_object_put(outs);
}

/* A resource whose params read one that is created anew is updated, even
 * though what it asks for is written the same; one that reads a kept
 * resource is kept. */
static void
test_recreated_dependency_updates_its_dependents(void **state)
{
	static const char yaml[] = HEAD
		"  db: {type: pg}\n"
		"  cache: {type: redis, params: {url: '${resources.db.host}'}}\n";
	char fp_db[33], fp_cache[33];
	inn_deploy_prev prev[2];
	const inn_deploy_part *p;
	inn_deploy *plan;

	fingerprint_of(HEAD "  db: {type: pg}\n", fp_db);
	fingerprint_of(HEAD "  cache: {type: redis, params: {url: '${resources.db.host}'}}\n",
	               fp_cache);
	memset(prev, 0, sizeof(prev));
	prev[0] = (inn_deploy_prev){ .name = "db", .type = "pg", .status = "terminated" };
	prev[1] = (inn_deploy_prev){ .name = "cache", .type = "redis", .status = "active",
	                             .fingerprint = fp_cache };
	plan = plan_of(*state, yaml, prev, 2, INN_DEPLOY_STRICT, NULL, 0);
	assert_int_equal(part_named(plan, "db", NULL)->op, INN_DEPLOY_CREATE);
	p = part_named(plan, "cache", NULL);
	assert_int_equal(p->op, INN_DEPLOY_UPDATE);
	assert_string_equal(p->note, "resource \"db\" it references is created anew");
	inn_deploy_free(plan);

	prev[0].status = "active";
	prev[0].fingerprint = fp_db;
	plan = plan_of(*state, yaml, prev, 2, INN_DEPLOY_STRICT, NULL, 0);
	assert_int_equal(part_named(plan, "db", NULL)->op, INN_DEPLOY_KEEP);
	assert_int_equal(part_named(plan, "cache", NULL)->op, INN_DEPLOY_KEEP);
	assert_int_equal(inn_deploy_nsteps(plan), 0);
	inn_deploy_free(plan);
}

static void
test_cycle_and_unknown_reference_are_errors(void **state)
{
	inn_diag d;

	inn_diag_init(&d);
	plan_of(*state, HEAD
	        "  a: {type: redis, params: {url: '${resources.b.url}'}}\n"
	        "  b: {type: redis, params: {url: '${resources.c.url}'}}\n"
	        "  c: {type: redis, params: {url: '{{ .resources.a.url }}'}}\n"
	        "  d: {type: cdn, params: {origin: '${resources.nope.host}'}}\n", NULL, 0,
	        INN_DEPLOY_STRICT, &d, INN_EINVAL);
	assert_true(inn_diag_find(&d, "a -> b -> c -> a", NULL, 0) >= 0);
	assert_true(inn_diag_find(&d, "score.yaml:8:", NULL, 0) >= 0);
	assert_true(inn_diag_find(&d, "resource \"d\": params.origin references "
	                          "resources.nope.host, but the spec has no resource \"nope\"",
	                          NULL, 0) >= 0);
	assert_int_equal(d.nerrors, 2);
	inn_diag_free(&d);
}

/* --- validation ------------------------------------------------------------ */

static void
test_every_problem_reported_at_once(void **state)
{
	inn_diag d;

	inn_diag_init(&d);
	plan_of(*state, "apiVersion: score.dev/v1b1\nmetadata: {name: Shop_1}\n"
	        "containers: {}\nresources:\n"
	        "  db: {type: pg, params: {size: many, tier: huge, colour: blue}}\n"
	        "  q: {type: kafka}\n"
	        "  ok: {type: redis}\n", NULL, 0, INN_DEPLOY_STRICT | INN_DEPLOY_DECLARATIVE,
	        &d, INN_EINVAL);
	assert_true(inn_diag_find(&d, "metadata.name: \"Shop_1\" is not a DNS label", NULL,
	                          0) >= 0);
	assert_true(inn_diag_find(&d, "containers: an app needs at least one container", NULL,
	                          0) >= 0);
	assert_true(inn_diag_find(&d, "score.yaml:5:7: error: resource \"db\": params.size: \"many\" ",
	                          NULL, 0) >= 0);
	assert_true(inn_diag_find(&d, "resource \"db\": params.tier: ", NULL, 0) >= 0);
	assert_true(inn_diag_find(&d, "resource \"db\": its type \"pg\" (workflow make-db) has "
	                          "no parameter \"colour\"", NULL, 0) >= 0);
	assert_true(inn_diag_find(&d, "score.yaml:6:6: error: resource \"q\": no provider "
	                          "offers type \"kafka\"", NULL, 0) >= 0);
	assert_int_equal(d.nerrors, 6);
	/* the first one is the call's error */
	TU_ASSERT_CONTAINS(inn_error_last(), "metadata.name");
	inn_diag_free(&d);
}

/* What the loader finds and what the plan finds, in one diag: a spec with
 * errors is still planned when read with inn_score_load_all. */
static void
test_loader_and_plan_problems_together(void **state)
{
	struct fixture *f = *state;
	static const char yaml[] =
		"apiVersion: score.dev/v1b1\nmetadata: {name: Shop}\n"
		"containers: {web: {image: ''}, side: {command: [x]}}\nresources:\n"
		"  db: {params: {size: 5}}\n"
		"  q: {type: kafka}\n"
		"  c: {type: redis, params: {url: '${resources.db.host}'}}\n";
	inn_deploy *plan = NULL;
	inn_score *s = NULL;
	inn_diag d;

	inn_diag_init(&d);
	assert_int_equal(inn_score_load_all(&s, "score.yaml", yaml, strlen(yaml), 0, &d),
	                 INN_EINVAL);
	assert_non_null(s);
	assert_int_equal(inn_deploy_plan_lifecycle(&plan, f->cat, "Shop", s, NULL, 0,
	                                           INN_DEPLOY_STRICT | INN_DEPLOY_DECLARATIVE,
	                                           &d), INN_EINVAL);
	assert_null(plan);
	assert_true(inn_diag_find(&d, "containers.web.image: must not be empty", NULL, 0) >= 0);
	assert_true(inn_diag_find(&d, "containers.side: missing required field \"image\"", NULL,
	                          0) >= 0);
	assert_true(inn_diag_find(&d, "resources.db: missing required field \"type\"", NULL,
	                          0) >= 0);
	assert_true(inn_diag_find(&d, "metadata.name: \"Shop\" is not a DNS label", NULL, 0) >= 0);
	assert_true(inn_diag_find(&d, "resource \"q\": no provider offers type \"kafka\"", NULL,
	                          0) >= 0);
	/* db is in the spec, only broken: no "unknown resource" on top */
	assert_true(inn_diag_find(&d, "has no resource \"db\"", NULL, 0) < 0);
	assert_int_equal(d.nerrors, 5);
	inn_score_free(s);
	inn_diag_free(&d);
	/* the strict loaders hand nothing out */
	inn_diag_init(&d);
	assert_int_equal(inn_score_load_string(&s, "score.yaml", yaml, strlen(yaml), &d),
	                 INN_EINVAL);
	assert_null(s);
	inn_diag_free(&d);
}

/* --- containers ------------------------------------------------------------- */

static void
test_containers_placeholders(void **state)
{
	json_object *containers = json_tokener_parse(
		"{\"web\": {\"image\": \"shop:1\", \"variables\": {"
		"\"DB\": \"postgres://${resources.db.host}:${resources.db.port}/x\","
		"\"APP\": \"${metadata.name}\", \"TEAM\": \"${metadata.labels.team}\","
		"\"LIT\": \"$${resources.db.host}\", \"MISS\": \"${resources.db.nope}\","
		"\"SH\": \"${HOME}\"}, \"args\": [\"${resources.cache.url}\", 3]}}");
	json_object *meta = json_tokener_parse("{\"name\": \"shop\", \"labels\": {\"team\": \"red\"}}");
	json_object *res = json_tokener_parse("{\"db\": {\"host\": \"h\", \"port\": 5432}}");
	json_object *un = NULL, *out, *vars;

	(void)state;
	out = inn_deploy_resolve_containers(containers, meta, res, &un);
	assert_non_null(out);
	vars = json_object_object_get(json_object_object_get(out, "web"), "variables");
	assert_string_equal(json_object_get_string(json_object_object_get(vars, "DB")),
	                    "postgres://h:5432/x");
	assert_string_equal(json_object_get_string(json_object_object_get(vars, "APP")), "shop");
	assert_string_equal(json_object_get_string(json_object_object_get(vars, "TEAM")), "red");
	assert_string_equal(json_object_get_string(json_object_object_get(vars, "LIT")),
	                    "${resources.db.host}");
	assert_string_equal(json_object_get_string(json_object_object_get(vars, "MISS")),
	                    "${resources.db.nope}");
	assert_string_equal(json_object_get_string(json_object_object_get(vars, "SH")),
	                    "${HOME}");
	assert_string_equal(json_object_to_json_string_ext(un, JSON_C_TO_STRING_PLAIN),
	                    "[\"${resources.db.nope}\",\"${resources.cache.url}\"]");
	/* the input is not changed */
	assert_string_equal(json_object_get_string(json_object_object_get(json_object_object_get(
		json_object_object_get(containers, "web"), "variables"), "DB")),
		"postgres://${resources.db.host}:${resources.db.port}/x");
	json_object_put(out);
	json_object_put(un);
	json_object_put(containers);
	json_object_put(meta);
	json_object_put(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprint_ignores_key_order_not_values),
		cmocka_unit_test(test_first_deployment_creates_everything),
		cmocka_unit_test(test_second_deployment_keeps_updates_deletes),
		cmocka_unit_test(test_changed_value_updates_through_update_workflow),
		cmocka_unit_test(test_app_deletion_in_reverse_dependency_order),
		cmocka_unit_test(test_type_change_is_an_error),
		cmocka_unit_test(test_references_make_dependencies_rendered_when_run),
		cmocka_unit_test(test_recreated_dependency_updates_its_dependents),
		cmocka_unit_test(test_cycle_and_unknown_reference_are_errors),
		cmocka_unit_test(test_every_problem_reported_at_once),
		cmocka_unit_test(test_loader_and_plan_problems_together),
		cmocka_unit_test(test_containers_placeholders),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
