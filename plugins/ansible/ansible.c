/*
 * ansible.c - the "ansible" step plugin: runs ansible-playbook through
 * host->spawn (own process group, deadline, cancellation, stderr streamed
 * through the masker) and turns its result into step outputs.
 *
 * What the plugin writes into the step workspace (.inn-ansible/, 0700):
 *   callback/innominatus_json.py  the stdout callback (callback.h): stdout
 *                                 is captured and parsed as one JSON document
 *   extra-vars.yml (0600)         config.extra_vars as YAML whose every string
 *                                 is tagged !unsafe, so ansible never
 *                                 evaluates Jinja in a value; passed as
 *                                 -e @file, never on the command line
 *   vault-pass (0600)             the vault password secret, removed after
 *   ansible.log                   ANSIBLE_LOG_PATH: where an "ERROR!" that
 *                                 stops ansible-playbook before any task
 *                                 (a bad playbook) is found for the message
 *   playbook.yml (0600)           config.playbook_content, if given
 * Because stdout is captured, the plugin logs a per-task summary itself.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <innominatus/plugin.h>

#include "callback.h"
#include "plugin_util.h"

#ifdef PACKAGE_VERSION
#define ANSIBLE_VERSION PACKAGE_VERSION
#else
#define ANSIBLE_VERSION "0.1.0"
#endif

#define ANSIBLE_PROGRAM "ansible-playbook"
#define ANSIBLE_MISSING "ansible-playbook not found in PATH; apt-get install " \
	"--no-install-recommends ansible-core"
#define ANSIBLE_CAPTURE_MAX (16u * 1024 * 1024)
#define ANSIBLE_PATH_MAX 4096
#define ANSIBLE_YAML_DEPTH_MAX 64
#define ANSIBLE_MSG_MAX 600     /* bytes of a task message in a log line */
#define ANSIBLE_LOG_READ_MAX (256 * 1024)
#define ANSIBLE_DIR ".inn-ansible"

/* The step config, read through the host's typed inputs.  Strings are
 * borrowed from the host; the arrays are ours. */
struct ansible_config {
	const char *playbook;
	const char *playbook_base;
	const char *playbook_content;
	const char *inventory;        /* a string, or NULL */
	const char **inventory_list;  /* NULL-terminated hosts, or NULL */
	int has_extra_vars;
	const char **tags;            /* NULL-terminated, or NULL */
	const char **skip_tags;
	int check, diff, become;
	const char *vault_secret;
	const char *limit;
	char **env;                   /* NULL-terminated "NAME=value" */
	size_t nenv;
	int64_t timeout_ms;           /* 0: none */
};

static const char *const config_fields[] = {
	"playbook", "playbook_base", "playbook_content", "inventory", "extra_vars",
	"tags", "skip_tags", "check", "diff", "become", "vault_password_secret",
	"limit", "env", "timeout", NULL
};
#define CONFIG_FIELDS_TEXT "playbook, playbook_base, playbook_content, " \
	"inventory, extra_vars, tags, skip_tags, check, diff, become, " \
	"vault_password_secret, limit, env, timeout"

/* ---- small helpers ----------------------------------------------------- */



