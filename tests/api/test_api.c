/*
 * test_api.c - the real server over real HTTP: starts `innominatus` on a
 * loopback port with a temporary SQLite file, creates keys, and talks to it
 * with libcurl.  Success and failure shapes of each route, 401/403/404/413,
 * pagination, team scoping, SSE follow of a running step, cancel, retry,
 * the events stream, provider sources added over the API from a real git
 * repository (served by `git daemon`) with reload and removal, the
 * applications and resources a Score spec run records, and a kill -9 with
 * 20 executions running followed by a restart that accounts for every one
 * of them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static struct {
	char *dir;
	char db[4096], plugins[4096], log[4096];
	pid_t pid;
	int port;
	char admin[128];
	char user_red[128], user_blue[128];
} S;

struct buf {
	char *p;
	size_t n;
};

static size_t
collect(char *data, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t len = size * nmemb;
	char *np = realloc(b->p, b->n + len + 1);

	if (np == NULL)
		return 0;
	b->p = np;
	memcpy(b->p + b->n, data, len);
	b->n += len;
	b->p[b->n] = '\0';
	return len;
}

/* INN_API_RECORD=DIR: every reply is written to DIR/NNNNN.json as
 * {method, path (with its query), status, content_type, body (the text)},
 * for tests/openapi_validate.sh to check against /api/openapi.json. */
static void
record(const char *method, const char *path, long status, const char *ctype, const char *body)
{
	static unsigned seq;
	const char *dir = getenv("INN_API_RECORD");
	json_object *o;
	char file[4096];

	if (dir == NULL || *dir == '\0')
		return;
	o = json_object_new_object();
	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "status", json_object_new_int((int)status));
	json_object_object_add(o, "content_type", ctype ? json_object_new_string(ctype) : NULL);
	json_object_object_add(o, "body", json_object_new_string(body ? body : ""));
	snprintf(file, sizeof(file), "%s/%d-%05u.json", dir, (int)getpid(), seq++);
	if (json_object_to_file_ext(file, o, JSON_C_TO_STRING_PLAIN) != 0)
		fail_msg("cannot record the reply in %s", file);
	json_object_put(o);
}

/* One request with a body declared as ctype (NULL: no Content-Type) and
 * one more header line (NULL: none); returns the status and the parsed
 * JSON body (or NULL). */
static long
http_req(const char *method, const char *path, const char *body, const char *ctype,
         const char *header, const char *key, json_object **out, char **raw)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct buf b = { NULL, 0 };
	char url[1024], auth[256];
	long status = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", S.port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (key != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
		h = curl_slist_append(h, auth);
	}
	if (header != NULL)
		h = curl_slist_append(h, header);
	if (body != NULL) {
		char ct[256];

		/* curl's default for a POST body is a form: none at all unless asked */
		snprintf(ct, sizeof(ct), "Content-Type:%s%s", ctype ? " " : "", ctype ? ctype : "");
		h = curl_slist_append(h, ct);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (curl_easy_perform(c) == CURLE_OK) {
		char *got_ct = NULL;

		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &got_ct);
		record(method, path, status, got_ct, b.p);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (out != NULL)
		*out = b.p ? json_tokener_parse(b.p) : NULL;
	if (raw != NULL)
		*raw = b.p;
	else
		free(b.p);
	return status;
}

static long
http_ct(const char *method, const char *path, const char *body, const char *ctype,
        const char *key, json_object **out, char **raw)
{
	return http_req(method, path, body, ctype, NULL, key, out, raw);
}

/* One request; a body is declared as JSON. */
static long
http(const char *method, const char *path, const char *body, const char *key,
     json_object **out, char **raw)
{
	return http_ct(method, path, body, "application/json", key, out, raw);
}

static const char *
jget(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static int64_t
jint(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

static const char *
build(const char *rel)
{
	static char b[4096];
	const char *top = getenv("INN_TOP_BUILDDIR");

	snprintf(b, sizeof(b), "%s/%s", top ? top : ".", rel);
	return b;
}

/* A free loopback port: bind 0, read it, close (a race we accept in tests). */
static int
free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), port;
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &al);
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

/* Starts the server; waits for /ready. */
static void
server_start(void)
{
	int i, fd;
	const char *src = getenv("INN_TOP_SRCDIR");
	char providers[4096], gp[4096], port[64];

	snprintf(providers, sizeof(providers), "%s/tests/data/server", src ? src : ".");
	snprintf(gp, sizeof(gp), "%s/tests/data/server/goldenpaths.yaml", src ? src : ".");
	S.port = free_port();
	snprintf(port, sizeof(port), "127.0.0.1:%d", S.port);
	S.pid = fork();
	assert_true(S.pid >= 0);
	if (S.pid == 0) {
		fd = open(S.log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 2);
		dup2(fd, 1);
		execl(build("innominatus"), "innominatus", "--db", S.db, "--listen", port,
		      "--plugin-dir", S.plugins, "--providers", providers, "--goldenpaths", gp,
		      "--config", "/dev/null", "--state-dir", S.dir, "--workers", "32",
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		if (http("GET", "/ready", NULL, NULL, NULL, NULL) == 200)
			return;
		usleep(25 * 1000);
	}
	fail_msg("the server did not become ready (see %s)", S.log);
}

static void
server_stop(int sig)
{
	int st;

	if (S.pid <= 0)
		return;
	kill(S.pid, sig);
	waitpid(S.pid, &st, 0);
	S.pid = 0;
}

/* A key of team (NULL: a key without a team); out gets it. */
static void
make_key(const char *name, const char *role, const char *team, char *out, size_t len)
{
	char body[512];
	json_object *o = NULL;

	/* team NULL: a key without a team */
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"role\":\"%s\"%s%s%s}", name, role,
	         team != NULL ? ",\"team\":\"" : "", team != NULL ? team : "",
	         team != NULL ? "\"" : "");
	assert_int_equal(http("POST", "/api/admin/keys", body, S.admin, &o, NULL), 201);
	if (out != NULL)
		snprintf(out, len, "%s", jget(o, "key"));
	json_object_put(o);
}

static int
setup(void **state)
{
	const char *libs[][2] = {
		{ "plugins/shell/.libs/shell.so", "shell.so" },
		{ "tests/plugins/.libs/noop.so", "noop.so" },
		{ "tests/plugins/.libs/crashy.so", "crashy.so" },
		/* refused at start (GET /api/plugins/refused) */
		{ "tests/plugins/.libs/badmagic.so", "badmagic.so" },
		{ "tests/plugins/.libs/noentry.so", "No_Type.so" },
	};
	size_t i;

	(void)state;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	S.dir = tu_mkdtemp("api");
	snprintf(S.db, sizeof(S.db), "%s/inn.db", S.dir);
	snprintf(S.log, sizeof(S.log), "%s/server.log", S.dir);
	snprintf(S.plugins, sizeof(S.plugins), "%s/plugins", S.dir);
	mkdir(S.plugins, 0755);
	for (i = 0; i < sizeof(libs) / sizeof(libs[0]); i++)
		assert_int_equal(tu_copy(build(libs[i][0]), S.plugins, libs[i][1], 0755), 0);
	/* the first admin key, as an operator creates it */
	{
		int pfd[2];
		pid_t p;
		ssize_t n;

		assert_int_equal(pipe(pfd), 0);
		p = fork();
		if (p == 0) {
			dup2(pfd[1], 1);
			execl(build("innominatus"), "innominatus", "--db", S.db, "--create-admin-key",
			      "root", (char *)NULL);
			_exit(127);
		}
		close(pfd[1]);
		n = read(pfd[0], S.admin, sizeof(S.admin) - 1);
		close(pfd[0]);
		waitpid(p, NULL, 0);
		assert_true(n > 10);
		S.admin[n] = '\0';
		S.admin[strcspn(S.admin, "\n")] = '\0';
	}
	assert_int_equal(strncmp(S.admin, "inn_", 4), 0);
	server_start();
	make_key("red-dev", "user", "red", S.user_red, sizeof(S.user_red));
	make_key("blue-dev", "user", "blue", S.user_blue, sizeof(S.user_blue));
	return 0;
}

static void git_daemon_stop(void);

static int
teardown(void **state)
{
	(void)state;
	server_stop(SIGTERM);
	git_daemon_stop();
	tu_rmrf_free(S.dir);
	curl_global_cleanup();
	return 0;
}

/* Polls an execution until it leaves pending/running; returns it. */
static json_object *
wait_done(int64_t id, const char *key)
{
	char path[128];
	int i;

	snprintf(path, sizeof(path), "/api/workflows/%lld", (long long)id);
	for (i = 0; i < 600; i++) {
		json_object *o = NULL;
		const char *st;

		assert_int_equal(http("GET", path, NULL, key, &o, NULL), 200);
		st = jget(o, "status");
		if (st && strcmp(st, "pending") != 0 && strcmp(st, "running") != 0)
			return o;
		json_object_put(o);
		usleep(20 * 1000);
	}
	fail_msg("execution %lld did not finish", (long long)id);
	return NULL;
}

static int64_t
submit(const char *path, const char *body, const char *key)
{
	json_object *o = NULL;
	int64_t id;

	assert_int_equal(http("POST", path, body, key, &o, NULL), 202);
	id = jint(o, "id");
	assert_true(id > 0);
	json_object_put(o);
	return id;
}

static void
assert_error_(long got, long want, json_object *o, const char *code)
{
	json_object *e;

	assert_int_equal(got, want);
	assert_true(json_object_object_get_ex(o, "error", &e));
	assert_string_equal(jget(e, "code"), code);
	assert_non_null(jget(e, "message"));
}

/* http() must run before its out-parameter is read: C leaves the order of
 * argument evaluation open. */
#define assert_error(call, want, o, code)                                      \
	do {                                                                   \
		long st_ = (call);                                             \
		assert_error_(st_, (want), (o), (code));                       \
	} while (0)

