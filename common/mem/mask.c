/* mask: a log line with its variable fields masked, cut into tokens. */
#include <string.h>

#include "mem/mask.h"
#include "mem/terms.h"

/* Character classes, for one look per byte. */
enum {
	C_DIGIT = 1,
	C_HEX = 2,   /* a-f, A-F */
	C_ALPHA = 4, /* a letter, or a byte of a multi-byte character */
	C_SPACE = 8,
	C_OPEN = 16,   /* ( [ { < ' " before a field */
	C_CLOSE = 32,  /* ) ] } > ' " , ; : . ! after one */
	C_COLON = 64,  /* the marks that make a token a time, an address, */
	C_SLASH = 128, /* a path, a URL, a key=value: what a token has */
	C_DASH = 256,  /* tells which shapes are worth a look */
	C_DOT = 512,
	C_EQ = 1024,
	C_NONHEX = 2048 /* g-z, G-Z */
};

static const unsigned short cls[256] = {
    ['0'] = C_DIGIT,
    ['1'] = C_DIGIT,
    ['2'] = C_DIGIT,
    ['3'] = C_DIGIT,
    ['4'] = C_DIGIT,
    ['5'] = C_DIGIT,
    ['6'] = C_DIGIT,
    ['7'] = C_DIGIT,
    ['8'] = C_DIGIT,
    ['9'] = C_DIGIT,
    ['a'] = C_HEX | C_ALPHA,
    ['b'] = C_HEX | C_ALPHA,
    ['c'] = C_HEX | C_ALPHA,
    ['d'] = C_HEX | C_ALPHA,
    ['e'] = C_HEX | C_ALPHA,
    ['f'] = C_HEX | C_ALPHA,
    ['A'] = C_HEX | C_ALPHA,
    ['B'] = C_HEX | C_ALPHA,
    ['C'] = C_HEX | C_ALPHA,
    ['D'] = C_HEX | C_ALPHA,
    ['E'] = C_HEX | C_ALPHA,
    ['F'] = C_HEX | C_ALPHA,
    ['g'] = C_ALPHA | C_NONHEX,
    ['h'] = C_ALPHA | C_NONHEX,
    ['i'] = C_ALPHA | C_NONHEX,
    ['j'] = C_ALPHA | C_NONHEX,
    ['k'] = C_ALPHA | C_NONHEX,
    ['l'] = C_ALPHA | C_NONHEX,
    ['m'] = C_ALPHA | C_NONHEX,
    ['n'] = C_ALPHA | C_NONHEX,
    ['o'] = C_ALPHA | C_NONHEX,
    ['p'] = C_ALPHA | C_NONHEX,
    ['q'] = C_ALPHA | C_NONHEX,
    ['r'] = C_ALPHA | C_NONHEX,
    ['s'] = C_ALPHA | C_NONHEX,
    ['t'] = C_ALPHA | C_NONHEX,
    ['u'] = C_ALPHA | C_NONHEX,
    ['v'] = C_ALPHA | C_NONHEX,
    ['w'] = C_ALPHA | C_NONHEX,
    ['x'] = C_ALPHA | C_NONHEX,
    ['y'] = C_ALPHA | C_NONHEX,
    ['z'] = C_ALPHA | C_NONHEX,
    ['G'] = C_ALPHA | C_NONHEX,
    ['H'] = C_ALPHA | C_NONHEX,
    ['I'] = C_ALPHA | C_NONHEX,
    ['J'] = C_ALPHA | C_NONHEX,
    ['K'] = C_ALPHA | C_NONHEX,
    ['L'] = C_ALPHA | C_NONHEX,
    ['M'] = C_ALPHA | C_NONHEX,
    ['N'] = C_ALPHA | C_NONHEX,
    ['O'] = C_ALPHA | C_NONHEX,
    ['P'] = C_ALPHA | C_NONHEX,
    ['Q'] = C_ALPHA | C_NONHEX,
    ['R'] = C_ALPHA | C_NONHEX,
    ['S'] = C_ALPHA | C_NONHEX,
    ['T'] = C_ALPHA | C_NONHEX,
    ['U'] = C_ALPHA | C_NONHEX,
    ['V'] = C_ALPHA | C_NONHEX,
    ['W'] = C_ALPHA | C_NONHEX,
    ['X'] = C_ALPHA | C_NONHEX,
    ['Y'] = C_ALPHA | C_NONHEX,
    ['Z'] = C_ALPHA | C_NONHEX,
    [' '] = C_SPACE,
    ['\t'] = C_SPACE,
    ['\v'] = C_SPACE,
    ['\f'] = C_SPACE,
    ['\r'] = C_SPACE,
    ['('] = C_OPEN,
    ['['] = C_OPEN,
    ['{'] = C_OPEN,
    ['<'] = C_OPEN,
    ['\''] = C_OPEN | C_CLOSE,
    ['"'] = C_OPEN | C_CLOSE,
    [')'] = C_CLOSE,
    [']'] = C_CLOSE,
    ['}'] = C_CLOSE,
    ['>'] = C_CLOSE,
    [','] = C_CLOSE,
    [';'] = C_CLOSE,
    [':'] = C_CLOSE | C_COLON,
    ['.'] = C_CLOSE | C_DOT,
    ['!'] = C_CLOSE,
    ['/'] = C_SLASH,
    ['-'] = C_DASH,
    ['='] = C_EQ,
};

