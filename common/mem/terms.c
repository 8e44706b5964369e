/* terms: the paths, identifiers and values in a text, and what it says. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem/terms.h"

/* Extensions that make a bare word a file name: sorted, for bsearch. */
static const char *const extensions[] = {"asm", "bash", "bat", "bats", "c",
    "cc", "cfg", "cjs", "clj", "cmake", "conf", "cpp", "cs", "css", "csv",
    "cxx", "dart", "db", "diff", "dockerfile", "el", "env", "erl", "ex", "exs",
    "go", "gradle", "h", "hh", "hpp", "hs", "htm", "html", "ini", "ipynb",
    "java", "jl", "js", "json", "jsonl", "jsx", "kt", "kts", "less", "lock",
    "log", "lua", "m", "md", "mdx", "mjs", "mk", "ml", "mm", "nim", "nix",
    "patch", "php", "pl", "pm", "proto", "ps1", "py", "pyi", "r", "rb", "rs",
    "rst", "s", "sass", "scala", "scss", "service", "sh", "sql", "sqlite",
    "svelte", "swift", "tcl", "tex", "tf", "toml", "ts", "tsx", "txt", "vim",
    "vue", "xml", "yaml", "yml", "zig", "zsh"};

/* Names that are files without an extension. */
static const char *const file_names[] = {"Dockerfile", "Gemfile", "Makefile",
    "Procfile", "Rakefile", "Vagrantfile", "Justfile", "GNUmakefile",
    "CMakeLists", "Containerfile", NULL};

/* strspn within len bytes: s need not end in a NUL. */
static size_t
span(const char *s, size_t len, const char *set)
{
	size_t n = 0;

	while (n < len && s[n] != '\0' && strchr(set, s[n]) != NULL)
		n++;
	return n;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
known_extension(const char *s, size_t len)
{
	char ext[16];
	const char *key = ext;
	size_t i;

	if (len == 0 || len >= sizeof(ext))
		return 0;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]))
			return 0;
		ext[i] = (char)tolower((unsigned char)s[i]);
	}
	ext[len] = '\0';
	return bsearch(&key, extensions,
		   sizeof(extensions) / sizeof(*extensions),
		   sizeof(*extensions), cmp_str) != NULL;
}

/* Characters a word of a path or an identifier may hold. */
static int
word_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.' || c == '/' ||
	    c == ':' || c == '~' || c == '$' || c == '@' || c == '+' ||
	    c == '#' || c == '%' || c == '=' || c >= 0x80;
}

static int
has(const char *s, size_t len, int c)
{
	return memchr(s, c, len) != NULL;
}

/* Folders that make "src/parse" a path although it has one slash. */
static const char *const folders[] = {"api", "app", "bin", "build", "cmd",
    "common", "config", "core", "docs", "etc", "include", "internal", "lib",
    "pkg", "scripts", "spec", "src", "test", "tests", "tmp", "tools", "usr",
    "var", "web", NULL};

static int
folder(const char *s, size_t len)
{
	size_t i;

	for (i = 0; folders[i] != NULL; i++)
		if (strlen(folders[i]) == len &&
		    memcmp(folders[i], s, len) == 0)
			return 1;
	return 0;
}

static int
path_like(const char *s, size_t len)
{
	const char *slash, *dot, *first;
	size_t i, lead;

	for (i = 0; file_names[i] != NULL; i++)
		if (strlen(file_names[i]) == len &&
		    memcmp(file_names[i], s, len) == 0)
			return 1;
	lead = span(s, len, "./~");
	if (lead >= len || !(isalnum((unsigned char)s[lead]) || s[lead] == '_'))
		return 0;
	slash = memrchr(s, '/', len);
	dot = memrchr(s, '.', len);
	if (slash != NULL) {
		if (lead > 0 && memchr(s, '/', lead) != NULL)
			return 1; /* /etc/x, ./x, ../x, ~/x */
		if (dot != NULL && dot > slash + 1 &&
		    known_extension(dot + 1, (size_t)(s + len - dot - 1)))
			return 1;
		first = memchr(s, '/', len);
		if (first != slash)
			return 1; /* src/net/, a/b/c */
		return folder(s, (size_t)(first - s)) && slash + 1 < s + len;
	}
	if (lead == 1 && s[0] == '.')
		return len > 2 &&
		    span(s + 1, len - 1, "abcdefghijklmnopqrstuvwxyz_-") ==
		    len - 1 &&
		    len < 16; /* .env, .gitignore */
	return lead == 0 && dot != NULL && dot > s &&
	    isalpha((unsigned char)s[0]) &&
	    known_extension(dot + 1, (size_t)(s + len - dot - 1));
}

