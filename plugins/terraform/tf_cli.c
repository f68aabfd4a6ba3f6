/*
 * tf_cli.c - terraform.so driving the terraform CLI: finding it, its
 * environment, one command through host->spawn with stderr read back from
 * a file for the log and the failure reason, init with its stamp and
 * backend config, plan, and the outputs of `terraform output -json`.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_util.h"
#include "terraform_int.h"

void
tf_log_not_found(const inn_host *host, inn_step *step, int level, const char *bin)
{
	if (strcmp(bin, "terraform") == 0)
		host->log(step, level, "terraform.so: terraform not found in PATH; "
		          "install it or set config.terraform_bin");
	else
		host->log(step, level, "terraform.so: config.terraform_bin \"%s\" is "
		          "not an executable file%s", bin, strchr(bin, '/') ? "" :
		          " in PATH");
}

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

int
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
	if (tf_path_join(errpath, sizeof(errpath), x->wc, TF_STDERR_FILE) != 0)
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

	*hash = TF_FNV_OFFSET;
	if ((*out = v = calloc(n + 1, sizeof(*v))) == NULL)
		return INN_ENOMEM;
	if (x->c->backend == NULL)
		return 0;
	json_object_object_foreach(x->c->backend, key, val) {
		const char *s = json_object_get_string(val);
		size_t len = strlen(key) + strlen(s) + sizeof("-backend-config==");

		x->host->mask(x->step, s);
		*hash = tf_fnv1a_str(tf_fnv1a_str(*hash, key), s);
		if ((v[i] = malloc(len)) == NULL)
			return INN_ENOMEM;
		snprintf(v[i], len, "-backend-config=%s=%s", key, s);
		i++;
	}
	return 0;
}

int
tf_ensure_init(struct tf_ctx *x, int force)
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
	tf_read_small(x->wc, TF_STAMP_FILE, old, sizeof(old));
	tf_read_small(x->wc, ".terraform/environment", env_ws, sizeof(env_ws));
	if (!force && strcmp(old, stamp) == 0 &&
	    (!ws || strcmp(env_ws, x->c->workspace) == 0))
		goto out;
	/* The stamp is rewritten only once init and workspace selection worked. */
	{
		char path[TF_PATH_MAX];

		if (tf_path_join(path, sizeof(path), x->wc, TF_STAMP_FILE) == 0)
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
	if (tf_write_small(x->wc, TF_STAMP_FILE, stamp) != 0)
		x->host->log(x->step, INN_LOG_WARN, "cannot write %s/%s: %s (init "
		             "runs again next time)", x->wc, TF_STAMP_FILE,
		             strerror(errno));
out:
	pu_strv_free(bargs);
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

int
tf_read_outputs(struct tf_ctx *x)
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

int
tf_run_plan(struct tf_ctx *x, int destroy)
{
	const char *args[] = { "plan", "-input=false", "-no-color",
	                       "-detailed-exitcode", "-out=" TF_PLAN_FILE,
	                       destroy ? "-destroy" : NULL, NULL };
	char plan[TF_PATH_MAX];
	int code = -1, rc;

	rc = tf_run(x, destroy ? "plan -destroy" : "plan", args, 1, &code, NULL);
	/* the plan file holds variable values: never leave it behind */
	if (tf_path_join(plan, sizeof(plan), x->wc, TF_PLAN_FILE) == 0)
		unlink(plan);
	if (rc != 0)
		return rc;
	if ((rc = x->host->output(x->step, "changes", code == 2 ? "true" : "false",
	    0)) != 0)
		x->host->log(x->step, INN_LOG_ERROR, "output \"changes\": %s",
		             x->host->last_error());
	return rc;
}

int
tf_build_env(struct tf_ctx *x)
{
	static const char *const defaults[] = {
		"TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1", NULL
	};
	size_t i;

	if ((x->env = calloc(pu_strv_len((const char *const *)x->c->env) + 5,
	    sizeof(*x->env))) == NULL)
		return INN_ENOMEM;
	for (i = 0; defaults[i] != NULL; i++)
		if ((x->env[x->nenv++] = strdup(defaults[i])) == NULL)
			return INN_ENOMEM;
	if (!x->c->user_cli_config &&
	    (x->env[x->nenv++] = strdup("TF_CLI_CONFIG_FILE=/dev/null")) == NULL)
		return INN_ENOMEM;
	for (i = 0; x->c->env != NULL && x->c->env[i] != NULL; i++)
		if ((x->env[x->nenv++] = strdup(x->c->env[i])) == NULL)
			return INN_ENOMEM;
	return 0;
}

/* host->state_dir(), or NULL after logging why there is none. */
