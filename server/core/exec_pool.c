/*
 * exec_pool.c - crash isolation, the engine's side: a pool of long-lived
 * worker processes (their program is exec_pool_worker.c) that load the
 * plugins once and execute steps sent to them over a socketpair, in the
 * frames of exec_pool_frame.c (protocol in exec_pool_int.h).
 * A worker runs one step at a time.  If it dies (segfault, abort, OOM) the
 * step fails with the signal named and the next step gets a fresh worker;
 * if a plugin does not return within kill_grace_ms after its deadline or a
 * cancellation, the worker is killed.  Anything a plugin writes to its own
 * stdout/stderr lands in the step log, under the same cap as host->log.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "array.h"
#include "error.h"
#include "exec_int.h"
#include "exec_pool_int.h"
#include "host.h"
#include "policy.h"

extern char **environ;

#define WORKER_MAX_CHILDREN 64

struct worker {
	pid_t pid;
	int fd;
	int pidfd;                  /* readable once the worker has exited, or -1 */
	ino_t sock_ino;             /* inode of the worker's end of the socket */
	uint64_t vm_peak;           /* highest VmHWM seen while this step ran */
	int retire;                 /* its last "done" asked for a fresh worker */
	int busy;
	int ready;
	inn_buf fb;                 /* frames read from the worker */
	int children[WORKER_MAX_CHILDREN]; /* process groups the worker started */
	int nchildren;
};

/* Kills the process groups a worker reported (when the worker itself has to
 * go, what it started goes with it). */
static void
worker_kill_children(struct worker *w)
{
	int i;

	for (i = 0; i < w->nchildren; i++)
		if (w->children[i] > 1)
			kill(-w->children[i], SIGKILL);
	w->nchildren = 0;
}

static void
worker_note_child(struct worker *w, int pgid, int started)
{
	int i;

	for (i = 0; i < w->nchildren; i++)
		if (w->children[i] == pgid) {
			if (!started)
				w->children[i] = w->children[--w->nchildren];
			return;
		}
	if (started && w->nchildren < WORKER_MAX_CHILDREN)
		w->children[w->nchildren++] = pgid;
}

/* Non-zero once the worker process has exited (left unreaped: WNOWAIT),
 * whatever still holds its socket open. */
static int
worker_exited(const struct worker *w)
{
	siginfo_t si;

	if (w->pid <= 0)
		return 0;
	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		if (errno != EINTR)
			return errno == ECHILD;
	return si.si_pid == w->pid;
}

/* A pidfd for pid (Linux >= 5.3), or -1: then the 50 ms tick notices. */
static int
pidfd_for(pid_t pid)
{
#ifdef SYS_pidfd_open
	long fd = syscall(SYS_pidfd_open, pid, 0);

	if (fd >= 0) {
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
		return (int)fd;
	}
#else
	(void)pid;
#endif
	return -1;
}

/* Kills every process that still holds the worker's end of the socket:
 * what a plugin fork()ed (a copy of the worker) outlives the worker and
 * would hold the protocol open.  Linux /proc; elsewhere nothing. */
