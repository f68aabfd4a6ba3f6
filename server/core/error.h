/*
 * error.h - the engine's error model: functions return 0 or a negative
 * enum inn_status and leave a one-line, thread-local message naming the
 * file, field or value that was wrong.
 */
#ifndef INN_CORE_ERROR_H
#define INN_CORE_ERROR_H

#include <stdarg.h>

#include <innominatus/plugin.h>

/* Sets the calling thread's last error message; returns code so callers can
 * write `return inn_error_set(INN_EINVAL, "...")`.  The arguments may
 * include inn_error_last() itself. */
int inn_error_set(int code, const char *fmt, ...) INN_PRINTF_LIKE(2, 3);
int inn_error_setv(int code, const char *fmt, va_list ap) INN_PRINTF_LIKE(2, 0);
/* The calling thread's last message ("" if none). */
const char *inn_error_last(void);
void inn_error_clear(void);

#endif
