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
#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "duration.h"
#include "error.h"
#include "exec_run_int.h"
#include "host.h"
#include "tmpl.h"

#define DEFAULT_WORKFLOW_TIMEOUT_MS (60LL * 60 * 1000)

static char *
xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- parameters --------------------------------------------------------- */

static int
param_error(const inn_workflow *wf, const inn_param *p, const char *fmt, ...)
	INN_PRINTF_LIKE(3, 4);

static int
param_error(const inn_workflow *wf, const inn_param *p, const char *fmt, ...)
{
	char buf[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return inn_error_set(INN_EINVAL, "workflow \"%s\": parameter \"%s\": %s",
	                     wf->name ? wf->name : "?", p->name, buf);
}

/* Converts a given value to the parameter's type (CLI values arrive as
 * strings).  Returns a new reference in *out. */
static int
coerce_param(const inn_workflow *wf, const inn_param *p, json_object *v,
             json_object **out)
{
	const char *t = p->type ? p->type : "string";
	const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
	                                                         : NULL;
	char *end;

	*out = NULL;
	if (v == NULL) {
		*out = NULL;
		return 0;
	}
	if (strcmp(t, "integer") == 0 || strcmp(t, "int") == 0) {
		long long ll;

		if (json_object_is_type(v, json_type_int)) {
			*out = json_object_get(v);
			return 0;
		}
		if (s == NULL || *s == '\0')
			return param_error(wf, p, "must be an integer");
		errno = 0;
		ll = strtoll(s, &end, 10);
		if (*end != '\0' || errno != 0)
			return param_error(wf, p, "\"%s\" is not an integer", s);
		*out = json_object_new_int64(ll);
		return 0;
	}
	if (strcmp(t, "number") == 0) {
		double d;

		if (json_object_is_type(v, json_type_int) ||
		    json_object_is_type(v, json_type_double)) {
			*out = json_object_get(v);
			return 0;
		}
		if (s == NULL || *s == '\0')
			return param_error(wf, p, "must be a number");
		errno = 0;
		d = strtod(s, &end);
		if (*end != '\0' || errno != 0)
			return param_error(wf, p, "\"%s\" is not a number", s);
		if (d == (double)(long long)d && strpbrk(s, ".eE") == NULL)
			*out = json_object_new_int64((long long)d);
		else
			*out = json_object_new_double(d);
		return 0;
	}
	if (strcmp(t, "boolean") == 0 || strcmp(t, "bool") == 0) {
		if (json_object_is_type(v, json_type_boolean)) {
			*out = json_object_get(v);
			return 0;
		}
		if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 ||
		                  strcmp(s, "1") == 0)) {
			*out = json_object_new_boolean(1);
			return 0;
		}
		if (s != NULL && (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 ||
		                  strcmp(s, "0") == 0)) {
			*out = json_object_new_boolean(0);
			return 0;
		}
		return param_error(wf, p, "must be true or false");
	}
	if (strcmp(t, "map") == 0 || strcmp(t, "object") == 0 || strcmp(t, "array") == 0 ||
	    strcmp(t, "list") == 0) {
		int want_obj = t[0] == 'm' || t[0] == 'o';
		json_type jt = want_obj ? json_type_object : json_type_array;

		if (s != NULL) {
			json_object *parsed = json_tokener_parse(s);

			if (!json_object_is_type(parsed, jt)) {
				json_object_put(parsed);
				return param_error(wf, p, "must be a JSON %s",
				                   want_obj ? "object" : "array");
			}
			*out = parsed;
			return 0;
		}
		if (!json_object_is_type(v, jt))
			return param_error(wf, p, "must be %s", want_obj ? "a map" : "a list");
		*out = json_object_get(v);
		return 0;
	}
	if (strcmp(t, "duration") == 0) {
		int64_t ms;

		if (s == NULL || inn_parse_duration_ms(s, &ms) != 0)
			return param_error(wf, p, "\"%s\" is not a duration (e.g. 30s, 5m, 2h)",
			                   s ? s : json_object_get_string(v));
		*out = json_object_get(v);
		return 0;
	}
	/* string, enum, secret and anything else: scalars as text */
	if (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
		return param_error(wf, p, "must be a single value, not %s",
		                   json_object_is_type(v, json_type_object) ? "a map" : "a list");
	*out = s ? json_object_get(v) : json_object_new_string(json_object_get_string(v));
	return 0;
}

