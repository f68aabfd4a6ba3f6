/*
 * api.c - the REST API: one route table (method, path pattern, whether it
 * needs a key or the admin role, handler, summary) that serves requests,
 * enforces authentication, and generates /api/openapi.json, so the
 * document cannot drift from what is served.  The handlers live by
 * subject in api_auth.c, api_exec.c, api_admin.c, api_catalog.c and api_apps.c; the
 * public routes (health, readiness, metrics, this document) are here.  The
 * dashboard's paths (/ and /ui/...) are no API route: http_ui.c serves them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "api_body.h"
#include "api_int.h"
#include "api_schema.h"
#include "http_reply.h"
#include "error.h"
#include "ui.h"
#include "yaml_tree.h"

struct route {
	enum evhttp_cmd_type method;
	const char *pattern;    /* "/api/workflows/{id}/logs": one {x} segment at most */
	enum api_access access;
	api_handler_fn fn;
	api_handler_fn work;        /* its part on a request thread (POST and the like), or NULL */
	const char *summary;
	/* its documentation (inn_openapi): see the table */
	const char *op, *tag, *query, *body, *resp;
};

/* The answers of every run route (api_exec.c submit_errors). */
#define RUN_RESPONSES "202=Submitted;400#a bad field, parameter or spec;" \
	"403#the admin config's policy refuses it;404#no such workflow or golden path;" \
	"409#a conflicting execution (the application is being deployed);" \
	"413#the run is too large;429#the queue is full (Retry-After);500;503#draining"
/* The run routes' query: dry_run as in the body (either place; both must agree). */
#define RUN_DRY_QUERY "dry_run:'true'|'false'|'1'|'0' plan only, run nothing (as the " \
	"body's dry_run; given in both, they must agree)"
/* The demo routes' (api_demo.c demo_work). */
#define DEMO_RESPONSES "200=DemoReport;409#another demo operation is running;" \
	"500#the demo definition is invalid;502#a component failed;503#no cluster, or it is unreachable"

/* ---- public ------------------------------------------------------------- */

static void
h_health(struct api_call *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "service", json_object_new_string("innominatus"));
	json_object_object_add(o, "version", json_object_new_string(PACKAGE_VERSION));
	inn_api_reply(c, 200, o);
}

static void
h_ready(struct api_call *c)
{
	json_object *o = json_object_new_object(), *checks = json_object_new_object();
	int store_ok = inn_store_ping(c->srv->store) == 0;
	int ok = store_ok && atomic_load(&c->srv->ready) && !atomic_load(&c->srv->draining);

	json_object_object_add(checks, "store", json_object_new_boolean(store_ok));
	json_object_object_add(checks, "plugins", json_object_new_int(
	    (int)c->srv->registry->nplugins));
	json_object_object_add(checks, "providers", json_object_new_int(
	    (int)c->srv->catalog->nproviders));
	json_object_object_add(checks, "draining",
	                       json_object_new_boolean(atomic_load(&c->srv->draining)));
	json_object_object_add(o, "ready", json_object_new_boolean(ok));
	json_object_object_add(o, "checks", checks);
	inn_api_reply(c, ok ? 200 : 503, o);
}

/* The store's families: calls, failures and a latency histogram per
 * class (read, write), labelled lab ("replica=\"ID\"," or ""). */
static void
metrics_store(struct evbuffer *b, inn_store *st, const char *lab)
{
	static const long long bounds[] = INN_STORE_LAT_BOUNDS;
	static const char *const cls[2] = { "read", "write" };
	inn_store_stats t;
	long long cum;
	int c, i;

	inn_store_stats_get(st, &t);
	evbuffer_add_printf(b, "# HELP innominatus_store_calls_total Calls to the store.\n"
	                    "# TYPE innominatus_store_calls_total counter\n");
	for (c = 0; c < 2; c++)
		evbuffer_add_printf(b, "innominatus_store_calls_total{%sclass=\"%s\"} %lld\n", lab,
		                    cls[c], t.calls[c]);
	evbuffer_add_printf(b, "# HELP innominatus_store_errors_total Store calls that failed "
	                    "(not counting \"not found\" answers and lost claims).\n"
	                    "# TYPE innominatus_store_errors_total counter\n");
	for (c = 0; c < 2; c++)
		evbuffer_add_printf(b, "innominatus_store_errors_total{%sclass=\"%s\"} %lld\n", lab,
		                    cls[c], t.errors[c]);
	evbuffer_add_printf(b, "# HELP innominatus_store_latency_seconds How long store calls "
	                    "took.\n# TYPE innominatus_store_latency_seconds histogram\n");
	for (c = 0; c < 2; c++) {
		for (cum = 0, i = 0; i <= INN_STORE_LAT_BUCKETS; i++) {
			cum += t.bucket[c][i];
			if (i < INN_STORE_LAT_BUCKETS)
				evbuffer_add_printf(b, "innominatus_store_latency_seconds_bucket{%s"
				                    "class=\"%s\",le=\"%lld.%06lld\"} %lld\n", lab,
				                    cls[c], bounds[i] / 1000000, bounds[i] % 1000000,
				                    cum);
			else
				evbuffer_add_printf(b, "innominatus_store_latency_seconds_bucket{%s"
				                    "class=\"%s\",le=\"+Inf\"} %lld\n", lab, cls[c],
				                    cum);
		}
		evbuffer_add_printf(b, "innominatus_store_latency_seconds_sum{%sclass=\"%s\"} "
		                    "%lld.%06lld\n", lab, cls[c], t.us_sum[c] / 1000000,
		                    t.us_sum[c] % 1000000);
		evbuffer_add_printf(b, "innominatus_store_latency_seconds_count{%sclass=\"%s\"} "
		                    "%lld\n", lab, cls[c], t.calls[c]);
	}
}

