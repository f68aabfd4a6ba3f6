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

typedef struct inn_deploy inn_deploy;

/* One resource part: what provisions one resource of the spec.  Pointers
 * into the catalog stay valid as long as the catalog does. */
typedef struct inn_deploy_part {
	const char *name;              /* the spec's resource name (owned by the plan) */
	const char *type;              /* its type as the spec asks for it (owned by the plan) */
	const inn_provider *provider;  /* the provider offering the type (DELETE: NULL
	                                  when no provider offers it any more) */
	const inn_workflow *wf;        /* the workflow the op runs: CREATE and KEEP the
	                                  create workflow (KEEP: nothing runs), UPDATE
	                                  the update workflow (else the create one),
	                                  DELETE the delete workflow or NULL */
	json_object *params;           /* the params wf gets: the standard inputs and the
	                                  declared ones (owned by the plan) */
	/* ---- lifecycle (inn_deploy_plan_lifecycle; inn_deploy_plan: CREATE,
	 * no deps, fingerprint set) ---- */
	int op;                        /* enum inn_deploy_op */
	char fingerprint[33];          /* hex digest of what the resource asks for
	                                  (type, class, params); "" for DELETE */
	size_t *deps;                  /* parts that must end before this one starts
	                                  (owned by the plan) */
	size_t ndeps;
	const char *note;              /* why this op (e.g. "params changed: size"),
	                                  or NULL (owned by the plan) */
} inn_deploy_part;

/* What a lifecycle plan does with one resource. */
typedef enum inn_deploy_op {
	INN_DEPLOY_CREATE = 0,  /* new, or its last create failed / it was terminated */
	INN_DEPLOY_UPDATE,      /* active, and what it asks for changed: the update
	                           workflow (without one: create again, warned) */
	INN_DEPLOY_DELETE,      /* gone from the spec (declarative) or the app is
	                           deleted: the delete workflow in reverse dependency
	                           order; wf NULL when the provider has none (warned) */
	INN_DEPLOY_KEEP         /* active and unchanged: nothing runs; its stored
	                           outputs are in the template data.  (An unchanged
	                           resource whose params reference one that is
	                           CREATEd anew is an UPDATE instead.) */
} inn_deploy_op;

/* Whether s is a name the lifecycle plan takes for an application: a
 * DNS-1123 label (lowercase letters, digits, '-') starting with a letter,
 * at most 63 characters -- what a namespace and most names made from it
 * can be. */
int inn_deploy_name_ok(const char *s);

/* The word of an op: "create", "update", "delete", "keep". */
const char *inn_deploy_op_name(int op);

/* One resource of the app as the store knows it from earlier deployments. */
typedef struct inn_deploy_prev {
	const char *name, *type, *provider;
	const char *status;        /* requested | provisioning | active | failed |
	                              updating | terminating | terminated */
	const char *fingerprint;   /* of the spec it was last applied with
	                              SUCCESSFULLY (store it when a create/update
	                              ends active), or NULL: "failed" with a
	                              fingerprint means a failed update (UPDATE
	                              again), without one a failed create (CREATE) */
	json_object *params;       /* params its last operation got (real values), or NULL */
	json_object *outputs;      /* its outputs (real values), or NULL */
	json_object *secret_keys;  /* array of the output names that are secret, or NULL */
	json_object *depends_on;   /* array of the resource names it depended on (its
	                              part's deps when it was planned), or NULL: a
	                              deletion tears it down before those */
} inn_deploy_prev;

/* Flags of inn_deploy_plan_lifecycle (with INN_DEPLOY_STRICT). */
#define INN_DEPLOY_DECLARATIVE 2 /* a prev resource missing from the spec is
                                    deleted (POST /api/applications); without
                                    it such resources are left alone (golden
                                    path and workflow runs with a spec) */

/* Plans one deployment of app (spec NULL: delete every prev resource, the
 * app is being deleted) against what earlier deployments left (prev, may
 * be NULL/0).  Every problem goes to d at once, not only the first: bad
 * app name (a DNS label), no containers, a container without image,
 * unknown resource types, params the workflow does not declare (STRICT),
 * param values of the wrong type or not allowed, a resource whose type
 * changed, references to unknown resources, dependency cycles.  Dependencies:
 * a resource whose params reference resources.<other> (`${resources.db.host}`,
 * `{{ .resources.db.host }}`) depends on <other>; DELETE parts depend the
 * other way round, and run after every CREATE/UPDATE part.  Parts are in a
 * stable order (spec order, then the deleted ones by name).  Returns 0
 * and *out, or INN_EINVAL (d holds every error) / INN_ENOMEM. */
int inn_deploy_plan_lifecycle(inn_deploy **out, const inn_catalog *cat, const char *app,
                              const inn_score *spec, const inn_deploy_prev *prev,
                              size_t nprev, int flags, inn_diag *d);
/* The fingerprint a resource of spec gets (the same as its part's): 32
 * hex digits of two FNV-1a 64-bit hashes (different offset bases) over
 * type, class and params in canonical form (object keys sorted at every
 * depth, every item tagged with its kind and length), so the order keys
 * are written in does not matter and 5 differs from "5".  Tells a changed
 * spec from an unchanged one; not cryptographic.  Returns 0, or
 * INN_EINVAL (params nested deeper than 64) / INN_ENOMEM. */
int inn_deploy_fingerprint(const inn_score_resource *r, char out[33]);

/* The params part i's run gets (*out: a new object): part->params with
 * each string value that references resources.<R> (`${resources.db.host}`,
 * `{{ .resources.db.host }}`, at any depth) rendered against the current
 * template data (inn_deploy_data) -- call it when the part starts, after
 * its deps have ended and their outputs were given to
 * inn_deploy_resource_done; a string that is exactly one reference keeps
 * the value's type.  Other values are passed as written (given values are
 * never rendered).  Values taken from secret outputs are among
 * inn_deploy_secrets: give the part's run inn_deploy_main_completed(plan,
 * NULL) as completed so its masker hides them.  Returns 0, or INN_EINVAL
 * for a bad index / INN_ENOTFOUND for a missing key (message naming the
 * resource and param) / INN_ENOMEM. */
int inn_deploy_part_params(const inn_deploy *plan, size_t i, json_object **out);

/* The spec's containers with ${resources.R.K} (and ${metadata.name},
 * ${metadata.X}) placeholders in their string values replaced from
 * resources ({R: {K: value}}, as GET /api/applications shows them;
 * values stringified); $${ is a literal ${.  A placeholder that does not
 * resolve is left as written and its text added to *unresolved (a new
 * array, never NULL).  Returns a new object, or NULL on ENOMEM. */
json_object *inn_deploy_resolve_containers(json_object *containers, json_object *metadata,
                                           json_object *resources, json_object **unresolved);

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

/* A run of wf with a spec, where wf is the create (or update) workflow of
 * a resource type the spec asks for, is the provisioning of the spec's
 * resources of that type: keeps only the parts wf provisions (its own
 * workflow, or the create/update workflow their provider offers for their
 * type; DELETE parts never) and the parts they depend on, transitively,
 * in the same order, their deps re-indexed; the others are dropped (their
 * resources are not touched; the template data still names them).  Then
 * no main workflow runs: the kept parts are the run.  Returns how many
 * parts wf provisions; 0: the plan is unchanged (wf is the main
 * workflow, as without this call). */
size_t inn_deploy_focus(inn_deploy *plan, const inn_workflow *wf);

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
 * them; without m, outputs are taken as they are.  A DELETE part's
 * outputs are not kept (its resource is gone).  Returns 0, or
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
