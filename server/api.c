/*
 * api.c - the REST API: one route table (method, path pattern, whether it
 * needs a key or the admin role, handler, summary) that serves requests,
 * enforces authentication, and generates /api/openapi.json, so the
 * document cannot drift from what is served.
 */
#include "config.h"

#include <errno.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "api_body.h"
#include "error.h"
#include "host.h"
#include "providers.h"
#include "runs_inputs.h"
#include "server.h"

enum access { PUBLIC, USER, ADMIN };

struct ctx {
	inn_server *srv;
	struct evhttp_request *req;
	inn_caller who;
	const char *arg;        /* the {name}/{id} path segment, decoded */
	json_object *body;      /* a POST's body, parsed on a request thread */
	struct evbuffer *in;    /* ... from these bytes */
	int body_st;            /* 0, or the status of a bad body */
	const char *body_code;
	void (*fn)(struct ctx *c);
	char argbuf[512];
	/* a provider admin operation done on the request thread */
	int worked, status;
	json_object *reply;
	/* the run fields, read on a request thread (run routes) */
	int run_ready, run_st, dry_run;
	const char *run_code;
	json_object *params, *spec;
	char run_msg[1024];
};

typedef void (*handler_fn)(struct ctx *c);

struct route {
	enum evhttp_cmd_type method;
	const char *pattern;    /* "/api/workflows/{id}/logs": one {x} segment at most */
	enum access access;
	handler_fn fn;
	const char *summary;
};

/*
 * A small cache of recently verified keys, so a busy client does not cost
 * a store lookup per request.  It holds the SHA-256 of each key, never the
 * key, and compares hashes in constant time.  Entries live
 * AUTH_CACHE_TTL_MS; revoking a key through the API empties the cache, so
 * a revoked key stops working at once on this server.  The lock lets the
 * connection front end (http.c) ask too.
 */
#define AUTH_CACHE_SIZE 256
#define AUTH_CACHE_TTL_MS 10000

static struct {
	unsigned char hash[32];
	inn_principal p;
	int64_t until;
} auth_cache[AUTH_CACHE_SIZE];
static pthread_mutex_t auth_lock = PTHREAD_MUTEX_INITIALIZER;

static int
auth_hash(const char *key, unsigned char out[32])
{
	unsigned int len = 0;

	return EVP_Digest(key, strlen(key), out, &len, EVP_sha256(), NULL) == 1 && len == 32 ?
	       0 : -1;
}

static unsigned
auth_slot(const unsigned char hash[32])
{
	return ((unsigned)hash[0] << 8 | hash[1]) % AUTH_CACHE_SIZE;
}

static int
auth_cache_get(const char *key, inn_principal *out)
{
	unsigned char h[32];
	unsigned i;
	int rc = -1;

	if (auth_hash(key, h) != 0)
		return -1;
	i = auth_slot(h);
	pthread_mutex_lock(&auth_lock);
	if (auth_cache[i].until > inn_now_ms() && CRYPTO_memcmp(auth_cache[i].hash, h, 32) == 0) {
		*out = auth_cache[i].p;
		rc = 0;
	}
	pthread_mutex_unlock(&auth_lock);
	return rc;
}

static void
auth_cache_put(const char *key, const inn_principal *p)
{
	unsigned char h[32];
	unsigned i;

	if (auth_hash(key, h) != 0)
		return;
	i = auth_slot(h);
	pthread_mutex_lock(&auth_lock);
	memcpy(auth_cache[i].hash, h, 32);
	auth_cache[i].p = *p;
	auth_cache[i].until = inn_now_ms() + AUTH_CACHE_TTL_MS;
	pthread_mutex_unlock(&auth_lock);
}

/* Forgets every cached key (after a revocation). */
static void
auth_cache_clear(void)
{
	pthread_mutex_lock(&auth_lock);
	memset(auth_cache, 0, sizeof(auth_cache));
	pthread_mutex_unlock(&auth_lock);
}

int
inn_api_key_check(inn_server *srv, const char *key, inn_principal *out)
{
	if (auth_cache_get(key, out) == 0)
		return 0;
	if (inn_store_key_lookup(srv->store, key, out) != 0)
		return -1;
	auth_cache_put(key, out);
	return 0;
}

/* ---- public ------------------------------------------------------------- */

static void
h_health(struct ctx *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "service", json_object_new_string("innominatus"));
	json_object_object_add(o, "version", json_object_new_string(PACKAGE_VERSION));
	inn_http_reply_json(c->req, 200, o);
	json_object_put(o);
}

static void
h_ready(struct ctx *c)
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
	inn_http_reply_json(c->req, ok ? 200 : 503, o);
	json_object_put(o);
}

static void
h_metrics(struct ctx *c)
{
	inn_server *s = c->srv;
	struct evbuffer *b = evbuffer_new();
	static const char *const les[] = { "10", "50", "100", "500", "1000", "5000", "30000",
	                                   "+Inf" };
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
		                    i == INN_STATE_TIMED_OUT ? "timed_out" : inn_state_name(i),
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
	for (i = 0; i < 8; i++) {
		cum += atomic_load(&s->m_step_bucket[i]);
		evbuffer_add_printf(b, "innominatus_step_duration_ms_bucket{le=\"%s\"} %lld\n",
		                    les[i], cum);
	}
	evbuffer_add_printf(b, "innominatus_step_duration_ms_sum %lld\n"
	                    "innominatus_step_duration_ms_count %lld\n",
	                    (long long)atomic_load(&s->m_step_ms_sum),
	                    (long long)atomic_load(&s->m_step_count));
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Content-Type",
	                  "text/plain; version=0.0.4");
	evhttp_send_reply(c->req, 200, "OK", b);
	evbuffer_free(b);
}

