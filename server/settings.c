/*
 * settings.c - the daemon's settings table (settings.h) and the three
 * layers read from it over the compiled-in defaults: the config file's
 * server: section, the environment (INNOMINATUS_*), the flags.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cluster.h"
#include "duration.h"
#include "error.h"
#include "registry.h"
#include "secret_file.h"
#include "settings.h"
#include "store.h"

#ifndef INN_SYSCONFDIR
#define INN_SYSCONFDIR "/etc"
#endif
#ifndef INN_LOCALSTATEDIR
#define INN_LOCALSTATEDIR "/var"
#endif
/* An install serves without flags: its config, its store and state. */
#define INN_CONFIG_DEFAULT INN_SYSCONFDIR "/innominatus/innominatus.yaml"
#define INN_STATE_HOME INN_LOCALSTATEDIR "/lib/innominatus"

#define LEASE_MAX_MS (3600 * 1000)

enum set_type {
	T_CONFIG,       /* the config file itself (no server: key) */
	T_FOLDERS,      /* provider folders: the flag repeats, the variable has a:b */
	T_LISTEN, T_STORE, T_PATH, T_INT, T_BYTES, T_LEASE, T_BOOL
};

static const char *const type_names[] = {
	"path", "paths", "host:port", "store", "path", "integer", "bytes", "duration", "boolean"
};

struct setting {
	const char *key;        /* dotted path in the config file, or NULL */
	const char *flag;       /* without "--" */
	const char *env;
	const char *arg;        /* the value's name in --help */
	enum set_type type;
	const char *def;        /* as --help shows it; NULL: none */
	long long min, max;     /* T_INT, T_BYTES */
	size_t off;             /* into inn_server_config (T_PATH, T_STORE, T_INT, T_BYTES, T_BOOL) */
	const char *help;
};

#define OFF(f) offsetof(inn_server_config, f)

