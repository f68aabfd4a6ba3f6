/*
 * store_pg_int.h - what only the PostgreSQL backend's files see: the store
 * (struct pg_store: a small pool of libpq connections, the lock
 * connection, the subscription thread), the ids of its fixed statements,
 * and the one statement helper every operation goes through.
 *
 * From the top: store_pg.c the store (open, migrate, close) and the
 * operations table; store_pg_conn.c the pool and the statement helper;
 * store_pg_schema.c the SQL text (migrations 1..8, fixed statements);
 * store_pg_exec.c executions, steps, logs, events; store_pg_admin.c keys,
 * users, audit, provider sources, applications, resources;
 * store_pg_cluster.c replicas, ownership, locks, subscribe;
 * store_pg_dump.c export / import.
 */
#ifndef INN_SERVER_STORE_PG_INT_H
#define INN_SERVER_STORE_PG_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "clock.h"
#include "store_int.h"
#include "store_rows.h"

/* ---- SQL text (store_pg_schema.c) ------------------------------------------ */

/* Migration N+1 is inn_pg_migrations[N]; there are inn_pg_schema_version
 * (the same numbers as SQLite's). */
extern const char *const inn_pg_migrations[];
extern const int inn_pg_schema_version;

/* The database server's clock in ms: leases compare on it alone. */
#define PG_NOW_MS "((extract(epoch from clock_timestamp()) * 1000)::bigint)"

/* Advisory lock keys (above 2^32, so never a hashtext() of a lock name):
 * migrations, and the serialisation of log and event inserts. */
#define PG_KEY_MIGRATE "4849086267393"
#define PG_KEY_LOGS "4849086267394"
#define PG_KEY_EVENTS "4849086267395"

#define PG_EXEC_COLS "id, workflow, kind, app, team, created_by, status, message, params, " \
	"spec, outputs, dry_run, resumable, retry_of, created_ms, started_ms, ended_ms, " \
	"sealed_inputs, owner"

/* The fixed statements, prepared once per connection on first use. */
enum pq_id {
	PQ_PING, PQ_VERSION,
	PQ_EXEC_INSERT, PQ_EXEC_UPDATE, PQ_EXEC_GET, PQ_EXEC_IDS, PQ_EXEC_RETRIED_BY,
	PQ_STEP_PUT, PQ_STEPS_GET, PQ_LOG_APPEND, PQ_LOGS_GET, PQ_LOGS_SCRUB_GET,
	PQ_LOGS_SCRUB_SET, PQ_EVENT_ADD, PQ_EVENTS_AFTER,
	PQ_TEAM_ADD, PQ_USER_GET, PQ_USER_ADD, PQ_KEY_STATE, PQ_KEY_INSERT, PQ_KEY_RENEW,
	PQ_KEY_LOOKUP, PQ_KEY_REVOKE, PQ_AUDIT_ADD, PQ_AUDIT_LIST,
	PQ_SOURCE_PUT, PQ_SOURCE_LIST, PQ_SOURCE_DELETE,
	PQ_APP_PUT, PQ_APP_LIST, PQ_RES_PUT, PQ_RES_LIST,
	PQ_APP_UPDATE, PQ_APP_DELETE, PQ_RES_DELETE,
	PQ_TAG, PQ_REPLICA_JOIN, PQ_REPLICA_BEAT, PQ_REPLICA_LEAVE, PQ_REPLICA_LIST,
	PQ_CLAIM, PQ_FENCE, PQ_ADOPT, PQ_STEAL, PQ_RELEASE, PQ_RELEASE_ALL, PQ_BUMP,
	PQ_LOG_ROW, PQ_EVENT_ROW,
	PQ_COUNT,
	PQ_NONE = -1                 /* a statement built per call, not prepared */
};
extern const char *const inn_pg_sql[PQ_COUNT];

/* ---- the store ---------------------------------------------------------------- */

#define PG_POOL 4

/* One connection of the pool. */
struct pg_conn {
	PGconn *c;                   /* NULL until first used */
	int busy;                    /* checked out */
	int tagged;                  /* carries the replica id (inn.replica) */
	unsigned char prepared[PQ_COUNT];
};

struct pg_store {
	inn_store base;              /* first: what store.c sees */
	char *url;                   /* the whole URL, for libpq */
	char *shown;                 /* the URL with its password as ***, for messages */
	char *password;              /* given beside the URL (inn_store_open_with), or NULL */
	pthread_mutex_t mu;          /* guards the pool and me */
	pthread_cond_t cv;           /* a connection came back */
	struct pg_conn pool[PG_POOL];
	char me[128];                /* the replica id ("" before replica_join) */
	/* store-wide locks: session advisory locks on a connection of their own */
	pthread_mutex_t lock_mu;
	struct pg_conn lock_pc;      /* under lock_mu */
	char **held;                 /* the names this process holds */
	size_t nheld;
	/* subscription (store_pg_cluster.c) */
	pthread_t sub_thread;
	int sub_running;
	struct pg_conn sub_pc;       /* the thread's LISTEN connection */
	int sub_pipe[2];             /* written at close: the thread stops */
	inn_store_notify_fn sub_fn;
	void *sub_ud;
};