/* The cluster layer's counters, labelled {replica="ID"} (none without). */
static void
metrics_cluster(struct evbuffer *b, inn_server *s, const char *lab)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} ctr[] = {
		{ "claims", "Executions this replica claimed to run.",
		  offsetof(inn_server, m_claims) },
		{ "adopted", "Executions of dead replicas this replica took over.",
		  offsetof(inn_server, m_adopted) },
		{ "stolen", "Queued executions this replica took from busy replicas.",
		  offsetof(inn_server, m_stolen) },
		{ "lease_losses", "Times this replica's lease ran out before it was renewed.",
		  offsetof(inn_server, m_lease_lost) },
		{ "released", "Queued executions this replica gave back (drain).",
		  offsetof(inn_server, m_released) },
	};
	char braces[128] = "";
	size_t i, n = strlen(lab);

	/* lab ends with ','; alone it goes in braces without it */
	if (n > 0)
		snprintf(braces, sizeof(braces), "{%.*s}", (int)(n - 1), lab);
	for (i = 0; i < sizeof(ctr) / sizeof(ctr[0]); i++)
		evbuffer_add_printf(b, "# HELP innominatus_%s_total %s\n"
		                    "# TYPE innominatus_%s_total counter\n"
		                    "innominatus_%s_total%s %lld\n", ctr[i].name, ctr[i].help,
		                    ctr[i].name, ctr[i].name, braces,
		                    (long long)atomic_load((atomic_llong *)(void *)
		                                           ((char *)s + ctr[i].off)));
}

static void
h_metrics(struct api_call *c)
{
	inn_server *s = c->srv;
	struct evbuffer *b = evbuffer_new();
	static const long long bounds[] = INN_STEP_BUCKET_BOUNDS;
	char lab[128] = "";
	long long cum = 0;
	int i;

	evbuffer_add_printf(b, "# HELP innominatus_http_requests_total HTTP requests served.\n"
	                    "# TYPE innominatus_http_requests_total counter\n"
	                    "innominatus_http_requests_total %lld\n",
	                    (long long)atomic_load(&s->m_requests));
	evbuffer_add_printf(b, "# HELP innominatus_http_errors_total Replies with status >= 400.\n"
	                    "# TYPE innominatus_http_errors_total counter\n"
	                    "innominatus_http_errors_total %lld\n",
	                    (long long)inn_http_error_count());
	evbuffer_add_printf(b, "# HELP innominatus_http_connections Open HTTP connections.\n"
	                    "# TYPE innominatus_http_connections gauge\n"
	                    "innominatus_http_connections %lld\n", inn_http_connection_count());
	evbuffer_add_printf(b, "# HELP innominatus_executions_total Finished executions by status.\n"
	                    "# TYPE innominatus_executions_total counter\n");
	for (i = INN_STATE_SUCCEEDED; i <= INN_STATE_WOULD_RUN; i++)
		evbuffer_add_printf(b, "innominatus_executions_total{status=\"%s\"} %lld\n",
		                    inn_state_name(i),
		                    (long long)atomic_load(&s->m_exec[i]));
	evbuffer_add_printf(b, "# HELP innominatus_executions_running Executions running now.\n"
	                    "# TYPE innominatus_executions_running gauge\n"
	                    "innominatus_executions_running %d\n", s->nrunning);
	evbuffer_add_printf(b, "# HELP innominatus_executions_queued Executions waiting for a "
	                    "slot (maxQueuedExecutions at most).\n"
	                    "# TYPE innominatus_executions_queued gauge\n"
	                    "innominatus_executions_queued %d\n", s->nqueued);
	evbuffer_add_printf(b, "# HELP innominatus_step_duration_ms Step durations.\n"
	                    "# TYPE innominatus_step_duration_ms histogram\n");
	for (i = 0; i <= INN_STEP_BUCKETS; i++) {
		cum += atomic_load(&s->m_step_bucket[i]);
		if (i < INN_STEP_BUCKETS)
			evbuffer_add_printf(b, "innominatus_step_duration_ms_bucket{le=\"%lld\"} "
			                    "%lld\n", bounds[i], cum);
		else
			evbuffer_add_printf(b, "innominatus_step_duration_ms_bucket{le=\"+Inf\"} "
			                    "%lld\n", cum);
	}
	evbuffer_add_printf(b, "innominatus_step_duration_ms_sum %lld\n"
	                    "innominatus_step_duration_ms_count %lld\n",
	                    (long long)atomic_load(&s->m_step_ms_sum),
	                    (long long)atomic_load(&s->m_step_count));
	/* per replica: the store's answers, the cluster's moves */
	{
		char me[sizeof(s->replica_id)];

		inn_replica_me(s, me);
		if (me[0] != '\0')
			snprintf(lab, sizeof(lab), "replica=\"%s\",", me);
	}
	metrics_store(b, s->store, lab);
	metrics_cluster(b, s, lab);
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Content-Type",
	                  "text/plain; version=0.0.4");
	inn_http_access_log(c->req, 200, evbuffer_get_length(b));
	inn_http_send(c->req, 200, "OK", b);
	evbuffer_free(b);
}

static void
h_openapi(struct api_call *c)
{
	json_object *doc = inn_openapi();

	inn_api_reply(c, 200, doc);
}

/* Each route's documentation beside it (inn_openapi): op its operationId,
 * tag its group, query its query (and "@header") parameters as
 * "name:type what;..." in the notation of api_schema.h, body its request
 * body as "media,...:TYPE" (media json, yaml), resp its answers as
 * "STATUS[=TYPE][#what];..." where TYPE may start with "text/...:" for
 * another media type and "^" separates media types of one status.  Error
 * statuses without a type answer an Error; the errors every route of a
 * kind may answer (no key, a bad body, a busy server) are added there. */
