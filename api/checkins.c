/*
 * Check-in at the door: POST /v1/checkins (one scan), /v1/checkins/batch
 * (scans made offline), /v1/checkins/{id}/annul, and per event the scan
 * log, its duplicate groups, the attendance report and the manifest a
 * scanner app needs to check tickets offline.
 *
 * C verifies each ticket's signature (ES256, tickets.c) and hands the
 * database what it names; one SQL call decides the outcome and records
 * the scan with its answer. Scan outcomes are not errors: every status
 * carries the same JSON body ({"result", "message", ...}), and only
 * refusals of the request itself (auth, body shape) are problem+json.
 */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "ngan.h"

#define TICKET_CACHE_SIZE	2048	/* verified tickets per worker */
#define MANIFEST_AD		"ngan-manifest-v1"
#define MANIFEST_KEY_LABEL	"ngan-manifest-key:"
#define GCM_NONCE		12
#define GCM_TAG			16

/* How a manifest's entries are sealed: ?cipher= of the request. */
enum manifest_cipher {
	CIPHER_XCHACHA,		/* xchacha20-poly1305, libsodium's */
	CIPHER_AESGCM		/* aes-256-gcm, WebCrypto's and CryptoKit's */
};

/* A ticket seen before: what its signature check said. */
struct ticket_seen {
	u_int8_t	key[16];	/* BLAKE2b of the whole token */
	int		used;
	int		valid;
	int		version;
	char		reg[NGAN_UUID_LEN + 1];
	char		evt[NGAN_UUID_LEN + 1];
};

static struct ticket_seen	ticket_cache[TICKET_CACHE_SIZE];

static const char	*nonce_check(const char *);
static int		scan_prepare(json_t *);
static int		scan_respond(struct http_request *, struct ngan_req *);
static int		manifest_respond(struct http_request *,
			    struct ngan_req *);
static int		manifest_entry(json_t *, const char *, const u_int8_t *,
			    int, json_t *);
static u_int8_t		*manifest_seal(int, const u_int8_t *, const char *,
			    size_t, size_t *);
static int		ticket_payload(const char *, const char *, int,
			    char *, size_t);

static const char *const directions[] = { "in", "out", NULL };

static const char *const results[] = {
	"checked_in", "checked_out", "already_checked_in",
	"already_checked_out", "not_checked_in", "duplicate",
	"unknown_ticket", "invalid_token", "wrong_event",
	"registration_cancelled", "ticket_revoked", "registration_waitlisted",
	"event_not_open", NULL
};

#define SCAN_FIELDS							\
	{ "token", FIELD_STRING, FIELD_REQUIRED, 1, 8192 },		\
	{ "event_id", FIELD_UUID, FIELD_REQUIRED },			\
	{ "session_id", FIELD_UUID, FIELD_NULLABLE },			\
	{ "direction", FIELD_STRING, 0, 1, 16, directions },		\
	{ "scanned_at", FIELD_TIME, FIELD_NULLABLE },			\
	{ "nonce", FIELD_STRING, FIELD_REQUIRED, 8, 100, NULL,		\
	    nonce_check },						\
	{ "device_id", FIELD_STRING, FIELD_NULLABLE, 1, 100 }

const struct field_spec checkin_scan_fields[] = {
	SCAN_FIELDS,
	{ NULL }
};

const struct field_spec checkin_batch_fields[] = {
	{ "scans", FIELD_OBJECT_ARRAY, FIELD_REQUIRED, 1, 500, NULL, NULL,
	    checkin_scan_fields },
	{ NULL }
};

const struct field_spec checkin_annul_fields[] = {
	{ "device_id", FIELD_STRING, FIELD_NULLABLE, 1, 100 },
	{ "reason", FIELD_STRING, FIELD_NULLABLE, 0, 500 },
	{ NULL }
};

