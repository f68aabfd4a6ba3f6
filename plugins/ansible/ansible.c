/*
 * ansible.c - the "ansible" step plugin: runs ansible-playbook through
 * host->spawn (own process group, deadline, cancellation, stderr streamed
 * through the masker) and turns its result into step outputs.
 *
 * What the plugin writes into the step workspace (.inn-ansible/, 0700):
 *   callback/innominatus_json.py  the stdout callback (callback.h): stdout
 *                                 is captured and parsed as one JSON document
 *   extra-vars.yml (0600)         config.extra_vars as YAML whose every string
 *                                 is tagged !unsafe, so ansible never
 *                                 evaluates Jinja in a value; passed as
 *                                 -e @file, never on the command line
 *   vault-pass (0600)             the vault password secret, removed after
 *   ansible.log                   ANSIBLE_LOG_PATH: where an "ERROR!" that
 *                                 stops ansible-playbook before any task
 *                                 (a bad playbook) is found for the message
 *   playbook.yml (0600)           config.playbook_content, if given
 * Because stdout is captured, the plugin logs a per-task summary itself.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ansible_int.h"
#include "callback.h"

#ifdef PACKAGE_VERSION
#define ANSIBLE_VERSION PACKAGE_VERSION
#else
#define ANSIBLE_VERSION "0.1.0"
#endif

/*
 * Writes len bytes of data to path with mode (replacing any file or
 * symlink there, never following one).  Returns 0, or an error after
 * logging it.
 */
static int
write_file(const inn_host *host, inn_step *step, const char *path,
           const char *data, size_t len, mode_t mode)
{
	size_t off = 0;
	int fd, rc = 0;

	if (unlink(path) != 0 && errno != ENOENT) {
		host->log(step, INN_LOG_ERROR, "cannot replace %s: %s", path,
		          strerror(errno));
		return INN_ERROR;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		host->log(step, INN_LOG_ERROR, "cannot create %s: %s", path,
		          strerror(errno));
		return INN_ERROR;
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			host->log(step, INN_LOG_ERROR, "cannot write %s: %s", path,
			          strerror(errno));
			rc = INN_ERROR;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) != 0 && rc == 0) {
		host->log(step, INN_LOG_ERROR, "cannot write %s: %s", path,
		          strerror(errno));
		rc = INN_ERROR;
	}
	return rc;
}

/* Creates dir (mode 0700) unless it exists. */
static int
make_dir(const inn_host *host, inn_step *step, const char *dir)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		host->log(step, INN_LOG_ERROR, "cannot create %s: %s", dir,
		          strerror(errno));
		return INN_ERROR;
	}
	return 0;
}

/* The paths of one run, all inside the step workspace. */
struct ansible_paths {
	char dir[ANSIBLE_PATH_MAX];        /* <ws>/.inn-ansible */
	char callbacks[ANSIBLE_PATH_MAX];  /* <dir>/callback */
	char extra_vars[ANSIBLE_PATH_MAX];
	char vault[ANSIBLE_PATH_MAX];
	char log[ANSIBLE_PATH_MAX];
	char tmp_local[ANSIBLE_PATH_MAX];
	char tmp_remote[ANSIBLE_PATH_MAX];
	char playbook[ANSIBLE_PATH_MAX];   /* the playbook that runs */
};

/* dir + "/" + name into buf (ANSIBLE_PATH_MAX); -1 if it does not fit. */
static int
path_join(char *buf, const char *dir, const char *name)
{
	return (size_t)snprintf(buf, ANSIBLE_PATH_MAX, "%s/%s", dir, name) >=
	    ANSIBLE_PATH_MAX ? -1 : 0;
}

static int
paths_init(struct ansible_paths *p, const char *ws)
{
	p->playbook[0] = '\0';
	if (path_join(p->dir, ws, ANSIBLE_DIR) != 0 ||
	    path_join(p->callbacks, p->dir, "callback") != 0 ||
	    path_join(p->extra_vars, p->dir, "extra-vars.yml") != 0 ||
	    path_join(p->vault, p->dir, "vault-pass") != 0 ||
	    path_join(p->log, p->dir, "ansible.log") != 0 ||
	    path_join(p->tmp_local, p->dir, "tmp-local") != 0 ||
	    path_join(p->tmp_remote, p->dir, "tmp-remote") != 0)
		return -1;
	return 0;
}

