/*
 * Small helpers: hex and base64url, random tokens, request ids, the
 * client's address, If-Match parsing and whole numbers from the
 * environment.
 */

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ngan.h"

/* out must hold 2 * len + 1 bytes. */
void
hex_encode(const u_int8_t *in, size_t len, char *out)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < len; i++) {
		out[i * 2] = digits[in[i] >> 4];
		out[i * 2 + 1] = digits[in[i] & 0x0f];
	}
	out[len * 2] = '\0';
}

/* Decodes exactly len bytes from 2 * len hex digits. */
int
hex_decode(const char *in, u_int8_t *out, size_t len)
{
	size_t		bin_len;

	if (strlen(in) != len * 2)
		return (KORE_RESULT_ERROR);
	if (sodium_hex2bin(out, len, in, len * 2, NULL, &bin_len, NULL) != 0 ||
	    bin_len != len)
		return (KORE_RESULT_ERROR);

	return (KORE_RESULT_OK);
}

/* Unpadded base64url; out must hold sodium_base64_ENCODED_LEN bytes. */
void
base64url_encode(const u_int8_t *in, size_t len, char *out, size_t olen)
{
	sodium_bin2base64(out, olen, in, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
base64url_decode(const char *in, size_t len, u_int8_t *out, size_t olen,
    size_t *written)
{
	if (sodium_base642bin(out, olen, in, len, NULL, written, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return (KORE_RESULT_ERROR);

	return (KORE_RESULT_OK);
}

/* 32 random bytes as 43 base64url characters; out holds at least 44. */
void
random_token(char *out, size_t len)
{
	u_int8_t	raw[32];

	randombytes_buf(raw, sizeof(raw));
	base64url_encode(raw, sizeof(raw), out, len);
	sodium_memzero(raw, sizeof(raw));
}

/* Echoes a sane client X-Request-Id, or makes one (32 hex digits). */
void
request_id_make(struct http_request *req, char *out, size_t len)
{
	const char	*given;
	u_int8_t	raw[16];
	size_t		i, n;

	if (http_request_header(req, "x-request-id", &given)) {
		n = strlen(given);
		if (n > 0 && n < len && n <= NGAN_REQUEST_ID_LEN) {
			for (i = 0; i < n; i++) {
				if (!((given[i] >= 'a' && given[i] <= 'z') ||
				    (given[i] >= 'A' && given[i] <= 'Z') ||
				    (given[i] >= '0' && given[i] <= '9') ||
				    given[i] == '-' || given[i] == '_' ||
				    given[i] == '.' || given[i] == ':'))
					break;
			}
			if (i == n) {
				memcpy(out, given, n + 1);
				return;
			}
		}
	}

	randombytes_buf(raw, sizeof(raw));
	hex_encode(raw, sizeof(raw), out);
}

/* The peer's address as text, for throttling; never logged. */
const char *
client_address(struct http_request *req, char *out, size_t len)
{
	struct connection	*c;

	c = req->owner;
	out[0] = '\0';
	if (c->family == AF_INET) {
		(void)inet_ntop(AF_INET, &c->addr.ipv4.sin_addr, out,
		    (socklen_t)len);
	} else if (c->family == AF_INET6) {
		(void)inet_ntop(AF_INET6, &c->addr.ipv6.sin6_addr, out,
		    (socklen_t)len);
	}

	return (out);
}

/*
 * If-Match: "<n>". Returns KORE_RESULT_OK with *version set, or answers
 * 428 (missing) or 412 (not one of our tags) itself.
 */
int
if_match_version(struct http_request *req, int *version)
{
	const char	*h;
	char		*end;
	long		v;

	if (!http_request_header(req, "if-match", &h)) {
		problem(req, 428, NULL, "Send If-Match with the ETag you "
		    "read, so that changes made since are not lost.");
		return (KORE_RESULT_ERROR);
	}
	if (h[0] == 'W' && h[1] == '/')
		h += 2;
	if (h[0] != '"')
		goto stale;
	errno = 0;
	v = strtol(h + 1, &end, 10);
	if (errno != 0 || end == h + 1 || *end != '"' || end[1] != '\0' ||
	    v < 1 || v > INT_MAX)
		goto stale;

	*version = (int)v;
	return (KORE_RESULT_OK);

stale:
	problem(req, 412, NULL, "If-Match does not name the current version.");
	return (KORE_RESULT_ERROR);
}

u_int64_t
now_us(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((u_int64_t)ts.tv_sec * 1000000 + (u_int64_t)ts.tv_nsec / 1000);
}

/*
 * The environment variable name as a whole number from min to max into
 * *out; unset or empty leaves *out as it is. Anything else is an error.
 */
int
env_int(const char *name, int min, int max, int *out)
{
	const char	*v;
	char		*end;
	long		n;

	if ((v = getenv(name)) == NULL || *v == '\0')
		return (KORE_RESULT_OK);
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
		return (KORE_RESULT_ERROR);
	*out = (int)n;

	return (KORE_RESULT_OK);
}
