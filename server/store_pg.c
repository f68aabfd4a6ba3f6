/*
 * store_pg.c - the PostgreSQL store backend (libpq): several server
 * replicas may share one database (.shared = 1).
 *
 * The URL ("postgres://..." or "postgresql://...") goes whole to libpq;
 * messages show it with its password as *** (inn_pg_redact).  Each
 * operation checks a connection out of a small pool (store_pg_conn.c), so
 * threads do not wait on one another's round trips; store-wide locks
 * and the subscription have connections of their own
 * (store_pg_cluster.c).  Schema changes are the numbered migrations of
 * store_pg_schema.c, the same numbers as SQLite's.
 *
 * This file is the backend's face: open, migrate, close, and the
 * operations table.  begin/commit bind a connection to the calling
 * thread for the group (store_pg_conn.c).
 */
#include "config.h"

#include "store_pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

/* ---- migrations ---------------------------------------------------------------- */

/* Applies the migrations above the recorded version, one transaction
 * each, with its schema_migrations row.  Every transaction first takes an
 * advisory lock on a fixed key, so replicas starting together on a new
 * database apply each migration once: the others wait, then read the
 * version the first one recorded. */
static int
migrate(struct pg_store *s, struct pg_conn *pc)
{
	PGresult *r = NULL;
	int64_t version;
	int rc, first = 1;

	for (;;) {
		if ((rc = inn_pg_cmd(s, pc, "BEGIN", "starting a migration")) < 0)
			return rc;
		if ((rc = inn_pg_cmd(s, pc, "SELECT pg_advisory_xact_lock(" PG_KEY_MIGRATE ")",
		                     "locking the schema")) < 0 ||
		    (rc = inn_pg_cmd(s, pc, "CREATE TABLE IF NOT EXISTS schema_migrations ("
		                     "version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
		                     "creating schema_migrations")) < 0 ||
		    (rc = inn_pg_q(s, pc, &r, NULL, "reading the schema version", PQ_NONE,
		                   inn_pg_sql[PQ_VERSION], "")) < 0)
			goto fail;
		version = inn_pg_int(r, 0, 0);
		PQclear(r);
		if (first)
			s->base.schema_found = (int)version;
		first = 0;
		if (version > inn_pg_schema_version) {
			rc = inn_error_set(INN_EINVAL, "store %s has schema version %lld, newer than "
			                   "this innominatus knows (%d): use a newer innominatus",
			                   s->shown, (long long)version, inn_pg_schema_version);
			goto fail;
		}
		if (version == inn_pg_schema_version)
			return inn_pg_cmd(s, pc, "COMMIT", "finishing the schema check");
		if ((rc = inn_pg_cmd(s, pc, inn_pg_migrations[version], "applying a migration")) < 0) {
			rc = inn_error_set(rc, "migration %lld: %s", (long long)version + 1,
			                   inn_error_last());
			goto fail;
		}
		if ((rc = inn_pg_q(s, pc, NULL, NULL, "recording a migration", PQ_NONE,
		                   "INSERT INTO schema_migrations (version, applied_at) "
		                   "VALUES ($1, $2)", "II", version + 1, inn_wall_ms())) < 0 ||
		    (rc = inn_pg_cmd(s, pc, "COMMIT", "committing a migration")) < 0)
			goto fail;
	}
fail:
	inn_pg_rollback(pc);
	return rc;
}

/* ---- open, close ------------------------------------------------------------------ */

static void
pg_close(inn_store *st)
{
	struct pg_store *s = PG(st);
	size_t i;

	inn_pg_cluster_close(s);
	for (i = 0; i < PG_POOL; i++)
		if (s->pool[i].c != NULL)
			PQfinish(s->pool[i].c);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->lock_mu);
	free(s->url);
	free(s->shown);
	if (s->password != NULL) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s);
}

/* target is the whole URL (store.c passes postgres:// and postgresql://
 * URLs on as they are); password (NULL: the URL's or libpq's own, e.g.
 * PGPASSWORD, PGPASSFILE) goes to libpq beside it. */
