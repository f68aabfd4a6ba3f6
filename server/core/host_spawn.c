/*
 * host_spawn.c - host->spawn: runs a program for a step in its own process
 * group with an environment built from scratch, streams its stdout/stderr
 * line by line into the step log (or captures stdout, bounded), and ends the
 * whole group with TERM then KILL on cancellation, on the deadline, and when
 * the main process exits leaving background jobs behind.
 *
 * No signal handlers and no globals: several spawns may run at once from
 * different threads.  Child exit is watched through a pidfd where the kernel
 * has one, otherwise by a short waitid(WNOHANG) tick.  The child is never
 * reaped before its group has been killed, so its pid (= pgid) cannot be
 * reused while we still signal the group.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "error.h"

extern char **environ;

#define SPAWN_GRACE_DEFAULT_MS   5000
#define SPAWN_CAPTURE_DEFAULT    (1024u * 1024)
/* How long background jobs left behind by a finished program get after TERM. */
#define SPAWN_LEFTOVER_GRACE_MS  1000
/* How long we keep reading pipes after the group is gone (a process outside
 * the group may still hold them). */
#define SPAWN_DRAIN_MS           1000
/* Exit poll period when there is no pidfd. */
#define SPAWN_TICK_MS            50

/* Does field f of a struct of type T fit in a struct_size of sz? */
#define INN_FITS(T, f, sz) \
	(offsetof(T, f) + sizeof(((T *)0)->f) <= (size_t)(sz))

/* One output stream: its pipe and its partial line. */
struct spawn_stream {
	int fd;                 /* read end, -1 once at EOF */
	int stream;             /* INN_STREAM_STDOUT / INN_STREAM_STDERR */
	char *line;             /* INN_LOG_LINE_MAX bytes */
	size_t len;
	int chunked;            /* the last emission was a forced chunk */
	const inn_spawn_opts *o;/* before_log: called before lines are logged */
};

/* Bounded stdout capture. */
struct spawn_capture {
	int on;
	size_t max;
	char *buf;
	size_t len, cap;
	int truncated;
	int oom;
};

/* An environment under construction: "NAME=value" strings, one per name. */
struct spawn_env {
	char **v;
	size_t n, cap;
};

static size_t
env_name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');

	return eq ? (size_t)(eq - entry) : strlen(entry);
}

/* Adds "NAME=value" (copied), replacing an entry with the same name.
 * Returns 0 or INN_ENOMEM. */
static int
env_put(struct spawn_env *env, const char *entry)
{
	size_t nlen = env_name_len(entry), i;
	char *copy, **nv;

	if ((copy = strdup(entry)) == NULL)
		return INN_ENOMEM;
	for (i = 0; i < env->n; i++) {
		if (env_name_len(env->v[i]) == nlen &&
		    strncmp(env->v[i], entry, nlen) == 0) {
			free(env->v[i]);
			env->v[i] = copy;
			return 0;
		}
	}
	if ((nv = inn_array_reserve(env->v, &env->cap, env->n + 2, sizeof(*nv), 32)) == NULL) {
		free(copy);
		return INN_ENOMEM;
	}
	env->v = nv;
	env->v[env->n++] = copy;
	env->v[env->n] = NULL;
	return 0;
}

/* Copies the host's value of each name in names (if set) into env. */
static int
env_pass(struct spawn_env *env, const char *const *names)
{
	size_t i, nlen;
	char **e;
	int rc;

	if (names == NULL)
		return 0;
	for (i = 0; names[i] != NULL; i++) {
		nlen = strlen(names[i]);
		if (nlen == 0 || strchr(names[i], '=') != NULL)
			continue;
		for (e = environ; e != NULL && *e != NULL; e++) {
			if (strncmp(*e, names[i], nlen) == 0 && (*e)[nlen] == '=') {
				if ((rc = env_put(env, *e)) != 0)
					return rc;
				break;
			}
		}
	}
	return 0;
}

