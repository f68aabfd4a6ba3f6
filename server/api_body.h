/*
 * api_body.h - parsing of API request bodies, apart from HTTP so that the
 * fuzz target exercises exactly what the server runs.
 */
#ifndef INN_SERVER_API_BODY_H
#define INN_SERVER_API_BODY_H

#include <stddef.h>

#include <json-c/json.h>

/* Checks that data is one strict RFC 8259 JSON value: double-quoted
 * strings of valid UTF-8, no comments, NaN, Infinity or trailing commas,
 * integers that fit 64 bits, finite numbers, nesting at most 64.  Returns
 * 0, or -1 with a message naming the field (e.g. "parameters.secs"). */
int inn_body_check_json(const char *data, size_t len, char *msg, size_t msglen);

/* Parses a request body into a JSON object (empty body: {}).  Returns 0,
 * or an HTTP status (400) with a code and message. */
int inn_body_parse(const char *data, size_t len, json_object **out, const char **code,
                   char *msg, size_t msglen);

/* Reads the run fields {parameters, spec, dry_run} of a parsed body; spec
 * may be an object or a YAML string (parsed as a Score spec).  *spec is a
 * new reference.  Returns 0 or 400 with code and message. */
int inn_body_run_fields(json_object *body, json_object **params, json_object **spec,
                        int *dry_run, const char **code, char *msg, size_t msglen);

#endif
