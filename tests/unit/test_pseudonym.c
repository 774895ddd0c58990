/*
 * Unit tests of api/pseudonym.c: a participant's pseudonym per partner
 * client, as the feed and the webhooks give it.
 */

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "unit.h"

#include "../../api/pseudonym.c"

void
unit_pseudonym(void)
{
	u_int8_t	key[PSEUDONYM_KEY_LEN], mac[32];
	char		a[PSEUDONYM_HEX_LEN + 1], b[PSEUDONYM_HEX_LEN + 1];
	char		hex[PSEUDONYM_HEX_LEN + 1];
	const char	*p = "6f1c9a4e-0000-4000-8000-000000000001";

	CHECK(pii_init("000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f"));
	pseudonym_of("client-a", p, a);
	CHECK(strlen(a) == PSEUDONYM_HEX_LEN &&
	    strspn(a, "0123456789abcdef") == PSEUDONYM_HEX_LEN);
	/* The same for the same client; another for another client. */
	pseudonym_of("client-a", p, b);
	CHECK(!strcmp(a, b));
	pseudonym_of("client-b", p, b);
	CHECK(strcmp(a, b) != 0);
	/* HMAC of the participant under the client's key (the feed's SQL). */
	pseudonym_client_key("client-a", key);
	(void)crypto_auth_hmacsha256(mac, (const u_int8_t *)p, strlen(p),
	    key);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	CHECK(!strcmp(a, hex));
}
