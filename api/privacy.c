/*
 * A person's rights under the PDPA (issue 18, item 4): access to
 * everything held about them, rectification, erasure and withdrawal of
 * consent, by the person with a participant token (/v1/my/...) or by
 * staff on their request (/v1/participants/{id}/...; admins and the
 * organising agency, as for a reveal). SQL (sql/api/privacy.sql) decides
 * and records every request and its outcome; here phones and national
 * ids are sealed on the way in and opened on the way out. And retention
 * (item 5): a timer in every worker asks the database once a minute
 * whether the day's run is due (api.retention_tick); the database's
 * advisory lock and its last run's time make it one run a day for all
 * workers and servers. The same tick runs the reminders of tomorrow's
 * events (issue 19, api.reminder_tick), every 5 minutes the same way.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ngan.h"

/* As self.c signs participant tokens; a ticket link opens none of this. */
#define PARTICIPANT_AUDIENCE	"ngan-participant"

static int	privacy_self_or_401(struct http_request *, char *);
static int	privacy_document(struct http_request *, struct ngan_req *);
static json_t	*privacy_seal(json_t *, json_t *);
static int	privacy_rectify(struct http_request *, struct ngan_req *,
		    const char *, const char *, const char *);
static int	privacy_erase(struct http_request *, struct ngan_req *,
		    const char *);

/* Erasure and withdrawal take no fields: {} or no body. */
const struct field_spec privacy_no_fields[] = {
	{ NULL }
};

/* What a person corrects themselves: not the national id (staff do). */
const struct field_spec privacy_my_fields[] = {
	{ "title_th", FIELD_STRING, FIELD_NULLABLE, 1, 50 },
	{ "first_name", FIELD_STRING, 0, 1, 200 },
	{ "last_name", FIELD_STRING, 0, 1, 200 },
	{ "phone", FIELD_STRING, 0, 1, 32 },
	{ "province_code", FIELD_STRING, FIELD_NULLABLE, 2, 2 },
	{ "district_code", FIELD_STRING, FIELD_NULLABLE, 4, 4 },
	{ "subdistrict_code", FIELD_STRING, FIELD_NULLABLE, 6, 6 },
	{ NULL }
};

const struct field_spec privacy_staff_fields[] = {
	{ "title_th", FIELD_STRING, FIELD_NULLABLE, 1, 50 },
	{ "first_name", FIELD_STRING, 0, 1, 200 },
	{ "last_name", FIELD_STRING, 0, 1, 200 },
	{ "phone", FIELD_STRING, 0, 1, 32 },
	{ "national_id", FIELD_STRING, 0, 1, 32 },
	{ "province_code", FIELD_STRING, FIELD_NULLABLE, 2, 2 },
	{ "district_code", FIELD_STRING, FIELD_NULLABLE, 4, 4 },
	{ "subdistrict_code", FIELD_STRING, FIELD_NULLABLE, 6, 6 },
	{ NULL }
};

static const char *const request_kinds[] = {
	"access", "rectification", "erasure", "withdrawal", "retention",
	"restriction", "restriction-lifted", NULL
};

const struct field_spec privacy_request_query[] = {
	QUERY_LIMIT,
	QUERY_CURSOR,
	{ .name = "participant", .type = FIELD_UUID },
	{ .name = "kind", .type = FIELD_STRING, .choices = request_kinds,
	    .code = "enum", .message = "privacy.kind_filter" },
	{ NULL }
};

/* GET /v1/my/personal-data */
int
privacy_my_get(struct http_request *req, struct ngan_req *r)
{
	char		pid[NGAN_UUID_LEN + 1];

	if (r->state != STATE_QUERY)
		return (privacy_document(req, r));

	if (!privacy_self_or_401(req, pid))
		return (KORE_RESULT_OK);

	return (db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.my_personal_data($1)", 1, pid));
}

/* GET /v1/participants/{id}/personal-data */
int
privacy_staff_get(struct http_request *req, struct ngan_req *r)
{
	if (r->state != STATE_QUERY)
		return (privacy_document(req, r));

	return (db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.participant_personal_data($1, $2)", 2, r->actor.json,
	    r->params[0]));
}