static int
is_name_start(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

/* [A-Za-z_][A-Za-z0-9_]*: environment and ansible variable names. */
static int
valid_name(const char *s)
{
	if (!is_name_start((unsigned char)*s))
		return 0;
	while (*++s != '\0')
		if (!is_name_start((unsigned char)*s) && !(*s >= '0' && *s <= '9'))
			return 0;
	return 1;
}


/* A growable text buffer; oom sticks once an append failed. */
struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void
sb_addn(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		char *np;

		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_adds(struct sbuf *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

static void INN_PRINTF_LIKE(2, 3)
sb_addf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n >= 0)
		sb_addn(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Joins the strings of a NULL-terminated array with sep; NULL on OOM. */
static char *
join(const char *const *v, const char *sep, const char *trail)
{
	struct sbuf b = { NULL, 0, 0, 0 };
	size_t i;

	sb_adds(&b, "");
	for (i = 0; v[i] != NULL; i++) {
		if (i > 0)
			sb_adds(&b, sep);
		sb_adds(&b, v[i]);
	}
	sb_adds(&b, trail);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}




/* ---- config ------------------------------------------------------------ */

static void
config_free(struct ansible_config *c)
{
	size_t i;

	for (i = 0; i < c->nenv; i++)
		free(c->env[i]);
	free(c->env);
	free(c->inventory_list);
	free(c->tags);
	free(c->skip_tags);
	memset(c, 0, sizeof(*c));
}

/*
 * Reads the array of strings at field into a malloc'd NULL-terminated
 * array of borrowed strings; with no_comma, elements must be non-empty and
 * hold no ',' (they are joined with commas on the command line) unless
 * still templates.  Returns 0 or INN_EINVAL / INN_ENOMEM with err set.
 */
static int
read_string_array(const inn_host *host, const inn_step *step, const char *field,
                  int rendered, const char ***out, char *err, size_t errlen)
{
	size_t n, i;
	const char **v;
	char path[64];

	*out = NULL;
	if (host->input_type(step, field) != INN_VALUE_ARRAY)
		return pu_refuse(err, errlen, "config.%s: must be a list of strings", field);
	n = host->input_count(step, field);
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		pu_refuse(err, errlen, "config.%s: out of memory", field);
		return INN_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s.%zu", field, i);
		if (host->input_string(step, path, &v[i]) != 0) {
			free(v);
			return pu_refuse(err, errlen, "config.%s: must be a string", path);
		}
		if ((rendered || !pu_is_template(v[i])) &&
		    (v[i][0] == '\0' || strchr(v[i], ',') != NULL)) {
			pu_refuse(err, errlen, "config.%s: \"%s\" must be non-empty and hold "
			       "no ','", path, v[i]);
			free(v);
			return INN_EINVAL;
		}
	}
	*out = v;
	return 0;
}

/* Reads an optional string field. */
static int
read_string(const inn_host *host, const inn_step *step, const char *field,
            const char **out, char *err, size_t errlen)
{
	int t = host->input_type(step, field);

	if (t == INN_VALUE_ABSENT)
		return 0;
	if (t != INN_VALUE_STRING || host->input_string(step, field, out) != 0)
		return pu_refuse(err, errlen, "config.%s: must be a string", field);
	return 0;
}

/* Reads an optional boolean field; before rendering a template string is
 * accepted (and reads as false). */
static int
read_bool(const inn_host *host, const inn_step *step, const char *field,
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

/* Reads config.env into c->env as "NAME=value" strings. */
static int
read_env(const inn_host *host, const inn_step *step, struct ansible_config *c,
         char *err, size_t errlen)
{
	size_t n, i;
	char path[300];

	if (host->input_type(step, "env") != INN_VALUE_OBJECT)
		return pu_refuse(err, errlen, "config.env: must be an object of NAME: value");
	n = host->input_count(step, "env");
	if ((c->env = calloc(n + 1, sizeof(*c->env))) == NULL) {
		pu_refuse(err, errlen, "config.env: out of memory");
		return INN_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const char *name = host->input_key(step, "env", i);
		const char *sval = NULL;
		char *json = NULL;
		int type, rc;

		if (name == NULL)
			break;
		if (!valid_name(name))
			return pu_refuse(err, errlen, "config.env: \"%s\" is not a valid "
			              "environment variable name", name);
		if ((size_t)snprintf(path, sizeof(path), "env.%s", name) >= sizeof(path))
			return pu_refuse(err, errlen, "config.env: name \"%.40s...\" is too "
			              "long", name);
		type = host->input_type(step, path);
		if (type == INN_VALUE_STRING) {
			host->input_string(step, path, &sval);
		} else if (type == INN_VALUE_BOOL || type == INN_VALUE_INT ||
		           type == INN_VALUE_DOUBLE) {
			if (host->input_json(step, path, &json) != 0)
				return pu_refuse(err, errlen, "config.%s: %s", path,
				              host->last_error());
			sval = json;
		} else {
			return pu_refuse(err, errlen, "config.%s: must be a string, number or "
			              "boolean", path);
		}
		rc = pu_env_add(c->env, &c->nenv, name, sval);
		if (json != NULL)
			host->free(json);
		if (rc != 0) {
			pu_refuse(err, errlen, "config.env: out of memory");
			return INN_ENOMEM;
		}
	}
	return 0;
}


/* Checks config.extra_vars: an object whose keys are variable names (or,
 * before rendering, a template that will become one). */
static int
check_extra_vars(const inn_host *host, const inn_step *step, int rendered,
                 char *err, size_t errlen)
{
	const char *s;
	size_t n, i;
	int t = host->input_type(step, "extra_vars");

	if (!rendered && t == INN_VALUE_STRING &&
	    host->input_string(step, "extra_vars", &s) == 0 && pu_is_template(s))
		return 0;
	if (t != INN_VALUE_OBJECT)
		return pu_refuse(err, errlen, "config.extra_vars: must be an object of "
		              "variable: value");
	n = host->input_count(step, "extra_vars");
	for (i = 0; i < n; i++) {
		const char *key = host->input_key(step, "extra_vars", i);

		if (key != NULL && !valid_name(key))
			return pu_refuse(err, errlen, "config.extra_vars: \"%s\" is not a valid "
			              "ansible variable name ([A-Za-z_][A-Za-z0-9_]*)", key);
	}
	return 0;
}

/* Reads config.inventory: a string (hosts "a,b," or an inventory path) or
 * a list of hosts. */
static int
read_inventory(const inn_host *host, const inn_step *step, int rendered,
               struct ansible_config *c, char *err, size_t errlen)
{
	int t = host->input_type(step, "inventory");

	if (t == INN_VALUE_ABSENT)
		return 0;
	if (t == INN_VALUE_STRING) {
		host->input_string(step, "inventory", &c->inventory);
		if ((rendered || !pu_is_template(c->inventory)) && c->inventory[0] == '\0')
			return pu_refuse(err, errlen, "config.inventory: must not be empty");
		return 0;
	}
	if (t == INN_VALUE_ARRAY) {
		int rc = read_string_array(host, step, "inventory", rendered,
		                           &c->inventory_list, err, errlen);

		if (rc == 0 && c->inventory_list[0] == NULL)
			return pu_refuse(err, errlen, "config.inventory: the list of hosts is "
			              "empty");
		return rc;
	}
	return pu_refuse(err, errlen, "config.inventory: must be a string (\"host1,"
	              "host2,\" or an inventory path) or a list of hosts");
}

/*
 * Reads and checks the whole step config into c.  rendered is zero at load
 * time: strings that still hold templates then skip their content checks.
 * Returns 0, or INN_EINVAL / INN_ENOMEM with a one-line reason naming the
 * field in err; c is then freed.
 */
static int
config_read(const inn_host *host, const inn_step *step, int rendered,
            struct ansible_config *c, char *err, size_t errlen)
{
	size_t n, i, j;
	int rc;

	memset(c, 0, sizeof(*c));
	if (host->input_type(step, "") != INN_VALUE_OBJECT)
		return pu_refuse(err, errlen, "config: must be an object with \"playbook\" "
		              "or \"playbook_content\"");
	n = host->input_count(step, "");
	for (i = 0; i < n; i++) {
		const char *key = host->input_key(step, "", i);

		for (j = 0; key != NULL && config_fields[j] != NULL; j++)
			if (strcmp(key, config_fields[j]) == 0)
				break;
		if (key != NULL && config_fields[j] == NULL)
			return pu_refuse(err, errlen, "config: unknown field \"%s\" (known: "
			              CONFIG_FIELDS_TEXT ")", key);
	}

	if ((rc = read_string(host, step, "playbook", &c->playbook, err, errlen)) ||
	    (rc = read_string(host, step, "playbook_base", &c->playbook_base, err,
	    errlen)) ||
	    (rc = read_string(host, step, "playbook_content", &c->playbook_content,
	    err, errlen)) ||
	    (rc = read_string(host, step, "vault_password_secret", &c->vault_secret,
	    err, errlen)) ||
	    (rc = read_string(host, step, "limit", &c->limit, err, errlen)))
		goto fail;
	if ((c->playbook != NULL) == (c->playbook_content != NULL)) {
		rc = pu_refuse(err, errlen, "config: needs exactly one of \"playbook\" (a "
		            "path) or \"playbook_content\" (the playbook itself)");
		goto fail;
	}
	if (c->playbook_base != NULL && c->playbook == NULL) {
		rc = pu_refuse(err, errlen, "config.playbook_base: only applies to "
		            "\"playbook\"");
		goto fail;
	}
	/* the folder a playbook is confined to is the provider's choice, never
	 * a value a user's parameter renders into (IJ-9) */
	if (c->playbook_base != NULL && !rendered && pu_is_template(c->playbook_base)) {
		rc = pu_refuse(err, errlen, "config.playbook_base: must be written out, "
		            "not rendered from a template (it is the folder the playbook "
		            "is confined to)");
		goto fail;
	}
	if (c->playbook_base != NULL && (rendered || !pu_is_template(c->playbook_base)) &&
	    c->playbook_base[0] != '/') {
		rc = pu_refuse(err, errlen, "config.playbook_base: \"%s\" must be an "
		            "absolute path", c->playbook_base);
		goto fail;
	}
	if (c->playbook != NULL && (rendered || !pu_is_template(c->playbook))) {
		if (c->playbook[0] == '\0') {
			rc = pu_refuse(err, errlen, "config.playbook: must not be empty");
			goto fail;
		}
		if (c->playbook[0] != '/' && pu_has_dotdot(c->playbook)) {
			rc = pu_refuse(err, errlen, "config.playbook: \"%s\" must stay inside "
			            "its base folder (no \"..\")", c->playbook);
			goto fail;
		}
	}
	if (c->playbook_content != NULL && c->playbook_content[0] == '\0') {
		rc = pu_refuse(err, errlen, "config.playbook_content: must not be empty");
		goto fail;
	}
	if (c->vault_secret != NULL && c->vault_secret[0] == '\0') {
		rc = pu_refuse(err, errlen, "config.vault_password_secret: must name a "
		            "secret");
		goto fail;
	}

	if ((rc = read_inventory(host, step, rendered, c, err, errlen)) != 0)
		goto fail;
	if (host->input_type(step, "extra_vars") != INN_VALUE_ABSENT) {
		if ((rc = check_extra_vars(host, step, rendered, err, errlen)) != 0)
			goto fail;
		c->has_extra_vars = 1;
	}
	if (host->input_type(step, "tags") != INN_VALUE_ABSENT &&
	    (rc = read_string_array(host, step, "tags", rendered, &c->tags, err,
	    errlen)) != 0)
		goto fail;
	if (host->input_type(step, "skip_tags") != INN_VALUE_ABSENT &&
	    (rc = read_string_array(host, step, "skip_tags", rendered, &c->skip_tags,
	    err, errlen)) != 0)
		goto fail;
	if ((rc = read_bool(host, step, "check", rendered, &c->check, err, errlen)) ||
	    (rc = read_bool(host, step, "diff", rendered, &c->diff, err, errlen)) ||
	    (rc = read_bool(host, step, "become", rendered, &c->become, err, errlen)))
		goto fail;
	if (host->input_type(step, "env") != INN_VALUE_ABSENT &&
	    (rc = read_env(host, step, c, err, errlen)) != 0)
		goto fail;
	if (host->input_type(step, "timeout") != INN_VALUE_ABSENT &&
	    (rc = pu_read_timeout(host, step, rendered, &c->timeout_ms, err,
	    errlen)) != 0)
		goto fail;
	return 0;
fail:
	config_free(c);
	return rc;
}

/* ---- extra vars as YAML with !unsafe strings ---------------------------- */

/*
 * Decodes one UTF-8 sequence at s[0..len) into *cp; returns its length, or
 * 0 if it is not valid UTF-8 (overlong, surrogate, past U+10FFFF, cut).
 */
static size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n, i;
	uint32_t v, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2; v = s[0] & 0x1f; min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3; v = s[0] & 0x0f; min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4; v = s[0] & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/*
 * Appends s as a YAML double-quoted scalar in pure ASCII: '"' and '\'
 * escaped, control characters as \xNN, everything past ASCII as \uXXXX or
 * \UXXXXXXXX (so no character YAML forbids in a stream can appear raw).
 * Returns 0, or -1 if s is not valid UTF-8.
 */
static int
yaml_quote(struct sbuf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run;
	uint32_t cp;

	sb_addn(b, "\"", 1);
	while (i < len) {
		for (run = i; run < len && u[run] >= 0x20 && u[run] < 0x7f &&
		     u[run] != '"' && u[run] != '\\'; run++)
			;
		sb_addn(b, s + i, run - i);
		if ((i = run) >= len)
			break;
		if (u[i] == '"' || u[i] == '\\') {
			sb_addn(b, "\\", 1);
			sb_addn(b, s + i, 1);
			i++;
		} else if (u[i] < 0x80) {
			sb_addf(b, "\\x%02x", u[i]);
			i++;
		} else {
			size_t n = utf8_decode(u + i, len - i, &cp);

			if (n == 0)
				return -1;
			if (cp <= 0xffff)
				sb_addf(b, "\\u%04" PRIx32, cp);
			else
				sb_addf(b, "\\U%08" PRIx32, cp);
			i += n;
		}
	}
	sb_addn(b, "\"", 1);
	return 0;
}

/* Appends a double as a YAML 1.1 float (which needs a '.' to be one). */
static void
yaml_double(struct sbuf *b, double d)
{
	char num[64], *e;

	if (isnan(d)) {
		sb_adds(b, ".nan");
		return;
	}
	if (isinf(d)) {
		sb_adds(b, d < 0 ? "-.inf" : ".inf");
		return;
	}
	snprintf(num, sizeof(num), "%.17g", d);
	if (strchr(num, '.') != NULL) {
		sb_adds(b, num);
	} else if ((e = strchr(num, 'e')) != NULL) {
		sb_addn(b, num, (size_t)(e - num));
		sb_adds(b, ".0");
		sb_adds(b, e);
	} else {
		sb_adds(b, num);
		sb_adds(b, ".0");
	}
}

/*
 * Appends v as YAML flow text in which every string is "!unsafe": ansible
 * then never templates it, so "{{ lookup('pipe', ...) }}" in a value stays
 * text.  (A JSON -e @file would not do: ansible templates JSON extra vars,
 * and JSON has no way to say !unsafe.)  where names the value for errors.
 * Returns 0 or INN_EINVAL with err set.
 */
static int
yaml_emit(struct sbuf *b, json_object *v, int depth, const char *where,
          char *err, size_t errlen)
{
	size_t i, n;
	int first = 1;

	if (depth > ANSIBLE_YAML_DEPTH_MAX)
		return pu_refuse(err, errlen, "config.%s: nested deeper than %d levels",
		              where, ANSIBLE_YAML_DEPTH_MAX);
	switch (json_object_get_type(v)) {
	case json_type_null:
		sb_adds(b, "null");
		return 0;
	case json_type_boolean:
		sb_adds(b, json_object_get_boolean(v) ? "true" : "false");
		return 0;
	case json_type_int:
		sb_addf(b, "%" PRId64, json_object_get_int64(v));
		return 0;
	case json_type_double:
		yaml_double(b, json_object_get_double(v));
		return 0;
	case json_type_string:
		sb_adds(b, "!unsafe ");
		if (yaml_quote(b, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v)) != 0)
			return pu_refuse(err, errlen, "config.%s: a string is not valid "
			              "UTF-8", where);
		return 0;
	case json_type_array:
		sb_adds(b, "[");
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			if (i > 0)
				sb_adds(b, ", ");
			if (yaml_emit(b, json_object_array_get_idx(v, i), depth + 1, where,
			    err, errlen) != 0)
				return INN_EINVAL;
		}
		sb_adds(b, "]");
		return 0;
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			sb_adds(b, first ? "{" : ", ");
			first = 0;
			if (yaml_quote(b, key, strlen(key)) != 0)
				return pu_refuse(err, errlen, "config.%s: a key is not valid "
				              "UTF-8", where);
			sb_adds(b, ": ");
			if (yaml_emit(b, val, depth + 1, where, err, errlen) != 0)
				return INN_EINVAL;
		}
		sb_adds(b, first ? "{}" : "}");
		return 0;
	}
	}
	return pu_refuse(err, errlen, "config.%s: unsupported value", where);
}

