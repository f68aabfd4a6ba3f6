/*
 * array.c - room in a doubling array, freeing strings, and finding an
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

void
inn_strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
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
