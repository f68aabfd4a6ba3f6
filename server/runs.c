/*
 * runs.c - the server's execution manager: turns a run request into a
 * stored execution, runs it through the engine on a runner thread (at most
 * maxConcurrentWorkflows at once; the rest wait in a bounded FIFO without a
 * thread each, and a runner takes the next one when it ends), records every
 * step state, log line and event in the store as it happens and publishes
 * them to the event sink (SSE), records the Score spec's application and the
 * state of each resource it provisions, and accounts for executions a
 * previous process left behind.  SIGTERM drains: queued executions are not
 * started (they stay pending and the next start runs them), running ones
 * get the grace.  An execution holds a reference to the catalog it started
 * with (its workflows point into it), so a reload cannot free them.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deploy.h"
#include "duration.h"
#include "error.h"
#include "host.h"
#include "runs_check.h"
#include "runs_inputs.h"
#include "runs_int.h"
#include "server.h"
#include "utf8_out.h"





/* Records event type of ar with data (owned) in the store, then hands it
 * to the event sink with its store id. */
static void
record_event(inn_server *srv, struct active_run *ar, const char *type, json_object *data)
{
	int64_t ev = 0;

	inn_store_event_add(srv->store, type, ar->id, ar->team, data, &ev);
	inn_runs_publish(ar, type, ev, data);
	json_object_put(data);
}

void
inn_runs_publish_exec(inn_server *srv, struct active_run *ar, const char *type,
                      const char *status, const char *msg)
{
	json_object *data = json_object_new_object();

	json_object_object_add(data, "execution", json_object_new_int64(ar->id));
	json_object_object_add(data, "status", json_object_new_string(status));
	json_object_object_add(data, "workflow", json_object_new_string(
	    ar->main_wf != NULL ? ar->main_wf->name : ar->ref ? ar->ref : ""));
	if (msg != NULL)
		json_object_object_add(data, "message", json_object_new_string(msg));
	record_event(srv, ar, type, data);
}

/* execution.created: the new execution as GET /api/workflows lists it
 * (pending), so that a list shows it while it waits for a runner; the
 * stream gives it to those who may see it, as every event of it. */
static void
publish_created(inn_server *srv, struct active_run *ar, const inn_exec_row *row)
{
	json_object *data = json_object_new_object();

	json_object_object_add(data, "execution", json_object_new_int64(row->id));
	json_object_object_add(data, "status", json_object_new_string(row->status));
	INN_JSON_ADD_STRS(data, "workflow", row->workflow, "kind", row->kind, "app", row->app,
	                  "team", row->team);
	record_event(srv, ar, "execution.created", data);
}

void
inn_runs_active_free(struct active_run *ar)
{
	inn_run_free(ar->main_slot.run);
	inn_deploy_free(ar->plan);
	inn_phase_entries_free(ar->phases, ar->nphases);
	inn_deploy_prevs_free(ar->prev, ar->prev_rows, ar->nprev);
	inn_score_free(ar->score);
	free(ar->ref);
	free(ar->kind);
	free(ar->part_base);
	free(ar->phase_base);
	json_object_put(ar->outputs);
	json_object_put(ar->params);
	json_object_put(ar->data);
	json_object_put(ar->completed);
	json_object_put(ar->spec);
	free((char *)ar->ro.app);
	free(ar->team);
	free(ar->created_by);
	free(ar->state_owner);
	inn_catalog_release(ar->srv, ar->cat);
	free(ar);
}

/* Records the spec's application for this run's owner (not for dry runs).
 * The store decides atomically: if another team or key got the name
 * since inn_runs_app_check() (two runs racing for a new name), this run stops here,
 * before it touches any resource or state -- as it does when the owner
 * cannot be recorded at all (nobody's resources are made unowned).
 * Returns SUCCEEDED or FAILED. */
static inn_state
record_app(struct active_run *ar, char *why, size_t whylen)
{
	if (ar->ro.app == NULL || ar->ro.dry_run)
		return INN_STATE_SUCCEEDED;
	if (inn_store_app_put(ar->srv->store, ar->ro.app, ar->team, ar->created_by,
	                      ar->any_app) == 0) {
		/* a golden path whose workflow declares a duration parameter
		 * "ttl" sets the application's TTL */
		const inn_param *tp = ar->main_wf ? inn_workflow_param(ar->main_wf, "ttl", 3) : NULL;
		json_object *v = NULL;
		int64_t ms = 0;
		char bad[120];

		if (ar->deploy_kind == 0)
			inn_runs_reap_requested(ar);
		/* (inn_runs_params_check refused a bad value before the run) */
		if (tp != NULL && tp->type != NULL && strcmp(tp->type, "duration") == 0 &&
		    !json_object_object_get_ex(ar->params, "ttl", &v))
			v = tp->def;
		if (v != NULL && !json_object_is_type(v, json_type_null) &&
		    inn_ttl_parse_ms(json_object_get_string(v), &ms, bad, sizeof(bad)) == 0)
			inn_store_app_update(ar->srv->store, ar->ro.app, NULL, NULL,
			                     inn_wall_ms() + ms, -1);
		if (ar->deploy_kind == 0) {
			inn_exec_row *row = NULL;

			/* the spec as stored (masked) is what GET shows */
			inn_store_exec_get(ar->srv->store, ar->id, &row);
			inn_store_app_update(ar->srv->store, ar->ro.app, "deploying",
			                     row != NULL ? row->spec : NULL, -1, -1);
			inn_exec_row_free(row);
		}
		return INN_STATE_SUCCEEDED;
	}
	snprintf(why, whylen, "application \"%s\": %s; nothing was provisioned", ar->ro.app,
	         inn_error_last());
	return INN_STATE_FAILED;
}

static int deploy_conflict(inn_server *srv, const char *app, int any_kind);
static void steps_settle(inn_server *srv, int64_t id, const char *from, const char *status,
                         const char *msg, int final);

/* ---- the queue (everything here with srv->runs_lock held) ---------------- */

static void
runs_unlink(inn_server *srv, struct active_run *ar)
{
	struct active_run **pp;

	for (pp = &srv->runs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == ar) {
			*pp = ar->next;
			break;
		}
}

static void
queue_push(inn_server *srv, struct active_run *ar)
{
	ar->queued = 1;
	ar->qnext = NULL;
	if (srv->qtail != NULL)
		srv->qtail->qnext = ar;
	else
		srv->qhead = ar;
	srv->qtail = ar;
	srv->nqueued++;
	srv->queued_bytes += ar->qbytes;
}

static void
queue_unlink(inn_server *srv, struct active_run *ar)
{
	struct active_run **pp, *prev = NULL;

	for (pp = &srv->qhead; *pp != NULL; prev = *pp, pp = &(*pp)->qnext)
		if (*pp == ar) {
			*pp = ar->qnext;
			if (srv->qtail == ar)
				srv->qtail = prev;
			ar->qnext = NULL;
			ar->queued = 0;
			srv->nqueued--;
			srv->queued_bytes -= ar->qbytes;
			return;
		}
}

/* The next queued execution to start, or NULL (none, not open yet, or draining). */
static struct active_run *
queue_pop(inn_server *srv)
{
	struct active_run *ar = srv->qhead;

	if (ar == NULL || !srv->runs_open || atomic_load(&srv->draining))
		return NULL;
	queue_unlink(srv, ar);
	return ar;
}

/* Runs one execution to its end and records it -- when this replica
 * still holds it: one another replica took over while it was queued
 * (stolen, or adopted after a lost lease) is dropped quietly, and one it
 * lost while running ends here without its end written. */
