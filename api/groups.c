/*
 * /v1/groups: vocational groups (กลุ่มอาชีพ) and /v1/group-categories.
 * A group's contact phone is sealed here like a participant's (pii.c)
 * and opened on the way out for the roles SQL marks (admins, organisers).
 * Who may change a group is decided in SQL (api.group_staff).
 */

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ngan.h"

static const char	*category_check(const char *);
static json_t		*group_seal(json_t *, json_t *);
static char		*group_body(struct http_request *, struct ngan_req *);
static void		phone_open(json_t *);
static const char	*category_filter_check(const char *);

static const struct field_spec contact_fields[] = {
	{ "name", FIELD_STRING, FIELD_NULLABLE, 1, 200 },
	{ "phone", FIELD_STRING, FIELD_NULLABLE, 1, 32 },
	{ NULL }
};

#define GROUP_FIELDS(req)						\
	{ "name", FIELD_STRING, req, 1, 300 },				\
	{ "category", FIELD_STRING, req, 1, 40, NULL, category_check },	\
	{ "description", FIELD_STRING, FIELD_NULLABLE, 0, 5000 },	\
	{ "province_code", FIELD_STRING, req, 0, 0, NULL,		\
	    province_check },						\
	{ "district_code", FIELD_STRING, FIELD_NULLABLE, 0, 0, NULL,	\
	    district_check },						\
	{ "subdistrict_code", FIELD_STRING, FIELD_NULLABLE, 0, 0, NULL,	\
	    subdistrict_check },					\
	{ "contact", FIELD_OBJECT, FIELD_NULLABLE, 0, 0, NULL, NULL,	\
	    contact_fields },						\
	{ "members_count", FIELD_INT, FIELD_NULLABLE, 0, 100000 },	\
	{ "agency_id", FIELD_UUID, FIELD_NULLABLE },			\
	{ "is_community_enterprise", FIELD_BOOL, 0 }

const struct field_spec group_create_fields[] = {
	GROUP_FIELDS(FIELD_REQUIRED),
	{ NULL }
};

const struct field_spec group_patch_fields[] = {
	GROUP_FIELDS(0),
	{ NULL }
};

/* GET /v1/groups: the list's filters, passed on as one object. */
const struct field_spec group_query[] = {
	QUERY_LIMIT,
	{ .name = "category", .type = FIELD_STRING, .flags = FIELD_FILTER,
	    .check = category_filter_check },
	{ .name = "province", .type = FIELD_STRING, .flags = FIELD_FILTER,
	    .check = province_check },
	{ .name = "agency", .type = FIELD_UUID, .flags = FIELD_FILTER },
	{ .name = "q", .type = FIELD_STRING, .flags = FIELD_FILTER, .min = 1,
	    .max = 200, .message = "events.search_1_200_characters" },
	QUERY_CURSOR,
	{ NULL }
};

/* The list itself is a table (group_category); here only its shape. */
static const char *
category_check(const char *s)
{
	size_t		i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
		    (i > 0 && s[i] >= '0' && s[i] <= '9')))
			return ("groups.category_code_such_textiles");
	}

	return (NULL);
}

static const char *
category_filter_check(const char *s)
{
	if (*s == '\0')
		return ("groups.filter_empty");

	return (category_check(s));
}

/*
 * A copy of the body for SQL with contact.phone replaced by phone_enc and
 * phone_last4; NULL (errors filled) when the phone is not a Thai number.
 */
static json_t *
group_seal(json_t *body, json_t *errors)
{
	json_t		*out, *contact;
	const char	*in;
	char		phone[PII_PHONE_MAX + 1];
	char		enc[PII_SEAL_HEX_LEN(PII_PHONE_MAX)];
	size_t		len;

	out = json_deep_copy(body);
	contact = json_object_get(out, "contact");
	if (!json_is_object(contact))
		return (out);

	in = json_string_value(json_object_get(contact, "phone"));
	if (in == NULL) {
		json_object_del(contact, "phone");
		return (out);
	}
	if (pii_phone(in, phone) != PII_OK) {
		validation_error(errors, "contact.phone", "format",
		    "groups.thai_phone_number_9");
		json_decref(out);
		return (NULL);
	}
	if (!pii_encrypt_hex(pii_worker_keys(), phone, PII_AD_PHONE, enc,
	    sizeof(enc))) {
		sodium_memzero(phone, sizeof(phone));
		json_decref(out);
		return (NULL);
	}
	len = strlen(phone);
	json_object_del(contact, "phone");
	json_object_set_new(contact, "phone_enc", json_string(enc));
	json_object_set_new(contact, "phone_last4",
	    json_string(phone + len - 4));
	sodium_memzero(phone, sizeof(phone));

	return (out);
}

/* contact._phone_enc (hex, for roles that may read it) into phone. */
static void
phone_open(json_t *g)
{
	json_t		*contact;
	const char	*hex;
	char		phone[PII_PHONE_MAX + 1];

	contact = json_object_get(g, "contact");
	if ((hex = json_string_value(json_object_get(contact, "_phone_enc")))
	    == NULL)
		return;

	if (pii_decrypt_hex(pii_worker_keys(), hex, PII_AD_PHONE, phone,
	    sizeof(phone)))
		json_object_set_new(contact, "phone", json_string(phone));
	else
		kore_log(LOG_WARNING, "a sealed group phone did not open");
	json_object_del(contact, "_phone_enc");
	sodium_memzero(phone, sizeof(phone));
}

/* The api.result row with each group's phone opened where SQL says. */
int
groups_respond(struct http_request *req, struct ngan_req *r)
{
	return (db_respond_opened(req, r, phone_open));
}

/* The body with its phone sealed, for SQL (caller must free), or NULL. */
static char *
group_body(struct http_request *req, struct ngan_req *r)
{
	json_t		*errors;

	errors = json_array();

	return (sealed_body_or_error(req, group_seal(r->body, errors), errors));
}

int
groups_create(struct http_request *req, struct ngan_req *r)
{
	char		*body;
	int		ret;

	if (r->state != STATE_QUERY)
		return (groups_respond(req, r));

	if ((body = group_body(req, r)) == NULL)
		return (KORE_RESULT_OK);

	ret = db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.group_create($1, $2)", 2, r->actor.json, body);
	free(body);

	return (ret);
}

int
groups_patch(struct http_request *req, struct ngan_req *r)
{
	char		*body, version_text[16];
	int		ret;

	if (r->state != STATE_QUERY)
		return (groups_respond(req, r));

	if ((body = group_body(req, r)) == NULL)
		return (KORE_RESULT_OK);

	(void)snprintf(version_text, sizeof(version_text), "%d", r->version);
	ret = db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.group_patch($1, $2, $3, $4)", 4, r->actor.json, r->params[0],
	    version_text, body);
	free(body);

	return (ret);
}
