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
#include "providers_conf.h"
#include "secret_file.h"
#include "server.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: innominatus [options]\n"
	    "  --config FILE          admin config; its server: section sets the options below\n"
	    "  --listen HOST:PORT     where to serve (default 127.0.0.1:8081; port 0 = any)\n"
	    "  --db PATH|URL          the store: a SQLite file, created on first start (default\n"
	    "                         ./innominatus.db), or postgres://[user@]host[:port]/db (no\n"
	    "                         password here: PGPASSWORD, PGPASSFILE or the option below)\n"
	    "  --db-password-file FILE  the database password: FILE's first line (mode 0600)\n"
	    "  --migrate              apply the store's pending migrations, print its schema\n"
	    "                         version before and after, and exit (nothing is served)\n"
	    "  --secret-key-file FILE the key that seals secret inputs at rest (default: <db>.key\n"
	    "                         beside a SQLite store; a PostgreSQL store needs one, the\n"
	    "                         same file on every replica)\n"
	    "  --plugin-dir DIR       plugin directory (default %s)\n"
	    "  --providers DIR        provider folder or folder of them (repeatable; default: the\n"
	    "                         config's providers: key, else ./providers)\n"
	    "  --goldenpaths FILE     golden paths (default ./workflows/goldenpaths.yaml if present)\n"
	    "  --state-dir DIR        where plugins keep state between runs (default ./state)\n"
	    "  --workers N            most plugin worker processes, started on demand (default 64)\n"
	    "  --lease DURATION       replica lease on a shared store: 1s to 1h (default 15s;\n"
	    "                         e.g. \"3s\", \"1500ms\", \"2m\")\n"
	    "  --create-admin-key NAME  print a new admin API key for NAME once, and exit\n"
	    "  --version, -h/--help\n",
	    INN_PLUGIN_DIR);
}


static int
parse_listen(inn_server_config *c, const char *v, char *hostbuf, size_t len)
{
	const char *colon = strrchr(v, ':');
	char *end;
	long port;

	if (colon == NULL || colon == v || (size_t)(colon - v) >= len)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535)
		return -1;
	memcpy(hostbuf, v, (size_t)(colon - v));
	hostbuf[colon - v] = '\0';
	c->listen_host = hostbuf;
	c->listen_port = (int)port;
	return 0;
}

/* Paths the config names are absolute once loaded: a relative one in the
 * config file is relative to the file's folder (like providers[]), one
 * given as a flag or left at its default is relative to the cwd at start.
 * A step runs in its own workspace, so a relative state dir would point
 * nowhere.  The strings live until exit. */
#define MAX_ABS_PATHS (16 + 2 * INN_MAX_PROVIDER_DIRS)
static char *abs_paths[MAX_ABS_PATHS];
static int nabs_paths;

/* Folder of file as an absolute path into buf (the cwd when it has none). */
static int
file_folder_as_given(const char *file, char *buf, size_t len)
{
	char cwd[4096];
	const char *slash = file != NULL ? strrchr(file, '/') : NULL;
	size_t n;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	if (slash == NULL)
		return (size_t)snprintf(buf, len, "%s", cwd) >= len ? -1 : 0;
	n = (size_t)(slash - file);
	if (file[0] == '/')
		return (size_t)snprintf(buf, len, "%.*s", (int)(n ? n : 1), file) >= len ? -1 : 0;
	return (size_t)snprintf(buf, len, "%s/%.*s", cwd, (int)n, file) >= len ? -1 : 0;
}

/* Folder of file as an absolute path into buf (the cwd when it has none),
 * without symlinks or ".." when it exists. */
static int
file_folder(const char *file, char *buf, size_t len)
{
	char real[PATH_MAX];
	int rc;

	if ((rc = file_folder_as_given(file, buf, len)) == 0 && realpath(buf, real) != NULL)
		rc = (size_t)snprintf(buf, len, "%s", real) >= len ? -1 : 0;
	return rc;
}

