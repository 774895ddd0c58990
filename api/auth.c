/*
 * The /v1/auth resource (RFC 6749, 7009): POST /v1/auth/token issues
 * access tokens by the password, refresh_token and client_credentials
 * grants with rotating refresh tokens stored hashed; POST
 * /v1/auth/revoke ends them. Passwords are argon2id (libsodium). The
 * tokens themselves are token.c's.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ngan.h"

static int	grant_password(struct http_request *, struct ngan_req *);
static int	grant_refresh(struct http_request *, struct ngan_req *);
static int	grant_client(struct http_request *, struct ngan_req *);
static int	grant_refuse_client(struct http_request *, struct ngan_req *);
static void	token_answer(struct http_request *, const char *, const char *,
		    const char *, const char *, const char *, int,
		    const char *);
static void	sha256_hex(const char *, char *);
static int	grant_fields(struct http_request *, struct ngan_req *,
		    const char *, const char *);
static char	*scope_array(const char *);

static long			access_ttl;
static long			refresh_ttl;

/* Compares with a dummy hash when the user is unknown: same timing. */
static char			dummy_hash[crypto_pwhash_STRBYTES];

static const char *const grant_types[] = {
	"password", "refresh_token", "client_credentials", NULL
};

/* The signing keys (token.c), the token lifetimes, the dummy hash. */
int
auth_init(void)
{
	if (!token_init())
		return (KORE_RESULT_ERROR);
	access_ttl = config_int(CONFIG_ACCESS_TTL);
	refresh_ttl = config_int(CONFIG_REFRESH_TTL);
	if (crypto_pwhash_str(dummy_hash, "not a password", 14, 3,
	    12 * 1024 * 1024) != 0)
		return (KORE_RESULT_ERROR);

	return (KORE_RESULT_OK);
}

/* What a grant learns between its database steps. */
struct grant_state {
	struct oauth_client	client;
	int		failed;
	char		user_id[NGAN_UUID_LEN + 1];
	char		role[16];
	char		agency_id[NGAN_UUID_LEN + 1];
	char		refresh[48];
};

static struct grant_state *
grant_state(struct ngan_req *r)
{
	if (r->scratch == NULL)
		r->scratch = calloc(1, sizeof(struct grant_state));
	if (r->scratch == NULL)
		fatal("out of memory");

	return (r->scratch);
}

/*
 * POST /v1/auth/token (RFC 6749): parameters form-encoded or JSON, the
 * client by HTTP Basic or in the body; every refusal is 5.2 JSON.
 * r->status names the grant, r->state how far it has come.
 */
#define GRANT_PASSWORD		0
#define GRANT_REFRESH		1
#define GRANT_CLIENT		2
#define GRANT_REFUSE_CLIENT	3

/* The password grant's states. */
#define GRANT_LOOKUP		STATE_QUERY
#define GRANT_VERIFY		1
#define GRANT_ANSWER		2

int
auth_token(struct http_request *req, struct ngan_req *r)
{
	struct grant_state	*g;
	const char		*grant;
	int			i;

	if (r->state == STATE_QUERY) {
		if (!oauth_params_or_error(req, r))
			return (KORE_RESULT_OK);
		g = grant_state(r);
		if (!oauth_client_or_error(req, r, &g->client))
			return (KORE_RESULT_OK);
		if ((grant = oauth_param(r, "grant_type")) == NULL) {
			oauth_error(req, 400, "invalid_request",
			    "grant_type is required.");
			return (KORE_RESULT_OK);
		}
		for (i = 0; grant_types[i] != NULL; i++) {
			if (!strcmp(grant_types[i], grant))
				break;
		}
		if (grant_types[i] == NULL) {
			oauth_error(req, 400, "unsupported_grant_type",
			    "grant_type is password, refresh_token or "
			    "client_credentials.");
			return (KORE_RESULT_OK);
		}
		r->status = i;
		/* Partner clients sign in by client_credentials only. */
		if (i != GRANT_CLIENT &&
		    g->client.method != OAUTH_CLIENT_NONE)
			r->status = GRANT_REFUSE_CLIENT;
	}

	switch (r->status) {
	case GRANT_PASSWORD:
		return (grant_password(req, r));
	case GRANT_REFRESH:
		return (grant_refresh(req, r));
	case GRANT_CLIENT:
		return (grant_client(req, r));
	default:
		return (grant_refuse_client(req, r));
	}
}

