/*
 * load_check.c - the checks of a workflow file that need all of it read:
 * every template reference (parameters.X declared, steps.S existing and
 * running before the step that reads it, variables in render order, known
 * data roots), the shell-script lints (quoted here-documents, environment
 * strings the kernel refuses), and each step's type against the admin
 * allow-list, the plugin registry and the plugin's own validate().  Part
 * of the workflow loader (load_workflow.c).
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "host.h"
#include "load_workflow_int.h"
#include "tmpl.h"

#define MAX_WALK_DEPTH 300        /* the YAML parser stops at 256 */

/* Non-zero when the variables mapping declares name in its first
 * L->vars_visible entries. */
static int
var_visible(const struct wf_load *L, const char *name, size_t len)
{
	size_t i;

	if (L->vars == NULL || L->vars->kind != INN_Y_MAP)
		return 0;
	for (i = 0; i < INN_YMAP_LEN(L->vars) && i < L->vars_visible; i++) {
		const char *k = INN_YMAP_KEY(L->vars, i)->value;

		if (k != NULL && strlen(k) == len && memcmp(k, name, len) == 0)
			return 1;
	}
	return 0;
}

/* Non-zero when the variables mapping declares name anywhere. */
static int
var_visible_later(const struct wf_load *L, const char *name, size_t len)
{
	struct wf_load all = *L;

	all.vars_visible = (size_t)-1;
	return var_visible(&all, name, len);
}

/* The data roots a run's templates can read (exec_run.c, runs.c). */
static int
known_root(const char *name, size_t len)
{
	static const char *const roots[] = {
		"parameters", "steps", "resources", "secrets", "variables", "workflow", "app",
		NULL
	};
	size_t i;

	for (i = 0; roots[i] != NULL; i++)
		if (strlen(roots[i]) == len && memcmp(roots[i], name, len) == 0)
			return 1;
	return 0;
}

/* --- template references -------------------------------------------------- */

/* Non-zero when name[0..len) was declared, but its declaration refused
 * (already reported). */
static int
refused_param(const struct wf_load *L, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < L->nrefused; i++)
		if (strlen(L->refused[i]) == len && memcmp(L->refused[i], name, len) == 0)
			return 1;
	for (i = 0; L->x != NULL && i < L->x->nrefused; i++)
		if (strlen(L->x->refused[i]) == len && memcmp(L->x->refused[i], name, len) == 0)
			return 1;
	return 0;
}

static int
ref_cb(void *ud, const char *ref)
{
	struct ref_check *rc = ud;
	struct wf_load *L = rc->L;
	const inn_workflow *wf = L->wf;
	char who[200];

	if (rc->step >= 0)
		snprintf(who, sizeof(who), "step \"%s\": %s", wf->steps[rc->step].name,
		         rc->path);
	else
		snprintf(who, sizeof(who), "%s", rc->path);

	if (strncmp(ref, "parameters.", 11) == 0) {
		const char *name = ref + 11;
		size_t len = strcspn(name, ".[");

		int std = L->provider ? inn_param_standard_input(name, len) : -1;

		/* a provider's workflow reads the standard inputs of a resource
		 * operation undeclared, as the original's did (model.h) */
		if (inn_workflow_param(wf, name, len) == NULL && std >= 0)
			L->wf->std_inputs |= 1u << std;
		else if (inn_workflow_param(wf, name, len) == NULL && !refused_param(L, name, len))
			inn_l_err(&L->lc, rc->at, "%s: references parameters.%.*s, which is not "
			          "declared in parameters%s", who, (int)len, name,
			          inn_param_standard_input(name, len) >= 0 ?
			          " (only a provider's workflow reads the standard inputs "
			          "undeclared: check it as provider/workflow with "
			          "validate-provider or run --local, or declare it)" : "");
	} else if (strncmp(ref, "steps.", 6) == 0) {
		const char *name = ref + 6;
		size_t len = strcspn(name, ".[");
		long s = inn_lw_find_step(L, name, len);

		if (s < 0)
			inn_l_err(&L->lc, rc->at, "%s: references %s, but there is no step "
			          "\"%.*s\"", who, ref, (int)len, name);
		else if (rc->step < 0 && L->vars_visible != (size_t)-1)
			inn_l_err(&L->lc, rc->at, "%s: references %s, but parameters and "
			          "variables render before any step runs", who, ref);
		else if (rc->step >= 0 && s == rc->step)
			inn_l_err(&L->lc, rc->at, "%s: references its own outputs (%s)", who,
			          ref);
		else if (rc->step >= 0 && !inn_lw_is_dependency(L, (size_t)rc->step, (size_t)s))
			inn_l_err(&L->lc, rc->at, "%s: references %s, but step \"%s\" does not "
			          "run before it, so a run has no outputs of it yet (add it to "
			          "depends_on)", who, ref, wf->steps[s].name);
	} else if (strncmp(ref, "variables.", 10) == 0) {
		const char *name = ref + 10;
		size_t len = strcspn(name, ".[");

		/* a bare ${X} reads variables.X, then the root X */
		if (!var_visible(L, name, len) && !known_root(name, len))
			inn_l_err(&L->lc, rc->at, "%s: references variables.%.*s, but %s (a bare "
			          "${%.*s} is a template reference too; for the shell's or the "
			          "environment's own variable write $%.*s or $${%.*s})", who,
			          (int)len, name, var_visible_later(L, name, len) ?
			          "that variable is declared later (variables render in order)" :
			          "no variable of that name is declared in variables",
			          (int)len, name, (int)len, name, (int)len, name);
	} else {
		size_t len = strcspn(ref, ".[");

		if (!known_root(ref, len))
			inn_l_err(&L->lc, rc->at, "%s: references %s, but \"%.*s\" is not a template "
			          "root (parameters, steps, resources, secrets, variables, workflow, "
			          "app); for literal text ${...} write $${...}", who, ref,
			          (int)len, ref);
	}
	return 0;
}

