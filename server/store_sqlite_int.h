/*
 * store_sqlite_int.h - what only the SQLite backend's files see: the
 * connection (struct sqlite_store), the ids of its cached statements, and
 * the one statement helper every operation goes through.
 *
 * From the top: store_sqlite.c the connections (open, migrate, checkpoints,
 * transactions) and the operations table; store_sqlite_exec.c the
 * executions, steps, logs and events; store_sqlite_admin.c the keys,
 * users, audit, provider sources, applications and resources;
 * store_sqlite_stmt.c the statement helper they all use (read connections,
 * group commit);
 * store_sqlite_schema.c the SQL text (migrations, cached statements).
 */
#ifndef INN_SERVER_STORE_SQLITE_INT_H
#define INN_SERVER_STORE_SQLITE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "clock.h"
#include "store_int.h"
#include "store_rows.h"

/* ---- SQL text (store_sqlite_schema.c) ------------------------------------ */

/* Migration N+1 is inn_sq_migrations[N]; there are inn_sq_schema_version. */
extern const char *const inn_sq_migrations[];
extern const int inn_sq_schema_version;

#define EXEC_COLS "id, workflow, kind, app, team, created_by, status, message, params, " \
	"spec, outputs, dry_run, resumable, retry_of, created_ms, started_ms, ended_ms, " \
	"sealed_inputs, owner"

/* The cached statements; inn_sq_stmt_sql[id] is the text of each. */
enum stmt_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_PING, ST_VERSION,
	ST_EXEC_INSERT, ST_EXEC_UPDATE, ST_EXEC_GET, ST_EXEC_IDS, ST_EXEC_RETRIED_BY,
	ST_STEP_PUT, ST_STEPS_GET, ST_LOG_APPEND, ST_LOGS_GET, ST_LOGS_SCRUB,
	ST_EVENT_ADD, ST_EVENTS_AFTER,
	ST_TEAM_ADD, ST_USER_GET, ST_USER_ADD, ST_KEY_STATE, ST_KEY_INSERT, ST_KEY_RENEW,
	ST_KEY_LOOKUP, ST_KEY_REVOKE, ST_KEY_LIST, ST_AUDIT_ADD, ST_AUDIT_LIST,
	ST_SOURCE_PUT, ST_SOURCE_LIST, ST_SOURCE_DELETE,
	ST_APP_PUT, ST_APP_LIST, ST_RES_PUT, ST_RES_LIST,
	ST_APP_UPDATE, ST_APP_DELETE, ST_RES_DELETE,
	/* replicas (store_sqlite_cluster.c) */
	ST_REPL_JOIN, ST_REPL_EXPIRE, ST_REPL_BEAT, ST_REPL_LEAVE, ST_REPL_LIST,
	ST_EXEC_CLAIM, ST_EXEC_FENCE, ST_EXEC_ORPHANS, ST_EXEC_OWN, ST_EXEC_RELEASE,
	ST_CATALOG_BUMP, ST_CATALOG_GET,
	ST_COUNT
};
extern const char *const inn_sq_stmt_sql[ST_COUNT];

/* ---- the connection ------------------------------------------------------ */

/* Read connections beside the writer (a file store only; ":memory:" reads
 * on the writer, another connection would be another database). */
#define SQ_READERS 2

/* One read connection: its own lock and statement cache.  WAL lets it read
 * the last commit while the writer writes. */
struct sq_reader {
	pthread_mutex_t lock;
	sqlite3 *db;
	sqlite3_stmt *stmts[ST_COUNT];
};

/* A connection lent to one statement (inn_sq_conn_read / _done). */
struct sq_conn {
	sqlite3 *db;
	sqlite3_stmt **stmts;
	pthread_mutex_t *held;       /* unlocked by inn_sq_conn_done() */
};

struct sq_req;                   /* a write waiting for a group commit */

