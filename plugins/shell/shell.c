/*
 * shell.c - the "shell" step plugin: runs a script (bash, sh or a shell
 * given by path) or a plain argv through host->spawn.  Config values reach
 * the program only as environment variables, never spliced into the script
 * text.  The program publishes outputs by appending GitHub-Actions-style
 * lines (name=value, or name<<DELIM ... DELIM) to the file named by
 * $INNOMINATUS_OUTPUT, which this plugin parses after a successful run;
 * while it runs, each secret output written there is registered with the
 * masker before the program's next lines reach the log (watch_outputs).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <innominatus/plugin.h>

#include "plugin_util.h"

#ifdef PACKAGE_VERSION
#define SHELL_VERSION PACKAGE_VERSION
#else
#define SHELL_VERSION "0.1.0"
#endif

/* The output file may hold at most this much. */
#define SHELL_OUTPUT_FILE_MAX (1024 * 1024)
#define SHELL_PATH_MAX 4096

/* The step config, read through the host's typed inputs.  Strings are
 * borrowed from the host; the arrays are ours. */
struct shell_config {
	const char *script;
	const char **command;       /* NULL-terminated argv, or NULL */
	const char *shell;
	char **env;                 /* NULL-terminated "NAME=value", or NULL */
	const char **inherit_env;   /* NULL-terminated, or NULL */
	const char *working_dir;    /* NULL: the workspace itself */
	int64_t timeout_ms;         /* 0: none */
	const char **secret_outputs;/* NULL-terminated, or NULL */
	int errexit;                /* bash -e -o pipefail / sh "set -e" (default) */
};

/* Length of the output name [A-Za-z_][A-Za-z0-9_.-]* at the start of s
 * (0 if none). */
static size_t
output_name_len(const char *s, size_t len)
{
	char c[2] = { 0, 0 };
	size_t i;

	for (i = 0; i < len; i++) {
		c[0] = s[i];
		if (i == 0 ? !pu_valid_name(c, "", 0) : !pu_chars_ok(c, ".-"))
			break;
	}
	return i;
}

/* A whole output name (secret_outputs). */
static int
valid_output_name(const char *s)
{
	return pu_valid_name(s, ".-", 0);
}

/* Names of environment variables and outputs are checked unless they still
 * hold a template, even once rendered. */
static const pu_strv_rule command_rule = {
	"must be an array of strings", NULL, NULL, 0, 0
};
static const pu_strv_rule inherit_env_rule = {
	"must be an array of strings", pu_valid_env_name,
	"is not a valid environment variable name", 0, 1
};
static const pu_strv_rule secret_outputs_rule = {
	"must be an array of strings", valid_output_name,
	"is not a valid output name", 0, 1
};

static const pu_field config_fields[] = {
	PU_FIELD("script", PU_STRING, struct shell_config, script),
	PU_FIELD_STRV("command", struct shell_config, command, &command_rule),
	PU_FIELD("shell", PU_STRING, struct shell_config, shell),
	PU_FIELD("env", PU_ENV, struct shell_config, env),
	PU_FIELD_STRV("inherit_env", struct shell_config, inherit_env,
	              &inherit_env_rule),
	PU_FIELD("working_dir", PU_STRING, struct shell_config, working_dir),
	PU_FIELD("timeout", PU_TIMEOUT, struct shell_config, timeout_ms),
	PU_FIELD_STRV("secret_outputs", struct shell_config, secret_outputs,
	              &secret_outputs_rule),
	PU_FIELD("errexit", PU_BOOL, struct shell_config, errexit),
	{ NULL, PU_OTHER, 0, NULL }
};

static void
config_free(struct shell_config *c)
{
	pu_config_free(config_fields, c);
	memset(c, 0, sizeof(*c));
}

/* Linux's MAX_ARG_STRLEN: 32 pages, the terminating NUL included. */
static size_t
script_arg_max(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return 32 * (size_t)(page > 0 ? page : 4096);
}

/*
 * Reads and checks the whole step config into c.  rendered is zero at load
 * time: strings that still hold templates then skip their content checks.
 * Returns 0, or INN_EINVAL / INN_ENOMEM with a one-line reason naming the
 * field in err; c is then freed.
 */
