/*
 * /v1/events: seminars, trainings, workshops and meetings, and
 * /v1/target-groups, the kinds of people they are for.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ngan.h"

static const char	*digits_check(const char *, size_t);
static const char	*province_check(const char *);
static const char	*district_check(const char *);
static const char	*subdistrict_check(const char *);
static int		filters_or_422(struct http_request *, json_t *);

static const char *const event_kinds[] = {
	"seminar", "training", "workshop", "meeting", NULL
};

static const char *const event_statuses[] = {
	"draft", "published", "closed", "cancelled", NULL
};

static const char *const patch_statuses[] = {
	"draft", "published", "closed", "cancelled", NULL
};

static const struct field_spec venue_fields[] = {
	{ "name", FIELD_STRING, FIELD_REQUIRED, 1, 300 },
	{ "room", FIELD_STRING, FIELD_NULLABLE, 0, 200 },
	{ "province_code", FIELD_STRING, FIELD_REQUIRED, 0, 0, NULL,
	    province_check },
	{ "district_code", FIELD_STRING, FIELD_NULLABLE, 0, 0, NULL,
	    district_check },
	{ "subdistrict_code", FIELD_STRING, FIELD_NULLABLE, 0, 0, NULL,
	    subdistrict_check },
	{ NULL }
};

static const struct field_spec quota_fields[] = {
	{ "target_group", FIELD_STRING, FIELD_REQUIRED, 1, 40 },
	{ "seats", FIELD_INT, FIELD_REQUIRED, 0, 100000 },
	{ NULL }
};

/* Create and patch share the fields; create requires some of them. */
#define EVENT_FIELDS(req)						\
	{ "title", FIELD_STRING, req, 1, 500 },				\
	{ "project_name", FIELD_STRING, FIELD_NULLABLE, 0, 500 },	\
	{ "description", FIELD_STRING, FIELD_NULLABLE, 0, 20000 },	\
	{ "kind", FIELD_STRING, req, 1, 16, event_kinds },		\
	{ "starts_at", FIELD_TIME, req },				\
	{ "ends_at", FIELD_TIME, req },					\
	{ "venue", FIELD_OBJECT, req, 0, 0, NULL, NULL, venue_fields },	\
	{ "agency_id", FIELD_UUID, 0 },					\
	{ "co_organizer_ids", FIELD_STRING_ARRAY, FIELD_UNIQUE, 0, 20,	\
	    NULL, uuid_check },						\
	{ "presiding_official", FIELD_STRING, FIELD_NULLABLE, 0, 300 },	\
	{ "capacity", FIELD_INT, req, 1, 100000 },			\
	{ "quotas", FIELD_OBJECT_ARRAY, 0, 0, 20, NULL, NULL,		\
	    quota_fields },						\
	{ "registration_opens_at", FIELD_TIME, FIELD_NULLABLE },	\
	{ "registration_closes_at", FIELD_TIME, FIELD_NULLABLE },	\
	{ "min_sessions", FIELD_INT, FIELD_NULLABLE, 1, 1000 },		\
	{ "min_minutes", FIELD_INT, FIELD_NULLABLE, 1, 100000 }

static const char	*uuid_check(const char *);

static const struct field_spec event_create_fields[] = {
	EVENT_FIELDS(FIELD_REQUIRED),
	{ NULL }
};

static const struct field_spec event_patch_fields[] = {
	EVENT_FIELDS(0),
	{ "status", FIELD_STRING, 0, 1, 16, patch_statuses },
	{ NULL }
};

static const struct field_spec cancel_fields[] = {
	{ "reason", FIELD_STRING, FIELD_NULLABLE, 0, 1000 },
	{ NULL }
};

static const char *
digits_check(const char *s, size_t n)
{
	size_t		i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			break;
	}
	if (i != n || s[i] != '\0')
		return ("A place code is digits: province 2, district 4, "
		    "subdistrict 6.");

	return (NULL);
}

static const char *
province_check(const char *s)
{
	return (digits_check(s, 2));
}

static const char *
district_check(const char *s)
{
	return (digits_check(s, 4));
}

static const char *
subdistrict_check(const char *s)
{
	return (digits_check(s, 6));
}

static const char *
uuid_check(const char *s)
{
	return (uuid_valid(s) ? NULL : "This must be a UUID.");
}

