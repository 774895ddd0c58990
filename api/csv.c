/*
 * CSV as offices export it from spreadsheets (RFC 4180: comma separated,
 * fields quoted with '"' and "" inside, CRLF or LF line ends, an optional
 * UTF-8 byte order mark), the import file's column names in Thai or
 * English, and a small writer for exports.
 *
 * Pure functions: the unit tests call them without a server. Parsing is
 * lenient where spreadsheets are sloppy and strict where a wrong guess
 * would put a value in the wrong column: a malformed record is flagged
 * (csv_record.bad) and parsing goes on with the next, so that one bad
 * row never loses the others.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ngan.h"

static const char	*csv_scan_field(const char *, const char *, char **,
			    int *, int *);
static int	csv_push_field(struct csv_table *, char *);
static int	csv_push_record(struct csv_table *, size_t, size_t, int);
static int	csv_buf_grow(struct csv_buf *, size_t);

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
