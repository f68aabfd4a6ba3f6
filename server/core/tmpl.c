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
