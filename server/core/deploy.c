/*
 * deploy.c - plans a Score spec's deployment (deploy.h): resolves each
 * resource type to its provider's create workflow, gives it the standard
 * inputs and the params it declares, and keeps the template data (`app`, `resources`)
 * that the resource parts and the main workflow see, filling in each
 * resource's outputs as it is provisioned.
 */
#include "deploy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "exec.h"

struct inn_deploy {
	inn_deploy_part *parts;
	size_t nparts;
	json_object *data;        /* {app, resources} or {} */
	json_object *resources;   /* data.resources (borrowed from data) */
	json_object *secrets;     /* secret values among the parts' outputs (array) */
};

void
inn_deploy_free(inn_deploy *plan)
{
	if (plan == NULL)
		return;
	while (plan->nparts > 0) {
		inn_deploy_part *part = &plan->parts[--plan->nparts];

		free((char *)part->name);
		free((char *)part->type);
		json_object_put(part->params);
	}
	free(plan->parts);
	json_object_put(plan->data);
	json_object_put(plan->secrets);
	free(plan);
}

/* Reports a problem with the spec (at resource r, or NULL): a warning to d,
 * or an error to d and to inn_error_last() (returns INN_EINVAL then). */
static int
report(inn_diag *d, inn_diag_level level, const inn_score *spec,
       const inn_score_resource *r, const char *fmt, ...) INN_PRINTF_LIKE(5, 6);

static int
report(inn_diag *d, inn_diag_level level, const inn_score *spec,
       const inn_score_resource *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d != NULL)
		inn_diag_add(d, level, spec->file ? spec->file : "spec", r ? r->line : 0,
		             r ? r->col : 0, "%s", msg);
	return level == INN_DIAG_ERROR ? inn_error_set(INN_EINVAL, "%s", msg) : 0;
}

/* The standard inputs (model.h) the workflow declares or reads go to
 * part->params, as the original's engine gave them to every resource
 * operation; the resource's own params (plan_params) may override them. */
