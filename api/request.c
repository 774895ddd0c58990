/*
 * The body and query of a request: read, parsed and checked against the
 * field specs of json.c, a 4xx problem answered when they do not hold.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ngan.h"

/* A decoded query parameter, NULL when absent. */
const char *
query_value(struct ngan_req *r, const char *name)
{
	int		i;

	for (i = 0; i < r->nquery; i++) {
		if (!strcmp(r->qnames[i], name))
			return (r->qvalues[i]);
	}

	return (NULL);
}

/*
 * Checks the query parameters specs names, in their order: the first
 * that will not do is answered 422 (its row's code, "format" unless
 * named) and KORE_RESULT_ERROR returned. Others are not looked at.
 */
int
query_or_422(struct http_request *req, struct ngan_req *r,
    const struct field_spec *specs)
{
	const struct field_spec	*s;
	const char		*v, *why;

	for (s = specs; s->name != NULL; s++) {
		if ((v = query_value(r, s->name)) == NULL)
			continue;
		if ((why = query_value_check(s, v)) != NULL) {
			query_error(req, s->name, s->code != NULL ? s->code :
			    "format", why);
			return (KORE_RESULT_ERROR);
		}
	}

	return (KORE_RESULT_OK);
}

/*
 * A body whose personal data a handler has sealed, as compact JSON for
 * SQL (caller must free), or NULL once answered: 422 with errors when
 * sealing failed (sealed NULL), else 500. Steals sealed and errors.
 */
char *
sealed_body_or_error(struct http_request *req, json_t *sealed,
    json_t *errors)
{
	char		*body;

	if (sealed == NULL) {
		problem_errors(req, 422, "validation", "validation.body",
		    errors);
		return (NULL);
	}
	json_decref(errors);
	body = json_dumps(sealed, JSON_COMPACT);
	json_decref(sealed);
	if (body == NULL)
		problem(req, 500, NULL, "error.internal");

	return (body);
}

/*
 * Reads, parses and validates a JSON body into r->body (specs NULL: only
 * that it is an object). Answers the error
 * itself and returns KORE_RESULT_ERROR when the body will not do.
 */
int
json_body_or_error(struct http_request *req, struct ngan_req *r,
    const struct field_spec *specs)
{
	const char	*type;
	json_error_t	err;
	json_t		*errors;
	char		*buf;
	ssize_t		ret;
	size_t		len, off;

	if (!http_request_header(req, "content-type", &type) ||
	    strncasecmp(type, "application/json", 16) != 0 ||
	    (type[16] != '\0' && type[16] != ';' && type[16] != ' ')) {
		problem(req, 415, NULL, "json.send_body_applicationjson");
		return (KORE_RESULT_ERROR);
	}

	len = req->http_body_length;
	if (len > NGAN_JSON_BODY_MAX) {
		problem(req, 413, NULL, "json.json_bodies_are_limited");
		return (KORE_RESULT_ERROR);
	}

	buf = kore_malloc(len + 1);
	off = 0;
	for (;;) {
		ret = http_body_read(req, buf + off, len - off);
		if (ret <= 0)
			break;
		off += (size_t)ret;
		if (off >= len)
			break;
	}
	buf[off] = '\0';

	r->body = json_loadb(buf, off, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, &err);
	kore_free(buf);
	if (r->body == NULL) {
		problem(req, 400, "malformed-json",
		    "json.body_valid_json_utf8");
		return (KORE_RESULT_ERROR);
	}

	if (specs == NULL) {
		if (!json_is_object(r->body)) {
			errors = json_array();
			validation_error(errors, "", "type",
			    "json.body_must_json_object");
			problem_errors(req, 422, "validation",
			    "validation.body", errors);
			return (KORE_RESULT_ERROR);
		}
		return (KORE_RESULT_OK);
	}

	return (json_body_validate(req, r, specs));
}

