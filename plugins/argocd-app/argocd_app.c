/*
 * argocd_app.c - the "argocd-app" step plugin: an Argo CD Application
 * (argoproj.io/v1alpha1) built from the step config and handled through
 * the shared Kubernetes client (pu_kube.h) -- no Argo CD API server or
 * CLI is needed, only a kubeconfig that may write Applications.
 *
 *   create  server-side apply of the Application (field manager
 *           innominatus); an existing one is brought to the config
 *   update  GET the Application, keep what the config leaves unset
 *           (source, destination, project), server-side apply
 *   delete  DELETE; with cascade: true the finalizer that makes Argo CD
 *           delete the deployed resources is set first; an absent
 *           Application is success with a note
 *   get     read it
 *   wait_for_sync  poll until status.sync.status is Synced and
 *           status.health.status Healthy (config.timeout, default 5 m)
 *
 * create and update also wait when config.wait_for_sync is true.  A
 * dry-run is the API server's own (dryRun=All); wait_for_sync then reads
 * the status once.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "plugin_util.h"
#include "pu_kube.h"
#include "argocd_int.h"

#ifdef PACKAGE_VERSION
#define AC_VERSION PACKAGE_VERSION
#else
#define AC_VERSION "0.1.0"
#endif

#define AC_API_VERSION "argoproj.io/v1alpha1"
#define AC_KIND "Application"
/* One request never waits longer than this, whatever config.timeout. */
#define AC_REQUEST_MAX_MS 30000

struct ac_ctx {
	const inn_host *host;
	inn_step *step;
	const struct ac_config *c;
	pu_kube *k;
	int dry;
	int64_t deadline;            /* monotonic ms for the whole operation */
};

static int
ac_fail(struct ac_ctx *x, int rc, const char *fmt, ...) INN_PRINTF_LIKE(3, 4);

/* Logs the one-line step error "argocd-app <op> <ns>/<name>: <why>". */
static int
ac_fail(struct ac_ctx *x, int rc, const char *fmt, ...)
{
	char why[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	x->host->log(x->step, INN_LOG_ERROR, "argocd-app %s %s/%s: %s",
	             ac_op_names[x->c->op], x->c->app_namespace, x->c->name, why);
	return rc;
}

static json_object *
jstr(const char *s)
{
	return json_object_new_string(s);
}

/* dst[key] as an object, created when absent. */
static json_object *
child(json_object *dst, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(dst, key, &v) &&
	    json_object_is_type(v, json_type_object))
		return v;
	v = json_object_new_object();
	json_object_object_add(dst, key, v);
	return v;
}

/* Merges src over dst: objects key by key, anything else replaces. */
static void
merge(json_object *dst, json_object *src)
{
	json_object_object_foreach(src, key, val) {
		json_object *had;

		if (json_object_is_type(val, json_type_object) &&
		    json_object_object_get_ex(dst, key, &had) &&
		    json_object_is_type(had, json_type_object))
			merge(had, val);
		else
			json_object_object_add(dst, key, json_object_get(val));
	}
}

/* Sets obj.key to s unless s is NULL or obj has it already (with keep). */
static void
put_str(json_object *obj, const char *key, const char *s)
{
	if (s != NULL)
		json_object_object_add(obj, key, jstr(s));
}

/* The spec's syncPolicy from the config's words and switches. */
static void
build_sync(const struct ac_config *c, json_object *spec)
{
	json_object *sp, *opts;
	const char *const *o;
	int automated = c->automated > 0;
	int create_ns = c->create_namespace >= 0 ? c->create_namespace : automated;

	if (c->automated < 0 && c->sync_options == NULL && c->create_namespace < 0)
		return;
	sp = child(spec, "syncPolicy");
	if (automated) {
		json_object *a = child(sp, "automated");

		/* the original's "auto" pruned and healed */
		json_object_object_add(a, "prune",
		                       json_object_new_boolean(c->prune != 0));
		json_object_object_add(a, "selfHeal",
		                       json_object_new_boolean(c->self_heal != 0));
	} else if (c->automated == 0) {
		/* manual: an automated policy applied before goes (we own it) */
		json_object_object_del(sp, "automated");
	}
	if (!create_ns && c->sync_options == NULL)
		return;
	opts = json_object_new_array();
	if (create_ns)
		json_object_array_add(opts, jstr("CreateNamespace=true"));
	for (o = c->sync_options; o != NULL && *o != NULL; o++)
		if (!create_ns || strcmp(*o, "CreateNamespace=true") != 0)
			json_object_array_add(opts, jstr(*o));
	json_object_object_add(sp, "syncOptions", opts);
}

