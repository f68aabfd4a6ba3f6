/*
 * load_steps.c - the steps list of a workflow file: each step's fields
 * (name, type and its plugin type, config, env, depends_on, parallel,
 * timeout, retries, continue_on_error, outputs) read into an inn_step_def
 * with its positions for later messages, then the step graph
 * (load_graph.c), then the conditions (when, unless, if: cond.h), which
 * name other steps.  Part of the workflow loader (load_workflow.c).
 */
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "duration.h"
#include "error.h"
#include "tmpl.h"
#include "load_workflow_int.h"
#include "step_types.h"

#define MAX_STEPS_HARD 10000      /* even without a policy */
#define MAX_RETRIES 100

static const char *const step_keys[] = {
	"name", "type", "config", "env", "if", "when", "unless", "depends_on", "dependsOn",
	"parallel", "timeout", "retries", "continue_on_error", "continueOnError",
	"outputs", "description", NULL
};

int
inn_lw_duration(struct wf_load *L, const inn_ynode *n, const char *path, int64_t *ms)
{
	if (n->kind != INN_Y_SCALAR || inn_parse_duration_ms(n->value, ms) != 0 ||
	    *ms < 0) {
		if (n->kind == INN_Y_SCALAR)
			inn_l_err(&L->lc, n, "%s: \"%s\" is not a duration (e.g. 90, 30s, 5m, "
			          "1h30m)", path, n->value);
		else
			inn_l_err(&L->lc, n, "%s: must be a duration, not %s", path,
			          inn_ynode_kind_name(n));
		return -1;
	}
	return 0;
}

