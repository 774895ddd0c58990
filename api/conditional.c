/*
 * HTTP semantics every response shares (RFC 9110): entity tags made from
 * the representation, conditional requests (If-None-Match, If-Match) and
 * response headers sent once.
 *
 * An ETag is a hash of the bytes of the representation (BLAKE2b, 128 bits,
 * as 32 hex digits): it changes whenever the body does, whatever made it
 * change (a count, the caller's role, the language). The database still
 * names the row version ("3"); respond_send() replaces that tag with the
 * hash and keeps the version only for If-Match (see main.c: before a
 * PATCH, PUT or DELETE with If-Match the route's GET runs first and its
 * representation is compared). Routes flagged ROUTE_TAG_SQL keep the
 * tag the database made: it already follows the representation (images,
 * attendance) or no GET shows the resource (sessions).
 */

#include <string.h>

#include "ngan.h"

static struct http_header	*header_find(struct http_request *,
				    const char *);
static void			headers_once(struct http_request *);

static struct http_header *
header_find(struct http_request *req, const char *name)
{
	struct http_header	*hdr;

	TAILQ_FOREACH(hdr, &req->resp_headers, list) {
		if (!strcasecmp(hdr->header, name))
			return (hdr);
	}

	return (NULL);
}

/* Sets a response header, replacing one set before. */
void
header_set(struct http_request *req, const char *name, const char *value)
{
	struct http_header	*hdr;

	if ((hdr = header_find(req, name)) == NULL) {
		http_response_header(req, name, value);
		return;
	}
	kore_free(hdr->value);
	hdr->value = kore_strdup(value);
}

/* Adds a field name to the one Vary header. */
void
header_vary(struct http_request *req, const char *field)
{
	struct http_header	*hdr;
	char			buf[256];

	if ((hdr = header_find(req, "vary")) == NULL) {
		http_response_header(req, "vary", field);
		return;
	}
	if (strcasestr(hdr->value, field) != NULL)
		return;
	(void)snprintf(buf, sizeof(buf), "%s, %s", hdr->value, field);
	kore_free(hdr->value);
	hdr->value = kore_strdup(buf);
}

/*
 * No header twice: a Vary set twice becomes one list, of anything else
 * the value set last stands.
 */
static void
headers_once(struct http_request *req)
{
	struct http_header	*hdr, *later, *next;

	TAILQ_FOREACH(hdr, &req->resp_headers, list) {
		for (later = TAILQ_NEXT(hdr, list); later != NULL;
		    later = next) {
			next = TAILQ_NEXT(later, list);
			if (strcasecmp(hdr->header, later->header))
				continue;
			if (!strcasecmp(hdr->header, "vary")) {
				TAILQ_REMOVE(&req->resp_headers, later, list);
				header_vary(req, later->value);
			} else {
				kore_free(hdr->value);
				hdr->value = later->value;
				later->value = NULL;
				TAILQ_REMOVE(&req->resp_headers, later, list);
			}
			kore_free(later->header);
			kore_free(later->value);
			kore_pool_put(&http_header_pool, later);
		}
	}
}

/* The header set last, NULL when none is. */
struct http_header *
headers_last(struct http_request *req)
{
	struct http_header	*hdr, *last;

	last = NULL;
	TAILQ_FOREACH(hdr, &req->resp_headers, list)
		last = hdr;

	return (last);
}

/* The headers set after mark (NULL: all of them) go. */
void
headers_drop_after(struct http_request *req, struct http_header *mark)
{
	struct http_header	*hdr, *next;

	hdr = mark != NULL ? TAILQ_NEXT(mark, list) :
	    TAILQ_FIRST(&req->resp_headers);
	for (; hdr != NULL; hdr = next) {
		next = TAILQ_NEXT(hdr, list);
		TAILQ_REMOVE(&req->resp_headers, hdr, list);
		kore_free(hdr->header);
		kore_free(hdr->value);
		kore_pool_put(&http_header_pool, hdr);
	}
}

/*
 * 304 (RFC 9110 15.4.5): no body and no Content-Length, with the ETag,
 * Cache-Control and Vary a 200 would have sent (set already).
 */
void
respond_not_modified(struct http_request *req)
{
	struct http_header	*hdr;

	if ((hdr = header_find(req, "content-type")) != NULL) {
		TAILQ_REMOVE(&req->resp_headers, hdr, list);
		kore_free(hdr->header);
		kore_free(hdr->value);
		kore_pool_put(&http_header_pool, hdr);
	}
	headers_once(req);
	req->flags |= HTTP_REQUEST_NO_CONTENT_LENGTH;
	http_response(req, 304, NULL, 0);
}

/*
 * Every answer goes out here. A successful representation with an ETag
 * gets the tag of its bytes (unless the route keeps the database's), and
 * a GET or HEAD whose If-None-Match names it gets 304. While main.c
 * evaluates If-Match (r->precond == PRECOND_CAPTURE) nothing is sent: the
 * outcome is kept for it.
 */
void
respond_send(struct http_request *req, int status, const void *data,
    size_t len)
{
	struct ngan_req		*r;
	struct http_header	*tag;
	const char		*inm;
	char			etag[ETAG_LEN + 1];

	r = http_state_get(req);
	tag = NULL;
	if (status >= 200 && status < 300 && status != 204)
		tag = header_find(req, "etag");

	if (tag != NULL && r != NULL && r->route != NULL &&
	    !(r->route->flags & ROUTE_TAG_SQL)) {
		etag_of(data != NULL ? data : "", len, etag);
		if (r->precond == PRECOND_CAPTURE)
			(void)snprintf(r->pre_version_tag,
			    sizeof(r->pre_version_tag), "%s", tag->value);
		kore_free(tag->value);
		tag->value = kore_strdup(etag);
		/* Who asks may change the body (roles, masking). */
		if (r->precond != PRECOND_CAPTURE &&
		    (req->method == HTTP_METHOD_GET ||
		    req->method == HTTP_METHOD_HEAD))
			header_vary(req, "Authorization");
	}

	if (r != NULL && r->precond == PRECOND_CAPTURE) {
		r->pre_status = status;
		(void)snprintf(r->pre_etag, sizeof(r->pre_etag), "%s",
		    tag != NULL ? tag->value : "");
		if (tag != NULL && (r->route->flags & ROUTE_TAG_SQL))
			(void)snprintf(r->pre_version_tag,
			    sizeof(r->pre_version_tag), "%s", tag->value);
		return;
	}

	if (tag != NULL && (req->method == HTTP_METHOD_GET ||
	    req->method == HTTP_METHOD_HEAD) &&
	    http_request_header(req, "if-none-match", &inm) &&
	    etag_list_match(inm, tag->value, 1)) {
		respond_not_modified(req);
		return;
	}

	headers_once(req);
	http_response(req, status, data, len);
}

/*
 * Sends a file as respond_send sends memory (Kore streams it from the
 * page cache; steals ref). No ETag check here: the caller answers 304.
 */
void
respond_fileref(struct http_request *req, int status,
    struct kore_fileref *ref)
{
	headers_once(req);
	http_response_fileref(req, status, ref);
}
