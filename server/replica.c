/*
 * replica.c - this server's replica id as everyone reads it: cluster.c
 * sets it at start and after a lost lease (under replica_lock); the runs,
 * the reaper and /metrics read it here, below the replica layer.
 */
#include "config.h"

#include <stdio.h>

#include "server.h"

void
inn_replica_me(inn_server *srv, char *buf)
{
	if (srv->cluster == NULL) {
		buf[0] = '\0';
		return;
	}
	pthread_mutex_lock(&srv->replica_lock);
	snprintf(buf, INN_REPLICA_ID_MAX + 1, "%.*s", INN_REPLICA_ID_MAX, srv->replica_id);
	pthread_mutex_unlock(&srv->replica_lock);
}