static int
read_int(struct wf_load *L, const inn_ynode *n, const char *path, long min, long max,
         int *out)
{
	char *end;
	long v;

	if (n->kind != INN_Y_SCALAR || n->len == 0) {
		inn_l_err(&L->lc, n, "%s: must be a number, not %s", path,
		          inn_ynode_kind_name(n));
		return -1;
	}
	errno = 0;
	v = strtol(n->value, &end, 10);
	if (*end != '\0' || errno != 0 || v < min || v > max) {
		inn_l_err(&L->lc, n, "%s: \"%s\" is not a whole number between %ld and %ld",
		          path, n->value, min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

json_object *
inn_lw_json_map(struct wf_load *L, const inn_ynode *n, const char *path)
{
	json_object *o;

	if (inn_l_kind(&L->lc, n, INN_Y_MAP, path) != 0)
		return NULL;
	if ((o = inn_ynode_to_json(n)) == NULL)
		inn_l_err(&L->lc, n, "%s: %s", path, inn_error_last());
	return o;
}

/* --- steps --------------------------------------------------------------- */

void
inn_lw_step_free(inn_step_def *s)
{
	INN_FREE_ALL(s->name, s->type, s->plugin_type, s->when, s->dep_idx);
	inn_step_conds_free(s->conds);
	json_object_put(s->config);
	json_object_put(s->env);
	inn_l_strv_free(s->depends_on, s->ndeps);
}

static int
env_name_ok(const char *s)
{
	size_t i;

	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static void
step_env(struct wf_load *L, inn_step_def *s, const inn_ynode *n, const char *path)
{
	size_t i;

	if (inn_l_is_null(n) || inn_l_kind(&L->lc, n, INN_Y_MAP, path) != 0)
		return;
	for (i = 0; i < INN_YMAP_LEN(n); i++) {
		const inn_ynode *k = INN_YMAP_KEY(n, i), *v = INN_YMAP_VAL(n, i);

		if (!env_name_ok(k->value)) {
			inn_l_err(&L->lc, k, "%s: \"%s\" is not a valid environment variable "
			          "name", path, k->value);
			return;
		}
		if (strncmp(k->value, "INN_T_", 6) == 0) {
			inn_l_err(&L->lc, k, "%s: \"%s\": names starting with INN_T_ are reserved "
			          "(they carry the values a shell script's templates reference)",
			          path, k->value);
			return;
		}
		if (v->kind != INN_Y_SCALAR) {
			inn_l_err(&L->lc, v, "%s.%s: must be a scalar, not %s", path, k->value,
			          inn_ynode_kind_name(v));
			return;
		}
	}
	s->env = inn_lw_json_map(L, n, path);
}

static void
step_deps(struct wf_load *L, inn_step_def *s, struct step_pos *ps, const inn_ynode *n,
          const char *path)
{
	size_t i;

	if (inn_l_strlist(&L->lc, n, path, &s->depends_on, &s->ndeps) != 0 || s->ndeps == 0)
		return;
	if ((ps->deps = calloc(s->ndeps, sizeof(*ps->deps))) == NULL) {
		inn_l_err(&L->lc, n, "out of memory");
		return;
	}
	for (i = 0; i < s->ndeps; i++)
		ps->deps[i] = n->kind == INN_Y_SEQ ? n->items[i] : n;
}

static void
step_retries(struct wf_load *L, inn_step_def *s, const inn_ynode *n, const char *path)
{
	char p[INN_L_PATH_MAX];
	static const char *const keys[] = { "limit", "backoff", NULL };
	const inn_ynode *v;

	s->retry_opt_in = 1;
	if (n->kind == INN_Y_SCALAR) {
		read_int(L, n, path, 0, MAX_RETRIES, &s->retries);
		return;
	}
	if (inn_l_kind(&L->lc, n, INN_Y_MAP, path) != 0)
		return;
	inn_l_unknown_keys(&L->lc, n, keys, path);
	if ((v = inn_ymap_get(n, "limit")) != NULL)
		read_int(L, v, inn_l_path(p, sizeof(p), path, "limit"), 0, MAX_RETRIES,
		         &s->retries);
	else
		inn_l_err(&L->lc, n, "%s: missing required field \"limit\"", path);
	if ((v = inn_ymap_get(n, "backoff")) != NULL)
		inn_lw_duration(L, v, inn_l_path(p, sizeof(p), path, "backoff"), &s->backoff_ms);
}

/* The value of step field a or its other spelling b in the step map n, or
 * NULL when neither is written or both are (reported); *key is set to the
 * spelling used. */
static const inn_ynode *
either(struct wf_load *L, const inn_ynode *n, const char *step, const char *a,
       const char *b, const char **key)
{
	const inn_ynode *va = inn_ymap_get(n, a), *vb = inn_ymap_get(n, b);

	if (va != NULL && vb != NULL) {
		inn_l_err(&L->lc, inn_ymap_key(n, b), "step \"%s\": give either %s or %s, "
		          "not both", step, a, b);
		return NULL;
	}
	*key = va != NULL ? a : b;
	return va != NULL ? va : vb;
}

/* Reads steps[idx] into s (fields that fail are reported and left empty). */
static void
step_parse(struct wf_load *L, const inn_ynode *n, size_t idx, inn_step_def *s,
           struct step_pos *ps)
{
	char path[64], p[INN_L_PATH_MAX];
	const inn_ynode *v;
	const char *key;
	size_t i;

	snprintf(path, sizeof(path), "steps[%zu]", idx);
	s->line = n->line;
	s->col = n->col;
	s->backoff_ms = 1000;
	ps->node = n;
	if (inn_l_kind(&L->lc, n, INN_Y_MAP, path) != 0)
		return;
	inn_lw_step_unknown_keys(L, n, step_keys, path);
	ps->name = inn_ymap_get(n, "name");
	ps->type = inn_ymap_get(n, "type");
	if (inn_l_required_string(&L->lc, n, "name", path, &s->name) != 0)
		return;
	if (!inn_l_name_ok(s->name)) {
		inn_l_err(&L->lc, ps->name, "%s: step name \"%s\" must match "
		          "[A-Za-z0-9][A-Za-z0-9_-]* (at most 128 characters)", path, s->name);
		free(s->name);
		s->name = NULL;
		return;
	}
	if (inn_tmpl_known_root(s->name, strlen(s->name)))
		inn_l_err(&L->lc, ps->name, "%s: a step may not be named \"%s\": that is a "
		          "template root (${%s.x} means the run's %s, so the original's "
		          "${<step>.<key>} spelling could never reach this step); rename it",
		          path, s->name, s->name, s->name);
	snprintf(path, sizeof(path), "step \"%s\"", s->name);
	inn_l_required_string(&L->lc, n, "type", path, &s->type);
	if (s->type != NULL && s->type[0] == '\0') {
		inn_l_err(&L->lc, ps->type, "step \"%s\": type must not be empty", s->name);
		free(s->type);
		s->type = NULL;
	}
	if (s->type != NULL && (s->plugin_type = strdup(inn_step_type_resolve(s->type))) ==
	                       NULL)
		inn_l_err(&L->lc, n, "out of memory");

	ps->config = inn_ymap_get(n, "config");
	if (ps->config != NULL && !inn_l_is_null(ps->config)) {
		snprintf(p, sizeof(p), "steps[%zu].config", idx);
		s->config = inn_lw_json_map(L, ps->config, p);
		if (s->config == NULL)
			ps->config = NULL; /* reported; skip the template walk */
	} else {
		ps->config = NULL;
	}
	if (s->config == NULL && (s->config = json_object_new_object()) == NULL)
		inn_l_err(&L->lc, n, "out of memory");
	/* a legacy type runs as the original ran it unless the config says */
	if (s->config != NULL && inn_step_type_defaults(s->type, s->config) != 0)
		inn_l_err(&L->lc, n, "%s", inn_error_last());

	if ((ps->env = inn_ymap_get(n, "env")) != NULL) {
		snprintf(p, sizeof(p), "steps[%zu].env", idx);
		step_env(L, s, ps->env, p);
		if (s->env == NULL)
			ps->env = NULL;
	}

	if ((v = either(L, n, s->name, "depends_on", "dependsOn", &key)) != NULL) {
		s->deps_explicit = 1; /* even "depends_on: []": no implicit ordering */
		step_deps(L, s, ps, v, inn_l_path(p, sizeof(p), path, key));
	}
	for (i = 0; i < s->ndeps; i++)
		if (strcmp(s->depends_on[i], s->name) == 0)
			inn_l_err(&L->lc, ps->deps[i], "step \"%s\": depends on itself (cycle: "
			          "%s -> %s)", s->name, s->name, s->name);

	if ((v = inn_ymap_get(n, "parallel")) != NULL && !inn_l_is_null(v)) {
		snprintf(p, sizeof(p), "steps[%zu].parallel", idx);
		inn_l_bool(&L->lc, v, p, &s->parallel);
	}
	if ((v = inn_ymap_get(n, "timeout")) != NULL && !inn_l_is_null(v)) {
		snprintf(p, sizeof(p), "steps[%zu].timeout", idx);
		inn_lw_duration(L, v, p, &s->timeout_ms);
	}
	if ((v = inn_ymap_get(n, "retries")) != NULL && !inn_l_is_null(v)) {
		snprintf(p, sizeof(p), "steps[%zu].retries", idx);
		step_retries(L, s, v, p);
	}
	if ((v = either(L, n, s->name, "continue_on_error", "continueOnError", &key)) != NULL &&
	    !inn_l_is_null(v)) {
		snprintf(p, sizeof(p), "steps[%zu].%s", idx, key);
		inn_l_bool(&L->lc, v, p, &s->continue_on_error);
	}
	if ((v = inn_ymap_get(n, "outputs")) != NULL && !inn_l_is_null(v)) {
		/* declared outputs: documentation for readers; their templates are
		 * checked like the config's */
		snprintf(p, sizeof(p), "steps[%zu].outputs", idx);
		if (v->kind == INN_Y_SCALAR)
			inn_l_err(&L->lc, v, "%s: must be a mapping or a list, not a scalar", p);
		else
			ps->outputs = v;
	}
	inn_lw_legacy_fields(L, n, s, ps);
}

/* --- conditions: when, unless, if (cond.h) ---------------------------------- */

/* What a condition of step `step` reads, for cond.c's questions. */
struct cond_names {
	struct wf_load *L;
	size_t step;
	const char *key;
	const inn_ynode *at;
};

static long
cond_step(void *ud, const char *name, size_t len)
{
	struct cond_names *cn = ud;

	return inn_lw_find_step(cn->L, name, len);
}

/* A $NAME nothing sets reads as "" in every run: said once, at load. */
static void
cond_variable(void *ud, const char *name, size_t len)
{
	struct cond_names *cn = ud;
	const inn_step_def *s = &cn->L->wf->steps[cn->step];
	const inn_ynode *vars = cn->L->vars;
	char key[256];

	snprintf(key, sizeof(key), "%.*s", (int)len, name);
	if ((s->env != NULL && json_object_object_get_ex(s->env, key, NULL)) ||
	    (vars != NULL && vars->kind == INN_Y_MAP && inn_ymap_get(vars, key) != NULL) ||
	    inn_workflow_param(cn->L->wf, name, len) != NULL)
		return;
	inn_l_warn(&cn->L->lc, cn->at, "step \"%s\": %s: %s is not set by the step's env, the "
	           "workflow's variables or its parameters, so it reads as empty (the "
	           "server's own environment is not read)", s->name, cn->key, key);
}

static void
cond_warn(void *ud, const char *msg)
{
	struct cond_names *cn = ud;

	inn_l_warn(&cn->L->lc, cn->at, "step \"%s\": %s: %s", cn->L->wf->steps[cn->step].name,
	           cn->key, msg);
}

/* <step>.<status> reads a step that must be over by then; a .failed test
 * can only hold when a failed step does not stop the run first. */
static void
cond_status(void *ud, size_t dep, inn_state status)
{
	struct cond_names *cn = ud;
	const inn_step_def *s = &cn->L->wf->steps[cn->step], *d = &cn->L->wf->steps[dep];

	if (dep == cn->step)
		inn_l_err(&cn->L->lc, cn->at, "step \"%s\": %s: reads its own status", s->name,
		          cn->key);
	else if (!inn_lw_is_dependency(cn->L, cn->step, dep))
		inn_l_err(&cn->L->lc, cn->at, "step \"%s\": %s: reads the status of step \"%s\", "
		          "which does not run before it (add it to depends_on)", s->name,
		          cn->key, d->name);
	else if (status == INN_STATE_FAILED && !d->continue_on_error &&
	         !inn_step_conds_after_failure(s->conds))
		inn_l_warn(&cn->L->lc, cn->at, "step \"%s\": %s: can only be true when step "
		           "\"%s\" failed, but a failed step stops the run before \"%s\" starts "
		           "(add when: always or when: on_failure here, or continue_on_error "
		           "to \"%s\")", s->name, cn->key, d->name, s->name, d->name);
}

/* Parses the condition at node v (its key names it) into *out, or a when
 * keyword into sc->when.  Reports what is wrong. */
static void
cond_read(struct wf_load *L, size_t i, const char *key, const inn_ynode *v, int in_when,
          inn_step_conds *sc, inn_cond **out)
{
	const inn_step_def *s = &L->wf->steps[i];
	struct cond_names cn = { L, i, key, v };
	inn_cond_names names = { cond_step, cond_variable, &cn, cond_warn };
	const char *text = v->value;
	char path[64];
	int b;

	if (v->kind != INN_Y_SCALAR) {
		inn_l_err(&L->lc, v, "step \"%s\": %s: must be a condition string or true/false, "
		          "not %s", s->name, key, inn_ynode_kind_name(v));
		return;
	}
	if (v->plain && (strcmp(text, "true") == 0 || strcmp(text, "false") == 0 ||
	                 strcmp(text, "True") == 0 || strcmp(text, "False") == 0 ||
	                 strcmp(text, "TRUE") == 0 || strcmp(text, "FALSE") == 0)) {
		snprintf(path, sizeof(path), "steps[%zu].%s", i, key);
		if (inn_l_bool(&L->lc, v, path, &b) != 0)
			return;
		text = b ? "true" : "false";
	}
	if (in_when && inn_cond_when_parse(text, &sc->when) == 0) {
		if (sc->when == INN_WHEN_MANUAL)
			inn_l_warn(&L->lc, v, "step \"%s\": when: manual: innominatus has no manual "
			           "approval, so this step is always skipped", s->name);
		return;
	}
	if (inn_cond_parse(out, text, in_when, &names) != 0) {
		inn_l_err(&L->lc, v, "step \"%s\": %s: %s", s->name, key, inn_error_last());
		return;
	}
	inn_cond_each_status(*out, cond_status, &cn);
}

/* The template parts of condition c (at v) as entry k of the step's
 * condition mapping, which load_check.c walks like any template. */
static void
cond_templates(struct step_pos *ps, size_t k, const char *key, const inn_ynode *v,
               const inn_cond *c)
{
	const char *t = c != NULL ? inn_cond_templates(c) : NULL;
	size_t n = ps->cond_map.n;

	if (t == NULL)
		return;
	ps->cond_key[k].kind = INN_Y_SCALAR;
	ps->cond_key[k].value = (char *)key;
	ps->cond_key[k].len = strlen(key);
	ps->cond_val[k] = ps->cond_key[k];
	ps->cond_val[k].line = v->line;
	ps->cond_val[k].col = v->col;
	ps->cond_val[k].value = (char *)t;
	ps->cond_val[k].len = strlen(t);
	ps->cond_items[n] = &ps->cond_key[k];
	ps->cond_items[n + 1] = &ps->cond_val[k];
	ps->cond_map.kind = INN_Y_MAP;
	ps->cond_map.items = ps->cond_items;
	ps->cond_map.n = n + 2;
	ps->when = &ps->cond_map;
	ps->when_key = "";
}

/* Step i's when, unless and if (after the step graph: they name steps). */
static void
step_conds(struct wf_load *L, size_t i)
{
	static const char *const keys[] = { "when", "unless", "if" };
	inn_step_def *s = &L->wf->steps[i];
	struct step_pos *ps = &L->pos[i];
	inn_cond **slot[3];
	size_t k;

	for (k = 0; k < 3; k++) {
		const inn_ynode *v = inn_ymap_get(ps->node, keys[k]);

		if (v == NULL || inn_l_is_null(v))
			continue;
		if (s->conds == NULL && (s->conds = calloc(1, sizeof(*s->conds))) == NULL) {
			inn_l_err(&L->lc, v, "out of memory");
			return;
		}
		slot[0] = &s->conds->when_cond;
		slot[1] = &s->conds->unless_cond;
		slot[2] = &s->conds->if_cond;
		cond_read(L, i, keys[k], v, k == 0, s->conds, slot[k]);
		cond_templates(ps, k, keys[k], v, *slot[k]);
		if (*slot[k] != NULL && k != 1 && (s->when == NULL || k == 2)) {
			free(s->when);
			if ((s->when = strdup(inn_cond_text(*slot[k]))) == NULL)
				inn_l_err(&L->lc, v, "out of memory");
		}
	}
}

void
inn_lw_load_steps(struct wf_load *L, const inn_ynode *n, const char *path)
{
	inn_workflow *wf = L->wf;
	const inn_policy *pol = L->ctx->policy;
	size_t i;

	if (n == NULL) {
		inn_l_err(&L->lc, NULL, "missing required field \"steps\"");
		return;
	}
	if (inn_l_kind(&L->lc, n, INN_Y_SEQ, path) != 0)
		return;
	if (n->n == 0) {
		inn_l_err(&L->lc, n, "%s: a workflow needs at least one step", path);
		return;
	}
	if (pol != NULL && pol->max_steps > 0 && n->n > (size_t)pol->max_steps) {
		inn_l_err(&L->lc, n, "%s: %zu steps exceed workflowPolicies."
		          "maxStepsPerWorkflow (%d, %s)", path, n->n, pol->max_steps,
		          pol->file ? pol->file : "default policy");
		return;
	}
	if (n->n > MAX_STEPS_HARD) {
		inn_l_err(&L->lc, n, "%s: %zu steps exceed the limit of %d", path, n->n,
		          MAX_STEPS_HARD);
		return;
	}
	wf->steps = calloc(n->n, sizeof(*wf->steps));
	L->pos = calloc(n->n, sizeof(*L->pos));
	if (wf->steps == NULL || L->pos == NULL) {
		inn_l_err(&L->lc, n, "out of memory");
		return;
	}
	wf->nsteps = n->n;
	for (i = 0; i < n->n; i++)
		step_parse(L, n->items[i], i, &wf->steps[i], &L->pos[i]);
	if (inn_lw_graph(L) != 0) {
		inn_l_err(&L->lc, n, "out of memory");
		return;
	}
	for (i = 0; i < n->n; i++)
		if (wf->steps[i].name != NULL && L->pos[i].node->kind == INN_Y_MAP)
			step_conds(L, i);
}