/* 1 when p is a "scheme://..." URL other than sqlite's (a database
 * server's address, not a path). */
static int
is_db_url(const char *p)
{
	size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz");

	return n > 0 && strncmp(p + n, "://", 3) == 0 && strncmp(p, "sqlite:", 7) != 0;
}

/* p made absolute against base (an absolute folder); p itself when it is
 * absolute, NULL, ":memory:", a database URL or cannot be joined.  A
 * "sqlite:" prefix stays. */
static const char *
abs_path(const char *base, const char *p)
{
	const char *rest = p, *pre = "";
	char buf[8192];

	if (p == NULL || base == NULL || nabs_paths >= MAX_ABS_PATHS || is_db_url(p))
		return p;
	if (strncmp(rest, "sqlite:", 7) == 0) {
		rest += 7;
		pre = "sqlite:";
	}
	if (rest[0] == '/' || rest[0] == '\0' || strcmp(rest, ":memory:") == 0)
		return p;
	while (rest[0] == '.' && rest[1] == '/')
		for (rest += 2; *rest == '/'; rest++)
			;
	if (strcmp(rest, ".") == 0 || *rest == '\0')
		rest = "";
	if ((size_t)snprintf(buf, sizeof(buf), "%s%s%s%s", pre, base,
	                     *rest && strcmp(base, "/") != 0 ? "/" : "", rest) >= sizeof(buf) ||
	    (abs_paths[nabs_paths] = strdup(buf)) == NULL)
		return p;
	return abs_paths[nabs_paths++];
}

/* abs_path(), then without symlinks or ".." when the path exists. */
static const char *
real_path(const char *base, const char *p)
{
	char real[PATH_MAX], *dup;
	const char *a = abs_path(base, p);

	if (a == NULL || a[0] != '/' || realpath(a, real) == NULL || strcmp(real, a) == 0 ||
	    (dup = strdup(real)) == NULL)
		return a;
	if (a != p && nabs_paths > 0 && abs_paths[nabs_paths - 1] == a) {
		free(abs_paths[nabs_paths - 1]);    /* replace the joined one */
		abs_paths[nabs_paths - 1] = dup;
		return dup;
	}
	if (nabs_paths >= MAX_ABS_PATHS) {
		free(dup);
		return a;
	}
	abs_paths[nabs_paths++] = dup;
	return dup;
}

static void
abs_paths_free(void)
{
	while (nabs_paths > 0)
		free(abs_paths[--nabs_paths]);
}

/* The server: settings that are paths (relative to the config's folder)
 * and plain numbers, by their place in inn_server_config. */
static const struct {
	const char *key;
	size_t off;
} path_settings[] = {
	{ "db", offsetof(inn_server_config, db_path) },
	{ "dbPasswordFile", offsetof(inn_server_config, db_password_file) },
	{ "pluginDir", offsetof(inn_server_config, plugin_dir) },
	{ "stateDir", offsetof(inn_server_config, state_dir) },
	{ "secretKeyFile", offsetof(inn_server_config, secret_key_file) },
	{ "goldenpaths", offsetof(inn_server_config, goldenpaths) },
}, int_settings[] = {
	{ "workers", offsetof(inn_server_config, workers) },
	{ "maxConnections", offsetof(inn_server_config, max_connections) },
	{ "maxConnectionsPerClient", offsetof(inn_server_config, max_connections_per_client) },
	{ "timeoutSeconds", offsetof(inn_server_config, timeout_s) },
	{ "headerTimeoutSeconds", offsetof(inn_server_config, header_timeout_s) },
	{ "shutdownGraceSeconds", offsetof(inn_server_config, shutdown_grace_s) },
};

#define LEASE_MAX_MS (3600 * 1000)

/* server.replicaLease, --lease: a duration from INN_LEASE_MIN_MS to
 * LEASE_MAX_MS.  0, or INN_EINVAL saying which rule v breaks (c
 * unchanged). */
