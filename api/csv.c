/*
 * CSV as offices export it from spreadsheets (RFC 4180: comma separated,
 * fields quoted with '"' and "" inside, CRLF or LF line ends, an optional
 * UTF-8 byte order mark), the import file's column names in Thai or
 * English, and a small writer for exports.
 *
 * Files saved by Thai Excel as plain "CSV" are Windows-874 (TIS-620 with a
 * few punctuation marks added): csv_text() tells them from UTF-8 and
 * converts them with glibc's iconv before parsing.
 *
 * Pure functions: the unit tests call them without a server. Parsing is
 * lenient where spreadsheets are sloppy and strict where a wrong guess
 * would put a value in the wrong column: a malformed record is flagged
 * (csv_record.bad) and parsing goes on with the next, so that one bad
 * row never loses the others.
 */

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"

static size_t	csv_utf8_seq(const unsigned char *, size_t);
static size_t	csv_line_at(const char *, size_t);
static const char	*csv_scan_field(const char *, const char *, char **,
			    int *, int *);
static int	csv_push_field(struct csv_table *, char *);
static int	csv_push_record(struct csv_table *, size_t, size_t, int);
static int	csv_buf_grow(struct csv_buf *, size_t);

/*
 * A file not all UTF-8 with this many valid multi-byte sequences or more
 * for each byte that is not is UTF-8 with damage. Thai in Windows-874
 * makes one now and then by chance (เขต reads as U+0835): in the
 * country's 7,400 place names one for every 3.5 bytes that are not, and
 * never more than 2.25 on a line.
 */
#define CSV_MOSTLY_UTF8		8

/* Windows-874 to UTF-8, opened once by csv_text_init(). */
static iconv_t	csv_cp874 = (iconv_t)-1;

static const struct {
	int		column;
	const char	*en;
	const char	*th;
} import_names[] = {
	{ IMPORT_TITLE,		"title",	"คำนำหน้า" },
	{ IMPORT_FIRST_NAME,	"first_name",	"ชื่อ" },
	{ IMPORT_LAST_NAME,	"last_name",	"นามสกุล" },
	{ IMPORT_NATIONAL_ID,	"national_id",	"เลขประจำตัวประชาชน" },
	{ IMPORT_PHONE,		"phone",	"โทรศัพท์" },
	{ IMPORT_SUBDISTRICT,	"subdistrict",	"ตำบล" },
	{ IMPORT_DISTRICT,	"district",	"อำเภอ" },
	{ IMPORT_PROVINCE,	"province",	"จังหวัด" },
	{ IMPORT_TARGET_GROUP,	"target_group",	"กลุ่มเป้าหมาย" },
	{ IMPORT_OCCUPATION,	"occupation",	"อาชีพ" },
	{ IMPORT_SECTION40,	"section40",	"ม.40" },
};

/*
 * Opens the Windows-874 converter; 0 when glibc cannot. glibc loads it
 * from a gconv module with dlopen() on iconv_open(): a Kore worker is
 * seccomp-filtered by the time its module starts, and chrooted away from
 * /usr/lib unless kore runs with -n. The server calls this in the parent,
 * before the workers fork with a copy of the open converter.
 */
int
csv_text_init(void)
{
	if (csv_cp874 == (iconv_t)-1)
		csv_cp874 = iconv_open("UTF-8", "WINDOWS-874");

	return (csv_cp874 != (iconv_t)-1);
}

/*
 * What text a file of len bytes holds, as UTF-8 for csv_parse():
 * CSV_TEXT_UTF8 when it is UTF-8 already, with or without a byte order
 * mark (use data as it is); CSV_TEXT_CP874 when it is not UTF-8 and reads
 * as Windows-874, converted into *out (*outlen bytes and a NUL; the
 * caller must free it, after clearing it: it holds the file). Refused:
 * CSV_TEXT_BINARY (a NUL byte: UTF-16 "Unicode Text", or no text at all),
 * CSV_TEXT_BAD_UTF8 (UTF-8 by its byte order mark or nearly all its
 * bytes, with some that are not: guessing Windows-874 there would store
 * garbled names), CSV_TEXT_UNKNOWN (neither: a byte Windows-874 leaves
 * undefined, 0x81-0x84, 0x86-0x90, 0x98-0x9F, 0xDB-0xDE or 0xFC-0xFF);
 * for these two *line is the line of the first byte that could not be
 * read. CSV_NOMEM when out of memory.
 */
