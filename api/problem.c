/*
 * Responses: RFC 9457 problem details for every error, JSON for the rest.
 * Every response carries the request id (set in api_dispatch).
 */

#include <stdio.h>
#include <string.h>

#include "ngan.h"

static const struct {
	int		status;
	const char	*slug;
	const char	*title;
} problem_kinds[] = {
	{ 400, "bad-request", "Bad request" },
	{ 401, "unauthorized", "Unauthorized" },
	{ 403, "forbidden", "Forbidden" },
	{ 404, "not-found", "Not found" },
	{ 405, "method-not-allowed", "Method not allowed" },
	{ 409, "conflict", "Conflict" },
	{ 410, "gone", "Gone" },
	{ 412, "precondition-failed", "Precondition failed" },
	{ 413, "payload-too-large", "Payload too large" },
	{ 415, "unsupported-media-type", "Unsupported media type" },
	{ 422, "validation", "Validation failed" },
	{ 428, "precondition-required", "Precondition required" },
	{ 429, "too-many-requests", "Too many requests" },
	{ 500, "internal", "Internal error" },
	{ 503, "service-unavailable", "Service unavailable" },
};

static json_t	*problem_body(struct http_request *, int, const char *,
		    const char *);

void
problem(struct http_request *req, int status, const char *slug,
    const char *detail)
{
	json_t		*body;

	body = problem_body(req, status, slug, detail);
	respond_json(req, status, body);
	json_decref(body);
}

/* Validation problem; errors is stolen. */
void
problem_errors(struct http_request *req, int status, const char *slug,
    const char *detail, json_t *errors)
{
	json_t		*body;

	body = problem_body(req, status, slug, detail);
	json_object_set_new(body, "errors", errors);
	respond_json(req, status, body);
	json_decref(body);
}

/* 401 with the challenge RFC 6750 asks for; bad says a token was sent. */
void
problem_unauthorized(struct http_request *req, int bad)
{
	http_response_header(req, "www-authenticate", bad ?
	    "Bearer error=\"invalid_token\"" : "Bearer");
	problem(req, 401, "unauthorized", bad ?
	    "The access token is invalid or expired." :
	    "This needs an access token (Authorization: Bearer).");
}

void
problem_retry_after(struct http_request *req, int status, int seconds,
    const char *detail)
{
	char		buf[16];

	(void)snprintf(buf, sizeof(buf), "%d", seconds < 1 ? 1 : seconds);
	http_response_header(req, "retry-after", buf);
	problem(req, status, status == 503 ? "service-unavailable" :
	    "too-many-requests", detail);
}

/* Renders body and sends it; the caller keeps its reference. */
void
respond_json(struct http_request *req, int status, json_t *body)
{
	char		*text;
	size_t		len;

	text = json_dumps(body, JSON_COMPACT);
	if (text == NULL) {
		header_set(req, "content-type", "application/problem+json");
		text = strdup("{\"type\":\"urn:ngan:problem:internal\","
		    "\"title\":\"Internal error\",\"status\":500}");
		status = 500;
	} else if (status >= 400) {
		header_set(req, "content-type", "application/problem+json");
	} else {
		header_set(req, "content-type", "application/json");
	}

	len = text != NULL ? strlen(text) : 0;
	respond_send(req, status, text, len);
	free(text);
}

void
respond_text(struct http_request *req, int status, const char *type,
    const char *data, size_t len)
{
	header_set(req, "content-type", type);
	respond_send(req, status, data, len);
}

static json_t *
problem_body(struct http_request *req, int status, const char *slug,
    const char *detail)
{
	struct ngan_req	*r;
	const char	*title;
	char		type[64];
	size_t		i;

	title = http_status_text(status);
	for (i = 0; i < sizeof(problem_kinds) / sizeof(problem_kinds[0]); i++) {
		if (problem_kinds[i].status == status) {
			title = problem_kinds[i].title;
			if (slug == NULL)
				slug = problem_kinds[i].slug;
			break;
		}
	}
	if (slug == NULL)
		slug = "error";

	(void)snprintf(type, sizeof(type), "urn:ngan:problem:%s", slug);
	r = http_state_get(req);

	return (json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type,
	    "title", title, "status", status, "detail",
	    detail != NULL ? detail : title, "request_id",
	    r != NULL ? r->request_id : ""));
}
