/*
 * ms_limits.h - every hard limit of mailseal, named once.
 *
 * Untrusted input is bounded by these numbers; exceeding one is an input
 * error with a verdict, never a crash or unbounded growth.  Memory used
 * per message is bounded by the header limits alone: bodies stream.
 */
#ifndef MAILSEAL_MS_LIMITS_H
#define MAILSEAL_MS_LIMITS_H

/* Header block of one message. */
#define MS_MAX_HEADERS          1000            /* header fields */
#define MS_MAX_FIELD_BYTES      (256 * 1024)    /* one field, folded */
#define MS_MAX_HEADER_BYTES     (2 * 1024 * 1024) /* whole header block */

/* DKIM-Signature handling. */
#define MS_DEFAULT_MAX_SIGS     5       /* signatures verified by default */
#define MS_MAX_SIGS             64      /* ceiling for the configurable cap */
#define MS_MAX_TAGS             64      /* tags in one tag-list */
#define MS_MAX_SIGNED_HEADERS   128     /* names in one h= */
#define MS_MAX_SIGN_KEYS        8       /* signatures added in one pass */

/* Keys. */
#define MS_MIN_RSA_BITS         1024    /* RFC 8301: smaller keys fail */
#define MS_MAX_RSA_BITS         8192
#define MS_DEFAULT_RSA_BITS     2048
#define MS_MAX_KEY_RECORD       8192    /* bytes of one key TXT record */
#define MS_MAX_KEY_RECORDS      8       /* TXT records at one key name */
#define MS_MAX_DOMAIN           253     /* d=, s= and query names */

/* DMARC (RFC 9989). */
#define MS_DMARC_WALK_MAX       8       /* queries of one DNS Tree Walk */
#define MS_DMARC_WALK_LABELS    7       /* a long name jumps to this many */
#define MS_DMARC_MAX_AUTHORS    8       /* ceiling of max_author_domains */
#define MS_DMARC_ROW_SIGS       8       /* DKIM results kept in a report row */
#define MS_DMARC_ROW_MAX        4096    /* bytes of one serialized report row */
#define MS_DMARC_ROW_REASONS    4       /* override reasons of one row */

/* Streaming. */
#define MS_CANON_STAGE          (16 * 1024) /* canonical bytes per hash update */
#define MS_IO_CHUNK             (64 * 1024) /* read size of the CLI */

#endif
