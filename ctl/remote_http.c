/*
 * remote_http.c - innominatus-ctl remote mode, the HTTP client: the
 * connection to a server (base URL, bearer token from $INNOMINATUS_TOKEN or
 * the credentials file, checked for its owner and mode), requests over
 * libcurl with bounded replies, and server errors {"error":{"code",
 * "message"}} turned into one line and an exit code (exit_for_status()).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"
#include "remote.h"

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
	inn_buf b = INN_BUF_INIT(REMOTE_MAX_CRED);
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
		if (inn_buf_add(&b, chunk, (size_t)n) != 0) {
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
		if ((j = json_tokener_parse(line)) == NULL || (tok = ctl_jstr(j, "token")) == NULL) {
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
	inn_buf_free(&b);
	json_object_put(j);
	close(fd);
	return rc;
}

const char *
ctl_server_url(const ctl_opts *o)
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
	const char *url = ctl_server_url(o), *env = getenv("INNOMINATUS_TOKEN"), *home, *xdg;
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
int
remote_http_error(struct remote *r, long status, const char *body, json_object *j)
{
	json_object *err = NULL;
	const char *msg = NULL;
	char raw[200];

	if (j != NULL && json_object_object_get_ex(j, "error", &err))
		msg = ctl_jstr(err, "message");
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
		ctl_print_json(j);
	/* the server's words: on a terminal, escaped */
	fprintf(stderr, "innominatus-ctl: %s (HTTP %ld)\n", ctl_term_safe(stderr, msg), status);
	/* every diagnostic of a refused provider or catalog, one per line */
	if (err != NULL && !r->o->json) {
		json_object *errs;
		size_t i;

		if (json_object_object_get_ex(err, "errors", &errs) &&
		    json_object_is_type(errs, json_type_array))
			for (i = 0; i < json_object_array_length(errs) && i < 1000; i++)
				fprintf(stderr, "  %s\n", ctl_term_safe(stderr,
				        json_object_get_string(json_object_array_get_idx(errs, i))));
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
	inn_buf *b = ud;

	return inn_buf_add(b, data, size * nmemb) == 0 ? size * nmemb : 0;
}

/* A curl handle for path (relative to the base URL) with the common
 * options; errbuf receives curl's message. */
CURL *
remote_handle(struct remote *r, const char *path, char *errbuf)
{
	CURL *c = curl_easy_init();
	inn_buf url = INN_BUF_INIT(16384);

	if (c == NULL)
		return NULL;
	if (inn_buf_adds(&url, r->base) != 0 || inn_buf_adds(&url, path) != 0) {
		inn_buf_free(&url);
		curl_easy_cleanup(c);
		return NULL;
	}
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url.p);   /* curl copies it */
	inn_buf_free(&url);
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

int
remote_transport_error(struct remote *r, CURLcode cc, const char *errbuf)
{
	fprintf(stderr, "innominatus-ctl: cannot talk to the server at %s: %s\n", r->base,
	        errbuf[0] ? errbuf : curl_easy_strerror(cc));
	if (r->o->server_default)
		fprintf(stderr, "innominatus-ctl: %s is the default server (no --server URL "
		        "given, INNOMINATUS_SERVER not set); name another with --server URL or "
		        "INNOMINATUS_SERVER=URL%s\n", CTL_DEFAULT_SERVER,
		        r->o->server_default == 2 ? ", or run it in-process with --local" : "");
	return CTL_EXIT_REMOTE;
}

/* Sends METHOD path (with data, len bytes of content type ctype, for a
 * POST) and reads the whole reply into rep.  Returns CTL_EXIT_OK for a 2xx
 * reply with a JSON body; otherwise the exit code, after printing why
 * unless REMOTE_QUIET asks for silence about an HTTP error status. */
int
remote_send(struct remote *r, const char *method, const char *path, const char *ctype,
            const char *data, size_t len, int flags, struct reply *rep)
{
	char errbuf[CURL_ERROR_SIZE], ct[128];
	struct curl_slist *hdrs = NULL, *h;
	CURL *c;
	CURLcode cc;
	int rc = CTL_EXIT_FAILED;

	memset(rep, 0, sizeof(*rep));
	inn_buf_init(&rep->body, REMOTE_MAX_BODY);
	if ((c = remote_handle(r, path, errbuf)) == NULL)
		return CTL_EXIT_FAILED;
	curl_easy_setopt(c, CURLOPT_TIMEOUT, REMOTE_REQUEST_S);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &rep->body);
	if (strcmp(method, "POST") == 0) {
		for (h = r->headers; h != NULL; h = h->next)
			if ((hdrs = curl_slist_append(hdrs, h->data)) == NULL)
				goto out;
		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
		if ((hdrs = curl_slist_append(hdrs, ct)) == NULL)
			goto out;
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, data);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);   /* DELETE */
	}
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		if (cc == CURLE_WRITE_ERROR)
			fprintf(stderr, "innominatus-ctl: the reply of %s%s is larger than %u bytes\n",
			        r->base, path, REMOTE_MAX_BODY);
		rc = cc == CURLE_WRITE_ERROR ? CTL_EXIT_FAILED
		                             : remote_transport_error(r, cc, errbuf);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rep->status);
	if (rep->body.p != NULL)
		rep->json = json_tokener_parse(rep->body.p);
	if (rep->status < 200 || rep->status > 299) {
		rc = (flags & REMOTE_QUIET) ? exit_for_status(rep->status)
		                            : remote_http_error(r, rep->status, rep->body.p, rep->json);
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

/* Sends METHOD path (with body as JSON if not NULL) and reads the whole
 * reply into rep.  Returns CTL_EXIT_OK for a 2xx reply with a JSON body;
 * otherwise prints why and returns the exit code. */
int
remote_request(struct remote *r, const char *method, const char *path, json_object *body,
               struct reply *rep)
{
	const char *s = body != NULL ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN)
	                             : "";

	return remote_send(r, method, path, "application/json", s, strlen(s), 0, rep);
}

void
reply_free(struct reply *rep)
{
	json_object_put(rep->json);
	inn_buf_free(&rep->body);
	memset(rep, 0, sizeof(*rep));
}

/* path + "/" + the URL-escaped segment (+ tail) into out. */
int
remote_path(char *out, size_t len, const char *prefix, const char *seg, const char *tail)
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

int
ctl_remote_call(const ctl_opts *o, ctl_remote_fn fn, int argc, char **argv)
{
	struct remote r;
	int rc;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "innominatus-ctl: libcurl failed to initialise\n");
		return CTL_EXIT_FAILED;
	}
	if ((rc = remote_open(&r, o)) == CTL_EXIT_OK)
		rc = fn(&r, argc, argv);
	fflush(stdout);
	remote_close(&r);
	curl_global_cleanup();
	return rc;
}
