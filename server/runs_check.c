/*
 * runs_check.c - what the execution manager (runs.c) checks before it
 * accepts a run request: which workflow a reference names, that a caller
 * may run it (resource operations are the admins') and may deploy under an
 * application's name, whose state a run without an application keeps, and
 * every parameter of every part of the run (inn_params_resolve), so that a
 * mistake is a 400 and never a failed execution.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "runs_check.h"

/* Resolves what to run: a golden path, provider/workflow, or (kind
 * "workflow") a golden path name too. */
const inn_workflow *
inn_runs_workflow(const inn_catalog *cat, const char *ref, const char *kind)
{
	const inn_goldenpath *g;

	if (strcmp(kind, "golden-path") == 0) {
		g = inn_catalog_goldenpath(cat, ref);
		return g ? g->workflow : NULL;
	}
	return inn_catalog_workflow(cat, ref);
}

/* An application belongs to whoever first ran a spec for it: its team, or
 * without a team (an admin's key, a key without a team) that very key.
 * Nobody else may run a spec under its name -- which would provision and
 * change its resources and their state -- except admins, and the owner
 * never changes (the store keeps it; runs.c record_app() settles races). */
int
inn_runs_app_check(inn_server *srv, const inn_caller *who, const char *app)
{
	inn_app_row *rows = NULL;
	size_t n = 0;
	int rc = 0;

	if (who == NULL || who->admin)
		return 0;
	if (inn_store_app_list(srv->store, NULL, NULL, app, &rows, &n) != 0)
		return inn_error_set(INN_ERROR, "spec: cannot check who owns application \"%s\": %s",
		                     app, inn_error_last());
	if (n == 1 && !inn_caller_sees(who, rows[0].team, rows[0].created_by))
		rc = inn_error_set(INN_EINVAL, "spec: application \"%s\" belongs to another team%s; "
		                   "choose another metadata.name", app, rows[0].team == NULL ?
		                   " (it has none: only an admin or the key that created it may "
		                   "run specs for it)" : "");
	inn_app_rows_free(rows, n);
	return rc;
}

/* Whose state a run without an application keeps: a user's team
 * ("_team-red") or, without a team, its key ("_key-lone") -- never one
 * directory shared by every caller.  Application names start with a
 * letter or digit, so these never meet an application's.  Admins keep the
 * platform's "_" (NULL), where their direct runs always kept state. */
char *
inn_runs_state_owner(const inn_caller *who)
{
	char buf[160];

	if (who == NULL || who->admin)
		return NULL;
	snprintf(buf, sizeof(buf), "%s%s", who->p.team[0] ? "_team-" : "_key-",
	         who->p.team[0] ? who->p.team : who->p.name);
	return strdup(buf);
}

/* A provider workflow that is a resource type's operation (create, read,
 * update, delete) acts on applications' resources, and what it acts on is
 * only a parameter (another team's bucket name is just a string).  So a
 * non-admin runs it only as a part of a Score spec's run -- for their own
 * application, in its own state directory -- never named directly
 * ("provider/workflow"), also not as the main workflow of a spec run or by
 * a retry.  A golden path is the platform's own choice and stays open.
 * (A create or update workflow given with a spec that asks for its type is
 * no main workflow: the run is the provisioning of those resources of the
 * user's application, inn_runs_focus_check; runs.c asks this only when
 * the run is not focused.) */
