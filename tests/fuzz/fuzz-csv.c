/*
 * CSV import (api/csv.c): parse anything; every record's fields must be
 * in bounds, and what the export's quoting writes back must be well-formed.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define MAX_FIELDS	(64 * 1024)

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return (0);
}

int
LLVMFuzzerTestOneInput(const u_int8_t *data, size_t size)
{
	struct csv_table	 t, back;
	struct csv_buf		 out;
	const char		*f;
	char			*copy;
	size_t			 i, j;

	memset(&t, 0, sizeof(t));
	if (csv_parse((const char *)data, size, MAX_FIELDS, &t) != CSV_OK) {
		csv_free(&t);
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

	return (0);
}
