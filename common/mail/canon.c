/*
 * canon.c - canonicalization of header fields and streamed bodies
 * (RFC 6376 section 3.4).
 *
 * The body side works line by line with memchr and copies canonical
 * bytes into a fixed staging buffer that goes to the sink in large
 * pieces, so that the hash, not this file, dominates the cost.  Empty
 * lines are counted, not stored: they are emitted only when a line with
 * content follows, which implements "ignore empty lines at the end of
 * the body" in constant memory.
 */
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "canon.h"

static int canon_is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* canon_header - append the canonical form of one field */
enum ms_status canon_header(enum dkim_canon mode, const unsigned char *raw,
			    size_t len, struct buf *out)
{
	const unsigned char *colon, *p, *end = raw + len;
	size_t name_len, i;
	int wsp = 0, any = 0;

	if (mode == DKIM_CANON_SIMPLE)
		return buf_append(out, raw, len);
	colon = memchr(raw, ':', len);
	if (!colon)
		return buf_append(out, raw, len);
	name_len = (size_t)(colon - raw);
	while (name_len > 0 && canon_is_wsp(raw[name_len - 1]))
		name_len--;
	if (buf_reserve(out, len + 2) != MS_OK)
		return MS_ERR_LIMIT;
	for (i = 0; i < name_len; i++) {
		unsigned char c = raw[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + ('a' - 'A'));
		out->data[out->len++] = c;
	}
	out->data[out->len++] = ':';
	for (p = colon + 1; p < end; p++) {
		unsigned char c = *p;

		if (c == '\r' && p + 1 < end && p[1] == '\n') {
			p++;            /* unfold: CRLF disappears */
			continue;
		}
		if (canon_is_wsp(c)) {
			wsp = 1;
			continue;
		}
		if (wsp && any)
			out->data[out->len++] = ' ';
		wsp = 0;
		any = 1;
		out->data[out->len++] = c;
	}
	out->data[out->len++] = '\r';
	out->data[out->len++] = '\n';
	out->data[out->len] = 0;
	return MS_OK;
}

static void cb_flush(struct canon_body *cb)
{
	if (cb->stage_len) {
		cb->sink(cb->sink_arg, cb->stage, cb->stage_len);
		cb->out_len += cb->stage_len;
		cb->stage_len = 0;
	}
}

static void cb_put(struct canon_body *cb, const unsigned char *p, size_t n)
{
	while (n) {
		size_t room = MS_CANON_STAGE - cb->stage_len;
		size_t k = n < room ? n : room;

		memcpy(cb->stage + cb->stage_len, p, k);
		cb->stage_len += k;
		p += k;
		n -= k;
		if (cb->stage_len == MS_CANON_STAGE)
			cb_flush(cb);
	}
}

static void cb_crlf(struct canon_body *cb)
{
	if (MS_CANON_STAGE - cb->stage_len < 2)
		cb_flush(cb);
	cb->stage[cb->stage_len++] = '\r';
	cb->stage[cb->stage_len++] = '\n';
}

/* cb_line_starts - a line gets content: the held empty lines were not
 * the end of the body after all */
static void cb_line_starts(struct canon_body *cb)
{
	while (cb->empty_lines) {
		cb_crlf(cb);
		cb->empty_lines--;
	}
	cb->line_has_content = 1;
}

static void cb_simple_content(struct canon_body *cb, const unsigned char *p,
			      size_t n)
{
	if (!cb->line_has_content)
		cb_line_starts(cb);
	cb_put(cb, p, n);
}

/* zero_bytes - a mask with the high bit of every zero byte of x set,
 * and no other bit (no false positives, unlike the quick variant) */
static uint64_t zero_bytes(uint64_t x)
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;

	return ~(((x & low7) + low7) | x | low7);
}

/* relaxed_is_plain - no tab and no two spaces in a row in p[0..n)?
 * Then relaxed canonicalization leaves the bytes as they are.  Eight
 * bytes at a time on little-endian machines. */
static int relaxed_is_plain(const unsigned char *p, size_t n)
{
	size_t i = 0;
	int prev_sp = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t spaces = 0x2020202020202020ULL;
	const uint64_t tabs = 0x0909090909090909ULL;

	for (; i + 8 <= n; i += 8) {
		uint64_t w, sp;

		memcpy(&w, p + i, 8);
		if (zero_bytes(w ^ tabs))
			return 0;
		sp = zero_bytes(w ^ spaces);
		if ((sp & (sp >> 8)) || (prev_sp && (sp & 0x80)))
			return 0;
		prev_sp = (int)(sp >> 63);
	}
#endif
	for (; i < n; i++) {
		if (p[i] == '\t' || (p[i] == ' ' && prev_sp))
			return 0;
		prev_sp = p[i] == ' ';
	}
	return 1;
}

/* cb_relaxed_slow - the interior of a segment that has runs of WSP or
 * tabs; p[0] and p[n-1] are not WSP */
