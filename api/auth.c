/*
 * Authentication: ES256 access tokens (libjwt), rotating refresh tokens
 * stored hashed, partner client credentials, argon2id passwords
 * (libsodium) and the JWKS that lets others verify our tokens.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "ngan.h"

#define KEYS_MAX	4
/* Tickets and ticket links; access tokens name oauth_issuer(). */
#define ISSUER		"ngan"
#define AUDIENCE	"ngan-api"
#define CLOCK_SKEW	30

struct signing_key {
	char		kid[24];
	int		can_sign;	/* 0 for verify-only keys */
	char		*public_pem;
	size_t		public_len;
	char		x[48];
	char		y[48];
	EVP_PKEY	*pkey;		/* parsed once, signs and verifies */
};

static int	key_load(const char *, struct signing_key *);
static int	token_verify(const char *, long, struct actor *);
static int	header_check(const char *, const struct signing_key **);
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
static int	es256_token_low_s(const char *);

/*
 * Verified tokens, per worker: ECDSA verification costs far more than the
 * rest of a small request, and a client sends the same token many times.
 * Keyed by a BLAKE2b hash of the whole token; expiry is checked on use.
 */
#define TOKEN_CACHE_SIZE	2048

struct token_cache_entry {
	u_int8_t	hash[16];
	long		exp;
	struct actor	actor;
};

static struct token_cache_entry	token_cache[TOKEN_CACHE_SIZE];

static struct signing_key	keys[KEYS_MAX];
static int			nkeys;
static long			access_ttl;
static long			refresh_ttl;
static char			*jwks_json;

/* Compares with a dummy hash when the user is unknown: same timing. */
static char			dummy_hash[crypto_pwhash_STRBYTES];

static const char *const grant_types[] = {
	"password", "refresh_token", "client_credentials", NULL
};

static const char *const role_names[] = {
	"admin", "organizer", "scanner", "partner", NULL
};

int
auth_role_parse(const char *name)
{
	int		i;

	for (i = 0; role_names[i] != NULL; i++) {
		if (!strcmp(role_names[i], name))
			return (1 << i);
	}

	return (0);
}

const char *
auth_role_name(int role)
{
	int		i;

	for (i = 0; role_names[i] != NULL; i++) {
		if (role == (1 << i))
			return (role_names[i]);
	}

	return ("none");
}

int
auth_init(void)
{
	const char	*path, *v;
	char		*list, *p, *next;
	json_t		*set, *arr;
	int		i;

	path = config_text(CONFIG_JWT_KEY);
	if (!key_load(path, &keys[0]) || !keys[0].can_sign)
		return (KORE_RESULT_ERROR);
	nkeys = 1;

	if (*(v = config_text(CONFIG_JWT_PREVIOUS_KEYS)) != '\0') {
		list = kore_strdup(v);
		for (p = list; p != NULL && nkeys < KEYS_MAX; p = next) {
			if ((next = strchr(p, ':')) != NULL)
				*next++ = '\0';
			if (*p == '\0')
				continue;
			if (!key_load(p, &keys[nkeys])) {
				kore_free(list);
				return (KORE_RESULT_ERROR);
			}
			nkeys++;
		}
		kore_free(list);
	}

	access_ttl = config_int(CONFIG_ACCESS_TTL);
	refresh_ttl = config_int(CONFIG_REFRESH_TTL);

	arr = json_array();
	for (i = 0; i < nkeys; i++) {
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "x",
		    keys[i].x, "y", keys[i].y, "kid", keys[i].kid, "alg",
		    "ES256", "use", "sig"));
	}
	set = json_pack("{s:o}", "keys", arr);
	jwks_json = json_dumps(set, JSON_COMPACT);
	json_decref(set);

	if (crypto_pwhash_str(dummy_hash, "not a password", 14, 3,
	    12 * 1024 * 1024) != 0)
		return (KORE_RESULT_ERROR);

	return (KORE_RESULT_OK);
}

