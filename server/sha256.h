/*
 * sha256.h - SHA-256 (FIPS 180-4) without OpenSSL, for the hashes of API
 * keys: a server that only checks keys never initialises OpenSSL (its
 * providers cost an idle server about 2 MB of resident memory).
 */
#ifndef INN_SERVER_SHA256_H
#define INN_SERVER_SHA256_H

#include <stddef.h>

#define INN_SHA256_LEN 32

/* out = SHA-256 of the len bytes at data (data may be NULL when len is
 * 0).  Any thread; no state. */
void inn_sha256(const void *data, size_t len, unsigned char out[INN_SHA256_LEN]);

#endif
