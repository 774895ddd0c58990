/*
 * ngan-outbox: delivers the outbox (issue 19; sql/api/outbox.sql).
 *
 *   DATABASE_URL=... NGAN_PII_KEY=... NGAN_MESSAGES=sms ngan-outbox
 *
 * A process of its own, not a part of the Kore workers: libcurl and SMTP
 * block for seconds, and a worker blocked is every request on it stalled
 * (/work/shared/kore-notes.md); a Kore task thread would still share the
 * server's fate, its sandbox and its database pool. A plain process with
 * a blocking libpq connection is small, can be run two or more at once
 * (rows are claimed FOR UPDATE SKIP LOCKED), restarted alone, and killed
 * without harm: a claim is a lease, so a row whose sending was cut short
 * is sent again after it, with the same idempotency key.
 *
 * The loop: claim up to BATCH due rows (each attempt counted), send each,
 * report it sent or failed (SQL decides the back-off, with jitter, and
 * the dead letter); when nothing is due, wait for NOTIFY ngan_outbox
 * (enqueued rows) or a second (retries coming due). SIGTERM and SIGINT
 * end it after the message in hand.
 *
 * It logs message ids, kinds, participant ids and masked phones; never a
 * national id, a whole phone number, a code or a provider's token.
 */

#include <sys/select.h>
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "ngan.h"
#include "outbox.h"

#define BATCH		10

#define SENDER_OFF	0
#define SENDER_LOG	1
#define SENDER_SMS	2

#define TICKET_CODE_LEN	12	/* base32: 60 bits, GET /v1/t?c= */

static volatile sig_atomic_t	stop;
static int			sender;
static int			email;	/* email_init(): 1 when it serves */
static char			channels[32];	/* for api.outbox_claim */
static char			public_url[256];  /* "": no ticket links */

static void	on_signal(int);
static void	logx(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static int	config_or_exit(void);
static PGconn	*db_connect(void);
static int	deliver_due(PGconn *);
static int	deliver(PGconn *, struct outbox_msg *, char *, size_t);
static int	ticket_link(PGconn *, const struct outbox_msg *, json_t *,
		    const char *, char *, size_t);
static int	send_sms(const char *, const char *, const char *, char *,
		    size_t);
static int	send_line(const char *, const char *, const char *, char *,
		    size_t);
static int	post_json(const char *, const char *, const char *, json_t *,
		    const char *, long, char *, size_t);
static void	report(PGconn *, struct outbox_msg *, int, const char *);
static int	wait_for_work(PGconn *);
static int	url_allowed(const char *);

int
main(void)
{
	struct sigaction	sa;
	PGconn			*db;
	int			n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sodium_init() < 0) {
		logx("libsodium failed to start");
		return (1);
	}
	if (!config_or_exit())
		return (1);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		logx("libcurl failed to start");
		return (1);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);

	/* Webhooks always; text messages and email as configured. */
	(void)snprintf(channels, sizeof(channels), "{webhook%s%s%s}",
	    sender != SENDER_OFF ? ",sms" : "", email == 1 ? ",email" : "",
	    config_text(CONFIG_LINE_TOKEN)[0] != '\0' ? ",line" : "");
	logx("delivering: webhooks, text messages %s, email %s, LINE %s",
	    config_text(CONFIG_MESSAGES), email == 1 ? "on" : "off",
	    config_text(CONFIG_LINE_TOKEN)[0] != '\0' ? "on" : "off");
	db = NULL;
	while (!stop) {
		if (db == NULL && (db = db_connect()) == NULL) {
			(void)sleep(1);
			continue;
		}
		if ((n = deliver_due(db)) == -1 ||
		    (n < BATCH && !wait_for_work(db))) {
			logx("database connection lost: %s",
			    PQerrorMessage(db));
			PQfinish(db);
			db = NULL;
		}
	}
	if (db != NULL)
		PQfinish(db);
	curl_global_cleanup();
	logx("stopped");

	return (0);
}

static void
on_signal(int sig)
{
	stop = 1;
}