/* Checks r->body against specs; answers 422 naming each bad field. */
int
json_body_validate(struct http_request *req, struct ngan_req *r,
    const struct field_spec *specs)
{
	json_t		*errors;

	errors = json_array();
	if (json_validate(r->body, specs, errors) > 0) {
		problem_errors(req, 422, "validation",
		    "validation.body", errors);
		return (KORE_RESULT_ERROR);
	}
	json_decref(errors);

	return (KORE_RESULT_OK);
}

/* ?limit= between 1 and 200, 50 when absent; answers 422 itself. */
int
query_limit_or_422(struct http_request *req, int *limit)
{
	char		*v, *end;
	long		n;

	*limit = 50;
	if (!query_string(req, "limit", &v))
		return (KORE_RESULT_OK);

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 1 || n > 200) {
		query_error(req, "limit", "range",
		    "json.limit_whole_number_from");
		return (KORE_RESULT_ERROR);
	}

	*limit = (int)n;
	return (KORE_RESULT_OK);
}

/* 422 naming one query parameter. */
void
query_error(struct http_request *req, const char *field, const char *code,
    const char *message)
{
	json_t		*errors;

	errors = json_array();
	validation_error(errors, field, code, message);
	problem_errors(req, 422, "validation", "validation.query",
	    errors);
}

/* A query parameter as decoded text; 0 when absent. */
int
query_string(struct http_request *req, const char *name, char **out)
{
	struct ngan_req	*r;
	int		i;

	r = http_state_get(req);
	for (i = 0; r != NULL && i < r->nquery; i++) {
		if (!strcmp(r->qnames[i], name)) {
			*out = r->qvalues[i];
			return (1);
		}
	}

	return (0);
}

/*
 * The uploaded file: the raw body, or the part named "file" (else the
 * first file) of a multipart/form-data body. The Content-Type only says
 * where the bytes are; what they are is read from them. Answers 415
 * (wrong_type, a message key, for a Content-Type that is neither), 413
 * (too_large, above max bytes), 400 or 415 for an empty or cut file
 * itself and returns KORE_RESULT_ERROR. *out is the caller's to
 * kore_free().
 */
int
upload_read(struct http_request *req, size_t max, const char *wrong_type,
    const char *too_large, u_int8_t **out, size_t *len)
{
	struct http_file	*file;
	const char		*type;
	u_int8_t		*buf;
	size_t			n, off;
	ssize_t			got;

	*out = NULL;
	*len = 0;
	if (!http_request_header(req, "content-type", &type))
		type = "";

	file = NULL;
	if (!strncasecmp(type, "multipart/form-data", 19)) {
		http_populate_multipart_form(req);
		if ((file = http_file_lookup(req, "file")) == NULL)
			file = TAILQ_FIRST(&req->files);
		if (file == NULL) {
			problem(req, 415, NULL, "upload.multipart_file");
			return (KORE_RESULT_ERROR);
		}
		n = file->length;
	} else if (!strncasecmp(type, "image/", 6) ||
	    !strncasecmp(type, "application/octet-stream", 24)) {
		n = req->http_body_length;
	} else {
		problem(req, 415, NULL, wrong_type);
		return (KORE_RESULT_ERROR);
	}

	if (n > max) {
		problem(req, 413, NULL, too_large);
		return (KORE_RESULT_ERROR);
	}
	if (n == 0) {
		problem(req, 415, NULL, "upload.file_empty");
		return (KORE_RESULT_ERROR);
	}

	buf = kore_malloc(n);
	for (off = 0; off < n; off += (size_t)got) {
		if (file != NULL)
			got = http_file_read(file, buf + off, n - off);
		else
			got = http_body_read(req, buf + off, n - off);
		if (got <= 0)
			break;
	}
	if (off != n) {
		kore_free(buf);
		problem(req, 400, NULL, "upload.file_incomplete");
		return (KORE_RESULT_ERROR);
	}

	*out = buf;
	*len = n;
	return (KORE_RESULT_OK);
}
