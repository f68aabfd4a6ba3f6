/*
 * providers_git.h - clones of the provider sources (providers_git.c): the
 * libgit2 part of providers.c, apart so that nothing else sees libgit2.
 */
#ifndef INN_SERVER_PROVIDERS_GIT_H
#define INN_SERVER_PROVIDERS_GIT_H

/* A commit id in hex, with its NUL. */
#define INN_GIT_HEX 41

/* Clones url into dir (which must not exist) and checks ref out (NULL:
 * the remote's HEAD; a branch, tag or commit); hex gets the commit.
 * Aborted after 300 s.  0, or a negative inn_status with a message. */
int inn_git_clone_at(const char *url, const char *ref, const char *dir, char hex[INN_GIT_HEX]);
/* Fetches origin in the clone at dir and checks ref out; old gets the
 * commit checked out before (for a rollback), hex the new one. */
int inn_git_update(const char *url, const char *ref, const char *dir, char old[INN_GIT_HEX],
                   char hex[INN_GIT_HEX]);
/* Checks the clone at dir out at commit hex again (a rollback). */
void inn_git_restore(const char *dir, const char *hex);
/* Frees libgit2 if it was set up (at exit). */
void inn_git_shutdown(void);

#endif
