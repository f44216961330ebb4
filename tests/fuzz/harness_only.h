/*
 * harness_only.h - HARNESS_ONLY marks a harness's own checks (sinks,
 * reference implementations, walks over the results), which are not
 * code under test: in clang's fuzzer build they give no coverage
 * feedback, so that the fuzzer's time goes to the code under test when
 * inputs grow to 64 KB.  ASan and UBSan still check every access they
 * make.  Other compilers (the replay build) ignore it.
 */
#ifndef MAILSEAL_FUZZ_HARNESS_ONLY_H
#define MAILSEAL_FUZZ_HARNESS_ONLY_H

#if defined(__clang__)
#define HARNESS_ONLY __attribute__((no_sanitize("coverage")))
#else
#define HARNESS_ONLY
#endif

#endif