static void
env_free(struct spawn_env *env)
{
	inn_strv_free(env->v, env->n);
}

/*
 * Builds the child's environment: the step's allow-list (unless
 * INN_SPAWN_NO_DEFAULT_ENV), then opts->env_allow, both copied from the
 * host's environment, then opts->env entries; later names win.  Returns 0
 * or INN_ENOMEM / INN_EINVAL (an env entry without '=').
 */
static int
env_build(struct spawn_env *env, inn_step *step, const inn_spawn_opts *o)
{
	size_t i;
	int rc;

	if (!(o->flags & INN_SPAWN_NO_DEFAULT_ENV) &&
	    (rc = env_pass(env, inn_step_env_allow(step))) != 0)
		return rc;
	if ((rc = env_pass(env, o->env_allow)) != 0)
		return rc;
	for (i = 0; o->env != NULL && o->env[i] != NULL; i++) {
		const char *eq = strchr(o->env[i], '=');

		if (eq == NULL || eq == o->env[i])
			return inn_error_set(INN_EINVAL, "spawn %s: environment entry "
			                     "\"%.64s\" is not NAME=value", o->argv[0],
			                     o->env[i]);
		if ((rc = env_put(env, o->env[i])) != 0)
			return rc;
	}
	return 0;
}

/* Hands the complete part of a stream's buffer to the step log, one line
 * per call; a line that fills the whole buffer goes out as a chunk.  With
 * final, the remaining partial line is emitted too. */
static void
stream_flush(inn_step *step, struct spawn_stream *s, int final)
{
	size_t start = 0, i;

	/* The plugin registers what the program published up to now (a
	 * secret output), so these lines are masked with it: the program
	 * wrote it before it printed any line read after it. */
	if (s->len > 0 && s->o != NULL && s->o->before_log != NULL)
		s->o->before_log(step, s->o->before_log_ud);
	/* A newline right after a forced chunk ends that chunk's line. */
	if (s->chunked && s->len > 0) {
		if (s->line[0] == '\n')
			start = 1;
		s->chunked = 0;
	}
	for (i = start; i < s->len; i++) {
		if (s->line[i] == '\n') {
			inn_step_log_line(step, INN_LOG_INFO, s->stream,
			                  s->line + start, i - start);
			start = i + 1;
		}
	}
	if (start == 0 && s->len == INN_LOG_LINE_MAX) {
		/* cut where no secret straddles the cut (masking is per piece) */
		size_t cut = inn_masker_cut(inn_step_masker(step), s->line, s->len);

		inn_step_log_line(step, INN_LOG_INFO, s->stream, s->line, cut);
		start = cut;
		s->chunked = 1;
	} else if (final && start < s->len) {
		inn_step_log_line(step, INN_LOG_INFO, s->stream, s->line + start,
		                  s->len - start);
		start = s->len;
	}
	if (start > 0) {
		memmove(s->line, s->line + start, s->len - start);
		s->len -= start;
	}
}

/* Appends to the capture; past cap->max the data is dropped and truncated
 * set, but the caller keeps draining so the child never blocks. */
static void
capture_add(struct spawn_capture *cap, const char *data, size_t n)
{
	size_t room, want;

	if (cap->len >= cap->max) {
		if (n > 0)
			cap->truncated = 1;
		return;
	}
	room = cap->max - cap->len;
	if (n > room) {
		cap->truncated = 1;
		n = room;
	}
	if (cap->len + n + 1 > cap->cap) {
		char *nb;

		want = cap->cap ? cap->cap : 4096;
		while (want < cap->len + n + 1)
			want *= 2;
		if (want > cap->max + 1)
			want = cap->max + 1;
		if ((nb = realloc(cap->buf, want)) == NULL) {
			cap->oom = 1;
			cap->truncated = 1;
			cap->max = cap->len;
			return;
		}
		cap->buf = nb;
		cap->cap = want;
	}
	memcpy(cap->buf + cap->len, data, n);
	cap->len += n;
	cap->buf[cap->len] = '\0';
}

