/*
 * exec_workspace.c - where a run keeps files: its workspace (one folder
 * per run, under the state root's ".runs" when there is one, else in
 * TMPDIR; swept at server start) and its plugins' state folders
 * (<state root>/<app>/<resource>/<environment>/<plugin>), named so that
 * two different names never share a folder.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "error.h"
#include "exec_run_int.h"
#include "host.h"

/*
 * One path component of a state directory from a name, collision-free: two
 * different names never share a directory (two teams' apps never share
 * terraform state).  [A-Za-z0-9._-] is kept; every other byte, '%' included,
 * becomes %xx (lower-case hex), so the encoding is reversible ("prod/eu" ->
 * "prod%2feu", "prod_eu" stays "prod_eu"); a whole "." or ".." has its dots
 * escaped.  An encoding longer than PATH_PART_MAX is cut to a prefix plus
 * "+" and the SHA-256 of the full name: '+' never appears in an encoding,
 * so a digest name cannot equal a plain one.  Short plain names (up to 64
 * characters of [A-Za-z0-9._-], what every normal app, resource and
 * environment is) keep the directory name they had before this encoding,
 * so no existing state moves.  out must hold PATH_PART_LEN bytes.
 */
void
inn_exec_path_part(char *out, const char *name, const char *fallback)
{
	static const char hex[] = "0123456789abcdef";
	char enc[4 * PATH_PART_MAX];
	size_t i, o = 0, n;
	int dots;

	if (name == NULL || *name == '\0')
		name = fallback;
	n = strlen(name);
	dots = strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
	for (i = 0; i < n && o + 3 < sizeof(enc); i++) {
		unsigned char c = (unsigned char)name[i];

		if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '-' || c == '_' || c == '.') && !(dots && c == '.')) {
			enc[o++] = (char)c;
		} else {
			enc[o++] = '%';
			enc[o++] = hex[c >> 4];
			enc[o++] = hex[c & 15];
		}
	}
	if (i == n && o <= PATH_PART_MAX) {
		memcpy(out, enc, o);
		out[o] = '\0';
		return;
	}
	{
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		size_t keep = PATH_PART_MAX - 1 - 64, j;

		/* the prefix is for people reading the folder; never cut an %xx */
		for (j = 0; j < keep && j < o; j++)
			if (enc[j] == '%' && j + 3 > keep)
				break;
		memcpy(out, enc, j);
		out[j++] = '+';
		if (EVP_Digest(name, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
			mdlen = 0; /* cannot happen with a working libcrypto */
		for (i = 0; i < mdlen; i++) {
			out[j++] = hex[md[i] >> 4];
			out[j++] = hex[md[i] & 15];
		}
		out[j] = '\0';
	}
}

int
inn_exec_state_base(inn_run *r, const inn_run_opts *o)
{
	const char *root = inn_engine_state_root(r->eng);
	char app[PATH_PART_LEN], res[PATH_PART_LEN], env[PATH_PART_LEN], buf[4096];

	if (root == NULL)
		return 0;
	inn_exec_path_part(app, o == NULL ? NULL : o->app != NULL ? o->app : o->state_owner, "_");
	inn_exec_path_part(res, o ? o->resource : NULL, "_");
	{
		/* the effective environment: the one given, else this run's resolved
		 * "environment" parameter (its default included), so the same
		 * recorded parameters always mean the same directory */
		const char *e = o ? o->environment : NULL;
		json_object *pe;

		if (e == NULL && json_object_object_get_ex(r->params, "environment", &pe) &&
		    json_object_is_type(pe, json_type_string))
			e = json_object_get_string(pe);
		inn_exec_path_part(env, e, "default");
	}
	snprintf(buf, sizeof(buf), "%s/%s/%s/%s", root, app, res, env);
	return (r->state_base = strdup(buf)) == NULL ? INN_ENOMEM : 0;
}

int
inn_exec_workspace(inn_run *r)
{
	const char *tmp = getenv("TMPDIR");
	const char *root = inn_engine_state_root(r->eng);
	char tmpl[4096];

	/* with an (absolute) state root, workspaces live in its ".runs" (which
	 * the server sweeps at start: inn_run_sweep_workspaces), never lost in
	 * /tmp; a relative root would not name one place for every step */
	if (root != NULL && root[0] == '/') {
		char *p;

		snprintf(tmpl, sizeof(tmpl), "%s/" INN_RUNS_DIR, root);
		for (p = tmpl + 1; ; p++) /* mkdir -p: the state root may not exist yet */
			if (*p == '/' || *p == '\0') {
				char c = *p;

				*p = '\0';
				if (mkdir(tmpl, 0700) != 0 && errno != EEXIST)
					return inn_error_set(INN_ERROR, "cannot create %s: %s", tmpl,
					                     strerror(errno));
				*p = c;
				if (c == '\0')
					break;
			}
		snprintf(tmpl, sizeof(tmpl), "%s/" INN_RUNS_DIR "/innominatus-run-XXXXXX", root);
	} else {
		snprintf(tmpl, sizeof(tmpl), "%s/innominatus-run-XXXXXX",
		         tmp && *tmp ? tmp : "/tmp");
	}
	if (mkdtemp(tmpl) == NULL)
		return inn_error_set(INN_ERROR, "cannot create run workspace %s: %s", tmpl,
		                     strerror(errno));
	if ((r->workspace = strdup(tmpl)) == NULL)
		return INN_ENOMEM;
	return 0;
}

int
inn_run_sweep_workspaces(const inn_engine *eng)
{
	const char *root = inn_engine_state_root(eng);
	char dir[4096], path[4096 + 256];
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (root == NULL)
		return 0;
	snprintf(dir, sizeof(dir), "%s/" INN_RUNS_DIR, root);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "innominatus-run-", 16) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		inn_rmrf(path);
		n++;
	}
	closedir(d);
	return n;
}

/* Removes the empty directories under path (and path itself when it ends
 * up empty), deepest first; symbolic links are not followed, files stay.
 * Returns how many were removed. */
static int
prune_empty(const char *path, int depth)
{
	char sub[4096 + 256];
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int n = 0;

	if (depth > 16 || (d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= sizeof(sub))
			continue;
		if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
			n += prune_empty(sub, depth + 1);
	}
	closedir(d);
	if (rmdir(path) == 0)
		n++;
	return n;
}

int
inn_engine_state_prune(const inn_engine *eng, const char *app)
{
	const char *root = inn_engine_state_root(eng);
	char part[PATH_PART_LEN], dir[4096];

	if (root == NULL || app == NULL || *app == '\0')
		return 0;
	inn_exec_path_part(part, app, "_");
	if (strcmp(part, "_") == 0 || part[0] == '.')
		return 0;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", root, part) >= sizeof(dir))
		return 0;
	return prune_empty(dir, 0);
}
