/*
 * tmpl_eval.c - the template engine's evaluator: walks the parsed tree
 * (tmpl_parse.c) over the json-c data into a bounded text buffer, or, for
 * a lone reference, returns the referenced value itself.  Resolves fields
 * and variables (missing keys are errors, or null where lenient), runs the
 * built-in functions, registers secrets it reads, and in shell mode writes
 * "${NAME}" references to bound variables that fit the quoting around them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "shell_ctx.h"
#include "tmpl_int.h"

struct var {
	const char *name;
	json_object *val;           /* borrowed */
};

struct ctx {
	const inn_tmpl_env *env;
	json_object *root;
	json_object *dot;
	struct var vars[MAX_VARS];
	size_t nvars;
	unsigned long steps;
	const struct node *cur;     /* the action being evaluated */
	inn_sh_scan sh;             /* shell mode: quoting where the output ends */
	const inn_buf *sh_out;      /* the output sh follows */
	json_object *bound;         /* shell mode: value text -> the name bind()
	                             * gave it, so a value written many times is
	                             * one environment variable (A52) */
	struct inn_t_shref *shrefs; /* shell mode: what the script does with each value action */
	size_t nshrefs;
	const struct inn_t_place *place; /* YAML mode: writes each value's placeholder */
};

/* An evaluated value: o (NULL is JSON null) is borrowed from the data or
 * the parsed template (own == 0), or a reference we hold (own == 1).  The
 * data's reference counts are never touched, so threads may render against
 * one shared data object. */
struct val {
	json_object *o;
	int own;
};

/* The data root and the path of the calling thread's last missing-key
 * error (tmpl.h: inn_tmpl_missing_root, inn_tmpl_missing_path); cleared by
 * every render. */
static _Thread_local char missing_root[64];
static _Thread_local char missing_path[512];
int
inn_tmpl_known_root(const char *name, size_t len)
{
	static const char *const roots[] = {
		"parameters", "steps", "resources", "secrets", "variables", "workflow", "app",
		NULL
	};
	size_t i;

	for (i = 0; roots[i] != NULL; i++)
		if (strlen(roots[i]) == len && memcmp(roots[i], name, len) == 0)
			return 1;
	return 0;
}

/* inn_tmpl_unknown_begin's hook on this thread, or NULL. */
static _Thread_local inn_tmpl_unknown_fn unknown_fn;
static _Thread_local void *unknown_ud;

void
inn_tmpl_unknown_begin(inn_tmpl_unknown_fn fn, void *ud)
{
	unknown_fn = fn;
	unknown_ud = ud;
}

void
inn_tmpl_unknown_end(void)
{
	unknown_fn = NULL;
	unknown_ud = NULL;
}

static void
val_drop(struct val *v)
{
	if (v->own)
		json_object_put(v->o);
	v->o = NULL;
	v->own = 0;
}

/* Sets an error naming the action being evaluated:
 * `{{ .parameters.nme }}: parameters.nme is not defined`. */
static int INN_PRINTF_LIKE(3, 4)
rt_error(struct ctx *c, int code, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->cur == NULL || c->cur->kind == N_TEXT)
		return inn_error_set(code, "%s", msg);
	if (c->cur->srclen > SRC_SHOWN)
		return inn_error_set(code, "%.*s...: %s", SRC_SHOWN, c->cur->src, msg);
	return inn_error_set(code, "%.*s: %s", (int)c->cur->srclen, c->cur->src, msg);
}

static int
step(struct ctx *c)
{
	if (++c->steps > MAX_STEPS)
		return rt_error(c, INN_ETOOBIG, "template evaluation exceeds %lu steps",
		                MAX_STEPS);
	return 0;
}
/* Writes the display name of a chain cut after segment upto (exclusive):
 * "parameters.x", "$v.name", ".name". */
static void
chain_name(char *out, size_t n, const struct expr *e, size_t upto)
{
	size_t i, len = 0;

	out[0] = '\0';
	if (e->kind == E_VAR && !e->rooted)
		len = (size_t)snprintf(out, n, "$%s", e->var);
	for (i = 0; i < upto && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s",
		                        (i > 0 || !e->rooted) ? "." : "", e->segs[i]);
	if (upto == 0 && e->kind == E_FIELD && !e->rooted)
		snprintf(out, n, ".");
}

