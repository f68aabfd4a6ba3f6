/*
 * kube_config.c - kubernetes.so's step config: the field table, what
 * each operation needs, the load-time checks (a written-out manifest is
 * parsed, a manifest_path must stay inside the provider folder, wait_for
 * must have a known form) and the outputs map.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_util.h"
#include "pu_kube.h"
#include "kube_int.h"

const char *const kube_op_names[] = {
	"apply", "delete", "get", "create-namespace", "wait", "check", NULL
};

static const pu_field config_fields[] = {
	PU_FIELD("operation", PU_STRING, struct kube_config, operation),
	PU_FIELD("manifest", PU_STRING, struct kube_config, manifest),
	PU_FIELD("manifest_path", PU_STRING, struct kube_config, manifest_path),
	PU_FIELD("namespace", PU_STRING, struct kube_config, ns),
	PU_FIELD("resource_type", PU_STRING, struct kube_config, resource_type),
	PU_FIELD("resource_name", PU_STRING, struct kube_config, resource_name),
	PU_FIELD("api_version", PU_STRING, struct kube_config, api_version),
	PU_FIELD("wait_for", PU_STRING, struct kube_config, wait_for),
	PU_FIELD("condition", PU_STRING, struct kube_config, condition),
	PU_FIELD("timeout", PU_TIMEOUT, struct kube_config, timeout_ms),
	PU_FIELD_OTHER("force_conflicts"),
	PU_FIELD_OTHER("outputs"),
	PU_KUBE_STEP_FIELDS,
	{ NULL, PU_OTHER, 0, NULL }
};

void
kube_config_free(struct kube_config *c)
{
	pu_config_free(config_fields, c);
	pu_kube_step_free(&c->conn);
	json_object_put(c->outputs);
	memset(c, 0, sizeof *c);
}

int
kube_output_name_ok(const char *s)
{
	return pu_valid_name(s, ".-", 128);
}

/* A string that is still a template before rendering: not checked yet. */
static int
later(int rendered, const char *s)
{
	return s != NULL && !rendered && pu_is_template(s);
}

static int
read_operation(int rendered, struct kube_config *c, char *err, size_t errlen)
{
	int i;

	c->op = KUBE_APPLY;
	if (c->operation == NULL || later(rendered, c->operation))
		return 0;
	for (i = 0; kube_op_names[i] != NULL; i++)
		if (strcmp(c->operation, kube_op_names[i]) == 0) {
			c->op = (enum kube_op)i;
			return 0;
		}
	return pu_refuse(err, errlen, "config.operation: \"%s\" is not one of apply, "
	                 "delete, get, create-namespace, wait, check", c->operation);
}

/* config.outputs: {name: jsonpath} (get and apply). */
static int
read_outputs(const inn_host *host, const inn_step *step, struct kube_config *c,
             char *err, size_t errlen)
{
	json_object *o;
	char *text = NULL;

	if (host->input_type(step, "outputs") == INN_VALUE_ABSENT)
		return 0;
	if (host->input_type(step, "outputs") != INN_VALUE_OBJECT ||
	    host->input_json(step, "outputs", &text) != 0)
		return pu_refuse(err, errlen, "config.outputs: must be an object of "
		                 "output name -> jsonpath (e.g. uid: \"{.metadata.uid}\")");
	o = json_tokener_parse(text);
	host->free(text);
	if (o == NULL)
		return pu_refuse(err, errlen, "config.outputs: cannot read it");
	c->outputs = o;
	json_object_object_foreach(o, k, v) {
		if (!kube_output_name_ok(k))
			return pu_refuse(err, errlen, "config.outputs: \"%s\" is not an output "
			                 "name ([A-Za-z_][A-Za-z0-9_.-]*)", k);
		if (!json_object_is_type(v, json_type_string) ||
		    *json_object_get_string(v) == '\0')
			return pu_refuse(err, errlen, "config.outputs.%s: must be a jsonpath "
			                 "string such as \"{.status.phase}\"", k);
	}
	return 0;
}

/* The wait_for forms pu_kube_wait takes. */
static int
check_wait(const char *w, char *err, size_t errlen)
{
	if (strcmp(w, "delete") == 0 || strcmp(w, "create") == 0 ||
	    (strncmp(w, "condition=", 10) == 0 && w[10] != '\0' && w[10] != '=') ||
	    (strncmp(w, "jsonpath=", 9) == 0 && w[9] != '\0' && w[9] != '='))
		return 0;
	return pu_refuse(err, errlen, "config.wait_for: \"%s\" is not "
	                 "condition=<Type>[=<Status>], jsonpath={<path>}[=<value>], "
	                 "create or delete", w);
}

