/*
 * test_vault_setup.c - the parts of vault-setup.so that need no Vault:
 * password alphabets (charset, classes, refusals), passwords drawn from
 * them (length, alphabet, every asked class present, every character of
 * the alphabet about equally frequent: no modulo bias), the KV path,
 * name and address rules.  The plugin against a Vault is tests/vault_setup.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vault_int.h"

static void
test_alphabets(void **state)
{
	char a[256], err[200];

	(void)state;
	assert_int_equal(vs_alphabet("aabbc", 0, a, err, sizeof(err)), 3);
	assert_string_equal(a, "abc");
	assert_int_equal(vs_alphabet(NULL, VS_CLASS_DIGITS, a, err, sizeof(err)), 10);
	assert_int_equal(vs_alphabet(NULL, VS_CLASS_LOWER | VS_CLASS_UPPER, a, err,
	                             sizeof(err)), 52);
	assert_true(vs_alphabet(NULL, 0, a, err, sizeof(err)) > 62);
	assert_int_equal(vs_alphabet("a b", 0, a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "printable ASCII"));
	assert_int_equal(vs_alphabet("\xc3\xa9x", 0, a, err, sizeof(err)), -1);
	assert_int_equal(vs_alphabet("aaaa", 0, a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "two different"));
}

static void
test_passwords_keep_length_alphabet_classes(void **state)
{
	char a[256], err[200], pw[VS_PW_MAX + 1];
	int n, i;
	unsigned cls = VS_CLASS_DIGITS | VS_CLASS_UPPER | VS_CLASS_SYMBOLS;

	(void)state;
	n = vs_alphabet(NULL, cls, a, err, sizeof(err));
	for (i = 0; i < 200; i++) {
		assert_int_equal(vs_password(a, (size_t)n, cls, pw, 8), 0);
		assert_int_equal(strlen(pw), 8);
		assert_int_equal(strspn(pw, a), 8);
		assert_non_null(strpbrk(pw, "0123456789"));
		assert_non_null(strpbrk(pw, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
		assert_null(strpbrk(pw, "abcdefghijklmnopqrstuvwxyz"));
	}
	assert_int_equal(vs_password(a, (size_t)n, cls, pw, VS_PW_MAX), 0);
	assert_int_equal(strlen(pw), VS_PW_MAX);
}

/* An alphabet of 100 characters: 256 % 100 = 56, so drawing byte % 100
 * without rejection would make the first 56 characters 3/2 as likely as
 * the rest.  Over 200000 draws each count stays within 10% of the mean
 * (a biased draw is 20% off; an unbiased one is off by 10% with
 * probability far below 1e-9). */
static void
test_no_modulo_bias(void **state)
{
	char a[101], *pw;
	size_t counts[256] = { 0 }, i, len = 200000;
	double mean = (double)len / 100.0;

	(void)state;
	for (i = 0; i < 100; i++)
		a[i] = (char)(0x21 + i);
	a[100] = '\0';
	pw = malloc(len + 1);
	assert_non_null(pw);
	assert_int_equal(vs_password(a, 100, 0, pw, len), 0);
	for (i = 0; i < len; i++)
		counts[(unsigned char)pw[i]]++;
	for (i = 0; i < 100; i++)
		if (counts[0x21 + i] < mean * 0.9 || counts[0x21 + i] > mean * 1.1)
			fail_msg("character %zu drawn %zu times (mean %.0f)", i,
			         counts[0x21 + i], mean);
	free(pw);
}

/* Every string of good passes ok, none of bad does (NULL-terminated). */
static void
expect_rule(int (*ok)(const char *), const char *const *good, const char *const *bad)
{
	size_t i;

	for (i = 0; good[i] != NULL; i++)
		if (!ok(good[i]))
			fail_msg("\"%s\" refused", good[i]);
	for (i = 0; bad[i] != NULL; i++)
		if (ok(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
}

static void
test_kv_paths(void **state)
{
	static const char *const good[] = { "a", "apps/x/db", "a.b/c-d_e@f", "..a", NULL };
	static const char *const bad[] = { "", "/a", "a/", "a//b", "..", "a/../b", "./a",
	                                   "a b", "a?b", "a%2e", "é", "a\nb", NULL };

	(void)state;
	expect_rule(vs_valid_kv_path, good, bad);
}

/* Names that become a URL path segment or an output name. */
static void
test_names(void **state)
{
	static const char *const good[] = { "a", "app-read", "a.b", "_x", "..a", "a..", NULL };
	static const char *const bad[] = { "", ".", "..", "../a", "a/b", "a b", "a\"b", "é",
	                                   "a%2e", NULL };

	(void)state;
	expect_rule(vs_valid_name, good, bad);
}

static void
test_addresses(void **state)
{
	static const char *const in_out[][2] = {
		{ "vault.example", "https://vault.example:8200" },
		{ "https://vault.example", "https://vault.example:8200" },
		{ "http://127.0.0.1:1234/", "http://127.0.0.1:1234" },
		{ "https://vault.example/prefix/", "https://vault.example:8200/prefix" },
		{ "https://[::1]", "https://[::1]:8200" },
		{ "https://[::1]:8201", "https://[::1]:8201" },
	};
	static const char *const bad[] = {
		"ftp://vault", "https://user:pass@vault", "https://vault?token=x", "https://vault#x",
		"https://va ult", "https://", "", NULL
	};
	char out[VS_ADDR_MAX], err[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in_out) / sizeof(in_out[0]); i++) {
		assert_int_equal(vs_normalise_address(in_out[i][0], out, sizeof(out), err,
		                                      sizeof(err)), 0);
		assert_string_equal(out, in_out[i][1]);
	}
	for (i = 0; bad[i] != NULL; i++)
		if (vs_normalise_address(bad[i], out, sizeof(out), err, sizeof(err)) == 0)
			fail_msg("\"%s\" accepted as %s", bad[i], out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alphabets),
		cmocka_unit_test(test_passwords_keep_length_alphabet_classes),
		cmocka_unit_test(test_no_modulo_bias),
		cmocka_unit_test(test_kv_paths),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
