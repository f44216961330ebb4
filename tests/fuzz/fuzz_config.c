/*
 * fuzz_config.c - libFuzzer target: the configuration file parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ms_config cfg;
	struct ms_error err;
	FILE *devnull;

	config_init(&cfg);
	if (config_parse(&cfg, data, size, "fuzz.conf", &err) == MS_OK) {
		devnull = fopen("/dev/null", "w");
		if (devnull) {
			config_print(&cfg, devnull, 1);
			fclose(devnull);
		}
	}
	config_free(&cfg);
	return 0;
}
