/*
 * yaml_tree.c - libyaml events to an inn_ynode tree with positions (see
 * yaml_tree.h).  Depth and alias expansion are bounded so hostile input
 * cannot exhaust the stack or memory.
 */
#include "yaml_tree.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "array.h"
#include "error.h"

#define MAX_DEPTH 256
#define MAX_JSON_NODES 1000000
#define MAX_ANCHORS 4096
/* Maps with more keys than this get a sorted key index (inn_ynode.byname);
 * smaller ones are scanned, which is cheaper for the usual handful. */
#define INDEX_MIN_KEYS 8
/* Open-addressing table of anchor names (a power of two > 2 * MAX_ANCHORS
 * keeps probe chains short). */
#define ANCHOR_SLOTS 8192

struct anchor {
	char *name;
	inn_ynode *node;
};

struct builder {
	yaml_parser_t parser;
	const char *file;
	struct anchor *anchors;
	size_t nanchors;
	unsigned short *slots;  /* ANCHOR_SLOTS entries: anchor index + 1, 0 free */
	int depth;
};

static void
node_unref(inn_ynode *n)
{
	size_t i;

	if (n == NULL || --n->refs > 0)
		return;
	for (i = 0; i < n->n; i++)
		node_unref(n->items[i]);
	free(n->items);
	free(n->byname);
	free(n->value);
	free(n);
}

static inn_ynode *
node_new(inn_ynode_kind kind, const yaml_mark_t *mark)
{
	inn_ynode *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->kind = kind;
	n->line = (int)mark->line + 1;
	n->col = (int)mark->column + 1;
	n->refs = 1;
	return n;
}

static int
node_append(inn_ynode *parent, inn_ynode *child)
{
	if ((parent->n & (parent->n - 1)) == 0 || parent->n == 0) {
		size_t ncap = parent->n ? parent->n * 2 : 4;
		inn_ynode **ni;

		if (ncap < 4)
			ncap = 4;
		if ((ni = realloc(parent->items, ncap * sizeof(*ni))) == NULL)
			return INN_ENOMEM;
		parent->items = ni;
	}
	parent->items[parent->n++] = child;
	return 0;
}

static int
parse_error(struct builder *b)
{
	yaml_parser_t *p = &b->parser;
	const yaml_mark_t *m = &p->problem_mark;

	if (p->error == YAML_MEMORY_ERROR)
		return inn_error_set(INN_ENOMEM, "%s: out of memory parsing YAML", b->file);
	if (p->context != NULL)
		return inn_error_set(INN_EINVAL, "%s:%zu:%zu: %s %s (started at line %zu)",
		                     b->file, m->line + 1, m->column + 1, p->problem,
		                     p->context, p->context_mark.line + 1);
	return inn_error_set(INN_EINVAL, "%s:%zu:%zu: %s", b->file, m->line + 1,
	                     m->column + 1, p->problem ? p->problem : "invalid YAML");
}

/* FNV-1a of an anchor name.  Not seeded: a crafted set of colliding
 * names costs at most the MAX_ANCHORS-long scan a list would. */
