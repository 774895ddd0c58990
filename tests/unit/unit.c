/*
 * Unit tests for the pure parts: routing, query parsing, UTF-8, body
 * validation, personal data (pii.c) and CSV (csv.c). They include the
 * sources to reach static functions.
 * Prints "N passed, N failed" as the last line.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stubs.h"

#include "../../api/router.c"
#include "../../api/json.c"
#include "../../api/pii.c"
#include "../../api/csv.c"
#include "../../api/images.c"

static int	passed, failed;

#define CHECK(cond) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("not ok: %s:%d: %s\\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)

static int	h_dummy(struct http_request *, struct ngan_req *);
static void	test_validate_long_key(void);

static int
h_dummy(struct http_request *req, struct ngan_req *r)
{
	(void)req;
	(void)r;
	return (0);
}

static const struct route test_routes[] = {
	{ "/healthz", { [0] = h_dummy } },
	{ "/v1/users", { [0] = h_dummy, [1] = h_dummy } },
	{ "/v1/users/{id}", { [0] = h_dummy, [6] = h_dummy } },
	{ "/v1/events/{id}/sessions/{sid}", { [6] = h_dummy } },
};

static void
test_router(void)
{
	char		params[ROUTE_PARAMS_MAX][NGAN_UUID_LEN + 1];
	const struct route *r;
	char		allow[64];
	int		known;

	r = route_find(test_routes, 4, "/healthz", params, &known);
	CHECK(r == &test_routes[0] && known);
	r = route_find(test_routes, 4, "/healthz/", params, &known);
	CHECK(r == NULL && !known);
	r = route_find(test_routes, 4, "/v1/users", params, &known);
	CHECK(r == &test_routes[1]);
	r = route_find(test_routes, 4,
	    "/v1/users/0A000000-0000-4000-8000-000000000001", params, &known);
	CHECK(r == &test_routes[2]);
	CHECK(!strcmp(params[0], "0a000000-0000-4000-8000-000000000001"));
	r = route_find(test_routes, 4, "/v1/users/123", params, &known);
	CHECK(r == NULL);
	r = route_find(test_routes, 4, "/v1/users/'; drop table x;--",
	    params, &known);
	CHECK(r == NULL);
	r = route_find(test_routes, 4, "/v1/events/a0000000-0000-4000-8000-"
	    "000000000001/sessions/b0000000-0000-4000-8000-000000000002",
	    params, &known);
	CHECK(r == &test_routes[3]);
	CHECK(!strcmp(params[1], "b0000000-0000-4000-8000-000000000002"));
	r = route_find(test_routes, 4, "", params, &known);
	CHECK(r == NULL);
	r = route_find(test_routes, 4, "//", params, &known);
	CHECK(r == NULL);
	CHECK(route_allow_header(&test_routes[2], allow, sizeof(allow)));
	CHECK(!strcmp(allow, "GET, PATCH"));
	CHECK(!route_allow_header(&test_routes[2], allow, 4));
}

static void
test_query(void)
{
	char		*names[4], *values[4];
	int		n, i;

	n = query_parse("limit=10&q=%E0%B8%87%E0%B8%B2%E0%B8%99&x", names,
	    values, 4);
	CHECK(n == 3);
	CHECK(n == 3 && !strcmp(values[0], "10"));
	CHECK(n == 3 && !strcmp(values[1], "งาน"));
	CHECK(n == 3 && !strcmp(names[2], "x") && values[2][0] == '\0');
	for (i = 0; i < n; i++) {
		free(names[i]);
		free(values[i]);
	}
	CHECK(query_parse("a=%00", names, values, 4) == -1);
	CHECK(query_parse("a=%zz", names, values, 4) == -1);
	CHECK(query_parse("a=%ff", names, values, 4) == -1);
	CHECK(query_parse("a=1&b=2&c=3&d=4&e=5", names, values, 4) == -1);
	n = query_parse("a=b+c", names, values, 4);
	CHECK(n == 1 && !strcmp(values[0], "b c"));
	free(names[0]);
	free(values[0]);
	CHECK(query_parse("", names, values, 4) == 0);
}

static void
test_utf8(void)
{
	CHECK(utf8_valid("แรงงานนอกระบบ"));
	CHECK(!utf8_valid("\xc0\xaf"));
	CHECK(!utf8_valid("\xed\xa0\x80"));
	CHECK(!utf8_valid("\xe0\xb8"));
	CHECK(utf8_length("งาน") == 3);
	CHECK(uuid_valid("a0000000-0000-4000-8000-000000000001"));
	CHECK(!uuid_valid("a0000000-0000-4000-8000-00000000000"));
	CHECK(!uuid_valid("a0000000x0000-4000-8000-000000000001"));
}

static const char *const kinds[] = { "a", "b", NULL };

static const struct field_spec specs[] = {
	{ "name", FIELD_STRING, FIELD_REQUIRED, 1, 3, NULL, NULL },
	{ "kind", FIELD_STRING, 0, 1, 8, kinds, NULL },
	{ "n", FIELD_INT, 0, 1, 10, NULL, NULL },
	{ "id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL, NULL },
	{ "tags", FIELD_STRING_ARRAY, FIELD_UNIQUE, 0, 2, kinds, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

static int
errors_for(const char *text, const char *field, const char *code)
{
	json_t		*obj, *errors, *e;
	size_t		i;
	int		found;

	obj = json_loads(text, 0, NULL);
	errors = json_array();
	json_validate(obj, specs, errors);
	found = field == NULL ? json_array_size(errors) == 0 : 0;
	json_array_foreach(errors, i, e) {
		if (field != NULL && !strcmp(json_string_value(
		    json_object_get(e, "field")), field) &&
		    !strcmp(json_string_value(json_object_get(e, "code")),
		    code))
			found = 1;
	}
	json_decref(obj);
	json_decref(errors);

	return (found);
}

static void
test_validate(void)
{
	CHECK(errors_for("{\"name\":\"งาน\"}", NULL, NULL));
	CHECK(errors_for("{}", "name", "required"));
	CHECK(errors_for("{\"name\":1}", "name", "type"));
	CHECK(errors_for("{\"name\":\"งานๆๆ\"}", "name", "length"));
	CHECK(errors_for("{\"name\":\"x\",\"zz\":1}", "zz", "unknown"));
	CHECK(errors_for("{\"name\":\"x\",\"kind\":\"c\"}", "kind", "enum"));
	CHECK(errors_for("{\"name\":\"x\",\"n\":11}", "n", "range"));
	CHECK(errors_for("{\"name\":\"x\",\"n\":1.5}", "n", "type"));
	CHECK(errors_for("{\"name\":\"x\",\"id\":\"nope\"}", "id", "format"));
	CHECK(errors_for("{\"name\":\"x\",\"id\":null}", NULL, NULL));
	CHECK(errors_for("{\"name\":null}", "name", "type"));
	CHECK(errors_for("{\"name\":\"x\",\"tags\":[\"a\",3]}", "tags.1",
	    "type"));
	CHECK(errors_for("{\"name\":\"x\",\"tags\":[\"a\",\"b\",\"a\"]}",
	    "tags", "length"));
	CHECK(errors_for("[1]", "", "type"));
	CHECK(errors_for("{\"name\":\"x\",\"tags\":[\"a\",\"a\"]}", "tags.1",
	    "duplicate"));
	test_validate_long_key();
}

/*
 * Regression (fuzz-json): an unknown field whose path is cut at 128 bytes
 * inside a Thai character was dropped, so the body passed validation.
 */
