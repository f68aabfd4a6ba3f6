/*
 * terraform_int.h - what the files of terraform.so share: its limits and
 * file names, the step config, the per-run context and the functions
 * one file offers the others.  Layers, top down: terraform.c (entry
 * points) -> tf_cli.c (running terraform, outputs) -> tf_workdir.c (the
 * working copy) -> tf_config.c (the step config).
 */
#ifndef INN_TERRAFORM_INT_H
#define INN_TERRAFORM_INT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <innominatus/plugin.h>

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

/* The operations by enum tf_op, NULL-terminated. */
extern const char *const tf_op_names[];

/* The step config.  Strings are borrowed from the host or from the json
 * objects held here; the arrays are ours. */
struct tf_config {
	const char *working_dir;    /* NULL: inline module */
	const char *module_base;
	json_object *module;        /* inline: a string, or filename -> content */
	const char *operation;      /* as written, or NULL */
	int op;                     /* enum tf_op */
	json_object *variables;     /* object, or NULL */
	json_object *backend;       /* object key -> scalar, or NULL */
	const char *workspace;      /* "default" unless set */
	const char **outputs;       /* NULL-terminated, or NULL: all */
	char **env;                 /* NULL-terminated "NAME=value", or NULL */
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

/* ---- tf_config.c ---- */

/*
 * Reads and checks the whole step config into c.  rendered is zero at load
 * time: strings that still hold templates then skip their content checks.
 * Returns 0, or INN_EINVAL / INN_ENOMEM with a one-line reason naming the
 * field in err; c is then freed.
 */
int tf_config_read(const inn_host *host, const inn_step *step, int rendered,
                   struct tf_config *c, char *err, size_t errlen);
void tf_config_free(struct tf_config *c);
/* Names terraform or this plugin keep in the working copy: never copied
 * from a module folder nor written from an inline module. */
int tf_reserved_name(const char *name);

/* ---- tf_workdir.c ---- */

#define TF_FNV_OFFSET UINT64_C(14695981039346656037)
/* 64-bit FNV-1a of a string including its terminating NUL (so "ab","c"
 * != "a","bc"), continued from h. */
uint64_t tf_fnv1a_str(uint64_t h, const char *s);
/* Joins a and b with '/' into buf; returns 0 or -1 if it does not fit. */
int tf_path_join(char *buf, size_t len, const char *a, const char *b);
/* The module folder config.working_dir names, resolved into out
 * (PATH_MAX): the one rule validate() and the run apply (see the
 * definition).  Returns 0, or INN_EINVAL with the reason in err. */
int tf_module_dir(const inn_host *host, inn_step *step, const struct tf_config *c,
                  char *out, char *err, size_t errlen);
/* Reads a small file into buf (NUL-terminated, truncated); "" if absent. */
void tf_read_small(const char *dir, const char *name, char *buf, size_t len);
/* Writes text to dir/name (0600) through a temporary file and rename;
 * 0 or -1 with errno set. */
int tf_write_small(const char *dir, const char *name, const char *text);
/*
 * Makes the working copy: <state_dir>/<identity>-<workspace>/, the module
 * copied in, stale files removed, the variables file written (or removed).
 * *lock_fd receives the held lock.  Returns 0 or an error after logging.
 */
int tf_prepare_working_copy(struct tf_ctx *x, const char *state_dir,
                            int *lock_fd);

/* ---- tf_cli.c ---- */

/* Logs that bin (config.terraform_bin) cannot be found. */
void tf_log_not_found(const inn_host *host, inn_step *step, int level,
                      const char *bin);
/* TF_* defaults, then config.env (which wins), into x->env. */
int tf_build_env(struct tf_ctx *x);
/*
 * Runs `terraform <args...>` in the working copy.  stdout streams into the
 * step log (or, with captured != NULL, is kept in *captured, free with
 * host->free); stderr is logged afterwards.  Exit status 0 -- and 2 when
 * exit2_ok -- is success; *exit_code receives it.  Returns INN_OK, or
 * INN_ERROR / INN_ECANCELLED / INN_ETIMEOUT / INN_ESPAWN / INN_ENOMEM after
 * logging why, the failure naming the command and quoting terraform.
 */
int tf_run(struct tf_ctx *x, const char *what, const char *const *args,
           int exit2_ok, int *exit_code, char **captured);
/*
 * Runs `terraform init` when force is set or the stamp of the last
 * successful init (module, backend config, workspace, binary) differs,
 * with -reconfigure when only the backend config changed since; then
 * selects (or creates) the workspace.  Returns 0 or an error after logging.
 */
int tf_ensure_init(struct tf_ctx *x, int force);
/* `terraform plan` (-destroy with destroy); publishes changes=true|false. */
int tf_run_plan(struct tf_ctx *x, int destroy);
/*
 * Reads `terraform output -json` and publishes the outputs config.outputs
 * names (all of them when unset); a named output the module does not have
 * is an error.  Returns 0 or an error after logging.
 */
int tf_read_outputs(struct tf_ctx *x);

#endif
