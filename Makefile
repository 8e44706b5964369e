# llmpipe: small C programs that give shell scripts an LLM's memory.

VERSION = 0.1.0

PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
DESTDIR =

CC = cc
CFLAGS = -O2 -g
CFLAGS_EXTRA =
LDFLAGS =
PKG_CONFIG = pkg-config
BATS = bats
INSTALL = install
INSTALL_STRIP =
CLANG = clang
FUZZ_SECONDS = 20

# Objects and programs; `make sanitize` builds a second set elsewhere.
BUILD = build
BIN = bin

WARNINGS = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wvla -Wformat=2
CJSON_CFLAGS = $$($(PKG_CONFIG) --cflags libcjson)
CJSON_LIBS = $$($(PKG_CONFIG) --libs libcjson)
CURL_CFLAGS = $$($(PKG_CONFIG) --cflags libcurl)
CURL_LIBS = $$($(PKG_CONFIG) --libs libcurl)
SQLITE_CFLAGS = $$($(PKG_CONFIG) --cflags sqlite3)
SQLITE_LIBS = $$($(PKG_CONFIG) --libs sqlite3)
ALL_CFLAGS = -std=c11 $(WARNINGS) $(CFLAGS) $(CFLAGS_EXTRA) -D_GNU_SOURCE \
	-Icommon -DLLMPIPE_VERSION='"$(VERSION)"'

# One line per program, so that each can be added on its own.
PROGS = llm-count
PROGS += llm-memdb
PROGS += llm-ask
PROGS += llm-classify
PROGS += llm-facts
PROGS += llm-summarize
MAN1 = man/llm-count.1
MAN1 += man/llm-memdb.1
MAN1 += man/llm-ask.1
MAN1 += man/llm-classify.1
MAN1 += man/llm-facts.1
MAN1 += man/llm-summarize.1
MAN1 += man/llm-chat.1
MAN7 = man/llmpipe.7

# The vocabularies are checked against their pinned SHA-256 and turned
# into blobs that common/tok/vocab.S assembles in; the path is fixed there.
VOCAB = build/vocab
ENCODINGS = cl100k_base o200k_base
BLOBS = $(ENCODINGS:%=$(VOCAB)/%.bin)

# The layers of common/, one link group each (see README, Layout): a
# program links only what it uses, so the offline ones carry neither
# libcurl nor SQLite (linking libcurl costs every process start
# milliseconds).
CORE = core/util core/json core/jsonl core/msg core/utf8 core/record \
	core/context core/config core/models
TOK = tok/bpe tok/count tok/budget tok/chunk tok/vocab
NET = net/sse net/http net/provider net/openai net/anthropic
CHILD = net/child
DB = db/store db/rank db/search db/ingest db/docindex db/ignore db/vectors
# The memory tier, a group for each program's rules.
ROUTE = mem/route
FACTS = mem/codescan mem/facts
# llm-summarize's engines: extraction, log templates, the llm engine.
SUMMARIZE = mem/terms mem/extract mem/mask mem/drain mem/logsum \
	mem/summarize

CORE_O = $(CORE:%=$(BUILD)/%.o)
TOK_O = $(TOK:%=$(BUILD)/%.o)
NET_O = $(NET:%=$(BUILD)/%.o)
DB_O = $(DB:%=$(BUILD)/%.o)
CHILD_O = $(CHILD:%=$(BUILD)/%.o)
ROUTE_O = $(ROUTE:%=$(BUILD)/%.o)
FACTS_O = $(FACTS:%=$(BUILD)/%.o)
SUMMARIZE_O = $(SUMMARIZE:%=$(BUILD)/%.o)

# The driver is a script over the programs, copied beside them so that
# it runs the programs of its build.
SCRIPTS = llm-chat
WEB = scripts/web/index.html
SHAREDIR = $(PREFIX)/share/llmpipe

all: $(PROGS:%=$(BIN)/%) $(SCRIPTS:%=$(BIN)/%)

