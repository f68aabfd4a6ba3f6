/*
 * exec_run.c - one execution of one workflow: resolves parameters and
 * variables into a per-run data context, prepares its workspace and state
 * folder, schedules the steps on runner threads (each step is run by
 * exec_step.c), and renders the workflow outputs at the end.
 *
 * The order is the loader's resolved step graph (inn_step_def.dep_idx,
 * load_graph.c): a step starts once every step it waits for is final;
 * depends_on and parallel groups run concurrently.
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

#include "array.h"
#include "cond.h"
#include "error.h"
#include "exec_run_int.h"
#include "host.h"
#include "mask.h"
#include "tmpl.h"

#define DEFAULT_WORKFLOW_TIMEOUT_MS (60LL * 60 * 1000)

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

/* A parameter left to a default that is a template (the original's
 * `default: "{{ .parameters.app_name }}"`: another parameter's value) gets
 * that template rendered once the other parameters are in r->data, in
 * declaration order, and checked against its declaration; given values are
 * never rendered. */
static int
render_param_defaults(inn_run *r, json_object *given)
{
	inn_tmpl_env env = { r->data, r->masker, NULL, NULL };
	char path[300], why[300];
	json_object *cur, *rv;
	const inn_param *p;
	size_t i;
	int rc;

	for (i = 0; i < r->wf->nparams; i++) {
		p = &r->wf->params[i];
		if (p->def == NULL || !json_object_is_type(p->def, json_type_string) ||
		    !inn_tmpl_has_syntax(json_object_get_string(p->def)) ||
		    (given != NULL && json_object_object_get_ex(given, p->name, NULL)) ||
		    !json_object_object_get_ex(r->params, p->name, &cur) ||
		    !json_object_equal(cur, p->def))
			continue;
		snprintf(path, sizeof(path), "parameters.%s (its default)", p->name);
		rv = NULL;
		if ((rc = inn_tmpl_render(&env, p->def, path, &rv)) != 0)
			return rc;
		if (inn_param_check(p, rv, why, sizeof(why)) != 0) {
			json_object_put(rv);
			return inn_error_set(INN_EINVAL, "parameter \"%s\": its default %s renders "
			                     "to a value it does not take: %s", p->name,
			                     json_object_get_string(p->def), why);
		}
		json_object_object_add(r->params, p->name, rv);
	}
	return 0;
}

/* ---- run set-up ----------------------------------------------------------- */

/* The run's secrets: the engine's (the admin config's secrets:), then the
 * run's own over them; every value is known to the masker. */
