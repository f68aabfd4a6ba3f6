/*
 * tmpl_yaml.c - YAML mode of the template engine (tmpl.h:
 * inn_tmpl_render_yaml): a template whose text is YAML (a manifest) gets
 * its values placed so that each can only ever be the content of one
 * scalar.  Parse, then substitute: the template is rendered with a
 * placeholder for every value action, the result parsed with libyaml,
 * every placeholder must sit inside a scalar (never in a comment, tag,
 * anchor or alias), each scalar holding one is written again with the
 * values in it (plain when that cannot change what it reads as, else
 * double-quoted with escapes), and the result is parsed once more and
 * compared event by event with the placeholder document: the same
 * structure, and each scalar exactly the text expected.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include "array.h"
#include "error.h"
#include "tmpl_int.h"
#include "utf8.h"

#define IDX_DIGITS 8               /* placeholder index width */
#define MAX_PLACED 100000000u      /* 10^IDX_DIGITS */

/* One value action's value, as text. */
struct placed {
	char *text;
	size_t len;
	int typed;                  /* a number or boolean: may stay a plain scalar */
	int quoted;                 /* the action ends in `quote`: text is a JSON literal */
	char action[SRC_SHOWN + 8]; /* the action, shortened, for messages */
	int found;                  /* in how many scalars (must be 1) */
};

/* One scalar to write again: bytes [start, end) of the placeholder text. */
struct repl {
	size_t start, end;
	char *text;                 /* what replaces them */
	size_t len;
	char *want;                 /* the scalar's content the result must read as */
	size_t wlen;
};

struct yr {
	char prefix[40];            /* the placeholder prefix, unique in the template */
	size_t plen;
	struct placed *v;
	size_t n, cap;
	struct repl *r;
	size_t nr, rcap;
};

/* ---- placeholders ---------------------------------------------------------- */

/* A prefix ("innYph" + 16 hex digits) the template does not contain.  No
 * character of "innYph" appears in the hex digits and "i" only first, so
 * no text before a placeholder can combine with it into another match. */
static void
make_prefix(struct yr *y, const char *tmpl)
{
	static _Thread_local unsigned long counter;
	struct timespec ts;
	uint64_t h;
	int tries;

	clock_gettime(CLOCK_REALTIME, &ts);
	h = (uint64_t)ts.tv_nsec * 6364136223846793005ull ^ (uint64_t)ts.tv_sec ^
	    ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)y;
	for (tries = 0; tries < 64; tries++) {
		h = h * 6364136223846793005ull + 1442695040888963407ull + ++counter;
		snprintf(y->prefix, sizeof(y->prefix), "innYph%016llx", (unsigned long long)h);
		if (strstr(tmpl, y->prefix) == NULL)
			break;
	}
	y->plen = strlen(y->prefix);
}

/* Non-zero when action (`{{ ... }}`, alen bytes) ends its pipeline with
 * the function quote: `{{ .x | quote }}`, `{{ quote .x }}`. */
static int
ends_in_quote(const char *action, size_t alen)
{
	size_t b = 0, e = alen, bar;

	if (alen >= 4 && memcmp(action, "{{", 2) == 0 && memcmp(action + alen - 2, "}}", 2) == 0) {
		b = 2;
		e = alen - 2;
	}
	if (b < e && action[b] == '-')
		b++;
	if (e > b && action[e - 1] == '-')
		e--;
	for (bar = e; bar > b && action[bar - 1] != '|'; bar--)
		;
	if (bar > b)
		b = bar;
	while (b < e && (action[b] == ' ' || action[b] == '\t'))
		b++;
	return e - b >= 5 && memcmp(action + b, "quote", 5) == 0 &&
	       (e - b == 5 || action[b + 5] == ' ' || action[b + 5] == '\t');
}

