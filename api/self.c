/*
 * The participants' own way in (issue 18): the consent text, registering
 * oneself for an event open to the public, proving who one is by a code
 * sent to the phone on file, and "my page" (my registrations with their
 * tickets and attendance, cancelling one) with a participant token or a
 * ticket link. National ids and phones are sealed here (participants.c,
 * pii.c) before SQL sees them; SQL (sql/api/self.sql) answers the same to
 * someone who knows only a national id whatever it found, and what
 * differs goes to the phone on file (the outbox, sql/api/outbox.sql).
 *
 * A participant token has its own audience: staff routes verify access
 * tokens for "ngan-api" only (auth.c), so it never passes there; these
 * routes (ROUTE_PARTICIPANT) read no staff token.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ngan.h"

#define PARTICIPANT_AUDIENCE	"ngan-participant"
/* tickets.c signs the same links for staff to hand out. */
#define LINK_AUDIENCE		"ngan-ticket-link"
#define PARTICIPANT_TTL		600	/* seconds */
#define CODE_DIGITS		6

/* Who a "my page" request is about. */
struct self_owner {
	char		participant[NGAN_UUID_LEN + 1];	/* or "" */
	char		link_reg[NGAN_UUID_LEN + 1];	/* or "" */
	char		link_ver[16];
	/* Its SQL's arguments: NULL for what it is not; link lifetime. */
	const char	*args[3];
	char		days[16];
};

static int	self_answer(struct http_request *, struct ngan_req *);
static int	self_respond(struct http_request *, struct ngan_req *);
static int	self_owner_or_401(struct http_request *, struct self_owner *);
static int	addr_or_500(struct http_request *, char *, size_t);
static int	nid_hmac_or_422(struct http_request *, json_t *, char *);
static void	code_hash(const char *, const char *, char *);
static const char *code_check(const char *);
static const char *line_check(const char *);
static int	email_seal(json_t *, json_t *);
static char	*participant_token(const char *, long);

static const char *const langs[] = { "th", "en", NULL };

static const struct field_spec register_fields[] = {
	{ "title_th", FIELD_STRING, FIELD_NULLABLE, 1, 50 },
	{ "first_name", FIELD_STRING, FIELD_REQUIRED, 1, 200 },
	{ "last_name", FIELD_STRING, FIELD_REQUIRED, 1, 200 },
	{ "national_id", FIELD_STRING, FIELD_REQUIRED, 1, 32 },
	{ "phone", FIELD_STRING, FIELD_REQUIRED, 1, 32 },
	{ "province_code", FIELD_STRING, FIELD_NULLABLE, 2, 2 },
	{ "district_code", FIELD_STRING, FIELD_NULLABLE, 4, 4 },
	{ "subdistrict_code", FIELD_STRING, FIELD_NULLABLE, 6, 6 },
	{ "target_group", FIELD_STRING, FIELD_REQUIRED, 1, 40 },
	{ "consent_version", FIELD_STRING, FIELD_REQUIRED, 1, 50 },
	/* Optional: messages by email too, and in which language. */
	{ "email", FIELD_STRING, FIELD_NULLABLE, 3, 254, NULL,
	    self_email_check },
	{ "lang", FIELD_STRING, FIELD_NULLABLE, 0, 0, langs },
	{ "line_user_id", FIELD_STRING, FIELD_NULLABLE, 33, 33, NULL,
	    line_check },
	{ NULL }
};

static const struct field_spec code_fields[] = {
	{ "national_id", FIELD_STRING, FIELD_REQUIRED, 1, 32 },
	{ NULL }
};

static const struct field_spec token_fields[] = {
	{ "national_id", FIELD_STRING, FIELD_REQUIRED, 1, 32 },
	{ "code", FIELD_STRING, FIELD_REQUIRED, 0, 0, NULL, code_check },
	{ NULL }
};

static const char *
code_check(const char *s)
{
	size_t		i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
		;

	return (i == CODE_DIGITS && s[i] == '\0' ? NULL :
	    "A code is the 6 digits sent to the phone.");
}

