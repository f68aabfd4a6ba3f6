/*
 * kube_int.h - what the files of kubernetes.so share: the step config
 * as read from the workflow (kube_config.c) and the operations.
 */
#ifndef INN_KUBE_INT_H
#define INN_KUBE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <innominatus/plugin.h>

#include "pu_kube.h"

enum kube_op { KUBE_APPLY, KUBE_DELETE, KUBE_GET, KUBE_CREATE_NS, KUBE_WAIT, KUBE_CHECK };

extern const char *const kube_op_names[];

struct kube_config {
	const char *operation;
	enum kube_op op;
	const char *manifest, *manifest_path;
	const char *ns;
	const char *resource_type, *resource_name, *api_version;
	const char *wait_for;       /* wait_for or its alias condition */
	const char *condition;
	int64_t timeout_ms;
	int force_conflicts;        /* default 1 */
	json_object *outputs;       /* name -> jsonpath, or NULL */
	pu_kube_step conn;          /* kubeconfig ... allowed_namespaces */
};

/* Reads the config (rendered == 0: at load, templates accepted) into c;
 * on failure c is freed and err says why, naming the field. */
int kube_config_read(const inn_host *host, const inn_step *step, int rendered,
                     struct kube_config *c, char *err, size_t errlen);
void kube_config_free(struct kube_config *c);

/* Resolves a written-out manifest_path inside the provider folder
 * (host->base_dir) into out (PATH_MAX bytes); symbolic links out of it
 * are refused.  0 or INN_EINVAL with err. */
int kube_manifest_file(const inn_host *host, inn_step *step, const struct kube_config *c,
                       char *out, char *err, size_t errlen);

/* Non-zero if s is an output name a step can publish. */
int kube_output_name_ok(const char *s);

#endif /* INN_KUBE_INT_H */
