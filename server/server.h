/*
 * server.h - the daemon `innominatus`: shared state of the HTTP front end
 * (http.c), the API handlers (api_*.c) and the execution manager
 * (runs.c).  Nothing in server/core knows about any of this.
 */
#ifndef INN_SERVER_H
#define INN_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "exec.h"
#include "model.h"
#include "policy.h"
#include "registry.h"
#include "secretbox.h"
#include "store.h"

#define INN_MAX_PROVIDER_DIRS 32

typedef struct inn_server_config {
	const char *config_file;       /* admin config (also the server's own settings) */
	const char *listen_host;
	int listen_port;
	const char *db_path;
	const char *plugin_dir;
	const char *providers[INN_MAX_PROVIDER_DIRS];
	int nproviders;
	const char *goldenpaths;
	const char *state_dir;         /* host->state_dir() root */
	const char *secret_key_file;   /* seals secret inputs at rest; NULL: <db>.key */
	int workers;                   /* worker processes */
	size_t max_body;               /* bytes; 413 beyond */
	size_t max_headers_size;
	int max_connections;           /* open connections in all; 503 beyond */
	int max_connections_per_client; /* ... from one client address */
	int timeout_s;                 /* read/write timeout per connection */
	int header_timeout_s;          /* a request head must arrive within it; 408 */
	int shutdown_grace_s;          /* SIGTERM: how long running steps may finish */
	int max_queued;                /* maxQueuedExecutions: waiting for a slot; 429 beyond */
	size_t max_queued_bytes;       /* maxQueuedBytes: their parameters and specs; 429 beyond */
} inn_server_config;

struct sse_client;

/* A catalog and how many holders it has: the server while it serves it,
 * and every execution that started with it (its workflows are pointers
 * into it).  refs is guarded by inn_server.catalog_lock; the catalog is
 * freed with the last reference (providers.c). */
typedef struct inn_catalog_ref {
	inn_catalog *cat;
	int refs;
} inn_catalog_ref;

typedef struct inn_server {
	inn_server_config cfg;
	struct event_base *base;
	struct evhttp *http;
	struct event *wake;            /* activated from other threads: flush SSE */
	struct event *sigterm, *sigint;
	inn_store *store;
	inn_secretbox *secretbox;      /* seals the real inputs of executions with secrets */
	inn_policy *policy;
	inn_registry *registry;
	inn_catalog *catalog;          /* what is served: catalog_ref->cat (loop thread reads it) */
	inn_catalog_ref *catalog_ref;  /* replaced only on the loop thread (providers.c) */
	pthread_mutex_t catalog_lock;
	unsigned catalog_gen;          /* bumped by every swap: keys of rendered caches */
	inn_diag diag;                 /* the serving catalog's diagnostics */
	inn_engine *engine;
	int64_t started_ms;
	atomic_int ready;
	atomic_int draining;
	/* runs in progress: every accepted execution is on runs; those waiting
	 * for a slot are also on the FIFO qhead..qtail (no thread of their
	 * own); nrunning counts the runner threads, at most max_concurrent */
	pthread_mutex_t runs_lock;
	pthread_cond_t runs_cond;
	struct active_run *runs;
	struct active_run *qhead, *qtail;
	int nqueued;
	size_t queued_bytes;           /* what the queued ones hold (json_weight) */
	int nrunning;
	int max_concurrent;
	int runs_open;                 /* inn_runs_begin was called: runner threads may start */
	pthread_t drain_thread;        /* SIGTERM: runs inn_runs_drain, then stops the loop */
	int drain_started;
	/* SSE subscribers and the queue of things to send them */
	pthread_mutex_t sse_lock;
	struct sse_client *sse;
	json_object *sse_queue;        /* array of {kind, exec, id, data} */
	/* metrics */
	atomic_llong m_requests, m_unauthorized;
	atomic_llong m_exec[8];        /* by final inn_state */
	atomic_llong m_step_ms_sum, m_step_count;
	atomic_llong m_step_bucket[8];
	atomic_int connections;
} inn_server;

/* The authenticated caller of a request. */
typedef struct inn_caller {
	inn_principal p;
	int admin;
} inn_caller;

/* ---- http.c ---- */
int inn_http_start(inn_server *srv);
/* Every JSON reply and SSE message is valid UTF-8: bytes that are not
 * (raw bytes a step printed) and NUL become U+FFFD. */
void inn_http_reply_json(struct evhttp_request *req, int status, json_object *body);
/* The same with body already serialised into buf (inn_http_json_buffer,
 * e.g. on a request thread); buf stays the caller's. */
void inn_http_reply_buffer(struct evhttp_request *req, int status, struct evbuffer *buf);
/* Appends o serialised, made valid UTF-8 (any thread, o not shared). */
int inn_http_json_buffer(json_object *o, struct evbuffer *b);
/* Appends s[0..len) to b with invalid UTF-8 and NUL replaced by U+FFFD;
 * inn_utf8_dup returns the result as a malloc'd string (NULL: no memory). */
int inn_utf8_append(struct evbuffer *b, const char *s, size_t len);
char *inn_utf8_dup(const char *s, size_t len);
void inn_http_error(struct evhttp_request *req, int status, const char *code,
                    const char *fmt, ...) INN_PRINTF_LIKE(4, 5);
/* Request body as JSON object; NULL after replying 400/413 itself. */
json_object *inn_http_body_json(inn_server *srv, struct evhttp_request *req);
/* Hands the body parsed on a request thread to inn_http_body_json for req
 * (NULL, NULL: none). */
