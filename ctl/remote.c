/*
 * remote.c - innominatus-ctl remote mode: list-providers, list-goldenpaths,
 * run, status, logs, cancel, retry, list-workflows and admin (add-key,
 * add-provider, remove-provider, reload) as
 * requests to an innominatus server (the REST API of server/api.c) over
 * libcurl, with a bearer token from $INNOMINATUS_TOKEN or the credentials
 * file.  `run` and `logs -f` follow the execution's Server-Sent Events log
 * stream, parsed incrementally as bytes arrive.  Every reply body is
 * bounded; server errors {"error":{"code","message"}} become one line and
 * an exit code (see exit_for_status()).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "remote.h"

#define REMOTE_MAX_BODY   (16u << 20)   /* largest reply buffered */
#define REMOTE_MAX_EVENT  (1u << 20)    /* largest SSE line or event */
#define REMOTE_MAX_SPEC   (4u << 20)    /* largest Score spec sent */
#define REMOTE_MAX_CRED   (64u << 10)   /* largest credentials file read */
#define REMOTE_CONNECT_S  5L            /* connect timeout */
#define REMOTE_REQUEST_S  120L          /* total timeout of one ordinary request */
#define REMOTE_RECONNECT_S 60           /* default --reconnect-wait: how long following retries */
#define CTL_EXIT_INTERRUPTED 130        /* Ctrl-C while watching a run */

/* ---- bounded buffers ----------------------------------------------------- */

struct buf {
	char *p;       /* always NUL-terminated when non-NULL */
	size_t len, cap, max;
};

/* Appends n bytes; -1 (buffer unchanged) past b->max or out of memory. */
static int
buf_add(struct buf *b, const char *d, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return -1;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return -1;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

static void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- the connection -------------------------------------------------------- */

struct remote {
	const ctl_opts *o;
	char *base;                 /* server URL without the trailing '/' */
	struct curl_slist *headers; /* Authorization, Accept */
	int have_token;
	char cred_path[4096];       /* where the credentials file is looked for */
};

/* One request's reply. */
struct reply {
	long status;          /* HTTP status; 0 when none arrived */
	struct buf body;
	json_object *json;    /* body parsed, NULL if it is not JSON */
};

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void
print_json(json_object *j)
{
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
	                                              JSON_C_TO_STRING_NOSLASHESCAPE));
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t
jint(json_object *o, const char *key, int64_t def)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return def;
	return json_object_get_int64(v);
}

/* A token is sent in a header: printable ASCII without spaces only. */
static int
token_ok(const char *t)
{
	if (*t == '\0')
		return 0;
	for (; *t; t++)
		if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
			return 0;
	return 1;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	if (e - s >= 2 && ((*s == '"' && e[-1] == '"') || (*s == '\'' && e[-1] == '\''))) {
		e[-1] = '\0';
		s++;
	}
	return s;
}

/* Reads the token from the credentials file (a line `token=...`, or JSON
 * {"token": "..."}) into out.  Returns 1 with a token, 0 when there is no
 * file, -1 with a message when the file is unsafe or unusable. */
static int
read_credentials(const char *path, char *out, size_t outlen)
{
	struct stat st;
	struct buf b = { NULL, 0, 0, REMOTE_MAX_CRED };
	char chunk[4096], *line, *next;
	ssize_t n;
	int fd, rc = -1;
	const char *tok = NULL;
	json_object *j = NULL;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "innominatus-ctl: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "innominatus-ctl: %s is not a regular file\n", path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		fprintf(stderr, "innominatus-ctl: refusing to read %s: it belongs to uid %ld, "
		        "not to you\n", path, (long)st.st_uid);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		fprintf(stderr, "innominatus-ctl: refusing to read %s: its mode %04o lets group "
		        "or others at the token; run: chmod 600 %s\n", path,
		        (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_add(&b, chunk, (size_t)n) != 0) {
			fprintf(stderr, "innominatus-ctl: %s is larger than %u bytes\n", path,
			        REMOTE_MAX_CRED);
			goto out;
		}
	if (n < 0 || b.p == NULL) {
		fprintf(stderr, "innominatus-ctl: cannot read %s: %s\n", path,
		        n < 0 ? strerror(errno) : "the file is empty");
		goto out;
	}
	line = trim(b.p);
	if (*line == '{') {
		if ((j = json_tokener_parse(line)) == NULL || (tok = jstr(j, "token")) == NULL) {
			fprintf(stderr, "innominatus-ctl: %s: expected JSON {\"token\": \"...\"}\n",
			        path);
			goto out;
		}
	} else {
		for (; line != NULL; line = next) {
			char *eq;

			if ((next = strchr(line, '\n')) != NULL)
				*next++ = '\0';
			line = trim(line);
			if (*line == '\0' || *line == '#' || (eq = strchr(line, '=')) == NULL)
				continue;
			*eq = '\0';
			if (strcmp(trim(line), "token") == 0) {
				tok = trim(eq + 1);
				break;
			}
		}
		if (tok == NULL) {
			fprintf(stderr, "innominatus-ctl: %s: no line token=...\n", path);
			goto out;
		}
	}
	if (!token_ok(tok) || strlen(tok) >= outlen) {
		fprintf(stderr, "innominatus-ctl: %s: the token is empty, too long or has spaces "
		        "or control characters\n", path);
		goto out;
	}
	snprintf(out, outlen, "%s", tok);
	rc = 1;
out:
	if (b.p != NULL)
		explicit_bzero(b.p, b.cap);
	buf_free(&b);
	json_object_put(j);
	close(fd);
	return rc;
}

static const char *
server_url(const ctl_opts *o)
{
	const char *s = o->server;

	if (s == NULL && (s = getenv("INNOMINATUS_SERVER")) != NULL && *s == '\0')
		s = NULL;
	return s;
}

/* Sets up r: the base URL and the Authorization header.  Returns a
 * ctl_exit code with a message on failure. */
