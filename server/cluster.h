/*
 * cluster.h - this server as one replica of those sharing its store
 * (store.h, "several servers on one store"): its id, its lease renewed by
 * a heartbeat thread (a lease lost cancels what it runs and joins again
 * under a new id), and on the event loop the executions it takes over
 * (adopted from dead replicas, stolen from busy ones when idle), the
 * catalog reloaded when another replica changed the providers, and other
 * replicas' log lines and events handed to the SSE hub.  On a store only
 * this process uses (SQLite) the lease is long and nothing is stolen.
 */
#ifndef INN_SERVER_CLUSTER_H
#define INN_SERVER_CLUSTER_H

#include "server.h"

/* The default lease (server.replicaLease, --lease). */
#define INN_LEASE_DEFAULT_MS 15000
/* The shortest lease a replica may have. */
#define INN_LEASE_MIN_MS 1000

/* Joins the store as a new replica (srv->replica_id) and starts the
 * heartbeat; before inn_runs_recover (which adopts what is left behind).
 * 0, or a negative status with the message (e.g. another server uses the
 * SQLite file). */
int inn_cluster_start(inn_server *srv);
/* On the loop (after srv->base and the SSE hub exist): the adopt / steal /
 * catalog timer and the subscription to other replicas' writes. */
int inn_cluster_serve(inn_server *srv);
/* After the drain: stops the heartbeat and leaves the store (a clean stop). */
void inn_cluster_stop(inn_server *srv);

#endif
