/*
 * ngan: the REST JSON API of the provincial labour offices' events.
 * Shared declarations of the Kore module.
 */

#ifndef NGAN_H
#define NGAN_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/types.h>
#include <libpq-fe.h>

#include <kore/kore.h>
#include <kore/http.h>
#include <kore/pgsql.h>

#include "json.h"
#include "pii.h"
#include "csv.h"
#include "images.h"

#define NGAN_DB			"db"
/* The streaming replica of NGAN_READ_DATABASE_URL, when one is named. */
#define NGAN_DB_READ		"db_read"
#define NGAN_JSON_BODY_MAX	(1024 * 1024)
#define NGAN_PARAMS_MAX		12
#define NGAN_REQUEST_ID_LEN	64
#define NGAN_QUERY_MAX		24

/* Roles as bits so a route can allow several. */
#define ROLE_ADMIN		0x01
#define ROLE_ORGANIZER		0x02
#define ROLE_SCANNER		0x04
#define ROLE_PARTNER		0x08
#define ROLE_ANY		0x0f

/* Who called, from a verified access token. */
struct actor {
	int		authenticated;
	int		role;
	int		is_client;
	char		sub[NGAN_UUID_LEN + 1];
	char		sid[NGAN_UUID_LEN + 1];
	char		agency_id[NGAN_UUID_LEN + 1];
	char		scope[64];
	long		exp;
	char		*json;		/* {"sub",...} for SQL; owned */
};

struct ngan_req;
struct field_spec;
typedef int (*ngan_handler)(struct http_request *, struct ngan_req *);

/*
 * What a plain route passes its SQL function, in order (route_call.args,
 * ended by ARG_END): ARG_QUERY + i is the value of .query[i] (its
 * fallback, or NULL, when absent).
 */
#define ARG_END			0
#define ARG_ACTOR		1	/* the caller's claims, r->actor.json */
#define ARG_PATH0		2	/* the path's first {param} */
#define ARG_PATH1		3
#define ARG_PATH2		4
#define ARG_BODY		5	/* the validated body, compact JSON */
#define ARG_NULL		6
#define ARG_VERSION		7	/* If-Match's row version, as text */
#define ARG_VERSION_SET		8	/* the same, NULL unless above 0 */
#define ARG_FILTERS		9	/* FIELD_FILTER parameters, an object */
#define ARG_IF_NONE_MATCH	10	/* the header; NULL for a long one */
#define ARG_QUERY		16

/* route_call.flags */
#define CALL_BODY_OPTIONAL	0x01	/* an empty body is no body */
#define CALL_IF_MATCH		0x02	/* If-Match names a version: 428, 412 */
#define CALL_IF_MATCH_CHECK	0x04	/* If-Match, when sent, must match */
#define CALL_ACTOR_CHECKED	0x08	/* the function checks the session */
#define CALL_CACHE_FIRST	0x10	/* .cache on refusals too */
#define CALL_REPLICA		0x20	/* a read the replica may serve */

/*
 * One method of a route. Before the call (plain) or the handler runs, the
 * dispatcher checks the caller's role (roles 0: anyone), the query and
 * the body against their specs. A plain route names the SQL function
 * returning api.result and its arguments; a handler does work in C.
 */
struct route_call {
	ngan_handler		handler;
	int			roles;
	int			flags;
	const struct field_spec	*query;
	const struct field_spec	*body;
	const char		*function;	/* "api.agency_get" */
	u_int8_t		args[NGAN_PARAMS_MAX];
	const char		*cache;		/* Cache-Control */
	ngan_handler		respond;	/* else db_respond() */
};

#define ROUTE_METHODS		7	/* route_method_index() */

struct route {
	const char		*pattern;	/* "/v1/users/{id}" */
	struct route_call	calls[ROUTE_METHODS];
	int			flags;
};

/* The ETag the database makes stands (conditional.c). */
#define ROUTE_TAG_SQL		0x01
/* A participant's route: the handler reads its own token (self.c). */
#define ROUTE_PARTICIPANT	0x02

/* '"', 32 hex digits, '"' (conditional.c). */
#define ETAG_LEN		34

/* If-Match before a PATCH, PUT or DELETE (main.c, conditional.c). */
#define PRECOND_NONE		0
#define PRECOND_CAPTURE		1	/* the route's GET is running */
#define PRECOND_DONE		2	/* evaluated: pre_version */

