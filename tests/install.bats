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