/* Loads a P-256 key (private, or public for an old key kept to verify). */
static int
key_load(const char *path, struct signing_key *k)
{
	EVP_PKEY	*pkey;
	BIO		*in, *out;
	BIGNUM		*x, *y;
	u_int8_t	bx[32], by[32];
	char		*mem;
	long		len;
	int		ok;
	FILE		*fp;

	ok = KORE_RESULT_ERROR;
	pkey = NULL;
	x = y = NULL;
	out = NULL;

	if ((fp = fopen(path, "r")) == NULL) {
		kore_log(LOG_ERR, "cannot open key %s: %s", path,
		    strerror(errno));
		return (KORE_RESULT_ERROR);
	}
	in = BIO_new_fp(fp, BIO_CLOSE);
	if ((pkey = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL)) != NULL) {
		k->can_sign = 1;
	} else {
		(void)BIO_reset(in);
		pkey = PEM_read_bio_PUBKEY(in, NULL, NULL, NULL);
		if (pkey == NULL) {
			kore_log(LOG_ERR, "%s holds no EC key", path);
			goto out;
		}
	}

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
	    EVP_PKEY_get_bits(pkey) != 256) {
		kore_log(LOG_ERR, "%s is not a P-256 key", path);
		goto out;
	}

	out = BIO_new(BIO_s_mem());
	if (!PEM_write_bio_PUBKEY(out, pkey))
		goto out;
	len = BIO_get_mem_data(out, &mem);
	k->public_pem = kore_malloc((size_t)len + 1);
	memcpy(k->public_pem, mem, (size_t)len);
	k->public_pem[len] = '\0';
	k->public_len = (size_t)len;

	if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) ||
	    BN_bn2binpad(x, bx, sizeof(bx)) != 32 ||
	    BN_bn2binpad(y, by, sizeof(by)) != 32)
		goto out;
	base64url_encode(bx, sizeof(bx), k->x, sizeof(k->x));
	base64url_encode(by, sizeof(by), k->y, sizeof(k->y));

	/* kid: the start of SHA-256 over the public key, stable per key. */
	if (!es256_kid(pkey, k->kid))
		goto out;

	k->pkey = pkey;
	pkey = NULL;
	ok = KORE_RESULT_OK;

out:
	BN_free(x);
	BN_free(y);
	BIO_free(out);
	BIO_free(in);
	EVP_PKEY_free(pkey);
	return (ok);
}

/* Signs an access token; caller must free. */
char *
jwt_issue(const char *sub, const char *role, const char *agency_id,
    const char *scope, const char *sid, int is_client, long now)
{
	json_t		*claims;
	char		*token, jti[44];

	random_token(jti, sizeof(jti));
	claims = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, "
	    "s:I}", "iss", oauth_issuer(), "aud", AUDIENCE, "sub", sub,
	    "role", role, "scope", scope, "jti", jti, "kind",
	    is_client ? "client" : "user", "iat", (json_int_t)now,
	    "nbf", (json_int_t)now, "exp", (json_int_t)(now + access_ttl));
	if (claims == NULL)
		return (NULL);
	if (agency_id != NULL && *agency_id != '\0')
		json_object_set_new(claims, "agency_id",
		    json_string(agency_id));
	if (sid != NULL && *sid != '\0')
		json_object_set_new(claims, "sid", json_string(sid));
	token = es256_compact(keys[0].pkey, keys[0].kid, claims);
	json_decref(claims);

	return (token);
}

/* The token's signature part is 64 bytes with a low s. */
static int
es256_token_low_s(const char *token)
{
	const char	*sig;
	u_int8_t	raw[64];
	size_t		n;

	if ((sig = strrchr(token, '.')) == NULL ||
	    !base64url_decode(sig + 1, strlen(sig + 1), raw, sizeof(raw),
	    &n) || n != sizeof(raw))
		return (KORE_RESULT_ERROR);

	return (es256_low_s(raw + 32) ? KORE_RESULT_OK : KORE_RESULT_ERROR);
}

/* A signing key by its id (the current or a previous one), or NULL. */
EVP_PKEY *
auth_key(const char *kid)
{
	int		i;

	for (i = 0; kid != NULL && i < nkeys; i++) {
		if (!strcmp(keys[i].kid, kid))
			return (keys[i].pkey);
	}

	return (NULL);
}

/* The id of the key new tokens are signed with. */
const char *
auth_kid(void)
{
	return (keys[0].kid);
}

/*
 * Reads the header ourselves before libjwt sees the token: only ES256
 * with one of our key ids passes, so "none", HS256-with-our-public-key
 * and foreign keys never reach a verifier.
 */
static int
header_check(const char *token, const struct signing_key **key)
{
	const char	*dot, *alg, *kid;
	u_int8_t	raw[512];
	size_t		len;
	json_t		*hdr;
	int		i, ok;

	if ((dot = strchr(token, '.')) == NULL || dot == token ||
	    (size_t)(dot - token) > 600)
		return (KORE_RESULT_ERROR);
	if (!base64url_decode(token, (size_t)(dot - token), raw,
	    sizeof(raw) - 1, &len))
		return (KORE_RESULT_ERROR);

	if ((hdr = json_loadb((const char *)raw, len, 0, NULL)) == NULL)
		return (KORE_RESULT_ERROR);

	ok = KORE_RESULT_ERROR;
	alg = json_string_value(json_object_get(hdr, "alg"));
	kid = json_string_value(json_object_get(hdr, "kid"));
	if (alg != NULL && kid != NULL && !strcmp(alg, "ES256")) {
		for (i = 0; i < nkeys; i++) {
			if (!strcmp(keys[i].kid, kid)) {
				*key = &keys[i];
				ok = KORE_RESULT_OK;
				break;
			}
		}
	}
	json_decref(hdr);

	return (ok);
}

