/*
 * host.c - the host services table handed to plugins (struct inn_host) and
 * the per-step contexts it works on: typed access to the step config, step
 * outputs with size caps, the masked and capped step log, secrets,
 * cancellation and the step workspace.  Spawning lives in host_spawn.c.
 */
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "buf.h"
#include "error.h"

struct inn_step {
	char *type;
	char *name;
	json_object *config;       /* own reference */
	json_object *outputs;      /* key -> string */
	json_object *secret_keys;  /* key -> true */
	size_t outputs_bytes;
	char *workspace;
	int own_workspace;
	int ws_made;               /* workspace exists (made on first use) */
	int dry_run;
	int64_t deadline_ms;
	inn_masker *masker;
	int own_masker;
	inn_log_sink_fn log;
	void *log_ud;
	size_t log_max, log_used, log_dropped;
	size_t output_max;
	inn_secret_fn secret;
	void *secret_ud;
	const char *const *env_allow;
	char *state_dir;
	char *base_dir;
	int state_made;
	int cancel_pipe[2];
	_Atomic int cancelled;
	pthread_mutex_t lock;      /* log accounting, outputs */
	/* Strings handed to the plugin that the host must keep alive. */
	char **keep;
	size_t nkeep, capkeep;
	/* input_key's place in the last mapping it walked, so that a plugin
	 * reading keys 0, 1, 2, ... costs O(n) in all, not O(n^2). */
	json_object *key_obj;
	struct lh_entry *key_ent;
	size_t key_idx;
};

const char *const inn_default_env_allow[] = {
	"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE",
	"TZ", "TMPDIR", "TERM", NULL
};

/* Finds the value at a dotted path ("a.b.0.c"); NULL if absent. */
static json_object *
lookup(const inn_step *step, const char *path)
{
	json_object *cur = step->config;
	const char *p = path;

	if (path == NULL || *path == '\0')
		return cur;
	while (cur != NULL && *p != '\0') {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		char seg[256];

		if (len == 0 || len >= sizeof(seg))
			return NULL;
		memcpy(seg, p, len);
		seg[len] = '\0';
		if (json_object_is_type(cur, json_type_object)) {
			if (!json_object_object_get_ex(cur, seg, &cur))
				return NULL;
		} else if (json_object_is_type(cur, json_type_array)) {
			char *end;
			unsigned long idx = strtoul(seg, &end, 10);

			if (*end != '\0' || seg[0] == '-' ||
			    idx >= json_object_array_length(cur))
				return NULL;
			cur = json_object_array_get_idx(cur, idx);
		} else {
			return NULL;
		}
		p += len + (dot ? 1 : 0);
		if (dot && *p == '\0')
			return NULL;
	}
	return cur;
}

/* Distinguishes "key: null" from a missing key. */
static int
path_present(const inn_step *step, const char *path)
{
	const char *last;
	json_object *parent;
	char buf[1024];

	if (lookup(step, path) != NULL)
		return 1;
	if (path == NULL || *path == '\0')
		return 0;
	last = strrchr(path, '.');
	if (last == NULL)
		return json_object_object_get_ex(step->config, path, NULL);
	if ((size_t)(last - path) >= sizeof(buf))
		return 0;
	memcpy(buf, path, (size_t)(last - path));
	buf[last - path] = '\0';
	parent = lookup(step, buf);
	return parent != NULL && json_object_is_type(parent, json_type_object) &&
	       json_object_object_get_ex(parent, last + 1, NULL);
}

static int
h_input_type(const inn_step *step, const char *path)
{
	json_object *v = lookup(step, path);

	if (v == NULL)
		return path_present(step, path) ? INN_VALUE_NULL : INN_VALUE_ABSENT;
	switch (json_object_get_type(v)) {
	case json_type_null: return INN_VALUE_NULL;
	case json_type_boolean: return INN_VALUE_BOOL;
	case json_type_int: return INN_VALUE_INT;
	case json_type_double: return INN_VALUE_DOUBLE;
	case json_type_string: return INN_VALUE_STRING;
	case json_type_array: return INN_VALUE_ARRAY;
	case json_type_object: return INN_VALUE_OBJECT;
	}
	return INN_VALUE_ABSENT;
}