static int
config_read(const inn_host *host, const inn_step *step, int rendered,
            struct shell_config *c, char *err, size_t errlen)
{
	int rc, explicit_errexit;

	memset(c, 0, sizeof(*c));
	if ((rc = pu_config_read(host, step, rendered, config_fields, c, err,
	    errlen)) != 0)
		goto fail;
	/* absent (or a template before rendering): strict mode */
	explicit_errexit = host->input_type(step, "errexit") == INN_VALUE_BOOL;
	if (!explicit_errexit)
		c->errexit = 1;
	if ((c->script != NULL) == (c->command != NULL)) {
		rc = pu_refuse(err, errlen, "config: needs exactly one of \"script\" "
		               "or \"command\"");
		goto fail;
	}
	/* The script is one argument of the shell, and Linux refuses a single
	 * argument over MAX_ARG_STRLEN (32 pages) with E2BIG: say so at load
	 * when the length is known (no template left), else before running. */
	if (c->script != NULL && (rendered || !pu_is_template(c->script)) &&
	    strlen(c->script) + sizeof("set -e\n") > script_arg_max()) {
		rc = pu_refuse(err, errlen, "config.script: %zu bytes; a script is "
		               "passed to the shell as one argument, which Linux limits "
		               "to %zu bytes (put it in a file and run that)",
		               strlen(c->script), script_arg_max() - sizeof("set -e\n"));
		goto fail;
	}
	if (c->command != NULL &&
	    (c->command[0] == NULL || c->command[0][0] == '\0')) {
		rc = pu_refuse(err, errlen, "config.command: must be a non-empty "
		               "array whose first element names the program");
		goto fail;
	}
	if (c->shell != NULL && c->command != NULL) {
		rc = pu_refuse(err, errlen, "config.shell: only applies to \"script\", "
		               "not to \"command\"");
		goto fail;
	}
	if (c->shell == NULL)
		c->shell = "bash";
	if ((rendered || !pu_is_template(c->shell)) &&
	    strcmp(c->shell, "bash") != 0 && strcmp(c->shell, "sh") != 0 &&
	    c->shell[0] != '/') {
		rc = pu_refuse(err, errlen, "config.shell: \"%s\" is not supported; "
		               "use \"bash\", \"sh\" or an absolute path", c->shell);
		goto fail;
	}
	/* only bash and sh are told to stop at the first error; saying so
	 * for anything else would be a promise nobody keeps */
	if (explicit_errexit && c->errexit && (c->command != NULL ||
	    ((rendered || !pu_is_template(c->shell)) && c->shell[0] == '/'))) {
		rc = pu_refuse(err, errlen, "config.errexit: true applies only to a "
		               "\"script\" run by bash or sh; %s", c->command != NULL ?
		               "a \"command\" runs without a shell" : "a shell given by "
		               "path gets no options (write \"set -e\" in the script)");
		goto fail;
	}
	if (c->working_dir != NULL && (rendered || !pu_is_template(c->working_dir)) &&
	    (c->working_dir[0] == '\0' || c->working_dir[0] == '/' ||
	     pu_has_dotdot(c->working_dir))) {
		rc = pu_refuse(err, errlen, "config.working_dir: \"%s\" must be a "
		               "path inside the workspace (relative, no \"..\")",
		               c->working_dir);
		goto fail;
	}
	return 0;
fail:
	config_free(c);
	return rc;
}

static int
is_secret_output(const struct shell_config *c, const char *name, size_t len)
{
	size_t i;

	for (i = 0; c->secret_outputs != NULL && c->secret_outputs[i] != NULL; i++)
		if (strlen(c->secret_outputs[i]) == len &&
		    memcmp(c->secret_outputs[i], name, len) == 0)
			return 1;
	return 0;
}

/* Hands one parsed output to the host; name and value are not
 * NUL-terminated, so both are copied. */
