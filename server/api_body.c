/*
 * api_body.c - request bodies: strict JSON (the whole body, one object,
 * nesting bounded, RFC 8259 only: double-quoted strings of valid UTF-8,
 * no comments, NaN/Infinity or trailing commas, integers within 64 bits)
 * and the fields of a run request (see api_body.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_body.h"
#include "error.h"
#include "model.h"
#include "utf8.h"

#define BODY_MAX_DEPTH 64

/*
 * A strict pass over the raw text before json-c reads it: json-c (0.16)
 * accepts single quotes, NaN and Infinity even in its strict mode, keeps
 * invalid UTF-8 as is, and saturates integers it cannot hold (so
 * 99999999999999999999 would become 18446744073709551615).  The pass keeps
 * the path of the value it is in, so that an error names the field.
 */
/* A member name of the object being read: its text decoded (in the body
 * itself when it has no escape), where it starts. */
struct jkey {
	const char *p;
	size_t len, at;
	char *owned;
};

struct jkeys {
	struct jkey *v;
	size_t n, cap;
};

struct jscan {
	const unsigned char *p, *end, *start;
	char path[256];
	size_t plen[BODY_MAX_DEPTH + 1];   /* path length at each depth */
	struct jkeys keys[BODY_MAX_DEPTH + 1];  /* the open objects' names */
	int depth;
	char *msg;
	size_t msglen;
};

static int
jscan_fail(struct jscan *s, const char *what)
{
	snprintf(s->msg, s->msglen, "the body is not valid JSON: %s%s%s (at byte %zu)", what,
	         s->path[0] ? " in " : "", s->path, (size_t)(s->p - s->start));
	return -1;
}

