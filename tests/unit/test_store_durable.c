/*
 * test_store_durable.c - what the SQLite store acknowledged survives
 * kill -9: a child process appends log lines and step rows from several
 * threads at once, half of the rows in transactions (so writes meet a busy
 * writer and are committed in groups, or in another thread's transaction),
 * telling the parent over a pipe each one that returned 0; the
 * parent kills it with SIGKILL mid-stream, reopens the file and finds
 * every acknowledged line and step row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "error.h"
#include "store.h"
#include "testutil.h"

#define THREADS 8
#define ACKS_BEFORE_KILL 4000

/* What the child reports: a log line's seq (kind 'L') or a step row's
 * index and attempts (kind 'S'); written whole (< PIPE_BUF). */
struct ack {
	char kind;
	int64_t a, b;
};

struct writer {
	inn_store *st;
	int64_t exec_id;
	int t;
	int fd;
};

static void
ack(int fd, char kind, int64_t a, int64_t b)
{
	struct ack m;

	memset(&m, 0, sizeof(m));
	m.kind = kind;
	m.a = a;
	m.b = b;
	if (write(fd, &m, sizeof(m)) != (ssize_t)sizeof(m))
		_exit(3);
}

/* Until killed: a line, and every tenth time this thread's step row with
 * one more attempt. */
static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	char line[64], name[16];
	inn_step_row row;
	int64_t seq, ev;
	int i, ok;

	snprintf(name, sizeof(name), "s%d", w->t);
	for (i = 1;; i++) {
		snprintf(line, sizeof(line), "thread %d line %d", w->t, i);
		if (inn_store_log_append(w->st, w->exec_id, name, 1, 1, line, &seq) == 0)
			ack(w->fd, 'L', seq, 0);
		if (i % 10 != 0)
			continue;
		memset(&row, 0, sizeof(row));
		row.idx = w->t;
		row.name = name;
		row.type = (char *)"noop";
		row.status = (char *)"running";
		row.attempts = i / 10;
		if (w->t % 2 == 0) {
			if (inn_store_step_put(w->st, w->exec_id, &row) == 0)
				ack(w->fd, 'S', w->t, i / 10);
			continue;
		}
		/* the way a runner records a step: its row and its event in one
		 * transaction, into whose commit queued writes of others go */
		if (inn_store_begin(w->st) != 0)
			continue;
		ok = inn_store_step_put(w->st, w->exec_id, &row) == 0 &&
		     inn_store_event_add(w->st, "step.running", w->exec_id, NULL, NULL, &ev) == 0;
		if (inn_store_commit(w->st) == 0 && ok)
			ack(w->fd, 'S', w->t, i / 10);
	}
	return NULL;
}

static void
child(const char *path, int fd)
{
	static struct writer w[THREADS];
	pthread_t th;
	inn_store *st = NULL;
	inn_exec_row r;
	int t;

	memset(&r, 0, sizeof(r));
	r.workflow = (char *)"t/durable";
	r.kind = (char *)"workflow";
	r.created_by = (char *)"ci";
	r.status = (char *)"running";
	if (inn_store_open(&st, path) != 0 || inn_store_exec_create(st, &r) != 0)
		_exit(2);
	ack(fd, 'E', r.id, 0);
	for (t = 0; t < THREADS; t++) {
		w[t] = (struct writer){ st, r.id, t, fd };
		if (pthread_create(&th, NULL, writer_main, &w[t]) != 0)
			_exit(2);
	}
	for (;;)
		pause();
}

static void
test_acknowledged_writes_survive_kill9(void **state)
{
	char *dir = tu_mkdtemp("durable");
	char path[4096];
	int64_t *seqs, attempts[THREADS] = { 0 }, exec_id = 0;
	size_t nseq = 0, cap = 1 << 16, i;
	struct ack m;
	json_object *lines = NULL;
	inn_step_row *rows = NULL;
	size_t nrows = 0;
	inn_store *st = NULL;
	int fds[2], status, got = 0;
	pid_t pid;
	ssize_t n;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/store.db", dir);
	seqs = calloc(cap, sizeof(*seqs));
	assert_non_null(seqs);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		child(path, fds[1]);
	}
	close(fds[1]);
	/* read acks; past ACKS_BEFORE_KILL, kill it, then drain what it said
	 * before it died */
	while ((n = read(fds[0], &m, sizeof(m))) == (ssize_t)sizeof(m)) {
		if (m.kind == 'E')
			exec_id = m.a;
		else if (m.kind == 'L' && nseq < cap)
			seqs[nseq++] = m.a;
		else if (m.kind == 'S' && m.a >= 0 && m.a < THREADS && m.b > attempts[m.a])
			attempts[m.a] = m.b;
		if (++got == ACKS_BEFORE_KILL)
			kill(pid, SIGKILL);
	}
	assert_int_equal(n, 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_true(exec_id > 0);
	assert_true(nseq > 1000);

	if (inn_store_open(&st, path) != 0)
		fail_msg("reopen: %s", inn_error_last());
	/* every acknowledged line is there (read page by page, in seq order) */
	{
		size_t len = 0, hcap = 1 << 16, k;
		int64_t *have = calloc(hcap, sizeof(*have)), after = 0;

		assert_non_null(have);
		for (;;) {
			size_t pl;

			assert_int_equal(inn_store_logs_get(st, exec_id, after, 1000, &lines), 0);
			pl = json_object_array_length(lines);
			for (k = 0; k < pl && len < hcap; k++)
				have[len++] = json_object_get_int64(json_object_object_get(
					json_object_array_get_idx(lines, k), "seq"));
			json_object_put(lines);
			if (pl == 0 || len == hcap)
				break;
			after = have[len - 1];
		}
		for (i = 0; i < nseq; i++) {
			size_t lo = 0, hi = len;

			while (lo < hi) {
				size_t mid = (lo + hi) / 2;

				if (have[mid] < seqs[i])
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo == len || have[lo] != seqs[i])
				fail_msg("acknowledged line %lld is missing after kill -9",
				         (long long)seqs[i]);
		}
		free(have);
	}
	/* every acknowledged step row is there, at least as far as it was told */
	assert_int_equal(inn_store_steps_get(st, exec_id, &rows, &nrows), 0);
	for (i = 0; i < THREADS; i++) {
		size_t k;
		int found = attempts[i] == 0;

		for (k = 0; k < nrows; k++)
			if (rows[k].idx == (int)i && rows[k].attempts >= attempts[i])
				found = 1;
		if (!found)
			fail_msg("step row %zu: acknowledged attempts %lld are missing after kill -9",
			         i, (long long)attempts[i]);
	}
	inn_step_rows_free(rows, nrows);
	inn_store_close(st);
	free(seqs);
	close(fds[0]);
	tu_rmrf_free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acknowledged_writes_survive_kill9),
	};

	return cmocka_run_group_tests_name("store_durable", tests, NULL, NULL);
}
