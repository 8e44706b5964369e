#!/usr/bin/env bats
# llm-memdb: every command, bad input, broken databases, concurrent and
# killed writers, the upgrade from schema version 1, and the examples of
# its man page.

load helper

MEMDB="$BATS_TEST_DIRNAME/memdb"

setup() {
	export LLMPIPE_DB="$BATS_TEST_TMPDIR/memory.db"
	export HOME="$BATS_TEST_TMPDIR/home"
	unset XDG_DATA_HOME
}

# Adds the conversation every test starts from.
chat() {
	llm-memdb add <"$MEMDB/chat.jsonl"
}

count() {
	sqlite3 "$LLMPIPE_DB" "SELECT count(*) FROM $1"
}

# Starts the fake provider of tests/fake-llm for llm-ask, with a key.
fake_ask() {
	printf 'ok\nok\n' >"$BATS_TEST_TMPDIR/script"
	"$BATS_TEST_DIRNAME/fake-llm" --port-file "$BATS_TEST_TMPDIR/port" \
		--log "$BATS_TEST_TMPDIR/log" --script "$BATS_TEST_TMPDIR/script" 3>&- &
	FAKE_PID=$!
	for _ in $(seq 500); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.01; done
	export OPENAI_BASE_URL=http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")/v1
	export OPENAI_API_KEY=sk-test-memdb XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
}

