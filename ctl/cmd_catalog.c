/*
 * cmd_catalog.c - the catalog commands of innominatus-ctl in local mode:
 * validate-provider, list-providers, list-goldenpaths.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "error.h"

static void
print_json(json_object *j)
{
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
	                                              JSON_C_TO_STRING_NOSLASHESCAPE));
}

static json_object *
diag_json(const inn_diag *d, inn_diag_level level)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < d->n; i++) {
		char buf[2048];

		if (d->items[i].level != level)
			continue;
		inn_diag_format(d, i, buf, sizeof(buf));
		json_object_array_add(a, json_object_new_string(buf));
	}
	return a;
}

int
ctl_cmd_validate_provider(const ctl_opts *o, int argc, char **argv)
{
	ctl_env env;
	inn_provider *p = NULL;
	inn_load_ctx ctx;
	int rc;
	size_t i;

	if (argc != 1) {
		fprintf(stderr, "usage: innominatus-ctl validate-provider DIR\n");
		return CTL_EXIT_USAGE;
	}
	if ((rc = ctl_env_load(&env, o, 0)) != CTL_EXIT_OK) {
		ctl_env_free(&env);
		return rc;
	}
	ctx.policy = env.policy;
	ctx.registry = env.registry;
	inn_provider_load_dir(&p, argv[0], &ctx, &env.diag);
	if (o->json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "valid", json_object_new_boolean(
		    p != NULL && env.diag.nerrors == 0));
		json_object_object_add(j, "provider", p ? inn_provider_json(p, 2) : NULL);
		json_object_object_add(j, "errors", diag_json(&env.diag, INN_DIAG_ERROR));
		json_object_object_add(j, "warnings", diag_json(&env.diag, INN_DIAG_WARNING));
		print_json(j);
		json_object_put(j);
	} else {
		ctl_print_diag(stderr, &env.diag);
		if (p != NULL && env.diag.nerrors == 0) {
			printf("provider %s %s: valid, %zu workflow(s)", p->name,
			       p->version ? p->version : "", p->nworkflows);
			if (p->ncaps > 0) {
				printf(", resource types:");
				for (i = 0; i < p->ncaps; i++)
					printf(" %s", p->caps[i].type);
			}
			printf("\n");
			for (i = 0; i < p->nworkflows; i++)
				printf("  %-32s %zu step(s)%s%s\n", p->workflows[i]->name,
				       p->workflows[i]->nsteps, p->workflows[i]->operation ?
				       "  operation: " : "", p->workflows[i]->operation ?
				       p->workflows[i]->operation : "");
		} else {
			fprintf(stderr, "%s: %zu error(s), %zu warning(s)\n", argv[0],
			        env.diag.nerrors, env.diag.n - env.diag.nerrors);
		}
	}
	rc = p != NULL && env.diag.nerrors == 0 ? CTL_EXIT_OK : CTL_EXIT_CONFIG;
	inn_provider_free(p);
	ctl_env_free(&env);
	return rc;
}

int
ctl_cmd_list_providers(const ctl_opts *o, int argc, char **argv)
{
	ctl_env env;
	size_t i, j;
	int rc;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "usage: innominatus-ctl list-providers [--providers DIR]\n");
		return CTL_EXIT_USAGE;
	}
	if ((rc = ctl_env_load(&env, o, 1)) != CTL_EXIT_OK) {
		ctl_env_free(&env);
		return rc;
	}
	if (o->json) {
		json_object *a = json_object_new_array();

		for (i = 0; i < env.catalog->nproviders; i++)
			json_object_array_add(a, inn_provider_json(env.catalog->providers[i], 2));
		print_json(a);
		json_object_put(a);
	} else {
		printf("%-20s %-9s %-9s %s\n", "PROVIDER", "VERSION", "WORKFLOWS",
		       "RESOURCE TYPES");
		for (i = 0; i < env.catalog->nproviders; i++) {
			const inn_provider *p = env.catalog->providers[i];

			printf("%-20s %-9s %-9zu ", p->name, p->version ? p->version : "-",
			       p->nworkflows);
			for (j = 0; j < p->ncaps; j++)
				printf("%s%s", j ? "," : "", p->caps[j].type);
			printf("%s\n", p->ncaps ? "" : "-");
		}
	}
	ctl_env_free(&env);
	return CTL_EXIT_OK;
}

int
ctl_cmd_list_goldenpaths(const ctl_opts *o, int argc, char **argv)
{
	ctl_env env;
	size_t i;
	int rc;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "usage: innominatus-ctl list-goldenpaths [--goldenpaths FILE]\n");
		return CTL_EXIT_USAGE;
	}
	if ((rc = ctl_env_load(&env, o, 1)) != CTL_EXIT_OK) {
		ctl_env_free(&env);
		return rc;
	}
	if (o->json) {
		json_object *a = json_object_new_array();

		for (i = 0; i < env.catalog->ngoldenpaths; i++)
			json_object_array_add(a, inn_goldenpath_json(&env.catalog->goldenpaths[i]));
		print_json(a);
		json_object_put(a);
	} else {
		printf("%-24s %-14s %s\n", "GOLDEN PATH", "CATEGORY", "DESCRIPTION");
		for (i = 0; i < env.catalog->ngoldenpaths; i++) {
			const inn_goldenpath *g = &env.catalog->goldenpaths[i];

			printf("%-24s %-14s %s\n", g->name, g->category ? g->category : "-",
			       g->description ? g->description : "");
		}
	}
	ctl_env_free(&env);
	return CTL_EXIT_OK;
}
