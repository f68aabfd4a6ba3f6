/*
 * demo_load.c - the demo environment as written: reads and checks
 * demo/components.yaml (components, manifests inside the demo folder,
 * health objects) and lists the objects of its manifests for a dry-run
 * (kind, namespace/name, file:line), contacting nothing.  Running them
 * is demo.c's.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "demo.h"
#include "demo_int.h"
#include "error.h"
#include "load_int.h"
#include "yaml_tree.h"

#define DEMO_FILE "components.yaml"
/* A manifest bigger than this is not a demo manifest. */
#define DEMO_MANIFEST_MAX (4 * 1024 * 1024)

static void
component_free(inn_demo_component *c)
{
	free(c->name);
	free(c->ns);
	inn_l_strv_free(c->manifests, c->nmanifests);
	free(c->health.kind);
	free(c->health.name);
	free(c->health.ns);
	free(c->health.ready);
	free(c->url);
	free(c->credentials);
}

void
inn_demo_free(inn_demo *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->ncomps; i++)
		component_free(&d->comps[i]);
	free(d->comps);
	free(d->dir);
	free(d->file);
	free(d->namespaces);
	free(d);
}

/* Non-zero when ready is what kubernetes.so's wait_for takes for a health
 * check: condition=<Type>[=<Status>] or jsonpath={<path>}[=<value>]. */
static int
ready_ok(const char *ready)
{
	if (strncmp(ready, "condition=", 10) == 0)
		return ready[10] != '\0' && ready[10] != '=';
	if (strncmp(ready, "jsonpath={", 10) == 0)
		return strchr(ready, '}') != NULL && ready[10] != '}';
	return 0;
}

/* A manifest path as written at node at: inside the demo folder, a file. */
static int
manifest_ok(const inn_lctx *lc, const inn_demo *d, const inn_ynode *at, const char *field,
            const char *rel)
{
	char *joined = NULL, *real = NULL;
	int rc = inn_l_confine(lc, at, field, d->dir, d->dir, rel, 0, &joined, &real);

	free(joined);
	free(real);
	return rc;
}

static int
load_health(const inn_lctx *lc, const inn_ynode *h, const char *path, inn_demo_health *out)
{
	static const char *const known[] = { "kind", "name", "namespace", "ready", NULL };
	char p[INN_L_PATH_MAX];
	int bad = 0;

	if (inn_l_kind(lc, h, INN_Y_MAP, path) != 0)
		return -1;
	inn_l_unknown_keys(lc, h, known, path);
	bad |= inn_l_required_string(lc, h, "kind", path, &out->kind);
	bad |= inn_l_required_string(lc, h, "name", path, &out->name);
	bad |= inn_l_string(lc, h, "namespace", path, &out->ns);
	bad |= inn_l_required_string(lc, h, "ready", path, &out->ready);
	if (out->ready != NULL && !ready_ok(out->ready)) {
		inn_l_err(lc, inn_ymap_get(h, "ready"), "%s: \"%s\" is not condition=<Type>"
		          "[=<Status>] or jsonpath={<path>}[=<value>] (kubernetes.so wait_for)",
		          inn_l_path(p, sizeof(p), path, "ready"), out->ready);
		bad = -1;
	}
	return bad ? -1 : 0;
}

