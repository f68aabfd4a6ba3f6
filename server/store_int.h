/*
 * store_int.h - what only the store sees: the backend operations table
 * behind store.h.  store.c checks arguments, clamps limits and dispatches;
 * a backend (store_sqlite.c; later PostgreSQL) does the I/O and may assume
 * arguments already checked: non-NULL store and out-params, required
 * strings present, enum-like strings valid, limits in range.
 */
#ifndef INN_SERVER_STORE_INT_H
#define INN_SERVER_STORE_INT_H

#include <stdatomic.h>

#include "store_rows.h"

/* Limits applied by store.c before a backend sees them. */
#define INN_STORE_PAGE_SIZE_DEFAULT 20
#define INN_STORE_PAGE_SIZE_MAX 200
#define INN_STORE_LIMIT_DEFAULT 1000
#define INN_STORE_LIMIT_MAX 10000
#define INN_STORE_NAME_MAX 127  /* fits inn_principal.name / .team */

/* What a step put does to a step row that exists (both backends' SQL): a
 * new state, and the dependencies it was written with kept unless the
 * put brings some (they are written once, with the first row). */
#define INN_STORE_STEP_UPSERT "ON CONFLICT (exec_id, idx) DO UPDATE SET " \
	"name = excluded.name, type = excluded.type, status = excluded.status, " \
	"attempts = excluded.attempts, message = excluded.message, " \
	"started_ms = excluded.started_ms, ended_ms = excluded.ended_ms, " \
	"outputs = excluded.outputs, sealed_outputs = excluded.sealed_outputs, " \
	"depends_on = COALESCE(excluded.depends_on, steps.depends_on)"

struct inn_store_ops;

/* What store.c counts of the calls through a store (inn_store_stats). */
struct inn_store_meter {
	atomic_llong calls[2], errors[2], us_sum[2];
	atomic_llong bucket[2][INN_STORE_LAT_BUCKETS + 1];
};

/* Every backend's store begins with this, so store.c can find the ops.
 * A backend allocates it zeroed and sets ops and schema_found. */
struct inn_store {
	const struct inn_store_ops *ops;
	int schema_found;            /* the version before open's migrations */
	struct inn_store_meter meter; /* store.c's */
};

/* One function per store.h entry point; the same contracts, with the
 * argument checks above already done.  Every function is called without
 * any lock held: a backend serialises access itself. */
struct inn_store_ops {
	const char *scheme;  /* "sqlite": what "scheme:" in a store path selects */

	/* target is the path with any "scheme:" prefix removed; password
	 * (NULL: none) is never put in a message. */
	int (*open)(inn_store **out, const char *target, const char *password);
	void (*close)(inn_store *st);
	int (*ping)(inn_store *st);
	/* Optional: group the calls between begin and commit into one
	 * transaction (fewer commits); NULL where a backend has no need. */
	int (*begin)(inn_store *st);
	int (*commit)(inn_store *st);
	/* Optional: undo what was written since begin, and end it. */
	int (*rollback)(inn_store *st);
	int (*schema_version)(inn_store *st);

	int (*exec_create)(inn_store *st, inn_exec_row *row);
	int (*exec_update)(inn_store *st, int64_t id, const char *status, const char *message,
	                   int64_t started_ms, int64_t ended_ms, json_object *outputs);
	int (*exec_get)(inn_store *st, int64_t id, inn_exec_row **out);
	/* f->page >= 1 and 1 <= f->page_size <= INN_STORE_PAGE_SIZE_MAX. */
	int (*exec_list)(inn_store *st, const inn_exec_filter *f, inn_exec_row ***rows,
	                 size_t *n, int64_t *total);
	int (*exec_ids_with_status)(inn_store *st, const char *status, int64_t **ids, size_t *n);
	int (*exec_retried_by)(inn_store *st, int64_t id, int64_t *out);

	int (*step_put)(inn_store *st, int64_t exec_id, const inn_step_row *row);
	int (*steps_get)(inn_store *st, int64_t exec_id, inn_step_row **rows, size_t *n);

	int (*log_append)(inn_store *st, int64_t exec_id, const char *step, int level,
	                  int stream, const char *line, int64_t ts_ms, int64_t *seq);
	/* 1 <= limit <= INN_STORE_LIMIT_MAX here and below. */
	int (*logs_get)(inn_store *st, int64_t exec_id, int64_t after, int limit,
	                json_object **lines);
	int (*logs_scrub)(inn_store *st, int64_t exec_id, const char *step,
	                  inn_store_scrub_fn fn, void *ud, int *changed);

