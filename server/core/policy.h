/*
 * policy.h - the platform team's admin-config.yaml: which step types may be
 * loaded (workflowPolicies.allowedStepTypes) and the workflow limits.
 *
 * Allow-list semantics (documented in README.md):
 *   - key absent, or no admin config at all: every plugin in the (checked)
 *     plugin directory is allowed, and a warning says so;
 *   - an explicit empty list: nothing is allowed;
 *   - "*" in the list: everything is allowed.
 */
#ifndef INN_CORE_POLICY_H
#define INN_CORE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "yaml_tree.h"

/* One entry of the admin config's secrets: (policy_secrets.c). */
typedef struct inn_secret_spec {
	char *name;             /* [A-Za-z0-9_.-]+ */
	char *file;             /* {file: PATH}: absolute (a relative one is resolved
	                         * against the config file's folder), or NULL */
	char *env;              /* {env: VAR}, or NULL */
	int line, col;          /* of the name in the config file */
} inn_secret_spec;

typedef struct inn_policy {
	char *file;             /* path of admin-config.yaml, or NULL for defaults */
	int has_allow_list;     /* allowedStepTypes was present */
	int allow_all;          /* no list, or "*" in it */
	char **allowed;         /* allowed step types */
	size_t nallowed;
	int allow_line;         /* line of allowedStepTypes in file, or 0 */
	int max_steps;          /* maxStepsPerWorkflow, 0 = unlimited */
	int max_concurrent;     /* maxConcurrentWorkflows, 0 = unlimited */
	int64_t max_workflow_ms;/* maxWorkflowDuration, 0 = unlimited */
	/* stepMemoryLimit in bytes (RLIMIT_DATA of each plugin worker and
	 * every program a step runs), 0 = none; INN_STEP_MEMORY_DEFAULT unless
	 * the admin config says otherwise */
	uint64_t step_memory_limit;
	inn_secret_spec *secrets;   /* secrets: (names and where the values are) */
	size_t nsecrets;
	/* stepDefaults: step type -> {key: value} merged under the config of
	 * every step of that type (inn_policy_step_defaults), or NULL */
	json_object *step_defaults;
	/* stepPolicies: step type -> {key: value} merged over the config of
	 * every step of that type; a step that sets such a key itself is
	 * refused at load (inn_policy_step_policies), or NULL */
	json_object *step_policies;
	inn_ydoc *doc;          /* the parsed file, for other loaders */
} inn_policy;

#define INN_STEP_MEMORY_DEFAULT (4ull << 30)

/* Loads path.  When path does not exist and missing_ok is set, returns the
 * default policy (no allow-list).  Errors name file:line:col and field. */
int inn_policy_load(inn_policy **out, const char *path, int missing_ok);
/* The default policy (no file). */
int inn_policy_default(inn_policy **out);
void inn_policy_free(inn_policy *p);
/* Non-zero when step type (as a workflow writes it) may be used. */
int inn_policy_allows(const inn_policy *p, const char *type);
/* Non-zero when the plugin serving plugin_type may be loaded: the type is
 * allowed, or an allowed legacy type runs on it (step_types.h: allowing
 * "policy" loads shell.so).  *via (if via is not NULL) is then NULL, or
 * the first such legacy type when only those allow it: the plugin serves
 * steps of that type, and steps written with plugin_type stay refused
 * (inn_policy_allows). */
int inn_policy_allows_plugin(const inn_policy *p, const char *plugin_type,
                             const char **via);
/* Writes where the allow-list comes from, e.g. "workflowPolicies.
 * allowedStepTypes (admin-config.yaml:70)", for refusal messages. */
/* Parses a size such as "2Gi", "512Mi", "1G", "65536" or "none" (0) into
 * *out bytes.  Returns 0 or -1. */
int inn_policy_parse_size(const char *s, uint64_t *out);
/* Writes a size for messages: "2 GiB", "256 MiB", "1000 bytes". */
void inn_policy_format_size(uint64_t bytes, char *buf, size_t len);
void inn_policy_describe_source(const inn_policy *p, char *buf, size_t len);

/*
 * secrets:, stepDefaults: and stepPolicies: (policy_secrets.c; README
 * "Secrets").
 *
 *   secrets:
 *     vault-token: {file: /etc/innominatus/vault-token}
 *     s3-secret-key: {env: S3_SECRET_KEY}
 *
 * A name is [A-Za-z0-9_.-]+ (at most 128); exactly one of file (a regular
 * file owned by this user or root that group and others cannot read:
 * secret_file.h; one trailing newline is dropped) or env (read once, then
 * taken out of the environment).  stepDefaults maps a step type (as the
 * plugin serves it: legacy types use their plugin's) to a mapping of config
 * keys; they hold connection settings and secret NAMES, never values.
 * stepPolicies has the same form; its keys are set over the step's and a
 * step may not write them (a platform's guard such as allowed_namespaces).
 * All are checked when the file loads (errors name file:line:col).
 */
