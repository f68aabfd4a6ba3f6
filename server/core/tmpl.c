/*
 * tmpl.c - the template engine's public entry points (see tmpl.h):
 * rendering one string or a whole tree of them, listing references,
 * the shell-mode lint, and the syntax probe.  The engine itself is in
 * four parts that share tmpl_int.h: tmpl_lex.c (lexer), tmpl_parse.c
 * (parser and tree), tmpl_eval.c (evaluator), tmpl_value.c (values as
 * text).
 */
#include "tmpl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "shell_ctx.h"
#include "tmpl_int.h"
int
inn_tmpl_render_string(const inn_tmpl_env *env, const char *tmpl, char **out)
{
	return inn_t_render(env, tmpl, out, NULL);
}

int
inn_tmpl_render_value(const inn_tmpl_env *env, const char *tmpl, json_object **out)
{
	return inn_t_render(env, tmpl, NULL, out);
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
	if ((rc = inn_t_parse(tmpl, fn, ud, &root)) == 0)
		inn_t_free_list(&root);
	return rc;
}

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
		refs[i].flags = fl[i] & (INN_TMPL_SH_EVAL | INN_TMPL_SH_REMOTE | INN_TMPL_SH_NESTED |
		                         INN_TMPL_SH_ARITH);
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

/* A "${" that the shell expands (not in '...', a quoted here-document or a
 * comment) followed by a name with a dot, in the script as shell mode
 * writes it (skel): not a template reference (those were replaced), and
 * bash stops there with "bad substitution": ${ parameters.x },
 * ${parameters.x:-d}, ${parameters.x }, or the escape $${x.y}. */
static int
lint_bad_subst(const inn_buf *skel, inn_tmpl_lint_fn fn, void *ud)
{
	const char *t = skel->p ? skel->p : "";
	char src[SRC_SHOWN + 4];
	inn_sh_scan sh;
	inn_sh_ctx ctx;
	size_t j, k, e;
	int rc = 0;

	inn_sh_scan_init(&sh);
	for (j = 0; rc == 0 && j + 1 < skel->len; j++) {
		if (t[j] != '$' || t[j + 1] != '{' || (j > 0 && t[j - 1] == '\\'))
			continue;
		ctx = inn_sh_scan_feed(&sh, t, j);
		if (ctx == INN_SH_SQUOTE || ctx == INN_SH_ANSIC || ctx == INN_SH_COMMENT ||
		    ctx == INN_SH_HEREDOC_QUOTED)
			continue;
		for (k = j + 2; k < skel->len && (t[k] == ' ' || t[k] == '\t'); k++)
			;
		if (k >= skel->len || !(isalpha((unsigned char)t[k]) || t[k] == '_'))
			continue;
		while (k < skel->len && (isalnum((unsigned char)t[k]) || t[k] == '_' || t[k] == '-'))
			k++;
		if (k >= skel->len || t[k] != '.')
			continue;
		for (e = j; e < skel->len && t[e] != '}' && t[e] != '\n' && e - j < SRC_SHOWN; e++)
			;
		snprintf(src, sizeof(src), "%.*s%s", (int)(e - j), t + j,
		         e < skel->len && t[e] == '}' ? "}" : "...");
		rc = fn(ud, INN_TMPL_SH_BAD_SUBST, src, 0);
	}
	return rc;
}

int
inn_tmpl_shell_lint(const char *tmpl, inn_tmpl_lint_fn fn, void *ud)
{
	struct inn_t_shref *refs = NULL;
	inn_buf skel = INN_BUF_INIT(INN_TMPL_MAX_OUTPUT);
	char src[SRC_SHOWN + 4];
	struct list root;
	size_t n = 0, i;
	unsigned kind;
	int rc;

	if (tmpl == NULL)
		return inn_error_set(INN_EINVAL, "template: none given");
	if ((rc = inn_t_parse(tmpl, NULL, NULL, &root)) != 0)
		return rc;
	rc = inn_t_shell_refs(&root, &refs, &n, &skel);
	if (rc == 0)
		rc = lint_bad_subst(&skel, fn, ud);
	for (i = 0; rc == 0 && i < n; i++) {
		const struct node *nd = refs[i].nd;

		kind = refs[i].flags;
		if (refs[i].ctx == INN_SH_HEREDOC_QUOTED && !(kind & INN_SH_F_EVAL))
			kind |= INN_TMPL_SH_QUOTED_HEREDOC;
		if (refs[i].ctx == INN_SH_COMMENT || kind == 0)
			continue;
		if (nd->srclen > SRC_SHOWN)
			snprintf(src, sizeof(src), "%.*s...", SRC_SHOWN, nd->src);
		else
			snprintf(src, sizeof(src), "%.*s", (int)nd->srclen, nd->src);
		rc = fn(ud, kind, src, (size_t)(nd->src - tmpl));
	}
	free(refs);
	inn_buf_free(&skel);
	inn_t_free_list(&root);
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
		       "(ssh's remote shell, sh -c in kubectl/docker exec), which has no copy "
		       "of it: give it to the step through env: and quote it for the other "
		       "side yourself (\"$(printf '%q' \"$VAR\")\")";
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
		if (s[i] == '$' && s[i + 1] == '{' && inn_t_ref_path_len(s + i + 2, len - i - 2) > 0)
			return 1;
	}
	return 0;
}
