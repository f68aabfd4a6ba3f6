/*
 * secret_file.h - the one check a file holding a secret passes before it
 * is read (the admin config's secrets:, git token and passphrase files,
 * the server's sealing key): a regular file, owned by this process's user
 * or root, that neither group nor others may use.
 */
#ifndef INN_CORE_SECRET_FILE_H
#define INN_CORE_SECRET_FILE_H

#include <stddef.h>
#include <sys/stat.h>

/* Checks st, the status of path (fstat of the opened file, so the file
 * checked is the file read).  Returns 0, or INN_EINVAL with the reason as
 * the message, without the path in front: "mode 0644: group or others may
 * read it; refused (run: chmod 600 PATH)", "it belongs to uid N, not to
 * this user (uid M) or root", "it is not a regular file". */
int inn_secret_file_check(const struct stat *st, const char *path);

/* Opens path read-only (a symbolic link followed: the file it leads to is
 * checked; close on exec; a FIFO never blocks), checks it with
 * inn_secret_file_check and returns the descriptor;
 * *st (may be NULL) gets its status.  On failure returns a negative
 * inn_status with the reason as the message (path not in front). */
int inn_secret_file_open(const char *path, struct stat *st);

/* Reads the whole of path (opened with inn_secret_file_open) into *out
 * (malloc'd, NUL-terminated; *len (may be NULL) its length) with one
 * trailing "\n" or "\r\n" removed.  A file over max bytes or an empty one
 * (after the newline went) is refused.  Errors as inn_secret_file_open. */
int inn_secret_file_read(const char *path, size_t max, char **out, size_t *len);

#endif
