/*
 * server.h - the daemon `innominatus`: shared state of the HTTP front end
 * (http.c, http_sse.c), the API handlers (api*.c), the catalog sources
 * (providers.c) and the execution manager (runs.c), which main.c wires
 * together.  Nothing in server/core knows about any of this.
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

#include "auth.h"
#include "exec.h"
#include "http_reply.h"
#include "model.h"
#include "policy.h"
#include "registry.h"
#include "secretbox.h"
#include "store.h"

#define INN_MAX_PROVIDER_DIRS 32

/* The step-duration histogram of /metrics: upper bounds in ms (a step of
 * exactly a bound counts in it), then +Inf.  inn_metrics_step records. */
#define INN_STEP_BUCKETS 7
#define INN_STEP_BUCKET_BOUNDS { 10, 50, 100, 500, 1000, 5000, 30000 }

typedef struct inn_server_config {
	const char *config_file;       /* admin config (also the server's own settings) */
	const char *listen_host;
	int listen_port;
	const char *db_path;           /* a SQLite file or a database URL */
	const char *db_password_file;  /* server.dbPasswordFile: the database password */
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
	int max_streams_per_key;       /* streams (SSE) open with one key; 429 beyond; 0: no limit */
	int timeout_s;                 /* read/write timeout per connection */
	int header_timeout_s;          /* a request head must arrive within it; 408 */
	int shutdown_grace_s;          /* SIGTERM: how long running steps may finish */
	int max_queued;                /* maxQueuedExecutions: waiting for a slot; 429 beyond */
	size_t max_queued_bytes;       /* maxQueuedBytes: their parameters and specs; 429 beyond */
	int lease_ms;                  /* server.replicaLease / --lease: a replica's lease (cluster.c) */
	int access_log;                /* server.accessLog: a log line per request (http.c) */
	int ui;                        /* server.ui: the dashboard at / and /ui/ (http_ui.c) */
} inn_server_config;

struct inn_sse_hub;
struct inn_cluster;
typedef struct inn_server inn_server;

/* The longest replica id (host-pid-random, store.h's name rule). */
#define INN_REPLICA_ID_MAX 64

/* Where executions publish what happens (runs.c calls it from any thread;
 * main.c points it at the SSE hub, inn_sse_publish): an event of kind
 * ("log", "step.succeeded", "execution.finished", ...) of execution
 * exec_id with its store id (log seq or event id), the execution's team
 * and creator (who may see it) and data (not kept: copy what you need). */
typedef void inn_event_sink(inn_server *srv, const char *kind, int64_t exec_id, int64_t id,
                            const char *team, const char *created_by, json_object *data);

/* A catalog and how many holders it has: the server while it serves it,
 * and every execution that started with it (its workflows are pointers
 * into it).  refs is guarded by inn_server.catalog_lock; the catalog is
 * freed with the last reference (providers.c). */
typedef struct inn_catalog_ref {
	inn_catalog *cat;
	int refs;
} inn_catalog_ref;

