/*
 * api_schema_names.c - the named schemas of the API's bodies (OpenAPI
 * components.schemas), in the notation of api_schema.h.  Each says what
 * its handler builds: "!" only on members the handler always adds, "?"
 * on those it adds as null when unset (json_util's inn_json_str of NULL,
 * int_or_null of 0).  The handler is named beside each, so a change there
 * is a change here.  Only data and its look-up: api_schema.c reads it.
 */
#include "config.h"

#include <string.h>

#include "api_schema_int.h"

static const struct inn_schema_name names[] = {
	/* http_reply.c inn_http_error_json; api_admin.c fail (errors); api_apps.c
	 * reply_invalid_spec (details); api_demo.c set_error (top-level details, report) */
	{ "Error", "{error!: ErrorBody, details: any \"the demo routes: what was wrong\", "
	  "report: any \"the demo routes: what the operation did before it failed\"}",
	  "Every error reply" },
	{ "ErrorBody", "{code!: string \"a stable word for programs, e.g. not_found\", "
	  "message!: string \"for people\", "
	  "errors: [string] \"the provider routes: every line that refused the catalog\", "
	  "details: [SpecProblem] \"a refused Score spec: every problem\", "
	  "execution: integer \"a 409 of a retry: the execution that is retrying it already\"}", NULL },
	{ "SpecProblem", "{file!: string?, line!: integer, column!: integer, message!: string?}",
	  "One problem of a Score spec (line and column 0: no position)" },
	/* api.c h_health, h_ready */
	{ "Health", "{status!: 'ok', service!: string, version!: string}", NULL },
	{ "Readiness", "{ready!: boolean, checks!: {store!: boolean, plugins!: integer, "
	  "providers!: integer, draining!: boolean}}", NULL },
	/* core/state.c: built from inn_state_name (inn_schema_components) */
	{ "State", "string", "A state of an execution or a step" },
	/* core/catalog.c inn_param_json, inn_provider_json, inn_goldenpath_json */
	{ "Param", "{name!: string, type!: string?, required!: boolean, default!: any "
	  "\"a secret's default shows as ***\"}", "A parameter a run takes" },
	{ "ParamDeclaration", "{...Param, description!: string?, allowed!: [any]?, "
	  "pattern!: string?}", "A parameter a run takes, all its declaration says" },
	{ "ParamDetail", "{...ParamDeclaration, source: 'golden-path'|'workflow' \"where it is "
	  "declared\"}", NULL },
	{ "ResourceType", "{type!: string?, alias_for!: string?, create!: string?, read!: string?, "
	  "update!: string?, delete!: string?}", "A resource type a provider provisions, and "
	  "the workflow of each operation" },
	{ "WorkflowSummary", "{name!: string, description!: string?, operation!: string?, "
	  "steps!: integer}", NULL },
	{ "Workflow", "{...WorkflowSummary, parameters!: [ParamDeclaration]}", NULL },
	{ "ProviderSummary", "{name!: string?, version!: string?, description!: string?, "
	  "owner!: string?, category!: string?, resource_types!: [ResourceType], "
	  "workflows!: [WorkflowSummary], source!: ProviderOrigin}", NULL },
	/* providers.c say_sources */
	{ "ProviderOrigin", "{type!: 'filesystem'|'git', path!: string? \"filesystem: the folder "
	  "on the server (to admin keys; null for others); git: the provider's folder in the "
	  "repository (empty: its root)\", "
	  "git_url!: string? \"git: the repository\", ref!: string? \"git: the branch, tag or "
	  "commit asked for (null: the remote's HEAD)\", commit!: string? \"git: the commit "
	  "checked out now\"}", "Where a provider was read from: a folder of the server or a git "
	  "repository (the config's providers, or a source added over the API)" },
	{ "Provider", "{...ProviderSummary, workflows!: [Workflow]}", NULL },
	{ "GoldenPath", "{name!: string?, description!: string?, category!: string?, "
	  "workflow!: string?, estimated_duration!: string? \"free text, as goldenpaths.yaml says "
	  "it\", tags!: [string], parameters!: [Param]}", NULL },
	/* api_catalog.c inn_api_goldenpath */
	{ "GoldenPathDetail", "{...GoldenPath, parameters!: [ParamDetail] \"the golden path's, "
	  "then its workflow's\", workflow_file!: string?, workflow_name!: string?, "
	  "steps!: integer}", NULL },
	/* api_catalog.c inn_api_plugins */
	{ "Plugin", "{type!: string, name!: string, version!: string, abi!: string, "
	  "step_types!: [string], flags!: ['dry-run'|'idempotent'|'cancellable'|'not-thread-safe'], "
	  "config_schema!: any, outputs_schema!: any, step_defaults!: any, step_policies!: any}",
	  NULL },
	/* api_catalog.c inn_api_plugins_refused */
	{ "PluginRefusal", "{file!: string \"its name in the plugin directory\", "
	  "step_type!: string? \"the type its name gives (TYPE.so), or null\", "
	  "reason!: string}", "A plugin file that was not loaded" },
	{ "PluginRefusalList", "{data!: [PluginRefusal]}", NULL },
	/* api_body.c inn_body_run_fields: other members are ignored */
	{ "RunRequest", "{parameters: map<any>?, spec: object|string|null \"a Score spec, or its "
	  "YAML text\", dry_run: boolean?, *}", NULL },
	{ "WorkflowRunRequest", "{...RunRequest, workflow!: string \"provider/name, or a golden "
	  "path's name\", *}", NULL },
	/* api_exec.c submitted_json, inn_api_goldenpath_execute */
	{ "Submitted", "{id!: integer \"the execution\", status!: 'pending'}", NULL },
	{ "ExecuteAccepted", "{...Submitted, workflow_id!: integer, task_id!: string, "
	  "golden_path!: string, application!: string?, app_name!: string?, parameters!: any, "
	  "dry_run!: boolean, message!: string}", NULL },
	/* api_exec.c exec_json, workflow_work */
	{ "Execution", "{id!: integer, workflow!: string?, kind!: string?, app!: string?, "
	  "team!: string?, created_by!: string?, status!: State?, message!: string?, "
	  "dry_run!: boolean, replica!: string? \"the replica that owns it\", "
	  "retry_of!: integer?, created_ms!: integer, started_ms!: integer?, ended_ms!: integer?, "
	  "duration_ms!: integer? \"once it ended; null before\"}", NULL },
	{ "Step", "{name!: string?, type!: string?, status!: State?, attempts!: integer, "
	  "message!: string?, started_ms!: integer?, ended_ms!: integer?, "
	  "duration_ms!: integer? \"once it ended; null before\", "
	  "outputs!: any, depends_on!: [string]? \"the steps (by name) it waits for, as the run "
	  "orders them, explicit depends_on or the list's order; [] for none; null for an "
	  "execution recorded before steps had them\"}", NULL },
	{ "ExecutionDetail", "{...Execution, retried_by!: integer? \"the latest execution that "
	  "retries it (POST /retry); null: none\", parameters!: any \"secrets as ***\", "
	  "outputs!: any, steps!: [Step]}", NULL },
	{ "ExecutionPage", "{data!: [Execution], total!: integer, page!: integer, "
	  "page_size!: integer, total_pages!: integer}", NULL },
	{ "LogLine", "{seq!: integer \"the cursor\", step!: string?, level!: integer, "
	  "stream!: integer, line!: string?, ts!: integer}", NULL },
	{ "LogPage", "{lines!: [LogLine], next_after!: integer \"after= of the next page\", "
	  "status!: State? \"the execution's\"}", NULL },
	{ "CancelAccepted", "{id!: integer, status!: 'cancelled'|'cancelling'}", NULL },
	/* runs.c inn_runs_publish_exec, publish_created, runs_record.c (steps), api_auth.c
	 * (key.revoked) */
	{ "Event", "{execution: integer \"the execution it is about\", status: string, "
	  "workflow: string, kind: string \"execution.created\", app: string?, team: string?, "
	  "step: string, attempt: integer, message: string, key: string, *}",
	  "The data of an event of /api/events/stream (event: its type, id: its cursor): "
	  "execution.created (pending; workflow, kind, app and team as GET /api/workflows "
	  "lists it), execution.started, execution.finished, step.running, step.succeeded, "
	  "..." },
	/* api_auth.c inn_api_me */
	{ "Me", "{name!: string \"the key's name\", role!: 'admin'|'user', "
	  "team!: string? \"null: none\"}", "The calling API key" },
	/* api_admin.c inn_api_admin_key_list, api_auth.c */
	{ "Key", "{name!: string, role!: 'admin'|'user', team!: string?, created_ms!: integer, "
	  "revoked!: boolean}", "An API key's facts: never the key or its hash" },
	{ "KeyList", "{data!: [Key]}", NULL },
	{ "KeyCreateRequest", "{name!: string, role: 'admin'|'user' \"user when absent\", "
	  "team: string?, *}", NULL },
	{ "KeyCreated", "{name!: string, role!: 'admin'|'user', team!: string? \"null: none\", "
	  "key!: string \"shown this once\"}", NULL },
	{ "KeyRevoked", "{name!: string, revoked!: boolean}", NULL },
	{ "AuditEntry", "{id!: integer, who!: string?, action!: string, target!: string?, "
	  "detail!: any, ts!: integer}", NULL },
	/* providers.c source_json, reload_summary, add_warnings */
	{ "ProviderSource", "{name!: string?, kind!: string?, git_url!: string?, path!: string?, "
	  "ref!: string?, commit!: string?, added_by!: string?, added_ms!: integer, "
	  "loaded!: boolean, version: string?, workflows: [string]}", NULL },
	{ "ProviderSourceAdded", "{...ProviderSource, warnings!: [string]}", NULL },
	{ "ProviderSourceRequest", "{name: string?, git_url: string?, path: string?, "
	  "ref: string?, *}", "{name, git_url, path, ref} or {name, path}" },
	{ "ProviderRemoved", "{name!: string, removed!: boolean}", NULL },
	{ "ReloadSummary", "{providers!: integer, golden_paths!: integer, "
	  "sources!: [{...ProviderSource, changed!: boolean}], warnings!: [string]}", NULL },
	/* api_demo.c: the engine's demo report */
	{ "DemoReport", "{*}", "What the demo operation did, by component" },
	/* api_apps.c app_json, inn_api_applications, inn_api_application, resource_json */
	{ "ApplicationBase", "{name!: string?, team!: string?, created_by!: string?, "
	  "status!: string?, created_ms!: integer, updated_ms!: integer, expires_ms!: integer?, "
	  "expiry_failed: {message!: string, attempts!: integer, retry_ms!: integer} "
	  "\"its TTL deletion failed\"}", NULL },
	{ "ApplicationSummary", "{...ApplicationBase, resources!: integer, "
	  "last_execution!: {id!: integer, kind!: string?, status!: State?}?}", NULL },
	{ "ApplicationList", "{data!: [ApplicationSummary]}", NULL },
	{ "ExecutionBrief", "{id!: integer, kind!: string?, status!: State?, created_ms!: integer}",
	  NULL },
	{ "Resource", "{app: string? \"in /api/resources\", name!: string?, type!: string?, "
	  "provider!: string?, status!: string?, message!: string?, outputs!: map<any> "
	  "\"secret ones as ***\", depends_on!: any, updated_ms!: integer, "
	  "last_execution!: ExecutionBrief?}", NULL },
	{ "Application", "{...ApplicationBase, spec!: any, containers!: map<any> "
	  "\"${resources...} resolved\", unresolved!: [any], resources!: [Resource], "
	  "executions!: [{id!: integer, kind!: string?, workflow!: string?, status!: State?, "
	  "created_ms!: integer}]}", NULL },
	/* runs_deploy.c inn_runs_deploy_summary; api_apps.c reply_deploy */
	{ "DeployOperation", "{resource!: string?, type!: string?, provider!: string?, "
	  "op!: string?, workflow!: string?, depends_on!: any, note: string}", NULL },
	{ "DeployPhase", "{phase!: string?, workflow!: string?, provider!: string?, "
	  "trigger!: string?}", NULL },
	{ "DeployResult", "{id: integer \"the execution (not for a dry run)\", "
	  "application!: string, status!: 'pending'|'planned', dry_run: boolean, "
	  "operations: [DeployOperation], phases: [DeployPhase], warnings: [string]}", NULL },
	{ "ScoreSpec", "{apiVersion: string, metadata: {name: string, *}, containers: map<any>, "
	  "resources: map<any>, *}", "A Score workload spec (score.dev), YAML or JSON" },
};

const struct inn_schema_name *
inn_schema_names(size_t *n)
{
	*n = sizeof(names) / sizeof(names[0]);
	return names;
}

const char *
inn_schema_named(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].text;
	return NULL;
}
