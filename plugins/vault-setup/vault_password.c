/*
 * vault_password.c - generated passwords for vault-setup.so: the
 * alphabet (a configured charset, or character classes), and characters
 * drawn from the kernel's CSPRNG (getrandom) by rejection sampling, so
 * every character of the alphabet is equally likely (no modulo bias).
 * The caller registers the result with host->mask before anything else.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "plugin_util.h"
#include "vault_int.h"

static const char *const class_chars[] = {
	"abcdefghijklmnopqrstuvwxyz",
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"0123456789",
	"!#%&()*+,-./:;<=>?@[]^_{|}~"
};

int
vs_alphabet(const char *charset, unsigned classes, char *buf, char *err, size_t errlen)
{
	unsigned char seen[256] = { 0 };
	const unsigned char *p;
	int n = 0;
	size_t i;

	if (charset != NULL) {
		for (p = (const unsigned char *)charset; *p; p++) {
			if (*p < 0x21 || *p > 0x7e) {
				pu_refuse(err, errlen, "charset: only printable ASCII "
				          "characters (no spaces or control characters)");
				return -1;
			}
			if (!seen[*p]) {
				seen[*p] = 1;
				buf[n++] = (char)*p;
			}
		}
	} else {
		if (classes == 0)
			classes = VS_CLASS_LOWER | VS_CLASS_UPPER | VS_CLASS_DIGITS | VS_CLASS_SYMBOLS;
		for (i = 0; i < 4; i++)
			if (classes & (1u << i))
				for (p = (const unsigned char *)class_chars[i]; *p; p++)
					buf[n++] = (char)*p;
	}
	if (n < 2) {
		pu_refuse(err, errlen, "charset: at least two different characters");
		return -1;
	}
	buf[n] = '\0';
	return n;
}

/* One uniformly drawn index below n (n <= 256). */
static int
draw(size_t n, unsigned char *pool, size_t *avail, size_t *at, size_t *out)
{
	unsigned limit = 256u - (256u % (unsigned)n);
	ssize_t got;

	for (;;) {
		if (*at >= *avail) {
			got = getrandom(pool, 256, 0);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				return INN_ERROR;
			*avail = (size_t)got;
			*at = 0;
		}
		if (pool[*at] < limit) {
			*out = pool[(*at)++] % n;
			return 0;
		}
		(*at)++;
	}
}

/* Non-zero if s holds a character of every class in classes. */
static int
has_classes(const char *s, unsigned classes)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if ((classes & (1u << i)) && strpbrk(s, class_chars[i]) == NULL)
			return 0;
	return 1;
}

int
vs_password(const char *alphabet, size_t n, unsigned classes, char *out, size_t len)
{
	unsigned char pool[256];
	size_t avail = 0, at = 0, i, k;
	int tries;

	/* whole-password rejection: the result is uniform over the
	 * passwords that hold every asked class */
	for (tries = 0; tries < 1000; tries++) {
		for (i = 0; i < len; i++) {
			if (draw(n, pool, &avail, &at, &k) != 0) {
				explicit_bzero(pool, sizeof(pool));
				return INN_ERROR;
			}
			out[i] = alphabet[k];
		}
		out[len] = '\0';
		if (classes == 0 || has_classes(out, classes))
			break;
	}
	explicit_bzero(pool, sizeof(pool));
	return classes == 0 || has_classes(out, classes) ? 0 : INN_ERROR;
}
