/*
 * Registrations: a participant's place at an event, confirmed or on the
 * waitlist. One at a time (POST /v1/events/{id}/registrations), or many
 * from a spreadsheet (.../registrations/import, text/csv), read, listed,
 * cancelled, and exported as CSV for the organising office. Seats are
 * handed out in SQL under a lock on the event (008_registrations_api.sql).
 */

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ngan.h"

#define IMPORT_ROWS_MAX		5000

static int	import_header(struct http_request *, const struct csv_table *,
		    int *);
static json_t	*import_row(const struct csv_table *, size_t, const int *,
		    size_t);
static void	import_error(json_t *, int, const char *, const char *);
static int	import_body(struct http_request *, struct ngan_req *);
static int	import_respond(struct http_request *, struct ngan_req *);
static int	import_text(struct http_request *, const char *, size_t,
		    char **, size_t *);
static int	export_csv(struct http_request *, struct ngan_req *);
static int	export_cell(struct csv_buf *, json_t *, size_t);
static const char *target_group_check(const char *);

static const char *const registration_statuses[] = {
	"confirmed", "waitlisted", "cancelled", NULL
};

const struct field_spec registration_fields[] = {
	{ "participant_id", FIELD_UUID, 0 },
	{ "participant", FIELD_OBJECT, 0, 0, 0, NULL, NULL,
	    participant_fields },
	{ "target_group", FIELD_STRING, FIELD_NULLABLE, 1, 40 },
	{ "check_in", FIELD_BOOL, 0 },
	{ "device_id", FIELD_STRING, FIELD_NULLABLE, 1, 100 },
	{ NULL }
};

/* GET /v1/events/{id}/registrations: the filters, passed on as one. */
static const char *const true_false[] = { "true", "false", NULL };

const struct field_spec registration_query[] = {
	QUERY_LIMIT,
	{ .name = "status", .type = FIELD_STRING, .flags = FIELD_FILTER,
	    .choices = registration_statuses, .code = "enum",
	    .message = "registrations.status_filter" },
	{ .name = "target_group", .type = FIELD_STRING,
	    .flags = FIELD_FILTER, .check = target_group_check },
	{ .name = "q", .type = FIELD_STRING, .flags = FIELD_FILTER, .min = 1,
	    .max = 200, .code = "length",
	    .message = "participants.q_1_200_characters" },
	{ .name = "checked_in", .type = FIELD_STRING, .flags = FIELD_FILTER,
	    .choices = true_false,
	    .message = "registrations.checked_in_filter" },
	QUERY_CURSOR,
	{ NULL }
};

/* registrations.csv, left to right. */
static const struct {
	const char	*header;
	const char	*key;		/* in SQL's row: the text, or a mask */
	const char	*sealed;	/* hex to open instead, when there */
	const char	*ad;
} export_columns[] = {
	{ "registration_id", "registration_id" },
	{ "status", "status" },
	{ "target_group", "target_group" },
	{ "title", "title" },
	{ "first_name", "first_name" },
	{ "last_name", "last_name" },
	{ "national_id", "national_id_masked", "national_id_enc", PII_AD_NID },
	{ "phone", "phone_masked", "phone_enc", PII_AD_PHONE },
	{ "province", "province" },
	{ "district", "district" },
	{ "subdistrict", "subdistrict" },
	{ "registered_at", "registered_at" },
};

#define EXPORT_COLUMNS	(sizeof(export_columns) / sizeof(export_columns[0]))

/* A target group's code, as the list's filter takes it. */
static const char *
target_group_check(const char *v)
{
	size_t		i;

	for (i = 0; (v[i] >= 'a' && v[i] <= 'z') || v[i] == '_' ||
	    (i > 0 && v[i] >= '0' && v[i] <= '9'); i++)
		;
	if (i < 2 || i > 40 || v[i] != '\0')
		return ("registrations.target_group_filter");

	return (NULL);
}

/*
 * Body: {"participant_id"} or {"participant": {...}} (a participant as
 * POST /v1/participants takes it, sealed here like there), and
 * "target_group". A walk-in adds "check_in": true (and "device_id"):
 * registered and checked in at once, which assigned scanners may do too.
 */
