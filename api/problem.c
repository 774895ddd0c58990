/*
 * Responses: RFC 9457 problem details for every error, JSON for the rest.
 * Every response carries the request id (set in api_dispatch).
 */

#include <stdio.h>
#include <string.h>

#include "ngan.h"

/* The slug (and title key, "title.<slug>") of each status. */
static const struct {
	int		status;
	const char	*slug;
} problem_kinds[] = {
	{ 400, "bad-request" },
	{ 401, "unauthorized" },
	{ 403, "forbidden" },
	{ 404, "not-found" },
	{ 405, "method-not-allowed" },
	{ 409, "conflict" },
	{ 410, "gone" },
	{ 412, "precondition-failed" },
	{ 413, "payload-too-large" },
	{ 415, "unsupported-media-type" },
	{ 422, "validation" },
	{ 428, "precondition-required" },
	{ 429, "too-many-requests" },
	{ 500, "internal" },
	{ 503, "service-unavailable" },
};

static json_t	*problem_body(struct http_request *, int, const char *,
		    const char *);

void
problem(struct http_request *req, int status, const char *slug,
    const char *detail)
{
	json_t		*body;

	body = problem_body(req, status, slug, detail);
	problem_send(req, status, body);
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
	problem_send(req, status, body);
	json_decref(body);
}

/*
 * Sends a problem whose title, detail and errors[].message are keys of
 * api/i18n.tsv, as text in the request's language; the caller keeps its
 * reference.
 */
void
problem_send(struct http_request *req, int status, json_t *body)
{
	int		lang;

	lang = i18n_lang(req);
	i18n_problem(body, lang);
	i18n_headers(req, lang);
	respond_json(req, status, body);
}

/* 401 with the challenge RFC 6750 asks for; bad says a token was sent. */
void
problem_unauthorized(struct http_request *req, int bad)
{
	http_response_header(req, "www-authenticate", bad ?
	    "Bearer error=\"invalid_token\"" : "Bearer");
	problem(req, 401, "unauthorized", bad ?
	    "problem.access_token_invalid_expired" :
	    "problem.needs_access_token_authorization");
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
	const char	*kind;
	char		type[64], title[64];
	size_t		i;

	/* A status not in the table keeps HTTP's English reason phrase. */
	kind = NULL;
	for (i = 0; i < sizeof(problem_kinds) / sizeof(problem_kinds[0]); i++) {
		if (problem_kinds[i].status == status) {
			kind = problem_kinds[i].slug;
			break;
		}
	}
	if (slug == NULL)
		slug = kind != NULL ? kind : "error";

	(void)snprintf(type, sizeof(type), "urn:ngan:problem:%s", slug);
	(void)snprintf(title, sizeof(title), "%s%s", kind != NULL ?
	    "title." : "", kind != NULL ? kind : http_status_text(status));
	r = http_state_get(req);

	return (json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type,
	    "title", title, "status", status, "detail",
	    detail != NULL ? detail : title, "request_id",
	    r != NULL ? r->request_id : ""));
}