static void
h_openapi(struct ctx *c)
{
	json_object *doc = inn_openapi();

	inn_http_reply_json(c->req, 200, doc);
	json_object_put(doc);
}

/* ---- catalog ------------------------------------------------------------ */

static void
h_providers(struct ctx *c)
{
	/* the catalog changes only by a swap: render it once per catalog */
	static struct evbuffer *cached;
	static unsigned cached_gen;
	struct evbuffer *out;

	if (cached != NULL && cached_gen != c->srv->catalog_gen) {
		evbuffer_free(cached);
		cached = NULL;
	}
	if (cached == NULL) {
		json_object *a = json_object_new_array();
		const char *s;
		size_t i;

		for (i = 0; i < c->srv->catalog->nproviders; i++)
			json_object_array_add(a, inn_provider_json(c->srv->catalog->providers[i], 0));
		s = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN |
		                                   JSON_C_TO_STRING_NOSLASHESCAPE);
		cached = evbuffer_new();
		cached_gen = c->srv->catalog_gen;
		evbuffer_add(cached, s, strlen(s));
		json_object_put(a);
	}
	out = evbuffer_new();
	evbuffer_add_buffer_reference(out, cached);
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Content-Type",
	                  "application/json");
	evhttp_send_reply(c->req, 200, "OK", out);
	evbuffer_free(out);
}

static void
h_provider(struct ctx *c)
{
	const inn_provider *p = inn_catalog_provider(c->srv->catalog, c->arg);
	json_object *o;

	if (p == NULL) {
		inn_http_error(c->req, 404, "not_found", "no provider named \"%s\"", c->arg);
		return;
	}
	o = inn_provider_json(p, 1);
	inn_http_reply_json(c->req, 200, o);
	json_object_put(o);
}

static void
h_goldenpaths(struct ctx *c)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < c->srv->catalog->ngoldenpaths; i++)
		json_object_array_add(a, inn_goldenpath_json(&c->srv->catalog->goldenpaths[i]));
	inn_http_reply_json(c->req, 200, a);
	json_object_put(a);
}

static void
h_plugins(struct ctx *c)
{
	const inn_registry *reg = c->srv->registry;
	json_object *a = json_object_new_array();
	size_t i, j;

	for (i = 0; i < reg->nplugins; i++) {
		const inn_plugin *p = &reg->plugins[i];
		json_object *o = json_object_new_object(), *types = json_object_new_array();
		json_object *flags = json_object_new_array();
		char abi[32];

		for (j = 0; j < p->ntypes; j++)
			json_object_array_add(types, json_object_new_string(p->types[j]));
		if (p->desc.flags & INN_PLUGIN_DRY_RUN)
			json_object_array_add(flags, json_object_new_string("dry-run"));
		if (p->desc.flags & INN_PLUGIN_IDEMPOTENT)
			json_object_array_add(flags, json_object_new_string("idempotent"));
		if (p->desc.flags & INN_PLUGIN_CANCELLABLE)
			json_object_array_add(flags, json_object_new_string("cancellable"));
		if (p->desc.flags & INN_PLUGIN_NOT_THREAD_SAFE)
			json_object_array_add(flags, json_object_new_string("not-thread-safe"));
		snprintf(abi, sizeof(abi), "%u.%u", (unsigned)p->desc.abi_major,
		         (unsigned)p->desc.abi_minor);
		json_object_object_add(o, "type", json_object_new_string(p->type));
		json_object_object_add(o, "name", json_object_new_string(p->desc.name));
		json_object_object_add(o, "version", json_object_new_string(p->desc.version));
		json_object_object_add(o, "abi", json_object_new_string(abi));
		json_object_object_add(o, "step_types", types);
		json_object_object_add(o, "flags", flags);
		json_object_object_add(o, "config_schema", p->desc.config_schema ?
		                       json_tokener_parse(p->desc.config_schema) : NULL);
		json_object_object_add(o, "outputs_schema", p->desc.outputs_schema ?
		                       json_tokener_parse(p->desc.outputs_schema) : NULL);
		json_object_array_add(a, o);
	}
	inn_http_reply_json(c->req, 200, a);
	json_object_put(a);
}

/* ---- executions ---------------------------------------------------------- */

static int64_t
parse_id(struct ctx *c)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(c->arg, &end, 10);
	if (*c->arg < '0' || *c->arg > '9' || *end != '\0' || v <= 0) {
		inn_http_error(c->req, 400, "bad_id", "\"%.40s\" is not an execution id (a "
		               "positive decimal number)", c->arg);
		return -1;
	}
	if (errno == ERANGE) {
		inn_http_error(c->req, 400, "bad_id", "execution id \"%.40s\" is out of range "
		               "(the largest is %lld)", c->arg, (long long)INT64_MAX);
		return -1;
	}
	return v;
}

/* A stream cursor (after=, Last-Event-ID): a decimal number >= 0 in
 * range; otherwise a 400 naming it (a bad cursor read as 0 would replay
 * everything).  Returns 0, or -1 when the reply has been sent. */
