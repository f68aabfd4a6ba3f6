/*
 * load_param.c - the one set of rules for workflow parameters: reading a
 * declaration (name, type, required, default, allowed values, pattern),
 * checking a value against it, and resolving the values a run is given
 * (CLI text coerced to the type, defaults, required ones, size limits).
 * The loaders use the first two for defaults; the executor, the server
 * (checking a request before it is accepted) and the CLI use the third.
 */
#include "model.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "duration.h"
#include "error.h"
#include "load_int.h"
#include "pattern.h"
#include "tmpl.h"

static const char *const param_keys[] = {
	"name", "type", "required", "default", "description", "allowed_values", "enum",
	"pattern", "min", "max", NULL
};

/* --- parameters ---------------------------------------------------------- */

/* The parameter types: each written name, the type it means (other
 * spellings: int, bool and float of the original's golden paths; list, the
 * README's word for array) and how a message names a value of it. */
static const struct param_type {
	const char *written, *type, *noun;
} param_types[] = {
	{ "string", "string", "a string" },
	{ "", "string", "a string" }, /* the original: an empty type is a string */
	{ "number", "number", "a number" },
	{ "float", "number", "a number" },
	{ "integer", "integer", "an integer" },
	{ "int", "integer", "an integer" },
	{ "boolean", "boolean", "a boolean" },
	{ "bool", "boolean", "a boolean" },
	{ "map", "map", "a mapping" },
	{ "object", "object", "a mapping" },
	{ "array", "array", "a list" },
	{ "list", "array", "a list" },
	{ "enum", "enum", "a scalar" },
	{ "duration", "duration", "a duration" },
	{ "secret", "secret", "a string" },
};

/* The entry of a written type name, or NULL. */
static const struct param_type *
param_type(const char *written)
{
	size_t i;

	for (i = 0; i < sizeof(param_types) / sizeof(param_types[0]); i++)
		if (strcmp(param_types[i].written, written) == 0)
			return &param_types[i];
	return NULL;
}

static const char *
type_noun(const char *type)
{
	const struct param_type *t = param_type(type);

	return t != NULL ? t->noun : "a string";
}

/* Short text of a value for messages: JSON (strings quoted), cut to 80
 * bytes with "..." -- a message never echoes a whole 100 KB value. */
static void
value_text(json_object *v, char *buf, size_t len)
{
	const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	                                                      JSON_C_TO_STRING_NOSLASHESCAPE);

	if (v == NULL)
		s = "null";
	if (strlen(s) > 80)
		snprintf(buf, len, "%.77s...", s);
	else
		snprintf(buf, len, "%s", s);
}

static int
is_scalar_json(json_object *v)
{
	json_type t = json_object_get_type(v);

	return t == json_type_string || t == json_type_int || t == json_type_double ||
	       t == json_type_boolean;
}

/* The words the original's golden paths took for a boolean, in any case:
 * 1 (true, yes, on, 1), 0 (false, no, off, 0), or -1. */
