/*
 * remote_sse.c - innominatus-ctl remote mode, following a run: the log
 * stream of an execution (GET /api/workflows/{id}/logs?follow=1, Server-Sent
 * Events) parsed incrementally as bytes arrive, its lines printed with a
 * live status line, and reconnection (resuming after the last line seen)
 * while the server is away.  `run` and `logs -f` use it.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "remote.h"

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* ---- Server-Sent Events ----------------------------------------------------- */

static void
sse_line(struct sse *s)
{
	const char *l = s->line.p ? s->line.p : "", *v;
	size_t flen;

	if (*l == '\0') {         /* blank line: dispatch */
		if (s->data.len > 0 || s->event[0] != '\0')
			if (s->on_event(s->ud, s->event[0] ? s->event : "message", s->id,
			                s->data.p ? s->data.p : ""))
				s->stop = 1;
		inn_buf_reset(&s->data);
		s->event[0] = '\0';
		return;
	}
	if (*l == ':')            /* comment: a keep-alive */
		return;
	v = strchr(l, ':');
	flen = v ? (size_t)(v - l) : strlen(l);
	if (v == NULL)
		v = "";
	else if (*++v == ' ')
		v++;
	if (flen == 4 && strncmp(l, "data", 4) == 0) {
		if ((s->data.len > 0 && inn_buf_add(&s->data, "\n", 1) != 0) ||
		    inn_buf_add(&s->data, v, strlen(v)) != 0)
			s->too_big = 1;
	} else if (flen == 5 && strncmp(l, "event", 5) == 0) {
		snprintf(s->event, sizeof(s->event), "%s", v);
	} else if (flen == 2 && strncmp(l, "id", 2) == 0) {
		s->id = strtoll(v, NULL, 10);
	}
}

void
remote_sse_init(struct sse *s, size_t max, sse_event_fn on_event, void *ud)
{
	memset(s, 0, sizeof(*s));
	inn_buf_init(&s->line, max);
	inn_buf_init(&s->data, max);
	s->on_event = on_event;
	s->ud = ud;
}

int
remote_sse_feed(struct sse *s, const char *d, size_t n)
{
	size_t i = 0, start;

	while (i < n) {
		if (s->prev_cr && d[i] == '\n') {
			s->prev_cr = 0;
			i++;
			continue;
		}
		s->prev_cr = 0;
		start = i;
		while (i < n && d[i] != '\n' && d[i] != '\r')
			i++;
		if (inn_buf_add(&s->line, d + start, i - start) != 0)
			s->too_big = 1;
		if (i == n)
			break;        /* the line goes on in the next chunk */
		s->prev_cr = d[i] == '\r';
		i++;
		sse_line(s);
		inn_buf_reset(&s->line);
		if (s->stop || s->too_big)
			return -1;
	}
	return s->too_big ? -1 : 0;
}

void
remote_sse_free(struct sse *s)
{
	inn_buf_free(&s->line);
	inn_buf_free(&s->data);
}

/* ---- watching a run: the log stream -------------------------------------------- */

struct watch {
	struct remote *r;
	int64_t exec_id;
	int64_t after;         /* highest log seq seen: where a reconnect resumes */
	int to_stdout;         /* logs -f: the lines are the output; run: progress on stderr */
	ctl_status status;
	time_t started;
	char step[128];        /* the step that logged last */
	char final[32];        /* status from the "end" event */
	long http_status;      /* the stream's HTTP status, 0 before the headers */
	inn_buf errbody;       /* the body of a non-200 reply */
	struct sse sse;
	CURL *curl;
};

static void
status_draw(struct watch *w)
{
	char what[96];

	snprintf(what, sizeof(what), "[%lds] execution %lld running",
	         (long)(time(NULL) - w->started), (long long)w->exec_id);
	ctl_status_draw(&w->status, what, w->step);
}

