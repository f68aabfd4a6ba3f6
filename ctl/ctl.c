/*
 * ctl.c - innominatus-ctl: option parsing and command dispatch.  Global
 * options may appear anywhere on the command line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <innominatus/plugin.h>

#include "ctl.h"
#include "exec.h"
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
	    "\n");
	ctl_remote_usage(fp);
	fprintf(fp,
	    "\n"
	    "Options:\n"
	    "  --plugin-dir DIR          plugin directory (default: %s)\n"
	    "  --config FILE             admin config (default: ./admin-config.yaml if present)\n"
	    "  --providers DIR           provider folder, or folder of provider folders (repeatable;\n"
	    "                            default: the admin config's providers[], else ./providers)\n"
	    "  --goldenpaths FILE        golden paths catalogue (default: ./workflows/goldenpaths.yaml\n"
	    "                            or ./goldenpaths.yaml if present)\n"
	    "  --param NAME=VALUE        workflow parameter (repeatable)\n"
	    "  --dry-run                 report what each step would do; change nothing\n"
	    "  --parallel N              steps running at once (default 4)\n"
	    "  -o json                   machine-readable output\n"
	    "  --strict                  plugins: exit 1 when any plugin was refused\n"
	    "  -h, --help                this help\n"
	    "  --version                 print the version and plugin ABI\n"
	    "\n"
	    "Exit codes: 0 success; 1 the workflow or command failed; 2 usage error;\n"
	    "            3 invalid input (config, plugins, provider, workflow, parameters);\n"
	    "            4 the run was cancelled or timed out;\n"
	    "            5 remote mode: the server is unreachable, or authentication failed\n"
	    "              (HTTP 401/403, no usable token); 130 interrupted while watching.\n",
	    INN_PLUGIN_DIR);
}

static const struct {
	const char *name;
	int (*fn)(const ctl_opts *, int, char **);
} commands[] = {
	{ "plugins", ctl_cmd_plugins },
	{ "validate-provider", ctl_cmd_validate_provider },
	{ "list-providers", ctl_cmd_list_providers },
	{ "list-goldenpaths", ctl_cmd_list_goldenpaths },
	{ "test-workflow", ctl_cmd_test_workflow },
	{ "run", ctl_cmd_run },
};

/* Options that take a value. */
static int
takes_value(const char *a)
{
	static const char *const v[] = { "--plugin-dir", "--config", "-o", "--providers",
	                                 "--goldenpaths", "--param", "-p", "--parallel",
	                                 /* remote mode */
	                                 "--server", "--app", "--status", "--page", "--role",
	                                 "--team", "--git-url", "--ref", "--path", "--reconnect-wait",
	                                 NULL };
	int i;

	for (i = 0; v[i] != NULL; i++)
		if (strcmp(a, v[i]) == 0)
			return 1;
	return 0;
}

static int
set_value(ctl_opts *o, const char *a, const char *val)
{
	if (strcmp(a, "--plugin-dir") == 0) {
		o->plugin_dir = val;
	} else if (strcmp(a, "--config") == 0) {
		o->config = val;
		o->config_explicit = 1;
	} else if (strcmp(a, "-o") == 0) {
		if (strcmp(val, "json") == 0)
			o->json = 1;
		else if (strcmp(val, "text") != 0) {
			fprintf(stderr, "innominatus-ctl: -o takes json or text, not \"%s\"\n", val);
			return -1;
		}
	} else if (strcmp(a, "--providers") == 0) {
		if (o->nproviders >= CTL_MAX_LIST)
			return -1;
		o->providers[o->nproviders++] = val;
	} else if (strcmp(a, "--goldenpaths") == 0) {
		o->goldenpaths = val;
	} else if (strcmp(a, "--param") == 0 || strcmp(a, "-p") == 0) {
		if (o->nparams >= CTL_MAX_LIST)
			return -1;
		o->params[o->nparams++] = val;
	} else if (strcmp(a, "--parallel") == 0) {
		char *end;
		long n = strtol(val, &end, 10);

		if (*end != '\0' || n < 1 || n > 256) {
			fprintf(stderr, "innominatus-ctl: --parallel takes 1..256, not \"%s\"\n",
			        val);
			return -1;
		}
		o->parallel = (int)n;
	/* --- remote mode (ctl/remote.c) --- */
	} else if (strcmp(a, "--server") == 0) {
		o->server = val;
	} else if (strcmp(a, "--app") == 0) {
		o->app = val;
	} else if (strcmp(a, "--status") == 0) {
		o->status = val;
	} else if (strcmp(a, "--page") == 0) {
		char *end;
		long n = strtol(val, &end, 10);

		if (*end != '\0' || n < 1 || n > 1000000) {
			fprintf(stderr, "innominatus-ctl: --page takes 1..1000000, not \"%s\"\n", val);
			return -1;
		}
		o->page = (int)n;
	} else if (strcmp(a, "--reconnect-wait") == 0) {
		char *end;
		long n = strtol(val, &end, 10);

		if (*end != '\0' || end == val || n < 0 || n > 86400) {
			fprintf(stderr, "innominatus-ctl: --reconnect-wait takes 0..86400 seconds, "
			        "not \"%s\"\n", val);
			return -1;
		}
		o->reconnect_wait = (int)n;
	} else if (strcmp(a, "--role") == 0) {
		o->role = val;
	} else if (strcmp(a, "--team") == 0) {
		o->team = val;
	} else if (strcmp(a, "--git-url") == 0) {
		o->git_url = val;
	} else if (strcmp(a, "--ref") == 0) {
		o->ref = val;
	} else if (strcmp(a, "--path") == 0) {
		o->path = val;
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
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
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
	/* remote mode: --server / $INNOMINATUS_SERVER routes to ctl/remote.c */
	if (ctl_remote_dispatch(&o, cmd, nrest, rest, &rc))
		goto out;
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(cmd, commands[k].name) == 0) {
			rc = commands[k].fn(&o, nrest, rest);
			goto out;
		}
	fprintf(stderr, "innominatus-ctl: unknown command \"%s\" (see --help)\n", cmd);
out:
	free(rest);
	return rc;
}
