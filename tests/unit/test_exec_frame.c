/*
 * test_exec_frame.c - the frames between the engine and its worker
 * processes (exec_pool_frame.c): a frame sent arrives whole and alone,
 * however it is split by reads; frames over FRAME_MAX are neither sent nor
 * accepted; a malformed or non-object frame is an error; EOF ends a
 * blocking read; the read buffer never grows past its maximum.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exec_pool_int.h"

static void
pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

/* Writes a raw frame header announcing len bytes, then body. */
static void
write_raw(int fd, size_t len, const char *body)
{
	unsigned char hdr[4] = {
		(unsigned char)(len >> 24), (unsigned char)(len >> 16),
		(unsigned char)(len >> 8), (unsigned char)len
	};

	assert_int_equal(write(fd, hdr, 4), 4);
	if (body != NULL)
		assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
}

static void
test_round_trip_and_order(void **state)
{
	inn_buf fb = INN_BUF_INIT(FRAME_BUF_MAX);
	json_object *a = json_tokener_parse("{\"op\":\"log\",\"line\":\"a\\u0000b\"}");
	json_object *b = json_tokener_parse("{\"op\":\"done\",\"rc\":7}");
	json_object *got;
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(inn_frame_send(sv[0], a), 0);
	assert_int_equal(inn_frame_send(sv[0], b), 0);
	close(sv[0]);
	got = inn_frame_recv(sv[1], &fb);
	assert_non_null(got);
	assert_string_equal(jstr(got, "op"), "log");
	/* the NUL inside the line survives */
	assert_int_equal(json_object_get_string_len(json_object_object_get(got, "line")), 3);
	json_object_put(got);
	got = inn_frame_recv(sv[1], &fb);
	assert_non_null(got);
	assert_string_equal(jstr(got, "op"), "done");
	assert_int_equal(jint(got, "rc"), 7);
	assert_int_equal(jint(got, "absent"), 0);
	assert_null(jstr(got, "rc"));
	json_object_put(got);
	/* EOF */
	assert_null(inn_frame_recv(sv[1], &fb));
	assert_int_equal(fb.len, 0);
	inn_buf_free(&fb);
	close(sv[1]);
	json_object_put(a);
	json_object_put(b);
}

static void
test_incomplete_until_whole(void **state)
{
	inn_buf fb = INN_BUF_INIT(FRAME_BUF_MAX);
	json_object *got = NULL;
	const char *body = "{\"op\":\"ready\"}";
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(inn_frame_take(&fb, &got), 0);     /* nothing yet */
	write_raw(sv[0], strlen(body), NULL);
	assert_int_equal(write(sv[0], body, 5), 5);
	assert_int_equal(inn_frame_fill(sv[1], &fb), 1);
	assert_int_equal(inn_frame_take(&fb, &got), 0);     /* half a frame */
	assert_int_equal(write(sv[0], body + 5, strlen(body) - 5), (ssize_t)(strlen(body) - 5));
	assert_int_equal(inn_frame_fill(sv[1], &fb), 1);
	assert_int_equal(inn_frame_take(&fb, &got), 1);
	assert_string_equal(jstr(got, "op"), "ready");
	assert_int_equal(fb.len, 0);
	json_object_put(got);
	close(sv[0]);
	assert_int_equal(inn_frame_fill(sv[1], &fb), 0);    /* EOF */
	close(sv[1]);
	inn_buf_free(&fb);
}

static void
test_bad_frames(void **state)
{
	inn_buf fb = INN_BUF_INIT(FRAME_BUF_MAX);
	json_object *got = NULL;
	int sv[2];

	(void)state;
	/* not JSON, and JSON that is not an object */
	pair(sv);
	write_raw(sv[0], 5, "{nope");
	write_raw(sv[0], 2, "[]");
	assert_int_equal(inn_frame_fill(sv[1], &fb), 1);
	assert_int_equal(inn_frame_take(&fb, &got), -1);
	assert_int_equal(inn_frame_take(&fb, &got), -1);
	assert_int_equal(fb.len, 0);
	/* a header announcing more than FRAME_MAX */
	write_raw(sv[0], (size_t)FRAME_MAX + 1, NULL);
	assert_int_equal(inn_frame_fill(sv[1], &fb), 1);
	assert_int_equal(inn_frame_take(&fb, &got), -1);
	close(sv[0]);
	close(sv[1]);
	inn_buf_free(&fb);
}

static void
test_limits(void **state)
{
	inn_buf fb = INN_BUF_INIT(8);
	json_object *big = json_object_new_object();
	char *s = malloc((size_t)FRAME_MAX + 1);
	int sv[2];

	(void)state;
	assert_non_null(s);
	memset(s, 'x', FRAME_MAX);
	s[FRAME_MAX] = '\0';
	json_object_object_add(big, "line", json_object_new_string(s));
	free(s);
	pair(sv);
	/* too large to send: nothing is written */
	assert_int_equal(inn_frame_send(sv[0], big), -1);
	json_object_put(big);
	/* a reader never holds more than its buffer's maximum */
	write_raw(sv[0], 100, NULL);
	assert_int_equal(write(sv[0], "0123456789", 10), 10);
	assert_int_equal(inn_frame_fill(sv[1], &fb), 1);
	assert_int_equal(fb.len, 8);
	assert_int_equal(inn_frame_fill(sv[1], &fb), -1);   /* full */
	assert_int_equal(fb.len, 8);
	close(sv[0]);
	close(sv[1]);
	inn_buf_free(&fb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_and_order),
		cmocka_unit_test(test_incomplete_until_whole),
		cmocka_unit_test(test_bad_frames),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests_name("exec_frame", tests, NULL, NULL);
}
