/*
 * store_sqlite_admin.c - the SQLite backend's records of who may call and
 * what they did (teams, users, API keys, the audit trail) and of what the
 * catalog and the runs built (provider sources, applications, resources):
 * each operation one call of the statement helper (store_sqlite_int.h) and
 * a row reader.
 */
#include "store_sqlite_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "error.h"

/* Runs the cached statement id, bound to name alone; INN_ENOTFOUND
 * ("MISSING NAME") when it changes no row. */
static int
change_named(inn_store *st, enum stmt_id id, const char *what, const char *missing,
             const char *name)
{
	struct sq_done done;
	int rc = inn_sq_exec(SQ(st), &done, id, what, "t", name);

	if (rc == 0 && done.changes == 0)
		rc = inn_error_set(INN_ENOTFOUND, "%s %s", missing, name);
	return rc;
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

/* inn_sq_rows() row function: an existing user must have the role and team
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
	    (rc = inn_sq_exec(s, NULL, ST_TEAM_ADD, "adding a team", "tI", team, now)) < 0)
		return rc;
	if ((rc = inn_sq_rows(s, ST_USER_GET, "reading a user", user_row, &w, "t", name)) < 0 ||
	    w.found)
		return rc;
	return inn_sq_exec(s, NULL, ST_USER_ADD, "adding a user", "tttI", name, role, team, now);
}

struct key_state {
	const char *name;
	enum stmt_id write;
};

/* inn_sq_rows() row function: a revoked key of that name is renewed, a live
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

	if ((rc = inn_sq_rows(s, ST_KEY_STATE, "reading an API key", key_state_row, &k, "t",
	                      name)) < 0)
		return rc;
	return inn_sq_exec(s, NULL, k.write, "storing an API key", "tthI", name, name, hash, now);
}

int
inn_sqlite_key_create(inn_store *st, const char *name, const char *role, const char *team,
                      char **plain)
{
	struct sqlite_store *s = SQ(st);
	unsigned char hash[INN_STORE_KEY_HASH_LEN];
	char key[INN_STORE_KEY_LEN + 1];
	int64_t now = inn_wall_ms();
	int rc;

	if ((rc = inn_store_key_generate(key, hash)) < 0)
		return rc;
	pthread_mutex_lock(&s->lock);
	if ((rc = inn_sq_exec(s, NULL, ST_BEGIN, "starting a transaction", "")) < 0)
		goto out;
	if ((rc = ensure_user(s, name, role, team, now)) < 0 ||
	    (rc = put_key(s, name, hash, now)) < 0 ||
	    (rc = inn_sq_exec(s, NULL, ST_COMMIT, "committing an API key", "")) < 0) {
		inn_sq_rollback(s);
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

/* inn_sq_rows() row function: the key whose hash matched, confirmed with
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
int
inn_sqlite_key_lookup(inn_store *st, const char *plain, inn_principal *out)
{
	unsigned char hash[INN_STORE_KEY_HASH_LEN];
	struct key_found k = { hash, out, 0 };
	int rc;

	if ((rc = inn_store_key_hash(plain, hash)) < 0 ||
	    (rc = inn_sq_rows(SQ(st), ST_KEY_LOOKUP, "looking up an API key", key_lookup_row, &k,
	                      "h", hash)) < 0)
		return rc;
	return k.found ? 0 : inn_error_set(INN_ENOTFOUND, "unknown or revoked API key");
}

int
inn_sqlite_key_revoke(inn_store *st, const char *name)
{
	return change_named(st, ST_KEY_REVOKE, "revoking an API key", "no active API key named",
	                    name);
}

/* inn_sq_rows() row function: one key's public facts appended to the array ud. */
static int
key_list_row(sqlite3_stmt *q, void *ud)
{
	json_object *k = json_object_new_object();
	const unsigned char *team = sqlite3_column_text(q, 2);

	if (k == NULL)
		return inn_error_set(INN_ENOMEM, "store: out of memory listing API keys");
	json_object_object_add(k, "name", json_object_new_string(
	    (const char *)sqlite3_column_text(q, 0)));
	json_object_object_add(k, "role", json_object_new_string(
	    (const char *)sqlite3_column_text(q, 1)));
	json_object_object_add(k, "team", team != NULL ?
	                       json_object_new_string((const char *)team) : NULL);
	json_object_object_add(k, "created_ms", json_object_new_int64(sqlite3_column_int64(q, 3)));
	json_object_object_add(k, "revoked", json_object_new_boolean(sqlite3_column_int(q, 4)));
	json_object_array_add(ud, k);
	return 0;
}

int
inn_sqlite_key_list(inn_store *st, json_object **keys)
{
	json_object *a = json_object_new_array();
	int rc;

	if (a == NULL)
		return inn_error_set(INN_ENOMEM, "store: out of memory listing API keys");
	if ((rc = inn_sq_rows(SQ(st), ST_KEY_LIST, "listing API keys", key_list_row, a, "")) < 0) {
		json_object_put(a);
		return rc;
	}
	*keys = a;
	return 0;
}

/* ---- audit ----------------------------------------------------------------- */

int
inn_sqlite_audit(inn_store *st, const char *who, const char *action, const char *target,
                 json_object *detail)
{
	return inn_sq_exec(SQ(st), NULL, ST_AUDIT_ADD, "recording an audit entry", "tttjI", who,
	                   action, target, detail, inn_wall_ms());
}

static const struct sq_jfield audit_fields[] = {
	{ "id", SQ_J_INT }, { "who", SQ_J_TEXT }, { "action", SQ_J_TEXT },
	{ "target", SQ_J_TEXT }, { "detail", SQ_J_JSON }, { "ts", SQ_J_INT }, { NULL, SQ_J_INT },
};

int
inn_sqlite_audit_list(inn_store *st, int limit, int64_t before, json_object **entries)
{
	return inn_sq_json_rows(SQ(st), ST_AUDIT_LIST, "reading the audit trail", audit_fields,
	                        entries, "iI", limit, before);
}

/* ---- provider sources ------------------------------------------------------ */

int
inn_sqlite_source_put(inn_store *st, const inn_source_row *row)
{
	return inn_sq_exec(SQ(st), NULL, ST_SOURCE_PUT, "storing a provider source", "tttttttI",
	                   row->name, row->kind, row->url, row->path, row->ref, row->commit,
	                   row->added_by, row->added_ms);
}

static int
fill_source(sqlite3_stmt *q, void *row, void *ud)
{
	inn_source_row *r = row;
	int rc = 0;

	(void)ud;
	INN_SQ_COL_TEXTS(q, 0, &rc, &r->name, &r->kind, &r->url, &r->path, &r->ref, &r->commit,
	                 &r->added_by);
	r->added_ms = sqlite3_column_int64(q, 7);
	return rc;
}

int
inn_sqlite_source_list(inn_store *st, inn_source_row **rows, size_t *n)
{
	struct sq_list l = { .size = sizeof(**rows), .fill = fill_source };
	int rc;

	rc = inn_sq_rows(SQ(st), ST_SOURCE_LIST, "reading provider sources", inn_sq_list_row, &l,
	                 "");
	if (rc < 0) {
		inn_source_rows_free(l.list, l.count);
		return rc;
	}
	*rows = l.list;
	*n = l.count;
	return 0;
}

int
inn_sqlite_source_delete(inn_store *st, const char *name)
{
	return change_named(st, ST_SOURCE_DELETE, "deleting a provider source",
	                    "no provider source named", name);
}

/* ---- applications and resources ------------------------------------------- */

int
inn_sqlite_app_put(inn_store *st, const char *name, const char *team, const char *created_by,
                   int any_owner)
{
	struct sq_done done;
	int rc;

	rc = inn_sq_exec(SQ(st), &done, ST_APP_PUT, "storing an application", "tttIi", name, team,
	                 created_by, inn_wall_ms(), any_owner);
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
	INN_SQ_COL_TEXTS(q, 0, &rc, &r->name, &r->team, &r->created_by);
	r->created_ms = sqlite3_column_int64(q, 3);
	r->updated_ms = sqlite3_column_int64(q, 4);
	if (rc == 0)
		r->spec = inn_sq_col_json(q, 5, "spec of application", 0, &rc);
	if (rc == 0)
		INN_SQ_COL_TEXTS(q, 6, &rc, &r->status);
	r->expires_ms = sqlite3_column_int64(q, 7);
	r->deployed_ok = sqlite3_column_int(q, 8);
	return rc;
}

int
inn_sqlite_app_list(inn_store *st, const char *team, const char *user, const char *name,
                    inn_app_row **rows, size_t *n)
{
	struct sq_list l = { .size = sizeof(**rows), .fill = fill_app };
	int rc;

	rc = inn_sq_rows(SQ(st), ST_APP_LIST, "reading applications", inn_sq_list_row, &l, "ttt",
	                 team, name, team == NULL ? user : NULL);
	if (rc < 0) {
		inn_app_rows_free(l.list, l.count);
		return rc;
	}
	*rows = l.list;
	*n = l.count;
	return 0;
}

int
inn_sqlite_resource_put(inn_store *st, const inn_resource_row *row)
{
	struct sq_done done;
	int rc;

	rc = inn_sq_exec(SQ(st), &done, ST_RES_PUT, "storing a resource", "tttttjItjttjtjd",
	                 row->app, row->name, row->type, row->provider, row->status, row->outputs,
	                 inn_wall_ms(), row->message, row->params, row->sealed_params,
	                 row->sealed_outputs, row->secret_keys, row->fingerprint, row->depends_on,
	                 row->exec_id);
	if (rc < 0 && done.fk)
		rc = inn_error_set(INN_ENOTFOUND, "no application %s", row->app);
	return rc;
}

static int
fill_resource(sqlite3_stmt *q, void *row, void *ud)
{
	inn_resource_row *r = row;
	int rc = 0;

	(void)ud;
	INN_SQ_COL_TEXTS(q, 0, &rc, &r->app, &r->name, &r->type, &r->provider, &r->status);
	if (rc == 0)
		r->outputs = inn_sq_col_json(q, 5, "outputs of a resource of application", 0, &rc);
	r->updated_ms = sqlite3_column_int64(q, 6);
	if (rc == 0)
		INN_SQ_COL_TEXTS(q, 7, &rc, &r->message);
	if (rc == 0)
		r->params = inn_sq_col_json(q, 8, "params of a resource of application", 0, &rc);
	if (rc == 0)
		INN_SQ_COL_TEXTS(q, 9, &rc, &r->sealed_params, &r->sealed_outputs);
	if (rc == 0)
		r->secret_keys = inn_sq_col_json(q, 11, "secret keys of a resource", 0, &rc);
	if (rc == 0)
		INN_SQ_COL_TEXTS(q, 12, &rc, &r->fingerprint);
	if (rc == 0)
		r->depends_on = inn_sq_col_json(q, 13, "dependencies of a resource", 0, &rc);
	r->exec_id = sqlite3_column_int64(q, 14);
	return rc;
}

int
inn_sqlite_resource_list(inn_store *st, const char *team, const char *user, const char *app,
                         inn_resource_row **rows, size_t *n)
{
	struct sq_list l = { .size = sizeof(**rows), .fill = fill_resource };
	int rc;

	rc = inn_sq_rows(SQ(st), ST_RES_LIST, "reading resources", inn_sq_list_row, &l, "ttt", team,
	                 app, team == NULL ? user : NULL);
	if (rc < 0) {
		inn_resource_rows_free(l.list, l.count);
		return rc;
	}
	*rows = l.list;
	*n = l.count;
	return 0;
}

int
inn_sqlite_app_update(inn_store *st, const char *name, const char *status, json_object *spec,
                      int64_t expires_ms, int deployed_ok)
{
	struct sq_done done;
	int rc;

	rc = inn_sq_exec(SQ(st), &done, ST_APP_UPDATE, "updating an application", "tItjIi", name,
	                 inn_wall_ms(), status, spec, expires_ms, deployed_ok);
	if (rc == 0 && done.changes == 0)
		rc = inn_error_set(INN_ENOTFOUND, "no application %s", name);
	return rc;
}

int
inn_sqlite_app_delete(inn_store *st, const char *name)
{
	return change_named(st, ST_APP_DELETE, "deleting an application", "no application",
	                    name);
}

int
inn_sqlite_resource_delete(inn_store *st, const char *app, const char *name)
{
	return inn_sq_exec(SQ(st), NULL, ST_RES_DELETE, "deleting a resource", "tt", app, name);
}
