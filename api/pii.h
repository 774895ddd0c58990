/*
 * National ids, phones and other personal data: checked, sealed, opened.
 * Pure: no Kore, libpq nor libjwt, so tools and fuzzers link it alone.
 */

#ifndef NGAN_PII_H
#define NGAN_PII_H

#include <sys/types.h>

#include <stddef.h>

/* pii.c: pure, libsodium only (tools/ngan-pii.c links it too). */
/* What pii_init() and the sealing calls return (as Kore's results). */
#define PII_ERROR		0
#define PII_DONE		1
#define PII_OK			0
#define PII_FORMAT		1
#define PII_CHECKSUM		2
#define PII_NID_LEN		13
#define PII_PHONE_MAX		10
#define PII_EMAIL_MAX		254	/* RFC 5321's longest path */
#define PII_PLAIN_MAX		PII_EMAIL_MAX	/* longest clear text sealed */
#define PII_HMAC_LEN		32
#define PII_SEAL_OVERHEAD	40	/* XChaCha20 nonce + Poly1305 tag */
#define PII_SEAL_HEX_LEN(n)	((PII_SEAL_OVERHEAD + (n)) * 2 + 1)
#define PII_AD_NID		"nid"
#define PII_AD_PHONE		"phone"
#define PII_AD_CODE		"code"	/* a one-time code in the outbox */
#define PII_AD_EMAIL		"email"
#define PII_AD_LINE		"line"
#define PII_AD_WEBHOOK		"webhook"	/* an endpoint's secret */
#define PII_REVEAL_NID		0x01	/* ?reveal=national_id */
#define PII_REVEAL_PHONE	0x02	/* ?reveal=phone */
#define PII_PURPOSE_MIN		5	/* characters of ?purpose= */
#define PII_PURPOSE_MAX		200
#define PII_PURPOSE_DIGITS	9	/* a run this long is a number */

struct pii_keys {
	u_int8_t	hmac[32];
	u_int8_t	enc[32];
};

/* A national id and phone as the database keeps them: hex, no clear. */
struct pii_sealed {
	char		nid_hmac[PII_HMAC_LEN * 2 + 1];
	char		nid_enc[PII_SEAL_HEX_LEN(PII_NID_LEN)];
	char		nid_last3[4];
	char		phone_enc[PII_SEAL_HEX_LEN(PII_PHONE_MAX)]; /* or "" */
	char		phone_last4[5];				/* or "" */
};

int	pii_init(const char *);
const struct pii_keys *pii_worker_keys(void);
int	pii_keys_from_hex(const char *, struct pii_keys *);
int	pii_national_id(const char *, char [PII_NID_LEN + 1]);
int	pii_phone(const char *, char [PII_PHONE_MAX + 1]);
void	pii_hmac_hex(const struct pii_keys *, const char *,
	    char [PII_HMAC_LEN * 2 + 1]);
int	pii_encrypt_hex(const struct pii_keys *, const char *, const char *,
	    char *, size_t);
int	pii_decrypt_hex(const struct pii_keys *, const char *, const char *,
	    char *, size_t);
int	pii_seal(const struct pii_keys *, const char *, const char *,
	    struct pii_sealed *);
const char *pii_reveal_fields(const char *, int *);
const char *pii_purpose_check(const char *);

#endif /* !NGAN_PII_H */
