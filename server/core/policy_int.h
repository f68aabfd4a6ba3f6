/*
 * policy_int.h - what policy.c calls in policy_secrets.c and nobody
 * else: reading the admin config's secrets:, stepDefaults: and stepPolicies:
 * sections.
 */
#ifndef INN_CORE_POLICY_INT_H
#define INN_CORE_POLICY_INT_H

#include "buf.h"
#include "policy.h"

/* secrets: into p->secrets: every entry is checked, each problem is a
 * line of pb ("file:line:col: secrets.NAME: why\n"), the good entries are
 * kept.  0, or INN_ENOMEM. */
int inn_policy_read_secrets(inn_policy *p, inn_buf *pb);
/* stepDefaults: into p->step_defaults and stepPolicies: into
 * p->step_policies; problems as above. */
int inn_policy_read_step_defaults(inn_policy *p, inn_buf *pb);
/* When pb holds problems: adds a line for each kept secret that cannot be
 * read either (the whole list at once) and counts the lines into *count.
 * 0, or INN_ENOMEM. */
int inn_policy_problems(const inn_policy *p, inn_buf *pb, int *count);
/* Frees what the two read. */
void inn_policy_secrets_free(inn_policy *p);

#endif
