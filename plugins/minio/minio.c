/*
 * minio.c - the "minio" step plugin: an S3 bucket on MinIO, Ceph RGW or
 * any S3 server, through the S3 REST API signed with AWS Signature V4
 * (libcurl's, through pu_http) -- no mc or aws CLI needed.  create makes
 * the bucket (idempotent) and applies versioning, a bucket policy, tags
 * and lifecycle rules as configured, then hands the application keys: a
 * per-application user made through Ceph RGW's admin ops API, or the
 * configured keys passed through; get reports a bucket; delete removes an
 * empty bucket, or with force its objects and versions first.  Keys come
 * from host secrets only; a dry run makes read-only calls alone.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minio_int.h"

#ifdef PACKAGE_VERSION
#define MN_VERSION PACKAGE_VERSION
#else
#define MN_VERSION "0.1.0"
#endif

/* The value of a key: plain, or from the secret named in secret_field. */
static int
key_value(struct mn_ctx *x, const char *plain, const char *secret_field,
          const char *secret_name, const char **out)
{
	*out = plain;
	if (plain != NULL || secret_name == NULL)
		return 0;
	if (x->host->secret(x->step, secret_name, out) != 0 || *out == NULL ||
	    **out == '\0') {
		snprintf(x->err, sizeof(x->err), "config.%s: %s", secret_field,
		         x->host->last_error() && *x->host->last_error() ?
		         x->host->last_error() : "the secret is not defined");
		return INN_EINVAL;
	}
	return 0;
}

/* The connection: endpoint, signing scope and "access:secret". */
static int
connect_ctx(struct mn_ctx *x)
{
	const struct mn_config *c = x->c;
	const char *ak, *sk;
	size_t n;
	int rc;

	snprintf(x->endpoint, sizeof(x->endpoint), "%s", c->endpoint);
	n = strlen(x->endpoint);
	while (n > 0 && x->endpoint[n - 1] == '/')
		x->endpoint[--n] = '\0';
	snprintf(x->sigv4, sizeof(x->sigv4), "aws:amz:%s:s3", c->region);
	if (c->insecure && strncmp(x->endpoint, "https://", 8) == 0)
		x->host->log(x->step, INN_LOG_WARN, "insecure_skip_tls_verify: the "
		             "certificate of %s is not verified", x->endpoint);
	if ((rc = key_value(x, c->access_key, "access_key_secret", c->access_key_secret,
	                    &ak)) != 0 ||
	    (rc = key_value(x, NULL, "secret_key_secret", c->secret_key_secret, &sk)) != 0)
		return rc;
	if (strchr(ak, ':') != NULL) {
		snprintf(x->err, sizeof(x->err), "config.access_key_secret: the access key "
		         "must not contain ':'");
		return INN_EINVAL;
	}
	n = strlen(ak) + strlen(sk) + 2;
	if ((x->userpwd = malloc(n)) == NULL)
		return INN_ENOMEM;
	snprintf(x->userpwd, n, "%s:%s", ak, sk);
	return 0;
}

static int
out(struct mn_ctx *x, const char *key, const char *value, uint32_t flags)
{
	int rc = x->host->output(x->step, key, value, flags);

	if (rc != 0)
		snprintf(x->err, sizeof(x->err), "output %s: %s", key, x->host->last_error());
	return rc;
}

/* endpoint, bucket, arn, region: the outputs every operation gives. */
static int
out_bucket(struct mn_ctx *x)
{
	char arn[128];
	int rc;

	snprintf(arn, sizeof(arn), "arn:aws:s3:::%s", x->c->bucket);
	if ((rc = out(x, "endpoint", x->endpoint, 0)) != 0 ||
	    (rc = out(x, "bucket", x->c->bucket, 0)) != 0 ||
	    (rc = out(x, "arn", arn, 0)) != 0)
		return rc;
	return out(x, "region", x->c->region, 0);
}

/* versioning: Enabled, Suspended or Off. */
static int
out_versioning(struct mn_ctx *x)
{
	char st[16];
	int rc;

	if ((rc = mn_get_versioning(x, st, sizeof(st))) != 0)
		return rc;
	return out(x, "versioning", st[0] ? st : "Off", 0);
}

