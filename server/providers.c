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
 * Credentials: a URL with userinfo (user:token@) is refused, so no secret
 * is ever stored in the store, written to a log or echoed in a reply.
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

#include <git2.h>

#include "error.h"
#include "host.h"
#include "providers.h"

#define SOURCE_NAME_MAX 127
#define SOURCE_FIELD_MAX 1024

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

/* ---- replies ----------------------------------------------------------------- */

/* *reply = {"error": {code, message, errors}}; returns status.  errors
 * (owned) may be NULL. */
static int
fail(json_object **reply, int status, const char *code, json_object *errors,
     const char *fmt, ...) INN_PRINTF_LIKE(5, 6);

static int
fail(json_object **reply, int status, const char *code, json_object *errors,
     const char *fmt, ...)
{
	json_object *err = json_object_new_object();
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(err, "code", json_object_new_string(code));
	json_object_object_add(err, "message", json_object_new_string(msg));
	if (errors != NULL)
		json_object_object_add(err, "errors", errors);
	*reply = json_object_new_object();
	json_object_object_add(*reply, "error", err);
	return status;
}

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

/* "N errors; the first: LINE" for a message that the CLI prints alone. */
static int
fail_diag(json_object **reply, int status, const char *code, json_object *errors,
          const char *what)
{
	size_t n = json_object_array_length(errors);

	return fail(reply, status, code, errors, "%s: %zu error%s%s%s", what, n,
	            n == 1 ? "" : "s", n ? "; the first: " : "",
	            n ? json_object_get_string(json_object_array_get_idx(errors, 0)) : "");
}

static json_object *
source_json(const inn_source_row *r, const inn_catalog *cat)
{
	json_object *o = json_object_new_object();
	const inn_provider *p = cat != NULL ? inn_catalog_provider(cat, r->name) : NULL;

	json_object_object_add(o, "name", inn_json_str(r->name));
	json_object_object_add(o, "kind", inn_json_str(r->kind));
	json_object_object_add(o, "git_url", inn_json_str(r->url));
	json_object_object_add(o, "path", inn_json_str(r->path));
	json_object_object_add(o, "ref", inn_json_str(r->ref));
	json_object_object_add(o, "commit", inn_json_str(r->commit));
	json_object_object_add(o, "added_by", inn_json_str(r->added_by));
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
		fprintf(stderr, "innominatus: refusing to delete %s: not a provider clone under %s\n",
		        dir, root);
		return;
	}
	inn_rmrf(dir);
}

/* A provider folder inside a clone: rel must be relative without "..",
 * and after symlinks it must still be a folder inside the clone.  The
 * resolved folder goes to out (PATH_MAX). */
static int
confine(const char *clone, const char *rel, char *out)
{
	char root[PATH_MAX], joined[PATH_MAX * 2];
	const char *p;
	size_t rl;
	struct stat st;

	for (p = rel; *p != '\0';) {
		size_t seg = strcspn(p, "/");

		if (seg == 2 && strncmp(p, "..", 2) == 0)
			return inn_error_set(INN_EINVAL, "path \"%s\" leaves the repository (\"..\")",
			                     rel);
		p += seg;
		p += *p == '/';
	}
	if (rel[0] == '/')
		return inn_error_set(INN_EINVAL, "path \"%s\" must be relative to the repository "
		                     "root", rel);
	if (realpath(clone, root) == NULL)
		return inn_error_set(INN_ENOTFOUND, "clone %s: %s", clone, strerror(errno));
	snprintf(joined, sizeof(joined), "%s/%s", root, rel);
	if (realpath(joined, out) == NULL)
		return inn_error_set(INN_EINVAL, "path \"%s\" is not in the repository: %s", rel,
		                     strerror(errno));
	rl = strlen(root);
	if (strncmp(out, root, rl) != 0 || (out[rl] != '\0' && out[rl] != '/'))
		return inn_error_set(INN_EINVAL, "path \"%s\" leaves the repository (it resolves "
		                     "to %s through a symbolic link)", rel, out);
	if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode))
		return inn_error_set(INN_EINVAL, "path \"%s\" is not a folder of the repository",
		                     rel);
	return 0;
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
	if ((rc = confine(clone, r->path != NULL ? r->path : "", out)) < 0)
		return inn_error_set(rc, "provider source \"%s\": %s", r->name, inn_error_last());
	return 0;
}

