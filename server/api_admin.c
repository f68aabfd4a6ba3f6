/*
 * api_admin.c - the API's admin routes beside keys: the audit trail and
 * the provider sources (list, add, remove, reload), whose operations
 * (providers.c) report engine statuses that are mapped to HTTP here.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "error.h"
#include "providers.h"

void
inn_api_audit(struct ctx *c)
{
	json_object *entries = NULL;

	if (inn_store_audit_list(c->srv->store, inn_api_query_int(c->req, "limit", 100, 1, 1000),
	                         &entries) != 0) {
		inn_http_error(c->req, 500, "store", "%s", inn_error_last());
		return;
	}
	inn_http_reply_json(c->req, 200, entries);
	json_object_put(entries);
}

/* The provider admin operations clone and fetch git repositories: they
 * run on a request thread (post_work), one at a time; these handlers then
 * only send what they got. */
static pthread_mutex_t providers_lock = PTHREAD_MUTEX_INITIALIZER;

static int
reply_worked(struct ctx *c)
{
	if (!c->worked)
		return 0;
	inn_http_reply_json(c->req, c->status, c->reply);
	return 1;
}

void
inn_api_admin_providers(struct ctx *c)
{
	json_object *reply = NULL;
	int status = inn_providers_list(c->srv, &reply);

	inn_http_reply_json(c->req, status, reply);
	json_object_put(reply);
}

void
inn_api_admin_provider_add(struct ctx *c)
{
	json_object *body, *reply = NULL;
	int status;

	if (reply_worked(c) || (body = inn_http_body_json(c->srv, c->req)) == NULL)
		return;
	status = inn_providers_add(c->srv, &c->who, body, &reply);
	inn_http_reply_json(c->req, status, reply);
	json_object_put(reply);
	json_object_put(body);
}

void
inn_api_admin_provider_remove(struct ctx *c)
{
	json_object *reply = NULL;
	int status;

	if (reply_worked(c))
		return;
	status = inn_providers_remove(c->srv, &c->who, c->arg, &reply);

	inn_http_reply_json(c->req, status, reply);
	json_object_put(reply);
}

void
inn_api_admin_reload(struct ctx *c)
{
	json_object *reply = NULL;
	int status;

	if (reply_worked(c))
		return;
	status = inn_providers_reload(c->srv, &c->who, &reply);

	inn_http_reply_json(c->req, status, reply);
	json_object_put(reply);
}

/* The operations themselves, on a request thread, one at a time. */
void
inn_api_provider_add_work(struct ctx *c)
{
	pthread_mutex_lock(&providers_lock);
	c->status = inn_providers_add(c->srv, &c->who, c->body, &c->reply);
	pthread_mutex_unlock(&providers_lock);
	c->worked = 1;
}

void
inn_api_provider_remove_work(struct ctx *c)
{
	pthread_mutex_lock(&providers_lock);
	c->status = inn_providers_remove(c->srv, &c->who, c->arg, &c->reply);
	pthread_mutex_unlock(&providers_lock);
	c->worked = 1;
}

void
inn_api_reload_work(struct ctx *c)
{
	pthread_mutex_lock(&providers_lock);
	c->status = inn_providers_reload(c->srv, &c->who, &c->reply);
	pthread_mutex_unlock(&providers_lock);
	c->worked = 1;
}
