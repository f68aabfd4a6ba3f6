/*
 * api_catalog.c - the API's catalog routes (providers, golden paths,
 * plugins: what can be run); the application routes are in api_apps.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "error.h"

void
inn_api_providers(struct api_call *c)
{
	/* the catalog changes only by a swap: render it once per catalog,
	 * for admins (providers' folders shown) and for other keys */
	static struct evbuffer *cache[2];
	static unsigned cache_gen[2];
	int admin = c->who.admin != 0;
	struct evbuffer **cached = &cache[admin];
	unsigned *cached_gen = &cache_gen[admin];
	struct evbuffer *out;

	if (*cached != NULL && *cached_gen != c->srv->catalog_gen) {
		evbuffer_free(*cached);
		*cached = NULL;
	}
	if (*cached == NULL) {
		json_object *a = json_object_new_array();
		const char *s;
		size_t i;

		for (i = 0; i < c->srv->catalog->nproviders; i++)
			json_object_array_add(a, inn_provider_json(c->srv->catalog->providers[i],
			                                          admin ? INN_PROVIDER_JSON_FOLDER : 0));
		s = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN |
		                                   JSON_C_TO_STRING_NOSLASHESCAPE);
		*cached = evbuffer_new();
		*cached_gen = c->srv->catalog_gen;
		evbuffer_add(*cached, s, strlen(s));
		json_object_put(a);
	}
	out = evbuffer_new();
	evbuffer_add_buffer_reference(out, *cached);
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Content-Type",
	                  "application/json");
	inn_http_access_log(c->req, 200, evbuffer_get_length(out));
	inn_http_send(c->req, 200, "OK", out);
	evbuffer_free(out);
}

void
inn_api_provider(struct api_call *c)
{
	const inn_provider *p = inn_catalog_provider(c->srv->catalog, c->arg);
	json_object *o;

	if (p == NULL) {
		inn_http_error(c->req, 404, "not_found", "no provider named \"%s\"", c->arg);
		return;
	}
	o = inn_provider_json(p, 1 | (c->who.admin ? INN_PROVIDER_JSON_FOLDER : 0));
	inn_api_reply(c, 200, o);
}

void
inn_api_goldenpaths(struct api_call *c)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < c->srv->catalog->ngoldenpaths; i++)
		json_object_array_add(a, inn_goldenpath_json(&c->srv->catalog->goldenpaths[i]));
	inn_api_reply(c, 200, a);
}

/* One parameter declaration, all of it; source: "golden-path" (declared in
 * goldenpaths.yaml) or "workflow" (in the workflow file). */
static json_object *
param_detail_json(const inn_param *pa, const char *source)
{
	json_object *o = inn_param_json(pa, 1);

	json_object_object_add(o, "source", json_object_new_string(source));
	return o;
}

void
inn_api_goldenpath(struct api_call *c)
{
	const inn_goldenpath *g = inn_catalog_goldenpath(c->srv->catalog, c->arg);
	const inn_workflow *w;
	json_object *o, *params;
	size_t i, j;

	if (g == NULL) {
		inn_http_error(c->req, 404, "not_found", "no golden path named \"%s\"", c->arg);
		return;
	}
	w = g->workflow;
	o = inn_goldenpath_json(g);
	/* every parameter a run takes: the golden path's declarations, then
	 * the workflow's that they do not redeclare */
	params = json_object_new_array();
	for (i = 0; i < g->nparams; i++)
		json_object_array_add(params, param_detail_json(&g->params[i], "golden-path"));
	for (i = 0; w != NULL && i < w->nparams; i++) {
		for (j = 0; j < g->nparams; j++)
			if (strcmp(g->params[j].name, w->params[i].name) == 0)
				break;
		if (j == g->nparams)
			json_object_array_add(params, param_detail_json(&w->params[i], "workflow"));
	}
	json_object_object_add(o, "parameters", params);
	/* the original's name of this */
	json_object_object_add(o, "workflow_file", inn_json_str(g->workflow_ref));
	json_object_object_add(o, "workflow_name", w ? inn_json_str(w->name) : NULL);
	json_object_object_add(o, "steps", json_object_new_int(w ? (int)w->nsteps : 0));
	inn_api_reply(c, 200, o);
}

/* The plugins are loaded at start only (a reload rebuilds the catalog, not
 * the registry): what was refused then stays refused until a restart. */
void
inn_api_plugins_refused(struct api_call *c)
{
	const inn_registry *reg = c->srv->registry;
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	char type[80];
	size_t i;

	for (i = 0; i < reg->nrefused; i++) {
		json_object *r = json_object_new_object();
		const char *t = inn_registry_file_type(reg->refused[i].file, type, sizeof(type));

		json_object_object_add(r, "file", json_object_new_string(reg->refused[i].file));
		json_object_object_add(r, "step_type", t != NULL ? json_object_new_string(t) : NULL);
		json_object_object_add(r, "reason", json_object_new_string(reg->refused[i].reason));
		json_object_array_add(a, r);
	}
	json_object_object_add(o, "data", a);
	inn_api_reply(c, 200, o);
}

void
inn_api_plugins(struct api_call *c)
{
	const inn_registry *reg = c->srv->registry;
	json_object *a = json_object_new_array();
	size_t i, j;

	for (i = 0; i < reg->nplugins; i++) {
		const inn_plugin *p = &reg->plugins[i];
		json_object *o = json_object_new_object(), *types = json_object_new_array();
		json_object *flags = json_object_new_array();
		char abi[32];

		for (j = 0; j < p->ntypes; j++)
			json_object_array_add(types, json_object_new_string(p->types[j]));
		if (p->desc.flags & INN_PLUGIN_DRY_RUN)
			json_object_array_add(flags, json_object_new_string("dry-run"));
		if (p->desc.flags & INN_PLUGIN_IDEMPOTENT)
			json_object_array_add(flags, json_object_new_string("idempotent"));
		if (p->desc.flags & INN_PLUGIN_CANCELLABLE)
			json_object_array_add(flags, json_object_new_string("cancellable"));
		if (p->desc.flags & INN_PLUGIN_NOT_THREAD_SAFE)
			json_object_array_add(flags, json_object_new_string("not-thread-safe"));
		snprintf(abi, sizeof(abi), "%u.%u", (unsigned)p->desc.abi_major,
		         (unsigned)p->desc.abi_minor);
		json_object_object_add(o, "type", json_object_new_string(p->type));
		json_object_object_add(o, "name", json_object_new_string(p->desc.name));
		json_object_object_add(o, "version", json_object_new_string(p->desc.version));
		json_object_object_add(o, "abi", json_object_new_string(abi));
		json_object_object_add(o, "step_types", types);
		json_object_object_add(o, "flags", flags);
		json_object_object_add(o, "config_schema", p->desc.config_schema ?
		                       json_tokener_parse(p->desc.config_schema) : NULL);
		json_object_object_add(o, "outputs_schema", p->desc.outputs_schema ?
		                       json_tokener_parse(p->desc.outputs_schema) : NULL);
		/* the admin config's stepDefaults and stepPolicies of the type: settings and
		 * secret names, never a secret's value */
		json_object_object_add(o, "step_defaults",
		                       inn_policy_step_defaults_copy(c->srv->policy, p->type));
		json_object_object_add(o, "step_policies",
		                       inn_policy_step_policies_copy(c->srv->policy, p->type));
		json_object_array_add(a, o);
	}
	inn_api_reply(c, 200, a);
}
