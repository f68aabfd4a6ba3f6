/*
 * fixture.h - shared parts of the ABI fixture plugins.  Each fixture is a
 * real shared object that gets one thing right or wrong on purpose.  Their
 * constructors and functions leave marker files in $INN_TEST_MARKER_DIR so
 * tests can prove which plugin code ran (and which never did).
 */
#ifndef INN_TEST_FIXTURE_H
#define INN_TEST_FIXTURE_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <innominatus/plugin.h>

/* Creates $INN_TEST_MARKER_DIR/<what> if the variable is set. */
static inline void
fixture_mark(const char *what)
{
	const char *dir = getenv("INN_TEST_MARKER_DIR");
	char path[4096];
	int fd;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, what);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0)
		close(fd);
}

static inline int
fixture_execute(void *state, const inn_host *host, inn_step *step)
{
	(void)state;
	return host->output(step, "ran", host->step_type(step), 0);
}

#define FIXTURE_CONSTRUCTOR(tag)                                               \
	__attribute__((constructor)) static void fixture_ctor(void)            \
	{                                                                      \
		fixture_mark(tag ".ctor");                                     \
	}

#endif
