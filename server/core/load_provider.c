/*
 * load_provider.c - reads a provider folder (provider.yaml plus its
 * workflow files) into an inn_provider (model.h).  Two manifest forms:
 *   simple:   name, description, version, owner, workflows_dir (every
 *             *.yaml / *.yml there is a workflow)
 *   original: apiVersion, kind: Provider, metadata{...}, compatibility,
 *             capabilities{resourceTypeCapabilities[], resourceTypes[]},
 *             workflows[]{name, file, description, category, operation, ...}
 * Every workflow file must resolve (realpath) inside the provider folder.
 */
#include "model.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "load_int.h"

static const char *const top_keys[] = {
	"apiVersion", "kind", "metadata", "compatibility", "capabilities", "workflows",
	"name", "description", "version", "owner", "category", "workflows_dir", NULL
};
static const char *const metadata_keys[] = {
	"name", "version", "category", "description", "owner", "author", "homepage",
	"repository", "license", "tags", "maintainers", "labels", "annotations", NULL
};
static const char *const compat_keys[] = { "minCoreVersion", "maxCoreVersion", NULL };
static const char *const cap_keys[] = { "resourceTypeCapabilities", "resourceTypes", NULL };
static const char *const rtc_keys[] = { "type", "aliasFor", "operations", "description", NULL };
static const char *const op_names[] = { "create", "read", "update", "delete", NULL };
static const char *const wfe_keys[] = {
	"name", "file", "description", "category", "operation", "version", "tags", NULL
};

/* inn_provider_free's clears: one capability, one slot of the workflow
 * list. */
INN_PTR_CLEAR(workflow_slot_free, inn_workflow, inn_workflow_free)

static void
cap_free(void *p)
{
	inn_resource_cap *c = p;

	INN_FREE_ALL(c->type, c->alias_for, c->create, c->read, c->update, c->del);
}

void
inn_provider_free(inn_provider *p)
{
	if (p == NULL)
		return;
	INN_FREE_ALL(p->name, p->version, p->description, p->owner, p->category, p->dir, p->file,
	             p->source.path, p->source.git_url, p->source.ref, p->source.commit);
	inn_array_free(p->workflows, p->nworkflows, sizeof(*p->workflows), workflow_slot_free);
	inn_array_free(p->caps, p->ncaps, sizeof(*p->caps), cap_free);
	free(p);
}

const inn_workflow *
inn_provider_workflow(const inn_provider *p, const char *name)
{
	return p == NULL ? NULL
	                 : inn_ptrv_find_name(p->workflows, p->nworkflows,
	                                      offsetof(inn_workflow, name), name);
}

struct prov_load {
	inn_lctx lc;
	const inn_load_ctx *ctx;
	inn_provider *p;
	const char *dir;            /* the folder as given (for messages) */
	char **listed;              /* workflows[] names, loaded or not */
	size_t nlisted;
	inn_l_names listed_set;     /* listed, workflows and caps by name */
	inn_l_names wf_set, cap_set;
	inn_l_wf_extra wf_extra;    /* how its workflows load: as a provider's, from p->dir */
};

/* The provider's name, version, description, owner and category from map
 * (metadata: in the original form, the top level in the simple one; a
 * later read overrides an earlier one). */
static void
read_about(struct prov_load *P, const inn_ynode *map, const char *path)
{
	inn_l_string(&P->lc, map, "name", path, &P->p->name);
	inn_l_string(&P->lc, map, "version", path, &P->p->version);
	inn_l_string(&P->lc, map, "description", path, &P->p->description);
	inn_l_string(&P->lc, map, "owner", path, &P->p->owner);
	inn_l_string(&P->lc, map, "category", path, &P->p->category);
}

/* The capability declared for type so far, or NULL. */
static const inn_resource_cap *
find_cap(const struct prov_load *P, const char *type)
{
	size_t i = inn_l_names_get(&P->cap_set, type);

	return i == (size_t)-1 ? NULL : &P->p->caps[i];
}

