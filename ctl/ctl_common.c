/*
 * ctl_common.c - what several innominatus-ctl commands share: loading the
 * admin policy, the plugin registry and the provider catalog exactly as the
 * server does, printing diagnostics, and --param values.
 */
#include "config.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "error.h"
#include "host.h"

void
ctl_print_diag(FILE *fp, const inn_diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		char buf[2048];

		inn_diag_format(d, i, buf, sizeof(buf));
		fprintf(fp, "%s\n", buf);
	}
}

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Provider folders named by the admin config's providers[] (filesystem
 * entries; paths relative to the config file's folder).  Fills dirs with
 * malloc'd paths; returns how many. */
static int
config_provider_dirs(const inn_policy *pol, char **dirs, int max)
{
	const inn_ynode *list;
	char base[4096];
	int n = 0;
	size_t i;

	if (pol == NULL || pol->doc == NULL || pol->file == NULL)
		return 0;
	list = inn_ymap_get(pol->doc->root, "providers");
	if (list == NULL || list->kind != INN_Y_SEQ)
		return 0;
	snprintf(base, sizeof(base), "%s", pol->file);
	snprintf(base, sizeof(base), "%s", dirname(base));
	for (i = 0; i < list->n && n < max; i++) {
		const inn_ynode *e = list->items[i], *type, *path, *enabled;
		char full[8192];

		type = inn_ymap_get(e, "type");
		path = inn_ymap_get(e, "path");
		enabled = inn_ymap_get(e, "enabled");
		if (enabled != NULL && inn_ynode_is_scalar(enabled) &&
		    strcmp(enabled->value, "false") == 0)
			continue;
		if (type != NULL && inn_ynode_is_scalar(type) &&
		    strcmp(type->value, "filesystem") != 0) {
			fprintf(stderr, "innominatus-ctl: note: %s:%d: provider of type \"%s\" is "
			        "served by the server, not in local mode\n", pol->file, e->line,
			        type->value);
			continue;
		}
		if (!inn_ynode_is_scalar(path))
			continue;
		if (path->value[0] == '/')
			snprintf(full, sizeof(full), "%s", path->value);
		else
			snprintf(full, sizeof(full), "%s/%s", base, path->value);
		if ((dirs[n] = strdup(full)) != NULL)
			n++;
	}
	return n;
}

int
ctl_env_load(ctl_env *env, const ctl_opts *o, int want_catalog)
{
	inn_load_ctx ctx;
	char *dirs[CTL_MAX_LIST];
	const char *gp = o->goldenpaths;
	int n = 0, i, rc;

	memset(env, 0, sizeof(*env));
	inn_diag_init(&env->diag);
	if (inn_policy_load(&env->policy, o->config, !o->config_explicit) != 0) {
		fprintf(stderr, "innominatus-ctl: %s\n", inn_error_last());
		return CTL_EXIT_CONFIG;
	}
	if (inn_registry_load(&env->registry, o->plugin_dir, env->policy,
	                      inn_host_table()) != 0) {
		fprintf(stderr, "innominatus-ctl: %s\n", inn_error_last());
		return CTL_EXIT_CONFIG;
	}
	if (!want_catalog)
		return CTL_EXIT_OK;
	for (i = 0; i < o->nproviders; i++)
		dirs[n++] = strdup(o->providers[i]);
	if (n == 0)
		n = config_provider_dirs(env->policy, dirs, CTL_MAX_LIST);
	if (n == 0 && is_dir("providers"))
		dirs[n++] = strdup("providers");
	if (gp == NULL && is_file("workflows/goldenpaths.yaml"))
		gp = "workflows/goldenpaths.yaml";
	if (gp == NULL && is_file("goldenpaths.yaml"))
		gp = "goldenpaths.yaml";
	ctx.policy = env->policy;
	ctx.registry = env->registry;
	rc = inn_catalog_load(&env->catalog, (const char *const *)dirs, (size_t)n, gp, &ctx,
	                      &env->diag);
	for (i = 0; i < n; i++)
		free(dirs[i]);
	ctl_print_diag(stderr, &env->diag);
	if (rc != 0 || env->diag.nerrors > 0) {
		fprintf(stderr, "innominatus-ctl: the catalog has %zu error(s)\n",
		        env->diag.nerrors);
		return CTL_EXIT_CONFIG;
	}
	return CTL_EXIT_OK;
}

void
ctl_env_free(ctl_env *env)
{
	inn_catalog_free(env->catalog);
	inn_registry_free(env->registry);
	inn_policy_free(env->policy);
	inn_diag_free(&env->diag);
	memset(env, 0, sizeof(*env));
}

json_object *
ctl_params(const ctl_opts *o)
{
	json_object *p = json_object_new_object();
	int i;

	for (i = 0; i < o->nparams; i++) {
		const char *eq = strchr(o->params[i], '=');
		char name[256];

		if (eq == NULL || eq == o->params[i] ||
		    (size_t)(eq - o->params[i]) >= sizeof(name)) {
			fprintf(stderr, "innominatus-ctl: --param takes NAME=VALUE, not \"%s\"\n",
			        o->params[i]);
			json_object_put(p);
			return NULL;
		}
		memcpy(name, o->params[i], (size_t)(eq - o->params[i]));
		name[eq - o->params[i]] = '\0';
		json_object_object_add(p, name, json_object_new_string(eq + 1));
	}
	return p;
}
