/*
 * runs_int.h - what the execution manager's files share (runs.c: the
 * queue, the runner threads, the step and log callbacks; runs_deploy.c:
 * the lifecycle of a deployment -- its phases and resource parts, run
 * concurrently along their dependencies -- and the deploy/delete
 * executions of applications).  Only runs*.c include it.
 */
#ifndef INN_SERVER_RUNS_INT_H
#define INN_SERVER_RUNS_INT_H

#include "deploy.h"
#include "phases.h"
#include "server.h"

struct active_run;

/* One run of an execution in progress (a resource part, a phase workflow,
 * the main workflow): its steps are recorded under prefix with indexes
 * from idx_base.  Running slots are on active_run.slots (runs_lock), so a
 * cancel reaches every one of them. */
struct run_slot {
	struct active_run *ar;
	const inn_workflow *wf;
	inn_run *run;
	int idx_base;
	char prefix[300];         /* step name prefix ("db/", "post-deployment:wf/") or "" */
	struct run_slot *next;
};

struct active_run {
	inn_server *srv;
	inn_catalog_ref *cat;     /* the catalog main_wf and the plan's parts live in */
	int64_t id;
	char *ref;                /* what the execution row names (workflow column) */
	char *kind;               /* "workflow" | "golden-path" | "deploy" | "delete" (static) */
	char *team;
	char *created_by;         /* the key that started it (executions.created_by) */
	char *state_owner;        /* ro.state_owner: whose state a run without an app uses */
	int any_app;              /* may act on any application (an admin's run, a resume) */
	const inn_workflow *main_wf; /* NULL for a deploy or delete execution, and
	                                for a focused run */
	int focused;              /* a run of the create (or update) workflow of a type
	                             its spec asks for: the plan's parts (those
	                             resources and their deps) are the run, no
	                             main workflow (inn_deploy_focus) */
	inn_run_opts ro;          /* the main run's options (params, data, ...) */
	json_object *params;
	json_object *data;        /* template data: app, resources (the plan's) */
	json_object *completed;
	inn_deploy *plan;         /* the Score spec's resource parts (deploy.h) */
	size_t nres;              /* how many */
	inn_score *score;         /* the parsed spec, or NULL */
	/* the lifecycle: what the store held before, the phase workflows */
	inn_deploy_prev *prev;
	inn_resource_row *prev_rows;
	size_t nprev;
	inn_phase_entry *phases;
	size_t nphases;
	int first_deployment;
	int deploy_kind;          /* 1: a deploy execution, 2: a delete, 0: a run */
	int dry_run;              /* the run is a dry run (set before it is planned) */
	int64_t expires_ms;       /* a deploy's TTL deadline (0: none, -1: unchanged) */
	int main_base;            /* step index base of the main workflow */
	int *part_base;           /* ... of each resource part (nres) */
	int *phase_base;          /* ... of each phase entry (nphases) */
	json_object *outputs;     /* a deploy/delete's (and a focused run's): {resources:
	                             {r: outputs}, phases: [..]} */
	/* what runs now (guarded by srv->runs_lock for cancel) */
	struct run_slot main_slot;
	struct run_slot *slots;
	json_object *spec;
	int cancel_requested;
	char me[INN_REPLICA_ID_MAX + 1]; /* the replica id it runs under (owner in the store) */
	atomic_int lost;          /* that replica no longer holds it: nothing more is written */
	int queued;               /* on srv->qhead..qtail, waiting for a slot */
	size_t qbytes;            /* its weight in srv->queued_bytes */
	struct active_run *qnext;
	struct active_run *next;
};

/* ---- runs.c ---- */
/* Runs wf with ro (its events go to slot) as a cancellable part of ar:
 * steps named prefix+step at idx_base+i.  slot->run stays for the
 * caller to read (and free).  Returns its final state; why gets its
 * message (or why it could not start, then slot->run is NULL). */
inn_state inn_runs_slot_run(struct active_run *ar, struct run_slot *slot, const inn_workflow *wf,
                            const inn_run_opts *ro, int idx_base, const char *prefix,
                            char *why, size_t whylen);
/* Cancels every running slot of ar (runs_lock held). */
void inn_runs_cancel_slots(struct active_run *ar);
void inn_runs_publish(struct active_run *ar, const char *kind, int64_t id, json_object *data);
void inn_runs_publish_exec(inn_server *srv, struct active_run *ar, const char *type,
                           const char *status, const char *msg);
void inn_runs_active_free(struct active_run *ar);
/* 0 when ar's replica still holds it (store fence); else ar is marked
 * lost, every slot of it cancelled, and INN_STORE_LOST returned. */
int inn_runs_fence(struct active_run *ar);
/* Queues ar (its row exists: ar->id) for a runner.  0, or an error (ar
 * is then freed and its row failed). */
int inn_runs_enqueue(struct active_run *ar);

/* ---- runs_deploy.c ---- */
/* The resources the store holds for app as plan input (real values
 * unsealed); *rows keeps what prev points into.  0 or an error. */
int inn_deploy_prevs_load(inn_server *srv, const char *app, inn_deploy_prev **prev,
                          inn_resource_row **rows, size_t *n);
void inn_deploy_prevs_free(inn_deploy_prev *prev, inn_resource_row *rows, size_t n);
/* ar's plan made against the store (lifecycle, flags), its phase entries
 * (with a spec) and step index bases; problems to d.  0, or INN_EINVAL. */
int inn_runs_deploy_plan(struct active_run *ar, int flags, inn_diag *d);
/* {operations, phases, warnings (d's)} of ar's plan: what a deploy or
 * delete answers. */
json_object *inn_runs_deploy_summary(struct active_run *ar, inn_diag *d);
/* A deploy or delete was accepted (row ar->id exists): the application
 * is recorded (deploying / deleting, spec, expiry) and each resource the
 * plan touches is "requested". */
void inn_runs_deploy_requested(struct active_run *ar, const inn_caller *who);
/* A deploy, deletion or run with a spec of ar's app was accepted: the
 * reaper's own deletion is marked as its TTL deletion; anyone else's takes
 * over from a failed TTL deletion (no more retries; a deploy without a TTL
 * leaves the app without one). */
void inn_runs_reap_requested(struct active_run *ar);
/* Whether app's TTL deletion may be submitted at now (no failed one
 * waiting for its retry time). */
int inn_runs_reap_due(inn_server *srv, const char *app, int64_t now);
/* A TTL deletion of app failed (execution exec_id, or submit_failed: it
 * could not even be submitted): logged, audited, retried later with a
 * doubling backoff.  Anyone else's deletion is not retried. */
void inn_runs_reap_failed(inn_server *srv, const char *app, int64_t exec_id, const char *why,
                          int submit_failed);
/* The pending step rows of every run of ar, in run order, each with the
 * steps it waits for (depends_on). */
void inn_runs_step_rows(struct active_run *ar);
/* Before the main workflow: the pre-deployment phase, then the resource
 * parts concurrently along their dependencies.  After it (when it
 * succeeded): the deployment and post-deployment phases. */
inn_state inn_runs_deploy_before(struct active_run *ar, char *why, size_t whylen);
inn_state inn_runs_deploy_after(struct active_run *ar, inn_state st, char *why, size_t whylen);
/* The application's status once the execution ended st (deleting it when
 * a delete terminated everything). */
void inn_runs_deploy_end(struct active_run *ar, inn_state st);

#endif
