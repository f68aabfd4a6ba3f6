/*
 * cmd_new.h - what the generators (`innominatus-ctl new ...`) share:
 * the embedded templates and the careful file writing.
 */
#ifndef INN_CTL_CMD_NEW_H
#define INN_CTL_CMD_NEW_H

#include <stddef.h>

#include "ctl.h"

/* One file of templates/, embedded at build time by templates/embed.sh
 * (ctl/new_templates.c): its path below templates/ ("plugin/Makefile.am",
 * "__NAME__" standing for the name in file names), its mode and its lines
 * (each ending in "\n"; NULL-terminated).  In the lines, @@NAME@@ and
 * @@CNAME@@ (the name as a C identifier) are replaced. */
struct ctl_template {
	const char *path;
	int mode;
	const char *const *lines;
};
/* Ends with an entry whose path is NULL. */
extern const struct ctl_template ctl_templates[];

/* `new workflow NAME` (cmd_new_workflow.c); the name is checked. */
int ctl_new_workflow(const ctl_opts *o, const char *name);

/* Creates path (never over an existing file or through a symbolic link)
 * with mode and writes len bytes of text; prints why on failure and
 * removes what it created.  Returns 0 or -1. */
int ctl_new_write(const char *path, const char *text, size_t len, int mode);

/* The same for rel below the folder open as dfd (AT_FDCWD: the working
 * folder); path is the name said in messages. */
int ctl_new_writeat(int dfd, const char *rel, const char *path, const char *text,
                    size_t len, int mode);

#endif
