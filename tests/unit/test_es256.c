/*
 * Unit tests of api/es256.c: the compact tokens the server and the
 * outbox's delivery sign (header, sorted claims, r || s with the low s,
 * verifying with the key) and the key's kid.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "unit.h"

#include "../../api/es256.c"

static int	es256_token_verifies(EVP_PKEY *, const char *);

/* Does token's signature (r || s) verify over header.payload? */
static int
es256_token_verifies(EVP_PKEY *pkey, const char *token)
{
	EVP_MD_CTX	*ctx;
	ECDSA_SIG	*sig;
	u_int8_t	raw[64], *der;
	const char	*dot;
	size_t		n;
	int		len, ok;

	if ((dot = strrchr(token, '.')) == NULL ||
	    sodium_base642bin(raw, sizeof(raw), dot + 1, strlen(dot + 1),
	    NULL, &n, NULL, B64URL) != 0 || n != sizeof(raw) ||
	    !es256_low_s(raw + 32))
		return (0);
	sig = ECDSA_SIG_new();
	(void)ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, NULL),
	    BN_bin2bn(raw + 32, 32, NULL));
	der = NULL;
	len = i2d_ECDSA_SIG(sig, &der);
	ECDSA_SIG_free(sig);
	ok = 0;
	if (len > 0 && (ctx = EVP_MD_CTX_new()) != NULL) {
		ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
		    pkey) == 1 && EVP_DigestVerify(ctx, der, (size_t)len,
		    (const u_int8_t *)token, (size_t)(dot - token)) == 1;
		EVP_MD_CTX_free(ctx);
	}
	OPENSSL_free(der);

	return (ok);
}

void
unit_es256(void)
{
	EVP_PKEY	*pkey;
	json_t		*claims;
	char		kid[ES256_KID_LEN + 1], *token, head[128];
	u_int8_t	s[32];
	size_t		n;
	int		i;

	pkey = EVP_EC_gen("P-256");
	CHECK(pkey != NULL);
	CHECK(es256_kid(pkey, kid) && strlen(kid) == ES256_KID_LEN &&
	    strspn(kid, "0123456789abcdef") == ES256_KID_LEN);

	claims = json_pack("{s:s, s:s, s:i}", "sub", "r1", "aud",
	    "ngan-ticket", "ver", 2);
	/* Many: about half the raw signatures have a high s. */
	for (i = 0; i < 16; i++) {
		token = es256_compact(pkey, kid, claims);
		CHECK(token != NULL && es256_token_verifies(pkey, token));
		if (i == 0 && token != NULL) {
			CHECK(sodium_base642bin((u_int8_t *)head,
			    sizeof(head) - 1, token, strchr(token, '.') -
			    token, NULL, &n, NULL, B64URL) == 0);
			head[n] = '\0';
			CHECK(!strncmp(head,
			    "{\"alg\":\"ES256\",\"kid\":\"", 22));
			CHECK(strstr(head, "\"typ\":\"JWT\"}") != NULL);
		}
		free(token);
	}
	json_decref(claims);
	CHECK(es256_compact(NULL, kid, NULL) == NULL);

	/* n - s for a high s; a low s stays. */
	memcpy(s, p256_n, sizeof(s));
	s[31]--;		/* n - 1: high; its twin is 1 */
	CHECK(!es256_low_s(s));
	es256_low_s_make(s);
	CHECK(es256_low_s(s) && s[0] == 0x00 && s[30] == 0x00 &&
	    s[31] == 0x01);
	memset(s, 0x01, sizeof(s));
	es256_low_s_make(s);
	CHECK(s[0] == 0x01 && s[31] == 0x01);

	EVP_PKEY_free(pkey);
}
