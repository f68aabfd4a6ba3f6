/*
 * model.h - the loaded, validated catalog: providers, their workflows and
 * resource-type capabilities, golden paths, and the diagnostics produced
 * while loading them.  Built by the loaders (load_*.c), read by the
 * executor and the CLI/API.  Everything here is immutable after loading.
 */
#ifndef INN_CORE_MODEL_H
#define INN_CORE_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "json_util.h"
#include "mask.h"
#include "policy.h"
#include "registry.h"

/* Diagnostics: every message is "file:line:col: text" (line/col when known).
 * At most INN_DIAG_MAX entries are kept; then one "too many diagnostics"
 * error is added and later ones are only counted (nerrors stays exact). */
#define INN_DIAG_MAX 1000

typedef enum inn_diag_level { INN_DIAG_WARNING = 1, INN_DIAG_ERROR = 2 } inn_diag_level;

typedef struct inn_diag_entry {
	inn_diag_level level;
	char *file;
	int line, col;
	char *message;   /* without the position prefix */
} inn_diag_entry;

typedef struct inn_diag {
	inn_diag_entry *items;
	size_t n, cap;
	size_t nerrors;
} inn_diag;

void inn_diag_init(inn_diag *d);
void inn_diag_free(inn_diag *d);
void inn_diag_add(inn_diag *d, inn_diag_level level, const char *file, int line,
                  int col, const char *fmt, ...) INN_PRINTF_LIKE(6, 7);
/* Formats entry i as "file:line:col: error: message" into buf ("warning:"
 * for warnings; "file: error: ..." when the line is unknown). */
void inn_diag_format(const inn_diag *d, size_t i, char *buf, size_t len);
/* Writes every entry to fp, formatted as inn_diag_format() does, one a
 * line after prefix. */
void inn_diag_print(const inn_diag *d, FILE *fp, const char *prefix);
/* Files of a git clone are shown as their path in the repository and the
 * commit, "team/workflows/x.yaml@1a2b3c4d5e6f", not where the clone lies on
 * the server (its state or cache folder): from this call on, every entry
 * added whose file is under dir (a realpath), and every such path in an
 * entry's message, is written so.  commit: hex, shortened to 12; NULL or ""
 * forgets dir.  Process-wide (the clones are), bounded, thread-safe. */
void inn_diag_alias(const char *dir, const char *commit);
/* Number of entries of a level (errors: all recorded, even past the cap). */
size_t inn_diag_count(const inn_diag *d, inn_diag_level level);
/* Index of the first entry whose formatted text contains needle, or -1;
 * copies that text into buf when buf is not NULL. */
int inn_diag_find(const inn_diag *d, const char *needle, char *buf, size_t len);

typedef struct inn_param {
	char *name;
	char *type;           /* string, number, integer, boolean, map, object, array, enum, duration, secret */
	int required;
	json_object *def;     /* typed default or NULL */
	char *description;
	json_object *allowed; /* array of allowed values (enum) or NULL */
	char *pattern;        /* Go RE2 syntax (pattern.h) a value must match
	                         somewhere (unanchored, as Go's MatchString), or NULL */
	struct inn_pattern *re; /* pattern compiled once when loaded (NULL: compiled
	                         for each check, e.g. a declaration built by hand) */
	int64_t min, max;     /* bounds of an integer parameter's value */
	int has_min, has_max;
	int line, col;
} inn_param;

/* Checks a parameter value (a default, or a value supplied for a run)
 * against the declaration: type, allowed values, pattern.  Strings that
 * spell a value of the type ("8080" for number, "true" for boolean) are
 * accepted, since values from the API and the CLI arrive as text; strings
 * holding template syntax are not checked.  Returns 0, or -1 with the
 * reason in why (e.g. `"abc" is not an integer`; also for a pattern that
 * does not compile, which a loaded declaration never has). */
int inn_param_check(const inn_param *p, json_object *value, char *why, size_t len);

