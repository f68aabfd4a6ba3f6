/*
 * providers_git.c - the provider sources' git side, on libgit2: clone a
 * repository and check a branch, tag or commit out, fetch and check out
 * again, put a clone back at a commit.  A URL here never holds a secret
 * (inn_policy_check_url refuses one), so messages may name it; a token or
 * passphrase is read only when the server asks for it (git_credentials)
 * and masked in every message.  SSH host keys are checked against a
 * known_hosts file (git_hostkey_check, providers_known_hosts.c).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <git2.h>

#include "error.h"
#include "host.h"
#include "providers_git.h"
#include "providers_git_int.h"

_Static_assert(INN_GIT_HEX == GIT_OID_HEXSZ + 1, "INN_GIT_HEX is a libgit2 hex id");

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
	const inn_git_xfer *x = payload;

	(void)st;
	if (inn_now_ms() <= x->deadline)
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

/* Every copy of a secret in buf replaced by "***". */
static void
mask_secrets(const inn_git_xfer *x, char *buf)
{
	const char *const secrets[] = { x->token, x->passphrase };
	size_t i, n;
	char *at;

	for (i = 0; i < 2; i++) {
		if (secrets[i] == NULL || (n = strlen(secrets[i])) == 0)
			continue;
		while ((at = strstr(buf, secrets[i])) != NULL) {
			memcpy(at, "***", 3);
			memmove(at + 3, at + n, strlen(at + n) + 1);
		}
	}
}

static int
git_fail(int code, const char *what, const char *url, const inn_git_xfer *x)
{
	const git_error *e = git_error_last();
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s", x != NULL && x->why[0] != '\0' ? x->why :
	         e != NULL && e->message != NULL ? e->message : "unknown error");
	if (x != NULL)
		mask_secrets(x, msg);
	return inn_error_set(code, "git %s %s: %s", what, url, msg);
}

/* ref (NULL: the remote's HEAD) as a commit of repo: a remote branch, a
 * tag, or anything git rev-parse takes (a commit id). */
static int
resolve_ref(git_repository *repo, const char *url, const char *ref, git_object **out)
{
	static const char *const prefixes[] = { "refs/remotes/origin/", "refs/tags/", "" };
	char spec[1024 + 32];      /* a ref is at most 1024 bytes (providers.h) */
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
                char hex[INN_GIT_HEX])
{
	git_checkout_options co;

	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
	if (git_checkout_tree(repo, commit, &co) != 0)
		return git_fail(INN_ERROR, "checkout of", url, NULL);
	if (git_repository_set_head_detached(repo, git_object_id(commit)) != 0)
		return git_fail(INN_ERROR, "setting HEAD of", url, NULL);
	git_oid_tostr(hex, GIT_OID_HEXSZ + 1, git_object_id(commit));
	return 0;
}

/* ref (NULL: the remote's HEAD) checked out in repo; hex gets its id. */
static int
checkout_ref(git_repository *repo, const char *url, const char *ref, char hex[INN_GIT_HEX])
{
	git_object *commit = NULL;
	int rc;

	if ((rc = resolve_ref(repo, url, ref, &commit)) == 0)
		rc = checkout_commit(repo, url, commit, hex);
	git_object_free(commit);
	return rc;
}

/* A transfer's callbacks: progress (aborted at the deadline),
 * credentials, host keys. */
static void
xfer_begin(git_remote_callbacks *cb, inn_git_xfer *x, const char *url,
           const inn_git_auth *auth)
{
	memset(x, 0, sizeof(*x));
	x->deadline = inn_now_ms() + GIT_DEADLINE_S * 1000;
	x->url = url;
	x->auth = auth;
	cb->transfer_progress = git_deadline;
	cb->sideband_progress = git_deadline_sideband;
	cb->credentials = inn_git_credentials;
	cb->certificate_check = inn_git_hostkey_check;
	cb->payload = x;
}

int
inn_git_clone_at(const char *url, const char *ref, const char *dir, const inn_git_auth *auth,
                 char hex[INN_GIT_HEX])
{
	git_clone_options opts;
	git_repository *repo = NULL;
	inn_git_xfer x;
	int rc;

	git_up();
	git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
	opts.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE;
	xfer_begin(&opts.fetch_opts.callbacks, &x, url, auth);
	if (git_clone(&repo, url, dir, &opts) != 0)
		rc = git_fail(INN_ERROR, "clone of", url, &x);
	else
		rc = checkout_ref(repo, url, ref, hex);
	inn_git_xfer_end(&x);
	git_repository_free(repo);
	return rc;
}

int
inn_git_update(const char *url, const char *ref, const char *dir, const inn_git_auth *auth,
               char old[INN_GIT_HEX], char hex[INN_GIT_HEX])
{
	git_fetch_options fo;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_oid head;
	inn_git_xfer x;
	int rc;

	git_up();
	old[0] = '\0';
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	xfer_begin(&fo.callbacks, &x, url, auth);
	if (git_repository_open(&repo, dir) != 0) {
		rc = git_fail(INN_ERROR, "opening the clone of", url, NULL);
		goto out;
	}
	if (git_reference_name_to_id(&head, repo, "HEAD") == 0)
		git_oid_tostr(old, GIT_OID_HEXSZ + 1, &head);
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
	fo.prune = GIT_FETCH_PRUNE;
	if (git_remote_lookup(&remote, repo, "origin") != 0 ||
	    git_remote_fetch(remote, NULL, &fo, "innominatus: reload") != 0)
		rc = git_fail(INN_GIT_EFETCH, "fetch of", url, &x);
	else
		rc = checkout_ref(repo, url, ref, hex);
out:
	inn_git_xfer_end(&x);
	git_remote_free(remote);
	git_repository_free(repo);
	return rc;
}

int
inn_git_sync(const char *url, const char *ref, const char *dir, const inn_git_auth *auth,
             char old[INN_GIT_HEX], char hex[INN_GIT_HEX])
{
	struct stat st;

	old[0] = '\0';
	if (lstat(dir, &st) == 0)
		return inn_git_update(url, ref, dir, auth, old, hex);
	return inn_git_clone_at(url, ref, dir, auth, hex);
}

/* A provider folder inside a clone: rel must be relative without "..",
 * and after symlinks it must still be a folder inside the clone. */
int
inn_git_subdir(const char *clone, const char *rel, char *out)
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

void
inn_git_restore(const char *dir, const char *hex)
{
	git_repository *repo = NULL;
	git_object *commit = NULL;
	char got[INN_GIT_HEX];

	git_up();
	if (git_repository_open(&repo, dir) == 0 && git_revparse_single(&commit, repo, hex) == 0)
		checkout_commit(repo, dir, commit, got);
	git_object_free(commit);
	git_repository_free(repo);
}

void
inn_git_shutdown(void)
{
	if (git_ready)
		git_libgit2_shutdown();
	git_ready = 0;
}
