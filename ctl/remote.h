/*
 * remote.h - innominatus-ctl remote mode: the commands that talk to an
 * innominatus server over its REST API (server/api.c) instead of running
 * the engine in-process.
 */
#ifndef INN_CTL_REMOTE_H
#define INN_CTL_REMOTE_H

#include "ctl.h"

/* Runs cmd remotely when it is a remote command and remote mode is on
 * (--server URL or $INNOMINATUS_SERVER, and no --local); also answers
 * remote-only commands given without a server with a usage error.
 * Returns 1 with *rc set (a ctl_exit code) when it handled cmd, 0 when
 * the local command table should. */
int ctl_remote_dispatch(const ctl_opts *o, const char *cmd, int argc, char **argv, int *rc);

/* The remote commands and options, for --help. */
void ctl_remote_usage(FILE *fp);

#endif
