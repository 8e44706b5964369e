#!/usr/bin/env bats
# The README's examples, run as they are shown, with the files they name
# (tests/readme/) and the fake provider for the calls to a model.

load helper

setup() {
	cp -r "$BATS_TEST_DIRNAME/readme/." "$BATS_TEST_TMPDIR/"
	cd "$BATS_TEST_TMPDIR"
	export LLMPIPE_DB=$BATS_TEST_TMPDIR/memory.db HOME=$BATS_TEST_TMPDIR
	export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/config
	unset XDG_DATA_HOME LLMPIPE_MODEL
	yes ok | head -50 >script
	"$BATS_TEST_DIRNAME/fake-llm" --port-file port --log log --script script 3>&- &
	FAKE_PID=$!
	for _ in $(seq 500); do [ -s port ] && break; sleep 0.01; done
	local url=http://127.0.0.1:$(cat port)
	export OPENAI_BASE_URL=$url/v1 ANTHROPIC_BASE_URL=$url DEEPSEEK_BASE_URL=$url
	export OPENAI_API_KEY=sk-readme-1 ANTHROPIC_API_KEY=sk-readme-2 DEEPSEEK_API_KEY=sk-readme-3
}

teardown() {
	kill "$FAKE_PID" 2>/dev/null || true
	wait "$FAKE_PID" 2>/dev/null || true
}

@test "every example of the README runs as shown" {
	readme_examples "$BATS_TEST_DIRNAME/../README.md"
	[ "$n" -ge 15 ]
}
