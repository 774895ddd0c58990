/*
 * Unit tests of api/csv.c: the CSV parser, the text encoding of an
 * upload (UTF-8 or Windows-874), the import's column names and cells.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "../../api/csv.c"

static const char *csv_row(const struct csv_table *, size_t);
static unsigned int cp874_expected(unsigned int);
static void	test_csv_parse(void);
static void	test_csv_text(void);
static void	test_csv_import_words(void);

/* Record r's fields joined by '|', for short assertions. */
static const char *
csv_row(const struct csv_table *t, size_t r)
{
	static char	buf[256];
	size_t		i;
	int		off;

	buf[0] = '\0';
	off = 0;
	for (i = 0; r < t->nrecords && i < t->records[r].nfields; i++) {
		off += snprintf(buf + off, sizeof(buf) - (size_t)off, "%s%s",
		    i ? "|" : "", csv_field(t, r, i));
	}

	return (buf);
}

static void
test_csv_parse(void)
{
	struct csv_table	t;
	const char		*s;

	s = "\xef\xbb\xbfชื่อ,นามสกุล\r\nสมชาย,\"ใจ \"\"ดี\"\"\"\r\n"
	    "\"a,b\",\"line\nbreak\"\n\n,\n\"\",x";
	CHECK(csv_parse(s, strlen(s), 0, &t) == CSV_OK);
	CHECK(t.nrecords == 4);
	CHECK(!strcmp(csv_row(&t, 0), "ชื่อ|นามสกุล"));
	CHECK(!strcmp(csv_row(&t, 1), "สมชาย|ใจ \"ดี\""));
	CHECK(!strcmp(csv_row(&t, 2), "a,b|line\nbreak"));
	CHECK(!strcmp(csv_row(&t, 3), "|x"));
	/* Blank records are skipped but counted, as spreadsheet rows. */
	CHECK(t.records[3].index == 6);
	CHECK(t.records[1].bad == 0 && t.records[3].bad == 0);
	CHECK(csv_field(&t, 1, 2) == NULL);
	csv_free(&t);

	/* Text after a closing quote, and a quote left open. */
	s = "a,b\n\"x\"y,z\n1,2\n\"open,3\n4,5\n";
	CHECK(csv_parse(s, strlen(s), 0, &t) == CSV_OK);
	CHECK(t.nrecords == 4);
	CHECK(t.records[1].bad == CSV_BAD_QUOTE);
	CHECK(!strcmp(csv_row(&t, 2), "1|2") && t.records[2].bad == 0);
	CHECK(t.records[3].bad == CSV_BAD_UNTERMINATED);
	csv_free(&t);

	/* A lone CR ends a record; a bare quote inside text is kept. */
	s = "a\rb\"c\r";
	CHECK(csv_parse(s, strlen(s), 0, &t) == CSV_OK);
	CHECK(t.nrecords == 2 && !strcmp(csv_row(&t, 1), "b\"c"));
	csv_free(&t);

	/* NUL bytes stay inside their field (the caller rejects them). */
	CHECK(csv_parse("a\0b,c", 5, 0, &t) == CSV_OK);
	CHECK(t.nrecords == 1 && t.records[0].nfields == 2);
	csv_free(&t);

	s = "h\n1\n2\n\n3\n";
	CHECK(csv_parse(s, strlen(s), 3, &t) == CSV_OK);
	csv_free(&t);
	s = "h\n1\n2\n3\n4\n";
	CHECK(csv_parse(s, strlen(s), 3, &t) == CSV_TOO_MANY);
	csv_free(&t);
	CHECK(csv_parse("", 0, 0, &t) == CSV_OK && t.nrecords == 0);
	csv_free(&t);
	CHECK(csv_parse("\xef\xbb\xbf", 3, 0, &t) == CSV_OK &&
	    t.nrecords == 0);
	csv_free(&t);
}

/*
 * Windows-874 as Microsoft publishes it (cp874.txt, "bestfit874"'s
 * table): the code point of byte b, or 0 where it is undefined.
 */