#define PG(st) ((struct pg_store *)(void *)(st))

/* What a statement did. */
struct pg_done {
	int64_t id;                  /* column 0 of row 0 when it returned rows, else 0 */
	int changes;                 /* rows it changed or returned */
	int fk;                      /* it failed on a foreign key (error set) */
};

/* ---- the pool and the statement helper (store_pg_conn.c) ------------------- */

/* inn_store_url_redact(url) malloc'd (NULL: out of memory). */
char *inn_pg_redact(const char *url);
/* A new connection to the store (its own, not from the pool): 0, or the
 * error "store URL: connecting: why". */
int inn_pg_connect(struct pg_store *s, PGconn **out);
/* (Re)connects pc: a new connection, nothing prepared, nothing tagged. */
int inn_pg_reconnect(struct pg_store *s, struct pg_conn *pc);
/* Checks a connection out of the pool (waiting for one), connected (a
 * broken one is reconnected) and tagged with the replica id. */
int inn_pg_get(struct pg_store *s, struct pg_conn **out);
void inn_pg_put(struct pg_store *s, struct pg_conn *pc);
/* Sets the error "store URL: what: why" from r (or the connection). */
int inn_pg_fail(struct pg_store *s, PGconn *c, const PGresult *r, const char *what);

/*
 * Parameters $1, $2, ... come from the arguments after binds, one letter
 * each (as in the SQLite backend): 't' const char * (NULL binds NULL), 'i'
 * int, 'I' int64_t, 'd' int64_t id (0 binds NULL), 'h' an API key hash
 * (INN_STORE_KEY_HASH_LEN bytes, binary), 'j' a json_object * as compact
 * JSON text (NULL binds NULL), 'o' the same but NULL binds "{}".
 * id is a fixed statement (prepared on that connection once), or PQ_NONE
 * with the text in sql.  *res (may be NULL) gets the rows (PQclear it);
 * done (may be NULL) learns what the statement did.
 */
int inn_pg_q(struct pg_store *s, struct pg_conn *pc, PGresult **res, struct pg_done *done,
             const char *what, int id, const char *sql, const char *binds, ...);
/* The same on a connection checked out for this one statement; a
 * connection that broke is reconnected and the statement tried once more. */
int inn_pg_run(struct pg_store *s, PGresult **res, struct pg_done *done, const char *what,
               int id, const char *sql, const char *binds, ...);
/* begin / commit / rollback (store.h): the calling thread's statements in one
 * transaction on one connection (inn_pg_get hands it out until commit). */
int inn_pg_begin(inn_store *st);
int inn_pg_commit(inn_store *st);
int inn_pg_group_rollback(inn_store *st);
/* A statement without parameters or rows on pc (BEGIN, COMMIT, ...). */
int inn_pg_cmd(struct pg_store *s, struct pg_conn *pc, const char *sql, const char *what);
/* ROLLBACK, keeping the message of what failed. */
void inn_pg_rollback(struct pg_conn *pc);

/* ---- reading results --------------------------------------------------------- */

/* A text cell as a malloc'd string (NULL for SQL NULL); *err on ENOMEM. */
char *inn_pg_text(const PGresult *r, int row, int col, int *err);
/* An integer cell (0 for SQL NULL). */
int64_t inn_pg_int(const PGresult *r, int row, int col);
/* A JSON text cell parsed (NULL for SQL NULL); *err when it does not parse. */
json_object *inn_pg_json(const PGresult *r, int row, int col, const char *what, int64_t id,
                         int *err);

enum pg_jkind { PG_J_INT, PG_J_INT_OR_NULL, PG_J_TEXT, PG_J_JSON, PG_J_BOOL };
struct pg_jfield {
	const char *key;             /* NULL ends a list */
	enum pg_jkind kind;
};
/* Row row of r as an object, column i becoming fields[i]. */
int inn_pg_json_obj(const PGresult *r, int row, const struct pg_jfield *fields,
                    json_object **out);
/* Every row of r as an array of such objects. */
int inn_pg_json_rows(const PGresult *r, const struct pg_jfield *fields, json_object **out);
/* Column 0 of every row as a malloc'd array of ids, sorted. */
int inn_pg_ids(const PGresult *r, int64_t **ids, size_t *n);

/* ---- the operations (store_int.h gives their contracts) --------------------- */

