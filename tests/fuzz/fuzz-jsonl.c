/* A libFuzzer target for the JSON-lines reader: any bytes as input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The library calls it for a bad option, which is not tested here. */
void
usage(void)
{
	abort();
}

/*
 * Reads every record and writes it back; a record that was read must
 * print and parse again to the same text (nothing changes on a second
 * pass, numbers included).  The reader's error messages are muted by
 * -close_fd_mask=2 (see Makefile); libFuzzer reports on its own copy.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonl r;
	FILE *in, *out;
	struct json_error e;
	cJSON *rec, *again;
	char *s, *t;
	int rv;

	if (size == 0)
		return 0; /* fmemopen refuses an empty buffer */
	if ((in = fmemopen((void *)data, size, "r")) == NULL)
		abort();
	if ((out = fopen("/dev/null", "w")) == NULL)
		abort();
	jsonl_init(&r, in);
	r.max_line = 1024;
	while ((rv = jsonl_read(&r, &rec)) != 0) {
		if (rv < 0)
			continue;
		s = json_print_alloc(rec);
		again = json_parse(s, strlen(s), &e);
		if (!cJSON_IsObject(again))
			abort();
		t = json_print_alloc(again);
		if (strcmp(s, t) != 0)
			abort();
		cJSON_Delete(again);
		free(t);
		free(s);
		jsonl_write(out, rec);
		cJSON_Delete(rec);
	}
	jsonl_release(&r);
	fclose(out);
	fclose(in);
	return 0;
}