static const char *
js(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                      JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* GET path without a key, and with an unknown one: 401 unauthorized. */
static void
assert_needs_key(const char *path)
{
	json_object *o = NULL;

	assert_error(http("GET", path, NULL, NULL, &o, NULL), 401, o, "unauthorized");
	json_object_put(o);
	assert_error(http("GET", path, NULL, "inn_not_a_key", &o, NULL), 401, o, "unauthorized");
	json_object_put(o);
}

static void
test_public_routes_and_auth(void **state)
{
	json_object *o = NULL;
	char *raw = NULL;

	(void)state;
	assert_int_equal(http("GET", "/health", NULL, NULL, &o, NULL), 200);
	assert_string_equal(jget(o, "status"), "ok");
	json_object_put(o);
	assert_int_equal(http("GET", "/metrics", NULL, NULL, NULL, &raw), 200);
	TU_ASSERT_CONTAINS(raw, "innominatus_http_requests_total ");
	/* the status words are the API's, the histogram's bounds one list */
	TU_ASSERT_CONTAINS(raw, "innominatus_executions_total{status=\"timed_out\"} ");
	TU_ASSERT_CONTAINS(raw, "innominatus_executions_total{status=\"would-run\"} ");
	TU_ASSERT_CONTAINS(raw, "innominatus_step_duration_ms_bucket{le=\"10\"} ");
	TU_ASSERT_CONTAINS(raw, "innominatus_step_duration_ms_bucket{le=\"30000\"} ");
	TU_ASSERT_CONTAINS(raw, "innominatus_step_duration_ms_bucket{le=\"+Inf\"} ");
	free(raw);
	assert_needs_key("/api/providers");
	assert_error(http("GET", "/api/admin/audit", NULL, S.user_red, &o, NULL), 403, o,
	             "forbidden");
	json_object_put(o);
	assert_error(http("GET", "/api/nothing", NULL, S.admin, &o, NULL), 404, o, "not_found");
	json_object_put(o);
	assert_error(http("DELETE", "/api/providers", NULL, S.admin, &o, NULL), 405, o,
	             "method_not_allowed");
	json_object_put(o);
	/* a revoked key stops working at once (even though it was just used) */
	{
		char k[128];

		make_key("temp", "user", "red", k, sizeof(k));
		assert_int_equal(http("GET", "/api/providers", NULL, k, NULL, NULL), 200);
		assert_int_equal(http("DELETE", "/api/admin/keys/temp", NULL, S.admin, NULL, NULL),
		                 200);
		assert_error(http("GET", "/api/providers", NULL, k, &o, NULL), 401, o,
		             "unauthorized");
		json_object_put(o);
		/* rotated (revoke, create): the new key works on the very next
		 * request, the old one stays refused, also for a body request
		 * (the connection guard asks the same cache) */
		{
			char k2[128];

			make_key("temp", "user", "red", k2, sizeof(k2));
			assert_string_not_equal(k, k2);
			assert_int_equal(http("GET", "/api/providers", NULL, k2, NULL, NULL), 200);
			assert_error(http("GET", "/api/providers", NULL, k, &o, NULL), 401, o,
			             "unauthorized");
			json_object_put(o);
			assert_error(http("POST", "/api/workflows/run", "{}", k, &o, NULL), 401, o,
			             "unauthorized");
			json_object_put(o);
			assert_int_equal(http("DELETE", "/api/admin/keys/temp", NULL, S.admin, NULL,
			                      NULL), 200);
			assert_error(http("GET", "/api/providers", NULL, k2, &o, NULL), 401, o,
			             "unauthorized");
			json_object_put(o);
		}
	}
	/* the OpenAPI document names every route */
	assert_int_equal(http("GET", "/api/openapi.json", NULL, NULL, &o, NULL), 200);
	TU_ASSERT_CONTAINS(js(o), "/api/workflows/{id}/logs");
	json_object_put(o);
}

/* GET path as the red user answers 200; with first, a list whose first
 * entry is named first; with has, a reply whose text contains has. */
static void
red_get(const char *path, const char *first, const char *has)
{
	json_object *o = NULL;

	assert_int_equal(http("GET", path, NULL, S.user_red, &o, NULL), 200);
	if (first != NULL)
		assert_string_equal(jget(json_object_array_get_idx(o, 0), "name"), first);
	if (has != NULL)
		TU_ASSERT_CONTAINS(js(o), has);
	json_object_put(o);
}

static void
test_catalog_routes(void **state)
{
	json_object *o = NULL;

	(void)state;
	red_get("/api/providers", "api-team", NULL);
	red_get("/api/providers/api-team", NULL, "\"parameters\"");
	assert_error(http("GET", "/api/providers/nobody", NULL, S.user_red, &o, NULL), 404, o,
	             "not_found");
	json_object_put(o);
	red_get("/api/golden-paths", "hello", NULL);
	red_get("/api/plugins", NULL, "\"idempotent\"");
	/* a provider of a folder of the server says so, in the list and
	 * alone; which folder, to admins only (a path of the host) */
	{
		static const char *const paths[] = { "/api/providers", "/api/providers/api-team" };
		char want[4400], real[4096], dir[4096];
		size_t i;

		snprintf(dir, sizeof(dir), "%s/tests/data/server/api-team",
		         getenv("INN_TOP_SRCDIR") ? getenv("INN_TOP_SRCDIR") : ".");
		assert_non_null(realpath(dir, real));
		red_get("/api/providers", NULL, "\"source\":{\"type\":\"filesystem\",\"path\":null,"
		        "\"git_url\":null,\"ref\":null,\"commit\":null}");
		red_get("/api/providers/api-team", NULL, "\"source\":{\"type\":\"filesystem\",\"path\":null,");
		snprintf(want, sizeof(want), "\"source\":{\"type\":\"filesystem\",\"path\":\"%s\","
		         "\"git_url\":null,\"ref\":null,\"commit\":null}", real);
		for (i = 0; i < 2; i++) {
			assert_int_equal(http("GET", paths[i], NULL, S.admin, &o, NULL), 200);
			TU_ASSERT_CONTAINS(js(o), want);
			json_object_put(o);
			/* the list is cached per catalog: the user's copy is still theirs */
			assert_int_equal(http("GET", paths[i], NULL, S.user_red, &o, NULL), 200);
			assert_null(strstr(js(o), real));
			json_object_put(o);
		}
	}
}

/* Whether o has member key, null. */
static int
has_null(json_object *o, const char *key)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) && v == NULL;
}

/* The parameter named name of workflow wf in provider JSON p. */
static json_object *
provider_param(json_object *p, const char *wf, const char *name)
{
	json_object *wfs = json_object_object_get(p, "workflows"), *ps;
	size_t i, j;

	for (i = 0; i < json_object_array_length(wfs); i++) {
		if (strcmp(jget(json_object_array_get_idx(wfs, i), "name"), wf) != 0)
			continue;
		ps = json_object_object_get(json_object_array_get_idx(wfs, i), "parameters");
		for (j = 0; j < json_object_array_length(ps); j++)
			if (strcmp(jget(json_object_array_get_idx(ps, j), "name"), name) == 0)
				return json_object_array_get_idx(ps, j);
	}
	fail_msg("no parameter %s of workflow %s", name, wf);
	return NULL;
}

/* GET /api/providers/{name}: each workflow parameter's whole declaration,
 * as a golden path's detail gives it (description, allowed values,
 * pattern; null where it declares none). */
static void
test_provider_params_are_whole(void **state)
{
	json_object *o = NULL, *pa;

	(void)state;
	assert_int_equal(http("GET", "/api/providers/api-team", NULL, S.user_red, &o, NULL), 200);
	pa = provider_param(o, "slow", "hold");
	assert_int_equal(json_object_object_length(pa), 7);
	assert_string_equal(jget(pa, "description"), "Seconds to wait after the lines");
	assert_string_equal(jget(pa, "pattern"), "^[0-9.]+$");
	assert_true(has_null(pa, "allowed"));
	pa = provider_param(o, "slow", "tone");
	assert_string_equal(js(json_object_object_get(pa, "allowed")), "[\"plain\",\"loud\"]");
	assert_true(has_null(pa, "description") && has_null(pa, "pattern"));
	pa = provider_param(o, "slow", "lines");
	assert_int_equal(json_object_object_length(pa), 7);
	assert_true(has_null(pa, "description") && has_null(pa, "allowed") &&
	            has_null(pa, "pattern"));
	json_object_put(o);
}

/* The names of the parameters of golden path JSON g, in order, joined. */
static char *
param_names(json_object *g)
{
	json_object *ps = json_object_object_get(g, "parameters");
	char buf[1024] = "";
	size_t i, n = 0;

	for (i = 0; i < json_object_array_length(ps); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s,",
		                      jget(json_object_array_get_idx(ps, i), "name"));
	return strdup(buf);
}

/* GET /api/golden-paths: each item has what the list page shows without
 * asking for each golden path: its estimated_duration, and the parameters
 * its detail has (their names; the detail has all of each declaration). */
static void
test_golden_path_list_has_what_the_detail_has(void **state)
{
	json_object *list = NULL, *o = NULL, *g;
	char path[256], *a, *b;
	size_t i;

	(void)state;
	assert_int_equal(http("GET", "/api/golden-paths", NULL, S.user_red, &list, NULL), 200);
	assert_true(json_object_array_length(list) > 0);
	for (i = 0; i < json_object_array_length(list); i++) {
		g = json_object_array_get_idx(list, i);
		snprintf(path, sizeof(path), "/api/golden-paths/%s", jget(g, "name"));
		assert_int_equal(http("GET", path, NULL, S.user_red, &o, NULL), 200);
		assert_true(json_object_object_get_ex(g, "estimated_duration", NULL));
		assert_true(json_object_equal(json_object_object_get(g, "estimated_duration"),
		                              json_object_object_get(o, "estimated_duration")));
		a = param_names(g);
		b = param_names(o);
		assert_string_equal(a, b);
		free(a);
		free(b);
		json_object_put(o);
	}
	assert_string_equal(jget(json_object_array_get_idx(list, 0), "estimated_duration"),
	                    "under a minute");
	json_object_put(list);
}

static void
test_run_golden_path_and_read_it_back(void **state)
{
	json_object *o;
	int64_t id;

	(void)state;
	id = submit("/api/golden-paths/hello/run", "{\"parameters\":{\"who\":\"api\"}}", S.user_red);
	o = wait_done(id, S.user_red);
	assert_string_equal(jget(o, "status"), "succeeded");
	TU_ASSERT_CONTAINS(js(json_object_object_get(o, "outputs")),
	                   "\"greeting\":\"hello api\"");
	assert_int_equal(json_object_array_length(json_object_object_get(o, "steps")), 3);
	assert_string_equal(jget(o, "team"), "red");
	json_object_put(o);
	/* another team does not see it; an admin does */
	{
		char path[64];

		snprintf(path, sizeof(path), "/api/workflows/%lld", (long long)id);
		assert_error(http("GET", path, NULL, S.user_blue, &o, NULL), 404, o, "not_found");
		json_object_put(o);
		assert_int_equal(http("GET", path, NULL, S.admin, &o, NULL), 200);
		json_object_put(o);
	}
}

/* "name:depends_on;" of each step of steps, in order. */
static const char *
deps_of(json_object *steps)
{
	static char buf[2048];
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < json_object_array_length(steps) && n < sizeof(buf); i++) {
		json_object *s = json_object_array_get_idx(steps, i);

		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s:%s;", jget(s, "name"),
		                      js(json_object_object_get(s, "depends_on")));
	}
	return buf;
}

/* Each step's depends_on is the graph the engine runs: the list's order,
 * a parallel group waiting for the step before it and waited for as a
 * whole, an explicit depends_on (even []) as written. */
static void
test_step_dependencies(void **state)
{
	json_object *o;

	(void)state;
	o = wait_done(submit("/api/workflows/run", "{\"workflow\":\"api-team/quick\"}",
	                     S.user_red), S.user_red);
	assert_string_equal(deps_of(json_object_object_get(o, "steps")),
	                    "one:[];two:[\"one\"];three:[\"two\"];");
	json_object_put(o);
	o = wait_done(submit("/api/workflows/run", "{\"workflow\":\"api-team/graph\"}",
	                     S.user_red), S.user_red);
	assert_string_equal(jget(o, "status"), "succeeded");
	assert_string_equal(deps_of(json_object_object_get(o, "steps")),
	                    "start:[];left:[\"start\"];right:[\"start\"];join:[\"right\",\"left\"];"
	                    "side:[\"start\"];free:[];");
	json_object_put(o);
}

static void
test_spec_resources_are_provisioned_first(void **state)
{
	json_object *o = NULL, *steps;
	int64_t id;

	(void)state;
	id = submit("/api/workflows/run", "{\"workflow\":\"api-team/uses-kv\",\"spec\":"
	            "\"apiVersion: score.dev/v1b1\\nmetadata: {name: shop}\\n"
	            "containers: {web: {image: shop}}\\n"
	            "resources:\\n  cache: {type: kv, params: {name: sessions}}\\n\"}",
	            S.user_red);
	o = wait_done(id, S.user_red);
	assert_string_equal(jget(o, "status"), "succeeded");
	assert_string_equal(jget(o, "app"), "shop");
	TU_ASSERT_CONTAINS(js(json_object_object_get(o, "outputs")),
	                   "\"connection\":\"shop uses kv://sessions\"");
	steps = json_object_object_get(o, "steps");
	assert_int_equal(json_object_array_length(steps), 2);
	assert_string_equal(jget(json_object_array_get_idx(steps, 0), "name"), "cache/make");
	/* the main workflow starts once the resource's part has ended */
	assert_string_equal(deps_of(steps), "cache/make:[];connect:[\"cache/make\"];");
	json_object_put(o);
	/* a resource param the provider refuses is a 400 before anything runs */
	assert_error(http("POST", "/api/workflows/run", "{\"workflow\":\"api-team/uses-kv\","
	                  "\"spec\":{\"apiVersion\":\"score.dev/v1b1\",\"metadata\":{\"name\":"
	                  "\"shop\"},\"containers\":{\"web\":{\"image\":\"x\"}},"
	                  "\"resources\":{\"cache\":{\"type\":\"kv\",\"params\":"
	                  "{\"name\":\"Not Valid\"}}}}}", S.user_red, &o, NULL), 400, o,
	             "invalid_request");
	TU_ASSERT_CONTAINS(js(o), "resource \\\"cache\\\"");
	json_object_put(o);
}

