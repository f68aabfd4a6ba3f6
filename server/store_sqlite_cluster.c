/*
 * store_sqlite_cluster.c - replicas on a SQLite store (store.h): one
 * process uses the file, so a replica that joins takes an exclusive lock
 * for its process (flock on "<db>.replica.lock", which names its pid) and
 * expires every other replica on record: none can be alive, and every
 * execution they left pending or running is adopted at the next start --
 * a single server's crash recovery.  Claims and fences are conditional
 * statements on the one connection; nothing is ever stolen (no other
 * replica), a lock is always this process's, and nothing is delivered to
 * a subscriber.  Times are this process's wall clock (ms).
 */
#include "store_sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "array.h"
#include "error.h"

/* ---- the process's lock on the file ---------------------------------------- */

/* The lock files this process holds, by store path (a test may open one
 * store twice: the same process, so the same holder). */
struct held {
	char *path;
	int fd;
	pid_t pid;                   /* a forked child holds nothing of its parent's */
};
static struct held *held_list;
static size_t held_n, held_cap;
static pthread_mutex_t held_mu = PTHREAD_MUTEX_INITIALIZER;

/* The pid written in the lock file, or 0. */
static long
lock_pid(int fd)
{
	char buf[32];
	ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	long pid;

	if (r <= 0)
		return 0;
	buf[r] = '\0';
	pid = strtol(buf, &end, 10);
	return end != buf ? pid : 0;
}

/* Takes "<path>.replica.lock" for this process (held until the process
 * ends or the replica leaves).  0, or INN_EINVAL naming the holder. */
