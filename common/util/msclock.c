/*
 * msclock.c - the monotonic clock used for every deadline.
 */
#include <time.h>

#include "msclock.h"

/* ms_clock_ms - milliseconds since an arbitrary fixed point */
uint64_t ms_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ms_clock_us - microseconds since the same point */
uint64_t ms_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}
