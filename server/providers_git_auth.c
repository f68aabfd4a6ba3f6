/*
 * providers_git_auth.c - credentials and host keys of a git transfer
 * (providers_git_auth.h): the HTTPS token or SSH key named by a source's
 * auth settings or the environment, read only when the server asks, and
 * the SSH host key checked against a known_hosts file (plain, [host]:port,
 * hashed |1|salt|hash and wildcard patterns, @revoked lines).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <git2.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "error.h"
#include "providers_git_auth.h"
#include "secret_file.h"

#define SECRET_MAX 8192

/* Secrets taken out of the environment at start (inn_git_env_hide). */
#define HIDDEN_MAX 64
static struct {
	char *name, *value;
} hidden[HIDDEN_MAX];
static size_t nhidden;

void
inn_git_env_hide(const char *name)
{
	char *v;
	size_t i;

	if (name == NULL || (v = getenv(name)) == NULL)
		return;
	for (i = 0; i < nhidden && strcmp(hidden[i].name, name) != 0; i++)
		;
	if (i == nhidden && nhidden < HIDDEN_MAX &&
	    (hidden[i].name = strdup(name)) != NULL &&
	    (hidden[i].value = strdup(v)) != NULL)
		nhidden++;
	else if (i == nhidden)
		return;  /* kept in the environment rather than lost */
	/* wiped where it is, too: /proc/<pid>/environ shows the first block */
	memset(v, 0, strlen(v));
	unsetenv(name);
}

static const char *
env_or_null(const char *name)
{
	const char *v = getenv(name);
	size_t i;

	for (i = 0; v == NULL && i < nhidden; i++)
		if (strcmp(hidden[i].name, name) == 0)
			v = hidden[i].value;
	return v != NULL && *v != '\0' ? v : NULL;
}

/* A setting: the source's own, else the environment variable env. */
static const char *
setting(const char *own, const char *env)
{
	return own != NULL ? own : env_or_null(env);
}

static int cb_error(inn_git_xfer *x, const char *fmt, ...) INN_PRINTF_LIKE(2, 3);

/* A callback's refusal: the message for libgit2 to report, kept in x too
 * (libgit2 may replace its own with what the aborted request left), -1. */
static int
cb_error(inn_git_xfer *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->why, sizeof(x->why), fmt, ap);
	va_end(ap);
	git_error_set_str(GIT_ERROR_NET, x->why);
	return -1;
}

/* The first line of file (a secret; secret_file.h checks it) into a
 * malloc'd string, or NULL with the reason in why. */
static char *
read_secret_file(const char *file, char *why, size_t len)
{
	char *buf = NULL;

	if (inn_secret_file_read(file, SECRET_MAX - 1, &buf, NULL) != 0) {
		snprintf(why, len, "%s", inn_error_last());
		return NULL;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		snprintf(why, len, "it is empty");
		free(buf);
		return NULL;
	}
	return buf;
}

/* A secret from the variable env_name or the file file_name, else from
 * the environment variable fallback; *where says which (never the value). */
static int
read_secret(inn_git_xfer *x, const char *env_name, const char *file_name, const char *fallback,
            char **out, char *where, size_t len)
{
	char why[256];
	const char *v;

	*out = NULL;
	if (env_name != NULL) {
		snprintf(where, len, "$%s", env_name);
		if ((v = env_or_null(env_name)) == NULL)
			return cb_error(x, "%s is not set (or empty) in the environment", where);
		return (*out = strdup(v)) == NULL ? cb_error(x, "out of memory") : 0;
	}
	if (file_name != NULL) {
		snprintf(where, len, "file %s", file_name);
		if ((*out = read_secret_file(file_name, why, sizeof(why))) == NULL)
			return cb_error(x, "%s: %s", where, why);
		return 0;
	}
	snprintf(where, len, "$%s", fallback);
	if ((v = env_or_null(fallback)) == NULL)
		return 1;
	return (*out = strdup(v)) == NULL ? cb_error(x, "out of memory") : 0;
}

