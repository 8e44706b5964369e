#!/usr/bin/env bats
# llm-ask against tests/fake-llm, which speaks OpenAI's and Anthropic's
# real wire formats over loopback and misbehaves on demand: each request
# follows the next line of the file "script"; "log" records each request.
# tests/hostile-llm, beside it, attacks: replies, events and lines that
# never end, within bounds of its own.

load helper

OPENAI_KEY=sk-test-openai-5f2c9a7e1d3b4c6a
ANTHROPIC_KEY=sk-ant-test-9b8c7d6e5f4a3b2c
DEEPSEEK_KEY=sk-test-deepseek-0a1b2c3d4e5f

setup() {
	cd "$BATS_TEST_TMPDIR"
	export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
	unset LLMPIPE_MODEL OPENAI_API_KEY ANTHROPIC_API_KEY DEEPSEEK_API_KEY
	unset OPENAI_BASE_URL ANTHROPIC_BASE_URL DEEPSEEK_BASE_URL
	HI='{"role":"user","content":"hi"}'
}

teardown() {
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
}

# Starts the fake server with the given script lines (none: the file
# script as it is) and points every provider at it, with keys in the
# environment.
fake() {
	[ $# -eq 0 ] || printf '%s\n' "$@" >script
	"$BATS_TEST_DIRNAME/fake-llm" --port-file port --log log \
		--script script ${FAKE_KEY:+--key "$FAKE_KEY"} 3>&- &
	FAKE_PID=$!
	serve_all
}

# Starts tests/hostile-llm with a scenario and its arguments, in place of
# the fake server; it gives up on a response after 10 s by itself.
hostile() {
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" && wait "$FAKE_PID"
	fi
	rm -f port log
	"$BATS_TEST_DIRNAME/hostile-llm" --port-file port --log log \
		--seconds 10 --lifetime 60 "$@" 3>&- &
	FAKE_PID=$!
	serve_all
}

# Points every provider at the server that is writing its port file.
serve_all() {
	for _ in $(seq 500); do [ -s port ] && break; sleep 0.01; done
	local url=http://127.0.0.1:$(cat port)
	export OPENAI_BASE_URL=$url/v1 ANTHROPIC_BASE_URL=$url
	export DEEPSEEK_BASE_URL=$url
	export OPENAI_API_KEY=$OPENAI_KEY ANTHROPIC_API_KEY=$ANTHROPIC_KEY
	export DEEPSEEK_API_KEY=$DEEPSEEK_KEY
	touch log
}

# Prints a Python expression of each logged request r, one per line.
logged() {
	python3 -c '
import json, sys
for line in open("log"):
    r = json.loads(line)
    print(json.dumps(eval(sys.argv[1]), ensure_ascii=False))' "$1"
}

# The reply record without what varies from run to run.
steady() {
	sed -E 's/,"latency_ms":[0-9]+,"ts":"[^"]*"//'
}

# Small caps on a reply and on an event, so that passing them is quick.
small_caps() {
	mkdir -p config/llmpipe
	printf 'max_reply_bytes = 65536\nmax_event_bytes = 4096\n' \
		>config/llmpipe/config
}

# Fails, saying where, if a file holds one of the test keys.
refute_keys() {
	local f k
	for f in "$@"; do
		for k in "$OPENAI_KEY" "$ANTHROPIC_KEY" "$DEEPSEEK_KEY"; do
			if grep -qF -- "$k" "$f"; then
				echo "the key $k is in $f:"
				cat "$f"
				return 1
			fi
		done
	done
}

@test "--dry-run prints the exact OpenAI body and needs no key" {
	run --separate-stderr llm-ask --dry-run -s 'Be terse.' --max-tokens 50 \
		--temperature 0.2 <<<'{"role":"user","content":"hi","session":"s1","id":"m1"}'
	[ "$status" -eq 0 ]
	[ "$output" = '{"model":"gpt-4o","messages":[{"role":"system","content":"Be terse."},{"role":"user","content":"hi"}],"max_completion_tokens":50,"temperature":0.2}' ]
	[ "$stderr" = "" ]
}

@test "--dry-run for Anthropic: top-level system, required max_tokens" {
	run llm-ask --dry-run --stream -m claude-sonnet <<-'EOF'
	{"role":"system","content":"You are terse."}
	{"role":"user","content":"one"}
	{"role":"assistant","content":"two"}
	{"role":"user","content":[{"type":"input_text","text":"three"}]}
	EOF
	[ "$status" -eq 0 ]
	[ "$output" = '{"model":"claude-sonnet-5-5","max_tokens":8192,"system":"You are terse.","messages":[{"role":"user","content":"one"},{"role":"assistant","content":"two"},{"role":"user","content":[{"type":"text","text":"three"}]}],"stream":true}' ]
}

@test "DeepSeek gets max_tokens and its current id for deepseek-coder" {
	run llm-ask --dry-run -m deepseek-coder --max-tokens 100 <<<"$HI"
	[ "$status" -eq 0 ]
	[ "$output" = '{"model":"deepseek-v4-flash","messages":[{"role":"user","content":"hi"}],"max_tokens":100}' ]
}

@test "summary, facts and docs go into the system prompt, in that order" {
	run llm-ask --dry-run -s 'Base.' <<-'EOF'
	{"type":"doc","source":"low.c#1","content":"low","score":0.1}
	{"type":"fact","kind":"decision","subject":"db","content":"use MySQL","op":"add"}
	{"type":"summary","role":"system","content":"We chose a database.","covers":4,"through":"m4"}
	{"type":"fact","kind":"decision","subject":"db","content":"use SQLite","op":"update"}
	{"type":"fact","kind":"todo","subject":"x","content":"gone","op":"delete"}
	{"type":"doc","source":"high.c#1","content":"high","score":0.9}
	{"role":"user","content":"next?"}
	EOF
	[ "$status" -eq 0 ]
	[ "$output" = '{"model":"gpt-4o","messages":[{"role":"system","content":"Base.\n\nSummary of the conversation so far:\nWe chose a database.\n\nKnown facts:\n- decision db: use SQLite\n\nDocuments that may help:\n\n[high.c#1]\nhigh\n\n[low.c#1]\nlow"},{"role":"user","content":"next?"}]}' ]
}

@test "model: -m, then a leading route record, then LLMPIPE_MODEL, then the config" {
	mkdir -p config/llmpipe
	echo 'model = gpt-4.1' >config/llmpipe/config
	run llm-ask --dry-run <<<"$HI"
	[[ "$output" == '{"model":"gpt-4.1",'* ]]
	LLMPIPE_MODEL=gpt-4o-mini run llm-ask --dry-run <<<"$HI"
	[[ "$output" == '{"model":"gpt-4o-mini",'* ]]
	run llm-ask --dry-run < <(printf '%s\n' '{"type":"route","task":"code","model":"deepseek-coder"}' "$HI")
	[[ "$output" == '{"model":"deepseek-v4-flash",'* ]]
	run llm-ask --dry-run -m claude-haiku < <(printf '%s\n' '{"type":"route","model":"deepseek-coder"}' "$HI")
	[[ "$output" == '{"model":"claude-haiku-4-5",'* ]]
}

@test "--models lists aliases, ids, windows, budgets and dated prices" {
	run llm-ask --models
	[ "$status" -eq 0 ]
	assert_line '{"model":"deepseek-coder","provider":"deepseek","api_id":"deepseek-v4-flash","context":16384,"budget":10000,"max_output":4096,"counter":"deepseek","exact":false,"price_input":0.14,"price_cached":0.0028,"price_output":0.28,"prices_as_of":"2026-04-26"}'
	assert_line '{"model":"claude-sonnet","provider":"anthropic","api_id":"claude-sonnet-5-5","context":200000,"budget":150000,"max_output":128000,"counter":"claude","factor":1.4,"exact":false,"price_input":2,"price_cached":0.2,"price_output":10,"prices_as_of":"2026-11-01"}'
	assert_line --partial '{"model":"local","provider":"local",'
}

@test "the config adds models and providers and overrides prices" {
	mkdir -p config/llmpipe
	cat >config/llmpipe/config <<-'EOF'
	# my models
	[provider lab]
	dialect = openai
	base_url = http://127.0.0.1:9/v1

	[model qwen]
	provider = lab
	api_id = "qwen3-coder:30b"
	context = 32768
	price_input = 0.5
	price_output = 1
	prices_as_of = 2026-11-01

	[model gpt-4o]
	price_input = 9
	EOF
	run llm-ask --models
	assert_line '{"model":"qwen","provider":"lab","api_id":"qwen3-coder:30b","context":32768,"budget":24576,"max_output":2048,"counter":"o200k_base","exact":false,"price_input":0.5,"price_cached":-1,"price_output":1,"prices_as_of":"2026-11-01"}'
	assert_line --partial '{"model":"gpt-4o","provider":"openai","api_id":"gpt-4o","context":128000,"budget":111616,"max_output":16384,"counter":"o200k_base","exact":true,"price_input":9,'
	run llm-ask --dry-run -m qwen <<<"$HI"
	[ "$output" = '{"model":"qwen3-coder:30b","messages":[{"role":"user","content":"hi"}]}' ]
}

@test "a config error names the file and line" {
	mkdir -p config/llmpipe
	printf 'model = gpt-4o\ncolour = blue\n' >config/llmpipe/config
	run -1 llm-ask --dry-run <<<"$HI"
	[ "$output" = "llm-ask: $BATS_TEST_TMPDIR/config/llmpipe/config:2: unknown key 'colour' before the first section" ]
	printf '[model x]\ncontext = many\n' >config/llmpipe/config
	run -1 llm-ask --dry-run <<<"$HI"
	[ "$output" = "llm-ask: $BATS_TEST_TMPDIR/config/llmpipe/config:2: bad value 'many' for 'context' in [model x]: expected a whole number of at least 1" ]
	printf '[model qwen]\ncolour = blue\n' >config/llmpipe/config
	run -1 llm-ask --dry-run <<<"$HI"
	[ "$output" = "llm-ask: $BATS_TEST_TMPDIR/config/llmpipe/config:2: unknown key 'colour' in [model qwen]" ]
	printf 'retries = many\n' >config/llmpipe/config
	run -1 llm-ask --dry-run <<<"$HI"
	[ "$output" = "llm-ask: $BATS_TEST_TMPDIR/config/llmpipe/config:1: bad value 'many' for 'retries': expected a whole number from 0 to 100" ]
	printf 'system = "unterminated\n' >config/llmpipe/config
	run -1 llm-ask --dry-run <<<"$HI"
	[ "$output" = "llm-ask: $BATS_TEST_TMPDIR/config/llmpipe/config:1: unterminated or malformed quoted value" ]
}

@test "a key and base URL from the config, which others must not read" {
	mkdir -p config/llmpipe
	printf '[provider openai]\napi_key = %s\n' "$OPENAI_KEY" >config/llmpipe/config
	chmod 644 config/llmpipe/config
	run -1 llm-ask --dry-run <<<"$HI"
	[ "$output" = "llm-ask: $BATS_TEST_TMPDIR/config/llmpipe/config: holds an API key but others may read it (mode 0644); run: chmod 600 $BATS_TEST_TMPDIR/config/llmpipe/config" ]
	chmod 600 config/llmpipe/config
	fake ok
	echo "base_url = $OPENAI_BASE_URL" >>config/llmpipe/config
	unset OPENAI_API_KEY OPENAI_BASE_URL
	run llm-ask <<<"$HI"
	[ "$status" -eq 0 ]
	[ "$(logged 'r["headers"]["authorization"]')" = "\"Bearer $OPENAI_KEY\"" ]
}

@test "an OpenAI call: the reply record, usage, cost, carried fields" {
	fake 'usage 1000 50 400'
	run --separate-stderr llm-ask -m gpt-4o <<<'{"role":"user","content":"hi","session":"s1","id":"m1","tokens":1}'
	[ "$status" -eq 0 ]
	[ "$(steady <<<"$output")" = '{"role":"assistant","content":"Hello from the fake server.","session":"s1","model":"gpt-4o","provider":"openai","api_model":"gpt-4o","finish":"stop","usage":{"input_tokens":1000,"output_tokens":50,"cached_tokens":400,"counted_input_tokens":8},"cost_usd":0.0025}' ]
	[ "$stderr" = "" ]
	[ "$(logged 'r["path"]')" = '"/v1/chat/completions"' ]
	[ "$(logged 'r["headers"]["authorization"]')" = "\"Bearer $OPENAI_KEY\"" ]
	[ "$(logged 'r["body"]')" = '{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}' ]
}

@test "an Anthropic call: cached tokens are added to input, as billed" {
	fake 'usage 1000 50 400'
	run llm-ask -m claude-sonnet -s 'Be brief.' <<<"$HI"
	[ "$status" -eq 0 ]
	[ "$(steady <<<"$output")" = '{"role":"assistant","content":"Hello from the fake server.","model":"claude-sonnet","provider":"anthropic","api_model":"claude-sonnet-5-5","finish":"end_turn","usage":{"input_tokens":1000,"output_tokens":50,"cached_tokens":400,"counted_input_tokens":18},"cost_usd":0.00178}' ]
	[ "$(logged 'r["path"]')" = '"/v1/messages"' ]
	[ "$(logged 'r["headers"]["x-api-key"]')" = "\"$ANTHROPIC_KEY\"" ]
	[ "$(logged 'r["headers"]["anthropic-version"]')" = '"2023-06-01"' ]
	[ "$(logged 'r["body"]["system"]')" = '"Be brief."' ]
}

@test "a DeepSeek call: cache hits at DeepSeek's price" {
	fake 'usage 1000 50 400'
	run llm-ask -m deepseek-coder <<<"$HI"
	[ "$status" -eq 0 ]
	[ "$(steady <<<"$output")" = '{"role":"assistant","content":"Hello from the fake server.","model":"deepseek-coder","provider":"deepseek","api_model":"deepseek-v4-flash","finish":"stop","usage":{"input_tokens":1000,"output_tokens":50,"cached_tokens":400,"counted_input_tokens":8},"cost_usd":9.912e-05}' ]
	[ "$(logged 'r["path"]')" = '"/chat/completions"' ]
}

@test "--stream: delta records as they come, then the reply record" {
	fake ok ok
	run llm-ask --stream <<<"$HI"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 6 ]
	[ "${lines[0]}" = '{"type":"delta","content":"Hello"}' ]
	[ "${lines[4]}" = '{"type":"delta","content":" server."}' ]
	[[ "${lines[5]}" == '{"role":"assistant","content":"Hello from the fake server.","model":"gpt-4o",'*'"usage":{"input_tokens":1,"output_tokens":5,"cached_tokens":0,"counted_input_tokens":8}'* ]]
	[ "$(logged 'r["body"]["stream_options"]')" = '{"include_usage": true}' ]
	run llm-ask --stream -m claude-sonnet <<<"$HI"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = '{"type":"delta","content":" from"}' ]
	[[ "${lines[5]}" == *'"finish":"end_turn","usage":{"input_tokens":1,"output_tokens":5,"cached_tokens":0,"counted_input_tokens":9}'* ]]
}

