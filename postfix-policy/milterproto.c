/*
 * milterproto.c - milter packets: framing, payload readers, replies.
 */
#include <arpa/inet.h>
#include <string.h>

#include "milterproto.h"

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* milter_frame - the packet at the start of p */
long milter_frame(const unsigned char *p, size_t len,
		  struct milter_packet *pkt)
{
	uint32_t n;

	if (len < 4)
		return 0;
	n = get32(p);
	if (n == 0 || n > MILTER_MAX_PACKET)
		return -1;
	if (len - 4 < n)
		return 0;
	pkt->cmd = p[4];
	pkt->data = p + 5;
	pkt->len = n - 1;
	return (long)n + 4;
}

/* milter_strings - the data as NUL-terminated strings */
int milter_strings(const struct milter_packet *pkt, const char **s,
		   size_t max)
{
	size_t i = 0, n = 0;

	if (pkt->len == 0 || pkt->data[pkt->len - 1] != 0)
		return -1;
	while (i < pkt->len) {
		const unsigned char *z = memchr(pkt->data + i, 0, pkt->len - i);

		if (n == max)
			return -1;
		s[n++] = (const char *)pkt->data + i;
		i = (size_t)(z - pkt->data) + 1;
	}
	return (int)n;
}

/* milter_optneg - version, actions, protocol */
enum ms_status milter_optneg(const struct milter_packet *pkt,
			     uint32_t *version, uint32_t *actions,
			     uint32_t *protocol)
{
	if (pkt->len < 12)
		return MS_ERR_SYNTAX;
	*version = get32(pkt->data);
	*actions = get32(pkt->data + 4);
	*protocol = get32(pkt->data + 8);
	return MS_OK;
}

/* milter_connect - host, family, port, address */
enum ms_status milter_connect(const struct milter_packet *pkt,
			      const char **host, char *family,
			      unsigned *port, const char **addr)
{
	const unsigned char *z = memchr(pkt->data, 0, pkt->len);
	size_t i;

	if (!z || z == pkt->data)
		return MS_ERR_SYNTAX;
	*host = (const char *)pkt->data;
	i = (size_t)(z - pkt->data) + 1;
	if (i >= pkt->len)
		return MS_ERR_SYNTAX;
	*family = (char)pkt->data[i++];
	*port = 0;
	*addr = "";
	if (*family == 'U')
		return i == pkt->len ? MS_OK : MS_ERR_SYNTAX;
	if (*family != '4' && *family != '6' && *family != 'L')
		return MS_ERR_SYNTAX;
	if (pkt->len - i < 3)           /* port and at least a NUL */
		return MS_ERR_SYNTAX;
	*port = (unsigned)pkt->data[i] << 8 | pkt->data[i + 1];
	i += 2;
	z = memchr(pkt->data + i, 0, pkt->len - i);
	if (!z || (size_t)(z - pkt->data) + 1 != pkt->len)
		return MS_ERR_SYNTAX;
	*addr = (const char *)pkt->data + i;
	return MS_OK;
}

/* milter_macros - the stage, then name/value pairs */
enum ms_status milter_macros(const struct milter_packet *pkt, char *stage,
			     const char **nv, size_t max, size_t *n)
{
	struct milter_packet rest;
	int k;

	if (pkt->len < 1)
		return MS_ERR_SYNTAX;
	*stage = (char)pkt->data[0];
	*n = 0;
	if (pkt->len == 1)
		return MS_OK;           /* no macros for that stage */
	rest.cmd = pkt->cmd;
	rest.data = pkt->data + 1;
	rest.len = pkt->len - 1;
	k = milter_strings(&rest, nv, max);
	if (k < 0 || k % 2)
		return MS_ERR_SYNTAX;
	*n = (size_t)k;
	return MS_OK;
}

/* milter_header - name and value */
enum ms_status milter_header(const struct milter_packet *pkt,
			     const char **name, const char **value)
{
	const char *s[2];

	if (milter_strings(pkt, s, 2) != 2 || !*s[0])
		return MS_ERR_SYNTAX;
	*name = s[0];
	*value = s[1];
	return MS_OK;
}

/* milter_put - one packet */
enum ms_status milter_put(struct buf *out, unsigned char cmd,
			  const void *data, size_t len)
{
	uint32_t n = htonl((uint32_t)len + 1);
	enum ms_status st;

	if (len + 1 > MILTER_MAX_PACKET)
		return MS_ERR_LIMIT;
	st = buf_append(out, &n, 4);
	if (st == MS_OK)
		st = buf_putc(out, cmd);
	if (st == MS_OK && len)
		st = buf_append(out, data, len);
	return st;
}

/* milter_put_optneg - the negotiation reply, macro lists after it */
enum ms_status milter_put_optneg(struct buf *out, uint32_t version,
				 uint32_t actions, uint32_t protocol,
				 const struct milter_symlist *lists, size_t n)
{
	uint32_t v[3] = { htonl(version), htonl(actions), htonl(protocol) };
	enum ms_status st;
	struct buf b;
	size_t i;

	buf_init(&b, 4096);
	st = buf_append(&b, v, sizeof(v));
	for (i = 0; i < n && st == MS_OK; i++) {
		uint32_t stage = htonl(lists[i].stage);

		st = buf_append(&b, &stage, 4);
		if (st == MS_OK)
			st = buf_append(&b, lists[i].names, strlen(lists[i].names) + 1);
	}
	if (st == MS_OK)
		st = milter_put(out, SMFIC_OPTNEG, b.data, b.len);
	buf_free(&b);
	return st;
}

/* milter_put_reply - "CODE DSN TEXT", '%' doubled */
enum ms_status milter_put_reply(struct buf *out, unsigned code,
				const char *dsn, const char *text)
{
	struct buf b;
	enum ms_status st;

	buf_init(&b, MILTER_MAX_PACKET - 1);
	st = buf_printf(&b, "%03u %s ", code, dsn);
	for (; *text && st == MS_OK; text++) {
		if (*text == '\r' || *text == '\n')
			continue;
		if (*text == '%')
			st = buf_putc(&b, '%');
		if (st == MS_OK)
			st = buf_putc(&b, (unsigned char)*text);
	}
	if (st == MS_OK)
		st = buf_putc(&b, 0);
	if (st == MS_OK)
		st = milter_put(out, SMFIR_REPLYCODE, b.data, b.len);
	buf_free(&b);
	return st;
}

/* milter_put_header - index, name, value with LF folds */
enum ms_status milter_put_header(struct buf *out, unsigned char cmd,
				 uint32_t index, const char *name,
				 const char *value)
{
	uint32_t idx = htonl(index);
	struct buf b;
	enum ms_status st;

	buf_init(&b, MILTER_MAX_PACKET - 1);
	st = buf_append(&b, &idx, 4);
	if (st == MS_OK)
		st = buf_append(&b, name, strlen(name) + 1);
	for (; *value && st == MS_OK; value++)
		if (!(value[0] == '\r' && value[1] == '\n'))
			st = buf_putc(&b, (unsigned char)*value);
	if (st == MS_OK)
		st = buf_putc(&b, 0);
	if (st == MS_OK)
		st = milter_put(out, cmd, b.data, b.len);
	buf_free(&b);
	return st;
}
