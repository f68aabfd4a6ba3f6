/*
 * cmd_demo.c - the demo environment from innominatus-ctl, in-process (no
 * server): demo-time [--dry-run], demo-status, demo-nuke.  The component
 * list and the kubernetes.so workflows are the engine's (server/core/
 * demo.c); this file loads the plugins, runs them and prints the result.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "demo.h"
#include "error.h"
#include "exec.h"
#include "output.h"

/* --demo-dir, else $INNOMINATUS_DEMO_DIR, else the installed one. */
static const char *
demo_dir(const ctl_opts *o)
{
	const char *e = getenv("INNOMINATUS_DEMO_DIR");

	if (o->demo_dir != NULL)
		return o->demo_dir;
	return e != NULL && *e != '\0' ? e : INN_DEMO_DIR;
}

static int
load(const ctl_opts *o, inn_demo **d)
{
	inn_diag diag;
	int rc;

	inn_diag_init(&diag);
	rc = inn_demo_load(d, demo_dir(o), &diag);
	ctl_print_diag(stderr, &diag);
	inn_diag_free(&diag);
	if (rc != 0) {
		fprintf(stderr, "innominatus-ctl: %s (the demo folder: --demo-dir)\n",
		        inn_error_last());
		return CTL_EXIT_CONFIG;
	}
	return CTL_EXIT_OK;
}

/* The objects of every manifest (nothing contacted) into *all, problems
 * printed; a ctl_exit code. */
static int
objects(const inn_demo *d, json_object **all)
{
	inn_diag diag;
	int rc;

	inn_diag_init(&diag);
	rc = inn_demo_objects(d, all, &diag);
	ctl_print_diag(stderr, &diag);
	inn_diag_free(&diag);
	if (rc != 0) {
		json_object_put(*all);
		*all = NULL;
		fprintf(stderr, "innominatus-ctl: the demo manifests have errors; nothing was "
		        "applied\n");
		return CTL_EXIT_CONFIG;
	}
	return CTL_EXIT_OK;
}

/* demo-time --dry-run: the objects of every manifest, nothing contacted. */
static int
dry_run(const ctl_opts *o, const inn_demo *d)
{
	json_object *all = NULL;
	size_t i, k, total = 0;

	if (objects(d, &all) != CTL_EXIT_OK)
		return CTL_EXIT_CONFIG;
	for (i = 0; i < json_object_array_length(all); i++)
		total += json_object_array_length(json_object_object_get(
		    json_object_array_get_idx(all, i), "objects"));
	if (o->json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "dry_run", json_object_new_boolean(1));
		json_object_object_add(j, "demo_dir", json_object_new_string(d->dir));
		json_object_object_add(j, "count", json_object_new_int64((int64_t)total));
		json_object_object_add(j, "components", all);
		ctl_print_json(j);
		json_object_put(j);
		return CTL_EXIT_OK;
	}
	printf("demo-time would apply %zu objects (%s; nothing was contacted):\n", total,
	       d->file);
	for (i = 0; i < json_object_array_length(all); i++) {
		json_object *c = json_object_array_get_idx(all, i);
		json_object *objs = json_object_object_get(c, "objects");
		const char *ns = ctl_jstr(c, "namespace");

		printf("%s%s%s%s\n", ctl_jstr(c, "component"), ns && *ns ? " (namespace " : "",
		       ns && *ns ? ns : "", ns && *ns ? ")" : "");
		for (k = 0; k < json_object_array_length(objs); k++) {
			json_object *ob = json_object_array_get_idx(objs, k);
			const char *ons = ctl_jstr(ob, "namespace");

			printf("  %-26s %s%s%s\n", ctl_jstr(ob, "kind"), ons && *ons ? ons : "",
			       ons && *ons ? "/" : "", ctl_jstr(ob, "name"));
		}
	}
	json_object_put(all);
	return CTL_EXIT_OK;
}

static void
ev_state(void *ud, size_t idx, const char *step, inn_state st, int attempt, const char *msg)
{
	char ts[16];
	time_t now = time(NULL);
	struct tm tm;

	(void)ud;
	(void)idx;
	(void)attempt;
	if (st == INN_STATE_PENDING)
		return;
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	if (msg != NULL && strncmp(msg, inn_state_name(st), strlen(inn_state_name(st))) == 0)
		fprintf(stderr, "%s  %-32s %s\n", ts, step, msg);   /* "skipped: ..." */
	else
		fprintf(stderr, "%s  %-32s %s%s%s\n", ts, step, inn_state_name(st),
		        msg && *msg ? ": " : "", msg && *msg ? msg : "");
}

static void
ev_log(void *ud, const char *step, int level, int stream, const char *line, size_t len)
{
	(void)ud;
	(void)level;
	(void)stream;
	ctl_print_log(stderr, "          ", step, line, (int)len);
}

