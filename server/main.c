/*
 * main.c - the daemon `innominatus`: reads the config (the admin config
 * with an optional `server:` section; flags override it), opens the store,
 * loads plugins and the catalog (providers.c), accounts for executions a previous process
 * left running (before anything is served), serves the API, and drains on
 * SIGTERM/SIGINT while the API keeps answering (new runs get 503).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "duration.h"
#include "error.h"
#include "host.h"
#include "http_sse.h"
#include "providers.h"
#include "log.h"
#include "notify.h"
#include "providers_conf.h"
#include "secret_file.h"
#include "server.h"
#include "settings.h"

/* --check-config is running (its problems are counted, one a line). */
static int checking;

/* What main() read, kept for the reloads (SIGHUP): the flags and the
 * folder relative ones are relative to. */
static inn_given *given;
static char start_cwd[4096];

/* How many executions were running when the drain began (for the last line). */
static atomic_int drained;

/* The drain runs on its own thread so that the loop keeps serving (reads,
 * logs, /ready saying draining, 503 for new runs); it stops the loop when
 * the last running execution has ended. */
static void *
drain_main(void *arg)
{
	inn_server *srv = arg;

	inn_runs_drain(srv, srv->cfg.shutdown_grace_s);
	inn_sse_shutdown(srv); /* open streams end cleanly, not cut mid-chunk */
	event_base_loopbreak(srv->base);
	return NULL;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	inn_server *srv = arg;

	(void)what;
	if (atomic_exchange(&srv->draining, 1)) {
		inn_log(INN_LOG_WARN, "innominatus: %s: already draining",
		        sig == SIGTERM ? "SIGTERM" : "SIGINT");
		return;
	}
	pthread_mutex_lock(&srv->runs_lock);
	atomic_store(&drained, srv->nrunning);
	pthread_mutex_unlock(&srv->runs_lock);
	inn_notify("STOPPING=1\nSTATUS=draining");
	inn_log(INN_LOG_INFO, "innominatus: %s: draining (no new executions, queued ones stay pending "
	        "for the next start; running ones get %d s)",
	        sig == SIGTERM ? "SIGTERM" : "SIGINT", srv->cfg.shutdown_grace_s);
	if (pthread_create(&srv->drain_thread, NULL, drain_main, srv) == 0)
		srv->drain_started = 1;
	else
		event_base_loopbreak(srv->base); /* drained after the loop, without HTTP */
}

/* ---- SIGHUP: the config file read again, the catalog reloaded ---- */

/* One reload at a time; a SIGHUP during one is said and dropped. */
static atomic_int reloading;

/* The server: settings a reload cannot change, compared (said, not
 * applied: they take effect at the next start). */
static void
reload_settings_note(const inn_server_config *now, const inn_server_config *next)
{
	static const struct {
		const char *key;
		size_t off;
	} paths[] = {
		{ "server.db", offsetof(inn_server_config, db_path) },
		{ "server.pluginDir", offsetof(inn_server_config, plugin_dir) },
		{ "server.stateDir", offsetof(inn_server_config, state_dir) },
		{ "server.secretKeyFile", offsetof(inn_server_config, secret_key_file) },
		{ "server.goldenpaths", offsetof(inn_server_config, goldenpaths) },
	};
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const char *a = *(const char *const *)((const char *)now + paths[i].off);
		const char *b = *(const char *const *)((const char *)next + paths[i].off);

		char shown[512];

		if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
			/* every path through the redaction: server.db may hold a password */
			inn_log(INN_LOG_WARN, "innominatus: reload: %s changed to %s: it takes "
			        "effect at the next start", paths[i].key,
			        inn_store_url_redact(b, shown, sizeof(shown)));
	}
	if (now->ui != next->ui)
		inn_log(INN_LOG_WARN, "innominatus: reload: server.ui changed to %s: it takes "
		        "effect at the next start", next->ui ? "true" : "false");
	/* port 0 took a free port at start: the same setting still */
	if ((next->listen_port != 0 && now->listen_port != next->listen_port) ||
	    strcmp(now->listen_host, next->listen_host) != 0)
		inn_log(INN_LOG_WARN, "innominatus: reload: server.listen changed to %s:%d: it "
		        "takes effect at the next start", next->listen_host, next->listen_port);
}

