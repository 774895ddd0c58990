/*
 * /v1/events: seminars, trainings, workshops and meetings, and
 * /v1/target-groups, the kinds of people they are for. Plain routes
 * (main.c): what their requests may hold.
 */

#include <string.h>

#include "ngan.h"

static void		events_keep(struct http_request *, struct ngan_req *,
		    int);

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

/* Who may register themselves, and when (self.c, issue 18). */
static const struct field_spec public_fields[] = {
	{ "opens_at", FIELD_TIME, FIELD_NULLABLE },
	{ "closes_at", FIELD_TIME, FIELD_NULLABLE },
	{ "target_groups", FIELD_STRING_ARRAY, FIELD_REQUIRED | FIELD_UNIQUE,
	    1, 20 },
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
	{ "min_minutes", FIELD_INT, FIELD_NULLABLE, 1, 100000 },	\
	{ "public_registration", FIELD_OBJECT, FIELD_NULLABLE, 0, 0,	\
	    NULL, NULL, public_fields }

static const char	*uuid_check(const char *);

const struct field_spec event_create_fields[] = {
	EVENT_FIELDS(FIELD_REQUIRED),
	{ NULL }
};

const struct field_spec event_patch_fields[] = {
	EVENT_FIELDS(0),
	{ "status", FIELD_STRING, 0, 1, 16, patch_statuses },
	{ NULL }
};

const struct field_spec event_cancel_fields[] = {
	{ "reason", FIELD_STRING, FIELD_NULLABLE, 0, 1000 },
	{ NULL }
};

/* GET /v1/events: the list's filters, passed on as one object. */
static const char *const scanning_choices[] = { "me", NULL };

const struct field_spec event_query[] = {
	QUERY_LIMIT,
	{ .name = "province", .type = FIELD_STRING, .flags = FIELD_FILTER,
	    .check = province_check },
	{ .name = "district", .type = FIELD_STRING, .flags = FIELD_FILTER,
	    .check = district_check },
	{ .name = "from", .type = FIELD_DATE, .flags = FIELD_FILTER },
	{ .name = "to", .type = FIELD_DATE, .flags = FIELD_FILTER },
	{ .name = "status", .type = FIELD_STRING, .flags = FIELD_FILTER,
	    .choices = event_statuses },
	{ .name = "kind", .type = FIELD_STRING, .flags = FIELD_FILTER,
	    .choices = event_kinds },
	{ .name = "fiscal_year_be", .type = FIELD_INT, .flags = FIELD_FILTER,
	    .min = 2400, .max = 2800,
	    .message = "events.buddhist_era_year_such" },
	{ .name = "agency", .type = FIELD_UUID, .flags = FIELD_FILTER },
	{ .name = "q", .type = FIELD_STRING, .flags = FIELD_FILTER, .min = 1,
	    .max = 200, .message = "events.search_1_200_characters" },
	QUERY_CURSOR,		/* ARG_QUERY + 10 in main.c */
	/* The scanner app's list: the events the caller is assigned to. */
	{ .name = "scanning", .type = FIELD_STRING, .flags = FIELD_FILTER,
	    .choices = scanning_choices },
	{ NULL }
};

static const char *
uuid_check(const char *s)
{
	return (uuid_valid(s) ? NULL : "This must be a UUID.");
}

/*
 * Anonymous reads of events: the answer kept in this worker when there is
 * one (api/cache.c), else the row's call; a 200 it answers is kept.
 */
int
events_get_cached(struct http_request *req, struct ngan_req *r)
{
	if (r->state == STATE_QUERY && cache_serve(req, r, CACHE_EVENT))
		return (KORE_RESULT_OK);
	return (call_plain(req, r));
}

int
events_get_respond(struct http_request *req, struct ngan_req *r)
{
	events_keep(req, r, CACHE_EVENT);
	return (db_respond(req, r));
}

int
events_list_cached(struct http_request *req, struct ngan_req *r)
{
	if (r->state == STATE_QUERY && cache_serve(req, r, CACHE_EVENTS))
		return (KORE_RESULT_OK);
	return (call_plain(req, r));
}

int
events_list_respond(struct http_request *req, struct ngan_req *r)
{
	events_keep(req, r, CACHE_EVENTS);
	return (db_respond(req, r));
}

/* An anonymous 200 is kept for the next caller. */
static void
events_keep(struct http_request *req, struct ngan_req *r, int kind)
{
	const char	*body;

	if (db_rows(r) != 1 || db_isnull(r, 0, 0) || db_isnull(r, 0, 1) ||
	    strcmp(db_value(r, 0, 0), "200") != 0)
		return;
	body = db_value(r, 0, 1);
	cache_keep(req, r, kind, body, strlen(body),
	    db_isnull(r, 0, 2) ? NULL : db_value(r, 0, 2));
}
