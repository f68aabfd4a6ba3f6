/*
 * load_check.c - the checks of a workflow file that need all of it read:
 * every template reference (parameters.X declared, steps.S existing,
 * running before the step that reads it and declaring the output read,
 * variables in render order, known data roots and app fields, the
 * original's ${workflow.X} and ${<step>.<key>} mapped with a warning), the
 * shell-script lints (quoted here-documents, environment strings the
 * kernel refuses), and each step's type against the admin allow-list, the
 * plugin registry and the plugin's own validate().  Part of the workflow
 * loader (load_workflow.c); references to what a Score spec gives
 * (resources, app) are kept and checked once a run is planned
 * (inn_workflow_check_spec_refs).
 */
#include "model.h"

#include <ctype.h>
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

/* --- template references -------------------------------------------------- */

/* Non-zero when the declared outputs of a step (its `outputs:` mapping or
 * list of names) hold key; 1 too when the step declares none (then its
 * outputs are whatever its plugin reports, known only once it ran). */
static int
declared_output(const inn_ynode *outs, const char *key, size_t len)
{
	size_t i;

	if (outs == NULL)
		return 1;
	for (i = 0; outs->kind == INN_Y_MAP && i < INN_YMAP_LEN(outs); i++) {
		const char *k = INN_YMAP_KEY(outs, i)->value;

		if (k != NULL && strlen(k) == len && memcmp(k, key, len) == 0)
			return 1;
	}
	for (i = 0; outs->kind == INN_Y_SEQ && i < outs->n; i++) {
		const inn_ynode *it = outs->items[i];

		if (it->kind == INN_Y_MAP)
			it = inn_ymap_get(it, "name");
		if (inn_ynode_is_scalar(it) && it->value != NULL && strlen(it->value) == len &&
		    memcmp(it->value, key, len) == 0)
			return 1;
	}
	return 0;
}

/* Non-zero when step d is a script of shell.so that never names
 * $INNOMINATUS_OUTPUT, the only way it has to publish an output. */
static int
script_writes_no_outputs(const inn_step_def *d)
{
	json_object *v;

	return d->plugin_type != NULL && strcmp(d->plugin_type, "shell") == 0 &&
	       json_object_object_get_ex(d->config, "script", &v) &&
	       json_object_is_type(v, json_type_string) &&
	       strstr(json_object_get_string(v), "INNOMINATUS_OUTPUT") == NULL;
}

/* Non-zero when a reference at path is in the workflow's own outputs. */
static int
in_workflow_outputs(const struct ref_check *rc)
{
	return rc->step < 0 && (strncmp(rc->path, "outputs.", 8) == 0 ||
	                        strncmp(rc->path, "spec.outputs.", 13) == 0);
}

/* steps.S[.outputs.K...]: S exists, runs before the referencing step, and
 * K is among S's declared outputs when it declares them.  A workflow
 * output reading an output of a script that never writes any is warned
 * about: a run renders it null (exec_run.c), as the original rendered
 * "<no value>".  written is the reference as the template spells it (the
 * original's ${S.K} too). */