static const struct setting settings[] = {
	{ NULL, "config", "INNOMINATUS_CONFIG", "FILE", T_CONFIG, INN_CONFIG_DEFAULT, 0, 0, 0,
	  "the config file: the admin config with a server: section (default: the installed "
	  "one when it exists, else ./admin-config.yaml when it exists)" },
	{ "server.listen", "listen", "INNOMINATUS_LISTEN", "HOST:PORT", T_LISTEN,
	  "127.0.0.1:8081", 0, 0, 0, "where to serve the API (port 0: any free port)" },
	{ "server.db", "db", "INNOMINATUS_DB", "PATH|URL", T_STORE, INN_STATE_HOME "/innominatus.db",
	  0, 0, OFF(db_path), "the store: a SQLite file (created on first start) or "
	  "postgres://[user@]host[:port]/db (never a password on the command line)" },
	{ "server.dbPasswordFile", "db-password-file", "INNOMINATUS_DB_PASSWORD_FILE", "FILE",
	  T_PATH, NULL, 0, 0, OFF(db_password_file),
	  "the database password: the file's first line (mode 0600)" },
	{ "server.secretKeyFile", "secret-key-file", "INNOMINATUS_SECRET_KEY_FILE", "FILE",
	  T_PATH, "<db>.key", 0, 0, OFF(secret_key_file),
	  "the key that seals secret inputs at rest (created 0600 beside a SQLite store; a "
	  "PostgreSQL store needs one, the same file on every replica)" },
	{ "server.pluginDir", "plugin-dir", "INNOMINATUS_PLUGIN_DIR", "DIR", T_PATH, INN_PLUGIN_DIR,
	  0, 0, OFF(plugin_dir), "where the plugins (TYPE.so) are loaded from" },
	{ "providers", "providers", "INNOMINATUS_PROVIDERS", "DIR", T_FOLDERS, "./providers", 0, 0,
	  0, "a provider folder or a folder of them, instead of the config's providers: "
	  "(the flag repeats; the variable separates folders with ':')" },
	{ "server.goldenpaths", "goldenpaths", "INNOMINATUS_GOLDENPATHS", "FILE", T_PATH,
	  "./workflows/goldenpaths.yaml", 0, 0, OFF(goldenpaths),
	  "the golden paths file (the default only when it exists)" },
	{ "server.stateDir", "state-dir", "INNOMINATUS_STATE_DIR", "DIR", T_PATH,
	  INN_STATE_HOME "/state", 0, 0, OFF(state_dir),
	  "where plugins keep state between runs, and the providers' git clones" },
	{ "server.workers", "workers", "INNOMINATUS_WORKERS", "N", T_INT, "64", 1, 4096,
	  OFF(workers), "most plugin worker processes, started on demand" },
	{ "server.replicaLease", "lease", "INNOMINATUS_LEASE", "DURATION", T_LEASE, "15s", 0, 0, 0,
	  "a replica's lease on a shared store: 1s to 1h (\"3s\", \"1500ms\", \"2m\")" },
	{ "server.maxBodyBytes", "max-body-bytes", "INNOMINATUS_MAX_BODY_BYTES", "BYTES", T_BYTES,
	  "1048576", 1024, 1LL << 30, OFF(max_body), "the largest request body (413 beyond)" },
	{ "server.maxConnections", "max-connections", "INNOMINATUS_MAX_CONNECTIONS", "N", T_INT,
	  "1024", 1, 1000000, OFF(max_connections), "open connections in all (503 beyond)" },
	{ "server.maxConnectionsPerClient", "max-connections-per-client",
	  "INNOMINATUS_MAX_CONNECTIONS_PER_CLIENT", "N", T_INT, "256", 1, 1000000,
	  OFF(max_connections_per_client), "open connections from one client address" },
	{ "server.maxStreamsPerKey", "max-streams-per-key", "INNOMINATUS_MAX_STREAMS_PER_KEY", "N",
	  T_INT, "16", 0, 1000000, OFF(max_streams_per_key),
	  "event and log streams open with one API key (429 beyond; 0: no limit)" },
	{ "server.timeoutSeconds", "timeout-seconds", "INNOMINATUS_TIMEOUT_SECONDS", "N", T_INT,
	  "60", 1, 86400, OFF(timeout_s), "a connection's read and write timeout" },
	{ "server.headerTimeoutSeconds", "header-timeout-seconds",
	  "INNOMINATUS_HEADER_TIMEOUT_SECONDS", "N", T_INT, "10", 1, 3600, OFF(header_timeout_s),
	  "a request head must be complete this long after its first byte (408)" },
	{ "server.shutdownGraceSeconds", "shutdown-grace-seconds",
	  "INNOMINATUS_SHUTDOWN_GRACE_SECONDS", "N", T_INT, "30", 0, 86400, OFF(shutdown_grace_s),
	  "on SIGTERM, how long running steps may finish before they are cancelled" },
	{ "server.maxQueuedExecutions", "max-queued-executions",
	  "INNOMINATUS_MAX_QUEUED_EXECUTIONS", "N", T_INT, "1000", 1, 1000000, OFF(max_queued),
	  "executions that may wait for a slot (429 beyond)" },
	{ "server.maxQueuedBytes", "max-queued-bytes", "INNOMINATUS_MAX_QUEUED_BYTES", "BYTES",
	  T_BYTES, "67108864", 65536, (long long)(SIZE_MAX / 2 > LLONG_MAX ? LLONG_MAX : SIZE_MAX / 2),
	  OFF(max_queued_bytes), "the parameters and specs the waiting executions may hold" },
	{ "server.accessLog", "access-log", "INNOMINATUS_ACCESS_LOG", "BOOL", T_BOOL, "true", 0, 0,
	  OFF(access_log), "log a line per request (method, path, status, bytes, ms, key)" },
	{ "server.ui", "ui", "INNOMINATUS_UI", "BOOL", T_BOOL, "true", 0, 0, OFF(ui),
	  "serve the web dashboard at / (false: / and /ui/ answer 404)" },
};
#define NSET (sizeof(settings) / sizeof(settings[0]))

