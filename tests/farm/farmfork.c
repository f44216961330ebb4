/*
 * farmfork.c - many processes of one node, as Exim runs them.
 *
 *   farmfork CONFIG CHILDREN SECONDS NAME
 *
 * builds the key chain from CONFIG once, before forking (what Exim's
 * daemon does with mailseal_prewarm), then forks CHILDREN processes
 * (Exim's SMTP sessions); each looks NAME up and records a signature
 * in the farm every 50 ms for SECONDS.  The library's log goes to
 * stderr, one line per message, prefixed with the child's number; each
 * child prints "child N outages=... errors=..." at the end.  Exit status
 * 0 when every child ran to its end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "keychain.h"
#include "msclock.h"
#include "mslog.h"

static int child_no;

static void to_stderr(enum ms_log_level level, const char *msg)
{
	fprintf(stderr, "child %d: %s: %s\n", child_no,
		level == MS_LOG_WARN ? "warning" : level == MS_LOG_ERR
		? "error" : "info", msg);
}

/* child - one session process: lookups and signature records until
 * the time is up */
static int child(struct keychain *kc, struct dkim_verifier_opts *vo,
		 const char *name, unsigned seconds)
{
	uint64_t end = ms_clock_ms() + (uint64_t)seconds * 1000;
	unsigned char sig_id[32] = { 7 };
	struct keychain_stats st;
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	char txid[32];
	unsigned n = 0;

	while (ms_clock_ms() < end) {
		struct arena a;
		struct key_answer ans;

		arena_init(&a);
		keysource_lookup(kc->ks, name, &a, &ans);
		arena_free(&a);
		snprintf(txid, sizeof(txid), "c%d-%u", child_no, n++);
		if (vo->seen)
			(void)vo->seen(vo->seen_arg, sig_id, txid);
		nanosleep(&pause, NULL);
	}
	keychain_stats(kc, &st);
	printf("child %d outages=%lu errors=%lu skipped=%lu\n", child_no,
	       st.redis_outages, st.redis_errors, st.redis_skipped);
	return 0;
}

int main(int argc, char **argv)
{
	struct ms_config cfg;
	struct ms_error err;
	struct keychain kc;
	struct dkim_verifier_opts vo = { 0 };
	int i, n, status, rc = 0;

	if (argc != 5 || (n = atoi(argv[2])) < 1 || n > 64) {
		fprintf(stderr, "usage: farmfork CONFIG CHILDREN SECONDS NAME\n");
		return 2;
	}
	ms_log_set_sink(to_stderr);
	config_init(&cfg);
	if (config_load(&cfg, argv[1], &err) != MS_OK ||
	    keychain_open(&kc, &cfg, &err) != MS_OK) {
		fprintf(stderr, "farmfork: %s\n", err.msg);
		return 2;
	}
	keychain_verifier_opts(&kc, &cfg, &vo);
	fflush(stdout);
	for (i = 1; i <= n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			child_no = i;
			rc = child(&kc, &vo, argv[4], (unsigned)atoi(argv[3]));
			fflush(stdout);
			keychain_close(&kc);
			config_free(&cfg);
			return rc;
		}
		if (pid < 0)
			rc = 2;
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			rc = 1;
	keychain_close(&kc);
	config_free(&cfg);
	return rc;
}
