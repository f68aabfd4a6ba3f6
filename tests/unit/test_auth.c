/*
 * test_auth.c - the daemon's layer below HTTP (server/auth.c,
 * server/utf8_out.c): an API key is checked against the store and then
 * served from the cache until the cache is emptied (a revoked key stops
 * working at once) or its entry expires (a key revoked by another replica); the tenancy rule and the store filters agree; text
 * leaving the server is valid UTF-8 with bad bytes and NUL replaced; the
 * built-in SHA-256 of key hashes is OpenSSL's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "auth.h"
#include "error.h"
#include "sha256.h"
#include "testutil.h"
#include "utf8_out.h"

static void
test_key_check_cache_and_revocation(void **state)
{
	char *dir = tu_mkdtemp("auth"), *plain = NULL;
	inn_store *st = NULL;
	inn_principal p;

	(void)state;
	assert_int_equal(inn_store_open(&st, tu_path(dir, "a.db")), 0);
	assert_int_equal(inn_store_key_create(st, "alice", "user", "red", &plain), 0);
	memset(&p, 0, sizeof(p));
	assert_int_equal(inn_auth_key_check(st, plain, &p), 0);
	assert_string_equal(p.name, "alice");
	assert_string_equal(p.role, "user");
	assert_string_equal(p.team, "red");
	assert_int_equal(inn_auth_key_check(st, "inn_not-a-key", &p), INN_ENOTFOUND);
	/* revoked in the store: the cache still knows it until it is emptied */
	assert_int_equal(inn_store_key_revoke(st, "alice"), 0);
	assert_int_equal(inn_auth_key_check(st, plain, &p), 0);
	inn_auth_forget_keys();
	assert_int_equal(inn_auth_key_check(st, plain, &p), INN_ENOTFOUND);
	free(plain);
	plain = NULL;
	/* revoked by another replica of the store (nothing tells this one):
	 * refused once the cached entry's 1.5 s are over */
	assert_int_equal(inn_store_key_create(st, "bob", "user", "red", &plain), 0);
	assert_int_equal(inn_auth_key_check(st, plain, &p), 0);
	assert_int_equal(inn_store_key_revoke(st, "bob"), 0);
	{
		struct timespec ts = { 1, 600 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	assert_int_equal(inn_auth_key_check(st, plain, &p), INN_ENOTFOUND);
	free(plain);
	inn_store_close(st);
	tu_rmrf_free(dir);
}

/* the built-in SHA-256 (API key hashes) agrees with OpenSSL's at every
 * padding boundary, and with FIPS 180-2's "abc" example */
static void
test_sha256_matches_openssl(void **state)
{
	static const unsigned char abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
		0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
		0xf2, 0x00, 0x15, 0xad,
	};
	unsigned char buf[300], mine[32], theirs[32];
	unsigned int len;
	size_t n;

	(void)state;
	inn_sha256("abc", 3, mine);
	assert_memory_equal(mine, abc, 32);
	for (n = 0; n < sizeof(buf); n++)
		buf[n] = (unsigned char)(n * 7 + 1);
	for (n = 0; n <= sizeof(buf); n++) {
		inn_sha256(n ? buf : NULL, n, mine);
		len = 0;
		assert_int_equal(EVP_Digest(buf, n, theirs, &len, EVP_sha256(), NULL), 1);
		assert_memory_equal(mine, theirs, 32);
	}
}

static inn_caller
caller(const char *name, const char *team, int admin)
{
	inn_caller c;

	memset(&c, 0, sizeof(c));
	strncpy(c.p.name, name, sizeof(c.p.name) - 1);
	strncpy(c.p.team, team, sizeof(c.p.team) - 1);
	strncpy(c.p.role, admin ? "admin" : "user", sizeof(c.p.role) - 1);
	c.admin = admin;
	return c;
}

static void
test_tenancy_rule_and_store_scope(void **state)
{
	inn_caller admin = caller("root", "", 1), red = caller("alice", "red", 0);
	inn_caller lone = caller("lone", "", 0);

	(void)state;
	/* an admin sees everything and filters nothing */
	assert_true(inn_caller_sees(&admin, "blue", "bob"));
	assert_true(inn_caller_sees(&admin, NULL, NULL));
	assert_null(inn_caller_scope_team(&admin));
	assert_null(inn_caller_scope_user(&admin));
	/* a team key: its team's, whoever created them */
	assert_true(inn_caller_sees(&red, "red", "carol"));
	assert_false(inn_caller_sees(&red, "blue", "alice"));
	assert_false(inn_caller_sees(&red, NULL, "alice"));
	assert_string_equal(inn_caller_scope_team(&red), "red");
	assert_null(inn_caller_scope_user(&red));
	/* a key without a team: only what it created without a team */
	assert_true(inn_caller_sees(&lone, NULL, "lone"));
	assert_false(inn_caller_sees(&lone, NULL, "root"));
	assert_false(inn_caller_sees(&lone, "red", "lone"));
	assert_false(inn_caller_sees(&lone, NULL, NULL));
	assert_null(inn_caller_scope_team(&lone));
	assert_string_equal(inn_caller_scope_user(&lone), "lone");
}

static void
test_utf8_out_replaces_bad_bytes_and_nul(void **state)
{
	static const char in[] = "ok \xc3\xa9 \xff x\0y \xe2\x82";
	char *out;

	(void)state;
	out = inn_utf8_dup(in, sizeof(in) - 1);
	assert_non_null(out);
	assert_string_equal(out, "ok \xc3\xa9 \xef\xbf\xbd x\xef\xbf\xbdy \xef\xbf\xbd\xef\xbf\xbd");
	free(out);
	out = inn_utf8_dup("", 0);
	assert_string_equal(out, "");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_check_cache_and_revocation),
		cmocka_unit_test(test_sha256_matches_openssl),
		cmocka_unit_test(test_tenancy_rule_and_store_scope),
		cmocka_unit_test(test_utf8_out_replaces_bad_bytes_and_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
