/*
 * tmpl.c - the template engine (see tmpl.h): a lexer that splits a string
 * into text, `${path}` references and `{{ action }}`s, a parser that turns
 * those into a small tree (output, if, range) and checks it, and an
 * evaluator that walks the tree over json-c data into a bounded text buffer
 * or, for a lone reference, returns the referenced value itself.
 */
#include "tmpl.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "shell_ctx.h"

#define MAX_VARS (2 * INN_TMPL_MAX_DEPTH + 2)
#define MAX_TREE_DEPTH 256        /* data nesting we serialise or copy */
#define MAX_STEPS (1UL << 22)     /* node evaluations + range iterations */
#define SRC_SHOWN 80              /* action text quoted in messages */

/* ---- bounded text buffer ------------------------------------------------ */

struct buf {
	char *p;
	size_t len, cap, max;
};

static int
buf_put(struct buf *b, const char *s, size_t n)
{
	if (n > b->max - b->len)
		return inn_error_set(INN_ETOOBIG, "rendered text exceeds %zu bytes",
		                     b->max);
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		char *np;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		if (ncap > b->max + 1)
			ncap = b->max + 1;
		if ((np = realloc(b->p, ncap)) == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int
buf_puts(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

/* ---- value formatting --------------------------------------------------- */

static const char *
type_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_int:
	case json_type_double: return "a number";
	case json_type_string: return "a string";
	case json_type_array: return "a list";
	case json_type_object: return "an object";
	}
	return "a value";
}

/* Shortest text that reads back as the same double, in Go's %v form:
 * plain digits unless the exponent is below -4 or at least 21 (1000,
 * 0.1, 1e+21); NaN and infinities as Go prints them. */
static void
fmt_double(char *out, size_t n, double d)
{
	const char *e;
	int prec, x;

	if (isnan(d)) {
		snprintf(out, n, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(out, n, "%sInf", d < 0 ? "-" : "+");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(out, n, "%.*e", prec - 1, d);
		if (strtod(out, NULL) == d)
			break;
	}
	snprintf(out, n, "%.*e", prec - 1, d);
	if ((e = strchr(out, 'e')) == NULL)
		return;
	x = (int)strtol(e + 1, NULL, 10);
	if (x < -4 || x >= 21)
		return;
	snprintf(out, n, "%.*f", prec - 1 - x > 0 ? prec - 1 - x : 0, d);
}

static void
fmt_int(char *out, size_t n, json_object *v)
{
	int64_t i = json_object_get_int64(v);

	if (i == INT64_MAX)
		snprintf(out, n, "%llu", (unsigned long long)json_object_get_uint64(v));
	else
		snprintf(out, n, "%lld", (long long)i);
}

/* Appends s as a JSON string literal ("a\"b\n"). */
static int
put_quoted(struct buf *b, const char *s, size_t n)
{
	size_t i, start = 0;
	int rc;

	if ((rc = buf_put(b, "\"", 1)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		const char *e = NULL;

		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				e = esc;
			}
		}
		if (e == NULL)
			continue;
		if ((rc = buf_put(b, s + start, i - start)) != 0 ||
		    (rc = buf_puts(b, e)) != 0)
			return rc;
		start = i + 1;
	}
	if ((rc = buf_put(b, s + start, n - start)) != 0)
		return rc;
	return buf_put(b, "\"", 1);
}

static int put_value(struct buf *b, json_object *v, int json, int depth);

/* Compact JSON of a list or object, keys in stored order. */
static int
put_container(struct buf *b, json_object *v, int depth)
{
	int rc, first = 1;

	if (json_object_is_type(v, json_type_array)) {
		size_t i, n = json_object_array_length(v);

		if ((rc = buf_put(b, "[", 1)) != 0)
			return rc;
		for (i = 0; i < n; i++) {
			if ((i > 0 && (rc = buf_put(b, ",", 1)) != 0) ||
			    (rc = put_value(b, json_object_array_get_idx(v, i), 1,
			                    depth + 1)) != 0)
				return rc;
		}
		return buf_put(b, "]", 1);
	}
	if ((rc = buf_put(b, "{", 1)) != 0)
		return rc;
	json_object_object_foreach(v, key, val) {
		if ((!first && (rc = buf_put(b, ",", 1)) != 0) ||
		    (rc = put_quoted(b, key, strlen(key))) != 0 ||
		    (rc = buf_put(b, ":", 1)) != 0 ||
		    (rc = put_value(b, val, 1, depth + 1)) != 0)
			return rc;
		first = 0;
	}
	return buf_put(b, "}", 1);
}

/* Appends v as text: strings as they are (quoted when json is set), numbers
 * in decimal, booleans as true/false, null as "" (null in JSON), lists and
 * objects as compact JSON. */
static int
put_value(struct buf *b, json_object *v, int json, int depth)
{
	char tmp[64];

	if (depth > MAX_TREE_DEPTH)
		return inn_error_set(INN_ETOOBIG, "value nested deeper than %d levels",
		                     MAX_TREE_DEPTH);
	switch (json_object_get_type(v)) {
	case json_type_null:
		return json ? buf_puts(b, "null") : 0;
	case json_type_boolean:
		return buf_puts(b, json_object_get_boolean(v) ? "true" : "false");
	case json_type_int:
		fmt_int(tmp, sizeof(tmp), v);
		return buf_puts(b, tmp);
	case json_type_double:
		fmt_double(tmp, sizeof(tmp), json_object_get_double(v));
		return buf_puts(b, tmp);
	case json_type_string:
		if (json)
			return put_quoted(b, json_object_get_string(v),
			                  (size_t)json_object_get_string_len(v));
		return buf_put(b, json_object_get_string(v),
		               (size_t)json_object_get_string_len(v));
	case json_type_array:
	case json_type_object:
		return put_container(b, v, depth);
	}
	return 0;
}

int
inn_tmpl_truthy(json_object *v)
{
	const char *s;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return 0;
	case json_type_boolean:
		return json_object_get_boolean(v);
	case json_type_int:
		return json_object_get_int64(v) != 0;
	case json_type_double:
		return json_object_get_double(v) != 0.0;
	case json_type_string:
		s = json_object_get_string(v);
		return s[0] != '\0' && strcmp(s, "false") != 0 && strcmp(s, "0") != 0;
	case json_type_array:
		return json_object_array_length(v) > 0;
	case json_type_object:
		return json_object_object_length(v) > 0;
	}
	return 0;
}

/* ---- the parsed form ---------------------------------------------------- */

enum fn_id { F_EQ, F_NE, F_NOT, F_AND, F_OR, F_LEN, F_DEFAULT, F_QUOTE, F_NOW };

struct fn_def {
	const char *name;
	enum fn_id id;
	size_t min, max;
};

static const struct fn_def fns[] = {
	{ "eq", F_EQ, 2, SIZE_MAX },
	{ "ne", F_NE, 2, 2 },
	{ "not", F_NOT, 1, 1 },
	{ "and", F_AND, 1, SIZE_MAX },
	{ "or", F_OR, 1, SIZE_MAX },
	{ "len", F_LEN, 1, 1 },
	{ "default", F_DEFAULT, 2, 2 },
	{ "quote", F_QUOTE, 1, SIZE_MAX },
	{ "now", F_NOW, 0, 0 },
};

enum ekind { E_LIT, E_FIELD, E_VAR, E_CALL, E_PIPE };

struct expr {
	enum ekind kind;
	size_t off;                 /* 0-based offset in the template */
	json_object *lit;           /* E_LIT */
	char *var;                  /* E_VAR: name without '$' ("" is $) */
	char **segs;                /* E_FIELD, E_VAR: the field chain */
	size_t nsegs;
	int rooted;                 /* resolves against the data root */
	int bare;                   /* ${NAME}: variables.NAME, then NAME */
	const struct fn_def *fn;    /* E_CALL */
	struct expr **args;         /* E_CALL: arguments; E_PIPE: commands */
	size_t nargs;
};

enum nkind { N_TEXT, N_OUT, N_IF, N_RANGE };

struct node;
struct list {
	struct node **v;
	size_t n, cap;
};

struct node {
	enum nkind kind;
	const char *src;            /* the whole action, for messages */
	size_t srclen;
	const char *text;           /* N_TEXT */
	size_t len;
	struct expr *e;             /* N_OUT: the value; N_RANGE: the source */
	struct expr **conds;        /* N_IF: one condition per branch */
	struct list *bodies;        /* N_IF: one body per branch */
	size_t nbranch;
	struct list body;           /* N_RANGE body */
	struct list alt;            /* N_IF / N_RANGE {{ else }} */
	char *kvar, *vvar;          /* N_RANGE variables (without '$') */
};

static void free_list(struct list *l);

static void
free_expr(struct expr *e)
{
	size_t i;

	if (e == NULL)
		return;
	json_object_put(e->lit);
	free(e->var);
	for (i = 0; i < e->nsegs; i++)
		free(e->segs[i]);
	free(e->segs);
	for (i = 0; i < e->nargs; i++)
		free_expr(e->args[i]);
	free(e->args);
	free(e);
}

static void
free_node(struct node *nd)
{
	size_t i;

	if (nd == NULL)
		return;
	free_expr(nd->e);
	for (i = 0; i < nd->nbranch; i++) {
		free_expr(nd->conds[i]);
		free_list(&nd->bodies[i]);
	}
	free(nd->conds);
	free(nd->bodies);
	free_list(&nd->body);
	free_list(&nd->alt);
	free(nd->kvar);
	free(nd->vvar);
	free(nd);
}

