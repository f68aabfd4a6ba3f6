/*
 * log.c - the timestamped log (log.h): stderr becomes a line-buffered
 * stream (fopencookie) whose writes go to descriptor 2 with
 * "2026-01-31T12:00:00.123Z LEVEL " in front of every line.  The level is
 * the caller's (inn_log); only a legacy plain fprintf(stderr, ...) of
 * the server's own text has it read from the line ("error" or "cannot" an
 * error, "warning", "refused" or "refusing" a warning, anything else
 * info): a line that carries what a client sent (the access log) always
 * names its level, so a request path cannot make itself an error.  Control
 * bytes (a name from a provider file with ESC or a newline in it) are
 * written as \xNN: one inn_log call is one line of the log, and no
 * terminal escape reaches whoever reads it.  Plugin workers and steps are
 * other processes writing to descriptor 2 themselves: their lines come
 * through as they are.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static FILE *stream;
/* the level of the line being written (the stream's lock is held) */
static __thread int line_level = -1;
/* the stream is in the middle of a line (guarded by the stream's lock) */
static int mid_line;

static const char *
level_of(const char *line, size_t n)
{
	static const char *const err[] = { "error", "cannot", "fatal" };
	static const char *const warn[] = { "warning", "refused", "refusing" };
	char buf[512];
	size_t i;

	switch (line_level) {
	case INN_LOG_DEBUG: return "debug";
	case INN_LOG_INFO: return "info";
	case INN_LOG_WARN: return "warn";
	case INN_LOG_ERROR: return "error";
	default: break;
	}
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	for (i = 0; i < sizeof(err) / sizeof(err[0]); i++)
		if (strcasestr(buf, err[i]) != NULL)
			return "error";
	for (i = 0; i < sizeof(warn) / sizeof(warn[0]); i++)
		if (strcasestr(buf, warn[i]) != NULL)
			return "warn";
	return "info";
}

static int
write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(2, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* n bytes of p with control bytes (below 0x20 but the line's '\n', and
 * 0x7f) as \xNN. */
static int
write_escaped(const char *p, size_t n)
{
	size_t i, from = 0;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		char esc[8];

		if ((ch >= 0x20 && ch != 0x7f) || (ch == '\n' && i == n - 1))
			continue;
		if (write_all(p + from, i - from) != 0)
			return -1;
		snprintf(esc, sizeof(esc), "\\x%02x", ch);
		if (write_all(esc, 4) != 0)
			return -1;
		from = i + 1;
	}
	return write_all(p + from, n - from);
}

static ssize_t
cookie_write(void *c, const char *buf, size_t size)
{
	size_t done = 0;

	(void)c;
	while (done < size) {
		const char *nl = memchr(buf + done, '\n', size - done);
		size_t n = nl != NULL ? (size_t)(nl - (buf + done)) + 1 : size - done;

		if (!mid_line) {
			char head[64];
			struct timeval tv;
			struct tm tm;
			int len;

			gettimeofday(&tv, NULL);
			gmtime_r(&tv.tv_sec, &tm);
			len = (int)strftime(head, sizeof(head), "%Y-%m-%dT%H:%M:%S", &tm);
			snprintf(head + len, sizeof(head) - (size_t)len, ".%03dZ %s ",
			         (int)(tv.tv_usec / 1000), level_of(buf + done, n));
			if (write_all(head, strlen(head)) != 0)
				return -1;
		}
		if (write_escaped(buf + done, n) != 0)
			return -1;
		mid_line = nl == NULL;
		done += n;
	}
	return (ssize_t)size;
}

int
inn_log_init(void)
{
	cookie_io_functions_t io = { NULL, cookie_write, NULL, NULL };

	if (stream != NULL)
		return 0;
	if ((stream = fopencookie(NULL, "w", io)) == NULL)
		return -1;
	setvbuf(stream, NULL, _IOLBF, 4096);
	stderr = stream;
	return 0;
}

void
inn_log(int level, const char *fmt, ...)
{
	va_list ap;
	char small[1024], *text = small;
	int n;
	size_t i;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		if ((text = malloc((size_t)n + 1)) == NULL) {
			text = small;
			n = (int)sizeof(small) - 1;
		} else {
			va_start(ap, fmt);
			vsnprintf(text, (size_t)n + 1, fmt, ap);
			va_end(ap);
		}
	}
	if (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	flockfile(stderr);
	line_level = level;
	/* one call, one line: a newline inside is escaped like any control byte */
	for (i = 0; i < (size_t)n; i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch >= 0x20 && ch != 0x7f)
			fputc(ch, stderr);
		else
			fprintf(stderr, "\\x%02x", ch);
	}
	fputc('\n', stderr);
	line_level = -1;
	funlockfile(stderr);
	if (text != small)
		free(text);
}

void
inn_log_end(void)
{
	/* flushed, never closed: a thread may still be writing a line */
	if (stream != NULL)
		fflush(stream);
}
