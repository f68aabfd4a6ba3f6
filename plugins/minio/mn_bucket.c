/*
 * mn_bucket.c - minio.so's operations, one S3 (or RGW admin ops) call
 * each: HeadBucket, CreateBucket, Put/GetBucketVersioning, the bucket
 * policy (a document, or one made from a public_access preset the way
 * `mc anonymous set` makes it, plus a grant for the application's RGW
 * user), PutBucketTagging, PutBucketLifecycleConfiguration,
 * ListObjectVersions + DeleteObjects, DeleteBucket, and the RGW user
 * that holds the application's keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "minio_int.h"

#define S3_XMLNS "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""
/* a DeleteObjects body: 1000 keys of up to 1 KiB, each escaped up to 6x */
#define BODY_MAX (8u * 1024 * 1024)

/* "<op> <bucket>" for messages. */
static const char *
what(struct mn_ctx *x, const char *op, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s", op, x->c->bucket);
	return buf;
}

/* "/<bucket>" (a valid bucket name needs no escaping). */
static void
bucket_path(struct mn_ctx *x, char *buf, size_t len)
{
	snprintf(buf, len, "/%s", x->c->bucket);
}

/* One call whose 2xx answer is all that matters (or one of the codes in
 * ok, a NULL-terminated list).  Returns 0 or an error with x->err set. */
static int
simple(struct mn_ctx *x, const char *op, const char *method, const char *query,
       const char *ctype, const char *body, const char *const *ok)
{
	struct mn_resp r;
	char w[128], path[80];
	int rc;

	bucket_path(x, path, sizeof(path));
	what(x, op, w, sizeof(w));
	if ((rc = mn_call(x, w, method, path, query, ctype, body, &r)) != 0)
		return rc;
	if (r.r.status < 200 || r.r.status > 299) {
		for (; ok != NULL && *ok != NULL; ok++)
			if (strcmp(*ok, r.code) == 0)
				break;
		if (ok == NULL || *ok == NULL)
			rc = mn_fail(x, w, &r);
	}
	mn_resp_free(&r);
	return rc;
}

int
mn_head_bucket(struct mn_ctx *x, int *exists)
{
	struct mn_resp r;
	char w[128], path[80];
	int rc;

	*exists = 0;
	bucket_path(x, path, sizeof(path));
	what(x, "head-bucket", w, sizeof(w));
	if ((rc = mn_call(x, w, "HEAD", path, "", NULL, NULL, &r)) != 0)
		return rc;
	if (r.r.status == 200) {
		*exists = 1;
	} else if (r.r.status != 404) {
		/* an answer to HEAD has no body: ask again with a GET
		 * (GetBucketLocation) to learn the server's reason */
		mn_resp_free(&r);
		if ((rc = mn_call(x, w, "GET", path, "location=", NULL, NULL, &r)) != 0)
			return rc;
		if (r.r.status == 200)
			*exists = 1;
		else if (r.r.status != 404 || strcmp(r.code, "NoSuchBucket") != 0)
			rc = mn_fail(x, w, &r);
	}
	mn_resp_free(&r);
	return rc;
}

int
mn_create_bucket(struct mn_ctx *x)
{
	static const char *const ok[] = { "BucketAlreadyOwnedByYou", NULL };
	struct mn_resp r;
	pu_buf b = PU_BUF_INIT(4096);
	char w[128], path[80];
	int rc;

	/* us-east-1 is the default location and must not be named (S3 answers
	 * InvalidLocationConstraint) */
	if (strcmp(x->c->region, "us-east-1") != 0) {
		pu_buf_addf(&b, "<CreateBucketConfiguration " S3_XMLNS "><LocationConstraint>");
		mn_xml_escape(&b, x->c->region);
		pu_buf_adds(&b, "</LocationConstraint></CreateBucketConfiguration>");
		if (b.error)
			return mn_failf(x, "create-bucket", "out of memory");
	}
	bucket_path(x, path, sizeof(path));
	what(x, "create-bucket", w, sizeof(w));
	rc = mn_call(x, w, "PUT", path, "", b.p ? "application/xml" : NULL, b.p, &r);
	pu_buf_free(&b);
	if (rc != 0)
		return rc;
	if ((r.r.status < 200 || r.r.status > 299) && strcmp(r.code, ok[0]) != 0) {
		if (strcmp(r.code, "BucketAlreadyExists") == 0)
			rc = mn_failf(x, w, "%ld BucketAlreadyExists: the name is taken by "
			              "another account (bucket names are global on the "
			              "server); choose another bucket name", r.r.status);
		else
			rc = mn_fail(x, w, &r);
	}
	mn_resp_free(&r);
	return rc;
}

