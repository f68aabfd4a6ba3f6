/*
 * store_pg_admin.c - the PostgreSQL backend's records of who may call and
 * what they did (teams, users, API keys, the audit trail) and of what the
 * catalog and the runs built (provider sources, applications, resources):
 * each operation one call of the statement helper (store_pg_int.h) and a
 * row reader; a key's creation is one transaction.
 */
#include "config.h"

#include "store_pg_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "error.h"

/* Runs the fixed statement id bound to name alone; INN_ENOTFOUND
 * ("MISSING NAME") when it changes no row. */
static int
change_named(inn_store *st, int id, const char *what, const char *missing, const char *name)
{
	struct pg_done done;
	int rc = inn_pg_run(PG(st), NULL, &done, what, id, NULL, "t", name);

	if (rc == 0 && done.changes == 0)
		rc = inn_error_set(INN_ENOTFOUND, "%s %s", missing, name);
	return rc;
}

/* ---- API keys, users, teams ------------------------------------------------ */

static int
same_text(const PGresult *r, int col, const char *b)
{
	if (PQgetisnull(r, 0, col) || b == NULL)
		return PQgetisnull(r, 0, col) && b == NULL;
	return strcmp(PQgetvalue(r, 0, col), b) == 0;
}

/* The user must be new, or exist with this very role and team. */
static int
ensure_user(struct pg_store *s, struct pg_conn *pc, const char *name, const char *role,
            const char *team, int64_t now)
{
	PGresult *r = NULL;
	int rc;

	if (team != NULL && (rc = inn_pg_q(s, pc, NULL, NULL, "adding a team", PQ_TEAM_ADD, NULL,
	                                   "tI", team, now)) < 0)
		return rc;
	if ((rc = inn_pg_q(s, pc, &r, NULL, "reading a user", PQ_USER_GET, NULL, "t", name)) < 0)
		return rc;
	if (PQntuples(r) > 0) {
		if (!same_text(r, 0, role) || !same_text(r, 1, team))
			rc = inn_error_set(INN_EINVAL, "user %s exists with role %s and team %s, "
			                   "not role %s and team %s", name, PQgetvalue(r, 0, 0),
			                   PQgetisnull(r, 0, 1) ? "(none)" : PQgetvalue(r, 0, 1),
			                   role, team != NULL ? team : "(none)");
		PQclear(r);
		return rc;
	}
	PQclear(r);
	return inn_pg_q(s, pc, NULL, NULL, "adding a user", PQ_USER_ADD, NULL, "tttI", name, role,
	                team, now);
}

/* Stores hash under name: a new key, or a fresh secret for a revoked one. */
static int
put_key(struct pg_store *s, struct pg_conn *pc, const char *name, const unsigned char *hash,
        int64_t now)
{
	PGresult *r = NULL;
	int rc, write = PQ_KEY_INSERT;

	if ((rc = inn_pg_q(s, pc, &r, NULL, "reading an API key", PQ_KEY_STATE, NULL, "t",
	                   name)) < 0)
		return rc;
	if (PQntuples(r) > 0) {
		if (inn_pg_int(r, 0, 0) == 0)
			rc = inn_error_set(INN_EINVAL, "API key %s already exists; revoke it before "
			                   "creating a new one", name);
		write = PQ_KEY_RENEW;
	}
	PQclear(r);
	if (rc < 0)
		return rc;
	return inn_pg_q(s, pc, NULL, NULL, "storing an API key", write, NULL, "tthI", name, name,
	                hash, now);
}

