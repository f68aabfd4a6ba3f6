/*
 * load_workflow.c - reads one workflow file into an inn_workflow (model.h)
 * and checks everything that can be checked before a run: the shape of
 * each field, step names and dependencies (unknown names, cycles), the
 * admin allow-list and the plugin registry (including the plugin's own
 * validate()), and every template reference to parameters and steps.
 * Both layouts are read: top-level `steps:` (provider workflows) and the
 * golden-path `apiVersion/kind: Workflow/spec.steps` form.
 */
#include "model.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "error.h"
#include "host.h"
#include "load_int.h"
#include "tmpl.h"

#define MAX_STEPS_HARD 10000      /* even without a policy */
#define MAX_WALK_NODES 1000000    /* template walk budget per file */
#define MAX_RETRIES 100
#define MAX_CYCLES_REPORTED 10
#define MAX_WALK_DEPTH 300        /* the YAML parser stops at 256 */

/* Where each step's fields were written, for messages after parsing. */
struct step_pos {
	const inn_ynode *node, *name, *type, *config, *env, *when, *outputs;
	const char *when_key;
	const inn_ynode **deps;     /* one node per depends_on entry */
};

struct wf_load {
	inn_lctx lc;
	const inn_load_ctx *ctx;
	inn_workflow *wf;
	struct step_pos *pos;
	size_t *byname;             /* step indices sorted by name */
	size_t nbyname;
	const inn_ynode **pdef;      /* each parameter's default node, or NULL */
	size_t budget;
	const inn_ynode *vars;       /* the variables mapping, or NULL */
	size_t vars_visible;         /* how many of its entries a template being
	                              * checked can read (they render in order,
	                              * after the parameters) */
};

/* Context for one template reference check. */
struct ref_check {
	struct wf_load *L;
	long step;                  /* the referencing step, or -1 */
	const char *path;           /* field path, e.g. config.script */
	const inn_ynode *at;
	int rendered;               /* a run renders these strings (so their
	                             * length is limited), not documentation */
};

static const char *const top_keys[] = {
	"apiVersion", "kind", "metadata", "spec", "name", "description", "parameters",
	"variables", "steps", "outputs", "phase", "triggers", "timeout", NULL
};
static const char *const spec_keys[] = {
	"parameters", "variables", "steps", "outputs", "timeout", "phase", "triggers",
	"description", NULL
};
static const char *const metadata_keys[] = {
	"name", "owner", "description", "version", "category", "labels", "annotations",
	"tags", "team", NULL
};
static const char *const step_keys[] = {
	"name", "type", "config", "env", "if", "when", "depends_on", "dependsOn",
	"parallel", "timeout", "retries", "continue_on_error", "continueOnError",
	"outputs", "description", NULL
};

/* --- parameters (declarations are read by load_param.c) ------------------ */

/* parameters: a list of declarations (or a `name: {...}` mapping).  A
 * repeated name is reported (naming both lines) and the first declaration
 * kept; duplicates are found by sorting, not by comparing every pair. */
