/*
 * demo.c - the demo environment: reads demo/components.yaml, lists the
 * objects of its manifests (dry-run, nothing contacted), and installs,
 * checks and removes the components through kubernetes.so by building a
 * workflow in memory and running it on the engine (demo.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "demo.h"
#include "error.h"
#include "load_int.h"
#include "yaml_tree.h"

#define DEMO_FILE "components.yaml"
/* A manifest bigger than this is not a demo manifest. */
#define DEMO_MANIFEST_MAX (4 * 1024 * 1024)
/* How long a component may take to become ready, and a status check. */
#define DEMO_READY_TIMEOUT "5m"
#define DEMO_REQUEST_TIMEOUT "30s"

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

static json_object *
component_entry(const char *name, const char *ns)
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
		e = component_entry("namespaces", "");
		objs = json_object_new_array();
		add_manifest(d, d->namespaces, "", objs, diag);
		json_object_object_add(e, "objects", objs);
		json_object_array_add(all, e);
	}
	for (i = 0; i < d->ncomps; i++) {
		const inn_demo_component *c = &d->comps[i];

		e = component_entry(c->name, c->ns);
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

const char *
inn_demo_op_name(inn_demo_op op)
{
	return op == INN_DEMO_TIME ? "demo-time" : op == INN_DEMO_STATUS ? "demo-status" :
	       "demo-nuke";
}

/* ---- the kubeconfig ------------------------------------------------------ */

static const inn_ynode *
named_entry(const inn_ynode *seq, const char *name, const char *inner)
{
	size_t i;

	if (seq == NULL || seq->kind != INN_Y_SEQ || name == NULL)
		return NULL;
	for (i = 0; i < seq->n; i++) {
		const inn_ynode *it = seq->items[i], *nm;

		if (it->kind != INN_Y_MAP || (nm = inn_ymap_get(it, "name")) == NULL ||
		    !inn_ynode_is_scalar(nm) || strcmp(nm->value, name) != 0)
			continue;
		return inn_ymap_get(it, inner);
	}
	return NULL;
}

/* The current context's cluster URL of kubeconfig path ("" if unknown). */
static void
kube_server(const char *path, char *server, size_t slen)
{
	inn_ydoc *doc = NULL;
	const inn_ynode *cur, *ctx, *cl, *srv;

	server[0] = '\0';
	if (inn_yaml_load_file(&doc, path) != 0 || doc->root == NULL ||
	    doc->root->kind != INN_Y_MAP)
		goto out;
	cur = inn_ymap_get(doc->root, "current-context");
	if (cur == NULL || !inn_ynode_is_scalar(cur))
		goto out;
	ctx = named_entry(inn_ymap_get(doc->root, "contexts"), cur->value, "context");
	cl = ctx != NULL && ctx->kind == INN_Y_MAP ? inn_ymap_get(ctx, "cluster") : NULL;
	if (cl == NULL || !inn_ynode_is_scalar(cl))
		goto out;
	cl = named_entry(inn_ymap_get(doc->root, "clusters"), cl->value, "cluster");
	srv = cl != NULL && cl->kind == INN_Y_MAP ? inn_ymap_get(cl, "server") : NULL;
	if (srv != NULL && inn_ynode_is_scalar(srv))
		snprintf(server, slen, "%s", srv->value);
out:
	inn_ydoc_free(doc);
}

static int
is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

void
inn_demo_kubeconfig(const char *given, char *path, size_t plen, char *server, size_t slen)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");

	path[0] = server[0] = '\0';
	if (given != NULL && *given != '\0') {
		snprintf(path, plen, "%s", given);
	} else if (env != NULL && *env != '\0') {
		const char *p = env;

		while (*p != '\0' && path[0] == '\0') {
			size_t n = strcspn(p, ":");

			if (n > 0 && n < plen) {
				snprintf(path, plen, "%.*s", (int)n, p);
				if (!is_file(path))
					path[0] = '\0';
			}
			p += n + (p[n] == ':');
		}
	}
	if (path[0] == '\0' && (given == NULL || *given == '\0') && home != NULL &&
	    *home != '\0') {
		snprintf(path, plen, "%s/.kube/config", home);
		if (!is_file(path))
			path[0] = '\0';
	}
	if (path[0] != '\0') {
		char real[4096];

		/* absolute: the steps run in their own workspace */
		if (realpath(path, real) != NULL && strlen(real) < plen)
			snprintf(path, plen, "%s", real);
		kube_server(path, server, slen);
	}
}

/* ---- the workflows ------------------------------------------------------- */

