/*
 * api_int.h - what the API's files share (api.c: route table and
 * dispatch; api_auth.c, api_exec.c, api_admin.c, api_catalog.c: the
 * handlers by subject): the request context, the handlers the route
 * table names, and small request helpers.  Only api*.c include it.
 */
#ifndef INN_SERVER_API_INT_H
#define INN_SERVER_API_INT_H

#include <event2/buffer.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "server.h"

enum api_access { API_PUBLIC, API_USER, API_ADMIN };

/* The last page GET /api/workflows takes (page=1..API_PAGE_MAX). */
#define API_PAGE_MAX 1000000

struct api_call {
	inn_server *srv;
	struct evhttp_request *req;
	inn_caller who;
	const char *arg;        /* the {name}/{id} path segment, decoded */
	json_object *body;      /* a POST's body, parsed on a request thread */
	struct evbuffer *in;    /* ... from these bytes */
	int body_st;            /* 0, or the status of a bad body */
	const char *body_code;
	void (*fn)(struct api_call *c);
	void (*work)(struct api_call *c); /* the route's part on the request thread, or NULL */
	char argbuf[512];
	/* a provider admin operation done on the request thread */
	int worked, status;
	json_object *reply;
	/* the run fields, read on a request thread (run routes) */
	int run_ready, run_st, dry_run;
	int dry_query;          /* ?dry_run= of a run route: 0 absent, 1 false, 2 true */
	const char *run_code;
	json_object *params, *spec;
	char run_msg[1024];
	/* a run submitted on the request thread already (its store writes
	 * never on the loop): its status, id, and message in run_msg */
	int submitted, sub_rc;
	int64_t sub_id;
	/* a route whose body is not a JSON object (the execute route's Score
	 * spec): read by its work part from in, with the URL's query */
	int raw_body;
	char *query;
	/* POST /api/applications: the spec parsed on a request thread, ?ttl */
	inn_score *score;
	struct inn_ydoc *ydoc;  /* a refused spec's tree (positions of the plan's problems) */
	int64_t ttl_ms;
};

typedef void (*api_handler_fn)(struct api_call *c);

/* ---- api_req.c ---- */
/* Replies status with the JSON o, and drops o. */
void inn_api_reply(struct api_call *c, int status, json_object *o);
/* Query parameter name as an integer in [lo, hi] into *out (def when it
 * is absent).  Returns 0, or -1 after replying 400 invalid_request naming
 * the parameter and the range (not a number, out of range). */
int inn_api_query_int(struct api_call *c, const char *name, int64_t def, int64_t lo,
                      int64_t hi, int64_t *out);

/* ---- api_auth.c: API keys ---- */
/* Checks "Authorization: Bearer KEY" for a route that needs access; fills
 * c->who.  Returns 0, or -1 after replying 401/403 itself. */
int inn_api_authenticate(struct api_call *c, enum api_access need);
/* GET /api/me: the calling key's name, role and team. */
void inn_api_me(struct api_call *c);
void inn_api_admin_keys(struct api_call *c);
void inn_api_admin_key_revoke(struct api_call *c);

/* ---- api_exec.c: executions and their streams ---- */
void inn_api_goldenpath_run(struct api_call *c);
void inn_api_workflow_run(struct api_call *c);
/* The run routes' request-thread part: reads {parameters, spec, dry_run}. */
void inn_api_run_fields_work(struct api_call *c);
/* The original's execute route: a Score spec body and ?param.NAME=VALUE,
 * run as POST /api/golden-paths/{name}/run runs {parameters, spec}; its
 * request-thread part reads the raw body (c->in) and c->query. */
void inn_api_goldenpath_execute(struct api_call *c);
void inn_api_execute_work(struct api_call *c);
void inn_api_workflows(struct api_call *c);
void inn_api_workflow(struct api_call *c);
void inn_api_workflow_logs(struct api_call *c);
void inn_api_workflow_cancel(struct api_call *c);
void inn_api_workflow_retry(struct api_call *c);
void inn_api_events(struct api_call *c);

/* ---- api_admin.c: audit trail and provider sources ---- */
void inn_api_audit(struct api_call *c);
/* GET /api/admin/keys: every key's name, role, team, creation, revocation. */
void inn_api_admin_key_list(struct api_call *c);
void inn_api_admin_providers(struct api_call *c);
void inn_api_admin_provider_add(struct api_call *c);
void inn_api_admin_provider_remove(struct api_call *c);
void inn_api_admin_reload(struct api_call *c);
/* Their request-thread parts (git may take long): one at a time. */
void inn_api_provider_add_work(struct api_call *c);
void inn_api_provider_remove_work(struct api_call *c);
void inn_api_reload_work(struct api_call *c);

/* ---- api_demo.c: the demo environment (admin only) ---- */
/* The request-thread parts run the engine's demo operation (demo.h); the
 * handler replies what they got. */
void inn_api_demo_time_work(struct api_call *c);
void inn_api_demo_status_work(struct api_call *c);
void inn_api_demo_nuke_work(struct api_call *c);
void inn_api_demo_reply(struct api_call *c);

/* ---- api_catalog.c: what can be run, and what runs made ---- */
void inn_api_providers(struct api_call *c);
void inn_api_provider(struct api_call *c);
void inn_api_goldenpaths(struct api_call *c);
void inn_api_goldenpath(struct api_call *c);
void inn_api_plugins(struct api_call *c);
/* GET /api/plugins/refused: the plugin files the start refused, and why. */
void inn_api_plugins_refused(struct api_call *c);

/* ---- api_apps.c: applications (Score deployments) and their resources ---- */
void inn_api_applications(struct api_call *c);
void inn_api_application(struct api_call *c);
void inn_api_resources(struct api_call *c);
/* POST /api/applications: its request-thread part reads the raw body (a
 * Score spec) and the query (dry_run, ttl). */
void inn_api_app_deploy(struct api_call *c);
void inn_api_app_deploy_work(struct api_call *c);
void inn_api_app_delete(struct api_call *c);

#endif
