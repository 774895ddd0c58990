/*
 * Printed tickets and name badges, for offices that still print: an A6
 * ticket (the person, the event, when and where, the compact ticket as a
 * QR code a scanner checks in as it does the one on a phone) and an A4
 * sheet of eight badges to cut apart, each with its person's QR code.
 * Pure: data in, bytes out (pdf.c draws); the unit tests include it.
 */

#include <string.h>

#include "pdf.h"

#define A6_W		297.64	/* points */
#define A6_H		419.53
#define A6_MARGIN	18.0
#define A6_QR		150.0	/* quiet zone included */

#define A4_W		595.28
#define A4_H		841.89
#define BADGE_W		269.29	/* 95 mm */
#define BADGE_H		184.25	/* 65 mm */
#define BADGE_PAD	12.0
#define BADGE_QR	72.0
#define BADGES_COLS	2
#define BADGES_ROWS	4

static int	event_ok(const struct ticket_event *);
static int	doc_ok(const struct ticket_doc *);
static void	badge_draw(struct pdf_doc *, const struct ticket_event *,
		    const struct ticket_doc *, double, double, int *);

static int
event_ok(const struct ticket_event *ev)
{
	return (pdf_text_ok(ev->title, 1) && pdf_text_ok(ev->agency, 0) &&
	    pdf_text_ok(ev->dates, 0) && pdf_text_ok(ev->times, 0) &&
	    pdf_text_ok(ev->venue, 0));
}

static int
doc_ok(const struct ticket_doc *t)
{
	return (pdf_text_ok(t->name, 1) && pdf_text_ok(t->code, 1) &&
	    pdf_text_ok(t->target_group, 0));
}

/*
 * One A6 ticket. created dates the file (RFC 3339). On PDF_OK *pdf
 * (caller must free()) holds *len bytes.
 */
int
ticket_pdf_render(const struct ticket_event *ev, const struct ticket_doc *t,
    const char *created, u_int8_t **pdf, size_t *len)
{
	struct pdf_doc	d;
	double		x, y, w;
	int		ok;

	*pdf = NULL;
	*len = 0;
	if (!event_ok(ev) || !doc_ok(t) || !pdf_text_ok(created, 1))
		return (PDF_BAD_INPUT);

	pdf_begin(&d, A6_W, A6_H, "บัตรเข้างาน", created);
	cairo_set_source_rgb(d.cr, 1.0, 1.0, 1.0);
	cairo_paint(d.cr);

	x = A6_MARGIN;
	w = A6_W - 2 * A6_MARGIN;
	y = A6_MARGIN;
	cairo_set_source_rgb(d.cr, 0.08, 0.16, 0.38);
	y += pdf_text(&d, ev->agency, PDF_FONT " Bold 11", x, y, w,
	    PANGO_ALIGN_CENTER, 2);
	y += pdf_text(&d, "บัตรเข้างาน", PDF_FONT " Bold 20", x, y, w,
	    PANGO_ALIGN_CENTER, 1);
	cairo_set_source_rgb(d.cr, 0.1, 0.1, 0.1);
	y += pdf_text(&d, ev->title, PDF_FONT " Bold 15", x, y, w,
	    PANGO_ALIGN_CENTER, 3);
	y += pdf_text(&d, ev->dates, PDF_FONT " 12", x, y, w,
	    PANGO_ALIGN_CENTER, 1);
	y += pdf_text(&d, ev->times, PDF_FONT " 12", x, y, w,
	    PANGO_ALIGN_CENTER, 1);
	(void)pdf_text(&d, ev->venue, PDF_FONT " 11", x, y, w,
	    PANGO_ALIGN_CENTER, 2);

	/* The code in the middle, the person under it. */
	y = 196.0;
	ok = pdf_qr(&d, t->code, (A6_W - A6_QR) / 2, y, A6_QR);
	y += A6_QR + 2.0;
	cairo_set_source_rgb(d.cr, 0.08, 0.16, 0.38);
	y += pdf_text(&d, t->name, PDF_FONT " Bold 16", x, y, w,
	    PANGO_ALIGN_CENTER, 2);
	cairo_set_source_rgb(d.cr, 0.1, 0.1, 0.1);
	(void)pdf_text(&d, t->target_group, PDF_FONT " 11", x, y, w,
	    PANGO_ALIGN_CENTER, 1);
	cairo_set_source_rgb(d.cr, 0.35, 0.35, 0.35);
	(void)pdf_text(&d, "แสดงคิวอาร์โค้ดนี้ที่จุดลงทะเบียน",
	    PDF_FONT " 10", x, A6_H - A6_MARGIN - 14.0, w,
	    PANGO_ALIGN_CENTER, 1);
	cairo_show_page(d.cr);

	if (!pdf_end(&d, ok, pdf, len))
		return (ok ? PDF_RENDER : PDF_BAD_INPUT);

	return (PDF_OK);
}

