/*
 * tmpl_value.c - the template engine's values as text: the text form of
 * each JSON type (Go's %v for numbers), JSON quoting, truthiness, equality
 * for eq/ne, registering secrets, and the messages a full buffer gives.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tmpl_int.h"

/* ---- the bounded buffer, with the messages users see -------------------- */

/* Words what inn_buf returned: the buffer's maximum is the limit users hit. */
static int
put_failed(const inn_buf *b, int rc)
{
	if (rc == INN_ETOOBIG)
		return inn_error_set(INN_ETOOBIG, "rendered text exceeds %zu bytes", b->max);
	return inn_error_set(rc, "out of memory");
}

int
inn_t_put(inn_buf *b, const char *s, size_t n)
{
	int rc = inn_buf_add(b, s, n);

	return rc != 0 ? put_failed(b, rc) : 0;
}

int
inn_t_puts(inn_buf *b, const char *s)
{
	return inn_t_put(b, s, strlen(s));
}

/* ---- value formatting --------------------------------------------------- */

const char *
inn_t_type_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_int:
	case json_type_double: return "a number";
	case json_type_string: return "a string";
	case json_type_array: return "a list";
	case json_type_object: return "an object";
	}
	return "a value";
}

/* Shortest text that reads back as the same double, in Go's %v form:
 * plain digits unless the exponent is below -4 or at least 21 (1000,
 * 0.1, 1e+21); NaN and infinities as Go prints them. */
static void
fmt_double(char *out, size_t n, double d)
{
	const char *e;
	int prec, x;

	if (isnan(d)) {
		snprintf(out, n, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(out, n, "%sInf", d < 0 ? "-" : "+");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(out, n, "%.*e", prec - 1, d);
		if (strtod(out, NULL) == d)
			break;
	}
	snprintf(out, n, "%.*e", prec - 1, d);
	if ((e = strchr(out, 'e')) == NULL)
		return;
	x = (int)strtol(e + 1, NULL, 10);
	if (x < -4 || x >= 21)
		return;
	snprintf(out, n, "%.*f", prec - 1 - x > 0 ? prec - 1 - x : 0, d);
}

/* The text of a number: integers in decimal (those past INT64_MAX as
 * unsigned), doubles as fmt_double writes them. */
static void
fmt_number(char *out, size_t n, json_object *v)
{
	int64_t i;

	if (json_object_is_type(v, json_type_double)) {
		fmt_double(out, n, json_object_get_double(v));
		return;
	}
	i = json_object_get_int64(v);
	if (i == INT64_MAX)
		snprintf(out, n, "%llu", (unsigned long long)json_object_get_uint64(v));
	else
		snprintf(out, n, "%lld", (long long)i);
}

/* Appends s as a JSON string literal ("a\"b\n"). */
int
inn_t_put_quoted(inn_buf *b, const char *s, size_t n)
{
	size_t i, start = 0;
	int rc;

	if ((rc = inn_t_put(b, "\"", 1)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		const char *e = NULL;

		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				e = esc;
			}
		}
		if (e == NULL)
			continue;
		if ((rc = inn_t_put(b, s + start, i - start)) != 0 ||
		    (rc = inn_t_puts(b, e)) != 0)
			return rc;
		start = i + 1;
	}
	if ((rc = inn_t_put(b, s + start, n - start)) != 0)
		return rc;
	return inn_t_put(b, "\"", 1);
}

/* Compact JSON of a list or object, keys in stored order. */
static int
put_container(inn_buf *b, json_object *v, int depth)
{
	int rc, first = 1;

	if (json_object_is_type(v, json_type_array)) {
		size_t i, n = json_object_array_length(v);

		if ((rc = inn_t_put(b, "[", 1)) != 0)
			return rc;
		for (i = 0; i < n; i++) {
			if ((i > 0 && (rc = inn_t_put(b, ",", 1)) != 0) ||
			    (rc = inn_t_put_value(b, json_object_array_get_idx(v, i), 1,
			                          depth + 1)) != 0)
				return rc;
		}
		return inn_t_put(b, "]", 1);
	}
	if ((rc = inn_t_put(b, "{", 1)) != 0)
		return rc;
	json_object_object_foreach(v, key, val) {
		if ((!first && (rc = inn_t_put(b, ",", 1)) != 0) ||
		    (rc = inn_t_put_quoted(b, key, strlen(key))) != 0 ||
		    (rc = inn_t_put(b, ":", 1)) != 0 ||
		    (rc = inn_t_put_value(b, val, 1, depth + 1)) != 0)
			return rc;
		first = 0;
	}
	return inn_t_put(b, "}", 1);
}