static int
lease_parse(inn_server_config *c, const char *v)
{
	char shape[128];
	size_t i, n = 0;
	int64_t ms;

	if (inn_parse_duration_ms(v, &ms) != 0) {
		/* every number made 1: a duration then is one too long to parse */
		for (i = 0; v[i] != '\0' && n + 1 < sizeof(shape); i++)
			if (!isdigit((unsigned char)v[i]) || i == 0 || !isdigit((unsigned char)v[i - 1]))
				shape[n++] = isdigit((unsigned char)v[i]) ? '1' : v[i];
		shape[n] = '\0';
		if (v[i] == '\0' && inn_parse_duration_ms(shape, &ms) == 0)
			return inn_error_set(INN_EINVAL, "\"%s\" is too long: a lease is at most 1h",
			                     v);
		return inn_error_set(INN_EINVAL, "\"%s\" is not a duration (e.g. \"3s\", \"2m\")",
		                     v);
	}
	if (ms < INN_LEASE_MIN_MS)
		return inn_error_set(INN_EINVAL, "\"%s\" is too short: a lease is at least 1s", v);
	if (ms > LEASE_MAX_MS)
		return inn_error_set(INN_EINVAL, "\"%s\" is too long: a lease is at most 1h", v);
	c->lease_ms = (int)ms;
	return 0;
}

/* Values from the config's server: section (flags given later override). */
static void
config_server_section(inn_server_config *c, const inn_policy *pol, char *hostbuf, size_t len)
{
	const inn_ynode *s, *v;
	char dir[4096];
	const char *base;
	size_t i;

	if (pol == NULL || pol->doc == NULL)
		return;
	base = pol->file != NULL && file_folder(pol->file, dir, sizeof(dir)) == 0 ? dir : NULL;
	if ((s = inn_ymap_get(pol->doc->root, "server")) == NULL || s->kind != INN_Y_MAP)
		return;
	if ((v = inn_ymap_get(s, "listen")) && inn_ynode_is_scalar(v) &&
	    parse_listen(c, v->value, hostbuf, len) != 0)
		fprintf(stderr, "innominatus: %s:%d: server.listen \"%s\" is not HOST:PORT; "
		        "ignored\n", pol->file, v->line, v->value);
	for (i = 0; i < sizeof(path_settings) / sizeof(path_settings[0]); i++)
		if ((v = inn_ymap_get(s, path_settings[i].key)) && inn_ynode_is_scalar(v))
			*(const char **)((char *)c + path_settings[i].off) = real_path(base, v->value);
	for (i = 0; i < sizeof(int_settings) / sizeof(int_settings[0]); i++)
		if ((v = inn_ymap_get(s, int_settings[i].key)) && inn_ynode_is_scalar(v))
			*(int *)((char *)c + int_settings[i].off) = (int)strtol(v->value, NULL, 10);
	if ((v = inn_ymap_get(s, "replicaLease")) && inn_ynode_is_scalar(v) &&
	    lease_parse(c, v->value) != 0)
		fprintf(stderr, "innominatus: %s:%d: server.replicaLease %s; using %d ms\n",
		        pol->file, v->line, inn_error_last(), c->lease_ms);
	if ((v = inn_ymap_get(s, "maxBodyBytes")) && inn_ynode_is_scalar(v))
		c->max_body = (size_t)strtoull(v->value, NULL, 10);
	if ((v = inn_ymap_get(s, "maxQueuedExecutions")) && inn_ynode_is_scalar(v)) {
		char *end;
		long n = strtol(v->value, &end, 10);

		if (end == v->value || *end != '\0' || n < 1 || n > 1000000)
			fprintf(stderr, "innominatus: %s:%d: server.maxQueuedExecutions \"%s\" is not "
			        "a number from 1 to 1000000; using %d\n", pol->file, v->line, v->value,
			        c->max_queued);
		else
			c->max_queued = (int)n;
	}
	if ((v = inn_ymap_get(s, "maxQueuedBytes")) && inn_ynode_is_scalar(v)) {
		char *end;
		unsigned long long n = strtoull(v->value, &end, 10);

		if (end == v->value || *end != '\0' || v->value[0] == '-' || n < 65536 ||
		    n > (unsigned long long)SIZE_MAX / 2)
			fprintf(stderr, "innominatus: %s:%d: server.maxQueuedBytes \"%s\" is not a "
			        "number of bytes from 65536; using %zu\n", pol->file, v->line,
			        v->value, c->max_queued_bytes);
		else
			c->max_queued_bytes = (size_t)n;
	}
}

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
		fprintf(stderr, "innominatus: %s: already draining\n",
		        sig == SIGTERM ? "SIGTERM" : "SIGINT");
		return;
	}
	fprintf(stderr, "innominatus: %s: draining (no new executions, queued ones stay pending "
	        "for the next start; running ones get %d s)\n",
	        sig == SIGTERM ? "SIGTERM" : "SIGINT", srv->cfg.shutdown_grace_s);
	if (pthread_create(&srv->drain_thread, NULL, drain_main, srv) == 0)
		srv->drain_started = 1;
	else
		event_base_loopbreak(srv->base); /* drained after the loop, without HTTP */
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
	if (path == NULL && is_db_url(db)) {
		fprintf(stderr, "innominatus: a store on a database server needs "
		        "server.secretKeyFile (or --secret-key-file FILE): every replica must "
		        "seal secret inputs with the same key\n");
		return -1;
	}
	if (path == NULL && strcmp(db, ":memory:") != 0) {
		if ((size_t)snprintf(buf, sizeof(buf), "%s.key", db) >= sizeof(buf)) {
			fprintf(stderr, "innominatus: the store path is too long for its key file\n");
			return -1;
		}
		path = buf;
	}
	if (inn_secretbox_open(&srv->secretbox, path) != 0) {
		fprintf(stderr, "innominatus: %s\n", inn_error_last());
		return -1;
	}
	return 0;
}

