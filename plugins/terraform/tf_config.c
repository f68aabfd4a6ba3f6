/*
 * tf_config.c - terraform.so's step config: the field table, the checks of
 * names terraform and this plugin accept, and the reading of the module
 * source, variables and backend config (see terraform_int.h).
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "plugin_util.h"
#include "terraform_int.h"

const char *const tf_op_names[] = {
	"init", "plan", "apply", "destroy", "output", NULL
};

/* [A-Za-z_][A-Za-z0-9_-]*: a terraform variable or output name. */
static int
valid_tf_name(const char *s)
{
	return pu_valid_name(s, "-", 128);
}

/* A terraform workspace name: [A-Za-z0-9_-][A-Za-z0-9_.-]{0,89}. */
static int
valid_workspace(const char *s)
{
	return *s != '\0' && *s != '.' && strlen(s) <= 90 && pu_chars_ok(s, "-.");
}

/* A state key: [A-Za-z0-9_][A-Za-z0-9_.-]{0,63}. */
static int
valid_state_key(const char *s)
{
	return *s != '\0' && *s != '.' && *s != '-' && strlen(s) <= 64 &&
	       pu_chars_ok(s, "-.");
}

/* A backend_config key: [A-Za-z0-9_.-]+ (no '=' so KEY=VALUE parses). */
static int
valid_backend_key(const char *s)
{
	return *s != '\0' && strlen(s) <= 128 && pu_chars_ok(s, "-.");
}

int
tf_reserved_name(const char *name)
{
	return strcmp(name, ".terraform") == 0 ||
	       strcmp(name, ".terraform.tfstate.lock.info") == 0 ||
	       strncmp(name, "terraform.tfstate", 17) == 0 ||
	       strcmp(name, ".git") == 0 ||
	       strncmp(name, ".innominatus", 12) == 0 ||
	       strcmp(name, TF_VARS_FILE) == 0 ||
	       strcmp(name, TF_PLAN_FILE) == 0;
}

/* An inline module file name: [A-Za-z0-9_][A-Za-z0-9_.-]*, not reserved. */
static int
valid_module_file(const char *s)
{
	return *s != '\0' && *s != '.' && *s != '-' && strlen(s) <= 255 &&
	       pu_chars_ok(s, "-.") && !tf_reserved_name(s);
}

static const pu_strv_rule outputs_rule = {
	"must be an array of terraform output names", valid_tf_name,
	"is not a valid terraform output name", 1, 0
};

/* The fields in the order the unknown-field message lists them; module,
 * variables and backend_config are read below. */
static const pu_field config_fields[] = {
	PU_FIELD("working_dir", PU_STRING, struct tf_config, working_dir),
	PU_FIELD("module_base", PU_STRING, struct tf_config, module_base),
	PU_FIELD_OTHER("module"),
	PU_FIELD("operation", PU_STRING, struct tf_config, operation),
	PU_FIELD_OTHER("variables"),
	PU_FIELD_OTHER("backend_config"),
	PU_FIELD("workspace", PU_STRING, struct tf_config, workspace),
	PU_FIELD_STRV("outputs", struct tf_config, outputs, &outputs_rule),
	PU_FIELD("env", PU_ENV, struct tf_config, env),
	PU_FIELD("timeout", PU_TIMEOUT, struct tf_config, timeout_ms),
	PU_FIELD("terraform_bin", PU_STRING, struct tf_config, terraform_bin),
	PU_FIELD("state_key", PU_STRING, struct tf_config, state_key),
	{ NULL, PU_OTHER, 0, NULL }
};

void
tf_config_free(struct tf_config *c)
{
	pu_config_free(config_fields, c);
	json_object_put(c->module);
	json_object_put(c->variables);
	json_object_put(c->backend);
	memset(c, 0, sizeof(*c));
}

/* Reads the value at path as a json-c object (keys may contain dots, which
 * the dotted input paths cannot address).  Returns 0 or an error with err
 * set. */
static int
read_json(const inn_host *host, const inn_step *step, const char *path,
          json_object **out, char *err, size_t errlen)
{
	char *text = NULL;
	enum json_tokener_error jerr;

	*out = NULL;
	if (host->input_json(step, path, &text) != 0)
		return pu_refuse(err, errlen, "config.%s: %s", path, host->last_error());
	*out = json_tokener_parse_verbose(text, &jerr);
	host->free(text);
	if (*out == NULL)
		return pu_refuse(err, errlen, "config.%s: cannot read its value: %s", path,
		                 json_tokener_error_desc(jerr));
	return 0;
}

