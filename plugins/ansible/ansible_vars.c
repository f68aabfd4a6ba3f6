/*
 * ansible_vars.c - config.extra_vars as the YAML file ansible-playbook
 * reads with -e @file: flow style, pure ASCII, every string tagged
 * !unsafe so ansible never evaluates Jinja in a value.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ansible_int.h"

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
yaml_quote(pu_buf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run;
	uint32_t cp;

	pu_buf_add(b, "\"", 1);
	while (i < len) {
		for (run = i; run < len && u[run] >= 0x20 && u[run] < 0x7f &&
		     u[run] != '"' && u[run] != '\\'; run++)
			;
		pu_buf_add(b, s + i, run - i);
		if ((i = run) >= len)
			break;
		if (u[i] == '"' || u[i] == '\\') {
			pu_buf_add(b, "\\", 1);
			pu_buf_add(b, s + i, 1);
			i++;
		} else if (u[i] < 0x80) {
			pu_buf_addf(b, "\\x%02x", u[i]);
			i++;
		} else {
			size_t n = utf8_decode(u + i, len - i, &cp);

			if (n == 0)
				return -1;
			if (cp <= 0xffff)
				pu_buf_addf(b, "\\u%04" PRIx32, cp);
			else
				pu_buf_addf(b, "\\U%08" PRIx32, cp);
			i += n;
		}
	}
	pu_buf_add(b, "\"", 1);
	return 0;
}

/* Appends a double as a YAML 1.1 float (which needs a '.' to be one). */
static void
yaml_double(pu_buf *b, double d)
{
	char num[64], *e;

	if (isnan(d)) {
		pu_buf_adds(b, ".nan");
		return;
	}
	if (isinf(d)) {
		pu_buf_adds(b, d < 0 ? "-.inf" : ".inf");
		return;
	}
	snprintf(num, sizeof(num), "%.17g", d);
	if (strchr(num, '.') != NULL) {
		pu_buf_adds(b, num);
	} else if ((e = strchr(num, 'e')) != NULL) {
		pu_buf_add(b, num, (size_t)(e - num));
		pu_buf_adds(b, ".0");
		pu_buf_adds(b, e);
	} else {
		pu_buf_adds(b, num);
		pu_buf_adds(b, ".0");
	}
}

/* Appends v as YAML flow text (see ans_vars_yaml); where names the value
 * for errors.  Returns 0 or INN_EINVAL with err set. */
static int
yaml_emit(pu_buf *b, json_object *v, int depth, const char *where,
          char *err, size_t errlen)
{
	size_t i, n;
	int first = 1;

	if (depth > ANSIBLE_YAML_DEPTH_MAX)
		return pu_refuse(err, errlen, "config.%s: nested deeper than %d levels",
		                 where, ANSIBLE_YAML_DEPTH_MAX);
	switch (json_object_get_type(v)) {
	case json_type_null:
		pu_buf_adds(b, "null");
		return 0;
	case json_type_boolean:
		pu_buf_adds(b, json_object_get_boolean(v) ? "true" : "false");
		return 0;
	case json_type_int:
		pu_buf_addf(b, "%" PRId64, json_object_get_int64(v));
		return 0;
	case json_type_double:
		yaml_double(b, json_object_get_double(v));
		return 0;
	case json_type_string:
		pu_buf_adds(b, "!unsafe ");
		if (yaml_quote(b, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v)) != 0)
			return pu_refuse(err, errlen, "config.%s: a string is not valid "
			                 "UTF-8", where);
		return 0;
	case json_type_array:
		pu_buf_adds(b, "[");
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			if (i > 0)
				pu_buf_adds(b, ", ");
			if (yaml_emit(b, json_object_array_get_idx(v, i), depth + 1, where,
			    err, errlen) != 0)
				return INN_EINVAL;
		}
		pu_buf_adds(b, "]");
		return 0;
	case json_type_object: {
		json_object_object_foreach(v, key, val) {
			pu_buf_adds(b, first ? "{" : ", ");
			first = 0;
			if (yaml_quote(b, key, strlen(key)) != 0)
				return pu_refuse(err, errlen, "config.%s: a key is not valid "
				                 "UTF-8", where);
			pu_buf_adds(b, ": ");
			if (yaml_emit(b, val, depth + 1, where, err, errlen) != 0)
				return INN_EINVAL;
		}
		pu_buf_adds(b, first ? "{}" : "}");
		return 0;
	}
	}
	return pu_refuse(err, errlen, "config.%s: unsupported value", where);
}

int
ans_vars_yaml(pu_buf *b, json_object *v, char *err, size_t errlen)
{
	int rc;

	if ((rc = yaml_emit(b, v, 0, "extra_vars", err, errlen)) != 0)
		return rc;
	pu_buf_adds(b, "\n");
	if (b->error == INN_ETOOBIG)
		pu_refuse(err, errlen, "config.extra_vars: more than %u bytes as YAML",
		          ANSIBLE_VARS_MAX);
	else if (b->error != 0)
		pu_refuse(err, errlen, "out of memory writing extra vars");
	return b->error;
}
