/*
 * replay.c - runs a libFuzzer target over its corpus without libFuzzer, so
 * `make check` (and the sanitizer build) replays every saved input.  Usage:
 * replay_<target> [FILE-OR-DIR...]; without arguments it replays
 * $INN_TOP_SRCDIR/tests/fuzz/corpus/<target>.  Prints TAP.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (fp == NULL)
		return -1;
	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 || (buf = malloc((size_t)len + 1)) == NULL) {
		fclose(fp);
		return -1;
	}
	if (fread(buf, 1, (size_t)len, fp) != (size_t)len) {
		free(buf);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

/* Replays a file or every regular file of a directory; returns the count
 * run or -1. */
static long
replay(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *dp;
	long n = 0;

	if (stat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return run_file(path) == 0 ? 1 : -1;
	if ((dp = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL) {
		char sub[4096];

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (stat(sub, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(sub) != 0) {
				closedir(dp);
				return -1;
			}
			n++;
		}
	}
	closedir(dp);
	return n;
}

int
main(int argc, char **argv)
{
	static char def[4096];
	char *defv[2];
	int i, fail = 0;

	if (argc < 2) {
		const char *top = getenv("INN_TOP_SRCDIR");
		const char *name = strrchr(argv[0], '/');

		name = name ? name + 1 : argv[0];
		if (strncmp(name, "replay_", 7) == 0)
			name += 7;
		snprintf(def, sizeof(def), "%s/tests/fuzz/corpus/%s", top ? top : ".", name);
		defv[0] = argv[0];
		defv[1] = def;
		argv = defv;
		argc = 2;
	}

	printf("1..%d\n", argc - 1);
	for (i = 1; i < argc; i++) {
		long n = replay(argv[i]);

		if (n < 0) {
			printf("not ok %d - cannot read %s\n", i, argv[i]);
			fail = 1;
		} else {
			printf("ok %d - replayed %ld inputs from %s\n", i, n, argv[i]);
		}
	}
	return fail;
}
