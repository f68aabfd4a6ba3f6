/*
 * api_apps.c - the application routes: deploy a Score spec (POST
 * /api/applications: a declarative deployment, ?dry_run=true plans only,
 * ?ttl=30m deletes it when it expires), list and show applications with
 * their resources (team-scoped; another team's is not acknowledged), delete
 * one (every resource torn down, then the application), and the resources
 * themselves.  Every problem of a spec is answered at once in one 400.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/keyvalq_struct.h>

#include "api_body.h"
#include "api_int.h"
#include "clock.h"
#include "deploy.h"
#include "duration.h"
#include "error.h"
#include "json_util.h"
#include "yaml_tree.h"

/* ---- JSON of the store's rows ------------------------------------------------ */

static json_object *
int_or_null(int64_t v)
{
	return v != 0 ? json_object_new_int64(v) : NULL;
}

/* A resource's outputs as shown: its secret ones "***" whatever the store has. */
static json_object *
outputs_shown(const inn_resource_row *r)
{
	json_object *o;
	size_t i;

	if (r->outputs == NULL)
		return json_object_new_object();
	o = inn_json_copy(r->outputs);
	for (i = 0; r->secret_keys != NULL && i < json_object_array_length(r->secret_keys); i++) {
		const char *k = json_object_get_string(json_object_array_get_idx(r->secret_keys, i));

		if (k != NULL && json_object_object_get_ex(o, k, NULL))
			json_object_object_add(o, k, json_object_new_string("***"));
	}
	return o;
}

static json_object *
exec_brief(inn_server *srv, int64_t id)
{
	inn_exec_row *row = NULL;
	json_object *o;

	if (id <= 0 || inn_store_exec_get(srv->store, id, &row) != 0)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(row->id));
	INN_JSON_ADD_STRS(o, "kind", row->kind, "status", row->status);
	json_object_object_add(o, "created_ms", json_object_new_int64(row->created_ms));
	inn_exec_row_free(row);
	return o;
}

static json_object *
resource_json(inn_server *srv, const inn_resource_row *r, int with_app)
{
	json_object *o = json_object_new_object();

	if (with_app)
		INN_JSON_ADD_STRS(o, "app", r->app);
	INN_JSON_ADD_STRS(o, "name", r->name, "type", r->type, "provider", r->provider,
	                  "status", r->status, "message", r->message);
	json_object_object_add(o, "outputs", outputs_shown(r));
	json_object_object_add(o, "depends_on", r->depends_on ? json_object_get(r->depends_on)
	                                                       : json_object_new_array());
	json_object_object_add(o, "updated_ms", json_object_new_int64(r->updated_ms));
	json_object_object_add(o, "last_execution", exec_brief(srv, r->exec_id));
	return o;
}

/* The executions of app, newest first (at most 200). */
static int
app_execs(inn_server *srv, const char *app, inn_exec_row ***rows, size_t *n)
{
	inn_exec_filter f;
	int64_t total = 0;

	memset(&f, 0, sizeof(f));
	f.app = app;
	f.page = 1;
	f.page_size = 200;
	return inn_store_exec_list(srv->store, &f, rows, n, &total);
}

static json_object *
app_json(inn_server *srv, const inn_app_row *a)
{
	json_object *o = json_object_new_object();

	INN_JSON_ADD_STRS(o, "name", a->name, "team", a->team, "created_by", a->created_by,
	                  "status", a->status ? a->status : "active");
	json_object_object_add(o, "created_ms", json_object_new_int64(a->created_ms));
	json_object_object_add(o, "updated_ms", json_object_new_int64(a->updated_ms));
	json_object_object_add(o, "expires_ms", int_or_null(a->expires_ms));
	{
		/* its TTL deletion failed: why, and when it is retried */
		char why[600];
		int attempts = 0;
		int64_t retry_ms = 0;

		if (inn_runs_reap_failure(srv, a->name, why, sizeof(why), &attempts, &retry_ms)) {
			json_object *f = json_object_new_object();

			json_object_object_add(f, "message", json_object_new_string(why));
			json_object_object_add(f, "attempts", json_object_new_int(attempts));
			json_object_object_add(f, "retry_ms", json_object_new_int64(retry_ms));
			json_object_object_add(o, "expiry_failed", f);
		}
	}
	return o;
}