static void
jscan_ws(struct jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* Appends code point cp as UTF-8 to out (room for 4 more bytes). */
static size_t
put_utf8(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The 4 hex digits at h (checked already) as a number. */
static unsigned long
hex4(const unsigned char *h)
{
	char d[5];

	memcpy(d, h, 4);
	d[4] = '\0';
	return strtoul(d, NULL, 16);
}

/* The escapes of a checked string b[0..len) decoded into a new string
 * (*n its length), so that "r\u006fle" is seen to be "role"; NULL out of
 * memory. */
static char *
unescape(const unsigned char *b, size_t len, size_t *n)
{
	char *out = malloc(len + 1);
	size_t i;

	*n = 0;
	if (out == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned long cp, lo;

		if (b[i] != '\\') {
			out[(*n)++] = (char)b[i];
			continue;
		}
		switch (b[++i]) {
		case 'b': out[(*n)++] = '\b'; break;
		case 'f': out[(*n)++] = '\f'; break;
		case 'n': out[(*n)++] = '\n'; break;
		case 'r': out[(*n)++] = '\r'; break;
		case 't': out[(*n)++] = '\t'; break;
		case 'u':
			cp = hex4(b + i + 1);
			i += 4;
			/* a surrogate pair is one code point (6 bytes in, 4 out) */
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < len && b[i + 1] == '\\' &&
			    b[i + 2] == 'u' &&
			    (lo = hex4(b + i + 3)) >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			}
			*n += put_utf8(out + *n, cp);
			break;
		default: out[(*n)++] = (char)b[i]; break;       /* " \\ / */
		}
	}
	out[*n] = '\0';
	return out;
}

/* Notes member name b[0..len) (raw, escapes as written) of the object at
 * the current depth; 0, or -1 out of memory. */
static int
jscan_key_note(struct jscan *s, const unsigned char *b, size_t len)
{
	struct jkeys *k = &s->keys[s->depth];
	struct jkey *e;

	if (k->n == k->cap) {
		size_t ncap = k->cap ? k->cap * 2 : 16;
		struct jkey *nv = realloc(k->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		k->v = nv;
		k->cap = ncap;
	}
	e = &k->v[k->n];
	e->at = (size_t)(b - 1 - s->start);
	e->owned = NULL;
	e->p = (const char *)b;
	e->len = len;
	if (memchr(b, '\\', len) != NULL &&
	    (e->p = e->owned = unescape(b, len, &e->len)) == NULL)
		return -1;
	k->n++;
	return 0;
}

static int
jkey_cmp(const void *a, const void *b)
{
	const struct jkey *x = a, *y = b;
	int d;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if ((d = memcmp(x->p, y->p, x->len)) != 0)
		return d;
	return x->at < y->at ? -1 : x->at > y->at;
}

static void
jkeys_clear(struct jkeys *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->v[i].owned);
	k->n = 0;
}

/* At the end of an object: a name given twice is refused (json-c keeps
 * the last, so {"role":"user","role":"admin"} would be an admin key
 * request that a reader of the first member does not see).  The message
 * names the first repeat in the body.  0 or -1. */
static int
jscan_keys_unique(struct jscan *s)
{
	struct jkeys *k = &s->keys[s->depth];
	const struct jkey *dup = NULL;
	size_t i;
	int rc = 0;

	if (k->n > 1) {
		qsort(k->v, k->n, sizeof(k->v[0]), jkey_cmp);
		for (i = 1; i < k->n; i++)
			if (k->v[i].len == k->v[i - 1].len &&
			    memcmp(k->v[i].p, k->v[i - 1].p, k->v[i].len) == 0 &&
			    (i < 2 || k->v[i - 2].len != k->v[i].len ||
			     memcmp(k->v[i - 2].p, k->v[i].p, k->v[i].len) != 0) &&
			    (dup == NULL || k->v[i].at < dup->at))
				dup = &k->v[i];
	}
	if (dup != NULL) {
		snprintf(s->msg, s->msglen, "the body is not valid JSON: duplicate member "
		         "\"%.*s\" at byte %zu%s%s (a name may appear once in an object)",
		         (int)(dup->len > 80 ? 80 : dup->len), dup->p, dup->at,
		         s->path[0] ? " in " : "", s->path);
		rc = -1;
	}
	jkeys_clear(k);
	return rc;
}

/* A string at s->p (the opening quote); if key, it is appended to the path. */
static int
jscan_string(struct jscan *s, int key)
{
	const unsigned char *b;

	if (s->p >= s->end || *s->p != '"')
		return jscan_fail(s, key ? "expected a double-quoted key" :
		                  "expected a value (strings take double quotes)");
	b = ++s->p;
	while (s->p < s->end && *s->p != '"') {
		size_t n;

		if (*s->p < 0x20)
			return jscan_fail(s, "a control character inside a string");
		if (*s->p == '\\') {
			if (++s->p >= s->end)
				break;
			if (*s->p == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (s->p + i >= s->end || !strchr("0123456789abcdefABCDEF",
					                                  s->p[i]) || s->p[i] == 0)
						return jscan_fail(s, "a bad \\u escape");
				/* names and values are C strings from here on: a NUL
				 * would cut "app\u0000x" to "app" unseen */
				if (memcmp(s->p + 1, "0000", 4) == 0) {
					snprintf(s->msg, s->msglen, "%s: a NUL character (\\u0000) in a %s "
					         "is refused: names and values are text without NUL (at "
					         "byte %zu)", s->path[0] ? s->path : "the body",
					         key ? "key" : "string", (size_t)(s->p - s->start));
					return -1;
				}
				s->p += 5;
				continue;
			}
			if (!strchr("\"\\/bfnrt", *s->p) || *s->p == 0)
				return jscan_fail(s, "a bad escape");
			s->p++;
			continue;
		}
		if ((n = inn_utf8_len(s->p, (size_t)(s->end - s->p))) == 0) {
			if (key)
				s->path[s->plen[s->depth]] = '\0';
			return jscan_fail(s, key ? "a key that is not valid UTF-8" :
			                  "a string that is not valid UTF-8");
		}
		s->p += n;
	}
	if (s->p >= s->end)
		return jscan_fail(s, "an unterminated string");
	if (key && jscan_key_note(s, b, (size_t)(s->p - b)) != 0)
		return jscan_fail(s, "out of memory");
	if (key) {
		size_t at = s->plen[s->depth], len = (size_t)(s->p - b);

		if (at + len + 2 < sizeof(s->path)) {
			if (at > 0)
				s->path[at++] = '.';
			memcpy(s->path + at, b, len);
			s->path[at + len] = '\0';
		}
	}
	s->p++;
	return 0;
}

static int
jscan_number(struct jscan *s)
{
	const unsigned char *b = s->p;
	int is_int = 1;
	char buf[64], *end;

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p >= s->end || *s->p < '0' || *s->p > '9')
		return jscan_fail(s, "expected a value (a string, number, object, array, true, "
		                  "false or null)");
	if (*s->p == '0' && s->p + 1 < s->end && s->p[1] >= '0' && s->p[1] <= '9')
		return jscan_fail(s, "a number with a leading zero");
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	if (s->p < s->end && *s->p == '.') {
		is_int = 0;
		if (++s->p >= s->end || *s->p < '0' || *s->p > '9')
			return jscan_fail(s, "a number without digits after the point");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		is_int = 0;
		if (++s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return jscan_fail(s, "a number without digits in its exponent");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if ((size_t)(s->p - b) >= sizeof(buf))
		return jscan_fail(s, "a number out of range (more than 63 characters)");
	memcpy(buf, b, (size_t)(s->p - b));
	buf[s->p - b] = '\0';
	errno = 0;
	if (is_int) {
		(void)strtoll(buf, &end, 10);
		if (errno == ERANGE)
			return jscan_fail(s, "an integer out of range (64-bit signed)");
	} else if (!isfinite(strtod(buf, &end))) {
		return jscan_fail(s, "a number out of range");
	}
	return 0;
}

static int jscan_value(struct jscan *s);

static int
jscan_container(struct jscan *s, int obj)
{
	unsigned idx = 0;

	if (s->depth >= BODY_MAX_DEPTH)
		return jscan_fail(s, "nesting deeper than 64");
	s->p++;
	s->depth++;
	s->plen[s->depth] = strlen(s->path);
	jscan_ws(s);
	if (s->p < s->end && *s->p == (obj ? '}' : ']'))
		goto done;
	for (;;) {
		s->path[s->plen[s->depth]] = '\0';
		if (obj) {
			if (jscan_string(s, 1) != 0)
				return -1;
			jscan_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return jscan_fail(s, "expected ':' after a key");
			s->p++;
		} else {
			size_t at = s->plen[s->depth];

			snprintf(s->path + at, sizeof(s->path) - at, "[%u]", idx++);
		}
		if (jscan_value(s) != 0)
			return -1;
		jscan_ws(s);
		s->path[s->plen[s->depth]] = '\0';
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			jscan_ws(s);
			if (s->p < s->end && (*s->p == '}' || *s->p == ']'))
				return jscan_fail(s, "a trailing comma");
			continue;
		}
		if (s->p < s->end && *s->p == (obj ? '}' : ']'))
			break;
		return jscan_fail(s, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
done:
	s->path[s->plen[s->depth]] = '\0';
	if (obj && jscan_keys_unique(s) != 0)
		return -1;
	s->p++;
	s->depth--;
	s->path[s->plen[s->depth + 1]] = '\0';
	return 0;
}

static int
jscan_literal(struct jscan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return jscan_fail(s, "expected a value (a string, number, object, array, true, "
		                  "false or null; no NaN, Infinity or single quotes)");
	s->p += n;
	return 0;
}

static int
jscan_value(struct jscan *s)
{
	jscan_ws(s);
	if (s->p >= s->end)
		return jscan_fail(s, "the body ends where a value was expected");
	switch (*s->p) {
	case '{': return jscan_container(s, 1);
	case '[': return jscan_container(s, 0);
	case '"': return jscan_string(s, 0);
	case 't': return jscan_literal(s, "true");
	case 'f': return jscan_literal(s, "false");
	case 'n': return jscan_literal(s, "null");
	default: return jscan_number(s);
	}
}

int
inn_body_check_json(const char *data, size_t len, char *msg, size_t msglen)
{
	struct jscan s;
	int rc, i;

	memset(&s, 0, sizeof(s));
	s.start = s.p = (const unsigned char *)data;
	s.end = s.p + len;
	s.msg = msg;
	s.msglen = msglen;
	rc = jscan_value(&s);
	if (rc == 0) {
		jscan_ws(&s);
		if (s.p != s.end)
			rc = jscan_fail(&s, "trailing data after the value");
	}
	for (i = 0; i <= BODY_MAX_DEPTH; i++) {
		jkeys_clear(&s.keys[i]);
		free(s.keys[i].v);
	}
	return rc;
}

int
inn_body_parse(const char *data, size_t len, json_object **out, const char **code,
               char *msg, size_t msglen)
{
	json_tokener *tok;
	json_object *o;

	*out = NULL;
	if (len == 0) {
		*out = json_object_new_object();
		return 0;
	}
	if (len > (size_t)0x7fffffff) {
		*code = "invalid_json";
		snprintf(msg, msglen, "the body is too large to parse");
		return 400;
	}
	if (inn_body_check_json(data, len, msg, msglen) != 0) {
		*code = "invalid_json";
		return 400;
	}
	tok = json_tokener_new_ex(BODY_MAX_DEPTH);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, data, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) != len) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		*code = "invalid_json";
		snprintf(msg, msglen, "the body is not valid JSON (%s at byte %zu)",
		         e == json_tokener_success ? "trailing data after the object"
		                                   : json_tokener_error_desc(e),
		         json_tokener_get_parse_end(tok));
		json_object_put(o);
		json_tokener_free(tok);
		return 400;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		*code = "invalid_body";
		snprintf(msg, msglen, "the body must be a JSON object");
		json_object_put(o);
		return 400;
	}
	*out = o;
	return 0;
}

