/*
 * catalog.c - the whole catalog (model.h): every provider folder named by
 * the admin config, the golden paths of goldenpaths.yaml, the checks that
 * span providers (one owner per resource type, unique provider names) and
 * the lookups the executor and the API use.
 */
#include "model.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "load_int.h"
#include "mask.h"

/* Frees what golden path p (an inn_goldenpath *) owns; an inn_array_free
 * clear. */
static void
goldenpath_free(void *p)
{
	inn_goldenpath *g = p;

	INN_FREE_ALL(g->name, g->description, g->category, g->workflow_ref,
	             g->estimated_duration);
	inn_l_strv_free(g->tags, g->ntags);
	inn_l_params_free(g->params, g->nparams);
	if (g->owns_workflow)
		inn_workflow_free(g->workflow);
}

INN_PTR_CLEAR(provider_slot_free, inn_provider, inn_provider_free)

void
inn_catalog_free(inn_catalog *c)
{
	if (c == NULL)
		return;
	inn_array_free(c->providers, c->nproviders, sizeof(*c->providers), provider_slot_free);
	inn_array_free(c->goldenpaths, c->ngoldenpaths, sizeof(*c->goldenpaths),
	               goldenpath_free);
	free(c);
}

const inn_provider *
inn_catalog_provider(const inn_catalog *c, const char *name)
{
	return c == NULL ? NULL
	                 : inn_ptrv_find_name(c->providers, c->nproviders,
	                                      offsetof(inn_provider, name), name);
}

const inn_goldenpath *
inn_catalog_goldenpath(const inn_catalog *c, const char *name)
{
	return c == NULL ? NULL
	                 : inn_array_find_name(c->goldenpaths, c->ngoldenpaths,
	                                       sizeof(*c->goldenpaths),
	                                       offsetof(inn_goldenpath, name), name);
}

const inn_workflow *
inn_catalog_workflow(const inn_catalog *c, const char *ref)
{
	const char *slash;
	const inn_goldenpath *g;
	size_t i;

	if (c == NULL || ref == NULL)
		return NULL;
	if ((slash = strchr(ref, '/')) != NULL) {
		for (i = 0; i < c->nproviders; i++) {
			const inn_provider *p = c->providers[i];

			if (strlen(p->name) == (size_t)(slash - ref) &&
			    strncmp(p->name, ref, (size_t)(slash - ref)) == 0)
				return inn_provider_workflow(p, slash + 1);
		}
		return NULL;
	}
	g = inn_catalog_goldenpath(c, ref);
	return g ? g->workflow : NULL;
}

/* The capability declaring type in p, or NULL. */
static const inn_resource_cap *
provider_cap(const inn_provider *p, const char *type)
{
	size_t i;

	for (i = 0; i < p->ncaps; i++)
		if (strcmp(p->caps[i].type, type) == 0)
			return &p->caps[i];
	return NULL;
}

const inn_resource_cap *
inn_catalog_resource(const inn_catalog *c, const char *type, const inn_provider **provider)
{
	size_t i;

	if (provider != NULL)
		*provider = NULL;
	if (c == NULL || type == NULL)
		return NULL;
	for (i = 0; i < c->nproviders; i++) {
		const inn_resource_cap *cap = provider_cap(c->providers[i], type);

		if (cap == NULL)
			continue;
		if (cap->alias_for != NULL && (cap = provider_cap(c->providers[i],
		                                                  cap->alias_for)) == NULL)
			return NULL;
		if (provider != NULL)
			*provider = c->providers[i];
		return cap;
	}
	return NULL;
}

/* --- loading ------------------------------------------------------------- */