static void
logx(const char *fmt, ...)
{
	va_list		ap;

	printf("ngan-outbox[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	(void)fflush(stdout);
}

/* The variables this process reads (api/config.c), checked once. */
static int
config_or_exit(void)
{
	static const enum config_id	ids[] = {
		CONFIG_DATABASE_URL, CONFIG_PGPASSWORD, CONFIG_PGAPPNAME,
		CONFIG_PII_KEY, CONFIG_MESSAGES, CONFIG_OUTBOX_MAX_ATTEMPTS,
		CONFIG_OUTBOX_BACKOFF_MS, CONFIG_OUTBOX_LEASE, CONFIG_SMS_URL,
		CONFIG_SMS_TOKEN, CONFIG_SMS_SENDER,
		CONFIG_WEBHOOK_ALLOW_LOOPBACK, CONFIG_LINE_URL,
		CONFIG_LINE_TOKEN, CONFIG_PUBLIC_URL
	};
	char				err[512];
	const char			*m;
	size_t				i, len;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (!config_load_one(ids[i], err, sizeof(err))) {
			logx("%s", err);
			return (0);
		}
	}
	if (!pii_init(config_text(CONFIG_PII_KEY))) {
		logx("NGAN_PII_KEY: %s", config_takes(CONFIG_PII_KEY));
		return (0);
	}
	m = config_text(CONFIG_MESSAGES);
	if (!strcmp(m, "off"))
		sender = SENDER_OFF;
	else if (!strcmp(m, "log"))
		sender = SENDER_LOG;
	else if (!strcmp(m, "sms"))
		sender = SENDER_SMS;
	else {
		logx("NGAN_MESSAGES: %s", config_takes(CONFIG_MESSAGES));
		return (0);
	}
	if (config_text(CONFIG_LINE_TOKEN)[0] != '\0' &&
	    !url_allowed(config_text(CONFIG_LINE_URL))) {
		logx("NGAN_LINE_URL: %s", config_takes(CONFIG_LINE_URL));
		return (0);
	}
	if (sender == SENDER_SMS && !url_allowed(config_text(CONFIG_SMS_URL))) {
		logx("NGAN_SMS_URL: %s", config_takes(CONFIG_SMS_URL));
		return (0);
	}
	/* The origin of ticket links in text messages, without a '/'. */
	if ((size_t)snprintf(public_url, sizeof(public_url), "%s",
	    config_text(CONFIG_PUBLIC_URL)) >= sizeof(public_url)) {
		logx("NGAN_PUBLIC_URL: %s", config_takes(CONFIG_PUBLIC_URL));
		return (0);
	}
	if ((len = strlen(public_url)) > 0 && public_url[len - 1] == '/')
		public_url[len - 1] = '\0';
	if (public_url[0] == '\0')
		logx("NGAN_PUBLIC_URL is not set: text messages carry no "
		    "ticket link");
	if ((email = email_init(err, sizeof(err))) == -1) {
		logx("%s", err);
		return (0);
	}

	return (1);
}

/* https://, or http:// to loopback (a provider stand-in in tests). */
static int
url_allowed(const char *url)
{
	static const char *const	loopback[] = {
		"http://127.0.0.1:", "http://127.0.0.1/", "http://[::1]:",
		"http://localhost:", "http://localhost/", NULL
	};
	int				i;

	if (!strncmp(url, "https://", 8) && url[8] != '\0')
		return (1);
	for (i = 0; loopback[i] != NULL; i++) {
		if (!strncmp(url, loopback[i], strlen(loopback[i])))
			return (1);
	}

	return (0);
}

static PGconn *
db_connect(void)
{
	PGconn		*db;
	PGresult	*res;

	db = PQconnectdb(config_text(CONFIG_DATABASE_URL));
	if (PQstatus(db) != CONNECTION_OK) {
		logx("cannot reach the database: %s", PQerrorMessage(db));
		PQfinish(db);
		return (NULL);
	}
	res = PQexec(db, "LISTEN ngan_outbox");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		logx("LISTEN failed: %s", PQerrorMessage(db));
		PQclear(res);
		PQfinish(db);
		return (NULL);
	}
	PQclear(res);

	return (db);
}

