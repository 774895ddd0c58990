/*
 * CSV import (api/csv.c): tell the text's encoding and convert it, then
 * parse anything. A file called UTF-8 is UTF-8; one converted from
 * Windows-874 is valid UTF-8 and converts back to the very bytes sent;
 * every record's fields must be in bounds, and what the export's quoting
 * writes back must be well-formed.
 */

#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define MAX_FIELDS	(64 * 1024)

static void	check_text(const u_int8_t *, size_t, const char *, size_t,
		    int, size_t);

/* UTF-8 back to Windows-874, to check the conversion loses nothing. */
static iconv_t	back_cd = (iconv_t)-1;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!csv_text_init())
		abort();
	if ((back_cd = iconv_open("WINDOWS-874", "UTF-8")) == (iconv_t)-1)
		abort();

	return (0);
}

int
LLVMFuzzerTestOneInput(const u_int8_t *data, size_t size)
{
	struct csv_table	 t, back;
	struct csv_buf		 out;
	const char		*f, *text;
	char			*copy, *conv;
	size_t			 i, j, conv_len, line, text_len;
	int			 kind;

	conv = NULL;
	kind = csv_text((const char *)data, size, &conv, &conv_len, &line);
	check_text(data, size, conv, conv_len, kind, line);
	text = conv != NULL ? conv : (const char *)data;
	text_len = conv != NULL ? conv_len : size;

	memset(&t, 0, sizeof(t));
	if (csv_parse(text, text_len, MAX_FIELDS, &t) != CSV_OK) {
		csv_free(&t);
		free(conv);
		return (0);
	}

	memset(&out, 0, sizeof(out));
	for (i = 0; i < t.nrecords; i++) {
		if (t.records[i].first + t.records[i].nfields > t.nfields)
			abort();
		for (j = 0; j < t.records[i].nfields; j++) {
			if ((f = csv_field(&t, i, j)) == NULL)
				abort();
			if (import_column(f) < -1 ||
			    import_column(f) >= IMPORT_COLUMNS)
				abort();
			(void)csv_yes_no(f);
			copy = strdup(f);
			(void)csv_trim(copy);
			free(copy);
			if (!csv_buf_field(&out, f, j == 0))
				abort();
		}
		if (!csv_buf_append(&out, "\r\n", 2))
			abort();
	}
	/* Out of range asks answer NULL, never read past the table. */
	if (t.nrecords > 0 && csv_field(&t, 0, t.records[0].nfields) != NULL)
		abort();

	/* What the export's quoting writes is well-formed CSV. */
	memset(&back, 0, sizeof(back));
	if (out.len > 0 && csv_parse(out.data, out.len, MAX_FIELDS * 2,
	    &back) == CSV_OK) {
		for (i = 0; i < back.nrecords; i++) {
			if (back.records[i].bad)
				abort();
		}
	}
	csv_free(&back);
	csv_buf_free(&out);
	csv_free(&t);
	free(conv);

	return (0);
}

/* What csv_text() said about data holds. */
static void
check_text(const u_int8_t *data, size_t size, const char *conv,
    size_t conv_len, int kind, size_t line)
{
	char		*copy, *in, *o, *again;
	size_t		 i, lines, inleft, oleft;

	if ((kind == CSV_TEXT_CP874) != (conv != NULL))
		abort();
	lines = 1;
	for (i = 0; i < size; i++)
		lines += data[i] == '\n' || data[i] == '\r';

	switch (kind) {
	case CSV_TEXT_UTF8:
		if ((copy = malloc(size + 1)) == NULL)
			abort();
		memcpy(copy, data, size);
		copy[size] = '\0';
		if (memchr(data, '\0', size) != NULL || !utf8_valid(copy))
			abort();
		free(copy);
		break;
	case CSV_TEXT_CP874:
		if (strlen(conv) != conv_len || !utf8_valid(conv))
			abort();
		/* Back to Windows-874: the same bytes, one for one. */
		if ((again = malloc(size + 1)) == NULL)
			abort();
		in = (char *)(uintptr_t)conv;
		inleft = conv_len;
		o = again;
		oleft = size + 1;
		(void)iconv(back_cd, NULL, NULL, NULL, NULL);
		if (iconv(back_cd, &in, &inleft, &o, &oleft) == (size_t)-1 ||
		    (size_t)(o - again) != size || memcmp(again, data, size))
			abort();
		free(again);
		break;
	case CSV_TEXT_BINARY:
		if (memchr(data, '\0', size) == NULL)
			abort();
		break;
	case CSV_TEXT_BAD_UTF8:
	case CSV_TEXT_UNKNOWN:
		if (line < 1 || line > lines)
			abort();
		break;
	case CSV_NOMEM:
		break;
	default:
		abort();
	}
}
