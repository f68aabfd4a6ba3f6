/*
 * exec_step.c - running one step of a run (exec_run.c schedules it on a
 * runner thread): evaluates its conditions (cond.h), renders its config just
 * before it runs (shell scripts get template values as environment
 * variables), runs it in a worker process (exec_pool.c) with its deadline,
 * retries with exponential backoff where allowed, masks secrets in what it
 * reports, and publishes its outputs to the templates of later steps.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cond.h"
#include "error.h"
#include "exec_run_int.h"
#include "host.h"
#include "shell_ctx.h"
#include "tmpl.h"

#define MAX_BACKOFF_MS (5LL * 60 * 1000)

static void
emit_state_as(inn_run *r, struct srun *s, inn_state st, const char *msg)
{
	if (r->ev.step_state != NULL)
		r->ev.step_state(r->ev.ud, s->index, s->res.def->name, st, s->res.attempts,
		                 msg);
}

void
inn_exec_emit_state(inn_run *r, struct srun *s, const char *msg)
{
	emit_state_as(r, s, s->res.state, msg);
}

struct log_ctx {
	inn_run *run;
	const char *step;
};

static void
step_log(void *ud, int level, int stream, const char *line, size_t len)
{
	struct log_ctx *lc = ud;
	size_t mlen = len;
	char *masked = inn_masker_apply(lc->run->masker, line, len, &mlen);

	if (lc->run->ev.log != NULL)
		lc->run->ev.log(lc->run->ev.ud, lc->step, level, stream,
		                masked ? masked : line, mlen);
	free(masked);
}

static void
engine_log(inn_run *r, const char *step, int level, const char *fmt, ...)
	INN_PRINTF_LIKE(4, 5);

static void
engine_log(inn_run *r, const char *step, int level, const char *fmt, ...)
{
	struct log_ctx lc = { r, step };
	char buf[2048], *big;
	va_list ap;
	int n;

	/* a longer message is masked whole (step_log), never cut first: a
	 * cut could leave the start of a secret unmasked */
	va_start(ap, fmt);
	n = inn_vformat(buf, sizeof(buf), &big, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	step_log(&lc, level, INN_STREAM_HOST, big ? big : buf, big ? (size_t)n : strlen(buf));
	free(big);
}

struct bind_ctx {
	inn_run *run;
	json_object *env;
};


/* ---- what a step asks about the run (exec_run_int.h) ----------------- */

const char inn_exec_no_dry_run[] = "would-run (plugin has no dry-run: not simulated)";

int
inn_exec_upstream_failed(inn_run *r, size_t i, size_t *which)
{
	size_t *stack = NULL, top = 0, j;
	unsigned char *seen = calloc(r->n, 1);
	int found = 0;

	if (seen == NULL || (stack = malloc(r->n * sizeof(*stack))) == NULL) {
		free(seen);
		return inn_error_set(INN_ENOMEM, "out of memory");
	}
	stack[top++] = i;
	while (top > 0 && found != 1) {
		const inn_step_def *d = r->steps[stack[--top]].res.def;

		for (j = 0; j < d->ndep_idx; j++) {
			const inn_step_result *dep = &r->steps[d->dep_idx[j]].res;

			if (seen[d->dep_idx[j]])
				continue;
			seen[d->dep_idx[j]] = 1;
			stack[top++] = d->dep_idx[j];
			if (inn_state_is_failure(dep->state)) {
				*which = d->dep_idx[j];
				found = 1;
				break;
			}
			if (r->dry_run && dep->state == INN_STATE_WOULD_RUN)
				found = 2;
		}
	}
	free(stack);
	free(seen);
	return found;
}

long
inn_exec_stopping_step(const inn_run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (inn_state_is_failure(r->steps[i].res.state) && !r->steps[i].res.def->continue_on_error)
			return (long)i;
	return -1;
}

/* Shell mode: a template value becomes an environment variable. */
static int
bind_env(void *ud, const char *value, char *name, size_t namelen)
{
	struct bind_ctx *b = ud;

	do        /* never a variable config.env sets itself */
		snprintf(name, namelen, "INN_T_%u", ++b->run->bind_seq);
	while (json_object_object_get_ex(b->env, name, NULL));
	json_object_object_add(b->env, name, json_object_new_string(value));
	return 0;
}

json_object *
inn_exec_masked_copy(inn_masker *m, json_object *o)
{
	json_object *c;
	size_t i, n;

	if (o == NULL)
		return NULL;
	switch (json_object_get_type(o)) {
	case json_type_string: {
		size_t len = (size_t)json_object_get_string_len(o), mlen = 0;
		char *masked = inn_masker_apply(m, json_object_get_string(o), len, &mlen);

		if (masked == NULL)
			return json_object_new_string_len(json_object_get_string(o), (int)len);
		c = json_object_new_string_len(masked, (int)mlen);
		free(masked);
		return c;
	}
	case json_type_array:
		c = json_object_new_array();
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			json_object_array_add(c, inn_exec_masked_copy(m, json_object_array_get_idx(o, i)));
		return c;
	case json_type_object:
		c = json_object_new_object();
		json_object_object_foreach(o, k, v) {
			char *mk = inn_masker_apply(m, k, strlen(k), NULL);

			json_object_object_add(c, mk ? mk : k, inn_exec_masked_copy(m, v));
			free(mk);
		}
		return c;
	default:
		/* numbers and booleans: masked as text if they spell a secret */
		{
			const char *t = json_object_to_json_string(o);
			char *masked = inn_masker_apply(m, t, strlen(t), NULL);

			if (masked != NULL) {
				c = json_object_new_string(masked);
				free(masked);
				return c;
			}
			return inn_json_copy(o);
		}
	}
}

/* 1 with why in msg when an output name holds a registered secret: names
 * are shown and stored as they are, so such an output is refused (the
 * secret belongs in the value, marked secret). */
