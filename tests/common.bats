#!/usr/bin/env bats
# The shared library's units, tested directly by tests/unit/test-common.c:
# UTF-8 repair, split points, special tokens, the model table, the reader,
# the JSON parser, records, the context, budget fitting, chunks, the child
# runner and the small helpers of util.

load helper

@test "the units of common/ pass their direct tests" {
	local unit=${LLMPIPE_UNIT:-$BATS_TEST_DIRNAME/../build/test-common}
	if [ -n "${LLMPIPE_WRAP:-}" ]; then
		run --separate-stderr $LLMPIPE_WRAP "$unit"
	else
		run --separate-stderr "$unit"
	fi
	[ "$status" -eq 0 ]
	[ "${lines[${#lines[@]} - 1]}" = "1502 passed, 0 failed" ]
	[ "$stderr" = "test-common: line 4: line too long (over 16 bytes)
test-common: exit 7: exit status 7
test-common: cat >/dev/null: printed no reply record
test-common: sleep 5: no reply in time; stopped it" ]
}

@test "the examples of llmpipe(7) run, as shown" {
	cd "$BATS_TEST_TMPDIR"
	export LLMPIPE_DB=$BATS_TEST_TMPDIR/memory.db HOME=$BATS_TEST_TMPDIR
	unset XDG_CONFIG_HOME LLMPIPE_MODEL
	man_examples "$BATS_TEST_DIRNAME/../man/llmpipe.7"
	[ "$n" -eq 4 ]
}
