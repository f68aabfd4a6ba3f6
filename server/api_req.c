/*
 * api_req.c - what every API handler does with its request, below the
 * route table and the handlers: reply with JSON, read a number from the
 * query.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "api_int.h"

void
inn_api_reply(struct api_call *c, int status, json_object *o)
{
	inn_http_reply_json(c->req, status, o);
	json_object_put(o);
}

int
inn_api_query_int(struct api_call *c, const char *name, int64_t def, int64_t lo, int64_t hi,
                  int64_t *out)
{
	char buf[32], *end;
	long long v;

	*out = def;
	if (inn_http_query(c->req, name, buf, sizeof(buf)) == NULL)
		return 0;
	errno = 0;
	v = strtoll(buf, &end, 10);
	/* "", " 5", "5x", "0x10", out of range: a guess either way, refused */
	if (buf[0] == '\0' || !(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')) ||
	    *end != '\0' || errno == ERANGE || v < lo || v > hi) {
		inn_http_error(c->req, 400, "invalid_request", "query: %s takes an integer from "
		               "%lld to %lld, not \"%.40s\"", name, (long long)lo, (long long)hi,
		               buf);
		return -1;
	}
	*out = v;
	return 0;
}
