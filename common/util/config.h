/*
 * config.h - the one configuration file of mailseal, shared by the CLI,
 * the Exim module and the Postfix daemon.
 *
 * Format, like Postfix's main.cf: "name = value" lines; '#' at the start
 * of a line or after white space starts a comment that runs to the end
 * of the line (so a value cannot hold " #"); a line that
 * begins with whitespace continues the previous value (joined with one
 * space); blank lines are ignored.  Unknown names, a name given twice,
 * and values of the wrong form are errors that name the file and line.
 *
 * Every setting has a default; config_init sets them all, config_load
 * overrides the ones the file names.  The config owns its strings
 * (config_free releases them).  Durations take an optional unit: ms, s
 * (default), m, h, d.
 */
#ifndef MAILSEAL_CONFIG_H
#define MAILSEAL_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include "status.h"

#ifndef MAILSEAL_SYSCONFDIR
#define MAILSEAL_SYSCONFDIR "/etc/mailseal"
#endif
#define MAILSEAL_DEFAULT_CONFIG MAILSEAL_SYSCONFDIR "/mailseal.conf"

struct ms_config {
	char *dns_resolver;             /* "" = /etc/resolv.conf */
	char *dns_trust_anchor;         /* "" = no DNSSEC validation */
	unsigned dns_timeout_ms;        /* one lookup */
	unsigned dns_message_budget_ms; /* all lookups of one message */
	char *redis_url;                /* "" = no Redis */
	char *redis_sentinels;          /* "host:port host:port" */
	char *redis_cluster;            /* Redis Cluster seeds, "host:port ..." */
	char *redis_master_name;
	unsigned redis_timeout_ms;
	char *cache_secret;             /* "" = no HMAC */
	unsigned key_cache_max_ttl;     /* seconds */
	unsigned negative_cache_ttl;    /* seconds */
	unsigned local_cache_size;      /* entries */
	unsigned shared_cache_size;     /* slots of the node's shared cache */
	unsigned max_signatures;
	/* the policy engine (policy.h) */
	char *signing_table;            /* "" = never sign */
	char *key_dir;                  /* `mailseal key`: new keys and the
					 * rotation state, per domain */
	unsigned key_grace;             /* seconds old and new keys both
					 * sign in a rotation */
	char *sending_rights;           /* /file: who may use which From;
					 * "" = any submitter, any From */
	unsigned signature_retention;   /* seconds the farm keeps its record
					 * of a signature that passed */
	/* complaints and revocation (docs/abuse.md) */
	char *complaint_reporters;      /* domains whose signed reports count */
	unsigned complaint_threshold;   /* offences that revoke */
	unsigned complaint_window;      /* seconds offences are counted */
	char *revocation_protect;       /* identities only ever pending */
	unsigned revocation_max_per_hour;
	unsigned revocation_refresh;    /* seconds between a node's polls */
	char *require_signed;           /* domains, or /file of them */
	char *authserv_id;              /* "" = the host name */
	unsigned on_temperror;          /* enum ms_on_temperror */
	unsigned on_signature_fail;     /* enum ms_on_signature_fail */
	unsigned on_bad_from;           /* enum ms_on_bad_from */
	unsigned check_spf;             /* enum ms_yes_no */
	unsigned on_spf_fail;           /* enum ms_on_signature_fail: tag|reject */
	unsigned on_spf_permerror;      /* tag|reject, as on_spf_fail */
	char *trusted_networks;         /* addresses and CIDR ranges */
	unsigned received_spf;          /* enum ms_yes_no: add Received-SPF */
	unsigned check_dmarc;           /* enum ms_yes_no */
	unsigned on_dmarc_reject;       /* enum ms_dmarc_action, p=reject */
	unsigned on_dmarc_quarantine;   /* the same for p=quarantine */
	char *dmarc_exempt;             /* author domains, or /file */
	unsigned max_author_domains;    /* From domains evaluated */
	unsigned exim_quarantine;       /* enum ms_exim_quarantine */
	/* DMARC aggregate reports (RFC 9990) */
	unsigned dmarc_reports;         /* enum ms_yes_no: record rows */
	unsigned dmarc_report_retention; /* seconds the farm keeps a day */
	unsigned dmarc_report_max_rows; /* distinct rows per domain and day */
	char *dmarc_report_org;         /* org_name; "" = the host name */
	char *dmarc_report_email;       /* the reports' From and <email> */
	char *dmarc_report_sendmail;    /* run as PATH -t -oi */
	/* the farm's counters in Redis (farmstats.h) */
	unsigned farm_stats;            /* enum ms_yes_no: push them */
	char *farm_stats_node;          /* "" = the host name */
	unsigned farm_stats_interval_ms; /* mailseal-policyd: how often */
	char *require_tls;              /* sender domains, or /file */
	char *tls_pins;                 /* /file of DOMAIN FINGERPRINT... */
	char *tls_policy;               /* /file of DOMAIN MODE name= pin= */
	/* mailseal-policyd */
	char *policy_listen;            /* "unix:/path inet:HOST:PORT" */
	char *milter_listen;
	char *metrics_listen;           /* "inet:HOST:PORT": /metrics; "" off */
	char *pid_file;
	unsigned socket_mode;           /* of unix sockets, octal */
	char *socket_group;             /* "" = the daemon's own */
	char *user;                     /* started as root: become this user */
	char *log_file;                 /* "" = syslog (stderr with -f) */
	unsigned max_connections;       /* milter clients served at once */
	unsigned max_policy_connections; /* policy clients held at once */
	unsigned request_timeout_ms;    /* idle client connection */
	unsigned packet_timeout_ms;     /* one whole packet or request */
	unsigned message_timeout_ms;    /* one whole milter transaction */
	/* where each setting came from, for messages: index = setting */
	unsigned char set[80];
	unsigned line[80];              /* its line in path; 0: not read */
	char path[256];                 /* the file read last, "" none */
};

