/*
 * cmd_run.c - running workflows from innominatus-ctl in local mode:
 * `run --local WORKFLOW [SPEC]` (a resource type's create or update
 * workflow with a spec: the spec's resources of that type, no main run)
 * and `test-workflow FILE [--dry-run]` (which
 * validates, and with --dry-run dry-runs; it never runs for real).
 * Shows progress while steps run (a live status line on a terminal, plain
 * lines otherwise), step logs prefixed with the step name, and the
 * workflow's outputs at the end.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "deploy.h"
#include "error.h"
#include "exec.h"
#include "output.h"
#include "secret_file.h"

#define PROGRESS_NAMES 32   /* running steps whose names the status line can show */

struct progress {
	pthread_mutex_t lock;
	int json;
	ctl_status status;
	size_t total, done, running;
	char names[PROGRESS_NAMES][128];  /* the running steps, oldest first */
	size_t nnames;
};

static inn_run *volatile current_run;

static void
on_signal(int sig)
{
	(void)sig;
	if (current_run != NULL)
		inn_run_cancel(current_run);
}

static void
status_draw(struct progress *p)
{
	char what[96];

	snprintf(what, sizeof(what), "[%zu/%zu] %zu running", p->done, p->total, p->running);
	/* the newest step still running; none once they all finished */
	ctl_status_draw(&p->status, what, p->nnames ? p->names[p->nnames - 1] : "");
}

/* Step started (on: again, for a retry) or finished: the names the status
 * line may show. */
static void
progress_track(struct progress *p, const char *step, int on)
{
	size_t i;

	for (i = 0; i < p->nnames; i++)
		if (strncmp(p->names[i], step, sizeof(p->names[0]) - 1) == 0) {
			memmove(p->names[i], p->names[i + 1], sizeof(p->names[0]) * (p->nnames - i - 1));
			p->nnames--;
			break;
		}
	if (!on)
		return;
	if (p->nnames == PROGRESS_NAMES) {
		memmove(p->names[0], p->names[1], sizeof(p->names[0]) * (PROGRESS_NAMES - 1));
		p->nnames--;
	}
	snprintf(p->names[p->nnames++], sizeof(p->names[0]), "%s", step);
}

static void
ev_state(void *ud, size_t idx, const char *step, inn_state st, int attempt,
         const char *msg)
{
	struct progress *p = ud;
	char ts[16];
	time_t now = time(NULL);
	struct tm tm;

	(void)idx;
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	pthread_mutex_lock(&p->lock);
	if (st == INN_STATE_RUNNING) {
		p->running++;
		progress_track(p, step, 1);
	} else if (inn_state_is_final(st)) {
		if (p->running > 0 && attempt > 0)
			p->running--;
		progress_track(p, step, 0);
		p->done++;
	}
	if (!p->json) {
		ctl_status_clear(&p->status);
		if (st == INN_STATE_RUNNING)
			fprintf(stderr, "%s  %-24s running\n", ts, step);
		else if (msg != NULL && strncmp(msg, inn_state_name(st),
		                                strlen(inn_state_name(st))) == 0)
			fprintf(stderr, "%s  %-24s %s\n", ts, step, msg); /* "skipped: ..." */
		else
			fprintf(stderr, "%s  %-24s %s%s%s\n", ts, step, inn_state_name(st),
			        msg ? ": " : "", msg ? msg : "");
		status_draw(p);
	}
	pthread_mutex_unlock(&p->lock);
}

static void
ev_log(void *ud, const char *step, int level, int stream, const char *line, size_t len)
{
	struct progress *p = ud;

	(void)level;
	(void)stream;
	pthread_mutex_lock(&p->lock);
	if (!p->json) {
		ctl_status_clear(&p->status);
		ctl_print_log(stderr, "          ", step, line, (int)len);
		status_draw(p);
	}
	pthread_mutex_unlock(&p->lock);
}

