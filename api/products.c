/*
 * Products of vocational groups: /v1/groups/{id}/products, /v1/products
 * (the public catalogue), their images, and the products on sale at an
 * event (/v1/events/{id}/products). Prices are integer satang; a JSON
 * number with a fraction is refused, never rounded.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ngan.h"

#define PRICE_MAX	10000000000LL	/* 100 million baht */

static const char	*tag_check(const char *);
static const char	*price_check(const char *);
static int		image_bytes(struct http_request *, u_int8_t **,
			    size_t *);

static const char *const availabilities[] = {
	"in_stock", "made_to_order", "out_of_stock", NULL
};

static const char *const sorts[] = {
	"newest", "price_asc", "price_desc", NULL
};

#define PRODUCT_FIELDS(req)						\
	{ "name", FIELD_STRING, req, 1, 300 },				\
	{ "description", FIELD_STRING, FIELD_NULLABLE, 0, 5000 },	\
	{ "price_satang", FIELD_INT, req, 0, PRICE_MAX },		\
	{ "unit", FIELD_STRING, req, 1, 30 },				\
	{ "availability", FIELD_STRING, 0, 1, 20, availabilities },	\
	{ "tags", FIELD_STRING_ARRAY, FIELD_UNIQUE, 0, 10, NULL,	\
	    tag_check }

static const struct field_spec product_create_fields[] = {
	PRODUCT_FIELDS(FIELD_REQUIRED),
	{ NULL }
};

static const struct field_spec product_patch_fields[] = {
	PRODUCT_FIELDS(0),
	{ NULL }
};

static const struct field_spec order_fields[] = {
	{ "order", FIELD_ARRAY, FIELD_REQUIRED, 0, 8 },
	{ NULL }
};

static const char *
tag_check(const char *s)
{
	size_t		n;

	n = utf8_length(s);
	if (n < 1 || n > 40)
		return ("A tag is 1 to 40 characters.");

	return (NULL);
}

/* Whole satang: digits only, 0 to PRICE_MAX. */
static const char *
price_check(const char *s)
{
	long long	v;
	char		*end;
	size_t		i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return ("A price in whole satang: digits only.");
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (i == 0 || i > 12 || errno != 0 || v > PRICE_MAX)
		return ("A price in whole satang, 0 to 10000000000.");

	return (NULL);
}

int
group_products_list(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.group_products($1, $2)", 2, r->actor.json, r->params[0]));
}

int
group_products_create(struct http_request *req, struct ngan_req *r)
{
	char		*body;
	int		ret;

	if (r->phase > 0)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);
	if (!json_body_or_error(req, r, product_create_fields))
		return (KORE_RESULT_OK);

	body = json_dumps(r->body, JSON_COMPACT);
	ret = db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.product_create($1, $2, $3)", 3, r->actor.json, r->params[0],
	    body);
	free(body);

	return (ret);
}

int
products_list(struct http_request *req, struct ngan_req *r)
{
	static const struct {
		const char		*name;
		const char		*(*check)(const char *);
		const char *const	*choices;
	} filters[] = {
		{ "q", NULL, NULL },
		{ "category", NULL, NULL },
		{ "province", NULL, NULL },
		{ "group", NULL, NULL },
		{ "event", NULL, NULL },
		{ "min_price_satang", price_check, NULL },
		{ "max_price_satang", price_check, NULL },
		{ "sort", NULL, sorts },
	};
	const char	*why;
	char		*v, *cursor, *text, limit_text[8];
	json_t		*f;
	size_t		i, n;
	int		k, limit, ret;

	if (r->phase > 0)
		return (db_respond(req, r));

	if (!query_limit_or_422(req, &limit))
		return (KORE_RESULT_OK);
	f = json_object();
	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		if (!query_string(req, filters[i].name, &v))
			continue;
		why = NULL;
		n = utf8_length(v);
		if (filters[i].check != NULL) {
			why = filters[i].check(v);
		} else if (filters[i].choices != NULL) {
			for (k = 0; filters[i].choices[k] != NULL; k++) {
				if (!strcmp(filters[i].choices[k], v))
					break;
			}
			if (filters[i].choices[k] == NULL)
				why = "This value is not one of the choices.";
		} else if (!strcmp(filters[i].name, "group") ||
		    !strcmp(filters[i].name, "event")) {
			if (!uuid_valid(v))
				why = "This must be a UUID.";
		} else if (!strcmp(filters[i].name, "province")) {
			if (n != 2 || v[0] < '0' || v[0] > '9' ||
			    v[1] < '0' || v[1] > '9')
				why = "A province code is 2 digits.";
		} else if (n < 1 || n > 200) {
			why = "1 to 200 characters.";
		}
		if (why != NULL) {
			query_error(req, filters[i].name, "format", why);
			json_decref(f);
			return (KORE_RESULT_OK);
		}
		json_object_set_new(f, filters[i].name, json_string(v));
	}
	if (!query_string(req, "cursor", &cursor))
		cursor = NULL;
	(void)snprintf(limit_text, sizeof(limit_text), "%d", limit);
	text = json_dumps(f, JSON_COMPACT);
	json_decref(f);

	ret = db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.products_list($1, $2, $3, $4)", 4, r->actor.json, text,
	    limit_text, cursor);
	free(text);

	return (ret);
}

