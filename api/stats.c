/*
 * GET /v1/stats/attendance and its CSV twin: counts of events,
 * registrations, check-ins, unique participants and section-40 members,
 * grouped one way; people counts under consistent random rounding to
 * base 5 (api.stats_compute, sql/api/stats.sql).
 * Answers are kept NGAN_STATS_TTL seconds (stats_cache) and counted again
 * in the background while they are being read (stats_refresh_init).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngan.h"

static const char *const stats_groups[] = {
	"province", "district", "target_group", "month", "event", NULL
};

/* CSV columns: the group's key columns, then the counts. */
static const char *const stats_counts[] = {
	"events", "registrations", "checked_in", "unique_participants",
	"section40_members", NULL
};

static const char *const stats_keys[][3] = {
	{ "province", "province_code", "province_name" },
	{ "district", "district_code", "district_name" },
	{ "target_group", "target_group", NULL },
	{ "month", "month", NULL },
	{ "event", "event_id", "title" },
};

static int	stats_query(struct http_request *, struct ngan_req *);
static int	stats_csv(struct http_request *, struct ngan_req *);
static int	stats_csv_send(struct http_request *, const char *);
static int	stats_on_replica(struct http_request *, struct ngan_req *);
static int	stats_csv_row(struct csv_buf *, json_t *, const char *,
		    const char *, const char *);

/* The background recount, one in flight per worker. */
static struct db_tick	stats_refresh = {
	.name = "statistics refresh",
	.query = "SELECT api.stats_refresh($1)",
	.every = 1000,
	.retry = 30000,
};

/*
 * Every second each worker asks api.stats_refresh() to count again one
 * stale answer that someone still reads: a year of registrations takes
 * seconds to count, and readers should not be the ones who wait. The
 * database's advisory locks keep two workers off the same answer.
 */
void
stats_refresh_init(void)
{
	if (stats_ttl_seconds() == 0)
		return;
	stats_ttl_text(stats_refresh.param, sizeof(stats_refresh.param));
	db_tick_start(&stats_refresh);
}

int
stats_attendance(struct http_request *req, struct ngan_req *r)
{
	if (r->state != STATE_QUERY && db_has_replica())
		return (stats_on_replica(req, r));
	if (r->state != STATE_QUERY)
		return (partner_respond(req, r));

	return (stats_query(req, r));
}

int
stats_attendance_csv(struct http_request *req, struct ngan_req *r)
{
	if (r->state != STATE_QUERY && db_has_replica())
		return (stats_on_replica(req, r));
	if (r->state != STATE_QUERY)
		return (stats_csv(req, r));

	return (stats_query(req, r));
}

/* Validates the filters (422 naming the first bad one) and asks. */
static int
stats_query(struct http_request *req, struct ngan_req *r)
{
	static const char *const names[] = {
		"fiscal_year_be", "province", "from", "to", "group_by", NULL
	};
	const char	*why;
	char		*v, *end, *filters, rate[16], ttl[16];
	json_t		*f;
	long		n;
	int		i, k, ret;

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER | ROLE_PARTNER))
		return (KORE_RESULT_OK);

	f = json_object();
	for (i = 0; names[i] != NULL; i++) {
		if (!query_string(req, names[i], &v))
			continue;
		why = NULL;
		if (!strcmp(names[i], "fiscal_year_be")) {
			errno = 0;
			n = strtol(v, &end, 10);
			if (errno != 0 || end == v || *end != '\0' ||
			    n < 2400 || n > 2800)
				why = "stats.buddhist_era_year_such";
		} else if (!strcmp(names[i], "province")) {
			if (strlen(v) != 2 || v[0] < '0' || v[0] > '9' ||
			    v[1] < '0' || v[1] > '9')
				why = "agencies.province_code_two_digits";
		} else if (!strcmp(names[i], "group_by")) {
			for (k = 0; stats_groups[k] != NULL; k++) {
				if (!strcmp(stats_groups[k], v))
					break;
			}
			if (stats_groups[k] == NULL)
				why = "stats.group_by_filter";
		} else if (strlen(v) != 10) {
			why = "json.write_date_yyyymmdd";
		} else {
			why = date_check(v);
		}
		if (why != NULL) {
			json_decref(f);
			query_error(req, names[i], "format", why);
			return (KORE_RESULT_OK);
		}
		json_object_set_new(f, names[i], json_string(v));
	}

	if (db_has_replica()) {
		/* Counted on the replica, each time (no cache there). */
		r->body = json_pack("{s:s, s:o}", "what", "stats", "f", f);
		if (r->body == NULL)
			fatal("stats_query: out of memory");
		return (partner_read_begin(req, r));
	}
	partner_rate_text(rate, sizeof(rate));
	stats_ttl_text(ttl, sizeof(ttl));
	filters = json_dumps(f, JSON_COMPACT);
	json_decref(f);
	ret = db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.stats_attendance($1, $2, $3, $4, $5)", 5, r->actor.json,
	    filters, rate, r->route->pattern, ttl);
	free(filters);

	return (ret);
}

