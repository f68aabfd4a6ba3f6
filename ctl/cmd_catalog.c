/*
 * cmd_catalog.c - the catalog commands of innominatus-ctl in local mode:
 * validate-provider, list-providers, list-goldenpaths.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "error.h"
#include "output.h"

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

	if (argc != 1)
		return ctl_usage("validate-provider DIR");
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
		ctl_print_json(j);
		json_object_put(j);
	} else {
		ctl_print_diag(stderr, &env.diag);
		if (p != NULL && env.diag.nerrors == 0) {
			/* names and values from the folder: escaped on a terminal */
			printf("provider %s %s: valid, %zu workflow(s)", ctl_term_safe(stdout, p->name),
			       p->version ? ctl_term_safe(stdout, p->version) : "", p->nworkflows);
			if (p->ncaps > 0) {
				printf(", resource types:");
				for (i = 0; i < p->ncaps; i++)
					printf(" %s", ctl_term_safe(stdout, p->caps[i].type));
			}
			printf("\n");
			for (i = 0; i < p->nworkflows; i++)
				printf("  %-32s %zu step(s)%s%s\n",
				       ctl_term_safe(stdout, p->workflows[i]->name),
				       p->workflows[i]->nsteps, p->workflows[i]->operation ?
				       "  operation: " : "", p->workflows[i]->operation ?
				       ctl_term_safe(stdout, p->workflows[i]->operation) : "");
		} else {
			fprintf(stderr, "%s: %zu error(s), %zu warning(s)\n",
			        ctl_term_safe(stderr, argv[0]),
			        env.diag.nerrors, env.diag.n - env.diag.nerrors);
		}
	}
	rc = p != NULL && env.diag.nerrors == 0 ? CTL_EXIT_OK : CTL_EXIT_CONFIG;
	inn_provider_free(p);
	ctl_env_free(&env);
	return rc;
}

/* The catalog as the API's JSON array, one element per item. */
typedef json_object *(*catalog_json_fn)(const inn_catalog *cat);

static json_object *
providers_json(const inn_catalog *cat)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < cat->nproviders; i++)
		json_object_array_add(a, inn_provider_json(cat->providers[i], 2));
	return a;
}

static json_object *
goldenpaths_json(const inn_catalog *cat)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < cat->ngoldenpaths; i++)
		json_object_array_add(a, inn_goldenpath_json(&cat->goldenpaths[i]));
	return a;
}

/* A listing command: loads the catalog and prints to_json's array as JSON
 * or, through table (output.c, shared with remote mode), as a table. */
static int
list_catalog(const ctl_opts *o, int argc, const char *usage, catalog_json_fn to_json,
             void (*table)(json_object *))
{
	ctl_env env;
	json_object *a;
	int rc;

	if (argc != 0)
		return ctl_usage(usage);
	if ((rc = ctl_env_load(&env, o, 1)) == CTL_EXIT_OK) {
		a = to_json(env.catalog);
		if (o->json)
			ctl_print_json(a);
		else
			table(a);
		json_object_put(a);
		/* the valid entries are listed; the exit code still tells a
		 * check that some were left out */
		if (env.catalog_errors > 0)
			rc = CTL_EXIT_CONFIG;
	}
	ctl_env_free(&env);
	return rc;
}

int
ctl_cmd_list_providers(const ctl_opts *o, int argc, char **argv)
{
	(void)argv;
	return list_catalog(o, argc, "list-providers [--providers DIR]", providers_json,
	                    ctl_table_providers);
}

int
ctl_cmd_list_goldenpaths(const ctl_opts *o, int argc, char **argv)
{
	(void)argv;
	return list_catalog(o, argc, "list-goldenpaths [--goldenpaths FILE]", goldenpaths_json,
	                    ctl_table_goldenpaths);
}
