/*
 * tmpl_parse.c - the template engine's parser: turns the lexer's items
 * (tmpl_lex.c) into the tree of tmpl_int.h -- text, output, if and range
 * nodes over pipelines of fields, variables, literals and calls -- and
 * checks it: known functions and their arity, declared variables, nesting
 * depth, {{ end }} for every if/range.  Tells the refs callback each data
 * path on the way.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "error.h"
#include "tmpl_int.h"

/* ---- the parsed form ---------------------------------------------------- */

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

static void free_expr(struct expr *e);
INN_PTR_CLEAR(expr_slot_free, struct expr, free_expr)

static void
free_expr(struct expr *e)
{
	if (e == NULL)
		return;
	json_object_put(e->lit);
	free(e->var);
	inn_strv_free(e->segs, e->nsegs);
	inn_array_free(e->args, e->nargs, sizeof(*e->args), expr_slot_free);
	free(e);
}

static void
free_node(struct node *nd)
{
	size_t i;

	if (nd == NULL)
		return;
	free_expr(nd->e);
	for (i = 0; i < nd->nbranch; i++)
		inn_t_free_list(&nd->bodies[i]);
	inn_array_free(nd->conds, nd->nbranch, sizeof(*nd->conds), expr_slot_free);
	free(nd->bodies);
	inn_t_free_list(&nd->body);
	inn_t_free_list(&nd->alt);
	free(nd->kvar);
	free(nd->vvar);
	free(nd);
}

void
inn_t_free_list(struct list *l)
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

static const struct fn_def *
find_fn(const struct token *t)
{
	size_t i;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (inn_t_tok_is(t, fns[i].name))
			return &fns[i];
	return NULL;
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
	inn_buf b = INN_BUF_INIT(INN_TMPL_MAX_LEN);
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
	for (i = 0; rc == 0 && i < e->nsegs; i++)
		if ((i > 0 && (rc = inn_t_put(&b, ".", 1)) != 0) ||
		    (rc = inn_t_puts(&b, e->segs[i])) != 0)
			break;
	if (rc == 0)
		rc = p->ref_fn(p->ref_ud, b.p);
	inn_buf_free(&b);
	return rc;
}

