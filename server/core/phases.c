/*
 * phases.c - picks the platform (golden path) and product (provider)
 * workflows that run around a deployment's resource parts (phases.h): a
 * workflow with a `phase:` whose `triggers:` hold for this deployment,
 * with the standard inputs it reads and its defaults, in run order.
 */
#include "phases.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tmpl.h"

static const char *const phase_names[] = {
	"pre-deployment", "deployment", "post-deployment"
};

const char *
inn_phase_name(inn_phase p)
{
	return (unsigned)p < 3 ? phase_names[p] : "?";
}

static int
phase_of(const inn_workflow *wf, inn_phase *out)
{
	unsigned i;

	if (wf->phase == NULL)
		return -1;
	for (i = 0; i < 3; i++)
		if (strcmp(wf->phase, phase_names[i]) == 0) {
			*out = (inn_phase)i;
			return 0;
		}
	return -1;
}

/* Non-zero when wf is the create/read/update/delete workflow of one of
 * p's resource types: those run as resource parts, never as a phase. */
static int
is_operation_wf(const inn_provider *p, const inn_workflow *wf)
{
	size_t i;

	for (i = 0; i < p->ncaps; i++) {
		const inn_resource_cap *c = &p->caps[i];
		const char *ops[4] = { c->create, c->read, c->update, c->del };
		int k;

		for (k = 0; k < 4; k++)
			if (ops[k] != NULL && strcmp(ops[k], wf->name) == 0)
				return 1;
	}
	return 0;
}

/* Non-zero when the app uses (creates, updates or keeps) a resource type
 * of provider p. */
static int
app_uses(const inn_deploy *plan, const inn_provider *p)
{
	size_t i;

	for (i = 0; plan != NULL && i < inn_deploy_nparts(plan); i++) {
		const inn_deploy_part *part = inn_deploy_part_at(plan, i);

		if (part->op != INN_DEPLOY_DELETE && part->provider == p)
			return 1;
	}
	return 0;
}

/* The trigger of wf that holds (a static string), or NULL.  prov: the
 * product workflow's provider, NULL for a platform workflow. */
static const char *
trigger_of(const inn_workflow *wf, const inn_provider *prov, const inn_deploy *plan,
           int first)
{
	size_t i;

	for (i = 0; i < wf->ntriggers; i++) {
		const char *t = wf->triggers[i];

		if (t == NULL)
			continue;
		if (strcmp(t, "first_deployment") == 0 && first)
			return "first_deployment";
		if (strcmp(t, "product_deployment") == 0 && (prov == NULL || app_uses(plan, prov)))
			return "product_deployment";
	}
	return NULL;
}

/* e->params for wf: app_name and namespace where it declares or reads
 * them, and its defaults that need no rendering.  A required parameter
 * that nothing gives: returns 1 with its name in *missing. */
static int
entry_params(inn_phase_entry *e, const char *app, const char **missing)
{
	const inn_workflow *wf = e->wf;
	char ns[512];
	const char *names[2] = { "app_name", "namespace" };
	const char *vals[2];
	size_t i;
	int k;

	*missing = NULL;
	snprintf(ns, sizeof(ns), "%s-default", app);
	vals[0] = app;
	vals[1] = ns;
	if ((e->params = json_object_new_object()) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	for (k = 0; k < 2; k++) {
		int std = inn_param_standard_input(names[k], strlen(names[k]));

		if (inn_workflow_param(wf, names[k], strlen(names[k])) != NULL ||
		    (std >= 0 && (wf->std_inputs & (1u << std))))
			json_object_object_add(e->params, names[k], json_object_new_string(vals[k]));
	}
	for (i = 0; i < wf->nparams; i++) {
		const inn_param *p = &wf->params[i];

		if (json_object_object_get_ex(e->params, p->name, NULL))
			continue;
		if (p->def != NULL) {
			if (!json_object_is_type(p->def, json_type_string) ||
			    !inn_tmpl_has_syntax(json_object_get_string(p->def)))
				json_object_object_add(e->params, p->name, inn_json_copy(p->def));
			continue;
		}
		if (p->required) {
			*missing = p->name;
			return 1;
		}
	}
	return 0;
}

struct sel {
	inn_phase_entry *e;
	size_t n, cap;
};

static int
already(const struct sel *s, const inn_workflow *wf)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->e[i].wf == wf)
			return 1;
	return 0;
}

