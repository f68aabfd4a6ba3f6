/*
 * terraform.c - the "terraform" step plugin: drives the terraform CLI
 * through host->spawn (own process group, deadline, cancellation, masked
 * logs) in a private working copy per application, resource, environment
 * and module, kept under host->state_dir() so a later plan, apply, destroy
 * or output sees the same state.
 *
 * Working copy: <state_dir>/<fnv1a(module identity)>-<workspace>/.  The
 * module (config.working_dir, or the inline config.module) is copied in on
 * every run; files copied by an earlier run that the module no longer has
 * are removed (a manifest lists them), and everything terraform made
 * (.terraform/, the lock file, terraform.tfstate*) stays.  Variables go to
 * a generated innominatus.auto.tfvars.json, never onto a command line.
 * `terraform init` runs when a stamp of (module, backend config,
 * workspace, binary) differs from the last successful init.
 *
 * terraform's stdout streams into the step log as it runs; its stderr
 * (diagnostics, printed at the end of a command) is redirected by a
 * /bin/sh exec wrapper into a file in the working copy, then logged line by
 * line, its last lines making up the one-line failure reason.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <innominatus/plugin.h>

#include "plugin_util.h"

#ifdef PACKAGE_VERSION
#define TF_VERSION PACKAGE_VERSION
#else
#define TF_VERSION "0.1.0"
#endif

#define TF_PATH_MAX        4096
/* Module copies are bounded: files, bytes, directory depth. */
#define TF_MODULE_FILES_MAX 4096
#define TF_MODULE_BYTES_MAX (64u * 1024 * 1024)
#define TF_MODULE_DEPTH_MAX 16
/* How much of a command's stderr is read back (its end), and how many of
 * its last non-empty lines the failure reason quotes. */
#define TF_STDERR_READ_MAX (1024 * 1024)
#define TF_TAIL_LINES      20
#define TF_REASON_MAX      1200
/* `terraform output -json` may print this much. */
#define TF_OUTPUT_CAPTURE_MAX (16u * 1024 * 1024)
#define TF_LOCK_POLL_MS    100

/* Files of ours inside the working copy. */
#define TF_VARS_FILE     "innominatus.auto.tfvars.json"
#define TF_PLAN_FILE     "innominatus.tfplan"
#define TF_STDERR_FILE   ".innominatus-stderr"
#define TF_MANIFEST_FILE ".innominatus-manifest"
#define TF_STAMP_FILE    ".innominatus-init"
#define TF_LOCK_FILE     ".innominatus-lock"

enum tf_op { TF_OP_INIT, TF_OP_PLAN, TF_OP_APPLY, TF_OP_DESTROY, TF_OP_OUTPUT };

static const char *const tf_op_names[] = {
	"init", "plan", "apply", "destroy", "output", NULL
};

static const char *const config_fields[] = {
	"working_dir", "module_base", "module", "operation", "variables",
	"backend_config", "workspace", "outputs", "env", "timeout",
	"terraform_bin", "state_key", NULL
};

/* The step config.  Strings are borrowed from the host or from the json
 * objects held here; the arrays are ours. */
struct tf_config {
	const char *working_dir;    /* NULL: inline module */
	const char *module_base;
	json_object *module;        /* inline: a string, or filename -> content */
	int op;                     /* enum tf_op */
	json_object *variables;     /* object, or NULL */
	json_object *backend;       /* object key -> scalar, or NULL */
	const char *workspace;      /* "default" unless set */
	const char **outputs;       /* NULL-terminated, or NULL: all */
	char **env;                 /* NULL-terminated "NAME=value" */
	size_t nenv;
	int user_cli_config;        /* config.env sets TF_CLI_CONFIG_FILE */
	const char *terraform_bin;
	const char *state_key;
	int64_t timeout_ms;         /* 0: none */
};

/* One run of execute(): what every terraform command needs. */
struct tf_ctx {
	const inn_host *host;
	inn_step *step;
	const struct tf_config *c;
	char bin[TF_PATH_MAX];      /* terraform, resolved */
	char wc[TF_PATH_MAX];       /* the working copy */
	char **env;                 /* NULL-terminated, ours */
	size_t nenv;
	int64_t deadline;           /* from config.timeout (monotonic ms), 0: none */
	uint64_t module_hash;       /* of the copied module files */
};



static int
is_alpha_(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Non-zero if every character of s is alphanumeric, '_' or in extra. */
static int
chars_ok(const char *s, const char *extra)
{
	for (; *s != '\0'; s++)
		if (!is_alpha_((unsigned char)*s) && !is_digit((unsigned char)*s) &&
		    strchr(extra, *s) == NULL)
			return 0;
	return 1;
}

/* [A-Za-z_][A-Za-z0-9_]*: an environment variable name. */
static int
valid_env_name(const char *s)
{
	return is_alpha_((unsigned char)*s) && chars_ok(s, "");
}

/* [A-Za-z_][A-Za-z0-9_-]*: a terraform variable or output name. */
static int
valid_tf_name(const char *s)
{
	return is_alpha_((unsigned char)*s) && chars_ok(s, "-") && strlen(s) <= 128;
}

/* A terraform workspace name: [A-Za-z0-9_-][A-Za-z0-9_.-]{0,89}. */
static int
valid_workspace(const char *s)
{
	return *s != '\0' && *s != '.' && strlen(s) <= 90 && chars_ok(s, "-.");
}

/* A state key: [A-Za-z0-9_][A-Za-z0-9_.-]{0,63}. */
static int
valid_state_key(const char *s)
{
	return *s != '\0' && *s != '.' && *s != '-' && strlen(s) <= 64 &&
	       chars_ok(s, "-.");
}

/* A backend_config key: [A-Za-z0-9_.-]+ (no '=' so KEY=VALUE parses). */
static int
valid_backend_key(const char *s)
{
	return *s != '\0' && strlen(s) <= 128 && chars_ok(s, "-.");
}

/* Names terraform or this plugin keep in the working copy: never copied
 * from a module folder nor written from an inline module. */
static int
reserved_name(const char *name)
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
	       chars_ok(s, "-.") && !reserved_name(s);
}


