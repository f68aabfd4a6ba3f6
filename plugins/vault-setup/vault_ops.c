/*
 * vault_ops.c - the actions of vault-setup.so, one Vault API exchange
 * (or a few) each: the preflight (token lookup-self, health, the KV v2
 * mount, enabled on request), KV v2 write / read / patch / delete,
 * generated passwords (masked before anything can log them, stored with
 * check-and-set), ACL policies (HCL text, or generated from a map of
 * paths to capabilities) and AppRole roles with their role_id and, when
 * asked, a secret_id.  In a dry-run only read-only calls go out and each
 * action logs what it would write: paths and key names, never values.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_util.h"
#include "vault_int.h"

static const long accept_404[] = { 404, 0 };

/* "a, b, c": the key names of an object (never its values). */
static void
key_names(json_object *o, char *buf, size_t len)
{
	size_t at = 0;
	int n;

	buf[0] = '\0';
	if (o == NULL)
		return;
	json_object_object_foreach(o, k, v) {
		(void)v;
		n = snprintf(buf + at, len - at, "%s%s", at ? ", " : "", k);
		if (n < 0 || (size_t)n >= len - at) {
			if (len > 4)
				memcpy(buf + len - 4, "...", 4);
			return;
		}
		at += (size_t)n;
	}
}

/* The version in a KV answer's data (write) or data.metadata (read). */
static int64_t
kv_version(json_object *ans)
{
	json_object *d = vs_data(ans), *m, *v;

	if (d == NULL)
		return 0;
	if (json_object_object_get_ex(d, "metadata", &m) && m != NULL)
		d = m;
	if (json_object_object_get_ex(d, "version", &v))
		return json_object_get_int64(v);
	return 0;
}

static int
kv_url(struct vs_ctx *x, const char *kind, const char *path, char *buf, size_t len)
{
	if (vs_kv_url(x, kind, path, buf, len) != 0) {
		x->host->log(x->step, INN_LOG_ERROR, "vault-setup: the path %s/%s is too long",
		             x->c->mount, path);
		return INN_EINVAL;
	}
	return 0;
}

/* GET sys/mounts: "<mount>/" is kv version 2?  1 yes, 0 absent, -1 other
 * engine, -2 the token may not list mounts, or an error code. */
static int
mount_state(struct vs_ctx *x, char *type, size_t tlen)
{
	json_object *ans = NULL, *m = NULL, *d, *t, *o, *ver;
	char key[VS_PATH_MAX + 2];
	long status;
	int rc;
	static const long accept_403[] = { 403, 0 };

	snprintf(key, sizeof(key), "%s/", x->c->mount);
	if ((rc = vs_call(x, "list mounts", "GET", "sys/mounts", NULL, NULL,
	                  x->dry ? accept_403 : NULL, &status, &ans)) != 0)
		return rc;
	if (status == 403) {
		rc = -2;
		goto out;
	}
	d = vs_data(ans);
	if ((d == NULL || !json_object_object_get_ex(d, key, &m)) &&
	    !json_object_object_get_ex(ans, key, &m)) {
		rc = 0;
		goto out;
	}
	snprintf(type, tlen, "%s", json_object_object_get_ex(m, "type", &t) ?
	         json_object_get_string(t) : "?");
	ver = NULL;
	if (json_object_object_get_ex(m, "options", &o) && o != NULL)
		json_object_object_get_ex(o, "version", &ver);
	rc = strcmp(type, "kv") == 0 && ver != NULL &&
	     strcmp(json_object_get_string(ver), "2") == 0 ? 1 : -1;
out:
	json_object_put(ans);
	return rc;
}

