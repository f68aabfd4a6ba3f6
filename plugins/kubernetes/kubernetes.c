/*
 * kubernetes.c - the "kubernetes" step plugin: applies (server-side
 * apply), deletes, gets, waits for and checks Kubernetes objects and
 * creates namespaces through the Kubernetes API with pu_kube (no kubectl).
 * Objects come from an inline YAML stream (config.manifest) or a file
 * in the provider folder (config.manifest_path), or are named by
 * resource_type/resource_name (resolved by discovery, so custom
 * resources work).  A dry-run is the server's (dryRun=All).
 *
 * Outputs: kind, name, namespace, uid of the last object handled and
 * objects (a JSON list of {kind,name,namespace,uid}); get adds object
 * (the JSON, a Secret's data removed) and data_<key> (each Secret value,
 * decoded, as a SECRET output; '.' in the key becomes '_'); config.outputs {name: jsonpath} adds
 * values read from the object (secret when they come from a Secret's
 * data).  check publishes ready ("true") and detail (what was seen, e.g.
 * "condition Available is True"); when the condition does not hold it
 * fails at once, its error naming what was seen.  Secret values never
 * reach a log line: each is registered with the masker before the
 * request goes out.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_util.h"
#include "pu_kube.h"
#include "kube_int.h"

#ifdef PACKAGE_VERSION
#define KUBE_VERSION PACKAGE_VERSION
#else
#define KUBE_VERSION "0.1.0"
#endif

#define KUBE_MAX_MANIFEST (8u << 20)
#define KUBE_WAIT_DEFAULT_MS (5 * 60 * 1000)

struct kx {
	const inn_host *host;
	inn_step *step;
	struct kube_config *c;
	pu_kube *k;
	int dry;
	json_object *objects;   /* [{kind,name,namespace,uid}] */
	json_object *last;      /* the last object handled (a reference) */
	char err[1024];
};

static const char *
meta_str(json_object *o, const char *key)
{
	json_object *m;

	return json_object_object_get_ex(o, "metadata", &m) ? pu_kube_str(m, key) : NULL;
}

static int
fail(struct kx *x, int rc)
{
	x->host->log(x->step, INN_LOG_ERROR, "%s", x->err);
	return rc != 0 ? rc : INN_ERROR;
}

/* Registers every value of a Secret manifest with the masker (data
 * decoded and as written, stringData as written). */
static void
mask_secret(struct kx *x, json_object *obj)
{
	json_object *d;
	const char *kind = pu_kube_str(obj, "kind");
	char *dec;

	if (kind == NULL || strcmp(kind, "Secret") != 0)
		return;
	if (json_object_object_get_ex(obj, "stringData", &d) &&
	    json_object_is_type(d, json_type_object)) {
		json_object_object_foreach(d, k1, v1) {
			(void)k1;
			if (json_object_get_string(v1)[0] != '\0')
				x->host->mask(x->step, json_object_get_string(v1));
		}
	}
	if (json_object_object_get_ex(obj, "data", &d) &&
	    json_object_is_type(d, json_type_object)) {
		json_object_object_foreach(d, k2, v2) {
			(void)k2;
			if (json_object_get_string(v2)[0] == '\0')
				continue;
			x->host->mask(x->step, json_object_get_string(v2));
			if (pu_kube_b64decode(json_object_get_string(v2), &dec, NULL) == 0) {
				if (dec[0] != '\0')
					x->host->mask(x->step, dec);
				free(dec);
			}
		}
	}
}

/* Adds obj's identity to the objects list; obj becomes the last one.
 * A cluster-scoped object (ns_default NULL) has namespace "". */
static void
record(struct kx *x, json_object *obj, const char *ns_default)
{
	json_object *e = json_object_new_object();
	const char *ns = ns_default != NULL ? meta_str(obj, "namespace") : NULL;

