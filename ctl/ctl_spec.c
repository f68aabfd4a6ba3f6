/*
 * ctl_spec.c - the table of innominatus-ctl's commands and options (what
 * each command is called, its synopsis, summary and help, the options it
 * takes, what its arguments are, and who runs it), and the help printed
 * from it.  Adding a command or an option here is all the help, the
 * completion scripts and the man page's drift test need.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "ctl_spec.h"

#define OFF(f) offsetof(ctl_opts, f)

const ctl_option ctl_options[] = {
	{ CTL_OPT_HELP, "--help", { "-h", NULL }, NULL, NULL, 0, CTL_STORE_SPECIAL, 0,
	  "this help (after a command: that command's help)" },
	{ CTL_OPT_VERSION, "--version", { NULL, NULL }, NULL, NULL, 0, CTL_STORE_SPECIAL, 0,
	  "print the version and plugin ABI" },
	{ CTL_OPT_SERVER, "--server", { NULL, NULL }, "URL", NULL, CTL_ARG_WORD, CTL_STORE_STR,
	  OFF(server), "the server to ask (default: $INNOMINATUS_SERVER,\n"
	  "else " CTL_DEFAULT_SERVER ")" },
	{ CTL_OPT_OUTPUT, "--output", { "-o", NULL }, "json|yaml|text", "json yaml text", 0,
	  CTL_STORE_SPECIAL, 0,
	  "machine-readable output (yaml: json's, as YAML);\n"
	  "admin export: -o FILE, the file to write" },
	{ CTL_OPT_LOCAL, "--local", { NULL, NULL }, NULL, NULL, 0, CTL_STORE_FLAG, OFF(local),
	  "run in-process, without a server" },
	{ CTL_OPT_PLUGIN_DIR, "--plugin-dir", { NULL, NULL }, "DIR", NULL, CTL_ARG_DIR,
	  CTL_STORE_STR, OFF(plugin_dir), "plugin directory (default:\n" INN_PLUGIN_DIR ")" },
	{ CTL_OPT_CONFIG, "--config", { NULL, NULL }, "FILE", NULL, CTL_ARG_FILE,
	  CTL_STORE_SPECIAL, 0, "admin config (default: ./admin-config.yaml if there)" },
	{ CTL_OPT_PROVIDERS, "--providers", { NULL, NULL }, "DIR", NULL, CTL_ARG_DIR,
	  CTL_STORE_SPECIAL, 0,
	  "provider folder, or folder of provider folders\n"
	  "(repeatable; default: the admin config's providers:\n"
	  "key, else ./providers)" },
	{ CTL_OPT_GOLDENPATHS, "--goldenpaths", { NULL, NULL }, "FILE", NULL, CTL_ARG_FILE,
	  CTL_STORE_STR, OFF(goldenpaths),
	  "golden paths catalogue (default:\n"
	  "./workflows/goldenpaths.yaml or ./goldenpaths.yaml)" },
	{ CTL_OPT_PARAM, "--param", { "-p", NULL }, "NAME=VALUE", NULL, CTL_ARG_WORD,
	  CTL_STORE_SPECIAL, 0, "workflow parameter (repeatable)" },
	{ CTL_OPT_SECRET, "--secret", { NULL, NULL }, "NAME=@FILE", NULL, CTL_ARG_WORD,
	  CTL_STORE_SPECIAL, 0, "run --local: secret NAME from FILE (mode 0600;\n"
	  "repeatable)" },
	{ CTL_OPT_SECRET_ENV, "--secret-env", { NULL, NULL }, "NAME=VAR", NULL, CTL_ARG_WORD,
	  CTL_STORE_SPECIAL, 0,
	  "run --local: secret NAME from the variable VAR\n"
	  "(repeatable); both over the admin config's secrets" },
	{ CTL_OPT_DRY_RUN, "--dry-run", { NULL, NULL }, NULL, NULL, 0, CTL_STORE_FLAG,
	  OFF(dry_run), "report what each step would do; change nothing" },
	{ CTL_OPT_PARALLEL, "--parallel", { NULL, NULL }, "N", NULL, CTL_ARG_WORD,
	  CTL_STORE_SPECIAL, 0, "steps running at once (default 4)" },
	{ CTL_OPT_STRICT, "--strict", { NULL, NULL }, NULL, NULL, 0, CTL_STORE_FLAG, OFF(strict),
	  "plugins: exit 1 when any plugin was refused" },
	{ CTL_OPT_NO_WAIT, "--no-wait", { NULL, NULL }, NULL, NULL, 0, CTL_STORE_FLAG,
	  OFF(no_wait), "print the execution id and return; do not follow it" },
	{ CTL_OPT_FOLLOW, "--follow", { "-f", NULL }, NULL, NULL, 0, CTL_STORE_FLAG, OFF(follow),
	  "follow the logs until the run ends; exit as the run" },
	{ CTL_OPT_RECONNECT_WAIT, "--reconnect-wait", { NULL, NULL }, "SECS", NULL, CTL_ARG_WORD,
	  CTL_STORE_SPECIAL, 0,
	  "how long following reconnects to a server that went\n"
	  "away (default 60; exit 5 after that)" },
	{ CTL_OPT_APP, "--app", { NULL, NULL }, "APP", NULL, CTL_ARG_APP, CTL_STORE_STR, OFF(app),
	  "only the executions of application APP" },
	{ CTL_OPT_STATUS, "--status", { NULL, NULL }, "STATUS",
	  "pending running succeeded failed skipped cancelled timed_out would-run interrupted", 0,
	  CTL_STORE_STR,
	  OFF(status), "only the executions in this state" },
	{ CTL_OPT_PAGE, "--page", { NULL, NULL }, "N", NULL, CTL_ARG_WORD, CTL_STORE_SPECIAL, 0,
	  "which page of the list (default 1)" },
	{ CTL_OPT_WAIT, "--wait", { "-w", "--watch" }, NULL, NULL, 0, CTL_STORE_FLAG, OFF(wait),
	  "follow the execution, then print each resource" },
	{ CTL_OPT_TTL, "--ttl", { NULL, NULL }, "D", NULL, CTL_ARG_WORD, CTL_STORE_STR, OFF(ttl),
	  "the app is deleted when D (30m, 2h, 1d) has passed" },
	{ CTL_OPT_ROLE, "--role", { NULL, NULL }, "admin|user", "admin user", 0, CTL_STORE_STR,
	  OFF(role), "the key's role" },
	{ CTL_OPT_TEAM, "--team", { NULL, NULL }, "T", NULL, CTL_ARG_WORD, CTL_STORE_STR,
	  OFF(team), "the key's team (it sees that team's runs and apps)" },
	{ CTL_OPT_GIT_URL, "--git-url", { NULL, NULL }, "URL", NULL, CTL_ARG_WORD, CTL_STORE_STR,
	  OFF(git_url), "the provider's git repository" },
	{ CTL_OPT_PATH, "--path", { NULL, NULL }, "P", NULL, CTL_ARG_DIR, CTL_STORE_STR, OFF(path),
	  "with --git-url: the provider's folder in the\n"
	  "repository; alone: a provider folder on the server" },
	{ CTL_OPT_REF, "--ref", { NULL, NULL }, "R", NULL, CTL_ARG_WORD, CTL_STORE_STR, OFF(ref),
	  "the branch, tag or commit (with --git-url)" },
	{ CTL_OPT_DB, "--db", { NULL, NULL }, "URL", NULL, CTL_ARG_FILE, CTL_STORE_STR, OFF(db),
	  "the store: a SQLite file, sqlite:PATH or\n"
	  "postgres://[user@]host[:port]/db (no password in it)" },
	{ CTL_OPT_DB_PASSWORD_FILE, "--db-password-file", { NULL, NULL }, "FILE", NULL,
	  CTL_ARG_FILE, CTL_STORE_STR, OFF(db_password_file),
	  "PostgreSQL password: the file's first line (mode\n"
	  "0600); else PGPASSWORD or PGPASSFILE" },
	{ CTL_OPT_KUBECONFIG, "--kubeconfig", { NULL, NULL }, "FILE", NULL, CTL_ARG_FILE,
	  CTL_STORE_STR, OFF(kubeconfig),
	  "the cluster (default: $KUBECONFIG, ~/.kube/config)" },
	{ CTL_OPT_DEMO_DIR, "--demo-dir", { NULL, NULL }, "DIR", NULL, CTL_ARG_DIR, CTL_STORE_STR,
	  OFF(demo_dir), "the demo components and manifests (default:\n" INN_DEMO_DIR ")" },
	{ CTL_OPT_TYPE, "--type", { NULL, NULL }, "TYPE",
	  "shell kubernetes terraform ansible vault-setup minio", 0, CTL_STORE_STR,
	  OFF(new_type), "new workflow: the kind of its steps (default shell)" },
	{ CTL_OPT_DIR, "--dir", { NULL, NULL }, "DIR", NULL, CTL_ARG_DIR, CTL_STORE_STR,
	  OFF(new_dir), "new: the project folder itself (provider, plugin;\n"
	  "default ./NAME), the provider folder (workflow; default .)" },
};
const size_t ctl_noptions = sizeof(ctl_options) / sizeof(ctl_options[0]);

/* The global help's groups of commands. */
enum { SEC_LOCAL, SEC_BOTH, SEC_REMOTE, SEC_TOOLS, SEC_NONE };
static const char *const sections[] = {
	"Commands that run in-process (no server needed):",
	"Commands that ask the server (--server URL or INNOMINATUS_SERVER; with neither,\n"
	CTL_DEFAULT_SERVER ") or, with --local, run in-process:",
	"Commands that ask the server (token from INNOMINATUS_TOKEN, else\n"
	"~/.config/innominatus/credentials, mode 0600: token=... or {\"token\": \"...\"}):",
	"Tools:",
};

