/*
 * ctl.c - innominatus-ctl: option parsing, the help, and the one command
 * table: each command names its in-process handler and/or the one that asks
 * a server (remote mode: --server URL or $INNOMINATUS_SERVER, no --local).
 * Global options may appear anywhere on the command line.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <innominatus/plugin.h>

#include "ctl.h"
#include "exec.h"
#include "output.h"
#include "remote.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: innominatus-ctl [options] <command> [arguments]\n"
	    "\n"
	    "Commands (local mode: no server needed):\n"
	    "  plugins                   loaded step plugins, and every refused one with its reason\n"
	    "  validate-provider DIR     load a provider folder and report every problem\n"
	    "  test-workflow FILE        validate a workflow file (with --dry-run: dry-run it)\n"
	    "  run --local WORKFLOW [SPEC]\n"
	    "                            run a workflow file, a golden path or provider/workflow,\n"
	    "                            optionally for a Score spec; prints the outputs at the end\n"
	    "  list-providers            providers found under --providers\n"
	    "  list-goldenpaths          golden paths of --goldenpaths\n"
	    "  demo-time [--dry-run]     install the demo components (gitea, argocd, vault, ...)\n"
	    "                            into the cluster of the kubeconfig through kubernetes.so;\n"
	    "                            --dry-run: list every object, contacting nothing\n"
	    "  demo-status               each demo component's health as a table\n"
	    "  demo-nuke                 delete the demo components (namespaces last)\n"
	    "                            Demo options: --kubeconfig F (default $KUBECONFIG, then\n"
	    "                            ~/.kube/config), --demo-dir D (default %s)\n"
	    "\n"
	    "Commands (remote mode: with --server URL or INNOMINATUS_SERVER, without --local;\n"
	    "with neither, the commands below that need a server ask %s;\n"
	    "token from INNOMINATUS_TOKEN, else ~/.config/innominatus/credentials, mode 0600,\n"
	    "a line token=... or {\"token\": \"...\"}):\n"
	    "  list-providers | list-goldenpaths\n"
	    "  run WORKFLOW [SPEC]       run a golden path (or provider/workflow) on the server for\n"
	    "                            an optional Score spec; follows its logs, then prints the\n"
	    "                            final status and outputs (--no-wait: print the id and return)\n"
	    "  status ID                 one execution: status, steps, outputs\n"
	    "  logs ID [-f]              its step logs (-f: follow until the run ends; exit as the run)\n"
	    "  cancel ID | retry ID      cancel a running execution; run a finished one again\n"
	    "  list-workflows            executions (--app A, --status S, --page N)\n"
	    "  deploy SPEC [-w] [--dry-run] [--ttl D]\n"
	    "                            deploy a Score app (YAML or .json): create, update or\n"
	    "                            delete its resources; prints the plan (-w: follows it,\n"
	    "                            then prints each resource's state and outputs)\n"
	    "  delete APP [-w]           tear down an app's resources, then forget it\n"
	    "  apps | app NAME           applications; one with its resources and containers\n"
	    "  resources [APP]           resources of every app (or of APP) and their states\n"
	    "  admin add-key NAME --role admin|user [--team T]\n"
	    "                            create an API key (admin key needed); prints it once\n"
	    "  admin add-provider NAME (--git-url URL [--path P] [--ref R] | --path DIR)\n"
	    "                            add a provider from a git repository (P: its folder in\n"
	    "                            the repository; R: branch, tag or commit) or a folder on\n"
	    "                            the server; validated first, every problem printed\n"
	    "  admin remove-provider NAME  remove a provider added with add-provider\n"
	    "  admin reload              re-read the config's providers, fetch every git provider;\n"
	    "                            the catalog in use is kept if the new one has errors\n"
	    "  Remote options: --server URL, --no-wait, -f/--follow, --app, --status, --page,\n"
	    "  --role, --team, --git-url, --ref, --path, -w/--wait, --ttl; --param, --dry-run\n"
	    "  and -o as for local commands.  --reconnect-wait SECS: how long run/logs -f\n"
	    "  keep reconnecting to a server that went away (default 60; exit 5 after that).\n"
	    "  deploy --help (and delete, apps, app, resources): that command's help.\n"
	    "\n"
	    "Commands on a store (no server: stop it first; --db a SQLite file, sqlite:PATH or\n"
	    "postgres://[user@]host[:port]/db, the password from PGPASSWORD, PGPASSFILE or\n"
	    "--db-password-file FILE (its first line, mode 0600), never in the URL):\n"
	    "  admin export --db URL [-o FILE]\n"
	    "                            write the whole store as JSON lines to FILE (created mode\n"
	    "                            0600) or standard output.  The dump holds what the store\n"
	    "                            holds (masked values, sealed inputs, API key hashes): it\n"
	    "                            is as sensitive as the database itself\n"
	    "  admin import --db URL [FILE|-]\n"
	    "                            load a dump (default: standard input) into an empty store\n"
	    "                            of the same schema version, all or nothing; prints the\n"
	    "                            rows per table.  Moves a store, e.g. SQLite -> PostgreSQL\n"
	    "\n"
	    "Options:\n"
	    "  --plugin-dir DIR          plugin directory (default: %s)\n"
	    "  --config FILE             admin config (default: ./admin-config.yaml if present)\n"
	    "  --providers DIR           provider folder, or folder of provider folders (repeatable;\n"
	    "                            default: the admin config's providers: key, else ./providers)\n"
	    "  --goldenpaths FILE        golden paths catalogue (default: ./workflows/goldenpaths.yaml\n"
	    "                            or ./goldenpaths.yaml if present)\n"
	    "  --param NAME=VALUE        workflow parameter (repeatable)\n"
	    "  --secret NAME=@FILE       run --local: secret NAME from FILE (mode 0600; repeatable)\n"
	    "  --secret-env NAME=VAR     run --local: secret NAME from the variable VAR (repeatable);\n"
	    "                            both over the admin config's secrets:\n"
	    "  --dry-run                 report what each step would do; change nothing\n"
	    "  --parallel N              steps running at once (default 4)\n"
	    "  -o, --output json|yaml|text\n"
	    "                            machine-readable output (yaml: what json prints, as YAML)\n"
	    "  --strict                  plugins: exit 1 when any plugin was refused\n"
	    "  -h, --help                this help\n"
	    "  --version                 print the version and plugin ABI\n"
	    "An option's value may also be attached: --server=URL, -o=yaml, -oyaml.\n"
	    "\n"
	    "Exit codes: 0 success; 1 the workflow or command failed; 2 usage error;\n"
	    "            3 invalid input (config, plugins, provider, workflow, parameters,\n"
	    "              a dump admin import refuses, a store admin export cannot find);\n"
	    "            4 the run was cancelled or timed out;\n"
	    "            5 remote mode: the server is unreachable, or authentication failed\n"
	    "              (HTTP 401/403, no usable token); 130 interrupted while watching.\n",
	    INN_DEMO_DIR, CTL_DEFAULT_SERVER, INN_PLUGIN_DIR);
}

/* The commands.  A command with a remote handler asks the server in remote
 * mode; else (or with --local) its local handler runs it in-process, unless
 * it is local_needs_flag (run: in-process only when --local says so). */
