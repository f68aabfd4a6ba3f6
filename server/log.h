/*
 * log.h - the server's log (log.c): every line the process writes to
 * stderr gets an RFC 3339 UTC timestamp and a level in front, so the many
 * fprintf(stderr, ...) of the server need no change and a journal or a
 * file shows when each thing happened.
 */
#ifndef INN_SERVER_LOG_H
#define INN_SERVER_LOG_H

#include "error.h"

/* INN_LOG_DEBUG .. INN_LOG_ERROR are the plugin ABI's levels (plugin.h);
 * a plain fprintf's line has its level read from its words. */

/* Puts the prefixing stream in place of stderr (once, at start).  0, or
 * -1 (stderr then stays as it was). */
int inn_log_init(void);
/* One line at level (the stream adds the newline when fmt has none). */
void inn_log(int level, const char *fmt, ...) INN_PRINTF_LIKE(2, 3);
/* Flushes what is buffered (at exit). */
void inn_log_end(void);

#endif
