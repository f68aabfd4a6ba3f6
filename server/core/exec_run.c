/*
 * exec_run.c - one execution of one workflow: resolves parameters and
 * variables into a per-run data context, orders the steps as a DAG
 * (sequential by default, depends_on and parallel groups run concurrently),
 * renders each step's config just before it runs, evaluates if/when
 * conditions, runs the step in a worker process (exec_pool.c) with its
 * deadline, retries with exponential backoff where allowed, collects
 * outputs, and renders the workflow outputs at the end.
 *
 * Ordering rule: a step with depends_on waits for exactly those steps; a
 * parallel step waits for whatever the first step of its parallel group
 * waits for; any other step waits for the step before it (all of the
 * parallel group before it, when it follows one).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "error.h"
#include "exec_int.h"
#include "host.h"
#include "tmpl.h"

#define DEFAULT_WORKFLOW_TIMEOUT_MS (60LL * 60 * 1000)
#define MAX_BACKOFF_MS (5LL * 60 * 1000)

static json_object *masked_copy(inn_masker *m, json_object *o);

struct srun {
	inn_step_result res;
	size_t *deps;
	size_t ndeps;
	inn_run *run;
	size_t index;
};

struct inn_run {
	inn_engine *eng;
	const inn_workflow *wf;
	inn_run_events ev;
	int dry_run;
	int max_parallel;
	json_object *params;     /* resolved */
	json_object *data;       /* template data */
	json_object *secrets;    /* own reference or NULL */
	inn_masker *masker;
	struct srun *steps;
	size_t n;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_int cancel;
	int stop;                /* a step failed: launch nothing new */
	int timed_out;
	int running;
	int64_t deadline_ms;
	inn_state state;
	char *message;
	json_object *outputs;
	json_object *outputs_real; /* the same before masking */
	char *workspace;
	char *state_base;        /* <state_root>/<app>/<resource>/<env>, or NULL */
	unsigned bind_seq;
};

const char *
inn_state_name(inn_state s)
{
	switch (s) {
	case INN_STATE_PENDING: return "pending";
	case INN_STATE_RUNNING: return "running";
	case INN_STATE_SUCCEEDED: return "succeeded";
	case INN_STATE_FAILED: return "failed";
	case INN_STATE_SKIPPED: return "skipped";
	case INN_STATE_CANCELLED: return "cancelled";
	case INN_STATE_TIMED_OUT: return "timed_out";
	case INN_STATE_WOULD_RUN: return "would-run";
	}
	return "unknown";
}

int
inn_state_is_final(inn_state s)
{
	return s != INN_STATE_PENDING && s != INN_STATE_RUNNING;
}

static char *
xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- parameters --------------------------------------------------------- */

/* The run's parameters (inn_params_resolve), their secret values known to
 * its masker. */
static int
resolve_params(inn_run *r, json_object *given)
{
	json_object *params = NULL;
	int rc;

	if ((rc = inn_params_resolve(r->wf, given, &params)) != 0)
		return rc;
	json_object_put(r->params);
	r->params = params;
	return inn_params_mask_secrets(r->wf, r->params, r->masker);
}

/* ---- run set-up ----------------------------------------------------------- */

static int
add_dep(struct srun *s, size_t dep)
{
	size_t *nd = realloc(s->deps, (s->ndeps + 1) * sizeof(*nd));

	if (nd == NULL)
		return INN_ENOMEM;
	s->deps = nd;
	s->deps[s->ndeps++] = dep;
	return 0;
}

/* Non-zero if step from reaches step to through the deps known so far. */
static int
reaches(inn_run *r, size_t from, size_t to, unsigned char *seen)
{
	size_t j;

	if (from == to)
		return 1;
	if (seen[from])
		return 0;
	seen[from] = 1;
	for (j = 0; j < r->steps[from].ndeps; j++)
		if (reaches(r, r->steps[from].deps[j], to, seen))
			return 1;
	return 0;
}

/* Adds an implicit dependency of i on j unless j already (transitively)
 * waits for i -- an explicit depends_on pointing forward must not be
 * turned into a cycle by the sequential default. */
static int
add_implicit(inn_run *r, size_t i, size_t j)
{
	unsigned char *seen = calloc(r->n, 1);
	int rc = 0;

	if (seen == NULL)
		return INN_ENOMEM;
	if (!reaches(r, j, i, seen))
		rc = add_dep(&r->steps[i], j);
	free(seen);
	return rc;
}

