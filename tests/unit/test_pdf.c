/*
 * Unit tests of api/pdf.c and api/ticket_pdf.c: a compact ticket's QR
 * code is alphanumeric and small, a printed ticket and a sheet of badges
 * are PDFs with as many pages as they should have; bad input refused.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "certificates.h"

#include "../../api/pdf.c"
#include "../../api/ticket_pdf.c"

static void	test_pdf_qr(void);
static void	test_ticket_pdf(void);
static void	test_badges_pdf(void);
static size_t	pages_count(const u_int8_t *, size_t);

static const struct ticket_event	event = {
	"สำนักงานแรงงานจังหวัดลำปาง", "สัมมนาเครือข่ายอาสาสมัครแรงงาน",
	"7-8 ธันวาคม 2569", "09:00-16:00 น.", "โรงแรมเวียงลคอร ตำบลสวนดอก"
};

/* 168 characters as a compact ticket is: "NG1:" and base45. */
#define COMPACT	"NG1:" \
	"6BFOXN*TS0BI$ZD4N9:9S6RCVN0G/VZ$2MO49JMOTFA:J4/ZPBQ4C+FAP" \
	"6BFOXN*TS0BI$ZD4N9:9S6RCVN0G/VZ$2MO49JMOTFA:J4/ZPBQ4C+FAP" \
	"6BFOXN*TS0BI$ZD4N9:9S6RCVN0G/VZ$2MO49JMOTFA:J4/ZPB"

/* "/Type /Page" not followed by "s": one a page. */
static size_t
pages_count(const u_int8_t *pdf, size_t len)
{
	const u_int8_t	*p, *end;
	size_t		n;

	n = 0;
	end = pdf + len;
	for (p = pdf; (p = memmem(p, (size_t)(end - p), "/Type /Page",
	    11)) != NULL; p += 11) {
		if (p + 11 < end && p[11] != 's')
			n++;
	}

	return (n);
}

static void
test_pdf_qr(void)
{
	QRcode	*qr;

	CHECK(strlen(COMPACT) == 168);
	/* Alphanumeric mode: version 7 (45 modules) at most, level M. */
	CHECK((qr = qr_encode(COMPACT)) != NULL && qr->version <= 7 &&
	    qr->width <= 45);
	QRcode_free(qr);
	/* Lower case is not alphanumeric: 8-bit, a larger code. */
	CHECK((qr = qr_encode("ng1:6bfoxn*ts0bi$zd4n9:9s6rcvn0g/vz$2mo49jmo"
	    "tfa:j4/zpbq4c+fap6bfoxn*ts0bi$zd4n9:9s6rcvn0g/vz$2mo49jmotfa:j4"
	    "/zpbq4c+fap6bfoxn*ts0bi$zd4n9:9s6rcvn0g/vz$2mo49jmotfa:j4/zpb"
	    "q4c+")) != NULL && qr->version > 7);
	QRcode_free(qr);
}

static void
test_ticket_pdf(void)
{
	struct ticket_doc	doc;
	struct ticket_event	ev;
	u_int8_t		*pdf;
	size_t			len;

	CHECK(cert_pdf_init());
	doc.name = "นางสาวน้ำผึ้ง ใจดี";
	doc.target_group = "อาสาสมัครแรงงาน (อสร.)";
	doc.code = COMPACT;
	CHECK(ticket_pdf_render(&event, &doc, "2026-12-07T09:00:00+07:00",
	    &pdf, &len) == PDF_OK);
	CHECK(len > 1000 && !memcmp(pdf, "%PDF-", 5));
	CHECK(pages_count(pdf, len) == 1);
	/* A6 portrait: 105 x 148 mm. */
	CHECK(memmem(pdf, len, "/MediaBox [ 0 0 297.64 419.53 ]", 31) !=
	    NULL);
	free(pdf);

	doc.name = "\xe0\xb8";		/* cut in the middle of a letter */
	CHECK(ticket_pdf_render(&event, &doc, "2026-12-07T09:00:00+07:00",
	    &pdf, &len) == PDF_BAD_INPUT && pdf == NULL && len == 0);
	doc.name = "นาย ก";
	doc.code = NULL;
	CHECK(ticket_pdf_render(&event, &doc, "2026-12-07T09:00:00+07:00",
	    &pdf, &len) == PDF_BAD_INPUT);
	ev = event;
	ev.title = NULL;
	doc.code = COMPACT;
	CHECK(ticket_pdf_render(&ev, &doc, "2026-12-07T09:00:00+07:00",
	    &pdf, &len) == PDF_BAD_INPUT);
}

static void
test_badges_pdf(void)
{
	struct ticket_doc	docs[BADGES_MAX + 1];
	u_int8_t		*pdf;
	size_t			i, len;

	for (i = 0; i < BADGES_MAX + 1; i++) {
		docs[i].name = "นายสมชาย ใจดี";
		docs[i].target_group = "เกษตรกร";
		docs[i].code = COMPACT;
	}
	/* Eight to a sheet: 9 badges, 2 sheets; none, 1 empty sheet. */
	CHECK(badges_pdf_render(&event, docs, 9, "2026-12-07T09:00:00+07:00",
	    &pdf, &len) == PDF_OK);
	CHECK(pages_count(pdf, len) == 2);
	CHECK(memmem(pdf, len, "/MediaBox [ 0 0 595.28 841.89 ]", 31) !=
	    NULL);
	free(pdf);
	CHECK(badges_pdf_render(&event, docs, 0, "2026-12-07T09:00:00+07:00",
	    &pdf, &len) == PDF_OK);
	CHECK(pages_count(pdf, len) == 1);
	free(pdf);
	CHECK(badges_pdf_render(&event, docs, BADGES_MAX,
	    "2026-12-07T09:00:00+07:00", &pdf, &len) == PDF_OK);
	CHECK(pages_count(pdf, len) == BADGES_MAX / 8);
	free(pdf);

	CHECK(badges_pdf_render(&event, docs, BADGES_MAX + 1,
	    "2026-12-07T09:00:00+07:00", &pdf, &len) == PDF_BAD_INPUT &&
	    pdf == NULL);
	docs[3].name = NULL;
	CHECK(badges_pdf_render(&event, docs, 9, "2026-12-07T09:00:00+07:00",
	    &pdf, &len) == PDF_BAD_INPUT);
}

void
unit_pdf(void)
{
	test_pdf_qr();
	test_ticket_pdf();
	test_badges_pdf();
}
