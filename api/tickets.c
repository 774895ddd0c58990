/*
 * Tickets: a signed token per confirmed registration (ES256, the JWKS key,
 * so a scanner app verifies it offline), shown as JSON or as a QR code
 * (libqrencode; SVG, or PNG through zlib). The participant fetches their
 * own with a link token; staff of the event need no link. A link names the
 * ticket version it was given for: a reissue or a cancellation revokes it,
 * and it ends NGAN_TICKET_LINK_DAYS after the event (api.ticket_for).
 */

#include <arpa/inet.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <qrencode.h>
#include <sodium.h>
#include <zlib.h>

#include "ngan.h"
#include "pdf.h"

#define TICKET_AUDIENCE		"ngan-ticket"
#define LINK_AUDIENCE		"ngan-ticket-link"
#define QR_QUIET		4	/* modules of white around the code */

#define FORMAT_JSON		0
#define FORMAT_SVG		1
#define FORMAT_PNG		2
#define FORMAT_PDF		3	/* printed: ticket_print.c */

static int	ticket_answer(struct http_request *, struct ngan_req *, int);
static int	link_check(struct http_request *, struct ngan_req *, int *,
		    int *);
static void	link_days_text(char *, size_t);
static int	short_link_answer(struct http_request *, struct ngan_req *);
static int	es256_verify(EVP_PKEY *, const u_int8_t *, const u_int8_t *,
		    size_t);
static int	ticket_compact_verify(const char *, char *, char *, int *);
static int	qr_size(struct http_request *, int, int *);
static int	qr_compact(struct http_request *, int *);
static void	qr_svg(struct http_request *, QRcode *, int);
static void	qr_png(struct http_request *, QRcode *, int);
static void	png_chunk(struct kore_buf *, const char *, const u_int8_t *,
		    size_t);

/* Caller must free. */
char *
ticket_token(const char *registration_id, const char *event_id,
    int version)
{
	json_t		*claims;
	char		*token;

	/* No iat or exp: short tokens make small QR codes; revocation is by
	 * version. */
	claims = json_pack("{s:s, s:s, s:s, s:i}", "aud", TICKET_AUDIENCE,
	    "sub", registration_id, "evt", event_id, "ver", version);
	token = jwt_sign(claims);
	json_decref(claims);

	return (token);
}

/* Decodes a base64url segment holding a JSON object. */
static json_t *
b64_json(const char *s, size_t len)
{
	u_int8_t	raw[1024];
	size_t		n;

	if (len == 0 || len > 1300 ||
	    !base64url_decode(s, len, raw, sizeof(raw), &n))
		return (NULL);

	return (json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL));
}

/* Does raw (r || s, low s) sign msg with pkey (ES256)? */
static int
es256_verify(EVP_PKEY *pkey, const u_int8_t *raw, const u_int8_t *msg,
    size_t len)
{
	EVP_MD_CTX	*ctx;
	ECDSA_SIG	*sig;
	BIGNUM		*r, *s;
	u_int8_t	*der;
	int		der_len, ok;

	if (!es256_low_s(raw + 32))
		return (0);
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(raw, 32, NULL);
	s = BN_bin2bn(raw + 32, 32, NULL);
	if (sig == NULL || r == NULL || s == NULL ||
	    !ECDSA_SIG_set0(sig, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return (0);
	}
	der = NULL;
	der_len = i2d_ECDSA_SIG(sig, &der);
	ECDSA_SIG_free(sig);
	if (der_len <= 0)
		return (0);

	ok = 0;
	if ((ctx = EVP_MD_CTX_new()) != NULL) {
		ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
		    pkey) == 1 &&
		    EVP_DigestVerify(ctx, der, (size_t)der_len, msg, len) == 1;
		EVP_MD_CTX_free(ctx);
	}
	OPENSSL_free(der);

	return (ok);
}

/*
 * The compact form of the ticket ticket_token() signs (ticket_compact.c),
 * signed with the current key; caller must free.
 */
