/*
 * cmd_plugins.c - `innominatus-ctl plugins`: loads the plugin directory the
 * way the server does and shows what loaded and why anything was refused.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl.h"
#include "error.h"
#include "host.h"
#include "output.h"
#include "policy.h"
#include "registry.h"

static json_object *
registry_json(const inn_registry *reg, const inn_policy *pol)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	size_t i, j;

	json_object_object_add(root, "plugin_dir", json_object_new_string(reg->dir));
	json_object_object_add(root, "config", pol->file ? json_object_new_string(pol->file)
	                                                 : NULL);
	for (i = 0; i < reg->nplugins; i++) {
		const inn_plugin *p = &reg->plugins[i];
		json_object *o = json_object_new_object(), *types = json_object_new_array();
		json_object *flags = json_object_new_array();
		char fl[128], *tok, *save = NULL;

		for (j = 0; j < p->ntypes; j++)
			json_object_array_add(types, json_object_new_string(p->types[j]));
		inn_plugin_flags_str(p->desc.flags, fl, sizeof(fl));
		for (tok = strtok_r(fl, ",", &save); tok && strcmp(tok, "-") != 0;
		     tok = strtok_r(NULL, ",", &save))
			json_object_array_add(flags, json_object_new_string(tok));
		json_object_object_add(o, "type", json_object_new_string(p->type));
		json_object_object_add(o, "name", json_object_new_string(p->desc.name));
		json_object_object_add(o, "version", json_object_new_string(p->desc.version));
		json_object_object_add(o, "file", json_object_new_string(p->path));
		json_object_object_add(o, "step_types", types);
		json_object_object_add(o, "flags", flags);
		{
			char abi[32];

			snprintf(abi, sizeof(abi), "%u.%u", (unsigned)p->desc.abi_major,
			         (unsigned)p->desc.abi_minor);
			json_object_object_add(o, "abi", json_object_new_string(abi));
		}
		json_object_object_add(o, "config_schema", p->desc.config_schema ?
		                       json_tokener_parse(p->desc.config_schema) : NULL);
		json_object_object_add(o, "step_defaults", inn_policy_step_defaults_copy(pol, p->type));
		json_object_object_add(o, "step_policies", inn_policy_step_policies_copy(pol, p->type));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "loaded", arr);
	arr = json_object_new_array();
	for (i = 0; i < reg->nrefused; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "file", json_object_new_string(reg->refused[i].file));
		json_object_object_add(o, "reason",
		                       json_object_new_string(reg->refused[i].reason));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "refused", arr);
	arr = json_object_new_array();
	for (i = 0; i < reg->nnotes; i++)
		json_object_array_add(arr, json_object_new_string(reg->notes[i]));
	json_object_object_add(root, "notes", arr);
	return root;
}

static void
registry_print(const inn_registry *reg, const inn_policy *pol)
{
	size_t i, j;

	printf("Plugin directory: %s\n", reg->dir);
	printf("Admin config:     %s\n", pol->file ? pol->file : "(none)");
	for (i = 0; i < reg->nnotes; i++)
		printf("note: %s\n", reg->notes[i]);
	printf("\nLoaded (%zu):\n", reg->nplugins);
	if (reg->nplugins > 0)
		printf("  %-16s %-10s %-5s %-28s %s\n", "TYPE", "VERSION", "ABI", "FLAGS",
		       "STEP TYPES");
	for (i = 0; i < reg->nplugins; i++) {
		const inn_plugin *p = &reg->plugins[i];
		char fl[128], abi[16];

		inn_plugin_flags_str(p->desc.flags, fl, sizeof(fl));
		snprintf(abi, sizeof(abi), "%u.%u", (unsigned)p->desc.abi_major,
		         (unsigned)p->desc.abi_minor);
		printf("  %-16s %-10s %-5s %-28s ", p->type, p->desc.version, abi, fl);
		for (j = 0; j < p->ntypes; j++)
			printf("%s%s", j ? "," : "", p->types[j]);
		printf("\n");
	}
	printf("\nRefused (%zu):\n", reg->nrefused);
	for (i = 0; i < reg->nrefused; i++)
		printf("  %s: %s\n", reg->refused[i].file, reg->refused[i].reason);
}

int
ctl_cmd_plugins(const ctl_opts *o, int argc, char **argv)
{
	ctl_env env;
	inn_policy *pol;
	inn_registry *reg;
	int rc;

	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "innominatus-ctl plugins: unexpected argument \"%s\"\n",
		        argv[0]);
		return CTL_EXIT_USAGE;
	}
	if ((rc = ctl_env_load(&env, o, 0)) != CTL_EXIT_OK) {
		ctl_env_free(&env);
		return rc;
	}
	pol = env.policy;
	reg = env.registry;
	if (o->json) {
		json_object *j = registry_json(reg, pol);

		ctl_print_json(j);
		json_object_put(j);
	} else {
		registry_print(reg, pol);
	}
	rc = (o->strict && reg->nrefused > 0) ? CTL_EXIT_FAILED : CTL_EXIT_OK;
	ctl_env_free(&env);
	return rc;
}
