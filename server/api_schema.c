/*
 * api_schema.c - the notation of api_schema.h made into JSON Schema
 * (2020-12, as OpenAPI 3.1 takes it).  A recursive descent over the text;
 * the named schemas it refers to are in api_schema_names.c.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api_schema.h"
#include "api_schema_int.h"
#include "state.h"

struct sp {
	const char *s, *p;       /* the whole text, where we are */
	char err[200];
};

static json_object *parse_type(struct sp *x);

static void
ws(struct sp *x)
{
	while (isspace((unsigned char)*x->p))
		x->p++;
}

/* Records the first error; NULL for the caller to return. */
static json_object *
bad(struct sp *x, const char *what)
{
	if (x->err[0] == '\0')
		snprintf(x->err, sizeof(x->err), "%s at offset %d of \"%.80s\"", what,
		         (int)(x->p - x->s), x->s);
	return NULL;
}

static int
eat(struct sp *x, char c)
{
	ws(x);
	if (*x->p != c)
		return 0;
	x->p++;
	return 1;
}

/* An identifier ([A-Za-z0-9_-]+) into buf; its length (0: none). */
static size_t
ident(struct sp *x, char *buf, size_t len)
{
	size_t n = 0;

	ws(x);
	while ((isalnum((unsigned char)x->p[n]) || x->p[n] == '_' || x->p[n] == '-') && n + 1 < len)
		n++;
	memcpy(buf, x->p, n);
	buf[n] = '\0';
	x->p += n;
	return n;
}

static json_object *
typed(const char *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(t));
	return o;
}

static json_object *
ref(const char *name)
{
	json_object *o = json_object_new_object();
	char buf[160];

	snprintf(buf, sizeof(buf), "#/components/schemas/%s", name);
	json_object_object_add(o, "$ref", json_object_new_string(buf));
	return o;
}

/* Copies the properties and required list of the named schema into props, req. */
static int
spread(struct sp *x, const char *name, json_object *props, json_object *req)
{
	const char *text = inn_schema_named(name);
	json_object *s, *v;
	size_t i;

	if (text == NULL)
		return bad(x, "unknown schema to spread"), -1;
	s = inn_schema_parse(text);
	if (json_object_object_get_ex(s, "x-invalid-schema", NULL)) {
		json_object_put(s);
		return bad(x, "the spread schema is invalid"), -1;
	}
	if (json_object_object_get_ex(s, "properties", &v)) {
		json_object_object_foreach(v, k, pv)
			json_object_object_add(props, k, json_object_get(pv));
	}
	if (json_object_object_get_ex(s, "required", &v))
		for (i = 0; i < json_object_array_length(v); i++)
			json_object_array_add(req, json_object_get(json_object_array_get_idx(v, i)));
	json_object_put(s);
	return 0;
}

/* Drops key from the array of strings req (a later member redeclares it). */
static void
unrequire(json_object *req, const char *key)
{
	size_t i;

	for (i = 0; i < json_object_array_length(req); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(req, i)), key) == 0) {
			json_object_array_del_idx(req, i, 1);
			return;
		}
}

/* "{" seen: members up to "}". */
static json_object *
parse_object(struct sp *x)
{
	json_object *o = typed("object"), *props = json_object_new_object();
	json_object *req = json_object_new_array();
	int open = 0, empty;
	char key[80];

	if (!(empty = eat(x, '}')))
		do {
			json_object *t;
			int must;

			ws(x);
			if (strncmp(x->p, "...", 3) == 0) {
				x->p += 3;
				if (ident(x, key, sizeof(key)) == 0 || spread(x, key, props, req) != 0)
					goto fail;
				continue;
			}
			if (eat(x, '*')) {
				open = 1;
				continue;
			}
			if (ident(x, key, sizeof(key)) == 0) {
				bad(x, "expected a member name");
				goto fail;
			}
			must = eat(x, '!');
			if (!eat(x, ':')) {
				bad(x, "expected \":\"");
				goto fail;
			}
			if ((t = parse_type(x)) == NULL)
				goto fail;
			if (eat(x, '"')) {
				const char *end = strchr(x->p, '"');

				if (end == NULL) {
					json_object_put(t);
					bad(x, "unterminated description");
					goto fail;
				}
				json_object_object_add(t, "description",
				                       json_object_new_string_len(x->p, (int)(end - x->p)));
				x->p = end + 1;
			}
			json_object_object_add(props, key, t);
			unrequire(req, key);
			if (must)
				json_object_array_add(req, json_object_new_string(key));
		} while (eat(x, ','));
	if (!empty && !eat(x, '}')) {
		bad(x, "expected \"}\"");
		goto fail;
	}
	json_object_object_add(o, "properties", props);
	if (json_object_array_length(req) > 0)
		json_object_object_add(o, "required", req);
	else
		json_object_put(req);
	if (!open)
		json_object_object_add(o, "additionalProperties", json_object_new_boolean(0));
	return o;
fail:
	json_object_put(o);
	json_object_put(props);
	json_object_put(req);
	return NULL;
}

/* [T] and map<T> after their opening: T, then close; a schema of type
 * whose member key is T's schema. */
static json_object *
container(struct sp *x, char close, const char *type, const char *key)
{
	json_object *o, *t = parse_type(x);

	if (t == NULL)
		return NULL;
	if (!eat(x, close)) {
		json_object_put(t);
		return bad(x, close == ']' ? "expected \"]\"" : "expected \">\"");
	}
	o = typed(type);
	json_object_object_add(o, key, t);
	return o;
}

