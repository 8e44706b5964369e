/* A libFuzzer target for the JSON-lines reader: any bytes as input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Reads every record and writes it back; a record that was read must
 * print and parse again as an object.  The reader's error messages go
 * to /dev/null so that the fuzzer's own output stays readable.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonl r;
	FILE *in, *out;
	cJSON *rec, *again;
	char *s;
	int rv;

	if (size == 0)
		return 0; /* fmemopen refuses an empty buffer */
	if ((in = fmemopen((void *)data, size, "r")) == NULL)
		abort();
	if (freopen("/dev/null", "w", stderr) == NULL)
		abort();
	if ((out = fopen("/dev/null", "w")) == NULL)
		abort();
	jsonl_init(&r, in);
	r.max_line = 1024;
	while ((rv = jsonl_read(&r, &rec)) != 0) {
		if (rv < 0)
			continue;
		if ((s = cJSON_PrintUnformatted(rec)) == NULL)
			abort();
		again = cJSON_Parse(s);
		if (!cJSON_IsObject(again))
			abort();
		cJSON_Delete(again);
		cJSON_free(s);
		jsonl_write(out, rec);
		cJSON_Delete(rec);
	}
	jsonl_release(&r);
	fclose(out);
	fclose(in);
	return 0;
}
