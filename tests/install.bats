#!/usr/bin/env bats
# make install and make uninstall, with PREFIX and DESTDIR.

load helper

@test "make install puts programs and pages under DESTDIR/PREFIX, uninstall removes them" {
	local top="$BATS_TEST_DIRNAME/.." dest="$BATS_TEST_TMPDIR/root"
	run -0 make -s -C "$top" install DESTDIR="$dest" PREFIX=/opt/llmpipe
	[ -x "$dest/opt/llmpipe/bin/llm-count" ]
	[ -f "$dest/opt/llmpipe/share/man/man1/llm-count.1" ]
	[ -f "$dest/opt/llmpipe/share/man/man7/llmpipe.7" ]
	run "$dest/opt/llmpipe/bin/llm-count" -t <<<'hello world'
	[ "$output" = 3 ]
	if kernel_maps_huge "$dest/opt/llmpipe/bin/llm-count"; then
		[ "$(huge_mapped "$dest/opt/llmpipe/bin/llm-count")" -gt 0 ]
	fi
	[ -f "$dest/opt/llmpipe/share/llmpipe/web/index.html" ]
	# The installed driver finds its page in the installed tree.
	! grep -qF "$(cd "$top" && pwd)" "$dest/opt/llmpipe/bin/llm-chat"
	if command -v websocketd >/dev/null; then
		local port
		port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		"$dest/opt/llmpipe/bin/llm-chat" --serve "$port" >"$BATS_TEST_TMPDIR/ws.log" 2>&1 &
		local pid=$!
		run python3 -c "
import time, urllib.request
for _ in range(250):
    try:
        print(urllib.request.urlopen('http://127.0.0.1:$port/').read().decode()); break
    except OSError:
        time.sleep(0.02)"
		kill "$pid"
		wait "$pid" 2>/dev/null || true
		[[ "$output" == *'<title>llm-chat</title>'* ]]
	fi
	run -0 make -s -C "$top" uninstall DESTDIR="$dest" PREFIX=/opt/llmpipe
	[ ! -e "$dest/opt/llmpipe/bin/llm-count" ]
	[ ! -e "$dest/opt/llmpipe/share/man/man1/llm-count.1" ]
	[ ! -e "$dest/opt/llmpipe/share/man/man7/llmpipe.7" ]
}

@test "make install-strip installs programs without debug information" {
	local top="$BATS_TEST_DIRNAME/.." dest="$BATS_TEST_TMPDIR/root"
	run -0 make -s -C "$top" install DESTDIR="$dest" PREFIX=/p
	[ "$(stat -c %a "$dest/p/bin/llm-count")" = 755 ]
	[ "$(stat -c %a "$dest/p/share/man/man1/llm-count.1")" = 644 ]
	[ "$(readelf -S "$dest/p/bin/llm-count" | grep -c '\.debug_info')" = 1 ]
	rm -rf "$dest"
	run -0 make -s -C "$top" install-strip DESTDIR="$dest" PREFIX=/p
	[ "$(readelf -S "$dest/p/bin/llm-count" | grep -c '\.debug_info')" = 0 ]
	run "$dest/p/bin/llm-count" -t <<<'hello world'
	[ "$output" = 3 ]
}
