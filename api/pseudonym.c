/*
 * The participant as a partner client sees them: a pseudonym of 64 hex
 * digits, HMAC-SHA256 of the participant id under a key per client
 * (HMAC-SHA256 of a label and the client id under NGAN_PII_KEY's HMAC
 * key), so two clients cannot join what they see. Pure (libsodium and
 * api/pii.c's keys; no Kore): the feed (api/feed.c, which hands the key
 * to SQL) and the webhooks (tools/outbox-webhook.c) share it.
 */

#include <string.h>

#include <sodium.h>

#include "ngan.h"

#define FEED_KEY_LABEL	"ngan feed pseudonym v1:"

/* Client client's key (PSEUDONYM_KEY_LEN bytes) into key. */
void
pseudonym_client_key(const char *client, u_int8_t *key)
{
	crypto_auth_hmacsha256_state	st;

	(void)crypto_auth_hmacsha256_init(&st, pii_worker_keys()->hmac,
	    sizeof(pii_worker_keys()->hmac));
	(void)crypto_auth_hmacsha256_update(&st,
	    (const u_int8_t *)FEED_KEY_LABEL, strlen(FEED_KEY_LABEL));
	(void)crypto_auth_hmacsha256_update(&st, (const u_int8_t *)client,
	    strlen(client));
	(void)crypto_auth_hmacsha256_final(&st, key);
	sodium_memzero(&st, sizeof(st));
}

/* participant as client sees them, into out (PSEUDONYM_HEX_LEN + 1). */
void
pseudonym_of(const char *client, const char *participant, char *out)
{
	u_int8_t	key[PSEUDONYM_KEY_LEN];
	u_int8_t	mac[crypto_auth_hmacsha256_BYTES];

	pseudonym_client_key(client, key);
	(void)crypto_auth_hmacsha256(mac, (const u_int8_t *)participant,
	    strlen(participant), key);
	sodium_bin2hex(out, PSEUDONYM_HEX_LEN + 1, mac, sizeof(mac));
	sodium_memzero(key, sizeof(key));
}
