/*
 * secretbox.c - AES-256-GCM sealing under the server's key file (see
 * secretbox.h).  Each seal has a fresh random 96-bit nonce; the tag
 * authenticates the text, so a damaged value or another key is refused,
 * never decrypted into garbage.  The key is read once at start and kept
 * in memory (cleansed on free).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "error.h"
#include "secret_file.h"
#include "secretbox.h"

#define NONCE_LEN 12
#define TAG_LEN 16
#define PREFIX "v1:"
/* bound authenticated data: a sealed value means nothing elsewhere */
#define AAD "innominatus sealed inputs v1"

struct inn_secretbox {
	unsigned char key[INN_SECRETBOX_KEY_LEN];
	char *path;
};

static int
read_key(inn_secretbox *b, const char *path)
{
	struct stat st;
	ssize_t n;
	int fd = inn_secret_file_open(path, &st), rc = 0;

	if (fd < 0)
		return inn_error_set(fd, "secret key file %s: %s%s", path, inn_error_last(),
		                     fd == INN_EINVAL && strstr(inn_error_last(), "mode ") != NULL ?
		                     " (and consider the key leaked)" : "");
	if (st.st_size != INN_SECRETBOX_KEY_LEN) {
		rc = inn_error_set(INN_EINVAL, "secret key file %s is %lld bytes, not %d", path,
		                   (long long)st.st_size, INN_SECRETBOX_KEY_LEN);
		goto out;
	}
	do
		n = read(fd, b->key, sizeof(b->key));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(b->key))
		rc = inn_error_set(INN_ERROR, "secret key file %s: short read", path);
out:
	close(fd);
	return rc;
}

/* A new key from the kernel's generator, not OpenSSL's: a server that
 * seals nothing never initialises OpenSSL (about 2 MB of resident memory
 * when idle).  0 or -1. */
