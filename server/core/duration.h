/*
 * duration.h - parses durations as written in configs: "90" (seconds),
 * "500ms", "30s", "5m", "2h", "1h30m".  Compiled into the engine and into
 * plugins that accept a timeout (it links nothing else).
 */
#ifndef INN_CORE_DURATION_H
#define INN_CORE_DURATION_H

#include <stdint.h>

/* Returns 0 and the duration in *ms, or -1 if s is not a duration. */
int inn_parse_duration_ms(const char *s, int64_t *ms);

#endif