/* A Score spec given as YAML (or JSON) text, read by the Score loader:
 * *spec is its JSON.  Returns 0, or 400 with the loader's first error
 * ("spec:LINE:COL: error: ...") in msg. */
static int
spec_from_text(const char *text, size_t len, json_object **spec, char *msg, size_t msglen)
{
	inn_score *sc = NULL;
	inn_diag d;
	int rc = 0;

	inn_diag_init(&d);
	if (inn_score_load_string_max(&sc, "spec", text, len, INN_SPEC_MAX_NODES, &d) != 0 ||
	    d.nerrors > 0 || sc == NULL) {
		size_t i = 0;

		/* the first error, not a warning before it */
		while (i + 1 < d.n && d.items[i].level != INN_DIAG_ERROR)
			i++;
		if (d.n > 0 && d.items[i].line == 0 && strcmp(d.items[i].message, "cannot load") == 0)
			/* a document that is null, or no document at all */
			snprintf(msg, msglen, "spec: error: not a Score spec (expected a YAML or JSON "
			         "mapping with apiVersion, metadata.name and containers)");
		else if (d.n > 0)
			inn_diag_format(&d, i, msg, msglen);
		else
			snprintf(msg, msglen, "%s", inn_error_last());
		rc = 400;
	} else {
		*spec = json_object_get(sc->json);
	}
	inn_score_free(sc);
	inn_diag_free(&d);
	/* a refused spec may have built MBs of JSON: give them back (A45) */
	if (rc != 0)
		malloc_trim(0);
	return rc;
}