#define IS(c, k) (cls[(unsigned char)(c)] & (k))

void
mask_init(struct mask *m)
{
	memset(m, 0, sizeof(*m));
	m->clean = (struct buf)BUF_INIT;
	m->tmp = (struct buf)BUF_INIT;
	m->text = (struct buf)BUF_INIT;
}

void
mask_release(struct mask *m)
{
	buf_release(&m->clean);
	buf_release(&m->tmp);
	buf_release(&m->text);
}

uint64_t
mask_hash(const char *s, size_t len)
{
	return hash_bytes(s, len) | 1; /* never 0: 0 is the wildcard */
}

static const char *const placeholders[] = {"<*>", "<num>", "<hex>", "<ip>",
    "<uuid>", "<time>", "<date>", "<path>", "<url>", "<bar>", NULL};

int
mask_placeholder(const char *s, size_t len)
{
	size_t i;

	for (i = 0; placeholders[i] != NULL; i++)
		if (strlen(placeholders[i]) == len &&
		    memcmp(placeholders[i], s, len) == 0)
			return 1;
	return 0;
}

/*
 * The line as a terminal would leave it: escape sequences (CSI, OSC)
 * dropped, and for a line rewritten with carriage returns only what the
 * last one began.  Returns the bytes to look at: the line itself when
 * there is nothing to drop.
 */
static const char *
clean_line(struct mask *m, const char *s, size_t *len)
{
	const char *end = s + *len, *p;

	while (*len > 0 && s[*len - 1] == '\r')
		(*len)--, end--;
	if ((p = memrchr(s, '\r', *len)) != NULL) {
		*len -= (size_t)(p + 1 - s);
		s = p + 1;
	}
	if (memchr(s, '\x1b', *len) == NULL)
		return s;
	buf_reset(&m->clean);
	for (p = s; p < end; p++) {
		if (*p != '\x1b') {
			buf_add(&m->clean, p, 1);
			continue;
		}
		if (p + 1 < end && p[1] == '[') {
			for (p += 2; p < end && !(*p >= 0x40 && *p <= 0x7e);
			     p++)
				;
		} else if (p + 1 < end && p[1] == ']') {
			for (p += 2; p < end && *p != '\a' &&
			     !(*p == '\x1b' && p + 1 < end && p[1] == '\\');
			     p++)
				;
			if (p < end && *p == '\x1b')
				p++;
		} else if (p + 1 < end && (unsigned char)p[1] < 0x80) {
			p++; /* ESC and one character: ESC 7, ESC = */
		}
	}
	*len = m->clean.len;
	return m->clean.s;
}

