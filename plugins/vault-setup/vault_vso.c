/*
 * vault_vso.c - the Vault Secrets Operator objects of vault-setup.so
 * (config.vso): a VaultAuth (kubernetes auth method, role, service
 * account) and a VaultStaticSecret (the KV v2 path synced into a
 * Kubernetes Secret) in secrets.hashicorp.com/v1beta1, applied with
 * server-side apply through the shared Kubernetes client (pu_kube.h);
 * in a dry-run as a server-side dry run.  The operator's default
 * VaultConnection is used.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include "plugin_util.h"
#include "pu_kube.h"
#include "vault_int.h"

#define VSO_API "secrets.hashicorp.com/v1beta1"

static json_object *
vso_object(const char *kind, const char *name, const char *ns, json_object *spec)
{
	json_object *o = json_object_new_object(), *md = json_object_new_object();

	json_object_object_add(o, "apiVersion", json_object_new_string(VSO_API));
	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(md, "name", json_object_new_string(name));
	json_object_object_add(md, "namespace", json_object_new_string(ns));
	json_object_object_add(o, "metadata", md);
	json_object_object_add(o, "spec", spec);
	return o;
}

/* The KV path the VaultStaticSecret syncs: vso.path, else the first KV
 * action's. */
static const char *
vso_path(const struct vs_config *c)
{
	size_t i;

	if (c->vso.path != NULL)
		return c->vso.path;
	for (i = 0; i < c->nactions; i++)
		if (c->actions[i].path != NULL)
			return c->actions[i].path;
	return NULL;
}

static int
apply_one(struct vs_ctx *x, pu_kube *k, json_object *obj, const char *kind,
          const char *name)
{
	char err[VS_ERR_MAX];
	int rc;

	rc = pu_kube_apply(k, obj, x->c->vso.namespace, 1, x->dry, NULL, err, sizeof(err));
	if (rc != 0) {
		x->host->log(x->step, INN_LOG_ERROR, "vault-setup vso: %s", err);
		return rc;
	}
	x->host->log(x->step, INN_LOG_INFO, "%s%s %s/%s applied on %s", x->dry ?
	             "dry-run (server side): " : "", kind, x->c->vso.namespace, name,
	             pu_kube_server(k));
	return 0;
}

int
vs_apply_vso(struct vs_ctx *x)
{
	const struct vs_vso *v = &x->c->vso;
	pu_kube_opts o;
	pu_kube *k = NULL;
	json_object *auth = NULL, *sec = NULL, *spec, *kube, *dest;
	char err[VS_ERR_MAX], authname[96];
	const char *path = vso_path(x->c), *kc = NULL;
	int rc;

	if (path == NULL) {
		x->host->log(x->step, INN_LOG_ERROR, "vault-setup: config.vso.path: missing (no "
		             "KV action names a path to sync)");
		return INN_EINVAL;
	}
	memset(&o, 0, sizeof(o));
	o.kubeconfig = v->kubeconfig;
	o.context = v->context;
	o.timeout_ms = x->c->timeout_ms;
	if (v->kubeconfig_secret != NULL) {
		if (x->host->secret(x->step, v->kubeconfig_secret, &kc) != 0 || kc == NULL) {
			x->host->log(x->step, INN_LOG_ERROR, "vault-setup: the kubeconfig secret "
			             "\"%s\" (config.vso.kubeconfig_secret) is not available: %s",
			             v->kubeconfig_secret, x->host->last_error());
			return INN_EINVAL;
		}
		o.kubeconfig_yaml = kc;
	}
	if ((rc = pu_kube_open(x->host, x->step, &o, &k, err, sizeof(err))) != 0) {
		x->host->log(x->step, INN_LOG_ERROR, "vault-setup vso: %s", err);
		return rc;
	}
	snprintf(authname, sizeof(authname), "%s-auth", v->name);

	spec = json_object_new_object();
	kube = json_object_new_object();
	json_object_object_add(spec, "method", json_object_new_string("kubernetes"));
	json_object_object_add(spec, "mount", json_object_new_string(v->auth_mount));
	if (x->c->vault_ns != NULL)
		json_object_object_add(spec, "namespace", json_object_new_string(x->c->vault_ns));
	json_object_object_add(kube, "role", json_object_new_string(v->role));
	json_object_object_add(kube, "serviceAccount",
	                       json_object_new_string(v->service_account));
	json_object_object_add(spec, "kubernetes", kube);
	auth = vso_object("VaultAuth", authname, v->namespace, spec);

	spec = json_object_new_object();
	dest = json_object_new_object();
	json_object_object_add(spec, "vaultAuthRef", json_object_new_string(authname));
	if (x->c->vault_ns != NULL)
		json_object_object_add(spec, "namespace", json_object_new_string(x->c->vault_ns));
	json_object_object_add(spec, "mount", json_object_new_string(x->c->mount));
	json_object_object_add(spec, "type", json_object_new_string("kv-v2"));
	json_object_object_add(spec, "path", json_object_new_string(path));
	json_object_object_add(spec, "refreshAfter", json_object_new_string(v->refresh_after));
	json_object_object_add(dest, "name", json_object_new_string(v->destination));
	json_object_object_add(dest, "create", json_object_new_boolean(1));
	json_object_object_add(spec, "destination", dest);
	sec = vso_object("VaultStaticSecret", v->name, v->namespace, spec);

	if ((rc = apply_one(x, k, auth, "VaultAuth", authname)) != 0 ||
	    (rc = apply_one(x, k, sec, "VaultStaticSecret", v->name)) != 0)
		goto out;
	if ((rc = x->host->output(x->step, "vso_auth", authname, 0)) == 0)
		rc = x->host->output(x->step, "vso_secret", v->name, 0);
out:
	json_object_put(auth);
	json_object_put(sec);
	pu_kube_close(k);
	return rc;
}
