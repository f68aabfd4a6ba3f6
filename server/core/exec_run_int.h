/*
 * exec_run_int.h - what the two halves of a run share: the run and its
 * steps (struct inn_run, struct srun), set up and scheduled by exec_run.c,
 * each step run by exec_step.c, their folders made by exec_workspace.c.
 * Internal to the executor.
 */
#ifndef INN_CORE_EXEC_RUN_INT_H
#define INN_CORE_EXEC_RUN_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "exec_int.h"

struct srun {
	inn_step_result res;     /* res.def->dep_idx: the steps it waits for (load_graph.c) */
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

/* exec_workspace.c: one path component of a state directory from a name,
 * collision-free and reversible (see there); fallback names an empty or
 * missing name.  out must hold PATH_PART_LEN bytes. */
#define PATH_PART_MAX 128
#define PATH_PART_LEN (PATH_PART_MAX + 1)
void inn_exec_path_part(char *out, const char *name, const char *fallback);
/* exec_workspace.c: sets r->state_base (<state root>/<app>/<resource>/<env>;
 * nothing without a state root) once r->params are resolved; 0 or INN_ENOMEM. */
int inn_exec_state_base(inn_run *r, const inn_run_opts *o);
/* exec_workspace.c: creates the run's workspace folder into r->workspace;
 * 0, or an error with its message set. */
int inn_exec_workspace(inn_run *r);

/* exec_run.c (lock held): 1 and the step in *which when a step that step
 * i waits for (directly or through others) failed, timed out or was
 * cancelled; else in a dry-run 2 when one of them has an outcome a dry-run
 * does not know (would-run: simulated, or not for want of a plugin dry-run); else
 * 0.  INN_ENOMEM when out of memory. */
int inn_exec_upstream_failed(inn_run *r, size_t i, size_t *which);
/* exec_run.c (lock held): the first step that failed (timed out, was
 * cancelled) and stops the run (no continue_on_error), or -1. */
long inn_exec_stopping_step(const inn_run *r);
/* The message of a dry-run step whose plugin has no dry-run: it would run
 * (a real run runs it), but nothing of it was simulated. */
extern const char inn_exec_no_dry_run[];

/* exec_step.c: the runner thread of step s (a struct srun *): runs it and
 * settles it (state, message, outputs), waking the scheduler. */
void *inn_exec_step_thread(void *arg);
/* Reports s's current state through the run's step_state callback. */
void inn_exec_emit_state(inn_run *r, struct srun *s, const char *msg);
/* A JSON copy with every registered secret masked, string by string (so a
 * secret holding quotes or backslashes is found as written, not as JSON
 * escapes).  Object keys are masked too.  NULL for NULL. */
json_object *inn_exec_masked_copy(inn_masker *m, json_object *o);

#endif