	if (e == NULL)
		return;
	json_object_object_add(e, "kind", json_object_new_string(pu_kube_str(obj, "kind") ?
	                       pu_kube_str(obj, "kind") : ""));
	json_object_object_add(e, "name", json_object_new_string(meta_str(obj, "name") ?
	                       meta_str(obj, "name") : ""));
	json_object_object_add(e, "namespace", json_object_new_string(ns ? ns :
	                       ns_default ? ns_default : ""));
	json_object_object_add(e, "uid", json_object_new_string(meta_str(obj, "uid") ?
	                       meta_str(obj, "uid") : ""));
	json_object_array_add(x->objects, e);
	x->last = e;
}

/* Logs "<what> Kind ns/name<tail>" of the last object recorded (no
 * namespace for a cluster-scoped one). */
static void
log_last(struct kx *x, const char *what, const char *tail)
{
	char desc[600];
	const char *ns = pu_kube_str(x->last, "namespace");

	pu_kube_desc(desc, sizeof desc, pu_kube_str(x->last, "kind"), ns,
	             pu_kube_str(x->last, "name"), ns != NULL && *ns != '\0');
	x->host->log(x->step, INN_LOG_INFO, "%s %s%s", what, desc, tail);
}

/*
 * Resolves kind (its scope) into r, then holds the object to
 * config.allowed_namespaces (a platform team's stepPolicies): a workflow,
 * or a parameter rendered into its manifest, writes nowhere else.  0, or
 * an error after logging it.
 */
static int
guard(struct kx *x, const char *verb, const char *av, const char *kind, const char *ns,
      const char *name, pu_kube_res *r)
{
	char why[900];
	int rc;

	if ((rc = pu_kube_resolve(x->k, av, kind, r, x->err, sizeof x->err)) != 0) {
		snprintf(why, sizeof why, "%.890s", x->err);
		snprintf(x->err, sizeof x->err, "%s %s %s: %s", verb, kind, name ? name : "",
		         why);
		return fail(x, rc);
	}
	if ((rc = pu_kube_ns_allowed(x->c->conn.allowed_ns, r, ns != NULL && *ns != '\0' ?
	                             ns : pu_kube_namespace(x->k), name, why,
	                             sizeof why)) != 0) {
		snprintf(x->err, sizeof x->err, "%s %s %s: refused: %s", verb, r->kind,
		         name ? name : "", why);
		return fail(x, rc);
	}
	return 0;
}

static int
out(struct kx *x, const char *key, const char *value, uint32_t flags)
{
	if (x->host->output(x->step, key, value, flags) != 0) {
		snprintf(x->err, sizeof x->err, "output %s: %s", key, x->host->last_error());
		return fail(x, INN_ERROR);
	}
	return 0;
}

/* kind, name, namespace, uid of the last object and the objects list. */
static int
publish_common(struct kx *x)
{
	static const char *const keys[] = { "kind", "name", "namespace", "uid", NULL };
	int i, rc;

	if (x->last != NULL)
		for (i = 0; keys[i] != NULL; i++)
			if ((rc = out(x, keys[i], pu_kube_str(x->last, keys[i]), 0)) != 0)
				return rc;
	return out(x, "objects", json_object_to_json_string_ext(x->objects,
	           JSON_C_TO_STRING_PLAIN), 0);
}

/* Non-zero if path (a jsonpath) reads a Secret's data or stringData. */
static int
secret_path(json_object *obj, const char *path, int *decode)
{
	const char *k = pu_kube_str(obj, "kind");

	while (*path == '{' || *path == '.')
		path++;
	*decode = strncmp(path, "data.", 5) == 0 || strncmp(path, "data[", 5) == 0;
	return k != NULL && strcmp(k, "Secret") == 0 &&
	       (strncmp(path, "data", 4) == 0 || strncmp(path, "stringData", 10) == 0);
}

