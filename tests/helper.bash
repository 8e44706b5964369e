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
		# Programs, not scripts: those run the wrapped programs.
		[ "$(head -c 4 "$prog")" = $'\x7fELF' ] || continue
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

# Runs the EXAMPLES of a manual page, in the current directory, and sets
# n to the number run: in each literal block, a line "$ command"
# (continued by lines ending in a backslash) is run, with pipefail and
# standard input from /dev/null unless it redirects its own, and what
# follows up to the next command is its expected output, compared
# exactly; "..." stands for output that varies.  Each must exit 0, or
# with the status its line ends with as "# exit N".  A block with no "$"
# is a script that must succeed and print nothing.
man_examples() {
	local page=$1 in_examples=0 in_block=0 cmd="" expect="" script="" line
	n=0
	check() {
		local got want=0 st
		[ -n "$cmd" ] || return 0
		[[ $cmd =~ \#\ exit\ ([0-9]+)$ ]] && want=${BASH_REMATCH[1]}
		got=$(bash -o pipefail -c "$cmd" </dev/null 2>"$BATS_TEST_TMPDIR/example.err") &&
			st=0 || st=$?
		if [ "$st" != "$want" ]; then
			printf 'example: %s\nexit status %s, not %s\n%s\n' "$cmd" "$st" "$want" \
				"$(cat "$BATS_TEST_TMPDIR/example.err")"
			return 1
		fi
		if [ "$expect" != "..." ] && [ "$got" != "$expect" ]; then
			printf 'example: %s\nexpected: %s\ngot: %s\n' "$cmd" "$expect" "$got"
			return 1
		fi
		n=$((n + 1))
		cmd="" expect=""
	}
	while IFS= read -r line; do
		line=${line//\\e/\\}
		line=${line#\\&}
		case $line in
		'.Sh EXAMPLES') in_examples=1 ;;
		'.Sh '*) in_examples=0 ;;
		'.Bd -literal'*) [ $in_examples = 1 ] && in_block=1 cmd="" expect="" script="" ;;
		'.Ed')
			[ $in_block = 1 ] || continue
			in_block=0
			check || return 1
			if [ -n "$script" ]; then
				out=$(bash -o pipefail -c "$script" </dev/null 2>&1) ||
					{ printf 'script failed: %s\n%s\n' "$script" "$out"; return 1; }
				[ -z "$out" ] || { printf 'script printed: %s\n' "$out"; return 1; }
				n=$((n + 1))
			fi
			;;
		*)
			[ $in_block = 1 ] || continue
			if [[ $line == '$ '* ]]; then
				check || return 1
				cmd=${line#\$ }
			elif [ -n "$cmd" ] && [[ $cmd == *\\ ]]; then
				cmd=${cmd%\\}${line# }
			elif [ -n "$cmd" ]; then
				expect+=${expect:+$'\n'}$line
			else
				script+=$line$'\n'
			fi
			;;
		esac
	done <"$page"
}

# Runs "$@" (a program under test, or a shell function) as an unprivileged
# user when the suite runs as root, who may read and write any file, so
# that tests of permissions run everywhere; as it is otherwise.  The
# files it uses must be in a directory such a user can reach (see
# shared_dir).
as_user() {
	if [ "$(id -u)" -ne 0 ]; then
		"$@"
		return
	fi
	setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		bash -c '"$@"' bash "$@"
}

# Makes a directory that as_user's user can reach and prints its path;
# removed with the test's own temporary files by the test's teardown.
shared_dir() {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/llmpipe-test.XXXXXX")
	chmod 755 "$d"
	echo "$d"
}

# Runs the examples of a Markdown file as man_examples runs a page's:
# in each ```sh block whose lines begin with "$ ", each such line is a
# command ("> " lines continue it) and the lines up to the next are its
# output; "..." stands for output that varies.  Other blocks are left.
readme_examples() {
	local file=$1 in_block=0 cmd="" expect="" line page
	page=$BATS_TEST_TMPDIR/readme.mdoc
	# The same runner, given the blocks as a page's literal blocks.
	{
		echo '.Sh EXAMPLES'
		while IFS= read -r line; do
			case $line in
			'```sh') in_block=1 block="" ;;
			'```')
				if [ $in_block = 1 ] && [[ $block == '$ '* ]]; then
					printf '.Bd -literal\n%s.Ed\n' "$block"
				fi
				in_block=0
				;;
			*)
				[ $in_block = 1 ] || continue
				if [[ $line == '> '* ]]; then
					block=${block%$'\n'}
					block+=" ${line#> }"$'\n'
				else
					block+=$line$'\n'
				fi
				;;
			esac
		done <"$file"
	} >"$page"
	man_examples "$page"
}

# Prints how many kB of program $1's own file are mapped in pages of
# 2 MB while it waits for its input, with o200k_base.
huge_mapped() {
	local fifo="$BATS_TEST_TMPDIR/fifo.$$" pid kb=0 i
	rm -f "$fifo"
	mkfifo "$fifo"
	"$1" -e o200k_base <"$fifo" >/dev/null &
	pid=$!
	exec 3>"$fifo"
	echo '{"content":"hello world"}' >&3
	for i in $(seq 100); do
		kb=$(awk -v f="$1" '/^[0-9a-f]+-/ { ours = $6 == f }
			ours && /^FilePmdMapped:/ { kb += $2 }
			END { print kb + 0 }' "/proc/$pid/smaps")
		[ "$kb" -gt 0 ] && break
		sleep 0.02
	done
	exec 3>&-
	wait "$pid"
	echo "$kb"
}

# Whether the kernel maps a copy of program $1 made in writes of 2 MB, as
# make makes them, in pages of 2 MB: that is the kernel's to say.
kernel_maps_huge() {
	dd if="$1" of="$BATS_TEST_TMPDIR/huge-copy" bs=2M status=none
	chmod 755 "$BATS_TEST_TMPDIR/huge-copy"
	[ "$(huge_mapped "$BATS_TEST_TMPDIR/huge-copy")" -gt 0 ]
}