/* Follows e's field chain from v.  A missing key is an error naming the
 * path, or null when lenient (conditions, range sources, default). */
static int
walk(struct ctx *c, const struct expr *e, json_object *v, int lenient,
     struct val *out)
{
	char name[512];
	size_t i;

	for (i = 0; i < e->nsegs; i++) {
		const char *seg = e->segs[i];
		json_object *next = NULL;
		int found = 0;

		if (json_object_is_type(v, json_type_object)) {
			found = json_object_object_get_ex(v, seg, &next);
		} else if (json_object_is_type(v, json_type_array)) {
			char *end;
			unsigned long idx;

			errno = 0;
			idx = is_digit(seg[0]) ? strtoul(seg, &end, 10) : 0;
			if (!is_digit(seg[0]) || *end != '\0' || errno != 0) {
				chain_name(name, sizeof(name), e, i);
				return rt_error(c, INN_ETYPE, "%s is a list, cannot read \"%s\"",
				                name, seg);
			}
			if (idx < json_object_array_length(v)) {
				next = json_object_array_get_idx(v, idx);
				found = 1;
			}
		} else if (v == NULL && lenient) {
			break;
		} else {
			chain_name(name, sizeof(name), e, i);
			return rt_error(c, INN_ETYPE, "%s is %s, cannot read \"%s\"", name,
			                inn_t_type_name(v), seg);
		}
		if (!found) {
			if (lenient) {
				v = NULL;
				break;
			}
			chain_name(name, sizeof(name), e, i + 1);
			snprintf(missing_path, sizeof(missing_path), "%s", name);
			return rt_error(c, INN_ENOTFOUND, "%s is not defined", name);
		}
		v = next;
	}
	out->o = v;
	out->own = 0;
	return 0;
}

const char *
inn_tmpl_missing_root(void)
{
	return missing_root;
}

const char *
inn_tmpl_missing_path(void)
{
	return missing_path;
}

/* The original's spellings, read as ours (tmpl.h): `<step>.<key>` (a root
 * the data does not have) as steps.<step>.outputs.<key>, and
 * `workflow.<X>` (X not a field of data.workflow) as variables.X, else
 * parameters.X.  Returns a malloc'd chain (borrowed strings) in *segs and
 * its length, or 0 with *segs NULL when e is spelt our way (a known root,
 * inn_tmpl_known_root). */
static size_t
alias_chain(const struct ctx *c, const struct expr *e, char ***segs)
{
	json_object *o;
	const char *to = NULL;
	size_t i, n = 0;

	*segs = NULL;
	if (e->nsegs < 2 || !json_object_is_type(c->root, json_type_object))
		return 0;
	if (!inn_tmpl_known_root(e->segs[0], strlen(e->segs[0]))) {
		if (!json_object_object_get_ex(c->root, "steps", &o))
			return 0;
		if ((*segs = malloc((e->nsegs + 2) * sizeof(**segs))) == NULL)
			return 0;
		(*segs)[n++] = (char *)"steps";
		(*segs)[n++] = e->segs[0];
		(*segs)[n++] = (char *)"outputs";
		for (i = 1; i < e->nsegs; i++)
			(*segs)[n++] = e->segs[i];
		return n;
	}
	if (strcmp(e->segs[0], "workflow") != 0 ||
	    !json_object_object_get_ex(c->root, "workflow", &o) ||
	    !json_object_is_type(o, json_type_object) ||
	    json_object_object_get_ex(o, e->segs[1], NULL))
		return 0;
	if (json_object_object_get_ex(c->root, "variables", &o) &&
	    json_object_object_get_ex(o, e->segs[1], NULL))
		to = "variables";
	else if (json_object_object_get_ex(c->root, "parameters", &o) &&
	         json_object_object_get_ex(o, e->segs[1], NULL))
		to = "parameters";
	if (to == NULL || (*segs = malloc(e->nsegs * sizeof(**segs))) == NULL)
		return 0;
	(*segs)[n++] = (char *)to;
	for (i = 1; i < e->nsegs; i++)
		(*segs)[n++] = e->segs[i];
	return n;
}