static int
key_random(unsigned char *out, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = getrandom(out + off, len - off, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* Creates the key file (O_EXCL: never over an existing one); 1 when it
 * exists already. */
static int
create_key(inn_secretbox *b, const char *path)
{
	size_t off = 0;
	int fd, rc = 0;

	if (key_random(b->key, sizeof(b->key)) != 0)
		return inn_error_set(INN_ERROR, "secret key: no random bytes (getrandom)");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0 && errno == EEXIST)
		return 1;
	if (fd < 0)
		return inn_error_set(INN_EINVAL, "secret key file %s: %s", path, strerror(errno));
	while (off < sizeof(b->key)) {
		ssize_t n = write(fd, b->key + off, sizeof(b->key) - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = inn_error_set(INN_ERROR, "secret key file %s: %s", path,
			                   strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = inn_error_set(INN_ERROR, "secret key file %s: %s", path, strerror(errno));
	close(fd);
	if (rc != 0)
		unlink(path);
	return rc;
}

int
inn_secretbox_open(inn_secretbox **out, const char *path)
{
	inn_secretbox *b = calloc(1, sizeof(*b));
	int rc;

	if (b == NULL)
		return inn_error_set(INN_ENOMEM, "out of memory");
	if (path == NULL) {
		if (key_random(b->key, sizeof(b->key)) != 0) {
			rc = inn_error_set(INN_ERROR, "secret key: no random bytes (getrandom)");
			goto err;
		}
		*out = b;
		return 0;
	}
	if ((b->path = strdup(path)) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto err;
	}
	if (access(path, F_OK) != 0 && errno == ENOENT) {
		rc = create_key(b, path);
		/* another process created it first: use that one */
		if (rc == 1)
			rc = read_key(b, path);
	} else {
		rc = read_key(b, path);
	}
	if (rc != 0)
		goto err;
	*out = b;
	return 0;
err:
	inn_secretbox_free(b);
	return rc;
}

void
inn_secretbox_free(inn_secretbox *b)
{
	if (b == NULL)
		return;
	OPENSSL_cleanse(b->key, sizeof(b->key));
	free(b->path);
	free(b);
}

const char *
inn_secretbox_path(const inn_secretbox *b)
{
	return b != NULL && b->path != NULL ? b->path : "(in memory)";
}

int
inn_secretbox_seal(inn_secretbox *b, const char *plain, size_t len, char **out)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *raw = NULL;
	char *text = NULL;
	size_t rawlen = NONCE_LEN + len + TAG_LEN;
	int n = 0, fin = 0, rc = INN_ERROR;

	if (len > (size_t)INT32_MAX / 2)
		return inn_error_set(INN_ETOOBIG, "secret values too large to seal");
	if ((raw = malloc(rawlen)) == NULL ||
	    (text = malloc(sizeof(PREFIX) - 1 + (rawlen + 2) / 3 * 4 + 1)) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	if (RAND_bytes(raw, NONCE_LEN) != 1 || (ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, b->key, raw) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)AAD, sizeof(AAD) - 1) != 1 ||
	    EVP_EncryptUpdate(ctx, raw + NONCE_LEN, &n, (const unsigned char *)plain,
	                      (int)len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, raw + NONCE_LEN + n, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	                        raw + NONCE_LEN + n + fin) != 1) {
		rc = inn_error_set(INN_ERROR, "sealing secret values: OpenSSL failed");
		goto out;
	}
	memcpy(text, PREFIX, sizeof(PREFIX) - 1);
	EVP_EncodeBlock((unsigned char *)text + sizeof(PREFIX) - 1, raw,
	                (int)(NONCE_LEN + (size_t)n + (size_t)fin + TAG_LEN));
	*out = text;
	text = NULL;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (raw != NULL)
		OPENSSL_cleanse(raw, rawlen);
	free(raw);
	free(text);
	return rc;
}

int
inn_secretbox_unseal(inn_secretbox *b, const char *sealed, char **out, size_t *len)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *raw = NULL, *plain = NULL;
	size_t tlen, rawlen, clen;
	int n = 0, fin = 0, dec, rc;

	if (sealed == NULL || strncmp(sealed, PREFIX, sizeof(PREFIX) - 1) != 0)
		return inn_error_set(INN_EINVAL, "sealed secret values: unknown format");
	sealed += sizeof(PREFIX) - 1;
	tlen = strlen(sealed);
	if (tlen % 4 != 0 || tlen / 4 * 3 < NONCE_LEN + TAG_LEN || tlen > (size_t)INT32_MAX)
		return inn_error_set(INN_EINVAL, "sealed secret values: damaged (length)");
	if ((raw = malloc(tlen / 4 * 3 + 1)) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	if ((dec = EVP_DecodeBlock(raw, (const unsigned char *)sealed, (int)tlen)) < 0) {
		rc = inn_error_set(INN_EINVAL, "sealed secret values: damaged (not base64)");
		goto out;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	rawlen = (size_t)dec - (tlen >= 1 && sealed[tlen - 1] == '=') -
	         (tlen >= 2 && sealed[tlen - 2] == '=');
	if (rawlen < NONCE_LEN + TAG_LEN) {
		rc = inn_error_set(INN_EINVAL, "sealed secret values: damaged (length)");
		goto out;
	}
	clen = rawlen - NONCE_LEN - TAG_LEN;
	if ((plain = malloc(clen + 1)) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, b->key, raw) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)AAD, sizeof(AAD) - 1) != 1 ||
	    EVP_DecryptUpdate(ctx, plain, &n, raw + NONCE_LEN, (int)clen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
	                        raw + NONCE_LEN + clen) != 1) {
		rc = inn_error_set(INN_ERROR, "unsealing secret values: OpenSSL failed");
		goto out;
	}
	if (EVP_DecryptFinal_ex(ctx, plain + n, &fin) != 1) {
		rc = inn_error_set(INN_EINVAL, "the sealed secret values do not open with the "
		                   "server's key (%s): the key file was replaced, or the value "
		                   "is damaged", inn_secretbox_path(b));
		goto out;
	}
	plain[n + fin] = '\0';
	if (len != NULL)
		*len = (size_t)(n + fin);
	*out = (char *)plain;
	plain = NULL;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (plain != NULL) {
		OPENSSL_cleanse(plain, clen + 1);
		free(plain);
	}
	free(raw);
	return rc;
}
