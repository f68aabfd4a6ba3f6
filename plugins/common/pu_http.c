/*
 * pu_http.c - the plugins' one HTTP client (pu_http.h): one libcurl easy
 * handle per request, TLS verification on unless the config says
 * otherwise by name, no redirects followed (credentials never travel to
 * another host), http and https only, the step's cancellation and
 * deadline checked while the request runs, bounded response bodies, and
 * one-line errors that name the service, the URL's origin and the reason.
 * Nothing here logs a header or a body.
 */
#include "pu_http.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "plugin_util.h"

#define HTTP_DEFAULT_TIMEOUT_MS 30000
#define HTTP_DEFAULT_CONNECT_MS 10000
#define HTTP_DEFAULT_MAX_BODY (16u << 20)
#define HTTP_MAX_HEADERS (64u << 10)

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static int http_init_rc;

static void
http_global_init(void)
{
	http_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

/* What the callbacks see. */
struct http_call {
	const inn_host *host;
	inn_step *step;
	pu_buf body, hdrs;
	int cancelled, past_deadline;
};

static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
	struct http_call *c = ud;

	if (pu_buf_add(&c->body, p, size * n) != 0)
		return 0; /* CURLE_WRITE_ERROR: the cap or memory */
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *ud)
{
	struct http_call *c = ud;
	size_t len = size * n;

	/* a new status line starts a new response (100 Continue, proxies):
	 * keep the headers of the final one only */
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		c->hdrs.len = 0;
		c->hdrs.error = 0;
		if (c->hdrs.p != NULL)
			c->hdrs.p[0] = '\0';
	}
	(void)pu_buf_add(&c->hdrs, p, len); /* past the cap: later headers dropped */
	return len;
}

static int
on_progress(void *ud, curl_off_t dlt, curl_off_t dln, curl_off_t ult, curl_off_t uln)
{
	struct http_call *c = ud;
	int64_t dl;

	(void)dlt;
	(void)dln;
	(void)ult;
	(void)uln;
	if (c->host->cancelled(c->step)) {
		c->cancelled = 1;
		return 1;
	}
	dl = c->host->deadline_ms(c->step);
	if (dl > 0 && pu_monotonic_ms() >= dl) {
		c->past_deadline = 1;
		return 1;
	}
	return 0;
}

/* scheme://host[:port] of a URL, for messages (no path, no user info). */
static void
url_origin(const char *url, char *buf, size_t len)
{
	const char *p = strstr(url, "://"), *h, *at, *end;

	if (p == NULL) {
		snprintf(buf, len, "%.80s", url);
		return;
	}
	h = p + 3;
	end = h + strcspn(h, "/?#");
	at = memchr(h, '@', (size_t)(end - h));
	if (at != NULL)
		h = at + 1;
	snprintf(buf, len, "%.*s://%.*s", (int)(p - url), url, (int)(end - h), h);
}

static const char *
curl_reason(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return "cannot resolve the host name";
	case CURLE_COULDNT_CONNECT:
		return "cannot connect";
	case CURLE_OPERATION_TIMEDOUT:
		return "timed out";
	case CURLE_PEER_FAILED_VERIFICATION:
		return "TLS certificate verification failed";
	case CURLE_SSL_CACERT_BADFILE:
		return "cannot read the CA certificate";
	case CURLE_SSL_CERTPROBLEM:
		return "cannot use the client certificate";
	case CURLE_SSL_CONNECT_ERROR:
		return "TLS handshake failed";
	case CURLE_GOT_NOTHING:
		return "the server closed the connection without an answer";
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		return "the connection broke";
	case CURLE_UNSUPPORTED_PROTOCOL:
		return "only http:// and https:// URLs are supported";
	case CURLE_URL_MALFORMAT:
		return "malformed URL";
	case CURLE_WEIRD_SERVER_REPLY:
		return "the server's answer is not HTTP";
	default:
		return curl_easy_strerror(rc);
	}
}

/* The request's time limit: the config's (or the default), never past
 * the step's deadline.  Returns 0, or -1 when the deadline has passed. */
static int
time_limit(const inn_host *host, inn_step *step, const pu_http_conf *conf, long *ms)
{
	int64_t t = conf->timeout_ms > 0 ? conf->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	int64_t dl = host->deadline_ms(step), left;

	if (dl > 0) {
		left = dl - pu_monotonic_ms();
		if (left <= 0)
			return -1;
		if (left < t)
			t = left;
	}
	*ms = t > 0x7fffffff ? 0x7fffffff : (long)t;
	return 0;
}

