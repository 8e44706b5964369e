/* A libFuzzer target for the log summarizer: its masker and miner. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "mem/drain.h"
#include "mem/logsum.h"
#include "mem/mask.h"
#include "tok/count.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The library calls it for a bad option, which is not tested here. */
void
usage(void)
{
	abort();
}

/*
 * Any bytes as a log: the first byte picks the budget and whether the
 * rest is also read as a baseline and a state file.  A masked line has
 * at most MASK_MAX_TOKENS tokens, each NUL-free; the miner holds at most
 * DRAIN_MAX templates and one for the overflow; the summary fits the
 * budget; a saved state reads back.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct counter c;
	static int ready;
	const char *s = (const char *)data, *end = s + size, *nl;
	struct logsum *ls;
	struct mask m;
	size_t budget, i;
	char *text, *state = NULL;
	size_t state_len = 0;
	FILE *fp;
	int mode;

	if (!ready && counter_for_encoding(&c, "o200k_base") < 0)
		abort();
	ready = 1;
	if (size == 0)
		return 0;
	mode = data[0];
	budget = 20 + (size_t)(mode & 0x3f) * 16;
	s++;
	mask_init(&m);
	ls = logsum_new();
	if (mode & 0x40) {
		for (nl = s; s < end; s = nl + 1) {
			nl = memchr(s, '\n', (size_t)(end - s));
			if (nl == NULL)
				nl = end;
			logsum_baseline_line(ls, s, (size_t)(nl - s));
		}
		logsum_baseline_done(ls);
		s = (const char *)data + 1;
	}
	for (; s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		mask_line(&m, s, (size_t)(nl - s));
		if (m.n > MASK_MAX_TOKENS)
			abort();
		for (i = 0; i < (size_t)m.n; i++)
			if (strlen(m.text.s + m.off[i]) == 0)
				abort();
		logsum_line(ls, s, (size_t)(nl - s));
	}
	text = logsum_render(ls, &c, budget);
	if (counter_count(&c, text, strlen(text)) > budget ||
	    utf8_valid_prefix(text, strlen(text)) != strlen(text))
		abort();
	free(text);
	if (mode & 0x80) {
		fp = open_memstream(&state, &state_len);
		logsum_save_state(ls, fp);
		fclose(fp);
		logsum_free(ls);
		ls = logsum_new();
		fp = fmemopen(state, state_len, "r");
		if (logsum_load_state(ls, fp, "state") != 1)
			abort();
		fclose(fp);
		free(state);
		logsum_baseline_done(ls);
	}
	logsum_free(ls);
	mask_release(&m);
	return 0;
}
