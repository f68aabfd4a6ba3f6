/*
 * http.c - the HTTP front end on libevent's evhttp: limits (body size,
 * header size, timeouts, connection count), JSON replies and errors,
 * Server-Sent Events, and the hand-off from engine threads to the loop
 * thread (a queue plus an event activated from any thread).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>

#include "api_body.h"
#include "error.h"
#include "server.h"

struct sse_client {
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	int64_t exec_id;          /* logs of one execution, or 0 for the event stream */
	int64_t last;             /* highest seq / event id sent */
	char team[128];           /* "" = admin: everything */
	char key[128];            /* the API key (its name) the stream was opened with */
	int admin;
	struct sse_client *next;
};

static atomic_llong error_replies;

long long
inn_http_error_count(void)
{
	return atomic_load(&error_replies);
}

void
inn_http_reply_json(struct evhttp_request *req, int status, json_object *body)
{
	struct evbuffer *buf = evbuffer_new();
	const char *s = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
	                                               JSON_C_TO_STRING_NOSLASHESCAPE);
	const char *reason;

	if (status >= 400)
		atomic_fetch_add(&error_replies, 1);
	switch (status) {
	case 200: reason = "OK"; break;
	case 201: reason = "Created"; break;
	case 202: reason = "Accepted"; break;
	case 400: reason = "Bad Request"; break;
	case 401: reason = "Unauthorized"; break;
	case 403: reason = "Forbidden"; break;
	case 404: reason = "Not Found"; break;
	case 405: reason = "Method Not Allowed"; break;
	case 409: reason = "Conflict"; break;
	case 413: reason = "Payload Too Large"; break;
	case 503: reason = "Service Unavailable"; break;
	default: reason = status >= 500 ? "Internal Server Error" : "Error"; break;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "application/json");
	evbuffer_add(buf, s, strlen(s));
	evhttp_send_reply(req, status, reason, buf);
	evbuffer_free(buf);
}

void
inn_http_error(struct evhttp_request *req, int status, const char *code, const char *fmt, ...)
{
	json_object *body = json_object_new_object(), *err = json_object_new_object();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_object_add(err, "code", json_object_new_string(code));
	json_object_object_add(err, "message", json_object_new_string(msg));
	json_object_object_add(body, "error", err);
	if (status == 401)
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
		                  "Bearer realm=\"innominatus\"");
	inn_http_reply_json(req, status, body);
	json_object_put(body);
}

json_object *
inn_http_body_json(inn_server *srv, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *code = "invalid_json";
	json_object *o = NULL;
	char *data, msg[512];
	int st;

	if (len > srv->cfg.max_body) {
		inn_http_error(req, 413, "body_too_large", "the request body is %zu bytes; the "
		               "limit is %zu", len, srv->cfg.max_body);
		return NULL;
	}
	data = len ? (char *)evbuffer_pullup(in, -1) : NULL;
	if (len > 0 && data == NULL) {
		inn_http_error(req, 400, "bad_body", "cannot read the request body");
		return NULL;
	}
	if ((st = inn_body_parse(data, len, &o, &code, msg, sizeof(msg))) != 0) {
		inn_http_error(req, st, code, "%s", msg);
		return NULL;
	}
	return o;
}

const char *
inn_http_query(struct evhttp_request *req, const char *name, char *buf, size_t len)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq params;
	const char *v;

	if (q == NULL)
		return NULL;
	memset(&params, 0, sizeof(params));
	if (evhttp_parse_query_str(q, &params) != 0)
		return NULL;
	v = evhttp_find_header(&params, name);
	if (v != NULL)
		snprintf(buf, len, "%s", v);
	evhttp_clear_headers(&params);
	return v ? buf : NULL;
}

/* ---- Server-Sent Events ------------------------------------------------- */

static void
sse_remove(inn_server *srv, struct sse_client *c)
{
	struct sse_client **pp;

	for (pp = &srv->sse; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
}

static void
sse_closed(struct evhttp_connection *conn, void *arg)
{
	struct sse_client *c = arg;

	(void)conn;
	c->req = NULL; /* the reply is gone: drop it on the next flush */
}

static void
sse_write(struct sse_client *c, const char *event, int64_t id, json_object *data)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add_printf(b, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)id, event,
	                    json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN |
	                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
	evhttp_send_reply_chunk(c->req, b);
	evbuffer_free(b);
}

struct sse_client *
inn_sse_open(struct evhttp_request *req, int64_t exec_id, const inn_caller *who,
             int64_t after)
{
	struct sse_client *c = calloc(1, sizeof(*c));
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (c == NULL)
		return NULL;
	c->req = req;
	c->conn = evhttp_request_get_connection(req);
	c->exec_id = exec_id;
	c->last = after;
	c->admin = who->admin;
	snprintf(c->team, sizeof(c->team), "%s", who->p.team);
	snprintf(c->key, sizeof(c->key), "%s", who->p.name);
	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_send_reply_start(req, 200, "OK");
	/* a stream may be quiet for long: the per-request timeout does not apply */
	evhttp_connection_set_timeout(c->conn, 24 * 3600);
	evhttp_connection_set_closecb(c->conn, sse_closed, c);
	return c;
}

void
inn_sse_send(struct sse_client *c, const char *event, int64_t id, json_object *data)
{
	if (c->req == NULL)
		return;
	sse_write(c, event, id, data);
	if (id > c->last)
		c->last = id;
}

void
inn_sse_register(inn_server *srv, struct sse_client *c)
{
	c->next = srv->sse;
	srv->sse = c;
}

