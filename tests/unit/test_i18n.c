/*
 * Unit tests of api/i18n.c: the language Accept-Language asks for, the
 * catalogue (sorted, every message in both languages with the same
 * placeholders) and the rendering of problems and import errors.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "../../api/i18n.c"

static void	test_lang(void);
static void	test_catalogue(void);
static void	test_render(void);
static int	same_placeholders(const char *, const char *);

/* RFC 9110 section 12.5.4, with Thai the default and on ties. */
static void
test_lang(void)
{
	char		big[300];

	CHECK(i18n_lang_parse(NULL) == I18N_TH);
	CHECK(i18n_lang_parse("") == I18N_TH);
	CHECK(i18n_lang_parse("th") == I18N_TH);
	CHECK(i18n_lang_parse("en") == I18N_EN);
	CHECK(i18n_lang_parse("EN-us") == I18N_EN);
	CHECK(i18n_lang_parse("en-GB, en;q=0.9") == I18N_EN);
	CHECK(i18n_lang_parse("en;q=0.1, th") == I18N_TH);
	CHECK(i18n_lang_parse("th;q=0.5, en;q=0.8") == I18N_EN);
	CHECK(i18n_lang_parse("th-TH;q=0.9, en ; q=0.95") == I18N_EN);
	CHECK(i18n_lang_parse("fr") == I18N_TH);
	CHECK(i18n_lang_parse("fr, en;q=0.5") == I18N_EN);
	CHECK(i18n_lang_parse("*, en;q=0.5") == I18N_TH);
	CHECK(i18n_lang_parse("*;q=0.2, en;q=0.5") == I18N_EN);
	CHECK(i18n_lang_parse("en;q=0") == I18N_TH);
	CHECK(i18n_lang_parse("en, th") == I18N_TH);
	/* Malformed weights drop their range. */
	CHECK(i18n_lang_parse("en;q=abc") == I18N_TH);
	CHECK(i18n_lang_parse("en;q=2") == I18N_TH);
	CHECK(i18n_lang_parse("en;q=0.5000") == I18N_TH);
	CHECK(i18n_lang_parse("en;q=1.0") == I18N_EN);
	CHECK(i18n_lang_parse("english") == I18N_TH);
	CHECK(i18n_lang_parse(",,;;en") == I18N_TH);
	CHECK(i18n_lang_parse("en\x01") == I18N_TH);
	CHECK(i18n_lang_parse("en, \xe0\xb9\x84") == I18N_TH);
	memset(big, ' ', sizeof(big));
	memcpy(big, "en", 2);
	big[sizeof(big) - 1] = '\0';
	CHECK(i18n_lang_parse(big) == I18N_TH);
	big[256] = '\0';
	CHECK(i18n_lang_parse(big) == I18N_EN);
	CHECK(strcmp(i18n_code(I18N_EN), "en") == 0);
	CHECK(strcmp(i18n_code(I18N_TH), "th") == 0);
}

static int
same_placeholders(const char *a, const char *b)
{
	const char	*p, *end;
	char		name[64];
	int		n;

	for (n = 0, p = a; (p = strchr(p, '{')) != NULL; p = end, n++) {
		if ((end = strchr(p, '}')) == NULL ||
		    (size_t)(end - p) >= sizeof(name))
			return (0);
		(void)snprintf(name, sizeof(name), "%.*s", (int)(end - p + 1),
		    p);
		if (strstr(b, name) == NULL)
			return (0);
	}
	for (p = b; (p = strchr(p, '{')) != NULL; p++)
		n--;

	return (n == 0);
}

static void
test_catalogue(void)
{
	const char	*key, *en, *th, *prev;
	size_t		i;
	int		sorted, whole;

	sorted = whole = 1;
	prev = NULL;
	for (i = 0; i18n_entry(i, &key, &en, &th); i++) {
		if (prev != NULL && strcmp(prev, key) >= 0)
			sorted = 0;
		if (*en == '\0' || *th == '\0' || !same_placeholders(en, th))
			whole = 0;
		prev = key;
	}
	CHECK(i > 100);
	CHECK(sorted);
	CHECK(whole);
	CHECK(!i18n_entry(i, &key, &en, &th));
	CHECK(i18n_template("not_found.event", I18N_TH) != NULL);
	CHECK(i18n_template("not_found.evenz", I18N_TH) == NULL);
	CHECK(i18n_template("", I18N_EN) == NULL);
}

static void
test_render(void)
{
	json_t		*args, *body, *report;
	char		*s;

	s = i18n_render("not_found.event", NULL, I18N_EN);
	CHECK(s != NULL && strcmp(s, "No event with that id.") == 0);
	free(s);
	s = i18n_render("not_found.event", NULL, I18N_TH);
	CHECK(s != NULL && strcmp(s, "ไม่พบกิจกรรมที่มีรหัสนี้") == 0);
	free(s);

	/* Placeholders from args; one missing stays as written. */
	args = json_pack("{s:i, s:s}", "cells", 3, "header", "5");
	s = i18n_render("import.row_cells", args, I18N_EN);
	CHECK(s != NULL &&
	    strcmp(s, "This row has 3 cells; the header has 5.") == 0);
	free(s);
	json_decref(args);
	s = i18n_render("import.line_bad_utf8", NULL, I18N_EN);
	CHECK(s != NULL && strstr(s, "line {line} is not") != NULL);
	free(s);

	/* Not a key: as it is (an old English message passes). */
	s = i18n_render("Plain text {x}", NULL, I18N_TH);
	CHECK(s != NULL && strcmp(s, "Plain text {x}") == 0);
	free(s);
	s = i18n_render("{unclosed", NULL, I18N_TH);
	CHECK(s != NULL && strcmp(s, "{unclosed") == 0);
	free(s);

	body = json_pack("{s:s, s:s, s:i, s:s, s:{s:s}, s:[{s:s, s:s, s:s, "
	    "s:{s:i}}]}", "type", "urn:ngan:problem:validation", "title",
	    "title.validation", "status", 422, "detail", "validation.body",
	    "detail_args", "x", "y", "errors", "field", "", "code", "format",
	    "message", "import.line_bad_utf8", "args", "line", 7);
	i18n_problem(body, I18N_EN);
	CHECK(!strcmp(json_string_value(json_object_get(body, "title")),
	    "Validation failed"));
	CHECK(!strcmp(json_string_value(json_object_get(body, "detail")),
	    "The request body has invalid fields."));
	CHECK(json_object_get(body, "detail_args") == NULL);
	args = json_array_get(json_object_get(body, "errors"), 0);
	CHECK(json_object_get(args, "args") == NULL);
	CHECK(strstr(json_string_value(json_object_get(args, "message")),
	    "line 7 is not") != NULL);
	json_decref(body);

	report = json_pack("{s:[{s:i, s:[{s:s, s:s, s:s}]}]}", "rows", "row",
	    1, "errors", "column", "first_name", "code", "required",
	    "message", "registrations.first_name_missing");
	i18n_import_report(report, I18N_TH);
	args = json_array_get(json_object_get(json_array_get(
	    json_object_get(report, "rows"), 0), "errors"), 0);
	CHECK(!strcmp(json_string_value(json_object_get(args, "message")),
	    "ไม่ได้กรอกชื่อ"));
	json_decref(report);
}

void
unit_i18n(void)
{
	test_lang();
	test_catalogue();
	test_render();
}