static int
add_provider(inn_catalog *c, inn_provider *p, inn_diag *diag)
{
	inn_provider **np;
	const inn_provider *prev = inn_catalog_provider(c, p->name);
	size_t i, j;
	int clash = 0;

	if (prev != NULL) {
		inn_diag_add(diag, INN_DIAG_ERROR, p->file, 0, 0, "provider \"%s\" is already "
		             "loaded from %s", p->name, prev->file);
		inn_provider_free(p);
		return -1;
	}
	for (i = 0; i < p->ncaps; i++)
		for (j = 0; j < c->nproviders; j++) {
			const inn_resource_cap *o = provider_cap(c->providers[j], p->caps[i].type);

			if (o == NULL)
				continue;
			inn_diag_add(diag, INN_DIAG_ERROR, p->file, p->caps[i].line,
			             p->caps[i].col, "resource type \"%s\" is claimed by two "
			             "providers: \"%s\" (%s:%d) and \"%s\" (%s:%d)",
			             p->caps[i].type, c->providers[j]->name, c->providers[j]->file,
			             o->line, p->name, p->file, p->caps[i].line);
			clash = 1;
		}
	if (clash) {
		inn_provider_free(p);
		return -1;
	}
	if ((np = realloc(c->providers, (c->nproviders + 1) * sizeof(*np))) == NULL) {
		inn_diag_add(diag, INN_DIAG_ERROR, p->file, 0, 0, "out of memory");
		inn_provider_free(p);
		return -1;
	}
	c->providers = np;
	np[c->nproviders++] = p;
	return 0;
}

/* path after symbolic links is root itself or inside it (both exist).
 * A provider read from a git clone must not reach the host through a
 * link; the same rule holds for every folder. */
static int
stays_inside(const char *root, const char *path, char real[PATH_MAX])
{
	char r[PATH_MAX];
	size_t n;

	if (realpath(root, r) == NULL || realpath(path, real) == NULL)
		return 1;  /* gone: the readers after say so */
	n = strlen(r);
	return strcmp(r, "/") == 0 ||
	       (strncmp(real, r, n) == 0 && (real[n] == '\0' || real[n] == '/'));
}

/* 1: dir has a provider.yaml inside it; 0: none; -1: it is a link out of
 * dir (an error in diag). */
static int
has_manifest(const char *dir, inn_diag *diag)
{
	char *m = inn_l_join(dir, "provider.yaml");
	char real[PATH_MAX];
	struct stat st;
	int ok;

	if (m == NULL)
		return 0;
	ok = stat(m, &st) == 0 && S_ISREG(st.st_mode);
	if (ok && !stays_inside(dir, m, real)) {
		inn_diag_add(diag, INN_DIAG_ERROR, m, 0, 0, "provider.yaml is a symbolic link out "
		             "of its folder (to %s); not loaded", real);
		ok = -1;
	}
	free(m);
	return ok;
}

static void
load_one(inn_catalog *c, const char *dir, const inn_load_ctx *ctx, inn_diag *diag)
{
	inn_provider *p = NULL;

	if (inn_provider_load_dir(&p, dir, ctx, diag) == 0)
		add_provider(c, p, diag);
}

/* dir is a provider folder, or a folder whose subfolders are providers. */
static void
load_dir(inn_catalog *c, const char *dir, const inn_load_ctx *ctx, inn_diag *diag)
{
	struct dirent **ents = NULL;
	struct stat st;
	int n, i, found = 0;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		inn_diag_add(diag, INN_DIAG_ERROR, dir, 0, 0, "provider folder: %s",
		             stat(dir, &st) != 0 ? strerror(errno) : "not a directory");
		return;
	}
	if ((i = has_manifest(dir, diag)) != 0) {
		if (i > 0)
			load_one(c, dir, ctx, diag);
		return;
	}
	if ((n = scandir(dir, &ents, NULL, alphasort)) < 0) {
		inn_diag_add(diag, INN_DIAG_ERROR, dir, 0, 0, "cannot read provider folder: %s",
		             strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		char *sub;

		if (ents[i]->d_name[0] != '.' &&
		    (sub = inn_l_join(dir, ents[i]->d_name)) != NULL) {
			char real[PATH_MAX];
			int m;

			if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode) && !stays_inside(dir, sub, real))
				inn_diag_add(diag, INN_DIAG_ERROR, sub, 0, 0, "a symbolic link out of "
				             "the provider folder %s (to %s); not loaded", dir, real);
			else if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode) &&
			         (m = has_manifest(sub, diag)) != 0) {
				if (m > 0)
					load_one(c, sub, ctx, diag);
				found = 1;
			}
			free(sub);
		}
		free(ents[i]);
	}
	free(ents);
	if (!found)
		inn_diag_add(diag, INN_DIAG_WARNING, dir, 0, 0, "no provider.yaml here nor in "
		             "any subfolder: no providers loaded from this folder");
}