static int
parse_cursor(struct ctx *c, const char *what, const char *text, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (*text < '0' || *text > '9' || *end != '\0' || errno == ERANGE) {
		inn_http_error(c->req, 400, "bad_cursor", "%s \"%.40s\" is not a cursor (a "
		               "decimal number from 0 to %lld)", what, text, (long long)INT64_MAX);
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * Whose executions, applications, resources and events a caller sees (and
 * acts on): an admin everything; a key with a team its team's; a key
 * without a team only what it created itself -- never what admins (whose
 * runs have no team unless their key has one) or other keys without a team
 * did.  scope_team/scope_user are the store's filter for that.
 */
static const char *
scope_team(const struct ctx *c)
{
	return c->who.admin || c->who.p.team[0] == '\0' ? NULL : c->who.p.team;
}

static const char *
scope_user(const struct ctx *c)
{
	return c->who.admin || c->who.p.team[0] != '\0' ? NULL : c->who.p.name;
}

int
inn_caller_sees(const inn_caller *who, const char *team, const char *created_by)
{
	if (who->admin)
		return 1;
	if (who->p.team[0] != '\0')
		return team != NULL && strcmp(team, who->p.team) == 0;
	return team == NULL && created_by != NULL && strcmp(created_by, who->p.name) == 0;
}

/* The execution if the caller may see it (inn_caller_sees); replies 404
 * otherwise (another team's execution is not acknowledged either). */
static inn_exec_row *
visible_exec(struct ctx *c, int64_t id)
{
	inn_exec_row *row = NULL;

	if (inn_store_exec_get(c->srv->store, id, &row) != 0 ||
	    !inn_caller_sees(&c->who, row->team, row->created_by)) {
		inn_exec_row_free(row);
		inn_http_error(c->req, 404, "not_found", "no execution %lld", (long long)id);
		return NULL;
	}
	return row;
}

static json_object *
exec_json(const inn_exec_row *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(r->id));
	json_object_object_add(o, "workflow", inn_json_str(r->workflow));
	json_object_object_add(o, "kind", inn_json_str(r->kind));
	json_object_object_add(o, "app", inn_json_str(r->app));
	json_object_object_add(o, "team", inn_json_str(r->team));
	json_object_object_add(o, "created_by", inn_json_str(r->created_by));
	json_object_object_add(o, "status", inn_json_str(r->status));
	json_object_object_add(o, "message", r->message && *r->message ? inn_json_str(r->message) : NULL);
	json_object_object_add(o, "dry_run", json_object_new_boolean(r->dry_run));
	json_object_object_add(o, "retry_of", r->retry_of ? json_object_new_int64(r->retry_of)
	                                                 : NULL);
	json_object_object_add(o, "created_ms", json_object_new_int64(r->created_ms));
	json_object_object_add(o, "started_ms", r->started_ms ?
	                       json_object_new_int64(r->started_ms) : NULL);
	json_object_object_add(o, "ended_ms", r->ended_ms ? json_object_new_int64(r->ended_ms)
	                                                  : NULL);
	if (r->started_ms && r->ended_ms)
		json_object_object_add(o, "duration_ms",
		                       json_object_new_int64(r->ended_ms - r->started_ms));
	return o;
}

static void
reply_submitted(struct ctx *c, int rc, int64_t id)
{
	json_object *o;

	if (rc == INN_ENOTFOUND) {
		inn_http_error(c->req, 404, "not_found", "%s", inn_error_last());
		return;
	}
	if (rc == INN_ECANCELLED) {
		inn_http_error(c->req, 503, "draining", "%s", inn_error_last());
		return;
	}
	if (rc == INN_RUNS_FULL) {
		evhttp_add_header(evhttp_request_get_output_headers(c->req), "Retry-After", "5");
		inn_http_error(c->req, 429, "queue_full", "%s", inn_error_last());
		return;
	}
	if (rc == INN_EFORBIDDEN) {
		inn_http_error(c->req, 403, "forbidden", "%s", inn_error_last());
		return;
	}
	if (rc == INN_RUNS_TOO_BIG) {
		inn_http_error(c->req, 413, "too_large", "%s", inn_error_last());
		return;
	}
	if (rc != 0) {
		inn_http_error(c->req, rc == INN_EINVAL ? 400 : 500,
		               rc == INN_EINVAL ? "invalid_request" : "internal", "%s",
		               inn_error_last());
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "status", json_object_new_string("pending"));
	inn_http_reply_json(c->req, 202, o);
	json_object_put(o);
}

/* Reads the common run body {parameters, spec, dry_run}; replies 400 itself. */
static int
run_body(struct ctx *c, json_object *body, json_object **params, json_object **spec,
         int *dry_run)
{
	const char *code = "invalid_request";
	char msg[1024];
	int st;

	if (c->run_ready) {
		/* read on the request thread already */
		*params = c->params;
		*spec = c->spec;
		*dry_run = c->dry_run;
		c->spec = NULL;
		c->run_ready = 0;
		if (c->run_st != 0)
			inn_http_error(c->req, c->run_st, c->run_code, "%s", c->run_msg);
		return c->run_st != 0 ? -1 : 0;
	}
	st = inn_body_run_fields(body, params, spec, dry_run, &code, msg, sizeof(msg));
	if (st != 0) {
		inn_http_error(c->req, st, code, "%s", msg);
		return -1;
	}
	return 0;
}

static void
submit(struct ctx *c, const char *ref, const char *kind, json_object *body)
{
	json_object *params, *spec;
	int dry_run, rc;
	int64_t id = 0;

	if (run_body(c, body, &params, &spec, &dry_run) != 0)
		return;
	rc = inn_runs_submit(c->srv, &c->who, ref, kind, params, spec, dry_run, 0, &id);
	json_object_put(spec);
	reply_submitted(c, rc, id);
}

static void
h_goldenpath_run(struct ctx *c)
{
	json_object *body = inn_http_body_json(c->srv, c->req);

	if (body == NULL)
		return;
	submit(c, c->arg, "golden-path", body);
	json_object_put(body);
}

static void
h_workflow_run(struct ctx *c)
{
	json_object *body = inn_http_body_json(c->srv, c->req), *w;

	if (body == NULL)
		return;
	if (!json_object_object_get_ex(body, "workflow", &w) ||
	    !json_object_is_type(w, json_type_string)) {
		inn_http_error(c->req, 400, "invalid_request", "\"workflow\" (\"provider/name\" or a "
		               "golden path name) is required");
		json_object_put(body);
		return;
	}
	submit(c, json_object_get_string(w), "workflow", body);
	json_object_put(body);
}

static int
query_int(struct evhttp_request *req, const char *name, int def, int lo, int hi)
{
	char buf[32], *end;
	long v;

	if (inn_http_query(req, name, buf, sizeof(buf)) == NULL)
		return def;
	v = strtol(buf, &end, 10);
	if (*end != '\0' || v < lo)
		return def;
	return v > hi ? hi : (int)v;
}

static void
h_workflows(struct ctx *c)
{
	inn_exec_filter f;
	inn_exec_row **rows = NULL;
	size_t n = 0, i;
	int64_t total = 0;
	char app[256], status[64], wf[256];
	json_object *o, *data;

	memset(&f, 0, sizeof(f));
	f.app = inn_http_query(c->req, "app", app, sizeof(app));
	f.status = inn_http_query(c->req, "status", status, sizeof(status));
	f.workflow = inn_http_query(c->req, "workflow", wf, sizeof(wf));
	f.team = scope_team(c);
	f.user = scope_user(c);
	f.page = query_int(c->req, "page", 1, 1, 1000000);
	f.page_size = query_int(c->req, "page_size", 20, 1, 200);
	if (inn_store_exec_list(c->srv->store, &f, &rows, &n, &total) != 0) {
		inn_http_error(c->req, 500, "store", "%s", inn_error_last());
		return;
	}
	o = json_object_new_object();
	data = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(data, exec_json(rows[i]));
	inn_exec_rows_free(rows, n);
	json_object_object_add(o, "data", data);
	json_object_object_add(o, "total", json_object_new_int64(total));
	json_object_object_add(o, "page", json_object_new_int(f.page));
	json_object_object_add(o, "page_size", json_object_new_int(f.page_size));
	json_object_object_add(o, "total_pages", json_object_new_int64(
	    (total + f.page_size - 1) / f.page_size));
	inn_http_reply_json(c->req, 200, o);
	json_object_put(o);
}

/* GET /api/workflows/{id}: an execution may have thousands of steps (a
 * multi-megabyte reply), so the steps are read and the reply serialised
 * on a request thread; the loop only sends it. */
struct workflow_job {
	inn_server *srv;
	struct evhttp_request *req;
	inn_exec_row *row;
	struct evbuffer *out;
};

static void
workflow_work(void *arg)
{
	struct workflow_job *j = arg;
	inn_exec_row *row = j->row;
	inn_step_row *steps = NULL;
	size_t n = 0, i;
	json_object *o, *arr;

	o = exec_json(row);
	json_object_object_add(o, "parameters", json_object_get(row->params));
	json_object_object_add(o, "outputs", json_object_get(row->outputs));
	arr = json_object_new_array();
	if (inn_store_steps_get(j->srv->store, row->id, &steps, &n) == 0) {
		for (i = 0; i < n; i++) {
			json_object *so = json_object_new_object();

			json_object_object_add(so, "name", inn_json_str(steps[i].name));
			json_object_object_add(so, "type", inn_json_str(steps[i].type));
			json_object_object_add(so, "status", inn_json_str(steps[i].status));
			json_object_object_add(so, "attempts", json_object_new_int(steps[i].attempts));
			json_object_object_add(so, "message", inn_json_str(steps[i].message));
			json_object_object_add(so, "started_ms", steps[i].started_ms ?
			                       json_object_new_int64(steps[i].started_ms) : NULL);
			json_object_object_add(so, "ended_ms", steps[i].ended_ms ?
			                       json_object_new_int64(steps[i].ended_ms) : NULL);
			if (steps[i].started_ms && steps[i].ended_ms)
				json_object_object_add(so, "duration_ms", json_object_new_int64(
				    steps[i].ended_ms - steps[i].started_ms));
			json_object_object_add(so, "outputs", json_object_get(steps[i].outputs));
			json_object_array_add(arr, so);
		}
		inn_step_rows_free(steps, n);
	}
	json_object_object_add(o, "steps", arr);
	if (inn_http_json_buffer(o, j->out) != 0)
		evbuffer_drain(j->out, evbuffer_get_length(j->out));
	json_object_put(o);
}

static void
workflow_done(void *arg, int cancelled)
{
	struct workflow_job *j = arg;

	if (cancelled) {
		/* the server stops: the request is gone with evhttp */
	} else if (evbuffer_get_length(j->out) == 0) {
		inn_http_error(j->req, 503, "busy", "out of memory");
	} else {
		inn_http_reply_buffer(j->req, 200, j->out);
	}
	evbuffer_free(j->out);
	inn_exec_row_free(j->row);
	free(j);
}

static void
h_workflow(struct ctx *c)
{
	int64_t id = parse_id(c);
	inn_exec_row *row;
	struct workflow_job *j;

	if (id < 0 || (row = visible_exec(c, id)) == NULL)
		return;
	if ((j = calloc(1, sizeof(*j))) == NULL || (j->out = evbuffer_new()) == NULL) {
		free(j);
		inn_exec_row_free(row);
		inn_http_error(c->req, 503, "busy", "out of memory");
		return;
	}
	j->srv = c->srv;
	j->req = c->req;
	j->row = row;
	if (inn_http_defer(workflow_work, workflow_done, j) != 0) {
		inn_http_error(c->req, 503, "busy", "%s", inn_error_last());
		evbuffer_free(j->out);
		inn_exec_row_free(row);
		free(j);
	}
}

static int
is_final_status(const char *s)
{
	return s != NULL && strcmp(s, "pending") != 0 && strcmp(s, "running") != 0;
}

static void
h_workflow_logs(struct ctx *c)
{
	int64_t id = parse_id(c), after;
	inn_exec_row *row;
	json_object *lines = NULL;
	char buf[32];
	int follow;

	if (id < 0 || (row = visible_exec(c, id)) == NULL)
		return;
	after = 0;
	if (inn_http_query(c->req, "after", buf, sizeof(buf)) != NULL &&
	    parse_cursor(c, "after", buf, &after) != 0) {
		inn_exec_row_free(row);
		return;
	}
	follow = inn_http_query(c->req, "follow", buf, sizeof(buf)) != NULL &&
	         (strcmp(buf, "1") == 0 || strcmp(buf, "true") == 0);
	if (!follow) {
		json_object *o = json_object_new_object();
		int limit = query_int(c->req, "limit", 1000, 1, 10000);
		size_t n;

		if (inn_store_logs_get(c->srv->store, id, after, limit, &lines) != 0)
			lines = json_object_new_array();
		n = json_object_array_length(lines);
		json_object_object_add(o, "lines", lines);
		json_object_object_add(o, "next_after", json_object_new_int64(n ?
		    json_object_get_int64(json_object_object_get(
		        json_object_array_get_idx(lines, n - 1), "seq")) : after));
		json_object_object_add(o, "status", inn_json_str(row->status));
		inn_http_reply_json(c->req, 200, o);
		json_object_put(o);
	} else {
		/* SSE: the backlog from the store a page at a time as the client
		 * reads it, then live lines, then "end" (http.c: flow control) */
		struct sse_client *sc = inn_sse_open(c->req, id, &c->who, after);

		if (sc != NULL)
			inn_sse_catch_up(c->srv, sc);
		else
			inn_http_error(c->req, 503, "busy", "out of memory");
	}
	inn_exec_row_free(row);
}

static void
h_workflow_cancel(struct ctx *c)
{
	int64_t id = parse_id(c);
	inn_exec_row *row;
	json_object *o;
	int rc;

	if (id < 0 || (row = visible_exec(c, id)) == NULL)
		return;
	rc = is_final_status(row->status) ? INN_ENOTFOUND : inn_runs_cancel(c->srv, id);
	if (rc != 0 && !is_final_status(row->status)) {
		/* it ended meanwhile: answer with what the store says now */
		inn_exec_row_free(row);
		if (inn_store_exec_get(c->srv->store, id, &row) != 0) {
			inn_http_error(c->req, 500, "internal", "%s", inn_error_last());
			return;
		}
	}
	if (rc != 0) {
		inn_http_error(c->req, 409, "not_running", "execution %lld is %s; only a pending or "
		               "running execution can be cancelled", (long long)id, row->status);
		inn_exec_row_free(row);
		return;
	}
	{
		char target[64];

		snprintf(target, sizeof(target), "execution/%lld", (long long)id);
		inn_store_audit(c->srv->store, c->who.p.name, "execution.cancel", target, NULL);
	}
	/* a queued execution is cancelled at once; a running one when its step stops */
	inn_exec_row_free(row);
	row = NULL;
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "status", json_object_new_string(
	    inn_store_exec_get(c->srv->store, id, &row) == 0 && strcmp(row->status, "cancelled") == 0
	        ? "cancelled" : "cancelling"));
	inn_http_reply_json(c->req, 202, o);
	json_object_put(o);
	inn_exec_row_free(row);
}