/* inn_t_place.fn: keeps the value's text, writes prefix + index. */
static int
place_value(void *ud, json_object *v, const char *action, size_t alen, inn_buf *out)
{
	struct yr *y = ud;
	inn_buf tb = INN_BUF_INIT(INN_TMPL_MAX_OUTPUT);
	struct placed *p, *nv;
	char idx[IDX_DIGITS + 2];
	int rc;

	if (y->n >= MAX_PLACED)
		return inn_error_set(INN_ETOOBIG, "more than %u values in one YAML text",
		                     MAX_PLACED);
	if ((nv = inn_array_reserve(y->v, &y->cap, y->n + 1, sizeof(*nv), 16)) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	y->v = nv;
	if ((rc = inn_t_put_value(&tb, v, 0, 0)) != 0 || (rc = inn_t_put(&tb, "", 0)) != 0) {
		inn_buf_free(&tb);
		return rc;
	}
	p = &y->v[y->n];
	memset(p, 0, sizeof(*p));
	p->len = tb.len;
	p->text = inn_buf_take(&tb);
	p->typed = json_object_is_type(v, json_type_int) ||
	           json_object_is_type(v, json_type_boolean) ||
	           (json_object_is_type(v, json_type_double) &&
	            strspn(p->text, "0123456789.eE+-") == p->len && p->len > 0);
	p->quoted = ends_in_quote(action, alen);
	snprintf(p->action, sizeof(p->action), "%.*s%s",
	         (int)(alen > SRC_SHOWN ? SRC_SHOWN : alen), action, alen > SRC_SHOWN ? "..." : "");
	snprintf(idx, sizeof(idx), "%0*zu", IDX_DIGITS, y->n);
	y->n++;
	if ((rc = inn_t_put(out, y->prefix, y->plen)) != 0)
		return rc;
	return inn_t_put(out, idx, IDX_DIGITS);
}

/* The placeholder starting at s (left bytes): its index, or -1. */
static long
placeholder_at(const struct yr *y, const char *s, size_t left)
{
	size_t i;
	long idx = 0;

	if (left < y->plen + IDX_DIGITS || memcmp(s, y->prefix, y->plen) != 0)
		return -1;
	for (i = 0; i < IDX_DIGITS; i++) {
		char c = s[y->plen + i];

		if (c < '0' || c > '9')
			return -1;
		idx = idx * 10 + (c - '0');
	}
	return (size_t)idx < y->n ? idx : -1;
}

/* s (n bytes, a scalar's value) with every placeholder replaced by its
 * value's text into out; *first gets the first placeholder's index (-1:
 * none), *whole is set when s is exactly one placeholder. */
static int
substitute(const struct yr *y, const char *s, size_t n, inn_buf *out, long *first, int *whole)
{
	size_t i = 0, from = 0;
	long idx;
	int rc;

	*first = -1;
	*whole = 0;
	while (i < n) {
		const char *hit = memmem(s + i, n - i, y->prefix, y->plen);

		if (hit == NULL)
			break;
		i = (size_t)(hit - s);
		if ((idx = placeholder_at(y, hit, n - i)) < 0) {
			i++;
			continue;
		}
		if (*first < 0) {
			*first = idx;
			*whole = i == 0 && n == y->plen + IDX_DIGITS;
		}
		if ((rc = inn_t_put(out, s + from, i - from)) != 0 ||
		    (rc = inn_t_put(out, y->v[idx].text, y->v[idx].len)) != 0)
			return rc;
		i += y->plen + IDX_DIGITS;
		from = i;
	}
	return inn_t_put(out, s + from, n - from);
}

/* ---- writing a scalar --------------------------------------------------------- */

static int
word_in(const char *s, size_t n, const char *const *words)
{
	size_t i;

	for (i = 0; words[i] != NULL; i++)
		if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
			return 1;
	return 0;
}

/* Non-zero when plain text s could read as something other than a string
 * under YAML 1.1 or 1.2 (a boolean, null, a number, a timestamp). */
static int
ambiguous(const char *s, size_t n)
{
	static const char *const words[] = {
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True",
		"TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
		"null", "Null", "NULL", "~", ".inf", ".Inf", ".INF", "+.inf", "+.Inf",
		"+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", NULL
	};
	size_t i = 0;

	if (word_in(s, n, words))
		return 1;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i < n && s[i] == '.')
		i++;
	if (i >= n || s[i] < '0' || s[i] > '9')
		return 0;
	/* digits first: a number in any base, sexagesimal, or a date, unless
	 * a character no number or timestamp has shows it is text */
	for (; i < n; i++)
		if (strchr("0123456789abcdefABCDEFxXoO_.:+-tTzZ ", s[i]) == NULL)
			return 0;
	return 1;
}