#define ROUTE_PARAMS_MAX	3

/*
 * A handler's states (r->state), named as Kore's pgsql example names its
 * steps. Most handlers check and send one statement, then answer with
 * its result; api_dispatch() moves r->state on after each result. Those
 * with more steps name them (GRANT_*, PARTNER_READ_*).
 */
#define STATE_QUERY		0	/* checks done here, a statement sent */
#define STATE_ANSWER		1	/* its result is in r->result */

/* Partner reads on the replica (audit.c): their steps. */
#define PARTNER_READ_GATE	STATE_QUERY	/* partner_read_begin() */
#define PARTNER_READ_REPLICA	1	/* partner_read_scope(), the read */
#define PARTNER_READ_AUDIT	2	/* partner_read_audit() */
#define PARTNER_READ_ANSWER	3	/* the body in r->scratch */

/* Per-request state, kept across the handler's database round trips. */
struct ngan_req {
	const struct route	*route;
	const struct route_call	*call;		/* the method running */
	char			request_id[NGAN_REQUEST_ID_LEN + 1];
	char			params[ROUTE_PARAMS_MAX][NGAN_UUID_LEN + 1];
	struct actor		actor;
	int			actor_checked;	/* the SQL checks the session */
	u_int64_t		started;	/* microseconds, monotonic */
	size_t			body_length;	/* as received */

	/* Database call in flight, see db.c. */
	int			db_state;
	int			db_retried;
	int			db_replanned;	/* after a schema api reload */
	int			db_live_actor;	/* $1 bound as api.live_actor */
	int			db_queued;	/* in db.c's wait queue */
	struct http_request	*db_req;	/* woken from that queue */
	TAILQ_ENTRY(ngan_req)	db_link;
	int			db_holding;	/* counted in db_in_use */
	PGconn			*db_conn;	/* the last connection used */
	const char		*db_name;	/* NGAN_DB or NGAN_DB_READ */
	int			db_read_next;	/* next call on the replica */
	int			db_optional;	/* failure: DB_DONE, no rows */
	int			db_unavailable;	/* that failure happened */
	int			state;		/* STATE_QUERY first */
	int			checked;	/* call_checks() passed */
	int			version;	/* If-Match's, CALL_IF_MATCH */
	struct kore_pgsql	sql;
	const char		*query;
	int			nparams;
	char			*values[NGAN_PARAMS_MAX];
	int			lengths[NGAN_PARAMS_MAX];
	PGresult		*result;	/* last result, owned */
	char			sqlstate[6];

	/* Handler scratch that outlives one step; freed with the request. */
	json_t			*body;
	void			*scratch;
	size_t			scratch_len;
	int			status;

	/*
	 * If-Match: the route's GET ran first (PRECOND_CAPTURE) and left its
	 * status, the tag of its representation and the database's version
	 * tag; pre_version is that version when the list matched, else 0.
	 */
	int			precond;
	int			pre_status;
	int			pre_match;
	int			pre_version;
	char			pre_etag[128];	/* images: 66 */
	char			pre_version_tag[32];
	struct http_header	*pre_mark;	/* last header before it */

	/* Decoded query parameters, owned. */
	int			nquery;
	char			*qnames[NGAN_QUERY_MAX];
	char			*qvalues[NGAN_QUERY_MAX];
};

/* main.c */
int	api_dispatch(struct http_request *);

/* router.c: pure, no Kore state. */
int	route_method_index(int);
const struct route *route_find(const struct route *, size_t, const char *,
	    char [ROUTE_PARAMS_MAX][NGAN_UUID_LEN + 1], int *);
int	route_allow_header(const struct route *, char *, size_t);
int	route_has(const struct route *, int);
extern const struct route	ngan_routes[];
extern const size_t		ngan_routes_count;

/* call.c: the checks every route has, and the call of a plain route. */
int	call_checks(struct http_request *, struct ngan_req *);
int	call_plain(struct http_request *, struct ngan_req *);
size_t	call_slot(const struct ngan_req *);

/* problem.c */
void	problem(struct http_request *, int, const char *, const char *);
void	problem_errors(struct http_request *, int, const char *,
	    const char *, json_t *);
