/*
 * load_workflow_int.h - what the parts of the workflow loader share and
 * nobody else sees: the state of one file being loaded (struct wf_load),
 * where each step's fields were written, and the entry points of the
 * parts: step parsing (load_steps.c), the step graph (load_graph.c) and
 * the template-reference and step-type checks (load_check.c), all driven
 * by load_workflow.c.
 */
#ifndef INN_CORE_LOAD_WORKFLOW_INT_H
#define INN_CORE_LOAD_WORKFLOW_INT_H

#include <stddef.h>
#include <stdint.h>

#include "load_int.h"

#define LW_LEGACY_MAX 8        /* legacy step fields one step can map (load_legacy.c) */

/* Where each step's fields were written, for messages after parsing. */
struct step_pos {
	const inn_ynode *node, *name, *type, *config, *env, *when, *outputs;
	const char *when_key;
	const inn_ynode **deps;     /* one node per depends_on entry */
	/* the original's step fields read into config (load_legacy.c): each
	 * value and the field it was written as, for the reference checks,
	 * its key node and the config key it became, for messages about it */
	const inn_ynode *legacy[LW_LEGACY_MAX];
	const char *legacy_key[LW_LEGACY_MAX];
	const inn_ynode *legacy_at[LW_LEGACY_MAX];
	const char *legacy_to[LW_LEGACY_MAX];
	size_t nlegacy;
	/* the template parts of the step's conditions as a mapping (when,
	 * unless, if -> text) for the reference checks: when points here */
	inn_ynode cond_map, cond_key[3], cond_val[3];
	inn_ynode *cond_items[6];
};

struct wf_load {
	inn_lctx lc;
	const inn_load_ctx *ctx;
	inn_workflow *wf;
	struct step_pos *pos;
	size_t *byname;             /* step indices sorted by name */
	size_t nbyname;
	const inn_ynode **pdef;      /* each parameter's default node, or NULL */
	size_t npdef;                /* how many parameters pdef covers (those of
	                              * the file, before a golden path's join) */
	size_t budget;
	const inn_ynode *vars;       /* the variables mapping, or NULL */
	size_t vars_visible;         /* how many of its entries a template being
	                              * checked can read (they render in order,
	                              * after the parameters) */
	const struct inn_l_wf_extra *x; /* what the caller added, or NULL */
	int provider;                /* a provider's workflow: may read the
	                              * standard inputs undeclared (model.h) */
	const char **refused;        /* names of parameter declarations that were
	                              * refused (reported once, not again at
	                              * each reference) */
	size_t nrefused;
};

/* Context for one template reference check. */
struct ref_check {
	struct wf_load *L;
	long step;                  /* the referencing step, or -1 */
	const char *path;           /* field path, e.g. config.script */
	const inn_ynode *at;
	int rendered;               /* a run renders these strings (so their
	                             * length is limited), not documentation */
	int in_cond;                /* a condition: a missing output reads as
	                             * unresolved there (cond.h), never an error */
};

/* load_steps.c: reads the steps list at n (path names it in messages) into
 * L->wf->steps and L->pos, then builds the step graph (inn_lw_graph).
 * Problems are reported; a missing list is an error. */
void inn_lw_load_steps(struct wf_load *L, const inn_ynode *n, const char *path);
void inn_lw_step_free(inn_step_def *s);
/* A duration scalar (90, 30s, 1h30m) into *ms; -1 when reported. */
int inn_lw_duration(struct wf_load *L, const inn_ynode *n, const char *path, int64_t *ms);
/* A mapping subtree as JSON, or NULL (reported: not a mapping, alias bomb). */
json_object *inn_lw_json_map(struct wf_load *L, const inn_ynode *n, const char *path);

/* load_legacy.c: the original innominatus's step fields (its types.Step:
 * workingDir, path, operation, variables, outputs, playbook, ...).
 * inn_lw_step_unknown_keys warns about every key of step map n that is
 * neither in known nor such a field.  inn_lw_legacy_fields (after s's
 * type, config and outputs are read) moves each field into s->config under
 * the plugin's spelling with a deprecation warning, warns precisely about
 * one the plugin has no use for, reports one that contradicts the config
 * as an error, and does the same for the original's config spellings
 * (ansible working_dir, vars; terraform commands).  The fields it moved
 * are listed in ps->legacy for load_check.c's reference checks. */
void inn_lw_step_unknown_keys(struct wf_load *L, const inn_ynode *n,
                              const char *const *known, const char *path);
void inn_lw_legacy_fields(struct wf_load *L, const inn_ynode *n, inn_step_def *s,
                          struct step_pos *ps);

/* load_graph.c: sorts the step names (duplicates reported), reports unknown
 * depends_on targets and cycles, and stores in each step's dep_idx the
 * steps it waits for (model.h: depends_on, else the implicit order).
 * Returns 0, or -1 when out of memory (not reported). */
int inn_lw_graph(struct wf_load *L);
/* Index of the step called name[0..len), or -1 (after inn_lw_graph). */
long inn_lw_find_step(const struct wf_load *L, const char *name, size_t len);
/* Non-zero when step dep surely finishes before step of starts: it is an
 * ancestor of `of` in the resolved step graph. */
int inn_lw_is_dependency(const struct wf_load *L, size_t of, size_t dep);

/* load_check.c: every template reference under n (bounded by L->budget). */
void inn_lw_walk_refs(struct ref_check *rc, const inn_ynode *n, const char *path);
/* The references of every step's config, env, condition and outputs, and
 * the shell-script lints. */
void inn_lw_check_step_refs(struct wf_load *L);
/* The admin allow-list, the plugin registry and each plugin's validate(). */
void inn_lw_check_step_types(struct wf_load *L);

#endif
