/*
 * ctl.h - shared pieces of the innominatus-ctl command-line client: global
 * options and the command entry points.
 */
#ifndef INN_CTL_H
#define INN_CTL_H

/* Exit codes (documented in README.md and --help). */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1,   /* the command ran and failed (or found refusals with --strict) */
	CTL_EXIT_USAGE = 2,    /* bad command line */
	CTL_EXIT_CONFIG = 3    /* config, provider or plugin directory unusable */
};

typedef struct ctl_opts {
	const char *plugin_dir;  /* --plugin-dir, default INN_PLUGIN_DIR */
	const char *config;      /* --config, default ./admin-config.yaml */
	int config_explicit;     /* --config given: a missing file is an error */
	int json;                /* -o json */
	int strict;              /* --strict */
} ctl_opts;

int ctl_cmd_plugins(const ctl_opts *o, int argc, char **argv);

#endif