static int
remote_open(struct remote *r, const ctl_opts *o)
{
	const char *url = server_url(o), *env = getenv("INNOMINATUS_TOKEN"), *home, *xdg;
	char token[4096], hdr[4200];
	size_t len;
	int got;

	memset(r, 0, sizeof(*r));
	r->o = o;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		fprintf(stderr, "innominatus-ctl: the server URL must start with http:// or "
		        "https://, not \"%s\"\n", url);
		return CTL_EXIT_USAGE;
	}
	if ((r->base = strdup(url)) == NULL)
		return CTL_EXIT_FAILED;
	len = strlen(r->base);
	while (len > 0 && r->base[len - 1] == '/')
		r->base[--len] = '\0';
	if ((xdg = getenv("XDG_CONFIG_HOME")) != NULL && *xdg == '/')
		snprintf(r->cred_path, sizeof(r->cred_path), "%s/innominatus/credentials", xdg);
	else if ((home = getenv("HOME")) != NULL && *home != '\0')
		snprintf(r->cred_path, sizeof(r->cred_path), "%s/.config/innominatus/credentials",
		         home);
	if (env != NULL && *env != '\0') {
		if (!token_ok(env) || strlen(env) >= sizeof(token)) {
			fprintf(stderr, "innominatus-ctl: INNOMINATUS_TOKEN is too long or has spaces "
			        "or control characters\n");
			return CTL_EXIT_REMOTE;
		}
		snprintf(token, sizeof(token), "%s", env);
		got = 1;
	} else if (r->cred_path[0] != '\0') {
		if ((got = read_credentials(r->cred_path, token, sizeof(token))) < 0)
			return CTL_EXIT_REMOTE;
	} else {
		got = 0;
	}
	r->headers = curl_slist_append(NULL, "Accept: application/json, text/event-stream");
	if (got) {
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
		r->headers = curl_slist_append(r->headers, hdr);
		explicit_bzero(hdr, sizeof(hdr));
		explicit_bzero(token, sizeof(token));
		r->have_token = 1;
	}
	return r->headers != NULL ? CTL_EXIT_OK : CTL_EXIT_FAILED;
}

static void
remote_close(struct remote *r)
{
	curl_slist_free_all(r->headers);
	free(r->base);
	memset(r, 0, sizeof(*r));
}

/* The exit code for an HTTP error status. */
static int
exit_for_status(long status)
{
	if (status == 401 || status == 403)
		return CTL_EXIT_REMOTE;
	if (status == 429 || status == 502 || status == 503 || status == 504)
		return CTL_EXIT_REMOTE;   /* a full queue, a proxy without a backend, a draining server */
	if (status >= 400 && status < 500)
		return CTL_EXIT_CONFIG;   /* the request was invalid: 400, 404, 409, 413 */
	return CTL_EXIT_FAILED;
}

/* Prints the server's error reply as one line (and with -o json its body
 * on stdout); returns the exit code for it. */
static int
report_http_error(struct remote *r, long status, const char *body, json_object *j)
{
	json_object *err = NULL;
	const char *msg = NULL;
	char raw[200];

	if (j != NULL && json_object_object_get_ex(j, "error", &err))
		msg = jstr(err, "message");
	if (msg == NULL) {
		size_t n = 0;

		/* not our JSON (a proxy's page?): its first line, bounded */
		while (body != NULL && body[n] != '\0' && body[n] != '\n' && n < sizeof(raw) - 1)
			n++;
		snprintf(raw, sizeof(raw), "the server at %s answered %.*s", r->base, (int)n,
		         n ? body : "with no message");
		msg = raw;
	}
	if (r->o->json && j != NULL)
		print_json(j);
	fprintf(stderr, "innominatus-ctl: %s (HTTP %ld)\n", msg, status);
	/* every diagnostic of a refused provider or catalog, one per line */
	if (err != NULL && !r->o->json) {
		json_object *errs;
		size_t i;

		if (json_object_object_get_ex(err, "errors", &errs) &&
		    json_object_is_type(errs, json_type_array))
			for (i = 0; i < json_object_array_length(errs) && i < 1000; i++)
				fprintf(stderr, "  %s\n",
				        json_object_get_string(json_object_array_get_idx(errs, i)));
	}
	if (status == 401 && !r->have_token)
		fprintf(stderr, "innominatus-ctl: no token: set INNOMINATUS_TOKEN or put a line "
		        "token=... in %s (mode 0600)\n",
		        r->cred_path[0] ? r->cred_path : "~/.config/innominatus/credentials");
	return exit_for_status(status);
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;

	return buf_add(b, data, size * nmemb) == 0 ? size * nmemb : 0;
}

/* A curl handle for path (relative to the base URL) with the common
 * options; errbuf receives curl's message. */
static CURL *
handle_new(struct remote *r, const char *path, char *errbuf)
{
	CURL *c = curl_easy_init();
	struct buf url = { NULL, 0, 0, 16384 };

	if (c == NULL)
		return NULL;
	if (buf_add(&url, r->base, strlen(r->base)) != 0 ||
	    buf_add(&url, path, strlen(path)) != 0) {
		buf_free(&url);
		curl_easy_cleanup(c);
		return NULL;
	}
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url.p);   /* curl copies it */
	buf_free(&url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, REMOTE_CONNECT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "innominatus-ctl/" PACKAGE_VERSION);
	/* no redirects: the token must not follow one to another host */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	return c;
}

static int
report_transport_error(struct remote *r, CURLcode cc, const char *errbuf)
{
	fprintf(stderr, "innominatus-ctl: cannot talk to the server at %s: %s\n", r->base,
	        errbuf[0] ? errbuf : curl_easy_strerror(cc));
	return CTL_EXIT_REMOTE;
}

/* Sends METHOD path (with body as JSON if not NULL) and reads the whole
 * reply into rep.  Returns CTL_EXIT_OK for a 2xx reply with a JSON body;
 * otherwise prints why and returns the exit code. */
static int
request(struct remote *r, const char *method, const char *path, json_object *body,
        struct reply *rep)
{
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs = NULL, *h;
	CURL *c;
	CURLcode cc;
	int rc = CTL_EXIT_FAILED;

	memset(rep, 0, sizeof(*rep));
	rep->body.max = REMOTE_MAX_BODY;
	if ((c = handle_new(r, path, errbuf)) == NULL)
		return CTL_EXIT_FAILED;
	curl_easy_setopt(c, CURLOPT_TIMEOUT, REMOTE_REQUEST_S);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &rep->body);
	if (strcmp(method, "POST") == 0) {
		const char *s = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);

		for (h = r->headers; h != NULL; h = h->next)
			if ((hdrs = curl_slist_append(hdrs, h->data)) == NULL)
				goto out;
		if ((hdrs = curl_slist_append(hdrs, "Content-Type: application/json")) == NULL)
			goto out;
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(s));
		curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, s);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);   /* DELETE */
	}
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		if (cc == CURLE_WRITE_ERROR)
			fprintf(stderr, "innominatus-ctl: the reply of %s%s is larger than %u bytes\n",
			        r->base, path, REMOTE_MAX_BODY);
		rc = cc == CURLE_WRITE_ERROR ? CTL_EXIT_FAILED
		                             : report_transport_error(r, cc, errbuf);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rep->status);
	if (rep->body.p != NULL)
		rep->json = json_tokener_parse(rep->body.p);
	if (rep->status < 200 || rep->status > 299) {
		rc = report_http_error(r, rep->status, rep->body.p, rep->json);
		goto out;
	}
	if (rep->json == NULL) {
		fprintf(stderr, "innominatus-ctl: %s%s answered HTTP %ld without a JSON body\n",
		        r->base, path, rep->status);
		goto out;
	}
	rc = CTL_EXIT_OK;
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return rc;
}