/* Reads the value of every entry of p's secrets: into *values (a new
 * object name -> string).  An entry that cannot be read goes to
 * *unavailable (a new object name -> "file:line:col: secrets.NAME: file
 * PATH: reason") instead.  Variables named by env entries are wiped from
 * this process's environment once read (hide non-zero).  Returns 0, or
 * INN_ENOMEM. */
int inn_policy_secrets_read(const inn_policy *p, int hide, json_object **values,
                            json_object **unavailable);
/* Non-zero when name is a valid secret name ([A-Za-z0-9_.-]+, <= 128). */
int inn_policy_secret_name_ok(const char *name);
/* The stepDefaults mapping of plugin type (borrowed), or NULL. */
json_object *inn_policy_step_defaults(const inn_policy *p, const char *plugin_type);
/* A copy of it for a reply (the caller puts it), or NULL: settings and
 * secret names, never a secret's value. */
json_object *inn_policy_step_defaults_copy(const inn_policy *p, const char *plugin_type);
/* Merges defaults (stepDefaults of a type) under config: each key of
 * defaults that config lacks is added (a copy); the step's own keys win,
 * whole values (no deeper merge).  *config may be NULL (a new object).
 * Returns 0 or INN_ENOMEM. */
int inn_policy_merge_defaults(json_object **config, json_object *defaults);
/* stepPolicies: the same three for the keys the platform sets over every
 * step config of a type.  The loader refuses a step that writes one of
 * them itself (any value, even the same); merge_policies then puts each
 * key of policies into config (a copy, whole values).  Returns 0 or
 * INN_ENOMEM. */
json_object *inn_policy_step_policies(const inn_policy *p, const char *plugin_type);
json_object *inn_policy_step_policies_copy(const inn_policy *p, const char *plugin_type);
int inn_policy_merge_policies(json_object **config, json_object *policies);

/*
 * The config's providers[] entries (policy_providers.c), as the original
 * read them and as the guide writes them:
 *   - a folder: `path` (with `type: filesystem` or no type and no URL);
 *     a relative path is resolved against the config file's folder, else
 *     (when only that exists) against the working directory, as the
 *     original resolved it; neither: an error naming both candidates;
 *   - a git repository: `git_url` or `repository` (with `type: git` or
 *     none), `path` inside it, `ref`; private ones name their credentials
 *     in `auth:` (never the secret itself: `token_env`, `token_file`,
 *     `username`, `ssh_key_file`, `ssh_passphrase_env`,
 *     `ssh_passphrase_file`, `known_hosts_file`);
 *   - `enabled: false`: left out.
 * An entry that cannot be read is an error at its file:line:col in d and is
 * left out; the others are still returned.
 */
typedef struct inn_provider_entry {
	char *name;          /* NULL when a folder entry has none */
	char *file;          /* the config file, and where the entry starts */
	int line, col;
	size_t index;        /* its place in providers[] (from 0) */
	char *dir;           /* a folder entry: the resolved folder */
	char *url;           /* a git entry: the repository (checked: inn_policy_check_url) */
	char *path;          /* a git entry: the folder inside it, or NULL (the root) */
	char *ref;           /* a git entry: branch, tag or commit, or NULL (its HEAD) */
	char *username, *token_env, *token_file, *ssh_key_file, *ssh_passphrase_env,
	     *ssh_passphrase_file, *known_hosts_file;   /* auth:, each NULL when unset */
} inn_provider_entry;

struct inn_diag;
/* The enabled entries into *out (*n of them; free with
 * inn_provider_entries_free).  Returns 0, or INN_ENOMEM. */
int inn_policy_providers(const inn_policy *p, inn_provider_entry **out, size_t *n,
                         struct inn_diag *d);
void inn_provider_entries_free(inn_provider_entry *e, size_t n);
/* Non-zero when the admin config has a providers key at all (even an
 * empty list or only disabled entries): then it alone names the provider
 * folders, and ./providers is not read as a fallback. */
int inn_policy_names_providers(const inn_policy *p);
/* A repository URL a provider source may have: https://, http://, git://,
 * file://, ssh://[user@]host[:port]/path or scp-like [user@]host:path;
 * never a password or token in it (an ssh user name is fine).  0, or
 * INN_EINVAL with the rule as the message. */
int inn_policy_check_url(const char *url);
/* A branch, tag or commit name: no spaces, control characters or revision
 * syntax ("..", "~", "^", a leading "-").  0 or INN_EINVAL. */
int inn_policy_check_ref(const char *ref);
/* A provider source's name: letters, digits, ".", "_", "-", a letter or
 * digit first, at most 127. */
int inn_policy_source_name_ok(const char *name);

#endif