/* A deep copy of live's object at key (dotted path of objects), or a new
 * object. */
static json_object *
live_copy(json_object *live, const char *k1, const char *k2)
{
	json_object *v = NULL, *out = NULL;

	if (live != NULL && json_object_object_get_ex(live, k1, &v) &&
	    (k2 == NULL || json_object_object_get_ex(v, k2, &v)) &&
	    json_object_is_type(v, json_type_object) &&
	    json_object_deep_copy(v, &out, NULL) == 0)
		return out;
	return json_object_new_object();
}

/*
 * The Application object the config describes (caller puts it).  For an
 * update, live is the object on the server: its spec and labels are the
 * start and only what the config sets changes (so nothing this plugin
 * applied before is dropped by the server-side apply).
 */
static json_object *
build_app(const struct ac_config *c, json_object *live)
{
	json_object *app = json_object_new_object(), *meta, *labels, *spec, *src, *dst;
	int fresh = live == NULL;

	json_object_object_add(app, "apiVersion", jstr(AC_API_VERSION));
	json_object_object_add(app, "kind", jstr(AC_KIND));
	meta = child(app, "metadata");
	json_object_object_add(meta, "name", jstr(c->name));
	json_object_object_add(meta, "namespace", jstr(c->app_namespace));
	labels = live_copy(live, "metadata", "labels");
	json_object_object_add(meta, "labels", labels);
	json_object_object_add(labels, "app.kubernetes.io/managed-by", jstr("innominatus"));
	if (c->labels != NULL)
		merge(labels, c->labels);
	spec = live_copy(live, "spec", NULL);
	json_object_object_add(app, "spec", spec);
	put_str(spec, "project", c->project ? c->project : fresh ? "default" : NULL);
	src = child(spec, "source");
	put_str(src, "repoURL", c->repo_url);
	put_str(src, "path", c->path);
	put_str(src, "targetRevision", c->target_revision ? c->target_revision :
	        fresh ? "HEAD" : NULL);
	dst = child(spec, "destination");
	if (c->dest_name != NULL && c->dest_server == NULL)
		json_object_object_del(dst, "server");
	else if (c->dest_server != NULL && c->dest_name == NULL)
		json_object_object_del(dst, "name");
	put_str(dst, "server", c->dest_server ? c->dest_server :
	        fresh && c->dest_name == NULL ? AC_DEFAULT_SERVER : NULL);
	put_str(dst, "name", c->dest_name);
	put_str(dst, "namespace", c->dest_namespace);
	build_sync(c, spec);
	if (c->spec != NULL)
		merge(spec, c->spec);
	if (json_object_object_length(src) == 0)
		json_object_object_del(spec, "source");
	return app;
}

/* The object's names and status as the step outputs. */
static int
ac_outputs(struct ac_ctx *x, json_object *obj, const char *status)
{
	const char *uid = obj ? pu_kube_path_str(obj, "metadata.uid") : NULL;
	const char *sync = obj ? pu_kube_path_str(obj, "status.sync.status") : NULL;
	const char *health = obj ? pu_kube_path_str(obj, "status.health.status") : NULL;
	int rc;

	if ((rc = x->host->output(x->step, "name", x->c->name, 0)) != 0 ||
	    (rc = x->host->output(x->step, "app_name", x->c->name, 0)) != 0 ||
	    (rc = x->host->output(x->step, "namespace", x->c->app_namespace, 0)) != 0 ||
	    (uid != NULL && (rc = x->host->output(x->step, "uid", uid, 0)) != 0) ||
	    (rc = x->host->output(x->step, "sync_status", sync ? sync : "Unknown", 0)) != 0 ||
	    (rc = x->host->output(x->step, "health_status", health ? health : "Unknown",
	    0)) != 0 ||
	    (rc = x->host->output(x->step, "status", status, 0)) != 0)
		return ac_fail(x, rc, "cannot publish the outputs: %s", x->host->last_error());
	return 0;
}