static void cb_relaxed_slow(struct canon_body *cb, const unsigned char *p,
			    size_t n)
{
	const unsigned char *e = p + n;

	while (p < e) {
		unsigned char *o, *oend;

		if (MS_CANON_STAGE - cb->stage_len < 2)
			cb_flush(cb);
		o = cb->stage + cb->stage_len;
		oend = cb->stage + MS_CANON_STAGE - 1;
		while (p < e && o < oend) {
			unsigned char c = *p;

			if (c > ' ' || !canon_is_wsp(c)) {
				*o++ = c;
				p++;
				continue;
			}
			do
				p++;
			while (p < e && canon_is_wsp(*p));
			*o++ = ' ';     /* never trailing: p[n-1] is not WSP */
		}
		cb->stage_len = (size_t)(o - cb->stage);
	}
}

/* cb_relaxed_content - part of a line (no line end): WSP runs become
 * one SP, WSP at the end of a line goes.  Whitespace at either end of
 * the segment is kept as a pending flag, since the segment may be
 * continued by the next chunk; the interior is copied as one block when
 * it holds no tab and no double space, which is the common case. */
static void cb_relaxed_content(struct canon_body *cb, const unsigned char *p,
			       size_t n)
{
	size_t end;
	int trailing;

	while (n && canon_is_wsp(*p)) {
		cb->wsp_pending = 1;
		p++;
		n--;
	}
	if (n == 0)
		return;
	end = n;
	while (canon_is_wsp(p[end - 1]))
		end--;
	trailing = end < n;
	if (!cb->line_has_content)
		cb_line_starts(cb);
	if (cb->wsp_pending) {
		if (MS_CANON_STAGE - cb->stage_len < 1)
			cb_flush(cb);
		cb->stage[cb->stage_len++] = ' ';
	}
	if (relaxed_is_plain(p, end))
		cb_put(cb, p, end);
	else
		cb_relaxed_slow(cb, p, end);
	cb->wsp_pending = trailing;
}

static void cb_content(struct canon_body *cb, const unsigned char *p,
		       size_t n)
{
	if (cb->mode == DKIM_CANON_RELAXED)
		cb_relaxed_content(cb, p, n);
	else
		cb_simple_content(cb, p, n);
}

static void cb_line_end(struct canon_body *cb)
{
	cb->wsp_pending = 0;            /* trailing WSP goes (relaxed) */
	if (cb->line_has_content)
		cb_crlf(cb);
	else
		cb->empty_lines++;
	cb->line_has_content = 0;
}

/* canon_body_init - start a body in the given mode */
void canon_body_init(struct canon_body *cb, enum dkim_canon mode,
		     canon_sink_fn sink, void *sink_arg)
{
	cb->mode = mode;
	cb->sink = sink;
	cb->sink_arg = sink_arg;
	cb->out_len = 0;
	cb->empty_lines = 0;
	cb->line_has_content = 0;
	cb->wsp_pending = 0;
	cb->cr_held = 0;
	cb->stage_len = 0;
}

/* canon_identity_end - the end of the longest run of whole lines from p
 * on that canonicalization leaves as they are: CRLF line ends and, for
 * relaxed, no tab, no space before a space or CR.  Returns p when the
 * first line does not qualify.  Eight bytes at a time where the byte
 * order allows: most mail is made of such lines. */
