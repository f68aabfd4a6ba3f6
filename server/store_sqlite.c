/*
 * store_sqlite.c - the embedded store backend: one SQLite file in WAL mode.
 *
 * One connection per store, guarded by one mutex: every operation holds
 * it from its first bind to its last column read, which also keeps
 * sqlite3_errmsg() and last_insert_rowid() belonging to that operation.
 * The connection is opened SQLITE_OPEN_NOMUTEX since the mutex already
 * serialises it.  Fixed statements are prepared on first use and cached
 * for the life of the connection (log appends are the hot path); the
 * execution list, whose WHERE depends on the filter, is prepared per call.
 * Every value is bound as a parameter; SQL text is only ever built from
 * the constant fragments in this file.
 *
 * Schema changes are the numbered entries of migrations[]: migration N
 * runs in its own transaction together with its schema_migrations row, so
 * a crash leaves the store at N-1 or N, never between.
 */
#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "error.h"

/* ---- schema ------------------------------------------------------------ */

static const char *const migrations[] = {
	/* 1: executions, their steps and log lines, events */
	"CREATE TABLE executions ("
	"  id INTEGER PRIMARY KEY,"
	"  workflow TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  app TEXT,"
	"  team TEXT,"
	"  created_by TEXT,"
	"  status TEXT NOT NULL,"
	"  message TEXT,"
	"  params TEXT NOT NULL DEFAULT '{}',"
	"  spec TEXT,"
	"  outputs TEXT,"
	"  dry_run INTEGER NOT NULL DEFAULT 0,"
	"  resumable INTEGER NOT NULL DEFAULT 0,"
	"  retry_of INTEGER REFERENCES executions(id),"
	"  created_ms INTEGER NOT NULL,"
	"  started_ms INTEGER NOT NULL DEFAULT 0,"
	"  ended_ms INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX executions_team_created ON executions(team, created_ms);"
	"CREATE INDEX executions_created ON executions(created_ms);"
	"CREATE INDEX executions_app ON executions(app);"
	"CREATE INDEX executions_status ON executions(status);"
	"CREATE INDEX executions_workflow ON executions(workflow);"
	"CREATE TABLE steps ("
	"  exec_id INTEGER NOT NULL REFERENCES executions(id) ON DELETE CASCADE,"
	"  idx INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  type TEXT,"
	"  status TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  message TEXT,"
	"  started_ms INTEGER NOT NULL DEFAULT 0,"
	"  ended_ms INTEGER NOT NULL DEFAULT 0,"
	"  outputs TEXT,"
	"  PRIMARY KEY (exec_id, idx)) WITHOUT ROWID;"
	"CREATE TABLE step_logs ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  exec_id INTEGER NOT NULL REFERENCES executions(id) ON DELETE CASCADE,"
	"  step TEXT,"
	"  level INTEGER NOT NULL,"
	"  stream INTEGER NOT NULL,"
	"  line TEXT NOT NULL,"
	"  ts_ms INTEGER NOT NULL);"
	"CREATE INDEX step_logs_exec ON step_logs(exec_id, seq);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  type TEXT NOT NULL,"
	"  exec_id INTEGER,"
	"  team TEXT,"
	"  data TEXT,"
	"  ts_ms INTEGER NOT NULL);",

	/* 2: who may call: teams, users, API keys; what they did: audit.
	 * api_keys.user_name, not "user": that is reserved in PostgreSQL. */
	"CREATE TABLE teams ("
	"  name TEXT PRIMARY KEY,"
	"  created_ms INTEGER NOT NULL);"
	"CREATE TABLE users ("
	"  name TEXT PRIMARY KEY,"
	"  role TEXT NOT NULL CHECK (role IN ('admin', 'user')),"
	"  team TEXT REFERENCES teams(name),"
	"  created_ms INTEGER NOT NULL);"
	"CREATE TABLE api_keys ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  user_name TEXT NOT NULL REFERENCES users(name),"
	"  key_hash BLOB NOT NULL UNIQUE,"
	"  created_ms INTEGER NOT NULL,"
	"  revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  who TEXT,"
	"  action TEXT NOT NULL,"
	"  target TEXT,"
	"  detail TEXT,"
	"  ts_ms INTEGER NOT NULL);",

	/* 3: provider sources added over the API; applications (Score specs)
	 * and the resources their executions provisioned.  commit_id, not
	 * "commit": that is a keyword in SQLite. */
	"CREATE TABLE provider_sources ("
	"  name TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('git', 'path')),"
	"  url TEXT,"
	"  path TEXT,"
	"  ref TEXT,"
	"  commit_id TEXT,"
	"  added_by TEXT,"
	"  added_ms INTEGER NOT NULL);"
	"CREATE TABLE applications ("
	"  name TEXT PRIMARY KEY,"
	"  team TEXT,"
	"  created_ms INTEGER NOT NULL,"
	"  updated_ms INTEGER NOT NULL);"
	"CREATE INDEX applications_team ON applications(team);"
	"CREATE TABLE resources ("
	"  app TEXT NOT NULL REFERENCES applications(name) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  provider TEXT,"
	"  status TEXT NOT NULL,"
	"  outputs TEXT,"
	"  updated_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (app, name)) WITHOUT ROWID;",

	/* 4: who created an application: one without a team belongs to the key
	 * that created it (an admin's, or a key without a team), not to
	 * whoever comes next.  Existing rows learn it from their first run. */
	"ALTER TABLE applications ADD COLUMN created_by TEXT;"
	"UPDATE applications SET created_by = (SELECT e.created_by FROM executions e "
	"  WHERE e.app = applications.name AND e.dry_run = 0 "
	"  AND (e.team = applications.team OR (e.team IS NULL AND applications.team IS NULL)) "
	"  ORDER BY e.id LIMIT 1);",

	/* 5: the real inputs of an execution whose stored params/spec have
	 * secrets masked, sealed with the server's key (AES-256-GCM, base64):
	 * what a retry or a resume runs with. */
	"ALTER TABLE executions ADD COLUMN sealed_inputs TEXT;",

	/* 6: the real outputs of a step whose stored outputs have secrets
	 * masked, sealed the same way: what a retry or a resume reuses. */
	"ALTER TABLE steps ADD COLUMN sealed_outputs TEXT;",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* ---- cached statements ------------------------------------------------- */

#define EXEC_COLS "id, workflow, kind, app, team, created_by, status, message, params, " \
	"spec, outputs, dry_run, resumable, retry_of, created_ms, started_ms, ended_ms, " \
	"sealed_inputs"

enum stmt_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_PING, ST_VERSION,
	ST_EXEC_INSERT, ST_EXEC_UPDATE, ST_EXEC_GET, ST_EXEC_IDS,
	ST_STEP_PUT, ST_STEPS_GET, ST_LOG_APPEND, ST_LOGS_GET,
	ST_EVENT_ADD, ST_EVENTS_AFTER,
	ST_TEAM_ADD, ST_USER_GET, ST_USER_ADD, ST_KEY_STATE, ST_KEY_INSERT, ST_KEY_RENEW,
	ST_KEY_LOOKUP, ST_KEY_REVOKE, ST_AUDIT_ADD, ST_AUDIT_LIST,
	ST_SOURCE_PUT, ST_SOURCE_LIST, ST_SOURCE_DELETE,
	ST_APP_PUT, ST_APP_LIST, ST_RES_PUT, ST_RES_LIST,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_PING] = "SELECT 1",
	[ST_VERSION] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
	[ST_EXEC_INSERT] = "INSERT INTO executions (workflow, kind, app, team, created_by, "
		"status, message, params, spec, outputs, dry_run, resumable, retry_of, "
		"created_ms, started_ms, ended_ms, sealed_inputs) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
	[ST_EXEC_UPDATE] = "UPDATE executions SET status = COALESCE(?2, status), "
		"message = COALESCE(?3, message), "
		"started_ms = CASE WHEN ?4 > 0 THEN ?4 ELSE started_ms END, "
		"ended_ms = CASE WHEN ?5 > 0 THEN ?5 ELSE ended_ms END, "
		"outputs = COALESCE(?6, outputs) WHERE id = ?1",
	[ST_EXEC_GET] = "SELECT " EXEC_COLS " FROM executions WHERE id = ?1",
	[ST_EXEC_IDS] = "SELECT id FROM executions WHERE status = ?1 ORDER BY id",
	[ST_STEP_PUT] = "INSERT OR REPLACE INTO steps (exec_id, idx, name, type, status, "
		"attempts, message, started_ms, ended_ms, outputs, sealed_outputs) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[ST_STEPS_GET] = "SELECT idx, name, type, status, attempts, message, started_ms, "
		"ended_ms, outputs, sealed_outputs FROM steps WHERE exec_id = ?1 ORDER BY idx",
	[ST_LOG_APPEND] = "INSERT INTO step_logs (exec_id, step, level, stream, line, ts_ms) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_LOGS_GET] = "SELECT seq, step, level, stream, line, ts_ms FROM step_logs "
		"WHERE exec_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
	[ST_EVENT_ADD] = "INSERT INTO events (type, exec_id, team, data, ts_ms) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_EVENTS_AFTER] = "SELECT v.id, v.type, v.exec_id, v.team, v.data, v.ts_ms FROM events v "
		"LEFT JOIN executions x ON x.id = v.exec_id WHERE v.id > ?1 AND "
		"((?2 IS NULL AND ?4 IS NULL) OR v.team = ?2 OR x.team = ?2 OR "
		"(?2 IS NULL AND v.team IS NULL AND x.team IS NULL AND x.created_by = ?4)) "
		"ORDER BY v.id LIMIT ?3",
	[ST_TEAM_ADD] = "INSERT OR IGNORE INTO teams (name, created_ms) VALUES (?1, ?2)",
	[ST_USER_GET] = "SELECT role, team FROM users WHERE name = ?1",
	[ST_USER_ADD] = "INSERT INTO users (name, role, team, created_ms) VALUES (?1, ?2, ?3, ?4)",
	[ST_KEY_STATE] = "SELECT revoked FROM api_keys WHERE name = ?1",
	[ST_KEY_INSERT] = "INSERT INTO api_keys (name, user_name, key_hash, created_ms) "
		"VALUES (?1, ?2, ?3, ?4)",
	[ST_KEY_RENEW] = "UPDATE api_keys SET user_name = ?2, key_hash = ?3, created_ms = ?4, "
		"revoked = 0 WHERE name = ?1",
	[ST_KEY_LOOKUP] = "SELECT k.key_hash, k.revoked, k.name, u.role, u.team "
		"FROM api_keys k JOIN users u ON u.name = k.user_name WHERE k.key_hash = ?1",
	[ST_KEY_REVOKE] = "UPDATE api_keys SET revoked = 1 WHERE name = ?1 AND revoked = 0",
	[ST_AUDIT_ADD] = "INSERT INTO audit (who, action, target, detail, ts_ms) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_AUDIT_LIST] = "SELECT id, who, action, target, detail, ts_ms FROM audit "
		"ORDER BY id DESC LIMIT ?1",
	[ST_SOURCE_PUT] = "INSERT OR REPLACE INTO provider_sources (name, kind, url, path, ref, "
		"commit_id, added_by, added_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_SOURCE_LIST] = "SELECT name, kind, url, path, ref, commit_id, added_by, added_ms "
		"FROM provider_sources ORDER BY name",
	[ST_SOURCE_DELETE] = "DELETE FROM provider_sources WHERE name = ?1",
	/* the owner never changes: an existing application is touched only
	 * for its owner (or with ?5, an admin's run), else nothing changes */
	[ST_APP_PUT] = "INSERT INTO applications (name, team, created_by, created_ms, updated_ms) "
		"VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (name) DO UPDATE SET "
		"updated_ms = excluded.updated_ms WHERE ?5 OR applications.team = excluded.team OR "
		"(applications.team IS NULL AND excluded.team IS NULL AND "
		"applications.created_by = excluded.created_by)",
	[ST_APP_LIST] = "SELECT name, team, created_by, created_ms, updated_ms FROM applications "
		"WHERE ((?1 IS NULL AND ?3 IS NULL) OR team = ?1 OR "
		"(?1 IS NULL AND team IS NULL AND created_by = ?3)) AND (?2 IS NULL OR name = ?2) "
		"ORDER BY name LIMIT 10000",
	[ST_RES_PUT] = "INSERT OR REPLACE INTO resources (app, name, type, provider, status, "
		"outputs, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_RES_LIST] = "SELECT r.app, r.name, r.type, r.provider, r.status, r.outputs, "
		"r.updated_ms FROM resources r JOIN applications a ON a.name = r.app "
		"WHERE ((?1 IS NULL AND ?3 IS NULL) OR a.team = ?1 OR "
		"(?1 IS NULL AND a.team IS NULL AND a.created_by = ?3)) AND (?2 IS NULL OR r.app = ?2) "
		"ORDER BY r.app, r.name LIMIT 10000",
};

