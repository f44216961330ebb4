/*
 * dnsqvalue.c - encode and check cached DNS answers (dnsqvalue.h).
 */
#include <string.h>

#include "crypto.h"
#include "dnsqvalue.h"
#include "farmvalue.h"

#define DQV_MAGIC "MSD1"
#define DQV_LABEL "mailseal-dns"
#define DQV_HEAD (4 + 1 + 2 + 1 + 8 + 2 + 1)
#define DQV_MAC FARMVALUE_MAC_LEN
#define DQV_NAME_MAX 255
#define DQV_TXT_MAX 65535

/* dqv_put16 - append v as two bytes, big-endian */
static enum ms_status dqv_put16(struct buf *b, unsigned v)
{
	unsigned char two[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	return buf_append(b, two, 2);
}

static unsigned dqv_get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* dqv_name_ok - a name we keep: 1..255 printable bytes, no space */
static int dqv_name_ok(const unsigned char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > DQV_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return 0;
	return 1;
}

/* dqv_type_ok - one of the types dnsq asks */
static int dqv_type_ok(unsigned t)
{
	return t == DNSQ_A || t == DNSQ_AAAA || t == DNSQ_MX ||
	       t == DNSQ_PTR || t == DNSQ_TXT;
}

/* dqv_question - "TYPE:name": what a value answers, under its MAC */
static void dqv_question(struct buf *q, const char *name, enum dnsq_type t)
{
	buf_init(q, BUF_UNLIMITED);
	buf_puts(q, dnsq_type_str(t));
	buf_putc(q, ':');
	buf_puts(q, name);
}

/* dqv_mac - the HMAC of a value of question t at name */
static enum ms_status dqv_mac(const char *name, enum dnsq_type t,
			      const unsigned char *p, size_t len,
			      const char *secret, unsigned char *mac)
{
	struct buf q;
	enum ms_status st;

	dqv_question(&q, name, t);
	st = farmvalue_mac(DQV_LABEL, buf_str(&q), p, len, secret, mac);
	buf_free(&q);
	return st;
}

/* dqv_put_rr - append one record of type t */
static enum ms_status dqv_put_rr(struct buf *b, enum dnsq_type t,
				 const struct dnsq_rr *r)
{
	size_t n;

	switch (t) {
	case DNSQ_A:
		return buf_append(b, r->addr, 4);
	case DNSQ_AAAA:
		return buf_append(b, r->addr, 16);
	case DNSQ_MX:
		/* the preference, then the exchange as a PTR target */
		if (dqv_put16(b, r->pref) != MS_OK)
			return MS_ERR_LIMIT;
		/* fall through */
	case DNSQ_PTR:
		n = r->name ? strlen(r->name) : 0;
		if (!dqv_name_ok((const unsigned char *)r->name, n) ||
		    buf_putc(b, (int)n) != MS_OK)
			return MS_ERR_LIMIT;
		return buf_append(b, r->name, n);
	case DNSQ_TXT:
		if (r->txt_len > DQV_TXT_MAX || (r->txt_len && !r->txt) ||
		    dqv_put16(b, (unsigned)r->txt_len) != MS_OK)
			return MS_ERR_LIMIT;
		return r->txt_len ? buf_append(b, r->txt, r->txt_len) : MS_OK;
	}
	return MS_ERR_UNSUPPORTED;
}

/* dnsqvalue_encode - append the value of an answer */
enum ms_status dnsqvalue_encode(const char *name, enum dnsq_type t,
				const struct dnsq_answer *ans,
				uint64_t expires, const char *secret,
				struct buf *out)
{
	unsigned char head[DQV_HEAD];
	size_t start = out->len, i;
	int k;

