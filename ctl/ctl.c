/*
 * ctl.c - innominatus-ctl: option parsing and command dispatch.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <innominatus/plugin.h>

#include "ctl.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: innominatus-ctl [global options] <command> [options]\n"
	    "\n"
	    "Commands:\n"
	    "  plugins            list loaded step plugins and every refused one with its reason\n"
	    "\n"
	    "Global options:\n"
	    "  --plugin-dir DIR   plugin directory (default: %s)\n"
	    "  --config FILE      admin config (default: ./admin-config.yaml if present)\n"
	    "  -o json            machine-readable output\n"
	    "  --strict           exit 1 when any plugin was refused\n"
	    "  -h, --help         this help\n"
	    "  --version          print the version and plugin ABI\n"
	    "\n"
	    "Exit codes: 0 success, 1 command failed, 2 usage error,\n"
	    "            3 configuration or plugin directory unusable.\n",
	    INN_PLUGIN_DIR);
}

int
main(int argc, char **argv)
{
	ctl_opts o;
	const char *cmd = NULL;
	char **rest;
	int i, nrest = 0;

	memset(&o, 0, sizeof(o));
	o.plugin_dir = INN_PLUGIN_DIR;
	o.config = "admin-config.yaml";
	if ((rest = calloc((size_t)argc + 1, sizeof(char *))) == NULL)
		return CTL_EXIT_FAILED;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			free(rest);
			return CTL_EXIT_OK;
		} else if (strcmp(a, "--version") == 0) {
			printf("innominatus-ctl %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
			       INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR);
			free(rest);
			return CTL_EXIT_OK;
		} else if (strcmp(a, "--plugin-dir") == 0 || strcmp(a, "--config") == 0 ||
		           strcmp(a, "-o") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "innominatus-ctl: %s needs a value\n", a);
				free(rest);
				return CTL_EXIT_USAGE;
			}
			if (strcmp(a, "--plugin-dir") == 0) {
				o.plugin_dir = argv[++i];
			} else if (strcmp(a, "--config") == 0) {
				o.config = argv[++i];
				o.config_explicit = 1;
			} else if (strcmp(argv[++i], "json") == 0) {
				o.json = 1;
			} else if (strcmp(argv[i], "text") != 0) {
				fprintf(stderr, "innominatus-ctl: -o takes json or text, not \"%s\"\n",
				        argv[i]);
				free(rest);
				return CTL_EXIT_USAGE;
			}
		} else if (strcmp(a, "--strict") == 0) {
			o.strict = 1;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "innominatus-ctl: unknown option %s (see --help)\n", a);
			free(rest);
			return CTL_EXIT_USAGE;
		} else if (cmd == NULL) {
			cmd = a;
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if (cmd == NULL) {
		usage(stderr);
		free(rest);
		return CTL_EXIT_USAGE;
	}
	if (strcmp(cmd, "plugins") == 0) {
		int rc = ctl_cmd_plugins(&o, nrest, rest);

		free(rest);
		return rc;
	}
	fprintf(stderr, "innominatus-ctl: unknown command \"%s\" (see --help)\n", cmd);
	free(rest);
	return CTL_EXIT_USAGE;
}
