/*
 * shell_ctx.c - the quoting-context scanner of shell_ctx.h: one character
 * at a time, so that it can stop anywhere (between two template actions)
 * and continue when more text is written.
 */
#include "shell_ctx.h"

#include <ctype.h>
#include <string.h>

/* F_ARITH: $(( )) and (( )), where "<<" is a shift, not a here-document. */
/* A command word that runs the rest of the command in a container, whose
 * shell (sh -c there) has none of this one's environment (a cflags bit). */
#define ELSEWHERE 0x10
/* A reference that is data for the command (an rflags bit, not reported):
 * later evaluating words do not mark it. */
#define DATA 0x40

enum frame { F_PLAIN, F_DQ, F_SQ, F_ANSIC, F_CMDSUB, F_BQ, F_ARITH };

void
inn_sh_scan_init(inn_sh_scan *s)
{
	memset(s, 0, sizeof(*s));
	s->stack[0] = F_PLAIN;
	s->word_start = 1;
	s->wlit = 1;
	s->infn = -1;
}

void
inn_sh_scan_refs(inn_sh_scan *s, unsigned char *flags, size_t cap)
{
	s->rflags = flags;
	s->rcap = cap;
	s->nref = 0;
	s->mark_from = 0;
	s->ic_from = 0;
	s->ref_from = 0;
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
	s->qstart[s->depth] = s->pos + 1;
	/* a $( ) inside an evaluated argument: its output is evaluated too */
	s->cbase[s->depth] = s->cflags[s->depth - 1] & (INN_SH_F_EVAL | INN_SH_F_REMOTE | ELSEWHERE);
	s->cflags[s->depth] = s->cbase[s->depth];
	s->nevals[s->depth] = s->nevals[s->depth - 1];
	s->nwords[s->depth] = 0;
	s->dbrack[s->depth] = 0;
	s->let[s->depth] = 0;
	s->cases[s->depth] = 0;
	s->decl[s->depth] = 0;
	s->shc[s->depth] = 0;
	s->cname[s->depth] = 0;
	s->pipe_first[s->depth] = s->nref;
	if (f == F_CMDSUB) {          /* its first word starts here */
		/* the word around "$( )" goes on after it (R=$(...): still an
		 * assignment): kept for pop() */
		memcpy(s->wsave[s->depth].w, s->w, sizeof(s->w));
		s->wsave[s->depth].wlen = s->wlen;
		s->wsave[s->depth].wref = s->wref;
		s->wsave[s->depth].inword = s->inword;
		s->wsave[s->depth].wlit = s->wlit;
		s->wsave[s->depth].wcomp = s->wcomp;
		s->wsave[s->depth].wredir = s->wredir;
		s->inword = 0;
		s->wlen = 0;
		s->wlit = 1;
		s->wcomp = 0;
	}
}