static void
check_step_ref(struct ref_check *rc, const char *who, const char *ref, const char *written)
{
	struct wf_load *L = rc->L;
	const inn_workflow *wf = L->wf;
	const char *name = ref + 6, *rest;
	size_t len = strcspn(name, ".[");
	long s = inn_lw_find_step(L, name, len);

	if (s < 0) {
		inn_l_err(&L->lc, rc->at, "%s: references %s, but there is no step \"%.*s\"",
		          who, written, (int)len, name);
		return;
	}
	if (rc->step < 0 && L->vars_visible != (size_t)-1)
		inn_l_err(&L->lc, rc->at, "%s: references %s, but parameters and "
		          "variables render before any step runs", who, written);
	else if (rc->step >= 0 && s == rc->step)
		inn_l_err(&L->lc, rc->at, "%s: references its own outputs (%s)", who, written);
	else if (rc->step >= 0 && !inn_lw_is_dependency(L, (size_t)rc->step, (size_t)s))
		inn_l_err(&L->lc, rc->at, "%s: references %s, but step \"%s\" does not "
		          "run before it, so a run has no outputs of it yet (add it to "
		          "depends_on)", who, written, wf->steps[s].name);
	rest = name + len;
	if (*rest != '.')
		return;
	rest++;
	if (strncmp(rest, "outputs", 7) != 0 || (rest[7] != '.' && rest[7] != '\0')) {
		inn_l_err(&L->lc, rc->at, "%s: references %s, but a step has only outputs "
		          "(write steps.%s.outputs.<name>)", who, written, wf->steps[s].name);
		return;
	}
	if (rest[7] == '.' &&
	    !declared_output(L->pos[s].outputs, rest + 8, strcspn(rest + 8, ".[")))
		inn_l_err(&L->lc, rc->at, "%s: references %s, but step \"%s\" declares its "
		          "outputs and \"%.*s\" is not one of them (add it to the step's "
		          "outputs:)", who, written, wf->steps[s].name,
		          (int)strcspn(rest + 8, ".["), rest + 8);
	else if (rest[7] == '.' && L->pos[s].outputs != NULL &&
	         rest[8 + strcspn(rest + 8, ".[")] != '\0')
		inn_l_err(&L->lc, rc->at, "%s: references %s, but step outputs are strings "
		          "(KEY=VALUE lines): there is nothing below steps.%s.outputs.%.*s", who,
		          written, wf->steps[s].name, (int)strcspn(rest + 8, ".["), rest + 8);
	else if (rest[7] == '.' && in_workflow_outputs(rc) && L->pos[s].outputs == NULL &&
	         script_writes_no_outputs(&wf->steps[s]))
		inn_l_warn(&L->lc, rc->at, "%s: references %s, but the script of step \"%s\" "
		           "never writes $INNOMINATUS_OUTPUT, so a run reads it as null (empty in "
		           "text; the original: \"<no value>\") unless the step writes it: echo "
		           "\"%.*s=...\" >> \"$INNOMINATUS_OUTPUT\"", who, written,
		           wf->steps[s].name, (int)strcspn(rest + 8, ".["), rest + 8);
	/* a step with a condition may be skipped, and a skipped step has no
	 * outputs: unless the reader guards the reference or has the same
	 * condition, a run where it is skipped fails here */
	if (wf->steps[s].when != NULL && rest[7] == '.' && !in_workflow_outputs(rc) &&
	    !rc->in_cond &&
	    !(rc->step >= 0 && wf->steps[rc->step].when != NULL &&
	      strcmp(wf->steps[rc->step].when, wf->steps[s].when) == 0) &&
	    !(rc->at != NULL && rc->at->value != NULL &&
	      (strstr(rc->at->value, "default") != NULL || strstr(rc->at->value, "if ") != NULL)))
		inn_l_warn(&L->lc, rc->at, "%s: references %s, but step \"%s\" has a "
		           "condition (if:) and a skipped step has no outputs: a run where it "
		           "is skipped fails here (guard the reference: {{ .steps.%s.outputs.%.*s "
		           "| default \"\" }}, or give this the same condition)", who, written,
		           wf->steps[s].name, wf->steps[s].name, (int)strcspn(rest + 8, ".["),
		           rest + 8);
}

/* workflow.X: the workflow's own name and provider; the original's
 * ${workflow.X} read a workflow variable (or a golden-path parameter),
 * which the engine maps (tmpl.h) and we name in our spelling. */
static void
check_workflow_ref(struct ref_check *rc, const char *who, const char *ref)
{
	struct wf_load *L = rc->L;
	const char *x = ref + 9;
	size_t len;
	int own;

	if (ref[8] != '.')
		return;               /* the whole object (x would be past its end) */
	len = strcspn(x, ".[");
	own = (len == 4 && memcmp(x, "name", 4) == 0) ||
	      (len == 8 && memcmp(x, "provider", 8) == 0);
	if (own) {
		if (var_visible_later(L, x, len) || inn_workflow_param(L->wf, x, len) != NULL)
			inn_l_warn(&L->lc, rc->at, "%s: ${workflow.%.*s} is this workflow's %.*s "
			           "here, not the variable or parameter \"%.*s\" the original read "
			           "(write ${variables.%.*s} or ${parameters.%.*s} for that)", who,
			           (int)len, x, (int)len, x, (int)len, x, (int)len, x, (int)len, x);
		return;
	}
	if (var_visible(L, x, len))
		inn_l_warn(&L->lc, rc->at, "%s: %s is the original's spelling of a workflow "
		           "variable; read as variables.%s (write that)", who, ref, x);
	else if (var_visible_later(L, x, len))
		inn_l_err(&L->lc, rc->at, "%s: references %s, but variable \"%.*s\" is "
		          "declared later (variables render in order)", who, ref, (int)len, x);
	else if (inn_workflow_param(L->wf, x, len) != NULL)
		inn_l_warn(&L->lc, rc->at, "%s: %s is the original's spelling of a "
		           "parameter; read as parameters.%s (write that)", who, ref, x);
	else
		inn_l_err(&L->lc, rc->at, "%s: references %s, but workflow.* holds only name "
		          "and provider, and no variable or parameter \"%.*s\" is declared "
		          "(the original's ${workflow.X} read the workflow variable X)", who, ref,
		          (int)len, x);
}

