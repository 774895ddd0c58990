/*
 * Client addresses, pure: the trusted proxy list (NGAN_TRUSTED_PROXIES),
 * the address a request comes from behind those proxies, the form it is
 * counted under, and the request-header filter that drops an
 * Accept-Language Kore would refuse. No Kore state: the unit tests and
 * fuzzers call these directly; edge.c wires them to connections.
 */

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ngan.h"

#define ADDR_TEXT_MAX		64	/* longest address text we parse */
#define ACCEPT_LANGUAGE_MAX	256	/* longer is not a language list */

static const char	*entry_next(const char *, const char *,
			    const char **, const char **);
static int		prefix_match(const u_int8_t *, const u_int8_t *, int);
static int		lang_odd(const u_int8_t *, size_t);
static int		addr_loopback(const struct addr *);

/*
 * An IPv4 or IPv6 address in text, len bytes of s (no port, no zone,
 * no brackets). An IPv4-mapped IPv6 address is its IPv4 address.
 */
int
addr_parse(const char *s, size_t len, struct addr *out)
{
	char		buf[ADDR_TEXT_MAX];
	size_t		i;

	if (len == 0 || len >= sizeof(buf))
		return (KORE_RESULT_ERROR);
	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F') || s[i] == ':' || s[i] == '.'))
			return (KORE_RESULT_ERROR);
	}
	memcpy(buf, s, len);
	buf[len] = '\0';

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->bytes) == 1) {
		out->family = AF_INET;
		return (KORE_RESULT_OK);
	}
	if (inet_pton(AF_INET6, buf, out->bytes) != 1)
		return (KORE_RESULT_ERROR);
	out->family = AF_INET6;
	addr_unmap(out);

	return (KORE_RESULT_OK);
}

/* ::ffff:a.b.c.d becomes a.b.c.d. */
void
addr_unmap(struct addr *a)
{
	static const u_int8_t	mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (a->family == AF_INET6 &&
	    memcmp(a->bytes, mapped, sizeof(mapped)) == 0) {
		memmove(a->bytes, a->bytes + 12, 4);
		memset(a->bytes + 4, 0, 12);
		a->family = AF_INET;
	}
}

/*
 * The next comma-separated entry of [p, end), spaces trimmed, into
 * [*s, *e); returns where the one after starts, or NULL at the end.
 */
static const char *
entry_next(const char *p, const char *end, const char **s, const char **e)
{
	const char	*comma;

	if (p == NULL || p > end)
		return (NULL);
	if ((comma = memchr(p, ',', (size_t)(end - p))) == NULL)
		comma = end;
	while (p < comma && (*p == ' ' || *p == '\t'))
		p++;
	*s = p;
	*e = comma;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;

	return (comma == end ? end + 1 : comma + 1);
}

/*
 * NGAN_TRUSTED_PROXIES: addresses or CIDR ranges by commas. "none" is an
 * empty list. Host bits under the mask are ignored. On error err says
 * which entry is wrong.
 */
int
addr_list_parse(const char *spec, struct addr_list *out, char *err,
    size_t errlen)
{
	const char	*p, *end, *s, *e, *slash;
	struct addr	a;
	long		bits;
	int		max, i, k;
	char		*num_end, num[8];

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (!strcmp(spec, "none"))
		return (KORE_RESULT_OK);

	end = spec + strlen(spec);
	for (p = spec; (p = entry_next(p, end, &s, &e)) != NULL;) {
		if (s == e) {
			(void)snprintf(err, errlen, "an empty entry (two "
			    "commas, or one at either end)");
			return (KORE_RESULT_ERROR);
		}
		if (out->n == ADDR_LIST_MAX) {
			(void)snprintf(err, errlen, "more than %d entries",
			    ADDR_LIST_MAX);
			return (KORE_RESULT_ERROR);
		}
		slash = memchr(s, '/', (size_t)(e - s));
		if (!addr_parse(s, (size_t)((slash != NULL ? slash : e) - s),
		    &a))
			goto bad;
		max = a.family == AF_INET ? 32 : 128;
		bits = max;
		if (slash != NULL) {
			if (e - slash - 1 < 1 || e - slash - 1 > 3)
				goto bad;
			memcpy(num, slash + 1, (size_t)(e - slash - 1));
			num[e - slash - 1] = '\0';
			for (i = 0; num[i] != '\0'; i++) {
				if (num[i] < '0' || num[i] > '9')
					goto bad;
			}
			bits = strtol(num, &num_end, 10);
			if (a.family == AF_INET &&
			    memchr(s, ':', (size_t)(slash - s)) != NULL) {
				/* ::ffff:a.b.c.d/n, counted as IPv6 bits */
				if (bits < 96 || bits > 128)
					goto bad;
				bits -= 96;
			}
			if (bits < 0 || bits > max)
				goto bad;
		}
		/* Clear the host bits. */
		for (k = 0; k < 16; k++) {
			if (k * 8 >= bits)
				a.bytes[k] = 0;
			else if (k * 8 + 8 > bits)
				a.bytes[k] &= (u_int8_t)(0xff <<
				    (8 - (bits - k * 8)));
		}
		out->items[out->n].net = a;
		out->items[out->n].bits = (int)bits;
		out->n++;
	}

	return (KORE_RESULT_OK);

bad:
	(void)snprintf(err, errlen, "\"%.*s\" is not an address or a CIDR "
	    "range", (int)(e - s > 80 ? 80 : e - s), s);
	return (KORE_RESULT_ERROR);
}

