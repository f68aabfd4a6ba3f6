/*
 * seclen.c - an idempotent step plugin that logs the length and a hash of
 * config.value (never the value), then waits config.ms (honouring
 * cancellation), and with config.out a secret output "tok": it shows
 * which secret a resumed step was given (tests/hostile/secrets.sh).
 */
#include <string.h>

#include "fixture.h"

static int
seclen_execute(void *state, const inn_host *host, inn_step *step)
{
	const char *v = NULL;
	int64_t ms = 0;
	uint32_t h = 2166136261u;
	size_t i, n;

	(void)state;
	if (host->input_string(step, "value", &v) != 0)
		v = "";
	n = strlen(v);
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)v[i]) * 16777619u;
	host->log(step, INN_LOG_INFO, "seclen len=%zu fnv=%08x", n, (unsigned)h);
	if (host->input_int(step, "ms", &ms) == 0 && ms > 0 &&
	    fixture_sleep(host, step, ms) != INN_OK)
		return INN_ECANCELLED;
	/* config.out: also a secret output "tok" (a resume reuses it) */
	if (host->input_string(step, "out", &v) == 0 && v != NULL &&
	    host->output(step, "tok", v, INN_OUTPUT_SECRET) != 0)
		return INN_ERROR;
	return host->output(step, "done", "true", 0);
}

FIXTURE_PLUGIN("seclen", "1.0.0", INN_PLUGIN_DRY_RUN | INN_PLUGIN_IDEMPOTENT,
               "{\"type\":\"object\"}", NULL, seclen_execute, NULL, "seclen")