/* An optional object field as a json-c object (NULL when absent); what
 * says what it maps ("config.<field>: must be an object of <what>"). */
static int
read_object(const inn_host *host, const inn_step *step, const char *field,
            const char *what, json_object **out, char *err, size_t errlen)
{
	int t = host->input_type(step, field);

	*out = NULL;
	if (t == INN_VALUE_ABSENT)
		return 0;
	if (t != INN_VALUE_OBJECT)
		return pu_refuse(err, errlen, "config.%s: must be an object of %s",
		                 field, what);
	return read_json(host, step, field, out, err, errlen);
}

/* config.operation (already read) into c->op: apply unless set. */
static int
read_operation(int rendered, struct tf_config *c, char *err, size_t errlen)
{
	int i;

	c->op = TF_OP_APPLY;
	if (c->operation == NULL)
		return 0;
	for (i = 0; tf_op_names[i] != NULL; i++) {
		if (strcmp(c->operation, tf_op_names[i]) == 0) {
			c->op = i;
			return 0;
		}
	}
	if (!rendered && pu_is_template(c->operation))
		return 0;
	return pu_refuse(err, errlen, "config.operation: \"%s\" is not one of init, "
	                 "plan, apply, destroy, output", c->operation);
}

/* working_dir / module_base (already read as strings): relative ones
 * without ".." components; or the inline module.  A relative working_dir is checked again at run time for
 * symbolic links that lead out of its base. */
static int
read_module_source(const inn_host *host, const inn_step *step, int rendered,
                   struct tf_config *c, char *err, size_t errlen)
{
	int has_dir = host->input_type(step, "working_dir") != INN_VALUE_ABSENT;
	int has_mod = host->input_type(step, "module") != INN_VALUE_ABSENT;
	int rc, t;

	if (has_dir == has_mod)
		return pu_refuse(err, errlen, "config: needs exactly one of \"working_dir\" "
		                 "(a module folder) or \"module\" (inline HCL)");
	if (c->module_base != NULL && !has_dir)
		return pu_refuse(err, errlen, "config.module_base: only applies to "
		                 "\"working_dir\"");
	if (c->working_dir != NULL && (rendered || !pu_is_template(c->working_dir))) {
		if (c->working_dir[0] == '\0')
			return pu_refuse(err, errlen, "config.working_dir: must not be empty");
		/* a relative path must stay inside the folder it is relative to;
		 * an absolute one is confined when the step runs */
		if (c->working_dir[0] != '/' && pu_has_dotdot(c->working_dir))
			return pu_refuse(err, errlen, "config.working_dir: \"%s\" must not "
			                 "contain \"..\" (it must stay inside the provider "
			                 "folder)", c->working_dir);
	}
	if (c->module_base != NULL && (rendered || !pu_is_template(c->module_base)) &&
	    (c->module_base[0] == '\0' ||
	    (c->module_base[0] != '/' && pu_has_dotdot(c->module_base))))
		return pu_refuse(err, errlen, "config.module_base: \"%s\" must be an "
		                 "absolute folder path, or a relative one without \"..\"",
		                 c->module_base);
	if (!has_mod)
		return 0;

	t = host->input_type(step, "module");
	if (t != INN_VALUE_STRING && t != INN_VALUE_OBJECT)
		return pu_refuse(err, errlen, "config.module: must be a string of HCL "
		                 "(written to main.tf) or an object of file name -> "
		                 "content");
	if ((rc = read_json(host, step, "module", &c->module, err, errlen)) != 0)
		return rc;
	if (t == INN_VALUE_OBJECT) {
		if (json_object_object_length(c->module) == 0)
			return pu_refuse(err, errlen, "config.module: names no files");
		json_object_object_foreach(c->module, name, content) {
			if (!valid_module_file(name))
				return pu_refuse(err, errlen, "config.module: \"%s\" is not a "
				                 "valid file name (letters, digits, _ . -; no "
				                 "folders; not a name terraform or innominatus "
				                 "keep)", name);
			if (!json_object_is_type(content, json_type_string))
				return pu_refuse(err, errlen, "config.module.%s: must be a "
				                 "string (the file's content)", name);
		}
	}
	return 0;
}