#define LOCAL_ENV (CTL_O(PLUGIN_DIR) | CTL_O(CONFIG))
#define CATALOG (LOCAL_ENV | CTL_O(PROVIDERS) | CTL_O(GOLDENPATHS))
#define REMOTE (CTL_O(SERVER) | CTL_O(OUTPUT))
#define STORE (CTL_O(DB) | CTL_O(DB_PASSWORD_FILE))
#define RUNNABLE (CTL_ARG_GOLDENPATH | CTL_ARG_WORKFLOW | CTL_ARG_FILE)

const ctl_cmd_spec ctl_commands[] = {
	{ "plugins", NULL, SEC_LOCAL, "plugins [--strict]",
	  "the step plugins, and every refused one with its reason",
	  "Loads every plugin of the plugin directory as the server does (the admin\n"
	  "config's allow-list applies) and lists each: name, version, ABI, flags and\n"
	  "what it does; a refused plugin is listed with its reason.",
	  LOCAL_ENV | CTL_O(STRICT) | CTL_O(OUTPUT), { 0 }, 0,
	  ctl_cmd_plugins, NULL, 0 },
	{ "validate-provider", NULL, SEC_LOCAL, "validate-provider DIR",
	  "load a provider folder and report every problem",
	  "Loads the provider in folder DIR (provider.yaml and its workflows) with the\n"
	  "plugins and policy the server would use, and prints every problem as\n"
	  "FILE:LINE:COL: error: message.  Exit 3 when it has errors.",
	  LOCAL_ENV | CTL_O(OUTPUT), { CTL_ARG_DIR }, 0,
	  ctl_cmd_validate_provider, NULL, 0 },
	{ "test-workflow", NULL, SEC_LOCAL,
	  "test-workflow FILE\ntest-workflow FILE [--dry-run] [--param NAME=VALUE]...",
	  "validate a workflow file (with --dry-run: dry-run it)",
	  "Validates the workflow FILE: its steps, their plugins' configuration, the\n"
	  "templates and the dependencies, and each --param given (declared, of its\n"
	  "type; exit 3 otherwise).  Nothing runs: with --dry-run each step reports\n"
	  "what it would do, and changes nothing.  To run it for real, use\n"
	  "`innominatus-ctl run --local FILE`.",
	  LOCAL_ENV | CTL_O(DRY_RUN) | CTL_O(PARAM) | CTL_O(PARALLEL) | CTL_O(OUTPUT),
	  { CTL_ARG_FILE }, 0, ctl_cmd_test_workflow, NULL, 0 },
	{ "demo-time", NULL, SEC_LOCAL, "demo-time [--dry-run] [--kubeconfig FILE]",
	  "install the demo components (gitea, argocd, vault...)",
	  "Installs the demo components into the cluster of the kubeconfig through\n"
	  "kubernetes.so; --dry-run lists every object, contacting nothing.",
	  CTL_O(PLUGIN_DIR) | CTL_O(PARALLEL) | CTL_O(KUBECONFIG) | CTL_O(DEMO_DIR) |
	  CTL_O(DRY_RUN) | CTL_O(OUTPUT), { 0 }, 0, ctl_cmd_demo_time, NULL, 0 },
	{ "demo-status", NULL, SEC_LOCAL, "demo-status [--kubeconfig FILE]",
	  "each demo component's health as a table", NULL,
	  CTL_O(PLUGIN_DIR) | CTL_O(PARALLEL) | CTL_O(KUBECONFIG) | CTL_O(DEMO_DIR) |
	  CTL_O(OUTPUT), { 0 }, 0, ctl_cmd_demo_status, NULL, 0 },
	{ "demo-nuke", NULL, SEC_LOCAL, "demo-nuke [--kubeconfig FILE]",
	  "delete the demo components (namespaces last)", NULL,
	  CTL_O(PLUGIN_DIR) | CTL_O(PARALLEL) | CTL_O(KUBECONFIG) | CTL_O(DEMO_DIR) |
	  CTL_O(OUTPUT), { 0 }, 0, ctl_cmd_demo_nuke, NULL, 0 },

	{ "list-providers", NULL, SEC_BOTH, "list-providers",
	  "the providers (local: found under --providers)",
	  "Lists the providers: the server's, or with --local the ones found under\n"
	  "--providers.  In-process, a provider with errors is left out as the server\n"
	  "leaves it out: its errors go to standard error, the others are listed, and\n"
	  "the exit status is 3.",
	  REMOTE | CTL_O(LOCAL) | CATALOG, { 0 }, 0,
	  ctl_cmd_list_providers, ctl_rcmd_list_providers, 0 },
	{ "list-goldenpaths", NULL, SEC_BOTH, "list-goldenpaths",
	  "the golden paths (local: those of --goldenpaths)",
	  "Lists the golden paths: the server's, or with --local those of\n"
	  "--goldenpaths whose workflows load (errors as for list-providers).",
	  REMOTE | CTL_O(LOCAL) | CATALOG, { 0 }, 0,
	  ctl_cmd_list_goldenpaths, ctl_rcmd_list_goldenpaths, 0 },
	{ "run", NULL, SEC_BOTH,
	  "run WORKFLOW [SPEC] [--param NAME=VALUE]... [--dry-run] [--no-wait]\n"
	  "run --local WORKFLOW [SPEC] [--param NAME=VALUE]... [--dry-run]",
	  "run a golden path or provider/workflow (for a spec)",
	  "Runs WORKFLOW (a golden path, or provider/workflow) on the server for the\n"
	  "optional Score spec SPEC: follows its logs, then prints the final status and\n"
	  "outputs.  With --local it runs in-process, and WORKFLOW may also be a\n"
	  "workflow file.  Exit 0 when it succeeded, 1 when it failed, 4 when it was\n"
	  "cancelled or timed out.",
	  REMOTE | CTL_O(LOCAL) | CTL_O(PARAM) | CTL_O(DRY_RUN) | CTL_O(NO_WAIT) |
	  CTL_O(RECONNECT_WAIT) | CATALOG | CTL_O(SECRET) | CTL_O(SECRET_ENV) | CTL_O(PARALLEL),
	  { RUNNABLE, CTL_ARG_FILE }, 0, ctl_cmd_run, ctl_rcmd_run, 1 },

	{ "status", NULL, SEC_REMOTE, "status ID", "one execution: status, steps, outputs", NULL,
	  REMOTE, { CTL_ARG_EXEC }, 0, NULL, ctl_rcmd_status, 0 },
	{ "logs", NULL, SEC_REMOTE, "logs ID [-f]",
	  "its step logs (-f: follow them until the run ends)", NULL,
	  REMOTE | CTL_O(FOLLOW) | CTL_O(RECONNECT_WAIT), { CTL_ARG_EXEC }, 0,
	  NULL, ctl_rcmd_logs, 0 },
	{ "cancel", NULL, SEC_REMOTE, "cancel ID", "cancel a pending or running execution", NULL,
	  REMOTE, { CTL_ARG_EXEC }, 0, NULL, ctl_rcmd_cancel, 0 },
	{ "retry", NULL, SEC_REMOTE, "retry ID [--no-wait]",
	  "run a finished execution again from its failed step",
	  "Runs execution ID again from the step that failed, with the parameters it\n"
	  "had (the server takes no new ones: --param is refused; to change them, run\n"
	  "the workflow again with run).  Follows it as run does.",
	  REMOTE | CTL_O(NO_WAIT) | CTL_O(RECONNECT_WAIT), { CTL_ARG_EXEC }, 0,
	  NULL, ctl_rcmd_retry, 0 },
	{ "list-workflows", NULL, SEC_REMOTE,
	  "list-workflows [--app APP] [--status STATUS] [--page N]",
	  "executions, newest first, a page at a time", NULL,
	  REMOTE | CTL_O(APP) | CTL_O(STATUS) | CTL_O(PAGE), { 0 }, 0,
	  NULL, ctl_rcmd_list_workflows, 0 },
	{ "deploy", NULL, SEC_REMOTE, "deploy SPEC [-w|--wait] [--dry-run] [--ttl D]",
	  "deploy a Score app: create, update, delete resources",
	  "Deploys the Score spec SPEC (score.dev/v1b1; YAML, or JSON when the file ends in\n"
	  ".json) to the server: each resource is created, updated (its properties changed)\n"
	  "or kept, and a resource the app had that SPEC no longer declares is deleted, by\n"
	  "the workflows of the provider offering its type.  Prints the plan: each resource's\n"
	  "operation, type, provider, workflow and dependencies, the phase workflows that run\n"
	  "around them, and the execution id.  A spec with problems is refused before\n"
	  "anything runs, every problem printed as SPEC:LINE:COL: error: message (exit 3).\n"
	  "With -w it follows the execution's logs (as run does), then prints every\n"
	  "resource with its final state and outputs; exit 0 only when the deployment\n"
	  "succeeded and every resource is active.  --dry-run prints the plan only; nothing\n"
	  "runs and nothing is stored.  -o json prints the server's reply (with -w:\n"
	  "{deployment, execution, application}).\n"
	  "\n"
	  "Exit codes: 0 deployed; 1 a resource or workflow failed; 2 usage error;\n"
	  "3 the spec was refused (400) or the app is busy (409); 4 the execution was\n"
	  "cancelled or timed out; 5 server unreachable or not authorised (another team's\n"
	  "app: 403); 130 interrupted while following (the deployment goes on).",
	  REMOTE | CTL_O(WAIT) | CTL_O(DRY_RUN) | CTL_O(TTL) | CTL_O(RECONNECT_WAIT),
	  { CTL_ARG_FILE }, 0, NULL, ctl_rcmd_deploy, 0 },
	{ "delete", NULL, SEC_REMOTE, "delete APP [-w|--wait]",
	  "tear down an app's resources, then forget it",
	  "Deletes application APP: every resource is torn down by its provider's delete\n"
	  "workflow, in reverse dependency order, then the app is forgotten (its executions\n"
	  "stay listed).  Prints what will be deleted and the execution id.  With -w it\n"
	  "follows the execution, then says whether the app is gone; exit 0 only when\n"
	  "every resource was torn down.\n"
	  "\n"
	  "Exit codes as for deploy; 3 also when there is no app APP (404).  There is no\n"
	  "--dry-run: `innominatus-ctl app APP` shows what would be torn down.",
	  REMOTE | CTL_O(WAIT) | CTL_O(RECONNECT_WAIT), { CTL_ARG_APP }, 0,
	  NULL, ctl_rcmd_delete, 0 },
	{ "apps", NULL, SEC_REMOTE, "apps", "the applications your team deployed",
	  "Lists the applications your team deployed: name, team, status (deploying,\n"
	  "active, failed, deleting), number of resources, the last execution and when\n"
	  "the app expires (--ttl).",
	  REMOTE, { 0 }, 0, NULL, ctl_rcmd_apps, 0 },
	{ "app", NULL, SEC_REMOTE, "app NAME",
	  "one application with its resources and containers",
	  "One application: its status, resources with their states and outputs (secret\n"
	  "values shown as ***), its containers with ${resources.R.K} placeholders resolved\n"
	  "(and the ones that do not resolve), and its executions.",
	  REMOTE, { CTL_ARG_APP }, 0, NULL, ctl_rcmd_app, 0 },
	{ "resources", NULL, SEC_REMOTE, "resources [APP]",
	  "resources of every app (or of APP) and their states",
	  "The resources of every application (or of APP) and their states: requested,\n"
	  "provisioning, active, failed, updating, terminating, terminated.  Exit 3 when\n"
	  "there is no app APP (404), as for app APP.",
	  REMOTE, { CTL_ARG_APP }, 0, NULL, ctl_rcmd_resources, 0 },
	{ "admin", NULL, SEC_REMOTE, "admin SUBCOMMAND ...",
	  "API keys, providers; export and import of a store",
	  "The administration commands.  Those on a server need an admin key; export\n"
	  "and import open a store themselves (stop the server first) and never ask a\n"
	  "server.",
	  REMOTE, { 0 }, 0, NULL, ctl_rcmd_admin, 0 },
	{ "add-key", "admin", 0, "admin add-key NAME --role admin|user [--team T]",
	  "create an API key (admin key needed); prints it once",
	  "Creates API key NAME with its role (admin: every command; user: runs and apps\n"
	  "of its team).  The key is printed once, on standard output; only its hash is\n"
	  "kept.",
	  REMOTE | CTL_O(ROLE) | CTL_O(TEAM), { CTL_ARG_WORD }, 0, NULL, NULL, 0 },
	{ "list-keys", "admin", 0, "admin list-keys",
	  "the API keys: name, role, team, created, revoked", NULL,
	  REMOTE, { 0 }, 0, NULL, NULL, 0 },
	{ "revoke-key", "admin", 0, "admin revoke-key NAME",
	  "revoke API key NAME: it is refused from now on", NULL,
	  REMOTE, { CTL_ARG_WORD }, 0, NULL, NULL, 0 },
	{ "add-provider", "admin", 0,
	  "admin add-provider NAME (--git-url URL [--path P] [--ref R] | --path DIR)",
	  "add a provider from a git repository or a folder",
	  "Adds provider NAME from a git repository (P: its folder in the repository; R:\n"
	  "branch, tag or commit) or from a folder on the server.  It is validated first;\n"
	  "a provider with problems is refused with every problem printed (exit 3).",
	  REMOTE | CTL_O(GIT_URL) | CTL_O(PATH) | CTL_O(REF), { CTL_ARG_WORD }, 0,
	  NULL, NULL, 0 },
	{ "remove-provider", "admin", 0, "admin remove-provider NAME",
	  "remove a provider added with add-provider", NULL,
	  REMOTE, { CTL_ARG_PROVIDER }, 0, NULL, NULL, 0 },
	{ "reload", "admin", 0, "admin reload",
	  "re-read the providers, fetch every git provider",
	  "Re-reads the server config's providers and fetches every git provider; the\n"
	  "catalog in use is kept if the new one has errors.",
	  REMOTE, { 0 }, 0, NULL, NULL, 0 },
	{ "export", "admin", 0, "admin export --db URL [-o FILE]",
	  "dump the store (JSON lines; as sensitive as the database)",
	  "Writes the whole store as JSON lines to FILE (created mode 0600; an existing\n"
	  "FILE is replaced by a new file renamed over it) or standard output; a device\n"
	  "or a pipe is written where it is, a symbolic link to a file is refused.  -o is\n"
	  "the file, not an output format.  No server: stop it first.  The dump holds what the store holds\n"
	  "(masked values, sealed inputs, API key hashes): it is as sensitive as the\n"
	  "database itself.",
	  STORE | CTL_O(OUTPUT), { 0 }, 0, NULL, NULL, 0 },
	{ "import", "admin", 0, "admin import --db URL [FILE|-]",
	  "load a dump into an empty store, all or nothing",
	  "Loads a dump (default: standard input) into an empty store of the same schema\n"
	  "version, all or nothing; prints the rows per table.  Moves a store, e.g.\n"
	  "SQLite -> PostgreSQL.  Exit 3 when the dump is refused (nothing is imported).",
	  STORE, { CTL_ARG_FILE }, 0, NULL, NULL, 0 },

	{ "new", NULL, SEC_TOOLS, "new provider|workflow|plugin NAME ...",
	  "generate a provider, a workflow or a plugin project",
	  "Writes a new project to start from, ready to validate or build.",
	  CTL_O(DIR), { 0 }, 0, ctl_cmd_new, NULL, 0 },
	{ "provider", "new", 0, "new provider NAME [--dir DIR]",
	  "a provider folder: provider.yaml and a first workflow", NULL,
	  CTL_O(DIR), { CTL_ARG_WORD }, 0, NULL, NULL, 0 },
	{ "workflow", "new", 0,
	  "new workflow NAME [--type TYPE] [--dir DIR]\n"
	  "new workflow NAME [--type shell|kubernetes|terraform|ansible|vault-setup|minio]",
	  "a workflow file whose steps are of the type asked", NULL,
	  CTL_O(TYPE) | CTL_O(DIR), { CTL_ARG_WORD }, 0, NULL, NULL, 0 },
	{ "plugin", "new", 0, "new plugin NAME [--dir DIR]",
	  "an out-of-tree C plugin project (autotools, a test)", NULL,
	  CTL_O(DIR), { CTL_ARG_WORD }, 0, NULL, NULL, 0 },
	{ "completion", NULL, SEC_TOOLS, "completion bash|zsh",
	  "print the shell completion script",
	  "Prints the completion script for bash or zsh.  Commands, options and their\n"
	  "values complete from this program; provider, workflow and golden path names,\n"
	  "execution ids and apps from the server (--server or INNOMINATUS_SERVER and the\n"
	  "token, as the other commands; nothing when it does not answer in 2 s).\n"
	  "  bash: innominatus-ctl completion bash > ~/.local/share/bash-completion/completions/innominatus-ctl\n"
	  "  zsh:  innominatus-ctl completion zsh > ~/.zfunc/_innominatus-ctl (a folder in $fpath)",
	  CTL_O(SERVER), { 0 }, 0, ctl_cmd_completion, NULL, 0 },
	{ "bash", "completion", 0, "completion bash", "the bash script", NULL,
	  0, { 0 }, CTL_HIDE_USAGE, NULL, NULL, 0 },
	{ "zsh", "completion", 0, "completion zsh", "the zsh script", NULL,
	  0, { 0 }, CTL_HIDE_USAGE, NULL, NULL, 0 },
	{ "help", NULL, SEC_TOOLS, "help [COMMAND [SUBCOMMAND]]",
	  "this help, or a command's own (as COMMAND --help)", NULL,
	  0, { 0 }, 0, ctl_spec_help_cmd, NULL, 0 },
	{ "__complete", NULL, SEC_NONE, "__complete KIND [PREFIX]",
	  "completion candidates, one a line (KIND: commands, providers, workflows,\n"
	  "goldenpaths, executions, apps, options CMD [SUB], subcommands CMD)", NULL,
	  CTL_O(SERVER), { 0 }, CTL_HIDE, ctl_cmd_complete, NULL, 0 },
};
const size_t ctl_ncommands = sizeof(ctl_commands) / sizeof(ctl_commands[0]);