/* ---- workspace files ---------------------------------------------------- */

/*
 * Writes len bytes of data to path with mode (replacing any file or
 * symlink there, never following one).  Returns 0, or an error after
 * logging it.
 */
static int
write_file(const inn_host *host, inn_step *step, const char *path,
           const char *data, size_t len, mode_t mode)
{
	size_t off = 0;
	int fd, rc = 0;

	if (unlink(path) != 0 && errno != ENOENT) {
		host->log(step, INN_LOG_ERROR, "cannot replace %s: %s", path,
		          strerror(errno));
		return INN_ERROR;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		host->log(step, INN_LOG_ERROR, "cannot create %s: %s", path,
		          strerror(errno));
		return INN_ERROR;
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			host->log(step, INN_LOG_ERROR, "cannot write %s: %s", path,
			          strerror(errno));
			rc = INN_ERROR;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) != 0 && rc == 0) {
		host->log(step, INN_LOG_ERROR, "cannot write %s: %s", path,
		          strerror(errno));
		rc = INN_ERROR;
	}
	return rc;
}

/* Creates dir (mode 0700) unless it exists. */
static int
make_dir(const inn_host *host, inn_step *step, const char *dir)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		host->log(step, INN_LOG_ERROR, "cannot create %s: %s", dir,
		          strerror(errno));
		return INN_ERROR;
	}
	return 0;
}

