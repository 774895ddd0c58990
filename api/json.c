/*
 * Request bodies and query strings checked against field specs. Pure, so
 * unit tests and fuzzers reach it without a server; request.c reads them
 * from the request and answers 413, 415, 400 or 422.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static void	validate_field(json_t *, const struct field_spec *, json_t *,
		    const char *);
static void	validate_object(json_t *, const struct field_spec *, json_t *,
		    const char *);

/*
 * Field paths are cut at 128 bytes, which may end inside a character:
 * json_pack() then refuses the path and the error was lost (a long Thai
 * unknown field passed validation; found by tests/fuzz/fuzz-json.c).
 * Back off to the last whole character; never drop the error.
 */
void
validation_error(json_t *errors, const char *field, const char *code,
    const char *message)
{
	json_t		*e;
	size_t		len;

	e = json_pack("{s:s, s:s, s:s}", "field", field, "code", code,
	    "message", message);
	if (e == NULL) {
		len = strlen(field);
		while (len > 0 &&
		    ((unsigned char)field[len - 1] & 0xc0) == 0x80)
			len--;
		if (len > 0 && (unsigned char)field[len - 1] >= 0xc0)
			len--;
		e = json_pack("{s:s%, s:s, s:s}", "field", field, len,
		    "code", code, "message", message);
	}
	if (e == NULL) {
		e = json_pack("{s:s, s:s, s:s}", "field", "", "code", code,
		    "message", message);
	}
	json_array_append_new(errors, e);
}

/* The arguments of the last error's message; args is stolen. */
void
error_args(json_t *errors, json_t *args)
{
	json_t		*e;

	e = json_array_get(errors, json_array_size(errors) - 1);
	if (json_is_object(e) && args != NULL)
		json_object_set_new(e, "args", args);
	else
		json_decref(args);
}

/* Code points in valid UTF-8 (Jansson has checked the encoding). */
size_t
utf8_length(const char *s)
{
	size_t		n;

	for (n = 0; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}

	return (n);
}

int
uuid_valid(const char *s)
{
	size_t		i;

	if (strlen(s) != NGAN_UUID_LEN)
		return (0);
	for (i = 0; i < NGAN_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (0);
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F'))) {
			return (0);
		}
	}

	return (1);
}

/* Exactly n ASCII digits. */
int
digits_valid(const char *s, size_t n)
{
	size_t		i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
		;

	return (i == n && s[i] == '\0');
}

/* Place codes of event venues and groups: 2, 4 and 6 digits. */
const char *
province_check(const char *s)
{
	return (digits_valid(s, 2) ? NULL :
	    "events.place_code_digits_province");
}

const char *
district_check(const char *s)
{
	return (digits_valid(s, 4) ? NULL :
	    "events.place_code_digits_province");
}

const char *
subdistrict_check(const char *s)
{
	return (digits_valid(s, 6) ? NULL :
	    "events.place_code_digits_province");
}

/*
 * Checks obj against specs, appending {field, code, message} to errors for
 * each wrong type, missing field and unknown field. Returns the number of
 * errors found.
 */
int
json_validate(json_t *obj, const struct field_spec *specs, json_t *errors)
{
	size_t		before;

	before = json_array_size(errors);
	validate_object(obj, specs, errors, "");

	return ((int)(json_array_size(errors) - before));
}

/* prefix is "" at the top, "venue." or "quotas.0." below. */
static void
validate_object(json_t *obj, const struct field_spec *specs, json_t *errors,
    const char *prefix)
{
	const struct field_spec	*s;
	const char		*key;
	json_t			*value;
	char			path[128];

	if (!json_is_object(obj)) {
		(void)snprintf(path, sizeof(path), "%.*s", *prefix != '\0' ?
		    (int)strlen(prefix) - 1 : 0, prefix);
		validation_error(errors, path, "type",
		    *prefix != '\0' ? "json.field_must_object" :
		    "json.body_must_json_object");
		return;
	}

	json_object_foreach(obj, key, value) {
		for (s = specs; s->name != NULL; s++) {
			if (!strcmp(s->name, key))
				break;
		}
		if (s->name == NULL) {
			(void)snprintf(path, sizeof(path), "%s%s", prefix, key);
			validation_error(errors, path, "unknown",
			    "json.field_part_request");
		}
	}

	for (s = specs; s->name != NULL; s++) {
		(void)snprintf(path, sizeof(path), "%s%s", prefix, s->name);
		value = json_object_get(obj, s->name);
		if (value == NULL) {
			if (s->flags & FIELD_REQUIRED) {
				validation_error(errors, path, "required",
				    "json.field_required");
			}
			continue;
		}
		validate_field(value, s, errors, path);
	}
}

/* Days in a month of the proleptic Gregorian calendar. */
static int
month_days(int y, int m)
{
	static const int	days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return (29);
	return (days[m - 1]);
}

static int
digits(const char *s, int n, int *out)
{
	int		i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (0);
		*out = *out * 10 + (s[i] - '0');
	}

	return (1);
}

