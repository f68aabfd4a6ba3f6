/*
 * error.c - thread-local last-error message (see error.h).
 */
#include "error.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[8192];

/* Formats into a scratch buffer first, so a message may quote the
 * previous one (inn_error_set(rc, "while loading: %s", inn_error_last())). */
int
inn_error_setv(int code, const char *fmt, va_list ap)
{
	char buf[sizeof(last_error)];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	memcpy(last_error, buf, sizeof(last_error));
	return code;
}

int
inn_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	inn_error_setv(code, fmt, ap);
	va_end(ap);
	return code;
}

const char *
inn_error_last(void)
{
	return last_error;
}

void
inn_error_clear(void)
{
	last_error[0] = '\0';
}