/* 64-bit FNV-1a, continued from h over n bytes. */
static uint64_t
fnv1a(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

#define FNV_OFFSET UINT64_C(14695981039346656037)

/* Hashes a string including its terminating NUL (so "ab","c" != "a","bc"). */
static uint64_t
fnv1a_str(uint64_t h, const char *s)
{
	return fnv1a(h, s, strlen(s) + 1);
}


/* Joins a and b with '/' into buf; returns 0 or -1 if it does not fit. */
static int
path_join(char *buf, size_t len, const char *a, const char *b)
{
	int n = snprintf(buf, len, "%s/%s", a, b);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* --- config ------------------------------------------------------------- */

static void
config_free(struct tf_config *c)
{
	size_t i;

	for (i = 0; i < c->nenv; i++)
		free(c->env[i]);
	free(c->env);
	free(c->outputs);
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

/* Reads an optional string field; returns 0, or INN_EINVAL if present but
 * not a string. */
static int
read_string(const inn_host *host, const inn_step *step, const char *field,
            const char **out, char *err, size_t errlen)
{
	int t = host->input_type(step, field);

	if (t == INN_VALUE_ABSENT)
		return 0;
	if (t != INN_VALUE_STRING || host->input_string(step, field, out) != 0)
		return pu_refuse(err, errlen, "config.%s: must be a string", field);
	return 0;
}

static int
read_operation(const inn_host *host, const inn_step *step, int rendered,
               struct tf_config *c, char *err, size_t errlen)
{
	const char *s = NULL;
	int rc, i;

	c->op = TF_OP_APPLY;
	if ((rc = read_string(host, step, "operation", &s, err, errlen)) != 0 ||
	    s == NULL)
		return rc;
	for (i = 0; tf_op_names[i] != NULL; i++) {
		if (strcmp(s, tf_op_names[i]) == 0) {
			c->op = i;
			return 0;
		}
	}
	if (!rendered && pu_is_template(s))
		return 0;
	return pu_refuse(err, errlen, "config.operation: \"%s\" is not one of init, "
	              "plan, apply, destroy, output", s);
}

/* working_dir / module_base: strings; relative ones without ".."
 * components.  A relative working_dir is checked again at run time for
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
	if ((rc = read_string(host, step, "working_dir", &c->working_dir, err,
	    errlen)) != 0 ||
	    (rc = read_string(host, step, "module_base", &c->module_base, err,
	    errlen)) != 0)
		return rc;
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

	if (host->input_type(step, "variables") == INN_VALUE_ABSENT)
		return 0;
	if (host->input_type(step, "variables") != INN_VALUE_OBJECT)
		return pu_refuse(err, errlen, "config.variables: must be an object of "
		              "variable name -> value");
	if ((rc = read_json(host, step, "variables", &c->variables, err,
	    errlen)) != 0)
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

	if (host->input_type(step, "backend_config") == INN_VALUE_ABSENT)
		return 0;
	if (host->input_type(step, "backend_config") != INN_VALUE_OBJECT)
		return pu_refuse(err, errlen, "config.backend_config: must be an object "
		              "of key -> value");
	if ((rc = read_json(host, step, "backend_config", &c->backend, err,
	    errlen)) != 0)
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

/* outputs: an array of terraform output names. */
static int
read_outputs_list(const inn_host *host, const inn_step *step, int rendered,
                  struct tf_config *c, char *err, size_t errlen)
{
	size_t n, i;
	char path[64];

	if (host->input_type(step, "outputs") == INN_VALUE_ABSENT)
		return 0;
	if (host->input_type(step, "outputs") != INN_VALUE_ARRAY)
		return pu_refuse(err, errlen, "config.outputs: must be an array of "
		              "terraform output names");
	n = host->input_count(step, "outputs");
	if ((c->outputs = calloc(n + 1, sizeof(*c->outputs))) == NULL) {
		pu_refuse(err, errlen, "config.outputs: out of memory");
		return INN_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "outputs.%zu", i);
		if (host->input_type(step, path) != INN_VALUE_STRING ||
		    host->input_string(step, path, &c->outputs[i]) != 0)
			return pu_refuse(err, errlen, "config.%s: must be a string", path);
		if ((rendered || !pu_is_template(c->outputs[i])) &&
		    !valid_tf_name(c->outputs[i]))
			return pu_refuse(err, errlen, "config.%s: \"%s\" is not a valid "
			              "terraform output name", path, c->outputs[i]);
	}
	return 0;
}

/* env: an object of NAME -> string, number or boolean, as "NAME=value". */
static int
read_env(const inn_host *host, const inn_step *step, struct tf_config *c,
         char *err, size_t errlen)
{
	size_t n, i;
	char path[300];

	if (host->input_type(step, "env") == INN_VALUE_ABSENT)
		return 0;
	if (host->input_type(step, "env") != INN_VALUE_OBJECT)
		return pu_refuse(err, errlen, "config.env: must be an object of NAME: "
		              "value");
	n = host->input_count(step, "env");
	if ((c->env = calloc(n + 1, sizeof(*c->env))) == NULL) {
		pu_refuse(err, errlen, "config.env: out of memory");
		return INN_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const char *name = host->input_key(step, "env", i), *sval = NULL;
		char *json = NULL, *entry;
		size_t len;
		int t;

		if (name == NULL)
			break;
		if (!valid_env_name(name))
			return pu_refuse(err, errlen, "config.env: \"%s\" is not a valid "
			              "environment variable name", name);
		if ((size_t)snprintf(path, sizeof(path), "env.%s", name) >= sizeof(path))
			return pu_refuse(err, errlen, "config.env: name \"%.40s...\" is too "
			              "long", name);
		t = host->input_type(step, path);
		if (t == INN_VALUE_STRING) {
			host->input_string(step, path, &sval);
		} else if (t == INN_VALUE_BOOL || t == INN_VALUE_INT ||
		           t == INN_VALUE_DOUBLE) {
			if (host->input_json(step, path, &json) != 0)
				return pu_refuse(err, errlen, "config.%s: %s", path,
				              host->last_error());
			sval = json;
		} else {
			return pu_refuse(err, errlen, "config.%s: must be a string, number "
			              "or boolean", path);
		}
		len = strlen(name) + strlen(sval) + 2;
		if ((entry = malloc(len)) != NULL)
			snprintf(entry, len, "%s=%s", name, sval);
		if (json != NULL)
			host->free(json);
		if (entry == NULL) {
			pu_refuse(err, errlen, "config.env: out of memory");
			return INN_ENOMEM;
		}
		c->env[c->nenv++] = entry;
		if (strcmp(name, "TF_CLI_CONFIG_FILE") == 0)
			c->user_cli_config = 1;
	}
	return 0;
}


/*
 * Reads and checks the whole step config into c.  rendered is zero at load
 * time: strings that still hold templates then skip their content checks.
 * Returns 0, or INN_EINVAL / INN_ENOMEM with a one-line reason naming the
 * field in err; c is then freed.
 */
static int
config_read(const inn_host *host, const inn_step *step, int rendered,
            struct tf_config *c, char *err, size_t errlen)
{
	size_t n, i, j;
	int rc;

	memset(c, 0, sizeof(*c));
	c->workspace = "default";
	c->terraform_bin = "terraform";
	if (host->input_type(step, "") != INN_VALUE_OBJECT)
		return pu_refuse(err, errlen, "config: must be an object");
	n = host->input_count(step, "");
	for (i = 0; i < n; i++) {
		const char *key = host->input_key(step, "", i);

		for (j = 0; key != NULL && config_fields[j] != NULL; j++)
			if (strcmp(key, config_fields[j]) == 0)
				break;
		if (key != NULL && config_fields[j] == NULL)
			return pu_refuse(err, errlen, "config: unknown field \"%s\" (known: "
			              "working_dir, module_base, module, operation, "
			              "variables, backend_config, workspace, outputs, env, "
			              "timeout, terraform_bin, state_key)", key);
	}
	if ((rc = read_operation(host, step, rendered, c, err, errlen)) != 0 ||
	    (rc = read_module_source(host, step, rendered, c, err, errlen)) != 0 ||
	    (rc = read_variables(host, step, c, err, errlen)) != 0 ||
	    (rc = read_backend(host, step, rendered, c, err, errlen)) != 0 ||
	    (rc = read_outputs_list(host, step, rendered, c, err, errlen)) != 0 ||
	    (rc = read_env(host, step, c, err, errlen)) != 0 ||
	    (rc = pu_read_timeout(host, step, rendered, &c->timeout_ms, err,
	    errlen)) != 0 ||
	    (rc = read_string(host, step, "workspace", &c->workspace, err,
	    errlen)) != 0 ||
	    (rc = read_string(host, step, "terraform_bin", &c->terraform_bin, err,
	    errlen)) != 0 ||
	    (rc = read_string(host, step, "state_key", &c->state_key, err,
	    errlen)) != 0)
		goto fail;
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
	config_free(c);
	return rc;
}

/* --- finding terraform --------------------------------------------------- */


static void
log_not_found(const inn_host *host, inn_step *step, int level, const char *bin)
{
	if (strcmp(bin, "terraform") == 0)
		host->log(step, level, "terraform.so: terraform not found in PATH; "
		          "install it or set config.terraform_bin");
	else
		host->log(step, level, "terraform.so: config.terraform_bin \"%s\" is "
		          "not an executable file%s", bin, strchr(bin, '/') ? "" :
		          " in PATH");
}

/* --- the working copy ---------------------------------------------------- */

/* Reads a small file into buf (NUL-terminated, truncated); "" if absent. */
static void
read_small(const char *dir, const char *name, char *buf, size_t len)
{
	char path[TF_PATH_MAX];
	ssize_t n = -1;
	int fd;

	buf[0] = '\0';
	if (path_join(path, sizeof(path), dir, name) != 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return;
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
}

/* Writes text to dir/name (0600) through a temporary file and rename. */
static int
write_small(const char *dir, const char *name, const char *text)
{
	char path[TF_PATH_MAX], tmp[TF_PATH_MAX];
	size_t len = strlen(text);
	int fd, ok;

	if (path_join(path, sizeof(path), dir, name) != 0 ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0)
		return -1;
	ok = write(fd, text, len) == (ssize_t)len;
	if (close(fd) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* A growable list of strings. */
struct strlist {
	char **v;
	size_t n, cap;
};

static int
strlist_add(struct strlist *l, const char *s)
{
	char *copy;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		char **nv = realloc(l->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return INN_ENOMEM;
		l->v = nv;
		l->cap = ncap;
	}
	if ((copy = strdup(s)) == NULL)
		return INN_ENOMEM;
	l->v[l->n++] = copy;
	return 0;
}

static void
strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Copying a module into the working copy. */
struct copier {
	const inn_host *host;
	inn_step *step;
	const char *root;          /* realpath of the module folder */
	const char *dst;           /* the working copy */
	struct strlist files;      /* relative paths written */
	uint64_t hash;             /* over (path, content) in copy order */
	uint64_t bytes;
};

/*
 * Writes len bytes of data (or, with src_fd >= 0, the rest of src_fd) to
 * dst/rel with mode 0700 if exec, else 0600, creating missing folders of
 * rel, hashing path and content into cp->hash.  Returns 0 or an error after
 * logging.
 */
static int
write_module_file(struct copier *cp, const char *rel, int src_fd,
                  const char *data, size_t len, int exec)
{
	char path[TF_PATH_MAX], buf[65536];
	size_t i;
	int fd = -1, rc = INN_ERROR;
	ssize_t n;

	if (cp->files.n >= TF_MODULE_FILES_MAX) {
		cp->host->log(cp->step, INN_LOG_ERROR, "the module has more than %d "
		              "files", TF_MODULE_FILES_MAX);
		return INN_ETOOBIG;
	}
	if (path_join(path, sizeof(path), cp->dst, rel) != 0) {
		cp->host->log(cp->step, INN_LOG_ERROR, "module file %s: path too long",
		              rel);
		return INN_ERROR;
	}
	/* Folders of rel (rel never has "..": it is built from names). */
	for (i = strlen(cp->dst) + 1; path[i] != '\0'; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			cp->host->log(cp->step, INN_LOG_ERROR, "cannot create %s: %s",
			              path, strerror(errno));
			return INN_ERROR;
		}
		path[i] = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	          exec ? 0700 : 0600);
	if (fd < 0) {
		cp->host->log(cp->step, INN_LOG_ERROR, "cannot write %s: %s", path,
		              strerror(errno));
		return INN_ERROR;
	}
	if (fchmod(fd, exec ? 0700 : 0600) != 0)
		goto io;
	cp->hash = fnv1a_str(cp->hash, rel);
	for (;;) {
		const char *chunk;

		if (src_fd >= 0) {
			n = read(src_fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				cp->host->log(cp->step, INN_LOG_ERROR, "cannot read module "
				              "file %s: %s", rel, strerror(errno));
				goto out;
			}
			chunk = buf;
		} else {
			n = (ssize_t)len;
			chunk = data;
			len = 0;
		}
		if (n == 0)
			break;
		cp->bytes += (uint64_t)n;
		if (cp->bytes > TF_MODULE_BYTES_MAX) {
			cp->host->log(cp->step, INN_LOG_ERROR, "the module is larger than "
			              "%u bytes", TF_MODULE_BYTES_MAX);
			rc = INN_ETOOBIG;
			goto out;
		}
		cp->hash = fnv1a(cp->hash, chunk, (size_t)n);
		while (n > 0) {
			ssize_t w = write(fd, chunk, (size_t)n);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				goto io;
			chunk += w;
			n -= w;
		}
	}
	cp->hash = fnv1a(cp->hash, "", 1);
	if ((rc = strlist_add(&cp->files, rel)) != 0) {
		cp->host->log(cp->step, INN_LOG_ERROR, "out of memory");
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		goto io;
	}
	return 0;
io:
	cp->host->log(cp->step, INN_LOG_ERROR, "cannot write %s: %s", path,
	              strerror(errno));
	rc = INN_ERROR;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Non-zero if real lies inside root (or is root itself). */
static int
inside(const char *root, const char *real)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return 1;
	return strncmp(real, root, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

/*
 * Copies the folder src (relative path rel inside the module, "" for the
 * root) into the working copy, in name order.  Symbolic links are followed
 * only when they resolve inside the module folder.  Returns 0 or an error
 * after logging.
 */
static int
copy_tree(struct copier *cp, const char *src, const char *rel, int depth)
{
	struct dirent **names = NULL;
	int n, i, rc = 0;

	if (depth > TF_MODULE_DEPTH_MAX) {
		cp->host->log(cp->step, INN_LOG_ERROR, "module folder %s is nested "
		              "more than %d levels deep", rel, TF_MODULE_DEPTH_MAX);
		return INN_ERROR;
	}
	if ((n = scandir(src, &names, NULL, alphasort)) < 0) {
		cp->host->log(cp->step, INN_LOG_ERROR, "cannot read module folder %s: "
		              "%s", src, strerror(errno));
		return INN_ERROR;
	}
	for (i = 0; i < n && rc == 0; i++) {
		const char *name = names[i]->d_name;
		char spath[TF_PATH_MAX], srel[TF_PATH_MAX], real[PATH_MAX];
		struct stat st;
		int fd;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    reserved_name(name))
			continue;
		if (strpbrk(name, "\n\r") != NULL) {
			cp->host->log(cp->step, INN_LOG_ERROR, "module file name \"%s\" "
			              "contains a line break", name);
			rc = INN_ERROR;
			break;
		}
		if (path_join(spath, sizeof(spath), src, name) != 0 ||
		    (size_t)snprintf(srel, sizeof(srel), "%s%s%s", rel, *rel ? "/" : "",
		    name) >= sizeof(srel)) {
			cp->host->log(cp->step, INN_LOG_ERROR, "module path %s/%s is too "
			              "long", rel, name);
			rc = INN_ERROR;
			break;
		}
		if (lstat(spath, &st) != 0) {
			cp->host->log(cp->step, INN_LOG_ERROR, "cannot stat module file "
			              "%s: %s", spath, strerror(errno));
			rc = INN_ERROR;
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			if (realpath(spath, real) == NULL || !inside(cp->root, real) ||
			    strcmp(real, cp->root) == 0) {
				cp->host->log(cp->step, INN_LOG_ERROR, "module file %s is a "
				              "symbolic link that leads out of the module "
				              "folder %s; refused", srel, cp->root);
				rc = INN_EINVAL;
				break;
			}
			if (stat(real, &st) != 0) {
				cp->host->log(cp->step, INN_LOG_ERROR, "cannot stat %s: %s",
				              real, strerror(errno));
				rc = INN_ERROR;
				break;
			}
		}
		if (S_ISDIR(st.st_mode)) {
			rc = copy_tree(cp, spath, srel, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			if ((fd = open(spath, O_RDONLY | O_CLOEXEC)) < 0) {
				cp->host->log(cp->step, INN_LOG_ERROR, "cannot open module "
				              "file %s: %s", spath, strerror(errno));
				rc = INN_ERROR;
				break;
			}
			rc = write_module_file(cp, srel, fd, NULL, 0,
			                       (st.st_mode & 0111) != 0);
			close(fd);
		} else {
			cp->host->log(cp->step, INN_LOG_WARN, "module file %s is not a "
			              "regular file or folder; skipped", srel);
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/*
 * Reads the manifest of the previous run and removes each file it lists
 * that this run did not write (cp->files, sorted).  Then writes the new
 * manifest.  Returns 0 or an error after logging.
 */
static int
sync_manifest(struct copier *cp)
{
	char path[TF_PATH_MAX], tmp[TF_PATH_MAX], old[TF_PATH_MAX];
	char *line = NULL;
	size_t cap = 0, i;
	ssize_t len;
	FILE *fp;
	int rc = INN_ERROR;

	qsort(cp->files.v, cp->files.n, sizeof(*cp->files.v), cmp_str);
	if (path_join(path, sizeof(path), cp->dst, TF_MANIFEST_FILE) != 0 ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return INN_ERROR;
	if ((fp = fopen(path, "re")) != NULL) {
		while ((len = getline(&line, &cap, fp)) > 0) {
			char *key = line;

			if (line[len - 1] == '\n')
				line[len - 1] = '\0';
			if (line[0] == '\0' || line[0] == '/' || pu_has_dotdot(line))
				continue;
			if (bsearch(&key, cp->files.v, cp->files.n, sizeof(*cp->files.v),
			    cmp_str) != NULL)
				continue;
			if (path_join(old, sizeof(old), cp->dst, line) == 0 &&
			    unlink(old) == 0)
				cp->host->log(cp->step, INN_LOG_DEBUG, "removed %s (no longer "
				              "in the module)", line);
		}
		free(line);
		fclose(fp);
	}
	if ((fp = fopen(tmp, "we")) == NULL)
		goto io;
	for (i = 0; i < cp->files.n; i++)
		fprintf(fp, "%s\n", cp->files.v[i]);
	if (fclose(fp) != 0 || rename(tmp, path) != 0)
		goto io;
	return 0;
io:
	cp->host->log(cp->step, INN_LOG_ERROR, "cannot write %s: %s", path,
	              strerror(errno));
	unlink(tmp);
	return rc;
}

/* The module's files as (name, content) for an inline module. */
static int
write_inline_module(struct copier *cp, json_object *module)
{
	int rc;

	if (json_object_is_type(module, json_type_string))
		return write_module_file(cp, "main.tf", -1,
		                         json_object_get_string(module),
		                         (size_t)json_object_get_string_len(module), 0);
	json_object_object_foreach(module, name, content) {
		if ((rc = write_module_file(cp, name, -1,
		    json_object_get_string(content),
		    (size_t)json_object_get_string_len(content), 0)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Resolves config.working_dir to the real path of the module folder in
 * out: an absolute one only inside the provider folder, module_base or
 * the step's workspace/state folders; a relative one inside config.module_base,
 * else inside host->base_dir() (the provider folder), and it must stay
 * inside that base after symbolic links are resolved.  Returns 0 or
 * INN_EINVAL after logging.
 */
static int
resolve_module_dir(const inn_host *host, inn_step *step,
                   const struct tf_config *c, char *out)
{
	const char *base = c->module_base;
	char joined[TF_PATH_MAX], realbase[PATH_MAX], basebuf[TF_PATH_MAX];
	struct stat st;

	if (c->working_dir[0] == '/') {
		/* IJ-9: an absolute path (perhaps rendered from a user's
		 * parameter) must lead into the provider folder, module_base or
		 * the step's workspace/state folders, symbolic links resolved */
		char why[512];

		if (pu_confine(host, step, "working_dir", c->working_dir, NULL,
		    c->module_base, out, why, sizeof(why)) != 0) {
			host->log(step, INN_LOG_ERROR, "%s", why);
			return INN_EINVAL;
		}
	} else {
		const char *hbase = NULL;

		if (host->abi_minor >= 1 && host->struct_size >=
		    offsetof(inn_host, base_dir) + sizeof(host->base_dir) &&
		    host->base_dir != NULL)
			hbase = host->base_dir(step);
		if (base == NULL)
			base = hbase;
		else if (base[0] != '/' && hbase != NULL) {
			/* a relative module_base is inside the provider folder */
			if (path_join(basebuf, sizeof(basebuf), hbase, base) != 0) {
				host->log(step, INN_LOG_ERROR, "config.module_base: path "
				          "too long");
				return INN_EINVAL;
			}
			base = basebuf;
		}
		if (base == NULL) {
			host->log(step, INN_LOG_ERROR, "config.working_dir: \"%s\" is "
			          "relative, but neither config.module_base nor the host "
			          "names the folder it is relative to", c->working_dir);
			return INN_EINVAL;
		}
		if (realpath(base, realbase) == NULL) {
			host->log(step, INN_LOG_ERROR, "config.module_base: \"%s\": %s",
			          base, strerror(errno));
			return INN_EINVAL;
		}
		if (path_join(joined, sizeof(joined), realbase, c->working_dir) != 0 ||
		    realpath(joined, out) == NULL) {
			host->log(step, INN_LOG_ERROR, "config.working_dir: \"%s\" in %s: "
			          "%s", c->working_dir, realbase, strerror(errno));
			return INN_EINVAL;
		}
		if (!inside(realbase, out)) {
			host->log(step, INN_LOG_ERROR, "config.working_dir: \"%s\" leads "
			          "out of %s (to %s) through a symbolic link; refused",
			          c->working_dir, realbase, out);
			return INN_EINVAL;
		}
	}
	if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode)) {
		host->log(step, INN_LOG_ERROR, "config.working_dir: %s is not a "
		          "folder", out);
		return INN_EINVAL;
	}
	return 0;
}

/* The identity of the module, hashed: names the working copy folder. */
static uint64_t
module_identity(inn_step *step, const struct tf_config *c, const char *dir)
{
	uint64_t h = FNV_OFFSET;

	(void)step;
	if (c->state_key != NULL)
		return fnv1a_str(fnv1a_str(h, "key"), c->state_key);
	if (dir != NULL)
		return fnv1a_str(fnv1a_str(h, "dir"), dir);
	h = fnv1a_str(h, "inline");
	if (json_object_is_type(c->module, json_type_string))
		return fnv1a_str(fnv1a_str(h, "main.tf"),
		                 json_object_get_string(c->module));
	json_object_object_foreach(c->module, name, content) {
		h = fnv1a_str(h, name);
		h = fnv1a_str(h, json_object_get_string(content));
	}
	return h;
}

/*
 * Takes the working copy's lock (flock on .innominatus-lock): two runs on
 * one working copy take turns.  Waits, polling, until the lock is free, the
 * step is cancelled or the deadline passes.  Returns the locked fd, or a
 * negative error after logging.
 */
static int
lock_working_copy(struct tf_ctx *x)
{
	char path[TF_PATH_MAX];
	int fd, said = 0;

	if (path_join(path, sizeof(path), x->wc, TF_LOCK_FILE) != 0)
		return INN_ERROR;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		x->host->log(x->step, INN_LOG_ERROR, "cannot open %s: %s", path,
		             strerror(errno));
		return INN_ERROR;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int64_t dl = x->host->deadline_ms(x->step);
		struct timespec ts = { 0, TF_LOCK_POLL_MS * 1000000L };

		if (errno != EWOULDBLOCK && errno != EINTR) {
			x->host->log(x->step, INN_LOG_ERROR, "cannot lock %s: %s", path,
			             strerror(errno));
			close(fd);
			return INN_ERROR;
		}
		if (!said++)
			x->host->log(x->step, INN_LOG_INFO, "waiting for another run "
			             "using this working copy to finish");
		if (x->host->cancelled(x->step)) {
			x->host->log(x->step, INN_LOG_WARN, "cancelled");
			close(fd);
			return INN_ECANCELLED;
		}
		if ((dl > 0 && pu_monotonic_ms() >= dl) ||
		    (x->deadline > 0 && pu_monotonic_ms() >= x->deadline)) {
			x->host->log(x->step, INN_LOG_ERROR, "timed out waiting for the "
			             "working copy lock");
			close(fd);
			return INN_ETIMEOUT;
		}
		nanosleep(&ts, NULL);
	}
	return fd;
}

/*
 * Makes the working copy: <state_dir>/<identity>-<workspace>/, the module
 * copied in, stale files removed, the variables file written (or removed).
 * *lock_fd receives the held lock.  Returns 0 or an error after logging.
 */
static int
prepare_working_copy(struct tf_ctx *x, const char *state_dir, int *lock_fd)
{
	const struct tf_config *c = x->c;
	char moddir[PATH_MAX], vars[TF_PATH_MAX];
	struct copier cp;
	int rc;

	*lock_fd = -1;
	moddir[0] = '\0';
	if (c->working_dir != NULL &&
	    (rc = resolve_module_dir(x->host, x->step, c, moddir)) != 0)
		return rc;
	if ((size_t)snprintf(x->wc, sizeof(x->wc), "%s/%016" PRIx64 "-%s",
	    state_dir, module_identity(x->step, c, c->working_dir ? moddir : NULL),
	    c->workspace) >= sizeof(x->wc)) {
		x->host->log(x->step, INN_LOG_ERROR, "state directory path too long");
		return INN_ERROR;
	}
	if (mkdir(x->wc, 0700) != 0 && errno != EEXIST) {
		x->host->log(x->step, INN_LOG_ERROR, "cannot create working copy %s: "
		             "%s", x->wc, strerror(errno));
		return INN_ERROR;
	}
	if ((*lock_fd = lock_working_copy(x)) < 0) {
		rc = *lock_fd;
		*lock_fd = -1;
		return rc;
	}
	x->host->log(x->step, INN_LOG_DEBUG, "working copy %s", x->wc);

	memset(&cp, 0, sizeof(cp));
	cp.host = x->host;
	cp.step = x->step;
	cp.root = moddir;
	cp.dst = x->wc;
	cp.hash = FNV_OFFSET;
	if (c->working_dir != NULL)
		rc = copy_tree(&cp, moddir, "", 0);
	else
		rc = write_inline_module(&cp, c->module);
	if (rc == 0)
		rc = sync_manifest(&cp);
	x->module_hash = cp.hash;
	strlist_free(&cp.files);
	if (rc != 0)
		return rc;

	if (path_join(vars, sizeof(vars), x->wc, TF_VARS_FILE) != 0)
		return INN_ERROR;
	if (c->variables == NULL) {
		unlink(vars);
		return 0;
	}
	if (write_small(x->wc, TF_VARS_FILE, json_object_to_json_string_ext(
	    c->variables, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) != 0) {
		x->host->log(x->step, INN_LOG_ERROR, "cannot write %s: %s", vars,
		             strerror(errno));
		return INN_ERROR;
	}
	return 0;
}

/* --- running terraform --------------------------------------------------- */


/* Where one stderr line lies in the buffer read back. */
struct span {
	size_t off, len;
};

/*
 * Reads back what a command wrote to its stderr file (the last
 * TF_STDERR_READ_MAX bytes), logs each line at level, and when reason is
 * not NULL fills it with the last TF_TAIL_LINES non-empty lines joined by
 * spaces, starting at the first "Error:" among them if any.  Removes the
 * file.
 */
static void
drain_stderr(struct tf_ctx *x, const char *path, int level, char *reason,
             size_t rlen)
{
	struct span tail[TF_TAIL_LINES];
	size_t ntail = 0, head = 0, pos = 0, len = 0, i, first = 0, o = 0;
	char *buf = NULL;
	struct stat st;
	ssize_t n;
	int fd;

	if (reason != NULL && rlen > 0)
		reason[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return;
	if (fstat(fd, &st) != 0 || (buf = malloc(TF_STDERR_READ_MAX + 1)) == NULL)
		goto out;
	if (st.st_size > TF_STDERR_READ_MAX) {
		x->host->log(x->step, level, "[%lld earlier bytes of terraform's "
		             "stderr are not shown]",
		             (long long)(st.st_size - TF_STDERR_READ_MAX));
		lseek(fd, st.st_size - TF_STDERR_READ_MAX, SEEK_SET);
	}
	while (len < TF_STDERR_READ_MAX &&
	       ((n = read(fd, buf + len, TF_STDERR_READ_MAX - len)) > 0 ||
	       (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	buf[len] = '\0';
	if (st.st_size > TF_STDERR_READ_MAX) {
		/* start at a line boundary */
		char *nl = memchr(buf, '\n', len);

		pos = nl ? (size_t)(nl - buf) + 1 : len;
	}
	while (pos < len) {
		char *nl = memchr(buf + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		size_t k;

		for (k = 0; k < ll && (buf[pos + k] == ' ' || buf[pos + k] == '\t');
		     k++)
			;
		if (k < ll) {
			x->host->log(x->step, level, "%.*s", (int)ll, buf + pos);
			tail[head].off = pos;
			tail[head].len = ll;
			head = (head + 1) % TF_TAIL_LINES;
			if (ntail < TF_TAIL_LINES)
				ntail++;
		}
		pos += ll + 1;
	}
	if (reason == NULL || rlen == 0 || ntail == 0)
		goto out;
	/* oldest first: the ring starts at head once full */
	for (i = 0; i < ntail; i++) {
		const struct span *s = &tail[(head + TF_TAIL_LINES - ntail + i) %
		                             TF_TAIL_LINES];

		if (strncmp(buf + s->off, "Error:", 6) == 0) {
			first = i;
			break;
		}
	}
	for (i = first; i < ntail && o + 1 < rlen; i++) {
		const struct span *s = &tail[(head + TF_TAIL_LINES - ntail + i) %
		                             TF_TAIL_LINES];
		const char *p = buf + s->off;
		size_t l = s->len;

		while (l > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			l--;
		}
		o += (size_t)snprintf(reason + o, rlen - o, "%s%.*s", o ? " " : "",
		                      (int)l, p);
	}
	if (o >= rlen && rlen > 4)
		memcpy(reason + rlen - 4, "...", 4);
out:
	free(buf);
	close(fd);
	unlink(path);
}

/*
 * Runs `terraform <args...>` in the working copy.  stdout streams into the
 * step log (or, with captured != NULL, is kept in *captured, free with
 * host->free); stderr is logged afterwards.  Exit status 0 -- and 2 when
 * exit2_ok -- is success; *exit_code receives it.  Returns INN_OK, or
 * INN_ERROR / INN_ECANCELLED / INN_ETIMEOUT / INN_ESPAWN / INN_ENOMEM after
 * logging why, the failure naming the command and quoting terraform.
 */
static int
tf_run(struct tf_ctx *x, const char *what, const char *const *args,
       int exit2_ok, int *exit_code, char **captured)
{
	const char *argv[64];
	char errpath[TF_PATH_MAX], reason[TF_REASON_MAX], dur[64];
	inn_spawn_opts opts;
	inn_spawn_result res;
	size_t n = 0, i;
	int rc;

	memset(&res, 0, sizeof(res));
	res.struct_size = sizeof(res);
	if (captured != NULL)
		*captured = NULL;
	if (exit_code != NULL)
		*exit_code = -1;
	if (x->host->cancelled(x->step)) {
		x->host->log(x->step, INN_LOG_WARN, "cancelled");
		return INN_ECANCELLED;
	}
	if (path_join(errpath, sizeof(errpath), x->wc, TF_STDERR_FILE) != 0)
		return INN_ERROR;
	/* sh only redirects stderr, then becomes terraform (same pid, so the
	 * host's process-group handling is unchanged). */
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = "f=$1; shift; exec \"$@\" 2>\"$f\"";
	argv[n++] = "innominatus-terraform";
	argv[n++] = errpath;
	argv[n++] = x->bin;
	for (i = 0; args[i] != NULL && n + 1 < sizeof(argv) / sizeof(argv[0]); i++)
		argv[n++] = args[i];
	argv[n] = NULL;

	memset(&opts, 0, sizeof(opts));
	opts.struct_size = sizeof(opts);
	opts.flags = captured != NULL ? INN_SPAWN_CAPTURE_STDOUT : 0;
	opts.argv = argv;
	opts.env = (const char *const *)x->env;
	opts.cwd = x->wc;
	opts.capture_max = TF_OUTPUT_CAPTURE_MAX;
	if (x->deadline > 0) {
		opts.timeout_ms = x->deadline - pu_monotonic_ms();
		if (opts.timeout_ms <= 0)
			opts.timeout_ms = 1;
	}
	x->host->log(x->step, INN_LOG_INFO, "$ terraform %s", what);
	if ((rc = x->host->spawn(x->step, &opts, &res)) != 0) {
		x->host->log(x->step, INN_LOG_ERROR, "terraform %s: %s", what,
		             x->host->last_error());
		goto out;
	}
	if (exit_code != NULL)
		*exit_code = res.exit_code;
	if (res.cancelled) {
		drain_stderr(x, errpath, INN_LOG_WARN, NULL, 0);
		x->host->log(x->step, INN_LOG_WARN, "cancelled during terraform %s",
		             what);
		rc = INN_ECANCELLED;
		goto out;
	}
	if (res.timed_out) {
		drain_stderr(x, errpath, INN_LOG_WARN, NULL, 0);
		if (x->deadline > 0 && pu_monotonic_ms() >= x->deadline) {
			pu_format_duration(dur, sizeof(dur), x->c->timeout_ms);
			x->host->log(x->step, INN_LOG_ERROR, "terraform %s timed out: "
			             "config.timeout (%s) passed", what, dur);
		} else {
			x->host->log(x->step, INN_LOG_ERROR, "terraform %s timed out: the "
			             "step's deadline passed", what);
		}
		rc = INN_ETIMEOUT;
		goto out;
	}
	if (res.term_signal == 0 &&
	    (res.exit_code == 0 || (exit2_ok && res.exit_code == 2))) {
		drain_stderr(x, errpath, INN_LOG_WARN, NULL, 0);
		if (captured != NULL && res.truncated) {
			x->host->log(x->step, INN_LOG_ERROR, "terraform %s printed more "
			             "than %u bytes", what, TF_OUTPUT_CAPTURE_MAX);
			rc = INN_ETOOBIG;
			goto out;
		}
		if (captured != NULL) {
			*captured = res.captured;
			res.captured = NULL;
		}
		rc = INN_OK;
		goto out;
	}
	drain_stderr(x, errpath, INN_LOG_ERROR, reason, sizeof(reason));
	if (res.term_signal != 0) {
		const char *abbr = sigabbrev_np(res.term_signal);

		x->host->log(x->step, INN_LOG_ERROR, "terraform %s was killed by "
		             "signal %d (SIG%s)%s%s", what, res.term_signal,
		             abbr ? abbr : "?", reason[0] ? ": " : "", reason);
	} else {
		x->host->log(x->step, INN_LOG_ERROR, "terraform %s failed (exit "
		             "status %d)%s%s", what, res.exit_code,
		             reason[0] ? ": " : "", reason);
	}
	rc = INN_ERROR;
out:
	if (res.captured != NULL)
		x->host->free(res.captured);
	return rc;
}

/* The backend config as "-backend-config=KEY=VALUE" strings (malloc'd,
 * NULL-terminated, each value registered with the masker) and their hash. */
static int
backend_args(struct tf_ctx *x, char ***out, uint64_t *hash)
{
	size_t n = x->c->backend ? (size_t)json_object_object_length(x->c->backend)
	                         : 0, i = 0;
	char **v;

	*hash = FNV_OFFSET;
	if ((*out = v = calloc(n + 1, sizeof(*v))) == NULL)
		return INN_ENOMEM;
	if (x->c->backend == NULL)
		return 0;
	json_object_object_foreach(x->c->backend, key, val) {
		const char *s = json_object_get_string(val);
		size_t len = strlen(key) + strlen(s) + sizeof("-backend-config==");

		x->host->mask(x->step, s);
		*hash = fnv1a_str(fnv1a_str(*hash, key), s);
		if ((v[i] = malloc(len)) == NULL)
			return INN_ENOMEM;
		snprintf(v[i], len, "-backend-config=%s=%s", key, s);
		i++;
	}
	return 0;
}

static void
free_strv(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/*
 * Runs `terraform init` when force is set or the stamp of the last
 * successful init (module, backend config, workspace, binary) differs,
 * with -reconfigure when only the backend config changed since; then
 * selects (or creates) the workspace.  Returns 0 or an error after logging.
 */
static int
ensure_init(struct tf_ctx *x, int force)
{
	const char *args[40];
	char **bargs = NULL, stamp[TF_PATH_MAX + 128], old[TF_PATH_MAX + 128];
	char env_ws[128], oldbackend[32], newbackend[32];
	uint64_t bhash;
	size_t n = 0, i;
	int rc, ws = strcmp(x->c->workspace, "default") != 0;
	const char *ob;

	if ((rc = backend_args(x, &bargs, &bhash)) != 0) {
		x->host->log(x->step, INN_LOG_ERROR, "out of memory");
		goto out;
	}
	snprintf(newbackend, sizeof(newbackend), "backend=%016" PRIx64, bhash);
	snprintf(stamp, sizeof(stamp), "module=%016" PRIx64 " %s workspace=%s "
	         "bin=%s\n", x->module_hash, newbackend, x->c->workspace, x->bin);
	read_small(x->wc, TF_STAMP_FILE, old, sizeof(old));
	read_small(x->wc, ".terraform/environment", env_ws, sizeof(env_ws));
	if (!force && strcmp(old, stamp) == 0 &&
	    (!ws || strcmp(env_ws, x->c->workspace) == 0))
		goto out;
	/* The stamp is rewritten only once init and workspace selection worked. */
	{
		char path[TF_PATH_MAX];

		if (path_join(path, sizeof(path), x->wc, TF_STAMP_FILE) == 0)
			unlink(path);
	}
	args[n++] = "init";
	args[n++] = "-input=false";
	args[n++] = "-no-color";
	ob = strstr(old, "backend=");
	snprintf(oldbackend, sizeof(oldbackend), "%.24s", ob ? ob : "");
	if (old[0] != '\0' && strcmp(oldbackend, newbackend) != 0)
		args[n++] = "-reconfigure";
	for (i = 0; bargs[i] != NULL && n + 1 < sizeof(args) / sizeof(args[0]); i++)
		args[n++] = bargs[i];
	if (bargs[i] != NULL) {
		x->host->log(x->step, INN_LOG_ERROR, "config.backend_config: more than "
		             "%zu keys", i);
		rc = INN_EINVAL;
		goto out;
	}
	args[n] = NULL;
	if ((rc = tf_run(x, "init", args, 0, NULL, NULL)) != 0)
		goto out;
	if (ws) {
		const char *wargs[] = { "workspace", "select", "-or-create=true",
		                        "-no-color", x->c->workspace, NULL };
		char what[160];

		snprintf(what, sizeof(what), "workspace select %s", x->c->workspace);
		if ((rc = tf_run(x, what, wargs, 0, NULL, NULL)) != 0)
			goto out;
	}
	if (write_small(x->wc, TF_STAMP_FILE, stamp) != 0)
		x->host->log(x->step, INN_LOG_WARN, "cannot write %s/%s: %s (init "
		             "runs again next time)", x->wc, TF_STAMP_FILE,
		             strerror(errno));
out:
	free_strv(bargs);
	return rc;
}

/* Registers every string inside a sensitive value with the masker. */
static void
mask_leaves(const inn_host *host, inn_step *step, json_object *v)
{
	size_t i;

	switch (json_object_get_type(v)) {
	case json_type_string:
		host->mask(step, json_object_get_string(v));
		break;
	case json_type_array:
		for (i = 0; i < json_object_array_length(v); i++)
			mask_leaves(host, step, json_object_array_get_idx(v, i));
		break;
	case json_type_object: {
		json_object_object_foreach(v, k, e) {
			(void)k;
			mask_leaves(host, step, e);
		}
		break;
	}
	default:
		break;
	}
}

/* Hands one terraform output to the host: strings as they are, anything
 * else as compact JSON; sensitive ones as secret outputs. */
static int
emit_output(struct tf_ctx *x, const char *name, json_object *entry)
{
	json_object *val = NULL, *sens = NULL;
	const char *text;
	int secret, rc;

	json_object_object_get_ex(entry, "value", &val);
	json_object_object_get_ex(entry, "sensitive", &sens);
	secret = json_object_get_boolean(sens);
	if (json_object_is_type(val, json_type_string))
		text = json_object_get_string(val);
	else
		text = json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN |
		                                      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (secret) {
		mask_leaves(x->host, x->step, val);
		x->host->mask(x->step, text);
	}
	rc = x->host->output(x->step, name, text, secret ? INN_OUTPUT_SECRET : 0);
	if (rc != 0)
		x->host->log(x->step, INN_LOG_ERROR, "output \"%s\": %s", name,
		             x->host->last_error());
	return rc;
}

/*
 * Reads `terraform output -json` and publishes the outputs config.outputs
 * names (all of them when unset); a named output the module does not have
 * is an error.  Returns 0 or an error after logging.
 */
static int
read_tf_outputs(struct tf_ctx *x)
{
	const char *args[] = { "output", "-json", "-no-color", NULL };
	char *text = NULL;
	json_object *all = NULL, *entry;
	enum json_tokener_error jerr;
	size_t i;
	int rc;

	if ((rc = tf_run(x, "output -json", args, 0, NULL, &text)) != 0)
		return rc;
	all = json_tokener_parse_verbose(text ? text : "", &jerr);
	if (text != NULL)
		x->host->free(text);
	if (!json_object_is_type(all, json_type_object)) {
		x->host->log(x->step, INN_LOG_ERROR, "terraform output -json did not "
		             "print a JSON object (%s)", all == NULL ?
		             json_tokener_error_desc(jerr) : "another type");
		rc = INN_ERROR;
		goto out;
	}
	if (x->c->outputs == NULL) {
		json_object_object_foreach(all, name, e) {
			if ((rc = emit_output(x, name, e)) != 0)
				goto out;
		}
		goto out;
	}
	for (i = 0; x->c->outputs[i] != NULL; i++) {
		if (!json_object_object_get_ex(all, x->c->outputs[i], &entry)) {
			char have[512];
			size_t o = 0;

			have[0] = '\0';
			json_object_object_foreach(all, name, e) {
				(void)e;
				if (o + 1 < sizeof(have))
					o += (size_t)snprintf(have + o, sizeof(have) - o, "%s%s",
					                      o ? ", " : "", name);
			}
			x->host->log(x->step, INN_LOG_ERROR, "config.outputs: terraform "
			             "has no output \"%s\" (it has: %s)", x->c->outputs[i],
			             have[0] ? have : "none");
			rc = INN_ERROR;
			goto out;
		}
		if ((rc = emit_output(x, x->c->outputs[i], entry)) != 0)
			goto out;
	}
out:
	json_object_put(all);
	return rc;
}

/* `terraform plan` (-destroy with destroy); publishes changes=true|false. */
static int
run_plan(struct tf_ctx *x, int destroy)
{
	const char *args[] = { "plan", "-input=false", "-no-color",
	                       "-detailed-exitcode", "-out=" TF_PLAN_FILE,
	                       destroy ? "-destroy" : NULL, NULL };
	char plan[TF_PATH_MAX];
	int code = -1, rc;

	rc = tf_run(x, destroy ? "plan -destroy" : "plan", args, 1, &code, NULL);
	/* the plan file holds variable values: never leave it behind */
	if (path_join(plan, sizeof(plan), x->wc, TF_PLAN_FILE) == 0)
		unlink(plan);
	if (rc != 0)
		return rc;
	if ((rc = x->host->output(x->step, "changes", code == 2 ? "true" : "false",
	    0)) != 0)
		x->host->log(x->step, INN_LOG_ERROR, "output \"changes\": %s",
		             x->host->last_error());
	return rc;
}

/* TF_* defaults, then config.env (which wins). */
static int
build_env(struct tf_ctx *x)
{
	static const char *const defaults[] = {
		"TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1", NULL
	};
	size_t i;

	if ((x->env = calloc(x->c->nenv + 5, sizeof(*x->env))) == NULL)
		return INN_ENOMEM;
	for (i = 0; defaults[i] != NULL; i++)
		if ((x->env[x->nenv++] = strdup(defaults[i])) == NULL)
			return INN_ENOMEM;
	if (!x->c->user_cli_config &&
	    (x->env[x->nenv++] = strdup("TF_CLI_CONFIG_FILE=/dev/null")) == NULL)
		return INN_ENOMEM;
	for (i = 0; i < x->c->nenv; i++)
		if ((x->env[x->nenv++] = strdup(x->c->env[i])) == NULL)
			return INN_ENOMEM;
	return 0;
}

/* host->state_dir(), or NULL after logging why there is none. */
static const char *
state_dir_of(const inn_host *host, inn_step *step)
{
	const char *d;

	if (host->abi_minor < 1 || host->struct_size <
	    offsetof(inn_host, state_dir) + sizeof(host->state_dir) ||
	    host->state_dir == NULL) {
		host->log(step, INN_LOG_ERROR, "terraform.so needs a host with plugin "
		          "ABI 1.1 or later (host->state_dir) to keep terraform state "
		          "between runs; this host has ABI %u.%u", host->abi_major,
		          host->abi_minor);
		return NULL;
	}
	if ((d = host->state_dir(step)) == NULL)
		host->log(step, INN_LOG_ERROR, "terraform.so: the host keeps no state "
		          "directory for this step (%s); terraform state would be "
		          "lost between runs, so nothing was run",
		          host->last_error() && *host->last_error() ?
		          host->last_error() : "no state root configured");
	return d;
}

/* --- the plugin ---------------------------------------------------------- */

static int
tf_init(const inn_host *host, void **state)
{
	char buf[TF_PATH_MAX];

	*state = NULL;
	if (pu_find_program("terraform", buf, sizeof(buf)) != 0)
		host->log(NULL, INN_LOG_WARN, "terraform.so: terraform not found in "
		          "PATH; install it or set config.terraform_bin (workflows "
		          "still validate; terraform steps fail until then)");
	return INN_OK;
}

static int
tf_validate(void *state, const inn_host *host, const inn_step *step,
            char *err, size_t errlen)
{
	struct tf_config c;
	int rc;

	(void)state;
	if ((rc = config_read(host, step, 0, &c, err, errlen)) != 0)
		return rc;
	config_free(&c);
	return INN_OK;
}

/*
 * Runs the step: reads the rendered config, prepares the working copy,
 * initialises when needed and runs the operation (plan only in a dry-run).
 * Returns INN_OK, INN_ERROR (terraform failed), INN_ETIMEOUT,
 * INN_ECANCELLED, INN_EINVAL (config, module) or INN_ENOMEM, always after
 * logging why.
 */
static int
tf_execute(void *state, const inn_host *host, inn_step *step)
{
	struct tf_config c;
	struct tf_ctx x;
	const char *sdir;
	char err[512], vars[TF_PATH_MAX];
	int rc, lock_fd = -1, op, dry = host->dry_run(step);
	size_t i;

	(void)state;
	memset(&x, 0, sizeof(x));
	if ((rc = config_read(host, step, 1, &c, err, sizeof(err))) != 0) {
		host->log(step, INN_LOG_ERROR, "%s", err);
		return rc;
	}
	x.host = host;
	x.step = step;
	x.c = &c;
	if (c.timeout_ms > 0)
		x.deadline = pu_monotonic_ms() + c.timeout_ms;
	if ((sdir = state_dir_of(host, step)) == NULL) {
		rc = INN_ERROR;
		goto out;
	}
	if (pu_find_program(c.terraform_bin, x.bin, sizeof(x.bin)) != 0) {
		log_not_found(host, step, INN_LOG_ERROR, c.terraform_bin);
		rc = INN_ERROR;
		goto out;
	}
	if ((rc = build_env(&x)) != 0) {
		host->log(step, INN_LOG_ERROR, "out of memory");
		goto out;
	}
	if ((rc = prepare_working_copy(&x, sdir, &lock_fd)) != 0)
		goto out;

	op = c.op;
	if (dry && (op == TF_OP_APPLY || op == TF_OP_DESTROY))
		host->log(step, INN_LOG_INFO, "dry-run: planning instead of %s",
		          tf_op_names[op]);
	if ((rc = ensure_init(&x, op == TF_OP_INIT)) != 0)
		goto out;
	switch (op) {
	case TF_OP_INIT:
		break;
	case TF_OP_PLAN:
		rc = run_plan(&x, 0);
		break;
	case TF_OP_APPLY:
		if (dry) {
			rc = run_plan(&x, 0);
			break;
		} else {
			const char *args[] = { "apply", "-input=false", "-no-color",
			                       "-auto-approve", NULL };

			if ((rc = tf_run(&x, "apply", args, 0, NULL, NULL)) == 0)
				rc = read_tf_outputs(&x);
		}
		break;
	case TF_OP_DESTROY:
		if (dry) {
			rc = run_plan(&x, 1);
		} else {
			const char *args[] = { "destroy", "-input=false", "-no-color",
			                       "-auto-approve", NULL };

			rc = tf_run(&x, "destroy", args, 0, NULL, NULL);
		}
		break;
	case TF_OP_OUTPUT:
		rc = read_tf_outputs(&x);
		break;
	}
out:
	/* variable values stay on disk only while terraform needs them */
	if (x.wc[0] != '\0' && path_join(vars, sizeof(vars), x.wc, TF_VARS_FILE) == 0)
		unlink(vars);
	if (lock_fd >= 0)
		close(lock_fd);
	for (i = 0; i < x.nenv; i++)
		free(x.env[i]);
	free(x.env);
	config_free(&c);
	return rc;
}

static const char *const tf_step_types[] = { "terraform", NULL };

static const char tf_config_schema[] =
	"{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
	"\"type\":\"object\",\"additionalProperties\":false,"
	"\"oneOf\":[{\"required\":[\"working_dir\"]},{\"required\":[\"module\"]}],"
	"\"properties\":{"
	"\"working_dir\":{\"type\":\"string\",\"description\":\"the module "
	"folder: absolute, or relative to module_base (else the provider "
	"folder); no '..', no symbolic links out of it\"},"
	"\"module_base\":{\"type\":\"string\"},"
	"\"module\":{\"oneOf\":[{\"type\":\"string\",\"description\":\"HCL "
	"written to main.tf\"},{\"type\":\"object\",\"minProperties\":1,"
	"\"propertyNames\":{\"pattern\":\"^[A-Za-z0-9_][A-Za-z0-9_.-]*$\"},"
	"\"additionalProperties\":{\"type\":\"string\"}}]},"
	"\"operation\":{\"enum\":[\"init\",\"plan\",\"apply\",\"destroy\","
	"\"output\"],\"default\":\"apply\"},"
	"\"variables\":{\"type\":\"object\",\"propertyNames\":{\"pattern\":"
	"\"^[A-Za-z_][A-Za-z0-9_-]*$\"},\"description\":\"written to "
	"innominatus.auto.tfvars.json; values keep their JSON types\"},"
	"\"backend_config\":{\"type\":\"object\",\"additionalProperties\":"
	"{\"type\":[\"string\",\"number\",\"boolean\"]},\"description\":"
	"\"-backend-config=KEY=VALUE for init; values are masked in logs\"},"
	"\"workspace\":{\"type\":\"string\",\"default\":\"default\","
	"\"pattern\":\"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,89}$\"},"
	"\"outputs\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
	"\"pattern\":\"^[A-Za-z_][A-Za-z0-9_-]*$\"},\"description\":\"terraform "
	"outputs that become step outputs (default: all)\"},"
	"\"env\":{\"type\":\"object\","
	"\"propertyNames\":{\"pattern\":\"^[A-Za-z_][A-Za-z0-9_]*$\"},"
	"\"additionalProperties\":{\"type\":[\"string\",\"number\",\"boolean\"]}},"
	"\"timeout\":{\"type\":[\"string\",\"number\"]},"
	"\"terraform_bin\":{\"type\":\"string\",\"default\":\"terraform\"},"
	"\"state_key\":{\"type\":\"string\",\"pattern\":"
	"\"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$\",\"description\":\"names the "
	"working copy (and so the state) instead of the module's path or "
	"inline content\"}"
	"}}";

static const char tf_outputs_schema[] =
	"{\"type\":\"object\",\"properties\":{\"changes\":{\"enum\":[\"true\","
	"\"false\"],\"description\":\"plan (and dry-run): whether anything "
	"would change\"}},\"additionalProperties\":{\"type\":\"string\","
	"\"description\":\"terraform outputs: strings as they are, other "
	"values as compact JSON; sensitive ones are secret\"}}";

static const inn_plugin_descriptor tf_descriptor = {
	INN_PLUGIN_MAGIC,
	INN_PLUGIN_ABI_MAJOR,
	INN_PLUGIN_ABI_MINOR,
	sizeof(inn_plugin_descriptor),
	INN_PLUGIN_DRY_RUN | INN_PLUGIN_IDEMPOTENT | INN_PLUGIN_CANCELLABLE,
	"terraform",
	TF_VERSION,
	tf_step_types,
	tf_config_schema,
	tf_outputs_schema,
	tf_init,
	tf_validate,
	tf_execute,
	NULL,
};

INN_PLUGIN_EXPORT const inn_plugin_descriptor *
inn_plugin_describe_v1(void)
{
	return &tf_descriptor;
}