/*
 * Reads once from a ready stream: stdout into the capture when capturing,
 * otherwise into the line buffer and on to the log.  Closes the fd at EOF
 * or on a read error.
 */
static void
stream_read(inn_step *step, struct spawn_stream *s, struct spawn_capture *cap)
{
	ssize_t n;

	if (s->fd < 0)
		return;
	if (cap != NULL) {
		char buf[8192];

		do
			n = read(s->fd, buf, sizeof(buf));
		while (n < 0 && errno == EINTR);
		if (n > 0)
			capture_add(cap, buf, (size_t)n);
	} else {
		do
			n = read(s->fd, s->line + s->len, INN_LOG_LINE_MAX - s->len);
		while (n < 0 && errno == EINTR);
		if (n > 0) {
			s->len += (size_t)n;
			stream_flush(step, s, 0);
		}
	}
	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		close(s->fd);
		s->fd = -1;
		if (cap == NULL)
			stream_flush(step, s, 1);
	}
}

/* Writes to the child's stdin without letting a closed pipe raise SIGPIPE
 * in the host: SIGPIPE is blocked for this thread and a pending one we
 * caused is consumed.  Returns write()'s result. */
static ssize_t
write_nosigpipe(int fd, const char *buf, size_t len)
{
	sigset_t pipeset, oldset, pending;
	int was_pending;
	ssize_t n;
	int saved;

	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipeset, &oldset);
	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	saved = errno;
	if (n < 0 && errno == EPIPE && !was_pending) {
		struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipeset, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &oldset, NULL);
	errno = saved;
	return n;
}

static int
pidfd_open_compat(pid_t pid)
{
#ifdef SYS_pidfd_open
	long fd = syscall(SYS_pidfd_open, pid, 0);

	if (fd >= 0) {
		int cfd = (int)fd;

		/* pidfds are close-on-exec by kernel rule; be explicit anyway. */
		fcntl(cfd, F_SETFD, FD_CLOEXEC);
		return cfd;
	}
#else
	(void)pid;
#endif
	return -1;
}

/* Non-zero once pid has exited; it is left unreaped (WNOWAIT). */
static int
child_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
		if (errno != EINTR)
			return errno == ECHILD; /* already gone: nothing to wait for */
	}
	return si.si_pid == pid;
}

