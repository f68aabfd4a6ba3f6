/*
 * policy_providers.c - the admin config's providers[] entries (policy.h):
 * folders and git repositories, read as the original read them (type
 * filesystem or git, repository, path, ref, enabled) and as the guide
 * writes them (git_url without a type).  Only names of where credentials
 * live are read (auth:); a secret written into the config is refused
 * without being echoed.
 */
#include "policy.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "model.h"

int
inn_policy_check_url(const char *url)
{
	static const char *const schemes[] = { "https://", "http://", "git://", "file://",
	                                       "ssh://", NULL };
	const char *auth, *end, *at, *colon;
	size_t i;
	int ssh;

	for (i = 0; url[i] != '\0'; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f)
			return inn_error_set(INN_EINVAL, "git_url must not hold spaces or control "
			                     "characters");
	for (i = 0; schemes[i] != NULL; i++)
		if (strncmp(url, schemes[i], strlen(schemes[i])) == 0)
			break;
	if (schemes[i] != NULL) {
		ssh = strcmp(schemes[i], "ssh://") == 0;
		auth = url + strlen(schemes[i]);
		end = auth + strcspn(auth, "/?#");
		if (strpbrk(url, "?#") != NULL)
			return inn_error_set(INN_EINVAL, "git_url must not hold a query string or "
			                     "fragment (?... or #...): a git URL needs none, and a token "
			                     "there would be stored and shown; give the token in "
			                     "auth.token_env or auth.token_file, or INNOMINATUS_GIT_TOKEN");
	} else {
		/* scp-like [user@]host:path: a ':' before any '/' */
		colon = strchr(url, ':');
		if (colon == NULL || colon == url || memchr(url, '/', (size_t)(colon - url)) != NULL ||
		    strncmp(colon, "://", 3) == 0 || url[0] == '-' || colon[1] == '\0')
			return inn_error_set(INN_EINVAL, "git_url must start with https://, http://, "
			                     "git://, ssh:// or file://, or be an scp-like "
			                     "[user@]host:path");
		ssh = 1;
		auth = url;
		end = colon;
	}
	at = memchr(auth, '@', (size_t)(end - auth));
	if (at == NULL)
		return 0;
	if (ssh && at > auth && memchr(auth, ':', (size_t)(at - auth)) == NULL &&
	    memchr(at + 1, '@', (size_t)(end - at - 1)) == NULL && at + 1 < end)
		return 0;     /* an ssh user name (git@host): not a secret */
	if (ssh)
		return inn_error_set(INN_EINVAL, "git_url must not hold a password (user:password@"
		                     "host): give only the user (ssh://git@host/path) and the key in "
		                     "auth.ssh_key_file or INNOMINATUS_GIT_SSH_KEY");
	return inn_error_set(INN_EINVAL, "git_url must not hold a user name, password or token "
	                     "(user:token@host): innominatus never stores or logs credentials; "
	                     "give the URL without them and the token in auth.token_env or "
	                     "auth.token_file of the providers[] entry, or INNOMINATUS_GIT_TOKEN "
	                     "on the server");
}