static struct curl_slist *
add_header(struct curl_slist *l, int *bad, const char *h)
{
	struct curl_slist *n;

	if (*bad)
		return l;
	n = curl_slist_append(l, h);
	if (n == NULL) {
		*bad = 1;
		return l;
	}
	return n;
}

/* The request's header list; NULL with *bad when out of memory. */
static struct curl_slist *
build_headers(const pu_http_conf *conf, const char *content_type, int *bad)
{
	struct curl_slist *l = NULL;
	pu_buf b = PU_BUF_INIT(64u << 10);
	size_t i;

	*bad = 0;
	/* "Expect:" (no 100-continue round trip) -- but not when signing:
	 * libcurl 7.88's SigV4 signs the empty header that curl then removes
	 * from the request, so every signature would mismatch (only bodies
	 * over 1 MiB get an Expect there anyway) */
	if (conf->aws_sigv4 == NULL)
		l = add_header(l, bad, "Expect:");
	l = add_header(l, bad, "Accept: application/json, */*;q=0.5");
	if (content_type != NULL) {
		pu_buf_addf(&b, "Content-Type: %s", content_type);
		l = add_header(l, bad, b.p != NULL ? b.p : "Content-Type:");
		pu_buf_free(&b);
	}
	if (conf->bearer != NULL) {
		pu_buf_addf(&b, "Authorization: Bearer %s", conf->bearer);
		if (b.error != 0)
			*bad = 1;
		else
			l = add_header(l, bad, b.p);
		pu_buf_free(&b);
	}
	for (i = 0; conf->headers != NULL && conf->headers[i] != NULL; i++)
		l = add_header(l, bad, conf->headers[i]);
	return l;
}

static void
set_blob(CURL *h, CURLoption opt, const char *pem)
{
	struct curl_blob blob;

	blob.data = (void *)(uintptr_t)pem;
	blob.len = strlen(pem);
	blob.flags = CURL_BLOB_COPY;
	curl_easy_setopt(h, opt, &blob);
}

static void
set_tls(CURL *h, const pu_http_conf *conf)
{
	if (conf->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	if (conf->ca_pem != NULL)
		set_blob(h, CURLOPT_CAINFO_BLOB, conf->ca_pem);
	else if (conf->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, conf->ca_file);
	if (conf->cert_pem != NULL)
		set_blob(h, CURLOPT_SSLCERT_BLOB, conf->cert_pem);
	else if (conf->cert_file != NULL)
		curl_easy_setopt(h, CURLOPT_SSLCERT, conf->cert_file);
	if (conf->cert_pem != NULL || conf->cert_file != NULL)
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	if (conf->key_pem != NULL)
		set_blob(h, CURLOPT_SSLKEY_BLOB, conf->key_pem);
	else if (conf->key_file != NULL)
		curl_easy_setopt(h, CURLOPT_SSLKEY, conf->key_file);
}

static void
set_method(CURL *h, const char *method, const char *body, size_t len)
{
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		return;
	}
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	    strcmp(method, "PATCH") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body != NULL ? body : "");
	}
}

/* Maps a failed transfer to a status and resp->err. */
static int
transfer_error(CURLcode rc, const struct http_call *c, const pu_http_conf *conf,
               const char *origin, const char *method, const char *path,
               const char *detail, long limit_ms, pu_http_resp *resp)
{
	const char *what = conf->what != NULL ? conf->what : "HTTP server";
	char pathshown[96];

	snprintf(pathshown, sizeof(pathshown), "%.*s", (int)strcspn(path, "?"), path);
	if (c->cancelled) {
		snprintf(resp->err, sizeof(resp->err), "%s at %s: %s %s: cancelled", what,
		         origin, method, pathshown);
		return INN_ECANCELLED;
	}
	if (c->past_deadline) {
		snprintf(resp->err, sizeof(resp->err), "%s at %s: %s %s: the step's deadline "
		         "passed", what, origin, method, pathshown);
		return INN_ETIMEOUT;
	}
	if (rc == CURLE_WRITE_ERROR && c->body.error == INN_ETOOBIG) {
		snprintf(resp->err, sizeof(resp->err), "%s at %s: %s %s: the answer is larger "
		         "than %zu bytes", what, origin, method, pathshown, c->body.max);
		return INN_ETOOBIG;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		char d[32];

		pu_format_duration(d, sizeof(d), limit_ms);
		snprintf(resp->err, sizeof(resp->err), "%s at %s: %s %s: no answer within %s",
		         what, origin, method, pathshown, d);
		return INN_ETIMEOUT;
	}
	snprintf(resp->err, sizeof(resp->err), "%s at %s: %s %s: %s%s%.200s", what, origin,
	         method, pathshown, curl_reason(rc), detail[0] ? ": " : "", detail);
	return rc == CURLE_OUT_OF_MEMORY ? INN_ENOMEM : INN_ERROR;
}