int
inn_pg_key_create(inn_store *st, const char *name, const char *role, const char *team,
                  char **plain)
{
	struct pg_store *s = PG(st);
	unsigned char hash[INN_STORE_KEY_HASH_LEN];
	char key[INN_STORE_KEY_LEN + 1];
	int64_t now = inn_wall_ms();
	struct pg_conn *pc;
	int rc;

	if ((rc = inn_store_key_generate(key, hash)) < 0)
		return rc;
	if ((rc = inn_pg_get(s, &pc)) < 0)
		goto out;
	if ((rc = inn_pg_cmd(s, pc, "BEGIN", "starting a transaction")) == 0) {
		if ((rc = ensure_user(s, pc, name, role, team, now)) < 0 ||
		    (rc = put_key(s, pc, name, hash, now)) < 0 ||
		    (rc = inn_pg_cmd(s, pc, "COMMIT", "committing an API key")) < 0)
			inn_pg_rollback(pc);
	}
	inn_pg_put(s, pc);
	if (rc == 0 && (*plain = strdup(key)) == NULL)
		rc = inn_error_set(INN_ENOMEM, "store: out of memory");
out:
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

/* The index on key_hash finds the row; CRYPTO_memcmp then confirms it
 * (hex of both) without a timing signal. */
int
inn_pg_key_lookup(inn_store *st, const char *plain, inn_principal *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char hash[INN_STORE_KEY_HASH_LEN];
	char want[INN_STORE_KEY_HASH_LEN * 2 + 1];
	PGresult *r = NULL;
	int rc, i, found = 0;

	if ((rc = inn_store_key_hash(plain, hash)) < 0 ||
	    (rc = inn_pg_run(PG(st), &r, NULL, "looking up an API key", PQ_KEY_LOOKUP, NULL, "h",
	                     hash)) < 0)
		return rc;
	for (i = 0; i < INN_STORE_KEY_HASH_LEN; i++) {
		want[2 * i] = hex[hash[i] >> 4];
		want[2 * i + 1] = hex[hash[i] & 0x0f];
	}
	want[sizeof(want) - 1] = '\0';
	if (PQntuples(r) > 0 && PQgetlength(r, 0, 0) == (int)sizeof(want) - 1 &&
	    CRYPTO_memcmp(PQgetvalue(r, 0, 0), want, sizeof(want) - 1) == 0 &&
	    inn_pg_int(r, 0, 1) == 0) {
		found = 1;
		snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(r, 0, 2));
		snprintf(out->role, sizeof(out->role), "%s", PQgetvalue(r, 0, 3));
		snprintf(out->team, sizeof(out->team), "%s", PQgetvalue(r, 0, 4));
	}
	PQclear(r);
	return found ? 0 : inn_error_set(INN_ENOTFOUND, "unknown or revoked API key");
}

int
inn_pg_key_revoke(inn_store *st, const char *name)
{
	return change_named(st, PQ_KEY_REVOKE, "revoking an API key", "no active API key named",
	                    name);
}

static const struct pg_jfield key_fields[] = {
	{ "name", PG_J_TEXT }, { "role", PG_J_TEXT }, { "team", PG_J_TEXT },
	{ "created_ms", PG_J_INT }, { "revoked", PG_J_BOOL }, { NULL, PG_J_INT },
};

int
inn_pg_key_list(inn_store *st, json_object **keys)
{
	PGresult *r = NULL;
	int rc;

	if ((rc = inn_pg_run(PG(st), &r, NULL, "listing API keys", PQ_NONE,
	                     "SELECT k.name, u.role, u.team, k.created_ms, k.revoked "
	                     "FROM api_keys k JOIN users u ON u.name = k.user_name "
	                     "ORDER BY k.name", "")) < 0)
		return rc;
	rc = inn_pg_json_rows(r, key_fields, keys);
	PQclear(r);
	return rc;
}

/* ---- audit ----------------------------------------------------------------- */

int
inn_pg_audit(inn_store *st, const char *who, const char *action, const char *target,
             json_object *detail)
{
	return inn_pg_run(PG(st), NULL, NULL, "recording an audit entry", PQ_AUDIT_ADD, NULL,
	                  "tttjI", who, action, target, detail, inn_wall_ms());
}

static const struct pg_jfield audit_fields[] = {
	{ "id", PG_J_INT }, { "who", PG_J_TEXT }, { "action", PG_J_TEXT },
	{ "target", PG_J_TEXT }, { "detail", PG_J_JSON }, { "ts", PG_J_INT }, { NULL, PG_J_INT },
};

int
inn_pg_audit_list(inn_store *st, int limit, int64_t before, json_object **entries)
{
	PGresult *r = NULL;
	int rc;

	if ((rc = inn_pg_run(PG(st), &r, NULL, "reading the audit trail", PQ_AUDIT_LIST, NULL,
	                     "iI", limit, before)) < 0)
		return rc;
	rc = inn_pg_json_rows(r, audit_fields, entries);
	PQclear(r);
	return rc;
}

