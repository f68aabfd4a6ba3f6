/*
 * exec.h - the executor: runs a loaded workflow's steps as a DAG on worker
 * threads, each step inside a pool of long-lived worker processes that load
 * the plugins once (crash isolation without a fork per step).
 *
 *   inn_engine   plugin registry + worker-process pool, shared by runs
 *   inn_run      one execution of one workflow: parameters, variables,
 *                step states, outputs, logs through callbacks
 *
 * A process embedding the engine must call inn_worker_maybe_main(argc, argv)
 * first thing in main(): workers are this same executable re-executed with
 * "--inn-worker".
 */
#ifndef INN_CORE_EXEC_H
#define INN_CORE_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "mask.h"
#include "model.h"
#include "policy.h"
#include "registry.h"
#include "state.h"

typedef struct inn_engine inn_engine;

typedef struct inn_engine_opts {
	const char *plugin_dir;     /* required */
	const char *config_file;    /* admin config for the workers (NULL: none) */
	const inn_policy *policy;   /* the same policy, parsed (may be NULL) */
	const inn_registry *registry; /* loaded in this process (for flags/validate) */
	int workers;                /* worker processes; 0: 4 */
	const char *worker_exe;     /* NULL: /proc/self/exe */
	int64_t kill_grace_ms;      /* after a deadline, how long a plugin may take to return; 0: 8000 */
	const char *state_root;     /* where host->state_dir() directories live; NULL: no state */
	/* The admin config's secrets (inn_policy_secrets_read): name -> value,
	 * every run's secrets (a run's own inn_run_opts.secrets win), and name
	 * -> why it could not be read, for the step error that names it.
	 * Borrowed: they outlive the engine.  Either may be NULL. */
	json_object *secrets;
	json_object *secrets_unavailable;
} inn_engine_opts;

int inn_engine_new(inn_engine **out, const inn_engine_opts *opts);
void inn_engine_free(inn_engine *eng);
/* Worker processes started since the engine was created (restarts count). */
unsigned inn_engine_workers_started(const inn_engine *eng);

/* Call first in main(): returns -1 when argv is not a worker invocation;
 * otherwise runs the worker and returns its exit status. */
int inn_worker_maybe_main(int argc, char **argv);

/* Callbacks of a run.  They may be called from several threads at once. */
typedef struct inn_run_events {
	/* index: the step's place in the workflow (inn_workflow.steps[index]) */
	void (*step_state)(void *ud, size_t index, const char *step, inn_state state,
	                   int attempt, const char *message);
	void (*log)(void *ud, const char *step, int level, int stream,
	            const char *line, size_t len);
	void *ud;
} inn_run_events;

/* The entry of inn_run_opts.completed listing secret values (no step is
 * named so: step names are [A-Za-z0-9][A-Za-z0-9_-]*). */
#define INN_COMPLETED_MASK "*mask"
/* That list in completed (an object), added empty when it is not there:
 * what those who fill completed append secret values to (borrowed). */
json_object *inn_completed_mask(json_object *completed);

typedef struct inn_run_opts {
	json_object *params;       /* given parameters (borrowed; values may be strings from a CLI) */
	json_object *data;         /* extra template data merged at top level: app, resources, workflow (borrowed) */
	json_object *secrets;      /* name -> string (borrowed); over the engine's */
	int dry_run;
	int max_parallel;          /* 0: 4 */
	int64_t timeout_ms;        /* workflow timeout; 0: the workflow's, then the policy's */
	/* Whose state the steps touch: state_dir() is
	 * <state_root>/<app>/<resource>/<environment>/<plugin type>.
	 * NULL parts read "_" (app, resource) and "default" (environment). */
	const char *app;
	const char *resource;
	const char *environment;
	/* Without an app: the first part instead of "_" -- whose state it is
	 * (the server sets the caller's team or key), so direct runs of two
	 * teams never share state.  Ignored when app is set. */
	const char *state_owner;
	/* Steps already done in an earlier execution (retry from the failed
	 * step, resume after a crash): step name -> its outputs object.  They
	 * are reported succeeded without running, their outputs available.
	 * The outputs are the real values; the entry named INN_COMPLETED_MASK,
	 * when present, is an array of the secret values among them: they are
	 * registered with the run's masker (shown and logged masked). */
	json_object *completed;
	inn_run_events events;
} inn_run_opts;

typedef struct inn_step_result {
	const inn_step_def *def;
	inn_state state;
	int attempts;
	int64_t started_ms, ended_ms; /* CLOCK_REALTIME ms, 0 if never */
	char *message;             /* why it failed / was skipped; dry-run note */
	json_object *outputs;      /* secret values masked */
	json_object *outputs_real; /* the same as the step made them (for sealing), or NULL */
	json_object *config;       /* rendered config (dry-run and after running), secrets masked */
} inn_step_result;

typedef struct inn_run inn_run;

/* Resolves parameters (types, required, defaults, allowed values, pattern)
 * and prepares a run.  Errors name the parameter. */
int inn_run_new(inn_run **out, inn_engine *eng, const inn_workflow *wf,
                const inn_run_opts *opts);
/* The parameters are resolved by inn_params_resolve (model.h: its limits
 * INN_PARAM_VALUE_MAX, INN_PARAMS_TOTAL_MAX). */
/* Run workspaces live in <state_root>/INN_RUNS_DIR (else in $TMPDIR). */
#define INN_RUNS_DIR ".runs"
/* Removes the workspaces left there by runs of an earlier process (call
 * before any run starts).  Returns how many were removed. */
int inn_run_sweep_workspaces(const inn_engine *eng);
/* An application is gone: removes the empty directories its resources'
 * state left (<state_root>/<app>/<resource>/<environment>/<plugin>),
 * deepest first; anything a delete workflow left behind stays, with the
 * directories holding it.  Returns how many were removed. */
int inn_engine_state_prune(const inn_engine *eng, const char *app);
/* Runs to the end on the calling thread (steps go to worker threads).
 * Returns 0 when the run succeeded, INN_ERROR when it failed, was
 * cancelled or timed out (see inn_run_state). */
int inn_run_execute(inn_run *run);
/* Thread- and async-signal-safe: asks the run to stop (NULL: nothing). */
void inn_run_cancel(inn_run *run);
void inn_run_free(inn_run *run);

inn_state inn_run_state(const inn_run *run);
const char *inn_run_message(const inn_run *run);
size_t inn_run_nsteps(const inn_run *run);
const inn_step_result *inn_run_step(const inn_run *run, size_t i);
/* The workflow's outputs (rendered at the end, secrets masked), or NULL. */
json_object *inn_run_outputs(const inn_run *run);
/* The same before masking (what a later run consumes), or NULL. */
json_object *inn_run_outputs_real(const inn_run *run);
/* The resolved parameters. */
json_object *inn_run_params(const inn_run *run);
/* A copy of the resolved parameters with secrets masked (caller puts it):
 * what may be shown or stored. */
json_object *inn_run_params_masked(const inn_run *run);
inn_masker *inn_run_masker(const inn_run *run);

#endif
