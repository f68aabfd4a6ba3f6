/*
 * vault_config.c - reads and checks a vault-setup step's config: the
 * connection (address, token_secret -- never a token --, namespace, TLS,
 * timeout), the KV mount, the actions (one `operation` with its keys at
 * the top, or a list under `operations`, or the original's `secrets:`
 * list of names to generate) and the Vault Secrets Operator objects.
 * The config arrives as JSON (host->input_json) and is walked with json-c;
 * every refusal names the field.  At load (rendered == 0) a value that
 * still holds a template is accepted as it is.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_util.h"
#include "vault_int.h"

const char *const vs_op_names[] = {
	"write", "read", "patch", "generate-password", "policy", "approle", "delete", NULL
};

/* The keys each operation takes (besides `operation`); the first is
 * required, except where noted in read_action. */
static const char *const op_keys[][10] = {
	[VS_OP_WRITE] = { "path", "data", NULL },
	[VS_OP_READ] = { "path", "keys", NULL },
	[VS_OP_PATCH] = { "path", "data", NULL },
	[VS_OP_GENPW] = { "path", "key", "length", "charset", "classes", "rotate", NULL },
	[VS_OP_POLICY] = { "name", "policy", "paths", NULL },
	[VS_OP_APPROLE] = { "name", "token_policies", "ttl", "max_ttl", "secret_id",
	                    "enable_auth", NULL },
	[VS_OP_DELETE] = { "path", NULL },
};

/* The connection keys of the top level. */
static const char *const conn_keys[] = {
	"address", "token_secret", "namespace", "ca_file", "insecure_skip_tls_verify",
	"timeout", "mount", "enable_mount", "operations", "operation", "vso", "secrets", NULL
};

static const char *const vso_keys[] = {
	"kubeconfig", "kubeconfig_secret", "context", "namespace", "service_account", "role", "auth_mount",
	"destination", "path", "refresh_after", "name", NULL
};

static const char *const capabilities[] = {
	"create", "read", "update", "patch", "delete", "list", "sudo", "deny", "subscribe", NULL
};

const char *const vs_own_outputs[] = {
	"path", "version", "mount", "address", "policy", "role_id", "secret_id", "vso_auth",
	"vso_secret", NULL
};

int
vs_in_list(const char *const *list, const char *s)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static void
join_list(char *buf, size_t len, const char *const *a, const char *const *b)
{
	size_t i, at = 0;
	const char *const *l[2] = { a, b };
	int k, n;

	buf[0] = '\0';
	for (k = 0; k < 2; k++)
		for (i = 0; l[k] != NULL && l[k][i] != NULL && at < len; i++) {
			n = snprintf(buf + at, len - at, "%s%s", at ? ", " : "", l[k][i]);
			if (n < 0)
				return;
			at += (size_t)n;
		}
}

int
vs_valid_kv_path(const char *s)
{
	const char *p = s, *seg = s;

	if (*s == '\0' || strlen(s) > VS_PATH_MAX)
		return 0;
	for (;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - seg);

			if (n == 0 || (n == 1 && seg[0] == '.') ||
			    (n == 2 && seg[0] == '.' && seg[1] == '.'))
				return 0;
			if (*p == '\0')
				return 1;
			seg = p + 1;
			continue;
		}
		if (!isalnum((unsigned char)*p) && strchr("_.@-", *p) == NULL)
			return 0;
	}
}

/* A Kubernetes object name (RFC 1123 label, at most 63). */
static int
valid_k8s_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

int
vs_valid_name(const char *s)
{
	return *s != '\0' && strlen(s) <= 128 && strcmp(s, ".") != 0 &&
	       strcmp(s, "..") != 0 && pu_chars_ok(s, "-.");
}


static int
get_str(json_object *o, const char *k, const char *where, const char **out, char *err,
        size_t errlen)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return pu_refuse(err, errlen, "%s.%s: must be a string", where, k);
	*out = json_object_get_string(v);
	return 0;
}

static int
get_bool(json_object *o, const char *k, const char *where, int rendered, int *out,
         char *err, size_t errlen)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_boolean(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
			*out = s[0] == 't';
			return 0;
		}
		if (!rendered && pu_is_template(s))
			return 0;
	}
	return pu_refuse(err, errlen, "%s.%s: must be true or false", where, k);
}