/* ---- git ----------------------------------------------------------------------- */

/* url never holds credentials here (refused on add), so it may be named. */
/* libgit2 (and the TLS library under it) is set up on first use: a server
 * without git sources does not pay for it in memory. */
static int git_ready;

static void
git_up(void)
{
	if (!git_ready) {
		git_libgit2_init();
		git_ready = 1;
	}
}

/* A clone or fetch runs on a request thread, but it must still end: one
 * that takes longer than this is aborted (libgit2 1.5 has no socket
 * timeouts; the check runs whenever data or progress arrives). */
#define GIT_DEADLINE_S 300

static int
git_deadline(const git_indexer_progress *st, void *payload)
{
	const int64_t *deadline = payload;

	(void)st;
	if (inn_now_ms() <= *deadline)
		return 0;
	git_error_set_str(GIT_ERROR_NET, "the transfer took longer than 300 s");
	return -1;
}

static int
git_deadline_sideband(const char *str, int len, void *payload)
{
	(void)str;
	(void)len;
	return git_deadline(NULL, payload);
}

static int
git_fail(const char *what, const char *url)
{
	const git_error *e = git_error_last();

	return inn_error_set(INN_ERROR, "git %s %s: %s", what, url,
	                     e != NULL && e->message != NULL ? e->message : "unknown error");
}

/* ref (NULL: the remote's HEAD) as a commit of repo: a remote branch, a
 * tag, or anything git rev-parse takes (a commit id). */
static int
resolve_ref(git_repository *repo, const char *url, const char *ref, git_object **out)
{
	static const char *const prefixes[] = { "refs/remotes/origin/", "refs/tags/", "" };
	char spec[SOURCE_FIELD_MAX + 32];
	git_object *o = NULL;
	size_t i;

	*out = NULL;
	for (i = 0; i < 3; i++) {
		if (ref == NULL)
			snprintf(spec, sizeof(spec), "%s", i == 0 ? "refs/remotes/origin/HEAD" : "HEAD");
		else
			snprintf(spec, sizeof(spec), "%s%s", prefixes[i], ref);
		if (git_revparse_single(&o, repo, spec) != 0)
			continue;
		if (git_object_peel(out, o, GIT_OBJECT_COMMIT) == 0) {
			git_object_free(o);
			return 0;
		}
		git_object_free(o);
		o = NULL;
	}
	return inn_error_set(INN_EINVAL, "%s: \"%s\" is not a branch, tag or commit of the "
	                     "repository", url, ref != NULL ? ref : "HEAD");
}

/* Checks commit out (files forced, HEAD detached at it); hex gets its id. */
static int
checkout_commit(git_repository *repo, const char *url, git_object *commit,
                char hex[GIT_OID_HEXSZ + 1])
{
	git_checkout_options co;

	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
	if (git_checkout_tree(repo, commit, &co) != 0)
		return git_fail("checkout of", url);
	if (git_repository_set_head_detached(repo, git_object_id(commit)) != 0)
		return git_fail("setting HEAD of", url);
	git_oid_tostr(hex, GIT_OID_HEXSZ + 1, git_object_id(commit));
	return 0;
}