static int
bool_word(const char *s)
{
	static const char *const words[] = { "false", "no", "off", "0", "true", "yes", "on", "1" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return i >= 4;
	return -1;
}

/* Non-zero for a value written as a whole number, whatever its size
 * ("99999999999999999999", 1e23): what an integer parameter refuses as out
 * of range rather than as not a number. */
static int
whole_number(json_object *v)
{
	const char *s;
	size_t i;

	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);

		/* from 2^53 on every double is whole; below, the cast is defined */
		return isfinite(d) && (d >= 9007199254740992.0 || d <= -9007199254740992.0 ||
		                       d == (double)(long long)d);
	}
	if (!json_object_is_type(v, json_type_string))
		return 0;
	s = json_object_get_string(v);
	i = s[0] == '-' || s[0] == '+';
	if (s[i] == '\0')
		return 0;
	for (; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Text of a number: no space around it (strtoll and strtod would skip
 * leading space), then the whole text read. */
static int
number_text(const char *s)
{
	return s != NULL && *s != '\0' && !isspace((unsigned char)s[0]);
}

/* The one conversion of a value to p's type, whatever brought it: the text
 * of a --param, an API request's JSON, a YAML default.  Text is read as the
 * type's text (a number, a boolean word, a duration, JSON for a map or a
 * list); a JSON number is a duration in seconds, 0 and 1 are booleans; a
 * scalar is a string's text.  txt names the value in the message.
 * *out: a new reference.  0, or -1 with why. */
static int
param_coerce(const inn_param *p, json_object *v, const char *txt, json_object **out,
             char *why, size_t len)
{
	const char *t = p->type != NULL ? p->type : "string";
	json_type jt = json_object_get_type(v);
	const char *s = jt == json_type_string ? json_object_get_string(v) : NULL;
	char *end;

	*out = NULL;
	if (v == NULL)
		return 0;
	if (strcmp(t, "integer") == 0) {
		long long ll;

		if (jt == json_type_int) {
			*out = json_object_get(v);
		} else if (jt == json_type_double) {
			double d = json_object_get_double(v);

			/* range first: converting a double outside long long is UB */
			if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 &&
			    d == (double)(long long)d)
				*out = json_object_new_int64((long long)d);
		} else if (number_text(s)) {
			errno = 0;
			ll = strtoll(s, &end, 10);
			if (*end == '\0' && errno == 0)
				*out = json_object_new_int64(ll);
		}
		if (*out == NULL) {
			if (whole_number(v))
				snprintf(why, len, "%s is out of the 64-bit integer range", txt);
			else
				snprintf(why, len, "%s is not an integer", txt);
			return -1;
		}
		return 0;
	}
	if (strcmp(t, "number") == 0) {
		double d;

		if (jt == json_type_int || jt == json_type_double) {
			*out = json_object_get(v);
			return 0;
		}
		if (number_text(s)) {
			errno = 0;
			d = strtod(s, &end);
			if (*end == '\0' && errno == 0 && isfinite(d)) {
				if (d == (double)(long long)d && strpbrk(s, ".eE") == NULL)
					*out = json_object_new_int64((long long)d);
				else
					*out = json_object_new_double(d);
				return 0;
			}
		}
		snprintf(why, len, "%s is not a number", txt);
		return -1;
	}
	if (strcmp(t, "boolean") == 0) {
		if (jt == json_type_boolean)
			*out = json_object_get(v);
		else if (jt == json_type_int && (json_object_get_int64(v) == 0 ||
		                                 json_object_get_int64(v) == 1))
			*out = json_object_new_boolean(json_object_get_int64(v) == 1);
		else if (s != NULL && bool_word(s) >= 0)
			*out = json_object_new_boolean(bool_word(s));
		else {
			snprintf(why, len, "%s is not a boolean (true or false, also yes/no, "
			         "on/off, 1/0)", txt);
			return -1;
		}
		return 0;
	}
	if (strcmp(t, "map") == 0 || strcmp(t, "object") == 0 || strcmp(t, "array") == 0) {
		json_type want = t[0] == 'a' ? json_type_array : json_type_object;
		json_object *parsed = s != NULL ? json_tokener_parse(s) : json_object_get(v);

		if (!json_object_is_type(parsed, want)) {
			json_object_put(parsed);
			snprintf(why, len, "%s is not %s", txt, type_noun(t));
			return -1;
		}
		*out = parsed;
		return 0;
	}
	if (strcmp(t, "duration") == 0) {
		int64_t ms;

		/* a JSON number is seconds, read as the text "90" is */
		if ((jt == json_type_int || jt == json_type_double || s != NULL) &&
		    inn_parse_param_duration_ms(json_object_get_string(v), &ms) == 0) {
			*out = s != NULL ? json_object_get(v) :
			                   json_object_new_string(json_object_get_string(v));
			return 0;
		}
		snprintf(why, len, "%s is not a duration", txt);
		return -1;
	}
	/* string, enum, secret: a scalar, as its text */
	if (!is_scalar_json(v)) {
		snprintf(why, len, "%s is not %s", txt, type_noun(t));
		return -1;
	}
	*out = s != NULL ? json_object_get(v) : json_object_new_string(json_object_get_string(v));
	return 0;
}

