#!/usr/bin/env bats
# llm-classify: the route record, follow-ups, --pass, --each, --explain,
# fitting the window, --max-cost, --llm against tests/fake-ask, the
# configuration, bad input, the accuracy on tests/classify/, the
# examples of its man page, and llm-ask --auto against tests/fake-llm.

load helper

setup() {
	cd "$BATS_TEST_TMPDIR"
	export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
	unset LLMPIPE_ASK LLMPIPE_MODEL OPENAI_API_KEY ANTHROPIC_API_KEY \
		DEEPSEEK_API_KEY OPENAI_BASE_URL ANTHROPIC_BASE_URL DEEPSEEK_BASE_URL
	ASK=$BATS_TEST_DIRNAME/fake-ask
}

teardown() {
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
}

# The task the rules give the last user message of the records given.
task() {
	printf '%s\n' "$@" | llm-classify | sed 's/.*"task":"\([a-z]*\)".*/\1/'
}

user() { printf '{"role":"user","content":%s}' "$(printf '%s' "$1" | json_string)"; }
assistant() { printf '{"role":"assistant","content":%s}' "$(printf '%s' "$1" | json_string)"; }

@test "a route record for each task, with its model, reasons and scores" {
	run --separate-stderr llm-classify <<<'{"role":"user","content":"Implement an LRU cache in Go."}'
	[ "$status" -eq 0 ]
	[ "$output" = '{"type":"route","task":"code","model":"deepseek-coder","confidence":0.95,"reasons":["action: implement in go","tech: in go"],"scores":{"code":4,"complex":0,"simple":0.5},"engine":"rules","fits":true,"tokens":16}' ]
	[ "$stderr" = "" ]
	run llm-classify <<<'{"role":"user","content":"Compare Raft and Paxos: which is easier to get right, and why?"}'
	[ "$output" = '{"type":"route","task":"complex","model":"claude-sonnet","confidence":0.88,"reasons":["analysis: compare"],"scores":{"code":0,"complex":3,"simple":0.5},"engine":"rules","fits":true,"tokens":32}' ]
	run llm-classify <<<'{"role":"user","content":"good morning!"}'
	[ "$output" = '{"type":"route","task":"simple","model":"deepseek-chat","confidence":0.98,"reasons":["greeting: good morning","length: 2 words"],"scores":{"code":0,"complex":0,"simple":4.5},"engine":"rules","fits":true,"tokens":12}' ]
}

@test "code to be explained is complex; code to be fixed is code" {
	[ "$(task "$(user $'Explain what this does:\n```c\nwhile (*d++ = *s++)\n    ;\n```')")" = complex ]
	[ "$(task "$(user $'Fix this, it crashes:\n```c\nwhile (*d++ = *s++)\n    ;\n```')")" = code ]
	[ "$(task "$(user $'not asking for a fix, just why this is O(n^2):\nfor i in range(n):\n    for j in range(i):\n        s += a[j]')")" = complex ]
	[ "$(task "$(user $'Traceback (most recent call last):\n  File "app.py", line 3, in <module>\n    main()\nKeyError: \'port\'')")" = code ]
	[ "$(task "$(user 'Write an email to the team about the Python 3.12 upgrade.')")" = complex ]
	[ "$(task "$(user 'Write a Python script that upgrades our pip packages.')")" = code ]
}