/*
 * An address an SMTP server takes: local@domain, no blanks or controls,
 * the domain with a dot; UTF-8 allowed (RFC 6532). Not a proof that it
 * exists: the message tells. Also a webhook endpoint's contact
 * (webhooks.c).
 */
const char *
self_email_check(const char *s)
{
	const char	*at, *p;

	at = strchr(s, '@');
	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '<' ||
		    *p == '>' || *p == ',' || *p == ';' || *p == '"')
			break;
	}
	if (*p != '\0' || at == NULL || at == s || strchr(at + 1, '@') !=
	    NULL || strchr(at + 1, '.') == NULL || at[1] == '.' ||
	    p[-1] == '.')
		return ("self.email_format");

	return (NULL);
}

/* A LINE user id: "U" and 32 lowercase hex digits. */
static const char *
line_check(const char *s)
{
	size_t		i;

	for (i = 1; s[0] == 'U' && ((s[i] >= '0' && s[i] <= '9') ||
	    (s[i] >= 'a' && s[i] <= 'f')); i++)
		;

	return (i == 33 && s[i] == '\0' ? NULL :
	    "A LINE user id is U and 32 hex digits.");
}

/*
 * Seals body's "email" and "line_user_id" (checked) into sealed's
 * "email_enc" and "line_enc" and takes them out; KORE_RESULT_ERROR if
 * one cannot be sealed.
 */
static int
email_seal(json_t *body, json_t *sealed)
{
	static const struct {
		const char	*field, *to, *ad;
	} f[] = {
		{ "email", "email_enc", PII_AD_EMAIL },
		{ "line_user_id", "line_enc", PII_AD_LINE },
	};
	const char	*v;
	char		hex[PII_SEAL_HEX_LEN(PII_EMAIL_MAX)];
	size_t		i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		json_object_del(sealed, f[i].field);
		v = json_string_value(json_object_get(body, f[i].field));
		if (v == NULL)
			continue;
		if (!pii_encrypt_hex(pii_worker_keys(), v, f[i].ad, hex,
		    sizeof(hex)))
			return (KORE_RESULT_ERROR);
		json_object_set_new(sealed, f[i].to, json_string(hex));
	}

	return (KORE_RESULT_OK);
}

/* GET /v1/consent: the text in force, Thai and English. */
int
self_consent(struct http_request *req, struct ngan_req *r)
{
	if (r->state != STATE_QUERY)
		return (db_respond(req, r));

	http_response_header(req, "cache-control", "no-cache");
	return (db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.consent_get()", 0));
}

/* POST /v1/events/{id}/self-registrations: 202, the same whatever. */
int
self_register(struct http_request *req, struct ngan_req *r)
{
	json_t		*errors, *sealed;
	char		addr[ADDR_KEY_LEN], *body;
	int		ret;

	if (r->state != STATE_QUERY)
		return (self_answer(req, r));

	http_response_header(req, "cache-control", "no-store");
	if (!json_body_or_error(req, r, register_fields))
		return (KORE_RESULT_OK);
	errors = json_array();
	sealed = participant_seal(r->body, "", errors);
	if (sealed == NULL) {
		problem_errors(req, 422, "validation",
		    "validation.body", errors);
		return (KORE_RESULT_OK);
	}
	json_decref(errors);
	if (!email_seal(r->body, sealed)) {
		json_decref(sealed);
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}
	if (!addr_or_500(req, addr, sizeof(addr))) {
		json_decref(sealed);
		return (KORE_RESULT_OK);
	}

	body = json_dumps(sealed, JSON_COMPACT);
	json_decref(sealed);
	ret = db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.self_register($1, $2, $3)", 3, addr, r->params[0], body);
	free(body);

	return (ret);
}

/* POST /v1/participant-codes: 202, the same whether a code went out. */
int
self_code(struct http_request *req, struct ngan_req *r)
{
	char		addr[ADDR_KEY_LEN], nid_hmac[PII_HMAC_LEN * 2 + 1];
	char		code[CODE_DIGITS + 1], hash[PII_HMAC_LEN * 2 + 1];
	char		sealed[PII_SEAL_HEX_LEN(CODE_DIGITS)];
	int		ok;

	if (r->state != STATE_QUERY)
		return (self_answer(req, r));

	http_response_header(req, "cache-control", "no-store");
	if (!json_body_or_error(req, r, code_fields) ||
	    !nid_hmac_or_422(req, r->body, nid_hmac) ||
	    !addr_or_500(req, addr, sizeof(addr)))
		return (KORE_RESULT_OK);

	(void)snprintf(code, sizeof(code), "%06u",
	    (unsigned int)randombytes_uniform(1000000));
	code_hash(nid_hmac, code, hash);
	/* Sealed for the outbox, which opens it to send it. */
	ok = pii_encrypt_hex(pii_worker_keys(), code, PII_AD_CODE, sealed,
	    sizeof(sealed));
	sodium_memzero(code, sizeof(code));
	if (!ok) {
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}

	return (db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.self_code($1, $2, $3, $4)", 4, addr, nid_hmac, hash,
	    sealed));
}