struct sqlite_store {
	inn_store base;              /* first: what store.c sees */
	pthread_mutex_t lock;        /* the writer: guards db, stmts and below */
	sqlite3 *db;                 /* the one writer */
	sqlite3_stmt *stmts[ST_COUNT];
	struct sq_reader readers[SQ_READERS];
	int nreaders;                /* open read connections (0: read on db) */
	unsigned int next_reader;
	/* group commit (store_sqlite_stmt.c): writes that find the writer busy
	 * queue here; one of them (the combiner) runs the queue as one
	 * transaction and wakes the others once it committed */
	pthread_mutex_t gc_mu;
	pthread_cond_t gc_cond;
	struct sq_req *gc_head, **gc_tail;
	int gc_busy;                 /* a combiner is at work */
	unsigned long gc_batches, gc_grouped;  /* batches run, writes in them */
	char *path;                  /* for messages */
	/* WAL bookkeeping for the checkpoints (see wal_hook, checkpointer) */
	int wal_pages;               /* pages in the WAL after the last commit */
	unsigned long commits;       /* commits so far */
	pthread_t ckpt_thread;
	int ckpt_running;
	volatile int ckpt_stop;
	/* what the SQL function inn_scrub(line) applies (logs_scrub only) */
	inn_store_scrub_fn scrub_fn;
	void *scrub_ud;
};

#define SQ(st) ((struct sqlite_store *)(void *)(st))

/* What a write did, for the callers that need more than success. */
struct sq_done {
	int64_t rowid;               /* sqlite3_last_insert_rowid() */
	int changes;                 /* rows it changed */
	int fk;                      /* it failed on a foreign key (error set) */
};

/* Called by inn_sq_rows() for each row; a negative return ends the query. */
typedef int (*sq_row_fn)(sqlite3_stmt *q, void *ud);

/* How inn_sq_json_rows() makes a member of a column. */
enum sq_jkind {
	SQ_J_INT,                    /* an integer */
	SQ_J_INT_OR_NULL,            /* an integer, or null for SQL NULL */
	SQ_J_TEXT,                   /* a string, or null for SQL NULL */
	SQ_J_JSON,                   /* JSON text parsed, or null for SQL NULL */
};

struct sq_jfield {
	const char *key;             /* the member's name; NULL ends a list */
	enum sq_jkind kind;
};

/* Rows read into a growing array of structs of one size (inn_sq_list_row()). */
struct sq_list {
	void *list;
	size_t count, cap, size;
	int (*fill)(sqlite3_stmt *q, void *row, void *ud);  /* reads one row */
	void *ud;
};

/* ---- the statement helper (store_sqlite_stmt.c) -------------------------- */

/* Sets the error from the connection's last failure: "store PATH: what: why". */
int inn_sq_fail(struct sqlite_store *s, const char *what);
/* The same for a failure on connection db (the writer or a reader). */
int inn_sq_fail_db(struct sqlite_store *s, sqlite3 *db, const char *what);
/* Lends c a connection to read from: the writer when this thread holds it
 * inside a transaction (a read there must see the transaction's own
 * writes), else a read connection, which never waits for a write.  Every
 * inn_sq_conn_read() is paired with one inn_sq_conn_done(). */
void inn_sq_conn_read(struct sqlite_store *s, struct sq_conn *c);
void inn_sq_conn_done(struct sq_conn *c);
/* Opens the read connections of a file store (after its migrations);
 * without them every read goes to the writer.  0 or the error. */
int inn_sq_readers_open(struct sqlite_store *s);
void inn_sq_readers_close(struct sqlite_store *s);
/* The error "binding a value". */
int inn_sq_bind_fail(struct sqlite_store *s);
/* NULL binds SQL NULL.  The string must outlive the step (SQLITE_STATIC). */
int inn_sq_bind_text(sqlite3_stmt *q, int i, const char *v);
/* Undoes a failed transaction, keeping the message of what failed. */
void inn_sq_rollback(struct sqlite_store *s);

