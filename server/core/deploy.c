/*
 * deploy.c - plans a Score spec's deployment (deploy.h): resolves each
 * resource type to its provider's workflows, decides per resource what
 * runs against what earlier deployments left (create, update, keep,
 * delete), gives each part the standard inputs and the params its
 * workflow declares, orders the parts by the resources their params
 * reference, and keeps the template data (`app`, `resources`) that the
 * parts and the main workflow see, filling in each resource's outputs as
 * it is provisioned.
 */
#include "deploy.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "exec.h"
#include "tmpl.h"

/* inn_deploy_plan's own mode of the shared planner: no app-name or
 * container checks, no dependencies, the first bad value of a resource
 * only (as it always reported). */
#define PLAN_LEGACY 0x100

struct inn_deploy {
	inn_deploy_part *parts;
	size_t nparts;
	json_object *data;        /* {app, resources} or {} */
	json_object *resources;   /* data.resources (borrowed from data) */
	json_object *secrets;     /* secret values among the parts' outputs (array) */
};

/* One planning: where problems go, and the first error for
 * inn_error_last(). */
struct plan_ctx {
	inn_deploy *plan;
	const inn_catalog *cat;
	const inn_score *spec;    /* NULL: the app is deleted */
	const char *app;
	const char *file;         /* for positions */
	int flags;
	inn_diag *d;
	size_t nerr;
	int nomem;
	char first[1024];
};

static void
part_clear(inn_deploy_part *part)
{
	free((char *)part->name);
	free((char *)part->type);
	free((char *)part->note);
	free(part->deps);
	json_object_put(part->params);
	memset(part, 0, sizeof(*part));
}

void
inn_deploy_free(inn_deploy *plan)
{
	if (plan == NULL)
		return;
	while (plan->nparts > 0)
		part_clear(&plan->parts[--plan->nparts]);
	free(plan->parts);
	json_object_put(plan->data);
	json_object_put(plan->secrets);
	free(plan);
}

const char *
inn_deploy_op_name(int op)
{
	switch (op) {
	case INN_DEPLOY_CREATE:
		return "create";
	case INN_DEPLOY_UPDATE:
		return "update";
	case INN_DEPLOY_DELETE:
		return "delete";
	case INN_DEPLOY_KEEP:
		return "keep";
	default:
		return "?";
	}
}

/* Reports a problem (at resource r, or NULL: no position): a warning to d,
 * or an error to d, counted, the first kept for inn_error_last(). */
static void
report(struct plan_ctx *pc, inn_diag_level level, const inn_score_resource *r,
       const char *fmt, ...) INN_PRINTF_LIKE(4, 5);

static void
report(struct plan_ctx *pc, inn_diag_level level, const inn_score_resource *r,
       const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (pc->d != NULL)
		inn_diag_add(pc->d, level, pc->file, r ? r->line : 0, r ? r->col : 0, "%s", msg);
	if (level == INN_DIAG_ERROR && pc->nerr++ == 0)
		snprintf(pc->first, sizeof(pc->first), "%s", msg);
}

/* ---- fingerprint -------------------------------------------------------- */

/* Two FNV-1a 64-bit hashes with different offset bases, fed the same
 * bytes: 128 bits, enough to tell a changed spec from an unchanged one (not
 * a defence against anyone crafting collisions; nothing secret depends on
 * it). */
struct fp {
	uint64_t a, b;
};

static void
fp_add(struct fp *h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h->a = (h->a ^ s[i]) * 0x100000001b3ULL;
		h->b = (h->b ^ s[i]) * 0x100000001b3ULL;
	}
}

/* A tag byte and a length before every item: no two different values
 * feed the same bytes. */
static void
fp_item(struct fp *h, char tag, const char *s, size_t n)
{
	uint64_t len = n;

	fp_add(h, &tag, 1);
	fp_add(h, &len, sizeof(len));
	fp_add(h, s, n);
}

