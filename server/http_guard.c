/*
 * http_guard.c - the connection guard of the HTTP front end (http.c):
 * counts connections, refuses a request before its body is read, and
 * enforces the deadlines evhttp lacks.
 *
 * libevent 2.1 has no hook between a request's headers and its body on
 * the server side (evhttp_request_set_header_cb only serves client
 * requests, evhttp_set_newreqcb and evhttp_set_max_connections are 2.2),
 * so this file watches the bytes of every connection itself:
 * evhttp_set_bevcb gives us each connection's bufferevent, and a callback
 * on its input buffer sees every byte read from the socket before evhttp
 * parses it.  A small scanner follows the request
 * heads and bodies (Content-Length and chunked framing) and, at the end of
 * each head, before any of the body is kept:
 *   - a body without a valid API key        -> 401 JSON, connection closed
 *   - Content-Length over maxBodyBytes      -> 413 JSON, connection closed
 *   - a chunked body growing past the limit -> 413 JSON, connection closed
 *   - conflicting or malformed Content-Length, Content-Length together with
 *     Transfer-Encoding, a coding other than chunked -> 400 JSON, closed
 *   - more than one Authorization header    -> 400 JSON, closed
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
 * waited longest for a complete head (a second at least), or was refused,
 * is closed to make room; failing that, the idle keep-alive connection (a
 * request finished, none in progress, no reply pending, never a stream)
 * idle longest, unauthenticated ones first, is closed without a reply;
 * failing that, the one waiting longest for its head however briefly;
 * when there is none, the newcomer gets a 503 JSON and is closed.  Streams
 * (never evicted) may hold three quarters of either limit at most
 * (inn_http_conn_stream_room): the rest stays for other requests, so that
 * clients holding streams cannot lock /health and the API out.  A connection is
 * known closed when its descriptor no longer names the same socket (a
 * sweep every second, and before refusing).  The accept loop pauses on
 * EMFILE/ENFILE instead of spinning, and says so once per interval.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "error.h"
#include "host.h"
#include "http_int.h"
#include "http_reply.h"
#include "http_scan.h"

static atomic_int live_connections;

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
	int streaming;                /* a streaming (SSE) reply is under way: never evicted */
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
	int peak;                     /* most connections open since the last trim */
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

/* Non-zero if c counts against the limits of address ip (NULL: of all). */
static int
conn_counts(const struct conn *c, const char *ip)
{
	return !c->closing && (ip == NULL || strcmp(c->ip, ip) == 0);
}

/* Connections that count against the limits (ip: of that address only). */
static int
conns_open(const char *ip)
{
	int i, n = 0;

	for (i = 0; i < guard.nlive; i++)
		if (conn_counts(guard.live[i], ip))
			n++;
	return n;
}

/* The connection of address ip (NULL: any) that counts and that before()
 * puts first; before(c, v) is non-zero when c may be picked and comes
 * before v (NULL: none yet).  NULL if none may be picked. */
static struct conn *
conn_pick(const char *ip, int (*before)(const struct conn *, const struct conn *))
{
	struct conn *v = NULL;
	int i;

	for (i = 0; i < guard.nlive; i++)
		if (conn_counts(guard.live[i], ip) && before(guard.live[i], v))
			v = guard.live[i];
	return v;
}

/* How long a connection must have waited for its head before it is closed
 * to make room ahead of an idle keep-alive one: a head still on its way
 * from a healthy client (a newcomer that was just let in, a slow network)
 * is not closed for the next newcomer while an idle connection can go
 * instead -- that would let a client that reconnects at once close every
 * fresh connection it competes with. */
#define GUARD_STUCK_MIN_MS 1000

static int64_t pick_now, pick_min; /* stuck_before: the clock, the least wait */

/* For conn_pick: refused, or waiting at least pick_min ms for a complete
 * request head; the refused ones first, then the one waiting longest. */
static int
stuck_before(const struct conn *c, const struct conn *v)
{
	if (!c->refused && (c->head_ms == 0 || pick_now - c->head_ms < pick_min))
		return 0;
	return v == NULL || (c->refused && !v->refused) ||
	       (c->refused == v->refused && (c->refused ? c->refused_ms < v->refused_ms :
	                                     c->head_ms < v->head_ms));
}

/* At a limit: closes the connection (of address ip, or any) that has been
 * refused, or waiting for a complete request head (for min_ms or more),
 * the longest, so that connections that never finish a head cannot lock
 * other clients out.  Returns 1 if one was closed. */
static int
conn_evict(const char *ip, int64_t min_ms)
{
	struct conn *v;

	pick_now = inn_now_ms();
	pick_min = min_ms;
	v = conn_pick(ip, stuck_before);

	if (v == NULL)
		return 0;
	conn_close(v, 408, "request_timeout", "the connection was closed to make room (%s): "
	           "its request head was not complete", ip ? "server.maxConnectionsPerClient" :
	           "server.maxConnections");
	return 1;
}

/* For conn_pick: a keep-alive connection doing nothing (a request
 * finished, none in progress or begun since, no reply pending, never a
 * stream); unauthenticated ones first, then the one idle longest. */