/* host->base_dir(step) if the host has it (ABI 1.1 hosts built before it
 * was added do not), else NULL. */
static const char *
host_base_dir(const inn_host *host, const inn_step *step)
{
	if (host->struct_size < offsetof(inn_host, base_dir) + sizeof(host->base_dir) ||
	    host->base_dir == NULL)
		return NULL;
	return host->base_dir(step);
}

/*
 * Resolves config.playbook (a path) into out (PATH_MAX): absolute ones
 * must lead into the provider folder, playbook_base or the step's own
 * folders; relative ones under playbook_base, else under the host's
 * base_dir (the provider's folder) -- where realpath must still land
 * inside that folder, so a symlink cannot lead out either; it must be a
 * readable file.  The one rule for both validate() (written-out paths,
 * at load) and the run.  Returns 0, or INN_EINVAL with the reason in err.
 */
static int
ans_playbook_path(const inn_host *host, inn_step *step,
                  const struct ansible_config *c, char *out, char *err, size_t errlen)
{
	char joined[ANSIBLE_PATH_MAX], *base = NULL, *real = NULL;
	const char *from = c->playbook_base ? c->playbook_base :
	    host_base_dir(host, step);
	const char *what = c->playbook_base ? "playbook_base" : "the base folder";
	struct stat st;
	size_t blen;
	int rc = INN_EINVAL;

	if (c->playbook[0] == '/') {
		/* IJ-9: an absolute path (perhaps rendered from a user's
		 * parameter) must still lead into the provider folder,
		 * playbook_base, or the step's workspace/state folder --
		 * symbolic links resolved -- never to /etc/shadow */
		if (pu_confine(host, step, "playbook", c->playbook, NULL, c->playbook_base,
		    out, err, errlen) != 0)
			goto out;
	} else {
		if (from == NULL) {
			pu_refuse(err, errlen, "config.playbook: \"%s\" is relative and the "
			          "host names no base folder: give an absolute path or "
			          "config.playbook_base", c->playbook);
			goto out;
		}
		if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", from,
		    c->playbook) >= sizeof(joined)) {
			pu_refuse(err, errlen, "config.playbook: path too long");
			goto out;
		}
		if ((base = realpath(from, NULL)) == NULL) {
			pu_refuse(err, errlen, "config.playbook: %s \"%s\": %s", what, from,
			          strerror(errno));
			goto out;
		}
		if ((real = realpath(joined, NULL)) == NULL) {
			pu_refuse(err, errlen, "config.playbook: \"%s\": %s", joined,
			          strerror(errno));
			goto out;
		}
		blen = strlen(base);
		if (strncmp(real, base, blen) != 0 ||
		    (real[blen] != '/' && !(blen == 1 && base[0] == '/'))) {
			pu_refuse(err, errlen, "config.playbook: \"%s\" leads out of %s %s "
			          "(to %s)", c->playbook, what, base, real);
			goto out;
		}
		snprintf(out, PATH_MAX, "%s", real);
	}
	if (stat(out, &st) != 0 || access(out, R_OK) != 0) {
		pu_refuse(err, errlen, "config.playbook: cannot read \"%s\": %s", out,
		          strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		pu_refuse(err, errlen, "config.playbook: \"%s\" is not a file", out);
		goto out;
	}
	rc = 0;
out:
	free(base);
	free(real);
	return rc;
}

/* Resolves config.playbook into p->playbook (ans_playbook_path), or writes
 * playbook_content to the workspace.  Returns 0 or an error after logging
 * it. */
static int
prepare_playbook(const inn_host *host, inn_step *step,
                 const struct ansible_config *c, struct ansible_paths *p,
                 const char *ws)
{
	char real[PATH_MAX], why[ANSIBLE_PATH_MAX + 512];

	if (c->playbook_content != NULL) {
		snprintf(p->playbook, sizeof(p->playbook), "%s/playbook.yml", ws);
		return write_file(host, step, p->playbook, c->playbook_content,
		                  strlen(c->playbook_content), 0600);
	}
	if (ans_playbook_path(host, step, c, real, why, sizeof(why)) != 0) {
		host->log(step, INN_LOG_ERROR, "%s", why);
		return INN_EINVAL;
	}
	snprintf(p->playbook, sizeof(p->playbook), "%s", real);
	return 0;
}

