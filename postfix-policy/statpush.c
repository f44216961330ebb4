/*
 * statpush.c - mailseal-policyd's counters added to the farm's Redis
 * (farm_stats = yes: policy_push_stats), every farm_stats_interval,
 * from a thread of their own with an engine of their own (its own
 * Redis connection), so that `mailseal stats` shows the Postfix nodes
 * of a farm beside its Exim nodes.  The engine follows reloads as a
 * worker's does; the interval is read at start.  A last push is made
 * when the daemon stops.  A Redis that is away costs the thread its
 * push (skipped, counted), never a message anything.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "policyd.h"

static struct {
	pthread_t thread;
	int running;
	int stop;
	unsigned interval_ms;
	pthread_mutex_t lock;
	pthread_cond_t cond;
} sp = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void *sp_main(void *arg)
{
	struct worker w = { 0 };
	int stop = 0;

	(void)arg;
	pthread_mutex_lock(&sp.lock);
	while (!stop) {
		struct timespec until;
		struct policy *p;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += sp.interval_ms / 1000;
		until.tv_nsec += (long)(sp.interval_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!sp.stop &&
		       pthread_cond_timedwait(&sp.cond, &sp.lock, &until) != ETIMEDOUT)
			;
		stop = sp.stop;
		pthread_mutex_unlock(&sp.lock);
		p = worker_engine(&w);  /* logged when none */
		if (p)
			policy_push_stats(p);
		pthread_mutex_lock(&sp.lock);
	}
	pthread_mutex_unlock(&sp.lock);
	worker_exit(&w);
	return NULL;
}

/* statpush_start - the thread, when cfg pushes at all */
int statpush_start(const struct ms_config *cfg)
{
	if (cfg->farm_stats != MS_YES ||
	    (!config_has_redis(cfg)))
		return 0;
	sp.interval_ms = cfg->farm_stats_interval_ms;
	if ((errno = pthread_create(&sp.thread, NULL, sp_main, NULL)) != 0) {
		dlog(LOG_ERR, "farm_stats: cannot start a thread: %s",
		     strerror(errno));
		return -1;
	}
	sp.running = 1;
	return 0;
}

/* statpush_stop - a last push, then the thread ends */
void statpush_stop(void)
{
	if (!sp.running)
		return;
	pthread_mutex_lock(&sp.lock);
	sp.stop = 1;
	pthread_cond_signal(&sp.cond);
	pthread_mutex_unlock(&sp.lock);
	pthread_join(sp.thread, NULL);
	sp.running = 0;
}
