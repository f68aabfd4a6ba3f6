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
 * the catalog swap itself is posted to the loop thread).  Each returns 0
 * or a negative status with a one-line message (inn_error_last()): beside
 * INN_EINVAL (a name, URL, ref or path that cannot be), INN_ENOTFOUND (no
 * such source) and INN_ERROR / INN_ENOMEM (the server failed), these.
 * Nothing changes (store, catalog, clone folders) unless the operation
 * succeeds; a catalog with errors the serving one does not have is never
 * swapped in.
 */
/* The name is taken: by a source, or by a provider of the config. */
#define INN_PROVIDERS_CONFLICT (-70)
/* The clone or fetch of the repository failed. */
#define INN_PROVIDERS_GIT (-71)
/* The provider, or the catalog with the change, would not be valid: the
 * message says which, *errors (when set) lists every error as a line
 * "file:line:col: error: ...". */
#define INN_PROVIDERS_INVALID (-72)
/* The store failed. */
#define INN_PROVIDERS_STORE (-73)

/* What to add: a git repository (url, with the provider folder path
 * inside it, "" or NULL: the root, and ref, NULL: the remote's HEAD) or a
 * folder on the server (path, absolute; url NULL). */
typedef struct inn_source_spec {
	const char *name;
	const char *url;
	const char *path;
	const char *ref;
} inn_source_spec;

/* The longest URL, path or ref a source may have. */
#define INN_SOURCE_FIELD_MAX 1024
/* The rule a source's fields follow, as the message that refuses them. */
#define INN_SOURCE_FIELDS_RULE "needs \"name\" (letters, digits, ., _, -; at most 127) " \
	"and \"git_url\" (with optional \"path\" and \"ref\") or \"path\" (a folder on " \
	"the server), all strings"

/* POST /api/admin/providers: *out = the source as listed, with the
 * loader's "warnings". */
int inn_providers_add(inn_server *srv, const inn_caller *who, const inn_source_spec *spec,
                      json_object **out, json_object **errors);
/* DELETE /api/admin/providers/{name}: only sources added over the API. */
int inn_providers_remove(inn_server *srv, const inn_caller *who, const char *name,
                         json_object **errors);
/* POST /api/admin/reload: config providers re-read, git sources fetched;
 * *out = {providers, golden_paths, sources: [... changed], warnings}. */
int inn_providers_reload(inn_server *srv, const inn_caller *who, json_object **out,
                         json_object **errors);
/* GET /api/admin/providers: the sources added over the API (*out). */
int inn_providers_list(inn_server *srv, json_object **out);

#endif