static int
ensure_mount(struct vs_ctx *x)
{
	const inn_host *h = x->host;
	char type[64] = "", path[VS_PATH_MAX + 16], what[VS_PATH_MAX + 32];
	json_object *body, *opts;
	int st, rc;

	if ((st = mount_state(x, type, sizeof(type))) < -2)
		return st;
	if (st == -2) {
		h->log(x->step, INN_LOG_WARN, "vault-setup: the token may not list sys/mounts; "
		       "the mount %s/ was not checked", x->c->mount);
		return 0;
	}
	if (st == 1) {
		h->log(x->step, INN_LOG_INFO, "Vault at %s: %s/ is a kv version 2 mount",
		       x->c->address, x->c->mount);
		return 0;
	}
	if (st == -1) {
		h->log(x->step, INN_LOG_ERROR, "vault-setup: %s/ at %s is a \"%s\" mount, not kv "
		       "version 2; vault-setup speaks KV v2 only", x->c->mount, x->c->address,
		       type);
		return INN_ERROR;
	}
	if (!x->c->enable_mount) {
		h->log(x->step, x->dry ? INN_LOG_WARN : INN_LOG_ERROR, "vault-setup: no secrets "
		       "engine is mounted at %s/ on %s (set enable_mount: true to enable kv "
		       "version 2 there)", x->c->mount, x->c->address);
		return x->dry ? 0 : INN_ERROR;
	}
	if (x->dry) {
		h->log(x->step, INN_LOG_INFO, "dry-run: would enable kv version 2 at %s/",
		       x->c->mount);
		return 0;
	}
	snprintf(path, sizeof(path), "sys/mounts/%s", x->c->mount);
	snprintf(what, sizeof(what), "enable kv-v2 at %s/", x->c->mount);
	body = json_object_new_object();
	opts = json_object_new_object();
	json_object_object_add(opts, "version", json_object_new_string("2"));
	json_object_object_add(body, "type", json_object_new_string("kv"));
	json_object_object_add(body, "options", opts);
	json_object_object_add(body, "description",
	                       json_object_new_string("enabled by innominatus vault-setup"));
	rc = vs_call(x, what, "POST", path, body, NULL, NULL, NULL, NULL);
	json_object_put(body);
	if (rc == 0)
		h->log(x->step, INN_LOG_INFO, "enabled kv version 2 at %s/", x->c->mount);
	return rc;
}

static int
has_kv_actions(const struct vs_config *c)
{
	size_t i;

	for (i = 0; i < c->nactions; i++)
		if (c->actions[i].op != VS_OP_POLICY && c->actions[i].op != VS_OP_APPROLE)
			return 1;
	return c->vso.set;
}

int
vs_preflight(struct vs_ctx *x)
{
	const inn_host *h = x->host;
	json_object *ans = NULL, *d, *p;
	static const long health_ok[] = { 429, 472, 473, 501, 503, 0 };
	long status;
	int rc;

	if (x->dry) {
		if ((rc = vs_call(x, "health", "GET", "sys/health", NULL, NULL, health_ok,
		                  &status, NULL)) != 0)
			return rc;
		if (status == 501 || status == 503) {
			h->log(x->step, INN_LOG_ERROR, "vault-setup: Vault at %s is %s", x->c->address,
			       status == 501 ? "not initialised" : "sealed");
			return INN_ERROR;
		}
	}
	if ((rc = vs_call(x, "token lookup-self", "GET", "auth/token/lookup-self", NULL, NULL,
	                  NULL, NULL, &ans)) != 0)
		return rc;
	d = vs_data(ans);
	if (d != NULL && json_object_object_get_ex(d, "policies", &p))
		h->log(x->step, INN_LOG_INFO, "Vault at %s%s%s: token accepted (policies %s)",
		       x->c->address, x->c->vault_ns ? ", namespace " : "",
		       x->c->vault_ns ? x->c->vault_ns : "",
		       json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
	json_object_put(ans);
	if ((x->dry || x->c->enable_mount) && has_kv_actions(x->c))
		return ensure_mount(x);
	return 0;
}

/* POSTs data as the path's next version (cas: the version it must
 * follow, -1: none). */
static int
kv_post(struct vs_ctx *x, const struct vs_action *a, const char *verb, json_object *data,
        int64_t cas)
{
	char url[VS_PATH_MAX * 4], what[VS_PATH_MAX + 64], keys[256];
	json_object *body, *ans = NULL, *opts;
	int rc;

	if ((rc = kv_url(x, "data", a->path, url, sizeof(url))) != 0)
		return rc;
	snprintf(what, sizeof(what), "%s %s/%s", verb, x->c->mount, a->path);
	body = json_object_new_object();
	json_object_object_add(body, "data", json_object_get(data));
	if (cas >= 0) {
		opts = json_object_new_object();
		json_object_object_add(opts, "cas", json_object_new_int64(cas));
		json_object_object_add(body, "options", opts);
	}
	rc = vs_call(x, what, a->op == VS_OP_PATCH ? "PATCH" : "POST", url, body,
	             a->op == VS_OP_PATCH ? "application/merge-patch+json" : NULL, NULL, NULL,
	             &ans);
	json_object_put(body);
	if (rc == INN_ENOTFOUND && a->op == VS_OP_PATCH)
		x->host->log(x->step, INN_LOG_ERROR, "vault-setup: nothing to patch at %s/%s "
		             "(write it first)", x->c->mount, a->path);
	if (rc != 0)
		goto out;
	x->last_path = a->path;
	x->last_version = kv_version(ans);
	key_names(a->op == VS_OP_GENPW ? NULL : data, keys, sizeof(keys));
	if (a->op == VS_OP_GENPW)
		snprintf(keys, sizeof(keys), "%s", a->key);
	x->host->log(x->step, INN_LOG_INFO, "%s %s/%s (keys: %s): version %lld",
	             a->op == VS_OP_PATCH ? "patched" : "wrote", x->c->mount, a->path, keys,
	             (long long)x->last_version);
out:
	json_object_put(ans);
	return rc;
}

/* GETs the current version: *ans (NULL when nothing is there). */
static int
kv_get(struct vs_ctx *x, const char *path, json_object **ans, int *found)
{
	char url[VS_PATH_MAX * 4], what[VS_PATH_MAX + 32];
	long status;
	int rc;

	if ((rc = kv_url(x, "data", path, url, sizeof(url))) != 0)
		return rc;
	snprintf(what, sizeof(what), "read %s/%s", x->c->mount, path);
	rc = vs_call(x, what, "GET", url, NULL, NULL, accept_404, &status, ans);
	*found = rc == 0 && status != 404;
	return rc;
}

/* The secret's data object (owned by ans), or NULL. */
static json_object *
kv_data(json_object *ans)
{
	json_object *d = vs_data(ans), *v;

	if (d != NULL && json_object_object_get_ex(d, "data", &v) &&
	    json_object_is_type(v, json_type_object))
		return v;
	return NULL;
}

static int
out_value(struct vs_ctx *x, const char *key, json_object *v, uint32_t flags)
{
	const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) :
	                json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	int rc;

	if (flags & INN_OUTPUT_SECRET)
		x->host->mask(x->step, s);
	if ((rc = x->host->output(x->step, key, s, flags)) != 0)
		x->host->log(x->step, INN_LOG_ERROR, "vault-setup: output %s: %s", key,
		             x->host->last_error());
	return rc;
}