int
products_get(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.product_get($1, $2)", 2, r->actor.json, r->params[0]));
}

int
products_patch(struct http_request *req, struct ngan_req *r)
{
	char		*body, version_text[16];
	int		version, ret;

	if (r->phase > 0)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);
	if (!if_match_version(req, &version))
		return (KORE_RESULT_OK);
	if (!json_body_or_error(req, r, product_patch_fields))
		return (KORE_RESULT_OK);

	(void)snprintf(version_text, sizeof(version_text), "%d", version);
	body = json_dumps(r->body, JSON_COMPACT);
	ret = db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.product_patch($1, $2, $3, $4)", 4, r->actor.json,
	    r->params[0], version_text, body);
	free(body);

	return (ret);
}

int
products_delete(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.product_delete($1, $2)", 2, r->actor.json, r->params[0]));
}

/*
 * The uploaded file: the raw body, or the part named "file" (else the
 * first file) of a multipart/form-data body. The Content-Type only says
 * where the bytes are; what they are is read from them. Answers 415 or
 * 413 itself and returns KORE_RESULT_ERROR.
 */
static int
image_bytes(struct http_request *req, u_int8_t **out, size_t *len)
{
	struct http_file	*file;
	const char		*type;
	u_int8_t		*buf;
	size_t			n, off;
	ssize_t			got;

	*out = NULL;
	*len = 0;
	if (!http_request_header(req, "content-type", &type))
		type = "";

	file = NULL;
	if (!strncasecmp(type, "multipart/form-data", 19)) {
		http_populate_multipart_form(req);
		if ((file = http_file_lookup(req, "file")) == NULL)
			file = TAILQ_FIRST(&req->files);
		if (file == NULL) {
			problem(req, 415, NULL, "Send the image as a part "
			    "named \"file\" of multipart/form-data.");
			return (KORE_RESULT_ERROR);
		}
		n = file->length;
	} else if (!strncasecmp(type, "image/", 6) ||
	    !strncasecmp(type, "application/octet-stream", 24)) {
		n = req->http_body_length;
	} else {
		problem(req, 415, NULL, "Send a JPEG, PNG or WebP image as "
		    "the body or as multipart/form-data.");
		return (KORE_RESULT_ERROR);
	}

	if (n > IMAGE_BYTES_MAX) {
		problem(req, 413, NULL, "An image is at most 5 MB.");
		return (KORE_RESULT_ERROR);
	}
	if (n == 0) {
		problem(req, 415, NULL, "The file is empty.");
		return (KORE_RESULT_ERROR);
	}

	buf = kore_malloc(n);
	for (off = 0; off < n; off += (size_t)got) {
		if (file != NULL)
			got = http_file_read(file, buf + off, n - off);
		else
			got = http_body_read(req, buf + off, n - off);
		if (got <= 0)
			break;
	}
	if (off != n) {
		kore_free(buf);
		problem(req, 400, NULL, "The file could not be read whole.");
		return (KORE_RESULT_ERROR);
	}

	*out = buf;
	*len = n;
	return (KORE_RESULT_OK);
}

int
product_images_create(struct http_request *req, struct ngan_req *r)
{
	struct image_info	info;
	const char		*values[6];
	u_int8_t		*buf;
	char			*hex, w[16], h[16];
	size_t			len;
	int			ret;

	if (r->phase > 0)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);
	if (!image_bytes(req, &buf, &len))
		return (KORE_RESULT_OK);

	switch (image_sniff(buf, len, &info)) {
	case IMAGE_OK:
		break;
	case IMAGE_CORRUPT:
		kore_free(buf);
		problem(req, 422, "image-unreadable", "The image is "
		    "truncated or damaged: "
		    "its width and height cannot be read.");
		return (KORE_RESULT_OK);
	default:
		kore_free(buf);
		problem(req, 415, NULL, "Only JPEG, PNG and WebP images are "
		    "taken (told by the file's bytes, not its name).");
		return (KORE_RESULT_OK);
	}

	hex = kore_malloc(len * 2 + 1);
	hex_encode(buf, len, hex);
	kore_free(buf);
	(void)snprintf(w, sizeof(w), "%u", info.width);
	(void)snprintf(h, sizeof(h), "%u", info.height);
	values[0] = r->actor.json;
	values[1] = r->params[0];
	values[2] = hex;
	values[3] = image_content_type(info.type);
	values[4] = w;
	values[5] = h;
	ret = db_query_array(req, r, "SELECT status, body, etag, location "
	    "FROM api.product_image_add($1, $2, $3, $4, $5, $6)", 6, values,
	    NULL);
	kore_free(hex);

	return (ret);
}