static int
load_component(const inn_lctx *lc, inn_demo *d, const inn_ynode *n, size_t idx,
               inn_demo_component *c)
{
	static const char *const known[] = { "name", "namespace", "manifests", "health", "url",
	                                     "credentials", NULL };
	char path[INN_L_PATH_MAX], p[INN_L_PATH_MAX];
	const inn_ynode *m, *h;
	size_t i, k;
	int bad = 0;

	inn_l_index(path, sizeof(path), "components", idx);
	c->line = n->line;
	if (inn_l_kind(lc, n, INN_Y_MAP, path) != 0)
		return -1;
	inn_l_unknown_keys(lc, n, known, path);
	bad |= inn_l_required_string(lc, n, "name", path, &c->name);
	bad |= inn_l_required_string(lc, n, "namespace", path, &c->ns);
	bad |= inn_l_string(lc, n, "url", path, &c->url);
	bad |= inn_l_string(lc, n, "credentials", path, &c->credentials);
	if (c->name != NULL && (!inn_l_name_ok(c->name) || strlen(c->name) > 100)) {
		inn_l_err(lc, inn_ymap_get(n, "name"), "%s: \"%s\" is not a name "
		          "([A-Za-z0-9][A-Za-z0-9_-]*, at most 100 characters)",
		          inn_l_path(p, sizeof(p), path, "name"), c->name);
		bad = -1;
	} else if (c->name != NULL && (strcmp(c->name, "cluster") == 0 ||
	                               strcmp(c->name, "namespaces") == 0)) {
		/* the names of demo-time's own steps */
		inn_l_err(lc, inn_ymap_get(n, "name"), "%s: \"%s\" is reserved (a step of "
		          "demo-time is so named)", inn_l_path(p, sizeof(p), path, "name"),
		          c->name);
		bad = -1;
	}
	for (k = 0; c->name != NULL && k < idx; k++)
		if (d->comps[k].name != NULL && strcmp(d->comps[k].name, c->name) == 0) {
			inn_l_err(lc, inn_ymap_get(n, "name"), "%s: component \"%s\" is listed "
			          "twice (first at line %d)", inn_l_path(p, sizeof(p), path, "name"),
			          c->name, d->comps[k].line);
			bad = -1;
		}
	inn_l_path(p, sizeof(p), path, "manifests");
	if ((m = inn_ymap_get(n, "manifests")) == NULL || inn_l_is_null(m)) {
		inn_l_err(lc, n, "%s: missing required field \"manifests\"", path);
		bad = -1;
	} else if (inn_l_strlist(lc, m, p, &c->manifests, &c->nmanifests) != 0) {
		bad = -1;
	} else if (c->nmanifests == 0) {
		inn_l_err(lc, m, "%s: names no manifest", p);
		bad = -1;
	} else {
		for (i = 0; i < c->nmanifests; i++) {
			char ip[INN_L_PATH_MAX];

			if (manifest_ok(lc, d, m->kind == INN_Y_SEQ ? m->items[i] : m,
			                inn_l_index(ip, sizeof(ip), p, i), c->manifests[i]) != 0)
				bad = -1;
		}
	}
	inn_l_path(p, sizeof(p), path, "health");
	if ((h = inn_ymap_get(n, "health")) == NULL || inn_l_is_null(h)) {
		inn_l_err(lc, n, "%s: missing required field \"health\" (kind, name, ready)", path);
		bad = -1;
	} else if (load_health(lc, h, p, &c->health) != 0) {
		bad = -1;
	}
	return bad ? -1 : 0;
}

