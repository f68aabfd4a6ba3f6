/*
 * ui.c - what serving the embedded dashboard takes, apart from evhttp
 * (ui.h): the file a path names, each file's ETag, and the two request
 * headers that choose a reply, Accept-Encoding and If-None-Match.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sha256.h"
#include "ui.h"

int
inn_ui_owns(const char *path)
{
	return strcmp(path, "/") == 0 || strcmp(path, "/ui") == 0 ||
	       strncmp(path, "/ui/", 4) == 0;
}

const struct inn_ui_asset *
inn_ui_find(const char *path)
{
	const struct inn_ui_asset *a;

	if (strcmp(path, "/") == 0)
		path = "/ui/index.html";
	for (a = inn_ui_assets; a->path != NULL; a++)
		if (strcmp(a->path, path) == 0)
			return a;
	return NULL;
}

/* ---- ETags -------------------------------------------------------------------- */

/* "\"" 16 hex digits "-gzip\"" and its NUL */
#define ETAG_MAX 32
/* The embedded files never change while the server runs: their tags are
 * taken once, by whichever thread asks first. */
static pthread_once_t etags_once = PTHREAD_ONCE_INIT;
static size_t nassets;
static char (*etags)[2][ETAG_MAX];

static void
etags_make(void)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char sum[INN_SHA256_LEN];
	char digits[17];
	size_t i, k;

	for (nassets = 0; inn_ui_assets[nassets].path != NULL; nassets++)
		;
	if ((etags = calloc(nassets + 1, sizeof(*etags))) == NULL)
		return;
	for (i = 0; i < nassets; i++) {
		inn_sha256(inn_ui_assets[i].data, inn_ui_assets[i].len, sum);
		for (k = 0; k < 8; k++) {
			digits[2 * k] = hex[sum[k] >> 4];
			digits[2 * k + 1] = hex[sum[k] & 0x0f];
		}
		digits[16] = '\0';
		snprintf(etags[i][0], ETAG_MAX, "\"%s\"", digits);
		snprintf(etags[i][1], ETAG_MAX, "\"%s-gzip\"", digits);
	}
}

const char *
inn_ui_etag(const struct inn_ui_asset *a, int gz)
{
	size_t i;

	pthread_once(&etags_once, etags_make);
	i = (size_t)(a - inn_ui_assets);
	/* out of memory at the first call: no tag, so nothing is ever 304 */
	if (etags == NULL || i >= nassets)
		return "\"\"";
	return etags[i][gz ? 1 : 0];
}

/* ---- request headers ---------------------------------------------------------- */

#define OWS " \t"

/* A token character (RFC 9110 5.6.2). */
static int
tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The qvalue at s[0..n) in thousandths ("0.5": 500), or -1 when it is not
 * one (RFC 9110 12.4.2: 0 or 1 with at most three decimals, 1's all 0). */
static int
qvalue(const char *s, size_t n)
{
	int v, scale = 100;
	size_t i;

	if (n == 0 || (s[0] != '0' && s[0] != '1') || (n > 1 && s[1] != '.') || n > 5)
		return -1;
	v = (s[0] - '0') * 1000;
	for (i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9' || (s[0] == '1' && s[i] != '0'))
			return -1;
		v += (s[i] - '0') * scale;
	}
	return v;
}

/* One element of an Accept-Encoding list at *p: its coding (*name, *nlen)
 * and q (thousandths; -1 when the element is not well formed, then it
 * counts for nothing).  *p is left after the element's comma, or at the end. */
static int
coding_next(const char **p, const char **name, size_t *nlen)
{
	const char *s = *p;
	int q = 1000;

	*nlen = 0;
	*name = s;
	while (tchar(s[*nlen]))
		(*nlen)++;
	s += *nlen;
	if (*nlen == 0)
		q = -1;
	for (;;) {
		const char *pn, *pv;
		size_t pl, vl;

		s += strspn(s, OWS);
		if (*s == '\0' || *s == ',' || q < 0)
			break;
		if (*s != ';') {
			q = -1;
			break;
		}
		s++;
		s += strspn(s, OWS);
		for (pn = s, pl = 0; tchar(pn[pl]); pl++)
			;
		s += pl;
		if (pl == 0 || *s != '=') {
			q = -1;
			break;
		}
		pv = ++s;
		if (*s == '"') {
			const char *end = strchr(s + 1, '"');

			if (end == NULL) {
				q = -1;
				break;
			}
			s = end + 1;
		} else {
			while (tchar(*s))
				s++;
		}
		vl = (size_t)(s - pv);
		if (pl == 1 && (pn[0] == 'q' || pn[0] == 'Q'))
			q = qvalue(pv, vl);
	}
	s += strcspn(s, ",");
	*p = *s == ',' ? s + 1 : s;
	return q;
}

static int
coding_is(const char *name, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(name, word, n) == 0;
}

int
inn_ui_wants_gzip(const char *ae)
{
	int q_gzip = -1, q_identity = -1, q_any = -1, gz, id;
	const char *name;
	size_t n;

	if (ae == NULL)
		return 0;
	while (*ae != '\0') {
		int q;

		ae += strspn(ae, OWS ",");
		if (*ae == '\0')
			break;
		if ((q = coding_next(&ae, &name, &n)) < 0)
			continue;
		if (coding_is(name, n, "gzip") || coding_is(name, n, "x-gzip"))
			q_gzip = q > q_gzip ? q : q_gzip;
		else if (coding_is(name, n, "identity"))
			q_identity = q > q_identity ? q : q_identity;
		else if (coding_is(name, n, "*"))
			q_any = q > q_any ? q : q_any;
	}
	gz = q_gzip >= 0 ? q_gzip : q_any >= 0 ? q_any : 0;
	/* identity is taken unless refused; it wins only when the client
	 * says it prefers it (RFC 9110 12.5.3) */
	id = q_identity >= 0 ? q_identity : q_any >= 0 ? q_any : 0;
	return gz > 0 && gz >= id;
}

int
inn_ui_etag_matches(const char *inm, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p = inm, *end;
	int match;

	if (inm == NULL)
		return 0;
	for (;;) {
		p += strspn(p, OWS ",");
		if (*p == '\0')
			return 0;
		if (*p == '*') {
			p++;
			p += strspn(p, OWS);
			return *p == '\0' || *p == ',';
		}
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"' || (end = strchr(p + 1, '"')) == NULL)
			return 0;       /* not a list of entity tags: nothing matches */
		match = (size_t)(end + 1 - p) == elen && memcmp(p, etag, elen) == 0;
		p = end + 1;
		p += strspn(p, OWS);
		if (*p != '\0' && *p != ',')
			return 0;
		if (match)
			return 1;
	}
}