typedef struct inn_step_def {
	char *name;
	char *type;           /* as written in the file */
	char *plugin_type;    /* after the legacy alias table (policy -> shell) */
	json_object *config;  /* unrendered config tree (typed scalars), never NULL */
	json_object *env;     /* step-level env map, or NULL */
	char *when;           /* the `if:` condition as written (else a `when:` that is
	                         a condition, not a keyword), or NULL */
	struct inn_step_conds *conds; /* when/unless/if parsed (cond.h), or NULL */
	char **depends_on;    /* names of steps this one waits for */
	size_t ndeps;
	int deps_explicit;    /* depends_on was written (even as []): no implicit ordering */
	size_t *dep_idx;      /* the resolved step graph (load_graph.c): indices of the
	                         steps this one waits for -- depends_on exactly; else a
	                         parallel step waits for the step before its parallel
	                         group, any other step for the step (or the whole
	                         parallel group) before it; an implicit edge that would
	                         close a cycle with a forward depends_on is left out */
	size_t ndep_idx;
	int parallel;         /* runs concurrently with adjacent parallel steps */
	int64_t timeout_ms;   /* 0: none (the workflow's still applies) */
	int retries;          /* extra attempts after the first (0: none) */
	int64_t backoff_ms;   /* first retry delay; doubles each attempt */
	int retry_opt_in;     /* retries written explicitly on the step (non-idempotent plugins allowed) */
	int continue_on_error;
	int line, col;        /* where the step starts */
} inn_step_def;

typedef struct inn_workflow {
	char *name;
	char *description;
	char *file;           /* path it was loaded from */
	char *owner;          /* metadata.owner */
	char *phase;          /* pre-deployment | deployment | post-deployment, or NULL */
	char **triggers;
	size_t ntriggers;
	char *provider;       /* owning provider name, NULL for golden-path workflows */
	char *base_dir;       /* relative paths in step configs resolve here: the
	                         provider folder, else the workflow file's folder */
	char *operation;      /* create | read | update | delete (from the provider manifest) */
	char *category;
	inn_param *params;
	size_t nparams;
	size_t *param_byname; /* indices of params sorted by name (NULL: none) */
	json_object *variables; /* name -> value template, never NULL */
	inn_step_def *steps;
	size_t nsteps;
	json_object *outputs; /* name -> value template, never NULL */
	int64_t timeout_ms;   /* workflow timeout (spec.timeout / timeout), 0: none */
	unsigned std_inputs;  /* a provider's workflow: the standard inputs
	                         (inn_param_standard_input bits) its templates
	                         read without declaring them */
	json_object *spec_refs; /* its resources.R and app references and their
	                         * places, for inn_workflow_check_spec_refs; or NULL */
} inn_workflow;

typedef struct inn_resource_cap {
	char *type;
	char *alias_for;      /* aliasFor, or NULL */
	char *create, *read, *update, *del; /* workflow names, or NULL */
	int line, col;
} inn_resource_cap;

/* Where a provider was read from, as whoever builds the catalog knows it
 * (the server's providers.c); all NULL when not said.  type is a static
 * word, the others are owned. */
typedef struct inn_provider_source {
	const char *type;     /* "filesystem" | "git" */
	char *path;           /* filesystem: the folder; git: the folder in the
	                         repository ("" its root) */
	char *git_url;        /* git: the repository */
	char *ref;            /* git: the branch, tag or commit asked for; NULL: HEAD */
	char *commit;         /* git: the commit checked out (hex) */
} inn_provider_source;

typedef struct inn_provider {
	char *name;
	char *version;
	char *description;
	char *owner;
	char *category;
	char *dir;            /* realpath of the provider folder */
	char *file;           /* provider.yaml path */
	inn_workflow **workflows;
	size_t nworkflows;
	inn_resource_cap *caps;
	size_t ncaps;
	inn_provider_source source;
} inn_provider;

typedef struct inn_goldenpath {
	char *name;
	char *description;
	char *category;
	char **tags;
	size_t ntags;
	char *workflow_ref;   /* as written: a file path or provider/workflow */
	char *estimated_duration; /* free text ("1-2 minutes"), or NULL */
	inn_param *params;    /* golden-path level parameter overrides */
	size_t nparams;
	inn_workflow *workflow; /* resolved workflow (owned when loaded from a file) */
	int owns_workflow;
} inn_goldenpath;

typedef struct inn_catalog {
	inn_provider **providers;
	size_t nproviders;
	inn_goldenpath *goldenpaths;
	size_t ngoldenpaths;
} inn_catalog;

/* What loaders need to validate against: the policy (allowedStepTypes,
 * maxStepsPerWorkflow) and the plugin registry (known types, the plugin's
 * own validate()).  Either may be NULL (then those checks are skipped). */
typedef struct inn_load_ctx {
	const inn_policy *policy;
	const inn_registry *registry;
} inn_load_ctx;

