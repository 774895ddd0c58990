/*
 * /v1/agencies: the offices and organisations that run events.
 */

#include <stdlib.h>
#include <string.h>

#include "ngan.h"

static const char	*province_code_check(const char *);

static const char *const agency_kinds[] = {
	"ministry_office", "civil_society", "partner_foundation",
	"local_government", "other", NULL
};

static const struct field_spec agency_fields[] = {
	{ "name", FIELD_STRING, FIELD_REQUIRED, 1, 300, NULL, NULL },
	{ "kind", FIELD_STRING, FIELD_REQUIRED, 1, 32, agency_kinds, NULL },
	{ "province_code", FIELD_STRING, FIELD_NULLABLE, 0, 0, NULL,
	    province_code_check },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static const char *
province_code_check(const char *s)
{
	if (strlen(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' ||
	    s[1] > '9')
		return ("A province code is two digits.");

	return (NULL);
}

int
agencies_list(struct http_request *req, struct ngan_req *r)
{
	char		*kind, *province, *cursor, limit_text[8];
	int		limit, i;

	if (r->phase == 0) {
		if (!auth_require(req, r, ROLE_ANY))
			return (KORE_RESULT_OK);
		if (!query_limit_or_422(req, &limit))
			return (KORE_RESULT_OK);
		if (!query_string(req, "kind", &kind))
			kind = NULL;
		for (i = 0; kind != NULL && agency_kinds[i] != NULL; i++) {
			if (!strcmp(agency_kinds[i], kind))
				break;
		}
		if (kind != NULL && agency_kinds[i] == NULL) {
			query_error(req, "kind", "enum",
			    "kind is not a kind of agency.");
			return (KORE_RESULT_OK);
		}
		if (!query_string(req, "province", &province))
			province = NULL;
		if (province != NULL && province_code_check(province)) {
			query_error(req, "province", "format",
			    "province is a two-digit province code.");
			return (KORE_RESULT_OK);
		}
		if (!query_string(req, "cursor", &cursor))
			cursor = NULL;
		(void)snprintf(limit_text, sizeof(limit_text), "%d", limit);
		return (db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.agencies_list($1, $2, $3, $4, $5)", 5,
		    r->actor.json, kind, province, limit_text, cursor));
	}

	return (db_respond(req, r));
}

int
agencies_get(struct http_request *req, struct ngan_req *r)
{
	if (r->phase == 0) {
		if (!auth_require(req, r, ROLE_ANY))
			return (KORE_RESULT_OK);
		return (db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.agency_get($1, $2)", 2, r->actor.json,
		    r->params[0]));
	}

	return (db_respond(req, r));
}

int
agencies_create(struct http_request *req, struct ngan_req *r)
{
	char		*body;
	int		ret;

	if (r->phase == 0) {
		if (!auth_require(req, r, ROLE_ADMIN))
			return (KORE_RESULT_OK);
		if (!json_body_or_error(req, r, agency_fields))
			return (KORE_RESULT_OK);
		body = json_dumps(r->body, JSON_COMPACT);
		ret = db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.agency_create($1, $2)", 2, r->actor.json, body);
		free(body);
		return (ret);
	}

	return (db_respond(req, r));
}
