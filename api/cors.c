/*
 * CORS for third-party web dashboards. Origins allowed come from
 * NGAN_CORS_ORIGINS (comma-separated, exact "scheme://host[:port]");
 * none by default. An allowed Origin is echoed (never "*"), with Vary:
 * Origin; a request from any other origin gets no CORS header at all,
 * so the browser keeps the answer from the page. Tokens travel in the
 * Authorization header, not cookies: no Allow-Credentials.
 */

#include <stdlib.h>
#include <string.h>

#include "ngan.h"

#define CORS_ORIGINS_MAX	32
#define CORS_ORIGIN_LEN		256

static char	origins[CORS_ORIGINS_MAX][CORS_ORIGIN_LEN];
static int	norigins;

int
cors_init(void)
{
	const char	*v, *p, *end;
	size_t		len;

	norigins = 0;
	v = config_text(CONFIG_CORS_ORIGINS);
	for (p = v; *p != '\0'; p = *end ? end + 1 : end) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' ||
		    p[len - 1] == '/'))
			len--;
		if (len == 0)
			continue;
		if (len >= CORS_ORIGIN_LEN || norigins == CORS_ORIGINS_MAX ||
		    (strncmp(p, "http://", 7) && strncmp(p, "https://", 8)) ||
		    memchr(p, '*', len) != NULL)
			return (KORE_RESULT_ERROR);
		memcpy(origins[norigins], p, len);
		origins[norigins][len] = '\0';
		norigins++;
	}

	return (KORE_RESULT_OK);
}

/*
 * Adds the CORS headers an allowed Origin gets on every answer. Returns
 * 1 when the request came from an allowed origin.
 */
int
cors_apply(struct http_request *req)
{
	const char	*origin;
	int		i;

	if (norigins == 0)
		return (0);
	http_response_header(req, "vary", "Origin");
	if (!http_request_header(req, "origin", &origin))
		return (0);
	for (i = 0; i < norigins; i++) {
		if (!strcmp(origins[i], origin))
			break;
	}
	if (i == norigins)
		return (0);

	http_response_header(req, "access-control-allow-origin", origin);
	http_response_header(req, "access-control-expose-headers",
	    "ETag, X-Request-Id, Retry-After, Location, Content-Disposition");

	return (1);
}

/*
 * OPTIONS on a known path: a preflight from an allowed origin gets the
 * methods and headers it may use (cached for 10 minutes); anything else
 * just learns the methods. 204 either way, nothing else runs.
 */
void
cors_preflight(struct http_request *req, int allowed, const char *methods)
{
	if (allowed) {
		http_response_header(req, "access-control-allow-methods",
		    methods);
		http_response_header(req, "access-control-allow-headers",
		    "Authorization, Content-Type, Idempotency-Key, If-Match, "
		    "If-None-Match, X-Request-Id, Accept-Language");
		http_response_header(req, "access-control-max-age", "600");
	}
	http_response_header(req, "allow", methods);
	respond_send(req, 204, NULL, 0);
}
