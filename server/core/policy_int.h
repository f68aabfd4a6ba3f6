/*
 * policy_int.h - what policy.c calls in policy_secrets.c and nobody
 * else: reading the admin config's secrets:, stepDefaults: and stepPolicies:
 * sections.
 */
#ifndef INN_CORE_POLICY_INT_H
#define INN_CORE_POLICY_INT_H

#include "policy.h"

/* secrets: into p->secrets; errors name file:line:col.  0 or an inn_status. */
int inn_policy_read_secrets(inn_policy *p);
/* stepDefaults: into p->step_defaults and stepPolicies: into
 * p->step_policies; errors as above. */
int inn_policy_read_step_defaults(inn_policy *p);
/* Frees what the two read. */
void inn_policy_secrets_free(inn_policy *p);

#endif