/* Resolves a rooted chain (.a.b, $.a.b, ${a.b}, also in the original's
 * spellings); registers what it finds under secrets. */
static int
lookup_rooted(struct ctx *c, const struct expr *e, int lenient, struct val *out)
{
	inn_masker *m = c->env->masker;
	struct expr a = *e;
	char **segs = NULL;
	json_object *v = NULL;
	size_t n;
	int rc;

	out->o = NULL;
	out->own = 0;
	if ((n = alias_chain(c, e, &segs)) > 0) {
		a.segs = segs;
		a.nsegs = n;
	}
	if ((rc = walk(c, &a, c->root, lenient, out)) != 0) {
		if (rc == INN_ENOTFOUND && a.nsegs > 0)
			snprintf(missing_root, sizeof(missing_root), "%s", a.segs[0]);
		if (rc == INN_ENOTFOUND && unknown_fn != NULL &&
		    unknown_fn(unknown_ud, missing_path)) {
			char text[sizeof(missing_path) + 40];

			/* a value the dry-run cannot know: a placeholder, and on */
			snprintf(text, sizeof(text), "(resolved at run time: %s)", missing_path);
			if ((out->o = json_object_new_string(text)) == NULL)
				rc = inn_error_set(INN_ENOMEM, "out of memory");
			else
				rc = 0;
			out->own = out->o != NULL;
		}
		goto out;
	}
	if (m == NULL)
		goto out;
	if (a.nsegs == 0) {
		if (json_object_object_get_ex(c->root, "secrets", &v))
			rc = inn_t_mask_tree(m, v, 0);
	} else if (strcmp(a.segs[0], "secrets") == 0) {
		rc = inn_t_mask_tree(m, out->o, 0);
	}
	if (rc != 0)
		val_drop(out);
out:
	free(segs);
	return rc;
}

static int eval_expr(struct ctx *c, const struct expr *e, int lenient,
                     struct val *out);

/* Evaluates argument i of a call; i == nargs is the piped value (which
 * the caller keeps alive; one we own gets its own reference). */
static int
call_arg(struct ctx *c, const struct expr *e, size_t i, const struct val *piped,
         int lenient, struct val *out)
{
	if (i == e->nargs) {
		out->o = piped->own ? json_object_get(piped->o) : piped->o;
		out->own = piped->own;
		return 0;
	}
	return eval_expr(c, e->args[i], lenient, out);
}

static int
eval_call(struct ctx *c, const struct expr *e, int lenient, const struct val *piped,
          struct val *out)
{
	size_t i, n = e->nargs + (piped ? 1 : 0);
	struct val a = { NULL, 0 }, b = { NULL, 0 };
	inn_buf tb = INN_BUF_INIT(INN_TMPL_MAX_OUTPUT);
	json_object *made = NULL;
	int rc = 0, eq = 0;

