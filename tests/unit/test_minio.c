/*
 * test_minio.c - minio.so's pieces that need no server: the S3 bucket
 * name rules, the XML it reads (entities, bounded tag search) and writes
 * (escaping), and the bucket policy documents it builds from a
 * public_access preset, a user's document and an RGW application user.
 * (tests/minio.sh drives the plugin against a real Ceph RGW.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "minio_int.h"

static void
test_bucket_names(void **state)
{
	static const char *const good[] = { "abc", "shop-assets", "a.b.c", "1bucket",
		"my.bucket-2", "xn-ok", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"1.2.3", "1.2.3.4.5", NULL };
	static const char *const bad[] = { "", "ab", "Shop", "shop_assets", "-shop", "shop-",
		".shop", "shop.", "a..b", "a.-b", "a-.b", "192.168.1.1", "xn--abc",
		"sthree-x", "x-s3alias", "x--ol-s3", "a/b", "a b", "bücket",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"../admin", NULL };
	size_t i;

	(void)state;
	for (i = 0; good[i] != NULL; i++)
		if (!mn_valid_bucket(good[i]))
			fail_msg("\"%s\" should be a valid bucket name", good[i]);
	for (i = 0; bad[i] != NULL; i++)
		if (mn_valid_bucket(bad[i]))
			fail_msg("\"%s\" should be refused", bad[i]);
}

static void
test_xml_text_and_escape(void **state)
{
	const char *in = "a&amp;b &lt;c&gt; &quot;&apos; &#233;&#x1F600; &bogus; &#0; &", *p;
	const char *body = "<R><Key>k1</Key><V><Key>inner</Key></V></R><Key>k2</Key>";
	const char *vs, *ve;
	pu_buf b = PU_BUF_INIT(1024);
	char *t;

	(void)state;
	t = mn_xml_text(in, in + strlen(in));
	assert_non_null(t);
	assert_string_equal(t, "a&b <c> \"' \xc3\xa9\xf0\x9f\x98\x80 &bogus; &#0; &");
	free(t);

	mn_xml_escape(&b, "<a href=\"x\">&'\r</a>");
	assert_string_equal(b.p, "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&#13;&lt;/a&gt;");
	pu_buf_free(&b);

	/* bounded: a search inside <V> does not run past it */
	p = body;
	assert_int_equal(mn_xml_next(&p, body + strlen(body), "V", &vs, &ve), 0);
	p = vs;
	assert_int_equal(mn_xml_next(&p, ve, "Key", &vs, &ve), 0);
	assert_int_equal((int)(ve - vs), 5);
	assert_memory_equal(vs, "inner", 5);
	p = ve;
	assert_int_equal(mn_xml_next(&p, ve, "Key", &vs, &ve), -1);
	/* an unclosed tag is not found */
	p = "<Key>open";
	assert_int_equal(mn_xml_next(&p, p + 9, "Key", &vs, &ve), -1);
}

/* v as compact JSON, '/' unescaped. */
static const char *
text(json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	                                      JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* The statements of a document as json-c, checked to be a list. */
static json_object *
statements(const char *doc, json_object **root)
{
	json_object *s;

	*root = json_tokener_parse(doc);
	assert_non_null(*root);
	assert_true(json_object_object_get_ex(*root, "Statement", &s));
	assert_true(json_object_is_type(s, json_type_array));
	return s;
}

static int
has_action(json_object *st, const char *action)
{
	json_object *a;
	size_t i;

	if (!json_object_object_get_ex(st, "Action", &a))
		return 0;
	for (i = 0; i < json_object_array_length(a); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), action) == 0)
			return 1;
	return 0;
}

static void
test_policy_presets(void **state)
{
	struct mn_config c;
	json_object *root, *s, *st, *v;
	char err[128];
	char *doc;
	int remove;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.bucket = "shop";

	/* nothing configured: left alone */
	assert_null(mn_policy_document(&c, NULL, &remove, err, sizeof(err)));
	assert_int_equal(remove, 0);

	/* none and no user: removed */
	c.public_mode = MN_PUBLIC_NONE;
	assert_null(mn_policy_document(&c, NULL, &remove, err, sizeof(err)));
	assert_int_equal(remove, 1);

	/* download: anonymous GetObject on the objects, ListBucket on the bucket */
	c.public_mode = MN_PUBLIC_DOWNLOAD;
	doc = mn_policy_document(&c, NULL, &remove, err, sizeof(err));
	assert_non_null(doc);
	s = statements(doc, &root);
	assert_int_equal(json_object_array_length(s), 2);
	st = json_object_array_get_idx(s, 1);
	assert_true(has_action(st, "s3:GetObject"));
	assert_false(has_action(st, "s3:PutObject"));
	assert_true(json_object_object_get_ex(st, "Resource", &v));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)),
	                    "arn:aws:s3:::shop/*");
	assert_true(has_action(json_object_array_get_idx(s, 0), "s3:ListBucket"));
	json_object_put(root);
	free(doc);

	/* upload: PutObject but no GetObject */
	c.public_mode = MN_PUBLIC_UPLOAD;
	doc = mn_policy_document(&c, NULL, &remove, err, sizeof(err));
	s = statements(doc, &root);
	st = json_object_array_get_idx(s, 1);
	assert_true(has_action(st, "s3:PutObject"));
	assert_false(has_action(st, "s3:GetObject"));
	json_object_put(root);
	free(doc);

	/* none with an application user: only the user's grant */
	c.public_mode = MN_PUBLIC_NONE;
	doc = mn_policy_document(&c, "app-1", &remove, err, sizeof(err));
	assert_int_equal(remove, 0);
	s = statements(doc, &root);
	assert_int_equal(json_object_array_length(s), 2);
	st = json_object_array_get_idx(s, 0);
	assert_true(json_object_object_get_ex(st, "Principal", &v));
	assert_non_null(strstr(text(v), "arn:aws:iam:::user/app-1"));
	assert_true(has_action(st, "s3:*"));
	json_object_put(root);
	free(doc);
}

static void
test_policy_document_merge(void **state)
{
	struct mn_config c;
	json_object *root, *s;
	char err[128];
	char *doc;
	int remove;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.bucket = "shop";
	/* a user's document with one Statement object keeps it and gains the
	 * application user's statements; nothing else changes */
	c.policy = json_tokener_parse("{\"Version\":\"2012-10-17\",\"Id\":\"mine\","
	                              "\"Statement\":{\"Sid\":\"own\",\"Effect\":\"Deny\","
	                              "\"Principal\":\"*\",\"Action\":\"s3:DeleteObject\","
	                              "\"Resource\":\"arn:aws:s3:::shop/*\"}}");
	assert_non_null(c.policy);
	doc = mn_policy_document(&c, "app", &remove, err, sizeof(err));
	assert_non_null(doc);
	s = statements(doc, &root);
	assert_int_equal(json_object_array_length(s), 3);
	assert_non_null(strstr(text(json_object_array_get_idx(s, 0)), "\"Sid\":\"own\""));
	assert_non_null(strstr(doc, "\"Id\":\"mine\""));
	/* the user's object is not changed by building the document */
	assert_true(json_object_is_type(json_object_object_get(c.policy, "Statement"),
	                                json_type_object));
	json_object_put(root);
	free(doc);
	json_object_put(c.policy);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_names),
		cmocka_unit_test(test_xml_text_and_escape),
		cmocka_unit_test(test_policy_presets),
		cmocka_unit_test(test_policy_document_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
