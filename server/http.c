/*
 * http.c - the HTTP front end on libevent's evhttp: limits (body size,
 * header size, timeouts, connection count), JSON replies and errors, and
 * the hand-off between request threads and the loop thread.  It knows no
 * route: main.c registers the API (api.c) on srv->http after the start,
 * and Server-Sent Events live in http_sse.c.
 *
 * The connection guard.  libevent 2.1 has no hook between a request's
 * headers and its body on the server side (evhttp_request_set_header_cb
 * only serves client requests, evhttp_set_newreqcb and
 * evhttp_set_max_connections are 2.2), so this file watches the bytes of
 * every connection itself: evhttp_set_bevcb gives us each connection's
 * bufferevent, and a callback on its input buffer sees every byte read from
 * the socket before evhttp parses it.  A small scanner follows the request
 * heads and bodies (Content-Length and chunked framing) and, at the end of
 * each head, before any of the body is kept:
 *   - a body without a valid API key        -> 401 JSON, connection closed
 *   - Content-Length over maxBodyBytes      -> 413 JSON, connection closed
 *   - a chunked body growing past the limit -> 413 JSON, connection closed
 *   - conflicting or malformed Content-Length, Content-Length together with
 *     Transfer-Encoding, a coding other than chunked -> 400 JSON, closed
 *   - a head over the header limit          -> 431 JSON, closed
 * The reply is written to the socket directly (evhttp has not seen the
 * request yet) and the socket shut for writing; the input is dropped as it
 * comes until the client closes (or 8 MB later, when the socket is shut
 * for reading too, so evhttp ends the connection).  When an earlier request of
 * the same connection is still unanswered (pipelining), the connection is
 * closed without that reply, so that replies cannot come out of order.
 * Remaining limits: evhttp's own HTML errors can still appear for a
 * malformed request line (the scanner does not duplicate evhttp's parser);
 * the key check of a body request reads the store on a cache miss (one
 * indexed lookup).
 *
 * Header lines are checked as evhttp will read them: a name that is not a
 * token right before its colon ("Transfer-Encoding : chunked", which evhttp
 * would take for another header), a folded line, a line without a colon,
 * control characters in a value, a chunk-size line of anything but hex
 * digits (extensions included) -> 400 JSON.  evhttp's own header limit is
 * set above the scanner's, so the JSON 431 always comes first.
 *
 * Deadlines (evhttp's timeout only measures inactivity, so a client
 * trickling a byte at a time would hold its connection for ever): a
 * request head must be complete within server.headerTimeoutSeconds of its
 * first byte (of the connection's opening for the first request); a body
 * may take server.timeoutSeconds and must then have come at
 * GUARD_MIN_BODY_RATE since; a refused connection that keeps sending is
 * closed headerTimeoutSeconds after its refusal.  Checked by the sweep
 * each second; a 408 JSON and the connection is shut both ways.
 *
 * Connections are counted here too (evhttp 2.1 cannot): at most
 * server.maxConnections in all and server.maxConnectionsPerClient per
 * client address.  At a limit the connection (of that address) that has
 * waited longest for a complete head (or was refused) is closed to make
 * room; failing that, the idle keep-alive connection (a request finished,
 * none in progress, no reply pending, never a stream) idle longest,
 * unauthenticated ones first, is closed without a reply; when there is
 * none, the newcomer gets a 503 JSON and is closed.  A connection is
 * known closed when its descriptor no longer names the same socket (a
 * sweep every second, and before refusing).  The accept loop pauses on
 * EMFILE/ENFILE instead of spinning, and says so once per interval.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "api_body.h"
#include "error.h"
#include "host.h"
#include "http_scan.h"
#include "server.h"
#include "utf8_out.h"

static atomic_llong error_replies;
static atomic_int live_connections;

long long
inn_http_error_count(void)
{
	return atomic_load(&error_replies);
}

int
inn_http_json_buffer(json_object *o, struct evbuffer *b)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                               JSON_C_TO_STRING_NOSLASHESCAPE);

	return inn_utf8_append(b, s, strlen(s));
}

void
inn_http_reply_json(struct evhttp_request *req, int status, json_object *body)
{
	struct evbuffer *buf = evbuffer_new();

	inn_http_json_buffer(body, buf);
	inn_http_reply_buffer(req, status, buf);
	evbuffer_free(buf);
}

void
inn_http_reply_buffer(struct evhttp_request *req, int status, struct evbuffer *buf)
{
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
	evhttp_send_reply(req, status, reason, buf);
}

json_object *
inn_http_error_json(const char *code, const char *message)
{
	json_object *body = json_object_new_object(), *err = json_object_new_object();

	json_object_object_add(err, "code", json_object_new_string(code));
	json_object_object_add(err, "message", json_object_new_string(message));
	json_object_object_add(body, "error", err);
	return body;
}

void
inn_http_error(struct evhttp_request *req, int status, const char *code, const char *fmt, ...)
{
	json_object *body;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	body = inn_http_error_json(code, msg);
	if (status == 401)
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
		                  "Bearer realm=\"innominatus\"");
	inn_http_reply_json(req, status, body);
	json_object_put(body);
}

/* The body parsed on a request thread for the request being handled. */
static struct evhttp_request *preset_req;
static json_object *preset_body;