static const char *const gp_keys[] = {
	"workflow", "description", "category", "tags", "estimated_duration", "parameters",
	"required_params", "optional_params", NULL
};

/* The working directory when the original innominatus's reading of a
 * golden-path file reference can differ from ours: it read goldenpaths.yaml
 * from its working directory and resolved workflow paths there, so a file
 * in a subfolder of it (examples/goldenpaths.yaml) meant paths relative to
 * the working directory.  malloc'd, or NULL when the working directory is
 * "/", the folder gdir itself, or does not hold gdir. */
static char *
original_base(const char *gdir)
{
	char *cwd = getcwd(NULL, 0);
	size_t n = cwd ? strlen(cwd) : 0;

	if (cwd != NULL && strcmp(cwd, "/") != 0 && strncmp(gdir, cwd, n) == 0 &&
	    gdir[n] == '/')
		return cwd;
	free(cwd);
	return NULL;
}

/* What base/ref is: 1 a regular file, 2 something else (a folder), 0
 * nothing; *st receives its status. */
static int
file_in(const char *base, const char *ref, struct stat *st)
{
	char *f = inn_l_join(base, ref);
	int k = f == NULL || stat(f, st) != 0 ? 0 : S_ISREG(st->st_mode) ? 1 : 2;

	free(f);
	return k;
}

/* The folder a golden path's relative workflow file is read from: gdir
 * (the folder of goldenpaths.yaml), or -- when the file is not there but
 * is where the original looked (original_base) -- that folder, with a
 * warning naming both when they are two files (not one file reached two
 * ways).  When it is in neither, or is a folder, the error says so.
 * Returns the folder (gdir itself, or a malloc'd one in *own), or NULL
 * when reported. */
static const char *
gp_file_base(const inn_lctx *lc, const inn_ynode *at, const char *p, const char *gdir,
             const char *ref, char **own)
{
	char *orig = ref[0] == '/' ? NULL : original_base(gdir);
	struct stat sh, st;
	int kh = file_in(gdir, ref, &sh), kt = orig != NULL ? file_in(orig, ref, &st) : 0;
	int here = kh == 1, there = kt == 1;

	*own = NULL;
	if (orig == NULL || (here && !there)) {
		free(orig);
		return gdir;
	}
	if (here) {
		if (sh.st_dev != st.st_dev || sh.st_ino != st.st_ino)
			inn_l_warn(lc, at, "%s: \"%s\" is read from the folder of the golden "
			           "paths file (%s); the original innominatus read the one in "
			           "its working directory (%s) when started there, which is "
			           "another file", p, ref, gdir, orig);
		free(orig);
		return gdir;
	}
	if (!there) {
		if (kh == 2 || kt == 2)
			inn_l_err(lc, at, "%s: \"%s\" is a folder (in %s), not a workflow "
			          "file: name the YAML file of the workflow", p, ref,
			          kh == 2 ? gdir : orig);
		else
			inn_l_err(lc, at, "%s: \"%s\" is in neither the folder of the golden "
			          "paths file (%s, where innominatus reads it) nor the working "
			          "directory (%s, where the original innominatus read it)", p,
			          ref, gdir, orig);
		free(orig);
		return NULL;
	}
	inn_l_warn(lc, at, "%s: \"%s\" is not in the folder of the golden paths file "
	           "(%s): read from the working directory (%s), as the original "
	           "innominatus did; write it relative to the golden paths file", p, ref,
	           gdir, orig);
	*own = orig;
	return orig;
}