static int
build_graph(inn_run *r)
{
	const inn_workflow *wf = r->wf;
	size_t i, j, group_start = 0;

	/* explicit depends_on first: they may point at later steps */
	for (i = 0; i < wf->nsteps; i++) {
		const inn_step_def *d = &wf->steps[i];

		for (j = 0; j < d->ndeps; j++) {
			size_t k;

			for (k = 0; k < wf->nsteps; k++)
				if (strcmp(wf->steps[k].name, d->depends_on[j]) == 0)
					break;
			if (k == wf->nsteps || k == i)
				return inn_error_set(INN_EINVAL, "step \"%s\": depends_on names "
				                     "unknown step \"%s\"", d->name, d->depends_on[j]);
			if (add_dep(&r->steps[i], k) != 0)
				return INN_ENOMEM;
		}
	}
	for (i = 0; i < wf->nsteps; i++) {
		const inn_step_def *d = &wf->steps[i];

		if (d->ndeps > 0 || d->deps_explicit)
			continue;
		if (d->parallel) {
			if (i == 0 || !wf->steps[i - 1].parallel || wf->steps[i - 1].ndeps > 0 ||
			    wf->steps[i - 1].deps_explicit)
				group_start = i;
			/* the group waits for what precedes its first member */
			if (group_start > 0 && add_implicit(r, i, group_start - 1) != 0)
				return INN_ENOMEM;
		} else if (i > 0) {
			/* the step before us, or the whole parallel group before us */
			if (add_implicit(r, i, i - 1) != 0)
				return INN_ENOMEM;
			for (j = i - 1; j > 0 && wf->steps[j].parallel && !wf->steps[j].deps_explicit &&
			                wf->steps[j].ndeps == 0 && wf->steps[j - 1].parallel &&
			                !wf->steps[j - 1].deps_explicit && wf->steps[j - 1].ndeps == 0;
			     j--)
				if (add_implicit(r, i, j - 1) != 0)
					return INN_ENOMEM;
		}
	}
	return 0;
}

/*
 * One path component of a state directory from a name, collision-free: two
 * different names never share a directory (two teams' apps never share
 * terraform state).  [A-Za-z0-9._-] is kept; every other byte, '%' included,
 * becomes %xx (lower-case hex), so the encoding is reversible ("prod/eu" ->
 * "prod%2feu", "prod_eu" stays "prod_eu"); a whole "." or ".." has its dots
 * escaped.  An encoding longer than PATH_PART_MAX is cut to a prefix plus
 * "+" and the SHA-256 of the full name: '+' never appears in an encoding,
 * so a digest name cannot equal a plain one.  Short plain names (up to 64
 * characters of [A-Za-z0-9._-], what every normal app, resource and
 * environment is) keep the directory name they had before this encoding,
 * so no existing state moves.  out must hold PATH_PART_LEN bytes.
 */
#define PATH_PART_MAX 128
#define PATH_PART_LEN (PATH_PART_MAX + 1)

static void
path_part(char *out, const char *name, const char *fallback)
{
	static const char hex[] = "0123456789abcdef";
	char enc[4 * PATH_PART_MAX];
	size_t i, o = 0, n;
	int dots;

	if (name == NULL || *name == '\0')
		name = fallback;
	n = strlen(name);
	dots = strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
	for (i = 0; i < n && o + 3 < sizeof(enc); i++) {
		unsigned char c = (unsigned char)name[i];

		if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '-' || c == '_' || c == '.') && !(dots && c == '.')) {
			enc[o++] = (char)c;
		} else {
			enc[o++] = '%';
			enc[o++] = hex[c >> 4];
			enc[o++] = hex[c & 15];
		}
	}
	if (i == n && o <= PATH_PART_MAX) {
		memcpy(out, enc, o);
		out[o] = '\0';
		return;
	}
	{
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		size_t keep = PATH_PART_MAX - 1 - 64, j;

		/* the prefix is for people reading the folder; never cut an %xx */
		for (j = 0; j < keep && j < o; j++)
			if (enc[j] == '%' && j + 3 > keep)
				break;
		memcpy(out, enc, j);
		out[j++] = '+';
		if (EVP_Digest(name, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
			mdlen = 0; /* cannot happen with a working libcrypto */
		for (i = 0; i < mdlen; i++) {
			out[j++] = hex[md[i] >> 4];
			out[j++] = hex[md[i] & 15];
		}
		out[j] = '\0';
	}
}

static int
make_state_base(inn_run *r, const inn_run_opts *o)
{
	const char *root = inn_engine_state_root(r->eng);
	char app[PATH_PART_LEN], res[PATH_PART_LEN], env[PATH_PART_LEN], buf[4096];

	if (root == NULL)
		return 0;
	path_part(app, o == NULL ? NULL : o->app != NULL ? o->app : o->state_owner, "_");
	path_part(res, o ? o->resource : NULL, "_");
	{
		/* the effective environment: the one given, else this run's resolved
		 * "environment" parameter (its default included), so the same
		 * recorded parameters always mean the same directory */
		const char *e = o ? o->environment : NULL;
		json_object *pe;

		if (e == NULL && json_object_object_get_ex(r->params, "environment", &pe) &&
		    json_object_is_type(pe, json_type_string))
			e = json_object_get_string(pe);
		path_part(env, e, "default");
	}
	snprintf(buf, sizeof(buf), "%s/%s/%s/%s", root, app, res, env);
	return (r->state_base = strdup(buf)) == NULL ? INN_ENOMEM : 0;
}

static int
make_workspace(inn_run *r)
{
	const char *tmp = getenv("TMPDIR");
	const char *root = inn_engine_state_root(r->eng);
	char tmpl[4096];

	/* with an (absolute) state root, workspaces live in its ".runs" (which
	 * the server sweeps at start: inn_run_sweep_workspaces), never lost in
	 * /tmp; a relative root would not name one place for every step */
	if (root != NULL && root[0] == '/') {
		char *p;

		snprintf(tmpl, sizeof(tmpl), "%s/" INN_RUNS_DIR, root);
		for (p = tmpl + 1; ; p++) /* mkdir -p: the state root may not exist yet */
			if (*p == '/' || *p == '\0') {
				char c = *p;

				*p = '\0';
				if (mkdir(tmpl, 0700) != 0 && errno != EEXIST)
					return inn_error_set(INN_ERROR, "cannot create %s: %s", tmpl,
					                     strerror(errno));
				*p = c;
				if (c == '\0')
					break;
			}
		snprintf(tmpl, sizeof(tmpl), "%s/" INN_RUNS_DIR "/innominatus-run-XXXXXX", root);
	} else {
		snprintf(tmpl, sizeof(tmpl), "%s/innominatus-run-XXXXXX",
		         tmp && *tmp ? tmp : "/tmp");
	}
	if (mkdtemp(tmpl) == NULL)
		return inn_error_set(INN_ERROR, "cannot create run workspace %s: %s", tmpl,
		                     strerror(errno));
	if ((r->workspace = strdup(tmpl)) == NULL)
		return INN_ENOMEM;
	return 0;
}

int
inn_run_sweep_workspaces(const inn_engine *eng)
{
	const char *root = inn_engine_state_root(eng);
	char dir[4096], path[4096 + 256];
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (root == NULL)
		return 0;
	snprintf(dir, sizeof(dir), "%s/" INN_RUNS_DIR, root);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "innominatus-run-", 16) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		inn_rmrf(path);
		n++;
	}
	closedir(d);
	return n;
}