static int
number_like(const char *s, size_t len)
{
	size_t i = 0, digits = 0;

	if (len > 1 && (s[0] == 'v' || s[0] == 'V') &&
	    isdigit((unsigned char)s[1]))
		i = 1;
	if (!isdigit((unsigned char)s[i]))
		return 0;
	for (; i < len &&
	     (isdigit((unsigned char)s[i]) || s[i] == '.' || s[i] == ',' ||
		 s[i] == ':');
	     i++)
		digits += isdigit((unsigned char)s[i]) != 0;
	/* a unit: 30s, 512MB, 2x, 80% */
	while (i < len && (isalpha((unsigned char)s[i]) || s[i] == '%'))
		i++;
	return i == len && digits > 0;
}

static int
ident_like(const char *s, size_t len)
{
	size_t i, lower = 0, upper = 0, under = 0, alpha = 0;
	int hump = 0;

	if (len >= 3 && s[0] == '-' && s[1] == '-' &&
	    isalpha((unsigned char)s[2]))
		return 1;
	if (len >= 2 && s[len - 2] == '(' && s[len - 1] == ')')
		return len > 2;
	if (!isalpha((unsigned char)s[0]) && s[0] != '_' && s[0] != '$')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (islower(c))
			lower++;
		else if (isupper(c))
			upper++;
		else if (c == '_')
			under++;
		if (isalpha(c))
			alpha++;
		if (i > 0 && isupper(c) && islower((unsigned char)s[i - 1]))
			hump = 1;
		if (c == '/' || c == '@' || c == '%' || c == '+' || c == '~' ||
		    c == '#')
			return 0;
	}
	if (alpha < 2)
		return 0;
	if (under > 0 && s[len - 1] != '_')
		return 1;
	if (hump && lower > 0)
		return 1; /* camelCase, PascalCase with a second hump */
	if (has(s, len, '.') || has(s, len, ':')) {
		/* a.b, a::b, but not a sentence's "e.g" */
		const char *dot = memchr(s, '.', len);
		const char *colon = memchr(s, ':', len);

		if (colon != NULL && colon + 2 < s + len && colon[1] == ':')
			return 1;
		return dot != NULL && dot > s + 1 && dot + 2 < s + len &&
		    isalpha((unsigned char)dot[1]) && colon == NULL;
	}
	return 0;
}

/* The term a word is, or -1. */
static int
classify(const char *s, size_t len)
{
	if (len >= 8 &&
	    (memcmp(s, "http://", 7) == 0 || memcmp(s, "https://", 8) == 0))
		return TERM_URL;
	if (number_like(s, len))
		return TERM_NUMBER;
	if (path_like(s, len))
		return TERM_PATH;
	if (ident_like(s, len))
		return TERM_IDENT;
	return -1;
}

