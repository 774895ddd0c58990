/*
 * A certificate as a PDF page: A4 landscape, Thai set by Pango (HarfBuzz
 * shapes stacked vowels and tone marks, libthai finds the word breaks
 * Thai writes without spaces) in Laksaman, the TLWG font of the TH
 * Sarabun design government documents use, drawn by Cairo, with the
 * verification token as a QR code (libqrencode). Pure: data in, bytes
 * out, no Kore, no database; the unit tests include it.
 *
 * The same input gives the same bytes: the creation date is the one the
 * caller names (the certificate's issue time), and Cairo writes no random
 * id (its font subset tags are hashes of the subset).
 *
 * Fontconfig reads its configuration and caches and FreeType maps the
 * font files on first use: cert_pdf_init() does that once in Kore's
 * parent, before the workers fork (and before any chroot), by rendering
 * one page; the workers inherit the loaded fonts. Fontconfig's rescan is
 * off, so a worker never looks at the font folders again.
 */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fontconfig/fontconfig.h>
#include <jansson.h>

#include "certificates.h"
#include "pdf.h"

#define PAGE_W		841.89	/* A4 landscape, points */
#define PAGE_H		595.28
#define MARGIN		24.0
#define COLUMN_W	700.0	/* the centred text */
#define QR_SIDE		112.0	/* points, quiet zone included */
#define FONT		PDF_FONT
#define TEXT_MAX	PDF_TEXT_MAX

/* Reading a PNG from memory. */
struct png_src {
	const u_int8_t	*data;
	size_t		len;
	size_t		off;
};

static int	threads_count(void);
static int	image_draw(cairo_t *, const struct cert_image *, double,
		    double, double, double);
static cairo_status_t	png_read(void *, unsigned char *, unsigned int);
static void	page_draw(struct pdf_doc *, const struct cert_doc *);
static int	digits_append(char *, size_t, size_t *, int, int);
static int	text_append(char *, size_t, size_t *, const char *);
static int	date_parse(const char *, int *, int *, int *);

static const char *const thai_months[12] = {
	"มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
	"กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"
};

/*
 * Pango matches a font for each font description, language and script
 * it meets once, sorting the fallbacks in a thread of its own; a text
 * too long for its lines ends in an ellipsis, which Laksaman lacks (a
 * fallback font draws it). Every field of the warm-up page mixes Thai,
 * Latin, both kinds of digits and punctuation, at a length that is cut
 * short: a worker seldom meets a new combination (api/main.c lets it
 * make that thread when it does).
 */
#define WARM	"ไทย Latin 0123 ๐๑๒๓ (-.,:/) "
#define WARM4	WARM WARM WARM WARM
#define WARM_LONG	WARM4 WARM4 WARM4 WARM4 WARM4 WARM4
static const struct cert_doc warm_doc = {
	WARM_LONG, WARM_LONG, WARM_LONG, WARM_LONG, WARM_LONG, WARM_LONG,
	WARM_LONG, WARM_LONG, WARM_LONG, WARM_LONG, "warm-up",
	"2017-12-07T13:30:00+07:00"
};

/*
 * Loads fontconfig, the fonts and libthai's dictionary by rendering one
 * page, and stops fontconfig rescanning the font folders. Once, in Kore's
 * parent; the unit tests call it too. KORE_RESULT-style: 1 when done.
 */
int
cert_pdf_init(void)
{
	struct timespec	pause = { 0, 10 * 1000 * 1000 };
	u_int8_t	*pdf;
	size_t		len;
	int		i;

	if (!FcInit())
		return (0);
	(void)FcConfigSetRescanInterval(NULL, 0);
	if (cert_pdf_render(&warm_doc, &pdf, &len) != CERT_OK)
		return (0);
	free(pdf);

	/*
	 * Kore forks the workers right after: Pango's threads must have
	 * ended, none holding a lock a worker would wait on forever (up
	 * to 2 s; they end in milliseconds).
	 */
	for (i = 0; i < 200 && threads_count() > 1; i++)
		(void)nanosleep(&pause, NULL);

	return (1);
}