static json_object *
kube_step(const char *name, const char *op, const char *kubeconfig)
{
	json_object *s = json_object_new_object(), *cfg = json_object_new_object();

	json_object_object_add(s, "name", json_object_new_string(name));
	json_object_object_add(s, "type", json_object_new_string("kubernetes"));
	json_object_object_add(cfg, "operation", json_object_new_string(op));
	json_object_object_add(cfg, "timeout", json_object_new_string(DEMO_REQUEST_TIMEOUT));
	if (kubeconfig != NULL && *kubeconfig != '\0')
		json_object_object_add(cfg, "kubeconfig", json_object_new_string(kubeconfig));
	json_object_object_add(s, "config", cfg);
	return s;
}

static json_object *
step_cfg(json_object *s)
{
	json_object *cfg = NULL;

	json_object_object_get_ex(s, "config", &cfg);
	return cfg;
}

static void
cfg_set(json_object *s, const char *k, const char *v)
{
	json_object_object_add(step_cfg(s), k, json_object_new_string(v));
}

/* "<component>-<what>" with the manifest's number when it has several. */
static void
step_name(char *buf, size_t len, const char *comp, const char *what, size_t k, size_t n)
{
	if (n > 1)
		snprintf(buf, len, "%s-%s-%zu", comp, what, k + 1);
	else
		snprintf(buf, len, "%s-%s", comp, what);
}

/* The steps of op: first "cluster" (the namespaces listed: is the cluster
 * there?), then the operation's. */
static json_object *
workflow_json(const inn_demo *d, inn_demo_op op, const char *kubeconfig)
{
	json_object *wf = json_object_new_object(), *steps = json_object_new_array(), *s;
	char name[200];
	size_t i, k;

	json_object_object_add(wf, "name", json_object_new_string(inn_demo_op_name(op)));
	json_object_object_add(wf, "description", json_object_new_string(
	    "the demo environment (demo/components.yaml), built by innominatus"));
	s = kube_step("cluster", "get", kubeconfig);
	cfg_set(s, "resource_type", "namespace");
	json_object_array_add(steps, s);
	if (op == INN_DEMO_TIME) {
		if (d->namespaces != NULL) {
			s = kube_step("namespaces", "apply", kubeconfig);
			cfg_set(s, "manifest_path", d->namespaces);
			json_object_array_add(steps, s);
		}
		for (i = 0; i < d->ncomps; i++) {
			const inn_demo_component *c = &d->comps[i];

			for (k = 0; k < c->nmanifests; k++) {
				step_name(name, sizeof(name), c->name, "apply", k, c->nmanifests);
				s = kube_step(name, "apply", kubeconfig);
				cfg_set(s, "manifest_path", c->manifests[k]);
				cfg_set(s, "namespace", c->ns);
				json_object_array_add(steps, s);
			}
			step_name(name, sizeof(name), c->name, "ready", 0, 1);
			s = kube_step(name, "wait", kubeconfig);
			cfg_set(s, "resource_type", c->health.kind);
			cfg_set(s, "resource_name", c->health.name);
			cfg_set(s, "namespace", c->health.ns ? c->health.ns : c->ns);
			cfg_set(s, "wait_for", c->health.ready);
			cfg_set(s, "timeout", DEMO_READY_TIMEOUT);
			json_object_array_add(steps, s);
		}
	} else if (op == INN_DEMO_STATUS) {
		for (i = 0; i < d->ncomps; i++) {
			const inn_demo_component *c = &d->comps[i];
			json_object *deps = json_object_new_array();

			/* kubernetes.so judges ready once, as its wait would */
			s = kube_step(c->name, "check", kubeconfig);
			cfg_set(s, "resource_type", c->health.kind);
			cfg_set(s, "resource_name", c->health.name);
			cfg_set(s, "namespace", c->health.ns ? c->health.ns : c->ns);
			cfg_set(s, "wait_for", c->health.ready);
			json_object_array_add(deps, json_object_new_string("cluster"));
			json_object_object_add(s, "depends_on", deps);
			json_object_object_add(s, "continue_on_error", json_object_new_boolean(1));
			json_object_array_add(steps, s);
		}
	} else {
		for (i = d->ncomps; i-- > 0;) {
			const inn_demo_component *c = &d->comps[i];

			for (k = c->nmanifests; k-- > 0;) {
				step_name(name, sizeof(name), c->name, "delete", k, c->nmanifests);
				s = kube_step(name, "delete", kubeconfig);
				cfg_set(s, "manifest_path", c->manifests[k]);
				cfg_set(s, "namespace", c->ns);
				json_object_object_add(s, "continue_on_error",
				                       json_object_new_boolean(1));
				json_object_array_add(steps, s);
			}
		}
		if (d->namespaces != NULL) {
			s = kube_step("namespaces-delete", "delete", kubeconfig);
			cfg_set(s, "manifest_path", d->namespaces);
			json_object_object_add(s, "continue_on_error", json_object_new_boolean(1));
			json_object_array_add(steps, s);
		}
	}
	json_object_object_add(wf, "steps", steps);
	return wf;
}

