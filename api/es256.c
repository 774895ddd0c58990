/*
 * ES256 (ECDSA over P-256 with SHA-256, RFC 7518 3.4) as ngan signs:
 * pure (OpenSSL, Jansson, libsodium; no Kore), so the server (api/auth.c:
 * access tokens and tickets) and the outbox's delivery (tools/
 * outbox-email.c: the ticket in an email) sign with one piece of code,
 * and the unit tests call it.
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "ngan.h"

#define B64URL		sodium_base64_VARIANT_URLSAFE_NO_PADDING

/*
 * The P-256 group order n and n / 2. An ECDSA signature (r, s) verifies
 * as (r, n - s) too; we sign and accept only s <= n / 2, so each signed
 * token has one form and a twin cannot pass for a new token.
 */
static const u_int8_t	p256_n[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
};
static const u_int8_t	p256_half_n[32] = {
	0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42,
	0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8
};

/*
 * The key's kid: the first 8 bytes of SHA-256 over its public key (DER),
 * in hex, into kid (ES256_KID_LEN + 1 bytes). KORE_RESULT_ERROR if the
 * key has no public part.
 */
int
es256_kid(EVP_PKEY *pkey, char *kid)
{
	u_int8_t	*der, hash[crypto_hash_sha256_BYTES];
	int		len;

	der = NULL;
	if ((len = i2d_PUBKEY(pkey, &der)) <= 0)
		return (KORE_RESULT_ERROR);
	crypto_hash_sha256(hash, der, (unsigned long long)len);
	OPENSSL_free(der);
	sodium_bin2hex(kid, ES256_KID_LEN + 1, hash, ES256_KID_LEN / 2);

	return (KORE_RESULT_OK);
}

/*
 * header.payload.signature of claims, signed with pkey (kid in the
 * header). Both JSON parts are written as libjwt writes them (sorted
 * keys, compact); the signature is r || s, 32 bytes each, with the low
 * s. NULL on failure. Caller must free().
 */
char *
es256_compact(EVP_PKEY *pkey, const char *kid, json_t *claims)
{
	EVP_MD_CTX	*ctx;
	ECDSA_SIG	*sig;
	const BIGNUM	*r, *s;
	const u_int8_t	*p;
	json_t		*hdr;
	char		*head, *body, *out;
	u_int8_t	der[128], raw[64];
	size_t		len, pos, der_len;
	int		ok;

	hdr = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "kid", kid,
	    "typ", "JWT");
	head = hdr != NULL ? json_dumps(hdr, JSON_SORT_KEYS | JSON_COMPACT) :
	    NULL;
	json_decref(hdr);
	body = claims != NULL ? json_dumps(claims, JSON_SORT_KEYS |
	    JSON_COMPACT) : NULL;
	out = NULL;
	if (head == NULL || body == NULL || pkey == NULL)
		goto done;

	len = sodium_base64_ENCODED_LEN(strlen(head), B64URL) +
	    sodium_base64_ENCODED_LEN(strlen(body), B64URL) +
	    sodium_base64_ENCODED_LEN(sizeof(raw), B64URL);
	if ((out = malloc(len)) == NULL)
		goto done;
	sodium_bin2base64(out, len, (const u_int8_t *)head, strlen(head),
	    B64URL);
	pos = strlen(out);
	out[pos++] = '.';
	sodium_bin2base64(out + pos, len - pos, (const u_int8_t *)body,
	    strlen(body), B64URL);
	pos += strlen(out + pos);

	ok = 0;
	der_len = sizeof(der);
	if ((ctx = EVP_MD_CTX_new()) != NULL) {
		ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
		    pkey) == 1 && EVP_DigestSign(ctx, der, &der_len,
		    (const u_int8_t *)out, pos) == 1;
		EVP_MD_CTX_free(ctx);
	}
	p = der;
	sig = ok ? d2i_ECDSA_SIG(NULL, &p, (long)der_len) : NULL;
	ok = 0;
	if (sig != NULL) {
		ECDSA_SIG_get0(sig, &r, &s);
		ok = BN_bn2binpad(r, raw, 32) == 32 &&
		    BN_bn2binpad(s, raw + 32, 32) == 32;
		ECDSA_SIG_free(sig);
		es256_low_s_make(raw + 32);
	}
	if (!ok) {
		free(out);
		out = NULL;
		goto done;
	}
	out[pos++] = '.';
	sodium_bin2base64(out + pos, len - pos, raw, sizeof(raw), B64URL);

done:
	free(head);
	free(body);
	return (out);
}

/* s := n - s when s > n / 2: the low form of the same signature. */
void
es256_low_s_make(u_int8_t *sv)
{
	int		i, d, borrow;

	if (es256_low_s(sv))
		return;
	borrow = 0;
	for (i = 31; i >= 0; i--) {
		d = p256_n[i] - sv[i] - borrow;
		borrow = d < 0;
		sv[i] = (u_int8_t)(borrow ? d + 256 : d);
	}
}

/* Is the 32-byte big-endian s of an ES256 signature the low one? */
int
es256_low_s(const u_int8_t *sv)
{
	return (memcmp(sv, p256_half_n, sizeof(p256_half_n)) <= 0);
}