static int
is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* What the command line asked for (flags override the config file). */
struct flags {
	const char *create_key, *listen, *db, *plugins, *gp, *state, *lease;
	const char *db_password_file, *secret_key_file;
	const char *providers[INN_MAX_PROVIDER_DIRS];
	int nproviders, workers;
	int migrate;                   /* --migrate: migrate the store and exit */
};

/* Where server.listen and --listen leave the host (c->listen_host). */
static char listen_host[256], listen_host_flag[256];

/* The daemon's defaults, before the config file and the flags. */
static void
config_defaults(inn_server_config *c)
{
	c->listen_host = "127.0.0.1";
	c->listen_port = 8081;
	c->db_path = "innominatus.db";
	c->plugin_dir = INN_PLUGIN_DIR;
	c->state_dir = "state";
	c->workers = 64;
	c->max_body = 1024 * 1024;
	c->max_headers_size = 16 * 1024;
	c->max_connections = 1024;
	c->max_connections_per_client = 256;
	c->timeout_s = 60;
	c->header_timeout_s = 10;
	c->shutdown_grace_s = 30;
	c->max_queued = 1000;
	c->max_queued_bytes = 64 * 1024 * 1024;
}

/* Reads the command line into f (and --config into c).  Returns -1 to go
 * on, or the exit status (0 after --help or --version, 2 for a bad flag). */
