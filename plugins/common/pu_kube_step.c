/*
 * pu_kube_step.c - what a step config says about the cluster, read alike
 * by kubernetes.so and argocd-app.so: the connection settings (kubeconfig
 * file or secret, context, TLS verification), which may never come from
 * a template, and the allowed_namespaces guard a platform team sets in
 * the admin config's stepPolicies.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_util.h"
#include "pu_kube.h"

/* A namespace pattern: DNS-1123 label characters and '*'. */
static int
valid_ns_pattern(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '*'))
			return 0;
	return i > 0 && i <= 63;
}

static const pu_strv_rule ns_rule = {
	"must be an array of namespace names or patterns (team-*)", valid_ns_pattern,
	"is not a namespace name or pattern (lower-case letters, digits, '-', '*')", 1, 0
};

static int
written_out(const char *field, char *err, size_t errlen)
{
	return pu_refuse_templated("config", field, err, errlen);
}

/* An optional string that null unsets and no template may give. */
static int
read_fixed(const inn_host *host, const inn_step *step, const char *field,
           const char **out, char *err, size_t errlen)
{
	int rc;

	if (host->input_type(step, field) == INN_VALUE_NULL)
		return 0;
	if ((rc = pu_read_string(host, step, field, out, err, errlen)) != 0)
		return rc;
	if (*out != NULL && pu_is_template(*out))
		return written_out(field, err, errlen);
	return 0;
}

void
pu_kube_step_free(pu_kube_step *c)
{
	free(c->allowed_ns);
	memset(c, 0, sizeof *c);
}

int
pu_kube_step_read(const inn_host *host, const inn_step *step, pu_kube_step *c,
                  char *err, size_t errlen)
{
	static const char ins[] = "insecure_skip_tls_verify";
	const char *s, *const *p;
	int rc, t;

	memset(c, 0, sizeof *c);
	if ((rc = read_fixed(host, step, "kubeconfig", &c->kubeconfig, err, errlen)) != 0 ||
	    (rc = read_fixed(host, step, "kubeconfig_secret", &c->kubeconfig_secret, err,
	                     errlen)) != 0 ||
	    (rc = read_fixed(host, step, "context", &c->context, err, errlen)) != 0)
		goto err;
	t = host->input_type(step, ins);
	if (t == INN_VALUE_STRING && host->input_string(step, ins, &s) == 0 &&
	    pu_is_template(s)) {
		rc = written_out(ins, err, errlen);
		goto err;
	}
	if (t != INN_VALUE_NULL &&
	    (rc = pu_read_bool(host, step, ins, 1, &c->insecure, err, errlen)) != 0)
		goto err;
	if (host->input_type(step, "allowed_namespaces") != INN_VALUE_ABSENT) {
		if ((rc = pu_read_strv(host, step, "allowed_namespaces", 0, &ns_rule,
		                       &c->allowed_ns, err, errlen)) != 0)
			goto err;
		for (p = c->allowed_ns; *p != NULL; p++)
			if (pu_is_template(*p)) {
				rc = written_out("allowed_namespaces", err, errlen);
				goto err;
			}
	}
	if (c->kubeconfig != NULL && c->kubeconfig_secret != NULL) {
		rc = pu_refuse(err, errlen, "config: kubeconfig and kubeconfig_secret are two "
		               "ways to name the cluster: give one");
		goto err;
	}
	return 0;
err:
	pu_kube_step_free(c);
	return rc;
}

int
pu_kube_step_open(const inn_host *host, inn_step *step, const pu_kube_step *c,
                  const pu_kube_opts *opts, pu_kube **out, char *err, size_t errlen)
{
	pu_kube_opts o;

	*out = NULL;
	if (opts != NULL)
		o = *opts;
	else
		memset(&o, 0, sizeof o);
	o.kubeconfig = c->kubeconfig;
	o.context = c->context;
	o.insecure = c->insecure;
	o.kubeconfig_yaml = NULL;
	if (c->kubeconfig_secret != NULL &&
	    host->secret(step, c->kubeconfig_secret, &o.kubeconfig_yaml) != 0) {
		pu_refuse(err, errlen, "config.kubeconfig_secret: secret \"%s\": %s",
		          c->kubeconfig_secret, host->last_error());
		return INN_ENOTFOUND;
	}
	return pu_kube_open(host, step, &o, out, err, errlen);
}

int
pu_kube_ns_allowed(const char *const *allowed, const pu_kube_res *r, const char *ns,
                   const char *name, char *err, size_t errlen)
{
	const char *const *p;
	int is_ns = strcmp(r->kind, "Namespace") == 0;
	const char *what = r->namespaced ? ns : name;

	if (allowed == NULL)
		return 0;
	if (!r->namespaced && !is_ns)
		return pu_refuse(err, errlen, "config.allowed_namespaces is set, and %.100s is "
		                 "cluster-scoped", r->kind);
	for (p = allowed; *p != NULL; p++)
		if (what != NULL && fnmatch(*p, what, 0) == 0)
			return 0;
	return pu_refuse(err, errlen, "namespace \"%.100s\" is not in "
	                 "config.allowed_namespaces", what != NULL ? what : "");
}