static int
prefix_match(const u_int8_t *a, const u_int8_t *net, int bits)
{
	int		full, rest;

	full = bits / 8;
	rest = bits % 8;
	if (memcmp(a, net, (size_t)full) != 0)
		return (0);
	if (rest == 0)
		return (1);

	return (((a[full] ^ net[full]) & (u_int8_t)(0xff << (8 - rest))) == 0);
}

int
addr_in_list(const struct addr_list *list, const struct addr *a)
{
	int		i;

	for (i = 0; i < list->n; i++) {
		if (list->items[i].net.family == a->family &&
		    prefix_match(a->bytes, list->items[i].net.bytes,
		    list->items[i].bits))
			return (1);
	}

	return (0);
}

/*
 * Who sent the request: the peer itself unless it is a trusted proxy.
 * From a trusted proxy, the right-most X-Forwarded-For entry that is not
 * a trusted proxy (what each proxy appends cannot be forged by the
 * client; what the client sent sits on the left), else X-Real-IP, else
 * the left-most trusted entry, else the peer. xff and xri may be NULL.
 */
void
addr_client(const struct addr_list *trusted, const struct addr *peer,
    const char *xff, const char *xri, struct addr *out)
{
	struct addr	cand, last;
	const char	*p, *s, *e, *end;
	int		have_last;

	*out = *peer;
	if (!addr_in_list(trusted, peer))
		return;

	have_last = 0;
	if (xff != NULL) {
		/* Right to left: find each entry's start from the end. */
		end = xff + strlen(xff);
		while (end > xff) {
			for (p = end; p > xff && p[-1] != ','; p--)
				;
			(void)entry_next(p, end, &s, &e);
			if (!addr_parse(s, (size_t)(e - s), &cand))
				break;
			if (!addr_in_list(trusted, &cand)) {
				*out = cand;
				return;
			}
			last = cand;
			have_last = 1;
			end = p > xff ? p - 1 : xff;
		}
	}

	if (xri != NULL) {
		for (s = xri; *s == ' ' || *s == '\t'; s++)
			;
		for (e = s + strlen(s); e > s && (e[-1] == ' ' ||
		    e[-1] == '\t'); e--)
			;
		if (addr_parse(s, (size_t)(e - s), &cand)) {
			*out = cand;
			return;
		}
	}
	if (have_last)
		*out = last;
}

/*
 * The form an address is counted under: IPv4 as is, IPv6 by its /64
 * (one host usually holds a whole /64). out holds ADDR_KEY_LEN bytes.
 */
void
addr_key(const struct addr *a, char *out, size_t len)
{
	u_int8_t	b[16];
	size_t		n;

	if (a->family == AF_INET) {
		if (inet_ntop(AF_INET, a->bytes, out, (socklen_t)len) == NULL)
			out[0] = '\0';
		return;
	}
	memcpy(b, a->bytes, 8);
	memset(b + 8, 0, 8);
	if (inet_ntop(AF_INET6, b, out, (socklen_t)len) == NULL) {
		out[0] = '\0';
		return;
	}
	n = strlen(out);
	(void)snprintf(out + n, len - n, "/64");
}

/*
 * An Accept-Language value Kore would refuse with a bare 400 (a byte
 * outside printable ASCII, tabs included, or nothing at all), or too
 * long to be a list of languages.
 */
static int
lang_odd(const u_int8_t *v, size_t len)
{
	size_t		i;

	while (len > 0 && *v == ' ') {
		v++;
		len--;
	}
	if (len == 0 || len > ACCEPT_LANGUAGE_MAX)
		return (1);
	for (i = 0; i < len; i++) {
		if (v[i] < 0x20 || v[i] > 0x7e)
			return (1);
	}

	return (0);
}

/*
 * Takes odd Accept-Language lines out of a request head in buf[0, len)
 * once it is complete (ends in CRLF CRLF): the language falls back to the
 * default instead of Kore refusing the whole request. Lines folded onto
 * it (starting with a space or a tab) go with it. Returns the new length;
 * bytes after the head (a body, a pipelined request) move up.
 */
