/*
 * pattern.c - parameter patterns in Go RE2 syntax, compiled with PCRE2
 * (see pattern.h for why PCRE2).  A scan first refuses what RE2 refuses
 * and rewrites the one escape the two read differently (\v: RE2's
 * vertical tab, PCRE2's vertical-space class); PCRE2 then compiles with
 * the options that give RE2's meaning: UTF-8, ASCII \d \w \s \b (no UCP),
 * `$` only at the very end (DOLLAR_ENDONLY), invalid UTF-8 in a value
 * never matching instead of failing (MATCH_INVALID_UTF), no \C.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "pattern.h"

#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Matching bounds: steps (calls of the matcher's inner loop), backtracking
 * depth, and heap in KiB.  A plain pattern over the longest value a
 * parameter takes (INN_PARAM_VALUE_MAX) stays far below them; nested
 * repetition over a hostile value reaches them in milliseconds. */
#define MATCH_LIMIT 1000000
#define DEPTH_LIMIT 10000
#define HEAP_LIMIT_KIB 16384

/* RE2's largest repeat count (x{1001} does not compile in Go). */
#define REPEAT_MAX 1000

struct inn_pattern {
	pcre2_code *code;
};

static int
refuse(char *why, size_t len, const char *fmt, ...) INN_PRINTF_LIKE(3, 4);

