/*
 * listen.c - the daemon's listening addresses: checked (mailseal-policyd
 * -t and every start, each error naming the file and line of its
 * setting), found in use by a running instance, bound.
 *
 * An address is "unix:/path" or "inet:HOST:PORT" ("[v6]" for an IPv6
 * host); a setting holds several, separated by spaces or commas.
 * metrics_listen (HTTP) takes inet addresses only.
 */
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "policyd.h"
#include "xalloc.h"

#define SUN_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

struct laddr {
	int is_unix;
	char path[SUN_PATH_MAX];        /* unix */
	char host[200], port[16];       /* inet */
};

/* where - "FILE:LINE: " of a setting, or "FILE: " for a default */
static void where(char *out, size_t n, const char *file,
		  const struct ms_config *cfg, const char *setting)
{
	unsigned line = config_line(cfg, setting);

	if (line)
		snprintf(out, n, "%s:%u: ", file, line);
	else
		snprintf(out, n, "%s: ", file);
}

/* laddr_parse - one address into a; 0, or -1 with why (size n) */
static int laddr_parse(const char *spec, struct laddr *a, char *why,
		       size_t n)
{
	memset(a, 0, sizeof(*a));
	if (strncmp(spec, "unix:", 5) == 0) {
		const char *path = spec + 5;

		a->is_unix = 1;
		if (path[0] != '/' || strlen(path) >= sizeof(a->path)) {
			snprintf(why, n, "a unix socket needs an absolute path shorter than %zu bytes",
				 sizeof(a->path));
			return -1;
		}
		strcpy(a->path, path);
		return 0;
	}
	if (strncmp(spec, "inet:", 5) == 0) {
		const char *hp = spec + 5, *colon = strrchr(hp, ':');
		size_t hl = colon ? (size_t)(colon - hp) : 0, i;
		const char *port = colon ? colon + 1 : "";

		if (!colon || hl == 0 || hl >= sizeof(a->host) || !*port ||
		    strlen(port) > 5) {
			snprintf(why, n, "expected inet:HOST:PORT");
			return -1;
		}
		for (i = 0; port[i]; i++)
			if (port[i] < '0' || port[i] > '9')
				break;
		if (port[i] || atoi(port) < 1 || atoi(port) > 65535) {
			snprintf(why, n, "the port must be a number from 1 to 65535");
			return -1;
		}
		memcpy(a->host, hp, hl);
		a->host[hl] = 0;
		if (hl >= 2 && a->host[0] == '[' && a->host[hl - 1] == ']') {
			memmove(a->host, a->host + 1, hl - 2);
			a->host[hl - 2] = 0;
		}
		snprintf(a->port, sizeof(a->port), "%s", port);
		return 0;
	}
	snprintf(why, n, "expected unix:/path or inet:HOST:PORT");
	return -1;
}

/* laddr_resolve - the socket address of an inet address; 0 or -1 */
static int laddr_resolve(const struct laddr *a, struct addrinfo **ai,
			 char *why, size_t n)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	int e = getaddrinfo(a->host, a->port, &hints, ai);

	if (e != 0) {
		snprintf(why, n, "%s: %s", a->host, gai_strerror(e));
		return -1;
	}
	return 0;
}

/* check_list - every address of one setting (inet_only: no unix
 * socket); errors logged */
static int check_list(const char *file, const struct ms_config *cfg,
		      const char *setting, const char *value, int inet_only)
{
	char *copy = xstrdup(value), *tok, *save = NULL, at[4200], why[300];
	int rc = 0;

	where(at, sizeof(at), file, cfg, setting);
	for (tok = strtok_r(copy, " ,\t", &save); tok;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		struct laddr a;
		struct addrinfo *ai = NULL;

		if (laddr_parse(tok, &a, why, sizeof(why)) != 0 ||
		    (a.is_unix && inet_only &&
		     snprintf(why, sizeof(why), "expected inet:HOST:PORT") > 0) ||
		    (!a.is_unix && laddr_resolve(&a, &ai, why, sizeof(why)) != 0)) {
			dlog(LOG_ERR, "%s%s %s: %s", at, setting, tok, why);
			rc = -1;
		}
		if (ai)
			freeaddrinfo(ai);
	}
	free(copy);
	return rc;
}

/* listen_check - what the daemon's settings say that the parser could
 * not check: the listening addresses, socket_group; each error logged
 * naming file and line; 0 or -1 */
int listen_check(const char *file, const struct ms_config *cfg)
{
	int rc = 0;

	if (check_list(file, cfg, "policy_listen", cfg->policy_listen, 0) != 0)
		rc = -1;
	if (check_list(file, cfg, "milter_listen", cfg->milter_listen, 0) != 0)
		rc = -1;
	if (check_list(file, cfg, "metrics_listen", cfg->metrics_listen, 1) != 0)
		rc = -1;
	if (*cfg->socket_group && !getgrnam(cfg->socket_group)) {
		char at[4200];

		where(at, sizeof(at), file, cfg, "socket_group");
		dlog(LOG_ERR, "%ssocket_group %s: no such group", at,
		     cfg->socket_group);
		rc = -1;
	}
	return rc;
}

