/*
 * runs_check.h - the checks of a run request (runs_check.c), made before
 * an execution is stored.
 */
#ifndef INN_SERVER_RUNS_CHECK_H
#define INN_SERVER_RUNS_CHECK_H

#include <json-c/json.h>

#include "deploy.h"
#include "server.h"

/* What ref names: a golden path (kind "golden-path"), else
 * provider/workflow or a golden path name; NULL when nothing. */
const inn_workflow *inn_runs_workflow(const inn_catalog *cat, const char *ref,
                                      const char *kind);
/* 0 when who may run wf, named ref, directly: INN_EFORBIDDEN for a
 * non-admin naming a resource type's operation (create, read, update,
 * delete) as provider/workflow. */
int inn_runs_op_check(const inn_catalog *cat, const inn_caller *who, const char *ref,
                      const inn_workflow *wf);
/* 0 when who may run a spec for application app (it is new, or theirs, or
 * who is an admin); INN_EINVAL ("spec: application ... belongs to another
 * team"), or INN_ERROR when the store cannot tell. */
int inn_runs_app_check(inn_server *srv, const inn_caller *who, const char *app);
/* Whose state a run without an application keeps ("_team-red", "_key-lone";
 * malloc'd), or NULL for an admin (the platform's "_"). */
char *inn_runs_state_owner(const inn_caller *who);
/* 0 when a focused run (runs_int.h) is given no params; INN_EINVAL
 * naming that its params come from the spec otherwise. */
int inn_runs_focus_check(const char *ref, json_object *params);
/* Resolves the parameters of every part of plan ("spec: resource "db": ..."
 * when one is refused) and then of wf given params; *resolved: wf's.  wf
 * NULL (a focused run: no main workflow): the parts only, *resolved an
 * empty object. */
int inn_runs_params_check(const inn_deploy *plan, const inn_workflow *wf, json_object *params,
                          json_object **resolved);
/* INN_EINVAL ("file:line:col: error: step ...: references resources.dbb,
 * but ...") when a workflow of the run reads a resource the spec lacks, or
 * app without a spec; else 0.  wf NULL: the parts' workflows only. */
int inn_runs_spec_refs_check(const inn_deploy *plan, const inn_workflow *wf);

#endif