/*
 * Confines a string config.inventory that names a file (IJ-9): a host list
 * ("a,b,") may hold no '/'; a path -- absolute, or relative to the step's
 * workspace where ansible-playbook runs -- must resolve inside the
 * provider folder, playbook_base or the step's workspace/state folders.  A
 * bare name that is no file there (e.g. "localhost") is passed on as it
 * is.  real receives the resolved path (PATH_MAX).  Returns 0 or
 * INN_EINVAL after logging.
 */
static int
confine_inventory(const inn_host *host, inn_step *step, struct ansible_config *c,
                  const char *ws, char *real)
{
	const char *inv = c->inventory;
	char joined[PATH_MAX], why[512];
	struct stat st;

	if (strchr(inv, ',') != NULL) {
		if (strchr(inv, '/') == NULL)
			return 0;
		host->log(step, INN_LOG_ERROR, "config.inventory: a host list (with ',') "
		          "must not contain '/'; refused");
		return INN_EINVAL;
	}
	if (inv[0] != '/' && strchr(inv, '/') == NULL &&
	    ((size_t)snprintf(joined, sizeof(joined), "%s/%s", ws, inv) >=
	    sizeof(joined) || lstat(joined, &st) != 0))
		return 0; /* a host name; ansible-playbook decides */
	if (pu_confine(host, step, "inventory", inv, ws, c->playbook_base, real, why,
	    sizeof(why)) != 0) {
		host->log(step, INN_LOG_ERROR, "%s", why);
		return INN_EINVAL;
	}
	c->inventory = real;
	return 0;
}

/* Writes config.extra_vars to p->extra_vars (0600) as !unsafe YAML. */
static int
prepare_extra_vars(const inn_host *host, inn_step *step,
                   const struct ansible_paths *p)
{
	pu_buf b = PU_BUF_INIT(ANSIBLE_VARS_MAX);
	char *json = NULL, err[512];
	json_object *v = NULL;
	int rc;

	if ((rc = host->input_json(step, "extra_vars", &json)) != 0) {
		host->log(step, INN_LOG_ERROR, "config.extra_vars: %s",
		          host->last_error());
		goto out;
	}
	if ((v = json_tokener_parse(json)) == NULL ||
	    !json_object_is_type(v, json_type_object)) {
		host->log(step, INN_LOG_ERROR, "config.extra_vars: must be an object of "
		          "variable: value");
		rc = INN_EINVAL;
		goto out;
	}
	if ((rc = ans_vars_yaml(&b, v, err, sizeof(err))) != 0) {
		host->log(step, INN_LOG_ERROR, "%s", err);
		goto out;
	}
	rc = write_file(host, step, p->extra_vars, b.p, b.len, 0600);
out:
	if (json != NULL) {
		/* it may hold rendered secrets */
		explicit_bzero(json, strlen(json));
		host->free(json);
	}
	pu_buf_free(&b);
	json_object_put(v);
	return rc;
}

/* Fetches the vault password secret (which registers it with the masker)
 * and writes it to p->vault (0600, not executable: ansible would run an
 * executable password file). */
static int
prepare_vault(const inn_host *host, inn_step *step,
              const struct ansible_config *c, const struct ansible_paths *p)
{
	const char *pw = NULL;

	if (host->secret(step, c->vault_secret, &pw) != 0 || pw == NULL) {
		host->log(step, INN_LOG_ERROR, "config.vault_password_secret: %s",
		          host->last_error());
		return INN_ENOTFOUND;
	}
	return write_file(host, step, p->vault, pw, strlen(pw), 0600);
}

static int
build_env(const struct ansible_config *c, const struct ansible_paths *p,
          char ***out)
{
	char **env, cbpath[ANSIBLE_PATH_MAX + 128];
	size_t n = 0, i;

	if ((env = calloc(pu_strv_len((const char *const *)c->env) + 16,
	    sizeof(*env))) == NULL)
		return INN_ENOMEM;
	*out = env;
	for (i = 0; c->env != NULL && c->env[i] != NULL; i++)
		if ((env[n++] = strdup(c->env[i])) == NULL)
			return INN_ENOMEM;
	snprintf(cbpath, sizeof(cbpath), "%s:~/.ansible/plugins/callback:"
	         "/usr/share/ansible/plugins/callback", p->callbacks);
	if (pu_env_add(env, &n, "ANSIBLE_STDOUT_CALLBACK", ANSIBLE_CALLBACK_NAME) ||
	    pu_env_add(env, &n, "ANSIBLE_CALLBACK_PLUGINS", cbpath) ||
	    pu_env_add(env, &n, "ANSIBLE_NOCOLOR", "1") ||
	    pu_env_add(env, &n, "ANSIBLE_FORCE_COLOR", "0") ||
	    pu_env_add(env, &n, "ANSIBLE_HOST_KEY_CHECKING", "False") ||
	    pu_env_add(env, &n, "ANSIBLE_RETRY_FILES_ENABLED", "False") ||
	    pu_env_add(env, &n, "ANSIBLE_LOCAL_TEMP", p->tmp_local) ||
	    pu_env_add(env, &n, "ANSIBLE_REMOTE_TEMP", p->tmp_remote) ||
	    pu_env_add(env, &n, "ANSIBLE_LOG_PATH", p->log) ||
	    pu_env_add(env, &n, "PYTHONUNBUFFERED", "1"))
		return INN_ENOMEM;
	return 0;
}