/* A string that must be written out: where the token goes (address),
 * what vouches for the server (ca_file), which cluster (kubeconfig) are
 * never taken from a parameter. */
static int
get_literal(json_object *o, const char *k, const char *where, const char **out, char *err,
            size_t errlen)
{
	int rc;

	if ((rc = get_str(o, k, where, out, err, errlen)) != 0 || *out == NULL)
		return rc;
	return pu_refuse_template(where, k, *out, err, errlen);
}

/* A boolean that must be written out (insecure_skip_tls_verify). */
static int
get_literal_bool(json_object *o, const char *k, const char *where, int *out, char *err,
                 size_t errlen)
{
	json_object *v;

	if (json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) &&
	    pu_refuse_template(where, k, json_object_get_string(v), err, errlen) != 0)
		return INN_EINVAL;
	return get_bool(o, k, where, 1, out, err, errlen);
}

/* A string that must pass check once rendered. */
static int
get_checked(json_object *o, const char *k, const char *where, int rendered,
            int (*check)(const char *), const char *what, const char **out, char *err,
            size_t errlen)
{
	int rc;

	if ((rc = get_str(o, k, where, out, err, errlen)) != 0 || *out == NULL)
		return rc;
	if ((rendered || !pu_is_template(*out)) && !check(*out))
		return pu_refuse(err, errlen, "%s.%s: \"%.80s\" %s", where, k, *out, what);
	return 0;
}

/* Refuses keys of o outside allowed (and extra, may be NULL). */
static int
known_keys(json_object *o, const char *where, const char *const *allowed,
           const char *const *extra, const char *what, char *err, size_t errlen)
{
	char known[512];

	json_object_object_foreach(o, k, v) {
		(void)v;
		if (vs_in_list(allowed, k) || (extra != NULL && vs_in_list(extra, k)))
			continue;
		join_list(known, sizeof(known), extra, allowed);
		return pu_refuse(err, errlen, "%s: unknown field \"%.60s\"%s%s (known: %s)",
		                 where, k, what ? " for " : "", what ? what : "", known);
	}
	return 0;
}

static int
valid_ttl(const char *s)
{
	int64_t ms;

	return pu_parse_duration_ms(s, &ms) == 0;
}

/* An array of strings, each passing check (NULL: any). */
static int
get_strings(json_object *o, const char *k, const char *where, int rendered,
            int (*check)(const char *), json_object **out, char *err, size_t errlen)
{
	json_object *v, *e;
	size_t i, n;
	const char *s;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return pu_refuse(err, errlen, "%s.%s: must be a list of strings", where, k);
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string))
			return pu_refuse(err, errlen, "%s.%s.%zu: must be a string", where, k, i);
		s = json_object_get_string(e);
		if (check != NULL && (rendered || !pu_is_template(s)) && !check(s))
			return pu_refuse(err, errlen, "%s.%s.%zu: \"%.80s\" is not a valid name",
			                 where, k, i, s);
	}
	*out = v;
	return 0;
}

/* A policy path may not break out of its HCL string. */
static int
valid_policy_path(const char *s)
{
	const unsigned char *p;

	if (*s == '\0' || strlen(s) > VS_PATH_MAX)
		return 0;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\' || *p == '$' || *p == '%')
			return 0;
	return 1;
}

/* One policy path and its capabilities, described at where (with the
 * path for a map key).  key: the path is a map key, which the engine
 * never renders, so a template there is refused at any time. */