/* The paths of one run, all inside the step workspace. */
struct ansible_paths {
	char dir[ANSIBLE_PATH_MAX];        /* <ws>/.inn-ansible */
	char callbacks[ANSIBLE_PATH_MAX];  /* <dir>/callback */
	char extra_vars[ANSIBLE_PATH_MAX];
	char vault[ANSIBLE_PATH_MAX];
	char log[ANSIBLE_PATH_MAX];
	char tmp_local[ANSIBLE_PATH_MAX];
	char tmp_remote[ANSIBLE_PATH_MAX];
	char playbook[ANSIBLE_PATH_MAX];   /* the playbook that runs */
};

/* dir + "/" + name into buf (ANSIBLE_PATH_MAX); -1 if it does not fit. */
static int
path_join(char *buf, const char *dir, const char *name)
{
	return (size_t)snprintf(buf, ANSIBLE_PATH_MAX, "%s/%s", dir, name) >=
	    ANSIBLE_PATH_MAX ? -1 : 0;
}

static int
paths_init(struct ansible_paths *p, const char *ws)
{
	p->playbook[0] = '\0';
	if (path_join(p->dir, ws, ANSIBLE_DIR) != 0 ||
	    path_join(p->callbacks, p->dir, "callback") != 0 ||
	    path_join(p->extra_vars, p->dir, "extra-vars.yml") != 0 ||
	    path_join(p->vault, p->dir, "vault-pass") != 0 ||
	    path_join(p->log, p->dir, "ansible.log") != 0 ||
	    path_join(p->tmp_local, p->dir, "tmp-local") != 0 ||
	    path_join(p->tmp_remote, p->dir, "tmp-remote") != 0)
		return -1;
	return 0;
}

/* host->base_dir(step) if the host has it (ABI 1.1 hosts built before it
 * was added do not), else NULL. */
static const char *
host_base_dir(const inn_host *host, const inn_step *step)
{
	if (host->struct_size < offsetof(inn_host, base_dir) + sizeof(host->base_dir) ||
	    host->base_dir == NULL)
		return NULL;
	return host->base_dir(step);
}

/*
 * Resolves config.playbook into p->playbook: absolute ones must lead into
 * the provider folder, playbook_base or the step's own folders; relative
 * under playbook_base, else under the host's base_dir (the provider's
 * folder) -- where realpath must still land inside that folder, so a
 * symlink cannot lead out either.  Or writes playbook_content to the
 * workspace.  Returns 0 or an error after logging it.
 */
static int
prepare_playbook(const inn_host *host, inn_step *step,
                 const struct ansible_config *c, struct ansible_paths *p,
                 const char *ws)
{
	char joined[ANSIBLE_PATH_MAX], *base = NULL, *real = NULL;
	const char *from = c->playbook_base ? c->playbook_base :
	    host_base_dir(host, step);
	const char *what = c->playbook_base ? "playbook_base" : "the base folder";
	size_t blen;
	int rc = INN_EINVAL;

	if (c->playbook_content != NULL) {
		snprintf(p->playbook, sizeof(p->playbook), "%s/playbook.yml", ws);
		return write_file(host, step, p->playbook, c->playbook_content,
		                  strlen(c->playbook_content), 0600);
	}
	if (c->playbook[0] == '/') {
		/* IJ-9: an absolute path (perhaps rendered from a user's
		 * parameter) must still lead into the provider folder,
		 * playbook_base, or the step's workspace/state folder --
		 * symbolic links resolved -- never to /etc/shadow */
		char real_abs[PATH_MAX], why[512];

		if (pu_confine(host, step, "playbook", c->playbook, NULL, c->playbook_base,
		    real_abs, why, sizeof(why)) != 0) {
			host->log(step, INN_LOG_ERROR, "%s", why);
			goto out;
		}
		snprintf(p->playbook, sizeof(p->playbook), "%s", real_abs);
	} else {
		if (from == NULL) {
			host->log(step, INN_LOG_ERROR, "config.playbook: \"%s\" is relative "
			          "and the host names no base folder: give an absolute path "
			          "or config.playbook_base", c->playbook);
			goto out;
		}
		if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", from,
		    c->playbook) >= sizeof(joined)) {
			host->log(step, INN_LOG_ERROR, "config.playbook: path too long");
			goto out;
		}
		if ((base = realpath(from, NULL)) == NULL) {
			host->log(step, INN_LOG_ERROR, "config.playbook: %s \"%s\": %s",
			          what, from, strerror(errno));
			goto out;
		}
		if ((real = realpath(joined, NULL)) == NULL) {
			host->log(step, INN_LOG_ERROR, "config.playbook: \"%s\": %s", joined,
			          strerror(errno));
			goto out;
		}
		blen = strlen(base);
		if (strncmp(real, base, blen) != 0 ||
		    (real[blen] != '/' && !(blen == 1 && base[0] == '/'))) {
			host->log(step, INN_LOG_ERROR, "config.playbook: \"%s\" leads out "
			          "of %s %s (to %s)", c->playbook, what, base, real);
			goto out;
		}
		snprintf(p->playbook, sizeof(p->playbook), "%s", real);
	}
	if (access(p->playbook, R_OK) != 0) {
		host->log(step, INN_LOG_ERROR, "config.playbook: cannot read \"%s\": %s",
		          p->playbook, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(base);
	free(real);
	return rc;
}

/*
 * Confines a string config.inventory that names a file (IJ-9): a host list
 * ("a,b,") may hold no '/'; a path -- absolute, or relative to the step's
 * workspace where ansible-playbook runs -- must resolve inside the
 * provider folder, playbook_base or the step's workspace/state folders.  A
 * bare name that is no file there (e.g. "localhost") is passed on as it
 * is.  real receives the resolved path (PATH_MAX).  Returns 0 or
 * INN_EINVAL after logging.
 */
static int
confine_inventory(const inn_host *host, inn_step *step, struct ansible_config *c,
                  const char *ws, char *real)
{
	const char *inv = c->inventory;
	char joined[PATH_MAX], why[512];
	struct stat st;

	if (strchr(inv, ',') != NULL) {
		if (strchr(inv, '/') == NULL)
			return 0;
		host->log(step, INN_LOG_ERROR, "config.inventory: a host list (with ',') "
		          "must not contain '/'; refused");
		return INN_EINVAL;
	}
	if (inv[0] != '/' && strchr(inv, '/') == NULL &&
	    ((size_t)snprintf(joined, sizeof(joined), "%s/%s", ws, inv) >=
	    sizeof(joined) || lstat(joined, &st) != 0))
		return 0; /* a host name; ansible-playbook decides */
	if (pu_confine(host, step, "inventory", inv, ws, c->playbook_base, real, why,
	    sizeof(why)) != 0) {
		host->log(step, INN_LOG_ERROR, "%s", why);
		return INN_EINVAL;
	}
	c->inventory = real;
	return 0;
}

/* Writes config.extra_vars to p->extra_vars (0600) as !unsafe YAML. */
static int
prepare_extra_vars(const inn_host *host, inn_step *step,
                   const struct ansible_paths *p)
{
	struct sbuf b = { NULL, 0, 0, 0 };
	char *json = NULL, err[512];
	json_object *v = NULL;
	int rc;

	if ((rc = host->input_json(step, "extra_vars", &json)) != 0) {
		host->log(step, INN_LOG_ERROR, "config.extra_vars: %s",
		          host->last_error());
		goto out;
	}
	if ((v = json_tokener_parse(json)) == NULL ||
	    !json_object_is_type(v, json_type_object)) {
		host->log(step, INN_LOG_ERROR, "config.extra_vars: must be an object of "
		          "variable: value");
		rc = INN_EINVAL;
		goto out;
	}
	if ((rc = yaml_emit(&b, v, 0, "extra_vars", err, sizeof(err))) != 0) {
		host->log(step, INN_LOG_ERROR, "%s", err);
		goto out;
	}
	sb_adds(&b, "\n");
	if (b.oom) {
		host->log(step, INN_LOG_ERROR, "out of memory writing extra vars");
		rc = INN_ENOMEM;
		goto out;
	}
	rc = write_file(host, step, p->extra_vars, b.p, b.len, 0600);
out:
	if (json != NULL) {
		/* it may hold rendered secrets */
		explicit_bzero(json, strlen(json));
		host->free(json);
	}
	if (b.p != NULL)
		explicit_bzero(b.p, b.len);
	free(b.p);
	json_object_put(v);
	return rc;
}

/* Fetches the vault password secret (which registers it with the masker)
 * and writes it to p->vault (0600, not executable: ansible would run an
 * executable password file). */
static int
prepare_vault(const inn_host *host, inn_step *step,
              const struct ansible_config *c, const struct ansible_paths *p)
{
	const char *pw = NULL;

	if (host->secret(step, c->vault_secret, &pw) != 0 || pw == NULL) {
		host->log(step, INN_LOG_ERROR, "config.vault_password_secret: %s",
		          host->last_error());
		return INN_ENOTFOUND;
	}
	return write_file(host, step, p->vault, pw, strlen(pw), 0600);
}

/* ---- the run ------------------------------------------------------------ */

/* What the JSON document says, folded for the result. */
struct ansible_summary {
	int64_t ok, changed, failed, unreachable, skipped;
	char failure[4096];           /* the step message, or "" */
};

/* Copies a result's message (a string, or any value as JSON) into buf,
 * newlines as blanks, at most ANSIBLE_MSG_MAX bytes. */
static void
result_msg(json_object *r, const char *key, char *buf, size_t len)
{
	json_object *m;
	const char *s;
	size_t i;

	buf[0] = '\0';
	if (!json_object_object_get_ex(r, key, &m) || m == NULL)
		return;
	s = json_object_is_type(m, json_type_string) ? json_object_get_string(m) :
	    json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN);
	snprintf(buf, len < ANSIBLE_MSG_MAX ? len : ANSIBLE_MSG_MAX, "%s", s);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t')
			buf[i] = ' ';
}

