/*
 * test_secretbox.c - the server's at-rest sealing of secret inputs
 * (server/secretbox.c): the key file is created 0600 and reused, a value
 * sealed opens only with the same key and undamaged, and a key file that
 * group or others may use, or of the wrong size, is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "secretbox.h"
#include "testutil.h"

#define PLAIN "{\"params\":{\"pw\":\"Correct-Horse-Battery-55\"}}"

static void
test_seal_open_round_trip_and_key_reuse(void **state)
{
	char *dir = tu_mkdtemp("sbox"), key[4096], *sealed = NULL, *plain = NULL;
	inn_secretbox *a = NULL, *b = NULL;
	struct stat st;
	size_t len = 0;

	(void)state;
	snprintf(key, sizeof(key), "%s/inn.db.key", dir);
	assert_int_equal(inn_secretbox_open(&a, key), 0);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, INN_SECRETBOX_KEY_LEN);
	assert_int_equal(inn_secretbox_seal(a, PLAIN, strlen(PLAIN), &sealed), 0);
	assert_null(strstr(sealed, "Correct"));
	assert_int_equal(strncmp(sealed, "v1:", 3), 0);
	/* the same file next start: the same key */
	assert_int_equal(inn_secretbox_open(&b, key), 0);
	assert_int_equal(inn_secretbox_unseal(b, sealed, &plain, &len), 0);
	assert_string_equal(plain, PLAIN);
	assert_int_equal(len, strlen(PLAIN));
	free(plain);
	free(sealed);
	inn_secretbox_free(a);
	inn_secretbox_free(b);
	tu_rmrf_free(dir);
}

static void
test_other_key_or_damage_is_refused(void **state)
{
	inn_secretbox *a = NULL, *b = NULL;
	char *sealed = NULL, *plain = NULL;

	(void)state;
	assert_int_equal(inn_secretbox_open(&a, NULL), 0);
	assert_int_equal(inn_secretbox_open(&b, NULL), 0);
	assert_int_equal(inn_secretbox_seal(a, PLAIN, strlen(PLAIN), &sealed), 0);
	assert_int_equal(inn_secretbox_unseal(b, sealed, &plain, NULL), INN_EINVAL);
	assert_null(plain);
	assert_true(tu_contains(inn_error_last(), "key"));
	/* one flipped character of the ciphertext */
	sealed[10] = sealed[10] == 'A' ? 'B' : 'A';
	assert_int_equal(inn_secretbox_unseal(a, sealed, &plain, NULL), INN_EINVAL);
	assert_int_equal(inn_secretbox_unseal(a, "v1:", &plain, NULL), INN_EINVAL);
	assert_int_equal(inn_secretbox_unseal(a, "v1:!!!!", &plain, NULL), INN_EINVAL);
	assert_int_equal(inn_secretbox_unseal(a, "plain text", &plain, NULL), INN_EINVAL);
	assert_null(plain);
	free(sealed);
	inn_secretbox_free(a);
	inn_secretbox_free(b);
}

static void
test_loose_or_wrong_key_file_is_refused(void **state)
{
	char *dir = tu_mkdtemp("sbox"), key[4096];
	inn_secretbox *a = NULL;

	(void)state;
	snprintf(key, sizeof(key), "%s/k", dir);
	assert_int_equal(inn_secretbox_open(&a, key), 0);
	inn_secretbox_free(a);
	a = NULL;
	assert_int_equal(chmod(key, 0640), 0);
	assert_int_equal(inn_secretbox_open(&a, key), INN_EINVAL);
	assert_null(a);
	assert_true(tu_contains(inn_error_last(), "0640"));
	assert_int_equal(tu_write(key, "short"), 0);
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(inn_secretbox_open(&a, key), INN_EINVAL);
	assert_true(tu_contains(inn_error_last(), "not 32"));
	tu_rmrf_free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_open_round_trip_and_key_reuse),
		cmocka_unit_test(test_other_key_or_damage_is_refused),
		cmocka_unit_test(test_loose_or_wrong_key_file_is_refused),
	};

	return cmocka_run_group_tests_name("secretbox", tests, NULL, NULL);
}