int
csv_text(const char *data, size_t len, char **out, size_t *outlen,
    size_t *line)
{
	const unsigned char	*p = (const unsigned char *)data;
	char			*buf, *in, *o;
	size_t			i, n, multi, bad, first, high, cap;
	size_t			inleft, oleft;
	int			ret;

	*out = NULL;
	*outlen = 0;
	*line = 0;
	if (memchr(data, '\0', len) != NULL)
		return (CSV_TEXT_BINARY);

	multi = 0;
	bad = 0;
	first = 0;
	for (i = 0; i < len; i += n) {
		if ((n = csv_utf8_seq(p + i, len - i)) > 1)
			multi++;
		if (n == 0 && bad++ == 0)
			first = i;
		if (n == 0)
			n = 1;
	}
	if (bad == 0)
		return (CSV_TEXT_UTF8);
	*line = csv_line_at(data, first);
	if ((len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) ||
	    multi >= CSV_MOSTLY_UTF8 * bad)
		return (CSV_TEXT_BAD_UTF8);
	if (csv_cp874 == (iconv_t)-1)
		return (CSV_TEXT_UNKNOWN);

	/* Each byte from 0x80 up is one BMP character: 2 or 3 bytes. */
	for (i = 0, high = 0; i < len; i++)
		high += p[i] >= 0x80;
	if (len > (SIZE_MAX - 1) / 3)
		return (CSV_NOMEM);
	cap = len + 2 * high + 1;
	if ((buf = malloc(cap)) == NULL)
		return (CSV_NOMEM);

	/* iconv() takes char ** for its input but does not write to it. */
	in = (char *)(uintptr_t)data;
	inleft = len;
	o = buf;
	oleft = cap - 1;
	ret = CSV_TEXT_CP874;
	(void)iconv(csv_cp874, NULL, NULL, NULL, NULL);
	if (iconv(csv_cp874, &in, &inleft, &o, &oleft) == (size_t)-1) {
		if (errno == EILSEQ || errno == EINVAL) {
			*line = csv_line_at(data, (size_t)(in - data));
			ret = CSV_TEXT_UNKNOWN;
		} else {
			ret = CSV_NOMEM;
		}
		explicit_bzero(buf, cap);
		free(buf);
		return (ret);
	}
	*o = '\0';
	*out = buf;
	*outlen = (size_t)(o - buf);
	*line = 0;

	return (ret);
}

/*
 * The length of the strict UTF-8 sequence at p (left bytes on), as
 * utf8_valid() reads it (no overlongs, surrogates or code points past
 * U+10FFFF): 1 for ASCII, 0 when none starts there.
 */
static size_t
csv_utf8_seq(const unsigned char *p, size_t left)
{
	unsigned int	cp;
	size_t		k, n;

	if (p[0] < 0x80)
		return (1);
	if ((p[0] & 0xe0) == 0xc0) {
		n = 1;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 2;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 3;
		cp = p[0] & 0x07;
	} else {
		return (0);
	}
	if (left <= n)
		return (0);
	for (k = 1; k <= n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (p[k] & 0x3f);
	}
	if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
	    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return (0);

	return (n + 1);
}

/* The 1-based line of byte off, line ends counted as csv_parse() does. */
static size_t
csv_line_at(const char *data, size_t off)
{
	size_t		i, line;

	for (i = 0, line = 1; i < off; i++) {
		if (data[i] == '\n' ||
		    (data[i] == '\r' && (i + 1 == off || data[i + 1] != '\n')))
			line++;
	}

	return (line);
}

/*
 * Splits data (len bytes, need not be NUL-terminated) into records of
 * fields. The table owns one copy of the text, unquoted in place, and
 * arrays of pointers into it; free it with csv_free(), also after an
 * error. Blank records (nothing but separators) are skipped but still
 * counted in csv_record.index, so numbers match the spreadsheet's rows.
 * Returns CSV_OK, CSV_TOO_MANY when more than max_records non-blank
 * records follow (max_records 0: no limit) or CSV_NOMEM.
 */
