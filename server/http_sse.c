/*
 * http_sse.c - the Server-Sent Events hub: the streams clients opened
 * (logs of one execution, or the event stream of every execution the
 * caller may see), the queue of execution events that any thread may
 * publish (the server's event sink, wired by main.c) and the loop-thread
 * flush that hands them to the streams, with flow control: a stream too
 * slow for the live messages reads them from the store a page at a time.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "error.h"
#include "http_sse.h"

/* The hub: its streams (loop thread only) and what waits for them. */
struct inn_sse_hub {
	struct event *wake;        /* activated from other threads: flush the queue */
	pthread_mutex_t lock;      /* guards queue */
	json_object *queue;        /* array of {kind, exec, id, team, by, data} */
	struct sse_client *clients;
};

struct sse_client {
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	int64_t exec_id;          /* logs of one execution, or 0 for the event stream */
	int64_t last;             /* highest seq / event id sent */
	inn_caller who;           /* whose events it may receive: inn_caller_sees() */
	inn_server *srv;
	/* Flow control: while paging, the client is behind -- its backlog, or
	 * live messages it was too slow for -- and what it gets is read from the
	 * store by seq / event id after `last`, one page whenever its output
	 * has drained below SSE_HIGH (sse_drained), never queued in memory. */
	int paging;
	struct sse_client *next;
};

/* Lines or events read from the store per page, and the output bytes
 * beyond which a stream stops taking live messages and pages from the
 * store instead: memory per stream stays about SSE_HIGH plus one page
 * whatever the log size and however slow the client. */
#define SSE_PAGE 500
#define SSE_HIGH (256 * 1024)

static void sse_flush(evutil_socket_t fd, short what, void *arg);

static void
sse_remove(inn_server *srv, struct sse_client *c)
{
	struct sse_client **pp;

	for (pp = &srv->sse->clients; *pp != NULL; pp = &(*pp)->next)
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
	/* the client went away mid-reply: libevent detached the request from
	 * the connection and left it to us (it frees only requests still
	 * attached, e.g. when the server itself frees its connections) */
	if (c->req != NULL && evhttp_request_get_connection(c->req) == NULL)
		evhttp_request_free(c->req);
	c->req = NULL; /* the reply is gone: drop it on the next flush */
}

static void sse_drained(struct evhttp_connection *conn, void *arg);

static void
sse_write(struct sse_client *c, const char *event, int64_t id, json_object *data)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add_printf(b, "id: %lld\nevent: %s\ndata: ", (long long)id, event);
	inn_http_json_buffer(data, b);
	evbuffer_add(b, "\n\n", 2);
	/* every chunk carries the callback: a later chunk without one would
	 * clear it, and a paging stream would never be woken again */
	evhttp_send_reply_chunk_with_cb(c->req, b, sse_drained, c);
	evbuffer_free(b);
}

/* Bytes written to the stream's connection and not yet sent. */
static size_t
sse_pending(const struct sse_client *c)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->conn);

	return bev != NULL ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

int
inn_sse_head(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		return 0;
	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	inn_http_access_log(req, 200, 0);
	evhttp_send_reply(req, 200, "OK", NULL);
	return 1;
}

/* Streams open with the key named name (a stream whose client left is
 * not counted). */
static int
sse_key_streams(inn_server *srv, const char *name)
{
	struct sse_client *c;
	int n = 0;

	for (c = srv->sse->clients; c != NULL; c = c->next)
		if (c->req != NULL && strcmp(c->who.p.name, name) == 0)
			n++;
	return n;
}

/* Refuses a stream: status with code and msg, and Retry-After (a stream
 * ends when its client closes it: the slot may be free soon). */
static struct sse_client *
sse_refuse(struct evhttp_request *req, int status, const char *code, const char *msg)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "5");
	inn_http_error(req, status, code, "%s", msg);
	return NULL;
}

