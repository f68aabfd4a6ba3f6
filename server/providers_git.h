/*
 * providers_git.h - clones of the provider sources (providers_git.c): the
 * libgit2 part of providers.c, apart so that nothing else sees libgit2.
 * The daemon and innominatus-ctl link it (server/libinngit.la); it knows
 * the engine's error and diag modules and nothing of the daemon.
 */
#ifndef INN_SERVER_PROVIDERS_GIT_H
#define INN_SERVER_PROVIDERS_GIT_H

#include <stddef.h>

#include "providers_git_auth.h"

/* A commit id in hex, with its NUL. */
#define INN_GIT_HEX 41

/* Clones url into dir (which must not exist) and checks ref out (NULL:
 * the remote's HEAD; a branch, refs/heads/ name, tag or commit); hex gets
 * the commit.  Runs in a child process killed when the server sends
 * nothing for $INNOMINATUS_GIT_TIMEOUT s (default 60), or after 300 s;
 * no redirect to another host is followed and credentials go to url's
 * scheme://host:port only.  0, or a negative inn_status with a message. */
int inn_git_clone_at(const char *url, const char *ref, const char *dir, const inn_git_auth *auth,
                     char hex[INN_GIT_HEX]);
/* Fetches url (never the clone's own origin URL, which is set to url)
 * into the clone at dir, as inn_git_clone_at, and checks ref out; old gets the
 * commit checked out before (for a rollback), hex the new one.
 * INN_GIT_EFETCH: the fetch failed and the clone is as it was. */
#define INN_GIT_EFETCH (-60)
int inn_git_update(const char *url, const char *ref, const char *dir, const inn_git_auth *auth,
                   char old[INN_GIT_HEX], char hex[INN_GIT_HEX]);
/* inn_git_update when dir exists, else inn_git_clone_at (old ""). */
int inn_git_sync(const char *url, const char *ref, const char *dir, const inn_git_auth *auth,
                 char old[INN_GIT_HEX], char hex[INN_GIT_HEX]);
/* The commit checked out in the clone at dir into hex.  0, or
 * INN_ENOTFOUND with a message (no clone there, no HEAD). */
int inn_git_head(const char *dir, char hex[INN_GIT_HEX]);
/* Checks the clone at dir out at commit hex again (a rollback). */
void inn_git_restore(const char *dir, const char *hex);
/* The folder rel inside the clone at clone, resolved into out (PATH_MAX):
 * relative, without "..", and after symbolic links still a folder inside
 * the clone.  0 or INN_EINVAL / INN_ENOTFOUND with a message.  From then
 * on diagnostics name the clone's files by their path in the repository
 * and the commit checked out (inn_diag_alias; inn_git_restore too). */
int inn_git_subdir(const char *clone, const char *rel, char *out);
/* Frees libgit2 if it was set up (at exit). */
void inn_git_shutdown(void);

#endif