static void
test_bad_requests(void **state)
{
	json_object *o = NULL;
	char *big;
	size_t n = 2 * 1024 * 1024, i;

	(void)state;
	assert_error(http("POST", "/api/workflows/run", "{\"workflow\":\"api-team/nope\"}",
	                  S.user_red, &o, NULL), 404, o, "not_found");
	json_object_put(o);
	assert_error(http("POST", "/api/workflows/run",
	                  "{\"workflow\":\"api-team/flaky\",\"parameters\":{}}", S.user_red, &o,
	                  NULL), 400, o, "invalid_request");
	TU_ASSERT_CONTAINS(js(o), "parameter \\\"marker\\\": is required");
	json_object_put(o);
	assert_error(http("POST", "/api/workflows/run", "{\"workflow\": ", S.user_red, &o, NULL),
	             400, o, "invalid_json");
	json_object_put(o);
	assert_error(http("POST", "/api/workflows/run", "{}", S.user_red, &o, NULL), 400, o,
	             "invalid_request");
	json_object_put(o);
	assert_error(http("POST", "/api/workflows/run", "{\"workflow\":\"api-team/quick\","
	                  "\"spec\":\"apiVersion: score.dev/v1b1\\nmetadata: {}\\n\"}", S.user_red,
	                  &o, NULL), 400, o, "invalid_spec");
	json_object_put(o);
	big = malloc(n + 1);
	for (i = 0; i < n; i++)
		big[i] = ' ';
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	assert_error(http("POST", "/api/workflows/run", big, S.user_red, &o, NULL), 413, o,
	             "body_too_large");
	json_object_put(o);
	free(big);
	assert_error(http("GET", "/api/workflows/abc", NULL, S.user_red, &o, NULL), 400, o,
	             "bad_id");
	json_object_put(o);
}

/* GET /api/workflows?...: how many executions, each of team (NULL: any). */
static int64_t
listed(const char *query, const char *key, const char *team)
{
	json_object *o = NULL, *data;
	char path[256];
	int64_t total;
	size_t i;

	snprintf(path, sizeof(path), "/api/workflows?%s", query);
	assert_int_equal(http("GET", path, NULL, key, &o, NULL), 200);
	data = json_object_object_get(o, "data");
	for (i = 0; team != NULL && i < json_object_array_length(data); i++)
		assert_string_equal(jget(json_object_array_get_idx(data, i), "team"), team);
	total = jint(o, "total");
	assert_int_equal(json_object_array_length(data), total < 200 ? total : 200);
	json_object_put(o);
	return total;
}

/* team=NAME: an admin's filter; a user key sees its own team's and
 * nothing of another's whatever it asks (an empty page, not an error). */
static void
test_team_filter(void)
{
	json_object *o = NULL;
	char solo[128];
	int64_t red;

	/* the blue key's five executions */
	assert_int_equal(listed("team=blue&page_size=200", S.admin, "blue"), 5);
	assert_int_equal(listed("team=blue&workflow=api-team/quick&page_size=200", S.admin,
	                        "blue"), 5);
	assert_int_equal(listed("team=nobody", S.admin, NULL), 0);
	assert_int_equal(listed("team=blue&page_size=200", S.user_blue, "blue"), 5);
	red = listed("team=red&page_size=200", S.admin, "red");
	assert_true(red > 0);
	assert_int_equal(listed("team=red&page_size=200", S.user_red, "red"), red);
	/* another team's: nothing */
	assert_int_equal(listed("team=red", S.user_blue, NULL), 0);
	assert_int_equal(listed("team=blue&status=succeeded", S.user_red, NULL), 0);
	/* a key without a team owns what it made, and no team's */
	make_key("filter-solo", "user", NULL, solo, sizeof(solo));
	json_object_put(wait_done(submit("/api/workflows/run", "{\"workflow\":\"api-team/quick\"}",
	                                 solo), solo));
	assert_int_equal(listed("", solo, NULL), 1);
	assert_int_equal(listed("team=blue", solo, NULL), 0);
	assert_int_equal(listed("team=red", solo, NULL), 0);
	/* not a team name: said */
	assert_error(http("GET", "/api/workflows?team=a%20b", NULL, S.admin, &o, NULL), 400, o,
	             "invalid_request");
	TU_ASSERT_CONTAINS(jget(json_object_object_get(o, "error"), "message"), "team");
	json_object_put(o);
	assert_error(http("GET", "/api/workflows?team=", NULL, S.user_red, &o, NULL), 400, o,
	             "invalid_request");
	json_object_put(o);
}

static void
test_pagination_and_filters(void **state)
{
	json_object *o = NULL;
	int64_t ids[5];
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		ids[i] = submit("/api/workflows/run", "{\"workflow\":\"api-team/quick\"}", S.user_blue);
	for (i = 0; i < 5; i++)
		json_object_put(wait_done(ids[i], S.user_blue));
	assert_int_equal(http("GET", "/api/workflows?page_size=2&page=2", NULL, S.user_blue, &o,
	                      NULL), 200);
	assert_int_equal(jint(o, "total"), 5);
	assert_int_equal(jint(o, "total_pages"), 3);
	assert_int_equal(jint(o, "page"), 2);
	assert_int_equal(json_object_array_length(json_object_object_get(o, "data")), 2);
	/* newest first: page 2 starts with the third newest */
	assert_int_equal(jint(json_object_array_get_idx(json_object_object_get(o, "data"), 0),
	                      "id"), ids[2]);
	json_object_put(o);
	assert_int_equal(http("GET", "/api/workflows?status=failed", NULL, S.user_blue, &o, NULL),
	                 200);
	assert_int_equal(jint(o, "total"), 0);
	json_object_put(o);
	assert_int_equal(http("GET", "/api/workflows?workflow=api-team/quick", NULL, S.user_blue,
	                      &o, NULL), 200);
	assert_int_equal(jint(o, "total"), 5);
	json_object_put(o);
	test_team_filter();
}

static void
test_sse_follow_gets_every_line(void **state)
{
	char path[128], *raw = NULL;
	int64_t id;
	int i, last = 0;
	const char *p;

	(void)state;
	id = submit("/api/workflows/run", "{\"workflow\":\"api-team/slow\","
	            "\"parameters\":{\"lines\":\"40\"}}", S.user_red);
	usleep(100 * 1000); /* join mid-step: part backlog, part live */
	snprintf(path, sizeof(path), "/api/workflows/%lld/logs?follow=1", (long long)id);
	assert_int_equal(http("GET", path, NULL, S.user_red, NULL, &raw), 200);
	/* every line, in order, exactly once, then the end event */
	for (i = 1, p = raw; i <= 40; i++) {
		char want[32];
		const char *at;

		snprintf(want, sizeof(want), "\"line\":\"line %d\"", i);
		at = strstr(p, want);
		if (at == NULL)
			fail_msg("line %d missing from the stream", i);
		p = at + strlen(want);
		last = i;
	}
	assert_int_equal(last, 40);
	assert_null(strstr(p, "\"line\":\"line 1\""));
	TU_ASSERT_CONTAINS(p, "event: end");
	TU_ASSERT_CONTAINS(p, "\"status\":\"succeeded\"");
	free(raw);
	/* the same lines page by page with the after cursor */
	{
		json_object *o = NULL;

		snprintf(path, sizeof(path), "/api/workflows/%lld/logs?limit=10", (long long)id);
		assert_int_equal(http("GET", path, NULL, S.user_red, &o, NULL), 200);
		assert_int_equal(json_object_array_length(json_object_object_get(o, "lines")), 10);
		snprintf(path, sizeof(path), "/api/workflows/%lld/logs?after=%lld", (long long)id,
		         (long long)jint(o, "next_after"));
		json_object_put(o);
		assert_int_equal(http("GET", path, NULL, S.user_red, &o, NULL), 200);
		assert_int_equal(json_object_array_length(json_object_object_get(o, "lines")), 30);
		json_object_put(o);
	}
}

/* The events of the SSE text raw, in order: [{id, event, data}], id an
 * integer (null when the event has none), data parsed as JSON. */
static json_object *
sse_parse(const char *raw)
{
	json_object *a = json_object_new_array();
	const char *p = raw;

	while (p != NULL && *p != '\0') {
		const char *end = strstr(p, "\n\n");
		char *block = strndup(p, end ? (size_t)(end - p) : strlen(p)), *line, *save = NULL;
		json_object *ev = json_object_new_object();

		json_object_object_add(ev, "id", NULL);
		for (line = strtok_r(block, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save)) {
			if (strncmp(line, "id: ", 4) == 0)
				json_object_object_add(ev, "id", json_object_new_int64(
				    strtoll(line + 4, NULL, 10)));
			else if (strncmp(line, "event: ", 7) == 0)
				json_object_object_add(ev, "event", json_object_new_string(line + 7));
			else if (strncmp(line, "data: ", 6) == 0)
				json_object_object_add(ev, "data", json_tokener_parse(line + 6));
		}
		free(block);
		if (json_object_object_get_ex(ev, "event", NULL))
			json_object_array_add(a, ev);
		else
			json_object_put(ev);
		p = end ? end + 2 : NULL;
	}
	return a;
}

/* The events of GET /api/workflows/ID/logs?follow=1 (then query, e.g.
 * "&after=5") as key, sent with the header line header (NULL: none): the
 * stream answers 200 and ends (its execution ended). */
static json_object *
follow_log(int64_t id, const char *query, const char *header, const char *key)
{
	char path[256], *raw = NULL;
	json_object *evs;

	snprintf(path, sizeof(path), "/api/workflows/%lld/logs?follow=1%s", (long long)id,
	         query != NULL ? query : "");
	assert_int_equal(http_req("GET", path, NULL, NULL, header, key, NULL, &raw), 200);
	evs = sse_parse(raw != NULL ? raw : "");
	free(raw);
	return evs;
}

/* The lines of execution id as the JSON pages give them (one page). */
static json_object *
stored_lines(int64_t id, const char *key)
{
	json_object *o = NULL, *lines;
	char path[128];

	snprintf(path, sizeof(path), "/api/workflows/%lld/logs?limit=10000", (long long)id);
	assert_int_equal(http("GET", path, NULL, key, &o, NULL), 200);
	lines = json_object_get(json_object_object_get(o, "lines"));
	json_object_put(o);
	return lines;
}

/* The field of the event at i of evs ("id", "event", "data"). */
static json_object *
ev_get(json_object *evs, size_t i, const char *field)
{
	return json_object_object_get(json_object_array_get_idx(evs, i), field);
}

/* Every line a follower gets, live as the step prints it or replayed from
 * the store, is the line the JSON pages give: the same members (seq,
 * step, level, stream, line, ts) with the same values. */
static void
test_followed_lines_are_the_stored_lines(void **state)
{
	json_object *evs, *lines;
	size_t i, n = 0;
	int64_t id;

	(void)state;
	/* followed at once: most of its 30 lines come live */
	id = submit("/api/workflows/run", "{\"workflow\":\"api-team/slow\","
	            "\"parameters\":{\"lines\":\"30\"}}", S.user_red);
	evs = follow_log(id, NULL, NULL, S.user_red);
	lines = stored_lines(id, S.user_red);
	assert_int_equal(json_object_array_length(lines), 30);
	for (i = 0; i < json_object_array_length(evs); i++) {
		json_object *d = ev_get(evs, i, "data"), *want;

		if (strcmp(json_object_get_string(ev_get(evs, i, "event")), "log") != 0)
			continue;
		assert_true(n < json_object_array_length(lines));
		want = json_object_array_get_idx(lines, n++);
		if (!json_object_equal(d, want))
			fail_msg("line %zu: followed %s, stored %s", n, json_object_to_json_string(d),
			         json_object_to_json_string(want));
	}
	assert_int_equal(n, 30);
	json_object_put(evs);
	json_object_put(lines);
}

/* The ids of a log stream are log seqs: each line's its seq, and the end's
 * the last line's (from, the cursor it resumed from, when it sent none),
 * so that a client resuming from the last id it saw (Last-Event-ID,
 * after=) neither skips nor repeats a line. */
static void
check_log_stream_ids(json_object *evs, size_t lines, int64_t from)
{
	size_t i, n = json_object_array_length(evs);
	int64_t last = from;

	assert_int_equal(n, lines + 1);
	for (i = 0; i + 1 < n; i++) {
		assert_string_equal(json_object_get_string(ev_get(evs, i, "event")), "log");
		last = json_object_get_int64(json_object_object_get(ev_get(evs, i, "data"), "seq"));
		assert_int_equal(json_object_get_int64(ev_get(evs, i, "id")), last);
	}
	assert_string_equal(json_object_get_string(ev_get(evs, n - 1, "event")), "end");
	assert_int_equal(json_object_get_int64(ev_get(evs, n - 1, "id")), last);
}

