/*
 * array.c - room in a doubling array, freeing strings and records, and finding an
 * element by name (see array.h).
 */
#include "array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *
inn_array_reserve(void *arr, size_t *cap, size_t want, size_t size, size_t first)
{
	size_t ncap = *cap ? *cap : (first ? first : 1);
	void *grown;

	if (want <= *cap)
		return arr;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2)
			return NULL;
		ncap *= 2;
	}
	if (size != 0 && ncap > SIZE_MAX / size)
		return NULL;
	if ((grown = realloc(arr, ncap * size)) == NULL)
		return NULL;
	*cap = ncap;
	return grown;
}

/* inn_strv_free's clear: frees the string the slot holds. */
static void
free_slot(void *slot)
{
	free(*(char **)slot);
}

void
inn_strv_free(char **v, size_t n)
{
	inn_array_free(v, n, sizeof(*v), free_slot);
}

void
inn_array_free(void *arr, size_t n, size_t size, void (*clear)(void *elem))
{
	size_t i;

	if (arr == NULL)
		return;
	for (i = 0; i < n; i++)
		clear((char *)arr + i * size);
	free(arr);
}

void
inn_free_each(void *const *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(p[i]);
}

/* Whether the char * at offset off of the struct at elem names name. */
static int
named(const void *elem, size_t off, const char *name)
{
	const char *have;

	memcpy(&have, (const char *)elem + off, sizeof(have));
	return have != NULL && strcmp(have, name) == 0;
}

void *
inn_array_find_name(const void *arr, size_t n, size_t size, size_t off, const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (named((const char *)arr + i * size, off, name))
			return (char *)arr + i * size;
	return NULL;
}

void *
inn_ptrv_find_name(const void *v, size_t n, size_t off, const char *name)
{
	size_t i;
	void *elem;

	if (name == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		memcpy(&elem, (const char *)v + i * sizeof(elem), sizeof(elem));
		if (named(elem, off, name))
			return elem;
	}
	return NULL;
}

/* strcmp() of name and key[0..len). */
static int
cmp_len(const char *name, const char *key, size_t len)
{
	int c = strncmp(name, key, len);

	return c != 0 ? c : name[len] != '\0';
}

long
inn_index_find(const size_t *idx, size_t n,
               const char *(*name_of)(const void *ud, size_t i), const void *ud,
               const char *key, size_t len)
{
	size_t lo = 0, hi = n;

	/* the first position whose name is not below key */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_len(name_of(ud, idx[mid]), key, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && cmp_len(name_of(ud, idx[lo]), key, len) == 0)
		return (long)idx[lo];
	return -1;
}