void	problem_unauthorized(struct http_request *, int);
void	problem_retry_after(struct http_request *, int, int, const char *);
void	problem_send(struct http_request *, int, json_t *);
void	respond_json(struct http_request *, int, json_t *);
void	respond_text(struct http_request *, int, const char *, const char *,
	    size_t);

/* i18n.c: the messages of api/i18n.tsv in Thai or English. */
#define I18N_TH		0
#define I18N_EN		1
int		i18n_lang_parse(const char *);
const char	*i18n_code(int);
const char	*i18n_template(const char *, int);
int		i18n_entry(size_t, const char **, const char **,
		    const char **);
char		*i18n_render(const char *, json_t *, int);
void		i18n_errors(json_t *, int);
void		i18n_problem(json_t *, int);
void		i18n_import_report(json_t *, int);
int		i18n_lang(struct http_request *);
void		i18n_headers(struct http_request *, int);
void		i18n_answer(struct http_request *, json_t *);

/* etag.c (pure), conditional.c */
void	etag_of(const void *, size_t, char *);
int	etag_list_match(const char *, const char *, int);
int	etag_list_version(const char *);
void	header_set(struct http_request *, const char *, const char *);
void	header_vary(struct http_request *, const char *);
struct http_header *headers_last(struct http_request *);
void	headers_drop_after(struct http_request *, struct http_header *);
void	respond_not_modified(struct http_request *);
void	respond_send(struct http_request *, int, const void *, size_t);
void	respond_fileref(struct http_request *, int, struct kore_fileref *);
int	if_match_check(struct http_request *, struct ngan_req *);

/* request.c: the body and query of a request, checked by json.c's specs. */
int	json_body_or_error(struct http_request *, struct ngan_req *,
	    const struct field_spec *);
char	*sealed_body_or_error(struct http_request *, json_t *, json_t *);
int	upload_read(struct http_request *, size_t, const char *,
	    const char *, u_int8_t **, size_t *);
int	json_body_validate(struct http_request *, struct ngan_req *,
	    const struct field_spec *);
int	query_limit_or_422(struct http_request *, int *);
const char *query_value(struct ngan_req *, const char *);
int	query_or_422(struct http_request *, struct ngan_req *,
	    const struct field_spec *);
int	query_string(struct http_request *, const char *, char **);
void	query_error(struct http_request *, const char *, const char *,
	    const char *);

/* db.c */
int	db_query(struct http_request *, struct ngan_req *, const char *, int,
	    ...);
int	db_query_array(struct http_request *, struct ngan_req *,
	    const char *, int, const char **, const int *);
int	db_drive(struct http_request *, struct ngan_req *);
void	db_request_cleanup(struct ngan_req *);
int	db_respond(struct http_request *, struct ngan_req *);
int	db_respond_opened(struct http_request *, struct ngan_req *,
	    void (*)(json_t *));
const char *db_value(struct ngan_req *, int, int);
int	db_isnull(struct ngan_req *, int, int);
int	db_rows(struct ngan_req *);
void	db_init(const char *, const char *);
int	db_has_replica(void);
void	db_on_replica(struct ngan_req *);
extern u_int32_t	db_in_use;
extern u_int32_t	db_waiting;
u_int32_t db_connections(void);

#define DB_IDLE		0
#define DB_SETUP	1
#define DB_WAIT		2
#define DB_DONE		100

/* A statement run on a timer outside any request (db_tick_start()). */
struct db_tick {
	const char		*name;		/* for the log */
	const char		*query;		/* $1 when param is set */
	char			param[16];
	u_int64_t		every;		/* ms between runs */
	u_int64_t		retry;		/* ms after a failure */
	void			(*result)(struct kore_pgsql *);	/* or NULL */
	struct kore_pgsql	sql;
	int			busy;
	u_int64_t		after;
};
void	db_tick_start(struct db_tick *);

/* notify.c: LISTEN/NOTIFY on one connection per worker. */
typedef void	(*notify_message_fn)(const char *, void *);
typedef int	(*notify_sync_fn)(PGconn *, void *);
void	notify_init(const char *);
void	notify_subscribe(const char *, notify_message_fn, notify_sync_fn,
	    void *);
void	notify_start(void);
int	notify_ready(void);