static void
test_log_stream_ids_are_seqs(void **state)
{
	json_object *evs;
	int64_t id;

	(void)state;
	id = submit("/api/workflows/run", "{\"workflow\":\"api-team/slow\","
	            "\"parameters\":{\"lines\":\"10\"}}", S.user_red);
	/* followed while it runs: the end comes live, with the run's end */
	evs = follow_log(id, NULL, NULL, S.user_red);
	check_log_stream_ids(evs, 10, 0);
	json_object_put(evs);
	/* followed once it ended: the end comes after the backlog */
	evs = follow_log(id, NULL, NULL, S.user_red);
	check_log_stream_ids(evs, 10, 0);
	json_object_put(evs);
}

/* Last-Event-ID resumes a logs stream as after= does, with the same
 * checks; after= wins over it, as on /api/events/stream. */
static void
test_log_stream_resumes_from_last_event_id(void **state)
{
	static const char *const bad[] = {
		"Last-Event-ID: nope", "Last-Event-ID: -1", "Last-Event-ID: 1x",
		"Last-Event-ID: 99999999999999999999", "Last-Event-ID: +5", "Last-Event-ID;",
	};
	json_object *evs, *lines, *o = NULL;
	char hdr[64], path[128];
	int64_t id, mid;
	size_t i;

	(void)state;
	id = submit("/api/workflows/run", "{\"workflow\":\"api-team/slow\","
	            "\"parameters\":{\"lines\":\"8\"}}", S.user_red);
	json_object_put(wait_done(id, S.user_red));
	lines = stored_lines(id, S.user_red);
	mid = jint(json_object_array_get_idx(lines, 4), "seq");
	snprintf(hdr, sizeof(hdr), "Last-Event-ID: %lld", (long long)mid);
	/* the lines after the fifth, then the end */
	evs = follow_log(id, NULL, hdr, S.user_red);
	check_log_stream_ids(evs, 3, mid);
	assert_int_equal(jint(json_object_object_get(json_object_array_get_idx(evs, 0), "data"),
	                      "seq"), jint(json_object_array_get_idx(lines, 5), "seq"));
	json_object_put(evs);
	/* after= wins */
	evs = follow_log(id, "&after=0", hdr, S.user_red);
	check_log_stream_ids(evs, 8, 0);
	json_object_put(evs);
	/* the last line's seq: nothing more, the end */
	mid = jint(json_object_array_get_idx(lines, 7), "seq");
	snprintf(hdr, sizeof(hdr), "Last-Event-ID: %lld", (long long)mid);
	evs = follow_log(id, NULL, hdr, S.user_red);
	check_log_stream_ids(evs, 0, mid);
	json_object_put(evs);
	/* what is no cursor is a 400 that names it, as on the event stream */
	snprintf(path, sizeof(path), "/api/workflows/%lld/logs?follow=1", (long long)id);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_error(http_req("GET", path, NULL, NULL, bad[i], S.user_red, &o, NULL), 400, o,
		             "bad_cursor");
		TU_ASSERT_CONTAINS(jget(json_object_object_get(o, "error"), "message"),
		                   "Last-Event-ID");
		json_object_put(o);
		assert_error(http_req("GET", "/api/events/stream", NULL, NULL, bad[i], S.user_red,
		                      &o, NULL), 400, o, "bad_cursor");
		json_object_put(o);
	}
	json_object_put(lines);
}

/* Times not known yet are null, duration_ms too: a list item and a step
 * of a running execution have every member a finished one has. */
static void
test_unknown_durations_are_null(void **state)
{
	json_object *o = NULL, *e = NULL, *data;
	char path[128];
	int64_t id;
	size_t i;

	(void)state;
	id = submit("/api/workflows/run", "{\"workflow\":\"api-team/slow\","
	            "\"parameters\":{\"lines\":\"1\",\"hold\":\"30\"}}", S.user_red);
	snprintf(path, sizeof(path), "/api/workflows/%lld", (long long)id);
	/* its step is running (the execution runs a moment before it) */
	for (i = 0; i < 500; i++) {
		assert_int_equal(http("GET", path, NULL, S.user_red, &o, NULL), 200);
		e = json_object_array_get_idx(json_object_object_get(o, "steps"), 0);
		if (strcmp(jget(o, "status"), "running") == 0 &&
		    strcmp(jget(e, "status"), "running") == 0)
			break;
		json_object_put(o);
		o = NULL;
		usleep(20 * 1000);
	}
	assert_non_null(o);
	assert_true(jint(o, "started_ms") > 0);
	assert_true(has_null(o, "ended_ms") && has_null(o, "duration_ms"));
	e = json_object_array_get_idx(json_object_object_get(o, "steps"), 0);
	assert_string_equal(jget(e, "status"), "running");
	assert_true(has_null(e, "ended_ms") && has_null(e, "duration_ms"));
	json_object_put(o);
	assert_int_equal(http("GET", "/api/workflows?status=running&page_size=200", NULL,
	                      S.user_red, &o, NULL), 200);
	data = json_object_object_get(o, "data");
	for (i = 0, e = NULL; i < json_object_array_length(data); i++)
		if (jint(json_object_array_get_idx(data, i), "id") == id)
			e = json_object_array_get_idx(data, i);
	assert_non_null(e);
	assert_true(has_null(e, "ended_ms") && has_null(e, "duration_ms"));
	json_object_put(o);
	snprintf(path, sizeof(path), "/api/workflows/%lld/cancel", (long long)id);
	assert_int_equal(http("POST", path, "", S.user_red, NULL, NULL), 202);
	o = wait_done(id, S.user_red);
	assert_true(jint(o, "duration_ms") >= 0 && !has_null(o, "duration_ms"));
	json_object_put(o);
}

/* Cancels execution id (202) and waits until it has ended. */
static void
cancel_wait(int64_t id, const char *key)
{
	json_object *o = NULL;
	char path[128];

	snprintf(path, sizeof(path), "/api/workflows/%lld/cancel", (long long)id);
	assert_int_equal(http("POST", path, "", key, &o, NULL), 202);
	json_object_put(o);
	json_object_put(wait_done(id, key));
}

static void
test_cancel_and_retry(void **state)
{
	json_object *o = NULL;
	char path[128], body[8192], marker[4096];
	int64_t id, rid;

	(void)state;
	id = submit("/api/workflows/run", "{\"workflow\":\"api-team/slow\","
	            "\"parameters\":{\"lines\":\"1\",\"hold\":\"30\"}}", S.user_red);
	usleep(300 * 1000);
	snprintf(path, sizeof(path), "/api/workflows/%lld/cancel", (long long)id);
	assert_int_equal(http("POST", path, "", S.user_red, &o, NULL), 202);
	json_object_put(o);
	o = wait_done(id, S.user_red);
	assert_string_equal(jget(o, "status"), "cancelled");
	json_object_put(o);
	assert_error(http("POST", path, "", S.user_red, &o, NULL), 409, o, "not_running");
	json_object_put(o);

	/* one retry at a time: a second one while the first is pending or
	 * running is refused naming it; the original says who retries it */
	snprintf(path, sizeof(path), "/api/workflows/%lld", (long long)id);
	assert_int_equal(http("GET", path, NULL, S.user_red, &o, NULL), 200);
	assert_true(json_object_object_get_ex(o, "retried_by", NULL));
	assert_null(json_object_object_get(o, "retried_by"));
	json_object_put(o);
	snprintf(path, sizeof(path), "/api/workflows/%lld/retry", (long long)id);
	assert_int_equal(http("POST", path, "", S.user_red, &o, NULL), 202);
	rid = jint(o, "id");
	json_object_put(o);
	assert_error(http("POST", path, "", S.user_red, &o, NULL), 409, o, "conflict");
	snprintf(marker, sizeof(marker), "execution %lld is already being retried by execution "
	         "%lld", (long long)id, (long long)rid);
	TU_ASSERT_CONTAINS(js(o), marker);
	assert_int_equal(json_object_get_int64(json_object_object_get(
	    json_object_object_get(o, "error"), "execution")), rid);
	json_object_put(o);
	snprintf(path, sizeof(path), "/api/workflows/%lld", (long long)id);
	assert_int_equal(http("GET", path, NULL, S.user_red, &o, NULL), 200);
	assert_int_equal(jint(o, "retried_by"), rid);
	json_object_put(o);
	cancel_wait(rid, S.user_red);
	/* that retry ended: the original may be retried again */
	snprintf(path, sizeof(path), "/api/workflows/%lld/retry", (long long)id);
	assert_int_equal(http("POST", path, "", S.user_red, &o, NULL), 202);
	rid = jint(o, "id");
	json_object_put(o);
	cancel_wait(rid, S.user_red);

	/* retry from the failed step: the step that succeeded is reused */
	snprintf(marker, sizeof(marker), "%s/marker", S.dir);
	snprintf(body, sizeof(body), "{\"workflow\":\"api-team/flaky\",\"parameters\":"
	         "{\"marker\":\"%s\"}}", marker);
	id = submit("/api/workflows/run", body, S.user_red);
	o = wait_done(id, S.user_red);
	assert_string_equal(jget(o, "status"), "failed");
	TU_ASSERT_CONTAINS(jget(o, "message"), "step \"check\"");
	json_object_put(o);
	assert_int_equal(tu_write(marker, "now\n"), 0);
	snprintf(path, sizeof(path), "/api/workflows/%lld/retry", (long long)id);
	assert_int_equal(http("POST", path, "", S.user_red, &o, NULL), 202);
	rid = jint(o, "id");
	json_object_put(o);
	assert_true(rid != id);
	o = wait_done(rid, S.user_red);
	assert_string_equal(jget(o, "status"), "succeeded");
	assert_int_equal(jint(o, "retry_of"), id);
	TU_ASSERT_CONTAINS(js(o), "reused from an earlier execution");
	json_object_put(o);
	assert_error(http("POST", path, "", S.user_blue, &o, NULL), 404, o, "not_found");
	json_object_put(o);
}

static int sse_names_execution(const char *raw, int64_t id, const char *type);

/* A GET of the event stream at path as key, its bytes to b by fn. */
static CURL *
stream_open(const char *path, const char *key, struct curl_slist **h,
            size_t (*fn)(char *, size_t, size_t, void *), struct buf *b)
{
	CURL *c = curl_easy_init();
	char url[256], auth[256];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", S.port, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	*h = curl_slist_append(NULL, auth);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fn);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	return c;
}

/* Records what the stream got (INN_API_RECORD); returns its status. */
static long
stream_close(CURL *c, struct curl_slist *h, const char *path, const struct buf *b)
{
	char *ctype = NULL;
	long st = 0;

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ctype);
	record("GET", path, st, ctype, b->p);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	return st;
}

static void
test_events_stream(void **state)
{
	char *raw = NULL;
	CURL *c;
	struct buf b = { NULL, 0 };
	struct curl_slist *h = NULL;
	int64_t id;

	(void)state;
	/* an event cursor: replay everything after 0 from the store, then live;
	 * read for a moment and check a finished execution shows up */
	id = submit("/api/golden-paths/hello/run", "{}", S.user_red);
	json_object_put(wait_done(id, S.user_red));
	c = stream_open("/api/events/stream?after=1", S.user_red, &h, collect, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 800L);
	curl_easy_perform(c);
	assert_int_equal(stream_close(c, h, "/api/events/stream?after=1", &b), 200);
	raw = b.p;
	assert_non_null(raw);
	TU_ASSERT_CONTAINS(raw, "event: execution.finished");
	/* replayed from the store, each names its execution (U13) */
	assert_true(sse_names_execution(raw, id, "execution.finished") > 0);
	assert_true(sse_names_execution(raw, id, "step.succeeded") > 0);
	free(raw);
}

/* How many events of type (a prefix: "step.") in the SSE text raw name
 * execution id in their data; fails when an execution or step event
 * names none (a dashboard could not tell whose it is). */
static int
sse_names_execution(const char *raw, int64_t id, const char *type)
{
	const char *p = raw;
	int count = 0;

	while ((p = strstr(p, "event: ")) != NULL) {
		const char *ev = p + 7, *data = strstr(ev, "\ndata: ");
		json_object *d, *x;
		char *line;
		size_t n;

		p = ev;
		if (data == NULL)
			break;
		if (strncmp(ev, "step.", 5) != 0 && strncmp(ev, "execution.", 10) != 0)
			continue;
		data += 7;
		n = strcspn(data, "\n");
		line = strndup(data, n);
		d = json_tokener_parse(line);
		free(line);
		if (!json_object_object_get_ex(d, "execution", &x) ||
		    !json_object_is_type(x, json_type_int) || json_object_get_int64(x) <= 0)
			fail_msg("an event without its execution: %.*s", (int)(n + 7 + 30), ev);
		if (strncmp(ev, type, strlen(type)) == 0 && json_object_get_int64(x) == id)
			count++;
		json_object_put(d);
	}
	return count;
}