/* The workflow called name added so far, or NULL. */
static const inn_workflow *
find_workflow(const struct prov_load *P, const char *name)
{
	size_t i = inn_l_names_get(&P->wf_set, name);

	return i == (size_t)-1 ? NULL : P->p->workflows[i];
}

/* Non-zero when workflows[] names wname (even if its file failed to load:
 * that was reported already). */
static int
is_listed(const struct prov_load *P, const char *wname)
{
	return inn_l_names_get(&P->listed_set, wname) != (size_t)-1;
}

static int
add_workflow(struct prov_load *P, inn_workflow *wf, const inn_ynode *at)
{
	inn_workflow **nw;
	const inn_workflow *prev = find_workflow(P, wf->name);

	if (prev != NULL) {
		inn_l_err(&P->lc, at, "workflow \"%s\" is defined twice (%s and %s)",
		          wf->name, prev->file, wf->file);
		inn_workflow_free(wf);
		return -1;
	}
	if ((nw = realloc(P->p->workflows, (P->p->nworkflows + 1) * sizeof(*nw))) == NULL) {
		inn_l_err(&P->lc, at, "out of memory");
		inn_workflow_free(wf);
		return -1;
	}
	P->p->workflows = nw;
	nw[P->p->nworkflows++] = wf;
	if (inn_l_names_put(&P->wf_set, wf->name, P->p->nworkflows - 1) != 0)
		return -1;
	if ((wf->provider = strdup(P->p->name)) == NULL)
		return -1;
	free(wf->base_dir);
	if ((wf->base_dir = strdup(P->p->dir)) == NULL)
		return -1;
	return 0;
}

/* How a provider's workflow files load: their templates may read the
 * standard inputs of a resource operation undeclared (model.h). */

/* The original form's workflows[] list. */
static void
load_workflow_list(struct prov_load *P, const inn_ynode *list)
{
	size_t i;

	if (inn_l_is_null(list) || inn_l_kind(&P->lc, list, INN_Y_SEQ, "workflows") != 0)
		return;
	for (i = 0; i < list->n; i++) {
		const inn_ynode *e = list->items[i];
		char path[64], p[INN_L_PATH_MAX];
		char *name = NULL, *file = NULL, *desc = NULL, *cat = NULL, *op = NULL;
		char *joined = NULL;
		inn_workflow *wf = NULL;

		snprintf(path, sizeof(path), "workflows[%zu]", i);
		if (inn_l_kind(&P->lc, e, INN_Y_MAP, path) != 0)
			continue;
		inn_l_unknown_keys(&P->lc, e, wfe_keys, path);
		if (inn_l_string(&P->lc, e, "name", path, &name) != 0 ||
		    inn_l_string(&P->lc, e, "file", path, &file) != 0 ||
		    inn_l_string(&P->lc, e, "description", path, &desc) != 0 ||
		    inn_l_string(&P->lc, e, "category", path, &cat) != 0 ||
		    inn_l_string(&P->lc, e, "operation", path, &op) != 0)
			goto next;
		if (name == NULL || file == NULL) {
			inn_l_err(&P->lc, e, "%s: missing required field \"%s\"", path,
			          name == NULL ? "name" : "file");
			goto next;
		}
		{
			char **nl = realloc(P->listed, (P->nlisted + 1) * sizeof(*nl));

			if (nl == NULL || (nl[P->nlisted] = strdup(name)) == NULL) {
				if (nl != NULL)
					P->listed = nl;
				inn_l_err(&P->lc, e, "out of memory");
				goto next;
			}
			P->listed = nl;
			P->nlisted++;
			if (inn_l_names_put(&P->listed_set, nl[P->nlisted - 1], 0) != 0) {
				inn_l_err(&P->lc, e, "out of memory");
				goto next;
			}
		}
		if (op != NULL && strcmp(op, "create") != 0 && strcmp(op, "read") != 0 &&
		    strcmp(op, "update") != 0 && strcmp(op, "delete") != 0) {
			inn_l_err(&P->lc, inn_ymap_get(e, "operation"), "%s: unknown operation "
			          "\"%s\" (known: create, read, update, delete)",
			          inn_l_path(p, sizeof(p), path, "operation"), op);
			goto next;
		}
		if (inn_l_confine(&P->lc, inn_ymap_get(e, "file"),
		                  inn_l_path(p, sizeof(p), path, "file"), P->p->dir, P->dir,
		                  file, 0, &joined, NULL) != 0)
			goto next;
		if (inn_l_workflow_load_in(&wf, joined, NULL, 0, P->ctx, &P->wf_extra,
		                           P->lc.diag) != 0)
			goto next;
		if (strcmp(wf->name, name) != 0) {
			inn_l_warn(&P->lc, inn_ymap_get(e, "name"), "%s: workflow \"%s\" is "
			           "named \"%s\" inside %s (using \"%s\")", path, name, wf->name,
			           joined, name);
			free(wf->name);
			wf->name = name;
			name = NULL;
		}
		if (op != NULL) {
			wf->operation = op;
			op = NULL;
		}
		if (cat != NULL) {
			free(wf->category);
			wf->category = cat;
			cat = NULL;
		}
		if (wf->description == NULL) {
			wf->description = desc;
			desc = NULL;
		}
		add_workflow(P, wf, e);
	next:
		free(name);
		free(file);
		free(desc);
		free(cat);
		free(op);
		free(joined);
	}
}