static void
emit(struct mask *m, const char *s, size_t len, int var)
{
	if (m->n == MASK_MAX_TOKENS) {
		m->more = 1;
		return;
	}
	m->off[m->n] = m->text.len;
	m->hash[m->n] = mask_hash(s, len);
	m->var[m->n] = (unsigned char)var;
	buf_grow(&m->text, len + 1);
	memcpy(m->text.s + m->text.len, s, len);
	m->text.len += len + 1;
	m->text.s[m->text.len - 1] = '\0';
	m->text.s[m->text.len] = '\0';
	m->n++;
}

static int
all(const char *s, size_t len, int k)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!IS(s[i], k))
			return 0;
	return len > 0;
}

static int
uuid(const char *s, size_t len)
{
	size_t i;

	if (len != 36)
		return 0;
	for (i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23
			? s[i] != '-'
			: !IS(s[i], C_DIGIT | C_HEX))
			return 0;
	return 1;
}

/* 14/Mar/2026:10:00:00, as web servers write it: a month's name. */
static const char *
month_time(const char *s, size_t len)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	size_t i, colons = 0, digits = 0;
	int m;

	for (i = 0; i < len; i++) {
		colons += s[i] == ':';
		digits += IS(s[i], C_DIGIT) != 0;
	}
	if (colons < 2 || digits < 6)
		return NULL;
	for (i = 0; i + 3 <= len; i++)
		if (IS(s[i], C_ALPHA) && s[i] >= 'A' && s[i] <= 'S')
			for (m = 0; m < 12; m++)
				if (memcmp(s + i, months[m], 3) == 0)
					return "<time>";
	return NULL;
}

/* 12:00:01, 2026-01-31T12:00:01.5Z, 12:00:01,123: digits and : . , - T Z + */
static const char *
time_like(const char *s, size_t len)
{
	size_t i, colons = 0, dashes = 0, digits = 0;

	for (i = 0; i < len; i++) {
		if (IS(s[i], C_DIGIT))
			digits++;
		else if (s[i] == ':')
			colons++;
		else if (s[i] == '-' || s[i] == '/')
			dashes++;
		else if (s[i] != '.' && s[i] != ',' && s[i] != 'T' &&
		    s[i] != 'Z' && s[i] != '+')
			return memchr(s + i, ':', len - i) != NULL || colons > 0
			    ? month_time(s, len)
			    : NULL;
	}
	if (digits < 4 || !IS(s[0], C_DIGIT))
		return colons >= 2 ? month_time(s, len) : NULL;
	if (colons >= 2 || (colons == 1 && dashes >= 2))
		return "<time>";
	if (dashes == 2 && colons == 0 && digits >= 6 && len <= 10)
		return "<date>";
	return NULL;
}

static int
ip_like(const char *s, size_t len)
{
	const char *end = s + len;
	size_t i, colons = 0, hex = 0;
	int group, groups = 0;

	/* IPv4, with a port: 10.0.0.1, 10.0.0.1:8080 */
	for (i = 0; i < len && groups < 4;) {
		for (group = 0; i < len && IS(s[i], C_DIGIT) && group < 4; i++)
			group++;
		if (group == 0 || group > 3)
			break;
		groups++;
		if (groups < 4 && (i >= len || s[i] != '.'))
			break;
		if (groups < 4)
			i++;
	}
	if (groups == 4)
		return i == len ||
		    (s[i] == ':' && i + 1 < len &&
			all(s + i + 1, len - i - 1, C_DIGIT));
	/* IPv6 and MAC addresses: hex digits and colons */
	for (; s < end; s++) {
		if (*s == ':')
			colons++;
		else if (IS(*s, C_DIGIT | C_HEX))
			hex++;
		else
			return 0;
	}
	return colons >= 2 && hex >= 4 && len >= 6;
}