/* A golden path's workflow: a file (./x.yaml, relative to goldenpaths.yaml,
 * confined to its folder; see gp_file_base) or provider/workflow from the
 * catalog. */
static void
gp_workflow(inn_catalog *c, inn_goldenpath *g, const inn_lctx *lc, const inn_ynode *at,
            const char *gdir, const inn_load_ctx *ctx, const char *path, inn_l_wf_extra *x)
{
	const char *ref = g->workflow_ref;
	size_t len = strlen(ref);
	int is_file = strncmp(ref, "./", 2) == 0 || strncmp(ref, "../", 3) == 0 ||
	              ref[0] == '/' || (len > 5 && strcmp(ref + len - 5, ".yaml") == 0) ||
	              (len > 4 && strcmp(ref + len - 4, ".yml") == 0);
	char p[INN_L_PATH_MAX];

	/* the golden path's parameters are declarations of its workflow */
	x->params = g->params;
	x->nparams = g->nparams;
	x->lc = lc;

	inn_l_path(p, sizeof(p), path, "workflow");
	if (is_file) {
		char *file = NULL, *own = NULL;
		const char *base = gp_file_base(lc, at, p, gdir, ref, &own);
		inn_workflow *wf = NULL;
		int rc;

		if (base == NULL)
			return;
		rc = inn_l_confine(lc, at, p, base, base, ref, 0, &file, NULL);
		free(own);
		if (rc != 0)
			return;
		if (inn_l_workflow_load_in(&wf, file, NULL, 0, ctx, x, lc->diag) == 0) {
			g->workflow = wf;
			g->owns_workflow = 1;
		}
		free(file);
		return;
	}
	if (strchr(ref, '/') == NULL) {
		inn_l_err(lc, at, "%s: \"%s\" is neither a file (./name.yaml) nor "
		          "provider/workflow", p, ref);
		return;
	}
	if ((g->workflow = (inn_workflow *)inn_catalog_workflow(c, ref)) == NULL)
		inn_l_err(lc, at, "%s: no provider workflow \"%s\" in the catalog", p, ref);
}

/* The golden path's parameters (`name: {type, default, required,
 * allowed_values, pattern, min, max, description}`): read before its
 * workflow, which they join as declarations (a run of the golden path
 * follows them; the workflow's templates may read them). */
static void
gp_params(inn_goldenpath *g, const inn_lctx *lc, const inn_ynode *n, const char *path,
          inn_l_wf_extra *x)
{
	const char **refused;
	char p[INN_L_PATH_MAX];
	size_t i;

	if (n == NULL || inn_l_is_null(n))
		return;
	inn_l_path(p, sizeof(p), path, "parameters");
	if (inn_l_kind(lc, n, INN_Y_MAP, p) != 0 || INN_YMAP_LEN(n) == 0)
		return;
	if ((g->params = calloc(INN_YMAP_LEN(n), sizeof(*g->params))) == NULL ||
	    (refused = calloc(INN_YMAP_LEN(n), sizeof(*refused))) == NULL) {
		inn_l_err(lc, n, "out of memory");
		return;
	}
	x->refused = refused;
	for (i = 0; i < INN_YMAP_LEN(n); i++) {
		const inn_ynode *k = INN_YMAP_KEY(n, i);
		char q[INN_L_PATH_MAX];

		inn_l_path(q, sizeof(q), p, k->value);
		if (inn_l_param_parse(lc, INN_YMAP_VAL(n, i), k, q, &g->params[g->nparams]) != 0) {
			refused[x->nrefused++] = k->value; /* reported once */
			continue;
		}
		g->nparams++;
	}
}