/* revoke.c: sessions revoked, per worker, kept fresh by notify.c. */
#define REVOKE_OK		0
#define REVOKE_REFUSED		1
#define REVOKE_UNKNOWN		2	/* not listening: maybe stale */
void	revoke_init(void);
int	revoke_check(const struct actor *);

/* cache.c: public event reads kept rendered, kept fresh by notify.c. */
#define CACHE_EVENT		1	/* GET /v1/events/{id} */
#define CACHE_EVENTS		2	/* GET /v1/events */
void	cache_init(void);
int	cache_serve(struct http_request *, struct ngan_req *, int);
void	cache_keep(struct http_request *, struct ngan_req *, int,
	    const char *, size_t, const char *);

/* token.c: signing keys, access tokens, the bearer of a request. */
int	token_init(void);
int	token_jwks(struct http_request *, struct ngan_req *);
int	auth_bearer(struct http_request *, struct ngan_req *);
int	auth_require(struct http_request *, struct ngan_req *, int);
int	auth_role_parse(const char *);
const char *auth_role_name(int);
void	auth_refuse_revoked(struct http_request *);
char	*jwt_issue(const char *, const char *, const char *, const char *,
	    const char *, int, long);
int	jwt_check(const char *, long, struct actor *);
int	jwt_verify(const char *, const char *, jwt_t **);
char	*jwt_sign(json_t *);
EVP_PKEY *auth_key(const char *);
const char *auth_kid(void);

/* auth.c: the /v1/auth resource, passwords. */
int	auth_init(void);
int	auth_token(struct http_request *, struct ngan_req *);
int	auth_revoke(struct http_request *, struct ngan_req *);
int	auth_password_hash(const char *, char *);

/* oauth.c: RFC 6749 parameters, client authentication and errors; RFC 8414 */
#define OAUTH_BODY_MAX		16384
#define OAUTH_CLIENT_NONE	0
#define OAUTH_CLIENT_BASIC	1	/* client_secret_basic */
#define OAUTH_CLIENT_POST	2	/* client_secret_post */

struct oauth_client {
	int		method;
	char		id[65];
	char		secret[201];
};

int	oauth_form_parse(const char *, size_t, json_t **, const char **);
int	oauth_params_check(json_t *, const char **);
int	oauth_basic_parse(const char *, char *, size_t, char *, size_t);
int	oauth_scope_valid(const char *, int);
int	oauth_public_url_check(const char *, char *, size_t, const char **);
int	oauth_issuer_init(char *, size_t);
int	oauth_init(void);
const char *oauth_issuer(void);
int	oauth_metadata(struct http_request *, struct ngan_req *);
void	oauth_error(struct http_request *, int, const char *, const char *);
void	oauth_no_store(struct http_request *);
int	oauth_params_or_error(struct http_request *, struct ngan_req *);
const char *oauth_param(struct ngan_req *, const char *);
int	oauth_client_or_error(struct http_request *, struct ngan_req *,
	    struct oauth_client *);

/* users.c, agencies.c, partners.c */
extern const struct field_spec	user_create_fields[], user_patch_fields[];
extern const struct field_spec	user_query[];
int	users_create(struct http_request *, struct ngan_req *);
int	users_patch(struct http_request *, struct ngan_req *);
extern const struct field_spec	agency_fields[], agency_query[];
const char *province_code_check(const char *);
extern const struct field_spec	partner_fields[], partner_patch_fields[];
extern const struct field_spec	partner_query[];
extern const struct field_spec	webhook_fields[];
int	partners_create(struct http_request *, struct ngan_req *);

/* events.c, sessions.c: plain routes, their specs; cached reads */
int	events_get_cached(struct http_request *, struct ngan_req *);
int	events_get_respond(struct http_request *, struct ngan_req *);
int	events_list_cached(struct http_request *, struct ngan_req *);
int	events_list_respond(struct http_request *, struct ngan_req *);
extern const struct field_spec	event_create_fields[], event_patch_fields[];
extern const struct field_spec	event_cancel_fields[], event_query[];
extern const struct field_spec	session_create_fields[];
extern const struct field_spec	session_patch_fields[];

