/*
 * cmd_new.c - the generators: `innominatus-ctl new provider NAME`, `new
 * workflow NAME [--type T]` (cmd_new_workflow.c) and `new plugin NAME`,
 * each writing into --dir DIR.  Providers and plugin projects are expanded
 * from the templates embedded from templates/ (templates/embed.sh); the
 * name is checked first, so replacing it into YAML, C, m4 and shell text
 * is safe.  Nothing existing is ever overwritten: a folder must be new or
 * empty, files are created exclusively, and a generator that fails half
 * way removes what it created.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "buf.h"
#include "cmd_new.h"
#include "load_int.h"

#define NEW_USAGE "new provider|workflow|plugin NAME [--dir DIR] [--type T (workflow)]"

/* What a generator created, newest last, to undo it on failure. */
#define NEW_MAX_CREATED 64
struct created {
	char *path[NEW_MAX_CREATED];
	int is_dir[NEW_MAX_CREATED];
	int n;
};

static void
created_add(struct created *c, const char *path, int is_dir)
{
	if (c->n < NEW_MAX_CREATED && (c->path[c->n] = strdup(path)) != NULL)
		c->is_dir[c->n++] = is_dir;
}

/* Removes what was created (keep = 0) or forgets it (keep = 1). */
static void
created_done(struct created *c, int keep)
{
	while (c->n > 0) {
		c->n--;
		if (!keep && (c->is_dir[c->n] ? rmdir(c->path[c->n]) : unlink(c->path[c->n])) != 0)
			fprintf(stderr, "innominatus-ctl: new: cannot remove %s: %s\n", c->path[c->n],
			        strerror(errno));
		free(c->path[c->n]);
	}
}

/* A plugin's name is its step type and its file name (<name>.so), and it
 * becomes a C identifier, an automake target and a package name:
 * [a-z][a-z0-9-]{0,62}. */
