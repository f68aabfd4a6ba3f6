/*
 * load_score.c - reads Score specs (score.dev/v1b1) into an inn_score
 * (model.h): the app name, its containers and the resources it needs.
 * One checker serves YAML files (with line:col from the YAML tree) and
 * JSON from the API (no positions).  Resource `properties` (what the
 * original innominatus examples write) and `params` (the Score spelling)
 * both end up in inn_score_resource.params; params wins on a clash.
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "load_int.h"

#define SCORE_API "score.dev/v1b1"

static const char *const top_keys[] = {
	"apiVersion", "metadata", "service", "containers", "resources",
	"environment", /* innominatus extension: {type, ttl} */
	"extensions",
	"workflows", /* the original's embedded workflows: refused below */
	NULL
};
static const char *const res_keys[] = {
	"type", "class", "params", "properties", "metadata", "id", NULL
};

/* The spec being checked: JSON for values, the YAML tree (or NULL) for
 * positions. */
struct score_load {
	inn_lctx lc;
	inn_score *s;
};

/* The YAML node under key of ynode (NULL when ynode is NULL). */
static const inn_ynode *
ypos(const inn_ynode *y, const char *key)
{
	return y != NULL && y->kind == INN_Y_MAP ? inn_ymap_get(y, key) : NULL;
}

static const char *
json_kind(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_object:
		return "a mapping";
	case json_type_array:
		return "a list";
	case json_type_null:
		return "null";
	default:
		return "a scalar";
	}
}

static void
unknown_keys(struct score_load *S, json_object *o, const inn_ynode *y,
             const char *const *known, const char *path)
{
	size_t j;

	if (y != NULL && y->kind == INN_Y_MAP) {
		inn_l_unknown_keys(&S->lc, y, known, path);
		return;
	}
	json_object_object_foreach(o, key, val) {
		(void)val;
		for (j = 0; known[j] != NULL; j++)
			if (strcmp(key, known[j]) == 0)
				break;
		if (known[j] == NULL)
			inn_l_warn(&S->lc, NULL, "%s%sunknown key \"%s\" (ignored)", path,
			           *path ? ": " : "", key);
	}
}

/* A string field, or NULL (reported when present with another kind). */
static const char *
get_string(struct score_load *S, json_object *o, const inn_ynode *y, const char *key,
           const char *path, int required)
{
	json_object *v;
	char p[INN_L_PATH_MAX];

	if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
		if (required)
			inn_l_err(&S->lc, y, "%s%smissing required field \"%s\"", path,
			          *path ? ": " : "", key);
		return NULL;
	}
	if (!json_object_is_type(v, json_type_string)) {
		inn_l_err(&S->lc, ypos(y, key), "%s: must be a string, not %s",
		          inn_l_path(p, sizeof(p), path, key), json_kind(v));
		return NULL;
	}
	if (required && json_object_get_string_len(v) == 0) {
		inn_l_err(&S->lc, ypos(y, key), "%s: must not be empty",
		          inn_l_path(p, sizeof(p), path, key));
		return NULL;
	}
	return json_object_get_string(v);
}

/* A mapping field, or NULL (reported when present with another kind). */
static json_object *
get_object(struct score_load *S, json_object *o, const inn_ynode *y, const char *key,
           const char *path)
{
	json_object *v;
	char p[INN_L_PATH_MAX];

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_object)) {
		inn_l_err(&S->lc, ypos(y, key), "%s: must be a mapping, not %s",
		          inn_l_path(p, sizeof(p), path, key), json_kind(v));
		return NULL;
	}
	return v;
}

static int
dup_str(char **dst, const char *s)
{
	if (s == NULL)
		return 0;
	return (*dst = strdup(s)) == NULL ? -1 : 0;
}

static void
load_containers(struct score_load *S, json_object *spec, const inn_ynode *y)
{
	json_object *c;
	const inn_ynode *yc = ypos(y, "containers");

	if (!json_object_object_get_ex(spec, "containers", &c) || c == NULL) {
		inn_l_err(&S->lc, y, "missing required field \"containers\"");
		return;
	}
	if ((c = get_object(S, spec, y, "containers", "")) == NULL)
		return;
	S->s->containers = json_object_get(c);
	json_object_object_foreach(c, name, def) {
		char p[INN_L_PATH_MAX];
		const inn_ynode *yd = ypos(yc, name);

		inn_l_path(p, sizeof(p), "containers", name);
		if (!json_object_is_type(def, json_type_object)) {
			inn_l_err(&S->lc, yd, "%s: must be a mapping, not %s", p, json_kind(def));
			continue;
		}
		get_string(S, def, yd, "image", p, 1);
	}
}