/* tickets.c */
char	*ticket_link_token(const char *, int);
char	*ticket_token(const char *, const char *, int);
int	ticket_verify(const char *, char *, char *, int *);
int	tickets_get(struct http_request *, struct ngan_req *);
int	tickets_qr_svg(struct http_request *, struct ngan_req *);
int	tickets_qr_png(struct http_request *, struct ngan_req *);
int	tickets_pdf(struct http_request *, struct ngan_req *);
int	tickets_reissue(struct http_request *, struct ngan_req *);
int	tickets_short_link(struct http_request *, struct ngan_req *);
char	*ticket_compact(const char *, const char *, int);

/* ticket_print.c */
void	ticket_print_answer(struct http_request *, json_t *, const char *);
int	badges_respond(struct http_request *, struct ngan_req *);
extern const struct field_spec	badges_query[];

/* base45.c, ticket_compact.c: pure, the compact ticket (openapi.yaml). */
#define BASE45_LEN(n)		((n) / 2 * 3 + (n) % 2 * 2)
#define TICKET_COMPACT_PREFIX	"NG1:"
#define TICKET_COMPACT_FORMAT	0x01
#define TICKET_COMPACT_SIGNED	45	/* format, ids, version, key id */
#define TICKET_COMPACT_BYTES	(TICKET_COMPACT_SIGNED + 64)
#define TICKET_COMPACT_LEN	\
	(sizeof(TICKET_COMPACT_PREFIX) - 1 + BASE45_LEN(TICKET_COMPACT_BYTES))
#define TICKET_KID_LEN		16	/* hex digits of a JWKS kid */

struct ticket_compact {
	char		reg[NGAN_UUID_LEN + 1];
	char		evt[NGAN_UUID_LEN + 1];
	int		version;
	char		kid[TICKET_KID_LEN + 1];
	u_int8_t	signed_part[TICKET_COMPACT_SIGNED];
	u_int8_t	sig[64];
};

int	base45_encode(const u_int8_t *, size_t, char *, size_t);
int	base45_decode(const char *, size_t, u_int8_t *, size_t, size_t *);
int	ticket_compact_signed(struct ticket_compact *);
int	ticket_compact_encode(const struct ticket_compact *, char *, size_t);
int	ticket_compact_decode(const char *, struct ticket_compact *);

/* ops.c */
int	ops_init(void);
int	ops_healthz(struct http_request *, struct ngan_req *);
int	ops_readyz(struct http_request *, struct ngan_req *);
int	ops_metrics(struct http_request *, struct ngan_req *);
int	ops_openapi(struct http_request *, struct ngan_req *);

/* partners.c, stats.c, feed.c, audit.c, cors.c, docs.c: partner data */
int	partners_rotate(struct http_request *, struct ngan_req *);
int	stats_attendance(struct http_request *, struct ngan_req *);
int	stats_attendance_csv(struct http_request *, struct ngan_req *);
void	stats_refresh_init(void);
int	feed_registrations(struct http_request *, struct ngan_req *);
void	partner_init(void);
void	partner_rate_text(char *, size_t);
void	feed_keep_days_text(char *, size_t);
void	stats_ttl_text(char *, size_t);
int	stats_ttl_seconds(void);
int	partner_respond(struct http_request *, struct ngan_req *);
int	partner_read_begin(struct http_request *, struct ngan_req *);
const char *partner_read_scope(struct http_request *, struct ngan_req *);
int	partner_read_audit(struct http_request *, struct ngan_req *);
extern const struct field_spec	audit_query[];
int	cors_init(void);
int	cors_apply(struct http_request *);
void	cors_preflight(struct http_request *, int, const char *);
int	docs_init(void);
void	asset_load(const char *, const char *, char **, size_t *);
int	docs_page(struct http_request *, struct ngan_req *);
int	docs_script(struct http_request *, struct ngan_req *);
int	docs_css(struct http_request *, struct ngan_req *);
int	docs_bundle(struct http_request *, struct ngan_req *);
int	scan_init(void);
int	scan_asset(struct http_request *, struct ngan_req *);

/* es256.c: ES256 signing, pure (the server and ngan-outbox). */
#define ES256_KID_LEN		16	/* hex digits */
int	es256_kid(EVP_PKEY *, char *);
char	*es256_compact(EVP_PKEY *, const char *, json_t *);
int	es256_low_s(const u_int8_t *);
void	es256_low_s_make(u_int8_t *);

