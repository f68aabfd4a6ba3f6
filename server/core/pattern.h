/*
 * pattern.h - parameter patterns (`pattern:`): the original innominatus
 * wrote them for Go's regexp (RE2 syntax: \d, \w, \s, \b, (?i),
 * [[:alpha:]], \pL, \p{Greek}, \Q..\E, (?P<name>..)) and tested a value
 * with regexp.MatchString, an unanchored search.  We compile them with
 * PCRE2, which reads that syntax: POSIX regcomp has no \d or (?i), and RE2
 * itself is C++ with no C library in Debian.  PCRE2 also reads what RE2
 * refuses (backreferences, lookaround, atomic groups, possessive
 * quantifiers, recursion, verbs); a pattern using those did not compile in
 * the original, so it is refused here too, with the reason.  RE2 runs in
 * linear time and PCRE2 backtracks: matching is bounded (match, depth and
 * heap limits), and a value that hits a bound is an error, never a hang.
 */
#ifndef INN_CORE_PATTERN_H
#define INN_CORE_PATTERN_H

#include <stddef.h>

typedef struct inn_pattern inn_pattern;

/* Compiles text (Go RE2 syntax) into *out.  Returns 0, or -1 with the
 * reason in why (`\1: backreferences are not supported by Go's regular
 * expressions (RE2)`, or PCRE2's own message with the offset). */
int inn_pattern_compile(inn_pattern **out, const char *text, char *why, size_t len);
void inn_pattern_free(inn_pattern *re);

/* Searches s[0..slen) for a match (unanchored, like Go's MatchString).
 * Thread-safe: a compiled pattern is shared, the match state is per call.
 * Returns 1 (matches), 0 (does not), or -1 with the reason in why (the
 * bounds were hit: `matching gave up after too many steps`). */
int inn_pattern_match(const inn_pattern *re, const char *s, size_t slen, char *why,
                      size_t len);

#endif