size_t
addr_header_filter(u_int8_t *buf, size_t len)
{
	static const char	name[] = "accept-language:";
	u_int8_t		*head_end, *line, *eol, *next, c;
	size_t			removed, i, n;
	int			odd;

	head_end = memmem(buf, len, "\r\n\r\n", 4);
	if (head_end == NULL)
		return (len);

	/* The first line is the request line. */
	if ((line = memmem(buf, (size_t)(head_end - buf) + 2, "\r\n", 2)) ==
	    NULL)
		return (len);
	line += 2;

	while (line < head_end + 2) {
		eol = memmem(line, (size_t)(head_end + 2 - line), "\r\n", 2);
		if (eol == NULL)
			break;
		next = eol + 2;
		n = sizeof(name) - 1;
		if ((size_t)(eol - line) < n) {
			line = next;
			continue;
		}
		for (i = 0; i < n; i++) {
			c = line[i];
			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			if (c != (u_int8_t)name[i])
				break;
		}
		if (i < n) {
			line = next;
			continue;
		}
		odd = lang_odd(line + n, (size_t)(eol - line - n));
		/* Folded continuation lines belong to this header. */
		while (next < head_end + 2 && (*next == ' ' || *next == '\t')) {
			odd = 1;
			eol = memmem(next, (size_t)(head_end + 2 - next),
			    "\r\n", 2);
			if (eol == NULL)
				return (len);
			next = eol + 2;
		}
		if (!odd) {
			line = next;
			continue;
		}
		removed = (size_t)(next - line);
		memmove(line, next, len - (size_t)(next - buf));
		len -= removed;
		head_end -= removed;
	}

	return (len);
}

/* 127.0.0.0/8 or ::1. */
static int
addr_loopback(const struct addr *a)
{
	static const u_int8_t	v6[16] = { [15] = 1 };

	return ((a->family == AF_INET && a->bytes[0] == 127) ||
	    (a->family == AF_INET6 && !memcmp(a->bytes, v6, 16)));
}

/* Addresses a webhook may not reach: loopback, private, reserved. */
static const char	*addr_not_public_spec = "0.0.0.0/8,10.0.0.0/8,"
    "100.64.0.0/10,127.0.0.0/8,169.254.0.0/16,172.16.0.0/12,192.0.0.0/24,"
    "192.168.0.0/16,198.18.0.0/15,224.0.0.0/3,::/127,fc00::/7,fe80::/10,"
    "ff00::/8";

/*
 * May a webhook go to address a (issue 19)? NULL, or why not: loopback
 * (allowed with allow_loopback, in development), private or reserved.
 */
const char *
addr_public(const struct addr *a, int allow_loopback)
{
	static struct addr_list	not_public;
	static int		ready;
	char			err[128];

	if (!ready) {
		if (!addr_list_parse(addr_not_public_spec, &not_public, err,
		    sizeof(err)))
			return ("webhooks.address_list_bad");
		ready = 1;
	}
	if (!addr_in_list(&not_public, a))
		return (NULL);
	if (addr_loopback(a))
		return (allow_loopback ? NULL : "webhooks.url_loopback");

	return ("webhooks.url_private");
}

/* Where the host of an http(s) URL starts, *https set; NULL else. */
const char *
addr_url_host(const char *url, int *https)
{
	if (!strncmp(url, "https://", 8)) {
		*https = 1;
		return (url + 8);
	}
	if (!strncmp(url, "http://", 7)) {
		*https = 0;
		return (url + 7);
	}

	return (NULL);
}

/*
 * A webhook URL: https:// to a host that is not a private or reserved
 * address literal nor localhost; http:// and loopback only with
 * allow_loopback (development). NULL, or why not. A name is checked
 * again, on the address it resolves to, when a message is sent.
 */
const char *
addr_webhook_url(const char *url, int allow_loopback)
{
	struct addr	a;
	const char	*host, *end, *p, *colon, *why;
	size_t		len;
	int		https;

	if ((host = addr_url_host(url, &https)) == NULL)
		return ("webhooks.url_https");
	end = host + strcspn(host, "/?#");
	for (p = host; p < end; p++) {
		if (*p == '@' || (unsigned char)*p <= ' ' || *p == '\\')
			return ("webhooks.url_host_bad");
	}
	if (*host == '[') {
		if ((p = memchr(host, ']', (size_t)(end - host))) == NULL)
			return ("webhooks.url_host_bad");
		host++;
		len = (size_t)(p - host);
		colon = p + 1;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
		len = (size_t)((colon != NULL ? colon : end) - host);
	}
	if (len == 0)
		return ("webhooks.url_no_host");
	if (colon != NULL && colon < end && *colon == ':') {
		for (p = colon + 1; p < end; p++) {
			if (*p < '0' || *p > '9')
				return ("webhooks.url_port_bad");
		}
	}

	if (addr_parse(host, len, &a)) {
		if ((why = addr_public(&a, allow_loopback)) != NULL)
			return (why);
		if (!https && !(allow_loopback && addr_loopback(&a)))
			return ("webhooks.url_https");
		return (NULL);
	}
	if ((len == 9 && !strncasecmp(host, "localhost", 9)) ||
	    (len > 10 && !strncasecmp(host + len - 10, ".localhost", 10)))
		return (allow_loopback ? NULL : "webhooks.url_loopback");
	if (!https)
		return ("webhooks.url_https");

	return (NULL);
}
