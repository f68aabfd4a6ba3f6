/*
 * providers_conf.c - the admin config's providers[] as folders
 * (providers_conf.h): the one place where a config's git entries are
 * cloned, for the daemon and for innominatus-ctl alike.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "error.h"
#include "host.h"
#include "providers_conf.h"

/* mkdir -p of an absolute or relative folder, mode 0700 for new ones. */
static int
make_dirs(const char *path)
{
	char buf[PATH_MAX];
	size_t i;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf))
		return inn_error_set(INN_EINVAL, "%s: path too long", path);
	for (i = 1; buf[i] != '\0'; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return inn_error_set(INN_ERROR, "cannot create %s: %s", buf, strerror(errno));
		buf[i] = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return inn_error_set(INN_ERROR, "cannot create %s: %s", buf, strerror(errno));
	return 0;
}

/* The clone folder of an entry: cache/<name>-<FNV-1a of the URL and the
 * ref>, so a changed URL or ref gets a clone of its own. */
static int
clone_path(const char *cache, const inn_provider_entry *e, char *buf, size_t len)
{
	uint64_t h = 14695981039346656037ull;
	const unsigned char *p;

	for (p = (const unsigned char *)e->url; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ull;
	h = (h ^ '\n') * 1099511628211ull;
	for (p = (const unsigned char *)(e->ref != NULL ? e->ref : ""); *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ull;
	if ((size_t)snprintf(buf, len, "%s/%s-%016llx", cache, e->name,
	                     (unsigned long long)h) >= len)
		return inn_error_set(INN_EINVAL, "%s: path too long", cache);
	return 0;
}

static void
record_move(inn_conf_moves *m, const char *dir, const char *old)
{
	char **d2;
	char (*o2)[INN_GIT_HEX];

	if (m == NULL)
		return;
	d2 = realloc(m->dir, (m->n + 1) * sizeof(*d2));
	if (d2 != NULL)
		m->dir = d2;
	o2 = realloc(m->old, (m->n + 1) * sizeof(*o2));
	if (o2 != NULL)
		m->old = o2;
	if (d2 == NULL || o2 == NULL || (m->dir[m->n] = strdup(dir)) == NULL)
		return;
	snprintf(m->old[m->n], INN_GIT_HEX, "%s", old);
	m->n++;
}

/* dir holds a clone with a checked-out HEAD. */
static int
is_clone(const char *dir)
{
	char head[PATH_MAX + 16];
	struct stat st;

	snprintf(head, sizeof(head), "%s/.git/HEAD", dir);
	return stat(head, &st) == 0 && S_ISREG(st.st_mode);
}

/* A git entry's folder into out (PATH_MAX); failures said in d. */
static int
git_entry(const inn_provider_entry *e, const char *cache, int fetch, char *out, inn_diag *d,
          inn_conf_moves *moved)
{
	inn_git_auth auth = { e->username, e->token_env, e->token_file, e->ssh_key_file,
	                      e->ssh_passphrase_env, e->ssh_passphrase_file,
	                      e->known_hosts_file };
	char dir[PATH_MAX], tmp[PATH_MAX + 32], old[INN_GIT_HEX], hex[INN_GIT_HEX];
	struct stat st;
	int existed, rc, lock = -1;

	if ((rc = make_dirs(cache)) < 0 || (rc = clone_path(cache, e, dir, sizeof(dir))) < 0)
		goto fail;
	/* one process at a time on a clone (innominatus-ctl runs side by side
	 * share the cache): <clone>.lock, held while it is cloned or fetched */
	snprintf(tmp, sizeof(tmp), "%s.lock", dir);
	if ((lock = open(tmp, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    flock(lock, LOCK_EX) != 0) {
		rc = inn_error_set(INN_ERROR, "cannot lock %s: %s", tmp, strerror(errno));
		goto fail;
	}
	existed = lstat(dir, &st) == 0;
	if (existed && !is_clone(dir)) {
		/* what a clone cut short (a crash, a full disk) left: cloned again */
		inn_rmrf(dir);
		existed = 0;
	}
	old[0] = hex[0] = '\0';
	/* a new clone is made beside and renamed into place when complete */
	snprintf(tmp, sizeof(tmp), "%s.new", dir);
	if (!existed) {
		inn_rmrf(tmp);
		if ((rc = inn_git_clone_at(e->url, e->ref, tmp, &auth, hex)) == 0 &&
		    rename(tmp, dir) != 0)
			rc = inn_error_set(INN_ERROR, "cannot rename %s to %s: %s", tmp, dir,
			                   strerror(errno));
		if (rc < 0) {
			inn_rmrf(tmp);
			goto fail;
		}
	} else if (fetch && (rc = inn_git_update(e->url, e->ref, dir, &auth, old, hex)) < 0) {
		if (rc != INN_GIT_EFETCH)
			goto fail;
		/* the host is away: the clone fetched before serves (the original did so too) */
		inn_diag_add(d, INN_DIAG_WARNING, e->file, e->line, e->col, "providers[%zu] (%s): %s; "
		             "the clone fetched before is used", e->index, e->name, inn_error_last());
	}
	if (old[0] != '\0' && strcmp(old, hex) != 0)
		record_move(moved, dir, old);
	if (lock >= 0)
		close(lock);
	lock = -1;
	if ((rc = inn_git_subdir(dir, e->path != NULL ? e->path : "", out)) < 0)
		goto fail;
	return 0;
fail:
	if (lock >= 0)
		close(lock);
	inn_diag_add(d, INN_DIAG_ERROR, e->file, e->line, e->col, "providers[%zu] (%s): %s",
	             e->index, e->name, inn_error_last());
	return rc;
}

/* Where dirs[k] came from: entry e (a git one: its clone under cache). */
static void
origin_of(const inn_provider_entry *e, const char *cache, inn_conf_origin *o)
{
	char clone[PATH_MAX];

	if (e->url == NULL || clone_path(cache, e, clone, sizeof(clone)) < 0)
		return;
	o->url = strdup(e->url);
	o->ref = e->ref != NULL ? strdup(e->ref) : NULL;
	o->clone = strdup(clone);
}

void
inn_conf_origins_free(inn_conf_origin *o, size_t n)
{
	size_t i;

	for (i = 0; o != NULL && i < n; i++) {
		INN_FREE_ALL(o[i].url, o[i].ref, o[i].clone);
		memset(&o[i], 0, sizeof(o[i]));
	}
}

int
inn_conf_provider_dirs(const inn_policy *pol, const char *cache, int fetch, char **dirs,
                       inn_conf_origin *origins, int max, inn_diag *d, inn_conf_moves *moved)
{
	inn_provider_entry *v = NULL;
	char folder[PATH_MAX];
	size_t n = 0, i;
	int k = 0;

	if (inn_policy_providers(pol, &v, &n, d) < 0) {
		inn_diag_add(d, INN_DIAG_ERROR, pol->file, 0, 0, "%s", inn_error_last());
		return 0;
	}
	for (i = 0; i < n && k < max; i++) {
		if (v[i].url == NULL)
			dirs[k] = strdup(v[i].dir);
		else if (git_entry(&v[i], cache, fetch, folder, d, moved) == 0)
			dirs[k] = strdup(folder);
		else
			continue;
		if (dirs[k] == NULL)
			continue;
		if (origins != NULL)
			origin_of(&v[i], cache, &origins[k]);
		k++;
	}
	if (i < n)
		inn_diag_add(d, INN_DIAG_ERROR, pol->file, v[i].line, v[i].col, "providers: more "
		             "than %d entries; this one and those after it are left out", max);
	inn_provider_entries_free(v, n);
	return k;
}

void
inn_conf_hide_secrets(const inn_policy *pol)
{
	inn_provider_entry *v = NULL;
	size_t n = 0, i;
	inn_diag d;

	inn_git_env_hide("INNOMINATUS_GIT_TOKEN");
	inn_git_env_hide("INNOMINATUS_GIT_SSH_PASSPHRASE");
	inn_diag_init(&d);
	if (pol != NULL && inn_policy_providers(pol, &v, &n, &d) == 0) {
		for (i = 0; i < n; i++) {
			inn_git_env_hide(v[i].token_env);
			inn_git_env_hide(v[i].ssh_passphrase_env);
		}
		inn_provider_entries_free(v, n);
	}
	inn_diag_free(&d);
}

void
inn_conf_moves_free(inn_conf_moves *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->dir[i]);
	free(m->dir);
	free(m->old);
	memset(m, 0, sizeof(*m));
}

void
inn_conf_moves_undo(inn_conf_moves *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		inn_git_restore(m->dir[i], m->old[i]);
	inn_conf_moves_free(m);
}