static json_object *
parse_base(struct sp *x)
{
	static const char *const bases[] = { "string", "integer", "number", "boolean", "null",
	                                     "object" };
	char word[80];
	size_t i;

	ws(x);
	if (eat(x, '['))
		return container(x, ']', "array", "items");
	if (eat(x, '{'))
		return parse_object(x);
	if (eat(x, '\'')) {
		const char *end = strchr(x->p, '\'');
		json_object *o, *e;

		if (end == NULL)
			return bad(x, "unterminated 'word'");
		o = typed("string");
		e = json_object_new_array();
		json_object_array_add(e, json_object_new_string_len(x->p, (int)(end - x->p)));
		json_object_object_add(o, "enum", e);
		x->p = end + 1;
		return o;
	}
	if (ident(x, word, sizeof(word)) == 0)
		return bad(x, "expected a type");
	if (strcmp(word, "any") == 0)
		return json_object_new_object();
	if (strcmp(word, "map") == 0) {
		if (!eat(x, '<'))
			return bad(x, "expected \"<\" after map");
		return container(x, '>', "object", "additionalProperties");
	}
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		if (strcmp(word, bases[i]) == 0)
			return typed(word);
	if (isupper((unsigned char)word[0])) {
		if (inn_schema_named(word) == NULL)
			return bad(x, "unknown schema name");
		return ref(word);
	}
	return bad(x, "unknown type");
}

/* t may also be null: a "type" gets "null" added (an enum too), anything
 * else ($ref, any) becomes anyOf [t, null]. */
static json_object *
nullable(json_object *t)
{
	json_object *ty, *e, *any, *n;

	if (json_object_object_get_ex(t, "type", &ty)) {
		json_object *list = json_object_new_array();

		json_object_array_add(list, json_object_get(ty));
		json_object_array_add(list, json_object_new_string("null"));
		json_object_object_add(t, "type", list);
		if (json_object_object_get_ex(t, "enum", &e))
			json_object_array_add(e, NULL);
		return t;
	}
	if (json_object_object_length(t) == 0)
		return t;       /* any includes null */
	any = json_object_new_array();
	n = typed("null");
	json_object_array_add(any, t);
	json_object_array_add(any, n);
	t = json_object_new_object();
	json_object_object_add(t, "anyOf", any);
	return t;
}

static json_object *
parse_primary(struct sp *x)
{
	json_object *t = parse_base(x);

	if (t != NULL && eat(x, '?'))
		t = nullable(t);
	return t;
}

/* A string enum of one word or more: its "enum" (else NULL). */
static json_object *
enum_of(json_object *t)
{
	json_object *ty, *e;

	if (json_object_object_length(t) == 2 && json_object_object_get_ex(t, "type", &ty) &&
	    json_object_is_type(ty, json_type_string) &&
	    strcmp(json_object_get_string(ty), "string") == 0 &&
	    json_object_object_get_ex(t, "enum", &e))
		return e;
	return NULL;
}

static json_object *
parse_type(struct sp *x)
{
	json_object *first = parse_primary(x), *any = NULL, *t;

	while (first != NULL && eat(x, '|')) {
		json_object *e1, *e2;
		size_t i;

		if ((t = parse_primary(x)) == NULL) {
			json_object_put(first);
			json_object_put(any);
			return NULL;
		}
		/* 'a'|'b' is one enum */
		if (any == NULL && (e1 = enum_of(first)) != NULL && (e2 = enum_of(t)) != NULL) {
			for (i = 0; i < json_object_array_length(e2); i++)
				json_object_array_add(e1, json_object_get(
				    json_object_array_get_idx(e2, i)));
			json_object_put(t);
			continue;
		}
		if (any == NULL) {
			any = json_object_new_array();
			json_object_array_add(any, first);
			first = json_object_new_object();
			json_object_object_add(first, "anyOf", any);
		}
		json_object_array_add(any, t);
	}
	return first;
}

json_object *
inn_schema_parse(const char *text)
{
	struct sp x;
	json_object *t;

	memset(&x, 0, sizeof(x));
	x.s = x.p = text;
	t = parse_type(&x);
	if (t != NULL) {
		ws(&x);
		if (*x.p != '\0') {
			json_object_put(t);
			t = bad(&x, "trailing text");
		}
	}
	if (t == NULL) {
		fprintf(stderr, "innominatus: openapi: %s\n", x.err);
		t = json_object_new_object();
		json_object_object_add(t, "x-invalid-schema", json_object_new_string(x.err));
	}
	return t;
}

/* components.schemas: the named schemas (api_schema_names.c), parsed. */
json_object *
inn_schema_components(void)
{
	json_object *out = json_object_new_object();
	size_t i, n;
	const struct inn_schema_name *names = inn_schema_names(&n);
	int s;

	for (i = 0; i < n; i++) {
		json_object *t = inn_schema_parse(names[i].text);

		if (strcmp(names[i].name, "State") == 0) {
			/* the engine's own words, never a copy of them */
			json_object *e = json_object_new_array();

			for (s = INN_STATE_PENDING; s <= INN_STATE_INTERRUPTED; s++)
				json_object_array_add(e, json_object_new_string(inn_state_name(s)));
			json_object_object_add(t, "enum", e);
		}
		if (names[i].description != NULL)
			json_object_object_add(t, "description",
			                       json_object_new_string(names[i].description));
		json_object_object_add(out, names[i].name, t);
	}
	return out;
}