static int
result_flag(json_object *r, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(r, key, &v) && json_object_get_boolean(v);
}

static const char *
name_of(json_object *o, const char *key)
{
	json_object *v, *n;

	if (json_object_object_get_ex(o, key, &v) &&
	    json_object_object_get_ex(v, "name", &n) &&
	    json_object_is_type(n, json_type_string))
		return json_object_get_string(n);
	return "";
}

/*
 * Logs one line per task and host ("task "x" on h: changed"), with the
 * message of failures, unreachable hosts and debug tasks, and keeps the
 * last failure that counts (not ignored) as the step message.
 */
static void
summarize_tasks(const inn_host *host, inn_step *step, json_object *doc,
                struct ansible_summary *s)
{
	json_object *plays, *tasks, *hosts, *act;
	size_t i, j, np, nt;
	char msg[2 * ANSIBLE_MSG_MAX], err[ANSIBLE_MSG_MAX];

	if (!json_object_object_get_ex(doc, "plays", &plays) ||
	    !json_object_is_type(plays, json_type_array))
		return;
	np = json_object_array_length(plays);
	for (i = 0; i < np; i++) {
		json_object *play = json_object_array_get_idx(plays, i);

		host->log(step, INN_LOG_INFO, "play \"%s\"", name_of(play, "play"));
		if (!json_object_object_get_ex(play, "tasks", &tasks) ||
		    !json_object_is_type(tasks, json_type_array))
			continue;
		nt = json_object_array_length(tasks);
		for (j = 0; j < nt; j++) {
			json_object *task = json_object_array_get_idx(tasks, j), *t;
			const char *tname = name_of(task, "task"), *action = "";

			if (json_object_object_get_ex(task, "task", &t) &&
			    json_object_object_get_ex(t, "action", &act))
				action = json_object_get_string(act);
			if (!json_object_object_get_ex(task, "hosts", &hosts) ||
			    !json_object_is_type(hosts, json_type_object))
				continue;
			json_object_object_foreach(hosts, hname, r) {
				const char *state;
				int level = INN_LOG_INFO, show = 0;

				result_msg(r, "msg", msg, sizeof(msg));
				if (result_flag(r, "unreachable")) {
					state = "unreachable";
					level = INN_LOG_WARN;
					show = 1;
					snprintf(s->failure, sizeof(s->failure), "host %s is "
					         "unreachable (task \"%s\"): %s", hname, tname, msg);
				} else if (result_flag(r, "failed")) {
					int ignored = result_flag(r, "ignored");

					state = ignored ? "failed (ignored)" : "failed";
					level = INN_LOG_WARN;
					show = 1;
					result_msg(r, "stderr", err, sizeof(err));
					if (err[0] != '\0' && strstr(msg, err) == NULL) {
						size_t ml = strlen(msg);

						snprintf(msg + ml, sizeof(msg) - ml, "%sstderr: %s",
						         ml > 0 ? "; " : "", err);
					}
					if (!ignored)
						snprintf(s->failure, sizeof(s->failure), "task \"%s\" "
						         "failed on %s: %s", tname, hname, msg);
				} else if (result_flag(r, "skipped")) {
					state = "skipped";
				} else {
					state = result_flag(r, "changed") ? "changed" : "ok";
					show = strcmp(action, "debug") == 0 ||
					    strcmp(action, "ansible.builtin.debug") == 0;
				}
				if (show && msg[0] != '\0')
					host->log(step, level, "task \"%s\" on %s: %s: %s", tname,
					          hname, state, msg);
				else
					host->log(step, level, "task \"%s\" on %s: %s", tname,
					          hname, state);
			}
		}
	}
}

static int64_t
stat_of(json_object *h, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(h, key, &v) ? json_object_get_int64(v) : 0;
}

