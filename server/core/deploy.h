/*
 * deploy.h - the deployment plan of a Score spec, the one the server and
 * `innominatus-ctl run --local` both follow: each resource of the spec is
 * provisioned by the create workflow of the provider offering its type,
 * with the params that workflow declares and the standard inputs of a
 * resource operation it declares or reads (model.h: app_name,
 * resource_name, resource_type, bucket_name = <app>-<resource>, namespace =
 * <app>-default; a resource param of the same name wins), before the main
 * workflow runs;
 * templates see the spec's application as `app` and each resource as
 * `resources.<name>` (its name, type and, once provisioned, its outputs).
 *
 * The plan holds no run and no engine: the caller runs each part's
 * workflow (inn_run_new with the part's params and inn_deploy_data as
 * template data), reports its outputs with inn_deploy_resource_done, and
 * runs the main workflow with the same data at the end, its masker given
 * the parts' secret outputs (inn_deploy_secrets).
 */
#ifndef INN_CORE_DEPLOY_H
#define INN_CORE_DEPLOY_H

#include <stddef.h>

#include <json-c/json.h>

#include "mask.h"
#include "model.h"

/* At most this many resources in one spec. */
#define INN_DEPLOY_RESOURCES_MAX 100

/* Flags of inn_deploy_plan. */
#define INN_DEPLOY_STRICT 1  /* a resource param its create workflow does not
                                declare is an error (without: a warning, and
                                the param is not passed) */

/* One resource part: what provisions one resource of the spec.  Pointers
 * into the catalog stay valid as long as the catalog does. */
typedef struct inn_deploy_part {
	const char *name;              /* the spec's resource name (owned by the plan) */
	const char *type;              /* its type as the spec asks for it (owned by the plan) */
	const inn_provider *provider;  /* the provider offering the type */
	const inn_workflow *wf;        /* that provider's create workflow */
	json_object *params;           /* the params wf gets: the standard inputs and the
	                                  declared ones (owned by the plan) */
} inn_deploy_part;

typedef struct inn_deploy inn_deploy;

/* Plans the deployment of spec (NULL: no spec; a plan with no parts) against
 * cat.  Each resource type must resolve to a
 * provider with a create workflow.  Problems go to d (errors and warnings
 * at the resource's line in the spec, may be NULL) and the first error to
 * inn_error_last() too, without a position (`resource "db": no provider
 * offers type "x" with a create workflow`).  Returns 0 and *out, or
 * INN_EINVAL / INN_ENOMEM. */
int inn_deploy_plan(inn_deploy **out, const inn_catalog *cat, const inn_score *spec,
                    int flags, inn_diag *d);
void inn_deploy_free(inn_deploy *plan);

size_t inn_deploy_nparts(const inn_deploy *plan);
const inn_deploy_part *inn_deploy_part_at(const inn_deploy *plan, size_t i);
/* Each resources.R.K reference of wf (wf->spec_refs) for a resource R of
 * the plan whose create workflow declares outputs, where K is neither
 * name, type nor one of those outputs: an error at its file:line:col in
 * diag (a run would fail on it after provisioning).  Returns how many. */
size_t inn_deploy_check_output_refs(const inn_deploy *plan, const inn_workflow *wf,
                                    inn_diag *diag);
/* The steps of every part together (for a whole-run step limit). */
size_t inn_deploy_nsteps(const inn_deploy *plan);
/* The template data every part and the main workflow get (borrowed; the
 * plan changes it in inn_deploy_resource_done): with a spec,
 *   app:       {name, metadata, containers}
 *   resources: {<name>: {name, type, <outputs once provisioned>...}}
 * and only an empty `resources` without one. */
json_object *inn_deploy_data(const inn_deploy *plan);
/* Part i was provisioned: its outputs (may be NULL; borrowed, values are
 * shared) go into resources.<name> next to its name and type (an output
 * of the same name wins).  Give the real outputs (inn_run_outputs_real)
 * and the part's masker m: the secret values among them are kept for the
 * main run (inn_deploy_secrets), which sees the real values and masks
 * them; without m, outputs are taken as they are.  Returns 0, or
 * INN_EINVAL for a bad index. */
int inn_deploy_resource_done(inn_deploy *plan, size_t i, json_object *outputs,
                             inn_masker *m);
/* The secret values among the provisioned parts' outputs (borrowed JSON
 * array, never NULL): the main run registers them with its masker
 * (inn_run_opts.completed[INN_COMPLETED_MASK]). */
json_object *inn_deploy_secrets(const inn_deploy *plan);
/* What the main run is given as inn_run_opts.completed: a new object,
 * completed (steps reused from an earlier execution; may be NULL) with
 * the parts' secret values added to its INN_COMPLETED_MASK list; NULL
 * when no part had any (then completed itself is what it gets). */
json_object *inn_deploy_main_completed(const inn_deploy *plan, json_object *completed);

#endif
