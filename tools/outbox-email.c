/*
 * ngan-outbox's email channel (issue 19): SMTP with STARTTLS through
 * libcurl (NGAN_SMTP_URL, NGAN_SMTP_FROM, NGAN_SMTP_USER/_PASSWORD,
 * NGAN_SMTP_CA_FILE). A message is UTF-8 (RFC 6532): the subject as an
 * RFC 2047 encoded word, a plain-text part and a small HTML part
 * (multipart/alternative), and for a confirmed registration its ticket:
 * the same signed token GET /v1/registrations/{id}/ticket gives (ES256,
 * NGAN_JWT_KEY, low s as api/auth.c signs), as a QR code in an attached
 * PNG. The Message-ID is made from the outbox row's idempotency key, so
 * a message sent again after a crash carries the same one.
 */

#include <sys/types.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <qrencode.h>
#include <sodium.h>
#include <zlib.h>

#include "ngan.h"
#include "outbox.h"

#define QR_SCALE	6	/* pixels a module */
#define QR_QUIET	4	/* modules of white around the code */

struct mbuf {
	char		*data;
	size_t		len;
	size_t		cap;
	size_t		sent;	/* read by libcurl so far */
	int		failed;
};

static EVP_PKEY		*jwt_key;
static char		 jwt_kid[ES256_KID_LEN + 1];

static void	mb_add(struct mbuf *, const void *, size_t);
static void	mb_str(struct mbuf *, const char *);
static void	mb_base64(struct mbuf *, const u_int8_t *, size_t);
static void	mb_html(struct mbuf *, const char *);
static void	mb_subject(struct mbuf *, const char *);
static char	*ticket_sign(const char *, const char *, int);
static int	qr_png(const char *, struct mbuf *);
static void	png_chunk(struct mbuf *, const char *, const u_int8_t *,
		    size_t);
static size_t	mb_read(char *, size_t, size_t, void *);
static size_t	discard(void *, size_t, size_t, void *);

/*
 * 1: email is configured and ready; 0: NGAN_SMTP_URL unset (no email);
 * -1: a bad setting, its message in err.
 */
int
email_init(char *err, size_t errlen)
{
	static const enum config_id	ids[] = {
		CONFIG_SMTP_URL, CONFIG_SMTP_FROM, CONFIG_SMTP_USER,
		CONFIG_SMTP_PASSWORD, CONFIG_SMTP_CA_FILE
	};
	const char			*url;
	size_t				i;
	FILE				*fp;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (!config_load_one(ids[i], err, errlen))
			return (-1);
	}
	url = config_text(CONFIG_SMTP_URL);
	if (*url == '\0')
		return (0);
	if (strncmp(url, "smtp://", 7) != 0 && strncmp(url, "smtps://", 8)) {
		(void)snprintf(err, errlen, "NGAN_SMTP_URL: %s",
		    config_takes(CONFIG_SMTP_URL));
		return (-1);
	}
	if (strchr(config_text(CONFIG_SMTP_FROM), '@') == NULL) {
		(void)snprintf(err, errlen, "NGAN_SMTP_FROM: %s",
		    config_takes(CONFIG_SMTP_FROM));
		return (-1);
	}

	/* The tickets' signing key, as the server has it. */
	if (!config_load_one(CONFIG_JWT_KEY, err, errlen))
		return (-1);
	if ((fp = fopen(config_text(CONFIG_JWT_KEY), "r")) == NULL ||
	    (jwt_key = PEM_read_PrivateKey(fp, NULL, NULL, NULL)) == NULL ||
	    EVP_PKEY_get_base_id(jwt_key) != EVP_PKEY_EC ||
	    EVP_PKEY_get_bits(jwt_key) != 256) {
		if (fp != NULL)
			(void)fclose(fp);
		(void)snprintf(err, errlen, "NGAN_JWT_KEY: %s (for the "
		    "tickets in emails)", config_takes(CONFIG_JWT_KEY));
		return (-1);
	}
	(void)fclose(fp);
	/* kid: as the server names the key (api/es256.c). */
	if (!es256_kid(jwt_key, jwt_kid)) {
		(void)snprintf(err, errlen, "NGAN_JWT_KEY: no public key");
		return (-1);
	}

	return (1);
}

/*
 * Sends message m to address to, its text from args (code added by the
 * caller). SENT, RETRY, or FINAL (the server refused it for good), with
 * the reason in err.
 */