/* YYYY-MM-DD, a real day between years 1900 and 2200. */
const char *
date_check(const char *s)
{
	int		y, m, d;

	if (strlen(s) < 10 || !digits(s, 4, &y) || s[4] != '-' ||
	    !digits(s + 5, 2, &m) || s[7] != '-' || !digits(s + 8, 2, &d))
		return ("json.write_date_yyyymmdd");
	if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 ||
	    d > month_days(y, m))
		return ("json.date_unreal");

	return (NULL);
}

/* RFC 3339 date-time with a Z or +HH:MM offset, seconds optional. */
const char *
time_check(const char *s)
{
	const char	*p;
	int		h, mi, sec, oh, om;

	if (date_check(s) != NULL || (s[10] != 'T' && s[10] != 't'))
		return ("json.write_time_rfc_3339");
	p = s + 11;
	if (!digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &mi))
		goto bad;
	p += 5;
	sec = 0;
	if (*p == ':') {
		if (!digits(p + 1, 2, &sec))
			goto bad;
		p += 3;
		if (*p == '.') {
			p++;
			if (*p < '0' || *p > '9')
				goto bad;
			while (*p >= '0' && *p <= '9')
				p++;
		}
	}
	if (h > 23 || mi > 59 || sec > 59)
		goto bad;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		if (!digits(p + 1, 2, &oh) || p[3] != ':' ||
		    !digits(p + 4, 2, &om) || oh > 23 || om > 59)
			goto bad;
		p += 6;
	} else {
		goto bad;
	}
	if (*p != '\0')
		goto bad;

	return (NULL);

bad:
	return ("json.write_time_offset");
}

static void
validate_field(json_t *v, const struct field_spec *s, json_t *errors,
    const char *path)
{
	const char	*str, *why;
	json_int_t	n;
	size_t		i, len;
	json_t		*item;
	char		sub[160];
	int		k;

	if (json_is_null(v)) {
		if (!(s->flags & FIELD_NULLABLE))
			validation_error(errors, path, "type",
			    "json.field_null");
		return;
	}

	switch (s->type) {
	case FIELD_TIME:
	case FIELD_DATE:
		if (!json_is_string(v)) {
			validation_error(errors, path, "type",
			    "json.field_must_string");
			return;
		}
		why = s->type == FIELD_TIME ? time_check(json_string_value(v)) :
		    date_check(json_string_value(v));
		if (why != NULL)
			validation_error(errors, path, "format", why);
		break;
	case FIELD_STRING:
	case FIELD_UUID:
		if (!json_is_string(v)) {
			validation_error(errors, path, "type",
			    "json.field_must_string");
			return;
		}
		str = json_string_value(v);
		if (s->type == FIELD_UUID) {
			if (!uuid_valid(str))
				validation_error(errors, path, "format",
				    "json.field_must_uuid");
			return;
		}
		len = utf8_length(str);
		if ((s->min > 0 && len < (size_t)s->min) ||
		    (s->max > 0 && len > (size_t)s->max)) {
			validation_error(errors, path, "length",
			    "json.text_too_short_too");
			return;
		}
		if (s->choices != NULL) {
			for (k = 0; s->choices[k] != NULL; k++) {
				if (!strcmp(s->choices[k], str))
					break;
			}
			if (s->choices[k] == NULL) {
				validation_error(errors, path, "enum",
				    "json.value_one_choices");
				return;
			}
		}
		if (s->check != NULL && (why = s->check(str)) != NULL)
			validation_error(errors, path, "format", why);
		break;
	case FIELD_INT:
		if (!json_is_integer(v)) {
			validation_error(errors, path, "type",
			    "json.field_must_integer");
			return;
		}
		n = json_integer_value(v);
		if (n < s->min || n > s->max)
			validation_error(errors, path, "range",
			    "json.number_out_range");
		break;
	case FIELD_BOOL:
		if (!json_is_boolean(v))
			validation_error(errors, path, "type",
			    "json.field_must_true_false");
		break;
	case FIELD_OBJECT:
		if (!json_is_object(v)) {
			validation_error(errors, path, "type",
			    "json.field_must_object");
		} else if (s->sub != NULL) {
			(void)snprintf(sub, sizeof(sub), "%s.", path);
			validate_object(v, s->sub, errors, sub);
		}
		break;
	case FIELD_ARRAY:
	case FIELD_OBJECT_ARRAY:
	case FIELD_STRING_ARRAY:
		if (!json_is_array(v)) {
			validation_error(errors, path, "type",
			    "json.field_must_array");
			return;
		}
		len = json_array_size(v);
		if ((s->min > 0 && len < (size_t)s->min) ||
		    (s->max > 0 && len > (size_t)s->max)) {
			validation_error(errors, path, "length",
			    "json.list_too_few_too");
			return;
		}
		if (s->type == FIELD_OBJECT_ARRAY) {
			json_array_foreach(v, i, item) {
				(void)snprintf(sub, sizeof(sub), "%s.%zu.",
				    path, i);
				validate_object(item, s->sub, errors, sub);
			}
			break;
		}
		if (s->type != FIELD_STRING_ARRAY)
			break;
		json_array_foreach(v, i, item) {
			(void)snprintf(sub, sizeof(sub), "%s.%zu", path, i);
			if ((s->flags & FIELD_UNIQUE) && json_is_string(item)) {
				for (k = 0; (size_t)k < i; k++) {
					if (json_equal(item,
					    json_array_get(v, (size_t)k)))
						break;
				}
				if ((size_t)k < i) {
					validation_error(errors, sub,
					    "duplicate",
					    "json.value_already_list");
					continue;
				}
			}
			if (!json_is_string(item)) {
				validation_error(errors, sub, "type",
				    "json.each_item_must_string");
				continue;
			}
			str = json_string_value(item);
			if (s->choices != NULL) {
				for (k = 0; s->choices[k] != NULL; k++) {
					if (!strcmp(s->choices[k], str))
						break;
				}
				if (s->choices[k] == NULL) {
					validation_error(errors, sub, "enum",
					    "json.value_one_choices");
					continue;
				}
			}
			if (s->check != NULL && (why = s->check(str)) != NULL)
				validation_error(errors, sub, "format", why);
		}
		break;
	}
}

