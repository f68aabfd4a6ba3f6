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
 * quoted delimiters); quotes start afresh inside a $( ) or `...`, also one
 * inside "..." or an unquoted here-document body; a case pattern's ')'
 * inside $( ) does not close it; it gives up (reports plain text) when nesting is
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
#define INN_SH_WORD_MAX 31
#define INN_SH_MAX_FUNCS 16

/* What the shell does later with a value written at a point
 * (inn_sh_scan_ref), besides expanding it once:
 * EVAL: the word is an argument of a command that evaluates its arguments
 *   as shell code again (trap, eval, source, ., bash/sh/dash/zsh/ksh/ash/mksh/busybox,
 *   su, runuser, watch, parallel, a function of the script whose body
 *   evaluates), anywhere in the simple command (so `env X=1
 *   bash -c`, `timeout 5 sh -c`, `find -exec sh -c`, `xargs sh -c` count),
 *   later in its pipeline (`echo '...' | sh`), inside a $( ) within such
 *   an argument, or in the body of a here-document on a line that runs one
 *   (`bash <<EOF`, `cat <<EOF | sh`).
 * REMOTE: the same for ssh, and for an evaluating command run in a
 *   container (kubectl/oc/docker/podman/nerdctl/crictl ... sh -c) or
 *   behind sudo/doas (which reset the environment): that shell runs
 *   without the value.
 * NESTED: EVAL, and the text it is evaluated from runs an evaluating
 *   command again (bash -c 'eval "..."', eval eval ...): two evaluations.
 * ARITH: shell arithmetic, where bash evaluates a value as an expression
 *   (and a[$(cmd)] in it runs cmd): $(( )), (( )), $[ ], let, an array
 *   subscript name[...], a substring ${name:offset:length}, [[ ... ]] with
 *   -eq -ne -lt -le -gt -ge, declare/typeset/local -i, and an assignment
 *   to a variable the script declared -i.
 * OPAQUE: a place where the scanner cannot tell whether the text is run
 *   as code later, so it is refused: inside a process substitution <( )
 *   or >( ), anywhere in a script that uses coproc, in a command that
 *   writes to a file descriptor other than 1 and 2 (>&3, >&$fd) or to
 *   /dev/fd/... or /proc/.../fd/..., and in the arguments of
 *   declare/typeset/local/readonly/export where it gives a name (no '='
 *   before it: "declare -a $v" runs v='a=($(cmd))') or where an argument
 *   holds a compound assignment "=(".
 * COMPUTED: the command's name is not a literal word (it holds $, a
 *   $( ) or `...`; also a word after a wrapper such as sudo, env, exec,
 *   command, if, !): nobody can tell whether that command evaluates its
 *   arguments, so every value in the command (and its pipeline) is
 *   refused.
 * Command names are matched after quote removal ("bash", 'sh', \bash;
 * a path counts by its last part: /usr/bin/env bash names bash).
 * Flags are decided over the whole text: a command name or operator read
 * after the point still marks the references registered before it. */