struct inn_server {
	inn_server_config cfg;
	struct event_base *base;
	struct evhttp *http;
	struct event *sigterm, *sigint, *sighup;
	struct event *reaper;          /* deletes applications whose TTL ran out (main.c) */
	/* TTL deletions that failed and are retried with a backoff, and the
	 * running ones (runs_deploy.c), guarded by reap_lock; reap_current:
	 * the app the reaper is submitting a deletion of, else NULL */
	pthread_mutex_t reap_lock;
	struct inn_reap_retry *reap_retry;
	size_t nreap_retry;
	const char *reap_current;
	inn_store *store;
	inn_secretbox *secretbox;      /* seals the real inputs of executions with secrets */
	inn_policy *policy;
	json_object *secrets;          /* the admin config's secrets: name -> value (read at start) */
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
	pthread_mutex_t submit_lock;   /* one submission at a time (any thread: the
	                                  run routes submit on request threads) */
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
	inn_event_sink *on_event;      /* NULL: events go nowhere (before serving) */
	struct inn_sse_hub *sse;       /* the SSE streams (http_sse.c) */
	/* metrics */
	atomic_llong m_requests, m_unauthorized;
	atomic_llong m_exec[INN_STATE_INTERRUPTED + 1]; /* by final inn_state */
	atomic_llong m_step_ms_sum, m_step_count;
	atomic_llong m_step_bucket[INN_STEP_BUCKETS + 1]; /* the last: past every bound */
	atomic_int connections;
	/* this replica among the servers sharing the store (cluster.c):
	 * replica_id changes only when a lost lease is taken up again under
	 * a new id (guarded by replica_lock; inn_replica_me reads it) */
	struct inn_cluster *cluster;
	pthread_mutex_t replica_lock;
	char replica_id[80];
	int lease_ms;                  /* the lease in use */
	atomic_llong lease_valid_until; /* monotonic ms the last renewal holds until (0: no
	                                  limit, a store nobody else uses); past it this
	                                  replica writes nothing of its runs */
	/* executions this replica adopted but could not account for (the store
	 * failed while it read or failed them): retried on every cluster tick
	 * (inn_runs_recover_retry), so none stays owned here with no runner.
	 * Touched only before serving and on the loop thread. */
	int64_t *unaccounted;
	size_t nunaccounted, unaccounted_cap;
	atomic_llong catalog_store_gen; /* the store's catalog generation the catalog reflects */
	atomic_llong store_gen_seen;   /* ... the last heartbeat saw */
	/* cluster metrics: executions claimed at start (claim_start), adopted
	 * from dead replicas or left behind, stolen from busy ones, released
	 * at a drain; leases lost; other replicas' log lines and events
	 * handed to the SSE hub */
	atomic_llong m_claims, m_adopted, m_stolen, m_released, m_lease_lost, m_remote_events;
};

/* ---- http.c ---- */
int inn_http_start(inn_server *srv);
/* Every JSON reply and SSE message is valid UTF-8: bytes that are not
 * (raw bytes a step printed) and NUL become U+FFFD. */
void inn_http_reply_json(struct evhttp_request *req, int status, json_object *body);
/* The same with body already serialised into buf (inn_http_json_buffer,
 * e.g. on a request thread); buf stays the caller's. */
void inn_http_reply_buffer(struct evhttp_request *req, int status, struct evbuffer *buf);
/* Every reply goes out through here (never evhttp_send_reply itself):
 * to a HEAD request, the headers with the Content-Length of buf and no
 * body -- libevent would write the body after them, which the client
 * takes for the start of its next reply on a kept-alive connection.  buf
 * (NULL: none) stays the caller's. */
void inn_http_send(struct evhttp_request *req, int status, const char *reason,
                   struct evbuffer *buf);
/* Appends o serialised, made valid UTF-8 (any thread, o not shared). */
int inn_http_json_buffer(json_object *o, struct evbuffer *b);
/* Replies status with that body (401: with WWW-Authenticate). */
void inn_http_error(struct evhttp_request *req, int status, const char *code,
                    const char *fmt, ...) INN_PRINTF_LIKE(4, 5);
/* Request body as JSON object; NULL after replying 400/413 itself. */
json_object *inn_http_body_json(inn_server *srv, struct evhttp_request *req);
/* Hands the body parsed on a request thread to inn_http_body_json for req
 * (NULL, NULL: none). */
void inn_http_body_preset(struct evhttp_request *req, json_object *body);
/* Query parameter name in buf (len bytes), or NULL.  A value longer than
 * len - 1 is cut and ends in "..." (no number or name check takes it as
 * written). */
const char *inn_http_query(struct evhttp_request *req, const char *name, char *buf,
                           size_t len);
/* The access log (server.accessLog): a request begins (its time is
 * taken), its caller is known (the key's name), its reply goes out: one
 * line "access METHOD PATH?NAMES STATUS N bytes MS ms key=NAME" (query
 * values never: they may be tokens).  inn_http_reply_buffer logs its
 * replies itself; a route that replies otherwise calls
 * inn_http_access_log.  Loop thread. */
void inn_http_access_begin(struct evhttp_request *req);
void inn_http_access_key(struct evhttp_request *req, const char *name);
void inn_http_access_log(struct evhttp_request *req, int status, size_t bytes);
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
/* The connection guard's view of requests: one is being handled; it
 * carried a valid API key; a streaming reply begins on its connection
 * (never evicted as idle). */
void inn_http_conn_begin(struct evhttp_request *req);
void inn_http_conn_authed(struct evhttp_request *req);
void inn_http_conn_streaming(struct evhttp_request *req);
/* Before a stream begins on req's connection: 0 when streams stay within
 * their share of the connection limits (three quarters of each, the rest
 * kept for other requests), else the status to refuse it with (429: its
 * client address holds its share, 503: the server does) and why in msg. */
