/*
 * /v1/participants: the people who register. Their national id and
 * phone are checked and sealed here (pii.c) before the body goes to SQL,
 * so the database, its logs and its dumps never hold them in clear. On
 * the way out both are masked; one is opened again only on an explicit
 * reveal (?reveal=...&purpose=..., audited by SQL in the same statement
 * as the read). Who reads whom is SQL's business
 * (sql/api/participants.sql). Every answer is Cache-Control: no-store.
 */

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ngan.h"

static const char	*person_province_check(const char *);
static const char	*person_district_check(const char *);
static const char	*person_subdistrict_check(const char *);
static void		sealed_open(json_t *, const char *, const char *,
			    const char *);

const struct field_spec participant_fields[] = {
	{ "title_th", FIELD_STRING, FIELD_NULLABLE, 1, 50 },
	{ "first_name", FIELD_STRING, FIELD_REQUIRED, 1, 200 },
	{ "last_name", FIELD_STRING, FIELD_REQUIRED, 1, 200 },
	{ "national_id", FIELD_STRING, FIELD_REQUIRED, 1, 32 },
	{ "phone", FIELD_STRING, FIELD_NULLABLE, 1, 32 },
	{ "province_code", FIELD_STRING, FIELD_NULLABLE, 0, 0, NULL,
	    person_province_check },
	{ "district_code", FIELD_STRING, FIELD_NULLABLE, 0, 0, NULL,
	    person_district_check },
	{ "subdistrict_code", FIELD_STRING, FIELD_NULLABLE, 0, 0, NULL,
	    person_subdistrict_check },
	{ "occupation", FIELD_STRING, FIELD_NULLABLE, 1, 200 },
	{ "target_group", FIELD_STRING, FIELD_NULLABLE, 1, 40 },
	{ "section40", FIELD_BOOL, 0 },
	{ "pdpa_consent_at", FIELD_TIME, FIELD_NULLABLE },
	{ "pdpa_consent_version", FIELD_STRING, FIELD_NULLABLE, 1, 50 },
	{ NULL }
};

static const char *
person_province_check(const char *s)
{
	return (digits_valid(s, 2) ? NULL : "A province code is 2 digits.");
}

static const char *
person_district_check(const char *s)
{
	return (digits_valid(s, 4) ? NULL : "A district code is 4 digits.");
}

static const char *
person_subdistrict_check(const char *s)
{
	return (digits_valid(s, 6) ? NULL :
	    "A subdistrict code is 6 digits.");
}

/*
 * Checks what field_spec cannot say about a participant body p (already
 * validated against participant_fields): the national id's checksum, the
 * phone, consent given with its version. Returns a new object for SQL
 * with national_id and phone replaced by their sealed forms (caller must
 * json_decref), or NULL after appending errors, named prefix + field.
 */