/* Parameters a grant needs; invalid_request names the first missing. */
static int
grant_fields(struct http_request *req, struct ngan_req *r,
    const char *a, const char *b)
{
	char		msg[96];
	const char	*missing;

	missing = NULL;
	if (a != NULL && oauth_param(r, a) == NULL)
		missing = a;
	else if (b != NULL && oauth_param(r, b) == NULL)
		missing = b;
	if (missing != NULL) {
		(void)snprintf(msg, sizeof(msg), "This grant needs %s.",
		    missing);
		oauth_error(req, 400, "invalid_request", msg);
		return (KORE_RESULT_ERROR);
	}

	return (KORE_RESULT_OK);
}

/*
 * password: look the user up with the throttle state (GRANT_LOOKUP),
 * verify the password here, then record a failure or open a session
 * (GRANT_VERIFY), then answer (GRANT_ANSWER). The throttle counts per
 * (username, client) and per client, the client being edge_client_key()
 * (behind a trusted proxy, the address it names); the count per username
 * alone holds back only clients that never signed in to the account
 * (sql/api/auth.sql).
 */
static int
grant_password(struct http_request *req, struct ngan_req *r)
{
	struct grant_state	*g;
	const char		*user, *pass, *hash;
	char			client[33], token_hash[65], ttl[24];
	int			wait, good;

	g = grant_state(r);
	user = oauth_param(r, "username");
	pass = oauth_param(r, "password");
	if (!edge_client_key(req, client, sizeof(client))) {
		problem(req, 500, NULL, "auth.could_tell_where_request");
		return (KORE_RESULT_OK);
	}

	switch (r->state) {
	case GRANT_LOOKUP:
		if (!grant_fields(req, r, "username", "password"))
			return (KORE_RESULT_OK);
		if (strlen(user) > 64 || strlen(pass) > 200) {
			oauth_error(req, 400, "invalid_request", "username is "
			    "at most 64 bytes, password at most 200.");
			return (KORE_RESULT_OK);
		}
		return (db_query(req, r, "SELECT wait_seconds, user_id, "
		    "password_hash, role, agency_id, active FROM "
		    "api.sign_in_lookup($1, $2)", 2, user, client));
	case GRANT_VERIFY:
		wait = (int)strtol(db_value(r, 0, 0), NULL, 10);
		if (wait > 0) {
			oauth_no_store(req);
			problem_retry_after(req, 429, wait,
			    "auth.too_many_failed_signins");
			return (KORE_RESULT_OK);
		}
		hash = db_isnull(r, 0, 1) ? dummy_hash : db_value(r, 0, 2);
		good = crypto_pwhash_str_verify(hash, pass, strlen(pass)) == 0;
		if (!good || db_isnull(r, 0, 1) ||
		    strcmp(db_value(r, 0, 5), "t") != 0) {
			g->failed = 1;
			return (db_query(req, r, "SELECT "
			    "api.sign_in_failed($1, $2)", 2, user, client));
		}
		kore_strlcpy(g->user_id, db_value(r, 0, 1), sizeof(g->user_id));
		kore_strlcpy(g->role, db_value(r, 0, 3), sizeof(g->role));
		kore_strlcpy(g->agency_id, db_value(r, 0, 4),
		    sizeof(g->agency_id));
		random_token(g->refresh, sizeof(g->refresh));
		sha256_hex(g->refresh, token_hash);
		(void)snprintf(ttl, sizeof(ttl), "%ld", refresh_ttl);
		return (db_query(req, r, "SELECT api.session_open($1, $2, "
		    "decode($3, 'hex'), $4), api.sign_in_succeeded($1, $2, $5)",
		    5, g->user_id, user, token_hash, ttl, client));
	default:	/* GRANT_ANSWER */
		if (g->failed) {
			oauth_error(req, 400, "invalid_grant", "The username "
			    "or password is wrong, or the account is "
			    "disabled.");
			return (KORE_RESULT_OK);
		}
		token_answer(req, g->user_id, g->role, g->agency_id, g->role,
		    db_value(r, 0, 0), 0, g->refresh);
		return (KORE_RESULT_OK);
	}
}

