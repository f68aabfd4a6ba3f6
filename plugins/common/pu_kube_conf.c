/*
 * pu_kube_conf.c - where pu_kube connects to: a kubeconfig (text, a
 * file, the first file of $KUBECONFIG, ~/.kube/config) read with the
 * YAML reader -- its context, cluster and user entries; file paths in it
 * relative to the kubeconfig's folder; *-data fields base64 PEM -- or
 * the in-cluster service account.  Credentials read here are registered
 * with the host's masker and never appear in a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_util.h"
#include "pu_kube_int.h"

#define KC_MAX_FILE (4u << 20)

int
pu_kube_read_file(const char *path, size_t max, char **out, size_t *outlen)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EISDIR;
		goto err;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto err;
	while (n < (size_t)st.st_size &&
	       (r = read(fd, buf + n, (size_t)st.st_size - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd);
	*out = buf;
	if (outlen != NULL)
		*outlen = n;
	return 0;
err:
	free(buf);
	close(fd);
	return -1;
}

int
pu_kube_b64decode(const char *in, char **out, size_t *outlen)
{
	size_t n = strlen(in), o = 0;
	unsigned int acc = 0;
	int bits = 0, pad = 0;
	char *buf;

	*out = NULL;
	if ((buf = malloc(n / 4 * 3 + 4)) == NULL)
		return -1;
	for (; *in != '\0'; in++) {
		int v;
		char ch = *in;

		if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
			continue;
		if (ch == '=') {
			pad++;
			continue;
		}
		if (pad)
			goto bad;
		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z')
			v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9')
			v = ch - '0' + 52;
		else if (ch == '+' || ch == '-')
			v = 62;
		else if (ch == '/' || ch == '_')
			v = 63;
		else
			goto bad;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (bits >= 6 || pad > 2)
		goto bad;
	buf[o] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = o;
	return 0;
bad:
	free(buf);
	return -1;
}

/* The entry named name in the list key ("clusters", "users", "contexts"):
 * its inner object (key's singular: "cluster", "user", "context"). */
static json_object *
named(json_object *cfg, const char *key, const char *inner, const char *name)
{
	json_object *list, *e, *v;
	size_t i, n;

	if (!json_object_object_get_ex(cfg, key, &list) ||
	    !json_object_is_type(list, json_type_array))
		return NULL;
	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(list, i);
		if (pu_kube_str(e, "name") != NULL && strcmp(pu_kube_str(e, "name"), name) == 0 &&
		    json_object_object_get_ex(e, inner, &v) &&
		    json_object_is_type(v, json_type_object))
			return v;
	}
	return NULL;
}

/* A path from the kubeconfig: absolute, or relative to dir (NULL: the
 * kubeconfig came as text, so relative paths are refused). */
static int
kc_path(const struct pu_kube *k, const char *dir, const char *field, const char *p,
        char **out, char *err, size_t errlen)
{
	char buf[PATH_MAX];
	int n;

	if (p[0] == '/' || (dir == NULL && p[0] == '\0'))
		n = snprintf(buf, sizeof buf, "%s", p);
	else if (dir == NULL)
		return pu_refuse(err, errlen, "%s: %s: relative path \"%s\" in a "
		                 "kubeconfig given as text (write an absolute path or "
		                 "the *-data field)", k->source, field, p);
	else
		n = snprintf(buf, sizeof buf, "%s/%s", dir, p);
	if (n < 0 || (size_t)n >= sizeof buf)
		return pu_refuse(err, errlen, "%s: %s: path too long", k->source, field);
	if ((*out = strdup(buf)) == NULL)
		return INN_ENOMEM;
	return 0;
}

/* field-data (base64 PEM) into *pem, else field (a path) into *file. */
static int
kc_pem(struct pu_kube *k, json_object *o, const char *dir, const char *field,
       char **file, char **pem, char *err, size_t errlen)
{
	char data_key[64];
	const char *v;

	snprintf(data_key, sizeof data_key, "%s-data", field);
	if ((v = pu_kube_str(o, data_key)) != NULL && *v != '\0') {
		if (pu_kube_b64decode(v, pem, NULL) != 0)
			return pu_refuse(err, errlen, "%s: %s is not base64", k->source,
			                 data_key);
		return 0;
	}
	if ((v = pu_kube_str(o, field)) != NULL && *v != '\0')
		return kc_path(k, dir, field, v, file, err, errlen);
	return 0;
}

static int
read_token(struct pu_kube *k, const char *path, char *err, size_t errlen)
{
	size_t n;

	if (pu_kube_read_file(path, KC_MAX_FILE, &k->token, &n) != 0)
		return pu_refuse(err, errlen, "%s: cannot read the token file %s: %s",
		                 k->source, path, strerror(errno));
	while (n > 0 && (k->token[n - 1] == '\n' || k->token[n - 1] == '\r' ||
	                 k->token[n - 1] == ' '))
		k->token[--n] = '\0';
	return 0;
}