/* Clones url into dir (which must not exist) and checks ref out. */
static int
git_clone_at(const char *url, const char *ref, const char *dir, char hex[GIT_OID_HEXSZ + 1])
{
	git_up();
	git_clone_options opts;
	git_repository *repo = NULL;
	git_object *commit = NULL;
	int rc;

	int64_t deadline = inn_now_ms() + GIT_DEADLINE_S * 1000;

	git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
	opts.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE;
	opts.fetch_opts.callbacks.transfer_progress = git_deadline;
	opts.fetch_opts.callbacks.sideband_progress = git_deadline_sideband;
	opts.fetch_opts.callbacks.payload = &deadline;
	if (git_clone(&repo, url, dir, &opts) != 0) {
		rc = git_fail("clone of", url);
		goto out;
	}
	if ((rc = resolve_ref(repo, url, ref, &commit)) < 0)
		goto out;
	rc = checkout_commit(repo, url, commit, hex);
out:
	git_object_free(commit);
	git_repository_free(repo);
	return rc;
}

/* Fetches origin in the clone at dir and checks ref out; old gets the
 * commit checked out before (for a rollback). */
static int
git_update(const char *url, const char *ref, const char *dir, char old[GIT_OID_HEXSZ + 1],
           char hex[GIT_OID_HEXSZ + 1])
{
	git_up();
	git_fetch_options fo;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_object *commit = NULL;
	git_oid head;
	int rc = 0;

	int64_t deadline = inn_now_ms() + GIT_DEADLINE_S * 1000;

	old[0] = '\0';
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks.transfer_progress = git_deadline;
	fo.callbacks.sideband_progress = git_deadline_sideband;
	fo.callbacks.payload = &deadline;
	if (git_repository_open(&repo, dir) != 0) {
		rc = git_fail("opening the clone of", url);
		goto out;
	}
	if (git_reference_name_to_id(&head, repo, "HEAD") == 0)
		git_oid_tostr(old, GIT_OID_HEXSZ + 1, &head);
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
	fo.prune = GIT_FETCH_PRUNE;
	if (git_remote_lookup(&remote, repo, "origin") != 0 ||
	    git_remote_fetch(remote, NULL, &fo, "innominatus: reload") != 0) {
		rc = git_fail("fetch of", url);
		goto out;
	}
	if ((rc = resolve_ref(repo, url, ref, &commit)) < 0)
		goto out;
	rc = checkout_commit(repo, url, commit, hex);
out:
	git_object_free(commit);
	git_remote_free(remote);
	git_repository_free(repo);
	return rc;
}

/* Checks the clone at dir out at commit hex again (a rollback). */
static void
git_restore(const char *dir, const char *hex)
{
	git_up();
	git_repository *repo = NULL;
	git_object *commit = NULL;
	char got[GIT_OID_HEXSZ + 1];

	if (git_repository_open(&repo, dir) == 0 && git_revparse_single(&commit, repo, hex) == 0)
		checkout_commit(repo, dir, commit, got);
	git_object_free(commit);
	git_repository_free(repo);
}

/* ---- the catalog ------------------------------------------------------------------ */

/* The config's provider folders (malloc'd into dirs): --providers, else
 * the config file's providers[] read again now, else ./providers. */
static int
config_dirs(const inn_server *srv, char **dirs, int max, inn_diag *d)
{
	inn_policy *pol = NULL;
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
		n = inn_policy_provider_dirs(pol, dirs, max);
		inn_policy_free(pol);
	}
	if (n == 0 && access("providers", R_OK) == 0 && (dirs[0] = strdup("providers")) != NULL)
		n = 1;
	return n;
}

/* A whole catalog: the config's folders, every stored source but skip,
 * then extra (a folder not stored yet).  *out is what loaded; d gets every
 * problem.  Returns 0 when a catalog was built (even with errors). */