/* An integer value against p's min and max (the original's golden-path
 * bounds).  0, or -1 with why. */
static int
value_in_range(const inn_param *p, json_object *v, const char *txt, char *why, size_t len)
{
	long long n;

	if ((!p->has_min && !p->has_max) || p->type == NULL || strcmp(p->type, "integer") != 0)
		return 0;
	if (json_object_is_type(v, json_type_string)) {
		char *end;

		errno = 0;
		n = strtoll(json_object_get_string(v), &end, 10);
		if (*end != '\0' || errno != 0)
			return 0; /* not an integer: the type check says so */
	} else {
		n = (long long)json_object_get_int64(v);
	}
	if (p->has_min && n < p->min) {
		snprintf(why, len, "%s is less than the minimum %lld", txt, (long long)p->min);
		return -1;
	}
	if (p->has_max && n > p->max) {
		snprintf(why, len, "%s is more than the maximum %lld", txt, (long long)p->max);
		return -1;
	}
	return 0;
}

/* The allowed values, the pattern and the bounds of p, for a value already
 * of its type.  txt names the value in the message (`"abc"`, or `its (secret)
 * value`: a secret's value and its allowed values are never quoted, the
 * message goes to logs and API answers); the allowed list is shown cut at
 * 60 bytes when cut is set, whole otherwise.  0, or -1 with why. */
static int
value_allowed(const inn_param *p, json_object *v, const char *txt, int cut, char *why,
              size_t len)
{
	int secret = p->type != NULL && strcmp(p->type, "secret") == 0;
	size_t i;

	if (p->allowed != NULL && is_scalar_json(v)) {
		size_t n = json_object_array_length(p->allowed);

		for (i = 0; i < n; i++) {
			json_object *a = json_object_array_get_idx(p->allowed, i);

			if (a != NULL && strcmp(json_object_get_string(a),
			                        json_object_get_string(v)) == 0)
				break;
		}
		if (i == n) {
			char list[80];

			if (secret)
				snprintf(why, len, "%s is not one of the allowed values", txt);
			else if (cut) {
				value_text(p->allowed, list, sizeof(list));
				snprintf(why, len, "%s is not one of the allowed values %s", txt, list);
			} else
				snprintf(why, len, "%s is not one of the allowed values %s", txt,
				         json_object_to_json_string_ext(p->allowed,
				                                        JSON_C_TO_STRING_PLAIN));
			return -1;
		}
	}
	if (p->pattern != NULL && is_scalar_json(v)) {
		inn_pattern *own = NULL;
		const char *s = json_object_get_string(v);
		char err[200];
		int m;

		/* a loaded declaration's pattern is compiled (inn_l_param_parse) */
		if (p->re == NULL && inn_pattern_compile(&own, p->pattern, err, sizeof(err)) != 0) {
			snprintf(why, len, "its pattern \"%s\" is not a valid regular expression: "
			         "%s", p->pattern, err);
			return -1;
		}
		m = inn_pattern_match(p->re != NULL ? p->re : own, s, strlen(s), err, sizeof(err));
		inn_pattern_free(own);
		if (m < 0) {
			snprintf(why, len, "%s: %s", txt, err);
			return -1;
		}
		if (m == 0) {
			snprintf(why, len, "%s does not match the pattern %s", txt, p->pattern);
			return -1;
		}
	}
	return value_in_range(p, v, txt, why, len);
}

/* How a message names v: its text (value_text), a secret's never (the
 * message goes to logs and API answers). */
static void
param_value_text(const inn_param *p, json_object *v, char *buf, size_t len)
{
	if (p->type != NULL && strcmp(p->type, "secret") == 0)
		snprintf(buf, len, "its (secret) value");
	else
		value_text(v, buf, len);
}