void
inn_api_applications(struct api_call *c)
{
	inn_app_row *rows = NULL;
	inn_resource_row *res = NULL;
	size_t n = 0, nres = 0, i, j;
	json_object *a, *o;
	const char *team = inn_caller_scope_team(&c->who);
	const char *user = inn_caller_scope_user(&c->who);

	if (inn_store_app_list(c->srv->store, team, user, NULL, &rows, &n) != 0 ||
	    inn_store_resource_list(c->srv->store, team, user, NULL, &res, &nres) != 0) {
		inn_http_error(c->req, 500, "store", "%s", inn_error_last());
		inn_app_rows_free(rows, n);
		return;
	}
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *ap = app_json(c->srv, &rows[i]), *last = NULL;
		inn_exec_row **ex = NULL;
		size_t nex = 0;
		int count = 0;

		for (j = 0; j < nres; j++)
			if (strcmp(res[j].app, rows[i].name) == 0 &&
			    strcmp(res[j].status, "terminated") != 0)
				count++;
		json_object_object_add(ap, "resources", json_object_new_int(count));
		if (app_execs(c->srv, rows[i].name, &ex, &nex) == 0 && nex > 0) {
			last = json_object_new_object();
			json_object_object_add(last, "id", json_object_new_int64(ex[0]->id));
			INN_JSON_ADD_STRS(last, "kind", ex[0]->kind, "status", ex[0]->status);
		}
		inn_exec_rows_free(ex, nex);
		json_object_object_add(ap, "last_execution", last);
		json_object_array_add(a, ap);
	}
	inn_app_rows_free(rows, n);
	inn_resource_rows_free(res, nres);
	o = json_object_new_object();
	json_object_object_add(o, "data", a);
	inn_api_reply(c, 200, o);
}

void
inn_api_application(struct api_call *c)
{
	inn_app_row *apps = NULL;
	inn_resource_row *res = NULL;
	inn_exec_row **ex = NULL;
	size_t napps = 0, nres = 0, nex = 0, i;
	json_object *o, *ra, *outs, *ea, *cont = NULL, *meta = NULL, *unres = NULL, *resolved;
	const char *team = inn_caller_scope_team(&c->who);
	const char *user = inn_caller_scope_user(&c->who);

	if (inn_store_app_list(c->srv->store, team, user, c->arg, &apps, &napps) != 0 ||
	    (napps == 1 && inn_store_resource_list(c->srv->store, team, user, c->arg, &res,
	                                           &nres) != 0)) {
		inn_http_error(c->req, 500, "store", "%s", inn_error_last());
		inn_app_rows_free(apps, napps);
		return;
	}
	if (napps != 1) {
		/* another team's application is not acknowledged either */
		inn_http_error(c->req, 404, "not_found", "no application named \"%s\"", c->arg);
		inn_app_rows_free(apps, napps);
		return;
	}
	o = app_json(c->srv, &apps[0]);
	json_object_object_add(o, "spec", json_object_get(apps[0].spec));
	ra = json_object_new_array();
	outs = json_object_new_object();
	for (i = 0; i < nres; i++) {
		json_object *r = resource_json(c->srv, &res[i], 0);
		json_object *ro = json_object_new_object();

		json_object_object_add(ro, "name", json_object_new_string(res[i].name));
		json_object_object_add(ro, "type", json_object_new_string(res[i].type));
		json_object_object_foreach(json_object_object_get(r, "outputs"), k, v)
			json_object_object_add(ro, k, json_object_get(v));
		json_object_object_add(outs, res[i].name, ro);
		json_object_array_add(ra, r);
	}
	if (apps[0].spec != NULL) {
		json_object_object_get_ex(apps[0].spec, "containers", &cont);
		json_object_object_get_ex(apps[0].spec, "metadata", &meta);
	}
	resolved = cont != NULL ? inn_deploy_resolve_containers(cont, meta, outs, &unres) : NULL;
	json_object_object_add(o, "containers", resolved ? resolved : json_object_new_object());
	json_object_object_add(o, "unresolved", unres ? unres : json_object_new_array());
	json_object_put(outs);
	json_object_object_add(o, "resources", ra);
	ea = json_object_new_array();
	if (app_execs(c->srv, c->arg, &ex, &nex) == 0)
		for (i = 0; i < nex; i++) {
			json_object *e = json_object_new_object();

			json_object_object_add(e, "id", json_object_new_int64(ex[i]->id));
			INN_JSON_ADD_STRS(e, "kind", ex[i]->kind, "workflow", ex[i]->workflow,
			                  "status", ex[i]->status);
			json_object_object_add(e, "created_ms", json_object_new_int64(ex[i]->created_ms));
			json_object_array_add(ea, e);
		}
	inn_exec_rows_free(ex, nex);
	json_object_object_add(o, "executions", ea);
	inn_app_rows_free(apps, napps);
	inn_resource_rows_free(res, nres);
	inn_api_reply(c, 200, o);
}