/*
 * Verifies an ES256 token of ours for audience aud: signature, issuer
 * (the public URL for access tokens, "ngan" for tickets and their
 * links, which outlive any change of address), audience. On success
 * *out holds the claims; caller must jwt_free().
 */
int
jwt_verify(const char *token, const char *aud, jwt_t **out)
{
	const struct signing_key	*key;
	const char			*v;
	jwt_t				*jwt;

	*out = NULL;
	if (strlen(token) > 4096 || !header_check(token, &key) ||
	    !es256_token_low_s(token))
		return (KORE_RESULT_ERROR);

	jwt = NULL;
	if (jwt_decode(&jwt, token, (const unsigned char *)key->public_pem,
	    (int)key->public_len) != 0 || jwt == NULL)
		return (KORE_RESULT_ERROR);

	if (jwt_get_alg(jwt) != JWT_ALG_ES256 ||
	    (v = jwt_get_grant(jwt, "iss")) == NULL ||
	    strcmp(v, strcmp(aud, AUDIENCE) ? ISSUER : oauth_issuer()) ||
	    (v = jwt_get_grant(jwt, "aud")) == NULL || strcmp(v, aud)) {
		jwt_free(jwt);
		return (KORE_RESULT_ERROR);
	}

	*out = jwt;
	return (KORE_RESULT_OK);
}

/* Signs claims (iss added) with the current key; caller must free(). */
char *
jwt_sign(json_t *claims)
{
	json_object_set_new(claims, "iss", json_string(ISSUER));
	return (es256_compact(keys[0].pkey, keys[0].kid, claims));
}

/* Verifies signature and claims; fills actor. */
int
jwt_check(const char *token, long now, struct actor *a)
{
	const char	*v;
	jwt_t		*jwt;
	long		exp, nbf;
	int		ok;

	if (!jwt_verify(token, AUDIENCE, &jwt))
		return (KORE_RESULT_ERROR);

	ok = KORE_RESULT_ERROR;
	errno = 0;
	exp = jwt_get_grant_int(jwt, "exp");
	if (errno != 0 || exp <= now)
		goto out;
	errno = 0;
	nbf = jwt_get_grant_int(jwt, "nbf");
	if (errno != 0 || nbf > now + CLOCK_SKEW)
		goto out;

	if ((v = jwt_get_grant(jwt, "sub")) == NULL || !uuid_valid(v))
		goto out;
	kore_strlcpy(a->sub, v, sizeof(a->sub));
	if ((v = jwt_get_grant(jwt, "role")) == NULL ||
	    (a->role = auth_role_parse(v)) == 0)
		goto out;
	if ((v = jwt_get_grant(jwt, "kind")) == NULL)
		goto out;
	a->is_client = !strcmp(v, "client");
	a->agency_id[0] = '\0';
	if ((v = jwt_get_grant(jwt, "agency_id")) != NULL) {
		if (!uuid_valid(v))
			goto out;
		kore_strlcpy(a->agency_id, v, sizeof(a->agency_id));
	}
	a->sid[0] = '\0';
	if ((v = jwt_get_grant(jwt, "sid")) != NULL) {
		if (!uuid_valid(v))
			goto out;
		kore_strlcpy(a->sid, v, sizeof(a->sid));
	}
	if ((v = jwt_get_grant(jwt, "scope")) == NULL)
		goto out;
	kore_strlcpy(a->scope, v, sizeof(a->scope));

	a->authenticated = 1;
	a->exp = exp;
	ok = KORE_RESULT_OK;

out:
	jwt_free(jwt);
	return (ok);
}

/* jwt_check() behind the cache of tokens already verified. */
static int
token_verify(const char *token, long now, struct actor *a)
{
	struct token_cache_entry	*e;
	u_int8_t			hash[16];
	u_int32_t			slot;

	crypto_generichash(hash, sizeof(hash), (const u_int8_t *)token,
	    strlen(token), NULL, 0);
	memcpy(&slot, hash, sizeof(slot));
	e = &token_cache[slot % TOKEN_CACHE_SIZE];

	if (e->exp > now && sodium_memcmp(e->hash, hash, sizeof(hash)) == 0) {
		*a = e->actor;
		return (KORE_RESULT_OK);
	}

	if (!jwt_check(token, now, a))
		return (KORE_RESULT_ERROR);

	memcpy(e->hash, hash, sizeof(hash));
	e->exp = a->exp;
	e->actor = *a;
	e->actor.json = NULL;

	return (KORE_RESULT_OK);
}