/* POST /v1/my/personal-data/rectification */
int
privacy_my_rectify(struct http_request *req, struct ngan_req *r)
{
	char		pid[NGAN_UUID_LEN + 1];

	if (r->state != STATE_QUERY)
		return (db_respond(req, r));

	if (!privacy_self_or_401(req, pid))
		return (KORE_RESULT_OK);

	return (privacy_rectify(req, r, "SELECT status, body, etag, location "
	    "FROM api.my_rectify($1, $2)", pid, NULL));
}

/* POST /v1/participants/{id}/personal-data/rectification */
int
privacy_staff_rectify(struct http_request *req, struct ngan_req *r)
{
	if (r->state != STATE_QUERY)
		return (db_respond(req, r));

	return (privacy_rectify(req, r, "SELECT status, body, etag, location "
	    "FROM api.participant_rectify($1, $2, $3)", r->actor.json,
	    r->params[0]));
}

/* POST /v1/my/personal-data/erasure, /v1/my/consent/withdrawal */
int
privacy_my_erase(struct http_request *req, struct ngan_req *r)
{
	char		pid[NGAN_UUID_LEN + 1];

	if (r->state != STATE_QUERY)
		return (db_respond(req, r));

	if (!privacy_self_or_401(req, pid))
		return (KORE_RESULT_OK);

	return (db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.my_erase($1, $2)", 2, pid,
	    strstr(req->path, "/withdrawal") != NULL ? "withdrawal" :
	    "erasure"));
}

/* POST /v1/my/personal-data/restriction sets it, DELETE lifts it. */
int
privacy_my_restrict(struct http_request *req, struct ngan_req *r)
{
	char		pid[NGAN_UUID_LEN + 1];

	if (r->state != STATE_QUERY)
		return (db_respond(req, r));

	if (!privacy_self_or_401(req, pid))
		return (KORE_RESULT_OK);

	return (db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.my_restrict($1, $2)", 2, pid,
	    req->method == HTTP_METHOD_DELETE ? "false" : "true"));
}

/* POST /v1/participants/{id}/personal-data/erasure, .../withdrawal */
int
privacy_staff_erase(struct http_request *req, struct ngan_req *r)
{
	if (r->state != STATE_QUERY)
		return (db_respond(req, r));

	return (privacy_erase(req, r, strstr(req->path, "/withdrawal") !=
	    NULL ? "withdrawal" : "erasure"));
}

static int
privacy_erase(struct http_request *req, struct ngan_req *r, const char *kind)
{
	return (db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.participant_erase($1, $2, $3)", 3, r->actor.json,
	    r->params[0], kind));
}

/*
 * The body (validated against its field_spec) with the phone and the
 * national id sealed, then query (a constant: db.c keeps the pointer)
 * with first, second if not NULL, and the body: the participant, or the
 * staff actor and the participant.
 */
static int
privacy_rectify(struct http_request *req, struct ngan_req *r,
    const char *query, const char *first, const char *second)
{
	json_t		*errors, *sealed;
	char		*body;
	int		ret;

	if (r->body == NULL || json_object_size(r->body) == 0) {
		errors = json_array();
		validation_error(errors, "body", "required",
		    "privacy.name_field_correct");
		problem_errors(req, 422, "validation", "validation.body",
		    errors);
		return (KORE_RESULT_OK);
	}
	errors = json_array();
	if ((sealed = privacy_seal(r->body, errors)) == NULL) {
		problem_errors(req, 422, "validation", "validation.body",
		    errors);
		return (KORE_RESULT_OK);
	}
	json_decref(errors);

	body = json_dumps(sealed, JSON_COMPACT);
	json_decref(sealed);
	if (second != NULL)
		ret = db_query(req, r, query, 3, first, second, body);
	else
		ret = db_query(req, r, query, 2, first, body);
	free(body);

	return (ret);
}

/*
 * b with "phone" and "national_id" (when given) checked and replaced by
 * their sealed forms, as participant_seal() does for a new person.
 * Returns a new object (caller must json_decref), or NULL after
 * appending errors.
 */