/* A live stream's bytes and the executions whose ends end it (none yet:
 * nid 0). */
struct live {
	struct buf b;           /* first: collect() takes a struct live as its buf */
	int64_t id[3];
	size_t nid;
};

/* Whether the SSE text raw holds the whole finished event of execution id
 * (another execution's end does not count). */
static int
finished_in(const char *raw, int64_t id)
{
	const char *p = raw;
	char want[64];

	snprintf(want, sizeof(want), "\"execution\":%lld", (long long)id);
	while (p != NULL && (p = strstr(p, "event: execution.finished\n")) != NULL) {
		const char *d = strstr(p, "\ndata: "), *end = d ? strchr(d + 1, '\n') : NULL;
		const char *hit;

		p++;
		if (end == NULL)
			break;          /* not whole yet */
		hit = memmem(d, (size_t)(end - d), want, strlen(want));
		if (hit != NULL && !isdigit((unsigned char)hit[strlen(want)]))
			return 1;
	}
	return 0;
}

/* The write function of a live stream: collects until the finished events
 * of all of l's executions have arrived whole. */
static size_t
collect_until_finished(char *data, size_t size, size_t nmemb, void *ud)
{
	struct live *l = ud;
	size_t n = collect(data, size, nmemb, &l->b), i;

	for (i = 0; n > 0 && i < l->nid && finished_in(l->b.p, l->id[i]); i++)
		;
	return l->nid > 0 && i == l->nid ? 0 : n;
}

/* U13: the live events (no cursor) name their execution too, as
 * published by the runs, not only as replayed from the store. */
static void
test_live_events_name_their_execution(void **state)
{
	CURLM *m = curl_multi_init();
	struct live l = { { NULL, 0 }, { 0 }, 0 };
	struct curl_slist *h = NULL;
	CURL *c = stream_open("/api/events/stream", S.user_red, &h, collect_until_finished, &l.b);
	int running = 1, i;
	long st = 0;

	(void)state;
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_multi_add_handle(m, c);
	/* the stream is open (its 200 came) before the run starts */
	for (i = 0; running && i < 6000; i++) {
		curl_multi_perform(m, &running);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
		if (st != 0 && l.nid == 0)
			l.id[l.nid++] = submit("/api/golden-paths/hello/run", "{}", S.user_red);
		curl_multi_poll(m, NULL, 0, 10, NULL);
	}
	curl_multi_remove_handle(m, c);
	curl_multi_cleanup(m);
	assert_int_equal(stream_close(c, h, "/api/events/stream", &l.b), 200);
	assert_true(l.nid == 1 && l.id[0] > 0);
	assert_non_null(l.b.p);
	assert_true(sse_names_execution(l.b.p, l.id[0], "execution.finished") > 0);
	assert_true(sse_names_execution(l.b.p, l.id[0], "step.succeeded") > 0);
	free(l.b.p);
}

/* Checks the execution.created event of execution id among the events
 * evs: {execution, status: pending, workflow, kind, app, team}, the values
 * GET /api/workflows/{id} gives, before its execution.started. */
static void
check_created(json_object *evs, int64_t id)
{
	static const char *const same[] = { "workflow", "kind", "app", "team" };
	json_object *o = NULL, *d = NULL;
	char path[64];
	size_t i, k, created = 0;

	snprintf(path, sizeof(path), "/api/workflows/%lld", (long long)id);
	assert_int_equal(http("GET", path, NULL, S.admin, &o, NULL), 200);
	for (i = 0; i < json_object_array_length(evs); i++) {
		const char *type = json_object_get_string(ev_get(evs, i, "event"));

		if (jint(ev_get(evs, i, "data"), "execution") != id)
			continue;
		if (strcmp(type, "execution.created") == 0) {
			d = ev_get(evs, i, "data");
			created = i;
		} else if (strcmp(type, "execution.started") == 0) {
			if (d == NULL)
				fail_msg("execution %lld: started, not created before", (long long)id);
			assert_true(jint(json_object_array_get_idx(evs, created), "id") <
			            jint(json_object_array_get_idx(evs, i), "id"));
		}
	}
	if (d == NULL)
		fail_msg("execution %lld: no execution.created", (long long)id);
	assert_int_equal(json_object_object_length(d), 6);
	assert_string_equal(jget(d, "status"), "pending");
	for (k = 0; k < sizeof(same) / sizeof(same[0]); k++) {
		json_object *got = NULL, *want = NULL;

		assert_true(json_object_object_get_ex(d, same[k], &got));
		assert_true(json_object_object_get_ex(o, same[k], &want));
		if (!json_object_equal(got, want))
			fail_msg("execution.created of %lld: %s is %s, not %s", (long long)id, same[k],
			         json_object_to_json_string(got), json_object_to_json_string(want));
	}
	json_object_put(o);
}

/* An execution is announced when it is created (execution.created, while
 * it waits to start), live and replayed, to the streams that may see it
 * only: its team's keys and admins; a key without a team, its own. */
static void
test_created_events_reach_only_whom_they_concern(void **state)
{
	static const char *const run[3][2] = {
		{ "/api/golden-paths/hello/run", "{}" },
		{ "/api/workflows/run", "{\"workflow\":\"api-team/quick\"}" },
		{ "/api/workflows/run", "{\"workflow\":\"api-team/quick\",\"dry_run\":true}" },
	};
	CURLM *m = curl_multi_init();
	struct live l[4];
	struct curl_slist *h[4];
	CURL *c[4];
	const char *keys[4];
	char solo[128];
	int running = 1, i, k, open;
	size_t j;

	(void)state;
	make_key("created-solo", "user", NULL, solo, sizeof(solo));
	keys[0] = S.user_red;
	keys[1] = S.user_blue;
	keys[2] = solo;
	keys[3] = S.admin;
	memset(l, 0, sizeof(l));
	for (k = 0; k < 4; k++) {
		c[k] = stream_open("/api/events/stream", keys[k], &h[k], collect_until_finished,
		                   &l[k].b);
		curl_easy_setopt(c[k], CURLOPT_TIMEOUT, 60L);
		curl_multi_add_handle(m, c[k]);
	}
	/* the streams are open (their 200 came) before the runs start: one
	 * of each key, the admin's stream waits for all three */
	for (i = 0; running && i < 6000; i++) {
		curl_multi_perform(m, &running);
		for (k = open = 0; k < 4; k++) {
			long st = 0;

			curl_easy_getinfo(c[k], CURLINFO_RESPONSE_CODE, &st);
			open += st != 0;
		}
		if (open == 4 && l[3].nid == 0)
			for (k = 0; k < 3; k++) {
				l[k].id[l[k].nid++] = submit(run[k][0], run[k][1], keys[k]);
				l[3].id[l[3].nid++] = l[k].id[0];
			}
		curl_multi_poll(m, NULL, 0, 10, NULL);
	}
	for (k = 0; k < 4; k++) {
		json_object *evs;

		curl_multi_remove_handle(m, c[k]);
		assert_int_equal(stream_close(c[k], h[k], "/api/events/stream", &l[k].b), 200);
		assert_int_equal(l[3].nid, 3);
		evs = sse_parse(l[k].b.p != NULL ? l[k].b.p : "");
		for (j = 0; j < 3; j++) {
			int seen = sse_names_execution(l[k].b.p ? l[k].b.p : "", l[3].id[j], "");

			if (k == 3 || (size_t)k == j)
				check_created(evs, l[3].id[j]);
			else if (seen)
				fail_msg("the stream of key %d got %d events of execution %lld, another's",
				         k, seen, (long long)l[3].id[j]);
		}
		json_object_put(evs);
		free(l[k].b.p);
	}
	curl_multi_cleanup(m);
	/* replayed from the store: the same, scoped the same */
	for (k = 0; k < 3; k++) {
		struct buf b = { NULL, 0 };
		struct curl_slist *hh = NULL;
		CURL *r = stream_open("/api/events/stream?after=0", keys[k], &hh, collect, &b);
		json_object *evs;

		curl_easy_setopt(r, CURLOPT_TIMEOUT_MS, 800L);
		curl_easy_perform(r);
		assert_int_equal(stream_close(r, hh, "/api/events/stream?after=0", &b), 200);
		evs = sse_parse(b.p != NULL ? b.p : "");
		for (j = 0; j < 3; j++)
			if ((size_t)k == j)
				check_created(evs, l[3].id[j]);
			else if (sse_names_execution(b.p ? b.p : "", l[3].id[j], "") > 0)
				fail_msg("replayed to key %d: events of execution %lld, another's", k,
				         (long long)l[3].id[j]);
		json_object_put(evs);
		free(b.p);
	}
}

/* The routes the other tests do not take, so that the OpenAPI test
 * (tests/openapi_validate.sh) sees their replies: a golden path's detail,
 * the original's execute route with a YAML spec, a deploy's plan, a
 * refused spec, a deletion's plan. */
static void
test_more_routes(void **state)
{
	json_object *o = NULL, *e;
	int64_t id;

	(void)state;
	red_get("/api/golden-paths/hello", NULL, "\"source\"");
	assert_error(http("GET", "/api/golden-paths/nope", NULL, S.user_red, &o, NULL), 404, o,
	             "not_found");
	json_object_put(o);
	assert_int_equal(http("POST", "/api/workflows/golden-paths/hello/execute?param.who=doc",
	                      "apiVersion: score.dev/v1b1\nmetadata: {name: docs}\n"
	                      "containers: {web: {image: docs}}\n", S.user_red, &o, NULL), 200);
	assert_string_equal(jget(o, "application"), "docs");
	id = jint(o, "id");
	json_object_put(o);
	o = wait_done(id, S.user_red);
	assert_string_equal(jget(o, "status"), "succeeded");
	json_object_put(o);
	assert_int_equal(http("POST", "/api/applications?dry_run=true",
	                      "apiVersion: score.dev/v1b1\nmetadata: {name: planned}\n"
	                      "containers: {web: {image: p}}\n"
	                      "resources:\n  cache: {type: kv, params: {name: p}}\n",
	                      S.user_red, &o, NULL), 200);
	assert_string_equal(jget(o, "status"), "planned");
	json_object_put(o);
	assert_error(http("POST", "/api/applications", "apiVersion: score.dev/v1b1\nmetadata: {}\n",
	                  S.user_red, &o, NULL), 400, o, "invalid_spec");
	assert_true(json_object_object_get_ex(json_object_object_get(o, "error"), "details", &e));
	assert_true(json_object_array_length(e) > 0);
	json_object_put(o);
	assert_int_equal(http("DELETE", "/api/applications/shop?dry_run=true", NULL, S.user_red,
	                      &o, NULL), 200);
	assert_string_equal(jget(o, "application"), "shop");
	json_object_put(o);
	assert_error(http("DELETE", "/api/applications/nothing", NULL, S.user_red, &o, NULL), 404,
	             o, "not_found");
	json_object_put(o);
}

/* Key listing: every key, live and revoked, with its role and team, and
 * never the key or anything like it; admins only. */
static void
test_key_list(void **state)
{
	json_object *o = NULL, *data, *k;
	char key[128];
	size_t i;
	int seen_live = 0, seen_revoked = 0, seen_root = 0;

	(void)state;
	make_key("list-me", "user", "red", key, sizeof(key));
	make_key("list-gone", "admin", "blue", NULL, 0);
	assert_int_equal(http("DELETE", "/api/admin/keys/list-gone", NULL, S.admin, NULL, NULL), 200);
	assert_int_equal(http("GET", "/api/admin/keys", NULL, S.admin, &o, NULL), 200);
	assert_true(json_object_object_get_ex(o, "data", &data));
	/* not a key, not a hash: neither the plain key nor 64 hex digits */
	assert_null(strstr(js(o), key));
	assert_null(strstr(js(o), "inn_"));
	for (i = 0; i < json_object_array_length(data); i++) {
		k = json_object_array_get_idx(data, i);
		assert_int_equal(json_object_object_length(k), 5);
		if (strcmp(jget(k, "name"), "list-me") == 0) {
			assert_string_equal(jget(k, "role"), "user");
			assert_string_equal(jget(k, "team"), "red");
			assert_false(json_object_get_boolean(json_object_object_get(k, "revoked")));
			assert_true(jint(k, "created_ms") > 0);
			seen_live = 1;
		} else if (strcmp(jget(k, "name"), "list-gone") == 0) {
			assert_string_equal(jget(k, "role"), "admin");
			assert_true(json_object_get_boolean(json_object_object_get(k, "revoked")));
			seen_revoked = 1;
		} else if (strcmp(jget(k, "name"), "root") == 0) {
			/* made by --create-admin-key: no team, null */
			assert_true(json_object_is_type(json_object_object_get(k, "team"),
			                                json_type_null));
			assert_true(json_object_object_get_ex(k, "team", NULL));
			seen_root = 1;
		}
	}
	assert_true(seen_live && seen_revoked && seen_root);
	json_object_put(o);
	/* a user key may not list them */
	assert_error(http("GET", "/api/admin/keys", NULL, key, &o, NULL), 403, o, "forbidden");
	json_object_put(o);
	/* the listing is in the audit trail */
	assert_int_equal(http("GET", "/api/admin/audit?limit=5", NULL, S.admin, &o, NULL), 200);
	TU_ASSERT_CONTAINS(js(o), "\"action\":\"key.list\"");
	json_object_put(o);
}