/* On a request thread: the config file parsed and checked again (a bad
 * one keeps everything as it is), then the catalog reloaded as POST
 * /api/admin/reload does (providers[] and the golden paths read again,
 * git sources fetched). */
static void
hup_work(void *arg)
{
	inn_server *srv = arg;
	inn_server_config next;
	inn_policy *pol = NULL;
	inn_problems p = { NULL, 0 };
	json_object *out = NULL, *errors = NULL;
	inn_caller who;
	size_t i;

	if (srv->policy->file == NULL) {
		inn_log(INN_LOG_INFO, "innominatus: SIGHUP: no config file; reloading the "
		        "providers");
	} else if (access(srv->policy->file, F_OK) == 0 &&
	           !inn_settings_regular_file(srv->policy->file)) {
		/* the start's check: a FIFO put in its place would hang the read,
		 * and with it every later reload and the drain */
		struct stat st;

		inn_log(INN_LOG_ERROR, "innominatus: SIGHUP: reload refused, the catalog in use is "
		        "kept: %s: %s", srv->policy->file, stat(srv->policy->file, &st) == 0 &&
		        S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
		return;
	} else if (inn_policy_load(&pol, srv->policy->file, 0) != 0) {
		inn_log(INN_LOG_ERROR, "innominatus: SIGHUP: reload refused, the catalog in use is "
		        "kept: %s", inn_error_last());
		return;
	} else {
		inn_settings_defaults(&next);
		if (inn_settings_load(&next, pol, given, start_cwd, &p) > 0 ||
		    inn_check_provider_folders(&next, pol, &p) > 0) {
			for (i = 0; i < p.n; i++)
				inn_log(INN_LOG_ERROR, "innominatus: SIGHUP: %s", p.v[i]);
			inn_log(INN_LOG_ERROR, "innominatus: SIGHUP: reload refused (%zu problem(s) in "
			        "%s), the catalog in use is kept", p.n, srv->policy->file);
			inn_problems_free(&p);
			inn_policy_free(pol);
			return;
		}
		reload_settings_note(&srv->cfg, &next);
		inn_policy_free(pol);
	}
	memset(&who, 0, sizeof(who));
	snprintf(who.p.name, sizeof(who.p.name), "SIGHUP");
	snprintf(who.p.role, sizeof(who.p.role), "admin");
	who.admin = 1;
	/* providers.c logs the outcome, refused or not */
	inn_providers_reload(srv, &who, &out, &errors);
	json_object_put(out);
	json_object_put(errors);
}

static void
hup_done(void *arg, int cancelled)
{
	inn_server *srv = arg;

	(void)cancelled;
	atomic_store(&reloading, 0);
	inn_notify("READY=1\nSTATUS=serving %zu providers, %zu golden paths",
	           srv->catalog->nproviders, srv->catalog->ngoldenpaths);
}

static void
on_sighup(evutil_socket_t sig, short what, void *arg)
{
	inn_server *srv = arg;

	(void)sig;
	(void)what;
	if (atomic_load(&srv->draining)) {
		inn_log(INN_LOG_WARN, "innominatus: SIGHUP ignored: the server is draining");
		return;
	}
	if (atomic_exchange(&reloading, 1)) {
		inn_log(INN_LOG_WARN, "innominatus: SIGHUP ignored: a reload is under way");
		return;
	}
	inn_notify_reloading("reloading the config and the providers");
	inn_log(INN_LOG_INFO, "innominatus: SIGHUP: reloading %s",
	        srv->policy->file != NULL ? srv->policy->file : "the providers");
	if (inn_http_defer(hup_work, hup_done, srv) != 0) {
		inn_log(INN_LOG_ERROR, "innominatus: SIGHUP: reload refused: %s", inn_error_last());
		hup_done(srv, 1);
	}
}

/* The key that seals secret inputs at rest: server.secretKeyFile, else
 * <db>.key next to the store (created 0600 on first start); an in-memory
 * store gets an in-memory key. */
static int
open_secretbox(inn_server *srv)
{
	const char *db = srv->cfg.db_path, *path = srv->cfg.secret_key_file;
	char buf[4096];

	if (strncmp(db, "sqlite:", 7) == 0)
		db += 7;
	if (path == NULL && inn_settings_is_db_url(db)) {
		inn_log(INN_LOG_ERROR, "innominatus: a store on a database server needs "
		        "server.secretKeyFile (or --secret-key-file FILE): every replica must "
		        "seal secret inputs with the same key");
		return -1;
	}
	if (path == NULL && strcmp(db, ":memory:") != 0) {
		if ((size_t)snprintf(buf, sizeof(buf), "%s.key", db) >= sizeof(buf)) {
			inn_log(INN_LOG_ERROR, "innominatus: the store path is too long for its key file");
			return -1;
		}
		path = buf;
	}
	if (inn_secretbox_open(&srv->secretbox, path) != 0) {
		inn_log(INN_LOG_ERROR, "innominatus: %s", inn_error_last());
		return -1;
	}
	return 0;
}

/* Opens the store at cfg.db_path with the password of cfg.db_password_file,
 * else of PGPASSWORD -- which then leaves the environment (and the copy
 * /proc/PID/environ shows is wiped): workers and steps inherit it, and a
 * step is no place for the store's password; the store keeps it for its
 * reconnections.  The copy here is wiped once the store has it.  0, or -1
 * (said). */
static int
open_store(inn_server *srv)
{
	char *password = NULL, *env = getenv("PGPASSWORD");
	int rc;

	if (srv->cfg.db_password_file != NULL &&
	    inn_store_password_file_read(srv->cfg.db_password_file, &password) != 0) {
		inn_log(INN_LOG_ERROR, "innominatus: %s", inn_error_last());
		return -1;
	}
	if (env != NULL && inn_settings_is_db_url(srv->cfg.db_path)) {
		if (password == NULL && *env != '\0' && (password = strdup(env)) == NULL) {
			inn_log(INN_LOG_ERROR, "innominatus: out of memory");
			return -1;
		}
		explicit_bzero(env, strlen(env));
		unsetenv("PGPASSWORD");
	}
	rc = inn_store_open_with(&srv->store, srv->cfg.db_path, password);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	if (rc != 0) {
		inn_log(INN_LOG_ERROR, "innominatus: %s", inn_error_last());
		return -1;
	}
	return 0;
}

/* --migrate: the store is open, so its pending migrations were applied;
 * says which schema it had and has.  Exit status. */
static int
migrate_report(inn_server *srv)
{
	char shown[512];
	int before = inn_store_schema_found(srv->store);
	int after = inn_store_schema_version(srv->store);

	if (before < 0 || after < 0) {
		inn_log(INN_LOG_ERROR, "innominatus: %s", inn_error_last());
		return 1;
	}
	inn_store_url_redact(srv->cfg.db_path, shown, sizeof(shown));
	if (before == after)
		printf("store %s: schema version %d, up to date (nothing to apply)\n", shown,
		       after);
	else
		printf("store %s: schema version %d -> %d (%d migration%s applied)\n", shown,
		       before, after, after - before, after - before == 1 ? "" : "s");
	return 0;
}

/* --create-admin-key NAME: prints a new admin key once.  Exit status. */
static int
create_admin_key(inn_server *srv, const char *name)
{
	char *plain = NULL;

	if (inn_store_key_create(srv->store, name, "admin", "", &plain) != 0) {
		inn_log(INN_LOG_ERROR, "innominatus: %s", inn_error_last());
		return 1;
	}
	inn_store_audit(srv->store, "cli", "key.create", name, NULL);
	printf("%s\n", plain);
	free(plain);
	return 0;
}

/* The admin config's secrets: every one must be readable, or the server
 * does not start (a step would fail later anyway, and a typo in a path is
 * best found now).  The values are never printed.  0, or -1 (said). */
static int
read_secrets(inn_server *srv)
{
	json_object *bad = NULL;
	int n = 0;

	if (inn_policy_secrets_read(srv->policy, 1, &srv->secrets, &bad) != 0) {
		inn_log(INN_LOG_ERROR, "innominatus: %s", inn_error_last());
		return -1;
	}
	json_object_object_foreach(bad, k, v) {
		(void)k;
		inn_log(INN_LOG_ERROR, "innominatus: %s", json_object_get_string(v));
		n++;
	}
	json_object_put(bad);
	if (n > 0) {
		inn_log(INN_LOG_ERROR, "innominatus: %d secret%s of the admin config cannot be read: "
		        "not starting", n, n == 1 ? "" : "s");
		return -1;
	}
	if (srv->policy->nsecrets > 0)
		inn_log(INN_LOG_INFO, "innominatus: %zu secret%s read from the admin config",
		        srv->policy->nsecrets, srv->policy->nsecrets == 1 ? "" : "s");
	return 0;
}

/* The secret box, plugins, the catalog (providers.c) and the engine;
 * problems are said on stderr.  0, or -1. */
static int
start_engine(inn_server *srv, const char *cwd)
{
	inn_server_config *c = &srv->cfg;
	inn_engine_opts eo;
	char shown[512];
	int i, w;

	if (open_secretbox(srv) != 0)
		return -1;
	srv->started_ms = inn_wall_ms();
	if (inn_registry_load(&srv->registry, c->plugin_dir, srv->policy, inn_host_table()) != 0) {
		inn_log(INN_LOG_ERROR, "innominatus: %s", inn_error_last());
		return -1;
	}
	for (i = 0; i < (int)srv->registry->nrefused; i++)
		inn_log(INN_LOG_WARN, "innominatus: plugin %s refused: %s",
		        srv->registry->refused[i].file, srv->registry->refused[i].reason);
	for (i = 0; i < (int)srv->registry->nnotes; i++)
		inn_log(INN_LOG_INFO, "innominatus: note: %s", srv->registry->notes[i]);
	if (c->goldenpaths == NULL && access("workflows/goldenpaths.yaml", R_OK) == 0)
		c->goldenpaths = inn_settings_abs_path(cwd, "workflows/goldenpaths.yaml");
	/* a FIFO would block the start for good: without golden paths, said */
	if (c->goldenpaths != NULL && access(c->goldenpaths, F_OK) == 0 &&
	    !inn_settings_regular_file(c->goldenpaths)) {
		inn_log(INN_LOG_WARN, "innominatus: golden paths %s: not a regular file: "
		        "starting without golden paths", c->goldenpaths);
		c->goldenpaths = NULL;
	}
	inn_log(INN_LOG_INFO, "innominatus: config %s; store %s; plugins %s; state %s; golden paths %s",
	        c->config_file ? c->config_file : "(none)",
	        inn_store_url_redact(c->db_path, shown, sizeof(shown)), c->plugin_dir,
	        c->state_dir, c->goldenpaths ? c->goldenpaths : "(none)");
	inn_diag_init(&srv->diag);
	/* the config's providers, then the sources added over the API */
	w = inn_providers_start(srv);
	/* one log call per entry: a newline in a provider file's name stays in its line */
	for (i = 0; i < (int)srv->diag.n; i++) {
		char line[4096];

		inn_diag_format(&srv->diag, (size_t)i, line, sizeof(line));
		inn_log(srv->diag.items[i].level == INN_DIAG_ERROR ? INN_LOG_ERROR : INN_LOG_WARN,
		        "innominatus: %s", line);
	}
	if (w != 0) {
		inn_log(INN_LOG_ERROR, "innominatus: the catalog could not be loaded");
		return -1;
	}
	memset(&eo, 0, sizeof(eo));
	eo.plugin_dir = c->plugin_dir;
	eo.config_file = srv->policy->file;
	eo.policy = srv->policy;
	eo.registry = srv->registry;
	eo.workers = c->workers;
	eo.state_root = c->state_dir;
	eo.secrets = srv->secrets;
	if (inn_engine_new(&srv->engine, &eo) != 0) {
		inn_log(INN_LOG_ERROR, "innominatus: %s", inn_error_last());
		return -1;
	}
	return 0;
}

/* Every few seconds on the loop thread: applications whose TTL ran out
 * are deleted (runs_deploy.c). */
#define REAP_INTERVAL_S 2

static void
on_reap(evutil_socket_t fd, short what, void *arg)
{
	inn_server *srv = arg;

	(void)fd;
	(void)what;
	if (!atomic_load(&srv->draining))
		inn_runs_reap_expired(srv);
}

/* The layers, bottom up: HTTP, the SSE hub the executions publish to
 * (srv->on_event), the API; then the signals.  0, or -1 (said). */
static int
start_serving(inn_server *srv)
{
	if (inn_http_start(srv) != 0 || inn_sse_start(srv) != 0) {
		inn_log(INN_LOG_ERROR, "innominatus: %s", inn_error_last());
		return -1;
	}
	srv->on_event = inn_sse_publish;
	inn_api_register(srv);
	srv->sigterm = evsignal_new(srv->base, SIGTERM, on_signal, srv);
	srv->sigint = evsignal_new(srv->base, SIGINT, on_signal, srv);
	event_add(srv->sigterm, NULL);
	event_add(srv->sigint, NULL);
	srv->sighup = evsignal_new(srv->base, SIGHUP, on_sighup, srv);
	event_add(srv->sighup, NULL);
	srv->reaper = event_new(srv->base, -1, EV_PERSIST, on_reap, srv);
	if (srv->reaper != NULL) {
		struct timeval tv = { REAP_INTERVAL_S, 0 };

		event_add(srv->reaper, &tv);
	}
	return 0;
}

/* The folder of a SQLite store and the state folder, created (0750) when
 * missing and the folder above exists: an installed default config starts
 * as installed.  Said in the log. */
static void
make_store_folder(const inn_server_config *c)
{
	const char *db = c->db_path;
	char dir[4096], *slash;
	const char *want[2];
	struct stat st;
	size_t i;

	if (strncmp(db, "sqlite:", 7) == 0)
		db += 7;
	want[0] = NULL;
	if (!inn_settings_is_db_url(db) && strcmp(db, ":memory:") != 0 &&
	    (slash = strrchr(db, '/')) != NULL && slash != db &&
	    (size_t)(slash - db) < sizeof(dir)) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - db), db);
		want[0] = dir;
	}
	want[1] = c->state_dir;
	for (i = 0; i < 2; i++) {
		char up[4096];

		if (want[i] == NULL || stat(want[i], &st) == 0 || errno != ENOENT)
			continue;
		snprintf(up, sizeof(up), "%s", want[i]);
		if ((slash = strrchr(up, '/')) == NULL || slash == up)
			continue;
		*slash = '\0';
		if (stat(up, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (mkdir(want[i], 0750) == 0)
			inn_log(INN_LOG_INFO, "innominatus: created the missing folder %s (mode 0750)",
			        want[i]);
	}
}

/* Frees what main() started, top down (each part may be missing). */
static void
stop_all(inn_server *srv)
{
	if (srv->http != NULL)
		evhttp_free(srv->http);
	inn_http_stop();
	if (srv->sigterm)
		event_free(srv->sigterm);
	if (srv->sigint)
		event_free(srv->sigint);
	if (srv->sighup)
		event_free(srv->sighup);
	if (srv->reaper)
		event_free(srv->reaper);
	inn_runs_reap_free(srv);
	srv->on_event = NULL;
	inn_sse_free(srv);
	if (srv->base)
		event_base_free(srv->base);
	inn_engine_free(srv->engine);
	inn_providers_stop(srv);
	inn_diag_free(&srv->diag);
	inn_registry_free(srv->registry);
	inn_store_close(srv->store);
	inn_secretbox_free(srv->secretbox);
	inn_policy_free(srv->policy);
	json_object_put(srv->secrets);
	inn_settings_free_strings();
}

/* Says every problem of p on stdout (--check-config), or in the log at
 * level error (a start: fp is stderr). */
static void
problems_print(const inn_problems *p, FILE *fp, const char *prefix)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (fp == stderr)
			inn_log(INN_LOG_ERROR, "%s%s", prefix, p->v[i]);
		else
			fprintf(fp, "%s%s\n", prefix, p->v[i]);
}

