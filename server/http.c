/*
 * http.c - the HTTP front end on libevent's evhttp: the server's limits
 * (body and header size, timeouts), JSON replies and errors, request
 * bodies and queries, and the hand-off between request threads and the
 * loop thread.  It knows no route: main.c registers the API (api.c) on
 * srv->http after the start.  The connection guard (connection counts,
 * early refusals, deadlines) is http_guard.c; Server-Sent Events are
 * http_sse.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>

#include "api_body.h"
#include "error.h"
#include "http_int.h"
#include "log.h"
#include "http_reply.h"
#include "server.h"
#include "utf8_out.h"

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

/* ---- the access log --------------------------------------------------------- */

/* When each request began and whose key it carried, by request: a small
 * direct-mapped table (loop thread only, as evhttp is); a slot another
 * request took over only costs that line its time and key ("-"). */
#define ACCESS_SLOTS 1024

static struct access_slot {
	const struct evhttp_request *req;
	int64_t start_us;
	char key[64];
} access_slots[ACCESS_SLOTS];
static int access_on = 1;

static struct access_slot *
access_slot(const struct evhttp_request *req)
{
	uintptr_t h = (uintptr_t)req;

	h ^= h >> 17;
	return &access_slots[(h >> 4) % ACCESS_SLOTS];
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
inn_http_access_begin(struct evhttp_request *req)
{
	struct access_slot *a = access_slot(req);

	a->req = req;
	a->start_us = now_us();
	a->key[0] = '\0';
}

void
inn_http_access_key(struct evhttp_request *req, const char *name)
{
	struct access_slot *a = access_slot(req);

	if (a->req == req)
		snprintf(a->key, sizeof(a->key), "%s", name);
}

/* s (at most max bytes) into out with what a log line must not carry
 * (control bytes, spaces, quotes) as %XX. */
static void
log_safe(const char *s, size_t max, char *out, size_t len)
{
	size_t i, o = 0;

	for (i = 0; s[i] != '\0' && i < max && o + 4 < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch >= 0x7f || ch == '"')
			o += (size_t)snprintf(out + o, len - o, "%%%02X", ch);
		else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
}

/* The query with every value replaced by "*": names tell what was asked,
 * values may be tokens. */
static void
query_names(const char *q, char *out, size_t len)
{
	size_t o = 0;

	while (*q != '\0' && o + 4 < len) {
		size_t n = strcspn(q, "=&");
		char name[128];

		log_safe(q, n < sizeof(name) / 4 ? n : sizeof(name) / 4, name, sizeof(name));
		o += (size_t)snprintf(out + o, len - o, "%s%s%s", o > 0 ? "&" : "?", name,
		                      q[n] == '=' ? "=*" : "");
		q += n;
		q += strcspn(q, "&");
		if (*q == '&')
			q++;
	}
	if (o >= len)
		out[len - 1] = '\0';
}

/* The path (its first len - 1 bytes) with the value of every ";name=value"
 * path parameter replaced by "*", as a query's are: "/j;token=SEKRIT"
 * is logged as "/j;token=*". */
static void
path_masked(const char *s, char *out, size_t len)
{
	size_t o = 0;
	int in_param = 0, masked = 0;

	for (; *s != '\0' && o + 2 < len; s++) {
		if (*s == '/' || *s == ';') {
			in_param = *s == ';';
			masked = 0;
		} else if (in_param && *s == '=' && !masked) {
			out[o++] = '=';
			out[o++] = '*';
			masked = 1;
			continue;
		}
		if (!masked)
			out[o++] = *s;
	}
	out[o] = '\0';
}

void
inn_http_access_log(struct evhttp_request *req, int status, size_t bytes)
{
	static const struct { enum evhttp_cmd_type m; const char *name; } methods[] = {
		{ EVHTTP_REQ_GET, "GET" }, { EVHTTP_REQ_POST, "POST" }, { EVHTTP_REQ_HEAD, "HEAD" },
		{ EVHTTP_REQ_PUT, "PUT" }, { EVHTTP_REQ_DELETE, "DELETE" },
		{ EVHTTP_REQ_OPTIONS, "OPTIONS" }, { EVHTTP_REQ_TRACE, "TRACE" },
		{ EVHTTP_REQ_CONNECT, "CONNECT" }, { EVHTTP_REQ_PATCH, "PATCH" },
	};
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	const char *method = "?";
	struct access_slot *a = access_slot(req);
	char p[1100], pm[300], q[600] = "", ms[32] = "-";
	size_t i;

	if (!access_on)
		return;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].m == evhttp_request_get_command(req))
			method = methods[i].name;
	path_masked(path != NULL && *path != '\0' ? path : "/", pm, sizeof(pm));
	log_safe(pm, 256, p, sizeof(p));
	if (query != NULL)
		query_names(query, q, sizeof(q));
	if (a->req == req) {
		int64_t us = now_us() - a->start_us;

		snprintf(ms, sizeof(ms), "%lld.%lld", (long long)(us / 1000),
		         (long long)(us % 1000 / 100));
	}
	/* the level is the status's, never read from the line: the path is the client's */
	inn_log(status >= 500 ? INN_LOG_WARN : INN_LOG_INFO,
	        "innominatus: access %s %s%s %d %zu bytes %s ms key=%s", method, p, q,
	        status, bytes, ms, a->req == req && a->key[0] != '\0' ? a->key : "-");
	if (a->req == req)
		a->req = NULL;
}

