/*
 * fuzz_domainlist.c - libFuzzer target: domain lists (require_signed
 * and the like) and matching against them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domainlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct domainlist *dl;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;         /* a setting's value is a C string */
	dl = domainlist_parse(text, "fuzz", NULL);
	if (dl) {
		(void)domainlist_match(dl, "mail.example.com");
		(void)domainlist_match(dl, "example.com.");
		domainlist_free(dl);
	}
	free(text);
	return 0;
}