static void
load_resources(struct score_load *S, json_object *spec, const inn_ynode *y)
{
	json_object *r;
	const inn_ynode *yr = ypos(y, "resources");
	size_t n;

	if ((r = get_object(S, spec, y, "resources", "")) == NULL)
		return;
	if ((n = (size_t)json_object_object_length(r)) == 0)
		return;
	if ((S->s->resources = calloc(n, sizeof(*S->s->resources))) == NULL) {
		inn_l_err(&S->lc, yr, "out of memory");
		return;
	}
	json_object_object_foreach(r, name, def) {
		inn_score_resource *res = &S->s->resources[S->s->nresources];
		const inn_ynode *yd = ypos(yr, name);
		json_object *props, *params;
		char p[INN_L_PATH_MAX];

		inn_l_path(p, sizeof(p), "resources", name);
		if (!inn_l_name_ok(name)) {
			inn_l_err(&S->lc, yd, "%s: resource name \"%s\" must match "
			          "[A-Za-z0-9][A-Za-z0-9_-]*", p, name);
			continue;
		}
		if (!json_object_is_type(def, json_type_object)) {
			inn_l_err(&S->lc, yd, "%s: must be a mapping, not %s", p, json_kind(def));
			continue;
		}
		unknown_keys(S, def, yd, res_keys, p);
		if (yd != NULL) {
			res->line = yd->line;
			res->col = yd->col;
		}
		if (dup_str(&res->name, name) != 0 ||
		    dup_str(&res->type, get_string(S, def, yd, "type", p, 1)) != 0 ||
		    dup_str(&res->klass, get_string(S, def, yd, "class", p, 0)) != 0 ||
		    (res->params = json_object_new_object()) == NULL) {
			inn_l_err(&S->lc, yd, "out of memory");
		}
		get_string(S, def, yd, "id", p, 0);
		get_object(S, def, yd, "metadata", p);
		S->s->nresources++;
		if (res->params == NULL)
			continue;
		props = get_object(S, def, yd, "properties", p);
		params = get_object(S, def, yd, "params", p);
		if (props != NULL) {
			json_object_object_foreach(props, k, v)
				json_object_object_add(res->params, k, json_object_get(v));
		}
		if (params != NULL) {
			json_object_object_foreach(params, k, v)
				json_object_object_add(res->params, k, json_object_get(v));
		}
	}
}

/* How a spec is read: the node limit (0: the loaders' default), and
 * whether a spec with errors is still handed out (inn_score_load_all). */
struct score_opts {
	size_t max_nodes;
	int keep;
};

/* Checks spec (JSON) with positions from y (may be NULL).  keep: a
 * mapping with errors still goes to *out (INN_EINVAL returned). */
static int
score_build(inn_score **out, const char *name, json_object *spec, const inn_ynode *y,
            int keep, inn_diag *diag)
{
	struct score_load S;
	size_t nerr0 = diag->nerrors;
	json_object *v, *meta;
	const char *api;

	*out = NULL;
	memset(&S, 0, sizeof(S));
	S.lc.file = name;
	S.lc.diag = diag;
	if ((S.s = calloc(1, sizeof(*S.s))) == NULL || (S.s->file = strdup(name)) == NULL) {
		inn_diag_add(diag, INN_DIAG_ERROR, name, 0, 0, "out of memory");
		goto out;
	}
	if (spec == NULL || !json_object_is_type(spec, json_type_object)) {
		inn_l_err(&S.lc, y, "a Score spec must be a mapping, not %s",
		          spec ? json_kind(spec) : "an empty document");
		goto out;
	}
	S.s->json = json_object_get(spec);
	unknown_keys(&S, spec, y, top_keys, "");
	if (json_object_object_get_ex(spec, "workflows", NULL))
		inn_l_err(&S.lc, ypos(y, "workflows"), "workflows: the "
		          "original innominatus ran workflows embedded in a Score spec; here "
		          "a spec names what the app needs and its steps live in workflow "
		          "files: move them to one and run it as a golden path with this spec "
		          "(nothing was run)");
	if (!json_object_object_get_ex(spec, "apiVersion", &v) || v == NULL) {
		inn_l_err(&S.lc, y, "missing required field \"apiVersion\" (expected "
		          SCORE_API ")");
	} else if ((api = get_string(&S, spec, y, "apiVersion", "", 0)) != NULL &&
	           strcmp(api, SCORE_API) != 0) {
		inn_l_err(&S.lc, ypos(y, "apiVersion"), "apiVersion: unsupported \"%s\" "
		          "(this server reads " SCORE_API ")", api);
	}
	if (!json_object_object_get_ex(spec, "metadata", &meta) || meta == NULL) {
		inn_l_err(&S.lc, y, "missing required field \"metadata\"");
	} else if ((meta = get_object(&S, spec, y, "metadata", "")) != NULL) {
		const char *app = get_string(&S, meta, ypos(y, "metadata"), "name", "metadata", 1);

		S.s->metadata = json_object_get(meta);
		if (app != NULL && strlen(app) > 128)
			inn_l_err(&S.lc, ypos(ypos(y, "metadata"), "name"), "metadata.name: \"%.40s"
			          "...\" is %zu characters long; a name has at most 128", app,
			          strlen(app));
		else if (app != NULL && !inn_l_name_ok(app))
			inn_l_err(&S.lc, ypos(ypos(y, "metadata"), "name"), "metadata.name: \"%s\" "
			          "must match [A-Za-z0-9][A-Za-z0-9_-]*", app);
		else if (dup_str(&S.s->app, app) != 0)
			inn_l_err(&S.lc, y, "out of memory");
	}
	get_object(&S, spec, y, "service", "");
	get_object(&S, spec, y, "environment", "");
	load_containers(&S, spec, y);
	load_resources(&S, spec, y);
out:
	if (keep && S.s != NULL && S.s->json != NULL && diag->nerrors != nerr0) {
		*out = S.s;
		return INN_EINVAL;
	}
	if (diag->nerrors != nerr0 || S.s == NULL) {
		inn_score_free(S.s);
		return INN_EINVAL;
	}
	*out = S.s;
	return 0;
}