static int
parse_flags(int argc, char **argv, inn_server_config *c, struct flags *f)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--version") == 0) {
			printf("innominatus %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
			       INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR);
			return 0;
		}
		if (strcmp(a, "--migrate") == 0) {
			f->migrate = 1;
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "innominatus: %s needs a value (see --help)\n", a);
			return 2;
		}
		if (strcmp(a, "--config") == 0)
			c->config_file = v;
		else if (strcmp(a, "--listen") == 0)
			f->listen = v;
		else if (strcmp(a, "--db") == 0)
			f->db = v;
		else if (strcmp(a, "--db-password-file") == 0)
			f->db_password_file = v;
		else if (strcmp(a, "--secret-key-file") == 0)
			f->secret_key_file = v;
		else if (strcmp(a, "--plugin-dir") == 0)
			f->plugins = v;
		else if (strcmp(a, "--providers") == 0 && f->nproviders < INN_MAX_PROVIDER_DIRS)
			f->providers[f->nproviders++] = v;
		else if (strcmp(a, "--goldenpaths") == 0)
			f->gp = v;
		else if (strcmp(a, "--state-dir") == 0)
			f->state = v;
		else if (strcmp(a, "--workers") == 0)
			f->workers = (int)strtol(v, NULL, 10);
		else if (strcmp(a, "--create-admin-key") == 0)
			f->create_key = v;
		else if (strcmp(a, "--lease") == 0)
			f->lease = v;
		else {
			fprintf(stderr, "innominatus: unknown option %s (see --help)\n", a);
			return 2;
		}
		i++;
	}
	return -1;
}

/* A config file whose server.db holds a password must be private, the
 * password file's rule (inn_secret_file_check).  0, or -1 (said). */
static int
config_password_check(const inn_policy *pol, const char *db)
{
	struct stat st;
	int rc;

	if (pol == NULL || pol->file == NULL || db == NULL || !inn_store_url_has_password(db))
		return 0;
	if (stat(pol->file, &st) != 0)
		rc = inn_error_set(INN_ERROR, "%s", strerror(errno));
	else
		rc = inn_secret_file_check(&st, pol->file);
	if (rc == 0)
		return 0;
	fprintf(stderr, "innominatus: config file %s holds a password in server.db: %s; or "
	        "name a password file in server.dbPasswordFile\n", pol->file, inn_error_last());
	return -1;
}

/* The config file (its server: section), then the flags over it, every
 * path made absolute against cwd (the config's own against its folder).
 * Returns -1 to go on, or the exit status (2, 3). */
static int
load_config(inn_server *srv, struct flags *f, char *cwd, size_t cwdlen)
{
	inn_server_config *c = &srv->cfg;
	int i;

	if (getcwd(cwd, cwdlen) == NULL) {
		fprintf(stderr, "innominatus: cannot read the current folder: %s\n", strerror(errno));
		return 3;
	}
	/* config file first, flags override */
	c->config_file = real_path(cwd, c->config_file);
	if (c->config_file != NULL) {
		if (inn_policy_load(&srv->policy, c->config_file, 0) != 0) {
			fprintf(stderr, "innominatus: %s\n", inn_error_last());
			return 3;
		}
	} else if (inn_policy_load(&srv->policy, "admin-config.yaml", 1) != 0) {
		fprintf(stderr, "innominatus: %s\n", inn_error_last());
		return 3;
	}
	config_server_section(c, srv->policy, listen_host, sizeof(listen_host));
	if (f->listen != NULL && parse_listen(c, f->listen, listen_host_flag, sizeof(listen_host_flag)) != 0) {
		fprintf(stderr, "innominatus: --listen takes HOST:PORT, not \"%s\"\n", f->listen);
		return 2;
	}
	if (f->db) {
		/* the command line is in every user's process list */
		if (inn_store_url_argv_check(f->db) != 0) {
			fprintf(stderr, "innominatus: --db: %s\n", inn_error_last());
			return 2;
		}
		c->db_path = f->db;
	} else if (config_password_check(srv->policy, c->db_path) != 0) {
		return 3;
	}
	if (f->db_password_file)
		c->db_password_file = f->db_password_file;
	if (f->secret_key_file)
		c->secret_key_file = f->secret_key_file;
	if (f->plugins)
		c->plugin_dir = f->plugins;
	if (f->gp)
		c->goldenpaths = f->gp;
	if (f->state)
		c->state_dir = f->state;
	if (f->workers > 0)
		c->workers = f->workers;
	if (f->lease != NULL && lease_parse(c, f->lease) != 0) {
		fprintf(stderr, "innominatus: --lease: %s\n", inn_error_last());
		return 2;
	}
	/* flags and defaults are relative to the cwd (the config's own to its folder) */
	c->db_path = real_path(cwd, c->db_path);
	c->plugin_dir = real_path(cwd, c->plugin_dir);
	c->state_dir = real_path(cwd, c->state_dir);
	c->secret_key_file = real_path(cwd, c->secret_key_file);
	c->db_password_file = real_path(cwd, c->db_password_file);
	c->goldenpaths = real_path(cwd, c->goldenpaths);
	for (i = 0; i < f->nproviders; i++)
		f->providers[i] = real_path(cwd, f->providers[i]);
	return -1;
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
		fprintf(stderr, "innominatus: %s\n", inn_error_last());
		return -1;
	}
	if (env != NULL && is_db_url(srv->cfg.db_path)) {
		if (password == NULL && *env != '\0' && (password = strdup(env)) == NULL) {
			fprintf(stderr, "innominatus: out of memory\n");
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
		fprintf(stderr, "innominatus: %s\n", inn_error_last());
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
		fprintf(stderr, "innominatus: %s\n", inn_error_last());
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
		fprintf(stderr, "innominatus: %s\n", inn_error_last());
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
		fprintf(stderr, "innominatus: %s\n", inn_error_last());
		return -1;
	}
	json_object_object_foreach(bad, k, v) {
		(void)k;
		fprintf(stderr, "innominatus: %s\n", json_object_get_string(v));
		n++;
	}
	json_object_put(bad);
	if (n > 0) {
		fprintf(stderr, "innominatus: %d secret%s of the admin config cannot be read: not "
		        "starting\n", n, n == 1 ? "" : "s");
		return -1;
	}
	if (srv->policy->nsecrets > 0)
		fprintf(stderr, "innominatus: %zu secret%s read from the admin config\n",
		        srv->policy->nsecrets, srv->policy->nsecrets == 1 ? "" : "s");
	return 0;
}