/* ---- provider sources ------------------------------------------------------ */

int
inn_pg_source_put(inn_store *st, const inn_source_row *row)
{
	return inn_pg_run(PG(st), NULL, NULL, "storing a provider source", PQ_SOURCE_PUT, NULL,
	                  "tttttttI", row->name, row->kind, row->url, row->path, row->ref,
	                  row->commit, row->added_by, row->added_ms);
}

int
inn_pg_source_list(inn_store *st, inn_source_row **rows, size_t *n)
{
	inn_source_row *list;
	PGresult *r = NULL;
	int rc, i, cnt;

	if ((rc = inn_pg_run(PG(st), &r, NULL, "reading provider sources", PQ_SOURCE_LIST, NULL,
	                     "")) < 0)
		return rc;
	cnt = PQntuples(r);
	if ((list = calloc((size_t)cnt + 1, sizeof(*list))) == NULL) {
		PQclear(r);
		return inn_error_set(INN_ENOMEM, "store: out of memory reading provider sources");
	}
	for (i = 0; i < cnt; i++) {
		inn_source_row *s = &list[i];

		s->name = inn_pg_text(r, i, 0, &rc);
		s->kind = inn_pg_text(r, i, 1, &rc);
		s->url = inn_pg_text(r, i, 2, &rc);
		s->path = inn_pg_text(r, i, 3, &rc);
		s->ref = inn_pg_text(r, i, 4, &rc);
		s->commit = inn_pg_text(r, i, 5, &rc);
		s->added_by = inn_pg_text(r, i, 6, &rc);
		s->added_ms = inn_pg_int(r, i, 7);
	}
	PQclear(r);
	if (rc < 0) {
		inn_source_rows_free(list, (size_t)cnt);
		return rc;
	}
	*rows = list;
	*n = (size_t)cnt;
	return 0;
}

int
inn_pg_source_delete(inn_store *st, const char *name)
{
	return change_named(st, PQ_SOURCE_DELETE, "deleting a provider source",
	                    "no provider source named", name);
}

/* ---- applications and resources ------------------------------------------- */

int
inn_pg_app_put(inn_store *st, const char *name, const char *team, const char *created_by,
               int any_owner)
{
	struct pg_done done;
	int rc;

	rc = inn_pg_run(PG(st), NULL, &done, "storing an application", PQ_APP_PUT, NULL, "tttIi",
	                name, team, created_by, inn_wall_ms(), any_owner != 0);
	if (rc == 0 && done.changes == 0)
		rc = inn_error_set(INN_EINVAL, "%s belongs to another team%s", name,
		                   team == NULL ? " or key" : "");
	return rc;
}

int
inn_pg_app_list(inn_store *st, const char *team, const char *user, const char *name,
                inn_app_row **rows, size_t *n)
{
	inn_app_row *list;
	PGresult *r = NULL;
	int rc, i, cnt;

	if ((rc = inn_pg_run(PG(st), &r, NULL, "reading applications", PQ_APP_LIST, NULL, "ttt",
	                     team, name, team == NULL ? user : NULL)) < 0)
		return rc;
	cnt = PQntuples(r);
	if ((list = calloc((size_t)cnt + 1, sizeof(*list))) == NULL) {
		PQclear(r);
		return inn_error_set(INN_ENOMEM, "store: out of memory reading applications");
	}
	for (i = 0; i < cnt; i++) {
		inn_app_row *a = &list[i];

		a->name = inn_pg_text(r, i, 0, &rc);
		a->team = inn_pg_text(r, i, 1, &rc);
		a->created_by = inn_pg_text(r, i, 2, &rc);
		a->created_ms = inn_pg_int(r, i, 3);
		a->updated_ms = inn_pg_int(r, i, 4);
		if (rc == 0)
			a->spec = inn_pg_json(r, i, 5, "spec of application", 0, &rc);
		a->status = inn_pg_text(r, i, 6, &rc);
		a->expires_ms = inn_pg_int(r, i, 7);
		a->deployed_ok = (int)inn_pg_int(r, i, 8);
	}
	PQclear(r);
	if (rc < 0) {
		inn_app_rows_free(list, (size_t)cnt);
		return rc;
	}
	*rows = list;
	*n = (size_t)cnt;
	return 0;
}

