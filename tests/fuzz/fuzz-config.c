/* A libFuzzer target for the configuration parser: any bytes as a file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A file that parses yields entries whose keys and values are strings
 * without line ends, each in a section the parser knows.
 */
/* The library calls it for a bad option, which is not tested here. */
void
usage(void)
{
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	size_t i;

	if (freopen("/dev/null", "w", stderr) == NULL)
		abort();
	memset(&c, 0, sizeof(c));
	if (config_parse(&c, "fuzz", (const char *)data, size) == 0)
		for (i = 0; i < c.n; i++)
			if (strchr(c.v[i].key, '\n') != NULL ||
			    (strcmp(c.v[i].section, "") != 0 &&
				strcmp(c.v[i].section, "model") != 0 &&
				strcmp(c.v[i].section, "provider") != 0) ||
			    c.v[i].line == 0)
				abort();
	config_release(&c);
	return 0;
}