static int
plugin_name_ok(const char *s)
{
	size_t i;

	if (!(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (i > 62 || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		                s[i] == '-'))
			return 0;
	return 1;
}

/* Replaces @@NAME@@ and @@CNAME@@ in the lines; -1 (a template's fault)
 * on any other @@WORD@@. */
static int
expand(inn_buf *out, const char *const *lines, const char *name, const char *cname,
       const char *tpath)
{
	size_t i;

	for (i = 0; lines[i] != NULL; i++) {
		const char *s = lines[i], *at;

		while ((at = strstr(s, "@@")) != NULL) {
			size_t k = strspn(at + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
			const char *v = NULL;

			if (k > 0 && strncmp(at + 2 + k, "@@", 2) == 0)
				v = k == 4 && strncmp(at + 2, "NAME", 4) == 0 ? name :
				    k == 5 && strncmp(at + 2, "CNAME", 5) == 0 ? cname : NULL;
			if (v == NULL && k > 0 && strncmp(at + 2 + k, "@@", 2) == 0) {
				fprintf(stderr, "innominatus-ctl: new: template %s:%zu: unknown "
				        "placeholder @@%.*s@@\n", tpath, i + 1, (int)k, at + 2);
				return -1;
			}
			if (v == NULL) {        /* "@@" that is no placeholder */
				inn_buf_add(out, s, (size_t)(at - s) + 1);
				s = at + 1;
				continue;
			}
			inn_buf_add(out, s, (size_t)(at - s));
			inn_buf_adds(out, v);
			s = at + 4 + k;
		}
		if (inn_buf_adds(out, s) != 0)
			return -1;
	}
	return 0;
}

/* dir as the folder to generate into: created (with its parents), or an
 * existing empty folder.  CTL_EXIT_OK or an exit code, said. */
static int
target_dir(const char *dir, struct created *c)
{
	struct stat st;
	char *p, *s;

	if (lstat(dir, &st) == 0) {
		DIR *d;
		struct dirent *e;
		int empty = 1;

		/* a link would send the files wherever whoever made it chose */
		if (S_ISLNK(st.st_mode)) {
			fprintf(stderr, "innominatus-ctl: new: %s is a symbolic link: refusing to "
			        "write through it (name the folder itself)\n", dir);
			return CTL_EXIT_CONFIG;
		}
		if (!S_ISDIR(st.st_mode)) {
			fprintf(stderr, "innominatus-ctl: new: %s exists and is not a folder\n", dir);
			return CTL_EXIT_CONFIG;
		}
		if ((d = opendir(dir)) == NULL) {
			fprintf(stderr, "innominatus-ctl: new: %s: %s\n", dir, strerror(errno));
			return CTL_EXIT_CONFIG;
		}
		while (empty && (e = readdir(d)) != NULL)
			empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
		closedir(d);
		if (!empty) {
			fprintf(stderr, "innominatus-ctl: new: %s exists and is not empty: refusing "
			        "to write into it (name a new folder with --dir)\n", dir);
			return CTL_EXIT_CONFIG;
		}
		return CTL_EXIT_OK;
	}
	if ((p = strdup(dir)) == NULL)
		return CTL_EXIT_FAILED;
	for (s = p + strlen(p); s > p + 1 && s[-1] == '/'; s--)
		s[-1] = '\0';
	/* each missing parent, then the folder */
	for (s = p + 1; ; s++) {
		int last = *s == '\0';

		if (*s != '/' && !last)
			continue;
		*s = '\0';
		if (mkdir(p, 0777) == 0) {
			created_add(c, p, 1);
		} else if (errno != EEXIST || last) {
			fprintf(stderr, "innominatus-ctl: new: cannot create %s: %s\n", p,
			        strerror(errno));
			free(p);
			return CTL_EXIT_CONFIG;
		}
		if (last)
			break;
		*s = '/';
	}
	free(p);
	return CTL_EXIT_OK;
}

/* Writes every template under prefix ("provider/", "plugin/") into dir. */
static int
expand_tree(const char *prefix, const char *dir, const char *name, struct created *c)
{
	char cname[64], path[4096];
	size_t i, plen = strlen(prefix);
	const struct ctl_template *t;
	struct stat st = { 0 };

	for (i = 0; name[i] != '\0' && i + 1 < sizeof(cname); i++)
		cname[i] = name[i] == '-' ? '_' : name[i];
	cname[i] = '\0';
	for (t = ctl_templates; t->path != NULL; t++) {
		inn_buf text = INN_BUF_INIT(1 << 24);
		const char *rel = t->path + plen, *mark;
		char *slash;
		int n;

		if (strncmp(t->path, prefix, plen) != 0)
			continue;
		mark = strstr(rel, "__NAME__");
		if (mark != NULL)
			n = snprintf(path, sizeof(path), "%s/%.*s%s%s", dir, (int)(mark - rel), rel,
			             name, mark + 8);
		else
			n = snprintf(path, sizeof(path), "%s/%s", dir, rel);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			fprintf(stderr, "innominatus-ctl: new: %s: path too long\n", dir);
			return -1;
		}
		/* the folders of the file below dir */
		for (slash = path + strlen(dir) + 1; (slash = strchr(slash, '/')) != NULL;
		     slash++) {
			*slash = '\0';
			if (mkdir(path, 0777) == 0) {
				created_add(c, path, 1);
			} else if (errno != EEXIST) {
				fprintf(stderr, "innominatus-ctl: new: cannot create %s: %s\n", path,
				        strerror(errno));
				return -1;
			} else if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
				/* not made by us: maybe a link put there since */
				fprintf(stderr, "innominatus-ctl: new: %s is %s: refusing to write "
				        "into it\n", path, S_ISLNK(st.st_mode) ? "a symbolic link" :
				        "no folder");
				return -1;
			}
			*slash = '/';
		}
		if (expand(&text, t->lines, name, cname, t->path) != 0 ||
		    ctl_new_write(path, text.p ? text.p : "", text.len, t->mode) != 0) {
			inn_buf_free(&text);
			return -1;
		}
		inn_buf_free(&text);
		created_add(c, path, 0);
	}
	return 0;
}