teardown() {
	if [ -n "${FAKE_PID:-}" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
}

@test "log gives back each record as added, unknown fields in order" {
	chat
	run --separate-stderr llm-memdb log -s s1
	[ "$status" -eq 0 ]
	[ "$output" = "$(grep '"session":"s1"' "$MEMDB/chat.jsonl")" ]
	[ "$stderr" = "" ]
}

@test "add gives a record the id, session and time it lacks, at its end" {
	echo '{"role":"user","content":"hi","z":[1]}' | llm-memdb add -s work
	run llm-memdb log -s work
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^\{\"role\":\"user\",\"content\":\"hi\",\"z\":\[1\],\"id\":\"[0-9A-HJKMNP-TV-Z]{26}\",\"session\":\"work\",\"ts\":\"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\"\}$ ]]
	echo '{"role":"user","content":"hi"}' | llm-memdb add
	run llm-memdb log -s default
	[[ "$output" =~ \"session\":\"default\" ]]
}

@test "adding the same stream twice adds nothing" {
	chat
	chat
	run llm-memdb stats
	[[ "$output" =~ ^\{\"schema\":5,\"sessions\":2,\"records\":8,\"messages\":6,\"summaries\":1,\"facts\":1,\"fact_ops\":1,\"calls\":3,\"files\":0,\"docs\":0,\"vectors\":0,\"bytes\":[0-9]+\}$ ]]
}

@test "a bad line anywhere commits nothing and names the line" {
	chat
	run -1 --separate-stderr llm-memdb add <<-'EOF'
	{"role":"user","content":"fine","session":"s3"}
	{"role": nope}
	{"content":"no role"}
	{"role":"robot","content":"x"}
	{"type":"fact","content":"no kind"}
	{"type":"fact","kind":"note","content":"x","op":"replace"}
	{"type":"fact","kind":"note"}
	{"type":"summary","content":null}
	{"role":"user","content":"x","ts":"yesterday"}
	{"role":"user","content":"x","session":""}
	{"role":"user","content":"x","id":7}
	{"role":"user","content":"x","usage":{"input_tokens":-1}}
	{"role":"user","content":"x","cost_usd":"free"}
	{"type":"memdb.session","name":"x","created":"2025-01-01T00:00:00Z"}
	{"role":"user","content":5}
	{"role":"user","content":"also fine"}
	EOF
	[ "$output" = "" ]
	[ "$stderr" = "llm-memdb: line 2: invalid JSON: syntax error at column 10
llm-memdb: line 3: a message needs a 'role' (or a record a 'type')
llm-memdb: line 4: unknown role 'robot' (system, user, assistant, tool or developer)
llm-memdb: line 5: a fact needs a 'kind'
llm-memdb: line 6: a fact's 'op' is not add, update or delete
llm-memdb: line 7: a fact needs a 'subject' or a 'content'
llm-memdb: line 8: a summary's 'content' is not a string
llm-memdb: line 9: 'ts' is not an RFC 3339 time
llm-memdb: line 10: 'session' is not a valid session name
llm-memdb: line 11: 'id' is not a string
llm-memdb: line 12: 'usage' holds a token count that is not a whole number
llm-memdb: line 13: 'cost_usd' is not a number
llm-memdb: line 14: the types 'memdb.*' are kept for export
llm-memdb: line 15: 'content' is neither a string nor an array of parts
llm-memdb: bad input: nothing added" ]
	[ "$(count records)" = 8 ]
	[ "$(count sessions)" = 2 ]
}

@test "a bad last line after many good ones commits nothing" {
	{
		for i in $(seq 1 500); do
			printf '{"role":"user","content":"message %d"}\n' "$i"
		done
		echo '{"role":"user"'
	} >"$BATS_TEST_TMPDIR/in"
	run -1 --separate-stderr llm-memdb add <"$BATS_TEST_TMPDIR/in"
	[ "$stderr" = "llm-memdb: line 501: invalid JSON: syntax error at column 14
llm-memdb: bad input: nothing added" ]
	[ "$(count records)" = 0 ]
}

@test "empty input adds nothing and succeeds" {
	run --separate-stderr llm-memdb add </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	[ "$stderr" = "" ]
	[ "$(count records)" = 0 ]
}

@test "--tee passes the records on as stored, only once committed" {
	run --separate-stderr llm-memdb add --tee -s t <<-'EOF'
	{"role":"user","content":"one","id":"t1","ts":"2025-01-01T00:00:00Z"}
	{"type":"route","task":"code","id":"t2","ts":"2025-01-01T00:00:01Z"}
	EOF
	[ "$status" -eq 0 ]
	[ "$output" = '{"role":"user","content":"one","id":"t1","ts":"2025-01-01T00:00:00Z","session":"t"}
{"type":"route","task":"code","id":"t2","ts":"2025-01-01T00:00:01Z","session":"t"}' ]
	run -1 --separate-stderr llm-memdb add --tee <<-'EOF'
	{"role":"user","content":"two"}
	{"role":"user"
	EOF
	[ "$output" = "" ]
}

@test "log --since and --last" {
	chat
	run llm-memdb log -s s1 --since s1-3 --last 1
	[ "$status" -eq 0 ]
	[ "$output" = "$(grep '"id":"s1-5"' "$MEMDB/chat.jsonl")" ]
	run llm-memdb log -s s1 --since s1-3
	[ "${#lines[@]}" -eq 2 ]
	run llm-memdb log -s s1 --last 0
	[ "$output" = "" ]
	run -1 --separate-stderr llm-memdb log -s s1 --since s2-1
	[ "$stderr" = "llm-memdb: no record 's2-1' in session 's1'" ]
	run -1 --separate-stderr llm-memdb log -s nope
	[ "$stderr" = "llm-memdb: no session 'nope'" ]
}

@test "sessions lists each with its record count and last time" {
	chat
	llm-memdb session new empty >/dev/null
	run llm-memdb sessions
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^\{\"session\":\"s1\",\"created\":\"[^\"]+\",\"records\":6,\"last\":\"2025-03-02T10:00:00Z\"\}$ ]]
	[[ "${lines[1]}" =~ ^\{\"session\":\"s2\",\"created\":\"[^\"]+\",\"records\":2,\"last\":\"2025-03-02T11:00:04Z\"\}$ ]]
	[[ "${lines[2]}" =~ ^\{\"session\":\"empty\",\"created\":\"[^\"]+\",\"records\":0\}$ ]]
}

@test "session new, rename and rm" {
	chat
	run llm-memdb session new
	[[ "$output" =~ ^\{\"session\":\"[0-9A-Z]{26}\",\"created\":\"[^\"]+\"\}$ ]]
	run -1 --separate-stderr llm-memdb session new s1
	[ "$stderr" = "llm-memdb: session 's1' exists" ]
	run -1 --separate-stderr llm-memdb session rename s1 s2
	[ "$stderr" = "llm-memdb: session 's2' exists" ]
	run -1 --separate-stderr llm-memdb session rename nope x
	[ "$stderr" = "llm-memdb: no session 'nope'" ]
	llm-memdb session rename s1 renamed
	run llm-memdb log -s renamed
	[ "$output" = "$(grep '"session":"s1"' "$MEMDB/chat.jsonl" | sed 's/"session":"s1"/"session":"renamed"/')" ]
	run llm-memdb search -s renamed parser
	[ "${#lines[@]}" -eq 3 ]
	llm-memdb session rm renamed
	[ "$(count records)" = 2 ]
	[ "$(count facts)" = 0 ]
	[ "$(count usage)" = 1 ]
	[ "$(sqlite3 "$LLMPIPE_DB" "SELECT count(*) FROM messages_fts")" = 2 ]
	run llm-memdb search parser
	[ "$output" = "" ]
	run -1 --separate-stderr llm-memdb session rm renamed
	[ "$stderr" = "llm-memdb: no session 'renamed'" ]
	run -2 --separate-stderr llm-memdb session rename a
	[ "$stderr" = "llm-memdb: session rename: which session?
usage: llm-memdb [--db path] session new [name] | rm name | rename old new" ]
	run -2 --separate-stderr llm-memdb session new $'bad\tname'
	[[ "$stderr" =~ "invalid session name" ]]
}

@test "facts: add and update set the current state, delete ends it" {
	llm-memdb add -s f <<-'EOF'
	{"type":"fact","kind":"decision","subject":"build","content":"use make","id":"1"}
	{"type":"fact","kind":"todo","content":"write the man page","id":"2"}
	{"type":"fact","kind":"decision","subject":"build","content":"use make, not cmake","op":"update","id":"3"}
	{"type":"fact","kind":"file_created","subject":"a.c","content":"new","id":"4"}
	{"type":"fact","kind":"todo","content":"write the man page","op":"delete","id":"5"}
	{"type":"fact","kind":"file_modified","subject":"a.c","content":"more","id":"6"}
	EOF
	run llm-memdb facts -s f
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" =~ \"content\":\"use\ make,\ not\ cmake\",\"op\":\"update\",\"id\":\"3\" ]]
	[[ "${lines[1]}" =~ \"kind\":\"file_created\",\"subject\":\"a.c\" ]]
	[[ "${lines[2]}" =~ \"kind\":\"file_modified\",\"subject\":\"a.c\" ]]
	run llm-memdb facts --history
	[ "${#lines[@]}" -eq 6 ]
	run llm-memdb search -k fact cmake
	[ "${#lines[@]}" -eq 1 ]
	run llm-memdb search -k fact 'man page'
	[ "$output" = "" ]
	run llm-memdb files
	[[ "$output" =~ ^\{\"session\":\"f\",\"path\":\"a.c\",\"change\":\"modified\",\"ts\":\"[^\"]+\",\"changes\":2\}$ ]]
}

@test "cost totals the stored usage, by model, session or day" {
	chat
	run llm-memdb cost
	[ "$output" = '{"calls":3,"input_tokens":400,"output_tokens":82,"cached_tokens":64,"cost_usd":0.0019}' ]
	run llm-memdb cost --by model
	[ "$output" = '{"model":"claude-sonnet","calls":1,"input_tokens":200,"output_tokens":40,"cached_tokens":0,"cost_usd":0.0012}
{"model":"deepseek-coder","calls":1,"input_tokens":80,"output_tokens":12,"cached_tokens":0,"cost_usd":0.0001}
{"model":"gpt-4o","calls":1,"input_tokens":120,"output_tokens":30,"cached_tokens":64,"cost_usd":0.0006}' ]
	run llm-memdb cost --by session
	[ "${lines[0]}" = '{"session":"s1","calls":2,"input_tokens":320,"output_tokens":70,"cached_tokens":64,"cost_usd":0.0018}' ]
	run llm-memdb cost --by day --since 2025-03-02
	[ "$output" = '{"day":"2025-03-02","calls":1,"input_tokens":80,"output_tokens":12,"cached_tokens":0,"cost_usd":0.0001}' ]
	run llm-memdb cost -s s2 --since 2025-03-02T11:00:04+00:00
	[ "$output" = '{"calls":1,"input_tokens":80,"output_tokens":12,"cached_tokens":0,"cost_usd":0.0001}' ]
	run -2 --separate-stderr llm-memdb cost --by week
	[ "${stderr%%$'\n'*}" = "llm-memdb: --by: not model, session or day: 'week'" ]
	run -2 --separate-stderr llm-memdb cost --since March
	[ "${stderr%%$'\n'*}" = "llm-memdb: --since: not a date: 'March'" ]
}

@test "search ranks across sessions and kinds, with snippets" {
	chat
	run --separate-stderr llm-memdb search lexer
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" =~ ^\{\"kind\":\"message\",\"score\":[0-9.e-]+,\"session\":\"s[12]\",\"id\":\"s[12]-[0-9]\",\"snippet\":\".*\[lexer\].*\"\}$ ]]
	run llm-memdb search -s s2 lexer
	[ "${#lines[@]}" -eq 2 ]
	run llm-memdb search NULL parse_expr
	[ "${#lines[@]}" -eq 3 ]
	run llm-memdb search -k summary NULL parse_expr
	[[ "$output" =~ ^\{\"kind\":\"summary\",\"score\":[0-9.e-]+,\"session\":\"s1\",\"id\":\"s1-4\",\"snippet\":\"The\ user\ reported\ a\ segfault\ in\ the\ parser\;\ a\ \[NULL\]\ check\ in\ \[parse_expr\]\ fixed\ it.\"\}$ ]]
	run llm-memdb search -n 1 --any lexer tabs
	[[ "$output" =~ \"id\":\"s1-5\" ]]
	run llm-memdb search lexer tabs
	[ "${#lines[@]}" -eq 1 ]
	run -2 llm-memdb search -k thing x
}

# Prints "id score" for each row of FTS5's own bm25() for query, as
# llm-memdb reports scores: higher for better.
fts5_bm25() {
	sqlite3 "$LLMPIPE_DB" "SELECT r.id, -bm25(messages_fts) FROM messages_fts
		JOIN records r ON r.seq = messages_fts.rowid
		WHERE messages_fts MATCH '$1'"
}

# Compares search's hits (file $1) with bm25()'s "id|score" lines (file
# $2): the same ids, each score within a relative tolerance $3 (search
# gives 4 significant digits: 0.0005).
same_scores() {
	python3 - "$@" <<'PY'
import json, sys
ours = {}
for line in open(sys.argv[1]):
    hit = json.loads(line)
    ours[hit["id"]] = hit["score"]
theirs = dict((l.split("|")[0], float(l.split("|")[1])) for l in open(sys.argv[2]))
tolerance = float(sys.argv[3])
assert set(ours) == set(theirs), (len(ours), len(theirs))
for k, v in ours.items():
    assert abs(v - theirs[k]) <= tolerance * abs(theirs[k]), (k, v, theirs[k])
PY
}

@test "search scores are FTS5's bm25(); a word in over 20,000 records is weighed from a sample" {
	# 45,000 messages, "alpha" in every other one: more than the 20,000
	# matches counted.  "zeta" is in 45.  Added without a wrapper:
	# under valgrind it would take minutes.
	awk 'BEGIN { for (i = 1; i <= 45000; i++)
		printf "{\"role\":\"user\",\"content\":\"%s w%d x%d%s\",\"id\":\"m%d\"}\n",
			i % 2 ? "beta" : "alpha", i % 7, i % 13, i % 1000 ? "" : " zeta", i }' |
		"$LLMPIPE_BIN/llm-memdb" add
	run --separate-stderr llm-memdb search -n 100 zeta
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 45 ]
	echo "$output" >"$BATS_TEST_TMPDIR/ours"
	fts5_bm25 zeta >"$BATS_TEST_TMPDIR/theirs"
	same_scores "$BATS_TEST_TMPDIR/ours" "$BATS_TEST_TMPDIR/theirs" 0.0005
	# alpha's 22,500 matches are estimated from the oldest 20,001: the
	# scores stay within 1% of bm25()'s.
	run --separate-stderr llm-memdb search -n 100 alpha zeta
	[ "${#lines[@]}" -eq 45 ]
	echo "$output" >"$BATS_TEST_TMPDIR/ours"
	fts5_bm25 'alpha zeta' >"$BATS_TEST_TMPDIR/theirs"
	same_scores "$BATS_TEST_TMPDIR/ours" "$BATS_TEST_TMPDIR/theirs" 0.01
}

@test "the best hits are bm25()'s best, though rows that cannot be are not fully scored" {
	# Lengths and places of "kappa" vary, so that most rows can be told
	# out of the best 5 without their length.
	awk 'BEGIN { srand(3); for (i = 1; i <= 400; i++) {
		n = 3 + int(rand() * 40); at = int(rand() * n); s = ""
		for (j = 0; j < n; j++)
			s = s (j ? " " : "") (i % 3 == 0 && (j == at || (i % 17 == 0 && j == 0)) ? "kappa" : "w" int(rand() * 50))
		printf "{\"role\":\"user\",\"content\":\"%s\",\"id\":\"k%d\"}\n", s, i } }' |
		llm-memdb add
	for n in 1 5 12; do
		run --separate-stderr llm-memdb search -n "$n" kappa
		[ "${#lines[@]}" -eq "$n" ]
		echo "$output" >"$BATS_TEST_TMPDIR/ours"
		fts5_bm25 kappa >"$BATS_TEST_TMPDIR/all"
		# Each hit's score is bm25()'s for it, and the scores are the
		# n best (ties may pick either row).
		python3 - "$BATS_TEST_TMPDIR/ours" "$BATS_TEST_TMPDIR/all" "$n" <<'PY'
import json, sys
ours = [json.loads(l) for l in open(sys.argv[1])]
all = dict((l.split("|")[0], float(l.split("|")[1])) for l in open(sys.argv[2]))
n = int(sys.argv[3])
for hit in ours:
    assert abs(hit["score"] - all[hit["id"]]) <= 5e-4 * abs(all[hit["id"]]), (hit, all[hit["id"]])
best = sorted(all.values(), reverse=True)[:n]
assert [round(h["score"], 3) for h in ours] == [round(v, 3) for v in best], (ours, best)
PY
	done
}

@test "search ranks the newest 500 matches of a kind" {
	awk 'BEGIN { for (i = 1; i <= 600; i++)
		printf "{\"role\":\"user\",\"content\":\"gamma%s\",\"id\":\"g%d\"}\n",
			i == 1 ? " gamma gamma" : "", i }' | llm-memdb add
	# g1 says it three times, but is older than the newest 500.
	run llm-memdb search -n 600 gamma
	[ "${#lines[@]}" -eq 500 ]
	[[ ! "$output" =~ \"id\":\"g1\" ]]
	[[ "$output" =~ \"id\":\"g600\" ]]
	[[ "$output" =~ \"id\":\"g101\" ]]
	[[ ! "$output" =~ \"id\":\"g100\" ]]
}

@test "any-word queries choose by the rarer words: common ones do not crowd them out" {
	echo '{"role":"user","content":"the sqlite lock is held","id":"rare","session":"old"}' | llm-memdb add
	awk 'BEGIN { for (i = 1; i <= 600; i++)
		printf "{\"role\":\"user\",\"content\":\"the code %d\",\"id\":\"c%d\",\"session\":\"busy\"}\n", i, i }' |
		llm-memdb add
	# "the" is in every record, so its newest 500 matches would be all
	# that is ranked; the record with the rare words is older.
	run llm-memdb search -n 1 --any the sqlite lock
	[[ "$output" =~ \"id\":\"rare\" ]]
	run llm-memdb context -s new --budget 10000 --hits 1 -q "how is the sqlite lock held"
	[ "$status" -eq 0 ]
	[[ "$output" =~ \"source\":\"old#rare\" ]]
	# Only common words: they are what there is to search by.
	run llm-memdb search -n 1 --any the code
	[[ "$output" =~ \"id\":\"c[0-9]+\" ]]
	# All words required: nothing is left out.
	run llm-memdb search the code sqlite
	[ "$output" = "" ]
}

@test "a reader does not wait for a writer" {
	chat
	# A writer that holds the write lock until its input ends.
	mkfifo "$BATS_TEST_TMPDIR/writer"
	sqlite3 "$LLMPIPE_DB" <"$BATS_TEST_TMPDIR/writer" >/dev/null 3>&- &
	exec 8>"$BATS_TEST_TMPDIR/writer"
	echo "BEGIN IMMEDIATE; INSERT INTO sessions (name, created) VALUES ('w', 'now');" >&8
	for i in $(seq 100); do
		sqlite3 "$LLMPIPE_DB" "BEGIN IMMEDIATE; ROLLBACK" 2>/dev/null || break
		sleep 0.1
	done
	run ! sqlite3 "$LLMPIPE_DB" "BEGIN IMMEDIATE; ROLLBACK"
	[[ "$output" =~ "database is locked" ]]
	run llm-memdb search lexer
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	run llm-memdb log -s s1 --last 1
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	run llm-memdb context -s s1 --budget 1000
	[ "$status" -eq 0 ]
	echo "ROLLBACK;" >&8
	exec 8>&-
	wait
}

@test "any text is a valid query: FTS5 syntax characters are words" {
	chat
	echo '{"role":"user","content":"a \"quoted\" word: x-y AND z* OR (NEAR) ^start","id":"q"}' | llm-memdb add
	for q in '"' '"quoted' '*' 'z*' '-' 'x-y' ':' 'word:' 'AND' 'OR' 'NOT' \
		'NEAR(' '(' ')' '^start' '{' '}' '+' "'" '""' '\' 'a AND' \
		'content:quoted' '-x' '--' '' ' '; do
		run --separate-stderr llm-memdb search -- "$q"
		[ "$status" -eq 0 ] || { echo "query: $q: $stderr"; false; }
		[ "$stderr" = "" ]
	done
	run llm-memdb search -- 'x-y' 'AND' 'z*'
	[[ "$output" =~ \"id\":\"q\" ]]
	run llm-memdb search -- '"quoted"'
	[[ "$output" =~ \"id\":\"q\" ]]
	run llm-memdb context -s other -q 'NEAR( "quoted AND'
	[ "$status" -eq 0 ]
	[[ "$output" =~ \"source\":\"default#q\" ]]
}

@test "context: summary, facts, hits from other sessions, then the system messages and the messages after the summary" {
	chat
	run --separate-stderr llm-memdb context -s s1 -q 'profile lexer'
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	[ "${#lines[@]}" -eq 6 ]
	[ "${lines[0]}" = "$(grep '"id":"s1-4"' "$MEMDB/chat.jsonl")" ]
	[ "${lines[1]}" = "$(grep '"id":"s1-3"' "$MEMDB/chat.jsonl")" ]
	[[ "${lines[2]}" =~ ^\{\"type\":\"doc\",\"source\":\"s2#s2-[12]\",\"content\":\"[^\"]+\",\"score\":[0-9.e-]+\}$ ]]
	[[ "${lines[3]}" =~ ^\{\"type\":\"doc\",\"source\":\"s2#s2-[12]\" ]]
	# The system message stands, though the summary covers its time.
	[ "${lines[4]}" = "$(grep '"id":"s1-0"' "$MEMDB/chat.jsonl")" ]
	[ "${lines[5]}" = "$(grep '"id":"s1-5"' "$MEMDB/chat.jsonl")" ]
	run --separate-stderr llm-memdb context -s s1
	[ "${#lines[@]}" -eq 4 ]
}

@test "context: without a summary every message; over the budget the oldest go, reported" {
	llm-memdb add -s b <<-'EOF'
	{"role":"user","content":"one two three four five six seven eight nine ten"}
	{"role":"assistant","content":"one two three four five six seven eight nine ten"}
	{"role":"user","content":"hello"}
	EOF
	run --separate-stderr llm-memdb context -s b
	[ "${#lines[@]}" -eq 3 ]
	# Each long one costs 3 + 1 + 10 tokens, the last 3 + 1 + 1, and 3 prime the reply.
	run --separate-stderr llm-memdb context -s b --budget 21
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" =~ \"content\":\"hello\" ]]
	[ "$stderr" = "llm-memdb: left out 0 facts, 2 messages and 0 hits to fit 21 tokens" ]
	run --separate-stderr llm-memdb context -s b --budget 22
	[ "${#lines[@]}" -eq 2 ]
	[ "$stderr" = "llm-memdb: left out 0 facts, 1 messages and 0 hits to fit 22 tokens" ]
	run --separate-stderr llm-memdb context -s b --budget 36
	[ "${#lines[@]}" -eq 3 ]
	[ "$stderr" = "" ]
	run -3 --separate-stderr llm-memdb context -s b --budget 7
	[ "$output" = "" ]
	[ "$stderr" = "llm-memdb: the latest summary and message alone are 8 tokens, over the budget of 7" ]
	run -2 --separate-stderr llm-memdb context -s b -m no-such-model
	[ "${stderr%%$'\n'*}" = "llm-memdb: unknown model 'no-such-model'" ]
	run --separate-stderr llm-memdb context -s never-used
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
}

@test "context counts a message's name, as OpenAI counts one" {
	llm-memdb add -s n <<-'EOF'
	{"role":"user","name":"alice","content":"one two three four five"}
	{"role":"user","name":"bob","content":"six seven"}
	EOF
	llm-memdb context -s n >"$BATS_TEST_TMPDIR/all.jsonl"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/all.jsonl")" -eq 2 ]
	# npm tiktoken (o200k_base): the contents are 5 and 2 tokens, "user",
	# "alice" and "bob" one each; OpenAI's rule: 3 a message, 1 more for a
	# name, 3 for the reply: (3+1+1+1+5) + (3+1+1+1+2) + 3 = 22.
	total=22
	[ "$(llm-count --total <"$BATS_TEST_TMPDIR/all.jsonl")" = '{"tokens":22,"messages":2}' ]
	run --separate-stderr llm-memdb context -s n --budget "$total"
	[ "${#lines[@]}" -eq 2 ]
	run --separate-stderr llm-memdb context -s n --budget "$((total - 1))"
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" =~ \"name\":\"bob\" ]]
}

@test "context drops a tool result whose call did not fit" {
	llm-memdb add -s tool <<-'EOF'
	{"role":"assistant","content":"one two three four five six seven eight nine ten eleven twelve","tool_calls":[]}
	{"role":"tool","content":"result","tool_call_id":"c1"}
	{"role":"user","content":"go on"}
	EOF
	run --separate-stderr llm-memdb context -s tool --budget 18
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" =~ \"content\":\"go\ on\" ]]
}

@test "export and import round-trip exactly, index included" {
	chat
	mkdir "$BATS_TEST_TMPDIR/tree"
	printf 'int main(void)\n{\n\treturn 0;\n}\n' >"$BATS_TEST_TMPDIR/tree/main.c"
	llm-memdb index "$BATS_TEST_TMPDIR/tree" >/dev/null
	llm-memdb export >"$BATS_TEST_TMPDIR/one"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/one")" -eq 12 ]
	LLMPIPE_DB="$BATS_TEST_TMPDIR/copy.db" llm-memdb import <"$BATS_TEST_TMPDIR/one"
	LLMPIPE_DB="$BATS_TEST_TMPDIR/copy.db" llm-memdb export >"$BATS_TEST_TMPDIR/two"
	cmp "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/two"
	run env LLMPIPE_DB="$BATS_TEST_TMPDIR/copy.db" llm-memdb cost
	[ "$output" = '{"calls":3,"input_tokens":400,"output_tokens":82,"cached_tokens":64,"cost_usd":0.0019}' ]
	LLMPIPE_DB="$BATS_TEST_TMPDIR/copy.db" run llm-memdb search -k doc main
	[[ "$output" =~ \"source\":\"$BATS_TEST_TMPDIR/tree/main.c#1\",\"lines\":\[1,4\] ]]
	run -1 --separate-stderr llm-memdb import <<<'{"type":"memdb.thing"}'
	[ "$stderr" = "llm-memdb: line 1: not a line of llm-memdb export
llm-memdb: bad input: nothing added" ]
}

@test "a database of schema version 1 is upgraded, its data kept" {
	sqlite3 "$LLMPIPE_DB" <"$MEMDB/v1.sql" >/dev/null
	[ "$(sqlite3 "$LLMPIPE_DB" 'PRAGMA user_version')" = 1 ]
	run llm-memdb log -s old
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(sqlite3 "$LLMPIPE_DB" 'PRAGMA user_version')" = 5 ]
	# Version 2 recovers the cached tokens version 1 kept only in JSON.
	run llm-memdb cost
	[ "$output" = '{"calls":1,"input_tokens":50,"output_tokens":7,"cached_tokens":32,"cost_usd":0.0002}' ]
	run llm-memdb search -k fact parser
	[[ "$output" =~ \"id\":\"f1\" ]]
	run llm-memdb facts
	[[ "$output" =~ \"id\":\"f1\" ]]
	echo '{"type":"fact","kind":"note","subject":"config","content":"moved","op":"update"}' | llm-memdb add -s old
	run llm-memdb facts
	[[ "$output" =~ \"content\":\"moved\" ]]
	[ "$(sqlite3 "$LLMPIPE_DB" 'PRAGMA integrity_check')" = ok ]
}

@test "a database of a newer schema is refused" {
	llm-memdb stats >/dev/null
	sqlite3 "$LLMPIPE_DB" 'PRAGMA user_version = 9'
	run -1 --separate-stderr llm-memdb stats
	[ "$stderr" = "llm-memdb: $LLMPIPE_DB: schema version 9 is newer than this llm-memdb's (5)" ]
}

@test "a file that is not a database is an error and is left alone" {
	printf 'my notes\n%.0s' $(seq 1 300) >"$LLMPIPE_DB"
	cp "$LLMPIPE_DB" "$BATS_TEST_TMPDIR/orig"
	run -1 --separate-stderr llm-memdb add <<<'{"role":"user","content":"x"}'
	[ "$stderr" = "llm-memdb: $LLMPIPE_DB: file is not a database" ]
	cmp "$LLMPIPE_DB" "$BATS_TEST_TMPDIR/orig"
	[ ! -e "$LLMPIPE_DB-wal" ]
}

@test "another program's SQLite database is an error and is left alone" {
	sqlite3 "$LLMPIPE_DB" 'CREATE TABLE t(x); INSERT INTO t VALUES (1)'
	cp "$LLMPIPE_DB" "$BATS_TEST_TMPDIR/orig"
	run -1 --separate-stderr llm-memdb stats
	[ "$stderr" = "llm-memdb: $LLMPIPE_DB: not an llm-memdb database (it has tables and no schema version)" ]
	cmp "$LLMPIPE_DB" "$BATS_TEST_TMPDIR/orig"
}

@test "a corrupt database is an error and is left alone" {
	chat
	sqlite3 "$LLMPIPE_DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	# Garbage over the schema on page 1, after the 100-byte header.
	printf 'garbage%.0s' $(seq 1 100) | dd of="$LLMPIPE_DB" bs=1 seek=100 conv=notrunc status=none
	cp "$LLMPIPE_DB" "$BATS_TEST_TMPDIR/orig"
	run -1 --separate-stderr llm-memdb add <<<'{"role":"user","content":"x"}'
	[[ "$stderr" =~ ^llm-memdb:\ $LLMPIPE_DB:\ .*malformed ]]
	cmp "$LLMPIPE_DB" "$BATS_TEST_TMPDIR/orig"
}

@test "a read-only database is an error and is left alone" {
	# As an unprivileged user even when the suite runs as root, who
	# may write to a read-only file.
	d=$(shared_dir)
	export LLMPIPE_DB="$d/memory.db" HOME="$d"
	chat
	chmod 0444 "$LLMPIPE_DB"
	cp "$LLMPIPE_DB" "$BATS_TEST_TMPDIR/orig"
	run -1 --separate-stderr as_user llm-memdb add <<<'{"role":"user","content":"x"}'
	[ "$stderr" = "llm-memdb: $LLMPIPE_DB: cannot write: read-only file" ]
	cmp "$LLMPIPE_DB" "$BATS_TEST_TMPDIR/orig"
	rm -rf "$d"
}

@test "a database in a missing directory is an error; nothing is created" {
	run -1 --separate-stderr llm-memdb --db "$BATS_TEST_TMPDIR/no/such/m.db" stats
	[ "$stderr" = "llm-memdb: cannot create database '$BATS_TEST_TMPDIR/no/such/m.db': No such file or directory" ]
	[ ! -e "$BATS_TEST_TMPDIR/no" ]
}

@test "the default database is private, its directories created" {
	unset LLMPIPE_DB
	echo '{"role":"user","content":"x"}' | llm-memdb add
	[ "$(stat -c %a "$HOME/.local/share/llmpipe")" = 700 ]
	[ "$(stat -c %a "$HOME/.local/share/llmpipe/memory.db")" = 600 ]
	export XDG_DATA_HOME="$BATS_TEST_TMPDIR/xdg"
	echo '{"role":"user","content":"x"}' | llm-memdb add
	[ -e "$XDG_DATA_HOME/llmpipe/memory.db" ]
	run llm-memdb --db "$BATS_TEST_TMPDIR/named.db" stats
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/named.db")" = 600 ]
}

@test "index: text files in chunks; binary and .gitignored files left out" {
	t="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$t/.git" "$t/src/deep" "$t/build" "$t/logs"
	printf 'ignored.txt\nbuild/\n*.log\n!keep.log\nsrc/**/gen_*.c\n' >"$t/.gitignore"
	seq 1 300 | sed 's/^/line number /' >"$t/src/long.txt"
	echo 'alpha beta' >"$t/src/a.c"
	echo 'generated' >"$t/src/deep/gen_x.c"
	echo 'not generated' >"$t/src/deep/x.c"
	echo 'ignored' >"$t/ignored.txt"
	echo 'built' >"$t/build/out.c"
	echo 'noise' >"$t/logs/run.log"
	echo 'kept' >"$t/logs/keep.log"
	echo 'in git' >"$t/.git/config"
	printf 'bin\0ary' >"$t/blob.bin"
	run --separate-stderr llm-memdb index --chunk 100 "$t"
	[ "$status" -eq 0 ]
	[ "$output" = '{"files":5,"indexed":5,"unchanged":0,"removed":0,"skipped":1,"docs":19}' ]
	[ "$stderr" = "" ]
	run sqlite3 "$LLMPIPE_DB" "SELECT substr(path, length('$t') + 2) FROM files ORDER BY path"
	[ "$output" = ".gitignore
logs/keep.log
src/a.c
src/deep/x.c
src/long.txt" ]
	run llm-memdb search -k doc 'number 150'
	[[ "${lines[0]}" =~ \"source\":\"$t/src/long.txt#[0-9]+\",\"lines\":\[[0-9]+,[0-9]+\] ]]
}

@test "index is incremental: unchanged files stay, changed ones are redone, deleted ones leave" {
	t="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$t"
	echo 'first words' >"$t/a.txt"
	echo 'second words' >"$t/b.txt"
	llm-memdb index "$t" >/dev/null
	run llm-memdb index "$t"
	[ "$output" = '{"files":2,"indexed":0,"unchanged":2,"removed":0,"skipped":0,"docs":0}' ]
	touch -d '2020-01-01' "$t/a.txt"
	run llm-memdb index "$t"
	[ "$output" = '{"files":2,"indexed":0,"unchanged":2,"removed":0,"skipped":0,"docs":0}' ]
	echo 'third words' >"$t/b.txt"
	rm "$t/a.txt"
	run llm-memdb index "$t"
	[ "$output" = '{"files":1,"indexed":1,"unchanged":0,"removed":1,"skipped":0,"docs":1}' ]
	run llm-memdb search -k doc words
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" =~ \[third\]|third ]]
	rm -r "$t"
	run llm-memdb index "$t"
	[ "$output" = '{"files":0,"indexed":0,"unchanged":0,"removed":1,"skipped":0,"docs":0}' ]
	[ "$(count docs)" = 0 ]
	[ "$(sqlite3 "$LLMPIPE_DB" 'SELECT count(*) FROM docs_fts')" = 0 ]
	run -1 --separate-stderr llm-memdb index "$t"
	[ "$stderr" = "llm-memdb: $t: no such file or directory" ]
}

@test "index shows its progress when standard error is a terminal" {
	t="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$t"
	for i in $(seq 1 150); do echo "file $i" >"$t/f$i.txt"; done
	# script(1) gives the command a terminal; its output is what the
	# terminal shows.
	run env SHELL=/bin/bash script -qec "llm-memdb index '$t' >'$BATS_TEST_TMPDIR/out'" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\rindexing: 100 files, 100 new or changed'* ]]
	[[ "$output" == *$'\rindexing: 150 files, 150 new or changed\r' ]]
	grep -q '"files":150,"indexed":150' "$BATS_TEST_TMPDIR/out"
	# Not a terminal: nothing on standard error (as in the test above).
	run --separate-stderr llm-memdb index "$t"
	[ "$stderr" = "" ]
}

@test "8 writers at once: every record is there, none fails on a lock" {
	# Under valgrind each process is slow; fewer records keep CI short.
	local n=1000 w
	[ -n "${LLMPIPE_WRAP:-}" ] && n=50
	llm-memdb stats >/dev/null
	for w in 1 2 3 4 5 6 7 8; do
		(
			for i in $(seq 1 "$n"); do
				printf '{"role":"user","content":"writer %d record %d","id":"w%d-%d"}\n' "$w" "$i" "$w" "$i"
			done >"$BATS_TEST_TMPDIR/in$w"
			# Half the records one add each, half in one add.
			head -n $((n / 10)) "$BATS_TEST_TMPDIR/in$w" | while read -r line; do
				echo "$line" | llm-memdb add -s "w$w" || exit 1
			done || exit 1
			llm-memdb add -s "w$w" <"$BATS_TEST_TMPDIR/in$w"
		) 2>"$BATS_TEST_TMPDIR/err$w" &
	done
	for w in 1 2 3 4 5 6 7 8; do
		wait -n || { cat "$BATS_TEST_TMPDIR"/err*; false; }
	done
	cat "$BATS_TEST_TMPDIR"/err* >"$BATS_TEST_TMPDIR/errors"
	[ ! -s "$BATS_TEST_TMPDIR/errors" ]
	[ "$(count records)" = $((8 * n)) ]
	[ "$(sqlite3 "$LLMPIPE_DB" 'SELECT count(DISTINCT session) FROM records')" = 8 ]
	[ "$(sqlite3 "$LLMPIPE_DB" 'PRAGMA integrity_check')" = ok ]
}

@test "8 writers on a new database create its schema once" {
	local w
	for w in 1 2 3 4 5 6 7 8; do
		echo "{\"role\":\"user\",\"content\":\"$w\"}" | llm-memdb add 2>>"$BATS_TEST_TMPDIR/errors" &
	done
	wait
	[ ! -s "$BATS_TEST_TMPDIR/errors" ]
	[ "$(count records)" = 8 ]
}

@test "a writer killed in the middle of a large add leaves all of it or none" {
	# Enough records that pages spill from the 64 MiB cache to the WAL
	# before the commit.
	local n=200000 pid i
	[ -n "${LLMPIPE_WRAP:-}" ] && n=20000
	chat
	awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"role\":\"user\",\"content\":\"killed writer record %d with some words to index\"}\n", i }' \
		>"$BATS_TEST_TMPDIR/big"
	${LLMPIPE_WRAP:-} "$LLMPIPE_BIN/llm-memdb" add -s big <"$BATS_TEST_TMPDIR/big" &
	pid=$!
	# Wait until it has written into the WAL, then kill it mid-way.
	for i in $(seq 1 600); do
		[ "$(stat -c %s "$LLMPIPE_DB-wal" 2>/dev/null || echo 0)" -gt 1000000 ] && break
		sleep 0.1
	done
	kill -9 "$pid"
	wait "$pid" || true
	[ "$(sqlite3 "$LLMPIPE_DB" 'PRAGMA integrity_check')" = ok ]
	# Natively the kill lands mid-way (the cache has spilled to the WAL);
	# under valgrind it may land in the commit.  Never anything between.
	local after
	after=$(count records)
	case $after in
	8 | $((n + 8))) ;;
	*) false ;;
	esac
	# Nothing of it was kept: adding it again adds all of it.  (Had it
	# been committed, its records, which have no ids, would come twice.)
	if [ "$after" = 8 ]; then
		run llm-memdb add -s big <"$BATS_TEST_TMPDIR/big"
		[ "$status" -eq 0 ]
		[ "$(count records)" = $((n + 8)) ]
		[ "$(sqlite3 "$LLMPIPE_DB" 'PRAGMA integrity_check')" = ok ]
	fi
}

@test "usage errors exit 2" {
	run -2 --separate-stderr llm-memdb
	[ "${stderr_lines[0]}" = "llm-memdb: which command?" ]
	[[ "${stderr_lines[1]}" =~ ^usage:\ llm-memdb ]]
	run -2 --separate-stderr llm-memdb frobnicate
	[ "${stderr%%$'\n'*}" = "llm-memdb: unknown command 'frobnicate'" ]
	run -2 llm-memdb log
	run -2 llm-memdb add extra
	run -2 llm-memdb search
	run -2 llm-memdb stats extra
	run -2 llm-memdb log -s s1 --last many
	run -2 llm-memdb index
	run -2 llm-memdb context
	run -2 llm-memdb --frob stats
	[ ! -e "$LLMPIPE_DB" ]
}

@test "--help and --version" {
	run llm-memdb --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^usage:\ llm-memdb ]]
	run llm-memdb --version
	[[ "$output" =~ ^llm-memdb\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "the examples of the man page run, as shown" {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p src
	echo 'int parse(const char *s);' >src/parse.h
	fake_ask
	man_examples "$BATS_TEST_DIRNAME/../man/llm-memdb.1"
	[ "$n" -eq 13 ]
}

@test "index trusts an unchanged size and time: the file is not read again" {
	# Run as an unprivileged user, for whom an unreadable file is one.
	d=$(shared_dir)
	export LLMPIPE_DB="$d/memory.db" HOME="$d"
	mkdir "$d/tree" && chmod 777 "$d" "$d/tree"
	echo 'apples and pears' >"$d/tree/a.txt"
	echo 'plums' >"$d/tree/b.txt"
	chmod 666 "$d/tree/a.txt" "$d/tree/b.txt"
	run -0 as_user llm-memdb index "$d/tree"
	# Unreadable now, but its size and time say it is unchanged: not
	# opened, so no complaint, and its docs stay.
	chmod 000 "$d/tree/b.txt"
	run -0 --separate-stderr as_user llm-memdb index "$d/tree"
	[ "$output" = '{"files":2,"indexed":0,"unchanged":2,"removed":0,"skipped":0,"docs":0}' ]
	[ "$stderr" = "" ]
	# Changed, with its size and time put back (touch -r): as documented,
	# the index keeps what it had, as make and rsync would.
	cp -p "$d/tree/a.txt" "$d/ref"
	echo 'apricot and pear' >"$d/tree/a.txt"
	touch -r "$d/ref" "$d/tree/a.txt"
	run -0 as_user llm-memdb index "$d/tree"
	[ "$output" = '{"files":2,"indexed":0,"unchanged":2,"removed":0,"skipped":0,"docs":0}' ]
	run as_user llm-memdb search -k doc apples
	[ "${#lines[@]}" -eq 1 ]
	# A new time: read again, and the content hash finds the change.
	touch "$d/tree/a.txt"
	run -0 as_user llm-memdb index "$d/tree"
	[ "$output" = '{"files":2,"indexed":1,"unchanged":1,"removed":0,"skipped":0,"docs":1}' ]
	run as_user llm-memdb search -k doc apricot
	[ "${#lines[@]}" -eq 1 ]
	rm -rf "$d"
}

@test "a file whose name is not UTF-8 is left out of the index, and export stays importable" {
	t="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$t"
	echo 'good file' >"$t/good.txt"
	echo 'bad name' >"$t/$(printf 'caf\xe9.txt')"
	run -0 --separate-stderr llm-memdb index "$t"
	[ "$output" = '{"files":1,"indexed":1,"unchanged":0,"removed":0,"skipped":1,"docs":1}' ]
	[ "$stderr" = "llm-memdb: $t/caf�.txt: the name is not UTF-8; left out" ]
	echo '{"role":"user","content":"hello"}' | llm-memdb add -s s
	llm-memdb export >"$BATS_TEST_TMPDIR/e.jsonl"
	run -0 llm-memdb --db "$BATS_TEST_TMPDIR/copy.db" import <"$BATS_TEST_TMPDIR/e.jsonl"
	run llm-memdb --db "$BATS_TEST_TMPDIR/copy.db" export
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/e.jsonl")" ]
	run -2 --separate-stderr llm-memdb add -s "$(printf 'x\xff')" </dev/null
	[[ "$stderr" == "llm-memdb: invalid session name"* ]]
}

@test "one huge message does not slow search or context down" {
	# FTS5's snippet() took 96 s over a message of 1 MB; the timeout
	# stops a hang, it measures nothing.
	python3 -c 'import json; print(json.dumps({"role": "user", "content": "hello world " * 200000}))' |
		llm-memdb add -s big
	echo '{"role":"user","content":"hello there"}' | llm-memdb add -s small
	run -0 timeout 60 llm-memdb search -s big hello
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *'"snippet":"[hello] world [hello] world [hello] world [hello] world [hello]…"}' ]]
	run -0 timeout 60 llm-memdb search hello
	[ "${#lines[@]}" -eq 2 ]
	run -0 --separate-stderr timeout 60 llm-memdb context -s small --budget 1000 -q hello
	[ "$output" = "$(llm-memdb log -s small)" ]
	[ "$stderr" = "" ]
	# Its record is kept whole, though search reads its first 256 KiB.
	[ "$(llm-memdb log -s big | wc -c)" -gt 2400000 ]
}

@test "search -s of docs, which belong to no session, is a usage error, not SQL" {
	chat
	run -2 --separate-stderr llm-memdb search -s s1 -k doc malloc
	[ "${stderr_lines[0]}" = "llm-memdb: search: docs belong to no session; leave out -s" ]
	[ "${stderr_lines[1]}" = "usage: llm-memdb [--db path] search [-s session] [-k kind] [-n count] [--any] [--exact] query ..." ]
}

@test "--tee prints what is stored; a different record under a stored id is reported" {
	echo '{"id":"m1","role":"user","content":"a"}' | llm-memdb add -s s
	run -0 --separate-stderr llm-memdb add -s s --tee <<<'{"id":"m1","role":"user","content":"CHANGED"}'
	[[ "$output" == '{"id":"m1","role":"user","content":"a","session":"s","ts":"'* ]]
	[ "$stderr" = "llm-memdb: line 1: a different record is stored under id 'm1'; kept the stored one" ]
	# The same record again is no conflict.
	run -0 --separate-stderr llm-memdb add -s s --tee <<<'{"id":"m1","role":"user","content":"a"}'
	[ "$stderr" = "" ]
	[ "$(llm-memdb log -s s)" = "$output" ]
}

@test "delta records are not stored, so a stream can be piped in whole" {
	run -0 --separate-stderr llm-memdb add -s s --tee <<-'EOF'
	{"type":"delta","content":"Hel"}
	{"type":"delta","content":"lo"}
	{"role":"assistant","content":"Hello","id":"r1"}
	EOF
	[[ "$output" == '{"role":"assistant","content":"Hello","id":"r1",'* ]]
	[ "$(count records)" = 1 ]
}

@test "no empty session appears as a side effect" {
	echo '{"id":"m1","role":"user","content":"a"}' | llm-memdb add -s x
	# A record already stored under its id makes no session "y".
	echo '{"id":"m1","role":"user","content":"a"}' | llm-memdb add -s y
	[ "$(llm-memdb sessions | grep -c '"session":"y"')" = 0 ]
	# A backup imported after a rename does not bring the old name back.
	llm-memdb export >"$BATS_TEST_TMPDIR/backup.jsonl"
	llm-memdb session rename x z
	llm-memdb import <"$BATS_TEST_TMPDIR/backup.jsonl"
	run llm-memdb sessions
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == '{"session":"z",'* ]]
	# An empty session that was exported comes back, empty.
	llm-memdb session new empty >/dev/null
	llm-memdb export >"$BATS_TEST_TMPDIR/two.jsonl"
	llm-memdb --db "$BATS_TEST_TMPDIR/copy.db" import <"$BATS_TEST_TMPDIR/two.jsonl"
	[ "$(llm-memdb --db "$BATS_TEST_TMPDIR/copy.db" sessions | grep -c '"session":"empty","created"')" = 1 ]
}

@test "cost: dates that do not exist are refused; the observed ratio of counts" {
	run -2 --separate-stderr llm-memdb cost --since 2026-13-45
	[ "${stderr_lines[0]}" = "llm-memdb: --since: not a date: '2026-13-45'" ]
	run -2 llm-memdb cost --since 2026-02-30
	run -0 llm-memdb cost --since 2024-02-29
	llm-memdb add -s s <<-'EOF'
	{"role":"assistant","content":"a","model":"claude-sonnet","usage":{"input_tokens":130,"output_tokens":5,"counted_input_tokens":100},"cost_usd":0.001}
	{"role":"assistant","content":"b","model":"claude-sonnet","usage":{"input_tokens":150,"output_tokens":5,"counted_input_tokens":100},"cost_usd":0.001}
	{"role":"assistant","content":"c","model":"gpt-4o","usage":{"input_tokens":10,"output_tokens":5},"cost_usd":0.001}
	EOF
	run llm-memdb cost --by model
	[ "${lines[0]}" = '{"model":"claude-sonnet","calls":2,"input_tokens":280,"output_tokens":10,"cached_tokens":0,"cost_usd":0.002,"counted_input_tokens":200,"observed_ratio":1.4}' ]
	[ "${lines[1]}" = '{"model":"gpt-4o","calls":1,"input_tokens":10,"output_tokens":5,"cached_tokens":0,"cost_usd":0.001}' ]
}

@test "usage errors say what is wrong first; every command has --help" {
	run -2 --separate-stderr llm-memdb log
	[ "$stderr" = "llm-memdb: log: which session? (-s session)
usage: llm-memdb [--db path] log -s session [--since id] [--last n]" ]
	run -2 --separate-stderr llm-memdb search
	[ "${stderr_lines[0]}" = "llm-memdb: search: no query" ]
	run -2 --separate-stderr llm-memdb session frob
	[ "${stderr_lines[0]}" = "llm-memdb: session: unknown verb 'frob' (new, rm or rename)" ]
	run -2 --separate-stderr llm-memdb stats extra
	[ "${stderr_lines[0]}" = "llm-memdb: stats: unexpected argument 'extra'" ]
	run -2 --separate-stderr llm-memdb log -s s --last many
	[ "${stderr_lines[0]}" = "llm-memdb: --last: expected a whole number of at least 0, not 'many'" ]
	for c in add log context search sessions session facts files cost index stats export import; do
		run -0 --separate-stderr llm-memdb "$c" --help
		[[ "${lines[0]}" == "usage: llm-memdb [--db path] $c"* ]]
		[ "$stderr" = "" ]
	done
	[ ! -e "$LLMPIPE_DB" ]
}

# The fake provider for index --embed and hybrid search: with "trigram",
# vectors near for alike texts; else the default, a hash of each text.
fake_embed() {
	rm -f "$BATS_TEST_TMPDIR/port"
	"$BATS_TEST_DIRNAME/fake-llm" --port-file "$BATS_TEST_TMPDIR/port" \
		--log "$BATS_TEST_TMPDIR/log" --script "$BATS_TEST_TMPDIR/script" \
		--embedding "${1:-hash}" 3>&- &
	FAKE_PID=$!
	for _ in $(seq 500); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.01; done
	export OPENAI_BASE_URL=http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")/v1
	export OPENAI_API_KEY=sk-test-memdb XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
}

# The texts embedded, one line for each request, each text stripped.
embedded() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(r["body"]["model"] + ": " + " | ".join(t.strip() for t in r["body"]["input"]))' "$BATS_TEST_TMPDIR/log"
}

@test "index --embed: a vector for each new text, none again for the unchanged, again for a change of model" {
	fake_embed
	t="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$t"
	echo 'alpha words' >"$t/a.txt"
	echo 'beta words' >"$t/b.txt"
	echo 'alpha words' >"$t/c.txt" # the same text: one vector for both
	run -0 --separate-stderr llm-memdb index --embed "$t"
	[[ "$output" == '{"files":3,"indexed":3,"unchanged":0,"removed":0,"skipped":0,"docs":3,"embed_model":"text-embedding-3-small","embedded":2,"vectors_dropped":0,"usage":{"input_tokens":'*'"cost_usd":'* ]]
	[ "$(embedded)" = 'text-embedding-3-small: alpha words | beta words' ]
	[ "$(count embeddings)" = 2 ]
	[ "$(sqlite3 "$LLMPIPE_DB" 'SELECT DISTINCT length(vector) FROM embeddings')" = 32 ]
	run -0 llm-memdb index --embed "$t"
	[[ "$output" == *'"embedded":0,"vectors_dropped":0}' ]]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/log")" = 1 ]
	# A changed file: only its text is embedded; the old vector goes.
	echo 'gamma words' >"$t/b.txt"
	run -0 llm-memdb index --embed "$t"
	[[ "$output" == *'"embedded":1,"vectors_dropped":1,'* ]]
	[ "$(embedded | sed -n 2p)" = 'text-embedding-3-small: gamma words' ]
	# Another model: every text again, the other model's vectors gone.
	run -0 llm-memdb index --embed-model text-embedding-3-large "$t"
	[[ "$output" == *'"embed_model":"text-embedding-3-large","embedded":2,"vectors_dropped":2,'* ]]
	[ "$(embedded | sed -n 3p)" = 'text-embedding-3-large: alpha words | gamma words' ]
	[ "$(sqlite3 "$LLMPIPE_DB" 'SELECT DISTINCT model FROM embeddings')" = text-embedding-3-large ]
	# Without --embed, the vectors stay as they are.
	run -0 llm-memdb index "$t"
	[ "$(count embeddings)" = 2 ]
}

@test "index --embed shows its progress when standard error is a terminal" {
	fake_embed
	t="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$t"
	for i in $(seq 1 300); do echo "file $i" >"$t/f$i.txt"; done
	run env SHELL=/bin/bash script -qec "llm-memdb index --embed '$t' >'$BATS_TEST_TMPDIR/out'" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *$'\rembedding: 256 docs\rembedding: 300 docs\r' ]]
	grep -q '"embedded":300,' "$BATS_TEST_TMPDIR/out"
	# Two rounds of llm-ask (256 texts, then 44), in batches of 128.
	[ "$(wc -l <"$BATS_TEST_TMPDIR/log")" = 3 ]
}

@test "index --embed: a bad reply, or vectors of other dimensions, store nothing" {
	t="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$t"
	echo 'alpha words' >"$t/a.txt"
	echo 'bad-embeddings dims' >"$BATS_TEST_TMPDIR/script"
	echo 'beta words' >"$t/b.txt"
	fake_embed
	run -1 --separate-stderr llm-memdb index --embed "$t"
	[[ "$stderr" == *'the reply does not hold one vector of finite numbers'* ]]
	[[ "$stderr" == *'llm-memdb: index --embed: 0 docs embedded; run it again for the rest'* ]]
	[ "$(count embeddings)" = 0 ]
	[ "$(count docs)" = 2 ] # the index itself is kept
	run -0 llm-memdb index --embed "$t" # the next request is answered well
	[ "$(count embeddings)" = 2 ]
	# The same model now answers in 256 dimensions: refused, not mixed.
	kill "$FAKE_PID" && wait "$FAKE_PID" || true
	rm "$BATS_TEST_TMPDIR/script"
	fake_embed trigram
	echo 'gamma words' >"$t/c.txt"
	run -1 --separate-stderr llm-memdb index --embed "$t"
	[[ "$stderr" == *"a vector of 256 dimensions, where text-embedding-3-small's stored ones have 8; nothing stored"* ]]
	[ "$(count embeddings)" = 2 ]
}

@test "index --embed: vectors of another model, of zeros or of no numbers store nothing" {
	t="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$t"
	echo 'alpha words' >"$t/a.txt"
	out="$BATS_TEST_TMPDIR/out.jsonl"
	# The command that embeds is the user's to choose: this one prints
	# what the test wrote and reads its input.
	export LLMPIPE_ASK="cat '$out'; cat >/dev/null; :"
	for vector in '"model":"other","dims":2,"vector":[1,0]' \
		'"model":"text-embedding-3-small","dims":2,"vector":[1e-82,0]' \
		'"model":"text-embedding-3-small","dims":2,"vector":[1,"x"]'; do
		echo "{\"type\":\"embedding\",$vector}" >"$out"
		run -1 --separate-stderr llm-memdb index --embed "$t"
		[ "$(count embeddings)" = 0 ]
		echo "${stderr_lines[0]}" >>"$BATS_TEST_TMPDIR/errors"
	done
	[ "$(cat "$BATS_TEST_TMPDIR/errors")" = "llm-memdb: index --embed: a vector of another model than the one asked for; nothing stored of this call
llm-memdb: index --embed: the vector is all zeros; nothing stored of this call
llm-memdb: index --embed: the vector holds a value that is not a finite number; nothing stored of this call" ]
}

@test "search is hybrid once the index has vectors: BM25 and the nearest docs, fused by rank" {
	fake_embed trigram
	t="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$t"
	echo 'The parser builds the syntax tree.' >"$t/parser.c"
	echo 'Releasing: tag the commit and publish the tarball.' >"$t/release.md"
	echo 'Backups run nightly from cron.' >"$t/backup.md"
	llm-memdb index "$t" >/dev/null
	# BM25 alone: no doc holds the word "parsing" or "releases".
	run -0 llm-memdb search --any -k doc parsing releases
	[ "$output" = '' ]
	llm-memdb index --embed "$t" >/dev/null
	run -0 --separate-stderr llm-memdb search --any -k doc -n 2 parsing
	[[ "${lines[0]}" == '{"kind":"doc","score":0.01639,"source":"'"$t"'/parser.c#1",'* ]]
	[ "${#lines[@]}" = 2 ]
	# Found by both, a doc ranks above those found by the vectors alone:
	# 1/61 for BM25's first, plus 1/61, 1/62 or 1/63 for the vectors'.
	run -0 llm-memdb search --any -k doc nightly parsing
	[[ "${lines[0]}" =~ ^\{\"kind\":\"doc\",\"score\":0\.032[0-9]*,\"source\":\"$t/backup\.md#1\" ]]
	[[ "${lines[1]}" =~ \"score\":0\.01[56][0-9]*, ]]
	[ "${#lines[@]}" = 3 ]
	# Messages are not embedded: a search of them stays BM25.
	run -0 llm-memdb search -k message parsing
	[ "$output" = '' ]
	# context -q takes the nearest docs too.
	echo '{"role":"user","content":"hi","session":"s"}' | llm-memdb add
	run -0 llm-memdb context -s s -q 'parsing'
	[[ "${lines[0]}" == '{"type":"doc","source":"'"$t"'/parser.c#1",'* ]]
}

# 3,000 docs of words drawn from 400, each in a file of its own.
many_docs() {
	python3 - "$1" <<'PY'
import os, random, sys
random.seed(3)
words = ["w%dq%d" % (i, i * 7 % 13) for i in range(400)]
for i in range(3000):
    with open(os.path.join(sys.argv[1], "d%d.txt" % i), "w") as f:
        f.write(" ".join(random.choice(words) for _ in range(8)) + "\n")
PY
}

@test "search reads the vectors whose signs are nearest, and finds what reading every vector finds" {
	fake_embed trigram
	t="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$t"
	many_docs "$t"
	llm-memdb index --embed "$t" >/dev/null
	# The signs of 3,000 vectors in 12 blocks of 256 ids; none stale.
	[ "$(sqlite3 "$LLMPIPE_DB" 'SELECT count(*), sum(length(signs)) FROM vector_signs')" = "12|384000" ]
	[ "$(count vector_stale)" = 0 ]
	for q in w5q9 'w17q2 w33q10' 'w301q8 w2q1 w44q9'; do
		run -0 llm-memdb search -k doc -n 10 --any "$q"
		[ "${#lines[@]}" = 10 ]
		echo "$output" >"$BATS_TEST_TMPDIR/signs"
		run -0 llm-memdb search --exact -k doc -n 10 --any "$q"
		[ "$output" = "$(cat "$BATS_TEST_TMPDIR/signs")" ]
	done
	# A vector changed by another program: its block is read from the
	# vectors until llm-memdb writes the signs again.
	llm-memdb search -k doc -n 10 --any w5q9 >"$BATS_TEST_TMPDIR/before"
	sqlite3 "$LLMPIPE_DB" "UPDATE embeddings SET vector = vector WHERE id = 300; DELETE FROM vector_signs WHERE block = 1"
	[ "$(sqlite3 "$LLMPIPE_DB" 'SELECT block FROM vector_stale')" = 1 ]
	run -0 llm-memdb search -k doc -n 10 --any w5q9
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/before")" ]
	llm-memdb index --embed "$t" >/dev/null
	[ "$(count vector_stale)" = 0 ]
	[ "$(count vector_signs)" = 12 ]
}

@test "without a key, or when the query's embedding fails, search is BM25 alone, said once" {
	fake_embed trigram
	t="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$t"
	echo 'The parser builds the syntax tree.' >"$t/parser.c"
	llm-memdb index --embed "$t" >/dev/null
	unset OPENAI_API_KEY
	run -0 --separate-stderr llm-memdb search --any parser tree
	[[ "$output" == '{"kind":"doc","score":'* ]]
	[ "$stderr" = 'llm-memdb: search: no API key for the query'"'"'s embedding (text-embedding-3-small); BM25 alone' ]
	run -0 --separate-stderr llm-memdb context -s none -q 'parser tree'
	[ "${#stderr_lines[@]}" = 1 ]
	export OPENAI_API_KEY=sk-test-memdb
	printf 'ok\nstatus 400\n' >"$BATS_TEST_TMPDIR/script" # the 1st: index's
	run -0 --separate-stderr llm-memdb search --any parser tree
	[[ "$output" == '{"kind":"doc","score":'* ]]
	[[ "${stderr_lines[-1]}" == 'llm-memdb: search: the call failed for the query'"'"'s embedding (text-embedding-3-small); BM25 alone' ]]
}

@test "export and import keep the vectors, of one model" {
	fake_embed
	t="$BATS_TEST_TMPDIR/tree"
	mkdir -p "$t"
	echo 'alpha words' >"$t/a.txt"
	llm-memdb index --embed "$t" >/dev/null
	llm-memdb export >"$BATS_TEST_TMPDIR/one"
	grep -q '^{"type":"memdb.embedding","model":"text-embedding-3-small","hash":"[0-9a-f]*","vector":"[0-9A-F]*"}$' "$BATS_TEST_TMPDIR/one"
	LLMPIPE_DB="$BATS_TEST_TMPDIR/copy.db" llm-memdb import <"$BATS_TEST_TMPDIR/one"
	LLMPIPE_DB="$BATS_TEST_TMPDIR/copy.db" llm-memdb export >"$BATS_TEST_TMPDIR/two"
	cmp "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/two"
	# The signs are made again, not exported; a second import of the
	# same vectors rewrites them (an upsert that the triggers see).
	[ "$(sqlite3 "$BATS_TEST_TMPDIR/copy.db" 'SELECT count(*) FROM vector_signs')" = 1 ]
	LLMPIPE_DB="$BATS_TEST_TMPDIR/copy.db" llm-memdb import <"$BATS_TEST_TMPDIR/one"
	[ "$(sqlite3 "$BATS_TEST_TMPDIR/copy.db" 'SELECT count(*) FROM vector_stale')" = 0 ]
	[ "$(sqlite3 "$BATS_TEST_TMPDIR/copy.db" 'SELECT count(*) FROM vector_signs')" = 1 ]
	run -1 --separate-stderr llm-memdb import <<<'{"type":"memdb.embedding","model":"m","hash":"h","vector":"00zz00C0"}'
	[ "$stderr" = 'llm-memdb: line 1: the vector is not the hex of float32 numbers
llm-memdb: bad input: nothing added' ]
	# A database holds the vectors of one model.
	run -1 --separate-stderr llm-memdb import <<<'{"type":"memdb.embedding","model":"other","hash":"h","vector":"0000803F"}'
	[ "${stderr_lines[0]}" = "llm-memdb: line 1: a vector of other, where the stored ones are of text-embedding-3-small (one model a database)" ]
	[ "$(count embeddings)" = 1 ]
}

@test "retrieval: hybrid search finds at least what BM25 alone does, on the labelled set" {
	run -0 "$BATS_TEST_DIRNAME/../scripts/eval-retrieval" --json
	python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert s["queries"] >= 30, s
assert s["hybrid"]["recall"] >= s["bm25"]["recall"], s
assert s["hybrid"]["mrr"] > s["bm25"]["mrr"], s
assert s["hybrid"]["recall"] >= 0.9, s' "$output"
}
