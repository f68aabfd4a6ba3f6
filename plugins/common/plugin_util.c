/*
 * plugin_util.c - helpers shared by the bundled step plugins (see
 * plugin_util.h).
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

#include "duration.h"
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
		if (inn_parse_duration_ms(s, ms) != 0 || *ms <= 0)
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