static void
reply_free(struct reply *rep)
{
	json_object_put(rep->json);
	buf_free(&rep->body);
	memset(rep, 0, sizeof(*rep));
}

/* path + "/" + the URL-escaped segment (+ tail) into out. */
static int
path_with(char *out, size_t len, const char *prefix, const char *seg, const char *tail)
{
	char *esc = curl_easy_escape(NULL, seg, 0);
	int n;

	if (esc == NULL)
		return -1;
	n = snprintf(out, len, "%s/%s%s", prefix, esc, tail ? tail : "");
	curl_free(esc);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Checks an execution id argument: digits only. */
static int
id_arg(const char *cmd, int argc, char **argv)
{
	const char *p;

	if (argc != 1) {
		fprintf(stderr, "usage: innominatus-ctl %s ID\n", cmd);
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

/* ---- Server-Sent Events ----------------------------------------------------- */

/* Called per event; returns nonzero to stop the stream. */
typedef int (*sse_event_fn)(void *ud, const char *event, int64_t id, const char *data);

struct sse {
	struct buf line;          /* the line being received */
	struct buf data;          /* the data lines of the event being received */
	char event[64];
	int64_t id;               /* the last id: field seen */
	int prev_cr;              /* the last byte was CR: a following LF ends nothing */
	int stop;                 /* on_event asked to stop */
	int too_big;
	sse_event_fn on_event;
	void *ud;
};

static void
sse_line(struct sse *s)
{
	const char *l = s->line.p ? s->line.p : "", *v;
	size_t flen;

	if (*l == '\0') {         /* blank line: dispatch */
		if (s->data.len > 0 || s->event[0] != '\0')
			if (s->on_event(s->ud, s->event[0] ? s->event : "message", s->id,
			                s->data.p ? s->data.p : ""))
				s->stop = 1;
		buf_reset(&s->data);
		s->event[0] = '\0';
		return;
	}
	if (*l == ':')            /* comment: a keep-alive */
		return;
	v = strchr(l, ':');
	flen = v ? (size_t)(v - l) : strlen(l);
	if (v == NULL)
		v = "";
	else if (*++v == ' ')
		v++;
	if (flen == 4 && strncmp(l, "data", 4) == 0) {
		if ((s->data.len > 0 && buf_add(&s->data, "\n", 1) != 0) ||
		    buf_add(&s->data, v, strlen(v)) != 0)
			s->too_big = 1;
	} else if (flen == 5 && strncmp(l, "event", 5) == 0) {
		snprintf(s->event, sizeof(s->event), "%s", v);
	} else if (flen == 2 && strncmp(l, "id", 2) == 0) {
		s->id = strtoll(v, NULL, 10);
	}
}

/* Feeds n bytes of the stream; lines end in LF, CRLF or CR.  Returns -1
 * when a line or event is over the limit or on_event said stop. */
static int
sse_feed(struct sse *s, const char *d, size_t n)
{
	size_t i = 0, start;

	while (i < n) {
		if (s->prev_cr && d[i] == '\n') {
			s->prev_cr = 0;
			i++;
			continue;
		}
		s->prev_cr = 0;
		start = i;
		while (i < n && d[i] != '\n' && d[i] != '\r')
			i++;
		if (buf_add(&s->line, d + start, i - start) != 0)
			s->too_big = 1;
		if (i == n)
			break;        /* the line goes on in the next chunk */
		s->prev_cr = d[i] == '\r';
		i++;
		sse_line(s);
		buf_reset(&s->line);
		if (s->stop || s->too_big)
			return -1;
	}
	return s->too_big ? -1 : 0;
}

static void
sse_free(struct sse *s)
{
	buf_free(&s->line);
	buf_free(&s->data);
}

/* ---- watching a run: the log stream -------------------------------------------- */

struct watch {
	struct remote *r;
	int64_t exec_id;
	int64_t after;         /* highest log seq seen: where a reconnect resumes */
	int to_stdout;         /* logs -f: the lines are the output; run: progress on stderr */
	int tty, status_shown;
	time_t started;
	char step[128];        /* the step that logged last */
	char final[32];        /* status from the "end" event */
	long http_status;      /* the stream's HTTP status, 0 before the headers */
	struct buf errbody;    /* the body of a non-200 reply */
	struct sse sse;
	CURL *curl;
};

static void
status_clear(struct watch *w)
{
	if (w->status_shown) {
		fputs("\r\033[K", stderr);
		w->status_shown = 0;
	}
}

static void
status_draw(struct watch *w)
{
	if (!w->tty || w->r->o->json)
		return;
	fprintf(stderr, "\r\033[K[%lds] execution %lld running%s%s",
	        (long)(time(NULL) - w->started), (long long)w->exec_id,
	        w->step[0] ? ": " : "", w->step);
	w->status_shown = 1;
	fflush(stderr);
}

static int
watch_event(void *ud, const char *event, int64_t id, const char *data)
{
	struct watch *w = ud;
	json_object *j = json_tokener_parse(data);

	if (w->r->o->json) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "event", json_object_new_string(event));
		json_object_object_add(e, "id", json_object_new_int64(id));
		json_object_object_add(e, "data", json_object_get(j));
		if (w->to_stdout) {
			printf("%s\n", json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN |
			                                              JSON_C_TO_STRING_NOSLASHESCAPE));
			fflush(stdout);
		}
		json_object_put(e);
	}
	if (strcmp(event, "log") == 0 && j != NULL) {
		const char *step = jstr(j, "step"), *line = jstr(j, "line");
		FILE *fp = w->to_stdout ? stdout : stderr;

		w->after = jint(j, "seq", id);
		if (step != NULL)
			snprintf(w->step, sizeof(w->step), "%s", step);
		if (!w->r->o->json) {
			status_clear(w);
			fprintf(fp, "%-24s| %s\n", step ? step : "-", line ? line : "");
			fflush(fp);
			status_draw(w);
		}
	} else if (strcmp(event, "end") == 0) {
		const char *st = j ? jstr(j, "status") : NULL;

		snprintf(w->final, sizeof(w->final), "%s", st ? st : "unknown");
		json_object_put(j);
		return 1;
	}
	json_object_put(j);
	return 0;
}

