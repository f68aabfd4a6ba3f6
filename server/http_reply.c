/*
 * http_reply.c - reason phrases, the error body and the error-reply count
 * (see http_reply.h).
 */
#include "config.h"

#include <stdatomic.h>

#include "http_reply.h"

static atomic_llong error_replies;

long long
inn_http_error_count(void)
{
	return atomic_load(&error_replies);
}

void
inn_http_count_error(void)
{
	atomic_fetch_add(&error_replies, 1);
}

const char *
inn_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return status >= 500 ? "Internal Server Error" : "Error";
	}
}

json_object *
inn_http_error_json(const char *code, const char *message)
{
	json_object *body = json_object_new_object(), *err = json_object_new_object();

	json_object_object_add(err, "code", json_object_new_string(code));
	json_object_object_add(err, "message", json_object_new_string(message));
	json_object_object_add(body, "error", err);
	return body;
}
