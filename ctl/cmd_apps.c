/*
 * cmd_apps.c - innominatus-ctl remote mode, Score applications: deploy
 * (POST /api/applications with the spec as YAML or JSON), delete, apps,
 * app and resources.  Prints the plan a deployment got, follows its
 * execution as run does (remote_follow), then tables the resources with
 * their final states and outputs; a refused spec prints every problem as
 * file:line:col.  Their help is in the command table (ctl_spec.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "output.h"
#include "remote.h"

/* ---- printing ---------------------------------------------------------------------- */

static const char *
str_or(json_object *o, const char *key, const char *dflt)
{
	const char *s = ctl_jstr(o, key);

	return s != NULL && *s != '\0' ? s : dflt;
}

static size_t
alen(json_object *a)
{
	return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

/* A list reply: the array itself, or its "data" array. */
static json_object *
list_of(json_object *reply)
{
	if (json_object_is_type(reply, json_type_array))
		return reply;
	return json_object_object_get(reply, "data");
}

/* A JSON value as text: strings as they are, the rest compact JSON. */
static const char *
value_text(json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	                                      JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* The names of array a joined by ","; "-" when empty. */
static void
join_names(char *out, size_t len, json_object *a)
{
	size_t i, n = alen(a), used = 0;

	snprintf(out, len, "-");
	for (i = 0; i < n && used < len; i++) {
		int k = snprintf(out + used, len - used, "%s%s", i ? "," : "",
		                 value_text(json_object_array_get_idx(a, i)));

		if (k < 0)
			break;
		used += (size_t)k;
	}
}

/* The plan of a deployment or deletion (the 202/200 reply). */
static void
print_plan(json_object *plan)
{
	json_object *ops = json_object_object_get(plan, "operations");
	json_object *phases = json_object_object_get(plan, "phases");
	json_object *warnings = json_object_object_get(plan, "warnings");
	char deps[256];
	size_t i;

	if (alen(ops) == 0) {
		printf("No resources.\n");
	} else {
		printf("  %-16s %-7s %-16s %-18s %-24s %s\n", "RESOURCE", "OP", "TYPE", "PROVIDER",
		       "WORKFLOW", "DEPENDS ON");
		for (i = 0; i < alen(ops); i++) {
			json_object *op = json_object_array_get_idx(ops, i);

			const char *what = str_or(op, "op", "?"), *note = ctl_jstr(op, "note");

			join_names(deps, sizeof(deps), json_object_object_get(op, "depends_on"));
			/* keep: nothing runs, whatever workflow created it; the note says
			 * why this op ("params changed: size") */
			printf("  %-16s %-7s %-16s %-18s %-24s %s%s%s%s\n", str_or(op, "resource", "?"),
			       what, str_or(op, "type", "-"), str_or(op, "provider", "-"),
			       strcmp(what, "keep") == 0 ? "-" : str_or(op, "workflow", "-"), deps,
			       note && *note ? "  (" : "", note && *note ? note : "",
			       note && *note ? ")" : "");
		}
	}
	if (alen(phases) > 0) {
		printf("Phases:\n");
		for (i = 0; i < alen(phases); i++) {
			json_object *p = json_object_array_get_idx(phases, i);
			const char *prov = ctl_jstr(p, "provider"), *trig = ctl_jstr(p, "trigger");

			printf("  %-18s %s%s%s%s%s%s\n", str_or(p, "phase", "?"),
			       prov && *prov ? prov : "", prov && *prov ? "/" : "",
			       str_or(p, "workflow", "?"), trig && *trig ? " (trigger " : "",
			       trig && *trig ? trig : "", trig && *trig ? ")" : "");
		}
	}
	if (alen(warnings) > 0)
		printf("Warnings:\n");
	for (i = 0; i < alen(warnings); i++)
		printf("  %s\n", value_text(json_object_array_get_idx(warnings, i)));
}

/* The phase workflows a deployment ran (its execution's outputs.phases)
 * and how each ended. */
static void
print_phase_results(json_object *e)
{
	json_object *ph = json_object_object_get(json_object_object_get(e, "outputs"), "phases");
	size_t i;

	if (alen(ph) > 0)
		printf("Phases:\n");
	for (i = 0; i < alen(ph); i++) {
		json_object *p = json_object_array_get_idx(ph, i);
		const char *prov = ctl_jstr(p, "provider");
		char wf[256];

		snprintf(wf, sizeof(wf), "%s%s%s", prov && *prov ? prov : "", prov && *prov ? "/" : "",
		         str_or(p, "workflow", "?"));
		printf("  %-18s %-34s %s\n", str_or(p, "phase", "?"), wf, str_or(p, "status", "-"));
	}
}

/* The resources of GET /api/applications/{name}, each with its outputs
 * and, when it has one, its message. */
static void
print_resources(json_object *res)
{
	char when[32];
	size_t i;

	if (alen(res) == 0) {
		printf("Resources: none\n");
		return;
	}
	printf("Resources:\n  %-16s %-16s %-18s %-12s %s\n", "NAME", "TYPE", "PROVIDER", "STATUS",
	       "UPDATED");
	for (i = 0; i < alen(res); i++) {
		json_object *x = json_object_array_get_idx(res, i);
		json_object *outs = json_object_object_get(x, "outputs");
		const char *msg = ctl_jstr(x, "message");

		ctl_fmt_time(when, sizeof(when), ctl_jint(x, "updated_ms", 0));
		printf("  %-16s %-16s %-18s %-12s %s\n", str_or(x, "name", "?"),
		       str_or(x, "type", "-"), str_or(x, "provider", "-"), str_or(x, "status", "-"),
		       when);
		if (msg != NULL && *msg != '\0')
			printf("      message: %s\n", msg);
		if (json_object_is_type(outs, json_type_object)) {
			json_object_object_foreach(outs, k, v)
				printf("      %s: %s\n", k, value_text(v));
		}
	}
}

/* The containers of an app (placeholders resolved) and the unresolved ones. */
static void
print_containers(json_object *cs, json_object *unresolved)
{
	size_t i;

	if (json_object_is_type(cs, json_type_object) && json_object_object_length(cs) > 0) {
		printf("Containers:\n");
		json_object_object_foreach(cs, name, c) {
			printf("  %s: image %s\n", name, str_or(c, "image", "-"));
			if (!json_object_is_type(c, json_type_object))
				continue;
			json_object_object_foreach(c, k, v) {
				if (strcmp(k, "image") == 0)
					continue;
				if (strcmp(k, "variables") == 0 && json_object_is_type(v, json_type_object)) {
					json_object_object_foreach(v, vk, vv)
						printf("    %s=%s\n", vk, value_text(vv));
				} else {
					printf("    %s: %s\n", k, value_text(v));
				}
			}
		}
	}
	if (alen(unresolved) > 0) {
		printf("Unresolved placeholders:\n");
		for (i = 0; i < alen(unresolved); i++)
			printf("  %s\n", value_text(json_object_array_get_idx(unresolved, i)));
	}
}

/* The resources that did not end active (their names and messages on
 * stderr); how many.  A terminated one was deleted on purpose (dropped
 * from the spec): not a failure. */
static size_t
report_not_active(json_object *app)
{
	json_object *res = json_object_object_get(app, "resources");
	size_t i, bad = 0;

	for (i = 0; i < alen(res); i++) {
		json_object *x = json_object_array_get_idx(res, i);
		const char *st = str_or(x, "status", "unknown"), *msg = ctl_jstr(x, "message");

		if (strcmp(st, "active") == 0 || strcmp(st, "terminated") == 0)
			continue;
		bad++;
		fprintf(stderr, "innominatus-ctl: resource %s (%s) %s%s%s%s\n",
		        str_or(x, "name", "?"), str_or(x, "type", "-"),
		        strcmp(st, "failed") == 0 ? "" : "is ", st,
		        msg && *msg ? ": " : "", msg && *msg ? msg : "");
	}
	return bad;
}

/* The failed steps of an execution, on stderr. */
static void
report_failed_steps(json_object *e)
{
	json_object *steps = json_object_object_get(e, "steps");
	size_t i;

	for (i = 0; i < alen(steps); i++) {
		json_object *s = json_object_array_get_idx(steps, i);
		const char *st = str_or(s, "status", ""), *msg = ctl_jstr(s, "message");

		if (strcmp(st, "failed") == 0 || strcmp(st, "timed_out") == 0)
			fprintf(stderr, "innominatus-ctl: step %s %s%s%s\n", str_or(s, "name", "?"),
			        st, msg && *msg ? ": " : "", msg && *msg ? msg : "");
	}
}

/* A 400 invalid_spec reply: every problem as "FILE:LINE:COL: error: message"
 * on stderr, FILE the spec as the user named it. */
static void
print_problems(const char *file, json_object *reply)
{
	json_object *err = json_object_object_get(reply, "error");
	json_object *det = json_object_object_get(err, "details");
	size_t i;

	for (i = 0; i < alen(det) && i < 1000; i++) {
		json_object *d = json_object_array_get_idx(det, i);
		int64_t line = ctl_jint(d, "line", 0), col = ctl_jint(d, "column", 0);
		const char *msg = str_or(d, "message", "?");

		if (line > 0)
			fprintf(stderr, "%s:%lld:%lld: error: %s\n", file, (long long)line,
			        (long long)(col > 0 ? col : 1), msg);
		else
			fprintf(stderr, "%s: error: %s\n", file, msg);
	}
}

/* GET /api/applications/{name} without a message when it fails: the app,
 * or NULL (404: it is gone). */
static json_object *
get_app(struct remote *r, const char *name)
{
	struct reply rep;
	char path[512];
	json_object *app = NULL;

	if (remote_path(path, sizeof(path), "/api/applications", name, NULL) != 0)
		return NULL;
	if (remote_send(r, "GET", path, NULL, NULL, 0, REMOTE_QUIET, &rep) == CTL_EXIT_OK)
		app = json_object_get(rep.json);
	reply_free(&rep);
	return app;
}

/* -o json with -w: one document, {deployment, execution, application}. */
static void
print_followed(json_object *accepted, json_object *e, json_object *app)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "deployment", json_object_get(accepted));
	json_object_object_add(o, "execution", json_object_get(e));
	json_object_object_add(o, "application", json_object_get(app));
	ctl_print_json(o);
	json_object_put(o);
}

