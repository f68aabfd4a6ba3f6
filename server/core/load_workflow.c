/*
 * load_workflow.c - reads one workflow file into an inn_workflow (model.h)
 * and checks everything that can be checked before a run: the header
 * fields, parameter declarations, variables and outputs here; the steps
 * (load_steps.c), their graph (load_graph.c: unknown names, cycles, the
 * resolved order the executor follows) and the template references and
 * step types (load_check.c: allow-list, registry, the plugin's own
 * validate()) in the other parts of the loader (load_workflow_int.h).
 * Both layouts are read: top-level `steps:` (provider workflows) and the
 * golden-path `apiVersion/kind: Workflow/spec.steps` form.
 */
#include "model.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "error.h"
#include "host.h"
#include "load_workflow_int.h"
#include "tmpl.h"

#define MAX_WALK_NODES 1000000    /* template walk budget per file */

static const char *const top_keys[] = {
	"apiVersion", "kind", "metadata", "spec", "name", "description", "parameters",
	"variables", "steps", "outputs", "phase", "triggers", "timeout", NULL
};
static const char *const spec_keys[] = {
	"parameters", "variables", "steps", "outputs", "timeout", "phase", "triggers",
	"description", NULL
};
static const char *const metadata_keys[] = {
	"name", "owner", "description", "version", "category", "labels", "annotations",
	"tags", "team", NULL
};
static const char *const param_keys[] = {
	"name", "type", "required", "default", "description", "allowed_values", "enum",
	"pattern", "min", "max", NULL
};

/* --- parameters ---------------------------------------------------------- */

static const char *const param_types[] = {
	"string", "number", "integer", "boolean", "map", "object", "array", "enum",
	"duration", "secret", NULL
};

static const char *
type_noun(const char *type)
{
	if (strcmp(type, "number") == 0)
		return "a number";
	if (strcmp(type, "integer") == 0)
		return "an integer";
	if (strcmp(type, "boolean") == 0)
		return "a boolean";
	if (strcmp(type, "map") == 0 || strcmp(type, "object") == 0)
		return "a mapping";
	if (strcmp(type, "array") == 0)
		return "a list";
	if (strcmp(type, "duration") == 0)
		return "a duration";
	if (strcmp(type, "enum") == 0)
		return "a scalar";
	return "a string";
}

/* Short text of a value for messages (strings quoted, cut at 60 bytes). */
static void
value_text(json_object *v, char *buf, size_t len)
{
	const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	                                                      JSON_C_TO_STRING_NOSLASHESCAPE);

	if (v == NULL)
		s = "null";
	if (strlen(s) > 60)
		snprintf(buf, len, "%.57s...", s);
	else
		snprintf(buf, len, "%s", s);
}

static int
is_scalar_json(json_object *v)
{
	json_type t = json_object_get_type(v);

	return t == json_type_string || t == json_type_int || t == json_type_double ||
	       t == json_type_boolean;
}

static int
type_matches(const char *type, json_object *v)
{
	json_type t = json_object_get_type(v);
	const char *s = t == json_type_string ? json_object_get_string(v) : NULL;
	char *end;

	if (strcmp(type, "string") == 0 || strcmp(type, "secret") == 0 ||
	    strcmp(type, "enum") == 0)
		return is_scalar_json(v);
	if (strcmp(type, "map") == 0 || strcmp(type, "object") == 0)
		return t == json_type_object;
	if (strcmp(type, "array") == 0)
		return t == json_type_array;
	if (strcmp(type, "boolean") == 0)
		return t == json_type_boolean ||
		       (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0));
	if (strcmp(type, "number") == 0) {
		if (t == json_type_int || t == json_type_double)
			return 1;
		if (s == NULL || *s == '\0')
			return 0;
		errno = 0;
		(void)strtod(s, &end);
		return *end == '\0' && errno == 0;
	}
	if (strcmp(type, "integer") == 0) {
		if (t == json_type_int)
			return 1;
		if (t == json_type_double) {
			double d = json_object_get_double(v);

			/* range first: converting a double outside long long is UB */
			return d >= -9223372036854775808.0 && d < 9223372036854775808.0 &&
			       d == (double)(long long)d;
		}
		if (s == NULL || *s == '\0')
			return 0;
		errno = 0;
		(void)strtoll(s, &end, 10);
		return *end == '\0' && errno == 0;
	}
	if (strcmp(type, "duration") == 0) {
		int64_t ms;

		if (t == json_type_int)
			return json_object_get_int64(v) >= 0;
		return s != NULL && inn_parse_duration_ms(s, &ms) == 0;
	}
	return 1;
}