static int
run_secrets(inn_run *r, const inn_run_opts *o)
{
	json_object *srcs[2] = { inn_engine_secrets(r->eng), o != NULL ? o->secrets : NULL };
	size_t i;

	if (srcs[0] == NULL && srcs[1] == NULL)
		return 0;
	if ((r->secrets = json_object_new_object()) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	for (i = 0; i < 2; i++) {
		if (srcs[i] == NULL)
			continue;
		/* copies: the engine's object is shared by runs on other threads */
		json_object_object_foreach(srcs[i], k, v) {
			json_object *c = json_object_new_string(json_object_get_string(v));

			if (c == NULL || json_object_object_add(r->secrets, k, c) != 0) {
				json_object_put(c);
				return inn_error_set(INN_ENOMEM, "out of memory");
			}
			inn_masker_add(r->masker, json_object_get_string(v));
		}
	}
	return 0;
}

/* The run's timeout: the caller's, else the workflow's, else the policy's
 * maximum, else DEFAULT_WORKFLOW_TIMEOUT_MS; never past the maximum. */
static int64_t
run_timeout(const inn_run *r, const inn_run_opts *o)
{
	int64_t t = o && o->timeout_ms > 0 ? o->timeout_ms : r->wf->timeout_ms;
	const inn_policy *pol = inn_engine_policy(r->eng);

	if (t <= 0 && pol != NULL && pol->max_workflow_ms > 0)
		t = pol->max_workflow_ms;
	if (t <= 0)
		t = DEFAULT_WORKFLOW_TIMEOUT_MS;
	if (pol != NULL && pol->max_workflow_ms > 0 && t > pol->max_workflow_ms)
		t = pol->max_workflow_ms;
	return t;
}

json_object *
inn_completed_mask(json_object *completed)
{
	json_object *mask;

	if (!json_object_object_get_ex(completed, INN_COMPLETED_MASK, &mask)) {
		mask = json_object_new_array();
		json_object_object_add(completed, INN_COMPLETED_MASK, mask);
	}
	return mask;
}

/* Steps an earlier execution completed (inn_run_opts.completed): settled
 * as succeeded with their outputs under steps (the template data), their
 * secret values registered with the masker. */
static void
reuse_completed(inn_run *r, json_object *completed, json_object *steps)
{
	const inn_workflow *wf = r->wf;
	json_object *mask;
	size_t i;

	if (json_object_object_get_ex(completed, INN_COMPLETED_MASK, &mask) &&
	    json_object_is_type(mask, json_type_array)) {
		for (i = 0; i < json_object_array_length(mask); i++)
			inn_masker_add(r->masker,
			               json_object_get_string(json_object_array_get_idx(mask, i)));
	}
	for (i = 0; i < r->n; i++) {
		json_object *outs, *so;

		/* when: always / on_failure steps answer this run's outcome */
		if (!json_object_object_get_ex(completed, wf->steps[i].name, &outs) ||
		    inn_step_conds_after_failure(wf->steps[i].conds))
			continue;
		so = json_object_new_object();
		json_object_object_add(so, "outputs", outs ? json_object_get(outs)
		                                           : json_object_new_object());
		json_object_object_add(steps, wf->steps[i].name, so);
		r->steps[i].res.state = INN_STATE_SUCCEEDED;
		r->steps[i].res.attempts = 0;
		r->steps[i].res.message = strdup("reused from an earlier execution");
		r->steps[i].res.outputs = inn_exec_masked_copy(r->masker, outs);
		r->steps[i].res.outputs_real = json_object_get(outs);
	}
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
	if ((rc = run_secrets(r, o)) != 0)
		goto err;
	if ((rc = resolve_params(r, o ? o->params : NULL)) != 0)
		goto err;
	/* the template data */
	if (o != NULL && o->data != NULL) {
		json_object_object_foreach(o->data, k, v)
			json_object_object_add(r->data, k, json_object_get(v));
	}
	json_object_object_add(r->data, "parameters", json_object_get(r->params));
	if ((rc = render_param_defaults(r, o ? o->params : NULL)) != 0)
		goto err;
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
	r->deadline_ms = run_timeout(r, o); /* relative until execute starts */
	if ((rc = inn_exec_state_base(r, o)) != 0)
		goto err;
	if (o != NULL && o->completed != NULL)
		reuse_completed(r, o->completed, steps);
	r->state = INN_STATE_PENDING;
	*out = r;
	return 0;
err:
	if (rc == INN_ENOMEM)
		inn_error_set(INN_ENOMEM, "out of memory preparing workflow \"%s\"", wf->name);
	inn_run_free(r);
	return rc;
}

/* ---- the scheduler --------------------------------------------------- */

/* 1: all deps final and fine; 0: still waiting; -1: a dep failed (index in
 * *bad).  A step that runs after failures (when: always, on_failure) only
 * waits for its deps to be final. */
static int
deps_state(inn_run *r, struct srun *s, size_t *bad)
{
	const size_t *deps = s->res.def->dep_idx;
	int any = inn_step_conds_after_failure(s->res.def->conds);
	size_t j;

	for (j = 0; j < s->res.def->ndep_idx; j++) {
		struct srun *d = &r->steps[deps[j]];

		if (!inn_state_is_final(d->res.state))
			return 0;
		if (any)
			continue;
		if (inn_state_is_failure(d->res.state) && !d->res.def->continue_on_error) {
			*bad = deps[j];
			return -1;
		}
		if (d->res.state == INN_STATE_SKIPPED && d->res.message != NULL &&
		    strncmp(d->res.message, "skipped: step", 13) == 0) {
			*bad = deps[j];
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
		} else if (r->stop && !inn_step_conds_after_failure(s->res.def->conds)) {
			/* a failure stops new launches (but when: always / on_failure);
			 * the rest is skipped.  Not "an earlier step failed": when:
			 * means the steps this one waits for (README), and those may
			 * all have succeeded. */
			long f = inn_exec_stopping_step(r);

			if (f >= 0)
				snprintf(msg, sizeof(msg), "skipped: the run stopped after step \"%s\" "
				         "failed", r->steps[f].res.def->name);
			else
				snprintf(msg, sizeof(msg), "skipped: the run stopped after a failure");
			s->res.state = INN_STATE_SKIPPED;
			why = msg;
		} else {
			s->res.state = INN_STATE_RUNNING;
			r->running++;
			return (long)i;
		}
		s->res.message = strdup(why);
		pthread_mutex_unlock(&r->lock);
		inn_exec_emit_state(r, s, s->res.message);
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
			inn_exec_emit_state(r, s, s->res.message);
			pthread_mutex_lock(&r->lock);
		}
		r->stop = 1;
		pending = 0;
	}
	*finished = pending == 0 && r->running == 0;
	return -1;
}

/* Non-zero when a pending step could start now besides the one just
 * picked (lock held): then an idle runner is worth waking. */