static int64_t
min_deadline(int64_t a, int64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

/* Milliseconds from now until t (>= 0), clamped for poll(). */
static int
ms_until(int64_t t, int64_t now)
{
	int64_t d = t - now;

	if (d < 0)
		return 0;
	if (d > 60 * 1000)
		return 60 * 1000;
	return (int)d;
}

/*
 * Looks a bare program name up in the host's PATH, as posix_spawnp will.
 * Returns 0 if found (or if it cannot tell: a relative PATH entry is
 * searched from the child's cwd), else ENOENT or EACCES.  This gives a
 * clear error before spawning even where the exec failure is not reported
 * back (valgrind, older libcs).
 */
static int
program_lookup(const char *prog, char *buf, size_t buflen)
{
	const char *path = getenv("PATH"), *p, *end;
	struct stat st;
	int err = ENOENT;
	size_t dlen;

	buf[0] = '\0';
	if (strchr(prog, '/') != NULL)
		return 0;
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		end = strchr(p, ':');
		dlen = end ? (size_t)(end - p) : strlen(p);
		if (dlen == 0 || p[0] != '/') {
			buf[0] = '\0';  /* cannot tell: let posix_spawnp search */
			return 0;
		}
		if ((size_t)snprintf(buf, buflen, "%.*s/%s", (int)dlen, p,
		    prog) < buflen && stat(buf, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			if (access(buf, X_OK) == 0)
				return 0;   /* buf holds the full path */
			err = EACCES;
		}
		if (end == NULL)
			break;
	}
	buf[0] = '\0';
	return err;
}

/* Sets up attributes and file actions for posix_spawnp: own process group,
 * empty signal mask, default dispositions, stdio from the given fds, cwd.
 * Returns 0 or an errno value. */
static int
spawn_setup(posix_spawnattr_t *attr, posix_spawn_file_actions_t *fa,
            int in_fd, int out_fd, int err_fd, const char *cwd)
{
	sigset_t none, all;
	int e;

	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	if ((e = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) != 0 ||
	    (e = posix_spawnattr_setpgroup(attr, 0)) != 0 ||
	    (e = posix_spawnattr_setsigmask(attr, &none)) != 0 ||
	    (e = posix_spawnattr_setsigdefault(attr, &all)) != 0)
		return e;
	if (in_fd >= 0)
		e = posix_spawn_file_actions_adddup2(fa, in_fd, STDIN_FILENO);
	else
		e = posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null",
		                                     O_RDONLY, 0);
	if (e != 0 ||
	    (e = posix_spawn_file_actions_adddup2(fa, out_fd, STDOUT_FILENO)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(fa, err_fd, STDERR_FILENO)) != 0)
		return e;
	if ((e = posix_spawn_file_actions_addchdir_np(fa, cwd)) != 0)
		return e;
	/* Nothing but stdin/stdout/stderr reaches the program: not the
	 * worker's engine socket, not descriptors a plugin left open. */
	return posix_spawn_file_actions_addclosefrom_np(fa, 3);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Copies the opts the caller's struct_size covers; the rest stay zero. */
static void
opts_copy(inn_spawn_opts *o, const inn_spawn_opts *in)
{
	size_t n = in->struct_size < sizeof(*o) ? in->struct_size : sizeof(*o);

	memset(o, 0, sizeof(*o));
	memcpy(o, in, n);
#define OPT_CLEAR(f) do { if (!INN_FITS(inn_spawn_opts, f, n)) \
	memset(&o->f, 0, sizeof(o->f)); } while (0)
	/* A struct_size that ends inside a field makes that field absent. */
	OPT_CLEAR(flags); OPT_CLEAR(argv); OPT_CLEAR(env); OPT_CLEAR(env_allow);
	OPT_CLEAR(cwd); OPT_CLEAR(stdin_data); OPT_CLEAR(stdin_len);
	OPT_CLEAR(timeout_ms); OPT_CLEAR(grace_ms); OPT_CLEAR(capture_max);
#undef OPT_CLEAR
	o->struct_size = (uint32_t)n;
}

/* Writes the result fields that the caller's struct_size has room for; a
 * capture buffer with no field to land in is freed. */
static void
res_store(inn_spawn_result *res, inn_spawn_result *r)
{
	uint32_t sz = res->struct_size;

#define RES_SET(f) do { if (INN_FITS(inn_spawn_result, f, sz)) \
	res->f = r->f; } while (0)
	RES_SET(exit_code);
	RES_SET(term_signal);
	RES_SET(timed_out);
	RES_SET(cancelled);
	RES_SET(truncated);
	RES_SET(captured_len);
#undef RES_SET
	if (INN_FITS(inn_spawn_result, captured, sz))
		res->captured = r->captured;
	else
		free(r->captured);
	r->captured = NULL;
}

void (*inn_spawn_child_hook)(int pgid, int started);

/* One program being run: what inn_host_spawn() shares with its parts. */
struct spawn_run {
	inn_step *step;
	const inn_spawn_opts *o;        /* the caller's options, copied */
	inn_spawn_result r;
	struct spawn_stream out, err;
	struct spawn_capture cap;
	int in_fd;                      /* stdin's write end; -1 when none or done */
	size_t in_off;                  /* bytes of o->stdin_data written so far */
	pid_t pid;                      /* also the process group; -1 when none */
	int pidfd, cancel_fd;
	int64_t deadline, grace;
	/* where the program and its group stand */
	int exited, term_sent, killed, leftover_armed;
	int64_t kill_at;                /* when TERM turns into KILL */
};

