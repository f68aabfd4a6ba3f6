/*
 * demo.c - the demo environment run: demo-time installs, demo-status
 * checks and demo-nuke removes the components (demo_load.c reads them)
 * through kubernetes.so, by building a workflow in memory and running it
 * on the engine; then a report row per component (demo.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "demo.h"
#include "demo_int.h"
#include "error.h"
#include "load_int.h"
#include "yaml_tree.h"

/* How long a component may take to become ready, and a request. */
#define DEMO_READY_TIMEOUT "5m"
#define DEMO_REQUEST_TIMEOUT "30s"

const char *
inn_demo_op_name(inn_demo_op op)
{
	return op == INN_DEMO_TIME ? "demo-time" : op == INN_DEMO_STATUS ? "demo-status" :
	       "demo-nuke";
}

/* ---- the kubeconfig ------------------------------------------------------ */

static const inn_ynode *
named_entry(const inn_ynode *seq, const char *name, const char *inner)
{
	size_t i;

	if (seq == NULL || seq->kind != INN_Y_SEQ || name == NULL)
		return NULL;
	for (i = 0; i < seq->n; i++) {
		const inn_ynode *it = seq->items[i], *nm;

		if (it->kind != INN_Y_MAP || (nm = inn_ymap_get(it, "name")) == NULL ||
		    !inn_ynode_is_scalar(nm) || strcmp(nm->value, name) != 0)
			continue;
		return inn_ymap_get(it, inner);
	}
	return NULL;
}

/* The current context's cluster URL of kubeconfig path ("" if unknown). */
static void
kube_server(const char *path, char *server, size_t slen)
{
	inn_ydoc *doc = NULL;
	const inn_ynode *cur, *ctx, *cl, *srv;

	server[0] = '\0';
	if (inn_yaml_load_file(&doc, path) != 0 || doc->root == NULL ||
	    doc->root->kind != INN_Y_MAP)
		goto out;
	cur = inn_ymap_get(doc->root, "current-context");
	if (cur == NULL || !inn_ynode_is_scalar(cur))
		goto out;
	ctx = named_entry(inn_ymap_get(doc->root, "contexts"), cur->value, "context");
	cl = ctx != NULL && ctx->kind == INN_Y_MAP ? inn_ymap_get(ctx, "cluster") : NULL;
	if (cl == NULL || !inn_ynode_is_scalar(cl))
		goto out;
	cl = named_entry(inn_ymap_get(doc->root, "clusters"), cl->value, "cluster");
	srv = cl != NULL && cl->kind == INN_Y_MAP ? inn_ymap_get(cl, "server") : NULL;
	if (srv != NULL && inn_ynode_is_scalar(srv))
		snprintf(server, slen, "%s", srv->value);
out:
	inn_ydoc_free(doc);
}

static int
is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

void
inn_demo_kubeconfig(const char *given, char *path, size_t plen, char *server, size_t slen)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");

	path[0] = server[0] = '\0';
	if (given != NULL && *given != '\0') {
		snprintf(path, plen, "%s", given);
	} else if (env != NULL && *env != '\0') {
		const char *p = env;

		while (*p != '\0' && path[0] == '\0') {
			size_t n = strcspn(p, ":");

			if (n > 0 && n < plen) {
				snprintf(path, plen, "%.*s", (int)n, p);
				if (!is_file(path))
					path[0] = '\0';
			}
			p += n + (p[n] == ':');
		}
	}
	if (path[0] == '\0' && (given == NULL || *given == '\0') && home != NULL &&
	    *home != '\0') {
		snprintf(path, plen, "%s/.kube/config", home);
		if (!is_file(path))
			path[0] = '\0';
	}
	if (path[0] != '\0') {
		char real[4096];

		/* absolute: the steps run in their own workspace */
		if (realpath(path, real) != NULL && strlen(real) < plen)
			snprintf(path, plen, "%s", real);
		kube_server(path, server, slen);
	}
}

/* ---- the workflows ------------------------------------------------------- */

static json_object *
kube_step(const char *name, const char *op, const char *kubeconfig)
{
	json_object *s = json_object_new_object(), *cfg = json_object_new_object();

	json_object_object_add(s, "name", json_object_new_string(name));
	json_object_object_add(s, "type", json_object_new_string("kubernetes"));
	json_object_object_add(cfg, "operation", json_object_new_string(op));
	json_object_object_add(cfg, "timeout", json_object_new_string(DEMO_REQUEST_TIMEOUT));
	if (kubeconfig != NULL && *kubeconfig != '\0')
		json_object_object_add(cfg, "kubeconfig", json_object_new_string(kubeconfig));
	json_object_object_add(s, "config", cfg);
	return s;
}

