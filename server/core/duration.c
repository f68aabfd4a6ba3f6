/*
 * duration.c - "30s", "5m", "1h30m", "250ms" or plain seconds, and the
 * parameter form that adds Go's syntax, days and weeks (see duration.h).
 */
#include "duration.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The units of Go's time.ParseDuration in nanoseconds (µs written as
 * U+00B5 or U+03BC); the days and weeks of a parameter are handled apart. */
static const struct {
	const char *unit;
	uint64_t ns;
} go_units[] = {
	{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
	{ "ms", 1000000 }, { "s", UINT64_C(1000000000) }, { "m", UINT64_C(60000000000) },
	{ "h", UINT64_C(3600000000000) }, { NULL, 0 }
};

/* Go's time.ParseDuration of s[0..len) into *ns (sign applied by the
 * caller); -1 when it is not one. */
static int
go_duration(const char *s, size_t len, uint64_t *ns)
{
	const char *end = s + len;
	uint64_t total = 0;

	if (len == 1 && s[0] == '0') {
		*ns = 0;
		return 0;
	}
	if (len == 0)
		return -1;
	while (s < end) {
		uint64_t v = 0, unit = 0, f = 0;
		double scale = 1;
		int digits = 0;
		size_t u, ulen;
		const char *us;

		for (; s < end && *s >= '0' && *s <= '9'; s++, digits++) {
			if (v > (UINT64_C(1) << 63) / 10)
				return -1;
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > UINT64_C(1) << 63)
				return -1;
		}
		if (s < end && *s == '.') {
			for (s++; s < end && *s >= '0' && *s <= '9'; s++, digits++) {
				if (f > (UINT64_C(1) << 62) / 10)
					continue; /* more digits than a double keeps */
				f = f * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
		}
		if (digits == 0)
			return -1;
		for (us = s; s < end && *s != '.' && (*s < '0' || *s > '9'); s++)
			;
		ulen = (size_t)(s - us);
		for (u = 0; go_units[u].unit != NULL; u++)
			if (strlen(go_units[u].unit) == ulen &&
			    memcmp(go_units[u].unit, us, ulen) == 0)
				unit = go_units[u].ns;
		if (unit == 0 || v > (UINT64_C(1) << 63) / unit)
			return -1;
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > UINT64_C(1) << 63)
				return -1;
		}
		total += v;
		if (total > UINT64_C(1) << 63)
			return -1;
	}
	*ns = total;
	return 0;
}

int
inn_parse_param_duration_ms(const char *s, int64_t *ms)
{
	size_t len = s != NULL ? strlen(s) : 0;
	int neg = 0;
	uint64_t ns;

	if (len == 0)
		return -1;
	if (s[len - 1] == 'd' || s[len - 1] == 'w') {
		/* the original: strconv.Atoi of the rest, then hours */
		uint64_t n = 0, hours = s[len - 1] == 'd' ? 24 : 24 * 7;
		size_t i = s[0] == '-' || s[0] == '+';

		if (i == len - 1)
			return -1;
		for (; i < len - 1; i++) {
			if (s[i] < '0' || s[i] > '9' || n > UINT64_C(1) << 40)
				return -1;
			n = n * 10 + (uint64_t)(s[i] - '0');
		}
		if (n * hours > (UINT64_C(1) << 63) / UINT64_C(3600000000000))
			return -1;
		*ms = (int64_t)(n * hours * 3600000) * (s[0] == '-' ? -1 : 1);
		return 0;
	}
	if (inn_parse_duration_ms(s, ms) == 0)
		return 0;
	if (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-';
		s++;
		len--;
	}
	if (go_duration(s, len, &ns) != 0 || (!neg && ns > (uint64_t)INT64_MAX))
		return -1;
	*ms = (int64_t)(ns / 1000000) * (neg ? -1 : 1);
	return 0;
}

/* Whether s is written as a duration ([+]digits[.digits]unit...), whatever
 * its size: a value that is one but does not parse is too large. */
static int
duration_shaped(const char *s)
{
	static const char *const units[] = { "ns", "us", "ms", "s", "m", "h", "d", "w", NULL };
	size_t i, n;

	if (*s == '+')
		s++;
	if (*s == '\0')
		return 0;
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
		if (*s == '.')
			for (s++; *s >= '0' && *s <= '9'; s++)
				;
		for (i = 0; units[i] != NULL; i++) {
			n = strlen(units[i]);
			if (strncmp(s, units[i], n) == 0 && (s[n] < 'a' || s[n] > 'z'))
				break;
		}
		if (units[i] == NULL)
			return 0;
		s += strlen(units[i]);
	}
	return 1;
}

int
inn_ttl_parse_ms(const char *s, int64_t *ms, char *why, size_t len)
{
	int64_t v = 0;

	if (inn_parse_param_duration_ms(s, &v) != 0 && s != NULL && duration_shaped(s))
		v = INN_TTL_MAX_MS + 1;     /* written as a duration, too long to count */
	else if (inn_parse_param_duration_ms(s, &v) != 0 || v <= 0) {
		snprintf(why, len, "\"%.60s\" is not a positive duration (e.g. 30m, 2h, 7d)",
		         s != NULL ? s : "");
		return -1;
	}
	if (v > INN_TTL_MAX_MS) {
		snprintf(why, len, "\"%.60s\" is more than the longest time to live, 365d",
		         s != NULL ? s : "");
		return -1;
	}
	*ms = v;
	return 0;
}
