/*
 * mask.h - the secret masker.  One masker serves an execution: every value
 * registered (a secret, a secret output) is replaced by "***" in every log
 * line and every output that leaves the engine, together with its base64 and
 * URL-encoded forms.  Thread-safe.
 */
#ifndef INN_CORE_MASK_H
#define INN_CORE_MASK_H

#include <stddef.h>

typedef struct inn_masker inn_masker;

#define INN_MASK_TEXT "***"
/* Values shorter than this are not masked: masking "1" would garble every log. */
#define INN_MASK_MIN_LEN 3

int inn_masker_new(inn_masker **out);
void inn_masker_free(inn_masker *m);
/* Registers value (and its encodings).  Returns 0, or INN_ENOMEM. */
int inn_masker_add(inn_masker *m, const char *value);
/* Number of registered patterns (value and encodings count separately). */
size_t inn_masker_count(inn_masker *m);
/* Returns a malloc'd masked copy of s[0..len) with its length in *outlen, or
 * NULL when s contains no secret (the caller then uses s as is). */
char *inn_masker_apply(inn_masker *m, const char *s, size_t len, size_t *outlen);

#endif
