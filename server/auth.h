/*
 * auth.h - who a request's API key belongs to, and what that caller may
 * see: the key check (with a small cache of recently verified keys) and
 * the tenancy rule that the API, the SSE hub and the execution manager
 * share.  Nothing here knows HTTP.
 */
#ifndef INN_SERVER_AUTH_H
#define INN_SERVER_AUTH_H

#include "store.h"

/* The authenticated caller of a request. */
typedef struct inn_caller {
	inn_principal p;
	int admin;
} inn_caller;

/* Verifies an API key (the cache of recently verified keys, then the
 * store); fills *out.  Returns 0, INN_ENOTFOUND for an unknown or revoked
 * key, or the store's error when it did not answer.  Any thread. */
int inn_auth_key_check(inn_store *st, const char *key, inn_principal *out);
/* Forgets every cached key (after a key is revoked or created: a revoked
 * key stops working at once on this server, on the very next request).
 * Entries also expire 1.5 s after their check, the longest a key revoked
 * on another replica of the same store keeps working here.  Any thread. */
void inn_auth_forget_keys(void);

/* Whether who may see (and act on) what belongs to team / created_by: an
 * admin everything; a key with a team that team's; a key without a team
 * only what it created itself without a team. */
int inn_caller_sees(const inn_caller *who, const char *team, const char *created_by);
/* The same rule as the store's filter of lists: the team whose rows who
 * sees (NULL: no team filter) and the creator whose rows who sees (NULL:
 * no creator filter). */
const char *inn_caller_scope_team(const inn_caller *who);
const char *inn_caller_scope_user(const inn_caller *who);

#endif
