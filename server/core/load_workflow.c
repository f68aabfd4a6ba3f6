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

/* --- parameters (declarations are read by load_param.c) ------------------ */

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
	    (L->refused = calloc(cnt, sizeof(*L->refused))) == NULL ||
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
		if (inn_l_param_parse(&L->lc, item, key, p, pa) != 0) {
			const inn_ynode *nm = key != NULL ? key : inn_ymap_get(item, "name");

			if (nm != NULL && nm->kind == INN_Y_SCALAR && L->refused != NULL)
				L->refused[L->nrefused++] = nm->value;
			continue;
		}
		if (item->kind == INN_Y_MAP)
			L->pdef[nparsed] = inn_ymap_get(item, "default");
		orig[nparsed] = i;
		nparsed++;
	}
	/* first[k]: the declaration k repeats, or k itself */
	wf->nparams = nparsed;
	if (inn_l_params_index(wf) != 0) {
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
			inn_l_param_free(pa);
			continue;
		}
		if (j != i) {
			wf->params[j] = *pa;
			L->pdef[j] = L->pdef[i];
		}
		j++;
	}
	wf->nparams = j;
	if (j != nparsed && inn_l_params_index(wf) != 0)
		inn_l_err(&L->lc, node, "out of memory");
out:
	free(orig);
	free(first);
}

/* The older golden-path form names dst, a parameter the workflow declares
 * (x->params[k]): its declaration stays, required and the default change
 * (a required one has no default: it must be given). */
static void
legacy_join(const inn_l_wf_extra *x, size_t k, inn_param *dst)
{
	const inn_param *src = &x->params[k];
	json_object *def = NULL;
	char why[256];

	if (src->def != NULL && inn_l_param_default(dst, src->def, &def, why, sizeof(why)) != 0) {
		inn_l_err(x->lc, x->at[k], "optional_params.%s: %s (the workflow declares \"%s\" of "
		          "type %s)", src->name, why, dst->name, dst->type);
		return;
	}
	dst->required = src->required;
	if (src->def != NULL || src->required) {
		json_object_put(dst->def);
		dst->def = def;
	}
}

/* The parameters a golden path declares for the workflow (x->params) join
 * its own, replacing one of the same name (whose default node, in pdef,
 * is then no longer its declaration).  Before the templates are checked. */
static void
add_declared(struct wf_load *L, const inn_l_wf_extra *x, const inn_ynode *at)
{
	inn_workflow *wf = L->wf;
	size_t k, i;

	for (k = 0; x != NULL && k < x->nparams; k++) {
		const inn_param *src = &x->params[k];
		inn_param *np;

		for (i = 0; i < wf->nparams && strcmp(wf->params[i].name, src->name) != 0; i++)
			;
		if (i < wf->nparams && x->legacy) {
			legacy_join(x, k, &wf->params[i]);
			continue;
		}
		if (i < wf->nparams) {
			inn_l_param_free(&wf->params[i]);
			if (L->pdef != NULL)
				L->pdef[i] = NULL;
		} else if ((np = realloc(wf->params, (wf->nparams + 1) * sizeof(*np))) != NULL) {
			wf->params = np;
			/* pdef covers every parameter (load_check.c reads it by index) */
			if (L->pdef != NULL) {
				const inn_ynode **nd = realloc(L->pdef, (wf->nparams + 1) *
				                                        sizeof(*nd));

				if (nd == NULL)
					goto nomem;
				L->pdef = nd;
				L->pdef[wf->nparams] = NULL;
			}
			wf->nparams++;
		} else {
			goto nomem;
		}
		if (inn_l_param_copy(&wf->params[i], src) != 0) {
			/* keep the arrays whole: a copy failed, drop the slot */
			memmove(&wf->params[i], &wf->params[i + 1],
			        (wf->nparams - i - 1) * sizeof(*wf->params));
			if (L->pdef != NULL)
				memmove(&L->pdef[i], &L->pdef[i + 1],
				        (wf->nparams - i - 1) * sizeof(*L->pdef));
			if (i < L->npdef)
				L->npdef--;
			wf->nparams--;
			goto nomem;
		}
	}
	if (x != NULL && x->nparams > 0 && inn_l_params_index(wf) != 0)
		goto nomem;
	return;
nomem:
	inn_l_err(&L->lc, at, "out of memory");
}

