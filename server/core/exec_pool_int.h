/*
 * exec_pool_int.h - what the two ends of the worker pool share, and
 * nothing else includes: the engine side (exec_pool.c) and the worker
 * process (exec_pool_worker.c) speak the frame protocol of
 * exec_pool_frame.c over a socketpair.
 *
 * Wire protocol: frames of a 4-byte big-endian length and a JSON object.
 *   engine -> worker  {"op":"exec", type, name, config, workspace, dry_run,
 *                      timeout_ms, secrets, log_max}   {"op":"cancel"}
 *   worker -> engine  {"op":"ready"} | {"op":"fatal", error}
 *                     {"op":"log", level, stream, line}
 *                     {"op":"child", pgid, started}
 *                     {"op":"done", rc, error, outputs, secret_keys, retire}
 */
#ifndef INN_CORE_EXEC_POOL_INT_H
#define INN_CORE_EXEC_POOL_INT_H

#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "buf.h"

#define FRAME_MAX (16u * 1024 * 1024)
/* What a reader buffers: one whole frame and one read past it. */
#define FRAME_READ (64u * 1024)
#define FRAME_BUF_MAX (FRAME_MAX + 4 + FRAME_READ)

/* The argument that makes the embedding program a worker process. */
#define WORKER_ARG "--inn-worker"

/* A data limit cannot work under AddressSanitizer (its shadow memory is
 * terabytes of private writable mappings): such test builds run without. */
#if defined(__SANITIZE_ADDRESS__)
#define INN_MEMORY_LIMIT_ENFORCED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define INN_MEMORY_LIMIT_ENFORCED 0
#endif
#endif
#ifndef INN_MEMORY_LIMIT_ENFORCED
#define INN_MEMORY_LIMIT_ENFORCED 1
#endif

/* Sends o as one frame: 0, or -1 when it is over FRAME_MAX or the peer
 * went away (never a SIGPIPE). */
int inn_frame_send(int fd, json_object *o);
/* Takes one complete frame out of fb (made with FRAME_BUF_MAX): 1 with
 * *out set (a JSON object), 0 if incomplete, -1 on a malformed frame. */
int inn_frame_take(inn_buf *fb, json_object **out);
/* Reads what is available from fd into fb: 1 read something, 0 EOF,
 * -1 error or fb full. */
int inn_frame_fill(int fd, inn_buf *fb);
/* Blocking: the next frame, or NULL at EOF / error. */
json_object *inn_frame_recv(int fd, inn_buf *fb);

/* A frame's string field (NULL if absent or not a string). */
static inline const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A frame's integer field (0 if absent). */
static inline int64_t
jint(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* A /proc/PID/status field in kB (VmHWM), as bytes; 0 when unknown. */
uint64_t inn_proc_status_bytes(pid_t pid, const char *field);

#endif
