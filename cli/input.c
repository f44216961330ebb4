/*
 * input.c - how the mailseal command reads a message: in chunks, fed to
 * an engine as they come, and never further than the message can
 * matter.
 *
 * Every engine (signer, verifier, policy) ignores what follows a header
 * block that broke a limit of ms_limits.h, so reading on would only
 * burn time: a 2 GB file, or /dev/zero, which never ends.  A reader of
 * our own watches the header block (the same msgreader the engines
 * use, fed the same bytes, so it fails exactly where they do) and
 * reading stops there.  Memory is bounded by the header limits; bodies
 * stream.
 *
 * A message that must be read twice but cannot be (a pipe) is copied to
 * a spool file as it is read, bounded by the caller's limit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ms_limits.h"
#include "msgreader.h"
#include "numparse.h"

/* cli_read_message - feed the whole message, or up to a broken header
 * limit */
enum cli_read cli_read_message(FILE *in, cli_feed_fn feed, void *arg,
			       FILE *spool, uint64_t spool_max,
			       uint64_t *nread, struct ms_error *err)
{
	struct msgreader watch;
	unsigned char *chunk = malloc(MS_IO_CHUNK);
	enum cli_read r = CLI_READ_END;
	uint64_t total = 0;
	size_t n;

	ms_error_clear(err);
	if (!chunk) {
		ms_error_set(err, MS_ERR_IO, "out of memory");
		return CLI_READ_ERROR;
	}
	msgreader_init(&watch, NULL, NULL, NULL);
	while ((n = fread(chunk, 1, MS_IO_CHUNK, in)) > 0) {
		total += n;
		feed(arg, chunk, n);
		if (watch.state == MR_HEADERS &&
		    msgreader_feed(&watch, chunk, n) != MS_OK) {
			ms_error_set(err, MS_ERR_LIMIT, "%s", watch.err.msg);
			r = CLI_READ_HEADER_LIMIT;
			break;
		}
		if (spool) {
			/* checked before the bytes go in (total - n are
			 * there), so the spool never holds more than
			 * spool_max */
			if (n > spool_max - (total - n)) {
				ms_error_set(err, MS_ERR_LIMIT,
					     "the message is larger than the spool limit of %llu bytes; raise it with --max-spool SIZE",
					     (unsigned long long)spool_max);
				r = CLI_READ_SPOOL_FULL;
				break;
			}
			if (fwrite(chunk, 1, n, spool) != n) {
				ms_error_set(err, MS_ERR_IO,
					     "cannot write the spool file: %s",
					     strerror(errno));
				r = CLI_READ_ERROR;
				break;
			}
		}
	}
	if (r == CLI_READ_END && ferror(in)) {
		ms_error_set(err, MS_ERR_IO, "%s", strerror(errno));
		r = CLI_READ_ERROR;
	}
	if (r == CLI_READ_END && spool &&
	    (fflush(spool) != 0 || fseek(spool, 0, SEEK_SET) != 0)) {
		ms_error_set(err, MS_ERR_IO, "cannot write the spool file: %s",
			     strerror(errno));
		r = CLI_READ_ERROR;
	}
	msgreader_free(&watch);
	free(chunk);
	if (nread)
		*nread = total;
	return r;
}

/* cli_spool_open - an anonymous file in $TMPDIR (or /tmp) */
FILE *cli_spool_open(struct ms_error *err)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	FILE *f;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/mailseal-spool.XXXXXX",
			     dir) >= sizeof(path)) {
		ms_error_set(err, MS_ERR_USAGE, "TMPDIR is too long");
		return NULL;
	}
	fd = mkstemp(path);
	if (fd < 0) {
		ms_error_set(err, MS_ERR_IO,
			     "cannot make a spool file in %s (TMPDIR): %s", dir,
			     strerror(errno));
		return NULL;
	}
	/* nameless from the start: nothing is left behind, whatever ends
	 * the process */
	unlink(path);
	f = fdopen(fd, "w+b");
	if (!f) {
		ms_error_set(err, MS_ERR_IO, "cannot open the spool file: %s",
			     strerror(errno));
		close(fd);
	}
	return f;
}

/* cli_parse_size - "N", "Nk", "NM" or "NG" (powers of 1024), above 0 */
int cli_parse_size(const char *s, uint64_t *out)
{
	size_t len = strlen(s);
	unsigned shift = 0;
	uint64_t v;

	if (len > 0) {
		switch (s[len - 1]) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: break;
		}
	}
	if (shift)
		len--;
	if (num_parse_u64((const unsigned char *)s, len, UINT64_MAX >> shift,
			  &v) != MS_OK || v == 0)
		return -1;
	*out = v << shift;
	return 0;
}