/*
 * config.allowed_namespaces (a platform team's stepPolicies) for the
 * namespace ns of what: "Application" (where the object lives) or
 * "destination" (where Argo CD deploys) -- so argocd-app is no way around
 * the limit kubernetes.so keeps.  0, or INN_EINVAL after logging why.
 */
static int
ac_allowed(struct ac_ctx *x, const char *what, const char *ns)
{
	static const pu_kube_res app_res = { AC_API_VERSION, AC_KIND, "applications", 1 };
	char why[300];

	if (x->c->conn.allowed_ns == NULL)
		return 0;
	if (ns == NULL || *ns == '\0')
		return ac_fail(x, INN_EINVAL, "refused: config.allowed_namespaces is set, and "
		               "the %s names no namespace", what);
	if (pu_kube_ns_allowed(x->c->conn.allowed_ns, &app_res, ns, x->c->name, why,
	                       sizeof(why)) != 0)
		return ac_fail(x, INN_EINVAL, "refused: %s %s", what, why);
	return 0;
}

/* One source's own namespaces (kustomize.namespace, helm.namespace):
 * absent or "" means the destination's. */
static int
ac_allowed_source(struct ac_ctx *x, json_object *src, const char *where)
{
	static const char *const keys[] = { "kustomize", "helm" };
	char what[80];
	size_t i;

	if (!json_object_is_type(src, json_type_object))
		return 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_object *tool = json_object_object_get(src, keys[i]), *ns;

		if (tool == NULL || !json_object_object_get_ex(tool, "namespace", &ns))
			continue;
		snprintf(what, sizeof(what), "%s.%s", where, keys[i]);
		if (!json_object_is_type(ns, json_type_string))
			return ac_fail(x, INN_EINVAL, "refused: %s must be a string", what);
		if (*json_object_get_string(ns) == '\0')
			continue;
		if (ac_allowed(x, what, json_object_get_string(ns)) != 0)
			return INN_EINVAL;
	}
	return 0;
}

/*
 * Every namespace the built Application makes Argo CD deploy into:
 * spec.destination.namespace, and each source's kustomize/helm namespace
 * (spec.source and spec.sources[]).  0, or INN_EINVAL after logging why.
 */
static int
ac_allowed_app(struct ac_ctx *x, json_object *app)
{
	json_object *spec = json_object_object_get(app, "spec"), *srcs;
	char where[40];
	size_t i;
	int rc;

	if (x->c->conn.allowed_ns == NULL)
		return 0;
	if ((rc = ac_allowed(x, "destination", pu_kube_path_str(app,
	    "spec.destination.namespace"))) != 0 ||
	    (rc = ac_allowed_source(x, json_object_object_get(spec, "source"),
	    "spec.source")) != 0)
		return rc;
	srcs = json_object_object_get(spec, "sources");
	if (srcs == NULL)
		return 0;
	if (!json_object_is_type(srcs, json_type_array))
		return ac_fail(x, INN_EINVAL, "refused: spec.sources must be a list");
	for (i = 0; i < json_object_array_length(srcs); i++) {
		snprintf(where, sizeof(where), "spec.sources[%zu]", i);
		if ((rc = ac_allowed_source(x, json_object_array_get_idx(srcs, i),
		    where)) != 0)
			return rc;
	}
	return 0;
}

/* GET the Application: 1 with *obj, 0 when absent, or an error logged. */
static int
ac_read(struct ac_ctx *x, json_object **obj)
{
	char err[600];
	int rc = pu_kube_get(x->k, AC_API_VERSION, AC_KIND, x->c->app_namespace,
	                     x->c->name, obj, err, sizeof(err));

	if (rc == INN_ENOTFOUND) {
		*obj = NULL;
		return 0;
	}
	if (rc != 0)
		return ac_fail(x, rc, "%s", err);
	return 1;
}