/*
 * Creates the pipes and starts o->argv (argv[0] resolved on PATH) in its
 * own process group in cwd with env.  0 with sr->pid set; 0 with sr->pid
 * -1 and sr->r.cancelled set when the step is already cancelled (nothing
 * is started); else INN_ESPAWN or INN_ERROR with the error set.
 */
static int
spawn_start(struct spawn_run *sr, struct spawn_env *env, const char *cwd)
{
	const inn_spawn_opts *o = sr->o;
	char *empty_env[] = { NULL };
	char prog[4096];
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	int attr_ok = 0, fa_ok = 0, e, rc = 0;

	if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0 ||
	    (o->stdin_data != NULL && pipe2(in_pipe, O_CLOEXEC) != 0)) {
		rc = inn_error_set(INN_ERROR, "spawn %s: cannot create pipes: %s",
		                   o->argv[0], strerror(errno));
		goto out;
	}
	if (in_pipe[1] >= 0)
		fcntl(in_pipe[1], F_SETFL, fcntl(in_pipe[1], F_GETFL) | O_NONBLOCK);

	if ((e = program_lookup(o->argv[0], prog, sizeof(prog))) != 0) {
		rc = inn_error_set(INN_ESPAWN, "cannot run \"%s\": %s (searched "
		                   "PATH)", o->argv[0], e == EACCES ?
		                   "not executable" : "no such program");
		goto out;
	}
	if ((e = posix_spawnattr_init(&attr)) != 0)
		goto spawn_failed;
	attr_ok = 1;
	if ((e = posix_spawn_file_actions_init(&fa)) != 0)
		goto spawn_failed;
	fa_ok = 1;
	if ((e = spawn_setup(&attr, &fa, in_pipe[0], out_pipe[1], err_pipe[1],
	    cwd)) != 0)
		goto spawn_failed;
	if (inn_step_is_cancelled(sr->step)) {
		/* Never start a program for a step that is already cancelled. */
		sr->r.cancelled = 1;
		goto out;
	}
	/* The resolved path saves the kernel an execve per PATH entry. */
	if (prog[0] != '\0')
		e = posix_spawn(&sr->pid, prog, &fa, &attr, (char *const *)o->argv,
		                env->v != NULL ? env->v : empty_env);
	else
		e = posix_spawnp(&sr->pid, o->argv[0], &fa, &attr, (char *const *)o->argv,
		                 env->v != NULL ? env->v : empty_env);
	if (e != 0) {
		sr->pid = -1;
		goto spawn_failed;
	}
	if (inn_spawn_child_hook != NULL)
		inn_spawn_child_hook((int)sr->pid, 1);
	sr->out.fd = out_pipe[0];
	sr->err.fd = err_pipe[0];
	sr->in_fd = in_pipe[1];
	out_pipe[0] = err_pipe[0] = in_pipe[1] = -1;
	if (sr->in_fd >= 0 && o->stdin_len == 0)
		close_fd(&sr->in_fd);
	goto out;

spawn_failed:
	rc = inn_error_set(INN_ESPAWN, "cannot run \"%s\" (in %s): %s", o->argv[0],
	                   cwd, strerror(e));
out:
	if (attr_ok)
		posix_spawnattr_destroy(&attr);
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	close_fd(&in_pipe[0]);
	close_fd(&in_pipe[1]);
	close_fd(&out_pipe[0]);
	close_fd(&out_pipe[1]);
	close_fd(&err_pipe[0]);
	close_fd(&err_pipe[1]);
	return rc;
}

/* Decides at now whether the group must be told to stop: TERM on cancel
 * or deadline, KILL once the grace is over; when the program has exited,
 * its background jobs get SPAWN_LEFTOVER_GRACE_MS (they must not keep the
 * step alive), and none once its pipes are closed. */