static size_t
on_stream(char *data, size_t size, size_t nmemb, void *ud)
{
	struct watch *w = ud;
	size_t n = size * nmemb;

	if (w->http_status == 0)
		curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &w->http_status);
	if (w->http_status != 200)
		return buf_add(&w->errbody, data, n) == 0 ? n : 0;
	return sse_feed(&w->sse, data, n) == 0 ? n : 0;
}

/* Once a second or so while the stream is idle: redraw, honour Ctrl-C. */
static int
on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct watch *w = ud;
	static time_t last;

	(void)dt; (void)dn; (void)ut; (void)un;
	if (interrupted)
		return 1;
	if (w->status_shown && time(NULL) != last) {
		last = time(NULL);
		status_draw(w);
	}
	return 0;
}

/* Follows the log stream of execution id until its "end" event, resuming
 * after the last line seen if the connection drops.  While the server is
 * away (no connection, or 502/503/504: restarting, draining, a proxy
 * without a backend) it tries again with backoff (1 s doubling up to 8 s)
 * for --reconnect-wait seconds (default 60) counted from when the stream
 * was lost, saying so each time.  Returns CTL_EXIT_OK with w->final set,
 * or the exit code after a message (CTL_EXIT_REMOTE once it gave up). */
static int
watch_run(struct remote *r, struct watch *w)
{
	char path[128], errbuf[CURL_ERROR_SIZE];
	int rc = CTL_EXIT_FAILED, wait_s = r->o->reconnect_wait >= 0 ? r->o->reconnect_wait
	                                                            : REMOTE_RECONNECT_S;
	unsigned delay = 0;
	time_t lost = 0, t0;
	int64_t after0;
	struct sigaction sa, old_int;
	CURLcode cc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	interrupted = 0;
	sigaction(SIGINT, &sa, &old_int);
	w->r = r;
	w->tty = isatty(2);
	w->started = time(NULL);
	w->sse.on_event = watch_event;
	w->sse.ud = w;
	w->sse.line.max = REMOTE_MAX_EVENT;
	w->sse.data.max = REMOTE_MAX_EVENT;
	w->errbody.max = REMOTE_MAX_BODY;
	for (;;) {
		snprintf(path, sizeof(path), "/api/workflows/%lld/logs?follow=1&after=%lld",
		         (long long)w->exec_id, (long long)w->after);
		if ((w->curl = handle_new(r, path, errbuf)) == NULL)
			goto out;
		w->http_status = 0;
		buf_reset(&w->errbody);
		buf_reset(&w->sse.line);
		buf_reset(&w->sse.data);
		w->sse.event[0] = '\0';
		w->sse.prev_cr = 0;
		curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, on_stream);
		curl_easy_setopt(w->curl, CURLOPT_WRITEDATA, w);
		curl_easy_setopt(w->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(w->curl, CURLOPT_XFERINFODATA, w);
		curl_easy_setopt(w->curl, CURLOPT_NOPROGRESS, 0L);
		status_draw(w);
		t0 = time(NULL);
		after0 = w->after;
		cc = curl_easy_perform(w->curl);   /* no total timeout: runs take their time */
		if (w->http_status == 0)
			curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &w->http_status);
		curl_easy_cleanup(w->curl);
		w->curl = NULL;
		status_clear(w);
		if (w->final[0] != '\0') {
			rc = CTL_EXIT_OK;
			goto out;
		}
		if (interrupted) {
			fprintf(stderr, "innominatus-ctl: stopped watching; execution %lld goes on on "
			        "the server (innominatus-ctl cancel %lld stops it)\n",
			        (long long)w->exec_id, (long long)w->exec_id);
			rc = CTL_EXIT_INTERRUPTED;
			goto out;
		}
		if (w->http_status != 0 && w->http_status != 200 && w->http_status != 502 &&
		    w->http_status != 503 && w->http_status != 504) {
			json_object *j = w->errbody.p ? json_tokener_parse(w->errbody.p) : NULL;

			rc = report_http_error(r, w->http_status, w->errbody.p, j);
			json_object_put(j);
			goto out;
		}
		if (w->sse.too_big) {
			fprintf(stderr, "innominatus-ctl: a log event of execution %lld is larger "
			        "than %u bytes\n", (long long)w->exec_id, REMOTE_MAX_EVENT);
			goto out;
		}
		/* it was connected and got somewhere: a new outage starts now (a server
		 * that accepts and hangs up at once still runs into the limit) */
		if (w->http_status == 200 && (w->after != after0 || time(NULL) - t0 >= 5)) {
			lost = 0;
			delay = 0;
		}
		if (lost == 0)
			lost = time(NULL);
		if (time(NULL) - lost >= wait_s) {
			if (w->http_status == 0) {
				rc = report_transport_error(r, cc, errbuf);
			} else {
				json_object *j = w->errbody.p ? json_tokener_parse(w->errbody.p) : NULL;

				rc = report_http_error(r, w->http_status, w->errbody.p, j);
				json_object_put(j);
			}
			fprintf(stderr, "innominatus-ctl: gave up reconnecting after %d s; execution "
			        "%lld goes on on the server (innominatus-ctl logs -f %lld)\n", wait_s,
			        (long long)w->exec_id, (long long)w->exec_id);
			rc = CTL_EXIT_REMOTE;
			goto out;
		}
		delay = delay == 0 ? 1 : delay >= 8 ? 8 : delay * 2;
		if ((time_t)delay > wait_s - (time(NULL) - lost))
			delay = (unsigned)(wait_s - (time(NULL) - lost));
		/* the stream ended without "end": the server restarted or a proxy cut it */
		fprintf(stderr, "innominatus-ctl: the log stream of execution %lld ended early "
		        "(%s); reconnecting in %u s (giving up %lld s from now), resuming after "
		        "line %lld\n", (long long)w->exec_id,
		        w->http_status == 0 ? (cc != CURLE_OK ? (errbuf[0] ? errbuf
		                                              : curl_easy_strerror(cc))
		                                              : "closed by the server")
		        : w->http_status == 503 ? "the server is not ready (HTTP 503)"
		        : w->http_status == 502 ? "bad gateway (HTTP 502)"
		        : w->http_status == 200 ? (cc != CURLE_OK ? (errbuf[0] ? errbuf
		                                                : curl_easy_strerror(cc))
		                                                : "closed by the server")
		        : "gateway timeout (HTTP 504)",
		        delay, (long long)(wait_s - (time(NULL) - lost)), (long long)w->after);
		sleep(delay);
		if (interrupted) {
			fprintf(stderr, "innominatus-ctl: stopped watching; execution %lld goes on on "
			        "the server (innominatus-ctl cancel %lld stops it)\n",
			        (long long)w->exec_id, (long long)w->exec_id);
			rc = CTL_EXIT_INTERRUPTED;
			goto out;
		}
	}
