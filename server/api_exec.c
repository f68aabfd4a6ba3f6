/*
 * api_exec.c - the API's execution routes: run a golden path or a
 * workflow, list and show executions, their logs (JSON pages or an SSE
 * stream), cancel and retry, and the event stream of every execution the
 * caller may see.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_body.h"
#include "api_int.h"
#include "error.h"
#include "http_sse.h"
#include "runs_check.h"
#include "runs_inputs.h"

static int64_t
parse_id(struct api_call *c)
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
parse_cursor(struct api_call *c, const char *what, const char *text, int64_t *out)
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

/* The cursor of a stream (the logs of an execution, the event stream):
 * after= when given, else the Last-Event-ID header (what an EventSource
 * sends as it reconnects), each checked by parse_cursor; after= wins
 * when both are given (the header is then not read).  *given: whether
 * either was.  Returns 0, or -1 when the 400 has been sent. */
static int
stream_cursor(struct api_call *c, int64_t *after, int *given)
{
	char buf[32];
	const char *last = evhttp_find_header(evhttp_request_get_input_headers(c->req),
	                                      "Last-Event-ID");

	*after = 0;
	*given = 1;
	if (inn_http_query(c->req, "after", buf, sizeof(buf)) != NULL)
		return parse_cursor(c, "after", buf, after);
	if (last != NULL)
		return parse_cursor(c, "Last-Event-ID", last, after);
	*given = 0;
	return 0;
}

/* The execution if the caller may see it (inn_caller_sees); replies 404
 * otherwise (another team's execution is not acknowledged either). */
static inn_exec_row *
visible_exec(struct api_call *c, int64_t id)
{
	inn_exec_row *row = NULL;
	int rc = inn_store_exec_get(c->srv->store, id, &row);

	if (rc != 0 && rc != INN_ENOTFOUND) {
		inn_http_error(c->req, 503, "store_unavailable", "cannot read execution %lld: %s",
		               (long long)id, inn_error_last());
		return NULL;
	}
	if (rc != 0 || !inn_caller_sees(&c->who, row->team, row->created_by)) {
		inn_exec_row_free(row);
		inn_http_error(c->req, 404, "not_found", "no execution %lld", (long long)id);
		return NULL;
	}
	return row;
}


/* An int64 in JSON, or null for 0 (a time or an id not set yet). */
static json_object *
int_or_null(int64_t v)
{
	return v ? json_object_new_int64(v) : NULL;
}

/* The started_ms, ended_ms and duration_ms members of o, each null while
 * unknown (duration_ms: until both ends are set). */
static void
add_times(json_object *o, int64_t started_ms, int64_t ended_ms)
{
	json_object_object_add(o, "started_ms", int_or_null(started_ms));
	json_object_object_add(o, "ended_ms", int_or_null(ended_ms));
	json_object_object_add(o, "duration_ms", started_ms && ended_ms ?
	                       json_object_new_int64(ended_ms - started_ms) : NULL);
}

static json_object *
exec_json(const inn_exec_row *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(r->id));
	INN_JSON_ADD_STRS(o, "workflow", r->workflow, "kind", r->kind, "app", r->app,
	                  "team", r->team, "created_by", r->created_by, "status", r->status);
	json_object_object_add(o, "message", r->message && *r->message ? inn_json_str(r->message) : NULL);
	json_object_object_add(o, "dry_run", json_object_new_boolean(r->dry_run));
	/* the replica that owns (runs, or ran) it; null: none yet */
	json_object_object_add(o, "replica", inn_json_str(r->owner));
	json_object_object_add(o, "retry_of", int_or_null(r->retry_of));
	json_object_object_add(o, "created_ms", json_object_new_int64(r->created_ms));
	add_times(o, r->started_ms, r->ended_ms);
	return o;
}