static const struct route routes[] = {
	{ EVHTTP_REQ_GET, "/health", API_PUBLIC, h_health, NULL, "Liveness",
	  "getHealth", "system", NULL, NULL, "200=Health" },
	{ EVHTTP_REQ_GET, "/ready", API_PUBLIC, h_ready, NULL, "Readiness: store reachable, plugins and providers loaded",
	  "getReady", "system", NULL, NULL,
	  "200=Readiness;503=Readiness|Error#not ready: the checks say why (or the server is overloaded)" },
	{ EVHTTP_REQ_GET, "/metrics", API_PUBLIC, h_metrics, NULL, "Prometheus metrics",
	  "getMetrics", "system", NULL, NULL, "200=text/plain:string#the Prometheus text format 0.0.4" },
	{ EVHTTP_REQ_GET, "/api/openapi.json", API_PUBLIC, h_openapi, NULL, "This API as OpenAPI 3.1",
	  "getOpenApi", "system", NULL, NULL, "200={*}#this document" },
	{ EVHTTP_REQ_GET, "/api/me", API_USER, inn_api_me, NULL, "Who the calling API key is: its name, role and team (the dashboard's login)",
	  "getMe", "keys", NULL, NULL, "200=Me" },
	{ EVHTTP_REQ_GET, "/api/providers", API_USER, inn_api_providers, NULL, "List providers",
	  "listProviders", "catalog", NULL, NULL, "200=[ProviderSummary]" },
	{ EVHTTP_REQ_GET, "/api/providers/{name}", API_USER, inn_api_provider, NULL, "One provider with its workflows and parameters",
	  "getProvider", "catalog", NULL, NULL, "200=Provider;404#no provider of that name" },
	{ EVHTTP_REQ_GET, "/api/golden-paths", API_USER, inn_api_goldenpaths, NULL, "List golden paths",
	  "listGoldenPaths", "catalog", NULL, NULL, "200=[GoldenPath]" },
	{ EVHTTP_REQ_GET, "/api/golden-paths/{name}", API_USER, inn_api_goldenpath, NULL, "One golden path: description, category, tags, workflow, parameters, estimated duration",
	  "getGoldenPath", "catalog", NULL, NULL, "200=GoldenPathDetail;404#no golden path of that name" },
	{ EVHTTP_REQ_POST, "/api/golden-paths/{name}/run", API_USER, inn_api_goldenpath_run, inn_api_run_fields_work, "Run a golden path: {parameters, spec, dry_run} -> 202 {id}",
	  "runGoldenPath", "executions", RUN_DRY_QUERY, "json:RunRequest", RUN_RESPONSES },
	{ EVHTTP_REQ_POST, "/api/workflows/golden-paths/{name}/execute", API_USER, inn_api_goldenpath_execute, inn_api_execute_work, "The original's route: run a golden path for the Score spec in the body (YAML or JSON; may be empty), parameters as ?param.NAME=VALUE (repeatable), dry_run=true -> 200 {id, workflow_id, status, application, golden_path, message}",
	  "executeGoldenPath", "executions", "dry_run:boolean plan only, run nothing",
	  "json,yaml:ScoreSpec", "200=ExecuteAccepted#accepted (200, as the original answered)"
	  ";400;403;404;409;413;429;500;503" },
	{ EVHTTP_REQ_POST, "/api/workflows/run", API_USER, inn_api_workflow_run, inn_api_run_fields_work, "Run provider/workflow: {workflow, parameters, spec, dry_run} -> 202 {id}",
	  "runWorkflow", "executions", RUN_DRY_QUERY, "json:WorkflowRunRequest", RUN_RESPONSES },
	{ EVHTTP_REQ_GET, "/api/workflows", API_USER, inn_api_workflows, NULL, "List executions (app, status, workflow, team, page, page_size)",
	  "listExecutions", "executions",
	  "app:string only this application's;status:State only in this state;"
	  "workflow:string only of this workflow;"
	  "team:string only this team's (a user key sees its own team's executions only: "
	  "another team gives an empty page);page:integer 1 to 1000000 (default 1);"
	  "page_size:integer 1 to 200 (default 20)", NULL, "200=ExecutionPage;500" },
	{ EVHTTP_REQ_GET, "/api/workflows/{id}", API_USER, inn_api_workflow, NULL, "One execution: status, steps, outputs, timings",
	  "getExecution", "executions", NULL, NULL,
	  "200=ExecutionDetail;400#not an execution id;404#no such execution (or another team's)" },
	{ EVHTTP_REQ_GET, "/api/workflows/{id}/logs", API_USER, inn_api_workflow_logs, NULL, "Step logs (after cursor; follow=1 streams SSE)",
	  "getExecutionLogs", "executions",
	  "after:integer only the lines after this seq (with follow: wins over Last-Event-ID);"
	  "limit:integer 1 to 10000 (default 1000);"
	  "follow:'1'|'true' stream the lines as Server-Sent Events (event: log, id: its seq, "
	  "data: a LogLine; then event: end, id: the last seq sent, data: {status, ...});"
	  "@Last-Event-ID:integer with follow and no after: the same as after, as an "
	  "EventSource resumes",
	  NULL, "200=LogPage^text/event-stream:string#the lines (a stream with follow)"
	  ";400#a bad id or cursor;404#no such execution;"
	  "429#follow: the key's streams at server.maxStreamsPerKey, or its address's share (Retry-After);"
	  "503#follow: the server's share of streams (Retry-After)" },
	{ EVHTTP_REQ_POST, "/api/workflows/{id}/cancel", API_USER, inn_api_workflow_cancel, NULL, "Cancel a pending or running execution",
	  "cancelExecution", "executions", NULL, NULL,
	  "202=CancelAccepted;404#no such execution;409#it is not pending or running;500" },
	{ EVHTTP_REQ_POST, "/api/workflows/{id}/retry", API_USER, inn_api_workflow_retry, NULL, "Run again from the failed step, with the first run's parameters and spec (the body, if any, is {})",
	  "retryExecution", "executions", NULL, "json:{}",
	  "202=Submitted#the new execution;403;404#no such execution;"
	  "400#a body with members (the retry takes no new parameters);"
	  "409#succeeded, still running, a dry run, its secrets cannot be opened, or a retry of it is pending or running (error.execution names it);413;429;500" },
	{ EVHTTP_REQ_GET, "/api/plugins", API_USER, inn_api_plugins, NULL, "Loaded plugins with versions, flags and schemas",
	  "listPlugins", "catalog", NULL, NULL, "200=[Plugin]" },
	{ EVHTTP_REQ_GET, "/api/plugins/refused", API_USER, inn_api_plugins_refused, NULL, "Plugin files of the plugin directory that were not loaded at start, and why (the policy, a bad descriptor, ...)",
	  "listRefusedPlugins", "catalog", NULL, NULL, "200=PluginRefusalList" },
	{ EVHTTP_REQ_GET, "/api/events/stream", API_USER, inn_api_events, NULL, "Server-Sent Events of executions and steps",
	  "streamEvents", "executions",
	  "after:integer replay the events after this id first (0: all);"
	  "@Last-Event-ID:integer the same, as an EventSource resumes (after wins when both "
	  "are given)", NULL,
	  "200=text/event-stream:string#events (event: TYPE, id: cursor, data: an Event);"
	  "400#a bad cursor;"
	  "429#the key's streams at server.maxStreamsPerKey, or its address's share (Retry-After);"
	  "503#the server's share of streams (Retry-After)" },
	{ EVHTTP_REQ_GET, "/api/admin/keys", API_ADMIN, inn_api_admin_key_list, NULL, "List API keys: name, role, team, created, revoked (never the key)",
	  "listKeys", "admin", NULL, NULL, "200=KeyList;500" },
	{ EVHTTP_REQ_POST, "/api/admin/keys", API_ADMIN, inn_api_admin_keys, NULL, "Create an API key {name, role, team}",
	  "createKey", "admin", NULL, "json:KeyCreateRequest",
	  "201=KeyCreated;400#a missing or bad field;409#a live key of that name (revoke it first to rotate), or a user with another role or team" },
	{ EVHTTP_REQ_DELETE, "/api/admin/keys/{name}", API_ADMIN, inn_api_admin_key_revoke, NULL, "Revoke an API key",
	  "revokeKey", "admin", NULL, NULL, "200=KeyRevoked;404#no key of that name, or it is "
	  "already revoked;409#the last live admin key (last_admin_key): create another admin key first" },
	{ EVHTTP_REQ_GET, "/api/admin/audit", API_ADMIN, inn_api_audit, NULL, "The audit trail",
	  "listAudit", "admin", "limit:integer newest first, 1 to 1000 (default 100);"
	  "before:integer only the entries with a smaller id (1 or more): the last id of a page "
	  "gives the next, older one", NULL,
	  "200=[AuditEntry];500" },
	{ EVHTTP_REQ_GET, "/api/admin/providers", API_ADMIN, inn_api_admin_providers, NULL, "Provider sources added over the API",
	  "listProviderSources", "admin", NULL, NULL, "200=[ProviderSource];500" },
	{ EVHTTP_REQ_POST, "/api/admin/providers", API_ADMIN, inn_api_admin_provider_add, inn_api_provider_add_work, "Add a provider source {name, git_url, path, ref} or {name, path}; validated first",
	  "addProviderSource", "admin", NULL, "json:ProviderSourceRequest",
	  "201=ProviderSourceAdded;400#a bad field, git failed, or the provider is invalid;"
	  "404;409#the name is taken;500" },
	{ EVHTTP_REQ_DELETE, "/api/admin/providers/{name}", API_ADMIN, inn_api_admin_provider_remove, inn_api_provider_remove_work, "Remove a provider source added over the API",
	  "removeProviderSource", "admin", NULL, NULL,
	  "200=ProviderRemoved;400;404#no source of that name;409#from the config, or in use;500" },
	{ EVHTTP_REQ_POST, "/api/admin/reload", API_ADMIN, inn_api_admin_reload, inn_api_reload_work, "Re-read the config's providers, fetch every git source, swap the catalog if valid",
	  "reloadProviders", "admin", NULL, NULL,
	  "200=ReloadSummary;400#git failed, or the new catalog is invalid (the old one stays);404;409;500" },
	{ EVHTTP_REQ_POST, "/api/demo/time", API_ADMIN, inn_api_demo_reply, inn_api_demo_time_work, "Install the demo components into the cluster ($INNOMINATUS_DEMO_KUBECONFIG, else $KUBECONFIG); dry_run=true lists every object, contacting nothing -> 200 report",
	  "installDemo", "demo", "dry_run:'true'|'1' list the objects only", NULL, DEMO_RESPONSES },
	{ EVHTTP_REQ_GET, "/api/demo/status", API_ADMIN, inn_api_demo_reply, inn_api_demo_status_work, "Each demo component's health: {components: [{component, namespace, object, healthy, detail}]}",
	  "getDemoStatus", "demo", NULL, NULL, DEMO_RESPONSES },
	{ EVHTTP_REQ_POST, "/api/demo/nuke", API_ADMIN, inn_api_demo_reply, inn_api_demo_nuke_work, "Delete the demo components (namespaces last) -> 200 report",
	  "deleteDemo", "demo", NULL, NULL, DEMO_RESPONSES },
	{ EVHTTP_REQ_GET, "/api/applications", API_USER, inn_api_applications, NULL, "Applications (Score specs deployed or run), team-scoped: {data: [{name, team, status, resources, last_execution, expires_ms}]}",
	  "listApplications", "applications", NULL, NULL, "200=ApplicationList;500" },
	{ EVHTTP_REQ_POST, "/api/applications", API_USER, inn_api_app_deploy, inn_api_app_deploy_work, "Deploy the Score spec in the body (YAML or JSON), declaratively: resources it no longer has are deleted; dry_run=true plans only (200), ttl=30m deletes it when it expires -> 202 {id, application, status, operations, phases, warnings}; 400 lists every problem",
	  "deployApplication", "applications",
	  "dry_run:'true'|'false'|'1'|'0' plan only;ttl:string delete it after this long (e.g. 30m)",
	  "json,yaml:ScoreSpec", "200=DeployResult#the plan of a dry run;202=DeployResult#deploying;"
	  "400#every problem of the spec (error.details);403;404;409;413;429;500;503" },
	{ EVHTTP_REQ_GET, "/api/applications/{name}", API_USER, inn_api_application, NULL, "One application: status, spec, containers with ${resources...} resolved, resources, executions",
	  "getApplication", "applications", NULL, NULL,
	  "200=Application;404#no such application (or another team's);500" },
	{ EVHTTP_REQ_DELETE, "/api/applications/{name}", API_USER, inn_api_app_delete, NULL, "Delete an application: every resource torn down (delete workflows, reverse dependency order), then the application -> 202 {id, application, status, operations}",
	  "deleteApplication", "applications", "dry_run:'true'|'false'|'1'|'0' plan only", NULL,
	  "200=DeployResult#the plan of a dry run;202=DeployResult#deleting;400;403;"
	  "404#no such application (or another team's);409;413;429;500;503" },
	{ EVHTTP_REQ_GET, "/api/resources", API_USER, inn_api_resources, NULL, "Resources provisioned for applications (app filter), team-scoped",
	  "listResources", "applications", "app:string only this application's", NULL,
	  "200=[Resource];500" },
};