/* GET /api/admin/audit?before=ID pages back through the whole trail:
 * limit by limit, newest first, each entry once, to the first. */
static void
test_audit_pages_back(void **state)
{
	static const char *const bad[] = { "0", "-1", "99999999999999999999", "abc", "", "1.5" };
	json_object *all = NULL, *page = NULL, *o = NULL;
	char path[128];
	int64_t before = 0;
	size_t i, n = 0, got;

	(void)state;
	make_key("audit-page", "user", "red", NULL, 0);
	assert_int_equal(http("GET", "/api/admin/audit?limit=1000", NULL, S.admin, &all, NULL), 200);
	assert_true(json_object_array_length(all) > 20 && json_object_array_length(all) < 1000);
	do {
		if (before > 0)
			snprintf(path, sizeof(path), "/api/admin/audit?limit=7&before=%lld",
			         (long long)before);
		else
			snprintf(path, sizeof(path), "/api/admin/audit?limit=7");
		assert_int_equal(http("GET", path, NULL, S.admin, &page, NULL), 200);
		got = json_object_array_length(page);
		for (i = 0; i < got; i++, n++) {
			json_object *e = json_object_array_get_idx(page, i);

			assert_true(n < json_object_array_length(all));
			if (!json_object_equal(e, json_object_array_get_idx(all, n)))
				fail_msg("entry %zu: %s, not %s", n, js(e),
				         js(json_object_array_get_idx(all, n)));
			before = jint(e, "id");
		}
		json_object_put(page);
	} while (got == 7);
	assert_int_equal(n, json_object_array_length(all));
	assert_int_equal(before, jint(json_object_array_get_idx(all, n - 1), "id"));
	/* the largest id there can be: from the newest */
	snprintf(path, sizeof(path), "/api/admin/audit?limit=1000&before=%lld",
	         (long long)INT64_MAX);
	assert_int_equal(http("GET", path, NULL, S.admin, &page, NULL), 200);
	assert_true(json_object_equal(page, all));
	json_object_put(page);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/api/admin/audit?before=%s", bad[i]);
		assert_error(http("GET", path, NULL, S.admin, &o, NULL), 400, o, "invalid_request");
		TU_ASSERT_CONTAINS(js(o), "before");
		json_object_put(o);
	}
	json_object_put(all);
}

/* GET /api/me: who the calling key is, for any key; a bad key is 401. */
static void
test_me(void **state)
{
	json_object *o = NULL;
	char key[128];

	(void)state;
	red_get("/api/me", NULL, "{\"name\":\"red-dev\",\"role\":\"user\",\"team\":\"red\"}");
	/* made by --create-admin-key: an admin without a team (null) */
	assert_int_equal(http("GET", "/api/me", NULL, S.admin, &o, NULL), 200);
	assert_string_equal(js(o), "{\"name\":\"root\",\"role\":\"admin\",\"team\":null}");
	json_object_put(o);
	/* a user key without a team */
	make_key("me-solo", "user", NULL, key, sizeof(key));
	assert_int_equal(http("GET", "/api/me", NULL, key, &o, NULL), 200);
	assert_string_equal(js(o), "{\"name\":\"me-solo\",\"role\":\"user\",\"team\":null}");
	json_object_put(o);
	/* no key, an unknown one, a revoked one */
	assert_needs_key("/api/me");
	assert_int_equal(http("DELETE", "/api/admin/keys/me-solo", NULL, S.admin, NULL, NULL), 200);
	assert_error(http("GET", "/api/me", NULL, key, &o, NULL), 401, o, "unauthorized");
	json_object_put(o);
	/* GET only */
	assert_error(http("POST", "/api/me", "{}", S.user_red, &o, NULL), 405, o,
	             "method_not_allowed");
	json_object_put(o);
}

/* GET /api/plugins/refused: what the start refused, with the step type the
 * file's name gives and why; a reload changes nothing of it (the plugins
 * are loaded at start). */
static void
check_refused(const char *key)
{
	json_object *o = NULL, *data, *r;
	size_t i;
	int seen = 0;

	assert_int_equal(http("GET", "/api/plugins/refused", NULL, key, &o, NULL), 200);
	assert_true(json_object_object_get_ex(o, "data", &data));
	assert_int_equal(json_object_array_length(data), 2);
	for (i = 0; i < json_object_array_length(data); i++) {
		r = json_object_array_get_idx(data, i);
		assert_int_equal(json_object_object_length(r), 3);
		if (strcmp(jget(r, "file"), "badmagic.so") == 0) {
			assert_string_equal(jget(r, "step_type"), "badmagic");
			TU_ASSERT_CONTAINS(jget(r, "reason"), "bad magic");
			seen |= 1;
		} else if (strcmp(jget(r, "file"), "No_Type.so") == 0) {
			assert_true(json_object_object_get_ex(r, "step_type", NULL));
			assert_null(jget(r, "step_type"));
			TU_ASSERT_CONTAINS(jget(r, "reason"), "not a valid step type name");
			seen |= 2;
		}
	}
	assert_int_equal(seen, 3);
	json_object_put(o);
}

static void
test_plugins_refused(void **state)
{
	json_object *o = NULL;

	(void)state;
	check_refused(S.user_red);
	/* not among the loaded ones */
	assert_int_equal(http("GET", "/api/plugins", NULL, S.user_red, &o, NULL), 200);
	assert_null(strstr(js(o), "badmagic"));
	assert_null(strstr(js(o), "No_Type"));
	json_object_put(o);
	assert_int_equal(http("POST", "/api/admin/reload", NULL, S.admin, &o, NULL), 200);
	json_object_put(o);
	check_refused(S.admin);
	assert_needs_key("/api/plugins/refused");
}

/* The raw bytes req sent to the server; the reply's status line and body
 * (recorded as method and path, for the document's check). */
static long
raw_request(const char *req, const char *method, const char *path, json_object **out)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	char reply[8192], *body;
	size_t n = 0;
	ssize_t k;
	long st = 0;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)S.port);
	assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(s, req, strlen(req)), (ssize_t)strlen(req));
	while (n + 1 < sizeof(reply) && (k = read(s, reply + n, sizeof(reply) - 1 - n)) > 0)
		n += (size_t)k;
	close(s);
	reply[n] = '\0';
	assert_int_equal(sscanf(reply, "HTTP/1.1 %ld", &st), 1);
	TU_ASSERT_CONTAINS(reply, "Content-Type: application/json");
	body = strstr(reply, "\r\n\r\n");
	assert_non_null(body);
	record(method, path, st, "application/json", body + 4);
	*out = json_tokener_parse(body + 4);
	return st;
}

/* The hostile findings of issue 14: every bad request is a JSON 4xx that
 * says what is wrong, and nothing is quietly dropped or guessed. */
