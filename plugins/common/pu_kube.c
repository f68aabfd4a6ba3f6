/*
 * pu_kube.c - the Kubernetes API client of the bundled plugins (see
 * pu_kube.h): requests through pu_http with the kubeconfig's credentials,
 * discovery (kind or resource name -> group/version, plural, scope),
 * server-side apply, get, delete and wait, and one-line errors quoting
 * the API's Status message.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plugin_util.h"
#include "pu_http.h"
#include "pu_kube_int.h"

#define K_FIELD_MANAGER "innominatus"

static void
wipe_free(char *s)
{
	if (s != NULL) {
		volatile char *p = s;

		while (*p != '\0')
			*p++ = '\0';
		free(s);
	}
}

void
pu_kube_close(pu_kube *k)
{
	if (k == NULL)
		return;
	free(k->server);
	free(k->ns);
	free(k->ca_file);
	free(k->ca_pem);
	free(k->cert_file);
	free(k->cert_pem);
	free(k->key_file);
	wipe_free(k->key_pem);
	wipe_free(k->token);
	wipe_free(k->userpwd);
	json_object_put(k->disc);
	json_object_put(k->groups);
	json_object_put(k->core);
	free(k);
}

int
pu_kube_open(const inn_host *host, inn_step *step, const pu_kube_opts *opts,
             pu_kube **out, char *err, size_t errlen)
{
	static const pu_kube_opts none;
	struct pu_kube *k;
	size_t n;
	int rc;

	*out = NULL;
	if (opts == NULL)
		opts = &none;
	if ((k = calloc(1, sizeof *k)) == NULL)
		return INN_ENOMEM;
	k->host = host;
	k->step = step;
	k->timeout_ms = opts->timeout_ms;
	if ((rc = pk_conf_load(k, opts, err, errlen)) != 0)
		goto err;
	if (opts->insecure)
		k->insecure = 1;
	if (opts->ns_override != NULL && *opts->ns_override != '\0') {
		free(k->ns);
		k->ns = NULL;
		if ((k->ns = strdup(opts->ns_override)) == NULL)
			goto nomem;
	}
	if (k->ns == NULL && (k->ns = strdup("default")) == NULL)
		goto nomem;
	n = strlen(k->server);
	while (n > 0 && k->server[n - 1] == '/')
		k->server[--n] = '\0';
	if (strncmp(k->server, "https://", 8) != 0 && strncmp(k->server, "http://", 7) != 0) {
		rc = pu_refuse(err, errlen, "%s: server \"%s\" is not an http(s) URL",
		               k->source, k->server);
		goto err;
	}
	if (k->token != NULL && host->mask != NULL)
		host->mask(step, k->token);
	if ((k->disc = json_object_new_object()) == NULL)
		goto nomem;
	*out = k;
	return 0;
nomem:
	rc = INN_ENOMEM;
	snprintf(err, errlen, "out of memory");
err:
	pu_kube_close(k);
	return rc;
}

const char *
pu_kube_namespace(const pu_kube *k)
{
	return k->ns;
}

const char *
pu_kube_server(const pu_kube *k)
{
	return k->server;
}

/* One request to the API server. */
static int
k_request(pu_kube *k, const char *method, const char *path, const char *ctype,
          const char *body, pu_http_resp *resp)
{
	pu_http_conf c;
	static const char *const accept[] = { "Accept: application/json", NULL };

	memset(&c, 0, sizeof c);
	c.base_url = k->server;
	c.ca_file = k->ca_file;
	c.ca_pem = k->ca_pem;
	c.cert_file = k->cert_file;
	c.cert_pem = k->cert_pem;
	c.key_file = k->key_file;
	c.key_pem = k->key_pem;
	c.insecure = k->insecure;
	c.bearer = k->token;
	c.userpwd = k->token == NULL ? k->userpwd : NULL;
	c.headers = accept;
	c.timeout_ms = k->timeout_ms;
	c.what = "Kubernetes API";
	return pu_http_request(k->host, k->step, &c, method, path, ctype, body,
	                       body != NULL ? strlen(body) : 0, resp);
}

