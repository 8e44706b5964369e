/* mkvocab: turn a .tiktoken vocabulary into the blob common/vocab.S embeds. */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok/bpe_table.h"

struct token {
	unsigned char *bytes;
	size_t len;
};

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes base64 text of length n into out; returns the byte count or -1. */
static long
b64decode(const char *s, size_t n, unsigned char *out)
{
	size_t i, o = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	for (i = 0; i < n && s[i] != '='; i++) {
		if ((v = b64val((unsigned char)s[i])) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)o;
}

/*
 * Reads "base64 rank" lines.  tiktoken gives every rank exactly once, in
 * order; the blob relies on that, so anything else is an error.
 */
static struct token *
read_vocab(FILE *fp, size_t *count)
{
	struct token *tok = NULL, *grown;
	size_t n = 0, cap = 0, lineno = 0;
	char line[1024], *sp, *end;
	unsigned char buf[BPE_MAX_TOKEN_LEN + 1];
	unsigned long rank;
	long len;

	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if ((sp = strchr(line, ' ')) == NULL)
			errx(1, "line %zu: no rank", lineno);
		rank = strtoul(sp + 1, &end, 10);
		if (rank != n || (*end != '\n' && *end != '\0'))
			errx(
			    1, "line %zu: rank %lu out of order", lineno, rank);
		if ((size_t)(sp - line) > 4 * (BPE_MAX_TOKEN_LEN / 3))
			errx(1, "line %zu: token too long", lineno);
		len = b64decode(line, (size_t)(sp - line), buf);
		if (len <= 0)
			errx(1, "line %zu: bad base64", lineno);
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((grown = realloc(tok, cap * sizeof(*tok))) == NULL)
				err(1, NULL);
			tok = grown;
		}
		if ((tok[n].bytes = malloc((size_t)len)) == NULL)
			err(1, NULL);
		memcpy(tok[n].bytes, buf, (size_t)len);
		tok[n].len = (size_t)len;
		n++;
	}
	if (ferror(fp))
		err(1, "read");
	*count = n;
	return tok;
}

static void
put32(uint32_t v, FILE *out)
{
	if (fwrite(&v, sizeof(v), 1, out) != 1)
		err(1, "write");
}

static void
write_blob(const struct token *tok, size_t n, FILE *out)
{
	uint32_t bits = 1, *slots, off = 0, byte_rank[256], *pair_rank;
	size_t i, mask, total = 0;
	uint64_t h;

	/* Load factor under 0.5 keeps probe chains short for misses. */
	while (((size_t)1 << bits) < 2 * n + 2)
		bits++;
	mask = ((size_t)1 << bits) - 1;
	if ((slots = calloc(mask + 1, 2 * sizeof(*slots))) == NULL)
		err(1, NULL);
	if ((pair_rank = malloc(65536 * sizeof(*pair_rank))) == NULL)
		err(1, NULL);
	memset(byte_rank, 0xff, sizeof(byte_rank));
	memset(pair_rank, 0xff, 65536 * sizeof(*pair_rank));
	for (i = 0; i < n; i++) {
		total += tok[i].len;
		if (tok[i].len == 1)
			byte_rank[tok[i].bytes[0]] = (uint32_t)i;
		if (tok[i].len == 2)
			pair_rank[tok[i].bytes[0] << 8 | tok[i].bytes[1]] =
			    (uint32_t)i;
		h = bpe_hash(tok[i].bytes, tok[i].len);
		size_t s = h & mask;
		while (slots[2 * s + 1] != 0)
			s = (s + 1) & mask;
		slots[2 * s] = bpe_tag(tok[i].bytes, tok[i].len, h);
		slots[2 * s + 1] = (uint32_t)i | (uint32_t)tok[i].len << 24;
	}
	for (i = 0; i < 256; i++)
		if (byte_rank[i] == UINT32_MAX)
			errx(1, "byte %zu has no token", i);

	put32(BPE_MAGIC, out);
	put32((uint32_t)n, out);
	put32(bits, out);
	put32((uint32_t)total, out);
	for (i = 0; i < 256; i++)
		put32(byte_rank[i], out);
	if (fwrite(pair_rank, sizeof(*pair_rank), 65536, out) != 65536)
		err(1, "write");
	for (i = 0; i < n; i++) {
		put32(off, out);
		off += (uint32_t)tok[i].len;
	}
	put32(off, out);
	if (fwrite(slots, 2 * sizeof(*slots), mask + 1, out) != mask + 1)
		err(1, "write");
	for (i = 0; i < n; i++)
		if (fwrite(tok[i].bytes, 1, tok[i].len, out) != tok[i].len)
			err(1, "write");
	free(pair_rank);
	free(slots);
}

int
main(int argc, char *argv[])
{
	struct token *tok;
	size_t i, n;

	if (argc != 1 || argv[0] == NULL) {
		fprintf(
		    stderr, "usage: mkvocab < vocab.tiktoken > vocab.bin\n");
		return 2;
	}
	tok = read_vocab(stdin, &n);
	if (n == 0)
		errx(1, "empty vocabulary");
	write_blob(tok, n, stdout);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "write");
	for (i = 0; i < n; i++)
		free(tok[i].bytes);
	free(tok);
	return 0;
}