/* app.X: what a run with a Score spec has (deploy.c): name, metadata,
 * containers. */
static void
check_app_ref(struct ref_check *rc, const char *who, const char *ref)
{
	static const char *const fields[] = { "name", "metadata", "containers", NULL };
	const char *x = ref + 4;
	size_t i, len;

	if (ref[3] != '.')
		return;               /* the whole object (x would be past its end) */
	len = strcspn(x, ".[");
	for (i = 0; fields[i] != NULL; i++)
		if (strlen(fields[i]) == len && memcmp(fields[i], x, len) == 0)
			return;
	inn_l_err(&rc->L->lc, rc->at, "%s: references %s, but app holds only name, "
	          "metadata and containers (from the Score spec)", who, ref);
}

/* resources.R... and app...: what a run's Score spec gives (deploy.c),
 * known once a run is planned; the reference and its place are kept for
 * inn_workflow_check_spec_refs. */
static void
note_spec_ref(struct ref_check *rc, const char *who, const char *ref, size_t rootlen)
{
	inn_workflow *wf = rc->L->wf;
	const char *r = ref + rootlen + 1;
	json_object *o;

	if (ref[rootlen] != '.')
		return;
	if (wf->spec_refs == NULL && (wf->spec_refs = json_object_new_array()) == NULL)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "root", json_object_new_string_len(ref, (int)rootlen));
	json_object_object_add(o, "name", json_object_new_string_len(r, (int)strcspn(r, ".[")));
	json_object_object_add(o, "ref", json_object_new_string(ref));
	json_object_object_add(o, "who", json_object_new_string(who));
	json_object_object_add(o, "file", json_object_new_string(rc->L->lc.file ?
	                                                         rc->L->lc.file : ""));
	json_object_object_add(o, "line", json_object_new_int(rc->at ? rc->at->line : 0));
	json_object_object_add(o, "col", json_object_new_int(rc->at ? rc->at->col : 0));
	json_object_array_add(wf->spec_refs, o);
}

/* secrets.NAME: a run reads it from the admin config's secrets: (or from
 * what its run is given: run --local --secret).  With an admin config that
 * does not configure NAME, the warning says now what the run would fail
 * on (U3: validation and dry-run tell the truth), at the reference. */
