/*
 * ctl_spec.h - the one table of innominatus-ctl's commands and options.
 * Everything that describes the command line reads it: the option parser
 * (ctl.c), the global and per-command help, the completion scripts and
 * their dynamic candidates (cmd_completion.c), and the man page's drift
 * test (through the hidden --list-options and `__complete commands`).
 */
#ifndef INN_CTL_SPEC_H
#define INN_CTL_SPEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "remote.h"

/* What a positional argument or an option's value is, for completion
 * (bits: an argument may be one of several). */
enum ctl_arg {
	CTL_ARG_WORD = 1 << 0,        /* free text: nothing to offer */
	CTL_ARG_PROVIDER = 1 << 1,    /* a provider name (from the server) */
	CTL_ARG_WORKFLOW = 1 << 2,    /* provider/workflow (from the server) */
	CTL_ARG_GOLDENPATH = 1 << 3,  /* a golden path name (from the server) */
	CTL_ARG_EXEC = 1 << 4,        /* an execution id (from the server) */
	CTL_ARG_APP = 1 << 5,         /* an application name (from the server) */
	CTL_ARG_FILE = 1 << 6,
	CTL_ARG_DIR = 1 << 7
};

/* The options.  The order is the help's. */
enum ctl_opt_id {
	CTL_OPT_HELP, CTL_OPT_VERSION,
	CTL_OPT_SERVER, CTL_OPT_OUTPUT, CTL_OPT_LOCAL,
	CTL_OPT_PLUGIN_DIR, CTL_OPT_CONFIG, CTL_OPT_PROVIDERS, CTL_OPT_GOLDENPATHS,
	CTL_OPT_PARAM, CTL_OPT_SECRET, CTL_OPT_SECRET_ENV, CTL_OPT_DRY_RUN, CTL_OPT_PARALLEL,
	CTL_OPT_STRICT,
	CTL_OPT_NO_WAIT, CTL_OPT_FOLLOW, CTL_OPT_RECONNECT_WAIT,
	CTL_OPT_APP, CTL_OPT_STATUS, CTL_OPT_PAGE,
	CTL_OPT_WAIT, CTL_OPT_TTL,
	CTL_OPT_ROLE, CTL_OPT_TEAM, CTL_OPT_GIT_URL, CTL_OPT_PATH, CTL_OPT_REF,
	CTL_OPT_DB, CTL_OPT_DB_PASSWORD_FILE,
	CTL_OPT_KUBECONFIG, CTL_OPT_DEMO_DIR,
	CTL_OPT_TYPE, CTL_OPT_DIR,
	CTL_OPT_COUNT
};
#define CTL_O(id) ((uint64_t)1 << CTL_OPT_##id)

/* How the parser stores an option. */
enum ctl_opt_store {
	CTL_STORE_SPECIAL,   /* ctl.c handles it by id */
	CTL_STORE_STR,       /* a const char * at off in ctl_opts */
	CTL_STORE_FLAG       /* an int at off in ctl_opts, set to 1 */
};

typedef struct ctl_option {
	int id;
	const char *name;       /* "--output" */
	const char *alias[2];   /* other spellings ("-o"), or NULL */
	const char *arg;        /* the value's name in the help ("FILE"), NULL: a flag */
	const char *values;     /* the values completion offers, space-separated, or NULL */
	unsigned value_kind;    /* enum ctl_arg of the value (file, dir, app...), or 0 */
	int store;              /* enum ctl_opt_store */
	size_t off;
	const char *help;       /* one line or more, each line without its indent */
} ctl_option;

#define CTL_HIDE 1
#define CTL_HIDE_USAGE 2

typedef struct ctl_cmd_spec {
	const char *name;       /* "run"; a subcommand's own word ("add-key") */
	const char *parent;     /* NULL, or the command it belongs to ("admin") */
	int section;            /* the global help's group (ctl_spec.c) */
	const char *synopsis;   /* lines after "innominatus-ctl ", separated by LF */
	const char *summary;    /* one line */
	const char *help;       /* the longer text of its own help, or NULL */
	uint64_t options;       /* CTL_O(...) it takes, beyond --help */
	unsigned args[3];       /* enum ctl_arg of each positional argument; 0 ends */
	int hidden;             /* CTL_HIDE: in no help nor completion; CTL_HIDE_USAGE:
	                         * not in the global help */
	/* the handlers (a subcommand has none: its parent's run it) */
	int (*local_fn)(const ctl_opts *, int, char **);
	ctl_remote_fn remote_fn;
	int local_needs_flag;   /* local_fn runs only with --local (run) */
} ctl_cmd_spec;

extern const ctl_option ctl_options[];
extern const size_t ctl_noptions;
extern const ctl_cmd_spec ctl_commands[];
extern const size_t ctl_ncommands;

/* The option spelt a ("--output", "-o", "--watch"), or NULL. */
const ctl_option *ctl_spec_option(const char *a);
/* Top-level command name (parent NULL), or subcommand sub of command
 * parent; hidden ones too.  NULL when there is none. */
const ctl_cmd_spec *ctl_spec_command(const char *parent, const char *name);
/* 1 when command c takes option p (every command takes --help). */
int ctl_spec_takes(const ctl_cmd_spec *c, const ctl_option *p);
/* Option p's spellings ("--output", "-o"), sep between them. */
void ctl_spec_spellings(FILE *fp, const ctl_option *p, const char *sep);
/* 1 when command c has subcommands. */
int ctl_spec_has_subs(const ctl_cmd_spec *c);

/* The global help (--help, `help`). */
void ctl_spec_usage(FILE *fp);
/* c's own help: synopsis, text, its subcommands, its options. */
void ctl_spec_help(FILE *fp, const ctl_cmd_spec *c);
/* `help [COMMAND [SUBCOMMAND]]`: prints the help asked for; returns a
 * ctl_exit code (usage error for an unknown command). */
int ctl_spec_help_cmd(const ctl_opts *o, int argc, char **argv);
/* The options command c takes (with --help), one spelling a line; every
 * option when c is NULL (the hidden --list-options). */
void ctl_spec_print_options(FILE *fp, const ctl_cmd_spec *c);

/* ---- cmd_completion.c ---- */

/* `completion bash|zsh`: prints the script. */
int ctl_cmd_completion(const ctl_opts *o, int argc, char **argv);
/* `__complete KIND [PREFIX]`: candidates, one a line, silent on failure. */
int ctl_cmd_complete(const ctl_opts *o, int argc, char **argv);

#endif