static void
test_requests_are_taken_as_written(void **state)
{
	json_object *o = NULL;
	char path[128], key[128];
	int64_t id;
	static const char *const bad_queries[] = {
		"/api/workflows?status=bogus", "/api/workflows?page=0", "/api/workflows?page=-1",
		"/api/workflows?page=abc", "/api/workflows?page_size=0",
		"/api/workflows?page_size=abc", "/api/workflows?page_size=1000000",
		"/api/admin/audit?limit=abc", "/api/admin/audit?limit=-1",
	};
	size_t i;

	(void)state;
	/* out-of-range and unknown query values: 400 naming the parameter */
	for (i = 0; i < sizeof(bad_queries) / sizeof(bad_queries[0]); i++) {
		assert_error(http("GET", bad_queries[i], NULL, S.admin, &o, NULL), 400, o,
		             "invalid_request");
		TU_ASSERT_CONTAINS(js(o), "query: ");
		json_object_put(o);
	}
	assert_error(http("GET", "/api/workflows?page_size=1000000", NULL, S.admin, &o, NULL),
	             400, o, "invalid_request");
	TU_ASSERT_CONTAINS(js(o), "page_size takes an integer from 1 to 200");
	json_object_put(o);
	assert_error(http("GET", "/api/workflows?status=bogus", NULL, S.admin, &o, NULL), 400, o,
	             "invalid_request");
	TU_ASSERT_CONTAINS(js(o), "timed_out");
	json_object_put(o);
	assert_int_equal(http("GET", "/api/workflows?page_size=200&page=1&status=failed", NULL,
	                      S.admin, NULL, NULL), 200);
	/* a value longer than the server reads of it is refused whole, never
	 * read as its first part (30 zeros, then 2x: not page_size 2, not
	 * after 2) */
	assert_error(http("GET", "/api/workflows?page_size=0000000000000000000000000000002x",
	                  NULL, S.admin, &o, NULL), 400, o, "invalid_request");
	json_object_put(o);
	assert_error(http("GET", "/api/workflows/1/logs?after=0000000000000000000000000000002x",
	                  NULL, S.admin, &o, NULL), 400, o, "bad_cursor");
	json_object_put(o);

	/* ?dry_run on the run routes is a dry run, not a real one */
	assert_int_equal(http("POST", "/api/workflows/run?dry_run=true",
	                      "{\"workflow\":\"api-team/quick\"}", S.user_red, &o, NULL), 202);
	id = jint(o, "id");
	json_object_put(o);
	o = wait_done(id, S.user_red);
	assert_true(json_object_get_boolean(json_object_object_get(o, "dry_run")));
	json_object_put(o);
	assert_error(http("POST", "/api/workflows/run?dry_run=true",
	                  "{\"workflow\":\"api-team/quick\",\"dry_run\":false}", S.user_red, &o,
	                  NULL), 400, o, "invalid_request");
	json_object_put(o);
	assert_error(http("POST", "/api/workflows/run?dryrun=true",
	                  "{\"workflow\":\"api-team/quick\"}", S.user_red, &o, NULL), 400, o,
	             "invalid_request");
	TU_ASSERT_CONTAINS(js(o), "unknown parameter \\\"dryrun\\\"");
	json_object_put(o);
	assert_error(http("POST", "/api/golden-paths/hello/run?dry_run=maybe", "{}", S.user_red,
	                  &o, NULL), 400, o, "invalid_request");
	json_object_put(o);
	assert_int_equal(http("POST", "/api/golden-paths/hello/run?dry_run=1", "{}", S.user_red,
	                      &o, NULL), 202);
	id = jint(o, "id");
	json_object_put(o);
	o = wait_done(id, S.user_red);
	assert_true(json_object_get_boolean(json_object_object_get(o, "dry_run")));
	json_object_put(o);

	/* retry takes no new parameters: they would be dropped unseen */
	id = submit("/api/workflows/run", "{\"workflow\":\"api-team/slow\","
	            "\"parameters\":{\"lines\":\"1\",\"hold\":\"30\"}}", S.user_red);
	snprintf(path, sizeof(path), "/api/workflows/%lld/cancel", (long long)id);
	assert_int_equal(http("POST", path, "", S.user_red, NULL, NULL), 202);
	json_object_put(wait_done(id, S.user_red));
	snprintf(path, sizeof(path), "/api/workflows/%lld/retry", (long long)id);
	assert_error(http("POST", path, "{\"parameters\":{\"hold\":\"1\"}}", S.user_red, &o,
	                  NULL), 400, o, "invalid_request");
	TU_ASSERT_CONTAINS(js(o), "retry runs the execution again with its own parameters");
	json_object_put(o);
	assert_int_equal(http("POST", path, "{}", S.user_red, &o, NULL), 202);
	id = jint(o, "id");
	json_object_put(o);
	snprintf(path, sizeof(path), "/api/workflows/%lld/cancel", (long long)id);
	assert_int_equal(http("POST", path, "", S.user_red, NULL, NULL), 202);
	json_object_put(wait_done(id, S.user_red));

	/* one member name once: json-c would keep the last "role" */
	assert_error(http("POST", "/api/admin/keys", "{\"name\":\"d1\",\"role\":\"user\","
	                  "\"role\":\"admin\"}", S.admin, &o, NULL), 400, o, "invalid_json");
	TU_ASSERT_CONTAINS(js(o), "duplicate member \\\"role\\\" at byte 27");
	json_object_put(o);
	assert_error(http("POST", "/api/workflows/run", "{\"workflow\":\"api-team/quick\","
	                  "\"parameters\":{\"a\":\"1\",\"\\u0061\":\"2\"}}", S.user_red, &o,
	                  NULL), 400, o, "invalid_json");
	TU_ASSERT_CONTAINS(js(o), "in parameters");
	json_object_put(o);

	/* a JSON route takes JSON (or a body without a Content-Type) */
	assert_error(http_ct("POST", "/api/workflows/run", "{\"workflow\":\"api-team/quick\"}",
	                     "text/plain", S.user_red, &o, NULL), 415, o, "unsupported_media_type");
	json_object_put(o);
	assert_int_equal(http_ct("POST", "/api/workflows/run?dry_run=true",
	                         "{\"workflow\":\"api-team/quick\"}", NULL, S.user_red, &o,
	                         NULL), 202);
	json_object_put(wait_done(jint(o, "id"), S.user_red));
	json_object_put(o);
	assert_int_equal(http_ct("POST", "/api/workflows/run?dry_run=true",
	                         "{\"workflow\":\"api-team/quick\"}",
	                         "application/vnd.x+json; charset=utf-8", S.user_red, &o, NULL),
	                 202);
	json_object_put(wait_done(jint(o, "id"), S.user_red));
	json_object_put(o);
	/* curl -d's unasked form type is read as JSON too */
	assert_int_equal(http_ct("POST", "/api/workflows/run?dry_run=true",
	                         "{\"workflow\":\"api-team/quick\"}",
	                         "application/x-www-form-urlencoded", S.user_red, &o, NULL), 202);
	json_object_put(wait_done(jint(o, "id"), S.user_red));
	json_object_put(o);
	/* ... the Score routes any (as the original took them) */
	assert_int_equal(http_ct("POST", "/api/applications?dry_run=true",
	                         "apiVersion: score.dev/v1b1\nmetadata: {name: anyct}\n"
	                         "containers: {web: {image: p}}\n", "text/plain", S.user_red,
	                         &o, NULL), 200);
	json_object_put(o);
	/* an unknown golden path before its spec */
	assert_error(http("POST", "/api/workflows/golden-paths/nope/execute", "metadata: [",
	                  S.user_red, &o, NULL), 404, o, "not_found");
	json_object_put(o);

	/* keys: no team is null, a live name is refused plainly, the last
	 * admin key stays, a revoked key says so */
	assert_int_equal(http("POST", "/api/admin/keys", "{\"name\":\"noteam\",\"role\":"
	                      "\"user\"}", S.admin, &o, NULL), 201);
	assert_true(json_object_object_get_ex(o, "team", NULL));
	assert_null(json_object_object_get(o, "team"));
	json_object_put(o);
	assert_error(http("POST", "/api/admin/keys", "{\"name\":\"noteam\",\"role\":\"user\"}",
	                  S.admin, &o, NULL), 409, o, "conflict");
	TU_ASSERT_CONTAINS(js(o), "revoke it first to rotate");
	json_object_put(o);
	/* a DELETE refuses a query parameter it does not list (400 naming
	 * it), as a POST does, and deletes nothing */
	assert_error(http("DELETE", "/api/admin/keys/noteam?foo=1", NULL, S.admin, &o, NULL), 400,
	             o, "invalid_request");
	TU_ASSERT_CONTAINS(js(o), "foo");
	json_object_put(o);
	assert_error(http("DELETE", "/api/applications/nothing?dryrun=true", NULL, S.user_red, &o,
	                  NULL), 400, o, "invalid_request");
	TU_ASSERT_CONTAINS(js(o), "dryrun");
	json_object_put(o);
	assert_int_equal(http("DELETE", "/api/admin/keys/noteam", NULL, S.admin, NULL, NULL), 200);
	assert_error(http("DELETE", "/api/admin/keys/noteam", NULL, S.admin, &o, NULL), 404, o,
	             "not_found");
	TU_ASSERT_CONTAINS(js(o), "already revoked");
	json_object_put(o);
	make_key("spare-admin", "admin", "blue", key, sizeof(key));
	assert_int_equal(http("DELETE", "/api/admin/keys/root", NULL, key, NULL, NULL), 200);
	assert_error(http("DELETE", "/api/admin/keys/spare-admin", NULL, key, &o, NULL), 409, o,
	             "last_admin_key");
	TU_ASSERT_CONTAINS(js(o), "create another admin key first");
	json_object_put(o);
	assert_int_equal(http("GET", "/api/admin/keys", NULL, key, NULL, NULL), 200);
	/* the tests go on with root: it comes back as another name */
	{
		json_object *b = NULL;

		assert_int_equal(http("POST", "/api/admin/keys", "{\"name\":\"root2\",\"role\":"
		                      "\"admin\"}", key, &b, NULL), 201);
		snprintf(S.admin, sizeof(S.admin), "%s", jget(b, "key"));
		json_object_put(b);
	}

	/* /api/workflows/run is a route of its own, not execution "run" */
	assert_error(http("GET", "/api/workflows/run", NULL, S.user_red, &o, NULL), 405, o,
	             "method_not_allowed");
	json_object_put(o);
	assert_error(http("GET", "//api//providers", NULL, S.user_red, &o, NULL), 404, o,
	             "not_found");
	TU_ASSERT_CONTAINS(js(o), "//api//providers");
	json_object_put(o);

	/* request lines evhttp would answer in HTML */
	assert_error(raw_request("GET /api/providers HTTP/2.0\r\nHost: x\r\n\r\n", "GET",
	                         "/api/providers", &o), 505, o, "http_version_not_supported");
	json_object_put(o);
	assert_error(raw_request("GARBAGE\r\n\r\n", "GET", "/api/providers", &o), 400, o,
	             "bad_request");
	json_object_put(o);
}

/* ---- provider sources from a real git repository ------------------------------ */

static struct {
	char root[4096], repo[4200], url[256];
	pid_t daemon;
} G;

/* Writes a file of the work tree, making its folders. */
static void
repo_file(const char *rel, const char *text)
{
	char path[8400], *slash;

	snprintf(path, sizeof(path), "%s/%s", G.repo, rel);
	for (slash = strchr(path + strlen(G.repo) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	assert_int_equal(tu_write(path, text), 0);
}

static void
commit(const char *msg)
{
	assert_int_equal(tu_sh("cd '%s' && git add -A && git commit -q -m '%s'", G.repo, msg), 0);
}

/* git daemon serving G.root on a free port (its own process group, so
 * stopping it stops the upload-pack children too). */
static void
git_daemon_start(void)
{
	char port[64], base[4200], log[4200];
	int i, port_n = free_port();

	snprintf(port, sizeof(port), "--port=%d", port_n);
	snprintf(base, sizeof(base), "--base-path=%s", G.root);
	snprintf(log, sizeof(log), "%s/git-daemon.log", S.dir);
	G.daemon = fork();
	assert_true(G.daemon >= 0);
	if (G.daemon == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		setpgid(0, 0);
		dup2(fd, 2);
		execlp("git", "git", "daemon", "--reuseaddr", "--listen=127.0.0.1", port, base,
		       "--export-all", G.root, (char *)NULL);
		_exit(127);
	}
	snprintf(G.url, sizeof(G.url), "git://127.0.0.1:%d/repo.git", port_n);
	for (i = 0; i < 200; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0), ok;
		struct sockaddr_in a;

		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)port_n);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(s);
		if (ok)
			return;
		usleep(25 * 1000);
	}
	fail_msg("git daemon did not start (see %s)", log);
}

static void
git_daemon_stop(void)
{
	if (G.daemon <= 0)
		return;
	kill(-G.daemon, SIGTERM);
	waitpid(G.daemon, NULL, 0);
	G.daemon = 0;
}

static long
add_source(const char *name, const char *path, const char *key, json_object **o)
{
	char body[1024];

	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"git_url\":\"%s\",\"path\":\"%s\","
	         "\"ref\":\"main\"}", name, G.url, path);
	return http("POST", "/api/admin/providers", body, key, o, NULL);
}

static void
run_ok(const char *workflow)
{
	char body[256];
	json_object *o;

	snprintf(body, sizeof(body), "{\"workflow\":\"%s\"}", workflow);
	o = wait_done(submit("/api/workflows/run", body, S.user_red), S.user_red);
	assert_string_equal(jget(o, "status"), "succeeded");
	json_object_put(o);
}

/* GET /api/providers/{name}'s source, as one JSON text ("" when absent). */
static void
provider_source(const char *name, char *buf, size_t len)
{
	json_object *o = NULL, *src;
	char path[256];

	snprintf(path, sizeof(path), "/api/providers/%s", name);
	assert_int_equal(http("GET", path, NULL, S.user_red, &o, NULL), 200);
	snprintf(buf, len, "%s", json_object_object_get_ex(o, "source", &src) ? js(src) : "");
	json_object_put(o);
}

static const char git_provider[] =
	"name: git-team\nversion: 1.0.0\ndescription: Workflows from a git repository\n"
	"workflows_dir: workflows\n";
static const char bad_provider[] =
	"name: bad-team\nversion: 1.0.0\nworkflows_dir: workflows\n";
static const char wf_hello[] = "name: hello\nsteps:\n  - {name: one, type: noop}\n";
static const char wf_second[] = "name: second\nsteps:\n  - {name: two, type: noop}\n";
static const char wf_pause[] =
	"name: pause\nsteps:\n  - {name: wait, type: noop, config: {ms: 700}}\n"
	"  - {name: after, type: noop}\n";
static const char wf_cycle[] =
	"name: loop\nsteps:\n  - name: a\n    type: noop\n    depends_on: [b]\n"
	"  - name: b\n    type: noop\n    depends_on: [a]\n";

/* One story of a git provider source, told in order over one repository:
 * refusals (role, credentials in the URL, a path out of the clone, a
 * cycle), the good add, a new commit after reload, a broken commit refused
 * with the old catalog kept, a restart, removal.  Kept as one function
 * (over 120 lines) because every step depends on the state the one before
 * left. */