/* GET /v1/events/{id}/checkins: the filters, passed on as one object. */
const struct field_spec checkin_query[] = {
	QUERY_LIMIT,
	{ .name = "session_id", .type = FIELD_UUID, .flags = FIELD_FILTER,
	    .message = "checkins.session_filter" },
	{ .name = "device_id", .type = FIELD_STRING, .flags = FIELD_FILTER,
	    .min = 1, .max = 100, .code = "length",
	    .message = "checkins.device_filter" },
	{ .name = "result", .type = FIELD_STRING, .flags = FIELD_FILTER,
	    .choices = results, .code = "enum",
	    .message = "checkins.result_filter" },
	QUERY_CURSOR,
	{ NULL }
};

/* GET /v1/events/{id}/checkins/conflicts */
const struct field_spec checkin_conflict_query[] = {
	QUERY_LIMIT,
	QUERY_CURSOR,
	{ NULL }
};

/* A nonce is 8 to 100 of [A-Za-z0-9._:-]. */
static const char *
nonce_check(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' &&
		    *s != ':' && *s != '-')
			return ("checkins.nonce_letters_digits");
	}

	return (NULL);
}

/* NGAN_CHECKIN_MARGIN_MINUTES: minutes around the event, 0 to a week. */
int
checkins_margin(void)
{
	return (config_int(CONFIG_CHECKIN_MARGIN));
}

/*
 * Replaces the scan's token by what it names: ticket_registration,
 * ticket_event, ticket_version when its signature verifies, and always
 * ticket_hash, a hash of its signed part (header.payload, or a compact
 * ticket's first 45 bytes: the same for every signature of one ticket)
 * that tells a retry from a reused nonce.
 */
static int
scan_prepare(json_t *scan)
{
	struct ticket_seen	*t;
	struct ticket_compact	compact;
	const char		*token, *dot;
	u_int8_t		key[16], hash[16];
	char			hex[sizeof(hash) * 2 + 1];
	size_t			signed_len;

	token = json_string_value(json_object_get(scan, "token"));
	if (token == NULL)
		return (KORE_RESULT_ERROR);

	signed_len = strlen(token);
	if (ticket_compact_decode(token, &compact)) {
		crypto_generichash(hash, sizeof(hash), compact.signed_part,
		    sizeof(compact.signed_part), NULL, 0);
	} else {
		if ((dot = strchr(token, '.')) != NULL &&
		    (dot = strchr(dot + 1, '.')) != NULL)
			signed_len = (size_t)(dot - token);
		crypto_generichash(hash, sizeof(hash),
		    (const u_int8_t *)token, signed_len, NULL, 0);
	}
	hex_encode(hash, sizeof(hash), hex);
	json_object_set_new(scan, "ticket_hash", json_string(hex));

	/* Signatures cost: a ticket scanned again is looked up. */
	crypto_generichash(key, sizeof(key), (const u_int8_t *)token,
	    strlen(token), NULL, 0);
	t = &ticket_cache[(key[0] | (key[1] << 8)) % TICKET_CACHE_SIZE];
	if (!t->used || memcmp(t->key, key, sizeof(key)) != 0) {
		memcpy(t->key, key, sizeof(key));
		t->used = 1;
		t->valid = ticket_verify(token, t->reg, t->evt, &t->version);
	}

	if (t->valid) {
		json_object_set_new(scan, "ticket_registration",
		    json_string(t->reg));
		json_object_set_new(scan, "ticket_event", json_string(t->evt));
		json_object_set_new(scan, "ticket_version",
		    json_integer(t->version));
	}
	json_object_del(scan, "token");

	return (KORE_RESULT_OK);
}

/*
 * Sends an api.scan_answer row (status, body, -, -, kind): scan results
 * as JSON whatever the status, problems as problem+json.
 */