static const struct ctl_command {
	const char *name;
	int (*local_fn)(const ctl_opts *, int, char **);
	ctl_remote_fn remote_fn;
	int local_needs_flag;
} commands[] = {
	{ "plugins", ctl_cmd_plugins, NULL, 0 },
	{ "validate-provider", ctl_cmd_validate_provider, NULL, 0 },
	{ "list-providers", ctl_cmd_list_providers, ctl_rcmd_list_providers, 0 },
	{ "list-goldenpaths", ctl_cmd_list_goldenpaths, ctl_rcmd_list_goldenpaths, 0 },
	{ "test-workflow", ctl_cmd_test_workflow, NULL, 0 },
	{ "run", ctl_cmd_run, ctl_rcmd_run, 1 },
	{ "status", NULL, ctl_rcmd_status, 0 },
	{ "logs", NULL, ctl_rcmd_logs, 0 },
	{ "cancel", NULL, ctl_rcmd_cancel, 0 },
	{ "retry", NULL, ctl_rcmd_retry, 0 },
	{ "list-workflows", NULL, ctl_rcmd_list_workflows, 0 },
	{ "admin", NULL, ctl_rcmd_admin, 0 },
	/* the demo environment: in-process, no server (ctl/cmd_demo.c) */
	{ "demo-time", ctl_cmd_demo_time, NULL, 0 },
	{ "demo-status", ctl_cmd_demo_status, NULL, 0 },
	{ "demo-nuke", ctl_cmd_demo_nuke, NULL, 0 },
	/* Score applications (ctl/cmd_apps.c) */
	{ "deploy", NULL, ctl_rcmd_deploy, 0 },
	{ "delete", NULL, ctl_rcmd_delete, 0 },
	{ "apps", NULL, ctl_rcmd_apps, 0 },
	{ "app", NULL, ctl_rcmd_app, 0 },
	{ "resources", NULL, ctl_rcmd_resources, 0 },
};

