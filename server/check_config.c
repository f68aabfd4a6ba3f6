/*
 * check_config.c - innominatus --check-config (settings.h): what a start
 * would meet, found without opening the store, cloning a repository or
 * listening.  Every problem is a line "where: field: message" (the YAML
 * loaders' file:line:col kept); the caller prints them and the count.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "host.h"
#include "policy.h"
#include "registry.h"
#include "secret_file.h"
#include "settings.h"

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The folder a file would be created in exists (or, for the state home
 * the server creates, its parent does). */
static int
parent_exists(const char *path, int levels)
{
	char buf[4096], *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	while (levels-- > 0) {
		if ((slash = strrchr(buf, '/')) == NULL)
			return 1;
		*slash = '\0';
		if (buf[0] == '\0' || is_dir(buf))
			return 1;
	}
	return 0;
}

/* Each error of d as a problem. */
static void
diag_problems(const inn_diag *d, inn_problems *p, int as_warning)
{
	char buf[2048], *e;
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (d->items[i].level != INN_DIAG_ERROR)
			continue;
		inn_diag_format(d, i, buf, sizeof(buf));
		if (as_warning && (e = strstr(buf, ": error: ")) != NULL)
			inn_problem_add(p, "%.*s: warning: %s", (int)(e - buf), buf,
			                e + strlen(": error: "));
		else if (as_warning)
			inn_problem_add(p, "warning: %s", buf);
		else
			inn_problem_add(p, "%s", buf);
	}
}

/* The provider folders a start reads (the config's git entries aside:
 * *ngit counts them) into dirs; missing ones are problems. */
static int
provider_dirs(const inn_server_config *c, const inn_policy *pol, char **dirs, int max,
              int *ngit, inn_problems *p)
{
	inn_provider_entry *v = NULL;
	size_t n = 0, i;
	inn_diag d;
	int k = 0;

	*ngit = 0;
	if (c->nproviders > 0) {
		for (i = 0; i < (size_t)c->nproviders && k < max; i++) {
			if (!is_dir(c->providers[i]))
				inn_problem_add(p, "%s: provider folder %s: %s",
				                inn_settings_where("providers"), c->providers[i],
				                access(c->providers[i], F_OK) == 0 ? "not a folder" :
				                strerror(ENOENT));
			else if ((dirs[k] = strdup(c->providers[i])) != NULL)
				k++;
		}
		return k;
	}
	if (pol == NULL)
		return 0;
	inn_diag_init(&d);
	if (inn_policy_providers(pol, &v, &n, &d) != 0)
		inn_problem_add(p, "%s: providers: %s", pol->file ? pol->file : "config",
		                inn_error_last());
	diag_problems(&d, p, 0);
	inn_diag_free(&d);
	for (i = 0; i < n && k < max; i++) {
		if (v[i].url != NULL) {
			(*ngit)++;
		} else if (!is_dir(v[i].dir)) {
			inn_problem_add(p, "%s:%d: providers[%zu]: folder %s: %s", v[i].file, v[i].line,
			                v[i].index, v[i].dir, strerror(ENOENT));
		} else if ((dirs[k] = strdup(v[i].dir)) != NULL) {
			k++;
		}
	}
	inn_provider_entries_free(v, n);
	if (k == 0 && *ngit == 0 && !inn_policy_names_providers(pol) && is_dir("providers") &&
	    (dirs[0] = realpath("providers", NULL)) != NULL)
		k = 1;
	return k;
}

int
inn_check_provider_folders(const inn_server_config *c, const inn_policy *pol,
                           inn_problems *p)
{
	char *dirs[INN_MAX_PROVIDER_DIRS];
	size_t before = p->n;
	int n, k, ngit;

	n = provider_dirs(c, pol, dirs, INN_MAX_PROVIDER_DIRS, &ngit, p);
	for (k = 0; k < n; k++)
		free(dirs[k]);
	return (int)(p->n - before);
}