static int
op_read(struct vs_ctx *x, const struct vs_action *a)
{
	json_object *ans = NULL, *data, *v;
	size_t i, n;
	int found, rc;

	if ((rc = kv_get(x, a->path, &ans, &found)) != 0)
		return rc;
	if (!found || (data = kv_data(ans)) == NULL) {
		x->host->log(x->step, INN_LOG_ERROR, "vault-setup read %s/%s: no secret there (or "
		             "its latest version is deleted)", x->c->mount, a->path);
		rc = INN_ENOTFOUND;
		goto out;
	}
	/* every value is masked before the first output can be logged */
	json_object_object_foreach(data, k0, v0) {
		(void)k0;
		if (json_object_is_type(v0, json_type_string))
			x->host->mask(x->step, json_object_get_string(v0));
	}
	if (a->keys == NULL) {
		json_object_object_foreach(data, k, val) {
			if (vs_in_list(vs_own_outputs, k)) {
				x->host->log(x->step, INN_LOG_WARN, "vault-setup read %s/%s: key "
				             "\"%s\" not output: the step's own output has that name",
				             x->c->mount, a->path, k);
				continue;
			}
			if (!vs_valid_name(k)) {
				x->host->log(x->step, INN_LOG_WARN, "vault-setup read %s/%s: key "
				             "\"%.80s\" not output: not an output name (letters, "
				             "digits, _ - . up to 128); name the others in keys to "
				             "read only those", x->c->mount, a->path, k);
				continue;
			}
			if ((rc = out_value(x, k, val, INN_OUTPUT_SECRET)) != 0)
				goto out;
		}
	} else {
		n = json_object_array_length(a->keys);
		for (i = 0; i < n; i++) {
			const char *k = json_object_get_string(json_object_array_get_idx(a->keys, i));

			if (!json_object_object_get_ex(data, k, &v)) {
				x->host->log(x->step, INN_LOG_ERROR, "vault-setup read %s/%s: no key "
				             "\"%s\" there", x->c->mount, a->path, k);
				rc = INN_ENOTFOUND;
				goto out;
			}
			if ((rc = out_value(x, k, v, INN_OUTPUT_SECRET)) != 0)
				goto out;
		}
	}
	x->last_path = a->path;
	x->last_version = kv_version(ans);
	x->host->log(x->step, INN_LOG_INFO, "read %s/%s: version %lld", x->c->mount, a->path,
	             (long long)x->last_version);
out:
	json_object_put(ans);
	return rc;
}

