/*
 * providers.c - the server's catalog and the provider sources behind it:
 * the config's provider folders (providers[] or --providers, re-read on
 * reload) and the sources an admin added over the API, recorded in the
 * store: a git repository cloned with libgit2 into
 * <state-dir>/_providers/<name> and checked out at a branch, tag or commit,
 * or a local folder.  Every change (add, remove, reload) builds a whole
 * new catalog beside the serving one and swaps it in only when it brings
 * no error the serving one does not already have; otherwise the reply
 * lists every diagnostic and nothing changes (a fresh clone is removed, a
 * fetched source is checked out at its old commit again).
 *
 * Executions hold a reference to the catalog they started with, so a
 * catalog retired by a swap is freed when the last of them ends.  All but
 * inn_catalog_acquire/release runs on the loop thread (or the main thread
 * before the loop starts), which serialises the admin operations.
 *
 * The config's git entries (providers_conf.c) are cloned into
 * <state-dir>/_providers/_config/<name>-<hash>, fetched at start and on
 * reload (and put back when a reload is refused), like the sources.
 *
 * Credentials: a URL with a secret in it (user:token@) is refused
 * (inn_policy_check_url); a private repository's token or SSH key is read
 * from where the config's auth: or the environment says
 * (providers_git.h), so no secret is ever stored in the store, written to
 * a log or echoed in a reply.
 */
#include "config.h"

#include <errno.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "host.h"
#include "log.h"
#include "providers.h"
#include "providers_conf.h"
#include "providers_git.h"

/* ---- catalog references ---------------------------------------------------- */

inn_catalog_ref *
inn_catalog_acquire(inn_server *srv)
{
	inn_catalog_ref *r;

	pthread_mutex_lock(&srv->catalog_lock);
	if ((r = srv->catalog_ref) != NULL)
		r->refs++;
	pthread_mutex_unlock(&srv->catalog_lock);
	return r;
}

void
inn_catalog_release(inn_server *srv, inn_catalog_ref *ref)
{
	int last;

	if (ref == NULL)
		return;
	pthread_mutex_lock(&srv->catalog_lock);
	last = --ref->refs == 0;
	pthread_mutex_unlock(&srv->catalog_lock);
	if (last) {
		inn_catalog_free(ref->cat);
		free(ref);
	}
}

/* Makes cat (owned from here) the serving catalog and *d its diagnostics
 * (moved; *d is left empty).  The old catalog lives on while executions
 * hold it.  0, or INN_ENOMEM with nothing changed. */
static int
install_now(inn_server *srv, inn_catalog *cat, inn_diag *d)
{
	inn_catalog_ref *r = calloc(1, sizeof(*r)), *old;

	if (r == NULL) {
		inn_catalog_free(cat);
		return inn_error_set(INN_ENOMEM, "out of memory swapping the catalog");
	}
	r->cat = cat;
	r->refs = 1;
	pthread_mutex_lock(&srv->catalog_lock);
	old = srv->catalog_ref;
	srv->catalog_ref = r;
	srv->catalog = cat;
	srv->catalog_gen++;
	pthread_mutex_unlock(&srv->catalog_lock);
	inn_catalog_release(srv, old);
	inn_diag_free(&srv->diag);
	srv->diag = *d;
	inn_diag_init(d);
	return 0;
}

/* The admin operations run on a request thread (git may take long); the
 * swap itself happens on the loop thread, which reads srv->catalog. */
struct install_args {
	inn_server *srv;
	inn_catalog *cat;
	inn_diag *d;
	int rc;
	char msg[512];
};

static void
install_call(void *arg)
{
	struct install_args *a = arg;

	if ((a->rc = install_now(a->srv, a->cat, a->d)) < 0)
		snprintf(a->msg, sizeof(a->msg), "%s", inn_error_last());
}

static int
install(inn_server *srv, inn_catalog *cat, inn_diag *d)
{
	struct install_args a = { srv, cat, d, 0, "" };

	inn_http_on_loop(install_call, &a);
	return a.rc < 0 ? inn_error_set(a.rc, "%s", a.msg) : a.rc;
}

/* ---- what the operations report --------------------------------------------- */

/* Every entry of d of level (0: all) as formatted lines, appended to arr. */
static void
diag_lines(const inn_diag *d, int level, json_object *arr)
{
	char buf[2048];
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (level != 0 && (int)d->items[i].level != level)
			continue;
		inn_diag_format(d, i, buf, sizeof(buf));
		json_object_array_add(arr, json_object_new_string(buf));
	}
}

/* The errors of cand that the serving catalog's diagnostics do not
 * already hold (a config provider that was broken at start stays left out
 * without blocking every later change), as formatted lines. */
static json_object *
new_errors(const inn_diag *cand, const inn_diag *cur)
{
	json_object *arr = json_object_new_array();
	char a[2048], b[2048];
	size_t i, j;
	int seen;

	for (i = 0; i < cand->n; i++) {
		if (cand->items[i].level != INN_DIAG_ERROR)
			continue;
		inn_diag_format(cand, i, a, sizeof(a));
		for (j = 0, seen = 0; j < cur->n && !seen; j++) {
			inn_diag_format(cur, j, b, sizeof(b));
			seen = strcmp(a, b) == 0;
		}
		if (!seen)
			json_object_array_add(arr, json_object_new_string(a));
	}
	return arr;
}