static size_t
anchor_hash(const char *name)
{
	size_t h = 2166136261u;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

/* The table slot holding name, or the free slot where it belongs. */
static size_t
anchor_slot(const struct builder *b, const char *name)
{
	size_t i = anchor_hash(name) & (ANCHOR_SLOTS - 1);

	while (b->slots[i] != 0 &&
	       strcmp(b->anchors[b->slots[i] - 1].name, name) != 0)
		i = (i + 1) & (ANCHOR_SLOTS - 1);
	return i;
}

/* Registers node under name; a later anchor of the same name replaces the
 * earlier one for the aliases that follow (YAML's rule). */
static int
remember_anchor(struct builder *b, const yaml_char_t *name, inn_ynode *node,
                const yaml_mark_t *mark)
{
	struct anchor *na;

	if (name == NULL)
		return 0;
	if (b->nanchors >= MAX_ANCHORS)
		return inn_error_set(INN_EINVAL, "%s:%zu:%zu: more than %d anchors",
		                     b->file, mark->line + 1, mark->column + 1, MAX_ANCHORS);
	if (b->slots == NULL &&
	    (b->slots = calloc(ANCHOR_SLOTS, sizeof(*b->slots))) == NULL)
		return INN_ENOMEM;
	if ((na = realloc(b->anchors, (b->nanchors + 1) * sizeof(*na))) == NULL)
		return INN_ENOMEM;
	b->anchors = na;
	if ((na[b->nanchors].name = strdup((const char *)name)) == NULL)
		return INN_ENOMEM;
	na[b->nanchors].node = node;
	node->refs++;
	b->nanchors++;
	b->slots[anchor_slot(b, (const char *)name)] = (unsigned short)b->nanchors;
	return 0;
}

/* Sorts a map's key indices by key text, equal keys in file order. */
static int
cmp_keys(const void *a, const void *b, void *ud)
{
	const inn_ynode *map = ud;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	int c = strcmp(INN_YMAP_KEY(map, ia)->value, INN_YMAP_KEY(map, ib)->value);

	if (c != 0)
		return c;
	return ia < ib ? -1 : ia > ib;
}

/* Checks a complete map: every key a scalar, no key twice.  The first
 * problem in file order is reported, a duplicate naming the line of the
 * key's first occurrence.  Big maps get their sorted index here (O(n log n)
 * instead of comparing every key with every earlier one). */
static int
check_map(struct builder *b, inn_ynode *map)
{
	size_t nkeys = INN_YMAP_LEN(map), nscalar, i, j, g, dup = (size_t)-1, first = 0;

	for (nscalar = 0; nscalar < nkeys; nscalar++)
		if (INN_YMAP_KEY(map, nscalar)->kind != INN_Y_SCALAR)
			break;
	if (nscalar <= INDEX_MIN_KEYS) {
		for (i = 0; i < nscalar && dup == (size_t)-1; i++)
			for (j = 0; j < i; j++)
				if (strcmp(INN_YMAP_KEY(map, j)->value,
				           INN_YMAP_KEY(map, i)->value) == 0) {
					dup = i;
					first = j;
					break;
				}
	} else {
		if ((map->byname = malloc(nscalar * sizeof(*map->byname))) == NULL)
			return inn_error_set(INN_ENOMEM, "%s: out of memory", b->file);
		for (i = 0; i < nscalar; i++)
			map->byname[i] = i;
		qsort_r(map->byname, nscalar, sizeof(*map->byname), cmp_keys, map);
		/* sorted by (text, index): each run of equal keys starts with
		 * the first occurrence, its second entry is the earliest repeat;
		 * the repeat met first in file order is reported */
		for (g = 0, i = 1; i < nscalar; i++) {
			if (strcmp(INN_YMAP_KEY(map, map->byname[g])->value,
			           INN_YMAP_KEY(map, map->byname[i])->value) != 0)
				g = i;
			else if (i == g + 1 && map->byname[i] < dup) {
				dup = map->byname[i];
				first = map->byname[g];
			}
		}
	}
	if (dup != (size_t)-1)
		return inn_error_set(INN_EINVAL, "%s:%d:%d: duplicate key \"%s\" (first at "
		                     "line %d)", b->file, INN_YMAP_KEY(map, dup)->line,
		                     INN_YMAP_KEY(map, dup)->col, INN_YMAP_KEY(map, dup)->value,
		                     INN_YMAP_KEY(map, first)->line);
	if (nscalar < nkeys) {
		const inn_ynode *k = INN_YMAP_KEY(map, nscalar);

		return inn_error_set(INN_EINVAL, "%s:%d:%d: mapping keys must be scalars",
		                     b->file, k->line, k->col);
	}
	return 0;
}

static int parse_node(struct builder *b, yaml_event_t *ev, inn_ynode **out);

/* Parses children until the matching end event. */
static int
parse_children(struct builder *b, inn_ynode *parent, yaml_event_type_t end)
{
	for (;;) {
		yaml_event_t ev;
		inn_ynode *child = NULL;
		int rc;

		if (!yaml_parser_parse(&b->parser, &ev))
			return parse_error(b);
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		rc = parse_node(b, &ev, &child);
		yaml_event_delete(&ev);
		if (rc != 0)
			return rc;
		if (node_append(parent, child) != 0) {
			node_unref(child);
			return inn_error_set(INN_ENOMEM, "%s: out of memory", b->file);
		}
	}
	if (parent->kind == INN_Y_MAP)
		return check_map(b, parent);
	return 0;
}

static int
parse_node(struct builder *b, yaml_event_t *ev, inn_ynode **out)
{
	inn_ynode *n = NULL;
	int rc = 0;
	size_t i;

	*out = NULL;
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		if (b->slots != NULL) {
			i = anchor_slot(b, (const char *)ev->data.alias.anchor);
			if (b->slots[i] != 0) {
				n = b->anchors[b->slots[i] - 1].node;
				n->refs++;
				*out = n;
				return 0;
			}
		}
		return inn_error_set(INN_EINVAL, "%s:%zu:%zu: unknown alias *%s", b->file,
		                     ev->start_mark.line + 1, ev->start_mark.column + 1,
		                     ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		/* a "\0" escape: every consumer reads scalars as C strings, so a
		 * NUL would cut "app\0x" to "app" unseen */
		if (memchr(ev->data.scalar.value, 0, ev->data.scalar.length) != NULL)
			return inn_error_set(INN_EINVAL, "%s:%zu:%zu: a NUL character (\\0) in a "
			                     "scalar is refused: names and values are text without "
			                     "NUL", b->file, ev->start_mark.line + 1,
			                     ev->start_mark.column + 1);
		if ((n = node_new(INN_Y_SCALAR, &ev->start_mark)) == NULL)
			goto nomem;
		n->len = ev->data.scalar.length;
		if ((n->value = malloc(n->len + 1)) == NULL)
			goto nomem;
		memcpy(n->value, ev->data.scalar.value, n->len);
		n->value[n->len] = '\0';
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		           ev->data.scalar.tag == NULL;
		rc = remember_anchor(b, ev->data.scalar.anchor, n, &ev->start_mark);
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (++b->depth > MAX_DEPTH) {
			rc = inn_error_set(INN_EINVAL, "%s:%zu:%zu: nesting deeper than %d",
			                   b->file, ev->start_mark.line + 1,
			                   ev->start_mark.column + 1, MAX_DEPTH);
			break;
		}
		if ((n = node_new(ev->type == YAML_SEQUENCE_START_EVENT ? INN_Y_SEQ
		                                                        : INN_Y_MAP,
		                  &ev->start_mark)) == NULL)
			goto nomem;
		/* The anchor is registered only once the node is complete, so an
		 * alias inside its own anchor ("a: &a [*a]") is an unknown alias
		 * instead of a loop in the tree. */
		rc = parse_children(b, n, ev->type == YAML_SEQUENCE_START_EVENT
		                              ? YAML_SEQUENCE_END_EVENT
		                              : YAML_MAPPING_END_EVENT);
		if (rc == 0)
			rc = remember_anchor(b, ev->type == YAML_SEQUENCE_START_EVENT
			                            ? ev->data.sequence_start.anchor
			                            : ev->data.mapping_start.anchor,
			                     n, &ev->start_mark);
		b->depth--;
		break;
	default:
		rc = inn_error_set(INN_EINVAL, "%s:%zu:%zu: unexpected YAML event",
		                   b->file, ev->start_mark.line + 1,
		                   ev->start_mark.column + 1);
	}
	if (rc != 0) {
		node_unref(n);
		return rc;
	}
	*out = n;
	return 0;
nomem:
	node_unref(n);
	return inn_error_set(INN_ENOMEM, "%s: out of memory", b->file);
}

/* Reads events up to and including the first document's end, then looks
 * one event further: the line of a following document goes to
 * next_doc_line, its content unread (a malformed second document is
 * therefore a warning too; text the first document cannot end with, as in
 * "[1, 2] x", is an error). */
static int
build(struct builder *b, inn_ydoc *doc)
{
	yaml_event_t ev;
	int rc = 0, seen_root = 0;

	for (;;) {
		if (!yaml_parser_parse(&b->parser, &ev))
			return parse_error(b);    /* also junk right after the root */
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (seen_root) {
				doc->next_doc_line = (int)ev.start_mark.line + 1;
				yaml_event_delete(&ev);
				return 0;
			}
			break;
		case YAML_DOCUMENT_END_EVENT:
			seen_root = 1;    /* an empty first document ends here */
			break;
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			return 0;
		default:
			rc = parse_node(b, &ev, &doc->root);
			yaml_event_delete(&ev);
			if (rc != 0)
				return rc;
			seen_root = 1;
			continue;
		}
		yaml_event_delete(&ev);
	}
}

