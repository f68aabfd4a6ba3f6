/*
 * testutil.h - small helpers shared by the cmocka unit tests: temporary
 * directories, copying fixture files with chosen modes, reading files,
 * and the engine set-up the executor and plugin tests share (a plugin
 * folder, the default policy, a registry, an engine; loading workflows).
 */
#ifndef INN_TESTUTIL_H
#define INN_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Creates a fresh directory under $TMPDIR (mode 0755) and returns its path
 * (malloc'd: the caller frees it), or NULL. */
char *tu_mkdtemp(const char *tag);
/* Removes a directory tree. */
void tu_rmrf(const char *path);
/* Copies src to dir/name with mode; returns 0 or -1. */
int tu_copy(const char *src, const char *dir, const char *name, mode_t mode);
/* Writes text to path; returns 0 or -1. */
int tu_write(const char *path, const char *text);
/* Returns non-zero if path exists. */
int tu_exists(const char *path);
/* Path of a fixture plugin built by make check: $INN_FIXTURE_DIR/<name>.so */
const char *tu_fixture(const char *name);
/* Joins two path parts into a static buffer. */
const char *tu_path(const char *dir, const char *name);

struct inn_run;
struct inn_step_result;
struct inn_policy;
struct inn_registry;
struct inn_engine;
struct inn_workflow;

/* What tu_engine_setup builds. */
typedef struct tu_engine_opts {
	const char *tag;                /* names the plugin folder */
	const char *const *plugins;     /* NULL-terminated: "shell", "terraform",
	                                 * "ansible" (built here) or a fixture */
	int workers;
	int64_t kill_grace_ms;
	const char *state_root;         /* NULL: none */
} tu_engine_opts;

/* Copies the plugins into a fresh folder (*plugin_dir, malloc'd), loads
 * them all with the default policy and starts an engine on them; fails
 * the test if any of it fails. */
void tu_engine_setup(const tu_engine_opts *o, char **plugin_dir,
                     struct inn_policy **pol, struct inn_registry **reg,
                     struct inn_engine **eng);
/* Stops the engine, frees what tu_engine_setup made, removes the folder. */
void tu_engine_teardown(char *plugin_dir, struct inn_policy *pol,
                        struct inn_registry *reg, struct inn_engine *eng);
/* Loads the workflow text yaml against pol and reg.  With diag, the
 * diagnostics go there (len bytes, one a line) and a refused workflow
 * returns NULL; without, a refused workflow fails the test after printing
 * them. */
struct inn_workflow *tu_load_wf(struct inn_policy *pol, struct inn_registry *reg,
                                const char *yaml, char *diag, size_t len);

/* The result of step name in a finished run (fails the test if absent). */
const struct inn_step_result *tu_step(const struct inn_run *run, const char *name);
/* A step output's value, or NULL. */
const char *tu_out(const struct inn_step_result *s, const char *key);

/* Non-zero if needle occurs in hay; otherwise prints both as TAP
 * diagnostics so a failure says what was expected. */
int tu_contains(const char *hay, const char *needle);
#define TU_ASSERT_CONTAINS(hay, needle) assert_true(tu_contains((hay), (needle)))

/* Runs a shell command line (formatted) with a fixed git identity; 0 when
 * it exits 0, else -1. */
int tu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
