/*
 * http_sse.h - the Server-Sent Events hub (http_sse.c): streams of an
 * execution's log lines or of the events a caller may see, fed by the
 * server's event sink.
 */
#ifndef INN_SERVER_HTTP_SSE_H
#define INN_SERVER_HTTP_SSE_H

#include "server.h"

struct sse_client;

/* The hub and its wake event, after inn_http_start (loop thread exists);
 * main.c then points srv->on_event at inn_sse_publish.  0 or INN_ENOMEM.
 * inn_sse_free frees it after the loop and evhttp are gone. */
int inn_sse_start(inn_server *srv);
void inn_sse_free(inn_server *srv);
/* SSE on the loop thread: open a stream (reply headers sent), send a
 * backlog item, register for live messages, or end it. */
/* 1 after answering a HEAD for a stream with its headers alone (a stream
 * has no length, and none of it is sent); 0: not a HEAD, open it. */
int inn_sse_head(struct evhttp_request *req);
/* inn_sse_open: NULL when the stream is refused, the reply sent: 429 when
 * the key holds server.maxStreamsPerKey streams already, 429 or 503 when
 * streams hold their share of the connection limits
 * (inn_http_conn_stream_room), 503 out of memory. */
struct sse_client *inn_sse_open(inn_server *srv, struct evhttp_request *req,
                                int64_t exec_id, const inn_caller *who, int64_t after);
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
/* The event sink (inn_event_sink): queues an SSE message and wakes the
 * loop (any thread); nothing before inn_sse_start.  team and created_by
 * are the execution's: who may receive it (inn_caller_sees). */
void inn_sse_publish(inn_server *srv, const char *kind, int64_t exec_id, int64_t id,
                     const char *team, const char *created_by, json_object *data);

#endif
