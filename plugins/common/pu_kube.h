/*
 * pu_kube.h - the Kubernetes API client the bundled plugins share
 * (kubernetes.so, vault-setup.so for the Vault Secrets Operator objects,
 * argocd-app.so for Argo CD Applications): connection from a kubeconfig
 * or the in-cluster service account, API discovery (so custom resources
 * resolve), server-side apply, get, delete and wait.  Built on pu_http.h.
 * Objects cross this interface as json-c objects.
 *
 * CONTRACT (implemented in pu_kube.c by the kubernetes plugin's author;
 * the other plugins only call it):
 */
#ifndef INN_PU_KUBE_H
#define INN_PU_KUBE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <innominatus/plugin.h>

typedef struct pu_kube pu_kube;

/* How to find the cluster.  Zero-initialise; every field optional. */
typedef struct pu_kube_opts {
	const char *kubeconfig;   /* a path; NULL: $KUBECONFIG (first file), then
	                           * ~/.kube/config, then the in-cluster service
	                           * account (/var/run/secrets/kubernetes.io/...) */
	const char *context;      /* NULL: current-context */
	int64_t timeout_ms;       /* per request; 0: pu_http's default */
	const char *kubeconfig_yaml; /* kubeconfig TEXT (e.g. a secret's value):
	                           * wins over kubeconfig; its file paths must
	                           * be absolute */
	int insecure;             /* non-zero: no TLS verification, whatever the
	                           * kubeconfig says (an explicit config only) */
	const char *ns_override;  /* NULL: the context's namespace */
} pu_kube_opts;

/* In-cluster connection: KUBERNETES_SERVICE_HOST/_PORT plus the service
 * account's token, ca.crt and namespace files in this folder.  FOR TESTS
 * ONLY the environment variable INN_TEST_KUBE_SA_DIR replaces the folder. */
#define PU_KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* A resource as discovery resolved it. */
typedef struct pu_kube_res {
	char group_version[128];  /* "v1", "apps/v1", "acid.zalan.do/v1" */
	char kind[96];            /* "Deployment" */
	char plural[96];          /* "deployments" */
	int namespaced;
} pu_kube_res;

/* Connects (reads the kubeconfig: server, certificate-authority[-data],
 * client-certificate[-data]/client-key[-data] or token/tokenFile,
 * insecure-skip-tls-verify, namespace).  No request is sent yet.
 * Returns INN_OK, or INN_EINVAL / INN_ENOTFOUND with a one-line reason
 * naming the file (and line when the YAML is bad) in err. */
int pu_kube_open(const inn_host *host, inn_step *step, const pu_kube_opts *opts,
                 pu_kube **out, char *err, size_t errlen);
void pu_kube_close(pu_kube *k);
/* The context's namespace, or "default". */
const char *pu_kube_namespace(const pu_kube *k);
/* The server URL (for messages and outputs). */
const char *pu_kube_server(const pu_kube *k);

/* Parses a YAML stream into a json-c array of its documents (null
 * documents skipped), typing plain scalars like YAML 1.1 (go-yaml v2, as
 * kubectl): null/~, true/false/yes/no/on/off/y/n, integers (decimal, 0x,
 * 0b, 0-octal), floats; quoted and block scalars stay strings.  Errors:
 * "document N, line L: why". */
int pu_kube_yaml_parse(const char *yaml, size_t len, json_object **out_docs,
                       char *err, size_t errlen);

/* Decodes standard or URL-safe base64 (whitespace ignored) into a
 * malloc'd NUL-terminated buffer (*out, *outlen); 0 or -1 when not
 * base64 (or out of memory). */
int pu_kube_b64decode(const char *in, char **out, size_t *outlen);

/* Resolves what -- a Kind ("Deployment"), a resource name ("deployments",
 * "deployment"), a short name ("deploy"), any of them case-insensitive
 * with a ".group" suffix ("deployment.apps") -- with discovery (GET /api,
 * /apis, /api/v1, /apis/<group>/<version>; cached per pu_kube, fetched
 * again once on a miss so a CRD applied moments ago resolves).  With
 * api_version only that group/version is asked.  INN_ENOTFOUND: "kind
 * postgresql in acid.zalan.do/v1 is not served by the cluster: is its
 * CRD/operator installed?". */
