/*
 * http_scan.c - the request-head scanner of the connection guard (see
 * http_scan.h and the top of http.c): RFC 9112 framing only, as far as
 * the decision needs it.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_scan.h"

#define SCAN_LINE_MAX 1024       /* a chunk-size or trailer line */
#define SCAN_BIG_BODY (256 * 1024)

static void
refuse(inn_scan *s, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
refuse(inn_scan *s, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
	s->status = status;
	s->code = code;
	s->st = INN_SCAN_REFUSED;
}

/* The value of header line l ("Name: value") if its name is name. */
static const char *
header_value(const char *l, const char *name, size_t *vlen, const char *eol)
{
	size_t n = strlen(name);
	const char *v;

	if ((size_t)(eol - l) <= n || strncasecmp(l, name, n) != 0 || l[n] != ':')
		return NULL;
	for (v = l + n + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
		;
	while (eol > v && (eol[-1] == ' ' || eol[-1] == '\t' || eol[-1] == '\r'))
		eol--;
	*vlen = (size_t)(eol - v);
	return v;
}

/* 1 if ch may be in a header field name (RFC 9110 5.6.2 tchar). */
static int
is_tchar(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Checks one header (or trailer) line l..eol (eol at its '\n' or the end):
 * a token, a colon right after it, a value without control characters
 * other than tab.  libevent would take "Name : v" for another header than
 * "Name", fold a line that starts with a space into the previous one and
 * answer a line without a colon with its HTML 400: all are refused here,
 * so that what evhttp sees is what was checked (RFC 9112 5.1, 5.2).
 * Returns 0, or refuses and returns -1. */
static int
field_line_ok(inn_scan *c, const char *l, const char *eol)
{
	const char *p = l, *colon;

	if (eol > l && eol[-1] == '\r')
		eol--;
	if (p < eol && (*p == ' ' || *p == '\t')) {
		refuse(c, 400, "bad_request", "a header line starting with white space (an "
		       "obsolete line folding) is not accepted");
		return -1;
	}
	while (p < eol && is_tchar((unsigned char)*p))
		p++;
	if (p == l || p == eol || *p != ':') {
		refuse(c, 400, "bad_request", "a bad header line \"%.*s\": a header name is a "
		       "token followed by a colon, without white space before it",
		       (int)(eol - l > 40 ? 40 : eol - l), l);
		c->msg[strcspn(c->msg, "\r\n")] = '\0';
		return -1;
	}
	colon = p;
	for (p++; p < eol; p++)
		if ((*p >= 0 && *p < 0x20 && *p != '\t') || *p == 0x7f) {
			refuse(c, 400, "bad_request", "header %.*s has a control character in its "
			       "value", (int)(colon - l > 40 ? 40 : colon - l), l);
			return -1;
		}
	return 0;
}

/* 1 if the request line l..eol starts with a method evhttp does not know
 * (a token, then a space): evhttp would answer its own HTML 501. */
static int
unknown_method(const char *l, const char *eol, size_t *mlen)
{
	static const char *const known[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS",
	                                     "TRACE", "CONNECT", "PATCH" };
	const char *p = l;
	size_t i;

	while (p < eol && is_tchar((unsigned char)*p))
		p++;
	if (p == l || p == eol || *p != ' ')
		return 0;       /* not a request line: evhttp's parser says so */
	*mlen = (size_t)(p - l);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i]) == *mlen && memcmp(known[i], l, *mlen) == 0)
			return 0;
	return 1;
}

/* Checks the request line l..eol (eol at its '\n'): METHOD SP target SP
 * HTTP/D.D, the target without spaces or control characters.  evhttp
 * answers anything else -- "GARBAGE", "GET /", another version -- with
 * its own HTML 400, so it is refused here with the JSON error body
 * (RFC 9112 3; 505 for a version other than 1.0 and 1.1, RFC 9110
 * 15.6.6).  Returns 0, or refuses and returns -1. */
