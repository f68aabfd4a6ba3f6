/*
 * mask.c - replaces registered secrets (and their base64 and URL-encoded
 * forms) with "***" in text leaving the engine (see mask.h).
 */
#include "mask.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct inn_masker {
	pthread_mutex_t lock;
	char **pats;
	size_t n, cap;
};

int
inn_masker_new(inn_masker **out)
{
	inn_masker *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	pthread_mutex_init(&m->lock, NULL);
	*out = m;
	return 0;
}

void
inn_masker_free(inn_masker *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		free(m->pats[i]);
	free(m->pats);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* Adds one pattern unless present; caller holds the lock.  Takes p. */
static int
add_pattern(inn_masker *m, char *p)
{
	size_t i;

	if (p == NULL)
		return INN_ENOMEM;
	if (strlen(p) < INN_MASK_MIN_LEN)
		goto drop;
	for (i = 0; i < m->n; i++)
		if (strcmp(m->pats[i], p) == 0)
			goto drop;
	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 8;
		char **np = realloc(m->pats, ncap * sizeof(*np));

		if (np == NULL) {
			free(p);
			return INN_ENOMEM;
		}
		m->pats = np;
		m->cap = ncap;
	}
	m->pats[m->n++] = p;
	return 0;
drop:
	free(p);
	return 0;
}

static char *
base64(const char *s, size_t len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *u = (const unsigned char *)s;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	if (out == NULL)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = tab[u[i] >> 2];
		*o++ = tab[((u[i] & 3) << 4) | (u[i + 1] >> 4)];
		*o++ = tab[((u[i + 1] & 15) << 2) | (u[i + 2] >> 6)];
		*o++ = tab[u[i + 2] & 63];
	}
	if (i < len) {
		*o++ = tab[u[i] >> 2];
		if (i + 1 < len) {
			*o++ = tab[((u[i] & 3) << 4) | (u[i + 1] >> 4)];
			*o++ = tab[(u[i + 1] & 15) << 2];
		} else {
			*o++ = tab[(u[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* Percent-encodes everything but RFC 3986 unreserved characters. */
static char *
urlencode(const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(len * 3 + 1), *o = out;
	size_t i;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
		    c == '~') {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

int
inn_masker_add(inn_masker *m, const char *value)
{
	size_t len;
	int rc = 0;

	if (m == NULL || value == NULL)
		return 0;
	len = strlen(value);
	if (len < INN_MASK_MIN_LEN)
		return 0;
	pthread_mutex_lock(&m->lock);
	if ((rc = add_pattern(m, strdup(value))) == 0 &&
	    (rc = add_pattern(m, base64(value, len))) == 0)
		rc = add_pattern(m, urlencode(value, len));
	/* Logs are masked line by line: each line of a multi-line secret (a
	 * PEM key) is a secret of its own. */
	if (rc == 0 && strchr(value, '\n') != NULL) {
		const char *p = value;

		while (rc == 0 && *p != '\0') {
			const char *nl = strchr(p, '\n');
			size_t l = nl ? (size_t)(nl - p) : strlen(p);

			if (l > 0 && p[l - 1] == '\r')
				l--;
			if (l >= INN_MASK_MIN_LEN)
				rc = add_pattern(m, strndup(p, l));
			if (nl == NULL)
				break;
			p = nl + 1;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return rc ? inn_error_set(rc, "out of memory registering a secret") : 0;
}

size_t
inn_masker_count(inn_masker *m)
{
	size_t n;

	if (m == NULL)
		return 0;
	pthread_mutex_lock(&m->lock);
	n = m->n;
	pthread_mutex_unlock(&m->lock);
	return n;
}

/* Length of the longest pattern matching at s[i], or 0. */
static size_t
match_at(inn_masker *m, const char *s, size_t len, size_t i)
{
	size_t k, best = 0;

	for (k = 0; k < m->n; k++) {
		size_t pl = strlen(m->pats[k]);

		if (pl > best && pl <= len - i && memcmp(s + i, m->pats[k], pl) == 0)
			best = pl;
	}
	return best;
}

char *
inn_masker_apply(inn_masker *m, const char *s, size_t len, size_t *outlen)
{
	char *out = NULL;
	size_t i, o = 0, cap = 0;
	int found = 0;

	if (m == NULL || s == NULL)
		return NULL;
	pthread_mutex_lock(&m->lock);
	if (m->n == 0)
		goto out;
	for (i = 0; i < len;) {
		size_t ml = match_at(m, s, len, i);
		const char *piece = ml ? INN_MASK_TEXT : s + i;
		size_t plen = ml ? sizeof(INN_MASK_TEXT) - 1 : 1;

		if (ml)
			found = 1;
		if (o + plen + 1 > cap) {
			size_t ncap = cap ? cap * 2 : len + 16;
			char *n2;

			while (ncap < o + plen + 1)
				ncap *= 2;
			if ((n2 = realloc(out, ncap)) == NULL) {
				free(out);
				out = NULL;
				found = 0;
				goto out;
			}
			out = n2;
			cap = ncap;
		}
		memcpy(out + o, piece, plen);
		o += plen;
		i += ml ? ml : 1;
	}
out:
	pthread_mutex_unlock(&m->lock);
	if (!found) {
		free(out);
		return NULL;
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}