static int
build(inn_server *srv, const char *skip, const char *extra, inn_catalog **out, inn_diag *d)
{
	char *dirs[INN_MAX_PROVIDER_DIRS + 256], folder[PATH_MAX];
	inn_source_row *rows = NULL;
	size_t nrows = 0, i;
	inn_load_ctx ctx;
	int n, k, rc;

	*out = NULL;
	n = config_dirs(srv, dirs, INN_MAX_PROVIDER_DIRS, d);
	if ((rc = inn_store_source_list(srv->store, &rows, &nrows)) < 0) {
		inn_diag_add(d, INN_DIAG_ERROR, NULL, 0, 0, "%s", inn_error_last());
		goto out;
	}
	for (i = 0; i < nrows; i++) {
		if (skip != NULL && strcmp(rows[i].name, skip) == 0)
			continue;
		if (n >= (int)(sizeof(dirs) / sizeof(dirs[0])) - 1) {
			inn_diag_add(d, INN_DIAG_ERROR, NULL, 0, 0, "more than %zu provider sources",
			             sizeof(dirs) / sizeof(dirs[0]) - 1);
			break;
		}
		if (source_folder(srv, &rows[i], folder) < 0)
			inn_diag_add(d, INN_DIAG_ERROR, NULL, 0, 0, "%s", inn_error_last());
		else if ((dirs[n] = strdup(folder)) != NULL)
			n++;
	}
	if (extra != NULL && (dirs[n] = strdup(extra)) != NULL)
		n++;
	ctx.policy = srv->policy;
	ctx.registry = srv->registry;
	inn_catalog_load(out, (const char *const *)dirs, (size_t)n, srv->cfg.goldenpaths, &ctx, d);
	rc = *out != NULL ? 0 : INN_ERROR;
out:
	for (k = 0; k < n; k++)
		free(dirs[k]);
	inn_source_rows_free(rows, nrows);
	return rc;
}

int
inn_providers_start(inn_server *srv)
{
	inn_source_row *rows = NULL;
	size_t nrows = 0, i;
	inn_catalog *cat = NULL;
	inn_diag d;
	int rc;

	pthread_mutex_init(&srv->catalog_lock, NULL);
	inn_diag_init(&d);
	/* a clone the state dir lost comes back at the commit it had */
	if (inn_store_source_list(srv->store, &rows, &nrows) == 0) {
		for (i = 0; i < nrows; i++) {
			char dir[PATH_MAX], hex[GIT_OID_HEXSZ + 1];
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
					fprintf(stderr, "innominatus: provider source \"%s\": clones now live "
					        "in %s; the old clone %s/providers/%s is left as it is (it "
					        "may be an application's state): remove it by hand\n",
					        rows[i].name, dir, srv->cfg.state_dir, rows[i].name);
			}
			if (git_clone_at(rows[i].url, rows[i].commit ? rows[i].commit : rows[i].ref, dir,
			                 hex) < 0) {
				inn_diag_add(&d, INN_DIAG_ERROR, NULL, 0, 0, "provider source \"%s\": %s",
				             rows[i].name, inn_error_last());
				rm_clone(srv, dir);
			}
		}
		inn_source_rows_free(rows, nrows);
	}
	if ((rc = build(srv, NULL, NULL, &cat, &d)) == 0)
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

void
inn_providers_stop(inn_server *srv)
{
	inn_catalog_ref *r = srv->catalog_ref;

	srv->catalog_ref = NULL;
	srv->catalog = NULL;
	inn_catalog_release(srv, r);
	if (git_ready)
		git_libgit2_shutdown();
	git_ready = 0;
}

/* ---- add, remove, reload --------------------------------------------------------- */

static int
valid_name(const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0' || strlen(s) > SOURCE_NAME_MAX ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", s[i]))
			return 0;
	return 1;
}

/* A branch, tag or commit: no spaces, control characters or revision
 * syntax beyond what names use. */
