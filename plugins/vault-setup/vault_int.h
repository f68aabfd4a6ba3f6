/*
 * vault_int.h - what the files of vault-setup.so share: the step config
 * (connection, actions, Vault Secrets Operator objects), the per-run
 * context and the functions one file offers the others.  Layers, top
 * down: vault.c (entry points, the action loop) -> vault_ops.c (one
 * action each: KV v2, policies, AppRole, the VSO objects) -> vault_api.c
 * (one Vault HTTP call through pu_http, Vault's error bodies) and
 * vault_config.c (reading the config) / vault_password.c (generating
 * passwords).
 */
#ifndef INN_VAULT_INT_H
#define INN_VAULT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <innominatus/plugin.h>

#include "pu_http.h"

#define VS_ADDR_MAX      1024
#define VS_ERR_MAX       768
#define VS_PW_MIN        8
#define VS_PW_MAX        1024
#define VS_PW_DEFAULT    32
#define VS_PATH_MAX      512
#define VS_ACTIONS_MAX   64

enum vs_op {
	VS_OP_WRITE, VS_OP_READ, VS_OP_PATCH, VS_OP_GENPW, VS_OP_POLICY,
	VS_OP_APPROLE, VS_OP_DELETE
};

/* The operations by enum vs_op, NULL-terminated. */
extern const char *const vs_op_names[];
/* The step's own output names, which a key read from KV may not take. */
extern const char *const vs_own_outputs[];
/* Non-zero if s is in the NULL-terminated list. */
int vs_in_list(const char *const *list, const char *s);

/* Character classes of a generated password (config `classes`). */
enum vs_class {
	VS_CLASS_LOWER = 1u << 0, VS_CLASS_UPPER = 1u << 1,
	VS_CLASS_DIGITS = 1u << 2, VS_CLASS_SYMBOLS = 1u << 3
};

/* One action.  Strings are borrowed from the config's json objects. */
struct vs_action {
	int op;                     /* enum vs_op */
	char where[48];             /* "config" or "config.operations.N" */
	const char *path;           /* KV path below the mount */
	json_object *data;          /* write/patch: object */
	json_object *keys;          /* read: array of key names, or NULL: all */
	const char *key;            /* generate-password */
	int64_t length;
	const char *charset;        /* explicit alphabet, or NULL */
	unsigned classes;           /* enum vs_class, 0: all four */
	int rotate;                 /* generate-password: replace an existing value */
	const char *name;           /* policy / role name */
	const char *policy;         /* policy HCL text, or NULL */
	json_object *paths;         /* policy: path -> [capabilities] */
	json_object *token_policies;/* approle: array */
	const char *ttl, *max_ttl;  /* approle token_ttl / token_max_ttl */
	int secret_id;              /* approle: issue a secret_id (secret output) */
	int enable_auth;            /* approle: enable auth/approle when missing */
};

/* The Vault Secrets Operator objects (config.vso). */
struct vs_vso {
	int set;
	const char *kubeconfig, *context;
	const char *kubeconfig_secret; /* a secret holding kubeconfig text */
	const char *namespace;      /* Kubernetes namespace of the objects */
	const char *service_account;
	const char *role;           /* Vault kubernetes auth role */
	const char *auth_mount;     /* default "kubernetes" */
	const char *destination;
	const char *path;           /* KV path (default: the first KV action's) */
	const char *refresh_after;  /* default "60s" */
	const char *name;           /* object names' stem (default destination) */
};

/* The step config. */
struct vs_config {
	json_object *root;          /* the whole config (ours: put it) */
	char address[VS_ADDR_MAX];  /* normalised: scheme://host:port[/prefix] */
	const char *token_secret;
	const char *vault_ns;       /* X-Vault-Namespace, or NULL */
	const char *ca_file;
	int insecure;
	int64_t timeout_ms;
	const char *mount;          /* "secret" unless set */
	int enable_mount;
	struct vs_action *actions;  /* ours */
	size_t nactions;
	struct vs_vso vso;
};

