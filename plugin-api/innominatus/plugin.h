/*
 * innominatus/plugin.h - the step-plugin ABI of innominatus.
 *
 * This header is the ONLY interface a step plugin sees.  A plugin is a shared
 * object named <type>.so in the server's plugin directory; it exports one
 * function, inn_plugin_describe_v1(), which returns a pointer to a static,
 * constant descriptor and has no side effects.  Everything the plugin needs
 * from the host (logging, inputs, outputs, secrets, cancellation, spawning
 * processes) arrives as a table of function pointers; a plugin links nothing
 * from the server.
 *
 * VERSIONING POLICY
 *
 *   - Every struct that crosses the boundary starts with its own size
 *     (struct_size) and only ever grows at the end.  A reader treats fields
 *     past the writer's struct_size as absent (zero / NULL).
 *   - INN_PLUGIN_ABI_MINOR is bumped when fields or host functions are added
 *     at the end of a struct.  A host accepts a plugin iff the plugin's major
 *     equals the host's major and the plugin's minor is <= the host's minor.
 *     A plugin that wants a newer host function checks
 *     host->struct_size / host->abi_minor before calling it.
 *   - INN_PLUGIN_ABI_MAJOR is bumped when anything is removed, reordered or
 *     changes meaning.  Plugins must then be rebuilt.
 *   - If the entry protocol itself ever changes, a new entry symbol
 *     (inn_plugin_describe_v2) is added; a host may look up both.
 *   - Each bump gets a dated line below.
 *
 *   1.0  2026-11-26  first published ABI.
 *   1.1  2026-11-26  inn_host gained state_dir() (a directory that persists
 *                    between runs for one application/resource/environment)
 *                    and base_dir() (where relative paths in a config point).
 *   1.2  2026-11-30  inn_spawn_opts gained before_log (the plugin learns what
 *                    the program published before its lines are masked).
 *
 * THREADING
 *
 *   execute() runs on an engine worker, never on the server's event loop; it
 *   may block.  Several executes of one plugin can run at the same time unless
 *   the descriptor sets INN_PLUGIN_NOT_THREAD_SAFE.  The host functions are
 *   safe to call from the thread running execute().
 *
 * MEMORY
 *
 *   Strings the host returns are owned by the host and valid until execute()
 *   returns, unless a function says otherwise.  Memory the host allocates for
 *   the plugin (inn_spawn_result.captured, input_json) is released with
 *   host->free().
 *
 * This header compiles as C99 (-pedantic) and as C++.
 */
#ifndef INNOMINATUS_PLUGIN_H
#define INNOMINATUS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INN_PLUGIN_MAGIC     0x504e4e49u /* "INNP" read as little-endian bytes */
#define INN_PLUGIN_ABI_MAJOR 1
#define INN_PLUGIN_ABI_MINOR 2

/* The name of the one symbol every plugin exports. */
#define INN_PLUGIN_ENTRY_SYMBOL "inn_plugin_describe_v1"

#if defined(_WIN32)
#define INN_PLUGIN_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define INN_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define INN_PLUGIN_EXPORT
#endif

#if defined(__GNUC__)
#define INN_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define INN_PRINTF_LIKE(f, a)
#endif

/* Return codes of plugin and host functions: 0 is success, negative is an
 * error.  Host functions also keep a one-line message describing the last
 * error of the calling thread (host->last_error). */
enum inn_status {
	INN_OK = 0,
	INN_ERROR = -1,     /* generic failure; see the step log / last_error */
	INN_EINVAL = -2,    /* bad argument or bad step configuration */
	INN_ENOTFOUND = -3, /* input path or secret does not exist */
	INN_ETYPE = -4,     /* input exists but has another type */
	INN_ETOOBIG = -5,   /* a size cap was hit (output value, capture) */
	INN_ECANCELLED = -6,/* the step was cancelled */
	INN_ETIMEOUT = -7,  /* the step's deadline passed */
	INN_ENOMEM = -8,
	INN_ESPAWN = -9     /* the program could not be started */
};

/* Descriptor flags: what the plugin promises. */
enum inn_plugin_flag {
	INN_PLUGIN_DRY_RUN = 1u << 0,        /* execute() honours host->dry_run() */
	INN_PLUGIN_IDEMPOTENT = 1u << 1,     /* re-running a step is safe (retries, resume) */
	INN_PLUGIN_CANCELLABLE = 1u << 2,    /* execute() returns soon after cancellation */
	INN_PLUGIN_NOT_THREAD_SAFE = 1u << 3 /* host serialises execute() calls */
};

/* Log levels for host->log. */
enum inn_log_level {
	INN_LOG_DEBUG = 0,
	INN_LOG_INFO = 1,
	INN_LOG_WARN = 2,
	INN_LOG_ERROR = 3
};

