/*
 * GET /docs: the API reference, rendered in the browser by Swagger UI
 * from /openapi.yaml. The page and the renderer live in assets/ (make
 * build copies swagger-ui-dist there from tests/node_modules); they are
 * read once per worker and served from memory, so the page needs no
 * network beyond this server.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngan.h"

struct asset {
	const char	*file;
	const char	*type;
	char		*data;
	size_t		len;
};

static struct asset	assets[] = {
	{ "docs.html", "text/html; charset=utf-8", NULL, 0 },
	{ "docs.js", "text/javascript; charset=utf-8", NULL, 0 },
	{ "vendor/swagger-ui.css", "text/css; charset=utf-8", NULL, 0 },
	{ "vendor/swagger-ui-bundle.js", "text/javascript; charset=utf-8",
	    NULL, 0 },
};

static int	asset_send(struct http_request *, size_t);

/* A missing file is logged, and its route answers 503: not fatal. */
int
docs_init(void)
{
	const char	*dir;
	char		path[1024];
	size_t		i;

	dir = config_text(CONFIG_ASSETS);
	for (i = 0; i < sizeof(assets) / sizeof(assets[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir,
		    assets[i].file);
		asset_load(path, "docs", &assets[i].data, &assets[i].len);
	}

	return (KORE_RESULT_OK);
}

/*
 * Reads the file at path whole into *data (kept for the worker's life)
 * and its length into *len. A file it cannot open or size is logged (who
 * names the caller) or skipped, and *data stays NULL.
 */
void
asset_load(const char *path, const char *who, char **data, size_t *len)
{
	FILE		*fp;
	long		n;

	if ((fp = fopen(path, "r")) == NULL) {
		kore_log(LOG_WARNING, "%s: cannot open %s: %s", who, path,
		    strerror(errno));
		return;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		fclose(fp);
		return;
	}
	*data = kore_malloc((size_t)n + 1);
	*len = fread(*data, 1, (size_t)n, fp);
	fclose(fp);
}

static int
asset_send(struct http_request *req, size_t i)
{
	if (assets[i].data == NULL) {
		problem(req, 503, NULL, "docs.reference_page_was_built");
		return (KORE_RESULT_OK);
	}
	http_response_header(req, "cache-control", "public, max-age=300");
	http_response_header(req, "x-content-type-options", "nosniff");
	/*
	 * "Try it out" calls this same origin (servers: "/" in openapi.yaml),
	 * so connect-src 'self' is all the page may reach.
	 */
	if (i == 0)
		http_response_header(req, "content-security-policy",
		    "default-src 'self'; connect-src 'self'; "
		    "img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
		    "frame-ancestors 'none'");
	respond_text(req, 200, assets[i].type, assets[i].data,
	    assets[i].len);

	return (KORE_RESULT_OK);
}

int
docs_page(struct http_request *req, struct ngan_req *r)
{
	return (asset_send(req, 0));
}

int
docs_script(struct http_request *req, struct ngan_req *r)
{
	return (asset_send(req, 1));
}

int
docs_css(struct http_request *req, struct ngan_req *r)
{
	return (asset_send(req, 2));
}

int
docs_bundle(struct http_request *req, struct ngan_req *r)
{
	return (asset_send(req, 3));
}