/* Non-zero for a value written as a whole number, whatever its size
 * ("99999999999999999999", 1e23): what an integer parameter refuses as out
 * of range rather than as not a number. */
static int
whole_number(json_object *v)
{
	const char *s;
	size_t i;

	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);

		/* from 2^53 on every double is whole; below, the cast is defined */
		return isfinite(d) && (d >= 9007199254740992.0 || d <= -9007199254740992.0 ||
		                       d == (double)(long long)d);
	}
	if (!json_object_is_type(v, json_type_string))
		return 0;
	s = json_object_get_string(v);
	i = s[0] == '-' || s[0] == '+';
	if (s[i] == '\0')
		return 0;
	for (; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
inn_param_check(const inn_param *p, json_object *v, char *why, size_t len)
{
	char txt[80];
	size_t i;
	int secret;

	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_string) &&
	    inn_tmpl_has_syntax(json_object_get_string(v)))
		return 0;
	/* a secret's value (and its allowed values) is never quoted: the
	 * message goes to logs and API answers */
	secret = p->type != NULL && strcmp(p->type, "secret") == 0;
	if (secret)
		snprintf(txt, sizeof(txt), "its (secret) value");
	else
		value_text(v, txt, sizeof(txt));
	if (!type_matches(p->type ? p->type : "string", v)) {
		if (p->type != NULL && strcmp(p->type, "integer") == 0 && whole_number(v))
			snprintf(why, len, "%s is out of the 64-bit integer range", txt);
		else
			snprintf(why, len, "%s is not %s", txt,
			         type_noun(p->type ? p->type : "string"));
		return -1;
	}
	if (p->allowed != NULL && is_scalar_json(v)) {
		size_t n = json_object_array_length(p->allowed);

		for (i = 0; i < n; i++) {
			json_object *a = json_object_array_get_idx(p->allowed, i);

			if (a != NULL && strcmp(json_object_get_string(a),
			                        json_object_get_string(v)) == 0)
				break;
		}
		if (i == n) {
			char list[80];

			if (secret)
				snprintf(why, len, "%s is not one of the allowed values", txt);
			else {
				value_text(p->allowed, list, sizeof(list));
				snprintf(why, len, "%s is not one of the allowed values %s", txt, list);
			}
			return -1;
		}
	}
	if (p->pattern != NULL && is_scalar_json(v)) {
		regex_t re;
		int m;

		if (regcomp(&re, p->pattern, REG_EXTENDED | REG_NOSUB) != 0)
			return 0; /* reported when the declaration was loaded */
		m = regexec(&re, json_object_get_string(v), 0, NULL, 0);
		regfree(&re);
		if (m != 0) {
			snprintf(why, len, "%s does not match the pattern %s", txt, p->pattern);
			return -1;
		}
	}
	return 0;
}

static void
param_free(inn_param *p)
{
	free(p->name);
	free(p->type);
	json_object_put(p->def);
	free(p->description);
	json_object_put(p->allowed);
	free(p->pattern);
	memset(p, 0, sizeof(*p));
}

void
inn_l_params_free(inn_param *params, size_t n)
{
	size_t i;

	if (params == NULL)
		return;
	for (i = 0; i < n; i++)
		param_free(&params[i]);
	free(params);
}