/* pseudonym.c: a participant as a partner client sees them, pure. */
#define PSEUDONYM_KEY_LEN	32
#define PSEUDONYM_HEX_LEN	64
void	pseudonym_client_key(const char *, u_int8_t *);
void	pseudonym_of(const char *, const char *, char *);

/* metrics.c */
int	metrics_init(size_t);
void	metrics_observe(int, int, int, u_int64_t);
void	metrics_db(u_int32_t, u_int32_t, u_int32_t, u_int32_t);
void	metrics_render(struct kore_buf *);
void	metrics_render_outbox(struct kore_buf *, struct ngan_req *);

/* util.c */
void	hex_encode(const u_int8_t *, size_t, char *);
int	hex_decode(const char *, u_int8_t *, size_t);
void	base64url_encode(const u_int8_t *, size_t, char *, size_t);
int	base64url_decode(const char *, size_t, u_int8_t *, size_t, size_t *);
void	random_token(char *, size_t);
u_int64_t now_us(void);
void	request_id_make(struct http_request *, char *, size_t);
int	if_match_version(struct http_request *, struct ngan_req *, int *);

/* config.c: every environment variable, read once in the parent. */
enum config_id {
	CONFIG_DATABASE_URL,
	CONFIG_READ_DATABASE_URL,
	CONFIG_PGPASSWORD,
	CONFIG_PGAPPNAME,
	CONFIG_JWT_KEY,
	CONFIG_JWT_PREVIOUS_KEYS,
	CONFIG_ACCESS_TTL,
	CONFIG_REFRESH_TTL,
	CONFIG_PII_KEY,
	CONFIG_METRICS_TOKEN,
	CONFIG_TRUSTED_PROXIES,
	CONFIG_CONN_PER_ADDR,
	CONFIG_BODY_MIN_RATE,
	CONFIG_CORS_ORIGINS,
	CONFIG_PARTNER_RATE,
	CONFIG_STATS_TTL,
	CONFIG_FEED_RETENTION_DAYS,
	CONFIG_RETENTION_YEARS,
	CONFIG_CHECKIN_MARGIN,
	CONFIG_TICKET_LINK_DAYS,
	CONFIG_WORKER_PRIORITY,
	CONFIG_ACCESS_LOG,
	CONFIG_OPENAPI,
	CONFIG_ASSETS,
	CONFIG_PUBLIC_URL,
	CONFIG_MESSAGES,
	CONFIG_OUTBOX_MAX_ATTEMPTS,
	CONFIG_OUTBOX_BACKOFF_MS,
	CONFIG_OUTBOX_LEASE,
	CONFIG_WEBHOOK_ALLOW_LOOPBACK,
	CONFIG_SMTP_URL,
	CONFIG_SMTP_FROM,
	CONFIG_SMTP_USER,
	CONFIG_SMTP_PASSWORD,
	CONFIG_SMTP_CA_FILE,
	CONFIG_LINE_URL,
	CONFIG_LINE_TOKEN,
	CONFIG_SMS_URL,
	CONFIG_SMS_TOKEN,
	CONFIG_SMS_SENDER,
	CONFIG_CERT_ZIP_DIR,
	CONFIG_CERT_ZIP_KEEP_HOURS,
	CONFIG_COUNT
};

int		config_load(char *, size_t);
int		config_load_one(enum config_id, char *, size_t);
int		config_int(enum config_id);
const char	*config_text(enum config_id);
const char	*config_name(enum config_id);
const char	*config_takes(enum config_id);

/* addr.c: pure, client addresses and the trusted proxies. */
#define ADDR_LIST_MAX		32
#define ADDR_KEY_LEN		64

struct addr {
	int		family;		/* AF_INET or AF_INET6 */
	u_int8_t	bytes[16];	/* network order; 4 used for IPv4 */
};

struct addr_list {
	int		n;
	struct {
		struct addr	net;
		int		bits;
	}		items[ADDR_LIST_MAX];
};

int	addr_parse(const char *, size_t, struct addr *);
void	addr_unmap(struct addr *);
int	addr_list_parse(const char *, struct addr_list *, char *, size_t);
int	addr_in_list(const struct addr_list *, const struct addr *);
void	addr_client(const struct addr_list *, const struct addr *,
	    const char *, const char *, struct addr *);
