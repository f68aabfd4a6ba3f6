/*
 * test_providers_git.c - the git side of provider sources
 * (server/providers_git.c) on a real repository over file://: a clone is
 * checked out at a tag, a branch, a commit or the remote's HEAD; an
 * update fetches and moves to the ref's newest commit, saying which it
 * had; a restore puts the old commit back; a ref that is none is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "providers_git.h"
#include "testutil.h"

static char *dir;
static char url[4096];

/* The first line of file name in clone (static buffer). */
static const char *
line_of(const char *clone, const char *name)
{
	static char buf[256];
	FILE *fp = fopen(tu_path(clone, name), "r");

	buf[0] = '\0';
	if (fp != NULL) {
		if (fgets(buf, sizeof(buf), fp) != NULL)
			buf[strcspn(buf, "\n")] = '\0';
		fclose(fp);
	}
	return buf;
}

static int
setup(void **state)
{
	(void)state;
	if ((dir = tu_mkdtemp("git")) == NULL)
		return -1;
	snprintf(url, sizeof(url), "file://%s/repo", dir);
	return tu_sh("cd '%s' && git init -q repo && cd repo && git symbolic-ref HEAD refs/heads/main "
	          "&& echo one > a.txt && git add a.txt && git commit -qm one && git tag v1 && "
	          "echo two > a.txt && git commit -qam two", dir);
}

static int
teardown(void **state)
{
	(void)state;
	inn_git_shutdown();
	tu_rmrf_free(dir);
	return 0;
}

static void
test_clone_at_tag_branch_and_head(void **state)
{
	char clone[4096], hex[INN_GIT_HEX], hex2[INN_GIT_HEX];

	(void)state;
	snprintf(clone, sizeof(clone), "%s/c1", dir);
	assert_int_equal(inn_git_clone_at(url, "v1", clone, NULL, hex), 0);
	assert_int_equal(strlen(hex), INN_GIT_HEX - 1);
	assert_string_equal(line_of(clone, "a.txt"), "one");
	snprintf(clone, sizeof(clone), "%s/c2", dir);
	assert_int_equal(inn_git_clone_at(url, NULL, clone, NULL, hex2), 0);
	assert_string_equal(line_of(clone, "a.txt"), "two");
	assert_string_not_equal(hex, hex2);
	/* a commit id is a ref too */
	snprintf(clone, sizeof(clone), "%s/c3", dir);
	assert_int_equal(inn_git_clone_at(url, hex, clone, NULL, hex2), 0);
	assert_string_equal(hex, hex2);
	assert_string_equal(line_of(clone, "a.txt"), "one");
	snprintf(clone, sizeof(clone), "%s/c4", dir);
	assert_int_equal(inn_git_clone_at(url, "no-such-branch", clone, NULL, hex), INN_EINVAL);
	assert_non_null(strstr(inn_error_last(), "\"no-such-branch\" is not a branch, tag or commit"));
	snprintf(clone, sizeof(clone), "%s/c5", dir);
	assert_true(inn_git_clone_at("file:///nonexistent/repo", NULL, clone, NULL, hex) < 0);
	assert_non_null(strstr(inn_error_last(), "git clone of file:///nonexistent/repo"));
}

static void
test_update_then_restore(void **state)
{
	char clone[4096], first[INN_GIT_HEX], old[INN_GIT_HEX], now[INN_GIT_HEX];

	(void)state;
	snprintf(clone, sizeof(clone), "%s/u", dir);
	assert_int_equal(inn_git_clone_at(url, "main", clone, NULL, first), 0);
	assert_int_equal(tu_sh("cd '%s/repo' && echo three > a.txt && git commit -qam three", dir), 0);
	assert_int_equal(inn_git_update(url, "main", clone, NULL, old, now), 0);
	assert_string_equal(old, first);
	assert_string_not_equal(now, first);
	assert_string_equal(line_of(clone, "a.txt"), "three");
	inn_git_restore(clone, old);
	assert_string_equal(line_of(clone, "a.txt"), "two");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clone_at_tag_branch_and_head),
		cmocka_unit_test(test_update_then_restore),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
