/*
 * pu_alias.c - one value out of a setting's several spellings (see
 * pu_alias.h).
 */
#include <stdint.h>
#include <string.h>

#include "plugin_util.h"
#include "pu_alias.h"

/* Two spellings that differ: the first (ours before the original's) is
 * used; once rendered a warning names the one left aside. */
static void
differs(const inn_host *host, const inn_step *step, int rendered, const char *a,
        const char *av, const char *b, const char *bv)
{
	if (rendered)
		host->log((inn_step *)(uintptr_t)step, INN_LOG_WARN, "config.%s (\"%s\") "
		          "differs from config.%s (\"%s\"): config.%s is used (a platform "
		          "default in our spelling wins over the original's)", b, bv, a,
		          av, a);
}

int
pu_alias_string(const inn_host *host, const inn_step *step, int rendered,
                const char *const *names, const char **out, const char **used,
                char *err, size_t errlen)
{
	const char *got = NULL, *from = NULL;
	size_t i;
	int rc;

	for (i = 0; names[i] != NULL; i++) {
		const char *v = NULL;

		/* null (an optional parameter left out) reads as not set */
		if (host->input_type(step, names[i]) == INN_VALUE_NULL)
			continue;
		if ((rc = pu_read_string(host, step, names[i], &v, err, errlen)) != 0)
			return rc;
		if (v == NULL)
			continue;
		/* before rendering: two static values that differ, or a template
		 * that would win over a static value (a platform's stepPolicies
		 * pin static values), are a contradiction; a template that loses
		 * to a static value (an original workflow's gitea_url under the
		 * platform's url) is ignored with a warning once rendered */
		if (got != NULL && strcmp(got, v) != 0 && !rendered &&
		    !pu_is_template(v))
			return pu_refuse(err, errlen, "config.%s (\"%s\") and config.%s "
			                 "(\"%s\") are two spellings of one setting with "
			                 "different values: write one", from, got, names[i], v);
		if (got != NULL && strcmp(got, v) != 0 && rendered)
			differs(host, step, rendered, from, got, names[i], v);
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
		if (from != NULL && got != v && !rendered)
			return pu_refuse(err, errlen, "config.%s (%s) and config.%s (%s) are "
			                 "two spellings of one setting with different values: "
			                 "write one", from, got ? "true" : "false", names[i],
			                 v ? "true" : "false");
		if (from != NULL && got != v)
			differs(host, step, rendered, from, got ? "true" : "false", names[i],
			        v ? "true" : "false");
		if (from == NULL) {
			from = names[i];
			got = v;
			*out = v;
		}
	}
	return 0;
}

int
pu_alias_word(const char *value, const char *const *words, int rendered,
              const char *field, int *out, char *err, size_t errlen)
{
	pu_buf list = PU_BUF_INIT(1024);
	int i, rc;

	if (value == NULL || (!rendered && pu_is_template(value)))
		return 0;
	for (i = 0; words[i] != NULL; i++)
		if (strcmp(value, words[i]) == 0) {
			*out = i;
			return 0;
		}
	for (i = 0; words[i] != NULL; i++)
		pu_buf_addf(&list, "%s%s", i ? ", " : "", words[i]);
	rc = pu_refuse(err, errlen, "config.%s: \"%s\" is not one of %s", field, value,
	               list.p ? list.p : "");
	pu_buf_free(&list);
	return rc;
}
