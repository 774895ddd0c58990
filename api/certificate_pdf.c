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

#include <cairo.h>
#include <cairo-pdf.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <qrencode.h>

#include "certificates.h"

#define PAGE_W		841.89	/* A4 landscape, points */
#define PAGE_H		595.28
#define MARGIN		24.0
#define COLUMN_W	700.0	/* the centred text */
#define QR_SIDE		112.0	/* points, quiet zone included */
#define QR_QUIET	4	/* modules of white around the code */
#define PDF_MAX		(16 * 1024 * 1024)
#define TEXT_MAX	2000	/* bytes of one field */
#define FONT		"Laksaman"

/* Reading a PNG from memory. */
struct png_src {
	const u_int8_t	*data;
	size_t		len;
	size_t		off;
};

struct pdf_buf {
	u_int8_t	*data;
	size_t		len;
	size_t		cap;
	int		failed;
};

static cairo_status_t	pdf_write(void *, const unsigned char *,
			    unsigned int);
static int	text_ok(const char *, int);
static double	text_block(cairo_t *, PangoContext *, const char *,
		    const char *, double, double, double, PangoAlignment, int);
static void	runs_join(PangoLayout *);
static int	threads_count(void);
static int	qr_draw(cairo_t *, const char *, double, double, double);
static int	image_draw(cairo_t *, const struct cert_image *, double,
		    double, double, double);
static cairo_status_t	png_read(void *, unsigned char *, unsigned int);
static void	page_draw(cairo_t *, PangoContext *, const struct cert_doc *);
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

/* Cairo's output stream: the whole file in memory, PDF_MAX at most. */
static cairo_status_t
pdf_write(void *closure, const unsigned char *data, unsigned int len)
{
	struct pdf_buf	*b;
	u_int8_t	*p;
	size_t		cap;

	b = closure;
	if (b->failed || len > PDF_MAX - b->len) {
		b->failed = 1;
		return (CAIRO_STATUS_WRITE_ERROR);
	}
	if (b->len + len > b->cap) {
		cap = b->cap == 0 ? 65536 : b->cap;
		while (cap < b->len + len)
			cap *= 2;
		if ((p = realloc(b->data, cap)) == NULL) {
			b->failed = 1;
			return (CAIRO_STATUS_NO_MEMORY);
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;

	return (CAIRO_STATUS_SUCCESS);
}

/* Present when required, short enough, valid UTF-8. */
static int
text_ok(const char *s, int required)
{
	if (s == NULL || *s == '\0')
		return (!required);
	if (strlen(s) > TEXT_MAX)
		return (0);

	return (g_utf8_validate(s, -1, NULL));
}

/*
 * Renders the certificate. On CERT_OK *pdf (caller must free()) holds
 * *len bytes.
 */
int
cert_pdf_render(const struct cert_doc *doc, u_int8_t **pdf, size_t *len)
{
	struct pdf_buf		buf;
	cairo_surface_t		*surface;
	cairo_t			*cr;
	cairo_font_options_t	*options;
	PangoContext		*ctx;
	int			ret;

	*pdf = NULL;
	*len = 0;
	if (!text_ok(doc->name, 1) || !text_ok(doc->event_title, 1) ||
	    !text_ok(doc->token, 1) || !text_ok(doc->created, 1) ||
	    !text_ok(doc->agency, 0) || !text_ok(doc->dates, 0) ||
	    !text_ok(doc->venue, 0) || !text_ok(doc->presiding_name, 0) ||
	    !text_ok(doc->presiding_position, 0) ||
	    !text_ok(doc->issued_text, 0) || !text_ok(doc->short_code, 0) ||
	    !text_ok(doc->verify_url, 0))
		return (CERT_BAD_INPUT);

	memset(&buf, 0, sizeof(buf));
	surface = cairo_pdf_surface_create_for_stream(pdf_write, &buf,
	    PAGE_W, PAGE_H);
	cairo_pdf_surface_set_metadata(surface,
	    CAIRO_PDF_METADATA_CREATE_DATE, doc->created);
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE,
	    "เกียรติบัตร");
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR,
	    "ngan");
	cr = cairo_create(surface);

	/* Sizes in points, glyph positions not snapped to a device grid. */
	ctx = pango_cairo_create_context(cr);
	pango_cairo_context_set_resolution(ctx, 72.0);
	options = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(ctx, options);
	cairo_font_options_destroy(options);

	page_draw(cr, ctx, doc);
	ret = qr_draw(cr, doc->token, MARGIN + 28.0,
	    PAGE_H - MARGIN - 54.0 - QR_SIDE, QR_SIDE) ? CERT_OK : CERT_RENDER;
	/* The logo top left, the signature above the official's name. */
	if (ret == CERT_OK && (!image_draw(cr, &doc->logo, MARGIN + 24.0,
	    MARGIN + 20.0, 80.0, 80.0) || !image_draw(cr, &doc->signature,
	    PAGE_W - MARGIN - 320.0 + 65.0, PAGE_H - MARGIN - 131.0, 160.0,
	    44.0)))
		ret = CERT_BAD_INPUT;

	cairo_show_page(cr);
	g_object_unref(ctx);
	cairo_destroy(cr);
	cairo_surface_finish(surface);
	if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS ||
	    buf.failed)
		ret = CERT_RENDER;
	cairo_surface_destroy(surface);

	if (ret != CERT_OK) {
		free(buf.data);
		return (ret);
	}
	*pdf = buf.data;
	*len = buf.len;

	return (CERT_OK);
}

