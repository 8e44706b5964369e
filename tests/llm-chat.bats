#!/usr/bin/env bats
# llm-chat, the driver, against tests/fake-llm (both dialects) and a real
# llm-memdb database: the turn's order, routing, the budget of every
# request, memory across sessions, failures that store nothing, keys,
# the WebSocket protocol through websocketd, and the page in a browser.

load helper

OPENAI_KEY=sk-chat-openai-1d2c3b4a5f6e7d8c
ANTHROPIC_KEY=sk-ant-chat-9e8d7c6b5a4f3e2d
DEEPSEEK_KEY=sk-chat-deepseek-0f1e2d3c4b5a

setup() {
	cd "$BATS_TEST_TMPDIR"
	export LLMPIPE_DB=$BATS_TEST_TMPDIR/memory.db HOME=$BATS_TEST_TMPDIR
	export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
	unset XDG_DATA_HOME LLMPIPE_MODEL LLMPIPE_ASK
	unset OPENAI_API_KEY ANTHROPIC_API_KEY DEEPSEEK_API_KEY
	mkdir -p config/llmpipe
	# No model call for summaries: the extractive engine, deterministic.
	printf '[chat]\nsummary_engine = extractive\n' >config/llmpipe/config
}

teardown() {
	for pid in ${FAKE_PID:-} ${WS_PID:-}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

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
	export OPENAI_API_KEY=$OPENAI_KEY ANTHROPIC_API_KEY=$ANTHROPIC_KEY
	export DEEPSEEK_API_KEY=$DEEPSEEK_KEY
	touch log
}

# A Python expression of each logged request r, one per line.
logged() {
	python3 -c '
import json, sys
for line in open("log"):
    r = json.loads(line)
    print(json.dumps(eval(sys.argv[1]), ensure_ascii=False))' "$1"
}

@test "a turn: the reply's text on stdout, the message and the reply stored with their cost, facts after" {
	fake ok
	run -0 --separate-stderr llm-chat -s work 'Let us go with SQLite for storage. Write a C function that opens it.' </dev/null
	[ "$output" = 'Hello from the fake server.' ]
	run llm-memdb log -s work
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == '{"role":"user","content":"Let us go with SQLite for storage. Write a C function that opens it.","session":"work",'* ]]
	# Each message before its facts, the fact naming its message.
	id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"${lines[0]}")
	[[ "${lines[1]}" == '{"type":"fact","kind":"decision","subject":"sqlite",'*"\"source\":\"$id\""* ]]
	[[ "${lines[2]}" == '{"role":"assistant","content":"Hello from the fake server.","session":"work","model":"deepseek-coder",'* ]]
	[[ "${lines[2]}" == *'"cost_usd":'* ]]
	run llm-memdb cost -s work
	[[ "$output" == '{"calls":1,'* ]]
}

