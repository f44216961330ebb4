/*
 * policyd.h - mailseal-policyd: the shared pieces of the daemon that
 * serves Postfix's policy delegation protocol and the milter protocol
 * from one process over one engine (common/policy/policy.h).
 *
 * Threads: the main thread accepts connections and handles signals;
 * each connection is served whole by one worker thread of a pool that
 * grows to max_connections, so a slow DNS answer holds up only its own
 * message.  Each worker owns an engine (its own key cache front, Redis
 * connection and resolver) built over the read-only tables of the
 * current configuration generation; a reload (SIGHUP) makes a new
 * generation, and each worker moves to it at its next request or
 * message, without dropping connections.
 *
 * Policy connections are served by event loops (ploop.c) that never
 * wait; the one decision that needs DNS there, SPF before DATA, goes
 * to a small bounded pool of SPF threads (pspf.c), each with its own
 * engine like a worker, while the connection's answer waits and the
 * loop serves the others.  The outcome reaches the milter side through
 * the transaction notes (txtable.c).
 */
#ifndef MAILSEAL_POLICYD_H
#define MAILSEAL_POLICYD_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "buf.h"
#include "config.h"
#include "policy.h"

struct generation {
	unsigned long id;
	struct ms_config cfg;
	struct policy_tables *tables;
	unsigned refs;                  /* under daemon.lock */
};

struct worker {
	struct generation *gen;         /* what engine was built from */
	struct policy *engine;
};

/* a client connection: buffered reads with the idle timeout, and a
 * deadline the caller sets for what must be complete by then */
struct conn {
	int in, out;
	struct buf rbuf;
	size_t rpos;                    /* bytes of rbuf already used */
	unsigned timeout_ms;            /* idle: restarts with each read */
	uint64_t deadline;              /* ms_clock_ms; 0 = none */
	int idle_ok;                    /* may be closed for a shutdown */
	int timed_reads;                /* in is a socket with SO_RCVTIMEO */
};

/* the timeouts of client connections, read once at start (daemon.c):
 * idle (request_timeout), one whole packet or policy request
 * (packet_timeout), one whole milter transaction (message_timeout) */
extern unsigned policyd_request_timeout_ms;
extern unsigned policyd_packet_timeout_ms;
extern unsigned policyd_message_timeout_ms;

/* ---- engine.c ---- */

/* dlog - one line to syslog or the log_file, and to stderr in the
 * foreground and until the daemon detaches; stamped with the time */
void dlog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* dlog_init - where dlog writes */
void dlog_init(int to_stderr);
/* dlog_open - log_file, or syslog when path is empty; 0 or -1 (said) */
int dlog_open(const char *path);
/* dlog_reopen - the log_file again (SIGHUP, after a log rotation) */
void dlog_reopen(void);
/* dlog_file_fd - the log_file's descriptor, -1 for none */
int dlog_file_fd(void);
/* dlog_detached - stop writing to stderr */
void dlog_detached(void);
/* gen_load - a generation from the configuration file, with one
 * reference for the caller (gen_install takes it over; else
 * gen_release) */
struct generation *gen_load(const char *path, struct ms_error *err);
/* gen_install - make g current (the old one goes when unused) */
void gen_install(struct generation *g);
/* gen_current_cfg - a copy of the current generation's settings the
 * daemon itself reads (listen, pid file, sockets, limits) */
struct generation *gen_hold(void);
void gen_release(struct generation *g);
/* worker_engine - the worker's engine for the current generation,
 * rebuilt when it changed; NULL (logged) when none can be built */
struct policy *worker_engine(struct worker *w);
/* worker_done - release the worker's engine and generation */
void worker_done(struct worker *w);
/* worker_exit - worker_done, and OpenSSL's state of the thread: the
 * last call of a thread that served clients */
void worker_exit(struct worker *w);
/* daemon_stopping - has a shutdown been asked for? */
int daemon_stopping(void);
void daemon_set_stopping(void);
/* daemon_wake - tell the main thread that a connection ended (it may
 * poll a listener held back by a connection cap again); safe from any
 * thread; daemon_set_wake_fd names the pipe */