/* Adds "--opt=value" (malloc'd, kept in owned) to argv. */
static int
arg_opt(const char **argv, size_t *n, char **owned, size_t *nowned,
        const char *opt, const char *value)
{
	size_t len;
	char *s;

	if (value == NULL)
		return INN_ENOMEM;
	len = strlen(opt) + strlen(value) + 2;
	if ((s = malloc(len)) == NULL)
		return INN_ENOMEM;
	snprintf(s, len, "%s=%s", opt, value);
	owned[(*nowned)++] = s;
	argv[(*n)++] = s;
	return 0;
}

/* Joins the strings of a NULL-terminated array with sep, then trail;
 * malloc'd, NULL when out of memory. */
static char *
join(const char *const *v, const char *sep, const char *trail)
{
	pu_buf b = PU_BUF_INIT(ANSIBLE_PATH_MAX * 16);
	size_t i;

	pu_buf_adds(&b, "");
	for (i = 0; v[i] != NULL; i++)
		pu_buf_addf(&b, "%s%s", i > 0 ? sep : "", v[i]);
	if (pu_buf_adds(&b, trail) != 0) {
		pu_buf_free(&b);
		return NULL;
	}
	return b.p;
}

/*
 * The command line.  Values go in "--opt=value" form so none can pass for
 * an option; extra vars and the vault password only ever as file names.
 */
static int
build_argv(const struct ansible_config *c, const struct ansible_paths *p,
           int check, const char **argv, char **owned, size_t *nowned)
{
	size_t n = 0, i;
	char *s;
	int rc;

	argv[n++] = ANSIBLE_PROGRAM;
	if (c->inventory_list != NULL) {
		s = join(c->inventory_list, ",", ",");
		rc = arg_opt(argv, &n, owned, nowned, "--inventory", s);
		free(s);
	} else if (c->inventory != NULL) {
		rc = arg_opt(argv, &n, owned, nowned, "--inventory", c->inventory);
	} else {
		argv[n++] = "--inventory=localhost,";
		argv[n++] = "--connection=local";
		rc = 0;
	}
	if (rc != 0)
		return rc;
	if (c->has_extra_vars) {
		size_t len = strlen(p->extra_vars) + 2;

		if ((s = malloc(len)) == NULL)
			return INN_ENOMEM;
		snprintf(s, len, "@%s", p->extra_vars);
		owned[(*nowned)++] = s;
		argv[n++] = "--extra-vars";
		argv[n++] = s;
	}
	for (i = 0; i < 2; i++) {
		const char *const *tags = i == 0 ? c->tags : c->skip_tags;

		if (tags == NULL || tags[0] == NULL)
			continue;
		s = join(tags, ",", "");
		rc = arg_opt(argv, &n, owned, nowned, i == 0 ? "--tags" :
		             "--skip-tags", s);
		free(s);
		if (rc != 0)
			return rc;
	}
	if (c->limit != NULL &&
	    (rc = arg_opt(argv, &n, owned, nowned, "--limit", c->limit)) != 0)
		return rc;
	if (c->vault_secret != NULL &&
	    (rc = arg_opt(argv, &n, owned, nowned, "--vault-password-file",
	    p->vault)) != 0)
		return rc;
	if (check)
		argv[n++] = "--check";
	if (c->diff)
		argv[n++] = "--diff";
	if (c->become)
		argv[n++] = "--become";
	argv[n++] = "--";
	argv[n++] = p->playbook;
	argv[n] = NULL;
	return 0;
}