/* The errors that refuse a candidate catalog (d its diagnostics): those
 * the serving catalog's do not hold; when it failed without any such,
 * every error of d.  NULL when it did not fail and brings no new error. */
static json_object *
refusal(const inn_diag *d, const inn_diag *cur, int failed)
{
	json_object *errs = new_errors(d, cur);

	if (!failed && json_object_array_length(errs) == 0) {
		json_object_put(errs);
		return NULL;
	}
	if (json_object_array_length(errs) == 0)
		diag_lines(d, INN_DIAG_ERROR, errs);
	return errs;
}

/* The loader's warnings in d as the "warnings" member of o. */
static void
add_warnings(json_object *o, const inn_diag *d)
{
	json_object *warn = json_object_new_array();

	diag_lines(d, INN_DIAG_WARNING, warn);
	json_object_object_add(o, "warnings", warn);
}

static json_object *
source_json(const inn_source_row *r, const inn_catalog *cat)
{
	json_object *o = json_object_new_object();
	const inn_provider *p = cat != NULL ? inn_catalog_provider(cat, r->name) : NULL;

	INN_JSON_ADD_STRS(o, "name", r->name, "kind", r->kind, "git_url", r->url, "path", r->path,
	                  "ref", r->ref, "commit", r->commit, "added_by", r->added_by);
	json_object_object_add(o, "added_ms", json_object_new_int64(r->added_ms));
	json_object_object_add(o, "loaded", json_object_new_boolean(p != NULL));
	if (p != NULL) {
		json_object *wfs = json_object_new_array();
		size_t i;

		for (i = 0; i < p->nworkflows; i++)
			json_object_array_add(wfs, json_object_new_string(p->workflows[i]->name));
		json_object_object_add(o, "version", inn_json_str(p->version));
		json_object_object_add(o, "workflows", wfs);
	}
	return o;
}

/* ---- files ------------------------------------------------------------------- */

/* Clones live in <state-dir>/_providers/<name>: application state is
 * <state-dir>/<app>/... with app names starting with [A-Za-z0-9] and runs
 * without an app under "_", "_team-*" or "_key-*" (exec_run.c path_part,
 * runs.c state_owner), so no execution's state dir can reach a clone.
 * Clones of older versions at <state-dir>/providers/<name> are not moved
 * nor deleted (that may be an app named "providers"): a source whose clone
 * is missing is cloned again at its recorded commit on start. */
#define CLONES "_providers"

/* After a provider registration, removal or reload on this replica: the
 * store's catalog generation is bumped (the other replicas reload) and
 * this catalog is known to match it. */
static void
catalog_changed(inn_server *srv)
{
	int64_t gen = 0;

	if (inn_store_catalog_bump(srv->store, &gen) != 0) {
		inn_log(INN_LOG_WARN, "innominatus: the other replicas will not reload the catalog: %s",
		        inn_error_last());
		return;
	}
	atomic_store(&srv->catalog_store_gen, gen);
	atomic_store(&srv->store_gen_seen, gen);
}

static int
clone_dir(const inn_server *srv, const char *name, char *buf, size_t len, int make)
{
	if ((size_t)snprintf(buf, len, "%s/" CLONES, srv->cfg.state_dir) >= len)
		return inn_error_set(INN_EINVAL, "state dir %s: path too long", srv->cfg.state_dir);
	if (make && ((mkdir(srv->cfg.state_dir, 0700) != 0 && errno != EEXIST) ||
	             (mkdir(buf, 0700) != 0 && errno != EEXIST)))
		return inn_error_set(INN_ERROR, "cannot create %s: %s", buf, strerror(errno));
	if (name != NULL && (size_t)snprintf(buf, len, "%s/" CLONES "/%s", srv->cfg.state_dir,
	                                     name) >= len)
		return inn_error_set(INN_EINVAL, "state dir %s: path too long", srv->cfg.state_dir);
	return 0;
}

/* Removes a clone, and nothing but a clone: dir must be
 * <state-dir>/_providers/<one plain name>; anything else is refused (and
 * logged), so no path mix-up can delete an application's state. */
static void
rm_clone(const inn_server *srv, const char *dir)
{
	char root[PATH_MAX];
	size_t n;
	const char *name;

	if (clone_dir(srv, NULL, root, sizeof(root), 0) < 0)
		return;
	n = strlen(root);
	if (strncmp(dir, root, n) != 0 || dir[n] != '/') {
		name = NULL;
	} else {
		name = dir + n + 1;
	}
	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		inn_log(INN_LOG_WARN, "innominatus: refusing to delete %s: not a provider clone under %s",
		        dir, root);
		return;
	}
	inn_rmrf(dir);
}