static void
escalate(struct spawn_run *sr, int64_t now)
{
	if (!sr->exited && !sr->term_sent) {
		if (inn_step_is_cancelled(sr->step))
			sr->r.cancelled = 1;
		else if (sr->deadline != 0 && now >= sr->deadline)
			sr->r.timed_out = 1;
		if (sr->r.cancelled || sr->r.timed_out) {
			killpg(sr->pid, SIGTERM);
			sr->term_sent = 1;
			sr->kill_at = now + sr->grace;
		}
	}
	if (sr->exited && !sr->leftover_armed) {
		if (!sr->term_sent) {
			killpg(sr->pid, SIGTERM);
			sr->term_sent = 1;
			sr->kill_at = now + SPAWN_LEFTOVER_GRACE_MS;
		} else if (sr->kill_at > now + SPAWN_LEFTOVER_GRACE_MS) {
			sr->kill_at = now + SPAWN_LEFTOVER_GRACE_MS;
		}
		sr->leftover_armed = 1;
	}
	if (sr->exited && sr->out.fd < 0 && sr->err.fd < 0)
		sr->kill_at = now;
	if (sr->term_sent && !sr->killed && now >= sr->kill_at) {
		killpg(sr->pid, SIGKILL);
		sr->killed = 1;
	}
}

/* Shortens *timeout (-1: none yet) to t ms. */
static void
timeout_min(int *timeout, int t)
{
	*timeout = *timeout < 0 || t < *timeout ? t : *timeout;
}

/* The poll set for one turn of the watch: the open output streams (pst[i]
 * the stream of entry i, NULL for the others), stdin while it takes bytes
 * (*pfd_in, else -1), the pidfd until the program exits (a tick without
 * one), the cancel fd until TERM was sent; *timeout is the wait until the
 * next thing to decide.  Returns the number of entries. */
static int
watch_fds(struct spawn_run *sr, int64_t now, struct pollfd pfd[5], struct spawn_stream *pst[5],
          int *pfd_in, int *timeout)
{
	int npfd = 0, i;

	*pfd_in = -1;
	*timeout = -1;
	for (i = 0; i < 2; i++) {
		struct spawn_stream *s = i == 0 ? &sr->out : &sr->err;

		if (s->fd >= 0) {
			pst[npfd] = s;
			pfd[npfd].fd = s->fd;
			pfd[npfd++].events = POLLIN;
		}
	}
	if (sr->in_fd >= 0) {
		*pfd_in = npfd;
		pst[npfd] = NULL;
		pfd[npfd].fd = sr->in_fd;
		pfd[npfd++].events = POLLOUT;
	}
	if (!sr->exited && sr->pidfd >= 0) {
		pst[npfd] = NULL;
		pfd[npfd].fd = sr->pidfd;
		pfd[npfd++].events = POLLIN;
	} else if (!sr->exited) {
		*timeout = SPAWN_TICK_MS;
	}
	if (!sr->term_sent && sr->cancel_fd >= 0) {
		pst[npfd] = NULL;
		pfd[npfd].fd = sr->cancel_fd;
		pfd[npfd++].events = POLLIN;
	}
	if (!sr->term_sent && sr->deadline != 0)
		timeout_min(timeout, ms_until(sr->deadline, now));
	if (sr->term_sent && !sr->killed)
		timeout_min(timeout, ms_until(sr->kill_at, now));
	if (!sr->term_sent && sr->cancel_fd < 0)
		timeout_min(timeout, SPAWN_TICK_MS);  /* no fd to wake us: poll the flag */
	return npfd;
}

/* Writes what stdin can take now; closes it when all is written or the
 * program stopped reading. */
static void
feed_stdin(struct spawn_run *sr)
{
	ssize_t n = write_nosigpipe(sr->in_fd, sr->o->stdin_data + sr->in_off,
	                            sr->o->stdin_len - sr->in_off);

	if (n > 0)
		sr->in_off += (size_t)n;
	if ((n < 0 && errno != EAGAIN) || sr->in_off >= sr->o->stdin_len)
		close_fd(&sr->in_fd);
}

