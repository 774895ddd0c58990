/*
 * What partner reads share: the rate limit from the environment, the
 * answer with Retry-After, and GET /v1/audit, the log of partner reads
 * that the database writes in the same statement as each read.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngan.h"

/*
 * NGAN_PARTNER_RATE: requests a minute per partner client, counted in the
 * database (partner_rate) so every worker shares one count; 0 = no limit.
 */
static int	partner_rate = 120;

/*
 * NGAN_STATS_TTL: seconds a computed statistics answer is served again
 * for the same caller scope and filters (stats_cache); 0 = always count.
 */
static int	stats_ttl = 60;


int
partner_init(void)
{
	if (!env_int("NGAN_PARTNER_RATE", 0, 1000000, &partner_rate) ||
	    !env_int("NGAN_STATS_TTL", 0, 86400, &stats_ttl))
		return (KORE_RESULT_ERROR);

	return (KORE_RESULT_OK);
}

void
stats_ttl_text(char *buf, size_t len)
{
	(void)snprintf(buf, len, "%d", stats_ttl);
}

int
stats_ttl_seconds(void)
{
	return (stats_ttl);
}

void
partner_rate_text(char *buf, size_t len)
{
	(void)snprintf(buf, len, "%d", partner_rate);
}

/* db_respond, plus Retry-After when the database said 429. */
int
partner_respond(struct http_request *req, struct ngan_req *r)
{
	json_t		*body;
	char		secs[24];
	json_int_t	n;

	if (db_rows(r) == 1 && !strcmp(db_value(r, 0, 0), "429")) {
		body = json_loads(db_value(r, 0, 1), 0, NULL);
		n = json_integer_value(json_object_get(body, "retry_after"));
		(void)snprintf(secs, sizeof(secs), "%lld",
		    (long long)(n < 1 ? 1 : n));
		http_response_header(req, "retry-after", secs);
		json_decref(body);
	}
	http_response_header(req, "cache-control", "no-store");

	return (db_respond(req, r));
}

/* GET /v1/audit?client=&from=&to=&limit=&cursor= (admins). */
int
audit_list(struct http_request *req, struct ngan_req *r)
{
	char		*cursor, *client, *from, *to, limit_text[8];
	int		limit;

	if (r->phase > 0)
		return (db_respond(req, r));
	if (!auth_require(req, r, ROLE_ADMIN))
		return (KORE_RESULT_OK);
	if (!query_limit_or_422(req, &limit))
		return (KORE_RESULT_OK);
	if (!query_string(req, "cursor", &cursor))
		cursor = NULL;
	if (!query_string(req, "client", &client))
		client = NULL;
	else if (!uuid_valid(client)) {
		query_error(req, "client", "format", "This must be a UUID.");
		return (KORE_RESULT_OK);
	}
	if (!query_string(req, "from", &from))
		from = NULL;
	else if (time_check(from) != NULL) {
		query_error(req, "from", "format", time_check(from));
		return (KORE_RESULT_OK);
	}
	if (!query_string(req, "to", &to))
		to = NULL;
	else if (time_check(to) != NULL) {
		query_error(req, "to", "format", time_check(to));
		return (KORE_RESULT_OK);
	}
	(void)snprintf(limit_text, sizeof(limit_text), "%d", limit);
	http_response_header(req, "cache-control", "no-store");

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.audit_list($1, $2, $3, $4, $5, $6)", 6, r->actor.json,
	    client, from, to, limit_text, cursor));
}
