/* A libFuzzer target for the tokenizer: any bytes, both encodings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tok/bpe.h"
#include "core/utf8.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Checks what must hold for any input: the count equals the number of
 * ids, with special tokens or without; the ids decode to the input (after
 * invalid UTF-8 is replaced); encoding a prefix split where
 * bpe_split_point says gives the same ids.
 */
static void
check(const struct bpe *enc, const char *text, size_t len)
{
	struct bpe_ids ids = {NULL, 0, 0}, head = {NULL, 0, 0};
	struct buf fixed = BUF_INIT, out = BUF_INIT;
	const char *tok;
	size_t n, i, tlen, cut;

	n = bpe_encode(enc, text, len, BPE_SPECIAL, &ids);
	if (n != ids.n || n != bpe_encode(enc, text, len, BPE_SPECIAL, NULL))
		abort();
	ids.n = 0;
	n = bpe_encode(enc, text, len, 0, &ids);
	if (n != ids.n || n != bpe_encode(enc, text, len, 0, NULL))
		abort();
	for (i = 0; i < ids.n; i++) {
		if ((tok = bpe_token(enc, ids.v[i], &tlen)) == NULL)
			abort();
		buf_add(&out, tok, tlen);
	}
	utf8_sanitize(text, len, &fixed);
	if (out.len != fixed.len ||
	    (out.len > 0 && memcmp(out.s, fixed.s, out.len) != 0))
		abort();
	if ((cut = bpe_split_point(text, len)) > 0) {
		bpe_encode(enc, text, cut, 0, &head);
		bpe_encode(enc, text + cut, len - cut, 0, &head);
		if (head.n != ids.n ||
		    (ids.n > 0 &&
			memcmp(head.v, ids.v, ids.n * sizeof(*ids.v)) != 0))
			abort();
	}
	buf_release(&out);
	buf_release(&fixed);
	bpe_ids_release(&head);
	bpe_ids_release(&ids);
}

/* The library calls it for a bad option, which is not tested here. */
void
usage(void)
{
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(bpe_find("cl100k_base"), (const char *)data, size);
	check(bpe_find("o200k_base"), (const char *)data, size);
	return 0;
}