/* new provider NAME / new plugin NAME: a folder from the templates. */
static int
new_tree(const ctl_opts *o, const char *what, const char *name)
{
	struct created c;
	const char *dir = o->new_dir != NULL ? o->new_dir : name;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = target_dir(dir, &c)) != CTL_EXIT_OK)
		return rc;
	if (expand_tree(strcmp(what, "provider") == 0 ? "provider/" : "plugin/", dir, name,
	                &c) != 0) {
		created_done(&c, 0);
		return CTL_EXIT_FAILED;
	}
	created_done(&c, 1);
	if (strcmp(what, "provider") == 0)
		printf("created provider %s in %s\n"
		       "  check it:  innominatus-ctl validate-provider %s\n"
		       "  try it:    innominatus-ctl run --local %s/workflows/hello.yaml\n"
		       "  add one:   innominatus-ctl new workflow NAME --type TYPE --dir %s\n",
		       name, dir, dir, dir, dir);
	else
		printf("created plugin project %s in %s (step type \"%s\")\n"
		       "  build it:  cd %s && autoreconf -fi && ./configure && make && make check\n"
		       "  (./configure PKG_CONFIG_PATH=PREFIX/lib/pkgconfig for an SDK under "
		       "PREFIX; see README.md)\n", name, dir, name, dir);
	return CTL_EXIT_OK;
}

int
ctl_cmd_new(const ctl_opts *o, int argc, char **argv)
{
	const char *what, *name;

	if (argc < 2) {
		if (argc == 1 && strcmp(argv[0], "provider") != 0 &&
		    strcmp(argv[0], "workflow") != 0 && strcmp(argv[0], "plugin") != 0)
			fprintf(stderr, "innominatus-ctl: new: unknown kind \"%s\": provider, "
			        "workflow or plugin\n", argv[0]);
		return ctl_usage(NEW_USAGE);
	}
	what = argv[0];
	name = argv[1];
	if (argc > 2) {
		fprintf(stderr, "innominatus-ctl: new %s: unexpected argument \"%s\"\n", what,
		        argv[2]);
		return ctl_usage(NEW_USAGE);
	}
	if (o->new_dir != NULL && o->new_dir[0] == '\0') {
		fprintf(stderr, "innominatus-ctl: new: --dir needs a folder\n");
		return CTL_EXIT_USAGE;
	}
	if (o->new_type != NULL && strcmp(what, "workflow") != 0) {
		fprintf(stderr, "innominatus-ctl: new %s: --type is for new workflow\n", what);
		return CTL_EXIT_USAGE;
	}
	if (strcmp(what, "plugin") == 0) {
		if (!plugin_name_ok(name)) {
			fprintf(stderr, "innominatus-ctl: new plugin: \"%s\" is no plugin name: it "
			        "is the step type and file name, [a-z][a-z0-9-]{0,62}\n", name);
			return CTL_EXIT_USAGE;
		}
		return new_tree(o, what, name);
	}
	if (strcmp(what, "provider") != 0 && strcmp(what, "workflow") != 0) {
		fprintf(stderr, "innominatus-ctl: new: unknown kind \"%s\": provider, workflow "
		        "or plugin\n", what);
		return ctl_usage(NEW_USAGE);
	}
	if (!inn_l_name_ok(name) || strlen(name) > 63) {
		fprintf(stderr, "innominatus-ctl: new %s: \"%s\" is no %s name: "
		        "[A-Za-z0-9][A-Za-z0-9_-]*, at most 63 characters\n", what, name, what);
		return CTL_EXIT_USAGE;
	}
	if (strcmp(what, "workflow") == 0)
		return ctl_new_workflow(o, name);
	return new_tree(o, what, name);
}