int
inn_body_run_fields(json_object *body, json_object **params, json_object **spec,
                    int *dry_run, const char **code, char *msg, size_t msglen)
{
	json_object *v;

	*params = NULL;
	*spec = NULL;
	*dry_run = 0;
	*code = "invalid_request";
	if (json_object_object_get_ex(body, "parameters", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_object)) {
			snprintf(msg, msglen, "\"parameters\" must be an object");
			return 400;
		}
		*params = v;
	}
	if (json_object_object_get_ex(body, "dry_run", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_boolean)) {
			snprintf(msg, msglen, "\"dry_run\" must be true or false");
			return 400;
		}
		*dry_run = json_object_get_boolean(v);
	}
	if (!json_object_object_get_ex(body, "spec", &v) || v == NULL)
		return 0;
	*code = "invalid_spec";
	if (json_object_is_type(v, json_type_string))
		return spec_from_text(json_object_get_string(v), (size_t)json_object_get_string_len(v),
		                      spec, msg, msglen);
	if (json_object_is_type(v, json_type_object)) {
		*spec = json_object_get(v);
		return 0;
	}
	snprintf(msg, msglen, "\"spec\" must be an object or a YAML string");
	return 400;
}

/* text[0..len) with %XX escapes and '+' (a space, as in HTML forms and
 * Go's url.Query) decoded into a new string; NULL with a message in msg
 * for a bad escape, a NUL, or bytes that are not UTF-8.  A key (key NULL)
 * is quoted in the message; a value is not (it may be a secret's): the
 * message names its key instead. */
