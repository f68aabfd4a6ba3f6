/*
 * runs_deploy.c - the lifecycle of a deployment inside an execution
 * (runs_int.h): the plan against what the store holds (create, update,
 * delete or keep each resource), the pending step rows in run order, the
 * pre-deployment phase, the resource parts run concurrently along their
 * dependencies (at most DEPLOY_PARALLEL at once; a failed dependency fails
 * its dependents without running them), the deployment and
 * post-deployment phases, each resource's record (requested ->
 * provisioning | updating | terminating -> active | failed | terminated,
 * outputs masked, the real ones sealed) and the application's status.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "error.h"
#include "json_util.h"
#include "runs_inputs.h"
#include "runs_int.h"

/* Resource parts running at once in one execution. */
#define DEPLOY_PARALLEL 4

/* ---- what the store holds ---------------------------------------------- */

/* The real JSON sealed in text (a new reference), or NULL. */
static json_object *
unseal_json(inn_server *srv, const char *text)
{
	char *plain = NULL;
	size_t len = 0;
	json_object *o;

	if (text == NULL || srv->secretbox == NULL ||
	    inn_secretbox_unseal(srv->secretbox, text, &plain, &len) != 0)
		return NULL;
	o = json_tokener_parse(plain);
	memset(plain, 0, len);
	free(plain);
	return o;
}

/* The real JSON as text sealed (malloc'd) when it differs from masked. */
static char *
seal_json(inn_server *srv, json_object *masked, json_object *real)
{
	const char *text;
	char *sealed = NULL;
	size_t len;

	if (real == NULL || srv->secretbox == NULL || json_object_equal(masked, real))
		return NULL;
	text = json_object_to_json_string_length(real, JSON_C_TO_STRING_PLAIN, &len);
	if (text == NULL || inn_secretbox_seal(srv->secretbox, text, len, &sealed) != 0)
		return NULL;
	return sealed;
}

int
inn_deploy_prevs_load(inn_server *srv, const char *app, inn_deploy_prev **prev,
                      inn_resource_row **rows, size_t *n)
{
	size_t i;
	int rc;

	*prev = NULL;
	*rows = NULL;
	*n = 0;
	if ((rc = inn_store_resource_list(srv->store, NULL, NULL, app, rows, n)) != 0)
		return rc;
	if (*n == 0)
		return 0;
	if ((*prev = calloc(*n, sizeof(**prev))) == NULL) {
		inn_resource_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return inn_error_set(INN_ENOMEM, "out of memory");
	}
	for (i = 0; i < *n; i++) {
		inn_resource_row *r = &(*rows)[i];
		inn_deploy_prev *p = &(*prev)[i];
		json_object *o;

		p->name = r->name;
		p->type = r->type;
		p->provider = r->provider;
		p->status = r->status;
		p->fingerprint = r->fingerprint;
		p->secret_keys = r->secret_keys;
		p->depends_on = r->depends_on;
		o = unseal_json(srv, r->sealed_params);
		p->params = o != NULL ? o : json_object_get(r->params);
		o = unseal_json(srv, r->sealed_outputs);
		p->outputs = o != NULL ? o : json_object_get(r->outputs);
	}
	return 0;
}

void
inn_deploy_prevs_free(inn_deploy_prev *prev, inn_resource_row *rows, size_t n)
{
	size_t i;

	for (i = 0; prev != NULL && i < n; i++) {
		json_object_put(prev[i].params);
		json_object_put(prev[i].outputs);
	}
	free(prev);
	inn_resource_rows_free(rows, n);
}

static const inn_resource_row *
prev_row(struct active_run *ar, const char *name)
{
	size_t i;

	for (i = 0; i < ar->nprev; i++)
		if (strcmp(ar->prev_rows[i].name, name) == 0)
			return &ar->prev_rows[i];
	return NULL;
}

/* ---- the plan ------------------------------------------------------------ */

/* What a part does in ar: its op, except that a golden path or workflow
 * run creates an unchanged resource again (runs with a spec provision
 * their resources every time, as they always did: create or update). */
static int
part_op(const struct active_run *ar, const inn_deploy_part *p)
{
	return p->op == INN_DEPLOY_KEEP && ar->deploy_kind == 0 ? INN_DEPLOY_CREATE : p->op;
}

static int
part_runs(const struct active_run *ar, const inn_deploy_part *p)
{
	return part_op(ar, p) != INN_DEPLOY_KEEP && p->wf != NULL;
}

/* Step index bases in run order: pre-deployment entries, the parts that
 * run, the main workflow, the deployment and post-deployment entries. */
