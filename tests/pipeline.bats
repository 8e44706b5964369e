#!/usr/bin/env bats
# The programs together, as the README and the manual pages pipe them:
# one configuration, one count, one record format, one reader.

load helper

setup() {
	cd "$BATS_TEST_TMPDIR"
	export LLMPIPE_DB="$BATS_TEST_TMPDIR/memory.db"
	export HOME="$BATS_TEST_TMPDIR/home"
	export XDG_CONFIG_HOME="$BATS_TEST_TMPDIR/config"
	unset XDG_DATA_HOME LLMPIPE_MODEL OPENAI_API_KEY ANTHROPIC_API_KEY
	unset DEEPSEEK_API_KEY
}

# The "tokens" of a record such as llm-count --total prints.
tokens() {
	sed -n 's/.*"tokens":\([0-9]*\).*/\1/p'
}

# A session with a summary, many facts and messages, and other sessions
# and indexed files for the hits of a query.
big_session() {
	{
		echo '{"role":"system","content":"You review C code."}'
		for i in $(seq 1 60); do
			printf '{"role":"user","content":"question %d about the parser and its tokens"}\n' "$i"
			printf '{"role":"assistant","content":"answer %d: check parse_expr for NULL before use"}\n' "$i"
		done
		echo '{"type":"summary","role":"system","content":"We fixed the lexer; the parser is next.","covers":120}'
		for i in $(seq 1 1200); do
			printf '{"type":"fact","kind":"note","subject":"item %d","content":"the parser keeps state %d"}\n' "$i" "$i"
		done
		for i in $(seq 1 40); do
			printf '{"role":"user","content":"later question %d on the parser"}\n' "$i"
		done
	} | llm-memdb add -s work
	for i in $(seq 1 30); do
		printf '{"role":"user","content":"in another session the parser failed %d times"}\n' "$i"
	done | llm-memdb add -s other
	mkdir -p src
	for i in $(seq 1 20); do seq 1 200 | sed "s/^/parser line $i:/" >"src/f$i.c"; done
	llm-memdb index src >/dev/null
}

@test "what llm-memdb context fits, llm-ask takes as it is, and counts as llm-count does" {
	big_session
	for m in deepseek-coder gpt-4o gpt-4; do
		for budget in 300 2000 4000; do
			run --separate-stderr llm-memdb context -s work -m "$m" --budget "$budget" -q 'parser tokens' --hits 8
			[ "$status" -eq 0 ]
			printf '%s\n' "$output" >ctx.jsonl
			# Facts, the summary, hits and messages all went in.
			grep -q '"type":"summary"' ctx.jsonl
			grep -q '"type":"fact"' ctx.jsonl
			# llm-ask sends it without --fit ...
			run -0 llm-ask -m "$m" --dry-run <ctx.jsonl
			# ... counts it within the budget ...
			run -0 llm-ask -m "$m" --count <ctx.jsonl
			asked=$(tokens <<<"$output")
			[ "$asked" -le "$budget" ]
			# ... and llm-count --total counts what llm-ask counts.
			[ "$(llm-count --total -m "$m" <ctx.jsonl | tokens)" = "$asked" ]
			# llm-count's gate agrees.
			run -0 llm-count --budget "$budget" -m "$m" <ctx.jsonl
		done
	done
}

@test "the count of a folded prompt against an independent figure" {
	# npm tiktoken 1.0.22 (o200k_base) counts the folded system prompt,
	# "Summary of the conversation so far:\nEarlier.\n\nKnown facts:\n-
	# note x: y", as 17 tokens, and "system", "user" and "hi" as one
	# each.  OpenAI's rule: 3 a message and its role, 3 for the reply:
	# (3 + 1 + 17) + (3 + 1 + 1) + 3 = 29.
	printf '%s\n' '{"type":"summary","role":"system","content":"Earlier."}' \
		'{"type":"fact","kind":"note","subject":"x","content":"y"}' \
		'{"role":"user","content":"hi"}' >in.jsonl
	run llm-count --total -e o200k_base <in.jsonl
	[ "$output" = '{"tokens":29,"messages":2}' ]
	run llm-ask --count -m gpt-4o <in.jsonl
	[ "$output" = '{"tokens":29,"messages":2,"model":"gpt-4o","provider":"openai"}' ]
}