static int
request_line_ok(inn_scan *c, const char *l, const char *eol)
{
	const char *p = l, *v;

	if (eol > l && eol[-1] == '\r')
		eol--;
	while (p < eol && is_tchar((unsigned char)*p))
		p++;
	if (p == l || p == eol || *p != ' ')
		goto bad;
	if (++p == eol || *p == ' ')
		goto bad;
	while (p < eol && *p != ' ') {
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			goto bad;
		p++;
	}
	if (p == eol)
		goto bad;
	v = ++p;
	if (eol - v != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
	    v[6] != '.' || v[7] < '0' || v[7] > '9')
		goto bad;
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1')) {
		refuse(c, 505, "http_version_not_supported", "%.8s is not supported: this "
		       "server speaks HTTP/1.1 (and HTTP/1.0)", v);
		return -1;
	}
	return 0;
bad:
	/* the line itself is not quoted: it may hold anything */
	refuse(c, 400, "bad_request", "a malformed request line (expected METHOD TARGET "
	       "HTTP/1.1, one space between each, e.g. \"GET /api/providers HTTP/1.1\")");
	return -1;
}

/* A complete head is in c->line: decide before any of its body is kept. */
static void
scan_head(inn_scan *c)
{
	const char *l = c->line, *end = c->line + c->llen, *eol, *v;
	const char *auth = NULL;
	size_t vlen, alen = 0;
	int ncl = 0, nte = 0, chunked = 0;
	unsigned long long cl = 0;

	/* the request line first, then one header per line */
	eol = memchr(l, '\n', (size_t)(end - l));
	if (unknown_method(l, eol ? eol : end, &vlen)) {
		refuse(c, 501, "not_implemented", "method %.*s is not supported (GET, HEAD, "
		       "POST, PUT, DELETE and OPTIONS are)", (int)(vlen > 40 ? 40 : vlen), l);
		return;
	}
	if (request_line_ok(c, l, eol ? eol : end) != 0)
		return;
	for (l = eol ? eol + 1 : end; l < end; l = eol + 1) {
		if ((eol = memchr(l, '\n', (size_t)(end - l))) == NULL)
			eol = end;
		if (eol == l || (eol == l + 1 && *l == '\r'))
			break;      /* the empty line that ends the head */
		if (field_line_ok(c, l, eol) != 0)
			return;
		if ((v = header_value(l, "Content-Length", &vlen, eol)) != NULL) {
			unsigned long long x = 0;
			size_t i;

			if (vlen == 0 || vlen > 18) {
				refuse(c, 400, "bad_request", "Content-Length \"%.*s\" is not a "
				       "byte count", (int)(vlen > 40 ? 40 : vlen), v);
				return;
			}
			for (i = 0; i < vlen; i++) {
				if (v[i] < '0' || v[i] > '9') {
					refuse(c, 400, "bad_request", "Content-Length \"%.*s\" is not "
					       "a byte count", (int)vlen, v);
					return;
				}
				x = x * 10 + (unsigned)(v[i] - '0');
			}
			if (ncl++ > 0 && x != cl) {
				refuse(c, 400, "bad_request", "conflicting Content-Length headers "
				       "(%llu and %llu)", cl, x);
				return;
			}
			cl = x;
		} else if ((v = header_value(l, "Transfer-Encoding", &vlen, eol)) != NULL) {
			nte++;
			chunked = vlen == 7 && strncasecmp(v, "chunked", 7) == 0;
			if (!chunked || nte > 1) {
				refuse(c, 400, "bad_request", "Transfer-Encoding \"%.*s\": only one "
				       "\"chunked\" is accepted", (int)(vlen > 40 ? 40 : vlen), v);
				return;
			}
		} else if ((v = header_value(l, "Authorization", &vlen, eol)) != NULL) {
			/* which of two keys would count is a guess (evhttp takes
			 * the first, this scanner the last): neither */
			if (auth != NULL) {
				refuse(c, 400, "bad_request", "more than one Authorization header");
				return;
			}
			auth = v;
			alen = vlen;
		}
	}
	if (ncl > 0 && nte > 0) {
		refuse(c, 400, "bad_request", "a request with both Content-Length and "
		       "Transfer-Encoding is ambiguous");
		return;
	}
	if (chunked || cl > 0) {
		/* a body: only for a known key, and only up to the limit */
		char key[256];

		if (auth == NULL || alen <= 7 || alen - 7 >= sizeof(key) ||
		    strncasecmp(auth, "Bearer ", 7) != 0) {
			refuse(c, 401, "unauthorized", "an API key is required to send a body "
			       "(Authorization: Bearer <key>)");
			return;
		}
		memcpy(key, auth + 7, alen - 7);
		key[alen - 7] = '\0';
		if (c->key_ok == NULL || !c->key_ok(c->arg, key)) {
			refuse(c, 401, "unauthorized", "unknown or revoked API key");
			return;
		}
		if (cl > c->max_body) {
			refuse(c, 413, "body_too_large", "the request body is %llu bytes; the "
			       "limit is %zu", cl, c->max_body);
			return;
		}
		if (chunked || cl >= SCAN_BIG_BODY)
			c->big = 1;
	}
	c->hlen = c->llen;
	c->llen = 0;
	c->chunked = 0;
	if (chunked) {
		c->st = INN_SCAN_CHUNK_SIZE;
	} else if (cl > 0) {
		c->st = INN_SCAN_BODY;
		c->left = cl;
	} else {
		c->st = INN_SCAN_HEAD;
		c->cur = 0;
	}
}

