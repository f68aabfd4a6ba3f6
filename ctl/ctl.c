/*
 * ctl.c - innominatus-ctl's main: parses the options the table of
 * ctl_spec.c names, and runs the command through its in-process handler
 * and/or the one that asks a server (remote mode: --server URL or
 * $INNOMINATUS_SERVER, no --local).  Options may appear anywhere on the
 * command line; one the command (or its subcommand) does not take is a
 * usage error: ignored, --dry-run on retry or cancel would act for real.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <innominatus/plugin.h>

#include "ctl.h"
#include "ctl_spec.h"
#include "exec.h"
#include "output.h"
#include "remote.h"

/* Runs command c the way the options ask; returns a ctl_exit code. */
static int
dispatch(const ctl_cmd_spec *c, const ctl_opts *o, int argc, char **argv)
{
	int remote = !o->local && ctl_server_url(o) != NULL;

	/* export and import open the store itself: never a server */
	if (strcmp(c->name, "admin") == 0 && ctl_admin_store_wants(argc, argv))
		return ctl_cmd_admin_store(o, argc, argv);
	if (c->remote_fn != NULL && remote)
		return ctl_remote_call(o, c->remote_fn, argc, argv);
	if (c->local_fn != NULL && (o->local || !c->local_needs_flag))
		return c->local_fn(o, argc, argv);
	if (c->remote_fn != NULL && !o->local) {
		/* no server named: the original's default, said so if it fails */
		ctl_opts d = *o;

		d.server = CTL_DEFAULT_SERVER;
		d.server_default = c->local_fn != NULL ? 2 : 1;
		return ctl_remote_call(&d, c->remote_fn, argc, argv);
	}
	fprintf(stderr, "innominatus-ctl: %s talks to a server: give --server URL or set "
	        "INNOMINATUS_SERVER%s\n", c->name,
	        o->local ? " (and drop --local)" : c->local_fn != NULL ?
	        "; or run it in-process with --local" : "");
	return CTL_EXIT_USAGE;
}

/* 1 when a is an option that takes a value with the value attached, as the
 * original's CLI (cobra) took them: --name=VALUE, -o=VALUE, -oVALUE; then
 * name holds the option ("--name", "-o") and *val points into a. */
static int
attached_value(const char *a, char *name, size_t namelen, const char **val)
{
	const ctl_option *p;
	size_t n;

	if (a[0] != '-' || a[1] == '\0')
		return 0;
	if (a[1] == '-')
		n = strcspn(a, "=");
	else
		n = 2;          /* -o: a one-letter option, the rest its value */
	if (a[n] == '\0' || n >= namelen)
		return 0;
	memcpy(name, a, n);
	name[n] = '\0';
	*val = a + n + (a[n] == '=');
	return (p = ctl_spec_option(name)) != NULL && p->arg != NULL;
}

/* val as a whole number in lo..hi into *out; -1 with a message naming opt
 * (and unit) otherwise. */
