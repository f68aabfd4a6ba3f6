/*
 * http_int.h - what http.c and its connection guard (http_guard.c) share;
 * only they include it.
 */
#ifndef INN_SERVER_HTTP_INT_H
#define INN_SERVER_HTTP_INT_H

#include <event2/http.h>

#include "server.h"

/* Starts watching the connections of sock (limits from srv->cfg; raises
 * the descriptor limit).  0, or a negative inn_status. */
int inn_guard_start(inn_server *srv, struct evhttp_bound_socket *sock);
/* Forgets every connection and frees the guard (after evhttp_free). */
void inn_guard_stop(void);

#endif
