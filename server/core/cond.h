/*
 * cond.h - step conditions: the original innominatus's `when:` keywords
 * and `if:`/`unless:` expressions, parsed once when a workflow loads into
 * a small tree, evaluated when the step is about to run.
 *
 * `when:` is a keyword (case-insensitive): always, on_success (success),
 * on_failure (failure), manual.  Any other `when:` text is read as a
 * condition like `if:` (a template, say), except a bare word: that is a
 * mistyped keyword and refused.
 *
 * A condition (if:, unless:, when: as a condition) is one of
 *   true | false                        (any case)
 *   <operand> OP <operand>              OP: == != < <= > >= (numbers when both
 *                                       sides are numbers -- decimal, NaN, Inf --
 *                                       else bytes)
 *   <operand> contains|startsWith|endsWith|matches <operand>
 *   <operand>.contains(<operand>)       (also .startsWith .endsWith .matches)
 *   <step>.success | .succeeded | .failed | .failure | .skipped
 *   NAME | $NAME | ${NAME}              a variable: true when set and not
 *                                       "", "false" or "0"
 *   a template ({{ ... }}, ${parameters.x}, ...) or text holding one: true
 *                                       by the template rule (inn_tmpl_truthy)
 * The operator is found in the original's order of search: the first ==,
 * else the first !=, <=, >=, <, >, then contains, startsWith, endsWith,
 * matches (words stand between blanks), never inside references or
 * quoted text ("..." or '...').  Each side is trimmed as the original did:
 * of blanks, then of quotes (" and ') for the six comparisons; of blanks
 * and quotes together for the words.  `matches` is an unanchored search in Go RE2 syntax
 * (pattern.h, as parameters' `pattern:`: what RE2 refuses is refused); a
 * literal pattern is checked at load, one from a value at run.
 *
 * Operands are text with references:
 *   $NAME, ${NAME}   the step's env, else the workflow's variables, else
 *                    its parameters; "" when none sets it (the process's
 *                    own environment is never read)
 *   $step.key, ${step.key}       that step's output key (steps.<s>.outputs.<k>)
 *   $workflow.X, ${workflow.X}   workflow variable X (workflow.name and
 *                                workflow.provider: the run's workflow)
 *   ${root.path} with root parameters, variables, steps, resources,
 *   secrets, app or workflow, and {{ ... }}: templates (tmpl.h)
 *   $${ writes "${".
 * References are substituted into operands, never parsed again: a value
 * holding "==" compares as text.
 */
#ifndef INN_CORE_COND_H
#define INN_CORE_COND_H

#include <stddef.h>

#include <json-c/json.h>

#include "state.h"
#include "tmpl.h"

typedef enum inn_cond_when {
	INN_WHEN_NONE = 0,       /* no `when:` keyword */
	INN_WHEN_ALWAYS,         /* runs even after an earlier step failed */
	INN_WHEN_ON_SUCCESS,     /* only when no earlier step failed */
	INN_WHEN_ON_FAILURE,     /* only when an earlier step failed */
	INN_WHEN_MANUAL          /* waits for an approval: never runs here */
} inn_cond_when;

typedef struct inn_cond inn_cond;

/* A step's conditions, evaluated in this order: when, unless, if. */
typedef struct inn_step_conds {
	inn_cond_when when;
	inn_cond *when_cond;     /* `when:` written as a condition, or NULL */
	inn_cond *unless_cond;   /* or NULL */
	inn_cond *if_cond;       /* or NULL */
} inn_step_conds;

/* What the names in a condition mean, asked while it is parsed (the
 * loader knows the file).  step: the index of the step called
 * name[0..len), or -1.  variable: called for each $NAME the condition
 * reads (the loader warns about one nothing sets).  warn: a condition that
 * reads but probably does not mean what it says (`$1`: a positional
 * parameter, never set, compares as the text "$1").  Any may be NULL. */
typedef struct inn_cond_names {
	long (*step)(void *ud, const char *name, size_t len);
	void (*variable)(void *ud, const char *name, size_t len);
	void *ud;
	void (*warn)(void *ud, const char *msg);
} inn_cond_names;

/* The keyword of a `when:` text: 0 and *out, or -1 when text is none. */
int inn_cond_when_parse(const char *text, inn_cond_when *out);
/* The keyword's spelling for messages ("on_failure"). */
const char *inn_cond_when_name(inn_cond_when w);

/* Parses a condition.  in_when: text of a `when:` (a bare word is then a
 * keyword misspelt, not a variable).  Returns 0 and *out, or INN_EINVAL
 * (unreadable text, an unknown step in <step>.<status>, a bad pattern in
 * matches) or INN_ENOMEM with the message set. */
int inn_cond_parse(inn_cond **out, const char *text, int in_when,
                   const inn_cond_names *names);
void inn_cond_free(inn_cond *c);
/* The condition as written. */
const char *inn_cond_text(const inn_cond *c);
/* The template parts of the condition (each `{{ }}` and ${root.path},
 * the original's step and workflow references as the template paths they
 * read), blank-separated, for the loader's reference checks; NULL when
 * there are none. */
const char *inn_cond_templates(const inn_cond *c);
/* Calls fn(ud, step, status) for each <step>.<status> test (status is
 * INN_STATE_SUCCEEDED, _FAILED or _SKIPPED). */
void inn_cond_each_status(const inn_cond *c,
                          void (*fn)(void *ud, size_t step, inn_state status),
                          void *ud);

void inn_step_conds_free(inn_step_conds *sc);
/* Non-zero when the step runs even after an earlier step failed (when:
 * always or on_failure): the scheduler starts it once what it waits for is
 * final, whatever the outcome.  0 for NULL. */
int inn_step_conds_after_failure(const inn_step_conds *sc);

/* What evaluation reads. */
typedef struct inn_cond_ctx {
	const inn_tmpl_env *tmpl;   /* the run's data (parameters, variables, steps, ...) */
	json_object *env;           /* the step's env, rendered, or NULL */
	/* the state of step i (final, or pending/would-run when not known) */
	inn_state (*step_state)(void *ud, size_t i);
	void *ud;
} inn_cond_ctx;

#define INN_COND_UNKNOWN 2
#define INN_COND_UNRESOLVED 3

/* Evaluates c: 1 true, 0 false, INN_COND_UNKNOWN when it reads the status
 * of a step whose outcome is not known (a dry-run), or a negative error
 * with its message set (a template's; a pattern built from values that
 * does not compile).  With 0 or 1, detail holds what was compared
 * (`"no" == "yes"`; masked by the caller), or "".
 * A step output that is not set (the step was skipped or did not report
 * it) is unresolved, as in the original: in a comparison the reference
 * stays as written (`"$a.out" == "1"` is false, `!=` true) and detail
 * adds `$a.out: steps.a.outputs.out is not set`; a condition that is only
 * such a reference is INN_COND_UNRESOLVED (the original failed to read it
 * and skipped the step, for if: and unless: alike), detail naming it. */
int inn_cond_eval(const inn_cond *c, const inn_cond_ctx *ctx, char *detail,
                  size_t len);

#endif