/* How the API answers a status of inn_runs_submit. */
static const struct {
	int rc, status;
	const char *code;
} submit_errors[] = {
	{ INN_ENOTFOUND, 404, "not_found" },
	{ INN_ECANCELLED, 503, "draining" },
	{ INN_RUNS_FULL, 429, "queue_full" },
	{ INN_EFORBIDDEN, 403, "forbidden" },
	{ INN_RUNS_TOO_BIG, 413, "too_large" },
	{ INN_RUNS_CONFLICT, 409, "conflict" },
	{ INN_EINVAL, 400, "invalid_request" },
};

/* Replies the error for a status rc of inn_runs_submit; returns 0 (and
 * replies nothing) for rc 0. */
static int
reply_submit_error(struct api_call *c, int rc)
{
	size_t i;

	if (rc != 0) {
		for (i = 0; i < sizeof(submit_errors) / sizeof(submit_errors[0]); i++)
			if (submit_errors[i].rc == rc)
				break;
		if (rc == INN_RUNS_FULL)
			evhttp_add_header(evhttp_request_get_output_headers(c->req), "Retry-After",
			                  "5");
		if (i < sizeof(submit_errors) / sizeof(submit_errors[0]))
			inn_http_error(c->req, submit_errors[i].status, submit_errors[i].code, "%s",
			               inn_error_last());
		else
			inn_http_error(c->req, 500, "internal", "%s", inn_error_last());
	}
	return rc;
}

/* {id, status: pending}: what every run route answers first. */
static json_object *
submitted_json(int64_t id)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "status", json_object_new_string(INN_STATE_WORD(PENDING)));
	return o;
}

static void
reply_submitted(struct api_call *c, int rc, int64_t id)
{
	if (reply_submit_error(c, rc) == 0)
		inn_api_reply(c, 202, submitted_json(id));
}

/* The run routes submit on the request thread: the new execution's rows
 * are written there, never on the loop (inn_runs_submit takes one
 * submission at a time).  A body without "workflow" is left to the loop
 * part, which replies 400. */
static void
submit_early(struct api_call *c)
{
	const char *ref = c->arg, *kind = "golden-path";
	json_object *w;

	if (c->fn == inn_api_workflow_run) {
		if (!json_object_object_get_ex(c->body, "workflow", &w) ||
		    !json_object_is_type(w, json_type_string))
			return;
		ref = json_object_get_string(w);
		kind = "workflow";
	}
	c->sub_rc = inn_runs_submit(c->srv, &c->who, ref, kind, c->params, c->spec, c->dry_run,
	                            0, &c->sub_id);
	if (c->sub_rc != 0)
		snprintf(c->run_msg, sizeof(c->run_msg), "%s", inn_error_last());
	c->submitted = 1;
}

void
inn_api_run_fields_work(struct api_call *c)
{
	json_object *v;

	c->run_st = inn_body_run_fields(c->body, &c->params, &c->spec, &c->dry_run,
	                                &c->run_code, c->run_msg, sizeof(c->run_msg));
	/* ?dry_run=true as the execute route takes it; one that the body
	 * contradicts is a mistake somewhere, not a choice for us to make */
	if (c->run_st == 0 && c->dry_query != 0) {
		if (json_object_object_get_ex(c->body, "dry_run", &v) && v != NULL &&
		    c->dry_run != (c->dry_query == 2)) {
			c->run_st = 400;
			c->run_code = "invalid_request";
			snprintf(c->run_msg, sizeof(c->run_msg), "dry_run is %s in the query but %s "
			         "in the body", c->dry_query == 2 ? "true" : "false",
			         c->dry_run ? "true" : "false");
			json_object_put(c->spec);
			c->spec = NULL;
		}
		c->dry_run = c->dry_query == 2;
	}
	c->run_ready = 1;
	if (c->run_st == 0 && (c->fn == inn_api_workflow_run || c->fn == inn_api_goldenpath_run))
		submit_early(c);
}