/* The provider folder of a source (resolved) into out (PATH_MAX). */
static int
source_folder(const inn_server *srv, const inn_source_row *r, char *out)
{
	char clone[PATH_MAX];
	int rc;

	if (strcmp(r->kind, "path") == 0) {
		if (realpath(r->path, out) == NULL)
			return inn_error_set(INN_ENOTFOUND, "provider source \"%s\": folder %s: %s",
			                     r->name, r->path, strerror(errno));
		return 0;
	}
	if ((rc = clone_dir(srv, r->name, clone, sizeof(clone), 0)) < 0)
		return rc;
	if ((rc = inn_git_subdir(clone, r->path != NULL ? r->path : "", out)) < 0)
		return inn_error_set(rc, "provider source \"%s\": %s", r->name, inn_error_last());
	return 0;
}

/* ---- the catalog ------------------------------------------------------------------ */

/* The config's provider folders (malloc'd into dirs, where each comes
 * from into orig): --providers, else the config file's providers[] read
 * again now (git entries cloned, and fetched when moved is not NULL,
 * recording what moved), else ./providers when the config has no
 * providers key at all. */
static int
config_dirs(const inn_server *srv, char **dirs, inn_conf_origin *orig, int max, inn_diag *d,
            inn_conf_moves *moved)
{
	inn_policy *pol = NULL;
	char cache[PATH_MAX];
	int n = 0, i;

	for (i = 0; i < srv->cfg.nproviders && n < max; i++)
		if ((dirs[n] = strdup(srv->cfg.providers[i])) != NULL)
			n++;
	if (n == 0 && srv->policy != NULL && srv->policy->file != NULL) {
		if (inn_policy_load(&pol, srv->policy->file, 0) != 0) {
			inn_diag_add(d, INN_DIAG_ERROR, srv->policy->file, 0, 0, "%s",
			             inn_error_last());
			return 0;
		}
		if (clone_dir(srv, "_config", cache, sizeof(cache), 1) < 0)
			inn_diag_add(d, INN_DIAG_ERROR, srv->policy->file, 0, 0, "%s",
			             inn_error_last());
		else
			n = inn_conf_provider_dirs(pol, cache, moved != NULL, dirs, orig, max, d,
			                           moved);
		inn_policy_free(pol);
	}
	if (n == 0 && !inn_policy_names_providers(srv->policy) &&
	    access("providers", R_OK) == 0 && (dirs[0] = strdup("providers")) != NULL)
		n = 1;
	return n;
}

/* A stored source's folder into dirs[*n], where it comes from into
 * orig[*n]: its clone (a git source) or nothing (a folder). */
static void
add_source_dir(const inn_server *srv, const inn_source_row *r, char **dirs,
               inn_conf_origin *orig, int *n, inn_diag *d)
{
	char folder[PATH_MAX], clone[PATH_MAX];

	if (source_folder(srv, r, folder) < 0) {
		inn_diag_add(d, INN_DIAG_ERROR, NULL, 0, 0, "%s", inn_error_last());
		return;
	}
	if ((dirs[*n] = strdup(folder)) == NULL)
		return;
	if (strcmp(r->kind, "git") == 0 && clone_dir(srv, r->name, clone, sizeof(clone), 0) == 0) {
		orig[*n].url = strdup(r->url);
		orig[*n].ref = r->ref != NULL ? strdup(r->ref) : NULL;
		orig[*n].clone = strdup(clone);
	}
	(*n)++;
}

/* dir (a realpath) is folder (a realpath) or inside it: how much of dir
 * folder is (0: neither). */
static size_t
within(const char *dir, const char *folder)
{
	size_t n = strlen(folder);

	return strncmp(dir, folder, n) == 0 && (dir[n] == '\0' || dir[n] == '/') ? n : 0;
}

/* Each provider of cat gets its source (inn_provider_source): the folder
 * it was read from, or the git repository, ref, commit checked out and
 * folder in the repository.  A provider belongs to the longest of dirs
 * it is in (a folder entry may be a folder of providers). */
static void
say_sources(inn_catalog *cat, char **dirs, const inn_conf_origin *orig, int n)
{
	char (*real)[PATH_MAX] = calloc((size_t)n + 1, sizeof(*real)), clone[PATH_MAX];
	char hex[INN_GIT_HEX];
	size_t i, best_len, len;
	int k, best;

	if (real == NULL)
		return;
	for (k = 0; k < n; k++)
		if (realpath(dirs[k], real[k]) == NULL)
			real[k][0] = '\0';
	for (i = 0; i < cat->nproviders; i++) {
		inn_provider *p = cat->providers[i];
		inn_provider_source *s = &p->source;

		if (p->dir == NULL)
			continue;
		for (k = 0, best = -1, best_len = 0; k < n; k++)
			if (real[k][0] != '\0' && (len = within(p->dir, real[k])) > best_len) {
				best = k;
				best_len = len;
			}
		/* no folder of dirs holds it (one went away meanwhile): it was
		 * read from its own folder all the same */
		if (best < 0 || orig[best].clone == NULL || realpath(orig[best].clone, clone) == NULL ||
		    (len = within(p->dir, clone)) == 0) {
			s->type = "filesystem";
			s->path = strdup(p->dir);
			continue;
		}
		s->type = "git";
		s->path = strdup(p->dir[len] == '/' ? p->dir + len + 1 : "");
		s->git_url = strdup(orig[best].url);
		s->ref = orig[best].ref != NULL ? strdup(orig[best].ref) : NULL;
		s->commit = inn_git_head(clone, hex) == 0 ? strdup(hex) : NULL;
	}
	free(real);
}