/* A tag byte and a count: an array's or an object's size. */
static void
fp_count(struct fp *h, char tag, size_t n)
{
	uint64_t len = n;

	fp_add(h, &tag, 1);
	fp_add(h, &len, sizeof(len));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Canonical form: objects by sorted key, numbers by their JSON text. */
static int
fp_json(struct fp *h, json_object *v, int depth)
{
	const char *t;
	size_t i, n;

	if (depth > 64)
		return inn_error_set(INN_EINVAL, "a value nested deeper than 64 levels");
	switch (json_object_get_type(v)) {
	case json_type_null:
		fp_item(h, 'n', "", 0);
		return 0;
	case json_type_boolean:
		fp_item(h, 'b', json_object_get_boolean(v) ? "1" : "0", 1);
		return 0;
	case json_type_int:
	case json_type_double:
		t = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		fp_item(h, '#', t, strlen(t));
		return 0;
	case json_type_string:
		fp_item(h, 's', json_object_get_string(v), (size_t)json_object_get_string_len(v));
		return 0;
	case json_type_array:
		n = json_object_array_length(v);
		fp_count(h, '[', n);
		for (i = 0; i < n; i++)
			if (fp_json(h, json_object_array_get_idx(v, i), depth + 1) != 0)
				return INN_EINVAL;
		return 0;
	case json_type_object: {
		const char **keys;
		int rc = 0;

		n = (size_t)json_object_object_length(v);
		fp_count(h, '{', n);
		if (n == 0)
			return 0;
		if ((keys = calloc(n, sizeof(*keys))) == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		i = 0;
		json_object_object_foreach(v, k, e) {
			(void)e;
			keys[i++] = k;
		}
		qsort(keys, n, sizeof(*keys), cmp_str);
		for (i = 0; i < n && rc == 0; i++) {
			fp_item(h, 'k', keys[i], strlen(keys[i]));
			rc = fp_json(h, json_object_object_get(v, keys[i]), depth + 1);
		}
		free(keys);
		return rc;
	}
	}
	return 0;
}

static void
fp_hex(const struct fp *h, char out[33])
{
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h->a,
	         (unsigned long long)h->b);
}

int
inn_deploy_fingerprint(const inn_score_resource *r, char out[33])
{
	struct fp h = { 0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL };
	int rc;

	out[0] = '\0';
	fp_item(&h, 't', r->type ? r->type : "", r->type ? strlen(r->type) : 0);
	fp_item(&h, 'c', r->klass ? r->klass : "", r->klass ? strlen(r->klass) : 0);
	if ((rc = fp_json(&h, r->params, 0)) != 0)
		return rc;
	fp_hex(&h, out);
	return 0;
}

/* Non-zero when a and b are the same value in canonical form. */
static int
same_value(json_object *a, json_object *b)
{
	struct fp ha = { 0xcbf29ce484222325ULL, 1 }, hb = { 0xcbf29ce484222325ULL, 1 };

	if (a == NULL || b == NULL)
		return a == b;
	if (fp_json(&ha, a, 0) != 0 || fp_json(&hb, b, 0) != 0)
		return json_object_equal(a, b);
	return ha.a == hb.a && ha.b == hb.b;
}

/* ---- params ------------------------------------------------------------- */

/* The standard inputs (model.h) wf declares or reads go to params, as the
 * original's engine gave them to every resource operation; the resource's
 * own params (added later) may override them. */
static int
standard_inputs(json_object *params, const inn_workflow *wf, const char *app,
                const char *name, const char *type)
{
	char bucket[512], ns[512];
	const char *vals[INN_STD_INPUTS];
	int i;

	snprintf(bucket, sizeof(bucket), "%s-%s", app, name);
	snprintf(ns, sizeof(ns), "%s-default", app);
	vals[0] = app;
	vals[1] = name;
	vals[2] = type;
	vals[3] = bucket;
	vals[4] = ns;
	for (i = 0; i < INN_STD_INPUTS; i++) {
		const char *pname = inn_param_standard_name(i);
		json_object *v;

		if (!(wf->std_inputs & (1u << i)) &&
		    inn_workflow_param(wf, pname, strlen(pname)) == NULL)
			continue;
		if ((v = json_object_new_string(vals[i])) == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		json_object_object_add(params, pname, v);
	}
	return 0;
}

/* Non-zero when wf takes a param called k (declared, or a standard input
 * it reads). */
static int
takes_param(const inn_workflow *wf, const char *k)
{
	int std = inn_param_standard_input(k, strlen(k));

	return inn_workflow_param(wf, k, strlen(k)) != NULL ||
	       (std >= 0 && (wf->std_inputs & (1u << std)));
}

/* part->params for wf: the standard inputs and the params of r that wf
 * takes.  With check, each other param is an error (STRICT) or a warning,
 * and the values are checked as a run of wf takes them (every bad value
 * of the resource in lifecycle mode; the first problem in legacy mode).
 * Returns 0, or INN_ENOMEM (problems only reported). */
static int
part_params(struct plan_ctx *pc, inn_deploy_part *part, const inn_workflow *wf,
            const inn_score_resource *r, int check)
{
	size_t nerr0 = pc->nerr;
	json_object *resolved = NULL;
	int rc;

	json_object_put(part->params);
	if ((part->params = json_object_new_object()) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	if ((rc = standard_inputs(part->params, wf, pc->app, r->name, r->type)) != 0)
		return rc;
	json_object_object_foreach(r->params, k, v) {
		const inn_param *p = inn_workflow_param(wf, k, strlen(k));
		char why[512];

		if (takes_param(wf, k)) {
			json_object_object_add(part->params, k, inn_json_copy(v));
			if (check && !(pc->flags & PLAN_LEGACY) && p != NULL &&
			    inn_param_check(p, v, why, sizeof(why)) != 0)
				report(pc, INN_DIAG_ERROR, r, "resource \"%s\": params.%s: %s", r->name,
				       k, why);
			continue;
		}
		if (!check)
			continue;
		if (pc->flags & INN_DEPLOY_STRICT) {
			report(pc, INN_DIAG_ERROR, r, "resource \"%s\": its type \"%s\" (workflow %s) "
			       "has no parameter \"%s\"", r->name, r->type, wf->name, k);
			if (pc->flags & PLAN_LEGACY)
				return 0;
			continue;
		}
		report(pc, INN_DIAG_WARNING, r, "resource \"%s\": its type \"%s\" (workflow %s) "
		       "has no parameter \"%s\"; it is not passed", r->name, r->type, wf->name, k);
	}
	if (pc->nerr != nerr0)
		return 0;
	/* the params as its run will take them (types, required, patterns,
	 * limits): refused now, before any resource is provisioned */
	if (inn_params_resolve(wf, part->params, &resolved) != 0) {
		char why[768];

		snprintf(why, sizeof(why), "%s", inn_error_last());
		report(pc, INN_DIAG_ERROR, r, "resource \"%s\": %s", r->name, why);
	}
	json_object_put(resolved);
	return 0;
}

/* ---- one resource of the spec ------------------------------------------- */

static const inn_deploy_prev *
prev_find(const inn_deploy_prev *prev, size_t nprev, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < nprev; i++)
		if (prev[i].name != NULL && strcmp(prev[i].name, name) == 0)
			return &prev[i];
	return NULL;
}

static int
status_is(const inn_deploy_prev *pv, const char *s)
{
	return pv->status != NULL && strcmp(pv->status, s) == 0;
}

/* What a resource that is in the spec needs, and why (a static string or
 * note, NULL). */
static int
decide_op(const inn_deploy_prev *pv, const char *fp, const char **why)
{
	*why = NULL;
	if (pv == NULL)
		return INN_DEPLOY_CREATE;
	if (status_is(pv, "terminated") || status_is(pv, "terminating")) {
		*why = "it was deleted";
		return INN_DEPLOY_CREATE;
	}
	if (status_is(pv, "requested") || status_is(pv, "provisioning")) {
		*why = "its create did not finish";
		return INN_DEPLOY_CREATE;
	}
	if (status_is(pv, "failed")) {
		/* the fingerprint is stored when an operation succeeded: without
		 * one, it never came up */
		*why = pv->fingerprint ? "its last update failed" : "its last create failed";
		return pv->fingerprint ? INN_DEPLOY_UPDATE : INN_DEPLOY_CREATE;
	}
	if (status_is(pv, "updating")) {
		*why = "its last update did not finish";
		return INN_DEPLOY_UPDATE;
	}
	if (pv->fingerprint == NULL) {
		*why = "no fingerprint of what it was made with";
		return INN_DEPLOY_UPDATE;
	}
	return strcmp(pv->fingerprint, fp) == 0 ? INN_DEPLOY_KEEP : INN_DEPLOY_UPDATE;
}

/* "params changed: a, b" for an update (NULL when nothing tells). */
static char *
change_note(const inn_deploy_prev *pv, json_object *params)
{
	char buf[512];
	size_t len, n = 0;

	if (pv->params == NULL || !json_object_is_type(pv->params, json_type_object))
		return NULL;
	len = (size_t)snprintf(buf, sizeof(buf), "params changed:");
	json_object_object_foreach(params, k, v) {
		json_object *old = NULL;

		/* a reference renders only when it runs: no telling */
		if (json_object_is_type(v, json_type_string) &&
		    inn_tmpl_has_syntax(json_object_get_string(v)))
			continue;
		if (json_object_object_get_ex(pv->params, k, &old) && same_value(old, v))
			continue;
		if (len < sizeof(buf))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s %s",
			                        n++ ? "," : "", k);
	}
	json_object_object_foreach(pv->params, k2, v2) {
		(void)v2;
		if (!json_object_object_get_ex(params, k2, NULL) && len < sizeof(buf))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s %s (removed)",
			                        n++ ? "," : "", k2);
	}
	return n > 0 ? strdup(buf) : NULL;
}

/* The outputs an earlier deployment left go into resources.<name>, their
 * secret values to the plan's secrets (masked in every run). */
