/*
 * testutil.c - helpers for the unit tests (see testutil.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "exec.h"
#include "host.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *
tu_mkdtemp(const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	char tmpl[4096], *out;

	snprintf(tmpl, sizeof(tmpl), "%s/inn-test-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp",
	         tag);
	if (mkdtemp(tmpl) == NULL)
		return NULL;
	chmod(tmpl, 0755);
	out = strdup(tmpl);
	return out;
}

void
tu_rmrf(const char *path)
{
	inn_rmrf(path);
}

int
tu_copy(const char *src, const char *dir, const char *name, mode_t mode)
{
	char dst[4096], buf[65536];
	int in, out, rc = -1;
	ssize_t n;

	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	if ((in = open(src, O_RDONLY)) < 0)
		return -1;
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		goto out;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			goto out;
	if (n == 0 && fchmod(out, mode) == 0)
		rc = 0;
out:
	close(in);
	if (out >= 0)
		close(out);
	return rc;
}

int
tu_write(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	int rc;

	if (fp == NULL)
		return -1;
	rc = fputs(text, fp) < 0 ? -1 : 0;
	if (fclose(fp) != 0)
		rc = -1;
	return rc;
}

int
tu_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

const char *
tu_fixture(const char *name)
{
	static char buf[4096];
	const char *dir = getenv("INN_FIXTURE_DIR");

	snprintf(buf, sizeof(buf), "%s/%s.so", dir ? dir : "tests/plugins/.libs", name);
	return buf;
}

const char *
tu_path(const char *dir, const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

int
tu_contains(const char *hay, const char *needle)
{
	if (hay != NULL && strstr(hay, needle) != NULL)
		return 1;
	printf("# expected: %s\n#      got: %s\n", needle, hay ? hay : "(null)");
	fflush(stdout);
	return 0;
}

const inn_step_result *
tu_step(const inn_run *run, const char *name)
{
	size_t i;

	for (i = 0; i < inn_run_nsteps(run); i++)
		if (strcmp(inn_run_step(run, i)->def->name, name) == 0)
			return inn_run_step(run, i);
	fail_msg("no step %s", name);
	return NULL;
}

const char *
tu_out(const inn_step_result *s, const char *key)
{
	json_object *v;

	if (s->outputs == NULL || !json_object_object_get_ex(s->outputs, key, &v))
		return NULL;
	return json_object_get_string(v);
}

int
tu_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	pid_t p;
	int st = 0;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if ((p = fork()) == 0) {
		setenv("GIT_AUTHOR_NAME", "Test", 1);
		setenv("GIT_AUTHOR_EMAIL", "test@example.org", 1);
		setenv("GIT_COMMITTER_NAME", "Test", 1);
		setenv("GIT_COMMITTER_EMAIL", "test@example.org", 1);
		setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) != p)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}