/* A number, with a unit or a sign: 42, -1.5, 12ms, 80%, 3.2GB, 1,024. */
static size_t
number_prefix(const char *s, size_t len)
{
	size_t i = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	if (i >= len || !IS(s[i], C_DIGIT))
		return 0;
	while (i < len &&
	    (IS(s[i], C_DIGIT) ||
		((s[i] == '.' || s[i] == ',') && i + 1 < len &&
		    IS(s[i + 1], C_DIGIT))))
		i++;
	return i;
}

static int
hex_like(const char *s, size_t len)
{
	size_t i, digits = 0, letters = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return all(s + 2, len - 2, C_DIGIT | C_HEX);
	if (len < 7)
		return 0;
	for (i = 0; i < len; i++) {
		if (IS(s[i], C_DIGIT))
			digits++;
		else if (IS(s[i], C_HEX))
			letters++;
		else
			return 0;
	}
	return digits > 0 && (letters > 0 || len >= 12);
}

static int
path_like(const char *s, size_t len)
{
	const char *slash = memchr(s, '/', len);
	size_t i, slashes = 0;

	if (slash == NULL || len < 2)
		return 0;
	if (s[0] == '/' || (s[0] == '.' && s[1] == '/') ||
	    (s[0] == '~' && s[1] == '/') ||
	    (len > 2 && s[0] == '.' && s[1] == '.' && s[2] == '/'))
		return s[1] != '/';
	for (i = 0; i < len; i++)
		slashes += s[i] == '/';
	return slashes >= 2;
}

/* A run of progress-bar characters: =, #, >, -, ., |, and block glyphs. */
static int
bar_like(const char *s, size_t len)
{
	size_t i, marks = 0;

	if (len < 4)
		return 0;
	for (i = 0; i < len; i++) {
		if (strchr("=#>-.|[]*", s[i]) != NULL && s[i] != '\0')
			marks++;
		else if ((unsigned char)s[i] == 0xe2 && i + 2 < len &&
		    (unsigned char)s[i + 1] >= 0x96 &&
		    (unsigned char)s[i + 1] <= 0x97) {
			marks += 3; /* U+2580..U+25FF: blocks and shades */
			i += 2;
		} else {
			return 0;
		}
	}
	return marks == len;
}

/*
 * The placeholder for a whole token, or NULL; seen is the classes of its
 * bytes together, which rule most shapes out at once.
 */
static const char *
whole(const char *s, size_t len, unsigned seen)
{
	const char *t;
	size_t n;

	if (!(seen & C_DIGIT)) {
		if ((seen & C_COLON) && (seen & C_SLASH) && len >= 7 &&
		    memmem(s, len, "://", 3) != NULL)
			return "<url>";
		if ((seen & C_SLASH) && path_like(s, len))
			return "<path>";
		if (!(seen & C_ALPHA) && len >= 4 && bar_like(s, len))
			return "<bar>";
		return NULL;
	}
	if ((seen & C_COLON) && (seen & C_SLASH) && len >= 7 &&
	    memmem(s, len, "://", 3) != NULL)
		return "<url>";
	if (len == 36 && (seen & C_DASH) && uuid(s, len))
		return "<uuid>";
	if ((seen & (C_COLON | C_DASH | C_SLASH)) && len >= 5 &&
	    (t = time_like(s, len)) != NULL)
		return t;
	if ((seen & (C_DOT | C_COLON)) && ip_like(s, len))
		return "<ip>";
	if (!(seen & C_NONHEX) || (len > 2 && s[0] == '0'))
		if (len >= 3 && hex_like(s, len))
			return "<hex>";
	if ((seen & C_SLASH) && path_like(s, len))
		return "<path>";
	n = number_prefix(s, len);
	if (n > 0 && n == len)
		return "<num>";
	return NULL;
}

/*
 * Masks within a token: each piece between separators that is a number
 * or hex becomes its placeholder ("worker-3" "worker-<num>", "12ms"
 * "<num>ms").  Returns 1 if anything was masked.
 */
