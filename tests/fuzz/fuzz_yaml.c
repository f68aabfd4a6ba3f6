/*
 * fuzz_yaml.c - libFuzzer target for everything that reads YAML from users:
 * the workflow loader (all checks, no policy or registry), the Score spec
 * loader, and the bare YAML tree with its JSON conversion and the lookups
 * the admin-config reader does.  Everything is freed each round so leak
 * detection works.  `make check` replays tests/fuzz/corpus/yaml.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "model.h"
#include "yaml_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What policy.c looks at: workflowPolicies.{allowedStepTypes, max*}. */
static void
policy_like(const inn_ynode *root)
{
	const inn_ynode *wp, *list;
	size_t i, n = 0;

	if (root == NULL || root->kind != INN_Y_MAP)
		return;
	if ((wp = inn_ymap_get(root, "workflowPolicies")) == NULL || wp->kind != INN_Y_MAP)
		return;
	if ((list = inn_ymap_get(wp, "allowedStepTypes")) != NULL && list->kind == INN_Y_SEQ)
		for (i = 0; i < list->n; i++)
			if (inn_ynode_is_scalar(list->items[i]))
				n += strlen(list->items[i]->value);
	(void)inn_ymap_key(wp, "maxStepsPerWorkflow");
	(void)inn_ynode_kind_name(wp);
	(void)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const inn_load_ctx ctx = { NULL, NULL };
	inn_workflow *wf = NULL;
	inn_score *score = NULL;
	inn_ydoc *doc = NULL;
	inn_diag d;
	size_t i;

	inn_diag_init(&d);
	if (inn_workflow_load_string(&wf, "fuzz.yaml", (const char *)data, size, &ctx, &d) == 0)
		(void)inn_workflow_step(wf, "a");
	inn_workflow_free(wf);
	for (i = 0; i < d.n; i++) {
		char line[512];

		inn_diag_format(&d, i, line, sizeof(line));
	}
	inn_diag_free(&d);

	inn_diag_init(&d);
	inn_score_load_string(&score, "fuzz-score.yaml", (const char *)data, size, &d);
	inn_score_free(score);
	inn_diag_free(&d);

	if (inn_yaml_load_string(&doc, "fuzz-tree.yaml", (const char *)data, size) == 0) {
		json_object *j = inn_ynode_to_json(doc->root);

		json_object_put(j);
		policy_like(doc->root);
		inn_ydoc_free(doc);
	}
	return 0;
}