int
csv_parse(const char *data, size_t len, size_t max_records,
    struct csv_table *t)
{
	const char	*p, *end;
	char		*w, *field;
	size_t		first, index, kept;
	int		bad, blank, ret;

	memset(t, 0, sizeof(*t));
	if ((t->text = malloc(len + 1)) == NULL)
		return (CSV_NOMEM);

	p = data;
	end = data + len;
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;

	w = t->text;
	index = 0;
	kept = 0;
	ret = CSV_OK;
	while (p < end) {
		/* One record: fields until an unquoted line end. */
		first = t->nfields;
		bad = 0;
		blank = 1;
		for (;;) {
			field = w;
			p = csv_scan_field(p, end, &w, &bad, &blank);
			if (!csv_push_field(t, field))
				return (CSV_NOMEM);
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			break;
		}
		/* CRLF, LF or a lone CR ends the record. */
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;

		index++;
		if (blank && bad == 0) {
			t->nfields = first;
			continue;
		}
		if (max_records > 0 && kept == max_records + 1) {
			/* Header plus max_records data rows, and one more. */
			ret = CSV_TOO_MANY;
			break;
		}
		if (!csv_push_record(t, first, index, bad))
			return (CSV_NOMEM);
		kept++;
	}

	return (ret);
}

/*
 * Copies one field from p to *w, unquoted and NUL-terminated, and returns
 * where it stopped: at the comma or line end after it, or at end. Sets
 * *bad (if still 0) for a malformed field and clears *blank when the
 * field holds anything. The copy is never longer than the input it came
 * from plus its NUL, which replaces the separator.
 */
static const char *
csv_scan_field(const char *p, const char *end, char **w, int *bad,
    int *blank)
{
	char		*out;
	int		quoted;

	out = *w;
	quoted = 0;
	if (p < end && *p == '"') {
		quoted = 1;
		*blank = 0;
		for (p++; ; ) {
			if (p == end) {
				if (*bad == 0)
					*bad = CSV_BAD_UNTERMINATED;
				break;
			}
			if (*p == '"' && p + 1 < end && p[1] == '"') {
				*out++ = '"';
				p += 2;
			} else if (*p == '"') {
				p++;
				break;
			} else {
				*out++ = *p++;
			}
		}
	}

	/* Unquoted text, or what follows a closing quote. */
	while (p < end && *p != ',' && *p != '\n' && *p != '\r') {
		if (quoted && *bad == 0)
			*bad = CSV_BAD_QUOTE;
		*blank = 0;
		*out++ = *p++;
	}
	*out++ = '\0';
	*w = out;

	return (p);
}

/* Adds one field pointer; 0 when out of memory. */
static int
csv_push_field(struct csv_table *t, char *field)
{
	char		**fields;
	size_t		cap;

	if (t->nfields == t->fields_cap) {
		cap = t->fields_cap ? t->fields_cap * 2 : 64;
		if ((fields = reallocarray(t->fields, cap,
		    sizeof(*fields))) == NULL)
			return (0);
		t->fields = fields;
		t->fields_cap = cap;
	}
	t->fields[t->nfields++] = field;

	return (1);
}

/* Closes the record whose fields start at first; 0 when out of memory. */
static int
csv_push_record(struct csv_table *t, size_t first, size_t index, int bad)
{
	struct csv_record	*records;
	size_t			cap;

	if (t->nrecords == t->records_cap) {
		cap = t->records_cap ? t->records_cap * 2 : 64;
		if ((records = reallocarray(t->records, cap,
		    sizeof(*records))) == NULL)
			return (0);
		t->records = records;
		t->records_cap = cap;
	}
	t->records[t->nrecords].first = first;
	t->records[t->nrecords].nfields = t->nfields - first;
	t->records[t->nrecords].index = index;
	t->records[t->nrecords].bad = bad;
	t->nrecords++;

	return (1);
}

/* Field i of record r, or NULL past its end. */
const char *
csv_field(const struct csv_table *t, size_t r, size_t i)
{
	if (r >= t->nrecords || i >= t->records[r].nfields)
		return (NULL);

	return (t->fields[t->records[r].first + i]);
}

void
csv_free(struct csv_table *t)
{
	free(t->text);
	free(t->fields);
	free(t->records);
	memset(t, 0, sizeof(*t));
}