/* One string parameter of the original's older golden-path form into
 * g->params (room for it is there): required, or with a default. */
static int
gp_add_string_param(inn_goldenpath *g, const char *name, int required, const char *def)
{
	inn_param *p = &g->params[g->nparams];
	int bad = 0;

	memset(p, 0, sizeof(*p));
	p->name = inn_l_dup(name, &bad);
	p->type = inn_l_dup("string", &bad);
	p->required = required;
	if (def != NULL && (p->def = json_object_new_string(def)) == NULL)
		bad = 1;
	if (bad) {
		inn_l_param_free(p);
		return -1;
	}
	g->nparams++;
	return 0;
}

/* The original's older form, which it read only without `parameters:`:
 * required_params (names) and optional_params (name: default): names that
 * keep the workflow's declaration of them (x->legacy), string parameters
 * when it has none; x->at: each one's node, for messages. */
static void
gp_legacy_params(inn_goldenpath *g, const inn_lctx *lc, const inn_ynode *v,
                 const char *path, inn_l_wf_extra *x)
{
	const inn_ynode **at;
	const inn_ynode *req = inn_ymap_get(v, "required_params");
	const inn_ynode *opt = inn_ymap_get(v, "optional_params");
	char p[INN_L_PATH_MAX], q[INN_L_PATH_MAX];
	inn_param *np;
	size_t i, n;

	if ((req == NULL || inn_l_is_null(req)) && (opt == NULL || inn_l_is_null(opt)))
		return;
	if (g->nparams > 0) {
		inn_l_warn(lc, req != NULL ? inn_ymap_key(v, "required_params") :
		           inn_ymap_key(v, "optional_params"), "%s: required_params and "
		           "optional_params are ignored when parameters are given (as the "
		           "original did)", path);
		return;
	}
	if ((req != NULL && !inn_l_is_null(req) &&
	     inn_l_kind(lc, req, INN_Y_SEQ, inn_l_path(p, sizeof(p), path, "required_params")) != 0) ||
	    (opt != NULL && !inn_l_is_null(opt) &&
	     inn_l_kind(lc, opt, INN_Y_MAP, inn_l_path(p, sizeof(p), path, "optional_params")) != 0))
		return;
	n = (req != NULL && req->kind == INN_Y_SEQ ? req->n : 0) +
	    (opt != NULL && opt->kind == INN_Y_MAP ? INN_YMAP_LEN(opt) : 0);
	if (n == 0)
		return;
	if ((np = realloc(g->params, n * sizeof(*np))) == NULL ||
	    (at = calloc(n, sizeof(*at))) == NULL) {
		if (np != NULL)
			g->params = np;
		inn_l_err(lc, v, "out of memory");
		return;
	}
	g->params = np;
	x->at = at;
	x->legacy = 1;
	for (i = 0; req != NULL && req->kind == INN_Y_SEQ && i < req->n; i++) {
		const inn_ynode *e = req->items[i];

		inn_l_index(q, sizeof(q), inn_l_path(p, sizeof(p), path, "required_params"), i);
		if (e->kind != INN_Y_SCALAR || !inn_l_name_ok(e->value))
			inn_l_err(lc, e, "%s: must be a parameter name ([A-Za-z0-9][A-Za-z0-9_-]*)", q);
		else if ((at[g->nparams] = e, gp_add_string_param(g, e->value, 1, NULL)) != 0)
			inn_l_err(lc, e, "out of memory");
	}
	for (i = 0; opt != NULL && opt->kind == INN_Y_MAP && i < INN_YMAP_LEN(opt); i++) {
		const inn_ynode *k = INN_YMAP_KEY(opt, i), *d = INN_YMAP_VAL(opt, i);

		inn_l_path(q, sizeof(q), inn_l_path(p, sizeof(p), path, "optional_params"),
		           k->value);
		if (!inn_l_name_ok(k->value) || d->kind != INN_Y_SCALAR)
			inn_l_err(lc, d, "%s: must be a parameter name with a text default", q);
		else if ((at[g->nparams] = d, gp_add_string_param(g, k->value, 0, d->value)) != 0)
			inn_l_err(lc, d, "out of memory");
	}
}

