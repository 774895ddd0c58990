/*
 * GET /v1/feed/registrations: the change feed for partners, in commit
 * order and resumable from any cursor (see sql/015_partner_data.sql for
 * how positions are given). Participants appear as a pseudonym: an
 * HMAC of their id under a key of the caller's own, derived from the
 * server's PII key, so one partner's ids are stable and count unique
 * people while two partners' ids cannot be matched with each other.
 */

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ngan.h"

#define FEED_KEY_LABEL	"ngan feed pseudonym v1:"

int
feed_registrations(struct http_request *req, struct ngan_req *r)
{
	crypto_auth_hmacsha256_state	st;
	u_int8_t			key[crypto_auth_hmacsha256_BYTES];
	char				hex[sizeof(key) * 2 + 1];
	char				*cursor, limit_text[8], rate[16];
	int				limit;

	if (r->phase > 0)
		return (partner_respond(req, r));
	if (!auth_require(req, r, ROLE_ADMIN | ROLE_PARTNER))
		return (KORE_RESULT_OK);
	if (!query_limit_or_422(req, &limit))
		return (KORE_RESULT_OK);
	if (!query_string(req, "cursor", &cursor))
		cursor = NULL;

	(void)crypto_auth_hmacsha256_init(&st, pii_worker_keys()->hmac,
	    sizeof(pii_worker_keys()->hmac));
	(void)crypto_auth_hmacsha256_update(&st,
	    (const u_int8_t *)FEED_KEY_LABEL, strlen(FEED_KEY_LABEL));
	(void)crypto_auth_hmacsha256_update(&st,
	    (const u_int8_t *)r->actor.sub, strlen(r->actor.sub));
	(void)crypto_auth_hmacsha256_final(&st, key);
	hex_encode(key, sizeof(key), hex);
	sodium_memzero(key, sizeof(key));

	(void)snprintf(limit_text, sizeof(limit_text), "%d", limit);
	partner_rate_text(rate, sizeof(rate));

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.feed_registrations($1, decode($2, 'hex'), $3, $4, $5, $6)",
	    6, r->actor.json, hex, limit_text, cursor, rate,
	    r->route->pattern));
}