static int
scan_respond(struct http_request *req, struct ngan_req *r)
{
	const char	*body;
	int		status;

	if (db_rows(r) != 1 || db_isnull(r, 0, 4) ||
	    !strcmp(db_value(r, 0, 4), "problem"))
		return (db_respond(req, r));

	status = (int)strtol(db_value(r, 0, 0), NULL, 10);
	body = db_value(r, 0, 1);
	if (!strcmp(db_value(r, 0, 4), "replay"))
		http_response_header(req, "idempotent-replayed", "true");
	respond_text(req, status, "application/json", body, strlen(body));

	return (KORE_RESULT_OK);
}

int
checkins_create(struct http_request *req, struct ngan_req *r)
{
	char		*scan, margin_text[16];
	int		ret;

	if (r->state != STATE_QUERY)
		return (scan_respond(req, r));

	http_response_header(req, "cache-control", "no-store");
	i18n_headers(req, i18n_lang(req));

	if (!scan_prepare(r->body)) {
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}
	(void)snprintf(margin_text, sizeof(margin_text), "%d",
	    checkins_margin());
	scan = json_dumps(r->body, JSON_COMPACT);
	ret = db_query(req, r, "SELECT r.status, r.body, NULL::text, "
	    "NULL::text, r.kind FROM api.checkin($1, $2, $3, $4) r", 4,
	    r->actor.json, scan, i18n_code(i18n_lang(req)), margin_text);
	free(scan);

	return (ret);
}

int
checkins_batch(struct http_request *req, struct ngan_req *r)
{
	json_t		*scans, *scan;
	char		*text, margin_text[16];
	size_t		i;
	int		ret;

	if (r->state != STATE_QUERY)
		return (scan_respond(req, r));

	http_response_header(req, "cache-control", "no-store");
	i18n_headers(req, i18n_lang(req));

	scans = json_object_get(r->body, "scans");
	json_array_foreach(scans, i, scan) {
		if (!scan_prepare(scan)) {
			problem(req, 500, NULL,
			    "error.internal");
			return (KORE_RESULT_OK);
		}
	}
	(void)snprintf(margin_text, sizeof(margin_text), "%d",
	    checkins_margin());
	text = json_dumps(scans, JSON_COMPACT);
	ret = db_query(req, r, "SELECT r.status, r.body, NULL::text, "
	    "NULL::text, r.kind FROM api.checkin_batch($1, $2, $3, $4) r", 4,
	    r->actor.json, text, i18n_code(i18n_lang(req)), margin_text);
	free(text);

	return (ret);
}

/* The body is optional: no device_id matches a scan made without one. */
int
checkins_annul(struct http_request *req, struct ngan_req *r)
{
	const char	*device;

	if (r->state != STATE_QUERY)
		return (db_respond(req, r));

	device = r->body != NULL ? json_string_value(json_object_get(r->body,
	    "device_id")) : NULL;
	http_response_header(req, "cache-control", "no-store");

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.checkin_annul($1, $2, $3)", 3, r->actor.json, r->params[0],
	    device));
}

/*
 * The attendance report, with an ETag: a dashboard polls it with
 * If-None-Match and gets 304 until something changed (a plain route,
 * main.c, answered here).
 */
int
attendance_respond(struct http_request *req, struct ngan_req *r)
{
	if (db_rows(r) == 1 && !db_isnull(r, 0, 0) &&
	    !strcmp(db_value(r, 0, 0), "304")) {
		header_set(req, "etag", db_value(r, 0, 2));
		respond_not_modified(req);
		return (KORE_RESULT_OK);
	}

	return (db_respond(req, r));
}

/*
 * GET /v1/events/{id}/scanner-manifest: every ticket of the event a
 * device may meet, without anything readable by whoever finds the phone:
 *
 *   payload    = the JWT payload segment of the ticket, as in its QR code
 *                (base64url; the same for every signature of one ticket
 *                version, and kept across signing key rotations)
 *   ticket_key = hex(HMAC-SHA-256(manifest_key, payload))
 *   sealed     = base64url(nonce || XChaCha20-Poly1305(
 *                    {"display_name","target_group"},
 *                    ad "ngan-manifest-v1", nonce (24 random bytes),
 *                    key = SHA-256(payload)))
 *
 * manifest_key (per event, in the answer) is HMAC-SHA-256 of the event id
 * under a server key. Only a scanned QR code opens its entry.
 */
