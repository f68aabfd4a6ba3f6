/*
 * shell_ctx.h - where in a shell script a piece of text lands: plain
 * words, double quotes, single quotes, $'...', a comment, or the body of a
 * here-document.  Shell-mode rendering (tmpl_eval.c) asks it before writing
 * each value reference, so that the reference is one the shell expands
 * wherever the template put it; loaders ask it to warn where no reference
 * can be expanded (a here-document with a quoted delimiter).
 *
 * A scanner of POSIX sh and bash quoting, not a parser: it follows quotes,
 * backslashes, $( ), backquotes, # comments and here-documents (<<, <<-,
 * quoted delimiters), and gives up (reports plain text) when nesting is
 * deeper than it tracks.  It reads text incrementally: feed it the whole
 * text so far each time; it continues where it stopped.
 */
#ifndef INN_CORE_SHELL_CTX_H
#define INN_CORE_SHELL_CTX_H

#include <stddef.h>

typedef enum inn_sh_ctx {
	INN_SH_PLAIN = 0,       /* unquoted (also inside $( ) and backquotes) */
	INN_SH_DQUOTE,          /* inside "..." */
	INN_SH_SQUOTE,          /* inside '...': nothing is expanded */
	INN_SH_ANSIC,           /* inside bash's $'...': nothing is expanded */
	INN_SH_COMMENT,         /* after # up to the end of the line */
	INN_SH_HEREDOC,         /* a here-document body that is expanded (<<EOF) */
	INN_SH_HEREDOC_QUOTED   /* a body that is not (<<'EOF', <<"EOF", <<\EOF) */
} inn_sh_ctx;

#define INN_SH_MAX_NEST 32
#define INN_SH_MAX_HEREDOCS 8
#define INN_SH_DELIM_MAX 64

typedef struct inn_sh_scan {
	size_t pos;                          /* bytes scanned */
	unsigned char stack[INN_SH_MAX_NEST];/* open quotes and substitutions */
	int parens[INN_SH_MAX_NEST];         /* '(' open inside a $( ) frame */
	int depth;
	int lost;                            /* gave up: everything is plain */
	int comment, escape, word_start;
	int fresh;                           /* "$(" was the last thing read */
	char prev;                           /* last character, 0 after an escape */
	int lt;                              /* consecutive '<' */
	/* here-documents announced on the current line, then read in order */
	struct {
		char delim[INN_SH_DELIM_MAX + 1];
		size_t len;
		int quoted, strip_tabs;
	} hd[INN_SH_MAX_HEREDOCS];
	int nhd;
	int word;                            /* reading a delimiter: 1 blanks, 2 word */
	char word_quote;                     /* quote open inside the delimiter word */
	int word_escape;
	int body;                            /* 1-based here-document being read, 0: none */
	size_t line_start;
} inn_sh_scan;

void inn_sh_scan_init(inn_sh_scan *s);
/* Scans text[s->pos .. len) (text is everything so far) and returns the
 * context at its end: where text written next would land. */
inn_sh_ctx inn_sh_scan_feed(inn_sh_scan *s, const char *text, size_t len);

#endif
