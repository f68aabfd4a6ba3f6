/*
 * utf8.h - one strict UTF-8 reader for everything that must refuse or
 * replace bytes that are not text (request bodies, replies, streams).
 */
#ifndef INN_CORE_UTF8_H
#define INN_CORE_UTF8_H

#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at s (1..4; left bytes
 * remain), or 0 when the bytes there are not one: overlong forms,
 * surrogates, code points over U+10FFFF and truncated sequences refused. */
size_t inn_utf8_len(const unsigned char *s, size_t left);

#endif