@test "routing: code goes to DeepSeek, complex tasks to Anthropic, -m overrides" {
	fake ok ok ok
	llm-chat -s r 'Write a Python function that parses ISO 8601 dates.' </dev/null >/dev/null
	llm-chat -s r 'Compare event sourcing and CRUD for our billing system: which trade-offs matter?' </dev/null >/dev/null
	llm-chat -s r -m gpt-4o 'hello' </dev/null >/dev/null
	[ "$(logged 'r["path"] + " " + r["body"]["model"]')" = '"/chat/completions deepseek-v4-flash"
"/v1/messages claude-sonnet-5-5"
"/v1/chat/completions gpt-4o"' ]
}

@test "40 turns stay within deepseek-coder's budget in every request, the latest 8 messages verbatim" {
	# Under valgrind, 16 turns: still past the budget, a summary made.
	turns=40
	[ -n "${LLMPIPE_WRAP:-}" ] && turns=16
	fake $(yes ok | head -$turns)
	long=$(printf 'the parser keeps a table of %.0s tokens ' $(seq 60))
	for i in $(seq 1 $turns); do
		run -0 llm-chat -s long -m deepseek-coder "step $i: fix parse_expr in src/parse.c, $long" </dev/null
	done
	[ "$(wc -l <log)" = $turns ]
	# Each request, as records again, within 10,000 tokens by llm-count.
	python3 -c '
import json
for n, line in enumerate(open("log")):
    body = json.loads(line)["body"]
    with open("req%d.jsonl" % n, "w") as f:
        for m in body["messages"]:
            f.write(json.dumps(m) + "\n")'
	for f in req*.jsonl; do
		t=$(llm-count --total -m deepseek-coder "$f" | sed 's/.*"tokens":\([0-9]*\).*/\1/')
		[ "$t" -le 10000 ]
	done
	# A summary took the old turns' place, and the last request ends
	# with the latest 7 stored messages and the new one, as they are.
	[ "$(llm-memdb search -s long -k summary parse_expr | wc -l)" -ge 1 ]
	last=req$((turns - 1)).jsonl
	grep -q 'Summary of the conversation so far' "$last"
	# (the stored messages end with the reply to it)
	llm-memdb log -s long | grep -v '"type"' | tail -n 9 | head -n 8 |
		python3 -c 'import json, sys; [print(json.loads(l)["content"]) for l in sys.stdin]' >stored
	tail -n 8 "$last" | python3 -c 'import json, sys; [print(json.loads(l)["content"]) for l in sys.stdin]' >sent
	[ "$(cat sent)" = "$(cat stored)" ]
	[[ "$(tail -1 sent)" == "step $turns: fix parse_expr"* ]]
}

@test "a preference stated in one session reaches the request of another" {
	fake ok ok
	llm-chat -s first 'I prefer tabs for indentation in every Makefile we write.' </dev/null >/dev/null
	[ "$(llm-memdb facts -s first | grep -c '"kind":"preference"')" = 1 ]
	llm-chat -s second 'Write the Makefile indentation for the new build.' </dev/null >/dev/null
	[[ "$(logged 'r["body"]["messages"][0]["content"]' | tail -1)" == *'tabs for indentation'* ]]
}

@test "a stream cut by a 529 stores no reply; the message is kept, pending, and exit 5" {
	fake error-after-200 ok
	run -5 --separate-stderr llm-chat -s cut 'Explain the lock order.' </dev/null
	run llm-memdb log -s cut
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == '{"role":"user","content":"Explain the lock order.","session":"cut",'*'"pending":true,'* ]]
	# The next turn sends it too.
	llm-chat -s cut 'And again?' </dev/null >/dev/null
	[[ "$(logged '[m["content"] for m in r["body"]["messages"]]' | tail -1)" == *'"Explain the lock order.", "Hello'*'"And again?"'* ]] ||
		[[ "$(logged '[m["content"] for m in r["body"]["messages"]]' | tail -1)" == *'Explain the lock order.'*'And again?'* ]]
}

@test "no key: exit 4 and nothing sent; the keys appear in no output, file or database" {
	fake ok ok
	DEEPSEEK_API_KEY= run -4 --separate-stderr llm-chat -s k -m deepseek-coder 'hi' </dev/null
	[ ! -s log ]
	run -0 --separate-stderr llm-chat -s k 'Write a shell one-liner that counts lines.' </dev/null
	for key in "$OPENAI_KEY" "$ANTHROPIC_KEY" "$DEEPSEEK_KEY"; do
		[ "$(printf '%s\n%s\n' "$output" "$stderr" | grep -cF -- "$key")" = 0 ]
		[ "$(llm-memdb export | grep -cF -- "$key")" = 0 ]
		[ "$(grep -rlF -- "$key" "$BATS_TEST_TMPDIR"/memory.db* config 2>/dev/null | wc -l)" = 0 ]
		[ "$(logged 'json.dumps(r["body"])' | grep -cF -- "$key")" = 0 ]
	done
}

@test "--dry-run: the route and the request, offline, with no key, nothing stored" {
	run -0 --separate-stderr llm-chat -s d --dry-run 'Write a Go function that reverses a slice.' </dev/null
	[[ "${lines[0]}" == '{"type":"route","task":"code","model":"deepseek-coder",'* ]]
	[ "${lines[1]}" = '{"model":"deepseek-v4-flash","messages":[{"role":"user","content":"Write a Go function that reverses a slice."}]}' ]
	[ "$(llm-memdb stats | sed 's/.*"records":\([0-9]*\).*/\1/')" = 0 ]
}

@test "standard input's text comes first; --json prints the reply record; --new starts a session" {
	fake ok ok
	run -0 --separate-stderr llm-chat -s in --json 'review this' <<<'diff --git a/x.c b/x.c'
	[[ "$output" == '{"role":"assistant","content":"Hello from the fake server.",'* ]]
	[ "$(logged 'r["body"]["messages"][-1]["content"]')" = '"diff --git a/x.c b/x.c\n\nreview this"' ]
	run -0 llm-chat --new 'hello' </dev/null
	[ "$(llm-memdb sessions | wc -l)" = 2 ]
	# Without -s, the latest session goes on.
	fake ok
	run -0 llm-chat 'again' </dev/null
	[ "$(llm-memdb sessions | wc -l)" = 2 ]
	local latest
	latest=$(llm-memdb sessions | grep -v '^{"session":"in"' | sed 's/^{"session":"\([^"]*\)".*/\1/')
	[ "$(llm-memdb log -s "$latest" | grep -c '"role":"user"')" = 2 ]
	[ "$(llm-memdb log -s in | grep -c '"role":"user"')" = 1 ]
}