static const unsigned char *canon_identity_end(enum dkim_canon mode,
					       const unsigned char *p,
					       const unsigned char *end)
{
	const unsigned char *last = p;         /* after the last good LF */
	const unsigned char *q = p;
	int relaxed = mode == DKIM_CANON_RELAXED;

#if defined(__SSE2__)
	/* 16 bytes at a time; each byte is compared with its neighbours by
	 * loading at q - 1 and q + 1, so the loop starts after p and stops
	 * 17 bytes before the end */
	const __m128i v_lf = _mm_set1_epi8('\n'), v_cr = _mm_set1_epi8('\r');
	const __m128i v_sp = _mm_set1_epi8(' '), v_tab = _mm_set1_epi8('\t');

	if (q < end && (*q == '\n' || (relaxed && *q == '\t') ||
			(relaxed && *q == ' ' && q + 1 < end &&
			 (q[1] == ' ' || q[1] == '\r'))))
		return p;
	for (q = p + 1; end - q >= 17; q += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
		__m128i prev = _mm_loadu_si128((const __m128i *)(const void *)(q - 1));
		__m128i lf = _mm_cmpeq_epi8(v, v_lf);
		__m128i bad = _mm_andnot_si128(_mm_cmpeq_epi8(prev, v_cr), lf);
		unsigned mbad, mlf;

		if (relaxed) {
			__m128i next = _mm_loadu_si128((const __m128i *)(const void *)(q + 1));
			__m128i sp_next = _mm_or_si128(_mm_cmpeq_epi8(next, v_sp),
							_mm_cmpeq_epi8(next, v_cr));

			bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, v_tab));
			bad = _mm_or_si128(bad, _mm_and_si128(_mm_cmpeq_epi8(v, v_sp),
							      sp_next));
		}
		mbad = (unsigned)_mm_movemask_epi8(bad);
		mlf = (unsigned)_mm_movemask_epi8(lf);
		if (mbad) {
			mlf &= (mbad & -mbad) - 1;
			if (mlf)
				last = q + (31 - __builtin_clz(mlf)) + 1;
			return last;
		}
		if (mlf)
			last = q + (31 - __builtin_clz(mlf)) + 1;
	}
	if (q > end)
		q = p;
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t prev_sp = 0, prev_cr = 0;

	for (; end - q >= 8; q += 8) {
		uint64_t w, sp, cr, lf, bad;

		memcpy(&w, q, 8);
		lf = zero_bytes(w ^ 0x0a0a0a0a0a0a0a0aULL);
		cr = zero_bytes(w ^ 0x0d0d0d0d0d0d0d0dULL);
		/* a LF whose previous byte is not CR */
		bad = lf & ~((cr << 8) | prev_cr);
		if (relaxed) {
			sp = zero_bytes(w ^ 0x2020202020202020ULL);
			bad |= zero_bytes(w ^ 0x0909090909090909ULL);
			/* a space followed by a space or CR */
			bad |= (sp & ((sp | cr) >> 8)) |
			       (prev_sp & ((sp | cr) & 0x80));
			prev_sp = sp >> 56 ? (uint64_t)0x80 : 0;
		}
		if (bad) {
			/* good LFs before the first bad byte still count */
			uint64_t below = (bad & -bad) - 1;

			lf &= below;
			if (lf)
				last = q + (63 - __builtin_clzll(lf)) / 8 + 1;
			return last;
		}
		if (lf)
			last = q + (63 - __builtin_clzll(lf)) / 8 + 1;
		prev_cr = cr >> 56 ? (uint64_t)0x80 : 0;
	}
#endif
	for (; q < end; q++) {
		unsigned char c = *q;

		if (c == '\n') {
			if (q == p || q[-1] != '\r')
				break;
			last = q + 1;
		} else if (relaxed && c == '\t') {
			break;
		} else if (relaxed && (c == ' ' || c == '\r') && q > p &&
			   q[-1] == ' ') {
			break;          /* a space before a space or CR */
		}
	}
	return last;
}

/* cb_identity_lines - emit p[0..n): whole lines that need no change;
 * the empty lines at their end are held back as usual */
static void cb_identity_lines(struct canon_body *cb, const unsigned char *p,
			      size_t n)
{
	const unsigned char *e = p + n;
	uint64_t empty = 0;

	while (e - p >= 2 && (e - 2 == p || e[-3] == '\n')) {
		e -= 2;                 /* the line ending at e was empty */
		empty++;
	}
	if (e > p) {
		while (cb->empty_lines) {
			cb_crlf(cb);
			cb->empty_lines--;
		}
		cb_flush(cb);
		cb->sink(cb->sink_arg, p, (size_t)(e - p));
		cb->out_len += (uint64_t)(e - p);
	}
	cb->empty_lines += empty;
}

/* canon_body_feed - canonicalize the next chunk */
void canon_body_feed(struct canon_body *cb, const unsigned char *p,
		     size_t len)
{
	const unsigned char *end = p + len;

	if (len == 0)
		return;
	if (cb->cr_held) {
		cb->cr_held = 0;
		if (*p == '\n') {
			cb_line_end(cb);
			p++;
		} else {
			cb_content(cb, (const unsigned char *)"\r", 1);
		}
	}
	while (p < end) {
		const unsigned char *nl, *seg_end;

		/* at a line start, whole lines that stay as they are go to
		 * the hash in one piece */
		if (!cb->line_has_content && !cb->wsp_pending) {
			const unsigned char *q = canon_identity_end(cb->mode, p,
								    end);

			if (q > p) {
				cb_identity_lines(cb, p, (size_t)(q - p));
				p = q;
				continue;
			}
		}
		nl = memchr(p, '\n', (size_t)(end - p));
		seg_end = nl ? nl : end;
		if (seg_end > p && seg_end[-1] == '\r') {
			seg_end--;
			if (!nl)
				cb->cr_held = 1;
		}
		if (seg_end > p)
			cb_content(cb, p, (size_t)(seg_end - p));
		if (!nl)
			break;
		cb_line_end(cb);
		p = nl + 1;
	}
}

/* canon_body_finish - end of body; flushes everything to the sink */
void canon_body_finish(struct canon_body *cb)
{
	if (cb->cr_held) {
		cb->cr_held = 0;
		cb_content(cb, (const unsigned char *)"\r", 1);
	}
	if (cb->line_has_content)
		cb_line_end(cb);
	cb->empty_lines = 0;
	if (cb->mode == DKIM_CANON_SIMPLE && cb->out_len + cb->stage_len == 0)
		cb_crlf(cb);
	cb_flush(cb);
}