static int
secret_output_name(inn_run *r, json_object *outputs, char *msg, size_t msglen)
{
	if (outputs == NULL || !json_object_is_type(outputs, json_type_object))
		return 0;
	json_object_object_foreach(outputs, k, v) {
		char *masked = inn_masker_apply(r->masker, k, strlen(k), NULL);

		(void)v;
		if (masked != NULL) {
			snprintf(msg, msglen, "output name \"%s\" contains a secret value; output "
			         "names are shown and stored as they are: put the secret in the "
			         "output's value and mark it secret", masked);
			free(masked);
			return 1;
		}
	}
	return 0;
}

/* The environment the original's shell steps had (its policy executor
 * set APP_NAME for the script), for scripts written for it: APP_NAME is
 * the Score application's name, set only when the run has a Score spec
 * (data.app.name); an env entry of the step's own wins.  Values go
 * through the environment, never into the script text. */
static int
shell_env(inn_run *r, const inn_step_def *d, json_object *cfg)
{
	json_object *app, *name, *envobj;

	if (d->plugin_type == NULL || strcmp(d->plugin_type, "shell") != 0 ||
	    !json_object_object_get_ex(r->data, "app", &app) ||
	    !json_object_object_get_ex(app, "name", &name) ||
	    !json_object_is_type(name, json_type_string))
		return 0;
	if (!json_object_object_get_ex(cfg, "env", &envobj) ||
	    !json_object_is_type(envobj, json_type_object)) {
		if ((envobj = json_object_new_object()) == NULL)
			return inn_error_set(INN_ENOMEM, "out of memory");
		json_object_object_add(cfg, "env", envobj);
	}
	if (!json_object_object_get_ex(envobj, "APP_NAME", NULL))
		json_object_object_add(envobj, "APP_NAME", json_object_get(name));
	return 0;
}

/* A dry-run's skip of a step whose plugin cannot dry-run: a real run runs it. */

/* The step a path ("steps.<name>...") reads when that step was skipped
 * (its condition was false): it has no outputs, in a dry-run as in a real
 * run.  NULL otherwise. */
static const struct srun *
skipped_step(const inn_run *r, const char *path)
{
	size_t i, n;

	if (strncmp(path, "steps.", 6) != 0)
		return NULL;
	path += 6;
	n = strcspn(path, ".");
	for (i = 0; i < r->n; i++) {
		const char *name = r->steps[i].res.def->name;

		if (name != NULL && strlen(name) == n && memcmp(name, path, n) == 0)
			return r->steps[i].res.state == INN_STATE_SKIPPED ? &r->steps[i] : NULL;
	}
	return NULL;
}

/* A missing key a dry-run cannot know the value of: the outputs of a step
 * it does not run for real (steps.<s>...; not a step that was skipped,
 * which has none in a real run either), or what a resource's create
 * workflow would report (resources.<r>.<k> for a resource r the run has).
 * A resource the run does not have, like any other missing key, is what a
 * real run would fail on. */
static int
dry_run_unknowable(const inn_run *r, const char *path)
{
	return (strncmp(path, "steps.", 6) == 0 && skipped_step(r, path) == NULL) ||
	       (strncmp(path, "resources.", 10) == 0 && strchr(path + 10, '.') != NULL);
}

/* inn_tmpl_unknown_fn of a dry-run's render: the first such path is kept
 * (in first, INN_UNKNOWN_LEN bytes) to name it. */
#define INN_UNKNOWN_LEN 512
struct unknown_ctx {
	const inn_run *r;
	char *first;
};

static int
dry_run_unknown_cb(void *ud, const char *path)
{
	struct unknown_ctx *u = ud;

	if (!dry_run_unknowable(u->r, path))
		return 0;
	if (u->first[0] == '\0')
		snprintf(u->first, INN_UNKNOWN_LEN, "%s", path);
	return 1;
}

/* Why secret name is not among the run's secrets, into buf: not
 * configured, or configured but unreadable (the reason read at start). */
static const char *
secret_missing(const inn_run *r, const char *name, char *buf, size_t len)
{
	json_object *bad = inn_engine_secrets_unavailable(r->eng), *why;

	if (bad != NULL && json_object_object_get_ex(bad, name, &why))
		snprintf(buf, len, "secret \"%s\" is unavailable: %s", name,
		         json_object_get_string(why));
	else
		snprintf(buf, len, "secret \"%s\" is not configured (admin-config.yaml "
		         "secrets:)", name);
	return buf;
}

/* After a render failed with rc: when it read the outputs of a skipped
 * step, says so (instead of only "steps.b is not defined") and how to
 * guard the reference.  Returns rc. */
static int
skipped_reason(const inn_run *r, int rc)
{
	const struct srun *sk;
	const char *msg;
	char why[1024];

	if (rc == INN_ENOTFOUND && strcmp(inn_tmpl_missing_root(), "secrets") == 0 &&
	    strncmp(inn_tmpl_missing_path(), "secrets.", 8) == 0) {
		char name[256], sm[1536];

		snprintf(name, sizeof(name), "%s", inn_tmpl_missing_path() + 8);
		name[strcspn(name, ".")] = '\0';
		snprintf(why, sizeof(why), "%s", inn_error_last());
		return inn_error_set(rc, "%s: %s", why, secret_missing(r, name, sm, sizeof(sm)));
	}
	if (rc != INN_ENOTFOUND || (sk = skipped_step(r, inn_tmpl_missing_path())) == NULL)
		return rc;
	msg = sk->res.message != NULL ? sk->res.message : "";
	if (strncmp(msg, "skipped: ", 9) == 0)
		msg += 9;
	snprintf(why, sizeof(why), "%s", inn_error_last());
	return inn_error_set(rc, "%s: step \"%s\" was skipped (%s), so it has no outputs; "
	                     "guard the reference (| default \"\") or give this step the "
	                     "same condition", why, sk->res.def->name, msg);
}

