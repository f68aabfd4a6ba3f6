/*
 * fixture.h - shared parts of the ABI fixture plugins.  Each fixture is a
 * real shared object that gets one thing right or wrong on purpose.  Their
 * constructors and functions leave marker files in $INN_TEST_MARKER_DIR so
 * tests can prove which plugin code ran (and which never did).  Like the
 * bundled plugins, they see plugin.h and nothing of the server.
 */
#ifndef INN_TEST_FIXTURE_H
#define INN_TEST_FIXTURE_H

#include <fcntl.h>
#include <poll.h>
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

/* Waits ms milliseconds unless the step is cancelled first: then returns
 * INN_ECANCELLED, else INN_OK. */
static inline int
fixture_sleep(const inn_host *host, inn_step *step, int64_t ms)
{
	struct pollfd pfd;

	pfd.fd = host->cancel_fd(step);
	pfd.events = POLLIN;
	return poll(&pfd, 1, (int)ms) > 0 ? INN_ECANCELLED : INN_OK;
}

/*
 * Defines the fixture's descriptor -- every field as given, validate and
 * outputs_schema NULL, the step types last -- and the entry point that
 * returns it.
 */
#define FIXTURE_DESCRIPTOR(magic, major, minor, size, flags, name, version,    \
                           schema, init, execute, fini, ...)                  \
	static const char *const fixture_types[] = { __VA_ARGS__, NULL };      \
	static const inn_plugin_descriptor fixture_desc = {                    \
		(magic), (major), (minor), (size), (flags), (name), (version), \
		fixture_types, (schema), NULL, (init), NULL, (execute), (fini) \
	};                                                                     \
	INN_PLUGIN_EXPORT const inn_plugin_descriptor *                        \
	inn_plugin_describe_v1(void)                                           \
	{                                                                      \
		return &fixture_desc;                                          \
	}

/* A well-formed descriptor of this ABI. */
#define FIXTURE_PLUGIN(name, version, flags, schema, init, execute, fini, ...) \
	FIXTURE_DESCRIPTOR(INN_PLUGIN_MAGIC, INN_PLUGIN_ABI_MAJOR,             \
	                   INN_PLUGIN_ABI_MINOR, sizeof(inn_plugin_descriptor), \
	                   flags, name, version, schema, init, execute, fini,  \
	                   __VA_ARGS__)

#define FIXTURE_CONSTRUCTOR(tag)                                               \
	__attribute__((constructor)) static void fixture_ctor(void)            \
	{                                                                      \
		fixture_mark(tag ".ctor");                                     \
	}

#endif
