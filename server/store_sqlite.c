/*
 * store_sqlite.c - the embedded store backend: one SQLite file in WAL mode.
 *
 * One writer connection per store, guarded by one mutex: every write holds
 * it from its first bind to its last column read, which also keeps
 * sqlite3_errmsg() and last_insert_rowid() belonging to that operation.
 * Writes that find it busy queue and are committed together, in one
 * transaction (group commit, store_sqlite_stmt.c); none returns before
 * its row is committed.  Reads go to two read connections beside it, each
 * with its own mutex: WAL lets them read the last commit while the writer
 * writes, so a GET never waits for a run's rows.  The connections are
 * opened SQLITE_OPEN_NOMUTEX since the mutexes already serialise them.
 * Fixed statements are prepared on first use and cached for the life of
 * each connection (log appends are the hot path); the execution list,
 * whose WHERE depends on the filter, is prepared per call.
 * Every value is bound as a parameter; SQL text is only ever built from
 * the constant fragments in store_sqlite_schema.c and store_sqlite_exec.c.
 *
 * This file is the backend's face: the connection (open, migrate,
 * checkpoints, transactions) and the operations table.  The operations are
 * in store_sqlite_exec.c and store_sqlite_admin.c, on top of the statement
 * helper in store_sqlite_stmt.c.
 */
#include "store_sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

/* ---- open, migrate, close --------------------------------------------- */

/* The directory must already exist: a typo in a config path should not
 * silently create a fresh, empty store somewhere unexpected. */
static int
check_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	struct stat sb;

	if (slash == NULL)
		return 0;
	if ((size_t)(slash - path) >= sizeof(dir))
		return inn_error_set(INN_EINVAL, "store: path %.80s... is too long", path);
	if (slash == path)
		return 0;  /* "/name": the root exists */
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (stat(dir, &sb) != 0)
		return inn_error_set(errno == ENOENT ? INN_ENOTFOUND : INN_ERROR,
		                     "store %s: directory %s: %s", path, dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return inn_error_set(INN_EINVAL, "store %s: %s is not a directory", path, dir);
	return 0;
}

/* Creates the file 0600 before SQLite does (SQLite would use 0644), so
 * the store, and its -wal and -shm files which copy its mode, are private
 * from the start.  An existing file keeps its mode. */
static int
create_private(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);

	if (fd < 0)
		return inn_error_set(errno == EACCES ? INN_EINVAL : INN_ERROR, "store %s: %s",
		                     path, strerror(errno));
	close(fd);
	return 0;
}

static int
exec_sql(struct sqlite_store *s, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	rc = inn_error_set(INN_ERROR, "store %s: %s: %s", s->path, what,
	                   msg != NULL ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	return rc;
}

/* inn_sq_rows() row function: the first column as an integer. */
static int
int_row(sqlite3_stmt *q, void *ud)
{
	*(int64_t *)ud = sqlite3_column_int64(q, 0);
	return 0;
}

/* One value from a one-row, one-column query with no parameters. */
static int
query_int(struct sqlite_store *s, enum stmt_id id, int64_t *out, const char *what)
{
	return inn_sq_rows(s, id, what, int_row, out, "");
}

static int
set_pragmas(struct sqlite_store *s, int in_memory)
{
	sqlite3_stmt *q = NULL;
	const char *mode;
	int rc;

	sqlite3_busy_timeout(s->db, 5000); /* also in checkpoint_now() */
	if ((rc = exec_sql(s, "PRAGMA busy_timeout = 5000", "setting busy_timeout")) < 0)
		return rc;
	/* journal_mode answers with the mode it ended up in. */
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW) {
		rc = inn_sq_fail(s, "switching to WAL mode");
		goto out;
	}
	mode = (const char *)sqlite3_column_text(q, 0);
	if (mode == NULL || (strcmp(mode, "wal") != 0 && !(in_memory && strcmp(mode, "memory") == 0))) {
		rc = inn_error_set(INN_ERROR, "store %s: could not switch to WAL mode (journal "
		                   "mode is %s); is the file on a network file system?", s->path,
		                   mode != NULL ? mode : "unknown");
		goto out;
	}
	/* secure_delete: a log line masked afterwards (logs_scrub) leaves no
	 * copy of the old text in the page's free space */
	if ((rc = exec_sql(s, "PRAGMA synchronous = NORMAL", "setting synchronous")) < 0 ||
	    (rc = exec_sql(s, "PRAGMA secure_delete = ON", "enabling secure_delete")) < 0 ||
	    (rc = exec_sql(s, "PRAGMA foreign_keys = ON", "enabling foreign keys")) < 0)
		goto out;
out:
	sqlite3_finalize(q);
	return rc;
}

