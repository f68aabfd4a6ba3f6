/*
 * store_pg_cluster.c - several replicas on one PostgreSQL database
 * (store.h): leases on the database's clock, executions moved between
 * replicas with conditional UPDATEs and FOR UPDATE SKIP LOCKED, store-wide
 * locks as session advisory locks on a connection of their own (a replica
 * that dies frees them with its connection), the catalog generation, and
 * the subscription: a thread that LISTENs for what the triggers of
 * migration 8 and the release / bump statements NOTIFY.
 */
#include "config.h"

#include "store_pg_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "error.h"

/* ---- replicas ------------------------------------------------------------------ */

/* Every pool connection learns me (inn.replica) before its next
 * statement: the triggers tag the rows it writes with it. */
int
inn_pg_replica_join(inn_store *st, const char *me, const char *host, int lease_ms)
{
	struct pg_store *s = PG(st);
	size_t i;
	int rc;

	if ((rc = inn_pg_run(s, NULL, NULL, "registering a replica", PQ_REPLICA_JOIN, NULL, "ttII",
	                     me, host, (int64_t)getpid(), (int64_t)lease_ms)) < 0)
		return rc;
	pthread_mutex_lock(&s->mu);
	snprintf(s->me, sizeof(s->me), "%s", me);
	for (i = 0; i < PG_POOL; i++)
		s->pool[i].tagged = 0;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int
inn_pg_replica_beat(inn_store *st, const char *me, int lease_ms, int64_t *catalog_gen)
{
	struct pg_done done;
	int rc;

	if ((rc = inn_pg_run(PG(st), NULL, &done, "renewing a lease", PQ_REPLICA_BEAT, NULL, "tI",
	                     me, (int64_t)lease_ms)) < 0)
		return rc;
	if (done.changes == 0)
		return inn_error_set(INN_STORE_LOST, "replica %s: its lease ran out (or it is not "
		                     "on record)", me);
	if (catalog_gen != NULL)
		*catalog_gen = done.id;
	return 0;
}

int
inn_pg_replica_leave(inn_store *st, const char *me)
{
	return inn_pg_run(PG(st), NULL, NULL, "removing a replica", PQ_REPLICA_LEAVE, NULL, "t",
	                  me);
}

static const struct pg_jfield replica_fields[] = {
	{ "id", PG_J_TEXT }, { "host", PG_J_TEXT }, { "pid", PG_J_INT },
	{ "started_ms", PG_J_INT }, { "seen_ms", PG_J_INT }, { "lease_until_ms", PG_J_INT },
	{ "alive", PG_J_BOOL }, { NULL, PG_J_INT },
};

int
inn_pg_replica_list(inn_store *st, json_object **out)
{
	PGresult *r = NULL;
	int rc;

	if ((rc = inn_pg_run(PG(st), &r, NULL, "listing replicas", PQ_REPLICA_LIST, NULL, "")) < 0)
		return rc;
	rc = inn_pg_json_rows(r, replica_fields, out);
	PQclear(r);
	return rc;
}

/* ---- executions between replicas ------------------------------------------------ */

int
inn_pg_exec_claim_start(inn_store *st, const char *me, int64_t id, int64_t started_ms)
{
	struct pg_done done;
	int rc;

	if ((rc = inn_pg_run(PG(st), NULL, &done, "claiming an execution", PQ_CLAIM, NULL, "tII",
	                     me, id, started_ms)) < 0)
		return rc;
	if (done.changes == 0)
		return inn_error_set(INN_STORE_LOST, "execution %lld is not a pending one of "
		                     "replica %s with a live lease", (long long)id, me);
	return 0;
}

int
inn_pg_exec_fence(inn_store *st, const char *me, int64_t id)
{
	struct pg_done done;
	int rc;

	if ((rc = inn_pg_run(PG(st), NULL, &done, "checking an execution's owner", PQ_FENCE,
	                     NULL, "tI", me, id)) < 0)
		return rc;
	if (done.changes == 0)
		return inn_error_set(INN_STORE_LOST, "execution %lld: replica %s no longer owns it "
		                     "(or its lease ran out)", (long long)id, me);
	return 0;
}

/* adopt and steal: one UPDATE over the ids that FOR UPDATE SKIP LOCKED
 * picked, so two replicas never take the same execution. */
static int
take(inn_store *st, int id, const char *what, const char *me, int max, int64_t **ids,
     size_t *n)
{
	PGresult *r = NULL;
	int rc;

	if ((rc = inn_pg_run(PG(st), &r, NULL, what, id, NULL, "ti", me, max)) < 0)
		return rc;
	rc = inn_pg_ids(r, ids, n);
	PQclear(r);
	return rc;
}

int
inn_pg_exec_adopt(inn_store *st, const char *me, int max, int64_t **ids, size_t *n)
{
	return take(st, PQ_ADOPT, "adopting executions", me, max, ids, n);
}

int
inn_pg_exec_steal(inn_store *st, const char *me, int max, int64_t **ids, size_t *n)
{
	return take(st, PQ_STEAL, "taking over queued executions", me, max, ids, n);
}

/* Each released execution is NOTIFYed on inn_pending ("pending" {id}). */
int
inn_pg_exec_release(inn_store *st, const char *me, const int64_t *ids, size_t n)
{
	char *arr, *o;
	size_t i;
	int rc;

	if (ids == NULL)
		return inn_pg_run(PG(st), NULL, NULL, "releasing executions", PQ_RELEASE_ALL, NULL,
		                  "t", me);
	/* the ids as one array parameter: "{1,2,3}" */
	if ((arr = malloc(n * 21 + 3)) == NULL)
		return inn_error_set(INN_ENOMEM, "store: out of memory releasing executions");
	o = arr;
	*o++ = '{';
	for (i = 0; i < n; i++)
		o += snprintf(o, 22, "%s%lld", i > 0 ? "," : "", (long long)ids[i]);
	*o++ = '}';
	*o = '\0';
	rc = inn_pg_run(PG(st), NULL, NULL, "releasing executions", PQ_RELEASE, NULL, "tt", me,
	                arr);
	free(arr);
	return rc;
}

/* ---- store-wide locks -------------------------------------------------------------- */

static ssize_t
held_at(struct pg_store *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nheld; i++)
		if (strcmp(s->held[i], name) == 0)
			return (ssize_t)i;
	return -1;
}