static void
h_workflow_retry(struct ctx *c)
{
	int64_t id = parse_id(c), nid = 0;
	inn_exec_row *row;
	json_object *params = NULL, *spec = NULL;
	int rc;

	if (id < 0 || (row = visible_exec(c, id)) == NULL)
		return;
	if (!is_final_status(row->status) || strcmp(row->status, "succeeded") == 0) {
		inn_http_error(c->req, 409, "not_retryable", "execution %lld is %s; only a failed, "
		               "cancelled, timed-out or interrupted execution can be retried",
		               (long long)id, row->status);
		inn_exec_row_free(row);
		return;
	}
	if (row->dry_run) {
		/* a dry run changes nothing: there is nothing to go on from */
		inn_http_error(c->req, 409, "not_retryable", "execution %lld is a dry run (%s); "
		               "dry runs are not retried: submit a new dry run instead",
		               (long long)id, row->status);
		inn_exec_row_free(row);
		return;
	}
	/* the same inputs as the first run: its secrets unsealed, never "***" */
	if (inn_runs_inputs_open(c->srv->secretbox, row, &params, &spec) != 0) {
		inn_http_error(c->req, 409, "secrets_unavailable", "%s", inn_error_last());
		inn_exec_row_free(row);
		return;
	}
	rc = inn_runs_submit(c->srv, &c->who, row->workflow, row->kind, params, spec,
	                     row->dry_run, id, &nid);
	json_object_put(params);
	json_object_put(spec);
	inn_exec_row_free(row);
	reply_submitted(c, rc, nid);
}

