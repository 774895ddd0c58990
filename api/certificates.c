/*
 * Certificates (เกียรติบัตร): issued by staff of the event to a person
 * who qualified (sql/api/certificates.sql decides, from the attendance
 * rules), downloaded by staff as a PDF (certificate_pdf.c draws it), and
 * verified by anyone from its QR code or short code.
 *
 * The QR code holds a token signed as tickets are (ES256, the JWKS key),
 * with its own audience, "ngan-certificate", naming the certificate by
 * its id: a ticket is no certificate and a certificate no ticket. It is
 * signed once, when the certificate is issued, and kept with it, so the
 * PDF made again later is the same bytes.
 */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "ngan.h"
#include "certificates.h"

#define CERT_AUDIENCE		"ngan-certificate"
#define LINK_AUDIENCE		"ngan-ticket-link"	/* tickets.c */
#define VERIFY_PER_MINUTE	"30"	/* per client address */
#define CODE_LEN		12	/* short code, without its dashes */
#define CERT_IMAGE_BYTES_MAX	(1024 * 1024)

static const char	crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int	pdf_answer(struct http_request *, struct ngan_req *);
static int	verify_answer(struct http_request *, struct ngan_req *);
static void	uuid_make(char *);
static char	*cert_token(const char *);
static int	issue_all(struct http_request *, struct ngan_req *, int);
static int	short_code_parse(const char *, char *);
static int	image_put(struct http_request *, struct ngan_req *,
		    const char *);
static int	image_delete(struct http_request *, struct ngan_req *,
		    const char *);
static u_int8_t	*image_of(json_t *, struct cert_image *);

/* A random (version 4) UUID, 36 characters and a NUL. */
static void
uuid_make(char *out)
{
	u_int8_t	b[16];
	char		hex[33];

	randombytes_buf(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	hex_encode(b, sizeof(b), hex);
	(void)snprintf(out, NGAN_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s",
	    hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

/*
 * POST /v1/registrations/{id}/certificate: the id and token are made
 * here, used by the database only when it makes a certificate.
 */
int
certificates_issue(struct http_request *req, struct ngan_req *r)
{
	char		id[NGAN_UUID_LEN + 1], *token;
	int		ret;

	if (r->state != STATE_QUERY)
		return (db_respond(req, r));

	/* The answer holds the token. */
	http_response_header(req, "cache-control", "no-store");
	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);

	uuid_make(id);
	if ((token = cert_token(id)) == NULL) {
		problem(req, 500, NULL, "certificates.could_sign_certificate");
		return (KORE_RESULT_OK);
	}

	ret = db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.certificate_issue($1, $2, $3, $4)", 4, r->actor.json,
	    r->params[0], id, token);
	free(token);

	return (ret);
}

/* A new certificate's token, naming id; caller must free. */
static char *
cert_token(const char *id)
{
	json_t		*claims;
	char		*token;

	claims = json_pack("{s:s, s:s}", "aud", CERT_AUDIENCE, "sub", id);
	token = claims != NULL ? jwt_sign(claims) : NULL;
	json_decref(claims);

	return (token);
}

/*
 * POST /v1/events/{id}/certificates: everyone who qualifies, in one call.
 * The database names them (ISSUE_CANDIDATES), a token is signed for
 * each here, and it issues them in one transaction (ISSUE_SIGN), as the
 * single route would; the PDFs are drawn when they are downloaded.
 */
#define ISSUE_CANDIDATES	STATE_QUERY
#define ISSUE_SIGN		1
#define ISSUE_ANSWER		2

int
certificates_issue_event(struct http_request *req, struct ngan_req *r)
{
	return (issue_all(req, r, 0));
}

/*
 * POST /v1/events/{id}/certificates/zip: the same, and in the same
 * transaction a job that packs their PDFs into a ZIP (202, Location the
 * job); ngan-certzip builds it (tools/ngan-certzip.c).
 */
int
certificates_zip_start(struct http_request *req, struct ngan_req *r)
{
	return (issue_all(req, r, 1));
}

/* Both of the above; zip: queue the job too. */
static int
issue_all(struct http_request *req, struct ngan_req *r, int zip)
{
	json_t		*body, *regs, *items, *reg;
	char		id[NGAN_UUID_LEN + 1], *token, *text;
	char		job[NGAN_UUID_LEN + 1], url[600];
	size_t		i;
	int		ret;

	switch (r->state) {
	case ISSUE_CANDIDATES:
		http_response_header(req, "cache-control", "no-store");
		if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
			return (KORE_RESULT_OK);
		return (db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.certificate_candidates($1, $2)", 2,
		    r->actor.json, r->params[0]));
	case ISSUE_SIGN:
		break;
	default:	/* ISSUE_ANSWER */
		return (db_respond(req, r));
	}

	if (db_rows(r) != 1 || strcmp(db_value(r, 0, 0), "200") != 0)
		return (db_respond(req, r));
	body = json_loads(db_value(r, 0, 1), 0, NULL);
	regs = json_object_get(body, "registrations");
	items = json_array();
	json_array_foreach(regs, i, reg) {
		uuid_make(id);
		if ((token = cert_token(id)) == NULL) {
			json_decref(items);
			json_decref(body);
			problem(req, 500, NULL,
			    "certificates.could_sign_certificate");
			return (KORE_RESULT_OK);
		}
		json_array_append_new(items, json_pack("{s:O, s:s, s:s}",
		    "registration_id", reg, "id", id, "token", token));
		free(token);
	}
	json_decref(body);
	text = json_dumps(items, JSON_COMPACT);
	json_decref(items);
	if (text == NULL)
		fatal("certificates: out of memory");

	if (zip) {
		uuid_make(job);
		(void)snprintf(url, sizeof(url), "%s/v1/certificates/verify",
		    oauth_issuer());
		ret = db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.certificate_zip_start($1, $2, $3, $4, $5)", 5,
		    r->actor.json, r->params[0], text, job, url);
	} else {
		ret = db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.certificates_issue_event($1, $2, $3)", 3,
		    r->actor.json, r->params[0], text);
	}
	free(text);

	return (ret);
}