static void
worker_kill_socket_holders(const struct worker *w)
{
	char want[64], path[600], link[64];
	DIR *proc, *fds;
	struct dirent *p, *f;
	int n;

	if (w->sock_ino == 0 || (proc = opendir("/proc")) == NULL)
		return;
	snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)w->sock_ino);
	while ((p = readdir(proc)) != NULL) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.200s/fd", p->d_name);
		if ((fds = opendir(path)) == NULL)
			continue;
		while ((f = readdir(fds)) != NULL) {
			ssize_t len;

			if (f->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%.200s/fd/%.200s", p->d_name,
			         f->d_name);
			len = readlink(path, link, sizeof(link) - 1);
			if (len <= 0)
				continue;
			link[len] = '\0';
			if (strcmp(link, want) == 0) {
				n = (int)strtol(p->d_name, NULL, 10);
				if (n > 1 && n != (int)getpid())
					kill(n, SIGKILL);
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
}

static int worker_ready_frame(struct worker *w, json_object *o);

struct inn_engine {
	char *plugin_dir;
	char *config_file;
	char *exe;
	char *state_root;
	const inn_policy *policy;
	const inn_registry *registry;
	json_object *secrets, *secrets_unavailable;   /* borrowed */
	int64_t kill_grace_ms;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct worker *w;
	int nw;
	unsigned started;
};

const inn_registry *
inn_engine_registry(const inn_engine *eng)
{
	return eng->registry;
}

const inn_policy *
inn_engine_policy(const inn_engine *eng)
{
	return eng->policy;
}

json_object *
inn_engine_secrets(const inn_engine *eng)
{
	return eng->secrets;
}

json_object *
inn_engine_secrets_unavailable(const inn_engine *eng)
{
	return eng->secrets_unavailable;
}

const char *
inn_engine_state_root(const inn_engine *eng)
{
	return eng->state_root;
}

unsigned
inn_engine_workers_started(const inn_engine *eng)
{
	return eng->started;
}

int
inn_engine_new(inn_engine **out, const inn_engine_opts *o)
{
	inn_engine *e;
	char exe[4096];
	ssize_t n;

	*out = NULL;
	if (o == NULL || o->plugin_dir == NULL)
		return inn_error_set(INN_EINVAL, "engine: a plugin directory is required");
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	if (o->worker_exe != NULL) {
		snprintf(exe, sizeof(exe), "%s", o->worker_exe);
	} else if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		/* exec /proc/self/exe itself: the very binary that is running,
		 * even after an upgrade replaced the file on disk */
		snprintf(exe, sizeof(exe), "/proc/self/exe");
	} else {
		free(e);
		return inn_error_set(INN_ERROR, "engine: cannot find its own executable: %s",
		                     strerror(errno));
	}
	e->nw = o->workers > 0 ? o->workers : 4;
	/* longer than spawn's own TERM-to-KILL grace (5 s) plus its pipe drain
	 * (1 s): a plugin that stops its program properly is never killed */
	e->kill_grace_ms = o->kill_grace_ms > 0 ? o->kill_grace_ms : 8000;
	e->policy = o->policy;
	e->registry = o->registry;
	e->secrets = o->secrets;
	e->secrets_unavailable = o->secrets_unavailable;
	e->plugin_dir = strdup(o->plugin_dir);
	e->config_file = strdup(o->config_file ? o->config_file : "-");
	e->exe = strdup(exe);
	e->state_root = o->state_root ? strdup(o->state_root) : NULL;
	e->w = calloc((size_t)e->nw, sizeof(*e->w));
	for (n = 0; e->w != NULL && n < e->nw; n++) {
		e->w[n].pidfd = -1;
		inn_buf_init(&e->w[n].fb, FRAME_BUF_MAX);
	}
	if (e->plugin_dir == NULL || e->config_file == NULL || e->exe == NULL ||
	    e->w == NULL || (o->state_root != NULL && e->state_root == NULL)) {
		inn_engine_free(e);
		return inn_error_set(INN_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	*out = e;
	return 0;
}

static void
worker_reap(struct worker *w, int kill_it)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (kill_it)
		worker_kill_children(w);
	if (w->pid > 0) {
		if (kill_it) {
			kill(w->pid, SIGKILL);
			worker_kill_socket_holders(w);
		}
		while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (w->pidfd >= 0)
		close(w->pidfd);
	w->pidfd = -1;
	w->pid = 0;
	w->ready = 0;
	w->sock_ino = 0;
	w->vm_peak = 0;
	inn_buf_free(&w->fb);
}

void
inn_engine_free(inn_engine *e)
{
	int i;

	if (e == NULL)
		return;
	if (e->w != NULL) {
		for (i = 0; i < e->nw; i++) {
			if (e->w[i].pid > 0) {
				/* closing the socket makes an idle worker exit on its own */
				close(e->w[i].fd);
				e->w[i].fd = -1;
				while (waitpid(e->w[i].pid, NULL, 0) < 0 && errno == EINTR)
					;
				e->w[i].pid = 0;
			}
			if (e->w[i].pidfd >= 0)
				close(e->w[i].pidfd);
			inn_buf_free(&e->w[i].fb);
		}
		pthread_mutex_destroy(&e->lock);
		pthread_cond_destroy(&e->cond);
	}
	INN_FREE_ALL(e->w, e->plugin_dir, e->config_file, e->exe, e->state_root);
	free(e);
}

/* Starts worker w (lock held). */
static int
worker_start(inn_engine *e, struct worker *w)
{
	int sv[2];
	char fdarg[16];
	char *argv[6];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct stat st;
	int rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return inn_error_set(INN_ERROR, "cannot create worker socket: %s",
		                     strerror(errno));
	if (sv[1] == 3) {
		/* dup2(3, 3) would leave close-on-exec set */
		int t = fcntl(3, F_DUPFD_CLOEXEC, 4);

		close(3);
		sv[1] = t;
	}
	/* the child's end is dup2'ed to fd 3, which clears CLOEXEC on it */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	/* nothing else of the server (store, listening socket, other workers'
	 * sockets) reaches a worker, whatever its close-on-exec flag */
	posix_spawn_file_actions_addclosefrom_np(&fa, 4);
	/* its own process group: a terminal's Ctrl-C reaches the CLI, which
	 * cancels steps through the protocol instead of killing workers */
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	snprintf(fdarg, sizeof(fdarg), "3");
	argv[0] = e->exe;
	argv[1] = (char *)WORKER_ARG;
	argv[2] = fdarg;
	argv[3] = e->plugin_dir;
	argv[4] = e->config_file;
	argv[5] = NULL;
	rc = posix_spawn(&w->pid, e->exe, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	w->sock_ino = fstat(sv[1], &st) == 0 ? st.st_ino : 0;
	close(sv[1]);
	if (rc != 0) {
		close(sv[0]);
		w->pid = 0;
		return inn_error_set(INN_ERROR, "cannot start worker %s: %s", e->exe,
		                     strerror(rc));
	}
	w->fd = sv[0];
	w->ready = 0;
	w->vm_peak = 0;
	w->pidfd = pidfd_for(w->pid);
	e->started++;
	return 0;
}

/* Waits for the worker's ready frame (its plugins are loaded). */
static int
worker_wait_ready(struct worker *w)
{
	struct pollfd pfd = { w->fd, POLLIN, 0 };
	json_object *o = NULL;
	int waited = 0;

	/* a plugin whose init() hangs must not hang the engine */
	for (;;) {
		int r = inn_frame_take(&w->fb, &o), p;

		if (r == 1)
			break;
		/* in slices: a worker that dies while something it forked keeps
		 * the socket open is noticed by its pid */
		p = r < 0 ? -1 : poll(&pfd, 1, 100);
		if (p == 0 && !worker_exited(w) && (waited += 100) < 30000)
			continue;
		if (p <= 0 || inn_frame_fill(w->fd, &w->fb) <= 0) {
			/* p == 0 here: it exited, or 30 s passed */
			o = NULL;
			return inn_error_set(INN_ERROR, "worker did not become ready within 30 s "
			                     "(a plugin's init() hangs, or the worker died)");
		}
	}
	return worker_ready_frame(w, o);
}

static int
worker_ready_frame(struct worker *w, json_object *o)
{
	const char *op = o ? jstr(o, "op") : NULL;
	int rc = 0;

	if (op != NULL && strcmp(op, "ready") == 0) {
		w->ready = 1;
	} else if (op != NULL && strcmp(op, "fatal") == 0) {
		rc = inn_error_set(INN_ERROR, "worker could not start: %s",
		                   jstr(o, "error") ? jstr(o, "error") : "unknown");
	} else {
		rc = inn_error_set(INN_ERROR, "worker exited before it was ready");
	}
	json_object_put(o);
	return rc;
}

static struct worker *
worker_acquire(inn_engine *e)
{
	struct worker *w = NULL;
	int i;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		for (i = 0; i < e->nw; i++)
			if (!e->w[i].busy && e->w[i].pid > 0) {
				w = &e->w[i];
				break;
			}
		if (w == NULL)
			for (i = 0; i < e->nw; i++)
				if (!e->w[i].busy) {
					w = &e->w[i];
					break;
				}
		if (w != NULL)
			break;
		pthread_cond_wait(&e->cond, &e->lock);
	}
	w->busy = 1;
	pthread_mutex_unlock(&e->lock);
	return w;
}

static void
worker_release(inn_engine *e, struct worker *w)
{
	pthread_mutex_lock(&e->lock);
	w->busy = 0;
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->lock);
}

/* Describes how the worker ended, e.g. "killed by signal 11 (Segmentation fault)". */
static void
describe_exit(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
		         strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "ended");
}

