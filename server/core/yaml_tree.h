/*
 * yaml_tree.h - YAML documents as trees that remember where each node was
 * written (file, line, column), so every loader error can name its place.
 * Built on libyaml's event parser.  Anchors and aliases share nodes.
 */
#ifndef INN_CORE_YAML_TREE_H
#define INN_CORE_YAML_TREE_H

#include <stddef.h>

#include <json-c/json.h>

typedef enum inn_ynode_kind {
	INN_Y_SCALAR = 1,
	INN_Y_SEQ = 2,
	INN_Y_MAP = 3
} inn_ynode_kind;

typedef struct inn_ynode inn_ynode;
struct inn_ynode {
	inn_ynode_kind kind;
	int line, col;        /* 1-based position of the node's start */
	char *value;          /* scalars: the text (NUL-terminated) */
	size_t len;
	int plain;            /* scalars: unquoted, so typed (true, 42, null) */
	inn_ynode **items;    /* seq: items; map: key0, value0, key1, value1, ... */
	size_t n;             /* number of entries in items */
	int refs;             /* aliases share nodes */
	size_t *byname;       /* big maps: key indices sorted by key text (or NULL),
	                       * so lookups and the duplicate check stay O(log n) */
};

typedef struct inn_ydoc {
	char *file;           /* the name used in messages */
	inn_ynode *root;      /* NULL for an empty document */
	int next_doc_line;    /* line where something follows the first document
	                       * (a second "---" document), 0 when nothing does;
	                       * it is not read: loaders warn that it is ignored */
} inn_ydoc;

/* Parses the first document of a file.  On error returns INN_EINVAL (or
 * INN_ENOTFOUND for a missing file) with "file:line:col: problem".  What
 * follows the first document is not parsed; see next_doc_line. */
int inn_yaml_load_file(inn_ydoc **out, const char *path);
int inn_yaml_load_string(inn_ydoc **out, const char *name, const char *buf, size_t len);
void inn_ydoc_free(inn_ydoc *doc);

/* Number of key/value pairs of a map. */
#define INN_YMAP_LEN(m) ((m)->n / 2)
#define INN_YMAP_KEY(m, i) ((m)->items[2 * (i)])
#define INN_YMAP_VAL(m, i) ((m)->items[2 * (i) + 1])

/* The value under a scalar key of a map, or NULL.  O(log n) for big maps. */
const inn_ynode *inn_ymap_get(const inn_ynode *map, const char *key);
/* The key node of key in a map (for its position), or NULL. */
const inn_ynode *inn_ymap_key(const inn_ynode *map, const char *key);
/* Non-zero when node is a scalar (a key's text, a value). */
int inn_ynode_is_scalar(const inn_ynode *node);
/* Human name of a node kind for messages: "a mapping", "a list", "a scalar". */
const char *inn_ynode_kind_name(const inn_ynode *node);

/* Converts a subtree to JSON with typed scalars: plain true/false, null/~,
 * integers and floats become JSON types; quoted scalars stay strings.
 * Returns NULL (with an error message) if the tree expands beyond a sane
 * size through aliases. */
json_object *inn_ynode_to_json(const inn_ynode *node);
/* The same with a node budget of the caller's (the API's Score specs get a
 * much smaller one than files an admin installs: INN_SPEC_MAX_NODES). */
json_object *inn_ynode_to_json_max(const inn_ynode *node, size_t max_nodes);
/* The same, and on failure *at is where it ran out: the innermost mapping
 * key whose value passes the budget (an alias used under it), else node. */
json_object *inn_ynode_to_json_where(const inn_ynode *node, size_t max_nodes,
                                     const inn_ynode **at);

#endif