void
terms_scan(const char *text, size_t len, term_fn *fn, void *arg)
{
	const char *s = text, *end = text + len, *w, *close, *colon;
	size_t n;
	int kind;

	while (s < end) {
		if (*s == '`') {
			close = memchr(s + 1, '`', (size_t)(end - s - 1));
			if (close != NULL && close - s > 1 && close - s < 200 &&
			    memchr(s, '\n', (size_t)(close - s)) == NULL) {
				fn(arg, TERM_QUOTED, s + 1,
				    (size_t)(close - s - 1));
				s = close + 1;
				continue;
			}
			s++;
			continue;
		}
		if (!word_char((unsigned char)*s) || *s == '=' || *s == ':') {
			s++;
			continue;
		}
		for (w = s; s < end &&
		     (word_char((unsigned char)*s) ||
			 (*s == '(' && s + 1 < end && s[1] == ')'));
		     s++)
			if (*s == '(')
				s++;
		n = (size_t)(s - w);
		/* A sentence's own punctuation is not the term's. */
		while (n > 0 && strchr(".,:;=-", w[n - 1]) != NULL)
			n--;
		/* ... and "(." before a word; not ./x, ../x or .env */
		while (n > 0 && w[0] == '.' &&
		    (n < 2 ||
			(w[1] != '/' && w[1] != '.' &&
			    !isalpha((unsigned char)w[1]))))
			w++, n--;
		if (n == 0)
			continue;
		/* key=value: the key and the value, each for itself. */
		if ((kind = classify(w, n)) >= 0) {
			/* src/x.c:88:5 is the file src/x.c */
			while (kind == TERM_PATH &&
			    (colon = memrchr(w, ':', n)) != NULL && colon > w &&
			    span(colon + 1, (size_t)(w + n - colon - 1),
				"0123456789") == (size_t)(w + n - colon - 1))
				n = (size_t)(colon - w);
			fn(arg, (enum term_kind)kind, w, n);
		} else if (memchr(w, '=', n) != NULL) {
			const char *eq = memchr(w, '=', n);

			if ((kind = classify(w, (size_t)(eq - w))) >= 0)
				fn(arg, (enum term_kind)kind, w,
				    (size_t)(eq - w));
			if (eq + 1 < w + n &&
			    (kind = classify(
				 eq + 1, (size_t)(w + n - eq - 1))) >= 0)
				fn(arg, (enum term_kind)kind, eq + 1,
				    (size_t)(w + n - eq - 1));
		}
	}
}

/*
 * Cue words and phrases, lower case, sorted (bsearch); a phrase is
 * matched on words joined by one space.
 */
