/*
 * exec_pool_frame.c - the wire between the engine and its worker
 * processes (protocol in exec_pool_int.h): length-prefixed JSON frames
 * read into a bounded buffer, and the /proc reading both ends use to
 * measure a worker's memory peak.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exec_pool_int.h"

/* Writes everything to a socket; a peer that went away is an error
 * (EPIPE), never a SIGPIPE that would end the embedding process. */
static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
inn_frame_send(int fd, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                               JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(s);
	unsigned char hdr[4];

	if (len > FRAME_MAX)
		return -1;
	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
	if (write_all(fd, (const char *)hdr, 4) != 0 || write_all(fd, s, len) != 0)
		return -1;
	return 0;
}

/* The frame at the head of fb, once it is all there. */
int
inn_frame_take(inn_buf *fb, json_object **out)
{
	const unsigned char *u = (const unsigned char *)fb->p;
	size_t len;
	json_tokener *tok;

	if (fb->len < 4)
		return 0;
	len = ((size_t)u[0] << 24) | ((size_t)u[1] << 16) | ((size_t)u[2] << 8) | u[3];
	if (len > FRAME_MAX)
		return -1;
	if (fb->len < 4 + len)
		return 0;
	tok = json_tokener_new();
	*out = json_tokener_parse_ex(tok, fb->p + 4, (int)len);
	json_tokener_free(tok);
	/* drop the frame from the head; what follows it stays, NUL-ended */
	memmove(fb->p, fb->p + 4 + len, fb->len - 4 - len);
	fb->len -= 4 + len;
	fb->p[fb->len] = '\0';
	return json_object_is_type(*out, json_type_object) ? 1 : (json_object_put(*out), -1);
}

/* One read(2) of at most FRAME_READ bytes, fewer when fb is nearly full:
 * a full buffer (a frame that never ends) is an error. */
int
inn_frame_fill(int fd, inn_buf *fb)
{
	char chunk[FRAME_READ];
	size_t room = fb->max - fb->len;
	ssize_t n;

	if (room == 0)
		return -1;
	do
		n = read(fd, chunk, room < sizeof(chunk) ? room : sizeof(chunk));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	return inn_buf_add(fb, chunk, (size_t)n) == 0 ? 1 : -1;
}

json_object *
inn_frame_recv(int fd, inn_buf *fb)
{
	for (;;) {
		json_object *o = NULL;
		int r = inn_frame_take(fb, &o);

		if (r == 1)
			return o;
		if (r < 0 || inn_frame_fill(fd, fb) <= 0)
			return NULL;
	}
}

uint64_t
inn_proc_status_bytes(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	uint64_t v = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			v = strtoull(line + flen + 1, NULL, 10) * 1024;
			break;
		}
	fclose(fp);
	return v;
}
