/*
 * /v1/events/{id}/scanners: the scanner accounts that may check people in
 * at an event. Organisers of the event's agency assign them.
 */

#include "ngan.h"

int
scanners_list(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);
	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.scanners_list($1, $2)", 2, r->actor.json, r->params[0]));
}

int
scanners_assign(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);
	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.scanner_assign($1, $2, $3)", 3, r->actor.json, r->params[0],
	    r->params[1]));
}

int
scanners_unassign(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);
	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.scanner_unassign($1, $2, $3)", 3, r->actor.json,
	    r->params[0], r->params[1]));
}