/* This process's threads, from /proc (Linux); 0 when unknown. */
static int
threads_count(void)
{
	DIR		*d;
	struct dirent	*e;
	int		n;

	if ((d = opendir("/proc/self/task")) == NULL)
		return (0);
	n = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.')
			n++;
	}
	(void)closedir(d);

	return (n);
}

/*
 * Renders the certificate. On CERT_OK *pdf (caller must free()) holds
 * *len bytes.
 */
int
cert_pdf_render(const struct cert_doc *doc, u_int8_t **pdf, size_t *len)
{
	struct pdf_doc	d;
	int		ret;

	*pdf = NULL;
	*len = 0;
	if (!pdf_text_ok(doc->name, 1) || !pdf_text_ok(doc->event_title, 1) ||
	    !pdf_text_ok(doc->token, 1) || !pdf_text_ok(doc->created, 1) ||
	    !pdf_text_ok(doc->agency, 0) || !pdf_text_ok(doc->dates, 0) ||
	    !pdf_text_ok(doc->venue, 0) ||
	    !pdf_text_ok(doc->presiding_name, 0) ||
	    !pdf_text_ok(doc->presiding_position, 0) ||
	    !pdf_text_ok(doc->issued_text, 0) ||
	    !pdf_text_ok(doc->short_code, 0) ||
	    !pdf_text_ok(doc->verify_url, 0))
		return (CERT_BAD_INPUT);

	pdf_begin(&d, PAGE_W, PAGE_H, "เกียรติบัตร", doc->created);
	page_draw(&d, doc);
	ret = pdf_qr(&d, doc->token, MARGIN + 28.0,
	    PAGE_H - MARGIN - 54.0 - QR_SIDE, QR_SIDE) ? CERT_OK : CERT_RENDER;
	/* The logo top left, the signature above the official's name. */
	if (ret == CERT_OK && (!image_draw(d.cr, &doc->logo, MARGIN + 24.0,
	    MARGIN + 20.0, 80.0, 80.0) || !image_draw(d.cr, &doc->signature,
	    PAGE_W - MARGIN - 320.0 + 65.0, PAGE_H - MARGIN - 131.0, 160.0,
	    44.0)))
		ret = CERT_BAD_INPUT;
	cairo_show_page(d.cr);

	if (!pdf_end(&d, ret == CERT_OK, pdf, len) && ret == CERT_OK)
		ret = CERT_RENDER;

	return (ret);
}

