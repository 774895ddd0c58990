/*
 * CSV in and out, the import file's text and columns.
 * Pure: no Kore, libpq nor libjwt, so tools and fuzzers link it alone.
 */

#ifndef NGAN_CSV_H
#define NGAN_CSV_H

#include <sys/types.h>

#include <stddef.h>

/* csv.c: pure. */
#define CSV_OK			0
#define CSV_TOO_MANY		1
#define CSV_NOMEM		2
#define CSV_BAD_QUOTE		1	/* text after a closing quote */
#define CSV_BAD_UNTERMINATED	2	/* a quote still open at the end */
#define CSV_TEXT_UTF8		0	/* csv_text(): UTF-8 as it came */
#define CSV_TEXT_CP874		1	/* Windows-874, converted */
#define CSV_TEXT_BINARY		3	/* a NUL byte */
#define CSV_TEXT_BAD_UTF8	4	/* UTF-8 (BOM, most bytes), damaged */
#define CSV_TEXT_UNKNOWN	5	/* neither UTF-8 nor Windows-874 */

struct csv_record {
	size_t		first;		/* index of its first field */
	size_t		nfields;
	size_t		index;		/* 1-based, blank records counted */
	int		bad;		/* CSV_BAD_*, 0 when well formed */
};

struct csv_table {
	char			*text;	/* the fields, unquoted, owned */
	char			**fields;
	size_t			nfields;
	size_t			fields_cap;
	struct csv_record	*records;
	size_t			nrecords;
	size_t			records_cap;
};

/* A growing output buffer; data is owned, free with csv_buf_free(). */
struct csv_buf {
	char		*data;
	size_t		len;
	size_t		cap;
};

/* The import file's columns, in Thai or English (import_column()). */
#define IMPORT_TITLE		0
#define IMPORT_FIRST_NAME	1
#define IMPORT_LAST_NAME	2
#define IMPORT_NATIONAL_ID	3
#define IMPORT_PHONE		4
#define IMPORT_SUBDISTRICT	5
#define IMPORT_DISTRICT		6
#define IMPORT_PROVINCE		7
#define IMPORT_TARGET_GROUP	8
#define IMPORT_OCCUPATION	9
#define IMPORT_SECTION40	10
#define IMPORT_COLUMNS		11

int	csv_text_init(void);
int	csv_text(const char *, size_t, char **, size_t *, size_t *);
int	csv_parse(const char *, size_t, size_t, struct csv_table *);
const char *csv_field(const struct csv_table *, size_t, size_t);
void	csv_free(struct csv_table *);
char	*csv_trim(char *);
int	csv_yes_no(const char *);
int	import_column(const char *);
const char *import_column_name(int);
int	csv_buf_append(struct csv_buf *, const char *, size_t);
int	csv_buf_field(struct csv_buf *, const char *, int);
void	csv_buf_free(struct csv_buf *);

#endif /* !NGAN_CSV_H */