/* Reads once from a ready stream: stdout into the capture when capturing. */
static void
read_ready(struct spawn_run *sr, struct spawn_stream *s)
{
	stream_read(sr->step, s, s == &sr->out && sr->cap.on ? &sr->cap : NULL);
}

/* Watches the running program until it and its group are gone: streams
 * its output to the log (and the capture), feeds its stdin, and stops it
 * as escalate() decides.  INN_OK, or INN_ERROR (the group killed) when
 * poll fails. */
static int
supervise(struct spawn_run *sr)
{
	struct pollfd pfd[5];
	struct spawn_stream *pst[5];
	int npfd, timeout, pfd_in, i, rc;
	int64_t now;

	for (;;) {
		if (!sr->exited && child_exited(sr->pid))
			sr->exited = 1;
		now = inn_now_ms();
		escalate(sr, now);
		if (sr->exited && sr->killed)
			return INN_OK;
		npfd = watch_fds(sr, now, pfd, pst, &pfd_in, &timeout);
		if (poll(pfd, (nfds_t)npfd, timeout) < 0) {
			if (errno == EINTR)
				continue;
			rc = inn_error_set(INN_ERROR, "spawn %s: poll: %s", sr->o->argv[0],
			                   strerror(errno));
			killpg(sr->pid, SIGKILL);
			return rc;
		}
		for (i = 0; i < npfd; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (i == pfd_in)
				feed_stdin(sr);
			else if (pst[i] != NULL)
				read_ready(sr, pst[i]);
		}
	}
}

/* Reaps the program, then reads for up to SPAWN_DRAIN_MS what its group
 * wrote before it died (it is still in the pipes) and flushes the partial
 * lines.  1 when the program was reaped, with *status its status. */
static int
reap_and_drain(struct spawn_run *sr, int *status)
{
	int64_t now, drain_until;
	int reaped, e;

	while ((e = waitpid(sr->pid, status, 0)) < 0 && errno == EINTR)
		;
	reaped = e == sr->pid;
	if (inn_spawn_child_hook != NULL)
		inn_spawn_child_hook((int)sr->pid, 0);
	close_fd(&sr->in_fd);
	drain_until = inn_now_ms() + SPAWN_DRAIN_MS;
	while (sr->out.fd >= 0 || sr->err.fd >= 0) {
		struct pollfd pfd[2];
		struct spawn_stream *pst[2];
		int npfd = 0, i, n;

		now = inn_now_ms();
		if (now >= drain_until)
			break;
		if (sr->out.fd >= 0) {
			pst[npfd] = &sr->out;
			pfd[npfd].fd = sr->out.fd;
			pfd[npfd++].events = POLLIN;
		}
		if (sr->err.fd >= 0) {
			pst[npfd] = &sr->err;
			pfd[npfd].fd = sr->err.fd;
			pfd[npfd++].events = POLLIN;
		}
		n = poll(pfd, (nfds_t)npfd, ms_until(drain_until, now));
		if (n < 0 && errno != EINTR)
			break;
		for (i = 0; n > 0 && i < npfd; i++)
			if (pfd[i].revents != 0)
				read_ready(sr, pst[i]);
	}
	if (sr->out.fd >= 0 && !sr->cap.on)
		stream_flush(sr->step, &sr->out, 1);
	if (sr->err.fd >= 0)
		stream_flush(sr->step, &sr->err, 1);
	return reaped;
}

/* The result of a reaped (or lost) program: how it ended, what it printed
 * to the capture. */
static void
finish(struct spawn_run *sr, int reaped, int status)
{
	if (reaped && WIFEXITED(status)) {
		sr->r.exit_code = WEXITSTATUS(status);
	} else if (reaped && WIFSIGNALED(status)) {
		sr->r.exit_code = -1;
		sr->r.term_signal = WTERMSIG(status);
	}
	if (sr->cap.on) {
		if (sr->cap.buf == NULL && !sr->cap.oom)
			sr->cap.buf = calloc(1, 1);
		if (sr->cap.oom) {
			static const char oom[] = "spawn: out of memory capturing "
			                          "stdout; capture truncated";

			inn_step_log_line(sr->step, INN_LOG_WARN, INN_STREAM_HOST, oom,
			                  sizeof(oom) - 1);
		}
		sr->r.captured = sr->cap.buf;
		sr->r.captured_len = sr->cap.len;
		sr->r.truncated = sr->cap.truncated;
		sr->cap.buf = NULL;
	}
}