/* What create would change, for a dry run. */
static void
log_plan(struct mn_ctx *x, int exists)
{
	const struct mn_config *c = x->c;
	const inn_host *h = x->host;
	char err[128];
	int remove = 0;
	char *doc;

	h->log(x->step, INN_LOG_INFO, "dry-run: bucket %s %s", c->bucket,
	       exists ? "exists" : "would be created");
	if (c->has_versioning)
		h->log(x->step, INN_LOG_INFO, "dry-run: versioning would be %s",
		       c->versioning ? "enabled" : "suspended (if enabled)");
	doc = mn_policy_document(c, c->cred == MN_CRED_RGW ? c->app_uid : NULL,
	                         &remove, err, sizeof(err));
	if (doc != NULL || remove)
		h->log(x->step, INN_LOG_INFO, "dry-run: bucket policy would be %s%s",
		       remove ? "removed" : "set to ", doc ? doc : "");
	free(doc);
	if (c->tags != NULL)
		h->log(x->step, INN_LOG_INFO, "dry-run: %d tag(s) would be set",
		       json_object_object_length(c->tags));
	if (c->lifecycle != NULL)
		h->log(x->step, INN_LOG_INFO, "dry-run: %zu lifecycle rule(s) would be set",
		       json_object_array_length(c->lifecycle));
	if (c->cred == MN_CRED_RGW)
		h->log(x->step, INN_LOG_INFO, "dry-run: RGW user %s would be made (or "
		       "reused) for the application's keys", c->app_uid);
}

/* The application's keys as secret outputs. */
static int
credentials(struct mn_ctx *x)
{
	const struct mn_config *c = x->c;
	char *ak = NULL, *sk = NULL;
	const char *cak, *csk;
	int rc = 0, created;

	if (c->cred == MN_CRED_RGW) {
		const char *uid = c->app_uid;

		if ((rc = mn_rgw_user_ensure(x, uid, &ak, &sk, &created)) != 0)
			return rc;
		x->host->log(x->step, INN_LOG_INFO, "RGW user %s %s; its key %s", uid,
		             created ? "created" : "exists", created ? "is new" :
		             "is reused");
		if ((rc = out(x, "user", uid, 0)) == 0 &&
		    (rc = out(x, "access_key", ak, INN_OUTPUT_SECRET)) == 0)
			rc = out(x, "secret_key", sk, INN_OUTPUT_SECRET);
		free(ak);
		if (sk != NULL) {
			memset(sk, 0, strlen(sk));
			free(sk);
		}
		return rc;
	}
	if (c->cred != MN_CRED_CONFIGURED)
		return 0;
	if (c->app_secret_key_secret == NULL) {
		/* the connection's own keys: what the original handed out */
		x->host->log(x->step, INN_LOG_WARN, "credentials: configured without "
		             "app_secret_key_secret: the application gets the keys this "
		             "step connects with");
		csk = strchr(x->userpwd, ':') + 1;
		if ((ak = strndup(x->userpwd, (size_t)(csk - 1 - x->userpwd))) == NULL)
			return INN_ENOMEM;
		if ((rc = out(x, "access_key", ak, INN_OUTPUT_SECRET)) == 0)
			rc = out(x, "secret_key", csk, INN_OUTPUT_SECRET);
		free(ak);
		return rc;
	}
	if ((rc = key_value(x, c->app_access_key, "app_access_key_secret",
	                    c->app_access_key_secret, &cak)) != 0 ||
	    (rc = key_value(x, NULL, "app_secret_key_secret", c->app_secret_key_secret,
	                    &csk)) != 0)
		return rc;
	if ((rc = out(x, "access_key", cak, INN_OUTPUT_SECRET)) == 0)
		rc = out(x, "secret_key", csk, INN_OUTPUT_SECRET);
	return rc;
}

static int
op_create(struct mn_ctx *x)
{
	const struct mn_config *c = x->c;
	int exists, rc, user;
	char st[16];

	if ((rc = mn_head_bucket(x, &exists)) != 0)
		return rc;
	if (x->host->dry_run(x->step)) {
		/* a user that is not innominatus's fails the dry run as it would
		 * fail the run (reads only) */
		if (c->cred == MN_CRED_RGW && (rc = mn_rgw_user_check(x, c->app_uid,
		                                                      &user)) != 0)
			return rc;
		log_plan(x, exists);
		return out_bucket(x);
	}
	if (!exists) {
		if ((rc = mn_create_bucket(x)) != 0)
			return rc;
		x->host->log(x->step, INN_LOG_INFO, "bucket %s created at %s", c->bucket,
		             x->endpoint);
	} else {
		x->host->log(x->step, INN_LOG_INFO, "bucket %s exists at %s", c->bucket,
		             x->endpoint);
	}
	if (c->has_versioning) {
		if (c->versioning)
			rc = mn_put_versioning(x, 1);
		else if ((rc = mn_get_versioning(x, st, sizeof(st))) == 0 &&
		         strcmp(st, "Enabled") == 0)
			rc = mn_put_versioning(x, 0);
		if (rc != 0)
			return rc;
	}
	/* the user first: the policy grants it the bucket */
	if ((rc = credentials(x)) != 0 ||
	    (rc = mn_put_policy(x, c->cred == MN_CRED_RGW ? c->app_uid : NULL)) != 0 ||
	    (rc = mn_put_tags(x)) != 0 || (rc = mn_put_lifecycle(x)) != 0)
		return rc;
	if ((rc = out_bucket(x)) != 0)
		return rc;
	return out_versioning(x);
}