/* Milliseconds left of the operation's deadline (at least 1). */
static int64_t
ac_left(const struct ac_ctx *x)
{
	int64_t left = x->deadline - pu_monotonic_ms();

	return left > 0 ? left : 1;
}

/*
 * Waits until the Application is Synced and Healthy.  Two conditions, one
 * after the other, until both hold at once or the deadline passes.
 */
static int
ac_wait(struct ac_ctx *x)
{
	static const char *const conds[] = {
		"jsonpath={.status.sync.status}=Synced",
		"jsonpath={.status.health.status}=Healthy",
	};
	json_object *obj = NULL;
	char err[600], span[32];
	int rc, i;

	if (x->dry) {
		if ((rc = ac_read(x, &obj)) < 0)
			return rc;
		x->host->log(x->step, INN_LOG_INFO, "dry-run: would wait for %s/%s to be "
		             "Synced and Healthy (now: %s)", x->c->app_namespace, x->c->name,
		             rc == 0 ? "absent" : "read");
		rc = ac_outputs(x, obj, rc == 0 ? "absent" : "exists");
		json_object_put(obj);
		return rc;
	}
	for (;;) {
		for (i = 0; i < 2; i++) {
			rc = pu_kube_wait(x->k, AC_API_VERSION, AC_KIND, x->c->app_namespace,
			                  x->c->name, conds[i], ac_left(x), err, sizeof(err));
			if (rc == INN_ETIMEOUT) {
				pu_format_duration(span, sizeof(span), x->c->timeout_ms > 0 ?
				                   x->c->timeout_ms : AC_DEFAULT_WAIT_MS);
				return ac_fail(x, INN_ETIMEOUT, "not Synced and Healthy within %s: "
				               "%s", span, err);
			}
			if (rc == INN_ECANCELLED)
				return ac_fail(x, rc, "cancelled while waiting for the sync");
			if (rc != 0)
				return ac_fail(x, rc, "%s", err);
		}
		if ((rc = ac_read(x, &obj)) < 0)
			return rc;
		if (rc == 0)
			return ac_fail(x, INN_ERROR, "the Application was deleted while "
			               "waiting for its sync");
		if (strcmp(pu_kube_path_str(obj, "status.sync.status") ?
		    pu_kube_path_str(obj, "status.sync.status") : "", "Synced") == 0 &&
		    strcmp(pu_kube_path_str(obj, "status.health.status") ?
		    pu_kube_path_str(obj, "status.health.status") : "", "Healthy") == 0)
			break;
		json_object_put(obj);
		obj = NULL;
	}
	x->host->log(x->step, INN_LOG_INFO, "Application %s/%s is Synced and Healthy",
	             x->c->app_namespace, x->c->name);
	rc = ac_outputs(x, obj, "synced");
	json_object_put(obj);
	return rc;
}

