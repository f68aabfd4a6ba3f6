/*
 * phases.h - which platform and product workflows run around a
 * deployment's resource provisioning, and when (workflow `phase:` and
 * `triggers:`):
 *
 *   pre-deployment  -> resources (create/update/delete parts)
 *                   -> deployment (after the resources; golden path main
 *                      workflow, if any, runs here first)
 *                   -> post-deployment
 *
 * A workflow takes part when it declares a phase and one of its triggers
 * holds for this deployment:
 *   first_deployment    the app has never been deployed successfully before
 *   product_deployment  a product workflow (a provider's): the app uses a
 *                       resource type of that provider; a platform workflow
 *                       (a golden path's workflow): every deployment
 *   manual              never automatically (run it by name)
 * A provider's create/read/update/delete workflows of a resource type never
 * take part this way.  An app deletion (a plan without a spec) runs no
 * phases.  A provider workflow a golden path names is a platform workflow
 * (listed once).  The golden path whose main workflow this deployment
 * runs may itself be listed (it has a phase and a trigger): the caller
 * runs it once, as the main workflow, and skips that entry.
 */
#ifndef INN_CORE_PHASES_H
#define INN_CORE_PHASES_H

#include <stddef.h>

#include <json-c/json.h>

#include "deploy.h"
#include "model.h"

typedef enum inn_phase {
	INN_PHASE_PRE = 0,    /* "pre-deployment" */
	INN_PHASE_DEPLOY,     /* "deployment" */
	INN_PHASE_POST        /* "post-deployment" */
} inn_phase;

const char *inn_phase_name(inn_phase p);

typedef struct inn_phase_entry {
	inn_phase phase;
	const inn_workflow *wf;
	const inn_provider *provider;  /* NULL: a platform (golden path) workflow */
	const char *trigger;           /* the trigger that matched (static string) */
	json_object *params;           /* what the run gets: the standard inputs it
	                                  reads, defaults (owned) */
} inn_phase_entry;

/* The workflows that run in this deployment, in run order: by phase, then
 * platform before product, then by provider and workflow name.  A
 * workflow with a required parameter that has no default and is not a
 * standard input cannot run on its own: a warning in d, left out.
 * Returns 0 and *out and *n (n may be 0; free with inn_phase_entries_free), or
 * INN_ENOMEM. */
int inn_phase_select(const inn_catalog *cat, const inn_deploy *plan, const char *app,
                     int first_deployment, inn_phase_entry **out, size_t *n, inn_diag *d);
void inn_phase_entries_free(inn_phase_entry *e, size_t n);

#endif