int
checkins_manifest(struct http_request *req, struct ngan_req *r)
{
	char		*since, *cipher;

	if (r->state != STATE_QUERY)
		return (manifest_respond(req, r));

	cipher = NULL;
	if (query_string(req, "cipher", &cipher) &&
	    strcmp(cipher, "xchacha20-poly1305") != 0 &&
	    strcmp(cipher, "aes-256-gcm") != 0) {
		query_error(req, "cipher", "enum", "checkins.cipher_choices");
		return (KORE_RESULT_OK);
	}

	since = NULL;
	if (query_string(req, "since", &since)) {
		/* An unescaped '+' of the offset arrives as a space. */
		if (strlen(since) > 19 && since[strlen(since) - 6] == ' ')
			since[strlen(since) - 6] = '+';
		if (time_check(since) != NULL) {
			query_error(req, "since", "format",
			    "checkins.since_rfc_3339_time");
			return (KORE_RESULT_OK);
		}
	}
	http_response_header(req, "cache-control", "no-store");

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.scanner_manifest($1, $2, $3)", 3, r->actor.json,
	    r->params[0], since));
}

static int
manifest_respond(struct http_request *req, struct ngan_req *r)
{
	const struct pii_keys	*keys;
	json_t			*body, *entries, *entry, *out, *revoked, *e;
	const char		*event_id, *status;
	u_int8_t		mkey[crypto_auth_hmacsha256_BYTES];
	char			mkey_b64[64], label[80], *cipher;
	size_t			i;
	int			aead;

	if (db_rows(r) != 1 || db_isnull(r, 0, 0) ||
	    strcmp(db_value(r, 0, 0), "200") != 0)
		return (db_respond(req, r));

	body = json_loads(db_value(r, 0, 1), 0, NULL);
	keys = pii_worker_keys();
	event_id = json_string_value(json_object_get(body, "event_id"));
	entries = json_object_get(body, "entries");
	if (body == NULL || keys == NULL || event_id == NULL ||
	    !json_is_array(entries) || auth_kid() == NULL) {
		json_decref(body);
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}

	/* Checked in its STATE_QUERY. */
	aead = query_string(req, "cipher", &cipher) &&
	    !strcmp(cipher, "aes-256-gcm") ? CIPHER_AESGCM : CIPHER_XCHACHA;

	(void)snprintf(label, sizeof(label), "%s%s", MANIFEST_KEY_LABEL,
	    event_id);
	crypto_auth_hmacsha256(mkey, (const u_int8_t *)label, strlen(label),
	    keys->hmac);
	base64url_encode(mkey, sizeof(mkey), mkey_b64, sizeof(mkey_b64));

	out = json_array();
	revoked = json_array();
	json_array_foreach(entries, i, entry) {
		e = json_object();
		if (!manifest_entry(entry, event_id, mkey, aead, e)) {
			json_decref(e);
			json_decref(out);
			json_decref(revoked);
			json_decref(body);
			problem(req, 500, NULL,
			    "error.internal");
			return (KORE_RESULT_OK);
		}
		status = json_string_value(json_object_get(e, "status"));
		if (status != NULL && strcmp(status, "valid") != 0)
			json_array_append(revoked, json_object_get(e,
			    "ticket_key"));
		json_array_append_new(out, e);
	}
	sodium_memzero(mkey, sizeof(mkey));

	json_object_set_new(body, "entries", out);
	if (json_is_null(json_object_get(body, "since")))
		json_decref(revoked);
	else
		json_object_set_new(body, "revocations", revoked);
	json_object_set_new(body, "kid", json_string(auth_kid()));
	json_object_set_new(body, "manifest_key", json_string(mkey_b64));
	json_object_set_new(body, "cipher", json_string(aead == CIPHER_AESGCM ?
	    "aes-256-gcm" : "xchacha20-poly1305"));
	json_object_set_new(body, "derivation", json_string(aead ==
	    CIPHER_AESGCM ?
	    "payload = the ticket's JWT payload segment (between the dots); "
	    "ticket_key = hex(HMAC-SHA-256(base64url-decoded manifest_key, "
	    "payload)); sealed = base64url(iv(12) || AES-256-GCM("
	    "JSON {display_name, target_group}, ad \"" MANIFEST_AD "\", "
	    "key = SHA-256(payload)) || tag(16))" :
	    "payload = the ticket's JWT payload segment (between the dots); "
	    "ticket_key = hex(HMAC-SHA-256(base64url-decoded manifest_key, "
	    "payload)); sealed = base64url(nonce(24) || XChaCha20-Poly1305("
	    "JSON {display_name, target_group}, ad \"" MANIFEST_AD "\", "
	    "key = SHA-256(payload)))"));
	respond_json(req, 200, body);
	json_decref(body);

	return (KORE_RESULT_OK);
}