int
mn_get_versioning(struct mn_ctx *x, char *status, size_t len)
{
	struct mn_resp r;
	char w[128], path[80];
	const char *p, *vs, *ve;
	int rc;

	status[0] = '\0';
	bucket_path(x, path, sizeof(path));
	what(x, "get-versioning", w, sizeof(w));
	if ((rc = mn_call(x, w, "GET", path, "versioning=", NULL, NULL, &r)) != 0)
		return rc;
	if (r.r.status != 200) {
		rc = mn_fail(x, w, &r);
	} else if (r.r.body != NULL) {
		p = r.r.body;
		if (mn_xml_next(&p, r.r.body + r.r.len, "Status", &vs, &ve) == 0 &&
		    (size_t)(ve - vs) < len &&
		    (ve - vs == 7 || ve - vs == 9)) {  /* Enabled, Suspended */
			memcpy(status, vs, (size_t)(ve - vs));
			status[ve - vs] = '\0';
		}
	}
	mn_resp_free(&r);
	return rc;
}

int
mn_put_versioning(struct mn_ctx *x, int enabled)
{
	char body[256];

	snprintf(body, sizeof(body), "<VersioningConfiguration " S3_XMLNS "><Status>%s"
	         "</Status></VersioningConfiguration>", enabled ? "Enabled" : "Suspended");
	return simple(x, "put-versioning", "PUT", "versioning=", "application/xml", body,
	              NULL);
}

/* Adds one statement granting principal (a JSON value) the actions on the
 * bucket itself and those on its objects (either list may be empty). */
static int
add_statement(json_object *stmts, const char *bucket, const char *sid,
              json_object *principal, const char *const *bucket_actions,
              const char *const *object_actions)
{
	char arn[128];
	const char *const *acts[2] = { bucket_actions, object_actions };
	int i;

	for (i = 0; i < 2; i++) {
		json_object *s, *a, *res;
		char id[80];

		if (acts[i] == NULL || acts[i][0] == NULL)
			continue;
		s = json_object_new_object();
		a = json_object_new_array();
		res = json_object_new_array();
		if (s == NULL || a == NULL || res == NULL) {
			json_object_put(s);
			json_object_put(a);
			json_object_put(res);
			return -1;
		}
		snprintf(id, sizeof(id), "%s-%s", sid, i == 0 ? "bucket" : "objects");
		snprintf(arn, sizeof(arn), "arn:aws:s3:::%s%s", bucket, i == 0 ? "" : "/*");
		for (const char *const *p = acts[i]; *p != NULL; p++)
			json_object_array_add(a, json_object_new_string(*p));
		json_object_array_add(res, json_object_new_string(arn));
		json_object_object_add(s, "Sid", json_object_new_string(id));
		json_object_object_add(s, "Effect", json_object_new_string("Allow"));
		json_object_object_add(s, "Principal", json_object_get(principal));
		json_object_object_add(s, "Action", a);
		json_object_object_add(s, "Resource", res);
		json_object_array_add(stmts, s);
	}
	return 0;
}

/* The anonymous grants of a public_access preset: what `mc anonymous set
 * download|upload|public` writes. */
static int
add_public(json_object *stmts, const char *bucket, int mode)
{
	static const char *const dl_b[] = { "s3:GetBucketLocation", "s3:ListBucket", NULL };
	static const char *const dl_o[] = { "s3:GetObject", NULL };
	static const char *const up_b[] = { "s3:GetBucketLocation",
		"s3:ListBucketMultipartUploads", NULL };
	static const char *const up_o[] = { "s3:AbortMultipartUpload", "s3:DeleteObject",
		"s3:ListMultipartUploadParts", "s3:PutObject", NULL };
	static const char *const pub_b[] = { "s3:GetBucketLocation", "s3:ListBucket",
		"s3:ListBucketMultipartUploads", NULL };
	static const char *const pub_o[] = { "s3:AbortMultipartUpload", "s3:DeleteObject",
		"s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject", NULL };
	json_object *anyone = json_object_new_object(), *list = json_object_new_array();
	int rc = -1;

	if (anyone == NULL || list == NULL)
		goto out;
	json_object_array_add(list, json_object_new_string("*"));
	json_object_object_add(anyone, "AWS", list);
	list = NULL;
	if (mode == MN_PUBLIC_DOWNLOAD)
		rc = add_statement(stmts, bucket, "public-download", anyone, dl_b, dl_o);
	else if (mode == MN_PUBLIC_UPLOAD)
		rc = add_statement(stmts, bucket, "public-upload", anyone, up_b, up_o);
	else
		rc = add_statement(stmts, bucket, "public", anyone, pub_b, pub_o);
out:
	json_object_put(anyone);
	json_object_put(list);
	return rc;
}