/* A file holding a secret: private, when it exists (missing: must_exist). */
static void
secret_file(const char *key, const char *path, int must_exist, inn_problems *p)
{
	struct stat st;

	if (path == NULL)
		return;
	if (stat(path, &st) != 0) {
		if (must_exist || errno != ENOENT)
			inn_problem_add(p, "%s: %s: %s", inn_settings_where(key), path, strerror(errno));
		else if (!parent_exists(path, 1))
			inn_problem_add(p, "%s: %s: its folder does not exist", inn_settings_where(key),
			                path);
		return;
	}
	if (inn_secret_file_check(&st, path) != 0)
		inn_problem_add(p, "%s: %s: %s", inn_settings_where(key), path, inn_error_last());
}

/* The folder of path (a copy in buf). */
static const char *
folder_of(const char *path, char *buf, size_t len)
{
	char *slash;

	snprintf(buf, len, "%s", path);
	if ((slash = strrchr(buf, '/')) == NULL)
		return ".";
	if (slash == buf)
		slash[1] = '\0';
	else
		*slash = '\0';
	return buf;
}

int
inn_check_start(const inn_server_config *c, inn_problems *p)
{
	const char *db = c->db_path;
	char dir[4096];
	size_t before = p->n;
	struct addrinfo hints, *ai = NULL;
	struct stat st;
	int rc;

	if (strncmp(db, "sqlite:", 7) == 0)
		db += 7;
	if (!inn_settings_is_db_url(db) && strcmp(db, ":memory:") != 0) {
		if (stat(db, &st) == 0 && S_ISDIR(st.st_mode))
			inn_problem_add(p, "%s: %s: is a directory, not a store file",
			                inn_settings_where("server.db"), db);
		else if (stat(db, &st) == 0 && access(db, R_OK | W_OK) != 0)
			inn_problem_add(p, "%s: %s: not readable and writable by this user",
			                inn_settings_where("server.db"), db);
		else if (stat(db, &st) != 0 && is_dir(folder_of(db, dir, sizeof(dir))) &&
		         access(dir, W_OK | X_OK) != 0)
			inn_problem_add(p, "%s: %s: this user cannot create the store in %s",
			                inn_settings_where("server.db"), db, dir);
	}
	if (c->secret_key_file != NULL && stat(c->secret_key_file, &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size != 32)
		inn_problem_add(p, "%s: %s: a key file holds exactly 32 bytes, this one %lld",
		                inn_settings_where("server.secretKeyFile"), c->secret_key_file,
		                (long long)st.st_size);
	if (stat(c->state_dir, &st) == 0 && !S_ISDIR(st.st_mode))
		inn_problem_add(p, "%s: %s: not a folder", inn_settings_where("server.stateDir"),
		                c->state_dir);
	if (!is_dir(c->plugin_dir))
		inn_problem_add(p, "%s: %s: %s", inn_settings_where("server.pluginDir"),
		                c->plugin_dir, access(c->plugin_dir, F_OK) == 0 ? "not a folder" :
		                strerror(ENOENT));
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(c->listen_host, NULL, &hints, &ai)) != 0)
		inn_problem_add(p, "%s: %s: cannot be resolved: %s", inn_settings_where("server.listen"),
		                c->listen_host, gai_strerror(rc));
	else
		freeaddrinfo(ai);
	return (int)(p->n - before);
}

/* ---- keys nobody reads ---------------------------------------------------- */

/* Levenshtein distance of a and b, short names only (else a big number). */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

static int
in_list(const char *const *l, const char *k)
{
	for (; *l != NULL; l++)
		if (strcmp(*l, k) == 0)
			return 1;
	return 0;
}

/* Each key of map that is neither read (known) nor one the original's
 * admin configs carry and this server leaves alone (ignored): a warning at
 * its line, with the closest known key when it is a likely typo. */