struct sse_client *
inn_sse_open(inn_server *srv, struct evhttp_request *req, int64_t exec_id,
             const inn_caller *who, int64_t after)
{
	struct sse_client *c;
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	int max = srv->cfg.max_streams_per_key, status;
	char msg[512];

	if (max > 0 && sse_key_streams(srv, who->p.name) >= max) {
		snprintf(msg, sizeof(msg), "key \"%s\" has %d streams open, the limit per key "
		         "(server.maxStreamsPerKey); close one (an event or log stream) and try "
		         "again", who->p.name, max);
		return sse_refuse(req, 429, "too_many_streams", msg);
	}
	if ((status = inn_http_conn_stream_room(req, msg, sizeof(msg))) != 0)
		return sse_refuse(req, status, "too_many_streams", msg);
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		inn_http_error(req, 503, "busy", "out of memory");
		return NULL;
	}
	c->req = req;
	c->conn = evhttp_request_get_connection(req);
	c->exec_id = exec_id;
	c->last = after;
	c->who = *who;
	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	inn_http_conn_streaming(req);
	inn_http_access_log(req, 200, 0);       /* the stream begins */
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
	c->srv = srv;
	c->next = srv->sse->clients;
	srv->sse->clients = c;
}

static void sse_finish(inn_server *srv, struct sse_client *c);

/* Sends the backlog event e of the event stream, in the shape of a live
 * event: its data, which names the execution. */
static void
sse_send_event(struct sse_client *c, json_object *e)
{
	json_object *d, *x;

	if (!json_object_object_get_ex(e, "data", &d) || !json_object_is_type(d, json_type_object)) {
		d = json_object_new_object();
		json_object_object_add(e, "data", d);
	}
	if (!json_object_object_get_ex(d, "execution", NULL) &&
	    json_object_object_get_ex(e, "execution", &x))
		json_object_object_add(d, "execution", json_object_get(x));
	inn_sse_send(c, json_object_get_string(json_object_object_get(e, "type")),
	             json_object_get_int64(json_object_object_get(e, "id")), d);
}

/* A paging stream: pages from the store after c->last while its output
 * is below SSE_HIGH; caught up, it takes live messages again (a log
 * follower of an execution that has ended gets "end" and is finished).
 * Loop thread; c may be freed. */
static void
sse_pump(struct sse_client *c)
{
	inn_server *srv = c->srv;

	while (c->req != NULL && c->paging && sse_pending(c) < SSE_HIGH) {
		json_object *page = NULL;
		size_t i, n;
		int rc;

		if (c->exec_id > 0)
			rc = inn_store_logs_get(srv->store, c->exec_id, c->last, SSE_PAGE, &page);
		else
			rc = inn_store_events_after(srv->store, c->last,
			                            inn_caller_scope_team(&c->who),
			                            inn_caller_scope_user(&c->who), SSE_PAGE, &page);
		if (rc != 0)
			break; /* retried on the next drain */
		n = json_object_array_length(page);
		for (i = 0; i < n; i++) {
			json_object *l = json_object_array_get_idx(page, i);

			if (c->exec_id > 0)
				inn_sse_send(c, "log", json_object_get_int64(
				    json_object_object_get(l, "seq")), l);
			else
				sse_send_event(c, l);
		}
		json_object_put(page);
		if (n >= SSE_PAGE)
			continue;
		c->paging = 0;
		if (c->exec_id > 0) {
			/* the run may have ended while it was behind */
			inn_exec_row *row = NULL;

			if (inn_store_exec_get(srv->store, c->exec_id, &row) == 0 &&
			    inn_state_word_is_final(row->status)) {
				json_object *end = json_object_new_object();

				json_object_object_add(end, "status", json_object_new_string(row->status));
				inn_sse_send(c, "end", c->last, end);
				json_object_put(end);
				sse_finish(srv, c);
			}
			inn_exec_row_free(row);
		}
		return;
	}
}

static void
sse_drained(struct evhttp_connection *conn, void *arg)
{
	struct sse_client *c = arg;

	(void)conn;
	if (c->req != NULL && c->paging)
		sse_pump(c);
}

void
inn_sse_catch_up(inn_server *srv, struct sse_client *c)
{
	inn_sse_register(srv, c);
	c->paging = 1;
	sse_pump(c);
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

/* Ends a stream from the server's side: an "end" event {reason}, then the
 * reply ends and c is freed (loop thread). */
static void
sse_end(inn_server *srv, struct sse_client *c, const char *reason)
{
	if (c->req != NULL) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "reason", json_object_new_string(reason));
		sse_write(c, "end", c->last, o);
		json_object_put(o);
	}
	sse_finish(srv, c);
}