/* The value at path when it is of type t or t2; else INN_ENOTFOUND (the
 * path is absent) or INN_ETYPE (naming want), the error set. */
static int
need(const inn_step *step, const char *path, json_type t, json_type t2, const char *want,
     json_object **out)
{
	json_object *v = lookup(step, path);

	if (v == NULL)
		return inn_error_set(INN_ENOTFOUND, "step \"%s\": config.%s is not set",
		                     step->name, path ? path : "");
	if (!json_object_is_type(v, t) && !json_object_is_type(v, t2))
		return inn_error_set(INN_ETYPE, "step \"%s\": config.%s must be %s",
		                     step->name, path, want);
	*out = v;
	return 0;
}

/* The typed getters: each is need() with its JSON type(s) and the value
 * read out as its C type. */
#define H_INPUT(name, ctype, t, t2, want, get)                          \
	static int                                                       \
	name(const inn_step *step, const char *path, ctype *out)         \
	{                                                                \
		json_object *v = NULL;                                   \
		int rc = need(step, path, t, t2, want, &v);              \
                                                                         \
		if (rc == 0)                                             \
			*out = get(v);                                   \
		return rc;                                               \
	}

H_INPUT(h_input_string, const char *, json_type_string, json_type_string, "a string",
        json_object_get_string)
H_INPUT(h_input_int, int64_t, json_type_int, json_type_int, "an integer", json_object_get_int64)
H_INPUT(h_input_double, double, json_type_double, json_type_int, "a number",
        json_object_get_double)
H_INPUT(h_input_bool, int, json_type_boolean, json_type_boolean, "true or false",
        json_object_get_boolean)

static size_t
h_input_count(const inn_step *step, const char *path)
{
	json_object *v = lookup(step, path);

	if (json_object_is_type(v, json_type_array))
		return json_object_array_length(v);
	if (json_object_is_type(v, json_type_object))
		return (size_t)json_object_object_length(v);
	return 0;
}

static const char *
h_input_key(const inn_step *cstep, const char *path, size_t i)
{
	inn_step *step = (inn_step *)cstep;   /* the cursor below is a cache */
	json_object *v = lookup(step, path);
	struct lh_entry *e;
	const char *key = NULL;
	size_t k = 0;

	if (!json_object_is_type(v, json_type_object))
		return NULL;
	pthread_mutex_lock(&step->lock);
	e = lh_table_head(json_object_get_object(v));
	if (step->key_obj == v && step->key_ent != NULL && step->key_idx <= i) {
		e = step->key_ent;
		k = step->key_idx;
	}
	for (; e != NULL && k < i; k++)
		e = lh_entry_next(e);
	if (e != NULL) {
		step->key_obj = v;
		step->key_ent = e;
		step->key_idx = k;
		key = (const char *)lh_entry_k(e);
	}
	pthread_mutex_unlock(&step->lock);
	return key;
}

static int
h_input_json(const inn_step *step, const char *path, char **out)
{
	json_object *v = lookup(step, path);
	const char *s;

	if (v == NULL && !path_present(step, path))
		return inn_error_set(INN_ENOTFOUND, "step \"%s\": config.%s is not set",
		                     step->name, path ? path : "");
	s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	                                   JSON_C_TO_STRING_NOSLASHESCAPE);
	if ((*out = strdup(s)) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	return 0;
}

void
inn_step_log_line(inn_step *step, int level, int stream, const char *line,
                  size_t len)
{
	size_t mlen = len;
	char *masked = inn_masker_apply(step->masker, line, len, &mlen);
	const char *text = masked ? masked : line;

	pthread_mutex_lock(&step->lock);
	if (step->log_used + mlen > step->log_max) {
		int first = step->log_dropped == 0;
		char note[128];
		int n;

		step->log_dropped += mlen;
		pthread_mutex_unlock(&step->lock);
		free(masked);
		if (!first)
			return;
		/* Say once, in the log itself, that the rest is not shown. */
		n = snprintf(note, sizeof(note), "[log truncated: the step log reached its "
		             "%zu-byte cap; further lines are dropped]", step->log_max);
		if (step->log != NULL)
			step->log(step->log_ud, step, INN_LOG_WARN, INN_STREAM_HOST, note,
			          (size_t)n);
		else
			fprintf(stderr, "[%s] %s\n", step->name, note);
		return;
	}
	step->log_used += mlen + 1;
	pthread_mutex_unlock(&step->lock);
	if (step->log != NULL)
		step->log(step->log_ud, step, level, stream, text, mlen);
	else
		fprintf(stderr, "[%s] %.*s\n", step->name, (int)mlen, text);
	free(masked);
}

