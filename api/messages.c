/*
 * Messages to a participant's phone: one-time codes, registration
 * confirmations and waitlist promotions (issue 18, item 6). One
 * interface, message_send(), and for now one sender: NGAN_MESSAGES=log
 * writes each message to the server log (development and tests: make run
 * and make test set it), off (the default, and production until the
 * outbox of the messages issue lands) sends nothing. The log shows the
 * phone masked and the participant id, never a national id nor a whole
 * phone number.
 */

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ngan.h"

#define SENDER_OFF	0
#define SENDER_LOG	1

static int	sender = SENDER_OFF;

static const char *const kind_names[] = {
	"code", "registered", "registered_again", "promoted", NULL
};

/* Reads NGAN_MESSAGES; KORE_RESULT_ERROR for a value it does not know. */
int
messages_init(void)
{
	const char	*v;

	v = config_text(CONFIG_MESSAGES);
	if (!strcmp(v, "off"))
		sender = SENDER_OFF;
	else if (!strcmp(v, "log"))
		sender = SENDER_LOG;
	else
		return (KORE_RESULT_ERROR);

	return (KORE_RESULT_OK);
}

/* The text of a message of kind with args, into buf. */
static int
message_text(int kind, json_t *args, char *buf, size_t len)
{
	const char	*title, *status, *code;
	int		n;

	title = json_string_value(json_object_get(args, "event_title"));
	status = json_string_value(json_object_get(args, "status"));
	code = json_string_value(json_object_get(args, "code"));

	switch (kind) {
	case MESSAGE_CODE:
		if (code == NULL)
			return (KORE_RESULT_ERROR);
		n = snprintf(buf, len, "ngan: your code is %s; it works for "
		    "10 minutes. Nobody from the office asks for it.", code);
		break;
	case MESSAGE_REGISTERED:
		if (title == NULL || status == NULL)
			return (KORE_RESULT_ERROR);
		n = snprintf(buf, len, "ngan: you are registered for %s "
		    "(%s). See your ticket with a code sent to this phone.",
		    title, status);
		break;
	case MESSAGE_REGISTERED_AGAIN:
		if (title == NULL)
			return (KORE_RESULT_ERROR);
		n = snprintf(buf, len, "ngan: someone registered you again "
		    "for %s; you were registered already.", title);
		break;
	case MESSAGE_PROMOTED:
		if (title == NULL)
			return (KORE_RESULT_ERROR);
		n = snprintf(buf, len, "ngan: a seat came free: you are "
		    "confirmed for %s. See your ticket with a code sent to "
		    "this phone.", title);
		break;
	default:
		return (KORE_RESULT_ERROR);
	}

	return (n > 0 && (size_t)n < len ? KORE_RESULT_OK : KORE_RESULT_ERROR);
}

/*
 * Sends a message of kind to phone (10 digits, clear) about participant
 * ref (a uuid, for the log); args by kind (see ngan.h). Never takes a
 * national id. KORE_RESULT_ERROR when it could not go out.
 */
int
message_send(int kind, const char *phone, const char *ref, json_t *args)
{
	char		text[512];
	size_t		len;

	if (kind < 0 || kind > MESSAGE_PROMOTED || phone == NULL ||
	    (len = strlen(phone)) < 4 || !message_text(kind, args, text,
	    sizeof(text)))
		return (KORE_RESULT_ERROR);

	switch (sender) {
	case SENDER_LOG:
		kore_log(LOG_NOTICE, "message %s to xxx-xxx-%s participant %s: "
		    "%s", kind_names[kind], phone + len - 4, ref, text);
		break;
	default:
		break;
	}
	sodium_memzero(text, sizeof(text));

	return (KORE_RESULT_OK);
}