char *
mn_policy_document(const struct mn_config *c, const char *app_uid, int *remove,
                   char *err, size_t errlen)
{
	static const char *const all_b[] = { "s3:*", NULL };
	static const char *const all_o[] = { "s3:*", NULL };
	json_object *doc = NULL, *stmts = NULL, *old = NULL;
	char *out = NULL;

	*remove = 0;
	if (c->policy == NULL && c->public_mode == MN_PUBLIC_UNSET && app_uid == NULL)
		return NULL;                      /* left alone */
	if (c->policy != NULL) {
		if (json_object_deep_copy(c->policy, &doc, NULL) != 0)
			goto nomem;
	} else {
		if ((doc = json_object_new_object()) == NULL)
			goto nomem;
		json_object_object_add(doc, "Version", json_object_new_string("2012-10-17"));
	}
	/* Statement may be one object or a list: make it a list we add to */
	json_object_object_get_ex(doc, "Statement", &old);
	if (old != NULL && json_object_is_type(old, json_type_array)) {
		stmts = json_object_get(old);
	} else {
		if ((stmts = json_object_new_array()) == NULL)
			goto nomem;
		if (old != NULL)
			json_object_array_add(stmts, json_object_get(old));
		json_object_object_add(doc, "Statement", json_object_get(stmts));
	}
	if (c->public_mode > MN_PUBLIC_NONE && add_public(stmts, c->bucket,
	                                                 c->public_mode) != 0)
		goto nomem;
	if (app_uid != NULL) {
		json_object *p = json_object_new_object(), *l = json_object_new_array();
		char arn[128];
		int rc;

		if (p == NULL || l == NULL) {
			json_object_put(p);
			json_object_put(l);
			goto nomem;
		}
		snprintf(arn, sizeof(arn), "arn:aws:iam:::user/%s", app_uid);
		json_object_array_add(l, json_object_new_string(arn));
		json_object_object_add(p, "AWS", l);
		rc = add_statement(stmts, c->bucket, "app", p, all_b, all_o);
		json_object_put(p);
		if (rc != 0)
			goto nomem;
	}
	if (json_object_array_length(stmts) == 0)
		*remove = 1;                      /* public_access: none, nothing else */
	else if ((out = strdup(json_object_to_json_string_ext(doc,
	                       JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)))
	         == NULL)
		goto nomem;
	json_object_put(stmts);
	json_object_put(doc);
	return out;
nomem:
	json_object_put(stmts);
	json_object_put(doc);
	pu_refuse(err, errlen, "out of memory");
	return NULL;
}

int
mn_put_policy(struct mn_ctx *x, const char *app_uid)
{
	static const char *const gone[] = { "NoSuchBucketPolicy", NULL };
	char err[256] = "";
	int remove, rc;
	char *doc = mn_policy_document(x->c, app_uid, &remove, err, sizeof(err));

	if (doc == NULL && !remove) {
		if (err[0] != '\0')
			return mn_failf(x, "put-policy", "%s", err);
		return 0;
	}
	if (remove)
		return simple(x, "delete-policy", "DELETE", "policy=", NULL, NULL, gone);
	rc = simple(x, "put-policy", "PUT", "policy=", "application/json", doc, NULL);
	free(doc);
	return rc;
}