void inn_http_body_preset(struct evhttp_request *req, json_object *body);
/* Query parameter, or NULL. */
const char *inn_http_query(struct evhttp_request *req, const char *name, char *buf,
                           size_t len);
json_object *inn_openapi(void);
/* Replies with status >= 400 sent so far (for /metrics). */
long long inn_http_error_count(void);
/* Open connections now (for /metrics). */
long long inn_http_connection_count(void);
/* Stops the request threads and frees the connection guard (after
 * evhttp_free; undelivered jobs get done(arg, 1)). */
void inn_http_stop(void);
/* Runs work(arg) on a request thread, then done(arg, 0) on the loop
 * thread (only there may evhttp be used).  Returns 0, or INN_ENOMEM. */
int inn_http_defer(void (*work)(void *arg), void (*done)(void *arg, int cancelled),
                   void *arg);
/* Runs fn(arg) on the loop thread and waits for it (from a request
 * thread); on the loop thread itself, or before the loop exists, at once. */
void inn_http_on_loop(void (*fn)(void *arg), void *arg);

/* ---- runs.c ---- */
/* A request the caller may not make (HTTP 403); not a plugin status. */
#define INN_EFORBIDDEN (-64)
/* Starts an execution; fills *id.  Errors (unknown workflow, bad
 * parameters) reply nothing: the caller maps them (message in
 * inn_error_last(); INN_ENOTFOUND -> 404, INN_EINVAL -> 400,
 * INN_EFORBIDDEN -> 403). */
int inn_runs_submit(inn_server *srv, const inn_caller *who, const char *ref,
                    const char *kind, json_object *params, json_object *spec,
                    int dry_run, int64_t retry_of, int64_t *id);
/* Returned by inn_runs_submit when maxQueuedExecutions executions already
 * wait for a slot (the API answers 429 with Retry-After). */
#define INN_RUNS_FULL (-65)
/* An execution that weighs more than maxQueuedBytes: never fits (413). */
#define INN_RUNS_TOO_BIG (-66)
/* Cancels an execution: a queued one is recorded cancelled at once and
 * never starts; a running one is asked to stop (recorded when it has).
 * INN_ENOTFOUND when it is neither queued nor running. */
int inn_runs_cancel(inn_server *srv, int64_t id);
/* Accounts for executions a previous process left pending or running,
 * before anything is served: resumes those that may be (queued until
 * inn_runs_begin), fails the others and their interrupted steps; returns
 * how many there were. */
int inn_runs_recover(inn_server *srv);
/* Lets runner threads start the queued executions. */
void inn_runs_begin(inn_server *srv);
/* Stops starting queued executions, waits for running ones (cancelling
 * them after grace_s) and frees the queue: executions that never started
 * stay pending in the store, and the next start runs them. */
void inn_runs_drain(inn_server *srv, int grace_s);
/* SSE on the loop thread: open a stream (reply headers sent), send a
 * backlog item, register for live messages, or end it. */
/* The connection guard's view of requests (http.c): one is being handled;
 * it carried a valid API key. */
void inn_http_conn_begin(struct evhttp_request *req);
void inn_http_conn_authed(struct evhttp_request *req);
struct sse_client *inn_sse_open(struct evhttp_request *req, int64_t exec_id,
                                const inn_caller *who, int64_t after);
void inn_sse_send(struct sse_client *c, const char *event, int64_t id, json_object *data);
void inn_sse_register(inn_server *srv, struct sse_client *c);
/* Registers c and sends what it missed after its cursor from the store,
 * a page at a time as its connection drains (flow control: memory per
 * stream stays bounded however long the backlog or slow the client); a
 * log follower of an execution that has ended then gets "end" and is
 * closed.  c may be freed on return. */
void inn_sse_catch_up(inn_server *srv, struct sse_client *c);
/* SIGTERM, from the drain thread before the loop stops: every stream gets
 * an "end" event {reason: "server shutting down"} and its chunked reply
 * ends; waits (at most 2 s) until those bytes are sent. */
void inn_sse_shutdown(inn_server *srv);
void inn_sse_close(inn_server *srv, struct sse_client *c);
/* Ends every stream opened with the key named key_name (it was revoked):
 * an "end" event, then the reply ends (loop thread).  Returns how many. */
int inn_sse_end_key(inn_server *srv, const char *key_name);
/* Queue an SSE message and wake the loop (any thread).  team and
 * created_by are the execution's: who may receive it (inn_caller_sees). */
void inn_sse_publish(inn_server *srv, const char *kind, int64_t exec_id, int64_t id,
                     const char *team, const char *created_by, json_object *data);

/* ---- providers.c ---- */
/* A reference to the serving catalog, for a holder that outlives a swap
 * (an execution); release it when done (any thread). */
inn_catalog_ref *inn_catalog_acquire(inn_server *srv);
void inn_catalog_release(inn_server *srv, inn_catalog_ref *ref);

/* ---- api.c ---- */
void inn_api_register(inn_server *srv);
/* Whether who may see (and act on) what belongs to team / created_by: an
 * admin everything; a key with a team that team's; a key without a team
 * only what it created itself without a team. */
int inn_caller_sees(const inn_caller *who, const char *team, const char *created_by);
/* Verifies an API key (the cache of recently verified keys, then the
 * store); fills *out.  Returns 0, or -1 for an unknown or revoked key. */
int inn_api_key_check(inn_server *srv, const char *key, inn_principal *out);

#endif