/* A whole catalog: the config's folders, every stored source but skip,
 * then extra (a source not stored yet).  *out is what loaded, each
 * provider with its source; d gets every problem.  moved: see
 * config_dirs.  Returns 0 when a catalog was built (even with errors). */
static int
build(inn_server *srv, const char *skip, const inn_source_row *extra, inn_catalog **out,
      inn_diag *d, inn_conf_moves *moved)
{
	enum { MAX_DIRS = INN_MAX_PROVIDER_DIRS + 256 };
	char *dirs[MAX_DIRS];
	inn_conf_origin orig[MAX_DIRS];
	inn_source_row *rows = NULL;
	size_t nrows = 0, i;
	inn_load_ctx ctx;
	int n, k, rc;

	*out = NULL;
	memset(orig, 0, sizeof(orig));
	n = config_dirs(srv, dirs, orig, INN_MAX_PROVIDER_DIRS, d, moved);
	if ((rc = inn_store_source_list(srv->store, &rows, &nrows)) < 0) {
		inn_diag_add(d, INN_DIAG_ERROR, NULL, 0, 0, "%s", inn_error_last());
		goto out;
	}
	for (i = 0; i < nrows; i++) {
		if (skip != NULL && strcmp(rows[i].name, skip) == 0)
			continue;
		if (n >= MAX_DIRS - 1) {
			inn_diag_add(d, INN_DIAG_ERROR, NULL, 0, 0, "more than %d provider sources",
			             MAX_DIRS - 1);
			break;
		}
		add_source_dir(srv, &rows[i], dirs, orig, &n, d);
	}
	if (extra != NULL)
		add_source_dir(srv, extra, dirs, orig, &n, d);
	ctx.policy = srv->policy;
	ctx.registry = srv->registry;
	inn_catalog_load(out, (const char *const *)dirs, (size_t)n, srv->cfg.goldenpaths, &ctx, d);
	rc = *out != NULL ? 0 : INN_ERROR;
	if (*out != NULL)
		say_sources(*out, dirs, orig, n);
out:
	for (k = 0; k < n; k++)
		free(dirs[k]);
	inn_conf_origins_free(orig, (size_t)n);
	inn_source_rows_free(rows, nrows);
	return rc;
}

/* Every git source of the store whose clone this host lacks (the state
 * dir lost it, or another replica added it) is cloned at the commit it
 * had; problems go to d. */
static void
clones_restore(inn_server *srv, inn_diag *d)
{
	inn_source_row *rows = NULL;
	size_t nrows = 0, i;

	if (inn_store_source_list(srv->store, &rows, &nrows) == 0) {
		for (i = 0; i < nrows; i++) {
			char dir[PATH_MAX], hex[INN_GIT_HEX];
			struct stat st;

			if (strcmp(rows[i].kind, "git") != 0 ||
			    clone_dir(srv, rows[i].name, dir, sizeof(dir), 1) < 0 || stat(dir, &st) == 0)
				continue;
			/* a clone where older versions kept them: never deleted here */
			{
				char old[PATH_MAX];

				if ((size_t)snprintf(old, sizeof(old), "%s/providers/%s/.git",
				                     srv->cfg.state_dir, rows[i].name) < sizeof(old) &&
				    stat(old, &st) == 0)
					inn_log(INN_LOG_INFO, "innominatus: provider source \"%s\": clones now live "
					        "in %s; the old clone %s/providers/%s is left as it is (it "
					        "may be an application's state): remove it by hand",
					        rows[i].name, dir, srv->cfg.state_dir, rows[i].name);
			}
			if (inn_git_clone_at(rows[i].url, rows[i].commit ? rows[i].commit : rows[i].ref, dir,
			                     NULL, hex) < 0) {
				inn_diag_add(d, INN_DIAG_ERROR, NULL, 0, 0, "provider source \"%s\": %s",
				             rows[i].name, inn_error_last());
				rm_clone(srv, dir);
			}
		}
		inn_source_rows_free(rows, nrows);
	}
}

int
inn_providers_start(inn_server *srv)
{
	inn_catalog *cat = NULL;
	inn_conf_moves moves = { 0, NULL, NULL };
	inn_diag d;
	int rc;

	pthread_mutex_init(&srv->catalog_lock, NULL);
	inn_diag_init(&d);
	clones_restore(srv, &d);
	rc = build(srv, NULL, NULL, &cat, &d, &moves);
	inn_conf_moves_free(&moves);
	if (rc == 0)
		rc = install(srv, cat, &d);
	else
		rc = inn_error_set(INN_ERROR, "the catalog could not be loaded");
	if (rc < 0) {
		/* keep what was said about it */
		inn_diag_free(&srv->diag);
		srv->diag = d;
		return rc;
	}
	inn_diag_free(&d);
	return 0;
}