int
registrations_create(struct http_request *req, struct ngan_req *r)
{
	json_t		*errors, *inline_p, *sealed;
	char		*body;
	int		ret;

	if (r->state != STATE_QUERY)
		return (db_respond(req, r));

	errors = json_array();
	inline_p = json_object_get(r->body, "participant");
	if (inline_p != NULL &&
	    json_object_get(r->body, "participant_id") != NULL) {
		validation_error(errors, "participant", "format",
		    "registrations.send_participantid_participant_both");
	} else if (inline_p == NULL &&
	    json_object_get(r->body, "participant_id") == NULL) {
		validation_error(errors, "participant_id", "required",
		    "registrations.name_participant_participantid_send");
	} else if (inline_p != NULL) {
		sealed = participant_seal(inline_p, "participant.", errors);
		if (sealed != NULL)
			json_object_set_new(r->body, "participant", sealed);
	}
	if (json_array_size(errors) > 0) {
		problem_errors(req, 422, "validation",
		    "validation.body", errors);
		return (KORE_RESULT_OK);
	}
	json_decref(errors);

	/* A walk-in's check-in answers as POST /v1/checkins would. */
	if (json_is_true(json_object_get(r->body, "check_in"))) {
		http_response_header(req, "vary", "accept-language");
		json_object_set_new(r->body, "checkin_lang",
		    json_string(i18n_code(i18n_lang(req))));
		json_object_set_new(r->body, "checkin_margin",
		    json_integer(checkins_margin()));
	}

	body = json_dumps(r->body, JSON_COMPACT);
	ret = db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.registration_create($1, $2, $3)", 3, r->actor.json,
	    r->params[0], body);
	free(body);

	return (ret);
}

/*
 * GET /v1/events/{id}/registrations.csv, national ids and phones masked;
 * ?reveal=...&purpose=... asks for them in clear (SQL checks who may,
 * and audits the reveal in the statement that reads the rows).
 */
int
registrations_export(struct http_request *req, struct ngan_req *r)
{
	char		fields[32], *purpose;

	if (r->state != STATE_QUERY)
		return (export_csv(req, r));

	if (!reveal_query_or_422(req, fields, sizeof(fields), &purpose))
		return (KORE_RESULT_OK);

	return (db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.registrations_export($1, $2, $3, $4)", 4, r->actor.json,
	    r->params[0], fields[0] != '\0' ? fields : NULL,
	    fields[0] != '\0' ? purpose : NULL));
}

/*
 * Writes the rows SQL gave as CSV, with a byte order mark so that
 * spreadsheet programs read the Thai as UTF-8. Sealed national ids and
 * phones (present only when revealed) are opened here; otherwise masks.
 */
static int
export_csv(struct http_request *req, struct ngan_req *r)
{
	struct csv_buf		b;
	json_t			*body, *row;
	char			disposition[96];
	size_t			i, k;
	int			ok;

	if (db_rows(r) != 1 || db_isnull(r, 0, 0) ||
	    strtol(db_value(r, 0, 0), NULL, 10) >= 400)
		return (db_respond(req, r));

	memset(&b, 0, sizeof(b));
	body = json_loads(db_value(r, 0, 1), 0, NULL);
	ok = body != NULL && csv_buf_append(&b, "\xef\xbb\xbf", 3);
	for (k = 0; ok && k < EXPORT_COLUMNS; k++)
		ok = csv_buf_field(&b, export_columns[k].header, k == 0);
	ok = ok && csv_buf_append(&b, "\r\n", 2);

	json_array_foreach(json_object_get(body, "rows"), i, row) {
		for (k = 0; ok && k < EXPORT_COLUMNS; k++)
			ok = export_cell(&b, row, k);
		ok = ok && csv_buf_append(&b, "\r\n", 2);
		if (!ok)
			break;
	}

	if (ok) {
		(void)snprintf(disposition, sizeof(disposition),
		    "attachment; filename=\"registrations-%s.csv\"",
		    r->params[0]);
		http_response_header(req, "content-disposition", disposition);
		respond_text(req, 200, "text/csv; charset=utf-8", b.data,
		    b.len);
	} else {
		problem(req, 500, NULL, "error.internal");
	}

	/* The buffer held clear national ids and phones. */
	if (b.data != NULL)
		sodium_memzero(b.data, b.cap);
	csv_buf_free(&b);
	json_decref(body);

	return (KORE_RESULT_OK);
}