static int
plan_bases(struct active_run *ar)
{
	size_t i, order = 0;

	free(ar->part_base);
	free(ar->phase_base);
	ar->part_base = calloc(ar->nres + 1, sizeof(int));
	ar->phase_base = calloc(ar->nphases + 1, sizeof(int));
	if (ar->part_base == NULL || ar->phase_base == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	for (i = 0; i < ar->nphases; i++)
		if (ar->phases[i].phase == INN_PHASE_PRE)
			ar->phase_base[i] = (int)(order++ * 1000);
	for (i = 0; i < ar->nres; i++)
		ar->part_base[i] = (int)(order++ * 1000);
	ar->main_base = (int)(order++ * 1000);
	for (i = 0; i < ar->nphases; i++)
		if (ar->phases[i].phase != INN_PHASE_PRE)
			ar->phase_base[i] = (int)(order++ * 1000);
	return 0;
}

/* A run of the create (or update) workflow of a type its spec asks for is
 * the provisioning of those resources (and what they depend on), nothing
 * else of the spec: ar->focused, and no main workflow (inn_deploy_focus;
 * `run --local` does the same). */
static void
plan_focus(struct active_run *ar)
{
	if (ar->deploy_kind == 0 && ar->score != NULL && ar->main_wf != NULL &&
	    inn_deploy_focus(ar->plan, ar->main_wf) > 0)
		ar->focused = 1;
	ar->nres = inn_deploy_nparts(ar->plan);
}

int
inn_runs_deploy_plan(struct active_run *ar, int flags, inn_diag *d)
{
	inn_server *srv = ar->srv;
	const char *app = ar->ro.app;
	inn_app_row *apps = NULL;
	size_t napps = 0;
	int rc;

	if (app == NULL) {
		/* no spec: a plan with no parts */
		if ((rc = inn_deploy_plan(&ar->plan, ar->cat->cat, NULL, flags, d)) != 0)
			return rc;
		ar->nres = 0;
		return plan_bases(ar);
	}
	if ((rc = inn_deploy_prevs_load(srv, app, &ar->prev, &ar->prev_rows, &ar->nprev)) != 0)
		return rc;
	if (ar->deploy_kind == 0 && ar->score != NULL && (!inn_deploy_name_ok(app) || ar->dry_run)) {
		/* a golden path or workflow run for an application whose name is
		 * no DNS label (accepted before deployments had a lifecycle), or
		 * its dry run (which provisions nothing and knows no output):
		 * every resource is created as it always was, nothing planned
		 * against the store */
		if ((rc = inn_deploy_plan(&ar->plan, ar->cat->cat, ar->score, flags, d)) != 0)
			return rc;
		plan_focus(ar);
		return plan_bases(ar);
	}
	if ((rc = inn_deploy_plan_lifecycle(&ar->plan, ar->cat->cat, app, ar->score, ar->prev,
	                                    ar->nprev, flags, d)) != 0)
		return rc;
	plan_focus(ar);
	ar->first_deployment = 1;
	if (inn_store_app_list(srv->store, NULL, NULL, app, &apps, &napps) == 0 && napps == 1)
		ar->first_deployment = !apps[0].deployed_ok;
	inn_app_rows_free(apps, napps);
	/* the phases: a deployment of a spec (an app deletion runs none; a
	 * direct workflow run neither) */
	if (ar->score != NULL && ar->deploy_kind != 2 &&
	    (ar->deploy_kind == 1 || strcmp(ar->kind, "golden-path") == 0) &&
	    (rc = inn_phase_select(ar->cat->cat, ar->plan, app, ar->first_deployment,
	                           &ar->phases, &ar->nphases, d)) != 0)
		return rc;
	return plan_bases(ar);
}

/* The golden path's own workflow may be selected: it runs once, as the
 * main workflow. */
static int
phase_skip(const struct active_run *ar, size_t i)
{
	return ar->main_wf != NULL && ar->phases[i].wf == ar->main_wf;
}

static void
phase_prefix(const inn_phase_entry *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s/", inn_phase_name(e->phase), e->wf->name);
}

/* The name a step of a workflow run under prefix is recorded by. */
static json_object *
step_name(const char *prefix, const inn_step_def *s)
{
	char name[512];

	snprintf(name, sizeof(name), "%s%s", prefix, s->name);
	return json_object_new_string(name);
}

/* Appends to dst the names of src it does not hold yet. */
static void
add_names(json_object *dst, json_object *src)
{
	size_t i, j, n = json_object_array_length(dst);

	for (i = 0; i < json_object_array_length(src); i++) {
		json_object *v = json_object_array_get_idx(src, i);

		for (j = 0; j < n; j++)
			if (strcmp(json_object_get_string(json_object_array_get_idx(dst, j)),
			           json_object_get_string(v)) == 0)
				break;
		if (j == n) {
			json_object_array_add(dst, json_object_get(v));
			n++;
		}
	}
}

/* Records wf's steps pending, named prefix+step from index base, each with
 * the steps it waits for (depends_on): those of wf the loader's graph
 * gives it (dep_idx: its depends_on, else the list's order, as the engine
 * runs them), or before -- what runs ahead of wf -- for one that waits for
 * none of wf's.  Returns the steps that end wf (no step of wf waits for
 * them), which what runs after wf waits for: before itself when wf has no
 * steps.  A new reference. */
static json_object *
step_rows_of(inn_server *srv, int64_t id, const inn_workflow *wf, int base, const char *prefix,
             json_object *before)
{
	unsigned char *waited;
	json_object *ends;
	size_t k, j;
	char name[512];

	if (wf == NULL || wf->nsteps == 0)
		return json_object_get(before);
	waited = calloc(wf->nsteps, 1);
	for (k = 0; k < wf->nsteps; k++) {
		const inn_step_def *s = &wf->steps[k];
		inn_step_row sr;

		memset(&sr, 0, sizeof(sr));
		snprintf(name, sizeof(name), "%s%s", prefix, s->name);
		sr.idx = base + (int)k;
		sr.name = name;
		sr.type = s->type;
		sr.status = (char *)INN_STATE_WORD(PENDING);
		if (s->ndep_idx == 0) {
			sr.depends_on = json_object_get(before);
		} else {
			sr.depends_on = json_object_new_array();
			for (j = 0; j < s->ndep_idx; j++) {
				json_object_array_add(sr.depends_on, step_name(prefix,
				                                               &wf->steps[s->dep_idx[j]]));
				if (waited != NULL)
					waited[s->dep_idx[j]] = 1;
			}
		}
		inn_store_step_put(srv->store, id, &sr);
		json_object_put(sr.depends_on);
	}
	/* out of memory: every step, which is still true of what comes after */
	ends = json_object_new_array();
	for (k = 0; k < wf->nsteps; k++)
		if (waited == NULL || !waited[k])
			json_object_array_add(ends, step_name(prefix, &wf->steps[k]));
	free(waited);
	return ends;
}

/* The phase entries that run before the parts (after 0) or after the main
 * workflow (1), as run_phase runs them: one after the other, the first
 * after cur (taken over).  Returns what ends the last. */
static json_object *
phase_rows(struct active_run *ar, int after, json_object *cur)
{
	char prefix[300];
	json_object *next;
	size_t i;

	for (i = 0; i < ar->nphases; i++) {
		if ((ar->phases[i].phase == INN_PHASE_PRE) == after || phase_skip(ar, i))
			continue;
		phase_prefix(&ar->phases[i], prefix, sizeof(prefix));
		next = step_rows_of(ar->srv, ar->id, ar->phases[i].wf, ar->phase_base[i], prefix, cur);
		json_object_put(cur);
		cur = next;
	}
	return cur;
}

/* Part i's step rows, once (seen[i]), after those of the parts it depends
 * on that run (run_parts starts it when they have ended; one that runs
 * nothing has ended at once), else after start (the phases before the
 * parts).  ends[i]: what ends it, NULL when it runs nothing. */
static void
part_rows(struct active_run *ar, size_t i, json_object *start, json_object **ends,
          unsigned char *seen)
{
	const inn_deploy_part *p = inn_deploy_part_at(ar->plan, i);
	json_object *before;
	char prefix[300];
	size_t j;

	if (seen[i])
		return;
	seen[i] = 1;
	if (!part_runs(ar, p))
		return;
	before = json_object_new_array();
	for (j = 0; j < p->ndeps; j++)
		if (p->deps[j] < ar->nres) {
			part_rows(ar, p->deps[j], start, ends, seen);
			if (ends[p->deps[j]] != NULL)
				add_names(before, ends[p->deps[j]]);
		}
	if (json_object_array_length(before) == 0) {
		json_object_put(before);
		before = json_object_get(start);
	}
	snprintf(prefix, sizeof(prefix), "%s/", p->name);
	ends[i] = step_rows_of(ar->srv, ar->id, p->wf, ar->part_base[i], prefix, before);
	json_object_put(before);
}

/* The parts' step rows; returns what the main workflow waits for: the
 * ends of every part that runs and that no part that runs depends on
 * (the others end before those), else start. */
static json_object *
parts_rows(struct active_run *ar, json_object *start)
{
	json_object **ends = calloc(ar->nres + 1, sizeof(*ends)), *last;
	unsigned char *seen = calloc(ar->nres + 1, 2);
	unsigned char *waited = seen != NULL ? seen + ar->nres + 1 : NULL;
	size_t i, j;

	if (ends == NULL || seen == NULL) {
		free(ends);
		free(seen);
		return json_object_get(start);
	}
	for (i = 0; i < ar->nres; i++) {
		const inn_deploy_part *p = inn_deploy_part_at(ar->plan, i);

		part_rows(ar, i, start, ends, seen);
		for (j = 0; part_runs(ar, p) && j < p->ndeps; j++)
			if (p->deps[j] < ar->nres)
				waited[p->deps[j]] = 1;
	}
	last = json_object_new_array();
	for (i = 0; i < ar->nres; i++) {
		if (ends[i] != NULL && !waited[i])
			add_names(last, ends[i]);
		json_object_put(ends[i]);
	}
	free(ends);
	free(seen);
	if (json_object_array_length(last) == 0) {
		json_object_put(last);
		last = json_object_get(start);
	}
	return last;
}

/* Every step of the run recorded pending, with the steps it waits for as
 * the run orders them: the pre-deployment phases, the resources' parts,
 * the main workflow, the deployment and post-deployment phases. */
void
inn_runs_step_rows(struct active_run *ar)
{
	inn_server *srv = ar->srv;
	int tx = inn_store_begin(srv->store) == 0;
	json_object *cur, *next;

	cur = phase_rows(ar, 0, json_object_new_array());
	next = parts_rows(ar, cur);
	json_object_put(cur);
	cur = step_rows_of(srv, ar->id, ar->main_wf, ar->main_base, "", next);
	json_object_put(next);
	json_object_put(phase_rows(ar, 1, cur));
	if (tx)
		inn_store_commit(srv->store);
}

static json_object *
deps_json(const inn_deploy *plan, const inn_deploy_part *p)
{
	json_object *a = json_object_new_array();
	size_t j;

	for (j = 0; j < p->ndeps; j++) {
		const inn_deploy_part *q = inn_deploy_part_at(plan, p->deps[j]);

		if (q != NULL)
			json_object_array_add(a, json_object_new_string(q->name));
	}
	return a;
}

json_object *
inn_runs_deploy_summary(struct active_run *ar, inn_diag *d)
{
	json_object *o = json_object_new_object(), *ops = json_object_new_array();
	json_object *ph = json_object_new_array(), *warn = json_object_new_array();
	size_t i;

	for (i = 0; i < ar->nres; i++) {
		const inn_deploy_part *p = inn_deploy_part_at(ar->plan, i);
		json_object *e = json_object_new_object();

		INN_JSON_ADD_STRS(e, "resource", p->name, "type", p->type, "provider",
		                  p->provider ? p->provider->name : NULL, "op",
		                  inn_deploy_op_name(p->op), "workflow", p->wf ? p->wf->name : NULL);
		json_object_object_add(e, "depends_on", deps_json(ar->plan, p));
		if (p->note != NULL)
			json_object_object_add(e, "note", json_object_new_string(p->note));
		json_object_array_add(ops, e);
	}
	for (i = 0; i < ar->nphases; i++) {
		const inn_phase_entry *e = &ar->phases[i];
		json_object *j;

		if (phase_skip(ar, i))
			continue;
		j = json_object_new_object();

		INN_JSON_ADD_STRS(j, "phase", inn_phase_name(e->phase), "workflow", e->wf->name,
		                  "provider", e->provider ? e->provider->name : NULL, "trigger",
		                  e->trigger);
		json_object_array_add(ph, j);
	}
	for (i = 0; d != NULL && i < d->n; i++) {
		char buf[1024];

		if (d->items[i].level != INN_DIAG_WARNING)
			continue;
		inn_diag_format(d, i, buf, sizeof(buf));
		json_object_array_add(warn, json_object_new_string(buf));
	}
	json_object_object_add(o, "operations", ops);
	json_object_object_add(o, "phases", ph);
	json_object_object_add(o, "warnings", warn);
	return o;
}

/* ---- resource records ------------------------------------------------- */

static const char *
running_word(int op)
{
	return op == INN_DEPLOY_DELETE ? "terminating" : op == INN_DEPLOY_UPDATE ? "updating"
	                                                                    : "provisioning";
}

/* Records part i in status with msg; run (ended, succeeded) gives its
 * outputs, and real_params what it ran with, else what the store held
 * stays. */
static void
record_part(struct active_run *ar, size_t i, const char *status, const char *msg,
            inn_run *run, json_object *real_params)
{
	const inn_deploy_part *p = inn_deploy_part_at(ar->plan, i);
	const inn_resource_row *old = prev_row(ar, p->name);
	inn_resource_row row;
	json_object *deps = deps_json(ar->plan, p), *params = NULL, *keys = NULL;
	char *sp = NULL, *so = NULL;

	if (ar->ro.app == NULL || ar->ro.dry_run) {
		json_object_put(deps);
		return;
	}
	memset(&row, 0, sizeof(row));
	if (old != NULL)
		row = *old;
	row.app = (char *)ar->ro.app;
	row.name = (char *)p->name;
	row.type = (char *)p->type;
	row.provider = p->provider ? p->provider->name : row.provider;
	row.status = (char *)status;
	row.message = (char *)msg;
	row.depends_on = deps;
	row.exec_id = ar->id;
	if (run != NULL) {
		json_object *out = inn_run_outputs(run), *real = inn_run_outputs_real(run);

		if (real_params == NULL)
			real_params = p->params;
		params = inn_json_copy(real_params);
		inn_json_mask(inn_run_masker(run), params);
		row.params = params;
		row.sealed_params = sp = seal_json(ar->srv, params, real_params);
		row.outputs = out;
		row.sealed_outputs = so = seal_json(ar->srv, out, real);
		keys = json_object_new_array();
		if (real != NULL && json_object_is_type(out, json_type_object)) {
			json_object_object_foreach(out, k, v) {
				json_object *rv;

				if (json_object_object_get_ex(real, k, &rv) && !json_object_equal(v, rv))
					json_object_array_add(keys, json_object_new_string(k));
			}
		}
		row.secret_keys = keys;
		row.fingerprint = part_op(ar, p) == INN_DEPLOY_DELETE ? NULL : (char *)p->fingerprint;
	}
	if (strcmp(status, "terminated") == 0) {
		/* gone: nothing of it is left to read or to compare with */
		row.outputs = NULL;
		row.sealed_outputs = NULL;
		row.secret_keys = NULL;
		row.fingerprint = NULL;
	}
	if (inn_store_resource_put(ar->srv->store, &row) != 0)
		fprintf(stderr, "innominatus: execution %lld: recording resource %s: %s\n",
		        (long long)ar->id, p->name, inn_error_last());
	json_object_put(deps);
	json_object_put(params);
	json_object_put(keys);
	free(sp);
	free(so);
}

/* TTL deletions (below) */
static void reap_done(inn_server *srv, const char *app);

void
inn_runs_deploy_requested(struct active_run *ar, const inn_caller *who)
{
	inn_server *srv = ar->srv;
	inn_exec_row *row = NULL;
	size_t i;

	(void)who;
	if (ar->ro.app == NULL)
		return;
	inn_runs_reap_requested(ar);
	if (inn_store_app_put(srv->store, ar->ro.app, ar->team, ar->created_by, ar->any_app) != 0)
		fprintf(stderr, "innominatus: execution %lld: application %s: %s\n",
		        (long long)ar->id, ar->ro.app, inn_error_last());
	inn_store_exec_get(srv->store, ar->id, &row);
	inn_store_app_update(srv->store, ar->ro.app, ar->deploy_kind == 2 ? "deleting" : "deploying",
	                     ar->deploy_kind == 1 && row != NULL ? row->spec : NULL,
	                     ar->expires_ms > 0 ? ar->expires_ms : -1, -1);
	inn_exec_row_free(row);
	for (i = 0; i < ar->nres; i++) {
		const inn_deploy_part *p = inn_deploy_part_at(ar->plan, i);
		char msg[600];

		if (p->op == INN_DEPLOY_KEEP)
			continue;
		snprintf(msg, sizeof(msg), "%s requested by execution %lld%s%s",
		         inn_deploy_op_name(p->op), (long long)ar->id, p->note ? ": " : "",
		         p->note ? p->note : "");
		record_part(ar, i, "requested", msg, NULL, NULL);
	}
}

/* ---- running the parts ------------------------------------------------- */

enum { JOB_WAIT, JOB_RUN, JOB_OK, JOB_FAILED };

struct part_job {
	json_object *params;      /* its params rendered when it started */
	json_object *completed;   /* the secret values among them, for its masker */
	struct active_run *ar;
	struct sched *sch;
	size_t i;
	int state;
	int started;              /* a thread was made (joined at the end) */
	pthread_t t;
	struct run_slot slot;
	json_object *data;        /* the template data it started with (a copy) */
	char why[1024];
};

struct sched {
	pthread_mutex_t mu;       /* guards the jobs' states and the plan's data */
	pthread_cond_t cv;
	struct part_job *jobs;
	size_t n;
	int running;
};

static void *
part_thread(void *arg)
{
	struct part_job *job = arg;
	struct active_run *ar = job->ar;
	struct sched *sch = job->sch;
	const inn_deploy_part *p = inn_deploy_part_at(ar->plan, job->i);
	inn_run_opts ro = ar->ro;
	char prefix[300], msg[1200], why[1024];
	inn_state st;
	inn_run *run;
	int ok, op = part_op(ar, p);

	snprintf(msg, sizeof(msg), "%s: workflow %s (execution %lld)", running_word(op),
	         p->wf->name, (long long)ar->id);
	record_part(ar, job->i, running_word(op), msg, NULL, NULL);
	ro.params = job->params;
	ro.resource = p->name;
	ro.completed = job->completed;
	ro.data = job->data;
	snprintf(prefix, sizeof(prefix), "%s/", p->name);
	st = inn_runs_slot_run(ar, &job->slot, p->wf, &ro, ar->part_base[job->i], prefix,
	                       job->why, sizeof(job->why));
	run = job->slot.run;
	ok = st == INN_STATE_SUCCEEDED || st == INN_STATE_WOULD_RUN;
	if (ok && run != NULL) {
		json_object *real = inn_run_outputs_real(run);

		pthread_mutex_lock(&sch->mu);
		inn_deploy_resource_done(ar->plan, job->i, real ? real : inn_run_outputs(run),
		                         real ? inn_run_masker(run) : NULL);
		pthread_mutex_unlock(&sch->mu);
		if (ar->outputs != NULL) {
			json_object *res = json_object_object_get(ar->outputs, "resources");

			pthread_mutex_lock(&sch->mu);
			json_object_object_add(res, p->name, inn_json_copy(inn_run_outputs(run)));
			pthread_mutex_unlock(&sch->mu);
		}
		snprintf(msg, sizeof(msg), "%s by workflow %s (execution %lld)",
		         op == INN_DEPLOY_DELETE ? "deleted" : op == INN_DEPLOY_UPDATE ?
		         "updated" : "created", p->wf->name, (long long)ar->id);
		record_part(ar, job->i, op == INN_DEPLOY_DELETE ? "terminated" : "active", msg,
		            op == INN_DEPLOY_DELETE ? NULL : run, job->params);
	} else {
		snprintf(why, sizeof(why), "%.700s", job->why);
		snprintf(job->why, sizeof(job->why), "resource \"%.100s\": %s workflow %.100s %s%s%.700s",
		         p->name, inn_deploy_op_name(op), p->wf->name, inn_state_name(st),
		         why[0] ? ": " : "", why);
		record_part(ar, job->i, "failed", job->why, NULL, NULL);
	}
	job->slot.run = NULL;
	inn_run_free(run);
	pthread_mutex_lock(&sch->mu);
	json_object_put(job->data);
	json_object_put(job->params);
	json_object_put(job->completed);
	job->data = job->params = job->completed = NULL;
	job->state = ok ? JOB_OK : JOB_FAILED;
	sch->running--;
	pthread_cond_broadcast(&sch->cv);
	pthread_mutex_unlock(&sch->mu);
	return NULL;
}

/* Part i never ran (a dependency failed, a cancel, its params): it keeps
 * the status and fingerprint the store had before this execution (an
 * active resource stays active), with msg; only a new one, which has
 * none, is failed (nothing of it exists). */
static void
record_unrun(struct active_run *ar, size_t i, const char *msg)
{
	const inn_resource_row *old = prev_row(ar, inn_deploy_part_at(ar->plan, i)->name);

	record_part(ar, i, old != NULL && old->status != NULL ? old->status : "failed", msg,
	            NULL, NULL);
}

/* A waiting job whose dependencies are known: 1 started/finished, 0 not yet. */
static int
job_step(struct active_run *ar, struct sched *sch, struct part_job *job)
{
	const inn_deploy_part *p = inn_deploy_part_at(ar->plan, job->i);
	size_t j;

	for (j = 0; j < p->ndeps; j++) {
		struct part_job *dep = &sch->jobs[p->deps[j]];

		if (dep->state == JOB_FAILED) {
			const char *dn = inn_deploy_part_at(ar->plan, p->deps[j])->name;

			if (part_op(ar, p) == INN_DEPLOY_DELETE)
				snprintf(job->why, sizeof(job->why), "resource \"%s\": its deletion "
				         "waits for %s, whose deletion failed; it was not deleted",
				         p->name, dn);
			else
				snprintf(job->why, sizeof(job->why), "resource \"%s\": dependency %s "
				         "failed; it was not %s", p->name, dn,
				         part_op(ar, p) == INN_DEPLOY_UPDATE ? "updated" : "provisioned");
			job->state = JOB_FAILED;
			record_unrun(ar, job->i, job->why);
			return 1;
		}
		if (dep->state != JOB_OK)
			return 0;
	}
	if (ar->cancel_requested) {
		snprintf(job->why, sizeof(job->why), "resource \"%s\": cancelled before it started",
		         p->name);
		job->state = JOB_FAILED;
		record_unrun(ar, job->i, job->why);
		return 1;
	}
	if (sch->running >= DEPLOY_PARALLEL)
		return 0;
	if (inn_deploy_part_params(ar->plan, job->i, &job->params) != 0) {
		/* its message names the resource and the param already */
		snprintf(job->why, sizeof(job->why), "%s", inn_error_last());
		job->state = JOB_FAILED;
		record_unrun(ar, job->i, job->why);
		return 1;
	}
	job->completed = inn_deploy_main_completed(ar->plan, NULL);
	job->data = inn_json_copy(inn_deploy_data(ar->plan));
	job->state = JOB_RUN;
	sch->running++;
	if (pthread_create(&job->t, NULL, part_thread, job) != 0) {
		sch->running--;
		json_object_put(job->data);
		json_object_put(job->params);
		json_object_put(job->completed);
		job->data = job->params = job->completed = NULL;
		snprintf(job->why, sizeof(job->why), "resource \"%s\": cannot start a thread",
		         p->name);
		job->state = JOB_FAILED;
		record_part(ar, job->i, "failed", job->why, NULL, NULL);
		return 1;
	}
	job->started = 1;
	return 1;
}

static inn_state
run_parts(struct active_run *ar, char *why, size_t whylen)
{
	struct sched sch;
	size_t i, nfailed = 0;
	inn_state st = INN_STATE_SUCCEEDED;

	if (ar->nres == 0)
		return INN_STATE_SUCCEEDED;
	memset(&sch, 0, sizeof(sch));
	if ((sch.jobs = calloc(ar->nres, sizeof(*sch.jobs))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return INN_STATE_FAILED;
	}
	sch.n = ar->nres;
	pthread_mutex_init(&sch.mu, NULL);
	pthread_cond_init(&sch.cv, NULL);
	for (i = 0; i < sch.n; i++) {
		const inn_deploy_part *p = inn_deploy_part_at(ar->plan, i);

		sch.jobs[i].ar = ar;
		sch.jobs[i].sch = &sch;
		sch.jobs[i].i = i;
		if (part_op(ar, p) == INN_DEPLOY_KEEP) {
			sch.jobs[i].state = JOB_OK;
		} else if (p->wf == NULL) {
			/* a delete without a delete workflow: nothing to run */
			sch.jobs[i].state = JOB_OK;
			record_part(ar, i, p->op == INN_DEPLOY_DELETE ? "terminated" : "failed",
			            "its provider has no delete workflow: nothing was run; whatever "
			            "it made outside innominatus is left as it is", NULL, NULL);
		}
	}
	pthread_mutex_lock(&sch.mu);
	for (;;) {
		int waiting = 0, progress = 0;

		for (i = 0; i < sch.n; i++) {
			if (sch.jobs[i].state != JOB_WAIT)
				continue;
			if (job_step(ar, &sch, &sch.jobs[i]))
				progress = 1;
			if (sch.jobs[i].state == JOB_WAIT)
				waiting = 1;
		}
		if (!waiting && sch.running == 0)
			break;
		if (!progress)
			pthread_cond_wait(&sch.cv, &sch.mu);
	}
	pthread_mutex_unlock(&sch.mu);
	for (i = 0; i < sch.n; i++) {
		if (sch.jobs[i].started)
			pthread_join(sch.jobs[i].t, NULL);
		if (sch.jobs[i].state == JOB_FAILED) {
			if (nfailed++ == 0)
				snprintf(why, whylen, "%s", sch.jobs[i].why);
		}
	}
	if (nfailed > 0) {
		size_t len = strlen(why);

		if (nfailed > 1 && len + 1 < whylen)
			snprintf(why + len, whylen - len, " (and %zu more resource%s failed)",
			         nfailed - 1, nfailed == 2 ? "" : "s");
		st = ar->cancel_requested ? INN_STATE_CANCELLED : INN_STATE_FAILED;
	}
	pthread_cond_destroy(&sch.cv);
	pthread_mutex_destroy(&sch.mu);
	free(sch.jobs);
	return st;
}

/* ---- phases ----------------------------------------------------------------- */

static inn_state
run_phase(struct active_run *ar, int after, char *why, size_t whylen)
{
	size_t i;

	for (i = 0; i < ar->nphases; i++) {
		const inn_phase_entry *e = &ar->phases[i];
		struct run_slot slot;
		inn_run_opts ro = ar->ro;
		json_object *data, *rec, *comp;
		char prefix[300], msg[1024];
		inn_state st;

		if ((e->phase == INN_PHASE_PRE) == after || phase_skip(ar, i))
			continue;
		phase_prefix(e, prefix, sizeof(prefix));
		data = inn_json_copy(inn_deploy_data(ar->plan));
		/* the resources' secret outputs are masked in its log too */
		comp = inn_deploy_main_completed(ar->plan, NULL);
		ro.params = e->params;
		ro.data = data;
		ro.resource = NULL;
		ro.completed = comp;
		memset(&slot, 0, sizeof(slot));
		st = inn_runs_slot_run(ar, &slot, e->wf, &ro, ar->phase_base[i], prefix, msg,
		                       sizeof(msg));
		inn_run_free(slot.run);
		json_object_put(data);
		json_object_put(comp);
		if (ar->outputs != NULL) {
			rec = json_object_new_object();
			INN_JSON_ADD_STRS(rec, "phase", inn_phase_name(e->phase), "workflow", e->wf->name,
			                  "provider", e->provider ? e->provider->name : NULL,
			                  "trigger", e->trigger, "status", inn_state_name(st));
			json_object_array_add(json_object_object_get(ar->outputs, "phases"), rec);
		}
		if (st != INN_STATE_SUCCEEDED && st != INN_STATE_WOULD_RUN) {
			snprintf(why, whylen, "%s workflow %s %s%s%s", inn_phase_name(e->phase),
			         e->wf->name, inn_state_name(st), msg[0] ? ": " : "", msg);
			return st;
		}
	}
	return INN_STATE_SUCCEEDED;
}

inn_state
inn_runs_deploy_before(struct active_run *ar, char *why, size_t whylen)
{
	inn_state st;

	if ((ar->deploy_kind != 0 || ar->focused) && ar->outputs == NULL) {
		ar->outputs = json_object_new_object();
		json_object_object_add(ar->outputs, "resources", json_object_new_object());
		json_object_object_add(ar->outputs, "phases", json_object_new_array());
	}
	if ((st = run_phase(ar, 0, why, whylen)) != INN_STATE_SUCCEEDED)
		return st;
	return run_parts(ar, why, whylen);
}

inn_state
inn_runs_deploy_after(struct active_run *ar, inn_state st, char *why, size_t whylen)
{
	inn_state ph = run_phase(ar, 1, why, whylen);

	return ph != INN_STATE_SUCCEEDED ? ph : st;
}

void
inn_runs_deploy_end(struct active_run *ar, inn_state st)
{
	inn_server *srv = ar->srv;
	inn_resource_row *rows = NULL;
	size_t n = 0, i, left = 0;
	int ok = st == INN_STATE_SUCCEEDED;
	char failed_why[600] = "";

	if (ar->ro.app == NULL || ar->ro.dry_run)
		return;
	if (ar->deploy_kind == 2) {
		/* gone when every resource is */
		if (inn_store_resource_list(srv->store, NULL, NULL, ar->ro.app, &rows, &n) == 0)
			for (i = 0; i < n; i++)
				if (strcmp(rows[i].status, "terminated") != 0) {
					left++;
					if (failed_why[0] == '\0' && rows[i].message != NULL &&
					    strcmp(rows[i].status, "failed") == 0)
						snprintf(failed_why, sizeof(failed_why), "%s",
						         rows[i].message);
				}
		inn_resource_rows_free(rows, n);
		if (ok && left == 0) {
			reap_done(srv, ar->ro.app);
			json_object *det = json_object_new_object();

			json_object_object_add(det, "execution", json_object_new_int64(ar->id));
			inn_store_app_delete(srv->store, ar->ro.app);
			/* nothing of it is left in the state directories either */
			inn_engine_state_prune(srv->engine, ar->ro.app);
			inn_store_audit(srv->store, ar->created_by, "application.delete", ar->ro.app,
			                det);
			json_object_put(det);
			fprintf(stderr, "innominatus: application %s deleted (execution %lld)\n",
			        ar->ro.app, (long long)ar->id);
			return;
		}
		/* failed: its expiry stays shown; a TTL deletion is retried later */
		inn_store_app_update(srv->store, ar->ro.app, "failed", NULL, -1, -1);
		inn_runs_reap_failed(srv, ar->ro.app, ar->id, failed_why[0] ? failed_why :
		            "the delete execution did not finish", 0);
		return;
	}
	inn_store_app_update(srv->store, ar->ro.app, ok ? "active" : "failed", NULL, -1,
	                     ok ? 1 : -1);
}

/* ---- TTL ------------------------------------------------------------------- */

/* A failed TTL deletion: retried when next_ms has come, the wait doubling
 * from REAP_RETRY_FIRST_MS up to REAP_RETRY_MAX_MS; exec_id: the TTL
 * deletion running now (0 none).  A user's deploy or deletion of the app
 * drops its entry (it takes over). */
struct inn_reap_retry {
	char *app;
	int64_t exec_id;
	int attempts;             /* failed ones */
	int64_t next_ms;
	char why[600];
};

#define REAP_RETRY_FIRST_MS INT64_C(4000)   /* twice the reap interval (main.c) */
#define REAP_RETRY_MAX_MS   INT64_C(600000) /* 10 minutes */

/* The entry of app (reap_lock held), or NULL. */
static struct inn_reap_retry *
reap_find(inn_server *srv, const char *app)
{
	size_t i;

	for (i = 0; i < srv->nreap_retry; i++)
		if (strcmp(srv->reap_retry[i].app, app) == 0)
			return &srv->reap_retry[i];
	return NULL;
}

/* The entry of app, made if missing (reap_lock held), or NULL (no memory). */
static struct inn_reap_retry *
reap_get(inn_server *srv, const char *app)
{
	struct inn_reap_retry *e = reap_find(srv, app), *grown;

	if (e != NULL)
		return e;
	grown = realloc(srv->reap_retry, (srv->nreap_retry + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	srv->reap_retry = grown;
	e = &grown[srv->nreap_retry];
	memset(e, 0, sizeof(*e));
	if ((e->app = strdup(app)) == NULL)
		return NULL;
	srv->nreap_retry++;
	return e;
}

/* Drops app's entry (reap_lock held); 1 if there was one. */
static int
reap_drop(inn_server *srv, const char *app)
{
	struct inn_reap_retry *e = reap_find(srv, app);

	if (e == NULL)
		return 0;
	free(e->app);
	*e = srv->reap_retry[--srv->nreap_retry];
	return 1;
}

/* 1 when app's TTL deletion may be submitted now: none failed, or the
 * backoff after the last failure has passed. */
int
inn_runs_reap_due(inn_server *srv, const char *app, int64_t now)
{
	struct inn_reap_retry *e;
	int due;

	pthread_mutex_lock(&srv->reap_lock);
	e = reap_find(srv, app);
	due = e == NULL || (e->exec_id == 0 && e->next_ms <= now);
	pthread_mutex_unlock(&srv->reap_lock);
	return due;
}

/* A deletion or deployment of ar's app was accepted: the reaper's own
 * deletion is marked as the TTL deletion running; anyone else's takes over
 * from a failed TTL deletion (its retries stop; a deploy without a TTL of
 * its own leaves the app without one: it is wanted again). */
void
inn_runs_reap_requested(struct active_run *ar)
{
	inn_server *srv = ar->srv;
	struct inn_reap_retry *e;
	int took_over = 0;

	pthread_mutex_lock(&srv->reap_lock);
	if (ar->deploy_kind == 2 && srv->reap_current != NULL &&
	    strcmp(srv->reap_current, ar->ro.app) == 0) {
		if ((e = reap_get(srv, ar->ro.app)) != NULL)
			e->exec_id = ar->id;
	} else {
		took_over = reap_drop(srv, ar->ro.app);
	}
	pthread_mutex_unlock(&srv->reap_lock);
	if (!took_over)
		return;
	fprintf(stderr, "innominatus: application %s: execution %lld (%s by %s) takes over "
	        "from its failed TTL deletion%s\n", ar->ro.app, (long long)ar->id,
	        ar->deploy_kind == 2 ? "a deletion" : "a deployment", ar->created_by,
	        ar->deploy_kind != 2 && ar->expires_ms <= 0 ? "; it no longer expires" : "");
	if (ar->deploy_kind != 2 && ar->expires_ms <= 0)
		inn_store_app_update(srv->store, ar->ro.app, NULL, NULL, 0, -1);
}

/* app's deletion succeeded: nothing is retried. */
static void
reap_done(inn_server *srv, const char *app)
{
	pthread_mutex_lock(&srv->reap_lock);
	reap_drop(srv, app);
	pthread_mutex_unlock(&srv->reap_lock);
}

/* A deletion of app failed (exec_id: the execution, 0 when the reaper
 * could not even submit one: submit_failed).  A TTL deletion is retried
 * after the backoff; logged and audited. */
void
inn_runs_reap_failed(inn_server *srv, const char *app, int64_t exec_id, const char *why,
                     int submit_failed)
{
	struct inn_reap_retry *e;
	int64_t wait = REAP_RETRY_FIRST_MS, next = 0;
	int attempts = 0, k;
	char ex[40] = "";
	json_object *det;

	pthread_mutex_lock(&srv->reap_lock);
	e = reap_find(srv, app);
	if (submit_failed && e == NULL)
		e = reap_get(srv, app);
	if (e != NULL && (submit_failed || (exec_id != 0 && e->exec_id == exec_id))) {
		attempts = ++e->attempts;
		for (k = 1; k < attempts && wait < REAP_RETRY_MAX_MS; k++)
			wait *= 2;
		if (wait > REAP_RETRY_MAX_MS)
			wait = REAP_RETRY_MAX_MS;
		e->exec_id = 0;
		e->next_ms = next = inn_wall_ms() + wait;
		snprintf(e->why, sizeof(e->why), "%s", why);
	}
	pthread_mutex_unlock(&srv->reap_lock);
	if (next == 0)
		return;   /* not a TTL deletion: nothing to retry */
	if (exec_id != 0)
		snprintf(ex, sizeof(ex), ", execution %lld", (long long)exec_id);
	fprintf(stderr, "innominatus: application %s: its TTL deletion failed (attempt %d%s): "
	        "%s; retried in %llds\n", app, attempts, ex, why, (long long)(wait / 1000));
	det = json_object_new_object();
	if (exec_id != 0)
		json_object_object_add(det, "execution", json_object_new_int64(exec_id));
	json_object_object_add(det, "attempt", json_object_new_int(attempts));
	json_object_object_add(det, "error", json_object_new_string(why));
	json_object_object_add(det, "retry_ms", json_object_new_int64(next));
	inn_store_audit(srv->store, "system", "application.expire_failed", app, det);
	json_object_put(det);
}

int
inn_runs_reap_failure(inn_server *srv, const char *app, char *why, size_t len, int *attempts,
                      int64_t *retry_ms)
{
	struct inn_reap_retry *e;
	int found = 0;

	pthread_mutex_lock(&srv->reap_lock);
	e = reap_find(srv, app);
	if (e != NULL && e->attempts > 0) {
		found = 1;
		snprintf(why, len, "%s", e->why);
		*attempts = e->attempts;
		*retry_ms = e->next_ms;
	}
	pthread_mutex_unlock(&srv->reap_lock);
	return found;
}

void
inn_runs_reap_free(inn_server *srv)
{
	size_t i;

	for (i = 0; i < srv->nreap_retry; i++)
		free(srv->reap_retry[i].app);
	free(srv->reap_retry);
	srv->reap_retry = NULL;
	srv->nreap_retry = 0;
}

