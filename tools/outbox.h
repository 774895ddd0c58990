/*
 * ngan-outbox's parts (tools/ngan-outbox.c the loop, tools/outbox-email.c
 * the email channel): one message as claimed, and how an attempt went.
 */

#ifndef NGAN_OUTBOX_H
#define NGAN_OUTBOX_H

#include <jansson.h>

#define SENT		0
#define RETRY		1	/* again, after the back-off */
#define FINAL		2	/* never: a dead letter now */

struct outbox_msg {
	const char	*id;
	const char	*key;
	const char	*channel;
	const char	*kind;
	const char	*participant;
	const char	*args;
	const char	*secret_enc;	/* "" for none */
	const char	*phone_enc;	/* "" for none */
	const char	*email_enc;	/* "" for none */
	const char	*lang;		/* "" for Thai */
	const char	*registration;	/* "" unless confirmed: a ticket */
	const char	*event;
	const char	*ticket_version;
	const char	*attempt;
	const char	*endpoint_url;	/* webhooks */
	const char	*endpoint_secret;
	const char	*endpoint_client;
	const char	*endpoint_live;	/* "t" or "f" */
	const char	*line_enc;	/* "" for none */
};

int	webhook_send(const struct outbox_msg *, json_t *, char *, size_t);
int	email_init(char *, size_t);
int	email_send(const struct outbox_msg *, const char *, json_t *, char *,
	    size_t);

#endif