int
email_send(const struct outbox_msg *m, const char *to, json_t *args,
    char *err, size_t errlen)
{
	struct curl_slist	*rcpt;
	struct mbuf		mail, png;
	CURL			*curl;
	CURLcode		rc;
	char			subject[512], text[1024], note[512];
	char			hdr[600], date[64], msgid[256], *token;
	const char		*lang, *p;
	time_t			now;
	long			code;
	size_t			i;
	int			ret;

	ret = FINAL;
	memset(&mail, 0, sizeof(mail));
	memset(&png, 0, sizeof(png));
	rcpt = NULL;
	token = NULL;
	curl = NULL;
	lang = m->lang[0] != '\0' ? m->lang : NULL;
	note[0] = '\0';

	(void)snprintf(hdr, sizeof(hdr), "subject:%s", m->kind);
	if (!message_text(hdr, lang, args, subject, sizeof(subject)) ||
	    !message_text(m->kind, lang, args, text, sizeof(text))) {
		(void)snprintf(err, errlen, "no text for kind %s", m->kind);
		goto out;
	}
	if (m->registration[0] != '\0') {
		token = ticket_sign(m->registration, m->event,
		    (int)strtol(m->ticket_version, NULL, 10));
		if (token == NULL || !qr_png(token, &png) || !message_text(
		    "ticket_note", lang, NULL, note, sizeof(note))) {
			(void)snprintf(err, errlen, "cannot make the ticket");
			goto out;
		}
	}

	/* The key, as a Message-ID: letters, digits, dots and dashes. */
	for (i = 0, p = m->key; *p != '\0' && i < sizeof(msgid) - 1; p++)
		msgid[i++] = (*p == ':') ? '.' : *p;
	msgid[i] = '\0';
	now = time(NULL);
	(void)strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
	    gmtime(&now));

	(void)snprintf(hdr, sizeof(hdr), "From: <%s>\r\nTo: <%s>\r\n"
	    "Date: %s\r\nMessage-ID: <%s@ngan>\r\nMIME-Version: 1.0\r\n"
	    "Subject: ", config_text(CONFIG_SMTP_FROM), to, date, msgid);
	mb_str(&mail, hdr);
	mb_subject(&mail, subject);
	mb_str(&mail, "\r\nContent-Type: multipart/mixed; "
	    "boundary=\"ngan-mixed\"\r\n\r\n"
	    "--ngan-mixed\r\nContent-Type: multipart/alternative; "
	    "boundary=\"ngan-alt\"\r\n\r\n"
	    "--ngan-alt\r\nContent-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n");
	{
		struct mbuf	plain;

		memset(&plain, 0, sizeof(plain));
		mb_str(&plain, text);
		if (note[0] != '\0') {
			mb_str(&plain, "\r\n\r\n");
			mb_str(&plain, note);
		}
		mb_str(&plain, "\r\n");
		mb_base64(&mail, (const u_int8_t *)plain.data, plain.len);
		free(plain.data);
	}
	mb_str(&mail, "\r\n--ngan-alt\r\nContent-Type: text/html; "
	    "charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	{
		struct mbuf	html;

		memset(&html, 0, sizeof(html));
		mb_str(&html, "<!doctype html><html lang=\"");
		mb_str(&html, lang != NULL && !strcmp(lang, "en") ? "en" :
		    "th");
		mb_str(&html, "\"><meta charset=\"utf-8\"><body><p>");
		mb_html(&html, text);
		mb_str(&html, "</p>");
		if (note[0] != '\0') {
			mb_str(&html, "<p><strong>");
			mb_html(&html, note);
			mb_str(&html, "</strong></p>");
		}
		mb_str(&html, "</body></html>\r\n");
		mb_base64(&mail, (const u_int8_t *)html.data, html.len);
		free(html.data);
	}
	mb_str(&mail, "\r\n--ngan-alt--\r\n");
	if (png.len > 0) {
		mb_str(&mail, "--ngan-mixed\r\nContent-Type: image/png; "
		    "name=\"ticket.png\"\r\nContent-Disposition: attachment; "
		    "filename=\"ticket.png\"\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n");
		mb_base64(&mail, (const u_int8_t *)png.data, png.len);
		mb_str(&mail, "\r\n");
	}
	mb_str(&mail, "--ngan-mixed--\r\n");
	if (mail.failed) {
		(void)snprintf(err, errlen, "out of memory");
		ret = RETRY;
		goto out;
	}

	ret = RETRY;
	if ((curl = curl_easy_init()) == NULL) {
		(void)snprintf(err, errlen, "libcurl: no handle");
		goto out;
	}
	(void)snprintf(hdr, sizeof(hdr), "<%s>", to);
	rcpt = curl_slist_append(rcpt, hdr);
	(void)snprintf(hdr, sizeof(hdr), "<%s>",
	    config_text(CONFIG_SMTP_FROM));
	(void)curl_easy_setopt(curl, CURLOPT_URL,
	    config_text(CONFIG_SMTP_URL));
	(void)curl_easy_setopt(curl, CURLOPT_MAIL_FROM, hdr);
	(void)curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	/* STARTTLS or nothing: never a message in clear on the way. */
	(void)curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (config_text(CONFIG_SMTP_CA_FILE)[0] != '\0')
		(void)curl_easy_setopt(curl, CURLOPT_CAINFO,
		    config_text(CONFIG_SMTP_CA_FILE));
	if (config_text(CONFIG_SMTP_USER)[0] != '\0') {
		(void)curl_easy_setopt(curl, CURLOPT_USERNAME,
		    config_text(CONFIG_SMTP_USER));
		(void)curl_easy_setopt(curl, CURLOPT_PASSWORD,
		    config_text(CONFIG_SMTP_PASSWORD));
	}
	(void)curl_easy_setopt(curl, CURLOPT_READFUNCTION, mb_read);
	(void)curl_easy_setopt(curl, CURLOPT_READDATA, &mail);
	(void)curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	(void)curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	(void)curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	(void)curl_easy_setopt(curl, CURLOPT_TIMEOUT,
	    (long)(config_int(CONFIG_OUTBOX_LEASE) / 2));
	(void)curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");

	if ((rc = curl_easy_perform(curl)) != CURLE_OK) {
		code = 0;
		(void)curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
		(void)snprintf(err, errlen, "SMTP: %s (%ld)",
		    curl_easy_strerror(rc), code);
		/* 5xx: the server refused for good (RFC 5321 4.2.1). */
		if (code >= 500 && code < 600)
			ret = FINAL;
		goto out;
	}
	ret = SENT;