static int
emit_output(const inn_host *host, inn_step *step, const struct shell_config *c,
            const char *name, size_t nlen, const char *value, size_t vlen)
{
	char *key = strndup(name, nlen), *val = strndup(value, vlen);
	int rc;

	if (key == NULL || val == NULL) {
		host->log(step, INN_LOG_ERROR, "out of memory reading outputs");
		rc = INN_ENOMEM;
		goto out;
	}
	rc = host->output(step, key, val, is_secret_output(c, name, nlen) ?
	                  INN_OUTPUT_SECRET : 0);
	if (rc != 0)
		host->log(step, INN_LOG_ERROR, "output \"%s\": %s", key,
		          host->last_error());
out:
	free(key);
	free(val);
	return rc;
}

/*
 * Parses the output file text buf[0..len): "name=value" lines and
 * "name<<DELIM" blocks ending at a line equal to DELIM; empty lines are
 * skipped.  Each output goes to host->output.  Returns 0, or an error after
 * logging the offending line number.
 */
static int
parse_outputs(const inn_host *host, inn_step *step, const struct shell_config *c,
              const char *buf, size_t len)
{
	size_t pos = 0, lineno = 0;
	int rc;

	if (memchr(buf, '\0', len) != NULL) {
		host->log(step, INN_LOG_ERROR, "$INNOMINATUS_OUTPUT contains a NUL "
		          "byte");
		return INN_EINVAL;
	}
	while (pos < len) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;
		size_t nlen = output_name_len(line, llen);

		lineno++;
		pos += llen + (nl ? 1 : 0);
		if (llen == 0)
			continue;
		if (nlen > 0 && nlen < llen && line[nlen] == '=') {
			if ((rc = emit_output(host, step, c, line, nlen, line + nlen + 1,
			    llen - nlen - 1)) != 0)
				return rc;
		} else if (nlen > 0 && llen > nlen + 2 && line[nlen] == '<' &&
		           line[nlen + 1] == '<') {
			const char *delim = line + nlen + 2;
			size_t dlen = llen - nlen - 2, start = pos, vend = pos;
			size_t first = lineno;
			int closed = 0;

			while (pos < len) {
				const char *l = buf + pos, *e = memchr(l, '\n', len - pos);
				size_t ll = e ? (size_t)(e - l) : len - pos;

				lineno++;
				if (ll == dlen && memcmp(l, delim, dlen) == 0) {
					pos += ll + (e ? 1 : 0);
					closed = 1;
					break;
				}
				pos += ll + (e ? 1 : 0);
				vend = pos;
			}
			if (!closed) {
				host->log(step, INN_LOG_ERROR, "$INNOMINATUS_OUTPUT line %zu: "
				          "\"%.*s<<%.*s\" is never closed by a line \"%.*s\"",
				          first, (int)nlen, line, (int)dlen, delim, (int)dlen,
				          delim);
				return INN_EINVAL;
			}
			/* The value's lines joined by \n: drop the last newline. */
			if (vend > start && buf[vend - 1] == '\n')
				vend--;
			if ((rc = emit_output(host, step, c, line, nlen, buf + start,
			    vend - start)) != 0)
				return rc;
		} else {
			host->log(step, INN_LOG_ERROR, "$INNOMINATUS_OUTPUT line %zu: "
			          "expected name=value or name<<DELIMITER (name: letters, "
			          "digits, _ . -), got \"%.*s\"", lineno,
			          (int)(llen > 60 ? 60 : llen), line);
			return INN_EINVAL;
		}
	}
	return 0;
}

/* Registers buf[0..len) with the masker (copied: host->mask takes a string). */
static void
mask_value(const inn_host *host, inn_step *step, const char *value, size_t len)
{
	char *v = strndup(value, len);

	if (v != NULL)
		host->mask(step, v);
	free(v);
}

/*
 * Registers with host->mask the value of each secret output among the
 * entries of buf[0..len), output file text from the start of an entry.
 * Returns how many bytes of finished entries it looked at: an open
 * "name<<DELIM" block is looked at again next time.  A last line without
 * its newline is registered as it is (the program may be writing it: at
 * worst a prefix of the value is masked too).  Malformed lines are skipped
 * here; parse_outputs() reports them when the program has ended.
 */