/* Applies the migrations above the recorded version, one transaction each.
 * BEGIN IMMEDIATE takes the write lock before the version is read, so two
 * processes opening a new store at once cannot both apply migration N. */
static int
migrate(struct sqlite_store *s)
{
	sqlite3_stmt *q = NULL;
	int64_t version;
	int rc, first = 1;

	for (;;) {
		if ((rc = exec_sql(s, "BEGIN IMMEDIATE", "starting a migration")) < 0)
			return rc;
		if ((rc = exec_sql(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
		                   "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
		                   "creating schema_migrations")) < 0 ||
		    (rc = query_int(s, ST_VERSION, &version, "reading the schema version")) < 0)
			goto fail;
		if (first)
			s->base.schema_found = (int)version;
		first = 0;
		if (version > inn_sq_schema_version) {
			rc = inn_error_set(INN_EINVAL, "store %s has schema version %lld, newer than "
			                   "this innominatus knows (%d): use a newer innominatus",
			                   s->path, (long long)version, inn_sq_schema_version);
			goto fail;
		}
		if (version == inn_sq_schema_version) {
			if ((rc = exec_sql(s, "COMMIT", "finishing the schema check")) < 0)
				goto fail;
			return 0;
		}
		if ((rc = exec_sql(s, inn_sq_migrations[version], "applying a migration")) < 0) {
			rc = inn_error_set(rc, "migration %lld: %s", (long long)version + 1,
			                   inn_error_last());
			goto fail;
		}
		if (sqlite3_prepare_v2(s->db, "INSERT INTO schema_migrations (version, applied_at) "
		                       "VALUES (?1, ?2)", -1, &q, NULL) != SQLITE_OK ||
		    sqlite3_bind_int64(q, 1, version + 1) != SQLITE_OK ||
		    sqlite3_bind_int64(q, 2, inn_wall_ms()) != SQLITE_OK ||
		    sqlite3_step(q) != SQLITE_DONE) {
			rc = inn_sq_fail(s, "recording a migration");
			goto fail;
		}
		sqlite3_finalize(q);
		q = NULL;
		if ((rc = exec_sql(s, "COMMIT", "committing a migration")) < 0)
			goto fail;
	}
fail:
	sqlite3_finalize(q);
	inn_sq_rollback(s);
	return rc;
}

/* The serving connection checkpoints once the WAL holds this many pages
 * (16 MiB at 4 KiB pages); a WAL file reset after that is cut back to
 * WAL_SIZE_LIMIT bytes, and an idle one to nothing. */
#define WAL_AUTOCHECKPOINT_PAGES 4096
#define WAL_SIZE_LIMIT (32 * 1024 * 1024)

/* Checkpoints on the serving connection (caller holds the store's lock)
 * without waiting: a reader in another process (an admin's sqlite3 shell)
 * must not stall every commit for the busy timeout; the checkpoint then
 * copies what it can and is tried again later.  1 when it completed. */
static int
checkpoint_now(struct sqlite_store *s, int mode)
{
	int rc;

	sqlite3_busy_timeout(s->db, 0);
	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, mode, NULL, NULL);
	sqlite3_busy_timeout(s->db, 5000);
	return rc == SQLITE_OK;
}

/* After each commit on the serving connection, under the store's lock.
 * Every checkpoint runs on that connection under that lock, so none waits
 * for another: a checkpoint on a second connection (what this file did
 * before) never catches up with a writer that commits all the time, and
 * while it copies, the writer's own checkpoints fail at once (SQLITE_BUSY)
 * and the WAL grows by hundreds of megabytes a second under a log flood.
 * RESTART copies what the WAL holds (its distinct pages: a few dozen for a
 * stream of log lines) and makes the next commit start the WAL over from
 * its beginning. */
static int
wal_hook(void *ud, sqlite3 *db, const char *name, int pages)
{
	struct sqlite_store *s = ud;

	(void)db;
	(void)name;
	s->wal_pages = pages;
	s->commits++;
	if (pages >= WAL_AUTOCHECKPOINT_PAGES && checkpoint_now(s, SQLITE_CHECKPOINT_RESTART))
		s->wal_pages = 0;
	return SQLITE_OK;
}

/* The SQL function inn_scrub(line): what the running logs_scrub's fn makes
 * of line, else line itself (and always outside logs_scrub). */
static void
scrub_func(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct sqlite_store *s = sqlite3_user_data(ctx);
	const char *t = (const char *)sqlite3_value_text(argv[0]);
	char *out = NULL;

	(void)argc;
	if (t != NULL && s->scrub_fn != NULL)
		out = s->scrub_fn(s->scrub_ud, t, (size_t)sqlite3_value_bytes(argv[0]));
	if (out == NULL)
		sqlite3_result_value(ctx, argv[0]);
	else
		sqlite3_result_text(ctx, out, -1, free);
}

