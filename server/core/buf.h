/*
 * buf.h - one growable text buffer with a mandatory upper bound.
 *
 * Every buffer that grows from outside input (rendered templates, HTTP
 * replies, frames from a worker, tool output) has a maximum: a caller
 * states it when the buffer is made, and an append that would pass it
 * fails and leaves the buffer as it was.  The bytes are always followed
 * by a NUL, so b->p can be read as a C string once anything was added.
 */
#ifndef INN_CORE_BUF_H
#define INN_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include <innominatus/plugin.h>

typedef struct inn_buf {
	char *p;      /* NULL until the first append; then NUL-terminated */
	size_t len;   /* bytes held, without the NUL */
	size_t cap;   /* bytes allocated */
	size_t max;   /* most bytes it may hold (not counting the NUL) */
} inn_buf;

/* An empty buffer that will hold at most max bytes. */
#define INN_BUF_INIT(max_) { NULL, 0, 0, (max_) }
void inn_buf_init(inn_buf *b, size_t max);

/* Append n bytes / a string / formatted text.  0, or INN_ETOOBIG past
 * b->max, or INN_ENOMEM; on failure the buffer is unchanged.  Neither
 * sets the thread's error message: callers word their own. */
int inn_buf_add(inn_buf *b, const void *d, size_t n);
int inn_buf_adds(inn_buf *b, const char *s);
int inn_buf_addf(inn_buf *b, const char *fmt, ...) INN_PRINTF_LIKE(2, 3);
int inn_buf_vaddf(inn_buf *b, const char *fmt, va_list ap)
	INN_PRINTF_LIKE(2, 0);

/* Formats into buf (len bytes, the text cut there) and, when the text is
 * longer, also whole into a malloc'd *big; *big is NULL when the text fits
 * or memory is short.  Returns the whole text's length, or negative on a
 * format error.  For a fixed line buffer with a rare long message. */
int inn_vformat(char *buf, size_t len, char **big, const char *fmt, va_list ap)
	INN_PRINTF_LIKE(4, 0);

/* Forget the contents, keep the memory. */
void inn_buf_reset(inn_buf *b);
/* Hand the text to the caller (never NULL on success: "" when empty);
 * the buffer is empty again.  NULL when out of memory. */
char *inn_buf_take(inn_buf *b);
void inn_buf_free(inn_buf *b);

#endif