static void
load_params(struct wf_load *L, const inn_ynode *node, const char *path)
{
	inn_workflow *wf = L->wf;
	size_t i, j, g, cnt, nparsed = 0;
	size_t *orig = NULL, *first = NULL;
	char p[INN_L_PATH_MAX];

	if (inn_l_is_null(node))
		return;
	if (node->kind == INN_Y_SCALAR) {
		inn_l_err(&L->lc, node, "%s: must be a list, not a scalar", path);
		return;
	}
	cnt = node->kind == INN_Y_SEQ ? node->n : INN_YMAP_LEN(node);
	if (cnt == 0)
		return;
	if ((wf->params = calloc(cnt, sizeof(*wf->params))) == NULL ||
	    (L->pdef = calloc(cnt, sizeof(*L->pdef))) == NULL ||
	    (orig = calloc(cnt, sizeof(*orig))) == NULL ||
	    (first = calloc(cnt, sizeof(*first))) == NULL) {
		inn_l_err(&L->lc, node, "out of memory");
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		const inn_ynode *item, *key = NULL;
		inn_param *pa = &wf->params[nparsed];

		if (node->kind == INN_Y_SEQ) {
			item = node->items[i];
			inn_l_index(p, sizeof(p), path, i);
		} else {
			key = INN_YMAP_KEY(node, i);
			item = INN_YMAP_VAL(node, i);
			inn_l_path(p, sizeof(p), path, key->value);
		}
		if (inn_l_param_parse(&L->lc, item, key, p, pa) != 0)
			continue;
		if (item->kind == INN_Y_MAP)
			L->pdef[nparsed] = inn_ymap_get(item, "default");
		orig[nparsed] = i;
		nparsed++;
	}
	/* first[k]: the declaration k repeats, or k itself */
	wf->nparams = nparsed;
	if (inn_l_params_index(wf) != 0) {
		inn_l_err(&L->lc, node, "out of memory");
		goto out;
	}
	for (g = 0, i = 0; i < nparsed; i++) {
		if (strcmp(wf->params[wf->param_byname[g]].name,
		           wf->params[wf->param_byname[i]].name) != 0)
			g = i;
		first[wf->param_byname[i]] = wf->param_byname[g];
	}
	for (i = 0, j = 0; i < nparsed; i++) {
		inn_param *pa = &wf->params[i];

		if (first[i] != i) {
			const inn_ynode *item;

			if (node->kind == INN_Y_SEQ) {
				item = node->items[orig[i]];
				inn_l_index(p, sizeof(p), path, orig[i]);
			} else {
				item = INN_YMAP_VAL(node, orig[i]);
				inn_l_path(p, sizeof(p), path, INN_YMAP_KEY(node, orig[i])->value);
			}
			inn_l_err(&L->lc, item, "%s: duplicate parameter \"%s\" (lines %d and "
			          "%d)", p, pa->name, wf->params[first[i]].line, pa->line);
			inn_l_param_free(pa);
			continue;
		}
		if (j != i) {
			wf->params[j] = *pa;
			L->pdef[j] = L->pdef[i];
		}
		j++;
	}
	wf->nparams = j;
	if (j != nparsed && inn_l_params_index(wf) != 0)
		inn_l_err(&L->lc, node, "out of memory");
out:
	free(orig);
	free(first);
}

static const inn_param *
find_param(const inn_workflow *wf, const char *name, size_t len)
{
	return inn_workflow_param(wf, name, len);
}

/* --- small readers ------------------------------------------------------- */

static int
read_duration(struct wf_load *L, const inn_ynode *n, const char *path, int64_t *ms)
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

/* Converts a mapping subtree to JSON, reporting alias bombs. */
static json_object *
to_json_map(struct wf_load *L, const inn_ynode *n, const char *path)
{
	json_object *o;

	if (inn_l_kind(&L->lc, n, INN_Y_MAP, path) != 0)
		return NULL;
	if ((o = inn_ynode_to_json(n)) == NULL)
		inn_l_err(&L->lc, n, "%s: %s", path, inn_error_last());
	return o;
}

/* --- steps --------------------------------------------------------------- */

static void
step_free(inn_step_def *s)
{
	free(s->name);
	free(s->type);
	free(s->plugin_type);
	json_object_put(s->config);
	json_object_put(s->env);
	free(s->when);
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
		if (v->kind != INN_Y_SCALAR) {
			inn_l_err(&L->lc, v, "%s.%s: must be a scalar, not %s", path, k->value,
			          inn_ynode_kind_name(v));
			return;
		}
	}
	s->env = to_json_map(L, n, path);
}

static void
step_when(struct wf_load *L, inn_step_def *s, const inn_ynode *n, const char *path)
{
	int b;

	if (inn_l_is_null(n))
		return;
	if (n->kind != INN_Y_SCALAR) {
		inn_l_err(&L->lc, n, "%s: must be a condition string or true/false, not %s",
		          path, inn_ynode_kind_name(n));
		return;
	}
	if (n->plain && (strcmp(n->value, "true") == 0 || strcmp(n->value, "false") == 0 ||
	                 strcmp(n->value, "True") == 0 || strcmp(n->value, "False") == 0 ||
	                 strcmp(n->value, "TRUE") == 0 || strcmp(n->value, "FALSE") == 0)) {
		inn_l_bool(&L->lc, n, path, &b);
		s->when = strdup(b ? "true" : "false");
	} else {
		s->when = strdup(n->value);
	}
	if (s->when == NULL)
		inn_l_err(&L->lc, n, "out of memory");
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
		read_duration(L, v, inn_l_path(p, sizeof(p), path, "backoff"), &s->backoff_ms);
}

/* Reads steps[idx] into s (fields that fail are reported and left empty). */
static void
step_parse(struct wf_load *L, const inn_ynode *n, size_t idx, inn_step_def *s,
           struct step_pos *ps)
{
	char path[64], p[INN_L_PATH_MAX];
	const inn_ynode *v, *v2;
	size_t i;