/* Appends v as text: strings as they are (quoted when json is set), numbers
 * in decimal, booleans as true/false, null as "" (null in JSON), lists and
 * objects as compact JSON. */
int
inn_t_put_value(inn_buf *b, json_object *v, int json, int depth)
{
	char tmp[64];

	if (depth > MAX_TREE_DEPTH)
		return inn_error_set(INN_ETOOBIG, "value nested deeper than %d levels",
		                     MAX_TREE_DEPTH);
	switch (json_object_get_type(v)) {
	case json_type_null:
		return json ? inn_t_puts(b, "null") : 0;
	case json_type_boolean:
		return inn_t_puts(b, json_object_get_boolean(v) ? "true" : "false");
	case json_type_int:
	case json_type_double:
		fmt_number(tmp, sizeof(tmp), v);
		return inn_t_puts(b, tmp);
	case json_type_string:
		if (json)
			return inn_t_put_quoted(b, json_object_get_string(v),
			                        (size_t)json_object_get_string_len(v));
		return inn_t_put(b, json_object_get_string(v),
		                 (size_t)json_object_get_string_len(v));
	case json_type_array:
	case json_type_object:
		return put_container(b, v, depth);
	}
	return 0;
}

int
inn_tmpl_truthy(json_object *v)
{
	const char *s;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return 0;
	case json_type_boolean:
		return json_object_get_boolean(v);
	case json_type_int:
		return json_object_get_int64(v) != 0;
	case json_type_double:
		return json_object_get_double(v) != 0.0;
	case json_type_string:
		s = json_object_get_string(v);
		return s[0] != '\0' && strcmp(s, "false") != 0 && strcmp(s, "0") != 0;
	case json_type_array:
		return json_object_array_length(v) > 0;
	case json_type_object:
		return json_object_object_length(v) > 0;
	}
	return 0;
}

static int
is_number(json_object *v)
{
	return json_object_is_type(v, json_type_int) ||
	       json_object_is_type(v, json_type_double);
}

/* Equality for eq/ne: numbers by value (3 == 3.0), same types by value,
 * other scalars by their text (3 == "3", null == ""); lists and objects
 * only equal lists and objects. */
int
inn_t_values_equal(json_object *a, json_object *b, int *eq)
{
	enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);
	inn_buf x = INN_BUF_INIT(INN_TMPL_MAX_OUTPUT);
	inn_buf y = INN_BUF_INIT(INN_TMPL_MAX_OUTPUT);
	int rc;

	if (ta == json_type_int && tb == json_type_int) {
		*eq = json_object_get_int64(a) == json_object_get_int64(b);
		return 0;
	}
	if (is_number(a) && is_number(b)) {
		*eq = json_object_get_double(a) == json_object_get_double(b);
		return 0;
	}
	if (ta == tb && ta != json_type_string) {
		*eq = json_object_equal(a, b);
		return 0;
	}
	if (ta == json_type_array || ta == json_type_object ||
	    tb == json_type_array || tb == json_type_object) {
		*eq = 0;
		return 0;
	}
	if ((rc = inn_t_put_value(&x, a, 0, 0)) == 0 &&
	    (rc = inn_t_put_value(&y, b, 0, 0)) == 0)
		*eq = x.len == y.len && (x.len == 0 || memcmp(x.p, y.p, x.len) == 0);
	inn_buf_free(&x);
	inn_buf_free(&y);
	return rc;
}

/* Registers every string and number inside v as a secret. */
int
inn_t_mask_tree(inn_masker *m, json_object *v, int depth)
{
	char tmp[64];
	int rc = 0;

	if (depth > MAX_TREE_DEPTH)
		return inn_error_set(INN_ETOOBIG, "secret nested deeper than %d levels",
		                     MAX_TREE_DEPTH);
	switch (json_object_get_type(v)) {
	case json_type_string:
		return inn_masker_add(m, json_object_get_string(v));
	case json_type_int:
	case json_type_double:
		fmt_number(tmp, sizeof(tmp), v);
		return inn_masker_add(m, tmp);
	case json_type_array: {
		size_t i, n = json_object_array_length(v);

		for (i = 0; rc == 0 && i < n; i++)
			rc = inn_t_mask_tree(m, json_object_array_get_idx(v, i), depth + 1);
		return rc;
	}
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			(void)key;
			if ((rc = inn_t_mask_tree(m, val, depth + 1)) != 0)
				return rc;
		}
		return 0;
	}
	default:
		return 0;
	}
}
