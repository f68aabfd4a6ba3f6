/*
 * mask.h - the secret masker.  One masker serves an execution: every value
 * registered (a secret, a secret output) is replaced by "***" in every log
 * line and every output that leaves the engine, together with the encoded
 * forms a program is likely to print it in (base64 in every alignment and
 * alphabet, percent-encodings, JSON escapes; the list and the accepted
 * limits are at the top of mask.c).  Thread-safe.
 */
#ifndef INN_CORE_MASK_H
#define INN_CORE_MASK_H

#include <stddef.h>

typedef struct inn_masker inn_masker;

#define INN_MASK_TEXT "***"
/* Values shorter than this are not masked: masking "1" would garble every log. */
#define INN_MASK_MIN_LEN 3
/* Values shorter than this are masked only as themselves, not in encoded
 * forms (whose fragments would be shorter still and match by chance);
 * encoded forms shorter than this are not registered either. */
#define INN_MASK_FORMS_MIN_LEN 6

int inn_masker_new(inn_masker **out);
void inn_masker_free(inn_masker *m);
/* Registers value (and its encodings).  Returns 0, or INN_ENOMEM. */
int inn_masker_add(inn_masker *m, const char *value);
/* Number of registered patterns (value and encodings count separately). */
size_t inn_masker_count(inn_masker *m);
/* Calls fn(ud, value) for every value registered (not its forms), under
 * the masker's lock: fn must not call the masker.  (The engine hands them
 * to the worker process that runs a step, which masks with them too.) */
void inn_masker_each_value(inn_masker *m, void (*fn)(void *ud, const char *value), void *ud);
/* Returns a malloc'd masked copy of s[0..len) with its length in *outlen, or
 * NULL when s contains no secret (the caller then uses s as is). */
char *inn_masker_apply(inn_masker *m, const char *s, size_t len, size_t *outlen);
/* Where to cut s[0..len), a full buffer of a longer line, so that no
 * registered form is split: every match starting before the cut ends
 * before it, and anything after it that may be the start of a secret
 * continuing past len is kept for the next piece.  Returns a position in
 * [len/2, len]; len when nothing is registered. */
size_t inn_masker_cut(inn_masker *m, const char *s, size_t len);

struct json_object;
/* Appends to into (a JSON array) every string of o, in arrays and objects
 * at any depth, that m masks whole to INN_MASK_TEXT: the secret values
 * among a step's or a run's outputs, for a later run's masker. */
void inn_masker_collect(inn_masker *m, struct json_object *o, struct json_object *into);

#endif