/*
 * Reads "Authorization: Bearer". No header: anonymous. A header that does
 * not verify is answered 401 here (RFC 6750), whatever the route.
 */
int
auth_bearer(struct http_request *req, struct ngan_req *r)
{
	const char	*h;
	json_t		*j;

	if (!http_request_header(req, "authorization", &h))
		return (KORE_RESULT_OK);

	/* /metrics also takes NGAN_METRICS_TOKEN, which is no JWT. */
	if (r->route != NULL && r->route->calls[0].handler == ops_metrics &&
	    strncasecmp(h, "Bearer ", 7) == 0 && edge_metrics_token(h + 7))
		return (KORE_RESULT_OK);

	if (strncasecmp(h, "Bearer ", 7) != 0 ||
	    !token_verify(h + 7, (long)time(NULL), &r->actor)) {
		memset(&r->actor, 0, sizeof(r->actor));
		/* Audience "ngan-api" only: say why a participant's fails. */
		if (strncasecmp(h, "Bearer ", 7) == 0 &&
		    self_token_claims_participant(h + 7))
			self_refuse_on_staff_route(req);
		else
			problem_unauthorized(req, 1);
		return (KORE_RESULT_ERROR);
	}

	/*
	 * A session revoked since the token was signed. The statement the
	 * handler sends checks the rest (api.live_actor, db.c).
	 */
	switch (revoke_check(&r->actor)) {
	case REVOKE_OK:
		break;
	case REVOKE_REFUSED:
		memset(&r->actor, 0, sizeof(r->actor));
		auth_refuse_revoked(req);
		return (KORE_RESULT_ERROR);
	default:
		memset(&r->actor, 0, sizeof(r->actor));
		problem_retry_after(req, 503, 2, "error.db_unreachable");
		return (KORE_RESULT_ERROR);
	}

	/* A client's scope: its token may hold fewer than the client has. */
	j = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?}", "sub", r->actor.sub,
	    "role", auth_role_name(r->actor.role), "kind",
	    r->actor.is_client ? "client" : "user", "agency_id",
	    r->actor.agency_id[0] ? r->actor.agency_id : NULL, "sid",
	    r->actor.sid[0] ? r->actor.sid : NULL, "scope",
	    r->actor.is_client ? r->actor.scope : NULL);
	r->actor.json = json_dumps(j, JSON_COMPACT);
	json_decref(j);

	return (KORE_RESULT_OK);
}

/* A valid token whose session has ended or whose account is disabled. */
void
auth_refuse_revoked(struct http_request *req)
{
	http_response_header(req, "www-authenticate",
	    "Bearer error=\"invalid_token\"");
	problem(req, 401, "unauthorized",
	    "auth.session_ended_account_disabled");
}

/* 401 without a token, 403 with one of another role. */
int
auth_require(struct http_request *req, struct ngan_req *r, int roles)
{
	if (!r->actor.authenticated) {
		problem_unauthorized(req, 0);
		return (KORE_RESULT_ERROR);
	}
	if (!(r->actor.role & roles)) {
		problem(req, 403, NULL, "auth.role_refused");
		return (KORE_RESULT_ERROR);
	}

	return (KORE_RESULT_OK);
}

int
auth_jwks(struct http_request *req, struct ngan_req *r)
{
	http_response_header(req, "cache-control", "public, max-age=300");
	respond_text(req, 200, "application/json", jwks_json,
	    strlen(jwks_json));
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
 * client by HTTP Basic or in the body; every refusal is 5.2 JSON. The
 * phase says how far a grant has come; r->status names the grant.
 */
#define GRANT_PASSWORD		0
#define GRANT_REFRESH		1
#define GRANT_CLIENT		2
#define GRANT_REFUSE_CLIENT	3

int
auth_token(struct http_request *req, struct ngan_req *r)
{
	struct grant_state	*g;
	const char		*grant;
	int			i;

	if (r->phase == 0) {
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
 * password: look the user up with the throttle state (phase 0), verify
 * the password here, then record a failure or open a session (phase 1),
 * then answer (phase 2). The throttle counts per (username, client) and
 * per client, the client being edge_client_key() (behind a trusted
 * proxy, the address it names); the count per username alone holds back
 * only clients that never signed in to the account (sql/api/auth.sql).
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

	switch (r->phase) {
	case 0:
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
	case 1:
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
	default:
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

/* refresh_token: rotate in one statement (phase 0), answer (phase 1). */
static int
grant_refresh(struct http_request *req, struct ngan_req *r)
{
	struct grant_state	*g;
	const char		*old;
	char			old_hash[65], new_hash[65], ttl[24];

	g = grant_state(r);
	if (r->phase == 0) {
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
	if (r->phase == 0) {
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
	if (r->phase == 0) {
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

	if (r->phase == 0) {
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
