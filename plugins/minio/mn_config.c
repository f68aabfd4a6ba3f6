/*
 * mn_config.c - minio.so's step config: the field table, S3 bucket name
 * rules, the connection and credential fields, and the shapes of policy,
 * tags and lifecycle (see minio_int.h).  Templates pass at load; every
 * check runs again on the rendered config.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minio_int.h"

const char *const mn_op_names[] = { "create", "get", "delete", NULL };
const char *const mn_cred_names[] = { "none", "rgw", "configured", NULL };
const char *const mn_public_names[] = { "", "none", "download", "upload", "public",
	                                NULL };

static const pu_field config_fields[] = {
	PU_FIELD("operation", PU_STRING, struct mn_config, operation),
	PU_FIELD("endpoint", PU_STRING, struct mn_config, endpoint),
	PU_FIELD("region", PU_STRING, struct mn_config, region),
	PU_FIELD("bucket", PU_STRING, struct mn_config, bucket),
	PU_FIELD("access_key", PU_STRING, struct mn_config, access_key),
	PU_FIELD("access_key_secret", PU_STRING, struct mn_config, access_key_secret),
	PU_FIELD("secret_key_secret", PU_STRING, struct mn_config, secret_key_secret),
	PU_FIELD("insecure_skip_tls_verify", PU_BOOL, struct mn_config, insecure),
	PU_FIELD("ca_file", PU_STRING, struct mn_config, ca_file),
	PU_FIELD("timeout", PU_TIMEOUT, struct mn_config, timeout_ms),
	PU_FIELD_OTHER("versioning"),
	PU_FIELD_OTHER("policy"),
	PU_FIELD("public_access", PU_STRING, struct mn_config, public_access),
	PU_FIELD_OTHER("tags"),
	PU_FIELD_OTHER("lifecycle"),
	PU_FIELD("force", PU_BOOL, struct mn_config, force),
	PU_FIELD("credentials", PU_STRING, struct mn_config, credentials),
	PU_FIELD("app_user", PU_STRING, struct mn_config, app_user),
	PU_FIELD("app_access_key", PU_STRING, struct mn_config, app_access_key),
	PU_FIELD("app_access_key_secret", PU_STRING, struct mn_config,
	         app_access_key_secret),
	PU_FIELD("app_secret_key_secret", PU_STRING, struct mn_config,
	         app_secret_key_secret),
	{ NULL, PU_OTHER, 0, NULL }
};

void
mn_config_free(struct mn_config *c)
{
	pu_config_free(config_fields, c);
	json_object_put(c->policy);
	json_object_put(c->tags);
	json_object_put(c->lifecycle);
	memset(c, 0, sizeof(*c));
}

/* "checked now": a value that is not a template, or any rendered one. */
static int
settled(int rendered, const char *s)
{
	return s != NULL && (rendered || !pu_is_template(s));
}

static int
is_lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