@test "a model added in the configuration is the same model everywhere" {
	mkdir -p config/llmpipe
	cat >config/llmpipe/config <<-'EOF'
	[provider lab]
	base_url = http://127.0.0.1:9/v1

	[model qwen]
	provider = lab
	context = 1000
	budget = 50
	counter = cl100k_base

	[model deepseek-coder]
	budget = 40
	EOF
	long='{"role":"user","content":"one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty twenty-one twenty-two twenty-three twenty-four twenty-five twenty-six twenty-seven twenty-eight twenty-nine thirty thirty-one thirty-two thirty-three thirty-four thirty-five"}'
	run -0 llm-count -m qwen <<<'{"content":"hello world"}'
	[ "$output" = '{"content":"hello world","tokens":2,"exact":false}' ]
	run -3 llm-count --budget auto -m qwen <<<"$long"
	[[ "$output" == *'"limit":50,'* ]]
	run -3 llm-count --budget auto -m deepseek-coder <<<"$long"
	[[ "$output" == *'"limit":40,'* ]]
	run -3 --separate-stderr llm-ask --dry-run -m deepseek-coder <<<"$long"
	[[ "$stderr" == *"over deepseek-coder's budget of 40"* ]]
	llm-memdb add -s s <<<"$long"
	echo '{"role":"user","content":"short"}' | llm-memdb add -s s
	run -0 --separate-stderr llm-memdb context -s s -m deepseek-coder
	[ "$stderr" = "llm-memdb: left out 0 facts, 1 messages and 0 hits to fit 40 tokens" ]
	run -0 llm-memdb context -s s -m qwen
	run -0 llm-ask --count -m qwen <<<'{"role":"user","content":"hi"}'
	# "hi" and "user" a token each, 3 for the message, 3 for the reply.
	[ "$output" = '{"tokens":8,"messages":1,"exact":false,"model":"qwen","provider":"lab"}' ]
}

@test "a bad configuration stops every program, naming the file, line, key and section" {
	mkdir -p config/llmpipe
	printf '[model qwen]\nprovider = lab\ncolour = blue\n' >config/llmpipe/config
	want="config/llmpipe/config:3: unknown key 'colour' in [model qwen]"
	for prog in "llm-count" "llm-ask --dry-run" "llm-memdb stats"; do
		run -1 --separate-stderr $prog </dev/null
		[ "$stderr" = "${prog%% *}: $BATS_TEST_TMPDIR/$want" ]
	done
}

@test "an empty value where a word is chosen is an error, not a hang" {
	mkdir -p config/llmpipe
	printf '[provider lab]\ndialect =\n' >config/llmpipe/config
	run -1 --separate-stderr timeout 10 llm-count </dev/null
	[ "$stderr" = "llm-count: $BATS_TEST_TMPDIR/config/llmpipe/config:2: bad value '' for 'dialect' in [provider lab]: expected one of: openai anthropic" ]
}

