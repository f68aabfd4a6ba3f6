/*
 * exec_int.h - what exec_run.c (the scheduler) needs from exec_pool.c (the
 * worker-process pool; its wire protocol is exec_pool_int.h's).  Internal
 * to the executor.
 */
#ifndef INN_CORE_EXEC_INT_H
#define INN_CORE_EXEC_INT_H

#include <stdatomic.h>

#include "exec.h"

/* One step for a worker process. */
typedef struct inn_pool_req {
	const char *type;          /* plugin step type */
	const char *name;          /* step name */
	json_object *config;       /* rendered config */
	const char *workspace;     /* NULL: the worker makes a temporary one */
	const char *state_dir;     /* host->state_dir(), or NULL */
	const char *base_dir;      /* host->base_dir(), or NULL */
	int dry_run;
	int64_t deadline_ms;       /* CLOCK_MONOTONIC ms, 0 none */
	json_object *secrets;      /* name -> value, may be NULL */
	inn_masker *masker;        /* the run's: its values are masked in the worker too; may be NULL */
	size_t log_max;            /* 0: default */
	atomic_int *cancel;        /* set to non-zero to cancel */
	void (*log)(void *ud, int level, int stream, const char *line, size_t len);
	void *log_ud;
} inn_pool_req;

typedef struct inn_pool_res {
	int rc;                    /* plugin return code, or an engine error */
	char *error;               /* why (malloc'd), or NULL */
	json_object *outputs;      /* key -> string (own reference), never NULL after exec */
	json_object *secret_keys;  /* key -> true */
	int crashed;               /* the worker died or was killed */
} inn_pool_res;

/* Runs one step in a worker process; blocks until it ends.  Crashes, hangs
 * past the deadline (plus the kill grace) and protocol errors become a
 * failed result; the pool replaces the worker.  Returns 0 when the step
 * was carried out (see res->rc), an error only if no worker could run it. */
int inn_pool_exec(inn_engine *eng, const inn_pool_req *req, inn_pool_res *res);
void inn_pool_res_clear(inn_pool_res *res);

const inn_registry *inn_engine_registry(const inn_engine *eng);
const inn_policy *inn_engine_policy(const inn_engine *eng);
const char *inn_engine_state_root(const inn_engine *eng);
/* inn_engine_opts.secrets and .secrets_unavailable (borrowed, may be NULL). */
json_object *inn_engine_secrets(const inn_engine *eng);
json_object *inn_engine_secrets_unavailable(const inn_engine *eng);

#endif
