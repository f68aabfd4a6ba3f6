/*
 * cond.c - step conditions (cond.h): the `when:` keywords, and `if:` /
 * `unless:` expressions parsed into one node whose operands are text with
 * references (variables, templates), evaluated against a run's data.
 * References are substituted into operands only after the expression is
 * split, so no value can change what is compared with what.
 */
#include "config.h"

#include "cond.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "array.h"
#include "buf.h"
#include "error.h"
#include "pattern.h"
#include "tmpl.h"

#define COND_MAX_LEN 65536            /* a condition's text, bytes */
#define DETAIL_VALUE_MAX 64           /* bytes of a value shown in a detail */

enum seg_kind { SEG_LIT, SEG_VAR, SEG_TMPL };

struct seg {
	enum seg_kind kind;
	char *text;                   /* literal text, variable name, or template */
	char *src;                    /* SEG_TMPL: the reference as written, or NULL */
};

struct operand {
	struct seg *segs;
	size_t n;
};

enum node_kind { N_BOOL, N_TRUTHY, N_STATUS, N_BINARY };

enum op {
	OP_EQ, OP_NE, OP_LE, OP_GE, OP_LT, OP_GT,
	OP_CONTAINS, OP_STARTS, OP_ENDS, OP_MATCHES
};

static const char *const op_names[] = {
	"==", "!=", "<=", ">=", "<", ">", "contains", "startsWith", "endsWith", "matches"
};
#define OP_FIRST_WORD OP_CONTAINS

struct inn_cond {
	char *text;
	char *templates;              /* blank-separated template parts, or NULL */
	enum node_kind kind;
	int value;                    /* N_BOOL */
	enum op op;                   /* N_BINARY */
	struct operand lhs, rhs;      /* N_TRUTHY: lhs only */
	size_t step;                  /* N_STATUS */
	inn_state status;
	inn_pattern *re;              /* OP_MATCHES with a literal pattern */
};

/* --- when ---------------------------------------------------------------- */

static const struct {
	const char *word;
	inn_cond_when when;
} when_words[] = {
	{ "always", INN_WHEN_ALWAYS },
	{ "on_success", INN_WHEN_ON_SUCCESS }, { "success", INN_WHEN_ON_SUCCESS },
	{ "on_failure", INN_WHEN_ON_FAILURE }, { "failure", INN_WHEN_ON_FAILURE },
	{ "manual", INN_WHEN_MANUAL },
};

int
inn_cond_when_parse(const char *text, inn_cond_when *out)
{
	size_t i, len;

	while (isspace((unsigned char)*text))
		text++;
	len = strlen(text);
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	for (i = 0; i < sizeof(when_words) / sizeof(when_words[0]); i++)
		if (strlen(when_words[i].word) == len &&
		    strncasecmp(text, when_words[i].word, len) == 0) {
			*out = when_words[i].when;
			return 0;
		}
	return -1;
}

const char *
inn_cond_when_name(inn_cond_when w)
{
	switch (w) {
	case INN_WHEN_ALWAYS: return "always";
	case INN_WHEN_ON_SUCCESS: return "on_success";
	case INN_WHEN_ON_FAILURE: return "on_failure";
	case INN_WHEN_MANUAL: return "manual";
	case INN_WHEN_NONE: break;
	}
	return "";
}

/* --- pieces: the text split into literal runs and references -------------- */

struct piece {
	size_t start, end;            /* in the condition text */
	int ref;                      /* a reference, else literal */
	const char *lit;              /* literal text other than the source ("${") */
};

struct lexer {
	const char *s;
	size_t len;
	struct piece *p;
	size_t n, cap;
};

