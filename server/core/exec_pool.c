/*
 * exec_pool.c - crash isolation: a pool of long-lived worker processes that
 * load the plugins once and execute steps sent to them over a socketpair.
 *
 * Wire protocol: frames of a 4-byte big-endian length and a JSON object.
 *   engine -> worker  {"op":"exec", type, name, config, workspace, dry_run,
 *                      timeout_ms, secrets, log_max}   {"op":"cancel"}
 *   worker -> engine  {"op":"ready"} | {"op":"fatal", error}
 *                     {"op":"log", level, stream, line}
 *                     {"op":"done", rc, error, outputs, secret_keys}
 * A worker runs one step at a time.  If it dies (segfault, abort, OOM) the
 * step fails with the signal named and the next step gets a fresh worker;
 * if a plugin does not return within kill_grace_ms after its deadline or a
 * cancellation, the worker is killed.  Anything a plugin writes to its own
 * stdout/stderr lands in the step log, under the same cap as host->log.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "exec_int.h"
#include "host.h"
#include "policy.h"

#define FRAME_MAX (16u * 1024 * 1024)

/* A data limit cannot work under AddressSanitizer (its shadow memory is
 * terabytes of private writable mappings): such test builds run without. */
#if defined(__SANITIZE_ADDRESS__)
#define INN_MEMORY_LIMIT_ENFORCED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define INN_MEMORY_LIMIT_ENFORCED 0
#endif
#endif
#ifndef INN_MEMORY_LIMIT_ENFORCED
#define INN_MEMORY_LIMIT_ENFORCED 1
#endif
#define WORKER_ARG "--inn-worker"

extern char **environ;

/* ---- framing ---------------------------------------------------------- */

struct framebuf {
	char *buf;
	size_t len, cap;
};

static void
framebuf_free(struct framebuf *fb)
{
	free(fb->buf);
	memset(fb, 0, sizeof(*fb));
}

/* Writes everything to a socket; a peer that went away is an error
 * (EPIPE), never a SIGPIPE that would end the embedding process. */
static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
frame_send(int fd, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                               JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(s);
	unsigned char hdr[4];

	if (len > FRAME_MAX)
		return -1;
	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
	if (write_all(fd, (const char *)hdr, 4) != 0 || write_all(fd, s, len) != 0)
		return -1;
	return 0;
}

/* Takes one complete frame out of fb: 1 with *out set, 0 if incomplete,
 * -1 on a malformed frame. */
static int
frame_take(struct framebuf *fb, json_object **out)
{
	const unsigned char *u = (const unsigned char *)fb->buf;
	size_t len;
	json_tokener *tok;

	if (fb->len < 4)
		return 0;
	len = ((size_t)u[0] << 24) | ((size_t)u[1] << 16) | ((size_t)u[2] << 8) | u[3];
	if (len > FRAME_MAX)
		return -1;
	if (fb->len < 4 + len)
		return 0;
	tok = json_tokener_new();
	*out = json_tokener_parse_ex(tok, fb->buf + 4, (int)len);
	json_tokener_free(tok);
	memmove(fb->buf, fb->buf + 4 + len, fb->len - 4 - len);
	fb->len -= 4 + len;
	return json_object_is_type(*out, json_type_object) ? 1 : (json_object_put(*out), -1);
}

