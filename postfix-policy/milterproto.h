/*
 * milterproto.h - the Sendmail 8 milter protocol, version 6, as
 * Postfix speaks it (MILTER_README): packet framing, the payloads of
 * the commands mailseal reads, and the replies it writes.  No I/O here.
 *
 * A packet is a 32-bit length in network order (the command byte and
 * the data), the command byte, then the data.  Strings in the data are
 * NUL-terminated.  The readers return pointers into the packet (never
 * writing to it): every string they return ends at a NUL inside the
 * packet.  A packet longer than MILTER_MAX_PACKET, of length 0, or
 * whose data does not have the shape its command requires is an error:
 * the caller drops the connection, and Postfix applies
 * milter_default_action.
 */
#ifndef MAILSEAL_MILTERPROTO_H
#define MAILSEAL_MILTERPROTO_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "status.h"

#define MILTER_MAX_PACKET (1024 * 1024)
#define MILTER_MAX_ARGS   64            /* strings in one MAIL/RCPT/MACRO */

/* commands, MTA to filter */
#define SMFIC_ABORT     'A'
#define SMFIC_BODY      'B'
#define SMFIC_CONNECT   'C'
#define SMFIC_MACRO     'D'
#define SMFIC_BODYEOB   'E'
#define SMFIC_HELO      'H'
#define SMFIC_QUIT_NC   'K'
#define SMFIC_HEADER    'L'
#define SMFIC_MAIL      'M'
#define SMFIC_EOH       'N'
#define SMFIC_OPTNEG    'O'
#define SMFIC_QUIT      'Q'
#define SMFIC_RCPT      'R'
#define SMFIC_DATA      'T'
#define SMFIC_UNKNOWN   'U'

/* replies, filter to MTA */
#define SMFIR_ACCEPT    'a'
#define SMFIR_CONTINUE  'c'
#define SMFIR_CHGHEADER 'm'
#define SMFIR_INSHEADER 'i'
#define SMFIR_REPLYCODE 'y'
#define SMFIR_TEMPFAIL  't'
#define SMFIR_QUARANTINE 'q'

/* what the filter may do (actions) */
#define SMFIF_ADDHDRS   0x01u
#define SMFIF_CHGHDRS   0x10u
#define SMFIF_QUARANTINE 0x20u
#define SMFIF_SETSYMLIST 0x100u

/* the stages a filter may name the macros it wants for */
#define SMFIM_CONNECT   0
#define SMFIM_ENVFROM   2
#define SMFIM_EOM       5
#define SMFIM_EOH       6

/* what the MTA need not send, need not wait for (protocol) */
#define SMFIP_NOCONNECT   0x000001u
#define SMFIP_NOHELO      0x000002u
#define SMFIP_NOMAIL      0x000004u
#define SMFIP_NORCPT      0x000008u
#define SMFIP_NOBODY      0x000010u
#define SMFIP_NOHDRS      0x000020u
#define SMFIP_NOEOH       0x000040u
#define SMFIP_NR_HDR      0x000080u
#define SMFIP_NOUNKNOWN   0x000100u
#define SMFIP_NODATA      0x000200u
#define SMFIP_NR_CONN     0x001000u
#define SMFIP_NR_HELO     0x002000u
#define SMFIP_NR_MAIL     0x004000u
#define SMFIP_NR_RCPT     0x008000u
#define SMFIP_NR_DATA     0x010000u
#define SMFIP_NR_UNKN     0x020000u
#define SMFIP_NR_EOH      0x040000u
#define SMFIP_NR_BODY     0x080000u
#define SMFIP_HDR_LEADSPC 0x100000u

#define MILTER_VERSION 6

struct milter_packet {
	unsigned char cmd;
	const unsigned char *data;
	size_t len;
};

/* milter_frame - the packet at the start of p[0..len): bytes it takes
 * (4 + its length), 0 when more bytes are needed, -1 when its length
 * is 0 or past MILTER_MAX_PACKET */
long milter_frame(const unsigned char *p, size_t len,
		  struct milter_packet *pkt);

/* milter_strings - the data as NUL-terminated strings: at most max,
 * the last byte a NUL; -1 otherwise, else how many */
int milter_strings(const struct milter_packet *pkt, const char **s,
		   size_t max);
/* milter_optneg - SMFIC_OPTNEG: version, actions, protocol */
enum ms_status milter_optneg(const struct milter_packet *pkt,
			     uint32_t *version, uint32_t *actions,
			     uint32_t *protocol);
/* milter_connect - SMFIC_CONNECT: host name, family ('4', '6', 'L',
 * 'U'), port and address ("" for family 'U') */
enum ms_status milter_connect(const struct milter_packet *pkt,
			      const char **host, char *family,
			      unsigned *port, const char **addr);
/* milter_macros - SMFIC_MACRO: the command they are for, and name /
 * value pairs (n counts names + values) */
enum ms_status milter_macros(const struct milter_packet *pkt, char *stage,
			     const char **nv, size_t max, size_t *n);
/* milter_header - SMFIC_HEADER: name and value */
enum ms_status milter_header(const struct milter_packet *pkt,
			     const char **name, const char **value);

/* milter_put - a packet: command and data, appended to out */
enum ms_status milter_put(struct buf *out, unsigned char cmd,
			  const void *data, size_t len);
/* milter_put_optneg - the reply to SMFIC_OPTNEG; with lists (n pairs
 * of stage and space-separated macro names, actions must include
 * SMFIF_SETSYMLIST) the MTA sends those macros and no others */
struct milter_symlist {
	uint32_t stage;
	const char *names;
};
enum ms_status milter_put_optneg(struct buf *out, uint32_t version,
				 uint32_t actions, uint32_t protocol,
				 const struct milter_symlist *lists, size_t n);
/* milter_put_reply - SMFIR_REPLYCODE "CODE DSN TEXT" ('%' doubled, as
 * the MTA reads it; CR and LF dropped) */
enum ms_status milter_put_reply(struct buf *out, unsigned code,
				const char *dsn, const char *text);
/* milter_put_header - SMFIR_INSHEADER or SMFIR_CHGHEADER: index, name,
 * value (CRLF folds sent as LF, as Postfix expects) */
enum ms_status milter_put_header(struct buf *out, unsigned char cmd,
				 uint32_t index, const char *name,
				 const char *value);

#endif