/* Output name for a host: characters outside [A-Za-z0-9_.-] become '_'. */
static void
host_key(char *buf, size_t len, const char *hostname, const char *what)
{
	size_t i;

	snprintf(buf, len, "%s.%s", hostname, what);
	for (i = 0; buf[i] != '\0' && i < strlen(hostname); i++)
		if (!(is_name_start((unsigned char)buf[i]) || buf[i] == '-' ||
		    buf[i] == '.' || (buf[i] >= '0' && buf[i] <= '9')))
			buf[i] = '_';
}

static int
put_count(const inn_host *host, inn_step *step, const char *key, int64_t n)
{
	char v[32];
	int rc;

	snprintf(v, sizeof(v), "%" PRId64, n);
	if ((rc = host->output(step, key, v, 0)) != 0)
		host->log(step, INN_LOG_ERROR, "output \"%s\": %s", key,
		          host->last_error());
	return rc;
}

/*
 * Folds the per-host stats into totals, logs the recap and publishes the
 * outputs: ok, changed, failed, unreachable, skipped, <host>.<each> and
 * changed_any.  Returns 0 or the first output error.
 */
static int
publish_stats(const inn_host *host, inn_step *step, json_object *doc,
              struct ansible_summary *s)
{
	static const char *const what[] = { "ok", "changed", "failed",
		"unreachable", "skipped" };
	static const char *const from[] = { "ok", "changed", "failures",
		"unreachable", "skipped" };
	json_object *stats;
	char key[300];
	size_t k;
	int rc;

	if (json_object_object_get_ex(doc, "stats", &stats) &&
	    json_object_is_type(stats, json_type_object)) {
		json_object_object_foreach(stats, hname, h) {
			int64_t v[5];

			for (k = 0; k < 5; k++) {
				v[k] = stat_of(h, from[k]);
				host_key(key, sizeof(key), hname, what[k]);
				if ((rc = put_count(host, step, key, v[k])) != 0)
					return rc;
			}
			s->ok += v[0];
			s->changed += v[1];
			s->failed += v[2];
			s->unreachable += v[3];
			s->skipped += v[4];
			host->log(step, INN_LOG_INFO, "%s: ok=%" PRId64 " changed=%" PRId64
			          " failed=%" PRId64 " unreachable=%" PRId64 " skipped=%"
			          PRId64, hname, v[0], v[1], v[2], v[3], v[4]);
		}
	}
	if ((rc = put_count(host, step, "ok", s->ok)) != 0 ||
	    (rc = put_count(host, step, "changed", s->changed)) != 0 ||
	    (rc = put_count(host, step, "failed", s->failed)) != 0 ||
	    (rc = put_count(host, step, "unreachable", s->unreachable)) != 0 ||
	    (rc = put_count(host, step, "skipped", s->skipped)) != 0)
		return rc;
	if ((rc = host->output(step, "changed_any", s->changed > 0 ? "true" :
	    "false", 0)) != 0)
		host->log(step, INN_LOG_ERROR, "output \"changed_any\": %s",
		          host->last_error());
	return rc;
}

/* Finds the first "ERROR! ..." in ansible's log file (what stopped it
 * before any task ran) and copies that line's message into buf. */
