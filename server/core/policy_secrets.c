/*
 * policy_secrets.c - the admin config's secrets: (names and where their
 * values are), stepDefaults: (config merged under every step of a
 * type) and stepPolicies: (config merged over it, which no step may set), read with the rest of admin-config.yaml (policy.h), and the
 * secret values read from their files and the environment.
 */
#include "policy_int.h"

#include <ctype.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "secret_file.h"

/* The largest secret value a file may hold. */
#define SECRET_VALUE_MAX (64 * 1024)
#define SECRET_NAME_MAX 128

/* "file:line:col: what why" at node n. */
static int
at_error(const inn_policy *p, const inn_ynode *n, const char *what, const char *why)
{
	return inn_error_set(INN_EINVAL, "%s:%d:%d: %s%s", p->file, n->line, n->col, what, why);
}

int
inn_policy_secret_name_ok(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '.' &&
		    name[i] != '-')
			return 0;
	return i > 0 && i <= SECRET_NAME_MAX;
}

/* An environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
static int
env_name_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!(isalpha((unsigned char)s[i]) || s[i] == '_' ||
		      (i > 0 && isdigit((unsigned char)s[i]))))
			return 0;
	return i > 0 && i < 256;
}

/* A file entry's path, absolute: a relative one against the config's folder. */
static char *
resolve_file(const inn_policy *p, const char *file)
{
	char dir[PATH_MAX], real[PATH_MAX], buf[PATH_MAX * 2];
	const char *d;

	if (file[0] == '/' || p->file == NULL)
		return strdup(file);
	snprintf(dir, sizeof(dir), "%s", p->file);
	d = dirname(dir);
	if (realpath(d, real) != NULL)
		d = real;
	if ((size_t)snprintf(buf, sizeof(buf), "%s/%s", d, file) >= sizeof(buf))
		return NULL;
	return strdup(buf);
}

/* One entry NAME: {file: PATH} or {env: VAR} into s. */
static int
read_entry(const inn_policy *p, const inn_ynode *key, const inn_ynode *val,
           inn_secret_spec *s)
{
	static const char *const rule = ": write {file: PATH} or {env: VARIABLE} (a secret's "
	                                "value is never written in the config)";
	const inn_ynode *f, *e;
	char what[300];

	snprintf(what, sizeof(what), "secrets.%s", key->value);
	if (!inn_policy_secret_name_ok(key->value))
		return at_error(p, key, what, ": a secret name is letters, digits, '_', '.' "
		                "and '-' (at most 128)");
	if (val->kind != INN_Y_MAP)
		return at_error(p, val, what, rule);
	f = inn_ymap_get(val, "file");
	e = inn_ymap_get(val, "env");
	if ((f == NULL) == (e == NULL) || INN_YMAP_LEN(val) != 1)
		return at_error(p, val, what, rule);
	if (f != NULL && (!inn_ynode_is_scalar(f) || f->len == 0 || strlen(f->value) != f->len))
		return at_error(p, f, what, ".file: must be a file's path");
	if (e != NULL && (!inn_ynode_is_scalar(e) || !env_name_ok(e->value)))
		return at_error(p, e, what, ".env: must be an environment variable's name "
		                "([A-Za-z_][A-Za-z0-9_]*)");
	s->line = key->line;
	s->col = key->col;
	if ((s->name = strdup(key->value)) == NULL ||
	    (f != NULL && (s->file = resolve_file(p, f->value)) == NULL) ||
	    (e != NULL && (s->env = strdup(e->value)) == NULL))
		return inn_error_set(INN_ENOMEM, "out of memory");
	return 0;
}

/* The mapping under key of the admin config into *out: NULL when the key
 * is absent or written empty (`key:`, `key: null`); anything but a
 * mapping is an error ending in rule. */
static int
section(const inn_policy *p, const char *key, const char *rule, const inn_ynode **out)
{
	const inn_ynode *map = inn_ymap_get(p->doc->root, key);

	*out = NULL;
	if (map == NULL || (map->kind == INN_Y_SCALAR && map->plain &&
	                    (map->len == 0 || strcmp(map->value, "null") == 0)))
		return 0;
	if (map->kind != INN_Y_MAP)
		return at_error(p, map, key, rule);
	*out = map;
	return 0;
}

/* The problem just set (inn_error_last()) as one more line of pb; rc
 * INN_ENOMEM is passed on instead. */
static int
note(inn_buf *pb, int rc)
{
	if (rc == INN_ENOMEM)
		return rc;
	if (inn_buf_addf(pb, "%s\n", inn_error_last()) == INN_ENOMEM)
		return inn_error_set(INN_ENOMEM, "out of memory");
	return 0;   /* past the buffer's bound: the lines so far are told */
}

static void
entry_free(inn_secret_spec *s)
{
	free(s->name);
	free(s->file);
	free(s->env);
	memset(s, 0, sizeof(*s));
}

