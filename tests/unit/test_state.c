/*
 * test_state.c - the one status vocabulary (state.h): every state has one
 * word, the word reads back to the same state, and the words are the ones
 * the API and the store have always shown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "error.h"
#include "state.h"

static void
test_words_are_the_api_words(void **state)
{
	(void)state;
	assert_string_equal(inn_state_name(INN_STATE_PENDING), "pending");
	assert_string_equal(inn_state_name(INN_STATE_RUNNING), "running");
	assert_string_equal(inn_state_name(INN_STATE_SUCCEEDED), "succeeded");
	assert_string_equal(inn_state_name(INN_STATE_FAILED), "failed");
	assert_string_equal(inn_state_name(INN_STATE_SKIPPED), "skipped");
	assert_string_equal(inn_state_name(INN_STATE_CANCELLED), "cancelled");
	assert_string_equal(inn_state_name(INN_STATE_TIMED_OUT), "timed_out");
	assert_string_equal(inn_state_name(INN_STATE_WOULD_RUN), "would-run");
	assert_string_equal(inn_state_name(INN_STATE_INTERRUPTED), "interrupted");
	assert_string_equal(inn_state_name((inn_state)99), "unknown");
}

static void
test_parse_is_the_inverse(void **state)
{
	inn_state s, back;

	(void)state;
	for (s = INN_STATE_PENDING; s <= INN_STATE_INTERRUPTED; s++) {
		back = INN_STATE_PENDING;
		assert_int_equal(inn_state_parse(inn_state_name(s), &back), 0);
		assert_int_equal(back, s);
	}
	back = INN_STATE_FAILED;
	assert_int_equal(inn_state_parse("timed-out", &back), INN_EINVAL);
	assert_int_equal(inn_state_parse("Succeeded", &back), INN_EINVAL);
	assert_int_equal(inn_state_parse("unknown", &back), INN_EINVAL);
	assert_int_equal(inn_state_parse("", &back), INN_EINVAL);
	assert_int_equal(inn_state_parse(NULL, &back), INN_EINVAL);
	assert_int_equal(back, INN_STATE_FAILED);
}

static void
test_final_states(void **state)
{
	static const struct {
		const char *word;
		int final;
	} stored[] = {
		{ "pending", 0 }, { "running", 0 }, { "cancelled", 1 }, { "interrupted", 1 },
		{ "gone-away", 1 }, { NULL, 0 },
	};
	inn_state s;
	size_t i;

	(void)state;
	assert_false(inn_state_is_final(INN_STATE_PENDING));
	assert_false(inn_state_is_final(INN_STATE_RUNNING));
	for (s = INN_STATE_SUCCEEDED; s <= INN_STATE_INTERRUPTED; s++)
		assert_true(inn_state_is_final(s));
	/* the same for stored words: a word nothing will move on is final */
	for (i = 0; i < sizeof(stored) / sizeof(stored[0]); i++)
		assert_int_equal(inn_state_word_is_final(stored[i].word), stored[i].final);
	assert_string_equal(INN_STATE_WORD(TIMED_OUT), "timed_out");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_are_the_api_words),
		cmocka_unit_test(test_parse_is_the_inverse),
		cmocka_unit_test(test_final_states),
	};

	return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