static int
check_param_value(const inn_workflow *wf, const inn_param *p, json_object *v)
{
	/* an error message goes back to the caller and into logs: a secret's
	 * value is never part of it */
	int secret = p->type != NULL && strcmp(p->type, "secret") == 0;
	const char *s;

	if (v == NULL)
		return 0;
	s = json_object_get_string(v);
	if (p->allowed != NULL && json_object_is_type(p->allowed, json_type_array)) {
		size_t i, n = json_object_array_length(p->allowed);

		for (i = 0; i < n; i++)
			if (strcmp(json_object_get_string(json_object_array_get_idx(p->allowed, i)),
			           s) == 0)
				break;
		if (i == n && secret)
			return param_error(wf, p, "its (secret) value is not one of the allowed "
			                   "values");
		if (i == n)
			return param_error(wf, p, "\"%s\" is not one of the allowed values %s", s,
			                   json_object_to_json_string_ext(p->allowed,
			                                                  JSON_C_TO_STRING_PLAIN));
	}
	if (p->pattern != NULL && json_object_is_type(v, json_type_string)) {
		regex_t re;
		int m;

		if (regcomp(&re, p->pattern, REG_EXTENDED | REG_NOSUB) != 0)
			return param_error(wf, p, "its pattern \"%s\" is not a valid regular "
			                   "expression", p->pattern);
		m = regexec(&re, s, 0, NULL, 0);
		regfree(&re);
		if (m != 0 && secret)
			return param_error(wf, p, "its (secret) value does not match the pattern %s",
			                   p->pattern);
		if (m != 0)
			return param_error(wf, p, "\"%s\" does not match the pattern %s", s,
			                   p->pattern);
	}
	return 0;
}

/* A parameter value reaches programs through the environment (one
 * NAME=value string each, at most 128 KiB on Linux) and the command line:
 * a string that is longer, or holds a NUL (which C strings would cut), is
 * refused here, never truncated or failed later by exec. */
static int
param_text_ok(const inn_workflow *wf, const inn_param *p, json_object *v, int depth)
{
	if (json_object_is_type(v, json_type_string)) {
		size_t len = (size_t)json_object_get_string_len(v);

		if (memchr(json_object_get_string(v), '\0', len) != NULL)
			return param_error(wf, p, "a value may not contain a NUL character");
		if (len > INN_PARAM_VALUE_MAX)
			return param_error(wf, p, "a value is %zu bytes, more than the limit of %d "
			                   "bytes (values reach programs through the environment)",
			                   len, INN_PARAM_VALUE_MAX);
	} else if (depth < 64 && json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, e) {
			if (strlen(k) > INN_PARAM_VALUE_MAX)
				return param_error(wf, p, "a key is longer than %d bytes",
				                   INN_PARAM_VALUE_MAX);
			if (param_text_ok(wf, p, e, depth + 1) != 0)
				return INN_EINVAL;
		}
	} else if (depth < 64 && json_object_is_type(v, json_type_array)) {
		size_t i, n = json_object_array_length(v);

		for (i = 0; i < n; i++)
			if (param_text_ok(wf, p, json_object_array_get_idx(v, i), depth + 1) != 0)
				return INN_EINVAL;
	}
	return 0;
}