static int
load(inn_ydoc **out, const char *name, FILE *fp, const char *buf, size_t len)
{
	struct builder b;
	inn_ydoc *doc;
	size_t i;
	int rc;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.file = name;
	if ((doc = calloc(1, sizeof(*doc))) == NULL ||
	    (doc->file = strdup(name)) == NULL) {
		free(doc);
		return inn_error_set(INN_ENOMEM, "%s: out of memory", name);
	}
	if (!yaml_parser_initialize(&b.parser)) {
		inn_ydoc_free(doc);
		return inn_error_set(INN_ENOMEM, "%s: cannot initialise YAML parser", name);
	}
	if (fp != NULL)
		yaml_parser_set_input_file(&b.parser, fp);
	else
		yaml_parser_set_input_string(&b.parser, (const unsigned char *)buf, len);
	rc = build(&b, doc);
	yaml_parser_delete(&b.parser);
	for (i = 0; i < b.nanchors; i++) {
		free(b.anchors[i].name);
		node_unref(b.anchors[i].node);
	}
	free(b.anchors);
	free(b.slots);
	if (rc != 0) {
		inn_ydoc_free(doc);
		return rc;
	}
	*out = doc;
	return 0;
}

int
inn_yaml_load_file(inn_ydoc **out, const char *path)
{
	FILE *fp = fopen(path, "rb");
	int rc;

	*out = NULL;
	if (fp == NULL)
		return inn_error_set(errno == ENOENT ? INN_ENOTFOUND : INN_ERROR,
		                     "%s: cannot open: %s", path, strerror(errno));
	rc = load(out, path, fp, NULL, 0);
	fclose(fp);
	return rc;
}