enum ms_on_temperror { MS_TEMPERROR_TEMPFAIL = 0, MS_TEMPERROR_ACCEPT };
enum ms_on_signature_fail { MS_SIGFAIL_TAG = 0, MS_SIGFAIL_REJECT };
enum ms_on_bad_from { MS_BADFROM_REJECT = 0, MS_BADFROM_ACCEPT };
enum ms_yes_no { MS_NO = 0, MS_YES };
enum ms_dmarc_action { MS_DMARC_REJECT = 0, MS_DMARC_QUARANTINE, MS_DMARC_TAG };
enum ms_exim_quarantine { MS_QUARANTINE_FREEZE = 0, MS_QUARANTINE_HEADER };

/* config_init - every setting at its default */
void config_init(struct ms_config *cfg);
/* config_free - release the strings */
void config_free(struct ms_config *cfg);
/* config_load - read path over the current settings */
enum ms_status config_load(struct ms_config *cfg, const char *path,
			   struct ms_error *err);
/* config_load_opt - path over the current settings; when optional and
 * the file does not exist (ENOENT, nothing else), the settings stay as
 * they are and *absent is set.  Any other failure to read it (EACCES
 * on the file or a directory above it, EIO...) is an error naming the
 * file: a configuration that cannot be read is never taken as absent,
 * or every rule it holds would silently be off. */
enum ms_status config_load_opt(struct ms_config *cfg, const char *path,
			       int optional, int *absent,
			       struct ms_error *err);
/* config_parse - the same from bytes; origin names them in errors */
enum ms_status config_parse(struct ms_config *cfg, const unsigned char *p,
			    size_t len, const char *origin,
			    struct ms_error *err);
/* config_set - one setting by name, as if read from origin:line */
enum ms_status config_set(struct ms_config *cfg, const char *name,
			  const char *value, const char *origin,
			  unsigned line, struct ms_error *err);
/* config_where - where setting name was set, for an error about its
 * value that only a later layer can find: "FILE:LINE: name", or
 * "name (default)" when no file set it; into buf, which it returns */
const char *config_where(const struct ms_config *cfg, const char *name,
			 char *buf, size_t size);
/* config_line - the line of the file that set name (as written in
 * the file), 0 when it was not set from a file line; for callers that
 * check a value further and must name where it came from */
unsigned config_line(const struct ms_config *cfg, const char *name);
/* config_has_redis - 1 when redis_url, redis_sentinels or
 * redis_cluster names the farm's Redis */
int config_has_redis(const struct ms_config *cfg);
/* config_print - "name = value" for every setting; all = 0 prints only
 * those that differ from the defaults.  Secrets are masked. */
void config_print(const struct ms_config *cfg, FILE *out, int all);

#endif
