/*
 * cmd_stats.c - mailseal stats: the farm's counters, as every node
 * pushed them to Redis (farm_stats = yes: the Exim module after each
 * message, mailseal-policyd every farm_stats_interval), in Prometheus
 * text (format 0.0.4), under the names mailseal-policyd's /metrics
 * gives, so that one scraper reads both.
 *
 *   mailseal stats [--node NAME | --total]
 *   mailseal stats --forget NODE
 *
 * The farm's total first (series without a node label), then each
 * node's (node="NAME"), nodes sorted by name; --node shows one node,
 * --total only the total.  Gauges (connections open now) are not in
 * Redis: only a daemon's /metrics has them.  --forget drops a node's
 * counters (a node taken out of the farm).  Exit 0, or 1 when Redis
 * cannot be read (or none is configured), 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "farmcache.h"
#include "farmstats.h"
#include "metrics.h"

/* stats_print - the total and the nodes asked for, to stdout */
static int stats_print(const struct farmstats_node *nodes, size_t n,
		       const char *only, int total_only)
{
	const struct metrics_snap **snaps = calloc(n + 1, sizeof(*snaps));
	const char **names = calloc(n + 1, sizeof(*names));
	struct metrics_snap total;
	struct buf out;
	size_t i, k = 0;
	int rc = CLI_OK;

	if (!snaps || !names) {
		free(snaps);
		free(names);
		cli_error("out of memory");
		return CLI_IO;
	}
	memset(&total, 0, sizeof(total));
	for (i = 0; i < n; i++)
		metrics_sum(&total, &nodes[i].snap);
	if (!only) {
		snaps[k] = &total;
		names[k++] = NULL;
	}
	for (i = 0; i < n && !total_only; i++) {
		if (only && strcmp(only, nodes[i].name) != 0)
			continue;
		snaps[k] = &nodes[i].snap;
		names[k++] = nodes[i].name;
		if (nodes[i].unknown)
			fprintf(stderr, "mailseal: node %s: %zu fields name no series this version knows; left out\n",
				nodes[i].name, nodes[i].unknown);
	}
	if (only && k == 0) {
		cli_error("no counters of node %s in the farm's Redis", only);
		rc = CLI_IO;
	} else {
		buf_init(&out, BUF_UNLIMITED);
		metrics_render(&out, snaps, names, k, 0);
		if (fwrite(out.data, 1, out.len, stdout) != out.len ||
		    fflush(stdout) != 0) {
			cli_error("cannot write the counters");
			rc = CLI_IO;
		}
		buf_free(&out);
	}
	free(snaps);
	free(names);
	return rc;
}

/* cmd_stats - mailseal stats */
int cmd_stats(const struct ms_config *cfg, int argc, char **argv)
{
	const char *only = NULL, *forget = NULL;
	struct farmstats_node *nodes = NULL;
	struct farmcache *fc = NULL;
	struct ms_error err;
	size_t n = 0;
	int i, total_only = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--total") == 0) {
			total_only = 1;
		} else if (strcmp(argv[i], "--node") == 0 && i + 1 < argc) {
			only = argv[++i];
		} else if (strcmp(argv[i], "--forget") == 0 && i + 1 < argc) {
			forget = argv[++i];
		} else {
			cli_error("stats: unknown option %s (usage: mailseal stats [--node NAME | --total] | --forget NODE)",
				  argv[i]);
			return CLI_USAGE;
		}
	}
	if ((only && total_only) || (forget && (only || total_only))) {
		cli_error("stats: --node, --total and --forget go alone");
		return CLI_USAGE;
	}
	if (farmcache_open(cfg, &fc, &err) != MS_OK) {
		cli_error("%s", err.msg);
		return CLI_IO;
	}
	if (!fc) {
		cli_error("stats: no redis_url, redis_sentinels or redis_cluster in the configuration: the farm keeps no counters");
		return CLI_IO;
	}
	if (forget) {
		int had = farmstats_forget(fc, forget, &err);

		if (had < 0)
			cli_error("%s", err.msg);
		else
			printf("%s node %s\n", had ? "forgot" : "no counters of",
			       forget);
		farmcache_free(fc);
		return had < 0 ? CLI_IO : CLI_OK;
	}
	if (farmstats_read(fc, &nodes, &n, &err) != MS_OK) {
		cli_error("%s", err.msg);
		farmcache_free(fc);
		return CLI_IO;
	}
	rc = stats_print(nodes, n, only, total_only);
	farmstats_free(nodes, n);
	farmcache_free(fc);
	return rc;
}
