/*
 * providers.h - where the server's catalog comes from and how it changes
 * while the server runs: the config's provider folders plus the provider
 * sources added over the API (git repositories, local folders), and the
 * reference-counted catalog that executions hold on to.
 */
#ifndef INN_SERVER_PROVIDERS_H
#define INN_SERVER_PROVIDERS_H

#include <json-c/json.h>

#include "server.h"

/* Builds the first catalog at start: the config's providers, then every
 * source recorded in the store (a git source whose clone is missing from
 * <state-dir>/_providers is cloned again at its recorded commit).  Problems
 * go to srv->diag; what loaded cleanly is served.  Returns 0, or a
 * negative inn_status when there is no catalog at all. */
int inn_providers_start(inn_server *srv);
/* Drops the server's reference to the catalog (after the runs drained). */
void inn_providers_stop(inn_server *srv);

/*
 * The admin operations behind the API (a request thread, one at a time;
 * the catalog swap itself is posted to the loop thread).  Each returns
 * the HTTP status and sets *reply to the JSON body: the result, or
 * {"error": {code, message, errors: ["file:line:col: error: ..."]}}.
 * Nothing changes (store, catalog, clone folders) unless the operation
 * succeeds; a catalog with errors the serving one does not have is never
 * swapped in.
 */
/* POST /api/admin/providers: {name, git_url, path, ref} or {name, path}. */
int inn_providers_add(inn_server *srv, const inn_caller *who, json_object *body,
                      json_object **reply);
/* DELETE /api/admin/providers/{name}: only sources added over the API. */
int inn_providers_remove(inn_server *srv, const inn_caller *who, const char *name,
                         json_object **reply);
/* POST /api/admin/reload: config providers re-read, git sources fetched. */
int inn_providers_reload(inn_server *srv, const inn_caller *who, json_object **reply);
/* GET /api/admin/providers: the sources added over the API. */
int inn_providers_list(inn_server *srv, json_object **reply);

#endif
