/*
 * msclock.h - the monotonic clock used for every deadline.
 */
#ifndef MAILSEAL_MSCLOCK_H
#define MAILSEAL_MSCLOCK_H

#include <stdint.h>

/* ms_clock_ms - milliseconds since an arbitrary fixed point */
uint64_t ms_clock_ms(void);
/* ms_clock_us - microseconds on the same clock, for latencies */
uint64_t ms_clock_us(void);

#endif