/* POST /v1/participant-tokens: a short-lived participant token. */
int
self_token(struct http_request *req, struct ngan_req *r)
{
	const char	*pid;
	char		addr[ADDR_KEY_LEN], nid_hmac[PII_HMAC_LEN * 2 + 1];
	char		hash[PII_HMAC_LEN * 2 + 1], *token;
	json_t		*answer, *body;

	if (r->state != STATE_QUERY) {
		if (db_rows(r) != 1 || strcmp(db_value(r, 0, 0), "200"))
			return (self_respond(req, r));
		body = json_loads(db_value(r, 0, 1), 0, NULL);
		pid = json_string_value(json_object_get(body,
		    "participant_id"));
		token = pid != NULL ? participant_token(pid, time(NULL)) : NULL;
		if (token == NULL) {
			json_decref(body);
			problem(req, 500, NULL, "auth.could_sign_token");
			return (KORE_RESULT_OK);
		}
		answer = json_pack("{s:s, s:s, s:i}", "access_token", token,
		    "token_type", "Bearer", "expires_in", PARTICIPANT_TTL);
		respond_json(req, 200, answer);
		json_decref(answer);
		json_decref(body);
		free(token);
		return (KORE_RESULT_OK);
	}

	http_response_header(req, "cache-control", "no-store");
	if (!json_body_or_error(req, r, token_fields) ||
	    !nid_hmac_or_422(req, r->body, nid_hmac) ||
	    !addr_or_500(req, addr, sizeof(addr)))
		return (KORE_RESULT_OK);
	code_hash(nid_hmac, json_string_value(json_object_get(r->body,
	    "code")), hash);

	return (db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.self_token($1, $2, $3)", 3, addr, nid_hmac, hash));
}

/* GET /v1/my/registrations: each with its ticket while confirmed. */
int
self_registrations(struct http_request *req, struct ngan_req *r)
{
	struct self_owner	o;
	json_t			*body, *items, *item, *ticket;
	const char		*id, *event_id;
	char			*token, *link, qr[96];
	size_t			i;
	int			ver;

	if (r->state != STATE_QUERY) {
		if (db_rows(r) != 1 || strcmp(db_value(r, 0, 0), "200"))
			return (db_respond(req, r));
		if ((body = json_loads(db_value(r, 0, 1), 0, NULL)) == NULL) {
			problem(req, 500, NULL, "error.internal");
			return (KORE_RESULT_OK);
		}
		items = json_object_get(body, "items");
		json_array_foreach(items, i, item) {
			id = json_string_value(json_object_get(item, "id"));
			event_id = json_string_value(json_object_get(
			    json_object_get(item, "event"), "id"));
			ver = (int)json_integer_value(json_object_get(item,
			    "ticket_version"));
			if (id == NULL || event_id == NULL || ver < 1) {
				json_object_set_new(item, "ticket",
				    json_null());
				continue;
			}
			token = ticket_token(id, event_id, ver);
			link = ticket_link_token(id, ver);
			(void)snprintf(qr, sizeof(qr),
			    "/v1/registrations/%s/qr.svg", id);
			ticket = json_pack("{s:s?, s:s?, s:s}", "token", token,
			    "link_token", link, "qr_svg", qr);
			json_object_set_new(item, "ticket", ticket);
			free(token);
			free(link);
		}
		respond_json(req, 200, body);
		json_decref(body);
		return (KORE_RESULT_OK);
	}

	if (!self_owner_or_401(req, &o))
		return (KORE_RESULT_OK);

	return (db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.self_registrations($1, $2, $3, $4)", 4,
	    o.args[0], o.args[1], o.args[2], o.days));
}