/* create / update: server-side apply of the Application. */
static int
ac_apply(struct ac_ctx *x)
{
	json_object *live = NULL, *app = NULL, *applied = NULL;
	char err[600];
	int rc, existed;

	if ((rc = ac_read(x, &live)) < 0)
		return rc;
	existed = rc;
	if (x->c->op == AC_OP_UPDATE && !existed)
		return ac_fail(x, INN_ENOTFOUND, "the Application does not exist (create "
		               "it first)");
	if (x->c->op == AC_OP_UPDATE && x->c->cascade_set) {
		rc = ac_fail(x, INN_EINVAL, "config.cascade: only applies to delete");
		goto out;
	}
	app = build_app(x->c, x->c->op == AC_OP_UPDATE ? live : NULL);
	if (!json_object_object_get_ex(json_object_object_get(app, "spec"), "source",
	    NULL)) {
		rc = ac_fail(x, INN_EINVAL, "no source: set config.repo_url");
		goto out;
	}
	/* the built object: config.spec or the live Application may say it */
	if ((rc = ac_allowed_app(x, app)) != 0)
		goto out;
	if ((rc = pu_kube_apply(x->k, app, x->c->app_namespace, 1, x->dry, &applied, err,
	    sizeof(err))) != 0) {
		rc = ac_fail(x, rc, "%s", err);
		goto out;
	}
	x->host->log(x->step, INN_LOG_INFO, "%sApplication %s/%s %s (repo %s, path %s, "
	             "destination %s)", x->dry ? "dry-run: " : "", x->c->app_namespace,
	             x->c->name, x->dry ? "would be applied" : existed ? "updated" :
	             "created", pu_kube_path_str(app, "spec.source.repoURL") ?
	             pu_kube_path_str(app, "spec.source.repoURL") : "-",
	             pu_kube_path_str(app, "spec.source.path") ?
	             pu_kube_path_str(app, "spec.source.path") : "-",
	             pu_kube_path_str(app, "spec.destination.namespace") ?
	             pu_kube_path_str(app, "spec.destination.namespace") : "-");
	if (x->c->wait_for_sync && !x->dry)
		rc = ac_wait(x);
	else
		rc = ac_outputs(x, applied, existed ? "updated" : "created");
out:
	json_object_put(live);
	json_object_put(app);
	json_object_put(applied);
	return rc;
}

/* The live object made fit to apply again: server-set fields removed. */
static void
strip_server_fields(json_object *obj)
{
	static const char *const meta_keys[] = {
		"managedFields", "resourceVersion", "uid", "creationTimestamp",
		"generation", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
	};
	json_object *meta;
	size_t i;

	json_object_object_del(obj, "status");
	json_object_object_del(obj, "operation");
	if (json_object_object_get_ex(obj, "metadata", &meta))
		for (i = 0; i < sizeof(meta_keys) / sizeof(meta_keys[0]); i++)
			json_object_object_del(meta, meta_keys[i]);
}

/* Adds the cascade finalizer to the live Application (by applying it
 * back with the finalizer) unless it is there. */
static int
ac_add_finalizer(struct ac_ctx *x, json_object *live)
{
	json_object *meta = child(live, "metadata"), *fin;
	char err[600];
	size_t i;
	int rc;

	if (json_object_object_get_ex(meta, "finalizers", &fin) &&
	    json_object_is_type(fin, json_type_array)) {
		for (i = 0; i < json_object_array_length(fin); i++)
			if (strcmp(json_object_get_string(json_object_array_get_idx(fin, i)),
			    AC_CASCADE_FINALIZER) == 0)
				return 0;
	} else {
		fin = json_object_new_array();
		json_object_object_add(meta, "finalizers", fin);
	}
	json_object_array_add(fin, jstr(AC_CASCADE_FINALIZER));
	strip_server_fields(live);
	if ((rc = pu_kube_apply(x->k, live, x->c->app_namespace, 1, x->dry, NULL, err,
	    sizeof(err))) != 0)
		return ac_fail(x, rc, "cannot set the cascade finalizer: %s", err);
	x->host->log(x->step, INN_LOG_INFO, "%sfinalizer %s set: Argo CD deletes the "
	             "Application's resources with it", x->dry ? "dry-run: " : "",
	             AC_CASCADE_FINALIZER);
	return 0;
}

