/*
 * mask.c - replaces registered secrets (and the encoded forms a program is
 * likely to print them in) with "***" in text leaving the engine (see
 * mask.h).
 *
 * Each secret is expanded once, when it is registered, into every form
 * below; masking is then a plain leftmost-longest search for those
 * strings.  The forms:
 *   - the value itself, and each line of a multi-line value;
 *   - base64, standard (+/) and url-safe (-_), with and without padding,
 *     of the value, of value+"\n" and of value+"\r\n" (`echo "$S" | base64`),
 *     and the part of base64(x + value + y) that only the value decides,
 *     for each of the three alignments of x (`printf 'user:%s' "$S" | base64`);
 *   - percent-encoding as RFC 3986 (only unreserved kept), Python's quote
 *     (keeps "/"), JavaScript's encodeURIComponent (keeps !*'()), and with
 *     only the reserved characters encoded; each with upper- and lower-case
 *     hex, and with a space as "%20" or "+" (quote_plus, forms);
 *   - JSON string escaping, with and without "\/", with non-ASCII kept or
 *     as \uXXXX (lower- and upper-case hex).
 *
 * Limits (accepted, documented in README "Secrets"): a value shorter than
 * INN_MASK_MIN_LEN is not masked at all, and one shorter than
 * INN_MASK_FORMS_MIN_LEN only as itself, so a short secret cannot garble
 * every log line; a secret printed split across lines (except a multi-line
 * value's own lines), interleaved with other bytes (an ANSI escape), in
 * hex, reversed, or in any other transformation than those above is not
 * recognised.  A step that wants to leak its secret can.
 */
#include "mask.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "array.h"
#include "error.h"

struct pattern {
	char *s;
	size_t len;
};

