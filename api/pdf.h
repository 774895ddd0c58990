/*
 * Drawing PDF documents with Cairo and Pango: what certificates
 * (certificate_pdf.c) and printed tickets and badges (ticket_pdf.c)
 * share. Pure: no Kore, no database.
 */

#ifndef NGAN_PDF_H
#define NGAN_PDF_H

#include <sys/types.h>

#include <stddef.h>

#include <cairo.h>
#include <pango/pangocairo.h>
#include <qrencode.h>

#define PDF_MAX		(16 * 1024 * 1024)	/* bytes of one document */
#define PDF_TEXT_MAX	2000			/* bytes of one field */
#define PDF_FONT	"Laksaman"

#define PDF_OK		0
#define PDF_BAD_INPUT	1	/* a field missing or not UTF-8 */
#define PDF_RENDER	2	/* Cairo, Pango or the QR failed */

#define BADGES_MAX	80	/* name badges in one document, 10 sheets */

/* The event a printed ticket or badge is for; UTF-8, NULL or "" left out. */
struct ticket_event {
	const char	*agency;
	const char	*title;
	const char	*dates;		/* "7-8 ธันวาคม 2569" */
	const char	*times;		/* "09:00-16:00 น." */
	const char	*venue;
};

/* One person's ticket or badge. */
struct ticket_doc {
	const char	*name;		/* title and names, as printed */
	const char	*target_group;
	const char	*code;		/* the compact ticket the QR holds */
};

/* Bytes Cairo writes, kept in memory (PDF_MAX at most). */
struct pdf_buf {
	u_int8_t	*data;
	size_t		len;
	size_t		cap;
	int		failed;
};

/* One document being drawn. */
struct pdf_doc {
	cairo_surface_t	*surface;
	cairo_t		*cr;
	PangoContext	*ctx;
	struct pdf_buf	out;
};

cairo_status_t	pdf_write(void *, const unsigned char *, unsigned int);
void	pdf_begin(struct pdf_doc *, double, double, const char *,
	    const char *);
int	pdf_end(struct pdf_doc *, int, u_int8_t **, size_t *);
int	pdf_text_ok(const char *, int);
double	pdf_text(struct pdf_doc *, const char *, const char *, double,
	    double, double, PangoAlignment, int);
QRcode	*qr_encode(const char *);
int	pdf_qr(struct pdf_doc *, const char *, double, double, double);

/* ticket_pdf.c */
int	ticket_pdf_render(const struct ticket_event *,
	    const struct ticket_doc *, const char *, u_int8_t **, size_t *);
int	badges_pdf_render(const struct ticket_event *,
	    const struct ticket_doc *, size_t, const char *, u_int8_t **,
	    size_t *);

#endif /* !NGAN_PDF_H */