static void
page_draw(struct pdf_doc *d, const struct cert_doc *doc)
{
	cairo_t		*cr;
	double		x, y, sx, sw;
	char		line[TEXT_MAX + 64];

	cr = d->cr;

	/* Paper, and a double frame. */
	cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0.55, 0.42, 0.13);
	cairo_set_line_width(cr, 3.0);
	cairo_rectangle(cr, MARGIN, MARGIN, PAGE_W - 2 * MARGIN,
	    PAGE_H - 2 * MARGIN);
	cairo_stroke(cr);
	cairo_set_line_width(cr, 1.0);
	cairo_rectangle(cr, MARGIN + 7, MARGIN + 7, PAGE_W - 2 * MARGIN - 14,
	    PAGE_H - 2 * MARGIN - 14);
	cairo_stroke(cr);

	/* The centred column, top down. */
	x = (PAGE_W - COLUMN_W) / 2;
	y = MARGIN + 20.0;
	cairo_set_source_rgb(cr, 0.08, 0.16, 0.38);
	y += pdf_text(d, doc->agency, FONT " Bold 20", x, y, COLUMN_W,
	    PANGO_ALIGN_CENTER, 2);
	y += pdf_text(d, "เกียรติบัตร", FONT " Bold 40", x, y,
	    COLUMN_W, PANGO_ALIGN_CENTER, 1);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	y += pdf_text(d, "ขอมอบเกียรติบัตรฉบับนี้ไว้เพื่อแสดงว่า",
	    FONT " 18", x, y, COLUMN_W, PANGO_ALIGN_CENTER, 1);
	cairo_set_source_rgb(cr, 0.08, 0.16, 0.38);
	y += pdf_text(d, doc->name, FONT " Bold 32", x, y, COLUMN_W,
	    PANGO_ALIGN_CENTER, 1);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	y += pdf_text(d, "ได้เข้าร่วม", FONT " 18", x, y, COLUMN_W,
	    PANGO_ALIGN_CENTER, 1);
	y += pdf_text(d, doc->event_title, FONT " Bold 22", x, y,
	    COLUMN_W, PANGO_ALIGN_CENTER, 3);
	if (doc->dates != NULL && *doc->dates != '\0') {
		(void)snprintf(line, sizeof(line), "เมื่อวันที่ %s",
		    doc->dates);
		y += pdf_text(d, line, FONT " 18", x, y, COLUMN_W,
		    PANGO_ALIGN_CENTER, 1);
	}
	if (doc->venue != NULL && *doc->venue != '\0') {
		(void)snprintf(line, sizeof(line), "ณ %s", doc->venue);
		(void)pdf_text(d, line, FONT " 18", x, y, COLUMN_W,
		    PANGO_ALIGN_CENTER, 2);
	}

	/* Bottom right: the date given, and the presiding official signs. */
	sx = PAGE_W - MARGIN - 320.0;
	sw = 290.0;
	y = PAGE_H - MARGIN - 160.0;
	y += pdf_text(d, doc->issued_text, FONT " 16", sx, y, sw,
	    PANGO_ALIGN_CENTER, 1) + 48.0;
	cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
	cairo_set_line_width(cr, 0.6);
	cairo_move_to(cr, sx + 40.0, y);
	cairo_line_to(cr, sx + sw - 40.0, y);
	cairo_stroke(cr);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	y += 2.0;
	if (doc->presiding_name != NULL && *doc->presiding_name != '\0') {
		(void)snprintf(line, sizeof(line), "(%s)", doc->presiding_name);
		y += pdf_text(d, line, FONT " 18", sx, y, sw,
		    PANGO_ALIGN_CENTER, 2);
	}
	(void)pdf_text(d, doc->presiding_position, FONT " 16", sx, y,
	    sw, PANGO_ALIGN_CENTER, 1);

	/* Under the QR code: the short code and where to check it. */
	x = MARGIN + 28.0;
	y = PAGE_H - MARGIN - 52.0;
	if (doc->short_code != NULL && *doc->short_code != '\0') {
		(void)snprintf(line, sizeof(line), "รหัสตรวจสอบ %s",
		    doc->short_code);
		y += pdf_text(d, line, FONT " Bold 13", x, y, 300.0,
		    PANGO_ALIGN_LEFT, 1);
	}
	(void)pdf_text(d, doc->verify_url, FONT " 10", x, y, 400.0,
	    PANGO_ALIGN_LEFT, 1);
}

static cairo_status_t
png_read(void *closure, unsigned char *data, unsigned int len)
{
	struct png_src	*src;

	src = closure;
	if (len > src->len - src->off)
		return (CAIRO_STATUS_READ_ERROR);
	memcpy(data, src->data + src->off, len);
	src->off += len;

	return (CAIRO_STATUS_SUCCESS);
}

/*
 * An image fitted into a w by h box at (x, y), centred, its proportions
 * kept. A PNG is decoded (libpng, through Cairo); a JPEG goes into the
 * PDF as it is (Cairo embeds the JPEG bytes a surface carries as its
 * MIME data), over a blank surface of its size. 1 when drawn or absent.
 */