/* Claims and sends what is due; how many it claimed, -1 on a db error. */
static int
deliver_due(PGconn *db)
{
	struct outbox_msg	m;
	PGresult		*res;
	char			max[16], lease[16], batch[16], err[256];
	const char		*params[4];
	int			i, n, outcome;

	(void)snprintf(batch, sizeof(batch), "%d", BATCH);
	(void)snprintf(lease, sizeof(lease), "%d",
	    config_int(CONFIG_OUTBOX_LEASE));
	(void)snprintf(max, sizeof(max), "%d",
	    config_int(CONFIG_OUTBOX_MAX_ATTEMPTS));
	params[0] = batch;
	params[1] = lease;
	params[2] = max;
	params[3] = channels;
	res = PQexecParams(db, "SELECT id, idempotency_key, channel, kind, "
	    "participant_id, args, secret_enc, phone_enc, email_enc, lang, "
	    "registration_id, event_id, ticket_version, attempt, "
	    "endpoint_url, endpoint_secret, endpoint_client, endpoint_live, "
	    "line_enc "
	    "FROM api.outbox_claim($1, $2, $3, $4)", 4, NULL, params, NULL,
	    NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return (-1);
	}

	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		m.id = PQgetvalue(res, i, 0);
		m.key = PQgetvalue(res, i, 1);
		m.channel = PQgetvalue(res, i, 2);
		m.kind = PQgetvalue(res, i, 3);
		m.participant = PQgetvalue(res, i, 4);
		m.args = PQgetvalue(res, i, 5);
		m.secret_enc = PQgetvalue(res, i, 6);
		m.phone_enc = PQgetvalue(res, i, 7);
		m.email_enc = PQgetvalue(res, i, 8);
		m.lang = PQgetvalue(res, i, 9);
		m.registration = PQgetvalue(res, i, 10);
		m.event = PQgetvalue(res, i, 11);
		m.ticket_version = PQgetvalue(res, i, 12);
		m.attempt = PQgetvalue(res, i, 13);
		m.endpoint_url = PQgetvalue(res, i, 14);
		m.endpoint_secret = PQgetvalue(res, i, 15);
		m.endpoint_client = PQgetvalue(res, i, 16);
		m.endpoint_live = PQgetvalue(res, i, 17);
		m.line_enc = PQgetvalue(res, i, 18);
		err[0] = '\0';
		outcome = deliver(db, &m, err, sizeof(err));
		report(db, &m, outcome, err);
	}
	PQclear(res);

	return (n);
}