static void
pop(inn_sh_scan *s)
{
	if (s->depth == 0)
		return;
	if (s->stack[s->depth] == F_CMDSUB && s->wsave[s->depth].inword) {
		memcpy(s->w, s->wsave[s->depth].w, sizeof(s->w));
		s->wlen = s->wsave[s->depth].wlen;
		s->wref = s->wsave[s->depth].wref;
		s->inword = 1;
		s->wlit = s->wsave[s->depth].wlit;
		s->wcomp = s->wsave[s->depth].wcomp;
		s->wredir = s->wsave[s->depth].wredir;
	}
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

static void quoted_char(inn_sh_scan *s, char c, int escaped);

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
		else
			quoted_char(s, c, 0);
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
		else
			quoted_char(s, c, 0);
		if (c == '`')
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

/* A command's name without its folders ("/bin/sh" -> "sh"). */
static void
last_part(const char **w, size_t *n)
{
	size_t i;

	for (i = *n; i > 0; i--)
		if ((*w)[i - 1] == '/') {
			*w += i;
			*n -= i;
			return;
		}
}

int
inn_sh_word_evaluates(const char *w, size_t n)
{
	static const char *const ev[] = {
		"eval", "trap", "bash", "sh", "dash", "zsh", "ksh", "mksh", "ash", "busybox",
		"su", "runuser", "watch", "parallel", "alias", "source", ".", NULL
	};
	/* run a command in a container, or (sudo, doas) with a reset
	 * environment: a shell there has none of this one's variables */
	static const char *const elsewhere[] = {
		"kubectl", "oc", "docker", "podman", "nerdctl", "crictl", "sudo", "doas", NULL
	};
	size_t i;

	last_part(&w, &n);
	if (n == 3 && memcmp(w, "ssh", 3) == 0)
		return INN_SH_F_REMOTE;
	for (i = 0; elsewhere[i] != NULL; i++)
		if (strlen(elsewhere[i]) == n && memcmp(elsewhere[i], w, n) == 0)
			return ELSEWHERE;
	for (i = 0; ev[i] != NULL; i++)
		if (strlen(ev[i]) == n && memcmp(ev[i], w, n) == 0)
			return INN_SH_F_EVAL;
	return 0;
}

/* inn_sh_word_evaluates, and a function of the script whose body
 * evaluates its arguments. */
static int
eval_word(const inn_sh_scan *s, const char *w, size_t n)
{
	int fl = inn_sh_word_evaluates(w, n);
	int i;

	if (fl != 0)
		return fl;
	for (i = 0; i < s->nfn; i++)
		if (s->fn_eval[i] && strlen(s->fn[i]) == n && memcmp(s->fn[i], w, n) == 0)
			return INN_SH_F_EVAL;
	return 0;
}

/* A shell whose -c takes code and whose other arguments are data. */
static int
is_shell(const char *w, size_t n)
{
	static const char *const sh[] = {
		"bash", "sh", "dash", "zsh", "ksh", "mksh", "ash", "su", "runuser",
		"source", ".", NULL
	};
	size_t i;

	last_part(&w, &n);
	for (i = 0; sh[i] != NULL; i++)
		if (strlen(sh[i]) == n && memcmp(sh[i], w, n) == 0)
			return 1;
	return 0;
}

static int
is_word(const char *w, const char *lit)
{
	return strcmp(w, lit) == 0;
}

/* Adds fl to the references registered since index from. */
static void
mark(inn_sh_scan *s, size_t from, unsigned char fl)
{
	size_t i = from;

	/* every reference in [from, mark_to) has mark_fl already: a pipeline
	 * naming sh a thousand times marks each reference once */
	if (s->mark_from == from + 1 && (fl & ~s->mark_fl) == 0)
		i = s->mark_to;
	for (; i < s->nref && i < s->rcap; i++)
		if (!(s->rflags[i] & DATA))
			s->rflags[i] |= fl;
	if (s->mark_from != from + 1 || (fl & ~s->mark_fl) != 0)
		s->mark_fl = fl;
	s->mark_from = from + 1;
	s->mark_to = i;
}

static int assign_word(const inn_sh_scan *s);

/* Adds fl (OPAQUE, COMPUTED) to every reference of frame d's pipeline,
 * data or not, and to those the command registers later. */
static void
refuse(inn_sh_scan *s, int d, unsigned char fl)
{
	size_t from = s->pipe_first[d], i = from;

	if (s->ref_from == from + 1 && (fl & ~s->ref_fl) == 0)
		i = s->ref_to;                  /* linear, as in mark() */
	for (; i < s->nref && i < s->rcap; i++)
		s->rflags[i] |= fl;
	if (s->ref_from != from + 1 || (fl & ~s->ref_fl) != 0)
		s->ref_fl = fl;
	s->ref_from = from + 1;
	s->ref_to = i;
	s->cflags[d] |= fl;
	s->line_flags |= fl;            /* and a here-document body it reads */
}

/* The word just read in frame d (s->w) when it may be the command's
 * name: a computed one (s->wcomp) refuses the command's values.  After a
 * keyword (if, while, !, {, ...) the next word is the name; after a
 * wrapper (sudo, env, exec, timeout, ...) every later word may be. */
static void
command_name(inn_sh_scan *s, int d)
{
	static const char *const wrap[] = {
		"sudo", "doas", "env", "exec", "command", "builtin", "nohup", "time",
		"timeout", "nice", "ionice", "setsid", "stdbuf", "xargs", "chroot",
		"unshare", "nsenter", "flock", "taskset", "coproc", NULL
	};
	static const char *const keyword[] = {
		"if", "then", "else", "elif", "do", "while", "until", "!", "{", NULL
	};
	size_t i;

	if (s->wredir || s->cname[d] == 2 || assign_word(s))
		return;
	for (i = 0; s->cname[d] == 0 && s->wlit && keyword[i] != NULL; i++)
		if (is_word(s->w, keyword[i]))
			return;
	if (s->wcomp && s->wref == s->nref) {
		refuse(s, d, INN_SH_F_COMPUTED);
		s->cname[d] = 2;
		return;
	}
	if (s->wcomp) {
		/* a template value names the command ({{ .tool }} -c ...): the
		 * author chose to run it; the command's other values are refused */
		for (i = s->pipe_first[d]; i < s->wref && i < s->rcap; i++)
			s->rflags[i] |= INN_SH_F_COMPUTED;
		s->cflags[d] |= INN_SH_F_COMPUTED;
		s->line_flags |= INN_SH_F_COMPUTED;
		s->cname[d] = 2;
		return;
	}
	for (i = 0; s->wlit && wrap[i] != NULL; i++)
		if (is_word(s->w, wrap[i])) {
			s->cname[d] = 1;
			return;
		}
	if (s->cname[d] == 0)
		s->cname[d] = 2;
}

/* The innermost frame that reads commands (plain text or a $( )). */
static int
cmd_frame(const inn_sh_scan *s)
{
	int d = s->depth;

	while (d > 0 && s->stack[d] != F_PLAIN && s->stack[d] != F_CMDSUB)
		d--;
	return d;
}

/* A literal word w of frame d ended at brk. */
static void
word_check(inn_sh_scan *s, int d, char brk)
{
	const char *w = s->w;
	int fl;

	if (s->dbrack[d]) {
		if (is_word(w, "-eq") || is_word(w, "-ne") || is_word(w, "-lt") ||
		    is_word(w, "-le") || is_word(w, "-gt") || is_word(w, "-ge"))
			s->dbrack[d] = 2;
		else if (is_word(w, "]]")) {
			if (s->dbrack[d] == 2)
				mark(s, s->dbrack_first[d], INN_SH_F_ARITH);
			s->dbrack[d] = 0;
		}
	} else if (s->nwords[d] == 0 && is_word(w, "[[")) {
		s->dbrack[d] = 1;
		s->dbrack_first[d] = s->nref;
	}
	if (s->nwords[d] == 0 && is_word(w, "let"))
		s->let[d] = 1;
	if (s->nwords[d] == 0 && (is_word(w, "declare") || is_word(w, "typeset") ||
	                          is_word(w, "local") || is_word(w, "export") ||
	                          is_word(w, "readonly")))
		s->decl[d] = 1;
	else if (s->decl[d] && w[0] == '-' && strchr(w, 'i') != NULL)
		s->decl[d] = 2;
	else if (s->decl[d] == 2 && w[0] != '-' && s->nivar < INN_SH_MAX_FUNCS) {
		size_t n = strcspn(w, "=+[");      /* declare -i n[=...] */

		memcpy(s->ivar[s->nivar], w, n);
		s->ivar[s->nivar++][n] = '\0';
	}
	if (s->nwords[d] == 0 && is_word(w, "coproc") && !(s->global_fl & INN_SH_F_OPAQUE)) {
		size_t i;                       /* its pipe to a shell: refuse all */

		s->global_fl |= INN_SH_F_OPAQUE;
		for (i = 0; i < s->nref && i < s->rcap; i++)
			s->rflags[i] |= INN_SH_F_OPAQUE;
	}
	if (strncmp(w, "/dev/fd/", 8) == 0 ||
	    (strncmp(w, "/proc/", 6) == 0 && strstr(w, "/fd/") != NULL))
		refuse(s, d, INN_SH_F_OPAQUE);
	if (s->nwords[d] == 0 && is_word(w, "case") && s->cases[d] < 255)
		s->cases[d]++;
	else if (s->nwords[d] == 0 && is_word(w, "esac") && s->cases[d] > 0)
		s->cases[d]--;
	if (s->wredir) {
		/* a redirection's target is no argument */
	} else if (s->shc[d] == 1 && w[0] == '-' && w[1] != '-' && strchr(w, 'c') != NULL)
		s->shc[d] = 2;                  /* the next word is the code */
	else if (s->shc[d] == 1 && w[0] != '-' && !s->shc_user[d])
		s->shc[d] = 3;                  /* a script file: the rest is data */
	else if (s->shc[d] == 2)
		s->shc[d] = 3;
	if ((fl = eval_word(s, w, s->wlen)) == ELSEWHERE) {
		s->cflags[d] |= ELSEWHERE;
	} else if (fl != 0) {
		if (s->cflags[d] & ELSEWHERE)
			fl = INN_SH_F_REMOTE;
		if (s->nevals[d] < 255)
			s->nevals[d]++;
		if (s->nevals[d] >= 2)
			fl |= INN_SH_F_NESTED;
		s->cflags[d] |= (unsigned char)fl;
		s->line_flags |= (unsigned char)fl;
		mark(s, s->pipe_first[d], (unsigned char)fl);
		if (is_shell(w, s->wlen) && s->shc[d] == 0) {
			s->shc[d] = 1;
			/* su USER -c CODE: a word before -c is the user */
			s->shc_user[d] = is_word(w + s->wlen - (s->wlen >= 2 ? 2 : 0), "su") ||
			                 (s->wlen >= 7 && is_word(w + s->wlen - 7, "runuser"));
		}
		if (s->infn >= 0)
			s->fn_eval[s->infn] = 1;
	}
	if (is_word(w, "{")) {
		s->braces++;
	} else if (is_word(w, "}")) {
		s->braces--;
		if (s->infn >= 0 && s->braces <= s->fn_braces)
			s->infn = -1;
	} else if ((brk == '(' || is_word(s->lastword, "function")) && s->infn < 0 &&
	           strchr(w, '=') == NULL && s->nfn < INN_SH_MAX_FUNCS) {
		memcpy(s->fn[s->nfn], w, s->wlen + 1);   /* a function definition */
		s->fn_eval[s->nfn] = 0;
		s->infn = s->nfn++;
		s->fn_braces = s->braces;
	}
	memcpy(s->lastword, w, s->wlen + 1);
}

/* The word being read in frame d ended at brk; a command separator ends
 * the simple command (and, unless it is a pipe, the pipeline). */
static void
word_end(inn_sh_scan *s, int d, char brk, char prev)
{
	if (s->inword) {
		s->w[s->wlen] = '\0';
		if (s->wlit && s->wlen > 0)
			word_check(s, d, brk);
		else
			s->lastword[0] = '\0';
		command_name(s, d);
		if (s->nwords[d] < 255)
			s->nwords[d]++;
	}
	s->inword = 0;
	s->wlen = 0;
	s->wlit = 1;
	s->wcomp = 0;
	s->wredir = 0;
	if (s->dbrack[d] || !(brk == ';' || brk == '&' || brk == '\n' || brk == '|' ||
	                      brk == '(' || brk == ')'))
		return;
	if (((brk == '&' || brk == '(') && (prev == '>' || prev == '<')) ||
	    (brk == '(' && prev == '='))
		return;                 /* >&2, <&3, <( ), a=( ): no separator */
	s->cname[d] = 0;
	s->cflags[d] = s->cbase[d];
	s->nevals[d] = d > 0 ? s->nevals[d - 1] : 0;
	s->nwords[d] = 0;
	s->let[d] = 0;
	s->decl[d] = 0;
	s->shc[d] = 0;
	if ((brk != '|' || prev == '|') && !(brk == '&' && prev == '|'))
		s->pipe_first[d] = s->nref;       /* |& is a pipe too */
}

/* One character c of a word in frame d: kind W_LIT (part of the word
 * after quote removal), W_QUOTE (a quote or backslash: removed), W_EXP
 * (an expansion: $, $( ), `...`: the word is computed). */
enum { W_QUOTE, W_LIT, W_EXP };
static void
word_add(inn_sh_scan *s, char c, int kind)
{
	int d = cmd_frame(s);

	if (!s->inword) {
		s->wredir = s->redir;
		s->redir = 0;
		s->wref = s->nref;
	}
	s->inword = 1;
	if (kind == W_QUOTE)
		return;
	if (kind == W_EXP)
		s->wcomp = 1;
	if (kind == W_EXP || s->wlen >= INN_SH_WORD_MAX) {
		s->wlit = 0;
		return;
	}
	/* declare -a "a=( ...": bash parses the argument as code */
	if (c == '(' && s->wlen > 0 && s->w[s->wlen - 1] == '=' && s->decl[d])
		refuse(s, d, INN_SH_F_OPAQUE);
	s->w[s->wlen++] = c;
}

/* c inside '...' or "..." (not the quote itself): part of the word being
 * read when the quote is in a command frame. */
static void
quoted_char(inn_sh_scan *s, char c, int escaped)
{
	int below = s->depth > 0 ? s->stack[s->depth - 1] : -1;

	if (below != F_PLAIN && below != F_CMDSUB)
		return;
	if (frame(s) == F_DQ && !escaped && (c == '$' || c == '`'))
		word_add(s, c, W_EXP);
	else
		word_add(s, c, W_LIT);
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
		if (++s->lt == 3)
			s->redir = 2;           /* <<<: the next word is a here-string */
	} else {
		if (s->lt == 2 && s->nhd < INN_SH_MAX_HEREDOCS && s->body == 0) {
			memset(&s->hd[s->nhd], 0, sizeof(s->hd[s->nhd]));
			s->hd[s->nhd].strip_tabs = c == '-';
			s->word = 1;
			s->word_quote = 0;
			s->word_escape = 0;
			s->lt = 0;
			s->redir = 0;
			if (c == '-' || delim_char(s, c))
				return;
		}
		s->lt = 0;
	}
	/* >&N, >&$fd: a write to a descriptor the script opened (exec 3>,
	 * coproc): what reads it cannot be followed */
	if (s->gt == 3 && isdigit((unsigned char)c))
		refuse(s, s->depth, INN_SH_F_OPAQUE);
	else if (s->gt == 2 && (c == '$' || c == '`' || c == '"' || c == '\'' ||
	                        (isdigit((unsigned char)c) && c != '1' && c != '2')))
		refuse(s, s->depth, INN_SH_F_OPAQUE);
	s->gt = c == '>' ? 1 : c == '&' && s->gt == 1 ? 2 : s->gt == 2 && is_blank(c) ? 2 :
	        s->gt == 2 && isdigit((unsigned char)c) ? 3 : 0;
	if (c == '(' && prev == '=' && s->decl[s->depth])
		refuse(s, s->depth, INN_SH_F_OPAQUE);   /* declare -a a=( ... ) */
	if (c == '(' && (prev == '$' || prev == '('))
		word_add(s, c, prev == '$' ? W_EXP : W_QUOTE);
	else if (is_break(c))
		word_end(s, s->depth, c, prev);
	else if (c == '`')
		word_add(s, c, W_EXP);
	else if (c == '\\' || c == '\'' || c == '"')
		word_add(s, c, W_QUOTE);
	else if (!(c == '#' && s->word_start))
		word_add(s, c, c == '$' ? W_EXP : W_LIT);
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
		} else if (prev == '<' || prev == '>') {
			/* <( ) >( ): another process reads or runs the text,
			 * or what this command writes to it (echo v > >(sh)) */
			refuse(s, s->depth, INN_SH_F_OPAQUE);
			push(s, F_CMDSUB);
			s->cbase[s->depth] |= INN_SH_F_OPAQUE;
			s->cflags[s->depth] = s->cbase[s->depth];
			s->redir = 0;
		} else if (f == F_CMDSUB) {
			s->parens[s->depth]++;
		}
	} else if (c == ')' && f == F_CMDSUB) {
		if (s->parens[s->depth] > 0) {
			s->parens[s->depth]--;
		} else if (s->cases[s->depth] > 0) {
			/* the end of a case pattern, not of the $( ) */
		} else {
			pop(s);
			if (s->body == 0 || s->depth != s->body_depth)
				word_add(s, c, W_EXP);  /* the word around "$( )" goes on */
		}
	} else if (c == '#' && s->word_start) {
		s->comment = 1;
	} else if (c == '\n' && unquoted && s->nhd > 0 && s->body == 0) {
		int k;

		for (k = 0; k < s->nhd; k++)
			s->hd[k].flags = s->line_flags;
		s->body = 1;
		s->body_depth = s->depth;
		s->line_start = at + 1;
	}
	if (c == '\n' && unquoted)
		s->line_flags = 0;
	if (c == '<' || c == '>')
		s->redir = s->redir == 2 ? 2 : 1;   /* the next word is its target */
	else if (c == '\n' || c == ';' || c == '|' || (c == '&' && prev != '>' && prev != '<'))
		s->redir = 0;
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
	if (s->body > 0 && s->depth == s->body_depth) {
		/* an unquoted body expands $( ) and `...`: commands again */
		if (s->hd[s->body - 1].quoted) {
			if (c == '\n')
				body_line(s, text, at);
		} else if (s->escape) {
			s->escape = 0;
			s->prev = 0;
		} else if (c == '\\') {
			s->escape = 1;
		} else if (c == '\n') {
			body_line(s, text, at);
		} else if ((c == '(' && prev == '$') || c == '`') {
			push(s, c == '`' ? F_BQ : F_CMDSUB);
			s->fresh = c == '(';
			/* what a body fed to sh runs, it runs with what this writes */
			s->cbase[s->depth] = s->hd[s->body - 1].flags;
			s->cflags[s->depth] = s->cbase[s->depth];
		}
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
		if (c != '\n' && (f == F_PLAIN || f == F_CMDSUB))
			word_add(s, c, W_LIT);  /* \bash is bash */
		else if (c != '\n' && f == F_DQ)
			quoted_char(s, c, 1);
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
	if (s->body > 0 && s->depth == s->body_depth)
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

/* Adds INN_SH_F_NESTED when text[from .. len) (the quoted text or line a
 * value is evaluated from) runs an evaluating command itself, and
 * INN_SH_F_ARITH when it does arithmetic ("((", "let", "-eq", "a[").  A
 * word-level look, not a parse: it errs towards the flags. */
static unsigned char
inner_flags(inn_sh_scan *s, const char *text, size_t from, size_t len)
{
	unsigned char fl = 0;
	size_t i, b, k, resume = len;

	/* the text grows between calls: go on where the last call stopped */
	if (s->ic_from != from + 1 || s->ic_pos > len) {
		s->ic_from = from + 1;
		s->ic_pos = from;
		s->ic_fl = 0;
	}
	i = s->ic_pos;
	for (k = i > from ? i - 1 : from; k + 1 < len; k++)
		if (text[k] == '(' && text[k + 1] == '(')
			fl |= INN_SH_F_ARITH;
	while (i < len) {
		while (i < len && !(isalnum((unsigned char)text[i]) || text[i] == '_' ||
		                    text[i] == '/' || text[i] == '-' || text[i] == '.'))
			i++;
		b = i;
		while (i < len && (isalnum((unsigned char)text[i]) || text[i] == '_' ||
		                   text[i] == '/' || text[i] == '-' || text[i] == '.'))
			i++;
		if (i == b)
			break;
		if (i == len)
			resume = b;           /* it may go on: read it again next time */
		if (eval_word(s, text + b, i - b) & (INN_SH_F_EVAL | INN_SH_F_REMOTE))
			fl |= INN_SH_F_NESTED;
		if ((i - b == 3 && memcmp(text + b, "let", 3) == 0) ||
		    (i - b == 3 && text[b] == '-' &&
		     (memcmp(text + b, "-eq", 3) == 0 || memcmp(text + b, "-ne", 3) == 0 ||
		      memcmp(text + b, "-lt", 3) == 0 || memcmp(text + b, "-le", 3) == 0 ||
		      memcmp(text + b, "-gt", 3) == 0 || memcmp(text + b, "-ge", 3) == 0)) ||
		    (i < len && text[i] == '['))
			fl |= INN_SH_F_ARITH;
	}
	s->ic_pos = resume;
	s->ic_fl |= fl;
	return s->ic_fl;
}

/* The word being read starts NAME= (an assignment, or env's argument). */
static int
assign_word(const inn_sh_scan *s)
{
	size_t i;

	if (!s->inword || s->wlen == 0 || !(isalpha((unsigned char)s->w[0]) || s->w[0] == '_'))
		return 0;
	for (i = 1; i < s->wlen && (isalnum((unsigned char)s->w[i]) || s->w[i] == '_'); i++)
		;
	return i < s->wlen && (s->w[i] == '=' || (s->w[i] == '+' && i + 1 < s->wlen &&
	                                          s->w[i + 1] == '='));
}

/* The word being read is "NAME=" or "NAME+=" for a variable the script
 * declared -i (f: the frame; a quote inside the word is fine). */
static int
int_assign(const inn_sh_scan *s, int f)
{
	size_t n;
	int i;

	if (!s->inword || s->wlen == 0 || (f != F_PLAIN && f != F_CMDSUB && f != F_DQ))
		return 0;
	n = strcspn(s->w, "+=");
	if (n == 0 || n >= s->wlen || (s->w[n] == '+' && (n + 1 >= s->wlen || s->w[n + 1] != '=')))
		return 0;
	for (i = 0; i < s->nivar; i++)
		if (strlen(s->ivar[i]) == n && memcmp(s->ivar[i], s->w, n) == 0)
			return 1;
	return 0;
}

/* text (len bytes) ends inside ${name:offset[:length] or $[ ... on its
 * line: bash evaluates that part as arithmetic. */
static int
expansion_arith(const char *text, size_t len)
{
	size_t i = len, k;

	while (i > 0 && text[i - 1] != '\n' && text[i - 1] != '}' && text[i - 1] != ']') {
		i--;
		if (text[i] == '[' && i > 0 && text[i - 1] == '$')
			return 1;
		if (text[i] != '{' || i == 0 || text[i - 1] != '$')
			continue;
		k = i + 1;                     /* ${name: not :- := :+ :? */
		if (k < len && (isalpha((unsigned char)text[k]) || text[k] == '_'))
			while (k < len && (isalnum((unsigned char)text[k]) || text[k] == '_'))
				k++;
		else if (k < len && (isdigit((unsigned char)text[k]) || text[k] == '@' ||
		                     text[k] == '*'))
			k++;
		else
			return 0;
		return k < len && text[k] == ':' &&
		       !(k + 1 < len && strchr("-=+?", text[k + 1]) != NULL);
	}
	return 0;
}

size_t
inn_sh_scan_ref(inn_sh_scan *s, const char *text, size_t len)
{
	int d = cmd_frame(s), f = frame(s);
	int here_string = (s->inword ? s->wredir : s->redir) == 2;
	unsigned char fl = 0;

	if (s->lost) {
		fl = 0;
	} else if (s->body > 0 && s->depth == s->body_depth) {
		fl = s->hd[s->body - 1].flags;
		if (fl != 0)
			fl |= inner_flags(s, text, s->line_start, len);
	} else if (!s->comment) {
		if (!s->inword && (f == F_PLAIN || f == F_CMDSUB)) {
			s->wredir = s->redir;   /* the value starts a word */
			s->redir = 0;
			s->wref = s->nref;
			s->inword = 1;
		}
		fl = s->cflags[d] & (unsigned char)~ELSEWHERE;
		/* data: NAME=value before any evaluating word, or an argument
		 * after a shell's code or script (unless evaluated twice) */
		if ((!(fl & (INN_SH_F_EVAL | INN_SH_F_REMOTE)) && assign_word(s)) ||
		    (s->shc[d] == 3 && s->nevals[d] <= 1 && !here_string &&
		     !(s->cbase[d] & (INN_SH_F_EVAL | INN_SH_F_REMOTE))))
			fl = (fl & (unsigned char)~(INN_SH_F_EVAL | INN_SH_F_REMOTE)) | DATA;
		if (f == F_ARITH || s->let[d])
			fl |= INN_SH_F_ARITH;
		if ((fl & (INN_SH_F_EVAL | INN_SH_F_REMOTE)) && f != F_PLAIN && f != F_CMDSUB)
			fl |= inner_flags(s, text, s->qstart[s->depth], len);
		if (s->decl[d] == 2 || int_assign(s, f))
			fl |= INN_SH_F_ARITH;
		/* declare -a $v gives a name (v='a=($(cmd))' runs cmd): only a
		 * value after NAME= is data there */
		if (s->decl[d] && s->nwords[d] > 0 &&
		    !(s->inword && memchr(s->w, '=', s->wlen) != NULL))
			fl |= INN_SH_F_OPAQUE;
		if (f != F_SQ && f != F_ANSIC && expansion_arith(text, len))
			fl |= INN_SH_F_ARITH;
		/* name[ ... : a subscript (not inside '...' that stays text) */
		if (len >= 2 && text[len - 1] == '[' &&
		    (isalnum((unsigned char)text[len - 2]) || text[len - 2] == '_') &&
		    !((f == F_SQ || f == F_ANSIC) && !(fl & INN_SH_F_EVAL)))
			fl |= INN_SH_F_ARITH;
	}
	if (!s->lost)
		fl |= s->global_fl;
	if (s->nref >= s->rcap)
		return (size_t)-1;
	s->rflags[s->nref] = fl;
	return s->nref++;
}