static void
prev_outputs(inn_deploy *plan, const char *name, const inn_deploy_prev *pv)
{
	json_object *ro;
	size_t i, n;

	if (pv == NULL || pv->outputs == NULL ||
	    !json_object_is_type(pv->outputs, json_type_object) ||
	    !json_object_object_get_ex(plan->resources, name, &ro))
		return;
	json_object_object_foreach(pv->outputs, k, v)
		json_object_object_add(ro, k, json_object_get(v));
	if (pv->secret_keys == NULL || !json_object_is_type(pv->secret_keys, json_type_array))
		return;
	n = json_object_array_length(pv->secret_keys);
	for (i = 0; i < n; i++) {
		json_object *sv;
		const char *sk = json_object_get_string(json_object_array_get_idx(pv->secret_keys,
		                                                                  i));

		if (sk != NULL && json_object_object_get_ex(pv->outputs, sk, &sv) &&
		    (json_object_is_type(sv, json_type_string) ||
		     json_object_is_type(sv, json_type_int) ||
		     json_object_is_type(sv, json_type_double)) &&
		    json_object_get_string(sv)[0] != '\0')
			json_object_array_add(plan->secrets,
			                      json_object_new_string(json_object_get_string(sv)));
	}
}

/* Part (planned with its create workflow) becomes an UPDATE: the
 * provider's update workflow with the params it takes, else the create
 * workflow again (warned).  Returns 0, or INN_ENOMEM. */
static int
to_update(struct plan_ctx *pc, inn_deploy_part *part, const inn_score_resource *r)
{
	const inn_provider *prov = NULL;
	const inn_resource_cap *cap = inn_catalog_resource(pc->cat, r->type, &prov);
	const inn_workflow *wf = NULL;
	int rc;

	part->op = INN_DEPLOY_UPDATE;
	if (cap != NULL && cap->update != NULL)
		wf = inn_provider_workflow(prov, cap->update);
	if (wf == NULL) {
		report(pc, INN_DIAG_WARNING, r, "resource \"%s\": provider \"%s\" has no update "
		       "workflow for type \"%s\"; its create workflow %s runs again", r->name,
		       part->provider->name, r->type, part->wf->name);
		return 0;
	}
	if ((rc = part_params(pc, part, wf, r, 0)) != 0)
		return rc;
	part->wf = wf;
	return 0;
}

/* The next part of the plan: resource r of the spec (pv: what the store
 * holds of it, or NULL), its placeholder in data.resources.  Problems are
 * reported; returns 0, or INN_ENOMEM. */
