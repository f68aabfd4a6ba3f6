/*
 * cmd_remote.c - innominatus-ctl remote mode, the commands: list-providers,
 * list-goldenpaths, run, status, logs, cancel, retry, list-workflows and
 * admin (add-key, list-keys, revoke-key, add-provider, remove-provider,
 * reload) as requests to an
 * innominatus server (remote_http.c), following runs through their log
 * stream (remote_sse.c) and printing through output.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_spec.h"
#include "output.h"
#include "remote.h"

/* Checks an execution id argument: digits only. */
static int
id_arg(const char *cmd, int argc, char **argv)
{
	const char *p;

	if (argc != 1) {
		/* the table's synopsis: retry's shows its [--no-wait] */
		const ctl_cmd_spec *c = ctl_spec_command(NULL, cmd);

		fprintf(stderr, "usage: innominatus-ctl %.*s\n",
		        c != NULL ? (int)strcspn(c->synopsis, "\n") : 2,
		        c != NULL ? c->synopsis : "ID");
		return -1;
	}
	for (p = argv[0]; *p; p++)
		if (*p < '0' || *p > '9')
			break;
	if (*p != '\0' || argv[0][0] == '\0' || strlen(argv[0]) > 18) {
		fprintf(stderr, "innominatus-ctl: %s: \"%s\" is not an execution id\n", cmd,
		        argv[0]);
		return -1;
	}
	return 0;
}

/* GET /api/workflows/{id}: prints it (JSON, or text), returns the exit
 * code of a request failure. */
static int
show_exec(struct remote *r, const char *id, int detailed)
{
	struct reply rep;
	char path[128];
	int rc;

	if (remote_path(path, sizeof(path), "/api/workflows", id, NULL) != 0)
		return CTL_EXIT_USAGE;
	if ((rc = remote_request(r, "GET", path, NULL, &rep)) == CTL_EXIT_OK) {
		if (r->o->json)
			ctl_print_json(rep.json);
		else
			ctl_print_exec(rep.json, detailed);
	}
	reply_free(&rep);
	return rc;
}

/* ---- commands ---------------------------------------------------------------- */

/* GET path and print the JSON, or the table through fn. */
static int
get_and_print(struct remote *r, const char *path, void (*fn)(json_object *))
{
	struct reply rep;
	int rc;

	if ((rc = remote_request(r, "GET", path, NULL, &rep)) == CTL_EXIT_OK) {
		if (r->o->json)
			ctl_print_json(rep.json);
		else
			fn(rep.json);
	}
	reply_free(&rep);
	return rc;
}

int
ctl_rcmd_list_providers(struct remote *r, int argc, char **argv)
{
	(void)argv;
	return argc != 0 ? ctl_usage("--server URL list-providers")
	                 : get_and_print(r, "/api/providers", ctl_table_providers);
}

int
ctl_rcmd_list_goldenpaths(struct remote *r, int argc, char **argv)
{
	(void)argv;
	return argc != 0 ? ctl_usage("--server URL list-goldenpaths")
	                 : get_and_print(r, "/api/golden-paths", ctl_table_goldenpaths);
}

/* Appends "&name=escaped" (or "?name=...") to q. */
static int
query_add(inn_buf *q, const char *name, const char *value)
{
	char *esc = curl_easy_escape(NULL, value, 0);
	int rc;

	if (esc == NULL)
		return -1;
	rc = inn_buf_addf(q, "%s%s=%s", q->len ? "&" : "?", name, esc) != 0 ? -1 : 0;
	curl_free(esc);
	return rc;
}

int
ctl_rcmd_list_workflows(struct remote *r, int argc, char **argv)
{
	inn_buf q = INN_BUF_INIT(8192), path = INN_BUF_INIT(8192);
	char page[16];
	int rc = CTL_EXIT_USAGE;

	(void)argv;
	if (argc != 0)
		return ctl_usage("--server URL list-workflows [--app A] [--status S] [--page N]");
	snprintf(page, sizeof(page), "%d", r->o->page > 0 ? r->o->page : 1);
	if ((r->o->app && query_add(&q, "app", r->o->app) != 0) ||
	    (r->o->status && query_add(&q, "status", r->o->status) != 0) ||
	    query_add(&q, "page", page) != 0 ||
	    inn_buf_add(&path, "/api/workflows", 14) != 0 || inn_buf_add(&path, q.p, q.len) != 0) {
		fprintf(stderr, "innominatus-ctl: list-workflows: --app/--status too long\n");
		goto out;
	}
	rc = get_and_print(r, path.p, ctl_table_workflows);
out:
	inn_buf_free(&q);
	inn_buf_free(&path);
	return rc;
}