int
product_images_order(struct http_request *req, struct ngan_req *r)
{
	json_t		*order, *item, *errors;
	char		*text;
	size_t		i;
	int		ret;

	if (r->phase > 0)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);
	if (!json_body_or_error(req, r, order_fields))
		return (KORE_RESULT_OK);
	order = json_object_get(r->body, "order");
	json_array_foreach(order, i, item) {
		if (!json_is_integer(item) || json_integer_value(item) < 1 ||
		    json_integer_value(item) > 8) {
			errors = json_array();
			validation_error(errors, "order", "type",
			    "Image numbers, 1 to 8.");
			problem_errors(req, 422, "validation",
			    "The request body has invalid fields.", errors);
			return (KORE_RESULT_OK);
		}
	}

	text = json_dumps(order, JSON_COMPACT);
	ret = db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.product_images_order($1, $2, $3)", 3, r->actor.json,
	    r->params[0], text);
	free(text);

	return (ret);
}

int
product_images_delete(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.product_image_delete($1, $2, $3)", 3, r->actor.json,
	    r->params[0], r->params[1]));
}

/*
 * The bytes, with their type and a strong ETag (SHA-256 of the bytes).
 * A URL with ?v= naming the current ETag's first 16 hex digits (as the
 * product's JSON gives it) never changes: cached for a year. Without it
 * the number n may name another image after a reorder: an hour.
 */
int
product_images_get(struct http_request *req, struct ngan_req *r)
{
	const char	*inm, *etag, *hex;
	u_int8_t	*buf;
	char		*v;
	size_t		len;
	int		status;

	if (r->phase == 0) {
		if (!http_request_header(req, "if-none-match", &inm))
			inm = NULL;
		return (db_query(req, r, "SELECT status, content_type, etag, "
		    "data FROM api.product_image_get($1, $2, $3)", 3,
		    r->params[0], r->params[1], inm));
	}

	if (db_rows(r) != 1 || db_isnull(r, 0, 0)) {
		problem(req, 500, NULL, "Something went wrong on our side.");
		return (KORE_RESULT_OK);
	}
	status = (int)strtol(db_value(r, 0, 0), NULL, 10);
	if (status == 404) {
		problem(req, 404, NULL, "No image with that number.");
		return (KORE_RESULT_OK);
	}

	etag = db_value(r, 0, 2);
	http_response_header(req, "etag", etag);
	if (query_string(req, "v", &v) && strlen(v) == 16 &&
	    strlen(etag) > 17 && !strncmp(etag + 1, v, 16))
		http_response_header(req, "cache-control",
		    "public, max-age=31536000, immutable");
	else
		http_response_header(req, "cache-control",
		    "public, max-age=3600");
	if (status == 304) {
		http_response(req, 304, NULL, 0);
		return (KORE_RESULT_OK);
	}

	/* bytea as text: "\x" and hex digits. */
	hex = db_value(r, 0, 3);
	if (strncmp(hex, "\\x", 2) != 0 || strlen(hex) % 2 != 0) {
		problem(req, 500, NULL, "Something went wrong on our side.");
		return (KORE_RESULT_OK);
	}
	len = (strlen(hex) - 2) / 2;
	buf = kore_malloc(len + 1);
	if (!hex_decode(hex + 2, buf, len)) {
		kore_free(buf);
		problem(req, 500, NULL, "Something went wrong on our side.");
		return (KORE_RESULT_OK);
	}
	http_response_header(req, "content-type", db_value(r, 0, 1));
	http_response_header(req, "x-content-type-options", "nosniff");
	http_response(req, 200, buf, len);
	kore_free(buf);

	return (KORE_RESULT_OK);
}

int
event_products_list(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.event_products($1, $2)", 2, r->actor.json, r->params[0]));
}

int
event_products_put(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.event_product_put($1, $2, $3)", 3, r->actor.json,
	    r->params[0], r->params[1]));
}

int
event_products_delete(struct http_request *req, struct ngan_req *r)
{
	if (r->phase > 0)
		return (db_respond(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.event_product_delete($1, $2, $3)", 3, r->actor.json,
	    r->params[0], r->params[1]));
}