/* The flags that are no setting; hidden ones are not in --help. */
static const struct action {
	const char *flag, *arg, *help;
	int hidden;
} actions[] = {
	{ "check-config", NULL, "read the config as a start would, report every problem "
	  "(FILE:LINE: FIELD: MESSAGE) and exit 1, or say \"config OK\" and exit 0; "
	  "nothing is written and nothing is served", 0 },
	{ "migrate", NULL, "apply the store's pending migrations, print its schema version "
	  "before and after, and exit", 0 },
	{ "create-admin-key", "NAME", "print a new admin API key for NAME once, and exit", 0 },
	{ "version", NULL, "print the version and the plugin ABI, and exit", 0 },
	{ "help", NULL, "print this help, and exit (also -h)", 0 },
	{ "list-settings", NULL, "every setting and action, tab-separated (for the man page "
	  "test)", 1 },
};
#define NACT (sizeof(actions) / sizeof(actions[0]))

struct inn_given {
	const char *flag[NSET];        /* the last value each setting's flag had */
	const char *providers[INN_MAX_PROVIDER_DIRS];
	int nproviders;
};

/* ---- problems ---------------------------------------------------------------- */

void
inn_problem_add(inn_problems *p, const char *fmt, ...)
{
	char buf[2048], **v;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((v = realloc(p->v, (p->n + 1) * sizeof(*v))) == NULL)
		return;
	p->v = v;
	if ((p->v[p->n] = strdup(buf)) != NULL)
		p->n++;
}

void
inn_problems_free(inn_problems *p)
{
	while (p->n > 0)
		free(p->v[--p->n]);
	free(p->v);
	p->v = NULL;
}

/* ---- strings kept until exit --------------------------------------------------- */

static char **kept;
static size_t nkept;

static const char *
keep(const char *s)
{
	char **v, *d;

	if ((d = strdup(s)) == NULL || (v = realloc(kept, (nkept + 1) * sizeof(*v))) == NULL) {
		free(d);
		return s;
	}
	kept = v;
	kept[nkept++] = d;
	return d;
}

void
inn_settings_free_strings(void)
{
	while (nkept > 0)
		free(kept[--nkept]);
	free(kept);
	kept = NULL;
}

int
inn_settings_is_db_url(const char *p)
{
	size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz");

	return n > 0 && strncmp(p + n, "://", 3) == 0 && strncmp(p, "sqlite:", 7) != 0;
}

/* p made absolute against base (an absolute folder), without symlinks or
 * ".." when it exists; p itself when it is absolute and not a link,
 * NULL, ":memory:" or a database URL.  A "sqlite:" prefix stays.  A step
 * runs in its own workspace, so a relative path would point nowhere. */
const char *
inn_settings_abs_path(const char *base, const char *p)
{
	const char *rest = p, *pre = "";
	char buf[8192], real[PATH_MAX];

	if (p == NULL || base == NULL || inn_settings_is_db_url(p))
		return p;
	if (strncmp(rest, "sqlite:", 7) == 0) {
		rest += 7;
		pre = "sqlite:";
	}
	if (rest[0] == '\0' || strcmp(rest, ":memory:") == 0)
		return p;
	if (rest[0] != '/') {
		while (rest[0] == '.' && rest[1] == '/')
			for (rest += 2; *rest == '/'; rest++)
				;
		if (strcmp(rest, ".") == 0)
			rest = "";
		if ((size_t)snprintf(buf, sizeof(buf), "%s%s%s", base,
		                     *rest && strcmp(base, "/") != 0 ? "/" : "", rest) >= sizeof(buf))
			return p;
	} else if ((size_t)snprintf(buf, sizeof(buf), "%s", rest) >= sizeof(buf)) {
		return p;
	}
	if (realpath(buf, real) != NULL)
		snprintf(buf, sizeof(buf), "%s", real);
	if (*pre != '\0') {
		char full[8200];

		snprintf(full, sizeof(full), "%s%s", pre, buf);
		return keep(full);
	}
	return strcmp(buf, p) == 0 ? p : keep(buf);
}

/* The folder of file, absolute and resolved, into buf. */
static int
file_folder(const char *file, const char *cwd, char *buf, size_t len)
{
	const char *slash = strrchr(file, '/');
	char tmp[8192], real[PATH_MAX];

	if (slash == NULL)
		snprintf(tmp, sizeof(tmp), "%s", cwd);
	else if (file[0] == '/')
		snprintf(tmp, sizeof(tmp), "%.*s", (int)(slash > file ? slash - file : 1), file);
	else
		snprintf(tmp, sizeof(tmp), "%s/%.*s", cwd, (int)(slash - file), file);
	if (realpath(tmp, real) != NULL)
		snprintf(tmp, sizeof(tmp), "%s", real);
	return (size_t)snprintf(buf, len, "%s", tmp) >= len ? -1 : 0;
}