int
inn_pg_resource_put(inn_store *st, const inn_resource_row *row)
{
	struct pg_done done;
	int rc;

	rc = inn_pg_run(PG(st), NULL, &done, "storing a resource", PQ_RES_PUT, NULL,
	                "tttttjItjttjtjd", row->app, row->name, row->type, row->provider,
	                row->status, row->outputs, inn_wall_ms(), row->message, row->params,
	                row->sealed_params, row->sealed_outputs, row->secret_keys,
	                row->fingerprint, row->depends_on, row->exec_id);
	if (rc < 0 && done.fk)
		rc = inn_error_set(INN_ENOTFOUND, "no application %s", row->app);
	return rc;
}

int
inn_pg_resource_list(inn_store *st, const char *team, const char *user, const char *app,
                     inn_resource_row **rows, size_t *n)
{
	inn_resource_row *list;
	PGresult *r = NULL;
	int rc, i, cnt;

	if ((rc = inn_pg_run(PG(st), &r, NULL, "reading resources", PQ_RES_LIST, NULL, "ttt",
	                     team, app, team == NULL ? user : NULL)) < 0)
		return rc;
	cnt = PQntuples(r);
	if ((list = calloc((size_t)cnt + 1, sizeof(*list))) == NULL) {
		PQclear(r);
		return inn_error_set(INN_ENOMEM, "store: out of memory reading resources");
	}
	for (i = 0; i < cnt; i++) {
		inn_resource_row *x = &list[i];

		x->app = inn_pg_text(r, i, 0, &rc);
		x->name = inn_pg_text(r, i, 1, &rc);
		x->type = inn_pg_text(r, i, 2, &rc);
		x->provider = inn_pg_text(r, i, 3, &rc);
		x->status = inn_pg_text(r, i, 4, &rc);
		if (rc == 0)
			x->outputs = inn_pg_json(r, i, 5, "outputs of a resource of application", 0,
			                         &rc);
		x->updated_ms = inn_pg_int(r, i, 6);
		x->message = inn_pg_text(r, i, 7, &rc);
		if (rc == 0)
			x->params = inn_pg_json(r, i, 8, "params of a resource of application", 0,
			                        &rc);
		x->sealed_params = inn_pg_text(r, i, 9, &rc);
		x->sealed_outputs = inn_pg_text(r, i, 10, &rc);
		if (rc == 0)
			x->secret_keys = inn_pg_json(r, i, 11, "secret keys of a resource", 0, &rc);
		x->fingerprint = inn_pg_text(r, i, 12, &rc);
		if (rc == 0)
			x->depends_on = inn_pg_json(r, i, 13, "dependencies of a resource", 0, &rc);
		x->exec_id = inn_pg_int(r, i, 14);
	}
	PQclear(r);
	if (rc < 0) {
		inn_resource_rows_free(list, (size_t)cnt);
		return rc;
	}
	*rows = list;
	*n = (size_t)cnt;
	return 0;
}

int
inn_pg_app_update(inn_store *st, const char *name, const char *status, json_object *spec,
                  int64_t expires_ms, int deployed_ok)
{
	struct pg_done done;
	int rc;

	rc = inn_pg_run(PG(st), NULL, &done, "updating an application", PQ_APP_UPDATE, NULL,
	                "tItjIi", name, inn_wall_ms(), status, spec, expires_ms, deployed_ok);
	if (rc == 0 && done.changes == 0)
		rc = inn_error_set(INN_ENOTFOUND, "no application %s", name);
	return rc;
}

int
inn_pg_app_delete(inn_store *st, const char *name)
{
	return change_named(st, PQ_APP_DELETE, "deleting an application", "no application", name);
}

int
inn_pg_resource_delete(inn_store *st, const char *app, const char *name)
{
	return inn_pg_run(PG(st), NULL, NULL, "deleting a resource", PQ_RES_DELETE, NULL, "tt",
	                  app, name);
}
