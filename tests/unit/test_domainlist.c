/*
 * test_domainlist.c - domain lists and the ".parent" subdomain rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domainlist.h"
#include "unit.h"

int main(void)
{
	static const struct {
		const char *pattern, *domain;
		int match;
	} m[] = {
		{ "example.com", "example.com", 1 },
		{ "example.com", "EXAMPLE.com.", 1 },
		{ "example.com", "a.example.com", 0 },
		{ ".example.com", "a.example.com", 1 },
		{ ".example.com", "a.b.example.com", 1 },
		{ ".example.com", "example.com", 0 },
		{ ".example.com", "badexample.com", 0 },
		{ ".example.com.", "a.EXAMPLE.COM", 1 },
		{ "example.com", "example.co", 0 },
	};
	struct ms_error err;
	struct domainlist *dl;
	char path[] = "/tmp/mailseal-dl-XXXXXX";
	size_t i;
	int fd;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		CHECK(domain_match(m[i].pattern, m[i].domain) == m[i].match,
		      "domain_match(%s, %s) = %d", m[i].pattern, m[i].domain, m[i].match);

	dl = domainlist_parse("bank.example, .bank.example ,corp.example\tother.example",
			      "require_signed", &err);
	CHECK(dl && domainlist_size(dl) == 4, "inline list: four entries");
	CHECK(dl && strcmp(domainlist_match(dl, "bank.example"), "bank.example") == 0,
	      "exact entry for the domain itself");
	CHECK(dl && strcmp(domainlist_match(dl, "mail.bank.example"), ".bank.example") == 0,
	      "subdomain entry for a subdomain");
	CHECK(dl && domainlist_match(dl, "example") == NULL &&
	      domainlist_match(dl, "notbank.example") == NULL, "no match");
	domainlist_free(dl);

	dl = domainlist_parse("good.example, bad..example", "require_signed", &err);
	CHECK(!dl && strstr(err.msg, "require_signed:1: \"bad..example\" is not a domain"),
	      "a bad entry is refused with setting and line (%s)", err.msg);

	fd = mkstemp(path);
	if (fd >= 0) {
		const char text[] = "# domains that must be signed\nbank.example\n\n.corp.example  # and below\n";

		if (write(fd, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1)
			unit_failf("domainlist file", "write failed");
		close(fd);
		dl = domainlist_load(path, "require_signed", &err);
		CHECK(dl && domainlist_size(dl) == 2 &&
		      domainlist_match(dl, "x.corp.example") != NULL,
		      "a file of domains, with comments");
		domainlist_free(dl);
		unlink(path);
	}
	dl = domainlist_load("/nonexistent/list", "require_signed", &err);
	CHECK(!dl && err.code == MS_ERR_IO && strstr(err.msg, "/nonexistent/list"),
	      "an unreadable file is named");
	dl = domainlist_load("", "require_signed", &err);
	CHECK(dl && domainlist_size(dl) == 0 && !domainlist_match(dl, "example.com"),
	      "an empty list matches nothing");
	domainlist_free(dl);
	return unit_done();
}