	if (!dqv_type_ok(t) || ans->status == DNSQ_TEMPFAIL)
		return MS_ERR_UNSUPPORTED;
	if ((ans->status == DNSQ_OK) != (ans->n > 0) || ans->n > DNSQ_MAX_RRS)
		return MS_ERR_LIMIT;
	memcpy(head, DQV_MAGIC, 4);
	head[4] = ans->status == DNSQ_OK ? 'O'
		  : ans->status == DNSQ_NODATA ? 'D' : 'X';
	head[5] = (unsigned char)((unsigned)t >> 8);
	head[6] = (unsigned char)t;
	head[7] = ans->secure ? 1 : 0;
	for (k = 0; k < 8; k++)
		head[8 + k] = (unsigned char)(expires >> (56 - 8 * k));
	head[16] = (unsigned char)((ans->dropped > 0xffff ? 0xffff
				    : ans->dropped) >> 8);
	head[17] = (unsigned char)(ans->dropped > 0xffff ? 0xff : ans->dropped);
	head[18] = (unsigned char)ans->n;
	if (ans->status != DNSQ_OK && ans->dropped)
		return MS_ERR_LIMIT;
	if (buf_append(out, head, sizeof(head)) != MS_OK)
		goto limit;
	for (i = 0; i < ans->n; i++)
		if (dqv_put_rr(out, t, &ans->rr[i]) != MS_OK)
			goto limit;
	if (out->len - start > DNSQVALUE_MAX - DQV_MAC)
		goto limit;
	{
		struct buf q;
		enum ms_status st;

		dqv_question(&q, name, t);
		st = farmvalue_seal(DQV_LABEL, buf_str(&q), out, start, secret);
		buf_free(&q);
		return st;
	}
limit:
	buf_truncate(out, start);
	return MS_ERR_LIMIT;
}

/* dqv_get_name - a name of length byte + bytes at p[*pos..end) */
static const char *dqv_get_name(const unsigned char *p, size_t end,
				size_t *pos, struct arena *arena)
{
	size_t n;
	const char *s;

	if (end - *pos < 1)
		return NULL;
	n = p[*pos];
	if (n > end - *pos - 1 || !dqv_name_ok(p + *pos + 1, n))
		return NULL;
	s = arena_memdup(arena, p + *pos + 1, n);
	*pos += 1 + n;
	return s;
}

/* dqv_get_rr - one record of type t at p[*pos..end) */
static int dqv_get_rr(const unsigned char *p, size_t end, size_t *pos,
		      enum dnsq_type t, struct arena *arena,
		      struct dnsq_rr *r)
{
	size_t n;

	memset(r, 0, sizeof(*r));
	switch (t) {
	case DNSQ_A:
	case DNSQ_AAAA:
		n = t == DNSQ_A ? 4 : 16;
		if (end - *pos < n)
			return -1;
		memcpy(r->addr, p + *pos, n);
		*pos += n;
		return 0;
	case DNSQ_MX:
		if (end - *pos < 2)
			return -1;
		r->pref = (uint16_t)dqv_get16(p + *pos);
		*pos += 2;
		/* fall through */
	case DNSQ_PTR:
		r->name = dqv_get_name(p, end, pos, arena);
		return r->name ? 0 : -1;
	case DNSQ_TXT:
		if (end - *pos < 2)
			return -1;
		n = dqv_get16(p + *pos);
		*pos += 2;
		if (n > end - *pos)
			return -1;
		r->txt = (const unsigned char *)arena_memdup(arena, p + *pos, n);
		r->txt_len = n;
		*pos += n;
		return 0;
	}
	return -1;
}

/* dnsqvalue_decode - parse and check a cached value */
enum ms_status dnsqvalue_decode(const char *name, enum dnsq_type t,
				const unsigned char *p, size_t len,
				const char *secret, struct arena *arena,
				struct dnsq_answer *ans, uint64_t *expires)
{
	unsigned char mac[DQV_MAC];
	size_t body = len, pos = DQV_HEAD, i, n;
	uint64_t exp = 0;
	int k;

	memset(ans, 0, sizeof(*ans));
	if (len < 4 || memcmp(p, DQV_MAGIC, 4) != 0)
		return MS_ERR_UNSUPPORTED;
	if (len > DNSQVALUE_MAX)
		return MS_ERR_SYNTAX;
	if (secret && *secret) {
		if (len < DQV_HEAD + DQV_MAC)
			return MS_ERR_SYNTAX;
		body = len - DQV_MAC;
		if (dqv_mac(name, t, p, body, secret, mac) != MS_OK)
			return MS_ERR_CRYPTO;
		if (!crypto_memeq(mac, p + body, DQV_MAC))
			return MS_ERR_CRYPTO;
	}
	if (body < DQV_HEAD || body > DNSQVALUE_MAX - DQV_MAC ||
	    !memchr("ODX", p[4], 3) ||
	    dqv_get16(p + 5) != (unsigned)t || !dqv_type_ok(t) || p[7] > 1)
		return MS_ERR_SYNTAX;
	for (k = 0; k < 8; k++)
		exp = exp << 8 | p[8 + k];
	ans->dropped = dqv_get16(p + 16);
	n = p[18];
	if (n > DNSQ_MAX_RRS || (p[4] == 'O') != (n > 0) ||
	    (p[4] != 'O' && ans->dropped))
		return MS_ERR_SYNTAX;
	if (n) {
		ans->rr = arena_alloc(arena, n * sizeof(*ans->rr));
		for (i = 0; i < n; i++)
			if (dqv_get_rr(p, body, &pos, t, arena, &ans->rr[i]) != 0)
				goto bad;
	}
	if (pos != body)
		goto bad;
	ans->n = n;
	ans->status = p[4] == 'O' ? DNSQ_OK
		      : p[4] == 'D' ? DNSQ_NODATA : DNSQ_NXDOMAIN;
	ans->secure = p[7];
	*expires = exp;
	return MS_OK;
bad:
	memset(ans, 0, sizeof(*ans));
	return MS_ERR_SYNTAX;
}