int
mn_put_tags(struct mn_ctx *x)
{
	static const char *const gone[] = { "NoSuchTagSet", NULL };
	pu_buf b = PU_BUF_INIT(BODY_MAX);
	int rc;

	if (x->c->tags == NULL)
		return 0;
	if (json_object_object_length(x->c->tags) == 0)
		return simple(x, "delete-tagging", "DELETE", "tagging=", NULL, NULL, gone);
	pu_buf_adds(&b, "<Tagging " S3_XMLNS "><TagSet>");
	json_object_object_foreach(x->c->tags, k, v) {
		pu_buf_adds(&b, "<Tag><Key>");
		mn_xml_escape(&b, k);
		pu_buf_adds(&b, "</Key><Value>");
		mn_xml_escape(&b, json_object_get_string(v));
		pu_buf_adds(&b, "</Value></Tag>");
	}
	pu_buf_adds(&b, "</TagSet></Tagging>");
	if (b.error)
		rc = mn_failf(x, "put-tagging", "out of memory");
	else
		rc = simple(x, "put-tagging", "PUT", "tagging=", "application/xml", b.p, NULL);
	pu_buf_free(&b);
	return rc;
}

/* A rule's day count (checked at load: a positive integer, maybe as a
 * string). */
static long
days(json_object *rule, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(rule, name, &v))
		return 0;
	return strtol(json_object_get_string(v), NULL, 10);
}

int
mn_put_lifecycle(struct mn_ctx *x)
{
	static const char *const gone[] = { "NoSuchLifecycleConfiguration", NULL };
	pu_buf b = PU_BUF_INIT(BODY_MAX);
	size_t i, n;
	int rc;

	if (x->c->lifecycle == NULL)
		return 0;
	if ((n = json_object_array_length(x->c->lifecycle)) == 0)
		return simple(x, "delete-lifecycle", "DELETE", "lifecycle=", NULL, NULL, gone);
	pu_buf_adds(&b, "<LifecycleConfiguration " S3_XMLNS ">");
	for (i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(x->c->lifecycle, i), *v;
		long d;

		pu_buf_adds(&b, "<Rule><ID>");
		if (json_object_object_get_ex(r, "id", &v))
			mn_xml_escape(&b, json_object_get_string(v));
		else
			pu_buf_addf(&b, "rule-%zu", i + 1);
		pu_buf_adds(&b, "</ID><Filter><Prefix>");
		if (json_object_object_get_ex(r, "prefix", &v))
			mn_xml_escape(&b, json_object_get_string(v));
		pu_buf_adds(&b, "</Prefix></Filter><Status>Enabled</Status>");
		if ((d = days(r, "expire_days")) > 0)
			pu_buf_addf(&b, "<Expiration><Days>%ld</Days></Expiration>", d);
		if ((d = days(r, "noncurrent_expire_days")) > 0)
			pu_buf_addf(&b, "<NoncurrentVersionExpiration><NoncurrentDays>%ld"
			            "</NoncurrentDays></NoncurrentVersionExpiration>", d);
		if ((d = days(r, "abort_incomplete_days")) > 0)
			pu_buf_addf(&b, "<AbortIncompleteMultipartUpload><DaysAfterInitiation>"
			            "%ld</DaysAfterInitiation></AbortIncompleteMultipartUpload>", d);
		pu_buf_adds(&b, "</Rule>");
	}
	pu_buf_adds(&b, "</LifecycleConfiguration>");
	if (b.error)
		rc = mn_failf(x, "put-lifecycle", "out of memory");
	else
		rc = simple(x, "put-lifecycle", "PUT", "lifecycle=", "application/xml", b.p,
		            NULL);
	pu_buf_free(&b);
	return rc;
}

/* Appends "&name=<escaped value>" (or without '&' when b is empty). */
static int
add_param(pu_buf *b, const char *name, const char *value)
{
	char *e = pu_url_escape(value);

	if (e == NULL)
		return INN_ENOMEM;
	pu_buf_addf(b, "%s%s=%s", b->len ? "&" : "", name, e);
	free(e);
	return b->error;
}

/* One page of ListObjectVersions: appends a <Delete> body's <Object>s to
 * del, counts them, and sets the markers of the next page (freed and
 * replaced; NULL when this was the last). */