/* Follows the execution of a deployment (deleting 0) or deletion (1) of
 * app name, then prints the outcome.  Returns the exit code: 0 only when
 * the execution succeeded and every resource is active (a deletion: the
 * app is gone). */
static int
follow(struct remote *r, json_object *accepted, const char *name, int deleting)
{
	json_object *e = NULL, *app = NULL;
	int64_t id = ctl_jint(accepted, "id", 0);
	const char *st;
	size_t bad;
	int rc;

	if ((rc = remote_follow(r, id, &e)) != CTL_EXIT_OK)
		return rc;
	st = str_or(e, "status", "unknown");
	rc = ctl_exit_for_status(st);
	app = get_app(r, name);
	if (r->o->json) {
		print_followed(accepted, e, app);
	} else {
		const char *msg = ctl_jstr(e, "message");

		printf("Execution %lld: %s %s%s%s\n", (long long)id, deleting ? "delete" : "deploy",
		       st, msg && *msg ? ": " : "", msg && *msg ? msg : "");
		print_phase_results(e);
		if (app != NULL)
			print_resources(json_object_object_get(app, "resources"));
		if (deleting && app == NULL && rc == CTL_EXIT_OK)
			printf("Application %s deleted\n", name);
	}
	/* what went wrong: the resources that are not active, else (a phase
	 * workflow, a deletion) the failed steps */
	bad = app != NULL ? report_not_active(app) : 0;
	if (rc != CTL_EXIT_OK && bad == 0)
		report_failed_steps(e);
	if (deleting) {
		if (app != NULL && rc == CTL_EXIT_OK) {
			fprintf(stderr, "innominatus-ctl: application %s is still there\n", name);
			rc = CTL_EXIT_FAILED;
		}
	} else if (app == NULL) {
		fprintf(stderr, "innominatus-ctl: application %s is not on the server\n", name);
		if (rc == CTL_EXIT_OK)
			rc = CTL_EXIT_FAILED;
	} else if (bad > 0 && rc == CTL_EXIT_OK) {
		rc = CTL_EXIT_FAILED;
	}
	json_object_put(app);
	json_object_put(e);
	return rc;
}