void
inn_http_body_preset(struct evhttp_request *req, json_object *body)
{
	preset_req = req;
	preset_body = body;
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

	if (req == preset_req && preset_body != NULL)
		return json_object_get(preset_body);
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

/* ---- the connection guard (see the top of the file) --------------------- */

struct conn {
	inn_server *srv;
	struct bufferevent *bev;
	struct event *setup;          /* one-shot: the descriptor is known */
	struct evbuffer_cb_entry *cb;
	evutil_socket_t fd;           /* -1 until set up */
	ino_t ino;                    /* the socket's inode: tells a reused number */
	char ip[INET6_ADDRSTRLEN];
	inn_scan scan;                /* where the byte stream is (http_scan.c) */
	int64_t before;               /* buffer bytes ahead of the current request */
	int refused;
	uint64_t discarded;           /* bytes dropped after the refusal */
	int closing;                  /* shut by the guard: not counted, gone soon */
	int64_t head_ms;              /* a request head began (or the connection
	                               * opened) then and is not complete; 0: none */
	int64_t body_ms;              /* a body began then and is not complete; 0: none */
	int64_t body_base;            /* scan.cur when the body began */
	int64_t refused_ms;           /* when the guard refused it */
	int busy;                     /* requests handed to dispatch, not finished */
	int streaming;                /* has had a streaming (SSE) reply: never evicted */
	int authed;                   /* has made a request with a valid API key */
	int64_t idle_ms;              /* its last request finished then; 0: none yet */
};

static struct {
	struct conn **live;           /* set-up connections */
	int nlive, cap;
	int max_total, max_per_client;
	struct event *sweep, *resume;
	struct evconnlistener *listener;
	int64_t last_log_ms;
	long long accept_errors;      /* since the last message */
	int trim;                     /* a big body went through: give memory back */
	int64_t head_ms;              /* server.headerTimeoutSeconds, in ms */
	int64_t grace_ms;             /* a body's grace: server.timeoutSeconds, in ms */
} guard;

/* After its grace, a request body must have come at this average rate
 * (bytes per second) since the grace ended, or the connection ends. */
#define GUARD_MIN_BODY_RATE 1024

#define GUARD_LOG_INTERVAL_MS 10000

static void
conn_forget(int i)
{
	struct conn *c = guard.live[i];

	guard.live[i] = guard.live[--guard.nlive];
	inn_scan_free(&c->scan);
	free(c);
}

/* Ends a connection from the guard's side: a JSON reply (status, unless
 * an earlier request of the connection is unanswered, or it was refused
 * already), then the socket is shut both ways, so that evhttp sees the end
 * and frees it; from now on it does not count against the limits. */
static void
conn_refuse(struct conn *c, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void
conn_close(struct conn *c, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
conn_close(struct conn *c, int status, const char *code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (c->closing)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!c->refused) {
		/* bytes of earlier requests still in the buffer? */
		c->before = (int64_t)evbuffer_get_length(bufferevent_get_input(c->bev)) -
		            c->scan.cur;
		conn_refuse(c, status, code, "%s", msg);
	}
	c->closing = 1;
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

/* The deadlines of one connection (see the top of the file). */
static void
conn_deadlines(struct conn *c, int64_t now)
{
	if (c->closing)
		return;
	if (c->refused) {
		/* refused and still sending: it had its reply */
		if (now - c->refused_ms > guard.head_ms)
			conn_close(c, 408, "request_timeout", "refused");
	} else if (c->head_ms != 0 && now - c->head_ms > guard.head_ms) {
		conn_close(c, 408, "request_timeout", "the request head did not arrive within "
		           "%lld s (server.headerTimeoutSeconds)", (long long)(guard.head_ms / 1000));
	} else if (c->body_ms != 0 && now - c->body_ms > guard.grace_ms &&
	           (c->scan.cur - c->body_base) * 1000 <
	           GUARD_MIN_BODY_RATE * (now - c->body_ms - guard.grace_ms)) {
		conn_close(c, 408, "request_timeout", "the request body came slower than %d "
		           "bytes/s after %lld s (server.timeoutSeconds)", GUARD_MIN_BODY_RATE,
		           (long long)(guard.grace_ms / 1000));
	}
}

/* Connections that count against the limits (ip: of that address only). */
static int
conns_open(const char *ip)
{
	int i, n = 0;

	for (i = 0; i < guard.nlive; i++)
		if (!guard.live[i]->closing && (ip == NULL || strcmp(guard.live[i]->ip, ip) == 0))
			n++;
	return n;
}

/* At a limit: closes the connection (of address ip, or any) that has been
 * refused, or waiting for a complete request head, the longest, so that
 * connections that never finish a head cannot lock other clients out.
 * Returns 1 if one was closed. */
static int
conn_evict(const char *ip)
{
	struct conn *v = NULL;
	int i;

	for (i = 0; i < guard.nlive; i++) {
		struct conn *c = guard.live[i];

		if (c->closing || (ip != NULL && strcmp(c->ip, ip) != 0) ||
		    (!c->refused && c->head_ms == 0))
			continue;
		if (v == NULL || (c->refused && !v->refused) ||
		    (c->refused == v->refused && (c->refused ? c->refused_ms < v->refused_ms :
		                                  c->head_ms < v->head_ms)))
			v = c;
	}
	if (v == NULL)
		return 0;
	conn_close(v, 408, "request_timeout", "the connection was closed to make room (%s): "
	           "its request head was not complete", ip ? "server.maxConnectionsPerClient" :
	           "server.maxConnections");
	return 1;
}

/* At a limit, when no connection is stuck in a head: closes the keep-alive
 * connection (of address ip, or any) that is doing nothing (a request
 * finished, none in progress or begun since, no reply pending, never a
 * stream), unauthenticated ones first, then the one idle longest.  It is
 * between requests, so it is closed without a reply.  Returns 1 if one was
 * closed. */
static int
conn_evict_idle(const char *ip)
{
	struct conn *v = NULL;
	int i;

	for (i = 0; i < guard.nlive; i++) {
		struct conn *c = guard.live[i];

		if (c->closing || c->refused || (ip != NULL && strcmp(c->ip, ip) != 0) ||
		    c->busy > 0 || c->streaming || c->idle_ms == 0 || c->head_ms != 0 ||
		    c->body_ms != 0 || c->scan.st != INN_SCAN_HEAD || c->scan.cur != 0 ||
		    evbuffer_get_length(bufferevent_get_output(c->bev)) != 0 ||
		    evbuffer_get_length(bufferevent_get_input(c->bev)) != 0)
			continue;
		if (v == NULL || (!c->authed && v->authed) ||
		    (c->authed == v->authed && c->idle_ms < v->idle_ms))
			v = c;
	}
	if (v == NULL)
		return 0;
	v->refused = 1;                 /* no reply; input dropped from now on */
	v->refused_ms = inn_now_ms();
	v->closing = 1;
	if (v->fd >= 0)
		shutdown(v->fd, SHUT_RDWR);
	return 1;
}

/* The guard's record of the connection of req (NULL: not counted). */
static struct conn *
conn_of(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	int i;

	if (bev == NULL)
		return NULL;
	for (i = 0; i < guard.nlive; i++)
		if (guard.live[i]->bev == bev)
			return guard.live[i];
	return NULL;
}

static void
conn_request_done(struct evhttp_request *req, void *arg)
{
	struct conn *c = conn_of(req);

	(void)arg;
	if (c != NULL && c->busy > 0) {
		c->busy--;
		c->idle_ms = inn_now_ms();
	}
}

void
inn_http_conn_begin(struct evhttp_request *req)
{
	struct conn *c = conn_of(req);

	if (c == NULL)
		return;
	c->busy++;
	evhttp_request_set_on_complete_cb(req, conn_request_done, NULL);
}

/* A streaming reply begins: the connection is never evicted as idle. */
void
inn_http_conn_streaming(struct evhttp_request *req)
{
	struct conn *c = conn_of(req);

	if (c != NULL)
		c->streaming = 1;
}

void
inn_http_conn_authed(struct evhttp_request *req)
{
	struct conn *c = conn_of(req);

	if (c != NULL)
		c->authed = 1;
}

/* Drops the connections whose descriptor was closed (or now names another
 * file); gives memory back to the system after big bodies. */
static void
guard_sweep_now(void)
{
	int i = 0;

	while (i < guard.nlive) {
		struct stat st;
		struct conn *c = guard.live[i];

		if (fstat(c->fd, &st) != 0 || st.st_ino != c->ino || !S_ISSOCK(st.st_mode))
			conn_forget(i);
		else
			i++;
	}
	atomic_store(&live_connections, conns_open(NULL));
}

static void
guard_sweep(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	guard_sweep_now();
	{
		int64_t now = inn_now_ms();
		int i;

		for (i = 0; i < guard.nlive; i++)
			conn_deadlines(guard.live[i], now);
	}
	if (guard.trim) {
		guard.trim = 0;
		malloc_trim(0);
	}
}

/* Writes a JSON error straight to the socket (evhttp has not seen this
 * request) unless an earlier request of the connection is still pending,
 * then shuts the socket for writing; the caller drops the input from now
 * on (conn_discard). */
static void
conn_refuse(struct conn *c, int status, const char *code, const char *fmt, ...)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	json_object *body;
	const char *s, *reason;
	char msg[512], head[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->refused = 1;
	c->refused_ms = inn_now_ms();
	atomic_fetch_add(&error_replies, 1);
	if (status == 401)
		atomic_fetch_add(&c->srv->m_unauthorized, 1);
	switch (status) {
	case 400: reason = "Bad Request"; break;
	case 401: reason = "Unauthorized"; break;
	case 408: reason = "Request Timeout"; break;
	case 413: reason = "Payload Too Large"; break;
	case 431: reason = "Request Header Fields Too Large"; break;
	default: reason = "Service Unavailable"; break;
	}
	body = inn_http_error_json(code, msg);
	s = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
	                                   JSON_C_TO_STRING_NOSLASHESCAPE);
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
	             "Content-Length: %zu\r\nConnection: close\r\n%s\r\n", status, reason,
	             strlen(s), status == 401 ?
	             "WWW-Authenticate: Bearer realm=\"innominatus\"\r\n" : "");
	if (fd >= 0 && c->before <= 0 &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0 &&
	    send(fd, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n)
		(void)send(fd, s, strlen(s), MSG_NOSIGNAL | MSG_DONTWAIT);
	json_object_put(body);
	if (fd >= 0)
		shutdown(fd, SHUT_WR);
}

/* After a refusal: evhttp must not act on what is left of the request,
 * so the input is dropped as it comes.  The socket stays open for reading
 * a while, so that a client still sending its body reads the reply rather
 * than a reset; after GUARD_DISCARD_MAX bytes it is shut for reading too
 * (evhttp then sees the end and frees the connection). */
#define GUARD_DISCARD_MAX (8 * 1024 * 1024)

static void
conn_discard(struct conn *c, struct evbuffer *buf)
{
	size_t n = evbuffer_get_length(buf);
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	evbuffer_drain(buf, n);
	if (c->discarded <= GUARD_DISCARD_MAX && (c->discarded += n) > GUARD_DISCARD_MAX &&
	    fd >= 0)
		shutdown(fd, SHUT_RD);
}

/* Bytes were read from the socket into the connection's input buffer,
 * before evhttp parses them. */
static void
conn_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *c = arg;
	struct evbuffer_iovec vec[16];
	struct evbuffer_ptr pos;
	size_t len = evbuffer_get_length(buf), off, todo;
	int i, nv;

	if (info->n_added == 0)
		return;
	if (c->refused) {
		conn_discard(c, buf);
		return;
	}
	todo = info->n_added > len ? len : info->n_added;
	off = len - todo;
	while (todo > 0) {
		size_t done = 0, used;

		if (evbuffer_ptr_set(buf, &pos, off, EVBUFFER_PTR_SET) != 0)
			break;
		nv = evbuffer_peek(buf, (ev_ssize_t)todo, &pos, vec, 16);
		if (nv > 16)
			nv = 16;
		for (i = 0; i < nv; i++) {
			size_t k = vec[i].iov_len < todo - done ? vec[i].iov_len : todo - done;

			if (inn_scan_feed(&c->scan, vec[i].iov_base, k, &used) != 0) {
				/* bytes of earlier requests still in the buffer? */
				c->before = (int64_t)(off + done + used) - c->scan.cur;
				conn_refuse(c, c->scan.status, c->scan.code, "%s", c->scan.msg);
				conn_discard(c, buf);
				return;
			}
			done += k;
		}
		if (nv <= 0)
			break;
		off += done;
		todo -= done;
	}
	if (c->scan.big) {
		c->scan.big = 0;
		guard.trim = 1;
	}
	/* where the deadlines of conn_deadlines start */
	if (c->scan.st == INN_SCAN_HEAD) {
		c->body_ms = 0;
		if (c->scan.cur == 0)
			c->head_ms = 0;          /* between requests: evhttp's idle timeout */
		else if (c->head_ms == 0)
			c->head_ms = inn_now_ms();
	} else if (c->body_ms == 0) {
		c->head_ms = 0;
		c->body_ms = inn_now_ms();
		c->body_base = c->scan.cur;
	}
}

/* The scanner's question at the end of a head with a body. */
static int
conn_key_ok(void *arg, const char *key)
{
	inn_server *srv = arg;
	inn_principal who;

	return inn_auth_key_check(srv->store, key, &who) == 0;
}

/* The connection's descriptor is known now: count it, or refuse it. */
static void
conn_setup(evutil_socket_t unused, short what, void *arg)
{
	struct conn *c = arg;
	struct bufferevent *bev = c->bev;
	evutil_socket_t fd = bufferevent_getfd(bev);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct stat st;
	int i;

	(void)unused;
	(void)what;
	event_free(c->setup);
	c->setup = NULL;
	if (fd < 0 || fstat(fd, &st) != 0 || guard.nlive >= guard.cap) {
		/* gone already (or no room to count it): stop watching */
		if (c->cb != NULL)
			evbuffer_remove_cb_entry(bufferevent_get_input(bev), c->cb);
		if (fd >= 0)
			shutdown(fd, SHUT_RDWR);
		inn_scan_free(&c->scan);
		free(c);
		bufferevent_decref(bev);
		return;
	}
	c->fd = fd;
	c->ino = st.st_ino;
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, c->ip, sizeof(c->ip));
		else if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, c->ip, sizeof(c->ip));
	}
	/* a number reused: its former connection is closed */
	for (i = 0; i < guard.nlive; i++)
		if (guard.live[i]->fd == fd) {
			conn_forget(i);
			break;
		}
	if (conns_open(NULL) >= guard.max_total || conns_open(c->ip) >= guard.max_per_client)
		guard_sweep_now();
	/* at a limit, a connection that never completed its head makes room */
	if (conns_open(c->ip) >= guard.max_per_client && !conn_evict(c->ip))
		(void)conn_evict_idle(c->ip);
	if (conns_open(NULL) >= guard.max_total && !conn_evict(NULL))
		(void)conn_evict_idle(NULL);
	if (conns_open(NULL) >= guard.max_total)
		conn_refuse(c, 503, "too_many_connections", "the server has %d connections open, "
		            "its limit (server.maxConnections)", conns_open(NULL));
	else if (conns_open(c->ip) >= guard.max_per_client)
		conn_refuse(c, 503, "too_many_connections", "%s has %d connections open, the limit "
		            "per client (server.maxConnectionsPerClient)", c->ip, guard.max_per_client);
	if (c->refused) {
		/* nothing read yet: close at once, the slot is needed */
		inn_scan_free(&c->scan);
		shutdown(fd, SHUT_RD);
		c->closing = 1;
	}
	c->head_ms = inn_now_ms();      /* silent since it opened: a head is due */
	guard.live[guard.nlive++] = c;
	atomic_store(&live_connections, conns_open(NULL));
	bufferevent_decref(bev);
}