static void
run_one(struct active_run *ar)
{
	inn_server *srv = ar->srv;
	inn_state st;
	int rc;

	if ((rc = inn_store_exec_claim_start(srv->store, ar->me, ar->id, inn_wall_ms())) != 0) {
		if (rc != INN_STORE_LOST)
			fprintf(stderr, "innominatus: execution %lld: not started: %s\n",
			        (long long)ar->id, inn_error_last());
		atomic_store(&ar->lost, 1);
		return;
	}
	atomic_fetch_add(&srv->m_claims, 1);
	inn_runs_publish_exec(srv, ar, "execution.started", INN_STATE_WORD(RUNNING), NULL);
	{
		char why[1024] = "";
		const char *msg;
		inn_run *run = NULL;

		st = record_app(ar, why, sizeof(why));
		if (st == INN_STATE_SUCCEEDED)
			st = inn_runs_deploy_before(ar, why, sizeof(why));
		if (st == INN_STATE_SUCCEEDED && ar->main_wf != NULL) {
			inn_run_opts ro = ar->ro;
			/* the resources' secret outputs are masked in the main run too */
			json_object *comp = inn_deploy_main_completed(ar->plan, ar->completed);

			ro.data = ar->data;
			if (comp != NULL)
				ro.completed = comp;
			st = inn_runs_slot_run(ar, &ar->main_slot, ar->main_wf, &ro, ar->main_base, "",
			                       why, sizeof(why));
			if (ar->main_slot.run != NULL)
				run = ar->main_slot.run;
			json_object_put(comp);
		}
		if (st == INN_STATE_SUCCEEDED || st == INN_STATE_WOULD_RUN)
			st = inn_runs_deploy_after(ar, st, why, sizeof(why));
		if (atomic_load(&ar->lost) || inn_runs_fence(ar) != 0)
			return;   /* another replica accounts for it */
		inn_runs_deploy_end(ar, st);
		msg = why[0] ? why : NULL;
		if (st != INN_STATE_SUCCEEDED && st != INN_STATE_WOULD_RUN) {
			char never[128];

			/* parts after a failed one, the main workflow after a failed part */
			snprintf(never, sizeof(never), "skipped: the execution ended %s before "
			         "this step ran", inn_state_name(st));
			steps_settle(srv, ar->id, INN_STATE_WORD(PENDING), INN_STATE_WORD(SKIPPED),
			             never, 1);
		}
		inn_store_exec_update(srv->store, ar->id, inn_state_name(st), msg ? msg : "", 0,
		                      inn_wall_ms(), ar->deploy_kind != 0 || ar->focused ? ar->outputs :
		                      run != NULL ? inn_run_outputs(run) : NULL);
		inn_runs_publish_exec(srv, ar, "execution.finished", inn_state_name(st), msg);
	}
	if ((int)st >= 0 && (int)st < 8)
		atomic_fetch_add(&srv->m_exec[st], 1);
}

/* A runner: runs its execution, then the next queued one while there is
 * one, and ends (giving its slot back) when the queue is empty or the
 * server drains.  It touches nothing of srv after the last unlock. */
static void *
run_thread(void *arg)
{
	struct active_run *ar = arg;
	inn_server *srv = ar->srv;

	while (ar != NULL) {
		run_one(ar);
		pthread_mutex_lock(&srv->runs_lock);
		runs_unlink(srv, ar);
		pthread_mutex_unlock(&srv->runs_lock);
		inn_runs_active_free(ar);
		pthread_mutex_lock(&srv->runs_lock);
		if ((ar = queue_pop(srv)) == NULL)
			srv->nrunning--;
		pthread_cond_broadcast(&srv->runs_cond);
		pthread_mutex_unlock(&srv->runs_lock);
	}
	return NULL;
}

/* Starts runners for queued executions while slots are free (runs_lock
 * held).  A runner that cannot be created leaves its execution first in
 * the queue. */
static void
dispatch(inn_server *srv)
{
	while (srv->max_concurrent <= 0 || srv->nrunning < srv->max_concurrent) {
		struct active_run *ar = queue_pop(srv);
		pthread_t t;

		if (ar == NULL)
			return;
		if (pthread_create(&t, NULL, run_thread, ar) != 0) {
			ar->queued = 1;
			ar->qnext = srv->qhead;
			srv->qhead = ar;
			if (srv->qtail == NULL)
				srv->qtail = ar;
			srv->nqueued++;
			srv->queued_bytes += ar->qbytes;
			return;
		}
		pthread_detach(t);
		srv->nrunning++;
	}
}

/* About how many bytes a JSON value holds in memory (what a queued
 * execution keeps of its parameters and spec). */
static size_t
json_weight(json_object *o)
{
	size_t w = 16, i, n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		return w + (size_t)json_object_get_string_len(o);
	case json_type_object: {
		json_object_object_foreach(o, k, v)
			w += 16 + strlen(k) + json_weight(v);
		return w;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			w += json_weight(json_object_array_get_idx(o, i));
		return w;
	default:
		return w;
	}
}

/* 0 when one more execution weighing bytes may be accepted: it gets a slot
 * now, or fewer than maxQueuedExecutions wait and what they hold stays
 * within maxQueuedBytes (without a slot limit, the executions in progress
 * are counted).  INN_RUNS_FULL otherwise. */
static int
queue_room(inn_server *srv, size_t bytes)
{
	int waiting, rc = 0;

	/* one that weighs more than the whole queue may hold can never wait for
	 * a slot: refused for what it is (413), not "try again later" */
	if (bytes > srv->cfg.max_queued_bytes)
		return inn_error_set(INN_RUNS_TOO_BIG, "the parameters and spec of this execution "
		                     "weigh %zu bytes, more than server.maxQueuedBytes (%zu bytes) "
		                     "allows an execution to hold", bytes,
		                     srv->cfg.max_queued_bytes);
	pthread_mutex_lock(&srv->runs_lock);
	if (srv->max_concurrent > 0)
		waiting = srv->nqueued > 0 || srv->nrunning >= srv->max_concurrent ? srv->nqueued
		                                                                    : -1;
	else
		waiting = srv->nrunning + srv->nqueued;
	if (waiting >= 0 && waiting >= srv->cfg.max_queued)
		rc = inn_error_set(INN_RUNS_FULL, "%d executions are already waiting for a slot "
		                   "(server.maxQueuedExecutions); try again later", waiting);
	else if (waiting >= 0 && srv->queued_bytes + bytes > srv->cfg.max_queued_bytes)
		rc = inn_error_set(INN_RUNS_FULL, "the executions waiting for a slot already hold "
		                   "%zu bytes of parameters and specs (server.maxQueuedBytes); try "
		                   "again later", srv->queued_bytes);
	pthread_mutex_unlock(&srv->runs_lock);
	return rc;
}

/* What a deploy or delete execution adds to a start. */
struct start_opts {
	int deploy_kind;          /* 0: a run, 1: deploy (POST /api/applications), 2: delete */
	inn_score *score;         /* deploy: the parsed spec (taken over, also on failure) */
	int64_t expires_ms;       /* deploy: TTL deadline, 0 none */
	inn_diag *diag;           /* deploy/delete: every problem of the plan */
	json_object **summary;    /* deploy/delete: {operations, phases, warnings} */
};

/* maxStepsPerWorkflow for a deployment of ar->score: the resource at which
 * the run's steps pass the limit, as a problem at its position in d.  With
 * a plan its parts count (a kept one runs nothing); without one (the spec
 * has other problems) each resource's create workflow.  Returns 1 when
 * reported. */