static int
log_error_line(const char *path, char *buf, size_t len)
{
	char *data = NULL, *e, *nl;
	ssize_t n;
	size_t got = 0;
	int fd, found = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return 0;
	if ((data = malloc(ANSIBLE_LOG_READ_MAX + 1)) == NULL)
		goto out;
	while (got < ANSIBLE_LOG_READ_MAX) {
		n = read(fd, data + got, ANSIBLE_LOG_READ_MAX - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	data[got] = '\0';
	if ((e = strstr(data, "ERROR! ")) != NULL) {
		if ((nl = strchr(e, '\n')) != NULL)
			*nl = '\0';
		snprintf(buf, len, "%s", e);
		found = 1;
	}
out:
	free(data);
	close(fd);
	return found;
}


/* Cancellation, deadlines and signals: returns 0 if the program ended on
 * its own, else the step's error after logging why. */
static int
judge_end(const inn_host *host, inn_step *step, const struct ansible_config *c,
          const inn_spawn_result *res, int64_t started)
{
	char dur[64];
	int64_t dl;

	if (res->cancelled) {
		host->log(step, INN_LOG_WARN, "cancelled");
		return INN_ECANCELLED;
	}
	if (res->timed_out) {
		dl = host->deadline_ms(step);
		if (c->timeout_ms > 0 && (dl == 0 || started + c->timeout_ms <= dl)) {
			pu_format_duration(dur, sizeof(dur), c->timeout_ms);
			host->log(step, INN_LOG_ERROR, "ansible-playbook timed out after %s",
			          dur);
		} else {
			host->log(step, INN_LOG_ERROR, "ansible-playbook timed out: the "
			          "step's deadline passed");
		}
		return INN_ETIMEOUT;
	}
	if (res->term_signal != 0) {
		const char *abbr = sigabbrev_np(res->term_signal);

		host->log(step, INN_LOG_ERROR, "ansible-playbook was killed by signal %d "
		          "(SIG%s)", res->term_signal, abbr ? abbr : "?");
		return INN_ERROR;
	}
	return 0;
}

/* The JSON document in the captured stdout: the last line that starts
 * with '{' (anything a plugin printed before it is skipped). */
static json_object *
parse_document(const char *out, size_t len)
{
	const char *p = NULL, *q;
	json_tokener *tok;
	json_object *doc;

	if (out == NULL || len == 0)
		return NULL;
	if (out[0] == '{')
		p = out;
	for (q = out; (q = memchr(q, '\n', len - (size_t)(q - out))) != NULL; q++)
		if ((size_t)(q + 1 - out) < len && q[1] == '{')
			p = q + 1;
	if (p == NULL || (tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH)) ==
	    NULL)
		return NULL;
	doc = json_tokener_parse_ex(tok, p, (int)(len - (size_t)(p - out)));
	json_tokener_free(tok);
	if (doc != NULL && !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		return NULL;
	}
	return doc;
}

/*
 * Turns the finished run into the step result: the per-task summary, the
 * outputs, and -- if a task failed, a host was unreachable or the program
 * failed -- an error whose message (the last ERROR log line, which the
 * engine makes the step message) names the task, host and reason.
 */
static int
judge_run(const inn_host *host, inn_step *step, const struct ansible_paths *p,
          const inn_spawn_result *res)
{
	struct ansible_summary s;
	json_object *doc = NULL;
	char why[1024];
	int rc;

	memset(&s, 0, sizeof(s));
	if (res->truncated) {
		host->log(step, INN_LOG_ERROR, "ansible-playbook printed more than %u "
		          "bytes on stdout; its result cannot be read",
		          ANSIBLE_CAPTURE_MAX);
		return INN_ETOOBIG;
	}
	doc = parse_document(res->captured, res->captured_len);
	if (doc == NULL) {
		if (log_error_line(p->log, why, sizeof(why)))
			host->log(step, INN_LOG_ERROR, "ansible-playbook: %s", why);
		else
			host->log(step, INN_LOG_ERROR, "ansible-playbook exited with status "
			          "%d without a result (see its messages above)",
			          res->exit_code);
		return INN_ERROR;
	}
	summarize_tasks(host, step, doc, &s);
	if ((rc = publish_stats(host, step, doc, &s)) != 0)
		goto out;
	if (s.failure[0] != '\0' && (s.failed > 0 || s.unreachable > 0 ||
	    res->exit_code != 0)) {
		host->log(step, INN_LOG_ERROR, "%s", s.failure);
		rc = INN_ERROR;
	} else if (res->exit_code != 0 || s.failed > 0 || s.unreachable > 0) {
		if (log_error_line(p->log, why, sizeof(why)))
			host->log(step, INN_LOG_ERROR, "ansible-playbook: %s", why);
		else
			host->log(step, INN_LOG_ERROR, "ansible-playbook exited with status "
			          "%d (failed=%" PRId64 " unreachable=%" PRId64 ")",
			          res->exit_code, s.failed, s.unreachable);
		rc = INN_ERROR;
	}
out:
	json_object_put(doc);
	return rc;
}

/* Everything ansible-playbook is told through its environment; ours come
 * after config.env so it cannot redirect them. */
static int
build_env(const struct ansible_config *c, const struct ansible_paths *p,
          char ***out)
{
	char **env, cbpath[ANSIBLE_PATH_MAX + 128];
	size_t n = 0, i;

	if ((env = calloc(c->nenv + 16, sizeof(*env))) == NULL)
		return INN_ENOMEM;
	*out = env;
	for (i = 0; i < c->nenv; i++)
		if ((env[n++] = strdup(c->env[i])) == NULL)
			return INN_ENOMEM;
	snprintf(cbpath, sizeof(cbpath), "%s:~/.ansible/plugins/callback:"
	         "/usr/share/ansible/plugins/callback", p->callbacks);
	if (pu_env_add(env, &n, "ANSIBLE_STDOUT_CALLBACK", ANSIBLE_CALLBACK_NAME) ||
	    pu_env_add(env, &n, "ANSIBLE_CALLBACK_PLUGINS", cbpath) ||
	    pu_env_add(env, &n, "ANSIBLE_NOCOLOR", "1") ||
	    pu_env_add(env, &n, "ANSIBLE_FORCE_COLOR", "0") ||
	    pu_env_add(env, &n, "ANSIBLE_HOST_KEY_CHECKING", "False") ||
	    pu_env_add(env, &n, "ANSIBLE_RETRY_FILES_ENABLED", "False") ||
	    pu_env_add(env, &n, "ANSIBLE_LOCAL_TEMP", p->tmp_local) ||
	    pu_env_add(env, &n, "ANSIBLE_REMOTE_TEMP", p->tmp_remote) ||
	    pu_env_add(env, &n, "ANSIBLE_LOG_PATH", p->log) ||
	    pu_env_add(env, &n, "PYTHONUNBUFFERED", "1"))
		return INN_ENOMEM;
	return 0;
}

/* Adds "--opt=value" (malloc'd, kept in owned) to argv. */
static int
arg_opt(const char **argv, size_t *n, char **owned, size_t *nowned,
        const char *opt, const char *value)
{
	size_t len;
	char *s;

	if (value == NULL)
		return INN_ENOMEM;
	len = strlen(opt) + strlen(value) + 2;
	if ((s = malloc(len)) == NULL)
		return INN_ENOMEM;
	snprintf(s, len, "%s=%s", opt, value);
	owned[(*nowned)++] = s;
	argv[(*n)++] = s;
	return 0;
}

/*
 * The command line.  Values go in "--opt=value" form so none can pass for
 * an option; extra vars and the vault password only ever as file names.
 */
static int
build_argv(const struct ansible_config *c, const struct ansible_paths *p,
           int check, const char **argv, char **owned, size_t *nowned)
{
	size_t n = 0;
	char *s;
	int rc;

	argv[n++] = ANSIBLE_PROGRAM;
	if (c->inventory_list != NULL) {
		s = join(c->inventory_list, ",", ",");
		rc = arg_opt(argv, &n, owned, nowned, "--inventory", s);
		free(s);
	} else if (c->inventory != NULL) {
		rc = arg_opt(argv, &n, owned, nowned, "--inventory", c->inventory);
	} else {
		argv[n++] = "--inventory=localhost,";
		argv[n++] = "--connection=local";
		rc = 0;
	}
	if (rc != 0)
		return rc;
	if (c->has_extra_vars) {
		size_t len = strlen(p->extra_vars) + 2;

		if ((s = malloc(len)) == NULL)
			return INN_ENOMEM;
		snprintf(s, len, "@%s", p->extra_vars);
		owned[(*nowned)++] = s;
		argv[n++] = "--extra-vars";
		argv[n++] = s;
	}
	if (c->tags != NULL && c->tags[0] != NULL) {
		s = join(c->tags, ",", "");
		rc = arg_opt(argv, &n, owned, nowned, "--tags", s);
		free(s);
		if (rc != 0)
			return rc;
	}
	if (c->skip_tags != NULL && c->skip_tags[0] != NULL) {
		s = join(c->skip_tags, ",", "");
		rc = arg_opt(argv, &n, owned, nowned, "--skip-tags", s);
		free(s);
		if (rc != 0)
			return rc;
	}
	if (c->limit != NULL &&
	    (rc = arg_opt(argv, &n, owned, nowned, "--limit", c->limit)) != 0)
		return rc;
	if (c->vault_secret != NULL &&
	    (rc = arg_opt(argv, &n, owned, nowned, "--vault-password-file",
	    p->vault)) != 0)
		return rc;
	if (check)
		argv[n++] = "--check";
	if (c->diff)
		argv[n++] = "--diff";
	if (c->become)
		argv[n++] = "--become";
	argv[n++] = "--";
	argv[n++] = p->playbook;
	argv[n] = NULL;
	return 0;
}

static int
ansible_init(const inn_host *host, void **state)
{
	char pathbuf[ANSIBLE_PATH_MAX];

	*state = NULL;
	if (pu_find_program(ANSIBLE_PROGRAM, pathbuf, sizeof(pathbuf)) != 0)
		host->log(NULL, INN_LOG_WARN, "ansible: " ANSIBLE_MISSING " (workflows "
		          "still validate; ansible steps fail until it is installed)");
	return INN_OK;
}

static int
ansible_validate(void *state, const inn_host *host, const inn_step *step,
                 char *err, size_t errlen)
{
	struct ansible_config c;
	int rc;

	(void)state;
	if ((rc = config_read(host, step, 0, &c, err, errlen)) != 0)
		return rc;
	config_free(&c);
	return INN_OK;
}

/*
 * Runs the step: reads the (rendered) config, prepares the workspace files
 * (callback, playbook, extra vars, vault password), runs ansible-playbook
 * with stdout captured and judges the JSON result.  A dry-run adds --check.
 * Returns INN_OK, INN_ERROR (a task failed, a host was unreachable, the
 * program failed), INN_ETIMEOUT, INN_ECANCELLED, INN_ESPAWN (not
 * installed) or INN_EINVAL (config), always after logging why.  The vault
 * password and extra-vars files are removed whatever happens.
 */
static int
ansible_execute(void *state, const inn_host *host, inn_step *step)
{
	struct ansible_config c;
	struct ansible_paths p;
	inn_spawn_opts opts;
	inn_spawn_result res;
	const char *argv[32];
	char *owned[16], **env = NULL, err[512], cbfile[ANSIBLE_PATH_MAX];
	char inv_real[PATH_MAX];
	const char *ws = host->workspace(step);
	size_t nowned = 0, i;
	int64_t started;
	int rc, check, have_files = 0;

	(void)state;
	memset(&res, 0, sizeof(res));
	res.struct_size = sizeof(res);
	if ((rc = config_read(host, step, 1, &c, err, sizeof(err))) != 0) {
		host->log(step, INN_LOG_ERROR, "%s", err);
		return rc;
	}
	if (paths_init(&p, ws) != 0) {
		host->log(step, INN_LOG_ERROR, "workspace path too long: %s", ws);
		rc = INN_ERROR;
		goto out;
	}
	check = c.check || host->dry_run(step);
	if ((rc = make_dir(host, step, p.dir)) != 0 ||
	    (rc = make_dir(host, step, p.callbacks)) != 0)
		goto out;
	if (path_join(cbfile, p.callbacks, ANSIBLE_CALLBACK_NAME ".py") != 0) {
		host->log(step, INN_LOG_ERROR, "workspace path too long: %s", ws);
		rc = INN_ERROR;
		goto out;
	}
	unlink(p.log);
	have_files = 1;
	if ((rc = write_file(host, step, cbfile, ansible_callback_py,
	    sizeof(ansible_callback_py) - 1, 0600)) != 0 ||
	    (rc = prepare_playbook(host, step, &c, &p, ws)) != 0 ||
	    (c.inventory != NULL &&
	     (rc = confine_inventory(host, step, &c, ws, inv_real)) != 0))
		goto out;
	if (c.has_extra_vars && (rc = prepare_extra_vars(host, step, &p)) != 0)
		goto out;
	if (c.vault_secret != NULL && (rc = prepare_vault(host, step, &c, &p)) != 0)
		goto out;

	if ((rc = build_env(&c, &p, &env)) != 0 ||
	    (rc = build_argv(&c, &p, check, argv, owned, &nowned)) != 0) {
		host->log(step, INN_LOG_ERROR, "out of memory");
		goto out;
	}
	if (host->dry_run(step))
		host->log(step, INN_LOG_INFO, "dry-run: ansible-playbook runs with "
		          "--check and changes nothing");

	memset(&opts, 0, sizeof(opts));
	opts.struct_size = sizeof(opts);
	opts.flags = INN_SPAWN_CAPTURE_STDOUT;
	opts.argv = argv;
	opts.env = (const char *const *)env;
	opts.timeout_ms = c.timeout_ms;
	opts.capture_max = ANSIBLE_CAPTURE_MAX;
	started = pu_monotonic_ms();
	if ((rc = host->spawn(step, &opts, &res)) != 0) {
		if (rc == INN_ESPAWN)
			host->log(step, INN_LOG_ERROR, ANSIBLE_MISSING " (%s)",
			          host->last_error());
		else
			host->log(step, INN_LOG_ERROR, "%s", host->last_error());
		goto out;
	}
	if ((rc = judge_end(host, step, &c, &res, started)) != 0)
		goto out;
	rc = judge_run(host, step, &p, &res);
out:
	if (have_files) {
		unlink(p.vault);
		unlink(p.extra_vars);
	}
	if (res.captured != NULL)
		host->free(res.captured);
	for (i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
	for (i = 0; i < nowned; i++)
		free(owned[i]);
	config_free(&c);
	return rc;
}

static const char *const ansible_step_types[] = { "ansible", NULL };

static const char ansible_config_schema[] =
	"{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
	"\"type\":\"object\",\"additionalProperties\":false,"
	"\"oneOf\":[{\"required\":[\"playbook\"]},"
	"{\"required\":[\"playbook_content\"]}],"
	"\"properties\":{"
	"\"playbook\":{\"type\":\"string\",\"description\":\"relative to "
	"playbook_base, else to the provider folder (no ..); an absolute path must "
	"lie in one of them or in the step's workspace\"},"
	"\"playbook_base\":{\"type\":\"string\",\"description\":\"absolute "
	"directory relative playbook paths resolve in (written out, no "
	"template)\"},"
	"\"playbook_content\":{\"type\":\"string\",\"description\":\"the playbook "
	"itself, written to the workspace\"},"
	"\"inventory\":{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"array\","
	"\"minItems\":1,\"items\":{\"type\":\"string\",\"pattern\":\"^[^,]+$\"}}],"
	"\"default\":\"localhost,\",\"description\":\"hosts (\\\"a,b,\\\") or an "
	"inventory path (inside the provider folder, playbook_base or the step's "
	"workspace), or a list of hosts; default localhost with a local "
	"connection\"},"
	"\"extra_vars\":{\"type\":\"object\",\"propertyNames\":{\"pattern\":"
	"\"^[A-Za-z_][A-Za-z0-9_]*$\"},\"description\":\"passed as a file; "
	"strings are never templated by ansible (!unsafe)\"},"
	"\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
	"\"pattern\":\"^[^,]+$\"}},"
	"\"skip_tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
	"\"pattern\":\"^[^,]+$\"}},"
	"\"check\":{\"type\":\"boolean\",\"default\":false},"
	"\"diff\":{\"type\":\"boolean\",\"default\":false},"
	"\"become\":{\"type\":\"boolean\",\"default\":false},"
	"\"vault_password_secret\":{\"type\":\"string\",\"description\":\"name of "
	"the secret holding the vault password\"},"
	"\"limit\":{\"type\":\"string\"},"
	"\"env\":{\"type\":\"object\","
	"\"propertyNames\":{\"pattern\":\"^[A-Za-z_][A-Za-z0-9_]*$\"},"
	"\"additionalProperties\":{\"type\":[\"string\",\"number\",\"boolean\"]}},"
	"\"timeout\":{\"type\":[\"string\",\"number\"]}"
	"}}";

static const char ansible_outputs_schema[] =
	"{\"type\":\"object\",\"properties\":{"
	"\"ok\":{\"type\":\"string\"},\"changed\":{\"type\":\"string\"},"
	"\"failed\":{\"type\":\"string\"},\"unreachable\":{\"type\":\"string\"},"
	"\"skipped\":{\"type\":\"string\"},"
	"\"changed_any\":{\"enum\":[\"true\",\"false\"]}},"
	"\"additionalProperties\":{\"type\":\"string\",\"description\":"
	"\"<host>.ok, <host>.changed, <host>.failed, <host>.unreachable, "
	"<host>.skipped\"}}";

static const inn_plugin_descriptor ansible_descriptor = {
	INN_PLUGIN_MAGIC,
	INN_PLUGIN_ABI_MAJOR,
	INN_PLUGIN_ABI_MINOR,
	sizeof(inn_plugin_descriptor),
	INN_PLUGIN_DRY_RUN | INN_PLUGIN_CANCELLABLE,
	"ansible",
	ANSIBLE_VERSION,
	ansible_step_types,
	ansible_config_schema,
	ansible_outputs_schema,
	ansible_init,
	ansible_validate,
	ansible_execute,
	NULL,
};

INN_PLUGIN_EXPORT const inn_plugin_descriptor *
inn_plugin_describe_v1(void)
{
	return &ansible_descriptor;
}
