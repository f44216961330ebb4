/*
 * pspf.c - the policy side's SPF checks, in threads of their own.
 *
 * An SPF check waits for DNS (c-ares through the engine's struct dnsq,
 * up to dns_message_budget), and the policy side's event loops must
 * never wait.  So a loop hands the check to this pool and parks the
 * connection's answer; a thread runs it with its own engine (built,
 * like a milter worker's, over the current configuration generation:
 * worker_engine) and calls the job's done, which wakes the loop.
 *
 * Bounds:
 *  - at most PS_MAX_THREADS threads (fewer when the cap is smaller):
 *    checks are mostly waiting, and each thread costs an engine;
 *  - at most cap checks in flight, queued or running (the daemon's
 *    max_connections: as many as the milter side may verify at once).
 *    Past it pspf_submit fails and the loop answers at once: the
 *    request is not checked here, and the milter side checks SPF at
 *    the end of DATA (nothing is accepted unchecked);
 *  - a connection waits at most limit_ms (dns_message_budget, one more
 *    dns_timeout for a lookup begun at the deadline, and a second); a
 *    check still queued or running then is cancelled (a thread skips
 *    a cancelled job it has not begun) and the loop answers DUNNO.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "msclock.h"
#include "policyd.h"

#define PS_MAX_THREADS 8

static pthread_mutex_t ps_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ps_cond = PTHREAD_COND_INITIALIZER;
static struct spf_job *ps_head, *ps_tail;       /* queued, oldest first */
static unsigned ps_inflight;                    /* queued or running */
static unsigned ps_cap, ps_limit_ms, ps_nthreads;
static int ps_stopping;
static pthread_t ps_threads[PS_MAX_THREADS];

/* ps_check - one check now, in this thread; from memory alone when
 * cached (then -1, and j untouched, when that was not enough) */
static int ps_check(struct worker *w, struct spf_job *j, int cached)
{
	struct policy_facts f = { 0 };
	struct policy_verdict v;
	struct spf_outcome o;
	struct policy *p;
	struct arena a;
	int r;

	p = worker_engine(w);
	if (!p) {
		if (cached)
			return -1;      /* the thread says so, with the log */
		j->failed = 1;
		return 0;
	}
	f.txid = *j->qid ? j->qid : NULL;
	f.client_ip = j->client;
	f.helo = j->helo;
	f.mail_from = j->sender;
	arena_init(&a);
	r = cached ? policy_check_spf_cached(p, &f, &a, &o, &v)
		   : policy_check_spf(p, &f, &a, &o, &v);
	if (r < 0) {
		arena_free(&a);
		return -1;
	}
	j->checked = r;
	if (j->checked) {
		if (v.action != POLICY_ACCEPT)
			snprintf(j->refusal, sizeof(j->refusal), "%u %s %s",
				 v.code, v.dsn, v.text);
		else if (tx_spf_set(&j->spf, &o, j->helo, j->port) != 0)
			dlog(LOG_INFO, "%s: mailseal: the SPF outcome does not fit a note; the milter side checks again",
			     *j->qid ? j->qid : "NOQUEUE");
		dlog(LOG_INFO, "%s: mailseal: %s client=%.100s[%.60s] state=%.20s%s",
		     *j->qid ? j->qid : "NOQUEUE", v.log, j->client_name,
		     j->client, j->state, cached ? " from=memory" : "");
	}
	arena_free(&a);
	return 0;
}

/* pspf_run - one check now, in this thread */
void pspf_run(struct worker *w, struct spf_job *j)
{
	(void)ps_check(w, j, 0);
}

/* pspf_run_cached - one check now, from the in-process cache alone */
int pspf_run_cached(struct worker *w, struct spf_job *j)
{
	return ps_check(w, j, 1);
}

static void *ps_main(void *arg)
{
	struct worker w = { 0 };

	(void)arg;
	for (;;) {
		struct spf_job *j;

		pthread_mutex_lock(&ps_lock);
		while (!ps_head && !ps_stopping)
			pthread_cond_wait(&ps_cond, &ps_lock);
		if (ps_stopping) {
			pthread_mutex_unlock(&ps_lock);
			break;
		}
		j = ps_head;
		ps_head = j->next;
		if (!ps_head)
			ps_tail = NULL;
		pthread_mutex_unlock(&ps_lock);
		j->next = NULL;
		if (!atomic_load(&j->cancelled))
			pspf_run(&w, j);
		pthread_mutex_lock(&ps_lock);
		ps_inflight--;
		pthread_mutex_unlock(&ps_lock);
		j->done(j);
	}
	worker_exit(&w);
	return NULL;
}

/* pspf_start - the threads, and the bounds */
int pspf_start(unsigned cap, unsigned limit_ms)
{
	unsigned n = cap < PS_MAX_THREADS ? cap : PS_MAX_THREADS;

	ps_cap = cap;
	ps_limit_ms = limit_ms;
	ps_stopping = 0;
	for (ps_nthreads = 0; ps_nthreads < n; ps_nthreads++)
		if (pthread_create(&ps_threads[ps_nthreads], NULL, ps_main,
				   NULL) != 0) {
			dlog(LOG_ERR, "cannot start an SPF thread");
			pspf_stop();
			return -1;
		}
	return 0;
}

/* pspf_submit - queue a check, unless cap are in flight */
int pspf_submit(struct spf_job *j)
{
	int r = -1;

	j->next = NULL;
	j->started = ms_clock_ms();
	atomic_store(&j->cancelled, 0);
	pthread_mutex_lock(&ps_lock);
	if (!ps_stopping && ps_nthreads && ps_inflight < ps_cap) {
		if (ps_tail)
			ps_tail->next = j;
		else
			ps_head = j;
		ps_tail = j;
		ps_inflight++;
		pthread_cond_signal(&ps_cond);
		r = 0;
	}
	pthread_mutex_unlock(&ps_lock);
	return r;
}

/* pspf_cancel - nobody waits for j any more */
void pspf_cancel(struct spf_job *j)
{
	atomic_store(&j->cancelled, 1);
}

/* pspf_limit_ms - how long a connection waits for its check */
unsigned pspf_limit_ms(void)
{
	return ps_limit_ms;
}

/* pspf_stop - end the threads; what is still queued goes back to its
 * submitter, not checked */
void pspf_stop(void)
{
	struct spf_job *j;
	unsigned i;

	pthread_mutex_lock(&ps_lock);
	ps_stopping = 1;
	pthread_cond_broadcast(&ps_cond);
	pthread_mutex_unlock(&ps_lock);
	for (i = 0; i < ps_nthreads; i++)
		pthread_join(ps_threads[i], NULL);
	ps_nthreads = 0;
	pthread_mutex_lock(&ps_lock);
	j = ps_head;
	ps_head = ps_tail = NULL;
	ps_inflight = 0;
	pthread_mutex_unlock(&ps_lock);
	while (j) {
		struct spf_job *next = j->next;

		j->next = NULL;
		atomic_store(&j->cancelled, 1);
		j->done(j);
		j = next;
	}
}