static int
valid_ref(const char *s)
{
	size_t i;

	if (*s == '\0' || *s == '-' || strlen(s) > 200 || strstr(s, "..") != NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-", s[i]))
			return 0;
	return 1;
}

/* A repository URL we clone: scheme://host/... with a known scheme and no
 * userinfo (credentials are never accepted in a URL: they would end up in
 * the store, the audit trail and logs). */
static int
check_url(const char *url, char *why, size_t len)
{
	static const char *const schemes[] = { "https://", "http://", "git://", "ssh://",
	                                       "file://", NULL };
	const char *auth, *end;
	size_t i;

	for (i = 0; schemes[i] != NULL; i++)
		if (strncmp(url, schemes[i], strlen(schemes[i])) == 0)
			break;
	if (schemes[i] == NULL) {
		snprintf(why, len, "git_url must start with https://, http://, git://, ssh:// or "
		         "file://");
		return -1;
	}
	auth = url + strlen(schemes[i]);
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL) {
		snprintf(why, len, "git_url must not hold a user name or password (user:token@host): "
		         "innominatus never stores or logs credentials; give the URL without them "
		         "(private repositories need a credentials setting, not supported yet)");
		return -1;
	}
	for (i = 0; url[i] != '\0'; i++)
		if ((unsigned char)url[i] <= ' ') {
			snprintf(why, len, "git_url must not hold spaces or control characters");
			return -1;
		}
	return 0;
}

/* A string member of body, or NULL; *bad when present but not a string
 * or too long. */
static const char *
body_str(json_object *body, const char *key, int *bad)
{
	json_object *v;

	if (!json_object_object_get_ex(body, key, &v) || v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) > SOURCE_FIELD_MAX) {
		*bad = 1;
		return NULL;
	}
	return json_object_get_string(v);
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

