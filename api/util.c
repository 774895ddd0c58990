/*
 * Small helpers: hex and base64url, random tokens, request ids,
 * If-Match parsing, whole numbers and secrets from the environment.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/*
 * If-Match for a write that names the version it expects. Missing: 428.
 * On a route with a GET, main.c has compared the list with the current
 * representation (strong comparison, RFC 9110 13.1.1): *version is the
 * version it showed, or 0 when nothing matched, and the database answers
 * 412 after its own checks. Elsewhere (sessions) the tag is the version
 * itself: the first strong "<n>" of the list, or -1 for "*" (any); a
 * list with neither answers 412 here. Returns KORE_RESULT_ERROR when it
 * answered.
 */
int
if_match_version(struct http_request *req, struct ngan_req *r, int *version)
{
	const char	*h;

	if (!http_request_header(req, "if-match", &h)) {
		problem(req, 428, NULL, "util.send_ifmatch_etag_you");
		return (KORE_RESULT_ERROR);
	}
	if (r->precond == PRECOND_DONE) {
		*version = r->pre_match ? r->pre_version : 0;
		return (KORE_RESULT_OK);
	}

	if ((*version = etag_list_version(h)) != 0)
		return (KORE_RESULT_OK);

	problem(req, 412, NULL, "util.if_match_stale_version");
	return (KORE_RESULT_ERROR);
}

/*
 * If-Match on a write that names no version (DELETE): when the route's
 * GET showed a representation If-Match does not name, 412. Returns
 * KORE_RESULT_ERROR when it answered.
 */
int
if_match_check(struct http_request *req, struct ngan_req *r)
{
	if (r->precond != PRECOND_DONE || r->pre_match ||
	    r->pre_status < 200 || r->pre_status > 299)
		return (KORE_RESULT_OK);

	problem(req, 412, NULL, "util.if_match_stale");
	return (KORE_RESULT_ERROR);
}

u_int64_t
now_us(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((u_int64_t)ts.tv_sec * 1000000 + (u_int64_t)ts.tv_nsec / 1000);
}


