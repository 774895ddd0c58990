/*
 * /v1/partner-clients: systems such as ThaiHealth's that pull statistics
 * with client credentials. The secret is shown once and kept hashed;
 * admins list, change, disable and re-enable clients and rotate secrets.
 */

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ngan.h"

static const char *const partner_scopes[] = {
	"stats:read", "feed:read", NULL
};

static const char	*province_check(const char *);
static void		secret_make(struct ngan_req *, char *);
static int		secret_respond(struct http_request *,
			    struct ngan_req *, int);

static const struct field_spec partner_fields[] = {
	{ "name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL, NULL },
	{ "scopes", FIELD_STRING_ARRAY, FIELD_REQUIRED | FIELD_UNIQUE, 1, 2,
	    partner_scopes, NULL },
	{ "provinces", FIELD_STRING_ARRAY, FIELD_UNIQUE, 0, 77, NULL,
	    province_check },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static const struct field_spec partner_patch_fields[] = {
	{ "name", FIELD_STRING, 0, 1, 200, NULL, NULL },
	{ "scopes", FIELD_STRING_ARRAY, FIELD_UNIQUE, 1, 2, partner_scopes,
	    NULL },
	{ "provinces", FIELD_STRING_ARRAY, FIELD_UNIQUE, 0, 77, NULL,
	    province_check },
	{ "active", FIELD_BOOL, 0, 0, 0, NULL, NULL },
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

	if (r->phase == 0) {
		if (!auth_require(req, r, ROLE_ADMIN))
			return (KORE_RESULT_OK);
		if (!json_body_or_error(req, r, partner_fields))
			return (KORE_RESULT_OK);

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

int
partners_list(struct http_request *req, struct ngan_req *r)
{
	char		*cursor, limit_text[8];
	int		limit;

	if (r->phase > 0)
		return (db_respond(req, r));
	if (!auth_require(req, r, ROLE_ADMIN))
		return (KORE_RESULT_OK);
	if (!query_limit_or_422(req, &limit))
		return (KORE_RESULT_OK);
	if (!query_string(req, "cursor", &cursor))
		cursor = NULL;
	(void)snprintf(limit_text, sizeof(limit_text), "%d", limit);

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.partner_clients_list($1, $2, $3)", 3, r->actor.json,
	    limit_text, cursor));
}

int
partners_get(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));
	if (!auth_require(req, r, ROLE_ADMIN))
		return (KORE_RESULT_OK);
	if (!uuid_valid(r->params[0])) {
		problem(req, 404, NULL, "No partner client with that id.");
		return (KORE_RESULT_OK);
	}

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.partner_client_get($1, $2)", 2, r->actor.json,
	    r->params[0]));
}

/* PATCH with If-Match: "active": false disables the client at once. */
int
partners_patch(struct http_request *req, struct ngan_req *r)
{
	char		*body, version_text[16];
	int		version, ret;

	if (r->phase > 0)
		return (db_respond(req, r));
	if (!auth_require(req, r, ROLE_ADMIN))
		return (KORE_RESULT_OK);
	if (!uuid_valid(r->params[0])) {
		problem(req, 404, NULL, "No partner client with that id.");
		return (KORE_RESULT_OK);
	}
	if (!if_match_version(req, &version))
		return (KORE_RESULT_OK);
	if (!json_body_or_error(req, r, partner_patch_fields))
		return (KORE_RESULT_OK);

	(void)snprintf(version_text, sizeof(version_text), "%d", version);
	body = json_dumps(r->body, JSON_COMPACT);
	ret = db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.partner_client_patch($1, $2, $3, $4)", 4, r->actor.json,
	    r->params[0], version_text, body);
	free(body);

	return (ret);
}

/* POST /v1/partner-clients/{id}/secret: a new secret, shown once. */
int
partners_rotate(struct http_request *req, struct ngan_req *r)
{
	char		secret_hash[65];

	if (r->phase == 0) {
		if (!auth_require(req, r, ROLE_ADMIN))
			return (KORE_RESULT_OK);
		if (!uuid_valid(r->params[0])) {
			problem(req, 404, NULL, "No partner client with "
			    "that id.");
			return (KORE_RESULT_OK);
		}
		secret_make(r, secret_hash);
		return (db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.partner_client_rotate($1, $2, "
		    "decode($3, 'hex'))", 3, r->actor.json, r->params[0],
		    secret_hash));
	}

	return (secret_respond(req, r, 200));
}