static int
resolve_params(inn_run *r, json_object *given)
{
	size_t total = 0;
	const inn_workflow *wf = r->wf;
	size_t i;
	int rc;

	if (given != NULL) {
		json_object_object_foreach(given, k, v) {
			(void)v;
			for (i = 0; i < wf->nparams; i++)
				if (strcmp(wf->params[i].name, k) == 0)
					break;
			if (i == wf->nparams) {
				char names[512] = "";
				size_t used = 0;

				for (i = 0; i < wf->nparams && used < sizeof(names) - 1; i++) {
					int n = snprintf(names + used, sizeof(names) - used, "%s%s",
					                 i ? ", " : "", wf->params[i].name);
					if (n < 0)
						break;
					used += (size_t)n;
				}
				return inn_error_set(INN_EINVAL, "workflow \"%s\" has no parameter "
				                     "\"%s\" (it declares: %s)", wf->name, k,
				                     wf->nparams ? names : "none");
			}
		}
	}
	for (i = 0; i < wf->nparams; i++) {
		const inn_param *p = &wf->params[i];
		json_object *v = NULL, *given_v = NULL;

		if (given != NULL && json_object_object_get_ex(given, p->name, &given_v) &&
		    given_v != NULL) {
			if ((rc = coerce_param(wf, p, given_v, &v)) != 0)
				return rc;
		} else if (p->def != NULL) {
			json_object_deep_copy(p->def, &v, NULL);
		} else if (p->required) {
			return param_error(wf, p, "is required (%s)", p->description ?
			                   p->description : "no default");
		}
		/* the limits apply to what a caller gives; defaults are the
		 * workflow author's, checked when the workflow loads */
		if ((given_v != NULL && (rc = param_text_ok(wf, p, v, 0)) != 0) ||
		    (rc = check_param_value(wf, p, v)) != 0) {
			json_object_put(v);
			return rc;
		}
		if (v != NULL && given_v != NULL)
			total += strlen(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		if (total > INN_PARAMS_TOTAL_MAX) {
			json_object_put(v);
			return inn_error_set(INN_EINVAL, "workflow \"%s\": its parameter values "
			                     "together exceed the limit of %d bytes", wf->name,
			                     INN_PARAMS_TOTAL_MAX);
		}
		if (p->type != NULL && strcmp(p->type, "secret") == 0 && v != NULL)
			inn_masker_add(r->masker, json_object_get_string(v));
		json_object_object_add(r->params, p->name, v);
	}
	return 0;
}

/* ---- run set-up ----------------------------------------------------------- */

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

		if (!json_object_object_get_ex(completed, wf->steps[i].name, &outs))
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
	if (o != NULL && o->secrets != NULL) {
		r->secrets = json_object_get(o->secrets);
		json_object_object_foreach(o->secrets, k, v) {
			(void)k;
			inn_masker_add(r->masker, json_object_get_string(v));
		}
	}
	if ((rc = resolve_params(r, o ? o->params : NULL)) != 0)
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

/* 1: all deps final and fine; 0: still waiting; -1: a dep failed (index in *bad). */
static int
deps_state(inn_run *r, struct srun *s, size_t *bad)
{
	const size_t *deps = s->res.def->dep_idx;
	size_t j;

	for (j = 0; j < s->res.def->ndep_idx; j++) {
		struct srun *d = &r->steps[deps[j]];

		if (!inn_state_is_final(d->res.state))
			return 0;
		if ((d->res.state == INN_STATE_FAILED || d->res.state == INN_STATE_TIMED_OUT ||
		     d->res.state == INN_STATE_CANCELLED) && !d->res.def->continue_on_error) {
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
			inn_tmpl_env env = { r->data, r->masker, NULL, NULL };
			json_object *outs = NULL;

			if (inn_tmpl_render(&env, r->wf->outputs, "outputs", &outs) != 0) {
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

void
inn_run_free(inn_run *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
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
	return inn_exec_masked_copy(r->masker, r->params);
}

inn_masker *
inn_run_masker(const inn_run *r)
{
	return r->masker;
}
