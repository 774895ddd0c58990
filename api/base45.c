/*
 * Base45 (RFC 9285): bytes as text in the QR code alphanumeric set, as
 * the EU Digital COVID Certificate carries its data. Each two bytes
 * (a * 256 + b, up to 65535) are three digits of base 45, least
 * significant first; a last single byte is two digits. Pure: unit tests
 * and a fuzzer call it.
 */

#include <string.h>

#include "ngan.h"

static const char	base45_alphabet[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/* The value of one base45 character, or -1. */
static int
base45_value(char c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(base45_alphabet, c)) == NULL)
		return (-1);

	return ((int)(p - base45_alphabet));
}

/*
 * Writes len bytes as base45 and a NUL into out (BASE45_LEN(len) + 1
 * bytes); 0 when out is too small.
 */
int
base45_encode(const u_int8_t *in, size_t len, char *out, size_t outlen)
{
	size_t		i, o;
	unsigned int	n;

	if (outlen < BASE45_LEN(len) + 1)
		return (0);

	for (i = 0, o = 0; i + 1 < len; i += 2) {
		n = (unsigned int)in[i] * 256 + in[i + 1];
		out[o++] = base45_alphabet[n % 45];
		out[o++] = base45_alphabet[n / 45 % 45];
		out[o++] = base45_alphabet[n / 2025];
	}
	if (i < len) {
		n = in[i];
		out[o++] = base45_alphabet[n % 45];
		out[o++] = base45_alphabet[n / 45];
	}
	out[o] = '\0';

	return (1);
}

/*
 * Reads len characters of base45 into out (at most outlen bytes), the
 * count in *n. 0 for a character outside the set, a length of 1 mod 3,
 * a group over 65535 (or a last pair over 255), or too little room: the
 * RFC's "MUST fail" cases, so each byte string has one encoding.
 */
int
base45_decode(const char *in, size_t len, u_int8_t *out, size_t outlen,
    size_t *n)
{
	size_t		i, o;
	unsigned int	v;
	int		c, d, e;

	if (len % 3 == 1 || (len / 3) * 2 + (len % 3 == 2) > outlen)
		return (0);

	for (i = 0, o = 0; i < len; i += 3) {
		c = base45_value(in[i]);
		d = base45_value(in[i + 1]);
		if (c < 0 || d < 0)
			return (0);
		if (i + 2 == len) {
			v = (unsigned int)(c + d * 45);
			if (v > 255)
				return (0);
			out[o++] = (u_int8_t)v;
			break;
		}
		if ((e = base45_value(in[i + 2])) < 0)
			return (0);
		v = (unsigned int)(c + d * 45 + e * 2025);
		if (v > 65535)
			return (0);
		out[o++] = (u_int8_t)(v >> 8);
		out[o++] = (u_int8_t)(v & 0xff);
	}
	*n = o;

	return (1);
}