	snprintf(path, sizeof(path), "steps[%zu]", idx);
	s->line = n->line;
	s->col = n->col;
	s->backoff_ms = 1000;
	ps->node = n;
	if (inn_l_kind(&L->lc, n, INN_Y_MAP, path) != 0)
		return;
	inn_l_unknown_keys(&L->lc, n, step_keys, path);
	ps->name = inn_ymap_get(n, "name");
	ps->type = inn_ymap_get(n, "type");
	if (inn_l_string(&L->lc, n, "name", path, &s->name) != 0)
		return;
	if (s->name == NULL) {
		inn_l_err(&L->lc, n, "%s: missing required field \"name\"", path);
		return;
	}
	if (!inn_l_name_ok(s->name)) {
		inn_l_err(&L->lc, ps->name, "%s: step name \"%s\" must match "
		          "[A-Za-z0-9][A-Za-z0-9_-]* (at most 128 characters)", path, s->name);
		free(s->name);
		s->name = NULL;
		return;
	}
	snprintf(path, sizeof(path), "step \"%s\"", s->name);
	if (inn_l_string(&L->lc, n, "type", path, &s->type) == 0 && s->type == NULL)
		inn_l_err(&L->lc, n, "step \"%s\": missing required field \"type\"", s->name);
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
		s->config = to_json_map(L, ps->config, p);
		if (s->config == NULL)
			ps->config = NULL; /* reported; skip the template walk */
	} else {
		ps->config = NULL;
	}
	if (s->config == NULL && (s->config = json_object_new_object()) == NULL)
		inn_l_err(&L->lc, n, "out of memory");

	if ((ps->env = inn_ymap_get(n, "env")) != NULL) {
		snprintf(p, sizeof(p), "steps[%zu].env", idx);
		step_env(L, s, ps->env, p);
		if (s->env == NULL)
			ps->env = NULL;
	}

	v = inn_ymap_get(n, "if");
	v2 = inn_ymap_get(n, "when");
	if (v != NULL && v2 != NULL)
		inn_l_err(&L->lc, inn_ymap_key(n, "when"), "step \"%s\": give either if or "
		          "when, not both", s->name);
	else if (v != NULL || v2 != NULL) {
		ps->when_key = v ? "if" : "when";
		snprintf(p, sizeof(p), "steps[%zu].%s", idx, ps->when_key);
		step_when(L, s, v ? v : v2, p);
		if (s->when != NULL)
			ps->when = v ? v : v2;
	}

	v = inn_ymap_get(n, "depends_on");
	v2 = inn_ymap_get(n, "dependsOn");
	if (v != NULL && v2 != NULL)
		inn_l_err(&L->lc, inn_ymap_key(n, "dependsOn"), "step \"%s\": give either "
		          "depends_on or dependsOn, not both", s->name);
	else if (v != NULL || v2 != NULL) {
		s->deps_explicit = 1; /* even "depends_on: []": no implicit ordering */
		step_deps(L, s, ps, v ? v : v2,
		          inn_l_path(p, sizeof(p), path, v ? "depends_on" : "dependsOn"));
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
		read_duration(L, v, p, &s->timeout_ms);
	}
	if ((v = inn_ymap_get(n, "retries")) != NULL && !inn_l_is_null(v)) {
		snprintf(p, sizeof(p), "steps[%zu].retries", idx);
		step_retries(L, s, v, p);
	}
	v = inn_ymap_get(n, "continue_on_error");
	v2 = inn_ymap_get(n, "continueOnError");
	if (v != NULL && v2 != NULL)
		inn_l_err(&L->lc, inn_ymap_key(n, "continueOnError"), "step \"%s\": give "
		          "either continue_on_error or continueOnError, not both", s->name);
	else if ((v != NULL || v2 != NULL) && !inn_l_is_null(v ? v : v2)) {
		snprintf(p, sizeof(p), "steps[%zu].%s", idx,
		         v ? "continue_on_error" : "continueOnError");
		inn_l_bool(&L->lc, v ? v : v2, p, &s->continue_on_error);
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
}