static int
idle_before(const struct conn *c, const struct conn *v)
{
	if (c->refused || c->busy > 0 || c->streaming || c->idle_ms == 0 ||
	    c->head_ms != 0 || c->body_ms != 0 || c->scan.st != INN_SCAN_HEAD ||
	    c->scan.cur != 0 || evbuffer_get_length(bufferevent_get_output(c->bev)) != 0 ||
	    evbuffer_get_length(bufferevent_get_input(c->bev)) != 0)
		return 0;
	return v == NULL || (!c->authed && v->authed) ||
	       (c->authed == v->authed && c->idle_ms < v->idle_ms);
}

/* At a limit, when no connection is stuck in its head for long: closes
 * the keep-alive connection (of address ip, or any) that is doing nothing
 * (idle_before).
 * It is between requests, so it is closed without a reply.  Returns 1 if
 * one was closed. */
static int
conn_evict_idle(const char *ip)
{
	struct conn *v = conn_pick(ip, idle_before);

	if (v == NULL)
		return 0;
	v->refused = 1;                 /* no reply; input dropped from now on */
	v->refused_ms = inn_now_ms();
	v->closing = 1;
	if (v->fd >= 0)
		shutdown(v->fd, SHUT_RDWR);
	return 1;
}

/* At a limit (of address ip, or of all): closes, in this order, the
 * connection stuck in its head for GUARD_STUCK_MIN_MS or more, an idle
 * keep-alive one, and, when neither exists, the one stuck in its head the
 * longest however briefly.  Returns 1 if one was closed. */
static int
make_room(const char *ip)
{
	return conn_evict(ip, GUARD_STUCK_MIN_MS) || conn_evict_idle(ip) || conn_evict(ip, 0);
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
		c->streaming = 0;       /* a stream's reply ends with its request */
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

static void guard_sweep_now(void);

/* The connections that streams may hold of a limit: three quarters; the
 * rest is kept for the other requests (/health, the API), which streams
 * never leave room for (a stream is never evicted). */
static int
stream_share(int limit)
{
	return limit - limit / 4;
}

/* Streams under way (ip: from that address only). */
static int
streams_open(const char *ip)
{
	int i, n = 0;

	for (i = 0; i < guard.nlive; i++)
		if (conn_counts(guard.live[i], ip) && guard.live[i]->streaming)
			n++;
	return n;
}

int
inn_http_conn_stream_room(struct evhttp_request *req, char *msg, size_t len)
{
	struct conn *c = conn_of(req);

	if (c == NULL || c->streaming)
		return 0;
	guard_sweep_now();              /* streams whose client left are not counted */
	if (streams_open(c->ip) >= stream_share(guard.max_per_client)) {
		snprintf(msg, len, "%s has %d streams open, the most one client address may hold "
		         "(three quarters of server.maxConnectionsPerClient, %d; the rest is kept "
		         "for other requests); close one and try again", c->ip,
		         streams_open(c->ip), guard.max_per_client);
		return 429;
	}
	if (streams_open(NULL) >= stream_share(guard.max_total)) {
		snprintf(msg, len, "the server has %d streams open, the most it holds (three "
		         "quarters of server.maxConnections, %d; the rest is kept for other "
		         "requests); try again later", streams_open(NULL), guard.max_total);
		return 503;
	}
	return 0;
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
	/* memory back to the system after big bodies, and once a busy spell
	 * is over (the buffers of many connections freed): an idle server
	 * keeps a small resident set */
	if (guard.trim || (guard.peak >= 8 && guard.nlive <= 2)) {
		guard.trim = 0;
		guard.peak = guard.nlive;
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
	inn_http_count_error();
	if (status == 401)
		atomic_fetch_add(&c->srv->m_unauthorized, 1);
	reason = inn_http_reason(status);
	body = inn_http_error_json(code, msg);
	s = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
	                                   JSON_C_TO_STRING_NOSLASHESCAPE);
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
	             "X-Content-Type-Options: nosniff\r\n"
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
	int i, nv, fresh;

	if (info->n_added == 0)
		return;
	if (c->refused) {
		conn_discard(c, buf);
		return;
	}
	/* RFC 9112 2.2: empty lines before a request line are ignored, where
	 * evhttp would answer them with its HTML 400.  Only between requests
	 * (nothing older in the buffer, the scanner at a request's start): a
	 * CRLF later in a head is its end.  Counted as the request's bytes, so
	 * that its head deadline runs (a trickle of CRLFs is no idle client). */
	fresh = len == info->n_added;
	while (fresh && len > 0 && c->scan.st == INN_SCAN_HEAD && c->scan.llen == 0) {
		size_t k = 0, have = len < 256 ? len : 256;
		const unsigned char *b = evbuffer_pullup(buf, (ev_ssize_t)have);

		while (b != NULL && k < have && (b[k] == '\r' || b[k] == '\n'))
			k++;
		if (k == 0)
			break;
		evbuffer_drain(buf, k);
		c->scan.cur += (int64_t)k;
		len -= k;
		if (k < have)
			break;
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
	{
		/* a reply goes out in one or two writes: waiting for the
		 * client's delayed ACK before the second (Nagle) added 40 ms
		 * to every large reply on a keep-alive connection */
		int one = 1;

		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
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
	if (conns_open(c->ip) >= guard.max_per_client)
		(void)make_room(c->ip);
	if (conns_open(NULL) >= guard.max_total)
		(void)make_room(NULL);
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
	if (guard.nlive > guard.peak)
		guard.peak = guard.nlive;
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
int
inn_guard_start(inn_server *srv, struct evhttp_bound_socket *sock)
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

void
inn_guard_stop(void)
{
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