static int
ac_delete(struct ac_ctx *x)
{
	json_object *live = NULL;
	char err[600];
	int rc, gone = 0;

	if ((rc = ac_read(x, &live)) < 0)
		return rc;
	if (rc == 0) {
		x->host->log(x->step, INN_LOG_INFO, "note: Application %s/%s does not exist; "
		             "nothing to delete", x->c->app_namespace, x->c->name);
		return ac_outputs(x, NULL, "absent");
	}
	/* a cascade deletes what Argo CD deployed at the destination */
	if (x->c->cascade && ((rc = ac_allowed_app(x, live)) != 0 ||
	    (rc = ac_add_finalizer(x, live)) != 0))
		goto out;
	if ((rc = pu_kube_delete(x->k, AC_API_VERSION, AC_KIND, x->c->app_namespace,
	    x->c->name, x->dry, &gone, err, sizeof(err))) != 0) {
		rc = ac_fail(x, rc, "%s", err);
		goto out;
	}
	/* with the cascade finalizer the API keeps the Application until Argo
	 * CD has removed its resources: wait for that, like kubectl delete */
	if (x->c->cascade && !x->dry && !gone) {
		int64_t left = x->deadline - pu_monotonic_ms();

		x->host->log(x->step, INN_LOG_INFO, "waiting for Argo CD to remove the "
		             "Application's resources and the Application");
		if (left <= 0 ||
		    (rc = pu_kube_wait(x->k, AC_API_VERSION, AC_KIND, x->c->app_namespace,
		    x->c->name, "delete", left, err, sizeof(err))) != 0) {
			rc = ac_fail(x, left <= 0 ? INN_ETIMEOUT : rc, "delete Application %s/%s: "
			             "%s (its finalizer %s stays until Argo CD has deleted the "
			             "resources)", x->c->app_namespace, x->c->name,
			             left <= 0 ? "timed out" : err, AC_CASCADE_FINALIZER);
			goto out;
		}
	}
	x->host->log(x->step, INN_LOG_INFO, "%sApplication %s/%s %s%s", x->dry ?
	             "dry-run: " : "", x->c->app_namespace, x->c->name, x->dry ?
	             "would be deleted" : gone ? "was gone already" : "deleted",
	             x->c->cascade ? " (cascade: Argo CD removes its resources)" :
	             " (its resources stay; cascade: true removes them)");
	rc = ac_outputs(x, NULL, x->dry ? "exists" : gone ? "absent" : "deleted");
out:
	json_object_put(live);
	return rc;
}

static int
ac_get(struct ac_ctx *x)
{
	json_object *obj = NULL;
	int rc;

	if ((rc = ac_read(x, &obj)) < 0)
		return rc;
	if (rc == 0)
		return ac_fail(x, INN_ENOTFOUND, "the Application does not exist");
	rc = ac_outputs(x, obj, "exists");
	json_object_put(obj);
	return rc;
}

static int
ac_execute(void *state, const inn_host *host, inn_step *step)
{
	struct ac_config c;
	struct ac_ctx x;
	pu_kube_opts o;
	char err[600];
	int rc;

	(void)state;
	if ((rc = ac_config_read(host, step, 1, &c, err, sizeof(err))) != 0) {
		host->log(step, INN_LOG_ERROR, "%s", err);
		return rc;
	}
	memset(&x, 0, sizeof(x));
	memset(&o, 0, sizeof(o));
	x.host = host;
	x.step = step;
	x.c = &c;
	x.dry = host->dry_run(step);
	x.deadline = pu_monotonic_ms() + (c.timeout_ms > 0 ? c.timeout_ms :
	                                  AC_DEFAULT_WAIT_MS);
	if ((rc = ac_allowed(&x, "Application", c.app_namespace)) != 0)
		goto out;
	o.timeout_ms = c.timeout_ms > 0 && c.timeout_ms < AC_REQUEST_MAX_MS ?
	               c.timeout_ms : AC_REQUEST_MAX_MS;
	if ((rc = pu_kube_step_open(host, step, &c.conn, &o, &x.k, err, sizeof(err))) != 0) {
		rc = ac_fail(&x, rc, "%s", err);
		goto out;
	}
	switch (c.op) {
	case AC_OP_CREATE:
	case AC_OP_UPDATE:
		rc = ac_apply(&x);
		break;
	case AC_OP_DELETE:
		rc = ac_delete(&x);
		break;
	case AC_OP_GET:
		rc = ac_get(&x);
		break;
	default:
		rc = ac_wait(&x);
	}
out:
	pu_kube_close(x.k);
	ac_config_free(&c);
	return rc;
}

PU_DEFINE_VALIDATE(ac_validate, struct ac_config, ac_config_read, ac_config_free);

static const char *const ac_step_types[] = { "argocd-app", NULL };