static int
mask_pieces(struct buf *out, const char *s, size_t len)
{
	const char *end = s + len, *p;
	const char *ph;
	size_t n;
	int masked = 0;

	while (s < end) {
		for (p = s; p < end &&
		     (IS(*p, C_DIGIT | C_ALPHA) || (unsigned char)*p >= 0x80);
		     p++)
			;
		if (p == s) {
			/* a run of separators, copied at once */
			for (p = s + 1; p < end && !IS(*p, C_DIGIT | C_ALPHA) &&
			     (unsigned char)*p < 0x80;
			     p++)
				;
			buf_add(out, s, (size_t)(p - s));
			s = p;
			continue;
		}
		n = (size_t)(p - s);
		if ((n = number_prefix(s, (size_t)(p - s))) > 0) {
			buf_addstr(out, "<num>");
			s += n;
			masked = 1;
			/* a unit stays: ms, s, MB, % */
			continue;
		}
		n = (size_t)(p - s);
		ph = hex_like(s, n) ? "<hex>" : NULL;
		if (ph != NULL) {
			buf_addstr(out, ph);
			masked = 1;
		} else {
			buf_add(out, s, n);
		}
		s = p;
	}
	return masked;
}

/* Trims what brackets or ends a field: "(12)," is "(", "12", "),". */
static void
split_punct(const char *s, size_t len, size_t *lead, size_t *core)
{
	size_t a = 0, b = len;

	while (a < b && IS(s[a], C_OPEN))
		a++;
	while (b > a && IS(s[b - 1], C_CLOSE))
		b--;
	*lead = a;
	*core = b - a;
}

static void
mask_token(
    struct mask *m, struct buf *tmp, const char *s, size_t len, unsigned seen)
{
	size_t lead, core;
	const char *ph, *eq, *colon;

	split_punct(s, len, &lead, &core);
	if (core > 0 && (ph = whole(s + lead, core, seen)) != NULL) {
		if (lead == 0 && core == len) {
			emit(m, ph, strlen(ph), 1);
			return;
		}
		buf_reset(tmp);
		buf_add(tmp, s, lead);
		buf_addstr(tmp, ph);
		buf_add(tmp, s + lead + core, len - lead - core);
		emit(m, tmp->s, tmp->len, 0);
		return;
	}
	if (!(seen & (C_DIGIT | C_EQ))) {
		emit(m, s, len, 0); /* words: nothing in them varies */
		return;
	}
	buf_reset(tmp);
	/* key=value, path:line:col: each side for itself */
	eq = (seen & C_EQ) ? memchr(s, '=', len) : NULL;
	colon = eq == NULL && (seen & C_COLON) ? memchr(s, ':', len) : NULL;
	if (eq != NULL && eq > s && eq + 1 < s + len &&
	    (ph = whole(eq + 1, (size_t)(s + len - eq - 1), seen)) != NULL) {
		mask_pieces(tmp, s, (size_t)(eq + 1 - s));
		buf_addstr(tmp, ph);
	} else if (colon != NULL && colon > s + lead && colon + 1 < s + len &&
	    IS(colon[1], C_DIGIT) && (seen & C_SLASH) &&
	    memchr(s + lead, '/', (size_t)(colon - s - lead)) != NULL) {
		buf_add(tmp, s, lead); /* src/x.c:12:5 is <path>:<num>:<num> */
		buf_addstr(tmp, "<path>");
		mask_pieces(tmp, colon, (size_t)(s + len - colon));
	} else if (!(seen & C_DIGIT) || !mask_pieces(tmp, s, len)) {
		emit(m, s, len, 0);
		return;
	}
	emit(m, tmp->s, tmp->len, 0);
}