/* Adds wf when it has a phase and a trigger that holds. */
static int
consider(struct sel *s, const inn_workflow *wf, const inn_provider *prov,
         const inn_deploy *plan, const char *app, int first, inn_diag *d)
{
	inn_phase ph;
	const char *trig, *missing;
	inn_phase_entry *e;
	int rc;

	if (wf == NULL || phase_of(wf, &ph) != 0 || already(s, wf) ||
	    (trig = trigger_of(wf, prov, plan, first)) == NULL)
		return 0;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 8;
		inn_phase_entry *ne = realloc(s->e, nc * sizeof(*ne));

		if (ne == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		s->e = ne;
		s->cap = nc;
	}
	e = &s->e[s->n];
	memset(e, 0, sizeof(*e));
	e->phase = ph;
	e->wf = wf;
	e->provider = prov;
	e->trigger = trig;
	if ((rc = entry_params(e, app, &missing)) < 0) {
		json_object_put(e->params);
		return rc;
	}
	if (rc == 1) {
		if (d != NULL)
			inn_diag_add(d, INN_DIAG_WARNING, wf->file ? wf->file : wf->name, 0, 0,
			             "%s workflow %s%s%s (%s, trigger %s) does not run: its required "
			             "parameter \"%s\" has no default and a deployment gives only "
			             "app_name and namespace", prov ? "product" : "platform",
			             prov ? prov->name : "", prov ? "/" : "", wf->name,
			             inn_phase_name(ph), trig, missing);
		json_object_put(e->params);
		return 0;
	}
	s->n++;
	return 0;
}

static int
cmp_entry(const void *a, const void *b)
{
	const inn_phase_entry *x = a, *y = b;
	int c;

	if (x->phase != y->phase)
		return x->phase < y->phase ? -1 : 1;
	if ((x->provider == NULL) != (y->provider == NULL))
		return x->provider == NULL ? -1 : 1;
	if (x->provider != NULL && (c = strcmp(x->provider->name, y->provider->name)) != 0)
		return c;
	return strcmp(x->wf->name ? x->wf->name : "", y->wf->name ? y->wf->name : "");
}

int
inn_phase_select(const inn_catalog *cat, const inn_deploy *plan, const char *app,
                 int first_deployment, inn_phase_entry **out, size_t *n, inn_diag *d)
{
	struct sel s = { NULL, 0, 0 };
	size_t i, j;
	int rc = 0;

	*out = NULL;
	*n = 0;
	/* an app deletion (a plan without a spec) runs no phases */
	if (cat == NULL || app == NULL ||
	    (plan != NULL && !json_object_object_get_ex(inn_deploy_data(plan), "app", NULL)))
		return 0;
	for (i = 0; i < cat->ngoldenpaths && rc == 0; i++)
		rc = consider(&s, cat->goldenpaths[i].workflow, NULL, plan, app, first_deployment,
		              d);
	for (i = 0; i < cat->nproviders && rc == 0; i++) {
		const inn_provider *p = cat->providers[i];

		for (j = 0; j < p->nworkflows && rc == 0; j++)
			if (!is_operation_wf(p, p->workflows[j]))
				rc = consider(&s, p->workflows[j], p, plan, app, first_deployment, d);
	}
	if (rc != 0) {
		inn_phase_entries_free(s.e, s.n);
		return rc;
	}
	if (s.n > 1)
		qsort(s.e, s.n, sizeof(*s.e), cmp_entry);
	*out = s.e;
	*n = s.n;
	return 0;
}

void
inn_phase_entries_free(inn_phase_entry *e, size_t n)
{
	size_t i;

	for (i = 0; e != NULL && i < n; i++)
		json_object_put(e[i].params);
	free(e);
}
