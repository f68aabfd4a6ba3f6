/*
 * ansible_result.c - judging an ansible-playbook run: the JSON document
 * its stdout callback printed (callback.h), a log line per task and host,
 * the recap, the count outputs, and the one-line failure reason (from the
 * failing task, or ansible's log when it stopped before any task).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ansible_int.h"

/* What the JSON document says, folded for the result. */
struct ansible_summary {
	int64_t ok, changed, failed, unreachable, skipped;
	char failure[4096];           /* the step message, or "" */
};

/* Copies a result's message (a string, or any value as JSON) into buf,
 * newlines as blanks, at most ANSIBLE_MSG_MAX bytes. */
static void
result_msg(json_object *r, const char *key, char *buf, size_t len)
{
	json_object *m;
	const char *s;
	size_t i;

	buf[0] = '\0';
	if (!json_object_object_get_ex(r, key, &m) || m == NULL)
		return;
	s = json_object_is_type(m, json_type_string) ? json_object_get_string(m) :
	    json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN);
	snprintf(buf, len < ANSIBLE_MSG_MAX ? len : ANSIBLE_MSG_MAX, "%s", s);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t')
			buf[i] = ' ';
}

static int
result_flag(json_object *r, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(r, key, &v) && json_object_get_boolean(v);
}

static const char *
name_of(json_object *o, const char *key)
{
	json_object *v, *n;

	if (json_object_object_get_ex(o, key, &v) &&
	    json_object_object_get_ex(v, "name", &n) &&
	    json_object_is_type(n, json_type_string))
		return json_object_get_string(n);
	return "";
}

/*
 * Logs one line per task and host ("task "x" on h: changed"), with the
 * message of failures, unreachable hosts and debug tasks, and keeps the
 * last failure that counts (not ignored) as the step message.
 */
static void
summarize_tasks(const inn_host *host, inn_step *step, json_object *doc,
                struct ansible_summary *s)
{
	json_object *plays, *tasks, *hosts, *act;
	size_t i, j, np, nt;
	char msg[2 * ANSIBLE_MSG_MAX], err[ANSIBLE_MSG_MAX];

	if (!json_object_object_get_ex(doc, "plays", &plays) ||
	    !json_object_is_type(plays, json_type_array))
		return;
	np = json_object_array_length(plays);
	for (i = 0; i < np; i++) {
		json_object *play = json_object_array_get_idx(plays, i);

		host->log(step, INN_LOG_INFO, "play \"%s\"", name_of(play, "play"));
		if (!json_object_object_get_ex(play, "tasks", &tasks) ||
		    !json_object_is_type(tasks, json_type_array))
			continue;
		nt = json_object_array_length(tasks);
		for (j = 0; j < nt; j++) {
			json_object *task = json_object_array_get_idx(tasks, j), *t;
			const char *tname = name_of(task, "task"), *action = "";

			if (json_object_object_get_ex(task, "task", &t) &&
			    json_object_object_get_ex(t, "action", &act))
				action = json_object_get_string(act);
			if (!json_object_object_get_ex(task, "hosts", &hosts) ||
			    !json_object_is_type(hosts, json_type_object))
				continue;
			json_object_object_foreach(hosts, hname, r) {
				const char *state;
				int level = INN_LOG_INFO, show = 0;

				result_msg(r, "msg", msg, sizeof(msg));
				if (result_flag(r, "unreachable")) {
					state = "unreachable";
					level = INN_LOG_WARN;
					show = 1;
					snprintf(s->failure, sizeof(s->failure), "host %s is "
					         "unreachable (task \"%s\"): %s", hname, tname, msg);
				} else if (result_flag(r, "failed")) {
					int ignored = result_flag(r, "ignored");

					state = ignored ? "failed (ignored)" : "failed";
					level = INN_LOG_WARN;
					show = 1;
					result_msg(r, "stderr", err, sizeof(err));
					if (err[0] != '\0' && strstr(msg, err) == NULL) {
						size_t ml = strlen(msg);

						snprintf(msg + ml, sizeof(msg) - ml, "%sstderr: %s",
						         ml > 0 ? "; " : "", err);
					}
					if (!ignored)
						snprintf(s->failure, sizeof(s->failure), "task \"%s\" "
						         "failed on %s: %s", tname, hname, msg);
				} else if (result_flag(r, "skipped")) {
					state = "skipped";
				} else {
					state = result_flag(r, "changed") ? "changed" : "ok";
					show = strcmp(action, "debug") == 0 ||
					    strcmp(action, "ansible.builtin.debug") == 0;
				}
				if (show && msg[0] != '\0')
					host->log(step, level, "task \"%s\" on %s: %s: %s", tname,
					          hname, state, msg);
				else
					host->log(step, level, "task \"%s\" on %s: %s", tname,
					          hname, state);
			}
		}
	}
}

