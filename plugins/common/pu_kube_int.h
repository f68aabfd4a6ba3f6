/*
 * pu_kube_int.h - what only the pu_kube files (and their unit test) see:
 * the connection struct the kubeconfig reader fills and the discovery
 * matcher that maps a kind or resource name onto an APIResourceList.
 */
#ifndef INN_PU_KUBE_INT_H
#define INN_PU_KUBE_INT_H

#include "pu_kube.h"

struct pu_kube {
	const inn_host *host;
	inn_step *step;
	char *server;               /* "https://host:port", no trailing '/' */
	char *ns;                   /* the context's namespace, or "default" */
	char *ca_file, *ca_pem;     /* certificate authority (file or PEM text) */
	char *cert_file, *cert_pem; /* client certificate */
	char *key_file, *key_pem;   /* client key (wiped on close) */
	char *token;                /* bearer token (wiped on close) */
	char *userpwd;              /* basic auth "user:password" (wiped) */
	int insecure;
	int64_t timeout_ms;
	char source[512];           /* "kubeconfig /x/config, context c" for messages */
	json_object *disc;          /* group/version -> APIResourceList, or null (404) */
	json_object *groups;        /* GET /apis, NULL until fetched */
	json_object *core;          /* GET /api (APIVersions), NULL until fetched */
};

/* Fills k's connection fields from opts (kubeconfig text or file,
 * $KUBECONFIG, ~/.kube/config, in-cluster).  0, INN_EINVAL or
 * INN_ENOTFOUND with a reason naming the file in err. */
int pk_conf_load(struct pu_kube *k, const pu_kube_opts *opts, char *err, size_t errlen);

/* Looks what up in an APIResourceList (its "resources") of group/version
 * gv: with kind_only the exact Kind, else a resource name, singular name,
 * short name or Kind, case-insensitive.  Subresources never match.
 * Returns 0 with *out filled, or -1. */
int pk_match(json_object *list, const char *gv, const char *what, int kind_only,
             pu_kube_res *out);

#endif /* INN_PU_KUBE_INT_H */