/* Runs command c the way the options ask; returns a ctl_exit code. */
static int
dispatch(const struct ctl_command *c, const ctl_opts *o, int argc, char **argv)
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

/* Options whose value is kept as given, and where. */
static const struct {
	const char *name;
	size_t off;              /* of a const char * in ctl_opts */
} str_opts[] = {
	{ "--plugin-dir", offsetof(ctl_opts, plugin_dir) },
	{ "--goldenpaths", offsetof(ctl_opts, goldenpaths) },
	/* remote mode (ctl/cmd_remote.c) */
	{ "--server", offsetof(ctl_opts, server) },
	{ "--app", offsetof(ctl_opts, app) },
	{ "--status", offsetof(ctl_opts, status) },
	{ "--role", offsetof(ctl_opts, role) },
	{ "--team", offsetof(ctl_opts, team) },
	{ "--git-url", offsetof(ctl_opts, git_url) },
	{ "--ref", offsetof(ctl_opts, ref) },
	{ "--path", offsetof(ctl_opts, path) },
	/* demo-time, demo-status, demo-nuke */
	{ "--kubeconfig", offsetof(ctl_opts, kubeconfig) },
	{ "--demo-dir", offsetof(ctl_opts, demo_dir) },
	{ "--ttl", offsetof(ctl_opts, ttl) },
	/* admin export / import */
	{ "--db", offsetof(ctl_opts, db) },
	{ "--db-password-file", offsetof(ctl_opts, db_password_file) },
};

/* The other options that take a value (set_value reads them). */
static const char *const value_opts[] = { "--config", "-o", "--output", "--providers",
                                          "--param", "-p", "--secret", "--secret-env",
                                          "--parallel", "--page", "--reconnect-wait", NULL };

/* The str_opts index of option a, or -1. */
static int
str_opt(const char *a)
{
	size_t i;

	for (i = 0; i < sizeof(str_opts) / sizeof(str_opts[0]); i++)
		if (strcmp(a, str_opts[i].name) == 0)
			return (int)i;
	return -1;
}

/* Options that take a value. */
static int
takes_value(const char *a)
{
	int i;

	for (i = 0; value_opts[i] != NULL; i++)
		if (strcmp(a, value_opts[i]) == 0)
			return 1;
	return str_opt(a) >= 0;
}

/* 1 when a is an option that takes a value with the value attached, as the
 * original's CLI (cobra) took them: --name=VALUE, -o=VALUE, -oVALUE; then
 * name holds the option ("--name", "-o") and *val points into a. */