/* One manifest entry from the database's row; out gets the public one. */
static int
manifest_entry(json_t *row, const char *evt, const u_int8_t *mkey,
    int aead, json_t *out)
{
	const char	*reg;
	json_t		*plain;
	char		*text, payload[512], hex[crypto_auth_hmacsha256_BYTES
			    * 2 + 1];
	u_int8_t	mac[crypto_auth_hmacsha256_BYTES];
	u_int8_t	key[crypto_hash_sha256_BYTES];
	u_int8_t	*sealed;
	char		*b64;
	size_t		tlen, slen, blen;
	int		version;

	reg = json_string_value(json_object_get(row, "registration_id"));
	version = (int)json_integer_value(json_object_get(row, "version"));
	if (reg == NULL ||
	    !ticket_payload(reg, evt, version, payload, sizeof(payload)))
		return (KORE_RESULT_ERROR);

	crypto_auth_hmacsha256(mac, (const u_int8_t *)payload,
	    strlen(payload), mkey);
	hex_encode(mac, sizeof(mac), hex);
	crypto_hash_sha256(key, (const u_int8_t *)payload, strlen(payload));

	plain = json_pack("{s:O, s:O}", "display_name",
	    json_object_get(row, "display_name"), "target_group",
	    json_object_get(row, "target_group"));
	text = plain != NULL ? json_dumps(plain, JSON_COMPACT) : NULL;
	json_decref(plain);
	if (text == NULL)
		return (KORE_RESULT_ERROR);

	tlen = strlen(text);
	sealed = manifest_seal(aead, key, text, tlen, &slen);
	sodium_memzero(text, tlen);
	free(text);
	sodium_memzero(key, sizeof(key));
	if (sealed == NULL)
		return (KORE_RESULT_ERROR);

	blen = sodium_base64_ENCODED_LEN(slen,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	b64 = kore_malloc(blen);
	base64url_encode(sealed, slen, b64, blen);
	kore_free(sealed);

	json_object_set_new(out, "ticket_key", json_string(hex));
	json_object_set(out, "status", json_object_get(row, "status"));
	json_object_set(out, "version", json_object_get(row, "version"));
	json_object_set_new(out, "sealed", json_string(b64));
	kore_free(b64);

	return (KORE_RESULT_OK);
}

/*
 * nonce || ciphertext (|| tag for GCM, as WebCrypto returns and takes it)
 * of text under key (32 bytes). Caller must kore_free the answer; NULL
 * when OpenSSL fails.
 */
static u_int8_t *
manifest_seal(int aead, const u_int8_t *key, const char *text, size_t tlen,
    size_t *slen)
{
	EVP_CIPHER_CTX	*ctx;
	u_int8_t	*sealed, *ct;
	int		n, fin, ok;

	if (aead == CIPHER_XCHACHA) {
		*slen = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + tlen +
		    crypto_aead_xchacha20poly1305_ietf_ABYTES;
		sealed = kore_malloc(*slen);
		randombytes_buf(sealed,
		    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
		crypto_aead_xchacha20poly1305_ietf_encrypt(sealed +
		    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, NULL,
		    (const u_int8_t *)text, tlen,
		    (const u_int8_t *)MANIFEST_AD, sizeof(MANIFEST_AD) - 1,
		    NULL, sealed, key);
		return (sealed);
	}

	*slen = GCM_NONCE + tlen + GCM_TAG;
	sealed = kore_malloc(*slen);
	randombytes_buf(sealed, GCM_NONCE);
	ct = sealed + GCM_NONCE;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		kore_free(sealed);
		return (NULL);
	}
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, sealed) &&
	    EVP_EncryptUpdate(ctx, NULL, &n, (const u_int8_t *)MANIFEST_AD,
	    sizeof(MANIFEST_AD) - 1) &&
	    EVP_EncryptUpdate(ctx, ct, &n, (const u_int8_t *)text,
	    (int)tlen) && (size_t)n == tlen &&
	    EVP_EncryptFinal_ex(ctx, ct + n, &fin) && fin == 0 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG,
	    ct + tlen);
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		kore_free(sealed);
		return (NULL);
	}

	return (sealed);
}