static const char *
user_name(const inn_git_xfer *x, const char *user_from_url)
{
	const char *u = user_from_url != NULL && *user_from_url != '\0' ? user_from_url :
	                setting(x->auth != NULL ? x->auth->username : NULL,
	                        "INNOMINATUS_GIT_USERNAME");

	return u != NULL ? u : "git";
}

static int
token_cred(git_credential **out, inn_git_xfer *x, const char *user_from_url)
{
	const inn_git_auth *a = x->auth;
	int rc;

	if (x->tried_token)
		return cb_error(x, "the server refused the token from %s (wrong or expired, or "
		                "without access to this repository)", x->token_where);
	if ((rc = read_secret(x, a != NULL ? a->token_env : NULL, a != NULL ? a->token_file : NULL,
	                      "INNOMINATUS_GIT_TOKEN", &x->token, x->token_where,
	                      sizeof(x->token_where))) < 0)
		return rc;
	if (rc > 0)
		return cb_error(x, "the server asks for credentials and no token is set: set "
		                "auth.token_env or auth.token_file in the providers[] entry, or "
		                "INNOMINATUS_GIT_TOKEN on the server");
	x->tried_token = 1;
	return git_credential_userpass_plaintext_new(out, user_name(x, user_from_url), x->token);
}

static int
key_cred(git_credential **out, inn_git_xfer *x, const char *user_from_url)
{
	const inn_git_auth *a = x->auth;
	const char *key = setting(a != NULL ? a->ssh_key_file : NULL, "INNOMINATUS_GIT_SSH_KEY");
	char pub[4200], where[1100];
	struct stat st;
	int rc;

	if (key == NULL) {
		if (env_or_null("SSH_AUTH_SOCK") != NULL && !x->tried_agent) {
			x->tried_agent = 1;
			return git_credential_ssh_key_from_agent(out, user_name(x, user_from_url));
		}
		if (x->tried_agent)
			return cb_error(x, "the server refused the keys of the ssh-agent; set "
			                "auth.ssh_key_file in the providers[] entry or "
			                "INNOMINATUS_GIT_SSH_KEY");
		return cb_error(x, "the server asks for an SSH key and none is set: set "
		                "auth.ssh_key_file in the providers[] entry or "
		                "INNOMINATUS_GIT_SSH_KEY on the server (or run an ssh-agent)");
	}
	if (x->tried_key)
		return cb_error(x, "the server refused the SSH key %s", key);
	if (stat(key, &st) != 0)
		return cb_error(x, "SSH key %s: %s", key, strerror(errno));
	if (inn_secret_file_check(&st, key) != 0)
		return cb_error(x, "SSH key %s: %s", key, inn_error_last());
	if ((rc = read_secret(x, a != NULL ? a->ssh_passphrase_env : NULL,
	                      a != NULL ? a->ssh_passphrase_file : NULL,
	                      "INNOMINATUS_GIT_SSH_PASSPHRASE", &x->passphrase, where,
	                      sizeof(where))) < 0)
		return rc;
	x->tried_key = 1;
	snprintf(pub, sizeof(pub), "%s.pub", key);
	return git_credential_ssh_key_new(out, user_name(x, user_from_url),
	                                  stat(pub, &st) == 0 ? pub : NULL, key, x->passphrase);
}

/* url's origin as "scheme://host:port" (lower case, the scheme's port
 * when none is given; scp-like "user@host:path" is ssh on 22). */