/* Words of the line that make it error- or warning-like. */
static int
line_level(struct mask *m, const char *s, size_t len)
{
	const char *end = s + len, *w, *prev = NULL;
	size_t prev_len = 0;
	int level = 0, l;

	m->exitish = 0;
	while (s < end) {
		if (!IS(*s, C_ALPHA | C_DIGIT)) {
			if (*s == '*' && s + 2 < end && s[1] == '*' &&
			    s[2] == '*')
				m->exitish = 1; /* make: *** */
			s++;
			continue;
		}
		for (w = s; s < end && IS(*s, C_ALPHA | C_DIGIT); s++)
			;
		/* exit, exited, Exit code; BUILD FAILED; non-zero */
		if (s - w >= 4 && (w[0] | 0x20) == 'e' &&
		    (w[1] | 0x20) == 'x' && (w[2] | 0x20) == 'i' &&
		    (w[3] | 0x20) == 't')
			m->exitish = 1;
		else if (s - w == 5 && strncasecmp(w, "build", 5) == 0 &&
		    s + 2 < end && s[0] == ' ' &&
		    ((s[1] | 0x20) == 'f' || (s[1] | 0x20) == 's'))
			m->exitish = 1;
		else if (s - w == 3 && memcmp(w, "non", 3) == 0 && s < end &&
		    *s == '-')
			m->exitish = 1;
		l = IS(*w, C_ALPHA) ? terms_error_word(w, (size_t)(s - w)) : 0;
		/* ValueError, NullPointerException, E_FAIL */
		if (l == 0 && s - w > 5 &&
		    ((s - w >= 6 && memcmp(s - 5, "Error", 5) == 0) ||
			(s - w >= 10 && memcmp(s - 9, "Exception", 9) == 0)))
			l = 1;
		if (l == 1) {
			/* "0 failed", "errors: 0", "failed=0", "no errors" */
			const char *q = s;

			while (q < end && (*q == ':' || *q == '=' || *q == ' '))
				q++;
			if ((prev != NULL &&
				((prev_len == 1 && *prev == '0') ||
				    (prev_len == 2 && (prev[0] | 0x20) == 'n' &&
					(prev[1] | 0x20) == 'o'))) ||
			    (q < end && *q == '0' &&
				(q + 1 == end || !IS(q[1], C_DIGIT))))
				l = 0;
		}
		if (l == 1)
			level = 2;
		else if (l == 2 && level == 0)
			level = 1;
		prev = w;
		prev_len = (size_t)(s - w);
	}
	return level;
}

/*
 * The status of an access log's request ("GET / HTTP/1.1" 504): kept as
 * it is, since it tells one kind of line from another, and a 5xx makes
 * the line error-like.
 */
static int
http_status(struct mask *m, const char *s, size_t len)
{
	const char *prev;

	if (len != 3 || m->n == 0 || !all(s, 3, C_DIGIT) || s[0] < '1' ||
	    s[0] > '5')
		return 0;
	prev = m->text.s + m->off[m->n - 1];
	if (strncmp(prev, "HTTP/", 5) != 0 || prev[strlen(prev) - 1] != '"')
		return 0;
	if (s[0] == '5')
		m->level = 2;
	return 1;
}

void
mask_line(struct mask *m, const char *line, size_t len)
{
	const char *s, *end, *t;
	unsigned seen;

	s = clean_line(m, line, &len);
	m->shown = s;
	m->shown_len = len;
	end = s + len;
	m->n = 0;
	m->more = 0;
	buf_reset(&m->text);
	m->level = line_level(m, s, len);
	while (s < end) {
		if (IS(*s, C_SPACE) || *s == '\0') {
			s++;
			continue;
		}
		for (seen = 0, t = s; t < end && !IS(*t, C_SPACE) && *t != '\0';
		     t++)
			seen |= cls[(unsigned char)*t];
		if (http_status(m, s, (size_t)(t - s)))
			emit(m, s, (size_t)(t - s), 0);
		else
			mask_token(m, &m->tmp, s, (size_t)(t - s), seen);
		s = t;
	}
}
