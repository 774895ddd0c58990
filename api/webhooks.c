/*
 * /v1/webhooks: a partner client's endpoints (issue 19, item 3). Here
 * the URL is checked (https://, not to a private or reserved address;
 * loopback only with NGAN_WEBHOOK_ALLOW_LOOPBACK, for development) and
 * the signing secret made: "whsec_" and 32 random bytes in base64, as
 * Standard Webhooks has it, shown once and kept sealed with NGAN_PII_KEY
 * (the delivery, tools/ngan-outbox.c, signs with it); so is the
 * optional contact email, told when the endpoint is disabled. Listing and
 * deleting are plain routes (main.c, sql/api/webhooks.sql).
 */

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ngan.h"

#define WEBHOOK_SECRET_BYTES	32

static const char *const webhook_kinds[] = {
	"registration.created", "registration.cancelled", "checkin.created",
	"event.changed", NULL
};

static const char *const webhook_langs[] = { "th", "en", NULL };

const struct field_spec webhook_fields[] = {
	{ "url", FIELD_STRING, FIELD_REQUIRED, 9, 2000, NULL, NULL },
	{ "kinds", FIELD_STRING_ARRAY, FIELD_REQUIRED | FIELD_UNIQUE, 1, 4,
	    webhook_kinds, NULL },
	/* Who is told when the endpoint is disabled, and in which language. */
	{ "contact_email", FIELD_STRING, FIELD_NULLABLE, 3, 254, NULL,
	    self_email_check },
	{ "contact_lang", FIELD_STRING, FIELD_NULLABLE, 0, 0, webhook_langs,
	    NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static int	webhook_respond(struct http_request *, struct ngan_req *);

/* POST /v1/webhooks: 201 with the secret, the only time it is shown. */
int
webhooks_create(struct http_request *req, struct ngan_req *r)
{
	u_int8_t	raw[WEBHOOK_SECRET_BYTES];
	char		b64[sodium_base64_ENCODED_LEN(WEBHOOK_SECRET_BYTES,
			    sodium_base64_VARIANT_ORIGINAL)];
	char		sealed[PII_SEAL_HEX_LEN(PII_PLAIN_MAX)], *body;
	char		contact[PII_SEAL_HEX_LEN(PII_EMAIL_MAX)];
	const char	*url, *why, *email;
	json_t		*errors;
	int		ret;

	if (r->state != STATE_QUERY)
		return (webhook_respond(req, r));

	url = json_string_value(json_object_get(r->body, "url"));
	if ((why = addr_webhook_url(url,
	    config_int(CONFIG_WEBHOOK_ALLOW_LOOPBACK))) != NULL) {
		errors = json_array();
		validation_error(errors, "url", "not_allowed", why);
		problem_errors(req, 422, "validation", "validation.body",
		    errors);
		return (KORE_RESULT_OK);
	}

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(raw, sizeof(raw));
	/* Kept for the answer; freed with the request. */
	if ((r->scratch = malloc(6 + strlen(b64) + 1)) == NULL)
		fatal("out of memory");
	(void)snprintf(r->scratch, 6 + strlen(b64) + 1, "whsec_%s", b64);
	sodium_memzero(b64, sizeof(b64));
	if (!pii_encrypt_hex(pii_worker_keys(), r->scratch, PII_AD_WEBHOOK,
	    sealed, sizeof(sealed))) {
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}

	/* The contact email, sealed as a participant's is; never in clear. */
	if ((email = json_string_value(json_object_get(r->body,
	    "contact_email"))) != NULL) {
		if (!pii_encrypt_hex(pii_worker_keys(), email, PII_AD_EMAIL,
		    contact, sizeof(contact))) {
			problem(req, 500, NULL, "error.internal");
			return (KORE_RESULT_OK);
		}
		json_object_set_new(r->body, "contact_enc",
		    json_string(contact));
	}
	json_object_del(r->body, "contact_email");

	json_object_set_new(r->body, "secret_enc", json_string(sealed));
	body = json_dumps(r->body, JSON_COMPACT);
	json_object_del(r->body, "secret_enc");
	ret = db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.webhook_create($1, $2)", 2, r->actor.json, body);
	free(body);

	return (ret);
}

/* SQL's 201 with the secret added; anything else as it is. */
static int
webhook_respond(struct http_request *req, struct ngan_req *r)
{
	json_t		*answer;

	http_response_header(req, "cache-control", "no-store");
	if (db_rows(r) == 1 && !strcmp(db_value(r, 0, 0), "201") &&
	    (answer = json_loads(db_value(r, 0, 1), 0, NULL)) != NULL) {
		json_object_set_new(answer, "secret",
		    json_string(r->scratch));
		if (!db_isnull(r, 0, 3))
			http_response_header(req, "location",
			    db_value(r, 0, 3));
		respond_json(req, 201, answer);
		json_decref(answer);
		sodium_memzero(r->scratch, strlen(r->scratch));
		return (KORE_RESULT_OK);
	}

	return (db_respond(req, r));
}