/* POST /v1/certificates/{id}/revoke */
int
certificates_revoke(struct http_request *req, struct ngan_req *r)
{
	if (r->state != STATE_QUERY)
		return (db_respond(req, r));

	http_response_header(req, "cache-control", "no-store");
	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.certificate_revoke($1, $2)", 2, r->actor.json, r->params[0]));
}

/*
 * GET /v1/registrations/{id}/certificate.pdf: staff of the event, or the
 * participant with the link to their ticket (?link=, as tickets.c takes
 * it: ours, for this registration; the database checks its version and
 * end as for the ticket).
 */
int
certificates_pdf(struct http_request *req, struct ngan_req *r)
{
	jwt_t		*jwt;
	const char	*sub;
	char		*link, ver[16], days[16];
	long		v;
	int		ok;

	if (r->state != STATE_QUERY)
		return (pdf_answer(req, r));

	if (!query_string(req, "link", &link)) {
		if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
			return (KORE_RESULT_OK);
		return (db_query(req, r, "SELECT status, body, etag, location "
		    "FROM api.certificate_pdf($1, $2)", 2, r->actor.json,
		    r->params[0]));
	}

	header_set(req, "cache-control", "no-store");
	ok = 0;
	v = 0;
	if (jwt_verify(link, LINK_AUDIENCE, &jwt)) {
		sub = jwt_get_grant(jwt, "sub");
		ok = sub != NULL && !strcmp(sub, r->params[0]);
		errno = 0;
		v = jwt_get_grant_int(jwt, "ver");
		if (errno != 0 || v < 1 || v >= 1000000)
			v = 0;
		jwt_free(jwt);
	}
	if (!ok) {
		problem(req, 403, NULL, "certificates.link_certificate");
		return (KORE_RESULT_OK);
	}

	(void)snprintf(ver, sizeof(ver), "%ld", v);
	(void)snprintf(days, sizeof(days), "%d",
	    config_int(CONFIG_TICKET_LINK_DAYS));
	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.certificate_pdf_link($1, $2, $3)", 3, r->params[0], ver,
	    days));
}