static int
lock_take(struct sqlite_store *s)
{
	char file[4096], pid[32];
	struct held *h;
	size_t i;
	int fd = -1, rc = 0, n;

	if (strcmp(s->path, ":memory:") == 0 || strncmp(s->path, "file:", 5) == 0)
		return 0;
	pthread_mutex_lock(&held_mu);
	for (i = 0; i < held_n; i++)
		if (held_list[i].pid == getpid() && strcmp(held_list[i].path, s->path) == 0)
			goto out;
	if ((size_t)snprintf(file, sizeof(file), "%s.replica.lock", s->path) >= sizeof(file)) {
		rc = inn_error_set(INN_EINVAL, "store %s: the path is too long", s->path);
		goto out;
	}
	if ((fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600)) < 0) {
		rc = inn_error_set(INN_ERROR, "store %s: cannot open %s: %s", s->path, file,
		                   strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ?
		     inn_error_set(INN_EINVAL, "another innominatus server (pid %ld) uses store %s",
		                   lock_pid(fd), s->path) :
		     inn_error_set(INN_ERROR, "store %s: cannot lock %s: %s", s->path, file,
		                   strerror(errno));
		close(fd);
		goto out;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		fprintf(stderr, "innominatus: store %s: cannot write the pid to %s\n", s->path,
		        file);
	if ((h = inn_array_reserve(held_list, &held_cap, held_n + 1, sizeof(*h), 4)) == NULL ||
	    (h[held_n].path = strdup(s->path)) == NULL) {
		close(fd);
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	held_list = h;
	held_list[held_n].fd = fd;
	held_list[held_n].pid = getpid();
	held_n++;
out:
	pthread_mutex_unlock(&held_mu);
	return rc;
}

/* A clean stop gives the file up. */
static void
lock_drop(struct sqlite_store *s)
{
	size_t i;

	pthread_mutex_lock(&held_mu);
	for (i = 0; i < held_n; i++)
		if (held_list[i].pid == getpid() && strcmp(held_list[i].path, s->path) == 0) {
			close(held_list[i].fd);
			free(held_list[i].path);
			held_list[i] = held_list[--held_n];
			break;
		}
	if (held_n == 0) {
		free(held_list);
		held_list = NULL;
		held_cap = 0;
	}
	pthread_mutex_unlock(&held_mu);
}

/* ---- replicas ---------------------------------------------------------------- */

int
inn_sqlite_replica_join(inn_store *st, const char *me, const char *host, int lease_ms)
{
	struct sqlite_store *s = SQ(st);
	int64_t now = inn_wall_ms();
	int rc;

	if ((rc = lock_take(s)) != 0)
		return rc;
	if ((rc = inn_sq_exec(s, NULL, ST_REPL_JOIN, "joining as a replica", "ttiII", me, host,
	                      (int)getpid(), now, now + lease_ms)) != 0)
		return rc;
	/* nobody else can be alive: what they owned is adopted */
	return inn_sq_exec(s, NULL, ST_REPL_EXPIRE, "expiring old replicas", "t", me);
}

static int
gen_row(sqlite3_stmt *q, void *ud)
{
	*(int64_t *)ud = sqlite3_column_int64(q, 0);
	return 0;
}

int
inn_sqlite_replica_beat(inn_store *st, const char *me, int lease_ms, int64_t *catalog_gen)
{
	struct sqlite_store *s = SQ(st);
	struct sq_done done;
	int64_t now = inn_wall_ms(), gen = 0;
	int rc;

	if ((rc = inn_sq_exec(s, &done, ST_REPL_BEAT, "renewing the lease", "tII", me, now,
	                      now + lease_ms)) != 0)
		return rc;
	if (done.changes == 0)
		return inn_error_set(INN_STORE_LOST, "replica %s: its lease ran out before it was "
		                     "renewed, or it is not on record", me);
	if (catalog_gen != NULL) {
		if ((rc = inn_sq_rows(s, ST_CATALOG_GET, "reading the catalog generation", gen_row,
		                      &gen, "")) != 0)
			return rc;
		*catalog_gen = gen;
	}
	return 0;
}

int
inn_sqlite_replica_leave(inn_store *st, const char *me)
{
	struct sqlite_store *s = SQ(st);
	int rc = inn_sq_exec(s, NULL, ST_REPL_LEAVE, "leaving", "t", me);

	lock_drop(s);
	return rc;
}

int
inn_sqlite_replica_list(inn_store *st, json_object **out)
{
	static const struct sq_jfield f[] = {
		{ "id", SQ_J_TEXT }, { "host", SQ_J_TEXT }, { "pid", SQ_J_INT },
		{ "started_ms", SQ_J_INT }, { "seen_ms", SQ_J_INT }, { "lease_until_ms", SQ_J_INT },
		{ "alive", SQ_J_INT }, { NULL, SQ_J_INT },
	};
	json_object *rows = NULL, *v;
	size_t i;
	int rc;

	if ((rc = inn_sq_json_rows(SQ(st), ST_REPL_LIST, "listing replicas", f, &rows, "I",
	                           inn_wall_ms())) != 0)
		return rc;
	for (i = 0; i < json_object_array_length(rows); i++) {
		json_object *r = json_object_array_get_idx(rows, i);

		if (json_object_object_get_ex(r, "alive", &v))
			json_object_object_add(r, "alive",
			                       json_object_new_boolean(json_object_get_int(v) != 0));
	}
	*out = rows;
	return 0;
}

/* ---- executions between replicas --------------------------------------------- */

int
inn_sqlite_exec_claim_start(inn_store *st, const char *me, int64_t id, int64_t started_ms)
{
	struct sq_done done;
	int rc;

	if ((rc = inn_sq_exec(SQ(st), &done, ST_EXEC_CLAIM, "claiming an execution", "tIII", me,
	                      id, started_ms, inn_wall_ms())) != 0)
		return rc;
	return done.changes == 1 ? 0 :
	       inn_error_set(INN_STORE_LOST, "execution %lld: replica %s does not hold it (taken "
	                     "over, no longer pending, or the lease ran out)", (long long)id, me);
}

static int
found_row(sqlite3_stmt *q, void *ud)
{
	(void)q;
	*(int *)ud = 1;
	return 0;
}

int
inn_sqlite_exec_fence(inn_store *st, const char *me, int64_t id)
{
	int found = 0, rc;

	if ((rc = inn_sq_rows(SQ(st), ST_EXEC_FENCE, "checking an execution's owner", found_row,
	                      &found, "tII", me, id, inn_wall_ms())) != 0)
		return rc;
	return found ? 0 : inn_error_set(INN_STORE_LOST, "execution %lld: replica %s no longer "
	                                 "holds it", (long long)id, me);
}

static int
id_row(sqlite3_stmt *q, void *ud)
{
	struct sq_list *l = ud;
	int64_t *ids = inn_array_reserve(l->list, &l->cap, l->count + 1, sizeof(int64_t), 16);

	if (ids == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	l->list = ids;
	ids[l->count++] = sqlite3_column_int64(q, 0);
	return 0;
}

int
inn_sqlite_exec_adopt(inn_store *st, const char *me, int max, int64_t **ids, size_t *n)
{
	struct sqlite_store *s = SQ(st);
	struct sq_list l;
	size_t i;
	int rc;

	memset(&l, 0, sizeof(l));
	*ids = NULL;
	*n = 0;
	/* one process: nobody takes them between the query and the update */
	if ((rc = inn_sq_rows(s, ST_EXEC_ORPHANS, "finding left-behind executions", id_row, &l,
	                      "Ii", inn_wall_ms(), max)) != 0)
		goto err;
	for (i = 0; i < l.count; i++)
		if ((rc = inn_sq_exec(s, NULL, ST_EXEC_OWN, "adopting an execution", "tI", me,
		                      ((int64_t *)l.list)[i])) != 0)
			goto err;
	*ids = l.list;
	*n = l.count;
	return 0;
err:
	free(l.list);
	return rc;
}

int
inn_sqlite_exec_steal(inn_store *st, const char *me, int max, int64_t **ids, size_t *n)
{
	/* no other live replica has anything queued */
	(void)st;
	(void)me;
	(void)max;
	*ids = NULL;
	*n = 0;
	return 0;
}

int
inn_sqlite_exec_release(inn_store *st, const char *me, const int64_t *ids, size_t n)
{
	struct sqlite_store *s = SQ(st);
	size_t i;
	int rc;

	if (ids == NULL)
		return inn_sq_exec(s, NULL, ST_EXEC_RELEASE, "releasing executions", "tI", me,
		                   (int64_t)0);
	for (i = 0; i < n; i++)
		if ((rc = inn_sq_exec(s, NULL, ST_EXEC_RELEASE, "releasing an execution", "tI", me,
		                      ids[i])) != 0)
			return rc;
	return 0;
}

/* ---- store-wide locks, the catalog generation, notifications ----------------- */

int
inn_sqlite_lock_try(inn_store *st, const char *name)
{
	(void)st;
	(void)name;
	return 1;
}

void
inn_sqlite_lock_release(inn_store *st, const char *name)
{
	(void)st;
	(void)name;
}

int
inn_sqlite_catalog_bump(inn_store *st, int64_t *gen)
{
	struct sqlite_store *s = SQ(st);
	int64_t g = 0;
	int rc;

	if ((rc = inn_sq_exec(s, NULL, ST_CATALOG_BUMP, "bumping the catalog generation", "")) !=
	    0)
		return rc;
	if (gen != NULL) {
		if ((rc = inn_sq_rows(s, ST_CATALOG_GET, "reading the catalog generation", gen_row,
		                      &g, "")) != 0)
			return rc;
		*gen = g;
	}
	return 0;
}

int
inn_sqlite_subscribe(inn_store *st, inn_store_notify_fn fn, void *ud)
{
	/* nobody else writes: nothing to deliver */
	(void)st;
	(void)fn;
	(void)ud;
	return 0;
}