/* Ends a client's reply and forgets it (loop thread). */
static void
sse_finish(inn_server *srv, struct sse_client *c)
{
	sse_remove(srv, c);
	if (c->req != NULL) {
		evhttp_connection_set_closecb(c->conn, NULL, NULL);
		evhttp_send_reply_end(c->req);
	}
	free(c);
}

void
inn_sse_close(inn_server *srv, struct sse_client *c)
{
	sse_finish(srv, c);
}

int
inn_sse_end_key(inn_server *srv, const char *key_name)
{
	struct sse_client *c, *next;
	int n = 0;

	for (c = srv->sse; c != NULL; c = next) {
		next = c->next;
		if (strcmp(c->key, key_name) != 0)
			continue;
		if (c->req != NULL) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "reason", json_object_new_string("key revoked"));
			sse_write(c, "end", c->last, o);
			json_object_put(o);
		}
		sse_finish(srv, c);
		n++;
	}
	return n;
}

void
inn_sse_publish(inn_server *srv, const char *kind, int64_t exec_id, int64_t id,
                const char *team, json_object *data)
{
	json_object *m;

	if (srv->wake == NULL)
		return;
	m = json_object_new_object();
	json_object_object_add(m, "kind", json_object_new_string(kind));
	json_object_object_add(m, "exec", json_object_new_int64(exec_id));
	json_object_object_add(m, "id", json_object_new_int64(id));
	json_object_object_add(m, "team", team ? json_object_new_string(team) : NULL);
	/* a deep copy: json-c reference counts are not atomic */
	{
		json_object *copy = NULL;

		if (data != NULL && json_object_deep_copy(data, &copy, NULL) == 0)
			json_object_object_add(m, "data", copy);
	}
	pthread_mutex_lock(&srv->sse_lock);
	if (json_object_array_length(srv->sse_queue) < 100000)
		json_object_array_add(srv->sse_queue, m);
	else
		json_object_put(m);
	pthread_mutex_unlock(&srv->sse_lock);
	event_active(srv->wake, EV_READ, 0);
}

static void
sse_flush(evutil_socket_t fd, short what, void *arg)
{
	inn_server *srv = arg;
	json_object *q;
	size_t i, n;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&srv->sse_lock);
	q = srv->sse_queue;
	srv->sse_queue = json_object_new_array();
	pthread_mutex_unlock(&srv->sse_lock);
	n = json_object_array_length(q);
	for (i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(q, i), *v;
		const char *kind = json_object_get_string(json_object_object_get(m, "kind"));
		int64_t exec = json_object_get_int64(json_object_object_get(m, "exec"));
		int64_t id = json_object_get_int64(json_object_object_get(m, "id"));
		const char *team = json_object_object_get_ex(m, "team", &v) && v ?
		                   json_object_get_string(v) : "";
		json_object *data = json_object_object_get(m, "data");
		struct sse_client *c, *next;
		int is_log = strcmp(kind, "log") == 0;
		int finished = strcmp(kind, "execution.finished") == 0;

		for (c = srv->sse; c != NULL; c = next) {
			next = c->next;
			if (c->req == NULL) {
				sse_remove(srv, c);
				free(c);
				continue;
			}
			if (c->exec_id > 0) {
				/* a log follower: its execution's lines, then the end */
				if (c->exec_id != exec)
					continue;
				if (is_log && id > c->last)
					inn_sse_send(c, "log", id, data);
				else if (finished) {
					inn_sse_send(c, "end", id, data);
					sse_finish(srv, c);
				}
				continue;
			}
			if (is_log)
				continue; /* the event stream carries events, not lines */
			if (!c->admin && strcmp(c->team, team) != 0)
				continue;
			if (id > c->last)
				inn_sse_send(c, kind, id, data);
		}
	}
	json_object_put(q);
}

/* ---- start -------------------------------------------------------------- */

int
inn_http_start(inn_server *srv)
{
	struct evhttp_bound_socket *sock;

	evthread_use_pthreads();
	if ((srv->base = event_base_new()) == NULL)
		return inn_error_set(INN_ERROR, "cannot create the event loop");
	if (evthread_make_base_notifiable(srv->base) != 0)
		return inn_error_set(INN_ERROR, "cannot make the event loop notifiable");
	if ((srv->http = evhttp_new(srv->base)) == NULL)
		return inn_error_set(INN_ERROR, "cannot create the HTTP server");
	srv->sse_queue = json_object_new_array();
	pthread_mutex_init(&srv->sse_lock, NULL);
	srv->wake = event_new(srv->base, -1, 0, sse_flush, srv);
	/* Bodies over max_body get our JSON 413 from the handler; evhttp's own
	 * (HTML) 413 is only a hard backstop far above it, so that a huge body
	 * is never buffered. */
	evhttp_set_max_body_size(srv->http, (ev_ssize_t)(srv->cfg.max_body * 16));
	evhttp_set_max_headers_size(srv->http, (ev_ssize_t)srv->cfg.max_headers_size);
	evhttp_set_timeout(srv->http, srv->cfg.timeout_s);
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	                           EVHTTP_REQ_DELETE | EVHTTP_REQ_PUT | EVHTTP_REQ_HEAD);
	inn_api_register(srv);
	sock = evhttp_bind_socket_with_handle(srv->http, srv->cfg.listen_host,
	                                      (ev_uint16_t)srv->cfg.listen_port);
	if (sock == NULL)
		return inn_error_set(INN_ERROR, "cannot listen on %s:%d (in use, or not an "
		                     "address of this machine)", srv->cfg.listen_host,
		                     srv->cfg.listen_port);
	if (srv->cfg.listen_port == 0) {
		struct sockaddr_storage ss;
		ev_socklen_t sl = sizeof(ss);

		if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&ss, &sl) == 0)
			srv->cfg.listen_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	return 0;
}