/* The answer to a deployment or deletion: the plan, then -w follows. */
static int
accepted_reply(struct remote *r, json_object *reply, const char *name, int deleting)
{
	int64_t id = ctl_jint(reply, "id", 0);
	const char *app = str_or(reply, "application", name != NULL ? name : "?");

	if (r->o->dry_run && !deleting) {
		if (r->o->json) {
			ctl_print_json(reply);
		} else {
			printf("Plan for application %s (dry run: nothing runs, nothing is stored):\n",
			       app);
			print_plan(reply);
		}
		return CTL_EXIT_OK;
	}
	if (id <= 0) {
		fprintf(stderr, "innominatus-ctl: the server accepted the %s but sent no execution "
		        "id\n", deleting ? "deletion" : "deployment");
		return CTL_EXIT_FAILED;
	}
	if (!r->o->json) {
		printf("%s application %s: execution %lld (%s)\n",
		       deleting ? "Deleting" : "Deploying", app, (long long)id,
		       str_or(reply, "status", "pending"));
		print_plan(reply);
		fflush(stdout);
	}
	if (r->o->wait)
		return follow(r, reply, app, deleting);
	if (r->o->json)
		ctl_print_json(reply);
	else
		printf("Follow it with: innominatus-ctl logs -f %lld\n", (long long)id);
	return CTL_EXIT_OK;
}

