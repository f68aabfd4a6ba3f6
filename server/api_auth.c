/*
 * api_auth.c - API keys at the API: who a request is (its bearer key,
 * checked through auth.c) and whether the route lets it in, who the
 * caller is (GET /api/me), and the admin routes that create and revoke keys.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/keyvalq_struct.h>

#include "api_int.h"
#include "error.h"
#include "http_sse.h"

int
inn_api_authenticate(struct api_call *c, enum api_access need)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(c->req),
	                                   "Authorization");
	int rc;

	memset(&c->who, 0, sizeof(c->who));
	if (need == API_PUBLIC)
		return 0;
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
		atomic_fetch_add(&c->srv->m_unauthorized, 1);
		inn_http_error(c->req, 401, "unauthorized", "an API key is required "
		               "(Authorization: Bearer <key>)");
		return -1;
	}
	if ((rc = inn_auth_key_check(c->srv->store, h + 7, &c->who.p)) != 0) {
		if (rc != INN_ENOTFOUND) {
			/* the store did not answer: not the key's fault */
			inn_http_error(c->req, 503, "store_unavailable", "cannot check the API key: "
			               "%s", inn_error_last());
			return -1;
		}
		atomic_fetch_add(&c->srv->m_unauthorized, 1);
		inn_http_error(c->req, 401, "unauthorized", "unknown or revoked API key");
		return -1;
	}
	c->who.admin = strcmp(c->who.p.role, "admin") == 0;
	if (need == API_ADMIN && !c->who.admin) {
		inn_http_error(c->req, 403, "forbidden", "this route needs an admin key; \"%s\" is "
		               "a %s key", c->who.p.name, c->who.p.role);
		return -1;
	}
	return 0;
}

void
inn_api_me(struct api_call *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(c->who.p.name));
	json_object_object_add(o, "role", json_object_new_string(c->who.p.role));
	/* no team: null, as the key list shows it */
	json_object_object_add(o, "team", c->who.p.team[0] != '\0' ?
	                       json_object_new_string(c->who.p.team) : NULL);
	inn_api_reply(c, 200, o);
}

/* What the store knows of key name: KEY_NONE, KEY_LIVE or KEY_REVOKED
 * (live wins: a name revoked and created again), *admin whether it is a
 * live admin key, and *live_admins the count of live admin keys.  -1 when
 * the store does not answer. */
enum { KEY_NONE, KEY_LIVE, KEY_REVOKED };

static int
key_state(struct api_call *c, const char *name, int *live_admins, int *admin)
{
	json_object *keys = NULL, *k, *v;
	size_t i;
	int st = KEY_NONE, live, is_admin;

	*live_admins = *admin = 0;
	if (inn_store_key_list(c->srv->store, &keys) != 0)
		return -1;
	for (i = 0; i < json_object_array_length(keys); i++) {
		k = json_object_array_get_idx(keys, i);
		live = !(json_object_object_get_ex(k, "revoked", &v) && json_object_get_boolean(v));
		is_admin = live && json_object_object_get_ex(k, "role", &v) &&
		           strcmp(json_object_get_string(v), "admin") == 0;
		*live_admins += is_admin;
		if (json_object_object_get_ex(k, "name", &v) &&
		    strcmp(json_object_get_string(v), name) == 0 && st != KEY_LIVE) {
			st = live ? KEY_LIVE : KEY_REVOKED;
			*admin = is_admin;
		}
	}
	json_object_put(keys);
	return st;
}

void
inn_api_admin_key_revoke(struct api_call *c)
{
	json_object *o;
	int admins, admin, st = key_state(c, c->arg, &admins, &admin);

	if (st < 0) {
		inn_http_error(c->req, 503, "store_unavailable", "cannot read the keys: %s",
		               inn_error_last());
		return;
	}
	if (st == KEY_REVOKED) {
		inn_http_error(c->req, 404, "not_found", "key \"%s\" is already revoked", c->arg);
		return;
	}
	/* with no live admin key left, only --create-admin-key on the server
	 * host could make one again: every admin locked out over the API */
	if (st == KEY_LIVE && admin && admins <= 1) {
		inn_http_error(c->req, 409, "last_admin_key", "\"%s\" is the last live admin "
		               "key; revoking it would lock every admin out: create another "
		               "admin key first", c->arg);
		return;
	}
	if (inn_store_key_revoke(c->srv->store, c->arg) != 0) {
		inn_http_error(c->req, 404, "not_found", "no key named \"%s\"", c->arg);
		return;
	}
	inn_auth_forget_keys();
	/* a stream opened with the key must not outlive it, here or on any
	 * other replica of the store (they act on this event: http_sse.c) */
	inn_sse_end_key(c->srv, c->arg);
	{
		json_object *d = json_object_new_object();
		int64_t ev = 0;

		json_object_object_add(d, "key", json_object_new_string(c->arg));
		inn_store_event_add(c->srv->store, "key.revoked", 0, NULL, d, &ev);
		json_object_put(d);
	}
	inn_store_audit(c->srv->store, c->who.p.name, "key.revoke", c->arg, NULL);
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(c->arg));
	json_object_object_add(o, "revoked", json_object_new_boolean(1));
	inn_api_reply(c, 200, o);
}

void
inn_api_admin_keys(struct api_call *c)
{
	json_object *body = inn_http_body_json(c->srv, c->req), *v, *o;
	const char *name = NULL, *role = "user", *team = "";
	char *plain = NULL;
	int team_given = 0;

	if (body == NULL)
		return;
	if (json_object_object_get_ex(body, "name", &v) && json_object_is_type(v, json_type_string))
		name = json_object_get_string(v);
	if (json_object_object_get_ex(body, "role", &v))
		role = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
	/* a team that is not a string must not quietly make a key without a team */
	if (json_object_object_get_ex(body, "team", &v) && v != NULL) {
		team = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
		team_given = 1;
	}
	if (name == NULL || *name == '\0' || team == NULL ||
	    (strcmp(role, "admin") != 0 && strcmp(role, "user") != 0)) {
		inn_http_error(c->req, 400, "invalid_request", "needs \"name\" and \"role\" "
		               "(admin or user), strings; \"team\" optional (a string)");
		json_object_put(body);
		return;
	}
	if (inn_store_name_check("key name", name) != 0 ||
	    /* a given team must be a team name, "" too: omitting "team" makes a team-less key */
	    (team_given && inn_store_name_check("team name", team) != 0)) {
		inn_http_error(c->req, 400, "invalid_request", "%s", inn_error_last());
		json_object_put(body);
		return;
	}
	{
		int admins, admin;

		if (key_state(c, name, &admins, &admin) == KEY_LIVE) {
			inn_http_error(c->req, 409, "conflict", "a key named \"%s\" exists; revoke "
			               "it first to rotate it", name);
			json_object_put(body);
			return;
		}
	}
	if (inn_store_key_create(c->srv->store, name, role, team, &plain) != 0) {
		inn_http_error(c->req, 409, "conflict", "%s", inn_error_last());
		json_object_put(body);
		return;
	}
	/* a rotated key (revoke, create) must not meet a cached entry of its name */
	inn_auth_forget_keys();
	inn_store_audit(c->srv->store, c->who.p.name, "key.create", name, NULL);
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "role", json_object_new_string(role));
	/* no team: null, as the key list shows it */
	json_object_object_add(o, "team", *team ? json_object_new_string(team) : NULL);
	json_object_object_add(o, "key", json_object_new_string(plain));
	inn_api_reply(c, 201, o);
	free(plain);
	json_object_put(body);
}
