/*
 * ctl.h - shared pieces of the innominatus-ctl command-line client: global
 * options, exit codes, the helpers that load policy, plugins and the
 * catalog the way the server does, and the command entry points.
 */
#ifndef INN_CTL_H
#define INN_CTL_H

#include <stdio.h>

#include <json-c/json.h>

#include "model.h"
#include "policy.h"
#include "registry.h"

/* Exit codes (documented in README.md and --help). */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1,   /* the workflow/command ran and failed (or --strict refusals) */
	CTL_EXIT_USAGE = 2,    /* bad command line */
	CTL_EXIT_CONFIG = 3,   /* invalid input: admin config, plugin dir, provider, workflow, parameters */
	CTL_EXIT_STOPPED = 4,  /* the run was cancelled or timed out */
	CTL_EXIT_REMOTE = 5,   /* remote mode: server unreachable, or authentication failed */
	CTL_EXIT_INTERRUPTED = 130  /* remote mode: Ctrl-C while watching a run */
};

#define CTL_MAX_LIST 64
/* The server remote commands ask when neither --server nor
 * $INNOMINATUS_SERVER names one (the original CLI's default). */
#define CTL_DEFAULT_SERVER "http://localhost:8081"

typedef struct ctl_opts {
	const char *plugin_dir;  /* --plugin-dir, default INN_PLUGIN_DIR */
	const char *config;      /* --config, default ./admin-config.yaml */
	int config_explicit;     /* --config given: a missing file is an error */
	int json;                /* -o json */
	int strict;              /* --strict */
	int dry_run;             /* --dry-run */
	int local;               /* --local */
	int parallel;            /* --parallel N */
	const char *goldenpaths; /* --goldenpaths FILE */
	const char *providers[CTL_MAX_LIST]; /* --providers DIR (repeatable) */
	int nproviders;
	const char *params[CTL_MAX_LIST];    /* --param k=v (repeatable) */
	int nparams;
	const char *secret_files[CTL_MAX_LIST]; /* --secret NAME=@FILE (repeatable) */
	int nsecret_files;
	const char *secret_envs[CTL_MAX_LIST];  /* --secret-env NAME=VAR (repeatable) */
	int nsecret_envs;
	/* remote mode (ctl/cmd_remote.c) */
	const char *server;      /* --server URL, else $INNOMINATUS_SERVER */
	int server_default;      /* neither: server is CTL_DEFAULT_SERVER (2: the command
	                          * also runs in-process with --local) */
	int no_wait;             /* --no-wait: run/retry return once submitted */
	int follow;              /* -f, --follow: logs streams until the run ends */
	int reconnect_wait;      /* --reconnect-wait SECS: following retries this long; -1 = 60 */
	const char *app;         /* --app A (list-workflows) */
	const char *status;      /* --status S (list-workflows) */
	int page;                /* --page N (list-workflows), 0 = first */
	const char *role;        /* --role admin|user (admin add-key) */
	const char *team;        /* --team T (admin add-key) */
	const char *git_url;     /* --git-url URL (admin add-provider) */
	const char *ref;         /* --ref R (admin add-provider) */
	const char *path;        /* --path P (admin add-provider) */
	/* demo-time, demo-status, demo-nuke (ctl/cmd_demo.c) */
	const char *kubeconfig;  /* --kubeconfig F */
	const char *demo_dir;    /* --demo-dir D */
	int wait;                /* -w, --wait, --watch: deploy/delete follow the execution */
	const char *ttl;         /* --ttl D (deploy): the app is deleted when it expires */
	/* admin export / import (ctl/cmd_admin_store.c) */
	const char *db;          /* --db URL: the store */
	const char *db_password_file; /* --db-password-file FILE */
	const char *new_type;         /* new workflow --type T */
	const char *new_dir;          /* new ... --dir DIR */
	const char *out_file;    /* -o FILE (admin export): what -o said, as given */
	const char *output_bad;  /* "-o" or "--output" when its value was not json, yaml or
	                          * text (only admin export takes that: a file) */
} ctl_opts;

/* Loaded environment of a command. */
typedef struct ctl_env {
	inn_policy *policy;
	inn_registry *registry;
	inn_catalog *catalog;
	json_object *secrets;    /* run --local: the admin config's secrets, then the flags' */
	json_object *secrets_bad;/* the admin config's secrets that cannot be read: name -> why */
	inn_diag diag;
	size_t catalog_errors;   /* entries of the catalog left out (said) */
} ctl_env;

/* Loads policy and plugins (and the catalog if want_catalog), printing
 * what went wrong; returns a ctl_exit code.  A catalog entry with errors
 * is left out, as the server leaves it out: its errors are printed, counted
 * in catalog_errors, and the valid entries are used (diag is emptied for
 * the command's own diagnostics). */
int ctl_env_load(ctl_env *env, const ctl_opts *o, int want_catalog);
void ctl_env_free(ctl_env *env);
/* Prints diagnostics to fp as "file:line:col: error: message" lines. */
void ctl_print_diag(FILE *fp, const inn_diag *d);
/* path names a regular file (following links). */
int ctl_is_file(const char *path);
/* Prints "usage: innominatus-ctl <text>" to stderr; returns
 * CTL_EXIT_USAGE. */
int ctl_usage(const char *text);
/* Whether name can be the NAME of cmd ("admin revoke-key"): for
 * CTL_NAME_KEY the server's rule for key and team names; for
 * CTL_NAME_PROVIDER a provider source's; for CTL_NAME_APP any name but
 * "", "." and ".." without "/" or control characters (they would name
 * another URL path).  CTL_EXIT_OK, or CTL_EXIT_USAGE with the rule said. */
enum { CTL_NAME_KEY, CTL_NAME_PROVIDER, CTL_NAME_APP };
int ctl_name_arg(const char *cmd, const char *name, int kind);

/* --param k=v list as a JSON object (values are strings; the engine
 * converts them to the parameters' types).  NULL with a message on error. */
json_object *ctl_params(const ctl_opts *o);

int ctl_cmd_plugins(const ctl_opts *o, int argc, char **argv);
int ctl_cmd_validate_provider(const ctl_opts *o, int argc, char **argv);
int ctl_cmd_list_providers(const ctl_opts *o, int argc, char **argv);
int ctl_cmd_list_goldenpaths(const ctl_opts *o, int argc, char **argv);
int ctl_cmd_test_workflow(const ctl_opts *o, int argc, char **argv);
int ctl_cmd_run(const ctl_opts *o, int argc, char **argv);
/* the demo environment (cmd_demo.c) */
int ctl_cmd_demo_time(const ctl_opts *o, int argc, char **argv);
int ctl_cmd_demo_status(const ctl_opts *o, int argc, char **argv);
int ctl_cmd_demo_nuke(const ctl_opts *o, int argc, char **argv);
/* admin export / import: a store moved between backends, offline
 * (cmd_admin_store.c).  wants: 1 when argv (after "admin") is one of them. */
int ctl_admin_store_wants(int argc, char **argv);
int ctl_cmd_admin_store(const ctl_opts *o, int argc, char **argv);
/* Generators (cmd_new.c): `new provider NAME`, `new workflow NAME [--type
 * T]`, `new plugin NAME`; --dir DIR where to write (o->new_dir, o->new_type). */
int ctl_cmd_new(const ctl_opts *o, int argc, char **argv);

#endif