out:
	sigaction(SIGINT, &old_int, NULL);
	sse_free(&w->sse);
	buf_free(&w->errbody);
	return rc;
}

/* ---- output ------------------------------------------------------------------ */

/* The exit code for an execution's final status. */
static int
exit_for_run(const char *status)
{
	if (status == NULL)
		return CTL_EXIT_FAILED;
	if (strcmp(status, "succeeded") == 0 || strcmp(status, "would-run") == 0)
		return CTL_EXIT_OK;
	if (strcmp(status, "cancelled") == 0 || strcmp(status, "timed_out") == 0)
		return CTL_EXIT_STOPPED;
	return CTL_EXIT_FAILED;
}

static void
fmt_ms(char *out, size_t len, int64_t ms)
{
	if (ms < 0)
		snprintf(out, len, "-");
	else if (ms < 10000)
		snprintf(out, len, "%.1fs", (double)ms / 1000.0);
	else
		snprintf(out, len, "%llds", (long long)(ms / 1000));
}

static void
fmt_time(char *out, size_t len, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || localtime_r(&t, &tm) == NULL || strftime(out, len, "%Y-%m-%d %H:%M:%S",
	                                                         &tm) == 0)
		snprintf(out, len, "-");
}

static void
print_outputs(json_object *outs)
{
	if (outs == NULL || !json_object_is_type(outs, json_type_object) ||
	    json_object_object_length(outs) == 0)
		return;
	printf("Outputs:\n");
	json_object_object_foreach(outs, k, v)
		printf("  %s: %s\n", k, json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) :
		       json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
		                                      JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* One execution (GET /api/workflows/{id}) as text; steps when detailed. */
static void
print_exec(json_object *e, int detailed)
{
	const char *msg = jstr(e, "message"), *app = jstr(e, "app");
	json_object *steps;
	char dur[32];
	size_t i, n;

	printf("Execution %lld: %s %s %s%s%s\n", (long long)jint(e, "id", 0),
	       jstr(e, "kind") ? jstr(e, "kind") : "workflow",
	       jstr(e, "workflow") ? jstr(e, "workflow") : "?",
	       jstr(e, "status") ? jstr(e, "status") : "unknown", msg ? ": " : "",
	       msg ? msg : "");
	if (detailed) {
		char created[32];

		fmt_time(created, sizeof(created), jint(e, "created_ms", 0));
		fmt_ms(dur, sizeof(dur), jint(e, "duration_ms", -1));
		printf("  app %s, team %s, by %s, created %s, took %s%s\n", app ? app : "-",
		       jstr(e, "team") && *jstr(e, "team") ? jstr(e, "team") : "-",
		       jstr(e, "created_by") ? jstr(e, "created_by") : "-", created, dur,
		       json_object_get_boolean(json_object_object_get(e, "dry_run")) ?
		       " (dry run)" : "");
		if (jint(e, "retry_of", 0) > 0)
			printf("  retry of execution %lld\n", (long long)jint(e, "retry_of", 0));
		if (json_object_object_get_ex(e, "steps", &steps) &&
		    json_object_is_type(steps, json_type_array) &&
		    (n = json_object_array_length(steps)) > 0) {
			printf("Steps:\n");
			for (i = 0; i < n; i++) {
				json_object *s = json_object_array_get_idx(steps, i);
				const char *sm = jstr(s, "message");

				fmt_ms(dur, sizeof(dur), jint(s, "duration_ms", -1));
				printf("  %-24s %-10s %-10s %6s  attempts %lld%s%s\n",
				       jstr(s, "name") ? jstr(s, "name") : "?",
				       jstr(s, "type") ? jstr(s, "type") : "-",
				       jstr(s, "status") ? jstr(s, "status") : "-", dur,
				       (long long)jint(s, "attempts", 0), sm ? "  " : "", sm ? sm : "");
			}
		}
	}
	print_outputs(json_object_object_get(e, "outputs"));
}

/* GET /api/workflows/{id}: prints it (JSON, or text), returns the exit
 * code of a request failure, or with as_result the run's result. */
static int
show_exec(struct remote *r, const char *id, int detailed, int as_result)
{
	struct reply rep;
	char path[128];
	int rc;

	if (path_with(path, sizeof(path), "/api/workflows", id, NULL) != 0)
		return CTL_EXIT_USAGE;
	if ((rc = request(r, "GET", path, NULL, &rep)) == CTL_EXIT_OK) {
		if (r->o->json)
			print_json(rep.json);
		else
			print_exec(rep.json, detailed);
		if (as_result)
			rc = exit_for_run(jstr(rep.json, "status"));
	}
	reply_free(&rep);
	return rc;
}

/* ---- commands ---------------------------------------------------------------- */

static int
usage_err(const char *text)
{
	fprintf(stderr, "usage: innominatus-ctl %s\n", text);
	return CTL_EXIT_USAGE;
}

/* GET path and print the JSON, or the table through fn. */
static int
get_and_print(struct remote *r, const char *path, void (*fn)(json_object *))
{
	struct reply rep;
	int rc;

	if ((rc = request(r, "GET", path, NULL, &rep)) == CTL_EXIT_OK) {
		if (r->o->json)
			print_json(rep.json);
		else
			fn(rep.json);
	}
	reply_free(&rep);
	return rc;
}

static void
table_providers(json_object *a)
{
	size_t i, n = json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;

	printf("%-20s %-9s %-9s %s\n", "PROVIDER", "VERSION", "WORKFLOWS", "RESOURCE TYPES");
	for (i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(a, i), *wfs, *types;
		size_t j, nt;

		wfs = json_object_object_get(p, "workflows");
		types = json_object_object_get(p, "resource_types");
		nt = json_object_is_type(types, json_type_array) ? json_object_array_length(types)
		                                                 : 0;
		printf("%-20s %-9s %-9zu ", jstr(p, "name") ? jstr(p, "name") : "?",
		       jstr(p, "version") ? jstr(p, "version") : "-",
		       json_object_is_type(wfs, json_type_array) ? json_object_array_length(wfs) : 0);
		for (j = 0; j < nt; j++) {
			const char *t = jstr(json_object_array_get_idx(types, j), "type");

			printf("%s%s", j ? "," : "", t ? t : "?");
		}
		printf("%s\n", nt ? "" : "-");
	}
}

static void
table_goldenpaths(json_object *a)
{
	size_t i, n = json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;

	printf("%-24s %-14s %s\n", "GOLDEN PATH", "CATEGORY", "DESCRIPTION");
	for (i = 0; i < n; i++) {
		json_object *g = json_object_array_get_idx(a, i);

		printf("%-24s %-14s %s\n", jstr(g, "name") ? jstr(g, "name") : "?",
		       jstr(g, "category") ? jstr(g, "category") : "-",
		       jstr(g, "description") ? jstr(g, "description") : "");
	}
}

static void
table_workflows(json_object *o)
{
	json_object *data = json_object_object_get(o, "data");
	size_t i, n = json_object_is_type(data, json_type_array) ?
	              json_object_array_length(data) : 0;

	printf("%-7s %-28s %-16s %-11s %-19s %s\n", "ID", "WORKFLOW", "APP", "STATUS",
	       "CREATED", "DURATION");
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(data, i);
		char created[32], dur[32];

		fmt_time(created, sizeof(created), jint(e, "created_ms", 0));
		fmt_ms(dur, sizeof(dur), jint(e, "duration_ms", -1));
		printf("%-7lld %-28s %-16s %-11s %-19s %s\n", (long long)jint(e, "id", 0),
		       jstr(e, "workflow") ? jstr(e, "workflow") : "?",
		       jstr(e, "app") ? jstr(e, "app") : "-",
		       jstr(e, "status") ? jstr(e, "status") : "-", created, dur);
	}
	printf("page %lld of %lld, %lld execution(s)\n", (long long)jint(o, "page", 1),
	       (long long)jint(o, "total_pages", 1), (long long)jint(o, "total", 0));
}