/* Workflow file (top-level `steps:` or golden-path `spec.steps:`).  Errors
 * and warnings go to diag; returns 0 and *out when the file has no errors.
 *
 * Names: `name`, else metadata.name, else the file's base name.  Field
 * paths in messages count list items from 0 ("steps[2].config").  Checks:
 * node kinds, unknown keys (warnings), required step name/type, step name
 * syntax [A-Za-z0-9][A-Za-z0-9_-]*, unique step names, depends_on targets
 * and cycles, policy maxStepsPerWorkflow and allowedStepTypes (written
 * type), registry plugin (resolved type) and its validate(), and every
 * template reference: parameters.X must be declared; steps.S must exist,
 * not be the step itself (error) and should run before it (warning).
 * Parameter types int/bool/float are read as integer/boolean/number. */
int inn_workflow_load_file(inn_workflow **out, const char *path,
                           const inn_load_ctx *ctx, inn_diag *diag);
void inn_workflow_free(inn_workflow *wf);
/* A run's `resources` and `app` come from its Score spec (data as
 * inn_deploy_data builds it; NULL for a run without one): reports each
 * resources.R reference of wf whose R the data lacks, and each app
 * reference when there is no app, as an error at its file:line:col in
 * diag.  Returns the number of such errors. */
size_t inn_workflow_check_spec_refs(const inn_workflow *wf, json_object *data,
                                    inn_diag *diag);
const inn_step_def *inn_workflow_step(const inn_workflow *wf, const char *name);
/* The parameter called name[0..len), or NULL.  O(log n) for loaded workflows. */
const inn_param *inn_workflow_param(const inn_workflow *wf, const char *name, size_t len);

/* The parameters a run of wf gets (load_param.c, the one place these rules
 * live): every given name must be declared; a given value is coerced to
 * its type (CLI text: "3" for an integer, "yes" for a boolean, JSON text for
 * a map or a list) and checked (allowed values, pattern, the size limits
 * below); a missing one takes its default, or is an error when required.
 * *out: a new object name -> value.  Returns 0, or INN_EINVAL with a
 * message naming the workflow and the parameter (a secret's value is never
 * quoted). */
int inn_params_resolve(const inn_workflow *wf, json_object *given, json_object **out);
/* The standard inputs the engine gives a resource's operation workflow in
 * a Score deployment (deploy.c; the original's buildWorkflowInputs):
 * app_name, resource_name, resource_type, bucket_name (<app>-<resource>),
 * namespace (<app>-default).  A provider's workflow may read them without
 * declaring them (the original ignored `parameters:`); such a workflow
 * (wf->std_inputs) takes them as parameters too, and a direct run must
 * give them.  Returns the input's bit number for name[0..len), or -1. */
int inn_param_standard_input(const char *name, size_t len);
#define INN_STD_INPUTS 5
/* The name of standard input i (0 <= i < INN_STD_INPUTS). */
const char *inn_param_standard_name(int i);
/* Limits on given parameter values (inn_params_resolve refuses more): one
 * string value (or map key) in bytes, and all values together as JSON. */
#define INN_PARAM_VALUE_MAX (128 * 1024 - 4096)
#define INN_PARAMS_TOTAL_MAX (1024 * 1024)
/* Adds the values of wf's secret parameters among resolved to m. */
int inn_params_mask_secrets(const inn_workflow *wf, json_object *resolved, inn_masker *m);
/* The effective environment of a run of wf given these parameters: the
 * given "environment" (when it is a string), else its declared default
 * (when a string); NULL otherwise.  Borrowed from given or wf. */
const char *inn_params_environment(const inn_workflow *wf, json_object *given);

/* A provider folder (provider.yaml + workflows).  Workflow files are
 * confined to the folder (no .., no symlinks out).  Simple form: every
 * YAML file (.yaml, .yml) of workflows_dir (default "workflows"; a missing default
 * folder means no workflows).  Original form: the files workflows[] lists
 * (entry name wins over the file's own; operation and category come from
 * the entry).  Capability operations must name workflows of the provider,
 * aliasFor a non-alias type of the same provider.  A type only in the
 * legacy capabilities.resourceTypes list gets a capability whose create is
 * the provider's first "create" workflow, else its first "provisioner"
 * workflow with no operation (the original's fallback), else none. */
int inn_provider_load_dir(inn_provider **out, const char *dir,
                          const inn_load_ctx *ctx, inn_diag *diag);
void inn_provider_free(inn_provider *p);
const inn_workflow *inn_provider_workflow(const inn_provider *p, const char *name);

