/*
 * pattern.c - parameter patterns in Go RE2 syntax, compiled with PCRE2
 * (see pattern.h for why PCRE2).  A scan first refuses what RE2 refuses
 * and rewrites the one escape the two read differently (\v: RE2's
 * vertical tab, PCRE2's vertical-space class); PCRE2 then compiles with
 * the options that give RE2's meaning: UTF-8, ASCII \d \w \s \b (no UCP),
 * `$` only at the very end (DOLLAR_ENDONLY), no \C; a value's invalid UTF-8
 * is read as Go reads it (each such byte U+FFFD).
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "pattern.h"

#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "utf8.h"

/* Matching: PCRE2's backtracking matcher first, with bounds that grow
 * with the value (steps, depth, heap in KiB: a base and so much per byte),
 * so a pattern whose backtracking is linear never gives up on a value
 * within INN_PARAM_VALUE_MAX.  A pattern that repeats what can match the
 * same text in more than one way ((a|a)*, (a+)+) backtracks exponentially
 * and reaches them; the question then goes to PCRE2's DFA matcher
 * (pcre2_dfa_match: every alternative followed at once, no backtracking),
 * which answers (a|a)*$ on a..ab as RE2 does -- for values up to DFA_MAX
 * bytes: nested repetition ((a+)+) costs PCRE2's DFA cubic time (it keeps
 * a state per way of matching), 0.2 s at 1 KiB.  A callout before each
 * item also counts its steps (DFA_STEPS_*).  Only when both give up is the
 * value refused, as such. */
#define MATCH_BASE 1000000
#define MATCH_PER_BYTE 256
#define DEPTH_BASE 10000
#define DEPTH_PER_BYTE 8
#define HEAP_BASE_KIB 16384
#define HEAP_PER_KIB 512 /* KiB per KiB of value */
#define DFA_MAX 1024
#define DFA_STEPS_BASE 10000000
#define DFA_STEPS_PER_BYTE 400
/* The DFA workspace (ints) grows from WS_MIN while the matcher asks. */
#define WS_MIN 4096
#define WS_MAX (1 << 22)

/* RE2's largest repeat count (x{1001} does not compile in Go). */
#define REPEAT_MAX 1000

/* The compile options that give RE2's meaning (top of file), and the
 * wrapping that makes one anchored DFA pass a search. */
#define OPTIONS (PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C | \
                 PCRE2_NEVER_UCP)
/* The DFA's pattern is `(?s:.*)(?:PATTERN\E)`, anchored: one pass answers
 * "does it match anywhere" (`\E` closes an unterminated \Q); a callout
 * before each item counts its steps. */
#define WRAP_HEAD "(?s:.*)(?:"
#define WRAP_TAIL "\\E)"

struct inn_pattern {
	pcre2_code *code;  /* the pattern (backtracking; invalid UTF-8 in a value
	                    * never matches, MATCH_INVALID_UTF) */
	pcre2_code *dfa;   /* the wrapped pattern, for pcre2_dfa_match */
	size_t wsmin;      /* the DFA workspace (ints) a match starts with */
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
	/* compiled alone first: its messages and offsets are the pattern's */
	re->code = pcre2_compile((PCRE2_SPTR)pcre, PCRE2_ZERO_TERMINATED,
	                         OPTIONS | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
	if (re->code == NULL) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(err, msg, sizeof(msg));
		snprintf(why, len, "%s (at offset %zu)", (const char *)msg, (size_t)off);
		goto err;
	}
	free(pcre);
	if ((pcre = malloc(2 * tlen + sizeof(WRAP_HEAD) + sizeof(WRAP_TAIL))) == NULL) {
		snprintf(why, len, "out of memory");
		goto err;
	}
	memcpy(pcre, WRAP_HEAD, sizeof(WRAP_HEAD) - 1);
	(void)translate(text, pcre + sizeof(WRAP_HEAD) - 1, why, len);
	memcpy(pcre + strlen(pcre), WRAP_TAIL, sizeof(WRAP_TAIL));
	re->dfa = pcre2_compile((PCRE2_SPTR)pcre, PCRE2_ZERO_TERMINATED,
	                        OPTIONS | PCRE2_ANCHORED | PCRE2_AUTO_CALLOUT, &err, &off, NULL);
	if (re->dfa == NULL) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(err, msg, sizeof(msg));
		snprintf(why, len, "%s", (const char *)msg);
		goto err;
	}
	re->wsmin = WS_MIN + 8 * tlen;
	free(pcre);
	*out = re;
	return 0;
err:
	free(pcre);
	if (re != NULL)
		pcre2_code_free(re->code);
	free(re);
	return -1;
}

void
inn_pattern_free(inn_pattern *re)
{
	if (re == NULL)
		return;
	pcre2_code_free(re->code);
	pcre2_code_free(re->dfa);
	free(re);
}