static const struct cue {
	const char *words;
	unsigned cue;
} cues[] = {
    {"abort", CUE_ERROR},
    {"aborted", CUE_ERROR},
    {"agreed", CUE_DECISION},
    {"always", CUE_PREFER},
    {"approach", CUE_DECISION},
    {"avoid", CUE_PREFER},
    {"awesome", CUE_FILLER},
    {"blocked", CUE_TASK},
    {"blocker", CUE_TASK},
    {"broken", CUE_ERROR},
    {"bug", CUE_ERROR},
    {"bump", CUE_CHANGE},
    {"bumped", CUE_CHANGE},
    {"can't", CUE_ERROR},
    {"cannot", CUE_ERROR},
    {"caused by", CUE_FIX},
    {"change", CUE_CHANGE},
    {"changed", CUE_CHANGE},
    {"chose", CUE_DECISION},
    {"completed", CUE_DONE},
    {"cool", CUE_FILLER},
    {"couldn't", CUE_ERROR},
    {"crash", CUE_ERROR},
    {"crashed", CUE_ERROR},
    {"crashes", CUE_ERROR},
    {"deadlock", CUE_ERROR},
    {"decide", CUE_DECISION},
    {"decided", CUE_DECISION},
    {"decision", CUE_DECISION},
    {"denied", CUE_ERROR},
    {"deprecated", CUE_WARN},
    {"don't", CUE_PREFER},
    {"don't forget", CUE_TASK},
    {"done", CUE_DONE},
    {"error", CUE_ERROR},
    {"errors", CUE_ERROR},
    {"exception", CUE_ERROR},
    {"fail", CUE_ERROR},
    {"failed", CUE_ERROR},
    {"failing", CUE_ERROR},
    {"fails", CUE_ERROR},
    {"failure", CUE_ERROR},
    {"fatal", CUE_ERROR},
    {"finished", CUE_DONE},
    {"fix", CUE_FIX},
    {"fixed", CUE_FIX},
    {"fixes", CUE_FIX},
    {"flaky", CUE_ERROR},
    {"follow up", CUE_TASK},
    {"follow-up", CUE_TASK},
    {"from now on", CUE_PREFER},
    {"go with", CUE_DECISION},
    {"going forward", CUE_PREFER},
    {"going with", CUE_DECISION},
    {"got it", CUE_FILLER},
    {"great", CUE_FILLER},
    {"have to", CUE_TASK},
    {"hello", CUE_FILLER},
    {"hi", CUE_FILLER},
    {"i prefer", CUE_PREFER},
    {"i want", CUE_PREFER},
    {"i'd like", CUE_PREFER},
    {"i'd rather", CUE_PREFER},
    {"instead", CUE_DECISION | CUE_CHANGE},
    {"invalid", CUE_ERROR},
    {"later", CUE_TASK},
    {"leak", CUE_ERROR},
    {"leaks", CUE_ERROR},
    {"let's", CUE_DECISION},
    {"make sure", CUE_PREFER},
    {"merged", CUE_DONE},
    {"migrate", CUE_CHANGE},
    {"moved", CUE_CHANGE},
    {"must", CUE_PREFER},
    {"need to", CUE_TASK},
    {"needs to", CUE_TASK},
    {"never", CUE_PREFER},
    {"next", CUE_TASK},
    {"no longer", CUE_CHANGE},
    {"no such", CUE_ERROR},
    {"not fixed", CUE_ERROR | CUE_TASK},
    {"not yet", CUE_TASK},
    {"now", CUE_CHANGE},
    {"ok", CUE_FILLER},
    {"okay", CUE_FILLER},
    {"open question", CUE_TASK},
    {"opted", CUE_DECISION},
    {"overflow", CUE_ERROR},
    {"panic", CUE_ERROR},
    {"panicked", CUE_ERROR},
    {"passes now", CUE_DONE},
    {"patched", CUE_FIX},
    {"pending", CUE_TASK},
    {"perfect", CUE_FILLER},
    {"please", CUE_PREFER},
    {"prefer", CUE_PREFER},
    {"preference", CUE_PREFER},
    {"refused", CUE_ERROR},
    {"regression", CUE_ERROR},
    {"remaining", CUE_TASK},
    {"remember to", CUE_TASK},
    {"rename", CUE_CHANGE},
    {"renamed", CUE_CHANGE},
    {"replace", CUE_CHANGE},
    {"replaced", CUE_CHANGE},
    {"resolved", CUE_FIX | CUE_DONE},
    {"root cause", CUE_FIX},
    {"segfault", CUE_ERROR},
    {"segfaults", CUE_ERROR},
    {"segmentation", CUE_ERROR},
    {"settled", CUE_DECISION},
    {"shipped", CUE_DONE},
    {"should", CUE_PREFER},
    {"solved", CUE_FIX},
    {"sounds good", CUE_FILLER},
    {"still", CUE_TASK},
    {"still open", CUE_ERROR | CUE_TASK},
    {"sure", CUE_FILLER},
    {"switch", CUE_CHANGE},
    {"switched", CUE_CHANGE},
    {"tbd", CUE_TASK},
    {"thank", CUE_FILLER},
    {"thanks", CUE_FILLER},
    {"the fix", CUE_FIX},
    {"the problem", CUE_FIX},
    {"timed out", CUE_ERROR},
    {"timeout", CUE_ERROR},
    {"todo", CUE_TASK},
    {"traceback", CUE_ERROR},
    {"turns out", CUE_FIX},
    {"unable", CUE_ERROR},
    {"undefined", CUE_ERROR},
    {"uninitialised", CUE_ERROR},
    {"uninitialized", CUE_ERROR},
    {"unresolved", CUE_ERROR | CUE_TASK},
    {"updated", CUE_CHANGE},
    {"warning", CUE_WARN},
    {"we'll", CUE_DECISION},
    {"we'll use", CUE_DECISION},
    {"will use", CUE_DECISION},
    {"workaround", CUE_FIX},
    {"works now", CUE_DONE},
    {"wrong", CUE_ERROR},
};

#define NCUES (sizeof(cues) / sizeof(cues[0]))

