/*
 * state.c - the status words (state.h): inn_state to word and back.
 */
#include "state.h"

#include <stddef.h>
#include <string.h>

#include "error.h"

static const char *const words[] = {
	[INN_STATE_PENDING] = "pending",
	[INN_STATE_RUNNING] = "running",
	[INN_STATE_SUCCEEDED] = "succeeded",
	[INN_STATE_FAILED] = "failed",
	[INN_STATE_SKIPPED] = "skipped",
	[INN_STATE_CANCELLED] = "cancelled",
	[INN_STATE_TIMED_OUT] = "timed_out",
	[INN_STATE_WOULD_RUN] = "would-run",
	[INN_STATE_INTERRUPTED] = "interrupted",
};

#define NWORDS (sizeof(words) / sizeof(words[0]))

const char *
inn_state_name(inn_state s)
{
	if ((size_t)s >= NWORDS || words[s] == NULL)
		return "unknown";
	return words[s];
}

int
inn_state_parse(const char *word, inn_state *out)
{
	size_t i;

	if (word == NULL)
		return INN_EINVAL;
	for (i = 0; i < NWORDS; i++)
		if (words[i] != NULL && strcmp(words[i], word) == 0) {
			*out = (inn_state)i;
			return 0;
		}
	return INN_EINVAL;
}

int
inn_state_is_final(inn_state s)
{
	return s != INN_STATE_PENDING && s != INN_STATE_RUNNING;
}

int
inn_state_is_failure(inn_state s)
{
	return s == INN_STATE_FAILED || s == INN_STATE_TIMED_OUT || s == INN_STATE_CANCELLED;
}

int
inn_state_word_is_final(const char *word)
{
	inn_state st;

	return word != NULL && (inn_state_parse(word, &st) != 0 || inn_state_is_final(st));
}
