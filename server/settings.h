/*
 * settings.h - the daemon's settings in one table (settings.c): each has
 * its key in the config's server: section, its flag, its environment
 * variable, type, default and help.  The table drives the flag parser, the
 * environment overrides, the config reader, --help and the hidden
 * --list-settings (the man page drift test reads it), so none of them can
 * name a setting the others do not know.  Precedence: flag > environment >
 * config file > default.
 */
#ifndef INN_SERVER_SETTINGS_H
#define INN_SERVER_SETTINGS_H

#include <stddef.h>

#include "policy.h"
#include "server.h"

/* Problems found while reading settings (and by --check-config), each a
 * line "where: field: message". */
typedef struct inn_problems {
	char **v;
	size_t n;
} inn_problems;

void inn_problem_add(inn_problems *p, const char *fmt, ...) INN_PRINTF_LIKE(2, 3);
void inn_problems_free(inn_problems *p);

/* What the command line asked for beside the settings. */
typedef struct inn_actions {
	int check_config;               /* --check-config */
	int migrate;                    /* --migrate */
	const char *create_key;         /* --create-admin-key NAME */
} inn_actions;

/* The settings' values as given: flags (argv) and the environment. */
typedef struct inn_given inn_given;

/* Reads argv.  Returns -1 to go on (*given set, free it with
 * inn_given_free), or the exit status after --help, --version,
 * --list-settings (0) or a bad command line (2, said on stderr). */
int inn_settings_parse_argv(int argc, char **argv, inn_actions *act, inn_given **given);
void inn_given_free(inn_given *g);

/* The compiled-in defaults into c. */
void inn_settings_defaults(inn_server_config *c);

/* The config file to read: --config, else INNOMINATUS_CONFIG, else the
 * installed one when it exists, else ./admin-config.yaml when it exists,
 * else NULL (*missing_ok: a missing file is no problem). */
const char *inn_settings_config_file(const inn_given *g, int *missing_ok);

/* The config's server: section (pol, may be NULL), then the environment,
 * then the flags, over c: every value checked, each problem added to p
 * with where it came from.  cwd: the folder relative flags, environment
 * values and defaults are relative to (the config's own are relative to
 * its folder).  Returns how many problems it added. */
int inn_settings_load(inn_server_config *c, const inn_policy *pol, const inn_given *g,
                      const char *cwd, inn_problems *p);

/* Where the value of setting key ("server.pluginDir", "providers") came
 * from, as problems start: "FILE:LINE: server.pluginDir", "environment:
 * INNOMINATUS_PLUGIN_DIR", "--plugin-dir" or "server.pluginDir (default)". */
const char *inn_settings_where(const char *key);

/* Every problem a start would meet, without writing anything or serving
 * (--check-config): the plugin directory, the provider folders and the
 * catalog they make, the golden paths, the secrets, the store's address,
 * files and folders.  summary gets one line of what was found.  Returns
 * how many problems it added to p. */
int inn_check_config(const inn_server_config *c, const inn_policy *pol, inn_problems *p,
                     inn_problems *warn, char *summary, size_t len);
/* What makes a start fail before it serves, checked before the store is
 * opened (so a failed start leaves no new store behind) and by
 * --check-config: the store path a folder or not writable, a secret key
 * file of the wrong size, stateDir not a folder, pluginDir missing, a
 * listen host that does not resolve.  Each a problem; their count. */
int inn_check_start(const inn_server_config *c, inn_problems *p);
/* Keys of the config file nobody reads (a typo: "provders:"), each a
 * warning "FILE:LINE: warning: KEY: unknown key, ignored (did you mean
 * ...?)"; the keys the original's admin configs carry and this server
 * leaves alone are not said.  A mapping naming no section at all is a
 * problem in p.  The count of warnings. */
int inn_check_keys(const inn_policy *pol, inn_problems *p, inn_problems *warn);
/* Non-zero when path is a regular file (or /dev/null: empty); opened O_NONBLOCK, so that a FIFO
 * never blocks the caller. */
int inn_settings_regular_file(const char *path);
/* The provider folders a start reads that do not exist (the flags', the
 * environment's, the config's folder entries): each a problem.  A start
 * fails on them rather than serve without those providers. */
int inn_check_provider_folders(const inn_server_config *c, const inn_policy *pol,
                               inn_problems *p);

/* Creates the install's state folder ($(localstatedir)/lib/innominatus,
 * mode 0700) when the store or the state dir is in it and it is missing. */
void inn_settings_prepare_home(const inn_server_config *c);
/* 1 when path is in that folder (which a start creates). */
int inn_settings_in_home(const char *path);

/* p made absolute against base, kept until inn_settings_free_strings. */
const char *inn_settings_abs_path(const char *base, const char *p);
void inn_settings_free_strings(void);

/* 1 when p is a database server's URL ("scheme://", not sqlite's). */
int inn_settings_is_db_url(const char *p);

#endif
