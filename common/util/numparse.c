/*
 * numparse.c - the one strict number parser.
 */
#include "numparse.h"

/* num_parse_u64 - parse p[0..len) as a decimal in [0, max] */
enum ms_status num_parse_u64(const unsigned char *p, size_t len,
			     uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0)
		return MS_ERR_SYNTAX;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (p[i] < '0' || p[i] > '9')
			return MS_ERR_SYNTAX;
		d = p[i] - '0';
		if (d > max || v > (max - d) / 10)
			return MS_ERR_LIMIT;
		v = v * 10 + d;
	}
	*out = v;
	return MS_OK;
}