/* The config file (its server: section), the environment and the flags
 * into srv->cfg and srv->policy; problems into p (a config that cannot be
 * parsed is one).  0, or -1 when there is no policy at all. */
static int
load_config(inn_server *srv, inn_problems *p)
{
	inn_server_config *c = &srv->cfg;
	const char *file;
	int missing_ok;

	if (getcwd(start_cwd, sizeof(start_cwd)) == NULL) {
		inn_problem_add(p, "cannot read the current folder: %s", strerror(errno));
		return -1;
	}
	file = inn_settings_abs_path(start_cwd, inn_settings_config_file(given, &missing_ok));
	/* a folder, a FIFO or a device is no config (a FIFO would hang the read) */
	if (file != NULL && access(file, F_OK) == 0 && !inn_settings_regular_file(file)) {
		struct stat st;

		inn_problem_add(p, "%s: %s", file, stat(file, &st) == 0 && S_ISDIR(st.st_mode) ?
		                "is a directory" : "not a regular file");
		return -1;
	}
	if (inn_policy_load(&srv->policy, file, missing_ok) != 0) {
		/* "N problems in FILE:" then one a line: each its own problem, so
		 * that the count is the number of lines said */
		const char *e = inn_error_last(), *nl;
		int skip = strstr(e, " problems in ") != NULL && strchr(e, '\n') != NULL;

		for (; *e != '\0'; e = *nl != '\0' ? nl + 1 : nl) {
			nl = e + strcspn(e, "\n");
			if (skip) {
				skip = 0;
				/* a start says it as the header it is; a check counts lines */
				if (!checking)
					inn_problem_add(p, "%.*s", (int)(nl - e), e);
				continue;
			}
			if (nl > e)
				inn_problem_add(p, "%.*s", (int)(nl - e), e);
		}
		return -1;
	}
	c->config_file = srv->policy->file != NULL ? file : NULL;
	/* an empty file (or /dev/null, the usual "no config"): every setting
	 * its default, said unless it is /dev/null */
	if (srv->policy->file != NULL && (srv->policy->doc == NULL ||
	    srv->policy->doc->root == NULL) && strcmp(file, "/dev/null") != 0)
		inn_log(INN_LOG_WARN, "%s: warning: the file is empty: every setting has its "
		        "default", file);
	inn_settings_load(c, srv->policy, given, start_cwd, p);
	return 0;
}