@test "-t prints only the text, even split 1-3 bytes at a time" {
	fake split split
	run --separate-stderr llm-ask -t <<<"$HI"
	[ "$status" -eq 0 ]
	[ "$output" = 'héllo 世界 🎉 done' ]
	[ "$stderr" = "" ]
	run llm-ask -t -m claude-sonnet <<<"$HI"
	[ "$output" = 'héllo 世界 🎉 done' ]
}

@test "every valid SSE framing: CRLF, CR, no space, multi-line data, and mixes" {
	# Multi-line data after CRLF: the LF of each CRLF ends nothing more,
	# or an event would end after its name or its first data line.
	# In pieces of 1-3 bytes, some reads end between a CR and its LF.
	local framings=(crlf cr nospace multiline 'crlf multiline'
		'cr nospace multiline' 'crlf multiline pieces')
	for f in "${framings[@]}" "${framings[@]}"; do
		echo "framing $f"
	done >script
	fake
	for m in gpt-4o claude-sonnet; do
		for f in "${framings[@]}"; do
			run llm-ask -t -m "$m" <<<"$HI"
			[ "$status" -eq 0 ] || { echo "$m $f: $output"; false; }
			[ "$output" = 'Hello from the fake server.' ]
		done
	done
	[ "$(wc -l <log)" -eq 14 ]
}