void daemon_wake(void);
void daemon_set_wake_fd(int fd);

/* ---- conn.c ---- */

void conn_init(struct conn *c, int in, int out, unsigned timeout_ms,
	       size_t max);
void conn_free(struct conn *c);
/* conn_fill - read more bytes: 1 got some, 0 end of file, -1 error,
 * the idle timeout or c->deadline passed (errno ETIMEDOUT), or (when
 * idle_ok) a shutdown */
int conn_fill(struct conn *c);
/* conn_consume - drop n used bytes from the front */
void conn_consume(struct conn *c, size_t n);
/* conn_write - all of p; -1 on error */
int conn_write(struct conn *c, const void *p, size_t len);

/* ---- txtable.c: what the policy side learned, for the milter side ---- */

#define TXT_TTL 120                     /* seconds a note waits to be used */
#define TXT_QID 64
#define TXT_CLIENT 64
#define TXT_PORT 8
#define TXT_SENDER 512
#define TXT_USER 256
#define TXT_HELO 256
#define TXT_SPF_TEXT 256
#define TXT_SPKI 65

/* the transaction a note is for: Postfix's queue id, the SMTP client's
 * address, the envelope sender (bare, "" for <>); for an identity note
 * (qid "": txtable.c) also the client's port when Postfix sent one
 * (NULL or "": none) */
struct tx_key {
	const char *qid, *client, *sender, *port;
};

/* an SPF outcome of the policy side in fixed buffers, with the rest of
 * the identity it was checked for (the key has the client address and
 * the sender); known = 0: none to hand over (not checked, or a string
 * did not fit: the milter side checks itself) */
struct tx_spf {
	int known;
	enum spf_result result;
	char helo[TXT_HELO];            /* the HELO name checked with */
	char port[TXT_PORT];            /* the client's port; "": not sent */
	char identity[16];
	char domain[TXT_SPF_TEXT];
	char sender[TXT_SENDER];
	char mechanism[TXT_SPF_TEXT];   /* "" for none, and so on */
	char reason[TXT_SPF_TEXT];
	char explanation[TXT_SPF_TEXT];
	unsigned dns_terms, voids;
	unsigned long queries;
};

/* what the policy side learned of a transaction (add fields here for
 * more results: each starts empty, "" = not known) */
struct tx_note {
	char user[TXT_USER];            /* SASL login */
	struct tx_spf spf;              /* SPF, checked before DATA */
	char spki[TXT_SPKI];            /* the SHA-256 of the public key of
					 * the client's verified certificate,
					 * lower-case hex; "": none */
};

/* txtable_put - note n for the transaction k (replacing an older one) */
void txtable_put(const struct tx_key *k, const struct tx_note *n);
/* txtable_take - the note of transaction k into n, and removed from
 * the table: a note serves one message; 0 when none (or expired) */
int txtable_take(const struct tx_key *k, struct tx_note *n);
/* txtable_peek_since - the note of k into n, left in the table (an
 * identity note: txtable.c), when it was made at or after since
 * (time(NULL) seconds); 0 when none (or expired) */
int txtable_peek_since(const struct tx_key *k, time_t since,
		       struct tx_note *n);
/* txtable_drop - forget the note of transaction k (end of message,
 * abort) */
void txtable_drop(const struct tx_key *k);
/* tx_spf_set - o (checked with helo, from the client's port) copied
 * into t: 0, or -1 when a string does not fit (t->known = 0) */
int tx_spf_set(struct tx_spf *t, const struct spf_outcome *o,
	       const char *helo, const char *port);
/* tx_spf_outcome - t as an outcome for the engine; its strings point
 * into t */
void tx_spf_outcome(const struct tx_spf *t, struct spf_outcome *o);

/* ---- pspf.c: the policy side's SPF checks, off the event loops ---- */