int
inn_run_new(inn_run **out, inn_engine *eng, const inn_workflow *wf,
            const inn_run_opts *o)
{
	inn_run *r;
	json_object *steps, *vars, *wfo;
	size_t i;
	int rc = INN_ENOMEM;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->eng = eng;
	r->wf = wf;
	r->n = wf->nsteps;
	r->dry_run = o ? o->dry_run : 0;
	r->max_parallel = o && o->max_parallel > 0 ? o->max_parallel : 4;
	if (o != NULL)
		r->ev = o->events;
	r->params = json_object_new_object();
	r->data = json_object_new_object();
	r->outputs = NULL;
	if ((rc = inn_masker_new(&r->masker)) != 0)
		goto err;
	if (r->n > 0 && (r->steps = calloc(r->n, sizeof(*r->steps))) == NULL)
		goto err;
	for (i = 0; i < r->n; i++) {
		r->steps[i].res.def = &wf->steps[i];
		r->steps[i].res.state = INN_STATE_PENDING;
		r->steps[i].run = r;
		r->steps[i].index = i;
	}
	if (o != NULL && o->secrets != NULL) {
		r->secrets = json_object_get(o->secrets);
		json_object_object_foreach(o->secrets, k, v) {
			(void)k;
			inn_masker_add(r->masker, json_object_get_string(v));
		}
	}
	if ((rc = resolve_params(r, o ? o->params : NULL)) != 0 ||
	    (rc = build_graph(r)) != 0)
		goto err;
	/* the template data */
	if (o != NULL && o->data != NULL) {
		json_object_object_foreach(o->data, k, v)
			json_object_object_add(r->data, k, json_object_get(v));
	}
	json_object_object_add(r->data, "parameters", json_object_get(r->params));
	steps = json_object_new_object();
	json_object_object_add(r->data, "steps", steps);
	json_object_object_add(r->data, "secrets", r->secrets ? json_object_get(r->secrets)
	                                                      : json_object_new_object());
	if (!json_object_object_get_ex(r->data, "workflow", &wfo)) {
		wfo = json_object_new_object();
		json_object_object_add(wfo, "name", json_object_new_string(wf->name ? wf->name : ""));
		if (wf->provider)
			json_object_object_add(wfo, "provider", json_object_new_string(wf->provider));
		json_object_object_add(r->data, "workflow", wfo);
	}
	/* variables render in order and may use parameters and earlier variables */
	vars = json_object_new_object();
	json_object_object_add(r->data, "variables", vars);
	if (wf->variables != NULL) {
		json_object_object_foreach(wf->variables, k, v) {
			inn_tmpl_env env = { r->data, r->masker, NULL, NULL };
			json_object *rv = NULL;
			char field[300];

			snprintf(field, sizeof(field), "variables.%s", k);
			if ((rc = inn_tmpl_render(&env, v, field, &rv)) != 0)
				goto err;
			json_object_object_add(vars, k, rv);
		}
	}
	{
		int64_t t = o && o->timeout_ms > 0 ? o->timeout_ms : wf->timeout_ms;
		const inn_policy *pol = inn_engine_policy(eng);

		if (t <= 0 && pol != NULL && pol->max_workflow_ms > 0)
			t = pol->max_workflow_ms;
		if (t <= 0)
			t = DEFAULT_WORKFLOW_TIMEOUT_MS;
		if (pol != NULL && pol->max_workflow_ms > 0 && t > pol->max_workflow_ms)
			t = pol->max_workflow_ms;
		r->deadline_ms = t; /* relative until execute starts */
	}
	if ((rc = make_state_base(r, o)) != 0)
		goto err;
	if (o != NULL && o->completed != NULL) {
		json_object *mask;

		if (json_object_object_get_ex(o->completed, INN_COMPLETED_MASK, &mask) &&
		    json_object_is_type(mask, json_type_array)) {
			for (i = 0; i < json_object_array_length(mask); i++)
				inn_masker_add(r->masker,
				               json_object_get_string(json_object_array_get_idx(mask, i)));
		}
		for (i = 0; i < r->n; i++) {
			json_object *outs, *so;

			if (!json_object_object_get_ex(o->completed, wf->steps[i].name, &outs))
				continue;
			so = json_object_new_object();
			json_object_object_add(so, "outputs", outs ? json_object_get(outs)
			                                           : json_object_new_object());
			json_object_object_add(steps, wf->steps[i].name, so);
			r->steps[i].res.state = INN_STATE_SUCCEEDED;
			r->steps[i].res.attempts = 0;
			r->steps[i].res.message = strdup("reused from an earlier execution");
			r->steps[i].res.outputs = masked_copy(r->masker, outs);
			r->steps[i].res.outputs_real = json_object_get(outs);
		}
	}
	r->state = INN_STATE_PENDING;
	*out = r;
	return 0;
err:
	if (rc == INN_ENOMEM)
		inn_error_set(INN_ENOMEM, "out of memory preparing workflow \"%s\"", wf->name);
	inn_run_free(r);
	return rc;
}