/* int -> integer, bool -> boolean, float -> number: spellings of the
 * original's golden paths; list -> array (the README's word for it). */
static const char *
param_type_normal(const char *t)
{
	if (strcmp(t, "list") == 0)
		return "array";
	if (strcmp(t, "int") == 0)
		return "integer";
	if (strcmp(t, "bool") == 0)
		return "boolean";
	if (strcmp(t, "float") == 0)
		return "number";
	return t;
}

int
inn_l_param_parse(const inn_lctx *lc, const inn_ynode *node, const inn_ynode *name_key,
                  const char *path, inn_param *out)
{
	const inn_ynode *n, *a, *e;
	char p[INN_L_PATH_MAX], why[256];
	size_t nerr0 = lc->diag->nerrors;
	char *type = NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->line = node->line;
	out->col = node->col;
	if (inn_l_is_null(node) && name_key != NULL) {
		node = NULL; /* `pname:` with nothing: a string parameter */
	} else if (inn_l_kind(lc, node, INN_Y_MAP, path) != 0) {
		return -1;
	}
	if (node != NULL)
		inn_l_unknown_keys(lc, node, param_keys, path);
	if (name_key != NULL) {
		out->name = strdup(name_key->value);
	} else {
		if (inn_l_string(lc, node, "name", path, &out->name) != 0)
			goto fail;
		if (out->name == NULL) {
			inn_l_err(lc, node, "%s: missing required field \"name\"", path);
			goto fail;
		}
	}
	if (out->name == NULL)
		goto nomem;
	if (!inn_l_name_ok(out->name) && out->name[0] != '_') {
		inn_l_err(lc, name_key ? name_key : inn_ymap_get(node, "name"),
		          "%s: parameter name \"%s\" must start with a letter or digit and "
		          "hold only letters, digits, '_' and '-'", path, out->name);
		goto fail;
	}
	if (node == NULL) {
		if ((out->type = strdup("string")) == NULL)
			goto nomem;
		return 0;
	}
	if (inn_l_string(lc, node, "type", path, &type) != 0)
		goto fail;
	if ((out->type = strdup(type ? param_type_normal(type) : "string")) == NULL)
		goto nomem;
	for (i = 0; param_types[i] != NULL; i++)
		if (strcmp(out->type, param_types[i]) == 0)
			break;
	if (param_types[i] == NULL) {
		inn_l_err(lc, inn_ymap_get(node, "type"), "%s: unknown type \"%s\" (known: "
		          "string, number or float, integer or int, boolean or bool, map, "
		          "object, array or list, enum, duration, secret)",
		          inn_l_path(p, sizeof(p), path, "type"), type);
		goto fail;
	}
	if ((n = inn_ymap_get(node, "required")) != NULL && !inn_l_is_null(n) &&
	    inn_l_bool(lc, n, inn_l_path(p, sizeof(p), path, "required"),
	               &out->required) != 0)
		goto fail;
	if (inn_l_string(lc, node, "description", path, &out->description) != 0 ||
	    inn_l_string(lc, node, "pattern", path, &out->pattern) != 0)
		goto fail;
	if (out->pattern != NULL) {
		regex_t re;
		int rc = regcomp(&re, out->pattern, REG_EXTENDED | REG_NOSUB);

		if (rc != 0) {
			char msg[128];

			regerror(rc, &re, msg, sizeof(msg));
			inn_l_err(lc, inn_ymap_get(node, "pattern"), "%s: not a valid "
			          "extended regular expression: %s",
			          inn_l_path(p, sizeof(p), path, "pattern"), msg);
			goto fail;
		}
		regfree(&re);
	}
	a = inn_ymap_get(node, "allowed_values");
	e = inn_ymap_get(node, "enum");
	if (a != NULL && e != NULL) {
		inn_l_err(lc, inn_ymap_key(node, "enum"), "%s: give either allowed_values "
		          "or enum, not both", path);
		goto fail;
	}
	if (a == NULL)
		a = e;
	if (a != NULL && !inn_l_is_null(a)) {
		const char *k = a == e ? "enum" : "allowed_values";

		if (inn_l_kind(lc, a, INN_Y_SEQ, inn_l_path(p, sizeof(p), path, k)) != 0)
			goto fail;
		for (i = 0; i < a->n; i++)
			if (a->items[i]->kind != INN_Y_SCALAR) {
				char q[INN_L_PATH_MAX];

				inn_l_err(lc, a->items[i], "%s: must be a scalar, not %s",
				          inn_l_index(q, sizeof(q), p, i),
				          inn_ynode_kind_name(a->items[i]));
				goto fail;
			}
		if ((out->allowed = inn_ynode_to_json(a)) == NULL)
			goto toobig;
	}
	if ((n = inn_ymap_get(node, "default")) != NULL && !inn_l_is_null(n)) {
		if ((out->def = inn_ynode_to_json(n)) == NULL)
			goto toobig;
		if (inn_param_check(out, out->def, why, sizeof(why)) != 0) {
			inn_l_err(lc, n, "%s: %s (parameter \"%s\" is of type %s)",
			          inn_l_path(p, sizeof(p), path, "default"), why, out->name,
			          out->type);
			goto fail;
		}
	}
	free(type);
	return lc->diag->nerrors == nerr0 ? 0 : -1;
toobig:
	inn_l_err(lc, node, "%s: %s", path, inn_error_last());
	goto fail;
nomem:
	inn_l_err(lc, node, "out of memory");
fail:
	free(type);
	param_free(out);
	return -1;
}