/* The secret box, plugins, the catalog (providers.c) and the engine;
 * problems are said on stderr.  0, or -1. */
static int
start_engine(inn_server *srv, const struct flags *f, const char *cwd)
{
	inn_server_config *c = &srv->cfg;
	inn_engine_opts eo;
	char shown[512];
	int i, w;

	if (open_secretbox(srv) != 0)
		return -1;
	srv->started_ms = inn_wall_ms();
	if (inn_registry_load(&srv->registry, c->plugin_dir, srv->policy, inn_host_table()) != 0) {
		fprintf(stderr, "innominatus: %s\n", inn_error_last());
		return -1;
	}
	for (i = 0; i < (int)srv->registry->nrefused; i++)
		fprintf(stderr, "innominatus: plugin %s refused: %s\n", srv->registry->refused[i].file,
		        srv->registry->refused[i].reason);
	for (i = 0; i < (int)srv->registry->nnotes; i++)
		fprintf(stderr, "innominatus: note: %s\n", srv->registry->notes[i]);
	for (i = 0; i < f->nproviders; i++)
		c->providers[c->nproviders++] = f->providers[i];
	if (c->goldenpaths == NULL && is_file("workflows/goldenpaths.yaml"))
		c->goldenpaths = abs_path(cwd, "workflows/goldenpaths.yaml");
	fprintf(stderr, "innominatus: config %s; store %s; plugins %s; state %s; golden paths %s\n",
	        c->config_file ? c->config_file : "(none)",
	        inn_store_url_redact(c->db_path, shown, sizeof(shown)), c->plugin_dir,
	        c->state_dir, c->goldenpaths ? c->goldenpaths : "(none)");
	inn_diag_init(&srv->diag);
	/* the config's providers, then the sources added over the API */
	w = inn_providers_start(srv);
	inn_diag_print(&srv->diag, stderr, "innominatus: ");
	if (w != 0) {
		fprintf(stderr, "innominatus: the catalog could not be loaded\n");
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
		fprintf(stderr, "innominatus: %s\n", inn_error_last());
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
		fprintf(stderr, "innominatus: %s\n", inn_error_last());
		return -1;
	}
	srv->on_event = inn_sse_publish;
	inn_api_register(srv);
	srv->sigterm = evsignal_new(srv->base, SIGTERM, on_signal, srv);
	srv->sigint = evsignal_new(srv->base, SIGINT, on_signal, srv);
	event_add(srv->sigterm, NULL);
	event_add(srv->sigint, NULL);
	srv->reaper = event_new(srv->base, -1, EV_PERSIST, on_reap, srv);
	if (srv->reaper != NULL) {
		struct timeval tv = { REAP_INTERVAL_S, 0 };

		event_add(srv->reaper, &tv);
	}
	return 0;
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
	abs_paths_free();
}