static size_t
mask_secret_entries(const inn_host *host, inn_step *step,
                    const struct shell_config *c, const char *buf, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;
		size_t nlen = output_name_len(line, llen), p, vend;

		if (nlen > 0 && nlen < llen && line[nlen] == '=') {
			if (is_secret_output(c, line, nlen))
				mask_value(host, step, line + nlen + 1, llen - nlen - 1);
			if (nl == NULL)
				return pos; /* looked at again when it is finished */
		} else if (nl != NULL && nlen > 0 && llen > nlen + 2 &&
		           line[nlen] == '<' && line[nlen + 1] == '<') {
			const char *delim = line + nlen + 2;
			size_t dlen = llen - nlen - 2;
			int closed = 0;

			p = vend = pos + llen + 1;
			while (p < len) {
				const char *l = buf + p, *e = memchr(l, '\n', len - p);
				size_t ll = e ? (size_t)(e - l) : len - p;

				if (e != NULL && ll == dlen && memcmp(l, delim, dlen) == 0) {
					closed = 1;
					break;
				}
				if (e == NULL)
					break;
				p += ll + 1;
				vend = p;
			}
			if (!closed)
				return pos;
			if (is_secret_output(c, line, nlen))
				mask_value(host, step, buf + pos + llen + 1,
				           vend - (pos + llen + 1) -
				           (vend > pos + llen + 1 ? 1 : 0));
			pos = p + dlen + 1;
			continue;
		} else if (nl == NULL) {
			return pos;
		}
		pos += llen + 1;
	}
	return pos;
}

/* What watch_outputs() knows of the output file while the program runs. */
struct out_watch {
	const inn_host *host;
	const struct shell_config *c;
	const char *path;
	size_t done;     /* bytes of finished entries already registered */
	off_t seen;      /* the file's size at the last look, -1: none yet */
};

/*
 * spawn's before_log: called before the lines the host has just read from
 * the program reach the log.  When the output file grew, its new finished
 * entries' secret values are registered with the masker -- a value the
 * program wrote before it printed those lines is masked in them.  A file
 * that is not a regular file, shrank (rewritten: looked at from its start)
 * or is over the size cap is left to read_outputs().
 */