static int
image_draw(cairo_t *cr, const struct cert_image *img, double x, double y,
    double w, double h)
{
	cairo_surface_t	*s;
	struct png_src	src;
	double		scale;
	int		iw, ih;

	if (img->len == 0)
		return (1);
	if (img->data == NULL || img->width < 1 || img->height < 1 ||
	    img->width > CERT_IMAGE_SIDE_MAX ||
	    img->height > CERT_IMAGE_SIDE_MAX)
		return (0);

	if (img->type == CERT_IMAGE_PNG) {
		src.data = img->data;
		src.len = img->len;
		src.off = 0;
		s = cairo_image_surface_create_from_png_stream(png_read, &src);
	} else if (img->type == CERT_IMAGE_JPEG) {
		s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, img->width,
		    img->height);
		if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS &&
		    cairo_surface_set_mime_data(s, CAIRO_MIME_TYPE_JPEG,
		    img->data, img->len, NULL, NULL) != CAIRO_STATUS_SUCCESS) {
			cairo_surface_destroy(s);
			return (0);
		}
	} else {
		return (0);
	}
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(s);
		return (0);
	}

	iw = cairo_image_surface_get_width(s);
	ih = cairo_image_surface_get_height(s);
	scale = w / iw < h / ih ? w / iw : h / ih;
	cairo_save(cr);
	cairo_translate(cr, x + (w - iw * scale) / 2, y + (h - ih * scale) / 2);
	cairo_scale(cr, scale, scale);
	cairo_set_source_surface(cr, s, 0, 0);
	cairo_paint(cr);
	cairo_restore(cr);
	cairo_surface_destroy(s);

	return (1);
}

/* Appends n in Thai or Arabic digits. */
static int
digits_append(char *buf, size_t size, size_t *off, int n, int digits)
{
	char		num[16], thai[4];
	int		i, len;

	len = snprintf(num, sizeof(num), "%d", n);
	if (len <= 0 || (size_t)len >= sizeof(num))
		return (0);
	for (i = 0; i < len; i++) {
		if (digits == CERT_DIGITS_ARABIC || num[i] < '0' ||
		    num[i] > '9') {
			thai[0] = num[i];
			thai[1] = '\0';
		} else {
			/* U+0E50 THAI DIGIT ZERO onwards. */
			thai[0] = (char)0xe0;
			thai[1] = (char)0xb9;
			thai[2] = (char)(0x90 + (num[i] - '0'));
			thai[3] = '\0';
		}
		if (!text_append(buf, size, off, thai))
			return (0);
	}

	return (1);
}

static int
text_append(char *buf, size_t size, size_t *off, const char *s)
{
	size_t		n;

	n = strlen(s);
	if (*off + n >= size)
		return (0);
	memcpy(buf + *off, s, n + 1);
	*off += n;

	return (1);
}

/*
 * "๗ ธันวาคม ๒๕๖๐": day, Thai month, Buddhist Era year (CE + 543).
 * 1 when it fits in buf.
 */
int
cert_thai_date(int year, int month, int day, int digits, char *buf,
    size_t size)
{
	size_t		off;

	off = 0;
	if (size == 0 || month < 1 || month > 12 || day < 1 || day > 31 ||
	    year < 1 || year > 9999)
		return (0);
	buf[0] = '\0';

	return (digits_append(buf, size, &off, day, digits) &&
	    text_append(buf, size, &off, " ") &&
	    text_append(buf, size, &off, thai_months[month - 1]) &&
	    text_append(buf, size, &off, " ") &&
	    digits_append(buf, size, &off, year + 543, digits));
}

/* "YYYY-MM-DD" and nothing else. */
static int
date_parse(const char *s, int *y, int *m, int *d)
{
	int		i;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return (0);
	for (i = 0; i < 10; i++) {
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return (0);
	}
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	*m = (s[5] - '0') * 10 + (s[6] - '0');
	*d = (s[8] - '0') * 10 + (s[9] - '0');

	return (*m >= 1 && *m <= 12 && *d >= 1 && *d <= 31 && *y >= 1);
}

