/*
 * secretbox.h - the server's at-rest encryption of secret values
 * (AES-256-GCM, OpenSSL libcrypto) under a per-server key file.  What it
 * seals: the real inputs of executions whose stored parameters and spec
 * have secrets masked, so that a retry or a resume runs with them
 * (runs_inputs.c).
 */
#ifndef INN_SERVER_SECRETBOX_H
#define INN_SERVER_SECRETBOX_H

typedef struct inn_secretbox inn_secretbox;

#define INN_SECRETBOX_KEY_LEN 32

/* Loads the key file at path, creating it (32 random bytes, mode 0600)
 * when it does not exist.  An existing file must be a regular file of
 * exactly 32 bytes owned by this user and not readable or writable by group
 * or others (INN_EINVAL naming the file and what is wrong).  path NULL: a
 * key that lives in memory only (an in-memory store). */
int inn_secretbox_open(inn_secretbox **out, const char *path);
void inn_secretbox_free(inn_secretbox *box);
/* The key file's path, or "(in memory)". */
const char *inn_secretbox_path(const inn_secretbox *box);
/* Encrypts plain[0..len) into *out: malloc'd text "v1:" + base64 of
 * nonce, ciphertext and tag.  INN_ENOMEM or INN_ERROR. */
int inn_secretbox_seal(inn_secretbox *box, const char *plain, size_t len, char **out);
/* Decrypts what seal made into *out (malloc'd, NUL-terminated, length in
 * *len when len is not NULL).  INN_EINVAL when the text is damaged or was
 * sealed with another key. */
int inn_secretbox_unseal(inn_secretbox *box, const char *sealed, char **out, size_t *len);

#endif
