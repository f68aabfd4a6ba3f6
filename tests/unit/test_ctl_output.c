/*
 * test_ctl_output.c - what innominatus-ctl prints and how it reads a log
 * stream: the exit code for each final status word (the engine's
 * inn_state_name words), the tables and outputs both modes print, a local
 * run's JSON with "status" (never "state"), no status line when the output
 * is not a terminal, and the Server-Sent Events parser fed in pieces cut
 * anywhere (LF, CRLF and CR line ends, comments, ids, the size limit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "output.h"
#include "remote.h"

/* ---- capturing stdout -------------------------------------------------------- */

static FILE *cap;
static int saved_stdout = -1;

static void
capture_start(void)
{
	fflush(stdout);
	assert_non_null(cap = tmpfile());
	saved_stdout = dup(1);
	assert_true(saved_stdout >= 0);
	assert_true(dup2(fileno(cap), 1) >= 0);
}

/* What was printed since capture_start (free it). */
static char *
capture_end(void)
{
	long n;
	char *s;

	fflush(stdout);
	assert_true(dup2(saved_stdout, 1) >= 0);
	close(saved_stdout);
	n = ftell(cap);
	assert_true(n >= 0);
	assert_non_null(s = calloc((size_t)n + 1, 1));
	rewind(cap);
	assert_int_equal(fread(s, 1, (size_t)n, cap), (size_t)n);
	fclose(cap);
	return s;
}

/* ---- exit codes ------------------------------------------------------------------ */

static void
test_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(ctl_exit_for_state(INN_STATE_SUCCEEDED), CTL_EXIT_OK);
	assert_int_equal(ctl_exit_for_state(INN_STATE_WOULD_RUN), CTL_EXIT_OK);
	assert_int_equal(ctl_exit_for_state(INN_STATE_CANCELLED), CTL_EXIT_STOPPED);
	assert_int_equal(ctl_exit_for_state(INN_STATE_TIMED_OUT), CTL_EXIT_STOPPED);
	assert_int_equal(ctl_exit_for_state(INN_STATE_FAILED), CTL_EXIT_FAILED);
	/* the words are the engine's */
	assert_int_equal(ctl_exit_for_status(inn_state_name(INN_STATE_SUCCEEDED)), CTL_EXIT_OK);
	assert_int_equal(ctl_exit_for_status(inn_state_name(INN_STATE_WOULD_RUN)), CTL_EXIT_OK);
	assert_int_equal(ctl_exit_for_status(inn_state_name(INN_STATE_TIMED_OUT)),
	                 CTL_EXIT_STOPPED);
	assert_int_equal(ctl_exit_for_status("cancelled"), CTL_EXIT_STOPPED);
	assert_int_equal(ctl_exit_for_status("failed"), CTL_EXIT_FAILED);
	assert_int_equal(ctl_exit_for_status("interrupted"), CTL_EXIT_FAILED);
	assert_int_equal(ctl_exit_for_status("unknown"), CTL_EXIT_FAILED);
	assert_int_equal(ctl_exit_for_status(NULL), CTL_EXIT_FAILED);
}

static void
test_json_readers(void **state)
{
	json_object *o = json_tokener_parse("{\"s\":\"x\",\"i\":7,\"d\":2.0,\"n\":null}");

	(void)state;
	assert_string_equal(ctl_jstr(o, "s"), "x");
	assert_null(ctl_jstr(o, "i"));
	assert_null(ctl_jstr(o, "n"));
	assert_null(ctl_jstr(NULL, "s"));
	assert_int_equal(ctl_jint(o, "i", -1), 7);
	assert_int_equal(ctl_jint(o, "d", -1), 2);
	assert_int_equal(ctl_jint(o, "s", -1), -1);
	assert_int_equal(ctl_jint(o, "missing", 42), 42);
	json_object_put(o);
}

/* ---- what is printed ------------------------------------------------------------- */

static void
test_outputs(void **state)
{
	json_object *o = json_tokener_parse("{\"url\":\"https://a/b\",\"n\":[1,\"x/y\"]}");
	json_object *empty = json_object_new_object();
	char *s;

	(void)state;
	capture_start();
	ctl_print_outputs(o);
	ctl_print_outputs(empty);   /* nothing at all */
	ctl_print_outputs(NULL);
	s = capture_end();
	assert_string_equal(s, "Outputs:\n  url: https://a/b\n  n: [1,\"x/y\"]\n");
	free(s);
	json_object_put(o);
	json_object_put(empty);
}

static void
test_tables(void **state)
{
	json_object *p = json_tokener_parse(
	    "[{\"name\":\"db\",\"version\":\"1.0\",\"workflows\":[{},{}],"
	    "\"resource_types\":[{\"type\":\"sqlite\"},{\"type\":\"pg\"}]},"
	    "{\"name\":\"bare\",\"version\":null,\"workflows\":[],\"resource_types\":[]}]");
	json_object *g = json_tokener_parse(
	    "[{\"name\":\"deploy-app\",\"category\":null,\"description\":\"Deploy\"}]");
	char *s;

	(void)state;
	capture_start();
	ctl_table_providers(p);
	ctl_table_goldenpaths(g);
	s = capture_end();
	assert_non_null(strstr(s, "PROVIDER             VERSION   WORKFLOWS RESOURCE TYPES\n"));
	assert_non_null(strstr(s, "\ndb                   1.0       2         sqlite,pg\n"));
	assert_non_null(strstr(s, "\nbare                 -         0         -\n"));
	assert_non_null(strstr(s, "\ndeploy-app               -              Deploy\n"));
	free(s);
	json_object_put(p);
	json_object_put(g);
}

