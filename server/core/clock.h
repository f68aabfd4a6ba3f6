/*
 * clock.h - the engine's two clocks in milliseconds: monotonic for
 * durations and deadlines, wall (CLOCK_REALTIME) for timestamps that are
 * stored or shown.  One place for the clock_gettime() arithmetic that the
 * host, the store and the daemon each read.
 */
#ifndef INN_CORE_CLOCK_H
#define INN_CORE_CLOCK_H

#include <stdint.h>

/* Monotonic clock in milliseconds (CLOCK_MONOTONIC: never jumps back). */
int64_t inn_now_ms(void);
/* Wall clock (CLOCK_REALTIME) in milliseconds since the epoch. */
int64_t inn_wall_ms(void);

#endif