static int
parse_range(const char *opt, const char *val, long lo, long hi, const char *unit, int *out)
{
	char *end;
	long n = strtol(val, &end, 10);

	if (*end != '\0' || end == val || n < lo || n > hi) {
		fprintf(stderr, "innominatus-ctl: %s takes %ld..%ld%s, not \"%s\"\n", opt, lo, hi,
		        unit, val);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* Appends val to a repeatable option's list; -1 after a message when full. */
static int
list_add(const char *opt, const char **list, int *n, const char *val)
{
	if (*n >= CTL_MAX_LIST) {
		fprintf(stderr, "innominatus-ctl: %s is given more than %d times\n", opt,
		        CTL_MAX_LIST);
		return -1;
	}
	list[(*n)++] = val;
	return 0;
}

/* Stores option p's value val in o (a: the option as spelt); -1 after a
 * message when it is bad. */
static int
set_value(ctl_opts *o, const ctl_option *p, const char *a, const char *val)
{
	switch (p->id) {
	case CTL_OPT_CONFIG:
		o->config = val;
		o->config_explicit = 1;
		return 0;
	case CTL_OPT_OUTPUT:
		/* yaml: what json prints, as YAML (ctl/output.c); admin export
		 * takes a file name (checked once the command is known) */
		o->json = strcmp(val, "json") == 0 || strcmp(val, "yaml") == 0;
		ctl_output_yaml(strcmp(val, "yaml") == 0);
		o->out_file = val;
		o->output_bad = o->json || strcmp(val, "text") == 0 ? NULL :
		                strcmp(a, "-o") == 0 ? "-o" : "--output";
		return 0;
	case CTL_OPT_PROVIDERS:
		return list_add(a, o->providers, &o->nproviders, val);
	case CTL_OPT_PARAM:
		return list_add(a, o->params, &o->nparams, val);
	case CTL_OPT_SECRET:
		return list_add(a, o->secret_files, &o->nsecret_files, val);
	case CTL_OPT_SECRET_ENV:
		return list_add(a, o->secret_envs, &o->nsecret_envs, val);
	case CTL_OPT_PARALLEL:
		return parse_range(a, val, 1, 256, "", &o->parallel);
	case CTL_OPT_PAGE:
		return parse_range(a, val, 1, 1000000, "", &o->page);
	case CTL_OPT_RECONNECT_WAIT:
		return parse_range(a, val, 0, 86400, " seconds", &o->reconnect_wait);
	default:
		if (p->store == CTL_STORE_STR)
			*(const char **)(void *)((char *)o + p->off) = val;
		return 0;
	}
}

static int sub_missing(const ctl_cmd_spec *c, int nrest, char **rest);

/* The options every command takes: where to find the server, the catalog
 * and the plugins, and how to print.  They change what a command reads or
 * how it prints, never what it does. */
#define GLOBAL_OPTS (CTL_O(HELP) | CTL_O(VERSION) | CTL_O(SERVER) | CTL_O(CONFIG) | \
                     CTL_O(PLUGIN_DIR) | CTL_O(PROVIDERS) | CTL_O(GOLDENPATHS) | \
                     CTL_O(OUTPUT) | CTL_O(RECONNECT_WAIT))

/* Refuses the options given (seen, spelt as spelt[id]) that command c, or
 * its subcommand rest[0], does not take; 0 when all are taken. */
static int
check_options(const ctl_cmd_spec *c, int nrest, char **rest, uint64_t seen,
              const char *const *spelt)
{
	const ctl_cmd_spec *sub = nrest > 0 ? ctl_spec_command(c->name, rest[0]) : NULL;
	const ctl_cmd_spec *e = sub != NULL ? sub : c;
	char who[96];
	int id;

	snprintf(who, sizeof(who), "%s%s%s", c->name, sub ? " " : "", sub ? sub->name : "");
	for (id = 0; id < CTL_OPT_COUNT; id++) {
		uint64_t bit = (uint64_t)1 << id;

		if (!(seen & bit) || (GLOBAL_OPTS & bit) || (e->options & bit))
			continue;
		/* a server's command with --local: dispatch() refuses it, saying
		 * it talks to a server */
		if (id == CTL_OPT_LOCAL && c->remote_fn != NULL && c->local_fn == NULL)
			continue;
		fprintf(stderr, "innominatus-ctl: %s does not take %s (see: innominatus-ctl %s "
		        "--help)\n", who, spelt[id], who);
		if (id == CTL_OPT_PARAM && strcmp(who, "retry") == 0)
			fputs("innominatus-ctl: retry runs the execution again with the parameters it "
			      "had; it takes no --param (the server cannot change them on a retry).  "
			      "To run with other parameters, run the workflow again: innominatus-ctl "
			      "run WORKFLOW --param NAME=VALUE\n", stderr);
		return -1;
	}
	/* both named: which one was meant is not ours to guess */
	if ((seen & CTL_O(LOCAL)) && (seen & CTL_O(SERVER))) {
		fprintf(stderr, "innominatus-ctl: %s: --local runs in-process, --server asks a "
		        "server: give one of them\n", who);
		return -1;
	}
	return 0;
}

/* The help asked for by `CMD [SUB] --help`. */
static int
help_for(const ctl_cmd_spec *c, int nrest, char **rest)
{
	const ctl_cmd_spec *sub;

	if (nrest > 0 && (sub = ctl_spec_command(c->name, rest[0])) != NULL)
		c = sub;
	else if (nrest > 0 && ctl_spec_has_subs(c))
		/* as `help admin bogus`: no such subcommand is a usage error */
		return sub_missing(c, nrest, rest);
	ctl_spec_help(stdout, c);
	return CTL_EXIT_OK;
}

/* A command with subcommands (admin, new, completion) given none, or one
 * it does not have: its help on stderr, a usage error. */
static int
sub_missing(const ctl_cmd_spec *c, int nrest, char **rest)
{
	if (nrest > 0)
		fprintf(stderr, "innominatus-ctl: %s has no subcommand \"%s\"\n\n", c->name,
		        ctl_term_safe(stderr, rest[0]));
	else
		fprintf(stderr, "innominatus-ctl: %s needs a subcommand\n\n", c->name);
	ctl_spec_help(stderr, c);
	return CTL_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	ctl_opts o;
	const char *cmd = NULL;
	const ctl_cmd_spec *c;
	char **rest;
	const char *spelt[CTL_OPT_COUNT];
	uint64_t seen = 0;
	int i, nrest = 0, rc = CTL_EXIT_USAGE, w, want_help = 0;

	if ((w = inn_worker_maybe_main(argc, argv)) >= 0)
		return w;
	memset(&o, 0, sizeof(o));
	o.reconnect_wait = -1;
	o.plugin_dir = INN_PLUGIN_DIR;
	o.config = "admin-config.yaml";
	if ((rest = calloc((size_t)argc + 1, sizeof(char *))) == NULL)
		return CTL_EXIT_FAILED;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val;
		const ctl_option *p;
		char name[32];

		if (attached_value(a, name, sizeof(name), &val)) {
			p = ctl_spec_option(name);
			if (!(seen & ((uint64_t)1 << p->id)))
				spelt[p->id] = p->name;
			seen |= (uint64_t)1 << p->id;
			if (set_value(&o, p, name, val) != 0)
				goto out;
			continue;
		}
		if ((p = ctl_spec_option(a)) != NULL) {
			if (!(seen & ((uint64_t)1 << p->id)))
				spelt[p->id] = a;
			seen |= (uint64_t)1 << p->id;
			if (p->id == CTL_OPT_HELP) {
				want_help = 1;
			} else if (p->id == CTL_OPT_VERSION) {
				printf("innominatus-ctl %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
				       INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR);
				rc = CTL_EXIT_OK;
				goto out;
			} else if (p->arg != NULL) {
				if (i + 1 >= argc) {
					fprintf(stderr, "innominatus-ctl: %s needs a value\n", a);
					goto out;
				}
				if (set_value(&o, p, a, argv[++i]) != 0)
					goto out;
			} else if (p->store == CTL_STORE_FLAG) {
				*(int *)(void *)((char *)&o + p->off) = 1;
			}
		} else if (strcmp(a, "--list-options") == 0) {
			/* hidden: every spelling, for the man page's drift test */
			ctl_spec_print_options(stdout, NULL);
			rc = CTL_EXIT_OK;
			goto out;
		} else if (strcmp(a, "--") == 0) {
			while (++i < argc)
				rest[nrest++] = argv[i];
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "innominatus-ctl: unknown option %s (see --help)\n",
			        ctl_term_safe(stderr, a));
			goto out;
		} else if (cmd == NULL) {
			cmd = a;
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if (cmd == NULL) {
		ctl_spec_usage(want_help ? stdout : stderr);
		rc = want_help ? CTL_EXIT_OK : CTL_EXIT_USAGE;
		goto out;
	}
	if ((c = ctl_spec_command(NULL, cmd)) == NULL) {
		fprintf(stderr, "innominatus-ctl: unknown command \"%s\" (see --help)\n",
		        ctl_term_safe(stderr, cmd));
		goto out;
	}
	if (want_help) {
		rc = help_for(c, nrest, rest);
		goto out;
	}
	if (check_options(c, nrest, rest, seen, spelt) != 0)
		goto out;
	if (o.output_bad != NULL && !(strcmp(cmd, "admin") == 0 && nrest > 0 &&
	                              strcmp(rest[0], "export") == 0)) {
		fprintf(stderr, "innominatus-ctl: %s takes json, yaml or text, not \"%s\"\n",
		        o.output_bad, o.out_file);
		goto out;
	}
	if (ctl_spec_has_subs(c) && (nrest == 0 || ctl_spec_command(c->name, rest[0]) == NULL))
		rc = sub_missing(c, nrest, rest);
	else
		rc = dispatch(c, &o, nrest, rest);
out:
	free(rest);
	return rc;
}