@test "follow-ups take their task from the earlier turns" {
	[ "$(task "$(user 'Write a function that merges two sorted lists.')" "$(assistant 'def merge(a, b): ...')" "$(user 'now in rust')")" = code ]
	[ "$(task "$(user 'Explain how TLS works.')" "$(assistant 'A handshake agrees on keys...')" "$(user 'and what about QUIC?')")" = complex ]
	[ "$(task "$(user 'Add validation to signup.py')" "$(assistant 'Done. Want me to add tests too?')" "$(user 'yes')")" = code ]
	[ "$(task "$(user 'The app fails to start: missing libssl.so.3')" "$(assistant 'Install libssl3. Did that fix it?')" "$(user 'yes')")" = simple ]
	[ "$(task "$(user 'The timeout is hard-coded in client.go')" "$(assistant 'It is set to 30 seconds in the client.')" "$(user 'thanks! one more thing, make the timeout configurable')")" = code ]
	[ "$(task "$(user 'Add a /health endpoint')" "$(assistant 'Done. Shall I add a readiness check as well?')" "$(user 'no thanks, that is all')")" = simple ]
	# A yes takes the task of the offer, not of the turn before it.
	[ "$(task "$(user 'Explain why our Postgres migration is risky.')" "$(assistant 'Locks on the big tables are the risk. Want me to write the migration script with CREATE INDEX CONCURRENTLY?')" "$(user 'yes please')")" = code ]
	[ "$(task "$(user 'Fix the flaky test in api_test.go')" "$(assistant 'Fixed: it raced on the port. Should I explain why the race happened?')" "$(user 'sure')")" = complex ]
	# Without the earlier turns, a yes is no request at all.
	[ "$(task "$(user 'yes')")" = simple ]
}

@test "every language of the key words" {
	[ "$(task "$(user 'Escribe una función en Python que invierta una lista.')")" = code ]
	[ "$(task "$(user 'Erkläre mir den Unterschied zwischen TCP und UDP.')")" = complex ]
	[ "$(task "$(user 'Merci beaucoup !')")" = simple ]
	[ "$(task "$(user '用Python写一个读取CSV文件的函数')")" = code ]
	[ "$(task "$(user 'Почему Go не любит исключения? Объясни.')")" = complex ]
	[ "$(task "$(user 'ありがとうございます！')")" = simple ]
}

