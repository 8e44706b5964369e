#!/usr/bin/env bats
# llm-facts: the rules engine per language and trap, ops against known
# facts, the incremental pipeline through a real llm-memdb database, the
# llm engine against a fake model command, bad input, and the examples
# of its man page.

load helper

FACTS="$BATS_TEST_DIRNAME/facts"
FAKE="$FACTS/fake-ask"
TS=2026-11-24T10:00:00Z

setup() {
	cd "$BATS_TEST_TMPDIR"
	# No key and no model command: the rules engine is the default.
	for v in $(env | sed -n 's/^\([A-Za-z0-9_]*_API_KEY\)=.*/\1/p'); do
		unset "$v"
	done
	unset LLMPIPE_ASK XDG_CONFIG_HOME
	export HOME="$BATS_TEST_TMPDIR/home"
	export LLMPIPE_DB="$BATS_TEST_TMPDIR/memory.db"
}

# msg ID ROLE TEXT: a message record whose content is TEXT, at $TS.
msg() {
	printf '{"id":"%s","role":"%s","content":%s,"ts":"%s"}\n' "$1" "$2" \
		"$(printf '%s' "$3" | json_string)" "$TS"
}

# A fact record as the rules write it for message ID at $TS.
fact() {
	printf '{"type":"fact","kind":"%s","subject":"%s","content":"%s","op":"%s","source":"%s","ts":"%s"}' \
		"$1" "$2" "$3" "$4" "$5" "$TS"
}

# The live facts of session S in the store, one "kind subject" a line.
live() {
	llm-memdb facts -s S | python3 -c '
import json, sys
for line in sys.stdin:
    f = json.loads(line)
    print(f["kind"], f["subject"])'
}

