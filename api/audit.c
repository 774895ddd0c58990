/*
 * What partner reads share: the rate limit from the environment, the
 * answer with Retry-After, and GET /v1/audit, the log of partner reads
 * and of reveals of personal data that the database writes in the same
 * statement as each read.
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
static int	partner_rate;

/*
 * NGAN_STATS_TTL: seconds a computed statistics answer is served again
 * for the same caller scope and filters (stats_cache); 0 = always count.
 */
static int	stats_ttl;


void
partner_init(void)
{
	partner_rate = config_int(CONFIG_PARTNER_RATE);
	stats_ttl = config_int(CONFIG_STATS_TTL);
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

/* NGAN_FEED_RETENTION_DAYS, as a query parameter. */
void
feed_keep_days_text(char *buf, size_t len)
{
	(void)snprintf(buf, len, "%d", config_int(CONFIG_FEED_RETENTION_DAYS));
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

/*
 * Partner reads on the replica (NGAN_READ_DATABASE_URL), in three steps
 * (sql/api/audit.sql): the gate on the primary, the read on the
 * replica, the audit on the primary, then the answer. r->body holds what
 * the handler keeps across them: "what" (stats or feed) and "f", the
 * filters the audit records. A handler runs
 *
 *	PARTNER_READ_GATE: partner_read_begin(); PARTNER_READ_REPLICA:
 *	partner_read_scope() and its own query after db_on_replica();
 *	PARTNER_READ_AUDIT: partner_read_audit(); PARTNER_READ_ANSWER: the
 *	body of the answer is in r->scratch (JSON, status 200).
 */
int
partner_read_begin(struct http_request *req, struct ngan_req *r)
{
	char		rate[16], keep[16], *f;
	int		ret;

	partner_rate_text(rate, sizeof(rate));
	f = json_dumps(json_object_get(r->body, "f"), JSON_COMPACT);
	if (f == NULL)
		fatal("partner_read_begin: out of memory");
	feed_keep_days_text(keep, sizeof(keep));
	ret = db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.partner_read_begin($1, $2, $3, $4, $5, $6)", 6, r->actor.json,
	    json_string_value(json_object_get(r->body, "what")), f, rate,
	    r->route->pattern, keep);
	free(f);

	return (ret);
}

/*
 * Step 1 done: the scope (JSON text, valid until the next query) to read
 * in, or NULL when the gate answered (a refusal, sent here).
 */
const char *
partner_read_scope(struct http_request *req, struct ngan_req *r)
{
	if (db_rows(r) == 1 && db_isnull(r, 0, 0) && !db_isnull(r, 0, 1))
		return (db_value(r, 0, 1));
	if (db_rows(r) == 1 && db_isnull(r, 0, 0)) {
		problem(req, 500, NULL, "error.internal");
		return (NULL);
	}
	(void)partner_respond(req, r);

	return (NULL);
}

/*
 * Step 2 done (status, body, etag, location, rows): a refusal is sent;
 * an answer is kept in r->scratch and its audit written on the primary.
 */
int
partner_read_audit(struct http_request *req, struct ngan_req *r)
{
	char		*f, status[8];
	int		ret;

	if (db_rows(r) != 1 || strcmp(db_value(r, 0, 0), "200") != 0 ||
	    db_isnull(r, 0, 1))
		return (partner_respond(req, r));
	free(r->scratch);
	if ((r->scratch = strdup(db_value(r, 0, 1))) == NULL)
		fatal("partner_read_audit: out of memory");
	r->scratch_len = strlen(r->scratch);
	(void)snprintf(status, sizeof(status), "%d", 200);
	f = json_dumps(json_object_get(r->body, "f"), JSON_COMPACT);
	if (f == NULL)
		fatal("partner_read_audit: out of memory");
	ret = db_query(req, r, "SELECT api.partner_read_end($1, $2, $3, $4, "
	    "$5)", 5, r->actor.json, r->route->pattern, f, status,
	    db_value(r, 0, 4));
	free(f);

	return (ret);
}

/*
 * GET /v1/audit?client=&kind=&from=&to=&limit=&cursor= (admins): partner
 * reads and reveals of national ids and phones (kind partner_read or
 * reveal), which SQL writes in the statement that serves them. A plain
 * route (main.c), read on the replica when there is one.
 */
static const char *const audit_kinds[] = { "partner_read", "reveal", NULL };

const struct field_spec audit_query[] = {
	QUERY_LIMIT,
	QUERY_CURSOR,
	{ .name = "client", .type = FIELD_UUID },
	{ .name = "kind", .type = FIELD_STRING, .choices = audit_kinds,
	    .code = "enum", .message = "audit.kind_filter" },
	{ .name = "from", .type = FIELD_TIME },
	{ .name = "to", .type = FIELD_TIME },
	{ NULL }
};