static int
build_demo(void *outp, const char *name, const inn_ydoc *doc, const void *arg,
           inn_diag *diag)
{
	static const char *const known[] = { "namespaces", "components", NULL };
	inn_demo *d = outp;
	inn_lctx lc = { name, diag };
	const inn_ynode *root = doc->root, *list;
	size_t i;
	int bad = 0;

	(void)arg;
	if (root == NULL) {
		inn_diag_add(diag, INN_DIAG_ERROR, name, 0, 0, "the file is empty: it lists "
		             "no components");
		return INN_EINVAL;
	}
	if (inn_l_kind(&lc, root, INN_Y_MAP, "") != 0)
		return INN_EINVAL;
	inn_l_unknown_keys(&lc, root, known, "");
	if (inn_l_string(&lc, root, "namespaces", "namespaces", &d->namespaces) != 0)
		bad = 1;
	else if (d->namespaces != NULL &&
	         manifest_ok(&lc, d, inn_ymap_get(root, "namespaces"), "namespaces",
	                     d->namespaces) != 0)
		bad = 1;
	list = inn_ymap_get(root, "components");
	if (list == NULL || inn_l_is_null(list)) {
		inn_l_err(&lc, root, "missing required field \"components\"");
		return INN_EINVAL;
	}
	if (inn_l_kind(&lc, list, INN_Y_SEQ, "components") != 0)
		return INN_EINVAL;
	if ((d->comps = calloc(list->n ? list->n : 1, sizeof(*d->comps))) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	d->ncomps = list->n;
	for (i = 0; i < list->n; i++)
		if (load_component(&lc, d, list->items[i], i, &d->comps[i]) != 0)
			bad = 1;
	if (list->n == 0) {
		inn_l_err(&lc, list, "components: lists no component");
		bad = 1;
	}
	return bad ? INN_EINVAL : 0;
}

int
inn_demo_load(inn_demo **out, const char *dir, inn_diag *diag)
{
	inn_demo *d = calloc(1, sizeof(*d));
	char real[4096];
	size_t n0 = diag->nerrors;
	int rc;

	*out = NULL;
	if (d == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	if (realpath(dir, real) == NULL) {
		inn_diag_add(diag, INN_DIAG_ERROR, dir, 0, 0, "the demo folder: %s",
		             strerror(errno));
		inn_demo_free(d);
		return inn_error_set(INN_ENOTFOUND, "%s: %s", dir, strerror(errno));
	}
	if ((d->dir = strdup(real)) == NULL || (d->file = inn_l_join(real, DEMO_FILE)) == NULL) {
		inn_demo_free(d);
		return inn_error_set(INN_ENOMEM, "out of memory");
	}
	rc = inn_l_load_yaml(d->file, NULL, 0, build_demo, d, NULL, diag);
	if (rc == 0 && diag->nerrors > n0)
		rc = INN_EINVAL;
	if (rc != 0) {
		inn_demo_free(d);
		return inn_error_set(rc, "%s/%s: %zu problem(s)", dir, DEMO_FILE,
		                     diag->nerrors - n0);
	}
	*out = d;
	return 0;
}

/* ---- dry-run: the objects of the manifests ------------------------------ */

/* Kinds that live in no namespace (those the demo manifests use, and the
 * other usual ones). */
static int
cluster_scoped(const char *kind)
{
	static const char *const kinds[] = {
		"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding",
		"IngressClass", "PersistentVolume", "StorageClass", "PriorityClass", "Node",
		"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService",
		"CSIDriver", "RuntimeClass", NULL
	};
	size_t i;

	for (i = 0; kinds[i] != NULL; i++)
		if (strcmp(kinds[i], kind) == 0)
			return 1;
	return 0;
}

/* The text of file (at most DEMO_MANIFEST_MAX bytes), or NULL (diag). */
static char *
read_text(const char *file, size_t *len, inn_diag *diag)
{
	FILE *fp = fopen(file, "r");
	inn_buf b = INN_BUF_INIT(DEMO_MANIFEST_MAX);
	char chunk[8192];
	size_t n;

	if (fp == NULL) {
		inn_diag_add(diag, INN_DIAG_ERROR, file, 0, 0, "%s", strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (inn_buf_add(&b, chunk, n) != 0) {
			inn_diag_add(diag, INN_DIAG_ERROR, file, 0, 0, "larger than %d bytes",
			             DEMO_MANIFEST_MAX);
			fclose(fp);
			inn_buf_free(&b);
			return NULL;
		}
	fclose(fp);
	if (b.p == NULL && inn_buf_adds(&b, "") != 0)
		return NULL;
	*len = b.len;
	return inn_buf_take(&b);
}

/* One object (a document, or an item of a kind: List) onto list as
 * {kind, namespace, name, file, line}. */
static int
add_object(json_object *list, const char *file, const char *rel, const inn_ynode *n,
           const char *def_ns, inn_diag *diag)
{
	const inn_ynode *kind, *meta, *name, *ns;
	json_object *o;

	if (n->kind != INN_Y_MAP) {
		inn_diag_add(diag, INN_DIAG_ERROR, file, n->line, n->col, "a manifest object "
		             "must be a mapping, not %s", inn_ynode_kind_name(n));
		return INN_EINVAL;
	}
	kind = inn_ymap_get(n, "kind");
	meta = inn_ymap_get(n, "metadata");
	name = meta != NULL && meta->kind == INN_Y_MAP ? inn_ymap_get(meta, "name") : NULL;
	ns = meta != NULL && meta->kind == INN_Y_MAP ? inn_ymap_get(meta, "namespace") : NULL;
	if (kind == NULL || !inn_ynode_is_scalar(kind) || name == NULL ||
	    !inn_ynode_is_scalar(name) || inn_ymap_get(n, "apiVersion") == NULL) {
		inn_diag_add(diag, INN_DIAG_ERROR, file, n->line, n->col, "a manifest object "
		             "needs apiVersion, kind and metadata.name");
		return INN_EINVAL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string(kind->value));
	json_object_object_add(o, "namespace", json_object_new_string(
	    cluster_scoped(kind->value) ? "" : ns != NULL && inn_ynode_is_scalar(ns) ?
	    ns->value : def_ns));
	json_object_object_add(o, "name", json_object_new_string(name->value));
	json_object_object_add(o, "file", json_object_new_string(rel));
	json_object_object_add(o, "line", json_object_new_int(n->line));
	json_object_array_add(list, o);
	return 0;
}

/* One document (text[0..len), starting at line `line` of file; a leading
 * "---" is its separator) onto list: its object, or a List's items, as
 * kubernetes.so applies them. */
static int
add_document(json_object *list, const char *file, const char *rel, const char *text,
             size_t len, int line, const char *def_ns, inn_diag *diag)
{
	inn_buf b = INN_BUF_INIT(DEMO_MANIFEST_MAX + 100000);
	inn_ydoc *doc = NULL;
	const inn_ynode *root, *kind, *items;
	size_t off, i;
	int k, rc = 0;

	/* pad with the lines before it, so the parser's positions are the file's */
	for (k = 1; k < line; k++)
		if (inn_buf_add(&b, "\n", 1) != 0)
			goto nomem;
	off = b.len;
	if (inn_buf_add(&b, text, len) != 0 || (b.p == NULL && inn_buf_adds(&b, "") != 0))
		goto nomem;
	/* "--- {kind: ...}": what follows the separator is the document's */
	if (len >= 3 && strncmp(b.p + off, "---", 3) == 0)
		memset(b.p + off, ' ', 3);
	if (inn_yaml_load_string(&doc, file, b.p, b.len) != 0) {
		inn_l_err_last(diag, file);
		rc = INN_EINVAL;
		goto out;
	}
	if ((root = doc->root) == NULL)
		goto out;      /* an empty document (comments only) */
	kind = root->kind == INN_Y_MAP ? inn_ymap_get(root, "kind") : NULL;
	items = root->kind == INN_Y_MAP ? inn_ymap_get(root, "items") : NULL;
	if (kind != NULL && inn_ynode_is_scalar(kind) && strcmp(kind->value, "List") == 0 &&
	    items != NULL && items->kind == INN_Y_SEQ) {
		for (i = 0; i < items->n; i++)
			if (add_object(list, file, rel, items->items[i], def_ns, diag) != 0)
				rc = INN_EINVAL;
	} else if (add_object(list, file, rel, root, def_ns, diag) != 0) {
		rc = INN_EINVAL;
	}
out:
	inn_ydoc_free(doc);
	inn_buf_free(&b);
	return rc;
nomem:
	inn_buf_free(&b);
	return inn_error_set(INN_ENOMEM, "out of memory");
}

/* Every document of the manifest rel (split where a line starts with
 * "---", as kubectl splits a stream) onto list. */
static int
add_manifest(const inn_demo *d, const char *rel, const char *def_ns, json_object *list,
             inn_diag *diag)
{
	char *file = inn_l_join(d->dir, rel), *text;
	size_t len = 0, start = 0, pos = 0;
	int line = 1, start_line = 1, rc = 0;

	if (file == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	if ((text = read_text(file, &len, diag)) == NULL) {
		free(file);
		return INN_EINVAL;
	}
	for (;;) {
		int at_sep = pos == len || (strncmp(text + pos, "---", 3) == 0 &&
		                            (pos + 3 == len || (text[pos + 3] != '\0' &&
		                                                strchr(" \t\r\n", text[pos + 3]))));

		if (at_sep) {
			if (add_document(list, file, rel, text + start, pos - start, start_line,
			                 def_ns, diag) != 0)
				rc = INN_EINVAL;
			if (pos == len)
				break;
			/* the next document starts with its separator line */
			start = pos;
			start_line = line;
		}
		while (pos < len && text[pos] != '\n')
			pos++;
		if (pos < len) {
			pos++;
			line++;
		}
	}
	free(text);
	free(file);
	return rc;
}

json_object *
inn_demo_entry(const char *name, const char *ns)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "component", json_object_new_string(name));
	json_object_object_add(o, "namespace", json_object_new_string(ns ? ns : ""));
	return o;
}

/* Non-zero when objects (inn_demo_objects' list) hold the Namespace ns. */
static int
has_namespace(json_object *all, const char *ns)
{
	size_t i, k;

	for (i = 0; i < json_object_array_length(all); i++) {
		json_object *objs = json_object_object_get(json_object_array_get_idx(all, i),
		                                           "objects");

		for (k = 0; k < json_object_array_length(objs); k++) {
			json_object *o = json_object_array_get_idx(objs, k);
			const char *kind = json_object_get_string(json_object_object_get(o, "kind"));
			const char *name = json_object_get_string(json_object_object_get(o, "name"));

			if (strcmp(kind, "Namespace") == 0 && strcmp(name, ns) == 0)
				return 1;
		}
	}
	return 0;
}

/* With a namespaces manifest, every component's namespace (and its
 * health object's) is one of the Namespaces the manifests create: else
 * demo-time would stop at the first object put there. */
static void
check_namespaces(const inn_demo *d, json_object *all, inn_diag *diag)
{
	size_t i;

	for (i = 0; i < d->ncomps; i++) {
		const inn_demo_component *c = &d->comps[i];
		const char *hns = c->health.ns != NULL ? c->health.ns : c->ns;

		if (!has_namespace(all, c->ns))
			inn_diag_add(diag, INN_DIAG_ERROR, d->file, c->line, 0, "component %s: "
			             "namespace \"%s\" is created by no manifest (add it to %s)",
			             c->name, c->ns, d->namespaces);
		else if (!has_namespace(all, hns))
			inn_diag_add(diag, INN_DIAG_ERROR, d->file, c->line, 0, "component %s: "
			             "health.namespace \"%s\" is created by no manifest (add it to "
			             "%s)", c->name, hns, d->namespaces);
	}
}

int
inn_demo_objects(const inn_demo *d, json_object **out, inn_diag *diag)
{
	json_object *all = json_object_new_array(), *e, *objs;
	size_t i, k, n0 = diag->nerrors;

	if (d->namespaces != NULL) {
		e = inn_demo_entry("namespaces", "");
		objs = json_object_new_array();
		add_manifest(d, d->namespaces, "", objs, diag);
		json_object_object_add(e, "objects", objs);
		json_object_array_add(all, e);
	}
	for (i = 0; i < d->ncomps; i++) {
		const inn_demo_component *c = &d->comps[i];

		e = inn_demo_entry(c->name, c->ns);
		objs = json_object_new_array();
		for (k = 0; k < c->nmanifests; k++)
			add_manifest(d, c->manifests[k], c->ns, objs, diag);
		json_object_object_add(e, "objects", objs);
		json_object_array_add(all, e);
	}
	if (d->namespaces != NULL && diag->nerrors == n0)
		check_namespaces(d, all, diag);
	*out = all;
	return diag->nerrors > n0 ? INN_EINVAL : 0;
}