/* Orders parameter indices by name, equal names in declaration order. */
static int
cmp_param(const void *a, const void *b, void *ud)
{
	const inn_param *params = ud;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	int c = strcmp(params[ia].name, params[ib].name);

	if (c != 0)
		return c;
	return ia < ib ? -1 : ia > ib;
}

/* wf->param_byname: the parameters sorted by name; -1 on ENOMEM. */
static int
index_params(inn_workflow *wf)
{
	size_t i;

	free(wf->param_byname);
	if ((wf->param_byname = malloc((wf->nparams + 1) * sizeof(size_t))) == NULL)
		return -1;
	for (i = 0; i < wf->nparams; i++)
		wf->param_byname[i] = i;
	qsort_r(wf->param_byname, wf->nparams, sizeof(size_t), cmp_param, wf->params);
	return 0;
}

/* parameters: a list of declarations (or a `name: {...}` mapping).  A
 * repeated name is reported (naming both lines) and the first declaration
 * kept; duplicates are found by sorting, not by comparing every pair. */
static void
load_params(struct wf_load *L, const inn_ynode *node, const char *path)
{
	inn_workflow *wf = L->wf;
	size_t i, j, g, cnt, nparsed = 0;
	size_t *orig = NULL, *first = NULL;
	char p[INN_L_PATH_MAX];

	if (inn_l_is_null(node))
		return;
	if (node->kind == INN_Y_SCALAR) {
		inn_l_err(&L->lc, node, "%s: must be a list, not a scalar", path);
		return;
	}
	cnt = node->kind == INN_Y_SEQ ? node->n : INN_YMAP_LEN(node);
	if (cnt == 0)
		return;
	if ((wf->params = calloc(cnt, sizeof(*wf->params))) == NULL ||
	    (L->pdef = calloc(cnt, sizeof(*L->pdef))) == NULL ||
	    (orig = calloc(cnt, sizeof(*orig))) == NULL ||
	    (first = calloc(cnt, sizeof(*first))) == NULL) {
		inn_l_err(&L->lc, node, "out of memory");
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		const inn_ynode *item, *key = NULL;
		inn_param *pa = &wf->params[nparsed];

		if (node->kind == INN_Y_SEQ) {
			item = node->items[i];
			inn_l_index(p, sizeof(p), path, i);
		} else {
			key = INN_YMAP_KEY(node, i);
			item = INN_YMAP_VAL(node, i);
			inn_l_path(p, sizeof(p), path, key->value);
		}
		if (inn_l_param_parse(&L->lc, item, key, p, pa) != 0)
			continue;
		if (item->kind == INN_Y_MAP)
			L->pdef[nparsed] = inn_ymap_get(item, "default");
		orig[nparsed] = i;
		nparsed++;
	}
	/* first[k]: the declaration k repeats, or k itself */
	wf->nparams = nparsed;
	if (index_params(wf) != 0) {
		inn_l_err(&L->lc, node, "out of memory");
		goto out;
	}
	for (g = 0, i = 0; i < nparsed; i++) {
		if (strcmp(wf->params[wf->param_byname[g]].name,
		           wf->params[wf->param_byname[i]].name) != 0)
			g = i;
		first[wf->param_byname[i]] = wf->param_byname[g];
	}
	for (i = 0, j = 0; i < nparsed; i++) {
		inn_param *pa = &wf->params[i];

		if (first[i] != i) {
			const inn_ynode *item;

			if (node->kind == INN_Y_SEQ) {
				item = node->items[orig[i]];
				inn_l_index(p, sizeof(p), path, orig[i]);
			} else {
				item = INN_YMAP_VAL(node, orig[i]);
				inn_l_path(p, sizeof(p), path, INN_YMAP_KEY(node, orig[i])->value);
			}
			inn_l_err(&L->lc, item, "%s: duplicate parameter \"%s\" (lines %d and "
			          "%d)", p, pa->name, wf->params[first[i]].line, pa->line);
			param_free(pa);
			continue;
		}
		if (j != i) {
			wf->params[j] = *pa;
			L->pdef[j] = L->pdef[i];
		}
		j++;
	}
	wf->nparams = j;
	if (j != nparsed && index_params(wf) != 0)
		inn_l_err(&L->lc, node, "out of memory");
out:
	free(orig);
	free(first);
}

