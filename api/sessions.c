/*
 * /v1/events/{id}/sessions: the opening, lectures, panels and breakout
 * groups of an event, each within the event's times.
 */

#include <stdlib.h>
#include <string.h>

#include "ngan.h"

static int	session_write(struct http_request *, struct ngan_req *,
		    const struct field_spec *, const char *);

static const char *const session_kinds[] = {
	"opening", "lecture", "panel", "workshop", NULL
};

static const struct field_spec speaker_fields[] = {
	{ "name", FIELD_STRING, FIELD_REQUIRED, 1, 200 },
	{ "affiliation", FIELD_STRING, FIELD_NULLABLE, 0, 300 },
	{ NULL }
};

#define SESSION_FIELDS(req)						\
	{ "title", FIELD_STRING, req, 1, 500 },				\
	{ "kind", FIELD_STRING, req, 1, 16, session_kinds },		\
	{ "starts_at", FIELD_TIME, req },				\
	{ "ends_at", FIELD_TIME, req },					\
	{ "room", FIELD_STRING, FIELD_NULLABLE, 0, 200 },		\
	{ "speakers", FIELD_OBJECT_ARRAY, 0, 0, 50, NULL, NULL,		\
	    speaker_fields },						\
	{ "capacity", FIELD_INT, FIELD_NULLABLE, 1, 100000 }

static const struct field_spec session_create_fields[] = {
	SESSION_FIELDS(FIELD_REQUIRED),
	{ NULL }
};

static const struct field_spec session_patch_fields[] = {
	SESSION_FIELDS(0),
	{ NULL }
};

int
sessions_list(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.sessions_list($1, $2)", 2, r->actor.json, r->params[0]));
}

int
sessions_create(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	return (session_write(req, r, session_create_fields, NULL));
}

int
sessions_patch(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	return (session_write(req, r, session_patch_fields, r->params[1]));
}

int
sessions_delete(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.session_delete($1, $2, $3)", 3, r->actor.json, r->params[0],
	    r->params[1]));
}

/* Create (sid NULL) or patch (sid, with If-Match) a session. */
static int
session_write(struct http_request *req, struct ngan_req *r,
    const struct field_spec *fields, const char *sid)
{
	char		*body, version_text[16];
	int		version, ret;

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);
	version = 0;
	if (sid != NULL && !if_match_version(req, &version))
		return (KORE_RESULT_OK);
	if (!json_body_or_error(req, r, fields))
		return (KORE_RESULT_OK);

	(void)snprintf(version_text, sizeof(version_text), "%d", version);
	body = json_dumps(r->body, JSON_COMPACT);
	ret = db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.session_write($1, $2, $3, $4, $5)", 5, r->actor.json,
	    r->params[0], sid, sid != NULL ? version_text : NULL, body);
	free(body);

	return (ret);
}