/* Where tools keep state between runs: $INNOMINATUS_STATE_DIR (a relative
 * one made absolute against the cwd: steps run in their own workspace), else
 * $XDG_STATE_HOME/innominatus, else ~/.local/state/innominatus. */
static const char *
state_root(char *buf, size_t len)
{
	const char *s = getenv("INNOMINATUS_STATE_DIR"), *home;
	char cwd[4096];

	if (s != NULL && *s == '/')
		return s;
	if (s != NULL && *s != '\0') {
		if (getcwd(cwd, sizeof(cwd)) == NULL || (size_t)snprintf(buf, len, "%s/%s", cwd, s) >= len)
			return s;
		return buf;
	}
	if ((s = getenv("XDG_STATE_HOME")) != NULL && *s == '/') {
		snprintf(buf, len, "%s/innominatus", s);
		return buf;
	}
	if ((home = getenv("HOME")) == NULL || *home == '\0')
		home = "/tmp";
	snprintf(buf, len, "%s/.local/state/innominatus", home);
	return buf;
}

static const char *
jget_str(json_object *o, const char *a, const char *b)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b != NULL && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* One --secret NAME=@FILE (env 0) or --secret-env NAME=VAR (env 1) into
 * env->secrets.  CTL_EXIT_OK, or CTL_EXIT_CONFIG (said). */
