/*
 * Personal data: Thai national id numbers and phone numbers. They are
 * checked and normalised here, then stored sealed (contract3.md, "PII"):
 * a keyed hash finds a person again by the number, an authenticated
 * encryption lets the organising agency read it back, and only the last
 * digits stay readable for masks. Both keys derive from NGAN_PII_KEY.
 *
 * Pure functions (libsodium only): the unit tests and tools/ngan-pii.c
 * link this file without Kore. Nothing here logs, and buffers that held
 * a clear number are wiped before they go out of scope.
 */

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pii.h"

#define PII_KDF_CONTEXT		"ngan-pii"
#define PII_KDF_HMAC		1
#define PII_KDF_ENC		2
#define PII_NONCE_LEN		crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define PII_TAG_LEN		crypto_aead_xchacha20poly1305_ietf_ABYTES

/* ngan.h sizes buffers without libsodium's header; keep them in step. */
_Static_assert(PII_NONCE_LEN + PII_TAG_LEN == PII_SEAL_OVERHEAD,
    "PII_SEAL_OVERHEAD is nonce + tag");
_Static_assert(crypto_auth_hmacsha256_BYTES == PII_HMAC_LEN,
    "PII_HMAC_LEN is an HMAC-SHA-256");
_Static_assert(sizeof(PII_KDF_CONTEXT) - 1 == crypto_kdf_CONTEXTBYTES,
    "the KDF context is 8 bytes");

static size_t	pii_digits(const char *, char *, size_t);

/* This worker's keys, set once by pii_init(). */
static struct pii_keys	worker_keys;
static int		worker_keys_set;

/*
 * Reads NGAN_PII_KEY (64 hex digits) into this process's keys. Returns
 * PII_ERROR when it is missing or malformed, so that the server
 * refuses to start rather than store personal data it cannot read back.
 */
int
pii_init(const char *hex)
{
	if (hex == NULL || !pii_keys_from_hex(hex, &worker_keys))
		return (PII_ERROR);
	worker_keys_set = 1;

	return (PII_DONE);
}

/* The keys pii_init() loaded; only valid after it succeeded. */
const struct pii_keys *
pii_worker_keys(void)
{
	return (worker_keys_set ? &worker_keys : NULL);
}

/*
 * Derives the HMAC and encryption subkeys from a 32-byte master key
 * given as exactly 64 hex digits. The master key is wiped afterwards.
 */
int
pii_keys_from_hex(const char *hex, struct pii_keys *keys)
{
	u_int8_t	master[crypto_kdf_KEYBYTES];
	size_t		len;
	int		ret;

	ret = PII_ERROR;
	if (strlen(hex) != sizeof(master) * 2)
		goto out;
	if (sodium_hex2bin(master, sizeof(master), hex, sizeof(master) * 2,
	    NULL, &len, NULL) != 0 || len != sizeof(master))
		goto out;
	if (crypto_kdf_derive_from_key(keys->hmac, sizeof(keys->hmac),
	    PII_KDF_HMAC, PII_KDF_CONTEXT, master) != 0 ||
	    crypto_kdf_derive_from_key(keys->enc, sizeof(keys->enc),
	    PII_KDF_ENC, PII_KDF_CONTEXT, master) != 0)
		goto out;

	ret = PII_DONE;

out:
	sodium_memzero(master, sizeof(master));
	return (ret);
}

/*
 * Copies the ASCII digits of in to out (at most max of them, then NUL),
 * skipping spaces and dashes as people write them ("1-2345-67890-12-3",
 * "081 234 5678"). Returns the number of digits, or max + 1 when in holds
 * anything else or too many digits.
 */
static size_t
pii_digits(const char *in, char *out, size_t max)
{
	size_t		n;

	for (n = 0; *in != '\0'; in++) {
		if (*in == ' ' || *in == '-')
			continue;
		if (*in < '0' || *in > '9' || n == max) {
			out[0] = '\0';
			return (max + 1);
		}
		out[n++] = *in;
	}
	out[n] = '\0';

	return (n);
}

/*
 * A Thai national id: 13 digits, the last a check digit over the first
 * twelve (weights 13..2, mod 11). Writes the bare digits to out and
 * returns PII_OK, PII_FORMAT or PII_CHECKSUM.
 */