/* ---- the command line --------------------------------------------------------- */

/* Writes text from column col, wrapped at 79 columns, indented to ind. */
static void
wrap(FILE *fp, const char *text, int col, int ind)
{
	const char *w = text;

	while (*w != '\0') {
		size_t n = strcspn(w, " ");

		if (col > ind && col + 1 + (int)n > 79) {
			fprintf(fp, "\n%*s", ind, "");
			col = ind;
		} else if (col > ind) {
			fputc(' ', fp);
			col++;
		}
		fprintf(fp, "%.*s", (int)n, w);
		col += (int)n;
		w += n;
		while (*w == ' ')
			w++;
	}
	fputc('\n', fp);
}

static void
usage(FILE *fp)
{
	size_t i;
	char head[128], more[512];

	fprintf(fp, "usage: innominatus [OPTION]...\n"
	        "The innominatus server: serves the API over the catalog of the configured "
	        "providers.\n\nSettings (a flag wins over the environment, the environment over "
	        "the config file,\nthe config file over the default):\n");
	for (i = 0; i < NSET; i++) {
		const struct setting *s = &settings[i];
		int n = snprintf(head, sizeof(head), "  --%s %s", s->flag, s->arg);

		fprintf(fp, "%s", head);
		if (n >= 28) {
			fprintf(fp, "\n%28s", "");
		} else {
			fprintf(fp, "%*s", 28 - n, "");
		}
		snprintf(more, sizeof(more), "%s [%s%s%s%s%s]", s->help, s->env,
		         s->key != NULL ? "; " : "", s->key != NULL ? s->key : "",
		         s->def != NULL ? "; default " : "", s->def != NULL ? s->def : "");
		wrap(fp, more, 28, 28);
	}
	fprintf(fp, "\nActions:\n");
	for (i = 0; i < NACT; i++) {
		int n;

		if (actions[i].hidden)
			continue;
		n = snprintf(head, sizeof(head), "  --%s%s%s", actions[i].flag,
		             actions[i].arg ? " " : "", actions[i].arg ? actions[i].arg : "");
		fprintf(fp, "%s%*s", head, n < 28 ? 28 - n : 1, "");
		wrap(fp, actions[i].help, 28, 28);
	}
	fprintf(fp, "\nSignals: SIGHUP reloads the providers and golden paths, SIGTERM drains "
	        "and stops.\nSee innominatus(8) and innominatus.yaml(5).\n");
}

/* --list-settings: KIND FLAG KEY ENV TYPE DEFAULT, tab-separated ("-": none). */
static void
list_settings(void)
{
	size_t i;

	for (i = 0; i < NSET; i++)
		printf("setting\t--%s\t%s\t%s\t%s\t%s\n", settings[i].flag,
		       settings[i].key ? settings[i].key : "-", settings[i].env,
		       type_names[settings[i].type], settings[i].def ? settings[i].def : "-");
	for (i = 0; i < NACT; i++)
		printf("action\t--%s\t-\t-\t-\t-\n", actions[i].flag);
}

static const struct setting *
setting_by_flag(const char *flag, size_t n)
{
	size_t i;

	for (i = 0; i < NSET; i++)
		if (strlen(settings[i].flag) == n && strncmp(settings[i].flag, flag, n) == 0)
			return &settings[i];
	return NULL;
}

void
inn_given_free(inn_given *g)
{
	free(g);
}

/* One action of the command line (--check-config, --migrate,
 * --create-admin-key, --version, --list-settings) into *first; a second
 * one is refused naming both.  0, or -1 (said). */
static int
action_note(const char **first, const char *a)
{
	if (*first == NULL || strcmp(*first, a) == 0) {
		*first = a;
		return 0;
	}
	fprintf(stderr, "innominatus: %s and %s cannot be used together (one action at a "
	        "time; see --help)\n", *first, a);
	return -1;
}