/* Non-zero when s (n bytes) may be written as a plain scalar (a key or a
 * value; in_flow: inside [...] or {...}) and reads back as this string. */
static int
plain_ok(const char *s, size_t n, int in_flow)
{
	size_t i;

	if (n == 0 || n > 1024 || ambiguous(s, n))
		return 0;
	/* a document marker where the scalar starts a line */
	if (n >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0))
		return 0;
	/* "-" starts a plain scalar unless a blank follows ("- " is a list item) */
	if (!(s[0] >= 'a' && s[0] <= 'z') && !(s[0] >= 'A' && s[0] <= 'Z') &&
	    !(s[0] >= '0' && s[0] <= '9') && strchr("/._$(", s[0]) == NULL &&
	    !(s[0] == '-' && n > 1 && s[1] != ' '))
		return 0;
	if (s[n - 1] == ' ' || s[n - 1] == ':')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || strchr(",[]{}#\"'`|>&*!%@\\", c) != NULL)
			return 0;
		if (c == ':' && (in_flow || (i + 1 < n && s[i + 1] == ' ')))
			return 0;
	}
	return 1;
}

/* s (n bytes) as a double-quoted scalar on one line. */
static int
put_double_quoted(inn_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	char esc[16];
	size_t i = 0, k;
	int rc;

	if ((rc = inn_t_put(b, "\"", 1)) != 0)
		return rc;
	while (i < n) {
		unsigned char c = u[i];

		esc[0] = '\0';
		k = 1;
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (c == '\t')
			snprintf(esc, sizeof(esc), "\\t");
		else if (c == '\r')
			snprintf(esc, sizeof(esc), "\\r");
		else if (c < 0x20 || c == 0x7f)
			snprintf(esc, sizeof(esc), "\\x%02x", c);
		else if (c >= 0x80) {
			if ((k = inn_utf8_len(u + i, n - i)) == 0)
				return inn_error_set(INN_EINVAL, "the value is not valid UTF-8");
			/* line breaks and the byte order mark YAML reads specially */
			if (k == 2 && u[i] == 0xc2 && u[i + 1] == 0x85)
				snprintf(esc, sizeof(esc), "\\N");
			else if (k == 3 && u[i] == 0xe2 && u[i + 1] == 0x80 && u[i + 2] == 0xa8)
				snprintf(esc, sizeof(esc), "\\L");
			else if (k == 3 && u[i] == 0xe2 && u[i + 1] == 0x80 && u[i + 2] == 0xa9)
				snprintf(esc, sizeof(esc), "\\P");
			else if (k == 3 && u[i] == 0xef && u[i + 1] == 0xbb && u[i + 2] == 0xbf)
				snprintf(esc, sizeof(esc), "\\uFEFF");
		}
		rc = esc[0] != '\0' ? inn_t_puts(b, esc) : inn_t_put(b, s + i, k);
		if (rc != 0)
			return rc;
		i += k;
	}
	return inn_t_put(b, "\"", 1);
}

/* ---- the two passes ------------------------------------------------------------ */

/* libyaml's marks count characters; the text is UTF-8: a forward-only
 * cursor turns a character index into a byte offset. */
struct cursor {
	const unsigned char *t;
	size_t len, chars, bytes;
};

static size_t
byte_at(struct cursor *c, size_t chars)
{
	while (c->chars < chars && c->bytes < c->len) {
		c->bytes++;
		while (c->bytes < c->len && (c->t[c->bytes] & 0xc0) == 0x80)
			c->bytes++;
		c->chars++;
	}
	return c->bytes;
}

static int
parse_error(const yaml_parser_t *p, const char *what)
{
	return inn_error_set(INN_EINVAL, "%s is not valid YAML (line %zu, column %zu: %s), so "
	                     "no value can be placed in it safely", what,
	                     (size_t)p->problem_mark.line + 1, (size_t)p->problem_mark.column + 1,
	                     p->problem ? p->problem : "parse error");
}

/* The offset of a scalar's content in t[start, end): past its anchor
 * (&a), tag (!t, !!str, !<...>), the blanks, line breaks and comments
 * around them. */