	int (*event_add)(inn_store *st, const char *type, int64_t exec_id, const char *team,
	                 json_object *data, int64_t *id);
	/* team and user: see inn_store_events_after() */
	int (*events_after)(inn_store *st, int64_t after, const char *team, const char *user,
	                    int limit, json_object **events);

	/* role is "admin" or "user"; team is NULL for none (never ""). */
	int (*key_create)(inn_store *st, const char *name, const char *role, const char *team,
	                  char **plain);
	int (*key_lookup)(inn_store *st, const char *plain, inn_principal *out);
	int (*key_revoke)(inn_store *st, const char *name);
	int (*key_list)(inn_store *st, json_object **keys);

	int (*audit)(inn_store *st, const char *who, const char *action, const char *target,
	             json_object *detail);
	/* the entries with an id below before (INT64_MAX: all) */
	int (*audit_list)(inn_store *st, int limit, int64_t before, json_object **entries);

	/* kind is "git" or "path"; added_ms is set (> 0). */
	int (*source_put)(inn_store *st, const inn_source_row *row);
	int (*source_list)(inn_store *st, inn_source_row **rows, size_t *n);
	int (*source_delete)(inn_store *st, const char *name);

	/* team is NULL for none (never ""). */
	int (*app_put)(inn_store *st, const char *name, const char *team, const char *created_by,
	               int any_owner);
	int (*app_list)(inn_store *st, const char *team, const char *user, const char *name,
	                inn_app_row **rows, size_t *n);
	int (*resource_put)(inn_store *st, const inn_resource_row *row);
	int (*resource_list)(inn_store *st, const char *team, const char *user, const char *app,
	                     inn_resource_row **rows, size_t *n);
	int (*app_update)(inn_store *st, const char *name, const char *status, json_object *spec,
	                  int64_t expires_ms, int deployed_ok);
	int (*app_delete)(inn_store *st, const char *name);
	int (*resource_delete)(inn_store *st, const char *app, const char *name);

	/* replicas (store.h); me is checked (a valid name).  Every one is
	 * required of a backend. */
	int shared;              /* what inn_store_shared() answers */
	int (*replica_join)(inn_store *st, const char *me, const char *host, int lease_ms);
	int (*replica_beat)(inn_store *st, const char *me, int lease_ms, int64_t *catalog_gen);
	int (*replica_leave)(inn_store *st, const char *me);
	int (*replica_list)(inn_store *st, json_object **out);
	int (*exec_claim_start)(inn_store *st, const char *me, int64_t id, int64_t started_ms);
	int (*exec_fence)(inn_store *st, const char *me, int64_t id);
	/* 1 <= max <= INN_STORE_LIMIT_MAX */
	int (*exec_adopt)(inn_store *st, const char *me, int max, int64_t **ids, size_t *n);
	int (*exec_steal)(inn_store *st, const char *me, int max, int64_t **ids, size_t *n);
	int (*exec_release)(inn_store *st, const char *me, const int64_t *ids, size_t n);
	int (*lock_try)(inn_store *st, const char *name);
	void (*lock_release)(inn_store *st, const char *name);
	int (*catalog_bump)(inn_store *st, int64_t *gen);
	int (*subscribe)(inn_store *st, inn_store_notify_fn fn, void *ud);

	/* export / import; table is one of inn_store_tables */
	int (*dump)(inn_store *st, const char *table, int (*fn)(void *ud, json_object *row),
	            void *ud);
	int (*load)(inn_store *st, const char *table, json_object *row);
	int (*empty)(inn_store *st);
};

extern const struct inn_store_ops inn_store_sqlite_ops;
#ifdef HAVE_LIBPQ
extern const struct inn_store_ops inn_store_pg_ops;   /* store_pg.c: "postgres" */
#endif

/* Shared helpers for backends (store.c). */

/* A new API key: "inn_" + 40 lowercase hex characters from the OS CSPRNG
 * (buffer of INN_STORE_KEY_LEN + 1), and its SHA-256.  INN_ERROR if
 * randomness is unavailable. */
#define INN_STORE_KEY_LEN 44
#define INN_STORE_KEY_HASH_LEN 32
int inn_store_key_generate(char plain[INN_STORE_KEY_LEN + 1],
                           unsigned char hash[INN_STORE_KEY_HASH_LEN]);
/* SHA-256 of a presented key. */
int inn_store_key_hash(const char *plain, unsigned char hash[INN_STORE_KEY_HASH_LEN]);

#endif
