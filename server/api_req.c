/*
 * api_req.c - what every API handler does with its request, below the
 * route table and the handlers: reply with JSON, read a number from the
 * query.
 */
#include "config.h"

#include <stdlib.h>

#include "api_int.h"

void
inn_api_reply(struct api_call *c, int status, json_object *o)
{
	inn_http_reply_json(c->req, status, o);
	json_object_put(o);
}

int
inn_api_query_int(struct evhttp_request *req, const char *name, int def, int lo, int hi)
{
	char buf[32], *end;
	long v;

	if (inn_http_query(req, name, buf, sizeof(buf)) == NULL)
		return def;
	v = strtol(buf, &end, 10);
	if (*end != '\0' || v < lo)
		return def;
	return v > hi ? hi : (int)v;
}