static int
list_page(struct mn_ctx *x, const char *w, char **key_marker, char **vid_marker,
          pu_buf *del, size_t *count, char *first, size_t firstlen)
{
	static const char *const kinds[] = { "Version", "DeleteMarker" };
	pu_buf q = PU_BUF_INIT(8192);
	struct mn_resp r;
	char path[80];
	const char *p, *end, *vs, *ve, *es, *ee;
	int rc, truncated = 0, k;

	/* the canonical query: keys in byte order */
	if (*key_marker != NULL)
		add_param(&q, "key-marker", *key_marker);
	pu_buf_addf(&q, "%smax-keys=%d", q.len ? "&" : "", MN_PAGE_MAX);
	if (*vid_marker != NULL)
		add_param(&q, "version-id-marker", *vid_marker);
	pu_buf_adds(&q, "&versions=");
	if (q.error) {
		pu_buf_free(&q);
		return mn_failf(x, w, "out of memory");
	}
	bucket_path(x, path, sizeof(path));
	rc = mn_call(x, w, "GET", path, q.p, NULL, NULL, &r);
	pu_buf_free(&q);
	if (rc != 0)
		return rc;
	free(*key_marker);
	free(*vid_marker);
	*key_marker = *vid_marker = NULL;
	if (r.r.status != 200 || r.r.body == NULL) {
		rc = mn_fail(x, w, &r);
		goto out;
	}
	end = r.r.body + r.r.len;
	for (k = 0; k < 2; k++) {
		p = r.r.body;
		while (mn_xml_next(&p, end, kinds[k], &es, &ee) == 0) {
			const char *q2 = es;
			char *key = NULL, *vid = NULL;

			if (mn_xml_next(&q2, ee, "Key", &vs, &ve) == 0)
				key = mn_xml_text(vs, ve);
			q2 = es;
			if (mn_xml_next(&q2, ee, "VersionId", &vs, &ve) == 0)
				vid = mn_xml_text(vs, ve);
			if (key == NULL) {
				free(vid);
				rc = mn_failf(x, w, "a listing entry without a key (or out "
				              "of memory)");
				goto out;
			}
			if (*count == 0 && first != NULL)
				snprintf(first, firstlen, "%s", key);
			(*count)++;
			pu_buf_adds(del, "<Object><Key>");
			mn_xml_escape(del, key);
			pu_buf_adds(del, "</Key>");
			if (vid != NULL && *vid != '\0') {
				pu_buf_adds(del, "<VersionId>");
				mn_xml_escape(del, vid);
				pu_buf_adds(del, "</VersionId>");
			}
			pu_buf_adds(del, "</Object>");
			free(key);
			free(vid);
		}
	}
	p = r.r.body;
	if (mn_xml_next(&p, end, "IsTruncated", &vs, &ve) == 0 && ve - vs == 4 &&
	    memcmp(vs, "true", 4) == 0)
		truncated = 1;
	if (truncated) {
		p = r.r.body;
		if (mn_xml_next(&p, end, "NextKeyMarker", &vs, &ve) == 0)
			*key_marker = mn_xml_text(vs, ve);
		p = r.r.body;
		if (mn_xml_next(&p, end, "NextVersionIdMarker", &vs, &ve) == 0)
			*vid_marker = mn_xml_text(vs, ve);
		if (*key_marker == NULL) {
			rc = mn_failf(x, w, "a truncated listing without NextKeyMarker");
			goto out;
		}
	}
	if (del->error)
		rc = mn_failf(x, w, "out of memory");
out:
	mn_resp_free(&r);
	return rc;
}

/* POST ?delete with the <Object>s in objs; any per-key <Error> fails. */
static int
delete_objects(struct mn_ctx *x, const char *objs)
{
	pu_buf b = PU_BUF_INIT(BODY_MAX);
	struct mn_resp r;
	char w[128], path[80];
	const char *p, *es, *ee, *vs, *ve;
	int rc;

	pu_buf_adds(&b, "<Delete " S3_XMLNS "><Quiet>true</Quiet>");
	pu_buf_adds(&b, objs);
	pu_buf_adds(&b, "</Delete>");
	what(x, "delete-objects", w, sizeof(w));
	if (b.error) {
		pu_buf_free(&b);
		return mn_failf(x, w, "out of memory");
	}
	bucket_path(x, path, sizeof(path));
	rc = mn_call(x, w, "POST", path, "delete=", "application/xml", b.p, &r);
	pu_buf_free(&b);
	if (rc != 0)
		return rc;
	if (r.r.status != 200) {
		rc = mn_fail(x, w, &r);
	} else if (r.r.body != NULL) {
		p = r.r.body;
		if (mn_xml_next(&p, r.r.body + r.r.len, "Error", &es, &ee) == 0) {
			char *key = NULL, *code = NULL;
			const char *q = es;

			if (mn_xml_next(&q, ee, "Key", &vs, &ve) == 0)
				key = mn_xml_text(vs, ve);
			q = es;
			if (mn_xml_next(&q, ee, "Code", &vs, &ve) == 0)
				code = mn_xml_text(vs, ve);
			rc = mn_failf(x, w, "object \"%.200s\": %s", key ? key : "?",
			              code ? code : "refused");
			free(key);
			free(code);
		}
	}
	mn_resp_free(&r);
	return rc;
}

