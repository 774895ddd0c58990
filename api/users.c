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
static int		user_insert(struct http_request *, struct ngan_req *);

/*
 * An organizer's new account: the username asked for, a dot and
 * SUFFIX_LEN random letters or digits the server picks. Organizers only
 * see their own agency's accounts; a 409 for a name another agency
 * holds would tell them it exists, so their names are never the bare
 * name and a taken one is simply drawn again (SUFFIX_TRIES times).
 */
#define SUFFIX_LEN	4
#define SUFFIX_TRIES	5
#define USERNAME_MAX	64

struct user_create_state {
	char		hash[crypto_pwhash_STRBYTES];
	int		tries;
};

static const char *const user_roles[] = {
	"admin", "organizer", "scanner", "partner", NULL
};

const struct field_spec user_create_fields[] = {
	{ "username", FIELD_STRING, FIELD_REQUIRED, 3, 64, NULL,
	    username_check },
	{ "display_name", FIELD_STRING, FIELD_REQUIRED, 1, 200, NULL, NULL },
	{ "role", FIELD_STRING, FIELD_REQUIRED, 1, 16, user_roles, NULL },
	{ "agency_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL, NULL },
	{ "password", FIELD_STRING, FIELD_REQUIRED, 10, 200, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

const struct field_spec user_patch_fields[] = {
	{ "display_name", FIELD_STRING, 0, 1, 200, NULL, NULL },
	{ "role", FIELD_STRING, 0, 1, 16, user_roles, NULL },
	{ "agency_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL, NULL },
	{ "active", FIELD_BOOL, 0, 0, 0, NULL, NULL },
	{ "password", FIELD_STRING, 0, 10, 200, NULL, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

/* GET /v1/users */
const struct field_spec user_query[] = {
	QUERY_LIMIT,
	{ .name = "role", .type = FIELD_STRING, .choices = user_roles,
	    .code = "enum",
	    .message = "users.role_filter" },
	{ .name = "agency", .type = FIELD_UUID,
	    .message = "users.agency_filter" },
	QUERY_CURSOR,
	{ NULL }
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
		return ("users.use_lowercase_letters_digits");
	}

	return (NULL);
}

int
users_create(struct http_request *req, struct ngan_req *r)
{
	struct user_create_state	*st;

	if (r->state == STATE_QUERY)
		return (user_write(req, r, user_create_fields));

	st = r->scratch;
	if (st != NULL && db_rows(r) == 1 &&
	    !strcmp(db_value(r, 0, 0), "409") && st->tries < SUFFIX_TRIES)
		return (user_insert(req, r));

	return (db_respond(req, r));
}

int
users_patch(struct http_request *req, struct ngan_req *r)
{
	if (r->state == STATE_QUERY)
		return (user_write(req, r, user_patch_fields));

	return (db_respond(req, r));
}

/*
 * With the body checked (its row in main.c), hashes a given password
 * here (the database never sees it) and calls api.user_create or
 * api.user_patch.
 */
static int
user_write(struct http_request *req, struct ngan_req *r,
    const struct field_spec *fields)
{
	struct user_create_state	*st;
	const char			*password;
	char				hash[crypto_pwhash_STRBYTES];
	char				version_text[16], *body;
	json_t				*copy, *errors;
	int				ret, suffixed;

	suffixed = fields == user_create_fields &&
	    r->actor.role == ROLE_ORGANIZER;
	if (suffixed && strlen(json_string_value(json_object_get(r->body,
	    "username"))) > USERNAME_MAX - SUFFIX_LEN - 1) {
		errors = json_array();
		validation_error(errors, "username", "length",
		    "users.server_adds_dot_four");
		problem_errors(req, 422, "validation",
		    "validation.body", errors);
		return (KORE_RESULT_OK);
	}

	hash[0] = '\0';
	password = json_string_value(json_object_get(r->body, "password"));
	if (password != NULL && !auth_password_hash(password, hash)) {
		problem(req, 500, NULL, "users.could_hash_password");
		return (KORE_RESULT_OK);
	}

	http_response_header(req, "cache-control", "no-store");
	if (suffixed) {
		if ((st = calloc(1, sizeof(*st))) == NULL)
			fatal("out of memory");
		r->scratch = st;
		memcpy(st->hash, hash, sizeof(hash));
		sodium_memzero(hash, sizeof(hash));
		return (user_insert(req, r));
	}

	/* The database gets the body without the password. */
	copy = json_deep_copy(r->body);
	json_object_del(copy, "password");
	body = json_dumps(copy, JSON_COMPACT);
	json_decref(copy);

	if (fields == user_create_fields) {
		ret = db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.user_create($1, $2, $3)", 3, r->actor.json, body,
		    hash);
	} else {
		(void)snprintf(version_text, sizeof(version_text), "%d",
		    r->version);
		ret = db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.user_patch($1, $2, $3, $4, $5)", 5,
		    r->actor.json, r->params[0], version_text, body,
		    hash[0] != '\0' ? hash : NULL);
	}
	sodium_memzero(hash, sizeof(hash));
	free(body);

	return (ret);
}

/* An organizer's account under the name asked for plus a fresh suffix. */
static int
user_insert(struct http_request *req, struct ngan_req *r)
{
	static const char		digits[] =
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	struct user_create_state	*st;
	char				name[USERNAME_MAX + 1], *body;
	json_t				*copy;
	size_t				len;
	int				i, ret;

	st = r->scratch;
	st->tries++;
	len = (size_t)snprintf(name, sizeof(name), "%s.", json_string_value(
	    json_object_get(r->body, "username")));
	for (i = 0; i < SUFFIX_LEN && len + 1 < sizeof(name); i++)
		name[len++] = digits[randombytes_uniform(sizeof(digits) - 1)];
	name[len] = '\0';

	copy = json_deep_copy(r->body);
	json_object_del(copy, "password");
	json_object_set_new(copy, "username", json_string(name));
	body = json_dumps(copy, JSON_COMPACT);
	json_decref(copy);

	ret = db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.user_create($1, $2, $3)", 3, r->actor.json, body, st->hash);
	free(body);

	return (ret);
}