/* store_pg_exec.c */
int inn_pg_exec_create(inn_store *st, inn_exec_row *row);
int inn_pg_exec_update(inn_store *st, int64_t id, const char *status, const char *message,
                       int64_t started_ms, int64_t ended_ms, json_object *outputs);
int inn_pg_exec_get(inn_store *st, int64_t id, inn_exec_row **out);
int inn_pg_exec_list(inn_store *st, const inn_exec_filter *f, inn_exec_row ***rows,
                     size_t *n, int64_t *total);
int inn_pg_exec_ids_with_status(inn_store *st, const char *status, int64_t **ids, size_t *n);
int inn_pg_exec_retried_by(inn_store *st, int64_t id, int64_t *out);
int inn_pg_step_put(inn_store *st, int64_t exec_id, const inn_step_row *row);
int inn_pg_steps_get(inn_store *st, int64_t exec_id, inn_step_row **rows, size_t *n);
int inn_pg_log_append(inn_store *st, int64_t exec_id, const char *step, int level,
                      int stream, const char *line, int64_t ts_ms, int64_t *seq);
int inn_pg_logs_get(inn_store *st, int64_t exec_id, int64_t after, int limit,
                    json_object **lines);
int inn_pg_logs_scrub(inn_store *st, int64_t exec_id, const char *step,
                      inn_store_scrub_fn fn, void *ud, int *changed);
int inn_pg_event_add(inn_store *st, const char *type, int64_t exec_id, const char *team,
                     json_object *data, int64_t *id);
int inn_pg_events_after(inn_store *st, int64_t after, const char *team, const char *user,
                        int limit, json_object **events);

/* store_pg_admin.c */
int inn_pg_key_create(inn_store *st, const char *name, const char *role, const char *team,
                      char **plain);
int inn_pg_key_lookup(inn_store *st, const char *plain, inn_principal *out);
int inn_pg_key_revoke(inn_store *st, const char *name);
int inn_pg_key_list(inn_store *st, json_object **keys);
int inn_pg_audit(inn_store *st, const char *who, const char *action, const char *target,
                 json_object *detail);
int inn_pg_audit_list(inn_store *st, int limit, int64_t before, json_object **entries);
int inn_pg_source_put(inn_store *st, const inn_source_row *row);
int inn_pg_source_list(inn_store *st, inn_source_row **rows, size_t *n);
int inn_pg_source_delete(inn_store *st, const char *name);
int inn_pg_app_put(inn_store *st, const char *name, const char *team, const char *created_by,
                   int any_owner);
int inn_pg_app_list(inn_store *st, const char *team, const char *user, const char *name,
                    inn_app_row **rows, size_t *n);
int inn_pg_resource_put(inn_store *st, const inn_resource_row *row);
int inn_pg_app_update(inn_store *st, const char *name, const char *status, json_object *spec,
                      int64_t expires_ms, int deployed_ok);
int inn_pg_app_delete(inn_store *st, const char *name);
int inn_pg_resource_delete(inn_store *st, const char *app, const char *name);
int inn_pg_resource_list(inn_store *st, const char *team, const char *user, const char *app,
                         inn_resource_row **rows, size_t *n);

/* store_pg_cluster.c */
int inn_pg_replica_join(inn_store *st, const char *me, const char *host, int lease_ms);
int inn_pg_replica_beat(inn_store *st, const char *me, int lease_ms, int64_t *catalog_gen);
int inn_pg_replica_leave(inn_store *st, const char *me);
int inn_pg_replica_list(inn_store *st, json_object **out);
int inn_pg_exec_claim_start(inn_store *st, const char *me, int64_t id, int64_t started_ms);
int inn_pg_exec_fence(inn_store *st, const char *me, int64_t id);
int inn_pg_exec_adopt(inn_store *st, const char *me, int max, int64_t **ids, size_t *n);
int inn_pg_exec_steal(inn_store *st, const char *me, int max, int64_t **ids, size_t *n);
int inn_pg_exec_release(inn_store *st, const char *me, const int64_t *ids, size_t n);
int inn_pg_lock_try(inn_store *st, const char *name);
void inn_pg_lock_release(inn_store *st, const char *name);
int inn_pg_catalog_bump(inn_store *st, int64_t *gen);
int inn_pg_subscribe(inn_store *st, inn_store_notify_fn fn, void *ud);
/* At close: stops the subscription thread and drops the lock connection. */
void inn_pg_cluster_close(struct pg_store *s);

/* store_pg_dump.c */
int inn_pg_dump(inn_store *st, const char *table, int (*fn)(void *ud, json_object *row),
                void *ud);
int inn_pg_load(inn_store *st, const char *table, json_object *row);
int inn_pg_empty(inn_store *st);

#endif