static void
warn_unconfigured_secret(struct ref_check *rc, const char *who, const char *ref)
{
	const inn_policy *pol = rc->L->ctx->policy;
	const char *name = ref + 8;
	size_t n = strcspn(name, ".["), j;

	if (ref[7] != '.' || pol == NULL || pol->file == NULL || n == 0)
		return;
	for (j = 0; j < pol->nsecrets; j++)
		if (strlen(pol->secrets[j].name) == n && memcmp(pol->secrets[j].name, name, n) == 0)
			return;
	inn_l_warn(&rc->L->lc, rc->at, "%s: references secrets.%.*s, but secret \"%.*s\" is "
	           "not configured (%s secrets:): a run fails on it unless it is given the "
	           "secret", who, (int)n, name, (int)n, name, pol->file);
}

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
	size_t len = strcspn(ref, ".[");
	char who[200];
	long s;

	if (rc->step >= 0)
		snprintf(who, sizeof(who), "step \"%s\": %s", wf->steps[rc->step].name,
		         rc->path);
	else
		snprintf(who, sizeof(who), "%s", rc->path);

	if (strncmp(ref, "parameters.", 11) == 0) {
		/* the one place a parameter reference is judged */
		const char *name = ref + 11;
		size_t plen = strcspn(name, ".[");

		int std = L->provider ? inn_param_standard_input(name, plen) : -1;

		/* a provider's workflow reads the standard inputs of a resource
		 * operation undeclared, as the original's did (model.h) */
		if (inn_workflow_param(wf, name, plen) == NULL && std >= 0)
			L->wf->std_inputs |= 1u << std;
		else if (inn_workflow_param(wf, name, plen) == NULL &&
		         !refused_param(L, name, plen))
			inn_l_err(&L->lc, rc->at, "%s: references parameters.%.*s, which is not "
			          "declared in parameters%s", who, (int)plen, name,
			          inn_param_standard_input(name, plen) >= 0 ?
			          " (only a provider's workflow reads the standard inputs "
			          "undeclared: check it as provider/workflow with "
			          "validate-provider or run --local, or declare it)" : "");
	} else if (strncmp(ref, "steps.", 6) == 0) {
		check_step_ref(rc, who, ref, ref);
	} else if (strncmp(ref, "variables.", 10) == 0) {
		const char *name = ref + 10;
		size_t vlen = strcspn(name, ".[");

		if (!var_visible(L, name, vlen))
			inn_l_err(&L->lc, rc->at, "%s: references variables.%.*s, but %s", who,
			          (int)vlen, name, var_visible_later(L, name, vlen) ?
			          "that variable is declared later (variables render in order)" :
			          "no variable of that name is declared in variables");
	} else if (len == 8 && strncmp(ref, "workflow", 8) == 0) {
		check_workflow_ref(rc, who, ref);
	} else if (len == 3 && strncmp(ref, "app", 3) == 0) {
		check_app_ref(rc, who, ref);
		note_spec_ref(rc, who, ref, len);
	} else if (len == 9 && strncmp(ref, "resources", 9) == 0) {
		note_spec_ref(rc, who, ref, len);
	} else if (len == 7 && strncmp(ref, "secrets", 7) == 0) {
		warn_unconfigured_secret(rc, who, ref);
	} else if (inn_tmpl_known_root(ref, len)) {
		/* none left: every root is judged above */
	} else if (ref[len] == '.' && (s = inn_lw_find_step(L, ref, len)) >= 0) {
		/* the original's ${<step>.<key>}: read as steps.<step>.outputs.<key> */
		char ours[INN_L_PATH_MAX];

		snprintf(ours, sizeof(ours), "steps.%s.outputs%s", wf->steps[s].name, ref + len);
		inn_l_warn(&L->lc, rc->at, "%s: %s is the original's spelling of a step output; "
		           "read as %s (write that)", who, ref, ours);
		check_step_ref(rc, who, ours, ref);
	} else {
		/* the original's own roots (its handlers replaced these two) */
		const char *hint = strcmp(ref, "metadata.name") == 0 ?
		                   "; the original's ${metadata.name} (the app's name) is "
		                   "${app.name} here" :
		                   len == 11 && strncmp(ref, "environment", 11) == 0 ?
		                   "; the original's ${environment.*} (the Score spec's "
		                   "environment) has no counterpart here: declare a parameter "
		                   "(e.g. environment) and read ${parameters.environment}" : "";

		inn_l_err(&L->lc, rc->at, "%s: references %s, but \"%.*s\" is not a template "
		          "root (parameters, steps, resources, secrets, variables, workflow, "
		          "app) nor a step of this workflow%s; for literal text ${...} write "
		          "$${...} (the shell's own ${NAME} has no dot and is left alone)", who,
		          ref, (int)len, ref, hint);
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

/* Integer parameters are the only ones arithmetic may read; a reference
 * to any other value (or to a parameter of another type) is checked when
 * the step runs. */
static int
arith_type_cb(void *ud, const char *ref)
{
	struct heredoc_warn *w = ud;
	const inn_param *p;

	if (strncmp(ref, "parameters.", 11) != 0 || strchr(ref + 11, '.') != NULL ||
	    (p = inn_workflow_param(w->L->wf, ref + 11, strlen(ref + 11))) == NULL)
		return 0;
	if (p->type == NULL || (strcmp(p->type, "integer") != 0 && strcmp(p->type, "int") != 0 &&
	                        strcmp(p->type, "number") != 0))
		inn_l_warn(&w->L->lc, w->at, "step \"%s\": config.script: parameter \"%s\" "
		           "(type %s) is used in shell arithmetic, where bash evaluates a "
		           "value as an expression: a run refuses the step unless the value "
		           "is an integer (declare it type: integer)", w->step, p->name,
		           p->type ? p->type : "string");
	return 0;
}

static int
heredoc_cb(void *ud, unsigned kind, const char *action, size_t offset)
{
	struct heredoc_warn *w = ud;
	const char *why = inn_tmpl_shell_problem(kind, NULL, 0);

	(void)offset;
	if (why != NULL)
		inn_l_err(&w->L->lc, w->at, "step \"%s\": config.script: %s: %s",
		          w->step, action, why);
	else if (kind & INN_TMPL_SH_ARITH)
		(void)inn_tmpl_refs(action, arith_type_cb, w);
	if (kind & INN_TMPL_SH_QUOTED_HEREDOC)
		inn_l_warn(&w->L->lc, w->at, "step \"%s\": config.script: %s is inside a "
		           "here-document with a quoted delimiter (<<'EOF'), where the shell "
		           "expands nothing: the script gets the text of a variable reference, "
		           "not the value (pass the value through env: and read \"$VAR\", or "
		           "unquote the delimiter if the body has no other $ or `)",
		           w->step, action);
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
	    !inn_ynode_is_scalar(script) ||
	    /* "${" alone may be a bad substitution the lint reports */
	    (!inn_tmpl_has_syntax(script->value) && strstr(script->value, "${") == NULL))
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
	size_t i, j;

	for (i = 0; i < L->wf->nsteps; i++) {
		struct ref_check rc = { L, (long)i, "", NULL, 1, 0 };
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
		if (ps->when != NULL) {
			rc.in_cond = 1;
			inn_lw_walk_refs(&rc, ps->when, ps->when_key);
			rc.in_cond = 0;
		}
		for (j = 0; j < ps->nlegacy; j++)   /* the original's fields (load_legacy.c) */
			inn_lw_walk_refs(&rc, ps->legacy[j], ps->legacy_key[j]);
		if (ps->outputs != NULL) {
			rc.rendered = 0;
			inn_lw_walk_refs(&rc, ps->outputs, "outputs");
		}
	}
}