int
inn_providers_sync(inn_server *srv)
{
	inn_catalog *cat = NULL;
	inn_diag d;
	int rc;

	inn_diag_init(&d);
	clones_restore(srv, &d);
	if ((rc = build(srv, NULL, NULL, &cat, &d, NULL)) == 0) {
		rc = install(srv, cat, &d);
		if (rc == 0)
			inn_log(INN_LOG_INFO, "innominatus: catalog reloaded: another replica changed the "
			        "providers (%d providers)", (int)srv->catalog->nproviders);
	} else {
		rc = inn_error_set(INN_ERROR, "the catalog could not be rebuilt");
	}
	inn_diag_free(&d);
	return rc;
}

void
inn_providers_stop(inn_server *srv)
{
	inn_catalog_ref *r = srv->catalog_ref;

	srv->catalog_ref = NULL;
	srv->catalog = NULL;
	inn_catalog_release(srv, r);
	inn_git_shutdown();
}

/* ---- add, remove, reload --------------------------------------------------------- */

/* One operation at a time: the API's (serialised by api_admin.c as well)
 * and a SIGHUP's reload (main.c), which comes from no request. */
static pthread_mutex_t ops_lock = PTHREAD_MUTEX_INITIALIZER;

/* What to add, checked before anything is read or fetched. */
static int
check_spec(const inn_source_spec *sp)
{
	int rc;

	if (!inn_policy_source_name_ok(sp->name) || (sp->url == NULL && sp->path == NULL))
		return inn_error_set(INN_EINVAL, INN_SOURCE_FIELDS_RULE);
	if (sp->url != NULL && (rc = inn_policy_check_url(sp->url)) < 0)
		return rc;
	if (sp->url == NULL && sp->ref != NULL)
		return inn_error_set(INN_EINVAL, "\"ref\" needs \"git_url\"");
	if (sp->ref != NULL && (rc = inn_policy_check_ref(sp->ref)) < 0)
		return rc;
	if (sp->url == NULL && sp->path[0] != '/')
		return inn_error_set(INN_EINVAL, "path \"%s\" must be an absolute folder on the "
		                     "server (or give \"git_url\")", sp->path);
	return 0;
}

static int
find_source(inn_server *srv, const char *name, inn_source_row **rows, size_t *n, size_t *at)
{
	size_t i;

	if (inn_store_source_list(srv->store, rows, n) < 0)
		return INN_ERROR;
	for (i = 0; i < *n; i++)
		if (strcmp((*rows)[i].name, name) == 0) {
			*at = i;
			return 0;
		}
	return INN_ENOTFOUND;
}

/* name is neither a stored source nor a provider of the config. */
static int
check_name_free(inn_server *srv, const char *name)
{
	inn_source_row *rows = NULL;
	size_t n = 0, at;
	int rc = find_source(srv, name, &rows, &n, &at);

	inn_source_rows_free(rows, n);
	if (rc == 0)
		return inn_error_set(INN_PROVIDERS_CONFLICT, "a provider source named \"%s\" exists "
		                     "(DELETE /api/admin/providers/%s first)", name, name);
	if (rc != INN_ENOTFOUND)
		return inn_error_set(INN_PROVIDERS_STORE, "%s", inn_error_last());
	if (inn_catalog_provider(srv->catalog, name) != NULL)
		return inn_error_set(INN_PROVIDERS_CONFLICT, "provider \"%s\" is already loaded from "
		                     "the server's config", name);
	return 0;
}

/* The new source's provider folder, resolved, into folder (PATH_MAX): a
 * fresh clone at clone (PATH_MAX; *made: it exists now, remove it unless
 * the source is kept) or the folder given. */
static int
fetch_source(inn_server *srv, const inn_source_spec *sp, char *clone, char *folder,
             char hex[INN_GIT_HEX], int *made)
{
	struct stat st;

	if (sp->url == NULL) {
		if (realpath(sp->path, folder) == NULL)
			return inn_error_set(INN_EINVAL, "path %s: %s", sp->path, strerror(errno));
		return 0;
	}
	if (clone_dir(srv, sp->name, clone, PATH_MAX, 1) < 0)
		return inn_error_set(INN_ERROR, "%s", inn_error_last());
	if (lstat(clone, &st) == 0)
		rm_clone(srv, clone);  /* left over from a source deleted before */
	*made = 1;
	if (inn_git_clone_at(sp->url, sp->ref, clone, NULL, hex) < 0)
		return inn_error_set(INN_PROVIDERS_GIT, "%s", inn_error_last());
	if (inn_git_subdir(clone, sp->path != NULL ? sp->path : "", folder) < 0)
		return inn_error_set(INN_EINVAL, "%s", inn_error_last());
	return 0;
}

/* The provider of source row (its folder: folder) alone (every problem it
 * has: d1), then the catalog with it (resource types claimed twice, ...:
 * *cat and d2). */
