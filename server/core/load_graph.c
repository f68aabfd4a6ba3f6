/*
 * load_graph.c - the step graph of a workflow, computed once by the loader
 * and used by the executor as it is (inn_step_def.dep_idx): step names
 * indexed (duplicates reported), depends_on targets checked, cycles
 * reported, then each step's resolved predecessors -- the explicit
 * depends_on and the implicit sequential / parallel-group order.  Part of
 * the workflow loader (load_workflow.c).
 *
 * Ordering rule: a step with depends_on (even an empty one) waits for
 * exactly those steps; a parallel step waits for whatever the first step of
 * its parallel group waits for; any other step waits for the step before
 * it (all of the parallel group before it, when it follows one).  An
 * implicit edge is left out when the step it would wait for already waits
 * (transitively) for it: an explicit depends_on pointing forward must not
 * be turned into a cycle by the sequential default.
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "load_workflow_int.h"

#define MAX_CYCLES_REPORTED 10

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

static const char *
step_name(const void *wf, size_t i)
{
	return ((const inn_workflow *)wf)->steps[i].name;
}

/* Index of the (first) step called name[0..len), or -1. */
long
inn_lw_find_step(const struct wf_load *L, const char *name, size_t len)
{
	return inn_index_find(L->byname, L->nbyname, step_name, L->wf, name, len);
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

			if (strcmp(d, wf->steps[i].name) != 0 && inn_lw_find_step(L, d, strlen(d)) < 0)
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
			        : inn_lw_find_step(L, s->depends_on[edge[u]],
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

static int
add_dep(inn_step_def *s, size_t dep)
{
	size_t *nd = realloc(s->dep_idx, (s->ndep_idx + 1) * sizeof(*nd));

	if (nd == NULL)
		return -1;
	s->dep_idx = nd;
	s->dep_idx[s->ndep_idx++] = dep;
	return 0;
}

/* Non-zero when step from reaches step to through the edges known so far.
 * seen and stack hold nsteps entries; seen is cleared again. */
static int
reaches(const inn_workflow *wf, size_t from, size_t to, unsigned char *seen,
        size_t *stack)
{
	size_t sp = 0, top = 0, j;
	int found = 0;

	stack[sp++] = from;
	seen[from] = 1;
	while (sp > top && !found) {
		size_t u = stack[top++];

		if (u == to) {
			found = 1;
			break;
		}
		for (j = 0; j < wf->steps[u].ndep_idx; j++) {
			size_t v = wf->steps[u].dep_idx[j];

			if (!seen[v]) {
				seen[v] = 1;
				stack[sp++] = v;
			}
		}
	}
	for (j = 0; j < sp; j++)
		seen[stack[j]] = 0;
	return found;
}

/* A parallel step that has no depends_on: a member of a parallel group. */
static int
free_parallel(const inn_step_def *s)
{
	return s->parallel && s->ndeps == 0 && !s->deps_explicit;
}

/* Adds the implicit edge i -> j unless j already waits for i (only possible
 * when some depends_on points forward). */
static int
add_implicit(const struct wf_load *L, size_t i, size_t j, int forward,
             unsigned char *seen, size_t *stack)
{
	if (forward && reaches(L->wf, j, i, seen, stack))
		return 0;
	return add_dep(&L->wf->steps[i], j);
}

/* Fills every step's dep_idx (see the top of this file).  Unknown names and
 * self references are left out (reported elsewhere). */
static int
resolve(struct wf_load *L)
{
	inn_workflow *wf = L->wf;
	size_t n = wf->nsteps, i, j, group_start = 0;
	unsigned char *seen = calloc(n + 1, 1);
	size_t *stack = calloc(n + 1, sizeof(*stack));
	int forward = 0, rc = -1;

	if (seen == NULL || stack == NULL)
		goto out;
	/* explicit depends_on first: they may point at later steps */
	for (i = 0; i < n; i++) {
		inn_step_def *d = &wf->steps[i];

		for (j = 0; j < d->ndeps; j++) {
			long k = inn_lw_find_step(L, d->depends_on[j], strlen(d->depends_on[j]));

			if (k < 0 || (size_t)k == i)
				continue;
			if ((size_t)k > i)
				forward = 1;
			if (add_dep(d, (size_t)k) != 0)
				goto out;
		}
	}
	for (i = 0; i < n; i++) {
		const inn_step_def *d = &wf->steps[i];

		if (d->ndeps > 0 || d->deps_explicit)
			continue;
		if (d->parallel) {
			if (i == 0 || !free_parallel(&wf->steps[i - 1]))
				group_start = i;
			/* the group waits for what precedes its first member */
			if (group_start > 0 &&
			    add_implicit(L, i, group_start - 1, forward, seen, stack) != 0)
				goto out;
		} else if (i > 0) {
			/* the step before us, or the whole parallel group before us */
			if (add_implicit(L, i, i - 1, forward, seen, stack) != 0)
				goto out;
			for (j = i - 1; j > 0 && free_parallel(&wf->steps[j]) &&
			                free_parallel(&wf->steps[j - 1]); j--)
				if (add_implicit(L, i, j - 1, forward, seen, stack) != 0)
					goto out;
		}
	}
	rc = 0;
out:
	free(seen);
	free(stack);
	return rc;
}

int
inn_lw_graph(struct wf_load *L)
{
	if (index_names(L) != 0)
		return -1;
	check_deps(L);
	check_cycles(L);
	return resolve(L);
}

int
inn_lw_is_dependency(const struct wf_load *L, size_t of, size_t dep)
{
	const inn_workflow *wf = L->wf;
	unsigned char *seen = calloc(wf->nsteps + 1, 1);
	size_t *stack = calloc(wf->nsteps + 1, sizeof(*stack));
	size_t sp = 0, j;
	int found = 0;

	if (seen == NULL || stack == NULL)
		goto out;
	seen[of] = 1;
	stack[sp++] = of;
	while (sp > 0 && !found) {
		const inn_step_def *s = &wf->steps[stack[--sp]];

		for (j = 0; j < s->ndep_idx; j++) {
			size_t v = s->dep_idx[j];

			if (v == dep)
				found = 1;
			if (!seen[v]) {
				seen[v] = 1;
				stack[sp++] = v;
			}
		}
	}
out:
	free(seen);
	free(stack);
	return found;
}
