/*
 * store.h - the server's durable store: executions, their steps, step log
 * lines, outputs, events (monotonic ids = SSE cursors), API keys, users and
 * teams, the audit trail, provider sources added over the API, and the
 * applications (Score specs) and resources executions provisioned.
 *
 * An interface with backends behind it (struct inn_store_ops): SQLite in
 * WAL mode is the embedded default (store_sqlite.c); a PostgreSQL backend
 * can follow without touching callers.  Schema changes are numbered
 * migrations recorded in schema_migrations.  Every function is thread-safe
 * and returns 0 or a negative enum inn_status with inn_error_last() set.
 * Secret values never reach the store unmasked: callers mask first (the
 * real values only sealed, in inn_exec_row.sealed_inputs).  The records
 * themselves are in store_rows.h.
 */
#ifndef INN_SERVER_STORE_H
#define INN_SERVER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "store_rows.h"

/* Opens (creating on first use) the store at path ("sqlite:PATH" or a
 * plain path) and applies pending migrations.  A new file is created mode
 * 0600; its directory must exist (INN_ENOTFOUND naming it).  A store whose
 * schema is newer than this binary knows is refused (INN_EINVAL, both
 * version numbers in the message).  The connection is shared by all
 * threads under one mutex. */
int inn_store_open(inn_store **out, const char *path);
/* The same with a password for the database (NULL: none, or what the URL
 * or the environment gives: PGPASSWORD, PGPASSFILE); a SQLite store takes
 * none (INN_EINVAL).  No message ever holds the password. */
int inn_store_open_with(inn_store **out, const char *url, const char *password);
/* The schema version the store had when it was opened, before the pending
 * migrations were applied (0: a new store). */
int inn_store_schema_found(inn_store *st);

/* url as it may be shown (messages, logs, the startup banner): any
 * password in it -- "postgres://user:PASSWORD@host/db" or a "password="
 * parameter -- replaced by "***".  Written into buf (cut to len - 1
 * bytes); returns buf.  Anything else is copied as it is. */
const char *inn_store_url_redact(const char *url, char *buf, size_t len);
/* 1 when s is a libpq keyword/value conninfo ("host=h password = 'x y'"):
 * a key, optional blanks, '='.  The one test of that form everywhere. */
int inn_store_is_conninfo(const char *s);
/* 1 when url holds a (non-empty) password. */
int inn_store_url_has_password(const char *url);
/* 0, or INN_EINVAL with the message to show when url, given on a command
 * line (where every user sees it in the process list), holds a password:
 * it names where a password goes instead (PGPASSWORD, PGPASSFILE, a
 * password file). */
int inn_store_url_argv_check(const char *url);
/* The password in the first line of file, which must be private to this
 * user (inn_secret_file_read's rules: mode 0600 or stricter); *out is
 * malloc'd (wipe it after use).  Errors name the file. */
int inn_store_password_file_read(const char *file, char **out);
void inn_store_close(inn_store *st);
/* 0 when the store answers a trivial query. */
int inn_store_ping(inn_store *st);
/* Groups the writes made by this thread between begin and commit into one
 * transaction (one commit instead of several); other threads' calls wait
 * until commit.  Only step, event and log writes may be grouped. */
int inn_store_begin(inn_store *st);
int inn_store_commit(inn_store *st);
/* Undoes the writes of this thread since inn_store_begin (an import that
 * failed half way leaves the store as it was) and ends the grouping. */
int inn_store_rollback(inn_store *st);
/* The highest applied migration number. */
int inn_store_schema_version(inn_store *st);

/* ---- executions --------------------------------------------------- */

/* Inserts row (id and created_ms are filled in).  workflow, kind and
 * status are required; params NULL is stored as {}.  INN_EINVAL for an
 * unknown kind or status, INN_ENOTFOUND for a retry_of that does not exist. */
int inn_store_exec_create(inn_store *st, inn_exec_row *row);
/* Updates status, message (NULL keeps), started/ended (0 keeps), outputs (NULL keeps).
 * INN_ENOTFOUND when there is no such execution. */
int inn_store_exec_update(inn_store *st, int64_t id, const char *status, const char *message,
                          int64_t started_ms, int64_t ended_ms, json_object *outputs);
/* INN_ENOTFOUND when there is no such execution. */
int inn_store_exec_get(inn_store *st, int64_t id, inn_exec_row **out);
/* Newest first; *total is the count matching the filter (all pages). */
int inn_store_exec_list(inn_store *st, const inn_exec_filter *f, inn_exec_row ***rows,
                        size_t *n, int64_t *total);