static int
check_provider(inn_server *srv, const inn_source_row *row, const char *folder,
               inn_catalog **cat, inn_diag *d1, inn_diag *d2, json_object **errors)
{
	const char *name = row->name;
	inn_provider *p = NULL;
	inn_load_ctx ctx;
	int rc;

	ctx.policy = srv->policy;
	ctx.registry = srv->registry;
	if (inn_provider_load_dir(&p, folder, &ctx, d1) != 0 || d1->nerrors > 0) {
		*errors = json_object_new_array();
		diag_lines(d1, INN_DIAG_ERROR, *errors);
		rc = inn_error_set(INN_PROVIDERS_INVALID, "the provider is not valid");
		goto out;
	}
	if (strcmp(p->name, name) != 0) {
		rc = inn_error_set(INN_PROVIDERS_INVALID, "%s names the provider \"%s\", not \"%s\"",
		                   p->file, p->name, name);
		goto out;
	}
	rc = build(srv, NULL, row, cat, d2, NULL);
	if ((*errors = refusal(d2, &srv->diag, rc < 0 ||
	                       inn_catalog_provider(*cat, name) == NULL)) != NULL) {
		rc = inn_error_set(INN_PROVIDERS_INVALID, "the catalog with this provider would not "
		                   "be valid");
		goto out;
	}
	rc = 0;
out:
	inn_provider_free(p);
	return rc;
}

/* Records the source row and serves cat (owned from here; d2 its
 * diagnostics, moved). */
static int
record_source(inn_server *srv, const inn_caller *who, const inn_source_row *row,
              inn_catalog *cat, inn_diag *d2)
{
	json_object *det;

	if (inn_store_source_put(srv->store, row) < 0) {
		inn_catalog_free(cat);
		return inn_error_set(INN_PROVIDERS_STORE, "%s", inn_error_last());
	}
	if (install(srv, cat, d2) < 0) {
		inn_store_source_delete(srv->store, row->name);
		return inn_error_set(INN_ERROR, "%s", inn_error_last());
	}
	det = json_object_new_object();
	json_object_object_add(det, "kind", json_object_new_string(row->kind));
	INN_JSON_ADD_STRS(det, "git_url", row->url, "path", row->path, "commit", row->commit);
	inn_store_audit(srv->store, who->p.name, "provider.add", row->name, det);
	json_object_put(det);
	return 0;
}

static int
providers_add(inn_server *srv, const inn_caller *who, const inn_source_spec *sp,
              json_object **out, json_object **errors)
{
	char clone[PATH_MAX], folder[PATH_MAX], hex[INN_GIT_HEX] = "", msg[1024];
	inn_source_row row;
	inn_catalog *cat = NULL;
	inn_diag d1, d2;
	int made = 0, rc;

	*out = NULL;
	*errors = NULL;
	inn_diag_init(&d1);
	inn_diag_init(&d2);
	if ((rc = check_spec(sp)) < 0 || (rc = check_name_free(srv, sp->name)) < 0 ||
	    (rc = fetch_source(srv, sp, clone, folder, hex, &made)) < 0)
		goto out;
	memset(&row, 0, sizeof(row));
	row.name = (char *)sp->name;
	row.kind = sp->url != NULL ? (char *)"git" : (char *)"path";
	row.url = (char *)sp->url;
	row.path = sp->url != NULL ? (char *)(sp->path != NULL ? sp->path : "") : folder;
	row.ref = (char *)sp->ref;
	row.commit = hex[0] ? hex : NULL;
	row.added_by = (char *)who->p.name;
	row.added_ms = inn_wall_ms();
	if ((rc = check_provider(srv, &row, folder, &cat, &d1, &d2, errors)) < 0)
		goto out;
	rc = record_source(srv, who, &row, cat, &d2);
	cat = NULL;
	if (rc < 0)
		goto out;
	made = 0;
	catalog_changed(srv);
	inn_log(INN_LOG_INFO, "innominatus: provider \"%s\" added by %s (%s%s%s)", sp->name,
	        who->p.name, sp->url != NULL ? sp->url : folder, hex[0] ? " at " : "", hex);
	*out = source_json(&row, srv->catalog);
	add_warnings(*out, &d1);
out:
	snprintf(msg, sizeof(msg), "%s", inn_error_last());
	if (made)
		rm_clone(srv, clone);
	inn_catalog_free(cat);
	inn_diag_free(&d1);
	inn_diag_free(&d2);
	return rc < 0 ? inn_error_set(rc, "%s", msg) : 0;
}

