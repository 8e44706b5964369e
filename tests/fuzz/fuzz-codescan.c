/* A libFuzzer target for the code scanner: any bytes as a message's text. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem/codescan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The library calls it for a bad option, which is not tested here. */
void
usage(void)
{
	abort();
}

static const char *text;
static size_t text_len;

/* A span must lie in the text (or be empty). */
static void
inside(const struct code_span *s)
{
	if (s->len > 0 && (s->s < text || s->s + s->len > text + text_len))
		abort();
}

/* A definition's name is in its line, and is a name. */
static void
check_defs(const struct code_defs *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		inside(&d->v[i].name);
		inside(&d->v[i].line);
		inside(&d->v[i].head);
		if (d->v[i].name.len == 0 ||
		    !(isalpha((unsigned char)d->v[i].name.s[0]) ||
			d->v[i].name.s[0] == '_' || d->v[i].name.s[0] == '$' ||
			d->v[i].name.s[0] == '~'))
			abort();
		if (d->v[i].name.s < d->v[i].line.s ||
		    d->v[i].name.s + d->v[i].name.len >
			d->v[i].line.s + d->v[i].line.len)
			abort();
	}
}

static void
check_todos(const struct code_spans *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		inside(&t->v[i]);
		if (t->v[i].len == 0)
			abort();
	}
}

/* Every language's definitions of s, and its TODOs. */
static void
scan_code(const char *s, size_t len)
{
	struct code_defs d = CODE_DEFS_INIT;
	struct code_spans t = CODE_SPANS_INIT;
	int lang;

	for (lang = CODE_UNKNOWN; lang <= CODE_OTHER; lang++) {
		code_find_defs((enum code_lang)lang, s, len, &d);
		check_defs(&d);
		d.n = 0;
	}
	code_find_todos(s, len, &t);
	check_todos(&t);
	code_defs_release(&d);
	code_spans_release(&t);
}

/*
 * Fences and diff files come in order, each past the one before, inside
 * the text; what they name lies in it; their code scans anywhere.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct code_defs d = CODE_DEFS_INIT;
	struct code_spans t = CODE_SPANS_INIT;
	struct code_fence f;
	struct diff_file df;
	size_t pos = 0, last = 0, dpos;
	int side, context;

	text = (const char *)data;
	text_len = size;
	while (code_next_fence(text, size, &pos, &f)) {
		if (f.start < last || f.end <= f.start || f.end > size ||
		    pos != f.end)
			abort();
		inside(&f.info);
		inside(&f.body);
		inside(&f.path);
		if ((unsigned)f.lang > CODE_OTHER)
			abort();
		scan_code(f.body.s, f.body.len);
		last = f.end;
	}
	for (dpos = 0; diff_next_file(text, size, &dpos, &df);) {
		if (df.end <= df.start || df.end > size || dpos != df.end)
			abort();
		inside(&df.old_path);
		inside(&df.new_path);
		inside(&df.hunks);
		for (side = DIFF_NEW; side <= DIFF_OLD; side++)
			for (context = 0; context <= 1; context++) {
				diff_find_defs(&df, CODE_C,
				    (enum diff_side)side, context, &d);
				diff_find_defs(&df, CODE_JS,
				    (enum diff_side)side, context, &d);
				check_defs(&d);
				d.n = 0;
			}
		diff_find_todos(&df, &t);
		check_todos(&t);
		t.n = 0;
	}
	scan_code(text, size);
	code_is_path(text, size > 300 ? 300 : size);
	code_lang_guess(text, size);
	code_defs_release(&d);
	code_spans_release(&t);
	return 0;
}