static int
op_get(struct mn_ctx *x)
{
	int exists, rc;

	if ((rc = mn_head_bucket(x, &exists)) != 0 || (rc = out_bucket(x)) != 0 ||
	    (rc = out(x, "exists", exists ? "true" : "false", 0)) != 0)
		return rc;
	x->host->log(x->step, INN_LOG_INFO, "bucket %s %s at %s", x->c->bucket,
	             exists ? "exists" : "does not exist", x->endpoint);
	return exists ? out_versioning(x) : 0;
}

static int
op_delete(struct mn_ctx *x)
{
	const struct mn_config *c = x->c;
	const char *uid = c->app_uid;
	int exists, rc, dry = x->host->dry_run(x->step), user = 0;
	size_t count = 0;
	char first[256] = "", w[128], n[32];

	if ((rc = mn_head_bucket(x, &exists)) != 0 || (rc = out_bucket(x)) != 0)
		return rc;
	/* a user that is not innominatus's is refused before anything goes */
	if (c->cred == MN_CRED_RGW && (rc = mn_rgw_user_check(x, uid, &user)) != 0)
		return rc;
	if (!exists) {
		x->host->log(x->step, INN_LOG_INFO, "bucket %s does not exist at %s: "
		             "nothing to delete", c->bucket, x->endpoint);
	} else {
		if ((rc = mn_empty_bucket(x, 0, &count, first, sizeof(first))) != 0)
			return rc;
		if (count > 0 && !c->force) {
			snprintf(w, sizeof(w), "delete-bucket %s", c->bucket);
			return mn_failf(x, w, "the bucket is not empty (it holds \"%.100s\"%s); "
			                "set force: true to delete its objects and their "
			                "versions with it", first, count > 1 ? " and more" : "");
		}
		if (dry) {
			x->host->log(x->step, INN_LOG_INFO, "dry-run: bucket %s would be "
			             "deleted%s", c->bucket, count ? " with all its objects "
			             "and versions" : " (it is empty)");
		} else {
			if (count > 0 && (rc = mn_empty_bucket(x, 1, &count, NULL, 0)) != 0)
				return rc;
			if ((rc = mn_delete_bucket(x)) != 0)
				return rc;
			x->host->log(x->step, INN_LOG_INFO, "bucket %s deleted (%zu object "
			             "version(s) and delete marker(s) removed first)",
			             c->bucket, count);
		}
	}
	if (c->cred == MN_CRED_RGW && user) {
		if (dry)
			x->host->log(x->step, INN_LOG_INFO, "dry-run: RGW user %s would be "
			             "deleted", uid);
		else if ((rc = mn_rgw_user_delete(x, uid)) != 0)
			return rc;
		else
			x->host->log(x->step, INN_LOG_INFO, "RGW user %s deleted", uid);
	}
	snprintf(n, sizeof(n), "%zu", dry ? 0 : count);
	if ((rc = out(x, "deleted", exists && !dry ? "true" : "false", 0)) != 0)
		return rc;
	return out(x, "objects_deleted", n, 0);
}

PU_DEFINE_VALIDATE(mn_validate, struct mn_config, mn_config_read, mn_config_free);

/*
 * Runs the step: reads the rendered config, connects (keys from secrets)
 * and runs the operation.  Returns INN_OK, INN_EINVAL (config, secrets),
 * INN_ERROR (the server refused or could not be reached), INN_ETIMEOUT,
 * INN_ECANCELLED or INN_ENOMEM, always after logging why in one line.
 */
static int
mn_execute(void *state, const inn_host *host, inn_step *step)
{
	struct mn_config c;
	struct mn_ctx x;
	int rc;

	(void)state;
	memset(&x, 0, sizeof(x));
	if ((rc = mn_config_read(host, step, 1, &c, x.err, sizeof(x.err))) != 0) {
		host->log(step, INN_LOG_ERROR, "%s", x.err);
		return rc;
	}
	x.host = host;
	x.step = step;
	x.c = &c;
	if ((rc = connect_ctx(&x)) == 0) {
		switch (c.op) {
		case MN_OP_CREATE: rc = op_create(&x); break;
		case MN_OP_GET: rc = op_get(&x); break;
		default: rc = op_delete(&x); break;
		}
	}
	if (rc == INN_ENOMEM && x.err[0] == '\0')
		snprintf(x.err, sizeof(x.err), "out of memory");
	if (rc != 0)
		host->log(step, INN_LOG_ERROR, "%s", x.err[0] ? x.err : "minio step failed");
	if (x.userpwd != NULL) {
		memset(x.userpwd, 0, strlen(x.userpwd));
		free(x.userpwd);
	}
	mn_config_free(&c);
	return rc;
}

