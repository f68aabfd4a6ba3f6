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
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>

#include "error.h"
#include "host.h"
#include "model.h"
#include "providers_git.h"

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

/* In the child process of a transfer (run_in_child): where it tells its
 * parent that data arrives, and when it last did. */
static int progress_fd = -1;
static int64_t progress_last;

static int
git_deadline(const git_indexer_progress *st, void *payload)
{
	const inn_git_xfer *x = payload;
	int64_t now = inn_now_ms();

	(void)st;
	if (progress_fd >= 0 && now - progress_last >= 500) {
		progress_last = now;
		if (write(progress_fd, ".", 1) < 0)
			return -1;
	}
	if (now <= x->deadline)
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
	/* a full branch name: the clone has it as origin's */
	if (ref != NULL && strncmp(ref, "refs/heads/", 11) == 0) {
		snprintf(spec, sizeof(spec), "refs/remotes/origin/%s", ref + 11);
		if (git_revparse_single(&o, repo, spec) == 0 &&
		    git_object_peel(out, o, GIT_OBJECT_COMMIT) == 0) {
			git_object_free(o);
			return 0;
		}
		git_object_free(o);
		o = NULL;
	}
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

static int
clone_here(const char *url, const char *ref, const char *dir, const inn_git_auth *auth,
           char old[INN_GIT_HEX], char hex[INN_GIT_HEX])
{
	git_clone_options opts;
	git_repository *repo = NULL;
	inn_git_xfer x;
	int rc;

	git_up();
	old[0] = '\0';
	git_clone_options_init(&opts, GIT_CLONE_OPTIONS_VERSION);
	opts.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE;
	opts.fetch_opts.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	xfer_begin(&opts.fetch_opts.callbacks, &x, url, auth);
	if (git_clone(&repo, url, dir, &opts) != 0)
		rc = git_fail(INN_ERROR, "clone of", url, &x);
	else
		rc = checkout_ref(repo, url, ref, hex);
	inn_git_xfer_end(&x);
	git_repository_free(repo);
	return rc;
}

static int
update_here(const char *url, const char *ref, const char *dir, const inn_git_auth *auth,
            char old[INN_GIT_HEX], char hex[INN_GIT_HEX])
{
	static char *const specs[] = { "+refs/heads/*:refs/remotes/origin/*",
	                               "+refs/tags/*:refs/tags/*" };
	const git_strarray refspecs = { (char **)specs, 2 };
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
	fo.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	/* always from the configured URL, never from what the clone's own
	 * config says (anyone who can write the cache could change that) */
	git_remote_set_url(repo, "origin", url);
	if (git_remote_create_anonymous(&remote, repo, url) != 0 ||
	    git_remote_fetch(remote, &refspecs, &fo, "innominatus: reload") != 0)
		rc = git_fail(INN_GIT_EFETCH, "fetch of", url, &x);
	else
		rc = checkout_ref(repo, url, ref, hex);
out:
	inn_git_xfer_end(&x);
	git_remote_free(remote);
	git_repository_free(repo);
	return rc;
}

static int
unlink_lock(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	size_t n = strlen(path);

	(void)st;
	(void)ftw;
	if (flag == FTW_F && n > 5 && strcmp(path + n - 5, ".lock") == 0)
		unlink(path);
	return 0;
}

/* The lock files a killed transfer left in the clone at dir (its index,
 * refs, HEAD): the next fetch would find them taken. */
static void
clear_locks(const char *dir)
{
	char git[PATH_MAX];

	if ((size_t)snprintf(git, sizeof(git), "%s/.git", dir) < sizeof(git))
		nftw(git, unlink_lock, 16, FTW_PHYS);
}

/* What a transfer's child process tells its parent, after a "R". */
typedef struct git_result {
	int rc;
	char old[INN_GIT_HEX], hex[INN_GIT_HEX];
	char msg[1024];
} git_result;

typedef int (*git_op)(const char *url, const char *ref, const char *dir,
                      const inn_git_auth *auth, char old[INN_GIT_HEX], char hex[INN_GIT_HEX]);

/* The seconds a transfer may go without an answer from the server:
 * $INNOMINATUS_GIT_TIMEOUT, else GIT_IDLE_S. */
#define GIT_IDLE_S 60

static int
idle_seconds(long *out)
{
	const char *v = getenv("INNOMINATUS_GIT_TIMEOUT");
	char *end;

	*out = GIT_IDLE_S;
	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	*out = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || *out < 1 || *out > GIT_DEADLINE_S)
		return inn_error_set(INN_EINVAL, "INNOMINATUS_GIT_TIMEOUT=\"%s\": not a number of "
		                     "seconds from 1 to %d", v, GIT_DEADLINE_S);
	return 0;
}