static void
test_validate_long_key(void)
{
	char		body[512], field[256];
	size_t		i, n;

	n = (size_t)snprintf(body, sizeof(body), "{\"name\":\"x\",\"");
	field[0] = '\0';
	for (i = 0; i < 43; i++) {
		memcpy(body + n, "\xe0\xb8\x81", 3);
		n += 3;
		if (i < 42)
			memcpy(field + i * 3, "\xe0\xb8\x81", 4);
	}
	(void)snprintf(body + n, sizeof(body) - n, "\":1}");
	CHECK(errors_for(body, NULL, NULL) == 0);
	CHECK(errors_for(body, field, "unknown"));
}

static void
test_pii_numbers(void)
{
	char		nid[PII_NID_LEN + 1], phone[PII_PHONE_MAX + 1];

	/* 1-1017-00207-03-0: sum 189, (11 - 189 % 11) % 10 = 0. */
	CHECK(pii_national_id("1101700207030", nid) == PII_OK);
	CHECK(!strcmp(nid, "1101700207030"));
	CHECK(pii_national_id("1-1017-00207-03-0", nid) == PII_OK);
	CHECK(!strcmp(nid, "1101700207030"));
	CHECK(pii_national_id(" 1 1017 00207 03 0 ", nid) == PII_OK);
	/* 11 - sum % 11 is 10 or 11 here: the check digit wraps to 0, 1. */
	CHECK(pii_national_id("1100000000130", nid) == PII_OK);
	CHECK(pii_national_id("1100000000041", nid) == PII_OK);
	CHECK(pii_national_id("1100000000040", nid) == PII_CHECKSUM);
	CHECK(pii_national_id("1101700207031", nid) == PII_CHECKSUM);
	CHECK(nid[0] == '\0');
	CHECK(pii_national_id("110170020703", nid) == PII_FORMAT);
	CHECK(pii_national_id("11017002070300", nid) == PII_FORMAT);
	CHECK(pii_national_id("1101700207O30", nid) == PII_FORMAT);
	CHECK(pii_national_id("", nid) == PII_FORMAT);
	CHECK(pii_national_id("๑๑๐๑๗๐๐๒๐๗๐๓๐", nid) == PII_FORMAT);

	CHECK(pii_phone("081-234-5678", phone) == PII_OK);
	CHECK(!strcmp(phone, "0812345678"));
	CHECK(pii_phone("02 123 4567", phone) == PII_OK);
	CHECK(!strcmp(phone, "021234567"));
	CHECK(pii_phone("812345678", phone) == PII_FORMAT);
	CHECK(pii_phone("08123456", phone) == PII_FORMAT);
	CHECK(pii_phone("081234567890", phone) == PII_FORMAT);
	CHECK(pii_phone("+66812345678", phone) == PII_FORMAT);
}