/* Reads what is available from fd into fb: 1 read something, 0 EOF, -1 error. */
static int
frame_fill(int fd, struct framebuf *fb)
{
	ssize_t n;

	if (fb->cap - fb->len < 65536) {
		size_t ncap = fb->cap ? fb->cap * 2 : 131072;
		char *nb;

		if (ncap > FRAME_MAX + 65536 + 4)
			ncap = FRAME_MAX + 65536 + 4;
		if (ncap <= fb->len || (nb = realloc(fb->buf, ncap)) == NULL)
			return -1;
		fb->buf = nb;
		fb->cap = ncap;
	}
	do
		n = read(fd, fb->buf + fb->len, fb->cap - fb->len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	fb->len += (size_t)n;
	return 1;
}

/* Blocking: the next frame, or NULL at EOF / error. */
static json_object *
frame_recv(int fd, struct framebuf *fb)
{
	for (;;) {
		json_object *o = NULL;
		int r = frame_take(fb, &o);

		if (r == 1)
			return o;
		if (r < 0 || frame_fill(fd, fb) <= 0)
			return NULL;
	}
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t
jint(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* ---- the engine side -------------------------------------------------- */

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
	struct framebuf fb;
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

/* A /proc/PID/status field in kB, as bytes; 0 when unknown. */
static uint64_t
proc_status_bytes(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	uint64_t v = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			v = strtoull(line + flen + 1, NULL, 10) * 1024;
			break;
		}
	fclose(fp);
	return v;
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
	e->plugin_dir = strdup(o->plugin_dir);
	e->config_file = strdup(o->config_file ? o->config_file : "-");
	e->exe = strdup(exe);
	e->state_root = o->state_root ? strdup(o->state_root) : NULL;
	e->w = calloc((size_t)e->nw, sizeof(*e->w));
	for (n = 0; e->w != NULL && n < e->nw; n++)
		e->w[n].pidfd = -1;
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
	framebuf_free(&w->fb);
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
			framebuf_free(&e->w[i].fb);
		}
		pthread_mutex_destroy(&e->lock);
		pthread_cond_destroy(&e->cond);
	}
	free(e->w);
	free(e->plugin_dir);
	free(e->config_file);
	free(e->exe);
	free(e->state_root);
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
		int r = frame_take(&w->fb, &o), p;

		if (r == 1)
			break;
		/* in slices: a worker that dies while something it forked keeps
		 * the socket open is noticed by its pid */
		p = r < 0 ? -1 : poll(&pfd, 1, 100);
		if (p == 0 && !worker_exited(w) && (waited += 100) < 30000)
			continue;
		if (p <= 0 || frame_fill(w->fd, &w->fb) <= 0) {
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

int
inn_pool_exec(inn_engine *e, const inn_pool_req *req, inn_pool_res *res)
{
	struct worker *w;
	json_object *msg;
	int64_t cancel_sent_at = 0, now, sampled_at = 0;
	int done = 0, rc = 0;
	uint64_t limit = INN_MEMORY_LIMIT_ENFORCED && e->policy != NULL ?
	    e->policy->step_memory_limit : 0;

	memset(res, 0, sizeof(*res));
	res->outputs = json_object_new_object();
	res->secret_keys = json_object_new_object();
	w = worker_acquire(e);
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
			worker_release(e, w);
			return 0;
		}
	}
	msg = json_object_new_object();
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
		json_object *copy = NULL;

		if (json_object_deep_copy(req->secrets, &copy, NULL) == 0)
			json_object_object_add(msg, "secrets", copy);
	}
	if (req->masker != NULL) {
		/* the worker masks (and cuts long lines) with the run's secrets */
		json_object *mask = json_object_new_array();

		inn_masker_each_value(req->masker, mask_value_add, mask);
		json_object_object_add(msg, "mask", mask);
	}
	if (frame_send(w->fd, msg) != 0) {
		json_object_put(msg);
		res_fail(res, INN_ERROR, "plugin worker went away before the step started");
		res->crashed = 1;
		worker_reap(w, 1);
		worker_release(e, w);
		return 0;
	}
	json_object_put(msg);

	while (!done) {
		struct pollfd pfd[2] = { { w->fd, POLLIN, 0 }, { w->pidfd, POLLIN, 0 } };
		json_object *o = NULL;
		int r, died;

		/* drain complete frames first */
		while (!done && (r = frame_take(&w->fb, &o)) == 1) {
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
		if (cancel_sent_at == 0 &&
		    ((req->cancel != NULL && atomic_load(req->cancel)) ||
		     (req->deadline_ms > 0 && now >= req->deadline_ms))) {
			json_object *c = json_object_new_object();

			json_object_object_add(c, "op", json_object_new_string("cancel"));
			frame_send(w->fd, c);
			json_object_put(c);
			cancel_sent_at = now;
		}
		if (cancel_sent_at > 0 && now - cancel_sent_at > e->kill_grace_ms) {
			res_fail(res, req->deadline_ms > 0 && now >= req->deadline_ms ?
			         INN_ETIMEOUT : INN_ECANCELLED,
			         "plugin \"%s\" did not return within %lld ms after %s; its "
			         "worker process was killed", req->type,
			         (long long)e->kill_grace_ms,
			         req->deadline_ms > 0 && now >= req->deadline_ms ?
			         "the step deadline" : "cancellation");
			goto kill;
		}
		if (limit > 0 && now - sampled_at >= 50) {
			/* the worker's peak memory (reset by the worker at each
			 * step), to tell a crash at its memory limit from others */
			uint64_t peak = proc_status_bytes(w->pid, "VmHWM");

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
		if (died) {
			int k;

			/* what it sent before it died still counts */
			for (k = 0; k < 256; k++) {
				struct pollfd q = { w->fd, POLLIN, 0 };

				if (poll(&q, 1, 0) <= 0 || frame_fill(w->fd, &w->fb) <= 0)
					break;
			}
			while (!done && frame_take(&w->fb, &o) == 1) {
				done = handle_frame(w, req, res, o) == 1;
				json_object_put(o);
			}
			if (done) {
				worker_reap(w, 1);
				break;
			}
		} else if (r > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			r = frame_fill(w->fd, &w->fb);
			died = r <= 0;
		}
		if (died) {
			int status = 0, k;
			char how[128], mem[160] = "";

			close(w->fd);
			w->fd = -1;
			worker_kill_children(w);
			/* EOF or a read error: the worker is ending; give it 2 s to
			 * say how (an exit status) before it is killed */
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

/* ---- the worker process ----------------------------------------------- */

struct wstate {
	int fd;
	pthread_cond_t qcond;      /* a request arrived / we are shutting down */
	json_object *pending;      /* the next request, handed to the exec thread */
	int busy;                  /* a request is being executed */
	int cancel_early;          /* a cancel came before the step existed */
	int quit;
	pthread_mutex_t wlock;     /* frame writes */
	pthread_mutex_t slock;     /* current step */
	inn_step *step;
	json_object *req;
	int err_fd;                /* the real stderr, for messages outside steps */
	int stdio_rd;              /* read end of the plugins' stdout/stderr pipe */
	size_t dropped;            /* plugin output bytes seen outside any step */
	char last_error[512];      /* the step's last error-level log line (masked) */
	inn_registry *reg;
	uint64_t mem_limit;        /* RLIMIT_DATA in force, 0: none */
	int subreaper;             /* orphans of steps are reparented to us */
};

static struct wstate W;

static void
w_log(void *ud, const inn_step *step, int level, int stream, const char *line,
      size_t len)
{
	json_object *o = json_object_new_object();

	(void)ud;
	(void)step;
	json_object_object_add(o, "op", json_object_new_string("log"));
	json_object_object_add(o, "level", json_object_new_int(level));
	json_object_object_add(o, "stream", json_object_new_int(stream));
	json_object_object_add(o, "line", json_object_new_string_len(line, (int)len));
	pthread_mutex_lock(&W.wlock);
	if (level >= INN_LOG_ERROR && stream == INN_STREAM_HOST)
		snprintf(W.last_error, sizeof(W.last_error), "%.*s", (int)len, line);
	frame_send(W.fd, o);
	pthread_mutex_unlock(&W.wlock);
	json_object_put(o);
}

static int
w_secret(void *ud, const char *name, const char **value)
{
	json_object *secrets = ud, *v;

	if (secrets == NULL || !json_object_object_get_ex(secrets, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return INN_ENOTFOUND;
	*value = json_object_get_string(v);
	return 0;
}

/* Reports a process group this worker started or reaped (spawn hook). */
static void
w_child_hook(int pgid, int started)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string("child"));
	json_object_object_add(o, "pgid", json_object_new_int(pgid));
	json_object_object_add(o, "started", json_object_new_int(started));
	pthread_mutex_lock(&W.wlock);
	frame_send(W.fd, o);
	pthread_mutex_unlock(&W.wlock);
	json_object_put(o);
}

/* Hands one line a plugin printed to the current step's log (capped and
 * masked like host->log), or to the real stderr between steps. */
static void
w_stdio_emit(const char *line, size_t len)
{
	pthread_mutex_lock(&W.slock);
	if (W.step != NULL) {
		inn_step_log_line(W.step, INN_LOG_INFO, INN_STREAM_STDOUT, line, len);
	} else {
		/* outside a step there is no masker for it: never pass it on raw */
		W.dropped += len;
	}
	pthread_mutex_unlock(&W.slock);
}

/* Forwards what plugins print on fd 1/2 into the step log, line by line
 * with a bounded buffer (a longer line is cut into pieces). */
static void *
w_stdio_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char line[INN_LOG_LINE_MAX];
	size_t used = 0, start, i;

	for (;;) {
		ssize_t n = read(fd, line + used, sizeof(line) - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		start = 0;
		for (i = 0; i < used; i++) {
			if (line[i] == '\n') {
				w_stdio_emit(line + start, i - start);
				start = i + 1;
			}
		}
		if (start == 0 && used == sizeof(line)) {
			/* a full buffer is cut where no secret straddles the cut */
			size_t cut;

			pthread_mutex_lock(&W.slock);
			cut = W.step != NULL ? inn_masker_cut(inn_step_masker(W.step), line, used)
			                     : used;
			pthread_mutex_unlock(&W.slock);
			w_stdio_emit(line, cut);
			start = cut;
		}
		memmove(line, line + start, used - start);
		used -= start;
	}
	return NULL;
}

static void
w_send_simple(const char *op, const char *error)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(op));
	if (error != NULL)
		json_object_object_add(o, "error", json_object_new_string(error));
	pthread_mutex_lock(&W.wlock);
	frame_send(W.fd, o);
	pthread_mutex_unlock(&W.wlock);
	json_object_put(o);
}

/* Executes one request (on the exec thread). */
static void w_exec_one(json_object *req);

/* Our own children as listed in /proc (the ppid field of each stat file);
 * fills pids (at most max) and returns how many, alive[i] 0 for zombies. */
static int
w_list_children(pid_t *pids, int *alive, int max)
{
	char path[300], buf[512];
	pid_t self = getpid();
	DIR *proc;
	struct dirent *d;
	int n = 0;

	if ((proc = opendir("/proc")) == NULL)
		return 0;
	while (n < max && (d = readdir(proc)) != NULL) {
		char *rp, state;
		int ppid, fd;
		ssize_t len;

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.200s/stat", d->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		/* "pid (comm) S ppid ...": comm may hold anything, so from the last ')' */
		if ((rp = strrchr(buf, ')')) == NULL ||
		    sscanf(rp + 1, " %c %d", &state, &ppid) != 2 || ppid != (int)self)
			continue;
		pids[n] = (pid_t)strtol(d->d_name, NULL, 10);
		alive[n++] = state != 'Z' && state != 'X';
	}
	closedir(proc);
	return n;
}

/*
 * Ends what a step left behind: the worker is a child subreaper, so every
 * process the step started and did not wait for -- a double-forked daemon,
 * a fork() of the plugin, a zombie -- is a child of ours once its parents
 * are gone.  Kills them all (their children become ours in turn, until
 * none is left) and reaps them.  Runs between steps only, when no spawn
 * waits for a child of ours.  Returns how many live processes it killed.
 */
static int
w_sweep_children(void)
{
	pid_t pids[256], seen[256];
	int alive[256], nseen = 0, killed = 0, round, n, i, j;
	siginfo_t si;

	for (round = 0; round < 500; round++) {
		memset(&si, 0, sizeof(si));
		/* cheap check first: no child at all (the usual case) */
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD)
			break;
		n = w_list_children(pids, alive, 256);
		for (i = 0; i < n; i++) {
			if (!alive[i])
				continue;
			kill(pids[i], SIGKILL);
			for (j = 0; j < nseen && seen[j] != pids[i]; j++)
				;
			if (j == nseen) {
				killed++;
				if (nseen < 256)
					seen[nseen++] = pids[i];
			}
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (n == 0)
			break; /* zombies only (reaped above), or no /proc */
		usleep(1000);
	}
	/* reap what is left without blocking */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return killed;
}

/* Resets our peak resident size (VmHWM) so it measures one step. */
static void
w_reset_peak(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, "5", 1) != 1) {
			/* a kernel before 4.0: the peak then spans the worker's life */
		}
		close(fd);
	}
}