/* evhttp's constructor of each accepted connection's bufferevent. */
static struct bufferevent *
conn_new_bev(struct event_base *base, void *arg)
{
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	struct conn *c;

	if (bev == NULL || (c = calloc(1, sizeof(*c))) == NULL)
		return bev;
	c->srv = arg;
	c->bev = bev;
	c->fd = -1;
	c->scan.max_body = c->srv->cfg.max_body;
	c->scan.head_max = c->srv->cfg.max_headers_size;
	c->scan.key_ok = conn_key_ok;
	c->scan.arg = c->srv;
	c->cb = evbuffer_add_cb(bufferevent_get_input(bev), conn_input, c);
	if (c->cb == NULL || (c->setup = event_new(base, -1, 0, conn_setup, c)) == NULL) {
		if (c->cb != NULL)
			evbuffer_remove_cb_entry(bufferevent_get_input(bev), c->cb);
		free(c);
		return bev;
	}
	/* the descriptor is set after we return; look at it once it is, and
	 * keep the bufferevent alive until then */
	bufferevent_incref(bev);
	event_active(c->setup, EV_TIMEOUT, 0);
	return bev;
}

static void
accept_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	evconnlistener_enable(guard.listener);
}

/* accept() failed (EMFILE, ENFILE, ENOBUFS...): pause accepting for a
 * moment instead of retrying at once, and say so once per interval. */
