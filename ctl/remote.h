/*
 * remote.h - innominatus-ctl remote mode: the commands that talk to an
 * innominatus server over its REST API (server/api.c) instead of running
 * the engine in-process.  Three files share it: remote_http.c (the
 * connection, credentials, requests and replies over libcurl),
 * remote_sse.c (following an execution's Server-Sent Events log stream)
 * and cmd_remote.c (the commands).  ctl.c's command table names the
 * commands and calls them through ctl_remote_call().
 */
#ifndef INN_CTL_REMOTE_H
#define INN_CTL_REMOTE_H

#include <stdint.h>

#include <curl/curl.h>

#include "buf.h"
#include "ctl.h"

#define REMOTE_MAX_BODY   (16u << 20)   /* largest reply buffered */
#define REMOTE_MAX_EVENT  (1u << 20)    /* largest SSE line or event */
#define REMOTE_MAX_SPEC   (4u << 20)    /* largest Score spec sent */
#define REMOTE_MAX_CRED   (64u << 10)   /* largest credentials file read */
#define REMOTE_CONNECT_S  5L            /* connect timeout */
#define REMOTE_REQUEST_S  120L          /* total timeout of one ordinary request */
#define REMOTE_RECONNECT_S 60           /* default --reconnect-wait: how long following retries */

/* The connection to one server. */
struct remote {
	const ctl_opts *o;
	char *base;                 /* server URL without the trailing '/' */
	struct curl_slist *headers; /* Authorization, Accept */
	int have_token;
	char cred_path[4096];       /* where the credentials file is looked for */
};

/* One request's reply. */
struct reply {
	long status;          /* HTTP status; 0 when none arrived */
	inn_buf body;
	json_object *json;    /* body parsed, NULL if it is not JSON */
};

/* A remote command: runs with an open connection, returns a ctl_exit code. */
typedef int (*ctl_remote_fn)(struct remote *r, int argc, char **argv);

/* ---- remote_http.c ---- */

/* --server URL, else a non-empty $INNOMINATUS_SERVER, else NULL. */
const char *ctl_server_url(const ctl_opts *o);
/* Opens the connection (libcurl, base URL, token), runs fn, closes it;
 * returns fn's exit code, or the one for why it could not connect. */
int ctl_remote_call(const ctl_opts *o, ctl_remote_fn fn, int argc, char **argv);
/* A curl handle for path (relative to the base URL) with the common
 * options; errbuf (CURL_ERROR_SIZE) receives curl's message.  NULL when
 * out of memory. */
CURL *remote_handle(struct remote *r, const char *path, char *errbuf);
/* Sends METHOD path (with body as JSON if not NULL) and reads the whole
 * reply into rep (free it with reply_free() whatever the result).  Returns
 * CTL_EXIT_OK for a 2xx reply with a JSON body; otherwise prints why and
 * returns the exit code. */
int remote_request(struct remote *r, const char *method, const char *path,
                   json_object *body, struct reply *rep);
/* Flags of remote_send. */
#define REMOTE_QUIET 1   /* an HTTP error status is not printed (the caller
                            reads rep->status and rep->json) */
/* remote_request with a body of any content type: data, len bytes of
 * ctype (POST only).  Returns as remote_request. */
int remote_send(struct remote *r, const char *method, const char *path, const char *ctype,
                const char *data, size_t len, int flags, struct reply *rep);
void reply_free(struct reply *rep);
/* Prints the server's error reply (body, parsed as j if JSON) as one line,
 * and with -o json its body on stdout; returns the exit code for it. */
int remote_http_error(struct remote *r, long status, const char *body, json_object *j);
/* Prints why no reply came; returns CTL_EXIT_REMOTE. */
int remote_transport_error(struct remote *r, CURLcode cc, const char *errbuf);
/* prefix + "/" + the URL-escaped seg (+ tail) into out; -1 when too long. */
int remote_path(char *out, size_t len, const char *prefix, const char *seg, const char *tail);

/* ---- remote_sse.c ---- */

/* The Server-Sent Events parser: on_event is called per event (its name,
 * "message" when it had none; the last id: seen; the data lines joined by
 * LF) and returns nonzero to stop the stream. */
typedef int (*sse_event_fn)(void *ud, const char *event, int64_t id, const char *data);

struct sse {
	inn_buf line;             /* the line being received */
	inn_buf data;             /* the data lines of the event being received */
	char event[64];
	int64_t id;               /* the last id: field seen */
	int prev_cr;              /* the last byte was CR: a following LF ends nothing */
	int stop;                 /* on_event asked to stop */
	int too_big;
	sse_event_fn on_event;
	void *ud;
};

void remote_sse_init(struct sse *s, size_t max, sse_event_fn on_event, void *ud);
/* Feeds n bytes of the stream, in pieces cut anywhere; lines end in LF,
 * CRLF or CR.  -1 when a line or event is over max (s->too_big) or
 * on_event said stop (s->stop). */
int remote_sse_feed(struct sse *s, const char *d, size_t n);
void remote_sse_free(struct sse *s);

/* Follows the log stream of execution exec_id until its "end" event,
 * printing the lines (on stdout with to_stdout, else as progress on
 * stderr), reconnecting while the server is away.  Returns CTL_EXIT_OK
 * with the final status in final (finallen bytes), else the exit code
 * after a message. */
int remote_watch(struct remote *r, int64_t exec_id, int to_stdout, char *final,
                 size_t finallen);

/* ---- cmd_remote.c: the commands ---- */

int ctl_rcmd_list_providers(struct remote *r, int argc, char **argv);
int ctl_rcmd_list_goldenpaths(struct remote *r, int argc, char **argv);
int ctl_rcmd_run(struct remote *r, int argc, char **argv);
int ctl_rcmd_status(struct remote *r, int argc, char **argv);
int ctl_rcmd_logs(struct remote *r, int argc, char **argv);
int ctl_rcmd_cancel(struct remote *r, int argc, char **argv);
int ctl_rcmd_retry(struct remote *r, int argc, char **argv);
int ctl_rcmd_list_workflows(struct remote *r, int argc, char **argv);
int ctl_rcmd_admin(struct remote *r, int argc, char **argv);
/* Follows execution id as run does: says so on stderr, follows its logs
 * to the end (remote_watch), then fetches it (GET /api/workflows/{id})
 * into *exec (the caller puts it).  Returns CTL_EXIT_OK, or the exit code
 * after a message. */
int remote_follow(struct remote *r, int64_t id, json_object **exec);
/* Reads the Score spec file (at most REMOTE_MAX_SPEC bytes) into b (free
 * it with inn_buf_free; b->p may be NULL for an empty file).  -1 after a
 * message when it cannot be read. */
int remote_read_spec(const char *file, inn_buf *b);

/* ---- cmd_apps.c: Score applications ---- */

int ctl_rcmd_deploy(struct remote *r, int argc, char **argv);
int ctl_rcmd_delete(struct remote *r, int argc, char **argv);
int ctl_rcmd_apps(struct remote *r, int argc, char **argv);
int ctl_rcmd_app(struct remote *r, int argc, char **argv);
int ctl_rcmd_resources(struct remote *r, int argc, char **argv);

#endif
