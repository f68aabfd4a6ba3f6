/*
 * test_ui.c - the embedded dashboard apart from HTTP (server/ui.c): every
 * file of the fixed list is in the binary with its content type and a
 * gzip copy, no other spelling of a path finds one, ETags, and how
 * Accept-Encoding and If-None-Match values are read (q=0 refuses,
 * malformed parts count for nothing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui.h"

static void
test_every_file_of_the_list_is_embedded(void **state)
{
	static const char *const files[][2] = {
		{ "/ui/index.html", "text/html; charset=utf-8" },
		{ "/ui/app.css", "text/css; charset=utf-8" },
		{ "/ui/app.js", "text/javascript; charset=utf-8" },
		{ "/ui/icon.svg", "image/svg+xml" },
		{ "/ui/lib/api.js", "text/javascript; charset=utf-8" },
		{ "/ui/lib/dom.js", "text/javascript; charset=utf-8" },
		{ "/ui/lib/forms.js", "text/javascript; charset=utf-8" },
		{ "/ui/pages/executions.js", "text/javascript; charset=utf-8" },
		{ "/ui/pages/execution.js", "text/javascript; charset=utf-8" },
		{ "/ui/pages/providers.js", "text/javascript; charset=utf-8" },
		{ "/ui/pages/goldenpaths.js", "text/javascript; charset=utf-8" },
		{ "/ui/pages/apps.js", "text/javascript; charset=utf-8" },
		{ "/ui/pages/plugins.js", "text/javascript; charset=utf-8" },
		{ "/ui/pages/admin.js", "text/javascript; charset=utf-8" },
	};
	const struct inn_ui_asset *a;
	size_t i, n = 0;

	(void)state;
	for (a = inn_ui_assets; a->path != NULL; a++)
		n++;
	assert_int_equal(n, sizeof(files) / sizeof(files[0]));
	for (i = 0; i < n; i++) {
		a = inn_ui_find(files[i][0]);
		assert_non_null(a);
		assert_string_equal(a->path, files[i][0]);
		assert_string_equal(a->type, files[i][1]);
		assert_true(a->len > 0);
		/* a gzip member: magic, deflate, no name or time (gzip -n) */
		assert_true(a->gzlen > 18);
		assert_int_equal(a->gz[0], 0x1f);
		assert_int_equal(a->gz[1], 0x8b);
		assert_int_equal(a->gz[2], 8);
		assert_int_equal(a->gz[4] | a->gz[5] | a->gz[6] | a->gz[7], 0);
		/* its last four bytes: the length of what it holds */
		assert_int_equal(a->gz[a->gzlen - 4] | a->gz[a->gzlen - 3] << 8 |
		                 a->gz[a->gzlen - 2] << 16 | (unsigned long)a->gz[a->gzlen - 1] << 24,
		                 a->len);
	}
	assert_ptr_equal(inn_ui_find("/"), inn_ui_find("/ui/index.html"));
	/* the doctype, in any case (HTML does not mind) */
	assert_int_equal(strncasecmp((const char *)inn_ui_find("/")->data, "<!doctype html>", 15), 0);
}

static void
test_no_other_spelling_finds_a_file(void **state)
{
	static const char *const paths[] = {
		"", "/ui", "/ui/", "/index.html", "/app.js", "/ui//app.js", "//ui/app.js",
		"/ui/./app.js", "/ui/lib/../app.js", "/ui/../server/ui.c", "/ui/%2e%2e/server/ui.c",
		"/ui/%61pp.js", "/ui/app%2ejs", "/ui/APP.JS", "/ui/app.js/", "/ui/app.js%00",
		"/ui/app.js ", "/ui/app.js;x=1", "/ui/app.j", "/ui/app.jsx", "/ui/embed.sh",
		"/ui/lib", "/ui/lib/", "/UI/app.js", "/ui\\app.js",
	};
	char long_path[10000];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (inn_ui_find(paths[i]) != NULL)
			fail_msg("\"%s\" found a file", paths[i]);
	memset(long_path, 'a', sizeof(long_path) - 1);
	memcpy(long_path, "/ui/", 4);
	long_path[sizeof(long_path) - 1] = '\0';
	assert_null(inn_ui_find(long_path));
	/* what the dashboard answers for (with a 404 when no file) */
	assert_true(inn_ui_owns("/"));
	assert_true(inn_ui_owns("/ui"));
	assert_true(inn_ui_owns("/ui/"));
	assert_true(inn_ui_owns("/ui/nothing"));
	assert_false(inn_ui_owns("/uix"));
	assert_false(inn_ui_owns("/health"));
	assert_false(inn_ui_owns("/api/me"));
	assert_false(inn_ui_owns("*"));
}

