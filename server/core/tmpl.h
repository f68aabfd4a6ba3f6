/*
 * tmpl.h - the template engine: `${...}` references and the subset of Go
 * templates the original providers use, rendered into already-parsed
 * values (json-c trees), never into text that is parsed again.
 *
 * The data a template sees is one JSON object, e.g.
 *   { "parameters": {...}, "variables": {...}, "steps": {"build": {"outputs": {...}}},
 *     "resources": {"db": {...}}, "secrets": {...}, "workflow": {...}, "app": {...} }
 *
 * Syntax:
 *   ${parameters.x} ${steps.<step>.outputs.<k>} ${resources.<r>.<k>}
 *   ${secrets.<name>} ${variables.X} and bare ${APP_NAME} (looked up in
 *   data.variables, then top-level data)
 *   {{ .parameters.x }} {{ .steps.<step>.output.<k> }} (output or outputs)
 *   {{ if ... }} {{ else if ... }} {{ else }} {{ end }}, eq ne not and or,
 *   {{ range $k, $v := .x }} ... {{ end }} (also range $v / range .x with {{ . }}),
 *   {{- and -}} trim markers; "$$" escapes a literal "$" before "{".
 *   Hyphenated names work in both forms ({{ .steps.create-ns.outputs.id }}).
 *
 * Typing: a string that is exactly one reference (`${x}` or `{{ .x }}`) keeps
 * the referenced value's type (false stays false, maps stay maps); anything
 * else is text.  A reference to a key that does not exist is an error naming
 * it (never "<no value>"); a key present with value null renders as "".
 */
#ifndef INN_CORE_TMPL_H
#define INN_CORE_TMPL_H

#include <stddef.h>

#include <json-c/json.h>

#include "mask.h"

/* Shell mode: instead of splicing a value into script text, the engine asks
 * bind() for an environment variable that will hold it and writes a
 * reference to that variable ("${INN_T_1}") into the text.  bind returns 0
 * and the variable name in name (size namelen). */
typedef int (*inn_tmpl_bind_fn)(void *ud, const char *value, char *name, size_t namelen);

typedef struct inn_tmpl_env {
	json_object *data;        /* the data object (borrowed) */
	inn_masker *masker;       /* secrets referenced are registered here (may be NULL) */
	inn_tmpl_bind_fn bind;    /* non-NULL: shell mode for inn_tmpl_render_string */
	void *bind_ud;
} inn_tmpl_env;

/* Renders every string inside in (deeply) and returns a new tree in *out.
 * path names the field for messages ("config"); errors read e.g.
 * `config.manifest: {{ .parameters.nme }}: parameters.nme is not defined`. */
int inn_tmpl_render(const inn_tmpl_env *env, json_object *in, const char *path,
                    json_object **out);

/* Renders one string to text (*out malloc'd).  In shell mode (env->bind set)
 * value references become variable references. */
int inn_tmpl_render_string(const inn_tmpl_env *env, const char *tmpl, char **out);

/* Renders one string keeping the type if it is a single reference. */
int inn_tmpl_render_value(const inn_tmpl_env *env, const char *tmpl, json_object **out);

/* Truthiness of a rendered condition: false, null, "", "false", "0", 0 and
 * empty arrays/objects are false. */
int inn_tmpl_truthy(json_object *v);

/* Calls fn for each data path a template references ("parameters.x",
 * "steps.build.outputs.url"), so loaders can check them before any run.
 * Returns 0, or INN_EINVAL with a syntax error message (offset included). */
typedef int (*inn_tmpl_ref_fn)(void *ud, const char *ref);
int inn_tmpl_refs(const char *tmpl, inn_tmpl_ref_fn fn, void *ud);

/* Non-zero if s contains template syntax at all. */
int inn_tmpl_has_syntax(const char *s);

#endif