int pu_kube_resolve(pu_kube *k, const char *api_version, const char *what,
                    pu_kube_res *out, char *err, size_t errlen);

/* Parses a YAML stream (one or more documents; empty documents and
 * comments skipped) into a json-c array of objects.  Each object must have
 * apiVersion, kind and metadata.name (or generateName is refused: apply
 * needs a name).  Errors name document number, line and field. */
int pu_kube_parse_manifests(const char *yaml, size_t len, json_object **out_array,
                            char *err, size_t errlen);

/* Server-side apply of one object (PATCH application/apply-patch+yaml,
 * fieldManager=innominatus, force=true when force != 0).  The resource path
 * comes from discovery (cached per pu_kube); a namespaced kind without
 * metadata.namespace goes to default_ns (NULL: the kubeconfig namespace).
 * dry_run: dryRun=All.  *applied (may be NULL) receives the object the
 * server returned (caller puts it).  Errors: the API's Status message, e.g.
 * `apply Deployment demo/web: 422 Invalid: spec.replicas: ...`. */
int pu_kube_apply(pu_kube *k, json_object *obj, const char *default_ns, int force,
                  int dry_run, json_object **applied, char *err, size_t errlen);

/* GET one object (kind: anything pu_kube_resolve takes; ns NULL: the
 * kubeconfig namespace; name NULL: the list of all in ns); INN_ENOTFOUND
 * when the server answers 404. */
int pu_kube_get(pu_kube *k, const char *api_version, const char *kind, const char *ns,
                const char *name, json_object **obj, char *err, size_t errlen);

/* DELETE one object (propagationPolicy=Background; kind and ns as for
 * pu_kube_get); a 404 is INN_OK with
 * *gone = 1 (may be NULL).  dry_run: dryRun=All. */
int pu_kube_delete(pu_kube *k, const char *api_version, const char *kind, const char *ns,
                   const char *name, int dry_run, int *gone, char *err, size_t errlen);

/* Polls the object until a condition holds or timeout_ms passes (or the
 * step is cancelled / its deadline passes).  condition is either
 * "condition=Ready" (status.conditions[type=Ready].status == "True", also
 * "condition=Ready=False"), "jsonpath={.status.phase}=Running", "create"
 * (until it exists) or "delete" (until 404).  Returns INN_OK, INN_ETIMEOUT
 * (err says the last value seen), INN_ECANCELLED, or an error.
 *
 * timeout_ms == PU_KUBE_ONCE: a check, not a wait -- the object is read
 * once.  INN_OK when the condition holds now, INN_ETIMEOUT when it does
 * not; in both cases err holds only what was seen, e.g. "condition
 * Available is True", "condition Available is False: <its message>",
 * "{.status.readyReplicas} is absent", "the object does not exist".  Any
 * other return is an error of the request (err says it). */
#define PU_KUBE_ONCE ((int64_t)-1)
int pu_kube_wait(pu_kube *k, const char *api_version, const char *kind, const char *ns,
                 const char *name, const char *condition, int64_t timeout_ms,
                 char *err, size_t errlen);

/* obj[key] when it is a string, else NULL (owned by obj). */
const char *pu_kube_str(json_object *obj, const char *key);

/* Reads the regular file path (at most max bytes, symbolic links followed)
 * into a malloc'd NUL-terminated buffer (*out, *outlen may be NULL).
 * 0, or -1 with errno (EFBIG past max, EISDIR when not a regular file). */
int pu_kube_read_file(const char *path, size_t max, char **out, size_t *outlen);

/* Reads a dotted path ("metadata.uid", "status.phase",
 * "status.conditions.0.type") from an object; NULL when absent.  The
 * string is owned by obj. */
const char *pu_kube_path_str(json_object *obj, const char *path);

/* "Kind ns/name" for a namespaced kind, "Kind name" for a cluster-scoped
 * one (a Namespace, a ClusterRole: no namespace applies), into buf; a
 * missing name reads "*"; control characters become blanks (one line). */