static void
accept_error(struct evconnlistener *lev, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();
	int64_t now = inn_now_ms();
	struct timeval tv = { 0, 100 * 1000 };

	(void)arg;
	guard.accept_errors++;
	if (guard.last_log_ms == 0 || now - guard.last_log_ms >= GUARD_LOG_INTERVAL_MS) {
		fprintf(stderr, "innominatus: cannot accept connections: %s (%lld time(s) since "
		        "the last message); pausing accepts for 100 ms at a time\n",
		        evutil_socket_error_to_string(err), guard.accept_errors);
		guard.last_log_ms = now;
		guard.accept_errors = 0;
	}
	evconnlistener_disable(lev);
	evtimer_add(guard.resume, &tv);
}

/* Raises the descriptor limit to the hard limit and sets the connection
 * limits below it (room kept for the store, workers and logs). */
static int
guard_start(inn_server *srv, struct evhttp_bound_socket *sock)
{
	struct rlimit rl;
	long nofile = 1024, reserve;
	struct timeval second = { 1, 0 };

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? 1048576 : rl.rlim_max;
			if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
				(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
		nofile = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1048576 ? 1048576 :
		         (long)rl.rlim_cur;
	}
	reserve = nofile / 8 > 64 ? nofile / 8 : 64;
	guard.max_total = srv->cfg.max_connections > 0 ? srv->cfg.max_connections : 1024;
	if (guard.max_total > nofile - reserve)
		guard.max_total = nofile - reserve > 8 ? (int)(nofile - reserve) : 8;
	guard.max_per_client = srv->cfg.max_connections_per_client > 0 ?
	                       srv->cfg.max_connections_per_client : guard.max_total;
	if (guard.max_per_client > guard.max_total)
		guard.max_per_client = guard.max_total;
	guard.head_ms = 1000LL * (srv->cfg.header_timeout_s > 0 ? srv->cfg.header_timeout_s : 10);
	guard.grace_ms = 1000LL * (srv->cfg.timeout_s > 0 ? srv->cfg.timeout_s : 60);
	/* refused connections are counted until closed, too */
	guard.cap = guard.max_total * 2 + 64;
	if ((guard.live = calloc((size_t)guard.cap, sizeof(*guard.live))) == NULL)
		return inn_error_set(INN_ERROR, "out of memory");
	guard.listener = evhttp_bound_socket_get_listener(sock);
	evconnlistener_set_error_cb(guard.listener, accept_error);
	guard.resume = evtimer_new(srv->base, accept_resume, NULL);
	guard.sweep = event_new(srv->base, -1, EV_PERSIST, guard_sweep, NULL);
	if (guard.resume == NULL || guard.sweep == NULL)
		return inn_error_set(INN_ERROR, "out of memory");
	event_add(guard.sweep, &second);
	evhttp_set_bevcb(srv->http, conn_new_bev, srv);
	return 0;
}