static int64_t
stat_of(json_object *h, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(h, key, &v) ? json_object_get_int64(v) : 0;
}

/* Output name for a host: characters outside [A-Za-z0-9_.-] become '_'. */
static void
host_key(char *buf, size_t len, const char *hostname, const char *what)
{
	size_t i;

	snprintf(buf, len, "%s.%s", hostname, what);
	for (i = 0; buf[i] != '\0' && i < strlen(hostname); i++)
		if (!pu_chars_ok((char[]){ buf[i], '\0' }, "-."))
			buf[i] = '_';
}

static int
put_count(const inn_host *host, inn_step *step, const char *key, int64_t n)
{
	char v[32];
	int rc;

	snprintf(v, sizeof(v), "%" PRId64, n);
	if ((rc = host->output(step, key, v, 0)) != 0)
		host->log(step, INN_LOG_ERROR, "output \"%s\": %s", key,
		          host->last_error());
	return rc;
}

/*
 * Folds the per-host stats into totals, logs the recap and publishes the
 * outputs: ok, changed, failed, unreachable, skipped, <host>.<each> and
 * changed_any.  Returns 0 or the first output error.
 */
static int
publish_stats(const inn_host *host, inn_step *step, json_object *doc,
              struct ansible_summary *s)
{
	static const char *const what[] = { "ok", "changed", "failed",
		"unreachable", "skipped" };
	static const char *const from[] = { "ok", "changed", "failures",
		"unreachable", "skipped" };
	json_object *stats;
	char key[300];
	size_t k;
	int rc;

	if (json_object_object_get_ex(doc, "stats", &stats) &&
	    json_object_is_type(stats, json_type_object)) {
		json_object_object_foreach(stats, hname, h) {
			int64_t v[5];

			for (k = 0; k < 5; k++) {
				v[k] = stat_of(h, from[k]);
				host_key(key, sizeof(key), hname, what[k]);
				if ((rc = put_count(host, step, key, v[k])) != 0)
					return rc;
			}
			s->ok += v[0];
			s->changed += v[1];
			s->failed += v[2];
			s->unreachable += v[3];
			s->skipped += v[4];
			host->log(step, INN_LOG_INFO, "%s: ok=%" PRId64 " changed=%" PRId64
			          " failed=%" PRId64 " unreachable=%" PRId64 " skipped=%"
			          PRId64, hname, v[0], v[1], v[2], v[3], v[4]);
		}
	}
	if ((rc = put_count(host, step, "ok", s->ok)) != 0 ||
	    (rc = put_count(host, step, "changed", s->changed)) != 0 ||
	    (rc = put_count(host, step, "failed", s->failed)) != 0 ||
	    (rc = put_count(host, step, "unreachable", s->unreachable)) != 0 ||
	    (rc = put_count(host, step, "skipped", s->skipped)) != 0)
		return rc;
	if ((rc = host->output(step, "changed_any", s->changed > 0 ? "true" :
	    "false", 0)) != 0)
		host->log(step, INN_LOG_ERROR, "output \"changed_any\": %s",
		          host->last_error());
	return rc;
}