int
inn_providers_add(inn_server *srv, const inn_caller *who, json_object *body,
                  json_object **reply)
{
	const char *name, *url, *path, *ref;
	char clone[PATH_MAX], folder[PATH_MAX], why[512], hex[GIT_OID_HEXSZ + 1] = "";
	inn_source_row row, *rows = NULL;
	inn_provider *p = NULL;
	inn_catalog *cat = NULL;
	json_object *errs = NULL;
	inn_load_ctx ctx;
	inn_diag d1, d2;
	size_t nrows = 0, at;
	int bad = 0, status, made = 0, rc;

	inn_diag_init(&d1);
	inn_diag_init(&d2);
	name = body_str(body, "name", &bad);
	url = body_str(body, "git_url", &bad);
	path = body_str(body, "path", &bad);
	ref = body_str(body, "ref", &bad);
	if (bad || !valid_name(name) || (url == NULL && path == NULL)) {
		status = fail(reply, 400, "invalid_request", NULL, "needs \"name\" (letters, digits, "
		              "., _, -; at most %d) and \"git_url\" (with optional \"path\" and "
		              "\"ref\") or \"path\" (a folder on the server), all strings",
		              SOURCE_NAME_MAX);
		goto out;
	}
	if (url != NULL && check_url(url, why, sizeof(why)) != 0) {
		status = fail(reply, 400, "invalid_request", NULL, "%s", why);
		goto out;
	}
	if (url == NULL && ref != NULL) {
		status = fail(reply, 400, "invalid_request", NULL, "\"ref\" needs \"git_url\"");
		goto out;
	}
	if (ref != NULL && !valid_ref(ref)) {
		status = fail(reply, 400, "invalid_request", NULL, "ref \"%s\" is not a branch, tag "
		              "or commit name", ref);
		goto out;
	}
	if (url == NULL && path[0] != '/') {
		status = fail(reply, 400, "invalid_request", NULL, "path \"%s\" must be an absolute "
		              "folder on the server (or give \"git_url\")", path);
		goto out;
	}
	if ((rc = find_source(srv, name, &rows, &nrows, &at)) == 0) {
		status = fail(reply, 409, "conflict", NULL, "a provider source named \"%s\" exists "
		              "(DELETE /api/admin/providers/%s first)", name, name);
		goto out;
	} else if (rc != INN_ENOTFOUND) {
		status = fail(reply, 500, "store", NULL, "%s", inn_error_last());
		goto out;
	}
	if (inn_catalog_provider(srv->catalog, name) != NULL) {
		status = fail(reply, 409, "conflict", NULL, "provider \"%s\" is already loaded from "
		              "the server's config", name);
		goto out;
	}
	/* fetch it */
	if (url != NULL) {
		struct stat st;

		if (clone_dir(srv, name, clone, sizeof(clone), 1) < 0) {
			status = fail(reply, 500, "internal", NULL, "%s", inn_error_last());
			goto out;
		}
		if (lstat(clone, &st) == 0)
			rm_clone(srv, clone);  /* left over from a source deleted before */
		made = 1;
		if (git_clone_at(url, ref, clone, hex) < 0) {
			status = fail(reply, 400, "git", NULL, "%s", inn_error_last());
			goto out;
		}
		if (confine(clone, path != NULL ? path : "", folder) < 0) {
			status = fail(reply, 400, "invalid_request", NULL, "%s", inn_error_last());
			goto out;
		}
	} else if (realpath(path, folder) == NULL) {
		status = fail(reply, 400, "invalid_request", NULL, "path %s: %s", path,
		              strerror(errno));
		goto out;
	}
	/* the provider alone: every problem it has */
	ctx.policy = srv->policy;
	ctx.registry = srv->registry;
	if (inn_provider_load_dir(&p, folder, &ctx, &d1) != 0 || d1.nerrors > 0) {
		errs = json_object_new_array();
		diag_lines(&d1, INN_DIAG_ERROR, errs);
		status = fail_diag(reply, 400, "invalid_provider", errs, "the provider is not valid");
		errs = NULL;
		goto out;
	}
	if (strcmp(p->name, name) != 0) {
		status = fail(reply, 400, "invalid_provider", NULL, "%s names the provider \"%s\", "
		              "not \"%s\"", p->file, p->name, name);
		goto out;
	}
	/* and with everything else (resource types claimed twice, ...) */
	rc = build(srv, NULL, folder, &cat, &d2);
	errs = new_errors(&d2, &srv->diag);
	if (rc < 0 || json_object_array_length(errs) > 0 || inn_catalog_provider(cat, name) == NULL) {
		if (json_object_array_length(errs) == 0)
			diag_lines(&d2, INN_DIAG_ERROR, errs);
		status = fail_diag(reply, 400, "invalid_provider", errs, "the catalog with this "
		                   "provider would not be valid");
		errs = NULL;
		goto out;
	}
	json_object_put(errs);
	errs = NULL;
	memset(&row, 0, sizeof(row));
	row.name = (char *)name;
	row.kind = url != NULL ? (char *)"git" : (char *)"path";
	row.url = (char *)url;
	row.path = url != NULL ? (char *)(path != NULL ? path : "") : folder;
	row.ref = (char *)ref;
	row.commit = hex[0] ? hex : NULL;
	row.added_by = (char *)who->p.name;
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		row.added_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	if (inn_store_source_put(srv->store, &row) < 0) {
		status = fail(reply, 500, "store", NULL, "%s", inn_error_last());
		goto out;
	}
	if (install(srv, cat, &d2) < 0) {
		cat = NULL;
		inn_store_source_delete(srv->store, name);
		status = fail(reply, 500, "internal", NULL, "%s", inn_error_last());
		goto out;
	}
	cat = NULL;
	made = 0;
	{
		json_object *det = json_object_new_object();

		json_object_object_add(det, "kind", json_object_new_string(row.kind));
		json_object_object_add(det, "git_url", inn_json_str(url));
		json_object_object_add(det, "path", inn_json_str(row.path));
		json_object_object_add(det, "commit", inn_json_str(row.commit));
		inn_store_audit(srv->store, who->p.name, "provider.add", name, det);
		json_object_put(det);
	}
	fprintf(stderr, "innominatus: provider \"%s\" added by %s (%s%s%s)\n", name, who->p.name,
	        url != NULL ? url : folder, hex[0] ? " at " : "", hex);
	*reply = source_json(&row, srv->catalog);
	{
		json_object *warn = json_object_new_array();

		diag_lines(&d1, INN_DIAG_WARNING, warn);
		json_object_object_add(*reply, "warnings", warn);
	}
	status = 201;
out:
	if (made)
		rm_clone(srv, clone);
	json_object_put(errs);
	inn_provider_free(p);
	inn_catalog_free(cat);
	inn_diag_free(&d1);
	inn_diag_free(&d2);
	inn_source_rows_free(rows, nrows);
	return status;
}

