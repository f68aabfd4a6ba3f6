/*
 * runs_inputs.h - an execution's inputs in the store: masked for
 * everything that shows them, sealed for a retry or resume (see
 * runs_inputs.c).
 */
#ifndef INN_SERVER_RUNS_INPUTS_H
#define INN_SERVER_RUNS_INPUTS_H

#include <json-c/json.h>

#include "deploy.h"
#include "mask.h"
#include "secretbox.h"
#include "store.h"

/* Replaces, in place, every registered secret in the strings of o. */
void inn_json_mask(inn_masker *m, json_object *o);
/* 1 when a string in o contains "***". */
int inn_json_has_mask(json_object *o);
/* When the stored (masked) params or spec show "***", seals the real
 * params and spec ({"params", "spec"}) into *sealed (malloc'd); otherwise
 * *sealed is NULL (the stored ones are the real ones). */
int inn_runs_inputs_seal(inn_secretbox *box, json_object *stored_params,
                         json_object *stored_spec, json_object *params, json_object *spec,
                         char **sealed);
/* An execution's inputs as stored, into row->params and row->spec (new
 * objects) and row->sealed_inputs: the main workflow wf's resolved
 * parameters (wf NULL: a deployment without one) with every secret parameter of wf and of each create workflow
 * of plan replaced by "***" whatever its length, and every other string
 * holding a secret value (those, and the secret outputs of the reused
 * steps in completed) masked; the real params and spec sealed when
 * anything was masked (inn_runs_inputs_seal).  The caller frees the row's
 * three fields, also on failure. */
int inn_runs_inputs_store(inn_secretbox *box, const inn_workflow *wf, const inn_deploy *plan,
                          json_object *completed, json_object *resolved, json_object *params,
                          json_object *spec, inn_exec_row *row);
/* The params and spec (new references; spec may be NULL) a retry or a
 * resume of row runs with.  INN_EINVAL with the reason when its secret
 * values cannot be recovered (other key, damaged, or never sealed). */
int inn_runs_inputs_open(inn_secretbox *box, const inn_exec_row *row, json_object **params,
                         json_object **spec);

#endif
