/*
 * plugin_util.c - helpers shared by the bundled step plugins (see
 * plugin_util.h): refusals, config readers, names, durations, paths and
 * the bounded buffer.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plugin_util.h"

int
pu_refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return INN_EINVAL;
}

int
pu_is_template(const char *s)
{
	return strstr(s, "${") != NULL || strstr(s, "{{") != NULL;
}

int
pu_refuse_template(const char *where, const char *field, const char *value, char *err,
                   size_t errlen)
{
	if (value == NULL || !pu_is_template(value))
		return 0;
	return pu_refuse_templated(where, field, err, errlen);
}

int
pu_refuse_templated(const char *where, const char *field, char *err, size_t errlen)
{
	return pu_refuse(err, errlen, "%s.%s: must be written out, not a template (a run "
	                 "parameter must not decide where credentials are sent)", where, field);
}

int64_t
pu_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
pu_read_timeout(const inn_host *host, const inn_step *step, int rendered,
                int64_t *ms, char *err, size_t errlen)
{
	const char *s;
	int64_t i;
	double d;

	switch (host->input_type(step, "timeout")) {
	case INN_VALUE_ABSENT:
		return 0;
	case INN_VALUE_STRING:
		host->input_string(step, "timeout", &s);
		if (!rendered && pu_is_template(s))
			return 0;
		if (pu_parse_duration_ms(s, ms) != 0 || *ms <= 0)
			return pu_refuse(err, errlen, "config.timeout: \"%s\" is not a "
			                 "duration (e.g. \"90s\", \"5m\", \"1h30m\" or a "
			                 "number of seconds)", s);
		return 0;
	case INN_VALUE_INT:
		host->input_int(step, "timeout", &i);
		if (i <= 0 || i > INT64_MAX / 1000)
			return pu_refuse(err, errlen, "config.timeout: %" PRId64 " is not a "
			                 "positive number of seconds", i);
		*ms = i * 1000;
		return 0;
	case INN_VALUE_DOUBLE:
		host->input_double(step, "timeout", &d);
		if (!(d * 1000 >= 1) || d > 1e12)
			return pu_refuse(err, errlen, "config.timeout: %g is not a positive "
			                 "number of seconds", d);
		*ms = (int64_t)(d * 1000 + 0.5);
		return 0;
	default:
		return pu_refuse(err, errlen, "config.timeout: must be a duration string "
		                 "or a number of seconds");
	}
}

void
pu_format_duration(char *buf, size_t len, int64_t ms)
{
	int64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60,
	    r = ms % 1000;
	size_t off = 0;

	buf[0] = '\0';
	if (h > 0)
		off += (size_t)snprintf(buf + off, len - off, "%" PRId64 "h", h);
	if (m > 0 && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%" PRId64 "m", m);
	if (s > 0 && off < len)
		off += (size_t)snprintf(buf + off, len - off, "%" PRId64 "s", s);
	if ((r > 0 || ms == 0) && off < len)
		snprintf(buf + off, len - off, "%" PRId64 "ms", r);
}

/* One unit of a duration and its length in milliseconds; "ms" before
 * "m" so the longer spelling wins. */
static const struct {
	const char *unit;
	int64_t ms;
} duration_units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "m", 60 * 1000 }, { "h", 3600 * 1000 },
	{ NULL, 0 }
};

int
pu_parse_duration_ms(const char *s, int64_t *ms)
{
	int64_t total = 0, n, mult;
	size_t u, ulen;
	int parts = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; parts++) {
		if (*s < '0' || *s > '9')
			return -1;
		for (n = 0; *s >= '0' && *s <= '9'; s++) {
			if (n > INT64_MAX / 10 - 10)
				return -1;
			n = n * 10 + (*s - '0');
		}
		mult = 0;
		for (u = 0; duration_units[u].unit != NULL && mult == 0; u++) {
			ulen = strlen(duration_units[u].unit);
			if (strncmp(s, duration_units[u].unit, ulen) == 0) {
				mult = duration_units[u].ms;
				s += ulen;
			}
		}
		if (mult == 0 && *s == '\0' && parts == 0)
			mult = 1000; /* a bare number: seconds */
		if (mult == 0 || n > (INT64_MAX - total) / mult)
			return -1;
		total += n * mult;
	}
	/* ten years is longer than anything should wait; beyond it deadline
	 * arithmetic could overflow */
	if (total > INT64_C(10) * 366 * 24 * 3600 * 1000)
		return -1;
	*ms = total;
	return 0;
}

int
pu_chars_ok(const char *s, const char *extra)
{
	for (; *s != '\0'; s++)
		if (!(*s >= 'A' && *s <= 'Z') && !(*s >= 'a' && *s <= 'z') &&
		    !(*s >= '0' && *s <= '9') && *s != '_' && strchr(extra, *s) == NULL)
			return 0;
	return 1;
}