static void
held_clear(struct pg_store *s)
{
	size_t i;

	for (i = 0; i < s->nheld; i++)
		free(s->held[i]);
	free(s->held);
	s->held = NULL;
	s->nheld = 0;
}

/* The lock connection, connected; a new one holds none of the old locks. */
static int
lock_conn(struct pg_store *s)
{
	if (s->lock_pc.c != NULL && PQstatus(s->lock_pc.c) == CONNECTION_OK)
		return 0;
	held_clear(s);
	return inn_pg_reconnect(s, &s->lock_pc);
}

/* pg_try_advisory_lock on the lock connection: 1 taken, 0 held elsewhere. */
static int
try_lock(struct pg_store *s, const char *name)
{
	PGresult *r = NULL;
	int rc;

	if ((rc = inn_pg_q(s, &s->lock_pc, &r, NULL, "taking a lock", PQ_NONE,
	                   "SELECT pg_try_advisory_lock(hashtext('inn:' || $1::text))", "t",
	                   name)) < 0)
		return rc;
	rc = PQntuples(r) > 0 && inn_pg_int(r, 0, 0) == 1;
	PQclear(r);
	return rc;
}

/* A lock already held answers 1 once the connection still answers (a
 * session lock goes with its connection). */
int
inn_pg_lock_try(inn_store *st, const char *name)
{
	struct pg_store *s = PG(st);
	char **grown;
	int rc, tries;

	pthread_mutex_lock(&s->lock_mu);
	for (tries = 0; tries < 2; tries++) {
		if ((rc = lock_conn(s)) < 0)
			break;
		if (held_at(s, name) >= 0) {
			rc = inn_pg_q(s, &s->lock_pc, NULL, NULL, "checking a lock", PQ_PING, NULL, "");
			if (rc == 0) {
				rc = 1;
				break;
			}
		} else if ((rc = try_lock(s, name)) >= 0) {
			break;
		}
		if (PQstatus(s->lock_pc.c) == CONNECTION_OK)
			break;  /* a real error, not a lost connection */
	}
	if (rc == 1 && held_at(s, name) < 0) {
		grown = realloc(s->held, (s->nheld + 1) * sizeof(*grown));
		if (grown != NULL)
			s->held = grown;
		if (grown == NULL || (s->held[s->nheld] = strdup(name)) == NULL)
			rc = inn_error_set(INN_ENOMEM, "store: out of memory taking a lock");
		else
			s->nheld++;
	}
	pthread_mutex_unlock(&s->lock_mu);
	return rc;
}

