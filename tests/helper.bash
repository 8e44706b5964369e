# Shared by every suite: puts the programs under test first on PATH.
bats_require_minimum_version 1.5.0
# LLMPIPE_BIN names their directory (default: bin/ of this checkout);
# LLMPIPE_WRAP, if set, runs each of them under a wrapper such as valgrind.

bats_load_library bats-support
bats_load_library bats-assert

LLMPIPE_BIN=${LLMPIPE_BIN:-$(cd "$BATS_TEST_DIRNAME/../bin" && pwd)}
PATH="$LLMPIPE_BIN:$PATH"
GOLDEN="$BATS_TEST_DIRNAME/golden"

if [ -n "${LLMPIPE_WRAP:-}" ]; then
	for prog in "$LLMPIPE_BIN"/*; do
		name=${prog##*/}
		eval "$name() { $LLMPIPE_WRAP \"$prog\" \"\$@\"; }"
		export -f "$name"
	done
fi

# Turns plain text on stdin into one JSON string literal on stdout.
json_string() {
	printf '"'
	sed 's/\\/\\\\/g; s/"/\\"/g; s/\t/\\t/g; s/\r/\\r/g; s/$/\\n/' | tr -d '\n'
	printf '"'
}