#define PS_REPLY 600                    /* an action line */

/* one check: the request's facts in, the outcome out.  The fields
 * under "plumbing" are set before pspf_submit and read-only after it,
 * but owner, which only the thread that submitted touches. */
struct spf_job {
	char instance[TXT_QID];         /* Postfix's id of the transaction */
	char qid[TXT_QID];
	char client[TXT_CLIENT];
	char port[TXT_PORT];
	char client_name[TXT_HELO];
	char helo[TXT_HELO];
	char sender[TXT_SENDER];
	char state[16];                 /* protocol_state */
	char spki[TXT_SPKI];            /* the note's (tx_note) */
	int failed;                     /* no engine: nothing decided */
	int checked;                    /* 0: exempt (trusted_networks) */
	struct tx_spf spf;              /* what is handed to the milter */
	char refusal[PS_REPLY];         /* "550 5.7.23 ...", or "": accept */
	/* plumbing */
	void (*done)(struct spf_job *); /* in the pool thread, when finished */
	void *loop;                     /* the submitter's */
	void *owner;                    /* its connection; NULL: gone */
	uint64_t started;               /* ms_clock_ms of the submission */
	atomic_int cancelled;           /* nobody waits any more */
	struct spf_job *next;
};

/* pspf_start - the SPF threads: at most cap checks in flight (queued
 * or running), each waited for at most limit_ms; 0 or -1 (logged) */
int pspf_start(unsigned cap, unsigned limit_ms);
/* pspf_submit - queue j for a thread (j->done is called when it is
 * finished, even when cancelled); -1 when cap checks are in flight
 * already, or the threads are stopping: the caller answers at once */
int pspf_submit(struct spf_job *j);
/* pspf_cancel - nobody waits for j any more: a thread that has not
 * started it skips it */
void pspf_cancel(struct spf_job *j);
/* pspf_run - the check of j now, in this thread, with w's engine */
void pspf_run(struct worker *w, struct spf_job *j);
/* pspf_run_cached - the check of j now from what is in memory (the
 * answers the engines of this configuration share: dnsqmem.h), for an
 * event loop that must not wait: 0 when done (as pspf_run), -1 when an
 * answer was not in memory (j untouched: submit it) */
int pspf_run_cached(struct worker *w, struct spf_job *j);
/* pspf_limit_ms - how long a policy connection waits for its check
 * before it answers DUNNO and leaves SPF to the milter side */
unsigned pspf_limit_ms(void);
/* pspf_stop - end the threads (each finishes the check it runs);
 * checks still queued are handed back through their done */
void pspf_stop(void);

/* ---- listen.c ---- */

#define MAX_LISTEN 16
#define LISTEN_BACKLOG 256

enum job_kind { JOB_POLICY, JOB_MILTER, JOB_METRICS };

struct listener {
	int fd;
	enum job_kind kind;
	char spec[256];
	char path[108];                 /* unix: the socket's path */
};

/* privs_drop - started as root with `user`: become that user (the
 * log file's descriptor log_fd, -1 for none, is given to it); as root
 * without it, say so; 0 or -1 (logged, naming file and line) */
int privs_drop(const char *file, const struct ms_config *cfg, int log_fd);
/* privs_check_as_user - for -t as root: the configuration loaded again
 * as `user` (or a warning that root's check proves nothing for it);
 * 0 or 1 (logged) */
int privs_check_as_user(const char *file, const struct ms_config *cfg);
/* listen_check - the listening addresses and socket_group, which the
 * parser cannot check; each error logged naming file and line; 0/-1 */
int listen_check(const char *file, const struct ms_config *cfg);
/* listen_in_use - 1 when another process answers on a unix socket of
 * value (logged: "already running") */
int listen_in_use(const char *value);
/* listen_all - bind every address of the setting of kind (named
 * setting, from file) into ls[*n...]; -1 on the first failure (logged
 * with file and line) */