/* The value of hex digit c, or -1. */
int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Percent-decodes s in place ('+' is a space). 0 on bad escapes or NUL. */
int
url_decode(char *s)
{
	char		*w;
	int		hi, lo;

	for (w = s; *s != '\0'; s++, w++) {
		if (*s == '+') {
			*w = ' ';
		} else if (*s == '%') {
			if ((hi = hex_digit(s[1])) < 0 ||
			    (lo = hex_digit(s[2])) < 0)
				return (0);
			if (hi == 0 && lo == 0)
				return (0);
			*w = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*w = *s;
		}
	}
	*w = '\0';

	return (1);
}

/* Strict UTF-8: no overlongs, surrogates or code points past U+10FFFF. */
int
utf8_valid(const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	unsigned int		cp;
	int			n, i;

	while (*s != '\0') {
		if (*s < 0x80) {
			s++;
			continue;
		} else if ((*s & 0xe0) == 0xc0) {
			n = 1;
			cp = *s & 0x1f;
		} else if ((*s & 0xf0) == 0xe0) {
			n = 2;
			cp = *s & 0x0f;
		} else if ((*s & 0xf8) == 0xf0) {
			n = 3;
			cp = *s & 0x07;
		} else {
			return (0);
		}
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return (0);
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return (0);
		s += n + 1;
	}

	return (1);
}

/*
 * Splits a query string into at most max decoded name/value pairs, in
 * heap copies the caller frees. Returns the count, or -1 when the query
 * is malformed (bad escapes, NUL, invalid UTF-8, too many parameters).
 */
int
query_parse(const char *qs, char **names, char **values, int max)
{
	const char	*p, *amp, *eq;
	int		n;
	size_t		len;

	n = 0;
	for (p = qs; p != NULL && *p != '\0';
	    p = amp != NULL ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		len = amp != NULL ? (size_t)(amp - p) : strlen(p);
		if (len == 0)
			continue;
		if (n >= max)
			goto bad;
		eq = memchr(p, '=', len);
		names[n] = strndup(p, eq != NULL ? (size_t)(eq - p) : len);
		if (eq != NULL)
			values[n] = strndup(eq + 1, len - (size_t)(eq - p) - 1);
		else
			values[n] = strdup("");
		n++;
		if (names[n - 1] == NULL || values[n - 1] == NULL ||
		    !url_decode(names[n - 1]) || !url_decode(values[n - 1]) ||
		    !utf8_valid(names[n - 1]) || !utf8_valid(values[n - 1]))
			goto bad;
	}

	return (n);

bad:
	while (n > 0) {
		n--;
		free(names[n]);
		free(values[n]);
	}
	return (-1);
}

/*
 * One query parameter's value against its spec row, the rows bodies use:
 * NULL when it will do, else why (the row's own message, when it has
 * one). Strings are checked by check(), or against the choices, or for
 * their length in characters when max is set.
 */
const char *
query_value_check(const struct field_spec *s, const char *v)
{
	const char	*why;
	char		*end;
	long long	n;
	size_t		len;
	int		k;

	why = NULL;
	switch (s->type) {
	case FIELD_INT:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || n < s->min ||
		    n > s->max)
			why = "json.must_whole_number_range";
		break;
	case FIELD_UUID:
		if (!uuid_valid(v))
			why = "json.must_uuid";
		break;
	case FIELD_DATE:
		why = date_check(v);
		break;
	case FIELD_TIME:
		why = time_check(v);
		break;
	default:
		if (s->check != NULL) {
			why = s->check(v);
		} else if (s->choices != NULL) {
			for (k = 0; s->choices[k] != NULL; k++) {
				if (!strcmp(s->choices[k], v))
					break;
			}
			if (s->choices[k] == NULL)
				why = "json.value_one_choices";
		} else if (s->max > 0) {
			len = utf8_length(v);
			if ((long long)len < s->min || (long long)len > s->max)
				why = "json.value_too_short_too";
		}
		break;
	}
	if (why != NULL && s->message != NULL)
		why = s->message;

	return (why);
}