int
main(int argc, char **argv)
{
	static inn_server srv;
	inn_server_config *c = &srv.cfg;
	struct flags f;
	char cwd[4096], shown[512];
	int rc = 1, w, runs_init = 0;

	if ((w = inn_worker_maybe_main(argc, argv)) >= 0)
		return w;
	/* two malloc arenas, not eight per core: the request and runner
	 * threads share them (an idle server keeps a small resident set) */
	mallopt(M_ARENA_MAX, 2);
	signal(SIGPIPE, SIG_IGN);
	config_defaults(c);
	memset(&f, 0, sizeof(f));
	if ((w = parse_flags(argc, argv, c, &f)) >= 0 ||
	    (w = load_config(&srv, &f, cwd, sizeof(cwd))) >= 0)
		return w;
	/* git credentials out of the environment before any worker or step exists */
	inn_conf_hide_secrets(srv.policy);
	if (open_store(&srv) != 0) {
		inn_policy_free(srv.policy);
		abs_paths_free();
		return 3;
	}
	if (f.migrate) {
		rc = migrate_report(&srv);
		inn_store_close(srv.store);
		inn_policy_free(srv.policy);
		abs_paths_free();
		return rc;
	}
	if (f.create_key != NULL) {
		rc = create_admin_key(&srv, f.create_key);
		inn_store_close(srv.store);
		if (rc == 0)
			inn_policy_free(srv.policy);
		return rc;
	}
	/* the admin config's secrets, read and out of the environment before
	 * any worker or step exists (creating a key needs none of them) */
	if (read_secrets(&srv) != 0) {
		rc = 3;
		goto out;
	}
	/* this replica on record (SQLite: the file is this process's) */
	if (inn_cluster_start(&srv) != 0) {
		fprintf(stderr, "innominatus: %s\n", inn_error_last());
		rc = 3;
		goto out;
	}
	if (start_engine(&srv, &f, cwd) != 0)
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
			fprintf(stderr, "innominatus: %d execution(s) were left unfinished by the "
			        "previous process: resumed (nothing ran yet, or all steps idempotent) "
			        "or failed\n", rec);
	}
	if (start_serving(&srv) != 0 || inn_cluster_serve(&srv) != 0)
		goto out;
	inn_runs_begin(&srv);
	atomic_store(&srv.ready, 1);
	fprintf(stderr, "innominatus %s: listening on http://%s:%d (store %s, %zu plugins, %zu "
	        "providers, %zu golden paths) ready in %lld ms\n", PACKAGE_VERSION,
	        c->listen_host, c->listen_port,
	        inn_store_url_redact(c->db_path, shown, sizeof(shown)), srv.registry->nplugins,
	        srv.catalog->nproviders, srv.catalog->ngoldenpaths,
	        (long long)(inn_wall_ms() - srv.started_ms));
	event_base_dispatch(srv.base);
	/* the drain thread stopped the loop when it was done */
	if (srv.drain_started)
		pthread_join(srv.drain_thread, NULL);
	else
		inn_runs_drain(&srv, c->shutdown_grace_s);
	runs_init = 0;
	rc = 0;
out:
	if (runs_init)
		inn_runs_drain(&srv, 0); /* frees what recovery queued; it stays pending */
	inn_cluster_stop(&srv);
	stop_all(&srv);
	return rc;
}
