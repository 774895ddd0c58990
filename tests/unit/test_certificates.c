/*
 * Unit tests of api/certificate_pdf.c: Thai dates, and a rendered
 * certificate: a PDF, byte-identical for the same input, dated as told;
 * bad input refused.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "../../api/certificate_pdf.c"
#if defined(NGAN_SANITIZE)
/*
 * LeakSanitizer (make SANITIZE=address test) reads this at exit: what
 * Pango and fontconfig keep for the life of the process is not a leak
 * (tests/unit/valgrind.supp says why).
 */
const char	*__lsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return ("leak:libfontconfig.so\nleak:libpangoft2-1.0.so\n");
}
#endif

static void	test_certificate_dates(void);
static void	test_certificate_pdf(void);
static void	test_certificate_images(void);
static void	test_certificate_doc_fill(void);
static cairo_status_t	png_collect(void *, const unsigned char *,
			    unsigned int);

static cairo_status_t
png_collect(void *closure, const unsigned char *data, unsigned int len)
{
	return (pdf_write(closure, data, len));
}

static void
test_certificate_dates(void)
{
	char	buf[128];

	CHECK(cert_thai_date(2017, 12, 7, CERT_DIGITS_THAI, buf, sizeof(buf)));
	CHECK(!strcmp(buf, "๗ ธันวาคม ๒๕๖๐"));
	CHECK(cert_thai_date(2020, 1, 31, CERT_DIGITS_ARABIC, buf,
	    sizeof(buf)));
	CHECK(!strcmp(buf, "31 มกราคม 2563"));
	CHECK(!cert_thai_date(2020, 13, 1, CERT_DIGITS_THAI, buf,
	    sizeof(buf)));
	CHECK(!cert_thai_date(2017, 12, 7, CERT_DIGITS_THAI, buf, 10));

	CHECK(cert_thai_date_range("2017-12-07", "2017-12-07",
	    CERT_DIGITS_THAI, buf, sizeof(buf)));
	CHECK(!strcmp(buf, "๗ ธันวาคม ๒๕๖๐"));
	CHECK(cert_thai_date_range("2017-12-07", "2017-12-08",
	    CERT_DIGITS_ARABIC, buf, sizeof(buf)));
	CHECK(!strcmp(buf, "7-8 ธันวาคม 2560"));
	CHECK(cert_thai_date_range("2017-11-30", "2017-12-02",
	    CERT_DIGITS_THAI, buf, sizeof(buf)));
	CHECK(!strcmp(buf, "๓๐ พฤศจิกายน - ๒ ธันวาคม ๒๕๖๐"));
	CHECK(cert_thai_date_range("2019-12-31", "2020-01-01",
	    CERT_DIGITS_ARABIC, buf, sizeof(buf)));
	CHECK(!strcmp(buf, "31 ธันวาคม 2562 - 1 มกราคม 2563"));
	CHECK(!cert_thai_date_range("2017-12-7", "2017-12-08",
	    CERT_DIGITS_THAI, buf, sizeof(buf)));
	CHECK(!cert_thai_date_range("2017-12-07", NULL, CERT_DIGITS_THAI,
	    buf, sizeof(buf)));
}

static void
test_certificate_pdf(void)
{
	struct cert_doc	doc;
	u_int8_t	*a, *b;
	size_t		alen, blen;

	CHECK(cert_pdf_init());

	memset(&doc, 0, sizeof(doc));
	doc.agency = "สำนักงานแรงงานจังหวัดลำปาง";
	doc.name = "นางสาวน้ำผึ้ง ใจดี";
	doc.event_title = "สัมมนาเครือข่ายอาสาสมัครแรงงาน";
	doc.dates = "๗ ธันวาคม ๒๕๖๐";
	doc.token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
	doc.short_code = "ABCD-EFGH-JKMN";
	doc.created = "2017-12-07T13:30:00+07:00";

	CHECK(cert_pdf_render(&doc, &a, &alen) == CERT_OK);
	CHECK(cert_pdf_render(&doc, &b, &blen) == CERT_OK);
	CHECK(alen > 1000 && alen == blen && !memcmp(a, b, alen));
	CHECK(alen > 5 && !memcmp(a, "%PDF-", 5));
	/* Cairo 1.16 writes the date without PDF's "D:" prefix. */
	CHECK(memmem(a, alen, "/CreationDate (20171207133000+07'00)", 36) !=
	    NULL);
	free(b);

	/* Another issue time, other bytes. */
	doc.created = "2017-12-08T09:00:00+07:00";
	CHECK(cert_pdf_render(&doc, &b, &blen) == CERT_OK);
	CHECK(alen != blen || memcmp(a, b, alen) != 0);
	free(a);
	free(b);

	doc.name = "\xe0\xb8";		/* cut in the middle of a letter */
	CHECK(cert_pdf_render(&doc, &a, &alen) == CERT_BAD_INPUT &&
	    a == NULL && alen == 0);
	doc.name = "นาย ก";
	doc.token = NULL;
	CHECK(cert_pdf_render(&doc, &a, &alen) == CERT_BAD_INPUT);
}