/* ---- request threads ---------------------------------------------------- */

/*
 * Slow request work (parsing and validating bodies, YAML Score specs)
 * runs on a few request threads, never on the loop thread: a job's work()
 * runs on one of them, then its done() on the loop thread, where evhttp
 * (not thread-safe) may be used again.  The loop is woken by an event
 * activated from the request thread.
 */
#define INN_REQUEST_THREADS 4

struct job {
	void (*work)(void *arg);
	void (*done)(void *arg, int cancelled);
	void *arg;
	struct job *next;
};

struct loop_call {
	void (*fn)(void *arg);
	void *arg;
	int done;
	struct loop_call *next;
};

static struct {
	pthread_t th[INN_REQUEST_THREADS];
	int nth, busy;
	pthread_t loop;                 /* the loop thread */
	pthread_mutex_t lock;
	pthread_cond_t cond, called;
	struct loop_call *calls;        /* for the loop thread, from request threads */
	struct job *todo, *todo_tail;   /* waiting for a thread */
	struct job *fin, *fin_tail;     /* worked: done() on the loop thread */
	struct event *wake;
	int stop;
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
            .called = PTHREAD_COND_INITIALIZER };

static void *
pool_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		struct job *j;

		while (pool.todo == NULL && !pool.stop)
			pthread_cond_wait(&pool.cond, &pool.lock);
		if (pool.todo == NULL)
			break;
		j = pool.todo;
		if ((pool.todo = j->next) == NULL)
			pool.todo_tail = NULL;
		pool.busy++;
		pthread_mutex_unlock(&pool.lock);
		j->work(j->arg);
		pthread_mutex_lock(&pool.lock);
		pool.busy--;
		j->next = NULL;
		if (pool.fin_tail != NULL)
			pool.fin_tail->next = j;
		else
			pool.fin = j;
		pool.fin_tail = j;
		if (pool.wake != NULL)
			event_active(pool.wake, EV_READ, 0);
	}
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