char *
ticket_compact(const char *registration_id, const char *event_id,
    int version)
{
	struct ticket_compact	t;
	EVP_MD_CTX		*ctx;
	ECDSA_SIG		*sig;
	const BIGNUM		*r, *s;
	const u_int8_t		*p;
	EVP_PKEY		*pkey;
	u_int8_t		der[128];
	size_t			der_len;
	char			*out;
	int			ok;

	memset(&t, 0, sizeof(t));
	if (registration_id == NULL || event_id == NULL)
		return (NULL);
	kore_strlcpy(t.reg, registration_id, sizeof(t.reg));
	kore_strlcpy(t.evt, event_id, sizeof(t.evt));
	kore_strlcpy(t.kid, auth_kid(), sizeof(t.kid));
	t.version = version;
	if ((pkey = auth_key(t.kid)) == NULL || !ticket_compact_signed(&t))
		return (NULL);

	ok = 0;
	der_len = sizeof(der);
	if ((ctx = EVP_MD_CTX_new()) != NULL) {
		ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
		    pkey) == 1 && EVP_DigestSign(ctx, der, &der_len,
		    t.signed_part, sizeof(t.signed_part)) == 1;
		EVP_MD_CTX_free(ctx);
	}
	p = der;
	if (!ok || (sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len)) == NULL)
		return (NULL);
	ECDSA_SIG_get0(sig, &r, &s);
	ok = BN_bn2binpad(r, t.sig, 32) == 32 &&
	    BN_bn2binpad(s, t.sig + 32, 32) == 32;
	ECDSA_SIG_free(sig);
	if (!ok)
		return (NULL);
	es256_low_s_make(t.sig + 32);

	if ((out = malloc(TICKET_COMPACT_LEN + 1)) == NULL)
		return (NULL);
	if (!ticket_compact_encode(&t, out, TICKET_COMPACT_LEN + 1)) {
		free(out);
		return (NULL);
	}

	return (out);
}

/* A compact ticket (TICKET_COMPACT_PREFIX) as ticket_verify() reads one. */
static int
ticket_compact_verify(const char *token, char *registration_id,
    char *event_id, int *version)
{
	struct ticket_compact	t;
	EVP_PKEY		*pkey;

	if (!ticket_compact_decode(token, &t) ||
	    (pkey = auth_key(t.kid)) == NULL ||
	    !es256_verify(pkey, t.sig, t.signed_part, sizeof(t.signed_part)))
		return (KORE_RESULT_ERROR);

	kore_strlcpy(registration_id, t.reg, NGAN_UUID_LEN + 1);
	kore_strlcpy(event_id, t.evt, NGAN_UUID_LEN + 1);
	*version = t.version;

	return (KORE_RESULT_OK);
}

/*
 * Verifies a ticket's signature and reads what it names: check-in calls
 * it for every scan, so with the keys auth.c parsed once (libjwt parses
 * the PEM on every call). ES256 with one of our key ids, the signature
 * (r || s) over header.payload, iss "ngan", aud "ngan-ticket", and sub,
 * evt and ver. The compact form (ticket_compact.c) says the same.
 */