/* config.outputs read from obj. */
static int
publish_paths(struct kx *x, json_object *obj)
{
	int rc, decode;
	char *dec;

	if (x->c->outputs == NULL)
		return 0;
	json_object_object_foreach(x->c->outputs, name, pathv) {
		const char *path = json_object_get_string(pathv);
		const char *v = pu_kube_path_str(obj, path);

		if (v == NULL) {
			snprintf(x->err, sizeof x->err, "config.outputs.%s: %s is absent from "
			         "%s %s", name, path, pu_kube_str(obj, "kind") ? pu_kube_str(obj, "kind") : "",
			         meta_str(obj, "name") ? meta_str(obj, "name") : "");
			return fail(x, INN_ERROR);
		}
		if (!secret_path(obj, path, &decode)) {
			if ((rc = out(x, name, v, 0)) != 0)
				return rc;
			continue;
		}
		if (decode && pu_kube_b64decode(v, &dec, NULL) == 0) {
			x->host->mask(x->step, dec);
			rc = out(x, name, dec, INN_OUTPUT_SECRET);
			free(dec);
		} else {
			x->host->mask(x->step, v);
			rc = out(x, name, v, INN_OUTPUT_SECRET);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The manifest text: config.manifest, or the file at manifest_path. */
static int
manifests(struct kx *x, json_object **objs)
{
	char path[PATH_MAX], *text = NULL;
	const char *src = x->c->manifest;
	int rc;

	*objs = NULL;
	if (src == NULL) {
		if ((rc = kube_manifest_file(x->host, x->step, x->c, path, x->err,
		                             sizeof x->err)) != 0)
			return fail(x, rc);
		if (pu_kube_read_file(path, KUBE_MAX_MANIFEST, &text, NULL) != 0) {
			snprintf(x->err, sizeof x->err, "config.manifest_path: %.600s: %s", path,
			         errno == EFBIG ? "larger than 8 MiB" : strerror(errno));
			return fail(x, INN_EINVAL);
		}
		src = text;
	}
	rc = pu_kube_parse_manifests(src, strlen(src), objs, x->err, sizeof x->err);
	free(text);
	if (rc != 0) {
		char why[900];

		snprintf(why, sizeof why, "%.890s", x->err);
		snprintf(x->err, sizeof x->err, "config.%s: %s", x->c->manifest ?
		         "manifest" : "manifest_path", why);
		return fail(x, rc);
	}
	return 0;
}

static int64_t
wait_ms(const struct kube_config *c)
{
	return c->timeout_ms > 0 ? c->timeout_ms : KUBE_WAIT_DEFAULT_MS;
}

static int
wait_for(struct kx *x, const char *av, const char *kind, const char *ns,
         const char *name)
{
	int rc;

	if (x->dry) {
		x->host->log(x->step, INN_LOG_INFO, "dry-run: would wait for %s %s (%s)",
		             kind, name, x->c->wait_for);
		return 0;
	}
	x->host->log(x->step, INN_LOG_INFO, "waiting for %s %s: %s", kind, name,
	             x->c->wait_for);
	rc = pu_kube_wait(x->k, av, kind, ns, name, x->c->wait_for, wait_ms(x->c), x->err,
	                  sizeof x->err);
	if (rc != 0)
		return fail(x, rc);
	x->host->log(x->step, INN_LOG_INFO, "%s %s: %s holds", kind, name, x->c->wait_for);
	return 0;
}

/*
 * Operation check: wait_for (condition=, jsonpath=, create, delete) judged
 * once, by pu_kube_wait's own evaluation (PU_KUBE_ONCE).  Holds: ready
 * "true" and detail (what was seen).  Does not hold: fails at once with
 * "check Kind ns/name for <condition>: does not hold (<seen>)".
 */
static int
op_check(struct kx *x)
{
	const struct kube_config *c = x->c;
	char desc[300], seen[sizeof x->err];
	pu_kube_res r;
	int rc;

	if ((rc = guard(x, "check", c->api_version, c->resource_type, c->ns,
	                c->resource_name, &r)) != 0)
		return rc;
	pu_kube_desc(desc, sizeof desc, r.kind, c->ns != NULL && *c->ns != '\0' ? c->ns :
	             pu_kube_namespace(x->k), c->resource_name, r.namespaced);
	if (x->dry) {
		x->host->log(x->step, INN_LOG_INFO, "dry-run: would check %s for %s", desc,
		             c->wait_for);
		return publish_common(x);
	}
	rc = pu_kube_wait(x->k, c->api_version, c->resource_type, c->ns, c->resource_name,
	                  c->wait_for, PU_KUBE_ONCE, seen, sizeof seen);
	if (rc == INN_ETIMEOUT) {
		snprintf(x->err, sizeof x->err, "check %s for %.200s: does not hold (%.400s)",
		         desc, c->wait_for, seen);
		return fail(x, INN_ERROR);
	}
	if (rc != 0) {
		memcpy(x->err, seen, sizeof x->err);   /* the request's error, as get's */
		return fail(x, rc);
	}
	x->host->log(x->step, INN_LOG_INFO, "%s: %s holds (%s)", desc, c->wait_for, seen);
	if ((rc = out(x, "ready", "true", 0)) != 0 || (rc = out(x, "detail", seen, 0)) != 0)
		return rc;
	return publish_common(x);
}

/* After a failed apply: a dot-less ${NAME} (the original's guide writes
 * ${APP_NAME}) is no template, so it reached the API as written. */
static void
hint_dollar(struct kx *x, json_object *obj)
{
	const char *t = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	const char *p = t != NULL ? strstr(t, "${") : NULL;
	size_t n;

	if (p == NULL)
		return;
	n = strspn(p + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
	if (n > 0 && n < 64 && p[2 + n] == '}')
		x->host->log(x->step, INN_LOG_WARN, "note: %.*s in the manifest is no template "
		             "(a template has a dot: ${app.name}, ${parameters.x}); it was "
		             "sent as written", (int)n + 3, p);
}

static int
op_apply(struct kx *x)
{
	json_object *objs = NULL, *applied = NULL, *last = NULL;
	size_t i, n;
	int rc;

	if ((rc = manifests(x, &objs)) != 0)
		return rc;
	n = json_object_array_length(objs);
	if (n == 0)
		x->host->log(x->step, INN_LOG_WARN, "the manifest holds no object; "
		             "nothing to apply");
	for (i = 0; i < n; i++)
		mask_secret(x, json_object_array_get_idx(objs, i));
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(objs, i);
		const char *ns = meta_str(o, "namespace");
		pu_kube_res r;

		if ((rc = guard(x, "apply", pu_kube_str(o, "apiVersion"), pu_kube_str(o, "kind"),
		                ns != NULL && *ns ? ns : x->c->ns, meta_str(o, "name"), &r)) != 0)
			goto out;
		rc = pu_kube_apply(x->k, o, x->c->ns, x->c->force_conflicts, x->dry, &applied,
		                   x->err, sizeof x->err);
		if (rc != 0) {
			hint_dollar(x, o);
			rc = fail(x, rc);
			goto out;
		}
		record(x, applied != NULL ? applied : o, r.namespaced ?
		       pu_kube_namespace(x->k) : NULL);
		log_last(x, x->dry ? "dry-run: would apply" : "applied", x->dry ?
		         " (server-side dry run, nothing stored)" : "");
		json_object_put(last);
		last = applied != NULL ? applied : json_object_get(o);
		applied = NULL;
	}
	if (x->c->wait_for != NULL) {
		if (x->c->resource_type != NULL && x->c->resource_name != NULL)
			rc = wait_for(x, x->c->api_version, x->c->resource_type, x->c->ns,
			              x->c->resource_name);
		else if (last != NULL)
			rc = wait_for(x, pu_kube_str(last, "apiVersion"), pu_kube_str(last, "kind"),
			              meta_str(last, "namespace"), meta_str(last, "name"));
		if (rc != 0)
			goto out;
	}
	if (last != NULL && (rc = publish_paths(x, last)) != 0)
		goto out;
	rc = publish_common(x);
out:
	json_object_put(last);
	json_object_put(objs);
	return rc;
}

static int
delete_one(struct kx *x, const char *av, const char *kind, const char *ns,
           const char *name)
{
	json_object *o, *m;
	pu_kube_res r;
	char desc[600];
	int rc, gone = 0;

	/* the kind as the server names it, for the log and the outputs */
	if ((rc = guard(x, "delete", av, kind, ns, name, &r)) != 0)
		return rc;
	rc = pu_kube_delete(x->k, av, kind, ns, name, x->dry, &gone, x->err, sizeof x->err);
	if (rc != 0)
		return fail(x, rc);
	pu_kube_desc(desc, sizeof desc, r.kind, ns != NULL && *ns != '\0' ? ns :
	             pu_kube_namespace(x->k), name, r.namespaced);
	x->host->log(x->step, INN_LOG_INFO, "%s %s%s", desc, gone ? "was already absent" :
	             x->dry ? "would be deleted" : "deleted", x->dry ?
	             " (server-side dry run)" : "");
	if ((o = json_object_new_object()) != NULL && (m = json_object_new_object()) != NULL) {
		json_object_object_add(o, "kind", json_object_new_string(r.kind));
		json_object_object_add(o, "metadata", m);
		json_object_object_add(m, "name", json_object_new_string(name));
		if (r.namespaced)
			json_object_object_add(m, "namespace", json_object_new_string(ns != NULL ?
			                       ns : pu_kube_namespace(x->k)));
		record(x, o, "");
	}
	json_object_put(o);
	if (x->c->wait_for != NULL && !gone)
		return wait_for(x, av, kind, ns, name);
	return 0;
}

static int
op_delete(struct kx *x)
{
	json_object *objs = NULL;
	size_t i;
	int rc = 0;

	if (x->c->manifest == NULL && x->c->manifest_path == NULL)
		rc = delete_one(x, x->c->api_version, x->c->resource_type, x->c->ns,
		                x->c->resource_name);
	else if ((rc = manifests(x, &objs)) == 0)
		/* in reverse: what a manifest creates first (a namespace) goes last */
		for (i = json_object_array_length(objs); i > 0 && rc == 0; i--) {
			json_object *o = json_object_array_get_idx(objs, i - 1);
			const char *ns = meta_str(o, "namespace");

			rc = delete_one(x, pu_kube_str(o, "apiVersion"), pu_kube_str(o, "kind"),
			                ns != NULL ? ns : x->c->ns, meta_str(o, "name"));
		}
	json_object_put(objs);
	return rc != 0 ? rc : publish_common(x);
}

/* A Secret's data leaves get only as secret outputs: removed from obj
 * (and from each item of a list), published as data.<key> when publish. */
static int
strip_secret(struct kx *x, json_object *obj, int publish)
{
	json_object *d, *items;
	const char *kind = pu_kube_str(obj, "kind");
	char key[300], *dec;
	size_t i;
	int rc;

	if (json_object_object_get_ex(obj, "items", &items) &&
	    json_object_is_type(items, json_type_array)) {
		for (i = 0; i < json_object_array_length(items); i++)
			strip_secret(x, json_object_array_get_idx(items, i), 0);
		return 0;
	}
	if (kind == NULL || strcmp(kind, "Secret") != 0)
		return 0;
	if (publish && json_object_object_get_ex(obj, "data", &d) &&
	    json_object_is_type(d, json_type_object)) {
		json_object_object_foreach(d, k, v) {
			char *dot;

			snprintf(key, sizeof key, "data_%s", k);
			while ((dot = strchr(key, '.')) != NULL)
				*dot = '_';  /* tls.crt: data_tls_crt, a name references reach */
			if (!kube_output_name_ok(key) ||
			    pu_kube_b64decode(json_object_get_string(v), &dec, NULL) != 0)
				continue;
			x->host->mask(x->step, dec);
			rc = out(x, key, dec, INN_OUTPUT_SECRET);
			free(dec);
			if (rc != 0)
				return rc;
		}
	}
	json_object_object_del(obj, "data");
	json_object_object_del(obj, "stringData");
	return 0;
}

static int
op_get(struct kx *x)
{
	json_object *o = NULL, *items;
	pu_kube_res r;
	int rc;

	if ((rc = guard(x, "get", x->c->api_version, x->c->resource_type, x->c->ns,
	                x->c->resource_name, &r)) != 0)
		return rc;
	rc = pu_kube_get(x->k, x->c->api_version, x->c->resource_type, x->c->ns,
	                 x->c->resource_name, &o, x->err, sizeof x->err);
	if (rc != 0)
		return fail(x, rc);
	if (x->c->resource_name != NULL) {
		if (pu_kube_str(o, "kind") != NULL && strcmp(pu_kube_str(o, "kind"), "Secret") == 0)
			mask_secret(x, o);
		char tail[160];

		record(x, o, r.namespaced ? pu_kube_namespace(x->k) : NULL);
		snprintf(tail, sizeof tail, " (resourceVersion %.100s)",
		         meta_str(o, "resourceVersion") ? meta_str(o, "resourceVersion") : "?");
		log_last(x, "got", tail);
		if ((rc = publish_paths(x, o)) != 0)
			goto out;
	} else {
		mask_secret(x, o);
		if (json_object_object_get_ex(o, "items", &items) &&
		    json_object_is_type(items, json_type_array))
			x->host->log(x->step, INN_LOG_INFO, "listed %zu %s",
			             json_object_array_length(items), x->c->resource_type);
	}
	if ((rc = strip_secret(x, o, x->c->resource_name != NULL)) != 0 ||
	    (rc = out(x, "object", json_object_to_json_string_ext(o,
	              JSON_C_TO_STRING_PLAIN), 0)) != 0)
		goto out;
	rc = publish_common(x);
out:
	json_object_put(o);
	return rc;
}

static int
op_create_ns(struct kx *x)
{
	json_object *o = json_object_new_object(), *m = json_object_new_object();
	json_object *applied = NULL;
	pu_kube_res r;
	int rc;

	if ((rc = guard(x, "create-namespace", "v1", "Namespace", NULL, x->c->ns, &r)) != 0)
		goto out;
	json_object_object_add(o, "apiVersion", json_object_new_string("v1"));
	json_object_object_add(o, "kind", json_object_new_string("Namespace"));
	json_object_object_add(o, "metadata", m);
	json_object_object_add(m, "name", json_object_new_string(x->c->ns));
	rc = pu_kube_apply(x->k, o, NULL, x->c->force_conflicts, x->dry, &applied, x->err,
	                   sizeof x->err);
	if (rc != 0) {
		rc = fail(x, rc);
		goto out;
	}
	record(x, applied != NULL ? applied : o, NULL);
	x->host->log(x->step, INN_LOG_INFO, "%s namespace %s", x->dry ?
	             "dry-run: would apply" : "applied", x->c->ns);
	rc = publish_common(x);
out:
	json_object_put(applied);
	json_object_put(o);
	return rc;
}

static int
kube_check(const inn_host *host, inn_step *step, const struct kube_config *c,
           char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (c->manifest_path == NULL || pu_is_template(c->manifest_path))
		return 0;
	return kube_manifest_file(host, step, c, path, err, errlen);
}

PU_DEFINE_VALIDATE_CHECK(kube_validate, struct kube_config, kube_config_read,
                         kube_config_free, kube_check);

/*
 * Runs the step: reads the rendered config, connects (kubeconfig or
 * in-cluster) and runs the operation.  Returns INN_OK or an error, always
 * after logging a one-line reason.
 */
static int
kube_execute(void *state, const inn_host *host, inn_step *step)
{
	struct kube_config c;
	struct kx x;
	pu_kube_opts o;
	int rc;

	(void)state;
	memset(&x, 0, sizeof x);
	x.host = host;
	x.step = step;
	x.c = &c;
	x.dry = host->dry_run(step);
	if ((rc = kube_config_read(host, step, 1, &c, x.err, sizeof x.err)) != 0) {
		host->log(step, INN_LOG_ERROR, "%s", x.err);
		return rc;
	}
	memset(&o, 0, sizeof o);
	o.timeout_ms = c.timeout_ms;
	o.ns_override = c.ns;
	if ((rc = pu_kube_step_open(host, step, &c.conn, &o, &x.k, x.err,
	                            sizeof x.err)) != 0) {
		rc = fail(&x, rc);
		goto out;
	}
	if ((x.objects = json_object_new_array()) == NULL) {
		rc = INN_ENOMEM;
		goto out;
	}
	host->log(step, INN_LOG_INFO, "kubernetes %s at %s (namespace %s)%s",
	          kube_op_names[c.op], pu_kube_server(x.k), pu_kube_namespace(x.k),
	          x.dry ? ", dry-run" : "");
	switch (c.op) {
	case KUBE_APPLY:
		rc = op_apply(&x);
		break;
	case KUBE_DELETE:
		rc = op_delete(&x);
		break;
	case KUBE_GET:
		rc = op_get(&x);
		break;
	case KUBE_CREATE_NS:
		rc = op_create_ns(&x);
		break;
	case KUBE_CHECK:
		rc = op_check(&x);
		break;
	case KUBE_WAIT: {
		pu_kube_res r;

		if ((rc = guard(&x, "wait", c.api_version, c.resource_type, c.ns,
		                c.resource_name, &r)) == 0 &&
		    (rc = wait_for(&x, c.api_version, c.resource_type, c.ns,
		                   c.resource_name)) == 0)
			rc = publish_common(&x);
		break;
	}
	}
out:
	json_object_put(x.objects);
	pu_kube_close(x.k);
	kube_config_free(&c);
	return rc;
}

static const char *const kube_step_types[] = { "kubernetes", NULL };

static const char kube_config_schema[] =
	PU_CONFIG_SCHEMA_HEAD
	"\"properties\":{"
	"\"operation\":{\"enum\":[\"apply\",\"delete\",\"get\",\"create-namespace\","
	"\"wait\",\"check\"],\"default\":\"apply\",\"description\":\"check: "
	"wait_for judged once, failing at once when it does not hold\"},"
	"\"manifest\":{\"type\":\"string\",\"x-innominatus-render\":\"yaml\","
	"\"description\":\"a YAML stream of Kubernetes objects; template values "
	"land inside one scalar each (YAML mode)\"},"
	"\"manifest_path\":{\"type\":\"string\",\"description\":\"a YAML file inside "
	"the provider folder (no '..', no symbolic link out of it)\"},"
	"\"namespace\":{\"type\":\"string\",\"description\":\"the namespace of "
	"objects that name none (default: the kubeconfig context's)\"},"
	PU_KUBE_STEP_SCHEMA
	"\"resource_type\":{\"type\":\"string\",\"description\":\"kind, resource, "
	"short name or resource.group (deployment, deploy, Secret, "
	"deployment.apps, postgresql)\"},"
	"\"resource_name\":{\"type\":\"string\"},"
	"\"api_version\":{\"type\":\"string\"},"
	"\"wait_for\":{\"type\":\"string\",\"description\":\"condition=Type[=Status], "
	"jsonpath={path}[=value], create or delete (wait: until it holds; check: "
	"whether it holds now)\"},"
	"\"condition\":{\"type\":\"string\",\"description\":\"alias of wait_for\"},"
	"\"timeout\":{\"type\":[\"string\",\"number\"]},"
	"\"force_conflicts\":{\"type\":\"boolean\",\"default\":true},"
	"\"outputs\":{\"type\":\"object\",\"additionalProperties\":{\"type\":"
	"\"string\"},\"description\":\"output name -> jsonpath of the object\"}"
	"}}";

static const char kube_outputs_schema[] =
	"{\"type\":\"object\",\"properties\":{"
	"\"kind\":{\"type\":\"string\"},\"name\":{\"type\":\"string\"},"
	"\"namespace\":{\"type\":\"string\"},\"uid\":{\"type\":\"string\"},"
	"\"objects\":{\"type\":\"string\",\"description\":\"JSON list of "
	"{kind,name,namespace,uid}\"},"
	"\"object\":{\"type\":\"string\",\"description\":\"get: the object as JSON, "
	"without a Secret's data\"},"
	"\"ready\":{\"type\":\"string\",\"description\":\"check: true (the "
	"step fails when the condition does not hold)\"},"
	"\"detail\":{\"type\":\"string\",\"description\":\"check: what was "
	"seen, e.g. condition Available is True\"}},"
	"\"additionalProperties\":{\"type\":\"string\",\"description\":\"config.outputs "
	"values; data_<key>: a Secret's values, decoded (secret)\"}}";

PU_DEFINE_PLUGIN(INN_PLUGIN_DRY_RUN | INN_PLUGIN_IDEMPOTENT | INN_PLUGIN_CANCELLABLE,
                 "kubernetes", KUBE_VERSION, kube_step_types, kube_config_schema,
                 kube_outputs_schema, NULL, kube_validate, kube_execute, NULL)