static void
watch_outputs(inn_step *step, void *ud)
{
	struct out_watch *w = ud;
	struct stat st;
	char *buf = NULL;
	size_t want, got = 0;
	ssize_t n;
	int fd;

	if (stat(w->path, &st) != 0 || st.st_size == w->seen ||
	    st.st_size > SHELL_OUTPUT_FILE_MAX)
		return;
	if ((fd = open(w->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > SHELL_OUTPUT_FILE_MAX)
		goto out;
	w->seen = st.st_size;
	if ((size_t)st.st_size < w->done)
		w->done = 0;
	want = (size_t)st.st_size - w->done;
	if (want == 0 || (buf = malloc(want)) == NULL)
		goto out;
	while (got < want) {
		n = pread(fd, buf + got, want - got, (off_t)(w->done + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	w->done += mask_secret_entries(w->host, step, w->c, buf, got);
out:
	free(buf);
	close(fd);
}

/* Reads the output file (at most SHELL_OUTPUT_FILE_MAX bytes) and parses it. */
static int
read_outputs(const inn_host *host, inn_step *step, const struct shell_config *c,
             const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, rc = INN_ERROR;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT)
			return 0; /* the program removed it: no outputs */
		host->log(step, INN_LOG_ERROR, "cannot open $INNOMINATUS_OUTPUT %s: %s",
		          path, strerror(errno));
		return INN_ERROR;
	}
	if ((buf = malloc(SHELL_OUTPUT_FILE_MAX + 1)) == NULL) {
		host->log(step, INN_LOG_ERROR, "out of memory reading outputs");
		rc = INN_ENOMEM;
		goto out;
	}
	for (;;) {
		n = read(fd, buf + len, SHELL_OUTPUT_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			host->log(step, INN_LOG_ERROR, "cannot read $INNOMINATUS_OUTPUT "
			          "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > SHELL_OUTPUT_FILE_MAX) {
			host->log(step, INN_LOG_ERROR, "$INNOMINATUS_OUTPUT is larger than "
			          "%d bytes", SHELL_OUTPUT_FILE_MAX);
			rc = INN_ETOOBIG;
			goto out;
		}
	}
	rc = parse_outputs(host, step, c, buf, len);
out:
	free(buf);
	close(fd);
	return rc;
}

/* Fills argv for a script.  With errexit (the default) bash runs with
 * -e -o pipefail; for sh, errexit is turned on inside the script ("set -e"
 * prepended, stored in *owned) rather than with "sh -e": dash given -e
 * forks for the last command instead of exec'ing it, which costs a whole
 * extra process per step.  errexit false: plain "bash -c" / "sh -c", as
 * the original ran its policy scripts (/bin/bash FILE).  A shell given by
 * path gets no options either way. */
static int
build_argv(const struct shell_config *c, const char **argv, char **owned)
{
	int n = 0;

	*owned = NULL;
	if (c->command != NULL)
		return 0; /* used directly */
	if (strcmp(c->shell, "bash") == 0) {
		argv[n++] = "bash";
		argv[n++] = "--noprofile";
		argv[n++] = "--norc";
		if (c->errexit) {
			argv[n++] = "-eo";
			argv[n++] = "pipefail";
		}
		argv[n++] = "-c";
		argv[n++] = c->script;
		argv[n++] = "innominatus-step";
	} else if (strcmp(c->shell, "sh") == 0) {
		const char *text = c->script;

		if (c->errexit) {
			size_t len = strlen(c->script) + sizeof("set -e\n");

			if ((*owned = malloc(len)) == NULL)
				return -1;
			snprintf(*owned, len, "set -e\n%s", c->script);
			text = *owned;
		}
		argv[n++] = "sh";
		argv[n++] = "-c";
		argv[n++] = text;
		argv[n++] = "innominatus-step";
	} else {
		argv[n++] = c->shell;
		argv[n++] = "-c";
		argv[n++] = c->script;
	}
	argv[n] = NULL;
	return n;
}

/* Turns how the program ended into the step result, logging why it failed. */
static int
judge_result(const inn_host *host, inn_step *step, const struct shell_config *c,
             const inn_spawn_result *res, int64_t started)
{
	int rc = pu_judge_end(host, step, NULL, c->timeout_ms, res, started);

	if (rc != 0)
		return rc;
	if (res->exit_code != 0) {
		host->log(step, INN_LOG_ERROR, "exit status %d", res->exit_code);
		return INN_ERROR;
	}
	return INN_OK;
}

static int
shell_init(const inn_host *host, void **state)
{
	(void)host;
	*state = NULL;
	return INN_OK;
}

PU_DEFINE_VALIDATE(shell_validate, struct shell_config,
                   config_read, config_free);

/* Creates dir (relative, no "..", checked by config_read) under ws, one
 * component at a time, never creating through a symbolic link (it stops
 * there: the caller checks where the link leads).  Every step
 * workspace starts empty, so working_dir is created, not looked up.
 * Returns 0 or -1 with errno set. */
static int
make_workdir(const char *ws, const char *dir)
{
	char comp[PATH_MAX];
	const char *p = dir;
	int fd = open(ws, O_RDONLY | O_DIRECTORY | O_CLOEXEC), next, saved;

	while (fd >= 0 && *p != '\0') {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.')) {
			p += n + (p[n] == '/');
			continue;
		}
		if (n >= sizeof(comp)) {
			errno = ENAMETOOLONG;
			goto err;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (mkdirat(fd, comp, 0755) != 0 && errno != EEXIST)
			goto err;
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && (errno == ELOOP || errno == ENOTDIR)) {
			struct stat st;

			/* a symbolic link an earlier step left: created nothing
			 * through it; the caller's realpath check decides */
			if (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode)) {
				close(fd);
				return 0;
			}
			errno = ENOTDIR;
		}
		close(fd);
		fd = next;
		p += n + (p[n] == '/');
	}
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
err:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* Creates config.working_dir dir in the workspace ws (make_workdir) and
 * checks that, symbolic links resolved, it stays there; its path goes to
 * cwd (SHELL_PATH_MAX bytes).  Returns 0 or INN_EINVAL after logging. */
static int
enter_workdir(const inn_host *host, inn_step *step, const char *ws,
              const char *dir, char *cwd)
{
	char rws[PATH_MAX], rcwd[PATH_MAX];
	struct stat st;
	size_t n;

	if ((size_t)snprintf(cwd, SHELL_PATH_MAX, "%s/%s", ws, dir) >=
	    SHELL_PATH_MAX) {
		host->log(step, INN_LOG_ERROR, "config.working_dir: path too long");
		return INN_EINVAL;
	}
	if (make_workdir(ws, dir) != 0 || stat(cwd, &st) != 0 ||
	    !S_ISDIR(st.st_mode)) {
		host->log(step, INN_LOG_ERROR, "config.working_dir: cannot create \"%s\" "
		          "in the workspace: %s", dir, strerror(errno));
		return INN_EINVAL;
	}
	/* a link an earlier step left in the workspace must not lead out */
	if (realpath(ws, rws) == NULL || realpath(cwd, rcwd) == NULL ||
	    strncmp(rcwd, rws, (n = strlen(rws))) != 0 ||
	    (rcwd[n] != '\0' && rcwd[n] != '/')) {
		host->log(step, INN_LOG_ERROR, "config.working_dir: \"%s\" leads out "
		          "of the workspace; refused", dir);
		return INN_EINVAL;
	}
	return 0;
}

/*
 * Runs the step: reads the (rendered) config, creates the output file,
 * spawns the program and judges how it ended; on success parses the output
 * file.  Returns INN_OK, INN_ERROR (non-zero exit, signal, bad output
 * file), INN_ETIMEOUT, INN_ECANCELLED, INN_ESPAWN or INN_EINVAL (config),
 * always after logging why.
 */
static int
shell_execute(void *state, const inn_host *host, inn_step *step)
{
	struct shell_config c;
	inn_spawn_opts opts;
	inn_spawn_result res;
	const char *script_argv[10];
	char *sh_script = NULL;
	char **env = NULL;
	char err[512], outpath[SHELL_PATH_MAX], cwd[SHELL_PATH_MAX];
	const char *ws = host->workspace(step), *sd;
	size_t nenv = 0, i;
	struct out_watch watch;
	int64_t started;
	int rc, have_outfile = 0;

	(void)state;
	memset(&res, 0, sizeof(res));
	res.struct_size = sizeof(res);
	if ((rc = config_read(host, step, 1, &c, err, sizeof(err))) != 0) {
		host->log(step, INN_LOG_ERROR, "%s", err);
		return rc;
	}

	if (c.working_dir != NULL &&
	    (rc = enter_workdir(host, step, ws, c.working_dir, cwd)) != 0)
		goto out;

	/* The workspace is private to the step, so a fixed name is safe; the
	 * file is not created up front (">>" creates it) -- one inode less per
	 * step -- and a stale one from an earlier attempt is removed first.
	 * read_outputs() opens it with O_NOFOLLOW. */
	if ((size_t)snprintf(outpath, sizeof(outpath), "%s/.innominatus-output",
	    ws) >= sizeof(outpath)) {
		host->log(step, INN_LOG_ERROR, "workspace path too long");
		rc = INN_ERROR;
		goto out;
	}
	if (unlink(outpath) != 0 && errno != ENOENT) {
		host->log(step, INN_LOG_ERROR, "cannot remove stale output file %s: %s",
		          outpath, strerror(errno));
		rc = INN_ERROR;
		goto out;
	}
	have_outfile = 1;

	rc = INN_ENOMEM;
	if ((env = calloc(pu_strv_len((const char *const *)c.env) + 5,
	    sizeof(*env))) == NULL)
		goto oom;
	for (i = 0; c.env != NULL && c.env[i] != NULL; i++)
		if ((env[nenv++] = strdup(c.env[i])) == NULL)
			goto oom;
	/* Ours come last so a config env entry cannot redirect them.
	 * INNOMINATUS_STATE_DIR: the application/resource/environment's own
	 * directory (host->state_dir), where a script keeps what must outlive
	 * the run -- never a folder a parameter names. */
	if (pu_env_add(env, &nenv, "INNOMINATUS_OUTPUT", outpath) != 0 ||
	    pu_env_add(env, &nenv, "INNOMINATUS_WORKSPACE", ws) != 0 ||
	    pu_env_add(env, &nenv, "INNOMINATUS_STEP", host->step_name(step)) != 0)
		goto oom;
	if (host->abi_minor >= 1 && host->state_dir != NULL &&
	    (sd = host->state_dir(step)) != NULL &&
	    pu_env_add(env, &nenv, "INNOMINATUS_STATE_DIR", sd) != 0)
		goto oom;

	if (build_argv(&c, script_argv, &sh_script) < 0)
		goto oom;
	memset(&opts, 0, sizeof(opts));
	opts.struct_size = sizeof(opts);
	opts.argv = c.command != NULL ? c.command : script_argv;
	opts.env = (const char *const *)env;
	opts.env_allow = c.inherit_env;
	opts.cwd = c.working_dir != NULL ? cwd : NULL;
	opts.timeout_ms = c.timeout_ms;
	if (c.secret_outputs != NULL && c.secret_outputs[0] != NULL) {
		watch.host = host;
		watch.c = &c;
		watch.path = outpath;
		watch.done = 0;
		watch.seen = -1;
		opts.before_log = watch_outputs;
		opts.before_log_ud = &watch;
	}

	started = pu_monotonic_ms();
	if ((rc = host->spawn(step, &opts, &res)) != 0) {
		host->log(step, INN_LOG_ERROR, "%s", host->last_error());
		goto out;
	}
	if ((rc = judge_result(host, step, &c, &res, started)) != 0)
		goto out;
	rc = read_outputs(host, step, &c, outpath);
	goto out;
oom:
	host->log(step, INN_LOG_ERROR, "out of memory");
out:
	if (have_outfile)
		unlink(outpath);
	if (res.captured != NULL)
		host->free(res.captured);
	pu_strv_free(env);
	free(sh_script);
	config_free(&c);
	return rc;
}

static const char *const shell_step_types[] = { "shell", NULL };

static const char shell_config_schema[] =
	PU_CONFIG_SCHEMA_HEAD
	"\"oneOf\":[{\"required\":[\"script\"]},{\"required\":[\"command\"]}],"
	"\"properties\":{"
	"\"script\":{\"type\":\"string\"},"
	"\"command\":{\"type\":\"array\",\"minItems\":1,"
	"\"items\":{\"type\":\"string\"}},"
	"\"shell\":{\"type\":\"string\",\"default\":\"bash\","
	"\"description\":\"bash, sh or an absolute path\"},"
	"\"env\":{\"type\":\"object\","
	"\"propertyNames\":{\"pattern\":\"^[A-Za-z_][A-Za-z0-9_]*$\"},"
	"\"additionalProperties\":{\"type\":[\"string\",\"number\",\"boolean\"]}},"
	"\"inherit_env\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
	"\"pattern\":\"^[A-Za-z_][A-Za-z0-9_]*$\"}},"
	"\"working_dir\":{\"type\":\"string\"},"
	"\"timeout\":{\"type\":[\"string\",\"number\"]},"
	"\"secret_outputs\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
	"\"pattern\":\"^[A-Za-z_][A-Za-z0-9_.-]*$\"}},"
	"\"errexit\":{\"type\":\"boolean\",\"default\":true,"
	"\"description\":\"stop at the first failing command (bash -e -o pipefail, "
	"sh set -e); false runs the script as the original innominatus ran policy "
	"scripts\"}"
	"}}";

static const char shell_outputs_schema[] =
	"{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}";

PU_DEFINE_PLUGIN(INN_PLUGIN_CANCELLABLE, "shell", SHELL_VERSION,
                 shell_step_types, shell_config_schema, shell_outputs_schema,
                 shell_init, shell_validate, shell_execute, NULL)