int
mn_valid_bucket(const char *s)
{
	size_t n = strlen(s), i, dots = 0, digits = 0;

	if (n < 3 || n > 63 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return 0;
	for (i = 0; i < n; i++) {
		if (!is_lower_alnum(s[i]) && s[i] != '.' && s[i] != '-')
			return 0;
		if (s[i] == '.' && (s[i + 1] == '.' || s[i + 1] == '-' ||
		    (i > 0 && s[i - 1] == '-')))
			return 0;
		dots += s[i] == '.';
		digits += s[i] >= '0' && s[i] <= '9';
	}
	if (dots == 3 && digits + dots == n)   /* formatted as an IPv4 address */
		return 0;
	if (strncmp(s, "xn--", 4) == 0 || strncmp(s, "sthree-", 7) == 0 ||
	    (n > 8 && strcmp(s + n - 8, "-s3alias") == 0) ||
	    (n > 7 && strcmp(s + n - 7, "--ol-s3") == 0))
		return 0;
	return 1;
}

/* A secret's name as the engine's secrets: config spells them. */
static int
valid_secret_name(const char *s)
{
	return *s != '\0' && strlen(s) <= 128 && pu_chars_ok(s, "-.");
}

/* An RGW user id: [A-Za-z0-9_.-]{1,64} (no '$': no tenants). */
static int
valid_uid(const char *s)
{
	return *s != '\0' && strlen(s) <= 64 && pu_chars_ok(s, "-.");
}

/* The fields that decide where the signed requests go, whom they trust
 * and which key id they carry: written out in the workflow or the step
 * defaults, never rendered from a parameter or another step's output (the
 * access key id would go where a parameter points). */
static const char *const literal_fields[] = { "endpoint", "region", "ca_file",
	"insecure_skip_tls_verify", "access_key", "access_key_secret",
	"secret_key_secret", NULL };

static int
check_literals(const inn_host *host, const inn_step *step, char *err, size_t errlen)
{
	const char *s;
	size_t i;

	for (i = 0; literal_fields[i] != NULL; i++)
		if (host->input_type(step, literal_fields[i]) == INN_VALUE_STRING &&
		    host->input_string(step, literal_fields[i], &s) == 0 &&
		    pu_is_template(s))
			return pu_refuse_templated("config", literal_fields[i], err, errlen);
	return 0;
}

static int
pick(const char *field, const char *v, const char *const *names, int first,
     int *out, char *err, size_t errlen)
{
	int i;

	for (i = first; names[i] != NULL; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return pu_refuse(err, errlen, "config.%s: \"%s\" is not one of %s", field, v,
	                 names == mn_op_names ? "create, get, delete" :
	                 names == mn_cred_names ? "none, rgw, configured" :
	                 "none, download, upload, public");
}

/* The value at field as json-c (NULL when absent); with want (an enum
 * inn_value_type; 0: any) of that type, else "config.<field>: must be
 * <shape>". */
static int
read_json(const inn_host *host, const inn_step *step, const char *field, int want,
          const char *shape, json_object **out, char *err, size_t errlen)
{
	char *text = NULL;
	enum json_tokener_error jerr;
	int t = host->input_type(step, field);

	*out = NULL;
	if (t == INN_VALUE_ABSENT)
		return 0;
	if (want != 0 && t != want)
		return pu_refuse(err, errlen, "config.%s: must be %s", field, shape);
	if (host->input_json(step, field, &text) != 0)
		return pu_refuse(err, errlen, "config.%s: %s", field, host->last_error());
	*out = json_tokener_parse_verbose(text, &jerr);
	host->free(text);
	if (*out == NULL)
		return pu_refuse(err, errlen, "config.%s: cannot read its value: %s", field,
		                 json_tokener_error_desc(jerr));
	return 0;
}

static int
has_template(json_object *o)
{
	return json_object_is_type(o, json_type_string) &&
	       pu_is_template(json_object_get_string(o));
}

/* config.policy: a bucket policy document, as an object or as a string of
 * JSON text holding one; exclusive with public_access. */
static int
read_policy(const inn_host *host, const inn_step *step, int rendered,
            struct mn_config *c, char *err, size_t errlen)
{
	json_object *doc;
	int rc;

	if ((rc = read_json(host, step, "policy", 0, NULL, &c->policy, err, errlen)) != 0 ||
	    c->policy == NULL)
		return rc;
	if (c->public_access != NULL)
		return pu_refuse(err, errlen, "config.policy: give either policy (a "
		                 "document) or public_access (a preset), not both");
	if (json_object_is_type(c->policy, json_type_string)) {
		if (!rendered && has_template(c->policy))
			return 0;
		doc = json_tokener_parse(json_object_get_string(c->policy));
		if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
			json_object_put(doc);
			return pu_refuse(err, errlen, "config.policy: a string must hold "
			                 "a JSON object (a bucket policy document)");
		}
		json_object_put(c->policy);
		c->policy = doc;
	}
	if (!json_object_is_type(c->policy, json_type_object))
		return pu_refuse(err, errlen, "config.policy: must be a bucket policy "
		                 "document (an object with \"Statement\"), or a string "
		                 "of one as JSON");
	if (!json_object_object_get_ex(c->policy, "Statement", &doc))
		return pu_refuse(err, errlen, "config.policy: the document has no "
		                 "\"Statement\"");
	return 0;
}

/* config.tags: an object of at most 50 keys (1-128 bytes) -> values (at
 * most 256 bytes; numbers and booleans are written as text). */
static int
read_tags(const inn_host *host, const inn_step *step, struct mn_config *c,
          char *err, size_t errlen)
{
	int rc;

	if ((rc = read_json(host, step, "tags", INN_VALUE_OBJECT, "an object of tag "
	                    "key -> value", &c->tags, err, errlen)) != 0 || c->tags == NULL)
		return rc;
	if (json_object_object_length(c->tags) > 50)
		return pu_refuse(err, errlen, "config.tags: S3 allows at most 50 tags "
		                 "on a bucket, not %d", json_object_object_length(c->tags));
	json_object_object_foreach(c->tags, k, v) {
		if (*k == '\0' || strlen(k) > 128)
			return pu_refuse(err, errlen, "config.tags: a tag key must be 1 to "
			                 "128 bytes long");
		if (!json_object_is_type(v, json_type_string) &&
		    !json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double) &&
		    !json_object_is_type(v, json_type_boolean))
			return pu_refuse(err, errlen, "config.tags.%s: must be a string, "
			                 "number or boolean", k);
		if (strlen(json_object_get_string(v)) > 256)
			return pu_refuse(err, errlen, "config.tags.%s: a tag value must be "
			                 "at most 256 bytes long", k);
	}
	return 0;
}

