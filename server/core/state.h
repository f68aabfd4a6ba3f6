/*
 * state.h - the one status vocabulary: the states of a step, a run and an
 * execution, and the one word for each that the API, the store, the
 * events, the metrics and the CLI all show.  A change to a status word is
 * made here (state.c) and nowhere else.
 */
#ifndef INN_CORE_STATE_H
#define INN_CORE_STATE_H

typedef enum inn_state {
	INN_STATE_PENDING = 0,
	INN_STATE_RUNNING,
	INN_STATE_SUCCEEDED,
	INN_STATE_FAILED,
	INN_STATE_SKIPPED,
	INN_STATE_CANCELLED,
	INN_STATE_TIMED_OUT,
	INN_STATE_WOULD_RUN,      /* dry-run: the step would run */
	INN_STATE_INTERRUPTED     /* an execution the server stopped under (the
	                           * store's word; the engine never reports it) */
} inn_state;

/* The word of a state named by its suffix: INN_STATE_WORD(PENDING). */
#define INN_STATE_WORD(s) inn_state_name(INN_STATE_##s)

/* The word for s: pending, running, succeeded, failed, skipped, cancelled,
 * timed_out, would-run, interrupted ("unknown" for a value not listed). */
const char *inn_state_name(inn_state s);
/* The state whose word is exactly word: 0 and *out, or INN_EINVAL (no
 * message set: callers say what the word was for). */
int inn_state_parse(const char *word, inn_state *out);
/* Non-zero for every state but pending and running. */
int inn_state_is_final(inn_state s);
/* Non-zero for the states of a step that did not succeed by itself:
 * failed, timed_out, cancelled. */
int inn_state_is_failure(inn_state s);
/* The same for a stored word (a word not listed counts as final: nothing
 * will move it on); 0 for NULL. */
int inn_state_word_is_final(const char *word);

#endif