int
inn_yaml_load_string(inn_ydoc **out, const char *name, const char *buf, size_t len)
{
	return load(out, name, NULL, buf, len);
}

void
inn_ydoc_free(inn_ydoc *doc)
{
	if (doc == NULL)
		return;
	node_unref(doc->root);
	free(doc->file);
	free(doc);
}

static const char *
key_name(const void *map, size_t i)
{
	return INN_YMAP_KEY((const inn_ynode *)map, i)->value;
}

/* Index of key in map, or -1. */
static long
map_find(const inn_ynode *map, const char *key)
{
	size_t i;

	if (map == NULL || map->kind != INN_Y_MAP)
		return -1;
	if (map->byname != NULL)
		return inn_index_find(map->byname, INN_YMAP_LEN(map), key_name, map, key,
		                      strlen(key));
	for (i = 0; i < INN_YMAP_LEN(map); i++)
		if (strcmp(INN_YMAP_KEY(map, i)->value, key) == 0)
			return (long)i;
	return -1;
}

const inn_ynode *
inn_ymap_get(const inn_ynode *map, const char *key)
{
	long i = map_find(map, key);

	return i < 0 ? NULL : INN_YMAP_VAL(map, (size_t)i);
}

const inn_ynode *
inn_ymap_key(const inn_ynode *map, const char *key)
{
	long i = map_find(map, key);

	return i < 0 ? NULL : INN_YMAP_KEY(map, (size_t)i);
}