static int
op_genpw(struct vs_ctx *x, const struct vs_action *a)
{
	char alpha[256], err[256], *pw = NULL;
	json_object *ans = NULL, *data, *next = NULL;
	int n, found, rc;
	int64_t cur;

	if ((n = vs_alphabet(a->charset, a->classes, alpha, err, sizeof(err))) < 0) {
		x->host->log(x->step, INN_LOG_ERROR, "%s.%s", a->where, err);
		return INN_EINVAL;
	}
	if ((rc = kv_get(x, a->path, &ans, &found)) != 0)
		return rc;
	cur = kv_version(ans);
	data = found ? kv_data(ans) : NULL;
	if (data != NULL && json_object_object_get_ex(data, a->key, NULL) && !a->rotate) {
		x->host->log(x->step, INN_LOG_INFO, "%s/%s already holds %s (version %lld): kept "
		             "(rotate: true replaces it)", x->c->mount, a->path, a->key,
		             (long long)cur);
		x->last_path = a->path;
		x->last_version = cur;
		goto out;
	}
	if (x->dry) {
		x->host->log(x->step, INN_LOG_INFO, "dry-run: would generate %s (%lld characters "
		             "from %d) into %s/%s", a->key, (long long)a->length, n, x->c->mount,
		             a->path);
		goto out;
	}
	if ((pw = malloc((size_t)a->length + 1)) == NULL) {
		rc = INN_ENOMEM;
		goto out;
	}
	if (vs_password(alpha, (size_t)n, a->charset ? 0 : a->classes, pw,
	                (size_t)a->length) != 0) {
		x->host->log(x->step, INN_LOG_ERROR, "vault-setup: no randomness from the kernel "
		             "(getrandom) for %s", a->key);
		rc = INN_ERROR;
		goto out;
	}
	x->host->mask(x->step, pw);
	/* the other keys stay as they are: a copy of the current data */
	if (data != NULL ? json_object_deep_copy(data, &next, NULL) != 0 :
	    (next = json_object_new_object()) == NULL) {
		rc = INN_ENOMEM;
		goto out;
	}
	json_object_object_add(next, a->key, json_object_new_string(pw));
	rc = kv_post(x, a, "store generated password at", next, cur);
out:
	if (pw != NULL) {
		explicit_bzero(pw, (size_t)a->length);
		free(pw);
	}
	json_object_put(next);
	json_object_put(ans);
	return rc;
}

/* One path block of HCL (path and capabilities checked when read). */
static void
policy_rule(pu_buf *b, const char *path, json_object *caps)
{
	size_t i;

	pu_buf_addf(b, "path \"%s\" {\n  capabilities = [", path);
	for (i = 0; i < json_object_array_length(caps); i++)
		pu_buf_addf(b, "%s\"%s\"", i ? ", " : "",
		            json_object_get_string(json_object_array_get_idx(caps, i)));
	pu_buf_adds(b, "]\n}\n");
}

/* The HCL of a policy given as {path: [capabilities]} or as a list of
 * {path, capabilities}. */
static char *
policy_hcl(json_object *paths)
{
	pu_buf b = PU_BUF_INIT(256 * 1024);
	json_object *e;
	size_t i;

	if (json_object_is_type(paths, json_type_array)) {
		for (i = 0; i < json_object_array_length(paths); i++) {
			e = json_object_array_get_idx(paths, i);
			policy_rule(&b, json_object_get_string(json_object_object_get(e, "path")),
			            json_object_object_get(e, "capabilities"));
		}
	} else {
		json_object_object_foreach(paths, path, caps)
			policy_rule(&b, path, caps);
	}
	if (b.error != 0) {
		pu_buf_free(&b);
		return NULL;
	}
	return b.p;
}

