/*
 * error.c - thread-local last-error message (see error.h).
 */
#include "error.h"

#include <stdio.h>

static _Thread_local char last_error[1024];

int
inn_error_setv(int code, const char *fmt, va_list ap)
{
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
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