static int
providers_remove(inn_server *srv, const inn_caller *who, const char *name,
                 json_object **errors)
{
	inn_source_row *rows = NULL;
	inn_catalog *cat = NULL;
	char clone[PATH_MAX];
	size_t nrows = 0, at = 0;
	inn_diag d;
	int rc, git;

	*errors = NULL;
	inn_diag_init(&d);
	if ((rc = find_source(srv, name, &rows, &nrows, &at)) == INN_ENOTFOUND) {
		if (inn_catalog_provider(srv->catalog, name) != NULL)
			rc = inn_error_set(INN_PROVIDERS_CONFLICT, "provider \"%s\" comes from the "
			                   "server's config (providers[] or --providers), not from the "
			                   "API: remove it there, then POST /api/admin/reload", name);
		else
			rc = inn_error_set(INN_ENOTFOUND, "no provider source named \"%s\"", name);
		goto out;
	} else if (rc < 0) {
		rc = inn_error_set(INN_PROVIDERS_STORE, "%s", inn_error_last());
		goto out;
	}
	git = strcmp(rows[at].kind, "git") == 0;
	rc = build(srv, name, NULL, &cat, &d, NULL);
	if ((*errors = refusal(&d, &srv->diag, rc < 0)) != NULL) {
		rc = inn_error_set(INN_PROVIDERS_INVALID, "the catalog without this provider would "
		                   "not be valid (a golden path uses it?)");
		goto out;
	}
	if (inn_store_source_delete(srv->store, name) < 0) {
		rc = inn_error_set(INN_PROVIDERS_STORE, "%s", inn_error_last());
		goto out;
	}
	rc = install(srv, cat, &d);
	cat = NULL;
	if (rc < 0) {
		rc = inn_error_set(INN_ERROR, "%s", inn_error_last());
		goto out;
	}
	/* executions still running from the clone keep their parsed workflows;
	 * files their steps read from it are gone with it */
	catalog_changed(srv);
	if (git && clone_dir(srv, name, clone, sizeof(clone), 0) == 0)
		rm_clone(srv, clone);
	inn_store_audit(srv->store, who->p.name, "provider.remove", name, NULL);
	inn_log(INN_LOG_INFO, "innominatus: provider \"%s\" removed by %s", name, who->p.name);
out:
	inn_catalog_free(cat);
	inn_diag_free(&d);
	inn_source_rows_free(rows, nrows);
	return rc;
}

/* Every git source at its ref's newest commit: old[i] gets the commit it
 * had, now[i] the one it has.  Returns 1 when one failed (said in d). */
static int
refresh_clones(inn_server *srv, const inn_source_row *rows, size_t nrows,
               char (*old)[INN_GIT_HEX], char (*now)[INN_GIT_HEX], inn_diag *d)
{
	size_t i;
	int failed = 0;

	for (i = 0; i < nrows; i++) {
		char dir[PATH_MAX];
		int rc;

		if (strcmp(rows[i].kind, "git") != 0)
			continue;
		if ((rc = clone_dir(srv, rows[i].name, dir, sizeof(dir), 1)) == 0)
			rc = inn_git_sync(rows[i].url, rows[i].ref, dir, NULL, old[i], now[i]);
		if (rc < 0) {
			inn_diag_add(d, INN_DIAG_ERROR, NULL, 0, 0, "provider source \"%s\": %s",
			             rows[i].name, inn_error_last());
			failed = 1;
		}
	}
	return failed;
}

/* A refused reload: every clone back where it was. */
static void
restore_clones(inn_server *srv, const inn_source_row *rows, size_t nrows,
               char (*old)[INN_GIT_HEX], char (*now)[INN_GIT_HEX])
{
	size_t i;

	for (i = 0; i < nrows; i++) {
		char dir[PATH_MAX];

		if (old[i][0] != '\0' && strcmp(old[i], now[i]) != 0 &&
		    clone_dir(srv, rows[i].name, dir, sizeof(dir), 0) == 0)
			inn_git_restore(dir, old[i]);
	}
}

/* What a reload brought: the new commits recorded, and {providers,
 * golden_paths, sources: [source + changed]} of cat. */
static json_object *
reload_summary(inn_server *srv, inn_source_row *rows, size_t nrows,
               char (*old)[INN_GIT_HEX], char (*now)[INN_GIT_HEX], const inn_catalog *cat)
{
	json_object *list = json_object_new_array(), *o;
	size_t i;

	for (i = 0; i < nrows; i++) {
		if (now[i][0] != '\0' && (rows[i].commit == NULL || strcmp(rows[i].commit, now[i]) != 0)) {
			free(rows[i].commit);
			rows[i].commit = strdup(now[i]);
			if (inn_store_source_put(srv->store, &rows[i]) < 0)
				inn_log(INN_LOG_WARN, "innominatus: reload: %s", inn_error_last());
		}
		o = source_json(&rows[i], cat);
		json_object_object_add(o, "changed", json_object_new_boolean(
		    old[i][0] != '\0' && strcmp(old[i], now[i]) != 0));
		json_object_array_add(list, o);
	}
	o = json_object_new_object();
	json_object_object_add(o, "providers", json_object_new_int((int)cat->nproviders));
	json_object_object_add(o, "golden_paths", json_object_new_int((int)cat->ngoldenpaths));
	json_object_object_add(o, "sources", list);
	return o;
}