static void
unknown_keys(const char *file, const inn_ynode *map, const char *section,
             const char *const *known, const char *const *ignored, inn_problems *warn)
{
	size_t i;

	if (map == NULL || map->kind != INN_Y_MAP)
		return;
	for (i = 0; i + 1 < map->n; i += 2) {
		const inn_ynode *k = map->items[i];
		const char *best = NULL;
		size_t d, bestd = 99;
		const char *const *l;

		if (!inn_ynode_is_scalar(k) || in_list(known, k->value) ||
		    in_list(ignored, k->value))
			continue;
		for (l = known; *l != NULL; l++)
			if ((d = distance(k->value, *l)) < bestd) {
				bestd = d;
				best = *l;
			}
		if (best != NULL && bestd <= (strlen(best) > 6 ? 2u : 1u))
			inn_problem_add(warn, "%s:%d: warning: %s%s%s: unknown key, ignored (did you "
			                "mean %s?)", file, k->line, section, *section ? "." : "",
			                k->value, best);
		else
			inn_problem_add(warn, "%s:%d: warning: %s%s%s: unknown key, ignored", file,
			                k->line, section, *section ? "." : "", k->value);
	}
}

int
inn_check_keys(const inn_policy *pol, inn_problems *p, inn_problems *warn)
{
	/* what this server reads */
	static const char *const top[] = { "server", "providers", "workflowPolicies",
		"secrets", "stepDefaults", "stepPolicies", NULL };
	static const char *const wp[] = { "allowedStepTypes", "maxStepsPerWorkflow",
		"maxConcurrentWorkflows", "maxWorkflowDuration", "stepMemoryLimit", NULL };
	/* the original's admin-config keys this server does not use: no noise */
	static const char *const top_ignored[] = { "admin", "resourceDefinitions", "policies",
		"gitea", "argocd", "vault", "keycloak", "kubernetes", "database", "auth", "oidc",
		"monitoring", NULL };
	static const char *const wp_ignored[] = { "allowedProductWorkflows",
		"requiredPlatformWorkflows", "security", "workflowOverrides", "workflowsRoot",
		NULL };
	size_t before = warn->n;
	const inn_ynode *root;

	if (pol == NULL || pol->file == NULL || pol->doc == NULL || pol->doc->root == NULL)
		return 0;
	root = pol->doc->root;
	if (root->kind == INN_Y_MAP) {
		size_t i, named = 0;

		for (i = 0; i + 1 < root->n; i += 2)
			if (inn_ynode_is_scalar(root->items[i]) &&
			    (in_list(top, root->items[i]->value) ||
			     in_list(top_ignored, root->items[i]->value)))
				named++;
		/* /proc/self/status is a mapping too: a config names a section */
		if (named == 0)
			inn_problem_add(p, "%s:%d: no config: none of server:, providers:, "
			                "workflowPolicies:, secrets:, stepDefaults: is in it",
			                pol->file, root->line);
	}
	unknown_keys(pol->file, root, "", top, top_ignored, warn);
	unknown_keys(pol->file, inn_ymap_get(root, "workflowPolicies"), "workflowPolicies", wp,
	             wp_ignored, warn);
	return (int)(warn->n - before);
}

/* The store's address, its files and the folders the start writes. */
static void
check_files(const inn_server_config *c, inn_problems *p, inn_problems *warn)
{
	const char *db = c->db_path;
	int url = inn_settings_is_db_url(db);

	if (strncmp(db, "sqlite:", 7) == 0)
		db += 7;
	if (url && c->secret_key_file == NULL)
		inn_problem_add(p, "%s: a store on a database server needs server.secretKeyFile: "
		                "every replica must seal secret inputs with the same key",
		                inn_settings_where("server.db"));
	/* a start creates the store's folder when the one above it exists */
	if (!url && strcmp(db, ":memory:") != 0 && access(db, F_OK) != 0 &&
	    !inn_settings_in_home(db) && !parent_exists(db, 2))
		inn_problem_add(p, "%s: %s: neither its folder nor the one above it exists (a "
		                "start creates the store and its folder, not more)",
		                inn_settings_where("server.db"), db);
	secret_file("server.secretKeyFile", c->secret_key_file, 0, p);
	secret_file("server.dbPasswordFile", c->db_password_file, 1, p);
	if (!is_dir(c->state_dir) && !inn_settings_in_home(c->state_dir) &&
	    !parent_exists(c->state_dir, 1))
		inn_problem_add(p, "%s: %s: neither it nor its parent folder exists",
		                inn_settings_where("server.stateDir"), c->state_dir);
	/* a start goes on without golden paths it cannot read: a warning */
	if (c->goldenpaths != NULL && access(c->goldenpaths, R_OK) != 0)
		inn_problem_add(warn, "%s: warning: %s: %s (the start goes on without golden paths)",
		                inn_settings_where("server.goldenpaths"), c->goldenpaths,
		                strerror(errno));
	else if (c->goldenpaths != NULL && !inn_settings_regular_file(c->goldenpaths))
		inn_problem_add(warn, "%s: warning: %s: not a regular file (the start goes on "
		                "without golden paths)", inn_settings_where("server.goldenpaths"),
		                c->goldenpaths);
}