int listen_all(const char *file, const char *setting, enum job_kind kind,
	       const struct ms_config *cfg, struct listener *ls, size_t *n);
/* listen_close - close it; with unlink_path, remove its unix socket */
void listen_close(struct listener *l, int unlink_path);

/* ---- pidfile.c ---- */

/* pidfile_lock - path opened and locked: its descriptor; -1 an error,
 * -2 another instance holds it (both logged) */
int pidfile_lock(const char *path);
/* pidfile_write - our pid into it */
int pidfile_write(int fd, const char *path);
/* pidfile_remove - unlink path, release the lock */
void pidfile_remove(int fd, const char *path);

/* ---- pconn.c, ploop.c, mconn.c ---- */

/* what a policy connection remembers of its current transaction: the
 * SPF check made at its first request (MAIL, RCPT or DATA), for its
 * other recipients and to hand over once the queue id is known */
struct pc_tx {
	int valid;
	char instance[TXT_QID];
	char qid[TXT_QID];              /* "" until Postfix has one */
	char client[TXT_CLIENT];
	char port[TXT_PORT];
	char sender[TXT_SENDER];
	char helo[TXT_HELO];
	int checked;
	struct tx_spf spf;
	char refusal[PS_REPLY];
};

struct pc_session {
	struct pc_tx tx;
};

/* how a policy connection of an event loop waits for an SPF check:
 * the job gets done, loop and owner before it is submitted */
struct pc_async {
	void (*done)(struct spf_job *);
	void *loop;
	void *owner;
};

/* policy_answer - the first complete request of p[0..len) answered
 * into out: bytes taken, 0 when incomplete, -1 to close (logged).
 * With async, a request that needs an SPF check is taken (its bytes
 * counted) but not answered: *parked is its job, and policy_resume
 * answers it once done; without, the check runs here (blocking). */
long policy_answer(struct worker *w, struct pc_session *s,
		   const unsigned char *p, size_t len, struct buf *out,
		   const struct pc_async *async, struct spf_job **parked);
/* policy_resume - the answer of a parked request whose job is done
 * (the job stays the caller's); 0, or -1 to close (logged) */
int policy_resume(struct pc_session *s, const struct spf_job *j,
		  struct buf *out);
/* policy_giveup - the answer of a parked request whose check took too
 * long: DUNNO (logged), the milter side checks at the end of DATA */
int policy_giveup(const struct spf_job *j, struct buf *out);
/* policy_serve - one policy client until it closes (blocking) */
void policy_serve(struct worker *w, struct conn *c);
/* ploop_start - the threads that serve every policy client connection
 * (epoll, non-blocking: a policy decision never waits; SPF checks go
 * to pspf's threads: at most max_connections at once, each waited for
 * dns_message_budget + dns_timeout + 1 s at most); 0 or -1 */
int ploop_start(const struct ms_config *cfg);
/* ploop_add - hand it an accepted connection */
void ploop_add(int fd);
/* ploop_count - policy connections held (for max_policy_connections) */
unsigned ploop_count(void);
/* ploop_stop - close its connections, end the threads */
void ploop_stop(void);
/* milter_serve - one milter client until it closes */
void milter_serve(struct worker *w, struct conn *c);

/* ---- metricsd.c, statpush.c: the counters (metrics.h) ---- */

/* metricsd_start - serve GET /metrics (Prometheus text) on the n
 * listeners of metrics_listen (taken over) from a thread of its own;
 * gauges, called before each answer, sets the gauges (connections
 * open); 0 or -1 (logged) */
int metricsd_start(const struct listener *ls, size_t n, void (*gauges)(void));
/* metricsd_stop - end it, close its listeners and clients */
void metricsd_stop(void);
/* statpush_start - with farm_stats and a farm, a thread that pushes
 * the counters to Redis every farm_stats_interval; 0 or -1 (logged) */
int statpush_start(const struct ms_config *cfg);
/* statpush_stop - a last push, and the thread ends */
void statpush_stop(void);

#endif