json_t *
participant_seal(json_t *p, const char *prefix, json_t *errors)
{
	struct pii_sealed	s;
	const char		*nid_in, *phone_in;
	char			nid[PII_NID_LEN + 1], phone[PII_PHONE_MAX + 1];
	char			field[64];
	json_t			*out;
	size_t			before;
	int			has_at, has_version;

	out = NULL;
	before = json_array_size(errors);
	nid[0] = '\0';
	phone[0] = '\0';

	nid_in = json_string_value(json_object_get(p, "national_id"));
	(void)snprintf(field, sizeof(field), "%snational_id", prefix);
	switch (pii_national_id(nid_in != NULL ? nid_in : "", nid)) {
	case PII_OK:
		break;
	case PII_CHECKSUM:
		validation_error(errors, field, "checksum",
		    "participants.check_digit_does_match");
		break;
	default:
		validation_error(errors, field, "format",
		    "participants.national_id_13_digits");
		break;
	}

	phone_in = json_string_value(json_object_get(p, "phone"));
	if (phone_in != NULL && pii_phone(phone_in, phone) != PII_OK) {
		(void)snprintf(field, sizeof(field), "%sphone", prefix);
		validation_error(errors, field, "format",
		    "participants.phone_number_9_10");
	}

	has_at = json_is_string(json_object_get(p, "pdpa_consent_at"));
	has_version = json_is_string(json_object_get(p,
	    "pdpa_consent_version"));
	if (has_at != has_version) {
		(void)snprintf(field, sizeof(field), "%s%s", prefix,
		    has_at ? "pdpa_consent_version" : "pdpa_consent_at");
		validation_error(errors, field, "required",
		    "participants.consent_needs_both_time");
	}

	if (json_array_size(errors) > before)
		goto out;

	if (!pii_seal(pii_worker_keys(), nid, phone, &s)) {
		(void)snprintf(field, sizeof(field), "%snational_id", prefix);
		validation_error(errors, field, "format",
		    "participants.national_id_cannot_stored");
		goto out;
	}

	out = json_deep_copy(p);
	json_object_del(out, "national_id");
	json_object_del(out, "phone");
	json_object_set_new(out, "national_id_hmac", json_string(s.nid_hmac));
	json_object_set_new(out, "national_id_enc", json_string(s.nid_enc));
	json_object_set_new(out, "national_id_last3",
	    json_string(s.nid_last3));
	if (s.phone_enc[0] != '\0') {
		json_object_set_new(out, "phone_enc", json_string(s.phone_enc));
		json_object_set_new(out, "phone_last4",
		    json_string(s.phone_last4));
	}

out:
	sodium_memzero(nid, sizeof(nid));
	sodium_memzero(phone, sizeof(phone));
	sodium_memzero(&s, sizeof(s));
	return (out);
}

/*
 * SQL marks a value the caller asked to reveal with a key such as
 * "_phone_enc" (hex): open it into key out (which SQL set to null) and
 * drop the marker. A value that does not open (another NGAN_PII_KEY)
 * stays null.
 */
static void
sealed_open(json_t *p, const char *marker, const char *ad, const char *out)
{
	const char	*hex;
	char		clear[PII_PLAIN_MAX + 1];

	if ((hex = json_string_value(json_object_get(p, marker))) == NULL)
		return;

	if (pii_decrypt_hex(pii_worker_keys(), hex, ad, clear, sizeof(clear)))
		json_object_set_new(p, out, json_string(clear));
	else
		kore_log(LOG_WARNING, "a sealed %s did not open", ad);
	json_object_del(p, marker);
	sodium_memzero(clear, sizeof(clear));
}

/* Opens the values SQL marked in participant p (privacy.c's document). */
void
participant_open(json_t *p)
{
	if (!json_is_object(p))
		return;
	sealed_open(p, "_national_id_enc", PII_AD_NID, "national_id");
	sealed_open(p, "_phone_enc", PII_AD_PHONE, "phone");
}

/*
 * ?reveal=national_id,phone&purpose=...: writes the fields asked for as
 * a SQL array to fields ("{national_id,phone}"; "" when nothing is to be
 * revealed) and points purpose at its text (NULL when none). Answers 422
 * itself, naming reveal or purpose, and returns KORE_RESULT_ERROR. Who
 * may reveal is checked by SQL.
 */
int
reveal_query_or_422(struct http_request *req, char *fields, size_t len,
    char **purpose)
{
	json_t		*errors;
	const char	*code;
	char		*reveal;
	int		bits;

	fields[0] = '\0';
	bits = 0;
	errors = json_array();
	if (!query_string(req, "purpose", purpose))
		*purpose = NULL;

	if (query_string(req, "reveal", &reveal)) {
		code = pii_reveal_fields(reveal, &bits);
		if (code != NULL && !strcmp(code, "duplicate"))
			validation_error(errors, "reveal", code,
			    "participants.reveal_names_each_field");
		else if (code != NULL)
			validation_error(errors, "reveal", code,
			    "participants.reveal_nationalid_phone_both");
		if (*purpose == NULL) {
			validation_error(errors, "purpose", "required",
			    "participants.reveal_states_purpose_eg");
		} else if ((code = pii_purpose_check(*purpose)) != NULL) {
			validation_error(errors, "purpose", code,
			    !strcmp(code, "length") ?
			    "participants.purpose_5_200_characters" :
			    !strcmp(code, "format") ?
			    "participants.purpose_text_without_control" :
			    "participants.purpose_must_hold_national");
		}
	} else if (*purpose != NULL) {
		validation_error(errors, "purpose", "unexpected",
		    "participants.purpose_goes_reveal");
	}

	if (json_array_size(errors) > 0) {
		problem_errors(req, 422, "validation",
		    "validation.query", errors);
		return (KORE_RESULT_ERROR);
	}
	json_decref(errors);

	if (bits != 0)
		(void)snprintf(fields, len, "{%s%s%s}",
		    bits & PII_REVEAL_NID ? "national_id" : "",
		    bits == (PII_REVEAL_NID | PII_REVEAL_PHONE) ? "," : "",
		    bits & PII_REVEAL_PHONE ? "phone" : "");

	return (KORE_RESULT_OK);
}