/* Column k of one row; a sealed value is opened, else its mask shown. */
static int
export_cell(struct csv_buf *b, json_t *row, size_t k)
{
	const char	*hex;
	char		clear[PII_PLAIN_MAX + 1];
	int		ok;

	hex = export_columns[k].sealed == NULL ? NULL :
	    json_string_value(json_object_get(row, export_columns[k].sealed));
	if (hex != NULL && pii_decrypt_hex(pii_worker_keys(), hex,
	    export_columns[k].ad, clear, sizeof(clear))) {
		ok = csv_buf_field(b, clear, k == 0);
		sodium_memzero(clear, sizeof(clear));
		return (ok);
	}
	if (hex != NULL)
		kore_log(LOG_WARNING, "a sealed %s did not open",
		    export_columns[k].ad);

	return (csv_buf_field(b, json_string_value(json_object_get(row,
	    export_columns[k].key)), k == 0));
}

/*
 * POST /v1/events/{id}/registrations/import[?dry_run=true], text/csv in
 * UTF-8 or Windows-874 (Thai Excel's plain "CSV"). C converts and parses
 * the file, checks each row's cells and seals its national id and phone;
 * SQL resolves places (suggesting official names for unknown ones) and
 * target groups and stores the rows, all in one call
 * (api.registrations_import).
 */
int
registrations_import(struct http_request *req, struct ngan_req *r)
{
	if (r->state != STATE_QUERY)
		return (import_respond(req, r));

	return (import_body(req, r));
}

/*
 * The import report, its rows' errors in the request's language; a
 * problem as db_respond sends any.
 */
static int
import_respond(struct http_request *req, struct ngan_req *r)
{
	json_t		*report;
	int		lang;

	if (db_rows(r) != 1 || db_isnull(r, 0, 1) ||
	    strtol(db_value(r, 0, 0), NULL, 10) != 200 ||
	    (report = json_loads(db_value(r, 0, 1), 0, NULL)) == NULL)
		return (db_respond(req, r));

	lang = i18n_lang(req);
	i18n_import_report(report, lang);
	i18n_headers(req, lang);
	respond_json(req, 200, report);
	json_decref(report);

	return (KORE_RESULT_OK);
}

/* Reads and checks the file, then sends its rows to SQL. */
static int
import_body(struct http_request *req, struct ngan_req *r)
{
	struct csv_table	t;
	const char		*type, *data;
	char			*dry, *buf, *text, *rows_text;
	json_t			*rows, *errors;
	size_t			len, off, rec, text_len;
	ssize_t			n;
	int			*map, ret, dry_run;

	ret = KORE_RESULT_OK;
	len = 0;
	off = 0;
	buf = NULL;
	text = NULL;
	text_len = 0;
	map = NULL;
	rows = NULL;
	memset(&t, 0, sizeof(t));

	dry_run = 0;
	if (query_string(req, "dry_run", &dry)) {
		if (strcmp(dry, "true") && strcmp(dry, "false")) {
			query_error(req, "dry_run", "format",
			    "registrations.dryrun_true_false");
			goto out;
		}
		dry_run = !strcmp(dry, "true");
	}

	if (!http_request_header(req, "content-type", &type) ||
	    strncasecmp(type, "text/csv", 8) != 0 ||
	    (type[8] != '\0' && type[8] != ';' && type[8] != ' ')) {
		problem(req, 415, NULL, "registrations.send_file_textcsv");
		goto out;
	}

	/* Kore has refused bodies over http_body_max (8 MiB) already. */
	len = req->http_body_length;
	buf = kore_malloc(len + 1);
	for (off = 0; off < len; off += (size_t)n) {
		if ((n = http_body_read(req, buf + off, len - off)) <= 0)
			break;
	}
	buf[off] = '\0';
	if (off != len) {
		problem(req, 400, NULL, "upload.file_incomplete");
		goto out;
	}
	if (!import_text(req, buf, off, &text, &text_len))
		goto out;

	if (text == NULL) {
		text_len = off;
		data = buf;
	} else {
		data = text;
	}

	switch (csv_parse(data, text_len, IMPORT_ROWS_MAX, &t)) {
	case CSV_OK:
		break;
	case CSV_TOO_MANY:
		problem(req, 413, NULL, "registrations.file_holds_most_5000");
		goto out;
	default:
		problem(req, 500, NULL, "error.internal");
		goto out;
	}
	if (t.nrecords == 0) {
		errors = json_array();
		validation_error(errors, "", "required",
		    "registrations.file_empty_needs_header");
		problem_errors(req, 422, "validation",
		    "import.file_unreadable", errors);
		goto out;
	}

	map = kore_calloc(t.records[0].nfields, sizeof(*map));
	if (!import_header(req, &t, map))
		goto out;

	rows = json_array();
	for (rec = 1; rec < t.nrecords; rec++)
		json_array_append_new(rows, import_row(&t, rec, map,
		    t.records[0].nfields));

	rows_text = json_dumps(rows, JSON_COMPACT);
	ret = db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.registrations_import($1, $2, $3, $4)", 4, r->actor.json,
	    r->params[0], rows_text, dry_run ? "true" : "false");
	free(rows_text);

