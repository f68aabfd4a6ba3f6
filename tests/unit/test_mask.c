/*
 * test_mask.c - the secret masker: the encoded forms a program prints a
 * secret in (base64 of the value with a newline, inside other text, url-safe;
 * percent-encodings; JSON escapes), the minimum lengths, and where a full
 * log buffer may be cut without splitting a secret.  The expected encodings
 * come from Python's base64, urllib.parse and json modules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"

#define SECRET "S3cr3t/Val+ue=Zq9!k"

static inn_masker *
masker_with(const char *value)
{
	inn_masker *m = NULL;

	assert_int_equal(inn_masker_new(&m), 0);
	assert_int_equal(inn_masker_add(m, value), 0);
	return m;
}

/* The masked text ("" when nothing was masked: the caller sees the change). */
static char *
masked(inn_masker *m, const char *text)
{
	char *out = inn_masker_apply(m, text, strlen(text), NULL);

	return out != NULL ? out : strdup("");
}

static void
expect(inn_masker *m, const char *text, const char *want)
{
	char *out = masked(m, text);

	if (strcmp(out, want) != 0)
		fail_msg("masking \"%s\": got \"%s\", want \"%s\"", text, out, want);
	free(out);
}

/* base64 of prefix+secret(+suffix): the secret's bytes must not survive.
 * What is left is the prefix's own characters, "***", and at most the
 * characters that mix the secret's last bits with the suffix. */
static void
expect_mostly_gone(inn_masker *m, const char *text)
{
	char *out = masked(m, text);

	if (strstr(out, INN_MASK_TEXT) == NULL || strlen(out) + 18 > strlen(text))
		fail_msg("masking \"%s\": got \"%s\"", text, out);
	free(out);
}

static void
test_base64_forms(void **state)
{
	inn_masker *m = masker_with(SECRET);

	(void)state;
	/* the value itself and plain base64 */
	expect(m, "pw=" SECRET " ok", "pw=*** ok");
	expect(m, "b64=UzNjcjN0L1ZhbCt1ZT1acTkhaw== ok", "b64=*** ok");
	/* echo "$S" | base64, and with CRLF */
	expect(m, "UzNjcjN0L1ZhbCt1ZT1acTkhawo=", "***");
	expect(m, "UzNjcjN0L1ZhbCt1ZT1acTkhaw0K", "***");
	/* url-safe alphabet, with and without padding */
	expect(m, "UzNjcjN0L1ZhbCt1ZT1acTkhaw", "***");
	/* printf 'user:%s' | base64, at each of the three alignments */
	expect_mostly_gone(m, "Authorization: Basic dXNlcjpTM2NyM3QvVmFsK3VlPVpxOSFr");
	expect_mostly_gone(m, "dTpTM2NyM3QvVmFsK3VlPVpxOSFr");
	expect_mostly_gone(m, "eFMzY3IzdC9WYWwrdWU9WnE5IWs=");
	expect_mostly_gone(m, "dXNlcjpTM2NyM3QvVmFsK3VlPVpxOSFrCg==");
	/* url-safe base64 of a prefixed secret */
	expect_mostly_gone(m, "YWJTM2NyM3QvVmFsK3VlPVpxOSFr");
	inn_masker_free(m);
}

/* A second secret with a space, a slash, a non-ASCII letter, "+" and '"'. */
#define SPACED "pa ss/w\xc3\xb6rd+\"x"

/* One masking case: text with the secret SECRET (spaced 0) or SPACED
 * (spaced 1) in some encoding, and what masking must leave of it. */
struct mcase {
	int spaced;
	const char *text, *want;
};

static void
expect_cases(const struct mcase *c, size_t n)
{
	inn_masker *m[2] = { masker_with(SECRET), masker_with(SPACED) };
	size_t i;

	for (i = 0; i < n; i++)
		expect(m[c[i].spaced], c[i].text, c[i].want);
	inn_masker_free(m[0]);
	inn_masker_free(m[1]);
}