static json_object *
step_cfg(json_object *s)
{
	json_object *cfg = NULL;

	json_object_object_get_ex(s, "config", &cfg);
	return cfg;
}

static void
cfg_set(json_object *s, const char *k, const char *v)
{
	json_object_object_add(step_cfg(s), k, json_object_new_string(v));
}

/* "<component>-<what>" with the manifest's number when it has several. */
static void
step_name(char *buf, size_t len, const char *comp, const char *what, size_t k, size_t n)
{
	if (n > 1)
		snprintf(buf, len, "%s-%s-%zu", comp, what, k + 1);
	else
		snprintf(buf, len, "%s-%s", comp, what);
}

/* The steps of op: first "cluster" (the namespaces listed: is the cluster
 * there?), then the operation's. */
static json_object *
workflow_json(const inn_demo *d, inn_demo_op op, const char *kubeconfig)
{
	json_object *wf = json_object_new_object(), *steps = json_object_new_array(), *s;
	char name[200];
	size_t i, k;

	json_object_object_add(wf, "name", json_object_new_string(inn_demo_op_name(op)));
	json_object_object_add(wf, "description", json_object_new_string(
	    "the demo environment (demo/components.yaml), built by innominatus"));
	s = kube_step("cluster", "get", kubeconfig);
	cfg_set(s, "resource_type", "namespace");
	json_object_array_add(steps, s);
	if (op == INN_DEMO_TIME) {
		if (d->namespaces != NULL) {
			s = kube_step("namespaces", "apply", kubeconfig);
			cfg_set(s, "manifest_path", d->namespaces);
			json_object_array_add(steps, s);
		}
		for (i = 0; i < d->ncomps; i++) {
			const inn_demo_component *c = &d->comps[i];

			for (k = 0; k < c->nmanifests; k++) {
				step_name(name, sizeof(name), c->name, "apply", k, c->nmanifests);
				s = kube_step(name, "apply", kubeconfig);
				cfg_set(s, "manifest_path", c->manifests[k]);
				cfg_set(s, "namespace", c->ns);
				json_object_array_add(steps, s);
			}
			step_name(name, sizeof(name), c->name, "ready", 0, 1);
			s = kube_step(name, "wait", kubeconfig);
			cfg_set(s, "resource_type", c->health.kind);
			cfg_set(s, "resource_name", c->health.name);
			cfg_set(s, "namespace", c->health.ns ? c->health.ns : c->ns);
			cfg_set(s, "wait_for", c->health.ready);
			cfg_set(s, "timeout", DEMO_READY_TIMEOUT);
			json_object_array_add(steps, s);
		}
	} else if (op == INN_DEMO_STATUS) {
		for (i = 0; i < d->ncomps; i++) {
			const inn_demo_component *c = &d->comps[i];
			json_object *deps = json_object_new_array();

			/* kubernetes.so judges ready once, as its wait would */
			s = kube_step(c->name, "check", kubeconfig);
			cfg_set(s, "resource_type", c->health.kind);
			cfg_set(s, "resource_name", c->health.name);
			cfg_set(s, "namespace", c->health.ns ? c->health.ns : c->ns);
			cfg_set(s, "wait_for", c->health.ready);
			json_object_array_add(deps, json_object_new_string("cluster"));
			json_object_object_add(s, "depends_on", deps);
			json_object_object_add(s, "continue_on_error", json_object_new_boolean(1));
			json_object_array_add(steps, s);
		}
	} else {
		for (i = d->ncomps; i-- > 0;) {
			const inn_demo_component *c = &d->comps[i];

			for (k = c->nmanifests; k-- > 0;) {
				step_name(name, sizeof(name), c->name, "delete", k, c->nmanifests);
				s = kube_step(name, "delete", kubeconfig);
				cfg_set(s, "manifest_path", c->manifests[k]);
				cfg_set(s, "namespace", c->ns);
				json_object_object_add(s, "continue_on_error",
				                       json_object_new_boolean(1));
				json_object_array_add(steps, s);
			}
		}
		if (d->namespaces != NULL) {
			s = kube_step("namespaces-delete", "delete", kubeconfig);
			cfg_set(s, "manifest_path", d->namespaces);
			json_object_object_add(s, "continue_on_error", json_object_new_boolean(1));
			json_object_array_add(steps, s);
		}
	}
	json_object_object_add(wf, "steps", steps);
	return wf;
}

/* op's workflow loaded like a file in the demo folder (its manifest_path
 * values are relative to it).  ctx: the plugins only -- the demo is the
 * platform's own install, not a team's workflow, so no stepDefaults or
 * stepPolicies apply to it. */
