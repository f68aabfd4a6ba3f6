/*
 * cluster.c - this server as one replica of those sharing its store: its
 * id (host-pid-random, new at every start and after a lost lease), the
 * heartbeat thread renewing its lease every third of it (a lease that ran
 * out cancels every execution here, counted, and the replica joins again
 * under a new id), and on the loop thread a tick that reloads the catalog
 * when another replica changed the providers, adopts the executions of
 * dead replicas (crash recovery's rules, runs.c) and, when idle, steals
 * queued ones of busy replicas.  Other replicas' log lines and events
 * come from the store's subscription and go to the SSE hub as local ones
 * do.  A store only this process uses (SQLite) gets a lease of a day,
 * renewed by the loop's tick (no thread): no other process can take
 * over, so none is ever lost to a slow machine.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "cluster.h"
#include "error.h"
#include "providers.h"
#include "server.h"

/* A store nobody else uses: the lease only has to outlive this process. */
#define LEASE_ALONE_MS (24 * 3600 * 1000)
/* The loop's tick at most this far apart (adopt, steal, catalog). */
#define TICK_MAX_MS 5000
/* At most this many executions taken over per tick. */
#define TAKE_MAX 64

struct inn_cluster {
	inn_server *srv;
	pthread_t beat;
	int beat_running;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int stop;                    /* guarded by mu */
	atomic_int stopping;         /* the subscription and the tick stand down */
	int joined;                  /* the heartbeat's: on record under replica_id */
	int64_t last_ok_ms;          /* the heartbeat's: the last renewal */
	struct event *tick;
	char host[40];
};

/* One per process; never freed (the store's notification thread may still
 * look at it until the store closes). */
static struct inn_cluster the_cluster;