@test "DeepSeek's keep-alive comments and blank lines keep a call alive" {
	fake 'keepalive 3 0.4' 'keepalive 3 0.4'
	run llm-ask -t --idle-timeout 1 <<<"$HI"
	[ "$status" -eq 0 ]
	[ "$output" = 'Hello from the fake server.' ]
	run llm-ask --idle-timeout 1 <<<"$HI"
	[ "$status" -eq 0 ]
	[[ "$output" == '{"role":"assistant","content":"Hello from the fake server.",'* ]]
}

@test "429, 529 and 503 are retried, honouring retry-after-ms" {
	fake 'status 429 retry-after-ms=50' 'status 529 retry-after-ms=50' \
		'status 503 retry-after-ms=50' ok
	run --separate-stderr llm-ask --retries 3 -m claude-sonnet <<<"$HI"
	[ "$status" -eq 0 ]
	[[ "$output" == '{"role":"assistant","content":"Hello from the fake server.",'* ]]
	[ "${#stderr_lines[@]}" -eq 3 ]
	[[ "${stderr_lines[0]}" == 'llm-ask: anthropic: HTTP 429 rate_limit_error: '*'; retrying in 0.1 s' ]]
	[ "${stderr_lines[1]}" = 'llm-ask: anthropic: HTTP 529 overloaded_error: Overloaded (request req_fake2); retrying in 0.1 s' ]
	[ "$(logged 'r["n"]' | tr '\n' ' ')" = '1 2 3 4 ' ]
}