int
remote_read_spec(const char *file, inn_buf *b)
{
	char chunk[8192];
	size_t n;
	FILE *fp = fopen(file, "r");
	int rc = -1;

	inn_buf_init(b, REMOTE_MAX_SPEC);
	if (fp == NULL) {
		fprintf(stderr, "innominatus-ctl: cannot read the spec %s: %s\n", file,
		        strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (inn_buf_add(b, chunk, n) != 0) {
			fprintf(stderr, "innominatus-ctl: the spec %s is larger than %u bytes\n", file,
			        REMOTE_MAX_SPEC);
			goto out;
		}
	if (ferror(fp)) {
		fprintf(stderr, "innominatus-ctl: cannot read the spec %s\n", file);
		goto out;
	}
	rc = 0;
out:
	fclose(fp);
	if (rc != 0)
		inn_buf_free(b);
	return rc;
}

/* Reads a Score spec file (bounded) as a JSON string. */
static json_object *
spec_string(const char *file)
{
	inn_buf b;
	json_object *s;

	if (remote_read_spec(file, &b) != 0)
		return NULL;
	s = json_object_new_string_len(b.p ? b.p : "", (int)b.len);
	inn_buf_free(&b);
	return s;
}

int
remote_follow(struct remote *r, int64_t id, json_object **exec)
{
	char path[64], final[32];
	struct reply rep;
	int rc;

	*exec = NULL;
	if (!r->o->json)
		fprintf(stderr, "Execution %lld submitted; following its logs\n", (long long)id);
	if ((rc = remote_watch(r, id, 0, final, sizeof(final))) != CTL_EXIT_OK)
		return rc;
	snprintf(path, sizeof(path), "/api/workflows/%lld", (long long)id);
	if ((rc = remote_request(r, "GET", path, NULL, &rep)) == CTL_EXIT_OK)
		*exec = json_object_get(rep.json);
	reply_free(&rep);
	return rc;
}

/* After a 202 {id}: --no-wait prints the id; otherwise follows the logs,
 * then prints the execution's final state.  Returns the run's exit code. */
static int
wait_for(struct remote *r, json_object *accepted)
{
	json_object *e;
	int64_t n = ctl_jint(accepted, "id", 0);
	int rc;

	if (n <= 0) {
		fprintf(stderr, "innominatus-ctl: the server accepted the run but sent no "
		        "execution id\n");
		return CTL_EXIT_FAILED;
	}
	if (r->o->no_wait) {
		if (r->o->json)
			ctl_print_json(accepted);
		else
			printf("Execution %lld submitted (%s); follow it with: innominatus-ctl logs "
			       "-f %lld\n", (long long)n,
			       ctl_jstr(accepted, "status") ? ctl_jstr(accepted, "status")
			                                    : INN_STATE_WORD(PENDING),
			       (long long)n);
		return CTL_EXIT_OK;
	}
	if ((rc = remote_follow(r, n, &e)) != CTL_EXIT_OK)
		return rc;
	if (r->o->json)
		ctl_print_json(e);
	else
		ctl_print_exec(e, 0);
	rc = ctl_exit_for_status(ctl_jstr(e, "status"));
	json_object_put(e);
	return rc;
}

int
ctl_rcmd_run(struct remote *r, int argc, char **argv)
{
	json_object *body = NULL, *params = NULL, *spec;
	struct reply rep;
	char path[1024];
	int rc = CTL_EXIT_USAGE;

	memset(&rep, 0, sizeof(rep));
	if (argc < 1 || argc > 2)
		return ctl_usage("--server URL run WORKFLOW [SPEC] [--param NAME=VALUE]... "
		                 "[--dry-run] [--no-wait]");
	if ((params = ctl_params(r->o)) == NULL)
		return CTL_EXIT_USAGE;
	body = json_object_new_object();
	if (strchr(argv[0], '/') != NULL) {
		snprintf(path, sizeof(path), "/api/workflows/run");
		json_object_object_add(body, "workflow", json_object_new_string(argv[0]));
	} else if (remote_path(path, sizeof(path), "/api/golden-paths", argv[0], "/run") != 0) {
		fprintf(stderr, "innominatus-ctl: the golden path name is too long\n");
		goto out;
	}
	json_object_object_add(body, "parameters", params);
	params = NULL;
	if (argc == 2) {
		if ((spec = spec_string(argv[1])) == NULL) {
			rc = CTL_EXIT_CONFIG;
			goto out;
		}
		json_object_object_add(body, "spec", spec);
	}
	if (r->o->dry_run)
		json_object_object_add(body, "dry_run", json_object_new_boolean(1));
	if ((rc = remote_request(r, "POST", path, body, &rep)) == CTL_EXIT_OK)
		rc = wait_for(r, rep.json);
out:
	reply_free(&rep);
	json_object_put(params);
	json_object_put(body);
	return rc;
}

/* POST /api/workflows/ID<tail> with an empty body for command cmd ID. */
static int
post_on_exec(struct remote *r, const char *cmd, int argc, char **argv, const char *tail,
             struct reply *rep)
{
	char path[128];
	json_object *body;
	int rc;

	memset(rep, 0, sizeof(*rep));
	if (id_arg(cmd, argc, argv) != 0)
		return CTL_EXIT_USAGE;
	if (remote_path(path, sizeof(path), "/api/workflows", argv[0], tail) != 0)
		return CTL_EXIT_USAGE;
	body = json_object_new_object();
	rc = remote_request(r, "POST", path, body, rep);
	json_object_put(body);
	return rc;
}

int
ctl_rcmd_retry(struct remote *r, int argc, char **argv)
{
	struct reply rep;
	int rc;

	if (r->o->nparams > 0) {
		/* the server's retry runs the stored parameters again: a --param
		 * silently dropped would run something else than asked */
		fprintf(stderr, "innominatus-ctl: retry runs execution %s again with the parameters "
		        "it had; it takes no --param (the server cannot change them on a retry).  "
		        "To run with other parameters, run the workflow again: innominatus-ctl run "
		        "WORKFLOW --param NAME=VALUE\n", argc > 0 ? argv[0] : "ID");
		return CTL_EXIT_USAGE;
	}
	if ((rc = post_on_exec(r, "retry", argc, argv, "/retry", &rep)) == CTL_EXIT_OK)
		rc = wait_for(r, rep.json);
	reply_free(&rep);
	return rc;
}

int
ctl_rcmd_cancel(struct remote *r, int argc, char **argv)
{
	struct reply rep;
	int rc;

	if ((rc = post_on_exec(r, "cancel", argc, argv, "/cancel", &rep)) == CTL_EXIT_OK) {
		if (r->o->json)
			ctl_print_json(rep.json);
		else
			printf("Execution %s: %s\n", argv[0], ctl_jstr(rep.json, "status") ?
			       ctl_jstr(rep.json, "status") : "cancelling");
	}
	reply_free(&rep);
	return rc;
}

int
ctl_rcmd_status(struct remote *r, int argc, char **argv)
{
	if (id_arg("status", argc, argv) != 0)
		return CTL_EXIT_USAGE;
	return show_exec(r, argv[0], 1);
}

/* logs ID: pages through ?after=N; with -o json one object of the server's
 * shape with every line.  logs ID -f: follows the stream to the end and
 * exits with the run's result. */
int
ctl_rcmd_logs(struct remote *r, int argc, char **argv)
{
	json_object *all = NULL, *lines;
	struct reply rep;
	char path[128];
	int64_t after = 0, next;
	int rc = CTL_EXIT_OK;
	size_t i, n;

	if (id_arg("logs", argc, argv) != 0)
		return CTL_EXIT_USAGE;
	if (r->o->follow) {
		char final[32];

		if ((rc = remote_watch(r, strtoll(argv[0], NULL, 10), 1, final, sizeof(final))) !=
		    CTL_EXIT_OK)
			return rc;
		if (!r->o->json)
			printf("Execution %s %s\n", argv[0], final);
		return ctl_exit_for_status(final);
	}
	all = json_object_new_array();
	for (;;) {
		snprintf(path, sizeof(path), "/api/workflows/%s/logs?after=%lld", argv[0],
		         (long long)after);
		if ((rc = remote_request(r, "GET", path, NULL, &rep)) != CTL_EXIT_OK)
			break;
		lines = json_object_object_get(rep.json, "lines");
		n = json_object_is_type(lines, json_type_array) ? json_object_array_length(lines)
		                                                : 0;
		for (i = 0; i < n; i++) {
			json_object *l = json_object_array_get_idx(lines, i);

			if (r->o->json)
				json_object_array_add(all, json_object_get(l));
			else
				ctl_print_log(stdout, "", ctl_jstr(l, "step") ? ctl_jstr(l, "step") : "-",
				              ctl_jstr(l, "line") ? ctl_jstr(l, "line") : "", -1);
		}
		next = ctl_jint(rep.json, "next_after", after);
		if (n == 0 || next <= after) {
			if (r->o->json) {
				json_object *o = json_object_new_object();

				json_object_object_add(o, "lines", all);
				all = NULL;
				json_object_object_add(o, "next_after", json_object_new_int64(next));
				json_object_object_add(o, "status", json_object_get(
				    json_object_object_get(rep.json, "status")));
				ctl_print_json(o);
				json_object_put(o);
			}
			reply_free(&rep);
			break;
		}
		after = next;
		reply_free(&rep);
	}
	reply_free(&rep);
	json_object_put(all);
	return rc;
}

/* Adds key: val to the request body when the option val is set. */
static void
add_set(json_object *body, const char *key, const char *val)
{
	if (val != NULL)
		json_object_object_add(body, key, json_object_new_string(val));
}

static int
admin_add_provider(struct remote *r, const char *name)
{
	static const char use[] = "admin add-provider NAME (--git-url URL [--path P] "
	                          "[--ref R] | --path DIR)";
	json_object *body;
	struct reply rep;
	int rc;

	if (r->o->git_url == NULL && r->o->path == NULL) {
		fprintf(stderr, "innominatus-ctl: admin add-provider needs --git-url or --path\n");
		return ctl_usage(use);
	}
	if (r->o->git_url == NULL && r->o->ref != NULL) {
		fprintf(stderr, "innominatus-ctl: --ref goes with --git-url\n");
		return ctl_usage(use);
	}
	body = json_object_new_object();
	json_object_object_add(body, "name", json_object_new_string(name));
	add_set(body, "git_url", r->o->git_url);
	add_set(body, "path", r->o->path);
	add_set(body, "ref", r->o->ref);
	if ((rc = remote_request(r, "POST", "/api/admin/providers", body, &rep)) == CTL_EXIT_OK) {
		if (r->o->json) {
			ctl_print_json(rep.json);
		} else {
			json_object *wfs = json_object_object_get(rep.json, "workflows");
			const char *commit = ctl_jstr(rep.json, "commit");

			printf("Added provider \"%s\"%s%.12s with %zu workflow(s)\n", name,
			       commit ? " at " : "", commit ? commit : "",
			       wfs ? json_object_array_length(wfs) : (size_t)0);
		}
	}
	reply_free(&rep);
	json_object_put(body);
	return rc;
}

/* DELETE prefix/name; done: what is printed after it ("Removed provider"). */
static int
delete_named(struct remote *r, const char *prefix, const char *name, const char *use,
             const char *done)
{
	struct reply rep;
	char path[512];
	int rc;

	if (remote_path(path, sizeof(path), prefix, name, NULL) != 0)
		return ctl_usage(use);
	if ((rc = remote_request(r, "DELETE", path, NULL, &rep)) == CTL_EXIT_OK) {
		if (r->o->json)
			ctl_print_json(rep.json);
		else
			printf("%s \"%s\"\n", done, name);
	}
	reply_free(&rep);
	return rc;
}

static int
admin_remove_provider(struct remote *r, const char *name)
{
	if (ctl_name_arg("admin remove-provider", name, CTL_NAME_PROVIDER) != CTL_EXIT_OK)
		return CTL_EXIT_USAGE;
	return delete_named(r, "/api/admin/providers", name, "admin remove-provider NAME",
	                    "Removed provider");
}

static int
admin_reload(struct remote *r, const char *unused)
{
	json_object *body = json_object_new_object(), *srcs;
	struct reply rep;
	size_t i;
	int rc;

	(void)unused;
	if ((rc = remote_request(r, "POST", "/api/admin/reload", body, &rep)) == CTL_EXIT_OK) {
		if (r->o->json) {
			ctl_print_json(rep.json);
		} else {
			printf("Reloaded: %lld provider(s), %lld golden path(s)\n",
			       (long long)ctl_jint(rep.json, "providers", 0),
			       (long long)ctl_jint(rep.json, "golden_paths", 0));
			srcs = json_object_object_get(rep.json, "sources");
			for (i = 0; srcs != NULL && i < json_object_array_length(srcs); i++) {
				json_object *s = json_object_array_get_idx(srcs, i);
				const char *commit = ctl_jstr(s, "commit");

				printf("  %-24s %.12s%s\n", ctl_jstr(s, "name") ? ctl_jstr(s, "name") : "",
				       commit ? commit : "-",
				       json_object_get_boolean(json_object_object_get(s, "changed"))
				       ? " (updated)" : "");
			}
		}
	}
	reply_free(&rep);
	json_object_put(body);
	return rc;
}

/* GET /api/admin/keys: the keys as a table (never a key: the server keeps
 * only their hashes). */
static int
admin_list_keys(struct remote *r, const char *unused)
{
	struct reply rep;
	json_object *data;
	size_t i, n;
	int rc;

	(void)unused;
	if ((rc = remote_request(r, "GET", "/api/admin/keys", NULL, &rep)) != CTL_EXIT_OK)
		goto out;
	if (r->o->json) {
		ctl_print_json(rep.json);
		goto out;
	}
	data = json_object_object_get(rep.json, "data");
	n = json_object_is_type(data, json_type_array) ? json_object_array_length(data) : 0;
	printf("%-24s %-6s %-16s %-19s %s\n", "NAME", "ROLE", "TEAM", "CREATED", "REVOKED");
	for (i = 0; i < n; i++) {
		json_object *k = json_object_array_get_idx(data, i);
		const char *team = ctl_jstr(k, "team");
		char created[32];

		ctl_fmt_time(created, sizeof(created), ctl_jint(k, "created_ms", 0));
		printf("%-24s %-6s %-16s %-19s %s\n", ctl_jstr(k, "name") ? ctl_jstr(k, "name") : "?",
		       ctl_jstr(k, "role") ? ctl_jstr(k, "role") : "?",
		       team && *team ? team : "-", created,
		       json_object_get_boolean(json_object_object_get(k, "revoked")) ? "yes" : "no");
	}
	if (n == 0)
		printf("no API keys (create one with: innominatus-ctl admin add-key NAME "
		       "--role admin|user)\n");
out:
	reply_free(&rep);
	return rc;
}

/* DELETE /api/admin/keys/{name}: the key is refused from now on. */
static int
admin_revoke_key(struct remote *r, const char *name)
{
	if (ctl_name_arg("admin revoke-key", name, CTL_NAME_KEY) != CTL_EXIT_OK)
		return CTL_EXIT_USAGE;
	return delete_named(r, "/api/admin/keys", name, "admin revoke-key NAME",
	                    "Revoked API key");
}

static int
admin_add_key(struct remote *r, const char *name)
{
	static const char use[] = "admin add-key NAME --role admin|user [--team T]";
	json_object *body;
	struct reply rep;
	int rc;

	if (r->o->role == NULL || (strcmp(r->o->role, "admin") != 0 &&
	                           strcmp(r->o->role, "user") != 0)) {
		fprintf(stderr, "innominatus-ctl: admin add-key needs --role admin or --role user\n");
		return ctl_usage(use);
	}
	body = json_object_new_object();
	json_object_object_add(body, "name", json_object_new_string(name));
	json_object_object_add(body, "role", json_object_new_string(r->o->role));
	add_set(body, "team", r->o->team);
	if ((rc = remote_request(r, "POST", "/api/admin/keys", body, &rep)) == CTL_EXIT_OK) {
		if (r->o->json) {
			ctl_print_json(rep.json);
		} else {
			const char *team = ctl_jstr(rep.json, "team");

			fprintf(stderr, "Created %s key \"%s\"%s%s; it is shown only this once:\n",
			        ctl_jstr(rep.json, "role") ? ctl_jstr(rep.json, "role") : r->o->role,
			        name, team && *team ? " for team " : "", team && *team ? team : "");
			printf("%s\n", ctl_jstr(rep.json, "key") ? ctl_jstr(rep.json, "key") : "");
		}
	}
	reply_free(&rep);
	json_object_put(body);
	return rc;
}

/* The admin subcommands on a server (ctl.c has checked that argv[0] is one
 * of the table's; export and import never come here). */
int
ctl_rcmd_admin(struct remote *r, int argc, char **argv)
{
	static const struct {
		const char *sub;
		int nargs;                 /* after the subcommand: 0, or 1 (NAME) */
		int (*fn)(struct remote *, const char *name);
		const char *use;
	} subs[] = {
		{ "add-key", 1, admin_add_key, "admin add-key NAME --role admin|user [--team T]" },
		{ "list-keys", 0, admin_list_keys, "admin list-keys" },
		{ "revoke-key", 1, admin_revoke_key, "admin revoke-key NAME" },
		{ "add-provider", 1, admin_add_provider, "admin add-provider NAME (--git-url URL "
		                                         "[--path P] [--ref R] | --path DIR)" },
		{ "remove-provider", 1, admin_remove_provider, "admin remove-provider NAME" },
		{ "reload", 0, admin_reload, "admin reload" },
	};
	size_t i;

	for (i = 0; argc > 0 && i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[0], subs[i].sub) != 0)
			continue;
		if (argc != 1 + subs[i].nargs)
			return ctl_usage(subs[i].use);
		return subs[i].fn(r, subs[i].nargs ? argv[1] : NULL);
	}
	return ctl_usage("admin SUBCOMMAND ... (see innominatus-ctl admin --help)");
}
