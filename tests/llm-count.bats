#!/usr/bin/env bats
# llm-count: every mode, bad input, and the examples of its man page.
# Expected token ids come from OpenAI's tiktoken (npm tiktoken 1.0.22).

load helper

@test "adds tokens to each record and keeps every other field in order" {
	run --separate-stderr llm-count <<-'EOF2'
	{"z":1,"role":"user","content":"hello world","a":{"b":[1,"x"]}}
	{"content":"Count me in.","tokens":99,"id":"m2"}
	EOF2
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '{"z":1,"role":"user","content":"hello world","a":{"b":[1,"x"]},"tokens":2}' ]
	[ "${lines[1]}" = '{"content":"Count me in.","tokens":4,"id":"m2"}' ]
	[ "$stderr" = "" ]
}

@test "counts the text parts of array content and skips other parts" {
	run llm-count -e cl100k_base <<-'EOF2'
	{"role":"user","content":[{"type":"text","text":"hello"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":" world"}]}
	EOF2
	[ "$status" -eq 0 ]
	[ "$output" = '{"role":"user","content":[{"type":"text","text":"hello"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":" world"}],"tokens":2}' ]
}

@test "passes records without content through unchanged" {
	run llm-count <<<'{"type":"route","task":"code","model":"deepseek-coder"}'
	[ "$status" -eq 0 ]
	[ "$output" = '{"type":"route","task":"code","model":"deepseek-coder"}' ]
}

@test "empty input gives empty output" {
	run --separate-stderr llm-count </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	[ "$stderr" = "" ]
}

@test "an input that cannot be read is named, stdin too, and nothing is counted" {
	# A directory opens, and reading it fails (EISDIR).  The program runs
	# unwrapped (command): it exits from err() with its buffers still
	# allocated, which valgrind's check of reachable blocks would count.
	for mode in "" -t; do
		run --separate-stderr command llm-count $mode <"$BATS_TEST_TMPDIR"
		[ "$status" -eq 1 ]
		[ "$output" = "" ]
		[ "$stderr" = "llm-count: stdin: Is a directory" ]
		run --separate-stderr command llm-count $mode "$BATS_TEST_TMPDIR"
		[ "$status" -eq 1 ]
		[ "$output" = "" ]
		[ "$stderr" = "llm-count: $BATS_TEST_TMPDIR: Is a directory" ]
	done
}

@test "skips blank lines, accepts CRLF and a last line without newline" {
	run llm-count -e cl100k_base < <(printf '\n  \n{"content":"hello"}\r\n\r\n{"content":"one"}')
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '{"content":"hello","tokens":1}' ]
	[ "${lines[1]}" = '{"content":"one","tokens":1}' ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "a byte order mark at the start of a line is skipped" {
	run llm-count < <(printf '\xef\xbb\xbf{"content":"hello"}\n\xef\xbb\xbf{"content":"one"}\n')
	[ "$status" -eq 0 ]
	[ "$output" = $'{"content":"hello","tokens":1}\n{"content":"one","tokens":1}' ]
}

@test "reports a bad line by number and goes on" {
	run -1 --separate-stderr llm-count <<-'EOF2'
	{"role":"user","content":"one"}
	{"role": nope}
	{"role":"user","content":"two words"}
	EOF2
	[ "$output" = $'{"role":"user","content":"one","tokens":1}\n{"role":"user","content":"two words","tokens":2}' ]
	[ "$stderr" = 'llm-count: line 2: invalid JSON: syntax error at column 10' ]
}

@test "reports each kind of bad line with its line number" {
	run -1 --separate-stderr llm-count < <(printf '%s\n' '[1,2]' '{"content":5}' \
		'{"content":[{"text":"x"}]}' '{"content":"a"} {}' \
		'{"content":"a\u0000b"}' "$(printf '{"content":"\xff"}')" \
		'{"content":"ok"}')
	[ "$output" = '{"content":"ok","tokens":1}' ]
	[ "$stderr" = "llm-count: line 1: not a JSON object
llm-count: line 2: 'content' is neither a string nor an array of parts
llm-count: line 3: a 'content' part has no 'type'
llm-count: line 4: invalid JSON: unexpected text at column 17
llm-count: line 5: unsupported NUL character at column 14
llm-count: line 6: invalid UTF-8 at column 13" ]
}

@test "a line over the 64 MiB limit is an error, and the next line is read" {
	run -1 --separate-stderr llm-count < <(head -c $((64 * 1024 * 1024 + 1)) /dev/zero | tr '\0' 'a'; printf '\n{"content":"one"}\n')
	[ "$output" = '{"content":"one","tokens":1}' ]
	[ "$stderr" = 'llm-count: line 1: line too long (over 67108864 bytes)' ]
}

@test "--total adds OpenAI's chat overhead" {
	# 3 per message + role + content (+ 1 + name), 3 to prime the reply;
	# npm tiktoken counts "hello" 1, "hello world" 2, each role and "bob"
	# 1 with o200k_base: (3+1+1) + (3+1+2+1+1) + 3 = 16.
	run llm-count --total <<-'EOF2'
	{"role":"user","content":"hello"}
	{"role":"assistant","content":"hello world","name":"bob"}
	EOF2
	[ "$status" -eq 0 ]
	[ "$output" = '{"tokens":16,"messages":2}' ]
}

@test "--total with no messages is zero" {
	run llm-count --total </dev/null
	[ "$output" = '{"tokens":0,"messages":0}' ]
}

@test "-m picks the model's encoding" {
	run llm-count -m gpt-4 <<<'{"content":"héllo wörld"}'
	[ "$output" = '{"content":"héllo wörld","tokens":6}' ]
	run llm-count -m gpt-4o-2024-08-06 <<<'{"content":"héllo wörld"}'
	[ "$output" = '{"content":"héllo wörld","tokens":5}' ]
}

@test "estimated counts for Claude and DeepSeek say exact:false" {
	# DeepSeek: 0.3 a character, 0.6 a CJK one: 11 * 0.3 = 3.3 -> 4
	run llm-count -m deepseek-coder <<<'{"content":"hello world"}'
	[ "$output" = '{"content":"hello world","tokens":4,"exact":false}' ]
	# 4 * 0.6 + 1 * 0.3 (the comma is fullwidth: CJK) = 3.0 -> 3
	run llm-count -m deepseek-chat <<<'{"content":"你好，世界"}'
	[ "$output" = '{"content":"你好，世界","tokens":3,"exact":false}' ]
	# Claude: cl100k_base's 10 tokens (tiktoken's count) times the
	# model's factor, 1.2 for the Claude 4 tokenizer, 1.4 for Claude 5's.
	run llm-count -m claude-haiku <<<'{"content":"The quick brown fox jumps over the lazy dog.\n"}'
	[ "$output" = '{"content":"The quick brown fox jumps over the lazy dog.\n","tokens":12,"exact":false}' ]
	run llm-count -m claude-sonnet <<<'{"content":"The quick brown fox jumps over the lazy dog.\n"}'
	[ "$output" = '{"content":"The quick brown fox jumps over the lazy dog.\n","tokens":14,"exact":false}' ]
	run llm-count --total -m claude-3-5-haiku-latest <<<'{"content":"hello"}'
	[ "$output" = '{"tokens":2,"messages":0,"exact":false}' ]
}

@test "--text counts raw text" {
	run llm-count --text <<<'hello world'
	[ "$output" = 3 ]
	run llm-count -t -e cl100k_base < <(printf 'The quick brown fox jumps over the lazy dog.\n')
	[ "$output" = 10 ]
	run llm-count -t </dev/null
	[ "$output" = 0 ]
}

@test "--encode adds ids, or prints them for text" {
	run llm-count --encode -e cl100k_base <<<'{"content":"héllo wörld"}'
	[ "$output" = '{"content":"héllo wörld","tokens":6,"ids":[71,19010,385,289,9603,509]}' ]
	run llm-count -t --encode < <(printf '你好，世界')
	[ "$output" = '177519 979 28428' ]
	run llm-count -t --encode </dev/null
	[ "$output" = '' ]
}

@test "--decode turns ids back into text" {
	run llm-count -t --decode -e cl100k_base <<<'[71, 19010, 385, 289, 9603, 509]'
	[ "$output" = 'héllo wörld' ]
	run llm-count --decode <<<'{"ids":[177519,979,28428],"n":1}'
	[ "$output" = '{"ids":[177519,979,28428],"n":1,"content":"你好，世界"}' ]
}

@test "--decode reports ids the encoding lacks" {
	run -1 --separate-stderr llm-count -t --decode -e cl100k_base <<<'15339 100256'
	[ "$output" = '' ]
	[ "$stderr" = 'llm-count: no token 100256 in cl100k_base' ]
	run -1 --separate-stderr llm-count -t --decode <<<'15339 x'
	[ "$stderr" = "llm-count: invalid token id 'x'" ]
	run -1 --separate-stderr llm-count --decode <<<'{"ids":[1.5]}'
	[ "$stderr" = "llm-count: line 1: 'ids' holds something not a token id" ]
}

@test "--decode of a partial character gives U+FFFD in records" {
	run llm-count --decode -e cl100k_base <<<'{"ids":[57352,242]}'
	[ "$output" = $'{"ids":[57352,242],"content":"\uFFFD"}' ]
}

@test "--truncate keeps the first N tokens" {
	run llm-count -t --truncate 2 <<<'hello world again'
	[ "$output" = 'hello world' ]
	run llm-count --truncate 1 -e cl100k_base <<<'{"content":"héllo wörld","id":7}'
	[ "$output" = '{"content":"h","id":7,"tokens":1,"truncated":true}' ]
	run llm-count --truncate 5 <<<'{"content":"hello"}'
	[ "$output" = '{"content":"hello","tokens":1}' ]
	# Invalid UTF-8 comes out as it was counted: repaired with U+FFFD.
	run llm-count -t --truncate 3 < <(printf 'ab\xff\xffcd efg')
	[ "$output" = $'ab\uFFFD\uFFFDcd' ]
}

@test "--truncate never ends in half a character" {
	# 𝔘 is three tokens: the first N=1 and N=2 hold only part of it.
	run llm-count -t --truncate 2 < <(printf '𝔘𝔘')
	[ "$output" = '' ]
	run llm-count -t --truncate 4 < <(printf '𝔘𝔘')
	[ "$output" = '𝔘' ]
}

@test "--budget passes input that fits through byte for byte" {
	input='{"role":"user",   "content":"hello \u00e9"}'
	run llm-count --budget 100 <<<"$input"
	[ "$status" -eq 0 ]
	[ "$output" = "$input" ]
	run llm-count -t --budget 3 <<<'hello world'
	[ "$output" = 'hello world' ]
}

@test "--budget reports and exits 3 when the input does not fit" {
	run -3 --separate-stderr llm-count --budget 7 <<-'EOF2'
	{"role":"user","content":"hello"}
	EOF2
	[ "$output" = '{"tokens":8,"limit":7,"over":1}' ]
	[ "$stderr" = 'llm-count: over budget: 8 tokens, limit 7' ]
	run -3 --separate-stderr llm-count -t --budget 2 <<<'hello world'
	[ "$output" = '{"tokens":3,"limit":2,"over":1}' ]
}

@test "--budget auto uses the model's input budget" {
	# deepseek-coder: 10,000 tokens; 40,000 characters are 12,000.
	run -3 --separate-stderr llm-count --budget auto -m deepseek-coder < <(printf '{"role":"user","content":"%s"}\n' "$(head -c 40000 /dev/zero | tr '\0' a)")
	[ "$output" = '{"tokens":12008,"limit":10000,"over":2008,"exact":false}' ]
	# -e picks the counter, -m (default gpt-4o) the budget: gpt-4 takes 4,096;
	# "hello\n" is 2 tokens.
	run -3 --separate-stderr llm-count -t --budget auto -e o200k_base -m gpt-4 < <(yes hello | head -5000)
	[ "$output" = '{"tokens":10000,"limit":4096,"over":5904}' ]
	run -0 llm-count -t --budget auto -e cl100k_base <<<'hello'
	[ "$output" = 'hello' ]
}

@test "--budget passes nothing through when a line is bad" {
	run -1 --separate-stderr llm-count --budget 100 <<-'EOF2'
	{"content":"hello"}
	nope
	EOF2
	[ "$output" = '' ]
	[ "$stderr" = $'llm-count: line 2: invalid JSON: syntax error at column 1\nllm-count: bad input: nothing passed through' ]
}

@test "special-token text is ordinary text unless --allow-special" {
	run llm-count -t --encode < <(printf '<|endoftext|>')
	[ "$output" = '27 91 419 1440 919 91 29' ]
	run llm-count -t --encode --allow-special < <(printf 'hello<|endoftext|>')
	[ "$output" = '24912 199999' ]
	# Special ids decode with or without the option, as in tiktoken.
	run llm-count -t --decode <<<'24912 199999'
	[ "$output" = 'hello<|endoftext|>' ]
}

@test "usage errors exit 2 with the synopsis" {
	run -2 --separate-stderr llm-count --bogus
	[ "${stderr##*$'\n'}" = '                 [file ...]' ]
	run -2 --separate-stderr llm-count -m nope
	[ "${stderr%%$'\n'*}" = "llm-count: unknown model 'nope'" ]
	run -2 --separate-stderr llm-count -e p50k_base
	[ "${stderr%%$'\n'*}" = "llm-count: unknown encoding 'p50k_base' (cl100k_base, o200k_base)" ]
	run -2 --separate-stderr llm-count --encode --total
	[ "${stderr%%$'\n'*}" = "llm-count: --total, --encode, --decode, --truncate and --budget exclude each other" ]
	run -2 --separate-stderr llm-count --truncate -1
	[ "${stderr%%$'\n'*}" = "llm-count: --truncate: expected a whole number of at least 0, not '-1'" ]
	run -2 --separate-stderr llm-count --encode -m claude-sonnet
	[ "${stderr%%$'\n'*}" = "llm-count: --encode, --decode and --truncate need an exact encoding; 'claude-sonnet' is counted by estimate" ]
}

@test "--help and --version" {
	run -0 llm-count --help
	[ "${lines[0]}" = 'usage: llm-count [-t] [-T threads] [-e encoding] [-m model] [--allow-special]' ]
	run -0 llm-count --version
	[[ "$output" =~ ^llm-count\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "a write error is an error" {
	if [ ! -w /dev/full ]; then skip "no /dev/full"; fi
	run -1 --separate-stderr bash -c 'llm-count -t <<<hello >/dev/full'
	[ "$stderr" = 'llm-count: write error: No space left on device' ]
}

@test "large input: 20 MB of text is counted exactly" {
	# "hello world\n" is 3 tokens; 1,666,666 lines and "hello wo" (2).
	run llm-count -t < <(yes 'hello world' | head -c 20000000)
	[ "$output" = 5000000 ]
}

@test "text split into pieces counts as the whole text does" {
	# More than the 1 MiB read size, mixed scripts and long runs with no
	# split point: --text (streamed) must agree with one record (whole).
	text=$(for i in 1 2 3 4 5 6; do cat "$GOLDEN/corpus.jsonl"; done)
	text+=$(yes 中文 | tr -d '\n' | head -c 1500000)
	n1=$(printf '%s' "$text" | llm-count -t -e cl100k_base)
	rec=$(printf '%s' "$text" | LC_ALL=C json_string)
	n2=$(printf '{"content":%s}\n' "$rec" | llm-count --total -e cl100k_base)
	# The record's text gained one final newline, one token here.
	[ "$n2" = "{\"tokens\":$((n1 + 1)),\"messages\":0}" ]
}

@test "a regular file is mapped, and counts as the same text piped" {
	# Lines, then a run with no split point longer than the 4 MiB window
	# (so the window must grow), then lines: counted and encoded from the
	# file itself and from a pipe; and a file whose offset is not 0.
	cd "$BATS_TEST_TMPDIR"
	{ yes 'hello world' | head -c 1499999; yes ab | tr -d '\n' |
		head -c 4500000; head -c 500000 "$GOLDEN/corpus.jsonl"; } >big.txt
	for e in cl100k_base o200k_base; do
		n=$(llm-count -t -e $e <big.txt)
		[ "$n" = "$(cat big.txt | llm-count -t -e $e)" ]
		[ "$n" = "$(llm-count -t -e $e big.txt)" ]
		[ "$n" = "$(llm-count -t -T 3 -e $e big.txt)" ]
	done
	[ "$(llm-count -t --encode big.txt | cksum)" = \
		"$(cat big.txt | llm-count -t --encode | cksum)" ]
	head -c 100000 "$GOLDEN/corpus.jsonl" >small.txt
	run -0 bash -c '{ dd bs=7 count=1 of=/dev/null status=none;
		llm-count -t --encode; } <small.txt'
	[ "$output" = "$(tail -c +8 small.txt | llm-count -t --encode)" ]
}

@test "the vocabularies begin on 2 MB boundaries, and make's copy is mapped in 2 MB pages" {
	local prog="$LLMPIPE_BIN/llm-count" addr top="$BATS_TEST_DIRNAME/.."
	for addr in $(nm "$prog" | awk '/ bpe_blob_/ { print $1 }'); do
		[ $((0x$addr % 0x200000)) = 0 ]
	done
	[ "$(nm "$prog" | grep -c ' bpe_blob_')" = 2 ]
	readelf -lW "$prog" | grep -q 'LOAD.* R  *0x200000$'
	[ -z "${LLMPIPE_WRAP:-}" ] || skip "a wrapper maps the program itself"
	kernel_maps_huge "$prog" || skip "this kernel keeps no program in pages of 2 MB"
	# Checked as make leaves it: a file the kernel has dropped from its
	# page cache and read back is in smaller pages again.
	run -0 make -s -C "$top" BIN="$BATS_TEST_TMPDIR/bin" \
		"$BATS_TEST_TMPDIR/bin/llm-count"
	[ "$(huge_mapped "$BATS_TEST_TMPDIR/bin/llm-count")" -gt 0 ]
}

@test "-T counts a file in threads, and each count is one thread's" {
	# A cut where a token may span would change the count: several
	# numbers of threads put the cuts at many places.
	cd "$BATS_TEST_TMPDIR"
	cat "$GOLDEN/corpus.jsonl" "$GOLDEN/corpus.jsonl" >big.txt
	for e in cl100k_base o200k_base; do
		n=$(llm-count -t -e $e big.txt)
		for t in 2 3 5 0; do
			[ "$(llm-count -t -T $t -e $e big.txt)" = "$n" ]
		done
	done
	# An estimate sums its units; the offset is left past the text.
	n=$(llm-count -t -m claude-sonnet big.txt)
	[ "$(llm-count -t -T 4 -m claude-sonnet <big.txt)" = "$n" ]
	run -0 bash -c '{ llm-count -t -T 2 >/dev/null; wc -c; } <big.txt'
	[ "$output" = 0 ]
	# Piped, or too small to share, it is counted by one thread.
	[ "$(cat big.txt | llm-count -t -T 2)" = "$(llm-count -t big.txt)" ]
	head -c 100000 big.txt >small.txt
	[ "$(llm-count -t -T 8 small.txt)" = "$(llm-count -t small.txt)" ]
	run -2 llm-count -t -T 65 small.txt
	[[ "$output" == *"-T: expected a whole number from 0 to 64"* ]]
}

@test "--truncate 0 and empty input in every mode" {
	run llm-count --truncate 0 <<<'{"content":"hello"}'
	[ "$output" = '{"content":"","tokens":0,"truncated":true}' ]
	run -0 llm-count -t --truncate 0 <<<'hello'
	[ "$output" = '' ]
	for args in "" "--total" "--encode" "--decode" "--truncate 3" "--budget 5" \
		"-t" "-t --encode" "-t --decode" "-t --truncate 3" "-t --budget 5"; do
		run -0 --separate-stderr llm-count $args < <(printf '\n')
		[ "$stderr" = '' ]
	done
}

@test "--decode passes records without ids and decodes empty ones" {
	run llm-count --decode <<-'EOF2'
	{"type":"route","task":"code"}
	{"ids":[]}
	EOF2
	[ "$output" = $'{"type":"route","task":"code"}\n{"ids":[],"content":""}' ]
	run -1 --separate-stderr llm-count --decode <<<'{"ids":[999999]}'
	[ "$stderr" = 'llm-count: line 1: no token 999999 in o200k_base' ]
	run -1 --separate-stderr llm-count --decode <<<'{"ids":"15339"}'
	[ "$stderr" = "llm-count: line 1: 'ids' is not an array" ]
}

@test "--decode --text refuses what is not a list of ids" {
	run -1 --separate-stderr llm-count -t --decode -e cl100k_base < <(printf '15339\0 1917')
	[ "$output" = '' ]
	[ "$stderr" = 'llm-count: NUL character among the token ids' ]
	run -1 --separate-stderr llm-count -t --decode -e cl100k_base <<<'15339 0x10'
	[ "$stderr" = "llm-count: invalid token id '0x10'" ]
	run -1 --separate-stderr llm-count -t --decode -e cl100k_base <<<'15339 -1'
	[ "$stderr" = "llm-count: invalid token id '-1'" ]
}

@test "--allow-special counts special tokens as one in every mode" {
	run llm-count -t --allow-special < <(printf '<|endoftext|>')
	[ "$output" = 1 ]
	run llm-count --allow-special <<<'{"content":"<|endoftext|>"}'
	[ "$output" = '{"content":"<|endoftext|>","tokens":1}' ]
	run llm-count --total --allow-special <<<'{"role":"user","content":"<|endoftext|>"}'
	[ "$output" = '{"tokens":8,"messages":1}' ]
}

@test "--truncate cuts the text parts of array content and keeps the others" {
	run llm-count --truncate 1 <<<'{"content":[{"type":"text","text":"hello world"},{"type":"image_url","image_url":{"url":"x"}},{"type":"input_text","text":" again"}]}'
	[ "$output" = '{"content":[{"type":"text","text":"hello"},{"type":"image_url","image_url":{"url":"x"}}],"tokens":1,"truncated":true}' ]
}

@test "--total prints no total when a line was bad" {
	run -1 --separate-stderr llm-count --total <<-'EOF2'
	{"role":"user","content":"hello"}
	{"role":"user","content":"garbled
	EOF2
	[ "$output" = '' ]
	[ "$stderr" = $'llm-count: line 2: invalid JSON: unterminated string at column 26\nllm-count: bad input: no total' ]
}

@test "estimates are rounded once, not per piece or per record" {
	# 250,000 lines of "hello world\n": 750,000 cl100k_base tokens and
	# 3,000,000 characters; 1.2 and 0.3 of them are whole numbers.
	run llm-count -t -m claude-haiku < <(yes 'hello world' | head -c 3000000)
	[ "$output" = 900000 ]
	run llm-count -t -m deepseek-chat < <(yes 'hello world' | head -c 3000000)
	[ "$output" = 900000 ]
	# 1,000 x ("user" + "ok") = 2,000 tokens * 1.2, + 3 each + 3.
	run llm-count --total -m claude-haiku < <(yes '{"role":"user","content":"ok"}' | head -1000)
	[ "$output" = '{"tokens":5403,"messages":1000,"exact":false}' ]
}

@test "numbers out of range and byte order marks" {
	run -1 --separate-stderr llm-count < <(printf '\xef\xbb\xbf\n{"x":1e400}\n{"x":[{"y":-1e999}]}\n{"content":"ok","n":1e300}\n')
	[ "$output" = '{"content":"ok","n":1e300,"tokens":1}' ]
	[ "$stderr" = $'llm-count: line 2: invalid JSON: number out of range at column 6\nllm-count: line 3: invalid JSON: number out of range at column 12' ]
}

@test "--help and --version report a write error" {
	if [ ! -w /dev/full ]; then skip "no /dev/full"; fi
	run -1 --separate-stderr bash -c 'llm-count --version >/dev/full'
	[ "$stderr" = 'llm-count: write error: No space left on device' ]
	run -1 --separate-stderr bash -c 'llm-count --help >/dev/full'
	[ "$stderr" = 'llm-count: write error: No space left on device' ]
}

@test "every example of the manual page works as shown" {
	cd "$BATS_TEST_TMPDIR"
	printf '%s\n' '{"role":"user","content":"hello"}' >ctx.jsonl
	man_examples "$BATS_TEST_DIRNAME/../man/llm-count.1"
	[ "$n" -eq 10 ]
}