static void
test_pii_crypto(void)
{
	struct pii_keys		k1, k2;
	struct pii_sealed	s1, s2;
	char			hex[PII_SEAL_HEX_LEN(PII_PLAIN_MAX)];
	char			out[PII_PLAIN_MAX + 1], mac[65], mac2[65];
	const char		*key1 = "000102030405060708090a0b0c0d0e0f"
				    "101112131415161718191a1b1c1d1e1f";
	const char		*key2 = "ff0102030405060708090a0b0c0d0e0f"
				    "101112131415161718191a1b1c1d1e1f";

	CHECK(sodium_init() >= 0);
	CHECK(pii_keys_from_hex(key1, &k1));
	CHECK(pii_keys_from_hex(key2, &k2));
	CHECK(!pii_keys_from_hex("0001", &k2));
	CHECK(!pii_keys_from_hex("zz0102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f", &k2));
	CHECK(memcmp(k1.hmac, k1.enc, sizeof(k1.hmac)) != 0);

	/* The hash finds a person again: same key, same number, same mac. */
	pii_hmac_hex(&k1, "1101700207030", mac);
	pii_hmac_hex(&k1, "1101700207030", mac2);
	CHECK(strlen(mac) == 64 && !strcmp(mac, mac2));
	pii_hmac_hex(&k2, "1101700207030", mac2);
	CHECK(strcmp(mac, mac2) != 0);

	/* Sealing is randomised, opens only with its key and its ad. */
	CHECK(pii_seal(&k1, "1101700207030", "0812345678", &s1));
	CHECK(pii_seal(&k1, "1101700207030", NULL, &s2));
	CHECK(!strcmp(s1.nid_hmac, mac));
	CHECK(!strcmp(s1.nid_last3, "030"));
	CHECK(!strcmp(s1.phone_last4, "5678"));
	CHECK(strlen(s1.nid_enc) == (PII_SEAL_OVERHEAD + 13) * 2);
	CHECK(strcmp(s1.nid_enc, s2.nid_enc) != 0);
	CHECK(s2.phone_enc[0] == '\0' && s2.phone_last4[0] == '\0');
	CHECK(strstr(s1.nid_enc, "1101700207030") == NULL);
	CHECK(pii_decrypt_hex(&k1, s1.nid_enc, PII_AD_NID, out, sizeof(out)));
	CHECK(!strcmp(out, "1101700207030"));
	CHECK(pii_decrypt_hex(&k1, s1.phone_enc, PII_AD_PHONE, out,
	    sizeof(out)));
	CHECK(!strcmp(out, "0812345678"));
	CHECK(!pii_decrypt_hex(&k2, s1.nid_enc, PII_AD_NID, out, sizeof(out)));
	CHECK(out[0] == '\0');
	CHECK(!pii_decrypt_hex(&k1, s1.nid_enc, PII_AD_PHONE, out,
	    sizeof(out)));
	CHECK(!pii_decrypt_hex(&k1, "00", PII_AD_NID, out, sizeof(out)));
	CHECK(!pii_decrypt_hex(&k1, "not hex", PII_AD_NID, out, sizeof(out)));
	CHECK(!pii_decrypt_hex(&k1, s1.nid_enc, PII_AD_NID, out, 13));
	/* One flipped bit in the ciphertext: refused. */
	snprintf(hex, sizeof(hex), "%s", s1.nid_enc);
	hex[60] = hex[60] == '0' ? '1' : '0';
	CHECK(!pii_decrypt_hex(&k1, hex, PII_AD_NID, out, sizeof(out)));
	CHECK(!pii_encrypt_hex(&k1, "12345678901234567", PII_AD_NID, hex,
	    sizeof(hex)));
	CHECK(!pii_encrypt_hex(&k1, "1", PII_AD_NID, hex, 10));

	CHECK(setenv("NGAN_PII_KEY", "abc", 1) == 0);
	CHECK(!pii_init());
	CHECK(setenv("NGAN_PII_KEY", key1, 1) == 0);
	CHECK(pii_init());
	CHECK(pii_worker_keys() != NULL &&
	    !memcmp(pii_worker_keys()->enc, k1.enc, sizeof(k1.enc)));
}