int
pii_national_id(const char *in, char out[PII_NID_LEN + 1])
{
	int		i, sum;

	if (pii_digits(in, out, PII_NID_LEN) != PII_NID_LEN) {
		sodium_memzero(out, PII_NID_LEN + 1);
		return (PII_FORMAT);
	}

	for (sum = 0, i = 0; i < PII_NID_LEN - 1; i++)
		sum += (out[i] - '0') * (PII_NID_LEN - i);
	if ((11 - sum % 11) % 10 != out[PII_NID_LEN - 1] - '0') {
		sodium_memzero(out, PII_NID_LEN + 1);
		return (PII_CHECKSUM);
	}

	return (PII_OK);
}

/*
 * A Thai phone number: 9 digits (fixed line) or 10 (mobile), starting
 * with 0. Writes the bare digits to out; PII_OK or PII_FORMAT.
 */
int
pii_phone(const char *in, char out[PII_PHONE_MAX + 1])
{
	size_t		n;

	n = pii_digits(in, out, PII_PHONE_MAX);
	if (n < PII_PHONE_MAX - 1 || n > PII_PHONE_MAX || out[0] != '0') {
		sodium_memzero(out, PII_PHONE_MAX + 1);
		return (PII_FORMAT);
	}

	return (PII_OK);
}

/* HMAC-SHA-256 of the bare digits under the hash key, as 64 hex digits. */
void
pii_hmac_hex(const struct pii_keys *keys, const char *digits,
    char out[PII_HMAC_LEN * 2 + 1])
{
	u_int8_t	mac[PII_HMAC_LEN];

	crypto_auth_hmacsha256(mac, (const u_int8_t *)digits, strlen(digits),
	    keys->hmac);
	sodium_bin2hex(out, PII_HMAC_LEN * 2 + 1, mac, sizeof(mac));
}

/*
 * Encrypts plain with a random nonce; ad names what it is ("nid",
 * "phone") so that one sealed value cannot pass for the other. Writes
 * hex(nonce || ciphertext) to out, which holds PII_SEAL_HEX_LEN(strlen)
 * bytes. Returns PII_ERROR when out is too small.
 */
int
pii_encrypt_hex(const struct pii_keys *keys, const char *plain,
    const char *ad, char *out, size_t outlen)
{
	u_int8_t	sealed[PII_SEAL_OVERHEAD + PII_PLAIN_MAX];
	unsigned long long clen;
	size_t		len;

	len = strlen(plain);
	if (len > PII_PLAIN_MAX || outlen < PII_SEAL_HEX_LEN(len))
		return (PII_ERROR);

	randombytes_buf(sealed, PII_NONCE_LEN);
	crypto_aead_xchacha20poly1305_ietf_encrypt(sealed + PII_NONCE_LEN,
	    &clen, (const u_int8_t *)plain, len, (const u_int8_t *)ad,
	    strlen(ad), NULL, sealed, keys->enc);
	sodium_bin2hex(out, outlen, sealed, PII_NONCE_LEN + (size_t)clen);

	return (PII_DONE);
}

/*
 * Opens what pii_encrypt_hex() sealed with the same ad. Writes the clear
 * text to out (outlen bytes with its NUL). Returns PII_ERROR for
 * anything that is not hex, is cut, was forged or was sealed under
 * another key or ad; out is then "".
 */
int
pii_decrypt_hex(const struct pii_keys *keys, const char *hex,
    const char *ad, char *out, size_t outlen)
{
	u_int8_t	sealed[PII_SEAL_OVERHEAD + PII_PLAIN_MAX];
	unsigned long long plen;
	size_t		len;
	int		ret;

	ret = PII_ERROR;
	if (outlen == 0)
		return (ret);
	out[0] = '\0';

	if (strlen(hex) > sizeof(sealed) * 2 ||
	    sodium_hex2bin(sealed, sizeof(sealed), hex, strlen(hex), NULL,
	    &len, NULL) != 0 || len != strlen(hex) / 2 ||
	    len < PII_SEAL_OVERHEAD || len - PII_SEAL_OVERHEAD >= outlen)
		goto out;

	if (crypto_aead_xchacha20poly1305_ietf_decrypt((u_int8_t *)out, &plen,
	    NULL, sealed + PII_NONCE_LEN, len - PII_NONCE_LEN,
	    (const u_int8_t *)ad, strlen(ad), sealed, keys->enc) != 0)
		goto out;
	out[plen] = '\0';
	ret = PII_DONE;

out:
	if (ret != PII_DONE)
		sodium_memzero(out, outlen);
	return (ret);
}