@test "retry-after in seconds is waited for; x-should-retry: false is obeyed" {
	fake 'status 429 retry-after=1' ok 'status 500 x-should-retry=false'
	run --separate-stderr llm-ask <<<"$HI"
	[ "$status" -eq 0 ]
	[[ "${stderr_lines[0]}" == *'; retrying in 1.0 s' ]]
	run --separate-stderr llm-ask <<<"$HI"
	[ "$status" -eq 5 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$(wc -l <log)" -eq 3 ]
}

@test "transient failures end with exit 5 after two retries" {
	fake 'status 500' 'status 500' 'status 500' ok
	run --separate-stderr llm-ask <<<"$HI"
	[ "$status" -eq 5 ]
	[ "$output" = "" ]
	[ "${#stderr_lines[@]}" -eq 3 ]
	[[ "${stderr_lines[2]}" == 'llm-ask: openai: HTTP 500 server_error: The server had an error processing your request.'*'(request req_fake3)' ]]
	[ "$(wc -l <log)" -eq 3 ]
}

@test "quota, billing and key errors are not retried and exit 4" {
	fake quota 'status 402' 'status 401' 'status 401'
	run -4 --separate-stderr llm-ask <<<"$HI"
	[[ "$stderr" == 'llm-ask: openai: HTTP 429 insufficient_quota: You exceeded your current quota'* ]]
	run -4 --separate-stderr llm-ask -m deepseek-coder <<<"$HI"
	[[ "$stderr" == 'llm-ask: deepseek: HTTP 402 '*'Insufficient Balance'* ]]
	run -4 --separate-stderr llm-ask <<<"$HI"
	[[ "$stderr" == 'llm-ask: openai: HTTP 401 invalid_api_key: '* ]]
	run -4 --separate-stderr llm-ask -m claude-haiku <<<"$HI"
	[ "$stderr" = 'llm-ask: anthropic: HTTP 401 authentication_error: invalid x-api-key (request req_fake4)' ]
	[ "$(wc -l <log)" -eq 4 ]
}

@test "no key: exit 4 with where to put one" {
	run -4 llm-ask -m claude-sonnet <<<"$HI"
	[ "$output" = 'llm-ask: anthropic: no API key: set ANTHROPIC_API_KEY, or api_key in [provider anthropic] of the configuration' ]
}

@test "an error event after a 200 is an error, and the partial text is kept" {
	fake error-after-200 error-after-200
	run --separate-stderr llm-ask --stream <<<"$HI"
	[ "$status" -eq 5 ]
	[ "$output" = $'{"type":"delta","content":"Hello"}\n{"type":"delta","content":" from"}' ]
	[ "$stderr" = $'llm-ask: openai: server_error: The server had an error while processing your request. (request req_fake1); the reply so far (10 bytes, incomplete):\nHello from' ]
	run --separate-stderr llm-ask --stream -m claude-sonnet <<<"$HI"
	[ "$status" -eq 5 ]
	[[ "$stderr" == 'llm-ask: anthropic: overloaded_error: Overloaded (request req_fake2); the reply so far (10 bytes, incomplete):'* ]]
	[ "$(wc -l <log)" -eq 2 ] # never retried once text was delivered
}

@test "a stream cut before its end marker is an error, never a reply" {
	fake broken broken broken broken reset
	# Nothing was delivered yet, so a cut body is retried, twice.
	run --separate-stderr llm-ask <<<"$HI"
	[ "$status" -eq 5 ]
	[ "$output" = "" ]
	[[ "${stderr_lines[2]}" == 'llm-ask: openai: transfer closed with '*' bytes remaining to read (request req_fake3)' ]]
	run --separate-stderr llm-ask -t -m claude-sonnet <<<"$HI"
	[ "$status" -eq 5 ]
	[ "$output" = 'Hello from' ]
	[ "$stderr" = 'llm-ask: anthropic: the stream ended before its end marker (request req_fake4); the reply above is incomplete' ]
	run --separate-stderr llm-ask --stream <<<"$HI"
	[ "$status" -eq 5 ]
	[[ "$stderr" == 'llm-ask: openai: transfer closed with outstanding read data remaining (request req_fake5); the reply so far (10 bytes, incomplete):'* ]]
	[ "$(wc -l <log)" -eq 5 ]
}

@test "an HTML error page reports the status and its first line" {
	fake nonjson nonjson200
	run -5 --separate-stderr llm-ask --retries 0 <<<"$HI"
	[ "$stderr" = 'llm-ask: openai: HTTP 502 the reply is not JSON: <html><body><h1>502 Bad Gateway</h1></body></html> (request req_fake1)' ]
	run -1 --separate-stderr llm-ask <<<"$HI"
	[[ "$stderr" == 'llm-ask: openai: the reply is not JSON: <html>'* ]]
}

@test "timeouts: idle (no byte for N s) and total" {
	fake 'stall 3' 'slow 3'
	run --separate-stderr llm-ask -t --idle-timeout 1 --retries 0 <<<"$HI"
	[ "$status" -eq 5 ]
	[ "$output" = 'Hello' ]
	[ "$stderr" = 'llm-ask: openai: no data for 1 s (request req_fake1); the reply above is incomplete' ]
	run --separate-stderr llm-ask --timeout 1 --retries 0 <<<"$HI"
	[ "$status" -eq 5 ]
	[ "$stderr" = 'llm-ask: openai: no reply within 1 s (--timeout)' ]
}

@test "--timeout bounds the whole call, retries and their waits included" {
	fake 'status 503 retry-after-ms=1000' 'slow 1.5' 'status 503 retry-after-ms=2500'
	# After a 1 s wait the second attempt has 1 s left of the 2, and the
	# server takes 1.5 s: on a timeout of its own, the attempt would end.
	# It got no reply, so it has no request id either.
	run -5 --separate-stderr llm-ask --timeout 2 --retries 3 <<<"$HI"
	[ "$output" = "" ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	[ "${stderr_lines[0]}" = 'llm-ask: openai: HTTP 503 server_is_overloaded: Our servers are currently overloaded. Please try again later. (request req_fake1); retrying in 1.0 s' ]
	[ "${stderr_lines[1]}" = 'llm-ask: openai: no reply within 2 s (--timeout); no time left to retry within 2 s' ]
	[ "$(wc -l <log)" -eq 2 ]
	# A wait that would pass the deadline is not begun.
	run -5 --separate-stderr llm-ask --timeout 2 --retries 3 <<<"$HI"
	[ "$stderr" = 'llm-ask: openai: HTTP 503 server_is_overloaded: Our servers are currently overloaded. Please try again later.; no time left to retry within 2 s (request req_fake3)' ]
	[ "$(wc -l <log)" -eq 3 ]
}

@test "a retry-after too long to represent is too long to wait: exit 5 at once" {
	fake 'status 503 retry-after=inf' 'status 503 retry-after=1e300' \
		'status 503 retry-after-ms=1e20' 'status 529 retry-after=1000000000'
	for req in 1 2 3; do
		run -5 --separate-stderr llm-ask <<<"$HI"
		[ "$stderr" = "llm-ask: openai: HTTP 503 server_is_overloaded: Our servers are currently overloaded. Please try again later.; the provider asks to wait longer than any wait llm-ask makes (request req_fake$req)" ]
	done
	run -5 --separate-stderr llm-ask -m claude-sonnet <<<"$HI"
	[ "$stderr" = 'llm-ask: anthropic: HTTP 529 overloaded_error: Overloaded; the provider asks to wait longer than any wait llm-ask makes (request req_fake4)' ]
	[ "$(wc -l <log)" -eq 4 ]
}

@test "an endless reply stops at max_reply_bytes: exit 5, not retried" {
	small_caps
	hostile deltas 1024
	run -5 --separate-stderr llm-ask -t <<<"$HI"
	[ "$stderr" = 'llm-ask: openai: the reply is over 65536 bytes (max_reply_bytes); the reply above is incomplete' ]
	# The text up to the delta that passed the cap, then a newline.
	[[ "$output" =~ ^x+$ ]]
	[ "${#output}" -gt 65536 ]
	[ "${#output}" -le $((65536 + 1024)) ]
	run -5 --separate-stderr llm-ask -t -m claude-sonnet <<<"$HI"
	[ "$stderr" = 'llm-ask: anthropic: the reply is over 65536 bytes (max_reply_bytes); the reply above is incomplete' ]
	[ "${#output}" -le $((65536 + 1024)) ]
	[ "$(wc -l <log)" -eq 2 ]
	# Reasoning counts: a model that thinks forever is stopped too.
	hostile thinking 1024
	run -5 --separate-stderr llm-ask -m deepseek-coder <<<"$HI"
	[ "$output" = "" ]
	[ "$stderr" = 'llm-ask: deepseek: the reply is over 65536 bytes (max_reply_bytes)' ]
	run -5 --separate-stderr llm-ask --stream -m claude-sonnet <<<"$HI"
	[ "$output" = "" ]
	[ "$stderr" = 'llm-ask: anthropic: the reply is over 65536 bytes (max_reply_bytes)' ]
	# A body that never ends, a reply's or an error's (a 500, which is
	# otherwise retried).
	hostile body
	run -5 --separate-stderr llm-ask <<<"$HI"
	[ "$stderr" = 'llm-ask: openai: the reply is over 65536 bytes (max_reply_bytes)' ]
	hostile error-body
	run -5 --separate-stderr llm-ask -m claude-sonnet <<<"$HI"
	[ "$stderr" = 'llm-ask: anthropic: HTTP 500 the reply is over 65536 bytes (max_reply_bytes)' ]
	[ "$(wc -l <log)" -eq 1 ]
}

@test "an event or a line that never ends stops at max_event_bytes" {
	small_caps
	hostile data-lines 100
	run -5 --separate-stderr llm-ask -t <<<"$HI"
	[ "$output" = "" ]
	[ "$stderr" = 'llm-ask: openai: a line or an event of the stream is over 4096 bytes (max_event_bytes)' ]
	hostile long-line
	run -5 --separate-stderr llm-ask --stream -m claude-sonnet <<<"$HI"
	[ "$output" = "" ]
	[ "$stderr" = 'llm-ask: anthropic: a line or an event of the stream is over 4096 bytes (max_event_bytes)' ]
	[ "$(wc -l <log)" -eq 1 ]
	# The caps are checked as the configuration is read.
	echo 'max_event_bytes = 100' >config/llmpipe/config
	run -1 --separate-stderr llm-ask --dry-run <<<"$HI"
	[ "$stderr" = "llm-ask: $XDG_CONFIG_HOME/llmpipe/config:1: bad value '100' for 'max_event_bytes': expected a whole number from 1024 to 1073741824" ]
}

@test "a reply small as text but huge as a tree is refused: a JSON value a 64 bytes of its cap" {
	small_caps
	# 4,000 values in 8 kB: each would cost some 80 bytes parsed.
	hostile big-body 8000
	run -5 --separate-stderr llm-ask <<<"$HI"
	[ "$output" = "" ]
	[ "$stderr" = 'llm-ask: openai: the reply holds over 2048 JSON values (one for each 64 bytes of max_reply_bytes)' ]
	[ "$(wc -l <log)" -eq 1 ]
	hostile big-event 3000
	run -5 --separate-stderr llm-ask --stream -m claude-sonnet <<<"$HI"
	[ "$output" = "" ]
	[ "$stderr" = 'llm-ask: anthropic: an event holds over 1088 JSON values (one for each 64 bytes of max_event_bytes)' ]
	[ "$(wc -l <log)" -eq 1 ]
	# Under the count, the same shapes are replies like any other.
	hostile big-event 1000
	run -0 --separate-stderr llm-ask -t <<<"$HI"
	[ "$output" = 'ok' ]
	[ "$stderr" = "" ]
	hostile big-body 1000
	run -0 --separate-stderr llm-ask -m claude-sonnet <<<"$HI"
	[[ "$output" == '{"role":"assistant","content":"ok","model":"claude-sonnet",'* ]]
}

@test "the default caps: a line past 16 MiB, a reply past 32 MiB, exit 5, not retried" {
	# The server stops after 40 MB, so that without caps the call ends.
	hostile --limit 40000000 long-line
	run -5 --separate-stderr llm-ask -t <<<"$HI"
	[ "$output" = "" ]
	[ "$stderr" = 'llm-ask: openai: a line or an event of the stream is over 16777216 bytes (max_event_bytes)' ]
	[ "$(wc -l <log)" -eq 1 ]
	hostile --limit 40000000 deltas 65536
	run -5 --separate-stderr bash -c 'llm-ask -t >/dev/null' <<<"$HI"
	[ "$stderr" = 'llm-ask: openai: the reply is over 33554432 bytes (max_reply_bytes); the reply above is incomplete' ]
	[ "$(wc -l <log)" -eq 1 ]
}

@test "a refused connection is retried, then exit 5" {
	run --separate-stderr env OPENAI_API_KEY=k OPENAI_BASE_URL=http://127.0.0.1:9/v1 \
		llm-ask --retries 1 <<<"$HI"
	[ "$status" -eq 5 ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	[[ "${stderr_lines[1]}" == 'llm-ask: openai: Failed to connect to 127.0.0.1 port 9'* ]]
}

@test "libcurl's proxy variables are honoured" {
	fake ok
	run --separate-stderr env http_proxy="http://127.0.0.1:$(cat port)" \
		OPENAI_BASE_URL=http://llm.invalid/v1 llm-ask -t <<<"$HI"
	[ "$status" -eq 0 ]
	[ "$output" = 'Hello from the fake server.' ]
	[ "$(logged 'r["path"]')" = '"http://llm.invalid/v1/chat/completions"' ]
}

@test "over budget: an error that names the overflow, exit 3, nothing sent" {
	fake ok
	big=$(printf 'word %.0s' $(seq 12000))
	run -3 llm-ask -m deepseek-coder <<<"{\"role\":\"user\",\"content\":\"$big\"}"
	[[ "$output" == 'llm-ask: the input is '*' tokens, '*" over deepseek-coder's budget of 10000 (--fit drops docs and old messages)" ]]
	[ "$(wc -l <log)" -eq 0 ]
}

@test "--fit drops docs worst first, then old messages, never a tool result alone" {
	fake ok
	part=$(printf 'word %.0s' $(seq 3000)) # 4,500 tokens by DeepSeek's measure
	{
		echo "{\"type\":\"doc\",\"source\":\"best\",\"content\":\"$part\",\"score\":0.9}"
		echo "{\"type\":\"doc\",\"source\":\"worst\",\"content\":\"$part\",\"score\":0.1}"
		echo "{\"role\":\"assistant\",\"content\":\"$part\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}"
		echo '{"role":"tool","tool_call_id":"c1","content":"42"}'
		echo "{\"role\":\"user\",\"content\":\"$part\"}"
		echo "{\"role\":\"assistant\",\"content\":\"$part\"}"
		echo '{"role":"user","content":"and now?"}'
	} >in.jsonl
	run --separate-stderr llm-ask -m deepseek-coder --fit <in.jsonl
	[ "$status" -eq 0 ]
	[[ "$stderr" == "llm-ask: dropped 2 docs, 0 facts and 2 messages ("*" tokens) to fit deepseek-coder's limit of 10000 tokens" ]]
	[ "$(logged '[m["role"] for m in r["body"]["messages"]]')" = '["user", "assistant", "user"]' ]
	echo "{\"role\":\"user\",\"content\":\"$part $part $part\"}" >big.jsonl
	tokens=$(llm-count --total -m deepseek-coder <big.jsonl | sed 's/.*"tokens":\([0-9]*\).*/\1/')
	run -3 --separate-stderr llm-ask -m deepseek-coder --fit <big.jsonl
	[ "$stderr" = "llm-ask: even with only the latest message the input is $tokens tokens, over deepseek-coder's budget of 10000" ]
}

@test "--fit counts as llm-count --total, and keeps all the newest messages that fit" {
	awk 'BEGIN { for (i = 1; i <= 20000; i++)
		printf "{\"role\":\"%s\",\"content\":\"message %d of a long conversation\"%s}\n",
			i % 2 ? "user" : "assistant", i, i % 7 ? "" : ",\"name\":\"n" i "\"" }' >long.jsonl
	run --separate-stderr llm-ask -m deepseek-coder --fit --dry-run <long.jsonl
	[ "$status" -eq 0 ]
	kept=$(python3 -c 'import json, sys; print(len(json.load(sys.stdin)["messages"]))' <<<"$output")
	[ "$kept" -gt 100 ]
	[[ "$stderr" == "llm-ask: dropped 0 docs, 0 facts and $((20000 - kept)) messages ("* ]]
	[[ "$output" == *'"content":"message 20000 of a long conversation"'* ]]
	# What is kept fits by llm-count's measure; one message more would not.
	run llm-count --total -m deepseek-coder < <(tail -n "$kept" long.jsonl)
	[[ "$output" =~ \"tokens\":([0-9]+) ]]
	[ "${BASH_REMATCH[1]}" -le 10000 ]
	run llm-count --total -m deepseek-coder < <(tail -n "$((kept + 1))" long.jsonl)
	[[ "$output" =~ \"tokens\":([0-9]+) ]]
	[ "${BASH_REMATCH[1]}" -gt 10000 ]
}

@test "--count asks Anthropic's count_tokens, retrying as a call does; others count as llm-count --total" {
	fake 'status 529' 'usage 1234'
	printf '%s\n' '{"role":"user","content":"Count me."}' '{"role":"assistant","content":"Done."}' '{"role":"user","content":"Again?"}' >in.jsonl
	run --separate-stderr llm-ask --count -m claude-sonnet -s "Be brief." <in.jsonl
	[ "$status" -eq 0 ]
	[ "$output" = '{"tokens":1234,"messages":4,"model":"claude-sonnet","provider":"anthropic"}' ]
	[[ "$stderr" == *"HTTP 529 overloaded_error"*"retrying"* ]]
	[ "$(logged 'r["path"]')" = '"/v1/messages/count_tokens"
"/v1/messages/count_tokens"' ]
	[ "$(logged '[sorted(r["body"]), r["body"]["system"]]' | tail -1)" = '[["messages", "model", "system"], "Be brief."]' ]
	# No key: nothing is sent.
	: >log
	ANTHROPIC_API_KEY= run -4 --separate-stderr llm-ask --count -m claude-sonnet <in.jsonl
	[[ "$stderr" == *"no API key: set ANTHROPIC_API_KEY"* ]]
	[ ! -s log ]
	# OpenAI and DeepSeek have no count endpoint: counted here, as
	# llm-count counts, and nothing is sent.
	run --separate-stderr llm-ask --count -m gpt-4o <in.jsonl
	[ "$output" = "$(llm-count --total -m gpt-4o <in.jsonl | sed 's/}$/,"model":"gpt-4o","provider":"openai"}/')" ]
	run --separate-stderr llm-ask --count -m deepseek-coder <in.jsonl
	[ "$output" = "$(llm-count --total -m deepseek-coder <in.jsonl | sed 's/}$/,"model":"deepseek-coder","provider":"deepseek"}/')" ]
	[[ "$output" == *'"exact":false'* ]]
	[ ! -s log ]
}

@test "to Anthropic, tool calls and their results go as text, and no message is empty" {
	fake ok ok
	cat >in.jsonl <<'EOF'
{"role":"user","content":"What is in config.h?"}
{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"read_file","arguments":"{\"path\":\"config.h\"}"}}]}
{"role":"tool","tool_call_id":"call_1","content":"#define MAX 10"}
{"role":"assistant","content":""}
{"role":"user","content":[{"type":"text","text":"And MAX?"}]}
EOF
	run --separate-stderr llm-ask -m claude-sonnet <in.jsonl
	[ "$status" -eq 0 ]
	[ "$(logged 'r["body"]["messages"]')" = '[{"role": "user", "content": "What is in config.h?"}, {"role": "assistant", "content": "[tool call call_1: read_file({\"path\":\"config.h\"})]"}, {"role": "user", "content": "[result of tool call call_1]\n#define MAX 10"}, {"role": "user", "content": [{"type": "text", "text": "And MAX?"}]}]' ]
	# OpenAI takes them as they are.
	: >log
	run --separate-stderr llm-ask -m gpt-4o <in.jsonl
	[ "$status" -eq 0 ]
	[ "$(logged '[m.get("tool_calls", [{}])[0].get("id") for m in r["body"]["messages"]]')" = '[null, "call_1", null, null, null]' ]
}

@test "the provider's 'context length exceeded': shrink by its measure, retry once" {
	fake 'context-exceeded 8000 12000' ok
	part=$(printf 'word %.0s' $(seq 1500))
	for i in 1 2 3 4; do echo "{\"role\":\"user\",\"content\":\"$part\"}"; done >in.jsonl
	echo '{"role":"user","content":"last"}' >>in.jsonl
	run --separate-stderr llm-ask <in.jsonl
	[ "$status" -eq 0 ]
	[ "${stderr_lines[0]}" = 'llm-ask: openai counts 12000 tokens against a window of 8000; retrying once' ]
	[ "$(logged 'len(r["body"]["messages"])' | tr '\n' ' ')" = '5 3 ' ]
}

@test "'context length exceeded' that one shrink does not cure is exit 3" {
	fake 'context-exceeded 8000 12000' 'context-exceeded 8000 12000' \
		'context-exceeded 1000 5000'
	part=$(printf 'word %.0s' $(seq 1500))
	for i in 1 2 3 4; do echo "{\"role\":\"user\",\"content\":\"$part\"}"; done >in.jsonl
	echo '{"role":"user","content":"last"}' >>in.jsonl
	run -3 --separate-stderr llm-ask <in.jsonl
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = 'llm-ask: openai counts 12000 tokens against a window of 8000; retrying once' ]
	[ "${stderr_lines[2]}" = "llm-ask: openai: HTTP 400 context_length_exceeded: This model's maximum context length is 8000 tokens. However, your messages resulted in 12000 tokens. Please reduce the length of the messages. (request req_fake2)" ]
	[ "${#stderr_lines[@]}" -eq 3 ]
	# With only the latest message there is nothing to drop: at once.
	run -3 --separate-stderr llm-ask -m claude-sonnet <<<"$HI"
	[ "$stderr" = 'llm-ask: anthropic: HTTP 400 invalid_request_error: prompt is too long: 5000 tokens > 1000 maximum (request req_fake3)' ]
	[ "$(wc -l <log)" -eq 3 ]
}

@test "--json-schema: native for OpenAI, json_object and the schema for DeepSeek" {
	fake 'ok {"ok":true}' 'ok not json'
	schema='{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"],"additionalProperties":false}'
	run llm-ask --json-schema "$schema" <<<"$HI"
	[ "$status" -eq 0 ]
	[[ "$output" == '{"role":"assistant","content":"{\"ok\":true}",'* ]]
	[ "$(logged 'r["body"]["response_format"]["json_schema"]["strict"]')" = 'true' ]
	echo "$schema" >schema.json
	run --separate-stderr llm-ask --json-schema schema.json -m deepseek-coder <<<"$HI"
	[ "$status" -eq 1 ]
	[ "$stderr" = $'llm-ask: deepseek: the reply is not JSON:\nnot json' ]
	[ "$(logged 'r["body"].get("response_format")' | tail -1)" = '{"type": "json_object"}' ]
	[[ "$(logged 'r["body"]["messages"][0]["content"]' | tail -1)" == '"Reply with JSON only'* ]]
}

@test "bad input: each bad line named, nothing sent" {
	fake ok
	run -1 --separate-stderr llm-ask <<-'EOF'
	{"role":"user","content":"fine"}
	{"role":"user","content":
	{"role":"wizard","content":"x"}
	{"content":"no role"}
	{"role":"user","content":[{"type":"text"}]}
	EOF
	[ "${stderr_lines[0]}" = 'llm-ask: line 2: invalid JSON: syntax error at column 25' ]
	[ "${stderr_lines[1]}" = "llm-ask: line 3: unknown role 'wizard' (system, user, assistant, tool or developer)" ]
	[ "${stderr_lines[2]}" = "llm-ask: line 4: a message needs a 'role' (or a record a 'type')" ]
	[ "${stderr_lines[3]}" = "llm-ask: line 5: a 'content' text part has no 'text' string" ]
	[ "${stderr_lines[4]}" = 'llm-ask: nothing sent: the input has bad lines' ]
	[ "$(wc -l <log)" -eq 0 ]
	run -1 llm-ask </dev/null
	[ "$output" = 'llm-ask: nothing to send: the input has no user, assistant or tool message' ]
}

@test "usage errors exit 2" {
	run -2 llm-ask --temperature 3 </dev/null
	[ "${lines[0]}" = "llm-ask: --temperature: expected a number from 0 to 2, not '3'" ]
	run -2 llm-ask --max-tokens 0 </dev/null
	run -2 llm-ask --stream -t </dev/null
	run -2 llm-ask -m no-such-model <<<"$HI"
	[ "$output" = "llm-ask: unknown model 'no-such-model' (llm-ask --models lists them)" ]
	run -2 llm-ask --json-schema '{not json' <<<"$HI"
}

@test "the key appears in no output, error or body, only in its header" {
	fake 'status 401' ok error-after-200 broken 'status 529 retry-after-ms=50' \
		'status 529 retry-after-ms=50' 'status 529 retry-after-ms=50'
	# Each call's stdout and stderr, in turn, with its status.
	run -4 llm-ask <<<"$HI"
	printf '%s\n' "$output" >all
	run -0 llm-ask --dry-run <<<"$HI"
	printf '%s\n' "$output" >>all
	run -0 llm-ask -m claude-sonnet <<<"$HI"
	printf '%s\n' "$output" >>all
	run -5 llm-ask --stream <<<"$HI"
	printf '%s\n' "$output" >>all
	run -5 llm-ask -t <<<"$HI"
	printf '%s\n' "$output" >>all
	run -5 llm-ask -m claude-sonnet <<<"$HI"
	printf '%s\n' "$output" >>all
	grep -q 'Incorrect API key provided' all
	refute_keys all
	# In the log, a key is only ever a header value.
	python3 - "$OPENAI_KEY" "$ANTHROPIC_KEY" <<-'EOF'
	import json, sys
	for line in open("log"):
	    r = json.loads(line)
	    headers = dict(r["headers"])
	    headers.pop("authorization", None)
	    headers.pop("x-api-key", None)
	    rest = json.dumps([r.get("body"), r.get("raw"), r["path"], headers])
	    assert all(k not in rest for k in sys.argv[1:]), rest
	EOF
	[ "$(wc -l <log)" -eq 7 ]
}

@test "a server that echoes the key back: masked in a 401, an error event, a header, a page" {
	fake 'echo-key body' 'echo-key event' \
		'echo-key header retry-after-ms=100' 'echo-key header' \
		'echo-key page x-should-retry=false' \
		'echo-key event x-should-retry=false' \
		'echo-key body' 'echo-key event' \
		'echo-key header x-should-retry=false' 'echo-key body'
	run -4 --separate-stderr llm-ask <<<"$HI"
	[ "$output" = "" ]
	[ "$stderr" = 'llm-ask: openai: HTTP 401 invalid_api_key: Incorrect API key provided: ***. You can find your API key at https://platform.openai.com/account/api-keys. (request req_fake1)' ]
	run -5 --separate-stderr llm-ask --stream <<<"$HI"
	[ "$stderr" = $'llm-ask: openai: server_error: bad key *** (request req_fake2); the reply so far (10 bytes, incomplete):\nHello from' ]
	# As the request id of a 500, retried once: both notices masked.
	run -5 --separate-stderr llm-ask --retries 1 <<<"$HI"
	[ "${#stderr_lines[@]}" -eq 2 ]
	[ "${stderr_lines[0]}" = "llm-ask: openai: HTTP 500 server_error: The server had an error processing your request. Sorry about that! You can retry your request, or contact us through our help center at help.openai.com if you keep seeing this error. (Please include the request ID req_fake3 in your email.) (request ***); retrying in 0.1 s" ]
	[[ "${stderr_lines[1]}" == *'(Please include the request ID req_fake4 in your email.) (request ***)' ]]
	run -5 --separate-stderr llm-ask <<<"$HI"
	[ "$stderr" = 'llm-ask: openai: HTTP 502 the reply is not JSON: <html><body>502: no upstream for ***</body></html> (request req_fake5)' ]
	run -5 --separate-stderr llm-ask <<<"$HI"
	[ "$stderr" = 'llm-ask: openai: server_error: bad key *** (request req_fake6)' ]
	run -4 --separate-stderr llm-ask -m claude-sonnet <<<"$HI"
	[ "$stderr" = 'llm-ask: anthropic: HTTP 401 authentication_error: invalid x-api-key: *** (request req_fake7)' ]
	run -5 --separate-stderr llm-ask -t -m claude-sonnet <<<"$HI"
	[ "$output" = 'Hello from' ]
	[ "$stderr" = 'llm-ask: anthropic: overloaded_error: bad key *** (request req_fake8); the reply above is incomplete' ]
	run -5 --separate-stderr llm-ask -m claude-sonnet <<<"$HI"
	[ "$stderr" = 'llm-ask: anthropic: HTTP 500 api_error: Internal server error (request ***)' ]
	run -4 --separate-stderr llm-ask --count -m claude-sonnet <<<"$HI"
	[ "$stderr" = 'llm-ask: anthropic: HTTP 401 authentication_error: invalid x-api-key: *** (request req_fake10)' ]
	# The keys went out whole, so each of them came back.
	[ "$(logged 'r["headers"].get("authorization") or r["headers"]["x-api-key"]' | sort | uniq -c | tr -s ' ')" = " 6 \"Bearer $OPENAI_KEY\"
 4 \"$ANTHROPIC_KEY\"" ]
}

@test "a key with a line break is refused, naming where it is, never the key" {
	fake ok
	OPENAI_API_KEY=$'sk-test-injected\r\nx-injected: yes' \
		run -4 --separate-stderr llm-ask <<<"$HI"
	[ "$output" = "" ]
	[ "$stderr" = 'llm-ask: OPENAI_API_KEY holds a line break: refusing the key' ]
	ANTHROPIC_API_KEY=$'sk-ant-injected\nx-injected: yes' \
		run -4 --separate-stderr llm-ask --dry-run -m claude-sonnet <<<"$HI"
	[ "$stderr" = 'llm-ask: ANTHROPIC_API_KEY holds a line break: refusing the key' ]
	unset OPENAI_API_KEY
	mkdir -p config/llmpipe
	printf '[provider openai]\napi_key = "sk-test-injected\\nx-injected: yes"\n' >config/llmpipe/config
	chmod 600 config/llmpipe/config
	run -1 --separate-stderr llm-ask <<<"$HI"
	[ "$stderr" = "llm-ask: $XDG_CONFIG_HOME/llmpipe/config:2: bad value for 'api_key' in [provider openai]: it holds a line break" ]
	printf '[provider openai]\napi_key = sk-test-injected\rx-injected: yes\n' >config/llmpipe/config
	run -1 --separate-stderr llm-ask <<<"$HI"
	[ "$stderr" = "llm-ask: $XDG_CONFIG_HOME/llmpipe/config:2: bad value for 'api_key' in [provider openai]: it holds a line break" ]
	[ ! -s log ] # nothing was sent
}

@test "a reply cut at the output limit is said to be, on stderr" {
	fake length length length length
	run -0 --separate-stderr llm-ask -t <<<"$HI"
	[ "$output" = 'Hello from the fake server.' ]
	[ "$stderr" = 'llm-ask: the reply was cut at the output limit (finish: length)' ]
	run -0 --separate-stderr llm-ask -t -m claude-sonnet <<<"$HI"
	[ "$output" = 'Hello from the fake server.' ]
	[ "$stderr" = 'llm-ask: the reply was cut at the output limit (finish: max_tokens)' ]
	run -0 --separate-stderr llm-ask --show <<<"$HI"
	[ "$stderr" = $'Hello from the fake server.\nllm-ask: the reply was cut at the output limit (finish: length)' ]
	[[ "$output" == '{"role":"assistant","content":"Hello from the fake server.",'*'"finish":"length",'* ]]
	# The record says so in its finish, and stderr too.
	run -0 --separate-stderr llm-ask -m claude-sonnet <<<"$HI"
	[[ "$output" == *'"finish":"max_tokens",'* ]]
	[ "$stderr" = 'llm-ask: the reply was cut at the output limit (finish: max_tokens)' ]
}

@test "operands are a prompt, sent after the records of standard input" {
	run -0 --separate-stderr llm-ask --dry-run 'What does' 'strlen return?' </dev/null
	[ "$output" = '{"model":"gpt-4o","messages":[{"role":"user","content":"What does strlen return?"}]}' ]
	[ "$stderr" = "" ]
	run -0 llm-ask --dry-run -s 'Be terse.' 'And now?' <<-'EOF'
	{"type":"fact","kind":"decision","subject":"db","content":"use SQLite","op":"add"}
	{"role":"user","content":"Which database?","session":"s1"}
	{"role":"assistant","content":"SQLite."}
	EOF
	[ "$output" = '{"model":"gpt-4o","messages":[{"role":"system","content":"Be terse.\n\nKnown facts:\n- decision db: use SQLite"},{"role":"user","content":"Which database?"},{"role":"assistant","content":"SQLite."},{"role":"user","content":"And now?"}]}' ]
	# On a terminal, standard input is not read: the operands are all.
	run env SHELL=/bin/bash script -qec "llm-ask --dry-run 'Name a C string function.'" /dev/null
	[ "$status" -eq 0 ]
	[ "$output" = $'{"model":"gpt-4o","messages":[{"role":"user","content":"Name a C string function."}]}\r' ]
	# ... and without operands there is nothing to send.
	run env SHELL=/bin/bash script -qec "llm-ask --dry-run" /dev/null
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = $'llm-ask: no input: give a prompt as operands, or JSON lines on standard input\r' ]
	[[ "${lines[1]}" == 'usage: llm-ask '* ]]
}

@test "text on standard input gets a word on what the input is" {
	run -1 --separate-stderr llm-ask <<<'hello'
	[ "$output" = "" ]
	[ "$stderr" = "$(cat <<-'EOF'
	llm-ask: line 1: invalid JSON: syntax error at column 1
	llm-ask: standard input is JSON lines, one record such as {"role":"user","content":"..."} a line; to send text, give it as operands (llm-ask 'question') or pipe it through jq -Rs '{role:"user",content:.}'
	llm-ask: nothing sent: the input has bad lines
	EOF
	)" ]
	# Not for a record that is bad, nor for text after a record.
	run -1 --separate-stderr llm-ask < <(printf '%s\n' '{"role": nope}' "$HI" hello)
	[ "$stderr" = $'llm-ask: line 1: invalid JSON: syntax error at column 10\nllm-ask: line 3: invalid JSON: syntax error at column 1\nllm-ask: nothing sent: the input has bad lines' ]
}

@test "--show: the text on stderr as it comes, the record alone on stdout" {
	fake ok 'ok "héllo 世界 🎉 done"'
	run -0 --separate-stderr llm-ask --show <<<"$HI"
	[ "$stderr" = 'Hello from the fake server.' ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == '{"role":"assistant","content":"Hello from the fake server.","model":"gpt-4o",'* ]]
	run -0 --separate-stderr llm-ask --show -m claude-sonnet <<<"$HI"
	[ "$stderr" = 'héllo 世界 🎉 done' ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == '{"role":"assistant","content":"héllo 世界 🎉 done","model":"claude-sonnet",'* ]]
	# Asked for as a stream, as -t and --stream are.
	[ "$(logged 'r["body"]["stream"]')" = 'true
true' ]
	run -2 llm-ask --show -t <<<"$HI"
	[ "${lines[0]}" = 'llm-ask: --stream, -t and --show exclude each other' ]
	run -2 llm-ask --show --stream <<<"$HI"
}

@test "--show into llm-memdb add: the text on screen, the record stored, llm-ask's status kept" {
	fake ok 'status 401'
	export LLMPIPE_DB=$BATS_TEST_TMPDIR/memory.db
	run -0 --separate-stderr bash -c "set -o pipefail; llm-ask --show 'Where is the parser?' | llm-memdb add -s work" </dev/null
	[ "$stderr" = 'Hello from the fake server.' ]
	run -0 llm-memdb log -s work
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == '{"role":"assistant","content":"Hello from the fake server.","model":"gpt-4o",'*'"session":"work"}' ]]
	# A failed call stores nothing, and the pipeline says how it failed.
	run -4 --separate-stderr bash -c "set -o pipefail; llm-ask --show 'Again?' | llm-memdb add -s work" </dev/null
	[[ "$stderr" == 'llm-ask: openai: HTTP 401 invalid_api_key: '* ]]
	run -0 llm-memdb log -s work
	[ "${#lines[@]}" -eq 1 ]
}

