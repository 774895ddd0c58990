/*
 * /v1/agencies: the offices and organisations that run events. Plain
 * routes (main.c): what their requests may hold.
 */

#include <string.h>

#include "ngan.h"


static const char *const agency_kinds[] = {
	"ministry_office", "civil_society", "partner_foundation",
	"local_government", "other", NULL
};

const struct field_spec agency_fields[] = {
	{ "name", FIELD_STRING, FIELD_REQUIRED, 1, 300, NULL, NULL },
	{ "kind", FIELD_STRING, FIELD_REQUIRED, 1, 32, agency_kinds, NULL },
	{ "province_code", FIELD_STRING, FIELD_NULLABLE, 0, 0, NULL,
	    province_code_check },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

/* GET /v1/agencies */
const struct field_spec agency_query[] = {
	QUERY_LIMIT,
	{ .name = "kind", .type = FIELD_STRING, .choices = agency_kinds,
	    .code = "enum", .message = "agencies.kind_unknown" },
	{ .name = "province", .type = FIELD_STRING,
	    .check = province_code_check,
	    .message = "agencies.province_filter" },
	QUERY_CURSOR,
	{ NULL }
};

/* A province code, as agencies and partner clients name theirs. */
const char *
province_code_check(const char *s)
{
	return (digits_valid(s, 2) ? NULL :
	    "agencies.province_code_two_digits");
}