/* Sends message m: SENT, or RETRY or FINAL with the reason in err. */
static int
deliver(PGconn *db, struct outbox_msg *m, char *err, size_t errlen)
{
	char		phone[PII_PHONE_MAX + 1], code[PII_PLAIN_MAX + 1];
	char		addr[PII_EMAIL_MAX + 1], text[1024];
	const char	*lang;
	json_t		*args;
	size_t		len;
	int		ret;

	ret = FINAL;
	phone[0] = code[0] = text[0] = addr[0] = '\0';
	if ((args = json_loads(m->args, 0, NULL)) == NULL) {
		(void)snprintf(err, errlen, "arguments are not JSON");
		goto out;
	}
	if (!strcmp(m->channel, "webhook")) {
		ret = webhook_send(m, args, err, errlen);
		goto out;
	}
	if (!strcmp(m->channel, "line")) {
		if (m->line_enc[0] == '\0' || !pii_decrypt_hex(
		    pii_worker_keys(), m->line_enc, PII_AD_LINE, addr,
		    sizeof(addr))) {
			(void)snprintf(err, errlen, "no LINE user id on file, "
			    "or it does not open with NGAN_PII_KEY");
			goto out;
		}
		lang = m->lang[0] != '\0' ? m->lang : NULL;
		if (!message_text(m->kind, lang, args, text, sizeof(text))) {
			(void)snprintf(err, errlen, "no text for kind %s",
			    m->kind);
			goto out;
		}
		if (!ticket_link(db, m, args, lang, text, sizeof(text))) {
			(void)snprintf(err, errlen, "cannot make the ticket "
			    "link");
			ret = RETRY;
			goto out;
		}
		ret = send_line(addr, text, m->id, err, errlen);
		goto out;
	}
	if (!strcmp(m->channel, "email")) {
		if (m->email_enc[0] == '\0') {
			(void)snprintf(err, errlen, "no email address on file "
			    "any more");
			goto out;
		}
		if (!pii_decrypt_hex(pii_worker_keys(), m->email_enc,
		    PII_AD_EMAIL, addr, sizeof(addr))) {
			(void)snprintf(err, errlen, "the address does not "
			    "open with NGAN_PII_KEY");
			goto out;
		}
		ret = email_send(m, addr, args, err, errlen);
		goto out;
	}
	if (m->phone_enc[0] == '\0') {
		(void)snprintf(err, errlen, "no phone on file any more");
		goto out;
	}
	if (!pii_decrypt_hex(pii_worker_keys(), m->phone_enc, PII_AD_PHONE,
	    phone, sizeof(phone)) || (len = strlen(phone)) < 4) {
		(void)snprintf(err, errlen, "the phone does not open with "
		    "NGAN_PII_KEY");
		goto out;
	}
	if (m->secret_enc[0] != '\0') {
		if (!pii_decrypt_hex(pii_worker_keys(), m->secret_enc,
		    PII_AD_CODE, code, sizeof(code))) {
			(void)snprintf(err, errlen, "the code does not open "
			    "with NGAN_PII_KEY");
			goto out;
		}
		json_object_set_new(args, "code", json_string(code));
	}
	lang = m->lang[0] != '\0' ? m->lang : NULL;
	if (!message_text(m->kind, lang, args, text, sizeof(text))) {
		(void)snprintf(err, errlen, "no text for kind %s", m->kind);
		goto out;
	}
	if (!ticket_link(db, m, args, lang, text, sizeof(text))) {
		(void)snprintf(err, errlen, "cannot make the ticket link");
		ret = RETRY;
		goto out;
	}

	switch (sender) {
	case SENDER_LOG:
		printf("message %s to xxx-xxx-%s participant %s: %s\n",
		    m->kind, phone + len - 4, m->participant, text);
		(void)fflush(stdout);
		ret = SENT;
		break;
	case SENDER_SMS:
		ret = send_sms(phone, text, m->key, err, errlen);
		break;
	default:
		(void)snprintf(err, errlen, "no sender");
		ret = RETRY;
		break;
	}

out:
	if (args != NULL) {
		/* The code's copy in args, then the object. */
		if (json_is_string(json_object_get(args, "code")))
			json_object_del(args, "code");
		json_decref(args);
	}
	sodium_memzero(phone, sizeof(phone));
	sodium_memzero(addr, sizeof(addr));
	sodium_memzero(code, sizeof(code));
	sodium_memzero(text, sizeof(text));
	return (ret);
}

/*
 * A text message about a confirmed registration ends with its ticket's
 * short link, NGAN_PUBLIC_URL/v1/t?c=CODE (a JWT link would take four
 * Thai SMS parts). CODE is 12 base32 letters (60 bits) of an HMAC of the
 * message's id under NGAN_PII_KEY's HMAC key: the same on a retry, and
 * not to be worked out from the id, which staff see. The database keeps
 * only its SHA-256 (ticket_link), with the registration and ticket
 * version, which the ticket route checks as it does a link token's.
 * Appends it to text (len bytes); 0 when it cannot be recorded.
 */