int
pu_valid_name(const char *s, const char *extra, size_t max)
{
	if (!(*s >= 'A' && *s <= 'Z') && !(*s >= 'a' && *s <= 'z') && *s != '_')
		return 0;
	return pu_chars_ok(s, extra) && (max == 0 || strlen(s) <= max);
}

int
pu_valid_env_name(const char *s)
{
	return pu_valid_name(s, "", 0);
}

int
pu_read_string(const inn_host *host, const inn_step *step, const char *field,
               const char **out, char *err, size_t errlen)
{
	int t = host->input_type(step, field);

	if (t == INN_VALUE_ABSENT)
		return 0;
	if (t != INN_VALUE_STRING || host->input_string(step, field, out) != 0)
		return pu_refuse(err, errlen, "config.%s: must be a string", field);
	return 0;
}

int
pu_read_bool(const inn_host *host, const inn_step *step, const char *field,
             int rendered, int *out, char *err, size_t errlen)
{
	const char *s;
	int t = host->input_type(step, field);

	*out = 0;
	if (t == INN_VALUE_ABSENT)
		return 0;
	if (t == INN_VALUE_BOOL && host->input_bool(step, field, out) == 0)
		return 0;
	if (!rendered && t == INN_VALUE_STRING &&
	    host->input_string(step, field, &s) == 0 && pu_is_template(s))
		return 0;
	return pu_refuse(err, errlen, "config.%s: must be true or false", field);
}

int
pu_read_strv(const inn_host *host, const inn_step *step, const char *field,
             int rendered, const pu_strv_rule *rule, const char ***out,
             char *err, size_t errlen)
{
	size_t n, i;
	const char **v;
	char path[64];
	int rc;

	*out = NULL;
	if (host->input_type(step, field) != INN_VALUE_ARRAY)
		return pu_refuse(err, errlen, "config.%s: %s", field, rule->not_array);
	n = host->input_count(step, field);
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		pu_refuse(err, errlen, "config.%s: out of memory", field);
		return INN_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s.%zu", field, i);
		if (host->input_string(step, path, &v[i]) != 0) {
			rc = pu_refuse(err, errlen, "config.%s: must be a string", path);
			goto fail;
		}
		if (rule->valid != NULL && !(pu_is_template(v[i]) &&
		    (!rendered || rule->never_templates)) && !rule->valid(v[i])) {
			rc = pu_refuse(err, errlen, "config.%s: \"%s\" %s",
			               rule->at_element ? path : field, v[i], rule->invalid);
			goto fail;
		}
	}
	*out = v;
	return 0;
fail:
	free(v);
	return rc;
}

/* The value of env.<name> as text: a string as it is, a number or boolean
 * as JSON (*json holds it then: host->free it).  0 or INN_EINVAL. */
static int
env_value(const inn_host *host, const inn_step *step, const char *path,
          const char **sval, char **json, char *err, size_t errlen)
{
	int t = host->input_type(step, path);

	if (t == INN_VALUE_STRING) {
		if (host->input_string(step, path, sval) != 0)
			return pu_refuse(err, errlen, "config.%s: %s", path,
			                 host->last_error());
		return 0;
	}
	if (t == INN_VALUE_BOOL || t == INN_VALUE_INT || t == INN_VALUE_DOUBLE) {
		if (host->input_json(step, path, json) != 0)
			return pu_refuse(err, errlen, "config.%s: %s", path,
			                 host->last_error());
		*sval = *json;
		return 0;
	}
	return pu_refuse(err, errlen, "config.%s: must be a string, number or "
	                 "boolean", path);
}

int
pu_read_env(const inn_host *host, const inn_step *step, const char *field,
            char ***out, char *err, size_t errlen)
{
	size_t n, i, nenv = 0;
	char path[300], **env;
	int rc;

	*out = NULL;
	if (host->input_type(step, field) != INN_VALUE_OBJECT)
		return pu_refuse(err, errlen, "config.%s: must be an object of NAME: "
		                 "value", field);
	n = host->input_count(step, field);
	if ((env = calloc(n + 1, sizeof(*env))) == NULL) {
		pu_refuse(err, errlen, "config.%s: out of memory", field);
		return INN_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const char *name = host->input_key(step, field, i), *sval = NULL;
		char *json = NULL;

		if (name == NULL)
			break;
		if (!pu_valid_env_name(name)) {
			rc = pu_refuse(err, errlen, "config.%s: \"%s\" is not a valid "
			               "environment variable name", field, name);
			goto fail;
		}
		if ((size_t)snprintf(path, sizeof(path), "%s.%s", field, name) >=
		    sizeof(path)) {
			rc = pu_refuse(err, errlen, "config.%s: name \"%.40s...\" is too "
			               "long", field, name);
			goto fail;
		}
		if ((rc = env_value(host, step, path, &sval, &json, err, errlen)) != 0)
			goto fail;
		rc = pu_env_add(env, &nenv, name, sval);
		if (json != NULL)
			host->free(json);
		if (rc != 0) {
			pu_refuse(err, errlen, "config.%s: out of memory", field);
			goto fail;
		}
	}
	*out = env;
	return 0;
fail:
	pu_strv_free(env);
	return rc;
}