static void
url_origin(const char *url, char *out, size_t len)
{
	const char *h, *end, *at, *colon;
	char scheme[16] = "ssh", host[512];
	long port = 22;
	size_t i, n;

	h = strstr(url, "://");
	if (h != NULL) {
		n = (size_t)(h - url);
		for (i = 0; i < n && i < sizeof(scheme) - 1; i++)
			scheme[i] = (char)tolower((unsigned char)url[i]);
		scheme[i] = '\0';
		port = strcmp(scheme, "https") == 0 ? 443 : strcmp(scheme, "http") == 0 ? 80 : 22;
		h += 3;
		end = h + strcspn(h, "/?#");
	} else {
		h = url;
		end = h + strcspn(h, ":/");
	}
	/* the last "@" before the end of the authority is the user's */
	for (at = h; at < end; at++)
		if (*at == '@')
			h = at + 1;
	if (*h == '[' && memchr(h, ']', (size_t)(end - h)) != NULL)
		colon = memchr(memchr(h, ']', (size_t)(end - h)), ':',
		               (size_t)(end - (const char *)memchr(h, ']', (size_t)(end - h))));
	else
		colon = strstr(url, "://") != NULL ? memchr(h, ':', (size_t)(end - h)) : NULL;
	n = (size_t)((colon != NULL ? colon : end) - h);
	if (n >= sizeof(host))
		n = sizeof(host) - 1;
	for (i = 0; i < n; i++)
		host[i] = (char)tolower((unsigned char)h[i]);
	host[n] = '\0';
	if (colon != NULL && colon + 1 < end)
		port = strtol(colon + 1, NULL, 10);
	snprintf(out, len, "%s://%s:%ld", scheme, host, port);
}

int
inn_git_credentials(git_credential **out, const char *url, const char *user_from_url,
                    unsigned int allowed, void *payload)
{
	inn_git_xfer *x = payload;
	char want[600], got[600];

	/* credentials go to the configured host only, never where a
	 * redirect (or anything else) points the transfer */
	url_origin(x->url, want, sizeof(want));
	url_origin(url != NULL ? url : "", got, sizeof(got));
	if (strcmp(want, got) != 0)
		return cb_error(x, "%s asks for credentials; they are sent to %s only (the "
		                "configured URL's host), not to another host after a redirect", got,
		                want);
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)
		return token_cred(out, x, user_from_url);
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		return key_cred(out, x, user_from_url);
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user_name(x, user_from_url));
	return cb_error(x, "the server asks for a kind of credentials innominatus does not have "
	                "(it sends a token over HTTPS, a key over SSH)");
}

