/*
 * The compact ticket: the same signed ticket as the JWT (registration,
 * event, version, signed with a JWKS key) in 109 bytes, base45 behind
 * "NG1:", so its QR code is alphanumeric and at most version 7 at level
 * M (tickets.c signs and verifies). Layout, byte by byte (openapi.yaml,
 * CompactTicket):
 *
 *    0   1  format, 0x01 (outside base64url: never a JWT's signed text)
 *    1  16  registration id, the UUID's 16 bytes in text order
 *   17  16  event id
 *   33   4  ticket version, unsigned big-endian
 *   37   8  key id: the JWKS kid's 16 hex digits as bytes
 *   45  64  ES256 signature (r || s, low s) over bytes 0 to 44
 *
 * Pure: unit tests and a fuzzer call it.
 */

#include <stdio.h>
#include <string.h>

#include "ngan.h"

#define OFF_REG		1
#define OFF_EVT		17
#define OFF_VER		33
#define OFF_KID		37
#define VERSION_MAX	999999

static int	compact_hex(const char *, size_t, u_int8_t *);
static int	compact_uuid(const char *, u_int8_t *);
static void	compact_uuid_text(const u_int8_t *, char *);

/* len bytes from 2 * len hex digits. */
static int
compact_hex(const char *s, size_t len, u_int8_t *out)
{
	size_t		i;
	int		hi, lo;

	for (i = 0; i < len; i++) {
		if ((hi = hex_digit(s[i * 2])) < 0 ||
		    (lo = hex_digit(s[i * 2 + 1])) < 0)
			return (0);
		out[i] = (u_int8_t)(hi << 4 | lo);
	}

	return (1);
}

/* 8-4-4-4-12 hex digits to 16 bytes. */
static int
compact_uuid(const char *s, u_int8_t *out)
{
	char		digits[32];
	size_t		i, n;

	if (s == NULL || strlen(s) != NGAN_UUID_LEN)
		return (0);
	for (i = 0, n = 0; i < NGAN_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (0);
		} else {
			digits[n++] = s[i];
		}
	}

	return (compact_hex(digits, 16, out));
}

/* 16 bytes to the lower-case text form. */
static void
compact_uuid_text(const u_int8_t *b, char *out)
{
	(void)snprintf(out, NGAN_UUID_LEN + 1,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/*
 * Fills t->signed_part from t->reg, t->evt, t->version and t->kid: the
 * bytes the signature covers. 0 when one of them does not fit.
 */
int
ticket_compact_signed(struct ticket_compact *t)
{
	u_int8_t	*p;

	p = t->signed_part;
	if (t->version < 1 || t->version > VERSION_MAX ||
	    strlen(t->kid) != TICKET_KID_LEN ||
	    !compact_uuid(t->reg, p + OFF_REG) ||
	    !compact_uuid(t->evt, p + OFF_EVT) ||
	    !compact_hex(t->kid, TICKET_KID_LEN / 2, p + OFF_KID))
		return (0);

	p[0] = TICKET_COMPACT_FORMAT;
	p[OFF_VER] = (u_int8_t)((u_int32_t)t->version >> 24);
	p[OFF_VER + 1] = (u_int8_t)((u_int32_t)t->version >> 16);
	p[OFF_VER + 2] = (u_int8_t)((u_int32_t)t->version >> 8);
	p[OFF_VER + 3] = (u_int8_t)t->version;

	return (1);
}

/* "NG1:" and base45(signed part || signature); out TICKET_COMPACT_LEN + 1. */
int
ticket_compact_encode(const struct ticket_compact *t, char *out,
    size_t outlen)
{
	u_int8_t	raw[TICKET_COMPACT_BYTES];
	size_t		plen;

	plen = sizeof(TICKET_COMPACT_PREFIX) - 1;
	if (outlen < TICKET_COMPACT_LEN + 1)
		return (0);

	memcpy(raw, t->signed_part, TICKET_COMPACT_SIGNED);
	memcpy(raw + TICKET_COMPACT_SIGNED, t->sig, sizeof(t->sig));
	memcpy(out, TICKET_COMPACT_PREFIX, plen);

	return (base45_encode(raw, sizeof(raw), out + plen, outlen - plen));
}

/*
 * Reads a compact ticket into t, without checking its signature: the
 * prefix, exactly 109 bytes of base45, format 0x01 and a version from 1.
 */
int
ticket_compact_decode(const char *s, struct ticket_compact *t)
{
	u_int8_t	raw[TICKET_COMPACT_BYTES];
	size_t		plen, n, i;
	u_int32_t	version;

	plen = sizeof(TICKET_COMPACT_PREFIX) - 1;
	if (strncmp(s, TICKET_COMPACT_PREFIX, plen) != 0 ||
	    strlen(s) != TICKET_COMPACT_LEN ||
	    !base45_decode(s + plen, TICKET_COMPACT_LEN - plen, raw,
	    sizeof(raw), &n) || n != sizeof(raw) ||
	    raw[0] != TICKET_COMPACT_FORMAT)
		return (0);

	version = (u_int32_t)raw[OFF_VER] << 24 |
	    (u_int32_t)raw[OFF_VER + 1] << 16 |
	    (u_int32_t)raw[OFF_VER + 2] << 8 | raw[OFF_VER + 3];
	if (version < 1 || version > VERSION_MAX)
		return (0);

	t->version = (int)version;
	compact_uuid_text(raw + OFF_REG, t->reg);
	compact_uuid_text(raw + OFF_EVT, t->evt);
	for (i = 0; i < TICKET_KID_LEN / 2; i++)
		(void)snprintf(t->kid + i * 2, 3, "%02x", raw[OFF_KID + i]);
	memcpy(t->signed_part, raw, TICKET_COMPACT_SIGNED);
	memcpy(t->sig, raw + TICKET_COMPACT_SIGNED, sizeof(t->sig));

	return (1);
}