struct inn_masker {
	pthread_mutex_t lock;
	struct pattern *pats;
	size_t n, cap;
	char **vals;               /* the values registered, for inn_masker_each_value */
	size_t nvals, capvals;
	size_t maxlen;             /* longest pattern */
	unsigned char first[256];  /* bytes some pattern starts with */
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
		free(m->pats[i].s);
	free(m->pats);
	inn_strv_free(m->vals, m->nvals);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* Adds one pattern unless present or shorter than min; caller holds the
 * lock.  Takes p (NULL: out of memory). */
static int
add_pattern(inn_masker *m, char *p, size_t min)
{
	struct pattern *np;
	size_t i, len;

	if (p == NULL)
		return INN_ENOMEM;
	len = strlen(p);
	if (len < min || len < INN_MASK_MIN_LEN)
		goto drop;
	for (i = 0; i < m->n; i++)
		if (m->pats[i].len == len && memcmp(m->pats[i].s, p, len) == 0)
			goto drop;
	if ((np = inn_array_reserve(m->pats, &m->cap, m->n + 1, sizeof(*np), 16)) == NULL) {
		free(p);
		return INN_ENOMEM;
	}
	m->pats = np;
	m->pats[m->n].s = p;
	m->pats[m->n].len = len;
	m->n++;
	if (len > m->maxlen)
		m->maxlen = len;
	m->first[(unsigned char)p[0]] = 1;
	return 0;
drop:
	free(p);
	return 0;
}

static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64 of s[0..len) with alphabet tab; with pad, '=' padded. */
static char *
base64(const char *tab, const unsigned char *u, size_t len, int pad)
{
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
			if (pad)
				*o++ = '=';
		}
		if (pad)
			*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* The characters of base64(x + value + y) that depend on value alone, for
 * |x| = align (mod 3): they appear wherever the value sits at that
 * alignment inside a base64-encoded text. */
static char *
base64_inner(const char *tab, const char *v, size_t len, size_t align)
{
	unsigned char *buf = calloc(1, len + 3);
	char *enc, *out = NULL;
	size_t from = (8 * align + 5) / 6, to = 8 * (align + len) / 6;

	if (buf == NULL)
		return NULL;
	memcpy(buf + align, v, len);
	if ((enc = base64(tab, buf, align + len, 0)) != NULL && to > from)
		out = strndup(enc + from, to - from);
	else if (enc != NULL)
		out = strdup("");
	free(enc);
	free(buf);
	return out;
}

/* Percent-encoding styles: which characters stay as they are. */
enum url_keep {
	URL_RFC3986,   /* A-Z a-z 0-9 - _ . ~ */
	URL_PY_QUOTE,  /* and "/" */
	URL_JS,        /* and ! * ' ( ) */
	URL_RESERVED,  /* everything printable but the reserved set, '%' and space */
	URL_NSTYLES
};

static int
url_kept(enum url_keep k, unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_' || c == '.' || c == '~')
		return 1;
	switch (k) {
	case URL_PY_QUOTE:
		return c == '/';
	case URL_JS:
		return c != '\0' && strchr("!*'()", c) != NULL;
	case URL_RESERVED:
		return c > 0x20 && c < 0x7f && strchr(":/?#[]@!$&'()*+,;=%", c) == NULL;
	default:
		return 0;
	}
}

static char *
urlencode(const char *s, size_t len, enum url_keep keep, int lower, int plus)
{
	const char *hex = lower ? "0123456789abcdef" : "0123456789ABCDEF";
	char *out = malloc(len * 3 + 1), *o = out;
	size_t i;

	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (url_kept(keep, c)) {
			*o++ = (char)c;
		} else if (c == ' ' && plus) {
			*o++ = '+';
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

/* Decodes one UTF-8 sequence at s (len bytes left) into *cp; returns its
 * length, or 0 when it is not valid UTF-8. */
static size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c > 0x10ffff || (n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
	    (n == 4 && c < 0x10000))
		return 0;
	*cp = c;
	return n;
}

static void
put_u(char **o, uint32_t u, int lower)
{
	const char *hex = lower ? "0123456789abcdef" : "0123456789ABCDEF";

	*(*o)++ = '\\';
	*(*o)++ = 'u';
	*(*o)++ = hex[(u >> 12) & 15];
	*(*o)++ = hex[(u >> 8) & 15];
	*(*o)++ = hex[(u >> 4) & 15];
	*(*o)++ = hex[u & 15];
}

/* JSON string escaping (without the quotes).  slash: "/" as "\/";
 * ascii: non-ASCII as \uXXXX (surrogate pairs above U+FFFF), with hex in
 * lower case when lower.  "" (no pattern) for invalid UTF-8 in ascii mode:
 * a JSON encoder would not produce that form either. */
static char *
json_escape(const char *s, size_t len, int slash, int ascii, int lower)
{
	const unsigned char *u = (const unsigned char *)s;
	char *out = malloc(len * 12 + 1), *o = out;
	size_t i = 0;

	if (out == NULL)
		return NULL;
	while (i < len) {
		unsigned char c = u[i];
		uint32_t cp;
		size_t n;

		if (c == '"' || c == '\\' || (c == '/' && slash)) {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
			*o++ = '\\';
			*o++ = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : c == '\b' ? 'b' : 'f';
		} else if (c < 0x20 || c == 0x7f) {
			put_u(&o, c, lower);
		} else if (c >= 0x80 && ascii) {
			if ((n = utf8_decode(u + i, len - i, &cp)) == 0) {
				free(out);
				return strdup("");
			}
			if (cp >= 0x10000) {
				cp -= 0x10000;
				put_u(&o, 0xd800 + (cp >> 10), lower);
				put_u(&o, 0xdc00 + (cp & 0x3ff), lower);
			} else {
				put_u(&o, cp, lower);
			}
			i += n;
			continue;
		} else {
			*o++ = (char)c;
		}
		i++;
	}
	*o = '\0';
	return out;
}

/* Remembers a registered value unless known; caller holds the lock. */
static int
add_value(inn_masker *m, const char *v)
{
	char **nv;
	size_t i;

	for (i = 0; i < m->nvals; i++)
		if (strcmp(m->vals[i], v) == 0)
			return 0;
	if ((nv = inn_array_reserve(m->vals, &m->capvals, m->nvals + 1, sizeof(*nv), 8)) == NULL)
		return INN_ENOMEM;
	m->vals = nv;
	if ((m->vals[m->nvals] = strdup(v)) == NULL)
		return INN_ENOMEM;
	m->nvals++;
	return 0;
}

/* Registers the encoded forms of v[0..len); caller holds the lock. */
static int
add_forms(inn_masker *m, const char *v, size_t len)
{
	static const char *const tabs[2] = { b64_std, b64_url };
	static const char *const ends[3] = { "", "\n", "\r\n" };
	const size_t min = INN_MASK_FORMS_MIN_LEN;
	size_t t, e, a;
	int k, lower, rc = 0;
	char *buf;

	if ((buf = malloc(len + 3)) == NULL)
		return INN_ENOMEM;
	memcpy(buf, v, len);
	for (t = 0; t < 2 && rc == 0; t++) {
		for (e = 0; e < 3 && rc == 0; e++) {
			size_t el = strlen(ends[e]);

			memcpy(buf + len, ends[e], el);
			if ((rc = add_pattern(m, base64(tabs[t], (unsigned char *)buf, len + el, 1),
			                      min)) == 0)
				rc = add_pattern(m, base64(tabs[t], (unsigned char *)buf, len + el, 0),
				                 min);
		}
		for (a = 0; a < 3 && rc == 0; a++)
			rc = add_pattern(m, base64_inner(tabs[t], v, len, a), min);
	}
	for (k = 0; k < URL_NSTYLES && rc == 0; k++)
		for (lower = 0; lower < 2 && rc == 0; lower++)
			if ((rc = add_pattern(m, urlencode(v, len, (enum url_keep)k, lower, 0),
			                      min)) == 0 && memchr(v, ' ', len) != NULL)
				rc = add_pattern(m, urlencode(v, len, (enum url_keep)k, lower, 1), min);
	for (k = 0; k < 2 && rc == 0; k++)
		if ((rc = add_pattern(m, json_escape(v, len, k, 0, 1), min)) == 0 &&
		    (rc = add_pattern(m, json_escape(v, len, k, 1, 1), min)) == 0)
			rc = add_pattern(m, json_escape(v, len, k, 1, 0), min);
	free(buf);
	return rc;
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
	if ((rc = add_value(m, value)) == 0 && (rc = add_pattern(m, strdup(value), 0)) == 0 &&
	    len >= INN_MASK_FORMS_MIN_LEN)
		rc = add_forms(m, value, len);
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
				rc = add_pattern(m, strndup(p, l), 0);
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

void
inn_masker_each_value(inn_masker *m, void (*fn)(void *ud, const char *value), void *ud)
{
	size_t i;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nvals; i++)
		fn(ud, m->vals[i]);
	pthread_mutex_unlock(&m->lock);
}

/* Length of the longest pattern matching at s[i], or 0; caller holds the
 * lock. */
static size_t
match_at(inn_masker *m, const char *s, size_t len, size_t i)
{
	size_t k, best = 0;

	if (!m->first[(unsigned char)s[i]])
		return 0;
	for (k = 0; k < m->n; k++) {
		size_t pl = m->pats[k].len;

		if (pl > best && pl <= len - i && s[i] == m->pats[k].s[0] &&
		    memcmp(s + i, m->pats[k].s, pl) == 0)
			best = pl;
	}
	return best;
}

size_t
inn_masker_cut(inn_masker *m, const char *s, size_t len)
{
	size_t want, i;

	if (m == NULL || s == NULL)
		return len;
	pthread_mutex_lock(&m->lock);
	if (m->n == 0 || m->maxlen <= 1) {
		pthread_mutex_unlock(&m->lock);
		return len;
	}
	/* Anything that may continue past len starts after len - maxlen; a
	 * secret longer than half the buffer cannot be held back whole. */
	want = len > 2 * (m->maxlen - 1) ? len - (m->maxlen - 1) : len / 2;
	/* The same left-to-right scan as apply: stop at the first position at
	 * or after want that no match spans. */
	for (i = 0; i < want;) {
		size_t ml = match_at(m, s, len, i);

		i += ml ? ml : 1;
	}
	pthread_mutex_unlock(&m->lock);
	return i;
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

void
inn_masker_collect(inn_masker *m, json_object *o, json_object *into)
{
	size_t i;

	switch (json_object_get_type(o)) {
	case json_type_string: {
		char *t = inn_masker_apply(m, json_object_get_string(o),
		                           (size_t)json_object_get_string_len(o), NULL);

		if (t != NULL && strcmp(t, INN_MASK_TEXT) == 0)
			json_object_array_add(into, json_object_new_string(json_object_get_string(o)));
		free(t);
		break;
	}
	case json_type_array:
		for (i = 0; i < json_object_array_length(o); i++)
			inn_masker_collect(m, json_object_array_get_idx(o, i), into);
		break;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			inn_masker_collect(m, v, into);
		}
		break;
	}
	default:
		break;
	}
}
