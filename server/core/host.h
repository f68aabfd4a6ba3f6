/*
 * host.h - the host side of the plugin ABI: the inn_host function table and
 * the step contexts (struct inn_step) it operates on.
 *
 * The engine creates one inn_step per step run with inn_step_new(), hands it
 * to a plugin's execute() together with inn_host_table(), then reads the
 * outputs back.  Log lines go through the execution's masker and a per-step
 * byte cap into the log sink the engine supplies.
 *
 * Embedders of spawn: never set SIGCHLD to SIG_IGN and never waitpid(-1) in
 * any thread -- spawn reaps its own children by pid and would lose exit
 * statuses (and its protection against pid reuse).
 */
#ifndef INN_CORE_HOST_H
#define INN_CORE_HOST_H

#include <stddef.h>
#include <stdint.h>

#include <innominatus/plugin.h>
#include <json-c/json.h>

#include "clock.h"  /* inn_now_ms, inn_wall_ms: for the callers that read them here */
#include "mask.h"

/* Which stream a log line came from. */
enum inn_log_stream {
	INN_STREAM_HOST = 0,   /* host->log from the plugin, or the host itself */
	INN_STREAM_STDOUT = 1, /* a spawned program's stdout */
	INN_STREAM_STDERR = 2  /* a spawned program's stderr */
};

/* Receives each log line (already masked, without the newline). */
typedef void (*inn_log_sink_fn)(void *ud, const inn_step *step, int level,
                                int stream, const char *line, size_t len);
/* Looks a secret up by name: returns 0 and a value valid for the step's
 * lifetime, or INN_ENOTFOUND. */
typedef int (*inn_secret_fn)(void *ud, const char *name, const char **value);

#define INN_STEP_LOG_MAX_DEFAULT (8u * 1024 * 1024)
#define INN_STEP_OUTPUT_MAX_DEFAULT (256u * 1024)
#define INN_STEP_OUTPUTS_TOTAL_MAX (1024u * 1024)
#define INN_STEP_OUTPUTS_MAX_COUNT 1000
#define INN_LOG_LINE_MAX (16u * 1024)

typedef struct inn_step_opts {
	const char *type;             /* step type (required) */
	const char *name;             /* step name (required) */
	json_object *config;          /* borrowed; NULL = empty object */
	const char *workspace;        /* NULL: a fresh directory is made under $TMPDIR and removed by inn_step_free */
	int dry_run;
	int64_t deadline_ms;          /* CLOCK_MONOTONIC ms, 0 none */
	inn_masker *masker;           /* borrowed; NULL: the step makes its own */
	inn_log_sink_fn log;          /* NULL: lines go to stderr */
	void *log_ud;
	size_t log_max_bytes;         /* 0: INN_STEP_LOG_MAX_DEFAULT */
	size_t output_max_bytes;      /* per value; 0: INN_STEP_OUTPUT_MAX_DEFAULT */
	inn_secret_fn secret;         /* NULL: no secrets */
	void *secret_ud;
	const char *const *env_allow; /* default spawn allow-list; NULL: inn_default_env_allow */
	const char *state_dir;        /* host->state_dir(); NULL: the host keeps no state */
	const char *base_dir;         /* host->base_dir(); NULL: the current directory */
} inn_step_opts;

extern const char *const inn_default_env_allow[];

const inn_host *inn_host_table(void);

int inn_step_new(inn_step **out, const inn_step_opts *opts);
void inn_step_free(inn_step *step);

/* Thread-safe: marks the step cancelled and wakes cancel_fd pollers. */
void inn_step_cancel(inn_step *step);

/* Outputs as an object key -> string (borrowed, owned by the step). */
json_object *inn_step_outputs(const inn_step *step);
/* Non-zero if output key was set with INN_OUTPUT_SECRET. */
int inn_step_output_is_secret(const inn_step *step, const char *key);
/* Bytes of log dropped by the cap so far. */
size_t inn_step_log_dropped(const inn_step *step);
inn_masker *inn_step_masker(const inn_step *step);

/* Writes one line (masked, capped) to the step log.  Used by host->log and
 * by spawn for program output. */
void inn_step_log_line(inn_step *step, int level, int stream,
                       const char *line, size_t len);

/* Called (when set) with the process group of every program spawn starts
 * (started = 1) and once it is reaped (started = 0).  Worker processes
 * report them, so an engine that must kill a worker can kill what the
 * worker started too.  Set once, before any spawn. */
extern void (*inn_spawn_child_hook)(int pgid, int started);

/* Implementation of host->spawn (host_spawn.c). */
int inn_host_spawn(inn_step *step, const inn_spawn_opts *opts, inn_spawn_result *res);

/* Removes a directory tree (no symlinks followed); errors are ignored. */
void inn_rmrf(const char *path);

/* Internals shared by host.c and host_spawn.c. */
int inn_step_cancel_fd_get(const inn_step *step);
int inn_step_is_cancelled(const inn_step *step);
int64_t inn_step_deadline(const inn_step *step);
const char *inn_step_workspace(const inn_step *step);
const char *const *inn_step_env_allow(const inn_step *step);

#endif