void
pu_strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

size_t
pu_strv_len(const char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

/* Checks that every key of the config object is a known field; the
 * refusal lists the known ones in table order. */
static int
check_known(const inn_host *host, const inn_step *step, const pu_field *fields,
            char *err, size_t errlen)
{
	size_t n = host->input_count(step, ""), i, j, o;
	char known[512];

	for (i = 0; i < n; i++) {
		const char *key = host->input_key(step, "", i);

		for (j = 0; key != NULL && fields[j].name != NULL; j++)
			if (strcmp(key, fields[j].name) == 0)
				break;
		if (key == NULL || fields[j].name != NULL)
			continue;
		known[0] = '\0';
		for (j = 0, o = 0; fields[j].name != NULL && o < sizeof(known); j++)
			o += (size_t)snprintf(known + o, sizeof(known) - o, "%s%s",
			                      j > 0 ? ", " : "", fields[j].name);
		return pu_refuse(err, errlen, "config: unknown field \"%s\" (known: "
		                 "%s)", key, known);
	}
	return 0;
}

int
pu_config_read(const inn_host *host, const inn_step *step, int rendered,
               const pu_field *fields, void *cfg, char *err, size_t errlen)
{
	char *base = cfg;
	size_t i;
	int rc = 0;

	if (host->input_type(step, "") != INN_VALUE_OBJECT)
		return pu_refuse(err, errlen, "config: must be an object");
	if ((rc = check_known(host, step, fields, err, errlen)) != 0)
		return rc;
	for (i = 0; fields[i].name != NULL && rc == 0; i++) {
		const pu_field *f = &fields[i];
		void *dst = base + f->offset;

		if (f->kind == PU_OTHER ||
		    host->input_type(step, f->name) == INN_VALUE_ABSENT)
			continue;
		switch (f->kind) {
		case PU_STRING:
			rc = pu_read_string(host, step, f->name, dst, err, errlen);
			break;
		case PU_BOOL:
			rc = pu_read_bool(host, step, f->name, rendered, dst, err, errlen);
			break;
		case PU_STRV:
			rc = pu_read_strv(host, step, f->name, rendered, f->rule, dst, err,
			                  errlen);
			break;
		case PU_ENV:
			rc = pu_read_env(host, step, f->name, dst, err, errlen);
			break;
		case PU_TIMEOUT:
			rc = pu_read_timeout(host, step, rendered, dst, err, errlen);
			break;
		default:
			break;
		}
	}
	return rc;
}

void
pu_config_free(const pu_field *fields, void *cfg)
{
	char *base = cfg;
	size_t i;

	for (i = 0; fields[i].name != NULL; i++) {
		void **slot = (void **)(base + fields[i].offset);

		if (fields[i].kind == PU_STRV)
			free(*slot);
		else if (fields[i].kind == PU_ENV)
			pu_strv_free(*slot);
		else
			continue;
		*slot = NULL;
	}
}

int
pu_buf_add(pu_buf *b, const char *s, size_t n)
{
	size_t ncap;
	char *np;

	if (b->error != 0)
		return b->error;
	if (n > b->max || b->len > b->max - n)
		return b->error = INN_ETOOBIG;
	if (b->len + n + 1 > b->cap) {
		for (ncap = b->cap ? b->cap : 256; ncap < b->len + n + 1; ncap *= 2)
			;
		if ((np = realloc(b->p, ncap)) == NULL)
			return b->error = INN_ENOMEM;
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
pu_buf_adds(pu_buf *b, const char *s)
{
	return pu_buf_add(b, s, strlen(s));
}

int
pu_buf_addf(pu_buf *b, const char *fmt, ...)
{
	char tmp[256], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return b->error ? b->error : (b->error = INN_ENOMEM);
	if ((size_t)n < sizeof(tmp))
		return pu_buf_add(b, tmp, (size_t)n);
	if ((big = malloc((size_t)n + 1)) == NULL)
		return b->error ? b->error : (b->error = INN_ENOMEM);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	pu_buf_add(b, big, (size_t)n);
	free(big);
	return b->error;
}

void
pu_buf_free(pu_buf *b)
{
	if (b->p != NULL)
		explicit_bzero(b->p, b->cap);
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->error = 0;
}

int
pu_judge_end(const inn_host *host, inn_step *step, const char *who,
             int64_t timeout_ms, const inn_spawn_result *res, int64_t started)
{
	const char *w = who ? who : "", *sp = who ? " " : "";
	char dur[64];
	int64_t dl;

	if (res->cancelled) {
		host->log(step, INN_LOG_WARN, "cancelled");
		return INN_ECANCELLED;
	}
	if (res->timed_out) {
		dl = host->deadline_ms(step);
		if (timeout_ms > 0 && (dl == 0 || started + timeout_ms <= dl)) {
			pu_format_duration(dur, sizeof(dur), timeout_ms);
			host->log(step, INN_LOG_ERROR, "%s%stimed out after %s", w, sp, dur);
		} else {
			host->log(step, INN_LOG_ERROR, "%s%stimed out: the step's deadline "
			          "passed", w, sp);
		}
		return INN_ETIMEOUT;
	}
	if (res->term_signal != 0) {
		const char *abbr = sigabbrev_np(res->term_signal);

		host->log(step, INN_LOG_ERROR, "%s%skilled by signal %d (SIG%s)", w,
		          who ? " was " : "", res->term_signal, abbr ? abbr : "?");
		return INN_ERROR;
	}
	return 0;
}

int
pu_init_needs_program(const inn_host *host, void **state, const char *prog,
                      const char *warning)
{
	char buf[PATH_MAX];

	*state = NULL;
	if (pu_find_program(prog, buf, sizeof(buf)) != 0)
		host->log(NULL, INN_LOG_WARN, "%s", warning);
	return INN_OK;
}

int
pu_has_dotdot(const char *path)
{
	const char *p = path;

	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

int
pu_env_add(char **env, size_t *n, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 2;

	if ((env[*n] = malloc(len)) == NULL)
		return INN_ENOMEM;
	snprintf(env[*n], len, "%s=%s", name, value);
	(*n)++;
	return 0;
}

int
pu_find_program(const char *prog, char *buf, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;
	struct stat st;

	if (strchr(prog, '/') != NULL) {
		if ((size_t)snprintf(buf, len, "%s", prog) >= len)
			return -1;
		return stat(buf, &st) == 0 && S_ISREG(st.st_mode) &&
		       access(buf, X_OK) == 0 ? 0 : -1;
	}
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = end + 1) {
		size_t dlen;

		end = strchr(p, ':');
		dlen = end ? (size_t)(end - p) : strlen(p);
		if (dlen > 0 && (size_t)snprintf(buf, len, "%.*s/%s", (int)dlen, p,
		    prog) < len && stat(buf, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(buf, X_OK) == 0)
			return 0;
		if (end == NULL)
			return -1;
	}
}

/* Non-zero if real lies inside the folder dir (resolved here). */
static int
inside_folder(const char *dir, const char *real)
{
	char root[PATH_MAX];
	size_t n;

	if (dir == NULL || dir[0] == '\0' || realpath(dir, root) == NULL ||
	    strcmp(root, "/") == 0)
		return 0;
	n = strlen(root);
	return strncmp(real, root, n) == 0 && (real[n] == '\0' || real[n] == '/');
}

int
pu_path_allowed(const inn_host *host, inn_step *step, const char *real,
                const char *extra)
{
	int v11 = host->abi_minor >= 1;

	if (inside_folder(extra, real) || inside_folder(host->workspace(step), real))
		return 1;
	if (v11 && host->struct_size >= offsetof(inn_host, base_dir) +
	    sizeof(host->base_dir) && host->base_dir != NULL &&
	    inside_folder(host->base_dir(step), real))
		return 1;
	if (v11 && host->struct_size >= offsetof(inn_host, state_dir) +
	    sizeof(host->state_dir) && host->state_dir != NULL &&
	    inside_folder(host->state_dir(step), real))
		return 1;
	return 0;
}

int
pu_confine(const inn_host *host, inn_step *step, const char *field,
           const char *path, const char *rel_base, const char *extra,
           char *out, char *err, size_t errlen)
{
	char joined[PATH_MAX];

	if (path[0] != '/') {
		if (rel_base == NULL)
			return pu_refuse(err, errlen, "config.%s: \"%s\" is relative and "
			                 "there is no folder it is relative to", field, path);
		if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", rel_base, path) >=
		    sizeof(joined))
			return pu_refuse(err, errlen, "config.%s: path too long", field);
		path = joined;
	}
	if (realpath(path, out) == NULL)
		return pu_refuse(err, errlen, "config.%s: \"%s\": %s", field, path,
		                 strerror(errno));
	if (!pu_path_allowed(host, step, out, extra))
		return pu_refuse(err, errlen, "config.%s: \"%s\" is outside the provider "
		                 "folder%s and the step's workspace and state folders; "
		                 "refused", field, path, extra ? ", its base folder" : "");
	return 0;
}