/* Decodes a Go string literal ("..." with escapes, or `raw`). */
static int
parse_string(const struct token *t, json_object **out)
{
	inn_buf b = INN_BUF_INIT(INN_TMPL_MAX_LEN);
	const char *s = t->p + 1;
	size_t n = t->len - 2, i;
	int rc = 0;

	if (t->p[0] == '`') {
		rc = inn_t_put(&b, s, n);
		goto out;
	}
	for (i = 0; rc == 0 && i < n; i++) {
		char c = s[i], u8[4];
		unsigned long cp;
		size_t k, digits;

		if (c != '\\') {
			rc = inn_t_put(&b, &c, 1);
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
			rc = inn_t_put(&b, u8, k);
			continue;
		default:
			goto bad;
		}
		rc = inn_t_put(&b, &c, 1);
	}
out:
	if (rc == 0 && (*out = json_object_new_string_len(b.p ? b.p : "", (int)b.len)) == NULL)
		rc = inn_error_set(INN_ENOMEM, "out of memory");
	inn_buf_free(&b);
	return rc;
bad:
	inn_buf_free(&b);
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
		if (inn_t_tok_is(t, keywords[i]))
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
		if (inn_t_tok_is(t, "true") || inn_t_tok_is(t, "false") || inn_t_tok_is(t, "nil")) {
			if ((e = new_expr(E_LIT, t->off)) == NULL)
				return INN_ENOMEM;
			if (!inn_t_tok_is(t, "nil") &&
			    (e->lit = json_object_new_boolean(inn_t_tok_is(t, "true"))) == NULL)
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
		if ((rc = inn_t_lex_next(lx, &close)) != 0)
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
	if ((rc = inn_t_lex_next(lx, &t)) != 0)
		return rc;
	if (t.kind == T_IDENT && find_fn(&t) != NULL) {
		if ((e = new_expr(E_CALL, t.off)) == NULL)
			return INN_ENOMEM;
		e->fn = find_fn(&t);
		for (;;) {
			if ((rc = inn_t_lex_next(lx, &t)) != 0)
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
	if ((rc = inn_t_lex_peek(lx, &t)) != 0)
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
		if ((rc = inn_t_lex_peek(lx, &t)) != 0)
			goto fail;
		if (t.kind != T_PIPE)
			break;
		inn_t_lex_next(lx, &t);
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

	if ((rc = parse_pipeline(p, lx, &cond)) != 0 || (rc = inn_t_expect_end(lx)) != 0)
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
		if ((rc = inn_t_lex_next(&after, &t)) != 0)
			goto out;
		if (inn_t_tok_is(&t, "if")) {
			if ((rc = parse_pipeline(p, &after, &cond)) != 0 ||
			    (rc = inn_t_expect_end(&after)) != 0)
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

	if ((rc = inn_t_lex_next(&probe, &a)) != 0 || a.kind != T_VAR ||
	    (rc = inn_t_lex_next(&probe, &b)) != 0)
		return rc;
	if (b.kind == T_DECLARE) {
		c = a;
		a.kind = T_EOF;
	} else if (b.kind == T_COMMA) {
		if ((rc = inn_t_lex_next(&probe, &c)) != 0 || (rc = inn_t_lex_next(&probe, &d)) != 0)
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
	    (rc = parse_pipeline(p, lx, &nd->e)) != 0 || (rc = inn_t_expect_end(lx)) != 0)
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
		if ((rc = inn_t_expect_end(&after)) != 0)
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
	if ((rc = inn_t_lex_peek(&lx, &t)) != 0)
		return rc;
	if (t.kind == T_EOF)
		return inn_error_set(INN_EINVAL, "empty action at offset %zu", it->srcoff + 1);
	if (inn_t_tok_is(&t, "end") || inn_t_tok_is(&t, "else")) {
		inn_t_lex_next(&lx, &t);
		if (inn_t_tok_is(&t, "end") && (rc = inn_t_expect_end(&lx)) != 0)
			return rc;
		*term = inn_t_tok_is(&t, "end") ? TERM_END : TERM_ELSE;
		*after = lx;
		return 0;
	}
	if (inn_t_tok_is(&t, "if") || inn_t_tok_is(&t, "range")) {
		inn_t_lex_next(&lx, &t);
		if (++p->depth > INN_TMPL_MAX_DEPTH)
			return inn_error_set(INN_ETOOBIG, "nesting deeper than %d at offset %zu",
			                     INN_TMPL_MAX_DEPTH, it->srcoff + 1);
		if ((nd = new_node(inn_t_tok_is(&t, "if") ? N_IF : N_RANGE, it, p->t)) == NULL)
			return INN_ENOMEM;
		rc = nd->kind == N_IF ? parse_if(p, &lx, nd) : parse_range(p, &lx, nd);
		p->depth--;
	} else {
		struct alex probe = lx;
		struct token d;

		if (t.kind == T_VAR && inn_t_lex_next(&probe, &t) == 0 &&
		    inn_t_lex_next(&probe, &d) == 0 && d.kind == T_DECLARE)
			return inn_error_set(INN_EINVAL,
			                     "variables can only be declared in range at offset %zu",
			                     t.off + 1);
		if ((nd = new_node(N_OUT, it, p->t)) == NULL)
			return INN_ENOMEM;
		if ((rc = parse_pipeline(p, &lx, &nd->e)) == 0)
			rc = inn_t_expect_end(&lx);
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

int
inn_t_parse(const char *t, inn_tmpl_ref_fn fn, void *ud, struct list *root)
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
	if ((rc = inn_t_lex_items(&p)) != 0 || (rc = parse_list(&p, root, &term, &after)) != 0)
		goto out;
	if (term != TERM_EOF)
		rc = inn_error_set(INN_EINVAL, "{{ %s }} without if/range at offset %zu",
		                   term == TERM_END ? "end" : "else", cur_item(&p)->srcoff + 1);
out:
	if (rc != 0)
		inn_t_free_list(root);
	free(p.items);
	return rc;
}