@test "a REPL at a terminal: commands, a turn, the cost line, history" {
	fake ok
	run -0 bash -c "printf '/help\\nwrite a C function for strlen\\n/cost\\n/quit\\n' |
		timeout 60 script -qec 'llm-chat -s repl' /dev/null | tr -d '\\r'"
	[[ "$output" == *'/session NAME  /model NAME|auto  /facts  /search QUERY  /cost  /quit'* ]]
	[[ "$output" == *'Hello from the fake server.'* ]]
	[[ "$output" == *'llm-chat: deepseek-coder, '*' in, '*' out, $'*'; session repl $'* ]]
	[[ "$output" == *'{"model":"deepseek-coder","calls":1,'* ]]
	[ "$(llm-memdb log -s repl | wc -l)" = 2 ]
	grep -q 'write a C function for strlen' .local/state/llmpipe/chat_history
}

@test "usage errors exit 2" {
	run -2 --separate-stderr llm-chat --bogus
	[ "${stderr_lines[0]}" = "llm-chat: unknown option '--bogus'" ]
	run -2 --separate-stderr llm-chat -s a --new hi
	[ "${stderr_lines[0]}" = 'llm-chat: -s and --new exclude each other' ]
	run -2 --separate-stderr llm-chat --keep many hi
	[ "${stderr_lines[0]}" = "llm-chat: --keep: expected a whole number, not 'many'" ]
	run -0 llm-chat --version
	[[ "$output" == 'llm-chat '[0-9]* ]]
}

# Serves llm-chat over WebSocket on a free port, in PORT.
serve() {
	PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	llm-chat --serve "$PORT" "$@" >ws.log 2>&1 &
	WS_PID=$!
	for _ in $(seq 500); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT))" 2>/dev/null && break
		sleep 0.02
	done
}

@test "WebSocket: a session per connection, deltas then the reply then facts, as JSON lines" {
	fake ok ok
	serve
	run -0 "$BATS_TEST_DIRNAME/ws-client" --origin "http://127.0.0.1:$PORT" --path '/?session=web' "$PORT" \
		'Write a C function arena_new in src/arena.c.' '{"role":"user","content":"and the tests?\nplease"}'
	[ "${lines[0]}" = '{"type":"session","session":"web"}' ]
	[ "${lines[1]}" = '{"type":"delta","content":"Hello"}' ]
	[[ "${lines[6]}" == '{"role":"assistant","content":"Hello from the fake server.","session":"web",'*'"cost_usd":'* ]]
	[ "$(llm-memdb log -s web | grep -c '"role":"user"')" = 2 ]
	[ "$(logged 'r["body"]["messages"][-1]["content"]' | tail -1)" = '"and the tests?\nplease"' ]
}

@test "WebSocket: a foreign page's origin is refused; --origin allows one" {
	fake ok
	serve
	run -1 "$BATS_TEST_DIRNAME/ws-client" --origin http://evil.example "$PORT" hi
	[ "$output" = 'refused: HTTP/1.1 403 Forbidden' ]
	[ ! -s log ]
	kill "$WS_PID"
	wait "$WS_PID" 2>/dev/null || true
	serve --origin http://app.example
	run -0 "$BATS_TEST_DIRNAME/ws-client" --origin http://app.example "$PORT" hi
	[[ "$output" == *'"role":"assistant"'* ]]
}

@test "WebSocket: a message over the limit gets an error record, and the connection goes on" {
	fake ok
	printf '[chat]\nsummary_engine = extractive\nmax_message = 100\n' >config/llmpipe/config
	serve
	run -0 "$BATS_TEST_DIRNAME/ws-client" --origin "http://127.0.0.1:$PORT" "$PORT" \
		"$(printf 'x%.0s' $(seq 200))" 'hello'
	[ "${lines[1]}" = '{"type":"error","error":"the message is over 100 bytes"}' ]
	[[ "${lines[${#lines[@]} - 1]}" == '{"role":"assistant",'* ]]
}

@test "the web page in a real browser: a message sent, the streamed reply shown with its cost" {
	if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
		skip "no chromium and chromedriver (scripts/setup installs them)"
	fi
	fake ok
	serve
	run -0 timeout 90 "$BATS_TEST_DIRNAME/browser-chat" "http://127.0.0.1:$PORT/?session=browser" \
		'Explain the trade-offs of WAL mode.'
	[ "${lines[0]}" = 'session browser' ]
	[ "${lines[1]}" = 'Hello from the fake server.' ]
	[[ "${lines[2]}" == 'claude-sonnet · '*' in, '*' out · $'* ]]
	[ "$(llm-memdb log -s browser | grep -c '"role":"assistant"')" = 1 ]
}

@test "the examples of the manual page run, as shown" {
	fake ok ok ok ok
	man_examples "$BATS_TEST_DIRNAME/../man/llm-chat.1"
	[ "$n" -ge 4 ]
}
