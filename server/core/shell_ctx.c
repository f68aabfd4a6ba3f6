/*
 * shell_ctx.c - the quoting-context scanner of shell_ctx.h: one character
 * at a time, so that it can stop anywhere (between two template actions)
 * and continue when more text is written.
 */
#include "shell_ctx.h"

#include <string.h>

/* F_ARITH: $(( )) and (( )), where "<<" is a shift, not a here-document. */
enum frame { F_PLAIN, F_DQ, F_SQ, F_ANSIC, F_CMDSUB, F_BQ, F_ARITH };

void
inn_sh_scan_init(inn_sh_scan *s)
{
	memset(s, 0, sizeof(*s));
	s->stack[0] = F_PLAIN;
	s->word_start = 1;
}

static int
frame(const inn_sh_scan *s)
{
	return s->stack[s->depth];
}

static void
push(inn_sh_scan *s, int f)
{
	if (s->depth + 1 >= INN_SH_MAX_NEST) {
		s->lost = 1;
		return;
	}
	s->stack[++s->depth] = (unsigned char)f;
	s->parens[s->depth] = 0;
}

static void
pop(inn_sh_scan *s)
{
	if (s->depth > 0)
		s->depth--;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Characters that end a word (and so start the next one). */
static int
is_break(char c)
{
	return is_blank(c) || c == '\n' || c == ';' || c == '|' || c == '&' ||
	       c == '(' || c == ')' || c == '<' || c == '>';
}

/* One character of a here-document delimiter word (after "<<" / "<<-"). */
static int
delim_char(inn_sh_scan *s, char c)
{
	int i = s->nhd;

	if (s->word == 1) {
		if (is_blank(c))
			return 1;
		if (c == '\n') {          /* "<<" then nothing: not a here-document */
			s->word = 0;
			return 0;
		}
		s->word = 2;
		s->hd[i].len = 0;
	}
	if (s->word_escape) {
		s->word_escape = 0;
	} else if (s->word_quote != 0) {
		if (c == s->word_quote) {
			s->word_quote = 0;
			return 1;
		}
	} else if (c == '\'' || c == '"') {
		s->word_quote = c;
		s->hd[i].quoted = 1;
		return 1;
	} else if (c == '\\') {
		s->word_escape = 1;
		s->hd[i].quoted = 1;
		return 1;
	} else if (is_break(c)) {
		s->word = 0;
		if (s->hd[i].len > 0)
			s->nhd++;
		return 0;                 /* the break itself is ordinary text */
	}
	if (s->hd[i].len >= INN_SH_DELIM_MAX) {
		s->lost = 1;
		return 1;
	}
	s->hd[i].delim[s->hd[i].len++] = c;
	s->hd[i].delim[s->hd[i].len] = '\0';
	return 1;
}

/* A line of a here-document body ended at text[end]: the delimiter? */
static void
body_line(inn_sh_scan *s, const char *text, size_t end)
{
	const char *l = text + s->line_start;
	size_t n = end - s->line_start;
	int i = s->body - 1;

	if (s->hd[i].strip_tabs)
		while (n > 0 && *l == '\t') {
			l++;
			n--;
		}
	if (n == s->hd[i].len && memcmp(l, s->hd[i].delim, n) == 0) {
		if (s->body < s->nhd) {
			s->body++;
		} else {
			s->body = 0;
			s->nhd = 0;
		}
	}
	s->line_start = end + 1;
}

/* One character c inside quotes or arithmetic (frame f); 0 when f is
 * neither (plain text or $( ): scan_plain's). */
static int
scan_quoted(inn_sh_scan *s, int f, char c, char prev)
{
	switch (f) {
	case F_ARITH:
		if (c == '(') {
			s->parens[s->depth]++;
		} else if (c == ')') {
			if (s->parens[s->depth] > 0)
				s->parens[s->depth]--;
			else
				pop(s);
		}
		return 1;
	case F_SQ:
		if (c == '\'')
			pop(s);
		return 1;
	case F_ANSIC:
		if (c == '\\')
			s->escape = 1;
		else if (c == '\'')
			pop(s);
		return 1;
	case F_DQ:
		if (c == '\\')
			s->escape = 1;
		else if (c == '"')
			pop(s);
		else if (c == '`')
			push(s, F_BQ);
		else if (c == '(' && prev == '$') {
			push(s, F_CMDSUB);
			s->fresh = 1;
		}
		return 1;
	case F_BQ:
		if (c == '\\')
			s->escape = 1;
		else if (c == '`')
			pop(s);
		else if (c == '\'')
			push(s, F_SQ);
		else if (c == '"')
			push(s, F_DQ);
		return 1;
	}
	return 0;
}

/* One character c of plain text or of a $( ) (frame f): here-document
 * operators, quotes and parentheses opening, comments, the end of a line
 * that starts here-document bodies.  c is text[at], prev the character
 * before it; fresh: c follows a "$(" just opened. */
static void
scan_plain(inn_sh_scan *s, size_t at, char c, char prev, int f, int fresh)
{
	int unquoted = f == F_PLAIN || f == F_CMDSUB;

	if (c == '<') {
		s->lt++;
	} else {
		if (s->lt == 2 && s->nhd < INN_SH_MAX_HEREDOCS) {
			memset(&s->hd[s->nhd], 0, sizeof(s->hd[s->nhd]));
			s->hd[s->nhd].strip_tabs = c == '-';
			s->word = 1;
			s->word_quote = 0;
			s->word_escape = 0;
			s->lt = 0;
			if (c == '-' || delim_char(s, c))
				return;
		}
		s->lt = 0;
	}
	if (c == '\\') {
		s->escape = 1;
	} else if (c == '\'') {
		push(s, prev == '$' ? F_ANSIC : F_SQ);
	} else if (c == '"') {
		push(s, F_DQ);
	} else if (c == '`') {
		push(s, F_BQ);
	} else if (c == '(') {
		if (prev == '$') {
			push(s, F_CMDSUB);
			s->fresh = 1;
		} else if (prev == '(' && f == F_CMDSUB && fresh) {
			s->stack[s->depth] = F_ARITH;   /* "$((": two ')' close it */
			s->parens[s->depth] = 1;
		} else if (prev == '(') {
			push(s, F_ARITH);               /* "((" */
			s->parens[s->depth] = 1;
		} else if (f == F_CMDSUB) {
			s->parens[s->depth]++;
		}
	} else if (c == ')' && f == F_CMDSUB) {
		if (s->parens[s->depth] > 0)
			s->parens[s->depth]--;
		else
			pop(s);
	} else if (c == '#' && s->word_start) {
		s->comment = 1;
	} else if (c == '\n' && unquoted && s->nhd > 0) {
		s->body = 1;
		s->line_start = at + 1;
	}
	s->word_start = is_break(c);
}

/* Moves the scanner over text[at]. */
static void
scan_char(inn_sh_scan *s, const char *text, size_t at)
{
	char c = text[at], prev = s->prev;
	int f = frame(s), fresh = s->fresh;

	s->fresh = 0;

	s->prev = c;
	if (s->body > 0) {
		if (c == '\n')
			body_line(s, text, at);
		return;
	}
	if (s->comment) {
		if (c != '\n')
			return;
		s->comment = 0;
	}
	if (s->word != 0 && delim_char(s, c))
		return;
	if (s->escape) {
		s->escape = 0;
		s->prev = 0;
		s->word_start = 0;
		return;
	}
	if (!scan_quoted(s, f, c, prev))
		scan_plain(s, at, c, prev, f, fresh);
}

inn_sh_ctx
inn_sh_scan_feed(inn_sh_scan *s, const char *text, size_t len)
{
	for (; s->pos < len && !s->lost; s->pos++)
		scan_char(s, text, s->pos);
	s->pos = len;
	if (s->lost)
		return INN_SH_PLAIN;
	if (s->body > 0)
		return s->hd[s->body - 1].quoted ? INN_SH_HEREDOC_QUOTED : INN_SH_HEREDOC;
	if (s->comment)
		return INN_SH_COMMENT;
	switch (frame(s)) {
	case F_DQ: return INN_SH_DQUOTE;
	case F_SQ: return INN_SH_SQUOTE;
	case F_ANSIC: return INN_SH_ANSIC;
	}
	return INN_SH_PLAIN;
}
