/*
 * fuzz_milter.c - libFuzzer target: milter packets as a stream
 * (milter_frame), each read by the payload reader of its command
 * (negotiation, macros, connect, header, strings), and the reply
 * writers over what was read.
 *
 * Checked: a frame never claims bytes past the input; every string a
 * reader returns ends at a NUL inside the packet.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "milterproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const struct milter_packet *pkt, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (p < pkt->data || p >= pkt->data + pkt->len ||
	    !memchr(p, 0, (size_t)(pkt->data + pkt->len - p)))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out;
	size_t off = 0;

	buf_init(&out, 4 * MILTER_MAX_PACKET);
	while (off < size) {
		struct milter_packet pkt;
		const char *s[MILTER_MAX_ARGS], *a, *b;
		long used = milter_frame(data + off, size - off, &pkt);
		uint32_t v, ac, pr;
		unsigned port;
		size_t n, i;
		char c;
		int k;

		if (used <= 0)
			break;
		if ((size_t)used > size - off || pkt.data + pkt.len > data + size)
			__builtin_trap();
		switch (pkt.cmd) {
		case SMFIC_OPTNEG:
			if (milter_optneg(&pkt, &v, &ac, &pr) == MS_OK)
				milter_put_optneg(&out, v, ac, pr, NULL, 0);
			break;
		case SMFIC_MACRO:
			if (milter_macros(&pkt, &c, s, MILTER_MAX_ARGS, &n) == MS_OK)
				for (i = 0; i < n; i++)
					inside(&pkt, s[i]);
			break;
		case SMFIC_CONNECT:
			if (milter_connect(&pkt, &a, &c, &port, &b) == MS_OK) {
				inside(&pkt, a);
				if (c != 'U')
					inside(&pkt, b);
			}
			break;
		case SMFIC_HEADER:
			if (milter_header(&pkt, &a, &b) == MS_OK) {
				inside(&pkt, a);
				inside(&pkt, b);
				buf_reset(&out);
				milter_put_header(&out, SMFIR_INSHEADER, 0, a, b);
				milter_put_reply(&out, 550, "5.7.1", b);
			}
			break;
		default:
			k = milter_strings(&pkt, s, MILTER_MAX_ARGS);
			for (i = 0; k > 0 && i < (size_t)k; i++)
				inside(&pkt, s[i]);
			break;
		}
		off += (size_t)used;
	}
	buf_free(&out);
	return 0;
}