int
inn_settings_parse_argv(int argc, char **argv, inn_actions *act, inn_given **given)
{
	inn_given *g = calloc(1, sizeof(*g));
	const char *acts = NULL;
	int i;

	memset(act, 0, sizeof(*act));
	*given = NULL;
	if (g == NULL) {
		fprintf(stderr, "innominatus: out of memory\n");
		return 2;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *v;
		const struct setting *s;
		size_t n;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			goto done;
		}
		/* an action: done after the whole line was read (a bad option
		 * after it is still said, a second action refused) */
		if (strcmp(a, "--version") == 0 || strcmp(a, "--list-settings") == 0 ||
		    strcmp(a, "--check-config") == 0 || strcmp(a, "--migrate") == 0) {
			if (action_note(&acts, a) != 0)
				goto bad;
			if (strcmp(a, "--check-config") == 0)
				act->check_config = 1;
			else if (strcmp(a, "--migrate") == 0)
				act->migrate = 1;
			continue;
		}
		if (a[0] != '-' || a[1] == '\0') {
			fprintf(stderr, "innominatus: unexpected argument %s (the server takes options "
			        "only; see --help)\n", a);
			goto bad;
		}
		name = a + (a[1] == '-' ? 2 : 1);
		eq = strchr(name, '=');
		n = eq != NULL ? (size_t)(eq - name) : strlen(name);
		s = a[1] == '-' ? setting_by_flag(name, n) : NULL;
		if (s == NULL && !(a[1] == '-' && n == 16 &&
		                   strncmp(name, "create-admin-key", n) == 0)) {
			fprintf(stderr, "innominatus: unknown option %.*s (see --help)\n",
			        (int)(name - a + n), a);
			goto bad;
		}
		if (eq != NULL) {
			v = eq + 1;
		} else if (i + 1 < argc && (argv[i + 1][0] != '-' || argv[i + 1][1] == '\0')) {
			v = argv[++i];
		} else {
			fprintf(stderr, "innominatus: %s needs a value: %s (see --help)\n", a,
			        s != NULL ? s->arg : "NAME");
			goto bad;
		}
		if (s == NULL) {
			if (action_note(&acts, "--create-admin-key") != 0)
				goto bad;
			act->create_key = v;
		}
		else if (s->type == T_FOLDERS && g->nproviders < INN_MAX_PROVIDER_DIRS)
			g->providers[g->nproviders++] = v;
		else if (s->type == T_FOLDERS) {
			fprintf(stderr, "innominatus: --providers: at most %d folders\n",
			        INN_MAX_PROVIDER_DIRS);
			goto bad;
		} else
			g->flag[s - settings] = v;
	}
	if (acts != NULL && strcmp(acts, "--version") == 0) {
		printf("innominatus %s (plugin ABI %d.%d)\n", PACKAGE_VERSION,
		       INN_PLUGIN_ABI_MAJOR, INN_PLUGIN_ABI_MINOR);
		goto done;
	}
	if (acts != NULL && strcmp(acts, "--list-settings") == 0) {
		list_settings();
		goto done;
	}
	*given = g;
	return -1;
done:
	free(g);
	return 0;
bad:
	free(g);
	return 2;
}

int
inn_settings_regular_file(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY), ok;

	if (fd < 0)
		return 0;
	/* /dev/null reads as an empty file at once: `--config /dev/null` is
	 * the usual way to say "no config" */
	ok = fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) ||
	     (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3));
	close(fd);
	return ok;
}

/* ---- values ------------------------------------------------------------------------ */

void
inn_settings_defaults(inn_server_config *c)
{
	memset(c, 0, sizeof(*c));
	c->listen_host = "127.0.0.1";
	c->listen_port = 8081;
	c->db_path = INN_STATE_HOME "/innominatus.db";
	c->plugin_dir = INN_PLUGIN_DIR;
	c->state_dir = INN_STATE_HOME "/state";
	c->workers = 64;
	c->max_body = 1024 * 1024;
	c->max_headers_size = 16 * 1024;
	c->max_connections = 1024;
	c->max_connections_per_client = 256;
	c->max_streams_per_key = 16;
	c->timeout_s = 60;
	c->header_timeout_s = 10;
	c->shutdown_grace_s = 30;
	c->max_queued = 1000;
	c->max_queued_bytes = 64 * 1024 * 1024;
	c->access_log = 1;
	c->ui = 1;
}