static void
h_events(struct ctx *c)
{
	char buf[32];
	int64_t after = 0;
	struct sse_client *sc;
	const char *last = evhttp_find_header(evhttp_request_get_input_headers(c->req),
	                                      "Last-Event-ID");

	if (inn_http_query(c->req, "after", buf, sizeof(buf)) != NULL) {
		if (parse_cursor(c, "after", buf, &after) != 0)
			return;
	} else if (last != NULL && parse_cursor(c, "Last-Event-ID", last, &after) != 0) {
		return;
	}
	sc = inn_sse_open(c->req, 0, &c->who, after);
	if (sc == NULL) {
		inn_http_error(c->req, 503, "busy", "out of memory");
		return;
	}
	/* after=N (or Last-Event-ID) replays the events after N -- after=0
	 * all of them -- a page at a time as the client reads; without
	 * either the stream starts with the live events */
	if (inn_http_query(c->req, "after", buf, sizeof(buf)) != NULL || last != NULL)
		inn_sse_catch_up(c->srv, sc);
	else
		inn_sse_register(c->srv, sc);
}

/* ---- admin ---------------------------------------------------------------- */

static void
h_audit(struct ctx *c)
{
	json_object *entries = NULL;

	if (inn_store_audit_list(c->srv->store, query_int(c->req, "limit", 100, 1, 1000),
	                         &entries) != 0) {
		inn_http_error(c->req, 500, "store", "%s", inn_error_last());
		return;
	}
	inn_http_reply_json(c->req, 200, entries);
	json_object_put(entries);
}