/* A value's strings against the one size limit of every parameter value
 * (given or a default): each reaches programs through the environment (one
 * NAME=value string each, at most 128 KiB on Linux) and the command line,
 * so a longer one, or one holding a NUL (which C strings would cut), is
 * refused, never truncated or failed later by exec.  0, or -1 with why. */
static int
param_text_ok(json_object *v, int depth, char *why, size_t len)
{
	if (json_object_is_type(v, json_type_string)) {
		size_t n = (size_t)json_object_get_string_len(v);

		if (memchr(json_object_get_string(v), '\0', n) != NULL) {
			snprintf(why, len, "a value may not contain a NUL character");
			return -1;
		}
		if (n > INN_PARAM_VALUE_MAX) {
			snprintf(why, len, "a value is %zu bytes, more than the limit of %d bytes "
			         "(values reach programs through the environment)", n,
			         INN_PARAM_VALUE_MAX);
			return -1;
		}
	} else if (depth < 64 && json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, e) {
			if (strlen(k) > INN_PARAM_VALUE_MAX) {
				snprintf(why, len, "a key is longer than %d bytes", INN_PARAM_VALUE_MAX);
				return -1;
			}
			if (param_text_ok(e, depth + 1, why, len) != 0)
				return -1;
		}
	} else if (depth < 64 && json_object_is_type(v, json_type_array)) {
		size_t i, n = json_object_array_length(v);

		for (i = 0; i < n; i++)
			if (param_text_ok(json_object_array_get_idx(v, i), depth + 1, why, len) != 0)
				return -1;
	}
	return 0;
}

/* A duration parameter named "ttl" sets an application's time to live
 * (runs.c record_app): the one TTL rule (inn_ttl_parse_ms) holds for its
 * value, so a golden path refuses "-1h" or "0s" as ?ttl= does.  0, or -1
 * with why. */
static int
ttl_ok(const inn_param *p, json_object *v, char *why, size_t len)
{
	int64_t ms;

	if (p->name == NULL || strcmp(p->name, "ttl") != 0 || p->type == NULL ||
	    strcmp(p->type, "duration") != 0 || !json_object_is_type(v, json_type_string))
		return 0;
	return inn_ttl_parse_ms(json_object_get_string(v), &ms, why, len);
}

/* A value given for p, or its default: converted to its type
 * (param_coerce), within the size limit, then its allowed values, pattern
 * and bounds (the allowed list cut in the message when cut is set).  *out:
 * the converted value (a new reference).  0, or -1 with why. */
