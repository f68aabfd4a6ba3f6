/*
 * header_cxx.cc - plugin.h compiles as C++ (-pedantic -Werror), and a C++
 * plugin can define a descriptor and the entry point with C linkage.
 */
#include <cstdio>

#include <innominatus/plugin.h>

static int
cxx_execute(void *, const inn_host *, inn_step *)
{
	return INN_OK;
}

static const char *const cxx_types[] = { "cxx", NULL };

static const inn_plugin_descriptor cxx_desc = {
	INN_PLUGIN_MAGIC, INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR,
	sizeof(inn_plugin_descriptor), 0, "cxx", "1.0.0", cxx_types,
	NULL, NULL, NULL, NULL, cxx_execute, NULL
};

extern "C" INN_PLUGIN_EXPORT const inn_plugin_descriptor *
inn_plugin_describe_v1(void)
{
	return &cxx_desc;
}

int
main()
{
	const inn_plugin_descriptor *d = inn_plugin_describe_v1();

	if (d->magic != INN_PLUGIN_MAGIC || d->execute == NULL) {
		std::printf("1..1\nnot ok 1 - C++ descriptor is wrong\n");
		return 1;
	}
	std::printf("1..1\nok 1 - plugin.h compiles as C++ and a C++ descriptor links\n");
	return 0;
}
