/*
 * replay_main.c - runs a libFuzzer target's entry point on inputs,
 * without libFuzzer: the seed corpus (and saved crash reproducers)
 * become a regression test that any compiler, and the ASan+UBSan build
 * of the library, runs.  See t-fuzz-regress.sh.
 *
 *   usage: replay DIR_OR_FILE...
 *
 * A directory means every regular file in it (names starting with '.'
 * skipped), in name order.  Each input is announced on stderr before it
 * runs, so a crash names its reproducer.  The number of inputs run goes
 * to stdout.  Exit status: 0, or 2 if an argument cannot be read.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* replay_file - run one input; 0 done, -1 unreadable */
static int replay_file(const char *path)
{
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f = fopen(path, "rb");

	if (!f) {
		perror(path);
		return -1;
	}
	for (;;) {
		if (len == cap) {
			unsigned char *nb;

			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				fprintf(stderr, "%s: out of memory\n", path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		perror(path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	/* a copy of exactly len bytes, so ASan sees reads past the end */
	{
		unsigned char *exact = malloc(len ? len : 1);

		if (!exact) {
			free(buf);
			return -1;
		}
		if (len)
			memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	return 0;
}

static int skip_dot(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	long count = 0;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		struct dirent **names;
		struct stat st;
		int n, k;

		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			rc = 2;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (replay_file(argv[i]) == 0)
				count++;
			else
				rc = 2;
			continue;
		}
		n = scandir(argv[i], &names, skip_dot, alphasort);
		if (n < 0) {
			perror(argv[i]);
			rc = 2;
			continue;
		}
		for (k = 0; k < n; k++) {
			char *path;
			size_t plen = strlen(argv[i]) + strlen(names[k]->d_name) + 2;

			path = malloc(plen);
			if (path) {
				snprintf(path, plen, "%s/%s", argv[i], names[k]->d_name);
				if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
					if (replay_file(path) == 0)
						count++;
					else
						rc = 2;
				}
			}
			free(path);
			free(names[k]);
		}
		free(names);
	}
	printf("%ld\n", count);
	return rc;
}