/* The kubeconfig document cfg (from a file in dir, or text: dir NULL). */
static int
kc_apply(struct pu_kube *k, json_object *cfg, const char *dir, const char *want_ctx,
         char *err, size_t errlen)
{
	json_object *ctx, *cl, *user = NULL, *v;
	const char *cname, *clname, *uname, *s;
	size_t len = strlen(k->source);
	char *tf = NULL;
	int rc;

	if (!json_object_is_type(cfg, json_type_object))
		return pu_refuse(err, errlen, "%s: not a kubeconfig (no mapping)", k->source);
	cname = want_ctx != NULL ? want_ctx : pu_kube_str(cfg, "current-context");
	if (cname == NULL || *cname == '\0')
		return pu_refuse(err, errlen, "%s: no current-context (name a context "
		                 "with config.context)", k->source);
	snprintf(k->source + len, sizeof k->source - len, ", context \"%s\"", cname);
	if ((ctx = named(cfg, "contexts", "context", cname)) == NULL)
		return pu_refuse(err, errlen, "%s: no such context in the kubeconfig",
		                 k->source);
	if ((clname = pu_kube_str(ctx, "cluster")) == NULL ||
	    (cl = named(cfg, "clusters", "cluster", clname)) == NULL)
		return pu_refuse(err, errlen, "%s: its cluster \"%s\" is not in the "
		                 "kubeconfig", k->source, clname ? clname : "");
	if ((uname = pu_kube_str(ctx, "user")) != NULL && *uname != '\0' &&
	    (user = named(cfg, "users", "user", uname)) == NULL)
		return pu_refuse(err, errlen, "%s: its user \"%s\" is not in the "
		                 "kubeconfig", k->source, uname);
	if ((s = pu_kube_str(ctx, "namespace")) != NULL && *s != '\0' &&
	    (k->ns = strdup(s)) == NULL)
		return INN_ENOMEM;
	if ((s = pu_kube_str(cl, "server")) == NULL || *s == '\0')
		return pu_refuse(err, errlen, "%s: cluster \"%s\" has no server",
		                 k->source, clname);
	if ((k->server = strdup(s)) == NULL)
		return INN_ENOMEM;
	/* a boolean only (kubectl refuses "false" quoted; json-c would read
	 * any non-empty string as true) */
	if (json_object_object_get_ex(cl, "insecure-skip-tls-verify", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_boolean))
			return pu_refuse(err, errlen, "%s: cluster \"%s\": "
			                 "insecure-skip-tls-verify must be true or false",
			                 k->source, clname);
		k->insecure = json_object_get_boolean(v);
	}
	if ((rc = kc_pem(k, cl, dir, "certificate-authority", &k->ca_file, &k->ca_pem,
	                 err, errlen)) != 0 || user == NULL)
		return rc;
	if (json_object_object_get_ex(user, "exec", NULL) ||
	    json_object_object_get_ex(user, "auth-provider", NULL))
		return pu_refuse(err, errlen, "%s: user \"%s\" gets its credentials from "
		                 "an exec or auth-provider plugin, which innominatus does "
		                 "not run: give it a token, tokenFile or client "
		                 "certificate", k->source, uname);
	if ((rc = kc_pem(k, user, dir, "client-certificate", &k->cert_file, &k->cert_pem,
	                 err, errlen)) != 0 ||
	    (rc = kc_pem(k, user, dir, "client-key", &k->key_file, &k->key_pem,
	                 err, errlen)) != 0)
		return rc;
	if ((s = pu_kube_str(user, "token")) != NULL && *s != '\0') {
		if ((k->token = strdup(s)) == NULL)
			return INN_ENOMEM;
	} else if ((s = pu_kube_str(user, "tokenFile")) != NULL && *s != '\0') {
		if ((rc = kc_path(k, dir, "tokenFile", s, &tf, err, errlen)) != 0)
			return rc;
		rc = read_token(k, tf, err, errlen);
		free(tf);
		if (rc != 0)
			return rc;
	}
	if (pu_kube_str(user, "username") != NULL && pu_kube_str(user, "password") != NULL) {
		size_t n = strlen(pu_kube_str(user, "username")) + strlen(pu_kube_str(user, "password")) + 2;

		if ((k->userpwd = malloc(n)) == NULL)
			return INN_ENOMEM;
		snprintf(k->userpwd, n, "%s:%s", pu_kube_str(user, "username"),
		         pu_kube_str(user, "password"));
		k->host->mask(k->step, pu_kube_str(user, "password"));
	}
	return 0;
}