const char *
inn_settings_config_file(const inn_given *g, int *missing_ok)
{
	const char *v = g->flag[0] != NULL ? g->flag[0] : getenv("INNOMINATUS_CONFIG");
	struct stat st;

	*missing_ok = 0;
	if (v != NULL && *v != '\0')
		return v;
	if (stat(INN_CONFIG_DEFAULT, &st) == 0)
		return INN_CONFIG_DEFAULT;
	*missing_ok = 1;
	return "admin-config.yaml";
}

/* A duration from INN_LEASE_MIN_MS to LEASE_MAX_MS into *ms, or the rule v
 * breaks in msg. */
static int
lease_parse(const char *v, int *ms_out, char *msg, size_t len)
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
			snprintf(msg, len, "\"%s\" is too long: a lease is at most 1h", v);
		else
			snprintf(msg, len, "\"%s\" is not a duration (e.g. \"3s\", \"2m\")", v);
		return -1;
	}
	if (ms < INN_LEASE_MIN_MS || ms > LEASE_MAX_MS) {
		snprintf(msg, len, "\"%s\" is too %s: a lease is %s", v,
		         ms < INN_LEASE_MIN_MS ? "short" : "long",
		         ms < INN_LEASE_MIN_MS ? "at least 1s" : "at most 1h");
		return -1;
	}
	*ms_out = (int)ms;
	return 0;
}