static int
cmp_byname(const void *a, const void *b, void *ud)
{
	const inn_workflow *wf = ud;
	const inn_step_def *sa = &wf->steps[*(const size_t *)a];
	const inn_step_def *sb = &wf->steps[*(const size_t *)b];
	int c = strcmp(sa->name, sb->name);

	if (c != 0)
		return c;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Index of the step called name[0..len), or -1. */
static long
find_step(const struct wf_load *L, const char *name, size_t len)
{
	size_t lo = 0, hi = L->nbyname;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *m = L->wf->steps[L->byname[mid]].name;
		int c = strncmp(m, name, len);

		if (c == 0 && m[len] != '\0')
			c = 1;
		if (c == 0) {
			/* first of equal names */
			while (mid > 0 && strcmp(L->wf->steps[L->byname[mid - 1]].name, m) == 0)
				mid--;
			return (long)L->byname[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Sorts step names; reports duplicates naming both lines. */
static int
index_names(struct wf_load *L)
{
	inn_workflow *wf = L->wf;
	size_t i;

	if ((L->byname = calloc(wf->nsteps + 1, sizeof(*L->byname))) == NULL)
		return -1;
	for (i = 0; i < wf->nsteps; i++)
		if (wf->steps[i].name != NULL)
			L->byname[L->nbyname++] = i;
	qsort_r(L->byname, L->nbyname, sizeof(*L->byname), cmp_byname, wf);
	for (i = 1; i < L->nbyname; i++) {
		const inn_step_def *a = &wf->steps[L->byname[i - 1]];
		const inn_step_def *b = &wf->steps[L->byname[i]];

		if (strcmp(a->name, b->name) == 0)
			inn_l_err(&L->lc, L->pos[L->byname[i]].name, "step \"%s\": duplicate "
			          "step name (lines %d and %d)", b->name, a->line, b->line);
	}
	return 0;
}

static void
check_deps(struct wf_load *L)
{
	inn_workflow *wf = L->wf;
	size_t i, j;

	for (i = 0; i < wf->nsteps; i++)
		for (j = 0; j < wf->steps[i].ndeps; j++) {
			const char *d = wf->steps[i].depends_on[j];

			if (strcmp(d, wf->steps[i].name) != 0 && find_step(L, d, strlen(d)) < 0)
				inn_l_err(&L->lc, L->pos[i].deps[j], "step \"%s\": depends_on names "
				          "unknown step \"%s\"", wf->steps[i].name, d);
		}
}

/* Reports dependency cycles ("a -> b -> a"), iteratively so a long chain
 * cannot exhaust the stack. */
static void
check_cycles(struct wf_load *L)
{
	inn_workflow *wf = L->wf;
	size_t n = wf->nsteps, root, reported = 0;
	unsigned char *color = calloc(n + 1, 1);     /* 0 white 1 grey 2 black */
	size_t *stack = calloc(n + 1, sizeof(*stack));
	size_t *edge = calloc(n + 1, sizeof(*edge));
	size_t *depth = calloc(n + 1, sizeof(*depth));

	if (color == NULL || stack == NULL || edge == NULL || depth == NULL)
		goto out;
	for (root = 0; root < n && reported < MAX_CYCLES_REPORTED; root++) {
		size_t sp = 0;

		if (color[root] != 0 || wf->steps[root].name == NULL)
			continue;
		stack[sp++] = root;
		color[root] = 1;
		edge[root] = 0;
		depth[root] = 0;
		while (sp > 0) {
			size_t u = stack[sp - 1];
			inn_step_def *s = &wf->steps[u];
			long v;

			if (edge[u] >= s->ndeps) {
				color[u] = 2;
				sp--;
				continue;
			}
			v = strcmp(s->depends_on[edge[u]], s->name) == 0
			        ? -1 /* self loops are reported while parsing */
			        : find_step(L, s->depends_on[edge[u]],
			                    strlen(s->depends_on[edge[u]]));
			edge[u]++;
			if (v < 0 || color[v] == 2)
				continue;
			if (color[v] == 0) {
				color[v] = 1;
				edge[v] = 0;
				depth[v] = sp;
				stack[sp++] = (size_t)v;
				continue;
			}
			/* grey: the stack from v to u plus v is a cycle */
			if (reported++ < MAX_CYCLES_REPORTED) {
				char buf[1024];
				size_t k, off = 0;

				buf[0] = '\0';
				for (k = depth[v]; k < sp && off < sizeof(buf); k++) {
					int w = snprintf(buf + off, sizeof(buf) - off, "%s -> ",
					                 wf->steps[stack[k]].name);
					if (w < 0)
						break;
					off += (size_t)w;
				}
				if (off < sizeof(buf))
					snprintf(buf + off, sizeof(buf) - off, "%s",
					         wf->steps[v].name);
				inn_l_err(&L->lc, L->pos[v].node, "step \"%s\": depends_on cycle: %s",
				          wf->steps[v].name, buf);
			}
		}
	}
out:
	free(color);
	free(stack);
	free(edge);
	free(depth);
}

/* Pushes onto stack[*sp] the steps step i waits for, as exec_run.c's
 * build_graph orders them: depends_on exactly; else a parallel step waits
 * for the step before its group, any other step for the step (or the whole
 * parallel group) before it.  Unknown names are skipped (check_deps). */
static void
push_preds(const struct wf_load *L, size_t i, unsigned char *seen, size_t *stack,
           size_t *sp)
{
	const inn_workflow *wf = L->wf;
	const inn_step_def *d = &wf->steps[i];
	size_t j;

#define FREE_PAR(k) (wf->steps[k].parallel && wf->steps[k].ndeps == 0 && \
                     !wf->steps[k].deps_explicit)
#define PUSH(k) do { if (!seen[k]) { seen[k] = 1; stack[(*sp)++] = (k); } } while (0)
	if (d->ndeps > 0 || d->deps_explicit) {
		for (j = 0; j < d->ndeps; j++) {
			long v = find_step(L, d->depends_on[j], strlen(d->depends_on[j]));

			if (v >= 0)
				PUSH((size_t)v);
		}
	} else if (d->parallel) {
		size_t gs = i;

		while (gs > 0 && FREE_PAR(gs - 1))
			gs--;
		if (gs > 0)
			PUSH(gs - 1);
	} else if (i > 0) {
		PUSH(i - 1);
		for (j = i - 1; j > 0 && FREE_PAR(j) && FREE_PAR(j - 1); j--)
			PUSH(j - 1);
	}
#undef PUSH
#undef FREE_PAR
}

/* Non-zero when step `dep` surely finishes before step `of` starts: it is an
 * ancestor of `of` in the run's step graph (depends_on and the implicit
 * sequential order). */
static int
is_dependency(const struct wf_load *L, size_t of, size_t dep)
{
	size_t n = L->wf->nsteps, sp = 0;
	unsigned char *seen = calloc(n + 1, 1);
	size_t *stack = calloc(n + 1, sizeof(*stack));
	int found = 0;

	if (seen == NULL || stack == NULL)
		goto out;
	seen[of] = 1;
	push_preds(L, of, seen, stack, &sp);
	while (sp > 0) {
		size_t v = stack[--sp];

		if (v == dep) {
			found = 1;
			break;
		}
		push_preds(L, v, seen, stack, &sp);
	}
out:
	free(seen);
	free(stack);
	return found;
}

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

		if (find_param(wf, name, len) == NULL)
			inn_l_err(&L->lc, rc->at, "%s: references parameters.%.*s, which is not "
			          "declared in parameters", who, (int)len, name);
	} else if (strncmp(ref, "steps.", 6) == 0) {
		const char *name = ref + 6;
		size_t len = strcspn(name, ".[");
		long s = find_step(L, name, len);

		if (s < 0)
			inn_l_err(&L->lc, rc->at, "%s: references %s, but there is no step "
			          "\"%.*s\"", who, ref, (int)len, name);
		else if (rc->step < 0 && L->vars_visible != (size_t)-1)
			inn_l_err(&L->lc, rc->at, "%s: references %s, but parameters and "
			          "variables render before any step runs", who, ref);
		else if (rc->step >= 0 && s == rc->step)
			inn_l_err(&L->lc, rc->at, "%s: references its own outputs (%s)", who,
			          ref);
		else if (rc->step >= 0 && !is_dependency(L, (size_t)rc->step, (size_t)s))
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

static void
walk_refs(struct ref_check *rc, const inn_ynode *n, const char *path)
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
 * (tmpl.c).  Values given at submit are checked there. */
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
	    (p = find_param(wf, ref + 11, strlen(ref + 11))) == NULL)
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

static void
check_step_refs(struct wf_load *L)
{
	size_t i;

	for (i = 0; i < L->wf->nsteps; i++) {
		struct ref_check rc = { L, (long)i, "", NULL, 1 };
		const struct step_pos *ps = &L->pos[i];

		if (L->wf->steps[i].name == NULL)
			continue;
		if (ps->config != NULL) {
			walk_refs(&rc, ps->config, "config");
			if (ps->config->kind == INN_Y_MAP)
				check_shell_script(L, i, ps->config);
		}
		if (ps->env != NULL)
			walk_refs(&rc, ps->env, "env");
		if (ps->when != NULL)
			walk_refs(&rc, ps->when, ps->when_key);
		if (ps->outputs != NULL) {
			rc.rendered = 0;
			walk_refs(&rc, ps->outputs, "outputs");
		}
	}
}

/* --- policy, registry, plugin validate() ---------------------------------- */

static void
check_step_types(struct wf_load *L)
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

/* --- the workflow --------------------------------------------------------- */

void
inn_workflow_free(inn_workflow *wf)
{
	size_t i;

	if (wf == NULL)
		return;
	free(wf->name);
	free(wf->description);
	free(wf->file);
	free(wf->owner);
	free(wf->phase);
	inn_l_strv_free(wf->triggers, wf->ntriggers);
	free(wf->provider);
	free(wf->base_dir);
	free(wf->operation);
	free(wf->category);
	inn_l_params_free(wf->params, wf->nparams);
	free(wf->param_byname);
	json_object_put(wf->variables);
	for (i = 0; i < wf->nsteps; i++)
		step_free(&wf->steps[i]);
	free(wf->steps);
	json_object_put(wf->outputs);
	free(wf);
}

const inn_step_def *
inn_workflow_step(const inn_workflow *wf, const char *name)
{
	size_t i;

	if (wf == NULL || name == NULL)
		return NULL;
	for (i = 0; i < wf->nsteps; i++)
		if (wf->steps[i].name != NULL && strcmp(wf->steps[i].name, name) == 0)
			return &wf->steps[i];
	return NULL;
}

/* A section that may sit at top level or under spec: (not both). */
static const inn_ynode *
section(struct wf_load *L, const inn_ynode *root, const inn_ynode *spec,
        const char *key, char *path, size_t len)
{
	const inn_ynode *a = inn_ymap_get(root, key);
	const inn_ynode *b = spec ? inn_ymap_get(spec, key) : NULL;

	if (a != NULL && b != NULL) {
		inn_l_err(&L->lc, inn_ymap_key(spec, key), "spec.%s: \"%s\" is given both "
		          "at top level (line %d) and under spec", key, key, a->line);
		return NULL;
	}
	snprintf(path, len, "%s%s", b ? "spec." : "", key);
	return b ? b : a;
}

/* The file's base name without .yaml/.yml. */
static char *
base_name(const char *file)
{
	const char *b = strrchr(file, '/');
	size_t len;

	b = b ? b + 1 : file;
	len = strlen(b);
	if (len > 5 && strcmp(b + len - 5, ".yaml") == 0)
		len -= 5;
	else if (len > 4 && strcmp(b + len - 4, ".yml") == 0)
		len -= 4;
	return strndup(b, len);
}

static void
load_header(struct wf_load *L, const inn_ynode *root, const inn_ynode *spec,
            const inn_ynode *meta)
{
	inn_workflow *wf = L->wf;
	const inn_ynode *n;
	char *mname = NULL, *mdesc = NULL, path[64];
	size_t i;

	if (meta != NULL) {
		inn_l_string(&L->lc, meta, "name", "metadata", &mname);
		inn_l_string(&L->lc, meta, "owner", "metadata", &wf->owner);
		inn_l_string(&L->lc, meta, "description", "metadata", &mdesc);
		inn_l_string(&L->lc, meta, "category", "metadata", &wf->category);
	}
	inn_l_string(&L->lc, root, "name", "", &wf->name);
	if (wf->name != NULL && mname != NULL && strcmp(wf->name, mname) != 0)
		inn_l_warn(&L->lc, inn_ymap_get(meta, "name"), "metadata.name \"%s\" differs "
		           "from name \"%s\" (using \"%s\")", mname, wf->name, wf->name);
	if (wf->name == NULL) {
		wf->name = mname;
		mname = NULL;
	}
	if (wf->name == NULL)
		wf->name = base_name(wf->file);
	n = inn_ymap_get(root, "name");
	if (n == NULL && meta != NULL)
		n = inn_ymap_get(meta, "name");
	if (wf->name != NULL && !inn_l_name_ok(wf->name))
		inn_l_err(&L->lc, n, "workflow name \"%s\" must match "
		          "[A-Za-z0-9][A-Za-z0-9_-]* (at most 128 characters)", wf->name);

	if ((n = section(L, root, spec, "description", path, sizeof(path))) != NULL)
		inn_l_string(&L->lc, n == inn_ymap_get(root, "description") ? root : spec,
		             "description", "", &wf->description);
	if (wf->description == NULL) {
		wf->description = mdesc;
		mdesc = NULL;
	}

	if ((n = section(L, root, spec, "phase", path, sizeof(path))) != NULL &&
	    !inn_l_is_null(n)) {
		if (n->kind != INN_Y_SCALAR || (strcmp(n->value, "pre-deployment") != 0 &&
		                                strcmp(n->value, "deployment") != 0 &&
		                                strcmp(n->value, "post-deployment") != 0))
			inn_l_err(&L->lc, n, "%s: must be pre-deployment, deployment or "
			          "post-deployment", path);
		else
			wf->phase = strdup(n->value);
	}
	if ((n = section(L, root, spec, "triggers", path, sizeof(path))) != NULL &&
	    inn_l_strlist(&L->lc, n, path, &wf->triggers, &wf->ntriggers) == 0) {
		for (i = 0; i < wf->ntriggers; i++)
			if (strcmp(wf->triggers[i], "product_deployment") != 0 &&
			    strcmp(wf->triggers[i], "first_deployment") != 0 &&
			    strcmp(wf->triggers[i], "manual") != 0)
				inn_l_err(&L->lc, n->kind == INN_Y_SEQ ? n->items[i] : n,
				          "%s: unknown trigger \"%s\" (known: product_deployment, "
				          "first_deployment, manual)", path, wf->triggers[i]);
	}
	if ((n = section(L, root, spec, "timeout", path, sizeof(path))) != NULL &&
	    !inn_l_is_null(n))
		read_duration(L, n, path, &wf->timeout_ms);
	free(mname);
	free(mdesc);
}

/* variables / outputs: a name -> template mapping, checked for refs. */
static json_object *
load_templates(struct wf_load *L, const inn_ynode *n, const char *path)
{
	struct ref_check rc = { L, -1, "", NULL, 1 };
	json_object *o;

	if (n == NULL || inn_l_is_null(n))
		return json_object_new_object();
	if ((o = to_json_map(L, n, path)) == NULL)
		return NULL;
	if (n == L->vars && n->kind == INN_Y_MAP) {
		/* a variable sees the ones before it */
		size_t i;
		char p[INN_L_PATH_MAX];

		for (i = 0; i < INN_YMAP_LEN(n); i++) {
			L->vars_visible = i;
			walk_refs(&rc, INN_YMAP_VAL(n, i),
			          inn_l_path(p, sizeof(p), path, INN_YMAP_KEY(n, i)->value));
		}
	} else {
		walk_refs(&rc, n, path);
	}
	L->vars_visible = (size_t)-1;
	return o;
}

static void
load_steps(struct wf_load *L, const inn_ynode *n, const char *path)
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
	if (index_names(L) != 0) {
		inn_l_err(&L->lc, n, "out of memory");
		return;
	}
	check_deps(L);
	check_cycles(L);
}

/* Loads from a parsed document; see inn_workflow_load_file. */
/* The folder a workflow file sits in, made absolute ("." for text that did
 * not come from a file). */
static char *
base_dir_of(const char *file)
{
	char buf[4096], real[4096];
	const char *slash = strrchr(file, '/');

	if (slash == NULL)
		snprintf(buf, sizeof(buf), ".");
	else if (slash == file)
		snprintf(buf, sizeof(buf), "/");
	else
		snprintf(buf, sizeof(buf), "%.*s", (int)(slash - file), file);
	if (realpath(buf, real) != NULL)
		return strdup(real);
	return strdup(buf);
}

static int
load_doc(inn_workflow **out, const char *name, const inn_ydoc *doc,
         const inn_load_ctx *ctx, inn_diag *diag)
{
	static const inn_load_ctx none = { NULL, NULL };
	struct wf_load L;
	const inn_ynode *root = doc->root, *spec = NULL, *meta = NULL, *n;
	size_t nerr0 = diag->nerrors, i;
	char path[64];

	memset(&L, 0, sizeof(L));
	L.lc.file = name;
	L.lc.diag = diag;
	inn_l_next_doc(diag, doc);
	L.ctx = ctx ? ctx : &none;
	L.budget = MAX_WALK_NODES;
	if ((L.wf = calloc(1, sizeof(*L.wf))) == NULL ||
	    (L.wf->file = strdup(name)) == NULL ||
	    (L.wf->base_dir = base_dir_of(name)) == NULL ||
	    (L.wf->variables = json_object_new_object()) == NULL) {
		inn_diag_add(diag, INN_DIAG_ERROR, name, 0, 0, "out of memory");
		goto out;
	}
	if (root == NULL) {
		inn_l_err(&L.lc, NULL, "empty document: expected a workflow");
		goto out;
	}
	if (inn_l_kind(&L.lc, root, INN_Y_MAP, "workflow") != 0)
		goto out;
	inn_l_unknown_keys(&L.lc, root, top_keys, "");
	if ((n = inn_ymap_get(root, "kind")) != NULL &&
	    (n->kind != INN_Y_SCALAR || strcmp(n->value, "Workflow") != 0)) {
		inn_l_err(&L.lc, n, "kind: expected Workflow, not %s%s%s",
		          n->kind == INN_Y_SCALAR ? "\"" : "",
		          n->kind == INN_Y_SCALAR ? n->value : inn_ynode_kind_name(n),
		          n->kind == INN_Y_SCALAR ? "\"" : "");
		goto out;
	}
	if ((n = inn_ymap_get(root, "apiVersion")) != NULL && n->kind != INN_Y_SCALAR)
		inn_l_kind(&L.lc, n, INN_Y_SCALAR, "apiVersion");
	if ((meta = inn_ymap_get(root, "metadata")) != NULL) {
		if (inn_l_is_null(meta) || inn_l_kind(&L.lc, meta, INN_Y_MAP, "metadata") != 0)
			meta = NULL;
		else
			inn_l_unknown_keys(&L.lc, meta, metadata_keys, "metadata");
	}
	if ((spec = inn_ymap_get(root, "spec")) != NULL) {
		if (inn_l_kind(&L.lc, spec, INN_Y_MAP, "spec") != 0)
			goto out;
		inn_l_unknown_keys(&L.lc, spec, spec_keys, "spec");
	}
	load_header(&L, root, spec, meta);
	/* parameters render first (no variables yet), variables in order,
	 * steps and outputs see them all (see load_templates) */
	L.vars = spec != NULL && inn_ymap_get(spec, "variables") != NULL
	         ? inn_ymap_get(spec, "variables") : inn_ymap_get(root, "variables");
	L.vars_visible = 0;

	if ((n = section(&L, root, spec, "parameters", path, sizeof(path))) != NULL)
		load_params(&L, n, path);
	/* parameter defaults may reference other parameters */
	for (i = 0; i < L.wf->nparams; i++)
		if (L.pdef != NULL && L.pdef[i] != NULL) {
			struct ref_check rc = { &L, -1, "", NULL, 0 };
			char p[INN_L_PATH_MAX];

			snprintf(p, sizeof(p), "parameter \"%s\": default", L.wf->params[i].name);
			walk_refs(&rc, L.pdef[i], p);
		}

	n = section(&L, root, spec, "steps", path, sizeof(path));
	load_steps(&L, n, path);

	n = section(&L, root, spec, "variables", path, sizeof(path));
	json_object_put(L.wf->variables);
	L.wf->variables = load_templates(&L, n, path);
	L.vars_visible = (size_t)-1;
	n = section(&L, root, spec, "outputs", path, sizeof(path));
	L.wf->outputs = load_templates(&L, n, path);
	if (L.wf->variables == NULL || L.wf->outputs == NULL)
		goto out;
	if (L.wf->nsteps > 0) {
		check_step_refs(&L);
		check_step_types(&L);
	}
out:
	free(L.pdef);
	if (L.pos != NULL && L.wf != NULL) {
		for (i = 0; i < L.wf->nsteps; i++)
			free(L.pos[i].deps);
		free(L.pos);
	}
	free(L.byname);
	if (diag->nerrors != nerr0 || L.wf == NULL || L.wf->file == NULL) {
		inn_workflow_free(L.wf);
		*out = NULL;
		return INN_EINVAL;
	}
	*out = L.wf;
	return 0;
}

int
inn_workflow_load_string(inn_workflow **out, const char *name, const char *text,
                         size_t len, const inn_load_ctx *ctx, inn_diag *diag)
{
	inn_ydoc *doc = NULL;
	int rc;

	*out = NULL;
	if (inn_yaml_load_string(&doc, name, text, len) != 0) {
		inn_l_err_last(diag, name);
		return INN_EINVAL;
	}
	rc = load_doc(out, name, doc, ctx, diag);
	inn_ydoc_free(doc);
	return rc;
}

int
inn_workflow_load_file(inn_workflow **out, const char *path, const inn_load_ctx *ctx,
                       inn_diag *diag)
{
	inn_ydoc *doc = NULL;
	int rc;

	*out = NULL;
	if ((rc = inn_yaml_load_file(&doc, path)) != 0) {
		inn_l_err_last(diag, path);
		return rc == INN_ENOTFOUND ? rc : INN_EINVAL;
	}
	rc = load_doc(out, path, doc, ctx, diag);
	inn_ydoc_free(doc);
	return rc;
}