/* POST /v1/my/registrations/{id}/cancel; the one promoted is told. */
int
self_cancel(struct http_request *req, struct ngan_req *r)
{
	struct self_owner	o;

	if (r->state != STATE_QUERY)
		return (self_respond(req, r));

	if (!self_owner_or_401(req, &o))
		return (KORE_RESULT_OK);

	return (db_query(req, r, "SELECT status, body, etag, location "
	    "FROM api.self_cancel($1, $2, $3, $4, $5)", 5,
	    o.args[0], o.args[1], o.args[2], o.days, r->params[0]));
}

/*
 * The neutral 2xx of the public routes: its "detail" key as text in the
 * language asked (i18n.c), the same whatever happened.
 */
static int
self_answer(struct http_request *req, struct ngan_req *r)
{
	json_t		*body;
	int		status;

	if (db_rows(r) != 1 || db_value(r, 0, 0)[0] != '2')
		return (self_respond(req, r));

	status = (int)strtol(db_value(r, 0, 0), NULL, 10);
	if ((body = json_loads(db_value(r, 0, 1), 0, NULL)) == NULL) {
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}
	i18n_answer(req, body);
	respond_json(req, status, body);
	json_decref(body);

	return (KORE_RESULT_OK);
}

/* SQL's answer as it is; a limit reached says how long to wait. */
static int
self_respond(struct http_request *req, struct ngan_req *r)
{
	if (db_rows(r) == 1 && !strcmp(db_value(r, 0, 0), "429"))
		http_response_header(req, "retry-after", "600");

	return (db_respond(req, r));
}

/*
 * Authorization: Bearer, a participant token (its participant) or a
 * ticket link (its registration and ticket version, which SQL checks
 * as api.ticket_for does), as the arguments of the SQL that follows,
 * with how long ticket links last. Answers 401 itself. A person's own
 * answers are never cached.
 */
static int
self_owner_or_401(struct http_request *req, struct self_owner *o)
{
	const char	*h, *sub;
	jwt_t		*jwt;
	long		exp, ver;

	memset(o, 0, sizeof(*o));
	http_response_header(req, "cache-control", "no-store");
	if (!http_request_header(req, "authorization", &h) ||
	    strncasecmp(h, "Bearer ", 7) != 0) {
		problem_unauthorized(req, 0);
		return (KORE_RESULT_ERROR);
	}
	h += 7;

	if (jwt_verify(h, PARTICIPANT_AUDIENCE, &jwt)) {
		exp = jwt_get_grant_int(jwt, "exp");
		sub = jwt_get_grant(jwt, "sub");
		if (exp > (long)time(NULL) && sub != NULL && uuid_valid(sub))
			kore_strlcpy(o->participant, sub,
			    sizeof(o->participant));
		jwt_free(jwt);
	} else if (jwt_verify(h, LINK_AUDIENCE, &jwt)) {
		sub = jwt_get_grant(jwt, "sub");
		ver = jwt_get_grant_int(jwt, "ver");
		if (sub != NULL && uuid_valid(sub)) {
			kore_strlcpy(o->link_reg, sub, sizeof(o->link_reg));
			/* 0: a link from before versions, revoked. */
			(void)snprintf(o->link_ver, sizeof(o->link_ver), "%ld",
			    ver >= 1 && ver < 1000000 ? ver : 0);
		}
		jwt_free(jwt);
	}
	if (o->participant[0] == '\0' && o->link_reg[0] == '\0') {
		problem_unauthorized(req, 1);
		return (KORE_RESULT_ERROR);
	}
	o->args[0] = o->participant[0] ? o->participant : NULL;
	o->args[1] = o->link_reg[0] ? o->link_reg : NULL;
	o->args[2] = o->link_reg[0] ? o->link_ver : NULL;
	(void)snprintf(o->days, sizeof(o->days), "%d",
	    config_int(CONFIG_TICKET_LINK_DAYS));

	return (KORE_RESULT_OK);
}

