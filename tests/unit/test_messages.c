/*
 * Unit tests of api/messages.c: the texts of the messages to
 * participants, by kind and language, Thai when a language has none.
 */

#include <stdio.h>
#include <string.h>

#include "unit.h"

#include "../../api/messages.c"

void
unit_messages(void)
{
	json_t		*args;
	char		buf[512], small[16];

	args = json_pack("{s:s}", "code", "123456");
	CHECK(message_text("code", "en", args, buf, sizeof(buf)) &&
	    strstr(buf, "your code is 123456;") != NULL);
	CHECK(message_text("code", "th", args, buf, sizeof(buf)) &&
	    strstr(buf, "รหัสของคุณคือ 123456") != NULL);
	/* No text in that language, or none asked for: Thai. */
	CHECK(message_text("code", "lo", args, buf, sizeof(buf)) &&
	    strstr(buf, "รหัสของคุณคือ 123456") != NULL);
	CHECK(message_text("code", NULL, args, buf, sizeof(buf)) &&
	    strstr(buf, "รหัสของคุณคือ") != NULL);
	CHECK(!message_text("code", "th", args, small, sizeof(small)));
	CHECK(!message_text("nonsense", "th", args, buf, sizeof(buf)));
	json_decref(args);

	/* A missing argument is no message. */
	args = json_object();
	CHECK(!message_text("code", "th", args, buf, sizeof(buf)));
	CHECK(!message_text("promoted", "en", args, buf, sizeof(buf)));
	json_decref(args);

	/* By status: confirmed or waitlisted; another status has no text. */
	args = json_pack("{s:s, s:s}", "event_title", "อบรม {x}", "status",
	    "waitlisted");
	CHECK(message_text("registered", "en", args, buf, sizeof(buf)) &&
	    strstr(buf, "waiting list for อบรม {x};") != NULL);
	json_object_set_new(args, "status", json_string("confirmed"));
	CHECK(message_text("registered", "th", args, buf, sizeof(buf)) &&
	    strstr(buf, "อบรม {x}") != NULL);
	json_object_set_new(args, "status", json_string("cancelled"));
	CHECK(!message_text("registered", "th", args, buf, sizeof(buf)));
	json_decref(args);

	/* The ticket's short link that ends a text message. */
	args = json_pack("{s:s}", "ticket_url",
	    "https://ngan.example/v1/t?c=abcdefgh2345");
	CHECK(message_text("ticket_link", "en", args, buf, sizeof(buf)) &&
	    !strcmp(buf, " Your ticket: https://ngan.example/v1/t?c="
	    "abcdefgh2345"));
	CHECK(message_text("ticket_link", "th", args, buf, sizeof(buf)) &&
	    strstr(buf, "บัตรของคุณ: https://") != NULL);
	json_decref(args);
	/* The reminder and the endpoint notice, with their subjects. */
	args = json_pack("{s:s, s:s, s:s}", "event_title", "อบรม",
	    "starts_at", "2026-12-09 09:00", "venue", "ศาลากลาง");
	CHECK(message_text("reminder", "th", args, buf, sizeof(buf)) &&
	    strstr(buf, "พรุ่งนี้ อบรม เริ่ม 2026-12-09 09:00 ที่ ศาลากลาง") !=
	    NULL);
	CHECK(message_text("reminder", "en", args, buf, sizeof(buf)) &&
	    strstr(buf, "tomorrow, อบรม starts at 2026-12-09 09:00,") != NULL);
	CHECK(message_text("subject:reminder", "lo", args, buf, sizeof(buf)) &&
	    !strcmp(buf, "พรุ่งนี้: อบรม"));
	json_decref(args);
	args = json_pack("{s:s, s:s, s:s, s:s}", "endpoint_id", "e1", "host",
	    "x.example", "failing_since", "2026-12-08 10:00 UTC", "error",
	    "endpoint answered 503");
	CHECK(message_text("endpoint.disabled", "en", args, buf,
	    sizeof(buf)) && strstr(buf, "e1 at x.example has failed since "
	    "2026-12-08 10:00 UTC") != NULL);
	CHECK(message_text("subject:endpoint.disabled", NULL, args, buf,
	    sizeof(buf)) && !strcmp(buf, "ปิด webhook แล้ว: x.example"));
	json_decref(args);
}
