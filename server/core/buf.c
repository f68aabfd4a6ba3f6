/*
 * buf.c - the bounded text buffer, and formatting into a line buffer with
 * a heap copy when it is too short (see buf.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
inn_buf_init(inn_buf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

/* Makes room for n more bytes and the NUL. */
static int
reserve(inn_buf *b, size_t n)
{
	size_t cap;
	char *np;

	if (n > b->max || b->len > b->max - n)
		return INN_ETOOBIG;
	if (b->len + n + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap = cap > ((size_t)-1) / 2 ? b->len + n + 1 : cap * 2;
	if (b->max < ((size_t)-1) && cap > b->max + 1)
		cap = b->max + 1;
	if ((np = realloc(b->p, cap)) == NULL)
		return INN_ENOMEM;
	b->p = np;
	b->cap = cap;
	return 0;
}

int
inn_buf_add(inn_buf *b, const void *d, size_t n)
{
	int rc;

	if ((rc = reserve(b, n)) != 0)
		return rc;
	if (n > 0)
		memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
inn_buf_adds(inn_buf *b, const char *s)
{
	return inn_buf_add(b, s, strlen(s));
}

int
inn_buf_vaddf(inn_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n, rc;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return INN_EINVAL;
	if ((rc = reserve(b, (size_t)n)) != 0)
		return rc;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
inn_buf_addf(inn_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = inn_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void
inn_buf_reset(inn_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

char *
inn_buf_take(inn_buf *b)
{
	char *p = b->p;

	if (p == NULL)
		p = strdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void
inn_buf_free(inn_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int
inn_vformat(char *buf, size_t len, char **big, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	*big = NULL;
	va_copy(aq, ap);
	n = vsnprintf(buf, len, fmt, aq);
	va_end(aq);
	if (n >= 0 && (size_t)n >= len && (*big = malloc((size_t)n + 1)) != NULL)
		vsnprintf(*big, (size_t)n + 1, fmt, ap);
	return n;
}
