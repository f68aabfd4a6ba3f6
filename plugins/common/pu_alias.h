/*
 * pu_alias.h - settings a step config may spell several ways: ours first,
 * then the original innominatus's spellings (gitea-repo's org_name,
 * argocd-app's appName ...).  One value comes out.  Two static spellings
 * with different values refuse the step at load (a platform's stepPolicies
 * pin one spelling; the step must not win with the other), and so does a
 * template that would win over a static value.  A template that loses to
 * a static value is ignored with a warning once rendered: the admin
 * config's stepDefaults `url` meets an original workflow's templated
 * `gitea_url`, and the platform's wins, as the original's did.  Compiled
 * into the plugins that use it (gitea-repo.so, argocd-app.so).
 */
#ifndef INN_PU_ALIAS_H
#define INN_PU_ALIAS_H

#include <stddef.h>

#include <innominatus/plugin.h>

/*
 * Reads the string written under any of names (NULL-terminated, ours
 * first) into *out, borrowed from the host, and the name it was written
 * under into *used (may be NULL); both stay as they were when no name is
 * set (null counts as not set: an optional parameter left out).  Before
 * rendering (rendered == 0), a static value differing from the first one
 * set is refused (INN_EINVAL, naming both keys and values).  Once rendered,
 * when two differ (a template was involved) the first in names is used and
 * a warning names the other.  Returns 0, or INN_EINVAL when a value is not
 * a string or spellings contradict each other (the reason in err).
 */
int pu_alias_string(const inn_host *host, const inn_step *step, int rendered,
                    const char *const *names, const char **out, const char **used,
                    char *err, size_t errlen);

/* The same for a boolean (pu_read_bool's rules: before rendering a template
 * reads as false and is not compared; two static values that differ are
 * refused; the first written name wins).  *set
 * becomes 1 when any name is written (may be NULL). */
int pu_alias_bool(const inn_host *host, const inn_step *step, int rendered,
                  const char *const *names, int *out, int *set, char *err,
                  size_t errlen);

/*
 * One of a fixed list of words (NULL-terminated), e.g. config.operation:
 * *out becomes its index.  value NULL leaves *out alone; before rendering
 * a template is accepted as it is.  Returns 0, or INN_EINVAL with
 * "config.<field>: \"x\" is not one of a, b, c" in err.
 */
int pu_alias_word(const char *value, const char *const *words, int rendered,
                  const char *field, int *out, char *err, size_t errlen);

#endif /* INN_PU_ALIAS_H */
