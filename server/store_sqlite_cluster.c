/*
 * store_sqlite_cluster.c - replicas on a SQLite store (store.h): one
 * process uses the file, so ... (PLACEHOLDER: the cluster helper writes it)
 */
#include "store_sqlite_int.h"

#include "error.h"

#define TODO() return inn_error_set(INN_ERROR, "store: %s is not written yet", __func__)

int inn_sqlite_replica_join(inn_store *st, const char *me, const char *host, int lease_ms)
{ (void)st; (void)me; (void)host; (void)lease_ms; TODO(); }
int inn_sqlite_replica_beat(inn_store *st, const char *me, int lease_ms, int64_t *catalog_gen)
{ (void)st; (void)me; (void)lease_ms; (void)catalog_gen; TODO(); }
int inn_sqlite_replica_leave(inn_store *st, const char *me) { (void)st; (void)me; TODO(); }
int inn_sqlite_replica_list(inn_store *st, json_object **out) { (void)st; (void)out; TODO(); }
int inn_sqlite_exec_claim_start(inn_store *st, const char *me, int64_t id, int64_t started_ms)
{ (void)st; (void)me; (void)id; (void)started_ms; TODO(); }
int inn_sqlite_exec_fence(inn_store *st, const char *me, int64_t id)
{ (void)st; (void)me; (void)id; TODO(); }
int inn_sqlite_exec_adopt(inn_store *st, const char *me, int max, int64_t **ids, size_t *n)
{ (void)st; (void)me; (void)max; (void)ids; (void)n; TODO(); }
int inn_sqlite_exec_steal(inn_store *st, const char *me, int max, int64_t **ids, size_t *n)
{ (void)st; (void)me; (void)max; (void)ids; (void)n; TODO(); }
int inn_sqlite_exec_release(inn_store *st, const char *me, const int64_t *ids, size_t n)
{ (void)st; (void)me; (void)ids; (void)n; TODO(); }
int inn_sqlite_lock_try(inn_store *st, const char *name) { (void)st; (void)name; return 1; }
void inn_sqlite_lock_release(inn_store *st, const char *name) { (void)st; (void)name; }
int inn_sqlite_catalog_bump(inn_store *st, int64_t *gen) { (void)st; (void)gen; TODO(); }
int inn_sqlite_subscribe(inn_store *st, inn_store_notify_fn fn, void *ud)
{ (void)st; (void)fn; (void)ud; return 0; }