int
ticket_verify(const char *token, char *registration_id, char *event_id,
    int *version)
{
	EVP_PKEY	*pkey;
	json_t		*hdr, *claims, *ver;
	const char	*dot1, *dot2, *alg, *v;
	u_int8_t	raw[64];
	size_t		n;
	int		ok;

	if (!strncmp(token, TICKET_COMPACT_PREFIX,
	    sizeof(TICKET_COMPACT_PREFIX) - 1))
		return (ticket_compact_verify(token, registration_id, event_id,
		    version));

	if (strlen(token) > 4096 || (dot1 = strchr(token, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL || strchr(dot2 + 1, '.'))
		return (KORE_RESULT_ERROR);

	/* Header: ES256 and a key of ours. */
	if ((hdr = b64_json(token, (size_t)(dot1 - token))) == NULL)
		return (KORE_RESULT_ERROR);
	alg = json_string_value(json_object_get(hdr, "alg"));
	pkey = alg != NULL && !strcmp(alg, "ES256") ?
	    auth_key(json_string_value(json_object_get(hdr, "kid"))) : NULL;
	json_decref(hdr);
	if (pkey == NULL)
		return (KORE_RESULT_ERROR);

	/* Signature: r || s, 32 bytes each, s low (auth.c). */
	if (!base64url_decode(dot2 + 1, strlen(dot2 + 1), raw, sizeof(raw),
	    &n) || n != sizeof(raw) ||
	    !es256_verify(pkey, raw, (const u_int8_t *)token,
	    (size_t)(dot2 - token)))
		return (KORE_RESULT_ERROR);

	/* Claims. */
	if ((claims = b64_json(dot1 + 1, (size_t)(dot2 - dot1 - 1))) == NULL)
		return (KORE_RESULT_ERROR);
	ok = (v = json_string_value(json_object_get(claims, "iss"))) != NULL &&
	    !strcmp(v, "ngan") &&
	    (v = json_string_value(json_object_get(claims, "aud"))) != NULL &&
	    !strcmp(v, TICKET_AUDIENCE);
	ver = json_object_get(claims, "ver");
	if (ok && (v = json_string_value(json_object_get(claims, "sub"))) !=
	    NULL && uuid_valid(v) && json_is_integer(ver) &&
	    json_integer_value(ver) >= 1 && json_integer_value(ver) < 1000000) {
		kore_strlcpy(registration_id, v, NGAN_UUID_LEN + 1);
		v = json_string_value(json_object_get(claims, "evt"));
		if (v != NULL && uuid_valid(v)) {
			kore_strlcpy(event_id, v, NGAN_UUID_LEN + 1);
			*version = (int)json_integer_value(ver);
		} else {
			ok = 0;
		}
	} else {
		ok = 0;
	}
	json_decref(claims);

	return (ok ? KORE_RESULT_OK : KORE_RESULT_ERROR);
}

/* NGAN_TICKET_LINK_DAYS: days after the event that a link still works. */
static void
link_days_text(char *buf, size_t len)
{
	(void)snprintf(buf, len, "%d", config_int(CONFIG_TICKET_LINK_DAYS));
}

/*
 * The participant's own link to their ticket, for one ticket version;
 * caller must free. No exp: the database says when it ends, from the
 * event as it is when the link is used.
 */
char *
ticket_link_token(const char *registration_id, int version)
{
	json_t		*claims;
	char		*token;

	claims = json_pack("{s:s, s:s, s:i, s:I}", "aud", LINK_AUDIENCE,
	    "sub", registration_id, "ver", version,
	    "iat", (json_int_t)time(NULL));
	if (claims == NULL)
		return (NULL);
	token = jwt_sign(claims);
	json_decref(claims);

	return (token);
}

/*
 * ?link= must be ours and name this registration (else 403); *version
 * is the ticket version it carries (0 for a link from before versions),
 * which the database checks. Without it the caller must be staff.
 * Answers 401/403 itself.
 */
static int
link_check(struct http_request *req, struct ngan_req *r, int *via_link,
    int *version)
{
	const char	*sub;
	char		*link;
	jwt_t		*jwt;
	long		ver;
	int		ok;

	*via_link = 0;
	*version = 0;
	if (!query_string(req, "link", &link))
		return (auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER));

	ok = 0;
	if (jwt_verify(link, LINK_AUDIENCE, &jwt)) {
		sub = jwt_get_grant(jwt, "sub");
		ok = sub != NULL && !strcmp(sub, r->params[0]);
		errno = 0;
		ver = jwt_get_grant_int(jwt, "ver");
		if (errno == 0 && ver >= 1 && ver < 1000000)
			*version = (int)ver;
		jwt_free(jwt);
	}
	if (!ok) {
		problem(req, 403, NULL, "tickets.link_ticket");
		return (KORE_RESULT_ERROR);
	}

	*via_link = 1;
	return (KORE_RESULT_OK);
}

static int
ticket_handler(struct http_request *req, struct ngan_req *r, int format)
{
	char		ver[16], days[16];
	int		via_link, version, size, compact;

	if (r->state != STATE_QUERY)
		return (ticket_answer(req, r, format));

	if ((format == FORMAT_SVG || format == FORMAT_PNG) &&
	    (!qr_size(req, format, &size) || !qr_compact(req, &compact)))
		return (KORE_RESULT_OK);
	if (!link_check(req, r, &via_link, &version))
		return (KORE_RESULT_OK);
	r->status = via_link;

	(void)snprintf(ver, sizeof(ver), "%d", version);
	link_days_text(days, sizeof(days));
	http_response_header(req, "cache-control", "no-store");
	return (db_query(req, r, format == FORMAT_PDF ?
	    "SELECT status, body, etag, location FROM "
	    "api.ticket_print($1, $2, $3, $4)" :
	    "SELECT status, body, etag, location FROM "
	    "api.ticket_for($1, $2, $3, $4)", 4, r->actor.json, r->params[0],
	    via_link ? ver : NULL, days));
}

int
tickets_get(struct http_request *req, struct ngan_req *r)
{
	return (ticket_handler(req, r, FORMAT_JSON));
}

int
tickets_qr_svg(struct http_request *req, struct ngan_req *r)
{
	return (ticket_handler(req, r, FORMAT_SVG));
}

int
tickets_qr_png(struct http_request *req, struct ngan_req *r)
{
	return (ticket_handler(req, r, FORMAT_PNG));
}

int
tickets_pdf(struct http_request *req, struct ngan_req *r)
{
	return (ticket_handler(req, r, FORMAT_PDF));
}

/*
 * GET /v1/t?c=CODE: the short link a text message carries to a ticket
 * (tools/ngan-outbox.c makes it; the database keeps its SHA-256). It
 * sends the person on to their printable ticket with a link token for
 * the ticket version it names; the ticket route refuses a revoked or
 * expired one (410) as for any link.
 */
int
tickets_short_link(struct http_request *req, struct ngan_req *r)
{
	u_int8_t	hash[crypto_hash_sha256_BYTES];
	char		hex[crypto_hash_sha256_BYTES * 2 + 1], *code;
	size_t		i;

	if (r->state != STATE_QUERY)
		return (short_link_answer(req, r));

	http_response_header(req, "cache-control", "no-store");
	if (!query_string(req, "c", &code) || strlen(code) != 12) {
		query_error(req, "c", "format", "tickets.short_link_code");
		return (KORE_RESULT_OK);
	}
	for (i = 0; code[i] != '\0'; i++) {
		if (!((code[i] >= 'a' && code[i] <= 'z') ||
		    (code[i] >= '2' && code[i] <= '7'))) {
			query_error(req, "c", "format",
			    "tickets.short_link_code");
			return (KORE_RESULT_OK);
		}
	}
	crypto_hash_sha256(hash, (const u_int8_t *)code, strlen(code));
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.ticket_link_open($1)", 1, hex));
}

/*
 * The link token and the ticket's PDF address; a browser (Accept names
 * text/html: a tap on the link in a text message) is sent on to the PDF
 * with 303.
 */
static int
short_link_answer(struct http_request *req, struct ngan_req *r)
{
	json_t		*body, *answer;
	const char	*reg, *accept;
	char		*link, location[1024];
	int		ver;

	if (db_rows(r) != 1 || strcmp(db_value(r, 0, 0), "200"))
		return (db_respond(req, r));
	if ((body = json_loads(db_value(r, 0, 1), 0, NULL)) == NULL) {
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}
	reg = json_string_value(json_object_get(body, "registration_id"));
	ver = (int)json_integer_value(json_object_get(body,
	    "ticket_version"));
	link = reg != NULL ? ticket_link_token(reg, ver) : NULL;
	if (link == NULL || (size_t)snprintf(location, sizeof(location),
	    "/v1/registrations/%s/ticket.pdf?link=%s", reg, link) >=
	    sizeof(location)) {
		free(link);
		json_decref(body);
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}
	answer = json_pack("{s:s, s:s, s:s}", "registration_id", reg,
	    "link_token", link, "ticket_pdf", location);
	if (http_request_header(req, "accept", &accept) &&
	    strstr(accept, "text/html") != NULL) {
		http_response_header(req, "location", location);
		respond_json(req, 303, answer);
	} else
		respond_json(req, 200, answer);
	json_decref(answer);
	json_decref(body);
	free(link);

	return (KORE_RESULT_OK);
}

int
tickets_reissue(struct http_request *req, struct ngan_req *r)
{
	char		days[16];

	if (r->state != STATE_QUERY)
		return (ticket_answer(req, r, FORMAT_JSON));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);
	r->status = 0;
	link_days_text(days, sizeof(days));
	http_response_header(req, "cache-control", "no-store");
	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.ticket_reissue($1, $2, $3)", 3, r->actor.json, r->params[0],
	    days));
}