/* The report as a table: one row a component. */
static void
print_report(inn_demo_op op, json_object *rep)
{
	json_object *rows = json_object_object_get(rep, "components");
	const char *flag = op == INN_DEMO_NUKE ? "deleted" : "healthy";
	size_t i;

	printf("%-24s %-30s %-44s %-8s %s\n", "COMPONENT", "NAMESPACE", "OBJECT",
	       op == INN_DEMO_NUKE ? "DELETED" : "HEALTHY", "DETAIL");
	for (i = 0; i < json_object_array_length(rows); i++) {
		json_object *r = json_object_array_get_idx(rows, i), *b;

		b = json_object_object_get(r, flag);
		printf("%-24s %-30s %-44s %-8s %s\n", ctl_jstr(r, "component"),
		       ctl_jstr(r, "namespace"), ctl_jstr(r, "object"),
		       b != NULL && json_object_get_boolean(b) ? "yes" : "no", ctl_jstr(r, "detail"));
	}
	if (op == INN_DEMO_TIME) {
		printf("\n");
		for (i = 0; i < json_object_array_length(rows); i++) {
			json_object *r = json_object_array_get_idx(rows, i);
			const char *url = ctl_jstr(r, "url"), *cred = ctl_jstr(r, "credentials");

			if (url == NULL && cred == NULL)
				continue;
			printf("%-24s %s%s%s\n", ctl_jstr(r, "component"), url ? url : "",
			       url && cred ? "  " : "", cred ? cred : "");
		}
	}
}

static int
run_op(const ctl_opts *o, inn_demo_op op, int argc, const char *usage_text)
{
	inn_demo *d = NULL;
	inn_engine *eng = NULL;
	inn_engine_opts eo;
	inn_run_events ev;
	json_object *rep = NULL;
	ctl_env env;
	int rc, erc;

	memset(&env, 0, sizeof(env));
	inn_diag_init(&env.diag);
	if (argc != 0) {
		rc = ctl_usage(usage_text);
		goto out;
	}
	if ((rc = load(o, &d)) != CTL_EXIT_OK)
		goto out;
	if (op == INN_DEMO_TIME && o->dry_run) {
		rc = dry_run(o, d);
		goto out;
	}
	if (op == INN_DEMO_TIME) {
		/* broken manifests stop it before the cluster is touched */
		if ((rc = objects(d, &rep)) != CTL_EXIT_OK)
			goto out;
		json_object_put(rep);
		rep = NULL;
	}
	ctl_env_free(&env);
	if ((rc = ctl_env_load(&env, o, 0)) != CTL_EXIT_OK)
		goto out;
	memset(&eo, 0, sizeof(eo));
	eo.plugin_dir = o->plugin_dir;
	eo.config_file = env.policy->file;
	eo.policy = env.policy;
	eo.registry = env.registry;
	eo.workers = o->parallel > 0 ? o->parallel : 4;
	if (inn_engine_new(&eng, &eo) != 0) {
		fprintf(stderr, "innominatus-ctl: %s\n", inn_error_last());
		rc = CTL_EXIT_FAILED;
		goto out;
	}
	memset(&ev, 0, sizeof(ev));
	if (!o->json && op != INN_DEMO_STATUS) {
		ev.step_state = ev_state;
		ev.log = ev_log;
	}
	erc = inn_demo_run(eng, env.registry, d, op, o->kubeconfig, &ev, &rep);
	if (rep == NULL) {
		fprintf(stderr, "innominatus-ctl: %s\n", inn_error_last());
		rc = erc == INN_EINVAL ? CTL_EXIT_CONFIG : CTL_EXIT_FAILED;
		goto out;
	}
	if (o->json)
		ctl_print_json(rep);
	else if (json_object_array_length(json_object_object_get(rep, "components")) > 0)
		print_report(op, rep);
	if (erc != 0 && ctl_jstr(rep, "error") != NULL)
		fprintf(stderr, "innominatus-ctl: %s: %s\n", inn_demo_op_name(op),
		        ctl_jstr(rep, "error"));
	else if (erc != 0)
		fprintf(stderr, "innominatus-ctl: %s: not every component is healthy\n",
		        inn_demo_op_name(op));
	rc = erc == 0 ? CTL_EXIT_OK : CTL_EXIT_FAILED;
out:
	json_object_put(rep);
	inn_engine_free(eng);
	inn_demo_free(d);
	ctl_env_free(&env);
	return rc;
}

int
ctl_cmd_demo_time(const ctl_opts *o, int argc, char **argv)
{
	(void)argv;
	return run_op(o, INN_DEMO_TIME, argc, "demo-time [--dry-run] [--kubeconfig F] "
	              "[--demo-dir D] [--plugin-dir D]");
}

int
ctl_cmd_demo_status(const ctl_opts *o, int argc, char **argv)
{
	(void)argv;
	return run_op(o, INN_DEMO_STATUS, argc, "demo-status [--kubeconfig F] [--demo-dir D] "
	              "[-o json]");
}

int
ctl_cmd_demo_nuke(const ctl_opts *o, int argc, char **argv)
{
	(void)argv;
	return run_op(o, INN_DEMO_NUKE, argc, "demo-nuke [--kubeconfig F] [--demo-dir D]");
}