static void
h_log(inn_step *step, int level, const char *fmt, ...)
{
	char buf[INN_LOG_LINE_MAX], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = inn_vformat(buf, sizeof(buf), &big, fmt, ap);
	va_end(ap);
	if (big != NULL && step != NULL) {
		/* mask the whole message before cutting it to the line cap, so
		 * the cut cannot leave the start of a secret unmasked */
		size_t mlen = 0;
		char *masked = inn_masker_apply(step->masker, big, (size_t)n, &mlen);

		if (masked != NULL) {
			n = (int)(mlen < sizeof(buf) ? mlen : sizeof(buf) - 1);
			memcpy(buf, masked, (size_t)n);
			buf[n] = '\0';
			free(masked);
		}
	}
	free(big);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (step == NULL) {
		/* Plugin-level messages (init/fini) go to the process log; an
		 * error also becomes the thread's last error so the loader can
		 * name it when init() fails. */
		fprintf(stderr, "plugin: %s\n", buf);
		if (level >= INN_LOG_ERROR)
			inn_error_set(INN_ERROR, "%s", buf);
		return;
	}
	inn_step_log_line(step, level, INN_STREAM_HOST, buf, (size_t)n);
}

static const char *
h_step_type(const inn_step *step)
{
	return step->type;
}

static const char *
h_step_name(const inn_step *step)
{
	return step->name;
}