/* A lifecycle rule's day count: a positive integer (a template before
 * rendering). */
static int
read_days(json_object *rule, const char *name, size_t i, int rendered, int *seen,
          char *err, size_t errlen)
{
	json_object *v;

	if (!json_object_object_get_ex(rule, name, &v))
		return 0;
	*seen = 1;
	if (!rendered && has_template(v))
		return 0;
	if (json_object_is_type(v, json_type_string)) {
		char *end;
		long n = strtol(json_object_get_string(v), &end, 10);

		if (*end == '\0' && end != json_object_get_string(v) && n > 0 &&
		    n <= 100000)
			return 0;
	} else if (json_object_is_type(v, json_type_int) &&
	           json_object_get_int64(v) > 0 && json_object_get_int64(v) <= 100000) {
		return 0;
	}
	return pu_refuse(err, errlen, "config.lifecycle.%zu.%s: must be a whole number "
	                 "of days from 1 to 100000", i, name);
}

/* config.lifecycle: a list (at most 1000) of {id, prefix, expire_days,
 * noncurrent_expire_days, abort_incomplete_days}, each with at least one
 * of the day counts; [] removes the configuration. */
static int
read_lifecycle(const inn_host *host, const inn_step *step, int rendered,
               struct mn_config *c, char *err, size_t errlen)
{
	static const char *const known[] = { "id", "prefix", "expire_days",
		"noncurrent_expire_days", "abort_incomplete_days", NULL };
	size_t i, n;
	int rc;