/* Draws what the database gave; the ETag becomes a hash of the bytes. */
static int
pdf_answer(struct http_request *req, struct ngan_req *r)
{
	struct cert_doc		doc;
	struct cert_texts	texts;
	json_t			*info;
	u_int8_t		*pdf, *logo, *signature;
	size_t			len;
	char			url[600], disposition[96];
	const char		*code;

	if (db_rows(r) != 1 || strcmp(db_value(r, 0, 0), "200") != 0)
		return (db_respond(req, r));

	if ((info = json_loads(db_value(r, 0, 1), 0, NULL)) == NULL) {
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}

	(void)snprintf(url, sizeof(url), "%s/v1/certificates/verify",
	    oauth_issuer());
	cert_doc_fill(&doc, info, url, &texts);
	code = doc.short_code;
	logo = image_of(json_object_get(info, "logo"), &doc.logo);
	signature = image_of(json_object_get(info, "signature"),
	    &doc.signature);

	if (cert_pdf_render(&doc, &pdf, &len) != CERT_OK) {
		kore_free(logo);
		kore_free(signature);
		kore_log(LOG_ERR, "certificate: the PDF could not be drawn");
		json_decref(info);
		problem(req, 500, NULL, "certificates.could_draw_certificate");
		return (KORE_RESULT_OK);
	}

	(void)snprintf(disposition, sizeof(disposition),
	    "inline; filename=\"certificate-%s.pdf\"",
	    code != NULL ? code : "");
	json_decref(info);
	kore_free(logo);
	kore_free(signature);
	http_response_header(req, "etag", db_value(r, 0, 2));
	header_set(req, "cache-control", "private, no-cache");
	http_response_header(req, "content-disposition", disposition);
	header_set(req, "content-type", "application/pdf");
	respond_send(req, 200, pdf, len);
	free(pdf);

	return (KORE_RESULT_OK);
}

/*
 * An image the database sent ({content_type, width, height, hex}) for
 * the renderer; returns the bytes img points into (caller must
 * kore_free), NULL when there is none.
 */
static u_int8_t *
image_of(json_t *o, struct cert_image *img)
{
	const char	*hex, *type;
	u_int8_t	*data;
	size_t		n;

	memset(img, 0, sizeof(*img));
	hex = json_string_value(json_object_get(o, "hex"));
	type = json_string_value(json_object_get(o, "content_type"));
	if (hex == NULL || type == NULL || (n = strlen(hex) / 2) == 0)
		return (NULL);

	data = kore_malloc(n);
	if (!hex_decode(hex, data, n)) {
		kore_free(data);
		return (NULL);
	}
	img->data = data;
	img->len = n;
	img->type = !strcmp(type, "image/png") ? CERT_IMAGE_PNG :
	    CERT_IMAGE_JPEG;
	img->width = (int)json_integer_value(json_object_get(o, "width"));
	img->height = (int)json_integer_value(json_object_get(o, "height"));

	return (data);
}

/*
 * PUT /v1/events/{id}/certificate-logo or -signature: the raw body or
 * the part "file" of multipart/form-data, a PNG or JPEG told by its
 * bytes (images.c), stored as image_clean()
 * rewrites it (no metadata, nothing after its end). Answers 413, 415 and
 * 422 itself.
 */
static int
image_put(struct http_request *req, struct ngan_req *r, const char *kind)
{
	struct image_info	info;
	const char		*values[7];
	u_int8_t		*buf, *clean;
	char			*hex, w[16], h[16];
	size_t			n, len;
	int			ret;

	if (r->state != STATE_QUERY)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);
	if (!upload_read(req, CERT_IMAGE_BYTES_MAX,
	    "certificates.send_png_jpeg_image",
	    "certificates.certificate_image_most_1", &buf, &n))
		return (KORE_RESULT_OK);

	clean = kore_malloc(n);
	len = n;
	ret = image_clean(buf, n, clean, &len, &info);
	kore_free(buf);
	if (ret == IMAGE_CORRUPT) {
		kore_free(clean);
		problem(req, 422, "image-unreadable",
		    "certificates.image_truncated_damaged_size");
		return (KORE_RESULT_OK);
	}
	if (ret != IMAGE_OK || (info.type != IMAGE_PNG &&
	    info.type != IMAGE_JPEG)) {
		kore_free(clean);
		problem(req, 415, NULL, "certificates.png_jpeg_images_are");
		return (KORE_RESULT_OK);
	}
	if (info.width > CERT_IMAGE_SIDE_MAX ||
	    info.height > CERT_IMAGE_SIDE_MAX) {
		kore_free(clean);
		problem(req, 422, "image-too-large",
		    "certificates.certificate_image_most_1500");
		return (KORE_RESULT_OK);
	}

	hex = kore_malloc(len * 2 + 1);
	hex_encode(clean, len, hex);
	kore_free(clean);
	(void)snprintf(w, sizeof(w), "%u", info.width);
	(void)snprintf(h, sizeof(h), "%u", info.height);
	values[0] = r->actor.json;
	values[1] = r->params[0];
	values[2] = kind;
	values[3] = hex;
	values[4] = image_content_type(info.type);
	values[5] = w;
	values[6] = h;
	ret = db_query_array(req, r, "SELECT status, body, etag, location "
	    "FROM api.certificate_image_put($1, $2, $3, $4, $5, $6, $7)", 7,
	    values, NULL);
	kore_free(hex);

	return (ret);
}

