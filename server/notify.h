/*
 * notify.h - telling the service manager how the server is doing
 * (systemd's notification protocol, sd_notify(3)): READY=1 once it serves,
 * RELOADING=1 and READY=1 around a reload, STOPPING=1 when it drains.
 * Nothing happens when $NOTIFY_SOCKET is not set (not started by systemd
 * with Type=notify).
 */
#ifndef INN_SERVER_NOTIFY_H
#define INN_SERVER_NOTIFY_H

#include "error.h"

/* Sends the state lines of fmt (e.g. "READY=1\nSTATUS=serving").  0, or
 * -1 when the message could not be sent (no socket is no error). */
int inn_notify(const char *fmt, ...) INN_PRINTF_LIKE(1, 2);
/* RELOADING=1 with MONOTONIC_USEC=now, as Type=notify-reload wants it. */
int inn_notify_reloading(const char *status);

#endif