void
inn_api_resources(struct api_call *c)
{
	inn_resource_row *rows = NULL;
	size_t n = 0, i;
	char app[256];
	json_object *a;

	if (inn_store_resource_list(c->srv->store, inn_caller_scope_team(&c->who),
	                            inn_caller_scope_user(&c->who),
	                            inn_http_query(c->req, "app", app, sizeof(app)), &rows, &n) != 0) {
		inn_http_error(c->req, 500, "store", "%s", inn_error_last());
		return;
	}
	a = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(a, resource_json(c->srv, &rows[i], 1));
	inn_resource_rows_free(rows, n);
	inn_api_reply(c, 200, a);
}

/* ---- deploy and delete -------------------------------------------------------- */

/* d's errors as the 400's details: [{file, line, column, message}]. */
static json_object *
diag_details(const inn_diag *d)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < d->n; i++) {
		json_object *e;

		if (d->items[i].level != INN_DIAG_ERROR)
			continue;
		e = json_object_new_object();
		INN_JSON_ADD_STRS(e, "file", d->items[i].file ? d->items[i].file : "spec");
		json_object_object_add(e, "line", json_object_new_int(d->items[i].line));
		json_object_object_add(e, "column", json_object_new_int(d->items[i].col));
		INN_JSON_ADD_STRS(e, "message", d->items[i].message);
		json_object_array_add(a, e);
	}
	return a;
}

static void
reply_invalid_spec(struct api_call *c, json_object *details)
{
	size_t n = json_object_array_length(details);
	char msg[64];
	json_object *body, *err;

	snprintf(msg, sizeof(msg), "%zu problem%s in the spec", n, n == 1 ? "" : "s");
	body = inn_http_error_json("invalid_spec", msg);
	json_object_object_get_ex(body, "error", &err);
	json_object_object_add(err, "details", details);
	inn_api_reply(c, 400, body);
}

/* The query of POST /api/applications (dry_run, ttl; known keys) or, ttl_ms
 * NULL, of DELETE (dry_run): 0, or 400 with a message. */
static int
deploy_query(const char *query, int *dry_run, int64_t *ttl_ms, char *msg, size_t msglen)
{
	static const char *const post_known[] = { "dry_run", "ttl", NULL };
	static const char *const del_known[] = { "dry_run", NULL };
	json_object *q = NULL, *v;
	int rc;

	*dry_run = 0;
	if ((rc = inn_body_query_known(query, ttl_ms ? post_known : del_known, &q, msg,
	                               msglen)) != 0)
		goto out;
	if (json_object_object_get_ex(q, "dry_run", &v) &&
	    (rc = inn_body_query_bool("dry_run", json_object_get_string(v), dry_run, msg,
	                              msglen)) != 0)
		goto out;
	if (ttl_ms != NULL && json_object_object_get_ex(q, "ttl", &v)) {
		char why[200];

		if (inn_ttl_parse_ms(json_object_get_string(v), ttl_ms, why, sizeof(why)) != 0) {
			rc = 400;
			snprintf(msg, msglen, "ttl %s", why);
		}
	}
out:
	json_object_put(q);
	return rc;
}

/* Where a plan error without a position is in the spec (from ydoc):
 * 'resource "x": ...' at x, "metadata.name: ..." at the name. */
