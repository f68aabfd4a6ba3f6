/*
 * minio_int.h - what the files of minio.so share: the step config, the
 * per-run context and the functions one file offers the others.  Layers,
 * top down: minio.c (entry points, the create/get/delete flows) ->
 * mn_bucket.c (one S3 or RGW admin operation each) -> mn_s3.c (signed
 * requests, error lines, the little XML it reads and writes) ->
 * mn_config.c (the step config).
 */
#ifndef INN_MINIO_INT_H
#define INN_MINIO_INT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <innominatus/plugin.h>

#include "plugin_util.h"
#include "pu_http.h"

/* credentials: rgw: the users innominatus makes are "inn-app-<name>" with
 * the display name "innominatus app <name>"; no other user is ever handed
 * out, reused or deleted. */
#define MN_RGW_PREFIX     "inn-app-"
#define MN_RGW_MARKER     "innominatus app "
/* At most this many keys are listed or deleted per request (S3's cap). */
#define MN_PAGE_MAX       1000
/* A forced delete gives up after this many pages of versions. */
#define MN_DELETE_PAGES_MAX 10000
#define MN_ERR_MAX        768

enum mn_op { MN_OP_CREATE, MN_OP_GET, MN_OP_DELETE };
/* Where the application's keys come from (config.credentials). */
enum mn_cred { MN_CRED_NONE, MN_CRED_RGW, MN_CRED_CONFIGURED };
/* config.public_access, like `mc anonymous set`; MN_PUBLIC_UNSET: absent. */
enum mn_public { MN_PUBLIC_UNSET, MN_PUBLIC_NONE, MN_PUBLIC_DOWNLOAD,
	         MN_PUBLIC_UPLOAD, MN_PUBLIC_PUBLIC };

extern const char *const mn_op_names[];     /* by enum mn_op, NULL-terminated */
extern const char *const mn_cred_names[];   /* by enum mn_cred */
extern const char *const mn_public_names[]; /* by enum mn_public, [0] unused */

/* The step config.  Strings are borrowed from the host or from the json
 * objects held here. */
struct mn_config {
	const char *operation;
	int op;                        /* enum mn_op */
	const char *endpoint;          /* "http(s)://host[:port]" */
	const char *region;            /* "us-east-1" unless set */
	const char *bucket;
	const char *access_key;        /* plain, or ... */
	const char *access_key_secret; /* ... the name of a secret */
	const char *secret_key_secret; /* the name of a secret */
	int insecure;
	const char *ca_file;
	int64_t timeout_ms;            /* per request; 0: pu_http's default */
	int has_versioning, versioning;
	json_object *policy;           /* an object, or NULL */
	const char *public_access;
	int public_mode;               /* enum mn_public */
	json_object *tags;             /* object key -> string, or NULL */
	json_object *lifecycle;        /* array of rule objects, or NULL */
	int force;
	const char *credentials;
	int cred;                      /* enum mn_cred */
	const char *app_user;          /* RGW user's name (default: the bucket) */
	char app_uid[80];              /* MN_RGW_PREFIX + that name ("": not yet
	                                  rendered, or not credentials: rgw) */
	const char *app_access_key, *app_access_key_secret, *app_secret_key_secret;
};

/* Reads and checks the config (rendered == 0: at load, templates pass).
 * Returns 0, or INN_EINVAL / INN_ENOMEM with a one-line reason in err. */
int mn_config_read(const inn_host *host, const inn_step *step, int rendered,
                   struct mn_config *c, char *err, size_t errlen);
void mn_config_free(struct mn_config *c);
/* Non-zero if s is a valid S3 bucket name (3-63 of [a-z0-9.-], letter or
 * digit at both ends, no "..", not an IPv4 address, no reserved prefix or
 * suffix). */
int mn_valid_bucket(const char *s);

/* One run: the connection and where a failure's reason goes. */
struct mn_ctx {
	const inn_host *host;
	inn_step *step;
	const struct mn_config *c;
	char endpoint[1024];     /* config.endpoint without trailing '/' */
	char sigv4[160];         /* "aws:amz:<region>:s3" */
	char *userpwd;           /* "access:secret" (wiped and freed) */
	char err[MN_ERR_MAX];    /* the one-line reason of the last failure */
};

/* A response of mn_call: the status and the S3 error code ("" when none). */
struct mn_resp {
	pu_http_resp r;
	char code[96];
};