static void
wipe(char **s)
{
	if (*s != NULL) {
		memset(*s, 0, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

void
inn_git_xfer_end(inn_git_xfer *x)
{
	wipe(&x->token);
	wipe(&x->passphrase);
}

/* ---- known hosts -------------------------------------------------------------- */

/* base64 text into out (at most cap bytes): its length, or -1. */
static int
unbase64(const char *in, size_t n, unsigned char *out, size_t cap)
{
	int len, pad = 0;

	if (n == 0 || n % 4 != 0 || n / 4 * 3 > cap)
		return -1;
	if ((len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n)) < 0)
		return -1;
	pad += in[n - 1] == '=';
	pad += n > 1 && in[n - 2] == '=';
	return len - pad;
}

/* The port of an ssh URL (22 for scp-like ones and when none is given). */
static int
url_port(const char *url)
{
	const char *h, *end, *colon;
	long port;

	if (strncmp(url, "ssh://", 6) != 0)
		return 22;
	h = url + 6;
	end = h + strcspn(h, "/");
	if (memchr(h, '@', (size_t)(end - h)) != NULL)
		h = (const char *)memchr(h, '@', (size_t)(end - h)) + 1;
	if (*h == '[')
		h = memchr(h, ']', (size_t)(end - h)) != NULL ?
		    (const char *)memchr(h, ']', (size_t)(end - h)) : h;
	colon = memchr(h, ':', (size_t)(end - h));
	if (colon == NULL || colon + 1 >= end)
		return 22;
	port = strtol(colon + 1, NULL, 10);
	return port > 0 && port < 65536 ? (int)port : 22;
}

/* OpenSSH's host pattern match: "*" and "?" are wildcards, everything else
 * (brackets too) is itself, case-insensitively. */
static int
wild_match(const char *p, const char *s)
{
	for (; *p != '\0'; p++, s++) {
		if (*p == '*') {
			for (;; s++) {
				if (wild_match(p + 1, s))
					return 1;
				if (*s == '\0')
					return 0;
			}
		}
		if (*s == '\0' || (*p != '?' && tolower((unsigned char)*p) !=
		                                 tolower((unsigned char)*s)))
			return 0;
	}
	return *s == '\0';
}

/* One host pattern of a known_hosts line against name. */
static int
pattern_matches(const char *pat, size_t n, const char *name)
{
	char p[1024], salt_b64[256], hash_b64[256];
	unsigned char salt[256], want[256], got[EVP_MAX_MD_SIZE];
	unsigned int gotlen = 0;
	int sl, wl;

	if (n == 0 || n >= sizeof(p))
		return 0;
	memcpy(p, pat, n);
	p[n] = '\0';
	if (strncmp(p, "|1|", 3) == 0) {
		const char *bar = strchr(p + 3, '|');

		if (bar == NULL || (size_t)(bar - p - 3) >= sizeof(salt_b64) ||
		    strlen(bar + 1) >= sizeof(hash_b64))
			return 0;
		snprintf(salt_b64, sizeof(salt_b64), "%.*s", (int)(bar - p - 3), p + 3);
		snprintf(hash_b64, sizeof(hash_b64), "%s", bar + 1);
		sl = unbase64(salt_b64, strlen(salt_b64), salt, sizeof(salt));
		wl = unbase64(hash_b64, strlen(hash_b64), want, sizeof(want));
		if (sl <= 0 || wl != 20 ||
		    HMAC(EVP_sha1(), salt, sl, (const unsigned char *)name, strlen(name), got,
		         &gotlen) == NULL || gotlen != 20)
			return 0;
		return memcmp(got, want, 20) == 0;
	}
	return wild_match(p, name);
}

/* The host field of a known_hosts line (comma-separated patterns, "!" to
 * exclude) against name. */
static int
hosts_match(const char *f, size_t n, const char *name)
{
	const char *end = f + n;
	int hit = 0;

	while (f < end) {
		size_t k = strcspn(f, ",");

		if (f + k > end)
			k = (size_t)(end - f);
		if (*f == '!' && pattern_matches(f + 1, k - 1, name))
			return 0;
		if (*f != '!' && pattern_matches(f, k, name))
			hit = 1;
		f += k + 1;
	}
	return hit;
}

/* The line's key (base64) equals the server's. */
static int
key_matches(const char *b64, size_t n, const git_cert_hostkey *hk)
{
	unsigned char blob[8192], sum[EVP_MAX_MD_SIZE];
	unsigned int sl = 0;
	int len = unbase64(b64, n, blob, sizeof(blob));

	if (len <= 0)
		return 0;
	if (hk->type & GIT_CERT_SSH_RAW)
		return (size_t)len == hk->hostkey_len && memcmp(blob, hk->hostkey, (size_t)len) == 0;
	if (hk->type & GIT_CERT_SSH_SHA256)
		return EVP_Digest(blob, (size_t)len, sum, &sl, EVP_sha256(), NULL) == 1 && sl == 32 &&
		       memcmp(sum, hk->hash_sha256, 32) == 0;
	return 0;
}

/* The host key's SHA256 fingerprint as ssh-keygen -l shows it. */
static void
fingerprint(const git_cert_hostkey *hk, char *buf, size_t len)
{
	unsigned char out[64];
	int n;

	if (!(hk->type & GIT_CERT_SSH_SHA256)) {
		snprintf(buf, len, "(unknown)");
		return;
	}
	n = EVP_EncodeBlock(out, hk->hash_sha256, 32);
	while (n > 0 && out[n - 1] == '=')
		n--;
	snprintf(buf, len, "SHA256:%.*s", n, (const char *)out);
}

enum { KH_UNKNOWN, KH_OK, KH_MISMATCH, KH_REVOKED, KH_NOFILE };

/* name against file: one of KH_*; *line gets the deciding line. */
static int
known_hosts_lookup(const char *file, const char *name, const git_cert_hostkey *hk, int *line)
{
	char buf[16384];
	FILE *fp = fopen(file, "r");
	int ln = 0, result = KH_UNKNOWN, ok_line = 0, bad_line = 0;

	*line = 0;
	if (fp == NULL)
		return KH_NOFILE;
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		const char *f[4];
		size_t flen[4];
		const char *p = buf;
		int nf = 0, revoked = 0, ca = 0;

		ln++;
		buf[strcspn(buf, "\r\n")] = '\0';
		while (nf < 4) {
			p += strspn(p, " \t");
			if (*p == '\0' || (*p == '#' && nf == 0))
				break;
			f[nf] = p;
			flen[nf] = strcspn(p, " \t");
			p += flen[nf];
			if (nf == 0 && f[0][0] == '@') {
				revoked = flen[0] == 8 && strncmp(f[0], "@revoked", 8) == 0;
				ca = !revoked;
				continue;
			}
			nf++;
		}
		if (nf < 3 || ca || !hosts_match(f[0], flen[0], name))
			continue;
		if (key_matches(f[2], flen[2], hk)) {
			if (revoked) {
				fclose(fp);
				*line = ln;
				return KH_REVOKED;
			}
			if (!ok_line)
				ok_line = ln;
		} else if (!revoked && !bad_line) {
			bad_line = ln;
		}
	}
	fclose(fp);
	if (ok_line) {
		*line = ok_line;
		result = KH_OK;
	} else if (bad_line) {
		*line = bad_line;
		result = KH_MISMATCH;
	}
	return result;
}

int
inn_git_hostkey_check(git_cert *cert, int valid, const char *host, void *payload)
{
	inn_git_xfer *x = payload;
	const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
	const char *file = setting(x->auth != NULL ? x->auth->known_hosts_file : NULL,
	                           "INNOMINATUS_GIT_KNOWN_HOSTS");
	char deffile[4200], name[1100], fp[128], msg[12288];
	int port, line, kh;

	(void)valid;
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return GIT_PASSTHROUGH;      /* TLS: libgit2's own verdict */
	if (file == NULL) {
		const char *home = env_or_null("HOME");

		snprintf(deffile, sizeof(deffile), "%s/.ssh/known_hosts", home != NULL ? home : "");
		file = deffile;
	}
	port = url_port(x->url);
	if (port == 22)
		snprintf(name, sizeof(name), "%s", host);
	else
		snprintf(name, sizeof(name), "[%s]:%d", host, port);
	fingerprint(hk, fp, sizeof(fp));
	kh = known_hosts_lookup(file, name, hk, &line);
	switch (kh) {
	case KH_OK:
		return 0;
	case KH_NOFILE:
		snprintf(msg, sizeof(msg), "SSH host %s is not known: the known hosts file %s cannot "
		         "be read (%s); refused. Check the host's key (%s) and add it, e.g. "
		         "ssh-keyscan -p %d %s >> %s, or name another file in "
		         "auth.known_hosts_file or INNOMINATUS_GIT_KNOWN_HOSTS", name, file,
		         strerror(errno), fp, port, host, file);
		break;
	case KH_REVOKED:
		snprintf(msg, sizeof(msg), "SSH host %s offers key %s, revoked at %s:%d; refused",
		         name, fp, file, line);
		break;
	case KH_MISMATCH:
		snprintf(msg, sizeof(msg), "SSH host %s offers key %s, which is not the key %s:%d "
		         "has for it; refused (if the host's key changed on purpose, replace that "
		         "line)", name, fp, file, line);
		break;
	default:
		snprintf(msg, sizeof(msg), "SSH host %s is not in the known hosts file %s; refused. "
		         "Check the host's key (%s) and add it, e.g. ssh-keyscan -p %d %s >> %s",
		         name, file, fp, port, host, file);
		break;
	}
	return cb_error(x, "%s", msg);
}
