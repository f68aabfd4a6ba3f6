/*
 * utf8_out.c - text made valid UTF-8 on its way out of the server (JSON
 * replies, SSE messages, stored log lines): bytes that are not UTF-8 and
 * NUL become U+FFFD.  The strict reader itself is server/core/utf8.c.
 */
#include "config.h"

#include <stdlib.h>

#include "error.h"
#include "utf8.h"
#include "utf8_out.h"

int
inn_utf8_append(struct evbuffer *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, start = 0, n;

	while (i < len) {
		if (u[i] != 0 && (n = inn_utf8_len(u + i, len - i)) > 0) {
			i += n;
			continue;
		}
		if ((i > start && evbuffer_add(b, s + start, i - start) != 0) ||
		    evbuffer_add(b, "\xef\xbf\xbd", 3) != 0)
			return inn_error_set(INN_ENOMEM, "out of memory");
		start = ++i;
	}
	if (i > start && evbuffer_add(b, s + start, i - start) != 0)
		return inn_error_set(INN_ENOMEM, "out of memory");
	return 0;
}

char *
inn_utf8_dup(const char *s, size_t len)
{
	struct evbuffer *b = evbuffer_new();
	char *out = NULL;
	size_t n;

	if (b == NULL)
		return NULL;
	if (inn_utf8_append(b, s, len) == 0 && (out = malloc((n = evbuffer_get_length(b)) + 1)))
		out[evbuffer_remove(b, out, n) < 0 ? 0 : n] = '\0';
	evbuffer_free(b);
	return out;
}