static void
res_fail(inn_pool_res *res, int rc, const char *fmt, ...) INN_PRINTF_LIKE(3, 4);

static void
res_fail(inn_pool_res *res, int rc, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	res->rc = rc;
	free(res->error);
	res->error = strdup(buf);
}

void
inn_pool_res_clear(inn_pool_res *res)
{
	free(res->error);
	json_object_put(res->outputs);
	json_object_put(res->secret_keys);
	memset(res, 0, sizeof(*res));
}

static int
handle_frame(struct worker *w, const inn_pool_req *req, inn_pool_res *res, json_object *o)
{
	const char *op = jstr(o, "op");
	json_object *v;

	if (op == NULL)
		return -1;
	if (strcmp(op, "child") == 0) {
		worker_note_child(w, (int)jint(o, "pgid"), (int)jint(o, "started"));
		return 0;
	}
	if (strcmp(op, "log") == 0) {
		const char *line = jstr(o, "line");

		/* its length, not strlen: a NUL the step printed is part of the line */
		if (line != NULL && req->log != NULL)
			req->log(req->log_ud, (int)jint(o, "level"), (int)jint(o, "stream"), line,
			         (size_t)json_object_get_string_len(json_object_object_get(o, "line")));
		return 0;
	}
	if (strcmp(op, "done") == 0) {
		if (json_object_object_get_ex(o, "retire", &v))
			w->retire = json_object_get_boolean(v);
		res->rc = (int)jint(o, "rc");
		if (jstr(o, "error") != NULL && *jstr(o, "error") != '\0')
			res->error = strdup(jstr(o, "error"));
		if (json_object_object_get_ex(o, "outputs", &v) &&
		    json_object_is_type(v, json_type_object)) {
			json_object_put(res->outputs);
			res->outputs = json_object_get(v);
		}
		if (json_object_object_get_ex(o, "secret_keys", &v) &&
		    json_object_is_type(v, json_type_object)) {
			json_object_put(res->secret_keys);
			res->secret_keys = json_object_get(v);
		}
		return 1;
	}
	return -1;
}