/* Writes the reason a pattern is refused; returns -1. */
static int
refuse(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* The letters that may follow a backslash in RE2 (outside a class; in one,
 * the assertions A b B z are not allowed). */
static int
escape_ok(char c, int in_class)
{
	return strchr("afnrtvxpPdDsSwW0", c) != NULL ||
	       (!in_class && strchr("AbBz", c) != NULL);
}

/* A repeat {n}, {n,} or {n,m} at s: its length, or 0 when the brace is a
 * literal (as in RE2).  *big: a count above REPEAT_MAX. */
static size_t
repeat_len(const char *s, int *big)
{
	size_t i = 1;
	int k;

	*big = 0;
	for (k = 0; k < 2; k++) {
		long n = 0;
		size_t d = i;

		while (s[i] >= '0' && s[i] <= '9') {
			if (n <= REPEAT_MAX)
				n = n * 10 + (s[i] - '0');
			i++;
		}
		if (i == d && k == 0)
			return 0;
		if (n > REPEAT_MAX)
			*big = 1;
		if (s[i] == '}')
			return i + 1;
		if (s[i] != ',' || k == 1)
			return 0;
		i++;
		if (s[i] == '}')
			return i + 1;
	}
	return 0;
}

/* `(?` at s[0..]: the length of what opens the group when RE2 reads it
 * (flags [imsU-] then `)` or `:`, or a named group), else 0 with why. */
static size_t
group_open(const char *s, char *why, size_t len)
{
	size_t j = 2;

	if (s[2] == 'P' && s[3] == '<')
		return 4;
	if (s[2] == '<' && s[3] != '=' && s[3] != '!')
		return 3;
	if (s[2] == '=' || s[2] == '!' || (s[2] == '<' && (s[3] == '=' || s[3] == '!'))) {
		refuse(why, len, "%.*s: lookaround is not supported by Go's regular expressions "
		       "(RE2)", s[2] == '<' ? 4 : 3, s);
		return 0;
	}
	if (s[2] == 'P' && s[3] == '=') {
		refuse(why, len, "%.*s: backreferences are not supported by Go's regular "
		       "expressions (RE2)", 4, s);
		return 0;
	}
	while (s[j] != '\0' && strchr("imsU-", s[j]) != NULL)
		j++;
	if (j > 2 && (s[j] == ')' || s[j] == ':'))
		return j + 1;
	if (j == 2 && s[j] == ':')
		return 3;
	refuse(why, len, "%.*s: this group is not supported by Go's regular expressions "
	       "(RE2 knows (?:...), (?P<name>...), (?<name>...) and the flags i, m, s, U)",
	       (int)j + (s[j] != '\0'), s);
	return 0;
}

/* Copies s[*i..end) to out at *o, advancing both. */
static void
copy_to(const char *s, size_t *i, char *out, size_t *o, size_t end)
{
	memcpy(out + *o, s + *i, end - *i);
	*o += end - *i;
	*i = end;
}

/* Where a bracketed name opened at s[i] (two bytes: `\x{`'s `\x`, `[:`)
 * ends: past `close`, with only bytes of `name` between; 0 when it does
 * not close so (then it is no such name, and the bytes are read one by
 * one). */
static size_t
name_end(const char *s, size_t i, size_t open, const char *name, const char *close)
{
	size_t end = i + open + strspn(s + i + open, name);

	return strncmp(s + end, close, strlen(close)) == 0 ? end + strlen(close) : 0;
}

#define NAME_BYTES "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_^"

/* Checks text against RE2's syntax where PCRE2 would accept more, and
 * writes the PCRE2 spelling into out (at least 2 * strlen(text) + 1
 * bytes).  0, or -1 with why. */
static int
translate(const char *s, char *out, char *why, size_t len)
{
	size_t i = 0, o = 0;
	int in_class = 0, quant = 0, lazy = 0;

	while (s[i] != '\0') {
		char c = s[i];

		if (c == '\\') {
			char n = s[i + 1];

			if (n == 'Q' && !in_class) {
				/* \Q...\E: literal text, to \E or the end */
				const char *e = strstr(s + i + 2, "\\E");

				copy_to(s, &i, out, &o, e != NULL ? (size_t)(e - s) + 2 : strlen(s));
				quant = 0;
				continue;
			}
			if ((n >= '1' && n <= '9') || n == 'k' || n == 'g')
				return refuse(why, len, "%.*s: backreferences are not supported by "
				              "Go's regular expressions (RE2)", 2, s + i);
			if (((n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z') ||
			     (n >= '0' && n <= '9')) && !escape_ok(n, in_class))
				return refuse(why, len, "%.*s is not an escape of Go's regular "
				              "expressions (RE2)", 2, s + i);
			if ((n == 'x' || n == 'p' || n == 'P') && s[i + 2] == '{' &&
			    name_end(s, i, 3, NAME_BYTES, "}") > 0) {
				/* \x{41}, \p{Greek}: the braces are not a repeat */
				copy_to(s, &i, out, &o, name_end(s, i, 3, NAME_BYTES, "}"));
				quant = 0;
				continue;
			}
			if (n == 'v') {
				memcpy(out + o, "\\x0B", 4); /* RE2: a vertical tab */
				o += 4;
			} else if (n != '\0') {
				out[o++] = c;
				out[o++] = n;
			} else {
				out[o++] = c;
			}
			i += n != '\0' ? 2 : 1;
			quant = 0;
			continue;
		}
		if (in_class) {
			if (c == '[' && s[i + 1] == ':' && name_end(s, i, 2, NAME_BYTES, ":]") > 0) {
				copy_to(s, &i, out, &o, name_end(s, i, 2, NAME_BYTES, ":]"));
				continue; /* [:alpha:], [:^digit:] */
			}
			if (c == ']')
				in_class = 0;
			out[o++] = s[i++];
			continue;
		}
		if (c == '[') {
			in_class = 1;
			out[o++] = s[i++];
			if (s[i] == '^')
				out[o++] = s[i++];
			if (s[i] == ']')
				out[o++] = s[i++]; /* a ] first is a literal */
			quant = 0;
			continue;
		}
		if (c == '(' && s[i + 1] == '*')
			return refuse(why, len, "%.*s: PCRE verbs are not part of Go's regular "
			              "expressions (RE2)", 2, s + i);
		if (c == '(' && s[i + 1] == '?') {
			size_t g = group_open(s + i, why, len);

			if (g == 0)
				return -1;
			memcpy(out + o, s + i, g);
			o += g;
			i += g;
			quant = 0;
			continue;
		}
		if (c == '*' || c == '+' || c == '?' || c == '{') {
			int big = 0;
			size_t r = c == '{' ? repeat_len(s + i, &big) : 1;

			if (r == 0) {
				out[o++] = s[i++]; /* a literal brace */
				quant = 0;
				continue;
			}
			if (quant && c == '?' && !lazy) {
				lazy = 1;
			} else if (quant) {
				return refuse(why, len, "%.*s: a repetition of a repetition (also a "
				              "possessive quantifier) is not supported by Go's regular "
				              "expressions (RE2)", 2, s + i - 1);
			} else {
				quant = 1;
				lazy = 0;
			}
			if (big)
				return refuse(why, len, "%.*s: a repeat count above 1000 is not "
				              "supported by Go's regular expressions (RE2)", (int)r,
				              s + i);
			memcpy(out + o, s + i, r);
			o += r;
			i += r;
			continue;
		}
		quant = 0;
		out[o++] = s[i++];
	}
	out[o] = '\0';
	return 0;
}

int
inn_pattern_compile(inn_pattern **out, const char *text, char *why, size_t len)
{
	size_t tlen = strlen(text);
	char *pcre = malloc(2 * tlen + 1);
	inn_pattern *re = NULL;
	PCRE2_SIZE off;
	int err;

	*out = NULL;
	if (pcre == NULL || (re = calloc(1, sizeof(*re))) == NULL) {
		snprintf(why, len, "out of memory");
		goto err;
	}
	if (translate(text, pcre, why, len) != 0)
		goto err;
	re->code = pcre2_compile((PCRE2_SPTR)pcre, PCRE2_ZERO_TERMINATED,
	                         PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_MATCH_INVALID_UTF |
	                         PCRE2_NEVER_BACKSLASH_C | PCRE2_NEVER_UCP, &err, &off, NULL);
	if (re->code == NULL) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(err, msg, sizeof(msg));
		snprintf(why, len, "%s (at offset %zu)", (const char *)msg, (size_t)off);
		goto err;
	}
	free(pcre);
	*out = re;
	return 0;
err:
	free(pcre);
	free(re);
	return -1;
}

void
inn_pattern_free(inn_pattern *re)
{
	if (re == NULL)
		return;
	pcre2_code_free(re->code);
	free(re);
}

int
inn_pattern_match(const inn_pattern *re, const char *s, size_t slen, char *why, size_t len)
{
	pcre2_match_context *mc = pcre2_match_context_create(NULL);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	int rc = -1;

	if (mc == NULL || md == NULL) {
		snprintf(why, len, "out of memory");
		goto out;
	}
	pcre2_set_match_limit(mc, MATCH_LIMIT);
	pcre2_set_depth_limit(mc, DEPTH_LIMIT);
	pcre2_set_heap_limit(mc, HEAP_LIMIT_KIB);
	rc = pcre2_match(re->code, (PCRE2_SPTR)s, slen, 0, 0, md, mc);
	if (rc >= 0) {
		rc = 1;
	} else if (rc == PCRE2_ERROR_NOMATCH) {
		rc = 0;
	} else if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	           rc == PCRE2_ERROR_HEAPLIMIT) {
		snprintf(why, len, "matching its pattern gave up (more than %d steps for this "
		         "value; nested repetition such as (a+)+ backtracks)", MATCH_LIMIT);
		rc = -1;
	} else {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(rc, msg, sizeof(msg));
		snprintf(why, len, "matching its pattern failed: %s", (const char *)msg);
		rc = -1;
	}
out:
	pcre2_match_data_free(md);
	pcre2_match_context_free(mc);
	return rc;
}