static int
check_policy_rule(const char *where, const char *path, json_object *caps, int key,
                  int rendered, char *err, size_t errlen)
{
	json_object *e;
	size_t i;

	if (key && pu_is_template(path))
		return pu_refuse(err, errlen, "%s: \"%.80s\": a map key is never rendered; "
		                 "for a path from a parameter use the list form [{path: ..., "
		                 "capabilities: [...]}]", where, path);
	if ((rendered || !pu_is_template(path)) && !valid_policy_path(path)) {
		int n = 0;

		/* shown up to the first control character: one line */
		while (n < 80 && (unsigned char)path[n] >= 0x20 && path[n] != 0x7f)
			n++;
		return pu_refuse(err, errlen, "%s: \"%.*s%s\" is not a policy path "
		                 "(no quotes, backslashes, $, %% or control characters)",
		                 where, n, path, path[n] != '\0' ? "..." : "");
	}
	if (!json_object_is_type(caps, json_type_array) ||
	    json_object_array_length(caps) == 0)
		return pu_refuse(err, errlen, "%s.%.80s: must be a list of capabilities", where,
		                 key ? path : "capabilities");
	for (i = 0; i < json_object_array_length(caps); i++) {
		e = json_object_array_get_idx(caps, i);
		if (!json_object_is_type(e, json_type_string) ||
		    !vs_in_list(capabilities, json_object_get_string(e))) {
			char known[200];

			join_list(known, sizeof(known), capabilities, NULL);
			return pu_refuse(err, errlen, "%s.%.80s.%zu: \"%.40s\" is not a "
			                 "capability (one of: %s)", where, key ? path :
			                 "capabilities", i, json_object_get_string(e), known);
		}
	}
	return 0;
}

/* config paths: {path: [capabilities]} (written-out paths), or a list of
 * {path, capabilities} whose paths may come from parameters (checked once
 * rendered: they cannot leave their HCL string). */
static int
read_policy_paths(json_object *a, const char *where, int rendered, json_object **out,
                  char *err, size_t errlen)
{
	static const char *const rule_keys[] = { "path", "capabilities", NULL };
	json_object *v, *e, *path, *caps;
	char w[80];
	size_t i, n;
	int rc;

	if (!json_object_object_get_ex(a, "paths", &v) || v == NULL)
		return 0;
	snprintf(w, sizeof(w), "%s.paths", where);
	if (json_object_is_type(v, json_type_object) && json_object_object_length(v) > 0) {
		json_object_object_foreach(v, k, c) {
			if ((rc = check_policy_rule(w, k, c, 1, rendered, err, errlen)) != 0)
				return rc;
		}
		*out = v;
		return 0;
	}
	if (!json_object_is_type(v, json_type_array) || (n = json_object_array_length(v)) == 0)
		return pu_refuse(err, errlen, "%s: must be a map of Vault path -> "
		                 "[capabilities], or a list of {path, capabilities}", w);
	for (i = 0; i < n; i++) {
		snprintf(w, sizeof(w), "%s.paths.%zu", where, i);
		e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_object) ||
		    !json_object_object_get_ex(e, "path", &path) ||
		    !json_object_is_type(path, json_type_string) ||
		    !json_object_object_get_ex(e, "capabilities", &caps))
			return pu_refuse(err, errlen, "%s: must be {path: ..., capabilities: "
			                 "[...]}", w);
		if ((rc = known_keys(e, w, rule_keys, NULL, NULL, err, errlen)) != 0 ||
		    (rc = check_policy_rule(w, json_object_get_string(path), caps, 0, rendered,
		                            err, errlen)) != 0)
			return rc;
	}
	*out = v;
	return 0;
}

