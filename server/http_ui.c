/*
 * http_ui.c - the dashboard over HTTP: GET (and HEAD) of / and of the
 * embedded files under /ui/ (ui.h), public like /health, answered from
 * the binary's own bytes -- the gzip copy when the client takes it, 304
 * when its copy is current -- with the security headers the pages are
 * written for.  Anything else under /ui/ is a JSON 404, like an unknown
 * route.  api.c's dispatch hands these paths here before its route table.
 */
#include "config.h"

#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "server.h"
#include "ui.h"

/* The pages load their own script and style sheet and talk to this
 * server only: no inline script or style, no frame, no other origin. */
static const char *const ui_headers[][2] = {
	{ "Content-Security-Policy", "default-src 'none'; script-src 'self'; "
	  "style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
	  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'" },
	{ "Referrer-Policy", "no-referrer" },
	{ "X-Frame-Options", "DENY" },
	{ "Cross-Origin-Opener-Policy", "same-origin" },
};

#define UI_ALLOW "GET, HEAD, OPTIONS"

/* The request target's path as the request line wrote it (*len bytes):
 * path itself unless the line wrote another, as evhttp reads "//" and
 * "///x" (an authority, then path "" or "/x"); an absolute-form target
 * ("http://host/ui/app.js") has path as its path. */
static const char *
target_path(struct evhttp_request *req, const char *path, size_t *len)
{
	const char *raw = evhttp_request_get_uri(req);

	if (raw == NULL || raw[0] != '/') {
		*len = strlen(path);
		return path;
	}
	*len = strcspn(raw, "?#");
	return raw;
}

void
inn_ui_serve(inn_server *srv, struct evhttp_request *req, const char *path)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	const struct inn_ui_asset *a = NULL;
	const char *etag, *sent;
	struct evbuffer *buf;
	size_t i, len;
	int gz;

	for (i = 0; i < sizeof(ui_headers) / sizeof(ui_headers[0]); i++)
		evhttp_add_header(out, ui_headers[i][0], ui_headers[i][1]);
	/* a file for the very path the client wrote, never one read into it */
	sent = target_path(req, path, &len);
	if (srv->cfg.ui && len == strlen(path) && strncmp(sent, path, len) == 0)
		a = inn_ui_find(path);
	if (a == NULL) {
		inn_http_error(req, 404, "not_found", srv->cfg.ui ? "no file %.*s in the dashboard "
		               "(it is at /)" : "no route %.*s: the dashboard is off (server.ui: "
		               "false)", len > 300 ? 300 : (int)len, sent);
		return;
	}
	if (m == EVHTTP_REQ_OPTIONS) {
		evhttp_add_header(out, "Allow", UI_ALLOW);
		inn_http_access_log(req, 204, 0);
		inn_http_send(req, 204, "No Content", NULL);
		return;
	}
	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
		evhttp_add_header(out, "Allow", UI_ALLOW);
		inn_http_error(req, 405, "method_not_allowed", "%s takes %s, not this method", path,
		               UI_ALLOW);
		return;
	}
	gz = inn_ui_wants_gzip(evhttp_find_header(in, "Accept-Encoding"));
	/* the bytes stay where they are, in the binary */
	if ((buf = evbuffer_new()) == NULL ||
	    evbuffer_add_reference(buf, gz ? a->gz : a->data, gz ? a->gzlen : a->len, NULL,
	                           NULL) != 0) {
		if (buf != NULL)
			evbuffer_free(buf);
		inn_http_error(req, 503, "busy", "out of memory");
		return;
	}
	etag = inn_ui_etag(a, gz);
	/* every browser revalidates (If-None-Match): a new build's files are
	 * never mixed with an old one's */
	evhttp_add_header(out, "Cache-Control", "no-cache");
	evhttp_add_header(out, "ETag", etag);
	evhttp_add_header(out, "Vary", "Accept-Encoding");
	if (inn_ui_etag_matches(evhttp_find_header(in, "If-None-Match"), etag)) {
		inn_http_access_log(req, 304, 0);
		inn_http_send(req, 304, "Not Modified", NULL);
		evbuffer_free(buf);
		return;
	}
	evhttp_add_header(out, "Content-Type", a->type);
	if (gz)
		evhttp_add_header(out, "Content-Encoding", "gzip");
	inn_http_access_log(req, 200, evbuffer_get_length(buf));
	inn_http_send(req, 200, "OK", buf);
	evbuffer_free(buf);
}
