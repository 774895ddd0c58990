/*
 * Drawing PDF documents: Cairo writes the file into memory, Pango sets
 * the text (HarfBuzz shapes Thai, libthai finds its word breaks), and
 * libqrencode draws QR codes as vectors. Certificates, printed tickets
 * and name badges share these. Pure: no Kore, no database; the unit
 * tests include it.
 */

#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>

#include "pdf.h"

#define QR_QUIET	4	/* modules of white around a code */

static void	runs_join(PangoLayout *);
static int	qr_alphanumeric_only(const char *);

/* Cairo's output stream: the whole file in memory, PDF_MAX at most. */
cairo_status_t
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

/*
 * Starts a document of w by h points a page, titled, dated created (RFC
 * 3339: the same input gives the same bytes, Cairo writing no random id).
 */
void
pdf_begin(struct pdf_doc *d, double w, double h, const char *title,
    const char *created)
{
	cairo_font_options_t	*options;

	memset(d, 0, sizeof(*d));
	d->surface = cairo_pdf_surface_create_for_stream(pdf_write, &d->out,
	    w, h);
	cairo_pdf_surface_set_metadata(d->surface,
	    CAIRO_PDF_METADATA_CREATE_DATE, created);
	cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_TITLE,
	    title);
	cairo_pdf_surface_set_metadata(d->surface, CAIRO_PDF_METADATA_CREATOR,
	    "ngan");
	d->cr = cairo_create(d->surface);

	/* Sizes in points, glyph positions not snapped to a device grid. */
	d->ctx = pango_cairo_create_context(d->cr);
	pango_cairo_context_set_resolution(d->ctx, 72.0);
	options = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(d->ctx, options);
	cairo_font_options_destroy(options);
}

/*
 * Ends the document (the caller has shown its last page). When ok and
 * Cairo wrote it whole, *pdf (caller must free()) holds *len bytes and
 * it returns 1; else 0 and nothing is kept.
 */
int
pdf_end(struct pdf_doc *d, int ok, u_int8_t **pdf, size_t *len)
{
	g_object_unref(d->ctx);
	cairo_destroy(d->cr);
	cairo_surface_finish(d->surface);
	if (cairo_surface_status(d->surface) != CAIRO_STATUS_SUCCESS ||
	    d->out.failed)
		ok = 0;
	cairo_surface_destroy(d->surface);

	*pdf = NULL;
	*len = 0;
	if (!ok) {
		free(d->out.data);
		return (0);
	}
	*pdf = d->out.data;
	*len = d->out.len;

	return (1);
}

/* Present when required, short enough, valid UTF-8. */
int
pdf_text_ok(const char *s, int required)
{
	if (s == NULL || *s == '\0')
		return (!required);
	if (strlen(s) > PDF_TEXT_MAX)
		return (0);

	return (g_utf8_validate(s, -1, NULL));
}

/*
 * One paragraph, wrapped at word boundaries within width, at most
 * max_lines lines (the rest ellipsised), its top at y. Returns its height.
 */
double
pdf_text(struct pdf_doc *d, const char *text, const char *font, double x,
    double y, double width, PangoAlignment align, int max_lines)
{
	PangoLayout		*layout;
	PangoFontDescription	*desc;
	int			w, h;

	if (text == NULL || *text == '\0')
		return (0.0);

	layout = pango_layout_new(d->ctx);
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

	cairo_move_to(d->cr, x, y);
	pango_cairo_show_layout(d->cr, layout);
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

/* Only characters of the QR alphanumeric mode (a compact ticket's). */
static int
qr_alphanumeric_only(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') ||
		    strchr(" $%*+-./:", *s) != NULL))
			return (0);
	}

	return (1);
}

/*
 * text as a QR code at level M (readable with a scratched screen in a dim
 * hall): in one alphanumeric segment when it can be (a compact ticket of
 * 168 characters is then version 7, 45 x 45 modules, at most), else
 * 8-bit. NULL when it does not fit; caller must QRcode_free().
 */
QRcode *
qr_encode(const char *text)
{
	QRinput		*input;
	QRcode		*qr;

	if (!qr_alphanumeric_only(text))
		return (QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8,
		    1));
	if ((input = QRinput_new2(0, QR_ECLEVEL_M)) == NULL)
		return (NULL);
	qr = NULL;
	if (QRinput_append(input, QR_MODE_AN, (int)strlen(text),
	    (const unsigned char *)text) == 0)
		qr = QRcode_encodeInput(input);
	QRinput_free(input);

	return (qr);
}

/*
 * text as a QR code (qr_encode), side points square with its quiet zone,
 * top left at (x, y). Each row's dark runs are one rectangle, so
 * renderers leave no seams between modules.
 */
int
pdf_qr(struct pdf_doc *d, const char *text, double x, double y, double side)
{
	QRcode		*qr;
	double		m;
	int		row, col, run;

	if ((qr = qr_encode(text)) == NULL)
		return (0);

	m = side / (qr->width + 2 * QR_QUIET);
	cairo_set_source_rgb(d->cr, 1.0, 1.0, 1.0);
	cairo_rectangle(d->cr, x, y, side, side);
	cairo_fill(d->cr);
	cairo_set_source_rgb(d->cr, 0.0, 0.0, 0.0);
	for (row = 0; row < qr->width; row++) {
		for (col = 0; col < qr->width; col = run) {
			run = col;
			while (run < qr->width &&
			    (qr->data[row * qr->width + run] & 1))
				run++;
			if (run > col) {
				cairo_rectangle(d->cr,
				    x + (QR_QUIET + col) * m,
				    y + (QR_QUIET + row) * m,
				    (run - col) * m, m);
			} else {
				run++;
			}
		}
	}
	cairo_fill(d->cr);
	QRcode_free(qr);

	return (1);
}