static int
demo_workflow(inn_workflow **out, const inn_demo *d, inn_demo_op op, const char *kubeconfig,
              const inn_registry *reg)
{
	json_object *j = workflow_json(d, op, kubeconfig);
	const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
	                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
	inn_load_ctx ctx = { NULL, reg };
	inn_l_wf_extra x;
	inn_diag diag;
	char *name = NULL;
	int rc;

	*out = NULL;
	memset(&x, 0, sizeof(x));
	x.base_dir = d->dir;
	inn_diag_init(&diag);
	if ((name = inn_l_join(d->dir, inn_demo_op_name(op))) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	rc = inn_l_workflow_load_in(out, name, text, strlen(text), &ctx, &x, &diag);
	if (rc != 0 || diag.nerrors > 0) {
		char buf[1024] = "";
		size_t i;

		for (i = 0; i < diag.n; i++)
			if (diag.items[i].level == INN_DIAG_ERROR) {
				inn_diag_format(&diag, i, buf, sizeof(buf));
				break;
			}
		inn_workflow_free(*out);
		*out = NULL;
		rc = inn_error_set(INN_EINVAL, "%s: the workflow it builds does not load: %s",
		                   inn_demo_op_name(op), buf);
	}
out:
	free(name);
	inn_diag_free(&diag);
	json_object_put(j);
	return rc;
}

/* ---- running ------------------------------------------------------------ */

static const inn_step_result *
step_named(const inn_run *run, const char *name)
{
	size_t i;

	for (i = 0; i < inn_run_nsteps(run); i++) {
		const inn_step_result *r = inn_run_step(run, i);

		if (r->def != NULL && strcmp(r->def->name, name) == 0)
			return r;
	}
	return NULL;
}

/* The step's message, or its state's word. */
static const char *
step_why(const inn_step_result *r)
{
	if (r == NULL)
		return "not run";
	return r->message != NULL && *r->message ? r->message : inn_state_name(r->state);
}

/* What the check step r saw (its "detail" output), or NULL. */
static const char *
check_detail(const inn_step_result *r)
{
	json_object *v;

	if (r == NULL || r->outputs == NULL ||
	    !json_object_object_get_ex(r->outputs, "detail", &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* One component's row of the report; returns whether it is fine. */
static int
component_row(const inn_demo_component *c, inn_demo_op op, const inn_run *run,
              json_object *row)
{
	char name[200], detail[1024], obj[400];
	const inn_step_result *r;
	int ok = 1;
	size_t k;

	snprintf(obj, sizeof(obj), "%s/%s", c->health.kind, c->health.name);
	json_object_object_add(row, "object", json_object_new_string(obj));
	if (op == INN_DEMO_STATUS) {
		/* the check step: succeeded is healthy (detail: what it saw),
		 * failed says why (what it saw, or the request's error) */
		r = step_named(run, c->name);
		ok = r != NULL && r->state == INN_STATE_SUCCEEDED;
		snprintf(detail, sizeof(detail), "%s", !ok ? step_why(r) :
		         check_detail(r) != NULL ? check_detail(r) : c->health.ready);
		json_object_object_add(row, "healthy", json_object_new_boolean(ok));
	} else {
		const char *verb = op == INN_DEMO_TIME ? "apply" : "delete";

		detail[0] = '\0';
		for (k = 0; k < c->nmanifests && ok; k++) {
			step_name(name, sizeof(name), c->name, verb, k, c->nmanifests);
			r = step_named(run, name);
			if (r == NULL || r->state != INN_STATE_SUCCEEDED) {
				snprintf(detail, sizeof(detail), "%s %s: %s", verb, c->manifests[k],
				         step_why(r));
				ok = 0;
			}
		}
		json_object_object_add(row, op == INN_DEMO_TIME ? "applied" : "deleted",
		                       json_object_new_boolean(ok));
		if (op == INN_DEMO_TIME) {
			int ready;

			step_name(name, sizeof(name), c->name, "ready", 0, 1);
			r = step_named(run, name);
			ready = ok && r != NULL && r->state == INN_STATE_SUCCEEDED;
			if (ok)
				snprintf(detail, sizeof(detail), "%s", ready ? c->health.ready :
				         step_why(r));
			json_object_object_add(row, "healthy", json_object_new_boolean(ready));
			ok = ready;
		} else if (ok) {
			snprintf(detail, sizeof(detail), "deleted");
		}
	}
	json_object_object_add(row, "detail", json_object_new_string(detail));
	if (c->url != NULL)
		json_object_object_add(row, "url", json_object_new_string(c->url));
	if (c->credentials != NULL)
		json_object_object_add(row, "credentials", json_object_new_string(c->credentials));
	return ok;
}

int
inn_demo_run(inn_engine *eng, const inn_registry *reg, const inn_demo *d, inn_demo_op op,
             const char *kubeconfig, const inn_run_events *events, json_object **report)
{
	char kc[4096], server[1024], msg[8192];
	inn_workflow *wf = NULL;
	inn_run *run = NULL;
	inn_run_opts ro;
	json_object *rep = NULL, *rows;
	const inn_step_result *cl;
	size_t i;
	int rc, all_ok = 1;

	*report = NULL;
	inn_demo_kubeconfig(kubeconfig, kc, sizeof(kc), server, sizeof(server));
	if (kc[0] == '\0' && getenv("KUBERNETES_SERVICE_HOST") == NULL)
		return inn_error_set(INN_ENOTFOUND, "%s: no Kubernetes cluster: %s", inn_demo_op_name(op),
		                     kubeconfig != NULL && *kubeconfig ? "the kubeconfig given "
		                     "is empty" : "no kubeconfig (give --kubeconfig FILE, set "
		                     "$KUBECONFIG, or create ~/.kube/config)");
	if (kc[0] != '\0' && !is_file(kc))
		return inn_error_set(INN_ENOTFOUND, "%s: no Kubernetes cluster: the kubeconfig "
		                     "%s does not exist", inn_demo_op_name(op), kc);
	if (reg == NULL || inn_registry_find(reg, "kubernetes") == NULL)
		return inn_error_set(INN_EINVAL, "%s needs the kubernetes step plugin "
		                     "(kubernetes.so): it is not loaded (see `innominatus-ctl "
		                     "plugins`; allowedStepTypes must allow it)",
		                     inn_demo_op_name(op));
	if ((rc = demo_workflow(&wf, d, op, kc, reg)) != 0)
		return rc;
	memset(&ro, 0, sizeof(ro));
	ro.max_parallel = 4;
	if (events != NULL)
		ro.events = *events;
	if ((rc = inn_run_new(&run, eng, wf, &ro)) != 0)
		goto out;
	inn_run_execute(run);
	rep = json_object_new_object();
	json_object_object_add(rep, "operation", json_object_new_string(inn_demo_op_name(op)));
	json_object_object_add(rep, "kubeconfig", json_object_new_string(kc[0] ? kc :
	                       "(in-cluster service account)"));
	json_object_object_add(rep, "server", json_object_new_string(server));
	cl = step_named(run, "cluster");
	if (cl == NULL || cl->state != INN_STATE_SUCCEEDED) {
		snprintf(msg, sizeof(msg), "no Kubernetes cluster reachable through the kubeconfig "
		         "%s (server %s): %s", kc[0] ? kc : "(in-cluster)",
		         server[0] ? server : "unknown", step_why(cl));
		json_object_object_add(rep, "status", json_object_new_string("failed"));
		json_object_object_add(rep, "error", json_object_new_string(msg));
		json_object_object_add(rep, "components", json_object_new_array());
		rc = INN_ERROR;
		goto done;
	}
	rows = json_object_new_array();
	for (i = 0; i < d->ncomps; i++) {
		json_object *row = inn_demo_entry(d->comps[i].name, d->comps[i].ns);

		if (!component_row(&d->comps[i], op, run, row))
			all_ok = 0;
		json_object_array_add(rows, row);
	}
	if (op == INN_DEMO_TIME && d->namespaces != NULL && all_ok) {
		const inn_step_result *r = step_named(run, "namespaces");

		all_ok = r != NULL && r->state == INN_STATE_SUCCEEDED;
	}
	if (op != INN_DEMO_STATUS && inn_run_state(run) != INN_STATE_SUCCEEDED && all_ok) {
		all_ok = 0;
	}
	json_object_object_add(rep, "status", json_object_new_string(all_ok ? "succeeded" :
	                                                              "failed"));
	if (!all_ok && op != INN_DEMO_STATUS) {
		const char *why = inn_run_message(run);

		for (i = 0; i < inn_run_nsteps(run); i++) {
			const inn_step_result *r = inn_run_step(run, i);

			if (r->state == INN_STATE_FAILED || r->state == INN_STATE_TIMED_OUT) {
				snprintf(msg, sizeof(msg), "step %s: %s", r->def->name, step_why(r));
				why = msg;
				break;
			}
		}
		json_object_object_add(rep, "error", json_object_new_string(why ? why :
		                       inn_state_name(inn_run_state(run))));
	}
	json_object_object_add(rep, "components", rows);
	rc = all_ok ? 0 : INN_ERROR;
done:
	*report = rep;
out:
	inn_run_free(run);
	inn_workflow_free(wf);
	return rc;
}