out:
	json_decref(rows);
	kore_free(map);
	/* buf, text and t hold the file's national ids in clear. */
	if (buf != NULL) {
		sodium_memzero(buf, len + 1);
		kore_free(buf);
	}
	if (text != NULL) {
		sodium_memzero(text, text_len + 1);
		free(text);
	}
	if (t.text != NULL)
		sodium_memzero(t.text, text_len + 1);
	csv_free(&t);

	return (ret);
}

/*
 * The file as UTF-8: as it came, or converted from Windows-874 (what Thai
 * Excel writes for plain "CSV") into *text, which the caller clears and
 * frees. Answers 422 itself for a file in neither.
 */
static int
import_text(struct http_request *req, const char *buf, size_t len,
    char **text, size_t *text_len)
{
	json_t		*errors;
	const char	*key;
	size_t		line;

	switch (csv_text(buf, len, text, text_len, &line)) {
	case CSV_TEXT_UTF8:
	case CSV_TEXT_CP874:
		return (KORE_RESULT_OK);
	case CSV_TEXT_BINARY:
		key = "import.file_binary";
		break;
	case CSV_TEXT_BAD_UTF8:
		key = "import.line_bad_utf8";
		break;
	case CSV_TEXT_UNKNOWN:
		key = "import.line_unknown_encoding";
		break;
	default:
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_ERROR);
	}

	errors = json_array();
	validation_error(errors, "", "format", key);
	error_args(errors, json_pack("{s:I}", "line", (json_int_t)line));
	problem_errors(req, 422, "validation", "import.file_unreadable",
	    errors);

	return (KORE_RESULT_ERROR);
}

/*
 * Maps the header's cells to import columns in map (-1: an empty header
 * cell, whose column is ignored). Answers 422 itself for unknown or
 * repeated names and missing required columns.
 */
static int
import_header(struct http_request *req, const struct csv_table *t,
    int *map)
{
	static const int	required[] = {
		IMPORT_FIRST_NAME, IMPORT_LAST_NAME, IMPORT_NATIONAL_ID
	};
	json_t			*errors;
	char			*name;
	int			seen[IMPORT_COLUMNS];
	size_t			i;

	errors = json_array();
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < t->records[0].nfields; i++) {
		name = csv_trim(t->fields[t->records[0].first + i]);
		map[i] = -1;
		if (*name == '\0')
			continue;
		if ((map[i] = import_column(name)) < 0) {
			validation_error(errors, name, "unknown",
			    "registrations.column_one_import_knows");
		} else if (seen[map[i]]++) {
			validation_error(errors, name, "duplicate",
			    "registrations.column_appears_twice");
		}
	}
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!seen[required[i]]) {
			validation_error(errors,
			    import_column_name(required[i]), "required",
			    "registrations.file_needs_column");
		}
	}

	if (json_array_size(errors) > 0) {
		problem_errors(req, 422, "validation",
		    "registrations.header_row_will_do", errors);
		return (KORE_RESULT_ERROR);
	}
	json_decref(errors);

	return (KORE_RESULT_OK);
}

static void
import_error(json_t *errors, int column, const char *code,
    const char *message)
{
	json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "column",
	    column < 0 ? "" : import_column_name(column), "code", code,
	    "message", message));
}

/*
 * One data record as a row for api.registrations_import (new reference):
 * its number, trimmed cells under the names SQL reads, the national id
 * and phone sealed, and "errors" for what is wrong with it already.
 */