/* Finds the first "ERROR! ..." in ansible's log file (what stopped it
 * before any task ran) and copies that line's message into buf. */
static int
log_error_line(const char *path, char *buf, size_t len)
{
	char *data = NULL, *e, *nl;
	ssize_t n;
	size_t got = 0;
	int fd, found = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return 0;
	if ((data = malloc(ANSIBLE_LOG_READ_MAX + 1)) == NULL)
		goto out;
	while (got < ANSIBLE_LOG_READ_MAX) {
		n = read(fd, data + got, ANSIBLE_LOG_READ_MAX - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	data[got] = '\0';
	if ((e = strstr(data, "ERROR! ")) != NULL) {
		if ((nl = strchr(e, '\n')) != NULL)
			*nl = '\0';
		snprintf(buf, len, "%s", e);
		found = 1;
	}
out:
	free(data);
	close(fd);
	return found;
}

/* The JSON document in the captured stdout: the last line that starts
 * with '{' (anything a plugin printed before it is skipped). */
static json_object *
parse_document(const char *out, size_t len)
{
	const char *p = NULL, *q;
	json_tokener *tok;
	json_object *doc;

	if (out == NULL || len == 0)
		return NULL;
	if (out[0] == '{')
		p = out;
	for (q = out; (q = memchr(q, '\n', len - (size_t)(q - out))) != NULL; q++)
		if ((size_t)(q + 1 - out) < len && q[1] == '{')
			p = q + 1;
	if (p == NULL || (tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH)) ==
	    NULL)
		return NULL;
	doc = json_tokener_parse_ex(tok, p, (int)(len - (size_t)(p - out)));
	json_tokener_free(tok);
	if (doc != NULL && !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		return NULL;
	}
	return doc;
}

int
ans_judge_run(const inn_host *host, inn_step *step, const char *log_path,
              const inn_spawn_result *res)
{
	struct ansible_summary s;
	json_object *doc = NULL;
	char why[1024];
	int rc;

	memset(&s, 0, sizeof(s));
	if (res->truncated) {
		host->log(step, INN_LOG_ERROR, "ansible-playbook printed more than %u "
		          "bytes on stdout; its result cannot be read",
		          ANSIBLE_CAPTURE_MAX);
		return INN_ETOOBIG;
	}
	doc = parse_document(res->captured, res->captured_len);
	if (doc == NULL) {
		if (log_error_line(log_path, why, sizeof(why)))
			host->log(step, INN_LOG_ERROR, "ansible-playbook: %s", why);
		else
			host->log(step, INN_LOG_ERROR, "ansible-playbook exited with status "
			          "%d without a result (see its messages above)",
			          res->exit_code);
		return INN_ERROR;
	}
	summarize_tasks(host, step, doc, &s);
	if ((rc = publish_stats(host, step, doc, &s)) != 0)
		goto out;
	if (s.failure[0] != '\0' && (s.failed > 0 || s.unreachable > 0 ||
	    res->exit_code != 0)) {
		host->log(step, INN_LOG_ERROR, "%s", s.failure);
		rc = INN_ERROR;
	} else if (res->exit_code != 0 || s.failed > 0 || s.unreachable > 0) {
		if (log_error_line(log_path, why, sizeof(why)))
			host->log(step, INN_LOG_ERROR, "ansible-playbook: %s", why);
		else
			host->log(step, INN_LOG_ERROR, "ansible-playbook exited with status "
			          "%d (failed=%" PRId64 " unreachable=%" PRId64 ")",
			          res->exit_code, s.failed, s.unreachable);
		rc = INN_ERROR;
	}
out:
	json_object_put(doc);
	return rc;
}

/* Everything ansible-playbook is told through its environment; ours come
 * after config.env so it cannot redirect them. */