/*
 * Reads the list filters into f (names as in the query). Answers 422
 * naming the first bad one and returns KORE_RESULT_ERROR.
 */
static int
filters_or_422(struct http_request *req, json_t *f)
{
	static const struct {
		const char		*name;
		const char		*(*check)(const char *);
		const char *const	*choices;
	} filters[] = {
		{ "province", province_check, NULL },
		{ "district", district_check, NULL },
		{ "from", date_check, NULL },
		{ "to", date_check, NULL },
		{ "status", NULL, event_statuses },
		{ "kind", NULL, event_kinds },
		{ "fiscal_year_be", NULL, NULL },
		{ "agency", uuid_check, NULL },
		{ "q", NULL, NULL },
	};
	const char	*why;
	char		*v, *end;
	long		n;
	size_t		i;
	int		k;

	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		if (!query_string(req, filters[i].name, &v))
			continue;
		why = NULL;
		if (filters[i].check != NULL) {
			why = filters[i].check(v);
		} else if (filters[i].choices != NULL) {
			for (k = 0; filters[i].choices[k] != NULL; k++) {
				if (!strcmp(filters[i].choices[k], v))
					break;
			}
			if (filters[i].choices[k] == NULL)
				why = "This value is not one of the choices.";
		} else if (!strcmp(filters[i].name, "fiscal_year_be")) {
			errno = 0;
			n = strtol(v, &end, 10);
			if (errno != 0 || end == v || *end != '\0' ||
			    n < 2400 || n > 2800)
				why = "A Buddhist Era year such as 2563.";
		} else if (utf8_length(v) < 1 || utf8_length(v) > 200) {
			why = "Search for 1 to 200 characters.";
		}
		if (why != NULL) {
			query_error(req, filters[i].name, "format", why);
			return (KORE_RESULT_ERROR);
		}
		json_object_set_new(f, filters[i].name, json_string(v));
	}

	return (KORE_RESULT_OK);
}

int
events_list(struct http_request *req, struct ngan_req *r)
{
	char		*cursor, *filters, limit_text[8];
	json_t		*f;
	int		limit, ret;

	if (r->phase > 0)
		return (db_respond(req, r));

	if (!query_limit_or_422(req, &limit))
		return (KORE_RESULT_OK);
	f = json_object();
	if (!filters_or_422(req, f)) {
		json_decref(f);
		return (KORE_RESULT_OK);
	}
	if (!query_string(req, "cursor", &cursor))
		cursor = NULL;
	(void)snprintf(limit_text, sizeof(limit_text), "%d", limit);
	filters = json_dumps(f, JSON_COMPACT);
	json_decref(f);

	ret = db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.events_list($1, $2, $3, $4)", 4, r->actor.json, filters,
	    limit_text, cursor);
	free(filters);

	return (ret);
}

int
events_get(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.event_get($1, $2)", 2, r->actor.json, r->params[0]));
}

int
events_create(struct http_request *req, struct ngan_req *r)
{
	char		*body;
	int		ret;

	if (r->phase > 0)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);
	if (!json_body_or_error(req, r, event_create_fields))
		return (KORE_RESULT_OK);

	body = json_dumps(r->body, JSON_COMPACT);
	ret = db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.event_create($1, $2)", 2, r->actor.json, body);
	free(body);

	return (ret);
}

int
events_patch(struct http_request *req, struct ngan_req *r)
{
	char		*body, version_text[16];
	int		version, ret;

	if (r->phase > 0)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);
	if (!if_match_version(req, &version))
		return (KORE_RESULT_OK);
	if (!json_body_or_error(req, r, event_patch_fields))
		return (KORE_RESULT_OK);

	(void)snprintf(version_text, sizeof(version_text), "%d", version);
	body = json_dumps(r->body, JSON_COMPACT);
	ret = db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.event_patch($1, $2, $3, $4)", 4, r->actor.json, r->params[0],
	    version_text, body);
	free(body);

	return (ret);
}

/* The body is optional: an empty one cancels without a reason. */
int
events_cancel(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);
	if (req->http_body_length > 0 &&
	    !json_body_or_error(req, r, cancel_fields))
		return (KORE_RESULT_OK);

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.event_cancel($1, $2)", 2, r->actor.json, r->params[0]));
}

int
target_groups_list(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	http_response_header(req, "cache-control", "public, max-age=300");
	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.target_groups()", 0));
}
