/*
 * pu_kube_yaml.c - YAML streams (manifests, kubeconfigs) into json-c
 * values with libyaml's event parser, typing plain scalars the way the
 * Kubernetes tooling does (YAML 1.1 as go-yaml v2 resolves it: null, ~,
 * true/false/yes/no/on/off/y/n, decimal/0x/0b/0-octal integers, floats);
 * quoted and block scalars, and !!str, stay strings.  Anchors are shared
 * (json_object_get), with a node budget counting every alias expansion
 * so a "billion laughs" document is refused; plain (unquoted, untagged)
 * << merge keys merge, a quoted "<<" is an ordinary key.
 * Also the one reader of a string member the other pu_kube files use.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "plugin_util.h"
#include "pu_kube.h"

#define Y_MAX_NODES 1000000   /* nodes per stream, aliases expanded */
#define Y_MAX_DEPTH 200
#define Y_MAX_ANCHORS 1024

struct y_anchor {
	char *name;
	json_object *val;
	size_t nodes;
};

struct y_ctx {
	yaml_parser_t p;
	struct y_anchor anchors[Y_MAX_ANCHORS];
	size_t nanchors;
	size_t nodes;
	int doc;
	char *err;
	size_t errlen;
};

static int y_fail(struct y_ctx *c, size_t line, const char *fmt, ...) INN_PRINTF_LIKE(3, 4);