/* Count of our open descriptors (Linux /proc), or -1. */
static int
w_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

/* The worker's one long-lived execution thread: waits for a request from
 * the main thread (which keeps reading the socket for cancellations) and
 * runs it.  No thread is created per step. */
static void *
w_exec_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&W.slock);
	for (;;) {
		json_object *req;

		while (W.pending == NULL && !W.quit)
			pthread_cond_wait(&W.qcond, &W.slock);
		if (W.pending == NULL)
			break;
		req = W.pending;
		W.pending = NULL;
		W.busy = 1;
		pthread_mutex_unlock(&W.slock);
		w_exec_one(req);
		pthread_mutex_lock(&W.slock);
		W.busy = 0;
	}
	pthread_mutex_unlock(&W.slock);
	return NULL;
}

static void
w_exec_one(json_object *req)
{
	json_object *cfg = NULL, *secrets = NULL, *done;
	const inn_plugin *p;
	inn_step_opts so;
	inn_step *step = NULL;
	const char *type = jstr(req, "type"), *name = jstr(req, "name");
	int64_t timeout = jint(req, "timeout_ms");
	int rc, left = 0, fds, retire = 0;
	uint64_t peak;
	struct rlimit rl;
	char err[1024] = "";

	memset(&so, 0, sizeof(so));
	json_object_object_get_ex(req, "config", &cfg);
	json_object_object_get_ex(req, "secrets", &secrets);
	so.type = type ? type : "";
	so.name = name ? name : "";
	so.config = cfg;
	so.workspace = jstr(req, "workspace");
	so.state_dir = jstr(req, "state_dir");
	so.base_dir = jstr(req, "base_dir");
	so.dry_run = json_object_get_boolean(json_object_object_get(req, "dry_run"));
	so.deadline_ms = timeout > 0 ? inn_now_ms() + timeout : 0;
	so.log = w_log;
	so.log_max_bytes = (size_t)jint(req, "log_max");
	so.secret = w_secret;
	so.secret_ud = secrets;
	p = type ? inn_registry_find(W.reg, type) : NULL;
	if (p == NULL) {
		rc = INN_EINVAL;
		snprintf(err, sizeof(err), "no plugin provides step type \"%s\" in this worker",
		         type ? type : "");
	} else if ((rc = inn_step_new(&step, &so)) != 0) {
		snprintf(err, sizeof(err), "%s", inn_error_last());
	} else {
		json_object *mask;

		if (json_object_object_get_ex(req, "mask", &mask) &&
		    json_object_is_type(mask, json_type_array)) {
			size_t i, n = json_object_array_length(mask);

			for (i = 0; i < n; i++)
				inn_masker_add(inn_step_masker(step), json_object_get_string(
				    json_object_array_get_idx(mask, i)));
		}
		pthread_mutex_lock(&W.slock);
		W.step = step;
		if (W.cancel_early)
			inn_step_cancel(step);
		pthread_mutex_unlock(&W.slock);
		inn_error_clear();
		pthread_mutex_lock(&W.wlock);
		W.last_error[0] = '\0';
		pthread_mutex_unlock(&W.wlock);
		if (W.mem_limit > 0)
			w_reset_peak();
		rc = p->desc.execute(p->state, inn_host_table(), step);
		/* Why it failed, for the step's message: what the plugin last logged
		 * as an error (already masked), else the last host error. */
		pthread_mutex_lock(&W.wlock);
		if (rc != 0)
			snprintf(err, sizeof(err), "%s", W.last_error[0] ? W.last_error
			                                                  : inn_error_last());
		pthread_mutex_unlock(&W.wlock);
		fflush(stdout);
		fflush(stderr);
		/* let the stdio thread hand what the plugin printed to this step
		 * before the step goes away */
		{
			int i, waited = 0;

			for (i = 0; i < 50 && W.stdio_rd >= 0; i++) {
				if (ioctl(W.stdio_rd, FIONREAD, &left) != 0 || left == 0)
					break;
				usleep(1000);
				waited = 1;
			}
			if (waited)
				usleep(1000); /* the last read may still be on its way */
		}
		if ((left = w_sweep_children()) > 0) {
			char m[128];
			int len = snprintf(m, sizeof(m), "killed %d process%s left behind by "
			                   "the step", left, left == 1 ? "" : "es");

			inn_step_log_line(step, INN_LOG_WARN, INN_STREAM_HOST, m, (size_t)len);
		}
		peak = W.mem_limit > 0 ? proc_status_bytes(getpid(), "VmHWM") : 0;
		if (rc != 0 && W.mem_limit > 0 && peak + (64u << 20) >= W.mem_limit) {
			char sz[64], tmp[sizeof(err)];

			inn_policy_format_size(W.mem_limit, sz, sizeof(sz));
			snprintf(tmp, sizeof(tmp), "%s", err);
			snprintf(err, sizeof(err), "the step exceeded its memory limit (%s, "
			         "workflowPolicies.stepMemoryLimit): %.800s", sz, tmp);
		}
		/* a worker that grew, or that a plugin left short of descriptors,
		 * is replaced rather than handed the next step */
		fds = w_open_fds();
		if ((fds < 0 && errno == EMFILE) || (W.mem_limit > 0 && peak >= W.mem_limit / 2) ||
		    (fds >= 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		     rl.rlim_cur != RLIM_INFINITY && (rlim_t)fds > rl.rlim_cur / 2))
			retire = 1;
	}
	done = json_object_new_object();
	json_object_object_add(done, "op", json_object_new_string("done"));
	json_object_object_add(done, "rc", json_object_new_int(rc));
	json_object_object_add(done, "error", json_object_new_string(err));
	if (retire)
		json_object_object_add(done, "retire", json_object_new_boolean(1));
	if (step != NULL) {
		json_object *outs = inn_step_outputs(step), *keys = json_object_new_object();

		json_object_object_foreach(outs, k, v) {
			(void)v;
			if (inn_step_output_is_secret(step, k))
				json_object_object_add(keys, k, json_object_new_boolean(1));
		}
		json_object_object_add(done, "outputs", json_object_get(outs));
		json_object_object_add(done, "secret_keys", keys);
	}
	pthread_mutex_lock(&W.slock);
	W.step = NULL;
	pthread_mutex_unlock(&W.slock);
	pthread_mutex_lock(&W.wlock);
	if (frame_send(W.fd, done) != 0) {
		/* too big to send (or a write error): say so in a frame that fits */
		json_object *small = json_object_new_object();

		json_object_object_add(small, "op", json_object_new_string("done"));
		json_object_object_add(small, "rc", json_object_new_int(INN_ETOOBIG));
		json_object_object_add(small, "error", json_object_new_string(
		    "the step's result (outputs) is too large to report"));
		frame_send(W.fd, small);
		json_object_put(small);
	}
	pthread_mutex_unlock(&W.wlock);
	json_object_put(done);
	inn_step_free(step);
	json_object_put(req);
}