/* variables: an object of terraform variable name -> any JSON value. */
static int
read_variables(const inn_host *host, const inn_step *step, struct tf_config *c,
               char *err, size_t errlen)
{
	int rc;

	if ((rc = read_object(host, step, "variables", "variable name -> value",
	    &c->variables, err, errlen)) != 0 || c->variables == NULL)
		return rc;
	json_object_object_foreach(c->variables, name, val) {
		(void)val;
		if (!valid_tf_name(name))
			return pu_refuse(err, errlen, "config.variables: \"%s\" is not a "
			                 "valid terraform variable name", name);
	}
	return 0;
}

/* backend_config: an object of key -> string, number or boolean.  The
 * local backend's file keys (path, workspace_dir) are relative to the
 * working copy and must stay there: no absolute path, no "..", also when
 * rendered from a parameter (IJ-9). */
static int
read_backend(const inn_host *host, const inn_step *step, int rendered,
             struct tf_config *c, char *err, size_t errlen)
{
	int rc;

	if ((rc = read_object(host, step, "backend_config", "key -> value",
	    &c->backend, err, errlen)) != 0 || c->backend == NULL)
		return rc;
	json_object_object_foreach(c->backend, key, val) {
		json_type t = json_object_get_type(val);

		if (!valid_backend_key(key))
			return pu_refuse(err, errlen, "config.backend_config: \"%s\" is not a "
			                 "valid key (letters, digits, _ . -)", key);
		if (t != json_type_string && t != json_type_int &&
		    t != json_type_double && t != json_type_boolean)
			return pu_refuse(err, errlen, "config.backend_config.%s: must be a "
			                 "string, number or boolean", key);
		if (t == json_type_string && (strcmp(key, "path") == 0 ||
		    strcmp(key, "workspace_dir") == 0)) {
			const char *v = json_object_get_string(val);

			if ((rendered || !pu_is_template(v)) &&
			    (v[0] == '/' || pu_has_dotdot(v)))
				return pu_refuse(err, errlen, "config.backend_config.%s: \"%s\" "
				                 "must be a relative path without \"..\" (it stays in "
				                 "the step's state folder)", key, v);
		}
	}
	return 0;
}

int
tf_config_read(const inn_host *host, const inn_step *step, int rendered,
               struct tf_config *c, char *err, size_t errlen)
{
	int rc;
	char **e;

	memset(c, 0, sizeof(*c));
	c->workspace = "default";
	c->terraform_bin = "terraform";
	if ((rc = pu_config_read(host, step, rendered, config_fields, c, err,
	    errlen)) != 0 ||
	    (rc = read_operation(rendered, c, err, errlen)) != 0 ||
	    (rc = read_module_source(host, step, rendered, c, err, errlen)) != 0 ||
	    (rc = read_variables(host, step, c, err, errlen)) != 0 ||
	    (rc = read_backend(host, step, rendered, c, err, errlen)) != 0)
		goto fail;
	for (e = c->env; e != NULL && *e != NULL; e++)
		if (strncmp(*e, "TF_CLI_CONFIG_FILE=", 19) == 0)
			c->user_cli_config = 1;
	if ((rendered || !pu_is_template(c->workspace)) &&
	    !valid_workspace(c->workspace)) {
		rc = pu_refuse(err, errlen, "config.workspace: \"%s\" is not a valid "
		               "workspace name (letters, digits, _ - ., up to 90, not "
		               "starting with '.')", c->workspace);
		goto fail;
	}
	/* the program run and the folder modules are confined to are the
	 * provider's choice, never a value a user's parameter renders (IJ-9) */
	if (!rendered && (pu_is_template(c->terraform_bin) ||
	    (c->module_base != NULL && pu_is_template(c->module_base)))) {
		rc = pu_refuse(err, errlen, "config.%s: must be written out, not rendered "
		               "from a template", pu_is_template(c->terraform_bin) ?
		               "terraform_bin" : "module_base");
		goto fail;
	}
	if (c->terraform_bin[0] == '\0') {
		rc = pu_refuse(err, errlen, "config.terraform_bin: must not be empty");
		goto fail;
	}
	if (c->state_key != NULL && (rendered || !pu_is_template(c->state_key)) &&
	    !valid_state_key(c->state_key)) {
		rc = pu_refuse(err, errlen, "config.state_key: \"%s\" is not a valid key "
		               "(letters, digits, _ - ., up to 64)", c->state_key);
		goto fail;
	}
	return 0;
fail:
	tf_config_free(c);
	return rc;
}