/* Types reported by host->input_type. */
enum inn_value_type {
	INN_VALUE_ABSENT = 0,
	INN_VALUE_NULL = 1,
	INN_VALUE_BOOL = 2,
	INN_VALUE_INT = 3,
	INN_VALUE_DOUBLE = 4,
	INN_VALUE_STRING = 5,
	INN_VALUE_ARRAY = 6,
	INN_VALUE_OBJECT = 7
};

/* Flags for host->output. */
enum inn_output_flag {
	INN_OUTPUT_SECRET = 1u << 0 /* masked in every log and API answer */
};

/* Flags for inn_spawn_opts.flags. */
enum inn_spawn_flag {
	/* Keep stdout (bounded by capture_max) in the result instead of logging it. */
	INN_SPAWN_CAPTURE_STDOUT = 1u << 0,
	/* Do not inherit the host's default environment allow-list. */
	INN_SPAWN_NO_DEFAULT_ENV = 1u << 1
};

/* The step being executed or validated.  Opaque: only host functions use it. */
typedef struct inn_step inn_step;

/* Arguments of host->spawn.  Set struct_size = sizeof(inn_spawn_opts). */
typedef struct inn_spawn_opts {
	uint32_t struct_size;
	uint32_t flags;              /* enum inn_spawn_flag */
	const char *const *argv;     /* argv[0] is the program (PATH searched); NULL-terminated */
	const char *const *env;      /* extra "NAME=value" entries, NULL-terminated, may be NULL */
	const char *const *env_allow;/* further names passed through from the host's environment */
	const char *cwd;             /* NULL: the step's workspace */
	const char *stdin_data;      /* NULL: stdin is /dev/null */
	size_t stdin_len;
	int64_t timeout_ms;          /* 0: only the step deadline applies */
	int64_t grace_ms;            /* TERM-to-KILL grace; 0: host default (5 s) */
	size_t capture_max;          /* with CAPTURE_STDOUT; 0: host default (1 MiB) */
	/* ---- ABI 1.2 ---- (a host before 1.2 never calls it) */
	/* Called on the calling thread after each read of the program's
	 * stdout/stderr, before the lines read reach the step log (and before
	 * the last lines when it ends): the plugin registers with host->mask
	 * the secrets the program published meanwhile (a secret output written
	 * to a file), so that every line read after the program wrote one is
	 * masked.  May be NULL. */
	void (*before_log)(inn_step *step, void *ud);
	void *before_log_ud;
} inn_spawn_opts;

/* What host->spawn reports.  Set struct_size = sizeof(inn_spawn_result). */
typedef struct inn_spawn_result {
	uint32_t struct_size;
	int exit_code;     /* exit status, or -1 when killed by a signal */
	int term_signal;   /* the signal that ended it, or 0 */
	int timed_out;     /* killed because a deadline passed */
	int cancelled;     /* killed because the step was cancelled */
	int truncated;     /* captured stdout hit capture_max */
	char *captured;    /* NUL-terminated captured stdout (free with host->free) */
	size_t captured_len;
} inn_spawn_result;

/*
 * Host services.  Handed to init() and, through the step, to execute().
 *
 * Input paths address the step's configuration (its `config:` block, after
 * template rendering) with dots and array indices: "script", "env.NAME",
 * "command.0", "variables.region".  An empty path is the config root.
 */