/* Signs the ticket the database described and sends it as asked. */
static int
ticket_answer(struct http_request *req, struct ngan_req *r, int format)
{
	json_t		*info, *answer;
	char		*token, *link, *compact;
	QRcode		*qr;
	int		size, version, want_compact;

	if (db_rows(r) != 1 || strcmp(db_value(r, 0, 0), "200") != 0)
		return (db_respond(req, r));

	info = json_loads(db_value(r, 0, 1), 0, NULL);
	token = compact = NULL;
	version = (int)json_integer_value(json_object_get(info, "version"));
	if (info != NULL) {
		token = ticket_token(json_string_value(json_object_get(info,
		    "registration_id")), json_string_value(json_object_get(info,
		    "event_id")), version);
		compact = ticket_compact(json_string_value(json_object_get(info,
		    "registration_id")), json_string_value(json_object_get(info,
		    "event_id")), version);
	}
	if (token == NULL || compact == NULL) {
		free(token);
		free(compact);
		json_decref(info);
		problem(req, 500, NULL, "tickets.could_sign_ticket");
		return (KORE_RESULT_OK);
	}

	switch (format) {
	case FORMAT_JSON:
		answer = json_pack("{s:s, s:s, s:O, s:O, s:O, s:O}", "token",
		    token, "compact", compact, "registration_id",
		    json_object_get(info, "registration_id"), "event_id",
		    json_object_get(info, "event_id"), "version",
		    json_object_get(info, "version"), "link_expires_at",
		    json_object_get(info, "link_expires_at"));
		/* Staff hand the participant a link to their own ticket. */
		if (!r->status &&
		    (link = ticket_link_token(r->params[0], version)) != NULL) {
			json_object_set_new(answer, "link_token",
			    json_string(link));
			free(link);
		}
		respond_json(req, 200, answer);
		json_decref(answer);
		break;
	case FORMAT_PDF:
		ticket_print_answer(req, info, compact);
		break;
	default:
		(void)qr_size(req, format, &size);
		(void)qr_compact(req, &want_compact);
		qr = qr_encode(want_compact ? compact : token);
		if (qr == NULL) {
			problem(req, 500, NULL, "tickets.could_draw_qr_code");
			break;
		}
		if (format == FORMAT_SVG)
			qr_svg(req, qr, size);
		else
			qr_png(req, qr, size);
		QRcode_free(qr);
		break;
	}

	free(token);
	free(compact);
	json_decref(info);
	return (KORE_RESULT_OK);
}