static int
add_piece(struct lexer *lx, size_t start, size_t end, int ref, const char *lit)
{
	struct piece *np;

	if (lx->n > 0 && !ref && lit == NULL && !lx->p[lx->n - 1].ref &&
	    lx->p[lx->n - 1].lit == NULL && lx->p[lx->n - 1].end == start) {
		lx->p[lx->n - 1].end = end;
		return 0;
	}
	if ((np = inn_array_reserve(lx->p, &lx->cap, lx->n + 1, sizeof(*lx->p), 8)) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	lx->p = np;
	lx->p[lx->n].start = start;
	lx->p[lx->n].end = end;
	lx->p[lx->n].ref = ref;
	lx->p[lx->n].lit = lit;
	lx->n++;
	return 0;
}

static int
ident_start(int c)
{
	return isalpha(c) || c == '_';
}

static int
ident_char(int c)
{
	return isalnum(c) || c == '_';
}

/* Length of a ${...} path at s (cond.h: [A-Za-z_][A-Za-z0-9_-]* then
 * .segments), or 0. */
static size_t
path_len(const char *s, size_t max)
{
	size_t i = 0;

	if (max == 0 || !ident_start((unsigned char)s[0]))
		return 0;
	for (i = 1; i < max && (ident_char((unsigned char)s[i]) || s[i] == '-'); i++)
		;
	while (i + 1 < max && s[i] == '.' &&
	       (ident_char((unsigned char)s[i + 1]) || s[i + 1] == '-')) {
		for (i++; i < max && (ident_char((unsigned char)s[i]) || s[i] == '-'); i++)
			;
	}
	return i;
}

/* The end of a {{ action starting at i (after its "}}"), skipping Go
 * string literals, or 0 when it is not closed. */
static size_t
action_end(const char *s, size_t len, size_t i)
{
	for (i += 2; i + 1 < len; i++) {
		if (s[i] == '"' || s[i] == '`') {
			char q = s[i];

			for (i++; i < len && s[i] != q; i++)
				if (q == '"' && s[i] == '\\' && i + 1 < len)
					i++;
			if (i >= len)
				return 0;
		} else if (s[i] == '}' && s[i + 1] == '}') {
			return i + 2;
		}
	}
	return 0;
}

/* Splits lx->s into pieces: literal runs, {{ actions }}, ${path} and
 * $name references ($${ is the literal "${").  0, or INN_EINVAL for an
 * action that is not closed, INN_ENOMEM. */
static int
lex(struct lexer *lx)
{
	const char *s = lx->s;
	size_t i = 0, len = lx->len, e;

	while (i < len) {
		if (s[i] == '{' && i + 1 < len && s[i + 1] == '{') {
			if ((e = action_end(s, len, i)) == 0)
				return inn_error_set(INN_EINVAL, "\"{{\" at offset %zu is not closed "
				                     "by \"}}\"", i + 1);
			if (add_piece(lx, i, e, 1, NULL) != 0)
				return INN_ENOMEM;
			i = e;
		} else if (s[i] == '$' && i + 2 < len && s[i + 1] == '$' && s[i + 2] == '{') {
			if (add_piece(lx, i, i + 3, 0, "${") != 0)
				return INN_ENOMEM;
			i += 3;
		} else if (s[i] == '$' && i + 1 < len && s[i + 1] == '{' &&
		           (e = path_len(s + i + 2, len - i - 2)) > 0 && i + 2 + e < len &&
		           s[i + 2 + e] == '}') {
			if (add_piece(lx, i, i + 3 + e, 1, NULL) != 0)
				return INN_ENOMEM;
			i += 3 + e;
		} else if (s[i] == '$' && i + 1 < len && ident_start((unsigned char)s[i + 1])) {
			/* $NAME, $a.b.c (the original's spelling: no '-') */
			for (e = i + 2; e < len && ident_char((unsigned char)s[e]); e++)
				;
			while (e + 1 < len && s[e] == '.' && ident_char((unsigned char)s[e + 1])) {
				size_t dot = e;

				for (e++; e < len && ident_char((unsigned char)s[e]); e++)
					;
				if (e < len && s[e] == '(') { /* $x.contains(y): a method */
					e = dot;
					break;
				}
			}
			if (add_piece(lx, i, e, 1, NULL) != 0)
				return INN_ENOMEM;
			i = e;
		} else {
			if (add_piece(lx, i, i + 1, 0, NULL) != 0)
				return INN_ENOMEM;
			i++;
		}
	}
	return 0;
}

/* --- operands ------------------------------------------------------------ */

static void
operand_free(struct operand *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		INN_FREE_ALL(o->segs[i].text, o->segs[i].src);
	free(o->segs);
	o->segs = NULL;
	o->n = 0;
}

static int
operand_add(struct operand *o, enum seg_kind kind, const char *text, size_t len)
{
	struct seg *g;

	if (kind == SEG_LIT && len == 0)
		return 0;
	if (kind == SEG_LIT && o->n > 0 && o->segs[o->n - 1].kind == SEG_LIT) {
		struct seg *last = &o->segs[o->n - 1];
		size_t old = strlen(last->text);
		char *t = realloc(last->text, old + len + 1);

		if (t == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		memcpy(t + old, text, len);
		t[old + len] = '\0';
		last->text = t;
		return 0;
	}
	g = realloc(o->segs, (o->n + 1) * sizeof(*g));
	if (g == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	o->segs = g;
	if ((g[o->n].text = strndup(text, len)) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	g[o->n].kind = kind;
	g[o->n].src = NULL;
	o->n++;
	return 0;
}

/* A template segment whose reference was written src[0..len) (for the
 * original's `$step.key`, the text a missing output leaves in place). */
static int
operand_add_ref(struct operand *o, const char *text, size_t tlen, const char *src,
                size_t len)
{
	if (operand_add(o, SEG_TMPL, text, tlen) != 0)
		return INN_ENOMEM;
	if ((o->segs[o->n - 1].src = strndup(src, len)) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	return 0;
}

/* A root a condition reads as a template: the engine's roots but
 * "workflow" ($workflow.X is the original's spelling of a variable here). */
static int
template_root(const char *s, size_t len)
{
	return inn_tmpl_known_root(s, len) && !(len == 8 && memcmp(s, "workflow", 8) == 0);
}

/* One reference (its text ref[0..len): {{...}}, ${path} or $path) as a
 * segment of o. */
static int
operand_ref(struct operand *o, const char *ref, size_t len, const inn_cond_names *names)
{
	const char *path, *dot;
	size_t plen, rlen;
	char buf[600];

	if (ref[0] == '{')
		return operand_add_ref(o, ref, len, ref, len);
	path = ref + (ref[1] == '{' ? 2 : 1);
	plen = len - (size_t)(path - ref) - (ref[1] == '{' ? 1 : 0);
	if ((dot = memchr(path, '.', plen)) == NULL) {
		if (names != NULL && names->variable != NULL)
			names->variable(names->ud, path, plen);
		return operand_add(o, SEG_VAR, path, plen);
	}
	rlen = (size_t)(dot - path);
	if (plen > 512)
		return inn_error_set(INN_EINVAL, "%.*s...: reference too long", 40, ref);
	if (template_root(path, rlen)) {
		snprintf(buf, sizeof(buf), "${%.*s}", (int)plen, path);
	} else if (rlen == 8 && memcmp(path, "workflow", 8) == 0) {
		const char *k = dot + 1;
		size_t klen = plen - rlen - 1;

		if ((klen == 4 && memcmp(k, "name", 4) == 0) ||
		    (klen == 8 && memcmp(k, "provider", 8) == 0))
			snprintf(buf, sizeof(buf), "${%.*s}", (int)plen, path);
		else
			snprintf(buf, sizeof(buf), "${variables.%.*s}", (int)klen, k);
	} else if (names != NULL && names->step != NULL &&
	           names->step(names->ud, path, rlen) >= 0 &&
	           memchr(dot + 1, '.', plen - rlen - 1) == NULL) {
		snprintf(buf, sizeof(buf), "${steps.%.*s.outputs.%.*s}", (int)rlen, path,
		         (int)(plen - rlen - 1), dot + 1);
	} else {
		return inn_error_set(INN_EINVAL, "%.*s: \"%.*s\" is not a step (for its output "
		                     "write $<step>.<key>) nor one of workflow, parameters, "
		                     "variables, steps, resources, secrets, app", (int)len, ref,
		                     (int)rlen, path);
	}
	return operand_add_ref(o, buf, strlen(buf), ref, len);
}

static int
is_blank_or_quote(char c)
{
	return isspace((unsigned char)c) || c == '"' || c == '\'';
}

static int operand_join_templates(struct operand *o);

/* The operand of text [a, b): its pieces as segments, trimmed where it
 * begins and ends with literal text as the original trimmed: of blanks and
 * quotes together (keep_quoted 0: contains, startsWith, ...), or of blanks,
 * then of quotes, so blanks inside quotes count (keep_quoted 1: ==, <, ...). */
static int
operand_build(struct operand *o, const struct lexer *lx, size_t a, size_t b,
              int keep_quoted, const inn_cond_names *names)
{
	size_t i;
	int rc;

	while (a < b && (keep_quoted ? isspace((unsigned char)lx->s[a])
	                             : is_blank_or_quote(lx->s[a])))
		a++;
	while (b > a && (keep_quoted ? isspace((unsigned char)lx->s[b - 1])
	                             : is_blank_or_quote(lx->s[b - 1])))
		b--;
	while (keep_quoted && a < b && (lx->s[a] == '"' || lx->s[a] == '\''))
		a++;
	while (keep_quoted && b > a && (lx->s[b - 1] == '"' || lx->s[b - 1] == '\''))
		b--;
	for (i = 0; i < lx->n; i++) {
		const struct piece *p = &lx->p[i];
		size_t s = p->start > a ? p->start : a, e = p->end < b ? p->end : b;

		if (s >= e)
			continue;
		if (p->ref)
			rc = operand_ref(o, lx->s + p->start, p->end - p->start, names);
		else if (p->lit != NULL)
			rc = operand_add(o, SEG_LIT, p->lit, strlen(p->lit));
		else
			rc = operand_add(o, SEG_LIT, lx->s + s, e - s);
		if (rc != 0)
			return rc;
	}
	return operand_join_templates(o);
}

/* Joins each run of template parts with the literal text between them
 * (no variable in between) into one template: {{ if .x }}a{{ end }} is
 * one template, not three texts.  A literal "${" is written "$${" there. */
static int
operand_join_templates(struct operand *o)
{
	size_t i, j, k, last;
	char *t;

	for (i = 0; i < o->n; i++) {
		inn_buf b = INN_BUF_INIT(COND_MAX_LEN * 2), src = INN_BUF_INIT(COND_MAX_LEN * 2);
		char *ts;

		if (o->segs[i].kind != SEG_TMPL)
			continue;
		for (last = i, j = i + 1; j < o->n && o->segs[j].kind != SEG_VAR; j++)
			if (o->segs[j].kind == SEG_TMPL)
				last = j;
		if (last == i)
			continue;
		for (k = i; k <= last; k++) {
			const char *p = o->segs[k].text, *d;

			/* as written, for an output that is not set (unresolved()) */
			if (inn_buf_adds(&src, o->segs[k].src != NULL ? o->segs[k].src : p) != 0)
				goto nomem;
			while (o->segs[k].kind == SEG_LIT && (d = strstr(p, "${")) != NULL) {
				if (inn_buf_add(&b, p, (size_t)(d - p)) != 0 ||
				    inn_buf_adds(&b, "$${") != 0)
					goto nomem;
				p = d + 2;
			}
			if (inn_buf_adds(&b, p) != 0)
				goto nomem;
		}
		if ((t = inn_buf_take(&b)) == NULL)
			goto nomem;
		if ((ts = inn_buf_take(&src)) == NULL) {
			free(t);
			goto nomem;
		}
		for (k = i; k <= last; k++)
			INN_FREE_ALL(o->segs[k].text, o->segs[k].src);
		o->segs[i].text = t;
		o->segs[i].src = ts;
		memmove(&o->segs[i + 1], &o->segs[last + 1], (o->n - last - 1) * sizeof(*o->segs));
		o->n -= last - i;
		continue;
nomem:
		inn_buf_free(&b);
		inn_buf_free(&src);
		return inn_error_set(INN_ENOMEM, "out of memory");
	}
	return 0;
}

static int
operand_literal(const struct operand *o)
{
	return o->n == 0 || (o->n == 1 && o->segs[0].kind == SEG_LIT);
}

/* --- parsing ------------------------------------------------------------- */

/* Non-zero when word w is at s[i], inside the literal run ending at end,
 * with a blank before it and a blank (or the end of the text, len) after. */
static int
word_at(const char *s, size_t len, size_t end, size_t i, const char *w)
{
	size_t n = strlen(w);

	return i > 0 && isspace((unsigned char)s[i - 1]) && i + n <= end &&
	       memcmp(s + i, w, n) == 0 &&
	       (i + n == len || isspace((unsigned char)s[i + n]));
}

/* Marks in q[0..lx->len) the bytes of a quoted literal: "..." or '...'
 * opened where no word goes on (start, blank, operator), closed by the
 * same quote (one never closed is no quote: it's stays a word). */
static void
mark_quoted(const struct lexer *lx, unsigned char *q)
{
	const char *s = lx->s;
	size_t k, i;
	char open = 0;

	memset(q, 0, lx->len);
	for (k = 0; k < lx->n; k++) {
		const struct piece *p = &lx->p[k];

		for (i = p->start; i < p->end; i++) {
			if (open) {
				q[i] = 1;
				if (!p->ref && p->lit == NULL && s[i] == open)
					open = 0;
			} else if (!p->ref && p->lit == NULL && (s[i] == '"' || s[i] == '\'') &&
			           (i == 0 || !ident_char((unsigned char)s[i - 1])) &&
			           memchr(s + i + 1, s[i], lx->len - i - 1) != NULL) {
				open = s[i];
				q[i] = 1;
			}
		}
	}
}

/* The operator that splits the text, in the original's order of search:
 * the first ==, else the first !=, <=, >=, <, >, then the words contains,
 * startsWith, endsWith, matches -- outside references and quotes.  Its
 * op, start and end; -1 when there is none (INN_ENOMEM with the message). */
static int
find_op(const struct lexer *lx, enum op *op, size_t *os, size_t *oe)
{
	unsigned char *q = malloc(lx->len + 1);
	size_t k, i;
	int j, rc = -1;

	if (q == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	mark_quoted(lx, q);
	for (j = 0; j < (int)(sizeof(op_names) / sizeof(op_names[0])) && rc != 0; j++) {
		size_t n = strlen(op_names[j]);

		for (k = 0; k < lx->n && rc != 0; k++) {
			const struct piece *p = &lx->p[k];

			if (p->ref || p->lit != NULL)
				continue;
			for (i = p->start; i < p->end && rc != 0; i++) {
				if (q[i] || (j >= OP_FIRST_WORD
				             ? !word_at(lx->s, lx->len, p->end, i, op_names[j])
				             : (i + n > p->end || memcmp(lx->s + i, op_names[j], n) != 0)))
					continue;
				*op = (enum op)j;
				*os = i;
				*oe = i + n;
				rc = 0;
			}
		}
	}
	free(q);
	return rc;
}

/* The method form x.contains(y): -1 when text is not one. */
static int
find_method(const struct lexer *lx, enum op *op, size_t *os, size_t *oe)
{
	static const enum op methods[] = { OP_CONTAINS, OP_STARTS, OP_ENDS, OP_MATCHES };
	size_t k, i, j, end = lx->len;

	while (end > 0 && isspace((unsigned char)lx->s[end - 1]))
		end--;
	if (end == 0 || lx->s[end - 1] != ')')
		return -1;
	for (k = 0; k < lx->n; k++) {
		const struct piece *p = &lx->p[k];

		if (p->ref || p->lit != NULL)
			continue;
		for (i = p->start; i < p->end; i++) {
			if (lx->s[i] != '.')
				continue;
			for (j = 0; j < sizeof(methods) / sizeof(methods[0]); j++) {
				const char *m = op_names[methods[j]];
				size_t n = strlen(m);

				if (i + 1 + n < p->end && memcmp(lx->s + i + 1, m, n) == 0 &&
				    lx->s[i + 1 + n] == '(') {
					*op = methods[j];
					*os = i;
					*oe = i + 2 + n;
					return 0;
				}
			}
		}
	}
	return -1;
}

/* The pattern (Go RE2 syntax, pattern.h: the one reading parameters'
 * `pattern:` use) compiled into *out; INN_EINVAL naming what is wrong. */
static int
compile_pattern(inn_pattern **out, const char *pat, const char *from)
{
	char why[256];

	if (inn_pattern_compile(out, pat, why, sizeof(why)) == 0)
		return 0;
	return inn_error_set(INN_EINVAL, "matches: pattern \"%.200s\"%s is not a Go regular "
	                     "expression: %s", pat, from, why);
}

static const struct {
	const char *word;
	inn_state status;
} status_words[] = {
	{ "success", INN_STATE_SUCCEEDED }, { "succeeded", INN_STATE_SUCCEEDED },
	{ "failed", INN_STATE_FAILED }, { "failure", INN_STATE_FAILED },
	{ "skipped", INN_STATE_SKIPPED },
};

static int
step_name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-';
}

static int decimal(const char *s, double *d);

/* Warns (names->warn) about each $<digit> in the literal text: a shell
 * positional parameter, which no step env, variable or parameter sets, so
 * it stays the text "$1" (as in the original). */
static void
warn_positional(const struct lexer *lx, const inn_cond_names *names)
{
	size_t k, i;
	char msg[200];

	if (names == NULL || names->warn == NULL)
		return;
	for (k = 0; k < lx->n; k++) {
		const struct piece *p = &lx->p[k];

		for (i = p->start; !p->ref && p->lit == NULL && i + 1 < p->end; i++)
			if (lx->s[i] == '$' && isdigit((unsigned char)lx->s[i + 1])) {
				snprintf(msg, sizeof(msg), "$%c is a positional parameter, which is "
				         "never set here: it compares as the text \"$%c\" (a variable "
				         "name starts with a letter or _)", lx->s[i + 1], lx->s[i + 1]);
				names->warn(names->ud, msg);
				return;
			}
	}
}

/* A condition without an operator (text trimmed: t[0..len)). */
static int
parse_single(inn_cond *c, const struct lexer *lx, const char *t, size_t len, int in_when,
             const inn_cond_names *names)
{
	const char *dot;
	size_t i;
	long step;

	for (i = 0; i < lx->n; i++)
		if (lx->p[i].ref || lx->p[i].lit != NULL) {
			c->kind = N_TRUTHY;
			return operand_build(&c->lhs, lx, 0, lx->len, 0, names);
		}
	if ((len == 4 && strncasecmp(t, "true", 4) == 0) ||
	    (len == 5 && strncasecmp(t, "false", 5) == 0)) {
		c->kind = N_BOOL;
		c->value = len == 4;
		return 0;
	}
	for (i = 0; i < len && ident_char((unsigned char)t[i]); i++)
		;
	if (len > 0 && i == len && ident_start((unsigned char)t[0])) {
		if (in_when)
			return inn_error_set(INN_EINVAL, "\"%.*s\" is not a when keyword (always, "
			                     "on_success, on_failure, manual)", (int)len, t);
		c->kind = N_TRUTHY;
		if (names != NULL && names->variable != NULL)
			names->variable(names->ud, t, len);
		return operand_add(&c->lhs, SEG_VAR, t, len);
	}
	{
		char num[64];
		double d;

		snprintf(num, sizeof(num), "%.*s", (int)len, t);
		if (len < sizeof(num) && decimal(num, &d))
			return inn_error_set(INN_EINVAL, "\"%.*s\" is a number, not a condition "
			                     "(compare it: $X == %.*s)", (int)len, t, (int)len, t);
	}
	dot = memchr(t, '.', len);
	if (dot != NULL && memchr(dot, '(', len - (size_t)(dot - t)) != NULL)
		return inn_error_set(INN_EINVAL, "cannot read \"%.*s\": a method is written "
		                     "A.contains(B) (also .startsWith, .endsWith, .matches), "
		                     "with its closing \")\"", (int)(len > 200 ? 200 : len), t);
	for (i = 0; dot != NULL && t + i < dot && step_name_char((unsigned char)t[i]); i++)
		;
	if (dot != NULL && dot > t && t + i == dot &&
	    strcspn(dot, " \t\r\n") >= len - (size_t)(dot - t)) {
		const char *w = dot + 1;
		size_t wl = len - (size_t)(w - t), k;

		for (k = 0; k < sizeof(status_words) / sizeof(status_words[0]); k++)
			if (strlen(status_words[k].word) == wl &&
			    strncasecmp(w, status_words[k].word, wl) == 0)
				break;
		if (k == sizeof(status_words) / sizeof(status_words[0]))
			return inn_error_set(INN_EINVAL, "\"%.*s\": \"%.*s\" is not a step status "
			                     "(success, succeeded, failed, failure, skipped)",
			                     (int)len, t, (int)(wl > 60 ? 60 : wl), w);
		step = names != NULL && names->step != NULL
		       ? names->step(names->ud, t, (size_t)(dot - t)) : -1;
		if (step < 0)
			return inn_error_set(INN_EINVAL, "\"%.*s\": there is no step \"%.*s\"",
			                     (int)len, t, (int)(dot - t), t);
		c->kind = N_STATUS;
		c->step = (size_t)step;
		c->status = status_words[k].status;
		return 0;
	}
	return inn_error_set(INN_EINVAL, "cannot read \"%.*s\": a condition is true or false, "
	                     "a variable (NAME, $NAME), <step>.success|failed|skipped, a "
	                     "template, or a comparison (==, !=, <, <=, >, >=, contains, "
	                     "startsWith, endsWith, matches)%s", (int)(len > 200 ? 200 : len),
	                     t, in_when ? "; or a when keyword (always, on_success, "
	                     "on_failure, manual)" : "");
}

/* The blank-separated template parts of c into c->templates. */
static int
collect_templates(inn_cond *c)
{
	inn_buf b = INN_BUF_INIT(COND_MAX_LEN * 4);
	const struct operand *ops[2] = { &c->lhs, &c->rhs };
	size_t i, k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < ops[k]->n; i++)
			if (ops[k]->segs[i].kind == SEG_TMPL &&
			    ((b.len > 0 && inn_buf_adds(&b, " ") != 0) ||
			     inn_buf_adds(&b, ops[k]->segs[i].text) != 0)) {
				inn_buf_free(&b);
				return inn_error_set(INN_ENOMEM, "out of memory");
			}
	if (b.len > 0 && (c->templates = inn_buf_take(&b)) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	return 0;
}

int
inn_cond_parse(inn_cond **out, const char *text, int in_when,
               const inn_cond_names *names)
{
	struct lexer lx;
	inn_cond *c;
	size_t os = 0, oe = 0, a, len;
	enum op op = OP_EQ;
	int rc;

	*out = NULL;
	memset(&lx, 0, sizeof(lx));
	if ((len = strlen(text)) > COND_MAX_LEN)
		return inn_error_set(INN_EINVAL, "condition longer than %d bytes", COND_MAX_LEN);
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->text = strdup(text)) == NULL) {
		free(c);
		return inn_error_set(INN_ENOMEM, "out of memory");
	}
	lx.s = text;
	lx.len = len;
	if ((rc = lex(&lx)) != 0)
		goto err;
	warn_positional(&lx, names);
	if ((rc = find_op(&lx, &op, &os, &oe)) == INN_ENOMEM)
		goto err;
	if (rc == 0 || find_method(&lx, &op, &os, &oe) == 0) {
		size_t rb = lx.len;

		if (text[os] == '.') /* x.op(y): y ends before the last ')' */
			for (rb = lx.len; rb > oe && text[rb - 1] != ')'; rb--)
				;
		c->kind = N_BINARY;
		c->op = op;
		if ((rc = operand_build(&c->lhs, &lx, 0, os, op < OP_FIRST_WORD, names)) != 0 ||
		    (rc = operand_build(&c->rhs, &lx, oe, text[os] == '.' ? rb - 1 : rb,
		                        op < OP_FIRST_WORD, names)) != 0)
			goto err;
		if (op == OP_MATCHES && operand_literal(&c->rhs)) {
			const char *pat = c->rhs.n ? c->rhs.segs[0].text : "";

			if ((rc = compile_pattern(&c->re, pat, "")) != 0)
				goto err;
		}
	} else {
		for (a = 0; a < len && isspace((unsigned char)text[a]); a++)
			;
		while (len > a && isspace((unsigned char)text[len - 1]))
			len--;
		if (len == a) {
			rc = inn_error_set(INN_EINVAL, "empty condition");
			goto err;
		}
		if ((rc = parse_single(c, &lx, text + a, len - a, in_when, names)) != 0)
			goto err;
	}
	if ((rc = collect_templates(c)) != 0)
		goto err;
	free(lx.p);
	*out = c;
	return 0;
err:
	free(lx.p);
	inn_cond_free(c);
	return rc;
}

void
inn_cond_free(inn_cond *c)
{
	if (c == NULL)
		return;
	operand_free(&c->lhs);
	operand_free(&c->rhs);
	inn_pattern_free(c->re);
	INN_FREE_ALL(c->text, c->templates);
	free(c);
}

const char *
inn_cond_text(const inn_cond *c)
{
	return c->text;
}

const char *
inn_cond_templates(const inn_cond *c)
{
	return c->templates;
}

void
inn_cond_each_status(const inn_cond *c, void (*fn)(void *ud, size_t step, inn_state status),
                     void *ud)
{
	if (c != NULL && c->kind == N_STATUS)
		fn(ud, c->step, c->status);
}

void
inn_step_conds_free(inn_step_conds *sc)
{
	if (sc == NULL)
		return;
	inn_cond_free(sc->when_cond);
	inn_cond_free(sc->unless_cond);
	inn_cond_free(sc->if_cond);
	free(sc);
}

int
inn_step_conds_after_failure(const inn_step_conds *sc)
{
	return sc != NULL && (sc->when == INN_WHEN_ALWAYS || sc->when == INN_WHEN_ON_FAILURE);
}

/* --- evaluation ---------------------------------------------------------- */

/* The value of variable name: the step's env, the workflow's variables,
 * its parameters; NULL when none has it. */
static json_object *
var_value(const inn_cond_ctx *ctx, const char *name)
{
	static const char *const roots[] = { "variables", "parameters" };
	json_object *v, *root;
	size_t i;

	if (ctx->env != NULL && json_object_object_get_ex(ctx->env, name, &v))
		return v;
	for (i = 0; i < 2; i++)
		if (ctx->tmpl != NULL && ctx->tmpl->data != NULL &&
		    json_object_object_get_ex(ctx->tmpl->data, roots[i], &root) &&
		    json_object_object_get_ex(root, name, &v))
			return v;
	return NULL;
}

static const char *
value_text(json_object *v)
{
	if (v == NULL || json_object_is_type(v, json_type_null))
		return "";
	return json_object_get_string(v);
}

/* Non-zero when the render that just failed with rc read a step output
 * that is not set (the step was skipped, failed, or did not report it):
 * the original left such a reference unresolved, as text.  note gets
 * `$a.out: steps.a.outputs.out is not set` (first one only). */
static int
unresolved(int rc, const struct seg *g, char *note, size_t notelen)
{
	const char *path = inn_tmpl_missing_path();
	size_t n = strlen(g->text);

	if (rc != INN_ENOTFOUND || strcmp(inn_tmpl_missing_root(), "steps") != 0 ||
	    g->src == NULL)
		return 0;
	if (note != NULL && notelen > 0 && note[0] == '\0') {
		if (n > 3 && strncmp(g->text, "${", 2) == 0 &&
		    strchr(g->text + 2, '}') == g->text + n - 1)
			snprintf(note, notelen, "%.100s: %.*s is not set", g->src, (int)n - 3,
			         g->text + 2);
		else
			snprintf(note, notelen, "%.100s: %s is not set", g->src, path);
	}
	return 1;
}

/* An operand's text (*out malloc'd).  A step output that is not set
 * stays as the reference was written (unresolved()); note (may be NULL)
 * then says which. */
static int
operand_text(const struct operand *o, const inn_cond_ctx *ctx, char **out, char *note,
             size_t notelen)
{
	inn_buf b = INN_BUF_INIT(INN_TMPL_MAX_OUTPUT);
	inn_tmpl_env env = { NULL, NULL, NULL, NULL };
	size_t i;
	int rc = 0;

	if (ctx->tmpl != NULL) {
		env = *ctx->tmpl;
		env.bind = NULL; /* values, not shell variables */
	}
	for (i = 0; i < o->n && rc == 0; i++) {
		const struct seg *g = &o->segs[i];
		char *t = NULL;

		switch (g->kind) {
		case SEG_LIT:
			rc = inn_buf_adds(&b, g->text);
			break;
		case SEG_VAR:
			rc = inn_buf_adds(&b, value_text(var_value(ctx, g->text)));
			break;
		case SEG_TMPL:
			if ((rc = inn_tmpl_render_string(&env, g->text, &t)) == 0)
				rc = inn_buf_adds(&b, t);
			else if (unresolved(rc, g, note, notelen))
				rc = inn_buf_adds(&b, g->src);
			else
				rc = inn_error_set(rc, "%s", inn_error_last());
			free(t);
			break;
		}
	}
	if (rc == INN_ETOOBIG || rc == INN_ENOMEM)
		rc = inn_error_set(rc, "a condition's value is too big");
	if (rc != 0) {
		inn_buf_free(&b);
		return rc;
	}
	*out = b.p != NULL ? inn_buf_take(&b) : strdup("");
	return *out != NULL ? 0 : inn_error_set(INN_ENOMEM, "out of memory");
}

/* Non-zero when s is a number as Go's strconv.ParseFloat read it for the
 * original -- decimal (sign, digits, fraction, exponent), NaN (any case,
 * no sign), Inf or Infinity (any case, with a sign or not) -- its value in
 * *d. */
static int
decimal(const char *s, double *d)
{
	const char *p = s;
	char *end;
	int digits = 0;

	if (strcasecmp(s, "nan") == 0) {
		*d = strtod("nan", NULL);
		return 1;
	}
	if (*p == '+' || *p == '-')
		p++;
	if (strcasecmp(p, "inf") == 0 || strcasecmp(p, "infinity") == 0) {
		*d = strtod(s, NULL);
		return 1;
	}
	for (; isdigit((unsigned char)*p); p++)
		digits++;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			digits++;
	if (digits == 0)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p != '\0')
		return 0;
	*d = strtod(s, &end);
	return end == p;
}

/* l OP r for the six comparisons: as numbers when both are numbers (NaN
 * equals nothing and orders with nothing, as in Go), else as bytes. */
static int
compare(enum op op, const char *l, const char *r)
{
	double a, b;
	int c;

	if (decimal(l, &a) && decimal(r, &b)) {
		switch (op) {
		case OP_EQ: return a == b;
		case OP_NE: return a != b;
		case OP_LT: return a < b;
		case OP_LE: return a <= b;
		case OP_GT: return a > b;
		case OP_GE: return a >= b;
		default: return 0;
		}
	}
	c = strcmp(l, r);
	switch (op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	case OP_GT: return c > 0;
	case OP_GE: return c >= 0;
	default: return 0;
	}
}

/* 1 when pattern (c's compiled one, else compiled now: it came from a
 * value) finds a match in subject, 0 when not; INN_EINVAL for a pattern
 * that does not compile or a match that gave up (pattern.h's bounds). */
static int
match(const inn_cond *c, const char *subject, const char *pattern)
{
	inn_pattern *re = c->re;
	char why[256];
	int rc;

	if (re == NULL && (rc = compile_pattern(&re, pattern, " (from a value)")) != 0)
		return rc;
	if ((rc = inn_pattern_match(re, subject, strlen(subject), why, sizeof(why))) < 0)
		rc = inn_error_set(INN_EINVAL, "matches: pattern \"%.80s\": %s", pattern, why);
	if (re != c->re)
		inn_pattern_free(re);
	return rc;
}

/* A binary condition: 1 or 0 with what was compared in detail, or an
 * error from an operand or the pattern. */
static int
eval_binary(const inn_cond *c, const inn_cond_ctx *ctx, char *detail, size_t len)
{
	char *l = NULL, *r = NULL, note[300] = "";
	size_t n;
	int rc;

	if ((rc = operand_text(&c->lhs, ctx, &l, note, sizeof(note))) != 0 ||
	    (rc = operand_text(&c->rhs, ctx, &r, note, sizeof(note))) != 0)
		goto out;
	switch (c->op) {
	case OP_CONTAINS:
		rc = strstr(l, r) != NULL;
		break;
	case OP_STARTS:
		rc = strncmp(l, r, strlen(r)) == 0;
		break;
	case OP_ENDS:
		n = strlen(r);
		rc = strlen(l) >= n && memcmp(l + strlen(l) - n, r, n) == 0;
		break;
	case OP_MATCHES:
		rc = match(c, l, r);
		break;
	default:
		rc = compare(c->op, l, r);
		break;
	}
	if (rc >= 0)
		snprintf(detail, len, "\"%.*s%s\" %s \"%.*s%s\"%s%s", DETAIL_VALUE_MAX, l,
		         strlen(l) > DETAIL_VALUE_MAX ? "..." : "", op_names[c->op],
		         DETAIL_VALUE_MAX, r, strlen(r) > DETAIL_VALUE_MAX ? "..." : "",
		         note[0] ? "; " : "", note);
out:
	free(l);
	free(r);
	return rc;
}

/* A condition without an operator: a variable alone, a template keeping
 * its type, or text, true by inn_tmpl_truthy. */
static int
eval_truthy(const inn_cond *c, const inn_cond_ctx *ctx, char *detail, size_t len)
{
	const struct operand *o = &c->lhs;
	json_object *v = NULL;
	char *t = NULL;
	int rc;

	if (o->n == 1 && o->segs[0].kind == SEG_VAR) {
		json_object *val = var_value(ctx, o->segs[0].text);

		if (val == NULL) {
			snprintf(detail, len, "%s is not set", o->segs[0].text);
			return 0;
		}
		rc = inn_tmpl_truthy(val);
		snprintf(detail, len, "%s is \"%.*s\"", o->segs[0].text, DETAIL_VALUE_MAX,
		         value_text(val));
		return rc;
	}
	if (o->n == 1 && o->segs[0].kind == SEG_TMPL) {
		inn_tmpl_env env = *ctx->tmpl;

		env.bind = NULL;
		if ((rc = inn_tmpl_render_value(&env, o->segs[0].text, &v)) != 0)
			return unresolved(rc, &o->segs[0], detail, len) ? INN_COND_UNRESOLVED : rc;
		rc = inn_tmpl_truthy(v);
		json_object_put(v);
		return rc;
	}
	if ((rc = operand_text(o, ctx, &t, detail, len)) != 0)
		return rc;
	if (detail[0] != '\0') {
		free(t);
		return INN_COND_UNRESOLVED;
	}
	v = json_object_new_string(t);
	rc = v != NULL ? inn_tmpl_truthy(v) : inn_error_set(INN_ENOMEM, "out of memory");
	snprintf(detail, len, "\"%.*s\"", DETAIL_VALUE_MAX, t);
	json_object_put(v);
	free(t);
	return rc;
}

int
inn_cond_eval(const inn_cond *c, const inn_cond_ctx *ctx, char *detail, size_t len)
{
	inn_state st;

	if (len > 0)
		detail[0] = '\0';
	switch (c->kind) {
	case N_BOOL:
		return c->value;
	case N_TRUTHY:
		return eval_truthy(c, ctx, detail, len);
	case N_BINARY:
		return eval_binary(c, ctx, detail, len);
	case N_STATUS:
		st = ctx->step_state != NULL ? ctx->step_state(ctx->ud, c->step)
		                             : INN_STATE_PENDING;
		if (st == INN_STATE_TIMED_OUT || st == INN_STATE_CANCELLED)
			st = INN_STATE_FAILED;
		if (st != INN_STATE_SUCCEEDED && st != INN_STATE_FAILED &&
		    st != INN_STATE_SKIPPED)
			return INN_COND_UNKNOWN;
		snprintf(detail, len, "it %s", inn_state_name(st));
		return st == c->status;
	}
	return inn_error_set(INN_EINVAL, "unknown condition");
}
