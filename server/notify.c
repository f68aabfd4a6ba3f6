/*
 * notify.c - sd_notify(3) messages (notify.h).  With libsystemd the
 * library sends them; without it the server speaks the same protocol
 * itself -- one datagram of "KEY=VALUE" lines to the AF_UNIX socket named
 * by $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace) --
 * because it is a few lines and a distribution may build without
 * libsystemd yet still run the unit as Type=notify.  $NOTIFY_SOCKET stays
 * in the environment (sd_notify reads it on every call); the steps that
 * inherit it cannot pose as the server: the unit accepts messages from
 * the main process only (NotifyAccess=main, the default).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "notify.h"

#ifndef HAVE_LIBSYSTEMD
static int
send_datagram(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	size_t n;
	int fd, rc;

	if (path == NULL || path[0] == '\0')
		return 0;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';        /* the abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	rc = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0 ? -1 : 0;
	close(fd);
	return rc;
}
#endif

int
inn_notify(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
#ifdef HAVE_LIBSYSTEMD
	return sd_notify(0, msg) < 0 ? -1 : 0;
#else
	return send_datagram(msg);
#endif
}

int
inn_notify_reloading(const char *status)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return inn_notify("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=%s",
	                  (unsigned long long)ts.tv_sec * 1000000ull +
	                  (unsigned long long)ts.tv_nsec / 1000ull, status);
}