/* --- policy, registry, plugin validate() ---------------------------------- */

/* For a step type the allow-list refuses: a note in buf when its plugin
 * is loaded for another type (allowing "policy" loads shell.so, but a
 * "shell" step stays refused) or when it is a legacy type whose plugin
 * type is allowed (allowing "shell" does not allow "policy"), else "". */
static const char *
alias_note(const inn_load_ctx *ctx, const inn_step_def *s, char *buf, size_t len)
{
	const char *via;

	buf[0] = '\0';
	if (strcmp(s->type, s->plugin_type) != 0 &&
	    inn_policy_allows(ctx->policy, s->plugin_type))
		snprintf(buf, len, " (it runs on the plugin of \"%s\", which is allowed; "
		         "add \"%s\" to the list to allow these steps)", s->plugin_type,
		         s->type);
	else if (ctx->registry != NULL && inn_registry_find(ctx->registry, s->type) &&
	         inn_policy_allows_plugin(ctx->policy, s->type, &via) && via != NULL)
		snprintf(buf, len, " (its plugin is loaded only for steps of type \"%s\", "
		         "which runs on it)", via);
	return buf;
}

/* Where a plugin's refusal err of step i is reported: at the field it
 * names first ("config.working_dir: ...") -- the original's step field
 * that became that key, else the key in config: -- else at config:, else
 * at the step's type. */
static const inn_ynode *
refused_at(const struct wf_load *L, size_t i, const char *err)
{
	const struct step_pos *ps = &L->pos[i];
	const inn_ynode *k;
	char key[64];
	size_t n = 0, j;

	if (strncmp(err, "config.", 7) == 0)
		while (n + 1 < sizeof(key) && (isalnum((unsigned char)err[7 + n]) ||
		       err[7 + n] == '_')) {
			key[n] = err[7 + n];
			n++;
		}
	key[n] = '\0';
	for (j = 0; n > 0 && j < ps->nlegacy; j++)
		if (ps->legacy_to[j] != NULL && strcmp(ps->legacy_to[j], key) == 0)
			return ps->legacy_at[j];
	if (n > 0 && ps->config != NULL && ps->config->kind == INN_Y_MAP &&
	    (k = inn_ymap_key(ps->config, key)) != NULL)
		return k;
	return ps->config ? ps->config : ps->type ? ps->type : ps->node;
}