/* A response body as JSON (NULL when it is not). */
static json_object *
k_json(const pu_http_resp *r)
{
	json_tokener *t;
	json_object *o;

	if (r->body == NULL || r->len == 0 || (t = json_tokener_new()) == NULL)
		return NULL;
	o = json_tokener_parse_ex(t, r->body, (int)r->len);
	if (json_tokener_get_error(t) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(t);
	return o;
}

/* Copies s into buf as one line of at most 300 bytes. */
static void
one_line(char *buf, size_t len, const char *s)
{
	size_t i, o = 0;

	for (i = 0; s[i] != '\0' && o + 1 < len && o < 300; i++)
		buf[o++] = s[i] == '\n' || s[i] == '\r' || s[i] == '\t' ? ' ' : s[i];
	buf[o] = '\0';
}

/* "<op>: <code> <reason>: <message>" from a failed answer (a Status body
 * where the server sent one). */
static int
k_status_err(pu_kube *k, const char *op, const pu_http_resp *r, char *err,
             size_t errlen)
{
	json_object *st = k_json(r), *v;
	const char *reason = NULL, *msg = NULL;
	char line[320], ex[256];

	if (st != NULL && json_object_object_get_ex(st, "reason", &v))
		reason = json_object_get_string(v);
	if (st != NULL && json_object_object_get_ex(st, "message", &v))
		msg = json_object_get_string(v);
	if (msg != NULL)
		one_line(line, sizeof line, msg);
	else {
		pu_http_error_excerpt(r, ex, sizeof ex);
		one_line(line, sizeof line, ex);
	}
	if (reason == NULL)
		reason = r->status == 401 ? "Unauthorized" : r->status == 403 ? "Forbidden" :
		         r->status == 404 ? "NotFound" : r->status == 409 ? "Conflict" :
		         r->status == 422 ? "Invalid" : "error";
	if (r->status == 401)
		snprintf(err, errlen, "%s: 401 Unauthorized: the Kubernetes API at %s "
		         "refused the credentials of the %s%s%s", op, k->server, k->source,
		         line[0] ? ": " : "", line);
	else
		snprintf(err, errlen, "%s: %ld %s: %s", op, r->status, reason,
		         line[0] ? line : "(no message)");
	json_object_put(st);
	return r->status == 404 ? INN_ENOTFOUND : INN_ERROR;
}

/* A request whose answer must be 2xx JSON: *out (may be NULL).  Transport
 * failures keep their code; a non-2xx answer gives k_status_err's. */
static int
k_call(pu_kube *k, const char *op, const char *method, const char *path,
       const char *ctype, const char *body, json_object **out, char *err, size_t errlen)
{
	pu_http_resp r;
	int rc;

	if (out != NULL)
		*out = NULL;
	rc = k_request(k, method, path, ctype, body, &r);
	if (rc != INN_OK) {
		snprintf(err, errlen, "%s: %s", op, r.err[0] ? r.err : "request failed");
		goto out;
	}
	if (r.status < 200 || r.status > 299) {
		rc = k_status_err(k, op, &r, err, errlen);
		goto out;
	}
	if (out != NULL && (*out = k_json(&r)) == NULL) {
		snprintf(err, errlen, "%s: the Kubernetes API at %s answered %ld with a "
		         "body that is not JSON", op, k->server, r.status);
		rc = INN_ERROR;
	}
out:
	pu_http_resp_free(&r);
	return rc;
}

/* ---- discovery ------------------------------------------------------- */

static int
copy_field(char *dst, size_t len, const char *s)
{
	if (s == NULL || strlen(s) >= len)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

int
pk_match(json_object *list, const char *gv, const char *what, int kind_only,
         pu_kube_res *out)
{
	json_object *rs, *r, *sn, *v;
	size_t i, n, j;
	int pass;

	if (!json_object_object_get_ex(list, "resources", &rs) ||
	    !json_object_is_type(rs, json_type_array))
		return -1;
	n = json_object_array_length(rs);
	/* pass 0: exact Kind; pass 1: the names kubectl takes */
	for (pass = 0; pass < (kind_only ? 1 : 2); pass++)
		for (i = 0; i < n; i++) {
			const char *name, *kind, *sing;
			int hit = 0;

			r = json_object_array_get_idx(rs, i);
			name = pu_kube_str(r, "name");
			kind = pu_kube_str(r, "kind");
			sing = pu_kube_str(r, "singularName");
			if (name == NULL || kind == NULL || strchr(name, '/') != NULL)
				continue;
			if (pass == 0)
				hit = strcmp(kind, what) == 0;
			else {
				hit = strcasecmp(name, what) == 0 || strcasecmp(kind, what) == 0 ||
				      (sing != NULL && strcasecmp(sing, what) == 0);
				if (!hit && json_object_object_get_ex(r, "shortNames", &sn) &&
				    json_object_is_type(sn, json_type_array))
					for (j = 0; j < json_object_array_length(sn) && !hit; j++) {
						v = json_object_array_get_idx(sn, j);
						hit = json_object_is_type(v, json_type_string) &&
						      strcasecmp(json_object_get_string(v), what) == 0;
					}
			}
			if (!hit)
				continue;
			if (copy_field(out->group_version, sizeof out->group_version, gv) != 0 ||
			    copy_field(out->kind, sizeof out->kind, kind) != 0 ||
			    copy_field(out->plural, sizeof out->plural, name) != 0)
				return -1;
			out->namespaced = json_object_object_get_ex(r, "namespaced", &v) &&
			                  json_object_is_type(v, json_type_boolean) &&
			                  json_object_get_boolean(v);
			return 0;
		}
	return -1;
}

/* The APIResourceList of gv (cached; refresh: ask again).  INN_ENOTFOUND
 * when the server does not serve gv. */
static int
gv_list(pu_kube *k, const char *gv, int refresh, json_object **list, char *err,
        size_t errlen)
{
	char path[300], op[340];
	json_object *l;
	int rc;

	*list = NULL;
	if (!refresh && json_object_object_get_ex(k->disc, gv, &l)) {
		*list = l;
		return l != NULL ? 0 : INN_ENOTFOUND;
	}
	if (strchr(gv, '/') == NULL)
		snprintf(path, sizeof path, "/api/%s", gv);
	else
		snprintf(path, sizeof path, "/apis/%s", gv);
	for (rc = 0; path[rc] != '\0'; rc++)
		if (!(path[rc] == '/' || path[rc] == '.' || path[rc] == '-' ||
		      (path[rc] >= 'a' && path[rc] <= 'z') || (path[rc] >= '0' && path[rc] <= '9')))
			return pu_refuse(err, errlen, "apiVersion \"%s\" is not a group/version",
			                 gv);
	snprintf(op, sizeof op, "discovery GET %s", path);
	rc = k_call(k, op, "GET", path, NULL, NULL, &l, err, errlen);
	if (rc == INN_ENOTFOUND) {
		json_object_object_add(k->disc, gv, NULL);
		return rc;
	}
	if (rc != 0)
		return rc;
	json_object_object_add(k->disc, gv, l);
	*list = l;
	return 0;
}

/* The group/versions to search for a name with no apiVersion: "v1" then
 * each group's preferred version (of group only, when set), into a
 * json array of strings. */
static int
candidate_gvs(pu_kube *k, const char *group, int refresh, json_object *out, char *err,
              size_t errlen)
{
	json_object *gs, *g, *pv, *vs;
	size_t i, n, j;
	int rc;

	if (group == NULL || strcmp(group, "core") == 0 || *group == '\0') {
		/* the core group's versions (APIVersions: ["v1"]) */
		if (refresh || k->core == NULL) {
			json_object_put(k->core);
			if ((rc = k_call(k, "discovery GET /api", "GET", "/api", NULL, NULL,
			                 &k->core, err, errlen)) != 0)
				return rc;
		}
		if (json_object_object_get_ex(k->core, "versions", &vs) &&
		    json_object_is_type(vs, json_type_array))
			for (j = 0; j < json_object_array_length(vs); j++) {
				json_object *v = json_object_array_get_idx(vs, j);

				if (json_object_is_type(v, json_type_string))
					json_object_array_add(out, json_object_get(v));
			}
	}
	if (group != NULL && (strcmp(group, "core") == 0 || *group == '\0'))
		return 0;
	if (refresh || k->groups == NULL) {
		json_object_put(k->groups);
		k->groups = NULL;
		if ((rc = k_call(k, "discovery GET /apis", "GET", "/apis", NULL, NULL,
		                 &k->groups, err, errlen)) != 0)
			return rc;
	}
	if (!json_object_object_get_ex(k->groups, "groups", &gs) ||
	    !json_object_is_type(gs, json_type_array))
		return 0;
	n = json_object_array_length(gs);
	for (i = 0; i < n; i++) {
		const char *name, *ver;

		g = json_object_array_get_idx(gs, i);
		name = pu_kube_str(g, "name");
		if (name == NULL || (group != NULL && strcasecmp(name, group) != 0))
			continue;
		if (json_object_object_get_ex(g, "preferredVersion", &pv) &&
		    (ver = pu_kube_str(pv, "groupVersion")) != NULL)
			json_object_array_add(out, json_object_new_string(ver));
		if (group == NULL || !json_object_object_get_ex(g, "versions", &vs) ||
		    !json_object_is_type(vs, json_type_array))
			continue;
		for (j = 0; j < json_object_array_length(vs); j++)
			if ((ver = pu_kube_str(json_object_array_get_idx(vs, j), "groupVersion")) != NULL)
				json_object_array_add(out, json_object_new_string(ver));
	}
	return 0;
}

/* One try of pu_kube_resolve (refresh: ask the server again). */
static int
resolve_once(pu_kube *k, const char *api_version, const char *what, int kind_only,
             int refresh, pu_kube_res *out, char *err, size_t errlen)
{
	json_object *gvs = NULL, *list;
	char name[128], *group = NULL;
	size_t i;
	int rc;

	if (api_version != NULL && *api_version != '\0') {
		rc = gv_list(k, api_version, refresh, &list, err, errlen);
		if (rc == INN_ENOTFOUND)
			return INN_ENOTFOUND;
		if (rc != 0)
			return rc;
		return pk_match(list, api_version, what, kind_only, out) == 0 ? 0 :
		       INN_ENOTFOUND;
	}
	if (snprintf(name, sizeof name, "%s", what) >= (int)sizeof name)
		return INN_ENOTFOUND;
	if ((group = strchr(name, '.')) != NULL)
		*group++ = '\0';
	if ((gvs = json_object_new_array()) == NULL)
		return INN_ENOMEM;
	if ((rc = candidate_gvs(k, group, refresh, gvs, err, errlen)) != 0)
		goto out;
	rc = INN_ENOTFOUND;
	for (i = 0; i < json_object_array_length(gvs) && rc == INN_ENOTFOUND; i++) {
		const char *gv = json_object_get_string(json_object_array_get_idx(gvs, i));
		int r = gv_list(k, gv, refresh, &list, err, errlen);

		if (r != 0 && r != INN_ENOTFOUND) {
			rc = r;
			break;
		}
		if (r == 0 && pk_match(list, gv, name, 0, out) == 0)
			rc = 0;
	}
out:
	json_object_put(gvs);
	return rc;
}

static int
resolve(pu_kube *k, const char *api_version, const char *what, int kind_only,
        pu_kube_res *out, char *err, size_t errlen)
{
	int rc;

	if (what == NULL || *what == '\0')
		return pu_refuse(err, errlen, "no kind or resource type given");
	memset(out, 0, sizeof *out);
	rc = resolve_once(k, api_version, what, kind_only, 0, out, err, errlen);
	if (rc == INN_ENOTFOUND)
		rc = resolve_once(k, api_version, what, kind_only, 1, out, err, errlen);
	if (rc != INN_ENOTFOUND)
		return rc;
	if (api_version != NULL && *api_version != '\0')
		snprintf(err, errlen, "kind %s in %s is not served by the cluster at %s: "
		         "is its CRD/operator installed?", what, api_version, k->server);
	else
		snprintf(err, errlen, "resource type \"%s\" is not served by the cluster "
		         "at %s (no kind, resource or short name matches): is its "
		         "CRD/operator installed?", what, k->server);
	return INN_ENOTFOUND;
}

int
pu_kube_resolve(pu_kube *k, const char *api_version, const char *what,
                pu_kube_res *out, char *err, size_t errlen)
{
	return resolve(k, api_version, what, 0, out, err, errlen);
}

/* The URL path of an object (name NULL: its collection) into a pu_buf. */
static int
obj_path(pu_buf *b, const pu_kube_res *r, const char *ns, const char *name)
{
	char *e;

	pu_buf_addf(b, "%s/%s", strchr(r->group_version, '/') ? "/apis" : "/api",
	            r->group_version);
	if (r->namespaced && ns != NULL) {
		if ((e = pu_url_escape(ns)) == NULL)
			return INN_ENOMEM;
		pu_buf_addf(b, "/namespaces/%s", e);
		free(e);
	}
	pu_buf_addf(b, "/%s", r->plural);
	if (name != NULL) {
		if ((e = pu_url_escape(name)) == NULL)
			return INN_ENOMEM;
		pu_buf_addf(b, "/%s", e);
		free(e);
	}
	return b->error;
}

/* Messages are one line: a control character a name or kind carries (a
 * template value with a newline) is shown as a space. */
static void
flatten(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

void
pu_kube_desc(char *buf, size_t len, const char *kind, const char *ns, const char *name,
             int namespaced)
{
	if (kind == NULL)
		kind = "";
	if (namespaced && ns != NULL && *ns != '\0')
		snprintf(buf, len, "%s %s/%s", kind, ns, name ? name : "*");
	else
		snprintf(buf, len, "%s %s", kind, name ? name : "*");
	flatten(buf);
}

/* ---- operations -------------------------------------------------------- */

int
pu_kube_apply(pu_kube *k, json_object *obj, const char *default_ns, int force,
              int dry_run, json_object **applied, char *err, size_t errlen)
{
	json_object *copy = NULL, *meta;
	const char *av, *kind, *name, *ns;
	pu_buf path = PU_BUF_INIT(8192);
	pu_kube_res r;
	char op[400];
	int rc;

	if (applied != NULL)
		*applied = NULL;
	av = pu_kube_str(obj, "apiVersion");
	kind = pu_kube_str(obj, "kind");
	if (!json_object_object_get_ex(obj, "metadata", &meta) ||
	    (name = pu_kube_str(meta, "name")) == NULL || av == NULL || kind == NULL)
		return pu_refuse(err, errlen, "apply: an object needs apiVersion, kind "
		                 "and metadata.name");
	ns = pu_kube_str(meta, "namespace");
	if (ns == NULL || *ns == '\0')
		ns = default_ns != NULL && *default_ns != '\0' ? default_ns : k->ns;
	snprintf(op, sizeof op, "apply %s %s", kind, name);
	flatten(op);
	if ((rc = resolve(k, av, kind, 1, &r, err, errlen)) != 0) {
		char why[300];

		snprintf(why, sizeof why, "%s", err);
		snprintf(err, errlen, "%s: %s", op, why);
		return rc;
	}
	pu_kube_desc(op + 6, sizeof op - 6, kind, ns, name, r.namespaced);
	if (json_object_deep_copy(obj, &copy, NULL) != 0) {
		rc = INN_ENOMEM;
		goto out;
	}
	json_object_object_get_ex(copy, "metadata", &meta);
	if (r.namespaced)
		json_object_object_add(meta, "namespace", json_object_new_string(ns));
	else
		json_object_object_del(meta, "namespace");
	if ((rc = obj_path(&path, &r, ns, name)) != 0)
		goto out;
	pu_buf_addf(&path, "?fieldManager=%s%s%s", K_FIELD_MANAGER,
	            force ? "&force=true" : "", dry_run ? "&dryRun=All" : "");
	if ((rc = path.error) != 0)
		goto out;
	rc = k_call(k, op, "PATCH", path.p, "application/apply-patch+yaml",
	            json_object_to_json_string_ext(copy, JSON_C_TO_STRING_PLAIN),
	            applied, err, errlen);
out:
	json_object_put(copy);
	pu_buf_free(&path);
	if (rc == INN_ENOMEM)
		snprintf(err, errlen, "%s: out of memory", op);
	return rc;
}

/* Resolves kind and builds the path and description for get/delete. */
static int
prepare(pu_kube *k, const char *verb, const char *api_version, const char *kind,
        const char **ns, const char *name, pu_kube_res *r, pu_buf *path, char *op,
        size_t oplen, char *err, size_t errlen)
{
	int rc, n;

	if (*ns == NULL || **ns == '\0')
		*ns = k->ns;
	if ((rc = resolve(k, api_version, kind, 0, r, err, errlen)) != 0) {
		char why[300];

		snprintf(why, sizeof why, "%s", err);
		snprintf(err, errlen, "%s %s %s: %s", verb, kind, name ? name : "", why);
		return rc;
	}
	n = snprintf(op, oplen, "%s ", verb);
	pu_kube_desc(op + n, oplen - (size_t)n, r->kind, *ns, name, r->namespaced);
	if ((rc = obj_path(path, r, *ns, name)) != 0)
		snprintf(err, errlen, "%s: out of memory", op);
	return rc;
}

int
pu_kube_get(pu_kube *k, const char *api_version, const char *kind, const char *ns,
            const char *name, json_object **obj, char *err, size_t errlen)
{
	pu_buf path = PU_BUF_INIT(8192);
	pu_kube_res r;
	char op[400];
	int rc;

	*obj = NULL;
	if ((rc = prepare(k, "get", api_version, kind, &ns, name, &r, &path, op, sizeof op,
	                  err, errlen)) == 0)
		rc = k_call(k, op, "GET", path.p, NULL, NULL, obj, err, errlen);
	pu_buf_free(&path);
	return rc;
}

int
pu_kube_delete(pu_kube *k, const char *api_version, const char *kind, const char *ns,
               const char *name, int dry_run, int *gone, char *err, size_t errlen)
{
	pu_buf path = PU_BUF_INIT(8192);
	pu_kube_res r;
	char op[400];
	int rc;

	if (gone != NULL)
		*gone = 0;
	if (name == NULL || *name == '\0')
		return pu_refuse(err, errlen, "delete %s: no name", kind ? kind : "");
	if ((rc = prepare(k, "delete", api_version, kind, &ns, name, &r, &path, op,
	                  sizeof op, err, errlen)) != 0)
		goto out;
	pu_buf_addf(&path, "?propagationPolicy=Background%s", dry_run ? "&dryRun=All" : "");
	rc = k_call(k, op, "DELETE", path.p, NULL, NULL, NULL, err, errlen);
	if (rc == INN_ENOTFOUND) {
		rc = 0;
		if (gone != NULL)
			*gone = 1;
	}
out:
	pu_buf_free(&path);
	return rc;
}

/* ---- wait ---------------------------------------------------------------- */

/* Walks a jsonpath-ish path: "{.status.phase}", ".status.conditions[0].type",
 * "status.phase" (dots and [n] indices). */
static json_object *
walk(json_object *obj, const char *path)
{
	char seg[256];
	const char *p = path;
	size_t n;

	if (*p == '{')
		p++;
	while (obj != NULL && *p != '\0' && *p != '}') {
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p == '[') {
			char *end;
			long idx = strtol(p + 1, &end, 10);

			if (*end != ']' || idx < 0 || !json_object_is_type(obj, json_type_array))
				return NULL;
			obj = json_object_array_get_idx(obj, (size_t)idx);
			p = end + 1;
			continue;
		}
		n = strcspn(p, ".[}");
		if (n >= sizeof seg)
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		p += n;
		if (json_object_is_type(obj, json_type_array)) {
			char *end;
			long idx = strtol(seg, &end, 10);

			if (*end != '\0' || idx < 0)
				return NULL;
			obj = json_object_array_get_idx(obj, (size_t)idx);
		} else if (!json_object_object_get_ex(obj, seg, &obj))
			return NULL;
	}
	return obj;
}

const char *
pu_kube_path_str(json_object *obj, const char *path)
{
	json_object *v = walk(obj, path);

	if (v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

/* The status of condition type in obj ("True"/"False"/...), or NULL;
 * *msg (may be NULL) its message, or NULL. */
static const char *
condition_status(json_object *obj, const char *type, const char **msg)
{
	json_object *cs = walk(obj, ".status.conditions");
	size_t i;

	if (msg != NULL)
		*msg = NULL;
	if (cs == NULL || !json_object_is_type(cs, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(cs); i++) {
		json_object *c = json_object_array_get_idx(cs, i);
		const char *t = pu_kube_str(c, "type");

		if (t != NULL && strcasecmp(t, type) == 0) {
			if (msg != NULL)
				*msg = pu_kube_str(c, "message");
			return pu_kube_str(c, "status");
		}
	}
	return NULL;
}

/* Sleeps ms unless the step is cancelled first (1 if cancelled). */
static int
nap(pu_kube *k, int64_t ms)
{
	int fd = k->host->cancel_fd != NULL ? k->host->cancel_fd(k->step) : -1;
	struct pollfd p;

	if (k->host->cancelled(k->step))
		return 1;
	p.fd = fd;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(fd >= 0 ? &p : NULL, fd >= 0 ? 1 : 0, (int)ms) < 0 && errno != EINTR)
		return k->host->cancelled(k->step);
	return k->host->cancelled(k->step);
}

int
pu_kube_wait(pu_kube *k, const char *api_version, const char *kind, const char *ns,
             const char *name, const char *condition, int64_t timeout_ms,
             char *err, size_t errlen)
{
	char want_name[128], want_val[256], seen[400], tbuf[64];
	int64_t start = pu_monotonic_ms(), end, dl, delay = 250;
	enum { W_COND, W_PATH, W_DELETE, W_CREATE } mode;
	const char *eq;
	int rc, has_val = 0;

	if (condition == NULL || *condition == '\0')
		return pu_refuse(err, errlen, "wait: no condition");
	want_val[0] = '\0';
	if (strcmp(condition, "delete") == 0 || strcmp(condition, "deleted") == 0)
		mode = W_DELETE;
	else if (strcmp(condition, "create") == 0 || strcmp(condition, "exists") == 0)
		mode = W_CREATE;
	else if (strncmp(condition, "condition=", 10) == 0) {
		mode = W_COND;
		snprintf(want_name, sizeof want_name, "%s", condition + 10);
		if ((eq = strchr(condition + 10, '=')) != NULL) {
			if ((size_t)(eq - (condition + 10)) < sizeof want_name)
				want_name[eq - (condition + 10)] = '\0';
			snprintf(want_val, sizeof want_val, "%s", eq + 1);
		} else
			snprintf(want_val, sizeof want_val, "True");
		has_val = 1;
	} else if (strncmp(condition, "jsonpath=", 9) == 0) {
		const char *p = condition + 9, *close = strchr(p, '}');

		mode = W_PATH;
		eq = strchr(close != NULL ? close : p, '=');
		snprintf(want_name, sizeof want_name, "%.*s",
		         eq != NULL ? (int)(eq - p) : (int)strlen(p), p);
		if (eq != NULL) {
			snprintf(want_val, sizeof want_val, "%s", eq + 1);
			has_val = 1;
		}
	} else
		return pu_refuse(err, errlen, "wait: condition \"%s\" is not "
		                 "condition=<Type>[=<Status>], jsonpath={<path>}[=<value>], "
		                 "create or delete", condition);
	if ((mode == W_COND || mode == W_PATH) && want_name[0] == '\0')
		return pu_refuse(err, errlen, "wait: condition \"%s\" names nothing", condition);
	end = timeout_ms > 0 ? start + timeout_ms : 0;
	dl = k->host->deadline_ms != NULL ? k->host->deadline_ms(k->step) : 0;
	if (dl > 0 && (end == 0 || dl < end))
		end = dl;
	snprintf(seen, sizeof seen, "nothing yet");
	for (;;) {
		json_object *o = NULL;
		const char *v;
		int64_t now;

		const char *cmsg = NULL;
		int holds;

		rc = pu_kube_get(k, api_version, kind, ns, name, &o, err, errlen);
		if (rc == INN_ENOTFOUND) {
			holds = mode == W_DELETE;
			snprintf(seen, sizeof seen, "the object does not exist");
		} else if (rc != 0) {
			return rc;
		} else if (mode == W_DELETE || mode == W_CREATE) {
			holds = mode == W_CREATE;
			snprintf(seen, sizeof seen, "the object %s", holds ? "exists" :
			         "still exists");
		} else {
			v = mode == W_COND ? condition_status(o, want_name, &cmsg) :
			    pu_kube_path_str(o, want_name);
			holds = v != NULL && (!has_val || strcasecmp(v, want_val) == 0);
			if (mode == W_COND)
				snprintf(seen, sizeof seen, "condition %s is %s%s%.200s", want_name,
				         v != NULL ? v : "absent", cmsg != NULL && *cmsg ? ": " : "",
				         cmsg != NULL ? cmsg : "");
			else
				snprintf(seen, sizeof seen, "%s is %.200s", want_name,
				         v != NULL ? v : "absent");
		}
		json_object_put(o);
		flatten(seen);          /* a condition's message: one line */
		if (timeout_ms == PU_KUBE_ONCE) {
			snprintf(err, errlen, "%s", seen);
			return holds ? 0 : INN_ETIMEOUT;
		}
		if (holds)
			return 0;
		now = pu_monotonic_ms();
		if (end > 0 && now >= end) {
			pu_format_duration(tbuf, sizeof tbuf, now - start);
			snprintf(err, errlen, "wait %s %s for %s: timed out after %s (%s)",
			         kind, name, condition, tbuf, seen);
			return INN_ETIMEOUT;
		}
		if (end > 0 && now + delay > end)
			delay = end - now;
		if (nap(k, delay)) {
			snprintf(err, errlen, "wait %s %s for %s: cancelled (%s)", kind, name,
			         condition, seen);
			return INN_ECANCELLED;
		}
		delay = delay * 3 / 2 > 2000 ? 2000 : delay * 3 / 2;
	}
}

/* ---- manifests ------------------------------------------------------------ */

static int
add_manifest(json_object *out, json_object *o, int doc, char *err, size_t errlen)
{
	json_object *meta, *items;
	const char *kind = pu_kube_str(o, "kind"), *name;
	size_t i;

	if (!json_object_is_type(o, json_type_object))
		return pu_refuse(err, errlen, "document %d: not a mapping (a Kubernetes "
		                 "object has apiVersion, kind and metadata)", doc);
	if (kind != NULL && strlen(kind) >= 4 && strcmp(kind + strlen(kind) - 4, "List") == 0 &&
	    json_object_object_get_ex(o, "items", &items) &&
	    json_object_is_type(items, json_type_array)) {
		for (i = 0; i < json_object_array_length(items); i++)
			if (add_manifest(out, json_object_array_get_idx(items, i), doc, err,
			                 errlen) != 0)
				return INN_EINVAL;
		return 0;
	}
	if (pu_kube_str(o, "apiVersion") == NULL || *pu_kube_str(o, "apiVersion") == '\0')
		return pu_refuse(err, errlen, "document %d: no apiVersion", doc);
	if (kind == NULL || *kind == '\0')
		return pu_refuse(err, errlen, "document %d: no kind", doc);
	if (!json_object_object_get_ex(o, "metadata", &meta) ||
	    !json_object_is_type(meta, json_type_object))
		return pu_refuse(err, errlen, "document %d (%s): no metadata", doc, kind);
	name = pu_kube_str(meta, "name");
	if (name == NULL || *name == '\0')
		return pu_refuse(err, errlen, "document %d (%s): no metadata.name%s", doc,
		                 kind, pu_kube_str(meta, "generateName") != NULL ?
		                 " (generateName cannot be applied: apply needs a name)" : "");
	json_object_array_add(out, json_object_get(o));
	return 0;
}

int
pu_kube_parse_manifests(const char *yaml, size_t len, json_object **out_array,
                        char *err, size_t errlen)
{
	json_object *docs = NULL, *out = NULL;
	size_t i;
	int rc;

	*out_array = NULL;
	if ((rc = pu_kube_yaml_parse(yaml, len, &docs, err, errlen)) != 0)
		return rc;
	if ((out = json_object_new_array()) == NULL) {
		rc = INN_ENOMEM;
		goto out;
	}
	for (i = 0; i < json_object_array_length(docs); i++)
		if ((rc = add_manifest(out, json_object_array_get_idx(docs, i), (int)i + 1,
		                       err, errlen)) != 0)
			goto out;
	*out_array = out;
	out = NULL;
out:
	json_object_put(out);
	json_object_put(docs);
	return rc;
}
