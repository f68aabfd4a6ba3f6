/*
 * http_scan.h - follows the bytes of one HTTP/1.x connection (request
 * heads, Content-Length and chunked bodies) and decides at the end of each
 * head, before its body is read, whether the request may go on: a body
 * needs a valid API key and must fit the limit; ambiguous framing is
 * refused.  No I/O here: http.c feeds it what each read brought, and the
 * fuzz target feeds it anything.
 */
#ifndef INN_SERVER_HTTP_SCAN_H
#define INN_SERVER_HTTP_SCAN_H

#include <stddef.h>
#include <stdint.h>

typedef enum inn_scan_state {
	INN_SCAN_HEAD,        /* reading a request head */
	INN_SCAN_BODY,        /* skipping a Content-Length body */
	INN_SCAN_CHUNK_SIZE,  /* reading a chunk-size line */
	INN_SCAN_CHUNK_DATA,  /* skipping a chunk and its CRLF */
	INN_SCAN_TRAILER,     /* reading trailer lines up to the empty one */
	INN_SCAN_REFUSED      /* status, code and msg say why; the rest is ignored */
} inn_scan_state;

typedef struct inn_scan {
	/* set by the caller (a zeroed struct plus these) */
	size_t max_body;                 /* bytes of a body, declared or chunked */
	size_t head_max;                 /* bytes of a request head */
	int (*key_ok)(void *arg, const char *key);  /* 1 if the bearer key is valid */
	void *arg;
	/* state */
	inn_scan_state st;
	char *line;                      /* the head (or chunk line) so far */
	size_t llen, lcap;
	uint64_t left;                   /* bytes still to skip */
	uint64_t chunked;                /* chunked body bytes so far */
	int64_t cur;                     /* bytes of the current request seen */
	int big;                         /* a body over 256 KiB was let through */
	size_t hlen;                     /* bytes of the head and trailer so far */
	/* the refusal */
	int status;                      /* 400, 401, 413, 431, 501 or 505 */
	const char *code;
	char msg[256];
} inn_scan;

/* Feeds n bytes.  Returns 0 (*used = n), or the status of a refusal with
 * *used = the bytes looked at up to it (then st is INN_SCAN_REFUSED and
 * every later call returns the same status at once). */
int inn_scan_feed(inn_scan *s, const unsigned char *p, size_t n, size_t *used);
/* Frees the line buffer (the struct is the caller's). */
void inn_scan_free(inn_scan *s);

#endif
