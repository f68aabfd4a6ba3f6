/*
 * http_reply.h - the words every HTTP reply of this server is made of,
 * below both the evhttp front (http.c) and the connection guard
 * (http_guard.c), which writes its own refusals to the socket: reason
 * phrases, the error body, and the count of error replies for /metrics.
 */
#ifndef INN_SERVER_HTTP_REPLY_H
#define INN_SERVER_HTTP_REPLY_H

#include <json-c/json.h>

/* Counts a reply with status >= 400 (the guard's own, written to the
 * socket, too) for /metrics. */
void inn_http_count_error(void);
/* Replies with status >= 400 so far. */
long long inn_http_error_count(void);
/* The reason phrase of a status this server sends. */
const char *inn_http_reason(int status);
/* {"error":{"code":code,"message":message}} (a new reference). */
json_object *inn_http_error_json(const char *code, const char *message);

#endif