const ctl_option *
ctl_spec_option(const char *a)
{
	size_t i;

	for (i = 0; i < ctl_noptions; i++) {
		const ctl_option *p = &ctl_options[i];

		if (strcmp(a, p->name) == 0 || (p->alias[0] && strcmp(a, p->alias[0]) == 0) ||
		    (p->alias[1] && strcmp(a, p->alias[1]) == 0))
			return p;
	}
	return NULL;
}

const ctl_cmd_spec *
ctl_spec_command(const char *parent, const char *name)
{
	size_t i;

	for (i = 0; i < ctl_ncommands; i++) {
		const ctl_cmd_spec *c = &ctl_commands[i];

		if (strcmp(c->name, name) == 0 &&
		    (parent == NULL ? c->parent == NULL
		                    : c->parent != NULL && strcmp(c->parent, parent) == 0))
			return c;
	}
	return NULL;
}

int
ctl_spec_has_subs(const ctl_cmd_spec *c)
{
	size_t i;

	for (i = 0; i < ctl_ncommands; i++)
		if (ctl_commands[i].parent != NULL && strcmp(ctl_commands[i].parent, c->name) == 0)
			return 1;
	return 0;
}

int
ctl_spec_takes(const ctl_cmd_spec *c, const ctl_option *p)
{
	return p->id == CTL_OPT_HELP || (c->options & ((uint64_t)1 << p->id)) != 0;
}