static void
h_admin_key_revoke(struct ctx *c)
{
	json_object *o;

	if (inn_store_key_revoke(c->srv->store, c->arg) != 0) {
		inn_http_error(c->req, 404, "not_found", "no key named \"%s\"", c->arg);
		return;
	}
	auth_cache_clear();
	/* a stream opened with the key must not outlive it */
	inn_sse_end_key(c->srv, c->arg);
	inn_store_audit(c->srv->store, c->who.p.name, "key.revoke", c->arg, NULL);
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(c->arg));
	json_object_object_add(o, "revoked", json_object_new_boolean(1));
	inn_http_reply_json(c->req, 200, o);
	json_object_put(o);
}

static void
h_admin_keys(struct ctx *c)
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
	if (inn_store_key_create(c->srv->store, name, role, team, &plain) != 0) {
		inn_http_error(c->req, 409, "conflict", "%s", inn_error_last());
		json_object_put(body);
		return;
	}
	inn_store_audit(c->srv->store, c->who.p.name, "key.create", name, NULL);
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "role", json_object_new_string(role));
	json_object_object_add(o, "team", json_object_new_string(team));
	json_object_object_add(o, "key", json_object_new_string(plain));
	inn_http_reply_json(c->req, 201, o);
	json_object_put(o);
	free(plain);
	json_object_put(body);
}

/* ---- provider sources (admin) --------------------------------------------------- */

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

static void
h_admin_providers(struct ctx *c)
{
	json_object *reply = NULL;
	int status = inn_providers_list(c->srv, &reply);

	inn_http_reply_json(c->req, status, reply);
	json_object_put(reply);
}

static void
h_admin_provider_add(struct ctx *c)
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

static void
h_admin_provider_remove(struct ctx *c)
{
	json_object *reply = NULL;
	int status;

	if (reply_worked(c))
		return;
	status = inn_providers_remove(c->srv, &c->who, c->arg, &reply);

	inn_http_reply_json(c->req, status, reply);
	json_object_put(reply);
}

static void
h_admin_reload(struct ctx *c)
{
	json_object *reply = NULL;
	int status;

	if (reply_worked(c))
		return;
	status = inn_providers_reload(c->srv, &c->who, &reply);

	inn_http_reply_json(c->req, status, reply);
	json_object_put(reply);
}

/* ---- applications and resources ---------------------------------------------- */

static json_object *
app_json(const inn_app_row *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", inn_json_str(a->name));
	json_object_object_add(o, "team", inn_json_str(a->team));
	json_object_object_add(o, "created_by", inn_json_str(a->created_by));
	json_object_object_add(o, "created_ms", json_object_new_int64(a->created_ms));
	json_object_object_add(o, "updated_ms", json_object_new_int64(a->updated_ms));
	return o;
}

static json_object *
resources_json(const inn_resource_row *r, size_t n)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "app", inn_json_str(r[i].app));
		json_object_object_add(o, "name", inn_json_str(r[i].name));
		json_object_object_add(o, "type", inn_json_str(r[i].type));
		json_object_object_add(o, "provider", inn_json_str(r[i].provider));
		json_object_object_add(o, "status", inn_json_str(r[i].status));
		json_object_object_add(o, "outputs", json_object_get(r[i].outputs));
		json_object_object_add(o, "updated_ms", json_object_new_int64(r[i].updated_ms));
		json_object_array_add(a, o);
	}
	return a;
}

static void
h_applications(struct ctx *c)
{
	inn_app_row *rows = NULL;
	size_t n = 0, i;
	json_object *a;

	if (inn_store_app_list(c->srv->store, scope_team(c), scope_user(c), NULL, &rows, &n) != 0) {
		inn_http_error(c->req, 500, "store", "%s", inn_error_last());
		return;
	}
	a = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(a, app_json(&rows[i]));
	inn_app_rows_free(rows, n);
	inn_http_reply_json(c->req, 200, a);
	json_object_put(a);
}

