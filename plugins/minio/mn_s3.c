/*
 * mn_s3.c - minio.so's wire layer: one AWS SigV4-signed request through
 * pu_http (libcurl's CURLOPT_AWS_SIGV4) with the payload hash and
 * Content-MD5 headers S3 servers demand, the one-line reasons of failed
 * calls, and the small amount of XML S3 speaks that the plugin reads
 * (error codes, listings) and writes (escaped keys and values).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "minio_int.h"

/* hex of the SHA-256 of [body, body+len) into hex (65 bytes), and the
 * base64 of its MD5 into b64 (25 bytes).  Returns 0 or -1. */
static int
payload_digests(const char *body, size_t len, char *hex, char *b64)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (EVP_Digest(body, len, d, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return -1;
	for (i = 0; i < n; i++) {
		hex[2 * i] = "0123456789abcdef"[d[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
	}
	hex[64] = '\0';
	if (EVP_Digest(body, len, d, &n, EVP_md5(), NULL) != 1 || n != 16)
		return -1;
	EVP_EncodeBlock((unsigned char *)b64, d, (int)n);
	return 0;
}

/* The S3 error code of an answer: <Code> of an XML error body, "Code" of
 * the RGW admin API's JSON one. */
static void
error_code(const pu_http_resp *r, char *code, size_t len)
{
	const char *p = r->body, *vs, *ve;
	json_object *o, *v;

	code[0] = '\0';
	if (r->body == NULL || r->len == 0)
		return;
	if (r->body[0] == '{') {
		if ((o = json_tokener_parse(r->body)) != NULL) {
			if (json_object_object_get_ex(o, "Code", &v) &&
			    json_object_is_type(v, json_type_string))
				snprintf(code, len, "%s", json_object_get_string(v));
			json_object_put(o);
		}
		return;
	}
	if (mn_xml_next(&p, r->body + r->len, "Code", &vs, &ve) == 0 &&
	    (size_t)(ve - vs) < len &&
	    memchr(vs, '<', (size_t)(ve - vs)) == NULL) {
		memcpy(code, vs, (size_t)(ve - vs));
		code[ve - vs] = '\0';
	}
}

int
mn_call(struct mn_ctx *x, const char *what, const char *method, const char *path,
        const char *query, const char *ctype, const char *body,
        struct mn_resp *out)
{
	pu_http_conf hc;
	pu_buf full = PU_BUF_INIT(64u * 1024);
	char sha[80], md5[64], hsha[128], hmd5[96];
	const char *headers[3];
	size_t blen = body ? strlen(body) : 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (payload_digests(body ? body : "", blen, sha, md5) != 0)
		return mn_failf(x, what, "cannot hash the request body (OpenSSL)");
	snprintf(hsha, sizeof(hsha), "x-amz-content-sha256: %s", sha);
	snprintf(hmd5, sizeof(hmd5), "Content-MD5: %s", md5);
	headers[0] = hsha;
	headers[1] = body ? hmd5 : NULL;
	headers[2] = NULL;
	/* a listing's markers are keys of up to 1 KiB, escaped */
	if (pu_buf_addf(&full, "%s%s%s", path, query && *query ? "?" : "",
	                query ? query : "") != 0) {
		pu_buf_free(&full);
		return mn_failf(x, what, "request path too long");
	}

	memset(&hc, 0, sizeof(hc));
	hc.base_url = x->endpoint;
	hc.ca_file = x->c->ca_file;
	hc.insecure = x->c->insecure;
	hc.headers = headers;
	hc.aws_sigv4 = x->sigv4;
	hc.userpwd = x->userpwd;
	hc.timeout_ms = x->c->timeout_ms;
	hc.what = "S3";
	rc = pu_http_request(x->host, x->step, &hc, method, full.p, ctype, body, blen,
	                     &out->r);
	pu_buf_free(&full);
	if (rc != 0) {
		const char *why = out->r.err;
		char prefix[1100];

		/* pu_http names the service and address itself: keep one copy */
		snprintf(prefix, sizeof(prefix), "S3 at %s: ", x->endpoint);
		if (strncmp(why, prefix, strlen(prefix)) == 0)
			why += strlen(prefix);
		mn_failf(x, what, "%s", *why ? why : rc == INN_ECANCELLED ? "cancelled" :
		         rc == INN_ETIMEOUT ? "timed out" : "request failed");
		mn_resp_free(out);
		return rc == INN_ECANCELLED || rc == INN_ETIMEOUT ? rc : INN_ERROR;
	}
	error_code(&out->r, out->code, sizeof(out->code));
	return 0;
}

void
mn_resp_free(struct mn_resp *r)
{
	pu_http_resp_free(&r->r);
	r->code[0] = '\0';
}

static int
vfail(struct mn_ctx *x, const char *what, const char *fmt, va_list ap)
{
	int n = snprintf(x->err, sizeof(x->err), "S3 at %s: %s: ", x->endpoint, what);

	if (n > 0 && (size_t)n < sizeof(x->err))
		vsnprintf(x->err + n, sizeof(x->err) - (size_t)n, fmt, ap);
	return INN_ERROR;
}

int
mn_failf(struct mn_ctx *x, const char *what, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(x, what, fmt, ap);
	va_end(ap);
	return rc;
}

int
mn_fail(struct mn_ctx *x, const char *what, const struct mn_resp *r)
{
	char excerpt[256];

	pu_http_error_excerpt(&r->r, excerpt, sizeof(excerpt));
	if (r->code[0] != '\0' && r->r.body != NULL && r->r.body[0] == '{') {
		/* the RGW admin API's {"Code": ..., "Message": ...} */
		json_object *o = json_tokener_parse(r->r.body), *m;
		int rc;

		if (o != NULL && json_object_object_get_ex(o, "Message", &m) &&
		    json_object_get_string_len(m) > 0)
			rc = mn_failf(x, what, "%ld %s: %.200s", r->r.status, r->code,
			              json_object_get_string(m));
		else
			rc = mn_failf(x, what, "%ld %s", r->r.status, r->code);
		json_object_put(o);
		return rc;
	}
	if (r->code[0] != '\0' && strstr(excerpt, r->code) == NULL)
		return mn_failf(x, what, "%ld %s%s%s", r->r.status, r->code,
		                *excerpt ? ": " : "", excerpt);
	if (*excerpt)
		return mn_failf(x, what, "%ld %s", r->r.status, excerpt);
	if (r->r.status == 403)
		return mn_failf(x, what, "403 Forbidden (access denied or a wrong key: "
		                "the server sends no reason for %s)", what);
	return mn_failf(x, what, "HTTP %ld", r->r.status);
}

/* The first occurrence of needle in [p, end), or NULL. */
static const char *
find(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; p + n <= end; p++)
		if (*p == *needle && memcmp(p, needle, n) == 0)
			return p;
	return NULL;
}

int
mn_xml_next(const char **p, const char *end, const char *tag, const char **vs,
            const char **ve)
{
	char open[64], close[64];
	const char *s, *e;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((s = find(*p, end, open)) == NULL)
		return -1;
	s += strlen(open);
	if ((e = find(s, end, close)) == NULL)
		return -1;
	*vs = s;
	*ve = e;
	*p = e + strlen(close);
	return 0;
}

/* Appends code point cp as UTF-8. */
static void
put_utf8(char **o, unsigned long cp)
{
	unsigned char *u = (unsigned char *)*o;

	if (cp < 0x80) {
		*u++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*u++ = (unsigned char)(0xc0 | (cp >> 6));
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*u++ = (unsigned char)(0xe0 | (cp >> 12));
		*u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		*u++ = (unsigned char)(0xf0 | (cp >> 18));
		*u++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		*u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	}
	*o = (char *)u;
}

char *
mn_xml_text(const char *s, const char *e)
{
	static const struct { const char *ent; char ch; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' }
	};
	char *out = malloc((size_t)(e - s) + 1), *o = out;
	size_t i;

	if (out == NULL)
		return NULL;
	while (s < e) {
		if (*s != '&') {
			*o++ = *s++;
			continue;
		}
		for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
			size_t n = strlen(ents[i].ent);

			if ((size_t)(e - s) >= n && memcmp(s, ents[i].ent, n) == 0) {
				*o++ = ents[i].ch;
				s += n;
				break;
			}
		}
		if (i < sizeof(ents) / sizeof(ents[0]))
			continue;
		if (e - s > 3 && s[1] == '#') {
			/* &#NNN; or &#xHH; : at most 4 UTF-8 bytes for >= 4 input bytes */
			char *end;
			int hex = s[2] == 'x' || s[2] == 'X';
			unsigned long cp = strtoul(s + (hex ? 3 : 2), &end, hex ? 16 : 10);

			if (end < e && *end == ';' && cp > 0 && cp <= 0x10ffff) {
				put_utf8(&o, cp);
				s = end + 1;
				continue;
			}
		}
		*o++ = *s++;
	}
	*o = '\0';
	return out;
}

int
mn_xml_escape(pu_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': pu_buf_adds(b, "&amp;"); break;
		case '<': pu_buf_adds(b, "&lt;"); break;
		case '>': pu_buf_adds(b, "&gt;"); break;
		case '"': pu_buf_adds(b, "&quot;"); break;
		case '\'': pu_buf_adds(b, "&apos;"); break;
		case '\r': pu_buf_adds(b, "&#13;"); break;
		default: pu_buf_add(b, s, 1); break;
		}
	}
	return b->error;
}
