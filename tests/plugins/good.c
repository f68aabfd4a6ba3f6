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

static const char *const types[] = { "good", NULL };

static const inn_plugin_descriptor desc = {
	INN_PLUGIN_MAGIC, INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR,
	sizeof(inn_plugin_descriptor), INN_PLUGIN_DRY_RUN | INN_PLUGIN_IDEMPOTENT,
	"good", "1.2.3", types,
	"{\"type\":\"object\",\"properties\":{\"message\":{\"type\":\"string\"}}}",
	NULL, good_init, NULL, fixture_execute, good_fini
};

INN_PLUGIN_EXPORT const inn_plugin_descriptor *
inn_plugin_describe_v1(void)
{
	return &desc;
}
