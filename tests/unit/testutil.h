/*
 * testutil.h - small helpers shared by the cmocka unit tests: temporary
 * directories, copying fixture files with chosen modes, reading files,
 * and the engine set-up the executor and plugin tests share (a plugin
 * folder, the default policy, a registry, an engine; loading workflows;
 * the fixture that runs them and collects their log).
 */
#ifndef INN_TESTUTIL_H
#define INN_TESTUTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Creates a fresh directory under $TMPDIR (mode 0755) and returns its path
 * (malloc'd: the caller frees it), or NULL. */
char *tu_mkdtemp(const char *tag);
/* Removes a directory tree. */
void tu_rmrf(const char *path);
/* Removes the directory tree path (none when NULL) and frees path. */
void tu_rmrf_free(char *path);
/* Copies src to dir/name with mode; returns 0 or -1. */
int tu_copy(const char *src, const char *dir, const char *name, mode_t mode);
/* Writes text to path; returns 0 or -1. */
int tu_write(const char *path, const char *text);
/* Returns non-zero if path exists. */
int tu_exists(const char *path);
/* Writes text to dir/rel, and makes the folder dir/rel: fail the test if
 * they cannot (the fixture providers the planner tests write). */
void tu_write_in(const char *dir, const char *rel, const char *text);
void tu_mkdir_in(const char *dir, const char *rel);
/* Path of a fixture plugin built by make check: $INN_FIXTURE_DIR/<name>.so */
const char *tu_fixture(const char *name);
/* Joins two path parts into a static buffer. */
const char *tu_path(const char *dir, const char *name);
/* Non-zero if prog is an executable in $PATH (unset: /usr/bin:/bin); the
 * tests of a plugin driving a program skip without it. */
int tu_in_path(const char *prog);

struct inn_run;
struct inn_run_opts;
struct inn_step_result;
struct inn_policy;
struct inn_registry;
struct inn_engine;
struct inn_workflow;
struct inn_catalog;
struct inn_score;

/* The catalog of the provider folders under dir, with the golden paths of
 * goldenpaths (NULL: none); fails the test, printing the problems, unless
 * it loads without an error. */
struct inn_catalog *tu_catalog_load(const char *dir, const char *goldenpaths);
/* The Score spec in yaml (named score.yaml); fails the test, printing the
 * problems, unless it loads without an error. */
struct inn_score *tu_spec(const char *yaml);

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
/* The same with base_dir as the folder the steps' relative paths refer
 * to (a provider's folder; NULL: the current directory). */
struct inn_workflow *tu_load_wf_in(struct inn_policy *pol, struct inn_registry *reg,
                                   const char *yaml, const char *base_dir, char *diag,
                                   size_t len);

/* The engine fixture the executor and plugin tests share: an engine on
 * its own plugin folder, a scratch folder, and the log of the last run,
 * one "step| text" line a log line (kept while it fits). */
typedef struct tu_fx {
	char *plugins;
	char *work;
	struct inn_policy *pol;
	struct inn_registry *reg;
	struct inn_engine *eng;
	pthread_mutex_t lock;           /* guards the log */
	char log[262144];
	size_t loglen;
	size_t lines;                   /* log lines seen, kept or not */
} tu_fx;

/* Zeroes fx, makes its scratch folder (named after work_tag) and starts
 * its engine with tu_engine_setup (failing the test if that fails). */
void tu_fx_setup(tu_fx *fx, const tu_engine_opts *o, const char *work_tag);
/* Undoes tu_fx_setup. */
void tu_fx_teardown(tu_fx *fx);
/* A cmocka group teardown undoing tu_fx_setup of the tu_fx the group
 * set-up left in *state. */
int tu_fx_group_teardown(void **state);
/* An inn_run_events.log callback appending to the log of the tu_fx ud. */
void tu_fx_log(void *ud, const char *step, int level, int stream,
               const char *line, size_t len);

/* A run and its workflow. */
typedef struct tu_result {
	struct inn_run *run;
	struct inn_workflow *wf;
	int rc;                         /* what inn_run_execute returned */
} tu_result;

/* Empties the log, loads yaml (a refused workflow fails the test), puts
 * base_dir (when non-NULL) as the workflow's folder and creates the run
 * with ro; a NULL ro->events.log becomes tu_fx_log, a NULL ud fx.
 * Returns what inn_run_new returns. */
int tu_fx_prepare(tu_fx *fx, tu_result *r, const char *yaml,
                  const char *base_dir, struct inn_run_opts *ro);
/* tu_fx_prepare (a run that cannot start fails the test), then runs it. */
tu_result tu_fx_run(tu_fx *fx, const char *yaml, const char *base_dir,
                    struct inn_run_opts *ro);
/* Frees the run and the workflow. */
void tu_result_free(tu_result *r);

/* The result of step name in a finished run (fails the test if absent). */
const struct inn_step_result *tu_step(const struct inn_run *run, const char *name);
/* A step output's value, or NULL. */
const char *tu_out(const struct inn_step_result *s, const char *key);

/* Non-zero if needle occurs in hay; otherwise prints both as TAP
 * diagnostics so a failure says what was expected. */
int tu_contains(const char *hay, const char *needle);
#define TU_ASSERT_CONTAINS(hay, needle) assert_true(tu_contains((hay), (needle)))

/* inn_param_check of p on a fresh string value. */
struct inn_param;
int tu_param_check_str(const struct inn_param *p, const char *value, char *why, size_t len);

/* Runs a shell command line (formatted) with a fixed git identity; 0 when
 * it exits 0, else -1. */
int tu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