/* A chunk-size line (hex size, maybe ";extensions") is in c->line. */
static void
scan_chunk_line(inn_scan *c)
{
	unsigned long long size = 0;
	size_t i, digits = 0;

	for (i = 0; i < c->llen; i++) {
		int ch = (unsigned char)c->line[i], d;

		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			break;
		digits++;
		if (size > 0xfffffffffffffULL) {	/* a 14th significant digit: far past any limit */
			refuse(c, 413, "body_too_large", "a chunk larger than the body limit "
			       "(%zu bytes)", c->max_body);
			return;
		}
		size = size * 16 + (unsigned)d;
	}
	/* only hex digits: libevent 2.1 reads the size with strtoll and takes
	 * nothing after it but a space (its 413 otherwise), and would read
	 * "0x1b" or "+1b" otherwise than this loop does; chunk extensions
	 * (";name=value", RFC 9112 7.1.1) are refused, not ignored */
	if (i < c->llen && c->line[i] == '\r')
		i++;
	if (digits == 0 || i + 1 != c->llen) {
		refuse(c, 400, "bad_request", "a chunked body with a bad chunk-size line (only "
		       "hexadecimal digits are accepted; no chunk extensions)");
		return;
	}
	c->llen = 0;
	if (size == 0) {
		c->st = INN_SCAN_TRAILER;
		return;
	}
	c->chunked += size;
	if (c->chunked > c->max_body) {
		refuse(c, 413, "body_too_large", "the chunked request body exceeds the limit "
		       "of %zu bytes", c->max_body);
		return;
	}
	c->left = size + 2;
	c->st = INN_SCAN_CHUNK_DATA;
}

/* Appends the k bytes at p to the line (c->llen + k <= max), with room
 * for one byte more.  0, or -1 out of memory. */
static int
line_put(inn_scan *c, const unsigned char *p, size_t k, size_t max)
{
	if (c->llen + k + 1 > c->lcap) {
		size_t ncap = c->lcap ? c->lcap : 512;
		char *n;

		while (ncap < c->llen + k + 1)
			ncap *= 2;
		if (ncap > max + 1)
			ncap = max + 1;
		if (c->llen + k + 1 > ncap || (n = realloc(c->line, ncap)) == NULL)
			return -1;
		c->line = n;
		c->lcap = ncap;
	}
	memcpy(c->line + c->llen, p, k);
	c->llen += k;
	return 0;
}

