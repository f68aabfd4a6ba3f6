/*
 * duration.h - parses durations as written in configs: "90" (seconds),
 * "500ms", "30s", "5m", "2h", "1h30m".  Compiled into the engine and into
 * plugins that accept a timeout (it links nothing else).
 */
#ifndef INN_CORE_DURATION_H
#define INN_CORE_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Returns 0 and the duration in *ms, or -1 if s is not a duration.  The
 * syntax of step timeouts and maxWorkflowDuration (what the bundled
 * plugins' pu_parse_duration_ms also reads). */
int inn_parse_duration_ms(const char *s, int64_t *ms);

/* A `duration` parameter's value, as the original's golden-path validator
 * accepted it: Go's time.ParseDuration ("1h30m", "1.5h", "300ms", "-2h",
 * "100ns", "2us", "0"), or a whole number of days or weeks ("7d", "1w",
 * "-1d"), and -- this engine's own spelling -- a bare number of seconds
 * ("90").  Returns 0 and the duration in *ms (rounded towards zero), or -1
 * (also past about 292 years, Go's limit). */
int inn_parse_param_duration_ms(const char *s, int64_t *ms);

/* The longest time to live an application may be given (365 days). */
#define INN_TTL_MAX_MS (INT64_C(365) * 24 * 3600 * 1000)

/* An application's time to live, the one rule for every way one is given
 * (POST /api/applications?ttl=, a golden path's `ttl` duration parameter,
 * `run --local`): a parameter duration (above) that is positive and at
 * most INN_TTL_MAX_MS.  Returns 0 and *ms, or -1 with why (e.g. `"-1h" is
 * not a positive duration ...`; the caller names the ttl). */
int inn_ttl_parse_ms(const char *s, int64_t *ms, char *why, size_t len);

#endif
