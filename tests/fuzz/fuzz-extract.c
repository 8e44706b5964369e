/* A libFuzzer target for the extractive engine's reading of text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem/extract.h"
#include "mem/terms.h"
#include "tok/count.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void
usage(void)
{
	abort();
}

static void
on_term(void *arg, enum term_kind kind, const char *s, size_t len)
{
	const char *text = arg;

	(void)kind;
	if (len == 0 || s < text)
		abort();
}

/*
 * Any bytes as messages, cut at NUL bytes, each a role by its first
 * byte; the first byte of all is the budget.  Terms lie within the
 * text; a sentence is a non-empty prefix; the summary fits the budget;
 * every item has text to find.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct counter c;
	static int ready;
	const char *s = (const char *)data, *end = s + size, *z;
	const struct extract_item *items;
	struct extract *x;
	size_t budget, n, i;
	char *text;

	if (!ready && counter_for_encoding(&c, "o200k_base") < 0)
		abort();
	ready = 1;
	if (size == 0)
		return 0;
	budget = 10 + (size_t)data[0] * 4;
	s++;
	x = extract_new(&c);
	for (; s < end; s = z + 1) {
		z = memchr(s, '\0', (size_t)(end - s));
		if (z == NULL)
			z = end;
		if (z > s) {
			terms_scan(s + 1, (size_t)(z - s - 1), on_term,
			    (void *)(s + 1));
			if (z - s > 1 &&
			    terms_sentence(s + 1, (size_t)(z - s - 1)) >
				(size_t)(z - s - 1))
				abort();
			extract_add(x,
			    (enum extract_role)((unsigned char)*s % 5), s + 1,
			    (size_t)(z - s - 1), 1);
		}
	}
	text = extract_render(x, budget, 3);
	if (counter_count(&c, text, strlen(text)) > budget)
		abort();
	free(text);
	items = extract_items(x, 40, &n);
	for (i = 0; i < n; i++)
		if (items[i].find == NULL || items[i].line == NULL)
			abort();
	extract_free(x);
	return 0;
}
