/*
 * Certificates (เกียรติบัตร): the PDF renderer (certificate_pdf.c, pure:
 * no Kore, no database) and the routes (certificates.c).
 */

#ifndef NGAN_CERTIFICATES_H
#define NGAN_CERTIFICATES_H

#include <sys/types.h>

#include <stddef.h>

struct http_request;
struct json_t;
struct ngan_req;

#define CERT_IMAGE_PNG		1
#define CERT_IMAGE_JPEG		2
#define CERT_IMAGE_SIDE_MAX	1500	/* pixels, either side */

/* A logo or signature: PNG or JPEG as checked by images.c; len 0: none. */
struct cert_image {
	const u_int8_t	*data;
	size_t		len;
	int		type;
	int		width;
	int		height;
};

/* What one certificate prints; every string UTF-8, NULL or "" left out. */
struct cert_doc {
	const char	*agency;	/* the organising agency */
	const char	*name;		/* title and names, as printed */
	const char	*event_title;
	const char	*dates;		/* "๗ ธันวาคม ๒๕๖๐" (cert_thai_date) */
	const char	*venue;
	const char	*presiding_name;
	const char	*presiding_position;
	const char	*issued_text;	/* "ให้ไว้ ณ วันที่ ..." */
	const char	*short_code;	/* "ABCD-EFGH-JKMN" */
	const char	*verify_url;	/* where to type the code */
	const char	*token;		/* what the QR code holds */
	const char	*created;	/* PDF creation date, RFC 3339 */
	struct cert_image logo;		/* top left */
	struct cert_image signature;	/* above the presiding official */
};

/* The texts cert_doc_fill() makes, kept while the document is drawn. */
struct cert_texts {
	char		dates[256];
	char		day[128];
	char		issued[256];
};

#define CERT_OK			0
#define CERT_BAD_INPUT		1	/* a field missing or not UTF-8 */
#define CERT_RENDER		2	/* Cairo, Pango or the QR failed */

#define CERT_DIGITS_THAI	0	/* ๐-๙ */
#define CERT_DIGITS_ARABIC	1	/* 0-9 */

int	cert_pdf_init(void);
int	cert_pdf_render(const struct cert_doc *, u_int8_t **, size_t *);
int	cert_thai_date(int, int, int, int, char *, size_t);
int	cert_thai_date_range(const char *, const char *, int, char *,
	    size_t);
void	cert_doc_fill(struct cert_doc *, struct json_t *, const char *,
	    struct cert_texts *);

/* certificates.c */
int	certificates_issue(struct http_request *, struct ngan_req *);
int	certificates_issue_event(struct http_request *, struct ngan_req *);
int	certificates_zip_start(struct http_request *, struct ngan_req *);
int	jobs_certificates_zip(struct http_request *, struct ngan_req *);
int	certificates_pdf(struct http_request *, struct ngan_req *);
int	certificates_revoke(struct http_request *, struct ngan_req *);
int	certificates_logo_put(struct http_request *, struct ngan_req *);
int	certificates_logo_delete(struct http_request *, struct ngan_req *);
int	certificates_signature_put(struct http_request *, struct ngan_req *);
int	certificates_signature_delete(struct http_request *,
	    struct ngan_req *);
int	certificates_verify(struct http_request *, struct ngan_req *);

#endif /* !NGAN_CERTIFICATES_H */
