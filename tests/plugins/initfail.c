/* initfail.c - init() reports a failure (e.g. a missing binary). */
#include "fixture.h"

static int
initfail_init(const inn_host *host, void **state)
{
	(void)state;
	host->log(NULL, INN_LOG_ERROR, "initfail: required tool not found");
	return INN_EINVAL;
}

FIXTURE_PLUGIN("initfail", "1.0.0", 0, NULL, initfail_init, fixture_execute, NULL,
               "initfail")
