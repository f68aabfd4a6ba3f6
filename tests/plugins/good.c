/* good.c - a correct plugin: type "good", init/fini leave markers. */
#include "fixture.h"

FIXTURE_CONSTRUCTOR("good")

static int
good_init(const inn_host *host, void **state)
{
	static int token;

	(void)host;
	*state = &token;
	fixture_mark("good.init");
	return INN_OK;
}

static void
good_fini(void *state)
{
	(void)state;
	fixture_mark("good.fini");
}

FIXTURE_PLUGIN("good", "1.2.3", INN_PLUGIN_DRY_RUN | INN_PLUGIN_IDEMPOTENT,
               "{\"type\":\"object\",\"properties\":{\"message\":{\"type\":\"string\"}}}",
               good_init, fixture_execute, good_fini, "good")