	out->o = NULL;
	out->own = 0;
	switch (e->fn->id) {
	case F_EQ:
	case F_NE:
		if ((rc = call_arg(c, e, 0, piped, lenient, &a)) != 0)
			break;
		for (i = 1; i < n && !eq; i++) {
			if ((rc = call_arg(c, e, i, piped, lenient, &b)) != 0 ||
			    (rc = inn_t_values_equal(a.o, b.o, &eq)) != 0)
				break;
			val_drop(&b);
		}
		if (rc == 0 && (made = json_object_new_boolean(e->fn->id == F_EQ ? eq : !eq)) == NULL)
			rc = inn_error_set(INN_ENOMEM, "out of memory");
		break;
	case F_NOT:
		if ((rc = call_arg(c, e, 0, piped, lenient, &a)) == 0 &&
		    (made = json_object_new_boolean(!inn_tmpl_truthy(a.o))) == NULL)
			rc = inn_error_set(INN_ENOMEM, "out of memory");
		break;
	case F_AND:
	case F_OR:
		/* Go: the first deciding argument, or the last one */
		for (i = 0; i < n; i++) {
			val_drop(&a);
			if ((rc = call_arg(c, e, i, piped, lenient, &a)) != 0)
				break;
			if (inn_tmpl_truthy(a.o) == (e->fn->id == F_OR))
				break;
		}
		if (rc == 0) {
			*out = a;
			return 0;
		}
		break;
	case F_LEN:
		if ((rc = call_arg(c, e, 0, piped, lenient, &a)) != 0)
			break;
		if (json_object_is_type(a.o, json_type_string))
			made = json_object_new_int64(json_object_get_string_len(a.o));
		else if (json_object_is_type(a.o, json_type_array))
			made = json_object_new_int64((int64_t)json_object_array_length(a.o));
		else if (json_object_is_type(a.o, json_type_object))
			made = json_object_new_int64(json_object_object_length(a.o));
		else if (a.o == NULL)
			made = json_object_new_int64(0);
		else {
			rc = rt_error(c, INN_ETYPE, "len of %s", inn_t_type_name(a.o));
			break;
		}
		if (made == NULL)
			rc = inn_error_set(INN_ENOMEM, "out of memory");
		break;
	case F_DEFAULT:
		/* default DEF VAL: a missing VAL is fine here */
		if ((rc = call_arg(c, e, 1, piped, 1, &b)) != 0)
			break;
		if (inn_tmpl_truthy(b.o)) {
			*out = b;
			return 0;
		}
		rc = call_arg(c, e, 0, piped, lenient, out);
		break;
	case F_QUOTE:
		for (i = 0; i < n; i++) {
			inn_buf vb = INN_BUF_INIT(INN_TMPL_MAX_OUTPUT);

			val_drop(&a);
			if ((rc = call_arg(c, e, i, piped, lenient, &a)) != 0 ||
			    (i > 0 && (rc = inn_t_put(&tb, " ", 1)) != 0) ||
			    (rc = inn_t_put_value(&vb, a.o, 0, 0)) != 0 ||
			    (rc = inn_t_put_quoted(&tb, vb.p ? vb.p : "", vb.len)) != 0) {
				inn_buf_free(&vb);
				break;
			}
			inn_buf_free(&vb);
		}
		if (rc == 0 && (made = json_object_new_string_len(tb.p, (int)tb.len)) == NULL)
			rc = inn_error_set(INN_ENOMEM, "out of memory");
		break;
	case F_NOW: {
		char ts[32];
		struct tm tm;
		time_t now = time(NULL);

		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if ((made = json_object_new_string(ts)) == NULL)
			rc = inn_error_set(INN_ENOMEM, "out of memory");
		break;
	}
	}
	if (made != NULL) {
		out->o = made;
		out->own = 1;
	}
	val_drop(&a);
	val_drop(&b);
	inn_buf_free(&tb);
	return rc;
}

/* Evaluates e into *out (see struct val). */
static int
eval_expr(struct ctx *c, const struct expr *e, int lenient, struct val *out)
{
	struct val v = { NULL, 0 }, nv;
	size_t i;
	int rc;

	out->o = NULL;
	out->own = 0;
	if ((rc = step(c)) != 0)
		return rc;
	switch (e->kind) {
	case E_LIT:
		out->o = e->lit;
		return 0;
	case E_FIELD:
		if (e->rooted)
			return lookup_rooted(c, e, lenient, out);
		return walk(c, e, c->dot, lenient, out);
	case E_VAR:
		if (e->rooted)
			return lookup_rooted(c, e, lenient, out);
		for (i = c->nvars; i > 0; i--)
			if (strcmp(c->vars[i - 1].name, e->var) == 0)
				return walk(c, e, c->vars[i - 1].val, lenient, out);
		return rt_error(c, INN_EINVAL, "undefined variable \"$%s\"", e->var);
	case E_CALL:
		return eval_call(c, e, lenient, NULL, out);
	case E_PIPE:
		for (i = 0; i < e->nargs; i++) {
			/* x | default "y": a missing x is fine */
			int len = lenient || (i + 1 < e->nargs &&
			                      e->args[i + 1]->fn->id == F_DEFAULT);

			if (i == 0)
				rc = eval_expr(c, e->args[0], len, &v);
			else if ((rc = eval_call(c, e->args[i], len, &v, &nv)) == 0) {
				val_drop(&v);
				v = nv;
			}
			if (rc != 0) {
				val_drop(&v);
				return rc;
			}
		}
		*out = v;
		return 0;
	}
	return 0;
}