/* A golden path with parameters that names a provider's workflow runs its
 * own load of that file with the parameters joined (the provider's stays
 * as it is for everyone else). */
static void
gp_own_workflow(inn_goldenpath *g, const inn_lctx *lc, const inn_ynode *at,
                const inn_load_ctx *ctx, inn_l_wf_extra *x)
{
	const inn_workflow *shared = g->workflow;
	inn_workflow *wf = NULL;
	int bad = 0;

	if (g->owns_workflow || g->nparams == 0)
		return;
	g->workflow = NULL;
	x->params = g->params;
	x->nparams = g->nparams;
	x->lc = lc;
	x->provider = shared->provider != NULL;
	x->base_dir = shared->base_dir;
	if (inn_l_workflow_load_in(&wf, shared->file, NULL, 0, ctx, x, lc->diag) != 0)
		return;
	free(wf->name);
	free(wf->base_dir);
	wf->name = inn_l_dup(shared->name, &bad);
	wf->base_dir = inn_l_dup(shared->base_dir, &bad);
	wf->provider = inn_l_dup(shared->provider, &bad);
	wf->operation = inn_l_dup(shared->operation, &bad);
	if (shared->category != NULL) {
		free(wf->category);
		wf->category = inn_l_dup(shared->category, &bad);
	}
	if (wf->description == NULL)
		wf->description = inn_l_dup(shared->description, &bad);
	if (bad) {
		inn_l_err(lc, at, "out of memory");
		inn_workflow_free(wf);
		return;
	}
	g->workflow = wf;
	g->owns_workflow = 1;
}