static int
read_classes(json_object *a, const char *where, unsigned *out, char *err, size_t errlen)
{
	static const char *const names[] = { "lower", "upper", "digits", "symbols", NULL };
	json_object *v, *e;
	size_t i, j;

	if (!json_object_object_get_ex(a, "classes", &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
		return pu_refuse(err, errlen, "%s.classes: must be a list of lower, upper, "
		                 "digits, symbols", where);
	for (i = 0; i < json_object_array_length(v); i++) {
		e = json_object_array_get_idx(v, i);
		for (j = 0; names[j] != NULL; j++)
			if (json_object_is_type(e, json_type_string) &&
			    strcmp(json_object_get_string(e), names[j]) == 0)
				break;
		if (names[j] == NULL)
			return pu_refuse(err, errlen, "%s.classes.%zu: \"%.40s\" is not one of "
			                 "lower, upper, digits, symbols", where, i,
			                 json_object_get_string(e));
		*out |= 1u << j;
	}
	return 0;
}

static int
read_length(json_object *a, const char *where, int rendered, int64_t *out, char *err,
            size_t errlen)
{
	json_object *v;
	const char *s;
	char *end;
	long long n;

	*out = VS_PW_DEFAULT;
	if (!json_object_object_get_ex(a, "length", &v) || v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		n = json_object_get_int64(v);
	} else if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (!rendered && pu_is_template(s))
			return 0;
		n = strtoll(s, &end, 10);
		if (*s == '\0' || *end != '\0')
			n = -1;
	} else {
		n = -1;
	}
	if (n < VS_PW_MIN || n > VS_PW_MAX)
		return pu_refuse(err, errlen, "%s.length: must be a whole number from %d to %d",
		                 where, VS_PW_MIN, VS_PW_MAX);
	*out = n;
	return 0;
}

static int
path_ok(const char *s)
{
	return vs_valid_kv_path(s);
}

/* The data of a write or patch: a non-empty object with non-empty keys. */
static int
read_data(json_object *a, const char *where, json_object **out, char *err, size_t errlen)
{
	json_object *v;

	if (!json_object_object_get_ex(a, "data", &v) || v == NULL ||
	    !json_object_is_type(v, json_type_object) || json_object_object_length(v) == 0)
		return pu_refuse(err, errlen, "%s.data: must be a map of key: value "
		                 "(at least one)", where);
	json_object_object_foreach(v, k, val) {
		(void)val;
		if (*k == '\0' || strlen(k) > 256)
			return pu_refuse(err, errlen, "%s.data: a key must be 1 to 256 bytes", where);
	}
	*out = v;
	return 0;
}

/*
 * Reads one action from a (the config root when root is set: the other
 * top-level keys were checked there) described at where.
 */
static int
read_action(json_object *a, const char *where, int root, int rendered, struct vs_action *x,
            char *err, size_t errlen)
{
	const char *op = NULL;
	int rc, i;

	memset(x, 0, sizeof(*x));
	snprintf(x->where, sizeof(x->where), "%s", where);
	if ((rc = get_str(a, "operation", where, &op, err, errlen)) != 0)
		return rc;
	if (op == NULL)
		return pu_refuse(err, errlen, "%s.operation: missing (one of: write, read, "
		                 "patch, generate-password, policy, approle, delete)", where);
	for (i = 0; vs_op_names[i] != NULL; i++)
		if (strcmp(vs_op_names[i], op) == 0)
			break;
	if (vs_op_names[i] == NULL)
		return pu_refuse(err, errlen, "%s.operation: \"%.40s\" is not one of write, "
		                 "read, patch, generate-password, policy, approle, delete%s", where,
		                 op, pu_is_template(op) ? " (it must be written out)" : "");
	x->op = i;
	if (!root) {
		static const char *const opkey[] = { "operation", NULL };

		if ((rc = known_keys(a, where, op_keys[i], opkey, op, err, errlen)) != 0)
			return rc;
	}
	x->length = VS_PW_DEFAULT;
	switch (x->op) {
	case VS_OP_WRITE:
	case VS_OP_PATCH:
		if ((rc = read_data(a, where, &x->data, err, errlen)) != 0)
			return rc;
		break;
	case VS_OP_READ:
		if ((rc = get_strings(a, "keys", where, rendered, vs_valid_name, &x->keys,
		                      err, errlen)) != 0)
			return rc;
		for (i = 0; x->keys != NULL && i < (int)json_object_array_length(x->keys); i++) {
			const char *k = json_object_get_string(json_object_array_get_idx(x->keys,
			                                                                 (size_t)i));

			if (vs_in_list(vs_own_outputs, k))
				return pu_refuse(err, errlen, "%s.keys.%d: \"%s\" is a name of the "
				                 "step's own outputs (path, version, mount, address, "
				                 "policy, role_id, secret_id, vso_auth, vso_secret); a "
				                 "key of that name cannot be read into an output", where,
				                 i, k);
		}
		break;
	case VS_OP_GENPW:
		if ((rc = get_checked(a, "key", where, rendered, vs_valid_name,
		                      "is not a valid key name", &x->key, err, errlen)) != 0 ||
		    (rc = read_length(a, where, rendered, &x->length, err, errlen)) != 0 ||
		    (rc = get_str(a, "charset", where, &x->charset, err, errlen)) != 0 ||
		    (rc = read_classes(a, where, &x->classes, err, errlen)) != 0 ||
		    (rc = get_bool(a, "rotate", where, rendered, &x->rotate, err, errlen)) != 0)
			return rc;
		if (x->key == NULL)
			return pu_refuse(err, errlen, "%s.key: missing (the key the password "
			                 "is stored under)", where);
		if (x->charset != NULL && x->classes != 0)
			return pu_refuse(err, errlen, "%s: set charset or classes, not both", where);
		if (x->charset != NULL && (rendered || !pu_is_template(x->charset))) {
			char alpha[256];

			if (vs_alphabet(x->charset, 0, alpha, err, errlen) < 0)
				return INN_EINVAL;
		}
		break;
	case VS_OP_POLICY:
		if ((rc = get_checked(a, "name", where, rendered, vs_valid_name,
		                      "is not a valid policy name", &x->name, err, errlen)) != 0 ||
		    (rc = get_str(a, "policy", where, &x->policy, err, errlen)) != 0 ||
		    (rc = read_policy_paths(a, where, rendered, &x->paths, err, errlen)) != 0)
			return rc;
		if (x->name == NULL)
			return pu_refuse(err, errlen, "%s.name: missing (the policy's name)", where);
		if ((x->policy == NULL) == (x->paths == NULL))
			return pu_refuse(err, errlen, "%s: set policy (HCL text) or paths "
			                 "({path: [capabilities]}), one of them", where);
		if (x->policy != NULL && *x->policy == '\0')
			return pu_refuse(err, errlen, "%s.policy: empty", where);
		/* a value rendered into HCL text can close its string and add
		 * rules; nothing here knows where in the HCL it lands */
		if (x->policy != NULL && pu_is_template(x->policy))
			return pu_refuse(err, errlen, "%s.policy: HCL text must be written out, "
			                 "not a template (a value could close its string and add "
			                 "rules); for a path from a parameter use paths: [{path: "
			                 "..., capabilities: [...]}], whose paths are checked", where);
		break;
	case VS_OP_APPROLE:
		if ((rc = get_checked(a, "name", where, rendered, vs_valid_name,
		                      "is not a valid role name", &x->name, err, errlen)) != 0 ||
		    (rc = get_strings(a, "token_policies", where, rendered, vs_valid_name,
		                      &x->token_policies, err, errlen)) != 0 ||
		    (rc = get_checked(a, "ttl", where, rendered, valid_ttl,
		                      "is not a duration (30m, 1h, 24h)", &x->ttl, err,
		                      errlen)) != 0 ||
		    (rc = get_checked(a, "max_ttl", where, rendered, valid_ttl,
		                      "is not a duration (30m, 1h, 24h)", &x->max_ttl, err,
		                      errlen)) != 0 ||
		    (rc = get_bool(a, "secret_id", where, rendered, &x->secret_id, err,
		                   errlen)) != 0 ||
		    (rc = get_bool(a, "enable_auth", where, rendered, &x->enable_auth, err,
		                   errlen)) != 0)
			return rc;
		if (x->name == NULL)
			return pu_refuse(err, errlen, "%s.name: missing (the AppRole role's name)",
			                 where);
		break;
	default:
		break;
	}
	if (x->op != VS_OP_POLICY && x->op != VS_OP_APPROLE) {
		if ((rc = get_checked(a, "path", where, rendered, path_ok, "is not a KV path "
		                      "(segments of letters, digits, _ . @ -; no . or .. "
		                      "segment, no leading /)", &x->path, err, errlen)) != 0)
			return rc;
		if (x->path == NULL)
			return pu_refuse(err, errlen, "%s.path: missing (the secret's path below "
			                 "the mount)", where);
	}
	return 0;
}

int
vs_normalise_address(const char *in, char *out, size_t len, char *err, size_t errlen)
{
	const char *scheme = "https", *host = in, *end, *colon;
	int n;

	if (strncmp(in, "https://", 8) == 0) {
		host = in + 8;
	} else if (strncmp(in, "http://", 7) == 0) {
		scheme = "http";
		host = in + 7;
	} else if (strstr(in, "://") != NULL) {
		return pu_refuse(err, errlen, "config.address: \"%.80s\": only http:// and "
		                 "https:// are spoken", in);
	}
	if (*host == '\0' || strpbrk(in, "@?# \t\r\n\"\\") != NULL)
		return pu_refuse(err, errlen, "config.address: \"%.80s\" is not a Vault address "
		                 "(https://host[:port]; no credentials, query or spaces)", in);
	end = host + strcspn(host, "/");
	colon = host[0] == '[' ? strchr(host, ']') : host;
	colon = colon != NULL ? memchr(colon, ':', (size_t)(end - colon)) : NULL;
	if (colon != NULL)
		n = snprintf(out, len, "%s://%s", scheme, host);
	else
		n = snprintf(out, len, "%s://%.*s:8200%s", scheme, (int)(end - host), host, end);
	if (n < 0 || (size_t)n >= len)
		return pu_refuse(err, errlen, "config.address: too long");
	/* no trailing slash: paths are appended */
	while ((n = (int)strlen(out)) > 0 && out[n - 1] == '/')
		out[n - 1] = '\0';
	return 0;
}

static int
valid_ns(const char *s)
{
	return *s != '\0' && strlen(s) <= 256 && pu_chars_ok(s, "-./") && !pu_has_dotdot(s);
}

static int
valid_secret_name(const char *s)
{
	return pu_valid_name(s, "-.", 128);
}

static int
read_vso(json_object *root, int rendered, struct vs_vso *v, char *err, size_t errlen)
{
	json_object *o;
	const char *w = "config.vso";
	int rc;

	memset(v, 0, sizeof(*v));
	if (!json_object_object_get_ex(root, "vso", &o) || o == NULL)
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return pu_refuse(err, errlen, "config.vso: must be a map (namespace, role, "
		                 "destination, ...)");
	if ((rc = known_keys(o, w, vso_keys, NULL, NULL, err, errlen)) != 0)
		return rc;
	v->set = 1;
	v->service_account = "default";
	v->auth_mount = "kubernetes";
	v->refresh_after = "60s";
	if ((rc = get_literal(o, "kubeconfig", w, &v->kubeconfig, err, errlen)) != 0 ||
	    (rc = get_checked(o, "kubeconfig_secret", w, rendered, valid_secret_name,
	                      "is not a secret name", &v->kubeconfig_secret, err, errlen)) != 0 ||
	    (rc = get_literal(o, "context", w, &v->context, err, errlen)) != 0 ||
	    (rc = get_checked(o, "namespace", w, rendered, valid_k8s_name,
	                      "is not a Kubernetes namespace name", &v->namespace, err,
	                      errlen)) != 0 ||
	    (rc = get_checked(o, "service_account", w, rendered, valid_k8s_name,
	                      "is not a service account name", &v->service_account, err,
	                      errlen)) != 0 ||
	    (rc = get_checked(o, "role", w, rendered, vs_valid_name,
	                      "is not a Vault role name", &v->role, err, errlen)) != 0 ||
	    (rc = get_checked(o, "auth_mount", w, rendered, path_ok, "is not a mount path",
	                      &v->auth_mount, err, errlen)) != 0 ||
	    (rc = get_checked(o, "destination", w, rendered, valid_k8s_name,
	                      "is not a Kubernetes Secret name", &v->destination, err,
	                      errlen)) != 0 ||
	    (rc = get_checked(o, "path", w, rendered, path_ok, "is not a KV path", &v->path,
	                      err, errlen)) != 0 ||
	    (rc = get_checked(o, "refresh_after", w, rendered, valid_ttl,
	                      "is not a duration (30s, 5m, 1h)", &v->refresh_after, err,
	                      errlen)) != 0 ||
	    (rc = get_checked(o, "name", w, rendered, valid_k8s_name,
	                      "is not a Kubernetes object name", &v->name, err, errlen)) != 0)
		return rc;
	if (v->namespace == NULL || v->role == NULL || v->destination == NULL)
		return pu_refuse(err, errlen, "config.vso: namespace, role and "
		                 "destination are required");
	if (v->name == NULL)
		v->name = v->destination;
	return 0;
}

/* The original's `secrets: [names]` with `path`: one generated password
 * per name at path. */
static int
read_compat_secrets(json_object *root, int rendered, struct vs_config *c, char *err,
                    size_t errlen)
{
	json_object *names = NULL;
	const char *path = NULL;
	size_t i, n;
	int rc;

	if ((rc = get_strings(root, "secrets", "config", rendered, vs_valid_name, &names,
	                      err, errlen)) != 0)
		return rc;
	if ((rc = get_checked(root, "path", "config", rendered, path_ok, "is not a KV path",
	                      &path, err, errlen)) != 0)
		return rc;
	if (path == NULL)
		return pu_refuse(err, errlen, "config.path: missing (where config.secrets are "
		                 "generated, below the mount)");
	n = json_object_array_length(names);
	if (n == 0 || n > VS_ACTIONS_MAX)
		return pu_refuse(err, errlen, "config.secrets: 1 to %d names", VS_ACTIONS_MAX);
	if ((c->actions = calloc(n, sizeof(*c->actions))) == NULL)
		return pu_refuse(err, errlen, "out of memory");
	for (i = 0; i < n; i++) {
		struct vs_action *a = &c->actions[i];

		a->op = VS_OP_GENPW;
		snprintf(a->where, sizeof(a->where), "config.secrets.%zu", i);
		a->path = path;
		a->key = json_object_get_string(json_object_array_get_idx(names, i));
		a->length = VS_PW_DEFAULT;
	}
	c->nactions = n;
	return 0;
}

static int
read_actions(json_object *root, int rendered, struct vs_config *c, char *err, size_t errlen)
{
	json_object *ops = NULL, *e, *x;
	size_t i, n;
	int rc;

	json_object_object_get_ex(root, "operations", &ops);
	if (json_object_object_get_ex(root, "secrets", &x)) {
		if (ops != NULL || json_object_object_get_ex(root, "operation", NULL))
			return pu_refuse(err, errlen, "config.secrets: the original's list of "
			                 "generated secrets goes without operation/operations");
		return read_compat_secrets(root, rendered, c, err, errlen);
	}
	if (ops == NULL) {
		if (!json_object_object_get_ex(root, "operation", NULL)) {
			if (c->vso.set)
				return 0;
			return pu_refuse(err, errlen, "config: nothing to do: set operation (with "
			                 "its keys) or operations (a list of them)");
		}
		if ((c->actions = calloc(1, sizeof(*c->actions))) == NULL)
			return pu_refuse(err, errlen, "out of memory");
		c->nactions = 1;
		return read_action(root, "config", 1, rendered, &c->actions[0], err, errlen);
	}
	if (json_object_object_get_ex(root, "operation", NULL))
		return pu_refuse(err, errlen, "config: set operation or operations, not both");
	if (!json_object_is_type(ops, json_type_array) ||
	    (n = json_object_array_length(ops)) == 0 || n > VS_ACTIONS_MAX)
		return pu_refuse(err, errlen, "config.operations: must be a list of 1 to %d "
		                 "actions ({operation: write, path: ..., data: ...})",
		                 VS_ACTIONS_MAX);
	if ((c->actions = calloc(n, sizeof(*c->actions))) == NULL)
		return pu_refuse(err, errlen, "out of memory");
	for (i = 0; i < n; i++) {
		char where[48];

		snprintf(where, sizeof(where), "config.operations.%zu", i);
		e = json_object_array_get_idx(ops, i);
		if (!json_object_is_type(e, json_type_object))
			return pu_refuse(err, errlen, "%s: must be a map with an operation", where);
		c->nactions = i + 1;
		if ((rc = read_action(e, where, 0, rendered, &c->actions[i], err, errlen)) != 0)
			return rc;
	}
	return 0;
}

/* The top level's keys: the connection keys, and in the one-operation
 * form that operation's keys; `token` and the original's `policies` get
 * a message of their own. */
static int
check_top_keys(json_object *root, char *err, size_t errlen)
{
	json_object *op;
	const char *const *extra = NULL;
	const char *name = NULL;
	static const char *const compat[] = { "path", NULL };
	size_t i;

	if (json_object_object_get_ex(root, "token", NULL))
		return pu_refuse(err, errlen, "config.token: a Vault token is never written in "
		                 "a workflow; store it as a secret of the server and name it with "
		                 "token_secret (e.g. token_secret: vault-token)");
	if (json_object_object_get_ex(root, "policies", NULL))
		return pu_refuse(err, errlen, "config.policies: not supported (the original only "
		                 "slept); write an action {operation: policy, name: ..., paths: "
		                 "{\"secret/data/app/*\": [read]}}");
	if (json_object_object_get_ex(root, "operation", &op) &&
	    json_object_is_type(op, json_type_string)) {
		name = json_object_get_string(op);
		for (i = 0; vs_op_names[i] != NULL; i++)
			if (strcmp(vs_op_names[i], name) == 0)
				extra = op_keys[i];
	} else if (json_object_object_get_ex(root, "secrets", NULL)) {
		extra = compat;
	}
	return known_keys(root, "config", conn_keys, extra, name, err, errlen);
}

int
vs_config_read(const inn_host *host, const inn_step *step, int rendered,
               struct vs_config *c, char *err, size_t errlen)
{
	char *text = NULL;
	const char *addr = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	c->mount = "secret";
	if (host->input_json(step, "", &text) != 0 || text == NULL) {
		rc = pu_refuse(err, errlen, "config: missing (address, token_secret and an "
		               "operation are needed)");
		goto err;
	}
	c->root = json_tokener_parse(text);
	host->free(text);
	if (c->root == NULL || !json_object_is_type(c->root, json_type_object)) {
		rc = pu_refuse(err, errlen, "config: must be a map");
		goto err;
	}
	if ((rc = check_top_keys(c->root, err, errlen)) != 0 ||
	    (rc = get_literal(c->root, "address", "config", &addr, err, errlen)) != 0 ||
	    (rc = get_checked(c->root, "token_secret", "config", rendered, valid_secret_name,
	                      "is not a secret name", &c->token_secret, err, errlen)) != 0 ||
	    (rc = get_checked(c->root, "namespace", "config", rendered, valid_ns,
	                      "is not a Vault namespace (letters, digits, - . _ /)",
	                      &c->vault_ns, err, errlen)) != 0 ||
	    (rc = get_literal(c->root, "ca_file", "config", &c->ca_file, err, errlen)) != 0 ||
	    (rc = get_literal_bool(c->root, "insecure_skip_tls_verify", "config",
	                           &c->insecure, err, errlen)) != 0 ||
	    (rc = pu_read_timeout(host, step, rendered, &c->timeout_ms, err, errlen)) != 0 ||
	    (rc = get_checked(c->root, "mount", "config", rendered, path_ok,
	                      "is not a mount path", &c->mount, err, errlen)) != 0 ||
	    (rc = get_bool(c->root, "enable_mount", "config", rendered, &c->enable_mount,
	                   err, errlen)) != 0 ||
	    (rc = read_vso(c->root, rendered, &c->vso, err, errlen)) != 0 ||
	    (rc = read_actions(c->root, rendered, c, err, errlen)) != 0)
		goto err;
	if (addr == NULL) {
		rc = pu_refuse(err, errlen, "config.address: missing (e.g. "
		               "https://vault.example.com:8200; a platform team sets it once "
		               "in stepDefaults)");
		goto err;
	}
	if (c->token_secret == NULL) {
		rc = pu_refuse(err, errlen, "config.token_secret: missing (the name of the "
		               "server's secret holding the Vault token)");
		goto err;
	}
	if ((rc = vs_normalise_address(addr, c->address, sizeof(c->address), err, errlen)) != 0)
		goto err;
	return 0;
err:
	vs_config_free(c);
	return rc;
}

void
vs_config_free(struct vs_config *c)
{
	free(c->actions);
	c->actions = NULL;
	c->nactions = 0;
	json_object_put(c->root);
	c->root = NULL;
}