static int
op_policy(struct vs_ctx *x, const struct vs_action *a)
{
	char url[VS_PATH_MAX], what[200], *hcl = NULL, *e;
	json_object *body;
	int rc;

	if (a->paths != NULL && (hcl = policy_hcl(a->paths)) == NULL)
		return INN_ENOMEM;
	if (x->dry) {
		x->host->log(x->step, INN_LOG_INFO, "dry-run: would write ACL policy %s (%zu "
		             "bytes of HCL)", a->name, strlen(hcl ? hcl : a->policy));
		free(hcl);
		return 0;
	}
	if ((e = pu_url_escape(a->name)) == NULL) {
		free(hcl);
		return INN_ENOMEM;
	}
	snprintf(url, sizeof(url), "sys/policies/acl/%s", e);
	free(e);
	snprintf(what, sizeof(what), "write policy %s", a->name);
	body = json_object_new_object();
	json_object_object_add(body, "policy", json_object_new_string(hcl ? hcl : a->policy));
	rc = vs_call(x, what, "PUT", url, body, NULL, NULL, NULL, NULL);
	json_object_put(body);
	free(hcl);
	if (rc == 0) {
		x->host->log(x->step, INN_LOG_INFO, "wrote ACL policy %s", a->name);
		rc = x->host->output(x->step, "policy", a->name, 0);
	}
	return rc;
}

static int
ensure_approle(struct vs_ctx *x, const struct vs_action *a)
{
	json_object *ans = NULL, *d, *body;
	int rc, on;

	if ((rc = vs_call(x, "list auth methods", "GET", "sys/auth", NULL, NULL, NULL, NULL,
	                  &ans)) != 0)
		return rc;
	d = vs_data(ans);
	on = (d != NULL && json_object_object_get_ex(d, "approle/", NULL)) ||
	     json_object_object_get_ex(ans, "approle/", NULL);
	json_object_put(ans);
	if (on)
		return 0;
	if (!a->enable_auth) {
		x->host->log(x->step, x->dry ? INN_LOG_WARN : INN_LOG_ERROR, "vault-setup: the "
		             "approle auth method is not enabled at auth/approle on %s (set "
		             "enable_auth: true on %s)", x->c->address, a->where);
		return x->dry ? 0 : INN_ERROR;
	}
	if (x->dry) {
		x->host->log(x->step, INN_LOG_INFO, "dry-run: would enable the approle auth "
		             "method at auth/approle");
		return 0;
	}
	body = json_object_new_object();
	json_object_object_add(body, "type", json_object_new_string("approle"));
	rc = vs_call(x, "enable approle auth", "POST", "sys/auth/approle", body, NULL, NULL,
	             NULL, NULL);
	json_object_put(body);
	if (rc == 0)
		x->host->log(x->step, INN_LOG_INFO, "enabled the approle auth method");
	return rc;
}

/* One AppRole call whose answer's data.<field> becomes the output field
 * (a POST sends an empty JSON object). */
static int
approle_output(struct vs_ctx *x, const char *method, const char *url, const char *what,
               const char *field, uint32_t flags)
{
	json_object *body = NULL, *ans = NULL, *d, *v;
	int rc;

	if (strcmp(method, "POST") == 0)
		body = json_object_new_object();
	rc = vs_call(x, what, method, url, body, NULL, NULL, NULL, &ans);
	json_object_put(body);
	if (rc != 0)
		goto out;
	if ((d = vs_data(ans)) == NULL || !json_object_object_get_ex(d, field, &v)) {
		x->host->log(x->step, INN_LOG_ERROR, "vault-setup %s: no %s in Vault's answer",
		             what, field);
		rc = INN_ERROR;
		goto out;
	}
	rc = out_value(x, field, v, flags);
out:
	json_object_put(ans);
	return rc;
}

