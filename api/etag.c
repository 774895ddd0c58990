/*
 * Entity tags (RFC 9110 8.8.3, 13.1.1, 13.1.2): made from the bytes of a
 * representation, and If-Match / If-None-Match lists read and compared.
 * Pure (libsodium only): unit tests and fuzzers call it.
 */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ngan.h"

static int	etag_next(const char **, const char **, size_t *, int *);

/* out holds ETAG_LEN + 1 bytes: a quote, 32 hex digits, a quote. */
void
etag_of(const void *data, size_t len, char *out)
{
	static const char	digits[] = "0123456789abcdef";
	u_int8_t		hash[16];
	size_t			i;

	crypto_generichash(hash, sizeof(hash), data, len, NULL, 0);
	out[0] = '"';
	for (i = 0; i < sizeof(hash); i++) {
		out[1 + i * 2] = digits[hash[i] >> 4];
		out[2 + i * 2] = digits[hash[i] & 0x0f];
	}
	out[ETAG_LEN - 1] = '"';
	out[ETAG_LEN] = '\0';
}

/*
 * Reads the next member of a list of entity tags ("x", W/"x" or a star)
 * at *p, skipping commas and blanks. Returns 1 with the opaque tag
 * (quotes included; "*" for the star) in tag and len and whether it was
 * weak, 0 at the end, -1 when the list is not well formed.
 */
static int
etag_next(const char **p, const char **tag, size_t *len, int *weak)
{
	const char	*s, *e;

	s = *p;
	while (*s == ' ' || *s == '\t' || *s == ',')
		s++;
	if (*s == '\0') {
		*p = s;
		return (0);
	}

	*weak = 0;
	if (*s == '*') {
		*tag = s;
		*len = 1;
		e = s + 1;
	} else {
		if (s[0] == 'W' && s[1] == '/') {
			*weak = 1;
			s += 2;
		}
		if (*s != '"')
			return (-1);
		/* etagc: %x21 / %x23-7E / obs-text; no quote, no blank. */
		for (e = s + 1; *e != '"'; e++) {
			if (*e == '\0' || (unsigned char)*e < 0x21 ||
			    (unsigned char)*e == 0x7f)
				return (-1);
		}
		e++;
		*tag = s;
		*len = (size_t)(e - s);
	}

	while (*e == ' ' || *e == '\t')
		e++;
	if (*e != ',' && *e != '\0')
		return (-1);
	*p = e;

	return (1);
}

/*
 * Whether the If-Match or If-None-Match list names etag (a strong tag,
 * quotes included). weak: the weak comparison of If-None-Match, where
 * W/"x" matches "x"; otherwise the strong one of If-Match, where no weak
 * tag matches. "*" matches any current representation. A malformed list
 * matches nothing.
 */
int
etag_list_match(const char *list, const char *etag, int weak)
{
	const char	*p, *tag;
	size_t		len, elen;
	int		w, n, hit;

	p = list;
	elen = strlen(etag);
	hit = 0;
	while ((n = etag_next(&p, &tag, &len, &w)) == 1) {
		if (len == 1 && *tag == '*') {
			hit = 1;
			continue;
		}
		if (w && !weak)
			continue;
		if (len == elen && !memcmp(tag, etag, len))
			hit = 1;
	}

	return (n == 0 && hit);
}

/*
 * For a resource whose tag is its row version ("3"): -1 when the list
 * holds "*", else the first strong tag that is a version, else 0 (weak
 * tags never match, RFC 9110 13.1.1; a malformed list matches nothing).
 */
int
etag_list_version(const char *list)
{
	const char	*p, *tag;
	char		*end;
	size_t		len;
	long		v;
	int		w, n, found;

	p = list;
	found = 0;
	while ((n = etag_next(&p, &tag, &len, &w)) == 1) {
		if (len == 1 && *tag == '*')
			return (-1);
		if (w || found != 0 || len < 3 || tag[1] < '1' || tag[1] > '9')
			continue;
		errno = 0;
		v = strtol(tag + 1, &end, 10);
		if (errno == 0 && end == tag + len - 1 && v <= INT_MAX)
			found = (int)v;
	}

	return (n == 0 ? found : 0);
}
