/*
 * api_admin.c - the API's admin routes beside keys: the audit trail and
 * the provider sources (list, add, remove, reload), whose operations
 * (providers.c) report engine statuses that are mapped to HTTP here.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "error.h"
#include "providers.h"

/* Newest first; before=ID: the entries older than ID (the cursor of the
 * next page: the last id of this one). */
void
inn_api_audit(struct api_call *c)
{
	json_object *entries = NULL;
	int64_t limit, before;

	if (inn_api_query_int(c, "limit", 100, 1, 1000, &limit) != 0 ||
	    inn_api_query_int(c, "before", 0, 1, INT64_MAX, &before) != 0)
		return;
	if (inn_store_audit_list(c->srv->store, (int)limit, before, &entries) != 0) {
		inn_http_error(c->req, 500, "store", "%s", inn_error_last());
		return;
	}
	inn_api_reply(c, 200, entries);
}

/* Who may call, for an admin deciding what to revoke: never a key or its
 * hash (the store does not give them).  Audited: a listing of the keys is
 * a step of an attack as much as of an audit. */
void
inn_api_admin_key_list(struct api_call *c)
{
	json_object *keys = NULL, *o;

	if (inn_store_key_list(c->srv->store, &keys) != 0) {
		inn_http_error(c->req, 500, "store", "%s", inn_error_last());
		return;
	}
	inn_store_audit(c->srv->store, c->who.p.name, "key.list", NULL, NULL);
	o = json_object_new_object();
	json_object_object_add(o, "data", keys);
	inn_api_reply(c, 200, o);
}

/* The provider admin operations clone and fetch git repositories: they
 * run on a request thread (post_work), one at a time; their handlers then
 * only send what they got. */
static pthread_mutex_t providers_lock = PTHREAD_MUTEX_INITIALIZER;

/* *reply = {"error": {code, message, errors}}; returns status.  errors
 * (owned) may be NULL. */
static int
fail(json_object **reply, int status, const char *code, json_object *errors,
     const char *fmt, ...) INN_PRINTF_LIKE(5, 6);

static int
fail(json_object **reply, int status, const char *code, json_object *errors,
     const char *fmt, ...)
{
	json_object *err;
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	*reply = inn_http_error_json(code, msg);
	if (errors != NULL && json_object_object_get_ex(*reply, "error", &err))
		json_object_object_add(err, "errors", errors);
	else
		json_object_put(errors);
	return status;
}

/* The reply to a provider operation's status rc (providers.h), the
 * message in inn_error_last(): *reply and the HTTP status.  out (success)
 * and errors (the lines that refuse a catalog) are moved into *reply;
 * invalid_status and invalid_code say what INN_PROVIDERS_INVALID is for
 * this route. */
static int
provider_reply(int rc, int ok_status, json_object *out, json_object *errors,
               int invalid_status, const char *invalid_code, json_object **reply)
{
	int status = 500;
	const char *code = "internal";
	size_t n;

	if (rc == 0) {
		json_object_put(errors);
		*reply = out;
		return ok_status;
	}
	json_object_put(out);
	switch (rc) {
	case INN_EINVAL: status = 400; code = "invalid_request"; break;
	case INN_ENOTFOUND: status = 404; code = "not_found"; break;
	case INN_PROVIDERS_CONFLICT: status = 409; code = "conflict"; break;
	case INN_PROVIDERS_GIT: status = 400; code = "git"; break;
	case INN_PROVIDERS_INVALID: status = invalid_status; code = invalid_code; break;
	case INN_PROVIDERS_STORE: status = 500; code = "store"; break;
	default: break;
	}
	if (errors == NULL)
		return fail(reply, status, code, NULL, "%s", inn_error_last());
	/* "N errors; the first: LINE" for a message that the CLI prints alone */
	n = json_object_array_length(errors);
	return fail(reply, status, code, errors, "%s: %zu error%s%s%s", inn_error_last(), n,
	            n == 1 ? "" : "s", n ? "; the first: " : "",
	            n ? json_object_get_string(json_object_array_get_idx(errors, 0)) : "");
}

/* A string member of body, or NULL; *bad when present but not a string
 * or too long. */
static const char *
body_str(json_object *body, const char *key, int *bad)
{
	json_object *v;

	if (!json_object_object_get_ex(body, key, &v) || v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) > INN_SOURCE_FIELD_MAX) {
		*bad = 1;
		return NULL;
	}
	return json_object_get_string(v);
}

/* Sends what the operation on the request thread got. */
static void
reply_worked(struct api_call *c)
{
	if (c->worked)
		inn_http_reply_json(c->req, c->status, c->reply);
	else
		inn_http_error(c->req, 500, "internal", "the operation did not run");
}

void
inn_api_admin_providers(struct api_call *c)
{
	json_object *out = NULL, *reply = NULL;
	int rc = inn_providers_list(c->srv, &out);
	int status = provider_reply(rc, 200, out, NULL, 500, "internal", &reply);

	inn_api_reply(c, status, reply);
}

void
inn_api_admin_provider_add(struct api_call *c)
{
	reply_worked(c);
}

void
inn_api_admin_provider_remove(struct api_call *c)
{
	reply_worked(c);
}

void
inn_api_admin_reload(struct api_call *c)
{
	reply_worked(c);
}

/* The operations themselves, on a request thread, one at a time (the
 * lock); the reply is kept for the handler. */
enum provider_op { OP_ADD, OP_REMOVE, OP_RELOAD };

static void
provider_work(struct api_call *c, enum provider_op op)
{
	json_object *out = NULL, *errors = NULL;
	inn_source_spec sp;
	int bad = 0, rc;

	if (op == OP_ADD) {
		sp.name = body_str(c->body, "name", &bad);
		sp.url = body_str(c->body, "git_url", &bad);
		sp.path = body_str(c->body, "path", &bad);
		sp.ref = body_str(c->body, "ref", &bad);
	}
	c->worked = 1;
	if (bad) {
		c->status = fail(&c->reply, 400, "invalid_request", NULL, INN_SOURCE_FIELDS_RULE);
		return;
	}
	pthread_mutex_lock(&providers_lock);
	if (op == OP_ADD)
		rc = inn_providers_add(c->srv, &c->who, &sp, &out, &errors);
	else if (op == OP_REMOVE)
		rc = inn_providers_remove(c->srv, &c->who, c->arg, &errors);
	else
		rc = inn_providers_reload(c->srv, &c->who, &out, &errors);
	pthread_mutex_unlock(&providers_lock);
	if (op == OP_REMOVE && rc == 0) {
		out = json_object_new_object();
		json_object_object_add(out, "name", json_object_new_string(c->arg));
		json_object_object_add(out, "removed", json_object_new_boolean(1));
	}
	if (op == OP_ADD)
		c->status = provider_reply(rc, 201, out, errors, 400, "invalid_provider", &c->reply);
	else if (op == OP_REMOVE)
		c->status = provider_reply(rc, 200, out, errors, 409, "in_use", &c->reply);
	else
		c->status = provider_reply(rc, 200, out, errors, 400, "invalid_catalog", &c->reply);
}

void
inn_api_provider_add_work(struct api_call *c)
{
	provider_work(c, OP_ADD);
}

void
inn_api_provider_remove_work(struct api_call *c)
{
	provider_work(c, OP_REMOVE);
}

void
inn_api_reload_work(struct api_call *c)
{
	provider_work(c, OP_RELOAD);
}
