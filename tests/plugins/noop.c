/*
 * noop.c - an idempotent step plugin that returns at once with one output;
 * the unit of the executor and API benchmarks (it measures the
 * orchestrator, not a tool).  With config.ms it first waits that long
 * (honouring cancellation): a resumable step for crash-recovery tests.
 */
#include "fixture.h"

static int
noop_execute(void *state, const inn_host *host, inn_step *step)
{
	int64_t ms = 0;

	(void)state;
	if (host->input_int(step, "ms", &ms) == 0 && ms > 0 &&
	    fixture_sleep(host, step, ms) != INN_OK)
		return INN_ECANCELLED;
	return host->output(step, "done", "true", 0);
}

FIXTURE_PLUGIN("noop", "1.0.0", INN_PLUGIN_DRY_RUN | INN_PLUGIN_IDEMPOTENT,
               "{\"type\":\"object\"}", NULL, noop_execute, NULL, "noop")