/* Renders tmpl in shell mode (values become "${INN_T_n}" of variables
 * added to cfg.env) into obj: key, or index at of an array.  field names
 * it in an error. */
static int
shell_render(inn_run *r, const inn_tmpl_env *env, json_object *cfg, const char *tmpl,
             const char *field, json_object *obj, const char *key, size_t at)
{
	struct bind_ctx b;
	inn_tmpl_env senv = *env;
	json_object *envobj = NULL;
	char *text = NULL;
	int rc;

	if (!json_object_object_get_ex(cfg, "env", &envobj) ||
	    !json_object_is_type(envobj, json_type_object)) {
		envobj = json_object_new_object();
		json_object_object_add(cfg, "env", envobj);
	}
	b.run = r;
	b.env = envobj;
	senv.bind = bind_env;
	senv.bind_ud = &b;
	if ((rc = inn_tmpl_render_string(&senv, tmpl, &text)) != 0) {
		char why[1024];

		snprintf(why, sizeof(why), "%s", inn_error_last());
		return inn_error_set(rc, "%s: %s", field, why);
	}
	if (key != NULL)
		json_object_object_add(obj, key, json_object_new_string(text));
	else
		json_object_array_put_idx(obj, at, json_object_new_string(text));
	free(text);
	return 0;
}

/* Non-zero when element i of a command (argv, an array of strings) is
 * code a shell runs: the argument after -c (or -ec, -xc, ...) of a shell
 * named before it, or any argument after eval. */
static size_t
shell_code_arg(json_object *cmd, size_t i)
{
	size_t j;
	int shell = 0;

	for (j = 0; j < i; j++) {
		const char *a = json_object_get_string(json_object_array_get_idx(cmd, j));
		const char *base = a != NULL && strrchr(a, '/') ? strrchr(a, '/') + 1 : a;

		if (base == NULL)
			continue;
		if (strcmp(base, "eval") == 0)
			return 1;
		if (inn_sh_word_evaluates(base, strlen(base)) == INN_SH_F_EVAL)
			shell = 1;          /* bash, sh, su, ...: -c CODE */
		else if (shell && j + 1 == i && a[0] == '-' && a[1] != '-' && strchr(a, 'c') != NULL)
			return 1;
	}
	return 0;
}

/* The property schema of config key in a plugin's config_schema: under
 * "properties", or under the "properties" of a oneOf/anyOf/allOf branch;
 * NULL when none. */
static json_object *
schema_property(json_object *schema, const char *key)
{
	static const char *const combs[] = { "oneOf", "anyOf", "allOf" };
	json_object *props, *prop, *list;
	size_t i, j;

	if (json_object_object_get_ex(schema, "properties", &props) &&
	    json_object_object_get_ex(props, key, &prop))
		return prop;
	for (i = 0; i < sizeof(combs) / sizeof(combs[0]); i++) {
		if (!json_object_object_get_ex(schema, combs[i], &list) ||
		    !json_object_is_type(list, json_type_array))
			continue;
		for (j = 0; j < json_object_array_length(list); j++) {
			json_object *br = json_object_array_get_idx(list, j);

			if (json_object_object_get_ex(br, "properties", &props) &&
			    json_object_object_get_ex(props, key, &prop))
				return prop;
		}
	}
	return NULL;
}

/* Non-zero when a property schema declares its text YAML that the plugin
 * parses again ("x-innominatus-render": "yaml"). */
static int
yaml_marked(json_object *prop)
{
	json_object *m;

	return prop != NULL && json_object_object_get_ex(prop, "x-innominatus-render", &m) &&
	       json_object_is_type(m, json_type_string) &&
	       strcmp(json_object_get_string(m), "yaml") == 0;
}

/* Renders tmpl in YAML mode into obj: key, or index at of an array
 * (inn_tmpl_render_yaml); field names it in an error. */
