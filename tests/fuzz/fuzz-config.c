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
/*
 * The library calls it for a bad option, which is not tested here.  The
 * parser's error messages are muted by -close_fd_mask=2 (see Makefile),
 * which keeps libFuzzer's own report and any crash on its copy of stderr.
 */
void
usage(void)
{
	abort();
}

static int
known_section(const char *s)
{
	static const char *const known[] = {
	    "", "model", "provider", "route", "chat"};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(s, known[i]) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	size_t i;

	memset(&c, 0, sizeof(c));
	if (config_parse(&c, "fuzz", (const char *)data, size) == 0)
		for (i = 0; i < c.n; i++)
			if (strchr(c.v[i].key, '\n') != NULL ||
			    !known_section(c.v[i].section) || c.v[i].line == 0)
				abort();
	config_release(&c);
	return 0;
}
