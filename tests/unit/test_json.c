/*
 * Unit tests of api/json.c: query parsing, UTF-8 and UUIDs, body
 * validation against field specs.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "../../api/json.c"

static int	errors_for(const char *, const char *, const char *);
static void	test_query(void);
static void	test_utf8(void);
static void	test_validate(void);
static void	test_validate_long_key(void);

static void
test_query(void)
{
	char		*names[4], *values[4];
	int		n, i;

	n = query_parse("limit=10&q=%E0%B8%87%E0%B8%B2%E0%B8%99&x", names,
	    values, 4);
	CHECK(n == 3);
	CHECK(n == 3 && !strcmp(values[0], "10"));
	CHECK(n == 3 && !strcmp(values[1], "งาน"));
	CHECK(n == 3 && !strcmp(names[2], "x") && values[2][0] == '\0');
	for (i = 0; i < n; i++) {
		free(names[i]);
		free(values[i]);
	}
	CHECK(query_parse("a=%00", names, values, 4) == -1);
	CHECK(query_parse("a=%zz", names, values, 4) == -1);
	CHECK(query_parse("a=%ff", names, values, 4) == -1);
	CHECK(query_parse("a=1&b=2&c=3&d=4&e=5", names, values, 4) == -1);
	n = query_parse("a=b+c", names, values, 4);
	CHECK(n == 1 && !strcmp(values[0], "b c"));
	free(names[0]);
	free(values[0]);
	CHECK(query_parse("", names, values, 4) == 0);
}

static void
test_utf8(void)
{
	CHECK(utf8_valid("แรงงานนอกระบบ"));
	CHECK(!utf8_valid("\xc0\xaf"));
	CHECK(!utf8_valid("\xed\xa0\x80"));
	CHECK(!utf8_valid("\xe0\xb8"));
	CHECK(utf8_length("งาน") == 3);
	CHECK(uuid_valid("a0000000-0000-4000-8000-000000000001"));
	CHECK(!uuid_valid("a0000000-0000-4000-8000-00000000000"));
	CHECK(!uuid_valid("a0000000x0000-4000-8000-000000000001"));
}

static const char *const kinds[] = { "a", "b", NULL };

static const struct field_spec specs[] = {
	{ "name", FIELD_STRING, FIELD_REQUIRED, 1, 3, NULL, NULL },
	{ "kind", FIELD_STRING, 0, 1, 8, kinds, NULL },
	{ "n", FIELD_INT, 0, 1, 10, NULL, NULL },
	{ "id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL, NULL },
	{ "tags", FIELD_STRING_ARRAY, FIELD_UNIQUE, 0, 2, kinds, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static int
errors_for(const char *text, const char *field, const char *code)
{
	json_t		*obj, *errors, *e;
	size_t		i;
	int		found;

	obj = json_loads(text, 0, NULL);
	errors = json_array();
	json_validate(obj, specs, errors);
	found = field == NULL ? json_array_size(errors) == 0 : 0;
	json_array_foreach(errors, i, e) {
		if (field != NULL && !strcmp(json_string_value(
		    json_object_get(e, "field")), field) &&
		    !strcmp(json_string_value(json_object_get(e, "code")),
		    code))
			found = 1;
	}
	json_decref(obj);
	json_decref(errors);

	return (found);
}

static void
test_validate(void)
{
	CHECK(errors_for("{\"name\":\"งาน\"}", NULL, NULL));
	CHECK(errors_for("{}", "name", "required"));
	CHECK(errors_for("{\"name\":1}", "name", "type"));
	CHECK(errors_for("{\"name\":\"งานๆๆ\"}", "name", "length"));
	CHECK(errors_for("{\"name\":\"x\",\"zz\":1}", "zz", "unknown"));
	CHECK(errors_for("{\"name\":\"x\",\"kind\":\"c\"}", "kind", "enum"));
	CHECK(errors_for("{\"name\":\"x\",\"n\":11}", "n", "range"));
	CHECK(errors_for("{\"name\":\"x\",\"n\":1.5}", "n", "type"));
	CHECK(errors_for("{\"name\":\"x\",\"id\":\"nope\"}", "id", "format"));
	CHECK(errors_for("{\"name\":\"x\",\"id\":null}", NULL, NULL));
	CHECK(errors_for("{\"name\":null}", "name", "type"));
	CHECK(errors_for("{\"name\":\"x\",\"tags\":[\"a\",3]}", "tags.1",
	    "type"));
	CHECK(errors_for("{\"name\":\"x\",\"tags\":[\"a\",\"b\",\"a\"]}",
	    "tags", "length"));
	CHECK(errors_for("[1]", "", "type"));
	CHECK(errors_for("{\"name\":\"x\",\"tags\":[\"a\",\"a\"]}", "tags.1",
	    "duplicate"));
	test_validate_long_key();
}

/*
 * Regression (fuzz-json): an unknown field whose path is cut at 128 bytes
 * inside a Thai character was dropped, so the body passed validation.
 */
static void
test_validate_long_key(void)
{
	char		body[512], field[256];
	size_t		i, n;

	n = (size_t)snprintf(body, sizeof(body), "{\"name\":\"x\",\"");
	field[0] = '\0';
	for (i = 0; i < 43; i++) {
		memcpy(body + n, "\xe0\xb8\x81", 3);
		n += 3;
		if (i < 42)
			memcpy(field + i * 3, "\xe0\xb8\x81", 4);
	}
	(void)snprintf(body + n, sizeof(body) - n, "\":1}");
	CHECK(errors_for(body, NULL, NULL) == 0);
	CHECK(errors_for(body, field, "unknown"));
}

void
unit_json(void)
{
	test_query();
	test_utf8();
	test_validate();
}
