/*
 * pu_alias.h - settings a step config may spell several ways: ours first,
 * then the original innominatus's spellings (gitea-repo's org_name,
 * argocd-app's appName ...).  One value comes out; two spellings that say
 * different things refuse the config, naming both.  Compiled into the
 * plugins that use it (gitea-repo.so, argocd-app.so).
 */
#ifndef INN_PU_ALIAS_H
#define INN_PU_ALIAS_H

#include <stddef.h>

#include <innominatus/plugin.h>

/*
 * Reads the string written under any of names (NULL-terminated, ours
 * first) into *out, borrowed from the host, and the name it was written
 * under into *used (may be NULL); both stay as they were when no name is
 * set.  Two names that are set must say the same (before rendering, a
 * template is taken as it is).  Returns 0, or INN_EINVAL with a one-line
 * reason in err ("config.org_name (\"a\") contradicts config.org (\"b\"):
 * write it once, as config.org").
 */
int pu_alias_string(const inn_host *host, const inn_step *step,
                    const char *const *names, const char **out, const char **used,
                    char *err, size_t errlen);

/* The same for a boolean (pu_read_bool's rules: before rendering a template
 * reads as false and is not compared).  *set becomes 1 when any name is
 * written (may be NULL). */
int pu_alias_bool(const inn_host *host, const inn_step *step, int rendered,
                  const char *const *names, int *out, int *set, char *err,
                  size_t errlen);

#endif /* INN_PU_ALIAS_H */