/* ---- commands ------------------------------------------------------------------------ */

/* file ends in ".json" (any case). */
static int
is_json_file(const char *file)
{
	size_t n = strlen(file);

	return n >= 5 && strcasecmp(file + n - 5, ".json") == 0;
}

int
ctl_rcmd_deploy(struct remote *r, int argc, char **argv)
{
	inn_buf spec, path = INN_BUF_INIT(4096);
	struct reply rep;
	char *ttl = NULL;
	int rc;

	memset(&rep, 0, sizeof(rep));
	if (argc != 1)
		return ctl_usage("--server URL deploy SPEC [-w|--wait] [--dry-run] [--ttl D] "
		                 "(see deploy --help)");
	if (remote_read_spec(argv[0], &spec) != 0)
		return CTL_EXIT_CONFIG;
	rc = CTL_EXIT_USAGE;
	if (r->o->ttl != NULL && (ttl = curl_easy_escape(NULL, r->o->ttl, 0)) == NULL)
		goto out;
	if (inn_buf_adds(&path, "/api/applications") != 0 ||
	    (r->o->dry_run && inn_buf_adds(&path, "?dry_run=true") != 0) ||
	    (ttl != NULL && inn_buf_addf(&path, "%sttl=%s", r->o->dry_run ? "&" : "?", ttl) != 0)) {
		fprintf(stderr, "innominatus-ctl: deploy: --ttl is too long\n");
		goto out;
	}
	rc = remote_send(r, "POST", path.p, is_json_file(argv[0]) ? "application/json"
	                                                          : "application/yaml",
	                 spec.p ? spec.p : "", spec.len, 0, &rep);
	if (rc == CTL_EXIT_OK)
		rc = accepted_reply(r, rep.json, NULL, 0);
	else if (rep.status == 400)
		print_problems(argv[0], rep.json);
out:
	curl_free(ttl);
	reply_free(&rep);
	inn_buf_free(&spec);
	inn_buf_free(&path);
	return rc;
}