void
inn_pg_lock_release(inn_store *st, const char *name)
{
	struct pg_store *s = PG(st);
	ssize_t i;

	pthread_mutex_lock(&s->lock_mu);
	if ((i = held_at(s, name)) >= 0) {
		if (s->lock_pc.c != NULL && PQstatus(s->lock_pc.c) == CONNECTION_OK)
			inn_pg_q(s, &s->lock_pc, NULL, NULL, "releasing a lock", PQ_NONE,
			         "SELECT pg_advisory_unlock(hashtext('inn:' || $1::text))", "t", name);
		free(s->held[i]);
		s->held[i] = s->held[--s->nheld];
	}
	pthread_mutex_unlock(&s->lock_mu);
}

/* ---- the catalog generation ----------------------------------------------------------- */

int
inn_pg_catalog_bump(inn_store *st, int64_t *gen)
{
	struct pg_done done;
	int rc;

	if ((rc = inn_pg_run(PG(st), NULL, &done, "bumping the catalog generation", PQ_BUMP, NULL,
	                     "")) < 0)
		return rc;
	if (done.changes == 0)
		return inn_error_set(INN_ERROR, "store %s: no catalog_gen row in cluster",
		                     PG(st)->shown);
	if (gen != NULL)
		*gen = done.id;
	return 0;
}

/* ---- subscribe ---------------------------------------------------------------------- */

static const struct pg_jfield log_row_fields[] = {
	{ "seq", PG_J_INT }, { "execution", PG_J_INT }, { "step", PG_J_TEXT },
	{ "level", PG_J_INT }, { "stream", PG_J_INT }, { "line", PG_J_TEXT }, { "ts", PG_J_INT },
	{ "team", PG_J_TEXT }, { "created_by", PG_J_TEXT }, { NULL, PG_J_INT },
};

static const struct pg_jfield event_row_fields[] = {
	{ "id", PG_J_INT }, { "type", PG_J_TEXT }, { "execution", PG_J_INT_OR_NULL },
	{ "team", PG_J_TEXT }, { "created_by", PG_J_TEXT }, { "data", PG_J_JSON },
	{ "ts", PG_J_INT }, { NULL, PG_J_INT },
};

/* A row too long for a NOTIFY payload, read by its id. */
static json_object *
fetch_row(struct pg_store *s, int log, int64_t id)
{
	json_object *row = NULL;
	PGresult *r = NULL;

	if (inn_pg_q(s, &s->sub_pc, &r, NULL, "reading a notified row",
	             log ? PQ_LOG_ROW : PQ_EVENT_ROW, NULL, "I", id) == 0 && PQntuples(r) > 0)
		inn_pg_json_obj(r, 0, log ? log_row_fields : event_row_fields, &row);
	PQclear(r);
	return row;
}

/* One notification: skipped when this replica wrote it, else handed to
 * the subscriber in the shape of store.h. */
static void
deliver(struct pg_store *s, const PGnotify *n)
{
	json_object *row = json_tokener_parse(n->extra), *v;
	const char *kind, *origin;
	char me[sizeof(s->me)];
	int log;

	if (row == NULL || !json_object_is_type(row, json_type_object))
		goto out;
	if (strcmp(n->relname, "inn_log") == 0)
		kind = "log";
	else if (strcmp(n->relname, "inn_event") == 0)
		kind = "event";
	else if (strcmp(n->relname, "inn_catalog") == 0)
		kind = "catalog";
	else if (strcmp(n->relname, "inn_pending") == 0)
		kind = "pending";
	else
		goto out;
	pthread_mutex_lock(&s->mu);
	memcpy(me, s->me, sizeof(me));
	pthread_mutex_unlock(&s->mu);
	origin = json_object_get_string(json_object_object_get(row, "origin"));
	if (origin != NULL && me[0] != '\0' && strcmp(origin, me) == 0)
		goto out;
	json_object_object_del(row, "origin");
	log = kind[0] == 'l';
	if (json_object_object_get_ex(row, "fetch", NULL)) {
		v = json_object_object_get(row, log ? "seq" : "id");
		v = fetch_row(s, log, json_object_get_int64(v));
		json_object_put(row);
		if ((row = v) == NULL)
			return;
	} else if (kind[0] == 'e' && json_object_is_type(v = json_object_object_get(row, "data"),
	                                                   json_type_string)) {
		/* events.data is JSON text: the row holds it parsed */
		json_object_object_add(row, "data", json_tokener_parse(json_object_get_string(v)));
	}
	s->sub_fn(s->sub_ud, kind, row);
out:
	json_object_put(row);
}