/* ?size=: pixels per module for PNG (1-20, 8), pixels wide for SVG. */
static int
qr_size(struct http_request *req, int format, int *size)
{
	char		*v, *end;
	long		n;
	long		lo, hi;

	lo = format == FORMAT_PNG ? 1 : 64;
	hi = format == FORMAT_PNG ? 20 : 2048;
	*size = format == FORMAT_PNG ? 8 : 320;
	if (!query_string(req, "size", &v))
		return (KORE_RESULT_OK);

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi) {
		query_error(req, "size", "range", format == FORMAT_PNG ?
		    "tickets.size_1_20_pixels" :
		    "tickets.size_64_2048_pixels");
		return (KORE_RESULT_ERROR);
	}

	*size = (int)n;
	return (KORE_RESULT_OK);
}

/* ?format=: jwt (the default) or compact (openapi.yaml). */
static int
qr_compact(struct http_request *req, int *compact)
{
	char		*v;

	*compact = 0;
	if (!query_string(req, "format", &v))
		return (KORE_RESULT_OK);
	if (strcmp(v, "jwt") != 0 && strcmp(v, "compact") != 0) {
		query_error(req, "format", "enum",
		    "tickets.format_jwt_compact");
		return (KORE_RESULT_ERROR);
	}

	*compact = !strcmp(v, "compact");
	return (KORE_RESULT_OK);
}