int
inn_providers_remove(inn_server *srv, const inn_caller *who, const char *name,
                     json_object **reply)
{
	inn_source_row *rows = NULL;
	inn_catalog *cat = NULL;
	json_object *errs = NULL;
	char clone[PATH_MAX];
	size_t nrows = 0, at = 0;
	inn_diag d;
	int rc, status, git;

	inn_diag_init(&d);
	if ((rc = find_source(srv, name, &rows, &nrows, &at)) == INN_ENOTFOUND) {
		if (inn_catalog_provider(srv->catalog, name) != NULL)
			status = fail(reply, 409, "conflict", NULL, "provider \"%s\" comes from the "
			              "server's config (providers[] or --providers), not from the API: "
			              "remove it there, then POST /api/admin/reload", name);
		else
			status = fail(reply, 404, "not_found", NULL, "no provider source named \"%s\"",
			              name);
		goto out;
	} else if (rc < 0) {
		status = fail(reply, 500, "store", NULL, "%s", inn_error_last());
		goto out;
	}
	git = strcmp(rows[at].kind, "git") == 0;
	rc = build(srv, name, NULL, &cat, &d);
	errs = new_errors(&d, &srv->diag);
	if (rc < 0 || json_object_array_length(errs) > 0) {
		if (json_object_array_length(errs) == 0)
			diag_lines(&d, INN_DIAG_ERROR, errs);
		status = fail_diag(reply, 409, "in_use", errs, "the catalog without this provider "
		                   "would not be valid (a golden path uses it?)");
		errs = NULL;
		goto out;
	}
	if (inn_store_source_delete(srv->store, name) < 0) {
		status = fail(reply, 500, "store", NULL, "%s", inn_error_last());
		goto out;
	}
	if (install(srv, cat, &d) < 0) {
		cat = NULL;
		status = fail(reply, 500, "internal", NULL, "%s", inn_error_last());
		goto out;
	}
	json_object_put(errs);
	errs = NULL;
	cat = NULL;
	/* executions still running from the clone keep their parsed workflows;
	 * files their steps read from it are gone with it */
	if (git && clone_dir(srv, name, clone, sizeof(clone), 0) == 0)
		rm_clone(srv, clone);
	inn_store_audit(srv->store, who->p.name, "provider.remove", name, NULL);
	fprintf(stderr, "innominatus: provider \"%s\" removed by %s\n", name, who->p.name);
	*reply = json_object_new_object();
	json_object_object_add(*reply, "name", json_object_new_string(name));
	json_object_object_add(*reply, "removed", json_object_new_boolean(1));
	status = 200;
out:
	json_object_put(errs);
	inn_catalog_free(cat);
	inn_diag_free(&d);
	inn_source_rows_free(rows, nrows);
	return status;
}