int
inn_sse_end_key(inn_server *srv, const char *key_name)
{
	struct sse_client *c, *next;
	int n = 0;

	for (c = srv->sse->clients; c != NULL; c = next) {
		next = c->next;
		if (strcmp(c->who.p.name, key_name) != 0)
			continue;
		sse_end(srv, c, "key revoked");
		n++;
	}
	return n;
}

/* SIGTERM: the connections of the streams ended, until their bytes are
 * sent (an entry is cleared when its connection closes). */
static struct {
	struct evhttp_connection **conns;
	size_t n;
	size_t bytes;
} shut;

static void
shut_closed(struct evhttp_connection *conn, void *arg)
{
	(void)conn;
	shut.conns[(size_t)(uintptr_t)arg] = NULL;
}

static void
sse_end_all(void *arg)
{
	inn_server *srv = arg;
	struct sse_client *c, *next;
	size_t n = 0;

	for (c = srv->sse->clients; c != NULL; c = c->next)
		n++;
	shut.conns = calloc(n ? n : 1, sizeof(*shut.conns));
	shut.n = 0;
	for (c = srv->sse->clients; c != NULL; c = next) {
		struct evhttp_connection *conn = c->req != NULL ? c->conn : NULL;

		next = c->next;
		sse_end(srv, c, "server shutting down");
		if (conn != NULL && shut.conns != NULL) {
			shut.conns[shut.n] = conn;
			evhttp_connection_set_closecb(conn, shut_closed, (void *)(uintptr_t)shut.n);
			shut.n++;
		}
	}
}

static void
sse_left_count(void *arg)
{
	size_t i;

	(void)arg;
	shut.bytes = 0;
	for (i = 0; i < shut.n; i++) {
		struct bufferevent *bev = shut.conns[i] ?
		                          evhttp_connection_get_bufferevent(shut.conns[i]) : NULL;

		if (bev != NULL)
			shut.bytes += evbuffer_get_length(bufferevent_get_output(bev));
	}
}

static void
sse_left_forget(void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < shut.n; i++)
		if (shut.conns[i] != NULL)
			evhttp_connection_set_closecb(shut.conns[i], NULL, NULL);
	free(shut.conns);
	shut.conns = NULL;
	shut.n = 0;
}

void
inn_sse_shutdown(inn_server *srv)
{
	int i;

	inn_http_on_loop(sse_end_all, srv);
	/* up to 2 s for the ends to reach the clients before the loop stops */
	for (i = 0; i < 100; i++) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		inn_http_on_loop(sse_left_count, NULL);
		if (shut.bytes == 0)
			break;
		nanosleep(&ts, NULL);
	}
	inn_http_on_loop(sse_left_forget, NULL);
}

void
inn_sse_publish(inn_server *srv, const char *kind, int64_t exec_id, int64_t id,
                const char *team, const char *created_by, json_object *data)
{
	json_object *m;

	if (srv->sse == NULL || srv->sse->wake == NULL)
		return;
	m = json_object_new_object();
	json_object_object_add(m, "kind", json_object_new_string(kind));
	json_object_object_add(m, "exec", json_object_new_int64(exec_id));
	json_object_object_add(m, "id", json_object_new_int64(id));
	json_object_object_add(m, "team", inn_json_str(team));
	json_object_object_add(m, "by", inn_json_str(created_by));
	/* a deep copy: json-c reference counts are not atomic */
	{
		json_object *copy = inn_json_copy(data);

		if (copy != NULL)
			json_object_object_add(m, "data", copy);
	}
	pthread_mutex_lock(&srv->sse->lock);
	if (json_object_array_length(srv->sse->queue) < 100000)
		json_object_array_add(srv->sse->queue, m);
	else
		json_object_put(m);
	pthread_mutex_unlock(&srv->sse->lock);
	event_active(srv->sse->wake, EV_READ, 0);
}