/* One path of unit squares; crispEdges keeps modules sharp. */
static void
qr_svg(struct http_request *req, QRcode *qr, int size)
{
	struct kore_buf		*buf;
	int			x, y, dim;

	dim = qr->width + 2 * QR_QUIET;
	buf = kore_buf_alloc(16384);
	kore_buf_appendf(buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" shape-rendering="
	    "\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
	    "<path fill=\"#000\" d=\"", size, size, dim, dim, dim, dim);
	for (y = 0; y < qr->width; y++) {
		for (x = 0; x < qr->width; x++) {
			if (qr->data[y * qr->width + x] & 1)
				kore_buf_appendf(buf, "M%d %dh1v1h-1z",
				    x + QR_QUIET, y + QR_QUIET);
		}
	}
	kore_buf_appendf(buf, "\"/></svg>\n");

	respond_text(req, 200, "image/svg+xml", (const char *)buf->data,
	    buf->offset);
	kore_buf_free(buf);
}

/* A 1-bit greyscale PNG: IHDR, one zlib IDAT, IEND. */
static void
qr_png(struct http_request *req, QRcode *qr, int scale)
{
	static const u_int8_t	signature[] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
	};
	struct kore_buf		*png;
	u_int8_t		ihdr[13], *raw, *z, *row;
	u_int32_t		v;
	uLongf			zlen;
	size_t			stride, rawlen;
	int			px, x, y, mx, my, dark;

	px = (qr->width + 2 * QR_QUIET) * scale;
	stride = (size_t)(px + 7) / 8 + 1;
	rawlen = stride * (size_t)px;
	raw = kore_calloc(1, rawlen);

	for (y = 0; y < px; y++) {
		row = raw + (size_t)y * stride;
		row[0] = 0;		/* filter: none */
		for (x = 0; x < px; x++) {
			mx = x / scale - QR_QUIET;
			my = y / scale - QR_QUIET;
			dark = mx >= 0 && my >= 0 && mx < qr->width &&
			    my < qr->width &&
			    (qr->data[my * qr->width + mx] & 1);
			/* Greyscale 1 bit: 1 is white. */
			if (!dark)
				row[1 + x / 8] |= (u_int8_t)(0x80 >> (x % 8));
		}
	}

	zlen = compressBound((uLong)rawlen);
	z = kore_malloc(zlen);
	if (compress2(z, &zlen, raw, (uLong)rawlen, 9) != Z_OK) {
		kore_free(raw);
		kore_free(z);
		problem(req, 500, NULL, "tickets.could_draw_qr_code");
		return;
	}

	v = htonl((u_int32_t)px);
	memcpy(ihdr, &v, 4);
	memcpy(ihdr + 4, &v, 4);
	ihdr[8] = 1;		/* bit depth */
	ihdr[9] = 0;		/* greyscale */
	ihdr[10] = 0;
	ihdr[11] = 0;
	ihdr[12] = 0;

	png = kore_buf_alloc(zlen + 128);
	kore_buf_append(png, signature, sizeof(signature));
	png_chunk(png, "IHDR", ihdr, sizeof(ihdr));
	png_chunk(png, "IDAT", z, zlen);
	png_chunk(png, "IEND", NULL, 0);

	respond_text(req, 200, "image/png", (const char *)png->data,
	    png->offset);
	kore_buf_free(png);
	kore_free(raw);
	kore_free(z);
}

static void
png_chunk(struct kore_buf *png, const char *type, const u_int8_t *data,
    size_t len)
{
	u_int32_t	v;
	uLong		crc;

	v = htonl((u_int32_t)len);
	kore_buf_append(png, &v, 4);
	kore_buf_append(png, type, 4);
	if (len > 0)
		kore_buf_append(png, data, len);
	crc = crc32(0L, (const Bytef *)type, 4);
	if (len > 0)
		crc = crc32(crc, data, (uInt)len);
	v = htonl((u_int32_t)crc);
	kore_buf_append(png, &v, 4);
}
