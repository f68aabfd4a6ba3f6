/*
 * utf8_out.h - text made valid UTF-8 on its way out of the server.
 */
#ifndef INN_SERVER_UTF8_OUT_H
#define INN_SERVER_UTF8_OUT_H

#include <stddef.h>

#include <event2/buffer.h>

/* Appends s[0..len) to b with invalid UTF-8 and NUL replaced by U+FFFD;
 * returns 0, or INN_ENOMEM.  inn_utf8_dup returns the result as a malloc'd
 * string (NULL: no memory). */
int inn_utf8_append(struct evbuffer *b, const char *s, size_t len);
char *inn_utf8_dup(const char *s, size_t len);

#endif