static int eval_list(struct ctx *c, const struct list *l, inn_buf *out);

static int
cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Runs one range iteration: binds the variables and dot, then the body. */
static int
range_iter(struct ctx *c, const struct node *nd, json_object *key,
           json_object *elem, inn_buf *out)
{
	json_object *dot = c->dot;
	size_t nvars = c->nvars;
	int rc;

	if ((rc = step(c)) != 0)
		return rc;
	if (nd->kvar) {
		c->vars[c->nvars].name = nd->kvar;
		c->vars[c->nvars++].val = key;
	}
	if (nd->vvar) {
		c->vars[c->nvars].name = nd->vvar;
		c->vars[c->nvars++].val = elem;
	}
	c->dot = elem;
	rc = eval_list(c, &nd->body, out);
	c->dot = dot;
	c->nvars = nvars;
	return rc;
}

static int
eval_range(struct ctx *c, const struct node *nd, inn_buf *out)
{
	struct val sv = { NULL, 0 };
	json_object *src, *key = NULL;
	const char **keys = NULL;
	size_t i, n = 0;
	int rc;

	if ((rc = eval_expr(c, nd->e, 1, &sv)) != 0)
		return rc;
	src = sv.o;
	if (json_object_is_type(src, json_type_array)) {
		n = json_object_array_length(src);
		for (i = 0; rc == 0 && i < n; i++) {
			if ((key = json_object_new_int64((int64_t)i)) == NULL) {
				rc = inn_error_set(INN_ENOMEM, "out of memory");
				break;
			}
			rc = range_iter(c, nd, key, json_object_array_get_idx(src, i), out);
			json_object_put(key);
		}
	} else if (json_object_is_type(src, json_type_object)) {
		n = (size_t)json_object_object_length(src);
		if (n > 0 && (keys = malloc(n * sizeof(*keys))) == NULL) {
			rc = inn_error_set(INN_ENOMEM, "out of memory");
			goto out;
		}
		i = 0;
		json_object_object_foreach(src, k, val) {
			(void)val;
			keys[i++] = k;
		}
		if (n > 1)              /* keys is NULL when there is none */
			qsort(keys, n, sizeof(*keys), cmp_keys);
		for (i = 0; rc == 0 && i < n; i++) {
			if ((key = json_object_new_string(keys[i])) == NULL) {
				rc = inn_error_set(INN_ENOMEM, "out of memory");
				break;
			}
			rc = range_iter(c, nd, key, json_object_object_get(src, keys[i]), out);
			json_object_put(key);
		}
	} else if (src != NULL) {
		c->cur = nd;
		rc = rt_error(c, INN_ETYPE, "cannot range over %s", inn_t_type_name(src));
	}
	if (rc == 0 && n == 0)
		rc = eval_list(c, &nd->alt, out);
out:
	free(keys);
	val_drop(&sv);
	return rc;
}

static int
shref_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct inn_t_shref *)a)->nd;
	uintptr_t y = (uintptr_t)((const struct inn_t_shref *)b)->nd;

	return x < y ? -1 : x > y;
}

/* Sorts c->shrefs by node and folds each node's flags into one entry, so
 * that node_flags is a binary search (a script may hold 100k values). */
static void
shrefs_index(struct ctx *c)
{
	size_t i, n = 0;

	if (c->nshrefs == 0)
		return;
	qsort(c->shrefs, c->nshrefs, sizeof(*c->shrefs), shref_cmp);
	for (i = 1; i < c->nshrefs; i++) {
		if (c->shrefs[i].nd == c->shrefs[n].nd)
			c->shrefs[n].flags |= c->shrefs[i].flags;
		else
			c->shrefs[++n] = c->shrefs[i];
	}
	c->nshrefs = n + 1;
}

/* What the script does with the values node nd writes (INN_SH_F_*). */
static unsigned
node_flags(const struct ctx *c, const struct node *nd)
{
	struct inn_t_shref key, *hit;

	if (c->nshrefs == 0)
		return 0;
	key.nd = nd;
	hit = bsearch(&key, c->shrefs, c->nshrefs, sizeof(*c->shrefs), shref_cmp);
	return hit != NULL ? hit->flags : 0;
}