/* Prints "  LEFT  text" with the text's lines aligned at column col + 3;
 * a LEFT too wide for the column gets its own line. */
static void
item(FILE *fp, const char *left, int col, const char *text)
{
	const char *p = text, *nl;
	int first = 1;

	if ((int)strlen(left) > col) {
		fprintf(fp, "  %s\n", left);
		first = 0;
	}
	do {
		nl = strchr(p, '\n');
		fprintf(fp, "  %-*s %.*s\n", col, first ? left : "",
		        (int)(nl ? (size_t)(nl - p) : strlen(p)), p);
		first = 0;
		p = nl + 1;
	} while (nl != NULL);
}

/* The synopsis's first line (the global help's left column). */
static void
first_line(char *out, size_t len, const char *s)
{
	snprintf(out, len, "%.*s", (int)strcspn(s, "\n"), s);
}

/* "-o, --output json|yaml|text" into out. */
static void
option_left(char *out, size_t len, const ctl_option *p)
{
	snprintf(out, len, "%s%s%s%s%s%s%s", p->alias[0] && p->alias[0][1] != '-' ? p->alias[0] : "",
	         p->alias[0] && p->alias[0][1] != '-' ? ", " : "", p->name,
	         p->alias[1] ? ", " : "", p->alias[1] ? p->alias[1] : "", p->arg ? " " : "",
	         p->arg ? p->arg : "");
}