struct sqlite_store {
	inn_store base;              /* first: what store.c sees */
	pthread_mutex_t lock;        /* guards everything below */
	sqlite3 *db;
	sqlite3_stmt *stmts[ST_COUNT];
	char *path;                  /* for messages */
	/* WAL bookkeeping for the checkpoints (see wal_hook, checkpointer) */
	int wal_pages;               /* pages in the WAL after the last commit */
	unsigned long commits;       /* commits so far */
	pthread_t ckpt_thread;
	int ckpt_running;
	volatile int ckpt_stop;
};

#define SQ(st) ((struct sqlite_store *)(void *)(st))

/* What a write did, for the callers that need more than success. */
struct sq_done {
	int64_t rowid;               /* sqlite3_last_insert_rowid() */
	int changes;                 /* rows it changed */
	int fk;                      /* it failed on a foreign key (error set) */
};

/* Called by sq_rows() for each row; a negative return ends the query. */
typedef int (*sq_row_fn)(sqlite3_stmt *q, void *ud);

/* Rows read into a growing array of structs of one size (list_row()). */
struct sq_list {
	void *list;
	size_t count, cap, size;
	int (*fill)(sqlite3_stmt *q, void *row, void *ud);  /* reads one row */
	void *ud;
};

/* ---- helpers ------------------------------------------------------------ */

