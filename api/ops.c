/*
 * Operations: liveness, readiness, metrics and the API description.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngan.h"

static char	*openapi;
static size_t	openapi_len;

/* Loaded once per worker so /openapi.yaml never touches the disk. */
int
ops_init(void)
{
	const char	*path;
	FILE		*fp;
	long		len;

	path = config_text(CONFIG_OPENAPI);
	if ((fp = fopen(path, "r")) == NULL) {
		kore_log(LOG_ERR, "cannot open %s: %s", path, strerror(errno));
		return (KORE_RESULT_ERROR);
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		fclose(fp);
		return (KORE_RESULT_ERROR);
	}
	openapi = kore_malloc((size_t)len + 1);
	openapi_len = fread(openapi, 1, (size_t)len, fp);
	openapi[openapi_len] = '\0';
	fclose(fp);

	return (KORE_RESULT_OK);
}

int
ops_healthz(struct http_request *req, struct ngan_req *r)
{
	static const char	ok[] = "{\"status\":\"ok\"}";

	http_response_header(req, "cache-control", "no-store");
	respond_text(req, 200, "application/json", ok, sizeof(ok) - 1);
	return (KORE_RESULT_OK);
}

/* Ready when a query goes through; db.c answers 503 when it cannot. */
int
ops_readyz(struct http_request *req, struct ngan_req *r)
{
	static const char	ready[] = "{\"status\":\"ready\"}";

	if (r->state == STATE_QUERY) {
		http_response_header(req, "cache-control", "no-store");
		return (db_query(req, r, "SELECT 1", 0));
	}
	/*
	 * The database answers, but until this worker listens again for
	 * revocations it refuses every staff token with 503 (revoke.c):
	 * not ready for the load balancer either.
	 */
	if (!notify_ready()) {
		problem_retry_after(req, 503, 1, "error.db_unreachable");
		return (KORE_RESULT_OK);
	}

	respond_text(req, 200, "application/json", ready, sizeof(ready) - 1);
	return (KORE_RESULT_OK);
}

/*
 * The metrics tell load and error rates per route and the outbox's
 * state: for the scraper (NGAN_METRICS_TOKEN as a bearer token, which
 * auth_bearer lets through on this route only) and admins.
 */
int
ops_metrics(struct http_request *req, struct ngan_req *r)
{
	struct kore_buf		*buf;
	const char		*h;

	if (r->state == STATE_QUERY)
		goto check;
	metrics_db(worker->id, db_connections(), db_in_use, db_waiting);
	buf = kore_buf_alloc(8192);
	metrics_render(buf);
	if (!r->db_unavailable)
		metrics_render_outbox(buf, r);
	http_response_header(req, "cache-control", "no-store");
	respond_text(req, 200, "text/plain; version=0.0.4; charset=utf-8",
	    (const char *)buf->data, buf->offset);
	kore_buf_free(buf);

	return (KORE_RESULT_OK);

check:
	if (!r->actor.authenticated) {
		if (!http_request_header(req, "authorization", &h) ||
		    strncasecmp(h, "Bearer ", 7) != 0 ||
		    !edge_metrics_token(h + 7)) {
			problem_unauthorized(req, 0);
			return (KORE_RESULT_OK);
		}
	} else if (!auth_require(req, r, ROLE_ADMIN)) {
		return (KORE_RESULT_OK);
	}

	/*
	 * The outbox's figures are the database's: asked for each scrape,
	 * and left out when the database does not answer (the rest of the
	 * metrics are this server's own and answer anyway).
	 */
	r->db_optional = 1;
	return (db_query(req, r, "SELECT channel, pending, oldest_seconds, "
	    "sent, failed, dead FROM api.outbox_metrics()", 0));
}

int
ops_openapi(struct http_request *req, struct ngan_req *r)
{
	http_response_header(req, "cache-control", "public, max-age=300");
	respond_text(req, 200, "application/yaml", openapi, openapi_len);
	return (KORE_RESULT_OK);
}
