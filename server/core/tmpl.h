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
 *   ${secrets.<name>} ${variables.X}; a dot-less ${NAME} is the shell's
 *   (left as it is: bash cannot have a dot in a name, a template always has)
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
 *
 * Decisions in detail (the engine is tmpl.c and the parts it names):
 * - `${path}`: path is [A-Za-z_][A-Za-z0-9_-]* ('.' [A-Za-z0-9_-]+)*, closed
 *   by '}' with no spaces.  Anything else after "${" (${VAR:-x}, ${#a},
 *   ${ x }) is left as shell text, and so is a path without a dot
 *   (${APP_NAME}, ${HOME}): never a template, anywhere.  "$${" writes "${"
 *   (the escape for literal ${a.b}).  Numeric segments index lists
 *   (${x.items.0}).
 * - The original's spellings are read as ours (loaders warn and name ours;
 *   load_check.c): a root that is none of ours (inn_tmpl_known_root),
 *   `<step>.<key>...`, means steps.<step>.outputs.<key>... (when the data
 *   has steps); `workflow.<X>` where data.workflow has
 *   no X means variables.X, else parameters.X.  Both forms, ${} and {{ }}.
 * - Actions are Go's: `{{- ` / ` -}}` (the dash needs the blank, as in Go)
 *   trim all whitespace, newlines included, on that side; Go comments
 *   (slash-star ... star-slash right inside the braces); fields `.a.b-c`,
 *   `$` (the data root) and `$.a`, range variables `$v` / `$v.a`; "str" with Go escapes, `raw`, numbers (int64 or double),
 *   true, false, nil; `( pipeline )`; `x | f a` calls f a x.  Outside any
 *   range `.` is the data root; inside `range` it is the element (as in Go,
 *   also with variables), so use `$.parameters.x` there.
 * - `.steps.<s>.output.<k>` (and ${steps.<s>.output.<k>}) means
 *   steps.<s>.outputs.<k>; hyphenated names are accepted in every position.
 * - Functions: eq a b [c...] (a equals any), ne, not, and, or (return the
 *   deciding argument; truthiness is inn_tmpl_truthy), len (bytes of a
 *   string, items of a list/object, 0 for null), default DEF VAL (VAL if
 *   truthy, else DEF), quote (JSON-quoted text; several args joined by
 *   blanks), now (UTC, RFC 3339).  Unknown names are syntax errors.
 *   eq compares numbers by value (3 == 3.0), equal types by value, and other
 *   scalars by their text (3 == "3", null == ""); lists/objects never equal
 *   scalars.
 * - Missing keys are errors where a value is written out.  In if/else-if
 *   conditions, range sources and default's VAL (`.x | default "y"`) a
 *   missing key reads as null (so optional parameters can be tested);
 *   inn_tmpl_refs still reports those paths for loaders to check.
 *   Indexing a string/number/list-by-name is an error everywhere.
 * - range: objects in sorted key order ($k is the key), lists by index ($k
 *   is the int index), null or missing runs {{ else }} if given; one
 *   variable ($v :=) gets the element.  Other types are an error.
 * - Text form: strings as they are, integers in decimal, doubles in the
 *   shortest form that reads back, true/false, null as "", lists and objects
 *   as compact JSON.  Rendered values are never parsed again, so a value
 *   that contains "{{ .secrets.x }}" or "${secrets.x}" comes out verbatim.
 * - Secrets: any reference resolving under data.secrets (or to the whole
 *   data object) registers every string/number it reaches with env->masker.
 * - Shell mode (env->bind set) applies to all three render functions: every
 *   value written (each `${...}` and each value action, not if/range, which
 *   still decide on the real values) becomes "${NAME}" for a name bind()
 *   returns ([A-Za-z_][A-Za-z0-9_]*, else an error); render_value then always
 *   returns text, never a raw value.  Where the text written so far leaves
 *   the shell inside '...' or $'...' (shell_ctx.h), the reference is
 *   '"${NAME}"' (or '"${NAME}"$'): the quote is closed, the variable
 *   expanded in double quotes, the quote reopened, so the script sees the
 *   value and the value is never shell text.  Where the shell evaluates the
 *   text again later (INN_SH_F_EVAL in shell_ctx.h: trap '...', bash -c,
 *   eval, | sh, sh <<EOF), the reference is kept for that evaluation:
 *   "${NAME}" inside '...' (and a quoted here-document), "\${NAME}" where
 *   this shell expands, so the later shell expands the inherited variable
 *   as data.  Refused (an error naming the action; inn_tmpl_shell_problem):
 *   a value a remote shell (ssh, kubectl exec, sudo) or two shells evaluate,
 *   one where the scanner cannot follow the text (INN_SH_F_OPAQUE and
 *   INN_SH_F_COMPUTED in shell_ctx.h: a computed command name, <( ),
 *   coproc, >&3, declare -a), and a value in shell arithmetic that is not
 *   an integer.  The decision is made over the whole
 *   template (a later `| sh` or `-eq` counts), every if/range branch once.
 * - Errors: syntax errors (INN_EINVAL) end with "at offset N", N the 1-based
 *   byte offset in the template; evaluation errors start with the action,
 *   shortened to 80 bytes.  Limits: template INN_TMPL_MAX_LEN, output
 *   INN_TMPL_MAX_OUTPUT, if/range/parenthesis nesting INN_TMPL_MAX_DEPTH, a
 *   fixed budget of evaluation steps (INN_ETOOBIG for each).
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

