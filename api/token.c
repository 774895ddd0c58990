/*
 * Token plumbing: the signing keys, ES256 access tokens signed and
 * verified (libjwt, OpenSSL), the bearer token of a request checked, the
 * roles, and the JWKS that lets others verify our tokens. The /v1/auth
 * resource that issues and revokes them is auth.c.
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
static char			*jwks_json;


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
token_init(void)
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
token_jwks(struct http_request *req, struct ngan_req *r)
{
	http_response_header(req, "cache-control", "public, max-age=300");
	respond_text(req, 200, "application/json", jwks_json,
	    strlen(jwks_json));
	return (KORE_RESULT_OK);
}

