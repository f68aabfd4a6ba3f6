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

/* Reads a request of the original's execute route
 * (POST /api/workflows/golden-paths/{name}/execute): data is a Score spec,
 * YAML or JSON, whatever the Content-Type (empty: no spec); query (the
 * URL's, undecoded; may be NULL) holds param.NAME=VALUE pairs (repeatable,
 * URL-decoded, '+' a space; a name given twice is refused) and
 * dry_run=true|false.  *params is a new object of string values (also on
 * failure: the caller drops it), *spec a new reference or NULL.  Returns 0,
 * or 400 with code and a message (a spec error names spec:LINE:COL). */
int inn_body_execute_fields(const char *data, size_t len, const char *query,
                            json_object **params, json_object **spec, int *dry_run,
                            const char **code, char *msg, size_t msglen);

/* A query value given for the boolean name: true or 1 -> 1, false or 0
 * -> 0; anything else: 400 with a message naming name and the value. */
int inn_body_query_bool(const char *name, const char *val, int *out, char *msg,
                        size_t msglen);

/* The query (the URL's, undecoded; may be NULL) of a route that takes only
 * the names in known (NULL-ended), each at most once: *out a new object
 * name -> decoded value (also on failure: the caller drops it).  Returns
 * 0, or 400 with a message naming an unknown parameter and the known ones,
 * or one given twice. */
int inn_body_query_known(const char *query, const char *const *known, json_object **out,
                         char *msg, size_t msglen);

#endif