/* logs_scrub (contract in store.h): one UPDATE through inn_scrub(), under
 * the store's lock; then the WAL, which still holds the pages with the old
 * lines, is copied and cut when no reader holds it (else the checkpointer
 * thread does it once the store is idle). */
static int
sqlite_logs_scrub(inn_store *st, int64_t exec_id, const char *step, inn_store_scrub_fn fn,
                  void *ud, int *changed)
{
	struct sqlite_store *s = SQ(st);
	struct sq_done done;
	int rc;

	pthread_mutex_lock(&s->lock);
	s->scrub_fn = fn;
	s->scrub_ud = ud;
	rc = inn_sq_exec(s, &done, ST_LOGS_SCRUB, "masking a step's log lines", "It",
	                 exec_id, step);
	s->scrub_fn = NULL;
	s->scrub_ud = NULL;
	*changed = rc == 0 ? done.changes : 0;
	if (rc == 0 && done.changes > 0 && s->ckpt_running)
		checkpoint_now(s, SQLITE_CHECKPOINT_TRUNCATE);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Every half second: when nothing was committed since the last look and
 * the WAL is not empty, copies it into the database and truncates it
 * (TRUNCATE, on the serving connection under the store's lock), so an idle
 * store is one file. */
static void *
checkpointer(void *arg)
{
	struct sqlite_store *s = arg;
	unsigned long seen = 0;
	int tick = 0;

	while (!s->ckpt_stop) {
		usleep(50 * 1000);
		if (++tick % 10 != 0)
			continue;
		pthread_mutex_lock(&s->lock);
		if (s->commits == seen && s->wal_pages > 0 &&
		    checkpoint_now(s, SQLITE_CHECKPOINT_TRUNCATE))
			s->wal_pages = 0;
		seen = s->commits;
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

static void
sqlite_close(inn_store *st)
{
	struct sqlite_store *s = SQ(st);
	size_t i;

	if (s->ckpt_running) {
		s->ckpt_stop = 1;
		pthread_join(s->ckpt_thread, NULL);
	}
	inn_sq_readers_close(s);
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->gc_mu);
	pthread_cond_destroy(&s->gc_cond);
	free(s->path);
	free(s);
}

static int
sqlite_open(inn_store **out, const char *target, const char *password)
{
	struct sqlite_store *s = NULL;
	int in_memory = strcmp(target, ":memory:") == 0;
	int rc;

	if (password != NULL)
		return inn_error_set(INN_EINVAL, "store %s: a SQLite store takes no password",
		                     target);
	if (!in_memory && ((rc = check_parent(target)) < 0 || (rc = create_private(target)) < 0))
		return rc;
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->path = strdup(target)) == NULL) {
		free(s);
		return inn_error_set(INN_ENOMEM, "store %s: out of memory", target);
	}
	s->base.ops = &inn_store_sqlite_ops;
	{
		/* recursive: a thread inside begin/commit calls the others */
		pthread_mutexattr_t ma;
		int mrc;

		pthread_mutexattr_init(&ma);
		pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
		mrc = pthread_mutex_init(&s->lock, &ma);
		pthread_mutexattr_destroy(&ma);
		if (mrc != 0)
			s->base.ops = NULL;
		else if (pthread_mutex_init(&s->gc_mu, NULL) != 0) {
			pthread_mutex_destroy(&s->lock);
			s->base.ops = NULL;
		} else if (pthread_cond_init(&s->gc_cond, NULL) != 0) {
			pthread_mutex_destroy(&s->gc_mu);
			pthread_mutex_destroy(&s->lock);
			s->base.ops = NULL;
		}
		s->gc_tail = &s->gc_head;
	}
	if (s->base.ops == NULL) {
		free(s->path);
		free(s);
		return inn_error_set(INN_ERROR, "store %s: cannot create its mutex", target);
	}
	if (sqlite3_open_v2(target, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = s->db != NULL ? inn_sq_fail(s, "opening")
		                   : inn_error_set(INN_ENOMEM, "store %s: out of memory", target);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	if (sqlite3_create_function_v2(s->db, "inn_scrub", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, s,
	                               scrub_func, NULL, NULL, NULL) != SQLITE_OK) {
		rc = inn_sq_fail(s, "registering inn_scrub()");
		goto fail;
	}
	if ((rc = set_pragmas(s, in_memory)) < 0 || (rc = migrate(s)) < 0)
		goto fail;
	if (!in_memory) {
		char sql[128];

		snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit = %d", WAL_SIZE_LIMIT);
		if (exec_sql(s, sql, "bounding the WAL") == 0) {
			sqlite3_wal_hook(s->db, wal_hook, s);
			s->ckpt_running = pthread_create(&s->ckpt_thread, NULL, checkpointer,
			                                 s) == 0;
		}
		if ((rc = inn_sq_readers_open(s)) < 0)
			goto fail;
	}
	*out = &s->base;
	return 0;
fail:
	sqlite_close(&s->base);
	return rc;
}

/* begin takes the lock and keeps it until commit: the grouped writes are
 * one transaction that no other thread's statements can interleave with. */
static int
sqlite_begin(inn_store *st)
{
	struct sqlite_store *s = SQ(st);
	int rc;

	pthread_mutex_lock(&s->lock);
	if ((rc = exec_sql(s, "BEGIN", "starting a transaction")) < 0)
		pthread_mutex_unlock(&s->lock);
	return rc;
}

/* The writes that queued while the transaction was open (log lines,
 * other threads' rows) go into its COMMIT too: one commit for all. */
static int
sqlite_commit(inn_store *st)
{
	struct sqlite_store *s = SQ(st);
	struct sq_req *joined = inn_sq_group_join(s);
	int rc = exec_sql(s, "COMMIT", "committing");

	if (rc < 0)
		inn_sq_rollback(s);
	inn_sq_group_settle(s, joined, rc);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int
sqlite_rollback(inn_store *st)
{
	struct sqlite_store *s = SQ(st);
	struct sq_req *joined;
	int rc;

	inn_sq_rollback(s);
	/* writes of other threads that queued meanwhile were waiting for this
	 * transaction's COMMIT: they get one of their own */
	if ((rc = exec_sql(s, "BEGIN", "starting a transaction")) == 0) {
		joined = inn_sq_group_join(s);
		if ((rc = exec_sql(s, "COMMIT", "committing")) < 0)
			inn_sq_rollback(s);
		inn_sq_group_settle(s, joined, rc);
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int
sqlite_ping(inn_store *st)
{
	int64_t one = 0;

	return query_int(SQ(st), ST_PING, &one, "ping");
}

static int
sqlite_schema_version(inn_store *st)
{
	int64_t v = 0;
	int rc = query_int(SQ(st), ST_VERSION, &v, "reading the schema version");

	return rc < 0 ? rc : (int)v;
}
const struct inn_store_ops inn_store_sqlite_ops = {
	.scheme = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.ping = sqlite_ping,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.schema_version = sqlite_schema_version,
	.exec_create = inn_sqlite_exec_create,
	.exec_update = inn_sqlite_exec_update,
	.exec_get = inn_sqlite_exec_get,
	.exec_list = inn_sqlite_exec_list,
	.exec_ids_with_status = inn_sqlite_exec_ids_with_status,
	.exec_retried_by = inn_sqlite_exec_retried_by,
	.step_put = inn_sqlite_step_put,
	.steps_get = inn_sqlite_steps_get,
	.log_append = inn_sqlite_log_append,
	.logs_get = inn_sqlite_logs_get,
	.logs_scrub = sqlite_logs_scrub,
	.event_add = inn_sqlite_event_add,
	.events_after = inn_sqlite_events_after,
	.key_create = inn_sqlite_key_create,
	.key_lookup = inn_sqlite_key_lookup,
	.key_revoke = inn_sqlite_key_revoke,
	.key_list = inn_sqlite_key_list,
	.audit = inn_sqlite_audit,
	.audit_list = inn_sqlite_audit_list,
	.source_put = inn_sqlite_source_put,
	.source_list = inn_sqlite_source_list,
	.source_delete = inn_sqlite_source_delete,
	.app_put = inn_sqlite_app_put,
	.app_list = inn_sqlite_app_list,
	.resource_put = inn_sqlite_resource_put,
	.resource_list = inn_sqlite_resource_list,
	.app_update = inn_sqlite_app_update,
	.app_delete = inn_sqlite_app_delete,
	.resource_delete = inn_sqlite_resource_delete,
	.shared = 0,
	.replica_join = inn_sqlite_replica_join,
	.replica_beat = inn_sqlite_replica_beat,
	.replica_leave = inn_sqlite_replica_leave,
	.replica_list = inn_sqlite_replica_list,
	.exec_claim_start = inn_sqlite_exec_claim_start,
	.exec_fence = inn_sqlite_exec_fence,
	.exec_adopt = inn_sqlite_exec_adopt,
	.exec_steal = inn_sqlite_exec_steal,
	.exec_release = inn_sqlite_exec_release,
	.lock_try = inn_sqlite_lock_try,
	.lock_release = inn_sqlite_lock_release,
	.catalog_bump = inn_sqlite_catalog_bump,
	.subscribe = inn_sqlite_subscribe,
	.dump = inn_sqlite_dump,
	.load = inn_sqlite_load,
	.empty = inn_sqlite_empty,
};