int
pu_http_request(const inn_host *host, inn_step *step, const pu_http_conf *conf,
                const char *method, const char *path, const char *content_type,
                const char *body, size_t len, pu_http_resp *resp)
{
	struct http_call c;
	struct curl_slist *hl = NULL;
	char origin[256], errbuf[CURL_ERROR_SIZE], *url = NULL;
	const char *what = conf->what != NULL ? conf->what : "HTTP server";
	CURL *h = NULL;
	CURLcode rc;
	long limit = 0;
	size_t blen;
	int bad = 0, ret = INN_ERROR;
	int64_t t0 = pu_monotonic_ms();

	memset(resp, 0, sizeof(*resp));
	memset(&c, 0, sizeof(c));
	c.host = host;
	c.step = step;
	c.body.max = conf->max_body > 0 ? conf->max_body : HTTP_DEFAULT_MAX_BODY;
	c.hdrs.max = HTTP_MAX_HEADERS;
	errbuf[0] = '\0';
	if (conf->base_url == NULL || path == NULL || method == NULL) {
		snprintf(resp->err, sizeof(resp->err), "%s: no URL to send %s to", what,
		         method != NULL ? method : "a request");
		return INN_EINVAL;
	}
	url_origin(conf->base_url, origin, sizeof(origin));
	pthread_once(&http_once, http_global_init);
	if (http_init_rc != 0) {
		snprintf(resp->err, sizeof(resp->err), "%s: libcurl failed to initialise", what);
		return INN_ERROR;
	}
	if (host->cancelled(step)) {
		c.cancelled = 1;
		return transfer_error(CURLE_ABORTED_BY_CALLBACK, &c, conf, origin, method, path,
		                      "", 0, resp);
	}
	if (time_limit(host, step, conf, &limit) != 0) {
		c.past_deadline = 1;
		return transfer_error(CURLE_ABORTED_BY_CALLBACK, &c, conf, origin, method, path,
		                      "", 0, resp);
	}
	blen = strlen(conf->base_url);
	while (blen > 0 && conf->base_url[blen - 1] == '/')
		blen--;
	url = malloc(blen + strlen(path) + 2);
	h = curl_easy_init();
	hl = build_headers(conf, content_type, &bad);
	if (url == NULL || h == NULL || bad) {
		snprintf(resp->err, sizeof(resp->err), "%s: out of memory", what);
		ret = INN_ENOMEM;
		goto out;
	}
	memcpy(url, conf->base_url, blen);
	snprintf(url + blen, strlen(path) + 2, "%s%s", path[0] == '/' ? "" : "/", path);

	curl_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, limit);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)(conf->connect_timeout_ms > 0 ? conf->connect_timeout_ms
	                                                     : HTTP_DEFAULT_CONNECT_MS));
	curl_easy_setopt(h, CURLOPT_USERAGENT, "innominatus-plugin/1");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &c);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &c);
	if (conf->userpwd != NULL)
		curl_easy_setopt(h, CURLOPT_USERPWD, conf->userpwd);
	if (conf->aws_sigv4 != NULL)
		curl_easy_setopt(h, CURLOPT_AWS_SIGV4, conf->aws_sigv4);
	set_tls(h, conf);
	set_method(h, method, body, len);

	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		ret = transfer_error(rc, &c, conf, origin, method, path, errbuf, limit, resp);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	if (c.body.error != 0) {
		ret = transfer_error(CURLE_WRITE_ERROR, &c, conf, origin, method, path, "", limit,
		                     resp);
		goto out;
	}
	resp->body = c.body.p != NULL ? c.body.p : calloc(1, 1);
	resp->len = c.body.len;
	resp->headers = c.hdrs.p != NULL ? c.hdrs.p : calloc(1, 1);
	c.body.p = c.hdrs.p = NULL;
	if (resp->body == NULL || resp->headers == NULL) {
		snprintf(resp->err, sizeof(resp->err), "%s: out of memory", what);
		ret = INN_ENOMEM;
		goto out;
	}
	host->log(step, INN_LOG_DEBUG, "%s %s %.*s -> %ld (%lld ms)", what, method,
	          (int)strcspn(path, "?"), path, resp->status,
	          (long long)(pu_monotonic_ms() - t0));
	ret = INN_OK;