/*
 * The stored form of a person's national id and (optional, may be NULL)
 * phone, both already normalised. Returns PII_ERROR only if the
 * inputs are longer than normalised numbers can be.
 */
int
pii_seal(const struct pii_keys *keys, const char *nid, const char *phone,
    struct pii_sealed *s)
{
	size_t		len;

	memset(s, 0, sizeof(*s));
	if ((len = strlen(nid)) != PII_NID_LEN)
		return (PII_ERROR);

	pii_hmac_hex(keys, nid, s->nid_hmac);
	if (!pii_encrypt_hex(keys, nid, PII_AD_NID, s->nid_enc,
	    sizeof(s->nid_enc)))
		return (PII_ERROR);
	memcpy(s->nid_last3, nid + len - 3, 3);

	if (phone != NULL && *phone != '\0') {
		if ((len = strlen(phone)) > PII_PHONE_MAX || len < 4)
			return (PII_ERROR);
		if (!pii_encrypt_hex(keys, phone, PII_AD_PHONE, s->phone_enc,
		    sizeof(s->phone_enc)))
			return (PII_ERROR);
		memcpy(s->phone_last4, phone + len - 4, 4);
	}

	return (PII_DONE);
}

/*
 * ?reveal=: the fields a caller asks to see in clear, "national_id",
 * "phone" or both, separated by a comma, each once. Sets bits to
 * PII_REVEAL_* and returns NULL, or returns why not ("enum" for a name
 * it does not know or an empty one, "duplicate") with bits 0.
 */
const char *
pii_reveal_fields(const char *s, int *bits)
{
	const char	*end;
	size_t		len;
	int		bit;

	*bits = 0;
	for (;;) {
		end = strchr(s, ',');
		len = end != NULL ? (size_t)(end - s) : strlen(s);
		if (len == 11 && !strncmp(s, "national_id", len))
			bit = PII_REVEAL_NID;
		else if (len == 5 && !strncmp(s, "phone", len))
			bit = PII_REVEAL_PHONE;
		else
			break;
		if (*bits & bit) {
			*bits = 0;
			return ("duplicate");
		}
		*bits |= bit;
		if (end == NULL)
			return (NULL);
		s = end + 1;
	}

	*bits = 0;
	return ("enum");
}

/*
 * ?purpose= of a reveal (valid UTF-8, as the query parser left it): why
 * the clear values are needed, PII_PURPOSE_MIN to PII_PURPOSE_MAX
 * characters, no control characters, and no national id or phone number
 * in it: it goes into the audit, which holds no personal data. A run of
 * PII_PURPOSE_DIGITS digits or more (Thai digits too, spaces and dashes
 * between them) looks like one. Returns NULL, or why not ("format",
 * "length", "personal_data").
 */
const char *
pii_purpose_check(const char *s)
{
	const unsigned char	*p;
	size_t			chars, run;
	int			number;

	chars = 0;
	run = 0;
	number = 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p & 0xc0) != 0x80)
			chars++;
		/* C0 controls, DEL, and C1 controls (U+0080..U+009F). */
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 &&
		    p[1] >= 0x80 && p[1] <= 0x9f))
			return ("format");
		if (*p >= '0' && *p <= '9') {
			run++;
		} else if (p[0] == 0xe0 && p[1] == 0xb9 && p[2] >= 0x90 &&
		    p[2] <= 0x99) {
			/* Thai digits, U+0E50..U+0E59. */
			run++;
			p += 2;
		} else if (*p != ' ' && *p != '-') {
			run = 0;
		}
		if (run >= PII_PURPOSE_DIGITS)
			number = 1;
	}

	if (chars < PII_PURPOSE_MIN || chars > PII_PURPOSE_MAX)
		return ("length");
	if (number)
		return ("personal_data");

	return (NULL);
}