void
inn_http_send(struct evhttp_request *req, int status, const char *reason,
              struct evbuffer *buf)
{
	char n[32];

	if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_send_reply(req, status, reason, buf);
		return;
	}
	/* RFC 9110 9.3.2: a HEAD's Content-Length is the one a GET would have */
	if (status != 204 && status != 304 && status >= 200) {
		snprintf(n, sizeof(n), "%zu", buf != NULL ? evbuffer_get_length(buf) : (size_t)0);
		evhttp_remove_header(evhttp_request_get_output_headers(req), "Content-Length");
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Length", n);
	}
	evhttp_send_reply(req, status, reason, NULL);
}

void
inn_http_reply_buffer(struct evhttp_request *req, int status, struct evbuffer *buf)
{
	const char *reason;

	if (status >= 400)
		inn_http_count_error();
	reason = inn_http_reason(status);
	inn_http_access_log(req, status, buf != NULL ? evbuffer_get_length(buf) : 0);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "application/json");
	inn_http_send(req, status, reason, buf);
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
	/* a value that does not fit is cut and ends in "...": read as its
	 * first part, 0000...01x would be a number */
	if (v != NULL && (size_t)snprintf(buf, len, "%s", v) >= len && len > 3)
		memcpy(buf + len - 4, "...", 4);
	evhttp_clear_headers(&params);
	return v ? buf : NULL;
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
	inn_guard_stop();
}

/* ---- start -------------------------------------------------------------- */

int
inn_http_start(inn_server *srv)
{
	struct evhttp_bound_socket *sock;
	struct event_config *ec;

	evthread_use_pthreads();
	access_on = srv->cfg.access_log;
	/* epoll's changes of one loop turn in one call: a keep-alive request
	 * (read off, write on; then write off, read on) costs two epoll_ctl
	 * instead of four.  (The flag's caveat, descriptors cloned with dup()
	 * in the loop, does not apply: the loop watches none.) */
	if ((ec = event_config_new()) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	srv->base = event_base_new_with_config(ec);
	event_config_free(ec);
	if (srv->base == NULL)
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
	/* every method evhttp knows reaches the routes (api.c: 405 with Allow
	 * on a path that exists, 404 otherwise, not evhttp's HTML 501); the
	 * guard answers a method evhttp does not know with a JSON 501 */
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	                           EVHTTP_REQ_DELETE | EVHTTP_REQ_PUT | EVHTTP_REQ_HEAD |
	                           EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	                           EVHTTP_REQ_PATCH);
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
	return inn_guard_start(srv, sock);
}
