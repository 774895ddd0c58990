/*
 * What a participant is told, in one place: the text of every message
 * kind in Thai and English (issue 19). Pure (no Kore): the delivery
 * process (tools/ngan-outbox.c) renders each outbox row with it, and the
 * unit tests call it. A template names its arguments as {name}; a kind
 * with a "status" argument has one text per status (kind.status). A
 * language without the text falls back to Thai, the language everyone
 * here reads.
 */

#include <string.h>

#include <jansson.h>

#include "ngan.h"

struct message_template {
	const char	*key;	/* kind, or kind.status */
	const char	*lang;
	const char	*text;
};

static const struct message_template templates[] = {
	{ "code", "th", "ngan: รหัสของคุณคือ {code} ใช้ได้ 10 นาที "
	    "เจ้าหน้าที่ไม่มีวันขอรหัสนี้จากคุณ" },
	{ "code", "en", "ngan: your code is {code}; it works for 10 "
	    "minutes. Nobody from the office asks for it." },
	{ "registered.confirmed", "th", "ngan: คุณลงทะเบียนเข้าร่วม "
	    "{event_title} เรียบร้อยแล้ว" },
	{ "registered.confirmed", "en", "ngan: you are registered for "
	    "{event_title} (confirmed)." },
	{ "registered.waitlisted", "th", "ngan: คุณอยู่ในรายชื่อสำรองของ "
	    "{event_title} เมื่อมีที่ว่างเราจะแจ้งทางเบอร์นี้" },
	{ "registered.waitlisted", "en", "ngan: you are on the waiting list "
	    "for {event_title}; we tell you on this phone when a seat comes "
	    "free." },
	{ "registered_again", "th", "ngan: มีผู้ลงทะเบียนให้คุณใน "
	    "{event_title} อีกครั้ง คุณลงทะเบียนไว้แล้ว" },
	{ "registered_again", "en", "ngan: someone registered you again for "
	    "{event_title}; you were registered already." },
	{ "promoted", "th", "ngan: มีที่ว่างแล้ว "
	    "คุณได้รับการยืนยันเข้าร่วม {event_title}" },
	{ "promoted", "en", "ngan: a seat came free: you are confirmed for "
	    "{event_title}." },
	/*
	 * Text messages (SMS, LINE) about a confirmed registration end with
	 * this: the short link to the ticket (GET /v1/t?c=), which email
	 * carries as an attached QR code instead.
	 */
	{ "ticket_link", "th", " บัตรของคุณ: {ticket_url}" },
	{ "ticket_link", "en", " Your ticket: {ticket_url}" },
	{ "reminder", "th", "ngan: พรุ่งนี้ {event_title} เริ่ม {starts_at} "
	    "ที่ {venue} อย่าลืมนำบัตรของคุณมาด้วย" },
	{ "reminder", "en", "ngan: tomorrow, {event_title} starts at "
	    "{starts_at}, {venue}. Bring your ticket." },
	/* To a partner's contact (an email only). */
	{ "endpoint.disabled", "th", "ngan: ปลายทาง webhook {endpoint_id} "
	    "ที่ {host} ตอบผิดพลาดมาตั้งแต่ {failing_since} จึงถูกปิดแล้ว "
	    "ข้อความที่ค้างส่งจะไม่ถูกส่งอีก ข้อผิดพลาดล่าสุด: {error} "
	    "เมื่อแก้ไขแล้วโปรดลงทะเบียนปลายทางใหม่" },
	{ "endpoint.disabled", "en", "ngan: webhook endpoint {endpoint_id} "
	    "at {host} has failed since {failing_since} and is now disabled; "
	    "what it had still to receive will not be sent. Last error: "
	    "{error}. Register it again once it is fixed." },
	/* Email: the subject by kind, and the line about the attached QR. */
	{ "subject:code", "th", "ngan: รหัสของคุณ" },
	{ "subject:code", "en", "ngan: your code" },
	{ "subject:registered.confirmed", "th",
	    "ลงทะเบียนแล้ว: {event_title}" },
	{ "subject:registered.confirmed", "en",
	    "You are registered: {event_title}" },
	{ "subject:registered.waitlisted", "th",
	    "รายชื่อสำรอง: {event_title}" },
	{ "subject:registered.waitlisted", "en",
	    "On the waiting list: {event_title}" },
	{ "subject:registered_again", "th",
	    "ลงทะเบียนซ้ำ: {event_title}" },
	{ "subject:registered_again", "en",
	    "Registered again: {event_title}" },
	{ "subject:promoted", "th", "ได้ที่นั่งแล้ว: {event_title}" },
	{ "subject:promoted", "en", "A seat for you: {event_title}" },
	{ "subject:reminder", "th", "พรุ่งนี้: {event_title}" },
	{ "subject:reminder", "en", "Tomorrow: {event_title}" },
	{ "subject:endpoint.disabled", "th", "ปิด webhook แล้ว: {host}" },
	{ "subject:endpoint.disabled", "en", "Webhook disabled: {host}" },
	{ "ticket_note", "th", "บัตรเข้างานของคุณคือรหัส QR ที่แนบมา "
	    "แสดงที่จุดลงทะเบียนหน้างาน" },
	{ "ticket_note", "en", "Your ticket is the attached QR code: show "
	    "it at the check-in desk." },
	{ NULL, NULL, NULL }
};

/* The template for key in lang, or in Thai; NULL when there is none. */
static const struct message_template *
message_template(const char *key, const char *lang)
{
	const struct message_template	*t, *th;

	th = NULL;
	for (t = templates; t->key != NULL; t++) {
		if (strcmp(t->key, key) != 0)
			continue;
		if (lang != NULL && !strcmp(t->lang, lang))
			return (t);
		if (!strcmp(t->lang, "th"))
			th = t;
	}

	return (th);
}

/*
 * The text of a message of kind in lang ("th", "en"; others and NULL:
 * Thai) with args (a JSON object of strings), into buf of len bytes.
 * KORE_RESULT_ERROR for a kind or status without a template, a missing
 * argument or a buf too small.
 */
int
message_text(const char *kind, const char *lang, json_t *args, char *buf,
    size_t len)
{
	const struct message_template	*t;
	const char			*p, *end, *status, *v;
	char				key[64], name[32];
	size_t				n, o;

	if (kind == NULL || len == 0)
		return (KORE_RESULT_ERROR);
	status = json_string_value(json_object_get(args, "status"));
	if (status != NULL)
		n = (size_t)snprintf(key, sizeof(key), "%s.%s", kind, status);
	else
		n = (size_t)snprintf(key, sizeof(key), "%s", kind);
	if (n >= sizeof(key) || (t = message_template(key, lang)) == NULL)
		return (KORE_RESULT_ERROR);

	o = 0;
	for (p = t->text; *p != '\0'; p++) {
		if (*p == '{' && (end = strchr(p, '}')) != NULL) {
			n = (size_t)(end - p - 1);
			if (n == 0 || n >= sizeof(name))
				return (KORE_RESULT_ERROR);
			memcpy(name, p + 1, n);
			name[n] = '\0';
			if ((v = json_string_value(json_object_get(args,
			    name))) == NULL)
				return (KORE_RESULT_ERROR);
			n = strlen(v);
			if (o + n >= len)
				return (KORE_RESULT_ERROR);
			memcpy(buf + o, v, n);
			o += n;
			p = end;
			continue;
		}
		if (o + 1 >= len)
			return (KORE_RESULT_ERROR);
		buf[o++] = *p;
	}
	buf[o] = '\0';

	return (KORE_RESULT_OK);
}
