/*
 * tf_workdir.c - terraform.so's working copy (see terraform.c for the
 * layout): resolving and confining the module folder, copying it (or the
 * inline module) in with a manifest of what was copied, hashing it, the
 * per-copy lock, and the variables file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plugin_util.h"
#include "terraform_int.h"

/* 64-bit FNV-1a, continued from h over n bytes. */
static uint64_t
fnv1a(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

uint64_t
tf_fnv1a_str(uint64_t h, const char *s)
{
	return fnv1a(h, s, strlen(s) + 1);
}

int
tf_path_join(char *buf, size_t len, const char *a, const char *b)
{
	int n = snprintf(buf, len, "%s/%s", a, b);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

void
tf_read_small(const char *dir, const char *name, char *buf, size_t len)
{
	char path[TF_PATH_MAX];
	ssize_t n = -1;
	int fd;

	buf[0] = '\0';
	if (tf_path_join(path, sizeof(path), dir, name) != 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return;
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
}

int
tf_write_small(const char *dir, const char *name, const char *text)
{
	char path[TF_PATH_MAX], tmp[TF_PATH_MAX];
	size_t len = strlen(text);
	int fd, ok;

	if (tf_path_join(path, sizeof(path), dir, name) != 0 ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0)
		return -1;
	ok = write(fd, text, len) == (ssize_t)len;
	if (close(fd) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* A growable list of strings. */
struct strlist {
	char **v;
	size_t n, cap;
};

static int
strlist_add(struct strlist *l, const char *s)
{
	char *copy;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		char **nv = realloc(l->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return INN_ENOMEM;
		l->v = nv;
		l->cap = ncap;
	}
	if ((copy = strdup(s)) == NULL)
		return INN_ENOMEM;
	l->v[l->n++] = copy;
	return 0;
}

static void
strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Copying a module into the working copy. */
struct copier {
	const inn_host *host;
	inn_step *step;
	const char *root;          /* realpath of the module folder */
	const char *dst;           /* the working copy */
	struct strlist files;      /* relative paths written */
	uint64_t hash;             /* over (path, content) in copy order */
	uint64_t bytes;
};

/*
 * Writes len bytes of data (or, with src_fd >= 0, the rest of src_fd) to
 * dst/rel with mode 0700 if exec, else 0600, creating missing folders of
 * rel, hashing path and content into cp->hash.  Returns 0 or an error after
 * logging.
 */
static int
write_module_file(struct copier *cp, const char *rel, int src_fd,
                  const char *data, size_t len, int exec)
{
	char path[TF_PATH_MAX], buf[65536];
	size_t i;
	int fd = -1, rc = INN_ERROR;
	ssize_t n;

	if (cp->files.n >= TF_MODULE_FILES_MAX) {
		cp->host->log(cp->step, INN_LOG_ERROR, "the module has more than %d "
		              "files", TF_MODULE_FILES_MAX);
		return INN_ETOOBIG;
	}
	if (tf_path_join(path, sizeof(path), cp->dst, rel) != 0) {
		cp->host->log(cp->step, INN_LOG_ERROR, "module file %s: path too long",
		              rel);
		return INN_ERROR;
	}
	/* Folders of rel (rel never has "..": it is built from names). */
	for (i = strlen(cp->dst) + 1; path[i] != '\0'; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			cp->host->log(cp->step, INN_LOG_ERROR, "cannot create %s: %s",
			              path, strerror(errno));
			return INN_ERROR;
		}
		path[i] = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	          exec ? 0700 : 0600);
	if (fd < 0) {
		cp->host->log(cp->step, INN_LOG_ERROR, "cannot write %s: %s", path,
		              strerror(errno));
		return INN_ERROR;
	}
	if (fchmod(fd, exec ? 0700 : 0600) != 0)
		goto io;
	cp->hash = tf_fnv1a_str(cp->hash, rel);
	for (;;) {
		const char *chunk;

		if (src_fd >= 0) {
			n = read(src_fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				cp->host->log(cp->step, INN_LOG_ERROR, "cannot read module "
				              "file %s: %s", rel, strerror(errno));
				goto out;
			}
			chunk = buf;
		} else {
			n = (ssize_t)len;
			chunk = data;
			len = 0;
		}
		if (n == 0)
			break;
		cp->bytes += (uint64_t)n;
		if (cp->bytes > TF_MODULE_BYTES_MAX) {
			cp->host->log(cp->step, INN_LOG_ERROR, "the module is larger than "
			              "%u bytes", TF_MODULE_BYTES_MAX);
			rc = INN_ETOOBIG;
			goto out;
		}
		cp->hash = fnv1a(cp->hash, chunk, (size_t)n);
		while (n > 0) {
			ssize_t w = write(fd, chunk, (size_t)n);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				goto io;
			chunk += w;
			n -= w;
		}
	}
	cp->hash = fnv1a(cp->hash, "", 1);
	if ((rc = strlist_add(&cp->files, rel)) != 0) {
		cp->host->log(cp->step, INN_LOG_ERROR, "out of memory");
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		goto io;
	}
	return 0;
io:
	cp->host->log(cp->step, INN_LOG_ERROR, "cannot write %s: %s", path,
	              strerror(errno));
	rc = INN_ERROR;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Non-zero if real lies inside root (or is root itself). */
static int
inside(const char *root, const char *real)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return 1;
	return strncmp(real, root, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

/*
 * Copies the folder src (relative path rel inside the module, "" for the
 * root) into the working copy, in name order.  Symbolic links are followed
 * only when they resolve inside the module folder.  Returns 0 or an error
 * after logging.
 */
static int
copy_tree(struct copier *cp, const char *src, const char *rel, int depth)
{
	struct dirent **names = NULL;
	int n, i, rc = 0;

	if (depth > TF_MODULE_DEPTH_MAX) {
		cp->host->log(cp->step, INN_LOG_ERROR, "module folder %s is nested "
		              "more than %d levels deep", rel, TF_MODULE_DEPTH_MAX);
		return INN_ERROR;
	}
	if ((n = scandir(src, &names, NULL, alphasort)) < 0) {
		cp->host->log(cp->step, INN_LOG_ERROR, "cannot read module folder %s: "
		              "%s", src, strerror(errno));
		return INN_ERROR;
	}
	for (i = 0; i < n && rc == 0; i++) {
		const char *name = names[i]->d_name;
		char spath[TF_PATH_MAX], srel[TF_PATH_MAX], real[PATH_MAX];
		struct stat st;
		int fd;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    tf_reserved_name(name))
			continue;
		if (strpbrk(name, "\n\r") != NULL) {
			cp->host->log(cp->step, INN_LOG_ERROR, "module file name \"%s\" "
			              "contains a line break", name);
			rc = INN_ERROR;
			break;
		}
		if (tf_path_join(spath, sizeof(spath), src, name) != 0 ||
		    (size_t)snprintf(srel, sizeof(srel), "%s%s%s", rel, *rel ? "/" : "",
		    name) >= sizeof(srel)) {
			cp->host->log(cp->step, INN_LOG_ERROR, "module path %s/%s is too "
			              "long", rel, name);
			rc = INN_ERROR;
			break;
		}
		if (lstat(spath, &st) != 0) {
			cp->host->log(cp->step, INN_LOG_ERROR, "cannot stat module file "
			              "%s: %s", spath, strerror(errno));
			rc = INN_ERROR;
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			if (realpath(spath, real) == NULL || !inside(cp->root, real) ||
			    strcmp(real, cp->root) == 0) {
				cp->host->log(cp->step, INN_LOG_ERROR, "module file %s is a "
				              "symbolic link that leads out of the module "
				              "folder %s; refused", srel, cp->root);
				rc = INN_EINVAL;
				break;
			}
			if (stat(real, &st) != 0) {
				cp->host->log(cp->step, INN_LOG_ERROR, "cannot stat %s: %s",
				              real, strerror(errno));
				rc = INN_ERROR;
				break;
			}
		}
		if (S_ISDIR(st.st_mode)) {
			rc = copy_tree(cp, spath, srel, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			if ((fd = open(spath, O_RDONLY | O_CLOEXEC)) < 0) {
				cp->host->log(cp->step, INN_LOG_ERROR, "cannot open module "
				              "file %s: %s", spath, strerror(errno));
				rc = INN_ERROR;
				break;
			}
			rc = write_module_file(cp, srel, fd, NULL, 0,
			                       (st.st_mode & 0111) != 0);
			close(fd);
		} else {
			cp->host->log(cp->step, INN_LOG_WARN, "module file %s is not a "
			              "regular file or folder; skipped", srel);
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/*
 * Reads the manifest of the previous run and removes each file it lists
 * that this run did not write (cp->files, sorted).  Then writes the new
 * manifest.  Returns 0 or an error after logging.
 */
static int
sync_manifest(struct copier *cp)
{
	char path[TF_PATH_MAX], tmp[TF_PATH_MAX], old[TF_PATH_MAX];
	char *line = NULL;
	size_t cap = 0, i;
	ssize_t len;
	FILE *fp;
	int rc = INN_ERROR;

	if (cp->files.n > 1)            /* files.v is NULL when there is none */
		qsort(cp->files.v, cp->files.n, sizeof(*cp->files.v), cmp_str);
	if (tf_path_join(path, sizeof(path), cp->dst, TF_MANIFEST_FILE) != 0 ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return INN_ERROR;
	if ((fp = fopen(path, "re")) != NULL) {
		while ((len = getline(&line, &cap, fp)) > 0) {
			char *key = line;

			if (line[len - 1] == '\n')
				line[len - 1] = '\0';
			if (line[0] == '\0' || line[0] == '/' || pu_has_dotdot(line))
				continue;
			if (bsearch(&key, cp->files.v, cp->files.n, sizeof(*cp->files.v),
			    cmp_str) != NULL)
				continue;
			if (tf_path_join(old, sizeof(old), cp->dst, line) == 0 &&
			    unlink(old) == 0)
				cp->host->log(cp->step, INN_LOG_DEBUG, "removed %s (no longer "
				              "in the module)", line);
		}
		free(line);
		fclose(fp);
	}
	if ((fp = fopen(tmp, "we")) == NULL)
		goto io;
	for (i = 0; i < cp->files.n; i++)
		fprintf(fp, "%s\n", cp->files.v[i]);
	if (fclose(fp) != 0 || rename(tmp, path) != 0)
		goto io;
	return 0;
io:
	cp->host->log(cp->step, INN_LOG_ERROR, "cannot write %s: %s", path,
	              strerror(errno));
	unlink(tmp);
	return rc;
}

/* The module's files as (name, content) for an inline module. */
static int
write_inline_module(struct copier *cp, json_object *module)
{
	int rc;

	if (json_object_is_type(module, json_type_string))
		return write_module_file(cp, "main.tf", -1,
		                         json_object_get_string(module),
		                         (size_t)json_object_get_string_len(module), 0);
	json_object_object_foreach(module, name, content) {
		if ((rc = write_module_file(cp, name, -1,
		    json_object_get_string(content),
		    (size_t)json_object_get_string_len(content), 0)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Resolves config.working_dir to the real path of the module folder in
 * out: an absolute one only inside the provider folder, module_base or
 * the step's workspace/state folders; a relative one inside config.module_base,
 * else inside host->base_dir() (the provider folder), and it must stay
 * inside that base after symbolic links are resolved; it must be a
 * folder.  The one rule for both validate() (written-out paths, at load)
 * and the run.  Returns 0, or INN_EINVAL with the reason in err.
 */
int
tf_module_dir(const inn_host *host, inn_step *step, const struct tf_config *c,
              char *out, char *err, size_t errlen)
{
	const char *base = c->module_base;
	char joined[TF_PATH_MAX], realbase[PATH_MAX], basebuf[TF_PATH_MAX];
	struct stat st;

	if (c->working_dir[0] == '/') {
		/* IJ-9: an absolute path (perhaps rendered from a user's
		 * parameter) must lead into the provider folder, module_base or
		 * the step's workspace/state folders, symbolic links resolved */
		if (pu_confine(host, step, "working_dir", c->working_dir, NULL,
		    c->module_base, out, err, errlen) != 0)
			return INN_EINVAL;
	} else {
		const char *hbase = NULL;

		if (host->abi_minor >= 1 && host->struct_size >=
		    offsetof(inn_host, base_dir) + sizeof(host->base_dir) &&
		    host->base_dir != NULL)
			hbase = host->base_dir(step);
		if (base == NULL)
			base = hbase;
		else if (base[0] != '/' && hbase != NULL) {
			/* a relative module_base is inside the provider folder */
			if (tf_path_join(basebuf, sizeof(basebuf), hbase, base) != 0)
				return pu_refuse(err, errlen, "config.module_base: path "
				                 "too long");
			base = basebuf;
		}
		if (base == NULL)
			return pu_refuse(err, errlen, "config.working_dir: \"%s\" is "
			                 "relative, but neither config.module_base nor the "
			                 "host names the folder it is relative to",
			                 c->working_dir);
		if (realpath(base, realbase) == NULL)
			return pu_refuse(err, errlen, "config.module_base: \"%s\": %s",
			                 base, strerror(errno));
		if (tf_path_join(joined, sizeof(joined), realbase, c->working_dir) != 0 ||
		    realpath(joined, out) == NULL)
			return pu_refuse(err, errlen, "config.working_dir: \"%s\" in %s: "
			                 "%s", c->working_dir, realbase, strerror(errno));
		if (!inside(realbase, out))
			return pu_refuse(err, errlen, "config.working_dir: \"%s\" leads "
			                 "out of %s (to %s) through a symbolic link; refused",
			                 c->working_dir, realbase, out);
	}
	if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode))
		return pu_refuse(err, errlen, "config.working_dir: %s is not a folder",
		                 out);
	return 0;
}

/* The identity of the module, hashed: names the working copy folder. */
static uint64_t
module_identity(inn_step *step, const struct tf_config *c, const char *dir)
{
	uint64_t h = TF_FNV_OFFSET;

	(void)step;
	if (c->state_key != NULL)
		return tf_fnv1a_str(tf_fnv1a_str(h, "key"), c->state_key);
	if (dir != NULL)
		return tf_fnv1a_str(tf_fnv1a_str(h, "dir"), dir);
	h = tf_fnv1a_str(h, "inline");
	if (json_object_is_type(c->module, json_type_string))
		return tf_fnv1a_str(tf_fnv1a_str(h, "main.tf"),
		                 json_object_get_string(c->module));
	json_object_object_foreach(c->module, name, content) {
		h = tf_fnv1a_str(h, name);
		h = tf_fnv1a_str(h, json_object_get_string(content));
	}
	return h;
}

/*
 * Takes the working copy's lock (flock on .innominatus-lock): two runs on
 * one working copy take turns.  Waits, polling, until the lock is free, the
 * step is cancelled or the deadline passes.  Returns the locked fd, or a
 * negative error after logging.
 */
static int
lock_working_copy(struct tf_ctx *x)
{
	char path[TF_PATH_MAX];
	int fd, said = 0;

	if (tf_path_join(path, sizeof(path), x->wc, TF_LOCK_FILE) != 0)
		return INN_ERROR;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		x->host->log(x->step, INN_LOG_ERROR, "cannot open %s: %s", path,
		             strerror(errno));
		return INN_ERROR;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int64_t dl = x->host->deadline_ms(x->step);
		struct timespec ts = { 0, TF_LOCK_POLL_MS * 1000000L };

		if (errno != EWOULDBLOCK && errno != EINTR) {
			x->host->log(x->step, INN_LOG_ERROR, "cannot lock %s: %s", path,
			             strerror(errno));
			close(fd);
			return INN_ERROR;
		}
		if (!said++)
			x->host->log(x->step, INN_LOG_INFO, "waiting for another run "
			             "using this working copy to finish");
		if (x->host->cancelled(x->step)) {
			x->host->log(x->step, INN_LOG_WARN, "cancelled");
			close(fd);
			return INN_ECANCELLED;
		}
		if ((dl > 0 && pu_monotonic_ms() >= dl) ||
		    (x->deadline > 0 && pu_monotonic_ms() >= x->deadline)) {
			x->host->log(x->step, INN_LOG_ERROR, "timed out waiting for the "
			             "working copy lock");
			close(fd);
			return INN_ETIMEOUT;
		}
		nanosleep(&ts, NULL);
	}
	return fd;
}

int
tf_prepare_working_copy(struct tf_ctx *x, const char *state_dir, int *lock_fd)
{
	const struct tf_config *c = x->c;
	char moddir[PATH_MAX], vars[TF_PATH_MAX];
	struct copier cp;
	int rc;

	*lock_fd = -1;
	moddir[0] = '\0';
	if (c->working_dir != NULL) {
		char why[TF_PATH_MAX + 512];

		if ((rc = tf_module_dir(x->host, x->step, c, moddir, why,
		    sizeof(why))) != 0) {
			x->host->log(x->step, INN_LOG_ERROR, "%s", why);
			return rc;
		}
	}
	if ((size_t)snprintf(x->wc, sizeof(x->wc), "%s/%016" PRIx64 "-%s",
	    state_dir, module_identity(x->step, c, c->working_dir ? moddir : NULL),
	    c->workspace) >= sizeof(x->wc)) {
		x->host->log(x->step, INN_LOG_ERROR, "state directory path too long");
		return INN_ERROR;
	}
	if (mkdir(x->wc, 0700) != 0 && errno != EEXIST) {
		x->host->log(x->step, INN_LOG_ERROR, "cannot create working copy %s: "
		             "%s", x->wc, strerror(errno));
		return INN_ERROR;
	}
	if ((*lock_fd = lock_working_copy(x)) < 0) {
		rc = *lock_fd;
		*lock_fd = -1;
		return rc;
	}
	x->host->log(x->step, INN_LOG_DEBUG, "working copy %s", x->wc);

	memset(&cp, 0, sizeof(cp));
	cp.host = x->host;
	cp.step = x->step;
	cp.root = moddir;
	cp.dst = x->wc;
	cp.hash = TF_FNV_OFFSET;
	if (c->working_dir != NULL)
		rc = copy_tree(&cp, moddir, "", 0);
	else
		rc = write_inline_module(&cp, c->module);
	if (rc == 0)
		rc = sync_manifest(&cp);
	x->module_hash = cp.hash;
	strlist_free(&cp.files);
	if (rc != 0)
		return rc;

	if (tf_path_join(vars, sizeof(vars), x->wc, TF_VARS_FILE) != 0)
		return INN_ERROR;
	if (c->variables == NULL) {
		unlink(vars);
		return 0;
	}
	if (tf_write_small(x->wc, TF_VARS_FILE, json_object_to_json_string_ext(
	    c->variables, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) != 0) {
		x->host->log(x->step, INN_LOG_ERROR, "cannot write %s: %s", vars,
		             strerror(errno));
		return INN_ERROR;
	}
	return 0;
}