static int
y_fail(struct y_ctx *c, size_t line, const char *fmt, ...)
{
	char m[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	if (c->err != NULL && c->errlen > 0)
		snprintf(c->err, c->errlen, "document %d, line %zu: %s", c->doc, line, m);
	return INN_EINVAL;
}

static int
str_in(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/* Digits of base (with '_' separators, at least one digit) into *out;
 * 0, or -1 when s is no such number or overflows. */
static int
parse_digits(const char *s, int base, int neg, int64_t *out)
{
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	int any = 0, d;

	for (; *s != '\0'; s++) {
		if (*s == '_')
			continue;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		if (d >= base || v > (lim - (uint64_t)d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
		any = 1;
	}
	if (!any)
		return -1;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static int
plain_int(const char *s, int64_t *out)
{
	int neg = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return parse_digits(s + 2, 16, neg, out);
	if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		return parse_digits(s + 2, 2, neg, out);
	if (s[0] == '0' && s[1] != '\0')
		return parse_digits(s + 1, 8, neg, out);
	if (*s < '0' || *s > '9')
		return -1;
	return parse_digits(s, 10, neg, out);
}

/* go-yaml v2's float form: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int
plain_float(const char *s, double *out)
{
	const char *p = s;
	char *end;
	int digits = 0;

	if (*p == '-' || *p == '+')
		p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	} else {
		while (*p >= '0' && *p <= '9')
			p++, digits++;
		if (digits == 0)
			return -1;
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p != '\0')
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	return *end == '\0' && errno == 0 && isfinite(*out) ? 0 : -1;
}

/* Non-zero if s is JSON number text: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][-+]?[0-9]+)? */
static int
json_number_text(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return 0;
	if (*s == '.') {
		if (*++s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		if (*++s == '-' || *s == '+')
			s++;
		if (*s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/* A float as kubectl's YAML-to-JSON step sends it: an integral value as
 * an integer (1e3 -> 1000), else the number as written when that is JSON
 * (1.10 stays 1.10), else json-c's rendering. */
static json_object *
y_float(const char *s, double d)
{
	if (d == floor(d) && fabs(d) < 9007199254740992.0)
		return json_object_new_int64((int64_t)d);
	if (json_number_text(s))
		return json_object_new_double_s(d, s);
	return json_object_new_double(d);
}

static const char *const y_null[] = { "", "~", "null", "Null", "NULL", NULL };
static const char *const y_true[] = { "y", "Y", "yes", "Yes", "YES", "true", "True",
	"TRUE", "on", "On", "ON", NULL };
static const char *const y_false[] = { "n", "N", "no", "No", "NO", "false", "False",
	"FALSE", "off", "Off", "OFF", NULL };

#define TAG_PFX "tag:yaml.org,2002:"

/* One scalar event into a json-c value (NULL for null).  *ok = 0 on a
 * tag whose type the text does not have. */
static json_object *
y_scalar(const yaml_event_t *e, int *ok)
{
	const char *s = (const char *)e->data.scalar.value;
	const char *tag = (const char *)e->data.scalar.tag;
	int64_t i;
	double d;
	int plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
	            e->data.scalar.style == YAML_ANY_SCALAR_STYLE;

	*ok = 1;
	if (tag != NULL && strncmp(tag, TAG_PFX, strlen(TAG_PFX)) == 0) {
		tag += strlen(TAG_PFX);
		if (strcmp(tag, "str") == 0 || strcmp(tag, "binary") == 0 ||
		    strcmp(tag, "timestamp") == 0)
			return json_object_new_string_len(s, (int)e->data.scalar.length);
		if (strcmp(tag, "null") == 0 && str_in(s, y_null))
			return NULL;
		if (strcmp(tag, "bool") == 0 && (str_in(s, y_true) || str_in(s, y_false)))
			return json_object_new_boolean(str_in(s, y_true));
		if (strcmp(tag, "int") == 0 && plain_int(s, &i) == 0)
			return json_object_new_int64(i);
		if (strcmp(tag, "float") == 0 && plain_float(s, &d) == 0)
			return y_float(s, d);
		*ok = 0;
		return NULL;
	}
	if (!plain || (tag != NULL && strcmp(tag, "!") == 0))
		return json_object_new_string_len(s, (int)e->data.scalar.length);
	if (str_in(s, y_null))
		return NULL;
	if (str_in(s, y_true))
		return json_object_new_boolean(1);
	if (str_in(s, y_false))
		return json_object_new_boolean(0);
	if (plain_int(s, &i) == 0)
		return json_object_new_int64(i);
	if (plain_float(s, &d) == 0)
		return y_float(s, d);
	return json_object_new_string_len(s, (int)e->data.scalar.length);
}

static void
y_anchors_free(struct y_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nanchors; i++) {
		free(c->anchors[i].name);
		json_object_put(c->anchors[i].val);
	}
	c->nanchors = 0;
}

static int y_node(struct y_ctx *c, yaml_event_t *e, int depth, json_object **out);

static int
y_next(struct y_ctx *c, yaml_event_t *e)
{
	if (!yaml_parser_parse(&c->p, e))
		return y_fail(c, c->p.problem_mark.line + 1, "%s",
		              c->p.problem ? c->p.problem : "malformed YAML");
	return 0;
}

static int
y_anchor_add(struct y_ctx *c, const char *name, json_object *val, size_t nodes,
             size_t line)
{
	struct y_anchor *a;
	size_t i;

	for (i = 0; i < c->nanchors; i++)
		if (strcmp(c->anchors[i].name, name) == 0) {
			json_object_put(c->anchors[i].val);
			c->anchors[i].val = json_object_get(val);
			c->anchors[i].nodes = nodes;
			return 0;
		}
	if (c->nanchors == Y_MAX_ANCHORS)
		return y_fail(c, line, "more than %d anchors", Y_MAX_ANCHORS);
	a = &c->anchors[c->nanchors];
	if ((a->name = strdup(name)) == NULL)
		return INN_ENOMEM;
	a->val = json_object_get(val);
	a->nodes = nodes;
	c->nanchors++;
	return 0;
}

/* Merges the object src (a "<<" value) into dst under keys dst lacks. */
static int
y_merge(json_object *dst, json_object *src)
{
	if (json_object_is_type(src, json_type_array)) {
		size_t i, n = json_object_array_length(src);

		for (i = 0; i < n; i++)
			if (y_merge(dst, json_object_array_get_idx(src, i)) != 0)
				return -1;
		return 0;
	}
	if (!json_object_is_type(src, json_type_object))
		return -1;
	json_object_object_foreach(src, k, v) {
		if (!json_object_object_get_ex(dst, k, NULL))
			json_object_object_add(dst, k, json_object_get(v));
	}
	return 0;
}

static int
y_mapping(struct y_ctx *c, int depth, json_object **out)
{
	json_object *m = json_object_new_object(), *v = NULL, *merge = NULL;
	yaml_event_t ke;
	int rc;

	if (m == NULL)
		return INN_ENOMEM;
	for (;;) {
		size_t line;
		char *key;
		int merge_key;

		if ((rc = y_next(c, &ke)) != 0)
			goto err;
		if (ke.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ke);
			break;
		}
		line = ke.start_mark.line + 1;
		if (ke.type != YAML_SCALAR_EVENT) {
			yaml_event_delete(&ke);
			rc = y_fail(c, line, "a mapping key must be a scalar");
			goto err;
		}
		key = strdup((const char *)ke.data.scalar.value);
		/* Only a plain, untagged << is a merge key (as go-yaml and
		 * kubectl): a quoted "<<" is the string key "<<". */
		merge_key = ke.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    ke.data.scalar.tag == NULL && key != NULL &&
		    strcmp(key, "<<") == 0;
		yaml_event_delete(&ke);
		if (key == NULL) {
			rc = INN_ENOMEM;
			goto err;
		}
		if ((rc = y_next(c, &ke)) != 0 ||
		    (rc = y_node(c, &ke, depth + 1, &v)) != 0) {
			free(key);
			goto err;
		}
		if (merge_key) {
			json_object_put(merge);
			merge = v;
		} else if (json_object_object_get_ex(m, key, NULL)) {
			json_object_put(v);
			rc = y_fail(c, line, "duplicate key \"%s\"", key);
			free(key);
			goto err;
		} else {
			json_object_object_add(m, key, v);
		}
		v = NULL;
		free(key);
	}
	if (merge != NULL && y_merge(m, merge) != 0) {
		rc = y_fail(c, c->p.mark.line + 1, "a \"<<\" merge key needs a mapping");
		goto err;
	}
	json_object_put(merge);
	*out = m;
	return 0;
err:
	json_object_put(merge);
	json_object_put(m);
	return rc;
}

static int
y_sequence(struct y_ctx *c, int depth, json_object **out)
{
	json_object *a = json_object_new_array(), *v;
	yaml_event_t e;
	int rc;

	if (a == NULL)
		return INN_ENOMEM;
	for (;;) {
		if ((rc = y_next(c, &e)) != 0)
			goto err;
		if (e.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&e);
			break;
		}
		if ((rc = y_node(c, &e, depth + 1, &v)) != 0)
			goto err;
		json_object_array_add(a, v);
	}
	*out = a;
	return 0;
err:
	json_object_put(a);
	return rc;
}

/* One node starting with event e (consumed) into *out. */
static int
y_node(struct y_ctx *c, yaml_event_t *e, int depth, json_object **out)
{
	size_t line = e->start_mark.line + 1, before = c->nodes;
	char *anchor = NULL;
	int rc = 0, ok;
	size_t i;

	*out = NULL;
	if (depth > Y_MAX_DEPTH) {
		yaml_event_delete(e);
		return y_fail(c, line, "nested deeper than %d levels", Y_MAX_DEPTH);
	}
	if (++c->nodes > Y_MAX_NODES) {
		yaml_event_delete(e);
		return y_fail(c, line, "more than %d nodes (aliases expanded)", Y_MAX_NODES);
	}
	switch (e->type) {
	case YAML_ALIAS_EVENT:
		for (i = 0; i < c->nanchors; i++)
			if (strcmp(c->anchors[i].name, (const char *)e->data.alias.anchor) == 0)
				break;
		if (i == c->nanchors) {
			rc = y_fail(c, line, "unknown alias \"*%s\"",
			            (const char *)e->data.alias.anchor);
			break;
		}
		c->nodes += c->anchors[i].nodes;
		if (c->nodes > Y_MAX_NODES) {
			rc = y_fail(c, line, "more than %d nodes (aliases expanded)", Y_MAX_NODES);
			break;
		}
		*out = json_object_get(c->anchors[i].val);
		break;
	case YAML_SCALAR_EVENT:
		if (e->data.scalar.anchor != NULL)
			anchor = strdup((const char *)e->data.scalar.anchor);
		*out = y_scalar(e, &ok);
		if (!ok)
			rc = y_fail(c, line, "a value does not match its tag %s",
			            (const char *)e->data.scalar.tag);
		break;
	case YAML_MAPPING_START_EVENT:
		if (e->data.mapping_start.anchor != NULL)
			anchor = strdup((const char *)e->data.mapping_start.anchor);
		rc = y_mapping(c, depth, out);
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (e->data.sequence_start.anchor != NULL)
			anchor = strdup((const char *)e->data.sequence_start.anchor);
		rc = y_sequence(c, depth, out);
		break;
	default:
		rc = y_fail(c, line, "unexpected YAML event");
		break;
	}
	yaml_event_delete(e);
	if (rc == 0 && anchor != NULL)
		rc = y_anchor_add(c, anchor, *out, c->nodes - before, line);
	free(anchor);
	if (rc != 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return rc;
}

int
pu_kube_yaml_parse(const char *yaml, size_t len, json_object **out_docs, char *err,
                   size_t errlen)
{
	struct y_ctx *c;
	json_object *docs = NULL, *v;
	yaml_event_t e;
	int rc = INN_ENOMEM;

	*out_docs = NULL;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return INN_ENOMEM;
	c->err = err;
	c->errlen = errlen;
	if (!yaml_parser_initialize(&c->p))
		goto out_free;
	yaml_parser_set_input_string(&c->p, (const unsigned char *)yaml, len);
	yaml_parser_set_encoding(&c->p, YAML_UTF8_ENCODING);
	if ((docs = json_object_new_array()) == NULL)
		goto out;
	for (;;) {
		if ((rc = y_next(c, &e)) != 0)
			goto out;
		if (e.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&e);
			break;
		}
		if (e.type != YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&e);
			continue;                   /* STREAM_START */
		}
		yaml_event_delete(&e);
		c->doc++;
		y_anchors_free(c);              /* anchors belong to one document */
		if ((rc = y_next(c, &e)) != 0 || (rc = y_node(c, &e, 0, &v)) != 0)
			goto out;
		if (v != NULL)
			json_object_array_add(docs, v);
		if ((rc = y_next(c, &e)) != 0)          /* DOCUMENT_END */
			goto out;
		yaml_event_delete(&e);
	}
	*out_docs = docs;
	docs = NULL;
	rc = 0;
out:
	y_anchors_free(c);
	yaml_parser_delete(&c->p);
out_free:
	json_object_put(docs);
	free(c);
	return rc;
}

const char *
pu_kube_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}