static int
cmp_cue(const void *key, const void *elem)
{
	return strcmp(key, ((const struct cue *)elem)->words);
}

static unsigned
cue_of(const char *words)
{
	const struct cue *c =
	    bsearch(words, cues, NCUES, sizeof(*cues), cmp_cue);

	return c != NULL ? c->cue : 0;
}

#define MAX_WORD 24

/* Words a cue is counted over: the last three, lower case. */
struct words {
	char w[3][MAX_WORD];
	int n;
};

static int
zero_word(const char *w)
{
	return strcmp(w, "0") == 0 || strcmp(w, "no") == 0 ||
	    strcmp(w, "zero") == 0 || strcmp(w, "without") == 0;
}

/* The first words of the cues' phrases, sorted: only they begin one. */
static const char *const phrase_starts[] = {"caused", "don't", "follow", "from",
    "go", "going", "got", "have", "i", "i'd", "make", "need", "needs", "no",
    "not", "open", "passes", "remember", "root", "sounds", "still", "the",
    "timed", "turns", "we'll", "will", "works"};

static int
cmp_word(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

static int
starts_phrase(const char *w)
{
	return bsearch(w, phrase_starts,
		   sizeof(phrase_starts) / sizeof(*phrase_starts),
		   sizeof(*phrase_starts), cmp_word) != NULL;
}

/* Joins two or three words with a space into out. */
static void
join(char *out, const char *a, const char *b, const char *c)
{
	size_t n = strlen(a), m = strlen(b);

	memcpy(out, a, n);
	out[n] = ' ';
	memcpy(out + n + 1, b, m + 1);
	if (c != NULL) {
		out[n + 1 + m] = ' ';
		memcpy(out + n + m + 2, c, strlen(c) + 1);
	}
}

unsigned
terms_cues(const char *text, size_t len)
{
	char phrase[3 * MAX_WORD + 3], word[MAX_WORD];
	const char *s = text, *end = text + len;
	unsigned found = 0, c, pending = 0;
	struct words last = {{"", "", ""}, 0};
	int start[3] = {0, 0, 0};
	size_t n;

	while (s < end) {
		if (!isalnum((unsigned char)*s) && *s != '\'') {
			s++;
			continue;
		}
		for (n = 0; s < end &&
		     (isalnum((unsigned char)*s) || *s == '\'' ||
			 (*s == '-' && n > 0));
		     s++)
			if (n < MAX_WORD - 1)
				word[n++] = (char)tolower((unsigned char)*s);
		word[n] = '\0';
		/* "failed: 0", "errors=0": the count after the word */
		if (pending && strcmp(word, "0") != 0)
			found |= CUE_ERROR;
		pending = 0;
		memmove(last.w[0], last.w[1], sizeof(last.w[0]) * 2);
		memcpy(last.w[2], word, n + 1);
		start[0] = start[1];
		start[1] = start[2];
		start[2] = starts_phrase(word);
		last.n++;
		c = cue_of(word);
		if (last.n > 1 && start[1]) {
			join(phrase, last.w[1], word, NULL);
			c |= cue_of(phrase);
		}
		if (last.n > 2 && start[0]) {
			join(phrase, last.w[0], last.w[1], word);
			c |= cue_of(phrase);
		}
		if ((c & CUE_ERROR) && last.n > 1 && zero_word(last.w[1]))
			c &= ~CUE_ERROR;
		if (c & CUE_ERROR) {
			c &= ~CUE_ERROR;
			pending = 1;
		}
		found |= c;
	}
	if (pending)
		found |= CUE_ERROR;
	return found;
}

/* Words that make a log line error-like (1) or warning-like (2), sorted. */
static const struct level_word {
	const char *word;
	int level;
} level_words[] = {
    {"abort", 1},
    {"aborted", 1},
    {"aborting", 1},
    {"cannot", 1},
    {"corrupt", 1},
    {"corrupted", 1},
    {"crash", 1},
    {"crashed", 1},
    {"crit", 1},
    {"critical", 1},
    {"denied", 1},
    {"deprecated", 2},
    {"emerg", 1},
    {"err", 1},
    {"error", 1},
    {"errors", 1},
    {"exceeded", 1},
    {"exception", 1},
    {"fail", 1},
    {"failed", 1},
    {"failing", 1},
    {"fails", 1},
    {"failure", 1},
    {"failures", 1},
    {"fatal", 1},
    {"forbidden", 1},
    {"invalid", 1},
    {"killed", 1},
    {"missing", 1},
    {"oom", 1},
    {"overflow", 1},
    {"panic", 1},
    {"panicked", 1},
    {"refused", 1},
    {"segfault", 1},
    {"segmentation", 1},
    {"timeout", 1},
    {"traceback", 1},
    {"unable", 1},
    {"unauthorized", 1},
    {"uncaught", 1},
    {"undefined", 1},
    {"unhandled", 1},
    {"unreachable", 1},
    {"violation", 1},
    {"warn", 2},
    {"warning", 2},
    {"warnings", 2},
};

static int
cmp_level(const void *key, const void *elem)
{
	return strcmp(key, ((const struct level_word *)elem)->word);
}

/*
 * The second letters that follow each first letter in level_words, a
 * bit for each: most words of a log are no level word, and two looks
 * tell so.  (Made from the list: keep the two in step.)
 */
static const uint32_t second_letters[26] = {0x2, 0x0, 0x24001, 0x10, 0x821000,
    0x4001, 0x0, 0x0, 0x2000, 0x0, 0x100, 0x0, 0x100, 0x0, 0x204000, 0x1, 0x0,
    0x10, 0x10, 0x20100, 0x2000, 0x100, 0x1, 0x0, 0x0, 0x0};

int
terms_error_word(const char *s, size_t len)
{
	const struct level_word *w;
	char low[16];
	size_t i;
	int a, b;

	if (len < 3 || len >= sizeof(low))
		return 0;
	a = (s[0] | 0x20) - 'a';
	b = (s[1] | 0x20) - 'a';
	if (a < 0 || a > 25 || b < 0 || b > 25 ||
	    !(second_letters[a] & (1u << b)))
		return 0;
	for (i = 0; i < len; i++)
		low[i] = (char)(s[i] | 0x20); /* letters only: lower case */
	low[len] = '\0';
	w = bsearch(low, level_words,
	    sizeof(level_words) / sizeof(*level_words), sizeof(*level_words),
	    cmp_level);
	return w != NULL ? (w->level == 1 ? 1 : 2) : 0;
}

/* Words whose full stop ends no sentence. */
static int
abbreviation(const char *text, const char *dot)
{
	static const char *const abbr[] = {"e.g", "i.e", "etc", "vs", "cf",
	    "Mr", "Dr", "approx", "no", "resp", NULL};
	const char *w = dot;
	size_t i, n;

	while (w > text && !isspace((unsigned char)w[-1]) && w[-1] != '(')
		w--;
	n = (size_t)(dot - w);
	if (n == 1 && isupper((unsigned char)*w))
		return 1; /* an initial */
	for (i = 0; abbr[i] != NULL; i++)
		if (strlen(abbr[i]) == n && strncasecmp(abbr[i], w, n) == 0)
			return 1;
	return 0;
}

size_t
terms_sentence(const char *text, size_t len)
{
	const char *s = text, *end = text + len, *nl;
	const char *next;

	nl = memchr(text, '\n', len);
	if (nl != NULL)
		end = nl;
	for (; s < end; s++) {
		if (*s != '.' && *s != '!' && *s != '?')
			continue;
		next = s + 1;
		if (next >= end || (*next != ' ' && *next != '\t'))
			continue;
		while (next < end && (*next == ' ' || *next == '\t'))
			next++;
		if (next >= end)
			break;
		if (!isupper((unsigned char)*next) &&
		    !isdigit((unsigned char)*next) && *next != '"' &&
		    *next != '`' && *next != '\'' && *next != '(')
			continue;
		if (*s == '.' && abbreviation(text, s))
			continue;
		return (size_t)(s + 1 - text);
	}
	return nl != NULL ? (size_t)(nl - text) : len;
}
