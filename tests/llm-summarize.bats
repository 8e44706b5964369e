#!/usr/bin/env bats
# llm-summarize: summaries, compaction, the llm engine through a fake
# llm-ask, logs and prose, bad input, and the examples of its man page.

load helper

DATA=$BATS_TEST_DIRNAME/summarize
CHAT=$DATA/chat.jsonl

setup() {
	cd "$BATS_TEST_TMPDIR"
	export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
	unset LLMPIPE_MODEL LLMPIPE_ASK OPENAI_API_KEY ANTHROPIC_API_KEY
	unset DEEPSEEK_API_KEY
	ASK=$DATA/fake-ask
}

# The text of each record's content, as a model is shown it.
contents() {
	python3 -c 'import json,sys
for l in sys.stdin:
    c = json.loads(l).get("content")
    if c: print(c)'
}

@test "summarizes a conversation into one summary record" {
	run --separate-stderr llm-summarize <<-'EOF'
	{"id":"m1","role":"user","content":"The build fails in src/parse.c with a segfault.","session":"s"}
	{"id":"m2","role":"assistant","content":"Fixed: parse_expr checked the token before use.","session":"s"}
	EOF
	[ "$status" -eq 0 ]
	[ "$output" = '{"type":"summary","role":"system","content":"2 earlier messages, extracted (oldest first):\n[assistant] Fixed: parse_expr checked the token before use.\nAlso mentioned: src/parse.c","covers":2,"through":"m2","from":"m1","session":"s","engine":"extractive"}' ]
	[ "$stderr" = '' ]
}

@test "-t prints the summary's text alone" {
	run -0 llm-summarize -t "$CHAT"
	[ "${lines[0]}" = '8 earlier messages, extracted (oldest first):' ]
	[ "${lines[1]}" = 'Changed: port: 8080 → 8088' ]
	[[ "$output" == *'src/auth/token.c'* ]]
	[[ "$output" == *'always use tabs'* ]]
}

@test "keeps paths, errors, decisions, instructions, changes and tasks" {
	run -0 llm-summarize -t "$CHAT"
	for want in src/auth/token.c src/auth/session.c config/server.toml \
		'segfault in token_refresh' 'NULL check' 'always use tabs' \
		'tokens in memory only' '8080 → 8088' 'tests for token_refresh expiry'; do
		[[ "$output" == *"$want"* ]] || { echo "lost: $want"; false; }
	done
	# Old tool output is left out but for its error line.
	[[ "$output" != *'test_auth_5'* ]]
}

@test "a stream that fits the budget passes through byte for byte" {
	run -0 llm-summarize --budget 2000 --keep 2 "$CHAT"
	[ "$output" = "$(cat "$CHAT")" ]
}

