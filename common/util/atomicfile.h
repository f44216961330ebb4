/*
 * atomicfile.h - replace a file's contents all at once.
 *
 * The new contents go to a temporary file in the same directory (so
 * that rename(2) cannot cross a file system), which gets the owner,
 * group and mode of the file it replaces; it is flushed to disk
 * (fsync), renamed over the file, and the directory is flushed too.
 * A reader that opens the file at any moment sees the old contents or
 * the new, never a part; after a crash the file is the old one or the
 * new one.  What runs under another user (the MTA reading the signing
 * table) keeps reading it: owner, group and mode are kept, and when
 * they cannot be (not root, not the owner), nothing is replaced and
 * the error says so.
 *
 * Errors are MS_ERR_IO and name the file; the temporary file is
 * removed on any failure.
 */
#ifndef MAILSEAL_ATOMICFILE_H
#define MAILSEAL_ATOMICFILE_H

#include <stddef.h>
#include "status.h"

/* atomicfile_replace - path gets data (len bytes); a file that does not
 * exist yet is created with mode new_mode (the umask does not apply)
 * and the caller's owner and group */
enum ms_status atomicfile_replace(const char *path, const void *data,
				  size_t len, unsigned new_mode,
				  struct ms_error *err);
/* atomicfile_sync_dir - flush the directory that holds path (after a
 * file in it was created, renamed or removed) */
enum ms_status atomicfile_sync_dir(const char *path, struct ms_error *err);

#endif