/* A PNG logo is drawn, the same bytes each time; a broken one refused. */
static void
test_certificate_images(void)
{
	struct cert_doc		doc;
	struct pdf_buf		png;
	cairo_surface_t		*s;
	cairo_t			*cr;
	u_int8_t		*a, *b, junk[64];
	size_t			alen, blen, plain;

	memset(&png, 0, sizeof(png));
	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 40, 20);
	cr = cairo_create(s);
	cairo_set_source_rgb(cr, 0.8, 0.1, 0.1);
	cairo_paint(cr);
	cairo_destroy(cr);
	CHECK(cairo_surface_write_to_png_stream(s, png_collect, &png) ==
	    CAIRO_STATUS_SUCCESS);
	cairo_surface_destroy(s);

	memset(&doc, 0, sizeof(doc));
	doc.name = "นายสมชาย ใจดี";
	doc.event_title = "อบรม";
	doc.token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
	doc.created = "2017-12-07T13:30:00+07:00";
	CHECK(cert_pdf_render(&doc, &a, &plain) == CERT_OK);
	free(a);

	doc.logo.data = png.data;
	doc.logo.len = png.len;
	doc.logo.type = CERT_IMAGE_PNG;
	doc.logo.width = 40;
	doc.logo.height = 20;
	CHECK(cert_pdf_render(&doc, &a, &alen) == CERT_OK);
	CHECK(cert_pdf_render(&doc, &b, &blen) == CERT_OK);
	CHECK(alen != plain && alen == blen && !memcmp(a, b, alen));
	CHECK(memmem(a, alen, "/Subtype /Image", 15) != NULL);
	free(a);
	free(b);

	memset(junk, 'x', sizeof(junk));
	doc.logo.data = junk;
	doc.logo.len = sizeof(junk);
	CHECK(cert_pdf_render(&doc, &a, &alen) == CERT_BAD_INPUT);
	doc.logo.data = png.data;
	doc.logo.len = png.len;
	doc.logo.width = CERT_IMAGE_SIDE_MAX + 1;
	CHECK(cert_pdf_render(&doc, &a, &alen) == CERT_BAD_INPUT);
	free(png.data);
}

void
unit_certificates(void)
{
	test_certificate_dates();
	test_certificate_pdf();
	test_certificate_images();
	test_certificate_doc_fill();
}

/*
 * What the database gives becomes what the page prints: the same for the
 * single download and the ZIP builder (tools/ngan-certzip.c).
 */
static void
test_certificate_doc_fill(void)
{
	struct cert_doc		doc;
	struct cert_texts	t;
	json_t			*info;

	info = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:s}", "agency", "กรมการจัดหางาน",
	    "name", "นางสาวน้ำผึ้ง ศรีสุขใจ",
	    "event_title", "อบรม", "date_from", "2017-12-07",
	    "date_to", "2017-12-08", "issued_date", "2017-12-08",
	    "short_code", "7K3M-Q9TX-2HPA", "token", "a.b.c",
	    "issued_at", "2017-12-08T16:00:00+07:00", "venue", "ห้อง ๑");
	CHECK(info != NULL);
	cert_doc_fill(&doc, info, "https://ngan.example/v1/certificates/verify",
	    &t);
	CHECK(!strcmp(doc.name, "นางสาวน้ำผึ้ง ศรีสุขใจ"));
	CHECK(!strcmp(doc.dates, "๗-๘ ธันวาคม ๒๕๖๐"));
	CHECK(!strcmp(doc.issued_text, "ให้ไว้ ณ วันที่ ๘ ธันวาคม ๒๕๖๐"));
	CHECK(!strcmp(doc.short_code, "7K3M-Q9TX-2HPA"));
	CHECK(!strcmp(doc.created, "2017-12-08T16:00:00+07:00"));
	CHECK(!strcmp(doc.verify_url,
	    "https://ngan.example/v1/certificates/verify"));
	CHECK(doc.presiding_name == NULL && doc.logo.len == 0);

	/* Arabic digits when the template says so; no dates, none printed. */
	json_object_set_new(info, "digits", json_string("arabic"));
	json_object_del(info, "date_to");
	cert_doc_fill(&doc, info, "u", &t);
	CHECK(doc.dates == NULL);
	CHECK(!strcmp(doc.issued_text, "ให้ไว้ ณ วันที่ 8 ธันวาคม 2560"));
	json_decref(info);
}