@test "compaction: system messages, one summary, the last K, within N" {
	run -0 --separate-stderr llm-summarize --budget 700 --keep 2 "$CHAT"
	[ "${#lines[@]}" -eq 4 ]
	[ "${lines[0]}" = '{"id":"a1","role":"system","content":"You are a coding assistant."}' ]
	[[ "${lines[1]}" == '{"type":"summary","role":"system","content":"6 earlier messages, extracted'* ]]
	[[ "${lines[1]}" == *'"covers":6,"through":"a7","from":"a2","session":"work","engine":"extractive"}' ]]
	[ "${lines[2]}" = "$(sed -n 8p "$CHAT")" ]
	[ "${lines[3]}" = "$(sed -n 9p "$CHAT")" ]
	# The shared counter agrees that it fits, and that it shrank.
	tokens=$(printf '%s\n' "$output" | llm-count --total)
	n=${tokens#*:}; n=${n%%,*}
	[ "$n" -le 700 ]
	before=$(llm-count --total <"$CHAT"); before=${before#*:}; before=${before%%,*}
	[ "$n" -lt "$before" ]
}

@test "compaction fits exactly what llm-count and llm-ask count, for several budgets" {
	for b in 300 400 550 800 1000; do
		out=$(llm-summarize --budget $b --keep 2 -m gpt-4o "$CHAT")
		n=$(printf '%s\n' "$out" | llm-count --total -m gpt-4o)
		n=${n#*:}; n=${n%%,*}
		[ "$n" -le "$b" ] || { echo "budget $b: $n tokens"; false; }
		printf '%s\n' "$out" | llm-ask --dry-run -m gpt-4o >/dev/null
	done
	# An estimated counter too: deepseek-coder's.
	out=$(llm-summarize --budget 500 --keep 2 -m deepseek-coder "$CHAT")
	n=$(printf '%s\n' "$out" | llm-count --total -m deepseek-coder)
	n=${n#*:}; n=${n%%,*}
	[ "$n" -le 500 ]
}

@test "the configuration's system prompt is counted, as llm-ask sends it" {
	mkdir -p config/llmpipe
	printf 'system = "%s"\n' "$(head -c 300 /dev/zero | tr '\0' x | sed 's/x/word /g')" >config/llmpipe/config
	out=$(llm-summarize --budget 1000 --keep 2 "$CHAT")
	n=$(printf '%s\n' "$out" | llm-ask --count -m gpt-4o)
	n=${n#*:}; n=${n%%,*}
	[ "$n" -le 1000 ]
}

@test "a tool call is never split from its results" {
	# The last 3 messages begin with a tool result: its call comes too.
	run -0 llm-summarize --budget 80 --keep 3 <<-'EOF'
	{"id":"1","role":"user","content":"Please look at the flaky test in tests/net.c and tell me what fails there, in detail, with the error. It has failed three times this week on the CI machines, always in the reconnect case, and never on my laptop. We decided to keep the retry count at 3 whatever we find."}
	{"id":"2","role":"assistant","content":"Looking.","tool_calls":[{"id":"c1","type":"function","function":{"name":"run","arguments":"{}"}},{"id":"c2","type":"function","function":{"name":"run","arguments":"{}"}}]}
	{"id":"3","role":"tool","tool_call_id":"c1","content":"ok"}
	{"id":"4","role":"tool","tool_call_id":"c2","content":"ok"}
	{"id":"5","role":"assistant","content":"Both pass."}
	EOF
	[ "${#lines[@]}" -eq 5 ]
	[[ "${lines[0]}" == '{"type":"summary",'*'"covers":1,"through":"1","from":"1","engine":"extractive"}' ]]
	[[ "${lines[1]}" == '{"id":"2","role":"assistant","content":"Looking.","tool_calls"'* ]]
	[ "${lines[2]}" = '{"id":"3","role":"tool","tool_call_id":"c1","content":"ok"}' ]
}

@test "a kept tail over the budget is exit 3 with a report, not a loop" {
	run -3 --separate-stderr llm-summarize --budget 100 --keep 6 "$CHAT"
	[ "$output" = '{"tokens":1247,"limit":100,"over":1147}' ]
	[ "$stderr" = 'llm-summarize: over budget: what is kept without a summary is 1247 tokens, limit 100' ]
	run -3 --separate-stderr llm-summarize --budget 10 --keep 8 "$CHAT"
	[ "$stderr" = 'llm-summarize: over budget: the input, with nothing to summarize, is 1275 tokens, limit 10' ]
}

@test "--budget auto is the model's budget, -m or the route record's" {
	big=$(for i in $(seq 1 60); do printf '{"role":"user","content":"%s"}\n' "$(head -c 900 /dev/zero | tr '\0' a) $i"; done)
	run -0 llm-summarize --budget auto -m deepseek-coder <<<"$big"
	[[ "${lines[0]}" == '{"type":"summary"'* ]]
	run -0 llm-summarize --budget auto <<<"$big"
	[ "${#lines[@]}" -eq 60 ]
	run -0 llm-summarize --budget auto < <(printf '{"type":"route","task":"code","model":"deepseek-coder"}\n%s\n' "$big")
	[ "${lines[0]}" = '{"type":"route","task":"code","model":"deepseek-coder"}' ]
	[[ "${lines[1]}" == '{"type":"summary"'* ]]
}

@test "an earlier summary is updated: it covers its messages and the new" {
	run -0 llm-summarize <<-'EOF'
	{"type":"summary","role":"system","content":"2 earlier messages, extracted (oldest first):\n[user] The build fails in src/parse.c with a segfault.","covers":2,"through":"m2","from":"m1"}
	{"id":"m3","role":"user","content":"Rename parse_expr to parse_expression."}
	EOF
	[ "$output" = '{"type":"summary","role":"system","content":"3 earlier messages, extracted (oldest first):\nChanged: parse_expr → parse_expression\n[user] Rename parse_expr to parse_expression.\nAlso mentioned: src/parse.c","covers":3,"through":"m3","from":"m1","engine":"extractive"}' ]
	# In compaction the summary's place is the old one's.
	run -0 llm-summarize --budget 60 --keep 1 <<-'EOF'
	{"type":"route","task":"code","model":"gpt-4o"}
	{"type":"summary","role":"system","content":"[user] The build fails in src/parse.c with a segfault.","covers":2,"through":"m2"}
	{"type":"fact","kind":"note","subject":"parser","content":"fragile"}
	{"id":"m3","role":"user","content":"Rename parse_expr to parse_expression, and keep a changelog in NEWS.md from now on please."}
	{"id":"m4","role":"assistant","content":"Renamed."}
	EOF
	[ "${lines[0]}" = '{"type":"route","task":"code","model":"gpt-4o"}' ]
	[ "${lines[1]}" = '{"type":"summary","role":"system","content":"3 earlier messages, extracted (oldest first):\nChanged: parse_expr → parse_expression\nAlso mentioned: parse_expression, NEWS.md","covers":3,"through":"m3","engine":"extractive"}' ]
	[ "${lines[2]}" = '{"type":"fact","kind":"note","subject":"parser","content":"fragile"}' ]
	[ "${lines[3]}" = '{"id":"m4","role":"assistant","content":"Renamed."}' ]
}

@test "fields it does not know pass through, records of other types too" {
	run -0 llm-summarize --budget 700 --keep 4 "$CHAT"
	[ "${lines[2]}" = "$(sed -n 6p "$CHAT")" ]
	[[ "${lines[2]}" == *'"x-note":"kept as is"'* ]]
	run -0 llm-summarize --budget 60 --keep 1 <<-'EOF'
	{"type":"delta","content":"x"}
	{"role":"user","content":"one two three four five six seven eight nine ten eleven twelve thirteen fourteen"}
	{"role":"user","content":"last","z":[1]}
	EOF
	[ "${lines[0]}" = '{"type":"delta","content":"x"}' ]
	[ "${lines[2]}" = '{"role":"user","content":"last","z":[1]}' ]
}

@test "a summary record in the wrong place or of the wrong shape is an error" {
	run -1 --separate-stderr llm-summarize <<-'EOF'
	{"role":"user","content":"hi"}
	{"type":"summary","role":"system","content":"old","covers":1}
	EOF
	[ "$output" = '' ]
	[ "$stderr" = $'llm-summarize: line 2: a summary record after messages: it must come before those it does not cover\nllm-summarize: bad input: no summary' ]
	run -1 --separate-stderr llm-summarize <<-'EOF'
	{"type":"summary","role":"system","content":"old","covers":"two"}
	{"type":"summary","role":"user","content":"old"}
	{"type":"summary","content":"old","through":7}
	{"type":"summary","content":"old"}
	{"type":"summary","content":"older"}
	{"type":"summary","covers":1}
	EOF
	[ "$stderr" = "llm-summarize: line 1: a summary's 'covers' is not a whole number
llm-summarize: line 2: a summary's 'role' is not system
llm-summarize: line 3: a summary's 'through' is not a string
llm-summarize: line 5: a second summary record: give only the latest
llm-summarize: line 6: a summary's 'content' is not a string
llm-summarize: bad input: no summary" ]
}

@test "reports a bad line by number, and passes nothing for complete" {
	run -1 --separate-stderr llm-summarize --budget 100 <<-'EOF'
	{"role":"user","content":"one"}
	{"role": nope}
	{"role":"robot","content":"x"}
	EOF
	[ "$output" = '' ]
	[ "$stderr" = "llm-summarize: line 2: invalid JSON: syntax error at column 10
llm-summarize: line 3: unknown role 'robot' (system, user, assistant, tool or developer)
llm-summarize: bad input: nothing passed through" ]
}

@test "empty input gives empty output" {
	for args in "" "--budget 10" "-t" "--text" "--text -t"; do
		run -0 --separate-stderr llm-summarize $args </dev/null
		[ "$output" = '' ]
		[ "$stderr" = '' ]
	done
	run -0 llm-summarize <<<'{"role":"system","content":"Be terse."}'
	[ "$output" = '' ]
}

@test "usage errors exit 2 with the synopsis" {
	run -2 --separate-stderr llm-summarize --bogus
	[ "${stderr##*$'\n'}" = '                     [--text [--baseline file] [--save-state file]] [file ...]' ]
	run -2 --separate-stderr llm-summarize --engine magic
	[ "${stderr%%$'\n'*}" = "llm-summarize: --engine: expected llm or extractive, not 'magic'" ]
	run -2 --separate-stderr llm-summarize --keep 3
	[ "${stderr%%$'\n'*}" = 'llm-summarize: --keep goes with --budget' ]
	run -2 --separate-stderr llm-summarize --budget 0
	[ "${stderr%%$'\n'*}" = "llm-summarize: --budget: expected a whole number of at least 1, not '0'" ]
	run -2 --separate-stderr llm-summarize --size 100 --budget 10
	[ "${stderr%%$'\n'*}" = 'llm-summarize: --size is the summary'"'"'s length without --budget or --text' ]
	run -2 --separate-stderr llm-summarize --baseline x
	[ "${stderr%%$'\n'*}" = 'llm-summarize: --baseline and --save-state go with --text' ]
	run -2 --separate-stderr llm-summarize -t --budget 10
	[ "${stderr%%$'\n'*}" = "llm-summarize: -t prints a summary's text; --budget prints records" ]
	run -2 --separate-stderr llm-summarize -m nope </dev/null
	[ "${stderr%%$'\n'*}" = "llm-summarize: unknown model 'nope'" ]
	run -2 --separate-stderr llm-summarize --engine llm --summarizer nope
	[ "${stderr%%$'\n'*}" = "llm-summarize: unknown model 'nope'" ]
}

@test "--help and --version" {
	run -0 llm-summarize --help
	[ "${lines[0]}" = 'usage: llm-summarize [-t] [-m model] [--engine llm|extractive] [--ask cmd]' ]
	run -0 llm-summarize --version
	[[ "$output" =~ ^llm-summarize\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "a write error is an error" {
	if [ ! -w /dev/full ]; then skip "no /dev/full"; fi
	run -1 --separate-stderr bash -c "llm-summarize '$CHAT' >/dev/full"
	[ "$stderr" = 'llm-summarize: write error: No space left on device' ]
}

@test "large input: 3,000 messages compact under the budget" {
	python3 - <<-'EOF' >big.jsonl
	import json
	for i in range(3000):
	    role = "user" if i % 2 == 0 else "assistant"
	    text = "Step %d: edited src/mod%d.c, ran make, %s." % (
	        i, i % 40, "all tests pass" if i % 7 else "error: test_%d failed" % i)
	    print(json.dumps({"id": "m%d" % i, "role": role, "content": text}))
	EOF
	run -0 llm-summarize --budget 4000 --keep 8 big.jsonl
	[ "${#lines[@]}" -eq 9 ]
	[[ "${lines[0]}" == *'"covers":2992,"through":"m2991","from":"m0"'* ]]
	n=$(printf '%s\n' "$output" | llm-count --total); n=${n#*:}; n=${n%%,*}
	[ "$n" -le 4000 ]
	[ "$n" -gt 3000 ]
}

@test "the retention test: facts kept at 10000 and 4000 tokens" {
	run -0 "$BATS_TEST_DIRNAME/../scripts/eval-summarize" --check --bin "$LLMPIPE_BIN"
	[[ "${lines[1]}" == '  --budget 10000 --keep 8: '* ]]
}

# The llm engine, through a stand-in for llm-ask.

@test "llm engine: a good summary, with usage, cost and no repair" {
	run -0 --separate-stderr llm-summarize --engine llm --ask "$ASK good" "$CHAT"
	[[ "$output" == '{"type":"summary","role":"system","content":"## Goals\n'* ]]
	[[ "$output" == *'"covers":8,"through":"a9","from":"a2","session":"work","usage":{"input_tokens":1200,"output_tokens":150,"cached_tokens":0},"cost_usd":0.0039,"model":"claude-sonnet","repaired":0,"calls":1,"engine":"llm"}' ]]
	[ "$stderr" = '' ]
}

@test "llm engine: what the summary dropped is added under its section" {
	run -0 llm-summarize --engine llm --ask "$ASK drop" -t "$CHAT"
	[[ "$output" == *$'`token_refresh`, test_token_refresh\n- config/server.toml\n## Errors and fixes'* ]]
	run -0 llm-summarize --engine llm --ask "$ASK drop" "$CHAT"
	[[ "$output" == *'"repaired":1,'* ]]
}

@test "llm engine: a reply that is no summary is asked again, then extraction" {
	export FAKE_ASK_LOG=$BATS_TEST_TMPDIR/log
	run -0 --separate-stderr llm-summarize --engine llm --ask "$ASK garbage" "$CHAT"
	[ "$stderr" = "llm-summarize: the llm engine's summary was not a summary: the extractive engine summarized instead" ]
	[[ "$output" == *'"fallback":"was not a summary","engine":"extractive"}' ]]
	[[ "$output" == *'"cost_usd":0.0078,'* ]]
	[ "$(wc -l <log)" -eq 2 ]
	[ "$(sed -n 1p log)" = '-m claude-sonnet --max-tokens 1262' ]
}

@test "llm engine: a summary larger than its input or the budget gives way" {
	run -0 --separate-stderr llm-summarize --engine llm --ask "$ASK long" "$CHAT"
	[ "$stderr" = "llm-summarize: the llm engine's summary is larger than its input: the extractive engine summarized instead" ]
	[[ "$output" == *'"engine":"extractive"}' ]]
	run -0 --separate-stderr llm-summarize --engine llm --ask "$ASK good" --budget 150 --keep 2 "$CHAT"
	[ "$stderr" = "llm-summarize: the llm engine's summary is over the budget: the extractive engine summarized instead" ]
	[[ "${lines[1]}" == *'"fallback":"is over the budget","engine":"extractive"}' ]]
	n=$(printf '%s\n' "$output" | llm-count --total); n=${n#*:}; n=${n%%,*}
	[ "$n" -le 150 ]
}

@test "llm engine: a failed call is the child's status, and nothing is printed" {
	run -4 --separate-stderr llm-summarize --engine llm --ask "$ASK fail4" "$CHAT"
	[ "$output" = '' ]
	[ "$stderr" = 'fake-ask: 401: invalid x-api-key' ]
	run -5 --separate-stderr llm-summarize --engine llm --ask "$ASK fail5" --budget 500 --keep 2 "$CHAT"
	[ "$output" = '' ]
	[ "$stderr" = 'fake-ask: 529: Overloaded' ]
	run -1 --separate-stderr llm-summarize --engine llm --ask false "$CHAT"
	[ "$output" = '' ]
	[ "$stderr" = "llm-summarize: false: exit status 1" ]
}

@test "the engine is llm when the summarizer's provider has a key, and the key stays out" {
	export FAKE_ASK_LOG=$BATS_TEST_TMPDIR/log
	run -0 llm-summarize --ask "$ASK good" "$CHAT"
	[[ "$output" == *'"engine":"extractive"}' ]]
	[ ! -e log ]
	ANTHROPIC_API_KEY=sk-ant-secret-4242 run -0 llm-summarize --ask "$ASK good" "$CHAT"
	[[ "$output" == *'"engine":"llm"}' ]]
	[[ "$output" != *secret-4242* ]]
	! grep -q secret-4242 log log.in
	# A key in the configuration counts too; a summarizer set there is used.
	mkdir -p config/llmpipe
	printf 'summary_model = gpt-4o-mini\n[provider openai]\napi_key = sk-conf-777\n' >config/llmpipe/config
	chmod 600 config/llmpipe/config
	run -0 llm-summarize --ask "$ASK good" "$CHAT"
	[[ "$output" == *'"engine":"llm"}' ]]
	[ "$(tail -1 log)" = '-m gpt-4o-mini --max-tokens 1262' ]
	! grep -q sk-conf-777 log log.in
}

@test "llm engine: input over the summarizer's window is summarized in pieces" {
	mkdir -p config/llmpipe
	printf '[model tiny]\nprovider = anthropic\ncontext = 4000\nbudget = 3000\n' >config/llmpipe/config
	export FAKE_ASK_LOG=$BATS_TEST_TMPDIR/log
	python3 - <<-'EOF' >long.jsonl
	import json
	for i in range(80):
	    print(json.dumps({"role": "user" if i % 2 == 0 else "assistant",
	        "content": "Part %d: we changed src/auth/token.c again. " % i + "filler words " * 30}))
	EOF
	run -0 --separate-stderr llm-summarize --engine llm --summarizer tiny --size 300 --ask "$ASK echo" long.jsonl
	[[ "$output" == *'"engine":"llm"}' ]]
	calls=$(wc -l <log)
	[ "$calls" -ge 3 ]
	[[ "$output" == *"\"calls\":$calls,"* ]]
	# Every piece asks for a quarter of the window; the last for --size.
	[ "$(tail -1 log)" = '-m tiny --max-tokens 300' ]
	# The merge is of summaries, not of the messages.
	[ "$(grep -c 'text below is a summary' log.in)" -ge 1 ]
	[ "$(tail -2 log.in | grep -c 'text below is a summary')" -eq 1 ]
}

# Text and logs.

@test "--text: every error and rare template of the log test set survives at 2,000 tokens" {
	"$DATA/gen-logs" logs
	for log in build test web kern cron; do
		out=$(llm-summarize --text -t --budget 2000 "logs/$log.log")
		n=$(printf '%s\n' "$out" | llm-count -t)
		[ "$n" -le 2000 ] || { echo "$log: $n tokens"; false; }
		while IFS=$'\t' read -r kind piece; do
			[[ "$out" == *"$piece"* ]] || { echo "$log: lost $kind: $piece"; false; }
		done <"logs/$log.expect"
	done
}

@test "--text: templates with counts and line numbers, errors verbatim" {
	printf '%s\n' 'start' 'job 1 ok in 12ms' 'job 2 ok in 9ms' 'job 3 ok in 30ms' \
		'job 4 ok in 8ms' 'ERROR job 5 failed: disk full' 'job 6 ok in 7ms' \
		'exit status 1' >run.log
	run -0 llm-summarize --text -t run.log
	[ "$output" = 'run.log: 8 lines, 4 templates, 1 error lines in 1 templates.
Errors:
6: ERROR job 5 failed: disk full
Exit status:
8: exit status 1
Rare lines:
1: start
Templates (count, lines, template, example):
×5 lines 2-7: job <num> ok in <num>ms
  e.g. 2: job 1 ok in 12ms
Tail:
2: job 1 ok in 12ms
3: job 2 ok in 9ms
4: job 3 ok in 30ms
5: job 4 ok in 8ms
7: job 6 ok in 7ms' ]
	run -0 llm-summarize --text run.log
	[[ "$output" == '{"type":"summary","role":"system","content":"run.log: 8 lines,'*'"covers":8,"engine":"templates"}' ]]
}

@test "--text: a stack trace is kept whole, and the budget drops the least first" {
	{
		for i in $(seq 1 400); do echo "GET /item/$i 200 ${i}ms"; done
		echo 'Traceback (most recent call last):'
		echo '  File "app.py", line 3, in <module>'
		echo '    main()'
		echo 'KeyError: '"'"'user'"'"
		for i in $(seq 1 400); do echo "GET /item/$i 200 ${i}ms"; done
	} >app.log
	run -0 llm-summarize --text -t --budget 120 app.log
	[[ "$output" == *$'lines 401-404:\n  Traceback (most recent call last):\n    File "app.py", line 3, in <module>\n      main()\n  KeyError: '"'user'"* ]]
	n=$(printf '%s\n' "$output" | llm-count -t)
	[ "$n" -le 120 ]
	[[ "$output" != *'Head:'* ]]
}

@test "--text: a long stack trace after many error templates is read where it lies" {
	# A trace of more than eight lines gets a short form, added after it;
	# where that moved the array of items (the 14th and the 22nd), the
	# trace was read from the old array, as ASan and valgrind report.
	local n i f
	for n in $(seq 10 26); do
		{
			for ((i = 0; i < n; i++)); do
				echo "ERROR: check failed$(printf ' x%.0s' $(seq 0 $i))"
			done
			echo 'Traceback (most recent call last):'
			for f in main run load parse read open check fetch decode; do
				echo "  File \"/srv/$f.py\", line 1, in $f"
				echo "    $f(config)"
			done
			echo 'ValueError: bad config'
		} >app.log
		run -0 llm-summarize --text -t app.log
		[[ "$output" == *$'\n  Traceback (most recent call last):\n    File "/srv/main.py", line 1, in main\n'* ]]
		[[ "$output" == *$'\n  ValueError: bad config'* ]]
	done
}

@test "--text: several files, each line named by file and number" {
	printf 'ok\nERROR bad thing\n' >a.log
	printf 'fine\nfine\n' >b.log
	run -0 llm-summarize --text -t a.log b.log
	[[ "$output" == $'4 lines, 3 templates, 1 error lines in 1 templates.\nErrors:\na.log:2: ERROR bad thing'* ]]
}

@test "--baseline: only what is new, changed markedly, or gone" {
	"$DATA/gen-logs" logs
	head -1700 logs/cron.log >last-night.log
	printf 'uploads/2026/01/aaa.jpg\n' >>last-night.log
	printf 'backup.sh: done\nbackup.sh: exit status 0\n' >>last-night.log
	run -0 llm-summarize --text -t --baseline last-night.log logs/cron.log
	[[ "$output" == *'compared with a baseline of 1703 lines.'* ]]
	[[ "$output" == *$'Exit status:\n1810: backup.sh: exit status 23\n'* ]]
	[[ "$output" == *'1809: pg_dump: error: connection to server'* ]]
	[[ "$output" == *$'No longer seen:\n×1 before: backup.sh: done'* ]]
	# Seen last night too: the first error, the file list.
	[[ "$output" != *'Permission denied (13)'* ]]
	[[ "$output" != *'uploads/20'* ]]
	# A state file stands for the log it was written from.
	run -0 llm-summarize --text --save-state state.jsonl last-night.log
	[ "$(head -1 state.jsonl)" = '{"type":"llm-summarize-state","version":1,"lines":1703}' ]
	run -0 llm-summarize --text -t --baseline state.jsonl logs/cron.log
	[[ "$output" == *'1809: pg_dump: error: connection to server'* ]]
	[[ "$output" != *'Permission denied (13)'* ]]
	[[ "$output" == *$'No longer seen:\n×1 before: backup.sh: done'* ]]
	# The same log again: nothing new.
	run -0 llm-summarize --text -t --baseline state.jsonl last-night.log
	[ "$output" = 'last-night.log: 1703 lines, 7 templates, 1 error lines in 1 templates; compared with a baseline of 1703 lines.' ]
}

@test "--baseline: a bad state file, a missing file" {
	printf '{"type":"llm-summarize-state","version":1,"lines":3}\nnope\n' >bad.jsonl
	run -1 --separate-stderr llm-summarize --text --baseline bad.jsonl </dev/null
	[ "$stderr" = 'llm-summarize: bad.jsonl: line 2: not a line of a state file' ]
	run -1 --separate-stderr llm-summarize --text --baseline missing.log </dev/null
	[ "$stderr" = 'llm-summarize: missing.log: No such file or directory' ]
}

@test "--text: prose gets sentence extraction with line numbers" {
	cat >pr.md <<-'EOF'
	# Faster startup
	This change makes the server start in half the time by loading the
	model table lazily.
	We decided to keep the old loader behind the --eager flag for one release.
	The cache now lives in ~/.cache/pasted/models.bin and is rebuilt when stale.
	Thanks to everyone who reviewed the earlier versions of this patch set.
	It fixes the timeout reported in issue 412, where systemd killed the unit.
	EOF
	run -0 llm-summarize --text -t --budget 60 pr.md
	[[ "$output" == *'4: We decided to keep the old loader behind the --eager flag for one release.'* ]]
	[[ "$output" == *'5: The cache now lives in ~/.cache/pasted/models.bin'* ]]
	n=$(printf '%s\n' "$output" | llm-count -t)
	[ "$n" -le 60 ]
}

@test "--text: large input streams, with escapes and carriage returns cleaned" {
	python3 - <<-'EOF' >big.log
	import sys
	w = sys.stdout.write
	for i in range(120000):
	    w("2026-03-14T10:00:%02d.%03dZ INFO worker-%d handled request %d in %dms\n" % (i % 60, i % 1000, i % 8, i, i % 97))
	    if i == 60000:
	        w("\x1b[31mFATAL\x1b[0m worker-3 lost its database connection\n")
	        w("downloading 10%\r downloading 50%\r downloading 100%\n")
	EOF
	run -0 llm-summarize --text -t big.log
	[[ "$output" == 'big.log: 120002 lines, 3 templates, 1 error lines in 1 templates.'* ]]
	[[ "$output" == *$'\n60002: FATAL worker-3 lost its database connection\n'* ]]
	[[ "$output" == *'60003:  downloading 100%'* ]]
	[[ "$output" == *'×120000 lines 1-120002: <time> INFO worker-<num> handled request <num> in <num>ms'* ]]
}

@test "every example of the manual page works as shown" {
	cp "$CHAT" chat.jsonl
	printf '%s\n' 'start' 'job 1 ok' 'job 2 ok' 'ERROR job 3 failed: disk full' >cron.log
	printf '%s\n' 'start' 'job 1 ok' 'job 2 ok' 'job 3 ok' >last.log
	man_examples "$BATS_TEST_DIRNAME/../man/llm-summarize.1"
	[ "$n" -eq 7 ]
}
