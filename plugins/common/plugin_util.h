/*
 * plugin_util.h - small helpers the bundled step plugins share: one-line
 * config refusals, template detection, timeouts, durations.  Compiled into
 * each plugin (plugins link nothing from the server); only plugin.h below.
 */
#ifndef INN_PLUGIN_UTIL_H
#define INN_PLUGIN_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <innominatus/plugin.h>

/* Fills err with a one-line reason; returns INN_EINVAL. */
int pu_refuse(char *err, size_t errlen, const char *fmt, ...) INN_PRINTF_LIKE(3, 4);
/* Non-zero if s still holds a template the engine renders later. */
int pu_is_template(const char *s);
/* CLOCK_MONOTONIC in milliseconds. */
int64_t pu_monotonic_ms(void);
/* Reads config.timeout: a duration string or a number of seconds (> 0);
 * absent leaves *ms alone.  Before rendering (rendered == 0) a template is
 * accepted as it is.  Returns 0 or INN_EINVAL with the reason in err. */
int pu_read_timeout(const inn_host *host, const inn_step *step, int rendered,
                    int64_t *ms, char *err, size_t errlen);
/* Writes ms as "1h2m3s" / "250ms" into buf. */
void pu_format_duration(char *buf, size_t len, int64_t ms);

/* Non-zero if a path has a ".." component. */
int pu_has_dotdot(const char *path);
/* Path confinement: non-zero if the real (already realpath'ed) path real
 * lies inside one of the folders a step may read from: extra (a base the
 * workflow names literally, may be NULL), the provider folder
 * (host->base_dir), the step's workspace or its state folder.  "/" never
 * counts as such a folder. */
int pu_path_allowed(const inn_host *host, inn_step *step, const char *real,
                    const char *extra);
/* Resolves path (absolute, or relative to rel_base) with realpath into out
 * (PATH_MAX bytes) and checks it with pu_path_allowed.  Returns 0, or
 * INN_EINVAL with a one-line reason naming field in err (never the file's
 * content). */
int pu_confine(const inn_host *host, inn_step *step, const char *field,
               const char *path, const char *rel_base, const char *extra,
               char *out, char *err, size_t errlen);
/* Appends a malloc'd "NAME=value" to env[*n] (room must exist); 0 or INN_ENOMEM. */
int pu_env_add(char **env, size_t *n, const char *name, const char *value);
/* Finds an executable regular file: prog itself when it has a '/', else
 * along $PATH; the full path goes to buf.  Returns 0 or -1. */
int pu_find_program(const char *prog, char *buf, size_t len);

#endif