/* LISTENs on the connection of the subscription (connecting it). */
static int
listen_all(struct pg_store *s)
{
	int rc;

	if ((rc = inn_pg_reconnect(s, &s->sub_pc)) < 0)
		return rc;
	return inn_pg_cmd(s, &s->sub_pc, "LISTEN inn_log; LISTEN inn_event; "
	                  "LISTEN inn_catalog; LISTEN inn_pending", "listening");
}

/* Waits up to ms for fd (-1: none) or the stop pipe; 1 when stopped. */
static int
wait_for(struct pg_store *s, int fd, int ms, int *ready)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	fd_set rd;
	int maxfd = s->sub_pipe[0];

	FD_ZERO(&rd);
	FD_SET(s->sub_pipe[0], &rd);
	if (fd >= 0) {
		FD_SET(fd, &rd);
		if (fd > maxfd)
			maxfd = fd;
	}
	*ready = 0;
	if (select(maxfd + 1, &rd, NULL, NULL, ms >= 0 ? &tv : NULL) < 0)
		return errno == EINTR ? 0 : 1;
	if (FD_ISSET(s->sub_pipe[0], &rd))
		return 1;
	*ready = fd >= 0 && FD_ISSET(fd, &rd);
	return 0;
}

/* The subscription thread: notifications as they come; a lost connection
 * is made again every second until it answers (what was notified in
 * between is not delivered: the cluster layer's cursors read the store). */
static void *
listener(void *arg)
{
	struct pg_store *s = arg;
	PGnotify *n;
	int ready;

	for (;;) {
		if (s->sub_pc.c == NULL || PQstatus(s->sub_pc.c) != CONNECTION_OK) {
			if (listen_all(s) < 0) {
				if (wait_for(s, -1, 1000, &ready))
					break;
				continue;
			}
		}
		if (wait_for(s, PQsocket(s->sub_pc.c), -1, &ready))
			break;
		if (ready && PQconsumeInput(s->sub_pc.c) == 0)
			continue;  /* broken: reconnect above */
		while ((n = PQnotifies(s->sub_pc.c)) != NULL) {
			deliver(s, n);
			PQfreemem(n);
		}
	}
	return NULL;
}

int
inn_pg_subscribe(inn_store *st, inn_store_notify_fn fn, void *ud)
{
	struct pg_store *s = PG(st);
	int rc;

	if (s->sub_running)
		return inn_error_set(INN_EINVAL, "store %s: already subscribed", s->shown);
	if (pipe(s->sub_pipe) != 0)
		return inn_error_set(INN_ERROR, "store %s: pipe: %s", s->shown, strerror(errno));
	fcntl(s->sub_pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(s->sub_pipe[1], F_SETFD, FD_CLOEXEC);
	if ((rc = listen_all(s)) < 0)
		goto fail;
	s->sub_fn = fn;
	s->sub_ud = ud;
	if (pthread_create(&s->sub_thread, NULL, listener, s) != 0) {
		rc = inn_error_set(INN_ERROR, "store %s: cannot start the subscription thread",
		                   s->shown);
		goto fail;
	}
	s->sub_running = 1;
	return 0;
fail:
	close(s->sub_pipe[0]);
	close(s->sub_pipe[1]);
	s->sub_pipe[0] = s->sub_pipe[1] = -1;
	if (s->sub_pc.c != NULL)
		PQfinish(s->sub_pc.c);
	s->sub_pc.c = NULL;
	return rc;
}

void
inn_pg_cluster_close(struct pg_store *s)
{
	if (s->sub_running) {
		if (write(s->sub_pipe[1], "x", 1) < 0)
			(void)0;  /* the thread also stops when the pipe closes */
		pthread_join(s->sub_thread, NULL);
		s->sub_running = 0;
	}
	if (s->sub_pipe[0] >= 0) {
		close(s->sub_pipe[0]);
		close(s->sub_pipe[1]);
	}
	if (s->sub_pc.c != NULL)
		PQfinish(s->sub_pc.c);
	if (s->lock_pc.c != NULL) {
		/* at once, not when the server notices the connection went */
		if (s->nheld > 0 && PQstatus(s->lock_pc.c) == CONNECTION_OK)
			PQclear(PQexec(s->lock_pc.c, "SELECT pg_advisory_unlock_all()"));
		PQfinish(s->lock_pc.c);
	}
	held_clear(s);
}
