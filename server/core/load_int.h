/*
 * load_int.h - helpers shared by the loaders (load_workflow.c,
 * load_provider.c, load_score.c, catalog.c) and nobody else: reporting a
 * problem at a YAML node, reading typed fields with kind checks, parameter
 * declarations, reading a YAML input, and confining a written path to a
 * folder.
 */
#ifndef INN_CORE_LOAD_INT_H
#define INN_CORE_LOAD_INT_H

#include <stddef.h>

#include "array.h"
#include "model.h"
#include "yaml_tree.h"

/* One file being loaded: where its messages go. */
typedef struct inn_lctx {
	const char *file;     /* the name used in messages */
	inn_diag *diag;
} inn_lctx;

#define INN_L_PATH_MAX 512

/* diag.c: a diagnostic of level at node (position 0:0 when node is NULL);
 * inn_l_err / inn_l_warn for an error / a warning. */
void inn_l_report(const inn_lctx *lc, inn_diag_level level, const inn_ynode *at,
                  const char *fmt, ...) INN_PRINTF_LIKE(4, 5);
#define inn_l_err(lc, at, ...) inn_l_report((lc), INN_DIAG_ERROR, (at), __VA_ARGS__)
#define inn_l_warn(lc, at, ...) inn_l_report((lc), INN_DIAG_WARNING, (at), __VA_ARGS__)
/* Records inn_error_last() (e.g. "file:3:7: problem" from the YAML parser)
 * as an error, splitting off a leading "file:line:col: " when present. */
void inn_l_err_last(inn_diag *d, const char *file);
/* Warns "file:line: a second YAML document is ignored: only the first
 * ..." when something follows the first document of doc (yaml_tree.h:
 * next_doc_line). */
void inn_l_next_doc(inn_diag *d, const inn_ydoc *doc);
/* path + "." + key (or key alone when path is empty) into buf. */
const char *inn_l_path(char *buf, size_t len, const char *path, const char *key);
/* path + "[i]" into buf. */
const char *inn_l_index(char *buf, size_t len, const char *path, size_t i);
/* Checks node's kind; otherwise reports "path: must be a mapping, not a
 * list" and returns -1. */
int inn_l_kind(const inn_lctx *lc, const inn_ynode *node, inn_ynode_kind kind,
               const char *path);
/* Warns about every key of map not in known (NULL-terminated). */
void inn_l_unknown_keys(const inn_lctx *lc, const inn_ynode *map,
                        const char *const *known, const char *path);
/* Non-zero for a plain null scalar (`~`, `null`, nothing). */
int inn_l_is_null(const inn_ynode *node);
/* Reads map[key] as a string into *out (malloc'd; untouched when absent or
 * null).  Non-scalars are reported; returns -1 then (or on ENOMEM). */
int inn_l_string(const inn_lctx *lc, const inn_ynode *map, const char *key,
                 const char *path, char **out);
/* inn_l_string() for a field that must be there: an absent or null one is
 * reported ("PATH: missing required field "KEY"", at map) and gives -1. */
int inn_l_required_string(const inn_lctx *lc, const inn_ynode *map, const char *key,
                          const char *path, char **out);
/* Reads a plain true/false into *out; returns -1 (reported) otherwise. */
int inn_l_bool(const inn_lctx *lc, const inn_ynode *node, const char *path, int *out);
/* Reads a string or a list of strings into a new vector. */
int inn_l_strlist(const inn_lctx *lc, const inn_ynode *node, const char *path,
                  char ***out, size_t *n);
void inn_l_strv_free(char **v, size_t n);
/* Non-zero when s matches [A-Za-z0-9][A-Za-z0-9_-]* and is at most 128 long
 * (step, workflow and provider names). */
int inn_l_name_ok(const char *s);

/* diag.c: names seen so far in a file (capability types, workflow names),
 * so that checking each new one against all earlier ones stays O(1)
 * expected instead of a scan.  A hash table with a per-set random seed;
 * names are not copied and must outlive the set.  Zero-initialise. */
typedef struct inn_l_names {
	struct inn_l_name *slots;
	size_t cap, n;
	size_t seed;
} inn_l_names;
/* The id stored under name, or (size_t)-1. */
size_t inn_l_names_get(const inn_l_names *set, const char *name);
/* Stores name -> id unless name is present; returns 0, or -1 on ENOMEM. */
int inn_l_names_put(inn_l_names *set, const char *name, size_t id);
void inn_l_names_free(inn_l_names *set);

