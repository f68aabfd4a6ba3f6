/*
 * plugin_util.h - what the bundled step plugins share (libinnplugin.la, a
 * convenience library linked into each .so): one-line config refusals, the
 * typed config readers (strings, booleans, string arrays, env, timeouts)
 * and the table-driven reader built on them, name checks, durations, path
 * confinement and a bounded text buffer.  Plugins link nothing from the
 * server and see only plugin.h below this header (the build's include
 * path holds plugin-api/ and plugins/common/ alone).
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
/*
 * For a field that decides where credentials are sent or whom the client
 * trusts (a server URL, a CA file, TLS verification, a kubeconfig or its
 * context): refuses a value that still holds a template, since a run
 * parameter must not choose it.  value NULL (absent) passes.  Returns 0,
 * or INN_EINVAL with "<where>.<field>: must be written out, not a template
 * (a run parameter must not decide where credentials are sent)" in err.
 */
int pu_refuse_template(const char *where, const char *field, const char *value,
                       char *err, size_t errlen);
/* The same refusal for a value already known to be a template. */
int pu_refuse_templated(const char *where, const char *field, char *err, size_t errlen);
/* CLOCK_MONOTONIC in milliseconds. */
int64_t pu_monotonic_ms(void);
/* Reads config.timeout: a duration string or a number of seconds (> 0);
 * absent leaves *ms alone.  Before rendering (rendered == 0) a template is
 * accepted as it is.  Returns 0 or INN_EINVAL with the reason in err. */
int pu_read_timeout(const inn_host *host, const inn_step *step, int rendered,
                    int64_t *ms, char *err, size_t errlen);
/* Writes ms as "1h2m3s" / "250ms" into buf. */
void pu_format_duration(char *buf, size_t len, int64_t ms);
/* Parses a duration as configs write it: "90" (seconds), "500ms", "30s",
 * "5m", "2h", "1h30m" (at most ten years).  Returns 0 with *ms, or -1. */
int pu_parse_duration_ms(const char *s, int64_t *ms);

/* Non-zero if s is [A-Za-z_][A-Za-z0-9_<extra>]* and, with max > 0, at most
 * max bytes long. */
int pu_valid_name(const char *s, const char *extra, size_t max);
/* Non-zero if every character of s is a letter, digit, '_' or in extra. */
int pu_chars_ok(const char *s, const char *extra);
/* An environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
int pu_valid_env_name(const char *s);

/* ---- config readers: each returns 0 or INN_EINVAL / INN_ENOMEM with a
 * one-line reason naming the field in err; an absent field is not an
 * error and leaves *out alone. ---------------------------------------- */

/* An optional string ("config.<field>: must be a string"). */
int pu_read_string(const inn_host *host, const inn_step *step, const char *field,
                   const char **out, char *err, size_t errlen);
/* An optional boolean (absent reads as false); before rendering
 * (rendered == 0) a template string is accepted and reads as false. */
int pu_read_bool(const inn_host *host, const inn_step *step, const char *field,
                 int rendered, int *out, char *err, size_t errlen);

/* How pu_read_strv checks one array: the plugins differ in wording and in
 * what an element may be. */
typedef struct pu_strv_rule {
	const char *not_array;      /* "config.<field>: <not_array>" */
	int (*valid)(const char *); /* NULL: any string */
	const char *invalid;        /* "config.<where>: \"<value>\" <invalid>" */
	int at_element;             /* <where> is "field.i", else "field" */
	int never_templates;        /* an element holding a template is never
	                             * checked, not even once rendered */
} pu_strv_rule;

/* A present array of strings at field into a malloc'd NULL-terminated
 * array of strings borrowed from the host (free only the array).  Each
 * element is checked with rule->valid unless it still holds a template
 * before rendering (or at all, with rule->never_templates).  On error *out is NULL. */
int pu_read_strv(const inn_host *host, const inn_step *step, const char *field,
                 int rendered, const pu_strv_rule *rule, const char ***out,
                 char *err, size_t errlen);
/* A present object of NAME: string, number or boolean at field into a
 * malloc'd NULL-terminated array of malloc'd "NAME=value" strings (free
 * with pu_strv_free).  On error *out is NULL. */
int pu_read_env(const inn_host *host, const inn_step *step, const char *field,
                char ***out, char *err, size_t errlen);
/* Frees a NULL-terminated array of malloc'd strings (NULL is fine). */
void pu_strv_free(char **v);
/* The number of strings in a NULL-terminated array (0 for NULL). */
size_t pu_strv_len(const char *const *v);

/* What a config field holds, for pu_config_read. */
enum pu_kind {
	PU_OTHER,       /* read by the plugin itself: only known by name */
	PU_STRING,      /* const char *  (pu_read_string) */
	PU_BOOL,        /* int           (pu_read_bool) */
	PU_STRV,        /* const char ** (pu_read_strv with rule) */
	PU_ENV,         /* char **       (pu_read_env) */
	PU_TIMEOUT      /* int64_t ms    (pu_read_timeout) */
};

/* One known config field: its name, kind and where it goes in the
 * plugin's config struct (offsetof). */
typedef struct pu_field {
	const char *name;
	enum pu_kind kind;
	size_t offset;
	const pu_strv_rule *rule;   /* PU_STRV */
} pu_field;

#define PU_FIELD(name, kind, type, member) \
	{ (name), (kind), offsetof(type, member), NULL }
#define PU_FIELD_STRV(name, type, member, rule) \
	{ (name), PU_STRV, offsetof(type, member), (rule) }