static const char *const mn_step_types[] = { "minio", NULL };

static const char mn_config_schema[] =
	PU_CONFIG_SCHEMA_HEAD
	"\"required\":[\"endpoint\",\"bucket\",\"secret_key_secret\"],"
	"\"oneOf\":[{\"required\":[\"access_key\"]},{\"required\":"
	"[\"access_key_secret\"]}],"
	"\"properties\":{"
	"\"operation\":{\"enum\":[\"create\",\"get\",\"delete\"],\"default\":\"create\"},"
	"\"endpoint\":{\"type\":\"string\",\"pattern\":\"^https?://[^@?#/]+\","
	"\"description\":\"the S3 server; path-style requests\"},"
	"\"region\":{\"type\":\"string\",\"default\":\"us-east-1\"},"
	"\"bucket\":{\"type\":\"string\",\"pattern\":"
	"\"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$\"},"
	"\"access_key\":{\"type\":\"string\"},"
	"\"access_key_secret\":{\"type\":\"string\",\"description\":\"name of a "
	"secret holding the access key\"},"
	"\"secret_key_secret\":{\"type\":\"string\",\"description\":\"name of a "
	"secret holding the secret key\"},"
	"\"insecure_skip_tls_verify\":{\"type\":\"boolean\",\"default\":false},"
	"\"ca_file\":{\"type\":\"string\"},"
	"\"timeout\":{\"type\":[\"string\",\"number\"],\"description\":\"per "
	"request\"},"
	"\"versioning\":{\"type\":\"boolean\",\"description\":\"true: Enabled; "
	"false: Suspended if it was enabled; absent: left alone\"},"
	"\"policy\":{\"type\":[\"object\",\"string\"],\"description\":\"a bucket "
	"policy document\"},"
	"\"public_access\":{\"enum\":[\"none\",\"download\",\"upload\",\"public\"],"
	"\"description\":\"anonymous access as mc anonymous set\"},"
	"\"tags\":{\"type\":\"object\",\"maxProperties\":50,"
	"\"additionalProperties\":{\"type\":[\"string\",\"number\",\"boolean\"]},"
	"\"description\":\"{} removes the tags\"},"
	"\"lifecycle\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
	"\"additionalProperties\":false,\"properties\":{\"id\":{\"type\":\"string\"},"
	"\"prefix\":{\"type\":\"string\"},\"expire_days\":{\"type\":\"integer\","
	"\"minimum\":1},\"noncurrent_expire_days\":{\"type\":\"integer\","
	"\"minimum\":1},\"abort_incomplete_days\":{\"type\":\"integer\","
	"\"minimum\":1}}},\"description\":\"[] removes the rules\"},"
	"\"force\":{\"type\":\"boolean\",\"default\":false,\"description\":\"delete: "
	"remove all objects and versions first\"},"
	"\"credentials\":{\"enum\":[\"none\",\"rgw\",\"configured\"],\"default\":"
	"\"none\"},"
	"\"app_user\":{\"type\":\"string\",\"description\":\"credentials: rgw: the "
	"application user's name (default: the bucket name); the RGW user is "
	"inn-app-<name>\"},"
	"\"app_access_key\":{\"type\":\"string\"},"
	"\"app_access_key_secret\":{\"type\":\"string\"},"
	"\"app_secret_key_secret\":{\"type\":\"string\"}"
	"}}";

static const char mn_outputs_schema[] =
	"{\"type\":\"object\",\"properties\":{"
	"\"endpoint\":{\"type\":\"string\"},\"bucket\":{\"type\":\"string\"},"
	"\"arn\":{\"type\":\"string\"},\"region\":{\"type\":\"string\"},"
	"\"versioning\":{\"enum\":[\"Enabled\",\"Suspended\",\"Off\"]},"
	"\"exists\":{\"enum\":[\"true\",\"false\"],\"description\":\"get\"},"
	"\"deleted\":{\"enum\":[\"true\",\"false\"],\"description\":\"delete\"},"
	"\"objects_deleted\":{\"type\":\"string\",\"description\":\"delete\"},"
	"\"user\":{\"type\":\"string\",\"description\":\"credentials: rgw\"},"
	"\"access_key\":{\"type\":\"string\",\"description\":\"secret\"},"
	"\"secret_key\":{\"type\":\"string\",\"description\":\"secret\"}"
	"}}";

PU_DEFINE_PLUGIN(INN_PLUGIN_DRY_RUN | INN_PLUGIN_IDEMPOTENT | INN_PLUGIN_CANCELLABLE,
                 "minio", MN_VERSION, mn_step_types, mn_config_schema,
                 mn_outputs_schema, NULL, mn_validate, mn_execute, NULL)