void
ctl_spec_usage(FILE *fp)
{
	char left[160];
	size_t i;
	int s;

	fputs("usage: innominatus-ctl [options] <command> [arguments]\n"
	      "       innominatus-ctl <command> --help    (or: help <command>) its own help\n",
	      fp);
	for (s = SEC_LOCAL; s < SEC_NONE; s++) {
		fprintf(fp, "\n%s\n", sections[s]);
		for (i = 0; i < ctl_ncommands; i++) {
			const ctl_cmd_spec *c = &ctl_commands[i];

			if (c->parent != NULL || c->hidden || c->section != s)
				continue;
			first_line(left, sizeof(left), c->synopsis);
			item(fp, left, 20, c->summary);
			if (ctl_spec_has_subs(c)) {
				size_t k;

				for (k = 0; k < ctl_ncommands; k++)
					if (ctl_commands[k].parent != NULL && !ctl_commands[k].hidden &&
					    strcmp(ctl_commands[k].parent, c->name) == 0) {
						first_line(left, sizeof(left), ctl_commands[k].synopsis);
						item(fp, left, 20, ctl_commands[k].summary);
					}
			}
		}
	}
	fputs("\nOptions (each command's --help lists the ones it takes):\n", fp);
	for (i = 0; i < ctl_noptions; i++) {
		option_left(left, sizeof(left), &ctl_options[i]);
		item(fp, left, 20, ctl_options[i].help);
	}
	fputs("An option's value may also be attached: --server=URL, -o=yaml, -oyaml.\n"
	      "\n"
	      "Environment: INNOMINATUS_SERVER (the server URL), INNOMINATUS_TOKEN (the API\n"
	      "key; else the credentials file $XDG_CONFIG_HOME/innominatus/credentials or\n"
	      "~/.config/innominatus/credentials, mode 0600).\n"
	      "\n"
	      "Exit codes: 0 success; 1 the workflow or command failed; 2 usage error;\n"
	      "            3 invalid input (config, plugins, provider, workflow, parameters,\n"
	      "              a dump admin import refuses, a store admin export cannot find);\n"
	      "            4 the run was cancelled or timed out;\n"
	      "            5 remote mode: the server is unreachable, or authentication failed\n"
	      "              (HTTP 401/403, no usable token); 130 interrupted while watching.\n",
	      fp);
}

