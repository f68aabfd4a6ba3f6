/*
 * gitea_int.h - what the files of gitea-repo.so share: the step config and
 * its reader.  Layers, top down: gitea_repo.c (entry points, the
 * operations over the Gitea REST API through pu_http) -> gitea_config.c
 * (the step config).
 */
#ifndef INN_GITEA_INT_H
#define INN_GITEA_INT_H

#include <stddef.h>
#include <stdint.h>

#include <innominatus/plugin.h>

enum gt_op { GT_OP_CREATE, GT_OP_DELETE, GT_OP_GET };

/* The operations by enum gt_op, NULL-terminated. */
extern const char *const gt_op_names[];

/* The step config.  Strings are borrowed from the host. */
struct gt_config {
	const char *url;             /* the server, e.g. https://gitea.example.com */
	const char *token_secret;    /* name of the secret holding an API token */
	const char *username;        /* Basic auth: user ... */
	const char *password_secret; /* ... and the secret holding the password */
	const char *org;             /* create in this organization */
	const char *owner;           /* the owner: an organization or the token's user */
	const char *repo;
	const char *description;
	const char *default_branch;
	const char *operation;
	int op;                      /* enum gt_op */
	int private_repo;
	int auto_init;               /* default true, as the original */
	int insecure;                /* insecure_skip_tls_verify */
	const char *ca_file;
	int64_t timeout_ms;          /* 0: pu_http's default */
};

/*
 * Reads and checks the step config into c (rendered == 0 at load:
 * templates pass their content checks).  Returns 0, or INN_EINVAL with a
 * one-line reason naming the field in err.
 */
int gt_config_read(const inn_host *host, const inn_step *step, int rendered,
                   struct gt_config *c, char *err, size_t errlen);
/* Releases what gt_config_read holds (nothing today; kept for the
 * PU_DEFINE_VALIDATE contract). */
void gt_config_free(struct gt_config *c);

#endif /* INN_GITEA_INT_H */