/* Ids of executions in a status (crash recovery: "running"). */
int inn_store_exec_ids_with_status(inn_store *st, const char *status, int64_t **ids, size_t *n);
/* The latest execution that retries id (the highest id whose retry_of is
 * id) in *out, 0 when none. */
int inn_store_exec_retried_by(inn_store *st, int64_t id, int64_t *out);

/* ---- steps ---------------------------------------------------------- */

/* Inserts or replaces step idx of an execution (INN_ENOTFOUND if there is
 * no such execution). */
int inn_store_step_put(inn_store *st, int64_t exec_id, const inn_step_row *row);
/* All steps of an execution, by idx. */
int inn_store_steps_get(inn_store *st, int64_t exec_id, inn_step_row **rows, size_t *n);

/* ---- step logs ---------------------------------------------------------- */

/* Appends one (already masked) line, its ts now; *seq gets its id,
 * increasing across the whole store (the `after` cursor) and never reused.
 * INN_ENOTFOUND if there is no such execution.  _at: its ts is ts_ms (a
 * caller that publishes the line gives it the ts it is stored with). */
int inn_store_log_append(inn_store *st, int64_t exec_id, const char *step, int level,
                         int stream, const char *line, int64_t *seq);
int inn_store_log_append_at(inn_store *st, int64_t exec_id, const char *step, int level,
                            int stream, const char *line, int64_t ts_ms, int64_t *seq);
/* Lines of an execution with seq > after, oldest first, at most limit, as
 * an array of {seq, step, level, stream, line, ts}.  Here and below a
 * limit <= 0 means 1000, and limits above 10000 are 10000. */
int inn_store_logs_get(inn_store *st, int64_t exec_id, int64_t after, int limit,
                       json_object **lines);
/* Rewrites in one UPDATE the stored lines of one step of an execution that
 * fn changes (a step's secret outputs became known only when it ended: its
 * earlier lines are masked afterwards), leaving nothing of the old text in
 * the database file (secure_delete; the WAL is checkpointed).  *changed
 * (may be NULL) gets how many lines were rewritten. */
int inn_store_logs_scrub(inn_store *st, int64_t exec_id, const char *step,
                         inn_store_scrub_fn fn, void *ud, int *changed);

/* ---- events --------------------------------------------------------- */

/* Records an event ({id, type, execution, team, data, ts}); *id gets its
 * monotonic id.  Events (and log lines) become visible in id order, even
 * when several replicas write: a reader following "after N" never misses
 * one committed later with a smaller id. */
int inn_store_event_add(inn_store *st, const char *type, int64_t exec_id, const char *team,
                        json_object *data, int64_t *id);
/* Events with id > after, oldest first, at most limit.  Whose: team and
 * user NULL: all (admins); team set: those recorded with that team or of
 * its executions; team NULL and user set (a key without a team): only those
 * of executions without a team that this key created. */
int inn_store_events_after(inn_store *st, int64_t after, const char *team, const char *user,
                           int limit, json_object **events);

/* ---- API keys, users, teams -------------------------------------------- */

/* 0 if s is a valid key (user) or team name: [A-Za-z0-9][A-Za-z0-9_.-]{0,63}
 * -- names land in the audit trail, logs and JSON, so no control
 * characters, spaces or quotes, and a bounded length.  Else INN_EINVAL with
 * a message naming what (e.g. "key name") and the rule. */
int inn_store_name_check(const char *what, const char *s);
/* Creates a user (if new) with role and team and a new API key for it;
 * name and team must pass inn_store_name_check();
 * *plain is the key (malloc'd), shown once: only its SHA-256 is stored.
 * The key and the user share the name.  team NULL or "" is none.  An
 * existing user must have this role and team (INN_EINVAL otherwise: a key
 * request never changes a user's rights); a name with a live key is
 * INN_EINVAL, a revoked one gets a fresh key (rotation: revoke, create). */
int inn_store_key_create(inn_store *st, const char *name, const char *role,
                         const char *team, char **plain);
/* Resolves a presented key.  INN_ENOTFOUND for unknown or revoked keys.
 * Constant-time comparison of the hash. */
int inn_store_key_lookup(inn_store *st, const char *plain, inn_principal *out);
/* INN_ENOTFOUND if there is no live key of that name. */
int inn_store_key_revoke(inn_store *st, const char *name);
/* Every API key, live and revoked, by name: *keys is an array of {name,
 * role, team (string or null), created_ms, revoked (bool)}.  Never the key
 * nor its hash: only the key's owner ever saw it. */
int inn_store_key_list(inn_store *st, json_object **keys);