static int
op_approle(struct vs_ctx *x, const struct vs_action *a)
{
	char url[VS_PATH_MAX], sub[VS_PATH_MAX + 16], what[200], *e;
	json_object *body;
	int rc;

	if ((rc = ensure_approle(x, a)) != 0)
		return rc;
	if (x->dry) {
		x->host->log(x->step, INN_LOG_INFO, "dry-run: would write AppRole role %s%s",
		             a->name, a->secret_id ? " and issue a secret_id" : "");
		return 0;
	}
	if ((e = pu_url_escape(a->name)) == NULL)
		return INN_ENOMEM;
	snprintf(url, sizeof(url), "auth/approle/role/%s", e);
	free(e);
	snprintf(what, sizeof(what), "write AppRole role %s", a->name);
	body = json_object_new_object();
	if (a->token_policies != NULL)
		json_object_object_add(body, "token_policies", json_object_get(a->token_policies));
	if (a->ttl != NULL)
		json_object_object_add(body, "token_ttl", json_object_new_string(a->ttl));
	if (a->max_ttl != NULL)
		json_object_object_add(body, "token_max_ttl", json_object_new_string(a->max_ttl));
	rc = vs_call(x, what, "POST", url, body, NULL, NULL, NULL, NULL);
	json_object_put(body);
	if (rc != 0)
		return rc;
	snprintf(sub, sizeof(sub), "%s/role-id", url);
	snprintf(what, sizeof(what), "read role-id of %s", a->name);
	if ((rc = approle_output(x, "GET", sub, what, "role_id", 0)) != 0)
		return rc;
	x->host->log(x->step, INN_LOG_INFO, "wrote AppRole role %s (output role_id)", a->name);
	if (!a->secret_id)
		return 0;
	snprintf(sub, sizeof(sub), "%s/secret-id", url);
	snprintf(what, sizeof(what), "issue secret-id of %s", a->name);
	if ((rc = approle_output(x, "POST", sub, what, "secret_id", INN_OUTPUT_SECRET)) == 0)
		x->host->log(x->step, INN_LOG_INFO, "issued a secret_id for %s (a secret output)",
		             a->name);
	return rc;
}

static int
op_delete(struct vs_ctx *x, const struct vs_action *a)
{
	char url[VS_PATH_MAX * 4], what[VS_PATH_MAX + 32];
	json_object *ans = NULL, *d, *v;
	long status;
	int rc;

	if ((rc = kv_url(x, "metadata", a->path, url, sizeof(url))) != 0)
		return rc;
	if (x->dry) {
		snprintf(what, sizeof(what), "read metadata of %s/%s", x->c->mount, a->path);
		if ((rc = vs_call(x, what, "GET", url, NULL, NULL, accept_404, &status,
		                  &ans)) != 0)
			return rc;
		d = vs_data(ans);
		if (status == 404 || d == NULL || !json_object_object_get_ex(d, "versions", &v))
			x->host->log(x->step, INN_LOG_INFO, "dry-run: %s/%s does not exist; nothing "
			             "to delete", x->c->mount, a->path);
		else
			x->host->log(x->step, INN_LOG_INFO, "dry-run: would delete %s/%s "
			             "(%d versions)", x->c->mount, a->path, json_object_object_length(v));
		json_object_put(ans);
		return 0;
	}
	snprintf(what, sizeof(what), "delete %s/%s", x->c->mount, a->path);
	if ((rc = vs_call(x, what, "DELETE", url, NULL, NULL, accept_404, NULL, NULL)) != 0)
		return rc;
	x->last_path = a->path;
	x->last_version = 0;
	x->host->log(x->step, INN_LOG_INFO, "deleted %s/%s (metadata and all versions)",
	             x->c->mount, a->path);
	return 0;
}

int
vs_run_action(struct vs_ctx *x, const struct vs_action *a)
{
	char keys[256];

	if (x->host->cancelled(x->step)) {
		x->host->log(x->step, INN_LOG_ERROR, "vault-setup: cancelled before %s",
		             vs_op_names[a->op]);
		return INN_ECANCELLED;
	}
	switch (a->op) {
	case VS_OP_WRITE:
	case VS_OP_PATCH:
		if (x->dry) {
			key_names(a->data, keys, sizeof(keys));
			x->host->log(x->step, INN_LOG_INFO, "dry-run: would %s %s/%s (keys: %s)",
			             vs_op_names[a->op], x->c->mount, a->path, keys);
			return 0;
		}
		return kv_post(x, a, a->op == VS_OP_WRITE ? "write" : "patch", a->data, -1);
	case VS_OP_READ:
		if (x->dry) {
			x->host->log(x->step, INN_LOG_INFO, "dry-run: would read %s/%s",
			             x->c->mount, a->path);
			return 0;
		}
		return op_read(x, a);
	case VS_OP_GENPW:
		return op_genpw(x, a);
	case VS_OP_POLICY:
		return op_policy(x, a);
	case VS_OP_APPROLE:
		return op_approle(x, a);
	case VS_OP_DELETE:
		return op_delete(x, a);
	default:
		return INN_EINVAL;
	}
}