static void
load_goldenpaths(inn_catalog *c, const char *file, const inn_load_ctx *ctx,
                 inn_diag *diag)
{
	inn_ydoc *doc = NULL;
	inn_lctx lc = { file, diag };
	const inn_ynode *root, *gps;
	char *gdir = NULL, *slash;
	size_t i;

	if (inn_l_read(&doc, file, NULL, 0, diag) != 0)
		return;
	inn_l_next_doc(diag, doc);
	if ((root = doc->root) == NULL || inn_l_is_null(root))
		goto out; /* everything commented out: no golden paths */
	if (inn_l_kind(&lc, root, INN_Y_MAP, "golden paths file") != 0)
		goto out;
	{
		static const char *const keys[] = { "goldenpaths", NULL };

		inn_l_unknown_keys(&lc, root, keys, "");
	}
	if ((gps = inn_ymap_get(root, "goldenpaths")) == NULL || inn_l_is_null(gps))
		goto out;
	if (inn_l_kind(&lc, gps, INN_Y_MAP, "goldenpaths") != 0)
		goto out;
	/* paths are relative to the folder of goldenpaths.yaml */
	{
		char *copy = strdup(file);

		if (copy == NULL)
			goto out;
		slash = strrchr(copy, '/');
		if (slash != NULL)
			*(slash == copy ? slash + 1 : slash) = '\0';
		gdir = realpath(slash != NULL ? copy : ".", NULL);
		free(copy);
		if (gdir == NULL) {
			inn_l_err(&lc, NULL, "cannot resolve the folder of %s: %s", file,
			          strerror(errno));
			goto out;
		}
	}
	if ((c->goldenpaths = calloc(INN_YMAP_LEN(gps) + 1, sizeof(*c->goldenpaths))) == NULL)
		goto out;
	for (i = 0; i < INN_YMAP_LEN(gps); i++) {
		const inn_ynode *k = INN_YMAP_KEY(gps, i), *v = INN_YMAP_VAL(gps, i), *t;
		inn_goldenpath *g = &c->goldenpaths[c->ngoldenpaths];
		inn_l_wf_extra x; /* what the entry adds to its workflow's load */
		size_t nerr0 = diag->nerrors;
		int short_form;
		char path[INN_L_PATH_MAX];

		inn_l_path(path, sizeof(path), "goldenpaths", k->value);
		if (!inn_l_name_ok(k->value)) {
			inn_l_err(&lc, k, "%s: golden path name \"%s\" must match "
			          "[A-Za-z0-9][A-Za-z0-9_-]*", path, k->value);
			continue;
		}
		/* the original's short form "name: ./workflow.yaml" is the workflow
		 * alone (the map lookups below find nothing in a scalar) */
		short_form = inn_ynode_is_scalar(v) && !inn_l_is_null(v);
		if (!short_form && inn_l_kind(&lc, v, INN_Y_MAP, path) != 0)
			continue;
		inn_l_unknown_keys(&lc, v, gp_keys, path);
		memset(g, 0, sizeof(*g));
		g->name = strdup(k->value);
		if (short_form)
			g->workflow_ref = strdup(v->value);
		inn_l_string(&lc, v, "workflow", path, &g->workflow_ref);
		inn_l_string(&lc, v, "description", path, &g->description);
		inn_l_string(&lc, v, "category", path, &g->category);
		inn_l_string(&lc, v, "estimated_duration", path, &g->estimated_duration);
		if ((t = inn_ymap_get(v, "tags")) != NULL) {
			char p[INN_L_PATH_MAX];

			inn_l_strlist(&lc, t, inn_l_path(p, sizeof(p), path, "tags"), &g->tags,
			              &g->ntags);
		}
		if (g->workflow_ref == NULL && diag->nerrors == nerr0)
			inn_l_err(&lc, v, "%s: missing required field \"workflow\"", path);
		memset(&x, 0, sizeof(x));
		gp_params(g, &lc, inn_ymap_get(v, "parameters"), path, &x);
		gp_legacy_params(g, &lc, v, path, &x);
		if (g->workflow_ref != NULL)
			gp_workflow(c, g, &lc, short_form ? v : inn_ymap_get(v, "workflow"), gdir,
			            ctx, path, &x);
		if (g->workflow != NULL)
			gp_own_workflow(g, &lc, short_form ? v : inn_ymap_get(v, "workflow"), ctx,
			                &x);
		free((void *)x.refused);
		free((void *)x.at);
		if (g->name == NULL || diag->nerrors != nerr0) {
			goldenpath_free(g);
			memset(g, 0, sizeof(*g));
			continue;
		}
		c->ngoldenpaths++;
	}
out:
	free(gdir);
	inn_ydoc_free(doc);
}

int
inn_catalog_load(inn_catalog **out, const char *const *dirs, size_t ndirs,
                 const char *goldenpaths_file, const inn_load_ctx *ctx, inn_diag *diag)
{
	inn_catalog *c;
	size_t nerr0 = diag->nerrors, i;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		inn_diag_add(diag, INN_DIAG_ERROR, NULL, 0, 0, "out of memory");
		return INN_ENOMEM;
	}
	for (i = 0; i < ndirs; i++)
		load_dir(c, dirs[i], ctx, diag);
	if (goldenpaths_file != NULL)
		load_goldenpaths(c, goldenpaths_file, ctx, diag);
	*out = c;
	return diag->nerrors == nerr0 ? 0 : INN_EINVAL;
}