static int
ticket_link(PGconn *db, const struct outbox_msg *m, json_t *args,
    const char *lang, char *text, size_t len)
{
	static const char	b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	PGresult		*res;
	json_t			*url_args;
	const char		*params[3], *status;
	char			in[80], mac[PII_HMAC_LEN * 2 + 1], hex[16];
	char			code[TICKET_CODE_LEN + 1], url[300], line[400];
	char			hash_hex[crypto_hash_sha256_BYTES * 2 + 1];
	u_int8_t		hash[crypto_hash_sha256_BYTES];
	unsigned long long	bits;
	size_t			n;
	int			i, ok;

	status = json_string_value(json_object_get(args, "status"));
	if (m->registration[0] == '\0' || public_url[0] == '\0' ||
	    (status != NULL && strcmp(status, "confirmed") != 0))
		return (1);

	(void)snprintf(in, sizeof(in), "ticket-link:%s", m->id);
	pii_hmac_hex(pii_worker_keys(), in, mac);
	memcpy(hex, mac, 15);
	hex[15] = '\0';
	bits = strtoull(hex, NULL, 16);
	for (i = 0; i < TICKET_CODE_LEN; i++)
		code[i] = b32[(bits >> (55 - 5 * i)) & 31];
	code[TICKET_CODE_LEN] = '\0';
	crypto_hash_sha256(hash, (const u_int8_t *)code, TICKET_CODE_LEN);
	sodium_bin2hex(hash_hex, sizeof(hash_hex), hash, sizeof(hash));

	params[0] = hash_hex;
	params[1] = m->registration;
	params[2] = m->ticket_version;
	res = PQexecParams(db, "SELECT api.ticket_link_put($1, $2, $3)", 3,
	    NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	if (!ok)
		return (0);

	(void)snprintf(url, sizeof(url), "%s/v1/t?c=%s", public_url, code);
	url_args = json_pack("{s:s}", "ticket_url", url);
	ok = url_args != NULL && message_text("ticket_link", lang, url_args,
	    line, sizeof(line));
	json_decref(url_args);
	if (!ok || (n = strlen(text)) + strlen(line) >= len)
		return (0);
	memcpy(text + n, line, strlen(line) + 1);

	return (1);
}

/* libcurl's body callback: the provider's answer is not needed. */
static size_t
discard(void *p, size_t size, size_t n, void *arg)
{
	return (size * n);
}

/*
 * Text messages. SMS: POST {"to", "sender", "text", "reference"} to
 * NGAN_SMS_URL with NGAN_SMS_TOKEN as Bearer and the outbox row's key as
 * Idempotency-Key (a provider that knows the key sends a retried message
 * once). LINE: the Messaging API's push, {"to", "messages": [{"type":
 * "text", "text"}]} with the channel token as Bearer and X-Line-Retry-Key
 * the row's id (a UUID, as LINE wants it; LINE answers 409 to a retry it
 * took already, which is a success here).
 */
static int
send_sms(const char *phone, const char *text, const char *key, char *err,
    size_t errlen)
{
	json_t		*body;
	char		hdr[300];
	int		ret;

	body = json_pack("{s:s, s:s, s:s, s:s}", "to", phone, "sender",
	    config_text(CONFIG_SMS_SENDER), "text", text, "reference", key);
	(void)snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", key);
	ret = post_json(config_text(CONFIG_SMS_URL),
	    config_text(CONFIG_SMS_TOKEN), hdr, body, "SMS provider", 0, err,
	    errlen);
	json_decref(body);

	return (ret);
}

static int
send_line(const char *to, const char *text, const char *id, char *err,
    size_t errlen)
{
	json_t		*body;
	char		hdr[128];
	int		ret;

	body = json_pack("{s:s, s:[{s:s, s:s}]}", "to", to, "messages",
	    "type", "text", "text", text);
	(void)snprintf(hdr, sizeof(hdr), "X-Line-Retry-Key: %s", id);
	ret = post_json(config_text(CONFIG_LINE_URL),
	    config_text(CONFIG_LINE_TOKEN), hdr, body, "LINE", 409, err,
	    errlen);
	json_decref(body);

	return (ret);
}

/*
 * POSTs body as JSON to url with token as Bearer and the header hdr.
 * 2xx (and also_ok, if not 0): SENT; 408, 429 and 5xx or no answer:
 * RETRY; another 4xx: FINAL (the same request would be refused again).
 */
static int
post_json(const char *url, const char *token, const char *hdr,
    json_t *body, const char *who, long also_ok, char *err, size_t errlen)
{
	struct curl_slist	*hdrs;
	CURL			*curl;
	CURLcode		rc;
	char			*json, auth[600];
	long			status;
	int			ret;

	ret = RETRY;
	hdrs = NULL;
	json = NULL;
	if ((curl = curl_easy_init()) == NULL) {
		(void)snprintf(err, errlen, "libcurl: no handle");
		return (ret);
	}
	if (body == NULL || (json = json_dumps(body, JSON_COMPACT)) == NULL) {
		(void)snprintf(err, errlen, "cannot build the request");
		goto out;
	}

	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, hdr);
	if (token[0] != '\0') {
		(void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		    token);
		hdrs = curl_slist_append(hdrs, auth);
		sodium_memzero(auth, sizeof(auth));
	}
	(void)curl_easy_setopt(curl, CURLOPT_URL, url);
	(void)curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	(void)curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json);
	(void)curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	(void)curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	/* Half the lease: a send never outlives the claim that holds it. */
	(void)curl_easy_setopt(curl, CURLOPT_TIMEOUT,
	    (long)(config_int(CONFIG_OUTBOX_LEASE) / 2));
	(void)curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
	(void)curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);

	if ((rc = curl_easy_perform(curl)) != CURLE_OK) {
		(void)snprintf(err, errlen, "%s: %s", who,
		    curl_easy_strerror(rc));
		goto out;
	}
	(void)curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if ((status >= 200 && status < 300) || status == also_ok)
		ret = SENT;
	else {
		(void)snprintf(err, errlen, "%s answered %ld", who, status);
		if (status >= 400 && status < 500 && status != 408 &&
		    status != 429)
			ret = FINAL;
	}

