/*
 * tmpl_lex.c - the template engine's lexer: splits a template into text,
 * `${path}` references and `{{ action }}`s (applying the "{{-" / "-}}"
 * trim markers and dropping comments), and the words inside an action
 * into tokens for the parser (tmpl_parse.c).
 */
#include <string.h>

#include "error.h"
#include "tmpl_int.h"

/* ---- lexing text, ${...} and {{ ... }} ---------------------------------- */

size_t
inn_t_ref_path_len(const char *s, size_t n)
{
	size_t i = 0;

	int dotted = 0;

	if (n == 0 || !is_alpha(s[0]))
		return 0;
	for (;;) {
		while (i < n && is_seg(s[i]))
			i++;
		if (i < n && s[i] == '.' && i + 1 < n && is_seg(s[i + 1])) {
			i++;
			dotted = 1;
			continue;
		}
		break;
	}
	/* a dot-less ${NAME} is the shell's, never a template */
	return dotted && i < n && s[i] == '}' ? i : 0;
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

int
inn_t_lex_items(struct parser *p)
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
		           (plen = inn_t_ref_path_len(s + i + 2, n - i - 2)) > 0) {
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

int
inn_t_lex_next(struct alex *lx, struct token *t)
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

int
inn_t_lex_peek(struct alex *lx, struct token *t)
{
	size_t pos = lx->pos;
	int rc = inn_t_lex_next(lx, t);

	lx->pos = pos;
	return rc;
}

int
inn_t_tok_is(const struct token *t, const char *word)
{
	return t->kind == T_IDENT && t->len == strlen(word) &&
	       memcmp(t->p, word, t->len) == 0;
}

int
inn_t_expect_end(struct alex *lx)
{
	struct token t;
	int rc;

	if ((rc = inn_t_lex_next(lx, &t)) != 0)
		return rc;
	if (t.kind != T_EOF)
		return inn_error_set(INN_EINVAL, "unexpected \"%.*s\" at offset %zu",
		                     (int)t.len, t.p, t.off + 1);
	return 0;
}