int
inn_providers_reload(inn_server *srv, const inn_caller *who, json_object **reply)
{
	inn_source_row *rows = NULL;
	inn_catalog *cat = NULL;
	json_object *errs = NULL, *list;
	char (*old)[GIT_OID_HEXSZ + 1] = NULL, (*now)[GIT_OID_HEXSZ + 1] = NULL;
	size_t nrows = 0, i;
	inn_diag d;
	int status, failed = 0;

	inn_diag_init(&d);
	if (inn_store_source_list(srv->store, &rows, &nrows) < 0) {
		status = fail(reply, 500, "store", NULL, "%s", inn_error_last());
		goto out;
	}
	old = calloc(nrows + 1, sizeof(*old));
	now = calloc(nrows + 1, sizeof(*now));
	if (old == NULL || now == NULL) {
		status = fail(reply, 500, "internal", NULL, "out of memory");
		goto out;
	}
	/* every git source at its ref's newest commit */
	for (i = 0; i < nrows; i++) {
		char dir[PATH_MAX];
		struct stat st;
		int rc;

		if (strcmp(rows[i].kind, "git") != 0)
			continue;
		if ((rc = clone_dir(srv, rows[i].name, dir, sizeof(dir), 1)) == 0)
			rc = stat(dir, &st) == 0 ? git_update(rows[i].url, rows[i].ref, dir, old[i], now[i])
			                         : git_clone_at(rows[i].url, rows[i].ref, dir, now[i]);
		if (rc < 0) {
			inn_diag_add(&d, INN_DIAG_ERROR, NULL, 0, 0, "provider source \"%s\": %s",
			             rows[i].name, inn_error_last());
			failed = 1;
		}
	}
	if (build(srv, NULL, NULL, &cat, &d) < 0)
		failed = 1;
	errs = new_errors(&d, &srv->diag);
	if (failed || json_object_array_length(errs) > 0) {
		if (json_object_array_length(errs) == 0)
			diag_lines(&d, INN_DIAG_ERROR, errs);
		/* put every clone back where it was */
		for (i = 0; i < nrows; i++) {
			char dir[PATH_MAX];

			if (old[i][0] != '\0' && strcmp(old[i], now[i]) != 0 &&
			    clone_dir(srv, rows[i].name, dir, sizeof(dir), 0) == 0)
				git_restore(dir, old[i]);
		}
		status = fail_diag(reply, 400, "invalid_catalog", errs, "reload refused, the "
		                   "catalog in use is kept");
		errs = NULL;
		goto out;
	}
	json_object_put(errs);
	errs = NULL;
	list = json_object_new_array();
	for (i = 0; i < nrows; i++) {
		json_object *o;

		if (now[i][0] != '\0' && (rows[i].commit == NULL || strcmp(rows[i].commit, now[i]) != 0)) {
			free(rows[i].commit);
			rows[i].commit = strdup(now[i]);
			if (inn_store_source_put(srv->store, &rows[i]) < 0)
				fprintf(stderr, "innominatus: reload: %s\n", inn_error_last());
		}
		o = source_json(&rows[i], cat);
		json_object_object_add(o, "changed", json_object_new_boolean(
		    old[i][0] != '\0' && strcmp(old[i], now[i]) != 0));
		json_object_array_add(list, o);
	}
	*reply = json_object_new_object();
	json_object_object_add(*reply, "providers", json_object_new_int((int)cat->nproviders));
	json_object_object_add(*reply, "golden_paths", json_object_new_int((int)cat->ngoldenpaths));
	json_object_object_add(*reply, "sources", list);
	{
		json_object *warn = json_object_new_array();

		diag_lines(&d, INN_DIAG_WARNING, warn);
		json_object_object_add(*reply, "warnings", warn);
	}
	if (install(srv, cat, &d) < 0) {
		cat = NULL;
		json_object_put(*reply);
		status = fail(reply, 500, "internal", NULL, "%s", inn_error_last());
		goto out;
	}
	cat = NULL;
	inn_store_audit(srv->store, who->p.name, "provider.reload", NULL, NULL);
	fprintf(stderr, "innominatus: catalog reloaded by %s (%d providers)\n", who->p.name,
	        (int)srv->catalog->nproviders);
	status = 200;
out:
	json_object_put(errs);
	free(old);
	free(now);
	inn_catalog_free(cat);
	inn_diag_free(&d);
	inn_source_rows_free(rows, nrows);
	return status;
}

int
inn_providers_list(inn_server *srv, json_object **reply)
{
	inn_source_row *rows = NULL;
	size_t n = 0, i;

	if (inn_store_source_list(srv->store, &rows, &n) < 0)
		return fail(reply, 500, "store", NULL, "%s", inn_error_last());
	*reply = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(*reply, source_json(&rows[i], srv->catalog));
	inn_source_rows_free(rows, n);
	return 200;
}