/* Writes one output value: as text, or in shell mode as "${NAME}" of an
 * environment variable that bind() will set to the text. */
static int
emit_value(struct ctx *c, json_object *v, inn_buf *out)
{
	inn_buf tb = INN_BUF_INIT(INN_TMPL_MAX_OUTPUT);
	json_object *bv = NULL;
	const char *why;
	char name[128];
	unsigned fl;
	inn_sh_ctx sc;
	size_t i;
	int rc;

	if (c->place != NULL)
		return c->place->fn(c->place->ud, v, c->cur != NULL ? c->cur->src : "",
		                    c->cur != NULL ? c->cur->srclen : 0, out);
	if (c->env->bind == NULL)
		return inn_t_put_value(out, v, 0, 0);
	if ((rc = inn_t_put_value(&tb, v, 0, 0)) != 0)
		goto out;
	memset(name, 0, sizeof(name));
	if (c->bound == NULL && (c->bound = json_object_new_object()) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	/* the same text again: the same variable (a text with a NUL byte is
	 * never shared: json-c keys end at the first NUL) */
	if (json_object_object_get_ex(c->bound, tb.p ? tb.p : "", &bv) &&
	    strlen(tb.p ? tb.p : "") == tb.len) {
		snprintf(name, sizeof(name), "%s", json_object_get_string(bv));
	} else if ((rc = c->env->bind(c->env->bind_ud, tb.p ? tb.p : "", name,
	                              sizeof(name) - 1)) != 0) {
		rc = rt_error(c, rc < 0 ? rc : INN_ERROR, "cannot bind a shell variable");
		goto out;
	} else if (strlen(tb.p ? tb.p : "") == tb.len &&
	           json_object_object_add(c->bound, tb.p ? tb.p : "",
	                                  json_object_new_string(name)) != 0) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; name[i] != '\0'; i++)
		if (!is_alpha(name[i]) && !(i > 0 && is_digit(name[i])))
			break;
	if (i == 0 || name[i] != '\0') {
		rc = rt_error(c, INN_ERROR, "shell binding returned a bad name \"%s\"", name);
		goto out;
	}
	/* The reference must be one the shell expands where it lands: inside
	 * '...' (or $'...') close the quote, write "${NAME}" and reopen it.
	 * Elsewhere ${NAME} is expanded as it is; in a here-document with a
	 * quoted delimiter nothing is (the loaders warn about that). */
	sc = c->sh_out == out ? inn_sh_scan_feed(&c->sh, out->p ? out->p : "", out->len)
	                      : INN_SH_PLAIN;
	fl = node_flags(c, c->cur);
	if (sc == INN_SH_COMMENT)
		fl = 0;
	if ((why = inn_tmpl_shell_problem(fl, tb.p ? tb.p : "", tb.len)) != NULL) {
		rc = rt_error(c, INN_EINVAL, "%s", why);
		goto out;
	}
	/* A value the shell evaluates again as code (bash -c '...', trap, eval)
	 * keeps the reference for that evaluation: "${NAME}" inside '...' (and
	 * a quoted here-document), "\${NAME}" where this shell expands (so it
	 * passes the reference on), and the later evaluation expands the
	 * variable, which it inherits, as data. */
	if ((fl & INN_TMPL_SH_EVAL) && (sc == INN_SH_SQUOTE || sc == INN_SH_ANSIC ||
	                                sc == INN_SH_HEREDOC_QUOTED))
		rc = inn_t_put(out, "${", 2);
	else if (fl & INN_TMPL_SH_EVAL)
		rc = inn_t_puts(out, "\\${");
	else if (sc == INN_SH_SQUOTE || sc == INN_SH_ANSIC)
		rc = inn_t_puts(out, "'\"${");
	else
		rc = inn_t_put(out, "${", 2);
	if ((fl & INN_TMPL_SH_EVAL) && rc == 0 && (rc = inn_t_puts(out, name)) == 0)
		rc = inn_t_puts(out, "}");
	else if (rc == 0 && (rc = inn_t_puts(out, name)) == 0)
		rc = inn_t_puts(out, sc == INN_SH_SQUOTE ? "}\"'" : sc == INN_SH_ANSIC ? "}\"$'" : "}");
out:
	inn_buf_free(&tb);
	return rc;
}

