/*
 * duration.c - "30s", "5m", "1h30m", "250ms" or plain seconds (see duration.h).
 */
#include "duration.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

int
inn_parse_duration_ms(const char *s, int64_t *ms)
{
	int64_t total = 0;
	int units = 0;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		int64_t n = 0, mult;
		int digits = 0;

		while (isdigit((unsigned char)*s)) {
			if (n > INT64_MAX / 10 - 10)
				return -1;
			n = n * 10 + (*s++ - '0');
			digits++;
		}
		if (digits == 0)
			return -1;
		if (strncmp(s, "ms", 2) == 0) {
			mult = 1;
			s += 2;
		} else if (*s == 's') {
			mult = 1000;
			s++;
		} else if (*s == 'm') {
			mult = 60 * 1000;
			s++;
		} else if (*s == 'h') {
			mult = 3600 * 1000;
			s++;
		} else if (*s == '\0' && units == 0) {
			mult = 1000; /* bare number: seconds */
		} else {
			return -1;
		}
		if (n > (INT64_MAX - total) / mult)
			return -1;
		total += n * mult;
		units++;
	}
	/* ten years is longer than anything should wait; beyond it deadline
	 * arithmetic could overflow */
	if (total > INT64_C(10) * 366 * 24 * 3600 * 1000)
		return -1;
	*ms = total;
	return 0;
}
