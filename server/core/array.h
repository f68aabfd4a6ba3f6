/*
 * array.h - the engine's two growable-array chores in one place: making
 * room in an array that doubles (inn_array_reserve) and freeing an array
 * of malloc'd strings (inn_strv_free).  Used by the host, the masker, the
 * program spawner, the registry, the policy and the store.
 */
#ifndef INN_CORE_ARRAY_H
#define INN_CORE_ARRAY_H

#include <stddef.h>

/* arr, an array of *cap elements of size bytes (NULL and 0 at first), with
 * room for at least want (>= 1): when it has none, reallocated to the first
 * capacity in first, 2 * first, 4 * first, ... that holds want, and *cap
 * set to it.  NULL when out of memory (or want * size would overflow):
 * then arr and *cap are unchanged and arr is still the caller's to free;
 * no error message is set. */
void *inn_array_reserve(void *arr, size_t *cap, size_t want, size_t size, size_t first);

/* Frees v[0..n) and v; NULL v is a no-op. */
void inn_strv_free(char **v, size_t n);

#endif