static void
test_exec_text(void **state)
{
	json_object *e = json_tokener_parse(
	    "{\"id\":7,\"kind\":\"golden-path\",\"workflow\":\"deploy-app\","
	    "\"status\":\"failed\",\"message\":\"step b failed\",\"app\":\"cart\","
	    "\"team\":\"\",\"created_by\":\"ops\",\"created_ms\":0,\"duration_ms\":1500,"
	    "\"steps\":[{\"name\":\"b\",\"type\":\"shell\",\"status\":\"failed\","
	    "\"duration_ms\":12000,\"attempts\":2,\"message\":\"exit status 7\"}],"
	    "\"outputs\":{}}");
	char *s;

	(void)state;
	capture_start();
	ctl_print_exec(e, 1);
	s = capture_end();
	assert_non_null(strstr(s, "Execution 7: golden-path deploy-app failed: step b failed\n"));
	assert_non_null(strstr(s, "  app cart, team -, by ops, created -, took 1.5s\n"));
	assert_non_null(strstr(s, "Steps:\n  b                        shell      failed        12s"
	                          "  attempts 2  exit status 7\n"));
	assert_null(strstr(s, "Outputs:"));
	free(s);
	json_object_put(e);
}

static void
test_no_status_line_off_terminal(void **state)
{
	ctl_status st;

	(void)state;
	ctl_status_init(&st, 1);            /* -o json: never */
	ctl_status_draw(&st, "[1/2] 1 running", "a");
	assert_int_equal(st.shown, 0);
	ctl_status_clear(&st);
	assert_int_equal(st.shown, 0);
}

/* ---- the Server-Sent Events parser -------------------------------------------- */

struct got {
	char text[1024];   /* "event|id|data;" per event */
	int stop_at;       /* stop after this many events (0: never) */
	int n;
};

static int
on_event(void *ud, const char *event, int64_t id, const char *data)
{
	struct got *g = ud;
	size_t len = strlen(g->text);

	snprintf(g->text + len, sizeof(g->text) - len, "%s|%lld|%s;", event, (long long)id,
	         data);
	g->n++;
	return g->stop_at > 0 && g->n >= g->stop_at;
}

/* Feeds text in pieces of step bytes; the last feed's result. */
static int
feed_pieces(struct sse *s, const char *text, size_t step)
{
	size_t i, n = strlen(text);
	int rc = 0;

	for (i = 0; i < n && rc == 0; i += step)
		rc = remote_sse_feed(s, text + i, n - i < step ? n - i : step);
	return rc;
}

static void
test_sse_pieces(void **state)
{
	static const char stream[] =
	    ": keep-alive\n"
	    "event: log\nid: 3\ndata: {\"line\":\"a\"}\n\n"
	    "event: log\r\nid: 4\r\ndata: two\r\ndata: lines\r\n\r\n"
	    "data:nospace\r\r"
	    "event: end\nid: 9\ndata: {\"status\":\"succeeded\"}\n\n";
	static const char want[] =
	    "log|3|{\"line\":\"a\"};log|4|two\nlines;message|4|nospace;"
	    "end|9|{\"status\":\"succeeded\"};";
	size_t step;

	(void)state;
	for (step = 1; step <= sizeof(stream); step++) {
		struct got g;
		struct sse s;

		memset(&g, 0, sizeof(g));
		remote_sse_init(&s, 1024, on_event, &g);
		assert_int_equal(feed_pieces(&s, stream, step), 0);
		assert_string_equal(g.text, want);
		remote_sse_free(&s);
	}
}

static void
test_sse_stop_and_limit(void **state)
{
	struct got g;
	struct sse s;
	char big[200];

	(void)state;
	memset(&g, 0, sizeof(g));
	g.stop_at = 1;
	remote_sse_init(&s, 1024, on_event, &g);
	assert_int_equal(remote_sse_feed(&s, "data: a\n\ndata: b\n\n", 18), -1);
	assert_true(s.stop);
	assert_string_equal(g.text, "message|0|a;");
	remote_sse_free(&s);

	memset(&g, 0, sizeof(g));
	remote_sse_init(&s, 64, on_event, &g);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(remote_sse_feed(&s, "data: ", 6), 0);
	assert_int_equal(remote_sse_feed(&s, big, strlen(big)), -1);
	assert_true(s.too_big);
	assert_int_equal(g.n, 0);
	remote_sse_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_json_readers),
		cmocka_unit_test(test_outputs),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_exec_text),
		cmocka_unit_test(test_no_status_line_off_terminal),
		cmocka_unit_test(test_sse_pieces),
		cmocka_unit_test(test_sse_stop_and_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
