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

#include "yaml_tree.h"

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

/* Provider folders named by the config's providers[] (filesystem entries,
 * enabled; paths relative to the config file's folder).  Fills dirs with
 * malloc'd paths and returns how many (at most max). */
int inn_policy_provider_dirs(const inn_policy *p, char **dirs, int max);

#endif