/* The child's side: op, its result after a "R" on fd, then _exit. */
static void
child_run(int fd, git_op op, const char *url, const char *ref, const char *dir,
          const inn_git_auth *auth)
{
	git_result r;
	const char *p = (const char *)&r;
	size_t off = 0;
	ssize_t n;

	memset(&r, 0, sizeof(r));
	progress_fd = fd;
	progress_last = 0;
	r.rc = op(url, ref, dir, auth, r.old, r.hex);
	if (r.rc < 0)
		snprintf(r.msg, sizeof(r.msg), "%s", inn_error_last());
	if (write(fd, "R", 1) != 1)
		_exit(1);
	while (off < sizeof(r) && ((n = write(fd, p + off, sizeof(r) - off)) > 0 ||
	                           (n < 0 && errno == EINTR)))
		off += n > 0 ? (size_t)n : 0;
	_exit(0);
}

/*
 * op in a child process, so that a server which accepts and never answers
 * cannot hold the caller: the child is killed when nothing arrives for
 * INNOMINATUS_GIT_TIMEOUT seconds (default 60), or after GIT_DEADLINE_S.
 * libgit2 1.5 has no socket timeouts of its own.
 */
static int
run_in_child(git_op op, const char *what, int fail_code, const char *url, const char *ref,
             const char *dir, const inn_git_auth *auth, char old[INN_GIT_HEX],
             char hex[INN_GIT_HEX])
{
	git_result r;
	char buf[512];
	size_t got = 0;
	int fds[2], st, done = 0, timed_out = 0;
	int64_t last, end;
	long idle;
	pid_t pid;

	old[0] = hex[0] = '\0';
	if ((st = idle_seconds(&idle)) < 0)
		return st;
	if (pipe(fds) != 0)
		return inn_error_set(INN_ERROR, "git %s %s: pipe: %s", what, url, strerror(errno));
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return inn_error_set(INN_ERROR, "git %s %s: fork: %s", what, url, strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		child_run(fds[1], op, url, ref, dir, auth);
	}
	close(fds[1]);
	memset(&r, 0, sizeof(r));
	last = inn_now_ms();
	end = last + GIT_DEADLINE_S * 1000;
	for (;;) {
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		int64_t now = inn_now_ms(), wait = last + idle * 1000 - now;
		ssize_t n, i;

		if (end - now < wait)
			wait = end - now;
		if (wait <= 0) {
			timed_out = 1;
			break;
		}
		if (poll(&pfd, 1, (int)wait) <= 0)
			continue;
		if ((n = read(fds[0], buf, sizeof(buf))) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		last = inn_now_ms();
		for (i = 0; i < n; i++) {
			if (done) {
				if (got < sizeof(r))
					((char *)&r)[got++] = buf[i];
			} else if (buf[i] == 'R') {
				done = 1;
			}
		}
		/* the whole result: no need to wait for EOF, which a sibling
		 * transfer's child (forked while this pipe was open) may delay */
		if (done && got == sizeof(r))
			break;
	}
	close(fds[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (timed_out && op == update_here)
		clear_locks(dir);
	if (timed_out)
		return inn_error_set(fail_code, "git %s %s: no answer from the server for %ld s "
		                     "(INNOMINATUS_GIT_TIMEOUT; the transfer is given at most %d s)",
		                     what, url, inn_now_ms() >= end ? (long)GIT_DEADLINE_S : idle,
		                     GIT_DEADLINE_S);
	if (!done || got < sizeof(r))
		return inn_error_set(INN_ERROR, "git %s %s: the process of the transfer ended "
		                     "without a result", what, url);
	r.old[INN_GIT_HEX - 1] = r.hex[INN_GIT_HEX - 1] = r.msg[sizeof(r.msg) - 1] = '\0';
	memcpy(old, r.old, INN_GIT_HEX);
	memcpy(hex, r.hex, INN_GIT_HEX);
	if (r.rc < 0)
		return inn_error_set(r.rc, "%s", r.msg);
	return 0;
}

int
inn_git_clone_at(const char *url, const char *ref, const char *dir, const inn_git_auth *auth,
                 char hex[INN_GIT_HEX])
{
	char old[INN_GIT_HEX];

	return run_in_child(clone_here, "clone of", INN_ERROR, url, ref, dir, auth, old, hex);
}

int
inn_git_update(const char *url, const char *ref, const char *dir, const inn_git_auth *auth,
               char old[INN_GIT_HEX], char hex[INN_GIT_HEX])
{
	return run_in_child(update_here, "fetch of", INN_GIT_EFETCH, url, ref, dir, auth, old,
	                    hex);
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

int
inn_git_head(const char *dir, char hex[INN_GIT_HEX])
{
	git_repository *repo = NULL;
	git_oid oid;
	int rc = 0;

	git_up();
	hex[0] = '\0';
	if (git_repository_open(&repo, dir) != 0 ||
	    git_reference_name_to_id(&oid, repo, "HEAD") != 0)
		rc = git_fail(INN_ENOTFOUND, "reading HEAD of", dir, NULL);
	else
		git_oid_tostr(hex, INN_GIT_HEX, &oid);
	git_repository_free(repo);
	return rc;
}

/* From now on the loaders' messages name the files of the clone at root
 * (a realpath) by their path in the repository and the commit checked
 * out (inn_diag_alias), not by where the clone lies on this machine. */
static void
show_as_repository(const char *root)
{
	char hex[INN_GIT_HEX];

	if (inn_git_head(root, hex) == 0)
		inn_diag_alias(root, hex);
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
		if (seg == 4 && strncasecmp(p, ".git", 4) == 0)
			return inn_error_set(INN_EINVAL, "path \"%s\": .git is git's own folder, not "
			                     "a folder of the repository", rel);
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
	if (strncmp(out + rl, "/.git", 5) == 0 && (out[rl + 5] == '\0' || out[rl + 5] == '/'))
		return inn_error_set(INN_EINVAL, "path \"%s\" leads into .git, git's own folder, "
		                     "not a folder of the repository", rel);
	if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode))
		return inn_error_set(INN_EINVAL, "path \"%s\" is not a folder of the repository",
		                     rel);
	show_as_repository(root);
	return 0;
}

void
inn_git_restore(const char *dir, const char *hex)
{
	char root[PATH_MAX];
	git_repository *repo = NULL;
	git_object *commit = NULL;
	char got[INN_GIT_HEX];

	git_up();
	if (git_repository_open(&repo, dir) == 0 && git_revparse_single(&commit, repo, hex) == 0)
		checkout_commit(repo, dir, commit, got);
	git_object_free(commit);
	git_repository_free(repo);
	if (realpath(dir, root) != NULL)
		show_as_repository(root);
}

void
inn_git_shutdown(void)
{
	if (git_ready)
		git_libgit2_shutdown();
	git_ready = 0;
}