/*
 * Like db_respond(), but a success body (one participant, or a list of
 * them under "items") has the values it reveals opened first.
 */
int
participants_respond(struct http_request *req, struct ngan_req *r)
{
	return (db_respond_opened(req, r, participant_open));
}

int
participants_create(struct http_request *req, struct ngan_req *r)
{
	json_t		*errors;
	char		*body;
	int		ret;

	if (r->state != STATE_QUERY)
		return (db_respond(req, r));

	errors = json_array();
	body = sealed_body_or_error(req, participant_seal(r->body, "", errors),
	    errors);
	if (body == NULL)
		return (KORE_RESULT_OK);
	ret = db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.participant_create($1, $2)", 2, r->actor.json, body);
	free(body);

	return (ret);
}

/* Scanners read no participant record: a scan result says enough. */
int
participants_get(struct http_request *req, struct ngan_req *r)
{
	char		fields[32], *purpose;

	if (r->state != STATE_QUERY)
		return (participants_respond(req, r));

	if (!reveal_query_or_422(req, fields, sizeof(fields), &purpose))
		return (KORE_RESULT_OK);

	if (fields[0] != '\0')
		return (db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.participant_reveal($1, $2, $3, $4)", 4,
		    r->actor.json, r->params[0], fields, purpose));

	return (db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.participant_get($1, $2)", 2, r->actor.json,
	    r->params[0]));
}

/*
 * ?q= is a part of a name, or a whole national id: then only its keyed
 * hash goes to SQL, never the number. A list never reveals.
 */
int
participants_list(struct http_request *req, struct ngan_req *r)
{
	char		*q, *cursor, limit_text[8];
	char		nid[PII_NID_LEN + 1], hmac[PII_HMAC_LEN * 2 + 1];
	int		limit, ret;

	if (r->state != STATE_QUERY)
		return (participants_respond(req, r));

	if (!query_limit_or_422(req, &limit))
		return (KORE_RESULT_OK);
	if (query_string(req, "reveal", &q) ||
	    query_string(req, "purpose", &q)) {
		query_error(req, "reveal", "unsupported",
		    "participants.list_shows_masks_reveal");
		return (KORE_RESULT_OK);
	}
	if (!query_string(req, "cursor", &cursor))
		cursor = NULL;
	if (!query_string(req, "q", &q))
		q = NULL;
	if (q != NULL && (utf8_length(q) < 1 || utf8_length(q) > 200)) {
		query_error(req, "q", "length",
		    "participants.q_1_200_characters");
		return (KORE_RESULT_OK);
	}

	hmac[0] = '\0';
	if (q != NULL && pii_national_id(q, nid) == PII_OK) {
		pii_hmac_hex(pii_worker_keys(), nid, hmac);
		sodium_memzero(nid, sizeof(nid));
		q = NULL;
	}

	(void)snprintf(limit_text, sizeof(limit_text), "%d", limit);
	ret = db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.participants_list($1, $2, $3, $4, $5)", 5,
	    r->actor.json, q, hmac[0] != '\0' ? hmac : NULL, limit_text,
	    cursor);

	return (ret);
}
