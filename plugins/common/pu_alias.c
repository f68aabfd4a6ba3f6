/*
 * pu_alias.c - one value out of a setting's several spellings (see
 * pu_alias.h).
 */
#include <string.h>

#include "plugin_util.h"
#include "pu_alias.h"

static int
contradicts(const char *a, const char *av, const char *b, const char *bv,
            const char *ours, char *err, size_t errlen)
{
	return pu_refuse(err, errlen, "config.%s (\"%s\") contradicts config.%s "
	                 "(\"%s\"): write it once, as config.%s", b, bv, a, av, ours);
}

int
pu_alias_string(const inn_host *host, const inn_step *step,
                const char *const *names, const char **out, const char **used,
                char *err, size_t errlen)
{
	const char *got = NULL, *from = NULL;
	size_t i;
	int rc;

	for (i = 0; names[i] != NULL; i++) {
		const char *v = NULL;

		if ((rc = pu_read_string(host, step, names[i], &v, err, errlen)) != 0)
			return rc;
		if (v == NULL)
			continue;
		if (got != NULL && strcmp(got, v) != 0)
			return contradicts(from, got, names[i], v, names[0], err, errlen);
		if (got == NULL) {
			got = v;
			from = names[i];
		}
	}
	if (got != NULL) {
		*out = got;
		if (used != NULL)
			*used = from;
	}
	return 0;
}

int
pu_alias_bool(const inn_host *host, const inn_step *step, int rendered,
              const char *const *names, int *out, int *set, char *err,
              size_t errlen)
{
	const char *from = NULL, *s;
	size_t i;
	int rc, got = 0;

	for (i = 0; names[i] != NULL; i++) {
		int t = host->input_type(step, names[i]), v;

		if (t == INN_VALUE_ABSENT)
			continue;
		if ((rc = pu_read_bool(host, step, names[i], rendered, &v, err, errlen)) != 0)
			return rc;
		if (set != NULL)
			*set = 1;
		if (t == INN_VALUE_STRING && host->input_string(step, names[i], &s) == 0 &&
		    pu_is_template(s))
			continue;   /* before rendering: compared once rendered */
		if (from != NULL && got != v)
			return contradicts(from, got ? "true" : "false", names[i],
			                   v ? "true" : "false", names[0], err, errlen);
		if (from == NULL) {
			from = names[i];
			got = v;
			*out = v;
		}
	}
	return 0;
}