static int
spec_part(struct plan_ctx *pc, const inn_score_resource *r, const inn_deploy_prev *pv)
{
	inn_deploy *plan = pc->plan;
	inn_deploy_part *part = &plan->parts[plan->nparts++];
	const inn_provider *prov = NULL;
	const inn_resource_cap *cap;
	const inn_workflow *cwf = NULL;
	json_object *ph;
	const char *why;
	int rc;

	part->op = INN_DEPLOY_CREATE;
	if (r->name != NULL && (part->name = strdup(r->name)) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	if (r->name == NULL || r->type == NULL || r->params == NULL) {
		/* a spec with errors (inn_score_load_all): the loader reported
		 * them; no plan comes of it */
		if (pc->nerr++ == 0)
			snprintf(pc->first, sizeof(pc->first), "resource \"%s\": the spec has errors "
			         "here", r->name ? r->name : "?");
		return 0;
	}
	cap = inn_catalog_resource(pc->cat, r->type, &prov);
	if (cap != NULL && cap->create != NULL)
		cwf = inn_provider_workflow(prov, cap->create);
	if ((part->type = strdup(r->type)) == NULL || (ph = json_object_new_object()) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	json_object_object_add(ph, "name", json_object_new_string(r->name));
	json_object_object_add(ph, "type", json_object_new_string(r->type));
	json_object_object_add(plan->resources, r->name, ph);
	if ((rc = inn_deploy_fingerprint(r, part->fingerprint)) != 0) {
		if (rc == INN_ENOMEM)
			return rc;
		report(pc, INN_DIAG_ERROR, r, "resource \"%s\": params: %s", r->name,
		       inn_error_last());
	}
	if (pv != NULL && pv->type != NULL && strcmp(pv->type, r->type) != 0)
		report(pc, INN_DIAG_ERROR, r, "resource \"%s\": its type changed from \"%s\" to "
		       "\"%s\"; a resource keeps its type: remove it (deploy without it) "
		       "first, or give the new one another name", r->name, pv->type, r->type);
	if (cwf == NULL) {
		report(pc, INN_DIAG_ERROR, r, "resource \"%s\": no provider offers type \"%s\" "
		       "with a create workflow", r->name, r->type);
		return 0;
	}
	part->provider = prov;
	part->wf = cwf;
	/* what the spec asks for is checked against the create workflow */
	if ((rc = part_params(pc, part, cwf, r, 1)) != 0)
		return rc;
	part->op = decide_op(pv, part->fingerprint, &why);
	/* against what the create workflow takes, as the store's params were
	 * (the update workflow may take fewer) */
	if (part->op == INN_DEPLOY_UPDATE && why == NULL)
		part->note = change_note(pv, part->params);
	if (part->op == INN_DEPLOY_UPDATE && (rc = to_update(pc, part, r)) != 0)
		return rc;
	if (why != NULL && (part->note = strdup(why)) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	if (part->op == INN_DEPLOY_KEEP || part->op == INN_DEPLOY_UPDATE)
		prev_outputs(plan, r->name, pv);
	return 0;
}

/* The part that deletes what the store holds of pv (gone from the spec, or
 * the app is deleted). */
static int
delete_part(struct plan_ctx *pc, const inn_deploy_prev *pv)
{
	inn_deploy *plan = pc->plan;
	inn_deploy_part *part = &plan->parts[plan->nparts++];
	const inn_provider *prov = NULL;
	const inn_resource_cap *cap = NULL;
	const inn_workflow *wf = NULL;
	json_object *resolved = NULL;

	part->op = INN_DEPLOY_DELETE;
	if ((part->name = strdup(pv->name)) == NULL ||
	    (part->type = strdup(pv->type ? pv->type : "")) == NULL ||
	    (part->params = json_object_new_object()) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	if (pv->type != NULL)
		cap = inn_catalog_resource(pc->cat, pv->type, &prov);
	part->provider = cap != NULL ? prov : NULL;
	if (cap != NULL && cap->del != NULL)
		wf = inn_provider_workflow(prov, cap->del);
	if (wf == NULL) {
		if (cap == NULL)
			report(pc, INN_DIAG_WARNING, NULL, "resource \"%s\": no provider offers type "
			       "\"%s\" any more; it is forgotten, not torn down", pv->name,
			       part->type);
		else
			report(pc, INN_DIAG_WARNING, NULL, "resource \"%s\": provider \"%s\" has no "
			       "delete workflow for type \"%s\"; it is forgotten, not torn down",
			       pv->name, prov->name, part->type);
		return 0;
	}
	part->wf = wf;
	if (standard_inputs(part->params, wf, pc->app, pv->name, part->type) != 0)
		return INN_ENOMEM;
	if (pv->params != NULL && json_object_is_type(pv->params, json_type_object)) {
		json_object_object_foreach(pv->params, k, v)
			if (inn_workflow_param(wf, k, strlen(k)) != NULL)
				json_object_object_add(part->params, k, inn_json_copy(v));
	}
	if (inn_params_resolve(wf, part->params, &resolved) != 0) {
		char why[768];

		snprintf(why, sizeof(why), "%s", inn_error_last());
		report(pc, INN_DIAG_WARNING, NULL, "resource \"%s\": its delete workflow will "
		       "not take what it last got: %s", pv->name, why);
	}
	json_object_put(resolved);
	return 0;
}

/* ---- dependencies ------------------------------------------------------- */

static int
part_index(const inn_deploy *plan, const char *name)
{
	size_t i;

	for (i = 0; i < plan->nparts; i++)
		if (plan->parts[i].name != NULL && strcmp(plan->parts[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
add_dep(inn_deploy_part *part, size_t j)
{
	size_t k, *n;

	for (k = 0; k < part->ndeps; k++)
		if (part->deps[k] == j)
			return 0;
	if ((n = realloc(part->deps, (part->ndeps + 1) * sizeof(*n))) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	part->deps = n;
	part->deps[part->ndeps++] = j;
	return 0;
}

/* What one resource's params reference, while they are walked. */
struct ref_walk {
	struct plan_ctx *pc;
	const inn_score_resource *r;
	size_t self;
	size_t nspec;             /* parts of the spec (the first ones) */
	const char *field;        /* params.<key> */
	int rc;
};

/* ref (resources.R.K...) reads part j's output K: an error at r when R's
 * create workflow declares outputs and K is none of them (nor name or
 * type) -- a run would fail on it after provisioning. */
static void
output_ref_check(struct plan_ctx *pc, const inn_score_resource *r, const char *field,
                 const char *ref, size_t j)
{
	const inn_deploy_part *p = &pc->plan->parts[j];
	const inn_provider *prov = NULL;
	const inn_resource_cap *cap;
	const inn_workflow *cwf = NULL;
	const char *k = ref + 10 + strlen(p->name);
	char have[512];
	size_t klen, len = 0;

	if (p->type == NULL || *k != '.')
		return;
	cap = inn_catalog_resource(pc->cat, p->type, &prov);
	if (cap != NULL && cap->create != NULL)
		cwf = inn_provider_workflow(prov, cap->create);
	if (cwf == NULL || cwf->outputs == NULL || json_object_object_length(cwf->outputs) == 0)
		return;
	k++;
	klen = strcspn(k, ".[");
	if ((klen == 4 && memcmp(k, "name", 4) == 0) || (klen == 4 && memcmp(k, "type", 4) == 0))
		return;
	have[0] = '\0';
	json_object_object_foreach(cwf->outputs, ok, ov) {
		(void)ov;
		if (strlen(ok) == klen && memcmp(ok, k, klen) == 0)
			return;
		if (len < sizeof(have))
			len += (size_t)snprintf(have + len, sizeof(have) - len, "%s%s",
			                        len ? ", " : "", ok);
	}
	report(pc, INN_DIAG_ERROR, r, "%s%s%s%s references %s, but resource \"%s\" gets its "
	       "outputs from workflow \"%s\", which declares only name, type and: %s",
	       r ? "resource \"" : "", r ? r->name : "", r ? "\": " : "", field, ref, p->name,
	       cwf->name ? cwf->name : "?", have);
}

/* The resource name R of a reference resources.R[.K...] into name (size
 * bytes): 1, or 0 when ref is no such reference or R does not fit. */
static int
ref_resource(const char *ref, char *name, size_t size)
{
	size_t len;

	if (strncmp(ref, "resources.", 10) != 0)
		return 0;
	len = strcspn(ref + 10, ".[");
	if (len == 0 || len >= size)
		return 0;
	memcpy(name, ref + 10, len);
	name[len] = '\0';
	return 1;
}

static int
dep_ref_cb(void *ud, const char *ref)
{
	struct ref_walk *w = ud;
	inn_deploy *plan = w->pc->plan;
	char name[256];
	int j;

	if (!ref_resource(ref, name, sizeof(name)))
		return 0;
	if ((j = part_index(plan, name)) < 0 || (size_t)j >= w->nspec) {
		report(w->pc, INN_DIAG_ERROR, w->r, "resource \"%s\": %s references %s, but the "
		       "spec has no resource \"%s\"", w->r->name, w->field, ref, name);
		return 0;
	}
	if ((size_t)j == w->self) {
		report(w->pc, INN_DIAG_ERROR, w->r, "resource \"%s\": %s references %s, its own "
		       "outputs, which it does not have before it ran", w->r->name, w->field, ref);
		return 0;
	}
	if (add_dep(&plan->parts[w->self], (size_t)j) != 0)
		return w->rc = INN_ENOMEM;
	output_ref_check(w->pc, w->r, w->field, ref, (size_t)j);
	return 0;
}

/* Calls each_ref(ud, ref) for every template reference in the strings of
 * v, at any depth up to 64, while *stop is 0; a string whose references do
 * not parse is given to unparsed (may be NULL). */
static void
each_string_ref(json_object *v, int depth, int (*each_ref)(void *ud, const char *ref),
                void (*unparsed)(void *ud), void *ud, const int *stop)
{
	size_t i;

	if (depth > 64 || *stop != 0)
		return;
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);

		if (inn_tmpl_has_syntax(s) && inn_tmpl_refs(s, each_ref, ud) != 0 && *stop == 0 &&
		    unparsed != NULL)
			unparsed(ud);
	} else if (json_object_is_type(v, json_type_array)) {
		for (i = 0; i < json_object_array_length(v); i++)
			each_string_ref(json_object_array_get_idx(v, i), depth + 1, each_ref, unparsed,
			                ud, stop);
	} else if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, e) {
			(void)k;
			each_string_ref(e, depth + 1, each_ref, unparsed, ud, stop);
		}
	}
}

/* A resource's params whose references do not parse: an error there. */
static void
params_unparsed(void *ud)
{
	struct ref_walk *w = ud;

	report(w->pc, INN_DIAG_ERROR, w->r, "resource \"%s\": %s: %s", w->r->name, w->field,
	       inn_error_last());
}

/* The containers' ${resources.R.K} placeholders: K must be one of R's
 * outputs (output_ref_check); the rest is left to GET, which lists what
 * does not resolve. */
static int
container_ref_cb(void *ud, const char *ref)
{
	struct ref_walk *w = ud;
	char name[256];
	int j;

	if (!ref_resource(ref, name, sizeof(name)))
		return 0;
	if ((j = part_index(w->pc->plan, name)) >= 0 && (size_t)j < w->nspec)
		output_ref_check(w->pc, NULL, w->field, ref, (size_t)j);
	return 0;
}

/* Depth-first search for a cycle through part i: state 0 unseen, 1 on the
 * path, 2 done.  On a cycle, reports it once (the path in text) and
 * returns 1. */
static int
find_cycle(struct plan_ctx *pc, size_t i, unsigned char *state, size_t *path, size_t depth)
{
	inn_deploy *plan = pc->plan;
	size_t k;

	state[i] = 1;
	path[depth] = i;
	for (k = 0; k < plan->parts[i].ndeps; k++) {
		size_t j = plan->parts[i].deps[k];

		if (state[j] == 1) {
			char buf[768];
			size_t len = 0, m = depth + 1;

			while (m > 0 && path[m - 1] != j)
				m--;
			for (m = m > 0 ? m - 1 : 0; m <= depth && len < sizeof(buf); m++)
				len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s -> ",
				                        plan->parts[path[m]].name);
			if (len < sizeof(buf))
				snprintf(buf + len, sizeof(buf) - len, "%s", plan->parts[j].name);
			report(pc, INN_DIAG_ERROR, &pc->spec->resources[j], "resource \"%s\": its "
			       "params reference each other in a cycle: %s (one must not wait for "
			       "the other)", plan->parts[j].name, buf);
			return 1;
		}
		if (state[j] == 0 && find_cycle(pc, j, state, path, depth + 1))
			return 1;
	}
	state[i] = 2;
	return 0;
}

/* Each part of the spec waits for the resources its params reference;
 * each DELETE part for every CREATE/UPDATE part and for the deleted
 * resources that depended on it (prev depends_on).  del_prev[k]: the prev
 * entry of part nspec + k. */
static int
plan_deps(struct plan_ctx *pc, size_t nspec, const inn_deploy_prev **del_prev)
{
	inn_deploy *plan = pc->plan;
	unsigned char *state = NULL;
	size_t *path = NULL, i, j;
	int rc = 0;

	for (i = 0; i < nspec; i++) {
		const inn_score_resource *r = &pc->spec->resources[i];
		struct ref_walk w;

		if (plan->parts[i].name == NULL || r->params == NULL)
			continue;
		memset(&w, 0, sizeof(w));
		w.pc = pc;
		w.r = r;
		w.self = i;
		w.nspec = nspec;
		json_object_object_foreach(r->params, k, v) {
			char field[300];

			snprintf(field, sizeof(field), "params.%s", k);
			w.field = field;
			each_string_ref(v, 0, dep_ref_cb, params_unparsed, &w, &w.rc);
			if (w.rc != 0)
				return w.rc;
		}
	}
	if (pc->spec != NULL && pc->spec->containers != NULL &&
	    json_object_is_type(pc->spec->containers, json_type_object)) {
		struct ref_walk w;

		memset(&w, 0, sizeof(w));
		w.pc = pc;
		w.nspec = nspec;
		json_object_object_foreach(pc->spec->containers, cn, cv) {
			char field[300];

			snprintf(field, sizeof(field), "containers.%s:", cn);
			w.field = field;
			each_string_ref(cv, 0, container_ref_cb, NULL, &w, &w.rc);
		}
	}
	if (nspec > 0 && ((state = calloc(nspec, 1)) == NULL ||
	                  (path = calloc(nspec, sizeof(*path))) == NULL)) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nspec; i++)
		if (state[i] == 0 && find_cycle(pc, i, state, path, 0))
			break;
	/* an unchanged resource whose params read one that is created anew
	 * (its outputs may differ now) is updated with the new values */
	for (i = 0; i < nspec && pc->nerr == 0; i++) {
		inn_deploy_part *part = &plan->parts[i];
		char note[300];

		for (j = 0; j < part->ndeps && part->op == INN_DEPLOY_KEEP; j++) {
			if (plan->parts[part->deps[j]].op != INN_DEPLOY_CREATE)
				continue;
			snprintf(note, sizeof(note), "resource \"%s\" it references is created anew",
			         plan->parts[part->deps[j]].name);
			free((char *)part->note);
			if ((part->note = strdup(note)) == NULL ||
			    (rc = to_update(pc, part, &pc->spec->resources[i])) != 0) {
				rc = inn_error_set(INN_ENOMEM, "out of memory");
				goto out;
			}
		}
	}
	for (i = nspec; i < plan->nparts; i++) {
		const inn_deploy_prev *pv = del_prev[i - nspec];

		for (j = 0; j < nspec; j++)
			if ((plan->parts[j].op == INN_DEPLOY_CREATE ||
			     plan->parts[j].op == INN_DEPLOY_UPDATE) &&
			    (rc = add_dep(&plan->parts[i], j)) != 0)
				goto out;
		(void)pv;
		for (j = nspec; j < plan->nparts; j++) {
			json_object *deps = del_prev[j - nspec]->depends_on;
			size_t k, n;

			if (j == i || deps == NULL || !json_object_is_type(deps, json_type_array))
				continue;
			n = json_object_array_length(deps);
			for (k = 0; k < n; k++) {
				const char *dn = json_object_get_string(json_object_array_get_idx(deps,
				                                                                   k));

				if (dn != NULL && strcmp(dn, plan->parts[i].name) == 0 &&
				    (rc = add_dep(&plan->parts[i], j)) != 0)
					goto out;
			}
		}
	}
out:
	free(state);
	free(path);
	return rc;
}

/* ---- the spec as a whole ------------------------------------------------ */

/* A DNS-1123 label that starts with a letter: what a namespace and most
 * of the names made from the app's can be. */
int
inn_deploy_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 63 || !(s[0] >= 'a' && s[0] <= 'z') || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static void
check_app(struct plan_ctx *pc)
{
	const inn_score *spec = pc->spec;

	if (spec->app != NULL && !inn_deploy_name_ok(spec->app))
		report(pc, INN_DIAG_ERROR, NULL, "metadata.name: \"%.80s\" is not a DNS label: "
		       "lowercase letters, digits and '-', at most 63 characters, starting with "
		       "a letter and not ending with '-'", spec->app);
	if (spec->containers != NULL && json_object_is_type(spec->containers, json_type_object) &&
	    json_object_object_length(spec->containers) == 0)
		report(pc, INN_DIAG_ERROR, NULL, "containers: an app needs at least one container "
		       "(name: {image: ...})");
}

static int
cmp_prev_name(const void *a, const void *b)
{
	const inn_deploy_prev *x = *(const inn_deploy_prev *const *)a;
	const inn_deploy_prev *y = *(const inn_deploy_prev *const *)b;

	return strcmp(x->name, y->name);
}

static int
plan_new(inn_deploy **out, const inn_score *spec)
{
	inn_deploy *plan;
	json_object *app;

	*out = NULL;
	if ((plan = calloc(1, sizeof(*plan))) == NULL ||
	    (plan->data = json_object_new_object()) == NULL ||
	    (plan->secrets = json_object_new_array()) == NULL ||
	    (plan->resources = json_object_new_object()) == NULL) {
		if (plan != NULL && plan->data != NULL)
			json_object_put(plan->resources);
		inn_deploy_free(plan);
		return inn_error_set(INN_ENOMEM, "out of memory");
	}
	json_object_object_add(plan->data, "resources", plan->resources);
	if (spec != NULL) {
		app = json_object_new_object();
		json_object_object_add(app, "name", json_object_new_string(spec->app ? spec->app
		                                                                      : ""));
		json_object_object_add(app, "metadata", inn_json_copy(spec->metadata));
		json_object_object_add(app, "containers", inn_json_copy(spec->containers));
		json_object_object_add(plan->data, "app", app);
	}
	*out = plan;
	return 0;
}

static int
plan_run(inn_deploy **out, const inn_catalog *cat, const char *app, const inn_score *spec,
         const inn_deploy_prev *prev, size_t nprev, int flags, inn_diag *d)
{
	struct plan_ctx pc;
	const inn_deploy_prev **del = NULL;
	size_t i, ndel = 0, nspec = spec != NULL ? spec->nresources : 0;
	int rc;

	*out = NULL;
	memset(&pc, 0, sizeof(pc));
	pc.cat = cat;
	pc.spec = spec;
	pc.app = app != NULL ? app : spec != NULL && spec->app != NULL ? spec->app : "";
	pc.file = spec != NULL && spec->file != NULL ? spec->file : "spec";
	pc.flags = flags;
	pc.d = d;
	if ((rc = plan_new(&pc.plan, spec)) != 0)
		return rc;
	if (nspec > INN_DEPLOY_RESOURCES_MAX) {
		/* at the first resource past the limit */
		report(&pc, INN_DIAG_ERROR, &spec->resources[INN_DEPLOY_RESOURCES_MAX], "%zu "
		       "resources, more than the limit of %d resources in one spec (this is "
		       "resource %d)", nspec, INN_DEPLOY_RESOURCES_MAX,
		       INN_DEPLOY_RESOURCES_MAX + 1);
		goto err;
	}
	if (spec != NULL && !(flags & PLAN_LEGACY))
		check_app(&pc);
	/* the prev resources to delete, by name */
	if (nprev > 0 && (del = calloc(nprev, sizeof(*del))) == NULL)
		goto nomem;
	for (i = 0; i < nprev; i++) {
		const inn_deploy_prev *pv = &prev[i];
		size_t k;
		int in_spec = 0;

		if (pv->name == NULL || status_is(pv, "terminated"))
			continue;
		for (k = 0; k < nspec && !in_spec; k++)
			in_spec = spec->resources[k].name != NULL &&
			          strcmp(spec->resources[k].name, pv->name) == 0;
		if (!in_spec && (spec == NULL || (flags & INN_DEPLOY_DECLARATIVE)))
			del[ndel++] = pv;
	}
	if (ndel > 1)
		qsort(del, ndel, sizeof(*del), cmp_prev_name);
	if (nspec + ndel > 0 &&
	    (pc.plan->parts = calloc(nspec + ndel, sizeof(*pc.plan->parts))) == NULL)
		goto nomem;
	/* every resource is planned, so that every problem is reported at once */
	for (i = 0; i < nspec; i++)
		if (spec_part(&pc, &spec->resources[i],
		              prev_find(prev, nprev, spec->resources[i].name)) == INN_ENOMEM)
			goto nomem;
	for (i = 0; i < ndel; i++)
		if (delete_part(&pc, del[i]) == INN_ENOMEM)
			goto nomem;
	if (!(flags & PLAN_LEGACY) && plan_deps(&pc, nspec, del) == INN_ENOMEM)
		goto nomem;
	if (pc.nerr > 0)
		goto err;
	free(del);
	*out = pc.plan;
	return 0;
nomem:
	pc.nomem = 1;
err:
	free(del);
	inn_deploy_free(pc.plan);
	if (pc.nomem)
		return inn_error_set(INN_ENOMEM, "out of memory");
	return inn_error_set(INN_EINVAL, "%s", pc.first);
}

int
inn_deploy_plan_lifecycle(inn_deploy **out, const inn_catalog *cat, const char *app,
                          const inn_score *spec, const inn_deploy_prev *prev,
                          size_t nprev, int flags, inn_diag *d)
{
	return plan_run(out, cat, app, spec, prev, nprev,
	                flags & (INN_DEPLOY_STRICT | INN_DEPLOY_DECLARATIVE), d);
}

int
inn_deploy_plan(inn_deploy **out, const inn_catalog *cat, const inn_score *spec,
                int flags, inn_diag *d)
{
	return plan_run(out, cat, spec != NULL ? spec->app : NULL, spec, NULL, 0,
	                (flags & INN_DEPLOY_STRICT) | PLAN_LEGACY, d);
}

/* ---- running the parts -------------------------------------------------- */

/* Renders the strings of v that reference resources.<name> (deeply) with
 * env; the rest stays as written (given values are never rendered). */
static int
has_resource_ref_cb(void *ud, const char *ref)
{
	(void)ud;
	return strncmp(ref, "resources.", 10) == 0 ? 1 : 0;
}

static int
render_resource_refs(const inn_tmpl_env *env, json_object *v, const char *path,
                     json_object **out, int depth)
{
	size_t i;
	int rc;

	*out = NULL;
	if (depth > 64)
		return inn_error_set(INN_EINVAL, "%s: nested deeper than 64 levels", path);
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);

		if (inn_tmpl_has_syntax(s) && inn_tmpl_refs(s, has_resource_ref_cb, NULL) == 1) {
			char why[768];

			if ((rc = inn_tmpl_render_value(env, s, out)) == 0)
				return 0;
			snprintf(why, sizeof(why), "%s", inn_error_last());
			return inn_error_set(rc, "%s: %s", path, why);
		}
		*out = json_object_get(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_array)) {
		if ((*out = json_object_new_array()) == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		for (i = 0; i < json_object_array_length(v); i++) {
			json_object *e = NULL;

			if ((rc = render_resource_refs(env, json_object_array_get_idx(v, i), path, &e,
			                               depth + 1)) != 0) {
				json_object_put(*out);
				*out = NULL;
				return rc;
			}
			json_object_array_add(*out, e);
		}
		return 0;
	}
	if (json_object_is_type(v, json_type_object)) {
		if ((*out = json_object_new_object()) == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		json_object_object_foreach(v, k, e) {
			json_object *ne = NULL;

			if ((rc = render_resource_refs(env, e, path, &ne, depth + 1)) != 0) {
				json_object_put(*out);
				*out = NULL;
				return rc;
			}
			json_object_object_add(*out, k, ne);
		}
		return 0;
	}
	*out = json_object_get(v);
	return 0;
}

int
inn_deploy_part_params(const inn_deploy *plan, size_t i, json_object **out)
{
	inn_tmpl_env env = { NULL, NULL, NULL, NULL };
	const inn_deploy_part *part;
	int rc;

	*out = NULL;
	if (i >= plan->nparts)
		return inn_error_set(INN_EINVAL, "no resource part %zu in the plan", i);
	part = &plan->parts[i];
	env.data = plan->data;
	if ((*out = json_object_new_object()) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	json_object_object_foreach(part->params, k, v) {
		char path[300];
		json_object *nv = NULL;

		snprintf(path, sizeof(path), "resource \"%s\": params.%s", part->name, k);
		if ((rc = render_resource_refs(&env, v, path, &nv, 0)) != 0) {
			json_object_put(*out);
			*out = NULL;
			return rc;
		}
		json_object_object_add(*out, k, nv);
	}
	return 0;
}

/* ---- containers --------------------------------------------------------- */

/* The value of a dotted path (a.b.c, len bytes) under root, or NULL. */
static json_object *
lookup_path(json_object *root, const char *p, size_t len)
{
	json_object *cur = root;

	while (len > 0 && cur != NULL) {
		size_t n = 0;
		char key[256];

		while (n < len && p[n] != '.')
			n++;
		if (n == 0 || n >= sizeof(key) || !json_object_is_type(cur, json_type_object))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(cur, key, &cur))
			return NULL;
		p += n;
		len -= n;
		if (len > 0) {
			p++;
			len--;
		}
	}
	return cur;
}

/* One string with its placeholders replaced: *out a new string, or NULL
 * on ENOMEM. */
static json_object *
resolve_string(const char *s, json_object *metadata, json_object *resources,
               json_object *unresolved)
{
	inn_buf b = INN_BUF_INIT(INN_TMPL_MAX_OUTPUT);
	json_object *o;
	char *text;
	int bad = 0;

	while (*s != '\0' && !bad) {
		const char *close;
		json_object *root = NULL, *v;
		size_t rootlen = 0, len;

		if (s[0] == '$' && s[1] == '$' && s[2] == '{') {
			bad |= inn_buf_add(&b, "${", 2) != 0;
			s += 3;
			continue;
		}
		if (s[0] != '$' || s[1] != '{' || (close = strchr(s + 2, '}')) == NULL) {
			bad |= inn_buf_add(&b, s, 1) != 0;
			s++;
			continue;
		}
		len = (size_t)(close - (s + 2));
		if (len > 10 && strncmp(s + 2, "resources.", 10) == 0) {
			root = resources;
			rootlen = 10;
		} else if (len > 9 && strncmp(s + 2, "metadata.", 9) == 0) {
			root = metadata;
			rootlen = 9;
		}
		if (root == NULL && rootlen == 0) {
			/* not a Score placeholder (a shell's ${HOME}): as written */
			bad |= inn_buf_add(&b, s, 2) != 0;
			s += 2;
			continue;
		}
		v = lookup_path(root, s + 2 + rootlen, len - rootlen);
		if (v == NULL || json_object_is_type(v, json_type_null)) {
			json_object_array_add(unresolved, json_object_new_string_len(s, (int)len + 3));
			bad |= inn_buf_add(&b, s, len + 3) != 0;
		} else if (json_object_is_type(v, json_type_string)) {
			bad |= inn_buf_add(&b, json_object_get_string(v),
			                   (size_t)json_object_get_string_len(v)) != 0;
		} else {
			bad |= inn_buf_adds(&b, json_object_to_json_string_ext(v,
			                                   JSON_C_TO_STRING_PLAIN)) != 0;
		}
		s = close + 1;
	}
	if (bad || (text = inn_buf_take(&b)) == NULL) {
		inn_buf_free(&b);
		return NULL;
	}
	o = json_object_new_string(text);
	free(text);
	return o;
}

static json_object *
resolve_value(json_object *v, json_object *metadata, json_object *resources,
              json_object *unresolved, int depth)
{
	json_object *o;
	size_t i;

	if (depth > 64)
		return json_object_get(v);
	if (json_object_is_type(v, json_type_string))
		return resolve_string(json_object_get_string(v), metadata, resources, unresolved);
	if (json_object_is_type(v, json_type_array)) {
		if ((o = json_object_new_array()) == NULL)
			return NULL;
		for (i = 0; i < json_object_array_length(v); i++) {
			json_object *e = resolve_value(json_object_array_get_idx(v, i), metadata,
			                               resources, unresolved, depth + 1);

			if (e == NULL) {
				json_object_put(o);
				return NULL;
			}
			json_object_array_add(o, e);
		}
		return o;
	}
	if (json_object_is_type(v, json_type_object)) {
		if ((o = json_object_new_object()) == NULL)
			return NULL;
		json_object_object_foreach(v, k, e) {
			json_object *ne = resolve_value(e, metadata, resources, unresolved, depth + 1);

			if (ne == NULL) {
				json_object_put(o);
				return NULL;
			}
			json_object_object_add(o, k, ne);
		}
		return o;
	}
	return json_object_get(v);
}

json_object *
inn_deploy_resolve_containers(json_object *containers, json_object *metadata,
                              json_object *resources, json_object **unresolved)
{
	json_object *o;

	if ((*unresolved = json_object_new_array()) == NULL)
		return NULL;
	if (containers == NULL)
		o = json_object_new_object();
	else
		o = resolve_value(containers, metadata, resources, *unresolved, 0);
	if (o == NULL) {
		json_object_put(*unresolved);
		*unresolved = NULL;
	}
	return o;
}

/* ---- focus: a run of one resource type's operation with a spec ---------- */

/* Whether part is provisioned by wf: its own workflow, or the create or
 * update workflow its provider offers for its type. */
static int
part_uses(const inn_deploy_part *part, const inn_workflow *wf)
{
	const inn_provider *p = part->provider;
	size_t j;

	if (part->op == INN_DEPLOY_DELETE || wf == NULL)
		return 0;
	if (part->wf == wf)
		return 1;
	for (j = 0; p != NULL && j < p->ncaps; j++) {
		const inn_resource_cap *c = &p->caps[j];

		if (c->type == NULL || part->type == NULL || strcmp(c->type, part->type) != 0)
			continue;
		if ((c->create != NULL && inn_provider_workflow(p, c->create) == wf) ||
		    (c->update != NULL && inn_provider_workflow(p, c->update) == wf))
			return 1;
	}
	return 0;
}

/* The parts a kept part needs, while they are collected. */
struct focus_walk {
	const inn_deploy *plan;
	unsigned char *keep;
	size_t *stack, top;
};

static void
focus_add(struct focus_walk *fw, size_t j)
{
	if (j < fw->plan->nparts && !fw->keep[j]) {
		fw->keep[j] = 1;
		fw->stack[fw->top++] = j;
	}
}

/* A resources.<R> reference in a kept part's params: R is kept too (a plan
 * without deps, inn_deploy_plan, has them only here). */
static int
focus_ref_cb(void *ud, const char *ref)
{
	struct focus_walk *fw = ud;
	char name[256];
	int j;

	if (!ref_resource(ref, name, sizeof(name)))
		return 0;
	if ((j = part_index(fw->plan, name)) >= 0)
		focus_add(fw, (size_t)j);
	return 0;
}

size_t
inn_deploy_focus(inn_deploy *plan, const inn_workflow *wf)
{
	struct focus_walk fw;
	const int no_stop = 0;
	unsigned char *keep;
	size_t *map, *stack, i, j, k, n = 0, used = 0;

	for (i = 0; i < plan->nparts; i++)
		if (part_uses(&plan->parts[i], wf))
			used++;
	if (used == 0)
		return 0;
	keep = calloc(plan->nparts, 1);
	map = calloc(plan->nparts, sizeof(*map));
	stack = calloc(plan->nparts, sizeof(*stack));
	if (keep == NULL || map == NULL || stack == NULL) {
		/* cannot narrow it: every part stays (the caller still runs no
		 * main workflow: these parts are the run) */
		free(keep);
		free(map);
		free(stack);
		return used;
	}
	fw.plan = plan;
	fw.keep = keep;
	fw.stack = stack;
	fw.top = 0;
	for (i = 0; i < plan->nparts; i++)
		if (part_uses(&plan->parts[i], wf))
			focus_add(&fw, i);
	while (fw.top > 0) {
		const inn_deploy_part *part = &plan->parts[fw.stack[--fw.top]];

		for (k = 0; k < part->ndeps; k++)
			focus_add(&fw, part->deps[k]);
		each_string_ref(part->params, 0, focus_ref_cb, NULL, &fw, &no_stop);
	}
	for (i = 0; i < plan->nparts; i++)
		if (keep[i])
			map[i] = n++;
	for (i = 0, j = 0; i < plan->nparts; i++) {
		if (!keep[i]) {
			part_clear(&plan->parts[i]);
			continue;
		}
		for (k = 0; k < plan->parts[i].ndeps; k++)
			plan->parts[i].deps[k] = map[plan->parts[i].deps[k]];
		if (j != i) {
			plan->parts[j] = plan->parts[i];
			memset(&plan->parts[i], 0, sizeof(plan->parts[i]));
		}
		j++;
	}
	plan->nparts = n;
	free(keep);
	free(map);
	free(stack);
	return used;
}

/* ---- the plan's accessors and data -------------------------------------- */

size_t
inn_deploy_nparts(const inn_deploy *plan)
{
	return plan->nparts;
}

const inn_deploy_part *
inn_deploy_part_at(const inn_deploy *plan, size_t i)
{
	return i < plan->nparts ? &plan->parts[i] : NULL;
}

size_t
inn_deploy_nsteps(const inn_deploy *plan)
{
	size_t i, n = 0;

	for (i = 0; i < plan->nparts; i++)
		if (plan->parts[i].op != INN_DEPLOY_KEEP && plan->parts[i].wf != NULL)
			n += plan->parts[i].wf->nsteps;
	return n;
}

json_object *
inn_deploy_data(const inn_deploy *plan)
{
	return plan->data;
}

int
inn_deploy_resource_done(inn_deploy *plan, size_t i, json_object *outputs, inn_masker *m)
{
	json_object *ro;

	if (i < plan->nparts && plan->parts[i].op == INN_DEPLOY_DELETE)
		return 0;             /* gone: nothing for templates to see */
	if (i >= plan->nparts ||
	    !json_object_object_get_ex(plan->resources, plan->parts[i].name, &ro))
		return inn_error_set(INN_EINVAL, "no resource part %zu in the plan", i);
	if (outputs == NULL || !json_object_is_type(outputs, json_type_object))
		return 0;
	json_object_object_foreach(outputs, k, v)
		json_object_object_add(ro, k, json_object_get(v));
	if (m != NULL)
		inn_masker_collect(m, outputs, plan->secrets);
	return 0;
}

json_object *
inn_deploy_secrets(const inn_deploy *plan)
{
	return plan->secrets;
}

json_object *
inn_deploy_main_completed(const inn_deploy *plan, json_object *completed)
{
	json_object *comp = NULL, *mask;
	size_t k, n = json_object_array_length(plan->secrets);

	if (n == 0)
		return NULL;
	if (completed == NULL)
		comp = json_object_new_object();
	else if (json_object_deep_copy(completed, &comp, NULL) != 0)
		return NULL;
	mask = inn_completed_mask(comp);
	for (k = 0; k < n; k++)
		json_object_array_add(mask, json_object_get(json_object_array_get_idx(plan->secrets,
		                                                                      k)));
	return comp;
}

size_t
inn_deploy_check_output_refs(const inn_deploy *plan, const inn_workflow *wf, inn_diag *diag)
{
	size_t i, j, n, bad = 0;

	if (plan == NULL || wf == NULL || wf->spec_refs == NULL)
		return 0;
	n = json_object_array_length(wf->spec_refs);
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(wf->spec_refs, i);
		const char *root = json_object_get_string(json_object_object_get(o, "root"));
		const char *name = json_object_get_string(json_object_object_get(o, "name"));
		const char *ref = json_object_get_string(json_object_object_get(o, "ref"));
		const inn_deploy_part *p = NULL;
		const char *k;
		char have[512];
		size_t klen, len = 0;

		if (root == NULL || strcmp(root, "resources") != 0 || name == NULL || ref == NULL)
			continue;
		for (j = 0; j < plan->nparts && p == NULL; j++)
			if (strcmp(plan->parts[j].name, name) == 0)
				p = &plan->parts[j];
		k = ref + 10 + strlen(name);
		if (p == NULL || p->wf == NULL || *k != '.' ||
		    json_object_object_length(p->wf->outputs) == 0)
			continue;
		k++;
		klen = strcspn(k, ".[");
		if ((klen == 4 && memcmp(k, "name", 4) == 0) || (klen == 4 && memcmp(k, "type", 4) == 0))
			continue;
		have[0] = '\0';
		json_object_object_foreach(p->wf->outputs, ok, ov) {
			(void)ov;
			if (strlen(ok) == klen && memcmp(ok, k, klen) == 0) {
				have[0] = '\1';
				break;
			}
			if (len < sizeof(have))
				len += (size_t)snprintf(have + len, sizeof(have) - len, "%s%s",
				                        len ? ", " : "", ok);
		}
		if (have[0] == '\1')
			continue;
		bad++;
		inn_diag_add(diag, INN_DIAG_ERROR,
		             json_object_get_string(json_object_object_get(o, "file")),
		             json_object_get_int(json_object_object_get(o, "line")),
		             json_object_get_int(json_object_object_get(o, "col")),
		             "%s: references %s, but resource \"%s\" gets its outputs from "
		             "workflow \"%s\", which declares only name, type and: %s",
		             json_object_get_string(json_object_object_get(o, "who")), ref, name,
		             p->wf->name ? p->wf->name : "?", have);
	}
	return bad;
}