int
ctl_rcmd_delete(struct remote *r, int argc, char **argv)
{
	struct reply rep;
	char path[512];
	int rc;

	if (argc != 1)
		return ctl_usage("--server URL delete APP [-w|--wait] (see delete --help)");
	if (r->o->dry_run) {
		/* the server would delete for real: never let the flag pass unnoticed */
		fprintf(stderr, "innominatus-ctl: delete has no --dry-run; innominatus-ctl app %s "
		        "shows the resources it would tear down\n", argv[0]);
		return CTL_EXIT_USAGE;
	}
	if (ctl_name_arg("delete", argv[0], CTL_NAME_APP) != CTL_EXIT_OK)
		return CTL_EXIT_USAGE;
	if (remote_path(path, sizeof(path), "/api/applications", argv[0], NULL) != 0) {
		fprintf(stderr, "innominatus-ctl: delete: the application name is too long\n");
		return CTL_EXIT_USAGE;
	}
	if ((rc = remote_request(r, "DELETE", path, NULL, &rep)) == CTL_EXIT_OK)
		rc = accepted_reply(r, rep.json, argv[0], 1);
	reply_free(&rep);
	return rc;
}

int
ctl_rcmd_apps(struct remote *r, int argc, char **argv)
{
	json_object *list;
	struct reply rep;
	char when[32], last[64];
	size_t i;
	int rc;

	(void)argv;
	if (argc != 0)
		return ctl_usage("--server URL apps (see apps --help)");
	if ((rc = remote_request(r, "GET", "/api/applications", NULL, &rep)) != CTL_EXIT_OK)
		goto out;
	if (r->o->json) {
		ctl_print_json(rep.json);
		goto out;
	}
	list = list_of(rep.json);
	printf("%-24s %-14s %-10s %-9s %-24s %s\n", "NAME", "TEAM", "STATUS", "RESOURCES",
	       "LAST EXECUTION", "EXPIRES");
	for (i = 0; i < alen(list); i++) {
		json_object *a = json_object_array_get_idx(list, i), *res, *le;
		size_t nres;

		res = json_object_object_get(a, "resources");
		nres = json_object_is_type(res, json_type_array) ? alen(res)
		                                                 : (size_t)ctl_jint(a, "resources", 0);
		le = json_object_object_get(a, "last_execution");
		if (ctl_jint(le, "id", 0) > 0)
			snprintf(last, sizeof(last), "%lld %s %s", (long long)ctl_jint(le, "id", 0),
			         str_or(le, "kind", "-"), str_or(le, "status", "-"));
		else
			snprintf(last, sizeof(last), "-");
		ctl_fmt_time(when, sizeof(when), ctl_jint(a, "expires_ms", 0));
		printf("%-24s %-14s %-10s %-9zu %-24s %s\n", str_or(a, "name", "?"),
		       str_or(a, "team", "-"), str_or(a, "status", "-"), nres, last,
		       ctl_jint(a, "expires_ms", 0) > 0 ? when : "never");
	}
	if (alen(list) == 0)
		printf("(no applications)\n");
out:
	reply_free(&rep);
	return rc;
}