static size_t
skip_properties(const char *t, size_t start, size_t end)
{
	size_t i = start;

	while (i < end) {
		if (t[i] == '&' || t[i] == '!') {
			while (i < end && t[i] != ' ' && t[i] != '\t' && t[i] != '\n' && t[i] != '\r')
				i++;
		} else if (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r') {
			i++;
		} else if (t[i] == '#') {
			while (i < end && t[i] != '\n')
				i++;
		} else {
			break;
		}
	}
	return i;
}

/* When v holds exactly a JSON string literal ("a\"b"), v becomes the
 * string it stands for; otherwise v stays.  0 or INN_ENOMEM. */
static int
json_literal(inn_buf *v)
{
	json_object *j;
	int rc = 0;

	if (v->len < 2 || v->p[0] != '"' || v->p[v->len - 1] != '"' ||
	    (j = json_tokener_parse(v->p)) == NULL)
		return 0;
	if (json_object_is_type(j, json_type_string)) {
		v->len = 0;
		rc = inn_t_put(v, json_object_get_string(j), (size_t)json_object_get_string_len(j));
	}
	json_object_put(j);
	return rc;
}

/* The text that replaces scalar e (a placeholder in its value; in_flow:
 * inside a flow collection) into r. */
static int
scalar_repl(struct yr *y, const yaml_event_t *e, const char *t, struct cursor *cur,
            int in_flow, struct repl *r)
{
	const char *val = (const char *)e->data.scalar.value;
	size_t n = e->data.scalar.length, k;
	inn_buf v = INN_BUF_INIT(INN_TMPL_MAX_OUTPUT), out = INN_BUF_INIT(INN_TMPL_MAX_OUTPUT);
	long first;
	int whole, rc;

	memset(r, 0, sizeof(*r));
	if ((rc = substitute(y, val, n, &v, &first, &whole)) != 0)
		goto out;
	if (first < 0)
		goto out;       /* no placeholder: left as it is */
	r->start = byte_at(cur, e->start_mark.index);
	r->end = byte_at(cur, e->end_mark.index);
	/* the event starts at the node's anchor or tag: they stay */
	if (e->data.scalar.anchor != NULL || e->data.scalar.tag != NULL)
		r->start = skip_properties(t, r->start, r->end);
	/* a whole plain scalar from `{{ x | quote }}` (a JSON string
	 * literal): the string it quotes, as the text mode's YAML read it */
	if (e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && whole && y->v[first].quoted &&
	    (rc = json_literal(&v)) != 0)
		goto out;
	if (e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && whole && y->v[first].typed)
		rc = inn_t_put(&out, y->v[first].text, y->v[first].len);
	else if (e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	         plain_ok(v.p ? v.p : "", v.len, in_flow))
		rc = inn_t_put(&out, v.p, v.len);
	else
		rc = put_double_quoted(&out, v.p ? v.p : "", v.len);
	if (rc != 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", inn_error_last());
		rc = inn_error_set(rc, "%s: %s", y->v[first].action, why);
		goto out;
	}
	/* a block scalar's span runs to the next line's content: keep the
	 * line break and that line's indentation */
	if (e->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
	    e->data.scalar.style == YAML_FOLDED_SCALAR_STYLE) {
		for (k = r->end; k > r->start && t[k - 1] == ' '; k--)
			;
		if (k > r->start && t[k - 1] == '\n' &&
		    (rc = inn_t_put(&out, t + k - 1, r->end - k + 1)) != 0)
			goto out;
	}
	if ((rc = inn_t_put(&out, "", 0)) != 0 || (rc = inn_t_put(&v, "", 0)) != 0)
		goto out;
	r->len = out.len;
	r->text = inn_buf_take(&out);
	r->wlen = v.len;
	r->want = inn_buf_take(&v);
out:
	inn_buf_free(&v);
	inn_buf_free(&out);
	return rc;
}

/* Marks each placeholder of scalar e found. */
static void
count_found(struct yr *y, const yaml_event_t *e)
{
	const char *s = (const char *)e->data.scalar.value, *hit;
	size_t n = e->data.scalar.length, i = 0;
	long idx;

	while (i < n && (hit = memmem(s + i, n - i, y->prefix, y->plen)) != NULL) {
		i = (size_t)(hit - s);
		if ((idx = placeholder_at(y, hit, n - i)) >= 0) {
			y->v[idx].found++;
			i += y->plen + IDX_DIGITS;
		} else {
			i++;
		}
	}
}