int
mn_empty_bucket(struct mn_ctx *x, int remove, size_t *count, char *first,
                size_t firstlen)
{
	char *km = NULL, *vm = NULL, w[128];
	size_t pages = 0, seen;
	int rc = 0;

	*count = 0;
	what(x, "list-object-versions", w, sizeof(w));
	for (;;) {
		pu_buf del = PU_BUF_INIT(BODY_MAX);

		seen = *count;
		rc = list_page(x, w, &km, &vm, &del, count, first, firstlen);
		if (rc == 0 && remove && *count > seen)
			rc = delete_objects(x, del.p);
		pu_buf_free(&del);
		if (rc != 0 || (!remove && *count > 0))
			break;
		if (remove && *count > seen) {
			/* what was deleted left the listing: start it over until
			 * nothing is left */
			free(km);
			free(vm);
			km = vm = NULL;
			if (++pages > MN_DELETE_PAGES_MAX) {
				rc = mn_failf(x, w, "still not empty after %d pages of "
				              "deletions", MN_DELETE_PAGES_MAX);
				break;
			}
		} else if (km == NULL) {
			break;
		}
	}
	free(km);
	free(vm);
	return rc;
}

int
mn_delete_bucket(struct mn_ctx *x)
{
	static const char *const gone[] = { "NoSuchBucket", NULL };

	return simple(x, "delete-bucket", "DELETE", "", NULL, NULL, gone);
}

/* A user's first S3 key pair from a vetted /admin/user answer. */
static int
user_keys(struct mn_ctx *x, const char *w, json_object *o, char **access,
          char **secret)
{
	json_object *keys, *k0, *a, *s;
	int rc = 0;

	if (!json_object_object_get_ex(o, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array) ||
	    (k0 = json_object_array_get_idx(keys, 0)) == NULL ||
	    !json_object_object_get_ex(k0, "access_key", &a) ||
	    !json_object_object_get_ex(k0, "secret_key", &s)) {
		rc = mn_failf(x, w, "the answer holds no S3 key (is this a Ceph RGW admin "
		              "API?)");
	} else {
		x->host->mask(x->step, json_object_get_string(s));
		if ((*access = strdup(json_object_get_string(a))) == NULL ||
		    (*secret = strdup(json_object_get_string(s))) == NULL) {
			free(*access);
			*access = NULL;
			rc = mn_failf(x, w, "out of memory");
		}
	}
	return rc;
}

/* One /admin/user call: the query is [access-key=<ak>&][display-name=
 * <display>&]<params>[&uid=<uid>] (params: the fixed ones sorting between
 * them; canonical order). */
static int
user_call(struct mn_ctx *x, const char *w, const char *method, const char *ak,
          const char *display, const char *params, const char *uid,
          struct mn_resp *r)
{
	pu_buf q = PU_BUF_INIT(1024);
	int rc;

	if (ak != NULL)
		add_param(&q, "access-key", ak);
	if (display != NULL)
		add_param(&q, "display-name", display);
	pu_buf_addf(&q, "%s%s", q.len ? "&" : "", params);
	if (uid != NULL)
		add_param(&q, "uid", uid);
	if (q.error) {
		pu_buf_free(&q);
		return mn_failf(x, w, "out of memory");
	}
	rc = mn_call(x, w, method, "/admin/user", q.p, NULL, NULL, r);
	pu_buf_free(&q);
	return rc;
}

/* The connection's access key id (the part of userpwd before ':'). */
static void
own_key(const struct mn_ctx *x, char *buf, size_t len)
{
	size_t n = (size_t)(strchr(x->userpwd, ':') - x->userpwd);

	snprintf(buf, len, "%.*s", (int)n, x->userpwd);
}

/* The string member k of o, "" when absent. */
static const char *
str_member(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) &&
	       json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

/* The user owning the connection's access key into own (RGW admin ops
 * GET /admin/user?access-key=). */