void pu_kube_desc(char *buf, size_t len, const char *kind, const char *ns,
                  const char *name, int namespaced);

/* ---- what a step config says about the cluster (pu_kube_step.c): read
 * the same way by every plugin that reaches one, so each rule holds for
 * all of them ------------------------------------------------------------ */

/* The keys pu_kube_step_read reads, for the plugin's pu_field table (the
 * plugin includes plugin_util.h). */
#define PU_KUBE_STEP_FIELDS \
	PU_FIELD_OTHER("kubeconfig"), PU_FIELD_OTHER("kubeconfig_secret"), \
	PU_FIELD_OTHER("context"), PU_FIELD_OTHER("insecure_skip_tls_verify"), \
	PU_FIELD_OTHER("allowed_namespaces")

/* Their config schema properties (JSON text, a comma after it). */
#define PU_KUBE_STEP_SCHEMA \
	"\"kubeconfig\":{\"type\":[\"string\",\"null\"],\"description\":\"a " \
	"kubeconfig file (default: $KUBECONFIG, ~/.kube/config, the in-cluster " \
	"service account); written out, no template; null: unset\"}," \
	"\"kubeconfig_secret\":{\"type\":[\"string\",\"null\"],\"description\":" \
	"\"the name of a secret whose value is a kubeconfig\"}," \
	"\"context\":{\"type\":[\"string\",\"null\"]}," \
	"\"insecure_skip_tls_verify\":{\"type\":[\"boolean\",\"null\"]," \
	"\"default\":false}," \
	"\"allowed_namespaces\":{\"type\":\"array\",\"items\":{\"type\":\"string\"," \
	"\"pattern\":\"^[a-z0-9*-]{1,63}$\"},\"description\":\"namespaces (fnmatch " \
	"patterns) the step may write to; set it in the admin config's " \
	"stepPolicies\"},"

typedef struct pu_kube_step {
	const char *kubeconfig;        /* strings borrowed from the host */
	const char *kubeconfig_secret;
	const char *context;
	int insecure;                  /* insecure_skip_tls_verify */
	const char **allowed_ns;       /* allowed_namespaces (fnmatch patterns,
	                                * malloc'd array), or NULL: any */
} pu_kube_step;

/*
 * Reads config.kubeconfig, kubeconfig_secret, context,
 * insecure_skip_tls_verify and allowed_namespaces into c.  Which cluster
 * is reached, how it is verified and where a step may write are the
 * platform's choice, never a parameter's: each of them given as a
 * template is refused ("config.context: must be written out, not rendered
 * from a template").  null means unset (a step turns off a kubeconfig of
 * the admin config's stepDefaults to use kubeconfig_secret); kubeconfig
 * with kubeconfig_secret is refused.  0, or INN_EINVAL / INN_ENOMEM with
 * the field named in err; c is then freed.
 */
int pu_kube_step_read(const inn_host *host, const inn_step *step, pu_kube_step *c,
                      char *err, size_t errlen);
void pu_kube_step_free(pu_kube_step *c);

/* pu_kube_open with c's settings (the kubeconfig_secret's value from
 * host->secret) over opts (timeout, ns_override; may be NULL).  Errors as
 * pu_kube_open's; a secret that cannot be read is INN_ENOTFOUND naming
 * it. */
int pu_kube_step_open(const inn_host *host, inn_step *step, const pu_kube_step *c,
                      const pu_kube_opts *opts, pu_kube **out, char *err, size_t errlen);

/*
 * The allowed_namespaces guard: 0 when allowed is NULL, or a namespaced
 * object's namespace ns matches a pattern, or the object is a Namespace
 * whose own name matches; any other cluster-scoped kind is refused.
 * INN_EINVAL with why in err: "namespace \"x\" is not in
 * config.allowed_namespaces" or "config.allowed_namespaces is set, and
 * ClusterRole is cluster-scoped".
 */
int pu_kube_ns_allowed(const char *const *allowed, const pu_kube_res *r, const char *ns,
                       const char *name, char *err, size_t errlen);

#endif /* INN_PU_KUBE_H */
