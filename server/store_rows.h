/*
 * store_rows.h - the store's records: what its operations (store.h) read
 * and write, and what a backend (store_int.h) fills in.  Types only, so a
 * backend depends on the records, not on the public entry points.
 */
#ifndef INN_SERVER_STORE_ROWS_H
#define INN_SERVER_STORE_ROWS_H

#include <stdint.h>

#include <json-c/json.h>

typedef struct inn_store inn_store;

typedef struct inn_exec_row {
	int64_t id;
	char *workflow;        /* "provider/workflow", a golden path name, or a file */
	char *kind;            /* "workflow" | "golden-path" */
	char *app;             /* application (Score metadata.name), or NULL */
	char *team;            /* owning team (the caller's), or NULL */
	char *created_by;      /* API key name */
	char *status;          /* pending running succeeded failed cancelled timed_out interrupted would-run */
	char *message;         /* why it failed, or NULL */
	json_object *params;   /* given parameters (object) */
	json_object *spec;     /* Score spec (object) or NULL */
	json_object *outputs;  /* workflow outputs (masked) or NULL */
	int dry_run;
	int resumable;         /* every step idempotent: may resume after a crash */
	int64_t retry_of;      /* the execution this one retries, or 0 */
	int64_t created_ms, started_ms, ended_ms; /* CLOCK_REALTIME ms, 0 if not yet */
	char *sealed_inputs;   /* the real {params, spec} when the stored ones have secrets
	                        * masked, encrypted with the server's key (runs_inputs.c), or NULL */
	char *owner;           /* the replica that owns it (inn_store_replica_join), or NULL:
	                        * any replica may take it */
} inn_exec_row;

typedef struct inn_exec_filter {
	const char *app;       /* NULL: any */
	const char *status;
	const char *workflow;
	const char *team;      /* NULL: any team (admins) */
	const char *user;      /* with team NULL: only executions without a team that this
	                        * key created (a key without a team); NULL: any */
	int page;              /* 1-based; < 1 is 1 */
	int page_size;         /* 1..200; <= 0 is 20, > 200 is 200 */
} inn_exec_filter;

typedef struct inn_step_row {
	int idx;               /* position in the workflow */
	char *name;
	char *type;
	char *status;
	int attempts;
	char *message;
	int64_t started_ms, ended_ms;
	json_object *outputs;  /* masked, or NULL */
	char *sealed_outputs;  /* when masking changed them: the real outputs sealed
	                        * (runs.c, secretbox.c), or NULL */
	json_object *depends_on; /* array of the names of the steps it waits for, as
	                        * the run orders them; NULL: none written (a put
	                        * keeps the stored one; a step recorded before
	                        * migration 9 reads NULL) */
} inn_step_row;

typedef struct inn_principal {
	char name[128];        /* key / user name */
	char role[16];         /* "admin" | "user" */
	char team[128];        /* "" for none */
} inn_principal;

typedef struct inn_source_row {
	char *name;            /* the provider's name (unique) */
	char *kind;            /* "git" | "path" */
	char *url;             /* git: the repository URL (never with userinfo); else NULL */
	char *path;            /* git: provider folder inside the clone ("" = root); path: the folder */
	char *ref;             /* git: branch, tag or commit asked for, or NULL (remote HEAD) */
	char *commit;          /* git: the commit checked out (hex), or NULL */
	char *added_by;        /* API key name */
	int64_t added_ms;      /* set by the store on put when 0 */
} inn_source_row;

typedef struct inn_app_row {
	char *name;            /* Score metadata.name */
	char *team;            /* owning team, or NULL (created by a key without a team) */
	char *created_by;      /* the key that created it (owns it when team is NULL), or NULL */
	int64_t created_ms, updated_ms;
	json_object *spec;     /* the last spec deployed (secrets masked), or NULL */
	char *status;          /* deploying | active | failed | deleting, or NULL (never set) */
	int64_t expires_ms;    /* when a TTL deletes it; 0: never */
	int deployed_ok;       /* has been deployed successfully at least once */
} inn_app_row;

typedef struct inn_resource_row {
	char *app;
	char *name;            /* the key under the spec's resources: */
	char *type;
	char *provider;        /* the provider whose create workflow ran, or NULL */
	char *status;          /* requested | provisioning | active | failed | updating |
	                        * terminating | terminated */
	json_object *outputs;  /* masked, or NULL */
	int64_t updated_ms;    /* filled in by the store */
	char *message;         /* what happened last (why it failed), or NULL */
	json_object *params;   /* the params its last operation got (masked), or NULL */
	char *sealed_params;   /* the real params / outputs when masking changed them, */
	char *sealed_outputs;  /* sealed with the server's key (secretbox.c), or NULL */
	json_object *secret_keys; /* array of the output names that are secret, or NULL */
	char *fingerprint;     /* inn_deploy_fingerprint of what it was applied with, or NULL */
	json_object *depends_on; /* array of resource names, or NULL */
	int64_t exec_id;       /* the execution that touched it last, or 0 */
} inn_resource_row;

/* Free a record, or n of them (NULL-safe). */
void inn_exec_row_free(inn_exec_row *row);
void inn_exec_rows_free(inn_exec_row **rows, size_t n);
void inn_step_rows_free(inn_step_row *rows, size_t n);
void inn_source_rows_free(inn_source_row *rows, size_t n);
void inn_app_rows_free(inn_app_row *rows, size_t n);
void inn_resource_rows_free(inn_resource_row *rows, size_t n);

/* inn_store_logs_scrub's fn: a malloc'd replacement for line[0..len), or
 * NULL to keep it. */
typedef char *(*inn_store_scrub_fn)(void *ud, const char *line, size_t len);

/* What a replica gets when it does not (or no longer) hold what it acts
 * on: its lease ran out before it was renewed (another replica may have
 * adopted its executions), or another replica claimed the execution.
 * The caller must not run it, nor write its steps or its end. */
#define INN_STORE_LOST (-70)

/* inn_store_subscribe's fn: a row another replica wrote (store.h). */
typedef void (*inn_store_notify_fn)(void *ud, const char *kind, json_object *row);

/* How the store has answered (inn_store_stats_get, store.h). */
/* Upper bounds (microseconds) of the latency histogram buckets; then +Inf. */
#define INN_STORE_LAT_BUCKETS 8
#define INN_STORE_LAT_BOUNDS { 100, 250, 500, 1000, 2500, 5000, 25000, 100000 }
typedef struct inn_store_stats {
	long long calls[2];        /* [0] reads, [1] writes */
	long long errors[2];       /* calls that failed (not: "not found", INN_STORE_LOST) */
	long long us_sum[2];       /* total latency */
	long long bucket[2][INN_STORE_LAT_BUCKETS + 1]; /* calls in each bucket alone (a
	                            * call of exactly a bound counts in it); the last:
	                            * past every bound.  Not cumulative. */
} inn_store_stats;

#endif