@test "--pass prints the route record, then the input unchanged" {
	run --separate-stderr llm-classify --pass <<-'EOF'
	{"type":"route","task":"simple","model":"gpt-4o"}
	{"role":"system","content":"Be terse.","z":[1,{"b":2}]}
	{"type":"fact","kind":"decision","subject":"db","content":"use SQLite","op":"add"}
	{"role":"user","content":"fix the bug in lexer.c","n":1.50,"id":"m1","a":true}
	EOF
	[ "$status" -eq 0 ]
	[ "$output" = '{"type":"route","task":"code","model":"deepseek-coder","confidence":0.99,"reasons":["action: fix bug","error: bug","file: lexer.c"],"scores":{"code":5.8,"complex":0,"simple":0.5},"engine":"rules","fits":true,"tokens":34}
{"role":"system","content":"Be terse.","z":[1,{"b":2}]}
{"type":"fact","kind":"decision","subject":"db","content":"use SQLite","op":"add"}
{"role":"user","content":"fix the bug in lexer.c","n":1.50,"id":"m1","a":true}' ]
	[ "$stderr" = "" ]
}

@test "--pass routes llm-ask" {
	run llm-ask --dry-run < <(llm-classify --pass <<<'{"role":"user","content":"Why is the sky blue? Explain the physics."}')
	[ "$status" -eq 0 ]
	[ "$output" = '{"model":"claude-sonnet-5-5","max_tokens":8192,"messages":[{"role":"user","content":"Why is the sky blue? Explain the physics."}]}' ]
}

@test "--each labels every user message in its own session's context" {
	run --separate-stderr llm-classify --each <<-'EOF'
	{"session":"a","role":"user","content":"write a regex for dates","k":1}
	{"session":"b","role":"user","content":"what is a monad, explain it simply"}
	{"session":"a","role":"assistant","content":"^\\d{4}-\\d{2}-\\d{2}$"}
	{"type":"doc","source":"x","content":"unrelated"}
	{"session":"a","role":"user","content":"and times too"}
	{"session":"b","role":"user","content":"and times too"}
	EOF
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	[ "${lines[0]}" = '{"session":"a","role":"user","content":"write a regex for dates","k":1,"route":{"type":"route","task":"code","model":"deepseek-coder","confidence":0.95,"reasons":["action: write regex","tech: regex"],"scores":{"code":4,"complex":0,"simple":0.5},"engine":"rules"}}' ]
	[ "${lines[2]}" = '{"session":"a","role":"assistant","content":"^\\d{4}-\\d{2}-\\d{2}$"}' ]
	[ "${lines[3]}" = '{"type":"doc","source":"x","content":"unrelated"}' ]
	[[ "${lines[4]}" == *'"route":{"type":"route","task":"code",'* ]]
	[[ "${lines[5]}" == *'"route":{"type":"route","task":"complex",'* ]]
	[ "${#lines[@]}" -eq 6 ]
}

@test "--explain prints every rule that fired, with its weight" {
	run --separate-stderr llm-classify --explain <<<'{"role":"user","content":"Why is this slow? Explain.\n```c\nfor (i = 0; i < n; i++) strlen(s);\n```"}'
	[ "$status" -eq 0 ]
	[ "$stderr" = 'llm-classify: +3.00 code fence
llm-classify: +3.00 complex analysis: why
llm-classify: +1.80 code error: slow
llm-classify: scores code 4.80, complex 3.00, simple 0.50: code' ]
}

@test "a conversation that does not fit the model's budget goes to one it fits" {
	# 12,000 words of a log: over deepseek-coder's 10,000-token budget.
	{ printf '{"role":"user","content":"fix the failing import in app.py:\\n'
	  for i in $(seq 1200); do printf 'line %d ok ok ok ok ok ok ok ok\\n' "$i"; done
	  printf '"}\n'; } >big.jsonl
	run --separate-stderr llm-classify big.jsonl
	[ "$status" -eq 0 ]
	[[ "$output" == '{"type":"route","task":"code","model":"deepseek-chat",'* ]]
	[[ "$output" == *'"window: 11926 tokens, over deepseek-coder'"'"'s budget of 10000; deepseek-chat fits"],'* ]]
	[[ "$output" == *'"fits":true,"tokens":11926}' ]]
	# With only deepseek-coder allowed, the record says it does not fit.
	mkdir -p config/llmpipe
	printf '[route]\ncode = deepseek-coder\n' >config/llmpipe/config
	run llm-classify big.jsonl
	[[ "$output" == *'"window: 11926 tokens, over the budget of every code model"],'*'"fits":false,"tokens":11926}' ]]
}

@test "--max-cost picks the first model under the cap, else exits 3" {
	mkdir -p config/llmpipe
	printf '[route]\ncomplex = claude-opus claude-sonnet claude-haiku\nexpected_output = 1000\n' >config/llmpipe/config
	q='{"role":"user","content":"Design a schema for a library system and explain the trade-offs."}'
	run llm-classify --max-cost 0.05 <<<"$q"
	[ "$output" = '{"type":"route","task":"complex","model":"claude-opus","confidence":0.93,"reasons":["analysis: design","cost: $0.020104, under $0.05"],"scores":{"code":0,"complex":3.5,"simple":0.5},"engine":"rules","fits":true,"tokens":26,"estimated_cost_usd":0.020104}' ]
	# claude-sonnet: 26 tokens at $2 and 1000 at $10 a million, $0.010052.
	run llm-classify --max-cost 0.01 <<<"$q"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"model":"claude-haiku",'*'"cost: claude-opus costs $0.020104, over $0.01; claude-haiku costs $0.005023"]'* ]]
	run llm-classify --max-cost 0.010052 <<<"$q"
	[[ "$output" == *'"model":"claude-sonnet",'* ]]
	run --separate-stderr llm-classify --max-cost 0.001 --pass <<<"$q"
	[ "$status" -eq 3 ]
	[[ "$output" == *'"model":"claude-haiku",'*'"cost: no complex model under $0.001; claude-haiku costs $0.005023"]'* ]]
	[ "${#lines[@]}" -eq 1 ]
	[ "$stderr" = 'llm-classify: no complex model is estimated under $0.001' ]
}

@test "--llm uses the model's label, and its usage and cost" {
	export FAKE_ASK_INPUT=$BATS_TEST_TMPDIR/input FAKE_ASK_ARGS=$BATS_TEST_TMPDIR/args
	run --separate-stderr llm-classify --llm --ask "$ASK label complex" <<<'{"role":"user","content":"write a sort function"}'
	[ "$status" -eq 0 ]
	[ "$output" = '{"type":"route","task":"complex","model":"claude-sonnet","confidence":0.9,"reasons":["llm: the model says complex","rules: code"],"scores":{"code":3,"complex":0,"simple":0.5},"engine":"llm","fits":true,"tokens":13,"usage":{"input_tokens":180,"output_tokens":20,"cached_tokens":0},"cost_usd":1.7e-05}' ]
	[ "$stderr" = "" ]
	# The cheapest model, a schema, and the conversation ending in its last user message.
	[ "$(head -2 args)" = $'-m\ndeepseek-chat' ]
	grep -q -- '--json-schema' args
	[ "$(wc -l <input)" -eq 2 ]
	[[ "$(tail -1 input)" == '{"role":"user","content":"user: write a sort function\n\nClassify the last user message."}' ]]
}

@test "--llm falls back to the rules on garbage, a failure and a timeout" {
	q='{"role":"user","content":"thanks a lot!"}'
	rules='{"type":"route","task":"simple","model":"deepseek-chat","confidence":0.98,"reasons":["greeting: thanks","length: 3 words"],"scores":{"code":0,"complex":0,"simple":4.5},"engine":"rules","fits":true,"tokens":12'
	run --separate-stderr llm-classify --llm --ask "$ASK garbage" <<<"$q"
	[ "$status" -eq 0 ]
	[ "$output" = "$rules"',"usage":{"input_tokens":180,"output_tokens":20,"cached_tokens":0},"cost_usd":1.7e-05}' ]
	[ "$stderr" = 'llm-classify: --llm: the reply is not a valid label; the rules decided' ]
	run --separate-stderr llm-classify --llm --ask "$ASK exit 5" <<<"$q"
	[ "$status" -eq 0 ]
	[ "$output" = "$rules}" ]
	[ "$stderr" = 'llm-classify: --llm: the model call failed (exit status 5); the rules decided' ]
	run --separate-stderr llm-classify --llm --ask "$ASK exit 4" <<<"$q"
	[ "$output" = "$rules}" ]
	LLMPIPE_ASK="$ASK sleep 5" run --separate-stderr llm-classify --llm --timeout 1 <<<"$q"
	[ "$status" -eq 0 ]
	[ "$output" = "$rules}" ]
	[ "$stderr" = "llm-classify: $ASK sleep 5: no reply in time; stopped it
llm-classify: --llm: the model call failed (exit status 5); the rules decided" ]
}

@test "the configuration: models, weights, and what it refuses" {
	mkdir -p config/llmpipe
	printf '[route]\ncode = gpt-4.1\nsimple = gpt-4o-mini\ntech = 0\nfence = 1.5\n' >config/llmpipe/config
	run llm-classify <<<'{"role":"user","content":"Implement an LRU cache in Go."}'
	[ "$output" = '{"type":"route","task":"code","model":"gpt-4.1","confidence":0.88,"reasons":["action: implement in go"],"scores":{"code":3,"complex":0,"simple":0.5},"engine":"rules","fits":true,"tokens":15}' ]
	run llm-classify <<<'{"role":"user","content":"hi"}'
	[[ "$output" == '{"type":"route","task":"simple","model":"gpt-4o-mini",'* ]]
	# A cheaper priced model added to the table becomes the cheapest.
	printf '[model tiny]\nprovider = local\nprice_input = 0.01\nprice_output = 0.02\nprices_as_of = 2026-01-01\n' >config/llmpipe/config
	run llm-classify <<<'{"role":"user","content":"hi"}'
	[[ "$output" == '{"type":"route","task":"simple","model":"tiny",'* ]]
	printf '[route]\ncode = gpt-4.1 nosuch\n' >config/llmpipe/config
	run --separate-stderr llm-classify <<<'{"role":"user","content":"hi"}'
	[ "$status" -eq 1 ]
	[ "$stderr" = "llm-classify: $XDG_CONFIG_HOME/llmpipe/config: [route] code: unknown model 'nosuch'" ]
	printf '[route]\nfence = 101\n' >config/llmpipe/config
	run --separate-stderr llm-classify <<<'{"role":"user","content":"hi"}'
	[ "$status" -eq 1 ]
	[ "$stderr" = "llm-classify: $XDG_CONFIG_HOME/llmpipe/config:2: bad value '101' for 'fence' in [route]: expected a weight from 0 to 100, such as 2.5 (three decimals at most)" ]
	printf '[route]\nfences = 1\n' >config/llmpipe/config
	run --separate-stderr llm-classify <<<'{"role":"user","content":"hi"}'
	[ "$stderr" = "llm-classify: $XDG_CONFIG_HOME/llmpipe/config:2: unknown key 'fences' in [route]" ]
}

@test "a bad line is reported by number and the rest is classified" {
	run --separate-stderr llm-classify --pass <<-'EOF'
	{"role":"user","content":"hello"}
	{"role": nope}
	{"role":"user","content":5}
	{"role":"user","content":"refactor parser.c into smaller functions"}
	EOF
	[ "$status" -eq 1 ]
	[ "$stderr" = "llm-classify: line 2: invalid JSON: syntax error at column 10
llm-classify: line 3: 'content' is neither a string nor an array of parts" ]
	[[ "${lines[0]}" == '{"type":"route","task":"code",'* ]]
	[ "${lines[1]}" = '{"role":"user","content":"hello"}' ]
	[ "${lines[2]}" = '{"role":"user","content":"refactor parser.c into smaller functions"}' ]
	[ "${#lines[@]}" -eq 3 ]
	run --separate-stderr llm-classify --each <<<'{"role": nope}'
	[ "$status" -eq 1 ]
	[ "$stderr" = "llm-classify: line 1: invalid JSON: syntax error at column 10" ]
}

@test "no user message is an error, never a guess; empty input too" {
	run --separate-stderr llm-classify <<<'{"role":"assistant","content":"hello"}'
	[ "$status" -eq 1 ]
	[ "$output" = "" ]
	[ "$stderr" = 'llm-classify: no user message to classify' ]
	run --separate-stderr llm-classify </dev/null
	[ "$status" -eq 1 ]
	[ "$stderr" = 'llm-classify: no user message to classify' ]
	run --separate-stderr llm-classify --each </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	[ "$stderr" = "" ]
}

@test "files as operands, in turn; - is standard input" {
	echo '{"role":"user","content":"Write a haiku about autumn."}' >a.jsonl
	run llm-classify a.jsonl - <<<'{"role":"user","content":"thanks"}'
	[[ "$output" == '{"type":"route","task":"simple",'* ]]
	run --separate-stderr llm-classify nosuch.jsonl a.jsonl
	[ "$status" -eq 1 ]
	[[ "$output" == '{"type":"route","task":"complex",'* ]]
	[ "$stderr" = 'llm-classify: nosuch.jsonl: No such file or directory' ]
}

@test "a large input: 20 MB in one message" {
	yes 'the quick brown fox jumps over the lazy dog' | head -c 20000000 |
		tr '\n' ' ' | sed 's/^/{"role":"user","content":"explain this: /; s/$/"}/' >huge.jsonl
	run --separate-stderr llm-classify huge.jsonl
	[ "$status" -eq 0 ]
	[ "$output" = '{"type":"route","task":"complex","model":"claude-sonnet","confidence":0.97,"reasons":["analysis: explain","length: 4090911 words","window: 5727286 tokens, over the budget of every complex model"],"scores":{"code":0,"complex":4.5,"simple":0.5},"engine":"rules","fits":false,"tokens":5727286}' ]
	[ "$stderr" = "" ]
}

@test "usage errors exit 2 with the synopsis" {
	synopsis='usage: llm-classify [--each | --pass] [--explain] [--max-cost usd]
                    [--llm [--ask cmd] [--timeout s]] [file ...]'
	run --separate-stderr llm-classify --nope
	[ "$status" -eq 2 ]
	# getopt names the program as it was run: a path under valgrind.
	[[ "${stderr%%$'\n'*}" == *"llm-classify: unrecognized option '--nope'" ]]
	[ "${stderr#*$'\n'}" = "$synopsis" ]
	run --separate-stderr llm-classify --each --pass
	[ "$status" -eq 2 ]
	[ "$stderr" = "llm-classify: --each labels with the rules alone: not with --pass, --llm or --max-cost
$synopsis" ]
	run --separate-stderr llm-classify --ask cat
	[ "$status" -eq 2 ]
	[ "$stderr" = "llm-classify: --ask and --timeout are for --llm
$synopsis" ]
	run --separate-stderr llm-classify --max-cost cheap
	[ "$status" -eq 2 ]
	[ "$stderr" = "llm-classify: --max-cost: expected an amount in USD, such as 0.01, not 'cheap'
$synopsis" ]
	run --separate-stderr llm-classify --llm --timeout 0
	[ "$status" -eq 2 ]
	[ "$stderr" = "llm-classify: --timeout: expected a whole number from 1 to 86400, not '0'
$synopsis" ]
}

@test "--help, --version, and a write error" {
	run llm-classify --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == 'usage: llm-classify [--each | --pass]'* ]]
	run llm-classify --version
	[ "$output" = "llm-classify 0.1.0" ]
	run --separate-stderr llm-classify </dev/full <<<'{"role":"user","content":"hi"}'
	run --separate-stderr bash -c 'echo "{\"role\":\"user\",\"content\":\"hi\"}" | llm-classify >/dev/full'
	[ "$status" -eq 1 ]
	[[ "$stderr" == *'write error'* ]]
}

@test "the rules are right on at least 95% of the labelled set" {
	run --separate-stderr "$BATS_TEST_DIRNAME/../scripts/eval-classify" -m 0.95
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^accuracy\ (9[5-9]|100)\.[0-9]%\ \(([0-9]+)\ of\ 381\)$ ]]
}

@test "every example of the manual page works as shown" {
	man_examples "$BATS_TEST_DIRNAME/../man/llm-classify.1"
	[ "$n" -eq 7 ]
}

# llm-ask --auto, against the fake provider.
fake() {
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" && wait "$FAKE_PID" || true
	fi
	rm -f port
	printf '%s\n' "$@" >script
	"$BATS_TEST_DIRNAME/fake-llm" --port-file port --log log --script script 3>&- &
	FAKE_PID=$!
	for _ in $(seq 500); do [ -s port ] && break; sleep 0.01; done
	local url=http://127.0.0.1:$(cat port)
	export OPENAI_BASE_URL=$url/v1 ANTHROPIC_BASE_URL=$url DEEPSEEK_BASE_URL=$url
	export OPENAI_API_KEY=sk-test-o ANTHROPIC_API_KEY=sk-ant-test DEEPSEEK_API_KEY=sk-test-d
	touch log
}

logged() {
	python3 -c '
import json
for line in open("log"):
    r = json.loads(line)
    print(r["path"], r["body"]["model"])'
}

@test "llm-ask --auto routes in-process with the same rules" {
	fake ok ok ok ok
	run llm-ask --auto <<<'{"role":"user","content":"Write a Go function that reverses a slice."}'
	[ "$status" -eq 0 ]
	[[ "$output" == '{"role":"assistant","content":"Hello from the fake server.","model":"deepseek-coder","provider":"deepseek",'* ]]
	run llm-ask --auto <<<'{"role":"user","content":"Explain the trade-offs of event sourcing."}'
	[[ "$output" == *'"model":"claude-sonnet","provider":"anthropic",'* ]]
	# -m and a leading route record come first.
	run llm-ask --auto -m gpt-4o <<<'{"role":"user","content":"Explain the trade-offs of event sourcing."}'
	[[ "$output" == *'"model":"gpt-4o","provider":"openai",'* ]]
	run llm-ask --auto < <(printf '%s\n' '{"type":"route","model":"gpt-4o-mini"}' '{"role":"user","content":"Explain monads."}')
	[[ "$output" == *'"model":"gpt-4o-mini","provider":"openai",'* ]]
	[ "$(logged)" = '/chat/completions deepseek-v4-flash
/v1/messages claude-sonnet-5-5
/v1/chat/completions gpt-4o
/v1/chat/completions gpt-4o-mini' ]
}