static const char *
method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "get";
	case EVHTTP_REQ_POST: return "post";
	case EVHTTP_REQ_DELETE: return "delete";
	case EVHTTP_REQ_PUT: return "put";
	default: return "other";
	}
}

/* The Allow header's value for a path served with the methods in mask
 * (route methods): HEAD wherever GET, OPTIONS everywhere. */
static void
allow_list(unsigned mask, char *buf, size_t len)
{
	static const struct {
		enum evhttp_cmd_type m;
		const char *names;
	} allow[] = {
		{ EVHTTP_REQ_GET, "GET, HEAD, " }, { EVHTTP_REQ_POST, "POST, " },
		{ EVHTTP_REQ_PUT, "PUT, " }, { EVHTTP_REQ_DELETE, "DELETE, " },
	};
	size_t i, n = 0;

	for (i = 0; i < sizeof(allow) / sizeof(allow[0]) && n < len; i++)
		if (mask & (unsigned)allow[i].m)
			n += (size_t)snprintf(buf + n, len - n, "%s", allow[i].names);
	if (n < len)
		snprintf(buf + n, len - n, "OPTIONS");
}

/* 1 for a route whose body is JSON only (not the YAML-or-JSON Score spec
 * routes, which take any Content-Type, as the original did). */
static int
takes_json_body(const struct route *r)
{
	return r->body != NULL && strncmp(r->body, "json:", 5) == 0;
}