	if ((rc = read_json(host, step, "lifecycle", INN_VALUE_ARRAY, "a list of rules "
	                    "({prefix, expire_days, noncurrent_expire_days, "
	                    "abort_incomplete_days, id})", &c->lifecycle, err, errlen)) != 0 ||
	    c->lifecycle == NULL)
		return rc;
	n = json_object_array_length(c->lifecycle);
	if (n > 1000)
		return pu_refuse(err, errlen, "config.lifecycle: S3 allows at most 1000 "
		                 "rules");
	for (i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(c->lifecycle, i), *v;
		int seen = 0, j;

		if (!json_object_is_type(r, json_type_object))
			return pu_refuse(err, errlen, "config.lifecycle.%zu: must be an "
			                 "object", i);
		json_object_object_foreach(r, k, val) {
			for (j = 0; known[j] != NULL && strcmp(known[j], k) != 0; j++)
				;
			if (known[j] == NULL)
				return pu_refuse(err, errlen, "config.lifecycle.%zu: unknown "
				                 "field \"%s\" (known: id, prefix, expire_days, "
				                 "noncurrent_expire_days, abort_incomplete_days)",
				                 i, k);
			if (j < 2 && !json_object_is_type(val, json_type_string))
				return pu_refuse(err, errlen, "config.lifecycle.%zu.%s: must "
				                 "be a string", i, k);
		}
		if ((rc = read_days(r, "expire_days", i, rendered, &seen, err, errlen)) ||
		    (rc = read_days(r, "noncurrent_expire_days", i, rendered, &seen, err,
		                    errlen)) ||
		    (rc = read_days(r, "abort_incomplete_days", i, rendered, &seen, err,
		                    errlen)))
			return rc;
		if (!seen)
			return pu_refuse(err, errlen, "config.lifecycle.%zu: a rule needs "
			                 "expire_days, noncurrent_expire_days or "
			                 "abort_incomplete_days", i);
		if (json_object_object_get_ex(r, "id", &v) &&
		    strlen(json_object_get_string(v)) > 255)
			return pu_refuse(err, errlen, "config.lifecycle.%zu.id: at most 255 "
			                 "bytes", i);
	}
	return 0;
}

/* endpoint: http(s)://host[:port], no credentials, query or fragment. */
static int
check_endpoint(const char *e, char *err, size_t errlen)
{
	const char *host;

	if (strncmp(e, "http://", 7) == 0)
		host = e + 7;
	else if (strncmp(e, "https://", 8) == 0)
		host = e + 8;
	else
		return pu_refuse(err, errlen, "config.endpoint: \"%.200s\" must start with "
		                 "http:// or https://", e);
	if (*host == '\0' || *host == '/' || strlen(e) > 1000)
		return pu_refuse(err, errlen, "config.endpoint: names no host");
	if (strpbrk(host, "@?# \t\r\n") != NULL)
		return pu_refuse(err, errlen, "config.endpoint: must be a plain "
		                 "http(s)://host[:port] URL (no user, query or fragment; "
		                 "keys go in access_key and secret_key_secret)");
	return 0;
}

/* The fields that name where the keys come from. */
static int
check_keys(int rendered, struct mn_config *c, char *err, size_t errlen)
{
	const char *const names[] = { "access_key_secret", "secret_key_secret",
		"app_access_key_secret", "app_secret_key_secret" };
	const char *const vals[] = { c->access_key_secret, c->secret_key_secret,
		c->app_access_key_secret, c->app_secret_key_secret };
	size_t i;

	if ((c->access_key == NULL) == (c->access_key_secret == NULL))
		return pu_refuse(err, errlen, "config: needs exactly one of access_key "
		                 "(the key id) or access_key_secret (the name of a secret "
		                 "holding it)");
	if (c->secret_key_secret == NULL)
		return pu_refuse(err, errlen, "config.secret_key_secret: required (the "
		                 "name of the secret holding the secret key)");
	for (i = 0; i < 4; i++)
		if (settled(rendered, vals[i]) && !valid_secret_name(vals[i]))
			return pu_refuse(err, errlen, "config.%s: \"%.100s\" is not a secret "
			                 "name ([A-Za-z0-9_.-], at most 128)", names[i], vals[i]);
	if (settled(rendered, c->access_key) &&
	    (*c->access_key == '\0' || strchr(c->access_key, ':') != NULL ||
	     strlen(c->access_key) > 128))
		return pu_refuse(err, errlen, "config.access_key: must be 1 to 128 bytes "
		                 "without ':'");
	if (c->cred == MN_CRED_CONFIGURED && c->app_secret_key_secret != NULL &&
	    c->app_access_key == NULL && c->app_access_key_secret == NULL)
		return pu_refuse(err, errlen, "config.app_secret_key_secret: needs "
		                 "app_access_key or app_access_key_secret");
	if (c->cred != MN_CRED_CONFIGURED && (c->app_access_key != NULL ||
	    c->app_access_key_secret != NULL || c->app_secret_key_secret != NULL))
		return pu_refuse(err, errlen, "config.app_access_key / app_*_secret: "
		                 "only apply with credentials: configured");
	if (c->cred != MN_CRED_RGW && c->app_user != NULL)
		return pu_refuse(err, errlen, "config.app_user: only applies with "
		                 "credentials: rgw");
	if (settled(rendered, c->app_user) && !valid_uid(c->app_user))
		return pu_refuse(err, errlen, "config.app_user: \"%.100s\" is not an RGW "
		                 "user id ([A-Za-z0-9_.-], 1 to 64)", c->app_user);
	/* the user innominatus makes and alone will hand out or delete */
	if (c->cred == MN_CRED_RGW && settled(rendered, c->app_user ? c->app_user :
	                                      c->bucket))
		snprintf(c->app_uid, sizeof(c->app_uid), "%s%s", MN_RGW_PREFIX,
		         c->app_user ? c->app_user : c->bucket);
	return 0;
}

