/* A libFuzzer target for the rules engine: any bytes as messages. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
#include "mem/facts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The library calls it for a bad option, which is not tested here. */
void
usage(void)
{
	abort();
}

/*
 * The input, cut at NUL bytes, is messages of the user and of the
 * assistant in turn.  Every op the rules make is a valid fact record
 * whose kind is known, whose subject is not empty, and the live facts
 * then hold it (or, for a delete, not).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct facts_found found = FACTS_FOUND_INIT;
	struct fact_origin o = {"m1", "2026-11-24T10:00:00Z", NULL};
	const char *s = (const char *)data, *end = s + size, *nul;
	struct facts facts;
	const cJSON *op;
	cJSON *ops;
	char *text;
	int user = 1;

	facts_init(&facts);
	for (; s < end; s = nul + 1, user = !user) {
		nul = memchr(s, '\0', (size_t)(end - s));
		if (nul == NULL)
			nul = end;
		facts_found_reset(&found);
		/* A message's text ends in a NUL, as a record's string does. */
		text = strndup(s, (size_t)(nul - s));
		if (text == NULL)
			abort();
		facts_extract(text, (size_t)(nul - s), user, &found);
		free(text);
		if ((ops = cJSON_CreateArray()) == NULL)
			abort();
		facts_ops(&facts, &found, &o, ops);
		cJSON_ArrayForEach(op, ops) {
			const char *subject = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(op, "subject"));

			if (record_check(op) != NULL ||
			    !fact_kind_known(cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(
				    op, "kind"))) ||
			    subject == NULL || subject[0] == '\0')
				abort();
		}
		/* The last op on each fact is what the live facts hold. */
		cJSON_ArrayForEach(op, ops) {
			const char *kind = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(op, "kind"));
			const char *subject = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(op, "subject"));
			const cJSON *later;
			int last = 1;

			for (later = op->next; later != NULL;
			     later = later->next)
				if (fact_same(op, later))
					last = 0;
			if (last &&
			    (facts_get(&facts, kind, subject) == NULL) !=
				fact_deletes(op))
				abort();
		}
		cJSON_Delete(ops);
		if (nul == end)
			break;
	}
	facts_found_release(&found);
	facts_release(&facts);
	return 0;
}