static int
another_ready(inn_run *r)
{
	size_t i, bad = 0;

	if (r->running >= r->max_parallel || atomic_load(&r->cancel))
		return 0;
	for (i = 0; i < r->n; i++)
		if (r->steps[i].res.state == INN_STATE_PENDING &&
		    deps_state(r, &r->steps[i], &bad) > 0)
			return 1;
	return 0;
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
			/* a sequential workflow wakes nobody: each step's thread runs
			 * the next; parallel steps wake one runner each, in a chain */
			if (another_ready(r))
				pthread_cond_signal(&r->cond);
			pthread_mutex_unlock(&r->lock);
			inn_exec_step_thread(&r->steps[idx]);
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

/* ---- workflow outputs ------------------------------------------------------ */

/* Most step outputs one run's workflow outputs may find missing. */
#define MAX_MISSING_OUTPUTS 256

/* The step path names when it is "steps.S" or "steps.S.outputs.K" (K one
 * key) for a step S of the workflow: its index, with K in key (keylen
 * bytes; "" for "steps.S"); else -1.  Anything deeper (a key the output
 * has, read further) is not a missing output. */
static long
missing_step_output(const inn_run *r, const char *path, char *key, size_t keylen)
{
	const char *name = path + 6, *rest;
	size_t len, i;

	if (strncmp(path, "steps.", 6) != 0)
		return -1;
	len = strcspn(name, ".");
	rest = name + len;
	if (*rest != '\0' && (strncmp(rest, ".outputs.", 9) != 0 ||
	                      strchr(rest + 9, '.') != NULL || rest[9] == '\0'))
		return -1;
	if ((size_t)snprintf(key, keylen, "%s", *rest ? rest + 9 : "") >= keylen)
		return -1;
	for (i = 0; i < r->n; i++)
		if (strlen(r->wf->steps[i].name) == len &&
		    memcmp(r->wf->steps[i].name, name, len) == 0)
			return (long)i;
	return -1;
}

/* Puts steps.<name>.outputs.<key> = null (just the outputs object when
 * key is "") into steps, making what is missing. */
static int
put_null_output(json_object *steps, const char *name, const char *key)
{
	json_object *so, *outs;

	if (!json_object_object_get_ex(steps, name, &so) ||
	    !json_object_is_type(so, json_type_object)) {
		if ((so = json_object_new_object()) == NULL ||
		    json_object_object_add(steps, name, so) != 0)
			return inn_error_set(INN_ENOMEM, "out of memory");
	}
	if (!json_object_object_get_ex(so, "outputs", &outs) ||
	    !json_object_is_type(outs, json_type_object)) {
		if ((outs = json_object_new_object()) == NULL ||
		    json_object_object_add(so, "outputs", outs) != 0)
			return inn_error_set(INN_ENOMEM, "out of memory");
	}
	if (key[0] != '\0' && json_object_object_add(outs, key, NULL) != 0)
		return inn_error_set(INN_ENOMEM, "out of memory");
	return 0;
}

/* Tells the run's log that output out reads step s's output key, which
 * it did not produce, so it is empty. */
static void
warn_missing_output(inn_run *r, const char *out, size_t s, const char *key)
{
	const inn_step_def *d = &r->wf->steps[s];
	inn_state st = r->steps[s].res.state;
	char line[1024];
	int len;

	if (st == INN_STATE_SUCCEEDED && d->plugin_type != NULL &&
	    strcmp(d->plugin_type, "shell") == 0)
		len = snprintf(line, sizeof(line), "warning: outputs.%s: step \"%s\" wrote "
		               "no output \"%s\", so the reference reads as null (empty in "
		               "text); a script writes it with: echo \"%s=...\" >> "
		               "\"$INNOMINATUS_OUTPUT\"", out, d->name, key, key);
	else if (st == INN_STATE_SUCCEEDED)
		len = snprintf(line, sizeof(line), "warning: outputs.%s: step \"%s\" (%s) "
		               "reported no output \"%s\", so the reference reads as null "
		               "(empty in text)", out, d->name, d->plugin_type ? d->plugin_type
		               : d->type, key);
	else
		len = snprintf(line, sizeof(line), "warning: outputs.%s: step \"%s\" %s, so "
		               "it has no output \"%s\" and the reference reads as null "
		               "(empty in text)", out, d->name, st == INN_STATE_SKIPPED ?
		               "was skipped" : "did not succeed", key);
	if (r->ev.log != NULL && len > 0)
		r->ev.log(r->ev.ud, "", INN_LOG_WARN, 0, line,
		          (size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1);
}

/* A copy of the run's data whose steps (*steps) the caller may change:
 * the run's own data stays as the steps left it.  NULL when out of memory
 * (message set). */
static json_object *
data_own_steps(const inn_run *r, json_object **steps)
{
	json_object *data = json_object_new_object(), *orig = NULL;

	*steps = NULL;
	if (data == NULL)
		goto oom;
	json_object_object_foreach(r->data, k, v)
		json_object_object_add(data, k, json_object_get(v));
	if (!json_object_object_get_ex(r->data, "steps", &orig) ||
	    json_object_deep_copy(orig, steps, NULL) != 0)
		goto oom;
	if (json_object_object_add(data, "steps", *steps) == 0)
		return data;
	json_object_put(*steps);
oom:
	json_object_put(data);
	*steps = NULL;
	inn_error_set(INN_ENOMEM, "out of memory");
	return NULL;
}

/*
 * Renders the workflow's outputs into *out.  A reference to a step output
 * the step did not produce (it wrote none of that name, or was skipped, or
 * failed under continue_on_error) reads as null, with a warning on the
 * run's log naming the output and the step: the original rendered
 * "<no value>" there and the run succeeded.  Step configs do not get this:
 * there a missing output stays an error.  Other render errors are errors.
 * Each output starts from the run's data, so each one that reads a missing
 * output is warned about.  Returns 0 or an error with its message set.
 */
static int
render_outputs(inn_run *r, json_object **out)
{
	json_object *data = NULL, *steps = NULL, *outs = json_object_new_object();
	size_t nmissing = 0;
	int rc = 0;

	*out = NULL;
	if (outs == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	json_object_object_foreach(r->wf->outputs, name, tmpl) {
		inn_tmpl_env env = { r->data, r->masker, NULL, NULL };
		json_object *v = NULL;
		char path[300], key[512];
		long s;

		snprintf(path, sizeof(path), "outputs.%s", name);
		while ((rc = inn_tmpl_render(&env, tmpl, path, &v)) == INN_ENOTFOUND &&
		       strcmp(inn_tmpl_missing_root(), "steps") == 0 &&
		       nmissing < MAX_MISSING_OUTPUTS &&
		       (s = missing_step_output(r, inn_tmpl_missing_path(), key,
		                                sizeof(key))) >= 0) {
			if (data == NULL && (env.data = data = data_own_steps(r, &steps)) == NULL) {
				rc = INN_ENOMEM;
				goto out;
			}
			if ((rc = put_null_output(steps, r->wf->steps[s].name, key)) != 0)
				goto out;
			nmissing++;
			/* a step with no outputs at all: the key read next warns */
			if (key[0] != '\0')
				warn_missing_output(r, name, (size_t)s, key);
		}
		json_object_put(data);
		data = NULL;
		if (rc != 0)
			goto out;
		json_object_object_add(outs, name, v);
	}
	*out = outs;
	outs = NULL;
out:
	json_object_put(outs);
	json_object_put(data);
	return rc;
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
	if (inn_exec_workspace(r) != 0) {
		r->state = INN_STATE_FAILED;
		r->message = strdup(inn_error_last());
		return INN_ERROR;
	}
	/* steps reused from an earlier execution are reported first */
	for (i = 0; i < r->n; i++)
		if (r->steps[i].res.state == INN_STATE_SUCCEEDED)
			inn_exec_emit_state(r, &r->steps[i], r->steps[i].res.message);
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
			json_object *outs = NULL;

			if (render_outputs(r, &outs) != 0) {
				st = INN_STATE_FAILED;
				snprintf(buf, sizeof(buf), "%s", inn_error_last());
				why = buf;
			} else {
				r->outputs = inn_exec_masked_copy(r->masker, outs);
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

/* inn_run_free's clear for one step's result. */
static void
srun_clear(void *p)
{
	inn_step_result *res = &((struct srun *)p)->res;

	free(res->message);
	json_object_put(res->outputs);
	json_object_put(res->outputs_real);
	json_object_put(res->config);
}

void
inn_run_free(inn_run *r)
{
	if (r == NULL)
		return;
	inn_array_free(r->steps, r->n, sizeof(*r->steps), srun_clear);
	inn_rmrf(r->workspace);
	INN_FREE_ALL(r->workspace, r->state_base, r->message);
	json_object_put(r->params);
	json_object_put(r->data);
	json_object_put(r->secrets);
	json_object_put(r->outputs);
	json_object_put(r->outputs_real);
	inn_masker_free(r->masker);
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
	json_object *m = inn_exec_masked_copy(r->masker, r->params);
	size_t i;

	/* a secret parameter's own value is hidden whatever its length (the
	 * masker leaves values too short to search for) */
	for (i = 0; m != NULL && r->wf != NULL && i < r->wf->nparams; i++)
		if (r->wf->params[i].type != NULL &&
		    strcmp(r->wf->params[i].type, "secret") == 0 &&
		    json_object_object_get_ex(m, r->wf->params[i].name, NULL))
			json_object_object_add(m, r->wf->params[i].name,
			                       json_object_new_string(INN_MASK_TEXT));
	return m;
}

inn_masker *
inn_run_masker(const inn_run *r)
{
	return r->masker;
}