static int
deploy_steps_check(struct active_run *ar, inn_diag *d)
{
	const inn_policy *pol = ar->srv->policy;
	const inn_score *s = ar->score;
	size_t i, n, total = ar->main_wf ? ar->main_wf->nsteps : 0, at = (size_t)-1, cross = 0;

	if (s == NULL || pol == NULL || pol->max_steps <= 0)
		return 0;
	n = ar->plan != NULL ? inn_deploy_nparts(ar->plan) : s->nresources;
	for (i = 0; i < n; i++) {
		const inn_workflow *wf = NULL;

		if (ar->plan != NULL) {
			const inn_deploy_part *p = inn_deploy_part_at(ar->plan, i);

			if (p->op != INN_DEPLOY_KEEP)
				wf = p->wf;
		} else if (s->resources[i].type != NULL) {
			const inn_provider *prov = NULL;
			const inn_resource_cap *cap = inn_catalog_resource(ar->cat->cat,
			                                                   s->resources[i].type, &prov);

			if (cap != NULL && cap->create != NULL)
				wf = inn_provider_workflow(prov, cap->create);
		}
		total += wf != NULL ? wf->nsteps : 0;
		if (at == (size_t)-1 && total > (size_t)pol->max_steps) {
			at = i;
			cross = total;
		}
	}
	if (at == (size_t)-1)
		return 0;
	if (at < s->nresources)
		inn_diag_add(d, INN_DIAG_ERROR, s->file ? s->file : "spec", s->resources[at].line,
		             s->resources[at].col, "resource \"%s\": the deployment's steps pass the "
		             "policy's maxStepsPerWorkflow (%d) here: %zu with this resource's, "
		             "%zu in all", s->resources[at].name ? s->resources[at].name : "?",
		             pol->max_steps, cross, total);
	else
		inn_diag_add(d, INN_DIAG_ERROR, s->file ? s->file : "spec", 0, 0, "the deployment "
		             "has %zu steps with the resources it deletes (gone from the spec), "
		             "more than the policy's maxStepsPerWorkflow (%d)", total,
		             pol->max_steps);
	return 1;
}

/* The spec's application (checked against its owner unless resuming) and
 * its deployment plan against what the store holds: ar->plan, ar->data,
 * ar->spec, ar->score (NULL without a spec). */