static json_t *
privacy_seal(json_t *b, json_t *errors)
{
	struct pii_sealed	s;
	const char		*in;
	char			phone[PII_PHONE_MAX + 1], nid[PII_NID_LEN + 1];
	char			hex[PII_SEAL_HEX_LEN(PII_PHONE_MAX)];
	json_t			*out;
	size_t			len;
	int			rc;

	out = json_deep_copy(b);
	phone[0] = '\0';
	nid[0] = '\0';
	memset(&s, 0, sizeof(s));

	if ((in = json_string_value(json_object_get(b, "phone"))) != NULL) {
		if (pii_phone(in, phone) != PII_OK ||
		    !pii_encrypt_hex(pii_worker_keys(), phone, PII_AD_PHONE,
		    hex, sizeof(hex))) {
			validation_error(errors, "phone", "format",
			    "participants.phone_number_9_10");
		} else {
			len = strlen(phone);
			json_object_del(out, "phone");
			json_object_set_new(out, "phone_enc", json_string(hex));
			json_object_set_new(out, "phone_last4",
			    json_string(phone + len - 4));
		}
	}

	if ((in = json_string_value(json_object_get(b,
	    "national_id"))) != NULL) {
		rc = pii_national_id(in, nid);
		if (rc != PII_OK || !pii_seal(pii_worker_keys(), nid, "", &s)) {
			validation_error(errors, "national_id",
			    rc == PII_CHECKSUM ? "checksum" : "format",
			    rc == PII_CHECKSUM ?
			    "participants.check_digit_does_match" :
			    "participants.national_id_13_digits");
		} else {
			json_object_del(out, "national_id");
			json_object_set_new(out, "national_id_hmac",
			    json_string(s.nid_hmac));
			json_object_set_new(out, "national_id_enc",
			    json_string(s.nid_enc));
			json_object_set_new(out, "national_id_last3",
			    json_string(s.nid_last3));
		}
	}

	sodium_memzero(phone, sizeof(phone));
	sodium_memzero(nid, sizeof(nid));
	sodium_memzero(&s, sizeof(s));
	if (json_array_size(errors) > 0) {
		json_decref(out);
		return (NULL);
	}

	return (out);
}

/* The access document: its participant's national id and phone opened. */
static int
privacy_document(struct http_request *req, struct ngan_req *r)
{
	json_t		*body;

	if (db_rows(r) != 1 || strcmp(db_value(r, 0, 0), "200"))
		return (db_respond(req, r));
	if ((body = json_loads(db_value(r, 0, 1), 0, NULL)) == NULL) {
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}
	participant_open(json_object_get(body, "participant"));
	respond_json(req, 200, body);
	json_decref(body);

	return (KORE_RESULT_OK);
}

/*
 * Authorization: Bearer with a participant token only (a ticket link
 * opens one ticket, not the person). pid gets its participant. Answers
 * 401 itself.
 */
static int
privacy_self_or_401(struct http_request *req, char *pid)
{
	const char	*h, *sub;
	jwt_t		*jwt;
	long		exp;

	pid[0] = '\0';
	/* A person's own answers are never cached. */
	http_response_header(req, "cache-control", "no-store");
	if (!http_request_header(req, "authorization", &h) ||
	    strncasecmp(h, "Bearer ", 7) != 0) {
		problem_unauthorized(req, 0);
		return (KORE_RESULT_ERROR);
	}
	if (jwt_verify(h + 7, PARTICIPANT_AUDIENCE, &jwt)) {
		exp = jwt_get_grant_int(jwt, "exp");
		sub = jwt_get_grant(jwt, "sub");
		if (exp > (long)time(NULL) && sub != NULL && uuid_valid(sub))
			kore_strlcpy(pid, sub, NGAN_UUID_LEN + 1);
		jwt_free(jwt);
	}
	if (pid[0] == '\0') {
		problem_unauthorized(req, 1);
		return (KORE_RESULT_ERROR);
	}

	return (KORE_RESULT_OK);
}

/* ------------------------------------------------------------ retention */

static void	retention_result(struct kore_pgsql *);

static struct db_tick	retention = {
	.name = "retention",
	.query = "SELECT api.retention_tick($1)",
	.every = 10000,
	.retry = 60000,
	.result = retention_result,
};

/*
 * Each worker ticks; the database runs the day's erasure once (see the
 * top of the file). A database job (pg_cron) would need an extension
 * the deployment does not have, and one chosen worker would stop the
 * job whenever that worker is down.
 */
void
retention_init(void)
{
	(void)snprintf(retention.param, sizeof(retention.param), "%d",
	    config_int(CONFIG_RETENTION_YEARS));
	db_tick_start(&retention);
}

static void
retention_result(struct kore_pgsql *sql)
{
	if (kore_pgsql_ntuples(sql) == 1 && !PQgetisnull(sql->result, 0, 0))
		kore_log(LOG_NOTICE, "retention: %s people erased",
		    kore_pgsql_getvalue(sql, 0, 0));
}