/* Pass one: every scalar holding a placeholder gets its replacement. */
static int
collect(struct yr *y, const char *t, size_t len)
{
	struct cursor cur = { (const unsigned char *)t, len, 0, 0 };
	yaml_parser_t p;
	yaml_event_t e;
	struct repl r;
	size_t i, flow = 0;
	int rc = 0, done = 0;

	if (!yaml_parser_initialize(&p))
		return inn_error_set(INN_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)t, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&p, &e)) {
			rc = parse_error(&p, "the text with its values left out");
			break;
		}
		done = e.type == YAML_STREAM_END_EVENT;
		/* inside a flow collection every collection is flow */
		if ((e.type == YAML_SEQUENCE_START_EVENT &&
		     (flow > 0 || e.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE)) ||
		    (e.type == YAML_MAPPING_START_EVENT &&
		     (flow > 0 || e.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE)))
			flow++;
		else if ((e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT) &&
		         flow > 0)
			flow--;
		if (e.type == YAML_SCALAR_EVENT) {
			count_found(y, &e);
			if ((rc = scalar_repl(y, &e, t, &cur, flow > 0, &r)) == 0 && r.text != NULL) {
				struct repl *nr = inn_array_reserve(y->r, &y->rcap, y->nr + 1,
				                                    sizeof(*nr), 16);

				if (nr == NULL) {
					free(r.text);
					rc = inn_error_set(INN_ENOMEM, "out of memory");
				} else {
					y->r = nr;
					y->r[y->nr++] = r;
				}
			}
		}
		yaml_event_delete(&e);
		if (rc != 0)
			break;
	}
	yaml_parser_delete(&p);
	for (i = 0; rc == 0 && i < y->n; i++)
		if (y->v[i].found != 1)
			rc = inn_error_set(INN_EINVAL, "%s: this value would not be inside one YAML "
			                   "value (it lands in a comment, a tag, an anchor or an "
			                   "alias): only a scalar may hold a value", y->v[i].action);
	return rc;
}

static int
same_str(const yaml_char_t *a, const yaml_char_t *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp((const char *)a, (const char *)b) == 0;
}

/* Non-zero when events a (of the placeholder text) and b (of the result)
 * agree: the same kind, anchors and tags, and b's scalar is a's with the
 * values in it (want, wn). */
static int
same_event(const yaml_event_t *a, const yaml_event_t *b, const char *want, size_t wn)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case YAML_SCALAR_EVENT:
		return same_str(a->data.scalar.anchor, b->data.scalar.anchor) &&
		       same_str(a->data.scalar.tag, b->data.scalar.tag) &&
		       b->data.scalar.length == wn &&
		       (wn == 0 || memcmp(b->data.scalar.value, want, wn) == 0);
	case YAML_ALIAS_EVENT:
		return same_str(a->data.alias.anchor, b->data.alias.anchor);
	case YAML_SEQUENCE_START_EVENT:
		return same_str(a->data.sequence_start.anchor, b->data.sequence_start.anchor) &&
		       same_str(a->data.sequence_start.tag, b->data.sequence_start.tag);
	case YAML_MAPPING_START_EVENT:
		return same_str(a->data.mapping_start.anchor, b->data.mapping_start.anchor) &&
		       same_str(a->data.mapping_start.tag, b->data.mapping_start.tag);
	default:
		return 1;
	}
}

/* The index of the first placeholder in the scalars p reads next (the
 * value whose placing went wrong where an event without one differed),
 * or -1. */
static long
next_placed(const struct yr *y, yaml_parser_t *p)
{
	yaml_event_t e;
	long idx = -1;
	int done = 0;

	while (idx < 0 && !done && yaml_parser_parse(p, &e)) {
		const char *s = (const char *)e.data.scalar.value, *hit;

		done = e.type == YAML_STREAM_END_EVENT;
		if (e.type == YAML_SCALAR_EVENT &&
		    (hit = memmem(s, e.data.scalar.length, y->prefix, y->plen)) != NULL)
			idx = placeholder_at(y, hit, e.data.scalar.length - (size_t)(hit - s));
		yaml_event_delete(&e);
	}
	return idx;
}

/* Pass two: the result parses into the placeholder text's events with
 * each scalar exactly its expected text. */