/* "the step types loaded: a, b" (or "no plugin is loaded") into buf. */
static const char *
loaded_types(const inn_registry *reg, char *buf, size_t len)
{
	size_t i, j, n = 0;
	int w;

	w = snprintf(buf, len, "%s", reg->nplugins == 0 ? "no plugin is loaded" :
	             "the step types loaded: ");
	for (i = 0; i < reg->nplugins && w >= 0 && (size_t)w < len; i++)
		for (j = 0; j < reg->plugins[i].ntypes && w >= 0 && (size_t)w < len; j++, n++)
			w += snprintf(buf + w, len - (size_t)w, "%s%s", n ? ", " : "",
			              reg->plugins[i].types[j]);
	return buf;
}

/* A warning for each top-level config key of step i ending in "_secret"
 * whose value (written, not a template) names a secret the admin config
 * does not configure: the step would fail at run time unless its run is
 * given the secret (run --local --secret).  Only with an admin config. */
static void
warn_secret_names(struct wf_load *L, size_t i)
{
	const inn_policy *pol = L->ctx->policy;
	const struct step_pos *ps = &L->pos[i];
	json_object *cfg = L->wf->steps[i].config;
	size_t kl, j;

	if (pol == NULL || pol->file == NULL || !json_object_is_type(cfg, json_type_object))
		return;
	json_object_object_foreach(cfg, k, v) {
		const char *name = json_object_get_string(v);
		const inn_ynode *at;

		kl = strlen(k);
		if (kl < 7 || strcmp(k + kl - 7, "_secret") != 0 ||
		    !json_object_is_type(v, json_type_string) || *name == '\0' ||
		    inn_tmpl_has_syntax(name))
			continue;
		for (j = 0; j < pol->nsecrets && strcmp(pol->secrets[j].name, name) != 0; j++)
			;
		if (j < pol->nsecrets)
			continue;
		at = ps->config != NULL && ps->config->kind == INN_Y_MAP ?
		     inn_ymap_key(ps->config, k) : NULL;
		inn_l_warn(&L->lc, at != NULL ? at : ps->type ? ps->type : ps->node,
		           "step \"%s\": config.%s names secret \"%s\", which %s does not "
		           "configure (secrets:): the step fails unless its run is given it%s",
		           L->wf->steps[i].name, k, name, pol->file,
		           at == NULL && json_object_object_get_ex(
		               inn_policy_step_defaults(pol, L->wf->steps[i].plugin_type), k, NULL) ?
		           " (the key comes from stepDefaults)" :
	           at == NULL && json_object_object_get_ex(
	               inn_policy_step_policies(pol, L->wf->steps[i].plugin_type), k, NULL) ?
	           " (the key comes from stepPolicies)" : "");
	}
}

/* Non-zero when key k names a configured secret (ends in "_secret"). */
static int
is_secret_key(const char *k)
{
	size_t kl = strlen(k);

	return kl >= 7 && strcmp(k + kl - 7, "_secret") == 0;
}

/* The YAML node of path (config keys and list indices, at depth n) under
 * the step's written config, or the deepest one found; NULL when none. */
static const inn_ynode *
secret_key_at(const inn_ynode *y, const char *const *path, size_t n)
{
	const inn_ynode *best = NULL, *k;
	size_t d;
	char *end;
	unsigned long ix;

	for (d = 0; d < n && y != NULL; d++) {
		if (y->kind == INN_Y_MAP && (k = inn_ymap_key(y, path[d])) != NULL) {
			best = k;
			y = inn_ymap_get(y, path[d]);
		} else if (y->kind == INN_Y_SEQ &&
		           (ix = strtoul(path[d], &end, 10), *end == '\0') && ix < y->n) {
			y = y->items[ix];
			best = y;
		} else {
			return best;
		}
	}
	return best;
}

/* Walks o (at depth n of path) for keys ending in "_secret" whose value is
 * a string template: a run parameter would choose which configured secret
 * is sent as a credential.  Each is an error at its key.  Returns the
 * number found. */