/* unix_answers - does a daemon accept connections on path? */
static int unix_answers(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	strcpy(sa.sun_path, path);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return r == 0 || errno == EAGAIN;       /* EAGAIN: a full backlog */
}

/* listen_in_use - a unix socket of value that another process answers
 * on (logged): binding would take it over; 1 or 0.  (An inet address
 * in use fails to bind by itself.) */
int listen_in_use(const char *value)
{
	char *copy = xstrdup(value), *tok, *save = NULL, why[300];
	int used = 0;

	for (tok = strtok_r(copy, " ,\t", &save); tok && !used;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		struct laddr a;

		if (laddr_parse(tok, &a, why, sizeof(why)) == 0 && a.is_unix &&
		    unix_answers(a.path)) {
			dlog(LOG_ERR, "already running: another process answers on %s; not starting",
			     tok);
			used = 1;
		}
	}
	free(copy);
	return used;
}

/* bind_unix - a unix socket with the configured mode and group */
static int bind_unix(const struct laddr *a, const char *label,
		     const struct ms_config *cfg, struct listener *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	strcpy(sa.sun_path, a->path);
	/* a socket left by a daemon that died goes (listen_in_use made
	 * sure none answers on it); anything else stays */
	if (lstat(a->path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(a->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		dlog(LOG_ERR, "%s: %s", label, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	strcpy(l->path, a->path);
	l->fd = fd;
	if (chmod(a->path, cfg->socket_mode) != 0) {
		dlog(LOG_ERR, "%s: chmod: %s", label, strerror(errno));
		return -1;
	}
	if (*cfg->socket_group) {
		struct group *gr = getgrnam(cfg->socket_group);

		if (!gr || chown(a->path, (uid_t)-1, gr->gr_gid) != 0) {
			dlog(LOG_ERR, "%s: socket_group %s: %s", label,
			     cfg->socket_group, gr ? strerror(errno) : "no such group");
			return -1;
		}
	}
	return 0;
}

/* bind_inet - a TCP socket */
static int bind_inet(const struct laddr *a, const char *label,
		     struct listener *l)
{
	struct addrinfo *ai = NULL;
	char why[300];
	int fd, one = 1;

	if (laddr_resolve(a, &ai, why, sizeof(why)) != 0) {
		dlog(LOG_ERR, "%s: %s", label, why);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		dlog(LOG_ERR, "%s: %s", label, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	l->fd = fd;
	return 0;
}

/* listen_one - bind and listen on one address; errors logged under
 * label (where the address was configured) */
static int listen_one(const char *spec, const char *label, enum job_kind kind,
		      const struct ms_config *cfg, struct listener *l)
{
	struct laddr a;
	char why[300];
	int r;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->kind = kind;
	snprintf(l->spec, sizeof(l->spec), "%s", spec);
	if (laddr_parse(spec, &a, why, sizeof(why)) != 0) {
		dlog(LOG_ERR, "%s: %s", label, why);
		return -1;
	}
	r = a.is_unix ? bind_unix(&a, label, cfg, l) : bind_inet(&a, label, l);
	if (r == 0 && listen(l->fd, LISTEN_BACKLOG) != 0) {
		dlog(LOG_ERR, "%s: listen: %s", label, strerror(errno));
		r = -1;
	}
	if (r != 0)
		listen_close(l, 1);
	return r;
}

/* listen_all - every address of a setting; -1 on the first failure,
 * logged naming the file and line of the setting */
int listen_all(const char *file, const char *setting, enum job_kind kind,
	       const struct ms_config *cfg, struct listener *ls, size_t *n)
{
	const char *value = kind == JOB_POLICY ? cfg->policy_listen
			    : kind == JOB_MILTER ? cfg->milter_listen
			    : cfg->metrics_listen;
	char *copy = xstrdup(value), *tok, *save = NULL, at[4200], label[4600];
	int rc = 0;

	where(at, sizeof(at), file, cfg, setting);
	for (tok = strtok_r(copy, " ,\t", &save); tok && rc == 0;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		snprintf(label, sizeof(label), "%s%s %s", at, setting, tok);
		if (*n == MAX_LISTEN) {
			dlog(LOG_ERR, "%s: more than %d listening addresses",
			     label, MAX_LISTEN);
			rc = -1;
		} else if (listen_one(tok, label, kind, cfg, &ls[*n]) == 0) {
			(*n)++;
		} else {
			rc = -1;
		}
	}
	free(copy);
	return rc;
}

/* listen_close - close a listener; unlink its unix socket too */
void listen_close(struct listener *l, int unlink_path)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	if (unlink_path && l->path[0])
		unlink(l->path);
}