const inn_param *
inn_workflow_param(const inn_workflow *wf, const char *name, size_t len)
{
	size_t i, lo = 0, hi;

	if (wf == NULL || name == NULL)
		return NULL;
	if (wf->param_byname == NULL) {
		for (i = 0; i < wf->nparams; i++)
			if (strlen(wf->params[i].name) == len &&
			    strncmp(wf->params[i].name, name, len) == 0)
				return &wf->params[i];
		return NULL;
	}
	hi = wf->nparams;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *m = wf->params[wf->param_byname[mid]].name;
		int c = strncmp(m, name, len);

		if (c == 0 && m[len] != '\0')
			c = 1;
		if (c == 0)
			return &wf->params[wf->param_byname[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* --- the workflow --------------------------------------------------------- */

void
inn_workflow_free(inn_workflow *wf)
{
	size_t i;

	if (wf == NULL)
		return;
	free(wf->name);
	free(wf->description);
	free(wf->file);
	free(wf->owner);
	free(wf->phase);
	inn_l_strv_free(wf->triggers, wf->ntriggers);
	free(wf->provider);
	free(wf->base_dir);
	free(wf->operation);
	free(wf->category);
	inn_l_params_free(wf->params, wf->nparams);
	free(wf->param_byname);
	json_object_put(wf->variables);
	for (i = 0; i < wf->nsteps; i++)
		inn_lw_step_free(&wf->steps[i]);
	free(wf->steps);
	json_object_put(wf->outputs);
	free(wf);
}

const inn_step_def *
inn_workflow_step(const inn_workflow *wf, const char *name)
{
	size_t i;

	if (wf == NULL || name == NULL)
		return NULL;
	for (i = 0; i < wf->nsteps; i++)
		if (wf->steps[i].name != NULL && strcmp(wf->steps[i].name, name) == 0)
			return &wf->steps[i];
	return NULL;
}

/* A section that may sit at top level or under spec: (not both). */
static const inn_ynode *
section(struct wf_load *L, const inn_ynode *root, const inn_ynode *spec,
        const char *key, char *path, size_t len)
{
	const inn_ynode *a = inn_ymap_get(root, key);
	const inn_ynode *b = spec ? inn_ymap_get(spec, key) : NULL;

	if (a != NULL && b != NULL) {
		inn_l_err(&L->lc, inn_ymap_key(spec, key), "spec.%s: \"%s\" is given both "
		          "at top level (line %d) and under spec", key, key, a->line);
		return NULL;
	}
	snprintf(path, len, "%s%s", b ? "spec." : "", key);
	return b ? b : a;
}

/* The file's base name without .yaml/.yml. */
static char *
base_name(const char *file)
{
	const char *b = strrchr(file, '/');
	size_t len;

	b = b ? b + 1 : file;
	len = strlen(b);
	if (len > 5 && strcmp(b + len - 5, ".yaml") == 0)
		len -= 5;
	else if (len > 4 && strcmp(b + len - 4, ".yml") == 0)
		len -= 4;
	return strndup(b, len);
}

static void
load_header(struct wf_load *L, const inn_ynode *root, const inn_ynode *spec,
            const inn_ynode *meta)
{
	inn_workflow *wf = L->wf;
	const inn_ynode *n;
	char *mname = NULL, *mdesc = NULL, path[64];
	size_t i;

	if (meta != NULL) {
		inn_l_string(&L->lc, meta, "name", "metadata", &mname);
		inn_l_string(&L->lc, meta, "owner", "metadata", &wf->owner);
		inn_l_string(&L->lc, meta, "description", "metadata", &mdesc);
		inn_l_string(&L->lc, meta, "category", "metadata", &wf->category);
	}
	inn_l_string(&L->lc, root, "name", "", &wf->name);
	if (wf->name != NULL && mname != NULL && strcmp(wf->name, mname) != 0)
		inn_l_warn(&L->lc, inn_ymap_get(meta, "name"), "metadata.name \"%s\" differs "
		           "from name \"%s\" (using \"%s\")", mname, wf->name, wf->name);
	if (wf->name == NULL) {
		wf->name = mname;
		mname = NULL;
	}
	if (wf->name == NULL)
		wf->name = base_name(wf->file);
	n = inn_ymap_get(root, "name");
	if (n == NULL && meta != NULL)
		n = inn_ymap_get(meta, "name");
	if (wf->name != NULL && !inn_l_name_ok(wf->name))
		inn_l_err(&L->lc, n, "workflow name \"%s\" must match "
		          "[A-Za-z0-9][A-Za-z0-9_-]* (at most 128 characters)", wf->name);

	if ((n = section(L, root, spec, "description", path, sizeof(path))) != NULL)
		inn_l_string(&L->lc, n == inn_ymap_get(root, "description") ? root : spec,
		             "description", "", &wf->description);
	if (wf->description == NULL) {
		wf->description = mdesc;
		mdesc = NULL;
	}

	if ((n = section(L, root, spec, "phase", path, sizeof(path))) != NULL &&
	    !inn_l_is_null(n)) {
		if (n->kind != INN_Y_SCALAR || (strcmp(n->value, "pre-deployment") != 0 &&
		                                strcmp(n->value, "deployment") != 0 &&
		                                strcmp(n->value, "post-deployment") != 0))
			inn_l_err(&L->lc, n, "%s: must be pre-deployment, deployment or "
			          "post-deployment", path);
		else
			wf->phase = strdup(n->value);
	}
	if ((n = section(L, root, spec, "triggers", path, sizeof(path))) != NULL &&
	    inn_l_strlist(&L->lc, n, path, &wf->triggers, &wf->ntriggers) == 0) {
		for (i = 0; i < wf->ntriggers; i++)
			if (strcmp(wf->triggers[i], "product_deployment") != 0 &&
			    strcmp(wf->triggers[i], "first_deployment") != 0 &&
			    strcmp(wf->triggers[i], "manual") != 0)
				inn_l_err(&L->lc, n->kind == INN_Y_SEQ ? n->items[i] : n,
				          "%s: unknown trigger \"%s\" (known: product_deployment, "
				          "first_deployment, manual)", path, wf->triggers[i]);
	}
	if ((n = section(L, root, spec, "timeout", path, sizeof(path))) != NULL &&
	    !inn_l_is_null(n))
		inn_lw_duration(L, n, path, &wf->timeout_ms);
	free(mname);
	free(mdesc);
}

/* variables / outputs: a name -> template mapping, checked for refs. */
static json_object *
load_templates(struct wf_load *L, const inn_ynode *n, const char *path)
{
	struct ref_check rc = { L, -1, "", NULL, 1 };
	json_object *o;

	if (n == NULL || inn_l_is_null(n))
		return json_object_new_object();
	if ((o = inn_lw_json_map(L, n, path)) == NULL)
		return NULL;
	if (n == L->vars && n->kind == INN_Y_MAP) {
		/* a variable sees the ones before it */
		size_t i;
		char p[INN_L_PATH_MAX];

		for (i = 0; i < INN_YMAP_LEN(n); i++) {
			L->vars_visible = i;
			inn_lw_walk_refs(&rc, INN_YMAP_VAL(n, i),
			          inn_l_path(p, sizeof(p), path, INN_YMAP_KEY(n, i)->value));
		}
	} else {
		inn_lw_walk_refs(&rc, n, path);
	}
	L->vars_visible = (size_t)-1;
	return o;
}

/* Loads from a parsed document; see inn_workflow_load_file. */
/* The folder a workflow file sits in, made absolute ("." for text that did
 * not come from a file). */
static char *
base_dir_of(const char *file)
{
	char buf[4096], real[4096];
	const char *slash = strrchr(file, '/');

	if (slash == NULL)
		snprintf(buf, sizeof(buf), ".");
	else if (slash == file)
		snprintf(buf, sizeof(buf), "/");
	else
		snprintf(buf, sizeof(buf), "%.*s", (int)(slash - file), file);
	if (realpath(buf, real) != NULL)
		return strdup(real);
	return strdup(buf);
}

static int
load_doc(inn_workflow **out, const char *name, const inn_ydoc *doc,
         const inn_load_ctx *ctx, inn_diag *diag)
{
	static const inn_load_ctx none = { NULL, NULL };
	struct wf_load L;
	const inn_ynode *root = doc->root, *spec = NULL, *meta = NULL, *n;
	size_t nerr0 = diag->nerrors, i;
	char path[64];

	memset(&L, 0, sizeof(L));
	L.lc.file = name;
	L.lc.diag = diag;
	inn_l_next_doc(diag, doc);
	L.ctx = ctx ? ctx : &none;
	L.budget = MAX_WALK_NODES;
	if ((L.wf = calloc(1, sizeof(*L.wf))) == NULL ||
	    (L.wf->file = strdup(name)) == NULL ||
	    (L.wf->base_dir = base_dir_of(name)) == NULL ||
	    (L.wf->variables = json_object_new_object()) == NULL) {
		inn_diag_add(diag, INN_DIAG_ERROR, name, 0, 0, "out of memory");
		goto out;
	}
	if (root == NULL) {
		inn_l_err(&L.lc, NULL, "empty document: expected a workflow");
		goto out;
	}
	if (inn_l_kind(&L.lc, root, INN_Y_MAP, "workflow") != 0)
		goto out;
	inn_l_unknown_keys(&L.lc, root, top_keys, "");
	if ((n = inn_ymap_get(root, "kind")) != NULL &&
	    (n->kind != INN_Y_SCALAR || strcmp(n->value, "Workflow") != 0)) {
		inn_l_err(&L.lc, n, "kind: expected Workflow, not %s%s%s",
		          n->kind == INN_Y_SCALAR ? "\"" : "",
		          n->kind == INN_Y_SCALAR ? n->value : inn_ynode_kind_name(n),
		          n->kind == INN_Y_SCALAR ? "\"" : "");
		goto out;
	}
	if ((n = inn_ymap_get(root, "apiVersion")) != NULL && n->kind != INN_Y_SCALAR)
		inn_l_kind(&L.lc, n, INN_Y_SCALAR, "apiVersion");
	if ((meta = inn_ymap_get(root, "metadata")) != NULL) {
		if (inn_l_is_null(meta) || inn_l_kind(&L.lc, meta, INN_Y_MAP, "metadata") != 0)
			meta = NULL;
		else
			inn_l_unknown_keys(&L.lc, meta, metadata_keys, "metadata");
	}
	if ((spec = inn_ymap_get(root, "spec")) != NULL) {
		if (inn_l_kind(&L.lc, spec, INN_Y_MAP, "spec") != 0)
			goto out;
		inn_l_unknown_keys(&L.lc, spec, spec_keys, "spec");
	}
	load_header(&L, root, spec, meta);
	/* parameters render first (no variables yet), variables in order,
	 * steps and outputs see them all (see load_templates) */
	L.vars = spec != NULL && inn_ymap_get(spec, "variables") != NULL
	         ? inn_ymap_get(spec, "variables") : inn_ymap_get(root, "variables");
	L.vars_visible = 0;

	if ((n = section(&L, root, spec, "parameters", path, sizeof(path))) != NULL)
		load_params(&L, n, path);
	/* parameter defaults may reference other parameters */
	for (i = 0; i < L.wf->nparams; i++)
		if (L.pdef != NULL && L.pdef[i] != NULL) {
			struct ref_check rc = { &L, -1, "", NULL, 0 };
			char p[INN_L_PATH_MAX];

			snprintf(p, sizeof(p), "parameter \"%s\": default", L.wf->params[i].name);
			inn_lw_walk_refs(&rc, L.pdef[i], p);
		}

	n = section(&L, root, spec, "steps", path, sizeof(path));
	inn_lw_load_steps(&L, n, path);

	n = section(&L, root, spec, "variables", path, sizeof(path));
	json_object_put(L.wf->variables);
	L.wf->variables = load_templates(&L, n, path);
	L.vars_visible = (size_t)-1;
	n = section(&L, root, spec, "outputs", path, sizeof(path));
	L.wf->outputs = load_templates(&L, n, path);
	if (L.wf->variables == NULL || L.wf->outputs == NULL)
		goto out;
	if (L.wf->nsteps > 0) {
		inn_lw_check_step_refs(&L);
		inn_lw_check_step_types(&L);
	}
out:
	free(L.pdef);
	if (L.pos != NULL && L.wf != NULL) {
		for (i = 0; i < L.wf->nsteps; i++)
			free(L.pos[i].deps);
		free(L.pos);
	}
	free(L.byname);
	if (diag->nerrors != nerr0 || L.wf == NULL || L.wf->file == NULL) {
		inn_workflow_free(L.wf);
		*out = NULL;
		return INN_EINVAL;
	}
	*out = L.wf;
	return 0;
}

/* inn_l_build_fn for inn_l_load_yaml: arg is the inn_load_ctx (or NULL). */
static int
build_doc(void *out, const char *name, const inn_ydoc *doc, const void *arg,
          inn_diag *diag)
{
	return load_doc(out, name, doc, arg, diag);
}

int
inn_workflow_load_string(inn_workflow **out, const char *name, const char *text,
                         size_t len, const inn_load_ctx *ctx, inn_diag *diag)
{
	*out = NULL;
	return inn_l_load_yaml(name, text != NULL ? text : "", len, build_doc, out, ctx, diag);
}

int
inn_workflow_load_file(inn_workflow **out, const char *path, const inn_load_ctx *ctx,
                       inn_diag *diag)
{
	*out = NULL;
	return inn_l_load_yaml(path, NULL, 0, build_doc, out, ctx, diag);
}