static int
providers_reload(inn_server *srv, const inn_caller *who, json_object **out,
                 json_object **errors)
{
	inn_source_row *rows = NULL;
	inn_catalog *cat = NULL;
	char (*old)[INN_GIT_HEX] = NULL, (*now)[INN_GIT_HEX] = NULL;
	inn_conf_moves moves = { 0, NULL, NULL };
	size_t nrows = 0;
	inn_diag d;
	int rc, failed;

	*out = NULL;
	*errors = NULL;
	inn_diag_init(&d);
	if (inn_store_source_list(srv->store, &rows, &nrows) < 0) {
		rc = inn_error_set(INN_PROVIDERS_STORE, "%s", inn_error_last());
		goto out;
	}
	old = calloc(nrows + 1, sizeof(*old));
	now = calloc(nrows + 1, sizeof(*now));
	if (old == NULL || now == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	/* one replica at a time fetches into the clones (they may be shared) */
	if (inn_store_lock_try(srv->store, "refresh") == 1) {
		failed = refresh_clones(srv, rows, nrows, old, now, &d);
		inn_store_lock_release(srv->store, "refresh");
	} else {
		failed = 0;
		inn_diag_add(&d, INN_DIAG_WARNING, NULL, 0, 0, "another replica is fetching the git "
		             "sources: reloaded without fetching");
	}
	if (build(srv, NULL, NULL, &cat, &d, &moves) < 0)
		failed = 1;
	if ((*errors = refusal(&d, &srv->diag, failed)) != NULL) {
		restore_clones(srv, rows, nrows, old, now);
		inn_conf_moves_undo(&moves);
		rc = inn_error_set(INN_PROVIDERS_INVALID, "reload refused, the catalog in use is "
		                   "kept");
		goto out;
	}
	*out = reload_summary(srv, rows, nrows, old, now, cat);
	add_warnings(*out, &d);
	rc = install(srv, cat, &d);
	cat = NULL;
	if (rc < 0) {
		json_object_put(*out);
		*out = NULL;
		rc = inn_error_set(INN_ERROR, "%s", inn_error_last());
		goto out;
	}
	catalog_changed(srv);
	inn_store_audit(srv->store, who->p.name, "provider.reload", NULL, NULL);
	inn_log(INN_LOG_INFO, "innominatus: catalog reloaded by %s (%d providers)", who->p.name,
	        (int)srv->catalog->nproviders);
out:
	inn_conf_moves_free(&moves);
	free(old);
	free(now);
	inn_catalog_free(cat);
	inn_diag_free(&d);
	inn_source_rows_free(rows, nrows);
	return rc;
}

int
inn_providers_add(inn_server *srv, const inn_caller *who, const inn_source_spec *sp,
                  json_object **out, json_object **errors)
{
	int rc;

	pthread_mutex_lock(&ops_lock);
	rc = providers_add(srv, who, sp, out, errors);
	pthread_mutex_unlock(&ops_lock);
	return rc;
}

int
inn_providers_remove(inn_server *srv, const inn_caller *who, const char *name,
                     json_object **errors)
{
	int rc;

	pthread_mutex_lock(&ops_lock);
	rc = providers_remove(srv, who, name, errors);
	pthread_mutex_unlock(&ops_lock);
	return rc;
}

/* A refused reload is logged as a done one is (who asked, why; the first
 * errors), so an operator who sent SIGHUP sees it in the log. */
static void
log_refusal(const inn_caller *who, const char *why, json_object *errors)
{
	static const char said[] = "reload refused, the catalog in use is kept";
	size_t i, n = errors != NULL ? json_object_array_length(errors) : 0;

	/* the reason may be the same words (providers_reload's): said once */
	if (strncmp(why, said, sizeof(said) - 1) == 0) {
		why += sizeof(said) - 1;
		why += strspn(why, ":; ");
	}
	inn_log(INN_LOG_WARN, "innominatus: reload by %s refused, the catalog in use is kept%s%s "
	        "(%zu error(s))", who->p.name, *why != '\0' ? ": " : "", why, n);
	for (i = 0; i < n && i < 10; i++)
		inn_log(INN_LOG_WARN, "innominatus: reload refused: %s",
		        json_object_get_string(json_object_array_get_idx(errors, i)));
}

int
inn_providers_reload(inn_server *srv, const inn_caller *who, json_object **out,
                     json_object **errors)
{
	char why[512];
	int rc;

	pthread_mutex_lock(&ops_lock);
	rc = providers_reload(srv, who, out, errors);
	pthread_mutex_unlock(&ops_lock);
	if (rc < 0) {
		snprintf(why, sizeof(why), "%s", inn_error_last());
		log_refusal(who, why, *errors);
		inn_error_set(rc, "%s", why);
	}
	return rc;
}

int
inn_providers_list(inn_server *srv, json_object **out)
{
	inn_source_row *rows = NULL;
	size_t n = 0, i;

	*out = NULL;
	if (inn_store_source_list(srv->store, &rows, &n) < 0)
		return inn_error_set(INN_PROVIDERS_STORE, "%s", inn_error_last());
	*out = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(*out, source_json(&rows[i], srv->catalog));
	inn_source_rows_free(rows, n);
	return 0;
}
