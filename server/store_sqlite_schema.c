/*
 * store_sqlite_schema.c - the SQLite backend's SQL text: the numbered
 * schema migrations and the fixed statements the operations prepare once.
 *
 * Schema changes are the numbered entries of inn_sq_migrations[]:
 * migration N runs in its own transaction together with its
 * schema_migrations row (store_sqlite.c, migrate()), so a crash leaves the
 * store at N-1 or N, never between.  Append, never edit: a store already
 * at N has run the old text.  Every value is bound as a parameter.
 */
#include "store_sqlite_int.h"

/* ---- schema ------------------------------------------------------------ */

const char *const inn_sq_migrations[] = {
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

	/* 7: the lifecycle of an application's resources (deploy, update,
	 * delete): each resource's state word, what it was applied with
	 * (params masked, the real ones sealed; its fingerprint), its
	 * dependencies and the execution that touched it last; an
	 * application's last spec (masked), status, expiry and whether it was
	 * ever deployed.  The old final-state words become lifecycle ones. */
	"ALTER TABLE resources ADD COLUMN message TEXT;"
	"ALTER TABLE resources ADD COLUMN params TEXT;"
	"ALTER TABLE resources ADD COLUMN sealed_params TEXT;"
	"ALTER TABLE resources ADD COLUMN sealed_outputs TEXT;"
	"ALTER TABLE resources ADD COLUMN secret_keys TEXT;"
	"ALTER TABLE resources ADD COLUMN fingerprint TEXT;"
	"ALTER TABLE resources ADD COLUMN depends_on TEXT;"
	"ALTER TABLE resources ADD COLUMN exec_id INTEGER;"
	"UPDATE resources SET status = CASE status WHEN 'succeeded' THEN 'active' "
	"  WHEN 'would-run' THEN 'requested' ELSE 'failed' END;"
	"ALTER TABLE applications ADD COLUMN spec TEXT;"
	"ALTER TABLE applications ADD COLUMN status TEXT;"
	"ALTER TABLE applications ADD COLUMN expires_ms INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE applications ADD COLUMN deployed_ok INTEGER NOT NULL DEFAULT 0;",

	/* 8: several servers on one store.  An execution's owner is the
	 * replica that runs it (NULL: any may take it); a replica's lease is
	 * renewed while it lives (store.h).  cluster holds store-wide
	 * counters: catalog_gen, bumped when the providers change.  A store
	 * made before this migration has no owners: its pending and running
	 * executions are adopted at the next start, as before. */
	"ALTER TABLE executions ADD COLUMN owner TEXT;"
	"CREATE INDEX executions_owner ON executions(owner, status);"
	"CREATE TABLE replicas ("
	"  id TEXT PRIMARY KEY,"
	"  host TEXT,"
	"  pid INTEGER NOT NULL DEFAULT 0,"
	"  started_ms INTEGER NOT NULL,"
	"  seen_ms INTEGER NOT NULL,"
	"  lease_until_ms INTEGER NOT NULL);"
	"CREATE TABLE cluster ("
	"  name TEXT PRIMARY KEY,"
	"  value INTEGER NOT NULL);"
	"INSERT INTO cluster (name, value) VALUES ('catalog_gen', 0);",

	/* 9: the steps each step waits for (a JSON array of step names), as
	 * the run orders them, for the step graph; NULL in the steps of
	 * executions recorded before it. */
	"ALTER TABLE steps ADD COLUMN depends_on TEXT;",

	/* 10: an execution's retries, found by the one they retry (its
	 * retried_by; no second retry while one is pending or running) */
	"CREATE INDEX executions_retry_of ON executions(retry_of);",
};

const int inn_sq_schema_version =
	(int)(sizeof(inn_sq_migrations) / sizeof(inn_sq_migrations[0]));

/* ---- cached statements ------------------------------------------------- */

/* Who sees an application (columns prefixed p): everyone when neither a
 * team (?1) nor a key without a team (?3) is given, a team its own, and a
 * key without a team the applications without a team that it created. */
#define APP_VISIBLE(p) "((?1 IS NULL AND ?3 IS NULL) OR " p "team = ?1 OR " \
	"(?1 IS NULL AND " p "team IS NULL AND " p "created_by = ?3))"