/* Sets the error from the connection's last failure: "store PATH: what: why". */
static int
db_fail(struct sqlite_store *s, const char *what)
{
	int code = sqlite3_errcode(s->db) == SQLITE_NOMEM ? INN_ENOMEM : INN_ERROR;

	return inn_error_set(code, "store %s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

/* The cached statement id, prepared on first use; NULL with the error set. */
static sqlite3_stmt *
stmt(struct sqlite_store *s, enum stmt_id id)
{
	if (s->stmts[id] == NULL &&
	    sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
	                       &s->stmts[id], NULL) != SQLITE_OK) {
		db_fail(s, "preparing a statement");
		s->stmts[id] = NULL;
	}
	return s->stmts[id];
}

/* Readies a used statement for its next caller. */
static void
stmt_done(sqlite3_stmt *q)
{
	if (q != NULL) {
		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
	}
}

/* Undoes a failed transaction, keeping the message of what failed. */
static void
rollback(struct sqlite_store *s)
{
	sqlite3_stmt *q;

	if (sqlite3_get_autocommit(s->db))
		return;  /* SQLite already rolled back */
	if ((q = stmt(s, ST_ROLLBACK)) != NULL) {
		sqlite3_step(q);
		stmt_done(q);
	}
}

/* NULL binds SQL NULL.  The string must outlive the step (SQLITE_STATIC). */
static int
bind_text(sqlite3_stmt *q, int i, const char *v)
{
	return v == NULL ? sqlite3_bind_null(q, i) : sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC);
}

static int
bind_fail(struct sqlite_store *s)
{
	return db_fail(s, "binding a value");
}

/* Binds ?1, ?2, ... from ap, one letter of binds each: 't' const char *
 * (NULL binds SQL NULL; it must outlive the step), 'i' int, 'I' int64_t,
 * 'd' int64_t id (0 binds SQL NULL: no execution, no retry), 'h' an API
 * key hash (const unsigned char *, INN_STORE_KEY_HASH_LEN bytes).
 * 0, or the error "binding a value". */