json_object *
inn_param_json(const inn_param *pa, int full)
{
	json_object *po = json_object_new_object();

	json_object_object_add(po, "name", json_object_new_string(pa->name));
	json_object_object_add(po, "type", inn_json_str(pa->type));
	json_object_object_add(po, "required", json_object_new_boolean(pa->required));
	json_object_object_add(po, "default", pa->def != NULL && pa->type != NULL &&
	                       strcmp(pa->type, "secret") == 0 ?
	                       json_object_new_string(INN_MASK_TEXT) : json_object_get(pa->def));
	if (full) {
		json_object_object_add(po, "description", inn_json_str(pa->description));
		json_object_object_add(po, "allowed", json_object_get(pa->allowed));
		json_object_object_add(po, "pattern", inn_json_str(pa->pattern));
	}
	return po;
}

/* A workflow's parameters, each as inn_param_json(full) shows it. */
static json_object *
params_json(const inn_workflow *w, int full)
{
	json_object *params = json_object_new_array();
	size_t j;

	for (j = 0; w != NULL && j < w->nparams; j++)
		json_object_array_add(params, inn_param_json(&w->params[j], full));
	return params;
}

json_object *
inn_goldenpath_json(const inn_goldenpath *g)
{
	json_object *o = json_object_new_object(), *tags = json_object_new_array();
	size_t i;

	INN_JSON_ADD_STRS(o, "name", g->name, "description", g->description,
	                  "category", g->category, "workflow", g->workflow_ref,
	                  "estimated_duration", g->estimated_duration);
	for (i = 0; i < g->ntags; i++)
		json_object_array_add(tags, json_object_new_string(g->tags[i]));
	json_object_object_add(o, "tags", tags);
	json_object_object_add(o, "parameters", params_json(g->workflow, 0));
	return o;
}

json_object *
inn_provider_json(const inn_provider *p, int full)
{
	json_object *o = json_object_new_object(), *wfs = json_object_new_array();
	json_object *types = json_object_new_array();
	int folder = (full & INN_PROVIDER_JSON_FOLDER) != 0;
	size_t i;

	full &= ~INN_PROVIDER_JSON_FOLDER;
	folder = folder || full >= 2;

	INN_JSON_ADD_STRS(o, "name", p->name, "version", p->version, "description", p->description,
	                  "owner", p->owner, "category", p->category);
	if (full >= 2)
		json_object_object_add(o, "path", inn_json_str(p->dir));
	for (i = 0; i < p->ncaps; i++) {
		const inn_resource_cap *c = &p->caps[i];
		json_object *t = json_object_new_object();

		INN_JSON_ADD_STRS(t, "type", c->type, "alias_for", c->alias_for, "create", c->create,
		                  "read", c->read, "update", c->update, "delete", c->del);
		json_object_array_add(types, t);
	}
	json_object_object_add(o, "resource_types", types);
	for (i = 0; i < p->nworkflows; i++) {
		const inn_workflow *w = p->workflows[i];
		json_object *wo = json_object_new_object();

		json_object_object_add(wo, "name", json_object_new_string(w->name));
		json_object_object_add(wo, "description", inn_json_str(w->description));
		json_object_object_add(wo, "operation", inn_json_str(w->operation));
		json_object_object_add(wo, "steps", json_object_new_int((int)w->nsteps));
		if (full) {
			if (full >= 2)
				json_object_object_add(wo, "file", inn_json_str(w->file));
			/* the whole declaration, as a golden path's detail */
			json_object_object_add(wo, "parameters", params_json(w, 1));
		}
		json_object_array_add(wfs, wo);
	}
	json_object_object_add(o, "workflows", wfs);
	if (p->source.type != NULL) {
		json_object *src = json_object_new_object();

		/* a folder of the host is the platform team's business: a git
		 * source's path is a folder of the repository, shown to all */
		const char *path = p->source.git_url != NULL || folder ? p->source.path : NULL;

		INN_JSON_ADD_STRS(src, "type", p->source.type, "path", path,
		                  "git_url", p->source.git_url, "ref", p->source.ref,
		                  "commit", p->source.commit);
		json_object_object_add(o, "source", src);
	}
	return o;
}