/* Record r's fields joined by '|', for short assertions. */
static const char *
csv_row(const struct csv_table *t, size_t r)
{
	static char	buf[256];
	size_t		i;
	int		off;

	buf[0] = '\0';
	off = 0;
	for (i = 0; r < t->nrecords && i < t->records[r].nfields; i++) {
		off += snprintf(buf + off, sizeof(buf) - (size_t)off, "%s%s",
		    i ? "|" : "", csv_field(t, r, i));
	}

	return (buf);
}

static void
test_csv_parse(void)
{
	struct csv_table	t;
	const char		*s;

	s = "\xef\xbb\xbfชื่อ,นามสกุล\r\nสมชาย,\"ใจ \"\"ดี\"\"\"\r\n"
	    "\"a,b\",\"line\nbreak\"\n\n,\n\"\",x";
	CHECK(csv_parse(s, strlen(s), 0, &t) == CSV_OK);
	CHECK(t.nrecords == 4);
	CHECK(!strcmp(csv_row(&t, 0), "ชื่อ|นามสกุล"));
	CHECK(!strcmp(csv_row(&t, 1), "สมชาย|ใจ \"ดี\""));
	CHECK(!strcmp(csv_row(&t, 2), "a,b|line\nbreak"));
	CHECK(!strcmp(csv_row(&t, 3), "|x"));
	/* Blank records are skipped but counted, as spreadsheet rows. */
	CHECK(t.records[3].index == 6);
	CHECK(t.records[1].bad == 0 && t.records[3].bad == 0);
	CHECK(csv_field(&t, 1, 2) == NULL);
	csv_free(&t);

	/* Text after a closing quote, and a quote left open. */
	s = "a,b\n\"x\"y,z\n1,2\n\"open,3\n4,5\n";
	CHECK(csv_parse(s, strlen(s), 0, &t) == CSV_OK);
	CHECK(t.nrecords == 4);
	CHECK(t.records[1].bad == CSV_BAD_QUOTE);
	CHECK(!strcmp(csv_row(&t, 2), "1|2") && t.records[2].bad == 0);
	CHECK(t.records[3].bad == CSV_BAD_UNTERMINATED);
	csv_free(&t);

	/* A lone CR ends a record; a bare quote inside text is kept. */
	s = "a\rb\"c\r";
	CHECK(csv_parse(s, strlen(s), 0, &t) == CSV_OK);
	CHECK(t.nrecords == 2 && !strcmp(csv_row(&t, 1), "b\"c"));
	csv_free(&t);

	/* NUL bytes stay inside their field (the caller rejects them). */
	CHECK(csv_parse("a\0b,c", 5, 0, &t) == CSV_OK);
	CHECK(t.nrecords == 1 && t.records[0].nfields == 2);
	csv_free(&t);

	s = "h\n1\n2\n\n3\n";
	CHECK(csv_parse(s, strlen(s), 3, &t) == CSV_OK);
	csv_free(&t);
	s = "h\n1\n2\n3\n4\n";
	CHECK(csv_parse(s, strlen(s), 3, &t) == CSV_TOO_MANY);
	csv_free(&t);
	CHECK(csv_parse("", 0, 0, &t) == CSV_OK && t.nrecords == 0);
	csv_free(&t);
	CHECK(csv_parse("\xef\xbb\xbf", 3, 0, &t) == CSV_OK &&
	    t.nrecords == 0);
	csv_free(&t);
}