static void
h_application(struct ctx *c)
{
	inn_app_row *apps = NULL;
	inn_resource_row *res = NULL;
	size_t napps = 0, nres = 0;
	json_object *o;

	if (inn_store_app_list(c->srv->store, scope_team(c), scope_user(c), c->arg, &apps,
	                       &napps) != 0 ||
	    (napps == 1 && inn_store_resource_list(c->srv->store, scope_team(c), scope_user(c),
	                                           c->arg, &res, &nres) != 0)) {
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
	o = app_json(&apps[0]);
	json_object_object_add(o, "resources", resources_json(res, nres));
	inn_app_rows_free(apps, napps);
	inn_resource_rows_free(res, nres);
	inn_http_reply_json(c->req, 200, o);
	json_object_put(o);
}

static void
h_resources(struct ctx *c)
{
	inn_resource_row *rows = NULL;
	size_t n = 0;
	char app[256];
	json_object *a;

	if (inn_store_resource_list(c->srv->store, scope_team(c), scope_user(c),
	                            inn_http_query(c->req, "app", app, sizeof(app)), &rows,
	                            &n) != 0) {
		inn_http_error(c->req, 500, "store", "%s", inn_error_last());
		return;
	}
	a = resources_json(rows, n);
	inn_resource_rows_free(rows, n);
	inn_http_reply_json(c->req, 200, a);
	json_object_put(a);
}

static const struct route routes[] = {
	{ EVHTTP_REQ_GET, "/health", PUBLIC, h_health, "Liveness" },
	{ EVHTTP_REQ_GET, "/ready", PUBLIC, h_ready, "Readiness: store reachable, plugins and providers loaded" },
	{ EVHTTP_REQ_GET, "/metrics", PUBLIC, h_metrics, "Prometheus metrics" },
	{ EVHTTP_REQ_GET, "/api/openapi.json", PUBLIC, h_openapi, "This API as OpenAPI 3" },
	{ EVHTTP_REQ_GET, "/api/providers", USER, h_providers, "List providers" },
	{ EVHTTP_REQ_GET, "/api/providers/{name}", USER, h_provider, "One provider with its workflows and parameters" },
	{ EVHTTP_REQ_GET, "/api/golden-paths", USER, h_goldenpaths, "List golden paths" },
	{ EVHTTP_REQ_POST, "/api/golden-paths/{name}/run", USER, h_goldenpath_run, "Run a golden path: {parameters, spec, dry_run} -> 202 {id}" },
	{ EVHTTP_REQ_POST, "/api/workflows/run", USER, h_workflow_run, "Run provider/workflow: {workflow, parameters, spec, dry_run} -> 202 {id}" },
	{ EVHTTP_REQ_GET, "/api/workflows", USER, h_workflows, "List executions (app, status, workflow, page, page_size)" },
	{ EVHTTP_REQ_GET, "/api/workflows/{id}", USER, h_workflow, "One execution: status, steps, outputs, timings" },
	{ EVHTTP_REQ_GET, "/api/workflows/{id}/logs", USER, h_workflow_logs, "Step logs (after cursor; follow=1 streams SSE)" },
	{ EVHTTP_REQ_POST, "/api/workflows/{id}/cancel", USER, h_workflow_cancel, "Cancel a pending or running execution" },
	{ EVHTTP_REQ_POST, "/api/workflows/{id}/retry", USER, h_workflow_retry, "Run again from the failed step" },
	{ EVHTTP_REQ_GET, "/api/plugins", USER, h_plugins, "Loaded plugins with versions, flags and schemas" },
	{ EVHTTP_REQ_GET, "/api/events/stream", USER, h_events, "Server-Sent Events of executions and steps" },
	{ EVHTTP_REQ_POST, "/api/admin/keys", ADMIN, h_admin_keys, "Create an API key {name, role, team}" },
	{ EVHTTP_REQ_DELETE, "/api/admin/keys/{name}", ADMIN, h_admin_key_revoke, "Revoke an API key" },
	{ EVHTTP_REQ_GET, "/api/admin/audit", ADMIN, h_audit, "The audit trail" },
	{ EVHTTP_REQ_GET, "/api/admin/providers", ADMIN, h_admin_providers, "Provider sources added over the API" },
	{ EVHTTP_REQ_POST, "/api/admin/providers", ADMIN, h_admin_provider_add, "Add a provider source {name, git_url, path, ref} or {name, path}; validated first" },
	{ EVHTTP_REQ_DELETE, "/api/admin/providers/{name}", ADMIN, h_admin_provider_remove, "Remove a provider source added over the API" },
	{ EVHTTP_REQ_POST, "/api/admin/reload", ADMIN, h_admin_reload, "Re-read the config's providers, fetch every git source, swap the catalog if valid" },
	{ EVHTTP_REQ_GET, "/api/applications", USER, h_applications, "Applications (Score specs run), team-scoped" },
	{ EVHTTP_REQ_GET, "/api/applications/{name}", USER, h_application, "One application with its resources" },
	{ EVHTTP_REQ_GET, "/api/resources", USER, h_resources, "Resources provisioned for applications (app filter), team-scoped" },
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

json_object *
inn_openapi(void)
{
	json_object *doc = json_object_new_object(), *info = json_object_new_object();
	json_object *paths = json_object_new_object(), *comp = json_object_new_object();
	json_object *schemes = json_object_new_object(), *bearer = json_object_new_object();
	size_t i;

	json_object_object_add(doc, "openapi", json_object_new_string("3.0.3"));
	json_object_object_add(info, "title", json_object_new_string("innominatus"));
	json_object_object_add(info, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(doc, "info", info);
	json_object_object_add(bearer, "type", json_object_new_string("http"));
	json_object_object_add(bearer, "scheme", json_object_new_string("bearer"));
	json_object_object_add(schemes, "bearer", bearer);
	json_object_object_add(comp, "securitySchemes", schemes);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		json_object *item, *op = json_object_new_object(), *resp = json_object_new_object();
		const char *brace = strchr(r->pattern, '{');

		if (!json_object_object_get_ex(paths, r->pattern, &item)) {
			item = json_object_new_object();
			json_object_object_add(paths, r->pattern, item);
		}
		json_object_object_add(op, "summary", json_object_new_string(r->summary));
		if (brace != NULL) {
			json_object *params = json_object_new_array(), *p = json_object_new_object();
			json_object *schema = json_object_new_object();
			const char *close = strchr(brace, '}');

			json_object_object_add(p, "name", json_object_new_string_len(
			    brace + 1, (int)(close - brace - 1)));
			json_object_object_add(p, "in", json_object_new_string("path"));
			json_object_object_add(p, "required", json_object_new_boolean(1));
			json_object_object_add(schema, "type", json_object_new_string("string"));
			json_object_object_add(p, "schema", schema);
			json_object_array_add(params, p);
			json_object_object_add(op, "parameters", params);
		}
		if (r->access != PUBLIC) {
			json_object *sec = json_object_new_array(), *s = json_object_new_object();

			json_object_object_add(s, "bearer", json_object_new_array());
			json_object_array_add(sec, s);
			json_object_object_add(op, "security", sec);
		}
		{
			json_object *ok = json_object_new_object();

			json_object_object_add(ok, "description", json_object_new_string("success"));
			json_object_object_add(resp, r->method != EVHTTP_REQ_POST ? "200" :
			                             strncmp(r->pattern, "/api/admin/", 11) != 0 ? "202" :
			                             strcmp(r->pattern, "/api/admin/reload") == 0 ? "200" :
			                             "201", ok);
		}
		if (r->access != PUBLIC) {
			json_object *e401 = json_object_new_object();

			json_object_object_add(e401, "description",
			                       json_object_new_string("no or unknown API key"));
			json_object_object_add(resp, "401", e401);
		}
		if (r->access == ADMIN) {
			json_object *e403 = json_object_new_object();

			json_object_object_add(e403, "description",
			                       json_object_new_string("the key is not an admin key"));
			json_object_object_add(resp, "403", e403);
		}
		json_object_object_add(op, "responses", resp);
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

/* Checks "Authorization: Bearer KEY"; replies 401/403 itself. */
static int
authenticate(struct ctx *c, enum access need)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(c->req),
	                                   "Authorization");

	memset(&c->who, 0, sizeof(c->who));
	if (need == PUBLIC)
		return 0;
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
		atomic_fetch_add(&c->srv->m_unauthorized, 1);
		inn_http_error(c->req, 401, "unauthorized", "an API key is required "
		               "(Authorization: Bearer <key>)");
		return -1;
	}
	if (inn_api_key_check(c->srv, h + 7, &c->who.p) != 0) {
		atomic_fetch_add(&c->srv->m_unauthorized, 1);
		inn_http_error(c->req, 401, "unauthorized", "unknown or revoked API key");
		return -1;
	}
	c->who.admin = strcmp(c->who.p.role, "admin") == 0;
	if (need == ADMIN && !c->who.admin) {
		inn_http_error(c->req, 403, "forbidden", "this route needs an admin key; \"%s\" is "
		               "a %s key", c->who.p.name, c->who.p.role);
		return -1;
	}
	return 0;
}

/* A POST: its body is parsed (and a run's fields read, Score spec
 * included) on a request thread; the handler then runs on the loop thread. */
static void
post_work(void *arg)
{
	struct ctx *c = arg;
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
	} else {
		c->body_st = inn_body_parse(data, len, &c->body, &c->body_code, c->run_msg,
		                            sizeof(c->run_msg));
	}
	evbuffer_free(c->in);
	c->in = NULL;
	if (c->body_st != 0)
		return;
	if (c->fn == h_goldenpath_run || c->fn == h_workflow_run) {
		c->run_st = inn_body_run_fields(c->body, &c->params, &c->spec, &c->dry_run,
		                                &c->run_code, c->run_msg, sizeof(c->run_msg));
		c->run_ready = 1;
	} else if (c->fn == h_admin_provider_add || c->fn == h_admin_provider_remove ||
	           c->fn == h_admin_reload) {
		pthread_mutex_lock(&providers_lock);
		if (c->fn == h_admin_provider_add)
			c->status = inn_providers_add(c->srv, &c->who, c->body, &c->reply);
		else if (c->fn == h_admin_provider_remove)
			c->status = inn_providers_remove(c->srv, &c->who, c->arg, &c->reply);
		else
			c->status = inn_providers_reload(c->srv, &c->who, &c->reply);
		pthread_mutex_unlock(&providers_lock);
		c->worked = 1;
	}
}