void	addr_key(const struct addr *, char *, size_t);
size_t	addr_header_filter(u_int8_t *, size_t);
const char	*addr_public(const struct addr *, int);
const char	*addr_url_host(const char *, int *);
const char	*addr_webhook_url(const char *, int);

/* edge.c: connections before they are requests, the client address. */
int	edge_init(char *, size_t);
void	ngan_connect(struct connection *);
void	kore_worker_configure(void);
int	edge_client_key(struct http_request *, char *, size_t);
int	edge_metrics_token(const char *);

/* participants.c, registrations.c */
extern const struct field_spec	participant_fields[];
json_t	*participant_seal(json_t *, const char *, json_t *);
int	participants_respond(struct http_request *, struct ngan_req *);
void	participant_open(json_t *);
int	participants_create(struct http_request *, struct ngan_req *);
int	participants_get(struct http_request *, struct ngan_req *);
int	participants_list(struct http_request *, struct ngan_req *);
int	reveal_query_or_422(struct http_request *, char *, size_t, char **);
extern const struct field_spec	registration_fields[], registration_query[];
int	registrations_create(struct http_request *, struct ngan_req *);
int	registrations_export(struct http_request *, struct ngan_req *);
int	registrations_import(struct http_request *, struct ngan_req *);

/* webhooks.c: a partner client's webhook endpoints (issue 19). */
int	webhooks_create(struct http_request *, struct ngan_req *);

/* messages.c: pure, the texts of the messages to participants. */
int	message_text(const char *, const char *, json_t *, char *, size_t);

/* self.c: the participants' own way in (issue 18). */
int	self_consent(struct http_request *, struct ngan_req *);
int	self_register(struct http_request *, struct ngan_req *);
int	self_code(struct http_request *, struct ngan_req *);
int	self_token(struct http_request *, struct ngan_req *);
int	self_registrations(struct http_request *, struct ngan_req *);
int	self_cancel(struct http_request *, struct ngan_req *);
int	self_token_claims_participant(const char *);
const char *self_email_check(const char *);
void	self_refuse_on_staff_route(struct http_request *);

/* privacy.c */
extern const struct field_spec	privacy_no_fields[];
extern const struct field_spec	privacy_my_fields[];
extern const struct field_spec	privacy_staff_fields[];
extern const struct field_spec	privacy_request_query[];
int	privacy_my_get(struct http_request *, struct ngan_req *);
int	privacy_my_rectify(struct http_request *, struct ngan_req *);
int	privacy_my_erase(struct http_request *, struct ngan_req *);
int	privacy_my_restrict(struct http_request *, struct ngan_req *);
int	privacy_staff_get(struct http_request *, struct ngan_req *);
int	privacy_staff_rectify(struct http_request *, struct ngan_req *);
int	privacy_staff_erase(struct http_request *, struct ngan_req *);
void	retention_init(void);

/* reminders.c: the day-before reminders' timer. */
void	reminders_init(void);

/* checkins.c */
int	checkins_create(struct http_request *, struct ngan_req *);
int	checkins_batch(struct http_request *, struct ngan_req *);
int	checkins_annul(struct http_request *, struct ngan_req *);
extern const struct field_spec	checkin_scan_fields[], checkin_batch_fields[];
extern const struct field_spec	checkin_annul_fields[], checkin_query[];
extern const struct field_spec	checkin_conflict_query[];
int	attendance_respond(struct http_request *, struct ngan_req *);
int	checkins_manifest(struct http_request *, struct ngan_req *);
int	checkins_margin(void);

/* groups.c, products.c */
extern const struct field_spec	group_create_fields[], group_patch_fields[];
extern const struct field_spec	group_query[];
int	groups_respond(struct http_request *, struct ngan_req *);
int	groups_create(struct http_request *, struct ngan_req *);
int	groups_patch(struct http_request *, struct ngan_req *);
extern const struct field_spec	product_create_fields[];
extern const struct field_spec	product_patch_fields[];
extern const struct field_spec	product_query[], image_order_fields[];
int	product_images_create(struct http_request *, struct ngan_req *);
int	product_images_order(struct http_request *, struct ngan_req *);
int	product_images_get(struct http_request *, struct ngan_req *);

#endif /* !NGAN_H */
