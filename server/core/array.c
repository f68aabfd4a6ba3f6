/*
 * array.c - room in a doubling array, and freeing a string array (see
 * array.h).
 */
#include "array.h"

#include <stdint.h>
#include <stdlib.h>

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