static int
is_yaml_name(const char *n)
{
	size_t l = strlen(n);

	if (n[0] == '.')
		return 0;
	return (l > 5 && strcmp(n + l - 5, ".yaml") == 0) ||
	       (l > 4 && strcmp(n + l - 4, ".yml") == 0);
}

/* The simple form: every *.yaml / *.yml of the workflows folder. */
static void
load_workflow_dir(struct prov_load *P, const inn_ynode *at, const char *rel, int written)
{
	char *joined = NULL, *real = NULL;
	struct dirent **ents = NULL;
	int n, i;

	if (!written) {
		/* the default folder may be absent (a provider of capabilities only) */
		char *probe = inn_l_join(P->dir, rel);
		struct stat st;

		if (probe == NULL || lstat(probe, &st) != 0) {
			free(probe);
			return;
		}
		free(probe);
	}
	if (inn_l_confine(&P->lc, at, "workflows_dir", P->p->dir, P->dir, rel, 1,
	                  &joined, &real) != 0)
		return;
	if ((n = scandir(joined, &ents, NULL, alphasort)) < 0) {
		inn_l_err(&P->lc, at, "workflows_dir: cannot read %s: %s", joined,
		          strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++) {
		char *file = NULL, *frel = NULL;
		inn_workflow *wf = NULL;

		if (is_yaml_name(ents[i]->d_name) &&
		    (frel = inn_l_join(rel, ents[i]->d_name)) != NULL &&
		    inn_l_confine(&P->lc, at, "workflows_dir", P->p->dir, P->dir, frel, 0,
		                  &file, NULL) == 0 &&
		    inn_l_workflow_load_in(&wf, file, NULL, 0, P->ctx, &P->wf_extra,
		                           P->lc.diag) == 0)
			add_workflow(P, wf, at);
		free(file);
		free(frel);
	}
out:
	for (i = 0; ents != NULL && i < n; i++)
		free(ents[i]);
	free(ents);
	free(joined);
	free(real);
}

static int
add_cap(struct prov_load *P, const inn_ynode *at, const char *type, inn_resource_cap **out)
{
	inn_resource_cap *nc;
	const inn_resource_cap *prev = find_cap(P, type);

	*out = NULL;
	if (prev != NULL) {
		inn_l_err(&P->lc, at, "capabilities: resource type \"%s\" is declared twice "
		          "(lines %d and %d)", type, prev->line, at->line);
		return -1;
	}
	if ((nc = realloc(P->p->caps, (P->p->ncaps + 1) * sizeof(*nc))) == NULL)
		return -1;
	P->p->caps = nc;
	*out = &nc[P->p->ncaps];
	memset(*out, 0, sizeof(**out));
	if (((*out)->type = strdup(type)) == NULL)
		return -1;
	(*out)->line = at->line;
	(*out)->col = at->col;
	P->p->ncaps++;
	if (inn_l_names_put(&P->cap_set, (*out)->type, P->p->ncaps - 1) != 0)
		return -1;
	return 0;
}

/* operations{create: {workflow: w}, ...} (also create: w). */
static void
load_operations(struct prov_load *P, inn_resource_cap *c, const inn_ynode *ops,
                const char *path)
{
	size_t i, j;
	char p[INN_L_PATH_MAX];

	if (inn_l_is_null(ops) || inn_l_kind(&P->lc, ops, INN_Y_MAP, path) != 0)
		return;
	for (i = 0; i < INN_YMAP_LEN(ops); i++) {
		const inn_ynode *k = INN_YMAP_KEY(ops, i), *v = INN_YMAP_VAL(ops, i);
		char **slot[4] = { &c->create, &c->read, &c->update, &c->del };
		char *wname = NULL;

		for (j = 0; op_names[j] != NULL; j++)
			if (strcmp(k->value, op_names[j]) == 0)
				break;
		inn_l_path(p, sizeof(p), path, k->value);
		if (op_names[j] == NULL) {
			inn_l_err(&P->lc, k, "%s: unknown operation \"%s\" (known: create, "
			          "read, update, delete)", path, k->value);
			continue;
		}
		if (v->kind == INN_Y_SCALAR && !inn_l_is_null(v)) {
			wname = strdup(v->value);
		} else if (v->kind == INN_Y_MAP) {
			static const char *const keys[] = { "workflow", NULL };

			inn_l_unknown_keys(&P->lc, v, keys, p);
			if (inn_l_required_string(&P->lc, v, "workflow", p, &wname) != 0)
				continue;
			v = inn_ymap_get(v, "workflow");
		} else {
			inn_l_err(&P->lc, v, "%s: must be a mapping {workflow: name}, not %s", p,
			          inn_l_is_null(v) ? "null" : inn_ynode_kind_name(v));
			continue;
		}
		if (wname == NULL)
			continue;
		if (find_workflow(P, wname) == NULL && !is_listed(P, wname)) {
			inn_l_err(&P->lc, v, "%s: workflow \"%s\" is not a workflow of provider "
			          "\"%s\"", p, wname, P->p->name);
			free(wname);
			continue;
		}
		if (find_workflow(P, wname) == NULL) {
			free(wname); /* listed, but its file had errors (reported) */
			continue;
		}
		free(*slot[j]);
		*slot[j] = wname;
	}
}

/* The workflow a legacy resourceTypes entry creates with: the provider's
 * first workflow with operation create, else its first "provisioner"
 * workflow that names no operation (the original's fallback). */
static const inn_workflow *
legacy_create(const inn_provider *p)
{
	size_t i;

	for (i = 0; i < p->nworkflows; i++)
		if (p->workflows[i]->operation != NULL &&
		    strcmp(p->workflows[i]->operation, "create") == 0)
			return p->workflows[i];
	for (i = 0; i < p->nworkflows; i++)
		if (p->workflows[i]->operation == NULL && p->workflows[i]->category != NULL &&
		    strcmp(p->workflows[i]->category, "provisioner") == 0)
			return p->workflows[i];
	return NULL;
}

static void
load_capabilities(struct prov_load *P, const inn_ynode *caps)
{
	const inn_ynode *rtc, *rt;
	size_t i;

	if (inn_l_is_null(caps) || inn_l_kind(&P->lc, caps, INN_Y_MAP, "capabilities") != 0)
		return;
	inn_l_unknown_keys(&P->lc, caps, cap_keys, "capabilities");
	rtc = inn_ymap_get(caps, "resourceTypeCapabilities");
	if (rtc != NULL && !inn_l_is_null(rtc) &&
	    inn_l_kind(&P->lc, rtc, INN_Y_SEQ, "capabilities.resourceTypeCapabilities") == 0) {
		for (i = 0; i < rtc->n; i++) {
			const inn_ynode *e = rtc->items[i], *tn;
			char path[96], p[INN_L_PATH_MAX];
			char *type = NULL;
			inn_resource_cap *c;

			snprintf(path, sizeof(path), "capabilities.resourceTypeCapabilities[%zu]",
			         i);
			if (inn_l_kind(&P->lc, e, INN_Y_MAP, path) != 0)
				continue;
			inn_l_unknown_keys(&P->lc, e, rtc_keys, path);
			if (inn_l_required_string(&P->lc, e, "type", path, &type) != 0)
				continue;
			tn = inn_ymap_get(e, "type");
			if (add_cap(P, tn, type, &c) != 0 || c == NULL) {
				free(type);
				continue;
			}
			free(type);
			if (inn_l_string(&P->lc, e, "aliasFor", path, &c->alias_for) != 0)
				continue;
			if (inn_ymap_get(e, "operations") != NULL) {
				if (c->alias_for != NULL)
					inn_l_warn(&P->lc, inn_ymap_key(e, "operations"), "%s: type \"%s\" "
					           "is an alias of \"%s\"; its operations are ignored",
					           path, c->type, c->alias_for);
				else
					load_operations(P, c, inn_ymap_get(e, "operations"),
					                inn_l_path(p, sizeof(p), path, "operations"));
			}
		}
	}
	/* aliases: checked once every type is known */
	for (i = 0; i < P->p->ncaps; i++) {
		const inn_resource_cap *c = &P->p->caps[i], *t;
		inn_ynode at = { 0 };

		if (c->alias_for == NULL)
			continue;
		at.line = c->line;
		at.col = c->col;
		if ((t = find_cap(P, c->alias_for)) == NULL)
			inn_l_err(&P->lc, &at, "capabilities: type \"%s\" is an alias for \"%s\", "
			          "which provider \"%s\" does not declare", c->type, c->alias_for,
			          P->p->name);
		else if (t->alias_for != NULL)
			inn_l_err(&P->lc, &at, "capabilities: type \"%s\" is an alias for \"%s\", "
			          "which is itself an alias (of \"%s\"); name the real type",
			          c->type, c->alias_for, t->alias_for);
	}
	/* the legacy list: types it names that have no capability entry */
	rt = inn_ymap_get(caps, "resourceTypes");
	if (rt != NULL && !inn_l_is_null(rt) &&
	    inn_l_kind(&P->lc, rt, INN_Y_SEQ, "capabilities.resourceTypes") == 0) {
		const inn_workflow *cw = legacy_create(P->p);

		for (i = 0; i < rt->n; i++) {
			const inn_ynode *e = rt->items[i];
			inn_resource_cap *c;
			char q[96];

			if (e->kind != INN_Y_SCALAR || inn_l_is_null(e)) {
				inn_l_err(&P->lc, e, "%s: must be a resource type name",
				          inn_l_index(q, sizeof(q), "capabilities.resourceTypes", i));
				continue;
			}
			if (find_cap(P, e->value) != NULL)
				continue;
			if (add_cap(P, e, e->value, &c) != 0 || c == NULL)
				continue;
			if (cw != NULL && (c->create = strdup(cw->name)) == NULL)
				inn_l_err(&P->lc, e, "out of memory");
		}
	}
}

int
inn_provider_load_dir(inn_provider **out, const char *dir, const inn_load_ctx *ctx,
                      inn_diag *diag)
{
	static const inn_load_ctx none = { NULL, NULL };
	struct prov_load P;
	inn_ydoc *doc = NULL;
	const inn_ynode *root, *meta = NULL, *n;
	size_t nerr0 = diag->nerrors;
	char *wdir = NULL;
	int original;

	*out = NULL;
	memset(&P, 0, sizeof(P));
	P.ctx = ctx ? ctx : &none;
	P.dir = dir;
	P.lc.diag = diag;
	if ((P.p = calloc(1, sizeof(*P.p))) == NULL ||
	    (P.p->file = inn_l_join(dir, "provider.yaml")) == NULL) {
		inn_diag_add(diag, INN_DIAG_ERROR, dir, 0, 0, "out of memory");
		goto out;
	}
	P.lc.file = P.p->file;
	if ((P.p->dir = realpath(dir, NULL)) == NULL) {
		inn_diag_add(diag, INN_DIAG_ERROR, dir, 0, 0, "cannot open provider folder: %s",
		             strerror(errno));
		goto out;
	}
	P.wf_extra.provider = 1;
	P.wf_extra.base_dir = P.p->dir;
	if (inn_l_read(&doc, P.p->file, NULL, 0, diag) != 0)
		goto out;
	inn_l_next_doc(diag, doc);
	if ((root = doc->root) == NULL) {
		inn_l_err(&P.lc, NULL, "empty document: expected a provider manifest");
		goto out;
	}
	if (inn_l_kind(&P.lc, root, INN_Y_MAP, "provider manifest") != 0)
		goto out;
	inn_l_unknown_keys(&P.lc, root, top_keys, "");
	n = inn_ymap_get(root, "kind");
	original = n != NULL || inn_ymap_get(root, "metadata") != NULL;
	if (n != NULL && (n->kind != INN_Y_SCALAR || strcmp(n->value, "Provider") != 0)) {
		inn_l_err(&P.lc, n, "kind: expected Provider, not %s",
		          n->kind == INN_Y_SCALAR ? n->value : inn_ynode_kind_name(n));
		goto out;
	}
	if (original) {
		meta = inn_ymap_get(root, "metadata");
		if (meta == NULL) {
			inn_l_err(&P.lc, root, "missing required field \"metadata\"");
			goto out;
		}
		if (inn_l_kind(&P.lc, meta, INN_Y_MAP, "metadata") != 0)
			goto out;
		inn_l_unknown_keys(&P.lc, meta, metadata_keys, "metadata");
		read_about(&P, meta, "metadata");
		if ((n = inn_ymap_get(root, "compatibility")) != NULL && !inn_l_is_null(n) &&
		    inn_l_kind(&P.lc, n, INN_Y_MAP, "compatibility") == 0)
			inn_l_unknown_keys(&P.lc, n, compat_keys, "compatibility");
	}
	/* top-level fields: the simple form (or overrides in the original) */
	read_about(&P, root, "");
	if (P.p->name == NULL) {
		inn_l_err(&P.lc, original ? meta : root, "missing required field \"%s\"",
		          original ? "metadata.name" : "name");
		goto out;
	}
	if (strlen(P.p->name) > 128) {
		inn_l_err(&P.lc, inn_ymap_get(original ? meta : root, "name"), "provider name "
		          "\"%.40s...\" is %zu characters long; a name has at most 128",
		          P.p->name, strlen(P.p->name));
		goto out;
	}
	if (!inn_l_name_ok(P.p->name)) {
		inn_l_err(&P.lc, inn_ymap_get(original ? meta : root, "name"), "provider name "
		          "\"%s\" must match [A-Za-z0-9][A-Za-z0-9_-]*", P.p->name);
		goto out;
	}
	if (inn_l_string(&P.lc, root, "workflows_dir", "", &wdir) != 0)
		goto out;
	if ((n = inn_ymap_get(root, "workflows")) != NULL) {
		if (wdir != NULL)
			inn_l_warn(&P.lc, inn_ymap_key(root, "workflows_dir"), "workflows_dir is "
			           "ignored: workflows lists the files");
		load_workflow_list(&P, n);
	} else {
		load_workflow_dir(&P, wdir ? inn_ymap_get(root, "workflows_dir") : root,
		                  wdir ? wdir : "workflows", wdir != NULL);
	}
	if ((n = inn_ymap_get(root, "capabilities")) != NULL)
		load_capabilities(&P, n);
out:
	free(wdir);
	inn_l_strv_free(P.listed, P.nlisted);
	inn_l_names_free(&P.listed_set);
	inn_l_names_free(&P.wf_set);
	inn_l_names_free(&P.cap_set);
	inn_ydoc_free(doc);
	if (diag->nerrors != nerr0 || P.p == NULL) {
		inn_provider_free(P.p);
		return INN_EINVAL;
	}
	*out = P.p;
	return 0;
}