/* Runs the calls request threads wait for (loop thread, or the main
 * thread once the loop has stopped). */
static int
pool_run_calls(void)
{
	struct loop_call *lc, *next;
	int n = 0;

	pthread_mutex_lock(&pool.lock);
	lc = pool.calls;
	pool.calls = NULL;
	pthread_mutex_unlock(&pool.lock);
	for (; lc != NULL; lc = next) {
		next = lc->next;
		lc->fn(lc->arg);
		pthread_mutex_lock(&pool.lock);
		lc->done = 1;
		pthread_cond_broadcast(&pool.called);
		pthread_mutex_unlock(&pool.lock);
		n++;
	}
	return n;
}

void
inn_http_on_loop(void (*fn)(void *arg), void *arg)
{
	struct loop_call lc = { fn, arg, 0, NULL };

	if (pool.wake == NULL || pthread_equal(pthread_self(), pool.loop)) {
		fn(arg);
		return;
	}
	pthread_mutex_lock(&pool.lock);
	lc.next = pool.calls;
	pool.calls = &lc;
	event_active(pool.wake, EV_READ, 0);
	while (!lc.done)
		pthread_cond_wait(&pool.called, &pool.lock);
	pthread_mutex_unlock(&pool.lock);
}

static void
pool_finish(evutil_socket_t fd, short what, void *arg)
{
	struct job *j, *next;

	(void)fd;
	(void)what;
	(void)arg;
	pool_run_calls();
	pthread_mutex_lock(&pool.lock);
	j = pool.fin;
	pool.fin = pool.fin_tail = NULL;
	pthread_mutex_unlock(&pool.lock);
	for (; j != NULL; j = next) {
		next = j->next;
		j->done(j->arg, 0);
		free(j);
	}
}