/* op's workflow loaded like a file in the demo folder (its manifest_path
 * values are relative to it).  ctx: the plugins only -- the demo is the
 * platform's own install, not a team's workflow, so no stepDefaults or
 * stepPolicies apply to it. */
static int
demo_workflow(inn_workflow **out, const inn_demo *d, inn_demo_op op, const char *kubeconfig,
              const inn_registry *reg)
{
	json_object *j = workflow_json(d, op, kubeconfig);
	const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
	                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
	inn_load_ctx ctx = { NULL, reg };
	inn_l_wf_extra x;
	inn_diag diag;
	char *name = NULL;
	int rc;

	*out = NULL;
	memset(&x, 0, sizeof(x));
	x.base_dir = d->dir;
	inn_diag_init(&diag);
	if ((name = inn_l_join(d->dir, inn_demo_op_name(op))) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	rc = inn_l_workflow_load_in(out, name, text, strlen(text), &ctx, &x, &diag);
	if (rc != 0 || diag.nerrors > 0) {
		char buf[1024] = "";
		size_t i;

		for (i = 0; i < diag.n; i++)
			if (diag.items[i].level == INN_DIAG_ERROR) {
				inn_diag_format(&diag, i, buf, sizeof(buf));
				break;
			}
		inn_workflow_free(*out);
		*out = NULL;
		rc = inn_error_set(INN_EINVAL, "%s: the workflow it builds does not load: %s",
		                   inn_demo_op_name(op), buf);
	}
out:
	free(name);
	inn_diag_free(&diag);
	json_object_put(j);
	return rc;
}

/* ---- running ------------------------------------------------------------ */

static const inn_step_result *
step_named(const inn_run *run, const char *name)
{
	size_t i;

	for (i = 0; i < inn_run_nsteps(run); i++) {
		const inn_step_result *r = inn_run_step(run, i);

		if (r->def != NULL && strcmp(r->def->name, name) == 0)
			return r;
	}
	return NULL;
}

/* The step's message, or its state's word. */
static const char *
step_why(const inn_step_result *r)
{
	if (r == NULL)
		return "not run";
	return r->message != NULL && *r->message ? r->message : inn_state_name(r->state);
}

/* What the check step r saw (its "detail" output), or NULL. */
static const char *
check_detail(const inn_step_result *r)
{
	json_object *v;

	if (r == NULL || r->outputs == NULL ||
	    !json_object_object_get_ex(r->outputs, "detail", &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* One component's row of the report; returns whether it is fine. */
static int
component_row(const inn_demo_component *c, inn_demo_op op, const inn_run *run,
              json_object *row)
{
	char name[200], detail[1024], obj[400];
	const inn_step_result *r;
	int ok = 1;
	size_t k;

	snprintf(obj, sizeof(obj), "%s/%s", c->health.kind, c->health.name);
	json_object_object_add(row, "object", json_object_new_string(obj));
	if (op == INN_DEMO_STATUS) {
		/* the check step: succeeded is healthy (detail: what it saw),
		 * failed says why (what it saw, or the request's error) */
		r = step_named(run, c->name);
		ok = r != NULL && r->state == INN_STATE_SUCCEEDED;
		snprintf(detail, sizeof(detail), "%s", !ok ? step_why(r) :
		         check_detail(r) != NULL ? check_detail(r) : c->health.ready);
		json_object_object_add(row, "healthy", json_object_new_boolean(ok));
	} else {
		const char *verb = op == INN_DEMO_TIME ? "apply" : "delete";

		detail[0] = '\0';
		for (k = 0; k < c->nmanifests && ok; k++) {
			step_name(name, sizeof(name), c->name, verb, k, c->nmanifests);
			r = step_named(run, name);
			if (r == NULL || r->state != INN_STATE_SUCCEEDED) {
				snprintf(detail, sizeof(detail), "%s %s: %s", verb, c->manifests[k],
				         step_why(r));
				ok = 0;
			}
		}
		json_object_object_add(row, op == INN_DEMO_TIME ? "applied" : "deleted",
		                       json_object_new_boolean(ok));
		if (op == INN_DEMO_TIME) {
			int ready;

			step_name(name, sizeof(name), c->name, "ready", 0, 1);
			r = step_named(run, name);
			ready = ok && r != NULL && r->state == INN_STATE_SUCCEEDED;
			if (ok)
				snprintf(detail, sizeof(detail), "%s", ready ? c->health.ready :
				         step_why(r));
			json_object_object_add(row, "healthy", json_object_new_boolean(ready));
			ok = ready;
		} else if (ok) {
			snprintf(detail, sizeof(detail), "deleted");
		}
	}
	json_object_object_add(row, "detail", json_object_new_string(detail));
	if (c->url != NULL)
		json_object_object_add(row, "url", json_object_new_string(c->url));
	if (c->credentials != NULL)
		json_object_object_add(row, "credentials", json_object_new_string(c->credentials));
	return ok;
}

int
inn_demo_run(inn_engine *eng, const inn_registry *reg, const inn_demo *d, inn_demo_op op,
             const char *kubeconfig, const inn_run_events *events, json_object **report)
{
	char kc[4096], server[1024], msg[8192];
	inn_workflow *wf = NULL;
	inn_run *run = NULL;
	inn_run_opts ro;
	json_object *rep = NULL, *rows;
	const inn_step_result *cl;
	size_t i;
	int rc, all_ok = 1;

	*report = NULL;
	inn_demo_kubeconfig(kubeconfig, kc, sizeof(kc), server, sizeof(server));
	if (kc[0] == '\0' && getenv("KUBERNETES_SERVICE_HOST") == NULL)
		return inn_error_set(INN_ENOTFOUND, "%s: no Kubernetes cluster: %s", inn_demo_op_name(op),
		                     kubeconfig != NULL && *kubeconfig ? "the kubeconfig given "
		                     "is empty" : "no kubeconfig (give --kubeconfig FILE, set "
		                     "$KUBECONFIG, or create ~/.kube/config)");
	if (kc[0] != '\0' && !is_file(kc))
		return inn_error_set(INN_ENOTFOUND, "%s: no Kubernetes cluster: the kubeconfig "
		                     "%s does not exist", inn_demo_op_name(op), kc);
	if (reg == NULL || inn_registry_find(reg, "kubernetes") == NULL)
		return inn_error_set(INN_EINVAL, "%s needs the kubernetes step plugin "
		                     "(kubernetes.so): it is not loaded (see `innominatus-ctl "
		                     "plugins`; allowedStepTypes must allow it)",
		                     inn_demo_op_name(op));
	if ((rc = demo_workflow(&wf, d, op, kc, reg)) != 0)
		return rc;
	memset(&ro, 0, sizeof(ro));
	ro.max_parallel = 4;
	if (events != NULL)
		ro.events = *events;
	if ((rc = inn_run_new(&run, eng, wf, &ro)) != 0)
		goto out;
	inn_run_execute(run);
	rep = json_object_new_object();
	json_object_object_add(rep, "operation", json_object_new_string(inn_demo_op_name(op)));
	json_object_object_add(rep, "kubeconfig", json_object_new_string(kc[0] ? kc :
	                       "(in-cluster service account)"));
	json_object_object_add(rep, "server", json_object_new_string(server));
	cl = step_named(run, "cluster");
	if (cl == NULL || cl->state != INN_STATE_SUCCEEDED) {
		snprintf(msg, sizeof(msg), "no Kubernetes cluster reachable through the kubeconfig "
		         "%s (server %s): %s", kc[0] ? kc : "(in-cluster)",
		         server[0] ? server : "unknown", step_why(cl));
		json_object_object_add(rep, "status", json_object_new_string("failed"));
		json_object_object_add(rep, "error", json_object_new_string(msg));
		json_object_object_add(rep, "components", json_object_new_array());
		rc = INN_ERROR;
		goto done;
	}
	rows = json_object_new_array();
	for (i = 0; i < d->ncomps; i++) {
		json_object *row = component_entry(d->comps[i].name, d->comps[i].ns);

		if (!component_row(&d->comps[i], op, run, row))
			all_ok = 0;
		json_object_array_add(rows, row);
	}
	if (op == INN_DEMO_TIME && d->namespaces != NULL && all_ok) {
		const inn_step_result *r = step_named(run, "namespaces");

		all_ok = r != NULL && r->state == INN_STATE_SUCCEEDED;
	}
	if (op != INN_DEMO_STATUS && inn_run_state(run) != INN_STATE_SUCCEEDED && all_ok) {
		all_ok = 0;
	}
	json_object_object_add(rep, "status", json_object_new_string(all_ok ? "succeeded" :
	                                                              "failed"));
	if (!all_ok && op != INN_DEMO_STATUS) {
		const char *why = inn_run_message(run);

		for (i = 0; i < inn_run_nsteps(run); i++) {
			const inn_step_result *r = inn_run_step(run, i);

			if (r->state == INN_STATE_FAILED || r->state == INN_STATE_TIMED_OUT) {
				snprintf(msg, sizeof(msg), "step %s: %s", r->def->name, step_why(r));
				why = msg;
				break;
			}
		}
		json_object_object_add(rep, "error", json_object_new_string(why ? why :
		                       inn_state_name(inn_run_state(run))));
	}
	json_object_object_add(rep, "components", rows);
	rc = all_ok ? 0 : INN_ERROR;
done:
	*report = rep;
out:
	inn_run_free(run);
	inn_workflow_free(wf);
	return rc;
}