static int
sq_bind(struct sqlite_store *s, sqlite3_stmt *q, const char *binds, va_list ap)
{
	int i, rc = SQLITE_OK;
	int64_t v;

	for (i = 0; rc == SQLITE_OK && binds[i] != '\0'; i++) {
		switch (binds[i]) {
		case 't':
			rc = bind_text(q, i + 1, va_arg(ap, const char *));
			break;
		case 'i':
			rc = sqlite3_bind_int(q, i + 1, va_arg(ap, int));
			break;
		case 'I':
			rc = sqlite3_bind_int64(q, i + 1, va_arg(ap, int64_t));
			break;
		case 'd':
			v = va_arg(ap, int64_t);
			rc = v == 0 ? sqlite3_bind_null(q, i + 1) : sqlite3_bind_int64(q, i + 1, v);
			break;
		case 'h':
			rc = sqlite3_bind_blob(q, i + 1, va_arg(ap, const unsigned char *),
			                       INN_STORE_KEY_HASH_LEN, SQLITE_STATIC);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	return rc == SQLITE_OK ? 0 : bind_fail(s);
}

/* Runs the cached statement id, which returns no rows, with its parameters
 * bound from the arguments as binds spells them (see sq_bind), under the
 * store's lock.  0, or the error "store PATH: what: why".  done, when not
 * NULL, learns what the write did (or that a foreign key stopped it, the
 * error set; the caller may say it better). */
static int
sq_exec(struct sqlite_store *s, struct sq_done *done, enum stmt_id id, const char *what,
        const char *binds, ...)
{
	sqlite3_stmt *q;
	va_list ap;
	int rc;

	if (done != NULL)
		memset(done, 0, sizeof(*done));
	pthread_mutex_lock(&s->lock);
	if ((q = stmt(s, id)) == NULL) {
		pthread_mutex_unlock(&s->lock);
		return INN_ERROR;
	}
	va_start(ap, binds);
	rc = sq_bind(s, q, binds, ap);
	va_end(ap);
	if (rc == 0 && sqlite3_step(q) != SQLITE_DONE) {
		rc = db_fail(s, what);
		if (done != NULL)
			done->fk = sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_FOREIGNKEY;
	} else if (rc == 0 && done != NULL) {
		done->rowid = sqlite3_last_insert_rowid(s->db);
		done->changes = sqlite3_changes(s->db);
	}
	stmt_done(q);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int
sq_vrows(struct sqlite_store *s, enum stmt_id id, const char *what, sq_row_fn row, void *ud,
         const char *binds, va_list ap)
{
	sqlite3_stmt *q;
	int rc, step = SQLITE_DONE;

	pthread_mutex_lock(&s->lock);
	if ((q = stmt(s, id)) == NULL) {
		pthread_mutex_unlock(&s->lock);
		return INN_ERROR;
	}
	rc = sq_bind(s, q, binds, ap);
	while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
		rc = row(q, ud);
	if (rc == 0 && step != SQLITE_DONE)
		rc = db_fail(s, what);
	stmt_done(q);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Runs the cached query id, bound as for sq_exec, under the store's lock,
 * calling row(q, ud) for each row it returns.  0, the first negative
 * return of row() (which ends the query), or "store PATH: what: why". */
static int
sq_rows(struct sqlite_store *s, enum stmt_id id, const char *what, sq_row_fn row, void *ud,
        const char *binds, ...)
{
	va_list ap;
	int rc;

	va_start(ap, binds);
	rc = sq_vrows(s, id, what, row, ud, binds, ap);
	va_end(ap);
	return rc;
}

/* A text column as a malloc'd string (NULL for SQL NULL); *err on ENOMEM. */
static char *
col_text(sqlite3_stmt *q, int i, int *err)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	char *copy;

	if (t == NULL)
		return NULL;
	if ((copy = strdup((const char *)t)) == NULL)
		*err = inn_error_set(INN_ENOMEM, "store: out of memory reading a row");
	return copy;
}

/* A JSON text column parsed (NULL for SQL NULL); *err when it does not parse. */
static json_object *
col_json(sqlite3_stmt *q, int i, const char *what, int64_t id, int *err)
{
	const char *t = (const char *)sqlite3_column_text(q, i);
	json_object *v;

	if (t == NULL)
		return NULL;
	if ((v = json_tokener_parse(t)) == NULL)
		*err = inn_error_set(INN_ERROR, "store: %s of %lld is not valid JSON: %.60s",
		                     what, (long long)id, t);
	return v;
}

/* Grows *list by one zeroed element of size sz; NULL on ENOMEM (error set). */
static void *
grow_one(void **list, size_t *count, size_t *cap, size_t sz)
{
	char *grown;

	if (*count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;

		if ((grown = realloc(*list, ncap * sz)) == NULL) {
			inn_error_set(INN_ENOMEM, "store: out of memory reading rows");
			return NULL;
		}
		*list = grown;
		*cap = ncap;
	}
	grown = (char *)*list + (*count)++ * sz;
	memset(grown, 0, sz);
	return grown;
}

/* sq_rows() row function for a struct sq_list: one more element, filled.
 * A row that fails half read is counted, so the caller's free sees it. */
static int
list_row(sqlite3_stmt *q, void *ud)
{
	struct sq_list *l = ud;
	void *r = grow_one(&l->list, &l->count, &l->cap, l->size);

	return r == NULL ? INN_ENOMEM : l->fill(q, r, l->ud);
}

/* json_object_object_add() that owns v even on failure; NULL v with
 * need set means its allocation failed. */
static int
jset(json_object *o, const char *key, json_object *v, int need)
{
	if ((need && v == NULL) || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return inn_error_set(INN_ENOMEM, "store: out of memory building JSON");
	}
	return 0;
}

static int
jset_int(json_object *o, const char *key, int64_t v)
{
	return jset(o, key, json_object_new_int64(v), 1);
}

/* A text column as a JSON string, or null. */
static int
jset_col_text(json_object *o, const char *key, sqlite3_stmt *q, int i)
{
	const char *t = (const char *)sqlite3_column_text(q, i);

	return t == NULL ? jset(o, key, NULL, 0) : jset(o, key, json_object_new_string(t), 1);
}

/* A JSON text column parsed, or null. */
static int
jset_col_json(json_object *o, const char *key, sqlite3_stmt *q, int i, int64_t id)
{
	int err = 0;
	json_object *v = col_json(q, i, key, id, &err);

	return err < 0 ? err : jset(o, key, v, 0);
}

struct json_rows {
	json_object *arr;
	int (*fill)(sqlite3_stmt *q, json_object *o);
};

/* sq_rows() row function for struct json_rows: one more object, filled. */
static int
json_row(sqlite3_stmt *q, void *ud)
{
	struct json_rows *j = ud;
	json_object *o = json_object_new_object();

	if (o == NULL || json_object_array_add(j->arr, o) != 0) {
		json_object_put(o);
		return inn_error_set(INN_ENOMEM, "store: out of memory building JSON");
	}
	return j->fill(q, o);
}

/* Runs the cached query id, bound as for sq_exec, into *out: a JSON array
 * of one object per row, filled by fill(q, o).  0 or the error; *out is
 * untouched on failure. */
static int
sq_json_rows(struct sqlite_store *s, enum stmt_id id, const char *what,
             int (*fill)(sqlite3_stmt *q, json_object *o), json_object **out,
             const char *binds, ...)
{
	struct json_rows j = { json_object_new_array(), fill };
	va_list ap;
	int rc;

	if (j.arr == NULL)
		return inn_error_set(INN_ENOMEM, "store: out of memory building JSON");
	va_start(ap, binds);
	rc = sq_vrows(s, id, what, json_row, &j, binds, ap);
	va_end(ap);
	if (rc < 0) {
		json_object_put(j.arr);
		return rc;
	}
	*out = j.arr;
	return 0;
}

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

/* sq_rows() row function: the first column as an integer. */
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
	return sq_rows(s, id, what, int_row, out, "");
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
		rc = db_fail(s, "switching to WAL mode");
		goto out;
	}
	mode = (const char *)sqlite3_column_text(q, 0);
	if (mode == NULL || (strcmp(mode, "wal") != 0 && !(in_memory && strcmp(mode, "memory") == 0))) {
		rc = inn_error_set(INN_ERROR, "store %s: could not switch to WAL mode (journal "
		                   "mode is %s); is the file on a network file system?", s->path,
		                   mode != NULL ? mode : "unknown");
		goto out;
	}
	if ((rc = exec_sql(s, "PRAGMA synchronous = NORMAL", "setting synchronous")) < 0 ||
	    (rc = exec_sql(s, "PRAGMA foreign_keys = ON", "enabling foreign keys")) < 0)
		goto out;
out:
	sqlite3_finalize(q);
	return rc;
}

/* Applies migrations above the recorded version, one transaction each.
 * BEGIN IMMEDIATE takes the write lock before the version is read, so two
 * processes opening a new store at once cannot both apply migration N. */
static int
migrate(struct sqlite_store *s)
{
	sqlite3_stmt *q = NULL;
	int64_t version;
	int rc;

	for (;;) {
		if ((rc = exec_sql(s, "BEGIN IMMEDIATE", "starting a migration")) < 0)
			return rc;
		if ((rc = exec_sql(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
		                   "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
		                   "creating schema_migrations")) < 0 ||
		    (rc = query_int(s, ST_VERSION, &version, "reading the schema version")) < 0)
			goto fail;
		if (version > SCHEMA_VERSION) {
			rc = inn_error_set(INN_EINVAL, "store %s has schema version %lld, newer than "
			                   "this innominatus knows (%d): use a newer innominatus",
			                   s->path, (long long)version, SCHEMA_VERSION);
			goto fail;
		}
		if (version == SCHEMA_VERSION) {
			if ((rc = exec_sql(s, "COMMIT", "finishing the schema check")) < 0)
				goto fail;
			return 0;
		}
		if ((rc = exec_sql(s, migrations[version], "applying a migration")) < 0) {
			rc = inn_error_set(rc, "migration %lld: %s", (long long)version + 1,
			                   inn_error_last());
			goto fail;
		}
		if (sqlite3_prepare_v2(s->db, "INSERT INTO schema_migrations (version, applied_at) "
		                       "VALUES (?1, ?2)", -1, &q, NULL) != SQLITE_OK ||
		    sqlite3_bind_int64(q, 1, version + 1) != SQLITE_OK ||
		    sqlite3_bind_int64(q, 2, inn_store_now_ms()) != SQLITE_OK ||
		    sqlite3_step(q) != SQLITE_DONE) {
			rc = db_fail(s, "recording a migration");
			goto fail;
		}
		sqlite3_finalize(q);
		q = NULL;
		if ((rc = exec_sql(s, "COMMIT", "committing a migration")) < 0)
			goto fail;
	}
fail:
	sqlite3_finalize(q);
	rollback(s);
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
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
}

static int
sqlite_open(inn_store **out, const char *target)
{
	struct sqlite_store *s = NULL;
	int in_memory = strcmp(target, ":memory:") == 0;
	int rc;

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
	}
	if (s->base.ops == NULL) {
		free(s->path);
		free(s);
		return inn_error_set(INN_ERROR, "store %s: cannot create its mutex", target);
	}
	if (sqlite3_open_v2(target, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = s->db != NULL ? db_fail(s, "opening")
		                   : inn_error_set(INN_ENOMEM, "store %s: out of memory", target);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
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

static int
sqlite_commit(inn_store *st)
{
	struct sqlite_store *s = SQ(st);
	int rc = exec_sql(s, "COMMIT", "committing");

	if (rc < 0)
		rollback(s);
	pthread_mutex_unlock(&s->lock);
	return rc;
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

/* ---- executions ---------------------------------------------------------- */

static int
sqlite_exec_create(inn_store *st, inn_exec_row *row)
{
	struct sqlite_store *s = SQ(st);
	char *params = NULL, *spec = NULL, *outputs = NULL;
	int64_t now = inn_store_now_ms();
	struct sq_done done;
	int rc = 0;

	if ((rc = inn_store_json_text(row->params, &params)) < 0 ||
	    (rc = inn_store_json_text(row->spec, &spec)) < 0 ||
	    (rc = inn_store_json_text(row->outputs, &outputs)) < 0)
		goto out;
	rc = sq_exec(s, &done, ST_EXEC_INSERT, "inserting an execution",
	             "tttttttttt" "iidIIIt", row->workflow, row->kind, row->app, row->team, row->created_by,
	             row->status, row->message, params != NULL ? params : "{}", spec, outputs,
	             row->dry_run != 0, row->resumable != 0, row->retry_of, now,
	             row->started_ms, row->ended_ms, row->sealed_inputs);
	if (rc < 0 && done.fk) {
		rc = inn_error_set(INN_ENOTFOUND, "store: retry_of %lld: no such execution",
		                   (long long)row->retry_of);
	} else if (rc == 0) {
		row->id = done.rowid;
		row->created_ms = now;
	}
out:
	free(params);
	free(spec);
	free(outputs);
	return rc;
}

static int
sqlite_exec_update(inn_store *st, int64_t id, const char *status, const char *message,
                   int64_t started_ms, int64_t ended_ms, json_object *outputs)
{
	struct sq_done done;
	char *out_text;
	int rc;

	if ((rc = inn_store_json_text(outputs, &out_text)) < 0)
		return rc;
	rc = sq_exec(SQ(st), &done, ST_EXEC_UPDATE, "updating an execution", "IttIIt", id,
	             status, message, started_ms, ended_ms, out_text);
	if (rc == 0 && done.changes == 0)
		rc = inn_error_set(INN_ENOTFOUND, "no execution %lld", (long long)id);
	free(out_text);
	return rc;
}

/* The current row of a statement selecting EXEC_COLS. */
static int
read_exec_row(sqlite3_stmt *q, inn_exec_row **out)
{
	inn_exec_row *r = calloc(1, sizeof(*r));
	int err = 0;

	if (r == NULL)
		return inn_error_set(INN_ENOMEM, "store: out of memory reading an execution");
	r->id = sqlite3_column_int64(q, 0);
	r->workflow = col_text(q, 1, &err);
	r->kind = col_text(q, 2, &err);
	r->app = col_text(q, 3, &err);
	r->team = col_text(q, 4, &err);
	r->created_by = col_text(q, 5, &err);
	r->status = col_text(q, 6, &err);
	r->message = col_text(q, 7, &err);
	if (err == 0)
		r->params = col_json(q, 8, "params of execution", r->id, &err);
	if (err == 0)
		r->spec = col_json(q, 9, "spec of execution", r->id, &err);
	if (err == 0)
		r->outputs = col_json(q, 10, "outputs of execution", r->id, &err);
	r->dry_run = sqlite3_column_int(q, 11);
	r->resumable = sqlite3_column_int(q, 12);
	r->retry_of = sqlite3_column_int64(q, 13);
	r->created_ms = sqlite3_column_int64(q, 14);
	r->started_ms = sqlite3_column_int64(q, 15);
	r->ended_ms = sqlite3_column_int64(q, 16);
	r->sealed_inputs = col_text(q, 17, &err);
	if (err < 0) {
		inn_exec_row_free(r);
		return err;
	}
	*out = r;
	return 0;
}

/* sq_rows() row function: the one execution of a lookup by id. */
static int
exec_get_row(sqlite3_stmt *q, void *ud)
{
	inn_exec_row **out = ud;

	return *out != NULL ? 0 : read_exec_row(q, out);
}

static int
sqlite_exec_get(inn_store *st, int64_t id, inn_exec_row **out)
{
	inn_exec_row *r = NULL;
	int rc;

	rc = sq_rows(SQ(st), ST_EXEC_GET, "reading an execution", exec_get_row, &r, "I", id);
	if (rc == 0 && r == NULL)
		rc = inn_error_set(INN_ENOTFOUND, "no execution %lld", (long long)id);
	if (rc < 0) {
		inn_exec_row_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* Binds the filter's non-NULL fields as ?1..?4 and ?7 (the numbers that
 * sqlite_exec_list() used). */
static int
bind_filter(sqlite3_stmt *q, const char *const vals[5])
{
	int i;

	for (i = 0; i < 5; i++)
		if (vals[i] != NULL && bind_text(q, i < 4 ? i + 1 : 7, vals[i]) != SQLITE_OK)
			return -1;
	return 0;
}

/* Newest first: created_ms, then id for rows created in the same ms.  The
 * WHERE names only the filter's non-NULL columns, so SQLite can use their
 * indexes (an "?N IS NULL OR col = ?N" form would scan). */
static int
sqlite_exec_list(inn_store *st, const inn_exec_filter *f, inn_exec_row ***rows, size_t *n,
                 int64_t *total)
{
	static const char *const cols[4] = { "app", "status", "workflow", "team" };
	/* a key without a team: its own executions without a team */
	const char *const vals[5] = { f->app, f->status, f->workflow, f->team,
	                              f->team == NULL ? f->user : NULL };
	struct sqlite_store *s = SQ(st);
	char where[256], sql[1024];
	sqlite3_stmt *cq = NULL, *q = NULL;
	inn_exec_row **list = NULL;
	size_t count = 0, off = 0;
	int rc = 0, i, step;

	off = (size_t)snprintf(where, sizeof(where), "WHERE 1");
	for (i = 0; i < 4; i++)
		if (vals[i] != NULL)
			off += (size_t)snprintf(where + off, sizeof(where) - off, " AND %s = ?%d",
			                        cols[i], i + 1);
	if (vals[4] != NULL)
		off += (size_t)snprintf(where + off, sizeof(where) - off,
		                        " AND team IS NULL AND created_by = ?7");
	if ((list = calloc((size_t)f->page_size, sizeof(*list))) == NULL)
		return inn_error_set(INN_ENOMEM, "store: out of memory listing executions");

	pthread_mutex_lock(&s->lock);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM executions %s", where);
	if (sqlite3_prepare_v2(s->db, sql, -1, &cq, NULL) != SQLITE_OK) {
		rc = db_fail(s, "counting executions");
		goto out;
	}
	snprintf(sql, sizeof(sql), "SELECT " EXEC_COLS " FROM executions %s "
	         "ORDER BY created_ms DESC, id DESC LIMIT ?5 OFFSET ?6", where);
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) {
		rc = db_fail(s, "listing executions");
		goto out;
	}
	if (bind_filter(cq, vals) < 0 || bind_filter(q, vals) < 0 ||
	    sqlite3_bind_int(q, 5, f->page_size) != SQLITE_OK ||
	    sqlite3_bind_int64(q, 6, (int64_t)(f->page - 1) * f->page_size) != SQLITE_OK) {
		rc = bind_fail(s);
		goto out;
	}
	if (sqlite3_step(cq) != SQLITE_ROW) {
		rc = db_fail(s, "counting executions");
		goto out;
	}
	if (total != NULL)
		*total = sqlite3_column_int64(cq, 0);
	while ((step = sqlite3_step(q)) == SQLITE_ROW && count < (size_t)f->page_size) {
		if ((rc = read_exec_row(q, &list[count])) < 0)
			goto out;
		count++;
	}
	if (step != SQLITE_DONE && step != SQLITE_ROW)
		rc = db_fail(s, "listing executions");
out:
	sqlite3_finalize(cq);
	sqlite3_finalize(q);
	pthread_mutex_unlock(&s->lock);
	if (rc < 0) {
		inn_exec_rows_free(list, count);
		if (total != NULL)
			*total = 0;
		return rc;
	}
	*rows = list;
	*n = count;
	return 0;
}

static int
fill_id(sqlite3_stmt *q, void *row, void *ud)
{
	(void)ud;
	*(int64_t *)row = sqlite3_column_int64(q, 0);
	return 0;
}

static int
sqlite_exec_ids_with_status(inn_store *st, const char *status, int64_t **ids, size_t *n)
{
	struct sq_list l = { .size = sizeof(**ids), .fill = fill_id };
	int rc;

	rc = sq_rows(SQ(st), ST_EXEC_IDS, "listing executions by status", list_row, &l, "t",
	             status);
	if (rc < 0) {
		free(l.list);
		return rc;
	}
	*ids = l.list;
	*n = l.count;
	return 0;
}

/* ---- steps ----------------------------------------------------------------- */

static int
sqlite_step_put(inn_store *st, int64_t exec_id, const inn_step_row *row)
{
	struct sq_done done;
	char *outputs;
	int rc;

	if ((rc = inn_store_json_text(row->outputs, &outputs)) < 0)
		return rc;
	rc = sq_exec(SQ(st), &done, ST_STEP_PUT, "storing a step", "IitttitIItt", exec_id,
	             row->idx, row->name, row->type, row->status, row->attempts, row->message,
	             row->started_ms, row->ended_ms, outputs, row->sealed_outputs);
	if (rc < 0 && done.fk)
		rc = inn_error_set(INN_ENOTFOUND, "no execution %lld", (long long)exec_id);
	free(outputs);
	return rc;
}

static int
fill_step(sqlite3_stmt *q, void *row, void *ud)
{
	inn_step_row *r = row;
	int rc = 0;

	r->idx = sqlite3_column_int(q, 0);
	r->name = col_text(q, 1, &rc);
	r->type = col_text(q, 2, &rc);
	r->status = col_text(q, 3, &rc);
	r->attempts = sqlite3_column_int(q, 4);
	r->message = col_text(q, 5, &rc);
	r->started_ms = sqlite3_column_int64(q, 6);
	r->ended_ms = sqlite3_column_int64(q, 7);
	if (rc == 0)
		r->outputs = col_json(q, 8, "outputs of a step of execution",
		                      *(const int64_t *)ud, &rc);
	r->sealed_outputs = col_text(q, 9, &rc);
	return rc;
}

static int
sqlite_steps_get(inn_store *st, int64_t exec_id, inn_step_row **rows, size_t *n)
{
	struct sq_list l = { .size = sizeof(**rows), .fill = fill_step, .ud = &exec_id };
	int rc;

	rc = sq_rows(SQ(st), ST_STEPS_GET, "reading steps", list_row, &l, "I", exec_id);
	if (rc < 0) {
		inn_step_rows_free(l.list, l.count);
		return rc;
	}
	*rows = l.list;
	*n = l.count;
	return 0;
}

/* ---- step logs ---------------------------------------------------------- */

/* The hot path: one cached INSERT in autocommit mode.  WAL with
 * synchronous=NORMAL makes that an append to the -wal file, no fsync. */
static int
sqlite_log_append(inn_store *st, int64_t exec_id, const char *step, int level, int stream,
                  const char *line, int64_t *seq)
{
	struct sq_done done;
	int rc;

	rc = sq_exec(SQ(st), &done, ST_LOG_APPEND, "appending a log line", "ItiitI", exec_id,
	             step, level, stream, line, inn_store_now_ms());
	if (rc < 0 && done.fk)
		rc = inn_error_set(INN_ENOTFOUND, "no execution %lld", (long long)exec_id);
	else if (rc == 0)
		*seq = done.rowid;
	return rc;
}

static int
fill_log(sqlite3_stmt *q, json_object *o)
{
	int rc;

	if ((rc = jset_int(o, "seq", sqlite3_column_int64(q, 0))) < 0 ||
	    (rc = jset_col_text(o, "step", q, 1)) < 0 ||
	    (rc = jset_int(o, "level", sqlite3_column_int(q, 2))) < 0 ||
	    (rc = jset_int(o, "stream", sqlite3_column_int(q, 3))) < 0 ||
	    (rc = jset_col_text(o, "line", q, 4)) < 0)
		return rc;
	return jset_int(o, "ts", sqlite3_column_int64(q, 5));
}

static int
sqlite_logs_get(inn_store *st, int64_t exec_id, int64_t after, int limit, json_object **lines)
{
	return sq_json_rows(SQ(st), ST_LOGS_GET, "reading log lines", fill_log, lines, "IIi",
	                    exec_id, after, limit);
}

/* ---- events --------------------------------------------------------------- */

static int
sqlite_event_add(inn_store *st, const char *type, int64_t exec_id, const char *team,
                 json_object *data, int64_t *id)
{
	struct sq_done done;
	char *text;
	int rc;

	if ((rc = inn_store_json_text(data, &text)) < 0)
		return rc;
	rc = sq_exec(SQ(st), &done, ST_EVENT_ADD, "recording an event", "tdttI", type, exec_id,
	             team, text, inn_store_now_ms());
	if (rc == 0)
		*id = done.rowid;
	free(text);
	return rc;
}

static int
fill_event(sqlite3_stmt *q, json_object *o)
{
	int64_t id = sqlite3_column_int64(q, 0);
	int rc;

	if ((rc = jset_int(o, "id", id)) < 0 ||
	    (rc = jset_col_text(o, "type", q, 1)) < 0 ||
	    (rc = sqlite3_column_type(q, 2) == SQLITE_NULL
	          ? jset(o, "execution", NULL, 0)
	          : jset_int(o, "execution", sqlite3_column_int64(q, 2))) < 0 ||
	    (rc = jset_col_text(o, "team", q, 3)) < 0 ||
	    (rc = jset_col_json(o, "data", q, 4, id)) < 0)
		return rc;
	return jset_int(o, "ts", sqlite3_column_int64(q, 5));
}

static int
sqlite_events_after(inn_store *st, int64_t after, const char *team, const char *user,
                    int limit, json_object **events)
{
	return sq_json_rows(SQ(st), ST_EVENTS_AFTER, "reading events", fill_event, events,
	                    "Itit", after, team, limit, team == NULL ? user : NULL);
}

/* ---- API keys, users, teams ------------------------------------------------ */

static int
same_text(const unsigned char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == NULL && b == NULL;
	return strcmp((const char *)a, b) == 0;
}

struct user_want {
	const char *name, *role, *team;
	int found;
};

/* sq_rows() row function: an existing user must have the role and team
 * wanted. */
static int
user_row(sqlite3_stmt *q, void *ud)
{
	struct user_want *w = ud;

	w->found = 1;
	if (same_text(sqlite3_column_text(q, 0), w->role) &&
	    same_text(sqlite3_column_text(q, 1), w->team))
		return 0;
	return inn_error_set(INN_EINVAL, "user %s exists with role %s and team %s, "
	                     "not role %s and team %s", w->name,
	                     (const char *)sqlite3_column_text(q, 0),
	                     sqlite3_column_type(q, 1) == SQLITE_NULL ? "(none)"
	                     : (const char *)sqlite3_column_text(q, 1),
	                     w->role, w->team != NULL ? w->team : "(none)");
}

/* The user must be new, or exist with this very role and team: a key
 * request never changes what an existing user may do. */
static int
ensure_user(struct sqlite_store *s, const char *name, const char *role, const char *team,
            int64_t now)
{
	struct user_want w = { name, role, team, 0 };
	int rc;

	if (team != NULL &&
	    (rc = sq_exec(s, NULL, ST_TEAM_ADD, "adding a team", "tI", team, now)) < 0)
		return rc;
	if ((rc = sq_rows(s, ST_USER_GET, "reading a user", user_row, &w, "t", name)) < 0 ||
	    w.found)
		return rc;
	return sq_exec(s, NULL, ST_USER_ADD, "adding a user", "tttI", name, role, team, now);
}

struct key_state {
	const char *name;
	enum stmt_id write;
};

/* sq_rows() row function: a revoked key of that name is renewed, a live
 * one is refused. */
static int
key_state_row(sqlite3_stmt *q, void *ud)
{
	struct key_state *k = ud;

	if (sqlite3_column_int(q, 0) == 0)
		return inn_error_set(INN_EINVAL, "API key %s already exists; revoke it before "
		                     "creating a new one", k->name);
	k->write = ST_KEY_RENEW;
	return 0;
}

/* Stores hash under name: a new key, or a fresh secret for a revoked one
 * (rotation is revoke, then create).  A live key of that name is kept. */
static int
put_key(struct sqlite_store *s, const char *name, const unsigned char *hash, int64_t now)
{
	struct key_state k = { name, ST_KEY_INSERT };
	int rc;

	if ((rc = sq_rows(s, ST_KEY_STATE, "reading an API key", key_state_row, &k, "t",
	                  name)) < 0)
		return rc;
	return sq_exec(s, NULL, k.write, "storing an API key", "tthI", name, name, hash, now);
}

static int
sqlite_key_create(inn_store *st, const char *name, const char *role, const char *team,
                  char **plain)
{
	struct sqlite_store *s = SQ(st);
	unsigned char hash[INN_STORE_KEY_HASH_LEN];
	char key[INN_STORE_KEY_LEN + 1];
	int64_t now = inn_store_now_ms();
	int rc;

	if ((rc = inn_store_key_generate(key, hash)) < 0)
		return rc;
	pthread_mutex_lock(&s->lock);
	if ((rc = sq_exec(s, NULL, ST_BEGIN, "starting a transaction", "")) < 0)
		goto out;
	if ((rc = ensure_user(s, name, role, team, now)) < 0 ||
	    (rc = put_key(s, name, hash, now)) < 0 ||
	    (rc = sq_exec(s, NULL, ST_COMMIT, "committing an API key", "")) < 0) {
		rollback(s);
		goto out;
	}
	if ((*plain = strdup(key)) == NULL)
		rc = inn_error_set(INN_ENOMEM, "store: out of memory");
out:
	pthread_mutex_unlock(&s->lock);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

struct key_found {
	const unsigned char *hash;
	inn_principal *out;
	int found;
};

/* sq_rows() row function: the key whose hash matched, confirmed with
 * CRYPTO_memcmp (no timing signal) and live, is the principal. */
static int
key_lookup_row(sqlite3_stmt *q, void *ud)
{
	struct key_found *k = ud;
	const void *stored = sqlite3_column_blob(q, 0);
	const char *team;

	if (stored == NULL || sqlite3_column_bytes(q, 0) != INN_STORE_KEY_HASH_LEN ||
	    CRYPTO_memcmp(stored, k->hash, INN_STORE_KEY_HASH_LEN) != 0 ||
	    sqlite3_column_int(q, 1) != 0)
		return 0;
	k->found = 1;
	team = (const char *)sqlite3_column_text(q, 4);
	snprintf(k->out->name, sizeof(k->out->name), "%s", (const char *)sqlite3_column_text(q, 2));
	snprintf(k->out->role, sizeof(k->out->role), "%s", (const char *)sqlite3_column_text(q, 3));
	snprintf(k->out->team, sizeof(k->out->team), "%s", team != NULL ? team : "");
	return 0;
}

/* The index on key_hash finds the row; CRYPTO_memcmp then confirms it
 * without a timing signal. */
static int
sqlite_key_lookup(inn_store *st, const char *plain, inn_principal *out)
{
	unsigned char hash[INN_STORE_KEY_HASH_LEN];
	struct key_found k = { hash, out, 0 };
	int rc;

	if ((rc = inn_store_key_hash(plain, hash)) < 0 ||
	    (rc = sq_rows(SQ(st), ST_KEY_LOOKUP, "looking up an API key", key_lookup_row, &k,
	                  "h", hash)) < 0)
		return rc;
	return k.found ? 0 : inn_error_set(INN_ENOTFOUND, "unknown or revoked API key");
}

static int
sqlite_key_revoke(inn_store *st, const char *name)
{
	struct sq_done done;
	int rc;

	rc = sq_exec(SQ(st), &done, ST_KEY_REVOKE, "revoking an API key", "t", name);
	if (rc == 0 && done.changes == 0)
		rc = inn_error_set(INN_ENOTFOUND, "no active API key named %s", name);
	return rc;
}

/* ---- audit ----------------------------------------------------------------- */

static int
sqlite_audit(inn_store *st, const char *who, const char *action, const char *target,
             json_object *detail)
{
	char *text;
	int rc;

	if ((rc = inn_store_json_text(detail, &text)) < 0)
		return rc;
	rc = sq_exec(SQ(st), NULL, ST_AUDIT_ADD, "recording an audit entry", "ttttI", who,
	             action, target, text, inn_store_now_ms());
	free(text);
	return rc;
}

static int
fill_audit(sqlite3_stmt *q, json_object *o)
{
	int64_t id = sqlite3_column_int64(q, 0);
	int rc;

	if ((rc = jset_int(o, "id", id)) < 0 ||
	    (rc = jset_col_text(o, "who", q, 1)) < 0 ||
	    (rc = jset_col_text(o, "action", q, 2)) < 0 ||
	    (rc = jset_col_text(o, "target", q, 3)) < 0 ||
	    (rc = jset_col_json(o, "detail", q, 4, id)) < 0)
		return rc;
	return jset_int(o, "ts", sqlite3_column_int64(q, 5));
}

static int
sqlite_audit_list(inn_store *st, int limit, json_object **entries)
{
	return sq_json_rows(SQ(st), ST_AUDIT_LIST, "reading the audit trail", fill_audit,
	                    entries, "i", limit);
}

/* ---- provider sources ------------------------------------------------------ */

static int
sqlite_source_put(inn_store *st, const inn_source_row *row)
{
	return sq_exec(SQ(st), NULL, ST_SOURCE_PUT, "storing a provider source", "tttttttI",
	               row->name, row->kind, row->url, row->path, row->ref, row->commit,
	               row->added_by, row->added_ms);
}

static int
fill_source(sqlite3_stmt *q, void *row, void *ud)
{
	inn_source_row *r = row;
	int rc = 0;

	(void)ud;
	r->name = col_text(q, 0, &rc);
	r->kind = col_text(q, 1, &rc);
	r->url = col_text(q, 2, &rc);
	r->path = col_text(q, 3, &rc);
	r->ref = col_text(q, 4, &rc);
	r->commit = col_text(q, 5, &rc);
	r->added_by = col_text(q, 6, &rc);
	r->added_ms = sqlite3_column_int64(q, 7);
	return rc;
}

static int
sqlite_source_list(inn_store *st, inn_source_row **rows, size_t *n)
{
	struct sq_list l = { .size = sizeof(**rows), .fill = fill_source };
	int rc;

	rc = sq_rows(SQ(st), ST_SOURCE_LIST, "reading provider sources", list_row, &l, "");
	if (rc < 0) {
		inn_source_rows_free(l.list, l.count);
		return rc;
	}
	*rows = l.list;
	*n = l.count;
	return 0;
}

static int
sqlite_source_delete(inn_store *st, const char *name)
{
	struct sq_done done;
	int rc;

	rc = sq_exec(SQ(st), &done, ST_SOURCE_DELETE, "deleting a provider source", "t", name);
	if (rc == 0 && done.changes == 0)
		rc = inn_error_set(INN_ENOTFOUND, "no provider source named %s", name);
	return rc;
}

/* ---- applications and resources ------------------------------------------- */

static int
sqlite_app_put(inn_store *st, const char *name, const char *team, const char *created_by,
               int any_owner)
{
	struct sq_done done;
	int rc;

	rc = sq_exec(SQ(st), &done, ST_APP_PUT, "storing an application", "tttIi", name, team,
	             created_by, inn_store_now_ms(), any_owner);
	if (rc == 0 && done.changes == 0)
		rc = inn_error_set(INN_EINVAL, "%s belongs to another team%s", name,
		                   team == NULL ? " or key" : "");
	return rc;
}

static int
fill_app(sqlite3_stmt *q, void *row, void *ud)
{
	inn_app_row *r = row;
	int rc = 0;

	(void)ud;
	r->name = col_text(q, 0, &rc);
	r->team = col_text(q, 1, &rc);
	r->created_by = col_text(q, 2, &rc);
	r->created_ms = sqlite3_column_int64(q, 3);
	r->updated_ms = sqlite3_column_int64(q, 4);
	return rc;
}

static int
sqlite_app_list(inn_store *st, const char *team, const char *user, const char *name,
                inn_app_row **rows, size_t *n)
{
	struct sq_list l = { .size = sizeof(**rows), .fill = fill_app };
	int rc;

	rc = sq_rows(SQ(st), ST_APP_LIST, "reading applications", list_row, &l, "ttt", team,
	             name, team == NULL ? user : NULL);
	if (rc < 0) {
		inn_app_rows_free(l.list, l.count);
		return rc;
	}
	*rows = l.list;
	*n = l.count;
	return 0;
}

static int
sqlite_resource_put(inn_store *st, const inn_resource_row *row)
{
	struct sq_done done;
	char *outputs;
	int rc;

	if ((rc = inn_store_json_text(row->outputs, &outputs)) < 0)
		return rc;
	rc = sq_exec(SQ(st), &done, ST_RES_PUT, "storing a resource", "ttttttI", row->app,
	             row->name, row->type, row->provider, row->status, outputs,
	             inn_store_now_ms());
	if (rc < 0 && done.fk)
		rc = inn_error_set(INN_ENOTFOUND, "no application %s", row->app);
	free(outputs);
	return rc;
}

static int
fill_resource(sqlite3_stmt *q, void *row, void *ud)
{
	inn_resource_row *r = row;
	int rc = 0;

	(void)ud;
	r->app = col_text(q, 0, &rc);
	r->name = col_text(q, 1, &rc);
	r->type = col_text(q, 2, &rc);
	r->provider = col_text(q, 3, &rc);
	r->status = col_text(q, 4, &rc);
	if (rc == 0)
		r->outputs = col_json(q, 5, "outputs of a resource of application", 0, &rc);
	r->updated_ms = sqlite3_column_int64(q, 6);
	return rc;
}

static int
sqlite_resource_list(inn_store *st, const char *team, const char *user, const char *app,
                     inn_resource_row **rows, size_t *n)
{
	struct sq_list l = { .size = sizeof(**rows), .fill = fill_resource };
	int rc;

	rc = sq_rows(SQ(st), ST_RES_LIST, "reading resources", list_row, &l, "ttt", team, app,
	             team == NULL ? user : NULL);
	if (rc < 0) {
		inn_resource_rows_free(l.list, l.count);
		return rc;
	}
	*rows = l.list;
	*n = l.count;
	return 0;
}

const struct inn_store_ops inn_store_sqlite_ops = {
	.scheme = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.ping = sqlite_ping,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.schema_version = sqlite_schema_version,
	.exec_create = sqlite_exec_create,
	.exec_update = sqlite_exec_update,
	.exec_get = sqlite_exec_get,
	.exec_list = sqlite_exec_list,
	.exec_ids_with_status = sqlite_exec_ids_with_status,
	.step_put = sqlite_step_put,
	.steps_get = sqlite_steps_get,
	.log_append = sqlite_log_append,
	.logs_get = sqlite_logs_get,
	.event_add = sqlite_event_add,
	.events_after = sqlite_events_after,
	.key_create = sqlite_key_create,
	.key_lookup = sqlite_key_lookup,
	.key_revoke = sqlite_key_revoke,
	.audit = sqlite_audit,
	.audit_list = sqlite_audit_list,
	.source_put = sqlite_source_put,
	.source_list = sqlite_source_list,
	.source_delete = sqlite_source_delete,
	.app_put = sqlite_app_put,
	.app_list = sqlite_app_list,
	.resource_put = sqlite_resource_put,
	.resource_list = sqlite_resource_list,
};
