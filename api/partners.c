/*
 * /v1/partner-clients: systems such as ThaiHealth's that pull statistics
 * with client credentials. The secret is shown once and kept hashed.
 */

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ngan.h"

static const char *const partner_scopes[] = {
	"stats:read", "feed:read", NULL
};

static const char	*province_check(const char *);

static const struct field_spec partner_fields[] = {
	{ "name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL, NULL },
	{ "scopes", FIELD_STRING_ARRAY, FIELD_REQUIRED | FIELD_UNIQUE, 1, 2,
	    partner_scopes, NULL },
	{ "provinces", FIELD_STRING_ARRAY, FIELD_UNIQUE, 0, 77, NULL,
	    province_check },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static const char *
province_check(const char *s)
{
	if (strlen(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' ||
	    s[1] > '9')
		return ("A province code is two digits.");

	return (NULL);
}

int
partners_create(struct http_request *req, struct ngan_req *r)
{
	u_int8_t	raw[12], digest[crypto_hash_sha256_BYTES];
	char		client_id[32], hex[25], secret_hash[65], *body;
	const char	*text;
	json_t		*answer;
	int		ret;

	if (r->phase == 0) {
		if (!auth_require(req, r, ROLE_ADMIN))
			return (KORE_RESULT_OK);
		if (!json_body_or_error(req, r, partner_fields))
			return (KORE_RESULT_OK);

		randombytes_buf(raw, sizeof(raw));
		hex_encode(raw, sizeof(raw), hex);
		(void)snprintf(client_id, sizeof(client_id), "pc_%s", hex);
		r->scratch = calloc(1, 48);
		if (r->scratch == NULL)
			fatal("out of memory");
		random_token(r->scratch, 48);
		crypto_hash_sha256(digest, r->scratch, strlen(r->scratch));
		hex_encode(digest, sizeof(digest), secret_hash);

		body = json_dumps(r->body, JSON_COMPACT);
		ret = db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.partner_client_create($1, $2, $3, "
		    "decode($4, 'hex'))", 4, r->actor.json, body, client_id,
		    secret_hash);
		free(body);
		return (ret);
	}

	/* The only time the secret leaves the server. */
	http_response_header(req, "cache-control", "no-store");
	if (db_rows(r) == 1 && strcmp(db_value(r, 0, 0), "201") == 0) {
		text = db_value(r, 0, 1);
		answer = json_loads(text, 0, NULL);
		if (answer != NULL) {
			json_object_set_new(answer, "client_secret",
			    json_string(r->scratch));
			http_response_header(req, "location",
			    db_value(r, 0, 3));
			respond_json(req, 201, answer);
			json_decref(answer);
			return (KORE_RESULT_OK);
		}
	}

	return (db_respond(req, r));
}