/* 1 for the routes whose work part reads the body and query itself. */
static int
takes_raw_body(const struct route *r)
{
	return r->work == inn_api_execute_work || r->work == inn_api_app_deploy_work;
}

/* The length of the route's next query item ("name:TYPE what"): up to the
 * ';' that ends it, never one inside parentheses of its description (that
 * ';' split a description into a parameter named after its tail). */
static size_t
query_item_len(const char *p)
{
	size_t n;
	int depth = 0;

	for (n = 0; p[n] != '\0' && (p[n] != ';' || depth > 0); n++)
		if (p[n] == '(')
			depth++;
		else if (p[n] == ')' && depth > 0)
			depth--;
	return n;
}

/* ---- the OpenAPI document ------------------------------------------------- */

/* text[0..len) as a new string (the table's fields are cut at ';' etc.). */
static json_object *
str_n(const char *text, size_t len)
{
	return json_object_new_string_len(text, (int)len);
}

/* The media type of a response's TYPE: "text/plain:string" names one;
 * else application/json.  *schema is where the type starts. */
static const char *
media_of(const char *t, size_t len, char *buf, size_t blen, const char **schema)
{
	size_t n = strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789/.+-");

	if (n < len && t[n] == ':' && memchr(t, '/', n) != NULL && n < blen) {
		memcpy(buf, t, n);
		buf[n] = '\0';
		*schema = t + n + 1;
		return buf;
	}
	*schema = t;
	return "application/json";
}

/* {"MEDIA": {"schema": ...}, ...} of a response's "TYPE^TYPE". */
static json_object *
content_of(const char *t, size_t len)
{
	json_object *content = json_object_new_object();
	char media[64], text[2048];

	while (len > 0) {
		const char *caret = memchr(t, '^', len), *schema;
		size_t one = caret ? (size_t)(caret - t) : len;
		const char *m = media_of(t, one, media, sizeof(media), &schema);
		json_object *mo = json_object_new_object();

		snprintf(text, sizeof(text), "%.*s", (int)(one - (size_t)(schema - t)), schema);
		json_object_object_add(mo, "schema", inn_schema_parse(text));
		json_object_object_add(content, m, mo);
		t += one + (caret ? 1 : 0);
		len -= one + (caret ? 1 : 0);
	}
	return content;
}

/* One response: description what (or the reason phrase), content. */
static void
add_response(json_object *resp, int status, const char *type, size_t tlen, const char *what,
             size_t wlen)
{
	json_object *r = json_object_new_object();
	char code[8];

	snprintf(code, sizeof(code), "%d", status);
	if (json_object_object_get_ex(resp, code, NULL))
		return;         /* the route's own says more */
	json_object_object_add(r, "description", what && wlen ? str_n(what, wlen) :
	                       json_object_new_string(inn_http_reason(status)));
	if (type != NULL && tlen > 0)
		json_object_object_add(r, "content", content_of(type, tlen));
	else if (status >= 400)
		json_object_object_add(r, "content", content_of("Error", 5));
	json_object_object_add(resp, code, r);
}

/* An error answer that any route of a kind may give. */
static void
add_error(json_object *resp, int status, const char *what)
{
	add_response(resp, status, NULL, 0, what, strlen(what));
}

/* The route's "STATUS[=TYPE][#what];..." */
static json_object *
responses_of(const struct route *r)
{
	json_object *resp = json_object_new_object();
	const char *p = r->resp;

	while (p != NULL && *p != '\0') {
		size_t n = strcspn(p, ";");
		const char *eq = memchr(p, '=', n), *hash = memchr(p, '#', n);
		const char *type = eq ? eq + 1 : NULL;
		size_t tlen = type ? (size_t)((hash ? hash : p + n) - type) : 0;

		add_response(resp, (int)strtol(p, NULL, 10), type, tlen, hash ? hash + 1 : NULL,
		             hash ? (size_t)(p + n - hash - 1) : 0);
		p += n + (p[n] == ';');
	}
	/* what any route of its kind may answer */
	/* http_scan.c refuses a malformed request before any route sees it */
	add_error(resp, 400, (r->method == EVHTTP_REQ_POST || r->method == EVHTTP_REQ_DELETE) &&
	          !takes_raw_body(r) ?
	          "a malformed request (a bad request line or header, two Authorization "
	          "headers, ...), a path segment with a control character, a query parameter "
	          "this operation does not list, or a body that is not valid JSON (a member "
	          "name twice in one object included)" :
	          "a malformed request (a bad request line or header, two Authorization "
	          "headers, ...) or a path segment with a control character");
	if (r->method == EVHTTP_REQ_POST)
		add_error(resp, 413, "the body is larger than the server takes");
	if (takes_json_body(r))
		add_error(resp, 415, "the body is declared (Content-Type) as something else "
		          "than application/json or application/*+json (none, and curl -d's "
		          "application/x-www-form-urlencoded, are read as JSON)");
	if (r->access != API_PUBLIC)
		add_error(resp, 401, "no API key, or an unknown or revoked one");
	if (r->access == API_ADMIN)
		add_error(resp, 403, "the key is not an admin key");
	add_error(resp, 408, "the request came too slowly");
	add_error(resp, 431, "the request head (request line and headers) is too large");
	add_error(resp, 503, "busy: too many connections, out of memory, or the "
	             "store cannot be reached");
	add_error(resp, 505, "an HTTP version other than 1.0 or 1.1 in the request line");
	return resp;
}