/*
 * One paragraph, wrapped at word boundaries within width, at most
 * max_lines lines (the rest ellipsised), its top at y. Returns its height.
 */
static double
text_block(cairo_t *cr, PangoContext *ctx, const char *text,
    const char *font, double x, double y, double width, PangoAlignment align,
    int max_lines)
{
	PangoLayout		*layout;
	PangoFontDescription	*desc;
	int			w, h;

	if (text == NULL || *text == '\0')
		return (0.0);

	layout = pango_layout_new(ctx);
	desc = pango_font_description_from_string(font);
	pango_layout_set_font_description(layout, desc);
	pango_font_description_free(desc);
	pango_layout_set_width(layout, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(layout, align);
	/* Laksaman's lines are tall for its letters; wrapped lines closer. */
	pango_layout_set_line_spacing(layout, 0.85);
	pango_layout_set_height(layout, -max_lines);
	pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
	pango_layout_set_text(layout, text, -1);
	runs_join(layout);

	cairo_move_to(cr, x, y);
	pango_cairo_show_layout(cr, layout);
	pango_layout_get_size(layout, &w, &h);
	g_object_unref(layout);

	return ((double)h / PANGO_SCALE);
}

/*
 * Pango gives each character its own cluster, so Cairo maps each glyph
 * to its character alone, and a PDF reader, which orders glyphs by where
 * they sit, misreads Thai: a mark moved left of its letter comes after
 * the next one (pdftotext read "ผึ้ง" as "ผึง้"), a letter whose vowel
 * overhangs it looks like the end of a word ("ประจำปี งบประมาณ"). Each
 * run (a line's text in one font) becomes one cluster: Cairo writes it
 * with the text it stands for (/ActualText), which readers copy and
 * search as written.
 */
static void
runs_join(PangoLayout *layout)
{
	GSList		*lines, *runs;
	PangoGlyphString *g;
	int		i;

	for (lines = pango_layout_get_lines(layout); lines != NULL;
	    lines = lines->next) {
		for (runs = ((PangoLayoutLine *)lines->data)->runs;
		    runs != NULL; runs = runs->next) {
			g = ((PangoGlyphItem *)runs->data)->glyphs;
			for (i = 1; i < g->num_glyphs; i++)
				g->log_clusters[i] = g->log_clusters[0];
		}
	}
}

static void
page_draw(cairo_t *cr, PangoContext *ctx, const struct cert_doc *doc)
{
	double		x, y, sx, sw;
	char		line[TEXT_MAX + 64];

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
	y += text_block(cr, ctx, doc->agency, FONT " Bold 20", x, y, COLUMN_W,
	    PANGO_ALIGN_CENTER, 2);
	y += text_block(cr, ctx, "เกียรติบัตร", FONT " Bold 40", x, y,
	    COLUMN_W, PANGO_ALIGN_CENTER, 1);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	y += text_block(cr, ctx, "ขอมอบเกียรติบัตรฉบับนี้ไว้เพื่อแสดงว่า",
	    FONT " 18", x, y, COLUMN_W, PANGO_ALIGN_CENTER, 1);
	cairo_set_source_rgb(cr, 0.08, 0.16, 0.38);
	y += text_block(cr, ctx, doc->name, FONT " Bold 32", x, y, COLUMN_W,
	    PANGO_ALIGN_CENTER, 1);
	cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
	y += text_block(cr, ctx, "ได้เข้าร่วม", FONT " 18", x, y, COLUMN_W,
	    PANGO_ALIGN_CENTER, 1);
	y += text_block(cr, ctx, doc->event_title, FONT " Bold 22", x, y,
	    COLUMN_W, PANGO_ALIGN_CENTER, 3);
	if (doc->dates != NULL && *doc->dates != '\0') {
		(void)snprintf(line, sizeof(line), "เมื่อวันที่ %s",
		    doc->dates);
		y += text_block(cr, ctx, line, FONT " 18", x, y, COLUMN_W,
		    PANGO_ALIGN_CENTER, 1);
	}
	if (doc->venue != NULL && *doc->venue != '\0') {
		(void)snprintf(line, sizeof(line), "ณ %s", doc->venue);
		(void)text_block(cr, ctx, line, FONT " 18", x, y, COLUMN_W,
		    PANGO_ALIGN_CENTER, 2);
	}

	/* Bottom right: the date given, and the presiding official signs. */
	sx = PAGE_W - MARGIN - 320.0;
	sw = 290.0;
	y = PAGE_H - MARGIN - 160.0;
	y += text_block(cr, ctx, doc->issued_text, FONT " 16", sx, y, sw,
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
		y += text_block(cr, ctx, line, FONT " 18", sx, y, sw,
		    PANGO_ALIGN_CENTER, 2);
	}
	(void)text_block(cr, ctx, doc->presiding_position, FONT " 16", sx, y,
	    sw, PANGO_ALIGN_CENTER, 1);

	/* Under the QR code: the short code and where to check it. */
	x = MARGIN + 28.0;
	y = PAGE_H - MARGIN - 52.0;
	if (doc->short_code != NULL && *doc->short_code != '\0') {
		(void)snprintf(line, sizeof(line), "รหัสตรวจสอบ %s",
		    doc->short_code);
		y += text_block(cr, ctx, line, FONT " Bold 13", x, y, 300.0,
		    PANGO_ALIGN_LEFT, 1);
	}
	(void)text_block(cr, ctx, doc->verify_url, FONT " 10", x, y, 400.0,
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

/*
 * The token as a QR code, level M, side points square with its quiet
 * zone, top left at (x, y). Each row's dark runs are one rectangle, so
 * renderers leave no seams between modules.
 */
static int
qr_draw(cairo_t *cr, const char *token, double x, double y, double side)
{
	QRcode		*qr;
	double		m;
	int		row, col, run;

	if ((qr = QRcode_encodeString(token, 0, QR_ECLEVEL_M, QR_MODE_8,
	    1)) == NULL)
		return (0);

	m = side / (qr->width + 2 * QR_QUIET);
	cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
	cairo_rectangle(cr, x, y, side, side);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
	for (row = 0; row < qr->width; row++) {
		for (col = 0; col < qr->width; col = run) {
			run = col;
			while (run < qr->width &&
			    (qr->data[row * qr->width + run] & 1))
				run++;
			if (run > col) {
				cairo_rectangle(cr, x + (QR_QUIET + col) * m,
				    y + (QR_QUIET + row) * m, (run - col) * m,
				    m);
			} else {
				run++;
			}
		}
	}
	cairo_fill(cr);
	QRcode_free(qr);

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
