/*
 * cmd_new_stub.c - TEMPORARY (branch i14-cli only; the merge drops this
 * file and its Makefile.am line): a weak ctl_cmd_new so that the ctl links
 * before ctl/cmd_new.c, the generators, arrives.
 */
#include "config.h"

#include <stdio.h>

#include "ctl.h"

__attribute__((weak)) int
ctl_cmd_new(const ctl_opts *o, int argc, char **argv)
{
	(void)o;
	(void)argc;
	(void)argv;
	fprintf(stderr, "innominatus-ctl: new: the generators are not built in yet\n");
	return CTL_EXIT_FAILED;
}