static int
ansible_init(const inn_host *host, void **state)
{
	return pu_init_needs_program(host, state, ANSIBLE_PROGRAM, "ansible: "
	                             ANSIBLE_MISSING " (workflows still validate; "
	                             "ansible steps fail until it is installed)");
}

/* validate()'s check: a written-out playbook path resolved by the rule
 * the run applies, so a playbook that is missing or leads out of the
 * provider folder refuses the workflow at load; a rendered one is
 * checked when the step runs. */
static int
ans_check_paths(const inn_host *host, inn_step *step, const struct ansible_config *c,
                char *err, size_t errlen)
{
	char real[PATH_MAX];

	if (c->playbook == NULL || pu_is_template(c->playbook) ||
	    (c->playbook_base != NULL && pu_is_template(c->playbook_base)))
		return INN_OK;
	return ans_playbook_path(host, step, c, real, err, errlen);
}

PU_DEFINE_VALIDATE_CHECK(ansible_validate, struct ansible_config, ans_config_read,
                         ans_config_free, ans_check_paths);

/*
 * Runs the step: reads the (rendered) config, prepares the workspace files
 * (callback, playbook, extra vars, vault password), runs ansible-playbook
 * with stdout captured and judges the JSON result.  A dry-run adds --check.
 * Returns INN_OK, INN_ERROR (a task failed, a host was unreachable, the
 * program failed), INN_ETIMEOUT, INN_ECANCELLED, INN_ESPAWN (not
 * installed) or INN_EINVAL (config), always after logging why.  The vault
 * password and extra-vars files are removed whatever happens.
 */
static int
ansible_execute(void *state, const inn_host *host, inn_step *step)
{
	struct ansible_config c;
	struct ansible_paths p;
	inn_spawn_opts opts;
	inn_spawn_result res;
	const char *argv[32];
	char *owned[16], **env = NULL, err[512], cbfile[ANSIBLE_PATH_MAX];
	char inv_real[PATH_MAX];
	const char *ws = host->workspace(step);
	size_t nowned = 0, i;
	int64_t started;
	int rc, check, have_files = 0;

	(void)state;
	memset(&res, 0, sizeof(res));
	res.struct_size = sizeof(res);
	if ((rc = ans_config_read(host, step, 1, &c, err, sizeof(err))) != 0) {
		host->log(step, INN_LOG_ERROR, "%s", err);
		return rc;
	}
	if (paths_init(&p, ws) != 0) {
		host->log(step, INN_LOG_ERROR, "workspace path too long: %s", ws);
		rc = INN_ERROR;
		goto out;
	}
	check = c.check || host->dry_run(step);
	if ((rc = make_dir(host, step, p.dir)) != 0 ||
	    (rc = make_dir(host, step, p.callbacks)) != 0)
		goto out;
	if (path_join(cbfile, p.callbacks, ANSIBLE_CALLBACK_NAME ".py") != 0) {
		host->log(step, INN_LOG_ERROR, "workspace path too long: %s", ws);
		rc = INN_ERROR;
		goto out;
	}
	unlink(p.log);
	have_files = 1;
	if ((rc = write_file(host, step, cbfile, ansible_callback_py,
	    sizeof(ansible_callback_py) - 1, 0600)) != 0 ||
	    (rc = prepare_playbook(host, step, &c, &p, ws)) != 0 ||
	    (c.inventory != NULL &&
	     (rc = confine_inventory(host, step, &c, ws, inv_real)) != 0))
		goto out;
	if (c.has_extra_vars && (rc = prepare_extra_vars(host, step, &p)) != 0)
		goto out;
	if (c.vault_secret != NULL && (rc = prepare_vault(host, step, &c, &p)) != 0)
		goto out;

	if ((rc = build_env(&c, &p, &env)) != 0 ||
	    (rc = build_argv(&c, &p, check, argv, owned, &nowned)) != 0) {
		host->log(step, INN_LOG_ERROR, "out of memory");
		goto out;
	}
	if (host->dry_run(step))
		host->log(step, INN_LOG_INFO, "dry-run: ansible-playbook runs with "
		          "--check and changes nothing");

	memset(&opts, 0, sizeof(opts));
	opts.struct_size = sizeof(opts);
	opts.flags = INN_SPAWN_CAPTURE_STDOUT;
	opts.argv = argv;
	opts.env = (const char *const *)env;
	opts.timeout_ms = c.timeout_ms;
	opts.capture_max = ANSIBLE_CAPTURE_MAX;
	started = pu_monotonic_ms();
	if ((rc = host->spawn(step, &opts, &res)) != 0) {
		if (rc == INN_ESPAWN)
			host->log(step, INN_LOG_ERROR, ANSIBLE_MISSING " (%s)",
			          host->last_error());
		else
			host->log(step, INN_LOG_ERROR, "%s", host->last_error());
		goto out;
	}
	if ((rc = pu_judge_end(host, step, ANSIBLE_PROGRAM, c.timeout_ms, &res,
	    started)) != 0)
		goto out;
	rc = ans_judge_run(host, step, p.log, &res);
out:
	if (have_files) {
		unlink(p.vault);
		unlink(p.extra_vars);
	}
	if (res.captured != NULL)
		host->free(res.captured);
	pu_strv_free(env);
	for (i = 0; i < nowned; i++)
		free(owned[i]);
	ans_config_free(&c);
	return rc;
}

