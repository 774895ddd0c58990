/*
 * GET /scan and /scan/...: the scanner app at the door and the venue
 * screen, a progressive web app in assets/scan/ (make build copies jsQR
 * from tests/node_modules into assets/scan/vendor). Like /docs, the files
 * are read once per worker and served from memory; the app reaches
 * nothing but this server, and its service worker keeps it offline.
 */

#include <stdio.h>
#include <string.h>

#include "ngan.h"

struct scan_asset {
	const char	*route;
	const char	*file;
	const char	*type;
	char		*data;
	size_t		len;
};

static struct scan_asset	scan_assets[] = {
	{ "/scan", "scan.html", "text/html; charset=utf-8", NULL, 0 },
	{ "/scan/screen", "screen.html", "text/html; charset=utf-8", NULL, 0 },
	{ "/scan/app.js", "app.js", "text/javascript; charset=utf-8",
	    NULL, 0 },
	{ "/scan/common.js", "common.js", "text/javascript; charset=utf-8",
	    NULL, 0 },
	{ "/scan/screen.js", "screen.js", "text/javascript; charset=utf-8",
	    NULL, 0 },
	{ "/scan/scan.css", "scan.css", "text/css; charset=utf-8", NULL, 0 },
	{ "/scan/sw.js", "sw.js", "text/javascript; charset=utf-8", NULL, 0 },
	{ "/scan/manifest.webmanifest", "manifest.webmanifest",
	    "application/manifest+json", NULL, 0 },
	{ "/scan/icon.svg", "icon.svg", "image/svg+xml", NULL, 0 },
	{ "/scan/jsQR.js", "vendor/jsQR.js", "text/javascript; charset=utf-8",
	    NULL, 0 },
};

#define SCAN_ASSETS	(sizeof(scan_assets) / sizeof(scan_assets[0]))

/* A missing file is logged, and its route answers 503: not fatal. */
int
scan_init(void)
{
	char		path[1024];
	size_t		i;

	for (i = 0; i < SCAN_ASSETS; i++) {
		(void)snprintf(path, sizeof(path), "%s/scan/%s",
		    config_text(CONFIG_ASSETS), scan_assets[i].file);
		asset_load(path, "scan", &scan_assets[i].data,
		    &scan_assets[i].len);
	}

	return (KORE_RESULT_OK);
}

/* Every /scan route: the file its path names. */
int
scan_asset(struct http_request *req, struct ngan_req *r)
{
	struct scan_asset	*a;
	size_t			i;

	for (i = 0; i < SCAN_ASSETS; i++) {
		if (!strcmp(scan_assets[i].route, r->route->pattern))
			break;
	}
	if (i == SCAN_ASSETS || scan_assets[i].data == NULL) {
		problem(req, 503, NULL, "scan.app_not_built");
		return (KORE_RESULT_OK);
	}
	a = &scan_assets[i];

	/*
	 * no-cache: the service worker keeps its own copy for offline use
	 * and asks again when online, so a new release reaches the door.
	 */
	http_response_header(req, "cache-control", "no-cache");
	http_response_header(req, "x-content-type-options", "nosniff");
	/* The worker's scope is /scan, above its own folder. */
	if (!strcmp(a->file, "sw.js"))
		http_response_header(req, "service-worker-allowed", "/scan");
	if (!strncmp(a->type, "text/html", 9))
		http_response_header(req, "content-security-policy",
		    "default-src 'self'; connect-src 'self'; "
		    "img-src 'self' data: blob:; media-src 'self' blob:; "
		    "style-src 'self'; worker-src 'self'; "
		    "frame-ancestors 'none'");
	respond_text(req, 200, a->type, a->data, a->len);

	return (KORE_RESULT_OK);
}
