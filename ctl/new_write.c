/*
 * new_write.c - the generators' careful file writing (cmd_new.h): a file
 * is created exclusively, never through a symbolic link, and removed again
 * when it cannot be written whole.  Shared by `new provider|plugin`
 * (cmd_new.c) and `new workflow` (cmd_new_workflow.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd_new.h"

int
ctl_new_write(const char *path, const char *text, size_t len, int mode)
{
	return ctl_new_writeat(AT_FDCWD, path, path, text, len, mode);
}

int
ctl_new_writeat(int dfd, const char *rel, const char *path, const char *text, size_t len,
                int mode)
{
	int fd = openat(dfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	size_t off = 0;

	if (fd < 0) {
		fprintf(stderr, "innominatus-ctl: new: cannot create %s: %s%s\n", path,
		        strerror(errno), errno == EEXIST ? " (refusing to overwrite it)" : "");
		return -1;
	}
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	/* the umask shaped mode; an executable template stays executable */
	if (off < len || close(fd) != 0) {
		fprintf(stderr, "innominatus-ctl: new: cannot write %s: %s\n", path,
		        strerror(errno));
		if (off < len)
			close(fd);
		unlinkat(dfd, rel, 0);
		return -1;
	}
	return 0;
}