static int
plan_spec(struct active_run *ar, const inn_caller *who, json_object *spec, int64_t id_in,
          const struct start_opts *so)
{
	inn_diag d;
	int rc = 0, flags = INN_DEPLOY_STRICT;
	const char *app;

	inn_diag_init(&d);
	if (so->deploy_kind == 1) {
		flags |= INN_DEPLOY_DECLARATIVE;
	} else if (so->deploy_kind == 0 && spec != NULL &&
	           (inn_score_from_json(&ar->score, "spec", spec, &d) != 0 || d.nerrors > 0)) {
		char buf[1024];

		inn_diag_format(&d, 0, buf, sizeof(buf));
		rc = inn_error_set(INN_EINVAL, "spec: %s", d.n ? buf : inn_error_last());
		goto out;
	}
	app = ar->score != NULL ? ar->score->app : so->deploy_kind == 2 ? ar->ref : NULL;
	if (app != NULL && id_in == 0 && (rc = inn_runs_app_check(ar->srv, who, app)) != 0) {
		if (so->deploy_kind != 0 && rc == INN_EINVAL)
			rc = inn_error_set(INN_EFORBIDDEN, "application \"%s\" belongs to another "
			                   "team", app);
		goto out;
	}
	if (app != NULL && (ar->ro.app = strdup(app)) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	/* strict: a resource param its workflow does not declare is refused,
	 * as for direct runs */
	if ((rc = inn_runs_deploy_plan(ar, flags, so->diag ? so->diag : &d)) != 0) {
		char why[1024];

		if (so->diag != NULL) {
			if (so->deploy_kind == 1)
				deploy_steps_check(ar, so->diag);
			goto out;
		}
		if (d.nerrors > 0) {
			size_t i = 0;

			while (i + 1 < d.n && d.items[i].level != INN_DIAG_ERROR)
				i++;
			inn_diag_format(&d, i, why, sizeof(why));
		} else {
			snprintf(why, sizeof(why), "%s", inn_error_last());
		}
		rc = inn_error_set(rc, "spec: %s", why);
		goto out;
	}
	ar->nres = inn_deploy_nparts(ar->plan);
	ar->data = json_object_get(inn_deploy_data(ar->plan));
	ar->spec = spec != NULL ? inn_json_copy(spec) : NULL;
out:
	inn_diag_free(&d);
	return rc;
}

/* Records a new execution: its row (pending) with the inputs as stored
 * (inn_runs_inputs_store), a pending row for every step of every part, and an
 * audit entry.  Sets ar->id. */
static int
create_row(struct active_run *ar, const inn_caller *who, const char *ref, const char *kind,
           json_object *resolved, json_object *params, json_object *spec, int64_t retry_of)
{
	inn_server *srv = ar->srv;
	size_t i;
	inn_exec_row row;
	int rc;

	memset(&row, 0, sizeof(row));
	row.workflow = (char *)ref;
	row.kind = (char *)kind;
	row.app = (char *)ar->ro.app;
	row.team = ar->team;
	row.created_by = who ? (char *)who->p.name : (char *)"system";
	row.status = (char *)INN_STATE_WORD(PENDING);
	row.owner = ar->me[0] ? ar->me : NULL;
	if ((rc = inn_runs_inputs_store(srv->secretbox, ar->main_wf, ar->plan, ar->completed,
	                                resolved, params, spec, &row)) != 0) {
		json_object_put(row.params);
		json_object_put(row.spec);
		return rc;
	}
	row.dry_run = ar->ro.dry_run;
	row.retry_of = retry_of;
	row.resumable = ar->nres == 0 && ar->nphases == 0 && ar->main_wf != NULL;
	for (i = 0; ar->main_wf != NULL && i < ar->main_wf->nsteps; i++) {
		const inn_plugin *p = inn_registry_find(srv->registry,
		                                        ar->main_wf->steps[i].plugin_type);

		if (p == NULL || !(p->desc.flags & INN_PLUGIN_IDEMPOTENT))
			row.resumable = 0;
	}
	rc = inn_store_exec_create(srv->store, &row);
	json_object_put(row.params);
	json_object_put(row.spec);
	free(row.sealed_inputs);
	if (rc != 0)
		return rc;
	ar->id = row.id;
	/* every step of the run has a row from the start (pending), so what
	 * ran and what never did is accounted for even after a crash */
	inn_runs_step_rows(ar);
	{
		json_object *det = json_object_new_object();
		char target[64];

		json_object_object_add(det, "workflow", json_object_new_string(ref));
		json_object_object_add(det, "kind", json_object_new_string(kind));
		snprintf(target, sizeof(target), "execution/%lld", (long long)ar->id);
		inn_store_audit(srv->store, who ? who->p.name : "system",
		                retry_of ? "execution.retry" : "execution.create", target, det);
		json_object_put(det);
	}
	publish_created(srv, ar, &row);
	return 0;
}

/* On a shared store, the conflict check of a submission for app and the
 * rows it writes are one step for all replicas: the store-wide lock
 * "app:NAME" is held from the check until the rows exist (another
 * replica submitting for app meanwhile gets a conflict).  name (of
 * INN_APP_LOCK_LEN) keeps the lock's name for app_unlock; "" when none
 * was taken. */
#define INN_APP_LOCK_LEN 200

/* Takes the store-wide lock name (of INN_APP_LOCK_LEN; "" again when not
 * taken); INN_RUNS_CONFLICT "WHAT: another replica is ACTION right now"
 * when another replica holds it. */
static int
shared_lock(inn_server *srv, char *name, const char *what, const char *action)
{
	int rc;

	if (!inn_store_shared(srv->store)) {
		name[0] = '\0';
		return 0;   /* one server: submit_lock is enough */
	}
	if ((rc = inn_store_lock_try(srv->store, name)) == 1)
		return 0;
	name[0] = '\0';
	if (rc < 0)
		return rc;
	return inn_error_set(INN_RUNS_CONFLICT, "%s: another replica is %s right now; try again",
	                     what, action);
}

static int
app_lock(inn_server *srv, const char *app, char *name)
{
	char what[INN_APP_LOCK_LEN + 16];

	snprintf(name, INN_APP_LOCK_LEN, "app:%s", app);
	snprintf(what, sizeof(what), "application \"%s\"", app);
	return shared_lock(srv, name, what, "submitting a run of it");
}

/* INN_RUNS_CONFLICT when the latest retry of execution id is pending or
 * running: one retry at a time (two tabs, a double submit).  The caller
 * holds submit_lock and, on a shared store, the lock "retry:ID" (taken
 * here into name, released with app_unlock) until the new row exists. */
static int
retry_conflict(inn_server *srv, int64_t id, char *name)
{
	char what[64];
	int64_t by = 0;
	inn_exec_row *row = NULL;
	int rc, live;

	snprintf(name, INN_APP_LOCK_LEN, "retry:%lld", (long long)id);
	snprintf(what, sizeof(what), "execution %lld", (long long)id);
	if ((rc = shared_lock(srv, name, what, "retrying it")) != 0 ||
	    (rc = inn_store_exec_retried_by(srv->store, id, &by)) != 0 || by == 0)
		return rc;
	if ((rc = inn_store_exec_get(srv->store, by, &row)) != 0)
		return rc;
	live = !inn_state_word_is_final(row->status);
	inn_exec_row_free(row);
	if (live)
		return inn_error_set(INN_RUNS_CONFLICT, "execution %lld is already being retried "
		                     "by execution %lld; retry again once that one has ended",
		                     (long long)id, (long long)by);
	return 0;
}

static void
app_unlock(inn_server *srv, char *name)
{
	if (name[0] != '\0')
		inn_store_lock_release(srv->store, name);
	name[0] = '\0';
}

/* Starts (or resumes, when id_in > 0) an execution.  Everything is checked
 * here, before a row exists: the workflow, the spec, every parameter. */
static int
start(inn_server *srv, const inn_caller *who, const char *ref, const char *kind,
      json_object *params, json_object *spec, int dry_run, int64_t retry_of,
      int64_t id_in, json_object *completed, const struct start_opts *so, int64_t *id)
{
	static const struct start_opts none;
	struct active_run *ar;
	json_object *resolved = NULL;
	char applock[INN_APP_LOCK_LEN] = "", retrylock[INN_APP_LOCK_LEN] = "";
	int rc;

	if (so == NULL)
		so = &none;
	if ((ar = calloc(1, sizeof(*ar))) == NULL) {
		inn_score_free(so->score);
		return inn_error_set(INN_ENOMEM, "out of memory");
	}
	ar->srv = srv;
	inn_replica_me(srv, ar->me);
	ar->cat = inn_catalog_acquire(srv);
	ar->score = so->score;
	ar->deploy_kind = so->deploy_kind;
	ar->expires_ms = so->expires_ms;
	ar->dry_run = dry_run;
	ar->ref = strdup(ref);
	ar->kind = strdup(kind);
	if (ar->ref == NULL || ar->kind == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto err;
	}
	if (so->deploy_kind != 0) {
		/* no main workflow: the resources and the phases are the run */
	} else if ((ar->main_wf = inn_runs_workflow(ar->cat->cat, ref, kind)) == NULL) {
		rc = inn_error_set(INN_ENOTFOUND, "no %s named \"%s\"",
		                   strcmp(kind, "golden-path") == 0 ? "golden path" : "workflow",
		                   ref);
		goto err;
	}
	/* with a spec, the op check waits for the plan: a create or update
	 * workflow of a type the spec asks for is the provisioning of the
	 * user's own resources (focused), no operation named directly */
	if (id_in == 0 && ar->main_wf != NULL && spec == NULL &&
	    (rc = inn_runs_op_check(ar->cat->cat, who, ref, ar->main_wf)) != 0)
		goto err;
	ar->team = who && who->p.team[0] ? strdup(who->p.team) : NULL;
	ar->created_by = strdup(who ? who->p.name : "system");
	ar->any_app = who == NULL || who->admin || id_in > 0;
	ar->params = params ? inn_json_copy(params) : json_object_new_object();
	ar->completed = inn_json_copy(completed);
	if ((rc = plan_spec(ar, who, spec, id_in, so)) != 0)
		goto err;
	if (id_in == 0 && ar->main_wf != NULL && spec != NULL && !ar->focused &&
	    (rc = inn_runs_op_check(ar->cat->cat, who, ref, ar->main_wf)) != 0)
		goto err;
	if (ar->focused && id_in == 0 && (rc = inn_runs_focus_check(ref, params)) != 0)
		goto err;
	{
		const char *app = ar->ro.app;   /* plan_spec's */

		memset(&ar->ro, 0, sizeof(ar->ro));
		ar->ro.app = app;
	}
	ar->ro.params = ar->params;
	ar->ro.data = ar->data;
	ar->ro.dry_run = dry_run;
	ar->ro.state_owner = ar->state_owner = inn_runs_state_owner(who);
	ar->ro.completed = ar->completed;
	/* the effective environment (the given value, else the main workflow's
	 * default) names the state of the main run and of every resource part
	 * alike */
	if (ar->main_wf != NULL)
		ar->ro.environment = inn_params_environment(ar->main_wf, ar->params);
	if (ar->focused)
		ar->main_wf = NULL;   /* the parts are the run */
	{
		/* maxStepsPerWorkflow bounds the whole planned run: the main
		 * workflow's steps and every resource part's */
		size_t total = (ar->main_wf ? ar->main_wf->nsteps : 0) + inn_deploy_nsteps(ar->plan);
		const inn_policy *pol = srv->policy;

		if (so->deploy_kind == 1 && so->diag != NULL && deploy_steps_check(ar, so->diag)) {
			rc = inn_error_set(INN_EINVAL, "the deployment has more steps than the "
			                   "policy's maxStepsPerWorkflow (%d)", pol->max_steps);
			goto err;
		}
		if (pol != NULL && pol->max_steps > 0 && total > (size_t)pol->max_steps) {
			rc = inn_error_set(INN_EINVAL, "this run would have %zu steps (workflow %zu, "
			                   "%zu resource part%s), more than the policy's "
			                   "maxStepsPerWorkflow (%d)", total,
			                   ar->main_wf ? ar->main_wf->nsteps : 0,
			                   ar->nres, ar->nres == 1 ? "" : "s", pol->max_steps);
			goto err;
		}
	}
	if ((ar->main_wf != NULL || ar->focused) &&
	    (rc = inn_runs_params_check(ar->plan, ar->main_wf, ar->params, &resolved)) != 0)
		goto err;
	if ((ar->main_wf != NULL || ar->focused) &&
	    (rc = inn_runs_spec_refs_check(ar->plan, ar->main_wf)) != 0)
		goto err;
	if (so->deploy_kind != 0 && id_in == 0) {
		if (so->summary != NULL)
			*so->summary = inn_runs_deploy_summary(ar, so->diag);
		if (dry_run) {
			/* plan only: nothing is stored, nothing runs */
			*id = 0;
			inn_runs_active_free(ar);
			return 0;
		}
		if ((rc = app_lock(srv, ar->ro.app, applock)) != 0 ||
		    (rc = deploy_conflict(srv, ar->ro.app, 1)) != 0)
			goto err;
	} else if (id_in == 0 && ar->ro.app != NULL && !dry_run &&
	           ((rc = app_lock(srv, ar->ro.app, applock)) != 0 ||
	            (rc = deploy_conflict(srv, ar->ro.app, 0)) != 0)) {
		/* a run with a spec waits for no deployment or deletion of its app */
		goto err;
	}
	if (id_in == 0 && retry_of > 0 && (rc = retry_conflict(srv, retry_of, retrylock)) != 0)
		goto err;
	if (id_in > 0)
		ar->id = id_in;
	else if ((rc = create_row(ar, who, ref, kind, resolved, params, spec, retry_of)) != 0)
		goto err;
	json_object_put(resolved);
	resolved = NULL;
	*id = ar->id;
	if (so->deploy_kind != 0 && id_in == 0)
		inn_runs_deploy_requested(ar, who);
	/* its rows are written: another replica's conflict check sees them */
	app_unlock(srv, applock);
	app_unlock(srv, retrylock);
	return inn_runs_enqueue(ar);
err:
	app_unlock(srv, applock);
	app_unlock(srv, retrylock);
	json_object_put(resolved);
	inn_runs_active_free(ar);
	return rc;
}

int
inn_runs_enqueue(struct active_run *ar)
{
	inn_server *srv = ar->srv;
	int stuck;

	/* queued in order; a runner starts it when a slot is free (no thread
	 * waits for one); none start before inn_runs_begin */
	ar->qbytes = json_weight(ar->params) + json_weight(ar->spec);
	pthread_mutex_lock(&srv->runs_lock);
	ar->next = srv->runs;
	srv->runs = ar;
	queue_push(srv, ar);
	dispatch(srv);
	stuck = ar->queued && srv->runs_open && srv->nrunning == 0;
	if (stuck) {
		queue_unlink(srv, ar);
		runs_unlink(srv, ar);
	}
	pthread_mutex_unlock(&srv->runs_lock);
	if (stuck) {
		static const char msg[] = "cannot start a thread";

		inn_store_exec_update(srv->store, ar->id, INN_STATE_WORD(FAILED), msg, 0,
		                      inn_wall_ms(), NULL);
		/* it was announced (execution.created): its end is too */
		inn_runs_publish_exec(srv, ar, "execution.finished", INN_STATE_WORD(FAILED), msg);
		inn_runs_active_free(ar);
		return inn_error_set(INN_ERROR, "cannot start a thread for the execution");
	}
	return 0;
}

/* What deploy_conflict finds on other replicas of a shared store: the id
 * of a pending or running execution of app they own (a deploy or delete;
 * any_kind: any that is no dry run), or 0.  Not atomic with the caller's
 * create: it narrows the window, a second check happens nowhere. */
static int64_t
store_conflict(inn_server *srv, const char *app, int any_kind)
{
	static const char *const busy_words[] = { "pending", "running" };
	int64_t busy = 0, total = 0;
	size_t k, i, n;

	for (k = 0; k < 2 && busy == 0; k++) {
		inn_exec_filter f;
		inn_exec_row **rows = NULL;

		memset(&f, 0, sizeof(f));
		f.app = app;
		f.status = busy_words[k];
		f.page_size = 200;
		if (inn_store_exec_list(srv->store, &f, &rows, &n, &total) != 0)
			continue;
		for (i = 0; i < n && busy == 0; i++)
			if (!rows[i]->dry_run && (any_kind || strcmp(rows[i]->kind, "deploy") == 0 ||
			                          strcmp(rows[i]->kind, "delete") == 0))
				busy = rows[i]->id;
		inn_exec_rows_free(rows, n);
	}
	return busy;
}

/* INN_RUNS_CONFLICT when a deploy or delete execution of app is queued or
 * running (here, or on another replica of a shared store) -- or, any_kind, any execution of app that is no dry run
 * (submissions come one at a time: submit_lock). */
static int
deploy_conflict(inn_server *srv, const char *app, int any_kind)
{
	struct active_run *o;
	int64_t busy = 0;

	pthread_mutex_lock(&srv->runs_lock);
	for (o = srv->runs; o != NULL && busy == 0; o = o->next)
		if ((o->deploy_kind != 0 || (any_kind && !o->ro.dry_run)) && o->ro.app != NULL &&
		    strcmp(o->ro.app, app) == 0)
			busy = o->id;
	pthread_mutex_unlock(&srv->runs_lock);
	if (busy == 0 && inn_store_shared(srv->store))
		busy = store_conflict(srv, app, any_kind);
	if (busy != 0)
		return inn_error_set(INN_RUNS_CONFLICT, "application \"%s\": execution %lld "
		                     "is still pending or running; try again when it ended", app,
		                     (long long)busy);
	return 0;
}

int
inn_runs_deploy_submit(inn_server *srv, const inn_caller *who, const char *app,
                       inn_score *score, json_object *spec, int dry_run, int64_t expires_ms,
                       inn_diag *d, json_object **summary, int64_t *id)
{
	struct start_opts so;

	memset(&so, 0, sizeof(so));
	so.deploy_kind = score != NULL ? 1 : 2;
	so.score = score;
	so.expires_ms = expires_ms;
	so.diag = d;
	so.summary = summary;
	*summary = NULL;
	*id = 0;
	if (atomic_load(&srv->draining)) {
		inn_score_free(score);
		return inn_error_set(INN_ECANCELLED, "the server is shutting down");
	}
	{
		int rc;

		pthread_mutex_lock(&srv->submit_lock);
		rc = start(srv, who, app, score != NULL ? "deploy" : "delete", NULL, spec, dry_run,
		           0, 0, NULL, &so, id);
		pthread_mutex_unlock(&srv->submit_lock);
		return rc;
	}
}

/* The real outputs of a succeeded step row (a new reference), their
 * secret values appended to mask; NULL with why in notes when they cannot
 * be had (sealed with another key, or stored masked without a sealed copy):
 * then the step is not reused but run again, never with "***". */
static json_object *
step_outputs_open(inn_server *srv, const inn_step_row *r, json_object *mask,
                  json_object *notes)
{
	json_object *o = NULL, *v, *outs = NULL;
	char *plain = NULL, why[1024];
	size_t len = 0, i;

	if (r->sealed_outputs == NULL) {
		if (!inn_json_has_mask(r->outputs))
			return r->outputs ? json_object_get(r->outputs) : json_object_new_object();
		snprintf(why, sizeof(why), "step %s is run again, not reused: its outputs were "
		         "stored with secret values masked and no sealed copy of them", r->name);
	} else if (srv->secretbox == NULL ||
	           inn_secretbox_unseal(srv->secretbox, r->sealed_outputs, &plain, &len) != 0) {
		snprintf(why, sizeof(why), "step %s is run again, not reused: its secret outputs "
		         "cannot be recovered: %s", r->name,
		         srv->secretbox ? inn_error_last() : "no key");
	} else {
		o = json_tokener_parse(plain);
		memset(plain, 0, len);
		free(plain);
		if (o != NULL && json_object_object_get_ex(o, "outputs", &v) &&
		    json_object_is_type(v, json_type_object)) {
			outs = json_object_get(v);
			if (json_object_object_get_ex(o, "mask", &v) &&
			    json_object_is_type(v, json_type_array))
				for (i = 0; i < json_object_array_length(v); i++)
					json_object_array_add(mask,
					    json_object_get(json_object_array_get_idx(v, i)));
		}
		json_object_put(o);
		if (outs != NULL)
			return outs;
		snprintf(why, sizeof(why), "step %s is run again, not reused: its sealed outputs "
		         "are damaged", r->name);
	}
	json_object_array_add(notes, json_object_new_string(why));
	return NULL;
}

/* Adds the succeeded steps of execution id to completed (name -> real
 * outputs; their secret values in completed[INN_COMPLETED_MASK]); a step
 * whose real outputs cannot be had is left out (it runs again) and why
 * goes to notes. */
static void
completed_add(inn_server *srv, int64_t id, json_object *completed, json_object *notes)
{
	inn_step_row *rows = NULL;
	size_t n = 0, j;
	json_object *mask, *outs;

	if (id <= 0 || inn_store_steps_get(srv->store, id, &rows, &n) != 0)
		return;
	mask = inn_completed_mask(completed);
	for (j = 0; j < n; j++) {
		if (strcmp(rows[j].status, INN_STATE_WORD(SUCCEEDED)) != 0)
			continue;
		if ((outs = step_outputs_open(srv, &rows[j], mask, notes)) != NULL)
			json_object_object_add(completed, rows[j].name, outs);
		else
			json_object_object_del(completed, rows[j].name);
	}
	inn_step_rows_free(rows, n);
}

/* The notes of completed_add as warnings in execution id's log. */
static void
completed_notes_log(inn_server *srv, int64_t id, json_object *notes)
{
	size_t i;
	int64_t seq;

	for (i = 0; i < json_object_array_length(notes); i++) {
		const char *t = json_object_get_string(json_object_array_get_idx(notes, i));

		fprintf(stderr, "innominatus: execution %lld: %s\n", (long long)id, t);
		inn_store_log_append(srv->store, id, "", INN_LOG_WARN, INN_STREAM_HOST, t, &seq);
	}
}

static int submit_one(inn_server *srv, const inn_caller *who, const char *ref,
                      const char *kind, json_object *params, json_object *spec, int dry_run,
                      int64_t retry_of, int64_t *id);

int
inn_runs_submit(inn_server *srv, const inn_caller *who, const char *ref, const char *kind,
                json_object *params, json_object *spec, int dry_run, int64_t retry_of,
                int64_t *id)
{
	int rc;

	pthread_mutex_lock(&srv->submit_lock);
	rc = submit_one(srv, who, ref, kind, params, spec, dry_run, retry_of, id);
	pthread_mutex_unlock(&srv->submit_lock);
	return rc;
}

/* inn_runs_submit with submit_lock held. */
static int
submit_one(inn_server *srv, const inn_caller *who, const char *ref, const char *kind,
           json_object *params, json_object *spec, int dry_run, int64_t retry_of,
           int64_t *id)
{
	json_object *completed = NULL, *notes;
	int rc;

	if (atomic_load(&srv->draining))
		return inn_error_set(INN_ECANCELLED, "the server is shutting down");
	if (strcmp(kind, "deploy") == 0 || strcmp(kind, "delete") == 0)
		return inn_error_set(INN_EINVAL, "a %s of application \"%s\" is not retried: "
		                     "%s it again (%s /api/applications%s); what succeeded is kept",
		                     strcmp(kind, "deploy") == 0 ? "deployment" : "deletion", ref,
		                     strcmp(kind, "deploy") == 0 ? "deploy" : "delete",
		                     strcmp(kind, "deploy") == 0 ? "POST" : "DELETE",
		                     strcmp(kind, "deploy") == 0 ? "" : "/{name}");
	if ((rc = queue_room(srv, json_weight(params) + json_weight(spec))) != 0)
		return rc;
	notes = json_object_new_array();
	if (retry_of > 0) {
		/* steps that succeeded are reused; the run goes on from the failed one */
		completed = json_object_new_object();
		completed_add(srv, retry_of, completed, notes);
	}
	rc = start(srv, who, ref, kind, params, spec, dry_run, retry_of, 0, completed, NULL, id);
	if (rc == 0)
		completed_notes_log(srv, *id, notes);
	json_object_put(completed);
	json_object_put(notes);
	return rc;
}

int
inn_runs_cancel_here(inn_server *srv, int64_t id)
{
	struct active_run *ar, *gone = NULL;
	int found = 0;

	pthread_mutex_lock(&srv->runs_lock);
	for (ar = srv->runs; ar != NULL; ar = ar->next)
		if (ar->id == id) {
			found = 1;
			if (ar->queued) {
				/* never started: off the queue, recorded below, freed */
				queue_unlink(srv, ar);
				runs_unlink(srv, ar);
				gone = ar;
			} else {
				/* running (or just taken off the queue: set_current
				 * cancels the run it installs) */
				ar->cancel_requested = 1;
				inn_runs_cancel_slots(ar);
			}
			break;
		}
	pthread_cond_broadcast(&srv->runs_cond);
	pthread_mutex_unlock(&srv->runs_lock);
	if (gone != NULL && inn_store_exec_fence(srv->store, gone->me, gone->id) == INN_STORE_LOST) {
		/* another replica took it over meanwhile: it is that one's */
		inn_runs_active_free(gone);
		return inn_error_set(INN_ENOTFOUND, "execution %lld is not running here",
		                     (long long)id);
	}
	if (gone != NULL) {
		static const char msg[] = "cancelled before it started";

		inn_store_exec_update(srv->store, gone->id, INN_STATE_WORD(CANCELLED), msg, 0,
		                      inn_wall_ms(), NULL);
		steps_settle(srv, gone->id, INN_STATE_WORD(PENDING), INN_STATE_WORD(CANCELLED),
		             "cancelled: the execution was "
		             "cancelled before it started", 1);
		inn_runs_publish_exec(srv, gone, "execution.finished", INN_STATE_WORD(CANCELLED), msg);
		atomic_fetch_add(&srv->m_exec[INN_STATE_CANCELLED], 1);
		inn_runs_active_free(gone);
	}
	return found ? 0 : inn_error_set(INN_ENOTFOUND, "execution %lld is not running",
	                                 (long long)id);
}

/* The event that asks the replica owning an execution to cancel it
 * (cluster.c hands it to inn_runs_cancel_here there). */
#define CANCEL_EVENT "execution.cancel-requested"

int
inn_runs_cancel(inn_server *srv, int64_t id)
{
	char me[INN_REPLICA_ID_MAX + 1];
	inn_exec_row *row = NULL;
	json_object *data;
	int64_t ev = 0;
	int rc;

	if ((rc = inn_runs_cancel_here(srv, id)) != INN_ENOTFOUND || !inn_store_shared(srv->store))
		return rc;
	/* another replica runs it: asked through the store */
	inn_replica_me(srv, me);
	if (inn_store_exec_get(srv->store, id, &row) != 0 || row->owner == NULL ||
	    strcmp(row->owner, me) == 0 || inn_state_word_is_final(row->status)) {
		inn_exec_row_free(row);
		return inn_error_set(INN_ENOTFOUND, "execution %lld is not running", (long long)id);
	}
	data = json_object_new_object();
	json_object_object_add(data, "execution", json_object_new_int64(id));
	json_object_object_add(data, "replica", json_object_new_string(row->owner));
	json_object_object_add(data, "by", json_object_new_string(me));
	rc = inn_store_event_add(srv->store, CANCEL_EVENT, id, row->team, data, &ev);
	json_object_put(data);
	inn_exec_row_free(row);
	return rc;
}

/* Step rows of execution id with status from become status (with msg
 * and, when final, an end time): e.g. what the previous process left
 * "running" so no step stays running. */
static void
steps_settle(inn_server *srv, int64_t id, const char *from, const char *status,
             const char *msg, int final)
{
	inn_step_row *rows = NULL;
	size_t n = 0, j;

	if (inn_store_steps_get(srv->store, id, &rows, &n) != 0)
		return;
	for (j = 0; j < n; j++) {
		inn_step_row r = rows[j];

		if (strcmp(r.status, from) != 0)
			continue;
		r.status = (char *)status;
		r.message = (char *)msg;
		r.ended_ms = final ? inn_wall_ms() : 0;
		inn_store_step_put(srv->store, id, &r);
	}
	inn_step_rows_free(rows, n);
}

/* Whether any step of the execution started (a row that is not pending). */
static int
steps_started(inn_server *srv, int64_t id)
{
	inn_step_row *rows = NULL;
	size_t n = 0, j;
	int started = 0;

	if (inn_store_steps_get(srv->store, id, &rows, &n) != 0)
		return 1;
	for (j = 0; j < n; j++)
		if (strcmp(rows[j].status, INN_STATE_WORD(PENDING)) != 0)
			started = 1;
	inn_step_rows_free(rows, n);
	return started;
}

static void
recover_event(inn_server *srv, const inn_exec_row *row, const char *type, const char *status,
              const char *msg)
{
	json_object *data = json_object_new_object();
	int64_t ev = 0;

	json_object_object_add(data, "execution", json_object_new_int64(row->id));
	json_object_object_add(data, "status", json_object_new_string(status));
	json_object_object_add(data, "workflow", json_object_new_string(row->workflow));
	json_object_object_add(data, "message", json_object_new_string(msg));
	inn_store_event_add(srv->store, type, row->id, row->team, data, &ev);
	/* an execution adopted from a dead replica while clients follow it:
	 * its log followers end (failed) or go on (resumed) */
	if (srv->on_event != NULL)
		srv->on_event(srv, type, row->id, ev, row->team, row->created_by, data);
	json_object_put(data);
}

/* A left-behind execution that is not resumed: its interrupted steps
 * failed, its never-started ones cancelled, the execution failed with why. */
static int
recover_fail(inn_server *srv, const inn_exec_row *row, const char *why)
{
	steps_settle(srv, row->id, INN_STATE_WORD(RUNNING), INN_STATE_WORD(FAILED),
	             "interrupted: the server stopped while "
	             "this step ran", 1);
	steps_settle(srv, row->id, INN_STATE_WORD(PENDING), INN_STATE_WORD(CANCELLED),
	             "cancelled: never started; the server "
	             "stopped and the execution was not resumed", 1);
	recover_event(srv, row, "execution.interrupted", INN_STATE_WORD(FAILED), why);
	return inn_store_exec_update(srv->store, row->id, INN_STATE_WORD(FAILED), why, 0,
	                             inn_wall_ms(), NULL);
}

/* The resources an interrupted execution row left in a transitional state
 * (requested, provisioning, updating, terminating) become failed, and its
 * application, if it was deploying or deleting, failed: nothing stays stuck. */
static void
recover_resources(inn_server *srv, const inn_exec_row *row)
{
	inn_resource_row *rows = NULL;
	inn_app_row *apps = NULL;
	size_t n = 0, napps = 0, j;

	if (row->app == NULL)
		return;
	if (inn_store_resource_list(srv->store, NULL, NULL, row->app, &rows, &n) == 0)
		for (j = 0; j < n; j++) {
			inn_resource_row r = rows[j];
			char msg[256];

			if (r.exec_id != row->id || (strcmp(r.status, "requested") != 0 &&
			    strcmp(r.status, "provisioning") != 0 && strcmp(r.status, "updating") != 0 &&
			    strcmp(r.status, "terminating") != 0))
				continue;
			snprintf(msg, sizeof(msg), "interrupted: the server stopped during %s "
			         "(execution %lld)", strcmp(r.status, "requested") == 0 ? "the request" :
			         r.status, (long long)row->id);
			r.status = (char *)"failed";
			r.message = msg;
			inn_store_resource_put(srv->store, &r);
		}
	inn_resource_rows_free(rows, n);
	if (inn_store_app_list(srv->store, NULL, NULL, row->app, &apps, &napps) == 0 && napps == 1 &&
	    apps[0].status != NULL && (strcmp(apps[0].status, "deploying") == 0 ||
	                               strcmp(apps[0].status, "deleting") == 0))
		inn_store_app_update(srv->store, row->app, "failed", NULL, -1, -1);
	inn_app_rows_free(apps, napps);
}

/* Starts execution row again under this replica (it owns it), reusing the
 * steps that succeeded (a retry's too): after a crash (stolen 0) its
 * interrupted steps and the execution are recorded pending again first;
 * stolen from a busy replica's queue (1) nothing of it ran.  When its real
 * inputs cannot be read back, or it cannot start, it fails. */
static int
resume(inn_server *srv, const inn_exec_row *row, int stolen)
{
	static const char resumed[] = "the server stopped before this execution ended; "
	                              "resumed at the next start";
	json_object *params = NULL, *spec = NULL, *completed, *notes;
	inn_caller who;
	int64_t id = 0;
	int rc = 0;

	if (inn_runs_inputs_open(srv->secretbox, row, &params, &spec) != 0) {
		/* its real inputs cannot be read back: never run it with "***" */
		char why[1024];

		snprintf(why, sizeof(why), "interrupted, and it could not be resumed: %s",
		         inn_error_last());
		return recover_fail(srv, row, why);
	}
	completed = json_object_new_object();
	notes = json_object_new_array();
	memset(&who, 0, sizeof(who));
	snprintf(who.p.name, sizeof(who.p.name), "%s", row->created_by ? row->created_by : "system");
	snprintf(who.p.team, sizeof(who.p.team), "%s", row->team ? row->team : "");
	completed_add(srv, row->retry_of, completed, notes);
	completed_add(srv, row->id, completed, notes);
	completed_notes_log(srv, row->id, notes);
	if (!stolen) {
		steps_settle(srv, row->id, INN_STATE_WORD(RUNNING), INN_STATE_WORD(PENDING),
		             "the server stopped while this step ran; it runs again", 0);
		inn_store_exec_update(srv->store, row->id, INN_STATE_WORD(PENDING), NULL, 0, 0, NULL);
		recover_event(srv, row, "execution.resumed", INN_STATE_WORD(PENDING), resumed);
	}
	if (start(srv, &who, row->workflow, row->kind, params, spec, row->dry_run, 0, row->id,
	          completed, NULL, &id) != 0) {
		char why[1024];

		snprintf(why, sizeof(why), "interrupted, and it could not be resumed: %s",
		         inn_error_last());
		steps_settle(srv, row->id, INN_STATE_WORD(PENDING), INN_STATE_WORD(CANCELLED),
		             "cancelled: the execution could not be resumed after the server "
		             "stopped", 1);
		rc = inn_store_exec_update(srv->store, row->id, INN_STATE_WORD(FAILED), why, 0,
		                           inn_wall_ms(), NULL);
	}
	json_object_put(completed);
	json_object_put(notes);
	json_object_put(params);
	json_object_put(spec);
	return rc;
}

/* Accounts for one execution a replica left pending or running (this one
 * owns it now).  It is resumed when nothing of it ran yet (no step
 * started) or every step is idempotent: recorded pending again (its
 * interrupted steps too) and queued.  Any other is failed, and so are its
 * interrupted steps; a deployment or deletion is never resumed (failed
 * with the resources it left half-way). */
static int
recover_one(inn_server *srv, int64_t id)
{
	inn_exec_row *row = NULL;
	int known, rc = 0;

	char me[INN_REPLICA_ID_MAX + 1];

	if (inn_store_exec_get(srv->store, id, &row) != 0)
		return -1;
	inn_replica_me(srv, me);
	if (strcmp(row->status, INN_STATE_WORD(PENDING)) != 0 &&
	    strcmp(row->status, INN_STATE_WORD(RUNNING)) != 0) {
		/* it ended meanwhile */
	} else if (row->owner != NULL && strcmp(row->owner, me) != 0) {
		/* no longer this replica's (a lease lost since it was adopted):
		 * its new owner accounts for it */
	} else if (strcmp(row->kind, "deploy") == 0 || strcmp(row->kind, "delete") == 0) {
		/* a deployment is never resumed half-way: its resources say
		 * where it stopped, a new deployment goes on */
		rc = recover_fail(srv, row, strcmp(row->kind, "deploy") == 0 ?
		                  "interrupted: the server stopped during this deployment; "
		                  "deploy again to go on" :
		                  "interrupted: the server stopped during this deletion; "
		                  "delete the application again to go on");
		recover_resources(srv, row);
	} else if ((known = inn_runs_workflow(srv->catalog, row->workflow, row->kind) != NULL) &&
	           (row->resumable || !steps_started(srv, id))) {
		rc = resume(srv, row, 0);
	} else {
		char why[512];

		if (known)
			snprintf(why, sizeof(why), "interrupted: the server stopped while this "
			         "execution ran and its steps are not all idempotent, so it was not "
			         "resumed (run it again from the failed step: innominatus-ctl retry "
			         "%lld, or POST /api/workflows/%lld/retry)", (long long)id,
			         (long long)id);
		else
			snprintf(why, sizeof(why), "interrupted: the server stopped before this "
			         "execution ended, and its workflow is no longer in the catalog");
		rc = recover_fail(srv, row, why);
		recover_resources(srv, row);
	}
	inn_exec_row_free(row);
	return rc;
}

/* Execution id, adopted here, could not be accounted for now: kept for
 * inn_runs_recover_retry.  Out of memory: said, and lost from the list
 * (the execution stays as the store has it). */
static void
unaccounted_add(inn_server *srv, int64_t id)
{
	size_t i;

	for (i = 0; i < srv->nunaccounted; i++)
		if (srv->unaccounted[i] == id)
			return;
	if (srv->nunaccounted == srv->unaccounted_cap) {
		size_t cap = srv->unaccounted_cap ? srv->unaccounted_cap * 2 : 16;
		int64_t *p = realloc(srv->unaccounted, cap * sizeof(*p));

		if (p == NULL) {
			fprintf(stderr, "innominatus: execution %lld: out of memory while keeping "
			        "it to account for later\n", (long long)id);
			return;
		}
		srv->unaccounted = p;
		srv->unaccounted_cap = cap;
	}
	srv->unaccounted[srv->nunaccounted++] = id;
}

/* recover_one, and when the store failed it, said and kept to try again. */
static void
recover_or_keep(inn_server *srv, int64_t id)
{
	if (recover_one(srv, id) == 0)
		return;
	fprintf(stderr, "innominatus: execution %lld: adopted but not accounted for yet (%s); "
	        "trying again\n", (long long)id, inn_error_last());
	unaccounted_add(srv, id);
}

void
inn_runs_recover_retry(inn_server *srv)
{
	size_t i, keep = 0, n = srv->nunaccounted;

	for (i = 0; i < n; i++) {
		int64_t id = srv->unaccounted[i];

		if (recover_one(srv, id) != 0)
			srv->unaccounted[keep++] = id;
	}
	srv->nunaccounted = keep;
	if (keep == 0) {
		free(srv->unaccounted);
		srv->unaccounted = NULL;
		srv->unaccounted_cap = 0;
	}
}

/* How many left-behind executions one adopt call takes. */
#define RECOVER_BATCH 1000

/* Runs before anything is served: every execution left pending or running
 * by a replica that is gone (on SQLite: every previous process) is adopted
 * and accounted for (recover_one). */
int
inn_runs_recover(inn_server *srv)
{
	char me[INN_REPLICA_ID_MAX + 1];
	int64_t *ids = NULL;
	size_t n = 0, i;
	int count = 0, round;

	/* nothing runs yet: run workspaces left in <stateDir>/.runs by the
	 * previous process (kill -9) are removed */
	if (!inn_store_shared(srv->store))
		inn_run_sweep_workspaces(srv->engine);
	inn_replica_me(srv, me);
	/* every id first (a resumed execution becomes pending, owned here:
	 * not adopted twice) */
	for (round = 0; round < 100; round++) {
		if (inn_store_exec_adopt(srv->store, me, RECOVER_BATCH, &ids, &n) != 0) {
			fprintf(stderr, "innominatus: recovery: %s\n", inn_error_last());
			break;
		}
		for (i = 0; i < n; i++)
			recover_or_keep(srv, ids[i]);
		free(ids);
		ids = NULL;
		count += (int)n;
		if (n < RECOVER_BATCH)
			break;
	}
	atomic_fetch_add(&srv->m_adopted, count);
	return count;
}

void
inn_runs_adopt(inn_server *srv, int64_t id, int stolen)
{
	inn_exec_row *row = NULL;
	char me[INN_REPLICA_ID_MAX + 1];

	if (!stolen) {
		recover_or_keep(srv, id);
		return;
	}
	if (inn_store_exec_get(srv->store, id, &row) != 0) {
		/* queued here now, and no runner knows it: accounted for later
		 * (pending, nothing of it ran: crash recovery queues it again) */
		unaccounted_add(srv, id);
		return;
	}
	if (strcmp(row->status, INN_STATE_WORD(PENDING)) == 0) {
		if (inn_runs_workflow(srv->catalog, row->workflow, row->kind) != NULL) {
			resume(srv, row, 1);
		} else {
			/* not in this replica's catalog (yet): back for another one */
			inn_replica_me(srv, me);
			inn_store_exec_release(srv->store, me, &id, 1);
		}
	}
	inn_exec_row_free(row);
}

void
inn_runs_lease_lost(inn_server *srv)
{
	struct active_run *ar;

	pthread_mutex_lock(&srv->runs_lock);
	for (ar = srv->runs; ar != NULL; ar = ar->next) {
		atomic_store(&ar->lost, 1);
		if (!ar->queued) {
			ar->cancel_requested = 1;
			inn_runs_cancel_slots(ar);
		}
	}
	pthread_mutex_unlock(&srv->runs_lock);
}

int
inn_runs_idle(inn_server *srv, int *free_slots)
{
	int idle;

	pthread_mutex_lock(&srv->runs_lock);
	idle = srv->runs_open && !atomic_load(&srv->draining) && srv->nqueued == 0 &&
	       (srv->max_concurrent <= 0 || srv->nrunning < srv->max_concurrent);
	*free_slots = srv->max_concurrent > 0 ? srv->max_concurrent - srv->nrunning : 4;
	pthread_mutex_unlock(&srv->runs_lock);
	return idle;
}

void
inn_runs_begin(inn_server *srv)
{
	pthread_mutex_lock(&srv->runs_lock);
	srv->runs_open = 1;
	dispatch(srv);
	pthread_mutex_unlock(&srv->runs_lock);
}

void
inn_runs_drain(inn_server *srv, int grace_s)
{
	struct timespec until;
	struct active_run *ar, *left;
	int nleft;

	atomic_store(&srv->draining, 1);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += grace_s;
	pthread_mutex_lock(&srv->runs_lock);
	while (srv->nrunning > 0) {
		if (pthread_cond_timedwait(&srv->runs_cond, &srv->runs_lock, &until) == ETIMEDOUT) {
			for (ar = srv->runs; ar != NULL; ar = ar->next)
				if (!ar->queued) {
					ar->cancel_requested = 1;
					inn_runs_cancel_slots(ar);
				}
			/* cancelled steps end within the kill grace; wait for them */
			while (srv->nrunning > 0)
				pthread_cond_wait(&srv->runs_cond, &srv->runs_lock);
		}
	}
	/* never started: they stay pending in the store and the next start
	 * runs them (nothing of them ran, nothing is lost) */
	left = srv->qhead;
	nleft = srv->nqueued;
	for (ar = left; ar != NULL; ar = ar->qnext)
		runs_unlink(srv, ar);
	srv->qhead = srv->qtail = NULL;
	srv->nqueued = 0;
	srv->queued_bytes = 0;
	pthread_mutex_unlock(&srv->runs_lock);
	while ((ar = left) != NULL) {
		left = ar->qnext;
		/* given back: another replica (or the next start) adopts it */
		if (!atomic_load(&ar->lost) &&
		    inn_store_exec_release(srv->store, ar->me, &ar->id, 1) == 0)
			atomic_fetch_add(&srv->m_released, 1);
		inn_runs_active_free(ar);
	}
	if (nleft > 0)
		fprintf(stderr, "innominatus: %d queued execution(s) were not started; they stay "
		        "pending (released: another replica or the next start runs them)\n",
		        nleft);
}