@test "usage.counted_input_tokens is llm-ask's own count, as --count gives it" {
	fake 'usage 1000 50' 'usage 1000 50' 'usage 1000 50'
	cat >in.jsonl <<-'EOF'
	{"type":"summary","role":"system","content":"We chose SQLite.","covers":2,"through":"m2"}
	{"type":"fact","kind":"decision","subject":"db","content":"use SQLite","op":"add"}
	{"type":"doc","source":"db.c#1","content":"int db_open(const char *path);","score":0.5}
	{"role":"user","content":"Open the database.","name":"dev"}
	{"role":"assistant","content":"Done: db_open(\"memory.db\")."}
	EOF
	for m in gpt-4o gpt-4 deepseek-coder; do
		run -0 llm-ask --count -m "$m" -s 'Be terse.' 'And close it?' <in.jsonl
		[[ "$output" =~ ^\{\"tokens\":([0-9]+), ]]
		want=${BASH_REMATCH[1]}
		run -0 llm-ask -m "$m" -s 'Be terse.' 'And close it?' <in.jsonl
		[[ "$output" == *"\"usage\":{\"input_tokens\":1000,\"output_tokens\":50,\"cached_tokens\":0,\"counted_input_tokens\":$want},"* ]]
	done
	[ "$(wc -l <log)" -eq 3 ] # --count sent nothing
}

@test "--record: the reply record in a file too, only when the reply is whole" {
	fake ok 'status 529'
	run -0 --separate-stderr llm-ask -t --record reply.jsonl 'hi'
	[ "$output" = 'Hello from the fake server.' ]
	[[ "$(cat reply.jsonl)" == '{"role":"assistant","content":"Hello from the fake server.",'* ]]
	[ "$(wc -l <reply.jsonl)" = 1 ]
	rm reply.jsonl
	run -5 --separate-stderr llm-ask -t --retries 0 --record reply.jsonl 'hi'
	[ ! -e reply.jsonl ]
}

@test "--help and --version" {
	run -0 llm-ask --help
	[ "${lines[0]}" = 'usage: llm-ask [-m model] [-s system] [--fit] [--stream | -t | --show]' ]
	[ "${lines[2]}" = '               [--auto] [--count] [--dry-run] [--record file]' ]
	run -0 llm-ask --version
	[[ "$output" == 'llm-ask '[0-9]* ]]
}

@test "every example of the manual page works as shown" {
	fake ok ok ok ok
	export LLMPIPE_DB=$BATS_TEST_TMPDIR/memory.db
	echo '{"role":"user","content":"Where is the parser?","session":"work"}' |
		llm-memdb add
	man_examples "$BATS_TEST_DIRNAME/../man/llm-ask.1"
	[ "$n" -eq 6 ]
}

# --embed: text records in, embedding records out, in batches.

@test "--embed: an embedding record for each text record, in order, in batches" {
	fake
	printf '%s\n' '{"text":"alpha"}' '{"role":"user","content":"beta"}' \
		'{"type":"doc","source":"a.c#1","content":"gamma"}' \
		'{"text":"delta"}' '{"text":"epsilon"}' >in
	run -0 --separate-stderr llm-ask --embed --batch 2 <in
	[ "${#lines[@]}" = 6 ]
	[[ "${lines[0]}" == '{"type":"embedding","model":"text-embedding-3-small","dims":8,"vector":['* ]]
	[[ "${lines[5]}" == '{"type":"usage","model":"text-embedding-3-small","provider":"openai","calls":3,"inputs":5,"usage":{"input_tokens":'* ]]
	[[ "${lines[5]}" == *'"cost_usd":'* ]]
	[ "$(logged 'r["path"]')" = "$(printf '"/v1/embeddings"\n%.0s' 1 2 3)" ]
	[ "$(logged 'r["body"]["input"]' | tr '\n' ' ')" = '["alpha", "beta"] ["gamma", "delta"] ["epsilon"] ' ]
	[ "$(logged 'r["body"]["encoding_format"]' | sort -u)" = '"float"' ]
	# Each vector is the one its text gets alone: the order is kept.
	printf '%s\n' "${lines[@]:0:5}" >batched
	for t in alpha beta gamma delta epsilon; do
		llm-ask --embed "$t"
	done | grep '"type":"embedding"' >alone
	cmp batched alone
	# Many: the default batches of 128.
	seq 1 300 | sed 's/.*/{"text":"text &"}/' >many
	run -0 --separate-stderr llm-ask --embed <many
	[ "$(grep -c '"type":"embedding"' <<<"$output")" = 300 ]
	[[ "${lines[300]}" == *'"calls":3,"inputs":300,'* ]]
}

@test "--embed: --dims and embed_model are sent; -m names the model" {
	fake
	run -0 llm-ask --embed --dims 4 'some text'
	[[ "${lines[0]}" == '{"type":"embedding","model":"text-embedding-3-small","dims":4,'* ]]
	[ "$(logged 'r["body"]["dimensions"]')" = 4 ]
	mkdir -p config/llmpipe
	printf 'embed_model = text-embedding-3-large\n' >config/llmpipe/config
	run -0 llm-ask --embed 'some text'
	[ "$(logged 'r["body"]["model"]' | tail -1)" = '"text-embedding-3-large"' ]
	run -0 llm-ask --embed -m text-embedding-ada-002 'some text'
	[ "$(logged 'r["body"]["model"]' | tail -1)" = '"text-embedding-ada-002"' ]
	[[ "${lines[1]}" == *'"cost_usd":'* ]]
}

@test "--embed: a local server's model, from the configuration" {
	fake
	unset OPENAI_API_KEY
	mkdir -p config/llmpipe
	cat >config/llmpipe/config <<-EOF
	[model nomic]
	provider = local
	api_id = nomic-embed-text
	context = 2048
	EOF
	run -0 --separate-stderr env LOCAL_BASE_URL="$OPENAI_BASE_URL" \
		LOCAL_API_KEY=sk-local-1 llm-ask --embed -m nomic 'hello there'
	[[ "${lines[0]}" == '{"type":"embedding","model":"nomic","dims":8,'* ]]
	[[ "${lines[1]}" == '{"type":"usage","model":"nomic","provider":"local",'* ]]
	[ "$(logged 'r["path"] + " " + r["body"]["model"]')" = '"/v1/embeddings nomic-embed-text"' ]
	[ "$(logged 'r["headers"]["authorization"]')" = '"Bearer sk-local-1"' ]
}

@test "--embed: a transient failure is retried; a lasting one says how far it got" {
	fake 'status 429 retry-after=0' ok 'status 500' 'status 500' 'status 500'
	printf '{"text":"t%s"}\n' 1 2 3 4 >in
	run -5 --separate-stderr llm-ask --embed --batch 2 --retries 2 <in
	[ "${#lines[@]}" = 3 ] # two embeddings, then the usage of the one call
	[[ "${lines[2]}" == '{"type":"usage",'*'"calls":1,"inputs":2,'* ]]
	[[ "$stderr" == *'stopped after 2 of the 4 inputs'* ]]
	[ "$(wc -l <log)" = 5 ]
}

@test "--embed: an input over the model's limit is refused, and nothing is sent" {
	fake
	{
		echo '{"text":"short"}'
		python3 -c 'import json; print(json.dumps({"text": "word " * 9000}))'
		echo '{"kind":"no text"}'
	} >in
	run -1 --separate-stderr llm-ask --embed <in
	[ "$output" = '' ]
	[[ "$stderr" == *'llm-ask: line 2: 9001 tokens, over text-embedding-3-small'"'"'s limit of 8191 an input; split it first'* ]]
	[[ "$stderr" == *'llm-ask: line 3: nothing to embed: no "text" or "content"'* ]]
	head -2 in >long
	run -3 --separate-stderr llm-ask --embed <long
	[ "$output" = '' ]
	[ ! -s log ]
}

@test "--embed: a reply that does not match its inputs stores nothing" {
	for fault in missing dims index infinite; do
		fake "bad-embeddings $fault"
		run -1 --separate-stderr llm-ask --embed --batch 3 <<<$'{"text":"a"}\n{"text":"b"}\n{"text":"c"}'
		if [ "$fault" = infinite ]; then # 1e999 is out of a double's range
			[[ "$stderr" == 'llm-ask: openai: the reply is not JSON: '* ]]
		else
			[[ "$stderr" == *'openai: the reply does not hold one vector of finite numbers, all of 8 dimensions, for each of the 3 inputs'* ]]
		fi
		[[ "$output" != *'"type":"embedding"'* ]]
		kill "$FAKE_PID" && wait "$FAKE_PID" || true
		rm -f port log
	done
}

@test "--embed: the key is sent only in its header; no key, no call; no embeddings in Anthropic's dialect" {
	fake
	run -0 --separate-stderr llm-ask --embed 'text'
	[ "$(logged 'r["headers"]["authorization"]')" = "\"Bearer $OPENAI_KEY\"" ]
	[[ "$output$stderr" != *"$OPENAI_KEY"* ]]
	run -0 llm-ask --embed --dry-run 'text'
	[ "$output" = '{"model":"text-embedding-3-small","input":["text"],"encoding_format":"float"}' ]
	unset OPENAI_API_KEY
	run -4 --separate-stderr llm-ask --embed 'text'
	[[ "$stderr" == *'no API key: set OPENAI_API_KEY'* ]]
	run -1 --separate-stderr llm-ask --embed -m claude-sonnet 'text'
	[ "$stderr" = 'llm-ask: model claude-sonnet: the anthropic dialect has no embeddings' ]
	run -2 --separate-stderr llm-ask --embed --stream 'text'
	[ "${stderr_lines[0]}" = 'llm-ask: --embed takes only -m, --dims, --batch, --dry-run and the timeouts' ]
	[ "$(wc -l <log)" = 1 ]
}

@test "--embed into llm-memdb: the usage record is kept with its cost" {
	fake
	export LLMPIPE_DB=$BATS_TEST_TMPDIR/m.db
	llm-ask --embed 'one' 'text' | llm-memdb add -s emb
	run -0 llm-memdb cost --by model
	[[ "$output" == *'"model":"text-embedding-3-small","calls":1,'* ]]
}