static void
test_etags(void **state)
{
	const struct inn_ui_asset *a = inn_ui_find("/ui/app.css");
	const char *raw = inn_ui_etag(a, 0), *gz = inn_ui_etag(a, 1);
	char want[64];
	size_t i;

	(void)state;
	assert_int_equal(strlen(raw), 18);
	assert_int_equal(raw[0], '"');
	assert_int_equal(raw[17], '"');
	for (i = 1; i < 17; i++)
		assert_non_null(strchr("0123456789abcdef", raw[i]));
	snprintf(want, sizeof(want), "%.17s-gzip\"", raw);
	assert_string_equal(gz, want);
	/* the same every time */
	assert_ptr_equal(inn_ui_etag(a, 0), raw);
	assert_string_not_equal(inn_ui_etag(inn_ui_find("/"), 0), raw);
}

static void
test_accept_encoding(void **state)
{
	static const struct {
		const char *value;
		int gzip;
	} cases[] = {
		{ "", 0 }, { "gzip", 1 }, { "GZip", 1 }, { "x-gzip", 1 },
		{ "gzip, deflate, br, zstd", 1 }, { "deflate, gzip;q=1.0, br", 1 },
		{ "gzip;q=0", 0 }, { "gzip; q=0.000", 0 }, { "gzip;Q=0", 0 }, { "gzip;q=0.001", 1 },
		{ "gzip;q=1.000", 1 }, { "gzip ; q=0.5", 1 }, { "gzip;level=9", 1 },
		{ "gzip;x=\"a,b;q=0\";q=0.5", 1 }, { ",, gzip ,,", 1 },
		{ "*", 1 }, { "*;q=0", 0 }, { "*, gzip;q=0", 0 }, { "gzip;q=0, *", 0 },
		{ "identity", 0 }, { "br", 0 }, { "deflate;q=0, gzip", 1 },
		{ "gzip;q=0.5, identity;q=0.8", 0 }, { "gzip;q=0.8, identity;q=0.5", 1 },
		{ "gzip;q=0.5, identity;q=0.5", 1 }, { "gzip;q=0.5, *;q=0.9", 0 },
		{ "identity;q=0, gzip;q=0.1", 1 },
		/* not qvalues, or not elements: they count for nothing */
		{ "gzip;q=2", 0 }, { "gzip;q=1.5", 0 }, { "gzip;q=abc", 0 }, { "gzip;q=", 0 },
		{ "gzip;q=0.1234", 0 }, { "gzip;q=.5", 0 }, { "gzip;q=0.5x", 0 }, { "gzipx", 0 },
		{ "gzip q=0", 0 }, { "gzip;=1", 0 }, { "gzip;q=\"1\"", 0 }, { "gzip;x=\"open", 0 },
		{ "gzip;q=2, gzip", 1 }, { "\"gzip\"", 0 }, { "g zip", 0 },
	};
	size_t i;

	(void)state;
	assert_int_equal(inn_ui_wants_gzip(NULL), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (inn_ui_wants_gzip(cases[i].value) != cases[i].gzip)
			fail_msg("Accept-Encoding: %s -> %s, not %s", cases[i].value,
			         cases[i].gzip ? "identity" : "gzip", cases[i].gzip ? "gzip" : "identity");
}

static void
test_if_none_match(void **state)
{
	const char *tag = inn_ui_etag(inn_ui_find("/ui/app.css"), 0);
	const char *gz = inn_ui_etag(inn_ui_find("/ui/app.css"), 1);
	char buf[256];

	(void)state;
	assert_false(inn_ui_etag_matches(NULL, tag));
	assert_false(inn_ui_etag_matches("", tag));
	assert_true(inn_ui_etag_matches("*", tag));
	assert_true(inn_ui_etag_matches(" * ", tag));
	assert_false(inn_ui_etag_matches("*x", tag));
	assert_true(inn_ui_etag_matches(tag, tag));
	assert_false(inn_ui_etag_matches(gz, tag));
	assert_true(inn_ui_etag_matches(gz, gz));
	snprintf(buf, sizeof(buf), "W/%s", tag);
	assert_true(inn_ui_etag_matches(buf, tag));
	snprintf(buf, sizeof(buf), "\"0000\", W/\"1111\" ,%s", tag);
	assert_true(inn_ui_etag_matches(buf, tag));
	snprintf(buf, sizeof(buf), "\"0000\", \"1111\"");
	assert_false(inn_ui_etag_matches(buf, tag));
	/* the tag without its quotes, cut short, or after a malformed part */
	snprintf(buf, sizeof(buf), "%.16s", tag + 1);
	assert_false(inn_ui_etag_matches(buf, tag));
	snprintf(buf, sizeof(buf), "%.17s", tag);
	assert_false(inn_ui_etag_matches(buf, tag));
	snprintf(buf, sizeof(buf), "\"0000\" junk, %s", tag);
	assert_false(inn_ui_etag_matches(buf, tag));
	snprintf(buf, sizeof(buf), "%sx", tag);
	assert_false(inn_ui_etag_matches(buf, tag));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_file_of_the_list_is_embedded),
		cmocka_unit_test(test_no_other_spelling_finds_a_file),
		cmocka_unit_test(test_etags),
		cmocka_unit_test(test_accept_encoding),
		cmocka_unit_test(test_if_none_match),
	};

	return cmocka_run_group_tests_name("ui", tests, NULL, NULL);
}