/* This host's name as id characters ([A-Za-z0-9_.-], others '_'). */
static void
host_name(char *out, size_t len)
{
	char h[256];
	size_t i, k = 0;

	if (gethostname(h, sizeof(h)) != 0)
		snprintf(h, sizeof(h), "host");
	h[sizeof(h) - 1] = '\0';
	for (i = 0; h[i] != '\0' && k + 1 < len; i++) {
		char c = h[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		         (k > 0 && (c == '-' || c == '.' || c == '_'));

		out[k++] = ok ? c : '_';
	}
	out[k] = '\0';
	if (k == 0)
		snprintf(out, len, "host");
}

/* Joins under a new id (srv->replica_id once on record).  0 or an error. */
/* A renewal that began at t0 (monotonic) holds until t0 + the lease at
 * the latest, on this process's clock: past it, the runs here write
 * nothing more (runs_record.c), even before the heartbeat, late after a
 * stop (SIGSTOP, a stalled machine), learns that the lease is gone.  A
 * store nobody else uses has no such limit (0). */
static void
lease_valid(inn_server *srv, int64_t t0)
{
	atomic_store(&srv->lease_valid_until, inn_store_shared(srv->store) ? t0 + srv->lease_ms : 0);
}

static int
join(struct inn_cluster *c)
{
	inn_server *srv = c->srv;
	char id[INN_REPLICA_ID_MAX + 1];
	unsigned short r = 0;
	int64_t t0;
	int rc;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (unsigned short)(inn_wall_ms() ^ getpid());
	snprintf(id, sizeof(id), "%s-%ld-%04x", c->host, (long)getpid(), (unsigned)r);
	t0 = inn_now_ms();
	if ((rc = inn_store_replica_join(srv->store, id, c->host, srv->lease_ms)) != 0)
		return rc;
	lease_valid(srv, t0);
	pthread_mutex_lock(&srv->replica_lock);
	snprintf(srv->replica_id, sizeof(srv->replica_id), "%s", id);
	pthread_mutex_unlock(&srv->replica_lock);
	c->joined = 1;
	c->last_ok_ms = inn_now_ms();
	return 0;
}

/* The lease ran out: what runs here is another replica's to account for. */
static void
lease_lost(struct inn_cluster *c, const char *why)
{
	inn_server *srv = c->srv;
	char me[INN_REPLICA_ID_MAX + 1];

	inn_replica_me(srv, me);
	atomic_fetch_add(&srv->m_lease_lost, 1);
	fprintf(stderr, "innominatus: replica %s lost its lease (%s): its executions here are "
	        "stopped; another replica accounts for them\n", me, why);
	c->joined = 0;
	inn_runs_lease_lost(srv);
	if (join(c) == 0) {
		inn_replica_me(srv, me);
		fprintf(stderr, "innominatus: joined the store again as replica %s\n", me);
	}
}

static void
beat_once(struct inn_cluster *c)
{
	inn_server *srv = c->srv;
	char me[INN_REPLICA_ID_MAX + 1];
	int64_t gen = 0, t0;
	int rc;

	if (!c->joined) {
		if (join(c) != 0)
			fprintf(stderr, "innominatus: joining the store again: %s\n", inn_error_last());
		return;
	}
	inn_replica_me(srv, me);
	t0 = inn_now_ms();
	rc = inn_store_replica_beat(srv->store, me, srv->lease_ms, &gen);
	if (rc == 0) {
		lease_valid(srv, t0);
		c->last_ok_ms = inn_now_ms();
		if (gen != atomic_load(&srv->store_gen_seen)) {
			atomic_store(&srv->store_gen_seen, gen);
			if (c->tick != NULL && !atomic_load(&c->stopping))
				event_active(c->tick, EV_TIMEOUT, 0);
		}
	} else if (rc == INN_STORE_LOST) {
		lease_lost(c, inn_error_last());
	} else if (inn_now_ms() - c->last_ok_ms >= srv->lease_ms) {
		lease_lost(c, "the store did not answer for a whole lease");
	} else {
		fprintf(stderr, "innominatus: renewing the lease: %s\n", inn_error_last());
	}
}

static void *
beat_main(void *arg)
{
	struct inn_cluster *c = arg;
	int every = c->srv->lease_ms / 3;

	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += every / 1000;
		ts.tv_nsec += (long)(every % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&c->cond, &c->mu, &ts);
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->mu);
		beat_once(c);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int
inn_cluster_start(inn_server *srv)
{
	struct inn_cluster *c = &the_cluster;
	char me[INN_REPLICA_ID_MAX + 1];
	int64_t gen = 0;
	int rc;

	memset(c, 0, sizeof(*c));
	c->srv = srv;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cond, NULL);
	pthread_mutex_init(&srv->replica_lock, NULL);
	srv->lease_ms = srv->cfg.lease_ms > 0 ? srv->cfg.lease_ms : INN_LEASE_DEFAULT_MS;
	if (srv->lease_ms < INN_LEASE_MIN_MS)
		srv->lease_ms = INN_LEASE_MIN_MS;
	if (!inn_store_shared(srv->store))
		srv->lease_ms = LEASE_ALONE_MS;
	host_name(c->host, sizeof(c->host));
	if ((rc = join(c)) != 0)
		return rc;
	srv->cluster = c;
	inn_replica_me(srv, me);
	if (inn_store_replica_beat(srv->store, me, srv->lease_ms, &gen) == 0) {
		atomic_store(&srv->store_gen_seen, gen);
		atomic_store(&srv->catalog_store_gen, gen);
	}
	/* alone on the store, the loop's tick renews the lease now and then
	 * (no thread of its own) */
	if (!inn_store_shared(srv->store))
		return 0;
	if (pthread_create(&c->beat, NULL, beat_main, c) != 0)
		return inn_error_set(INN_ERROR, "cannot start the heartbeat thread");
	c->beat_running = 1;
	fprintf(stderr, "innominatus: replica %s (lease %d ms)\n", me, srv->lease_ms);
	return 0;
}

/* ---- on the loop ------------------------------------------------------------ */

static void
take_over(inn_server *srv)
{
	char me[INN_REPLICA_ID_MAX + 1];
	int64_t *ids = NULL;
	size_t n = 0, i;
	int slots = 0;

	inn_replica_me(srv, me);
	if (srv->nunaccounted > 0)
		inn_runs_recover_retry(srv);
	if (inn_store_exec_adopt(srv->store, me, TAKE_MAX, &ids, &n) == 0 && n > 0) {
		fprintf(stderr, "innominatus: replica %s adopts %zu execution(s) of replicas that "
		        "are gone\n", me, n);
		for (i = 0; i < n; i++)
			inn_runs_adopt(srv, ids[i], 0);
		atomic_fetch_add(&srv->m_adopted, (long long)n);
	}
	free(ids);
	ids = NULL;
	if (!inn_store_shared(srv->store) || !inn_runs_idle(srv, &slots) || slots <= 0)
		return;
	if (slots > TAKE_MAX)
		slots = TAKE_MAX;
	if (inn_store_exec_steal(srv->store, me, slots, &ids, &n) == 0) {
		for (i = 0; i < n; i++)
			inn_runs_adopt(srv, ids[i], 1);
		atomic_fetch_add(&srv->m_stolen, (long long)n);
	}
	free(ids);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct inn_cluster *c = arg;
	inn_server *srv = c->srv;
	long long gen = atomic_load(&srv->store_gen_seen);

	(void)fd;
	(void)what;
	if (atomic_load(&srv->draining) || atomic_load(&c->stopping))
		return;
	if (!c->beat_running && inn_now_ms() - c->last_ok_ms >= srv->lease_ms / 3)
		beat_once(c);
	if (gen != atomic_load(&srv->catalog_store_gen)) {
		atomic_store(&srv->catalog_store_gen, gen);
		if (inn_providers_sync(srv) != 0)
			fprintf(stderr, "innominatus: reloading the catalog another replica changed: "
			        "%s\n", inn_error_last());
	}
	take_over(srv);
}