/* One parameter: in (path, query, header), "name:TYPE what". */
static json_object *
param_of(const char *in, const char *text, size_t len)
{
	json_object *p = json_object_new_object();
	const char *colon = memchr(text, ':', len), *sp;
	char type[256];

	if (colon == NULL)
		colon = text + len;
	sp = memchr(colon, ' ', (size_t)(text + len - colon));
	if (sp == NULL)
		sp = text + len;
	json_object_object_add(p, "name", str_n(text, (size_t)(colon - text)));
	json_object_object_add(p, "in", json_object_new_string(in));
	if (sp < text + len)
		json_object_object_add(p, "description", str_n(sp + 1, (size_t)(text + len - sp - 1)));
	json_object_object_add(p, "required", json_object_new_boolean(strcmp(in, "path") == 0));
	snprintf(type, sizeof(type), "%.*s", colon < sp ? (int)(sp - colon - 1) : 0, colon + 1);
	json_object_object_add(p, "schema", inn_schema_parse(type[0] ? type : "string"));
	return p;
}

static json_object *
parameters_of(const struct route *r)
{
	json_object *params = json_object_new_array();
	const char *brace = strchr(r->pattern, '{'), *p = r->query;

	if (brace != NULL) {
		/* {id}: an execution id; {name}: a name */
		json_object_array_add(params, strncmp(brace, "{id}", 4) == 0 ?
		                      param_of("path", "id:integer the execution's id", 29) :
		                      param_of("path", "name:string", 11));
	}
	while (p != NULL && *p != '\0') {
		size_t n = query_item_len(p);

		json_object_array_add(params, *p == '@' ? param_of("header", p + 1, n - 1) :
		                      param_of("query", p, n));
		p += n + (p[n] == ';');
	}
	return params;
}

/* "json,yaml:TYPE": a request body, optional (an empty body is {}). */
static json_object *
body_of(const struct route *r)
{
	static const char *const media[][2] = {
		{ "json", "application/json" }, { "yaml", "application/yaml" },
	};
	json_object *b = json_object_new_object(), *content = json_object_new_object();
	const char *colon = strchr(r->body, ':');
	size_t mlen = (size_t)(colon - r->body), i;

	for (i = 0; i < sizeof(media) / sizeof(media[0]); i++)
		if (memmem(r->body, mlen, media[i][0], 4) != NULL) {
			json_object *m = json_object_new_object();

			json_object_object_add(m, "schema", inn_schema_parse(colon + 1));
			json_object_object_add(content, media[i][1], m);
		}
	json_object_object_add(b, "required", json_object_new_boolean(0));
	json_object_object_add(b, "content", content);
	return b;
}

static const struct {
	const char *name, *description;
} tags[] = {
	{ "system", "Health, readiness, metrics, this document (no key needed)" },
	{ "catalog", "What can be run: providers, golden paths, plugins" },
	{ "executions", "Running workflows and golden paths, their state, logs and events" },
	{ "applications", "Score specs deployed as applications, and their resources" },
	{ "keys", "Who the calling API key is (any key)" },
	{ "admin", "API keys, the audit trail, provider sources (admin keys only)" },
	{ "demo", "The demo environment (admin keys only)" },
};

json_object *
inn_openapi(void)
{
	json_object *doc = json_object_new_object(), *info = json_object_new_object();
	json_object *paths = json_object_new_object(), *comp = json_object_new_object();
	json_object *schemes = json_object_new_object(), *bearer = json_object_new_object();
	json_object *sec = json_object_new_array(), *s = json_object_new_object();
	json_object *tl = json_object_new_array();
	size_t i;

	json_object_object_add(doc, "openapi", json_object_new_string("3.1.0"));
	json_object_object_add(info, "title", json_object_new_string("innominatus"));
	json_object_object_add(info, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(info, "description", json_object_new_string(
	    "A platform orchestrator: run workflows and golden paths, deploy Score specs.  "
	    "Every error is {\"error\": {\"code\", \"message\"}}."));
	json_object_object_add(doc, "info", info);
	json_object_object_add(bearer, "type", json_object_new_string("http"));
	json_object_object_add(bearer, "scheme", json_object_new_string("bearer"));
	json_object_object_add(bearer, "description", json_object_new_string(
	    "An API key (inn_...): innominatus --create-admin-key NAME, or POST /api/admin/keys"));
	json_object_object_add(schemes, "bearer", bearer);
	json_object_object_add(comp, "securitySchemes", schemes);
	json_object_object_add(comp, "schemas", inn_schema_components());
	/* a key everywhere, but on the routes that say security: [] */
	json_object_object_add(s, "bearer", json_object_new_array());
	json_object_array_add(sec, s);
	json_object_object_add(doc, "security", sec);
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		json_object *t = json_object_new_object();

		json_object_object_add(t, "name", json_object_new_string(tags[i].name));
		json_object_object_add(t, "description", json_object_new_string(tags[i].description));
		json_object_array_add(tl, t);
	}
	json_object_object_add(doc, "tags", tl);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		json_object *item, *op = json_object_new_object(), *params = parameters_of(r);
		json_object *tag = json_object_new_array();

		if (!json_object_object_get_ex(paths, r->pattern, &item)) {
			item = json_object_new_object();
			json_object_object_add(paths, r->pattern, item);
		}
		json_object_object_add(op, "operationId", json_object_new_string(r->op));
		json_object_array_add(tag, json_object_new_string(r->tag));
		json_object_object_add(op, "tags", tag);
		json_object_object_add(op, "summary", json_object_new_string(r->summary));
		if (json_object_array_length(params) > 0)
			json_object_object_add(op, "parameters", params);
		else
			json_object_put(params);
		if (r->body != NULL)
			json_object_object_add(op, "requestBody", body_of(r));
		if (r->access == API_PUBLIC)
			json_object_object_add(op, "security", json_object_new_array());
		else
			json_object_object_add(op, "x-innominatus-access", json_object_new_string(
			    r->access == API_ADMIN ? "admin" : "user"));
		json_object_object_add(op, "responses", responses_of(r));
		json_object_object_add(item, method_name(r->method), op);
	}
	json_object_object_add(doc, "paths", paths);
	json_object_object_add(doc, "components", comp);
	return doc;
}