/*
 * n name badges (BADGES_MAX at most), eight to an A4 sheet in the order
 * given, with cut lines. On PDF_OK *pdf (caller must free()) holds *len
 * bytes. No badges is a sheet with none: an event nobody registered for
 * yet still prints.
 */
int
badges_pdf_render(const struct ticket_event *ev, const struct ticket_doc *t,
    size_t n, const char *created, u_int8_t **pdf, size_t *len)
{
	struct pdf_doc	d;
	double		x0, y0;
	size_t		i, slot;
	int		ok;

	*pdf = NULL;
	*len = 0;
	if (n > BADGES_MAX || !event_ok(ev) || !pdf_text_ok(created, 1))
		return (PDF_BAD_INPUT);
	for (i = 0; i < n; i++) {
		if (!doc_ok(&t[i]))
			return (PDF_BAD_INPUT);
	}

	pdf_begin(&d, A4_W, A4_H, "ป้ายชื่อ", created);
	x0 = (A4_W - BADGES_COLS * BADGE_W) / 2;
	y0 = (A4_H - BADGES_ROWS * BADGE_H) / 2;
	ok = 1;
	for (i = 0; i == 0 || i < n; i++) {
		slot = i % (BADGES_COLS * BADGES_ROWS);
		if (slot == 0) {
			if (i > 0)
				cairo_show_page(d.cr);
			cairo_set_source_rgb(d.cr, 1.0, 1.0, 1.0);
			cairo_paint(d.cr);
		}
		if (i < n) {
			badge_draw(&d, ev, &t[i],
			    x0 + (double)(slot % BADGES_COLS) * BADGE_W,
			    y0 + (double)(slot / BADGES_COLS) * BADGE_H, &ok);
		}
	}
	cairo_show_page(d.cr);

	if (!pdf_end(&d, ok, pdf, len))
		return (ok ? PDF_RENDER : PDF_BAD_INPUT);

	return (PDF_OK);
}

/* One badge with its top left at (x, y); *ok becomes 0 if its QR fails. */
static void
badge_draw(struct pdf_doc *d, const struct ticket_event *ev,
    const struct ticket_doc *t, double x, double y, int *ok)
{
	static const double	dash[] = { 4.0, 3.0 };
	double			tx, ty, tw;

	cairo_save(d->cr);
	cairo_set_source_rgb(d->cr, 0.6, 0.6, 0.6);
	cairo_set_line_width(d->cr, 0.5);
	cairo_set_dash(d->cr, dash, 2, 0.0);
	cairo_rectangle(d->cr, x, y, BADGE_W, BADGE_H);
	cairo_stroke(d->cr);
	cairo_restore(d->cr);

	tx = x + BADGE_PAD;
	tw = BADGE_W - 2 * BADGE_PAD;
	ty = y + BADGE_PAD;
	cairo_set_source_rgb(d->cr, 0.08, 0.16, 0.38);
	ty += pdf_text(d, ev->title, PDF_FONT " Bold 10", tx, ty, tw,
	    PANGO_ALIGN_LEFT, 2) + 8.0;
	cairo_set_source_rgb(d->cr, 0.1, 0.1, 0.1);
	(void)pdf_text(d, t->name, PDF_FONT " Bold 22", tx, ty, tw,
	    PANGO_ALIGN_CENTER, 2);

	/* Bottom: the group and the agency left, the QR code right. */
	tw -= BADGE_QR + 8.0;
	ty = y + BADGE_H - BADGE_PAD - 44.0;
	ty += pdf_text(d, t->target_group, PDF_FONT " 11", tx, ty, tw,
	    PANGO_ALIGN_LEFT, 1);
	cairo_set_source_rgb(d->cr, 0.35, 0.35, 0.35);
	(void)pdf_text(d, ev->agency, PDF_FONT " 9", tx, ty, tw,
	    PANGO_ALIGN_LEFT, 2);
	if (!pdf_qr(d, t->code, x + BADGE_W - BADGE_PAD - BADGE_QR,
	    y + BADGE_H - BADGE_PAD - BADGE_QR, BADGE_QR))
		*ok = 0;
}
