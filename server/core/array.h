/*
 * array.h - the engine's array chores in one place: making room in an
 * array that doubles (inn_array_reserve), freeing an array of malloc'd
 * strings (inn_strv_free) or of records (inn_array_free), freeing a struct's several malloc'd members
 * (INN_FREE_ALL) and finding an element by its name (inn_array_find_name,
 * inn_ptrv_find_name; inn_index_find over a sorted index).  Used by the host, the masker, the program spawner,
 * the registry, the policy, the loaders, the catalog and the store.
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

/* Frees a list: calls clear on each of the n elements of size bytes at arr
 * (clear frees what the element owns, not the element), then frees arr;
 * NULL arr is a no-op. */
void inn_array_free(void *arr, size_t n, size_t size, void (*clear)(void *elem));
/* Defines name, the inn_array_free clear for a list of T pointers: it hands
 * each pointer to free_fn. */
#define INN_PTR_CLEAR(name, T, free_fn) \
	static void name(void *slot) { free_fn(*(T **)slot); }

/* Frees p[0..n) (each may be NULL). */
void inn_free_each(void *const *p, size_t n);
/* Frees each of its arguments (pointers, each may be NULL): one line for a
 * destructor's run of free() calls. */
#define INN_FREE_ALL(...) \
	inn_free_each((void *const[]){ __VA_ARGS__ }, \
	              sizeof((void *const[]){ __VA_ARGS__ }) / sizeof(void *))

/* The first of the n elements of size bytes at arr whose name (a char *
 * member at offset off; NULL matches nothing) is name, or NULL; NULL also
 * when name is NULL. */
void *inn_array_find_name(const void *arr, size_t n, size_t size, size_t off,
                          const char *name);
/* The same over v, an array of n pointers (T **, passed as is) to structs
 * whose name member is at offset off: the first such struct, or NULL. */
void *inn_ptrv_find_name(const void *v, size_t n, size_t off, const char *name);

/* Binary search of idx[0..n), element indices sorted by the names
 * name_of(ud, index) gives (strcmp order): the first index in idx whose
 * name is key[0..len) (no NUL needed there), or -1. */
long inn_index_find(const size_t *idx, size_t n,
                    const char *(*name_of)(const void *ud, size_t i), const void *ud,
                    const char *key, size_t len);

#endif