static void
free_list(struct list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free_node(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Appends p to a growable pointer array; the caller bounds the count. */
static int
ptr_push(void ***v, size_t *n, size_t *cap, void *p)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		void **nv = realloc(*v, ncap * sizeof(*nv));

		if (nv == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = p;
	return 0;
}

static int
list_push(struct list *l, struct node *nd)
{
	return ptr_push((void ***)&l->v, &l->n, &l->cap, nd);
}

/* ---- lexing text, ${...} and {{ ... }} ---------------------------------- */

enum ikind { I_TEXT, I_REF, I_ACTION };

struct item {
	enum ikind kind;
	const char *p;              /* text, path, or action content */
	size_t len;
	size_t off;                 /* offset of p in the template */
	size_t srcoff, srclen;      /* the whole `${...}` / `{{...}}` */
};

struct parser {
	const char *t;              /* the template */
	size_t tlen;
	struct item *items;
	size_t nitems, cap, pos;
	int depth;                  /* open if/range/parentheses */
	int in_range;               /* dot is a range element, not the root */
	const char *vars[MAX_VARS]; /* declared range variables in scope */
	size_t nvars;
	inn_tmpl_ref_fn ref_fn;
	void *ref_ud;
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Characters of a path segment: hyphens are allowed (create-ns). */
static int
is_seg(char c)
{
	return is_alpha(c) || is_digit(c) || c == '-';
}

/* Length of the dotted path at s (n bytes) if `s` continues a `${` with
 * `path}`, else 0: "${GITEA_TOKEN:-x}" and "${#a}" stay shell text. */
static size_t
ref_path_len(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_alpha(s[0]))
		return 0;
	for (;;) {
		while (i < n && is_seg(s[i]))
			i++;
		if (i < n && s[i] == '.' && i + 1 < n && is_seg(s[i + 1])) {
			i++;
			continue;
		}
		break;
	}
	return i < n && s[i] == '}' ? i : 0;
}

static int
add_item(struct parser *p, enum ikind kind, size_t off, size_t len,
         size_t srcoff, size_t srclen)
{
	struct item *it;

	if (p->nitems == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 16;
		struct item *ni = realloc(p->items, ncap * sizeof(*ni));

		if (ni == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		p->items = ni;
		p->cap = ncap;
	}
	it = &p->items[p->nitems++];
	it->kind = kind;
	it->p = p->t + off;
	it->len = len;
	it->off = off;
	it->srcoff = srcoff;
	it->srclen = srclen;
	return 0;
}

/* Adds the text t[a, b), first dropping leading whitespace when the action
 * before it ended with "-}}" and trailing whitespace when the action after
 * it starts with "{{-". */
static int
add_text(struct parser *p, size_t a, size_t b, int *trim_next, int trim_end)
{
	if (*trim_next)
		while (a < b && is_space(p->t[a]))
			a++;
	*trim_next = 0;
	if (trim_end)
		while (b > a && is_space(p->t[b - 1]))
			b--;
	return a < b ? add_item(p, I_TEXT, a, b - a, a, b - a) : 0;
}

/* Lexes the action at t[i] ("{{"): sets *end past its "}}", the trim
 * markers, and the content [*ca, *cb) (empty range for a comment). */
static int
lex_action(struct parser *p, size_t i, size_t *end, int *tl, int *tr,
           size_t *ca, size_t *cb, int *comment)
{
	const char *s = p->t;
	size_t n = p->tlen, j = i + 2, m;

	*tl = *tr = *comment = 0;
	if (j + 1 < n && s[j] == '-' && is_space(s[j + 1])) {
		*tl = 1;
		j += 2;
	}
	m = j;
	while (m < n && is_space(s[m]))
		m++;
	if (m + 1 < n && s[m] == '/' && s[m + 1] == '*') {
		m += 2;
		while (m + 1 < n && !(s[m] == '*' && s[m + 1] == '/'))
			m++;
		if (m + 1 >= n)
			return inn_error_set(INN_EINVAL, "unclosed comment \"{{/*\" at offset %zu",
			                     i + 1);
		m += 2;
		while (m < n && is_space(s[m]))
			m++;
		if (m + 2 < n && s[m] == '-' && s[m + 1] == '}' && s[m + 2] == '}') {
			*tr = 1;
			m++;
		}
		if (m + 1 >= n || s[m] != '}' || s[m + 1] != '}')
			return inn_error_set(INN_EINVAL,
			                     "comment must end with \"*/}}\" at offset %zu", i + 1);
		*comment = 1;
		*ca = *cb = m;
		*end = m + 2;
		return 0;
	}
	for (m = j; m + 1 < n; m++) {
		if (s[m] == '"' || s[m] == '`') {
			char q = s[m];

			for (m++; m < n && s[m] != q; m++)
				if (q == '"' && s[m] == '\\')
					m++;
			if (m >= n)
				break;
		} else if (s[m] == '}' && s[m + 1] == '}') {
			*ca = j;
			*cb = m;
			if (m - j >= 2 && s[m - 1] == '-' && is_space(s[m - 2])) {
				*tr = 1;
				*cb = m - 1;
			}
			*end = m + 2;
			return 0;
		}
	}
	return inn_error_set(INN_EINVAL, "unclosed action \"{{\" at offset %zu", i + 1);
}

/* Splits the template into items, applying the trim markers. */
static int
lex_items(struct parser *p)
{
	const char *s = p->t;
	size_t n = p->tlen, i = 0, start = 0, plen, end = 0, ca = 0, cb = 0;
	int rc, trim_next = 0, tl, tr, comment;

	while (i < n) {
		if (s[i] == '$' && i + 2 < n && s[i + 1] == '$' && s[i + 2] == '{') {
			/* "$${" is a literal "${" */
			if ((rc = add_text(p, start, i, &trim_next, 0)) != 0 ||
			    (rc = add_item(p, I_TEXT, i + 1, 2, i + 1, 2)) != 0)
				return rc;
			i += 3;
			start = i;
		} else if (s[i] == '$' && i + 1 < n && s[i + 1] == '{' &&
		           (plen = ref_path_len(s + i + 2, n - i - 2)) > 0) {
			if ((rc = add_text(p, start, i, &trim_next, 0)) != 0 ||
			    (rc = add_item(p, I_REF, i + 2, plen, i, plen + 3)) != 0)
				return rc;
			i += plen + 3;
			start = i;
		} else if (s[i] == '{' && i + 1 < n && s[i + 1] == '{') {
			if ((rc = lex_action(p, i, &end, &tl, &tr, &ca, &cb, &comment)) != 0 ||
			    (rc = add_text(p, start, i, &trim_next, tl)) != 0)
				return rc;
			if (!comment &&
			    (rc = add_item(p, I_ACTION, ca, cb - ca, i, end - i)) != 0)
				return rc;
			trim_next = tr;
			i = end;
			start = i;
		} else {
			i++;
		}
	}
	return add_text(p, start, n, &trim_next, 0);
}

/* ---- lexing inside an action -------------------------------------------- */

enum tkind {
	T_EOF, T_IDENT, T_FIELD, T_VAR, T_STRING, T_NUMBER,
	T_LPAREN, T_RPAREN, T_PIPE, T_COMMA, T_DECLARE
};

struct token {
	enum tkind kind;
	const char *p;
	size_t len;
	size_t off;                 /* 0-based offset in the template */
};

struct alex {
	const char *s;              /* the action content */
	size_t pos, len;
	size_t base;                /* offset of s in the template */
};

/* Scans ".a.b-c" / "$v.a" field chains starting at s[i]; returns the end
 * or 0 on a malformed chain (".a..b", ".a.") */
static size_t
scan_chain(const char *s, size_t i, size_t n)
{
	while (i < n && s[i] == '.') {
		if (i + 1 >= n || !is_seg(s[i + 1]))
			return 0;
		i++;
		while (i < n && is_seg(s[i]))
			i++;
	}
	return i;
}

static int
lex_next(struct alex *lx, struct token *t)
{
	const char *s = lx->s;
	size_t n = lx->len, i = lx->pos, j;

	while (i < n && is_space(s[i]))
		i++;
	t->p = s + i;
	t->off = lx->base + i;
	t->len = 1;
	if (i >= n) {
		t->kind = T_EOF;
		t->len = 0;
		lx->pos = i;
		return 0;
	}
	j = i + 1;
	switch (s[i]) {
	case '(': t->kind = T_LPAREN; break;
	case ')': t->kind = T_RPAREN; break;
	case '|': t->kind = T_PIPE; break;
	case ',': t->kind = T_COMMA; break;
	case ':':
		if (j >= n || s[j] != '=')
			goto bad;
		t->kind = T_DECLARE;
		j++;
		break;
	case '"':
	case '`':
		for (; j < n && s[j] != s[i]; j++)
			if (s[i] == '"' && s[j] == '\\')
				j++;
		if (j >= n)
			return inn_error_set(INN_EINVAL, "unterminated string at offset %zu",
			                     t->off + 1);
		t->kind = T_STRING;
		j++;
		break;
	case '.':
		t->kind = T_FIELD;
		if (j < n && is_seg(s[j])) {
			while (j < n && is_seg(s[j]))
				j++;
			if ((j = scan_chain(s, j, n)) == 0)
				return inn_error_set(INN_EINVAL, "bad field name at offset %zu",
				                     t->off + 1);
		}
		break;
	case '$':
		t->kind = T_VAR;
		while (j < n && (is_alpha(s[j]) || is_digit(s[j])))
			j++;
		if ((j = scan_chain(s, j, n)) == 0)
			return inn_error_set(INN_EINVAL, "bad field name at offset %zu",
			                     t->off + 1);
		break;
	default:
		if (is_digit(s[i]) || ((s[i] == '-' || s[i] == '+') && j < n &&
		                       is_digit(s[j]))) {
			t->kind = T_NUMBER;
			for (; j < n; j++) {
				if (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '.')
					continue;
				if ((s[j] == '-' || s[j] == '+') &&
				    (s[j - 1] == 'e' || s[j - 1] == 'E'))
					continue;
				break;
			}
		} else if (is_alpha(s[i])) {
			t->kind = T_IDENT;
			while (j < n && (is_alpha(s[j]) || is_digit(s[j])))
				j++;
		} else {
			goto bad;
		}
	}
	t->len = j - i;
	lx->pos = j;
	return 0;
bad:
	return inn_error_set(INN_EINVAL, "unexpected character '%c' at offset %zu",
	                     s[i], t->off + 1);
}

static int
lex_peek(struct alex *lx, struct token *t)
{
	size_t pos = lx->pos;
	int rc = lex_next(lx, t);

	lx->pos = pos;
	return rc;
}

static int
tok_is(const struct token *t, const char *word)
{
	return t->kind == T_IDENT && t->len == strlen(word) &&
	       memcmp(t->p, word, t->len) == 0;
}

static const struct fn_def *
find_fn(const struct token *t)
{
	size_t i;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (tok_is(t, fns[i].name))
			return &fns[i];
	return NULL;
}

static int
expect_end(struct alex *lx)
{
	struct token t;
	int rc;

	if ((rc = lex_next(lx, &t)) != 0)
		return rc;
	if (t.kind != T_EOF)
		return inn_error_set(INN_EINVAL, "unexpected \"%.*s\" at offset %zu",
		                     (int)t.len, t.p, t.off + 1);
	return 0;
}

/* ---- parsing expressions ------------------------------------------------ */

static struct expr *
new_expr(enum ekind kind, size_t off)
{
	struct expr *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		inn_error_set(INN_ENOMEM, "out of memory");
		return NULL;
	}
	e->kind = kind;
	e->off = off;
	return e;
}

/* Splits ".a.b" (or "a.b" for ${}) into e->segs. */
static int
split_segs(struct expr *e, const char *s, size_t n)
{
	size_t i = 0, cap = 0, j;
	int rc;

	if (n > 0 && s[0] == '.')
		i = 1;
	while (i < n) {
		char *seg;

		for (j = i; j < n && s[j] != '.'; j++)
			;
		if ((seg = strndup(s + i, j - i)) == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		if ((rc = ptr_push((void ***)&e->segs, &e->nsegs, &cap, seg)) != 0) {
			free(seg);
			return rc;
		}
		i = j + 1;
	}
	return 0;
}

/* Rooted chains name data paths: normalise the `.output.` alias and tell
 * the refs callback. */
static int
rooted_path(struct parser *p, struct expr *e)
{
	struct buf b = { NULL, 0, 0, INN_TMPL_MAX_LEN };
	size_t i;
	int rc = 0;

	if (e->nsegs >= 3 && strcmp(e->segs[0], "steps") == 0 &&
	    strcmp(e->segs[2], "output") == 0) {
		char *s = strdup("outputs");

		if (s == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		free(e->segs[2]);
		e->segs[2] = s;
	}
	if (p->ref_fn == NULL || e->nsegs == 0)
		return 0;
	if (e->bare)
		rc = buf_puts(&b, "variables.");
	for (i = 0; rc == 0 && i < e->nsegs; i++)
		if ((i > 0 && (rc = buf_put(&b, ".", 1)) != 0) ||
		    (rc = buf_puts(&b, e->segs[i])) != 0)
			break;
	if (rc == 0)
		rc = p->ref_fn(p->ref_ud, b.p);
	free(b.p);
	return rc;
}

/* Decodes a Go string literal ("..." with escapes, or `raw`). */
static int
parse_string(const struct token *t, json_object **out)
{
	struct buf b = { NULL, 0, 0, INN_TMPL_MAX_LEN };
	const char *s = t->p + 1;
	size_t n = t->len - 2, i;
	int rc = 0;

	if (t->p[0] == '`') {
		rc = buf_put(&b, s, n);
		goto out;
	}
	for (i = 0; rc == 0 && i < n; i++) {
		char c = s[i], u8[4];
		unsigned long cp;
		size_t k, digits;

		if (c != '\\') {
			rc = buf_put(&b, &c, 1);
			continue;
		}
		if (++i >= n)
			goto bad;
		switch (s[i]) {
		case 'n': c = '\n'; break;
		case 't': c = '\t'; break;
		case 'r': c = '\r'; break;
		case 'a': c = '\a'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'v': c = '\v'; break;
		case '\\': c = '\\'; break;
		case '"': c = '"'; break;
		case '\'': c = '\''; break;
		case 'x':
		case 'u':
		case 'U':
			digits = s[i] == 'x' ? 2 : s[i] == 'u' ? 4 : 8;
			for (cp = 0, k = 0; k < digits; k++) {
				char h = i + 1 + k < n ? s[i + 1 + k] : '\0';
				int d = is_digit(h) ? h - '0' : (h >= 'a' && h <= 'f') ?
				        h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;

				if (d < 0)
					goto bad;
				cp = cp * 16 + (unsigned long)d;
			}
			i += digits;
			if (digits == 2) {
				c = (char)cp;
				break;
			}
			if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
				goto bad;
			if (cp < 0x80) {
				u8[0] = (char)cp;
				k = 1;
			} else if (cp < 0x800) {
				u8[0] = (char)(0xc0 | (cp >> 6));
				u8[1] = (char)(0x80 | (cp & 0x3f));
				k = 2;
			} else if (cp < 0x10000) {
				u8[0] = (char)(0xe0 | (cp >> 12));
				u8[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
				u8[2] = (char)(0x80 | (cp & 0x3f));
				k = 3;
			} else {
				u8[0] = (char)(0xf0 | (cp >> 18));
				u8[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
				u8[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
				u8[3] = (char)(0x80 | (cp & 0x3f));
				k = 4;
			}
			rc = buf_put(&b, u8, k);
			continue;
		default:
			goto bad;
		}
		rc = buf_put(&b, &c, 1);
	}
out:
	if (rc == 0 && (*out = json_object_new_string_len(b.p ? b.p : "", (int)b.len)) == NULL)
		rc = inn_error_set(INN_ENOMEM, "out of memory");
	free(b.p);
	return rc;
bad:
	free(b.p);
	return inn_error_set(INN_EINVAL, "bad escape in string at offset %zu", t->off + 1);
}

static int
parse_number(const struct token *t, json_object **out)
{
	char tmp[128], *end;
	long long ll;
	double d;

	if (t->len >= sizeof(tmp))
		goto bad;
	memcpy(tmp, t->p, t->len);
	tmp[t->len] = '\0';
	errno = 0;
	ll = strtoll(tmp, &end, 0);
	if (*end == '\0' && errno == 0) {
		*out = json_object_new_int64(ll);
	} else {
		errno = 0;
		d = strtod(tmp, &end);
		if (*end != '\0' || errno != 0 || end == tmp || (tmp[0] == '0' &&
		    (tmp[1] == 'x' || tmp[1] == 'X')))
			goto bad;
		*out = json_object_new_double(d);
	}
	if (*out == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	return 0;
bad:
	return inn_error_set(INN_EINVAL, "bad number \"%.*s\" at offset %zu",
	                     (int)t->len, t->p, t->off + 1);
}

static int parse_pipeline(struct parser *p, struct alex *lx, struct expr **out);

static int
var_declared(struct parser *p, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < p->nvars; i++)
		if (strlen(p->vars[i]) == len && memcmp(p->vars[i], name, len) == 0)
			return 1;
	return 0;
}

static int
check_arity(const struct expr *e, size_t n)
{
	if (n < e->fn->min || n > e->fn->max) {
		if (e->fn->min == e->fn->max)
			return inn_error_set(INN_EINVAL,
			                     "%s takes %zu argument%s, got %zu at offset %zu",
			                     e->fn->name, e->fn->min, e->fn->min == 1 ? "" : "s",
			                     n, e->off + 1);
		return inn_error_set(INN_EINVAL,
		                     "%s takes at least %zu argument%s, got %zu at offset %zu",
		                     e->fn->name, e->fn->min, e->fn->min == 1 ? "" : "s", n,
		                     e->off + 1);
	}
	return 0;
}

static int
unknown_ident(const struct token *t)
{
	static const char *const keywords[] = {
		"if", "else", "end", "range", "with", "define", "template", "block",
		"break", "continue"
	};
	size_t i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (tok_is(t, keywords[i]))
			return inn_error_set(INN_EINVAL, "unexpected \"%s\" at offset %zu",
			                     keywords[i], t->off + 1);
	return inn_error_set(INN_EINVAL, "unknown function \"%.*s\" at offset %zu",
	                     (int)t->len, t->p, t->off + 1);
}

/* operand := field | $var | string | number | true | false | nil
 *          | niladic function | '(' pipeline ')' */
static int
parse_operand(struct parser *p, struct alex *lx, const struct token *t,
              struct expr **out)
{
	struct expr *e = NULL;
	struct token close;
	int rc = 0;

	*out = NULL;
	switch (t->kind) {
	case T_FIELD:
		if ((e = new_expr(E_FIELD, t->off)) == NULL)
			return INN_ENOMEM;
		e->rooted = !p->in_range;
		if ((rc = split_segs(e, t->p, t->len)) == 0 && e->rooted)
			rc = rooted_path(p, e);
		break;
	case T_VAR: {
		size_t nl = 1;

		while (nl < t->len && t->p[nl] != '.')
			nl++;
		if (nl > 1 && !var_declared(p, t->p + 1, nl - 1))
			return inn_error_set(INN_EINVAL, "undefined variable \"%.*s\" at offset %zu",
			                     (int)nl, t->p, t->off + 1);
		if ((e = new_expr(E_VAR, t->off)) == NULL)
			return INN_ENOMEM;
		e->rooted = nl == 1;
		if ((e->var = strndup(t->p + 1, nl - 1)) == NULL)
			rc = inn_error_set(INN_ENOMEM, "out of memory");
		else if ((rc = split_segs(e, t->p + nl, t->len - nl)) == 0 && e->rooted)
			rc = rooted_path(p, e);
		break;
	}
	case T_STRING:
	case T_NUMBER:
		if ((e = new_expr(E_LIT, t->off)) == NULL)
			return INN_ENOMEM;
		rc = t->kind == T_STRING ? parse_string(t, &e->lit) : parse_number(t, &e->lit);
		break;
	case T_IDENT:
		if (tok_is(t, "true") || tok_is(t, "false") || tok_is(t, "nil")) {
			if ((e = new_expr(E_LIT, t->off)) == NULL)
				return INN_ENOMEM;
			if (!tok_is(t, "nil") &&
			    (e->lit = json_object_new_boolean(tok_is(t, "true"))) == NULL)
				rc = inn_error_set(INN_ENOMEM, "out of memory");
			break;
		}
		if (find_fn(t) == NULL)
			return unknown_ident(t);
		if ((e = new_expr(E_CALL, t->off)) == NULL)
			return INN_ENOMEM;
		e->fn = find_fn(t);
		rc = check_arity(e, 0);
		break;
	case T_LPAREN:
		if (++p->depth > INN_TMPL_MAX_DEPTH)
			return inn_error_set(INN_ETOOBIG, "nesting deeper than %d at offset %zu",
			                     INN_TMPL_MAX_DEPTH, t->off + 1);
		if ((rc = parse_pipeline(p, lx, &e)) != 0)
			break;
		p->depth--;
		if ((rc = lex_next(lx, &close)) != 0)
			break;
		if (close.kind != T_RPAREN)
			rc = inn_error_set(INN_EINVAL, "unclosed \"(\" at offset %zu", t->off + 1);
		break;
	case T_EOF:
		return inn_error_set(INN_EINVAL, "missing value at offset %zu", t->off + 1);
	default:
		return inn_error_set(INN_EINVAL, "unexpected \"%.*s\" at offset %zu",
		                     (int)t->len, t->p, t->off + 1);
	}
	if (rc != 0) {
		free_expr(e);
		return rc;
	}
	*out = e;
	return 0;
}

static int
command_ends(const struct token *t)
{
	return t->kind == T_EOF || t->kind == T_PIPE || t->kind == T_RPAREN;
}

/* command := function operand* | operand.  piped: a value will be
 * appended as the last argument. */
static int
parse_command(struct parser *p, struct alex *lx, int piped, struct expr **out)
{
	struct expr *e = NULL, *arg;
	struct token t;
	size_t cap = 0;
	int rc;

	*out = NULL;
	if ((rc = lex_next(lx, &t)) != 0)
		return rc;
	if (t.kind == T_IDENT && find_fn(&t) != NULL) {
		if ((e = new_expr(E_CALL, t.off)) == NULL)
			return INN_ENOMEM;
		e->fn = find_fn(&t);
		for (;;) {
			if ((rc = lex_next(lx, &t)) != 0)
				goto fail;
			if (command_ends(&t)) {
				lx->pos = t.off - lx->base;
				break;
			}
			if ((rc = parse_operand(p, lx, &t, &arg)) != 0)
				goto fail;
			if ((rc = ptr_push((void ***)&e->args, &e->nargs, &cap, arg)) != 0) {
				free_expr(arg);
				goto fail;
			}
		}
		if ((rc = check_arity(e, e->nargs + (piped ? 1 : 0))) != 0)
			goto fail;
		*out = e;
		return 0;
	}
	if (command_ends(&t))
		return inn_error_set(INN_EINVAL, "missing value at offset %zu", t.off + 1);
	if (piped)
		return inn_error_set(INN_EINVAL,
		                     "cannot pipe into \"%.*s\": not a function at offset %zu",
		                     (int)t.len, t.p, t.off + 1);
	if ((rc = parse_operand(p, lx, &t, &e)) != 0)
		return rc;
	if ((rc = lex_peek(lx, &t)) != 0)
		goto fail;
	if (!command_ends(&t)) {
		rc = inn_error_set(INN_EINVAL,
		                   "unexpected \"%.*s\" at offset %zu (only functions take arguments)",
		                   (int)t.len, t.p, t.off + 1);
		goto fail;
	}
	*out = e;
	return 0;
fail:
	free_expr(e);
	return rc;
}

/* pipeline := command ('|' command)*; stops before ')' or the end. */
static int
parse_pipeline(struct parser *p, struct alex *lx, struct expr **out)
{
	struct expr *pipe = NULL, *cmd = NULL;
	struct token t;
	size_t cap = 0;
	int rc;

	*out = NULL;
	if ((rc = parse_command(p, lx, 0, &cmd)) != 0)
		return rc;
	for (;;) {
		if ((rc = lex_peek(lx, &t)) != 0)
			goto fail;
		if (t.kind != T_PIPE)
			break;
		lex_next(lx, &t);
		if (pipe == NULL) {
			if ((pipe = new_expr(E_PIPE, cmd->off)) == NULL) {
				rc = INN_ENOMEM;
				goto fail;
			}
			if ((rc = ptr_push((void ***)&pipe->args, &pipe->nargs, &cap, cmd)) != 0)
				goto fail;
			cmd = NULL;
		}
		if ((rc = parse_command(p, lx, 1, &cmd)) != 0)
			goto fail;
		if ((rc = ptr_push((void ***)&pipe->args, &pipe->nargs, &cap, cmd)) != 0)
			goto fail;
		cmd = NULL;
	}
	*out = pipe ? pipe : cmd;
	return 0;
fail:
	free_expr(cmd);
	free_expr(pipe);
	return rc;
}

/* ---- parsing control structure ------------------------------------------ */

enum term { TERM_EOF, TERM_END, TERM_ELSE };

static int parse_list(struct parser *p, struct list *l, enum term *term,
                      struct alex *after);

static const struct item *
cur_item(struct parser *p)
{
	return &p->items[p->pos - 1];
}

static int
unclosed(const struct item *it, const char *what)
{
	return inn_error_set(INN_EINVAL, "unclosed {{ %s }} at offset %zu (missing {{ end }})",
	                     what, it->srcoff + 1);
}

static struct node *
new_node(enum nkind kind, const struct item *it, const char *t)
{
	struct node *nd = calloc(1, sizeof(*nd));

	if (nd == NULL) {
		inn_error_set(INN_ENOMEM, "out of memory");
		return NULL;
	}
	nd->kind = kind;
	nd->src = t + it->srcoff;
	nd->srclen = it->srclen;
	return nd;
}

/* {{ if C }} B {{ else if C2 }} B2 {{ else }} E {{ end }}; lx is after "if". */
static int
parse_if(struct parser *p, struct alex *lx, struct node *nd)
{
	const struct item *start = cur_item(p);
	struct expr *cond = NULL;
	struct alex after;
	enum term term;
	struct token t;
	size_t ccap = 0;
	int rc;

	if ((rc = parse_pipeline(p, lx, &cond)) != 0 || (rc = expect_end(lx)) != 0)
		goto out;
	for (;;) {
		struct list *nb;

		if (nd->nbranch == ccap) {
			size_t ncap = ccap ? ccap * 2 : 2;
			struct expr **nc = realloc(nd->conds, ncap * sizeof(*nc));

			if (nc == NULL) {
				rc = inn_error_set(INN_ENOMEM, "out of memory");
				goto out;
			}
			nd->conds = nc;
			if ((nb = realloc(nd->bodies, ncap * sizeof(*nb))) == NULL) {
				rc = inn_error_set(INN_ENOMEM, "out of memory");
				goto out;
			}
			nd->bodies = nb;
			ccap = ncap;
		}
		nd->conds[nd->nbranch] = cond;
		memset(&nd->bodies[nd->nbranch], 0, sizeof(nd->bodies[0]));
		nd->nbranch++;
		cond = NULL;
		if ((rc = parse_list(p, &nd->bodies[nd->nbranch - 1], &term, &after)) != 0)
			goto out;
		if (term == TERM_EOF) {
			rc = unclosed(start, "if");
			goto out;
		}
		if (term == TERM_END)
			break;
		if ((rc = lex_next(&after, &t)) != 0)
			goto out;
		if (tok_is(&t, "if")) {
			if ((rc = parse_pipeline(p, &after, &cond)) != 0 ||
			    (rc = expect_end(&after)) != 0)
				goto out;
			continue;
		}
		if (t.kind != T_EOF) {
			rc = inn_error_set(INN_EINVAL, "unexpected \"%.*s\" after else at offset %zu",
			                   (int)t.len, t.p, t.off + 1);
			goto out;
		}
		if ((rc = parse_list(p, &nd->alt, &term, &after)) != 0)
			goto out;
		if (term == TERM_ELSE)
			rc = inn_error_set(INN_EINVAL, "{{ else }} after {{ else }} at offset %zu",
			                   cur_item(p)->srcoff + 1);
		else if (term == TERM_EOF)
			rc = unclosed(start, "if");
		break;
	}
out:
	free_expr(cond);
	return rc;
}

/* Reads "$v :=" or "$k, $v :=" if present; lx is after "range". */
static int
parse_range_vars(struct alex *lx, struct node *nd)
{
	struct alex probe = *lx;
	struct token a, b, c, d;
	int rc;

	if ((rc = lex_next(&probe, &a)) != 0 || a.kind != T_VAR ||
	    (rc = lex_next(&probe, &b)) != 0)
		return rc;
	if (b.kind == T_DECLARE) {
		c = a;
		a.kind = T_EOF;
	} else if (b.kind == T_COMMA) {
		if ((rc = lex_next(&probe, &c)) != 0 || (rc = lex_next(&probe, &d)) != 0)
			return rc;
		if (c.kind != T_VAR || d.kind != T_DECLARE)
			return inn_error_set(INN_EINVAL,
			                     "range expects \"$key, $value :=\" at offset %zu",
			                     a.off + 1);
	} else {
		return 0;               /* range $x: ranges over a variable */
	}
	if ((a.kind == T_VAR && (a.len < 2 || memchr(a.p, '.', a.len))) ||
	    c.len < 2 || memchr(c.p, '.', c.len))
		return inn_error_set(INN_EINVAL, "bad range variable at offset %zu",
		                     a.kind == T_VAR ? a.off + 1 : c.off + 1);
	if ((a.kind == T_VAR && (nd->kvar = strndup(a.p + 1, a.len - 1)) == NULL) ||
	    (nd->vvar = strndup(c.p + 1, c.len - 1)) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	*lx = probe;
	return 0;
}

/* {{ range [$k, $v :=] X }} B {{ else }} E {{ end }}; lx is after "range". */
static int
parse_range(struct parser *p, struct alex *lx, struct node *nd)
{
	const struct item *start = cur_item(p);
	size_t nvars = p->nvars;
	int in_range = p->in_range, rc;
	struct alex after;
	enum term term;

	if ((rc = parse_range_vars(lx, nd)) != 0 ||
	    (rc = parse_pipeline(p, lx, &nd->e)) != 0 || (rc = expect_end(lx)) != 0)
		return rc;
	if (nd->kvar)
		p->vars[p->nvars++] = nd->kvar;
	if (nd->vvar)
		p->vars[p->nvars++] = nd->vvar;
	p->in_range = 1;
	rc = parse_list(p, &nd->body, &term, &after);
	p->in_range = in_range;
	p->nvars = nvars;
	if (rc != 0)
		return rc;
	if (term == TERM_ELSE) {
		if ((rc = expect_end(&after)) != 0)
			return rc;
		if ((rc = parse_list(p, &nd->alt, &term, &after)) != 0)
			return rc;
		if (term == TERM_ELSE)
			return inn_error_set(INN_EINVAL, "{{ else }} after {{ else }} at offset %zu",
			                     cur_item(p)->srcoff + 1);
	}
	return term == TERM_EOF ? unclosed(start, "range") : 0;
}

/* Parses one action item into *out (NULL for end/else, reported in term). */
static int
parse_action(struct parser *p, const struct item *it, struct node **out,
             enum term *term, struct alex *after)
{
	struct alex lx = { it->p, 0, it->len, it->off };
	struct node *nd = NULL;
	struct token t;
	int rc;

	*out = NULL;
	if ((rc = lex_peek(&lx, &t)) != 0)
		return rc;
	if (t.kind == T_EOF)
		return inn_error_set(INN_EINVAL, "empty action at offset %zu", it->srcoff + 1);
	if (tok_is(&t, "end") || tok_is(&t, "else")) {
		lex_next(&lx, &t);
		if (tok_is(&t, "end") && (rc = expect_end(&lx)) != 0)
			return rc;
		*term = tok_is(&t, "end") ? TERM_END : TERM_ELSE;
		*after = lx;
		return 0;
	}
	if (tok_is(&t, "if") || tok_is(&t, "range")) {
		lex_next(&lx, &t);
		if (++p->depth > INN_TMPL_MAX_DEPTH)
			return inn_error_set(INN_ETOOBIG, "nesting deeper than %d at offset %zu",
			                     INN_TMPL_MAX_DEPTH, it->srcoff + 1);
		if ((nd = new_node(tok_is(&t, "if") ? N_IF : N_RANGE, it, p->t)) == NULL)
			return INN_ENOMEM;
		rc = nd->kind == N_IF ? parse_if(p, &lx, nd) : parse_range(p, &lx, nd);
		p->depth--;
	} else {
		struct alex probe = lx;
		struct token d;

		if (t.kind == T_VAR && lex_next(&probe, &t) == 0 &&
		    lex_next(&probe, &d) == 0 && d.kind == T_DECLARE)
			return inn_error_set(INN_EINVAL,
			                     "variables can only be declared in range at offset %zu",
			                     t.off + 1);
		if ((nd = new_node(N_OUT, it, p->t)) == NULL)
			return INN_ENOMEM;
		if ((rc = parse_pipeline(p, &lx, &nd->e)) == 0)
			rc = expect_end(&lx);
	}
	if (rc != 0) {
		free_node(nd);
		return rc;
	}
	*out = nd;
	return 0;
}

/* Parses items into l until {{ end }}, {{ else ... }} or the end of the
 * template (told in term; after is the lexer past "else"). */
static int
parse_list(struct parser *p, struct list *l, enum term *term, struct alex *after)
{
	int rc;

	*term = TERM_EOF;
	while (p->pos < p->nitems) {
		const struct item *it = &p->items[p->pos++];
		struct node *nd = NULL;

		if (it->kind == I_TEXT) {
			if ((nd = new_node(N_TEXT, it, p->t)) == NULL)
				return INN_ENOMEM;
			nd->text = it->p;
			nd->len = it->len;
		} else if (it->kind == I_REF) {
			if ((nd = new_node(N_OUT, it, p->t)) == NULL ||
			    (nd->e = new_expr(E_FIELD, it->srcoff)) == NULL) {
				free(nd);
				return INN_ENOMEM;
			}
			nd->e->rooted = 1;
			nd->e->bare = memchr(it->p, '.', it->len) == NULL;
			if ((rc = split_segs(nd->e, it->p, it->len)) != 0 ||
			    (rc = rooted_path(p, nd->e)) != 0) {
				free_node(nd);
				return rc;
			}
		} else {
			if ((rc = parse_action(p, it, &nd, term, after)) != 0)
				return rc;
			if (nd == NULL)
				return 0;
		}
		if ((rc = list_push(l, nd)) != 0) {
			free_node(nd);
			return rc;
		}
	}
	return 0;
}

/* Parses a whole template into root; refs (if fn) are reported on the way. */
static int
parse_template(const char *t, inn_tmpl_ref_fn fn, void *ud, struct list *root)
{
	struct parser p;
	struct alex after;
	enum term term;
	size_t len = strnlen(t, INN_TMPL_MAX_LEN + 1);
	int rc;

	memset(root, 0, sizeof(*root));
	if (len > INN_TMPL_MAX_LEN)
		return inn_error_set(INN_ETOOBIG, "template longer than %d bytes",
		                     INN_TMPL_MAX_LEN);
	memset(&p, 0, sizeof(p));
	p.t = t;
	p.tlen = len;
	p.ref_fn = fn;
	p.ref_ud = ud;
	if ((rc = lex_items(&p)) != 0 || (rc = parse_list(&p, root, &term, &after)) != 0)
		goto out;
	if (term != TERM_EOF)
		rc = inn_error_set(INN_EINVAL, "{{ %s }} without if/range at offset %zu",
		                   term == TERM_END ? "end" : "else", cur_item(&p)->srcoff + 1);
out:
	if (rc != 0)
		free_list(root);
	free(p.items);
	return rc;
}

/* ---- evaluation --------------------------------------------------------- */

struct var {
	const char *name;
	json_object *val;           /* borrowed */
};

struct ctx {
	const inn_tmpl_env *env;
	json_object *root;
	json_object *dot;
	struct var vars[MAX_VARS];
	size_t nvars;
	unsigned long steps;
	const struct node *cur;     /* the action being evaluated */
	inn_sh_scan sh;             /* shell mode: quoting where the output ends */
	const struct buf *sh_out;   /* the output sh follows */
	json_object *bound;         /* shell mode: value text -> the name bind()
	                             * gave it, so a value written many times is
	                             * one environment variable (A52) */
};

/* An evaluated value: o (NULL is JSON null) is borrowed from the data or
 * the parsed template (own == 0), or a reference we hold (own == 1).  The
 * data's reference counts are never touched, so threads may render against
 * one shared data object. */
struct val {
	json_object *o;
	int own;
};

static void
val_drop(struct val *v)
{
	if (v->own)
		json_object_put(v->o);
	v->o = NULL;
	v->own = 0;
}

/* Sets an error naming the action being evaluated:
 * `{{ .parameters.nme }}: parameters.nme is not defined`. */
static int INN_PRINTF_LIKE(3, 4)
rt_error(struct ctx *c, int code, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->cur == NULL || c->cur->kind == N_TEXT)
		return inn_error_set(code, "%s", msg);
	if (c->cur->srclen > SRC_SHOWN)
		return inn_error_set(code, "%.*s...: %s", SRC_SHOWN, c->cur->src, msg);
	return inn_error_set(code, "%.*s: %s", (int)c->cur->srclen, c->cur->src, msg);
}

static int
step(struct ctx *c)
{
	if (++c->steps > MAX_STEPS)
		return rt_error(c, INN_ETOOBIG, "template evaluation exceeds %lu steps",
		                MAX_STEPS);
	return 0;
}

/* Registers every string and number inside v as a secret. */
static int
mask_tree(inn_masker *m, json_object *v, int depth)
{
	char tmp[64];
	int rc = 0;

	if (depth > MAX_TREE_DEPTH)
		return inn_error_set(INN_ETOOBIG, "secret nested deeper than %d levels",
		                     MAX_TREE_DEPTH);
	switch (json_object_get_type(v)) {
	case json_type_string:
		return inn_masker_add(m, json_object_get_string(v));
	case json_type_int:
		fmt_int(tmp, sizeof(tmp), v);
		return inn_masker_add(m, tmp);
	case json_type_double:
		fmt_double(tmp, sizeof(tmp), json_object_get_double(v));
		return inn_masker_add(m, tmp);
	case json_type_array: {
		size_t i, n = json_object_array_length(v);

		for (i = 0; rc == 0 && i < n; i++)
			rc = mask_tree(m, json_object_array_get_idx(v, i), depth + 1);
		return rc;
	}
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			(void)key;
			if ((rc = mask_tree(m, val, depth + 1)) != 0)
				return rc;
		}
		return 0;
	}
	default:
		return 0;
	}
}

/* Writes the display name of a chain cut after segment upto (exclusive):
 * "parameters.x", "$v.name", ".name". */
static void
chain_name(char *out, size_t n, const struct expr *e, size_t upto)
{
	size_t i, len = 0;

	out[0] = '\0';
	if (e->kind == E_VAR && !e->rooted)
		len = (size_t)snprintf(out, n, "$%s", e->var);
	for (i = 0; i < upto && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s",
		                        (i > 0 || !e->rooted) ? "." : "", e->segs[i]);
	if (upto == 0 && e->kind == E_FIELD && !e->rooted)
		snprintf(out, n, ".");
}

/* Follows e's field chain from v.  A missing key is an error naming the
 * path, or null when lenient (conditions, range sources, default). */
static int
walk(struct ctx *c, const struct expr *e, json_object *v, int lenient,
     struct val *out)
{
	char name[512];
	size_t i;

	for (i = 0; i < e->nsegs; i++) {
		const char *seg = e->segs[i];
		json_object *next = NULL;
		int found = 0;

		if (json_object_is_type(v, json_type_object)) {
			found = json_object_object_get_ex(v, seg, &next);
		} else if (json_object_is_type(v, json_type_array)) {
			char *end;
			unsigned long idx;

			errno = 0;
			idx = is_digit(seg[0]) ? strtoul(seg, &end, 10) : 0;
			if (!is_digit(seg[0]) || *end != '\0' || errno != 0) {
				chain_name(name, sizeof(name), e, i);
				return rt_error(c, INN_ETYPE, "%s is a list, cannot read \"%s\"",
				                name, seg);
			}
			if (idx < json_object_array_length(v)) {
				next = json_object_array_get_idx(v, idx);
				found = 1;
			}
		} else if (v == NULL && lenient) {
			break;
		} else {
			chain_name(name, sizeof(name), e, i);
			return rt_error(c, INN_ETYPE, "%s is %s, cannot read \"%s\"", name,
			                type_name(v), seg);
		}
		if (!found) {
			if (lenient) {
				v = NULL;
				break;
			}
			chain_name(name, sizeof(name), e, i + 1);
			return rt_error(c, INN_ENOTFOUND, "%s is not defined", name);
		}
		v = next;
	}
	out->o = v;
	out->own = 0;
	return 0;
}

/* The data root of the calling thread's last missing-key error (tmpl.h:
 * inn_tmpl_missing_root); cleared by every render. */
static _Thread_local char missing_root[64];

const char *
inn_tmpl_missing_root(void)
{
	return missing_root;
}

/* Resolves a rooted chain (.a.b, $.a.b, ${a.b}, ${NAME}); registers what
 * it finds under secrets. */
static int
lookup_rooted(struct ctx *c, const struct expr *e, int lenient, struct val *out)
{
	inn_masker *m = c->env->masker;
	json_object *vars, *v = NULL;
	int rc;

	out->o = NULL;
	out->own = 0;
	if (e->bare) {
		if (json_object_object_get_ex(c->root, "variables", &vars) &&
		    json_object_object_get_ex(vars, e->segs[0], &v)) {
			out->o = v;
			return 0;
		}
		if (!json_object_object_get_ex(c->root, e->segs[0], &v)) {
			if (lenient)
				return 0;
			snprintf(missing_root, sizeof(missing_root), "variables");
			return rt_error(c, INN_ENOTFOUND, "variables.%s is not defined",
			                e->segs[0]);
		}
	}
	if ((rc = walk(c, e, c->root, lenient, out)) != 0) {
		if (rc == INN_ENOTFOUND && e->nsegs > 0)
			snprintf(missing_root, sizeof(missing_root), "%s", e->segs[0]);
		return rc;
	}
	if (m == NULL)
		return 0;
	if (e->nsegs == 0) {
		if (json_object_object_get_ex(c->root, "secrets", &v))
			rc = mask_tree(m, v, 0);
	} else if (strcmp(e->segs[0], "secrets") == 0) {
		rc = mask_tree(m, out->o, 0);
	}
	if (rc != 0)
		val_drop(out);
	return rc;
}

static int eval_expr(struct ctx *c, const struct expr *e, int lenient,
                     struct val *out);

static int
is_number(json_object *v)
{
	return json_object_is_type(v, json_type_int) ||
	       json_object_is_type(v, json_type_double);
}

/* Equality for eq/ne: numbers by value (3 == 3.0), same types by value,
 * other scalars by their text (3 == "3", null == ""); lists and objects
 * only equal lists and objects. */
static int
values_equal(json_object *a, json_object *b, int *eq)
{
	enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);
	struct buf x = { NULL, 0, 0, INN_TMPL_MAX_OUTPUT };
	struct buf y = { NULL, 0, 0, INN_TMPL_MAX_OUTPUT };
	int rc;

	if (ta == json_type_int && tb == json_type_int) {
		*eq = json_object_get_int64(a) == json_object_get_int64(b);
		return 0;
	}
	if (is_number(a) && is_number(b)) {
		*eq = json_object_get_double(a) == json_object_get_double(b);
		return 0;
	}
	if (ta == tb && ta != json_type_string) {
		*eq = json_object_equal(a, b);
		return 0;
	}
	if (ta == json_type_array || ta == json_type_object ||
	    tb == json_type_array || tb == json_type_object) {
		*eq = 0;
		return 0;
	}
	if ((rc = put_value(&x, a, 0, 0)) == 0 && (rc = put_value(&y, b, 0, 0)) == 0)
		*eq = x.len == y.len && (x.len == 0 || memcmp(x.p, y.p, x.len) == 0);
	free(x.p);
	free(y.p);
	return rc;
}

/* Evaluates argument i of a call; i == nargs is the piped value (which
 * the caller keeps alive; one we own gets its own reference). */
static int
call_arg(struct ctx *c, const struct expr *e, size_t i, const struct val *piped,
         int lenient, struct val *out)
{
	if (i == e->nargs) {
		out->o = piped->own ? json_object_get(piped->o) : piped->o;
		out->own = piped->own;
		return 0;
	}
	return eval_expr(c, e->args[i], lenient, out);
}

static int
eval_call(struct ctx *c, const struct expr *e, int lenient, const struct val *piped,
          struct val *out)
{
	size_t i, n = e->nargs + (piped ? 1 : 0);
	struct val a = { NULL, 0 }, b = { NULL, 0 };
	struct buf tb = { NULL, 0, 0, INN_TMPL_MAX_OUTPUT };
	json_object *made = NULL;
	int rc = 0, eq = 0;

	out->o = NULL;
	out->own = 0;
	switch (e->fn->id) {
	case F_EQ:
	case F_NE:
		if ((rc = call_arg(c, e, 0, piped, lenient, &a)) != 0)
			break;
		for (i = 1; i < n && !eq; i++) {
			if ((rc = call_arg(c, e, i, piped, lenient, &b)) != 0 ||
			    (rc = values_equal(a.o, b.o, &eq)) != 0)
				break;
			val_drop(&b);
		}
		if (rc == 0 && (made = json_object_new_boolean(e->fn->id == F_EQ ? eq : !eq)) == NULL)
			rc = inn_error_set(INN_ENOMEM, "out of memory");
		break;
	case F_NOT:
		if ((rc = call_arg(c, e, 0, piped, lenient, &a)) == 0 &&
		    (made = json_object_new_boolean(!inn_tmpl_truthy(a.o))) == NULL)
			rc = inn_error_set(INN_ENOMEM, "out of memory");
		break;
	case F_AND:
	case F_OR:
		/* Go: the first deciding argument, or the last one */
		for (i = 0; i < n; i++) {
			val_drop(&a);
			if ((rc = call_arg(c, e, i, piped, lenient, &a)) != 0)
				break;
			if (inn_tmpl_truthy(a.o) == (e->fn->id == F_OR))
				break;
		}
		if (rc == 0) {
			*out = a;
			return 0;
		}
		break;
	case F_LEN:
		if ((rc = call_arg(c, e, 0, piped, lenient, &a)) != 0)
			break;
		if (json_object_is_type(a.o, json_type_string))
			made = json_object_new_int64(json_object_get_string_len(a.o));
		else if (json_object_is_type(a.o, json_type_array))
			made = json_object_new_int64((int64_t)json_object_array_length(a.o));
		else if (json_object_is_type(a.o, json_type_object))
			made = json_object_new_int64(json_object_object_length(a.o));
		else if (a.o == NULL)
			made = json_object_new_int64(0);
		else {
			rc = rt_error(c, INN_ETYPE, "len of %s", type_name(a.o));
			break;
		}
		if (made == NULL)
			rc = inn_error_set(INN_ENOMEM, "out of memory");
		break;
	case F_DEFAULT:
		/* default DEF VAL: a missing VAL is fine here */
		if ((rc = call_arg(c, e, 1, piped, 1, &b)) != 0)
			break;
		if (inn_tmpl_truthy(b.o)) {
			*out = b;
			return 0;
		}
		rc = call_arg(c, e, 0, piped, lenient, out);
		break;
	case F_QUOTE:
		for (i = 0; i < n; i++) {
			struct buf vb = { NULL, 0, 0, INN_TMPL_MAX_OUTPUT };

			val_drop(&a);
			if ((rc = call_arg(c, e, i, piped, lenient, &a)) != 0 ||
			    (i > 0 && (rc = buf_put(&tb, " ", 1)) != 0) ||
			    (rc = put_value(&vb, a.o, 0, 0)) != 0 ||
			    (rc = put_quoted(&tb, vb.p ? vb.p : "", vb.len)) != 0) {
				free(vb.p);
				break;
			}
			free(vb.p);
		}
		if (rc == 0 && (made = json_object_new_string_len(tb.p, (int)tb.len)) == NULL)
			rc = inn_error_set(INN_ENOMEM, "out of memory");
		break;
	case F_NOW: {
		char ts[32];
		struct tm tm;
		time_t now = time(NULL);

		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if ((made = json_object_new_string(ts)) == NULL)
			rc = inn_error_set(INN_ENOMEM, "out of memory");
		break;
	}
	}
	if (made != NULL) {
		out->o = made;
		out->own = 1;
	}
	val_drop(&a);
	val_drop(&b);
	free(tb.p);
	return rc;
}

/* Evaluates e into *out (see struct val). */
static int
eval_expr(struct ctx *c, const struct expr *e, int lenient, struct val *out)
{
	struct val v = { NULL, 0 }, nv;
	size_t i;
	int rc;

	out->o = NULL;
	out->own = 0;
	if ((rc = step(c)) != 0)
		return rc;
	switch (e->kind) {
	case E_LIT:
		out->o = e->lit;
		return 0;
	case E_FIELD:
		if (e->rooted)
			return lookup_rooted(c, e, lenient, out);
		return walk(c, e, c->dot, lenient, out);
	case E_VAR:
		if (e->rooted)
			return lookup_rooted(c, e, lenient, out);
		for (i = c->nvars; i > 0; i--)
			if (strcmp(c->vars[i - 1].name, e->var) == 0)
				return walk(c, e, c->vars[i - 1].val, lenient, out);
		return rt_error(c, INN_EINVAL, "undefined variable \"$%s\"", e->var);
	case E_CALL:
		return eval_call(c, e, lenient, NULL, out);
	case E_PIPE:
		for (i = 0; i < e->nargs; i++) {
			/* x | default "y": a missing x is fine */
			int len = lenient || (i + 1 < e->nargs &&
			                      e->args[i + 1]->fn->id == F_DEFAULT);

			if (i == 0)
				rc = eval_expr(c, e->args[0], len, &v);
			else if ((rc = eval_call(c, e->args[i], len, &v, &nv)) == 0) {
				val_drop(&v);
				v = nv;
			}
			if (rc != 0) {
				val_drop(&v);
				return rc;
			}
		}
		*out = v;
		return 0;
	}
	return 0;
}

static int eval_list(struct ctx *c, const struct list *l, struct buf *out);

static int
cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Runs one range iteration: binds the variables and dot, then the body. */
static int
range_iter(struct ctx *c, const struct node *nd, json_object *key,
           json_object *elem, struct buf *out)
{
	json_object *dot = c->dot;
	size_t nvars = c->nvars;
	int rc;

	if ((rc = step(c)) != 0)
		return rc;
	if (nd->kvar) {
		c->vars[c->nvars].name = nd->kvar;
		c->vars[c->nvars++].val = key;
	}
	if (nd->vvar) {
		c->vars[c->nvars].name = nd->vvar;
		c->vars[c->nvars++].val = elem;
	}
	c->dot = elem;
	rc = eval_list(c, &nd->body, out);
	c->dot = dot;
	c->nvars = nvars;
	return rc;
}

static int
eval_range(struct ctx *c, const struct node *nd, struct buf *out)
{
	struct val sv = { NULL, 0 };
	json_object *src, *key = NULL;
	const char **keys = NULL;
	size_t i, n = 0;
	int rc;

	if ((rc = eval_expr(c, nd->e, 1, &sv)) != 0)
		return rc;
	src = sv.o;
	if (json_object_is_type(src, json_type_array)) {
		n = json_object_array_length(src);
		for (i = 0; rc == 0 && i < n; i++) {
			if ((key = json_object_new_int64((int64_t)i)) == NULL) {
				rc = inn_error_set(INN_ENOMEM, "out of memory");
				break;
			}
			rc = range_iter(c, nd, key, json_object_array_get_idx(src, i), out);
			json_object_put(key);
		}
	} else if (json_object_is_type(src, json_type_object)) {
		n = (size_t)json_object_object_length(src);
		if (n > 0 && (keys = malloc(n * sizeof(*keys))) == NULL) {
			rc = inn_error_set(INN_ENOMEM, "out of memory");
			goto out;
		}
		i = 0;
		json_object_object_foreach(src, k, val) {
			(void)val;
			keys[i++] = k;
		}
		qsort(keys, n, sizeof(*keys), cmp_keys);
		for (i = 0; rc == 0 && i < n; i++) {
			if ((key = json_object_new_string(keys[i])) == NULL) {
				rc = inn_error_set(INN_ENOMEM, "out of memory");
				break;
			}
			rc = range_iter(c, nd, key, json_object_object_get(src, keys[i]), out);
			json_object_put(key);
		}
	} else if (src != NULL) {
		c->cur = nd;
		rc = rt_error(c, INN_ETYPE, "cannot range over %s", type_name(src));
	}
	if (rc == 0 && n == 0)
		rc = eval_list(c, &nd->alt, out);
out:
	free(keys);
	val_drop(&sv);
	return rc;
}

/* Writes one output value: as text, or in shell mode as "${NAME}" of an
 * environment variable that bind() will set to the text. */
static int
emit_value(struct ctx *c, json_object *v, struct buf *out)
{
	struct buf tb = { NULL, 0, 0, INN_TMPL_MAX_OUTPUT };
	json_object *bv = NULL;
	char name[128];
	inn_sh_ctx sc;
	size_t i;
	int rc;

	if (c->env->bind == NULL)
		return put_value(out, v, 0, 0);
	if ((rc = put_value(&tb, v, 0, 0)) != 0)
		goto out;
	memset(name, 0, sizeof(name));
	if (c->bound == NULL && (c->bound = json_object_new_object()) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	/* the same text again: the same variable (a text with a NUL byte is
	 * never shared: json-c keys end at the first NUL) */
	if (json_object_object_get_ex(c->bound, tb.p ? tb.p : "", &bv) &&
	    strlen(tb.p ? tb.p : "") == tb.len) {
		snprintf(name, sizeof(name), "%s", json_object_get_string(bv));
	} else if ((rc = c->env->bind(c->env->bind_ud, tb.p ? tb.p : "", name,
	                              sizeof(name) - 1)) != 0) {
		rc = rt_error(c, rc < 0 ? rc : INN_ERROR, "cannot bind a shell variable");
		goto out;
	} else if (strlen(tb.p ? tb.p : "") == tb.len &&
	           json_object_object_add(c->bound, tb.p ? tb.p : "",
	                                  json_object_new_string(name)) != 0) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; name[i] != '\0'; i++)
		if (!is_alpha(name[i]) && !(i > 0 && is_digit(name[i])))
			break;
	if (i == 0 || name[i] != '\0') {
		rc = rt_error(c, INN_ERROR, "shell binding returned a bad name \"%s\"", name);
		goto out;
	}
	/* The reference must be one the shell expands where it lands: inside
	 * '...' (or $'...') close the quote, write "${NAME}" and reopen it.
	 * Elsewhere ${NAME} is expanded as it is; in a here-document with a
	 * quoted delimiter nothing is (the loaders warn about that). */
	sc = c->sh_out == out ? inn_sh_scan_feed(&c->sh, out->p ? out->p : "", out->len)
	                      : INN_SH_PLAIN;
	if (sc == INN_SH_SQUOTE || sc == INN_SH_ANSIC)
		rc = buf_puts(out, "'\"${");
	else
		rc = buf_put(out, "${", 2);
	if (rc == 0 && (rc = buf_puts(out, name)) == 0)
		rc = buf_puts(out, sc == INN_SH_SQUOTE ? "}\"'" : sc == INN_SH_ANSIC ? "}\"$'" : "}");
out:
	free(tb.p);
	return rc;
}

static int
eval_if(struct ctx *c, const struct node *nd, struct buf *out)
{
	struct val v;
	size_t i;
	int rc, t;

	for (i = 0; i < nd->nbranch; i++) {
		c->cur = nd;
		if ((rc = eval_expr(c, nd->conds[i], 1, &v)) != 0)
			return rc;
		t = inn_tmpl_truthy(v.o);
		val_drop(&v);
		if (t)
			return eval_list(c, &nd->bodies[i], out);
	}
	return eval_list(c, &nd->alt, out);
}

static int
eval_list(struct ctx *c, const struct list *l, struct buf *out)
{
	struct val v;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < l->n; i++) {
		const struct node *nd = l->v[i];

		if ((rc = step(c)) != 0)
			break;
		c->cur = nd;
		switch (nd->kind) {
		case N_TEXT:
			rc = buf_put(out, nd->text, nd->len);
			break;
		case N_OUT:
			if ((rc = eval_expr(c, nd->e, 0, &v)) == 0) {
				rc = emit_value(c, v.o, out);
				val_drop(&v);
			}
			break;
		case N_IF:
			rc = eval_if(c, nd, out);
			break;
		case N_RANGE:
			c->cur = nd;
			rc = eval_range(c, nd, out);
			break;
		}
	}
	return rc;
}

/* Parses and evaluates tmpl: into text (*text), or, when value is set and
 * the template is one lone value action outside shell mode, into the
 * referenced value itself. */
static int
render(const inn_tmpl_env *env, const char *tmpl, char **text, json_object **value)
{
	struct buf out = { NULL, 0, 0, INN_TMPL_MAX_OUTPUT };
	json_object *empty = NULL;
	struct val v = { NULL, 0 };
	struct list root;
	struct ctx c;
	int rc;

	if (text)
		*text = NULL;
	if (value)
		*value = NULL;
	missing_root[0] = '\0';
	if (env == NULL || tmpl == NULL)
		return inn_error_set(INN_EINVAL, "template: no environment or template");
	if ((rc = parse_template(tmpl, NULL, NULL, &root)) != 0)
		return rc;
	memset(&c, 0, sizeof(c));
	c.env = env;
	c.root = env->data;
	inn_sh_scan_init(&c.sh);
	c.sh_out = &out;
	if (c.root == NULL && (c.root = empty = json_object_new_object()) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	c.dot = c.root;
	if (value && env->bind == NULL && root.n == 1 && root.v[0]->kind == N_OUT) {
		c.cur = root.v[0];
		if ((rc = eval_expr(&c, root.v[0]->e, 0, &v)) != 0)
			goto out;
		if (v.o != NULL && json_object_deep_copy(v.o, value, NULL) != 0)
			rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = eval_list(&c, &root, &out)) != 0 ||
	    (rc = buf_put(&out, "", 0)) != 0)
		goto out;
	if (text) {
		*text = out.p;
		out.p = NULL;
	} else if ((*value = json_object_new_string_len(out.p, (int)out.len)) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
	}
out:
	val_drop(&v);
	json_object_put(c.bound);
	json_object_put(empty);
	free(out.p);
	free_list(&root);
	return rc;
}

int
inn_tmpl_render_string(const inn_tmpl_env *env, const char *tmpl, char **out)
{
	return render(env, tmpl, out, NULL);
}

int
inn_tmpl_render_value(const inn_tmpl_env *env, const char *tmpl, json_object **out)
{
	return render(env, tmpl, NULL, out);
}

/* Copies in into *out rendering every string; path (a bounded buffer of
 * pathcap bytes holding pathlen) names the field in messages. */
static int
render_tree(const inn_tmpl_env *env, json_object *in, char *path, size_t pathlen,
            size_t pathcap, int depth, json_object **out)
{
	json_object *copy = NULL, *child;
	char msg[1024];
	size_t i, n;
	int rc = 0;

	*out = NULL;
	if (depth > MAX_TREE_DEPTH)
		return inn_error_set(INN_ETOOBIG, "%s: nested deeper than %d levels", path,
		                     MAX_TREE_DEPTH);
	switch (json_object_get_type(in)) {
	case json_type_string:
		if ((rc = inn_tmpl_render_value(env, json_object_get_string(in), out)) != 0) {
			snprintf(msg, sizeof(msg), "%s", inn_error_last());
			return inn_error_set(rc, "%s: %s", path, msg);
		}
		return 0;
	case json_type_array:
		if ((copy = json_object_new_array()) == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		n = json_object_array_length(in);
		for (i = 0; i < n; i++) {
			snprintf(path + pathlen, pathcap - pathlen, "[%zu]", i);
			if ((rc = render_tree(env, json_object_array_get_idx(in, i), path,
			                      strlen(path), pathcap, depth + 1, &child)) != 0)
				goto fail;
			if (json_object_array_add(copy, child) != 0) {
				json_object_put(child);
				rc = inn_error_set(INN_ENOMEM, "out of memory");
				goto fail;
			}
		}
		break;
	case json_type_object: {
		if ((copy = json_object_new_object()) == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		json_object_object_foreach(in, key, val) {
			snprintf(path + pathlen, pathcap - pathlen, "%s%s",
			         pathlen > 0 ? "." : "", key);
			if ((rc = render_tree(env, val, path, strlen(path), pathcap, depth + 1,
			                      &child)) != 0)
				goto fail;
			if (json_object_object_add(copy, key, child) != 0) {
				json_object_put(child);
				rc = inn_error_set(INN_ENOMEM, "out of memory");
				goto fail;
			}
		}
		break;
	}
	default:
		if (in != NULL && json_object_deep_copy(in, &copy, NULL) != 0)
			return inn_error_set(INN_ENOMEM, "out of memory");
		break;
	}
	path[pathlen] = '\0';
	*out = copy;
	return 0;
fail:
	json_object_put(copy);
	return rc;
}

int
inn_tmpl_render(const inn_tmpl_env *env, json_object *in, const char *path,
                json_object **out)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s", path ? path : "");
	return render_tree(env, in, buf, strlen(buf), sizeof(buf), 0, out);
}

int
inn_tmpl_refs(const char *tmpl, inn_tmpl_ref_fn fn, void *ud)
{
	struct list root;
	int rc;

	if (tmpl == NULL)
		return inn_error_set(INN_EINVAL, "template: none given");
	if ((rc = parse_template(tmpl, fn, ud, &root)) == 0)
		free_list(&root);
	return rc;
}

/* Flattens a parsed template the way shell mode writes it (every branch of
 * if and range once, in order) and reports each value action that lands
 * in a quoted here-document. */
static int
lint_list(const struct list *l, struct buf *b, inn_sh_scan *sh, inn_tmpl_ref_fn fn,
          void *ud, int depth)
{
	char src[SRC_SHOWN + 4];
	size_t i, j;
	int rc = 0;

	if (depth > INN_TMPL_MAX_DEPTH + 1)
		return 0;
	for (i = 0; rc == 0 && i < l->n; i++) {
		const struct node *nd = l->v[i];

		switch (nd->kind) {
		case N_TEXT:
			rc = buf_put(b, nd->text, nd->len);
			break;
		case N_OUT:
			if (inn_sh_scan_feed(sh, b->p ? b->p : "", b->len) ==
			    INN_SH_HEREDOC_QUOTED) {
				if (nd->srclen > SRC_SHOWN)
					snprintf(src, sizeof(src), "%.*s...", SRC_SHOWN, nd->src);
				else
					snprintf(src, sizeof(src), "%.*s", (int)nd->srclen, nd->src);
				if ((rc = fn(ud, src)) != 0)
					break;
			}
			rc = buf_puts(b, "${V}");
			break;
		case N_IF:
			for (j = 0; rc == 0 && j < nd->nbranch; j++)
				rc = lint_list(&nd->bodies[j], b, sh, fn, ud, depth + 1);
			if (rc == 0)
				rc = lint_list(&nd->alt, b, sh, fn, ud, depth + 1);
			break;
		case N_RANGE:
			rc = lint_list(&nd->body, b, sh, fn, ud, depth + 1);
			if (rc == 0)
				rc = lint_list(&nd->alt, b, sh, fn, ud, depth + 1);
			break;
		}
	}
	return rc;
}

int
inn_tmpl_shell_lint(const char *tmpl, inn_tmpl_ref_fn fn, void *ud)
{
	struct buf b = { NULL, 0, 0, INN_TMPL_MAX_OUTPUT };
	struct list root;
	inn_sh_scan sh;
	int rc;

	if (tmpl == NULL)
		return inn_error_set(INN_EINVAL, "template: none given");
	if ((rc = parse_template(tmpl, NULL, NULL, &root)) != 0)
		return rc;
	inn_sh_scan_init(&sh);
	rc = lint_list(&root, &b, &sh, fn, ud, 0);
	free(b.p);
	free_list(&root);
	return rc;
}

int
inn_tmpl_has_syntax(const char *s)
{
	size_t i;
	size_t len;

	if (s == NULL)
		return 0;
	len = strlen(s);    /* once: "${" may occur on every other byte */
	for (i = 0; i < len; i++) {
		if (s[i] == '{' && s[i + 1] == '{')
			return 1;
		if (s[i] == '$' && s[i + 1] == '$' && s[i + 2] == '{')
			return 1;
		if (s[i] == '$' && s[i + 1] == '{' && ref_path_len(s + i + 2, len - i - 2) > 0)
			return 1;
	}
	return 0;
}