static void
test_url_forms(void **state)
{
	static const struct mcase cases[] = {
		/* quote (keeps "/"), quote(safe=''), lower-case hex */
		{ 0, "u=S3cr3t/Val%2Bue%3DZq9%21k&", "u=***&" },
		{ 0, "u=S3cr3t%2FVal%2Bue%3DZq9%21k&", "u=***&" },
		{ 0, "u=S3cr3t/Val%2bue%3dZq9%21k&", "u=***&" },
		{ 0, "u=S3cr3t%2fVal%2bue%3dZq9%21k&", "u=***&" },
		/* only the reserved characters encoded; encodeURIComponent keeps "!" */
		{ 0, "S3cr3t%2FVal%2Bue%3DZq9%21k", "***" },
		{ 0, "S3cr3t%2FVal%2Bue%3DZq9!k", "***" },
		/* quote_plus turns a space into "+"; quote into %20 */
		{ 1, "pa+ss%2Fw%C3%B6rd%2B%22x", "***" },
		{ 1, "pa%20ss/w%C3%B6rd%2B%22x", "***" },
		{ 1, "pa%20ss%2fw%c3%b6rd%2b%22x", "***" },
	};

	(void)state;
	expect_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_json_forms(void **state)
{
	static const struct mcase cases[] = {
		{ 0, "{\"pw\": \"S3cr3t\\/Val+ue=Zq9!k\"}", "{\"pw\": \"***\"}" },
		/* json.dumps (ensure_ascii), lower- and upper-case \u, and without it */
		{ 1, "{\"pw\": \"pa ss/w\\u00f6rd+\\\"x\"}", "{\"pw\": \"***\"}" },
		{ 1, "{\"pw\": \"pa ss\\/w\\u00F6rd+\\\"x\"}", "{\"pw\": \"***\"}" },
		{ 1, "{\"pw\": \"pa ss/w\xc3\xb6rd+\\\"x\"}", "{\"pw\": \"***\"}" },
	};

	(void)state;
	expect_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_minimum_lengths(void **state)
{
	inn_masker *m = NULL;

	(void)state;
	assert_int_equal(inn_masker_new(&m), 0);
	/* shorter than INN_MASK_MIN_LEN: not masked at all */
	assert_int_equal(inn_masker_add(m, "a"), 0);
	assert_int_equal(inn_masker_add(m, "ab"), 0);
	assert_int_equal(inn_masker_count(m), 0);
	assert_null(inn_masker_apply(m, "a banana, abba", 14, NULL));
	/* shorter than INN_MASK_FORMS_MIN_LEN: only itself, not "YWJj" */
	assert_int_equal(inn_masker_add(m, "abc"), 0);
	assert_int_equal(inn_masker_count(m), 1);
	expect(m, "abc YWJj", "*** YWJj");
	inn_masker_free(m);
}

static void
collect(void *ud, const char *value)
{
	int *n = ud;

	assert_true(strcmp(value, "first-secret") == 0 || strcmp(value, "second-secret") == 0);
	(*n)++;
}

static void
test_each_value_lists_values_once(void **state)
{
	inn_masker *m = masker_with("first-secret");
	int n = 0;

	(void)state;
	assert_int_equal(inn_masker_add(m, "second-secret"), 0);
	assert_int_equal(inn_masker_add(m, "first-secret"), 0);
	inn_masker_each_value(m, collect, &n);
	assert_int_equal(n, 2);
	inn_masker_free(m);
}

/* Cut a buffer where the scan allows, mask each piece: the secret never
 * survives whatever its position relative to the end. */
static void
test_cut_never_splits_a_secret(void **state)
{
	inn_masker *m = masker_with(SECRET), *none = NULL;
	const size_t cap = 1024, sl = strlen(SECRET);
	char *buf = malloc(cap);
	size_t pos;

	(void)state;
	assert_non_null(buf);
	for (pos = cap - sl - 40; pos < cap; pos++) {
		size_t cut, n = sl < cap - pos ? sl : cap - pos;
		char *a;

		memset(buf, 'x', cap);
		memcpy(buf + pos, SECRET, n);
		cut = inn_masker_cut(m, buf, cap);
		assert_true(cut >= cap / 2 && cut <= cap);
		/* the first piece holds no part of the secret that a later one
		 * completes: either all of it (masked) or none of it */
		a = inn_masker_apply(m, buf, cut, NULL);
		if (pos + sl <= cut) {
			assert_non_null(a);
			assert_null(strstr(a, "S3cr"));
		} else {
			assert_true(cut <= pos);
		}
		free(a);
	}
	/* nothing registered: the whole buffer */
	assert_int_equal(inn_masker_new(&none), 0);
	assert_int_equal(inn_masker_cut(none, buf, cap), cap);
	inn_masker_free(none);
	free(buf);
	inn_masker_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_forms),
		cmocka_unit_test(test_url_forms),
		cmocka_unit_test(test_json_forms),
		cmocka_unit_test(test_minimum_lengths),
		cmocka_unit_test(test_each_value_lists_values_once),
		cmocka_unit_test(test_cut_never_splits_a_secret),
	};

	return cmocka_run_group_tests_name("mask", tests, NULL, NULL);
}
