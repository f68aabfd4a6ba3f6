/*
 * test_tmpl_compat.c - every config string of the original providers'
 * workflows (../shared/compat, or $INN_COMPAT_DIR) renders with the
 * template engine, and every path it reads is one a workflow may use.
 * Without those files the whole program reports a TAP skip (cmocka's
 * skip() is written as "not ok ... # SKIP" by cmocka 1.1.5, which the
 * test driver counts as a failure).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tmpl.h"
#include "yaml_tree.h"

static const char *const allowed_roots[] = {
	"parameters.", "steps.", "resources.", "secrets.", "variables.", "workflow.", "app."
};

struct wf_refs {
	const char *file;
	json_object *data;
	json_object *params;
	int bad;
};

/* Makes data hold every path a template reads (placeholders), checking
 * that each path is one a workflow may use. */
static int
wf_ref(void *ud, const char *ref)
{
	struct wf_refs *w = ud;
	json_object *cur = w->data, *next;
	char *copy, *seg, *save = NULL;
	size_t i;
	int ok = 0;

	for (i = 0; i < sizeof(allowed_roots) / sizeof(allowed_roots[0]); i++)
		if (strncmp(ref, allowed_roots[i], strlen(allowed_roots[i])) == 0)
			ok = 1;
	if (!ok) {
		printf("# %s: reference \"%s\" is outside the data roots\n", w->file, ref);
		w->bad++;
	}
	if (strncmp(ref, "parameters.", 11) == 0 &&
	    !json_object_object_get_ex(w->params, ref + 11, NULL))
		printf("# %s: note: \"%s\" is not a declared parameter\n", w->file, ref);
	copy = strdup(ref);
	for (seg = strtok_r(copy, ".", &save); seg != NULL; seg = strtok_r(NULL, ".", &save)) {
		char *rest = save;

		if (!json_object_object_get_ex(cur, seg, &next)) {
			next = rest && *rest ? json_object_new_object()
			                     : json_object_new_string("placeholder");
			json_object_object_add(cur, seg, next);
		}
		if (!json_object_is_type(next, json_type_object))
			break;
		cur = next;
	}
	free(copy);
	return 0;
}

static void
collect_strings(json_object *v, struct wf_refs *w)
{
	if (json_object_is_type(v, json_type_string)) {
		if (inn_tmpl_refs(json_object_get_string(v), wf_ref, w) != 0) {
			printf("# %s: %s\n", w->file, inn_error_last());
			w->bad++;
		}
	} else if (json_object_is_type(v, json_type_array)) {
		size_t i;

		for (i = 0; i < json_object_array_length(v); i++)
			collect_strings(json_object_array_get_idx(v, i), w);
	} else if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, val) {
			(void)k;
			collect_strings(val, w);
		}
	}
}

/* Loads one workflow file and renders every step's config; returns the
 * number of problems (printed). */
static int
check_workflow(const char *file, int *configs)
{
	inn_ydoc *doc = NULL;
	json_object *wf, *steps, *params, *spec;
	struct wf_refs w;
	size_t i;
	int bad = 0;

	if (inn_yaml_load_file(&doc, file) != 0) {
		printf("# %s\n", inn_error_last());
		return 1;
	}
	wf = inn_ynode_to_json(doc->root);
	memset(&w, 0, sizeof(w));
	w.file = file;
	w.data = json_object_new_object();
	w.params = json_object_new_object();
	json_object_object_add(w.data, "parameters", w.params);
	if (json_object_object_get_ex(wf, "parameters", &params) &&
	    json_object_is_type(params, json_type_array)) {
		for (i = 0; i < json_object_array_length(params); i++) {
			json_object *p = json_object_array_get_idx(params, i), *name, *def, *type;
			const char *t = "string";

			if (!json_object_object_get_ex(p, "name", &name))
				continue;
			if (json_object_object_get_ex(p, "type", &type))
				t = json_object_get_string(type);
			if (json_object_object_get_ex(p, "default", &def))
				def = json_object_get(def);
			else if (strcmp(t, "map") == 0 || strcmp(t, "object") == 0)
				def = json_tokener_parse("{\"k\": \"v\"}");
			else if (strcmp(t, "number") == 0)
				def = json_object_new_int(1);
			else if (strcmp(t, "boolean") == 0)
				def = json_object_new_boolean(1);
			else
				def = json_object_new_string("placeholder");
			json_object_object_add(w.params, json_object_get_string(name), def);
		}
	}
	if (json_object_object_get_ex(wf, "variables", &params))
		json_object_object_add(w.data, "variables", json_object_get(params));
	steps = json_object_object_get(wf, "steps");
	if (steps == NULL && json_object_object_get_ex(wf, "spec", &spec))
		steps = json_object_object_get(spec, "steps");
	for (i = 0; i < json_object_array_length(steps); i++) {
		json_object *config = json_object_object_get(json_object_array_get_idx(steps, i),
		                                             "config");
		collect_strings(config, &w);
	}
	bad += w.bad;
	for (i = 0; bad == 0 && i < json_object_array_length(steps); i++) {
		json_object *config = json_object_object_get(json_object_array_get_idx(steps, i),
		                                             "config"), *out = NULL;
		inn_tmpl_env env = { w.data, NULL, NULL, NULL };

		if (config == NULL)
			continue;
		(*configs)++;
		if (inn_tmpl_render(&env, config, "config", &out) != 0) {
			printf("# %s: step %zu: %s\n", file, i, inn_error_last());
			bad++;
		}
		json_object_put(out);
	}
	json_object_put(w.data);
	json_object_put(wf);
	inn_ydoc_free(doc);
	return bad;
}

/* The providers folder of the compatibility inputs (main found it). */
static char root[2048];

static void
test_compat_workflows_render(void **state)
{
	char dir[4096], file[4600];
	struct dirent *pe, *fe;
	DIR *pd, *fd;
	int files = 0, configs = 0, bad = 0;

	(void)state;
	if ((pd = opendir(root)) == NULL)
		fail_msg("cannot read %s", root);
	while ((pe = readdir(pd)) != NULL) {
		if (pe->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s/workflows", root, pe->d_name);
		if ((fd = opendir(dir)) == NULL)
			continue;
		while ((fe = readdir(fd)) != NULL) {
			size_t len = strlen(fe->d_name);

			if (len < 6 || strcmp(fe->d_name + len - 5, ".yaml") != 0)
				continue;
			snprintf(file, sizeof(file), "%s/%s", dir, fe->d_name);
			bad += check_workflow(file, &configs);
			files++;
		}
		closedir(fd);
	}
	closedir(pd);
	printf("# %d workflow files, %d step configs rendered\n", files, configs);
	assert_true(files > 0);
	assert_true(configs > 0);
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compat_workflows_render),
	};
	const char *env = getenv("INN_COMPAT_DIR"), *top = getenv("INN_TOP_SRCDIR");
	DIR *d;

	if (env != NULL && *env != '\0')
		snprintf(root, sizeof(root), "%s/providers", env);
	else
		snprintf(root, sizeof(root), "%s/../shared/compat/providers", top ? top : ".");
	if ((d = opendir(root)) == NULL) {
		printf("1..0 # SKIP compat providers absent: %s (set INN_COMPAT_DIR)\n", root);
		return 0;
	}
	closedir(d);
	return cmocka_run_group_tests_name("tmpl_compat", tests, NULL, NULL);
}