static void
post_done(void *arg, int cancelled)
{
	struct ctx *c = arg;

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
	free(c);
}

static void
defer_post(const struct ctx *from, const struct route *r)
{
	struct ctx *c = malloc(sizeof(*c));

	if (c == NULL) {
		inn_http_error(from->req, 503, "busy", "out of memory");
		return;
	}
	*c = *from;
	c->fn = r->fn;
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
	if (inn_http_defer(post_work, post_done, c) != 0) {
		inn_http_error(from->req, 503, "busy", "%s", inn_error_last());
		evbuffer_free(c->in);
		free(c);
	}
}

static void
dispatch(struct evhttp_request *req, void *arg)
{
	inn_server *srv = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct ctx c;
	char argbuf[512];
	size_t i;
	int path_known = 0;

	atomic_fetch_add(&srv->m_requests, 1);
	memset(&c, 0, sizeof(c));
	c.srv = srv;
	c.req = req;
	inn_http_conn_begin(req);
	if (path == NULL || *path == '\0')
		path = "/";
	if (m == EVHTTP_REQ_HEAD)
		m = EVHTTP_REQ_GET;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		int mt = match(routes[i].pattern, path, argbuf, sizeof(argbuf), &c.arg);

		if (mt == 0)
			continue;
		if (mt == 2) {
			inn_http_error(req, 400, "bad_path", "a path segment has a NUL or another "
			               "control character (%%00-%%1F, %%7F)");
			return;
		}
		path_known = 1;
		if (routes[i].method != m)
			continue;
		if (authenticate(&c, routes[i].access) != 0)
			return;
		if (routes[i].access != PUBLIC)
			inn_http_conn_authed(req);
		if (m == EVHTTP_REQ_POST || routes[i].fn == h_admin_provider_remove) {
			defer_post(&c, &routes[i]);
			return;
		}
		routes[i].fn(&c);
		return;
	}
	if (path_known)
		inn_http_error(req, 405, "method_not_allowed", "%s does not take this method", path);
	else
		inn_http_error(req, 404, "not_found", "no route %s (see /api/openapi.json)", path);
}

void
inn_api_register(inn_server *srv)
{
	evhttp_set_gencb(srv->http, dispatch, srv);
}