/* Runs the reference check over every string under node.  Bounded in
 * nodes (aliases share subtrees) and in depth. */
static void
walk_refs_at(struct ref_check *rc, const inn_ynode *n, const char *path, int depth)
{
	struct wf_load *L = rc->L;
	char p[INN_L_PATH_MAX];
	size_t i;

	if (L->budget == 0 || depth > MAX_WALK_DEPTH)
		return;
	L->budget--;
	switch (n->kind) {
	case INN_Y_SCALAR:
		/* a run renders every string, with or without template syntax, and
		 * refuses one over INN_TMPL_MAX_LEN: the same check, here */
		if (n->value != NULL && ((rc->rendered && n->len > INN_TMPL_MAX_LEN) ||
		                         inn_tmpl_has_syntax(n->value))) {
			const char *saved = rc->path;
			const inn_ynode *saved_at = rc->at;

			rc->path = path;
			rc->at = n;
			if (inn_tmpl_refs(n->value, ref_cb, rc) != 0) {
				if (rc->step >= 0)
					inn_l_err(&L->lc, n, "step \"%s\": %s: template error: %s",
					          L->wf->steps[rc->step].name, path, inn_error_last());
				else
					inn_l_err(&L->lc, n, "%s: template error: %s", path,
					          inn_error_last());
			}
			rc->path = saved;
			rc->at = saved_at;
		}
		break;
	case INN_Y_SEQ:
		for (i = 0; i < n->n; i++)
			walk_refs_at(rc, n->items[i], inn_l_index(p, sizeof(p), path, i),
			             depth + 1);
		break;
	case INN_Y_MAP:
		for (i = 0; i < INN_YMAP_LEN(n); i++)
			walk_refs_at(rc, INN_YMAP_VAL(n, i),
			             inn_l_path(p, sizeof(p), path, INN_YMAP_KEY(n, i)->value),
			             depth + 1);
		break;
	}
}

void
inn_lw_walk_refs(struct ref_check *rc, const inn_ynode *n, const char *path)
{
	walk_refs_at(rc, n, path, 0);
}

struct heredoc_warn {
	struct wf_load *L;
	const inn_ynode *at;
	const char *step;
};

static int
heredoc_cb(void *ud, const char *action)
{
	struct heredoc_warn *w = ud;

	inn_l_warn(&w->L->lc, w->at, "step \"%s\": config.script: %s is inside a "
	           "here-document with a quoted delimiter (<<'EOF'), where the shell "
	           "expands nothing: the script gets the text of a variable reference, "
	           "not the value (write the delimiter unquoted)", w->step, action);
	return 0;
}

/* Linux refuses to start a program with one environment string over
 * MAX_ARG_STRLEN (32 pages), E2BIG.  The total it allows depends on the
 * worker's stack limit (a quarter of it, up to 6 MiB), so only the
 * per-string limit is checked here. */
#define ENV_STR_MAX (32 * 4096)

/* The environment strings a shell script's references add when every
 * parameter keeps its default: each distinct value is one variable
 * (tmpl_eval.c).  Values given at submit are checked there. */
struct env_size {
	struct wf_load *L;
	unsigned char *seen;         /* per parameter */
	size_t largest;
	const char *largest_name;
};

static int
env_size_cb(void *ud, const char *ref)
{
	struct env_size *es = ud;
	const inn_workflow *wf = es->L->wf;
	const inn_param *p;
	size_t k, n;

	if (strncmp(ref, "parameters.", 11) != 0 || strchr(ref + 11, '.') != NULL ||
	    (p = inn_workflow_param(wf, ref + 11, strlen(ref + 11))) == NULL)
		return 0;
	k = (size_t)(p - wf->params);
	if (k >= wf->nparams || es->seen[k] || es->L->pdef == NULL || es->L->pdef[k] == NULL ||
	    !inn_ynode_is_scalar(es->L->pdef[k]))
		return 0;
	es->seen[k] = 1;
	n = es->L->pdef[k]->len + 16; /* "INN_T_n=" and the NUL */
	if (n > es->largest) {
		es->largest = n;
		es->largest_name = p->name;
	}
	return 0;
}