out:
	pu_buf_free(&c.body);
	pu_buf_free(&c.hdrs);
	curl_slist_free_all(hl);
	if (h != NULL)
		curl_easy_cleanup(h);
	free(url);
	if (ret != INN_OK) {
		free(resp->body);
		free(resp->headers);
		resp->body = resp->headers = NULL;
		resp->len = 0;
	}
	return ret;
}

void
pu_http_resp_free(pu_http_resp *resp)
{
	if (resp == NULL)
		return;
	if (resp->body != NULL) {
		memset(resp->body, 0, resp->len); /* an answer may carry secrets */
		free(resp->body);
	}
	free(resp->headers);
	resp->body = resp->headers = NULL;
	resp->len = 0;
}

int
pu_http_header(const pu_http_resp *resp, const char *name, char *buf, size_t len)
{
	const char *p = resp->headers;
	size_t nl = strlen(name);

	if (p == NULL || len == 0)
		return -1;
	while (*p != '\0') {
		size_t line = strcspn(p, "\r\n");

		if (line > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			size_t vl = line - nl - 1;

			while (vl > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				vl--;
			}
			while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			snprintf(buf, len, "%.*s", (int)vl, v);
			return 0;
		}
		p += line;
		while (*p == '\r' || *p == '\n')
			p++;
	}
	return -1;
}

char *
pu_url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, n = strlen(s);
	char *out = malloc(n * 3 + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			*o++ = (char)ch;
		} else {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	*o = '\0';
	return out;
}

/* Copies text into buf as one line: control characters become spaces. */
static void
one_line(char *buf, size_t len, const char *s, size_t n)
{
	size_t i, k = 0;

	if (len == 0)
		return;
	for (i = 0; i < n && k + 1 < len && k < 200; i++)
		buf[k++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
	buf[k] = '\0';
}

/* The text between <tag> and </tag> in an XML body, or NULL. */
static const char *
xml_text(const char *body, const char *tag, size_t *n)
{
	char open[32], close[32];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((a = strstr(body, open)) == NULL)
		return NULL;
	a += strlen(open);
	if ((b = strstr(a, close)) == NULL)
		return NULL;
	*n = (size_t)(b - a);
	return a;
}

static int
json_excerpt(const char *body, char *buf, size_t len)
{
	json_object *o = json_tokener_parse(body), *v, *e;
	int done = 0;

	if (o == NULL)
		return 0;
	if (json_object_is_type(o, json_type_object)) {
		if (json_object_object_get_ex(o, "message", &v) &&
		    json_object_is_type(v, json_type_string)) {
			one_line(buf, len, json_object_get_string(v),
			         (size_t)json_object_get_string_len(v));
			done = 1;
		} else if (json_object_object_get_ex(o, "errors", &v) &&
		           json_object_is_type(v, json_type_array) &&
		           json_object_array_length(v) > 0 &&
		           (e = json_object_array_get_idx(v, 0)) != NULL &&
		           json_object_is_type(e, json_type_string)) {
			one_line(buf, len, json_object_get_string(e),
			         (size_t)json_object_get_string_len(e));
			done = 1;
		} else if (json_object_object_get_ex(o, "error", &v) &&
		           json_object_is_type(v, json_type_string)) {
			one_line(buf, len, json_object_get_string(v),
			         (size_t)json_object_get_string_len(v));
			done = 1;
		}
	}
	json_object_put(o);
	return done;
}

void
pu_http_error_excerpt(const pu_http_resp *resp, char *buf, size_t len)
{
	const char *body = resp->body != NULL ? resp->body : "", *code, *msg;
	size_t cn = 0, mn = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	while (isspace((unsigned char)*body))
		body++;
	if (*body == '{' && json_excerpt(body, buf, len))
		return;
	if (*body == '<' && (code = xml_text(body, "Code", &cn)) != NULL) {
		char c[96], m[160];

		one_line(c, sizeof(c), code, cn);
		m[0] = '\0';
		if ((msg = xml_text(body, "Message", &mn)) != NULL)
			one_line(m, sizeof(m), msg, mn);
		snprintf(buf, len, "%s%s%s", c, m[0] ? ": " : "", m);
		return;
	}
	one_line(buf, len, body, strcspn(body, "\r\n"));
}