/*
 * Containment of everything this worker and its steps run:
 *  - a child subreaper, so what a step leaves behind becomes ours to end
 *    (w_sweep_children) instead of init's;
 *  - oom_score_adj 500, inherited by step programs: when the host runs out
 *    of memory, the kernel's OOM killer picks a worker or a step before
 *    the server (0);
 *  - RLIMIT_DATA at workflowPolicies.stepMemoryLimit, inherited by every
 *    program a step runs (a per-process bound: each program gets the whole
 *    limit).  It counts private writable memory (heap, anonymous maps),
 *    not address space merely reserved: RLIMIT_AS would break Go programs
 *    such as terraform, which reserve far more than they use.  Failed
 *    allocations show up as the program's own error (MemoryError, "out of
 *    memory"); the step message names the limit when the worker itself
 *    reached it.
 * No process-count limit: RLIMIT_NPROC counts per user id (all the
 * server's threads and processes) and is ignored for root, and cgroups are
 * not used (see README, "Containment of steps").
 */
static void
w_contain(const inn_policy *pol)
{
	uint64_t limit = pol != NULL ? pol->step_memory_limit : 0;
	int fd;

#ifdef PR_SET_CHILD_SUBREAPER
	W.subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
#endif
	if ((fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC)) >= 0) {
		if (write(fd, "500", 3) != 3) {
			/* not fatal: a kernel without it, or a read-only /proc */
		}
		close(fd);
	}
	if (limit == 0)
		return;
	if (!INN_MEMORY_LIMIT_ENFORCED) {
		if (limit == INN_STEP_MEMORY_DEFAULT)
			return; /* not asked for explicitly: no noise in test logs */
		static const char note[] = "innominatus worker: workflowPolicies."
		    "stepMemoryLimit is not enforced in this AddressSanitizer build\n";

		if (W.err_fd >= 0 && write(W.err_fd, note, sizeof(note) - 1) < 0) {
			/* nowhere else to say it */
		}
		return;
	}
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_DATA, &rl) == 0 &&
		    (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (rlim_t)limit)) {
			rl.rlim_cur = rl.rlim_max = (rlim_t)limit;
			if (setrlimit(RLIMIT_DATA, &rl) == 0)
				W.mem_limit = limit;
		}
	}
}