static void
mask_value_add(void *ud, const char *value)
{
	json_object_array_add(ud, json_object_new_string(value));
}

/* The "exec" frame that hands req to a worker. */
static json_object *
exec_frame(const inn_pool_req *req)
{
	json_object *msg = json_object_new_object();

	json_object_object_add(msg, "op", json_object_new_string("exec"));
	json_object_object_add(msg, "type", json_object_new_string(req->type));
	json_object_object_add(msg, "name", json_object_new_string(req->name));
	json_object_object_add(msg, "config", json_object_get(req->config));
	if (req->workspace != NULL)
		json_object_object_add(msg, "workspace", json_object_new_string(req->workspace));
	if (req->state_dir != NULL)
		json_object_object_add(msg, "state_dir", json_object_new_string(req->state_dir));
	if (req->base_dir != NULL)
		json_object_object_add(msg, "base_dir", json_object_new_string(req->base_dir));
	json_object_object_add(msg, "dry_run", json_object_new_boolean(req->dry_run));
	json_object_object_add(msg, "timeout_ms", json_object_new_int64(
	    req->deadline_ms ? (req->deadline_ms - inn_now_ms() > 1 ?
	                        req->deadline_ms - inn_now_ms() : 1) : 0));
	json_object_object_add(msg, "log_max", json_object_new_int64((int64_t)req->log_max));
	if (req->secrets != NULL) {
		/* a copy: the run's object is shared by parallel steps, and json-c
		 * reference counts are not atomic */
		json_object *copy = inn_json_copy(req->secrets);

		if (copy != NULL)
			json_object_object_add(msg, "secrets", copy);
	}
	if (req->masker != NULL) {
		/* the worker masks (and cuts long lines) with the run's secrets */
		json_object *mask = json_object_new_array();

		inn_masker_each_value(req->masker, mask_value_add, mask);
		json_object_object_add(msg, "mask", mask);
	}
	return msg;
}