@test "a fence that names its file: the file and the functions it defines" {
	run --separate-stderr llm-facts < <(msg m1 assistant "$(printf 'Here:\n\n```c src/arena.c\n#include <stdlib.h>\n\nstruct arena *arena_new(size_t);\n\nstruct arena *\narena_new(size_t cap)\n{\n\treturn calloc(1, cap);\n}\n\nvoid arena_free(struct arena *a) {\n\tfree(a);\n}\n```')")
	[ "$status" -eq 0 ]
	[ "$output" = "$(fact file_created src/arena.c 'c, 13 lines; defines arena_new, arena_free' add m1)
$(fact function_added arena_new 'c, src/arena.c: struct arena *arena_new(size_t cap)' add m1)
$(fact function_added arena_free 'c, src/arena.c: void arena_free(struct arena *a)' add m1)" ]
	[ "$stderr" = "" ]
}

@test "info strings and first-line comments that name a file" {
	{
		msg m1 assistant "$(printf '```python title="app/db.py"\nx = 1\n```')"
		msg m2 assistant "$(printf '```js:lib/x.js\nlet y;\n```')"
		msg m3 assistant "$(printf '```src/main.rs\nfn main() {}\n```')"
		msg m4 assistant "$(printf '```js\n// file: lib/util.js\nlet z;\n```')"
		msg m5 assistant "$(printf '```bash\n#!/bin/sh\n# path: scripts/run.sh\necho hi\n```')"
		msg m6 assistant "$(printf '```c\n/* file: src/y.c */\nint v;\n```')"
		msg m7 assistant "$(printf '```sql\n-- migrations/001.sql\nSELECT 1;\n```')"
		msg m8 assistant "$(printf 'Add this to `~/.bashrc`:\n\n```bash\nexport EDITOR=vi\n```')"
	} >in.jsonl
	run --separate-stderr llm-facts in.jsonl
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | python3 -c '
import json, sys
for l in sys.stdin: f = json.loads(l); print(f["source"], f["kind"], f["subject"])')" = "m1 file_created app/db.py
m2 file_created lib/x.js
m3 file_created src/main.rs
m3 function_added main
m4 file_created lib/util.js
m5 file_created scripts/run.sh
m6 file_created src/y.c
m7 file_created migrations/001.sql
m8 file_modified ~/.bashrc" ]
}

@test "definitions with a body in each language, and what is not one" {
	run --separate-stderr llm-facts < <(
		msg py assistant "$(printf '```python\nsquare = lambda x: x * x\n\nclass A:\n    async def load(self):\n        return 1\n\ndef stub(x): ...\n\nprint(load())\n```')"
		msg js assistant "$(printf '```ts\nexport interface Api {\n  get(id: string): Promise<Item>;\n}\nexport function parse(s: string): Node;\nexport function parse(s: string): Node {\n  return p(s);\n}\nconst save = async (item: Item) => {\n  await post(item);\n};\nitems.map((x) => x.id);\nclass C {\n  run(n: number): void {\n    if (n) {\n      go();\n    }\n  }\n}\n```')"
		msg go assistant "$(printf '```go\ntype Cache interface {\n\tGet(k string) string\n}\n\nfunc (s *Server) Start() error {\n\tgo func() {\n\t\trun()\n\t}()\n\treturn nil\n}\n```')"
		msg rs assistant "$(printf '```rust\npub trait Shape {\n    fn area(&self) -> f64;\n}\nimpl Shape for Sq {\n    fn area(&self) -> f64 {\n        let f = |x: f64| x * x;\n        f(self.0)\n    }\n}\npub fn join<I>(parts: I) -> String\nwhere\n    I: IntoIterator,\n{\n    String::new()\n}\n```')"
		msg sh assistant "$(printf '```sh\nbuild() {\n  make\n}\nfunction ship {\n  rsync -a out/ h:/srv/\n}\nbuild && ship\nif [ -f x ]; then echo y; fi\n```')"
		msg c assistant "$(printf '```c\nstatic int cmp(const void *, const void *);\ntypedef int (*fn)(int);\nint\nmain(void)\n{\n\tif (cmp(a, b)) {\n\t\treturn 1;\n\t}\n\treturn printf("x");\n}\n```')"
	)
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | python3 -c '
import json, sys
for l in sys.stdin: f = json.loads(l); print(f["source"], f["subject"])')" = "py load
js parse
js save
js run
go Start
rs area
rs join
sh build
sh ship
c main" ]
}

@test "diffs: created, modified, deleted and renamed files; only added definitions" {
	run --separate-stderr llm-facts < <(msg m1 assistant "$(cat <<-'EOF'
	```diff
	diff --git a/src/new.c b/src/new.c
	new file mode 100644
	--- /dev/null
	+++ b/src/new.c
	@@ -0,0 +1,4 @@
	+int
	+fresh(void)
	+{
	+}
	diff --git a/src/old.py b/src/old.py
	deleted file mode 100644
	--- a/src/old.py
	+++ /dev/null
	@@ -1,2 +0,0 @@
	-def gone():
	-    pass
	diff --git a/a.md b/b.md
	similarity index 100%
	rename from a.md
	rename to b.md
	--- a/pkg/t.go
	+++ b/pkg/t.go
	@@ -1,4 +1,8 @@ func context() {
	 func kept() {
	-func parseTok(s string) error {
	+func ParseToken(s string) error {
	 }
	+// TODO: cache the parsed tokens
	+
	+func extra() {
	+}
	```
	EOF
	)")
	[ "$status" -eq 0 ]
	[ "$output" = "$(fact file_created src/new.c 'c, 4 lines; defines fresh' add m1)
$(fact function_added fresh 'c, src/new.c: int fresh(void)' add m1)
$(fact file_deleted src/old.py 'deleted, 2 lines' add m1)
$(fact function_removed gone 'removed from src/old.py' add m1)
$(fact file_deleted a.md 'renamed to b.md' add m1)
$(fact file_created b.md 'renamed from a.md' add m1)
$(fact file_modified pkg/t.go '+5 -1 lines; adds ParseToken, extra' add m1)
$(fact function_added ParseToken 'go, pkg/t.go: func ParseToken(s string) error' add m1)
$(fact function_added extra 'go, pkg/t.go: func extra()' add m1)
$(fact function_removed parseTok 'removed from pkg/t.go' add m1)
$(fact todo 'cache the parsed tokens' 'TODO in pkg/t.go: cache the parsed tokens' add m1)" ]
}

@test "code quoted for review, calls, commands, logs and JSON give no fact" {
	run --separate-stderr llm-facts < <(
		msg u1 user "$(printf 'Why does this crash?\n\n```c src/io.c\nint\nread_all(int fd)\n{\n\treturn 0;\n}\n```')"
		msg a1 assistant "$(printf 'The bug is in this part of your parser:\n\n```python\ndef parse(s):\n    return s.split(":")\n```')"
		msg a2 assistant "$(printf 'You can call it like this:\n\n```python\nconn = connect("app.db")\nuser = fetch(conn, 42)\n```')"
		msg a3 assistant "$(printf 'Run:\n\n```sh\ngit mv src/a.c src/b.c\nmake test\n```')"
		msg a4 assistant "$(printf 'It returns:\n\n```json\n{"path": "src/x.json", "status": "created"}\n```')"
		msg u2 user "$(printf 'I get this:\n\n```\nTraceback (most recent call last):\n  File "app.py", line 3\n    def f(x)\nSyntaxError: expected ":"\n```')"
		msg u3 user "$(printf 'make fails:\nsrc/parser.c:88:12: error: implicit declaration of function parse_expr\nnpm ERR! code ERESOLVE')"
		msg u4 user 'Thanks, that works!'
		msg a5 assistant 'The stack trace shows the panic comes from `src/pool.rs:88`, which was modified in the last commit.'
	)
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	[ "$stderr" = "" ]
}

@test "the user's code counts when they say they wrote it" {
	run --separate-stderr llm-facts < <(msg u1 user "$(printf 'I added this to `utils/retry.py`, does it look right?\n\n```python\ndef retry(fn):\n    return fn()\n```')")
	[ "$status" -eq 0 ]
	[ "$output" = "$(fact file_modified utils/retry.py 'python, 2 lines; defines retry' add u1)
$(fact function_added retry 'python, utils/retry.py: def retry(fn)' add u1)" ]
}

@test "prose about files and functions: done, not planned, not asked" {
	run --separate-stderr llm-facts < <(
		msg a1 assistant 'I updated `src/config.c` so that a missing file is fine, and added a `--config` flag in `src/main.c`.'
		msg a2 assistant 'Done. I removed the unused `legacy_hash` function from `lib/hash.c` and renamed `docs/setup.md` to `docs/install.md`.'
		msg a3 assistant 'I renamed `getUser` to `fetchUser` everywhere.'
		msg a4 assistant "I'll create \`tests/conftest.py\` next."
		msg u1 user 'Can you update `src/main.c` to print the version?'
		msg a5 assistant "$(printf 'Files changed:\n- `src/lexer.c`: handle CRLF\n- `src/lexer.h`: a new token')"
	)
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | python3 -c '
import json, sys
for l in sys.stdin: f = json.loads(l); print(f["source"], f["kind"], f["subject"])')" = "a1 file_modified src/config.c
a1 file_modified src/main.c
a2 function_removed legacy_hash
a2 file_modified lib/hash.c
a2 file_deleted docs/setup.md
a2 file_created docs/install.md
a3 function_removed getUser
a3 function_added fetchUser
a5 file_modified src/lexer.c
a5 file_modified src/lexer.h" ]
}

@test "decisions, preferences and todos; not questions, options or negations" {
	run --separate-stderr llm-facts < <(
		msg u1 user "Let's go with PostgreSQL for the main database; SQLite was for prototyping."
		msg u2 user 'I prefer 4-space indentation. Always use snake_case for names.'
		msg u3 user 'Later we need rate limiting on the login endpoint. TODO: add retries with backoff.'
		msg u4 user 'Should we use Redis or Memcached for the cache?'
		msg a1 assistant 'We could use a queue like RabbitMQ, or we could poll every few seconds.'
		msg a2 assistant "We won't use an ORM here."
		msg a3 assistant 'If we switch to Vite, the dev server starts faster.'
		msg u5 user 'Going with the `tokio` runtime. Alright, Vite it is.'
	)
	[ "$status" -eq 0 ]
	[ "$output" = "$(fact decision postgresql "Let's go with PostgreSQL for the main database;" add u1)
$(fact preference 4-space\ indentation 'I prefer 4-space indentation.' add u2)
$(fact preference snake_case 'Always use snake_case for names.' add u2)
$(fact todo rate\ limiting 'Later we need rate limiting on the login endpoint.' add u3)
$(fact todo 'add retries with backoff' 'TODO: add retries with backoff.' add u3)
$(fact decision tokio 'Going with the `tokio` runtime.' add u5)
$(fact decision vite 'Alright, Vite it is.' add u5)" ]
}

@test "the same fact again is no op; changed code is an update, never a second add" {
	local v1 v2 v3
	v1=$(printf '```c src/a.c\nint\nf(void)\n{\n\treturn 0;\n}\n```')
	v2=$(printf '```c src/a.c\nint\nf(int x)\n{\n\treturn x;\n}\n```')
	v3=$(printf '```c src/a.c\nint\nf(int x)\n{\n\treturn x;\n}\n\nint\ng(void)\n{\n}\n```')
	run --separate-stderr llm-facts < <(
		msg m1 assistant "$v1"
		msg m2 assistant "$v1"
		msg m3 user 'As I said, I created `src/a.c`.'
		msg m4 assistant "$v2"
		msg m5 assistant "$v3"
		msg m6 assistant "$v3"
	)
	[ "$status" -eq 0 ]
	# v2 says of the file what v1 did (its lines, its functions): only
	# the function's head changed.
	[ "$output" = "$(fact file_created src/a.c 'c, 5 lines; defines f' add m1)
$(fact function_added f 'c, src/a.c: int f(void)' add m1)
$(fact function_added f 'c, src/a.c: int f(int x)' update m4)
$(fact file_modified src/a.c 'c, 10 lines; defines f, g' add m5)
$(fact function_added g 'c, src/a.c: int g(void)' add m5)" ]
}

@test "ops are relative to known facts as llm-memdb prints them, ids and all" {
	run --separate-stderr llm-facts < <(
		echo '{"type":"fact","kind":"decision","subject":"redis","content":"We will use Redis.","op":"add","source":"x","ts":"2026-01-01T00:00:00Z","id":"01J0000000000000000000000A","session":"S","z":[1]}'
		echo '{"type":"fact","kind":"file_created","subject":"src/a.c","content":"c","op":"add","id":"01J0000000000000000000000B","session":"S"}'
		echo '{"type":"fact","kind":"function_added","subject":"old_name","content":"c","op":"update","id":"01J0000000000000000000000C","session":"S"}'
		msg m1 user "Actually, we're dropping Redis. Let's switch from Flask to FastAPI."
		msg m2 assistant 'I deleted `src/a.c` and renamed `old_name` to `new_name`.'
	)
	[ "$status" -eq 0 ]
	[ "$output" = "$(fact decision redis "Actually, we're dropping Redis." delete m1)
$(fact decision fastapi "Let's switch from Flask to FastAPI." add m1)
$(fact file_created src/a.c 'I deleted `src/a.c` and renamed `old_name` to `new_name`.' delete m2)
$(fact file_deleted src/a.c 'I deleted `src/a.c` and renamed `old_name` to `new_name`.' add m2)
$(fact function_added old_name 'I deleted `src/a.c` and renamed `old_name` to `new_name`.' delete m2)
$(fact function_removed old_name 'I deleted `src/a.c` and renamed `old_name` to `new_name`.' add m2)
$(fact function_added new_name 'I deleted `src/a.c` and renamed `old_name` to `new_name`.' add m2)" ]
	[ "$stderr" = "" ]
}

@test "a known fact with history's deletes is applied in order" {
	run --separate-stderr llm-facts < <(
		echo '{"type":"fact","kind":"decision","subject":"jwt","content":"x","op":"add"}'
		echo '{"type":"fact","kind":"decision","subject":"jwt","op":"delete"}'
		msg m1 user "We'll use JWT for auth."
	)
	[ "$status" -eq 0 ]
	[ "$output" = "$(fact decision jwt "We'll use JWT for auth." add m1)" ]
}

@test "incremental: llm-memdb facts | cat - turn | llm-facts | llm-memdb add, turn by turn" {
	llm-memdb session new S >/dev/null
	# 1: a decision and a new file with two functions.
	{
		msg u1 user "Let's use Redis for the session cache."
		msg a1 assistant "$(printf 'Here it is:\n\n```c src/cache.c\nint\ncache_get(const char *k)\n{\n\treturn 0;\n}\n\nint\ncache_put(const char *k)\n{\n\treturn 0;\n}\n```')"
	} >t1.jsonl
	llm-memdb facts -s S | cat - t1.jsonl | llm-facts | llm-memdb add -s S
	[ "$(live)" = "decision redis
file_created src/cache.c
function_added cache_get
function_added cache_put" ]
	# 2: a preference; a diff that removes a function; repeated mentions.
	{
		msg u2 user "Always use snake_case. We'll use Redis, as I said."
		msg a2 assistant "$(printf 'I created `src/cache.c` earlier; now:\n\n```diff\n--- a/src/cache.c\n+++ b/src/cache.c\n@@ -5,7 +5,2 @@\n }\n-\n-int\n-cache_put(const char *k)\n-{\n-\treturn 0;\n-}\n```')"
	} >t2.jsonl
	llm-memdb facts -s S | cat - t2.jsonl | llm-facts | llm-memdb add -s S
	[ "$(live)" = "decision redis
file_created src/cache.c
function_added cache_get
preference snake_case
file_modified src/cache.c
function_removed cache_put" ]
	# 3: a reversal, a renamed file, a renamed function.
	{
		msg u3 user "Actually, we're dropping Redis; let's use Memcached instead."
		msg a3 assistant "$(printf 'Renamed the file to match, and `cache_get` is now `store_get`:\n\n```diff\ndiff --git a/src/cache.c b/src/store.c\nsimilarity index 90%%\nrename from src/cache.c\nrename to src/store.c\n--- a/src/cache.c\n+++ b/src/store.c\n@@ -1,4 +1,4 @@\n int\n-cache_get(const char *k)\n+store_get(const char *k)\n {\n \treturn 0;\n```')"
	} >t3.jsonl
	llm-memdb facts -s S | cat - t3.jsonl | llm-facts | llm-memdb add -s S
	[ "$(live)" = "preference snake_case
function_removed cache_put
decision memcached
file_deleted src/cache.c
file_created src/store.c
function_added store_get
function_removed cache_get" ]
	# 4: the same things said again change nothing.
	{
		msg u4 user "Thanks! Let's use Memcached, as agreed. Always use snake_case."
		msg a4 assistant 'Sure. I renamed `src/cache.c` to `src/store.c` earlier.'
	} >t4.jsonl
	run --separate-stderr bash -c 'llm-memdb facts -s S | cat - t4.jsonl | llm-facts'
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	llm-memdb facts -s S | cat - t4.jsonl | llm-facts | llm-memdb add -s S
	# 5: a file deleted ends what said it was there.
	msg a5 assistant 'I deleted `src/store.c`; nothing uses it.' >t5.jsonl
	llm-memdb facts -s S | cat - t5.jsonl | llm-facts | llm-memdb add -s S
	[ "$(live)" = "preference snake_case
function_removed cache_put
decision memcached
file_deleted src/cache.c
function_added store_get
function_removed cache_get
file_deleted src/store.c" ]
	run llm-memdb files -s S
	[[ "$output" == *'"path":"src/store.c","change":"deleted"'* ]]
}

@test "-f context prints the live facts exactly as llm-ask shows them to a model" {
	{
		echo '{"type":"fact","kind":"decision","subject":"redis","content":"We will use Redis.","op":"add"}'
		echo '{"type":"fact","kind":"note","content":"no subject, only content","op":"add"}'
		msg m1 user "We're dropping Redis. Let's use SQLite. I prefer tabs."
		msg m2 assistant "$(printf '```go\n// file: main.go\nfunc main() {\n}\n```')"
	} >in.jsonl
	run --separate-stderr llm-facts -f context in.jsonl
	[ "$status" -eq 0 ]
	[ "$output" = '{"role":"system","content":"Known facts:\n- note: no subject, only content\n- decision sqlite: Let'"'"'s use SQLite.\n- preference tabs: I prefer tabs.\n- file_created main.go: go, 3 lines; defines main\n- function_added main: go, main.go: func main()"}' ]
	# llm-ask folds the same facts, as records, into the same text.
	llm-facts in.jsonl >ops.jsonl
	body=$( (grep '"type":"fact"' in.jsonl; cat ops.jsonl; echo '{"role":"user","content":"hi"}') |
		llm-ask --dry-run -m gpt-4o)
	[ "$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["messages"][0]["content"])' "$body")" = \
		"$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["content"])' "$output")" ]
}

@test "-f context with no live fact prints nothing" {
	run --separate-stderr llm-facts -f context < <(msg m1 user 'Thanks!')
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
}

@test "-p passes every record, each message before its facts, and gives ids" {
	run --separate-stderr llm-facts -p < <(
		echo '{"type":"route","task":"code","model":"deepseek-coder"}'
		echo '{"role":"user","content":"We will use Go.","z":{"a":[1,2]},"ts":"2026-11-24T10:00:00Z"}'
		echo '{"role":"tool","content":"We will use Rust.","tool_call_id":"c1"}'
		msg m2 assistant 'Sure.'
	)
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '{"type":"route","task":"code","model":"deepseek-coder"}' ]
	[[ "${lines[1]}" =~ ^\{\"role\":\"user\",\"content\":\"We\ will\ use\ Go.\",\"z\":\{\"a\":\[1,2\]\},\"ts\":\"2026-11-24T10:00:00Z\",\"id\":\"([0-9A-HJKMNP-TV-Z]{26})\"\}$ ]]
	id=${BASH_REMATCH[1]}
	[ "${lines[2]}" = "$(fact decision go 'We will use Go.' add "$id")" ]
	[ "${lines[3]}" = '{"role":"tool","content":"We will use Rust.","tool_call_id":"c1"}' ]
	[ "${lines[4]}" = "$(msg m2 assistant 'Sure.')" ]
	[ "${#lines[@]}" -eq 5 ]
}

@test "-p into llm-memdb add stores the turn and its facts, linked by id" {
	msg m1 user "We'll use JWT." | llm-facts -p | llm-memdb add -s S
	run llm-memdb log -s S
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == *'"kind":"decision","subject":"jwt"'*'"source":"m1"'* ]]
}

@test "a message without id or time: no source, the time now; the session is kept" {
	run --separate-stderr llm-facts <<<'{"role":"user","content":"We will use Go.","session":"work"}'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^\{\"type\":\"fact\",\"kind\":\"decision\",\"subject\":\"go\",\"content\":\"We\ will\ use\ Go.\",\"op\":\"add\",\"ts\":\"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\",\"session\":\"work\"\}$ ]]
}

@test "content as an array of parts is read; system and tool messages are not" {
	run --separate-stderr llm-facts < <(
		echo '{"id":"m1","role":"user","content":[{"type":"text","text":"We will "},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"use Zig."}],"ts":"2026-11-24T10:00:00Z"}'
		echo '{"role":"system","content":"We will use Lisp."}'
		echo '{"role":"tool","content":"We will use Perl.","tool_call_id":"t"}'
		echo '{"role":"assistant","tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]}'
		echo '{"type":"summary","role":"system","content":"We will use Ada."}'
	)
	[ "$status" -eq 0 ]
	[ "$output" = "$(fact decision zig 'We will use Zig.' add m1)" ]
}

@test "reports a bad line by number and goes on" {
	run -1 --separate-stderr llm-facts < <(
		msg m1 user 'We will use Go.'
		echo '{"role": nope}'
		echo '{"role":"robot","content":"x"}'
		msg m4 user 'We will use Rust.'
	)
	[ "$output" = "$(fact decision go 'We will use Go.' add m1)
$(fact decision rust 'We will use Rust.' add m4)" ]
	[ "$stderr" = "llm-facts: line 2: invalid JSON: syntax error at column 10
llm-facts: line 3: unknown role 'robot' (system, user, assistant, tool or developer)" ]
}

@test "a known fact of the wrong shape is a clear error" {
	run -1 --separate-stderr llm-facts < <(
		echo '{"type":"fact","subject":"x","op":"add"}'
		echo '{"type":"fact","kind":"gadget","subject":"x","op":"add"}'
		echo '{"type":"fact","kind":"decision","subject":"x","op":"replace"}'
		echo '{"type":"fact","kind":"decision","op":"add"}'
		echo '{"type":"fact","kind":"decision","subject":7}'
		echo '{"type":"fact","kind":"todo","subject":"tests","op":"add","ts":"yesterday"}'
		msg m7 user 'We will use Go.'
	)
	[ "$output" = "$(fact decision go 'We will use Go.' add m7)" ]
	[ "$stderr" = "llm-facts: line 1: a fact needs a 'kind'
llm-facts: line 2: unknown fact kind 'gadget' (file_created, file_modified, file_deleted, function_added, function_removed, decision, preference, todo or note)
llm-facts: line 3: a fact's 'op' is not add, update or delete
llm-facts: line 4: a fact needs a 'subject' or a 'content'
llm-facts: line 5: a fact's 'subject' and 'source' must be strings
llm-facts: line 6: 'ts' is not an RFC 3339 time" ]
}

@test "usage errors" {
	run -2 --separate-stderr llm-facts --bogus
	# getopt names the program as it was run: a path under valgrind.
	[[ "${stderr_lines[0]}" == *"llm-facts: unrecognized option '--bogus'" ]]
	[ "${stderr_lines[1]}" = "usage: llm-facts [-p] [-e rules|llm] [-f ops|context] [-m model]" ]
	run -2 --separate-stderr llm-facts -e magic
	[ "${stderr_lines[0]}" = "llm-facts: -e: not rules or llm: 'magic'" ]
	run -2 --separate-stderr llm-facts -f yaml
	[ "${stderr_lines[0]}" = "llm-facts: -f: not ops or context: 'yaml'" ]
	run -2 --separate-stderr llm-facts -p -f context
	[ "${stderr_lines[0]}" = "llm-facts: -p prints records; -f context prints one block" ]
	run -2 --separate-stderr llm-facts -m no-such-model
	[ "${stderr_lines[0]}" = "llm-facts: unknown model 'no-such-model' (llm-ask --models lists them)" ]
	run -2 --separate-stderr llm-facts --timeout soon
	[ "${stderr_lines[0]}" = "llm-facts: --timeout: expected a whole number from 0 to 86400, not 'soon'" ]
}

@test "--help, --version" {
	run --separate-stderr llm-facts --help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "usage: llm-facts [-p] [-e rules|llm] [-f ops|context] [-m model]" ]
	run llm-facts --version
	[ "$output" = "llm-facts 0.1.0" ]
}

@test "empty input gives empty output" {
	run --separate-stderr llm-facts </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	[ "$stderr" = "" ]
}

@test "reads the files named in turn, - as standard input; a missing one is reported" {
	msg m1 user 'We will use Go.' >a.jsonl
	msg m3 user 'We will use Rust.' >c.jsonl
	run -1 --separate-stderr llm-facts a.jsonl - missing.jsonl c.jsonl < <(msg m2 user 'We will use Zig.')
	[ "$output" = "$(fact decision go 'We will use Go.' add m1)
$(fact decision zig 'We will use Zig.' add m2)
$(fact decision rust 'We will use Rust.' add m3)" ]
	[ "$stderr" = "llm-facts: missing.jsonl: No such file or directory" ]
}

@test "very large input: a message of 20,000 functions, and 5,000 messages" {
	python3 - <<-'EOF' >big.jsonl
	import json
	code = "".join("int\nf%d(void)\n{\n\treturn %d;\n}\n\n" % (i, i) for i in range(20000))
	print(json.dumps({"id": "big", "role": "assistant", "ts": "2026-11-24T10:00:00Z",
	                  "content": "```c src/big.c\n" + code + "```"}))
	for i in range(5000):
	    print(json.dumps({"id": "m%d" % i, "role": "user", "ts": "2026-11-24T10:00:00Z",
	                      "content": "Later we need feature number %d. Thanks!" % i}))
	EOF
	run --separate-stderr llm-facts big.jsonl
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 25001 ]
	[ "${lines[0]}" = "$(fact file_created src/big.c 'c, 120000 lines; defines f0, f1, f2, f3, f4, f5, ...' add big)" ]
	[ "${lines[20000]}" = "$(fact function_added f19999 'c, src/big.c: int f19999(void)' add big)" ]
	[ "${lines[25000]}" = "$(fact todo 'feature number 4999' 'Later we need feature number 4999.' add m4999)" ]
}

@test "llm engine: the model's facts, checked, with the call's usage after them" {
	{
		echo '{"type":"fact","kind":"note","subject":"known","content":"x","op":"add"}'
		msg m1 user 'Let us go with PostgreSQL.'
		msg m2 assistant 'Tests will come.'
	} >in.jsonl
	FAKE_ASK_LOG=log run --separate-stderr llm-facts -e llm --ask "$FAKE" -m gpt-4o in.jsonl
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(fact decision postgresql 'The main database is PostgreSQL.' add m1)" ]
	[ "${lines[1]}" = "$(fact todo 'add tests' 'Tests are to come.' add m2)" ]
	[[ "${lines[2]}" =~ ^\{\"type\":\"usage\",\"model\":\"gpt-4o\",\"provider\":\"openai\",\"usage\":\{\"input_tokens\":120,\"output_tokens\":40,\"cached_tokens\":0\},\"cost_usd\":0.0007,\"source\":\"m2\",\"ts\":\"[0-9T:.Z-]+\"\}$ ]]
	[ "${#lines[@]}" -eq 3 ]
	[ "$stderr" = "" ]
	# One call: the schema and the model as arguments; instructions, the
	# known facts and the messages as records.
	[ "$(grep -c '^args:' log)" -eq 1 ]
	[[ "$(sed -n 1p log)" == 'args: [--json-schema] [{"type":"object","properties":{"facts":{"type":"array","items":{"type":"object","properties":{"kind":{"enum":["file_created",'*'"required":["facts"],"additionalProperties":false}] [-m] [gpt-4o]' ]]
	[[ "$(sed -n 2p log)" == '{"role":"system","content":"You keep the facts of a coding session.'* ]]
	[ "$(sed -n 3p log)" = '{"type":"fact","kind":"note","subject":"known","content":"x","op":"add"}' ]
	[ "$(sed -n 4p log)" = '{"role":"user","content":"Message m1 (user):\nLet us go with PostgreSQL.\n\nMessage m2 (assistant):\nTests will come.\n\n"}' ]
}

@test "llm engine: invalid facts are dropped with a warning, the good ones kept" {
	FAKE_ASK=mixed run --separate-stderr llm-facts -e llm --ask "$FAKE" < <(
		echo '{"type":"fact","kind":"decision","subject":"redis","content":"We will use Redis.","op":"add"}'
		msg m1 user 'Hello.'
	)
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(fact decision jwt 'Tokens are JWTs.' add m1)" ]
	[[ "${lines[1]}" == '{"type":"usage",'* ]]
	[ "${#lines[@]}" -eq 2 ]
	[ "$stderr" = "llm-facts: dropped the model's fact 1: unknown kind 'gadget'
llm-facts: dropped the model's fact 2: no subject
llm-facts: dropped the model's fact 3: 'delete' of a fact not known: note gone
llm-facts: dropped the model's fact 4: 'update' of a fact not known: note new
llm-facts: dropped the model's fact 7: its content is not a string
llm-facts: dropped the model's fact 8: its op is not add, update or delete
llm-facts: dropped the model's fact 9: not an object" ]
}

@test "llm engine: facts in a code fence are facts" {
	FAKE_ASK=fenced run --separate-stderr llm-facts -e llm --ask "$FAKE" < <(msg m1 user 'Hi.')
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(fact note fenced 'It came in a fence.' add m1)" ]
}

@test "llm engine: a reply that holds no facts gives the rules' facts, said on stderr" {
	FAKE_ASK=garbage run --separate-stderr llm-facts -e llm --ask "$FAKE" < <(msg m1 user 'We will use Go.')
	[ "$status" -eq 0 ]
	[ "$output" = "$(fact decision go 'We will use Go.' add m1)" ]
	[ "$stderr" = "llm-facts: $FAKE: the reply holds no facts; the rules' facts instead" ]
	FAKE_ASK=none run --separate-stderr llm-facts -e llm --ask "$FAKE" < <(msg m1 user 'We will use Go.')
	[ "$status" -eq 0 ]
	[ "$output" = "$(fact decision go 'We will use Go.' add m1)" ]
	[ "$stderr" = "llm-facts: $FAKE: printed no reply record
llm-facts: $FAKE: the model call failed; the rules' facts instead" ]
}

@test "llm engine: a key problem (4) or a transient one (5) is the exit status, after the rules' facts" {
	{
		msg m1 user 'We will use Go.'
		echo '{"type":"fact","kind":"note","subject":"between","content":"x","op":"add"}'
		msg m2 user 'We will use Rust.'
	} >in.jsonl
	FAKE_ASK=exit4 FAKE_ASK_LOG=log run -4 --separate-stderr llm-facts -e llm --ask "$FAKE" in.jsonl
	[ "$output" = "$(fact decision go 'We will use Go.' add m1)
$(fact decision rust 'We will use Rust.' add m2)" ]
	[ "$stderr" = "llm-ask: openai: no API key: set OPENAI_API_KEY
llm-facts: $FAKE: the model call failed; the rules' facts instead" ]
	# The fact record ended the first call's messages; no second call.
	[ "$(grep -c '^args:' log)" -eq 1 ]
	FAKE_ASK=exit5 run -5 --separate-stderr llm-facts -e llm --ask "$FAKE" in.jsonl
	[ "${lines[0]}" = "$(fact decision go 'We will use Go.' add m1)" ]
}

@test "llm engine: a model call that takes too long is stopped" {
	FAKE_ASK=sleep run -5 --separate-stderr llm-facts -e llm --ask "$FAKE" --timeout 1 < <(msg m1 user 'We will use Go.')
	[ "$output" = "$(fact decision go 'We will use Go.' add m1)" ]
	[ "$stderr" = "llm-facts: $FAKE: no reply in time; stopped it
llm-facts: $FAKE: the model call failed; the rules' facts instead" ]
}

@test "the default engine: rules without a key, the model with one; the key goes nowhere" {
	FAKE_ASK_LOG=log run --separate-stderr llm-facts < <(msg m1 user 'We will use Go.')
	[ "$output" = "$(fact decision go 'We will use Go.' add m1)" ]
	[ ! -e log ]
	export OPENAI_API_KEY=sk-test-0123456789abcdef LLMPIPE_ASK=$FAKE
	FAKE_ASK_LOG=log run --separate-stderr llm-facts < <(msg m1 user 'Let us go with PostgreSQL.')
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(fact decision postgresql 'The main database is PostgreSQL.' add m1)" ]
	[ "$(grep -c '^args:' log)" -eq 1 ]
	! grep -q sk-test log
	[[ "$output$stderr" != *sk-test* ]]
}

@test "the rules engine scores P >= 0.9 and R >= 0.85 on the gold set" {
	run --separate-stderr env LLM_FACTS="$LLMPIPE_BIN/llm-facts" \
		"$BATS_TEST_DIRNAME/../scripts/eval-facts" --json
	[ "$status" -eq 0 ]
	python3 - "$output" <<-'EOF'
	import json, sys
	s = json.loads(sys.argv[1])
	assert s["messages"] >= 80, s
	assert s["precision"] >= 0.9 and s["recall"] >= 0.85, s
	assert s["fact_free_with_facts"] <= 0.1, s
	EOF
}

@test "the examples of the manual page" {
	man_examples "$BATS_TEST_DIRNAME/../man/llm-facts.1"
	[ "$n" -eq 7 ]
	[ "$(llm-memdb facts -s work | python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["subject"])')" = fastapi ]
}
