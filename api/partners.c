/*
 * /v1/partner-clients: systems such as ThaiHealth's that pull statistics
 * with client credentials. The secret is shown once and kept hashed;
 * admins list, change, disable and re-enable clients and rotate secrets.
 * The partner accounts (users with the partner role) that act for a
 * client are held to its scopes, provinces, rate limit and active flag
 * (api.partner_gate). Admins only. The secret is made here; the rest are
 * plain routes (main.c).
 */

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ngan.h"

static const char *const partner_scopes[] = {
	"stats:read", "feed:read", NULL
};

static void		secret_make(struct ngan_req *, char *);
static int		secret_respond(struct http_request *,
			    struct ngan_req *, int);

const struct field_spec partner_fields[] = {
	{ "name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL, NULL },
	{ "scopes", FIELD_STRING_ARRAY, FIELD_REQUIRED | FIELD_UNIQUE, 1, 2,
	    partner_scopes, NULL },
	{ "provinces", FIELD_STRING_ARRAY, FIELD_UNIQUE, 0, 77, NULL,
	    province_code_check },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

const struct field_spec partner_patch_fields[] = {
	{ "name", FIELD_STRING, 0, 1, 200, NULL, NULL },
	{ "scopes", FIELD_STRING_ARRAY, FIELD_UNIQUE, 1, 2, partner_scopes,
	    NULL },
	{ "provinces", FIELD_STRING_ARRAY, FIELD_UNIQUE, 0, 77, NULL,
	    province_code_check },
	{ "active", FIELD_BOOL, 0, 0, 0, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

/* GET /v1/partner-clients */
const struct field_spec partner_query[] = {
	QUERY_LIMIT,
	QUERY_CURSOR,
	{ NULL }
};

/* A new 256-bit secret in r->scratch, its SHA-256 in hex. */
static void
secret_make(struct ngan_req *r, char *secret_hash)
{
	u_int8_t	digest[crypto_hash_sha256_BYTES];

	r->scratch = calloc(1, 48);
	if (r->scratch == NULL)
		fatal("out of memory");
	random_token(r->scratch, 48);
	crypto_hash_sha256(digest, r->scratch, strlen(r->scratch));
	hex_encode(digest, sizeof(digest), secret_hash);
}

/* The only time the secret leaves the server. */
static int
secret_respond(struct http_request *req, struct ngan_req *r, int status)
{
	const char	*text;
	json_t		*answer;
	char		code[8];

	(void)snprintf(code, sizeof(code), "%d", status);
	http_response_header(req, "cache-control", "no-store");
	if (db_rows(r) == 1 && strcmp(db_value(r, 0, 0), code) == 0) {
		text = db_value(r, 0, 1);
		answer = json_loads(text, 0, NULL);
		if (answer != NULL) {
			json_object_set_new(answer, "client_secret",
			    json_string(r->scratch));
			if (!db_isnull(r, 0, 2))
				http_response_header(req, "etag",
				    db_value(r, 0, 2));
			if (!db_isnull(r, 0, 3))
				http_response_header(req, "location",
				    db_value(r, 0, 3));
			respond_json(req, status, answer);
			json_decref(answer);
			return (KORE_RESULT_OK);
		}
	}

	return (db_respond(req, r));
}

int
partners_create(struct http_request *req, struct ngan_req *r)
{
	u_int8_t	raw[12];
	char		client_id[32], hex[25], secret_hash[65], *body;
	int		ret;

	if (r->state == STATE_QUERY) {
		randombytes_buf(raw, sizeof(raw));
		hex_encode(raw, sizeof(raw), hex);
		(void)snprintf(client_id, sizeof(client_id), "pc_%s", hex);
		secret_make(r, secret_hash);

		body = json_dumps(r->body, JSON_COMPACT);
		ret = db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.partner_client_create($1, $2, $3, "
		    "decode($4, 'hex'))", 4, r->actor.json, body, client_id,
		    secret_hash);
		free(body);
		return (ret);
	}

	return (secret_respond(req, r, 201));
}

/* POST /v1/partner-clients/{id}/secret: a new secret, shown once. */
int
partners_rotate(struct http_request *req, struct ngan_req *r)
{
	char		secret_hash[65];

	if (r->state == STATE_QUERY) {
		secret_make(r, secret_hash);
		return (db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.partner_client_rotate($1, $2, "
		    "decode($3, 'hex'))", 3, r->actor.json, r->params[0],
		    secret_hash));
	}

	return (secret_respond(req, r, 200));
}