static int
plan_standard_inputs(inn_deploy_part *part, const inn_score *spec,
                     const inn_score_resource *r)
{
	char bucket[512], ns[512];
	const char *vals[INN_STD_INPUTS];
	int i;

	snprintf(bucket, sizeof(bucket), "%s-%s", spec->app, r->name);
	snprintf(ns, sizeof(ns), "%s-default", spec->app);
	vals[0] = spec->app;
	vals[1] = r->name;
	vals[2] = r->type;
	vals[3] = bucket;
	vals[4] = ns;
	for (i = 0; i < INN_STD_INPUTS; i++) {
		const char *name = inn_param_standard_name(i);
		json_object *v;

		if (!(part->wf->std_inputs & (1u << i)) &&
		    inn_workflow_param(part->wf, name, strlen(name)) == NULL)
			continue;
		if ((v = json_object_new_string(vals[i])) == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		json_object_object_add(part->params, name, v);
	}
	return 0;
}

/* The params of r that part->wf declares go to part->params; each other
 * one is an error (strict) or a warning.  0, or INN_EINVAL (reported). */
static int
plan_params(inn_deploy_part *part, const inn_score *spec, const inn_score_resource *r,
            int flags, inn_diag *d)
{
	int rc;

	if ((rc = plan_standard_inputs(part, spec, r)) != 0 || r->params == NULL)
		return rc;
	json_object_object_foreach(r->params, k, v) {
		int std = inn_param_standard_input(k, strlen(k));

		if (inn_workflow_param(part->wf, k, strlen(k)) != NULL ||
		    (std >= 0 && (part->wf->std_inputs & (1u << std)))) {
			json_object_object_add(part->params, k, inn_json_copy(v));
			continue;
		}
		if (flags & INN_DEPLOY_STRICT)
			return report(d, INN_DIAG_ERROR, spec, r, "resource \"%s\": its type \"%s\" "
			              "(workflow %s) has no parameter \"%s\"", r->name, r->type,
			              part->wf->name, k);
		report(d, INN_DIAG_WARNING, spec, r, "resource \"%s\": its type \"%s\" (workflow "
		       "%s) has no parameter \"%s\"; it is not passed", r->name, r->type,
		       part->wf->name, k);
	}
	return 0;
}

/* The next part of the plan: resource r, its placeholder in data.resources. */
static int
plan_part(inn_deploy *plan, const inn_catalog *cat, const inn_score *spec,
          const inn_score_resource *r, int flags, inn_diag *d)
{
	inn_deploy_part *part = &plan->parts[plan->nparts];
	const inn_provider *prov = NULL;
	const inn_resource_cap *cap = inn_catalog_resource(cat, r->type, &prov);
	const inn_workflow *wf = cap && cap->create ? inn_provider_workflow(prov, cap->create)
	                                            : NULL;
	json_object *ph, *resolved = NULL;
	int rc;

	if (wf == NULL)
		return report(d, INN_DIAG_ERROR, spec, r, "resource \"%s\": no provider offers "
		              "type \"%s\" with a create workflow", r->name, r->type);
	part->name = strdup(r->name);
	part->type = strdup(r->type);
	part->provider = prov;
	part->wf = wf;
	part->params = json_object_new_object();
	plan->nparts++;
	if (part->name == NULL || part->type == NULL || part->params == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	ph = json_object_new_object();
	json_object_object_add(ph, "name", json_object_new_string(r->name));
	json_object_object_add(ph, "type", json_object_new_string(r->type));
	json_object_object_add(plan->resources, r->name, ph);
	if ((rc = plan_params(part, spec, r, flags, d)) != 0)
		return rc;
	/* the params as its run will take them (types, required, patterns,
	 * limits): refused now, before any resource is provisioned */
	if (inn_params_resolve(wf, part->params, &resolved) != 0) {
		char why[768];

		snprintf(why, sizeof(why), "%s", inn_error_last());
		return report(d, INN_DIAG_ERROR, spec, r, "resource \"%s\": %s", r->name, why);
	}
	json_object_put(resolved);
	return 0;
}

int
inn_deploy_plan(inn_deploy **out, const inn_catalog *cat, const inn_score *spec,
                int flags, inn_diag *d)
{
	inn_deploy *plan;
	json_object *app;
	size_t i;
	int rc;

	*out = NULL;
	if ((plan = calloc(1, sizeof(*plan))) == NULL ||
	    (plan->data = json_object_new_object()) == NULL ||
	    (plan->secrets = json_object_new_array()) == NULL) {
		inn_deploy_free(plan);
		return inn_error_set(INN_ENOMEM, "out of memory");
	}
	plan->resources = json_object_new_object();
	json_object_object_add(plan->data, "resources", plan->resources);
	if (spec == NULL) {
		*out = plan;
		return 0;
	}
	app = json_object_new_object();
	json_object_object_add(app, "name", json_object_new_string(spec->app));
	json_object_object_add(app, "metadata", inn_json_copy(spec->metadata));
	json_object_object_add(app, "containers", inn_json_copy(spec->containers));
	json_object_object_add(plan->data, "app", app);
	if (spec->nresources > INN_DEPLOY_RESOURCES_MAX) {
		rc = report(d, INN_DIAG_ERROR, spec, NULL, "%zu resources, more than the limit of "
		            "%d resources in one spec", spec->nresources, INN_DEPLOY_RESOURCES_MAX);
		goto err;
	}
	if (spec->nresources > 0 &&
	    (plan->parts = calloc(spec->nresources, sizeof(*plan->parts))) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto err;
	}
	/* every resource is planned, so that every problem is reported at once */
	rc = 0;
	for (i = 0; i < spec->nresources; i++) {
		int r2 = plan_part(plan, cat, spec, &spec->resources[i], flags, d);

		if (r2 == INN_ENOMEM) {
			rc = r2;
			goto err;
		}
		if (r2 != 0 && rc == 0)
			rc = r2;
	}
	if (rc != 0)
		goto err;
	*out = plan;
	return 0;
err:
	inn_deploy_free(plan);
	return rc;
}

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