int inn_http_conn_stream_room(struct evhttp_request *req, char *msg, size_t len);

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
/* A deployment or deletion of that application is pending or running (409). */
#define INN_RUNS_CONFLICT (-67)
/* Deploys the parsed Score spec score (taken over, freed here; spec its
 * JSON) as application app -- or, score NULL, deletes app: every resource
 * it has is torn down and the application removed.  A declarative plan
 * against what the store holds: resources the spec no longer has are
 * deleted.  Every problem of the spec goes to d (INN_EINVAL).  *summary
 * gets {operations, phases, warnings} (also for dry_run, which stores and
 * runs nothing, *id 0).  INN_EFORBIDDEN: another team's application;
 * INN_RUNS_CONFLICT: one is pending or running. */
int inn_runs_deploy_submit(inn_server *srv, const inn_caller *who, const char *app,
                           inn_score *score, json_object *spec, int dry_run,
                           int64_t expires_ms, inn_diag *d, json_object **summary,
                           int64_t *id);
/* Deletes every application whose TTL ran out and is not being deployed
 * or deleted (a delete execution each, by the system).  Returns how many. */
int inn_runs_reap_expired(inn_server *srv);
/* A TTL deletion of app that failed: 1 and its reason (why), how many
 * attempts failed and when the next one is due (*retry_ms, wall clock);
 * 0 when none failed (or a user's deploy or deletion took over since). */
int inn_runs_reap_failure(inn_server *srv, const char *app, char *why, size_t len,
                          int *attempts, int64_t *retry_ms);
/* Frees the retry table (at exit). */
void inn_runs_reap_free(inn_server *srv);
/* Cancels an execution: a queued one is recorded cancelled at once and
 * never starts; a running one is asked to stop (recorded when it has).
 * On a shared store, one that another replica owns is asked of it
 * through the store (0).  INN_ENOTFOUND when it is neither queued nor
 * running. */
int inn_runs_cancel(inn_server *srv, int64_t id);
/* The same for an execution of this replica only (another replica asked
 * for it: the event "execution.cancel-requested" naming this one). */
int inn_runs_cancel_here(inn_server *srv, int64_t id);
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

/* Accounts for execution id that this replica just took over (it owns it
 * now): adopted (stolen 0) from a replica that died or left it -- by crash
 * recovery's rules: resumed (queued) when nothing of it ran or all its
 * steps are idempotent, else failed (a deployment with its resources) --
 * or stolen (1) from a busy replica's queue: queued as it is. */
void inn_runs_adopt(inn_server *srv, int64_t id, int stolen);
/* Accounts again for the executions adopted here whose accounting the
 * store failed (srv->unaccounted); those it fails again stay listed. */
void inn_runs_recover_retry(inn_server *srv);
/* A lost lease: every execution of this process is cancelled without
 * writing anything more (another replica accounts for them). */
void inn_runs_lease_lost(inn_server *srv);
/* Whether a runner slot is free and nothing waits for one. */
int inn_runs_idle(inn_server *srv, int *free_slots);

/* ---- replica.c ---- */
/* This replica's id now (buf of INN_REPLICA_ID_MAX + 1). */
void inn_replica_me(inn_server *srv, char *buf);

/* ---- providers.c ---- */
/* The catalog rebuilt from the config and the store's sources (no git
 * fetch; a clone missing here is made at its recorded commit) because
 * another replica changed them: loop thread.  0 or an error. */
int inn_providers_sync(inn_server *srv);
/* A reference to the serving catalog, for a holder that outlives a swap
 * (an execution); release it when done (any thread). */
inn_catalog_ref *inn_catalog_acquire(inn_server *srv);
void inn_catalog_release(inn_server *srv, inn_catalog_ref *ref);

/* ---- api.c ---- */
/* Serves the API on srv->http (main.c, after inn_http_start). */
void inn_api_register(inn_server *srv);
/* This API as an OpenAPI 3 document, from the route table. */
json_object *inn_openapi(void);

/* ---- http_ui.c ---- */
/* Answers a request for a path of the dashboard's (ui.h inn_ui_owns):
 * an embedded file (GET, HEAD; OPTIONS; 405 otherwise), else 404.  Loop
 * thread. */
void inn_ui_serve(inn_server *srv, struct evhttp_request *req, const char *path);

#endif
