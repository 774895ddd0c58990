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
static const char	*product_province_check(const char *);

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

const struct field_spec product_create_fields[] = {
	PRODUCT_FIELDS(FIELD_REQUIRED),
	{ NULL }
};

const struct field_spec product_patch_fields[] = {
	PRODUCT_FIELDS(0),
	{ NULL }
};

const struct field_spec image_order_fields[] = {
	{ "order", FIELD_ARRAY, FIELD_REQUIRED, 0, 8 },
	{ NULL }
};

/* GET /v1/products: the catalogue's filters, passed on as one object. */
const struct field_spec product_query[] = {
	QUERY_LIMIT,
	{ .name = "q", .type = FIELD_STRING, .flags = FIELD_FILTER, .min = 1,
	    .max = 200, .message = "products.filter_length" },
	{ .name = "category", .type = FIELD_STRING, .flags = FIELD_FILTER,
	    .min = 1, .max = 200, .message = "products.filter_length" },
	{ .name = "province", .type = FIELD_STRING, .flags = FIELD_FILTER,
	    .check = product_province_check },
	{ .name = "group", .type = FIELD_UUID, .flags = FIELD_FILTER },
	{ .name = "event", .type = FIELD_UUID, .flags = FIELD_FILTER },
	{ .name = "min_price_satang", .type = FIELD_STRING,
	    .flags = FIELD_FILTER, .check = price_check },
	{ .name = "max_price_satang", .type = FIELD_STRING,
	    .flags = FIELD_FILTER, .check = price_check },
	{ .name = "sort", .type = FIELD_STRING, .flags = FIELD_FILTER,
	    .choices = sorts },
	QUERY_CURSOR,
	{ NULL }
};

static const char *
product_province_check(const char *s)
{
	return (digits_valid(s, 2) ? NULL : "products.province_code_2_digits");
}

static const char *
tag_check(const char *s)
{
	size_t		n;

	n = utf8_length(s);
	if (n < 1 || n > 40)
		return ("products.tag_1_40_characters");

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
			return ("products.price_whole_satang_digits");
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (i == 0 || i > 12 || errno != 0 || v > PRICE_MAX)
		return ("products.price_whole_satang_0");

	return (NULL);
}

/*
 * Stores the image rewritten by image_clean() (images.c): nothing after
 * its end, no metadata. The ETag and size are those of what is stored.
 */
int
product_images_create(struct http_request *req, struct ngan_req *r)
{
	struct image_info	info;
	const char		*values[6];
	u_int8_t		*buf, *clean;
	char			*hex, w[16], h[16];
	size_t			len;
	int			ret;

	if (r->state != STATE_QUERY)
		return (db_respond(req, r));

	if (!upload_read(req, IMAGE_BYTES_MAX, "products.send_jpeg_png_webp",
	    "products.image_most_5_mb", &buf, &len))
		return (KORE_RESULT_OK);

	clean = kore_malloc(len);
	ret = image_clean(buf, len, clean, &len, &info);
	kore_free(buf);
	switch (ret) {
	case IMAGE_OK:
		break;
	case IMAGE_CORRUPT:
		kore_free(clean);
		problem(req, 422, "image-unreadable",
		    "certificates.image_truncated_damaged_size");
		return (KORE_RESULT_OK);
	default:
		kore_free(clean);
		problem(req, 415, NULL, "products.jpeg_png_webp_images");
		return (KORE_RESULT_OK);
	}

	hex = kore_malloc(len * 2 + 1);
	hex_encode(clean, len, hex);
	kore_free(clean);
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

	if (r->state != STATE_QUERY)
		return (db_respond(req, r));

	order = json_object_get(r->body, "order");
	json_array_foreach(order, i, item) {
		if (!json_is_integer(item) || json_integer_value(item) < 1 ||
		    json_integer_value(item) > 8) {
			errors = json_array();
			validation_error(errors, "order", "type",
			    "products.image_numbers_1_8");
			problem_errors(req, 422, "validation",
			    "validation.body", errors);
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

/*
 * The bytes, with their type and a strong ETag (SHA-256 of the bytes).
 * A URL with ?v= naming the current ETag's first 16 hex digits (as the
 * product's JSON gives it) never changes: cached for a year. Without it
 * the number n may name another image after a reorder: an hour.
 * The bytes go through image_clean() again on the way out, so an image
 * stored before uploads were cleaned is served clean too, and a browser
 * told to open one as a page gets an empty sandbox (CSP) and no sniffing.
 */
int
product_images_get(struct http_request *req, struct ngan_req *r)
{
	struct image_info	info;
	const char		*inm, *etag, *hex;
	u_int8_t		*buf, *clean;
	char			*v;
	size_t			len, clean_len;
	int			status;

	if (r->state == STATE_QUERY) {
		if (!http_request_header(req, "if-none-match", &inm) ||
		    r->precond == PRECOND_CAPTURE)
			inm = NULL;
		return (db_query(req, r, "SELECT status, content_type, etag, "
		    "data FROM api.product_image_get($1, $2, $3)", 3,
		    r->params[0], r->params[1], inm));
	}

	if (db_rows(r) != 1 || db_isnull(r, 0, 0)) {
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}
	status = (int)strtol(db_value(r, 0, 0), NULL, 10);
	if (status == 404) {
		problem(req, 404, NULL, "products.image_number");
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
		respond_not_modified(req);
		return (KORE_RESULT_OK);
	}

	/* bytea as text: "\x" and hex digits. */
	hex = db_value(r, 0, 3);
	if (strncmp(hex, "\\x", 2) != 0 || strlen(hex) % 2 != 0) {
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}
	len = (strlen(hex) - 2) / 2;
	buf = kore_malloc(len + 1);
	if (!hex_decode(hex + 2, buf, len)) {
		kore_free(buf);
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}
	clean = kore_malloc(len + 1);
	if (image_clean(buf, len, clean, &clean_len, &info) != IMAGE_OK ||
	    strcmp(image_content_type(info.type), db_value(r, 0, 1)) != 0) {
		kore_free(buf);
		kore_free(clean);
		kore_log(LOG_WARNING, "a stored product image is not one");
		problem(req, 404, NULL, "products.image_number");
		return (KORE_RESULT_OK);
	}
	kore_free(buf);
	http_response_header(req, "content-type",
	    image_content_type(info.type));
	http_response_header(req, "x-content-type-options", "nosniff");
	http_response_header(req, "content-security-policy",
	    "default-src 'none'; sandbox");
	http_response_header(req, "content-disposition", "inline");
	respond_send(req, 200, clean, clean_len);
	kore_free(clean);

	return (KORE_RESULT_OK);
}