int
ctl_rcmd_app(struct remote *r, int argc, char **argv)
{
	json_object *ex;
	struct reply rep;
	char path[512], when[32];
	size_t i;
	int rc;

	if (argc != 1)
		return ctl_usage("--server URL app NAME (see app --help)");
	if (ctl_name_arg("app", argv[0], CTL_NAME_APP) != CTL_EXIT_OK)
		return CTL_EXIT_USAGE;
	if (remote_path(path, sizeof(path), "/api/applications", argv[0], NULL) != 0) {
		fprintf(stderr, "innominatus-ctl: app: the application name is too long\n");
		return CTL_EXIT_USAGE;
	}
	if ((rc = remote_request(r, "GET", path, NULL, &rep)) != CTL_EXIT_OK)
		goto out;
	if (r->o->json) {
		ctl_print_json(rep.json);
		goto out;
	}
	ctl_fmt_time(when, sizeof(when), ctl_jint(rep.json, "expires_ms", 0));
	printf("Application %s: %s (team %s, expires %s)\n", str_or(rep.json, "name", argv[0]),
	       str_or(rep.json, "status", "unknown"), str_or(rep.json, "team", "-"),
	       ctl_jint(rep.json, "expires_ms", 0) > 0 ? when : "never");
	if ((ex = json_object_object_get(rep.json, "expiry_failed")) != NULL) {
		ctl_fmt_time(when, sizeof(when), ctl_jint(ex, "retry_ms", 0));
		printf("Its TTL deletion failed (attempt %lld): %s; retried at %s\n",
		       (long long)ctl_jint(ex, "attempts", 0), str_or(ex, "message", "?"), when);
	}
	print_resources(json_object_object_get(rep.json, "resources"));
	print_containers(json_object_object_get(rep.json, "containers"),
	                 json_object_object_get(rep.json, "unresolved"));
	ex = json_object_object_get(rep.json, "executions");
	if (alen(ex) > 0)
		printf("Executions:\n");
	for (i = 0; i < alen(ex); i++) {
		json_object *e = json_object_array_get_idx(ex, i);

		ctl_fmt_time(when, sizeof(when), ctl_jint(e, "created_ms", 0));
		printf("  %-7lld %-8s %-11s %s\n", (long long)ctl_jint(e, "id", 0),
		       str_or(e, "kind", "-"), str_or(e, "status", "-"), when);
	}
out:
	reply_free(&rep);
	return rc;
}

int
ctl_rcmd_resources(struct remote *r, int argc, char **argv)
{
	json_object *list;
	struct reply rep;
	char path[512], when[32];
	size_t i;
	int rc;

	if (argc > 1)
		return ctl_usage("--server URL resources [APP] (see resources --help)");
	if (argc == 1) {
		char *esc = curl_easy_escape(NULL, argv[0], 0);
		int n = esc ? snprintf(path, sizeof(path), "/api/resources?app=%s", esc) : -1;

		curl_free(esc);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			fprintf(stderr, "innominatus-ctl: resources: the application name is too "
			        "long\n");
			return CTL_EXIT_USAGE;
		}
	} else {
		snprintf(path, sizeof(path), "/api/resources");
	}
	if ((rc = remote_request(r, "GET", path, NULL, &rep)) != CTL_EXIT_OK)
		goto out;
	list = list_of(rep.json);
	if (argc == 1 && alen(list) == 0) {
		/* no resources of APP: is there an APP at all?  (404: exit 3 with
		 * the server's message, as app APP) */
		struct reply app;

		if (remote_path(path, sizeof(path), "/api/applications", argv[0], NULL) != 0) {
			fprintf(stderr, "innominatus-ctl: resources: the application name is too "
			        "long\n");
			rc = CTL_EXIT_USAGE;
			goto out;
		}
		rc = remote_request(r, "GET", path, NULL, &app);
		reply_free(&app);
		if (rc != CTL_EXIT_OK)
			goto out;
	}
	if (r->o->json) {
		ctl_print_json(rep.json);
		goto out;
	}
	printf("%-20s %-16s %-16s %-18s %-12s %s\n", "APP", "RESOURCE", "TYPE", "PROVIDER",
	       "STATUS", "UPDATED");
	for (i = 0; i < alen(list); i++) {
		json_object *x = json_object_array_get_idx(list, i);

		ctl_fmt_time(when, sizeof(when), ctl_jint(x, "updated_ms", 0));
		printf("%-20s %-16s %-16s %-18s %-12s %s\n", str_or(x, "app", "-"),
		       str_or(x, "name", "?"), str_or(x, "type", "-"), str_or(x, "provider", "-"),
		       str_or(x, "status", "-"), when);
	}
	if (alen(list) == 0)
		printf("(no resources)\n");
out:
	reply_free(&rep);
	return rc;
}