static int
param_value(const inn_param *p, json_object *v, int cut, json_object **out, char *why,
            size_t len)
{
	char txt[100];

	param_value_text(p, v, txt, sizeof(txt));
	if (param_coerce(p, v, txt, out, why, len) != 0)
		return -1;
	if (param_text_ok(*out, 0, why, len) != 0 ||
	    value_allowed(p, *out, txt, cut, why, len) != 0 || ttl_ok(p, *out, why, len) != 0) {
		json_object_put(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int
inn_param_check(const inn_param *p, json_object *v, char *why, size_t len)
{
	json_object *c;

	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_string) &&
	    inn_tmpl_has_syntax(json_object_get_string(v)))
		return 0;
	if (param_value(p, v, 1, &c, why, len) != 0)
		return -1;
	json_object_put(c);
	return 0;
}

int
inn_l_param_default(const inn_param *p, json_object *v, json_object **out, char *why,
                    size_t len)
{
	*out = NULL;
	if (v == NULL)
		return 0;
	/* a template (another parameter's value) is checked when it renders */
	if (json_object_is_type(v, json_type_string) &&
	    inn_tmpl_has_syntax(json_object_get_string(v))) {
		size_t n = (size_t)json_object_get_string_len(v);

		if (n > INN_PARAM_VALUE_MAX) {
			snprintf(why, len, "a value is %zu bytes, more than the limit of %d bytes "
			         "(values reach programs through the environment)", n,
			         INN_PARAM_VALUE_MAX);
			return -1;
		}
		*out = json_object_get(v);
		return 0;
	}
	return param_value(p, v, 1, out, why, len);
}

void
inn_l_param_free(inn_param *p)
{
	INN_FREE_ALL(p->name, p->type, p->description, p->pattern);
	inn_pattern_free(p->re);
	json_object_put(p->def);
	json_object_put(p->allowed);
	memset(p, 0, sizeof(*p));
}

char *
inn_l_dup(const char *s, int *bad)
{
	char *d = s != NULL ? strdup(s) : NULL;

	if (s != NULL && d == NULL)
		*bad = 1;
	return d;
}

int
inn_l_param_copy(inn_param *dst, const inn_param *src)
{
	char why[256];
	int bad = 0;

	*dst = *src;
	dst->name = inn_l_dup(src->name, &bad);
	dst->type = inn_l_dup(src->type, &bad);
	dst->description = inn_l_dup(src->description, &bad);
	dst->pattern = inn_l_dup(src->pattern, &bad);
	dst->re = NULL;
	dst->def = src->def != NULL ? inn_json_copy(src->def) : NULL;
	dst->allowed = src->allowed != NULL ? inn_json_copy(src->allowed) : NULL;
	if ((src->def != NULL && dst->def == NULL) ||
	    (src->allowed != NULL && dst->allowed == NULL) ||
	    (src->re != NULL && inn_pattern_compile(&dst->re, src->pattern, why,
	                                            sizeof(why)) != 0))
		bad = 1;
	if (bad) {
		inn_l_param_free(dst);
		return -1;
	}
	return 0;
}

/* inn_l_params_free's clear. */
static void
param_clear(void *p)
{
	inn_l_param_free(p);
}

void
inn_l_params_free(inn_param *params, size_t n)
{
	inn_array_free(params, n, sizeof(*params), param_clear);
}

/* allowed_values (or enum, not both): a list of scalars into out->allowed.
 * 0, or -1 (reported). */
static int
param_allowed(const inn_lctx *lc, const inn_ynode *node, const char *path, inn_param *out)
{
	const inn_ynode *a = inn_ymap_get(node, "allowed_values"), *e = inn_ymap_get(node, "enum");
	const char *k = a != NULL ? "allowed_values" : "enum";
	char p[INN_L_PATH_MAX], q[INN_L_PATH_MAX];
	size_t i;

	if (a != NULL && e != NULL) {
		inn_l_err(lc, inn_ymap_key(node, "enum"), "%s: give either allowed_values "
		          "or enum, not both", path);
		return -1;
	}
	if (a == NULL)
		a = e;
	if (a == NULL || inn_l_is_null(a))
		return 0;
	if (inn_l_kind(lc, a, INN_Y_SEQ, inn_l_path(p, sizeof(p), path, k)) != 0)
		return -1;
	for (i = 0; i < a->n; i++)
		if (a->items[i]->kind != INN_Y_SCALAR) {
			inn_l_err(lc, a->items[i], "%s: must be a scalar, not %s",
			          inn_l_index(q, sizeof(q), p, i), inn_ynode_kind_name(a->items[i]));
			return -1;
		}
	if ((out->allowed = inn_ynode_to_json(a)) == NULL) {
		inn_l_err(lc, node, "%s: %s", path, inn_error_last());
		return -1;
	}
	return 0;
}

/* min and max (the original's bounds of an integer parameter): whole
 * numbers, min not above max; ignored with a warning on other types.
 * 0, or -1 (reported). */
static int
param_bounds(const inn_lctx *lc, const inn_ynode *node, const char *path, inn_param *out)
{
	static const char *const keys[] = { "min", "max" };
	int64_t *vals[] = { &out->min, &out->max };
	int *has[] = { &out->has_min, &out->has_max };
	char p[INN_L_PATH_MAX];
	size_t i;

	for (i = 0; i < 2; i++) {
		const inn_ynode *n = inn_ymap_get(node, keys[i]);
		json_object *v;

		if (n == NULL || inn_l_is_null(n))
			continue;
		inn_l_path(p, sizeof(p), path, keys[i]);
		if (strcmp(out->type, "integer") != 0) {
			inn_l_warn(lc, inn_ymap_key(node, keys[i]), "%s: applies to integer "
			           "parameters only; ignored (parameter \"%s\" is of type %s)", p,
			           out->name, out->type);
			continue;
		}
		v = n->kind == INN_Y_SCALAR ? inn_ynode_to_json(n) : NULL;
		if (v == NULL || !json_object_is_type(v, json_type_int)) {
			json_object_put(v);
			inn_l_err(lc, n, "%s: must be a whole number", p);
			return -1;
		}
		*vals[i] = json_object_get_int64(v);
		*has[i] = 1;
		json_object_put(v);
	}
	if (out->has_min && out->has_max && out->min > out->max) {
		inn_l_err(lc, inn_ymap_get(node, "max"), "%s: %lld is less than min %lld",
		          inn_l_path(p, sizeof(p), path, "max"), (long long)out->max,
		          (long long)out->min);
		return -1;
	}
	return 0;
}

int
inn_l_param_parse(const inn_lctx *lc, const inn_ynode *node, const inn_ynode *name_key,
                  const char *path, inn_param *out)
{
	const inn_ynode *n;
	const struct param_type *pt;
	char p[INN_L_PATH_MAX], why[256];
	size_t nerr0 = lc->diag->nerrors;
	char *type = NULL;

	memset(out, 0, sizeof(*out));
	out->line = node->line;
	out->col = node->col;
	if (inn_l_is_null(node) && name_key != NULL) {
		node = NULL; /* `pname:` with nothing: a string parameter */
	} else if (inn_l_kind(lc, node, INN_Y_MAP, path) != 0) {
		return -1;
	}
	if (node != NULL)
		inn_l_unknown_keys(lc, node, param_keys, path);
	if (name_key != NULL) {
		out->name = strdup(name_key->value);
	} else if (inn_l_required_string(lc, node, "name", path, &out->name) != 0) {
		goto fail;
	}
	if (out->name == NULL)
		goto nomem;
	if (!inn_l_name_ok(out->name) && out->name[0] != '_') {
		inn_l_err(lc, name_key ? name_key : inn_ymap_get(node, "name"),
		          "%s: parameter name \"%s\" must start with a letter or digit and "
		          "hold only letters, digits, '_' and '-'", path, out->name);
		goto fail;
	}
	if (node == NULL) {
		if ((out->type = strdup("string")) == NULL)
			goto nomem;
		return 0;
	}
	if (inn_l_string(lc, node, "type", path, &type) != 0)
		goto fail;
	if ((pt = param_type(type ? type : "string")) == NULL) {
		inn_l_err(lc, inn_ymap_get(node, "type"), "%s: unknown type \"%s\" (known: "
		          "string, number or float, integer or int, boolean or bool, map, "
		          "object, array or list, enum, duration, secret)",
		          inn_l_path(p, sizeof(p), path, "type"), type);
		goto fail;
	}
	if ((out->type = strdup(pt->type)) == NULL)
		goto nomem;
	if ((n = inn_ymap_get(node, "required")) != NULL && !inn_l_is_null(n) &&
	    inn_l_bool(lc, n, inn_l_path(p, sizeof(p), path, "required"),
	               &out->required) != 0)
		goto fail;
	if (inn_l_string(lc, node, "description", path, &out->description) != 0 ||
	    inn_l_string(lc, node, "pattern", path, &out->pattern) != 0)
		goto fail;
	if (out->pattern != NULL &&
	    inn_pattern_compile(&out->re, out->pattern, why, sizeof(why)) != 0) {
		inn_l_err(lc, inn_ymap_get(node, "pattern"), "%s: not a valid regular expression "
		          "(Go RE2 syntax): %s", inn_l_path(p, sizeof(p), path, "pattern"), why);
		goto fail;
	}
	if (param_allowed(lc, node, path, out) != 0 || param_bounds(lc, node, path, out) != 0)
		goto fail;
	if ((n = inn_ymap_get(node, "default")) != NULL && !inn_l_is_null(n)) {
		json_object *raw = inn_ynode_to_json(n);

		if (raw == NULL)
			goto toobig;
		/* converted as a given value is: "off" is false, "5" is 5 */
		if (inn_l_param_default(out, raw, &out->def, why, sizeof(why)) != 0) {
			json_object_put(raw);
			inn_l_err(lc, n, "%s: %s (parameter \"%s\" is of type %s)",
			          inn_l_path(p, sizeof(p), path, "default"), why, out->name,
			          out->type);
			goto fail;
		}
		json_object_put(raw);
	}
	free(type);
	return lc->diag->nerrors == nerr0 ? 0 : -1;
toobig:
	inn_l_err(lc, node, "%s: %s", path, inn_error_last());
	goto fail;
nomem:
	inn_l_err(lc, node, "out of memory");
fail:
	free(type);
	inn_l_param_free(out);
	return -1;
}

/* Orders parameter indices by name, equal names in declaration order. */
static int
cmp_param(const void *a, const void *b, void *ud)
{
	const inn_param *params = ud;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	int c = strcmp(params[ia].name, params[ib].name);

	if (c != 0)
		return c;
	return ia < ib ? -1 : ia > ib;
}

int
inn_l_params_index(inn_workflow *wf)
{
	size_t i;

	free(wf->param_byname);
	if ((wf->param_byname = malloc((wf->nparams + 1) * sizeof(size_t))) == NULL)
		return -1;
	for (i = 0; i < wf->nparams; i++)
		wf->param_byname[i] = i;
	qsort_r(wf->param_byname, wf->nparams, sizeof(size_t), cmp_param, wf->params);
	return 0;
}

static const char *
param_name(const void *params, size_t i)
{
	return ((const inn_param *)params)[i].name;
}

const inn_param *
inn_workflow_param(const inn_workflow *wf, const char *name, size_t len)
{
	size_t i;
	long k;

	if (wf == NULL || name == NULL)
		return NULL;
	if (wf->param_byname == NULL) {
		for (i = 0; i < wf->nparams; i++)
			if (strlen(wf->params[i].name) == len &&
			    strncmp(wf->params[i].name, name, len) == 0)
				return &wf->params[i];
		return NULL;
	}
	k = inn_index_find(wf->param_byname, wf->nparams, param_name, wf->params, name, len);
	return k < 0 ? NULL : &wf->params[k];
}

/* --- the values a run is given ------------------------------------------ */

static int
param_error(const inn_workflow *wf, const inn_param *p, const char *fmt, ...)
	INN_PRINTF_LIKE(3, 4);

static int
param_error(const inn_workflow *wf, const inn_param *p, const char *fmt, ...)
{
	char buf[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return inn_error_set(INN_EINVAL, "workflow \"%s\": parameter \"%s\": %s",
	                     wf->name ? wf->name : "?", p->name, buf);
}

/* "workflow "w" has no parameter "k" (it declares: a, b)". */
static int
unknown_param(const inn_workflow *wf, const char *k)
{
	char names[512] = "";
	size_t used = 0, i;

	for (i = 0; i < wf->nparams && used < sizeof(names) - 1; i++) {
		int n = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
		                 wf->params[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return inn_error_set(INN_EINVAL, "workflow \"%s\" has no parameter \"%s\" (it declares: "
	                     "%s)", wf->name, k, wf->nparams ? names : "none");
}

/* The standard inputs of a resource operation, in bit order (model.h). */
static const char *const std_inputs[INN_STD_INPUTS] = {
	"app_name", "resource_name", "resource_type", "bucket_name", "namespace"
};

int
inn_param_standard_input(const char *name, size_t len)
{
	int i;

	for (i = 0; i < INN_STD_INPUTS; i++)
		if (strlen(std_inputs[i]) == len && strncmp(std_inputs[i], name, len) == 0)
			return i;
	return -1;
}

const char *
inn_param_standard_name(int i)
{
	return i >= 0 && i < INN_STD_INPUTS ? std_inputs[i] : NULL;
}

/* Non-zero when wf reads the undeclared standard input name. */
static int
reads_standard_input(const inn_workflow *wf, const char *name)
{
	int b = inn_param_standard_input(name, strlen(name));

	return b >= 0 && (wf->std_inputs & (1u << b)) != 0;
}

/* The value of parameter p (given, else its default) into params; *total
 * counts the given values' JSON bytes.  0, or the error (set). */
static int
resolve_one(const inn_workflow *wf, const inn_param *p, json_object *given,
            json_object *params, size_t *total)
{
	json_object *v = NULL, *given_v = NULL;
	char why[768];

	if (given != NULL && json_object_object_get_ex(given, p->name, &given_v) &&
	    given_v != NULL) {
		if (param_value(p, given_v, 0, &v, why, sizeof(why)) != 0)
			return param_error(wf, p, "%s", why);
	} else if (p->def != NULL) {
		/* the rule a given value follows (a loaded default passed it) */
		if (inn_l_param_default(p, p->def, &v, why, sizeof(why)) != 0)
			return param_error(wf, p, "its default: %s", why);
	} else if (p->required) {
		return param_error(wf, p, "is required (%s)", p->description ?
		                   p->description : "no default");
	}
	if (v != NULL && given_v != NULL)
		*total += strlen(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	if (*total > INN_PARAMS_TOTAL_MAX) {
		json_object_put(v);
		return inn_error_set(INN_EINVAL, "workflow \"%s\": its parameter values "
		                     "together exceed the limit of %d bytes", wf->name,
		                     INN_PARAMS_TOTAL_MAX);
	}
	json_object_object_add(params, p->name, v);
	return 0;
}

int
inn_params_resolve(const inn_workflow *wf, json_object *given, json_object **out)
{
	json_object *params = json_object_new_object();
	size_t total = 0, i;
	int rc = 0, b;

	*out = NULL;
	if (params == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	if (given != NULL) {
		json_object_object_foreach(given, k, v) {
			(void)v;
			if (inn_workflow_param(wf, k, strlen(k)) == NULL &&
			    !reads_standard_input(wf, k)) {
				rc = unknown_param(wf, k);
				goto err;
			}
		}
	}
	for (i = 0; i < wf->nparams; i++)
		if ((rc = resolve_one(wf, &wf->params[i], given, params, &total)) != 0)
			goto err;
	/* the standard inputs it reads undeclared: required strings */
	for (b = 0; b < INN_STD_INPUTS; b++) {
		inn_param sp;

		if (!(wf->std_inputs & (1u << b)))
			continue;
		memset(&sp, 0, sizeof(sp));
		sp.name = (char *)std_inputs[b];
		sp.type = (char *)"string";
		sp.required = 1;
		sp.description = (char *)"a standard input: a Score deployment gives it to a "
		                 "resource's operation workflow; a direct run must give it";
		if ((rc = resolve_one(wf, &sp, given, params, &total)) != 0)
			goto err;
	}
	*out = params;
	return 0;
err:
	json_object_put(params);
	return rc;
}

int
inn_params_mask_secrets(const inn_workflow *wf, json_object *resolved, inn_masker *m)
{
	json_object *v;
	size_t i;
	int rc;

	for (i = 0; i < wf->nparams; i++)
		if (wf->params[i].type != NULL && strcmp(wf->params[i].type, "secret") == 0 &&
		    json_object_object_get_ex(resolved, wf->params[i].name, &v) && v != NULL &&
		    (rc = inn_masker_add(m, json_object_get_string(v))) != 0)
			return rc;
	return 0;
}

const char *
inn_params_environment(const inn_workflow *wf, json_object *given)
{
	const inn_param *p;
	json_object *env = NULL;

	if ((!json_object_object_get_ex(given, "environment", &env) || env == NULL) &&
	    (p = inn_workflow_param(wf, "environment", strlen("environment"))) != NULL)
		env = p->def;
	return env != NULL && json_object_is_type(env, json_type_string) ?
	       json_object_get_string(env) : NULL;
}