static int
valid_output_key(const char *key)
{
	const char *p;

	if (key == NULL || *key == '\0' || strlen(key) > 128)
		return 0;
	for (p = key; *p; p++)
		if (!(*p == '_' || *p == '-' || *p == '.' ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			return 0;
	return 1;
}

static int
h_output(inn_step *step, const char *key, const char *value, uint32_t flags)
{
	size_t len;
	json_object *old;
	int rc = 0;

	if (!valid_output_key(key))
		return inn_error_set(INN_EINVAL, "step \"%s\": output name \"%s\" is not "
		                     "valid (letters, digits, _ - . up to 128)",
		                     step->name, key ? key : "(null)");
	if (value == NULL)
		value = "";
	len = strlen(value);
	if (len > step->output_max)
		return inn_error_set(INN_ETOOBIG, "step \"%s\": output \"%s\" is %zu bytes, "
		                     "over the %zu-byte cap", step->name, key, len,
		                     step->output_max);
	if (flags & INN_OUTPUT_SECRET)
		inn_masker_add(step->masker, value);
	pthread_mutex_lock(&step->lock);
	old = NULL;
	if (json_object_object_get_ex(step->outputs, key, &old))
		step->outputs_bytes -= (size_t)json_object_get_string_len(old);
	if (old == NULL && json_object_object_length(step->outputs) >= INN_STEP_OUTPUTS_MAX_COUNT) {
		rc = inn_error_set(INN_ETOOBIG, "step \"%s\": more than %d outputs",
		                   step->name, INN_STEP_OUTPUTS_MAX_COUNT);
		goto out;
	}
	if (step->outputs_bytes + len + (old ? 0 : strlen(key)) > INN_STEP_OUTPUTS_TOTAL_MAX) {
		rc = inn_error_set(INN_ETOOBIG, "step \"%s\": outputs exceed %u bytes in "
		                   "total", step->name, INN_STEP_OUTPUTS_TOTAL_MAX);
		if (old != NULL)
			step->outputs_bytes += (size_t)json_object_get_string_len(old);
		goto out;
	}
	json_object_object_add(step->outputs, key,
	                       json_object_new_string_len(value, (int)len));
	step->outputs_bytes += len + (old ? 0 : strlen(key));
	if (flags & INN_OUTPUT_SECRET)
		json_object_object_add(step->secret_keys, key, json_object_new_boolean(1));
	else
		json_object_object_del(step->secret_keys, key);
out:
	pthread_mutex_unlock(&step->lock);
	return rc;
}

static int
keep_string(inn_step *step, char *s)
{
	char **nk = inn_array_reserve(step->keep, &step->capkeep, step->nkeep + 1, sizeof(*nk), 4);

	if (nk == NULL)
		return INN_ENOMEM;
	step->keep = nk;
	step->keep[step->nkeep++] = s;
	return 0;
}

static int
h_secret(inn_step *step, const char *name, const char **out)
{
	const char *v = NULL;
	char *copy;

	if (step->secret == NULL || step->secret(step->secret_ud, name, &v) != 0 ||
	    v == NULL)
		return inn_error_set(INN_ENOTFOUND, "step \"%s\": secret \"%s\" is not "
		                     "defined", step->name, name ? name : "(null)");
	inn_masker_add(step->masker, v);
	if ((copy = strdup(v)) == NULL || keep_string(step, copy) != 0) {
		free(copy);
		return inn_error_set(INN_ENOMEM, "out of memory");
	}
	*out = copy;
	return 0;
}

static void
h_mask(inn_step *step, const char *value)
{
	inn_masker_add(step->masker, value);
}

static int
h_cancelled(const inn_step *step)
{
	return step->cancelled;
}

static int
h_cancel_fd(const inn_step *step)
{
	return step->cancel_pipe[0];
}

static int64_t
h_deadline_ms(const inn_step *step)
{
	return step->deadline_ms;
}

static const char *
h_workspace(const inn_step *step)
{
	return inn_step_workspace(step);
}

static int
h_dry_run(const inn_step *step)
{
	return step->dry_run;
}

static void
h_free(void *p)
{
	free(p);
}

/* Creates each missing component of path with mode 0700. */
static int
mkdir_p(const char *path)
{
	char buf[4096];
	size_t i, len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return -1;
		buf[i] = path[i];
	}
	return 0;
}

static const char *
h_base_dir(const inn_step *step)
{
	return step->base_dir;
}

static const char *
h_state_dir(inn_step *step)
{
	if (step->state_dir == NULL)
		return NULL;
	pthread_mutex_lock(&step->lock);
	if (!step->state_made && mkdir_p(step->state_dir) == 0)
		step->state_made = 1;
	pthread_mutex_unlock(&step->lock);
	if (!step->state_made) {
		inn_error_set(INN_ERROR, "cannot create state directory %s: %s",
		              step->state_dir, strerror(errno));
		return NULL;
	}
	return step->state_dir;
}

static const inn_host host_table = {
	sizeof(inn_host),
	INN_PLUGIN_ABI_MAJOR,
	INN_PLUGIN_ABI_MINOR,
	h_log,
	h_step_type,
	h_step_name,
	h_input_type,
	h_input_string,
	h_input_int,
	h_input_double,
	h_input_bool,
	h_input_count,
	h_input_key,
	h_input_json,
	h_output,
	h_secret,
	h_mask,
	h_cancelled,
	h_cancel_fd,
	h_deadline_ms,
	h_workspace,
	h_dry_run,
	inn_host_spawn,
	h_free,
	inn_error_last,
	h_state_dir,
	h_base_dir,
};

const inn_host *
inn_host_table(void)
{
	return &host_table;
}

int
inn_step_new(inn_step **out, const inn_step_opts *o)
{
	inn_step *s;
	int rc = INN_ENOMEM;

	*out = NULL;
	if (o == NULL || o->type == NULL || o->name == NULL)
		return inn_error_set(INN_EINVAL, "a step needs a type and a name");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	s->cancel_pipe[0] = s->cancel_pipe[1] = -1;
	pthread_mutex_init(&s->lock, NULL);
	if ((s->type = strdup(o->type)) == NULL || (s->name = strdup(o->name)) == NULL)
		goto err;
	s->config = o->config ? json_object_get(o->config) : json_object_new_object();
	s->outputs = json_object_new_object();
	s->secret_keys = json_object_new_object();
	if (s->config == NULL || s->outputs == NULL || s->secret_keys == NULL)
		goto err;
	s->dry_run = o->dry_run;
	s->deadline_ms = o->deadline_ms;
	s->log = o->log;
	s->log_ud = o->log_ud;
	s->log_max = o->log_max_bytes ? o->log_max_bytes : INN_STEP_LOG_MAX_DEFAULT;
	s->output_max = o->output_max_bytes ? o->output_max_bytes
	                                    : INN_STEP_OUTPUT_MAX_DEFAULT;
	s->secret = o->secret;
	s->secret_ud = o->secret_ud;
	s->env_allow = o->env_allow ? o->env_allow : inn_default_env_allow;
	if (o->state_dir != NULL && (s->state_dir = strdup(o->state_dir)) == NULL)
		goto err;
	if ((s->base_dir = strdup(o->base_dir ? o->base_dir : ".")) == NULL)
		goto err;
	if (o->masker != NULL) {
		s->masker = o->masker;
	} else {
		if ((rc = inn_masker_new(&s->masker)) != 0)
			goto err;
		s->own_masker = 1;
	}
	if (pipe2(s->cancel_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		rc = inn_error_set(INN_ERROR, "cannot create cancel pipe: %s",
		                   strerror(errno));
		goto err;
	}
	if (o->workspace != NULL) {
		if ((s->workspace = strdup(o->workspace)) == NULL)
			goto err;
	} else {
		const char *tmp = getenv("TMPDIR");
		char tmpl[4096];

		snprintf(tmpl, sizeof(tmpl), "%s/innominatus-step-XXXXXX",
		         tmp && *tmp ? tmp : "/tmp");
		if (mkdtemp(tmpl) == NULL) {
			rc = inn_error_set(INN_ERROR, "cannot create step workspace %s: %s",
			                   tmpl, strerror(errno));
			goto err;
		}
		if ((s->workspace = strdup(tmpl)) == NULL)
			goto err;
		s->own_workspace = 1;
	}
	*out = s;
	return 0;
err:
	if (rc == INN_ENOMEM)
		inn_error_set(INN_ENOMEM, "out of memory creating step \"%s\"", o->name);
	inn_step_free(s);
	return rc;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
inn_rmrf(const char *path)
{
	if (path != NULL)
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void
inn_step_free(inn_step *s)
{
	if (s == NULL)
		return;
	if (s->own_workspace)
		inn_rmrf(s->workspace);
	if (s->cancel_pipe[0] >= 0)
		close(s->cancel_pipe[0]);
	if (s->cancel_pipe[1] >= 0)
		close(s->cancel_pipe[1]);
	if (s->own_masker)
		inn_masker_free(s->masker);
	inn_strv_free(s->keep, s->nkeep);
	json_object_put(s->config);
	json_object_put(s->outputs);
	json_object_put(s->secret_keys);
	INN_FREE_ALL(s->workspace, s->state_dir, s->base_dir, s->type, s->name);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void
inn_step_cancel(inn_step *s)
{
	ssize_t n;

	s->cancelled = 1;
	do
		n = write(s->cancel_pipe[1], "c", 1);
	while (n < 0 && errno == EINTR);
}

json_object *
inn_step_outputs(const inn_step *s)
{
	return s->outputs;
}

int
inn_step_output_is_secret(const inn_step *s, const char *key)
{
	return json_object_object_get_ex(s->secret_keys, key, NULL);
}

size_t
inn_step_log_dropped(const inn_step *s)
{
	return s->log_dropped;
}

inn_masker *
inn_step_masker(const inn_step *s)
{
	return s->masker;
}

int
inn_step_cancel_fd_get(const inn_step *s)
{
	return s->cancel_pipe[0];
}

int
inn_step_is_cancelled(const inn_step *s)
{
	return s->cancelled;
}

int64_t
inn_step_deadline(const inn_step *s)
{
	return s->deadline_ms;
}

/* The step's folder is made here, the first time anyone asks for it (the
 * plugin, or a command spawned in it), not before each step: most steps
 * never use it, and a directory made and removed per step was most of what
 * a 200-step run of no-op steps cost. */
const char *
inn_step_workspace(const inn_step *s)
{
	if (s->workspace != NULL && !__atomic_load_n(&s->ws_made, __ATOMIC_ACQUIRE)) {
		mkdir(s->workspace, 0700);  /* EEXIST: made already */
		__atomic_store_n(&((inn_step *)s)->ws_made, 1, __ATOMIC_RELEASE);
	}
	return s->workspace;
}

const char *const *
inn_step_env_allow(const inn_step *s)
{
	return s->env_allow;
}