/* ---- running one step ------------------------------------------------- */

static void
emit_state_as(inn_run *r, struct srun *s, inn_state st, const char *msg)
{
	if (r->ev.step_state != NULL)
		r->ev.step_state(r->ev.ud, s->res.def->name, st, s->res.attempts, msg);
}

static void
emit_state(inn_run *r, struct srun *s, const char *msg)
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
	char buf[2048], *big = NULL;
	va_list ap, ap2;
	int n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* a longer message is masked whole (step_log), never cut first: a
	 * cut could leave the start of a secret unmasked */
	if (n >= 0 && (size_t)n >= sizeof(buf) && (big = malloc((size_t)n + 1)) != NULL)
		vsnprintf(big, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	step_log(&lc, level, INN_STREAM_HOST, big ? big : buf, big ? (size_t)n : strlen(buf));
	free(big);
}

struct bind_ctx {
	inn_run *run;
	json_object *env;
};

/* Shell mode: a template value becomes an environment variable. */
static int
bind_env(void *ud, const char *value, char *name, size_t namelen)
{
	struct bind_ctx *b = ud;

	snprintf(name, namelen, "INN_T_%u", ++b->run->bind_seq);
	json_object_object_add(b->env, name, json_object_new_string(value));
	return 0;
}

/* A JSON copy with every registered secret masked, string by string (so a
 * secret holding quotes or backslashes is found as written, not as JSON
 * escapes).  Object keys are masked too. */
