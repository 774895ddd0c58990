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

#define NGAN_DB			"db"
#define NGAN_JSON_BODY_MAX	(1024 * 1024)
#define NGAN_PARAMS_MAX		12
#define NGAN_REQUEST_ID_LEN	64
#define NGAN_UUID_LEN		36
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
typedef int (*ngan_handler)(struct http_request *, struct ngan_req *);

struct route {
	const char	*pattern;	/* "/v1/users/{id}" */
	ngan_handler	handlers[8];	/* indexed by route_method_index() */
};

#define ROUTE_PARAMS_MAX	3

/* Per-request state, kept across the handler's database round trips. */
struct ngan_req {
	const struct route	*route;
	char			request_id[NGAN_REQUEST_ID_LEN + 1];
	char			params[ROUTE_PARAMS_MAX][NGAN_UUID_LEN + 1];
	struct actor		actor;
	u_int64_t		started;	/* microseconds, monotonic */
	size_t			body_length;	/* as received */

	/* Database call in flight, see db.c. */
	int			db_state;
	int			db_retried;
	int			db_queued;	/* in db.c's wait queue */
	struct http_request	*db_req;	/* woken from that queue */
	TAILQ_ENTRY(ngan_req)	db_link;
	int			db_holding;	/* counted in db_in_use */
	PGconn			*db_conn;	/* the last connection used */
	int			phase;		/* handler step, 0 first */
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
extern const struct route	ngan_routes[];
extern const size_t		ngan_routes_count;

/* problem.c */
void	problem(struct http_request *, int, const char *, const char *);
void	problem_errors(struct http_request *, int, const char *,
	    const char *, json_t *);
void	problem_oauth(struct http_request *, int, const char *,
	    const char *);
void	problem_unauthorized(struct http_request *, int);
void	problem_retry_after(struct http_request *, int, int, const char *);
void	respond_json(struct http_request *, int, json_t *);
void	respond_text(struct http_request *, int, const char *, const char *,
	    size_t);

/* json.c: pure body validation. */
#define FIELD_STRING		1
#define FIELD_INT		2
#define FIELD_BOOL		3
#define FIELD_UUID		4
#define FIELD_STRING_ARRAY	5
#define FIELD_OBJECT		6
#define FIELD_ARRAY		7
#define FIELD_OBJECT_ARRAY	8	/* items checked against sub */
#define FIELD_TIME		9	/* RFC 3339 with an offset */
#define FIELD_DATE		10	/* YYYY-MM-DD */

#define FIELD_REQUIRED		0x01
#define FIELD_NULLABLE		0x02
#define FIELD_UNIQUE		0x04	/* array items may not repeat */

struct field_spec {
	const char		*name;
	int			type;
	int			flags;
	long long		min;	/* chars, value or items */
	long long		max;
	const char *const	*choices;	/* NULL-terminated enum */
	/* NULL, or why the value will not do. */
	const char		*(*check)(const char *);
	const struct field_spec	*sub;	/* FIELD_OBJECT(_ARRAY) members */
};

void	validation_error(json_t *, const char *, const char *, const char *);
int	json_validate(json_t *, const struct field_spec *, json_t *);
size_t	utf8_length(const char *);
const char *time_check(const char *);
const char *date_check(const char *);
int	uuid_valid(const char *);
int	json_body_or_error(struct http_request *, struct ngan_req *,
	    const struct field_spec *);
int	json_body_validate(struct http_request *, struct ngan_req *,
	    const struct field_spec *);
int	query_limit_or_422(struct http_request *, int *);
int	query_string(struct http_request *, const char *, char **);
void	query_error(struct http_request *, const char *, const char *,
	    const char *);
int	query_parse(const char *, char **, char **, int);
int	url_decode(char *);
int	utf8_valid(const char *);

/* db.c */
int	db_query(struct http_request *, struct ngan_req *, const char *, int,
	    ...);
int	db_query_array(struct http_request *, struct ngan_req *,
	    const char *, int, const char **, const int *);
int	db_drive(struct http_request *, struct ngan_req *);
void	db_request_cleanup(struct ngan_req *);
int	db_respond(struct http_request *, struct ngan_req *);
const char *db_value(struct ngan_req *, int, int);
int	db_isnull(struct ngan_req *, int, int);
int	db_rows(struct ngan_req *);
void	db_init(const char *);
extern u_int32_t	db_in_use;
extern u_int32_t	db_waiting;
u_int32_t db_connections(void);

#define DB_IDLE		0
#define DB_SETUP	1
#define DB_WAIT		2
#define DB_DONE		100

/* auth.c */
int	auth_init(void);
int	auth_bearer(struct http_request *, struct ngan_req *);
int	auth_require(struct http_request *, struct ngan_req *, int);
int	auth_role_parse(const char *);
const char *auth_role_name(int);
int	auth_token(struct http_request *, struct ngan_req *);
int	auth_revoke(struct http_request *, struct ngan_req *);
int	auth_jwks(struct http_request *, struct ngan_req *);
char	*jwt_issue(const char *, const char *, const char *, const char *,
	    const char *, int, long);
int	jwt_check(const char *, long, struct actor *);
int	jwt_verify(const char *, const char *, jwt_t **);
char	*jwt_sign(json_t *);
EVP_PKEY *auth_key(const char *);
const char *auth_kid(void);
int	auth_password_hash(const char *, char *);

/* users.c, agencies.c, partners.c */
int	users_me(struct http_request *, struct ngan_req *);
int	users_list(struct http_request *, struct ngan_req *);
int	users_get(struct http_request *, struct ngan_req *);
int	users_create(struct http_request *, struct ngan_req *);
int	users_patch(struct http_request *, struct ngan_req *);
int	agencies_list(struct http_request *, struct ngan_req *);
int	agencies_get(struct http_request *, struct ngan_req *);
int	agencies_create(struct http_request *, struct ngan_req *);
int	partners_create(struct http_request *, struct ngan_req *);

/* events.c, sessions.c */
int	events_list(struct http_request *, struct ngan_req *);
int	events_get(struct http_request *, struct ngan_req *);
int	events_create(struct http_request *, struct ngan_req *);
int	events_patch(struct http_request *, struct ngan_req *);
int	events_cancel(struct http_request *, struct ngan_req *);
int	target_groups_list(struct http_request *, struct ngan_req *);
int	sessions_list(struct http_request *, struct ngan_req *);
int	sessions_create(struct http_request *, struct ngan_req *);
int	sessions_patch(struct http_request *, struct ngan_req *);
int	sessions_delete(struct http_request *, struct ngan_req *);

/* tickets.c, scanners.c */
char	*ticket_token(const char *, const char *, int);
int	ticket_verify(const char *, char *, char *, int *);
int	tickets_get(struct http_request *, struct ngan_req *);
int	tickets_qr_svg(struct http_request *, struct ngan_req *);
int	tickets_qr_png(struct http_request *, struct ngan_req *);
int	tickets_reissue(struct http_request *, struct ngan_req *);
int	scanners_list(struct http_request *, struct ngan_req *);
int	scanners_assign(struct http_request *, struct ngan_req *);
int	scanners_unassign(struct http_request *, struct ngan_req *);

/* ops.c */
int	ops_init(void);
int	ops_healthz(struct http_request *, struct ngan_req *);
int	ops_readyz(struct http_request *, struct ngan_req *);
int	ops_metrics(struct http_request *, struct ngan_req *);
int	ops_openapi(struct http_request *, struct ngan_req *);

/* partners.c, stats.c, feed.c, audit.c, cors.c, docs.c: partner data */
int	partners_list(struct http_request *, struct ngan_req *);
int	partners_get(struct http_request *, struct ngan_req *);
int	partners_patch(struct http_request *, struct ngan_req *);
int	partners_rotate(struct http_request *, struct ngan_req *);
int	stats_attendance(struct http_request *, struct ngan_req *);
int	stats_attendance_csv(struct http_request *, struct ngan_req *);
void	stats_refresh_init(void);
int	feed_registrations(struct http_request *, struct ngan_req *);
int	partner_init(void);
void	partner_rate_text(char *, size_t);
void	stats_ttl_text(char *, size_t);
int	stats_ttl_seconds(void);
int	partner_respond(struct http_request *, struct ngan_req *);
int	audit_list(struct http_request *, struct ngan_req *);
int	cors_init(void);
int	cors_apply(struct http_request *);
void	cors_preflight(struct http_request *, int, const char *);
int	docs_init(void);
int	docs_page(struct http_request *, struct ngan_req *);
int	docs_script(struct http_request *, struct ngan_req *);
int	docs_css(struct http_request *, struct ngan_req *);
int	docs_bundle(struct http_request *, struct ngan_req *);

/* metrics.c */
int	metrics_init(size_t);
void	metrics_observe(int, int, int, u_int64_t);
void	metrics_db(u_int32_t, u_int32_t, u_int32_t, u_int32_t);
void	metrics_render(struct kore_buf *);

/* util.c */
void	hex_encode(const u_int8_t *, size_t, char *);
int	hex_decode(const char *, u_int8_t *, size_t);
void	base64url_encode(const u_int8_t *, size_t, char *, size_t);
int	base64url_decode(const char *, size_t, u_int8_t *, size_t, size_t *);
void	random_token(char *, size_t);
u_int64_t now_us(void);
void	request_id_make(struct http_request *, char *, size_t);
const char *client_address(struct http_request *, char *, size_t);
int	if_match_version(struct http_request *, int *);
int	env_int(const char *, int, int, int *);

/* participants.c, registrations.c */
extern const struct field_spec	participant_fields[];
json_t	*participant_seal(json_t *, const char *, json_t *);
int	participants_respond(struct http_request *, struct ngan_req *);
int	participants_create(struct http_request *, struct ngan_req *);
int	participants_get(struct http_request *, struct ngan_req *);
int	participants_list(struct http_request *, struct ngan_req *);
int	registrations_create(struct http_request *, struct ngan_req *);
int	registrations_get(struct http_request *, struct ngan_req *);
int	registrations_cancel(struct http_request *, struct ngan_req *);
int	registrations_list(struct http_request *, struct ngan_req *);
int	registrations_export(struct http_request *, struct ngan_req *);
int	registrations_import(struct http_request *, struct ngan_req *);

/* checkins.c */
int	checkins_create(struct http_request *, struct ngan_req *);
int	checkins_batch(struct http_request *, struct ngan_req *);
int	checkins_annul(struct http_request *, struct ngan_req *);
int	checkins_list(struct http_request *, struct ngan_req *);
int	checkins_conflicts(struct http_request *, struct ngan_req *);
int	checkins_attendance(struct http_request *, struct ngan_req *);
int	checkins_manifest(struct http_request *, struct ngan_req *);
int	checkins_margin(void);
const char	*checkins_lang(struct http_request *);

/* pii.c: pure, libsodium only (tools/ngan-pii.c links it too). */
#define PII_OK			0
#define PII_FORMAT		1
#define PII_CHECKSUM		2
#define PII_NID_LEN		13
#define PII_PHONE_MAX		10
#define PII_PLAIN_MAX		16	/* longest clear text sealed */
#define PII_HMAC_LEN		32
#define PII_SEAL_OVERHEAD	40	/* XChaCha20 nonce + Poly1305 tag */
#define PII_SEAL_HEX_LEN(n)	((PII_SEAL_OVERHEAD + (n)) * 2 + 1)
#define PII_AD_NID		"nid"
#define PII_AD_PHONE		"phone"

struct pii_keys {
	u_int8_t	hmac[32];
	u_int8_t	enc[32];
};

/* A national id and phone as the database keeps them: hex, no clear. */
struct pii_sealed {
	char		nid_hmac[PII_HMAC_LEN * 2 + 1];
	char		nid_enc[PII_SEAL_HEX_LEN(PII_NID_LEN)];
	char		nid_last3[4];
	char		phone_enc[PII_SEAL_HEX_LEN(PII_PHONE_MAX)]; /* or "" */
	char		phone_last4[5];				/* or "" */
};

int	pii_init(void);
const struct pii_keys *pii_worker_keys(void);
int	pii_keys_from_hex(const char *, struct pii_keys *);
int	pii_national_id(const char *, char [PII_NID_LEN + 1]);
int	pii_phone(const char *, char [PII_PHONE_MAX + 1]);
void	pii_hmac_hex(const struct pii_keys *, const char *,
	    char [PII_HMAC_LEN * 2 + 1]);
int	pii_encrypt_hex(const struct pii_keys *, const char *, const char *,
	    char *, size_t);
int	pii_decrypt_hex(const struct pii_keys *, const char *, const char *,
	    char *, size_t);
int	pii_seal(const struct pii_keys *, const char *, const char *,
	    struct pii_sealed *);

/* csv.c: pure. */
#define CSV_OK			0
#define CSV_TOO_MANY		1
#define CSV_NOMEM		2
#define CSV_BAD_QUOTE		1	/* text after a closing quote */
#define CSV_BAD_UNTERMINATED	2	/* a quote still open at the end */

struct csv_record {
	size_t		first;		/* index of its first field */
	size_t		nfields;
	size_t		index;		/* 1-based, blank records counted */
	int		bad;		/* CSV_BAD_*, 0 when well formed */
};

struct csv_table {
	char			*text;	/* the fields, unquoted, owned */
	char			**fields;
	size_t			nfields;
	size_t			fields_cap;
	struct csv_record	*records;
	size_t			nrecords;
	size_t			records_cap;
};

/* A growing output buffer; data is owned, free with csv_buf_free(). */
struct csv_buf {
	char		*data;
	size_t		len;
	size_t		cap;
};

/* The import file's columns, in Thai or English (import_column()). */
#define IMPORT_TITLE		0
#define IMPORT_FIRST_NAME	1
#define IMPORT_LAST_NAME	2
#define IMPORT_NATIONAL_ID	3
#define IMPORT_PHONE		4
#define IMPORT_SUBDISTRICT	5
#define IMPORT_DISTRICT		6
#define IMPORT_PROVINCE		7
#define IMPORT_TARGET_GROUP	8
#define IMPORT_OCCUPATION	9
#define IMPORT_SECTION40	10
#define IMPORT_COLUMNS		11

int	csv_parse(const char *, size_t, size_t, struct csv_table *);
const char *csv_field(const struct csv_table *, size_t, size_t);
void	csv_free(struct csv_table *);
char	*csv_trim(char *);
int	csv_yes_no(const char *);
int	import_column(const char *);
const char *import_column_name(int);
int	csv_buf_append(struct csv_buf *, const char *, size_t);
int	csv_buf_field(struct csv_buf *, const char *, int);
void	csv_buf_free(struct csv_buf *);

/* images.c: pure, what an uploaded file is by its bytes. */
#define IMAGE_OK		0
#define IMAGE_UNKNOWN		1	/* not JPEG, PNG nor WebP: 415 */
#define IMAGE_CORRUPT		2	/* starts like one, no size: 422 */
#define IMAGE_PNG		1
#define IMAGE_JPEG		2
#define IMAGE_WEBP		3
#define IMAGE_BYTES_MAX		(5 * 1024 * 1024)

struct image_info {
	int		type;		/* IMAGE_PNG... */
	u_int32_t	width;
	u_int32_t	height;
};

int	image_sniff(const u_int8_t *, size_t, struct image_info *);
const char *image_content_type(int);

/* groups.c, products.c */
int	groups_list(struct http_request *, struct ngan_req *);
int	groups_get(struct http_request *, struct ngan_req *);
int	groups_create(struct http_request *, struct ngan_req *);
int	groups_patch(struct http_request *, struct ngan_req *);
int	group_categories_list(struct http_request *, struct ngan_req *);
int	group_products_list(struct http_request *, struct ngan_req *);
int	group_products_create(struct http_request *, struct ngan_req *);
int	products_list(struct http_request *, struct ngan_req *);
int	products_get(struct http_request *, struct ngan_req *);
int	products_patch(struct http_request *, struct ngan_req *);
int	products_delete(struct http_request *, struct ngan_req *);
int	product_images_create(struct http_request *, struct ngan_req *);
int	product_images_order(struct http_request *, struct ngan_req *);
int	product_images_get(struct http_request *, struct ngan_req *);
int	product_images_delete(struct http_request *, struct ngan_req *);
int	event_products_list(struct http_request *, struct ngan_req *);
int	event_products_put(struct http_request *, struct ngan_req *);
int	event_products_delete(struct http_request *, struct ngan_req *);

#endif /* !NGAN_H */
