/*
 * eximcheck.c - what `mailseal config check` can say about the
 * configuration against Exim's own settings.
 *
 * Exim gives local_scan a time limit of its own, local_scan_timeout (5
 * minutes unless set).  When mailseal's dns_message_budget reaches it,
 * a slow DNS makes Exim end the scan first: the client gets "421 local
 * verification problem" and no mailseal line is logged, instead of
 * mailseal's own temperror verdict.  The check only warns: the same
 * file may serve Postfix alone, and Exim may run with another
 * configuration than the one `exim4 -bP` reads.
 *
 * When exim4 is on PATH its answer is used, if it comes within
 * EXIM_ASK_MS; otherwise Exim's default.  Likewise Postfix's postconf,
 * for restrictions that would let a client certificate grant relaying
 * where a TLS policy treats it as an identity.  Nothing here can fail
 * the check.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "msclock.h"
#include "numparse.h"

#define EXIM_DEFAULT_LOCAL_SCAN_S 300   /* Exim's spec: 5m */
#define EXIM_ASK_MS 2000                /* for exim4 -bP to answer */
#define EXIM_ANSWER_MAX 256

static const char exim_option[] = "local_scan_timeout";

/* exim_time_parse - an Exim time ("5m", "1h30m", "90s", "0s"; a bare
 * number is seconds) in seconds; -1 when it is not one */
static int exim_time_parse(const unsigned char *p, size_t len, uint64_t *secs)
{
	uint64_t total = 0, v, unit;
	size_t i = 0, d;

	if (len == 0)
		return -1;
	while (i < len) {
		for (d = i; d < len && p[d] >= '0' && p[d] <= '9'; d++)
			;
		/* a group's digits are bounded so the sum cannot wrap */
		if (num_parse_u64(p + i, d - i, 1000000000u, &v) != MS_OK)
			return -1;
		if (d == len) {
			unit = 1;
		} else {
			switch (p[d]) {
			case 's': unit = 1; break;
			case 'm': unit = 60; break;
			case 'h': unit = 3600; break;
			case 'd': unit = 86400; break;
			case 'w': unit = 7 * 86400; break;
			default: return -1;
			}
			d++;
		}
		total += v * unit;
		i = d;
	}
	*secs = total;
	return 0;
}

/* exim_answer_parse - "local_scan_timeout = 5m" as exim -bP prints it */
static int exim_answer_parse(const unsigned char *p, size_t len,
			     uint64_t *secs)
{
	size_t n = sizeof(exim_option) - 1, end;

	if (len < n || memcmp(p, exim_option, n) != 0)
		return -1;
	for (; n < len && (p[n] == ' ' || p[n] == '='); n++)
		;
	for (end = n; end < len && p[end] != '\n' && p[end] != ' '; end++)
		;
	return exim_time_parse(p + n, end - n, secs);
}

/* cli_ask - run argv (found on PATH) with stdin and stderr on
 * /dev/null, its standard output into answer (at most size bytes):
 * the length, or -1 when it could not run, did not finish within
 * timeout_ms (it is killed) or did not exit 0 */
long cli_ask(char *const argv[], unsigned char *answer, size_t size,
	     unsigned timeout_ms)
{
	uint64_t deadline = ms_clock_ms() + timeout_ms, now;
	size_t len = 0;
	int fds[2], status, rc = -1;
	pid_t pid, w;

	if (pipe(fds) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 2);
		}
		dup2(fds[1], 1);
		close(fds[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while (len < size && (now = ms_clock_ms()) < deadline) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		ssize_t n;
		int pr = poll(&pfd, 1, (int)(deadline - now));

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		n = read(fds[0], answer + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = 0;         /* the whole answer */
			break;
		}
		len += (size_t)n;
	}
	close(fds[0]);
	/* its end of output comes before its exit: wait for that too, but
	 * not past the deadline (a command that hangs is killed) */
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	       ms_clock_ms() < deadline)
		poll(NULL, 0, 5);
	if (w == 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		rc = -1;
	} else if (w < 0) {
		rc = -1;
	}
	if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return (long)len;
}

/* exim_ask - Exim's local_scan_timeout in *secs, as exim4 -bP says */
static int exim_ask(uint64_t *secs)
{
	static char a0[] = "exim4", a1[] = "-bP", a2[] = "local_scan_timeout";
	char *const argv[] = { a0, a1, a2, NULL };
	unsigned char answer[EXIM_ANSWER_MAX];
	long len = cli_ask(argv, answer, sizeof(answer), EXIM_ASK_MS);

	if (len < 0)
		return -1;
	return exim_answer_parse(answer, (size_t)len, secs);
}

/* config_warn_exim - warn when dns_message_budget is not below Exim's
 * local_scan_timeout; never fails */
void config_warn_exim(const struct ms_config *cfg, const char *path)
{
	uint64_t secs = EXIM_DEFAULT_LOCAL_SCAN_S;
	const char *whence = "Exim's default";
	char budget[32];

	if (exim_ask(&secs) == 0)
		whence = "from exim4 -bP";
	if (secs == 0)                  /* Exim: 0 means no time limit */
		return;
	if ((uint64_t)cfg->dns_message_budget_ms < secs * 1000)
		return;
	if (cfg->dns_message_budget_ms % 1000 == 0)
		snprintf(budget, sizeof(budget), "%us",
			 cfg->dns_message_budget_ms / 1000);
	else
		snprintf(budget, sizeof(budget), "%ums",
			 cfg->dns_message_budget_ms);
	fprintf(stderr,
		"%s: warning: dns_message_budget = %s is not below Exim's local_scan_timeout (%llus, %s): "
		"with a slow DNS, Exim ends the scan first and answers \"421 local verification problem\" "
		"with no mailseal log line; keep it well below (for the Exim module)\n",
		path, budget, (unsigned long long)secs, whence);
}

/* config_warn_postfix - warn when Postfix (postconf on PATH) lets a
 * client certificate grant relaying while a TLS policy is configured:
 * a verified certificate is an identity input, never a relay
 * permission (docs/tls.md); never fails */
void config_warn_postfix(const struct ms_config *cfg, const char *path)
{
	static char a0[] = "postconf", a1[] = "-h",
		    a2[] = "smtpd_client_restrictions",
		    a3[] = "smtpd_helo_restrictions",
		    a4[] = "smtpd_sender_restrictions",
		    a5[] = "smtpd_relay_restrictions",
		    a6[] = "smtpd_recipient_restrictions";
	char *const argv[] = { a0, a1, a2, a3, a4, a5, a6, NULL };
	unsigned char answer[8192];
	long len;

	if (!*cfg->tls_policy && !*cfg->require_tls)
		return;
	len = cli_ask(argv, answer, sizeof(answer) - 1, EXIM_ASK_MS);
	if (len < 0)
		return;
	answer[len] = 0;
	if (strstr((char *)answer, "permit_tls_all_clientcerts") ||
	    strstr((char *)answer, "permit_tls_clientcerts"))
		fprintf(stderr,
			"%s: warning: Postfix's restrictions (postconf) contain permit_tls_all_clientcerts "
			"or permit_tls_clientcerts: a client certificate then grants relaying, while "
			"tls_policy treats it as an identity only; remove them (docs/tls.md)\n", path);
}