/* Matches path against pattern; on a match *arg gets the {x} segment
 * (decoded, in buf).  Returns 0 (no match), 1, or 2: a match whose
 * decoded segment has a NUL or another control character (*arg NULL). */
static int
match(const char *pattern, const char *path, char *buf, size_t len, const char **arg)
{
	const char *brace = strchr(pattern, '{'), *close, *seg_end;
	size_t pre;
	char *dec;
	size_t dlen, i;

	*arg = NULL;
	if (brace == NULL)
		return strcmp(pattern, path) == 0;
	pre = (size_t)(brace - pattern);
	if (strncmp(pattern, path, pre) != 0)
		return 0;
	close = strchr(brace, '}');
	seg_end = strchr(path + pre, '/');
	if (seg_end == NULL)
		seg_end = path + strlen(path);
	if (seg_end == path + pre || strcmp(close + 1, seg_end) != 0)
		return 0;
	if ((size_t)(seg_end - path - pre) >= len)
		return 0;
	memcpy(buf, path + pre, (size_t)(seg_end - path - pre));
	buf[seg_end - path - pre] = '\0';
	if ((dec = evhttp_uridecode(buf, 0, &dlen)) != NULL) {
		/* "kv%00x" must not become "kv" */
		for (i = 0; i < dlen; i++)
			if ((unsigned char)dec[i] < 0x20 || dec[i] == 0x7f) {
				free(dec);
				return 2;
			}
		snprintf(buf, len, "%s", dec);
		free(dec);
	}
	*arg = buf;
	return 1;
}

/* A POST: its body is parsed (and a run's fields read, Score spec
 * included) on a request thread; the handler then runs on the loop thread. */
static void
post_work(void *arg)
{
	struct api_call *c = arg;
	size_t len = evbuffer_get_length(c->in);
	const char *data = len ? (const char *)evbuffer_pullup(c->in, -1) : NULL;

	c->body_code = "invalid_json";
	if (len > c->srv->cfg.max_body) {
		c->body_st = 413;
		c->body_code = "body_too_large";
		snprintf(c->run_msg, sizeof(c->run_msg), "the request body is %zu bytes; the "
		         "limit is %zu", len, c->srv->cfg.max_body);
	} else if (len > 0 && data == NULL) {
		c->body_st = 400;
		c->body_code = "bad_body";
		snprintf(c->run_msg, sizeof(c->run_msg), "cannot read the request body");
	} else if (c->raw_body) {
		c->body_st = 0;   /* the route's work part reads it */
	} else {
		c->body_st = inn_body_parse(data, len, &c->body, &c->body_code, c->run_msg,
		                            sizeof(c->run_msg));
	}
	if (c->body_st == 0 && c->work != NULL)
		c->work(c);
	evbuffer_free(c->in);
	c->in = NULL;
}

static void
post_done(void *arg, int cancelled)
{
	struct api_call *c = arg;

	if (cancelled) {
		/* the server stops: the request is gone with evhttp */
	} else if (c->body_st != 0) {
		inn_http_error(c->req, c->body_st, c->body_code, "%s", c->run_msg);
	} else {
		inn_http_body_preset(c->req, c->body);
		c->fn(c);
		inn_http_body_preset(NULL, NULL);
	}
	if (c->in != NULL)
		evbuffer_free(c->in);
	json_object_put(c->spec);
	json_object_put(c->body);
	json_object_put(c->reply);
	inn_score_free(c->score);
	inn_ydoc_free(c->ydoc);
	free(c->query);
	free(c);
}

static void
defer_post(const struct api_call *from, const struct route *r)
{
	struct api_call *c = malloc(sizeof(*c));

	if (c == NULL) {
		inn_http_error(from->req, 503, "busy", "out of memory");
		return;
	}
	*c = *from;
	c->fn = r->fn;
	c->work = r->work;
	/* the body moves out of evhttp's buffer (no copy) to the request thread */
	if ((c->in = evbuffer_new()) == NULL) {
		inn_http_error(from->req, 503, "busy", "out of memory");
		free(c);
		return;
	}
	evbuffer_add_buffer(c->in, evhttp_request_get_input_buffer(from->req));
	if (from->arg != NULL) {
		snprintf(c->argbuf, sizeof(c->argbuf), "%s", from->arg);
		c->arg = c->argbuf;
	}
	/* the execute route's body is a Score spec, and its query holds the
	 * parameters: both read on the request thread */
	if ((c->raw_body = takes_raw_body(r))) {
		const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(from->req);
		const char *q = uri ? evhttp_uri_get_query(uri) : NULL;

		if (q != NULL && (c->query = strdup(q)) == NULL) {
			inn_http_error(from->req, 503, "busy", "out of memory");
			evbuffer_free(c->in);
			free(c);
			return;
		}
	}
	if (inn_http_defer(post_work, post_done, c) != 0) {
		inn_http_error(from->req, 503, "busy", "%s", inn_error_last());
		evbuffer_free(c->in);
		free(c->query);
		free(c);
	}
}

/* 1 if the Content-Type value ct (may be NULL) may be JSON: absent,
 * application/json or application/SOMETHING+json, parameters after ';'
 * -- or application/x-www-form-urlencoded, which curl -d (and many an
 * HTTP library) sends unasked: a JSON body sent that way is no one's
 * declaration of a form, and scripts written so keep working. */
