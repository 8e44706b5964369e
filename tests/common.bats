#!/usr/bin/env bats
# The shared library's units, tested directly by tests/unit/test-common.c:
# UTF-8 repair, split points, special tokens, the model table, the reader.

load helper

@test "the units of common/ pass their direct tests" {
	local unit=${LLMPIPE_UNIT:-$BATS_TEST_DIRNAME/../build/test-common}
	if [ -n "${LLMPIPE_WRAP:-}" ]; then
		run --separate-stderr $LLMPIPE_WRAP "$unit"
	else
		run --separate-stderr "$unit"
	fi
	[ "$status" -eq 0 ]
	[ "${lines[${#lines[@]} - 1]}" = "252 passed, 0 failed" ]
	[ "$stderr" = 'test-common: line 4: line too long (over 16 bytes)' ]
}