/* s[0..n) as Go's regexp reads it: each byte that starts no valid UTF-8
 * character is U+FFFD (which `.` and [^a] match).  NULL when s is valid
 * UTF-8 (read it as it is) or out of memory (*nomem set); else a new
 * string, its length in *outlen. */
static char *
as_go_reads(const char *s, size_t n, size_t *outlen, int *nomem)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k, o = 0, bad = 0;
	char *t;

	*nomem = 0;
	for (i = 0; i < n; i += k ? k : 1)
		bad += (k = inn_utf8_len(u + i, n - i)) == 0;
	if (bad == 0)
		return NULL;
	if ((t = malloc(n + 2 * bad + 1)) == NULL) {
		*nomem = 1;
		return NULL;
	}
	for (i = 0; i < n; i += k ? k : 1) {
		if ((k = inn_utf8_len(u + i, n - i)) == 0) {
			memcpy(t + o, "\xEF\xBF\xBD", 3);
			o += 3;
		} else {
			memcpy(t + o, s + i, k);
			o += k;
		}
	}
	t[o] = '\0';
	*outlen = o;
	return t;
}

/* pcre2_dfa_match's callout: one step of the budget at *data. */
static int
dfa_step(pcre2_callout_block *cb, void *data)
{
	size_t *left = data;

	(void)cb;
	if (*left == 0)
		return PCRE2_ERROR_MATCHLIMIT;
	(*left)--;
	return 0;
}

/* The DFA's answer for s[0..slen) (valid UTF-8): 1, or a PCRE2 error
 * (PCRE2_ERROR_NOMATCH: it does not match). */
static int
dfa_search(const inn_pattern *re, const char *s, size_t slen, pcre2_match_context *mc,
           pcre2_match_data *md)
{
	size_t wscount = re->wsmin;
	size_t left = DFA_STEPS_BASE + DFA_STEPS_PER_BYTE * slen;
	int *ws = malloc(wscount * sizeof(*ws));
	int rc;

	if (ws == NULL)
		return PCRE2_ERROR_NOMEMORY;
	pcre2_set_callout(mc, dfa_step, &left);
	for (;;) {
		rc = pcre2_dfa_match(re->dfa, (PCRE2_SPTR)s, slen, 0,
		                     PCRE2_DFA_SHORTEST | PCRE2_NO_UTF_CHECK, md, mc, ws, wscount);
		if (rc == PCRE2_ERROR_DFA_WSSIZE && wscount < WS_MAX) {
			int *bigger = realloc(ws, 4 * wscount * sizeof(*ws));

			if (bigger == NULL) {
				rc = PCRE2_ERROR_NOMEMORY;
				break;
			}
			ws = bigger;
			wscount *= 4;
			continue;
		}
		break;
	}
	free(ws);
	pcre2_set_callout(mc, NULL, NULL);
	return rc >= 0 ? 1 : rc; /* 0: a match the ovector had no room for */
}

int
inn_pattern_match(const inn_pattern *re, const char *s, size_t slen, char *why, size_t len)
{
	pcre2_match_context *mc = pcre2_match_context_create(NULL);
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	/* the bounds' share of the value's length (values are far shorter) */
	uint32_t n = slen > 1000000 ? 1000000 : (uint32_t)slen;
	char *go = NULL;
	int rc = -1, nomem = 0;

	if (mc == NULL || md == NULL) {
		snprintf(why, len, "out of memory");
		goto out;
	}
	pcre2_set_match_limit(mc, MATCH_BASE + MATCH_PER_BYTE * n);
	pcre2_set_depth_limit(mc, DEPTH_BASE + DEPTH_PER_BYTE * n);
	pcre2_set_heap_limit(mc, HEAP_BASE_KIB + HEAP_PER_KIB * (n / 1024));
	rc = pcre2_match(re->code, (PCRE2_SPTR)s, slen, 0, 0, md, mc);
	if ((rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	     rc == PCRE2_ERROR_HEAPLIMIT) && slen <= DFA_MAX) {
		/* exponential backtracking: the DFA's answer, as Go reads the value */
		go = as_go_reads(s, slen, &slen, &nomem);
		rc = nomem ? PCRE2_ERROR_NOMEMORY : dfa_search(re, go != NULL ? go : s, slen, mc, md);
	}
	if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH) {
		rc = rc >= 0;
	} else if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	           rc == PCRE2_ERROR_HEAPLIMIT) {
		snprintf(why, len, "matching its pattern gave up on this value of %zu bytes "
		         "(the pattern repeats a part that can match the same text in more "
		         "than one way, such as (a+)+ or (\\w+\\s?)*: that costs more than "
		         "linear time; values up to %d bytes are decided anyway)", slen, DFA_MAX);
		rc = -1;
	} else {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(rc, msg, sizeof(msg));
		snprintf(why, len, "matching its pattern failed (%s)", (const char *)msg);
		rc = -1;
	}
out:
	free(go);
	pcre2_match_data_free(md);
	pcre2_match_context_free(mc);
	return rc;
}
