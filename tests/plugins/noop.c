/*
 * noop.c - an idempotent step plugin that returns at once with one output;
 * the unit of the executor and API benchmarks (it measures the
 * orchestrator, not a tool).  With config.ms it first waits that long
 * (honouring cancellation): a resumable step for crash-recovery tests.
 */
#include <poll.h>

#include "fixture.h"

static int
noop_execute(void *state, const inn_host *host, inn_step *step)
{
	int64_t ms = 0;

	(void)state;
	if (host->input_int(step, "ms", &ms) == 0 && ms > 0) {
		struct pollfd pfd;

		pfd.fd = host->cancel_fd(step);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)ms) > 0)
			return INN_ECANCELLED;
	}
	return host->output(step, "done", "true", 0);
}

static const char *const types[] = { "noop", NULL };

static const inn_plugin_descriptor desc = {
	INN_PLUGIN_MAGIC, INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR,
	sizeof(inn_plugin_descriptor), INN_PLUGIN_DRY_RUN | INN_PLUGIN_IDEMPOTENT,
	"noop", "1.0.0", types, "{\"type\":\"object\"}", NULL, NULL, NULL, noop_execute, NULL
};

INN_PLUGIN_EXPORT const inn_plugin_descriptor *
inn_plugin_describe_v1(void)
{
	return &desc;
}