static void
test_git_provider_sources(void **state)
{
	json_object *o = NULL;
	char path[4400], body[1024], want[8400], src[8400];
	int64_t id;

	(void)state;
	snprintf(G.root, sizeof(G.root), "%s/git", S.dir);
	snprintf(G.repo, sizeof(G.repo), "%s/repo.git", G.root);
	mkdir(G.root, 0755);
	assert_int_equal(tu_sh("git init -q -b main '%s'", G.repo), 0);
	repo_file("team/provider.yaml", git_provider);
	repo_file("team/workflows/hello.yaml", wf_hello);
	repo_file("team/workflows/pause.yaml", wf_pause);
	repo_file("bad/provider.yaml", bad_provider);
	repo_file("bad/workflows/loop.yaml", wf_cycle);
	snprintf(path, sizeof(path), "%s/escape", G.repo);
	assert_int_equal(symlink("/tmp", path), 0);
	commit("one");
	git_daemon_start();

	/* admins only */
	assert_error(add_source("git-team", "team", S.user_red, &o), 403, o, "forbidden");
	json_object_put(o);
	/* credentials in a URL are refused and never echoed */
	snprintf(body, sizeof(body), "{\"name\":\"git-team\",\"git_url\":"
	         "\"git://ci:s3cret@127.0.0.1:1/repo.git\"}");
	assert_error(http("POST", "/api/admin/providers", body, S.admin, &o, NULL), 400, o,
	             "invalid_request");
	TU_ASSERT_CONTAINS(js(o), "password");
	assert_null(strstr(js(o), "s3cret"));
	json_object_put(o);
	/* the provider folder must stay inside the clone */
	assert_error(add_source("git-team", "../x", S.admin, &o), 400, o, "invalid_request");
	TU_ASSERT_CONTAINS(js(o), "leaves the repository");
	json_object_put(o);
	assert_error(add_source("git-team", "escape", S.admin, &o), 400, o, "invalid_request");
	TU_ASSERT_CONTAINS(js(o), "symbolic link");
	json_object_put(o);
	/* a provider with a dependency cycle: every error, file:line, nothing kept */
	assert_error(add_source("bad-team", "bad", S.admin, &o), 400, o, "invalid_provider");
	/* named by its path in the repository and the commit (U11), not the
	 * server's clone folder */
	TU_ASSERT_CONTAINS(js(o), "\"bad/workflows/loop.yaml@");
	assert_null(strstr(js(o), "_providers"));
	TU_ASSERT_CONTAINS(js(o), "cycle");
	assert_true(json_object_array_length(json_object_object_get(
	    json_object_object_get(o, "error"), "errors")) >= 1);
	json_object_put(o);
	assert_error(http("GET", "/api/providers/bad-team", NULL, S.admin, &o, NULL), 404, o,
	             "not_found");
	json_object_put(o);
	snprintf(path, sizeof(path), "%s/providers/bad-team", S.dir);
	assert_false(tu_exists(path));

	/* the good one: cloned, validated, served */
	assert_int_equal(add_source("git-team", "team", S.admin, &o), 201);
	assert_string_equal(jget(o, "kind"), "git");
	assert_int_equal(strlen(jget(o, "commit")), 40);
	/* served with where it comes from: the commit checked out */
	snprintf(want, sizeof(want), "{\"type\":\"git\",\"path\":\"team\",\"git_url\":\"%s\","
	         "\"ref\":\"main\",\"commit\":\"%s\"}", G.url, jget(o, "commit"));
	json_object_put(o);
	provider_source("git-team", src, sizeof(src));
	assert_string_equal(src, want);
	assert_error(add_source("git-team", "team", S.admin, &o), 409, o, "conflict");
	json_object_put(o);
	assert_int_equal(http("GET", "/api/providers", NULL, S.user_red, &o, NULL), 200);
	TU_ASSERT_CONTAINS(js(o), "\"name\":\"git-team\"");
	json_object_put(o);
	run_ok("git-team/hello");

	/* a new commit is served after a reload; a run in flight keeps its catalog */
	repo_file("team/workflows/second.yaml", wf_second);
	commit("two");
	assert_error(http("POST", "/api/workflows/run", "{\"workflow\":\"git-team/second\"}",
	                  S.user_red, &o, NULL), 404, o, "not_found");
	json_object_put(o);
	id = submit("/api/workflows/run", "{\"workflow\":\"git-team/pause\"}", S.user_red);
	assert_int_equal(http("POST", "/api/admin/reload", "", S.admin, &o, NULL), 200);
	TU_ASSERT_CONTAINS(js(o), "\"changed\":true");
	/* the source says the new commit */
	snprintf(want, sizeof(want), "{\"type\":\"git\",\"path\":\"team\",\"git_url\":\"%s\","
	         "\"ref\":\"main\",\"commit\":\"%s\"}", G.url, jget(json_object_array_get_idx(
	         json_object_object_get(o, "sources"), 0), "commit"));
	json_object_put(o);
	provider_source("git-team", src, sizeof(src));
	assert_string_equal(src, want);
	run_ok("git-team/second");
	o = wait_done(id, S.user_red);
	assert_string_equal(jget(o, "status"), "succeeded");
	json_object_put(o);

	/* a broken commit: reload refused with file:line, the old catalog and
	 * checkout kept */
	repo_file("team/workflows/loop.yaml", wf_cycle);
	commit("three");
	assert_error(http("POST", "/api/admin/reload", "", S.admin, &o, NULL), 400, o,
	             "invalid_catalog");
	/* the new commit's file, by its repository path (U11) */
	TU_ASSERT_CONTAINS(js(o), "\"team/workflows/loop.yaml@");
	json_object_put(o);
	snprintf(path, sizeof(path), "%s/providers/git-team/team/workflows/loop.yaml", S.dir);
	assert_false(tu_exists(path));
	run_ok("git-team/second");
	/* ... and says the commit still checked out */
	provider_source("git-team", src, sizeof(src));
	assert_string_equal(src, want);
	assert_int_equal(tu_sh("cd '%s' && git rm -q team/workflows/loop.yaml", G.repo), 0);
	commit("four");

	/* the source outlives a restart, even one whose clone was lost */
	server_stop(SIGTERM);
	snprintf(path, sizeof(path), "%s/providers/git-team", S.dir);
	tu_rmrf(path);
	server_start();
	assert_int_equal(http("GET", "/api/providers/git-team", NULL, S.user_red, &o, NULL), 200);
	TU_ASSERT_CONTAINS(js(o), "\"second\"");
	json_object_put(o);
	assert_int_equal(http("GET", "/api/admin/providers", NULL, S.admin, &o, NULL), 200);
	TU_ASSERT_CONTAINS(js(o), "\"loaded\":true");
	json_object_put(o);

	/* removal: a run in flight finishes; config providers cannot be removed */
	id = submit("/api/workflows/run", "{\"workflow\":\"git-team/pause\"}", S.user_red);
	assert_int_equal(http("DELETE", "/api/admin/providers/git-team", NULL, S.admin, &o, NULL),
	                 200);
	json_object_put(o);
	o = wait_done(id, S.user_red);
	assert_string_equal(jget(o, "status"), "succeeded");
	json_object_put(o);
	assert_error(http("GET", "/api/providers/git-team", NULL, S.user_red, &o, NULL), 404, o,
	             "not_found");
	json_object_put(o);
	assert_error(http("DELETE", "/api/admin/providers/git-team", NULL, S.admin, &o, NULL), 404,
	             o, "not_found");
	json_object_put(o);
	assert_error(http("DELETE", "/api/admin/providers/api-team", NULL, S.admin, &o, NULL), 409,
	             o, "conflict");
	json_object_put(o);
	assert_false(tu_exists(path));
	git_daemon_stop();
}

static void
test_applications_and_resources(void **state)
{
	json_object *o = NULL, *res;

	(void)state;
	/* test_spec_resources_are_provisioned_first ran shop (team red) */
	assert_int_equal(http("GET", "/api/applications", NULL, S.user_red, &o, NULL), 200);
	TU_ASSERT_CONTAINS(js(o), "\"name\":\"shop\",\"team\":\"red\"");
	json_object_put(o);
	assert_int_equal(http("GET", "/api/applications", NULL, S.user_blue, &o, NULL), 200);
	assert_int_equal(json_object_array_length(json_object_object_get(o, "data")), 0);
	json_object_put(o);
	assert_int_equal(http("GET", "/api/applications/shop", NULL, S.user_red, &o, NULL), 200);
	res = json_object_array_get_idx(json_object_object_get(o, "resources"), 0);
	assert_string_equal(jget(res, "name"), "cache");
	assert_string_equal(jget(res, "type"), "kv");
	assert_string_equal(jget(res, "provider"), "kv-team");
	assert_string_equal(jget(res, "status"), "active");
	assert_string_equal(jget(json_object_object_get(res, "outputs"), "url"), "kv://sessions");
	json_object_put(o);
	assert_error(http("GET", "/api/applications/shop", NULL, S.user_blue, &o, NULL), 404, o,
	             "not_found");
	json_object_put(o);
	assert_int_equal(http("GET", "/api/resources?app=shop", NULL, S.user_red, &o, NULL), 200);
	assert_int_equal(json_object_array_length(o), 1);
	json_object_put(o);
	assert_int_equal(http("GET", "/api/resources", NULL, S.user_blue, &o, NULL), 200);
	assert_int_equal(json_object_array_length(o), 0);
	json_object_put(o);
	assert_int_equal(http("GET", "/api/resources", NULL, S.admin, &o, NULL), 200);
	assert_true(json_object_array_length(o) >= 1);
	json_object_put(o);
	/* another team cannot provision under red's application */
	assert_error(http("POST", "/api/workflows/run", "{\"workflow\":\"api-team/uses-kv\","
	                  "\"spec\":\"apiVersion: score.dev/v1b1\\nmetadata: {name: shop}\\n"
	                  "containers: {web: {image: shop}}\\n"
	                  "resources:\\n  cache: {type: kv, params: {name: other}}\\n\"}",
	                  S.user_blue, &o, NULL), 400, o, "invalid_request");
	TU_ASSERT_CONTAINS(js(o), "belongs to another team");
	json_object_put(o);
}

static void
test_kill_9_and_restart_accounts_for_everything(void **state)
{
	int64_t idem[10], slow[10];
	int i, running = 0, tries;
	json_object *o = NULL;
	char path[128];

	(void)state;
	for (i = 0; i < 10; i++) {
		idem[i] = submit("/api/workflows/run", "{\"workflow\":\"api-team/idem\","
		                 "\"parameters\":{\"ms\":\"1500\"}}", S.admin);
		slow[i] = submit("/api/workflows/run", "{\"workflow\":\"api-team/slow\","
		                 "\"parameters\":{\"lines\":\"3\",\"hold\":\"60\"}}", S.admin);
	}
	/* wait until all 20 run (maxConcurrentWorkflows is unlimited here) */
	for (tries = 0; tries < 200 && running < 20; tries++) {
		assert_int_equal(http("GET", "/api/workflows?status=running&page_size=200", NULL,
		                      S.admin, &o, NULL), 200);
		running = (int)jint(o, "total");
		json_object_put(o);
		usleep(50 * 1000);
	}
	assert_int_equal(running, 20);
	/* let the slow ones print their lines (acknowledged before the kill) */
	for (i = 0; i < 10; i++) {
		int seen = 0;

		snprintf(path, sizeof(path), "/api/workflows/%lld/logs", (long long)slow[i]);
		for (tries = 0; tries < 400 && !seen; tries++) {
			assert_int_equal(http("GET", path, NULL, S.admin, &o, NULL), 200);
			seen = strstr(js(o), "line 3") != NULL;
			json_object_put(o);
			if (!seen)
				usleep(25 * 1000);
		}
		assert_true(seen);
	}
	server_stop(SIGKILL);
	server_start();
	/* none stays running: idempotent ones resume and finish, the others fail */
	for (i = 0; i < 10; i++) {
		o = wait_done(idem[i], S.admin);
		assert_string_equal(jget(o, "status"), "succeeded");
		json_object_put(o);
		o = wait_done(slow[i], S.admin);
		assert_string_equal(jget(o, "status"), "failed");
		TU_ASSERT_CONTAINS(jget(o, "message"), "interrupted");
		json_object_put(o);
		/* acknowledged log lines survived the kill */
		snprintf(path, sizeof(path), "/api/workflows/%lld/logs", (long long)slow[i]);
		assert_int_equal(http("GET", path, NULL, S.admin, &o, NULL), 200);
		TU_ASSERT_CONTAINS(js(o), "line 3");
		json_object_put(o);
	}
	assert_int_equal(http("GET", "/api/workflows?status=running", NULL, S.admin, &o, NULL),
	                 200);
	assert_int_equal(jint(o, "total"), 0);
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_routes_and_auth),
		cmocka_unit_test(test_catalog_routes),
		cmocka_unit_test(test_provider_params_are_whole),
		cmocka_unit_test(test_golden_path_list_has_what_the_detail_has),
		cmocka_unit_test(test_run_golden_path_and_read_it_back),
		cmocka_unit_test(test_spec_resources_are_provisioned_first),
		cmocka_unit_test(test_step_dependencies),
		cmocka_unit_test(test_applications_and_resources),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_pagination_and_filters),
		cmocka_unit_test(test_sse_follow_gets_every_line),
		cmocka_unit_test(test_followed_lines_are_the_stored_lines),
		cmocka_unit_test(test_log_stream_ids_are_seqs),
		cmocka_unit_test(test_log_stream_resumes_from_last_event_id),
		cmocka_unit_test(test_unknown_durations_are_null),
		cmocka_unit_test(test_cancel_and_retry),
		cmocka_unit_test(test_events_stream),
		cmocka_unit_test(test_live_events_name_their_execution),
		cmocka_unit_test(test_created_events_reach_only_whom_they_concern),
		cmocka_unit_test(test_key_list),
		cmocka_unit_test(test_audit_pages_back),
		cmocka_unit_test(test_me),
		cmocka_unit_test(test_plugins_refused),
		cmocka_unit_test(test_more_routes),
		cmocka_unit_test(test_requests_are_taken_as_written),
		cmocka_unit_test(test_git_provider_sources),
		cmocka_unit_test(test_kill_9_and_restart_accounts_for_everything),
	};

	return cmocka_run_group_tests_name("api", tests, setup, teardown);
}