static int
yaml_render(const inn_tmpl_env *env, const char *tmpl, const char *field, json_object *obj,
            const char *key, size_t at)
{
	char *text = NULL, why[1024];
	json_object *v;
	int rc;

	if ((rc = inn_tmpl_render_yaml(env, tmpl, &text)) != 0) {
		snprintf(why, sizeof(why), "%s", inn_error_last());
		return inn_error_set(rc, "%s: %s", field, why);
	}
	v = json_object_new_string(text);
	free(text);
	if (v == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	if (key != NULL)
		json_object_object_add(obj, key, v);
	else
		json_object_array_put_idx(obj, at, v);
	return 0;
}

/* The config fields the step's plugin declares YAML text (a string, or a
 * list of strings whose items are so marked) rendered again in YAML mode
 * into cfg, so no value can add structure to a manifest. */
static int
yaml_fields(const inn_run *r, const inn_step_def *d, const inn_tmpl_env *env, json_object *cfg)
{
	const inn_plugin *pl = inn_registry_find(inn_engine_registry(r->eng), d->plugin_type);
	json_object *schema, *prop, *items, *rv;
	char field[300];
	size_t i;
	int rc = 0;

	if (pl == NULL || pl->desc.config_schema == NULL || d->config == NULL ||
	    (schema = json_tokener_parse(pl->desc.config_schema)) == NULL)
		return 0;
	json_object_object_foreach(d->config, k, v) {
		if ((prop = schema_property(schema, k)) == NULL)
			continue;
		if (json_object_is_type(v, json_type_string) && yaml_marked(prop) &&
		    inn_tmpl_has_syntax(json_object_get_string(v))) {
			snprintf(field, sizeof(field), "config.%s", k);
			rc = yaml_render(env, json_object_get_string(v), field, cfg, k, 0);
		} else if (json_object_is_type(v, json_type_array) &&
		           json_object_object_get_ex(prop, "items", &items) && yaml_marked(items) &&
		           json_object_object_get_ex(cfg, k, &rv) &&
		           json_object_is_type(rv, json_type_array)) {
			for (i = 0; rc == 0 && i < json_object_array_length(v); i++) {
				json_object *el = json_object_array_get_idx(v, i);

				if (!json_object_is_type(el, json_type_string) ||
				    !inn_tmpl_has_syntax(json_object_get_string(el)))
					continue;
				snprintf(field, sizeof(field), "config.%s[%zu]", k, i);
				rc = yaml_render(env, json_object_get_string(el), field, rv, NULL, i);
			}
		}
		if (rc != 0)
			break;
	}
	json_object_put(schema);
	return rc;
}

/* Renders the step's config (render_config without the dry-run's hook). */
static int
render_config_with(inn_run *r, const inn_step_def *d, json_object **out)
{
	inn_tmpl_env env = { r->data, r->masker, NULL, NULL };
	json_object *cfg = NULL, *script;
	int rc;

	*out = NULL;
	if ((rc = inn_tmpl_render(&env, d->config, "config", &cfg)) != 0)
		return rc;
	if (!json_object_is_type(cfg, json_type_object)) {
		json_object_put(cfg);
		return inn_error_set(INN_EINVAL, "config must be a mapping");
	}
	if ((rc = yaml_fields(r, d, &env, cfg)) != 0) {
		json_object_put(cfg);
		return rc;
	}
	if (d->env != NULL) {
		json_object *renv = NULL, *cenv;

		if ((rc = inn_tmpl_render(&env, d->env, "env", &renv)) != 0) {
			json_object_put(cfg);
			return rc;
		}
		if (!json_object_object_get_ex(cfg, "env", &cenv) ||
		    !json_object_is_type(cenv, json_type_object)) {
			cenv = json_object_new_object();
			json_object_object_add(cfg, "env", cenv);
		}
		json_object_object_foreach(renv, k, v)
			json_object_object_add(cenv, k, json_object_get(v));
		json_object_put(renv);
	}
	/* Shell scripts: values reach the script as environment variables;
	 * so do values in the code a command's shell runs (bash -c CODE). */
	if (d->plugin_type != NULL && strcmp(d->plugin_type, "shell") == 0) {
		json_object *cmd = NULL;
		size_t i, code;

		if (json_object_object_get_ex(d->config, "script", &script) &&
		    json_object_is_type(script, json_type_string) &&
		    (rc = shell_render(r, &env, cfg, json_object_get_string(script), "config.script",
		                       cfg, "script", (size_t)-1)) != 0) {
			json_object_put(cfg);
			return rc;
		}
		if (json_object_object_get_ex(d->config, "command", &cmd) &&
		    json_object_is_type(cmd, json_type_array)) {
			json_object *rcmd = json_object_object_get(cfg, "command");

			for (i = 0; i < json_object_array_length(cmd); i++) {
				json_object *el = json_object_array_get_idx(cmd, i);
				char field[64];

				code = shell_code_arg(cmd, i);
				if (!code || !json_object_is_type(el, json_type_string) ||
				    !json_object_is_type(rcmd, json_type_array))
					continue;
				snprintf(field, sizeof(field), "config.command[%zu]", i);
				if ((rc = shell_render(r, &env, cfg, json_object_get_string(el), field,
				                       rcmd, NULL, i)) != 0) {
					json_object_put(cfg);
					return rc;
				}
			}
		}
	}
	if ((rc = shell_env(r, d, cfg)) != 0) {
		json_object_put(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

/* What Linux's execve takes (fs/exec.c): each argument or environment
 * string at most MAX_ARG_STRLEN (32 pages), and all of them with their
 * pointers at most sysconf(_SC_ARG_MAX) (a quarter of the stack limit);
 * over either the step fails with "Argument list too long". */
#define EXEC_STR_MAX (32 * 4096)

extern char **environ;

/* Checks that the environment (config.env) and script a step's plugin
 * would start its program with fit those limits, counting this process's
 * own environment for what the plugin passes on; an error names the
 * largest variable.  The dry-run and the real run both call it on the
 * rendered config, so a dry-run says would-fail where a run would. */
static int
exec_size_check(json_object *cfg)
{
	long argmax = sysconf(_SC_ARG_MAX);
	size_t total = 0, n, vlen, big = 0, i;
	const char *bigname = NULL;
	json_object *env, *script;

	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		total += strlen(environ[i]) + 1 + sizeof(char *);
	if (json_object_object_get_ex(cfg, "env", &env) &&
	    json_object_is_type(env, json_type_object)) {
		json_object_object_foreach(env, k, v) {
			vlen = strlen(json_object_get_string(v) ? json_object_get_string(v) : "");
			n = strlen(k) + 1 + vlen;
			if (n + 1 > EXEC_STR_MAX)
				return inn_error_set(INN_ETOOBIG, "env.%s: a value of %zu bytes; Linux "
				                     "refuses an environment string (NAME=value) over "
				                     "%d bytes (Argument list too long)%s", k, vlen,
				                     EXEC_STR_MAX - 1,
				                     strncmp(k, "INN_T_", 6) == 0 ? " (a value "
				                     "config.script references)" : "");
			total += n + 1 + sizeof(char *);
			if (n > big) {
				big = n;
				bigname = k;
			}
		}
	}
	if (json_object_object_get_ex(cfg, "script", &script) &&
	    json_object_is_type(script, json_type_string)) {
		n = (size_t)json_object_get_string_len(script);
		if (n + 1 > EXEC_STR_MAX)
			return inn_error_set(INN_ETOOBIG, "config.script: %zu bytes; Linux refuses "
			                     "an argument over %d bytes (Argument list too long)",
			                     n, EXEC_STR_MAX - 1);
		total += n + 1 + sizeof(char *);
	}
	if (argmax > 0 && total > (size_t)argmax)
		return inn_error_set(INN_ETOOBIG, "the step's environment and script total %zu "
		                     "bytes, over the %ld bytes Linux takes (Argument list too "
		                     "long); the largest variable is env.%s (%zu bytes)", total,
		                     argmax, bigname ? bigname : "?", big);
	return 0;
}

/* Each top-level key of the rendered config cfg ending in "_secret"
 * names a secret the plugin will ask host->secret() for: one the run does
 * not have is an error naming the key and the secret, before the plugin
 * runs.  (Not deeper: a terraform variable "x_secret" is a value.) */
static int
check_secret_names(const inn_run *r, json_object *cfg)
{
	char why[1536];
	size_t kl;

	if (!json_object_is_type(cfg, json_type_object))
		return 0;
	json_object_object_foreach(cfg, k, v) {
		kl = strlen(k);
		if (kl < 7 || strcmp(k + kl - 7, "_secret") != 0 ||
		    !json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0)
			continue;
		if (r->secrets != NULL &&
		    json_object_object_get_ex(r->secrets, json_object_get_string(v), NULL))
			continue;
		return inn_error_set(INN_ENOTFOUND, "config.%s: %s", k,
		                     secret_missing(r, json_object_get_string(v), why, sizeof(why)));
	}
	return 0;
}

/* Renders the step's config (lock held).  In a dry-run, values it cannot
 * know render as placeholders (so the rest is still checked) and the first
 * one's path goes to unknown (INN_UNKNOWN_LEN bytes, "" when none). */
static int
render_config(inn_run *r, const inn_step_def *d, json_object **out, char *unknown)
{
	json_object *cfg = NULL;
	int rc;

	struct unknown_ctx u = { r, unknown };

	unknown[0] = '\0';
	if (r->dry_run)
		inn_tmpl_unknown_begin(dry_run_unknown_cb, &u);
	rc = render_config_with(r, d, &cfg);
	if (r->dry_run)
		inn_tmpl_unknown_end();
	/* a dry-run's placeholder for a value it cannot know names no secret */
	if (rc == 0 && ((rc = exec_size_check(cfg)) != 0 ||
	                (unknown[0] == '\0' && (rc = check_secret_names(r, cfg)) != 0))) {
		json_object_put(cfg);
		cfg = NULL;
	}
	*out = cfg;
	return skipped_reason(r, rc);
}

/* Sleeps up to ms (never past the workflow deadline) unless the run is
 * cancelled; returns non-zero if the run was cancelled or ran out of time.
 * Waits in short slices: inn_run_cancel() only sets a flag (it must be
 * safe in a signal handler), so nobody wakes us. */
static int
backoff_wait(inn_run *r, int64_t ms)
{
	int64_t until = inn_now_ms() + ms;

	if (until > r->deadline_ms)
		until = r->deadline_ms;
	while (!atomic_load(&r->cancel)) {
		int64_t left = until - inn_now_ms();

		if (left <= 0)
			break;
		usleep((useconds_t)(left > 50 ? 50 : left) * 1000);
	}
	return atomic_load(&r->cancel) || inn_now_ms() >= r->deadline_ms;
}

static void
finish_step(inn_run *r, struct srun *s, inn_state st, const char *msg)
{
	/* Report first, then let the scheduler start what waited for us, so
	 * observers see "a succeeded" before "b running". */
	s->res.ended_ms = inn_wall_ms();
	s->res.attempts = s->res.attempts ? s->res.attempts : 1;
	emit_state_as(r, s, st, msg);
	pthread_mutex_lock(&r->lock);
	s->res.state = st;
	free(s->res.message);
	s->res.message = msg != NULL ? strdup(msg) : NULL;
	if ((st == INN_STATE_FAILED || st == INN_STATE_TIMED_OUT ||
	     st == INN_STATE_CANCELLED) && !s->res.def->continue_on_error)
		r->stop = 1;
	r->running--;
	/* no wake-up here: this thread goes back to the runner loop, picks
	 * what comes next itself and wakes another runner only when a second
	 * step is ready (exec_run.c) */
	pthread_mutex_unlock(&r->lock);
}

/* Non-zero when a dry-run's render error (rc, just returned on this
 * thread) comes from a value a dry-run cannot know (dry_run_unknowable).
 * Any other render error (a resource the run does not have, a template
 * over a limit, a type error, a missing parameter) is what a real run
 * would hit, so the dry-run reports it as the failure. */
static int
dry_run_unknown(const inn_run *r, int rc)
{
	return r->dry_run && rc == INN_ENOTFOUND &&
	       dry_run_unknowable(r, inn_tmpl_missing_path());
}

/* Why a step whose config reads path (dry_run_unknowable) would-run: which
 * value a dry-run cannot know, into buf. */
static void
dry_run_unknown_why(const char *path, char *buf, size_t len)
{
	const char *name = strchr(path, '.') ? strchr(path, '.') + 1 : "";
	int n = (int)strcspn(name, ".");

	if (strncmp(path, "resources.", 10) == 0)
		snprintf(buf, len, "would-run (not simulated: it reads %s, an output of "
		         "resource \"%.*s\", resolved at run time)", path, n, name);
	else
		snprintf(buf, len, "would-run (not simulated: it reads the outputs of step "
		         "\"%.*s\", resolved at run time)", n, name);
}

/* cond.c's view of the run (lock held): a step's state, or pending where a
 * dry-run does not know the outcome a real run would have. */
static inn_state
cond_step_state(void *ud, size_t i)
{
	const inn_run *r = ud;
	const inn_step_result *res = &r->steps[i].res;

	if (r->dry_run && res->state == INN_STATE_WOULD_RUN)
		return INN_STATE_PENDING;
	return res->state;
}

/* inn_tmpl_refs callback: non-zero for a read of the outputs of a step
 * whose outcome a dry-run does not know (its outputs are a plugin's
 * dry-run placeholders, or none). */
static int
dry_run_output_ref(void *ud, const char *ref)
{
	const inn_run *r = ud;
	const inn_step_def *d;
	char name[256];

	if (strncmp(ref, "steps.", 6) != 0)
		return 0;
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(ref + 6, ".["), ref + 6);
	if ((d = inn_workflow_step(r->wf, name)) == NULL)
		return 0;
	return cond_step_state((void *)r, (size_t)(d - r->wf->steps)) == INN_STATE_PENDING;
}

/* The when keyword's decision (lock held): 1 to go on, else the state the
 * step ends in with why in msg. */
static int
when_keyword(inn_run *r, struct srun *s, inn_state *st, char *msg, size_t msglen)
{
	inn_cond_when when = s->res.def->conds->when;
	size_t bad = 0;
	int up;

	if (when == INN_WHEN_NONE || when == INN_WHEN_ALWAYS)
		return 1;
	*st = INN_STATE_SKIPPED;
	if (when == INN_WHEN_MANUAL) {
		snprintf(msg, msglen, "skipped: when: manual: the step waits for a manual "
		         "approval, which innominatus does not give");
		return 0;
	}
	if ((up = inn_exec_upstream_failed(r, s->index, &bad)) < 0) {
		*st = INN_STATE_FAILED;
		snprintf(msg, msglen, "when: %s", inn_error_last());
		return 0;
	}
	if (when == INN_WHEN_ON_SUCCESS && up == 1)
		snprintf(msg, msglen, "skipped: condition false: when: on_success, but step "
		         "\"%s\" %s", r->steps[bad].res.def->name,
		         inn_state_name(r->steps[bad].res.state));
	else if (when == INN_WHEN_ON_FAILURE && up == 0) {
		long f = inn_exec_stopping_step(r);

		/* "earlier" is what the step waits for (README), as for on_success */
		snprintf(msg, msglen, "skipped: condition false: when: on_failure, and no "
		         "earlier step failed (of those it waits for)%s%s%s",
		         f >= 0 ? "; step \"" : "", f >= 0 ? r->steps[f].res.def->name : "",
		         f >= 0 ? "\" failed, but this step does not wait for it" : "");
	}
	else if (when == INN_WHEN_ON_FAILURE && up == 2) {
		*st = INN_STATE_WOULD_RUN;
		snprintf(msg, msglen, "would-run only if an earlier step fails (when: "
		         "on_failure); a dry-run cannot tell");
	} else
		return 1;
	return 0;
}

/* A dry-run's part it cannot decide: the step would-run unless a known
 * part skips it; msg keeps the first such reason. */
static void
cond_unknown(int *unknown, char *msg, size_t msglen, const char *key, const inn_cond *c,
             const char *what)
{
	if (!*unknown)
		snprintf(msg, msglen, "would-run if its condition holds; %s: \"%s\" reads %s, "
		         "which a dry-run does not know", key, inn_cond_text(c), what);
	*unknown = 1;
}

/* The step's conditions (cond.h; lock held): 1 to run it, else the state
 * it ends in with why in msg.  when, then unless, then if (the original's
 * order); the first part that skips names the reason.  A dry-run decides
 * every part it can: a known part that skips wins over one it cannot
 * know (would-run). */
static int
conds_decide(inn_run *r, struct srun *s, inn_state *st, char *msg, size_t msglen)
{
	const inn_step_def *d = s->res.def;
	inn_tmpl_env tenv = { r->data, r->masker, NULL, NULL };
	inn_cond_ctx ctx = { &tenv, NULL, cond_step_state, r };
	const char *const keys[3] = { "when", "unless", "if" };
	const inn_cond *conds[3] = { d->conds->when_cond, d->conds->unless_cond,
	                             d->conds->if_cond };
	char detail[512];
	int k, rc = 1, unknown = 0, go = 0;

	if (!when_keyword(r, s, st, msg, msglen)) {
		if (*st != INN_STATE_WOULD_RUN)
			return 0;
		unknown = 1; /* on_failure in a dry-run: a known part may still skip */
	}
	if (conds[0] == NULL && conds[1] == NULL && conds[2] == NULL)
		return !unknown;
	if (d->env != NULL && (rc = inn_tmpl_render(&tenv, d->env, "env", &ctx.env)) != 0) {
		k = -1;
		goto failed;
	}
	for (k = 0; k < 3; k++) {
		if (conds[k] == NULL)
			continue;
		if (r->dry_run && inn_cond_templates(conds[k]) != NULL &&
		    inn_tmpl_refs(inn_cond_templates(conds[k]), dry_run_output_ref, r) > 0) {
			cond_unknown(&unknown, msg, msglen, keys[k], conds[k], "outputs of a step");
			continue;
		}
		rc = inn_cond_eval(conds[k], &ctx, detail, sizeof(detail));
		if (rc < 0 && dry_run_unknown(r, rc)) {
			/* e.g. it reads outputs of steps a dry-run does not run */
			cond_unknown(&unknown, msg, msglen, keys[k], conds[k], "values");
			continue;
		}
		if (rc < 0)
			goto failed;
		if (rc == INN_COND_UNKNOWN) {
			cond_unknown(&unknown, msg, msglen, keys[k], conds[k], "the result of a step");
			continue;
		}
		if (rc == INN_COND_UNRESOLVED) {
			*st = INN_STATE_SKIPPED;
			snprintf(msg, msglen, "skipped: condition not met: %s: \"%s\" reads a step "
			         "output that is not set (%s)", keys[k], inn_cond_text(conds[k]),
			         detail);
			goto out;
		}
		if (rc == (k == 1)) {
			*st = INN_STATE_SKIPPED;
			snprintf(msg, msglen, "skipped: condition false: %s: \"%s\" is %s%s%s%s",
			         keys[k], inn_cond_text(conds[k]), k == 1 ? "true" : "false",
			         detail[0] ? " (" : "", detail, detail[0] ? ")" : "");
			goto out;
		}
	}
	if (unknown)
		*st = INN_STATE_WOULD_RUN;
	go = !unknown;
out:
	json_object_put(ctx.env);
	return go;
failed:
	json_object_put(ctx.env);
	snprintf(msg, msglen, "%s: %s", k < 0 ? "env" : keys[k], inn_error_last());
	if (dry_run_unknown(r, rc)) {
		*st = INN_STATE_WOULD_RUN;
		snprintf(msg, msglen, "would-run if its condition holds; the condition "
		         "depends on values resolved at run time");
	} else {
		*st = INN_STATE_FAILED;
	}
	return 0;
}

/* The step's when/unless/if: 1 to run the step, 0 when it is settled
 * (skipped, failed, or would-run in a dry-run) with the reason, secrets
 * masked. */
static int
step_condition(inn_run *r, struct srun *s, char *msg, size_t msglen)
{
	inn_state st = INN_STATE_SKIPPED;
	char *masked;
	int go;

	if (s->res.def->conds == NULL)
		return 1;
	pthread_mutex_lock(&r->lock);
	go = conds_decide(r, s, &st, msg, msglen);
	pthread_mutex_unlock(&r->lock);
	if (go)
		return 1;
	if ((masked = inn_masker_apply(r->masker, msg, strlen(msg), NULL)) != NULL) {
		snprintf(msg, msglen, "%s", masked);
		free(masked);
	}
	if (st == INN_STATE_FAILED)
		engine_log(r, s->res.def->name, INN_LOG_ERROR, "%s", msg);
	finish_step(r, s, st, msg);
	return 0;
}

/* One attempt of the step in a worker process (inn_pool_exec). */
static int
step_attempt(inn_run *r, const inn_step_def *d, json_object *cfg, const char *wsdir,
             int64_t deadline, struct log_ctx *lc, inn_pool_res *res)
{
	inn_pool_req req;
	char statedir[4096];

	memset(&req, 0, sizeof(req));
	req.type = d->plugin_type;
	req.name = d->name;
	req.config = cfg;
	req.workspace = wsdir;
	req.base_dir = r->wf->base_dir;
	if (r->state_base != NULL) {
		char plug[PATH_PART_LEN];

		inn_exec_path_part(plug, d->plugin_type, "_");
		snprintf(statedir, sizeof(statedir), "%s/%s", r->state_base, plug);
		req.state_dir = statedir;
	}
	req.dry_run = r->dry_run;
	req.deadline_ms = deadline;
	req.secrets = r->secrets;
	req.masker = r->masker;
	req.cancel = &r->cancel;
	req.log = step_log;
	req.log_ud = lc;
	return inn_pool_exec(r->eng, &req, res);
}

/* A successful attempt: its secret outputs join the masker, its outputs
 * become steps.<name>.outputs for later templates.  Returns the state the
 * step ends in, with its message in *why (NULL, or msg when refused). */
static inn_state
step_succeeded(inn_run *r, struct srun *s, inn_pool_res *res, char *msg, size_t msglen,
               const char **why)
{
	const inn_step_def *d = s->res.def;
	json_object *so, *outs;

	json_object_object_foreach(res->secret_keys, sk, sv) {
		json_object *val;

		(void)sv;
		if (json_object_object_get_ex(res->outputs, sk, &val))
			inn_masker_add(r->masker, json_object_get_string(val));
	}
	if (secret_output_name(r, res->outputs, msg, msglen)) {
		/* names are shown and stored as they are: refused, never masked */
		*why = msg;
		return INN_STATE_FAILED;
	}
	so = json_object_new_object();
	pthread_mutex_lock(&r->lock);
	json_object_object_add(so, "outputs", json_object_get(res->outputs));
	json_object_object_get_ex(r->data, "steps", &outs);
	json_object_object_add(outs, d->name, so);
	s->res.outputs = inn_exec_masked_copy(r->masker, res->outputs);
	json_object_put(s->res.outputs_real);
	s->res.outputs_real = res->outputs ? json_object_get(res->outputs) : NULL;
	pthread_mutex_unlock(&r->lock);
	*why = r->dry_run ? "would-run (plugin dry-run succeeded)" : NULL;
	return r->dry_run ? INN_STATE_WOULD_RUN : INN_STATE_SUCCEEDED;
}

/* How a failed attempt ended (timed out, cancelled, failed) and why, with
 * secrets masked, into msg. */
static inn_state
attempt_failure(inn_run *r, const inn_step_def *d, const inn_pool_res *res,
                int64_t deadline, char *msg, size_t msglen)
{
	const char *why = res->error && *res->error ? res->error : NULL;
	inn_state st;
	char *masked;

	if (res->rc == INN_ETIMEOUT || (deadline > 0 && inn_now_ms() >= deadline &&
	                                !atomic_load(&r->cancel)))
		st = INN_STATE_TIMED_OUT;
	else if (atomic_load(&r->cancel))
		st = r->timed_out ? INN_STATE_TIMED_OUT : INN_STATE_CANCELLED;
	else
		st = INN_STATE_FAILED;
	if (why != NULL)
		snprintf(msg, msglen, "%s", why);
	else if (st == INN_STATE_TIMED_OUT)
		snprintf(msg, msglen, "timed out: the step or the workflow "
		         "reached its timeout and was stopped");
	else if (st == INN_STATE_CANCELLED)
		snprintf(msg, msglen, "cancelled: the execution was cancelled "
		         "while this step ran, so it was stopped");
	else
		snprintf(msg, msglen, "plugin \"%s\" returned %d", d->plugin_type, res->rc);
	if ((masked = inn_masker_apply(r->masker, msg, strlen(msg), NULL)) != NULL) {
		snprintf(msg, msglen, "%s", masked);
		free(masked);
	}
	return st;
}

/* Waits before another attempt after a failed one (exponential backoff
 * from the step's backoff, at most MAX_BACKOFF_MS).  Returns 0 to try
 * again, or the state the step ends in (msg set) when the run was
 * cancelled or timed out meanwhile. */
static inn_state
retry_wait(inn_run *r, struct srun *s, int attempts, char *msg, size_t msglen)
{
	const inn_step_def *d = s->res.def;
	int64_t wait = d->backoff_ms > 0 ? d->backoff_ms : 1000;
	inn_state st;
	int k;

	for (k = 1; k < s->res.attempts && wait < MAX_BACKOFF_MS; k++)
		wait *= 2;
	if (wait > MAX_BACKOFF_MS)
		wait = MAX_BACKOFF_MS;
	engine_log(r, d->name, INN_LOG_WARN, "attempt %d of %d failed: %s; "
	           "retrying in %lld ms", s->res.attempts, attempts, msg, (long long)wait);
	if (backoff_wait(r, wait) == 0)
		return INN_STATE_PENDING;
	st = atomic_load(&r->cancel) ? INN_STATE_CANCELLED : INN_STATE_TIMED_OUT;
	snprintf(msg, msglen, "%s while waiting to retry",
	         st == INN_STATE_CANCELLED ? "cancelled" : "the workflow timed out");
	return st;
}

/* The attempts of a step whose config is rendered (cfg is consumed):
 * retried with backoff where allowed, then settled.  Everything of the
 * attempt is released before the step is settled (finish_step lets the
 * scheduler start what waited for it). */
static void
step_attempts(inn_run *r, struct srun *s, const inn_plugin *plugin, json_object *cfg)
{
	const inn_step_def *d = s->res.def;
	struct log_ctx lc = { r, d->name };
	char wsdir[4096], msg[1536];
	const char *why = msg;
	int attempts = 1;
	inn_state st;

	/* the worker makes the folder when the step first uses it (host.c) */
	snprintf(wsdir, sizeof(wsdir), "%s/%s", r->workspace, d->name);
	if (d->retries > 0 && (d->retry_opt_in || (plugin->desc.flags & INN_PLUGIN_IDEMPOTENT)))
		attempts += d->retries;
	for (s->res.attempts = 1;; s->res.attempts++) {
		inn_pool_res res;
		int64_t deadline = r->deadline_ms;

		if (d->timeout_ms > 0 && d->timeout_ms < deadline - inn_now_ms())
			deadline = inn_now_ms() + d->timeout_ms;
		if (step_attempt(r, d, cfg, wsdir, deadline, &lc, &res) != 0) {
			snprintf(msg, sizeof(msg), "%s", inn_error_last());
			inn_pool_res_clear(&res);
			st = INN_STATE_FAILED;
			break;
		}
		if (res.rc == 0) {
			st = step_succeeded(r, s, &res, msg, sizeof(msg), &why);
			inn_pool_res_clear(&res);
			break;
		}
		st = attempt_failure(r, d, &res, deadline, msg, sizeof(msg));
		inn_pool_res_clear(&res);
		if (s->res.attempts < attempts && st == INN_STATE_FAILED &&
		    !atomic_load(&r->cancel) &&
		    (st = retry_wait(r, s, attempts, msg, sizeof(msg))) == INN_STATE_PENDING)
			continue;
		break;
	}
	json_object_put(cfg);
	finish_step(r, s, st, why);
}

void *
inn_exec_step_thread(void *arg)
{
	struct srun *s = arg;
	inn_run *r = s->run;
	const inn_step_def *d = s->res.def;
	const inn_plugin *plugin = inn_registry_find(inn_engine_registry(r->eng),
	                                             d->plugin_type);
	json_object *cfg = NULL;
	char msg[1536], unknown[INN_UNKNOWN_LEN];
	int rc;

	s->res.started_ms = inn_wall_ms();
	inn_exec_emit_state(r, s, NULL);
	if (atomic_load(&r->cancel)) {
		/* cancelled as it started (the server found it may not run it:
		 * another replica holds the execution now): no plugin runs */
		finish_step(r, s, r->timed_out ? INN_STATE_TIMED_OUT : INN_STATE_CANCELLED,
		            r->timed_out ? "the workflow timed out" : "cancelled");
		return NULL;
	}
	if (!step_condition(r, s, msg, sizeof(msg)))
		return NULL;
	if (plugin == NULL) {
		snprintf(msg, sizeof(msg), "no plugin provides step type \"%s\"", d->plugin_type);
		finish_step(r, s, INN_STATE_FAILED, msg);
		return NULL;
	}
	pthread_mutex_lock(&r->lock);
	rc = render_config(r, d, &cfg, unknown);
	pthread_mutex_unlock(&r->lock);
	if (rc != 0) {
		/* what the real run would fail on, and why; the step's name is
		 * not repeated: every place that shows the message names it */
		snprintf(msg, sizeof(msg), "%s%s", r->dry_run ? "would-fail: " : "",
		         inn_error_last());
		engine_log(r, d->name, INN_LOG_ERROR, "%s", msg);
		finish_step(r, s, INN_STATE_FAILED, msg);
		return NULL;
	}
	s->res.config = inn_exec_masked_copy(r->masker, cfg);
	if (unknown[0] != '\0') {
		/* the whole config rendered but for values a dry-run cannot
		 * know: which one, and the plugin is not given placeholders */
		json_object_put(cfg);
		dry_run_unknown_why(unknown, msg, sizeof(msg));
		finish_step(r, s, INN_STATE_WOULD_RUN, msg);
		return NULL;
	}
	if (r->dry_run && !(plugin->desc.flags & INN_PLUGIN_DRY_RUN)) {
		json_object_put(cfg);
		finish_step(r, s, INN_STATE_WOULD_RUN, inn_exec_no_dry_run);
		return NULL;
	}
	step_attempts(r, s, plugin, cfg);
	return NULL;
}