static const char ac_config_schema[] =
	PU_CONFIG_SCHEMA_HEAD
	"\"properties\":{"
	"\"operation\":{\"enum\":[\"create\",\"apply\",\"update\",\"delete\",\"get\","
	"\"wait_for_sync\"],\"default\":\"create\"},"
	"\"name\":{\"type\":\"string\",\"description\":\"the Application's name "
	"(the original: app_name, appName)\"},"
	"\"app_name\":{\"type\":\"string\"},\"appName\":{\"type\":\"string\"},"
	"\"argocd_namespace\":{\"type\":\"string\",\"default\":\"argocd\","
	"\"description\":\"where the Application object lives\"},"
	"\"project\":{\"type\":\"string\",\"default\":\"default\"},"
	"\"repo_url\":{\"type\":\"string\"},\"repoURL\":{\"type\":\"string\"},"
	"\"path\":{\"type\":\"string\"},\"target_path\":{\"type\":\"string\"},"
	"\"targetPath\":{\"type\":\"string\"},"
	"\"target_revision\":{\"type\":\"string\",\"default\":\"HEAD\"},"
	"\"targetRevision\":{\"type\":\"string\"},"
	"\"destination\":{\"type\":\"object\",\"additionalProperties\":false,"
	"\"properties\":{\"server\":{\"type\":\"string\"},\"namespace\":{\"type\":"
	"\"string\"},\"name\":{\"type\":\"string\"}}},"
	"\"server\":{\"type\":\"string\",\"default\":\"" AC_DEFAULT_SERVER "\"},"
	"\"dest_server\":{\"type\":\"string\"},\"dest_name\":{\"type\":\"string\"},"
	"\"dest_namespace\":{\"type\":\"string\"},"
	"\"namespace\":{\"type\":\"string\",\"description\":\"the destination "
	"namespace, as the original read it\"},"
	"\"sync_policy\":{\"enum\":[\"auto\",\"automated\",\"automatic\",\"manual\","
	"\"none\",\"\"]},\"syncPolicy\":{\"type\":\"string\"},"
	"\"automated\":{\"type\":[\"boolean\",\"object\"]},"
	"\"auto_sync\":{\"type\":\"boolean\"},\"prune\":{\"type\":\"boolean\"},"
	"\"self_heal\":{\"type\":\"boolean\"},\"selfHeal\":{\"type\":\"boolean\"},"
	"\"create_namespace\":{\"type\":\"boolean\"},"
	"\"sync_options\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
	"\"cascade\":{\"type\":\"boolean\",\"description\":\"delete: Argo CD also "
	"deletes the deployed resources\"},"
	"\"wait_for_sync\":{\"type\":\"boolean\",\"default\":false},"
	"\"waitForSync\":{\"type\":\"boolean\"},"
	"\"spec\":{\"type\":\"object\",\"description\":\"merged over the built "
	"spec\"},"
	"\"labels\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}},"
	PU_KUBE_STEP_SCHEMA
	"\"timeout\":{\"type\":[\"string\",\"number\"],\"description\":\"the whole "
	"operation, wait included (default 5m); each request at most 30s\"}"
	"}}";

static const char ac_outputs_schema[] =
	"{\"type\":\"object\",\"properties\":{"
	"\"name\":{\"type\":\"string\"},\"app_name\":{\"type\":\"string\"},"
	"\"namespace\":{\"type\":\"string\"},\"uid\":{\"type\":\"string\"},"
	"\"sync_status\":{\"type\":\"string\"},\"health_status\":{\"type\":\"string\"},"
	"\"status\":{\"enum\":[\"created\",\"updated\",\"deleted\",\"absent\","
	"\"exists\",\"synced\"]}}}";

PU_DEFINE_PLUGIN(INN_PLUGIN_DRY_RUN | INN_PLUGIN_IDEMPOTENT | INN_PLUGIN_CANCELLABLE,
                 "argocd-app", AC_VERSION, ac_step_types, ac_config_schema,
                 ac_outputs_schema, NULL, ac_validate, ac_execute, NULL)