/* What each operation needs. */
static int
check_op(int rendered, struct kube_config *c, char *err, size_t errlen)
{
	int has_m = c->manifest != NULL, has_p = c->manifest_path != NULL;
	const char *op = kube_op_names[c->op];

	if (has_m && has_p)
		return pu_refuse(err, errlen, "config: manifest and manifest_path are "
		                 "exclusive");
	switch (c->op) {
	case KUBE_APPLY:
		if (!has_m && !has_p)
			return pu_refuse(err, errlen, "config: operation apply needs "
			                 "manifest (inline YAML) or manifest_path");
		break;
	case KUBE_DELETE:
		if (!has_m && !has_p && (c->resource_type == NULL || c->resource_name == NULL))
			return pu_refuse(err, errlen, "config: operation delete needs manifest, "
			                 "manifest_path, or resource_type and resource_name");
		break;
	case KUBE_GET:
		if (c->resource_type == NULL)
			return pu_refuse(err, errlen, "config: operation get needs resource_type "
			                 "(and resource_name; without it the list)");
		break;
	case KUBE_WAIT:
	case KUBE_CHECK:
		if (c->resource_type == NULL || c->resource_name == NULL || c->wait_for == NULL)
			return pu_refuse(err, errlen, "config: operation %s needs "
			                 "resource_type, resource_name and wait_for (or "
			                 "condition)", op);
		break;
	case KUBE_CREATE_NS:
		if (c->ns == NULL || (rendered && *c->ns == '\0'))
			return pu_refuse(err, errlen, "config: operation create-namespace needs "
			                 "namespace");
		break;
	}
	if ((c->op == KUBE_GET || c->op == KUBE_WAIT || c->op == KUBE_CHECK ||
	     c->op == KUBE_CREATE_NS) &&
	    (has_m || has_p))
		return pu_refuse(err, errlen, "config.%s: not used by operation %s",
		                 has_m ? "manifest" : "manifest_path", op);
	if (c->outputs != NULL && c->op != KUBE_GET && c->op != KUBE_APPLY)
		return pu_refuse(err, errlen, "config.outputs: only get and apply publish "
		                 "jsonpath outputs");
	return 0;
}

int
kube_config_read(const inn_host *host, const inn_step *step, int rendered,
                 struct kube_config *c, char *err, size_t errlen)
{
	json_object *docs = NULL;
	int rc;

	memset(c, 0, sizeof *c);
	c->force_conflicts = 1;
	if ((rc = pu_config_read(host, step, rendered, config_fields, c, err, errlen)) != 0 ||
	    (rc = pu_kube_step_read(host, step, &c->conn, err, errlen)) != 0)
		goto err;
	if (host->input_type(step, "force_conflicts") != INN_VALUE_ABSENT &&
	    (rc = pu_read_bool(host, step, "force_conflicts", rendered, &c->force_conflicts,
	                       err, errlen)) != 0)
		goto err;
	if (c->condition != NULL) {
		if (c->wait_for != NULL) {
			rc = pu_refuse(err, errlen, "config: wait_for and condition are the "
			               "same setting; write one");
			goto err;
		}
		c->wait_for = c->condition;
	}
	if ((rc = read_operation(rendered, c, err, errlen)) != 0 ||
	    (rc = read_outputs(host, step, c, err, errlen)) != 0)
		goto err;
	if (c->operation != NULL && later(rendered, c->operation))
		return 0;               /* what it needs is known once rendered */
	if ((rc = check_op(rendered, c, err, errlen)) != 0)
		goto err;
	if (c->wait_for != NULL && !later(rendered, c->wait_for) &&
	    (rc = check_wait(c->wait_for, err, errlen)) != 0)
		goto err;
	if (c->manifest_path != NULL && !later(rendered, c->manifest_path) &&
	    (c->manifest_path[0] == '\0' || pu_has_dotdot(c->manifest_path))) {
		rc = pu_refuse(err, errlen, "config.manifest_path: \"%s\" must name a file "
		               "inside the provider folder (no \"..\")", c->manifest_path);
		goto err;
	}
	if (c->manifest != NULL && !later(rendered, c->manifest)) {
		char why[400];

		rc = pu_kube_parse_manifests(c->manifest, strlen(c->manifest), &docs, why,
		                             sizeof why);
		json_object_put(docs);
		if (rc != 0) {
			pu_refuse(err, errlen, "config.manifest: %s", why);
			goto err;
		}
	}
	return 0;
err:
	kube_config_free(c);
	return rc != 0 ? rc : INN_EINVAL;
}

int
kube_manifest_file(const inn_host *host, inn_step *step, const struct kube_config *c,
                   char *out, char *err, size_t errlen)
{
	const char *base = NULL;

	if (host->abi_minor >= 1 && host->struct_size >=
	    offsetof(inn_host, base_dir) + sizeof(host->base_dir) && host->base_dir != NULL)
		base = host->base_dir(step);
	if (c->manifest_path[0] != '/' && pu_has_dotdot(c->manifest_path))
		return pu_refuse(err, errlen, "config.manifest_path: \"%s\" must not "
		                 "contain \"..\"", c->manifest_path);
	return pu_confine(host, step, "manifest_path", c->manifest_path, base, NULL, out,
	                  err, errlen);
}