/* ---- audit ---------------------------------------------------------- */

/* who, target and detail may be NULL. */
int inn_store_audit(inn_store *st, const char *who, const char *action, const char *target,
                    json_object *detail);
/* Newest first, at most limit, as an array of {id, who, action, target, detail, ts};
 * before > 0: only the entries with an id below it (the next page after
 * one that ended with id before), 0: from the newest. */
int inn_store_audit_list(inn_store *st, int limit, int64_t before, json_object **entries);

/* ---- provider sources (added over the API) ------------------------------ */

/* Inserts or replaces the source of that name.  name and kind are
 * required; kind is "git" (url required) or "path" (path required). */
int inn_store_source_put(inn_store *st, const inn_source_row *row);
/* Every source, by name. */
int inn_store_source_list(inn_store *st, inn_source_row **rows, size_t *n);
/* INN_ENOTFOUND if there is no source of that name. */
int inn_store_source_delete(inn_store *st, const char *name);

/* ---- applications and their resources ------------------------------- */

/* Creates the application owned by team (or, team NULL or "", by the key
 * created_by), or touches updated_ms of an existing one -- only if it has
 * the same owner (same team; without a team, the same key), or any_owner
 * is set (an admin's run).  The owner never changes.  INN_EINVAL (nothing
 * changed) when another team or key owns it. */
int inn_store_app_put(inn_store *st, const char *name, const char *team,
                      const char *created_by, int any_owner);
/* Applications by name; team and user NULL: any; team set: only that
 * team's; team NULL and user set (a key without a team): only those
 * without a team that this key created.  name NULL: all, else at most
 * that one.  At most 10000 rows. */
int inn_store_app_list(inn_store *st, const char *team, const char *user, const char *name,
                       inn_app_row **rows, size_t *n);
/* Inserts or replaces resource (app, name); app, name, type and status (a
 * lifecycle word, store_rows.h) are required.  INN_ENOTFOUND when the application does not exist. */
int inn_store_resource_put(inn_store *st, const inn_resource_row *row);
/* Sets what is given of an application: status (NULL keeps), spec (NULL
 * keeps; masked), expires_ms (< 0 keeps; 0 never), deployed_ok (< 0
 * keeps); touches updated_ms.  INN_ENOTFOUND when there is no such app. */
int inn_store_app_update(inn_store *st, const char *name, const char *status,
                         json_object *spec, int64_t expires_ms, int deployed_ok);
/* Removes the application and its resource rows (its executions stay).
 * INN_ENOTFOUND when there is no such app. */
int inn_store_app_delete(inn_store *st, const char *name);
/* Removes one resource row (none: 0). */
int inn_store_resource_delete(inn_store *st, const char *app, const char *name);
/* 1 when s is a resource status word (store_rows.h). */
int inn_store_resource_status_ok(const char *s);
/* Resources of the applications inn_store_app_list(team, user) would
 * list; app NULL: every such application's.  At most 10000 rows. */
int inn_store_resource_list(inn_store *st, const char *team, const char *user,
                            const char *app, inn_resource_row **rows, size_t *n);

/* ---- several servers on one store (replicas) --------------------------- */

/* INN_STORE_LOST (store_rows.h): what a replica gets when it does not (or
 * no longer) hold what it acts on. */

/* A replica is one server process: its id ([A-Za-z0-9][A-Za-z0-9_.-]{0,63},
 * new at every start: host-pid-random) owns the executions it runs while
 * its lease is live.  Leases are on the store's clock (PostgreSQL: the
 * database server's now(), so replicas' clocks never compare).  Other
 * replicas adopt a dead replica's executions once its lease ran out. */

/* 1 when other server processes may share this store (PostgreSQL); 0
 * when this process is its only user (SQLite). */
int inn_store_shared(inn_store *st);
/* Registers replica me (host and pid are for humans) with a lease of
 * lease_ms from now; every write through st from now on is tagged with
 * me (what inn_store_subscribe filters).  A store that is not shared
 * takes an exclusive lock for this process (a second server on the same
 * file: INN_EINVAL naming it) and expires every other replica on record at
 * once: none can be alive. */
int inn_store_replica_join(inn_store *st, const char *me, const char *host, int lease_ms);
/* Renews me's lease to now + lease_ms; *catalog_gen (may be NULL) gets
 * the store's catalog generation.  INN_STORE_LOST when me is not on
 * record or its lease had run out (it was not renewed in time): me must
 * stop what it runs; it may join again under a new id. */