static int
worker_main(int fd, const char *plugin_dir, const char *config)
{
	inn_policy *pol = NULL;
	struct framebuf fb = { NULL, 0, 0 };
	pthread_t exec_tid, io_tid;
	int pfd[2];
	json_object *req;

	memset(&W, 0, sizeof(W));
	W.fd = fd;
	/* dup2 in the spawn cleared close-on-exec: set it again before any
	 * plugin can start a program that would inherit the engine socket */
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	inn_spawn_child_hook = w_child_hook;
	pthread_mutex_init(&W.wlock, NULL);
	pthread_mutex_init(&W.slock, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* No PR_SET_PDEATHSIG: it fires when the spawning *thread* exits.  A
	 * worker notices its engine is gone by EOF on the socket instead. */
	/* Plugin prints go to the step log, not to the embedding process. */
	W.err_fd = dup(2);
	if (W.err_fd >= 0)
		fcntl(W.err_fd, F_SETFD, FD_CLOEXEC);
	W.stdio_rd = -1;
	if (pipe2(pfd, O_CLOEXEC) == 0) {
		W.stdio_rd = pfd[0];
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[1]);
		setvbuf(stdout, NULL, _IOLBF, 0);
		if (pthread_create(&io_tid, NULL, w_stdio_thread, (void *)(intptr_t)pfd[0]) == 0)
			pthread_detach(io_tid);
	}
	if (strcmp(config, "-") == 0 ? inn_policy_default(&pol) != 0
	                             : inn_policy_load(&pol, config, 0) != 0) {
		w_send_simple("fatal", inn_error_last());
		return 1;
	}
	w_contain(pol);
	if (inn_registry_load(&W.reg, plugin_dir, pol, inn_host_table()) != 0) {
		w_send_simple("fatal", inn_error_last());
		inn_policy_free(pol);
		return 1;
	}
	pthread_cond_init(&W.qcond, NULL);
	if (pthread_create(&exec_tid, NULL, w_exec_thread, NULL) != 0) {
		w_send_simple("fatal", "cannot start the execution thread");
		return 1;
	}
	w_send_simple("ready", NULL);
	while ((req = frame_recv(fd, &fb)) != NULL) {
		const char *op = jstr(req, "op");

		pthread_mutex_lock(&W.slock);
		if (op != NULL && strcmp(op, "exec") == 0 && W.pending == NULL) {
			/* the exec thread takes it as soon as the previous step has
			 * finished (its "done" may already be on the wire); a cancel
			 * arriving from now on is for this request */
			W.pending = req;
			W.cancel_early = 0;
			pthread_cond_signal(&W.qcond);
			pthread_mutex_unlock(&W.slock);
			continue;
		}
		if (op != NULL && strcmp(op, "cancel") == 0) {
			if (W.step != NULL)
				inn_step_cancel(W.step);
			else
				W.cancel_early = 1;
		}
		pthread_mutex_unlock(&W.slock);
		json_object_put(req);
	}
	/* EOF: the engine is gone or done with us.  A step still running is
	 * cancelled; one that ignores cancellation does not keep us alive. */
	{
		int waited;

		pthread_mutex_lock(&W.slock);
		W.quit = 1;
		if (W.step != NULL)
			inn_step_cancel(W.step);
		pthread_cond_signal(&W.qcond);
		pthread_mutex_unlock(&W.slock);
		for (waited = 0; waited < 100; waited++) {
			int busy;

			pthread_mutex_lock(&W.slock);
			busy = W.busy || W.pending != NULL;
			pthread_mutex_unlock(&W.slock);
			if (!busy)
				break;
			usleep(100 * 1000);
		}
		if (waited == 100)
			_exit(1);
		pthread_join(exec_tid, NULL);
	}
	framebuf_free(&fb);
	inn_registry_free(W.reg);
	inn_policy_free(pol);
	return 0;
}

int
inn_worker_maybe_main(int argc, char **argv)
{
	char *end;
	long fd;

	if (argc < 2 || strcmp(argv[1], WORKER_ARG) != 0)
		return -1;
	if (argc != 5) {
		fprintf(stderr, "%s: usage: %s FD PLUGIN_DIR CONFIG|- (internal)\n", argv[0],
		        WORKER_ARG);
		return 2;
	}
	fd = strtol(argv[2], &end, 10);
	if (*end != '\0' || fd < 0 || fd > 1024)
		return 2;
	return worker_main((int)fd, argv[3], argv[4]);
}
