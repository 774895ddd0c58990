/*
 * Background jobs (sql/api/jobs.sql): GET /v1/jobs/{id} is a plain route
 * (api/main.c); this sends the ZIP of certificates a job built.
 * ngan-certzip (tools/ngan-certzip.c) writes it to NGAN_CERT_ZIP_DIR as
 * <job id>.zip; the worker streams it from there (Kore's fileref: from
 * the page cache, never whole in the worker's memory).
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ngan.h"
#include "certificates.h"

static int	zip_send(struct http_request *, struct ngan_req *);

/* GET /v1/jobs/{id}/certificates.zip: staff of the job's event. */
int
jobs_certificates_zip(struct http_request *req, struct ngan_req *r)
{
	if (r->state != STATE_QUERY)
		return (zip_send(req, r));

	if (!auth_require(req, r, ROLE_ADMIN | ROLE_ORGANIZER))
		return (KORE_RESULT_OK);

	return (db_query(req, r, "SELECT status, body, etag, location FROM "
	    "api.job_zip($1, $2)", 2, r->actor.json, r->params[0]));
}

/* The file the database vouches for: its size must be what was built. */
static int
zip_send(struct http_request *req, struct ngan_req *r)
{
	struct kore_fileref	*ref;
	struct connection	*c;
	struct listener		*l;
	struct stat		st;
	json_t			*info;
	json_int_t		bytes;
	const char		*event;
	char			path[1024], disposition[128];
	int			fd, n;

	if (db_rows(r) != 1 || strcmp(db_value(r, 0, 0), "200") != 0)
		return (db_respond(req, r));

	info = json_loads(db_value(r, 0, 1), 0, NULL);
	bytes = json_integer_value(json_object_get(info, "zip_bytes"));
	event = json_string_value(json_object_get(info, "event_id"));
	(void)snprintf(disposition, sizeof(disposition),
	    "attachment; filename=\"certificates-%s.zip\"",
	    event != NULL ? event : "event");
	json_decref(info);

	n = snprintf(path, sizeof(path), "%s/%s.zip",
	    config_text(CONFIG_CERT_ZIP_DIR), r->params[0]);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size != (off_t)bytes) {
		if (fd == -1 && errno != ENOENT)
			kore_log(LOG_ERR, "certificate zip: open: %s",
			    errno_s);
		if (fd != -1)
			(void)close(fd);
		problem(req, 410, NULL, "jobs.zip_gone");
		return (KORE_RESULT_OK);
	}

	/*
	 * Kore keeps a file it sends open while it sends it, and for a
	 * while after: a second download takes the one it holds.
	 */
	c = req->owner;
	l = c->owner;
	if ((ref = kore_fileref_get(path, l->server->tls)) != NULL)
		(void)close(fd);
	else if ((ref = kore_fileref_create(l->server, path, fd, st.st_size,
	    &st.st_mtim)) == NULL) {
		(void)close(fd);
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}
	header_set(req, "cache-control", "private, no-store");
	/* Kore names the type itself when its media types know ".zip". */
	if (http_media_type(path) == NULL)
		header_set(req, "content-type", "application/zip");
	http_response_header(req, "content-disposition", disposition);
	respond_fileref(req, 200, ref);

	return (KORE_RESULT_OK);
}