static int
verify(const struct yr *y, const char *a_text, size_t a_len, const char *b_text, size_t b_len)
{
	yaml_parser_t pa, pb;
	yaml_event_t ea, eb;
	size_t ri = 0;
	int rc = 0, done = 0;

	if (!yaml_parser_initialize(&pa))
		return inn_error_set(INN_ENOMEM, "out of memory");
	if (!yaml_parser_initialize(&pb)) {
		yaml_parser_delete(&pa);
		return inn_error_set(INN_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&pa, (const unsigned char *)a_text, a_len);
	yaml_parser_set_encoding(&pa, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&pb, (const unsigned char *)b_text, b_len);
	yaml_parser_set_encoding(&pb, YAML_UTF8_ENCODING);
	while (!done && rc == 0) {
		inn_buf want = INN_BUF_INIT(INN_TMPL_MAX_OUTPUT);
		long first = -1;
		int whole;

		if (!yaml_parser_parse(&pa, &ea)) {
			rc = inn_error_set(INN_ERROR, "YAML text changed between two parses");
			break;
		}
		if (!yaml_parser_parse(&pb, &eb)) {
			yaml_event_delete(&ea);
			rc = parse_error(&pb, "the text with its values placed");
			break;
		}
		done = ea.type == YAML_STREAM_END_EVENT;
		if (ea.type == YAML_SCALAR_EVENT)
			rc = substitute(y, (const char *)ea.data.scalar.value, ea.data.scalar.length,
			                &want, &first, &whole);
		if (rc == 0 && first >= 0) {
			/* the content pass one decided on (a quoted literal decoded) */
			if (ri >= y->nr) {
				rc = inn_error_set(INN_ERROR, "YAML text changed between two parses");
			} else {
				want.len = 0;
				rc = inn_t_put(&want, y->r[ri].want, y->r[ri].wlen);
				ri++;
			}
		}
		if (rc == 0 && !same_event(&ea, &eb, want.p ? want.p : "", want.len)) {
			if (first < 0)
				first = next_placed(y, &pa);
			rc = inn_error_set(INN_EINVAL, "%s: the value cannot be placed in this YAML "
			                   "text as the content of one scalar", first >= 0 ?
			                   y->v[first].action : "a value");
		}
		inn_buf_free(&want);
		yaml_event_delete(&ea);
		yaml_event_delete(&eb);
	}
	yaml_parser_delete(&pa);
	yaml_parser_delete(&pb);
	return rc;
}

static void
yr_free(struct yr *y)
{
	size_t i;

	for (i = 0; i < y->n; i++)
		free(y->v[i].text);
	for (i = 0; i < y->nr; i++) {
		free(y->r[i].text);
		free(y->r[i].want);
	}
	free(y->v);
	free(y->r);
}

int
inn_tmpl_render_yaml(const inn_tmpl_env *env, const char *tmpl, char **out)
{
	struct yr y;
	struct inn_t_place pl = { place_value, &y };
	inn_buf b = INN_BUF_INIT(INN_TMPL_MAX_OUTPUT);
	char *text = NULL;
	size_t len, pos = 0, i;
	int rc;

	*out = NULL;
	memset(&y, 0, sizeof(y));
	if (tmpl == NULL)
		return inn_error_set(INN_EINVAL, "template: no template");
	make_prefix(&y, tmpl);
	if ((rc = inn_t_render_placed(env, tmpl, &pl, &text)) != 0)
		goto out;
	len = strlen(text);
	if (y.n == 0) {         /* no value: the text as written */
		*out = text;
		text = NULL;
		goto out;
	}
	if ((rc = collect(&y, text, len)) != 0)
		goto out;
	for (i = 0; i < y.nr; i++) {
		if ((rc = inn_t_put(&b, text + pos, y.r[i].start - pos)) != 0 ||
		    (rc = inn_t_put(&b, y.r[i].text, y.r[i].len)) != 0)
			goto out;
		pos = y.r[i].end;
	}
	if ((rc = inn_t_put(&b, text + pos, len - pos)) != 0 ||
	    (rc = inn_t_put(&b, "", 0)) != 0 ||
	    (rc = verify(&y, text, len, b.p, b.len)) != 0)
		goto out;
	*out = inn_buf_take(&b);
out:
	free(text);
	inn_buf_free(&b);
	yr_free(&y);
	return rc;
}