@test "one clock: every time stored or made is RFC 3339 UTC to the millisecond" {
	ms='^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'
	echo '{"role":"user","content":"hi"}' | llm-memdb add -s a
	[[ "$(llm-memdb log -s a | sed 's/.*"ts":"\([^"]*\)".*/\1/')" =~ $ms ]]
	[[ "$(llm-memdb sessions | sed 's/.*"created":"\([^"]*\)".*/\1/')" =~ $ms ]]
	[[ "$(llm-memdb session new b | sed 's/.*"created":"\([^"]*\)".*/\1/')" =~ $ms ]]
}

@test "one fact identity: a fact without a subject is replaced, in the prompt as in the store" {
	printf '%s\n' '{"type":"fact","kind":"note","content":"uses tabs"}' \
		'{"type":"fact","kind":"note","content":"uses tabs","op":"update","source":"m2"}' \
		'{"type":"fact","kind":"decision","subject":"db","content":"redis"}' \
		'{"type":"fact","kind":"decision","subject":"db","op":"delete"}' \
		'{"role":"user","content":"hi"}' >in.jsonl
	run llm-ask --dry-run <in.jsonl
	[ "$output" = '{"model":"gpt-4o","messages":[{"role":"system","content":"Known facts:\n- note: uses tabs"},{"role":"user","content":"hi"}]}' ]
	llm-memdb add -s s <in.jsonl
	run llm-memdb facts -s s
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == '{"type":"fact","kind":"note","content":"uses tabs","op":"update","source":"m2",'* ]]
}

@test "every reader refuses what cJSON let through, with the line and column" {
	printf '%s\n' '{"role":"user","content":"hello \uqqqq world"}' \
		'{"role":"user","content":"short","content":"a longer second content"}' \
		'{"role":"user","content":"x\u0G00"}' \
		'{"role":"user","\u00zz":"x"}' >bad.jsonl
	for prog in "llm-count" "llm-count --total" "llm-count --budget 100" \
		"llm-count --truncate 1" "llm-ask --dry-run" "llm-memdb add"; do
		run --separate-stderr $prog <bad.jsonl
		[ "$status" -eq 1 ]
		[ "${stderr_lines[0]}" = "${prog%% *}: line 1: invalid JSON: bad escape '\\uqqqq' at column 33" ]
		[ "${stderr_lines[1]}" = "${prog%% *}: line 2: invalid JSON: duplicate key 'content' at column 34" ]
		[ "${stderr_lines[2]}" = "${prog%% *}: line 3: invalid JSON: bad escape '\\u0G00' at column 28" ]
		[ "${stderr_lines[3]}" = "${prog%% *}: line 4: invalid JSON: bad escape '\\u00zz' at column 17" ]
		[ "$output" = "" ]
	done
	[ ! -s "$LLMPIPE_DB" ] || [ "$(llm-memdb stats | sed 's/.*"records":\([0-9]*\).*/\1/')" = 0 ]
}

@test "numbers keep their digits through every program" {
	rec='{"role":"user","content":"hi","id":"n1","n":9007199254740993,"f":1.10,"e":1E+2,"z":-0}'
	run llm-count <<<"$rec"
	[ "$output" = '{"role":"user","content":"hi","id":"n1","n":9007199254740993,"f":1.10,"e":1E+2,"z":-0,"tokens":1}' ]
	run llm-count --budget 100 <<<"$rec"
	[ "$output" = "$rec" ]
	llm-memdb add -s s <<<"$rec"
	[[ "$(llm-memdb log -s s)" == '{"role":"user","content":"hi","id":"n1","n":9007199254740993,"f":1.10,"e":1E+2,"z":-0,"session":"s","ts":'* ]]
	llm-memdb export | llm-memdb --db copy.db import
	[ "$(llm-memdb --db copy.db export)" = "$(llm-memdb export)" ]
}

@test "invalid UTF-8 is reported as invalid UTF-8, and deep nesting as too deep" {
	printf '{"content":"caf\xe9"}\n{"content":"\xff"}\n{\xff:1}\n' >utf8.jsonl
	run -1 --separate-stderr llm-count utf8.jsonl
	[ "$stderr" = "llm-count: utf8.jsonl: line 1: invalid UTF-8 at column 16
llm-count: utf8.jsonl: line 2: invalid UTF-8 at column 13
llm-count: utf8.jsonl: line 3: invalid UTF-8 at column 2" ]
	# The object is a level: 999 arrays in it are 1000 levels, 1000 one too many.
	python3 -c 'print("{\"a\":" + "[" * 999 + "]" * 999 + "}"); print("{\"a\":" + "[" * 1000 + "]" * 1000 + "}")' >deep.jsonl
	run -1 --separate-stderr llm-count deep.jsonl
	[ "$stderr" = "llm-count: deep.jsonl: line 2: invalid JSON: nested deeper than 1000 levels at column 1005" ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "filters read the files named as operands, - as standard input" {
	echo '{"role":"user","content":"one"}' >a.jsonl
	echo '{"role":"user","content":"two words"}' >b.jsonl
	run llm-count a.jsonl - b.jsonl <<<'{"role":"user","content":"middle"}'
	[ "$output" = '{"role":"user","content":"one","tokens":1}
{"role":"user","content":"middle","tokens":1}
{"role":"user","content":"two words","tokens":2}' ]
	run llm-count --total a.jsonl b.jsonl
	[ "$output" = "$(cat a.jsonl b.jsonl | llm-count --total)" ]
	printf 'hello world' >t.txt
	run llm-count -t t.txt t.txt
	[ "$output" = 4 ]
	run -1 --separate-stderr llm-count a.jsonl missing.jsonl b.jsonl
	[ "${#lines[@]}" -eq 2 ]
	[ "$stderr" = "llm-count: missing.jsonl: No such file or directory" ]
	printf '{"content":"a"}\nnope\n' >c.jsonl
	run -1 --separate-stderr llm-count a.jsonl c.jsonl
	[ "$stderr" = "llm-count: c.jsonl: line 2: invalid JSON: syntax error at column 1" ]
}
