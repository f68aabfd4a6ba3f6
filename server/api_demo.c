/*
 * api_demo.c - the demo environment over the API, admin only:
 * POST /api/demo/time (?dry_run=true), GET /api/demo/status, POST
 * /api/demo/nuke.  The engine does the work (server/core/demo.c) on a
 * request thread (the route's _work part), never on the loop thread; one
 * demo operation at a time.  The demo folder is $INNOMINATUS_DEMO_DIR,
 * else the installed one; the cluster's kubeconfig
 * $INNOMINATUS_DEMO_KUBECONFIG, else $KUBECONFIG, else ~/.kube/config.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "demo.h"
#include "error.h"

static pthread_mutex_t demo_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : def;
}

static void
set_error(struct api_call *c, int status, const char *code, const char *msg,
          json_object *extra_key_val, const char *extra_key)
{
	json_object *o = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(o, "error", e);
	if (extra_key != NULL)
		json_object_object_add(o, extra_key, extra_key_val);
	c->worked = 1;
	c->status = status;
	c->reply = o;
}

/* ?dry_run=true, read on the loop thread (evhttp's request lives there). */
static void
read_dry_run(void *arg)
{
	struct api_call *c = arg;
	char buf[16];
	const char *v = inn_http_query(c->req, "dry_run", buf, sizeof(buf));

	c->dry_run = v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static json_object *
diag_list(const inn_diag *d)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < d->n; i++) {
		char buf[2048];

		if (d->items[i].level != INN_DIAG_ERROR)
			continue;
		inn_diag_format(d, i, buf, sizeof(buf));
		json_object_array_add(a, json_object_new_string(buf));
	}
	return a;
}

/* demo-time's objects, read before anything is contacted: broken
 * manifests are the reply (500), and so is the list for a dry run (200).
 * Returns 1 when the reply is set, 0 when demo-time may go on. */
static int
objects_replied(struct api_call *c, const inn_demo *d, inn_diag *diag)
{
	json_object *all = NULL;
	size_t i, n = 0;

	if (inn_demo_objects(d, &all, diag) != 0) {
		json_object_put(all);
		set_error(c, 500, "demo_invalid", "the demo manifests have errors; nothing was "
		          "applied", diag_list(diag), "details");
		return 1;
	}
	if (!c->dry_run) {
		json_object_put(all);
		return 0;
	}
	for (i = 0; i < json_object_array_length(all); i++)
		n += json_object_array_length(json_object_object_get(
		    json_object_array_get_idx(all, i), "objects"));
	c->reply = json_object_new_object();
	json_object_object_add(c->reply, "dry_run", json_object_new_boolean(1));
	json_object_object_add(c->reply, "count", json_object_new_int64((int64_t)n));
	json_object_object_add(c->reply, "components", all);
	c->worked = 1;
	c->status = 200;
	return 1;
}

static void
demo_work(struct api_call *c, inn_demo_op op)
{
	inn_demo *d = NULL;
	json_object *rep = NULL;
	inn_diag diag;
	int rc;

	inn_diag_init(&diag);
	if (op == INN_DEMO_TIME)
		inn_http_on_loop(read_dry_run, c);
	if (inn_demo_load(&d, env_or("INNOMINATUS_DEMO_DIR", INN_DEMO_DIR), &diag) != 0) {
		set_error(c, 500, "demo_invalid", inn_error_last(), diag_list(&diag), "details");
		goto out;
	}
	if (op == INN_DEMO_TIME && objects_replied(c, d, &diag))
		goto out;
	if (pthread_mutex_trylock(&demo_lock) != 0) {
		set_error(c, 409, "conflict", "another demo operation is running", NULL, NULL);
		goto out;
	}
	if (op != INN_DEMO_STATUS)
		inn_store_audit(c->srv->store, c->who.p.name, inn_demo_op_name(op), NULL, NULL);
	rc = inn_demo_run(c->srv->engine, c->srv->registry, d, op,
	                  env_or("INNOMINATUS_DEMO_KUBECONFIG", NULL), NULL, &rep);
	pthread_mutex_unlock(&demo_lock);
	if (rep == NULL && rc == INN_ENOTFOUND) {
		set_error(c, 503, "no_cluster", inn_error_last(), NULL, NULL);
	} else if (rep == NULL) {
		set_error(c, 500, "demo_unavailable", inn_error_last(), NULL, NULL);
	} else if (rc != 0 && json_object_array_length(json_object_object_get(rep,
	                                                                         "components")) == 0) {
		set_error(c, 503, "cluster_unreachable", json_object_get_string(
		          json_object_object_get(rep, "error")), rep, "report");
		rep = NULL;
	} else if (rc != 0 && op != INN_DEMO_STATUS) {
		set_error(c, 502, "demo_failed", json_object_get_string(
		          json_object_object_get(rep, "error")), rep, "report");
		rep = NULL;
	} else {
		/* demo-status reports unhealthy components in its rows, as 200 */
		c->reply = rep;
		rep = NULL;
		c->worked = 1;
		c->status = 200;
	}
out:
	json_object_put(rep);
	inn_demo_free(d);
	inn_diag_free(&diag);
}

void
inn_api_demo_time_work(struct api_call *c)
{
	demo_work(c, INN_DEMO_TIME);
}

void
inn_api_demo_status_work(struct api_call *c)
{
	demo_work(c, INN_DEMO_STATUS);
}

void
inn_api_demo_nuke_work(struct api_call *c)
{
	demo_work(c, INN_DEMO_NUKE);
}

/* The loop-thread part of the three: what the request thread got. */
void
inn_api_demo_reply(struct api_call *c)
{
	if (c->worked)
		inn_http_reply_json(c->req, c->status, c->reply);
	else
		inn_http_error(c->req, 500, "internal", "the demo operation did not run");
}