/* The in-cluster service account. */
static int
incluster(struct pu_kube *k, char *err, size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = getenv("INN_TEST_KUBE_SA_DIR");   /* tests only */
	char path[PATH_MAX], url[512];
	size_t n;
	int rc;

	if (dir == NULL || *dir == '\0')
		dir = PU_KUBE_SA_DIR;
	snprintf(k->source, sizeof k->source, "in-cluster service account (%.400s)", dir);
	if (port == NULL || *port == '\0')
		port = "443";
	snprintf(url, sizeof url, strchr(host, ':') != NULL ? "https://[%s]:%s" :
	         "https://%s:%s", host, port);
	if ((k->server = strdup(url)) == NULL)
		return INN_ENOMEM;
	snprintf(path, sizeof path, "%s/token", dir);
	if ((rc = read_token(k, path, err, errlen)) != 0)
		return rc;
	snprintf(path, sizeof path, "%s/ca.crt", dir);
	if (access(path, R_OK) == 0 && (k->ca_file = strdup(path)) == NULL)
		return INN_ENOMEM;
	snprintf(path, sizeof path, "%s/namespace", dir);
	if (pu_kube_read_file(path, KC_MAX_FILE, &k->ns, &n) == 0)
		while (n > 0 && (k->ns[n - 1] == '\n' || k->ns[n - 1] == ' '))
			k->ns[--n] = '\0';
	return 0;
}

/* Which kubeconfig file: opts, else the first existing file of
 * $KUBECONFIG, else ~/.kube/config; *path empty when none. */
static void
pick_file(const pu_kube_opts *opts, char *path, size_t len)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME"), *p, *e;

	path[0] = '\0';
	if (opts->kubeconfig != NULL && *opts->kubeconfig != '\0') {
		snprintf(path, len, "%s", opts->kubeconfig);
		return;
	}
	for (p = env; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		if (e > p && (size_t)(e - p) < len) {
			snprintf(path, len, "%.*s", (int)(e - p), p);
			if (access(path, R_OK) == 0)
				return;
		}
		path[0] = '\0';
	}
	if (home != NULL && *home != '\0') {
		snprintf(path, len, "%s/.kube/config", home);
		if (access(path, R_OK) == 0)
			return;
	}
	path[0] = '\0';
}

int
pk_conf_load(struct pu_kube *k, const pu_kube_opts *opts, char *err, size_t errlen)
{
	char path[PATH_MAX], dir[PATH_MAX], *text = NULL, *slash;
	json_object *docs = NULL;
	size_t len;
	int rc;

	if (opts->kubeconfig_yaml != NULL) {
		snprintf(k->source, sizeof k->source, "kubeconfig (text)");
		rc = pu_kube_yaml_parse(opts->kubeconfig_yaml, strlen(opts->kubeconfig_yaml),
		                        &docs, err, errlen);
		dir[0] = '\0';
	} else {
		pick_file(opts, path, sizeof path);
		if (path[0] == '\0') {
			const char *h = getenv("KUBERNETES_SERVICE_HOST");

			if (h != NULL && *h != '\0')
				return incluster(k, err, errlen);
			snprintf(err, errlen, "no kubeconfig: set config.kubeconfig, "
			         "$KUBECONFIG or ~/.kube/config, or run inside a cluster");
			return INN_ENOTFOUND;
		}
		snprintf(k->source, sizeof k->source, "kubeconfig %.440s", path);
		if (pu_kube_read_file(path, KC_MAX_FILE, &text, &len) != 0) {
			snprintf(err, errlen, "%s: cannot read it: %s", k->source,
			         strerror(errno));
			return errno == ENOENT ? INN_ENOTFOUND : INN_EINVAL;
		}
		snprintf(dir, sizeof dir, "%s", path);
		if ((slash = strrchr(dir, '/')) != NULL)
			slash == dir ? (void)(dir[1] = '\0') : (void)(*slash = '\0');
		else
			snprintf(dir, sizeof dir, ".");
		rc = pu_kube_yaml_parse(text, len, &docs, err, errlen);
		free(text);
	}
	if (rc != 0) {
		if (rc == INN_EINVAL) {
			char why[256];

			snprintf(why, sizeof why, "%s", err);
			snprintf(err, errlen, "%s: bad YAML: %s", k->source, why);
		}
		return rc;
	}
	if (json_object_array_length(docs) != 1)
		rc = pu_refuse(err, errlen, "%s: not a kubeconfig (%zu YAML documents)",
		               k->source, json_object_array_length(docs));
	else
		rc = kc_apply(k, json_object_array_get_idx(docs, 0),
		              dir[0] ? dir : NULL, opts->context, err, errlen);
	json_object_put(docs);
	return rc;
}