static const char *const ansible_step_types[] = { "ansible", NULL };

static const char ansible_config_schema[] =
	PU_CONFIG_SCHEMA_HEAD
	"\"oneOf\":[{\"required\":[\"playbook\"]},"
	"{\"required\":[\"playbook_content\"]}],"
	"\"properties\":{"
	"\"playbook\":{\"type\":\"string\",\"description\":\"relative to "
	"playbook_base, else to the provider folder (no ..); an absolute path must "
	"lie in one of them or in the step's workspace\"},"
	"\"playbook_base\":{\"type\":\"string\",\"description\":\"absolute "
	"directory relative playbook paths resolve in (written out, no "
	"template)\"},"
	"\"playbook_content\":{\"type\":\"string\",\"description\":\"the playbook "
	"itself, written to the workspace\"},"
	"\"inventory\":{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"array\","
	"\"minItems\":1,\"items\":{\"type\":\"string\",\"pattern\":\"^[^,]+$\"}}],"
	"\"default\":\"localhost,\",\"description\":\"hosts (\\\"a,b,\\\") or an "
	"inventory path (inside the provider folder, playbook_base or the step's "
	"workspace), or a list of hosts; default localhost with a local "
	"connection\"},"
	"\"extra_vars\":{\"type\":\"object\",\"propertyNames\":{\"pattern\":"
	"\"^[A-Za-z_][A-Za-z0-9_]*$\"},\"description\":\"passed as a file; "
	"strings are never templated by ansible (!unsafe)\"},"
	"\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
	"\"pattern\":\"^[^,]+$\"}},"
	"\"skip_tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
	"\"pattern\":\"^[^,]+$\"}},"
	"\"check\":{\"type\":\"boolean\",\"default\":false},"
	"\"diff\":{\"type\":\"boolean\",\"default\":false},"
	"\"become\":{\"type\":\"boolean\",\"default\":false},"
	"\"vault_password_secret\":{\"type\":\"string\",\"description\":\"name of "
	"the secret holding the vault password\"},"
	"\"limit\":{\"type\":\"string\"},"
	"\"env\":{\"type\":\"object\","
	"\"propertyNames\":{\"pattern\":\"^[A-Za-z_][A-Za-z0-9_]*$\"},"
	"\"additionalProperties\":{\"type\":[\"string\",\"number\",\"boolean\"]}},"
	"\"timeout\":{\"type\":[\"string\",\"number\"]}"
	"}}";

static const char ansible_outputs_schema[] =
	"{\"type\":\"object\",\"properties\":{"
	"\"ok\":{\"type\":\"string\"},\"changed\":{\"type\":\"string\"},"
	"\"failed\":{\"type\":\"string\"},\"unreachable\":{\"type\":\"string\"},"
	"\"skipped\":{\"type\":\"string\"},"
	"\"changed_any\":{\"enum\":[\"true\",\"false\"]}},"
	"\"additionalProperties\":{\"type\":\"string\",\"description\":"
	"\"<host>.ok, <host>.changed, <host>.failed, <host>.unreachable, "
	"<host>.skipped\"}}";

PU_DEFINE_PLUGIN(INN_PLUGIN_DRY_RUN | INN_PLUGIN_CANCELLABLE, "ansible",
                 ANSIBLE_VERSION, ansible_step_types, ansible_config_schema,
                 ansible_outputs_schema, ansible_init, ansible_validate,
                 ansible_execute, NULL)