static int
attached_value(const char *a, char *name, size_t namelen, const char **val)
{
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
	return takes_value(name);
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

static int
set_value(ctl_opts *o, const char *a, const char *val)
{
	int k = str_opt(a);

	if (k >= 0) {
		*(const char **)(void *)((char *)o + str_opts[k].off) = val;
	} else if (strcmp(a, "--config") == 0) {
		o->config = val;
		o->config_explicit = 1;
	} else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
		/* yaml: what json prints, as YAML (ctl/output.c); admin export
		 * takes a file name (checked once the command is known) */
		o->json = strcmp(val, "json") == 0 || strcmp(val, "yaml") == 0;
		ctl_output_yaml(strcmp(val, "yaml") == 0);
		o->out_file = val;
		o->output_bad = o->json || strcmp(val, "text") == 0 ? NULL :
		                strcmp(a, "-o") == 0 ? "-o" : "--output";
	} else if (strcmp(a, "--providers") == 0) {
		if (o->nproviders >= CTL_MAX_LIST)
			return -1;
		o->providers[o->nproviders++] = val;
	} else if (strcmp(a, "--param") == 0 || strcmp(a, "-p") == 0) {
		if (o->nparams >= CTL_MAX_LIST)
			return -1;
		o->params[o->nparams++] = val;
	} else if (strcmp(a, "--secret") == 0) {
		if (o->nsecret_files >= CTL_MAX_LIST)
			return -1;
		o->secret_files[o->nsecret_files++] = val;
	} else if (strcmp(a, "--secret-env") == 0) {
		if (o->nsecret_envs >= CTL_MAX_LIST)
			return -1;
		o->secret_envs[o->nsecret_envs++] = val;
	} else if (strcmp(a, "--parallel") == 0) {
		return parse_range(a, val, 1, 256, "", &o->parallel);
	} else if (strcmp(a, "--page") == 0) {           /* remote mode */
		return parse_range(a, val, 1, 1000000, "", &o->page);
	} else if (strcmp(a, "--reconnect-wait") == 0) {
		return parse_range(a, val, 0, 86400, " seconds", &o->reconnect_wait);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	ctl_opts o;
	const char *cmd = NULL;
	char **rest;
	int i, nrest = 0, rc = CTL_EXIT_USAGE, w;
	size_t k;

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
		char name[32];

		if (attached_value(a, name, sizeof(name), &val)) {
			if (set_value(&o, name, val) != 0)
				goto out;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			const char *h = cmd != NULL ? ctl_apps_help(cmd) : NULL;

			if (h != NULL)
				fputs(h, stdout);
			else
				usage(stdout);
			rc = CTL_EXIT_OK;
			goto out;
		} else if (strcmp(a, "--version") == 0) {
			printf("innominatus-ctl %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
			       INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR);
			rc = CTL_EXIT_OK;
			goto out;
		} else if (takes_value(a)) {
			if (i + 1 >= argc) {
				fprintf(stderr, "innominatus-ctl: %s needs a value\n", a);
				goto out;
			}
			if (set_value(&o, a, argv[++i]) != 0)
				goto out;
		} else if (strcmp(a, "--strict") == 0) {
			o.strict = 1;
		} else if (strcmp(a, "--dry-run") == 0) {
			o.dry_run = 1;
		} else if (strcmp(a, "--local") == 0) {
			o.local = 1;
		} else if (strcmp(a, "--no-wait") == 0) {          /* remote mode */
			o.no_wait = 1;
		} else if (strcmp(a, "-f") == 0 || strcmp(a, "--follow") == 0) {
			o.follow = 1;
		} else if (strcmp(a, "-w") == 0 || strcmp(a, "--wait") == 0 ||
		           strcmp(a, "--watch") == 0) {
			o.wait = 1;
		} else if (strcmp(a, "--") == 0) {
			while (++i < argc)
				rest[nrest++] = argv[i];
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "innominatus-ctl: unknown option %s (see --help)\n", a);
			goto out;
		} else if (cmd == NULL) {
			cmd = a;
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if (cmd == NULL) {
		usage(stderr);
		goto out;
	}
	if (o.output_bad != NULL && !(strcmp(cmd, "admin") == 0 && nrest > 0 &&
	                              strcmp(rest[0], "export") == 0)) {
		fprintf(stderr, "innominatus-ctl: %s takes json, yaml or text, not \"%s\"\n",
		        o.output_bad, o.out_file);
		goto out;
	}
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(cmd, commands[k].name) == 0) {
			rc = dispatch(&commands[k], &o, nrest, rest);
			goto out;
		}
	fprintf(stderr, "innominatus-ctl: unknown command \"%s\" (see --help)\n", cmd);
out:
	free(rest);
	return rc;
}