/* Hands req to w: a live, ready worker (started here when there is none)
 * gets the exec frame.  0, or -1 with res failed and w reaped (the caller
 * releases it). */
static int
step_begin(inn_engine *e, struct worker *w, const inn_pool_req *req, inn_pool_res *res)
{
	json_object *msg;
	int rc = 0;

	if (w->pid > 0 && worker_exited(w))
		worker_reap(w, 1); /* it died while idle (the OOM killer, a kill -9) */
	w->retire = 0;
	w->vm_peak = 0;
	if (w->pid == 0) {
		pthread_mutex_lock(&e->lock);
		rc = worker_start(e, w);
		pthread_mutex_unlock(&e->lock);
		if (rc != 0 || (rc = worker_wait_ready(w)) != 0) {
			res_fail(res, INN_ERROR, "%s", inn_error_last());
			worker_reap(w, 1);
			return -1;
		}
	}
	msg = exec_frame(req);
	rc = inn_frame_send(w->fd, msg);
	json_object_put(msg);
	if (rc != 0) {
		res_fail(res, INN_ERROR, "plugin worker went away before the step started");
		res->crashed = 1;
		worker_reap(w, 1);
		return -1;
	}
	return 0;
}

/* Once the worker process is gone: what it sent before it died still
 * counts.  1 if that held the step's "done". */
static int
drain_dead(struct worker *w, const inn_pool_req *req, inn_pool_res *res)
{
	json_object *o = NULL;
	int k, done = 0;

	for (k = 0; k < 256; k++) {
		struct pollfd q = { w->fd, POLLIN, 0 };

		if (poll(&q, 1, 0) <= 0 || inn_frame_fill(w->fd, &w->fb) <= 0)
			break;
	}
	while (!done && inn_frame_take(&w->fb, &o) == 1) {
		done = handle_frame(w, req, res, o) == 1;
		json_object_put(o);
	}
	return done;
}

/* The worker ended (EOF, a read error, its pid gone) before the step's
 * "done": fails the step naming how the worker ended -- and its memory
 * limit when its peak came near it -- and reaps the worker. */
static void
worker_crashed(struct worker *w, const inn_pool_req *req, inn_pool_res *res,
               uint64_t limit)
{
	int status = 0, k;
	char how[128], mem[160] = "";

	close(w->fd);
	w->fd = -1;
	worker_kill_children(w);
	/* the worker is ending; give it 2 s to say how (an exit status)
	 * before it is killed */
	for (k = 0; k < 200 && !worker_exited(w); k++)
		usleep(10 * 1000);
	if (k == 200)
		kill(w->pid, SIGKILL);
	worker_kill_socket_holders(w);
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	w->pid = 0;
	if (limit > 0 && w->vm_peak + (64u << 20) >= limit) {
		char sz[64];

		inn_policy_format_size(limit, sz, sizeof(sz));
		snprintf(mem, sizeof(mem), "; it had reached its memory limit "
		         "(%s, workflowPolicies.stepMemoryLimit)", sz);
	}
	describe_exit(status, how, sizeof(how));
	res_fail(res, INN_ERROR, "plugin \"%s\" crashed: its worker process "
	         "%s%s", req->type, how, mem);
	res->crashed = 1;
	worker_reap(w, 0);
}