static int
watch_event(void *ud, const char *event, int64_t id, const char *data)
{
	struct watch *w = ud;
	json_object *j = json_tokener_parse(data);

	if (w->r->o->json) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "event", json_object_new_string(event));
		json_object_object_add(e, "id", json_object_new_int64(id));
		json_object_object_add(e, "data", json_object_get(j));
		if (w->to_stdout)
			ctl_print_stream(e);
		json_object_put(e);
	}
	if (strcmp(event, "log") == 0 && j != NULL) {
		const char *step = ctl_jstr(j, "step"), *line = ctl_jstr(j, "line");
		FILE *fp = w->to_stdout ? stdout : stderr;

		w->after = ctl_jint(j, "seq", id);
		if (step != NULL)
			snprintf(w->step, sizeof(w->step), "%s", step);
		if (!w->r->o->json) {
			ctl_status_clear(&w->status);
			ctl_print_log(fp, "", step ? step : "-", line ? line : "", -1);
			fflush(fp);
			status_draw(w);
		}
	} else if (strcmp(event, "end") == 0) {
		const char *st = j ? ctl_jstr(j, "status") : NULL;

		snprintf(w->final, sizeof(w->final), "%s", st ? st : "unknown");
		json_object_put(j);
		return 1;
	}
	json_object_put(j);
	return 0;
}

static size_t
on_stream(char *data, size_t size, size_t nmemb, void *ud)
{
	struct watch *w = ud;
	size_t n = size * nmemb;

	if (w->http_status == 0)
		curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &w->http_status);
	if (w->http_status != 200)
		return inn_buf_add(&w->errbody, data, n) == 0 ? n : 0;
	return remote_sse_feed(&w->sse, data, n) == 0 ? n : 0;
}

/* Once a second or so while the stream is idle: redraw, honour Ctrl-C. */
static int
on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct watch *w = ud;
	static time_t last;

	(void)dt; (void)dn; (void)ut; (void)un;
	if (interrupted)
		return 1;
	if (w->status.shown && time(NULL) != last) {
		last = time(NULL);
		status_draw(w);
	}
	return 0;
}

/* One connection to the stream, from after w->after until it ends; *cc is
 * curl's result.  -1 when no handle could be made. */