static json_object *
masked_copy(inn_masker *m, json_object *o)
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
			json_object_array_add(c, masked_copy(m, json_object_array_get_idx(o, i)));
		return c;
	case json_type_object:
		c = json_object_new_object();
		json_object_object_foreach(o, k, v) {
			char *mk = inn_masker_apply(m, k, strlen(k), NULL);

			json_object_object_add(c, mk ? mk : k, masked_copy(m, v));
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
			c = NULL;
			json_object_deep_copy(o, &c, NULL);
			return c;
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

/* Renders the step's config (lock held). */
static int
render_config(inn_run *r, const inn_step_def *d, json_object **out)
{
	inn_tmpl_env env = { r->data, r->masker, NULL, NULL };
	json_object *cfg = NULL, *envobj = NULL, *script;
	int rc;

	*out = NULL;
	if ((rc = inn_tmpl_render(&env, d->config, "config", &cfg)) != 0)
		return rc;
	if (!json_object_is_type(cfg, json_type_object)) {
		json_object_put(cfg);
		return inn_error_set(INN_EINVAL, "config must be a mapping");
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
	/* Shell scripts: values reach the script as environment variables. */
	if (d->plugin_type != NULL && strcmp(d->plugin_type, "shell") == 0 &&
	    json_object_object_get_ex(d->config, "script", &script) &&
	    json_object_is_type(script, json_type_string)) {
		struct bind_ctx b;
		inn_tmpl_env senv = env;
		char *text = NULL;

		if (!json_object_object_get_ex(cfg, "env", &envobj) ||
		    !json_object_is_type(envobj, json_type_object)) {
			envobj = json_object_new_object();
			json_object_object_add(cfg, "env", envobj);
		}
		b.run = r;
		b.env = envobj;
		senv.bind = bind_env;
		senv.bind_ud = &b;
		if ((rc = inn_tmpl_render_string(&senv, json_object_get_string(script),
		                                  &text)) != 0) {
			char why[1024];

			snprintf(why, sizeof(why), "%s", inn_error_last());
			json_object_put(cfg);
			return inn_error_set(rc, "config.script: %s", why);
		}
		json_object_object_add(cfg, "script", json_object_new_string(text));
		free(text);
	}
	*out = cfg;
	return 0;
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
	s->res.message = xstrdup(msg);
	if ((st == INN_STATE_FAILED || st == INN_STATE_TIMED_OUT ||
	     st == INN_STATE_CANCELLED) && !s->res.def->continue_on_error)
		r->stop = 1;
	r->running--;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* Non-zero when a dry-run's render error (rc, just returned on this
 * thread) comes from a value a dry-run cannot know: a key missing under
 * steps (the outputs of steps it does not run) or resources (what those
 * steps would provision).  Any other render error (a template over a
 * limit, a type error, a missing parameter) is what a real run would hit,
 * so the dry-run reports it as the failure. */
static int
dry_run_unknown(const inn_run *r, int rc)
{
	const char *root = inn_tmpl_missing_root();

	return r->dry_run && rc == INN_ENOTFOUND &&
	       (strcmp(root, "steps") == 0 || strcmp(root, "resources") == 0);
}

static void *
step_thread(void *arg)
{
	struct srun *s = arg;
	inn_run *r = s->run;
	const inn_step_def *d = s->res.def;
	const inn_plugin *plugin = inn_registry_find(inn_engine_registry(r->eng),
	                                             d->plugin_type);
	struct log_ctx lc = { r, d->name };
	json_object *cfg = NULL, *cond = NULL;
	char wsdir[4096], statedir[4096], msg[1536];
	int attempts, rc;

	s->res.started_ms = inn_wall_ms();
	emit_state(r, s, NULL);
	/* condition */
	if (d->when != NULL) {
		inn_tmpl_env env = { r->data, r->masker, NULL, NULL };
		int truth;

		pthread_mutex_lock(&r->lock);
		rc = inn_tmpl_render_value(&env, d->when, &cond);
		pthread_mutex_unlock(&r->lock);
		if (rc != 0) {
			snprintf(msg, sizeof(msg), "if: %s", inn_error_last());
			if (dry_run_unknown(r, rc)) {
				/* e.g. it reads outputs of steps a dry-run does not run */
				finish_step(r, s, INN_STATE_WOULD_RUN, "would-run if its condition "
				            "holds; the condition depends on values not known in a "
				            "dry-run");
				return NULL;
			}
			engine_log(r, d->name, INN_LOG_ERROR, "%s", msg);
			finish_step(r, s, INN_STATE_FAILED, msg);
			return NULL;
		}
		truth = inn_tmpl_truthy(cond);
		json_object_put(cond);
		if (!truth) {
			finish_step(r, s, INN_STATE_SKIPPED, "skipped: condition false");
			return NULL;
		}
	}
	if (plugin == NULL) {
		snprintf(msg, sizeof(msg), "no plugin provides step type \"%s\"", d->plugin_type);
		finish_step(r, s, INN_STATE_FAILED, msg);
		return NULL;
	}
	pthread_mutex_lock(&r->lock);
	rc = render_config(r, d, &cfg);
	pthread_mutex_unlock(&r->lock);
	if (rc != 0) {
		int unknown = dry_run_unknown(r, rc);

		snprintf(msg, sizeof(msg), "step \"%s\": %s", d->name, inn_error_last());
		engine_log(r, d->name, INN_LOG_ERROR, "%s", msg);
		finish_step(r, s, unknown ? INN_STATE_WOULD_RUN : INN_STATE_FAILED,
		            unknown ? "would-run; config depends on values not known in a "
		                      "dry-run" : msg);
		return NULL;
	}
	s->res.config = masked_copy(r->masker, cfg);
	if (r->dry_run && !(plugin->desc.flags & INN_PLUGIN_DRY_RUN)) {
		json_object_put(cfg);
		finish_step(r, s, INN_STATE_SKIPPED, "skipped: plugin has no dry-run");
		return NULL;
	}
	snprintf(wsdir, sizeof(wsdir), "%s/%s", r->workspace, d->name);
	mkdir(wsdir, 0700);
	attempts = 1;
	if (d->retries > 0 && (d->retry_opt_in || (plugin->desc.flags & INN_PLUGIN_IDEMPOTENT)))
		attempts += d->retries;
	for (s->res.attempts = 1;; s->res.attempts++) {
		inn_pool_req req;
		inn_pool_res res;
		int64_t deadline = r->deadline_ms;
		inn_state st;

		if (d->timeout_ms > 0 && d->timeout_ms < deadline - inn_now_ms())
			deadline = inn_now_ms() + d->timeout_ms;
		memset(&req, 0, sizeof(req));
		req.type = d->plugin_type;
		req.name = d->name;
		req.config = cfg;
		req.workspace = wsdir;
		req.base_dir = r->wf->base_dir;
		if (r->state_base != NULL) {
			char plug[PATH_PART_LEN];

			path_part(plug, d->plugin_type, "_");
			snprintf(statedir, sizeof(statedir), "%s/%s", r->state_base, plug);
			req.state_dir = statedir;
		}
		req.dry_run = r->dry_run;
		req.deadline_ms = deadline;
		req.secrets = r->secrets;
		req.masker = r->masker;
		req.cancel = &r->cancel;
		req.log = step_log;
		req.log_ud = &lc;
		if (inn_pool_exec(r->eng, &req, &res) != 0) {
			snprintf(msg, sizeof(msg), "%s", inn_error_last());
			inn_pool_res_clear(&res);
			json_object_put(cfg);
			finish_step(r, s, INN_STATE_FAILED, msg);
			return NULL;
		}
		if (res.rc == 0) {
			json_object *so, *outs;

			json_object_object_foreach(res.secret_keys, sk, sv) {
				json_object *val;

				(void)sv;
				if (json_object_object_get_ex(res.outputs, sk, &val))
					inn_masker_add(r->masker, json_object_get_string(val));
			}
			if (secret_output_name(r, res.outputs, msg, sizeof(msg))) {
				/* names are shown and stored as they are: refused, never masked */
				inn_pool_res_clear(&res);
				json_object_put(cfg);
				finish_step(r, s, INN_STATE_FAILED, msg);
				return NULL;
			}
			so = json_object_new_object();
			pthread_mutex_lock(&r->lock);
			json_object_object_add(so, "outputs", json_object_get(res.outputs));
			json_object_object_get_ex(r->data, "steps", &outs);
			json_object_object_add(outs, d->name, so);
			s->res.outputs = masked_copy(r->masker, res.outputs);
			json_object_put(s->res.outputs_real);
			s->res.outputs_real = res.outputs ? json_object_get(res.outputs) : NULL;
			pthread_mutex_unlock(&r->lock);
			inn_pool_res_clear(&res);
			json_object_put(cfg);
			finish_step(r, s, r->dry_run ? INN_STATE_WOULD_RUN : INN_STATE_SUCCEEDED,
			            r->dry_run ? "would-run (plugin dry-run succeeded)" : NULL);
			return NULL;
		}
		if (res.rc == INN_ETIMEOUT || (deadline > 0 && inn_now_ms() >= deadline &&
		                               !atomic_load(&r->cancel)))
			st = INN_STATE_TIMED_OUT;
		else if (atomic_load(&r->cancel))
			st = r->timed_out ? INN_STATE_TIMED_OUT : INN_STATE_CANCELLED;
		else
			st = INN_STATE_FAILED;
		{
			const char *why = res.error && *res.error ? res.error : NULL;
			size_t ml;

			if (why != NULL)
				snprintf(msg, sizeof(msg), "%s", why);
			else if (st == INN_STATE_TIMED_OUT)
				snprintf(msg, sizeof(msg), "timed out: the step or the workflow "
				         "reached its timeout and was stopped");
			else if (st == INN_STATE_CANCELLED)
				snprintf(msg, sizeof(msg), "cancelled: the execution was cancelled "
				         "while this step ran, so it was stopped");
			else
				snprintf(msg, sizeof(msg), "plugin \"%s\" returned %d", d->plugin_type,
				         res.rc);
			ml = strlen(msg);
			{
				char *m2 = inn_masker_apply(r->masker, msg, ml, NULL);

				if (m2 != NULL) {
					snprintf(msg, sizeof(msg), "%s", m2);
					free(m2);
				}
			}
		}
		inn_pool_res_clear(&res);
		if (s->res.attempts < attempts && st == INN_STATE_FAILED &&
		    !atomic_load(&r->cancel)) {
			int64_t wait = d->backoff_ms > 0 ? d->backoff_ms : 1000;
			int k;

			for (k = 1; k < s->res.attempts && wait < MAX_BACKOFF_MS; k++)
				wait *= 2;
			if (wait > MAX_BACKOFF_MS)
				wait = MAX_BACKOFF_MS;
			engine_log(r, d->name, INN_LOG_WARN, "attempt %d of %d failed: %s; "
			           "retrying in %lld ms", s->res.attempts, attempts, msg,
			           (long long)wait);
			if (backoff_wait(r, wait) == 0)
				continue;
			st = atomic_load(&r->cancel) ? INN_STATE_CANCELLED : INN_STATE_TIMED_OUT;
			snprintf(msg, sizeof(msg), "%s while waiting to retry",
			         st == INN_STATE_CANCELLED ? "cancelled" : "the workflow timed out");
		}
		json_object_put(cfg);
		finish_step(r, s, st, msg);
		return NULL;
	}
}

/* ---- the scheduler --------------------------------------------------- */

/* 1: all deps final and fine; 0: still waiting; -1: a dep failed (index in *bad). */
static int
deps_state(inn_run *r, struct srun *s, size_t *bad)
{
	size_t j;

	for (j = 0; j < s->ndeps; j++) {
		struct srun *d = &r->steps[s->deps[j]];

		if (!inn_state_is_final(d->res.state))
			return 0;
		if ((d->res.state == INN_STATE_FAILED || d->res.state == INN_STATE_TIMED_OUT ||
		     d->res.state == INN_STATE_CANCELLED) && !d->res.def->continue_on_error) {
			*bad = s->deps[j];
			return -1;
		}
		if (d->res.state == INN_STATE_SKIPPED && d->res.message != NULL &&
		    strncmp(d->res.message, "skipped: step", 13) == 0) {
			*bad = s->deps[j];
			return -1;
		}
	}
	return 1;
}

/* The scheduler's one decision (lock held): settles steps that can no
 * longer run (cancelled, a dependency failed, the run stopped), and returns
 * the index of a step ready to run -- marked running -- or -1.  *finished is
 * set when nothing is pending or running any more. */
static long
pick_locked(inn_run *r, int *finished)
{
	size_t i, pending = 0;

	*finished = 0;
	if (!r->timed_out && inn_now_ms() >= r->deadline_ms) {
		r->timed_out = 1;
		atomic_store(&r->cancel, 1);
	}
	for (i = 0; i < r->n; i++) {
		struct srun *s = &r->steps[i];
		size_t bad = 0;
		const char *why = NULL;
		char msg[512];
		int ds;

		if (s->res.state != INN_STATE_PENDING)
			continue;
		if (atomic_load(&r->cancel)) {
			s->res.state = r->timed_out ? INN_STATE_TIMED_OUT : INN_STATE_CANCELLED;
			why = r->timed_out ? "not started: the workflow timed out"
			                   : "not started: cancelled";
		} else if ((ds = deps_state(r, s, &bad)) < 0) {
			snprintf(msg, sizeof(msg), "skipped: step \"%s\" %s",
			         r->steps[bad].res.def->name,
			         r->steps[bad].res.state == INN_STATE_SKIPPED ? "was skipped"
			                                                     : "did not succeed");
			s->res.state = INN_STATE_SKIPPED;
			why = msg;
		} else if (ds == 0 || r->running >= r->max_parallel) {
			pending++;
			continue;
		} else if (r->stop) {
			/* a failure stops new launches; the rest is skipped */
			s->res.state = INN_STATE_SKIPPED;
			why = "skipped: an earlier step failed";
		} else {
			s->res.state = INN_STATE_RUNNING;
			r->running++;
			return (long)i;
		}
		s->res.message = strdup(why);
		pthread_mutex_unlock(&r->lock);
		emit_state(r, s, s->res.message);
		pthread_mutex_lock(&r->lock);
	}
	if (pending > 0 && r->running == 0) {
		/* The count may be stale (the lock was dropped to report): only
		 * when a fresh look finds no pending step whose dependencies are
		 * all done is it a cycle. */
		size_t bad = 0;

		for (i = 0; i < r->n; i++)
			if (r->steps[i].res.state == INN_STATE_PENDING &&
			    deps_state(r, &r->steps[i], &bad) != 0)
				return -1; /* something can move: the next pass handles it */
		for (i = 0; i < r->n; i++) {
			struct srun *s = &r->steps[i];

			if (s->res.state != INN_STATE_PENDING)
				continue;
			s->res.state = INN_STATE_FAILED;
			s->res.message = strdup("not started: its dependencies form a cycle");
			pthread_mutex_unlock(&r->lock);
			emit_state(r, s, s->res.message);
			pthread_mutex_lock(&r->lock);
		}
		r->stop = 1;
		pending = 0;
	}
	*finished = pending == 0 && r->running == 0;
	return -1;
}

/* A runner: takes ready steps and runs them until the run is over.  The
 * thread finishing a step picks the next one itself, so a sequential
 * workflow costs no thread hand-off between steps. */
static void *
runner(void *arg)
{
	inn_run *r = arg;
	struct timespec ts;
	int finished;
	long idx;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		if ((idx = pick_locked(r, &finished)) >= 0) {
			pthread_mutex_unlock(&r->lock);
			step_thread(&r->steps[idx]);
			pthread_mutex_lock(&r->lock);
			continue;
		}
		if (finished)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		{
			int64_t left = r->deadline_ms - inn_now_ms();

			if (left > 100)
				left = 100;
			if (left < 1)
				left = 1;
			ts.tv_nsec += left * 1000000;
			ts.tv_sec += ts.tv_nsec / 1000000000;
			ts.tv_nsec %= 1000000000;
		}
		pthread_cond_timedwait(&r->cond, &r->lock, &ts);
	}
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int
inn_run_execute(inn_run *r)
{
	size_t i, nthreads;
	int64_t start = inn_now_ms();
	pthread_t *tids;

	r->deadline_ms = r->deadline_ms > INT64_MAX / 2 ? INT64_MAX / 2 : start + r->deadline_ms;
	r->state = INN_STATE_RUNNING;
	/* the workspace is made here, not in inn_run_new(): a run that is only
	 * checked (a request validated before it is stored) costs no directory */
	if (make_workspace(r) != 0) {
		r->state = INN_STATE_FAILED;
		r->message = strdup(inn_error_last());
		return INN_ERROR;
	}
	/* steps reused from an earlier execution are reported first */
	for (i = 0; i < r->n; i++)
		if (r->steps[i].res.state == INN_STATE_SUCCEEDED)
			emit_state(r, &r->steps[i], r->steps[i].res.message);
	nthreads = (size_t)r->max_parallel < r->n ? (size_t)r->max_parallel : r->n;
	tids = nthreads > 1 ? calloc(nthreads - 1, sizeof(*tids)) : NULL;
	for (i = 0; tids != NULL && i + 1 < nthreads; i++)
		if (pthread_create(&tids[i], NULL, runner, r) != 0)
			break;
	nthreads = i + 1; /* the calling thread is a runner too */
	runner(r);
	for (i = 0; i + 1 < nthreads; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	/* the run's state */
	{
		inn_state st = r->dry_run ? INN_STATE_WOULD_RUN : INN_STATE_SUCCEEDED;
		const char *why = NULL;
		char buf[1024];

		for (i = 0; i < r->n; i++) {
			inn_step_result *sr = &r->steps[i].res;

			if ((sr->state == INN_STATE_FAILED || sr->state == INN_STATE_TIMED_OUT ||
			     sr->state == INN_STATE_CANCELLED) && !sr->def->continue_on_error &&
			    st != INN_STATE_FAILED) {
				st = INN_STATE_FAILED;
				snprintf(buf, sizeof(buf), "step \"%s\" %s: %s", sr->def->name,
				         inn_state_name(sr->state), sr->message ? sr->message : "");
				why = buf;
			}
		}
		if (r->timed_out) {
			st = INN_STATE_TIMED_OUT;
			snprintf(buf, sizeof(buf), "the workflow ran past its %lld ms timeout",
			         (long long)(r->deadline_ms - start));
			why = buf;
		} else if (atomic_load(&r->cancel)) {
			st = INN_STATE_CANCELLED;
			why = "cancelled";
		}
		/* workflow outputs */
		if (st == INN_STATE_SUCCEEDED && r->wf->outputs != NULL &&
		    json_object_object_length(r->wf->outputs) > 0) {
			inn_tmpl_env env = { r->data, r->masker, NULL, NULL };
			json_object *outs = NULL;

			if (inn_tmpl_render(&env, r->wf->outputs, "outputs", &outs) != 0) {
				st = INN_STATE_FAILED;
				snprintf(buf, sizeof(buf), "%s", inn_error_last());
				why = buf;
			} else {
				r->outputs = masked_copy(r->masker, outs);
				r->outputs_real = outs;
			}
		}
		r->state = st;
		r->message = xstrdup(why);
	}
	return r->state == INN_STATE_SUCCEEDED || r->state == INN_STATE_WOULD_RUN ? 0
	                                                                          : INN_ERROR;
}

void
inn_run_cancel(inn_run *r)
{
	if (r != NULL)
		atomic_store(&r->cancel, 1);
}

void
inn_run_free(inn_run *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->steps[i].deps);
		free(r->steps[i].res.message);
		json_object_put(r->steps[i].res.outputs);
		json_object_put(r->steps[i].res.outputs_real);
		json_object_put(r->steps[i].res.config);
	}
	free(r->steps);
	inn_rmrf(r->workspace);
	free(r->workspace);
	free(r->state_base);
	json_object_put(r->params);
	json_object_put(r->data);
	json_object_put(r->secrets);
	json_object_put(r->outputs);
	json_object_put(r->outputs_real);
	inn_masker_free(r->masker);
	free(r->message);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	free(r);
}

inn_state
inn_run_state(const inn_run *r)
{
	return r->state;
}

const char *
inn_run_message(const inn_run *r)
{
	return r->message;
}

size_t
inn_run_nsteps(const inn_run *r)
{
	return r->n;
}

const inn_step_result *
inn_run_step(const inn_run *r, size_t i)
{
	return i < r->n ? &r->steps[i].res : NULL;
}

json_object *
inn_run_outputs(const inn_run *r)
{
	return r->outputs;
}

json_object *
inn_run_outputs_real(const inn_run *r)
{
	return r->outputs_real;
}

json_object *
inn_run_params(const inn_run *r)
{
	return r->params;
}

json_object *
inn_run_params_masked(const inn_run *r)
{
	return masked_copy(r->masker, r->params);
}

inn_masker *
inn_run_masker(const inn_run *r)
{
	return r->masker;
}