int inn_store_replica_beat(inn_store *st, const char *me, int lease_ms, int64_t *catalog_gen);
/* A clean stop: me's record goes (release its pending executions first). */
int inn_store_replica_leave(inn_store *st, const char *me);
/* The replicas on record, as an array of {id, host, pid, started_ms,
 * seen_ms, lease_until_ms, alive}. */
int inn_store_replica_list(inn_store *st, json_object **out);

/* Executions are owned (inn_exec_row.owner, set at create; NULL: any
 * replica may take it).  These move them between replicas; none returns
 * an execution to two callers (PostgreSQL: FOR UPDATE SKIP LOCKED). */

/* Moves execution id from pending to running (started_ms) when me owns
 * it and me's lease is live.  INN_STORE_LOST otherwise (another replica
 * took it, it is no longer pending, or me's lease ran out). */
int inn_store_exec_claim_start(inn_store *st, const char *me, int64_t id, int64_t started_ms);
/* 0 when me owns id and me's lease is live now (checked before a step
 * starts and before an execution's end is written), else INN_STORE_LOST. */
int inn_store_exec_fence(inn_store *st, const char *me, int64_t id);
/* Takes over, oldest first, at most max executions that are pending or
 * running and whose owner is NULL or not a live replica (its lease ran
 * out, or it left): owner = me.  *ids (malloc'd) gets them.  The caller
 * accounts for each as crash recovery does (resume or fail). */
int inn_store_exec_adopt(inn_store *st, const char *me, int max, int64_t **ids, size_t *n);
/* Takes, oldest first, at most max pending executions of kind workflow
 * or golden-path that another live replica owns (queued there, not
 * started): owner = me.  The owner's claim_start then fails. */
int inn_store_exec_steal(inn_store *st, const char *me, int max, int64_t **ids, size_t *n);
/* Gives back me's pending executions (owner NULL: another replica adopts
 * them): those of ids, or every one when ids is NULL. */
int inn_store_exec_release(inn_store *st, const char *me, const int64_t *ids, size_t n);

/* 1 when this process holds the store-wide lock name (taking it if it is
 * free), 0 when another replica holds it.  Held until released or the
 * store is closed (PostgreSQL: a session advisory lock on a connection of
 * its own, so a replica that dies frees it).  Not shared: always 1. */
int inn_store_lock_try(inn_store *st, const char *name);
void inn_store_lock_release(inn_store *st, const char *name);

/* Bumps the catalog generation (after a provider registration, removal
 * or reload, so that the other replicas reload); *gen (may be NULL) gets
 * the new value. */
int inn_store_catalog_bump(inn_store *st, int64_t *gen);

/* What other replicas write, delivered as it commits.  kind and row:
 *   "log"     {seq, execution, step, level, stream, line, ts, team, created_by}
 *   "event"   {id, type, execution, team, created_by, data, ts}
 *   "catalog" {gen}
 *   "pending" {id}  (an execution was released: it waits for an owner)
 * Rows written under this process's replica id are not delivered.  fn
 * runs on a thread of the store's own and must not block long; row is
 * not kept (copy what you need).  A store that is not shared never calls
 * fn.  Stops at close.  At most one subscription per store.
 * (inn_store_notify_fn: store_rows.h) */
int inn_store_subscribe(inn_store *st, inn_store_notify_fn fn, void *ud);

/* ---- moving a store (export / import) ------------------------------------ */

/* The tables a dump holds, parents first, NULL-terminated.  Column names
 * and value forms are the same in every backend. */
extern const char *const inn_store_tables[];
/* Every row of table (one of inn_store_tables) in key order, as a JSON
 * object column -> value: integers as integers, text as strings, SQL NULL
 * as null, binary columns (api_keys.key_hash) as lowercase hex.  fn
 * returning non-zero stops the dump and is returned. */
int inn_store_dump(inn_store *st, const char *table,
                   int (*fn)(void *ud, json_object *row), void *ud);
/* Inserts one dumped row of table as it is (ids kept); the backend's id
 * counters move past the ids loaded.  Unknown columns, and a row the
 * schema refuses (a constraint, a value of the wrong type): INN_EINVAL. */
int inn_store_load(inn_store *st, const char *table, json_object *row);
/* 1 when the store holds no execution, user, provider source, audit
 * entry or application (a fit target for an import), 0 when it does. */
int inn_store_empty(inn_store *st);

/* ---- how the store answers (/metrics) ------------------------------------ */

/* inn_store_stats and its bucket bounds: store_rows.h */
/* What every call through st (after its argument checks) took so far,
 * timed on the monotonic clock. */
void inn_store_stats_get(inn_store *st, inn_store_stats *out);

#endif