static int
stream_once(struct watch *w, char *errbuf, CURLcode *cc)
{
	char path[128];

	snprintf(path, sizeof(path), "/api/workflows/%lld/logs?follow=1&after=%lld",
	         (long long)w->exec_id, (long long)w->after);
	if ((w->curl = remote_handle(w->r, path, errbuf)) == NULL)
		return -1;
	w->http_status = 0;
	inn_buf_reset(&w->errbody);
	inn_buf_reset(&w->sse.line);
	inn_buf_reset(&w->sse.data);
	w->sse.event[0] = '\0';
	w->sse.prev_cr = 0;
	curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(w->curl, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(w->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(w->curl, CURLOPT_XFERINFODATA, w);
	curl_easy_setopt(w->curl, CURLOPT_NOPROGRESS, 0L);
	status_draw(w);
	*cc = curl_easy_perform(w->curl);   /* no total timeout: runs take their time */
	if (w->http_status == 0)
		curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &w->http_status);
	curl_easy_cleanup(w->curl);
	w->curl = NULL;
	ctl_status_clear(&w->status);
	return 0;
}

/* Ctrl-C: says the run goes on; the exit code for it. */
static int
stopped(const struct watch *w)
{
	fprintf(stderr, "innominatus-ctl: stopped watching; execution %lld goes on on the "
	        "server (innominatus-ctl cancel %lld stops it)\n", (long long)w->exec_id,
	        (long long)w->exec_id);
	return CTL_EXIT_INTERRUPTED;
}

/* The stream's error reply, reported; its exit code. */
static int
http_failed(struct watch *w)
{
	json_object *j = w->errbody.p ? json_tokener_parse(w->errbody.p) : NULL;
	int rc = remote_http_error(w->r, w->http_status, w->errbody.p, j);

	json_object_put(j);
	return rc;
}

/* Why the stream ended before its "end" event, in words. */
static const char *
lost_why(const struct watch *w, CURLcode cc, const char *errbuf)
{
	if (w->http_status == 0 || w->http_status == 200)
		return cc == CURLE_OK ? "closed by the server"
		                      : errbuf[0] ? errbuf : curl_easy_strerror(cc);
	if (w->http_status == 503)
		return "the server is not ready (HTTP 503)";
	if (w->http_status == 502)
		return "bad gateway (HTTP 502)";
	return "gateway timeout (HTTP 504)";
}

/* Follows the stream until its "end" event, resuming after the last line
 * seen if the connection drops.  While the server is away (no connection,
 * or 502/503/504: restarting, draining, a proxy without a backend) it tries
 * again with backoff (1 s doubling up to 8 s) for --reconnect-wait seconds
 * (default 60) counted from when the stream was lost, saying so each time.
 * Returns CTL_EXIT_OK with w->final set, or the exit code after a message
 * (CTL_EXIT_REMOTE once it gave up). */
static int
watch_run(struct watch *w)
{
	char errbuf[CURL_ERROR_SIZE];
	int wait_s = w->r->o->reconnect_wait >= 0 ? w->r->o->reconnect_wait : REMOTE_RECONNECT_S;
	unsigned delay = 0;
	time_t lost = 0, t0;
	int64_t after0;
	CURLcode cc = CURLE_OK;

	for (;;) {
		t0 = time(NULL);
		after0 = w->after;
		if (stream_once(w, errbuf, &cc) != 0)
			return CTL_EXIT_FAILED;
		if (w->final[0] != '\0')
			return CTL_EXIT_OK;
		if (interrupted)
			return stopped(w);
		if (w->http_status != 0 && w->http_status != 200 && w->http_status != 502 &&
		    w->http_status != 503 && w->http_status != 504)
			return http_failed(w);
		if (w->sse.too_big) {
			fprintf(stderr, "innominatus-ctl: a log event of execution %lld is larger "
			        "than %u bytes\n", (long long)w->exec_id, REMOTE_MAX_EVENT);
			return CTL_EXIT_FAILED;
		}
		/* it was connected and got somewhere: a new outage starts now (a server
		 * that accepts and hangs up at once still runs into the limit) */
		if (w->http_status == 200 && (w->after != after0 || time(NULL) - t0 >= 5)) {
			lost = 0;
			delay = 0;
		}
		if (lost == 0)
			lost = time(NULL);
		if (time(NULL) - lost >= wait_s) {
			if (w->http_status == 0)
				remote_transport_error(w->r, cc, errbuf);
			else
				http_failed(w);
			fprintf(stderr, "innominatus-ctl: gave up reconnecting after %d s; execution "
			        "%lld goes on on the server (innominatus-ctl logs -f %lld)\n", wait_s,
			        (long long)w->exec_id, (long long)w->exec_id);
			return CTL_EXIT_REMOTE;
		}
		delay = delay == 0 ? 1 : delay >= 8 ? 8 : delay * 2;
		if ((time_t)delay > wait_s - (time(NULL) - lost))
			delay = (unsigned)(wait_s - (time(NULL) - lost));
		/* the stream ended without "end": the server restarted or a proxy cut it */
		fprintf(stderr, "innominatus-ctl: the log stream of execution %lld ended early "
		        "(%s); reconnecting in %u s (giving up %lld s from now), resuming after "
		        "line %lld\n", (long long)w->exec_id, lost_why(w, cc, errbuf), delay,
		        (long long)(wait_s - (time(NULL) - lost)), (long long)w->after);
		sleep(delay);
		if (interrupted)
			return stopped(w);
	}
}

int
remote_watch(struct remote *r, int64_t exec_id, int to_stdout, char *final, size_t finallen)
{
	struct watch w;
	struct sigaction sa, old_int;
	int rc;

	memset(&w, 0, sizeof(w));
	w.r = r;
	w.exec_id = exec_id;
	w.to_stdout = to_stdout;
	ctl_status_init(&w.status, r->o->json);
	w.started = time(NULL);
	remote_sse_init(&w.sse, REMOTE_MAX_EVENT, watch_event, &w);
	inn_buf_init(&w.errbody, REMOTE_MAX_BODY);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	interrupted = 0;
	sigaction(SIGINT, &sa, &old_int);
	rc = watch_run(&w);
	sigaction(SIGINT, &old_int, NULL);
	snprintf(final, finallen, "%s", w.final);
	remote_sse_free(&w.sse);
	inn_buf_free(&w.errbody);
	return rc;
}