/* Shell scripts: templates rendered where the shell cannot expand them,
 * and an environment the kernel would refuse (E2BIG at every run). */
static void
check_shell_script(struct wf_load *L, size_t i, const inn_ynode *config)
{
	const inn_ynode *script = inn_ymap_get(config, "script");
	struct heredoc_warn w = { L, script, L->wf->steps[i].name };
	struct env_size es = { L, NULL, 0, NULL };

	if (L->wf->steps[i].plugin_type == NULL ||
	    strcmp(L->wf->steps[i].plugin_type, "shell") != 0 ||
	    !inn_ynode_is_scalar(script) || !inn_tmpl_has_syntax(script->value))
		return;
	(void)inn_tmpl_shell_lint(script->value, heredoc_cb, &w); /* syntax: reported */
	if ((es.seen = calloc(L->wf->nparams + 1, 1)) == NULL)
		return;
	if (inn_tmpl_refs(script->value, env_size_cb, &es) == 0) {
		if (es.largest > ENV_STR_MAX)
			inn_l_err(&L->lc, script, "step \"%s\": config.script: the default of "
			          "parameter \"%s\" (%zu bytes) reaches the shell as one environment "
			          "variable, which Linux limits to %d bytes: a run with this "
			          "default would fail with \"Argument list too long\"", L->wf->steps[i].name,
			          es.largest_name, es.largest - 16, ENV_STR_MAX);
	}
	free(es.seen);
}

void
inn_lw_check_step_refs(struct wf_load *L)
{
	size_t i;

	for (i = 0; i < L->wf->nsteps; i++) {
		struct ref_check rc = { L, (long)i, "", NULL, 1 };
		const struct step_pos *ps = &L->pos[i];

		if (L->wf->steps[i].name == NULL)
			continue;
		if (ps->config != NULL) {
			inn_lw_walk_refs(&rc, ps->config, "config");
			if (ps->config->kind == INN_Y_MAP)
				check_shell_script(L, i, ps->config);
		}
		if (ps->env != NULL)
			inn_lw_walk_refs(&rc, ps->env, "env");
		if (ps->when != NULL)
			inn_lw_walk_refs(&rc, ps->when, ps->when_key);
		if (ps->outputs != NULL) {
			rc.rendered = 0;
			inn_lw_walk_refs(&rc, ps->outputs, "outputs");
		}
	}
}

/* --- policy, registry, plugin validate() ---------------------------------- */

void
inn_lw_check_step_types(struct wf_load *L)
{
	const inn_load_ctx *ctx = L->ctx;
	size_t i;

	for (i = 0; i < L->wf->nsteps; i++) {
		const inn_step_def *s = &L->wf->steps[i];
		const inn_ynode *at = L->pos[i].type ? L->pos[i].type : L->pos[i].node;
		const inn_plugin *pl;

		if (s->name == NULL || s->type == NULL || s->plugin_type == NULL)
			continue;
		if (ctx->policy != NULL && !inn_policy_allows(ctx->policy, s->type)) {
			char src[512];

			inn_policy_describe_source(ctx->policy, src, sizeof(src));
			inn_l_err(&L->lc, at, "step \"%s\": type \"%s\" is not in %s", s->name,
			          s->type, src);
			continue;
		}
		if (ctx->registry == NULL)
			continue;
		if ((pl = inn_registry_find(ctx->registry, s->plugin_type)) == NULL) {
			if (strcmp(s->type, s->plugin_type) != 0)
				inn_l_err(&L->lc, at, "step \"%s\": no plugin provides step type "
				          "\"%s\" (the plugin type for \"%s\") (plugin directory %s)",
				          s->name, s->plugin_type, s->type,
				          ctx->registry->dir ? ctx->registry->dir : "?");
			else
				inn_l_err(&L->lc, at, "step \"%s\": no plugin provides step type "
				          "\"%s\" (plugin directory %s)", s->name, s->type,
				          ctx->registry->dir ? ctx->registry->dir : "?");
			continue;
		}
		if (pl->desc.validate != NULL) {
			inn_step_opts opts;
			inn_step *st = NULL;
			char err[512];

			memset(&opts, 0, sizeof(opts));
			opts.type = s->plugin_type;
			opts.name = s->name;
			opts.config = s->config;
			opts.workspace = "/";
			if (inn_step_new(&st, &opts) != 0) {
				inn_l_err(&L->lc, at, "step \"%s\": cannot prepare validation: %s",
				          s->name, inn_error_last());
				continue;
			}
			err[0] = '\0';
			if (pl->desc.validate(pl->state, inn_host_table(), st, err,
			                      sizeof(err)) != 0) {
				err[sizeof(err) - 1] = '\0';
				inn_l_err(&L->lc, L->pos[i].config ? L->pos[i].config : at,
				          "step \"%s\": %s plugin refused the config: %s", s->name,
				          s->plugin_type, err[0] ? err : "(no reason given)");
			}
			inn_step_free(st);
		}
	}
}
