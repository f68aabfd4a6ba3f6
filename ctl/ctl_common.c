/*
 * ctl_common.c - what several innominatus-ctl commands share: loading the
 * admin policy, the plugin registry and the provider catalog exactly as the
 * server does, printing diagnostics, and --param values.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "error.h"
#include "host.h"
#include "output.h"
#include "policy.h"
#include "providers_conf.h"
#include "store.h"

/* On a terminal the diagnostics go through ctl_fput_term: they quote
 * file names and values of the files read (ESC in a folder name must not
 * drive the terminal). */
void
ctl_print_diag(FILE *fp, const inn_diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (!isatty(fileno(fp)) || (m = open_memstream(&buf, &len)) == NULL) {
		inn_diag_print(d, fp, "");
		return;
	}
	inn_diag_print(d, m, "");
	if (fclose(m) == 0 && buf != NULL)
		ctl_fput_term(fp, buf, 1);
	free(buf);
}

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int
ctl_is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int
ctl_usage(const char *text)
{
	fprintf(stderr, "usage: innominatus-ctl %s\n", text);
	return CTL_EXIT_USAGE;
}

/* Where the local commands keep clones of the config's git providers:
 * $XDG_CACHE_HOME/innominatus/providers, else
 * ~/.cache/innominatus/providers (the daemon keeps its own under
 * <state-dir>/_providers/_config). */
static int
git_cache(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (xdg != NULL && xdg[0] == '/')
		return (size_t)snprintf(buf, len, "%s/innominatus/providers", xdg) >= len ? -1 : 0;
	if (home != NULL && home[0] == '/')
		return (size_t)snprintf(buf, len, "%s/.cache/innominatus/providers", home) >= len ?
		       -1 : 0;
	return -1;
}

int
ctl_env_load(ctl_env *env, const ctl_opts *o, int want_catalog)
{
	inn_load_ctx ctx;
	char *dirs[CTL_MAX_LIST], cache[4096];
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
	/* the registry's warnings (e.g. an allow-list entry no plugin serves) */
	for (i = 0; i < (int)env->registry->nnotes; i++)
		if (strstr(env->registry->notes[i], "warning: ") != NULL)
			fprintf(stderr, "%s\n", env->registry->notes[i]);
	if (!want_catalog)
		return CTL_EXIT_OK;
	for (i = 0; i < o->nproviders; i++)
		dirs[n++] = strdup(o->providers[i]);
	if (n == 0 && git_cache(cache, sizeof(cache)) < 0)
		snprintf(cache, sizeof(cache), ".innominatus-cache/providers");
	if (n == 0)
		n = inn_conf_provider_dirs(env->policy, cache, 1, dirs, NULL, CTL_MAX_LIST,
		                           &env->diag, NULL);
	if (n == 0 && !inn_policy_names_providers(env->policy) && is_dir("providers"))
		dirs[n++] = strdup("providers");
	if (gp == NULL && ctl_is_file("workflows/goldenpaths.yaml"))
		gp = "workflows/goldenpaths.yaml";
	if (gp == NULL && ctl_is_file("goldenpaths.yaml"))
		gp = "goldenpaths.yaml";
	ctx.policy = env->policy;
	ctx.registry = env->registry;
	rc = inn_catalog_load(&env->catalog, (const char *const *)dirs, (size_t)n, gp, &ctx,
	                      &env->diag);
	for (i = 0; i < n; i++)
		free(dirs[i]);
	ctl_print_diag(stderr, &env->diag);
	if (env->catalog == NULL)
		return CTL_EXIT_CONFIG;
	if (rc != 0 || env->diag.nerrors > 0) {
		env->catalog_errors = env->diag.nerrors;
		fprintf(stderr, "innominatus-ctl: the catalog has %zu error(s): the providers "
		        "and golden paths they name are left out, the others are used (a "
		        "provider with one bad workflow is left out whole, as the server "
		        "leaves it out)\n", env->catalog_errors);
	}
	inn_diag_free(&env->diag);
	inn_diag_init(&env->diag);
	return CTL_EXIT_OK;
}

void
ctl_env_free(ctl_env *env)
{
	inn_catalog_free(env->catalog);
	inn_registry_free(env->registry);
	inn_policy_free(env->policy);
	json_object_put(env->secrets);
	json_object_put(env->secrets_bad);
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

int
ctl_name_arg(const char *cmd, const char *name, int kind)
{
	const unsigned char *u;
	int ok = name[0] != '\0' && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
	const char *rule = "not empty, not . or .., no / or control characters";

	for (u = (const unsigned char *)name; ok && *u != '\0'; u++)
		ok = *u >= 0x20 && *u != 0x7f && *u != '/';
	if (kind == CTL_NAME_KEY) {
		ok = ok && inn_store_name_check("key name", name) == 0;
		rule = "[A-Za-z0-9][A-Za-z0-9_.-]{0,63}";
	} else if (kind == CTL_NAME_PROVIDER) {
		ok = ok && inn_policy_source_name_ok(name);
		rule = "letters, digits, '.', '_', '-', a letter or digit first, at most 127";
	}
	if (ok)
		return CTL_EXIT_OK;
	fprintf(stderr, "innominatus-ctl: %s: \"", cmd);
	ctl_fput_term(stderr, name, 0);
	fprintf(stderr, "\" is no %s name (%s)\n", kind == CTL_NAME_KEY ? "key" :
	        kind == CTL_NAME_PROVIDER ? "provider" : "application", rule);
	return CTL_EXIT_USAGE;
}