void
ctl_spec_help(FILE *fp, const ctl_cmd_spec *c)
{
	const char *p = c->synopsis, *nl;
	char left[160];
	size_t i;
	int first = 1;

	do {
		nl = strchr(p, '\n');
		fprintf(fp, "%s innominatus-ctl %.*s\n", first ? "usage:" : "      ",
		        (int)(nl ? (size_t)(nl - p) : strlen(p)), p);
		first = 0;
		p = nl + 1;
	} while (nl != NULL);
	fprintf(fp, "\n%s\n", c->help != NULL ? c->help : c->summary);
	if (ctl_spec_has_subs(c)) {
		fputs("\nSubcommands (each with its own --help):\n", fp);
		for (i = 0; i < ctl_ncommands; i++)
			if (ctl_commands[i].parent != NULL &&
			    strcmp(ctl_commands[i].parent, c->name) == 0) {
				first_line(left, sizeof(left), ctl_commands[i].synopsis);
				item(fp, left, 20, ctl_commands[i].summary);
			}
	}
	fputs("\nOptions:\n", fp);
	for (i = 0; i < ctl_noptions; i++)
		if (ctl_spec_takes(c, &ctl_options[i])) {
			option_left(left, sizeof(left), &ctl_options[i]);
			item(fp, left, 20, ctl_options[i].help);
		}
}

