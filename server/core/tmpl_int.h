/*
 * tmpl_int.h - what the parts of the template engine share, and nothing
 * else includes: the limits, the items and tokens the lexer makes
 * (tmpl_lex.c), the tree the parser builds from them (tmpl_parse.c), and
 * the value helpers (tmpl_value.c) the evaluator (tmpl_eval.c) writes
 * with.  tmpl.c holds the public entry points of tmpl.h.
 *
 * Layers, each calling only those below it:
 *   tmpl.c -> tmpl_eval.c -> tmpl_parse.c -> tmpl_lex.c
 *                  \-----------> tmpl_value.c (text forms, the buffer)
 */
#ifndef INN_CORE_TMPL_INT_H
#define INN_CORE_TMPL_INT_H

#include <stddef.h>

#include <json-c/json.h>

#include "buf.h"
#include "mask.h"
#include "shell_ctx.h"
#include "tmpl.h"

#define MAX_VARS (2 * INN_TMPL_MAX_DEPTH + 2)
#define MAX_TREE_DEPTH 256        /* data nesting we serialise or copy */
#define MAX_STEPS (1UL << 22)     /* node evaluations + range iterations */
#define SRC_SHOWN 80              /* action text quoted in messages */

/* ---- character classes ------------------------------------------------- */

static inline int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Characters of a path segment: hyphens are allowed (create-ns). */
static inline int
is_seg(char c)
{
	return is_alpha(c) || is_digit(c) || c == '-';
}

/* ---- the parsed form ---------------------------------------------------- */

enum fn_id { F_EQ, F_NE, F_NOT, F_AND, F_OR, F_LEN, F_DEFAULT, F_QUOTE, F_NOW };

struct fn_def {
	const char *name;
	enum fn_id id;
	size_t min, max;
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

/* ---- lexing (tmpl_lex.c) ------------------------------------------------ */

/* The template split into text, `${path}` references and `{{ action }}`s. */
enum ikind { I_TEXT, I_REF, I_ACTION };

struct item {
	enum ikind kind;
	const char *p;              /* text, path, or action content */
	size_t len;
	size_t off;                 /* offset of p in the template */
	size_t srcoff, srclen;      /* the whole `${...}` / `{{...}}` */
};

/* The lexer fills items; the parser walks them (pos) and keeps its scope. */
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

/* Tokens inside an action. */
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

/* Length of the dotted path at s (n bytes) if `s` continues a `${` with
 * `path}`, else 0: "${GITEA_TOKEN:-x}" and "${#a}" stay shell text. */
size_t inn_t_ref_path_len(const char *s, size_t n);
/* Splits p->t into p->items, applying the trim markers.  0 or a syntax
 * error (INN_EINVAL, "at offset N"). */
int inn_t_lex_items(struct parser *p);
/* The next token of an action (T_EOF at its end) / the same without
 * consuming it.  0 or INN_EINVAL. */
int inn_t_lex_next(struct alex *lx, struct token *t);
int inn_t_lex_peek(struct alex *lx, struct token *t);
/* Non-zero if t is the identifier word. */
int inn_t_tok_is(const struct token *t, const char *word);
/* 0 if nothing is left in the action, else INN_EINVAL naming what is. */
int inn_t_expect_end(struct alex *lx);

/* ---- parsing (tmpl_parse.c) --------------------------------------------- */

/* Parses a whole template into root (freed with inn_t_free_list); each
 * data path it references is told to fn (if set) on the way.  0, INN_EINVAL
 * (syntax, "at offset N"), INN_ETOOBIG (length, nesting), INN_ENOMEM, or
 * what fn returned; root is empty on failure. */
int inn_t_parse(const char *t, inn_tmpl_ref_fn fn, void *ud, struct list *root);
void inn_t_free_list(struct list *l);

/* ---- shell mode (tmpl.c) ------------------------------------------------ */

/* One value action of a template as shell mode writes it: where it lands
 * (shell_ctx.h) and what the shell does with it later (INN_SH_F_*),
 * decided over the whole template with every if/range branch once. */
struct inn_t_shref {
	const struct node *nd;
	inn_sh_ctx ctx;
	unsigned flags;
};
/* The value actions of root in order (*out malloc'd, *n of them); the
 * script as scanned (values as "${V}") into *skel when skel is not NULL. */
int inn_t_shell_refs(const struct list *root, struct inn_t_shref **out, size_t *n,
                     inn_buf *skel);

/* ---- evaluation (tmpl_eval.c) ------------------------------------------- */

/* Parses and evaluates tmpl: into text (*text), or, when value is set and
 * the template is one lone value action outside shell mode, into the
 * referenced value itself (else a string).  Resets the missing root. */
int inn_t_render(const inn_tmpl_env *env, const char *tmpl, char **text,
                 json_object **value);
/* YAML mode (tmpl_yaml.c): every value action (each `${...}` and each
 * {{ value }}, not if/range, which decide on the real values) writes what
 * fn writes into out -- a placeholder -- given the value and the action's
 * text; the rest as inn_t_render into *text. */
struct inn_t_place {
	int (*fn)(void *ud, json_object *value, const char *action, size_t len, inn_buf *out);
	void *ud;
};
int inn_t_render_placed(const inn_tmpl_env *env, const char *tmpl,
                        const struct inn_t_place *place, char **text);

/* ---- values and text (tmpl_value.c) -------------------------------------- */

/* "a string", "a list", ... for messages. */
const char *inn_t_type_name(json_object *v);
/* Append to a template's bounded buffer; a failure sets the message users
 * see ("rendered text exceeds N bytes", "out of memory"). */
int inn_t_put(inn_buf *b, const char *s, size_t n);
int inn_t_puts(inn_buf *b, const char *s);
/* Appends s as a JSON string literal ("a\"b\n"). */
int inn_t_put_quoted(inn_buf *b, const char *s, size_t n);
/* Appends v as text: strings as they are (quoted when json is set), numbers
 * in decimal, booleans as true/false, null as "" (null in JSON), lists and
 * objects as compact JSON. */
int inn_t_put_value(inn_buf *b, json_object *v, int json, int depth);
/* Equality for eq/ne: numbers by value (3 == 3.0), same types by value,
 * other scalars by their text (3 == "3", null == ""); lists and objects
 * only equal lists and objects. */
int inn_t_values_equal(json_object *a, json_object *b, int *eq);
/* Registers every string and number inside v as a secret. */
int inn_t_mask_tree(inn_masker *m, json_object *v, int depth);

#endif