static void
detail_position(const inn_ydoc *doc, json_object *e)
{
	const char *msg = json_object_get_string(json_object_object_get(e, "message"));
	const inn_ynode *n = NULL;
	char name[256];

	if (doc == NULL || doc->root == NULL || msg == NULL ||
	    json_object_get_int(json_object_object_get(e, "line")) > 0)
		return;
	if (strncmp(msg, "resource \"", 10) == 0) {
		size_t k = strcspn(msg + 10, "\"");

		if (k < sizeof(name)) {
			memcpy(name, msg + 10, k);
			name[k] = '\0';
			n = inn_ymap_key(inn_ymap_get(doc->root, "resources"), name);
		}
	} else if (strncmp(msg, "metadata.name", 13) == 0) {
		n = inn_ymap_get(inn_ymap_get(doc->root, "metadata"), "name");
	} else if (strncmp(msg, "containers.", 11) == 0 && strcspn(msg + 11, ":") < sizeof(name)) {
		/* "containers.web: ..." at web */
		size_t k = strcspn(msg + 11, ":");

		memcpy(name, msg + 11, k);
		name[k] = '\0';
		n = inn_ymap_key(inn_ymap_get(doc->root, "containers"), name);
		if (n == NULL)
			n = inn_ymap_key(doc->root, "containers");
	} else if (strncmp(msg, "containers", 10) == 0) {
		n = inn_ymap_key(doc->root, "containers");
	}
	if (n == NULL)
		return;
	json_object_object_add(e, "line", json_object_new_int(n->line));
	json_object_object_add(e, "column", json_object_new_int(n->col));
}

void
inn_api_app_deploy_work(struct api_call *c)
{
	size_t len = c->in ? evbuffer_get_length(c->in) : 0;
	const char *data = len ? (const char *)evbuffer_pullup(c->in, -1) : "";
	inn_diag d;

	c->run_ready = 1;
	c->ttl_ms = 0;
	if (deploy_query(c->query, &c->dry_run, &c->ttl_ms, c->run_msg, sizeof(c->run_msg)) != 0) {
		c->run_st = 400;
		c->run_code = "invalid_request";
		return;
	}
	if (len == 0 || memchr(data, '\0', len) != NULL) {
		c->run_st = 400;
		c->run_code = "invalid_spec";
		snprintf(c->run_msg, sizeof(c->run_msg), "the body must be a Score spec (YAML or "
		         "JSON)%s", len ? " without NUL bytes" : "");
		return;
	}
	inn_diag_init(&d);
	/* a spec with errors is handed out too: the plan adds its own problems */
	if (inn_score_load_all(&c->score, "spec", data, len, INN_SPEC_MAX_NODES, &d) != 0 ||
	    d.nerrors > 0 || c->score == NULL) {
		c->run_st = 400;
		c->run_code = "invalid_spec";
		c->reply = diag_details(&d);
		if (json_object_array_length(c->reply) == 0) {
			json_object *e = json_object_new_object();

			INN_JSON_ADD_STRS(e, "file", "spec", "message", "not a Score spec (expected a "
			                  "YAML or JSON mapping with apiVersion, metadata.name and "
			                  "containers)");
			json_object_object_add(e, "line", json_object_new_int(0));
			json_object_object_add(e, "column", json_object_new_int(0));
			json_object_array_add(c->reply, e);
		}
	} else {
		c->spec = json_object_get(c->score->json);
	}
	/* the tree, for the positions of the plan's problems about the whole spec */
	if (c->score != NULL && inn_yaml_load_string(&c->ydoc, "spec", data, len) != 0)
		c->ydoc = NULL;
	inn_diag_free(&d);
}

static void
reply_deploy(struct api_call *c, int rc, int64_t id, const char *app, json_object *summary,
             inn_diag *d)
{
	json_object *o;

	if (rc == INN_EINVAL && d->nerrors > 0) {
		json_object *det = diag_details(d);
		size_t i;

		json_object_put(summary);
		for (i = 0; i < json_object_array_length(det); i++)
			detail_position(c->ydoc, json_object_array_get_idx(det, i));
		reply_invalid_spec(c, det);
		return;
	}
	if (rc != 0) {
		static const struct {
			int rc, status;
			const char *code;
		} map[] = {
			{ INN_EFORBIDDEN, 403, "forbidden" }, { INN_RUNS_CONFLICT, 409, "conflict" },
			{ INN_RUNS_FULL, 429, "queue_full" }, { INN_RUNS_TOO_BIG, 413, "too_large" },
			{ INN_ECANCELLED, 503, "draining" }, { INN_ENOTFOUND, 404, "not_found" },
			{ INN_EINVAL, 400, "invalid_spec" },
		};
		size_t i;

		json_object_put(summary);
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (map[i].rc == rc)
				break;
		if (rc == INN_RUNS_FULL)
			evhttp_add_header(evhttp_request_get_output_headers(c->req), "Retry-After",
			                  "5");
		if (i < sizeof(map) / sizeof(map[0]))
			inn_http_error(c->req, map[i].status, map[i].code, "%s", inn_error_last());
		else
			inn_http_error(c->req, 500, "internal", "%s", inn_error_last());
		return;
	}
	o = json_object_new_object();
	if (id > 0)
		json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "application", json_object_new_string(app));
	json_object_object_add(o, "status", json_object_new_string(id > 0 ? "pending" :
	                                                                      "planned"));
	if (id == 0)
		json_object_object_add(o, "dry_run", json_object_new_boolean(1));
	if (summary != NULL) {
		json_object_object_foreach(summary, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_put(summary);
	}
	inn_api_reply(c, id > 0 ? 202 : 200, o);
}