static int
eval_if(struct ctx *c, const struct node *nd, inn_buf *out)
{
	struct val v;
	size_t i;
	int rc, t;

	for (i = 0; i < nd->nbranch; i++) {
		c->cur = nd;
		if ((rc = eval_expr(c, nd->conds[i], 1, &v)) != 0)
			return rc;
		t = inn_tmpl_truthy(v.o);
		val_drop(&v);
		if (t)
			return eval_list(c, &nd->bodies[i], out);
	}
	return eval_list(c, &nd->alt, out);
}

static int
eval_list(struct ctx *c, const struct list *l, inn_buf *out)
{
	struct val v;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < l->n; i++) {
		const struct node *nd = l->v[i];

		if ((rc = step(c)) != 0)
			break;
		c->cur = nd;
		switch (nd->kind) {
		case N_TEXT:
			rc = inn_t_put(out, nd->text, nd->len);
			break;
		case N_OUT:
			if ((rc = eval_expr(c, nd->e, 0, &v)) == 0) {
				rc = emit_value(c, v.o, out);
				val_drop(&v);
			}
			break;
		case N_IF:
			rc = eval_if(c, nd, out);
			break;
		case N_RANGE:
			c->cur = nd;
			rc = eval_range(c, nd, out);
			break;
		}
	}
	return rc;
}

static int render(const inn_tmpl_env *env, const char *tmpl, const struct inn_t_place *place,
                  char **text, json_object **value);

int
inn_t_render(const inn_tmpl_env *env, const char *tmpl, char **text, json_object **value)
{
	return render(env, tmpl, NULL, text, value);
}

int
inn_t_render_placed(const inn_tmpl_env *env, const char *tmpl,
                    const struct inn_t_place *place, char **text)
{
	return render(env, tmpl, place, text, NULL);
}

/* Parses and evaluates tmpl (see tmpl_int.h); place: YAML mode. */
static int
render(const inn_tmpl_env *env, const char *tmpl, const struct inn_t_place *place,
       char **text, json_object **value)
{
	inn_buf out = INN_BUF_INIT(INN_TMPL_MAX_OUTPUT);
	json_object *empty = NULL;
	struct val v = { NULL, 0 };
	struct list root;
	struct ctx c;
	int rc;

	if (text)
		*text = NULL;
	if (value)
		*value = NULL;
	missing_root[0] = '\0';
	missing_path[0] = '\0';
	if (env == NULL || tmpl == NULL)
		return inn_error_set(INN_EINVAL, "template: no environment or template");
	if ((rc = inn_t_parse(tmpl, NULL, NULL, &root)) != 0)
		return rc;
	memset(&c, 0, sizeof(c));
	c.env = env;
	c.place = place;
	c.root = env->data;
	inn_sh_scan_init(&c.sh);
	c.sh_out = &out;
	if (place == NULL && env->bind != NULL &&
	    (rc = inn_t_shell_refs(&root, &c.shrefs, &c.nshrefs, NULL)) != 0)
		goto out;
	shrefs_index(&c);
	if (c.root == NULL && (c.root = empty = json_object_new_object()) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	c.dot = c.root;
	if (value && env->bind == NULL && root.n == 1 && root.v[0]->kind == N_OUT) {
		c.cur = root.v[0];
		if ((rc = eval_expr(&c, root.v[0]->e, 0, &v)) != 0)
			goto out;
		if (v.o != NULL && json_object_deep_copy(v.o, value, NULL) != 0)
			rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = eval_list(&c, &root, &out)) != 0 ||
	    (rc = inn_t_put(&out, "", 0)) != 0)
		goto out;
	if (text) {
		*text = inn_buf_take(&out);     /* never NULL: text was added */
	} else if ((*value = json_object_new_string_len(out.p, (int)out.len)) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
	}
out:
	val_drop(&v);
	json_object_put(c.bound);
	free(c.shrefs);
	json_object_put(empty);
	inn_buf_free(&out);
	inn_t_free_list(&root);
	return rc;
}