int
inn_http_defer(void (*work)(void *arg), void (*done)(void *arg, int cancelled), void *arg)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&pool.lock);
	if (pool.todo_tail != NULL)
		pool.todo_tail->next = j;
	else
		pool.todo = j;
	pool.todo_tail = j;
	pthread_cond_signal(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
	return 0;
}

static int
pool_start(inn_server *srv)
{
	int i;

	pool.loop = pthread_self();
	if ((pool.wake = event_new(srv->base, -1, 0, pool_finish, NULL)) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	for (i = 0; i < INN_REQUEST_THREADS; i++) {
		if (pthread_create(&pool.th[i], NULL, pool_thread, NULL) != 0)
			break;
		pool.nth++;
	}
	if (pool.nth == 0)
		return inn_error_set(INN_ERROR, "cannot start the request threads");
	return 0;
}

/* Waits for the request threads; jobs not delivered are cancelled. */
static void
pool_stop(void)
{
	struct job *lists[2], *j, *next;
	int i, busy;

	pthread_mutex_lock(&pool.lock);
	lists[0] = pool.todo;            /* not started: cancelled */
	pool.todo = pool.todo_tail = NULL;
	pool.stop = 1;
	pthread_cond_broadcast(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
	/* jobs under way may wait for a loop call: the loop has stopped, so
	 * this thread answers them until the jobs are done */
	do {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		pool_run_calls();
		pthread_mutex_lock(&pool.lock);
		busy = pool.busy;
		pthread_mutex_unlock(&pool.lock);
		if (busy > 0)
			nanosleep(&ts, NULL);
	} while (busy > 0);
	for (i = 0; i < pool.nth; i++)
		pthread_join(pool.th[i], NULL);
	pool.nth = 0;
	pool_run_calls();
	lists[1] = pool.fin;
	pool.fin = pool.fin_tail = NULL;
	for (i = 0; i < 2; i++)
		for (j = lists[i]; j != NULL; j = next) {
			next = j->next;
			j->done(j->arg, 1);
			free(j);
		}
	if (pool.wake != NULL)
		event_free(pool.wake);
	pool.wake = NULL;
}

void
inn_http_stop(void)
{
	pool_stop();
	while (guard.nlive > 0)
		conn_forget(guard.nlive - 1);
	free(guard.live);
	if (guard.sweep != NULL)
		event_free(guard.sweep);
	if (guard.resume != NULL)
		event_free(guard.resume);
	memset(&guard, 0, sizeof(guard));
}

long long
inn_http_connection_count(void)
{
	return atomic_load(&live_connections);
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
	/* Bodies over max_body get the guard's JSON 413 before they are read;
	 * evhttp's own (HTML) 413 at the same limit is only a backstop. */
	evhttp_set_max_body_size(srv->http, (ev_ssize_t)srv->cfg.max_body);
	/* the guard's scanner counts every byte of a head (request line, line
	 * ends) against max_headers_size, evhttp fewer: with room above it,
	 * evhttp's HTML 400 never comes first and a client sees the JSON 431 */
	evhttp_set_max_headers_size(srv->http, (ev_ssize_t)srv->cfg.max_headers_size + 8192);
	evhttp_set_timeout(srv->http, srv->cfg.timeout_s);
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	                           EVHTTP_REQ_DELETE | EVHTTP_REQ_PUT | EVHTTP_REQ_HEAD);
	if (pool_start(srv) != 0)
		return -1;
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
	return guard_start(srv, sock);
}