/* Reads the common run body {parameters, spec, dry_run}; replies 400 itself. */
static int
run_body(struct api_call *c, json_object *body, json_object **params, json_object **spec,
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

/* The one core of the run routes: reads the run fields (either request
 * shape, see run_body), submits, and replies the errors; returns the new
 * execution's id, or 0 after an error reply.  With app_out (the execute
 * route's answer), *app_out is the spec's metadata.name (a new reference),
 * or NULL. */
static int64_t
submit_core(struct api_call *c, const char *ref, const char *kind, json_object *body,
            json_object **app_out)
{
	json_object *params, *spec, *v;
	int dry_run, rc;
	int64_t id = 0;

	if (run_body(c, body, &params, &spec, &dry_run) != 0)
		return 0;
	rc = inn_runs_submit(c->srv, &c->who, ref, kind, params, spec, dry_run, 0, &id);
	if (rc == 0 && app_out != NULL)
		*app_out = json_object_object_get_ex(spec, "metadata", &v) &&
		           json_object_object_get_ex(v, "name", &v) ? json_object_get(v) : NULL;
	json_object_put(spec);
	return reply_submit_error(c, rc) == 0 ? id : 0;
}

static void
submit(struct api_call *c, const char *ref, const char *kind, json_object *body)
{
	int64_t id;

	if (c->submitted) {
		/* done on the request thread (submit_early): its answer */
		if (c->sub_rc != 0)
			inn_error_set(c->sub_rc, "%s", c->run_msg);
		reply_submitted(c, c->sub_rc, c->sub_id);
		return;
	}
	id = submit_core(c, ref, kind, body, NULL);

	if (id != 0)
		inn_api_reply(c, 202, submitted_json(id));
}

void
inn_api_execute_work(struct api_call *c)
{
	size_t len = c->in ? evbuffer_get_length(c->in) : 0;
	const char *data = len ? (const char *)evbuffer_pullup(c->in, -1) : "";
	inn_catalog_ref *cat;
	int known;

	/* an unknown golden path first: its spec's problems would not matter */
	cat = inn_catalog_acquire(c->srv);
	known = cat != NULL && inn_catalog_goldenpath(cat->cat, c->arg) != NULL;
	inn_catalog_release(c->srv, cat);
	if (!known) {
		c->body = json_object_new_object();
		c->params = c->body;
		c->run_st = 404;
		c->run_code = "not_found";
		snprintf(c->run_msg, sizeof(c->run_msg), "no golden path \"%.200s\" (GET "
		         "/api/golden-paths lists them)", c->arg);
		c->run_ready = 1;
		return;
	}
	/* the parameters object is owned by c->body (dropped with the call) */
	c->run_st = inn_body_execute_fields(data, len, c->query, &c->body, &c->spec,
	                                    &c->dry_run, &c->run_code, c->run_msg,
	                                    sizeof(c->run_msg));
	c->params = c->body;
	c->run_ready = 1;
}

void
inn_api_goldenpath_execute(struct api_call *c)
{
	json_object *app = NULL, *o;
	inn_exec_row *row = NULL;
	int64_t id;
	char text[32], msg[600];

	if (!c->run_ready) {
		/* not through the request thread: nothing was read */
		inn_http_error(c->req, 500, "internal", "the request body was not read");
		return;
	}
	if ((id = submit_core(c, c->arg, "golden-path", NULL, &app)) == 0)
		return;
	/* the parameters as stored: resolved, every secret one "***" (what
	 * GET /api/workflows/{id} shows, masked in one place) */
	inn_store_exec_get(c->srv->store, id, &row);
	/* the original's answer (its CLI prints message, app_name and
	 * workflow_id; 200, since it takes anything else for a failure), with
	 * this server's {id, status}: the run goes on; GET /api/workflows/{id} */
	o = submitted_json(id);
	json_object_object_add(o, "workflow_id", json_object_new_int64(id));
	snprintf(text, sizeof(text), "%lld", (long long)id);
	json_object_object_add(o, "task_id", json_object_new_string(text));
	json_object_object_add(o, "golden_path", json_object_new_string(c->arg));
	json_object_object_add(o, "application", json_object_get(app));
	json_object_object_add(o, "app_name", app);
	json_object_object_add(o, "parameters", row ? json_object_get(row->params) : NULL);
	inn_exec_row_free(row);
	json_object_object_add(o, "dry_run", json_object_new_boolean(c->dry_run));
	snprintf(msg, sizeof(msg), "Golden path '%.200s' accepted%s%.200s%s as execution %lld "
	         "(GET /api/workflows/%lld for its status)", c->arg,
	         app ? " for application '" : "", app ? json_object_get_string(app) : "",
	         app ? "'" : "", (long long)id, (long long)id);
	json_object_object_add(o, "message", json_object_new_string(msg));
	inn_api_reply(c, 200, o);
}

void
inn_api_goldenpath_run(struct api_call *c)
{
	json_object *body = inn_http_body_json(c->srv, c->req);

	if (body == NULL)
		return;
	submit(c, c->arg, "golden-path", body);
	json_object_put(body);
}

void
inn_api_workflow_run(struct api_call *c)
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

void
inn_api_workflows(struct api_call *c)
{
	inn_exec_filter f;
	inn_exec_row **rows = NULL;
	size_t n = 0, i;
	int64_t total = 0;
	char app[256], status[64], wf[256], team[256];
	const char *want_team;
	json_object *o, *data;

	int64_t page, page_size;
	inn_state st;
	int none = 0;

	memset(&f, 0, sizeof(f));
	f.app = inn_http_query(c->req, "app", app, sizeof(app));
	f.status = inn_http_query(c->req, "status", status, sizeof(status));
	f.workflow = inn_http_query(c->req, "workflow", wf, sizeof(wf));
	f.team = inn_caller_scope_team(&c->who);
	f.user = inn_caller_scope_user(&c->who);
	if ((want_team = inn_http_query(c->req, "team", team, sizeof(team))) != NULL) {
		if (inn_store_name_check("team name", want_team) != 0) {
			inn_http_error(c->req, 400, "invalid_request", "query: team: %s",
			               inn_error_last());
			return;
		}
		/* an admin's filter; a user's own team or nothing: never
		 * another team's executions, whatever the key asks */
		if (c->who.admin)
			f.team = want_team;
		else if (f.team == NULL || strcmp(f.team, want_team) != 0)
			none = 1;
	}
	/* a status no execution can have is a typo, not an empty page */
	if (f.status != NULL && inn_state_parse(f.status, &st) != 0) {
		char words[256];
		size_t wl = 0;
		int s;

		words[0] = '\0';
		for (s = INN_STATE_PENDING; s <= INN_STATE_INTERRUPTED && wl < sizeof(words); s++)
			wl += (size_t)snprintf(words + wl, sizeof(words) - wl, "%s%s", s ? ", " : "",
			                       inn_state_name(s));
		inn_http_error(c->req, 400, "invalid_request", "query: status \"%.40s\" is not a "
		               "state (%s)", f.status, words);
		return;
	}
	if (inn_api_query_int(c, "page", 1, 1, API_PAGE_MAX, &page) != 0 ||
	    inn_api_query_int(c, "page_size", 20, 1, 200, &page_size) != 0)
		return;
	f.page = (int)page;
	f.page_size = (int)page_size;
	if (!none && inn_store_exec_list(c->srv->store, &f, &rows, &n, &total) != 0) {
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
	inn_api_reply(c, 200, o);
}

/* GET /api/workflows/{id}: one query for the execution, one for its
 * steps.  An execution of a workflow of a few steps is answered at once on
 * the loop (two thread hops cost more than the work under load); one that
 * may have thousands (a multi-megabyte reply: a big workflow, a deploy)
 * has its steps read and the reply serialised on a request thread, and
 * the loop only sends it. */
#define WORKFLOW_INLINE_STEPS 64

struct workflow_job {
	inn_server *srv;
	struct evhttp_request *req;
	inn_exec_row *row;
	int status;                     /* 200, or 503 */
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
	{
		/* the latest run that retries it: the page offers no second retry */
		int64_t by = 0;

		(void)inn_store_exec_retried_by(j->srv->store, row->id, &by);
		json_object_object_add(o, "retried_by", int_or_null(by));
	}
	json_object_object_add(o, "parameters", json_object_get(row->params));
	json_object_object_add(o, "outputs", json_object_get(row->outputs));
	arr = json_object_new_array();
	if (inn_store_steps_get(j->srv->store, row->id, &steps, &n) == 0) {
		for (i = 0; i < n; i++) {
			json_object *so = json_object_new_object();

			INN_JSON_ADD_STRS(so, "name", steps[i].name, "type", steps[i].type,
			                  "status", steps[i].status);
			json_object_object_add(so, "attempts", json_object_new_int(steps[i].attempts));
			json_object_object_add(so, "message", inn_json_str(steps[i].message));
			add_times(so, steps[i].started_ms, steps[i].ended_ms);
			json_object_object_add(so, "outputs", json_object_get(steps[i].outputs));
			/* null: an execution recorded before steps had them */
			json_object_object_add(so, "depends_on", json_object_get(steps[i].depends_on));
			json_object_array_add(arr, so);
		}
		inn_step_rows_free(steps, n);
	}
	json_object_object_add(o, "steps", arr);
	j->status = inn_http_json_buffer(o, j->out) == 0 ? 200 : 503;
	json_object_put(o);
}

static void
workflow_done(void *arg, int cancelled)
{
	struct workflow_job *j = arg;

	if (cancelled) {
		/* the server stops: the request is gone with evhttp */
	} else if (j->status != 200) {
		inn_http_error(j->req, 503, "busy", "out of memory");
	} else {
		inn_http_reply_buffer(j->req, 200, j->out);
	}
	evbuffer_free(j->out);
	inn_exec_row_free(j->row);
	free(j);
}

void
inn_api_workflow(struct api_call *c)
{
	int64_t id = parse_id(c);
	const inn_workflow *wf;
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
	/* the catalog's workflow bounds its steps (a deploy has none here) */
	wf = row->workflow != NULL && row->kind != NULL ?
	     inn_runs_workflow(c->srv->catalog, row->workflow, row->kind) : NULL;
	if (wf != NULL && wf->nsteps <= WORKFLOW_INLINE_STEPS) {
		workflow_work(j);
		workflow_done(j, 0);
		return;
	}
	if (inn_http_defer(workflow_work, workflow_done, j) != 0) {
		inn_http_error(c->req, 503, "busy", "%s", inn_error_last());
		evbuffer_free(j->out);
		inn_exec_row_free(row);
		free(j);
	}
}

void
inn_api_workflow_logs(struct api_call *c)
{
	int64_t id = parse_id(c), after;
	inn_exec_row *row;
	json_object *lines = NULL;
	char buf[32];
	int follow, given;

	if (id < 0 || (row = visible_exec(c, id)) == NULL)
		return;
	follow = inn_http_query(c->req, "follow", buf, sizeof(buf)) != NULL &&
	         (strcmp(buf, "1") == 0 || strcmp(buf, "true") == 0);
	/* a page's cursor is after=; a stream's, after= or Last-Event-ID */
	after = 0;
	if (follow ? stream_cursor(c, &after, &given) != 0 :
	    inn_http_query(c->req, "after", buf, sizeof(buf)) != NULL &&
	    parse_cursor(c, "after", buf, &after) != 0) {
		inn_exec_row_free(row);
		return;
	}
	if (!follow) {
		json_object *o = json_object_new_object();
		int64_t limit;
		size_t n;

		if (inn_api_query_int(c, "limit", 1000, 1, 10000, &limit) != 0) {
			json_object_put(o);
			inn_exec_row_free(row);
			return;
		}
		if (inn_store_logs_get(c->srv->store, id, after, (int)limit, &lines) != 0)
			lines = json_object_new_array();
		n = json_object_array_length(lines);
		json_object_object_add(o, "lines", lines);
		json_object_object_add(o, "next_after", json_object_new_int64(n ?
		    json_object_get_int64(json_object_object_get(
		        json_object_array_get_idx(lines, n - 1), "seq")) : after));
		json_object_object_add(o, "status", inn_json_str(row->status));
		inn_api_reply(c, 200, o);
	} else {
		/* SSE: the backlog from the store a page at a time as the client
		 * reads it, then live lines, then "end" (http_sse.c: flow control) */
		struct sse_client *sc = NULL;

		if (inn_sse_head(c->req))
			;       /* headers only */
		else if ((sc = inn_sse_open(c->srv, c->req, id, &c->who, after)) != NULL)
			inn_sse_catch_up(c->srv, sc);   /* else refused, answered */
	}
	inn_exec_row_free(row);
}

void
inn_api_workflow_cancel(struct api_call *c)
{
	int64_t id = parse_id(c);
	inn_exec_row *row;
	json_object *o;
	int rc;

	if (id < 0 || (row = visible_exec(c, id)) == NULL)
		return;
	rc = inn_state_word_is_final(row->status) ? INN_ENOTFOUND : inn_runs_cancel(c->srv, id);
	if (rc != 0 && !inn_state_word_is_final(row->status)) {
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
	    inn_store_exec_get(c->srv->store, id, &row) == 0 &&
	    strcmp(row->status, INN_STATE_WORD(CANCELLED)) == 0 ?
	    INN_STATE_WORD(CANCELLED) : "cancelling"));
	inn_api_reply(c, 202, o);
	inn_exec_row_free(row);
}

void
inn_api_workflow_retry(struct api_call *c)
{
	int64_t id = parse_id(c), nid = 0;
	inn_exec_row *row;
	json_object *params = NULL, *spec = NULL;
	int rc;

	if (id < 0)
		return;
	/* a retry runs the first run's inputs: new ones would be dropped unseen */
	if (c->body != NULL && json_object_object_length(c->body) > 0) {
		inn_http_error(c->req, 400, "invalid_request", "retry runs the execution again "
		               "with its own parameters; it takes no body (or {}): to run with "
		               "other parameters, submit a new run");
		return;
	}
	if ((row = visible_exec(c, id)) == NULL)
		return;
	if (!inn_state_word_is_final(row->status) ||
	    strcmp(row->status, INN_STATE_WORD(SUCCEEDED)) == 0) {
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
	if (rc == INN_RUNS_CONFLICT &&
	    inn_store_exec_retried_by(c->srv->store, id, &nid) == 0 && nid > 0) {
		/* already being retried: the error names that run in a field too */
		json_object *o = inn_http_error_json("conflict", inn_error_last());

		json_object_object_add(json_object_object_get(o, "error"), "execution",
		                       json_object_new_int64(nid));
		inn_api_reply(c, 409, o);
		return;
	}
	reply_submitted(c, rc, nid);
}

void
inn_api_events(struct api_call *c)
{
	int64_t after;
	struct sse_client *sc;
	int given;

	if (stream_cursor(c, &after, &given) != 0)
		return;
	if (inn_sse_head(c->req))
		return;
	if ((sc = inn_sse_open(c->srv, c->req, 0, &c->who, after)) == NULL)
		return;         /* refused, answered */
	/* after=N (or Last-Event-ID) replays the events after N -- after=0
	 * all of them -- a page at a time as the client reads; without
	 * either the stream starts with the live events */
	if (given)
		inn_sse_catch_up(c->srv, sc);
	else
		inn_sse_register(c->srv, sc);
}
