/*
 * fuzz_request.c - libFuzzer target for the request path before a handler
 * runs: the connection guard's scanner (http_scan.c) over a byte stream
 * cut into reads of varying size, with a caller whose key is valid
 * ("Bearer good") or not, and then the body parsers on what follows the
 * first head, as the request threads run them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_body.h"
#include "http_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
key_ok(void *arg, const char *key)
{
	(void)arg;
	return strcmp(key, "good") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	inn_scan s;
	size_t step, off = 0, used, i;
	json_object *body = NULL, *params = NULL, *spec = NULL;
	const char *code;
	char msg[512];
	int dry_run, st = 0;

	if (size == 0)
		return 0;
	/* the first byte: how the stream is cut into reads */
	step = (size_t)(data[0] % 97) + 1;
	memset(&s, 0, sizeof(s));
	s.max_body = 4096;
	s.head_max = 2048;
	s.key_ok = key_ok;
	for (off = 1; off < size && st == 0; off += step) {
		size_t n = size - off < step ? size - off : step;

		st = inn_scan_feed(&s, data + off, n, &used);
		if (st == 0 && used != n)
			abort();
		if (st != 0 && (s.st != INN_SCAN_REFUSED || used > n || s.code == NULL))
			abort();
	}
	inn_scan_free(&s);
	/* the body after the first head */
	for (i = 1; i + 4 <= size; i++)
		if (memcmp(data + i, "\r\n\r\n", 4) == 0)
			break;
	if (i + 4 > size)
		return 0;
	i += 4;
	if (inn_body_parse((const char *)data + i, size - i, &body, &code, msg, sizeof(msg)) != 0)
		return 0;
	if (inn_body_run_fields(body, &params, &spec, &dry_run, &code, msg, sizeof(msg)) == 0)
		json_object_put(spec);
	json_object_put(body);
	return 0;
}