/*
 * Does token say it is a participant token (its audience, read without
 * verifying anything)? Only to word the refusal of one on a staff route
 * (auth.c), which refuses it whatever this says.
 */
int
self_token_claims_participant(const char *token)
{
	const char	*dot1, *dot2, *aud;
	u_int8_t	raw[1024];
	size_t		n;
	json_t		*claims;
	int		yes;

	if ((dot1 = strchr(token, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL ||
	    !base64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), raw,
	    sizeof(raw), &n) ||
	    (claims = json_loadb((const char *)raw, n, 0, NULL)) == NULL)
		return (0);
	aud = json_string_value(json_object_get(claims, "aud"));
	yes = aud != NULL && !strcmp(aud, PARTICIPANT_AUDIENCE);
	json_decref(claims);

	return (yes);
}

void
self_refuse_on_staff_route(struct http_request *req)
{
	http_response_header(req, "www-authenticate",
	    "Bearer error=\"invalid_token\"");
	problem(req, 401, "unauthorized",
	    "self.participant_token_opens_participants");
}

/* The keyed hash of the client's address (edge.c), trusted proxies seen. */
static int
addr_or_500(struct http_request *req, char *out, size_t len)
{
	if (!edge_client_key(req, out, len)) {
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_ERROR);
	}

	return (KORE_RESULT_OK);
}

/* body's national_id, checked, as its HMAC (hex). Answers 422 itself. */
static int
nid_hmac_or_422(struct http_request *req, json_t *body, char *out)
{
	const char	*in;
	char		nid[PII_NID_LEN + 1];
	json_t		*errors;
	int		rc;

	in = json_string_value(json_object_get(body, "national_id"));
	rc = pii_national_id(in != NULL ? in : "", nid);
	if (rc != PII_OK) {
		errors = json_array();
		validation_error(errors, "national_id", rc == PII_CHECKSUM ?
		    "checksum" : "format", rc == PII_CHECKSUM ?
		    "participants.check_digit_does_match" :
		    "participants.national_id_13_digits");
		problem_errors(req, 422, "validation", "validation.body",
		    errors);
		return (KORE_RESULT_ERROR);
	}
	pii_hmac_hex(pii_worker_keys(), nid, out);
	sodium_memzero(nid, sizeof(nid));

	return (KORE_RESULT_OK);
}

/* A code as the database keeps it: keyed, and bound to its person. */
static void
code_hash(const char *nid_hmac, const char *code, char *out)
{
	char		text[PII_HMAC_LEN * 2 + CODE_DIGITS + 8];

	(void)snprintf(text, sizeof(text), "otp:%s:%s", nid_hmac, code);
	pii_hmac_hex(pii_worker_keys(), text, out);
	sodium_memzero(text, sizeof(text));
}

/* Signs a participant token for participant pid; caller must free. */
static char *
participant_token(const char *pid, long now)
{
	json_t		*claims;
	char		*token, jti[44];

	random_token(jti, sizeof(jti));
	claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "aud",
	    PARTICIPANT_AUDIENCE, "sub", pid, "jti", jti, "iat",
	    (json_int_t)now, "nbf", (json_int_t)now, "exp",
	    (json_int_t)(now + PARTICIPANT_TTL));
	if (claims == NULL)
		return (NULL);
	token = jwt_sign(claims);
	json_decref(claims);

	return (token);
}
