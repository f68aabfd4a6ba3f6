/*
 * ui.h - the web dashboard the server carries in its binary: the files of
 * ui/ as ui/embed.sh compiled them (server/ui_assets.c, generated), and
 * what serving them takes (ui.c: which file a path names, its ETag,
 * what Accept-Encoding and If-None-Match ask for).  http_ui.c serves them
 * at / and /ui/<path> over evhttp.
 */
#ifndef INN_SERVER_UI_H
#define INN_SERVER_UI_H

#include <stddef.h>

/* One embedded file: its URL path ("/ui/app.js"), Content-Type, bytes
 * and their gzip -9n copy. */
struct inn_ui_asset {
	const char *path;
	const char *type;
	const unsigned char *data;
	size_t len;
	const unsigned char *gz;
	size_t gzlen;
};

/* Every embedded file, ended by an entry whose path is NULL. */
extern const struct inn_ui_asset inn_ui_assets[];

/* The embedded file served at path exactly as the client sent it (still
 * percent-encoded; "/" is /ui/index.html), or NULL: no other spelling of
 * a path ("/ui//app.js", "/ui/%61pp.js", "/ui/../x") resolves. */
const struct inn_ui_asset *inn_ui_find(const char *path);

/* The strong ETag of a's bytes (gz 0) or of their gzip copy (gz 1), a
 * quoted string ("\"3f2a...\"", the gzip one ending -gzip) taken from
 * their SHA-256.  Any thread. */
const char *inn_ui_etag(const struct inn_ui_asset *a, int gz);

/* 1 when path is the dashboard's ("/" or anything under "/ui/"). */
int inn_ui_owns(const char *path);

/* Which representation of an asset a request's Accept-Encoding value
 * (NULL: none) asks for: 1 gzip, 0 the bytes as they are.  gzip (or
 * x-gzip, or "*") with a q above 0 and not below identity's q. */
int inn_ui_wants_gzip(const char *accept_encoding);

/* 1 when the If-None-Match value inm (NULL: none) matches etag (a quoted
 * entity tag): "*", or one tag of its list, W/ or not (RFC 9110 13.1.2's
 * weak comparison). */
int inn_ui_etag_matches(const char *inm, const char *etag);

#endif