/* The admin config's secrets, read (never printed) and forgotten. */
static void
check_secrets(const inn_policy *pol, inn_problems *p)
{
	json_object *vals = NULL, *bad = NULL;

	if (pol == NULL || pol->nsecrets == 0)
		return;
	if (inn_policy_secrets_read(pol, 0, &vals, &bad) != 0) {
		inn_problem_add(p, "%s: secrets: %s", pol->file, inn_error_last());
		return;
	}
	if (bad != NULL) {
		json_object_object_foreach(bad, k, v) {
			(void)k;
			inn_problem_add(p, "%s", json_object_get_string(v));
		}
	}
	json_object_put(bad);
	json_object_put(vals);
}

int
inn_check_config(const inn_server_config *c, const inn_policy *pol, inn_problems *p,
                 inn_problems *warn, char *summary, size_t len)
{
	inn_registry *reg = NULL;
	inn_catalog *cat = NULL;
	char *dirs[INN_MAX_PROVIDER_DIRS];
	const char *gp = c->goldenpaths;
	size_t before = p->n, i;
	inn_load_ctx ctx;
	inn_diag d;
	int n, k, ngit;

	inn_check_keys(pol, p, warn);
	check_files(c, p, warn);
	check_secrets(pol, p);
	if (inn_check_start(c, p) > 0 && !is_dir(c->plugin_dir)) {
		reg = NULL;     /* said */
	} else if (inn_registry_load(&reg, c->plugin_dir, pol, inn_host_table()) != 0) {
		inn_problem_add(p, "%s: %s", inn_settings_where("server.pluginDir"), inn_error_last());
		reg = NULL;
	} else {
		/* a start skips them */
		for (i = 0; i < reg->nrefused; i++)
			inn_problem_add(warn, "%s: warning: plugin %s refused: %s",
			                inn_settings_where("server.pluginDir"), reg->refused[i].file,
			                reg->refused[i].reason);
	}
	n = provider_dirs(c, pol, dirs, INN_MAX_PROVIDER_DIRS, &ngit, p);
	if (gp == NULL && access("workflows/goldenpaths.yaml", R_OK) == 0)
		gp = "workflows/goldenpaths.yaml";
	inn_diag_init(&d);
	if (reg != NULL) {
		ctx.policy = pol;
		ctx.registry = reg;
		if (gp != NULL && !inn_settings_regular_file(gp))
			gp = NULL;      /* a FIFO would hang the check; warned */
		inn_catalog_load(&cat, (const char *const *)dirs, (size_t)n, gp, &ctx, &d);
		/* a start serves without what they are about: warnings */
		diag_problems(&d, warn, 1);
	}
	snprintf(summary, len, "%s; listen %s:%d; dashboard %s; %zu plugin(s); %zu provider(s), "
	         "%zu golden path(s)%s; providers added over the API and the store are not "
	         "checked", pol != NULL && pol->file != NULL ? pol->file : "no config file",
	         c->listen_host, c->listen_port, c->ui ? "at /" : "off (server.ui: false)",
	         reg != NULL ? reg->nplugins : 0,
	         cat != NULL ? cat->nproviders : 0, cat != NULL ? cat->ngoldenpaths : 0,
	         ngit > 0 ? "; git providers are not fetched" : "");
	inn_diag_free(&d);
	inn_catalog_free(cat);
	for (k = 0; k < n; k++)
		free(dirs[k]);
	inn_registry_free(reg);
	return (int)(p->n - before);
}