int
inn_ynode_is_scalar(const inn_ynode *node)
{
	return node != NULL && node->kind == INN_Y_SCALAR;
}

const char *
inn_ynode_kind_name(const inn_ynode *node)
{
	if (node == NULL)
		return "nothing";
	switch (node->kind) {
	case INN_Y_MAP: return "a mapping";
	case INN_Y_SEQ: return "a list";
	case INN_Y_SCALAR: return "a scalar";
	}
	return "a node";
}

/* YAML 1.2 core-schema typing of a plain scalar. */
static json_object *
plain_scalar(const inn_ynode *n)
{
	const char *s = n->value;
	char *end;

	if (n->len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0)
		return NULL;
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0)
		return json_object_new_boolean(1);
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0)
		return json_object_new_boolean(0);
	if ((s[0] >= '0' && s[0] <= '9') || ((s[0] == '-' || s[0] == '+') &&
	                                     s[1] >= '0' && s[1] <= '9')) {
		long long ll;
		double d;

		errno = 0;
		ll = strtoll(s, &end, 10);
		if (*end == '\0' && errno == 0)
			return json_object_new_int64(ll);
		errno = 0;
		d = strtod(s, &end);
		if (*end == '\0' && errno == 0 && isfinite(d) &&
		    strpbrk(s, "xXpP") == NULL)
			return json_object_new_double(d);
	}
	return json_object_new_string_len(s, (int)n->len);
}

/* *at: the innermost mapping key whose value ran out of budget. */
static int
to_json(const inn_ynode *n, json_object **out, size_t *budget, const inn_ynode **at)
{
	json_object *o = NULL;
	size_t i;

	if (*budget == 0)
		return -1;
	(*budget)--;
	switch (n->kind) {
	case INN_Y_SCALAR:
		o = n->plain ? plain_scalar(n)
		             : json_object_new_string_len(n->value, (int)n->len);
		break;
	case INN_Y_SEQ:
		o = json_object_new_array();
		for (i = 0; i < n->n; i++) {
			json_object *c = NULL;

			if (to_json(n->items[i], &c, budget, at) != 0) {
				json_object_put(o);
				return -1;
			}
			json_object_array_add(o, c);
		}
		break;
	case INN_Y_MAP:
		o = json_object_new_object();
		for (i = 0; i < INN_YMAP_LEN(n); i++) {
			json_object *c = NULL;

			if (to_json(INN_YMAP_VAL(n, i), &c, budget, at) != 0) {
				if (*at == NULL)
					*at = INN_YMAP_KEY(n, i);
				json_object_put(o);
				return -1;
			}
			json_object_object_add(o, INN_YMAP_KEY(n, i)->value, c);
		}
		break;
	}
	*out = o;
	return 0;
}

json_object *
inn_ynode_to_json(const inn_ynode *node)
{
	return inn_ynode_to_json_max(node, MAX_JSON_NODES);
}

json_object *
inn_ynode_to_json_max(const inn_ynode *node, size_t max_nodes)
{
	const inn_ynode *at;

	return inn_ynode_to_json_where(node, max_nodes, &at);
}

json_object *
inn_ynode_to_json_where(const inn_ynode *node, size_t max_nodes, const inn_ynode **at)
{
	json_object *o = NULL;
	size_t budget = max_nodes;

	*at = NULL;
	if (node == NULL)
		return NULL;
	if (to_json(node, &o, &budget, at) != 0) {
		if (*at == NULL)
			*at = node;
		inn_error_set(INN_ETOOBIG, "YAML at line %d expands to more than %zu nodes "
		              "(alias bomb?)", (*at)->line, max_nodes);
		return NULL;
	}
	return o;
}