int
inn_policy_read_secrets(inn_policy *p, inn_buf *pb)
{
	const inn_ynode *map;
	size_t i;
	int rc;

	if ((rc = section(p, "secrets", ": must be a mapping of names to {file: PATH} or "
	                  "{env: VARIABLE}", &map)) != 0 || map == NULL)
		return rc != 0 ? note(pb, rc) : 0;
	if (INN_YMAP_LEN(map) > 0 &&
	    (p->secrets = calloc(INN_YMAP_LEN(map), sizeof(*p->secrets))) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	/* every entry is checked: each problem is one line of pb, and only
	 * good entries are kept */
	for (i = 0; i < INN_YMAP_LEN(map); i++) {
		const inn_ynode *k = INN_YMAP_KEY(map, i);
		inn_secret_spec *s = &p->secrets[p->nsecrets];

		if (!inn_ynode_is_scalar(k))
			rc = at_error(p, k, "secrets", ": a key must be a secret's name");
		else
			rc = read_entry(p, k, INN_YMAP_VAL(map, i), s);
		if (rc == 0) {
			p->nsecrets++;
			continue;
		}
		entry_free(s);
		if ((rc = note(pb, rc)) != 0)
			return rc;
	}
	return 0;
}

/* A step type name in stepDefaults: a letter, then letters, digits, '-', '_', '.'. */
static int
type_name_ok(const char *s)
{
	size_t i;

	if (!isalpha((unsigned char)s[0]))
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return 0;
	return i < 128;
}

/* A section of step type -> {key: value} (stepDefaults:, stepPolicies:)
 * into *out; each problem (at file:line:col) is a line of pb. */
static int
read_step_map(inn_policy *p, const char *section_key, json_object **out, inn_buf *pb)
{
	static const char *const rule = ": must be a mapping of step types to mappings of "
	                                "config keys ({kubernetes: {kubeconfig: ...}})";
	const inn_ynode *map;
	size_t i;
	int rc;

	if ((rc = section(p, section_key, rule, &map)) != 0 || map == NULL)
		return rc != 0 ? note(pb, rc) : 0;
	if ((*out = json_object_new_object()) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	for (i = 0; i < INN_YMAP_LEN(map); i++) {
		const inn_ynode *k = INN_YMAP_KEY(map, i), *v = INN_YMAP_VAL(map, i);
		char what[200];
		json_object *j = NULL;

		if (!inn_ynode_is_scalar(k) || !type_name_ok(k->value)) {
			rc = at_error(p, k, section_key, ": a key must be a step type's name");
		} else {
			snprintf(what, sizeof(what), "%s.%s", section_key, k->value);
			if (v->kind != INN_Y_MAP)
				rc = at_error(p, v, what, ": must be a mapping of config keys");
			else if ((j = inn_ynode_to_json(v)) == NULL)
				rc = inn_error_set(INN_EINVAL, "%s:%d:%d: %s: %s", p->file, v->line,
				                   v->col, what, inn_error_last());
			else
				rc = json_object_object_add(*out, k->value, j) != 0 ?
				     inn_error_set(INN_ENOMEM, "out of memory") : 0;
		}
		if (rc != 0 && (rc = note(pb, rc)) != 0)
			return rc;
	}
	return 0;
}

int
inn_policy_read_step_defaults(inn_policy *p, inn_buf *pb)
{
	int rc;

	if ((rc = read_step_map(p, "stepDefaults", &p->step_defaults, pb)) != 0)
		return rc;
	return read_step_map(p, "stepPolicies", &p->step_policies, pb);
}

int
inn_policy_problems(const inn_policy *p, inn_buf *pb, int *count)
{
	json_object *val = NULL, *bad = NULL;
	size_t i;
	int rc = 0;

	*count = 0;
	if (pb->len == 0)
		return 0;
	/* the good secrets that cannot be read either: the whole list at once */
	if (inn_policy_secrets_read(p, 0, &val, &bad) != 0)
		return INN_ENOMEM;
	json_object_object_foreach(bad, k, v) {
		(void)k;
		if (inn_buf_addf(pb, "%s\n", json_object_get_string(v)) == INN_ENOMEM)
			rc = inn_error_set(INN_ENOMEM, "out of memory");
	}
	json_object_put(val);
	json_object_put(bad);
	for (i = 0; i < pb->len; i++)
		*count += pb->p[i] == '\n';
	return rc;
}

void
inn_policy_secrets_free(inn_policy *p)
{
	size_t i;

	for (i = 0; i < p->nsecrets; i++)
		entry_free(&p->secrets[i]);
	free(p->secrets);
	json_object_put(p->step_defaults);
	json_object_put(p->step_policies);
}

/* The value of an env entry: this process's variable, or the value an
 * earlier entry read from the same variable (it is gone from the
 * environment then). */
static const char *
env_value(const inn_policy *p, size_t i, json_object *values)
{
	const char *v = getenv(p->secrets[i].env);
	json_object *o;
	size_t j;

	if (v != NULL && *v != '\0')
		return v;
	for (j = 0; j < i; j++)
		if (p->secrets[j].env != NULL && strcmp(p->secrets[j].env, p->secrets[i].env) == 0 &&
		    json_object_object_get_ex(values, p->secrets[j].name, &o))
			return json_object_get_string(o);
	return NULL;
}

int
inn_policy_secrets_read(const inn_policy *p, int hide, json_object **values,
                        json_object **unavailable)
{
	json_object *val = json_object_new_object(), *bad = json_object_new_object();
	size_t i;

	*values = *unavailable = NULL;
	if (val == NULL || bad == NULL)
		goto nomem;
	for (i = 0; i < p->nsecrets; i++) {
		const inn_secret_spec *s = &p->secrets[i];
		char why[1024 + PATH_MAX], *text = NULL;
		const char *v;
		json_object *o;

		if (s->env != NULL && (v = env_value(p, i, val)) != NULL) {
			o = json_object_new_string(v);
			if (hide && getenv(s->env) != NULL) {
				/* wiped where it is, too: /proc/<pid>/environ shows the first block */
				char *e = getenv(s->env);

				memset(e, 0, strlen(e));
				unsetenv(s->env);
			}
			if (o == NULL || json_object_object_add(val, s->name, o) != 0)
				goto nomem;
			continue;
		}
		if (s->env != NULL) {
			snprintf(why, sizeof(why), "%s:%d:%d: secrets.%s: $%s is not set (or empty) in "
			         "the environment", p->file, s->line, s->col, s->name, s->env);
		} else if (inn_secret_file_read(s->file, SECRET_VALUE_MAX, &text, NULL) != 0) {
			snprintf(why, sizeof(why), "%s:%d:%d: secrets.%s: file %s: %s", p->file,
			         s->line, s->col, s->name, s->file, inn_error_last());
		} else {
			o = json_object_new_string(text);
			/* no copy of the value left behind in freed memory */
			memset(text, 0, strlen(text));
			free(text);
			if (o == NULL || json_object_object_add(val, s->name, o) != 0)
				goto nomem;
			continue;
		}
		if ((o = json_object_new_string(why)) == NULL ||
		    json_object_object_add(bad, s->name, o) != 0)
			goto nomem;
	}
	*values = val;
	*unavailable = bad;
	return 0;
nomem:
	json_object_put(val);
	json_object_put(bad);
	return inn_error_set(INN_ENOMEM, "out of memory");
}

/* The mapping of plugin_type in map (borrowed), or NULL. */
static json_object *
type_map(json_object *map, const char *plugin_type)
{
	json_object *d;

	if (map == NULL || plugin_type == NULL || !json_object_object_get_ex(map, plugin_type, &d))
		return NULL;
	return d;
}

static json_object *
copy_of(json_object *d)
{
	json_object *copy = NULL;

	if (d == NULL || json_object_deep_copy(d, &copy, NULL) != 0)
		return NULL;
	return copy;
}

json_object *
inn_policy_step_defaults(const inn_policy *p, const char *plugin_type)
{
	return p == NULL ? NULL : type_map(p->step_defaults, plugin_type);
}

json_object *
inn_policy_step_defaults_copy(const inn_policy *p, const char *plugin_type)
{
	return copy_of(inn_policy_step_defaults(p, plugin_type));
}

json_object *
inn_policy_step_policies(const inn_policy *p, const char *plugin_type)
{
	return p == NULL ? NULL : type_map(p->step_policies, plugin_type);
}

json_object *
inn_policy_step_policies_copy(const inn_policy *p, const char *plugin_type)
{
	return copy_of(inn_policy_step_policies(p, plugin_type));
}

/* Each key of from into *config (a copy): over its own keys when over is
 * set, else only where config lacks the key. */
static int
merge(json_object **config, json_object *from, int over)
{
	json_object *copy;

	if (from == NULL)
		return 0;
	if (*config == NULL && (*config = json_object_new_object()) == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	if (!json_object_is_type(*config, json_type_object))
		return 0;   /* the loader reports a config that is not a mapping */
	json_object_object_foreach(from, k, v) {
		if (!over && json_object_object_get_ex(*config, k, NULL))
			continue;
		copy = NULL;
		if ((v != NULL && json_object_deep_copy(v, &copy, NULL) != 0) ||
		    json_object_object_add(*config, k, copy) != 0)
			return inn_error_set(INN_ENOMEM, "out of memory");
	}
	return 0;
}

int
inn_policy_merge_defaults(json_object **config, json_object *defaults)
{
	return merge(config, defaults, 0);
}

int
inn_policy_merge_policies(json_object **config, json_object *policies)
{
	return merge(config, policies, 1);
}