static int
own_user(struct mn_ctx *x, char *own, size_t ownlen)
{
	struct mn_resp r;
	json_object *o;
	char ak[256];
	int rc;

	own_key(x, ak, sizeof(ak));
	if ((rc = user_call(x, "rgw-get-user (owner of the access key)", "GET", ak, NULL,
	                    "format=json", NULL, &r)) != 0)
		return rc;
	o = r.r.status == 200 && r.r.body ? json_tokener_parse(r.r.body) : NULL;
	if (o == NULL || *str_member(o, "user_id") == '\0')
		rc = r.r.status != 200 ? mn_fail(x, "rgw-get-user (owner of the access key)",
		                                 &r) :
		     mn_failf(x, "rgw-get-user (owner of the access key)", "the answer "
		              "names no user_id (is this a Ceph RGW admin API?)");
	else
		snprintf(own, ownlen, "%s", str_member(o, "user_id"));
	json_object_put(o);
	mn_resp_free(&r);
	return rc;
}

/* Refuses (step error) a user that is not innominatus's application user
 * uid: see minio_int.h. */
static int
user_vet(struct mn_ctx *x, const char *w, const char *uid, json_object *o)
{
	json_object *a, *e, *v;
	char marker[128], ak[256], own[256] = "";
	size_t i, n;
	int rc;

	snprintf(marker, sizeof(marker), "%s%s", MN_RGW_MARKER, uid + strlen(MN_RGW_PREFIX));
	own_key(x, ak, sizeof(ak));
	if (strcmp(str_member(o, "user_id"), uid) != 0 || *str_member(o, "tenant") != '\0')
		return mn_failf(x, w, "RGW answered with user \"%.100s%s%.100s\", not %s; "
		                "refused", str_member(o, "tenant"),
		                *str_member(o, "tenant") ? "$" : "", str_member(o, "user_id"),
		                uid);
	if (json_object_object_get_ex(o, "keys", &a) &&
	    json_object_is_type(a, json_type_array)) {
		n = json_object_array_length(a);
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(a, i);
			if (strcmp(str_member(e, "access_key"), ak) == 0)
				return mn_failf(x, w, "the user holds the connection's own "
				                "access key; refused (it is never handed out)");
		}
	}
	if ((rc = own_user(x, own, sizeof(own))) != 0)
		return rc;
	if (strcasecmp(own, uid) == 0)
		return mn_failf(x, w, "the user is the connection's own (the owner of "
		                "its access key); refused");
	if ((json_object_object_get_ex(o, "caps", &v) &&
	    json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0) ||
	    strcmp(str_member(o, "system"), "true") == 0 ||
	    strcmp(str_member(o, "admin"), "true") == 0)
		return mn_failf(x, w, "the user has admin caps or is a system user; "
		                "refused (an application user innominatus makes is neither)");
	if (strcmp(str_member(o, "display_name"), marker) != 0)
		return mn_failf(x, w, "the user exists but was not made by innominatus "
		                "(its display name is not \"%s\"); refused: it is neither "
		                "handed out nor deleted", marker);
	return 0;
}

/* GETs uid and vets it: *o the parsed answer (NULL: no such user). */
static int
user_get(struct mn_ctx *x, const char *w, const char *uid, json_object **o)
{
	struct mn_resp r;
	int rc;

	*o = NULL;
	if ((rc = user_call(x, w, "GET", NULL, NULL, "format=json", uid, &r)) != 0)
		return rc;
	if (r.r.status == 404 && strcmp(r.code, "NoSuchUser") == 0)
		rc = 0;
	else if (r.r.status != 200)
		rc = mn_fail(x, w, &r);
	else if (r.r.body == NULL || (*o = json_tokener_parse(r.r.body)) == NULL)
		rc = mn_failf(x, w, "the answer is not JSON (is this a Ceph RGW admin API?)");
	else if ((rc = user_vet(x, w, uid, *o)) != 0) {
		json_object_put(*o);
		*o = NULL;
	}
	mn_resp_free(&r);
	return rc;
}

int
mn_rgw_user_check(struct mn_ctx *x, const char *uid, int *exists)
{
	json_object *o;
	char w[160];
	int rc;

	snprintf(w, sizeof(w), "rgw-get-user %s", uid);
	rc = user_get(x, w, uid, &o);
	*exists = o != NULL;
	json_object_put(o);
	return rc;
}