# Each program is linked in $(BUILD)/link and copied into $(BIN) whole, in
# writes of 2 MB, as make install copies it too.  The kernel keeps a file
# in its page cache in pages as large as the writes that made it, and
# maps the vocabularies' tables (common/tok/vocab.S), read at random, a
# page at a time: 2 MB from such a copy, where from the linker's file,
# written a little at a time, each fault mapped 64 KB.
LINKED = $(BUILD)/link/$(@F)
place_in_large_pages = dd if=$(1) of=$(2).tmp bs=2M status=none && \
	chmod 755 $(2).tmp && mv $(2).tmp $(2)
place_linked = $(call place_in_large_pages,$(LINKED),$@)

$(BIN)/llm-chat: scripts/llm-chat | $(BIN)
	sed 's|^source_web=$$|source_web=$(CURDIR)/scripts/web|' scripts/llm-chat >$@.tmp
	chmod 755 $@.tmp
	mv $@.tmp $@
	chmod 755 $@

DEP_CFLAGS = $(CJSON_CFLAGS) $(CURL_CFLAGS) $(SQLITE_CFLAGS)
HEADERS = common/*/*.h

$(BUILD)/%.o: common/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DEP_CFLAGS) -c -o $@ $<

$(BUILD)/cmd/%.o: cmd/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(DEP_CFLAGS) -c -o $@ $<

$(BUILD)/tok/vocab.o: common/tok/vocab.S $(BLOBS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CFLAGS_EXTRA) -c -o $@ common/tok/vocab.S

$(BIN)/llm-count: $(BUILD)/cmd/llm-count.o $(CORE_O) $(TOK_O) \
		| $(BIN) $(BUILD)/link
	$(CC) $(CFLAGS) $(CFLAGS_EXTRA) $(LDFLAGS) -pthread -o $(LINKED) $^ \
		$(CJSON_LIBS) -lm
	$(place_linked)

$(BIN)/llm-ask: $(BUILD)/cmd/llm-ask.o $(CORE_O) $(TOK_O) $(NET_O) $(ROUTE_O) \
		| $(BIN) $(BUILD)/link
	$(CC) $(CFLAGS) $(CFLAGS_EXTRA) $(LDFLAGS) -o $(LINKED) $^ $(CURL_LIBS) \
		$(CJSON_LIBS) -lm
	$(place_linked)

$(BIN)/llm-memdb: $(BUILD)/cmd/llm-memdb.o $(CORE_O) $(TOK_O) $(DB_O) \
		$(CHILD_O) | $(BIN) $(BUILD)/link
	$(CC) $(CFLAGS) $(CFLAGS_EXTRA) $(LDFLAGS) -o $(LINKED) $^ $(SQLITE_LIBS) \
		$(CJSON_LIBS) -lm
	$(place_linked)

$(BIN)/llm-classify: $(BUILD)/cmd/llm-classify.o $(CORE_O) $(TOK_O) $(CHILD_O) \
		$(ROUTE_O) | $(BIN) $(BUILD)/link
	$(CC) $(CFLAGS) $(CFLAGS_EXTRA) $(LDFLAGS) -o $(LINKED) $^ $(CJSON_LIBS) -lm
	$(place_linked)

$(BIN)/llm-facts: $(BUILD)/cmd/llm-facts.o $(CORE_O) $(FACTS_O) $(CHILD_O) \
		| $(BIN) $(BUILD)/link
	$(CC) $(CFLAGS) $(CFLAGS_EXTRA) $(LDFLAGS) -o $(LINKED) $^ $(CJSON_LIBS) -lm
	$(place_linked)

$(BIN)/llm-summarize: $(BUILD)/cmd/llm-summarize.o $(CORE_O) $(TOK_O) \
		$(CHILD_O) $(SUMMARIZE_O) | $(BIN) $(BUILD)/link
	$(CC) $(CFLAGS) $(CFLAGS_EXTRA) $(LDFLAGS) -o $(LINKED) $^ $(CJSON_LIBS) -lm
	$(place_linked)

# A build tool, not part of any program: .tiktoken text to a hash table.
$(VOCAB)/mkvocab: scripts/mkvocab.c common/tok/bpe_table.h | $(VOCAB)
	$(CC) $(ALL_CFLAGS) -o $@ scripts/mkvocab.c

$(VOCAB)/%.bin: common/tok/vocab/%.tiktoken.xz common/tok/vocab/SHA256SUMS \
		$(VOCAB)/mkvocab
	xz -dc common/tok/vocab/$*.tiktoken.xz >$(VOCAB)/$*.tiktoken
	cd $(VOCAB) && grep ' $*.tiktoken$$' ../../common/tok/vocab/SHA256SUMS | \
		sha256sum -c --quiet
	$(VOCAB)/mkvocab <$(VOCAB)/$*.tiktoken >$@.tmp
	rm -f $(VOCAB)/$*.tiktoken
	mv $@.tmp $@

$(BUILD) $(BIN) $(VOCAB) $(BUILD)/link:
	mkdir -p $@

$(BUILD)/test-common: tests/unit/test-common.c $(CORE_O) $(TOK_O) \
		$(BUILD)/net/sse.o $(CHILD_O)
	$(CC) $(ALL_CFLAGS) $(CJSON_CFLAGS) $(LDFLAGS) -o $@ $^ $(CJSON_LIBS) -lm

test: all $(BUILD)/test-common
	LLMPIPE_BIN=$(CURDIR)/$(BIN) LLMPIPE_UNIT=$(CURDIR)/$(BUILD)/test-common \
		$(BATS) tests

# AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer over the
# whole test suite, from a separate build.
SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
sanitize:
	$(MAKE) BUILD=build/san BIN=build/san/bin CFLAGS="-O1 -g" \
		CFLAGS_EXTRA="$(SANITIZE) $(CFLAGS_EXTRA)" test

# Valgrind over the whole test suite: each program runs under memcheck.
valgrind: all $(BUILD)/test-common
	LLMPIPE_BIN=$(CURDIR)/$(BIN) LLMPIPE_UNIT=$(CURDIR)/$(BUILD)/test-common \
		LLMPIPE_WRAP="valgrind -q \
		--error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all" \
		$(BATS) tests

# libFuzzer targets, run briefly: the record reader, the tokenizer, the
# SSE parser (which must not care how a stream is cut), the
# configuration parser, the code scanner and the facts rules,
# llm-summarize's log masker and miner, its reading of conversations,
# the readers of vectors, and the search of the nearest ones.
# -close_fd_mask=2 mutes the targets' error messages; libFuzzer keeps its
# report and any sanitizer's on a copy of stderr.
FUZZERS = fuzz-jsonl fuzz-bpe fuzz-sse fuzz-config fuzz-codescan fuzz-facts \
	fuzz-logsum fuzz-extract fuzz-vector fuzz-nearest
FUZZ_SOURCES = common/tok/bpe.c common/core/utf8.c common/core/util.c \
	common/core/json.c common/core/jsonl.c common/core/record.c \
	common/core/msg.c common/net/sse.c \
	common/core/config.c common/core/models.c common/tok/count.c \
	common/mem/codescan.c common/mem/facts.c \
	common/mem/terms.c common/mem/mask.c common/mem/drain.c \
	common/mem/logsum.c common/mem/extract.c \
	common/db/store.c common/db/rank.c common/db/vectors.c \
	common/tok/vocab.S
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE -Icommon
fuzz: $(BLOBS) | $(BUILD)
	for f in $(FUZZERS); do \
		$(CLANG) $(FUZZ_CFLAGS) $(CJSON_CFLAGS) -o $(BUILD)/$$f \
			tests/fuzz/$$f.c $(FUZZ_SOURCES) $(CJSON_LIBS) \
			$(SQLITE_LIBS) -lm || \
			exit 1; \
		mkdir -p $(BUILD)/corpus-$$f; \
		echo "fuzzing $$f for $(FUZZ_SECONDS) s"; \
		$(BUILD)/$$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
			-close_fd_mask=2 -artifact_prefix=$(BUILD)/ \
			$(BUILD)/corpus-$$f \
			tests/fuzz/seeds >$(BUILD)/$$f.log 2>&1 || \
			{ tail -40 $(BUILD)/$$f.log; exit 1; }; \
		tail -n 1 $(BUILD)/$$f.log; \
	done

demo: all
	scripts/demo

bench: all
	LLM_COUNT=$(CURDIR)/$(BIN)/llm-count scripts/bench-count

bench-ask: all
	LLM_ASK=$(CURDIR)/$(BIN)/llm-ask scripts/bench-ask

bench-memdb: all
	LLM_MEMDB=$(CURDIR)/$(BIN)/llm-memdb scripts/bench-memdb

bench-vectors: all
	LLMPIPE_BIN=$(CURDIR)/$(BIN) scripts/bench-vectors

eval-retrieval: all
	LLMPIPE_BIN=$(CURDIR)/$(BIN) scripts/eval-retrieval

bench-classify: all
	LLM_CLASSIFY=$(CURDIR)/$(BIN)/llm-classify scripts/bench-classify

eval-classify: all
	LLM_CLASSIFY=$(CURDIR)/$(BIN)/llm-classify scripts/eval-classify
bench-summarize: all
	LLM_SUMMARIZE=$(CURDIR)/$(BIN)/llm-summarize scripts/bench-summarize

# llm-ask's peak memory against tests/hostile-llm, with the default caps.
bench-hostile: all
	LLM_ASK=$(CURDIR)/$(BIN)/llm-ask scripts/bench-hostile

lint:
	clang-format --dry-run --Werror cmd/*.c common/*/*.c \
		$$(ls common/*/*.h | grep -v unicode_tab.h) tests/fuzz/*.c \
		tests/unit/*.c scripts/*.c
	# ctuuninitvar takes every out-parameter for a read of it.
	cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c11 -D_GNU_SOURCE \
		-Icommon --suppress=missingIncludeSystem --suppress=ctuuninitvar \
		cmd common
	mandoc -Tlint -Wwarning $(MAN1) $(MAN7)

# install-strip installs the programs without their debug information.
install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man7
	$(INSTALL) -m 755 $(INSTALL_STRIP) $(PROGS:%=$(BIN)/%) $(DESTDIR)$(BINDIR)/
	for p in $(PROGS:%=$(DESTDIR)$(BINDIR)/%); do \
		$(call place_in_large_pages,$$p,$$p) || exit 1; \
	done
	$(INSTALL) -m 755 $(SCRIPTS:%=scripts/%) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -d $(DESTDIR)$(SHAREDIR)/web
	$(INSTALL) -m 644 $(WEB) $(DESTDIR)$(SHAREDIR)/web/
	$(INSTALL) -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/

install-strip:
	$(MAKE) INSTALL_STRIP=-s install

uninstall:
	rm -f $(PROGS:%=$(DESTDIR)$(BINDIR)/%) $(SCRIPTS:%=$(DESTDIR)$(BINDIR)/%)
	rm -rf $(DESTDIR)$(SHAREDIR)
	rm -f $(MAN1:man/%=$(DESTDIR)$(MANDIR)/man1/%)
	rm -f $(MAN7:man/%=$(DESTDIR)$(MANDIR)/man7/%)

clean:
	rm -rf build bin

.PHONY: all demo test sanitize valgrind fuzz bench bench-ask bench-memdb \
	bench-vectors eval-retrieval \
	bench-classify eval-classify bench-hostile bench-summarize lint \
	install install-strip uninstall clean