const char *const inn_sq_stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_PING] = "SELECT 1",
	[ST_VERSION] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
	[ST_EXEC_INSERT] = "INSERT INTO executions (workflow, kind, app, team, created_by, "
		"status, message, params, spec, outputs, dry_run, resumable, retry_of, "
		"created_ms, started_ms, ended_ms, sealed_inputs, owner) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
	[ST_EXEC_UPDATE] = "UPDATE executions SET status = COALESCE(?2, status), "
		"message = COALESCE(?3, message), "
		"started_ms = CASE WHEN ?4 > 0 THEN ?4 ELSE started_ms END, "
		"ended_ms = CASE WHEN ?5 > 0 THEN ?5 ELSE ended_ms END, "
		"outputs = COALESCE(?6, outputs) WHERE id = ?1",
	[ST_EXEC_GET] = "SELECT " EXEC_COLS " FROM executions WHERE id = ?1",
	[ST_EXEC_IDS] = "SELECT id FROM executions WHERE status = ?1 ORDER BY id",
	[ST_EXEC_RETRIED_BY] = "SELECT id FROM executions WHERE retry_of = ?1 ORDER BY id DESC "
		"LIMIT 1",
	[ST_STEP_PUT] = "INSERT INTO steps (exec_id, idx, name, type, status, "
		"attempts, message, started_ms, ended_ms, outputs, sealed_outputs, depends_on) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) " INN_STORE_STEP_UPSERT,
	[ST_STEPS_GET] = "SELECT idx, name, type, status, attempts, message, started_ms, "
		"ended_ms, outputs, sealed_outputs, depends_on FROM steps WHERE exec_id = ?1 "
		"ORDER BY idx",
	[ST_LOG_APPEND] = "INSERT INTO step_logs (exec_id, step, level, stream, line, ts_ms) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_LOGS_GET] = "SELECT seq, step, level, stream, line, ts_ms FROM step_logs "
		"WHERE exec_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
	/* inn_scrub(): the SQL function store_sqlite.c registers */
	[ST_LOGS_SCRUB] = "UPDATE step_logs SET line = inn_scrub(line) "
		"WHERE exec_id = ?1 AND step = ?2 AND inn_scrub(line) IS NOT line",
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
	[ST_KEY_LIST] = "SELECT k.name, u.role, u.team, k.created_ms, k.revoked "
		"FROM api_keys k JOIN users u ON u.name = k.user_name ORDER BY k.name",
	[ST_AUDIT_ADD] = "INSERT INTO audit (who, action, target, detail, ts_ms) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_AUDIT_LIST] = "SELECT id, who, action, target, detail, ts_ms FROM audit "
		"WHERE id < ?2 ORDER BY id DESC LIMIT ?1",
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
	[ST_APP_LIST] = "SELECT name, team, created_by, created_ms, updated_ms, spec, status, "
		"expires_ms, deployed_ok FROM applications "
		"WHERE " APP_VISIBLE("") " AND (?2 IS NULL OR name = ?2) "
		"ORDER BY name LIMIT 10000",
	[ST_RES_PUT] = "INSERT OR REPLACE INTO resources (app, name, type, provider, status, "
		"outputs, updated_ms, message, params, sealed_params, sealed_outputs, secret_keys, "
		"fingerprint, depends_on, exec_id) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[ST_RES_LIST] = "SELECT r.app, r.name, r.type, r.provider, r.status, r.outputs, "
		"r.updated_ms, r.message, r.params, r.sealed_params, r.sealed_outputs, "
		"r.secret_keys, r.fingerprint, r.depends_on, r.exec_id "
		"FROM resources r JOIN applications a ON a.name = r.app "
		"WHERE " APP_VISIBLE("a.") " AND (?2 IS NULL OR r.app = ?2) "
		"ORDER BY r.app, r.name LIMIT 10000",
	/* NULL / negative: kept */
	[ST_APP_UPDATE] = "UPDATE applications SET updated_ms = ?2, "
		"status = COALESCE(?3, status), spec = COALESCE(?4, spec), "
		"expires_ms = CASE WHEN ?5 >= 0 THEN ?5 ELSE expires_ms END, "
		"deployed_ok = CASE WHEN ?6 >= 0 THEN ?6 ELSE deployed_ok END WHERE name = ?1",
	[ST_APP_DELETE] = "DELETE FROM applications WHERE name = ?1",
	[ST_RES_DELETE] = "DELETE FROM resources WHERE app = ?1 AND name = ?2",
	/* replicas (store_sqlite_cluster.c): ?1 is the replica, times are ms */
#define REPL_LIVE(me, now) "EXISTS (SELECT 1 FROM replicas WHERE id = " me \
	" AND lease_until_ms >= " now ")"
	[ST_REPL_JOIN] = "INSERT OR REPLACE INTO replicas (id, host, pid, started_ms, seen_ms, "
		"lease_until_ms) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
	[ST_REPL_EXPIRE] = "DELETE FROM replicas WHERE id <> ?1",
	[ST_REPL_BEAT] = "UPDATE replicas SET seen_ms = ?2, lease_until_ms = ?3 "
		"WHERE id = ?1 AND lease_until_ms >= ?2",
	[ST_REPL_LEAVE] = "DELETE FROM replicas WHERE id = ?1",
	[ST_REPL_LIST] = "SELECT id, host, pid, started_ms, seen_ms, lease_until_ms, "
		"lease_until_ms >= ?1 FROM replicas ORDER BY id",
	[ST_EXEC_CLAIM] = "UPDATE executions SET status = 'running', started_ms = ?3 "
		"WHERE id = ?2 AND owner = ?1 AND status = 'pending' AND " REPL_LIVE("?1", "?4"),
	[ST_EXEC_FENCE] = "SELECT 1 FROM executions WHERE id = ?2 AND owner = ?1 AND "
		REPL_LIVE("?1", "?3"),
	[ST_EXEC_ORPHANS] = "SELECT id FROM executions WHERE status IN ('pending', 'running') "
		"AND (owner IS NULL OR NOT " REPL_LIVE("owner", "?1") ") ORDER BY id LIMIT ?2",
	[ST_EXEC_OWN] = "UPDATE executions SET owner = ?1 WHERE id = ?2",
	/* ?2 = 0: every pending one of ?1 */
	[ST_EXEC_RELEASE] = "UPDATE executions SET owner = NULL WHERE owner = ?1 AND "
		"status = 'pending' AND (?2 = 0 OR id = ?2)",
	[ST_CATALOG_BUMP] = "UPDATE cluster SET value = value + 1 WHERE name = 'catalog_gen'",
	[ST_CATALOG_GET] = "SELECT value FROM cluster WHERE name = 'catalog_gen'",
};