out:
	if (mail.data != NULL) {
		sodium_memzero(mail.data, mail.cap);
		free(mail.data);
	}
	free(png.data);
	free(token);
	curl_slist_free_all(rcpt);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	sodium_memzero(text, sizeof(text));
	sodium_memzero(subject, sizeof(subject));
	return (ret);
}

static void
mb_add(struct mbuf *b, const void *p, size_t n)
{
	char		*d;
	size_t		cap;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap == 0 ? 1024 : b->cap;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((d = realloc(b->data, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
mb_str(struct mbuf *b, const char *s)
{
	mb_add(b, s, strlen(s));
}

/* Base64 in lines of 76 (RFC 2045 6.8); for a subject, one line. */
static void
mb_base64(struct mbuf *b, const u_int8_t *p, size_t n)
{
	char		*out;
	size_t		len, i;

	len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	if ((out = malloc(len)) == NULL) {
		b->failed = 1;
		return;
	}
	sodium_bin2base64(out, len, p, n, sodium_base64_VARIANT_ORIGINAL);
	len = strlen(out);
	if (n < 200) {
		mb_add(b, out, len);
	} else {
		for (i = 0; i < len; i += 76) {
			mb_add(b, out + i, len - i < 76 ? len - i : 76);
			if (i + 76 < len)
				mb_str(b, "\r\n");
		}
	}
	free(out);
}

/*
 * s as RFC 2047 encoded words ("B", UTF-8) of at most 75 characters,
 * each holding whole characters, folded onto lines of their own.
 */
static void
mb_subject(struct mbuf *b, const char *s)
{
	size_t		len, n;

	len = strlen(s);
	while (len > 0) {
		n = len < 45 ? len : 45;
		/* Back to the start of a UTF-8 character. */
		while (n < len && n > 0 && ((u_int8_t)s[n] & 0xc0) == 0x80)
			n--;
		mb_str(b, "=?UTF-8?B?");
		mb_base64(b, (const u_int8_t *)s, n);
		mb_str(b, "?=");
		s += n;
		len -= n;
		if (len > 0)
			mb_str(b, "\r\n ");
	}
}

static void
mb_html(struct mbuf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			mb_str(b, "&lt;");
			break;
		case '>':
			mb_str(b, "&gt;");
			break;
		case '&':
			mb_str(b, "&amp;");
			break;
		case '"':
			mb_str(b, "&quot;");
			break;
		default:
			mb_add(b, s, 1);
			break;
		}
	}
}

/*
 * The ticket of registration reg (event evt, version ver) as the server
 * signs it (api/tickets.c ticket_token), with the same code
 * (api/es256.c). Caller must free.
 */
static char *
ticket_sign(const char *reg, const char *evt, int ver)
{
	json_t		*claims;
	char		*out;

	claims = json_pack("{s:s, s:s, s:s, s:i, s:s}", "aud", "ngan-ticket",
	    "sub", reg, "evt", evt, "ver", ver, "iss", "ngan");
	out = es256_compact(jwt_key, jwt_kid, claims);
	json_decref(claims);

	return (out);
}

/* The QR code of text as an 8-bit grey PNG into out. */
static int
qr_png(const char *text, struct mbuf *out)
{
	static const u_int8_t	sig[8] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
	};
	QRcode		*qr;
	u_int8_t	ihdr[13], *raw, *z, *row;
	uLongf		zlen;
	u_int32_t	v;
	size_t		side, stride, x, y;
	int		ok, mod;

	if ((qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8,
	    1)) == NULL)
		return (0);
	side = ((size_t)qr->width + 2 * QR_QUIET) * QR_SCALE;
	stride = side + 1;
	raw = calloc(side, stride);
	zlen = compressBound((uLong)(side * stride));
	z = malloc(zlen);
	ok = 0;
	if (raw == NULL || z == NULL)
		goto out;
	for (y = 0; y < side; y++) {
		row = raw + y * stride;
		row[0] = 0;	/* filter: none */
		for (x = 0; x < side; x++) {
			mod = 0;
			if (x / QR_SCALE >= QR_QUIET && y / QR_SCALE >=
			    QR_QUIET && x / QR_SCALE < (size_t)qr->width +
			    QR_QUIET && y / QR_SCALE < (size_t)qr->width +
			    QR_QUIET)
				mod = qr->data[(y / QR_SCALE - QR_QUIET) *
				    (size_t)qr->width + x / QR_SCALE -
				    QR_QUIET] & 1;
			row[1 + x] = mod ? 0 : 255;
		}
	}
	if (compress2(z, &zlen, raw, (uLong)(side * stride), 9) != Z_OK)
		goto out;

	mb_add(out, sig, sizeof(sig));
	v = htonl((u_int32_t)side);
	memcpy(ihdr, &v, 4);
	memcpy(ihdr + 4, &v, 4);
	ihdr[8] = 8;		/* bits a sample */
	ihdr[9] = 0;		/* greyscale */
	ihdr[10] = ihdr[11] = ihdr[12] = 0;
	png_chunk(out, "IHDR", ihdr, sizeof(ihdr));
	png_chunk(out, "IDAT", z, zlen);
	png_chunk(out, "IEND", NULL, 0);
	ok = !out->failed;

out:
	free(raw);
	free(z);
	QRcode_free(qr);
	return (ok);
}

static void
png_chunk(struct mbuf *out, const char *type, const u_int8_t *p, size_t n)
{
	u_int32_t	v;
	uLong		crc;

	v = htonl((u_int32_t)n);
	mb_add(out, &v, 4);
	mb_add(out, type, 4);
	if (n > 0)
		mb_add(out, p, n);
	crc = crc32(0L, (const Bytef *)type, 4);
	if (n > 0)
		crc = crc32(crc, p, (uInt)n);
	v = htonl((u_int32_t)crc);
	mb_add(out, &v, 4);
}

/* libcurl reads the message from here. */
static size_t
mb_read(char *dst, size_t size, size_t n, void *arg)
{
	struct mbuf	*b = arg;
	size_t		len;

	len = b->len - b->sent;
	if (len > size * n)
		len = size * n;
	memcpy(dst, b->data + b->sent, len);
	b->sent += len;

	return (len);
}

static size_t
discard(void *p, size_t size, size_t n, void *arg)
{
	return (size * n);
}