static void
test_csv_import_words(void)
{
	struct csv_buf	b;
	char		cell[32];

	CHECK(import_column("เลขประจำตัวประชาชน") == IMPORT_NATIONAL_ID);
	CHECK(import_column(" National_ID ") == IMPORT_NATIONAL_ID);
	CHECK(import_column("\xc2\xa0ม.40\xc2\xa0") == IMPORT_SECTION40);
	CHECK(import_column("คำนำหน้า") == IMPORT_TITLE);
	CHECK(import_column("TITLE") == IMPORT_TITLE);
	CHECK(import_column("email") == -1);
	CHECK(import_column("") == -1);
	CHECK(!strcmp(import_column_name(IMPORT_PROVINCE), "province"));

	snprintf(cell, sizeof(cell), "\t ใช่ ");
	CHECK(csv_yes_no(csv_trim(cell)) == 1);
	CHECK(csv_yes_no("Yes") == 1 && csv_yes_no("1") == 1);
	CHECK(csv_yes_no("") == 0 && csv_yes_no("ไม่") == 0);
	CHECK(csv_yes_no("FALSE") == 0);
	CHECK(csv_yes_no("maybe") == -1);
	snprintf(cell, sizeof(cell), "   ");
	CHECK(!strcmp(csv_trim(cell), ""));

	memset(&b, 0, sizeof(b));
	CHECK(csv_buf_field(&b, "นาย", 1));
	CHECK(csv_buf_field(&b, "a,\"b\"", 0));
	CHECK(csv_buf_field(&b, NULL, 0));
	CHECK(csv_buf_field(&b, "=HYPERLINK(1)", 0));
	CHECK(csv_buf_field(&b, "-", 0));
	CHECK(csv_buf_append(&b, "\r\n", 3));	/* with the NUL */
	CHECK(!strcmp(b.data, "นาย,\"a,\"\"b\"\"\",,'=HYPERLINK(1),'-\r\n"));
	csv_buf_free(&b);
}

static void
test_image_sniff(void)
{
	static const u_int8_t	png[] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
		0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 1, 0, 0, 0, 0, 200,
		8, 2, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82
	};
	static const u_int8_t	jpg[] = {
		0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0,
		0xff, 0xc0, 0, 17, 8, 0x01, 0xe0, 0x02, 0x80, 3, 1, 0x22, 0,
		2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9
	};
	static const u_int8_t	webp[] = {
		'R', 'I', 'F', 'F', 22, 0, 0, 0, 'W', 'E', 'B', 'P',
		'V', 'P', '8', 'L', 10, 0, 0, 0, 0x2f, 0x63, 0xc0, 0x1f, 0,
		0, 0, 0, 0, 0
	};
	struct image_info	i;

	CHECK(image_sniff(png, sizeof(png), &i) == IMAGE_OK);
	CHECK(i.type == IMAGE_PNG && i.width == 256 && i.height == 200);
	CHECK(!strcmp(image_content_type(i.type), "image/png"));
	CHECK(image_sniff(png, 20, &i) == IMAGE_CORRUPT);
	CHECK(image_sniff(png, sizeof(png) - 1, &i) == IMAGE_CORRUPT);
	CHECK(image_sniff(png, 4, &i) == IMAGE_UNKNOWN);
	CHECK(image_sniff(jpg, sizeof(jpg), &i) == IMAGE_OK);
	CHECK(i.type == IMAGE_JPEG && i.width == 640 && i.height == 480);
	CHECK(image_sniff(jpg, 12, &i) == IMAGE_CORRUPT);
	CHECK(image_sniff(jpg, 8, &i) == IMAGE_CORRUPT);
	CHECK(image_sniff(webp, sizeof(webp), &i) == IMAGE_OK);
	CHECK(i.type == IMAGE_WEBP && i.width == 100 && i.height == 128);
	CHECK(image_sniff(webp, 24, &i) == IMAGE_CORRUPT);
	CHECK(image_sniff((const u_int8_t *)"hello, world", 12, &i) ==
	    IMAGE_UNKNOWN);
	CHECK(image_sniff(NULL, 0, &i) == IMAGE_UNKNOWN);
	CHECK(image_sniff(png, 0, &i) == IMAGE_UNKNOWN);
}

int
main(void)
{
	test_router();
	test_query();
	test_utf8();
	test_validate();
	test_pii_numbers();
	test_pii_crypto();
	test_csv_parse();
	test_csv_import_words();
	test_image_sniff();

	printf("%d passed, %d failed\n", passed, failed);
	return (failed == 0 ? 0 : 1);
}