int
inn_scan_feed(inn_scan *c, const unsigned char *p, size_t n, size_t *used)
{
	const unsigned char *start = p;
	size_t head_max = c->head_max;

	*used = 0;
	if (c->st == INN_SCAN_REFUSED)
		return c->status;
	while (n > 0 && c->st != INN_SCAN_REFUSED) {
		if (c->st == INN_SCAN_CHUNK_DATA && c->left <= 2) {
			/* the CRLF after a chunk's data */
			if (*p != (c->left == 2 ? '\r' : '\n')) {
				refuse(c, 400, "bad_request", "a chunk's data is not followed by CRLF");
				break;
			}
			p++;
			n--;
			c->cur++;
			if (--c->left == 0)
				c->st = INN_SCAN_CHUNK_SIZE;
			continue;
		}
		if (c->st == INN_SCAN_BODY || c->st == INN_SCAN_CHUNK_DATA) {
			uint64_t want = c->st == INN_SCAN_CHUNK_DATA ? c->left - 2 : c->left;
			size_t take = (uint64_t)n < want ? n : (size_t)want;

			c->left -= take;
			p += take;
			n -= take;
			c->cur += (int64_t)take;
			if (c->left == 0) {
				c->st = INN_SCAN_HEAD;
				c->cur = 0;
			}
			continue;
		}
		if (c->st == INN_SCAN_HEAD && c->llen == 0 && (*p == '\r' || *p == '\n')) {
			c->cur++;
			n--;
			p++;
			continue;
		}
		{
			/* the bytes up to the line's end (or all there are) at once;
			 * one over the limit refuses the request */
			const unsigned char *nl = memchr(p, '\n', n);
			size_t take = nl != NULL ? (size_t)(nl - p) + 1 : n;
			size_t max = c->st == INN_SCAN_HEAD ? head_max : SCAN_LINE_MAX;
			size_t fit = c->llen < max ? max - c->llen : 0;

			if (take > fit || line_put(c, p, take, max) != 0) {
				if (take > fit)
					take = line_put(c, p, fit, max) == 0 ? fit + 1 : 1;
				else
					take = 1;
				c->cur += (int64_t)take;
				p += take;
				if (c->st == INN_SCAN_HEAD)
					refuse(c, 431, "headers_too_large", "the request head is over "
					       "%zu bytes", head_max);
				else
					refuse(c, 400, "bad_request", "a chunked body with a line over "
					       "%d bytes", SCAN_LINE_MAX);
				break;
			}
			c->cur += (int64_t)take;
			n -= take;
			p += take;
			if (p[-1] != '\n')
				continue;
		}
		switch (c->st) {
		case INN_SCAN_HEAD:
			if ((c->llen >= 2 && c->line[c->llen - 2] == '\n') ||
			    (c->llen >= 3 && c->line[c->llen - 2] == '\r' && c->line[c->llen - 3] == '\n'))
				scan_head(c);
			break;
		case INN_SCAN_CHUNK_SIZE:
			scan_chunk_line(c);
			break;
		case INN_SCAN_TRAILER:
			if (c->llen == 1 || (c->llen == 2 && c->line[0] == '\r')) {
				/* the empty line: the request is complete */
				c->st = INN_SCAN_HEAD;
				c->cur = 0;
			} else if (field_line_ok(c, c->line, c->line + c->llen - 1) != 0) {
				break;
			} else if ((c->hlen += c->llen) > head_max) {
				/* evhttp counts trailers into its header limit too */
				refuse(c, 431, "headers_too_large", "the request head and trailer are "
				       "over %zu bytes", head_max);
				break;
			}
			c->llen = 0;
			break;
		default:
			break;
		}
	}
	*used = (size_t)(p - start);
	return c->st == INN_SCAN_REFUSED ? c->status : 0;
}

void
inn_scan_free(inn_scan *s)
{
	free(s->line);
	s->line = NULL;
	s->llen = s->lcap = 0;
}