void
inn_api_app_deploy(struct api_call *c)
{
	json_object *summary = NULL;
	int64_t id = 0, expires = 0;
	inn_diag d;
	char app[256];
	int rc;

	if (!c->run_ready) {
		inn_http_error(c->req, 500, "internal", "the request body was not read");
		return;
	}
	if (c->run_st != 0) {
		if (c->reply != NULL && c->score != NULL) {
			/* the plan's problems too, from the spec as far as it loaded;
			 * a refused app name is listed already: the plan goes on
			 * with a name no application has (its complaints about that
			 * one are left out) */
			int name_refused = c->score->app == NULL;

			inn_diag_init(&d);
			if (name_refused && (c->score->app = strdup("-")) == NULL) {
				inn_score_free(c->score);
				c->score = NULL;
				inn_diag_free(&d);
				inn_http_error(c->req, 500, "internal", "out of memory");
				return;
			}
			snprintf(app, sizeof(app), "%s", c->score->app);
			rc = inn_runs_deploy_submit(c->srv, &c->who, app, c->score, NULL, 1, 0, &d,
			                            &summary, &id);
			c->score = NULL;
			json_object_put(summary);
			if (rc == INN_EINVAL) {
				json_object *more = diag_details(&d);
				size_t i;

				for (i = 0; i < json_object_array_length(more); i++) {
					json_object *e = json_object_array_get_idx(more, i);
					const char *m = json_object_get_string(
					        json_object_object_get(e, "message"));

					if (name_refused && m != NULL &&
					    strncmp(m, "metadata.name:", 14) == 0)
						continue;
					detail_position(c->ydoc, e);
					json_object_array_add(c->reply, json_object_get(e));
				}
				json_object_put(more);
			}
			inn_diag_free(&d);
		}
		if (c->reply != NULL) {
			reply_invalid_spec(c, c->reply);
			c->reply = NULL;
		} else {
			inn_http_error(c->req, c->run_st, c->run_code, "%s", c->run_msg);
		}
		return;
	}
	snprintf(app, sizeof(app), "%s", c->score->app);
	if (c->ttl_ms > 0)
		expires = inn_wall_ms() + c->ttl_ms;
	inn_diag_init(&d);
	rc = inn_runs_deploy_submit(c->srv, &c->who, app, c->score, c->spec, c->dry_run, expires,
	                            &d, &summary, &id);
	c->score = NULL;   /* taken over */
	reply_deploy(c, rc, id, app, summary, &d);
	inn_diag_free(&d);
}

void
inn_api_app_delete(struct api_call *c)
{
	inn_app_row *apps = NULL;
	size_t napps = 0;
	json_object *summary = NULL;
	int64_t id = 0;
	inn_diag d;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(c->req);
	char msg[512];
	int rc, dry_run = 0;

	if (deploy_query(uri ? evhttp_uri_get_query(uri) : NULL, &dry_run, NULL, msg,
	                 sizeof(msg)) != 0) {
		inn_http_error(c->req, 400, "invalid_request", "%s", msg);
		return;
	}
	if (inn_store_app_list(c->srv->store, inn_caller_scope_team(&c->who),
	                       inn_caller_scope_user(&c->who), c->arg, &apps, &napps) != 0) {
		inn_http_error(c->req, 500, "store", "%s", inn_error_last());
		return;
	}
	inn_app_rows_free(apps, napps);
	if (napps != 1) {
		/* another team's application is not acknowledged either */
		inn_http_error(c->req, 404, "not_found", "no application named \"%s\"", c->arg);
		return;
	}
	inn_diag_init(&d);
	rc = inn_runs_deploy_submit(c->srv, &c->who, c->arg, NULL, NULL, dry_run, 0, &d, &summary,
	                            &id);
	reply_deploy(c, rc, id, c->arg, summary, &d);
	inn_diag_free(&d);
}