out:
	if (json != NULL) {
		sodium_memzero(json, strlen(json));
		free(json);
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	return (ret);
}

/* Tells SQL how the attempt went; a failure is logged, without data. */
static void
report(PGconn *db, struct outbox_msg *m, int outcome, const char *err)
{
	PGresult	*res;
	const char	*params[6];
	char		base[16], max[16];

	params[0] = m->id;
	params[1] = m->attempt;
	if (outcome == SENT) {
		res = PQexecParams(db, "SELECT api.outbox_sent($1, $2)", 2,
		    NULL, params, NULL, NULL, 0);
	} else {
		(void)snprintf(base, sizeof(base), "%d",
		    config_int(CONFIG_OUTBOX_BACKOFF_MS));
		(void)snprintf(max, sizeof(max), "%d",
		    config_int(CONFIG_OUTBOX_MAX_ATTEMPTS));
		params[2] = err;
		params[3] = base;
		params[4] = max;
		params[5] = outcome == FINAL ? "true" : "false";
		res = PQexecParams(db, "SELECT api.outbox_failed($1, $2, $3, "
		    "$4, $5, $6)", 6, NULL, params, NULL, NULL, 0);
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		logx("message %s: the outcome was not recorded: %s", m->id,
		    PQerrorMessage(db));
	else if (outcome != SENT)
		logx("message %s (%s) attempt %s failed: %s; now %s", m->id,
		    m->kind, m->attempt, err, PQgetisnull(res, 0, 0) ?
		    "taken again" : PQgetvalue(res, 0, 0));
	PQclear(res);
}

/*
 * Waits up to a second for a NOTIFY (new rows) or a signal; 0 when the
 * connection is gone.
 */
static int
wait_for_work(PGconn *db)
{
	struct timeval	tv;
	PGnotify	*n;
	fd_set		fds;
	int		fd;

	if ((fd = PQsocket(db)) < 0)
		return (0);
	FD_ZERO(&fds);
	FD_SET(fd, &fds);
	tv.tv_sec = 1;
	tv.tv_usec = 0;
	if (select(fd + 1, &fds, NULL, NULL, &tv) == -1 && errno != EINTR)
		return (0);
	if (!PQconsumeInput(db))
		return (0);
	while ((n = PQnotifies(db)) != NULL)
		PQfreemem(n);

	return (PQstatus(db) == CONNECTION_OK);
}
