/*
 * argocd_int.h - what the files of argocd-app.so share: the step config
 * and its reader.  Layers, top down: argocd_app.c (entry points, the
 * Application object, the operations through pu_kube) -> argocd_config.c
 * (the step config).
 */
#ifndef INN_ARGOCD_INT_H
#define INN_ARGOCD_INT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <innominatus/plugin.h>

#include "pu_kube.h"

enum ac_op { AC_OP_CREATE, AC_OP_UPDATE, AC_OP_DELETE, AC_OP_GET, AC_OP_WAIT };

/* The operations by enum ac_op, NULL-terminated ("apply" reads as create). */
extern const char *const ac_op_names[];

/* Argo CD's in-cluster destination, the default. */
#define AC_DEFAULT_SERVER "https://kubernetes.default.svc"
/* How long wait_for_sync waits unless config.timeout says (the original's
 * 300 s). */
#define AC_DEFAULT_WAIT_MS 300000
/* The finalizer that makes Argo CD delete an Application's resources. */
#define AC_CASCADE_FINALIZER "resources-finalizer.argocd.argoproj.io"

/* The step config.  Strings are borrowed from the host; the json objects
 * and sync_options are ours (ac_config_free). */
struct ac_config {
	const char *operation;
	int op;                      /* enum ac_op */
	const char *name;            /* the Application's name */
	const char *app_namespace;   /* where the Application lives ("argocd") */
	const char *project;         /* NULL: "default" (create), kept (update) */
	const char *repo_url;
	const char *path;
	const char *target_revision;
	const char *dest_server;
	const char *dest_name;
	const char *dest_namespace;
	const char *sync_policy;     /* as written */
	int automated;               /* -1 unset, 0 manual, 1 automated */
	int prune, self_heal;        /* -1 unset */
	int create_namespace;        /* -1 unset */
	const char **sync_options;   /* NULL-terminated, or NULL */
	int cascade, cascade_set;
	int wait_for_sync;
	json_object *spec;           /* raw spec merged over the built one */
	json_object *labels;         /* extra metadata.labels */
	pu_kube_step conn;           /* kubeconfig ... allowed_namespaces */
	int64_t timeout_ms;          /* 0: requests pu_http's default; wait 5 m */
};

/*
 * Reads and checks the step config into c (rendered == 0 at load:
 * templates pass their content checks).  Returns 0, or INN_EINVAL /
 * INN_ENOMEM with a one-line reason naming the field in err; c is then
 * freed.
 */
int ac_config_read(const inn_host *host, const inn_step *step, int rendered,
                   struct ac_config *c, char *err, size_t errlen);
void ac_config_free(struct ac_config *c);

#endif /* INN_ARGOCD_INT_H */
