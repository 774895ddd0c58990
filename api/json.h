/*
 * Validation of JSON bodies and query parameters against field specs.
 * Pure: no Kore, libpq nor libjwt, so tools and fuzzers link it alone.
 */

#ifndef NGAN_JSON_H
#define NGAN_JSON_H

#include <sys/types.h>

#include <stddef.h>

#include <jansson.h>

/* json.c: pure, body and query validation (Jansson only). */
#define NGAN_UUID_LEN		36
#define FIELD_STRING		1
#define FIELD_INT		2
#define FIELD_BOOL		3
#define FIELD_UUID		4
#define FIELD_STRING_ARRAY	5
#define FIELD_OBJECT		6
#define FIELD_ARRAY		7
#define FIELD_OBJECT_ARRAY	8	/* items checked against sub */
#define FIELD_TIME		9	/* RFC 3339 with an offset */
#define FIELD_DATE		10	/* YYYY-MM-DD */

#define FIELD_REQUIRED		0x01
#define FIELD_NULLABLE		0x02
#define FIELD_UNIQUE		0x04	/* array items may not repeat */
#define FIELD_FILTER		0x08	/* query: one of ARG_FILTERS */

struct field_spec {
	const char		*name;
	int			type;
	int			flags;
	long long		min;	/* chars, value or items */
	long long		max;
	const char *const	*choices;	/* NULL-terminated enum */
	/* NULL, or why the value will not do. */
	const char		*(*check)(const char *);
	const struct field_spec	*sub;	/* FIELD_OBJECT(_ARRAY) members */
	/* Query parameters: the error's code and message, the default. */
	const char		*code;		/* "format" */
	const char		*message;
	const char		*fallback;
};

void	validation_error(json_t *, const char *, const char *, const char *);
void	error_args(json_t *, json_t *);
int	json_validate(json_t *, const struct field_spec *, json_t *);
size_t	utf8_length(const char *);
const char *time_check(const char *);
const char *date_check(const char *);
int	uuid_valid(const char *);
int	digits_valid(const char *, size_t);
int	hex_digit(char);
const char *province_check(const char *);
const char *district_check(const char *);
const char *subdistrict_check(const char *);
const char *query_value_check(const struct field_spec *, const char *);

/* The query rows most lists share: ?limit= (1 to 200, 50) and ?cursor=. */
#define QUERY_LIMIT							\
	{ .name = "limit", .type = FIELD_INT, .min = 1, .max = 200,	\
	    .code = "range", .fallback = "50",				\
	    .message = "limit is a whole number from 1 to 200." }
#define QUERY_CURSOR							\
	{ .name = "cursor", .type = FIELD_STRING }
int	query_parse(const char *, char **, char **, int);
int	url_decode(char *);
int	utf8_valid(const char *);

#endif /* !NGAN_JSON_H */
