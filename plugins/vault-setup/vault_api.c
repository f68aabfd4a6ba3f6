/*
 * vault_api.c - one Vault HTTP API call for vault-setup.so: the request
 * through pu_http (X-Vault-Token and X-Vault-Namespace headers, JSON
 * body), the answer parsed, and a status outside 2xx turned into one
 * step-log line naming the operation with Vault's own `errors` (a 403
 * points at the token secret).  Request bodies are never logged.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_util.h"
#include "vault_int.h"

json_object *
vs_data(json_object *answer)
{
	json_object *d;

	if (answer != NULL && json_object_object_get_ex(answer, "data", &d) &&
	    json_object_is_type(d, json_type_object))
		return d;
	return NULL;
}

int
vs_kv_url(const struct vs_ctx *x, const char *kind, const char *path, char *buf,
          size_t len)
{
	pu_buf b = PU_BUF_INIT(VS_PATH_MAX * 4);
	const char *segs[2] = { x->c->mount, path };
	char one[VS_PATH_MAX + 1], *e;
	const char *p, *s;
	size_t i, n;
	int rc = 0;

	for (i = 0; i < 2; i++) {
		for (p = segs[i]; *p; p = *s ? s + 1 : s) {
			s = p + strcspn(p, "/");
			n = (size_t)(s - p);
			if (n > VS_PATH_MAX)
				n = VS_PATH_MAX;
			memcpy(one, p, n);
			one[n] = '\0';
			if ((e = pu_url_escape(one)) == NULL) {
				rc = INN_ENOMEM;
				goto out;
			}
			pu_buf_addf(&b, "/%s", e);
			free(e);
		}
		if (i == 0)
			pu_buf_addf(&b, "/%s", kind);
	}
	if (b.error != 0 || b.len >= len) {
		rc = b.error ? b.error : INN_ETOOBIG;
		goto out;
	}
	memcpy(buf, b.p, b.len + 1);
out:
	pu_buf_free(&b);
	return rc;
}

/* Vault's errors ({"errors": ["a", "b"]}) joined, else an excerpt. */
static void
vault_errors(const pu_http_resp *r, json_object *ans, char *buf, size_t len)
{
	json_object *errs, *e;
	size_t i, at = 0;
	int n;

	buf[0] = '\0';
	if (ans != NULL && json_object_object_get_ex(ans, "errors", &errs) &&
	    json_object_is_type(errs, json_type_array)) {
		for (i = 0; i < json_object_array_length(errs) && at < len; i++) {
			e = json_object_array_get_idx(errs, i);
			n = snprintf(buf + at, len - at, "%s%s", at ? "; " : "",
			             json_object_get_string(e));
			if (n < 0)
				break;
			at += (size_t)n;
		}
		/* one line: Vault's messages may span several */
		for (i = 0; buf[i]; i++)
			if (buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t')
				buf[i] = ' ';
		if (at > 0)
			return;
	}
	pu_http_error_excerpt(r, buf, len);
}

static int
accepted(const long *accept, long status)
{
	size_t i;

	for (i = 0; accept != NULL && accept[i] != 0; i++)
		if (accept[i] == status)
			return 1;
	return 0;
}

int
vs_call(struct vs_ctx *x, const char *what, const char *method, const char *path,
        json_object *body, const char *ctype, const long *accept, long *status,
        json_object **out)
{
	const inn_host *h = x->host;
	pu_http_resp r;
	char full[VS_PATH_MAX * 4 + 8], why[400];
	const char *text = NULL;
	json_object *ans = NULL;
	size_t tlen = 0;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (status != NULL)
		*status = 0;
	snprintf(full, sizeof(full), "/v1/%s", path[0] == '/' ? path + 1 : path);
	if (body != NULL) {
		text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
		                                      JSON_C_TO_STRING_NOSLASHESCAPE);
		tlen = strlen(text);
		if (ctype == NULL)
			ctype = "application/json";
	}
	rc = pu_http_request(h, x->step, &x->http, method, full, ctype, text, tlen, &r);
	if (rc != 0) {
		h->log(x->step, INN_LOG_ERROR, "vault-setup %s: %s", what,
		       r.err[0] ? r.err : "the request failed");
		goto out;
	}
	if (r.len > 0 && r.body != NULL)
		ans = json_tokener_parse(r.body);
	if (status != NULL)
		*status = r.status;
	if ((r.status >= 200 && r.status < 300) || accepted(accept, r.status)) {
		if (r.status != 204 && r.len > 0 && ans == NULL && r.status < 300) {
			h->log(x->step, INN_LOG_ERROR, "vault-setup %s: Vault at %s answered %ld "
			       "with a body that is not JSON", what, x->c->address, r.status);
			rc = INN_ERROR;
			goto out;
		}
		if (out != NULL) {
			*out = ans;
			ans = NULL;
		}
		goto out;
	}
	vault_errors(&r, ans, why, sizeof(why));
	if (r.status == 403)
		h->log(x->step, INN_LOG_ERROR, "vault-setup %s: Vault at %s: 403 %s (the token "
		       "in secret \"%s\" is not valid, or its policies do not allow this)",
		       what, x->c->address, why[0] ? why : "permission denied",
		       x->c->token_secret);
	else
		h->log(x->step, INN_LOG_ERROR, "vault-setup %s: Vault at %s: %ld %s", what,
		       x->c->address, r.status, why[0] ? why : "(no error text)");
	rc = r.status == 404 ? INN_ENOTFOUND : INN_ERROR;
out:
	json_object_put(ans);
	pu_http_resp_free(&r);
	return rc;
}