/* The whole catalog: every provider folder in dirs (a folder that holds a
 * provider.yaml, or a folder of such folders), plus golden paths from
 * goldenpaths.yaml (NULL: none).  Two providers claiming one resource type
 * is an error.  Returns 0 if no error was recorded.  *out is set even
 * then: it holds what loaded cleanly (a provider with any error, or the
 * second provider claiming a type, is left out), so a server can keep
 * serving while it reports the rest.
 *
 * Golden-path workflow references (`name: {workflow: REF, ...}`, or the
 * original's short form `name: REF`): a value starting with ./ ../ or / or
 * ending in .yaml/.yml is a file relative to the goldenpaths.yaml folder
 * (and must stay inside it); otherwise it is provider/workflow.  The
 * original resolved files against its working directory: when the working
 * directory holds the goldenpaths.yaml folder (and is not "/"), a file
 * found only there is read from there (warned, confined to it), one in
 * both places that differ is warned about, one in neither is an error
 * naming both. */
int inn_catalog_load(inn_catalog **out, const char *const *dirs, size_t ndirs,
                     const char *goldenpaths_file, const inn_load_ctx *ctx,
                     inn_diag *diag);
void inn_catalog_free(inn_catalog *c);
const inn_provider *inn_catalog_provider(const inn_catalog *c, const char *name);
const inn_goldenpath *inn_catalog_goldenpath(const inn_catalog *c, const char *name);
/* Resolves "provider/workflow" (or a golden path name) to a workflow. */
const inn_workflow *inn_catalog_workflow(const inn_catalog *c, const char *ref);
/* The provider and capability serving a resource type (aliases followed). */
const inn_resource_cap *inn_catalog_resource(const inn_catalog *c, const char *type,
                                             const inn_provider **provider);

/* Same as inn_workflow_load_file for text already in memory (name is used
 * in messages); used by the fuzz target and by API requests. */
int inn_workflow_load_string(inn_workflow **out, const char *name, const char *text,
                             size_t len, const inn_load_ctx *ctx, inn_diag *diag);

/* A Score spec (score.dev/v1b1): the app and the resources it needs. */
typedef struct inn_score_resource {
	char *name;           /* key under resources: */
	char *type;
	char *klass;          /* class, or NULL */
	json_object *params;  /* params (object, never NULL) */
	int line, col;
} inn_score_resource;

typedef struct inn_score {
	char *file;
	char *app;            /* metadata.name */
	json_object *metadata;/* metadata object */
	json_object *containers;
	inn_score_resource *resources;
	size_t nresources;
	json_object *json;    /* the whole spec as JSON */
} inn_score;

int inn_score_load_file(inn_score **out, const char *path, inn_diag *diag);
int inn_score_load_string(inn_score **out, const char *name, const char *text,
                          size_t len, inn_diag *diag);
/* The same with at most max_nodes JSON nodes after aliases are expanded (0:
 * the loaders' default of 1M).  A spec in an API request is a few hundred
 * nodes; INN_SPEC_MAX_NODES refuses an alias bomb after a few MB, not 100. */
#define INN_SPEC_MAX_NODES 100000
int inn_score_load_string_max(inn_score **out, const char *name, const char *text,
                              size_t len, size_t max_nodes, inn_diag *diag);
/* The same, but a spec that is a mapping is handed out in *out even with
 * errors (then INN_EINVAL, the errors in diag; fields in error are NULL,
 * a resource without a valid type has type NULL), so that
 * inn_deploy_plan_lifecycle adds its own problems to the same diag: every
 * problem of a spec in one answer (POST /api/applications).  Check the
 * return code before anything else uses *out; free it either way. */
int inn_score_load_all(inn_score **out, const char *name, const char *text, size_t len,
                       size_t max_nodes, inn_diag *diag);
/* From a JSON object (the API's "spec"); name is used in messages. */
int inn_score_from_json(inn_score **out, const char *name, json_object *spec,
                        inn_diag *diag);
void inn_score_free(inn_score *s);

/* A provider as the API and the CLI show it: name, version, description,
 * owner, category, resource_types[], workflows[], and source when it is
 * said (p->source); full >= 1 adds each workflow's parameters (their whole
 * declarations, inn_param_json's full form), full >= 2 the files and
 * folder (local use only: the server does not show its workflows' files).
 * A filesystem source's folder (a path of the host) is shown with
 * full >= 2 or INN_PROVIDER_JSON_FOLDER (the server: to admins only);
 * otherwise its path is null. */
#define INN_PROVIDER_JSON_FOLDER 0x100
json_object *inn_provider_json(const inn_provider *p, int full);

/* One parameter declaration as the API and the CLI show it -- the one
 * place a declaration becomes JSON: name, type, required, default (a
 * secret's default as "***", never its text); full adds description,
 * allowed and pattern. */
json_object *inn_param_json(const inn_param *pa, int full);

/* A golden path as the API and the CLI show it, with its parameters. */
json_object *inn_goldenpath_json(const inn_goldenpath *g);

#endif