/*
 * Statement parameters ?1, ?2, ... are bound from the arguments after
 * binds, one letter each: 't' const char * (NULL binds SQL NULL; it must
 * outlive the call), 'i' int, 'I' int64_t, 'd' int64_t id (0 binds SQL
 * NULL: no execution, no retry), 'h' an API key hash (const unsigned char *,
 * INN_STORE_KEY_HASH_LEN bytes), 'j' a json_object * as compact JSON text
 * (NULL binds SQL NULL), 'o' the same but NULL binds "{}" (at most
 * SQ_MAX_BINDS of them).
 *
 * Writes (inn_sq_exec) take the store's lock (a recursive one: a caller
 * inside a transaction may already hold it) and commit on their own when
 * it is free; when another thread holds it, the write queues and is
 * committed together with the writes queued beside it, in one transaction
 * (group commit).  Either way inn_sq_exec returns 0 only once its row is
 * committed.  Queries (inn_sq_rows, inn_sq_json_rows) read on a read
 * connection (inn_sq_conn_read) and never wait for a write.
 */
#define SQ_MAX_BINDS 24

/* Runs the cached statement id, which returns no rows.  0, or the error
 * "store PATH: what: why".  done, when not NULL, learns what the write did
 * (or that a foreign key stopped it, the error set: the caller may say it
 * better). */
int inn_sq_exec(struct sqlite_store *s, struct sq_done *done, enum stmt_id id,
                const char *what, const char *binds, ...);
/* Group commit inside a transaction this thread holds open (caller holds
 * the store's lock): inn_sq_group_join() runs the writes queued meanwhile
 * in it, right before its COMMIT; inn_sq_group_settle() then tells them
 * what the COMMIT answered (rc: 0, or negative with the error set). */
struct sq_req *inn_sq_group_join(struct sqlite_store *s);
void inn_sq_group_settle(struct sqlite_store *s, struct sq_req *batch, int rc);
/* Runs the cached query id, calling row(q, ud) for each row it returns.
 * 0, the first negative return of row() (which ends the query), or the
 * error "store PATH: what: why". */
int inn_sq_rows(struct sqlite_store *s, enum stmt_id id, const char *what, sq_row_fn row,
                void *ud, const char *binds, ...);
/* An inn_sq_rows() row function for ud = a struct sq_list: one more zeroed
 * element, filled by l->fill.  A row that fails half read is counted, so
 * the caller's free of the list sees it. */
int inn_sq_list_row(sqlite3_stmt *q, void *ud);
/* Runs the cached query id into *out: a JSON array of one object per row,
 * column i becoming member fields[i] (the list ends at a NULL key); a JSON
 * column that does not parse names its row by column 0.  0 or the error;
 * *out is untouched on failure. */
int inn_sq_json_rows(struct sqlite_store *s, enum stmt_id id, const char *what,
                     const struct sq_jfield *fields, json_object **out, const char *binds,
                     ...);

/* ---- reading columns -------------------------------------------------------- */

/* A text column as a malloc'd string (NULL for SQL NULL); *err on ENOMEM. */
char *inn_sq_col_text(sqlite3_stmt *q, int i, int *err);
/* Columns first, first + 1, ... read as inn_sq_col_text does, into *dst[0],
 * *dst[1], ... (n of them); *err on ENOMEM.  INN_SQ_COL_TEXTS(q, first,
 * err, &r->a, &r->b, ...) passes its pointers as dst. */
void inn_sq_col_texts(sqlite3_stmt *q, int first, char **const *dst, size_t n, int *err);
#define INN_SQ_COL_TEXTS(q, first, err, ...) \
	inn_sq_col_texts((q), (first), (char **const[]){ __VA_ARGS__ }, \
	                 sizeof((char **const[]){ __VA_ARGS__ }) / sizeof(char **), (err))
/* A JSON text column parsed (NULL for SQL NULL); *err when it does not
 * parse, naming what of id. */
json_object *inn_sq_col_json(sqlite3_stmt *q, int i, const char *what, int64_t id, int *err);

/* ---- the operations (store_int.h gives their contracts) -------------------- */

/* store_sqlite_exec.c */
int inn_sqlite_exec_create(inn_store *st, inn_exec_row *row);
int inn_sqlite_exec_update(inn_store *st, int64_t id, const char *status, const char *message,
                           int64_t started_ms, int64_t ended_ms, json_object *outputs);
int inn_sqlite_exec_get(inn_store *st, int64_t id, inn_exec_row **out);
int inn_sqlite_exec_list(inn_store *st, const inn_exec_filter *f, inn_exec_row ***rows,
                         size_t *n, int64_t *total);