/* load_param.c: one parameter declaration.  name_key is the map key
 * holding the name (golden paths: `pname: {...}`) or NULL when the name is
 * the node's `name:` field (workflow parameter lists).  Returns 0 when the
 * declaration was usable (*out filled), -1 otherwise (reported). */
int inn_l_param_parse(const inn_lctx *lc, const inn_ynode *node,
                      const inn_ynode *name_key, const char *path, inn_param *out);
void inn_l_params_free(inn_param *params, size_t n);
/* A default v of p (a YAML default, or the older golden-path form's text)
 * as a run would take it if given: converted to p's type, within the size
 * limit of every value, allowed, matching the pattern, within the bounds; a
 * template (reading another parameter) is kept as text.  *out: a new
 * reference (NULL for NULL).  0, or -1 with why. */
int inn_l_param_default(const inn_param *p, json_object *v, json_object **out, char *why,
                        size_t len);
void inn_l_param_free(inn_param *p);
/* strdup of s, NULL for NULL; sets *bad when out of memory. */
char *inn_l_dup(const char *s, int *bad);
/* A deep copy of src into dst (its pattern compiled anew).  0, or -1 when
 * out of memory (dst then holds nothing). */
int inn_l_param_copy(inn_param *dst, const inn_param *src);

/* load_workflow.c: what a caller adds when it loads a workflow file.
 * params: the parameters a golden path declares for it -- they join the
 * workflow's own, and replace one of the same name (the golden path's
 * declaration is what a run of it follows), before its templates are
 * checked; provider: a provider's workflow, whose templates may read the
 * standard inputs without declaring them (model.h). */
typedef struct inn_l_wf_extra {
	const inn_param *params;
	size_t nparams;
	int provider;
	/* the folder the steps' relative paths refer to (a provider's folder;
	 * NULL: the file's): plugins check the written-out ones against it at
	 * load */
	const char *base_dir;
	/* legacy: params come from the older required_params/optional_params
	 * form, names only: one the workflow declares keeps its declaration
	 * (type, pattern, allowed values), only required and the default
	 * change, the default checked against it (reported in lc at at[k]) */
	int legacy;
	const inn_lctx *lc;
	const inn_ynode *const *at;
	/* names whose golden-path declaration was refused (already reported:
	 * their references are not reported again) */
	const char *const *refused;
	size_t nrefused;
} inn_l_wf_extra;
/* wf->param_byname: the parameters sorted by name; -1 on ENOMEM. */
int inn_l_params_index(inn_workflow *wf);

/* load_file.c: parses one YAML input -- text[0..len) when text is not
 * NULL (name is used in messages), else the file at name -- into *doc.  A
 * parser error is recorded in diag; returns 0, INN_ENOTFOUND (no such
 * file) or INN_EINVAL. */
int inn_l_read(inn_ydoc **doc, const char *name, const char *text, size_t len,
               inn_diag *diag);
/* load_file.c: inn_l_read, then build(out, name, doc, arg, diag) on the
 * document, which is freed afterwards.  Returns build's result or
 * inn_l_read's error. */
typedef int (*inn_l_build_fn)(void *out, const char *name, const inn_ydoc *doc,
                              const void *arg, inn_diag *diag);
int inn_l_load_yaml(const char *name, const char *text, size_t len, inn_l_build_fn build,
                    void *out, const void *arg, inn_diag *diag);
/* load_workflow.c: inn_workflow_load_string (text) or _file (text NULL:
 * the file name) with the extras x (NULL: none). */
int inn_l_workflow_load_in(inn_workflow **out, const char *name, const char *text,
                           size_t len, const inn_load_ctx *ctx, const inn_l_wf_extra *x,
                           inn_diag *diag);
/* load_file.c: resolves rel (as written at node at) against base_dir
 * and checks that the real path stays inside root (a realpath).  Sets
 * *out to "base_dir/rel" (for messages and loading) and *real (optional)
 * to its realpath.  want_dir selects directory or regular file.  Returns 0
 * or -1 (reported: absolute, missing, escaping, wrong kind). */
int inn_l_confine(const inn_lctx *lc, const inn_ynode *at, const char *field,
                  const char *root, const char *base_dir, const char *rel,
                  int want_dir, char **out, char **real);
/* "a/b" joined (malloc'd). */
char *inn_l_join(const char *a, const char *b);

#endif
