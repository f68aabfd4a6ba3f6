/*
 * tmpl_shell.c - shell mode's reading of a template (tmpl_int.h): where
 * each value action lands in the script the shell will see (quoted,
 * re-evaluated, arithmetic, a quoted here-document), found with
 * shell_ctx.c over the text with every branch of if/range flattened, and
 * what shell mode refuses there (inn_tmpl_shell_problem).  Used by the
 * evaluator (tmpl_eval.c) and the lint (tmpl.c).
 */
#include "tmpl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "shell_ctx.h"
#include "tmpl_int.h"

/* Value actions in a template flattened the way shell mode writes it
 * (every branch of if and range once, in order). */
static size_t
count_outs(const struct list *l, int depth)
{
	size_t i, j, n = 0;

	if (depth > INN_TMPL_MAX_DEPTH + 1)
		return 0;
	for (i = 0; i < l->n; i++) {
		const struct node *nd = l->v[i];

		if (nd->kind == N_OUT)
			n++;
		else if (nd->kind == N_IF) {
			for (j = 0; j < nd->nbranch; j++)
				n += count_outs(&nd->bodies[j], depth + 1);
			n += count_outs(&nd->alt, depth + 1);
		} else if (nd->kind == N_RANGE) {
			n += count_outs(&nd->body, depth + 1) + count_outs(&nd->alt, depth + 1);
		}
	}
	return n;
}

static int walk_list(const struct list *l, inn_buf *b, inn_sh_scan *sh,
                     struct inn_t_shref *refs, size_t *n, int depth);

/* The branches of an if (or a range's body and else) are alternatives:
 * each is scanned from the text before it, as the shell would read it
 * when that branch is the one written; the scan goes on after the last. */
