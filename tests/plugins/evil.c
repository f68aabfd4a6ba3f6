/*
 * evil.c - a step plugin that attacks process containment on request, for
 * tests/hostile/containment.sh.  config.mode:
 *   fork-orphan  fork()s a child that calls setsid() and sleeps config.ms
 *                (holding every descriptor of the worker, its socket too),
 *                logs "worker pid N", then sleeps config.ms itself (honouring
 *                cancellation) -- the test kills the worker meanwhile
 *   fork-zombie  fork()s a child that exits at once and is never waited for
 *   daemon       double-forks (fork, setsid, fork) a process that execs
 *                "sleep config.marker" and returns success at once
 *   oom          allocates config.mb MiB in 1 MiB blocks and touches them;
 *                an allocation that fails is logged and the step fails
 *   fds          opens /dev/null until the descriptors run out, never closes
 *                them, and fails
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

static int
evil_execute(void *state, const inn_host *host, inn_step *step)
{
	const char *mode = "", *marker = "3033";
	int64_t ms = 30000, mb = 0;
	pid_t pid;

	(void)state;
	host->input_string(step, "mode", &mode);
	host->input_string(step, "marker", &marker);
	host->input_int(step, "ms", &ms);
	host->input_int(step, "mb", &mb);
	if (strcmp(mode, "fork-orphan") == 0) {
		if ((pid = fork()) == 0) {
			struct timespec now, end;

			clock_gettime(CLOCK_MONOTONIC, &end);
			end.tv_sec += (time_t)(ms / 1000) + 1;
			setsid();
			signal(SIGHUP, SIG_IGN);
			signal(SIGTERM, SIG_IGN);
			do {
				sleep(1);
				clock_gettime(CLOCK_MONOTONIC, &now);
			} while (now.tv_sec < end.tv_sec);
			_exit(0);
		}
		host->log(step, INN_LOG_INFO, "worker pid %d forked %d", (int)getpid(),
		          (int)pid);
		return fixture_sleep(host, step, ms);
	}
	if (strcmp(mode, "fork-zombie") == 0) {
		if ((pid = fork()) == 0)
			_exit(0);
		usleep(100 * 1000);
		host->log(step, INN_LOG_INFO, "worker pid %d forked %d", (int)getpid(),
		          (int)pid);
		return host->output(step, "child", "exited", 0);
	}
	if (strcmp(mode, "daemon") == 0) {
		if ((pid = fork()) == 0) {
			setsid();
			if (fork() == 0) {
				int fd;

				for (fd = 0; fd < 1024; fd++)
					close(fd);
				execlp("sleep", "sleep", marker, (char *)NULL);
				_exit(127);
			}
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
		usleep(100 * 1000);
		return host->output(step, "daemon", marker, 0);
	}
	if (strcmp(mode, "oom") == 0) {
		char **blocks = calloc((size_t)(mb > 0 ? mb : 1), sizeof(char *));
		int64_t i, got = 0;
		int rc = INN_OK;

		if (blocks == NULL)
			return INN_ENOMEM;
		for (i = 0; i < mb; i++) {
			if ((blocks[i] = malloc(1u << 20)) == NULL) {
				host->log(step, INN_LOG_ERROR, "allocation failed after %lld MiB",
				          (long long)got);
				rc = INN_ENOMEM;
				break;
			}
			memset(blocks[i], 0x5a, 1u << 20);
			got++;
		}
		if (rc == INN_OK)
			host->log(step, INN_LOG_INFO, "allocated %lld MiB", (long long)got);
		for (i = 0; i < got; i++)
			free(blocks[i]);
		free(blocks);
		return rc;
	}
	if (strcmp(mode, "fds") == 0) {
		int n = 0;

		while (open("/dev/null", O_RDONLY) >= 0)
			n++;
		host->log(step, INN_LOG_ERROR, "opened %d descriptors, then: %s", n,
		          strerror(errno));
		return INN_ERROR;
	}
	host->log(step, INN_LOG_ERROR, "unknown mode %s", mode);
	return INN_EINVAL;
}

FIXTURE_PLUGIN("evil", "1.0.0", INN_PLUGIN_CANCELLABLE, NULL, NULL, evil_execute,
               NULL, "evil")