/* Sends "cancel" once the step is cancelled or past its deadline (at
 * *sent_at); -1 with res failed once the plugin has not returned within
 * the kill grace after that. */
static int
step_cancel(inn_engine *e, struct worker *w, const inn_pool_req *req, inn_pool_res *res,
            int64_t now, int64_t *sent_at)
{
	int late = req->deadline_ms > 0 && now >= req->deadline_ms;

	if (*sent_at == 0 && ((req->cancel != NULL && atomic_load(req->cancel)) || late)) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "op", json_object_new_string("cancel"));
		inn_frame_send(w->fd, c);
		json_object_put(c);
		*sent_at = now;
	}
	if (*sent_at > 0 && now - *sent_at > e->kill_grace_ms) {
		res_fail(res, late ? INN_ETIMEOUT : INN_ECANCELLED,
		         "plugin \"%s\" did not return within %lld ms after %s; its "
		         "worker process was killed", req->type,
		         (long long)e->kill_grace_ms,
		         late ? "the step deadline" : "cancellation");
		return -1;
	}
	return 0;
}

int
inn_pool_exec(inn_engine *e, const inn_pool_req *req, inn_pool_res *res)
{
	struct worker *w;
	int64_t cancel_sent_at = 0, now, sampled_at = 0;
	int done = 0;
	uint64_t limit = INN_MEMORY_LIMIT_ENFORCED && e->policy != NULL ?
	    e->policy->step_memory_limit : 0;

	memset(res, 0, sizeof(*res));
	res->outputs = json_object_new_object();
	res->secret_keys = json_object_new_object();
	w = worker_acquire(e);
	if (step_begin(e, w, req, res) != 0) {
		worker_release(e, w);
		return 0;
	}
	while (!done) {
		struct pollfd pfd[2] = { { w->fd, POLLIN, 0 }, { w->pidfd, POLLIN, 0 } };
		json_object *o = NULL;
		int r, died;

		/* drain complete frames first */
		while (!done && (r = inn_frame_take(&w->fb, &o)) == 1) {
			r = handle_frame(w, req, res, o);
			json_object_put(o);
			if (r < 0) {
				res_fail(res, INN_ERROR, "plugin worker sent a malformed message");
				goto kill;
			}
			done = r == 1;
		}
		if (done)
			break;
		if (r < 0) {
			res_fail(res, INN_ERROR, "plugin worker sent a malformed frame");
			goto kill;
		}
		now = inn_now_ms();
		if (step_cancel(e, w, req, res, now, &cancel_sent_at) != 0)
			goto kill;
		if (limit > 0 && now - sampled_at >= 50) {
			/* the worker's peak memory (reset by the worker at each
			 * step), to tell a crash at its memory limit from others */
			uint64_t peak = inn_proc_status_bytes(w->pid, "VmHWM");

			if (peak > w->vm_peak)
				w->vm_peak = peak;
			sampled_at = now;
		}
		r = poll(pfd, w->pidfd >= 0 ? 2 : 1, 50);
		if (r < 0 && errno != EINTR) {
			res_fail(res, INN_ERROR, "poll: %s", strerror(errno));
			goto kill;
		}
		/* The worker's pid, not only the socket: a process the plugin
		 * fork()ed may hold the socket open after the worker died. */
		died = worker_exited(w);
		if (died && drain_dead(w, req, res)) {
			worker_reap(w, 1);
			break;
		} else if (!died && r > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			r = inn_frame_fill(w->fd, &w->fb);
			died = r <= 0;
		}
		if (died) {
			worker_crashed(w, req, res, limit);
			worker_release(e, w);
			return 0;
		}
	}
	if (w->retire)
		worker_reap(w, 1); /* the next step gets a fresh worker */
	worker_release(e, w);
	return 0;
kill:
	res->crashed = 1;
	worker_reap(w, 1);
	worker_release(e, w);
	return 0;
}
