/*
 * providers_conf.h - the admin config's providers[] as provider folders,
 * for the daemon (providers.c, at start and on reload) and innominatus-ctl
 * (its local commands): folder entries as the config names them, git
 * entries cloned or fetched with providers_git.c into a cache folder.
 */
#ifndef INN_SERVER_PROVIDERS_CONF_H
#define INN_SERVER_PROVIDERS_CONF_H

#include "model.h"
#include "policy.h"
#include "providers_git.h"

/* Clones a call moved to another commit, to put back (a refused reload). */
typedef struct inn_conf_moves {
	size_t n;
	char **dir;
	char (*old)[INN_GIT_HEX];
} inn_conf_moves;

/* Where a folder of inn_conf_provider_dirs comes from: a git entry's URL,
 * ref (NULL: the remote's HEAD) and clone folder; all NULL for a folder
 * entry.  Owned (inn_conf_origins_free). */
typedef struct inn_conf_origin {
	char *url, *ref, *clone;
} inn_conf_origin;

/*
 * The folders of pol's providers[] (inn_policy_providers) into dirs
 * (malloc'd, at most max; returns how many): a folder entry's resolved
 * folder; a git entry's clone at cache/<name>-<hash of its URL> (cloned
 * when missing, else fetched when fetch is set; cache is created, mode
 * 0700) checked out at its ref, and its path inside.  Every problem is an error in d at the
 * entry's file:line:col naming it, and leaves that entry out; the others
 * are still read.  moved (may be NULL) records each clone that moved;
 * origins (may be NULL, else max zeroed entries) gets where each folder
 * of dirs comes from.
 */
int inn_conf_provider_dirs(const inn_policy *pol, const char *cache, int fetch, char **dirs,
                           inn_conf_origin *origins, int max, inn_diag *d,
                           inn_conf_moves *moved);
void inn_conf_origins_free(inn_conf_origin *o, size_t n);
/* The credentials in the environment (INNOMINATUS_GIT_TOKEN,
 * INNOMINATUS_GIT_SSH_PASSPHRASE and the variables pol's entries name)
 * taken out of it, kept for the transfers (inn_git_env_hide). */
void inn_conf_hide_secrets(const inn_policy *pol);
/* Checks every recorded clone out at its old commit again, then frees. */
void inn_conf_moves_undo(inn_conf_moves *m);
void inn_conf_moves_free(inn_conf_moves *m);

#endif