int
ctl_spec_help_cmd(const ctl_opts *o, int argc, char **argv)
{
	const ctl_cmd_spec *c, *sub;

	(void)o;
	if (argc == 0) {
		ctl_spec_usage(stdout);
		return CTL_EXIT_OK;
	}
	if ((c = ctl_spec_command(NULL, argv[0])) == NULL || argc > 2) {
		fprintf(stderr, "innominatus-ctl: help: unknown command \"%s\" (see --help)\n",
		        argv[argc > 2 ? 2 : 0]);
		return CTL_EXIT_USAGE;
	}
	if (argc == 2) {
		if ((sub = ctl_spec_command(c->name, argv[1])) == NULL) {
			fprintf(stderr, "innominatus-ctl: help: %s has no subcommand \"%s\"\n",
			        c->name, argv[1]);
			return CTL_EXIT_USAGE;
		}
		c = sub;
	}
	ctl_spec_help(stdout, c);
	return CTL_EXIT_OK;
}

void
ctl_spec_spellings(FILE *fp, const ctl_option *p, const char *sep)
{
	int k;

	fputs(p->name, fp);
	for (k = 0; k < 2; k++)
		if (p->alias[k] != NULL)
			fprintf(fp, "%s%s", sep, p->alias[k]);
}

void
ctl_spec_print_options(FILE *fp, const ctl_cmd_spec *c)
{
	size_t i;

	for (i = 0; i < ctl_noptions; i++)
		if (c == NULL || ctl_spec_takes(c, &ctl_options[i])) {
			ctl_spec_spellings(fp, &ctl_options[i], "\n");
			fputc('\n', fp);
		}
}