/*
 * The payload segment of the ticket for (registration, event, version),
 * as ticket_token() signs it, without signing: jwt_sign() writes the
 * claims with sorted keys, compact. Checked once per worker against a
 * real signed ticket; should they ever be written otherwise, every ticket
 * is signed to read its payload.
 */
static int
ticket_payload(const char *reg, const char *evt, int version, char *out,
    size_t len)
{
	static int	state;		/* 0 unchecked, 1 same, 2 differs */
	json_t		*claims;
	const char	*dot, *end;
	char		*text, *token, signed_payload[512];
	size_t		n;

	signed_payload[0] = '\0';
	if (state != 1) {
		if ((token = ticket_token(reg, evt, version)) == NULL)
			return (KORE_RESULT_ERROR);
		dot = strchr(token, '.');
		end = dot != NULL ? strchr(dot + 1, '.') : NULL;
		n = end != NULL ? (size_t)(end - dot - 1) : 0;
		if (end == NULL || n >= sizeof(signed_payload) || n >= len) {
			free(token);
			return (KORE_RESULT_ERROR);
		}
		memcpy(signed_payload, dot + 1, n);
		signed_payload[n] = '\0';
		free(token);
		if (state == 2) {
			kore_strlcpy(out, signed_payload, len);
			return (KORE_RESULT_OK);
		}
	}

	claims = json_pack("{s:s, s:s, s:s, s:s, s:i}", "aud", "ngan-ticket",
	    "evt", evt, "iss", "ngan", "sub", reg, "ver", version);
	text = claims != NULL ? json_dumps(claims, JSON_SORT_KEYS |
	    JSON_COMPACT) : NULL;
	json_decref(claims);
	if (text == NULL || sodium_base64_ENCODED_LEN(strlen(text),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) > len) {
		free(text);
		return (KORE_RESULT_ERROR);
	}
	base64url_encode((const u_int8_t *)text, strlen(text), out, len);
	free(text);

	if (state == 0) {
		state = strcmp(out, signed_payload) == 0 ? 1 : 2;
		if (state == 2) {
			kore_log(LOG_WARNING, "ticket payloads differ from "
			    "the signer's; the manifest signs each ticket");
			kore_strlcpy(out, signed_payload, len);
		}
	}

	return (KORE_RESULT_OK);
}