/*
 * Runs opts->argv for step (see inn_host.spawn in plugin.h).  Returns INN_OK
 * when the program ran, whatever its exit status (res says how it ended);
 * INN_ESPAWN when it could not be started, INN_EINVAL for bad opts, or
 * INN_ENOMEM / INN_ERROR; each with the error message set.  A step that is
 * already cancelled starts nothing: INN_OK with res->cancelled set and
 * exit_code -1.
 */
int
inn_host_spawn(inn_step *step, const inn_spawn_opts *opts, inn_spawn_result *res)
{
	struct spawn_env env = { NULL, 0, 0 };
	struct spawn_run sr;
	inn_spawn_opts o;
	const char *cwd;
	int status = 0, reaped, rc;

	memset(&sr, 0, sizeof(sr));
	sr.out.fd = sr.err.fd = sr.in_fd = sr.pidfd = -1;
	sr.pid = -1;
	sr.out.stream = INN_STREAM_STDOUT;
	sr.err.stream = INN_STREAM_STDERR;
	if (res == NULL || opts == NULL || step == NULL)
		return inn_error_set(INN_EINVAL, "spawn: step, opts and result are required");
	sr.r.struct_size = res->struct_size;
	sr.r.exit_code = -1;
	res_store(res, &sr.r);
	opts_copy(&o, opts);
	if (o.argv == NULL || o.argv[0] == NULL || o.argv[0][0] == '\0')
		return inn_error_set(INN_EINVAL, "spawn: opts->argv names no program");
	sr.step = step;
	sr.o = &o;
	sr.out.o = sr.err.o = &o;

	cwd = o.cwd != NULL ? o.cwd : inn_step_workspace(step);
	sr.grace = o.grace_ms > 0 ? o.grace_ms : SPAWN_GRACE_DEFAULT_MS;
	sr.cap.on = (o.flags & INN_SPAWN_CAPTURE_STDOUT) != 0;
	sr.cap.max = o.capture_max > 0 ? o.capture_max : SPAWN_CAPTURE_DEFAULT;

	if ((rc = env_build(&env, step, &o)) != 0) {
		if (rc == INN_ENOMEM)
			inn_error_set(rc, "spawn %s: out of memory", o.argv[0]);
		goto out;
	}
	if ((sr.out.line = malloc(INN_LOG_LINE_MAX)) == NULL ||
	    (sr.err.line = malloc(INN_LOG_LINE_MAX)) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "spawn %s: out of memory", o.argv[0]);
		goto out;
	}
	if ((rc = spawn_start(&sr, &env, cwd)) != 0 || sr.pid < 0) {
		if (rc == 0)
			res_store(res, &sr.r);  /* cancelled before it started */
		goto out;
	}
	sr.pidfd = pidfd_open_compat(sr.pid);
	sr.cancel_fd = inn_step_cancel_fd_get(step);
	sr.deadline = min_deadline(inn_step_deadline(step),
	                           o.timeout_ms > 0 ? inn_now_ms() + o.timeout_ms : 0);
	rc = supervise(&sr);
	reaped = reap_and_drain(&sr, &status);
	finish(&sr, reaped, status);
	res_store(res, &sr.r);
out:
	close_fd(&sr.in_fd);
	close_fd(&sr.out.fd);
	close_fd(&sr.err.fd);
	close_fd(&sr.pidfd);
	free(sr.out.line);
	free(sr.err.line);
	free(sr.cap.buf);
	env_free(&env);
	return rc;
}