#define INN_TMPL_MAX_LEN (1 << 20)          /* template text, bytes */
#define INN_TMPL_MAX_OUTPUT (4 << 20)       /* rendered text, bytes */
#define INN_TMPL_MAX_DEPTH 64               /* if/range/( nesting */

typedef struct inn_tmpl_env {
	json_object *data;        /* the data object (borrowed) */
	inn_masker *masker;       /* secrets referenced are registered here (may be NULL) */
	inn_tmpl_bind_fn bind;    /* non-NULL: shell mode for inn_tmpl_render_string */
	void *bind_ud;
} inn_tmpl_env;

/* Dry-run renders: between inn_tmpl_unknown_begin(fn, ud) and
 * inn_tmpl_unknown_end() on one thread, a key a render on that thread
 * finds missing is offered to fn (path: the chain up to it in our
 * spelling, "steps.build" or "resources.db.dsn"); when fn returns non-zero
 * it is a value the caller cannot know yet, and it renders as the text
 * "(resolved at run time: PATH)" instead of failing, so the rest of the
 * template is still checked.  Not asked where a missing key reads as null
 * (conditions, range sources, default). */
typedef int (*inn_tmpl_unknown_fn)(void *ud, const char *path);
void inn_tmpl_unknown_begin(inn_tmpl_unknown_fn fn, void *ud);
void inn_tmpl_unknown_end(void);

/* Renders every string inside in (deeply) and returns a new tree in *out.
 * path names the field for messages ("config"); errors read e.g.
 * `config.manifest: {{ .parameters.nme }}: parameters.nme is not defined`. */
int inn_tmpl_render(const inn_tmpl_env *env, json_object *in, const char *path,
                    json_object **out);

/* Renders one string to text (*out malloc'd).  In shell mode (env->bind set)
 * value references become variable references. */
int inn_tmpl_render_string(const inn_tmpl_env *env, const char *tmpl, char **out);

/*
 * YAML mode, for config fields whose text is YAML parsed again (a plugin
 * declares them: a string property of its config_schema with
 * "x-innominatus-render": "yaml"; exec_step.c).  if/range decide on the
 * real values as usual; each value action (`${...}`, `{{ value }}`) can
 * only ever become the content of ONE scalar (tmpl_yaml.c: parse with
 * placeholders, substitute, parse again and compare):
 *   - a value inside a plain scalar stays plain when the whole scalar then
 *     still reads as that same string (letters, digits, "/._$(-" and
 *     inner blanks, not a number, boolean, null or date in YAML 1.1/1.2);
 *     a number or boolean value filling a whole plain scalar is written as
 *     it is (`replicas: {{ .parameters.replicas }}` stays an int);
 *     a whole plain scalar from an action ending in `quote` (`{{ .x | quote
 *     }}`, Helm's idiom) holds the string quote was given;
 *   - otherwise, and always inside a quoted or block scalar, the whole
 *     scalar is written again double-quoted with escapes ("a\nb", \", \\,
 *     \xHH, \L \P \N \uFEFF) on one line: same content, any value;
 *   - a value outside a scalar (a comment, tag, anchor, alias) is an
 *     error naming the action, and so is a text that is not YAML once the
 *     values are left out, or a result whose events differ.
 * A template without value actions comes out as written.  Errors start
 * with the action; the caller prefixes the field.
 */
int inn_tmpl_render_yaml(const inn_tmpl_env *env, const char *tmpl, char **out);

/* Renders one string keeping the type if it is a single reference. */
int inn_tmpl_render_value(const inn_tmpl_env *env, const char *tmpl, json_object **out);