int
inn_runs_op_check(const inn_catalog *cat, const inn_caller *who, const char *ref,
                  const inn_workflow *wf)
{
	size_t i, j, k;

	if (who == NULL || who->admin || strchr(ref, '/') == NULL)
		return 0;
	for (i = 0; i < cat->nproviders; i++) {
		const inn_provider *p = cat->providers[i];

		for (j = 0; j < p->ncaps; j++) {
			const inn_resource_cap *rc = &p->caps[j];
			const char *ops[4] = { rc->create, rc->read, rc->update, rc->del };
			static const char *const names[4] = { "create", "read", "update", "delete" };

			for (k = 0; k < 4; k++)
				if (ops[k] != NULL && inn_provider_workflow(p, ops[k]) == wf)
					return inn_error_set(INN_EFORBIDDEN, "workflow \"%s\" is the %s "
					    "operation of resource type \"%s\": it acts on applications' "
					    "resources, so only an admin may run it directly; to provision "
					    "a resource, run a golden path with a Score spec that asks for "
					    "it (the spec's application and its resources belong to your "
					    "team)", ref, names[k], rc->type);
		}
		for (j = 0; j < p->nworkflows; j++)
			if (p->workflows[j] == wf && wf->operation != NULL)
				return inn_error_set(INN_EFORBIDDEN, "workflow \"%s\" is a %s operation "
				                     "on resources: it acts on applications' resources, "
				                     "so only an admin may run it directly", ref,
				                     wf->operation);
	}
	return 0;
}

/* A focused run (the create or update workflow of a type the spec asks
 * for) takes its params from the spec's resources: params given for it
 * are refused (INN_EINVAL, a 400), whoever gives them -- no run would use
 * them. */
int
inn_runs_focus_check(const char *ref, json_object *params)
{
	if (params == NULL || !json_object_is_type(params, json_type_object) ||
	    json_object_object_length(params) == 0)
		return 0;
	return inn_error_set(INN_EINVAL, "workflow \"%s\" provisions the spec's resources of "
	                     "its type: their params come from the spec (resources.<name>.params), "
	                     "so it takes no parameters; remove them", ref);
}

/* Checks every part's parameters and the main workflow's, so a mistake is a
 * 400, not a failed run; *resolved: the main workflow's. */
int
inn_runs_params_check(const inn_deploy *plan, const inn_workflow *wf, json_object *params,
                      json_object **resolved)
{
	json_object *p = NULL;
	size_t i;
	int rc;

	for (i = 0; i < inn_deploy_nparts(plan); i++) {
		const inn_deploy_part *rp = inn_deploy_part_at(plan, i);

		if ((rc = inn_params_resolve(rp->wf, rp->params, &p)) != 0) {
			char why[1024];

			snprintf(why, sizeof(why), "%s", inn_error_last());
			return inn_error_set(rc, "spec: resource \"%s\": %s", rp->name, why);
		}
		json_object_put(p);
	}
	if (wf == NULL) {
		*resolved = json_object_new_object();
		return *resolved != NULL ? 0 : inn_error_set(INN_ENOMEM, "out of memory");
	}
	return inn_params_resolve(wf, params, resolved);
}

/* Every resources.R and app reference of the run's workflows against what
 * its spec gives (inn_workflow_check_spec_refs), so such a mistake is a
 * 400 with its file:line:col, not a step failing after resources were
 * provisioned. */
int
inn_runs_spec_refs_check(const inn_deploy *plan, const inn_workflow *wf)
{
	json_object *data = inn_deploy_data(plan);
	inn_diag d;
	char msg[1024];
	size_t i, bad;

	inn_diag_init(&d);
	bad = wf == NULL ? 0 : inn_workflow_check_spec_refs(wf, data, &d) +
	                       inn_deploy_check_output_refs(plan, wf, &d);
	for (i = 0; i < inn_deploy_nparts(plan); i++)
		bad += inn_workflow_check_spec_refs(inn_deploy_part_at(plan, i)->wf, data, &d) +
		       inn_deploy_check_output_refs(plan, inn_deploy_part_at(plan, i)->wf, &d);
	if (bad == 0) {
		inn_diag_free(&d);
		return 0;
	}
	inn_diag_format(&d, 0, msg, sizeof(msg));
	inn_diag_free(&d);
	return inn_error_set(INN_EINVAL, "%s%s", msg, bad > 1 ? " (and more)" : "");
}