/* The store's thread: another replica's row, as a local publish would be. */
static void
on_notify(void *ud, const char *kind, json_object *row)
{
	struct inn_cluster *c = ud;
	inn_server *srv = c->srv;
	json_object *v, *data;
	const char *team = NULL, *by = NULL;
	int64_t exec = 0, id = 0;

	if (atomic_load(&c->stopping))
		return;
	if (strcmp(kind, "catalog") == 0 || strcmp(kind, "pending") == 0) {
		if (strcmp(kind, "catalog") == 0 && json_object_object_get_ex(row, "gen", &v))
			atomic_store(&srv->store_gen_seen, json_object_get_int64(v));
		if (c->tick != NULL)
			event_active(c->tick, EV_TIMEOUT, 0);
		return;
	}
	if (srv->on_event == NULL)
		return;
	if (json_object_object_get_ex(row, "execution", &v))
		exec = json_object_get_int64(v);
	if (json_object_object_get_ex(row, "team", &v) && v != NULL)
		team = json_object_get_string(v);
	if (json_object_object_get_ex(row, "created_by", &v) && v != NULL)
		by = json_object_get_string(v);
	if (strcmp(kind, "log") == 0) {
		static const char *const keys[] = { "seq", "step", "level", "stream", "line", "ts" };
		size_t i;

		data = json_object_new_object();
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (json_object_object_get_ex(row, keys[i], &v))
				json_object_object_add(data, keys[i], json_object_get(v));
		if (json_object_object_get_ex(row, "seq", &v))
			id = json_object_get_int64(v);
		srv->on_event(srv, "log", exec, id, team, by, data);
		json_object_put(data);
	} else if (strcmp(kind, "event") == 0) {
		const char *type = json_object_object_get_ex(row, "type", &v) ?
		                   json_object_get_string(v) : NULL;

		if (type == NULL)
			return;
		if (json_object_object_get_ex(row, "id", &v))
			id = json_object_get_int64(v);
		if (!json_object_object_get_ex(row, "data", &data) || data == NULL)
			data = NULL;
		if (strcmp(type, "execution.cancel-requested") == 0 && exec > 0)
			inn_runs_cancel_here(srv, exec);  /* if it runs here */
		srv->on_event(srv, type, exec, id, team, by, data);
	} else {
		return;
	}
	atomic_fetch_add(&srv->m_remote_events, 1);
}

int
inn_cluster_serve(inn_server *srv)
{
	struct inn_cluster *c = srv->cluster;
	int every;
	struct timeval tv;

	if (c == NULL)
		return 0;
	every = srv->lease_ms / 3 < TICK_MAX_MS ? srv->lease_ms / 3 : TICK_MAX_MS;
	tv.tv_sec = every / 1000;
	tv.tv_usec = (every % 1000) * 1000;
	if ((c->tick = event_new(srv->base, -1, EV_PERSIST, on_tick, c)) == NULL ||
	    event_add(c->tick, &tv) != 0)
		return inn_error_set(INN_ENOMEM, "cannot start the replica's timer");
	if (inn_store_subscribe(srv->store, on_notify, c) != 0)
		return -1;
	return 0;
}

void
inn_cluster_stop(inn_server *srv)
{
	struct inn_cluster *c = srv->cluster;
	char me[INN_REPLICA_ID_MAX + 1];

	if (c == NULL)
		return;
	atomic_store(&c->stopping, 1);
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->mu);
	if (c->beat_running)
		pthread_join(c->beat, NULL);
	c->beat_running = 0;
	if (c->tick != NULL) {
		event_free(c->tick);
		c->tick = NULL;
	}
	inn_replica_me(srv, me);
	if (c->joined && inn_store_replica_leave(srv->store, me) != 0)
		fprintf(stderr, "innominatus: leaving the store: %s\n", inn_error_last());
	c->joined = 0;
}

