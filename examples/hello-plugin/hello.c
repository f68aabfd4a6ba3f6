/*
 * hello.c - the example plugin of innominatus-plugin(7) and README.md
 * ("Writing a plugin"); make check builds it and loads it, and checks that
 * the man page shows this file as it is.
 */
#include <innominatus/plugin.h>

static int
hello_execute(void *state, const inn_host *host, inn_step *step)
{
	const char *who = "world";

	(void)state;
	if (host->input_type(step, "who") == INN_VALUE_STRING)
		host->input_string(step, "who", &who);
	host->log(step, INN_LOG_INFO, "greeting %s", who);
	return host->output(step, "greeting", who, 0);
}

static const char *const hello_types[] = { "hello", NULL };

static const inn_plugin_descriptor hello = {
	INN_PLUGIN_MAGIC, INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR,
	sizeof(inn_plugin_descriptor), INN_PLUGIN_IDEMPOTENT,
	"hello", "1.0.0", hello_types,
	"{\"type\":\"object\",\"properties\":{\"who\":{\"type\":\"string\"}}}", NULL,
	NULL /* init */, NULL /* validate */, hello_execute, NULL /* fini */
};

INN_PLUGIN_EXPORT const inn_plugin_descriptor *
inn_plugin_describe_v1(void)
{
	return &hello;
}