static int
declares_json(const char *ct)
{
	size_t n;

	if (ct == NULL)
		return 1;
	ct += strspn(ct, " \t");
	n = strcspn(ct, "; \t");
	if ((n == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
	    (n == 33 && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0))
		return 1;
	return n > 17 && strncasecmp(ct, "application/", 12) == 0 &&
	       strncasecmp(ct + n - 5, "+json", 5) == 0 && memchr(ct + 12, '/', n - 12) == NULL;
}

/* The checks of a POST or a DELETE before its body is read (the raw-body routes read
 * their query themselves): a JSON body declared as JSON, only the query
 * parameters the route lists (one each; a misspelt ?dry_run must not run
 * for real), and a run route's ?dry_run into c->dry_query.  Returns 0, or
 * -1 after replying 400 or 415. */
static int
post_precheck(struct api_call *c, const struct route *r)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(c->req);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL, *known[8], *p = r->query;
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(c->req),
	                                    "Content-Type");
	char names[8][32], msg[600];
	json_object *got = NULL, *v;
	size_t n = 0;
	int dry;

	if (takes_raw_body(r))
		return 0;
	if (takes_json_body(r) && evbuffer_get_length(evhttp_request_get_input_buffer(c->req)) > 0 &&
	    !declares_json(ct)) {
		inn_http_error(c->req, 415, "unsupported_media_type", "the body is declared as "
		               "\"%.80s\"; this route takes application/json", ct);
		return -1;
	}
	while (p != NULL && *p != '\0' && n + 1 < sizeof(known) / sizeof(known[0])) {
		size_t len = query_item_len(p), nl = strcspn(p, ":;");

		if (nl > len)
			nl = len;
		if (*p != '@' && nl < sizeof(names[0])) {
			memcpy(names[n], p, nl);
			names[n][nl] = '\0';
			known[n] = names[n];
			n++;
		}
		p += len + (p[len] == ';');
	}
	known[n] = NULL;
	if (q != NULL && *q != '\0' && n == 0) {
		inn_http_error(c->req, 400, "invalid_request", "query: %s takes no query "
		               "parameters (\"?%.80s\")", r->pattern, q);
		return -1;
	}
	if (inn_body_query_known(q, known, &got, msg, sizeof(msg)) != 0) {
		inn_http_error(c->req, 400, "invalid_request", "%s", msg);
		json_object_put(got);
		return -1;
	}
	if (r->work == inn_api_run_fields_work && json_object_object_get_ex(got, "dry_run", &v)) {
		if (inn_body_query_bool("dry_run", json_object_get_string(v), &dry, msg,
		                        sizeof(msg)) != 0) {
			inn_http_error(c->req, 400, "invalid_request", "%s", msg);
			json_object_put(got);
			return -1;
		}
		c->dry_query = dry ? 2 : 1;
	}
	json_object_put(got);
	return 0;
}

/* 1 if a route without {x} is exactly path: "/api/workflows/run" is that
 * route's path, never execution "run" of /api/workflows/{id}. */
static int
literal_route(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strchr(routes[i].pattern, '{') == NULL && strcmp(routes[i].pattern, path) == 0)
			return 1;
	return 0;
}

static void
dispatch(struct evhttp_request *req, void *arg)
{
	inn_server *srv = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct api_call c;
	char argbuf[512], allow[64];
	size_t i;
	unsigned path_methods = 0;      /* of the routes whose pattern matches */
	int literal;

	atomic_fetch_add(&srv->m_requests, 1);
	memset(&c, 0, sizeof(c));
	c.srv = srv;
	c.req = req;
	inn_http_conn_begin(req);
	inn_http_access_begin(req);
	/* every reply is what its Content-Type says: a browser never guesses */
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Content-Type-Options",
	                  "nosniff");
	if (path == NULL || *path == '\0')
		path = "/";
	/* the dashboard's pages and files (http_ui.c), before any route */
	if (inn_ui_owns(path)) {
		inn_ui_serve(srv, req, path);
		return;
	}
	if (m == EVHTTP_REQ_HEAD)
		m = EVHTTP_REQ_GET;
	literal = literal_route(path);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		int mt;

		if (literal && strchr(routes[i].pattern, '{') != NULL)
			continue;
		if ((mt = match(routes[i].pattern, path, argbuf, sizeof(argbuf), &c.arg)) == 0)
			continue;
		if (mt == 2) {
			inn_http_error(req, 400, "bad_path", "a path segment has a NUL or another "
			               "control character (%%00-%%1F, %%7F)");
			return;
		}
		path_methods |= (unsigned)routes[i].method;
		if (routes[i].method != m)
			continue;
		if (inn_api_authenticate(&c, routes[i].access) != 0)
			return;
		if (c.who.p.name[0] != '\0')
			inn_http_access_key(req, c.who.p.name);
		if (routes[i].access != API_PUBLIC)
			inn_http_conn_authed(req);
		/* a DELETE too: a misspelt parameter must not delete as if unsaid */
		if ((m == EVHTTP_REQ_POST || m == EVHTTP_REQ_DELETE) &&
		    post_precheck(&c, &routes[i]) != 0)
			return;
		if (m == EVHTTP_REQ_POST || routes[i].work != NULL) {
			defer_post(&c, &routes[i]);
			return;
		}
		routes[i].fn(&c);
		return;
	}
	if (m == EVHTTP_REQ_OPTIONS && strcmp(path, "*") == 0)
		for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
			path_methods |= (unsigned)routes[i].method;    /* the server's */
	if (path_methods == 0) {
		/* named as sent: evhttp reads "//api//x" as host "api" and path "//x" */
		const char *raw = evhttp_request_get_uri(req);

		if (raw == NULL || *raw != '/')
			raw = path;
		inn_http_error(req, 404, "not_found", "no route %.*s (see /api/openapi.json)",
		               (int)(strcspn(raw, "?#") > 300 ? 300 : strcspn(raw, "?#")), raw);
		return;
	}
	/* a path that exists: OPTIONS says which methods it takes (RFC 9110
	 * 9.3.7, "*" the server's; no key needed, as for a CORS preflight),
	 * any other method is 405 with the same Allow list (15.5.6) */
	allow_list(path_methods, allow, sizeof(allow));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	if (m == EVHTTP_REQ_OPTIONS) {
		inn_http_access_log(req, 204, 0);
		inn_http_send(req, 204, "No Content", NULL);
	} else {
		inn_http_error(req, 405, "method_not_allowed", "%s takes %s, not this method",
		               path, allow);
	}
}

void
inn_api_register(inn_server *srv)
{
	evhttp_set_gencb(srv->http, dispatch, srv);
}