/*
 * The key pair of the application user uid: HMAC-SHA256 under the
 * connection's secret key of a label and uid, as hex.  Steps creating the
 * same user at once then all write the same keys: RGW checks that a user
 * is new before it writes it, so two creates at the same moment may both
 * succeed, the later one replacing the keys the earlier one read.
 * Returns 0 or INN_ERROR.
 */
static int
derive_keys(struct mn_ctx *x, const char *uid, char *ak, size_t aklen, char *sk,
            size_t sklen)
{
	static const char *const labels[] = { "innominatus rgw access key\n",
		"innominatus rgw secret key\n" };
	const char *secret = strchr(x->userpwd, ':') + 1;
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	char msg[256], hex[2 * EVP_MAX_MD_SIZE + 1];
	int k;

	for (k = 0; k < 2; k++) {
		snprintf(msg, sizeof(msg), "%s%s", labels[k], uid);
		if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
		         (const unsigned char *)msg, strlen(msg), d, &n) == NULL || n < 20)
			return mn_failf(x, "rgw-create-user", "cannot derive the keys");
		for (i = 0; i < n; i++) {
			hex[2 * i] = "0123456789ABCDEF"[d[i] >> 4];
			hex[2 * i + 1] = "0123456789ABCDEF"[d[i] & 15];
		}
		hex[2 * n] = '\0';
		if (k == 0) {
			snprintf(ak, aklen, "INNAPP%.14s", hex);
		} else {
			for (i = 0; i < 40; i++)
				hex[i] = (char)(hex[i] >= 'A' ? hex[i] - 'A' + 'a' : hex[i]);
			snprintf(sk, sklen, "%.40s", hex);
		}
	}
	memset(d, 0, sizeof(d));
	memset(hex, 0, sizeof(hex));
	x->host->mask(x->step, sk);
	return 0;
}

int
mn_rgw_user_ensure(struct mn_ctx *x, const char *uid, char **access, char **secret,
                   int *created)
{
	struct mn_resp r;
	json_object *o = NULL;
	char w[160], display[128], ak[32], sk[48], params[128];
	int rc;

	*access = *secret = NULL;
	*created = 0;
	snprintf(w, sizeof(w), "rgw-get-user %s", uid);
	if ((rc = user_get(x, w, uid, &o)) != 0)
		return rc;
	if (o == NULL) {
		snprintf(w, sizeof(w), "rgw-create-user %s", uid);
		snprintf(display, sizeof(display), "%s%s", MN_RGW_MARKER,
		         uid + strlen(MN_RGW_PREFIX));
		if ((rc = derive_keys(x, uid, ak, sizeof(ak), sk, sizeof(sk))) != 0)
			return rc;
		snprintf(params, sizeof(params), "format=json&key-type=s3&secret-key=%s", sk);
		rc = user_call(x, w, "PUT", ak, display, params, uid, &r);
		memset(sk, 0, sizeof(sk));
		memset(params, 0, sizeof(params));
		if (rc != 0)
			return rc;
		if (r.r.status == 200) {
			*created = 1;
		} else if (r.r.status == 409 && (strcmp(r.code, "UserAlreadyExists") == 0 ||
		           strcmp(r.code, "KeyExists") == 0)) {
			/* made meanwhile by a concurrent step: read (and vet) it */
			snprintf(w, sizeof(w), "rgw-get-user %s", uid);
		} else {
			rc = mn_fail(x, w, &r);
		}
		mn_resp_free(&r);
		if (rc == 0 && (rc = user_get(x, w, uid, &o)) == 0 && o == NULL)
			rc = mn_failf(x, w, "the user is gone right after it was made");
		if (rc != 0)
			return rc;
	}
	rc = user_keys(x, w, o, access, secret);
	json_object_put(o);
	return rc;
}

int
mn_rgw_user_delete(struct mn_ctx *x, const char *uid)
{
	struct mn_resp r;
	char w[160];
	int rc, exists;

	if ((rc = mn_rgw_user_check(x, uid, &exists)) != 0 || !exists)
		return rc;
	snprintf(w, sizeof(w), "rgw-delete-user %s", uid);
	if ((rc = user_call(x, w, "DELETE", NULL, NULL, "format=json&purge-data=False", uid,
	                    &r)) != 0)
		return rc;
	if ((r.r.status < 200 || r.r.status > 299) && strcmp(r.code, "NoSuchUser") != 0)
		rc = mn_fail(x, w, &r);
	mn_resp_free(&r);
	return rc;
}
