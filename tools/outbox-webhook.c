/*
 * ngan-outbox's webhooks (issue 19, item 3): a POST per message to the
 * endpoint, as Standard Webhooks has it: webhook-id (the outbox row's
 * idempotency key, the same on every retry), webhook-timestamp (Unix
 * seconds) and webhook-signature, "v1," and the base64 HMAC-SHA256 of
 * "id.timestamp.body" under the bytes of the endpoint's secret
 * ("whsec_" and base64). The body: {"type", "timestamp", "data"}; data is
 * what the feed carries, the participant as this client's pseudonym
 * (api/pseudonym.c, as the feed has it). The address a name resolves to
 * is checked before anything is sent: no private or reserved address
 * (loopback only with NGAN_WEBHOOK_ALLOW_LOOPBACK).
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "ngan.h"
#include "outbox.h"

static size_t	discard(void *, size_t, size_t, void *);
static int	prereq(void *, char *, char *, int, int);

/* SENT, RETRY or FINAL (disabled endpoint, address refused), err why. */
int
webhook_send(const struct outbox_msg *m, json_t *args, char *err,
    size_t errlen)
{
	struct curl_slist	*hdrs;
	CURL			*curl;
	CURLcode		rc;
	json_t			*body;
	u_int8_t		key[128], mac[crypto_auth_hmacsha256_BYTES];
	char			secret[PII_PLAIN_MAX + 1], hdr[256], ts[32];
	char			iso[32], sig[96], *json;
	char			nym[PSEUDONYM_HEX_LEN + 1];
	crypto_auth_hmacsha256_state st;
	size_t			keylen;
	time_t			now;
	long			status;
	int			ret, refused;

	ret = FINAL;
	hdrs = NULL;
	json = NULL;
	body = NULL;
	curl = NULL;
	refused = 0;
	if (strcmp(m->endpoint_live, "t") != 0) {
		(void)snprintf(err, errlen, "the endpoint is disabled");
		return (ret);
	}
	if (!pii_decrypt_hex(pii_worker_keys(), m->endpoint_secret,
	    PII_AD_WEBHOOK, secret, sizeof(secret)) ||
	    strncmp(secret, "whsec_", 6) != 0 ||
	    sodium_base642bin(key, sizeof(key), secret + 6, strlen(secret + 6),
	    NULL, &keylen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
		(void)snprintf(err, errlen, "the endpoint's secret does not "
		    "open with NGAN_PII_KEY");
		goto out;
	}

	now = time(NULL);
	(void)snprintf(ts, sizeof(ts), "%lld", (long long)now);
	(void)strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	if (m->participant[0] != '\0') {
		pseudonym_of(m->endpoint_client, m->participant, nym);
		json_object_set_new(args, "participant", json_string(nym));
	}
	body = json_pack("{s:s, s:s, s:O}", "type", m->kind, "timestamp", iso,
	    "data", args);
	if (body == NULL || (json = json_dumps(body, JSON_COMPACT)) == NULL) {
		(void)snprintf(err, errlen, "cannot build the payload");
		ret = RETRY;
		goto out;
	}

	(void)crypto_auth_hmacsha256_init(&st, key, keylen);
	(void)crypto_auth_hmacsha256_update(&st, (const u_int8_t *)m->key,
	    strlen(m->key));
	(void)crypto_auth_hmacsha256_update(&st, (const u_int8_t *)".", 1);
	(void)crypto_auth_hmacsha256_update(&st, (const u_int8_t *)ts,
	    strlen(ts));
	(void)crypto_auth_hmacsha256_update(&st, (const u_int8_t *)".", 1);
	(void)crypto_auth_hmacsha256_update(&st, (const u_int8_t *)json,
	    strlen(json));
	(void)crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2base64(sig, sizeof(sig), mac, sizeof(mac),
	    sodium_base64_VARIANT_ORIGINAL);

	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	(void)snprintf(hdr, sizeof(hdr), "webhook-id: %s", m->key);
	hdrs = curl_slist_append(hdrs, hdr);
	(void)snprintf(hdr, sizeof(hdr), "webhook-timestamp: %s", ts);
	hdrs = curl_slist_append(hdrs, hdr);
	(void)snprintf(hdr, sizeof(hdr), "webhook-signature: v1,%s", sig);
	hdrs = curl_slist_append(hdrs, hdr);

	ret = RETRY;
	if ((curl = curl_easy_init()) == NULL) {
		(void)snprintf(err, errlen, "libcurl: no handle");
		goto out;
	}
	(void)curl_easy_setopt(curl, CURLOPT_URL, m->endpoint_url);
	(void)curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	(void)curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json);
	(void)curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	(void)curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(curl, CURLOPT_TIMEOUT,
	    (long)(config_int(CONFIG_OUTBOX_LEASE) / 2));
	(void)curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
	(void)curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	(void)curl_easy_setopt(curl, CURLOPT_PREREQFUNCTION, prereq);
	(void)curl_easy_setopt(curl, CURLOPT_PREREQDATA, &refused);

	rc = curl_easy_perform(curl);
	if (refused) {
		(void)snprintf(err, errlen, "the endpoint's address is "
		    "private or reserved");
		ret = FINAL;
		goto out;
	}
	if (rc != CURLE_OK) {
		(void)snprintf(err, errlen, "endpoint: %s",
		    curl_easy_strerror(rc));
		goto out;
	}
	(void)curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
		ret = SENT;
	else
		(void)snprintf(err, errlen, "endpoint answered %ld", status);

out:
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(key, sizeof(key));
	free(json);
	json_decref(body);
	curl_slist_free_all(hdrs);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	return (ret);
}

/* Before the request: the address connected to must be public. */
static int
prereq(void *arg, char *primary_ip, char *local_ip, int primary_port,
    int local_port)
{
	struct addr	a;
	int		*refused = arg;

	if (!addr_parse(primary_ip, strlen(primary_ip), &a) ||
	    addr_public(&a, config_int(CONFIG_WEBHOOK_ALLOW_LOOPBACK)) !=
	    NULL) {
		*refused = 1;
		return (CURL_PREREQFUNC_ABORT);
	}

	return (CURL_PREREQFUNC_OK);
}

static size_t
discard(void *p, size_t size, size_t n, void *arg)
{
	return (size * n);
}
