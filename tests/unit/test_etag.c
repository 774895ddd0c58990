/*
 * Unit tests of api/etag.c: entity tags and If-Match / If-None-Match
 * lists.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "../../api/etag.c"

static void	test_etag(void);

/* etag.c: If-None-Match compares weakly, If-Match strongly (RFC 9110). */
static void
test_etag(void)
{
	char		a[ETAG_LEN + 1], b[ETAG_LEN + 1], list[128];

	etag_of("{\"counts\":1}", 12, a);
	etag_of("{\"counts\":2}", 12, b);
	CHECK(strlen(a) == ETAG_LEN && a[0] == '"' && a[ETAG_LEN - 1] == '"');
	CHECK(strcmp(a, b) != 0);
	etag_of("{\"counts\":1}", 12, b);
	CHECK(!strcmp(a, b));

	CHECK(etag_list_match(a, a, 0));
	CHECK(etag_list_match(a, a, 1));
	(void)snprintf(list, sizeof(list), "W/%s", a);
	CHECK(etag_list_match(list, a, 1));
	CHECK(!etag_list_match(list, a, 0));
	(void)snprintf(list, sizeof(list), "\"x\", W/\"y\" ,%s", a);
	CHECK(etag_list_match(list, a, 0));
	(void)snprintf(list, sizeof(list), "\"x\",\tW/%s", a);
	CHECK(etag_list_match(list, a, 1));
	CHECK(!etag_list_match(list, a, 0));
	CHECK(etag_list_match("*", a, 0));
	CHECK(etag_list_match(" * ", a, 1));
	CHECK(!etag_list_match("\"x\"", a, 1));
	CHECK(!etag_list_match("", a, 1));
	CHECK(!etag_list_match("\"\"", a, 1));
	/* Malformed lists match nothing, even with the tag inside. */
	(void)snprintf(list, sizeof(list), "%s garbage", a);
	CHECK(!etag_list_match(list, a, 1));
	(void)snprintf(list, sizeof(list), "x%s", a);
	CHECK(!etag_list_match(list, a, 1));
	CHECK(!etag_list_match("\"abc", "\"abc\"", 1));
	CHECK(!etag_list_match("\"a b\"", "\"a b\"", 1));
	CHECK(!etag_list_match("w/\"a\"", "\"a\"", 1));

	CHECK(etag_list_version("\"3\"") == 3);
	CHECK(etag_list_version("W/\"3\"") == 0);
	CHECK(etag_list_version("W/\"3\", \"4\"") == 4);
	CHECK(etag_list_version("\"x\", \"12\"") == 12);
	CHECK(etag_list_version("*") == -1);
	CHECK(etag_list_version("\"0\"") == 0);
	CHECK(etag_list_version("\"03\"") == 0);
	CHECK(etag_list_version("\"-3\"") == 0);
	CHECK(etag_list_version("\"99999999999\"") == 0);
	CHECK(etag_list_version("\"3\" junk") == 0);
	CHECK(etag_list_version("") == 0);
}

void
unit_etag(void)
{
	test_etag();
}