/*
 * Trims ASCII white space and no-break spaces (U+00A0, which spreadsheets
 * leave around pasted text) from both ends, in place. Returns s.
 */
char *
csv_trim(char *s)
{
	char		*e;

	for (;;) {
		if (*s == ' ' || *s == '\t')
			s++;
		else if ((unsigned char)s[0] == 0xc2 &&
		    (unsigned char)s[1] == 0xa0)
			s += 2;
		else
			break;
	}
	e = s + strlen(s);
	for (;;) {
		if (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		else if (e - s >= 2 && (unsigned char)e[-2] == 0xc2 &&
		    (unsigned char)e[-1] == 0xa0)
			e -= 2;
		else
			break;
	}
	*e = '\0';

	return (s);
}

/*
 * The import column a header names (Thai or English, English without
 * regard to case, white space around either ignored), or -1. The
 * canonical English name of column c is import_column_name(c).
 */
int
import_column(const char *header)
{
	char		buf[128];
	size_t		i, len;

	len = strlen(header);
	if (len >= sizeof(buf))
		return (-1);
	memcpy(buf, header, len + 1);
	header = csv_trim(buf);

	for (i = 0; i < sizeof(import_names) / sizeof(import_names[0]); i++) {
		if (!strcasecmp(header, import_names[i].en) ||
		    !strcmp(header, import_names[i].th))
			return (import_names[i].column);
	}

	return (-1);
}

const char *
import_column_name(int column)
{
	size_t		i;

	for (i = 0; i < sizeof(import_names) / sizeof(import_names[0]); i++) {
		if (import_names[i].column == column)
			return (import_names[i].en);
	}

	return ("");
}

/*
 * A yes/no cell (ม.40): 1 for ใช่/yes/true/1, 0 for ไม่/ไม่ใช่/no/false/0
 * or an empty cell, -1 for anything else. s is trimmed already.
 */
int
csv_yes_no(const char *s)
{
	if (!strcmp(s, "ใช่") || !strcasecmp(s, "yes") ||
	    !strcasecmp(s, "true") || !strcmp(s, "1"))
		return (1);
	if (*s == '\0' || !strcmp(s, "ไม่") || !strcmp(s, "ไม่ใช่") ||
	    !strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcmp(s, "0"))
		return (0);

	return (-1);
}

/* Makes room for n more bytes; 0 when out of memory. */
static int
csv_buf_grow(struct csv_buf *b, size_t n)
{
	char		*data;
	size_t		cap;

	if (b->cap - b->len >= n)
		return (1);
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n) {
		if (cap > ((size_t)-1) / 2)
			return (0);
		cap *= 2;
	}
	if ((data = realloc(b->data, cap)) == NULL)
		return (0);
	b->data = data;
	b->cap = cap;

	return (1);
}

/* Appends len raw bytes; 0 when out of memory. */
int
csv_buf_append(struct csv_buf *b, const char *s, size_t len)
{
	if (!csv_buf_grow(b, len))
		return (0);
	memcpy(b->data + b->len, s, len);
	b->len += len;

	return (1);
}

/*
 * Appends one field (NULL is empty), after a comma unless it starts the
 * row. Quotes it when it holds a comma, quote or line end. A field that
 * a spreadsheet would run as a formula (it starts with = + - @ or a tab
 * or CR) gets a leading apostrophe, as OWASP advises for exports: names
 * come from the public. Returns 0 when out of memory.
 */
int
csv_buf_field(struct csv_buf *b, const char *s, int first)
{
	const char	*p;
	int		quote;

	if (s == NULL)
		s = "";
	if (!first && !csv_buf_append(b, ",", 1))
		return (0);

	quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote && !csv_buf_append(b, "\"", 1))
		return (0);
	if (*s != '\0' && strchr("=+-@\t\r", *s) != NULL &&
	    !csv_buf_append(b, "'", 1))
		return (0);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' && !csv_buf_append(b, "\"", 1))
			return (0);
		if (!csv_buf_append(b, p, 1))
			return (0);
	}
	if (quote && !csv_buf_append(b, "\"", 1))
		return (0);

	return (1);
}

void
csv_buf_free(struct csv_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
