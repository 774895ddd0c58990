/*
 * Printed tickets and name badges (ticket_pdf.c draws them): GET
 * /v1/registrations/{id}/ticket.pdf (tickets.c checks who asks, as for
 * the ticket itself) and GET /v1/events/{id}/badges.pdf, for offices
 * that still print. Each carries its person's compact ticket as a QR
 * code, so a printed ticket or a badge checks in as a phone does.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngan.h"
#include "certificates.h"
#include "pdf.h"

/* GET /v1/events/{id}/badges.pdf: ?page= of as many as the event has. */
const struct field_spec badges_query[] = {
	{ .name = "page", .type = FIELD_INT, .min = 1, .max = 10000,
	    .code = "range", .fallback = "1",
	    .message = "tickets.page_1_10000" },
	{ NULL }
};

/* What ticket_event_of() formats, kept with the event it fills. */
struct event_text {
	char		dates[256];
	char		times[64];
};

static void	ticket_event_of(json_t *, struct ticket_event *,
		    struct event_text *);
static void	pdf_send(struct http_request *, u_int8_t *, size_t,
		    const char *);

/* The event's fields as the database sent them (api.ticket_print_event). */
static void
ticket_event_of(json_t *info, struct ticket_event *ev, struct event_text *t)
{
	const char	*from, *to;

#define TEXT(k)	json_string_value(json_object_get(info, (k)))
	memset(ev, 0, sizeof(*ev));
	ev->agency = TEXT("agency");
	ev->title = TEXT("event_title");
	ev->venue = TEXT("venue");
	/* Thai months with the digits of a printed form: "7-8 ธันวาคม 2569". */
	if ((from = TEXT("date_from")) != NULL &&
	    (to = TEXT("date_to")) != NULL &&
	    cert_thai_date_range(from, to, CERT_DIGITS_ARABIC, t->dates,
	    sizeof(t->dates)))
		ev->dates = t->dates;
	if ((from = TEXT("time_from")) != NULL &&
	    (to = TEXT("time_to")) != NULL) {
		(void)snprintf(t->times, sizeof(t->times), "%s-%s น.", from,
		    to);
		ev->times = t->times;
	}
#undef TEXT
}

/* A PDF answer, never kept (it names a person), then freed. */
static void
pdf_send(struct http_request *req, u_int8_t *pdf, size_t len,
    const char *filename)
{
	char		disposition[128];

	(void)snprintf(disposition, sizeof(disposition),
	    "inline; filename=\"%s\"", filename);
	header_set(req, "cache-control", "no-store");
	http_response_header(req, "content-disposition", disposition);
	header_set(req, "content-type", "application/pdf");
	respond_send(req, 200, pdf, len);
	free(pdf);
}

/*
 * GET /v1/registrations/{id}/ticket.pdf, once the database answered 200
 * (api.ticket_print) and tickets.c signed the compact ticket.
 */
void
ticket_print_answer(struct http_request *req, json_t *info,
    const char *compact)
{
	struct ticket_event	ev;
	struct event_text	text;
	struct ticket_doc	doc;
	u_int8_t		*pdf;
	size_t			len;
	char			filename[64];

	ticket_event_of(info, &ev, &text);
	doc.name = json_string_value(json_object_get(info, "name"));
	doc.target_group = json_string_value(json_object_get(info,
	    "target_group"));
	doc.code = compact;
	if (ticket_pdf_render(&ev, &doc, json_string_value(
	    json_object_get(info, "created")), &pdf, &len) != PDF_OK) {
		kore_log(LOG_ERR, "ticket: the PDF could not be drawn");
		problem(req, 500, NULL, "tickets.could_draw_ticket");
		return;
	}
	(void)snprintf(filename, sizeof(filename), "ticket-%.36s.pdf",
	    json_string_value(json_object_get(info, "registration_id")));
	pdf_send(req, pdf, len, filename);
}

/*
 * GET /v1/events/{id}/badges.pdf: the page of badges api.event_badges
 * gave, each with its compact ticket signed here; Link names the next
 * and previous pages.
 */
int
badges_respond(struct http_request *req, struct ngan_req *r)
{
	struct ticket_event	ev;
	struct event_text	text;
	struct ticket_doc	docs[BADGES_MAX];
	char			*codes[BADGES_MAX];
	json_t			*info, *badges, *b;
	u_int8_t		*pdf;
	size_t			i, n, len;
	char			filename[64], link[256];
	json_int_t		page, pages;
	int			ok;

	if (db_rows(r) != 1 || strcmp(db_value(r, 0, 0), "200") != 0)
		return (db_respond(req, r));
	if ((info = json_loads(db_value(r, 0, 1), 0, NULL)) == NULL) {
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}

	ticket_event_of(info, &ev, &text);
	badges = json_object_get(info, "badges");
	n = json_array_size(badges);
	ok = n <= BADGES_MAX;
	for (i = 0; ok && i < n; i++) {
		b = json_array_get(badges, i);
		docs[i].name = json_string_value(json_object_get(b, "name"));
		docs[i].target_group = json_string_value(json_object_get(b,
		    "target_group"));
		codes[i] = ticket_compact(json_string_value(json_object_get(b,
		    "registration_id")), json_string_value(json_object_get(b,
		    "event_id")), (int)json_integer_value(json_object_get(b,
		    "version")));
		docs[i].code = codes[i];
		if (codes[i] == NULL) {
			ok = 0;
			n = i;
		}
	}
	if (ok && badges_pdf_render(&ev, docs, n, json_string_value(
	    json_object_get(info, "created")), &pdf, &len) != PDF_OK)
		ok = 0;
	for (i = 0; i < n; i++)
		free(codes[i]);

	if (!ok) {
		json_decref(info);
		kore_log(LOG_ERR, "badges: the PDF could not be drawn");
		problem(req, 500, NULL, "tickets.could_draw_badges");
		return (KORE_RESULT_OK);
	}

	page = json_integer_value(json_object_get(info, "page"));
	pages = json_integer_value(json_object_get(info, "pages"));
	json_decref(info);
	if (page < pages) {
		(void)snprintf(link, sizeof(link),
		    "</v1/events/%s/badges.pdf?page=%lld>; rel=\"next\"",
		    r->params[0], (long long)page + 1);
		http_response_header(req, "link", link);
	}
	if (page > 1) {
		(void)snprintf(link, sizeof(link),
		    "</v1/events/%s/badges.pdf?page=%lld>; rel=\"prev\"",
		    r->params[0], (long long)page - 1);
		http_response_header(req, "link", link);
	}
	(void)snprintf(filename, sizeof(filename), "badges-%lld.pdf",
	    (long long)page);
	pdf_send(req, pdf, len, filename);

	return (KORE_RESULT_OK);
}