#define INN_SH_F_EVAL 1
#define INN_SH_F_REMOTE 2
#define INN_SH_F_NESTED 4
#define INN_SH_F_ARITH 8
#define INN_SH_F_OPAQUE 0x20
#define INN_SH_F_COMPUTED 0x80

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
		unsigned char flags;         /* INN_SH_F_* of the line that announced it */
	} hd[INN_SH_MAX_HEREDOCS];
	int nhd;
	int word;                            /* reading a delimiter: 1 blanks, 2 word */
	char word_quote;                     /* quote open inside the delimiter word */
	int word_escape;
	int body;                            /* 1-based here-document being read, 0: none */
	int body_depth;                      /* the frame the body is read in; deeper:
	                                      * a $( ) or `...` inside an unquoted body */
	size_t line_start;
	/* the word being read in a command frame (plain or $( )) */
	char w[INN_SH_WORD_MAX + 1];
	size_t wlen;
	int inword, wlit;                    /* wlit: literal after quote removal */
	int wcomp;                           /* the word holds $, $( ) or `...` */
	size_t wref;                         /* references registered before it */
	int redir, wredir;                   /* a word after < or >: its target (2: <<<) */
	struct {                             /* the word a $( ) interrupted, per depth */
		char w[INN_SH_WORD_MAX + 1];
		size_t wlen, wref;
		int inword, wlit, wcomp, wredir;
	} wsave[INN_SH_MAX_NEST];
	int gt;                              /* after '>': 1; after ">&": 2; a digit: 3 */
	unsigned char global_fl;             /* flags for every reference: coproc */
	char lastword[INN_SH_WORD_MAX + 1];  /* the word before, for "function f" */
	/* per frame: the current simple command and pipeline */
	unsigned char cflags[INN_SH_MAX_NEST];
	unsigned char cbase[INN_SH_MAX_NEST];    /* inherited from the frame around */
	unsigned char nevals[INN_SH_MAX_NEST];
	unsigned char nwords[INN_SH_MAX_NEST];
	unsigned char dbrack[INN_SH_MAX_NEST];   /* 1: in [[ ]], 2: with -eq ... */
	unsigned char let[INN_SH_MAX_NEST];
	unsigned char cases[INN_SH_MAX_NEST];    /* open case ... esac: ')' ends a pattern */
	size_t pipe_first[INN_SH_MAX_NEST], dbrack_first[INN_SH_MAX_NEST];
	size_t qstart[INN_SH_MAX_NEST];      /* a quote frame's first byte */
	unsigned char line_flags;            /* EVAL/REMOTE seen on this line */
	/* functions the script defines, and whether their body evaluates */
	char fn[INN_SH_MAX_FUNCS][INN_SH_WORD_MAX + 1];
	unsigned char fn_eval[INN_SH_MAX_FUNCS];
	int nfn, infn, fn_braces, braces;
	/* variables given the integer attribute (declare -i n): assigning
	 * to them is arithmetic */
	char ivar[INN_SH_MAX_FUNCS][INN_SH_WORD_MAX + 1];
	int nivar;
	unsigned char decl[INN_SH_MAX_NEST];     /* 1: declare/typeset/local..., 2: with -i */
	unsigned char shc[INN_SH_MAX_NEST];      /* a shell: 1 named, 2 -c read (next:
	                                          * the code), 3 the code (or script
	                                          * file) read: the rest is data */
	unsigned char shc_user[INN_SH_MAX_NEST]; /* su/runuser: other words are the user */
	unsigned char cname[INN_SH_MAX_NEST];    /* 0: the command name comes next, 1:
	                                          * after a wrapper (sudo, env, if ...),
	                                          * 2: named */
	/* caches that keep the work linear: inner_flags' scan of a growing
	 * quote (from + 1, where it stopped, flags) and mark's last range */
	size_t ic_from, ic_pos, mark_from, mark_to, ref_from, ref_to;
	unsigned char ic_fl, mark_fl, ref_fl;
	/* references registered (inn_sh_scan_ref): flags, caller's array */
	unsigned char *rflags;
	size_t nref, rcap;
} inn_sh_scan;

void inn_sh_scan_init(inn_sh_scan *s);
/* Scans text[s->pos .. len) (text is everything so far) and returns the
 * context at its end: where text written next would land. */
inn_sh_ctx inn_sh_scan_feed(inn_sh_scan *s, const char *text, size_t len);
/* What running the command named w (n bytes; a path counts by its last
 * part) does with its arguments: INN_SH_F_EVAL (evaluates them as shell
 * code: eval, trap, bash, sh, source, ., ...), INN_SH_F_REMOTE (ssh), 0x10 (runs them
 * in a container: kubectl, docker, ...; or with a reset environment:
 * sudo, doas), else 0. */
int inn_sh_word_evaluates(const char *w, size_t n);
/* Gives the scanner an array of cap flag bytes (zeroed) for references. */
void inn_sh_scan_refs(inn_sh_scan *s, unsigned char *flags, size_t cap);
/* Registers a value written at the end of text (len bytes, already fed):
 * returns its index in the flags array (later words may add flags to it
 * until the text ends), or (size_t)-1 when the array is full (its flags
 * are then unknown: the caller treats that as an error). */
size_t inn_sh_scan_ref(inn_sh_scan *s, const char *text, size_t len);

#endif