/* --- the workflow --------------------------------------------------------- */

void
inn_workflow_free(inn_workflow *wf)
{
	size_t i;

	if (wf == NULL)
		return;
	INN_FREE_ALL(wf->name, wf->description, wf->file, wf->owner, wf->phase, wf->provider,
	             wf->base_dir, wf->operation, wf->category, wf->param_byname);
	inn_l_strv_free(wf->triggers, wf->ntriggers);
	inn_l_params_free(wf->params, wf->nparams);
	json_object_put(wf->variables);
	for (i = 0; i < wf->nsteps; i++)
		inn_lw_step_free(&wf->steps[i]);
	free(wf->steps);
	json_object_put(wf->outputs);
	json_object_put(wf->spec_refs);
	free(wf);
}

const inn_step_def *
inn_workflow_step(const inn_workflow *wf, const char *name)
{
	return wf == NULL ? NULL
	                  : inn_array_find_name(wf->steps, wf->nsteps, sizeof(*wf->steps),
	                                        offsetof(inn_step_def, name), name);
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
	struct ref_check rc = { L, -1, "", NULL, 1, 0 };
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
         const inn_load_ctx *ctx, const inn_l_wf_extra *x, inn_diag *diag)
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
	L.provider = x != NULL && x->provider;
	L.x = x;
	L.budget = MAX_WALK_NODES;
	if ((L.wf = calloc(1, sizeof(*L.wf))) == NULL ||
	    (L.wf->file = strdup(name)) == NULL ||
	    (L.wf->base_dir = x != NULL && x->base_dir != NULL ? strdup(x->base_dir)
	                                                    : base_dir_of(name)) == NULL ||
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
	L.npdef = L.pdef != NULL ? L.wf->nparams : 0;
	add_declared(&L, x, root);
	/* parameter defaults may reference other parameters */
	for (i = 0; i < L.npdef; i++)
		if (L.pdef[i] != NULL) {
			struct ref_check rc = { &L, -1, "", NULL, 0, 0 };
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
	free(L.refused);
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

/* What build_doc is handed: the load context and the extras (NULL: none). */
struct load_args {
	const inn_load_ctx *ctx;
	const inn_l_wf_extra *x;
};

/* inn_l_build_fn for inn_l_load_yaml: arg is a struct load_args. */
static int
build_doc(void *out, const char *name, const inn_ydoc *doc, const void *arg,
          inn_diag *diag)
{
	const struct load_args *a = arg;

	return load_doc(out, name, doc, a->ctx, a->x, diag);
}

int
inn_workflow_load_string(inn_workflow **out, const char *name, const char *text,
                         size_t len, const inn_load_ctx *ctx, inn_diag *diag)
{
	return inn_l_workflow_load_in(out, name, text != NULL ? text : "", len, ctx, NULL,
	                              diag);
}

int
inn_workflow_load_file(inn_workflow **out, const char *path, const inn_load_ctx *ctx,
                       inn_diag *diag)
{
	return inn_l_workflow_load_in(out, path, NULL, 0, ctx, NULL, diag);
}

int
inn_l_workflow_load_in(inn_workflow **out, const char *name, const char *text,
                       size_t len, const inn_load_ctx *ctx, const inn_l_wf_extra *x,
                       inn_diag *diag)
{
	const struct load_args a = { ctx, x };

	*out = NULL;
	return inn_l_load_yaml(name, text, len, build_doc, out, &a, diag);
}