/*
 * An event's dates as a Thai document writes them, from two local dates
 * ("YYYY-MM-DD"): "๗ ธันวาคม ๒๕๖๐", "๗-๘ ธันวาคม ๒๕๖๐",
 * "๓๐ พฤศจิกายน - ๒ ธันวาคม ๒๕๖๐", or both dates in full across years.
 */
int
cert_thai_date_range(const char *from, const char *to, int digits,
    char *buf, size_t size)
{
	char		first[128];
	size_t		off;
	int		y1, m1, d1, y2, m2, d2;

	if (!date_parse(from, &y1, &m1, &d1) || !date_parse(to, &y2, &m2, &d2))
		return (0);
	if (y1 == y2 && m1 == m2 && d1 == d2)
		return (cert_thai_date(y1, m1, d1, digits, buf, size));

	off = 0;
	if (size == 0)
		return (0);
	buf[0] = '\0';
	if (y1 == y2 && m1 == m2) {
		return (digits_append(buf, size, &off, d1, digits) &&
		    text_append(buf, size, &off, "-") &&
		    digits_append(buf, size, &off, d2, digits) &&
		    text_append(buf, size, &off, " ") &&
		    text_append(buf, size, &off, thai_months[m1 - 1]) &&
		    text_append(buf, size, &off, " ") &&
		    digits_append(buf, size, &off, y1 + 543, digits));
	}
	if (y1 == y2) {
		return (digits_append(buf, size, &off, d1, digits) &&
		    text_append(buf, size, &off, " ") &&
		    text_append(buf, size, &off, thai_months[m1 - 1]) &&
		    text_append(buf, size, &off, " - ") &&
		    cert_thai_date(y2, m2, d2, digits, first, sizeof(first)) &&
		    text_append(buf, size, &off, first));
	}

	return (cert_thai_date(y1, m1, d1, digits, first, sizeof(first)) &&
	    text_append(buf, size, &off, first) &&
	    text_append(buf, size, &off, " - ") &&
	    cert_thai_date(y2, m2, d2, digits, first, sizeof(first)) &&
	    text_append(buf, size, &off, first));
}

/*
 * The texts of a certificate from what the database gives for it
 * (api.certificate_pdf_of, api.job_certificates): doc points into info
 * and into t, which must outlive it; verify_url is the page the short
 * code is typed on. The images are the caller's.
 */
void
cert_doc_fill(struct cert_doc *doc, json_t *info, const char *verify_url,
    struct cert_texts *t)
{
	const char	*from, *to, *digits_name, *issued;
	int		digits;

#define TEXT(k)	json_string_value(json_object_get(info, (k)))
	memset(doc, 0, sizeof(*doc));
	digits_name = TEXT("digits");
	digits = digits_name != NULL && !strcmp(digits_name, "arabic") ?
	    CERT_DIGITS_ARABIC : CERT_DIGITS_THAI;
	from = TEXT("date_from");
	to = TEXT("date_to");
	if (from != NULL && to != NULL && cert_thai_date_range(from, to,
	    digits, t->dates, sizeof(t->dates)))
		doc->dates = t->dates;
	issued = TEXT("issued_date");
	if (issued != NULL && cert_thai_date_range(issued, issued, digits,
	    t->day, sizeof(t->day))) {
		(void)snprintf(t->issued, sizeof(t->issued),
		    "ให้ไว้ ณ วันที่ %s", t->day);
		doc->issued_text = t->issued;
	}
	doc->verify_url = verify_url;
	doc->agency = TEXT("agency");
	doc->name = TEXT("name");
	doc->event_title = TEXT("event_title");
	doc->venue = TEXT("venue");
	doc->presiding_name = TEXT("presiding_official");
	doc->short_code = TEXT("short_code");
	doc->token = TEXT("token");
	doc->created = TEXT("issued_at");
#undef TEXT
}