/* One run. */
struct vs_ctx {
	const inn_host *host;
	inn_step *step;
	const struct vs_config *c;
	pu_http_conf http;
	char *hdr[3];               /* "X-Vault-Token: ...", "X-Vault-Namespace: ..." (ours) */
	int dry;
	const char *last_path;      /* the last KV path written or read */
	int64_t last_version;
};

/* ---- vault_config.c ---- */

/*
 * Reads and checks the whole step config into c (rendered = 0 at load:
 * templates are accepted where a value may be rendered later).  Returns 0
 * or INN_EINVAL / INN_ENOMEM with a one-line reason naming the field in
 * err; on failure c is freed.
 */
int vs_config_read(const inn_host *host, const inn_step *step, int rendered,
                   struct vs_config *c, char *err, size_t errlen);
void vs_config_free(struct vs_config *c);
/*
 * The address as requests use it: scheme://host:port[/prefix] without a
 * trailing '/'; no scheme means https, no port means 8200 (Vault's).
 * Credentials, a query, a fragment, spaces or another scheme are refused
 * (INN_EINVAL, the reason in err).
 */
int vs_normalise_address(const char *in, char *out, size_t len, char *err, size_t errlen);
/* Non-zero if s is a policy, role, key or output name: 1 to 128 of
 * [A-Za-z0-9_.-], not "." or ".." (it becomes a URL path segment). */
int vs_valid_name(const char *s);
/* Non-zero if s is a KV path or mount: segments of [A-Za-z0-9_.@-], no
 * empty segment, no "." or "..". */
int vs_valid_kv_path(const char *s);

/* ---- vault_password.c ---- */

/*
 * Builds the alphabet of a password (charset, else the classes; 0 means
 * all four) into buf (256 bytes), each character once.  Returns its
 * length, or -1 with the reason in err (a character outside printable
 * ASCII, an empty alphabet).
 */
int vs_alphabet(const char *charset, unsigned classes, char *buf, char *err, size_t errlen);
/*
 * Fills out[0..len-1] (out has len + 1 bytes) with characters drawn
 * uniformly from the alphabet (getrandom, rejection sampling: no modulo
 * bias), NUL-terminated; with classes (and no charset) every class
 * appears at least once.  Returns 0, or INN_ERROR when the kernel gives
 * no randomness.
 */
int vs_password(const char *alphabet, size_t n, unsigned classes, char *out, size_t len);

/* ---- vault_api.c ---- */

/*
 * Sends one Vault request: method, path below /v1/ (escaped), a JSON body
 * (NULL: none; sent as application/json unless ctype is given).  *out
 * receives the parsed answer (may be NULL: not wanted; NULL for 204).
 * A status outside 2xx fails with "Vault <what>: <status> <Vault's
 * errors>" logged (a 403 with a hint at the token secret), unless it is
 * in `accept` (a 0-terminated list, may be NULL), in which case *status
 * tells.  Returns INN_OK, INN_ENOTFOUND (404 not accepted), INN_ERROR,
 * INN_ETIMEOUT or INN_ECANCELLED; errors are logged once, here.
 */
int vs_call(struct vs_ctx *x, const char *what, const char *method, const char *path,
            json_object *body, const char *ctype, const long *accept, long *status,
            json_object **out);
/* The data object of a Vault answer ("data"), or NULL. */
json_object *vs_data(json_object *answer);
/* "/<mount>/<kind>/<path>" with each segment escaped, into buf. */
int vs_kv_url(const struct vs_ctx *x, const char *kind, const char *path, char *buf,
              size_t len);

/* ---- vault_ops.c ---- */

/* The checks every run starts with: the token (lookup-self), and in a
 * dry-run or with enable_mount the KV mount. */
int vs_preflight(struct vs_ctx *x);
/* Runs one action (or, in a dry-run, logs what it would do). */
int vs_run_action(struct vs_ctx *x, const struct vs_action *a);
/* Applies the Vault Secrets Operator objects (config.vso). */
int vs_apply_vso(struct vs_ctx *x);

#endif /* INN_VAULT_INT_H */