/* Non-zero if every character of s is one of set. */
static int
only_chars(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

int
inn_policy_source_name_ok(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 127 ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return 0;
	return only_chars(s + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
}

int
inn_policy_check_ref(const char *s)
{
	if (*s == '\0' || *s == '-' || strlen(s) > 200 || strstr(s, "..") != NULL ||
	    !only_chars(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-"))
		return inn_error_set(INN_EINVAL, "ref \"%s\" is not a branch, tag or commit name",
		                     s);
	return 0;
}

/* ---- one entry ------------------------------------------------------------------- */

struct reader {
	const inn_policy *pol;
	inn_diag *d;
	size_t index;
	const char *label;     /* the entry's name, or "" */
};

static int
entry_error(struct reader *r, const inn_ynode *at, const char *fmt, ...) INN_PRINTF_LIKE(3, 4);

static int
entry_error(struct reader *r, const inn_ynode *at, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	inn_diag_add(r->d, INN_DIAG_ERROR, r->pol->file, at->line, at->col,
	             "providers[%zu]%s%s%s: %s", r->index, *r->label ? " (" : "", r->label,
	             *r->label ? ")" : "", msg);
	return INN_EINVAL;
}

/* The string under key of map e into *out (NULL when absent). */
static int
get_str(struct reader *r, const inn_ynode *e, const char *key, const char *prefix, char **out)
{
	const inn_ynode *n = inn_ymap_get(e, key);

	*out = NULL;
	if (n == NULL || (n->kind == INN_Y_SCALAR && n->plain &&
	                  (n->len == 0 || strcmp(n->value, "null") == 0 ||
	                   strcmp(n->value, "~") == 0)))
		return 0;
	if (!inn_ynode_is_scalar(n) || n->len == 0 || memchr(n->value, '\0', n->len) != NULL)
		return entry_error(r, n, "%s%s: must be a non-empty string", prefix, key);
	if ((*out = strdup(n->value)) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	return 0;
}

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A folder entry's path: absolute as it is; relative against the config
 * file's folder, else against the working directory (the original's
 * rule) when only that one exists; neither: both named. */
static int
resolve_folder(struct reader *r, const inn_ynode *at, const char *path, char **out)
{
	char base[PATH_MAX * 2], cwd[PATH_MAX], ours[PATH_MAX * 3], theirs[PATH_MAX * 2];
	char ra[PATH_MAX], rb[PATH_MAX];
	const char *slash = strrchr(r->pol->file, '/'), *rel = path;
	int a, b, flen;

	if (path[0] == '/') {
		if (!is_dir(path))
			return entry_error(r, at, "path %s: no such folder", path);
		return (*out = strdup(path)) == NULL ? inn_error_set(INN_ENOMEM, "out of memory") : 0;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), ".");
	flen = slash == NULL ? 0 : slash - r->pol->file > PATH_MAX ? PATH_MAX :
	       (int)(slash - r->pol->file);
	if (slash == NULL)
		snprintf(base, sizeof(base), "%s", cwd);
	else if (r->pol->file[0] == '/')
		snprintf(base, sizeof(base), "%.*s", flen ? flen : 1, r->pol->file);
	else
		snprintf(base, sizeof(base), "%s/%.*s", cwd, flen, r->pol->file);
	while (rel[0] == '.' && rel[1] == '/')
		for (rel += 2; *rel == '/'; rel++)
			;
	snprintf(ours, sizeof(ours), "%s/%s", base, rel);
	snprintf(theirs, sizeof(theirs), "%s/%s", cwd, rel);
	a = is_dir(ours) && realpath(ours, ra) != NULL;
	b = is_dir(theirs) && realpath(theirs, rb) != NULL;
	if (!a && !b)
		return entry_error(r, at, "path %s: no such folder: not at %s (relative to the "
		                   "config file's folder, this project's rule) nor at %s (relative "
		                   "to the working directory, the original's rule)", path, ours,
		                   theirs);
	if (!a) {
		inn_diag_add(r->d, INN_DIAG_WARNING, r->pol->file, at->line, at->col,
		             "providers[%zu]: path %s is read from %s, relative to the working "
		             "directory as the original resolved it; this project resolves paths "
		             "against the config file's folder (%s): write it relative to that "
		             "folder or absolute", r->index, path, rb, base);
		return (*out = strdup(rb)) == NULL ? inn_error_set(INN_ENOMEM, "out of memory") : 0;
	}
	if (b && strcmp(ra, rb) != 0)
		inn_diag_add(r->d, INN_DIAG_WARNING, r->pol->file, at->line, at->col,
		             "providers[%zu]: path %s is read from %s (relative to the config "
		             "file's folder); the original would have read %s (relative to the "
		             "working directory)", r->index, path, ra, rb);
	return (*out = strdup(ra)) == NULL ? inn_error_set(INN_ENOMEM, "out of memory") : 0;
}

/* auth: of a git entry: where the secrets are, never the secrets. */
static int
read_auth(struct reader *r, const inn_ynode *a, inn_provider_entry *e)
{
	static const char *const secrets[] = { "token", "password", "passphrase",
	                                        "ssh_passphrase", "ssh_key", NULL };
	static const char *const known[] = { "username", "token_env", "token_file",
	                                      "ssh_key_file", "ssh_passphrase_env",
	                                      "ssh_passphrase_file", "known_hosts_file", NULL };
	char **fields[] = { &e->username, &e->token_env, &e->token_file, &e->ssh_key_file,
	                    &e->ssh_passphrase_env, &e->ssh_passphrase_file,
	                    &e->known_hosts_file };
	size_t i, j;
	int rc;

	if (a->kind != INN_Y_MAP)
		return entry_error(r, a, "auth: must be a mapping (token_env, token_file, username, "
		                   "ssh_key_file, ssh_passphrase_env, ssh_passphrase_file, "
		                   "known_hosts_file)");
	for (i = 0; secrets[i] != NULL; i++)
		if (inn_ymap_get(a, secrets[i]) != NULL)
			return entry_error(r, inn_ymap_key(a, secrets[i]), "auth.%s: a secret is never "
			                   "written into the config: put it in an environment variable "
			                   "or a file and name that (auth.token_env, auth.token_file, "
			                   "auth.ssh_key_file, auth.ssh_passphrase_env, "
			                   "auth.ssh_passphrase_file)", secrets[i]);
	for (i = 0; i < a->n; i += 2) {
		const inn_ynode *k = a->items[i];

		for (j = 0; known[j] != NULL && strcmp(known[j], k->value) != 0; j++)
			;
		if (known[j] == NULL)
			return entry_error(r, k, "auth.%s: unknown field (token_env, token_file, "
			                   "username, ssh_key_file, ssh_passphrase_env, "
			                   "ssh_passphrase_file, known_hosts_file)", k->value);
	}
	for (j = 0; known[j] != NULL; j++)
		if ((rc = get_str(r, a, known[j], "auth.", fields[j])) < 0)
			return rc;
	if (e->token_env != NULL && e->token_file != NULL)
		return entry_error(r, a, "auth: token_env and token_file: give one");
	if (e->ssh_passphrase_env != NULL && e->ssh_passphrase_file != NULL)
		return entry_error(r, a, "auth: ssh_passphrase_env and ssh_passphrase_file: give one");
	return 0;
}

static void
entry_free(inn_provider_entry *e)
{
	char **all[] = { &e->name, &e->file, &e->dir, &e->url, &e->path, &e->ref, &e->username,
	                 &e->token_env, &e->token_file, &e->ssh_key_file, &e->ssh_passphrase_env,
	                 &e->ssh_passphrase_file, &e->known_hosts_file };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		free(*all[i]);
		*all[i] = NULL;
	}
}

/* One entry into e: 1 when it is to be loaded, 0 when disabled, or a
 * negative status (INN_EINVAL: said in r->d). */
static int
read_entry(struct reader *r, const inn_ynode *n, inn_provider_entry *e)
{
	const inn_ynode *en, *tn, *an;
	char *type = NULL, *url2 = NULL;
	int rc;

	if (n->kind != INN_Y_MAP)
		return entry_error(r, n, "must be a mapping (name, type, path, git_url or "
		                   "repository, ref, enabled)");
	if ((en = inn_ymap_get(n, "enabled")) != NULL && inn_ynode_is_scalar(en) &&
	    strcasecmp(en->value, "false") == 0)
		return 0;
	if ((rc = get_str(r, n, "name", "", &e->name)) < 0)
		return rc;
	r->label = e->name != NULL ? e->name : "";
	if ((e->file = strdup(r->pol->file)) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	e->line = n->line;
	e->col = n->col;
	e->index = r->index;
	if ((rc = get_str(r, n, "type", "", &type)) < 0 ||
	    (rc = get_str(r, n, "git_url", "", &e->url)) < 0 ||
	    (rc = get_str(r, n, "repository", "", &url2)) < 0 ||
	    (rc = get_str(r, n, "path", "", &e->path)) < 0 ||
	    (rc = get_str(r, n, "ref", "", &e->ref)) < 0)
		goto out;
	tn = inn_ymap_get(n, "type");
	if (e->url != NULL && url2 != NULL && strcmp(e->url, url2) != 0) {
		rc = entry_error(r, inn_ymap_get(n, "repository"), "git_url and repository name "
		                 "different repositories: give one");
		goto out;
	}
	if (e->url == NULL) {
		e->url = url2;
		url2 = NULL;
	}
	if (type != NULL && strcmp(type, "git") != 0 && strcmp(type, "filesystem") != 0) {
		rc = entry_error(r, tn, "type \"%s\" is not \"filesystem\" or \"git\"", type);
		goto out;
	}
	if (e->url == NULL && type != NULL && strcmp(type, "git") == 0) {
		rc = entry_error(r, n, "type git needs repository (or git_url)");
		goto out;
	}
	if (e->url != NULL && type != NULL && strcmp(type, "filesystem") == 0) {
		rc = entry_error(r, tn, "type filesystem is a folder: remove the repository "
		                 "(git_url) or write type: git");
		goto out;
	}
	an = inn_ymap_get(n, "auth");
	if (e->url == NULL) {
		if (e->ref != NULL || an != NULL) {
			rc = entry_error(r, inn_ymap_key(n, e->ref != NULL ? "ref" : "auth"),
			                 "%s needs a repository (git_url or repository)",
			                 e->ref != NULL ? "ref" : "auth");
			goto out;
		}
		if (e->path == NULL) {
			rc = entry_error(r, n, "needs path (a folder) or git_url/repository");
			goto out;
		}
		rc = resolve_folder(r, inn_ymap_get(n, "path"), e->path, &e->dir);
		goto out;
	}
	if (e->name == NULL) {
		rc = entry_error(r, n, "a git entry needs a name (letters, digits, ., _, -)");
		goto out;
	}
	if (!inn_policy_source_name_ok(e->name)) {
		rc = entry_error(r, inn_ymap_get(n, "name"), "name \"%s\": letters, digits, ., _ "
		                 "and - only, a letter or digit first, at most 127", e->name);
		goto out;
	}
	if (e->ref != NULL && inn_policy_check_ref(e->ref) < 0) {
		rc = entry_error(r, inn_ymap_get(n, "ref"), "%s", inn_error_last());
		goto out;
	}
	if (inn_policy_check_url(e->url) < 0) {
		rc = entry_error(r, inn_ymap_get(n, inn_ymap_get(n, "git_url") ? "git_url" :
		                 "repository"), "%s", inn_error_last());
		goto out;
	}
	if (an != NULL && (rc = read_auth(r, an, e)) < 0)
		goto out;
	rc = 0;
out:
	free(type);
	free(url2);
	return rc < 0 ? rc : 1;
}

/* 1 when entry v[n] (read from node at) has no name or one no entry
 * before it has: two entries of one name would share a clone. */
static int
unique_name(struct reader *r, const inn_ynode *at, const inn_provider_entry *v, size_t n)
{
	size_t j;

	for (j = 0; v[n].name != NULL && j < n; j++)
		if (v[j].name != NULL && strcmp(v[j].name, v[n].name) == 0)
			return entry_error(r, inn_ymap_get(at, "name"), "name \"%s\" is already the "
			                   "name of providers[%zu] (line %d): each entry needs its own",
			                   v[n].name, v[j].index, v[j].line);
	return 1;
}

int
inn_policy_providers(const inn_policy *pol, inn_provider_entry **out, size_t *n,
                     inn_diag *d)
{
	const inn_ynode *list;
	inn_provider_entry *v;
	struct reader r;
	size_t i;
	int rc;

	*out = NULL;
	*n = 0;
	if (pol == NULL || pol->doc == NULL || pol->file == NULL || pol->doc->root == NULL ||
	    (list = inn_ymap_get(pol->doc->root, "providers")) == NULL)
		return 0;
	r.pol = pol;
	r.d = d;
	r.label = "";
	if (list->kind == INN_Y_SCALAR && list->plain && (list->len == 0 ||
	    strcmp(list->value, "null") == 0 || strcmp(list->value, "~") == 0))
		return 0;
	if (list->kind != INN_Y_SEQ) {
		inn_diag_add(d, INN_DIAG_ERROR, pol->file, list->line, list->col,
		             "providers: must be a list of entries (name, type, path, git_url or "
		             "repository, ref)");
		return 0;
	}
	if (list->n == 0)
		return 0;
	if ((v = calloc(list->n, sizeof(*v))) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	for (i = 0; i < list->n; i++) {
		r.index = i;
		r.label = "";
		rc = read_entry(&r, list->items[i], &v[*n]);
		if (rc == INN_ENOMEM) {
			entry_free(&v[*n]);
			inn_provider_entries_free(v, *n);
			*n = 0;
			return rc;
		}
		if (rc == 1 && (v[*n].dir != NULL || v[*n].url != NULL) &&
		    (rc = unique_name(&r, list->items[i], v, *n)) == 1)
			(*n)++;
		else
			entry_free(&v[*n]);
	}
	*out = v;
	return 0;
}

void
inn_provider_entries_free(inn_provider_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		entry_free(&e[i]);
	free(e);
}

int
inn_policy_names_providers(const inn_policy *p)
{
	return p != NULL && p->doc != NULL && p->doc->root != NULL &&
	       inn_ymap_get(p->doc->root, "providers") != NULL;
}