/* Truthiness of a rendered condition: false, null, "", "false", "0", 0 and
 * empty arrays/objects are false. */
int inn_tmpl_truthy(json_object *v);

/* Calls fn for each data path a template references ("parameters.x",
 * "steps.build.outputs.url"), so loaders can check them before any run.
 * Paths are normalised (output -> outputs; the original's spellings are
 * reported as written, the loader decides) and reported once per
 * occurrence, in order; paths read through range
 * variables or a range's dot are not reported.  Returns 0, INN_EINVAL with
 * a syntax error message (offset included), INN_ETOOBIG for a template over
 * INN_TMPL_MAX_LEN, or the first non-zero value fn returned. */
typedef int (*inn_tmpl_ref_fn)(void *ud, const char *ref);
int inn_tmpl_refs(const char *tmpl, inn_tmpl_ref_fn fn, void *ud);

/* After a render function failed with INN_ENOTFOUND for a missing key:
 * the data root the key was read under ("steps", "resources", "parameters";
 * "steps" for the original's ${<step>.<key>}), else "".  Thread-local,
 * reset by every render.  A dry-run tells values it cannot know (outputs
 * of steps it does not run) from mistakes with it. */
const char *inn_tmpl_missing_root(void);
/* The same error's path up to the missing key, in our spelling
 * ("steps.build", "resources.db.dsn"), else "". */
const char *inn_tmpl_missing_path(void);
/* Shell mode checks a loader can make before any run: calls fn with the
 * kinds below (or'd), the text of the value action (`{{ .parameters.x }}`,
 * shortened) and its byte offset in tmpl, for each value action that
 * - lands in a here-document whose delimiter is quoted (<<'EOF') and is
 *   not evaluated again: the script sees "${INN_T_n}", not the value
 *   (INN_TMPL_SH_QUOTED_HEREDOC);
 * - is evaluated again as shell code (INN_TMPL_SH_EVAL; shell mode then
 *   writes the reference so that the later evaluation expands it);
 * - is evaluated by a remote shell (INN_TMPL_SH_REMOTE: ssh) or twice
 *   (INN_TMPL_SH_NESTED), or lands where innominatus cannot follow it
 *   (INN_TMPL_SH_OPAQUE: <( ), coproc, >&3, declare -a; INN_TMPL_SH_COMPUTED:
 *   the command's name is computed, $b -c): a render refuses these;
 * - is used in shell arithmetic (INN_TMPL_SH_ARITH): a render refuses a
 *   value that is not an integer;
 * and for each "${" + dotted name left as shell text where the shell
 * expands it (INN_TMPL_SH_BAD_SUBST; action: that text, offset 0): bash
 * stops on it with "bad substitution" (${ parameters.x }, ${parameters.x:-d},
 * the escape $${x.y} in "...").
 * Every branch of if/range is considered.  Returns 0, a parse error as
 * inn_tmpl_refs, or the first non-zero value of fn. */
#define INN_TMPL_SH_EVAL 1u
#define INN_TMPL_SH_REMOTE 2u
#define INN_TMPL_SH_NESTED 4u
#define INN_TMPL_SH_ARITH 8u
#define INN_TMPL_SH_QUOTED_HEREDOC 16u
#define INN_TMPL_SH_BAD_SUBST 32u     /* "${" + a dotted name bash cannot expand */
#define INN_TMPL_SH_OPAQUE 64u        /* INN_SH_F_OPAQUE: refused */
#define INN_TMPL_SH_COMPUTED 128u     /* INN_SH_F_COMPUTED: refused */
typedef int (*inn_tmpl_lint_fn)(void *ud, unsigned kind, const char *action, size_t offset);
int inn_tmpl_shell_lint(const char *tmpl, inn_tmpl_lint_fn fn, void *ud);
/* Why shell mode refuses a value with these kinds (the reason and the
 * fix, one line), or NULL when it does not: REMOTE, NESTED, OPAQUE and
 * COMPUTED always,
 * ARITH when value (len bytes; NULL: not known yet, at load) is not an
 * integer (-?[0-9]+).  The same text for loaders and renders. */
const char *inn_tmpl_shell_problem(unsigned kind, const char *value, size_t len);
/* Non-zero when name (len bytes) is a data root a run's templates can
 * read (exec_run.c, deploy.c): parameters, steps, resources, secrets,
 * variables, workflow, app.  Any other root is the original's spelling of
 * a step output (see the syntax above) or a mistake. */
int inn_tmpl_known_root(const char *name, size_t len);
/* Non-zero if s contains template syntax at all. */
int inn_tmpl_has_syntax(const char *s);

#endif