static int
refuse_secret_tmpl_in(struct wf_load *L, size_t i, json_object *o, const char **path,
                      size_t n)
{
	const struct step_pos *ps = &L->pos[i];
	char field[512], ixs[16][24];
	int found = 0;
	size_t j, at;

	if (n >= 16)
		return 0;
	if (json_object_is_type(o, json_type_array)) {
		for (j = 0; j < json_object_array_length(o); j++) {
			snprintf(ixs[n], sizeof(ixs[n]), "%zu", j);
			path[n] = ixs[n];
			found += refuse_secret_tmpl_in(L, i, json_object_array_get_idx(o, j),
			                               path, n + 1);
		}
		return found;
	}
	if (!json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, k, v) {
		const inn_ynode *y;

		path[n] = k;
		if (!is_secret_key(k) || !json_object_is_type(v, json_type_string) ||
		    !inn_tmpl_has_syntax(json_object_get_string(v))) {
			found += refuse_secret_tmpl_in(L, i, v, path, n + 1);
			continue;
		}
		at = (size_t)snprintf(field, sizeof(field), "config");
		for (j = 0; j <= n && at < sizeof(field); j++)
			at += (size_t)snprintf(field + at, sizeof(field) - at, ".%s", path[j]);
		y = n == 0 ? refused_at(L, i, field) :
		    secret_key_at(ps->config, path, n + 1);
		if (y == NULL)
			y = ps->config ? ps->config : ps->type ? ps->type : ps->node;
		inn_l_err(&L->lc, y, "step \"%s\": %s: must name a secret, not a template "
		          "(a run parameter must not choose which credential is sent)",
		          L->wf->steps[i].name, field);
		found++;
	}
	return found;
}

/* Errors for every key ending in "_secret", at any depth of step i's
 * config (its own keys, stepDefaults and stepPolicies merged), whose value
 * is a template ({{ }} or ${ }): the name of the credential a plugin sends
 * is the workflow's or the platform's, never a run parameter's.  For every
 * step type, whatever its plugin reads. */
static void
refuse_templated_secret_names(struct wf_load *L, size_t i)
{
	const char *path[16];

	(void)refuse_secret_tmpl_in(L, i, L->wf->steps[i].config, path, 0);
}

/* Non-zero when the workflow wrote config key k of the step at ps: under
 * config:, or as an original step field that became it -- not a key a
 * legacy type's defaults added (step_types.h: policy's errexit). */
static int
written_by_step(const struct step_pos *ps, const char *k)
{
	size_t j;

	for (j = 0; j < ps->nlegacy; j++)
		if (ps->legacy_to[j] != NULL && strcmp(ps->legacy_to[j], k) == 0)
			return 1;
	if (ps->config == NULL)
		return 0;
	return ps->config->kind != INN_Y_MAP || inn_ymap_key(ps->config, k) != NULL;
}

/* An error for each key of step i's own config (as written, or from an
 * original step field) that the admin config's stepPolicies sets for its
 * type: the platform owns the key, whatever the value.  Non-zero when
 * there was one. */