/* refresh_token: rotate in one statement, answer with the result. */
static int
grant_refresh(struct http_request *req, struct ngan_req *r)
{
	struct grant_state	*g;
	const char		*old;
	char			old_hash[65], new_hash[65], ttl[24];

	g = grant_state(r);
	if (r->state == STATE_QUERY) {
		if (!grant_fields(req, r, "refresh_token", NULL))
			return (KORE_RESULT_OK);
		old = oauth_param(r, "refresh_token");
		sha256_hex(old, old_hash);
		random_token(g->refresh, sizeof(g->refresh));
		sha256_hex(g->refresh, new_hash);
		(void)snprintf(ttl, sizeof(ttl), "%ld", refresh_ttl);
		return (db_query(req, r, "SELECT outcome, user_id, role, "
		    "agency_id, session_id FROM api.refresh_rotate("
		    "decode($1, 'hex'), decode($2, 'hex'), $3)", 3, old_hash,
		    new_hash, ttl));
	}

	if (strcmp(db_value(r, 0, 0), "ok") != 0) {
		oauth_error(req, 400, "invalid_grant", "The refresh token "
		    "is unknown, expired, revoked or was already used.");
		return (KORE_RESULT_OK);
	}
	token_answer(req, db_value(r, 0, 1), db_value(r, 0, 2),
	    db_value(r, 0, 3), db_value(r, 0, 2), db_value(r, 0, 4), 0,
	    g->refresh);

	return (KORE_RESULT_OK);
}

/*
 * client_credentials (RFC 6749 4.4): partner systems; no refresh token.
 * The token belongs to a session of the client's, so revoking it ends
 * it at once (sql/api/auth.sql). scope, when sent, narrows the client's
 * scopes.
 */
static int
grant_client(struct http_request *req, struct ngan_req *r)
{
	struct grant_state	*g;
	const char		*scope, *outcome;
	char			secret_hash[65], *scopes;
	int			ret;

	g = grant_state(r);
	if (r->state == STATE_QUERY) {
		if (g->client.method == OAUTH_CLIENT_NONE) {
			oauth_error(req, 401, "invalid_client", "This grant "
			    "needs client authentication: HTTP Basic or "
			    "client_id and client_secret.");
			return (KORE_RESULT_OK);
		}
		scopes = NULL;
		if ((scope = oauth_param(r, "scope")) != NULL) {
			if (!oauth_scope_valid(scope, 8)) {
				oauth_error(req, 400, "invalid_scope", "scope "
				    "is scope names split by single spaces.");
				return (KORE_RESULT_OK);
			}
			scopes = scope_array(scope);
		}
		sha256_hex(g->client.secret, secret_hash);
		sodium_memzero(g->client.secret, sizeof(g->client.secret));
		ret = db_query(req, r, "SELECT outcome, id, scope, session_id "
		    "FROM api.client_token_open($1, decode($2, 'hex'), $3)",
		    3, g->client.id, secret_hash, scopes);
		free(scopes);
		return (ret);
	}

	outcome = db_value(r, 0, 0);
	if (!strcmp(outcome, "invalid_scope")) {
		oauth_error(req, 400, "invalid_scope", "The client may ask "
		    "for its own scopes only (stats:read, feed:read as "
		    "granted to it).");
		return (KORE_RESULT_OK);
	}
	if (strcmp(outcome, "ok") != 0) {
		oauth_error(req, 401, "invalid_client", "The client id or "
		    "secret is wrong, or the client is disabled.");
		return (KORE_RESULT_OK);
	}
	token_answer(req, db_value(r, 0, 1), "partner", NULL,
	    db_value(r, 0, 2), db_value(r, 0, 3), 1, NULL);

	return (KORE_RESULT_OK);
}

/*
 * A password or refresh_token grant with client credentials: those are
 * the apps' grants, and no partner client may use them. The client is
 * authenticated first (RFC 6749 5.2 tells invalid_client from
 * unauthorized_client).
 */
static int
grant_refuse_client(struct http_request *req, struct ngan_req *r)
{
	struct grant_state	*g;
	char			secret_hash[65];

	g = grant_state(r);
	if (r->state == STATE_QUERY) {
		sha256_hex(g->client.secret, secret_hash);
		sodium_memzero(g->client.secret, sizeof(g->client.secret));
		return (db_query(req, r, "SELECT id FROM api.client_lookup($1, "
		    "decode($2, 'hex')) WHERE id IS NOT NULL", 2, g->client.id,
		    secret_hash));
	}

	if (db_rows(r) != 1) {
		oauth_error(req, 401, "invalid_client", "The client id or "
		    "secret is wrong, or the client is disabled.");
		return (KORE_RESULT_OK);
	}
	oauth_error(req, 400, "unauthorized_client", "Partner clients use "
	    "the client_credentials grant only.");

	return (KORE_RESULT_OK);
}

/* "a b" as the PostgreSQL array literal {"a","b"}; caller must free. */
static char *
scope_array(const char *scope)
{
	struct kore_buf	buf;
	const char	*p;
	char		*out;

	kore_buf_init(&buf, 64);
	kore_buf_append(&buf, "{\"", 2);
	for (p = scope; *p != '\0'; p++) {
		if (*p == ' ')
			kore_buf_append(&buf, "\",\"", 3);
		else
			kore_buf_append(&buf, p, 1);
	}
	kore_buf_append(&buf, "\"}", 3);
	out = strndup((const char *)buf.data, buf.offset);
	kore_buf_cleanup(&buf);
	if (out == NULL)
		fatal("out of memory");

	return (out);
}

