/*
 * demo.h - the demo environment (demo-time, demo-status, demo-nuke): the
 * component list demo/components.yaml, the objects its manifests hold, and
 * the in-memory kubernetes.so workflows that install, check and remove
 * them, run by the engine like any workflow.  Shared by innominatus-ctl
 * (local) and the server (the /api/demo routes).
 */
#ifndef INN_CORE_DEMO_H
#define INN_CORE_DEMO_H

#include <stddef.h>

#include <json-c/json.h>

#include "exec.h"
#include "model.h"

/* The object whose readiness decides a component's health. */
typedef struct inn_demo_health {
	char *kind, *name, *ns;  /* ns: the component's when not written */
	char *ready;             /* kubernetes.so wait_for: condition=T[=S] | jsonpath={p}[=v] */
} inn_demo_health;

typedef struct inn_demo_component {
	char *name;
	char *ns;
	char **manifests;        /* paths relative to the demo folder */
	size_t nmanifests;
	inn_demo_health health;
	char *url, *credentials; /* notes for people, or NULL */
	int line;
} inn_demo_component;

typedef struct inn_demo {
	char *dir;               /* realpath of the demo folder */
	char *file;              /* its components.yaml */
	char *namespaces;        /* manifest of the namespaces (relative), or NULL */
	inn_demo_component *comps;
	size_t ncomps;
} inn_demo;

/* Loads dir/components.yaml.  Every problem (missing or unknown fields,
 * bad names, a manifest that is missing or outside dir, a ready that is
 * not condition=/jsonpath=) goes to diag as file:line:col; returns 0 when
 * there were none (*out set), else INN_EINVAL (INN_ENOTFOUND: no file). */
int inn_demo_load(inn_demo **out, const char *dir, inn_diag *diag);
void inn_demo_free(inn_demo *d);

/* Every object of every manifest, read without contacting anything:
 * [{component, namespace, objects: [{kind, namespace, name, file, line}]}],
 * the namespaces first (component "namespaces").  A document without
 * kind or metadata.name, or that is not YAML, goes to diag (file:line);
 * with a namespaces manifest, so does a component whose namespace no
 * manifest creates.  Returns 0, or INN_EINVAL when diag got errors.
 * demo-time calls it first: broken manifests stop it before the cluster
 * is touched. */
int inn_demo_objects(const inn_demo *d, json_object **out, inn_diag *diag);

typedef enum inn_demo_op { INN_DEMO_TIME, INN_DEMO_STATUS, INN_DEMO_NUKE } inn_demo_op;
/* "demo-time", "demo-status", "demo-nuke". */
const char *inn_demo_op_name(inn_demo_op op);

/* The kubeconfig the demo uses: given (a path), else the first existing
 * file of $KUBECONFIG, else ~/.kube/config.  *path "" when there is none
 * (in a pod the plugin then uses the service account).  *server: the
 * current context's cluster URL read from it ("" when unknown). */
void inn_demo_kubeconfig(const char *given, char *path, size_t plen, char *server,
                         size_t slen);

/* Builds op's workflow, runs it on eng (events: progress, may be NULL) and
 * describes what happened in *report:
 *   {operation, kubeconfig, server, status: succeeded|failed, error?,
 *    components: [{component, namespace, object, healthy|applied|deleted,
 *                  detail, url?, credentials?}]}
 * The first step asks the cluster for its namespaces: when it cannot be
 * reached, error names the kubeconfig and the server.  demo-status judges
 * each health object with kubernetes.so's operation check (its wait_for
 * evaluated once): detail is what it saw, or why the check failed.  reg
 * must hold kubernetes.so.  Returns 0 when the operation succeeded
 * (demo-status: every component healthy), INN_ERROR when it ran and failed (report
 * says why); when it could not start (inn_error_last; *report NULL):
 * INN_ENOTFOUND there is no kubeconfig, INN_EINVAL kubernetes.so is not
 * loaded or the workflow does not load. */
int inn_demo_run(inn_engine *eng, const inn_registry *reg, const inn_demo *d,
                 inn_demo_op op, const char *kubeconfig, const inn_run_events *events,
                 json_object **report);

#endif