static int
pg_open(inn_store **out, const char *target, const char *password)
{
	struct pg_store *s;
	struct pg_conn *pc;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return inn_error_set(INN_ENOMEM, "store: out of memory");
	s->sub_pipe[0] = s->sub_pipe[1] = -1;
	if ((s->url = strdup(target)) == NULL || (s->shown = inn_pg_redact(target)) == NULL ||
	    (password != NULL && (s->password = strdup(password)) == NULL)) {
		free(s->url);
		free(s->shown);
		free(s);
		return inn_error_set(INN_ENOMEM, "store: out of memory");
	}
	if (pthread_mutex_init(&s->mu, NULL) != 0 || pthread_cond_init(&s->cv, NULL) != 0 ||
	    pthread_mutex_init(&s->lock_mu, NULL) != 0) {
		rc = inn_error_set(INN_ERROR, "store %s: cannot create its mutex", s->shown);
		free(s->url);
		free(s->shown);
		free(s);
		return rc;
	}
	s->base.ops = &inn_store_pg_ops;
	if ((rc = inn_pg_get(s, &pc)) < 0)
		goto fail;
	rc = migrate(s, pc);
	inn_pg_put(s, pc);
	if (rc < 0)
		goto fail;
	*out = &s->base;
	return 0;
fail:
	pg_close(&s->base);
	return rc;
}

static int
pg_ping(inn_store *st)
{
	return inn_pg_run(PG(st), NULL, NULL, "ping", PQ_PING, NULL, "");
}

static int
pg_schema_version(inn_store *st)
{
	struct pg_done done;
	int rc = inn_pg_run(PG(st), NULL, &done, "reading the schema version", PQ_VERSION, NULL,
	                    "");

	return rc < 0 ? rc : (int)done.id;
}

const struct inn_store_ops inn_store_pg_ops = {
	.scheme = "postgres",
	.open = pg_open,
	.close = pg_close,
	.ping = pg_ping,
	.begin = inn_pg_begin,
	.commit = inn_pg_commit,
	.rollback = inn_pg_group_rollback,
	.schema_version = pg_schema_version,
	.exec_create = inn_pg_exec_create,
	.exec_update = inn_pg_exec_update,
	.exec_get = inn_pg_exec_get,
	.exec_list = inn_pg_exec_list,
	.exec_ids_with_status = inn_pg_exec_ids_with_status,
	.exec_retried_by = inn_pg_exec_retried_by,
	.step_put = inn_pg_step_put,
	.steps_get = inn_pg_steps_get,
	.log_append = inn_pg_log_append,
	.logs_get = inn_pg_logs_get,
	.logs_scrub = inn_pg_logs_scrub,
	.event_add = inn_pg_event_add,
	.events_after = inn_pg_events_after,
	.key_create = inn_pg_key_create,
	.key_lookup = inn_pg_key_lookup,
	.key_revoke = inn_pg_key_revoke,
	.key_list = inn_pg_key_list,
	.audit = inn_pg_audit,
	.audit_list = inn_pg_audit_list,
	.source_put = inn_pg_source_put,
	.source_list = inn_pg_source_list,
	.source_delete = inn_pg_source_delete,
	.app_put = inn_pg_app_put,
	.app_list = inn_pg_app_list,
	.resource_put = inn_pg_resource_put,
	.resource_list = inn_pg_resource_list,
	.app_update = inn_pg_app_update,
	.app_delete = inn_pg_app_delete,
	.resource_delete = inn_pg_resource_delete,
	.shared = 1,
	.replica_join = inn_pg_replica_join,
	.replica_beat = inn_pg_replica_beat,
	.replica_leave = inn_pg_replica_leave,
	.replica_list = inn_pg_replica_list,
	.exec_claim_start = inn_pg_exec_claim_start,
	.exec_fence = inn_pg_exec_fence,
	.exec_adopt = inn_pg_exec_adopt,
	.exec_steal = inn_pg_exec_steal,
	.exec_release = inn_pg_exec_release,
	.lock_try = inn_pg_lock_try,
	.lock_release = inn_pg_lock_release,
	.catalog_bump = inn_pg_catalog_bump,
	.subscribe = inn_pg_subscribe,
	.dump = inn_pg_dump,
	.load = inn_pg_load,
	.empty = inn_pg_empty,
};
