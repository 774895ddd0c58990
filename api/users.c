/*
 * /v1/me and /v1/users: staff accounts. Role checks that need no data
 * happen here; agency scope, uniqueness and versions in api.user_*().
 */

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ngan.h"

static const char	*username_check(const char *);
static int		user_write(struct http_request *, struct ngan_req *,
			    const struct field_spec *);

static const char *const user_roles[] = {
	"admin", "organizer", "scanner", "partner", NULL
};

static const struct field_spec user_create_fields[] = {
	{ "username", FIELD_STRING, FIELD_REQUIRED, 3, 64, NULL,
	    username_check },
	{ "display_name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL, NULL },
	{ "role", FIELD_STRING, FIELD_REQUIRED, 1, 16, user_roles, NULL },
	{ "agency_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL, NULL },
	{ "password", FIELD_STRING, FIELD_REQUIRED, 10, 200, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static const struct field_spec user_patch_fields[] = {
	{ "display_name", FIELD_STRING, 0, 1, 200, NULL, NULL },
	{ "role", FIELD_STRING, 0, 1, 16, user_roles, NULL },
	{ "agency_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL, NULL },
	{ "active", FIELD_BOOL, 0, 0, 0, NULL, NULL },
	{ "password", FIELD_STRING, 0, 10, 200, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

/* Lower-case letters, digits, dot, dash, underscore; starts alphanumeric. */
static const char *
username_check(const char *s)
{
	size_t		i;

	for (i = 0; s[i] != '\0'; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (i > 0 && (s[i] == '.' || s[i] == '-' || s[i] == '_'))
			continue;
		return ("Use lower-case letters, digits, '.', '-' or '_', "
		    "starting with a letter or digit.");
	}

	return (NULL);
}

int
users_me(struct http_request *req, struct ngan_req *r)
{
	if (r->phase == 0) {
		if (!auth_require(req, r, ROLE_ANY))
			return (KORE_RESULT_OK);
		http_response_header(req, "cache-control", "no-store");
		return (db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.me($1)", 1, r->actor.json));
	}

	return (db_respond(req, r));
}

int
users_list(struct http_request *req, struct ngan_req *r)
{
	char		*role, *agency, *cursor, limit_text[8];
	int		limit;

	if (r->phase == 0) {
		if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
			return (KORE_RESULT_OK);
		if (!query_limit_or_422(req, &limit))
			return (KORE_RESULT_OK);
		if (!query_string(req, "role", &role))
			role = NULL;
		if (role != NULL && !auth_role_parse(role)) {
			query_error(req, "role", "enum", "role is admin, "
			    "organizer, scanner or partner.");
			return (KORE_RESULT_OK);
		}
		if (!query_string(req, "agency", &agency))
			agency = NULL;
		if (agency != NULL && !uuid_valid(agency)) {
			query_error(req, "agency", "format",
			    "agency is an agency id.");
			return (KORE_RESULT_OK);
		}
		if (!query_string(req, "cursor", &cursor))
			cursor = NULL;
		(void)snprintf(limit_text, sizeof(limit_text), "%d", limit);
		http_response_header(req, "cache-control", "no-store");
		return (db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.users_list($1, $2, $3, $4, $5)", 5,
		    r->actor.json, role, agency, limit_text, cursor));
	}

	return (db_respond(req, r));
}

int
users_get(struct http_request *req, struct ngan_req *r)
{
	if (r->phase == 0) {
		if (!auth_require(req, r, ROLE_ANY))
			return (KORE_RESULT_OK);
		http_response_header(req, "cache-control", "no-store");
		return (db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.user_get($1, $2)", 2, r->actor.json,
		    r->params[0]));
	}

	return (db_respond(req, r));
}

int
users_create(struct http_request *req, struct ngan_req *r)
{
	if (r->phase == 0) {
		if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
			return (KORE_RESULT_OK);
		return (user_write(req, r, user_create_fields));
	}

	return (db_respond(req, r));
}

int
users_patch(struct http_request *req, struct ngan_req *r)
{
	if (r->phase == 0) {
		if (!auth_require(req, r, ROLE_ADMIN))
			return (KORE_RESULT_OK);
		return (user_write(req, r, user_patch_fields));
	}

	return (db_respond(req, r));
}

/*
 * Validates the body, hashes a given password here (the database never
 * sees it) and calls api.user_create or api.user_patch.
 */
static int
user_write(struct http_request *req, struct ngan_req *r,
    const struct field_spec *fields)
{
	const char	*password;
	char		hash[crypto_pwhash_STRBYTES], version_text[16];
	char		*body;
	json_t		*copy;
	int		version, ret;

	version = 0;
	if (fields == user_patch_fields && !if_match_version(req, &version))
		return (KORE_RESULT_OK);
	if (!json_body_or_error(req, r, fields))
		return (KORE_RESULT_OK);

	hash[0] = '\0';
	password = json_string_value(json_object_get(r->body, "password"));
	if (password != NULL && !auth_password_hash(password, hash)) {
		problem(req, 500, NULL, "Could not hash the password.");
		return (KORE_RESULT_OK);
	}

	/* The database gets the body without the password. */
	copy = json_deep_copy(r->body);
	json_object_del(copy, "password");
	body = json_dumps(copy, JSON_COMPACT);
	json_decref(copy);

	http_response_header(req, "cache-control", "no-store");
	if (fields == user_create_fields) {
		ret = db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.user_create($1, $2, $3)", 3, r->actor.json, body,
		    hash);
	} else {
		(void)snprintf(version_text, sizeof(version_text), "%d",
		    version);
		ret = db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.user_patch($1, $2, $3, $4, $5)", 5,
		    r->actor.json, r->params[0], version_text, body,
		    hash[0] != '\0' ? hash : NULL);
	}
	sodium_memzero(hash, sizeof(hash));
	free(body);

	return (ret);
}