/* --check-config: every problem, then their count (exit 1), or a summary
 * (exit 0). */
static int
check_config(inn_server *srv, inn_problems *p)
{
	char summary[1024];
	inn_problems warn = { NULL, 0 };

	if (srv->policy != NULL)
		inn_check_config(&srv->cfg, srv->policy, p, &warn, summary, sizeof(summary));
	/* warnings: what a start says and goes on with */
	problems_print(&warn, stdout, "");
	if (p->n > 0) {
		problems_print(p, stdout, "");
		printf("%zu problem(s)%s\n", p->n, warn.n > 0 ? " (and the warnings above)" : "");
		inn_problems_free(&warn);
		return 1;
	}
	printf("config OK%s: %s\n", warn.n > 0 ? " (with the warnings above)" : "", summary);
	inn_problems_free(&warn);
	return 0;
}

int
main(int argc, char **argv)
{
	static inn_server srv;
	inn_server_config *c = &srv.cfg;
	inn_actions act;
	inn_problems probs = { NULL, 0 };
	char shown[512];
	int rc = 1, w, runs_init = 0;

	if ((w = inn_worker_maybe_main(argc, argv)) >= 0)
		return w;
	/* two malloc arenas, not eight per core: the request and runner
	 * threads share them (an idle server keeps a small resident set) */
	mallopt(M_ARENA_MAX, 2);
	signal(SIGPIPE, SIG_IGN);
	inn_settings_defaults(c);
	if ((w = inn_settings_parse_argv(argc, argv, &act, &given)) >= 0)
		return w;
	/* a start's every line, its fatal ones too, with a time and a level
	 * (the one-shot actions print plain text for a terminal) */
	if (!act.check_config && !act.migrate && act.create_key == NULL)
		inn_log_init();
	checking = act.check_config;
	w = load_config(&srv, &probs);
	if (act.check_config) {
		rc = check_config(&srv, &probs);
		goto early;
	}
	/* a start that would miss a configured provider folder does not serve */
	if (w == 0 && probs.n == 0 && !act.migrate && act.create_key == NULL &&
	    inn_check_provider_folders(c, srv.policy, &probs) > 0)
		inn_problem_add(&probs, "not starting: a configured provider folder is missing");
	/* what would fail later, found before a store is created */
	if (w == 0 && probs.n == 0 && !act.migrate && act.create_key == NULL) {
		inn_problems warn = { NULL, 0 };
		size_t i;

		inn_check_keys(srv.policy, &probs, &warn);
		for (i = 0; i < warn.n; i++)
			inn_log(INN_LOG_WARN, "innominatus: %s", warn.v[i]);
		inn_problems_free(&warn);
		make_store_folder(c);
		inn_check_start(c, &probs);
	}
	if (probs.n > 0) {
		size_t i;

		problems_print(&probs, stderr, "innominatus: ");
		for (i = 0, rc = 3; i < probs.n; i++)
			if (strncmp(probs.v[i], "--", 2) == 0)
				rc = 2;        /* a bad command line */
		goto early;
	}
	inn_settings_prepare_home(c);
	/* git credentials out of the environment before any worker or step exists */
	inn_conf_hide_secrets(srv.policy);
	if (open_store(&srv) != 0) {
		rc = 3;
		goto early;
	}
	if (act.migrate) {
		rc = migrate_report(&srv);
		inn_store_close(srv.store);
		goto early;
	}
	if (act.create_key != NULL) {
		rc = create_admin_key(&srv, act.create_key);
		inn_store_close(srv.store);
		goto early;
	}
	/* the admin config's secrets, read and out of the environment before
	 * any worker or step exists (creating a key needs none of them) */
	if (read_secrets(&srv) != 0) {
		rc = 3;
		goto out;
	}
	/* this replica on record (SQLite: the file is this process's) */
	if (inn_cluster_start(&srv) != 0) {
		inn_log(INN_LOG_ERROR, "innominatus: %s", inn_error_last());
		rc = 3;
		goto out;
	}
	if (start_engine(&srv, start_cwd) != 0)
		goto out;
	pthread_mutex_init(&srv.submit_lock, NULL);
	pthread_mutex_init(&srv.runs_lock, NULL);
	pthread_mutex_init(&srv.reap_lock, NULL);
	pthread_cond_init(&srv.runs_cond, NULL);
	srv.max_concurrent = srv.policy->max_concurrent;
	runs_init = 1;
	/* before anything is served: the store tells the truth from the first request */
	{
		int rec = inn_runs_recover(&srv);

		if (rec > 0)
			inn_log(INN_LOG_WARN, "innominatus: %d execution(s) were left unfinished by the "
			        "previous process: resumed (nothing ran yet, or all steps idempotent) "
			        "or failed", rec);
	}
	if (start_serving(&srv) != 0 || inn_cluster_serve(&srv) != 0)
		goto out;
	inn_runs_begin(&srv);
	atomic_store(&srv.ready, 1);
	inn_log(INN_LOG_INFO, "innominatus %s: listening on http://%s:%d (store %s, %zu plugins, %zu "
	        "providers, %zu golden paths) ready in %lld ms", PACKAGE_VERSION,
	        c->listen_host, c->listen_port,
	        inn_store_url_redact(c->db_path, shown, sizeof(shown)), srv.registry->nplugins,
	        srv.catalog->nproviders, srv.catalog->ngoldenpaths,
	        (long long)(inn_wall_ms() - srv.started_ms));
	inn_notify("READY=1\nSTATUS=serving %zu providers, %zu golden paths on %s:%d",
	           srv.catalog->nproviders, srv.catalog->ngoldenpaths, c->listen_host,
	           c->listen_port);
	event_base_dispatch(srv.base);
	/* the drain thread stopped the loop when it was done */
	if (srv.drain_started)
		pthread_join(srv.drain_thread, NULL);
	else
		inn_runs_drain(&srv, c->shutdown_grace_s);
	inn_log(INN_LOG_INFO, "innominatus: stopped after draining %d run(s)",
	        atomic_load(&drained));
	runs_init = 0;
	rc = 0;
out:
	if (runs_init)
		inn_runs_drain(&srv, 0); /* frees what recovery queued; it stays pending */
	inn_cluster_stop(&srv);
	stop_all(&srv);
	inn_given_free(given);
	inn_problems_free(&probs);
	inn_log_end();
	return rc;
early:
	inn_policy_free(srv.policy);
	inn_settings_free_strings();
	inn_given_free(given);
	inn_problems_free(&probs);
	return rc;
}