static void
token_answer(struct http_request *req, const char *sub, const char *role,
    const char *agency_id, const char *scope, const char *sid,
    int is_client, const char *refresh)
{
	json_t		*body;
	char		*access;

	access = jwt_issue(sub, role, agency_id, scope, sid, is_client,
	    (long)time(NULL));
	if (access == NULL) {
		problem(req, 500, NULL, "auth.could_sign_token");
		return;
	}

	body = json_pack("{s:s, s:s, s:i, s:s}", "access_token", access,
	    "token_type", "Bearer", "expires_in", (int)access_ttl, "scope",
	    scope);
	if (refresh != NULL)
		json_object_set_new(body, "refresh_token",
		    json_string(refresh));
	oauth_no_store(req);
	respond_json(req, 200, body);
	json_decref(body);
	free(access);
}

/*
 * POST /v1/auth/revoke (RFC 7009): parameters and client authentication
 * as at the token endpoint. A refresh token ends its session; an access
 * token of ours ends the session it came from. The apps (no client
 * authentication) revoke users' tokens; a partner client authenticates
 * and revokes its own. Unknown tokens are answered 200 all the same
 * (2.2), so the call reveals nothing about them.
 */
int
auth_revoke(struct http_request *req, struct ngan_req *r)
{
	struct oauth_client	c;
	struct actor		a;
	const char		*token, *outcome;
	char			hash[65], secret_hash[65];
	const char		*session, *refresh;

	if (r->state == STATE_QUERY) {
		if (!oauth_params_or_error(req, r) ||
		    !oauth_client_or_error(req, r, &c))
			return (KORE_RESULT_OK);
		if ((token = oauth_param(r, "token")) == NULL) {
			oauth_error(req, 400, "invalid_request",
			    "token is required.");
			return (KORE_RESULT_OK);
		}
		/* token_type_hint (2.1) is no help: the token tells. */
		session = refresh = NULL;
		memset(&a, 0, sizeof(a));
		if (strchr(token, '.') != NULL) {
			if (jwt_check(token, (long)time(NULL), &a) &&
			    a.sid[0] != '\0')
				session = a.sid;
		} else {
			sha256_hex(token, hash);
			refresh = hash;
		}
		if (session == NULL && refresh == NULL) {
			/* Not a token of ours, or one without a session. */
			oauth_no_store(req);
			respond_text(req, 200, "application/json", "{}", 2);
			return (KORE_RESULT_OK);
		}
		if (c.method != OAUTH_CLIENT_NONE)
			sha256_hex(c.secret, secret_hash);
		sodium_memzero(c.secret, sizeof(c.secret));
		return (db_query(req, r, "SELECT api.revoke_token($1, "
		    "decode($2, 'hex'), $3, decode($4, 'hex'))", 4,
		    c.method != OAUTH_CLIENT_NONE ? c.id : NULL,
		    c.method != OAUTH_CLIENT_NONE ? secret_hash : NULL,
		    session, refresh));
	}

	outcome = db_value(r, 0, 0);
	if (!strcmp(outcome, "invalid_client")) {
		oauth_error(req, 401, "invalid_client", "The client id or "
		    "secret is wrong, or the client is disabled.");
		return (KORE_RESULT_OK);
	}
	if (!strcmp(outcome, "not_yours")) {
		if (http_request_header(req, "authorization", &token) ||
		    oauth_param(r, "client_id") != NULL)
			oauth_error(req, 400, "unauthorized_client", "This "
			    "token was issued to another client.");
		else
			oauth_error(req, 401, "invalid_client", "A partner "
			    "client's token is revoked by that client, "
			    "authenticated.");
		return (KORE_RESULT_OK);
	}

	oauth_no_store(req);
	respond_text(req, 200, "application/json", "{}", 2);
	return (KORE_RESULT_OK);
}

/* SHA-256 of a token as 64 hex digits, the form the database keeps. */
static void
sha256_hex(const char *token, char *out)
{
	u_int8_t	digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(digest, (const u_int8_t *)token, strlen(token));
	hex_encode(digest, sizeof(digest), out);
}

/* Hashes a new password as ngan-passwd does (argon2id, m=12 MiB, t=3). */
int
auth_password_hash(const char *password, char *out)
{
	return (crypto_pwhash_str(out, password, strlen(password), 3,
	    12 * 1024 * 1024) == 0);
}