#define PU_FIELD_OTHER(name) { (name), PU_OTHER, 0, NULL }

/*
 * The table-driven config reader: the config must be an object
 * ("config: must be an object") whose keys are all in fields (else
 * "config: unknown field "x" (known: <the names in table order>)"); then
 * every field that is not PU_OTHER is read, in table order, into cfg.
 * fields ends with a { NULL } entry.  On error cfg may hold what was read
 * so far: the caller frees it as usual.
 */
int pu_config_read(const inn_host *host, const inn_step *step, int rendered,
                   const pu_field *fields, void *cfg, char *err, size_t errlen);
/* Frees what pu_config_read allocated in cfg (the PU_STRV and PU_ENV
 * fields) and sets those fields to NULL; the rest is the caller's. */
void pu_config_free(const pu_field *fields, void *cfg);

/*
 * Defines fn, a plugin's validate entry point: reads the config as at load
 * time (rendered = 0) into a type with read -- which frees it on failure
 * and leaves the reason in err -- then, for PU_DEFINE_VALIDATE_CHECK,
 * runs check(host, step, &c, err, errlen) (e.g. resolving a written-out
 * path by the run's own rule; the validated step has no state folder, so
 * nothing is created), then frees it with release.  Written with a ';'
 * after it, like a declaration (the extern makes that legal).
 */
#define PU_DEFINE_VALIDATE_CHECK(fn, type, read, release, check)          \
	static int                                                         \
	fn(void *state, const inn_host *host, const inn_step *step, char *err, \
	   size_t errlen)                                                  \
	{                                                                  \
		type c;                                                    \
		int rc;                                                    \
									   \
		(void)state;                                               \
		if ((rc = read(host, step, 0, &c, err, errlen)) != 0)      \
			return rc;                                         \
		rc = check(host, (inn_step *)(uintptr_t)step, &c, err, errlen); \
		release(&c);                                               \
		return rc;                                                 \
	}                                                                  \
	extern int pu_validate_defined_##fn

/* A check for PU_DEFINE_VALIDATE_CHECK that checks nothing more. */
static inline int
pu_no_check(const inn_host *host, inn_step *step, const void *c, char *err,
            size_t errlen)
{
	(void)host; (void)step; (void)c; (void)err; (void)errlen;
	return INN_OK;
}

#define PU_DEFINE_VALIDATE(fn, type, read, release) \
	PU_DEFINE_VALIDATE_CHECK(fn, type, read, release, pu_no_check)

/* How every bundled plugin's config schema starts: a closed JSON object
 * (draft 2020-12); "oneOf" and "properties" follow. */
#define PU_CONFIG_SCHEMA_HEAD \
	"{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\"," \
	"\"type\":\"object\",\"additionalProperties\":false,"

/* Defines the plugin's descriptor for this ABI (the fields after
 * struct_size, in order) and its one exported symbol returning it. */
#define PU_DEFINE_PLUGIN(flags, name, version, step_types, config_schema,  \
                         outputs_schema, init, validate, execute, fini)    \
	static const inn_plugin_descriptor pu_descriptor = {               \
		INN_PLUGIN_MAGIC, INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR,  \
		sizeof(inn_plugin_descriptor), (flags), (name), (version),     \
		(step_types), (config_schema), (outputs_schema), (init),       \
		(validate), (execute), (fini)                                  \
	};                                                                 \
	INN_PLUGIN_EXPORT const inn_plugin_descriptor *                    \
	inn_plugin_describe_v1(void)                                       \
	{                                                                  \
		return &pu_descriptor;                                     \
	}

/* ---- a bounded growable text buffer (the plugins' counterpart of the
 * engine's inn_buf, which they cannot link) -------------------------- */
typedef struct pu_buf {
	char *p;            /* NUL-terminated once anything was added */
	size_t len, cap, max;
	int error;          /* sticky: INN_ENOMEM or INN_ETOOBIG */
} pu_buf;
#define PU_BUF_INIT(max) { NULL, 0, 0, (max), 0 }
/* Appends n bytes / a string / formatted text; past max (or out of memory)
 * nothing more is added and b->error says why.  Each returns b->error. */
int pu_buf_add(pu_buf *b, const char *s, size_t n);
int pu_buf_adds(pu_buf *b, const char *s);
int pu_buf_addf(pu_buf *b, const char *fmt, ...) INN_PRINTF_LIKE(2, 3);
/* Wipes (the text may hold secrets) and frees the buffer. */
void pu_buf_free(pu_buf *b);

/*
 * How a spawned program ended, as far as it is not its exit status:
 * cancelled (INN_ECANCELLED), timed out -- after timeout_ms (config.timeout)
 * if that was the earlier limit when it started at started (monotonic ms),
 * else at the step's deadline -- (INN_ETIMEOUT) or killed by a signal
 * (INN_ERROR), each logged with who (e.g. "ansible-playbook"; NULL: the
 * step itself) in front.  Returns 0 if the program ended on its own.
 */
int pu_judge_end(const inn_host *host, inn_step *step, const char *who,
                 int64_t timeout_ms, const inn_spawn_result *res,
                 int64_t started);

/* A plugin's init for a plugin that drives the program prog: no state;
 * when prog is not in $PATH it only logs warning (workflows still
 * validate; the steps fail until it is installed).  Returns INN_OK. */
int pu_init_needs_program(const inn_host *host, void **state, const char *prog,
                          const char *warning);

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
