/*
 * exec_pool_worker.c - the worker process's program: started by the
 * engine (exec_pool.c) as "PROGRAM --inn-worker FD PLUGIN_DIR CONFIG",
 * it loads the plugins once, then runs one step at a time on its
 * execution thread while its main thread reads frames (exec_pool_frame.c)
 * for cancellations.  It forwards step logs and what plugins print, ends
 * what a step left running, contains memory (RLIMIT_DATA) and tells the
 * engine when it should be replaced.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "exec.h"
#include "exec_pool_int.h"
#include "host.h"
#include "policy.h"

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
	inn_frame_send(W.fd, o);
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
	inn_frame_send(W.fd, o);
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
	inn_frame_send(W.fd, o);
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

/* Lets the stdio thread hand what the plugin printed to this step before
 * the step goes away. */
static void
w_drain_stdio(void)
{
	int i, left = 0, waited = 0;

	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < 50 && W.stdio_rd >= 0; i++) {
		if (ioctl(W.stdio_rd, FIONREAD, &left) != 0 || left == 0)
			break;
		usleep(1000);
		waited = 1;
	}
	if (waited)
		usleep(1000); /* the last read may still be on its way */
}

/* Non-zero when this worker grew (its peak memory reached half the step
 * limit) or a plugin left it short of descriptors: it is replaced rather
 * than handed the next step. */
static int
w_retire_due(uint64_t peak)
{
	struct rlimit rl;
	int fds = w_open_fds();

	return (fds < 0 && errno == EMFILE) || (W.mem_limit > 0 && peak >= W.mem_limit / 2) ||
	       (fds >= 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	        rl.rlim_cur != RLIM_INFINITY && (rlim_t)fds > rl.rlim_cur / 2);
}

/* Sends the step's "done" frame (outputs and which are secret, when the
 * step existed), or a smaller one saying the result was too large. */
static void
w_send_done(int rc, const char *err, int retire, inn_step *step)
{
	json_object *done = json_object_new_object();

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
	pthread_mutex_lock(&W.wlock);
	if (inn_frame_send(W.fd, done) != 0) {
		/* too big to send (or a write error): say so in a frame that fits */
		json_object *small = json_object_new_object();

		json_object_object_add(small, "op", json_object_new_string("done"));
		json_object_object_add(small, "rc", json_object_new_int(INN_ETOOBIG));
		json_object_object_add(small, "error", json_object_new_string(
		    "the step's result (outputs) is too large to report"));
		inn_frame_send(W.fd, small);
		json_object_put(small);
	}
	pthread_mutex_unlock(&W.wlock);
	json_object_put(done);
}

/* Runs the plugin on step (the current one) and ends the step's work in
 * this worker: its prints drained, what it left running killed, its peak
 * memory told.  err gets why it failed; *retire whether this worker must
 * go.  The plugin's return code. */
static int
w_run_step(const inn_plugin *p, inn_step *step, json_object *req, char *err,
           size_t errlen, int *retire)
{
	json_object *mask;
	uint64_t peak;
	int rc, left;

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
		snprintf(err, errlen, "%s", W.last_error[0] ? W.last_error : inn_error_last());
	pthread_mutex_unlock(&W.wlock);
	w_drain_stdio();
	if ((left = w_sweep_children()) > 0) {
		char m[128];
		int len = snprintf(m, sizeof(m), "killed %d process%s left behind by "
		                   "the step", left, left == 1 ? "" : "es");

		inn_step_log_line(step, INN_LOG_WARN, INN_STREAM_HOST, m, (size_t)len);
	}
	peak = W.mem_limit > 0 ? inn_proc_status_bytes(getpid(), "VmHWM") : 0;
	if (rc != 0 && W.mem_limit > 0 && peak + (64u << 20) >= W.mem_limit) {
		char sz[64], tmp[1024];

		inn_policy_format_size(W.mem_limit, sz, sizeof(sz));
		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "the step exceeded its memory limit (%s, "
		         "workflowPolicies.stepMemoryLimit): %.800s", sz, tmp);
	}
	*retire = w_retire_due(peak);
	return rc;
}

static void
w_exec_one(json_object *req)
{
	json_object *cfg = NULL, *secrets = NULL;
	const inn_plugin *p;
	inn_step_opts so;
	inn_step *step = NULL;
	const char *type = jstr(req, "type"), *name = jstr(req, "name");
	int64_t timeout = jint(req, "timeout_ms");
	int rc, retire = 0;
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
		rc = w_run_step(p, step, req, err, sizeof(err), &retire);
	}
	pthread_mutex_lock(&W.slock);
	W.step = NULL;
	pthread_mutex_unlock(&W.slock);
	w_send_done(rc, err, retire, step);
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
	inn_buf fb = INN_BUF_INIT(FRAME_BUF_MAX);
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
	while ((req = inn_frame_recv(fd, &fb)) != NULL) {
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
	inn_buf_free(&fb);
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