static json_t *
import_row(const struct csv_table *t, size_t rec, const int *map,
    size_t ncols)
{
	static const struct {
		int		column;
		const char	*key;
		size_t		max;
	} texts[] = {
		{ IMPORT_TITLE, "title_th", 50 },
		{ IMPORT_FIRST_NAME, "first_name", 200 },
		{ IMPORT_LAST_NAME, "last_name", 200 },
		{ IMPORT_PROVINCE, "province", 200 },
		{ IMPORT_DISTRICT, "district", 200 },
		{ IMPORT_SUBDISTRICT, "subdistrict", 200 },
		{ IMPORT_TARGET_GROUP, "target_group", 200 },
		{ IMPORT_OCCUPATION, "occupation", 200 },
	};
	const struct csv_record	*rc = &t->records[rec];
	struct pii_sealed	s;
	const char		*cell[IMPORT_COLUMNS];
	char			nid[PII_NID_LEN + 1], phone[PII_PHONE_MAX + 1];
	json_t			*row, *errors;
	size_t			i;
	int			yes, nid_ok, phone_ok;

	row = json_object();
	errors = json_array();
	json_object_set_new(row, "row",
	    json_integer((json_int_t)(rc->index - t->records[0].index)));
	json_object_set_new(row, "errors", errors);

	if (rc->bad != 0) {
		import_error(errors, -1, "format", rc->bad ==
		    CSV_BAD_UNTERMINATED ?
		    "registrations.quoted_cell_never_closed" :
		    "registrations.text_follows_closing_quote");
		return (row);
	}
	if (rc->nfields != ncols) {
		import_error(errors, -1, "format", "import.row_cells");
		error_args(errors, json_pack("{s:I, s:I}", "cells",
		    (json_int_t)rc->nfields, "header", (json_int_t)ncols));
		return (row);
	}

	memset(cell, 0, sizeof(cell));
	for (i = 0; i < ncols; i++) {
		if (map[i] >= 0)
			cell[map[i]] = csv_trim(t->fields[rc->first + i]);
		if (map[i] >= 0 && *cell[map[i]] == '\0')
			cell[map[i]] = NULL;
	}

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (cell[texts[i].column] == NULL)
			continue;
		if (utf8_length(cell[texts[i].column]) > texts[i].max)
			import_error(errors, texts[i].column, "length",
			    "registrations.cell_too_long");
		else
			json_object_set_new(row, texts[i].key,
			    json_string(cell[texts[i].column]));
	}
	if (cell[IMPORT_FIRST_NAME] == NULL)
		import_error(errors, IMPORT_FIRST_NAME, "required",
		    "registrations.first_name_missing");
	if (cell[IMPORT_LAST_NAME] == NULL)
		import_error(errors, IMPORT_LAST_NAME, "required",
		    "registrations.last_name_missing");

	if (cell[IMPORT_SECTION40] != NULL) {
		if ((yes = csv_yes_no(cell[IMPORT_SECTION40])) < 0)
			import_error(errors, IMPORT_SECTION40, "format",
			    "registrations.write_yes");
		else
			json_object_set_new(row, "section40",
			    json_boolean(yes));
	}

	nid_ok = 0;
	if (cell[IMPORT_NATIONAL_ID] == NULL) {
		import_error(errors, IMPORT_NATIONAL_ID, "required",
		    "registrations.national_id_missing");
	} else {
		switch (pii_national_id(cell[IMPORT_NATIONAL_ID], nid)) {
		case PII_OK:
			nid_ok = 1;
			break;
		case PII_CHECKSUM:
			import_error(errors, IMPORT_NATIONAL_ID, "checksum",
			    "participants.check_digit_does_match");
			break;
		default:
			import_error(errors, IMPORT_NATIONAL_ID, "format",
			    "registrations.national_id_13_digits");
			break;
		}
	}
	phone_ok = 1;
	phone[0] = '\0';
	if (cell[IMPORT_PHONE] != NULL &&
	    pii_phone(cell[IMPORT_PHONE], phone) != PII_OK) {
		phone_ok = 0;
		import_error(errors, IMPORT_PHONE, "format",
		    "participants.phone_number_9_10");
	}

	if (nid_ok && phone_ok && !pii_seal(pii_worker_keys(), nid, phone,
	    &s)) {
		import_error(errors, IMPORT_NATIONAL_ID, "format",
		    "participants.national_id_cannot_stored");
	} else if (nid_ok && phone_ok) {
		json_object_set_new(row, "national_id_hmac",
		    json_string(s.nid_hmac));
		json_object_set_new(row, "national_id_enc",
		    json_string(s.nid_enc));
		json_object_set_new(row, "national_id_last3",
		    json_string(s.nid_last3));
		if (s.phone_enc[0] != '\0') {
			json_object_set_new(row, "phone_enc",
			    json_string(s.phone_enc));
			json_object_set_new(row, "phone_last4",
			    json_string(s.phone_last4));
		}
	}
	sodium_memzero(nid, sizeof(nid));
	sodium_memzero(phone, sizeof(phone));

	return (row);
}