static int
walk_branches(const struct node *nd, inn_buf *b, inn_sh_scan *sh, struct inn_t_shref *refs,
              size_t *n, int depth)
{
	inn_sh_scan *save = malloc(sizeof(*save));
	size_t blen, j, nb = nd->kind == N_IF ? nd->nbranch + 1 : 2, nref;
	int rc = 0;

	if (save == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	(void)inn_sh_scan_feed(sh, b->p ? b->p : "", b->len);
	*save = *sh;
	blen = b->len;
	for (j = 0; rc == 0 && j < nb; j++) {
		const struct list *l = nd->kind == N_RANGE ? (j == 0 ? &nd->body : &nd->alt)
		                       : j < nd->nbranch ? &nd->bodies[j] : &nd->alt;

		if (j > 0) {
			nref = sh->nref;
			*sh = *save;
			sh->nref = nref;
			b->len = blen;
		}
		rc = walk_list(l, b, sh, refs, n, depth + 1);
	}
	free(save);
	return rc;
}

static int
walk_list(const struct list *l, inn_buf *b, inn_sh_scan *sh, struct inn_t_shref *refs,
          size_t *n, int depth)
{
	size_t i;
	int rc = 0;

	if (depth > INN_TMPL_MAX_DEPTH + 1)
		return 0;
	for (i = 0; rc == 0 && i < l->n; i++) {
		const struct node *nd = l->v[i];

		switch (nd->kind) {
		case N_TEXT:
			rc = inn_t_put(b, nd->text, nd->len);
			break;
		case N_OUT:
			refs[*n].nd = nd;
			refs[*n].ctx = inn_sh_scan_feed(sh, b->p ? b->p : "", b->len);
			(void)inn_sh_scan_ref(sh, b->p ? b->p : "", b->len);
			(*n)++;
			rc = inn_t_puts(b, "${V}");
			break;
		case N_IF:
		case N_RANGE:
			rc = walk_branches(nd, b, sh, refs, n, depth);
			break;
		}
	}
	return rc;
}

int
inn_t_shell_refs(const struct list *root, struct inn_t_shref **out, size_t *nout,
                 inn_buf *skel)
{
	inn_buf b = INN_BUF_INIT(INN_TMPL_MAX_OUTPUT);
	struct inn_t_shref *refs = NULL;
	unsigned char *fl = NULL;
	size_t cap = count_outs(root, 0), n = 0, i;
	inn_sh_scan sh;
	int rc;

	*out = NULL;
	*nout = 0;
	refs = calloc(cap + 1, sizeof(*refs));
	fl = calloc(cap + 1, 1);
	if (refs == NULL || fl == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	inn_sh_scan_init(&sh);
	inn_sh_scan_refs(&sh, fl, cap);
	if ((rc = walk_list(root, &b, &sh, refs, &n, 0)) != 0)
		goto out;
	/* later words mark earlier values; the newline ends the last word */
	if ((rc = inn_t_put(&b, "\n", 1)) != 0)
		goto out;
	(void)inn_sh_scan_feed(&sh, b.p ? b.p : "", b.len);
	for (i = 0; i < n; i++)
		refs[i].flags = (fl[i] & (INN_TMPL_SH_EVAL | INN_TMPL_SH_REMOTE | INN_TMPL_SH_NESTED |
		                          INN_TMPL_SH_ARITH)) |
		                (fl[i] & INN_SH_F_OPAQUE ? INN_TMPL_SH_OPAQUE : 0) |
		                (fl[i] & INN_SH_F_COMPUTED ? INN_TMPL_SH_COMPUTED : 0);
	*out = refs;
	*nout = n;
	refs = NULL;
	if (skel != NULL) {
		*skel = b;
		b = (inn_buf)INN_BUF_INIT(INN_TMPL_MAX_OUTPUT);
	}
out:
	free(refs);
	free(fl);
	inn_buf_free(&b);
	return rc;
}

const char *
inn_tmpl_shell_problem(unsigned kind, const char *value, size_t len)
{
	size_t i = 0;

	if (kind & INN_TMPL_SH_BAD_SUBST)
		return "not a template reference (a reference is ${root.path} with nothing "
		       "else inside the braces; no blanks, no :-default: use {{ .root.path | "
		       "default \"x\" }}), and bash stops on it with \"bad substitution\" "
		       "(for the literal text put it in '...')";
	if (kind & INN_TMPL_SH_REMOTE)
		return "the value would be evaluated as shell code by a shell elsewhere "
		       "(ssh's remote shell, sh -c in kubectl/docker exec) or after sudo/doas "
		       "(which reset the environment), which has no copy of it: give it to the step through env: and quote it for the other "
		       "side yourself (\"$(printf '%q' \"$VAR\")\")";
	if (kind & INN_TMPL_SH_COMPUTED)
		return "the command is computed: innominatus cannot tell whether it evaluates "
		       "its arguments; pass the value through env: and write \"$VAR\"";
	if (kind & INN_TMPL_SH_OPAQUE)
		return "innominatus cannot follow where the shell sends the value (a process "
		       "substitution <( ) or >( ), a script with coproc, a write to a file "
		       "descriptor other than 1 and 2 (>&3, /dev/fd/N), or a name or =( ) "
		       "argument of declare/local/export, which bash parses as code): pass "
		       "the value through env: and write \"$VAR\"";
	if (kind & INN_TMPL_SH_NESTED)
		return "the value would be evaluated as shell code twice (an evaluating "
		       "command inside the text another one evaluates): give it to the step "
		       "through env: and reference \"$VAR\" in the script";
	if (!(kind & INN_TMPL_SH_ARITH) || value == NULL)
		return NULL;
	if (i < len && value[i] == '-')
		i++;
	if (i == len)
		return "the value is used in shell arithmetic, where bash evaluates it as an "
		       "expression (a[$(cmd)] would run cmd), so it must be an integer; it is empty";
	for (; i < len; i++)
		if (value[i] < '0' || value[i] > '9')
			return "the value is used in shell arithmetic, where bash evaluates it as an "
			       "expression (a[$(cmd)] would run cmd), so it must be an integer "
			       "(-?[0-9]+); it is not";
	return NULL;
}
