/*
 * crashy.c - a step plugin that misbehaves on request, for the executor's
 * crash-isolation, retry, timeout and output tests.  config.mode:
 *   ok            outputs echo=<config.value> (and secret token if config.secret)
 *   fail          logs config.value and returns INN_ERROR
 *   fail-times    fails until it has been called config.times times in this
 *                 step workspace, then succeeds (counts attempts)
 *   sleep         waits config.ms milliseconds, honouring cancellation
 *   segv, abort   crashes the process running it
 *   hang          spins forever, ignoring cancellation and deadline
 *   flood-log     host->log a million lines
 *   flood-stdout  printf 50 MB to its own stdout, then succeeds
 *   big-output    an output larger than the host's cap
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

static int
count_attempt(const inn_host *host, inn_step *step)
{
	char path[4096];
	FILE *fp;
	int n = 0;

	snprintf(path, sizeof(path), "%s/attempts", host->workspace(step));
	if ((fp = fopen(path, "r")) != NULL) {
		if (fscanf(fp, "%d", &n) != 1)
			n = 0;
		fclose(fp);
	}
	n++;
	if ((fp = fopen(path, "w")) != NULL) {
		fprintf(fp, "%d\n", n);
		fclose(fp);
	}
	return n;
}

static int
crashy_execute(void *state, const inn_host *host, inn_step *step)
{
	const char *mode = "ok", *value = "";
	int64_t n = 0;
	volatile int *nullp = NULL;
	int i;

	(void)state;
	host->input_string(step, "mode", &mode);
	host->input_string(step, "value", &value);
	if (strcmp(mode, "ok") == 0) {
		const char *secret;

		host->log(step, INN_LOG_INFO, "echo %s", value);
		if (host->input_string(step, "secret", &secret) == 0) {
			host->output(step, "token", secret, INN_OUTPUT_SECRET);
			host->log(step, INN_LOG_INFO, "token is %s", secret);
		}
		if (host->dry_run(step))
			return host->output(step, "echo", "(dry-run)", 0);
		return host->output(step, "echo", value, 0);
	}
	if (strcmp(mode, "fail") == 0) {
		host->log(step, INN_LOG_ERROR, "failing: %s", value);
		return INN_ERROR;
	}
	if (strcmp(mode, "fail-times") == 0) {
		int a = count_attempt(host, step);
		char buf[32];

		host->input_int(step, "times", &n);
		if (a < n) {
			host->log(step, INN_LOG_ERROR, "attempt %d fails", a);
			return INN_ERROR;
		}
		snprintf(buf, sizeof(buf), "%d", a);
		return host->output(step, "attempts", buf, 0);
	}
	if (strcmp(mode, "sleep") == 0) {
		host->input_int(step, "ms", &n);
		if (fixture_sleep(host, step, n) != INN_OK)
			return INN_ECANCELLED;
		return host->output(step, "slept", "yes", 0);
	}
	if (strcmp(mode, "segv") == 0)
		return *nullp;
	if (strcmp(mode, "abort") == 0)
		abort();
	if (strcmp(mode, "hang") == 0) {
		signal(SIGTERM, SIG_IGN);
		for (;;)
			pause();
	}
	if (strcmp(mode, "flood-log") == 0) {
		for (i = 0; i < 1000000; i++)
			host->log(step, INN_LOG_INFO, "flood line %d with some padding text", i);
		return INN_OK;
	}
	if (strcmp(mode, "flood-stdout") == 0) {
		for (i = 0; i < 500000; i++)
			printf("stdout flood line %d %s\n", i,
			       "................................................................................");
		fflush(stdout);
		return host->output(step, "flooded", "yes", 0);
	}
	if (strcmp(mode, "big-output") == 0) {
		size_t len = 2u * 1024 * 1024;
		char *big = malloc(len + 1);
		int rc;

		if (big == NULL)
			return INN_ENOMEM;
		memset(big, 'x', len);
		big[len] = '\0';
		rc = host->output(step, "big", big, 0);
		free(big);
		if (rc != 0)
			host->log(step, INN_LOG_ERROR, "%s", host->last_error());
		return rc;
	}
	host->log(step, INN_LOG_ERROR, "unknown mode %s", mode);
	return INN_EINVAL;
}

FIXTURE_PLUGIN("crashy", "1.0.0", INN_PLUGIN_DRY_RUN | INN_PLUGIN_CANCELLABLE,
               NULL, NULL, crashy_execute, NULL, "crashy")