static int
flag_secret(ctl_env *env, const char *arg, int is_env)
{
	const char *opt = is_env ? "--secret-env" : "--secret";
	const char *eq = strchr(arg, '='), *src;
	char name[200], *text = NULL;
	json_object *v;

	if (eq == NULL || (size_t)(eq - arg) >= sizeof(name) || (!is_env && eq[1] != '@')) {
		fprintf(stderr, "innominatus-ctl: %s takes %s, not \"%s\"\n", opt,
		        is_env ? "NAME=VARIABLE" : "NAME=@FILE", arg);
		return CTL_EXIT_USAGE;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	src = eq + 1 + !is_env;
	if (!inn_policy_secret_name_ok(name)) {
		fprintf(stderr, "innominatus-ctl: %s %s: a secret name is letters, digits, '_', "
		        "'.' and '-'\n", opt, arg);
		return CTL_EXIT_USAGE;
	}
	if (is_env) {
		const char *val = getenv(src);

		if (val == NULL || *val == '\0') {
			fprintf(stderr, "innominatus-ctl: %s %s: $%s is not set (or empty)\n", opt,
			        name, src);
			return CTL_EXIT_CONFIG;
		}
		v = json_object_new_string(val);
	} else {
		if (inn_secret_file_read(src, 64 * 1024, &text, NULL) != 0) {
			fprintf(stderr, "innominatus-ctl: %s %s: file %s: %s\n", opt, name, src,
			        inn_error_last());
			return CTL_EXIT_CONFIG;
		}
		v = json_object_new_string(text);
		memset(text, 0, strlen(text));
		free(text);
	}
	json_object_object_add(env->secrets, name, v);
	json_object_object_del(env->secrets_bad, name);
	return CTL_EXIT_OK;
}

/* The run's secrets: the admin config's (one that cannot be read is a
 * warning: a step that names it fails with the reason; the CLI may run
 * as a user who cannot read the server's files), then the flags'. */
static int
read_secrets(const ctl_opts *o, ctl_env *env)
{
	int i, rc;

	if (env->secrets != NULL)
		return CTL_EXIT_OK;
	if (inn_policy_secrets_read(env->policy, 0, &env->secrets, &env->secrets_bad) != 0) {
		fprintf(stderr, "innominatus-ctl: %s\n", inn_error_last());
		return CTL_EXIT_FAILED;
	}
	for (i = 0; i < o->nsecret_files; i++)
		if ((rc = flag_secret(env, o->secret_files[i], 0)) != CTL_EXIT_OK)
			return rc;
	for (i = 0; i < o->nsecret_envs; i++)
		if ((rc = flag_secret(env, o->secret_envs[i], 1)) != CTL_EXIT_OK)
			return rc;
	json_object_object_foreach(env->secrets_bad, k, v) {
		(void)k;
		fprintf(stderr, "innominatus-ctl: warning: %s (a step that uses it fails)\n",
		        json_object_get_string(v));
	}
	return CTL_EXIT_OK;
}

/* The engine of one command: its worker processes serve every run the
 * command makes (the resource parts and the main workflow). */
static int
engine_open(const ctl_opts *o, ctl_env *env, inn_engine **eng)
{
	char statebuf[4096];
	inn_engine_opts eo;
	int rc;

	if ((rc = read_secrets(o, env)) != CTL_EXIT_OK)
		return rc;
	memset(&eo, 0, sizeof(eo));
	eo.plugin_dir = o->plugin_dir;
	eo.config_file = env->policy->file;
	eo.policy = env->policy;
	eo.registry = env->registry;
	eo.workers = o->parallel > 0 ? o->parallel : 4;
	eo.state_root = state_root(statebuf, sizeof(statebuf));
	eo.secrets = env->secrets;
	eo.secrets_unavailable = env->secrets_bad;
	if (inn_engine_new(eng, &eo) != 0) {
		fprintf(stderr, "innominatus-ctl: %s\n", inn_error_last());
		return CTL_EXIT_FAILED;
	}
	return CTL_EXIT_OK;
}

/* Runs wf to the end with progress; returns a ctl_exit code.  base: the
 * params, data, resource, environment and completed steps of the run
 * (environment, whose state directory: NULL for the run's own
 * "environment" parameter, its default included -- see make_state_base).
 * If keep is set, the finished run is handed over there instead of freed. */
static int
run_one(const ctl_opts *o, inn_engine *eng, const inn_workflow *wf,
        const inn_run_opts *base, int quiet_summary, inn_run **keep)
{
	inn_run_opts ro = *base;
	inn_run *run = NULL;
	struct progress prog;
	struct sigaction sa, old_int, old_term;
	int rc;

	memset(&prog, 0, sizeof(prog));
	pthread_mutex_init(&prog.lock, NULL);
	prog.json = o->json;
	ctl_status_init(&prog.status, o->json);
	prog.total = wf->nsteps;
	ro.dry_run = o->dry_run;
	ro.max_parallel = o->parallel;
	ro.app = jget_str(ro.data, "app", "name");
	if (ro.environment == NULL)
		ro.environment = jget_str(ro.params, "environment", NULL);
	ro.events.step_state = ev_state;
	ro.events.log = ev_log;
	ro.events.ud = &prog;
	if (inn_run_new(&run, eng, wf, &ro) != 0) {
		fprintf(stderr, "innominatus-ctl: %s\n", inn_error_last());
		pthread_mutex_destroy(&prog.lock);
		return CTL_EXIT_CONFIG;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	current_run = run;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (!o->json)
		fprintf(stderr, "%s workflow %s (%zu steps)\n", o->dry_run ? "Dry-running" :
		        "Running", wf->name, wf->nsteps);
	inn_run_execute(run);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	current_run = NULL;
	pthread_mutex_lock(&prog.lock);
	ctl_status_clear(&prog.status);
	pthread_mutex_unlock(&prog.lock);
	if (o->json && !quiet_summary) {
		json_object *j = ctl_run_json(wf, run);

		ctl_print_json(j);
		json_object_put(j);
	} else if (!quiet_summary) {
		ctl_print_run(wf, run, o->dry_run);
	}
	rc = ctl_exit_for_state(inn_run_state(run));
	if (keep != NULL)
		*keep = run;
	else
		inn_run_free(run);
	pthread_mutex_destroy(&prog.lock);
	return rc;
}

/* Provisions every resource of the plan through its provider's create
 * workflow (deploy.h), each one's outputs into the template data: the real
 * values, their secret ones masked in the main run (as on the server).
 * summary (a focused run: the parts are the run, no main workflow
 * follows): each part's run is shown as a run is, and with -o json added
 * to summary's "resources" under the resource's name. */
static int
provision_resources(const ctl_opts *o, inn_engine *eng, inn_deploy *plan,
                    const char *environment, json_object *summary)
{
	size_t i;
	int rc = CTL_EXIT_OK;

	for (i = 0; i < inn_deploy_nparts(plan); i++) {
		const inn_deploy_part *rp = inn_deploy_part_at(plan, i);
		inn_run_opts ro;
		inn_run *run = NULL;
		json_object *real, *params = NULL, *comp;
		char why[1024] = "";

		if (!o->json)
			fprintf(stderr, "Resource %s (%s) -> %s/%s\n", rp->name, rp->type,
			        rp->provider->name, rp->wf->name);
		/* its params' resources.R references rendered from what the
		 * parts before it gave (the secret values among them masked) */
		if (inn_deploy_part_params(plan, i, &params) != 0) {
			fprintf(stderr, "innominatus-ctl: resource \"%s\": %s\n", rp->name,
			        inn_error_last());
			return CTL_EXIT_CONFIG;
		}
		comp = inn_deploy_main_completed(plan, NULL);
		memset(&ro, 0, sizeof(ro));
		ro.params = params;
		ro.data = inn_deploy_data(plan);
		ro.resource = rp->name;
		ro.environment = environment;
		ro.completed = comp;
		rc = run_one(o, eng, rp->wf, &ro, 1, &run);
		json_object_put(params);
		json_object_put(comp);
		if (run != NULL && summary != NULL && o->json)
			json_object_object_add(json_object_object_get(summary, "resources"), rp->name,
			                       ctl_run_json(rp->wf, run));
		else if (run != NULL && summary != NULL)
			ctl_print_run(rp->wf, run, o->dry_run);
		if (run != NULL) {
			/* why the resource's workflow ended as it did (the server
			 * says the same: runs.c) */
			snprintf(why, sizeof(why), "%s", inn_run_message(run) ?
			         inn_run_message(run) : inn_state_name(inn_run_state(run)));
			real = inn_run_outputs_real(run);
			inn_deploy_resource_done(plan, i, real ? real : inn_run_outputs(run),
			                         real ? inn_run_masker(run) : NULL);
			inn_run_free(run);
		}
		if (rc != CTL_EXIT_OK) {
			fprintf(stderr, "innominatus-ctl: resource \"%s\" (%s/%s) was not "
			        "provisioned%s%s\n", rp->name, rp->provider->name, rp->wf->name,
			        why[0] ? ": " : "", why);
			return rc;
		}
	}
	return rc;
}

/* Loads the workflow file path against env's policy and plugins, printing
 * every diagnostic; NULL when it could not be loaded or has errors. */
static inn_workflow *
load_file(ctl_env *env, const char *path)
{
	inn_load_ctx ctx = { env->policy, env->registry };
	inn_workflow *wf = NULL;

	if (inn_workflow_load_file(&wf, path, &ctx, &env->diag) != 0 ||
	    env->diag.nerrors > 0) {
		inn_workflow_free(wf);
		wf = NULL;
	}
	ctl_print_diag(stderr, &env->diag);
	return wf;
}

/* The workflows of a run read what its Score spec gives: every
 * resources.R and app reference of the main workflow and of each
 * resource's create workflow is checked against the plan before anything
 * runs (a real run would fail on it), errors printed.  No plan: a run
 * without a Score spec.  Returns how many failed. */
static size_t
spec_refs_bad(ctl_env *env, const inn_workflow *wf, const inn_deploy *plan)
{
	json_object *data = plan != NULL ? inn_deploy_data(plan) : NULL;
	size_t i, n0 = env->diag.n, bad;

	bad = inn_workflow_check_spec_refs(wf, data, &env->diag) +
	      inn_deploy_check_output_refs(plan, wf, &env->diag);
	for (i = 0; plan != NULL && i < inn_deploy_nparts(plan); i++)
		bad += inn_workflow_check_spec_refs(inn_deploy_part_at(plan, i)->wf, data,
		                                    &env->diag) +
		       inn_deploy_check_output_refs(plan, inn_deploy_part_at(plan, i)->wf,
		                                    &env->diag);
	for (i = n0; i < env->diag.n; i++) {
		char buf[2048];

		inn_diag_format(&env->diag, i, buf, sizeof(buf));
		fprintf(stderr, "%s\n", buf);
	}
	return bad;
}

int
ctl_cmd_run(const ctl_opts *o, int argc, char **argv)
{
	ctl_env env;
	inn_workflow *own = NULL;
	const inn_workflow *wf;
	inn_score *spec = NULL;
	inn_deploy *plan = NULL;
	inn_engine *eng = NULL;
	json_object *params = NULL, *completed = NULL, *summary = NULL;
	size_t k, n0, focused = 0;
	int rc;

	if (argc < 1 || argc > 2)
		return ctl_usage("run --local WORKFLOW [SPEC] [--param NAME=VALUE]...");
	if ((params = ctl_params(o)) == NULL)
		return CTL_EXIT_USAGE;
	if ((rc = ctl_env_load(&env, o, 1)) != CTL_EXIT_OK)
		goto out;
	rc = CTL_EXIT_CONFIG;
	if (ctl_is_file(argv[0])) {
		if ((own = load_file(&env, argv[0])) == NULL)
			goto out;
		wf = own;
	} else if ((wf = inn_catalog_workflow(env.catalog, argv[0])) == NULL) {
		fprintf(stderr, "innominatus-ctl: \"%s\" is not a workflow file, a golden path "
		        "or provider/workflow (see list-goldenpaths, list-providers)%s\n", argv[0],
		        env.catalog_errors > 0 ? "; it may be one of the catalog entries left "
		        "out for the errors above" : "");
		goto out;
	}
	n0 = env.diag.n;    /* the spec's warnings are printed with the plan's */
	if (argc == 2 && (inn_score_load_file(&spec, argv[1], &env.diag) != 0 ||
	                  env.diag.nerrors > 0)) {
		ctl_print_diag(stderr, &env.diag);
		goto out;
	}
	rc = inn_deploy_plan(&plan, env.catalog, spec, INN_DEPLOY_STRICT, &env.diag);
	for (k = n0; k < env.diag.n; k++) {
		char buf[2048];

		inn_diag_format(&env.diag, k, buf, sizeof(buf));
		fprintf(stderr, "%s\n", buf);
	}
	if (rc != 0 || spec_refs_bad(&env, wf, plan) > 0) {
		rc = CTL_EXIT_CONFIG;
		goto out;
	}
	/* the create (or update) workflow of a type the spec asks for: the run
	 * provisions the spec's resources of that type (and what they depend
	 * on), their params from the spec; no main run follows (deploy.h) */
	if (spec != NULL && (focused = inn_deploy_focus(plan, wf)) > 0) {
		if (json_object_object_length(params) > 0) {
			fprintf(stderr, "innominatus-ctl: workflow %s provisions the spec's resources "
			        "of its type (%zu): their params come from the spec (resources.<name>."
			        "params), not from --param\n", wf->name, focused);
			rc = CTL_EXIT_USAGE;
			goto out;
		}
		if (!o->json)
			fprintf(stderr, "Workflow %s provisions the spec's resources of its type: "
			        "%zu part%s (with what they depend on: %zu), no main run\n", wf->name,
			        focused, focused == 1 ? "" : "s", inn_deploy_nparts(plan));
		summary = json_object_new_object();
		json_object_object_add(summary, "workflow", json_object_new_string(wf->name));
		json_object_object_add(summary, "resources", json_object_new_object());
	}
	if ((rc = engine_open(o, &env, &eng)) != CTL_EXIT_OK)
		goto out;
	/* the parts keep state under the main run's effective environment
	 * (given, else its default), as on the server */
	rc = provision_resources(o, eng, plan, inn_params_environment(wf, params), summary);
	if (summary != NULL && o->json) {
		json_object_object_add(summary, "status", json_object_new_string(
		    rc == CTL_EXIT_OK ? (o->dry_run ? "would-run" : "succeeded") : "failed"));
		ctl_print_json(summary);
	}
	if (rc == CTL_EXIT_OK && summary == NULL) {
		inn_run_opts ro;

		memset(&ro, 0, sizeof(ro));
		ro.params = params;
		ro.data = inn_deploy_data(plan);
		ro.completed = completed = inn_deploy_main_completed(plan, NULL);
		rc = run_one(o, eng, wf, &ro, 0, NULL);
	}
out:
	json_object_put(params);
	json_object_put(completed);
	json_object_put(summary);
	inn_engine_free(eng);
	inn_deploy_free(plan);
	inn_score_free(spec);
	inn_workflow_free(own);
	ctl_env_free(&env);
	return rc;
}

int
ctl_cmd_test_workflow(const ctl_opts *o, int argc, char **argv)
{
	ctl_env env;
	inn_workflow *wf = NULL;
	inn_engine *eng = NULL;
	json_object *params = NULL;
	int rc;

	if (argc != 1)
		return ctl_usage("test-workflow FILE [--dry-run] [--param NAME=VALUE]...");
	if ((params = ctl_params(o)) == NULL)
		return CTL_EXIT_USAGE;
	if ((rc = ctl_env_load(&env, o, 0)) != CTL_EXIT_OK)
		goto out;
	if ((wf = load_file(&env, argv[0])) == NULL) {
		fprintf(stderr, "%s: %zu error(s)\n", argv[0], env.diag.nerrors);
		rc = CTL_EXIT_CONFIG;
		goto out;
	}
	if (!o->dry_run) {
		/* test-workflow validates; only --dry-run goes further, and a real
		 * run is `run --local FILE`.  Given parameters are checked as a run
		 * would check them: a --param that nothing reads is a mistake to say. */
		if (json_object_object_length(params) > 0) {
			json_object *resolved = NULL;

			if (inn_params_resolve(wf, params, &resolved) != 0) {
				fprintf(stderr, "innominatus-ctl: %s\n", inn_error_last());
				rc = CTL_EXIT_CONFIG;
				goto out;
			}
			json_object_put(resolved);
		}
		if (o->json) {
			json_object *j = json_object_new_object();

			json_object_object_add(j, "workflow", json_object_new_string(wf->name));
			json_object_object_add(j, "valid", json_object_new_boolean(1));
			json_object_object_add(j, "steps", json_object_new_int64((int64_t)wf->nsteps));
			ctl_print_json(j);
			json_object_put(j);
		} else {
			printf("%s: workflow %s is valid (%zu steps); nothing was run (dry-run it "
			       "with --dry-run, run it with run --local %s)\n", argv[0], wf->name,
			       wf->nsteps, argv[0]);
		}
		rc = CTL_EXIT_OK;
		goto out;
	}
	if (!o->json)
		fprintf(stderr, "%s: workflow %s is valid (%zu steps)\n", argv[0], wf->name,
		        wf->nsteps);
	/* a dry-run is a run without a Score spec: no resources */
	if (spec_refs_bad(&env, wf, NULL) > 0) {
		fprintf(stderr, "innominatus-ctl: %s reads what a Score spec gives: dry-run it with run --local --dry-run %s SPEC\n", argv[0], argv[0]);
		rc = CTL_EXIT_CONFIG;
		goto out;
	}
	if ((rc = engine_open(o, &env, &eng)) == CTL_EXIT_OK) {
		inn_run_opts ro;

		memset(&ro, 0, sizeof(ro));
		ro.params = params;
		rc = run_one(o, eng, wf, &ro, 0, NULL);
	}
out:
	json_object_put(params);
	inn_engine_free(eng);
	inn_workflow_free(wf);
	ctl_env_free(&env);
	return rc;
}