int
mn_config_read(const inn_host *host, const inn_step *step, int rendered,
               struct mn_config *c, char *err, size_t errlen)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if (!rendered && (rc = check_literals(host, step, err, errlen)) != 0)
		return rc;
	if ((rc = pu_config_read(host, step, rendered, config_fields, c, err, errlen)) != 0)
		goto fail;
	rc = INN_EINVAL;
	if (settled(rendered, c->operation) &&
	    pick("operation", c->operation, mn_op_names, 0, &c->op, err, errlen) != 0)
		goto fail;
	if (settled(rendered, c->credentials) &&
	    pick("credentials", c->credentials, mn_cred_names, 0, &c->cred, err, errlen))
		goto fail;
	if (settled(rendered, c->public_access) &&
	    pick("public_access", c->public_access, mn_public_names, 1, &c->public_mode,
	         err, errlen) != 0)
		goto fail;
	if (c->endpoint == NULL) {
		pu_refuse(err, errlen, "config.endpoint: required (the S3 server's URL, "
		          "e.g. https://minio.example.com:9000)");
		goto fail;
	}
	if (settled(rendered, c->endpoint) && check_endpoint(c->endpoint, err, errlen))
		goto fail;
	if (c->bucket == NULL) {
		pu_refuse(err, errlen, "config.bucket: required");
		goto fail;
	}
	if (settled(rendered, c->bucket) && !mn_valid_bucket(c->bucket)) {
		pu_refuse(err, errlen, "config.bucket: \"%.100s\" is not a valid S3 bucket "
		          "name (3-63 of a-z 0-9 . -, starting and ending with a letter "
		          "or digit, not an IP address)", c->bucket);
		goto fail;
	}
	if (c->region == NULL)
		c->region = "us-east-1";
	if (settled(rendered, c->region) &&
	    (*c->region == '\0' || strlen(c->region) > 64 || !pu_chars_ok(c->region, "-"))) {
		pu_refuse(err, errlen, "config.region: \"%.100s\" is not a region name",
		          c->region);
		goto fail;
	}
	if (check_keys(rendered, c, err, errlen) != 0)
		goto fail;
	if ((c->has_versioning = host->input_type(step, "versioning") != INN_VALUE_ABSENT) &&
	    (rc = pu_read_bool(host, step, "versioning", rendered, &c->versioning, err,
	                       errlen)) != 0)
		goto fail;
	if ((rc = read_policy(host, step, rendered, c, err, errlen)) != 0 ||
	    (rc = read_tags(host, step, c, err, errlen)) != 0 ||
	    (rc = read_lifecycle(host, step, rendered, c, err, errlen)) != 0)
		goto fail;
	if (c->force && c->op != MN_OP_DELETE &&
	    (c->operation == NULL || settled(rendered, c->operation))) {
		rc = pu_refuse(err, errlen, "config.force: only applies to operation: "
		               "delete");
		goto fail;
	}
	return 0;
fail:
	mn_config_free(c);
	return rc;
}