/* inn_score_free's clear for one resource. */
static void
resource_clear(void *p)
{
	inn_score_resource *r = p;

	INN_FREE_ALL(r->name, r->type, r->klass);
	json_object_put(r->params);
}

void
inn_score_free(inn_score *s)
{
	if (s == NULL)
		return;
	inn_array_free(s->resources, s->nresources, sizeof(*s->resources), resource_clear);
	json_object_put(s->metadata);
	json_object_put(s->containers);
	json_object_put(s->json);
	INN_FREE_ALL(s->file, s->app);
	free(s);
}

int
inn_score_from_json(inn_score **out, const char *name, json_object *spec,
                    inn_diag *diag)
{
	return score_build(out, name, spec, NULL, 0, diag);
}

/* inn_l_build_fn for inn_l_load_yaml: arg points at the score_opts. */
static int
from_doc(void *out, const char *name, const inn_ydoc *doc, const void *arg,
         inn_diag *diag)
{
	const struct score_opts *o = arg;
	const inn_ynode *at = NULL;
	json_object *spec = NULL;
	int rc;

	if (doc->root != NULL &&
	    (spec = o->max_nodes > 0 ? inn_ynode_to_json_where(doc->root, o->max_nodes, &at)
	                             : inn_ynode_to_json(doc->root)) == NULL) {
		if (at != NULL)
			inn_diag_add(diag, INN_DIAG_ERROR, name, at->line, at->col, "%s",
			             inn_error_last());
		else
			inn_l_err_last(diag, name);
		return INN_EINVAL;
	}
	rc = score_build(out, name, spec, doc->root, o->keep, diag);
	json_object_put(spec);
	/* after the spec's own problems: callers that show one line show those */
	inn_l_next_doc(diag, doc);
	return rc;
}

int
inn_score_load_string(inn_score **out, const char *name, const char *text, size_t len,
                      inn_diag *diag)
{
	return inn_score_load_string_max(out, name, text, len, 0, diag);
}

int
inn_score_load_string_max(inn_score **out, const char *name, const char *text, size_t len,
                          size_t max_nodes, inn_diag *diag)
{
	struct score_opts o = { max_nodes, 0 };

	*out = NULL;
	return inn_l_load_yaml(name, text != NULL ? text : "", len, from_doc, out, &o, diag);
}

int
inn_score_load_all(inn_score **out, const char *name, const char *text, size_t len,
                   size_t max_nodes, inn_diag *diag)
{
	struct score_opts o = { max_nodes, 1 };

	*out = NULL;
	return inn_l_load_yaml(name, text != NULL ? text : "", len, from_doc, out, &o, diag);
}

int
inn_score_load_file(inn_score **out, const char *path, inn_diag *diag)
{
	static const struct score_opts no_limit = { 0, 0 };

	*out = NULL;
	return inn_l_load_yaml(path, NULL, 0, from_doc, out, &no_limit, diag);
}
