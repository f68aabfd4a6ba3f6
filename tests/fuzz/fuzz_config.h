/*
 * fuzz_config.h - stands in for the configure-generated config.h when
 * tests/fuzz/run.sh compiles the engine sources directly with clang.
 */
#define PACKAGE_VERSION "fuzz"
#define INN_PLUGIN_DIR "/nonexistent"