static int
parse_number(const char *v, long long min, long long max, long long *out)
{
	char *end;
	long long n;

	errno = 0;
	if (!isdigit((unsigned char)v[0]))
		return -1;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static int
parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = {
		"false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

/* Where a value came from, for its problems. */
struct origin {
	const char *file;      /* the config file, or NULL */
	int line;
	const char *where;     /* "environment: VAR" or "--flag" when file is NULL */
	int from_flag;
	const inn_policy *pol;
};

/* The config file of a server.db with a password must be private, like a
 * password file (inn_secret_file_check). */
static int
config_private(const char *file, char *msg, size_t len)
{
	struct stat st;

	if (stat(file, &st) != 0) {
		snprintf(msg, len, "%s", strerror(errno));
		return -1;
	}
	if (inn_secret_file_check(&st, file) != 0) {
		snprintf(msg, len, "config file %s holds a password in server.db: %s; or name a "
		         "password file in server.dbPasswordFile", file, inn_error_last());
		return -1;
	}
	return 0;
}

static int
store_check(const char *v, const struct origin *o, char *msg, size_t len)
{
	size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyz");
	char shown[512];

	/* libpq's "host=h dbname=x password=..." form: refused at start and at
	 * reload alike, said with its password masked (it would otherwise be
	 * taken for a SQLite file of that name) */
	if (inn_store_is_conninfo(v)) {
		snprintf(msg, len, "\"%s\" looks like a libpq key=value conninfo, which is no "
		         "store here: write postgres://[user@]host[:port]/db (the password in "
		         "server.dbPasswordFile or PGPASSWORD)",
		         inn_store_url_redact(v, shown, sizeof(shown)));
		return -1;
	}

	if (inn_settings_is_db_url(v)) {
		if (!((n == 8 && strncmp(v, "postgres", 8) == 0) ||
		      (n == 10 && strncmp(v, "postgresql", 10) == 0))) {
			snprintf(msg, len, "\"%.*s://\" is no store: a SQLite file, sqlite:PATH or "
			         "postgres://[user@]host[:port]/db", (int)n, v);
			return -1;
		}
#ifndef HAVE_LIBPQ
		snprintf(msg, len, "this build has no PostgreSQL store (configure "
		         "--with-postgresql=yes)");
		return -1;
#endif
	}
	/* the command line is in every user's process list */
	if (o->from_flag && inn_store_url_argv_check(v) != 0) {
		snprintf(msg, len, "%s", inn_error_last());
		return -1;
	}
	if (o->file != NULL && inn_store_url_has_password(v))
		return config_private(o->file, msg, len);
	return 0;
}

/* Where each setting's value came from, for later problems
 * (inn_settings_where). */
static const char *origins[NSET];

const char *
inn_settings_where(const char *key)
{
	char buf[1200];
	size_t i;

	for (i = 0; i < NSET; i++) {
		if (settings[i].key == NULL || strcmp(settings[i].key, key) != 0)
			continue;
		if (origins[i] != NULL)
			return origins[i];
		snprintf(buf, sizeof(buf), "%s (default)", key);
		return origins[i] = keep(buf);
	}
	return key;
}

/* Checks v for s and sets it in c; a problem goes to p. */
static void
apply(inn_server_config *c, const struct setting *s, const char *v, const char *base,
      const struct origin *o, inn_problems *p)
{
	char msg[1024] = "", *host;
	const char *colon;
	long long num;
	int b, ms, bad = 0;

	if (*v == '\0' && s->type != T_FOLDERS) {
		snprintf(msg, sizeof(msg), "is empty");
		bad = 1;
	} else switch (s->type) {
	case T_LISTEN:
		colon = strrchr(v, ':');
		if (colon == NULL || colon == v || parse_number(colon + 1, 0, 65535, &num) != 0 ||
		    (host = strndup(v, (size_t)(colon - v))) == NULL) {
			snprintf(msg, sizeof(msg), "\"%s\" is not HOST:PORT (a port from 0 to 65535)", v);
			bad = 1;
			break;
		}
		c->listen_host = keep(host);
		free(host);
		c->listen_port = (int)num;
		break;
	case T_STORE:
		if (store_check(v, o, msg, sizeof(msg)) != 0) {
			bad = 1;
			break;
		}
		/* fall through */
	case T_PATH:
		*(const char **)((char *)c + s->off) = inn_settings_abs_path(base, v);
		break;
	case T_INT:
	case T_BYTES:
		if (parse_number(v, s->min, s->max, &num) != 0) {
			snprintf(msg, sizeof(msg), "\"%s\" is not a%s from %lld to %lld", v,
			         s->type == T_INT ? "n integer" : " number of bytes", s->min, s->max);
			bad = 1;
		} else if (s->type == T_INT) {
			*(int *)((char *)c + s->off) = (int)num;
		} else {
			*(size_t *)((char *)c + s->off) = (size_t)num;
		}
		break;
	case T_LEASE:
		if (lease_parse(v, &ms, msg, sizeof(msg)) != 0)
			bad = 1;
		else
			c->lease_ms = ms;
		break;
	case T_BOOL:
		if (parse_bool(v, &b) != 0) {
			snprintf(msg, sizeof(msg), "\"%s\" is not true or false", v);
			bad = 1;
		} else {
			*(int *)((char *)c + s->off) = b;
		}
		break;
	case T_FOLDERS:
		while (*v != '\0') {
			size_t n = strcspn(v, ":");
			char *one = strndup(v, n);

			if (one != NULL && *one != '\0' && c->nproviders < INN_MAX_PROVIDER_DIRS)
				c->providers[c->nproviders++] = inn_settings_abs_path(base, keep(one));
			free(one);
			v += n;
			if (*v == ':')
				v++;
		}
		break;
	case T_CONFIG:
		break;
	}
	if (!bad) {
		char buf[1200];

		if (o->file != NULL)
			snprintf(buf, sizeof(buf), "%s:%d: %s", o->file, o->line, s->key);
		else
			snprintf(buf, sizeof(buf), "%s", o->where);
		origins[s - settings] = keep(buf);
		return;
	}
	if (o->file != NULL)
		inn_problem_add(p, "%s:%d: %s: %s", o->file, o->line, s->key, msg);
	else
		inn_problem_add(p, "%s: %s", o->where, msg);
}

/* The config file's server: section. */
static void
file_layer(inn_server_config *c, const inn_policy *pol, const char *cwd, inn_problems *p)
{
	const inn_ynode *s;
	char dir[4096];
	size_t i, j;

	if (pol == NULL || pol->doc == NULL || pol->file == NULL ||
	    (s = inn_ymap_get(pol->doc->root, "server")) == NULL)
		return;
	if (s->kind != INN_Y_MAP) {
		inn_problem_add(p, "%s:%d: server: is not a mapping of settings", pol->file, s->line);
		return;
	}
	if (file_folder(pol->file, cwd, dir, sizeof(dir)) != 0)
		snprintf(dir, sizeof(dir), "%s", cwd);
	for (i = 0; i < INN_YMAP_LEN(s); i++) {
		const inn_ynode *k = INN_YMAP_KEY(s, i), *v = INN_YMAP_VAL(s, i);
		const struct setting *st = NULL;
		struct origin o = { pol->file, v != NULL ? v->line : k->line, NULL, 0, pol };

		for (j = 0; j < NSET && st == NULL; j++)
			if (settings[j].key != NULL && strncmp(settings[j].key, "server.", 7) == 0 &&
			    strcmp(settings[j].key + 7, k->value) == 0)
				st = &settings[j];
		if (st == NULL) {
			inn_problem_add(p, "%s:%d: server.%s: no such setting (see innominatus.yaml(5))",
			                pol->file, k->line, k->value);
			continue;
		}
		if (v == NULL || !inn_ynode_is_scalar(v)) {
			inn_problem_add(p, "%s:%d: %s: takes one value (%s), not a list or mapping",
			                pol->file, o.line, st->key, type_names[st->type]);
			continue;
		}
		apply(c, st, v->value, dir, &o, p);
	}
}

int
inn_settings_load(inn_server_config *c, const inn_policy *pol, const inn_given *g,
                  const char *cwd, inn_problems *p)
{
	size_t before = p->n, i;
	char where[256];
	int k;

	file_layer(c, pol, cwd, p);
	for (i = 0; i < NSET; i++) {
		const char *v = getenv(settings[i].env);
		struct origin o = { NULL, 0, where, 0, pol };

		/* an empty variable counts as unset (INNOMINATUS_X= in a unit file) */
		if (v == NULL || *v == '\0' || settings[i].type == T_CONFIG)
			continue;
		snprintf(where, sizeof(where), "environment: %s", settings[i].env);
		apply(c, &settings[i], v, cwd, &o, p);
	}
	for (i = 0; i < NSET; i++) {
		struct origin o = { NULL, 0, where, 1, pol };

		if (g->flag[i] == NULL || settings[i].type == T_CONFIG)
			continue;
		snprintf(where, sizeof(where), "--%s", settings[i].flag);
		apply(c, &settings[i], g->flag[i], cwd, &o, p);
	}
	if (g->nproviders > 0) {
		for (i = 0; i < NSET; i++)
			if (settings[i].type == T_FOLDERS)
				origins[i] = "--providers";
		c->nproviders = 0;    /* the flags replace the variable's folders */
		for (k = 0; k < g->nproviders; k++)
			c->providers[c->nproviders++] = inn_settings_abs_path(cwd, g->providers[k]);
	}
	/* defaults and relative leftovers are relative to the cwd */
	c->db_path = inn_settings_abs_path(cwd, c->db_path);
	c->plugin_dir = inn_settings_abs_path(cwd, c->plugin_dir);
	c->state_dir = inn_settings_abs_path(cwd, c->state_dir);
	return (int)(p->n - before);
}

void
inn_settings_prepare_home(const inn_server_config *c)
{
	const char *home = INN_STATE_HOME;
	size_t n = strlen(home);
	char buf[sizeof(INN_STATE_HOME)];
	size_t i;

	if (strncmp(c->db_path, home, n) != 0 && strncmp(c->state_dir, home, n) != 0)
		return;
	/* mkdir -p: an install's default store and state need no setup */
	memcpy(buf, home, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		/* the folders above it as usual, its own private */
		if (mkdir(buf, i < n ? 0755 : 0700) != 0 && errno != EEXIST)
			return;         /* the store's open says why */
		buf[i] = home[i];
	}
}

int
inn_settings_in_home(const char *path)
{
	size_t n = strlen(INN_STATE_HOME);

	return strncmp(path, INN_STATE_HOME, n) == 0 && (path[n] == '/' || path[n] == '\0');
}