static void
sse_flush(evutil_socket_t fd, short what, void *arg)
{
	inn_server *srv = arg;
	json_object *q;
	struct sse_client *c;
	size_t i, n;
	int shared = inn_store_shared(srv->store);

	(void)fd;
	(void)what;
	pthread_mutex_lock(&srv->sse->lock);
	q = srv->sse->queue;
	srv->sse->queue = json_object_new_array();
	pthread_mutex_unlock(&srv->sse->lock);
	n = json_object_array_length(q);
	for (i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(q, i), *v;
		const char *kind = json_object_get_string(json_object_object_get(m, "kind"));
		int64_t exec = json_object_get_int64(json_object_object_get(m, "exec"));
		int64_t id = json_object_get_int64(json_object_object_get(m, "id"));
		const char *team = json_object_object_get_ex(m, "team", &v) && v ?
		                   json_object_get_string(v) : NULL;
		const char *by = json_object_object_get_ex(m, "by", &v) && v ?
		                 json_object_get_string(v) : NULL;
		json_object *data = json_object_object_get(m, "data");
		struct sse_client *next;
		int is_log = strcmp(kind, "log") == 0;
		/* an execution ends when it finished, or when the replica that
		 * adopted it from a dead one failed it (interrupted, final) */
		int finished = strcmp(kind, "execution.finished") == 0 ||
		               (strcmp(kind, "execution.interrupted") == 0 &&
		                inn_state_word_is_final(json_object_get_string(
		                    json_object_object_get(data, "status"))));

		if (strcmp(kind, "key.revoked") == 0) {
			/* revoked on another replica: its streams here end, and
			 * no cached check of it is trusted any longer */
			const char *key = json_object_get_string(json_object_object_get(data, "key"));

			inn_auth_forget_keys();
			if (key != NULL)
				inn_sse_end_key(srv, key);
		}

		for (c = srv->sse->clients; c != NULL; c = next) {
			next = c->next;
			if (c->req == NULL) {
				sse_remove(srv, c);
				free(c);
				continue;
			}
			if (c->paging)
				continue; /* behind: it reads this from the store later */
			if ((c->exec_id == 0 || c->exec_id == exec) && (c->exec_id == 0 || is_log) &&
			    sse_pending(c) >= SSE_HIGH) {
				/* too slow for the live messages: page from the store
				 * when its output has drained (sse_drained) */
				c->paging = 1;
				continue;
			}
			if (c->exec_id > 0) {
				/* a log follower: its execution's lines, then the end;
				 * its ids are log seqs, the end's the last line's (the
				 * id of the event that ended the run is no seq: a
				 * client resuming from it would skip or repeat lines) */
				if (c->exec_id != exec)
					continue;
				if (is_log && id > c->last)
					inn_sse_send(c, "log", id, data);
				else if (finished) {
					inn_sse_send(c, "end", c->last, data);
					sse_finish(srv, c);
				}
				continue;
			}
			if (is_log)
				continue; /* the event stream carries events, not lines */
			if (!inn_caller_sees(&c->who, team, by))
				continue;
			if (id > c->last && shared)
				c->paging = 1;  /* read below, in id order, from the store */
			else if (id > c->last)
				inn_sse_send(c, kind, id, data);
		}
	}
	json_object_put(q);
	if (!shared)
		return;
	/* Several replicas write events: another's may arrive here after
	 * this one's newer ones, so a stream never takes a live event whose
	 * id jumps ahead; it reads what follows its cursor from the store,
	 * where events become visible in id order (the store's contract). */
	for (c = srv->sse->clients; c != NULL; c = c->next)
		if (c->req != NULL && c->exec_id == 0 && c->paging)
			sse_pump(c);
}

int
inn_sse_start(inn_server *srv)
{
	struct inn_sse_hub *h = calloc(1, sizeof(*h));

	if (h == NULL || (h->queue = json_object_new_array()) == NULL ||
	    (h->wake = event_new(srv->base, -1, 0, sse_flush, srv)) == NULL) {
		if (h != NULL)
			json_object_put(h->queue);
		free(h);
		return inn_error_set(INN_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&h->lock, NULL);
	srv->sse = h;
	return 0;
}

void
inn_sse_free(inn_server *srv)
{
	struct inn_sse_hub *h = srv->sse;

	if (h == NULL)
		return;
	srv->sse = NULL;
	event_free(h->wake);
	json_object_put(h->queue);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