static int
refuse_policy_keys(struct wf_load *L, size_t i)
{
	const inn_policy *pol = L->ctx->policy;
	const inn_step_def *s = &L->wf->steps[i];
	json_object *set = inn_policy_step_policies(pol, s->plugin_type);
	int n = 0;

	if (set == NULL || !json_object_is_type(s->config, json_type_object))
		return 0;
	json_object_object_foreach(set, k, v) {
		char field[300];

		(void)v;
		if (!json_object_object_get_ex(s->config, k, NULL) ||
		    !written_by_step(&L->pos[i], k))
			continue;
		snprintf(field, sizeof(field), "config.%s", k);
		inn_l_err(&L->lc, refused_at(L, i, field), "step \"%s\": config.%s: may not be "
		          "set by a step: set by the platform in %s stepPolicies.%s.%s",
		          s->name, k, pol->file, s->plugin_type, k);
		n++;
	}
	return n;
}

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
		/* the admin config's stepPolicies over the step's own keys (which
		 * may not name them) and its stepDefaults under them, before the
		 * plugin validates and long before anything renders */
		if (refuse_policy_keys(L, i) != 0)
			continue;
		if (inn_policy_merge_policies(&L->wf->steps[i].config,
		                              inn_policy_step_policies(ctx->policy,
		                                                       s->plugin_type)) != 0 ||
		    inn_policy_merge_defaults(&L->wf->steps[i].config,
		                              inn_policy_step_defaults(ctx->policy,
		                                                       s->plugin_type)) != 0) {
			inn_l_err(&L->lc, at, "step \"%s\": %s", s->name, inn_error_last());
			continue;
		}
		refuse_templated_secret_names(L, i);
		warn_secret_names(L, i);
		if (ctx->policy != NULL && !inn_policy_allows(ctx->policy, s->type)) {
			char src[512], note[256];

			inn_policy_describe_source(ctx->policy, src, sizeof(src));
			inn_l_err(&L->lc, at, "step \"%s\": type \"%s\" is not in %s%s", s->name,
			          s->type, src, alias_note(ctx, s, note, sizeof(note)));
			continue;
		}
		if (ctx->registry == NULL)
			continue;
		if ((pl = inn_registry_find(ctx->registry, s->plugin_type)) == NULL) {
			const inn_refusal *why = inn_registry_refusal(ctx->registry, s->plugin_type);
			char what[256], types[512];

			if (strcmp(s->type, s->plugin_type) != 0)
				snprintf(what, sizeof(what), "step type \"%s\" (the plugin for "
				         "\"%s\")", s->plugin_type, s->type);
			else
				snprintf(what, sizeof(what), "step type \"%s\"", s->type);
			/* the plugins by name, never the directory: these messages
			 * reach API users, and where a server keeps its plugins is
			 * not theirs to know (innominatus-ctl plugins shows it) */
			if (why != NULL)
				inn_l_err(&L->lc, at, "step \"%s\": %s: its plugin %s was refused: %s",
				          s->name, what, why->file, why->reason);
			else
				inn_l_err(&L->lc, at, "step \"%s\": no plugin provides %s (%s)",
				          s->name, what, loaded_types(ctx->registry, types,
				                                      sizeof(types)));
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
			/* relative paths refer to it at run time, so the plugin
			 * checks the written-out ones against it now */
			opts.base_dir = L->wf->base_dir;
			if (inn_step_new(&st, &opts) != 0) {
				inn_l_err(&L->lc, at, "step \"%s\": cannot prepare validation: %s",
				          s->name, inn_error_last());
				continue;
			}
			err[0] = '\0';
			if (pl->desc.validate(pl->state, inn_host_table(), st, err,
			                      sizeof(err)) != 0) {
				err[sizeof(err) - 1] = '\0';
				inn_l_err(&L->lc, refused_at(L, i, err),
				          "step \"%s\": %s plugin refused the config: %s", s->name,
				          s->plugin_type, err[0] ? err : "(no reason given)");
			}
			inn_step_free(st);
		}
	}
}

/* --- the Score spec's data, once a run is planned ------------------------ */

size_t
inn_workflow_check_spec_refs(const inn_workflow *wf, json_object *data, inn_diag *diag)
{
	json_object *res = NULL;
	char have[512];
	size_t i, n, len = 0, bad = 0;

	if (wf == NULL || wf->spec_refs == NULL)
		return 0;
	have[0] = '\0';
	if (data != NULL && json_object_object_get_ex(data, "resources", &res) &&
	    json_object_is_type(res, json_type_object)) {
		json_object_object_foreach(res, k, v) {
			(void)v;
			if (len < sizeof(have))
				len += (size_t)snprintf(have + len, sizeof(have) - len, "%s%s",
				                        len ? ", " : "", k);
		}
	}
	n = json_object_array_length(wf->spec_refs);
	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(wf->spec_refs, i);
		const char *root = json_object_get_string(json_object_object_get(o, "root"));
		const char *name = json_object_get_string(json_object_object_get(o, "name"));
		const char *why;

		if (strcmp(root, "app") == 0) {
			if (data != NULL && json_object_object_get_ex(data, "app", NULL))
				continue;
			why = "this run has no application (app comes from a Score spec)";
		} else if (res != NULL && json_object_object_get_ex(res, name, NULL)) {
			continue;
		} else {
			why = have[0] == '\0' ? "this run has no resources (they come from a "
			      "Score spec)" : "the Score spec has no resource of that name";
		}
		bad++;
		inn_diag_add(diag, INN_DIAG_ERROR,
		             json_object_get_string(json_object_object_get(o, "file")),
		             json_object_get_int(json_object_object_get(o, "line")),
		             json_object_get_int(json_object_object_get(o, "col")),
		             "%s: references %s, but %s%s%s%s",
		             json_object_get_string(json_object_object_get(o, "who")),
		             json_object_get_string(json_object_object_get(o, "ref")), why,
		             strcmp(root, "resources") == 0 && have[0] ? " (it has: " : "",
		             strcmp(root, "resources") == 0 && have[0] ? have : "",
		             strcmp(root, "resources") == 0 && have[0] ? ")" : "");
	}
	return bad;
}
