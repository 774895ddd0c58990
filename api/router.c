/*
 * Path routing. Kore hands every request to api_dispatch(); this file
 * finds the route by its template ("/v1/users/{id}") so that unknown
 * paths and wrong methods get problem+json answers, and so metrics and
 * the access log name the template, never the raw path.
 * Pure functions: unit tests and fuzzers call them without a server.
 */

#include <string.h>

#include "ngan.h"

static int	segment_match(const char *, size_t, const char *, size_t,
		    char *);

static const struct {
	int		method;
	const char	*name;
} method_names[] = {
	{ HTTP_METHOD_GET,	"GET" },
	{ HTTP_METHOD_POST,	"POST" },
	{ HTTP_METHOD_PUT,	"PUT" },
	{ HTTP_METHOD_DELETE,	"DELETE" },
	{ HTTP_METHOD_HEAD,	"HEAD" },
	{ HTTP_METHOD_OPTIONS,	"OPTIONS" },
	{ HTTP_METHOD_PATCH,	"PATCH" },
};

int
route_method_index(int method)
{
	size_t		i;

	for (i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++) {
		if (method_names[i].method == method)
			return ((int)i);
	}

	return (-1);
}

/*
 * Finds the route whose template matches path. Sets *path_known when some
 * route matched the path at all, so the caller can tell 404 from 405.
 * Parameters ({id}) must be UUIDs: anything else cannot name a resource.
 */
const struct route *
route_find(const struct route *routes, size_t n, const char *path,
    char params[ROUTE_PARAMS_MAX][NGAN_UUID_LEN + 1], int *path_known)
{
	const char	*p, *t, *pe, *te;
	size_t		i, np;
	int		ok;

	*path_known = 0;
	if (path == NULL || *path != '/')
		return (NULL);

	for (i = 0; i < n; i++) {
		p = path;
		t = routes[i].pattern;
		np = 0;
		ok = 1;

		while (ok && *p != '\0' && *t != '\0') {
			if (*p != '/' || *t != '/') {
				ok = 0;
				break;
			}
			p++;
			t++;
			pe = strchr(p, '/');
			if (pe == NULL)
				pe = p + strlen(p);
			te = strchr(t, '/');
			if (te == NULL)
				te = t + strlen(t);

			if (*t == '{') {
				if (np >= ROUTE_PARAMS_MAX ||
				    !segment_match(p, (size_t)(pe - p), t,
				    (size_t)(te - t), params[np]))
					ok = 0;
				np++;
			} else if ((size_t)(pe - p) != (size_t)(te - t) ||
			    memcmp(p, t, (size_t)(pe - p)) != 0) {
				ok = 0;
			}
			p = pe;
			t = te;
		}

		if (ok && *p == '\0' && *t == '\0') {
			*path_known = 1;
			return (&routes[i]);
		}
	}

	return (NULL);
}

/* Whether the route answers the method (route_method_index()). */
int
route_has(const struct route *r, int idx)
{
	if (idx < 0 || idx >= ROUTE_METHODS)
		return (0);

	return (r->calls[idx].handler != NULL ||
	    r->calls[idx].function != NULL);
}

/*
 * Writes "GET, HEAD, POST" for the route's methods (HEAD wherever GET is:
 * api_dispatch answers it with the GET handler); returns 0 when it is cut.
 */
int
route_allow_header(const struct route *r, char *out, size_t len)
{
	size_t		i, off;
	int		w, get;

	off = 0;
	out[0] = '\0';
	get = route_method_index(HTTP_METHOD_GET);
	for (i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++) {
		if (!route_has(r, (int)i) &&
		    !(method_names[i].method == HTTP_METHOD_HEAD &&
		    route_has(r, get)))
			continue;
		w = snprintf(out + off, len - off, "%s%s",
		    off > 0 ? ", " : "", method_names[i].name);
		if (w < 0 || (size_t)w >= len - off)
			return (0);
		off += (size_t)w;
	}

	return (1);
}

/*
 * A "{name}" segment takes one UUID, lower-cased into out; "{n}" takes a
 * small number instead (1 to 999, no leading zero).
 */
static int
segment_match(const char *seg, size_t len, const char *tmpl, size_t tlen,
    char *out)
{
	size_t		i;
	char		c;

	if (tlen == 3 && !memcmp(tmpl, "{n}", 3)) {
		if (len < 1 || len > 3 || seg[0] == '0')
			return (0);
		for (i = 0; i < len; i++) {
			if (seg[i] < '0' || seg[i] > '9')
				return (0);
			out[i] = seg[i];
		}
		out[len] = '\0';
		return (1);
	}

	if (len != NGAN_UUID_LEN)
		return (0);

	for (i = 0; i < len; i++) {
		c = seg[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return (0);
		} else if (c >= 'A' && c <= 'F') {
			c = (char)(c - 'A' + 'a');
		} else if (!((c >= '0' && c <= '9') ||
		    (c >= 'a' && c <= 'f'))) {
			return (0);
		}
		out[i] = c;
	}
	out[len] = '\0';

	return (1);
}