static int
cmd_list_providers(struct remote *r, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return usage_err("--server URL list-providers");
	return get_and_print(r, "/api/providers", table_providers);
}

static int
cmd_list_goldenpaths(struct remote *r, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		return usage_err("--server URL list-goldenpaths");
	return get_and_print(r, "/api/golden-paths", table_goldenpaths);
}

/* Appends "&name=escaped" (or "?name=...") to q. */
static int
query_add(struct buf *q, const char *name, const char *value)
{
	char *esc = curl_easy_escape(NULL, value, 0);
	int rc;

	if (esc == NULL)
		return -1;
	rc = (buf_add(q, q->len ? "&" : "?", 1) != 0 || buf_add(q, name, strlen(name)) != 0 ||
	      buf_add(q, "=", 1) != 0 || buf_add(q, esc, strlen(esc)) != 0) ? -1 : 0;
	curl_free(esc);
	return rc;
}

static int
cmd_list_workflows(struct remote *r, int argc, char **argv)
{
	struct buf q = { NULL, 0, 0, 8192 }, path = { NULL, 0, 0, 8192 };
	char page[16];
	int rc = CTL_EXIT_USAGE;

	(void)argv;
	if (argc != 0)
		return usage_err("--server URL list-workflows [--app A] [--status S] [--page N]");
	snprintf(page, sizeof(page), "%d", r->o->page > 0 ? r->o->page : 1);
	if ((r->o->app && query_add(&q, "app", r->o->app) != 0) ||
	    (r->o->status && query_add(&q, "status", r->o->status) != 0) ||
	    query_add(&q, "page", page) != 0 ||
	    buf_add(&path, "/api/workflows", 14) != 0 || buf_add(&path, q.p, q.len) != 0) {
		fprintf(stderr, "innominatus-ctl: list-workflows: --app/--status too long\n");
		goto out;
	}
	rc = get_and_print(r, path.p, table_workflows);
out:
	buf_free(&q);
	buf_free(&path);
	return rc;
}