typedef struct inn_host {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;

	/* Logging: one line per call, into the step log (step may be NULL in
	 * init/fini: the server log).  The host masks secrets and caps size. */
	void (*log)(inn_step *step, int level, const char *fmt, ...) INN_PRINTF_LIKE(3, 4);

	/* The step type this execute() was called for (a plugin may serve several). */
	const char *(*step_type)(const inn_step *step);
	/* The step's name within its workflow. */
	const char *(*step_name)(const inn_step *step);

	/* Typed inputs. */
	int (*input_type)(const inn_step *step, const char *path);
	int (*input_string)(const inn_step *step, const char *path, const char **out);
	int (*input_int)(const inn_step *step, const char *path, int64_t *out);
	int (*input_double)(const inn_step *step, const char *path, double *out);
	int (*input_bool)(const inn_step *step, const char *path, int *out);
	/* Number of elements of an array or keys of an object (0 otherwise). */
	size_t (*input_count)(const inn_step *step, const char *path);
	/* The i-th key of an object, or NULL. */
	const char *(*input_key)(const inn_step *step, const char *path, size_t i);
	/* Any value as JSON text; free *out with host->free. */
	int (*input_json)(const inn_step *step, const char *path, char **out);

	/* Step outputs: copied by the host; value size capped (INN_ETOOBIG). */
	int (*output)(inn_step *step, const char *key, const char *value, uint32_t flags);

	/* Secrets: looks a secret up by name and registers it with the masker. */
	int (*secret)(inn_step *step, const char *name, const char **out);
	/* Registers another value (a generated password, a token) with the masker. */
	void (*mask)(inn_step *step, const char *value);

	/* Cancellation: non-zero once cancelled.  cancel_fd becomes readable on
	 * cancellation (poll it; never read or close it); -1 if unavailable. */
	int (*cancelled)(const inn_step *step);
	int (*cancel_fd)(const inn_step *step);
	/* Deadline as CLOCK_MONOTONIC milliseconds, 0 for none. */
	int64_t (*deadline_ms)(const inn_step *step);

	/* A private working directory for this step (exists, writable). */
	const char *(*workspace)(const inn_step *step);
	/* Non-zero when the step runs as a dry-run. */
	int (*dry_run)(const inn_step *step);

	/* Runs a program: own process group, environment = host allow-list plus
	 * opts->env_allow plus opts->env, stdout/stderr streamed line by line
	 * through the masker into the step log, TERM then KILL after the grace
	 * period on cancellation or deadline.  Returns INN_OK when the program
	 * ran (whatever its exit code; see res) -- also when the step was
	 * already cancelled, in which case nothing starts and res->cancelled is
	 * set; INN_ESPAWN if it could not be started (no such program, not
	 * executable); INN_EINVAL for bad opts (no argv, an env entry without
	 * '='); INN_ENOMEM or INN_ERROR when the host ran out of resources.
	 * A bare argv[0] is looked up in the host's PATH. */
	int (*spawn)(inn_step *step, const inn_spawn_opts *opts, inn_spawn_result *res);

	/* Releases memory the host allocated for the plugin. */
	void (*free)(void *ptr);

	/* The calling thread's last error message from a host function. */
	const char *(*last_error)(void);

	/* ---- ABI 1.1 ---- (check host->abi_minor >= 1 before calling) */

	/* A directory private to this step's application, resource and
	 * environment (and plugin type) that persists between runs -- where a
	 * tool keeps state that a later apply or destroy must see.  Created on
	 * first use (mode 0700).  NULL if the host keeps no state. */
	const char *(*state_dir)(inn_step *step);
	/* The folder relative paths in this step's config refer to: the
	 * provider's folder for a provider workflow, else the folder of the
	 * workflow file.  Plugins must keep files they read inside it. */
	const char *(*base_dir)(const inn_step *step);
} inn_host;

/* The descriptor a plugin returns.  Set struct_size = sizeof(inn_plugin_descriptor). */
typedef struct inn_plugin_descriptor {
	uint32_t magic;          /* INN_PLUGIN_MAGIC */
	uint16_t abi_major;      /* INN_PLUGIN_ABI_MAJOR at build time */
	uint16_t abi_minor;      /* INN_PLUGIN_ABI_MINOR at build time */
	uint32_t struct_size;    /* sizeof(inn_plugin_descriptor) at build time */
	uint32_t flags;          /* enum inn_plugin_flag */
	const char *name;        /* human name, e.g. "shell" */
	const char *version;     /* the plugin's own version, e.g. "1.2.0" */
	/* Step types served, NULL-terminated.  The first is the plugin's own
	 * type and must equal its file name without ".so". */
	const char *const *step_types;
	const char *config_schema;  /* JSON Schema of the step config, or NULL */
	const char *outputs_schema; /* JSON Schema of the outputs, or NULL */

	/* Called once after loading.  *state is passed back to the others.
	 * Return INN_OK or an error (the plugin is then not registered). */
	int (*init)(const inn_host *host, void **state);
	/* Load-time check of a step's config (templates not yet rendered).
	 * Write a one-line reason into err (errlen bytes) and return INN_EINVAL
	 * to refuse the workflow.  Optional (NULL). */
	int (*validate)(void *state, const inn_host *host, const inn_step *step,
	                char *err, size_t errlen);
	/* Runs one step.  Return INN_OK on success, an error otherwise; log why. */
	int (*execute)(void *state, const inn_host *host, inn_step *step);
	/* Called once before unloading.  Optional (NULL). */
	void (*fini)(void *state);
} inn_plugin_descriptor;

/* The entry point every plugin defines, and its type. */
typedef const inn_plugin_descriptor *(*inn_plugin_describe_fn)(void);
INN_PLUGIN_EXPORT const inn_plugin_descriptor *inn_plugin_describe_v1(void);

#ifdef __cplusplus
}
#endif

#endif /* INNOMINATUS_PLUGIN_H */