static int
image_delete(struct http_request *req, struct ngan_req *r, const char *kind)
{
	if (r->state != STATE_QUERY)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.certificate_image_delete($1, $2, $3)", 3, r->actor.json,
	    r->params[0], kind));
}

int
certificates_logo_put(struct http_request *req, struct ngan_req *r)
{
	return (image_put(req, r, "logo"));
}

int
certificates_logo_delete(struct http_request *req, struct ngan_req *r)
{
	return (image_delete(req, r, "logo"));
}

int
certificates_signature_put(struct http_request *req, struct ngan_req *r)
{
	return (image_put(req, r, "signature"));
}

int
certificates_signature_delete(struct http_request *req, struct ngan_req *r)
{
	return (image_delete(req, r, "signature"));
}

/*
 * A short code as people type it: any case, with or without its dashes
 * or spaces, O for 0 and I or L for 1 (Crockford). 1 and the canonical
 * form (three groups of four, as 7K3M-Q9TX-2HPA) in out (15 bytes) when
 * it is one.
 */
static int
short_code_parse(const char *s, char *out)
{
	char		c;
	size_t		n, o;

	n = 0;
	o = 0;
	for (; *s != '\0'; s++) {
		if (*s == '-' || *s == ' ')
			continue;
		c = (char)toupper((unsigned char)*s);
		if (c == 'O')
			c = '0';
		else if (c == 'I' || c == 'L')
			c = '1';
		if (n == CODE_LEN || c == '\0' || strchr(crockford, c) == NULL)
			return (0);
		if (n == 4 || n == 8)
			out[o++] = '-';
		out[o++] = c;
		n++;
	}
	out[o] = '\0';

	return (n == CODE_LEN);
}

/*
 * GET /v1/certificates/verify?code=: public. The code is a token from
 * the QR code (its signature checked here) or the short code printed
 * under it. Rate-limited per client in the database.
 */
int
certificates_verify(struct http_request *req, struct ngan_req *r)
{
	jwt_t		*jwt;
	const char	*sub;
	char		*code, client[65], id[NGAN_UUID_LEN + 1], sc[16];
	int		is_token, signed_ok;

	if (r->state != STATE_QUERY)
		return (verify_answer(req, r));

	http_response_header(req, "cache-control", "no-store");
	if (!query_string(req, "code", &code) || *code == '\0') {
		query_error(req, "code", "required",
		    "certificates.code_short_code_printed");
		return (KORE_RESULT_OK);
	}

	is_token = strchr(code, '.') != NULL;
	signed_ok = 0;
	if (is_token) {
		if (strlen(code) > 4096) {
			query_error(req, "code", "length",
			    "certificates.certificate_token_under_4096");
			return (KORE_RESULT_OK);
		}
		if (jwt_verify(code, CERT_AUDIENCE, &jwt)) {
			sub = jwt_get_grant(jwt, "sub");
			if (sub != NULL && uuid_valid(sub)) {
				kore_strlcpy(id, sub, sizeof(id));
				signed_ok = 1;
			}
			jwt_free(jwt);
		}
	} else if (!short_code_parse(code, sc)) {
		query_error(req, "code", "format",
		    "certificates.short_code_twelve_letters");
		return (KORE_RESULT_OK);
	}

	if (!edge_client_key(req, client, sizeof(client))) {
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.certificate_verify($1, $2, $3, $4)", 4, client,
	    signed_ok ? id : NULL, is_token ? NULL : sc, VERIFY_PER_MINUTE));
}

/* As the database said; a 429 with Retry-After, its retry_after. */
static int
verify_answer(struct http_request *req, struct ngan_req *r)
{
	json_t		*body;
	json_int_t	secs;
	char		buf[16];

	if (db_rows(r) == 1 && !strcmp(db_value(r, 0, 0), "429")) {
		body = json_loads(db_value(r, 0, 1), 0, NULL);
		secs = json_integer_value(json_object_get(body,
		    "retry_after"));
		json_decref(body);
		(void)snprintf(buf, sizeof(buf), "%d",
		    secs < 1 || secs > 60 ? 60 : (int)secs);
		http_response_header(req, "retry-after", buf);
	}

	return (db_respond(req, r));
}
