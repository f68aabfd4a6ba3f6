/*
 * load_file.c - the loaders' inputs on disk (load_int.h): reading one YAML
 * input (a file, or text already in memory) with its parser error
 * recorded as a diagnostic, and joining and confining the paths a file
 * writes to the folder it must stay in.
 */
#include "load_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"

int
inn_l_read(inn_ydoc **doc, const char *name, const char *text, size_t len, inn_diag *diag)
{
	int rc;

	*doc = NULL;
	rc = text != NULL ? inn_yaml_load_string(doc, name, text, len)
	                  : inn_yaml_load_file(doc, name);
	if (rc == 0)
		return 0;
	inn_l_err_last(diag, name);
	return text == NULL && rc == INN_ENOTFOUND ? rc : INN_EINVAL;
}

int
inn_l_load_yaml(const char *name, const char *text, size_t len, inn_l_build_fn build,
                void *out, const void *arg, inn_diag *diag)
{
	inn_ydoc *doc = NULL;
	int rc;

	if ((rc = inn_l_read(&doc, name, text, len, diag)) != 0)
		return rc;
	rc = build(out, name, doc, arg, diag);
	inn_ydoc_free(doc);
	return rc;
}

char *
inn_l_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 2);

	if (s == NULL)
		return NULL;
	memcpy(s, a, la);
	if (la > 0 && a[la - 1] != '/')
		s[la++] = '/';
	memcpy(s + la, b, lb + 1);
	return s;
}

int
inn_l_confine(const inn_lctx *lc, const inn_ynode *at, const char *field,
              const char *root, const char *base_dir, const char *rel, int want_dir,
              char **out, char **real)
{
	char *joined = NULL, *rp = NULL;
	size_t rl = strlen(root);
	struct stat st;

	*out = NULL;
	if (real != NULL)
		*real = NULL;
	if (rel[0] == '\0') {
		inn_l_err(lc, at, "%s: must not be empty", field);
		return -1;
	}
	if (rel[0] == '/') {
		inn_l_err(lc, at, "%s: \"%s\" is an absolute path; write it relative to "
		          "the folder %s", field, rel, base_dir);
		return -1;
	}
	while (rel[0] == '.' && rel[1] == '/') {
		rel += 2;
		while (rel[0] == '/')
			rel++;
	}
	if ((joined = inn_l_join(base_dir, rel)) == NULL)
		goto nomem;
	if ((rp = realpath(joined, NULL)) == NULL) {
		inn_l_err(lc, at, "%s: %s: %s", field, joined, strerror(errno));
		goto fail;
	}
	if (!(strncmp(rp, root, rl) == 0 && (rp[rl] == '/' || (rl == 1 && root[0] == '/') ||
	                                     (want_dir && rp[rl] == '\0')))) {
		inn_l_err(lc, at, "%s: \"%s\" resolves to %s, outside the folder %s "
		          "(paths must stay inside it; no .., absolute or symlinked escapes)",
		          field, rel, rp, root);
		goto fail;
	}
	if (stat(rp, &st) != 0 || (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))) {
		inn_l_err(lc, at, "%s: %s is not a %s", field, joined,
		          want_dir ? "directory" : "regular file");
		goto fail;
	}
	*out = joined;
	if (real != NULL)
		*real = rp;
	else
		free(rp);
	return 0;
nomem:
	inn_l_err(lc, at, "out of memory");
fail:
	free(joined);
	free(rp);
	return -1;
}
