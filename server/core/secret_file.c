/*
 * secret_file.c - checks and reads a file holding a secret (see
 * secret_file.h): the one place the rules for such files live.
 */
#include "secret_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

int
inn_secret_file_check(const struct stat *st, const char *path)
{
	if (!S_ISREG(st->st_mode))
		return inn_error_set(INN_EINVAL, "it is not a regular file");
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return inn_error_set(INN_EINVAL, "it belongs to uid %ld, not to this user "
		                     "(uid %ld) or root; refused", (long)st->st_uid,
		                     (long)geteuid());
	if ((st->st_mode & 077) != 0)
		return inn_error_set(INN_EINVAL, "mode %04o: group or others may read it; refused "
		                     "(run: chmod 600 %s)", (unsigned)(st->st_mode & 07777), path);
	return 0;
}

int
inn_secret_file_open(const char *path, struct stat *st)
{
	struct stat own;
	int fd, rc;

	if (st == NULL)
		st = &own;
	/* a symbolic link is followed (Kubernetes mounts secrets as links):
	 * the checks are made on the file opened; O_NONBLOCK so that a FIFO
	 * cannot hang the open (it is then refused as not regular) */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return inn_error_set(errno == ENOENT ? INN_ENOTFOUND : INN_EINVAL, "%s",
		                     strerror(errno));
	if (fstat(fd, st) != 0) {
		rc = inn_error_set(INN_ERROR, "%s", strerror(errno));
		goto err;
	}
	if ((rc = inn_secret_file_check(st, path)) != 0)
		goto err;
	return fd;
err:
	close(fd);
	return rc;
}

int
inn_secret_file_read(const char *path, size_t max, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	ssize_t got;
	int fd, rc = 0;

	*out = NULL;
	if ((fd = inn_secret_file_open(path, NULL)) < 0)
		return fd;
	if ((buf = malloc(max + 2)) == NULL) {
		rc = inn_error_set(INN_ENOMEM, "out of memory");
		goto out;
	}
	/* one byte more than max: to tell a file of max bytes from a larger one */
	while (n < max + 1) {
		got = read(fd, buf + n, max + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = inn_error_set(INN_ERROR, "%s", strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > max) {
		rc = inn_error_set(INN_ETOOBIG, "it is larger than %zu bytes", max);
		goto out;
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (n == 0) {
		rc = inn_error_set(INN_EINVAL, "it is empty");
		goto out;
	}
	*out = buf;
	buf = NULL;
	if (len != NULL)
		*len = n;
out:
	close(fd);
	free(buf);
	return rc;
}