int inn_sqlite_exec_ids_with_status(inn_store *st, const char *status, int64_t **ids,
                                    size_t *n);
int inn_sqlite_exec_retried_by(inn_store *st, int64_t id, int64_t *out);
int inn_sqlite_step_put(inn_store *st, int64_t exec_id, const inn_step_row *row);
int inn_sqlite_steps_get(inn_store *st, int64_t exec_id, inn_step_row **rows, size_t *n);
int inn_sqlite_log_append(inn_store *st, int64_t exec_id, const char *step, int level,
                          int stream, const char *line, int64_t ts_ms, int64_t *seq);
int inn_sqlite_logs_get(inn_store *st, int64_t exec_id, int64_t after, int limit,
                        json_object **lines);
int inn_sqlite_event_add(inn_store *st, const char *type, int64_t exec_id, const char *team,
                         json_object *data, int64_t *id);
int inn_sqlite_events_after(inn_store *st, int64_t after, const char *team, const char *user,
                            int limit, json_object **events);

/* store_sqlite_admin.c */
int inn_sqlite_key_create(inn_store *st, const char *name, const char *role, const char *team,
                          char **plain);
int inn_sqlite_key_lookup(inn_store *st, const char *plain, inn_principal *out);
int inn_sqlite_key_revoke(inn_store *st, const char *name);
int inn_sqlite_key_list(inn_store *st, json_object **keys);
int inn_sqlite_audit(inn_store *st, const char *who, const char *action, const char *target,
                     json_object *detail);
int inn_sqlite_audit_list(inn_store *st, int limit, int64_t before, json_object **entries);
int inn_sqlite_source_put(inn_store *st, const inn_source_row *row);
int inn_sqlite_source_list(inn_store *st, inn_source_row **rows, size_t *n);
int inn_sqlite_source_delete(inn_store *st, const char *name);
int inn_sqlite_app_put(inn_store *st, const char *name, const char *team,
                       const char *created_by, int any_owner);
int inn_sqlite_app_list(inn_store *st, const char *team, const char *user, const char *name,
                        inn_app_row **rows, size_t *n);
int inn_sqlite_resource_put(inn_store *st, const inn_resource_row *row);
int inn_sqlite_app_update(inn_store *st, const char *name, const char *status,
                          json_object *spec, int64_t expires_ms, int deployed_ok);
int inn_sqlite_app_delete(inn_store *st, const char *name);
int inn_sqlite_resource_delete(inn_store *st, const char *app, const char *name);
int inn_sqlite_resource_list(inn_store *st, const char *team, const char *user,
                             const char *app, inn_resource_row **rows, size_t *n);

/* store_sqlite_cluster.c: replicas on a store only this process uses */
int inn_sqlite_replica_join(inn_store *st, const char *me, const char *host, int lease_ms);
int inn_sqlite_replica_beat(inn_store *st, const char *me, int lease_ms, int64_t *catalog_gen);
int inn_sqlite_replica_leave(inn_store *st, const char *me);
int inn_sqlite_replica_list(inn_store *st, json_object **out);
int inn_sqlite_exec_claim_start(inn_store *st, const char *me, int64_t id, int64_t started_ms);
int inn_sqlite_exec_fence(inn_store *st, const char *me, int64_t id);
int inn_sqlite_exec_adopt(inn_store *st, const char *me, int max, int64_t **ids, size_t *n);
int inn_sqlite_exec_steal(inn_store *st, const char *me, int max, int64_t **ids, size_t *n);
int inn_sqlite_exec_release(inn_store *st, const char *me, const int64_t *ids, size_t n);
int inn_sqlite_lock_try(inn_store *st, const char *name);
void inn_sqlite_lock_release(inn_store *st, const char *name);
int inn_sqlite_catalog_bump(inn_store *st, int64_t *gen);
int inn_sqlite_subscribe(inn_store *st, inn_store_notify_fn fn, void *ud);

/* store_sqlite_dump.c: export / import */
int inn_sqlite_dump(inn_store *st, const char *table, int (*fn)(void *ud, json_object *row),
                    void *ud);
int inn_sqlite_load(inn_store *st, const char *table, json_object *row);
int inn_sqlite_empty(inn_store *st);

#endif
