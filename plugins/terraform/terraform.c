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

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin_util.h"
#include "terraform_int.h"

#ifdef PACKAGE_VERSION
#define TF_VERSION PACKAGE_VERSION
#else
#define TF_VERSION "0.1.0"
#endif

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

static int
tf_init(const inn_host *host, void **state)
{
	return pu_init_needs_program(host, state, "terraform", "terraform.so: "
	                             "terraform not found in PATH; install it or "
	                             "set config.terraform_bin (workflows still "
	                             "validate; terraform steps fail until then)");
}

/* validate()'s check: a written-out working_dir (and module_base)
 * resolved by the rule the run applies, so a folder that is missing or
 * leads out of the provider folder refuses the workflow at load; a
 * rendered one is checked when the step runs. */
static int
tf_check_paths(const inn_host *host, inn_step *step, const struct tf_config *c,
               char *err, size_t errlen)
{
	char dir[PATH_MAX];

	if (c->working_dir == NULL || pu_is_template(c->working_dir) ||
	    (c->module_base != NULL && pu_is_template(c->module_base)))
		return INN_OK;
	return tf_module_dir(host, step, c, dir, err, errlen);
}

PU_DEFINE_VALIDATE_CHECK(tf_validate, struct tf_config, tf_config_read,
                         tf_config_free, tf_check_paths);

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

	(void)state;
	memset(&x, 0, sizeof(x));
	if ((rc = tf_config_read(host, step, 1, &c, err, sizeof(err))) != 0) {
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
		tf_log_not_found(host, step, INN_LOG_ERROR, c.terraform_bin);
		rc = INN_ERROR;
		goto out;
	}
	if ((rc = tf_build_env(&x)) != 0) {
		host->log(step, INN_LOG_ERROR, "out of memory");
		goto out;
	}
	if ((rc = tf_prepare_working_copy(&x, sdir, &lock_fd)) != 0)
		goto out;

	op = c.op;
	if (dry && (op == TF_OP_APPLY || op == TF_OP_DESTROY))
		host->log(step, INN_LOG_INFO, "dry-run: planning instead of %s",
		          tf_op_names[op]);
	if ((rc = tf_ensure_init(&x, op == TF_OP_INIT)) != 0)
		goto out;
	switch (op) {
	case TF_OP_INIT:
		break;
	case TF_OP_PLAN:
		rc = tf_run_plan(&x, 0);
		break;
	case TF_OP_APPLY:
		if (dry) {
			rc = tf_run_plan(&x, 0);
			break;
		} else {
			const char *args[] = { "apply", "-input=false", "-no-color",
			                       "-auto-approve", NULL };

			if ((rc = tf_run(&x, "apply", args, 0, NULL, NULL)) == 0)
				rc = tf_read_outputs(&x);
		}
		break;
	case TF_OP_DESTROY:
		if (dry) {
			rc = tf_run_plan(&x, 1);
		} else {
			const char *args[] = { "destroy", "-input=false", "-no-color",
			                       "-auto-approve", NULL };

			rc = tf_run(&x, "destroy", args, 0, NULL, NULL);
		}
		break;
	case TF_OP_OUTPUT:
		rc = tf_read_outputs(&x);
		break;
	}
out:
	/* variable values stay on disk only while terraform needs them */
	if (x.wc[0] != '\0' && tf_path_join(vars, sizeof(vars), x.wc, TF_VARS_FILE) == 0)
		unlink(vars);
	if (lock_fd >= 0)
		close(lock_fd);
	pu_strv_free(x.env);
	tf_config_free(&c);
	return rc;
}

static const char *const tf_step_types[] = { "terraform", NULL };

static const char tf_config_schema[] =
	PU_CONFIG_SCHEMA_HEAD
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

PU_DEFINE_PLUGIN(INN_PLUGIN_DRY_RUN | INN_PLUGIN_IDEMPOTENT |
                 INN_PLUGIN_CANCELLABLE, "terraform", TF_VERSION, tf_step_types,
                 tf_config_schema, tf_outputs_schema, tf_init, tf_validate,
                 tf_execute, NULL)