/*
 * With a replica: counted there between the gate and the audit on the
 * primary (api/audit.c, sql/api/audit.sql).
 */
static int
stats_on_replica(struct http_request *req, struct ngan_req *r)
{
	const char	*scope;
	char		*f;
	int		ret;

	switch (r->state) {
	case PARTNER_READ_REPLICA:
		if ((scope = partner_read_scope(req, r)) == NULL)
			return (KORE_RESULT_OK);
		f = json_dumps(json_object_get(r->body, "f"), JSON_COMPACT);
		if (f == NULL)
			fatal("stats_on_replica: out of memory");
		db_on_replica(r);
		ret = db_query(req, r, "SELECT 200, s.body, NULL, NULL, "
		    "s.nrows FROM api.stats_read($1, $2) s", 2, scope, f);
		free(f);
		return (ret);
	case PARTNER_READ_AUDIT:
		return (partner_read_audit(req, r));
	default:	/* PARTNER_READ_ANSWER */
		if (r->call->handler == stats_attendance_csv)
			return (stats_csv_send(req, r->scratch));
		http_response_header(req, "cache-control", "no-store");
		respond_text(req, 200, "application/json", r->scratch,
		    r->scratch_len);
		return (KORE_RESULT_OK);
	}
}

/* The same answer as CSV, UTF-8 with a BOM so spreadsheets read Thai. */
static int
stats_csv(struct http_request *req, struct ngan_req *r)
{
	if (db_rows(r) != 1 || strcmp(db_value(r, 0, 0), "200") != 0)
		return (partner_respond(req, r));

	return (stats_csv_send(req, db_value(r, 0, 1)));
}

/* text: the JSON answer of GET /v1/stats/attendance. */
static int
stats_csv_send(struct http_request *req, const char *text)
{
	struct csv_buf	b;
	json_t		*body, *items, *row;
	const char	*grp, *key, *name;
	size_t		i, k;
	int		ok;

	memset(&b, 0, sizeof(b));
	body = json_loads(text, 0, NULL);
	grp = json_string_value(json_object_get(body, "group_by"));
	key = name = NULL;
	for (k = 0; grp != NULL && k < sizeof(stats_keys) /
	    sizeof(stats_keys[0]); k++) {
		if (!strcmp(stats_keys[k][0], grp)) {
			key = stats_keys[k][1];
			name = stats_keys[k][2];
		}
	}
	ok = body != NULL && key != NULL &&
	    csv_buf_append(&b, "\xef\xbb\xbf", 3) &&
	    csv_buf_field(&b, key, 1);
	if (ok && name != NULL)
		ok = csv_buf_field(&b, name, 0);
	for (k = 0; ok && stats_counts[k] != NULL; k++)
		ok = csv_buf_field(&b, stats_counts[k], 0);
	ok = ok && csv_buf_append(&b, "\r\n", 2);

	items = json_object_get(body, "items");
	for (i = 0; ok && i < json_array_size(items); i++) {
		row = json_array_get(items, i);
		ok = stats_csv_row(&b, row, key, name, NULL);
	}
	if (ok)
		ok = stats_csv_row(&b, json_object_get(body, "totals"), key,
		    name, "total");

	if (ok) {
		http_response_header(req, "cache-control", "no-store");
		http_response_header(req, "content-disposition",
		    "attachment; filename=\"attendance-stats.csv\"");
		respond_text(req, 200, "text/csv; charset=utf-8", b.data,
		    b.len);
	} else {
		problem(req, 500, NULL, "stats.could_write_csv");
	}
	csv_buf_free(&b);
	json_decref(body);

	return (KORE_RESULT_OK);
}

/* One line; every count is a number (people counts rounded to 5). */
static int
stats_csv_row(struct csv_buf *b, json_t *row, const char *key,
    const char *name, const char *label)
{
	json_t		*v;
	char		num[32];
	size_t		k;
	int		ok;

	v = json_object_get(row, key);
	ok = csv_buf_field(b, label != NULL ? label :
	    (json_is_string(v) ? json_string_value(v) : ""), 1);
	if (ok && name != NULL) {
		v = json_object_get(row, name);
		ok = csv_buf_field(b, json_is_string(v) ?
		    json_string_value(v) : "", 0);
	}
	for (k = 0; ok && stats_counts[k] != NULL; k++) {
		v = json_object_get(row, stats_counts[k]);
		num[0] = '\0';
		if (json_is_integer(v))
			(void)snprintf(num, sizeof(num), "%lld",
			    (long long)json_integer_value(v));
		ok = csv_buf_field(b, num, 0);
	}

	return (ok && csv_buf_append(b, "\r\n", 2));
}
