#!/usr/bin/env bats
# llm-count against OpenAI's tiktoken: token ids for every entry of
# tests/golden/corpus.jsonl, and for invalid UTF-8, must equal those npm
# tiktoken 1.0.22 gives (scripts/gen-golden made the expected files).

load helper

# Encodes the corpus (or, with "count", counts it, which takes another
# path through the tokenizer) and compares "tokens" and "ids" (or
# "tokens") line by line with the expected file; prints the first entries
# that differ.  Entries with a NUL (\u0000) are left out: records cannot
# hold one (see llmpipe(7)), and a test below encodes them as text.
compare_corpus() {
	local enc=$1 mode=${2:-encode}
	grep -n 'u0000' "$GOLDEN/corpus.jsonl" | cut -d: -f1 >"$BATS_TEST_TMPDIR/skip"
	awk 'NR == FNR { skip[$1] = 1; next } !(FNR in skip)' \
		"$BATS_TEST_TMPDIR/skip" "$GOLDEN/corpus.jsonl" >"$BATS_TEST_TMPDIR/corpus"
	awk 'NR == FNR { skip[$1] = 1; next } !(FNR in skip)' \
		"$BATS_TEST_TMPDIR/skip" "$GOLDEN/$enc.expected" >"$BATS_TEST_TMPDIR/expected"
	if [ "$mode" = count ]; then
		sed -i 's/,"ids":.*$/}/' "$BATS_TEST_TMPDIR/expected"
		llm-count -e "$enc" <"$BATS_TEST_TMPDIR/corpus"
	else
		llm-count --encode -e "$enc" <"$BATS_TEST_TMPDIR/corpus"
	fi | sed 's/^.*,"tokens":/{"tokens":/' >"$BATS_TEST_TMPDIR/got"
	paste -d '\n' "$BATS_TEST_TMPDIR/corpus" "$BATS_TEST_TMPDIR/expected" \
		"$BATS_TEST_TMPDIR/got" | awk 'NR % 3 == 1 { c = $0 }
		NR % 3 == 2 { e = $0 } NR % 3 == 0 && $0 != e {
			print "entry: " substr(c, 1, 200); print "expected: " e
			print "got:      " $0; if (++n == 3) exit }' >"$BATS_TEST_TMPDIR/diff"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got")" -eq "$(wc -l <"$BATS_TEST_TMPDIR/expected")" ]
	if [ -s "$BATS_TEST_TMPDIR/diff" ]; then
		cat "$BATS_TEST_TMPDIR/diff"
		return 1
	fi
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got")" -gt 1000 ]
}

@test "cl100k_base: the corpus encodes to tiktoken's ids" {
	compare_corpus cl100k_base
}

@test "o200k_base: the corpus encodes to tiktoken's ids" {
	compare_corpus o200k_base
}

@test "counted without their ids, the corpus has tiktoken's numbers of tokens" {
	compare_corpus cl100k_base count
	compare_corpus o200k_base count
}

@test "NUL characters in text encode to tiktoken's ids" {
	for enc in cl100k_base o200k_base; do
		expected=$(grep -n . "$GOLDEN/$enc.expected" |
			grep "^$(grep -n '"nul-in-text"' "$GOLDEN/corpus.jsonl" | cut -d: -f1):" |
			sed 's/.*"ids":\[//; s/\]}$//; s/,/ /g')
		run llm-count -t --encode -e "$enc" < <(printf 'a\0b \0 1\0 \0\0\0 x\n\0\n')
		[ "$output" = "$expected" ]
	done
}

@test "invalid UTF-8 encodes as tiktoken encodes its U+FFFD repair" {
	local n=0 f enc name
	for f in "$GOLDEN"/invalid/*.bin; do
		name=${f%.bin}
		for enc in cl100k_base o200k_base; do
			run llm-count -t --encode -e "$enc" <"$f"
			if [ "$output" != "$(cat "$name.$enc.ids")" ]; then
				echo "$f ($enc): expected $(cat "$name.$enc.ids"), got $output"
				return 1
			fi
			n=$((n + 1))
		done
	done
	[ "$n" -ge 20 ]
}