static char *
query_decode(const char *text, size_t len, const char *key, char *msg, size_t msglen)
{
	char what[300];

	char *out = malloc(len + 1);
	size_t i, n = 0;

	if (key == NULL)
		snprintf(what, sizeof(what), "key \"%.*s\"", (int)(len > 80 ? 80 : len), text);
	else
		snprintf(what, sizeof(what), "the value of \"%.200s\"", key);
	if (out == NULL) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	for (i = 0; i < len; i++) {
		if (text[i] == '+') {
			out[n++] = ' ';
		} else if (text[i] == '%') {
			char hex[3];

			if (i + 2 >= len || !isxdigit((unsigned char)text[i + 1]) ||
			    !isxdigit((unsigned char)text[i + 2])) {
				snprintf(msg, msglen, "query: %s has a %% not followed by two "
				         "hex digits", what);
				goto err;
			}
			hex[0] = text[i + 1];
			hex[1] = text[i + 2];
			hex[2] = '\0';
			out[n++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			out[n++] = text[i];
		}
	}
	out[n] = '\0';
	for (i = 0; i < n;) {
		size_t k = inn_utf8_len((const unsigned char *)out + i, n - i);

		if (out[i] == '\0' || k == 0) {
			snprintf(msg, msglen, "query: %s decodes to %s", what,
			         out[i] == '\0' ? "a NUL character (%00), which names and values "
			         "cannot hold" : "bytes that are not UTF-8");
			goto err;
		}
		i += k;
	}
	return out;
err:
	free(out);
	return NULL;
}

int
inn_body_query_bool(const char *name, const char *val, int *out, char *msg, size_t msglen)
{
	if (strcmp(val, "true") == 0 || strcmp(val, "1") == 0) {
		*out = 1;
	} else if (strcmp(val, "false") == 0 || strcmp(val, "0") == 0) {
		*out = 0;
	} else {
		snprintf(msg, msglen, "query: %.80s takes true, false, 1 or 0, not \"%.80s\"",
		         name, val);
		return 400;
	}
	return 0;
}

/* Calls each(ud, key, value) for every name=value of query, both decoded
 * (query_decode's rules); stops at the first non-zero (a 400 with msg
 * said) and returns it. */
static int
query_each(const char *query, int (*each)(void *ud, const char *key, const char *val,
                                          char *msg, size_t msglen),
           void *ud, char *msg, size_t msglen)
{
	const char *p = query;

	while (p != NULL && *p != '\0') {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p), *eq;
		char *key = NULL, *val = NULL;
		int rc = 400;

		eq = memchr(p, '=', (size_t)(end - p));
		if (end != p) {
			if ((key = query_decode(p, (size_t)((eq ? eq : end) - p), NULL, msg,
			                        msglen)) != NULL &&
			    (val = query_decode(eq ? eq + 1 : end, eq ? (size_t)(end - eq - 1) : 0,
			                        key, msg, msglen)) != NULL)
				rc = each(ud, key, val, msg, msglen);
			free(key);
			free(val);
			if (rc != 0)
				return rc;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

struct known_query {
	const char *const *known;
	json_object *out;
};

static int
known_one(void *ud, const char *key, const char *val, char *msg, size_t msglen)
{
	struct known_query *kq = ud;
	size_t i, len;

	for (i = 0; kq->known[i] != NULL; i++)
		if (strcmp(key, kq->known[i]) == 0)
			break;
	if (kq->known[i] == NULL) {
		len = (size_t)snprintf(msg, msglen, "query: unknown parameter \"%.200s\" "
		                       "(this route takes ", key);
		for (i = 0; kq->known[i] != NULL && len < msglen; i++)
			len += (size_t)snprintf(msg + len, msglen - len, "%s%s", i ? ", " : "",
			                        kq->known[i]);
		if (len < msglen)
			snprintf(msg + len, msglen - len, ", each at most once)");
		return 400;
	}
	if (json_object_object_get_ex(kq->out, key, NULL)) {
		snprintf(msg, msglen, "query: %.200s is given twice", key);
		return 400;
	}
	json_object_object_add(kq->out, key, json_object_new_string(val));
	return 0;
}

int
inn_body_query_known(const char *query, const char *const *known, json_object **out,
                     char *msg, size_t msglen)
{
	struct known_query kq;

	if ((*out = json_object_new_object()) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return 400;
	}
	kq.known = known;
	kq.out = *out;
	return query_each(query, known_one, &kq, msg, msglen);
}

/* The query of the execute route into params (param.NAME=VALUE) and
 * dry_run (true, false, 1 or 0, as written); 0 or 400 with a message.  A
 * name given twice is refused: which of the two would count is a guess. */
struct execute_query_st {
	json_object *params;
	int *dry_run;
	int dry_seen;
};

static int
execute_one(void *ud, const char *key, const char *val, char *msg, size_t msglen)
{
	struct execute_query_st *eq = ud;

	if (strncmp(key, "param.", 6) == 0) {
		if (key[6] == '\0') {
			snprintf(msg, msglen, "query: \"param.\" needs a parameter name "
			         "(param.NAME=VALUE)");
			return 400;
		}
		if (json_object_object_get_ex(eq->params, key + 6, NULL)) {
			snprintf(msg, msglen, "query: parameter \"%.200s\" is given twice", key + 6);
			return 400;
		}
		json_object_object_add(eq->params, key + 6, json_object_new_string(val));
	} else if (strcmp(key, "dry_run") == 0) {
		if (eq->dry_seen++) {
			snprintf(msg, msglen, "query: dry_run is given twice");
			return 400;
		}
		return inn_body_query_bool(key, val, eq->dry_run, msg, msglen);
	} else {
		snprintf(msg, msglen, "query: unknown parameter \"%.200s\" (this route takes "
		         "param.NAME=VALUE, one per name, and dry_run=true|false)", key);
		return 400;
	}
	return 0;
}

static int
execute_query(const char *query, json_object *params, int *dry_run, char *msg, size_t msglen)
{
	struct execute_query_st eq;

	eq.params = params;
	eq.dry_run = dry_run;
	eq.dry_seen = 0;
	return query_each(query, execute_one, &eq, msg, msglen);
}

int
inn_body_execute_fields(const char *data, size_t len, const char *query,
                        json_object **params, json_object **spec, int *dry_run,
                        const char **code, char *msg, size_t msglen)
{
	size_t i;

	*spec = NULL;
	*dry_run = 0;
	*code = "invalid_request";
	if ((*params = json_object_new_object()) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return 400;
	}
	if (execute_query(query, *params, dry_run, msg, msglen) != 0)
		return 400;
	/* an empty body (the original CLI sends none without a spec): no spec */
	for (i = 0; i < len; i++)
		if (!strchr(" \t\r\n", data[i]) || data[i] == '\0')
			break;
	if (i == len)
		return 0;
	*code = "invalid_spec";
	if (memchr(data, '\0', len) != NULL) {
		snprintf(msg, msglen, "the body (a Score spec) holds a NUL byte");
		return 400;
	}
	return spec_from_text(data, len, spec, msg, msglen);
}
