/*
 * GET /v1/feed/registrations: the change feed for partners, in commit
 * order and resumable from any cursor (see sql/api/feed.sql for
 * how positions are given). Participants appear as a pseudonym: an
 * HMAC of their id under a key of the caller's own, derived from the
 * server's PII key, so one partner's ids are stable and count unique
 * people while two partners' ids cannot be matched with each other.
 */

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ngan.h"

static int	feed_on_replica(struct http_request *, struct ngan_req *);

int
feed_registrations(struct http_request *req, struct ngan_req *r)
{
	u_int8_t			key[PSEUDONYM_KEY_LEN];
	char				hex[sizeof(key) * 2 + 1];
	char				*cursor, limit_text[8], rate[16];
	char				keep[16];
	int				limit;

	if (r->state != STATE_QUERY && db_has_replica())
		return (feed_on_replica(req, r));
	if (r->state != STATE_QUERY)
		return (partner_respond(req, r));
	if (!auth_require(req, r, ROLE_ADMIN | ROLE_PARTNER))
		return (KORE_RESULT_OK);
	if (!query_limit_or_422(req, &limit))
		return (KORE_RESULT_OK);
	if (!query_string(req, "cursor", &cursor))
		cursor = NULL;

	/* The caller's pseudonym key (api/pseudonym.c); SQL applies it. */
	pseudonym_client_key(r->actor.sub, key);
	hex_encode(key, sizeof(key), hex);
	sodium_memzero(key, sizeof(key));

	(void)snprintf(limit_text, sizeof(limit_text), "%d", limit);
	if (db_has_replica()) {
		/* What the steps need again (api/audit.c). */
		r->body = json_pack("{s:s, s:{s:s?, s:i}, s:s, s:s, s:s?}",
		    "what", "feed", "f", "cursor", cursor, "limit", limit,
		    "key", hex, "limit", limit_text, "cursor", cursor);
		if (r->body == NULL)
			fatal("feed_registrations: out of memory");
		return (partner_read_begin(req, r));
	}
	partner_rate_text(rate, sizeof(rate));
	feed_keep_days_text(keep, sizeof(keep));

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.feed_registrations($1, decode($2, 'hex'), $3, $4, $5, $6, "
	    "$7)", 7, r->actor.json, hex, limit_text, cursor, rate,
	    r->route->pattern, keep));
}

/*
 * With a replica: the page is read there between the gate and the audit
 * on the primary (api/audit.c, sql/api/audit.sql). The feed's
 * positions are stamped by the gate, so the replica pages gap-free.
 */
static int
feed_on_replica(struct http_request *req, struct ngan_req *r)
{
	const char	*scope;

	switch (r->state) {
	case PARTNER_READ_REPLICA:
		if ((scope = partner_read_scope(req, r)) == NULL)
			return (KORE_RESULT_OK);
		db_on_replica(r);
		return (db_query(req, r, "SELECT (p.res).status, (p.res).body, "
		    "(p.res).etag, (p.res).location, p.nrows FROM "
		    "api.feed_page($1, decode($2, 'hex'), $3, $4) p", 4, scope,
		    json_string_value(json_object_get(r->body, "key")),
		    json_string_value(json_object_get(r->body, "limit")),
		    json_string_value(json_object_get(r->body, "cursor"))));
	case PARTNER_READ_AUDIT:
		return (partner_read_audit(req, r));
	default:	/* PARTNER_READ_ANSWER */
		http_response_header(req, "cache-control", "no-store");
		respond_text(req, 200, "application/json", r->scratch,
		    r->scratch_len);
		return (KORE_RESULT_OK);
	}
}