/*
 * Sends one signed request: method, path ("/bucket" or "/admin/user"),
 * query (canonical: keys sorted, each "k=v" with v percent-encoded, "" for
 * none -- libcurl 7.88 signs the query as written), body (NULL: none) of
 * content type ctype.  Sets x-amz-content-sha256 to the SHA-256 of the
 * body (the payload is signed, so RGW and S3 reject a body changed on the
 * way) and Content-MD5 whenever there is a body (S3 requires it for
 * ?lifecycle, ?tagging and ?delete).  Returns 0 when a response arrived
 * (any status; its error code in out->code), else INN_ECANCELLED /
 * INN_ETIMEOUT / INN_ERROR with the reason in x->err as "S3 at <endpoint>:
 * <what>: <why>".  Free out with mn_resp_free.
 */
int mn_call(struct mn_ctx *x, const char *what, const char *method, const char *path,
            const char *query, const char *ctype, const char *body,
            struct mn_resp *out);
void mn_resp_free(struct mn_resp *r);
/* x->err = "S3 at <endpoint>: <what>: <status> <Code>: <Message>" for an
 * unexpected answer; returns INN_ERROR. */
int mn_fail(struct mn_ctx *x, const char *what, const struct mn_resp *r);
/* x->err = "S3 at <endpoint>: <what>: <formatted>"; returns INN_ERROR. */
int mn_failf(struct mn_ctx *x, const char *what, const char *fmt, ...)
	INN_PRINTF_LIKE(3, 4);

/* The content of the first <tag>...</tag> within [*p, end): *vs and *ve
 * bound it, *p moves past the closing tag.  Returns 0, or -1 when none. */
int mn_xml_next(const char **p, const char *end, const char *tag,
                const char **vs, const char **ve);
/* The text of [s, e) with XML entities resolved; malloc'd, or NULL. */
char *mn_xml_text(const char *s, const char *e);
/* Appends s to b with &, <, >, " and ' escaped. */
int mn_xml_escape(pu_buf *b, const char *s);

/* The operations of mn_bucket.c: each returns 0 or an error with x->err
 * set.  *exists / *status / *count report what was found. */
int mn_head_bucket(struct mn_ctx *x, int *exists);
int mn_create_bucket(struct mn_ctx *x);
int mn_get_versioning(struct mn_ctx *x, char *status, size_t len);
int mn_put_versioning(struct mn_ctx *x, int enabled);
int mn_put_policy(struct mn_ctx *x, const char *app_uid);
int mn_put_tags(struct mn_ctx *x);
int mn_put_lifecycle(struct mn_ctx *x);
/* Lists (and with remove set, deletes) every object version and delete
 * marker; *count says how many there were (with remove: deleted);
 * first (may be NULL) gets the first key seen. */
int mn_empty_bucket(struct mn_ctx *x, int remove, size_t *count,
                    char *first, size_t firstlen);
int mn_delete_bucket(struct mn_ctx *x);
/* The policy document create would put, or NULL when the bucket policy is
 * to be removed (*remove set) or left alone (neither); malloc'd. */
char *mn_policy_document(const struct mn_config *c, const char *app_uid, int *remove,
                         char *err, size_t errlen);

/* RGW admin ops (/admin/user, admin caps users=*) on the application user
 * uid (MN_RGW_PREFIX + name).  A user is only used when it is innominatus's:
 * its user_id is uid exactly (no tenant, same case), its display name is
 * MN_RGW_MARKER + name, it has no admin caps, none of its keys is the
 * connection's and it is not the owner of the connection's access key;
 * anything else is a step error ("... was not made by innominatus").
 * mn_rgw_user_ensure gets the user or creates it (a concurrent create,
 * 409 UserAlreadyExists, is read again); its first S3 key pair into
 * *access / *secret (malloc'd, masked); *created says whether it was new.
 * mn_rgw_user_check only vets it (*exists: found).  mn_rgw_user_delete
 * vets and removes it (absent is fine). */
int mn_rgw_user_ensure(struct mn_ctx *x, const char *uid, char **access, char **secret,
                       int *created);
int mn_rgw_user_check(struct mn_ctx *x, const char *uid, int *exists);
int mn_rgw_user_delete(struct mn_ctx *x, const char *uid);

#endif /* INN_MINIO_INT_H */