static unsigned int
cp874_expected(unsigned int b)
{
	static const struct {
		unsigned int	b, cp;
	} extra[] = {
		{ 0x80, 0x20ac }, { 0x85, 0x2026 }, { 0x91, 0x2018 },
		{ 0x92, 0x2019 }, { 0x93, 0x201c }, { 0x94, 0x201d },
		{ 0x95, 0x2022 }, { 0x96, 0x2013 }, { 0x97, 0x2014 },
		{ 0xa0, 0x00a0 },
	};
	size_t		i;

	if (b < 0x80)
		return (b);
	if ((b >= 0xa1 && b <= 0xda) || (b >= 0xdf && b <= 0xfb))
		return (0x0e01 + (b - 0xa1));
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		if (extra[i].b == b)
			return (extra[i].cp);
	}

	return (0);
}

static void
test_csv_text(void)
{
	struct csv_table	t;
	unsigned int		b, cp, ok;
	char			*out, in[2], want[4];
	const char		*s;
	size_t			len, line;

	CHECK(csv_text_init());
	CHECK(csv_text_init());		/* once is enough; again is harmless */

	/* UTF-8, with a BOM or without, and ASCII are used as they are. */
	s = "\xef\xbb\xbfชื่อ,นามสกุล\r\nสมชาย,ใจดี\r\n";
	CHECK(csv_text(s, strlen(s), &out, &len, &line) == CSV_TEXT_UTF8 &&
	    out == NULL && line == 0);
	s = "ชื่อ,นามสกุล\nสมชาย,ใจดี\n";
	CHECK(csv_text(s, strlen(s), &out, &len, &line) == CSV_TEXT_UTF8 &&
	    out == NULL);
	CHECK(csv_text("a,b\n", 4, &out, &len, &line) == CSV_TEXT_UTF8);
	CHECK(csv_text("", 0, &out, &len, &line) == CSV_TEXT_UTF8);

	/* Every byte as glibc's WINDOWS-874 reads it, against the table. */
	ok = 0;
	for (b = 0x80; b <= 0xff; b++) {
		in[0] = (char)b;
		in[1] = '\0';
		cp = cp874_expected(b);
		if (cp == 0) {
			ok += csv_text(in, 1, &out, &len, &line) ==
			    CSV_TEXT_UNKNOWN && out == NULL && line == 1;
			continue;
		}
		if (cp < 0x800) {
			want[0] = (char)(0xc0 | (cp >> 6));
			want[1] = (char)(0x80 | (cp & 0x3f));
			want[2] = '\0';
		} else {
			want[0] = (char)(0xe0 | (cp >> 12));
			want[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
			want[2] = (char)(0x80 | (cp & 0x3f));
			want[3] = '\0';
		}
		if (csv_text(in, 1, &out, &len, &line) == CSV_TEXT_CP874 &&
		    out != NULL && len == strlen(want) && !strcmp(out, want))
			ok++;
		else
			printf("not ok: byte 0x%02x\n", b);
		free(out);
	}
	CHECK(ok == 128);

	/* A Thai Excel "CSV": TIS-620 letters, curly quotes, CRLF. */
	s = "\xaa\xd7\xe8\xcd,\xb9\xd2\xc1\xca\xa1\xd8\xc5\r\n"
	    "\xca\xc1\xaa\xd2\xc2,\x93\xe3\xa8\xb4\xd5\x94\r\n"
	    "\xb9\xd2\xa7,\xba\xd1\xc7\xa4\xd3\r\n";
	CHECK(csv_text(s, strlen(s), &out, &len, &line) == CSV_TEXT_CP874 &&
	    out != NULL && line == 0);
	CHECK(out != NULL && len == strlen(out) && !strcmp(out,
	    "ชื่อ,นามสกุล\r\nสมชาย,“ใจดี”\r\nนาง,บัวคำ\r\n"));
	CHECK(out != NULL && csv_parse(out, len, 0, &t) == CSV_OK &&
	    t.nrecords == 3 && !strcmp(csv_row(&t, 1), "สมชาย|“ใจดี”"));
	csv_free(&t);
	free(out);

	/* Bytes Windows-874 leaves undefined: refused, naming the line. */
	s = "a,b\r\n\xca\xc1,c\r\n\xb9\xd2\xa7,\xdb\r\n";
	CHECK(csv_text(s, strlen(s), &out, &len, &line) == CSV_TEXT_UNKNOWN &&
	    out == NULL && line == 3);
	s = "a\n\xca\xc1\xff";
	CHECK(csv_text(s, strlen(s), &out, &len, &line) == CSV_TEXT_UNKNOWN &&
	    line == 2);
	s = "a\rb\r\x81";		/* lone CRs end lines too */
	CHECK(csv_text(s, strlen(s), &out, &len, &line) == CSV_TEXT_UNKNOWN &&
	    line == 3);

	/* A BOM says UTF-8: bytes that are not are damage, not Thai. */
	s = "\xef\xbb\xbf" "a\n\xca\xc1\n";
	CHECK(csv_text(s, strlen(s), &out, &len, &line) == CSV_TEXT_BAD_UTF8 &&
	    out == NULL && line == 2);
	/* So is one bad byte among much UTF-8 Thai (ก cut short). */
	s = "ชื่อ,นามสกุล\nสมชาย,ใจดี\nนาง,\xe0\xb8\n";
	CHECK(csv_text(s, strlen(s), &out, &len, &line) == CSV_TEXT_BAD_UTF8 &&
	    line == 3);
	/* เขต in Windows-874 is valid UTF-8 by chance; the file is not. */
	s = "\xe0\xa2\xb5,\xca\xc1\xaa\xd2\xc2\n";
	CHECK(csv_text(s, strlen(s), &out, &len, &line) == CSV_TEXT_CP874 &&
	    out != NULL && !strcmp(out, "เขต,สมชาย\n"));
	free(out);

	/* NUL: UTF-16 ("Unicode Text") or not text at all. */
	CHECK(csv_text("a\0b", 3, &out, &len, &line) == CSV_TEXT_BINARY &&
	    out == NULL);
	CHECK(csv_text("\xff\xfe" "a\0", 4, &out, &len, &line) ==
	    CSV_TEXT_BINARY);
}

static void
test_csv_import_words(void)
{
	struct csv_buf	b;
	char		cell[32];

	CHECK(import_column("เลขประจำตัวประชาชน") == IMPORT_NATIONAL_ID);
	CHECK(import_column(" National_ID ") == IMPORT_NATIONAL_ID);
	CHECK(import_column("\xc2\xa0ม.40\xc2\xa0") == IMPORT_SECTION40);
	CHECK(import_column("คำนำหน้า") == IMPORT_TITLE);
	CHECK(import_column("TITLE") == IMPORT_TITLE);
	CHECK(import_column("email") == -1);
	CHECK(import_column("") == -1);
	CHECK(!strcmp(import_column_name(IMPORT_PROVINCE), "province"));

	snprintf(cell, sizeof(cell), "\t ใช่ ");
	CHECK(csv_yes_no(csv_trim(cell)) == 1);
	CHECK(csv_yes_no("Yes") == 1 && csv_yes_no("1") == 1);
	CHECK(csv_yes_no("") == 0 && csv_yes_no("ไม่") == 0);
	CHECK(csv_yes_no("FALSE") == 0);
	CHECK(csv_yes_no("maybe") == -1);
	snprintf(cell, sizeof(cell), "   ");
	CHECK(!strcmp(csv_trim(cell), ""));

	memset(&b, 0, sizeof(b));
	CHECK(csv_buf_field(&b, "นาย", 1));
	CHECK(csv_buf_field(&b, "a,\"b\"", 0));
	CHECK(csv_buf_field(&b, NULL, 0));
	CHECK(csv_buf_field(&b, "=HYPERLINK(1)", 0));
	CHECK(csv_buf_field(&b, "-", 0));
	CHECK(csv_buf_append(&b, "\r\n", 3));	/* with the NUL */
	CHECK(!strcmp(b.data, "นาย,\"a,\"\"b\"\"\",,'=HYPERLINK(1),'-\r\n"));
	csv_buf_free(&b);
}

void
unit_csv(void)
{
	test_csv_parse();
	test_csv_text();
	test_csv_import_words();
}