/* Reads a Score spec file (bounded) as a JSON string. */
static json_object *
spec_string(const char *file)
{
	struct buf b = { NULL, 0, 0, REMOTE_MAX_SPEC };
	char chunk[8192];
	size_t n;
	FILE *fp = fopen(file, "r");
	json_object *s = NULL;

	if (fp == NULL) {
		fprintf(stderr, "innominatus-ctl: cannot read the spec %s: %s\n", file,
		        strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (buf_add(&b, chunk, n) != 0) {
			fprintf(stderr, "innominatus-ctl: the spec %s is larger than %u bytes\n", file,
			        REMOTE_MAX_SPEC);
			goto out;
		}
	if (ferror(fp)) {
		fprintf(stderr, "innominatus-ctl: cannot read the spec %s\n", file);
		goto out;
	}
	s = json_object_new_string_len(b.p ? b.p : "", (int)b.len);
out:
	fclose(fp);
	buf_free(&b);
	return s;
}

/* After a 202 {id}: --no-wait prints the id; otherwise follows the logs,
 * then prints the execution's final state.  Returns the run's exit code. */
static int
wait_for(struct remote *r, json_object *accepted)
{
	struct watch w;
	char id[32];
	int64_t n = jint(accepted, "id", 0);
	int rc;

	if (n <= 0) {
		fprintf(stderr, "innominatus-ctl: the server accepted the run but sent no "
		        "execution id\n");
		return CTL_EXIT_FAILED;
	}
	if (r->o->no_wait) {
		if (r->o->json)
			print_json(accepted);
		else
			printf("Execution %lld submitted (%s); follow it with: innominatus-ctl logs "
			       "-f %lld\n", (long long)n,
			       jstr(accepted, "status") ? jstr(accepted, "status") : "pending",
			       (long long)n);
		return CTL_EXIT_OK;
	}
	if (!r->o->json)
		fprintf(stderr, "Execution %lld submitted; following its logs\n", (long long)n);
	memset(&w, 0, sizeof(w));
	w.exec_id = n;
	if ((rc = watch_run(r, &w)) != CTL_EXIT_OK)
		return rc;
	snprintf(id, sizeof(id), "%lld", (long long)n);
	return show_exec(r, id, 0, 1);
}

static int
cmd_run(struct remote *r, int argc, char **argv)
{
	json_object *body = NULL, *params = NULL, *spec;
	struct reply rep;
	char path[1024];
	int rc = CTL_EXIT_USAGE;

	memset(&rep, 0, sizeof(rep));
	if (argc < 1 || argc > 2)
		return usage_err("--server URL run WORKFLOW [SPEC] [--param NAME=VALUE]... "
		                 "[--dry-run] [--no-wait]");
	if ((params = ctl_params(r->o)) == NULL)
		return CTL_EXIT_USAGE;
	body = json_object_new_object();
	if (strchr(argv[0], '/') != NULL) {
		snprintf(path, sizeof(path), "/api/workflows/run");
		json_object_object_add(body, "workflow", json_object_new_string(argv[0]));
	} else if (path_with(path, sizeof(path), "/api/golden-paths", argv[0], "/run") != 0) {
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
	if ((rc = request(r, "POST", path, body, &rep)) == CTL_EXIT_OK)
		rc = wait_for(r, rep.json);
out:
	reply_free(&rep);
	json_object_put(params);
	json_object_put(body);
	return rc;
}

static int
cmd_retry(struct remote *r, int argc, char **argv)
{
	struct reply rep;
	char path[128];
	json_object *body;
	int rc;

	if (id_arg("retry", argc, argv) != 0)
		return CTL_EXIT_USAGE;
	if (path_with(path, sizeof(path), "/api/workflows", argv[0], "/retry") != 0)
		return CTL_EXIT_USAGE;
	body = json_object_new_object();
	if ((rc = request(r, "POST", path, body, &rep)) == CTL_EXIT_OK)
		rc = wait_for(r, rep.json);
	reply_free(&rep);
	json_object_put(body);
	return rc;
}

static int
cmd_cancel(struct remote *r, int argc, char **argv)
{
	struct reply rep;
	char path[128];
	json_object *body;
	int rc;

	if (id_arg("cancel", argc, argv) != 0)
		return CTL_EXIT_USAGE;
	if (path_with(path, sizeof(path), "/api/workflows", argv[0], "/cancel") != 0)
		return CTL_EXIT_USAGE;
	body = json_object_new_object();
	if ((rc = request(r, "POST", path, body, &rep)) == CTL_EXIT_OK) {
		if (r->o->json)
			print_json(rep.json);
		else
			printf("Execution %s: %s\n", argv[0], jstr(rep.json, "status") ?
			       jstr(rep.json, "status") : "cancelling");
	}
	reply_free(&rep);
	json_object_put(body);
	return rc;
}

static int
cmd_status(struct remote *r, int argc, char **argv)
{
	if (id_arg("status", argc, argv) != 0)
		return CTL_EXIT_USAGE;
	return show_exec(r, argv[0], 1, 0);
}

/* logs ID: pages through ?after=N; with -o json one object of the server's
 * shape with every line.  logs ID -f: follows the stream to the end and
 * exits with the run's result. */
static int
cmd_logs(struct remote *r, int argc, char **argv)
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
		struct watch w;

		memset(&w, 0, sizeof(w));
		w.exec_id = strtoll(argv[0], NULL, 10);
		w.to_stdout = 1;
		if ((rc = watch_run(r, &w)) != CTL_EXIT_OK)
			return rc;
		if (!r->o->json)
			printf("Execution %s %s\n", argv[0], w.final);
		return exit_for_run(w.final);
	}
	all = json_object_new_array();
	for (;;) {
		snprintf(path, sizeof(path), "/api/workflows/%s/logs?after=%lld", argv[0],
		         (long long)after);
		if ((rc = request(r, "GET", path, NULL, &rep)) != CTL_EXIT_OK)
			break;
		lines = json_object_object_get(rep.json, "lines");
		n = json_object_is_type(lines, json_type_array) ? json_object_array_length(lines)
		                                                : 0;
		for (i = 0; i < n; i++) {
			json_object *l = json_object_array_get_idx(lines, i);

			if (r->o->json)
				json_object_array_add(all, json_object_get(l));
			else
				printf("%-24s| %s\n", jstr(l, "step") ? jstr(l, "step") : "-",
				       jstr(l, "line") ? jstr(l, "line") : "");
		}
		next = jint(rep.json, "next_after", after);
		if (n == 0 || next <= after) {
			if (r->o->json) {
				json_object *o = json_object_new_object();

				json_object_object_add(o, "lines", all);
				all = NULL;
				json_object_object_add(o, "next_after", json_object_new_int64(next));
				json_object_object_add(o, "status", json_object_get(
				    json_object_object_get(rep.json, "status")));
				print_json(o);
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

static int
admin_add_provider(struct remote *r, const char *name)
{
	static const char use[] = "--server URL admin add-provider NAME (--git-url URL "
	                          "[--path P] [--ref R] | --path DIR)";
	json_object *body;
	struct reply rep;
	int rc;

	if (r->o->git_url == NULL && r->o->path == NULL) {
		fprintf(stderr, "innominatus-ctl: admin add-provider needs --git-url or --path\n");
		return usage_err(use);
	}
	if (r->o->git_url == NULL && r->o->ref != NULL) {
		fprintf(stderr, "innominatus-ctl: --ref goes with --git-url\n");
		return usage_err(use);
	}
	body = json_object_new_object();
	json_object_object_add(body, "name", json_object_new_string(name));
	if (r->o->git_url != NULL)
		json_object_object_add(body, "git_url", json_object_new_string(r->o->git_url));
	if (r->o->path != NULL)
		json_object_object_add(body, "path", json_object_new_string(r->o->path));
	if (r->o->ref != NULL)
		json_object_object_add(body, "ref", json_object_new_string(r->o->ref));
	if ((rc = request(r, "POST", "/api/admin/providers", body, &rep)) == CTL_EXIT_OK) {
		if (r->o->json) {
			print_json(rep.json);
		} else {
			json_object *wfs = json_object_object_get(rep.json, "workflows");
			const char *commit = jstr(rep.json, "commit");

			printf("Added provider \"%s\"%s%.12s with %zu workflow(s)\n", name,
			       commit ? " at " : "", commit ? commit : "",
			       wfs ? json_object_array_length(wfs) : (size_t)0);
		}
	}
	reply_free(&rep);
	json_object_put(body);
	return rc;
}

static int
admin_remove_provider(struct remote *r, const char *name)
{
	struct reply rep;
	char path[512];
	int rc;

	if (path_with(path, sizeof(path), "/api/admin/providers", name, NULL) != 0)
		return usage_err("--server URL admin remove-provider NAME");
	if ((rc = request(r, "DELETE", path, NULL, &rep)) == CTL_EXIT_OK) {
		if (r->o->json)
			print_json(rep.json);
		else
			printf("Removed provider \"%s\"\n", name);
	}
	reply_free(&rep);
	return rc;
}

static int
admin_reload(struct remote *r)
{
	json_object *body = json_object_new_object(), *srcs;
	struct reply rep;
	size_t i;
	int rc;

	if ((rc = request(r, "POST", "/api/admin/reload", body, &rep)) == CTL_EXIT_OK) {
		if (r->o->json) {
			print_json(rep.json);
		} else {
			printf("Reloaded: %lld provider(s), %lld golden path(s)\n",
			       (long long)jint(rep.json, "providers", 0),
			       (long long)jint(rep.json, "golden_paths", 0));
			srcs = json_object_object_get(rep.json, "sources");
			for (i = 0; srcs != NULL && i < json_object_array_length(srcs); i++) {
				json_object *s = json_object_array_get_idx(srcs, i);
				const char *commit = jstr(s, "commit");

				printf("  %-24s %.12s%s\n", jstr(s, "name") ? jstr(s, "name") : "",
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

static int
cmd_admin(struct remote *r, int argc, char **argv)
{
	static const char use[] = "--server URL admin add-key NAME --role admin|user [--team T]";
	json_object *body;
	struct reply rep;
	int rc;

	if (argc == 2 && strcmp(argv[0], "add-provider") == 0)
		return admin_add_provider(r, argv[1]);
	if (argc == 2 && strcmp(argv[0], "remove-provider") == 0)
		return admin_remove_provider(r, argv[1]);
	if (argc == 1 && strcmp(argv[0], "reload") == 0)
		return admin_reload(r);
	if (argc != 2 || strcmp(argv[0], "add-key") != 0)
		return usage_err(use);
	if (r->o->role == NULL || (strcmp(r->o->role, "admin") != 0 &&
	                           strcmp(r->o->role, "user") != 0)) {
		fprintf(stderr, "innominatus-ctl: admin add-key needs --role admin or --role user\n");
		return usage_err(use);
	}
	body = json_object_new_object();
	json_object_object_add(body, "name", json_object_new_string(argv[1]));
	json_object_object_add(body, "role", json_object_new_string(r->o->role));
	if (r->o->team != NULL)
		json_object_object_add(body, "team", json_object_new_string(r->o->team));
	if ((rc = request(r, "POST", "/api/admin/keys", body, &rep)) == CTL_EXIT_OK) {
		if (r->o->json) {
			print_json(rep.json);
		} else {
			const char *team = jstr(rep.json, "team");

			fprintf(stderr, "Created %s key \"%s\"%s%s; it is shown only this once:\n",
			        jstr(rep.json, "role") ? jstr(rep.json, "role") : r->o->role,
			        argv[1], team && *team ? " for team " : "", team && *team ? team : "");
			printf("%s\n", jstr(rep.json, "key") ? jstr(rep.json, "key") : "");
		}
	}
	reply_free(&rep);
	json_object_put(body);
	return rc;
}

/* ---- dispatch ------------------------------------------------------------------ */

static const struct {
	const char *name;
	int (*fn)(struct remote *, int, char **);
	int also_local;       /* a local command of that name exists */
} remote_commands[] = {
	{ "list-providers", cmd_list_providers, 1 },
	{ "list-goldenpaths", cmd_list_goldenpaths, 1 },
	{ "run", cmd_run, 1 },
	{ "status", cmd_status, 0 },
	{ "logs", cmd_logs, 0 },
	{ "cancel", cmd_cancel, 0 },
	{ "retry", cmd_retry, 0 },
	{ "list-workflows", cmd_list_workflows, 0 },
	{ "admin", cmd_admin, 0 },
};

int
ctl_remote_dispatch(const ctl_opts *o, const char *cmd, int argc, char **argv, int *rc)
{
	struct remote r;
	size_t k;

	for (k = 0; k < sizeof(remote_commands) / sizeof(remote_commands[0]); k++)
		if (strcmp(cmd, remote_commands[k].name) == 0)
			break;
	if (k == sizeof(remote_commands) / sizeof(remote_commands[0]))
		return 0;
	if (o->local || server_url(o) == NULL) {
		if (remote_commands[k].also_local && (o->local || strcmp(cmd, "run") != 0))
			return 0;
		fprintf(stderr, "innominatus-ctl: %s talks to a server: give --server URL or set "
		        "INNOMINATUS_SERVER%s\n", cmd,
		        o->local ? " (and drop --local)" : strcmp(cmd, "run") == 0 ?
		        "; or run it in-process with --local" : "");
		*rc = CTL_EXIT_USAGE;
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "innominatus-ctl: libcurl failed to initialise\n");
		*rc = CTL_EXIT_FAILED;
		return 1;
	}
	if ((*rc = remote_open(&r, o)) == CTL_EXIT_OK)
		*rc = remote_commands[k].fn(&r, argc, argv);
	fflush(stdout);
	remote_close(&r);
	curl_global_cleanup();
	return 1;
}

void
ctl_remote_usage(FILE *fp)
{
	fprintf(fp,
	    "Commands (remote mode: with --server URL or INNOMINATUS_SERVER, without --local;\n"
	    "token from INNOMINATUS_TOKEN, else ~/.config/innominatus/credentials, mode 0600,\n"
	    "a line token=... or {\"token\": \"...\"}):\n"
	    "  list-providers | list-goldenpaths\n"
	    "  run WORKFLOW [SPEC]       run a golden path (or provider/workflow) on the server for\n"
	    "                            an optional Score spec; follows its logs, then prints the\n"
	    "                            final status and outputs (--no-wait: print the id and return)\n"
	    "  status ID                 one execution: status, steps, outputs\n"
	    "  logs ID [-f]              its step logs (-f: follow until the run ends; exit as the run)\n"
	    "  cancel ID | retry ID      cancel a running execution; run a finished one again\n"
	    "  list-workflows            executions (--app A, --status S, --page N)\n"
	    "  admin add-key NAME --role admin|user [--team T]\n"
	    "                            create an API key (admin key needed); prints it once\n"
	    "  admin add-provider NAME (--git-url URL [--path P] [--ref R] | --path DIR)\n"
	    "                            add a provider from a git repository (P: its folder in\n"
	    "                            the repository; R: branch, tag or commit) or a folder on\n"
	    "                            the server; validated first, every problem printed\n"
	    "  admin remove-provider NAME  remove a provider added with add-provider\n"
	    "  admin reload              re-read the config's providers, fetch every git provider;\n"
	    "                            the catalog in use is kept if the new one has errors\n"
	    "  Remote options: --server URL, --no-wait, -f/--follow, --app, --status, --page,\n"
	    "  --role, --team, --git-url, --ref, --path; --param, --dry-run and -o json as for\n"
	    "  local commands.  --reconnect-wait SECS: how long run/logs -f keep reconnecting\n"
	    "  to a server that went away (default 60; exit 5 after that).\n");
}
