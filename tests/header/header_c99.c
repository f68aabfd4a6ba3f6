/*
 * header_c99.c - plugin.h compiles as strict C99 (-std=c99 -pedantic
 * -Werror) and its layout on this platform is pinned: a change in any
 * offset below breaks every plugin already built, so it needs an ABI major
 * bump, never a silent edit.
 */
#include <stddef.h>
#include <stdio.h>

#include <innominatus/plugin.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define ASSERT_LAYOUT(cond) typedef char CAT(layout_check_, __LINE__)[(cond) ? 1 : -1]

/* Layout on LP64 (x86_64, aarch64): pointers and size_t are 8 bytes. */
#if defined(__LP64__)
ASSERT_LAYOUT(offsetof(inn_plugin_descriptor, magic) == 0);
ASSERT_LAYOUT(offsetof(inn_plugin_descriptor, abi_major) == 4);
ASSERT_LAYOUT(offsetof(inn_plugin_descriptor, abi_minor) == 6);
ASSERT_LAYOUT(offsetof(inn_plugin_descriptor, struct_size) == 8);
ASSERT_LAYOUT(offsetof(inn_plugin_descriptor, flags) == 12);
ASSERT_LAYOUT(offsetof(inn_plugin_descriptor, name) == 16);
ASSERT_LAYOUT(offsetof(inn_plugin_descriptor, step_types) == 32);
ASSERT_LAYOUT(offsetof(inn_plugin_descriptor, init) == 56);
ASSERT_LAYOUT(offsetof(inn_plugin_descriptor, execute) == 72);
ASSERT_LAYOUT(sizeof(inn_plugin_descriptor) == 88);
ASSERT_LAYOUT(offsetof(inn_host, log) == 8);
ASSERT_LAYOUT(offsetof(inn_host, spawn) == 8 + 19 * 8);
ASSERT_LAYOUT(offsetof(inn_host, last_error) == 8 + 21 * 8);
ASSERT_LAYOUT(sizeof(inn_host) == 8 + 24 * 8);
ASSERT_LAYOUT(offsetof(inn_spawn_opts, argv) == 8);
ASSERT_LAYOUT(sizeof(inn_spawn_opts) == 96);
ASSERT_LAYOUT(sizeof(inn_spawn_result) == 40);
#endif

int
main(void)
{
	printf("1..1\nok 1 - plugin.h compiles as C99 -pedantic (descriptor %u bytes, "
	       "host table %u bytes, ABI %d.%d)\n",
	       (unsigned)sizeof(inn_plugin_descriptor), (unsigned)sizeof(inn_host),
	       INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR);
	return 0;
}
