/*
 * Module entry: configuration from the environment, the route table and
 * the dispatcher every request goes through (request id, routing, access
 * log, metrics).
 */

#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <kore/seccomp.h>

#include "ngan.h"
#include "certificates.h"

/*
 * make SANITIZE=address,undefined: the sanitizer runtimes (preloaded into
 * kore) open their log, look up threads and signals, and abort when they
 * report. Only in that build: production keeps the filter below.
 */
#if defined(NGAN_SANITIZE)
#define SANITIZER_SYSCALLS						\
	KORE_SYSCALL_ALLOW(sched_yield),				\
	KORE_SYSCALL_ALLOW(gettid),					\
	KORE_SYSCALL_ALLOW(tgkill),					\
	KORE_SYSCALL_ALLOW(tkill),					\
	KORE_SYSCALL_ALLOW(prctl),					\
	KORE_SYSCALL_ALLOW(readlinkat),					\
	KORE_SYSCALL_ALLOW(prlimit64),					\
	KORE_SYSCALL_ALLOW(getrlimit),					\
	KORE_SYSCALL_ALLOW(sched_getaffinity),				\
	KORE_SYSCALL_ALLOW(getppid),					\
	KORE_SYSCALL_ALLOW(uname),					\
	KORE_SYSCALL_ALLOW(msync),					\
	KORE_SYSCALL_ALLOW(pipe2),					\
	KORE_SYSCALL_ALLOW(dup2),					\
	KORE_SYSCALL_ALLOW(clone),					\
	KORE_SYSCALL_ALLOW(wait4),					\
	KORE_SYSCALL_ALLOW(execve),
#else
#define SANITIZER_SYSCALLS
#endif

/*
 * glibc 2.36 stats through newfstatat (libpq reads ~/.pgpass) and libpq
 * lists a directory while it sets up SSL on a new connection. glibc's
 * realloc() of a block past the mmap threshold (128 KiB) is mremap: libpq
 * growing its buffer for a CSV import's rows, for one.
 *
 * Certificates (certificate_pdf.c): Pango sorts a font's fallbacks in a
 * thread of its own the first time it meets a font, language and script
 * (a name in a script the warm-up page had not). Threads only: clone3
 * passes its flags in memory a filter cannot read, so it fails (ENOSYS)
 * and glibc falls back to clone, allowed with CLONE_THREAD set; a new
 * thread registers with rseq and set_robust_list.
 */
KORE_SECCOMP_FILTER("ngan",
	SANITIZER_SYSCALLS
	KORE_SYSCALL_ALLOW(newfstatat),
	KORE_SYSCALL_ALLOW(getrandom),
	KORE_SYSCALL_ALLOW(getdents64),
	KORE_SYSCALL_ALLOW(mremap),
	KORE_SYSCALL_DENY(clone3, ENOSYS),
	KORE_SYSCALL_ALLOW_WITH_FLAG(clone, 0, CLONE_THREAD),
	KORE_SYSCALL_ALLOW(rseq),
	KORE_SYSCALL_ALLOW(set_robust_list)
);

int		ngan_init(int);
void		kore_parent_configure(int, char **);
void		kore_worker_teardown(void);

static void	conninfo_make(const char *, char *, size_t);
static int	dispatch_step(struct http_request *, struct ngan_req *);
static void	precond_settle(struct http_request *, struct ngan_req *);
static void	dispatch_done(struct http_request *, struct ngan_req *);
static void	request_free(struct http_request *);
static void	memory_trim(void *, u_int64_t);
static void	worker_priority(void);
static void	parent_fatal(const char *);

static int	trim_pending;


/*
 * How long a stopping worker waits for the requests it has in hand: below
 * the 10 s docker stop (and Compose) wait by default before SIGKILL, so
 * a stop never cuts the drain short (README, Deploying; Dockerfile).
 */
#define DRAIN_MS	8000
#define FLUSH_MS	200

/* NGAN_ACCESS_LOG=0 turns the per-request line off (benchmarks). */
static int	access_log = 1;

#define GET	0
#define POST	1
#define PUT	2
#define DELETE	3
#define OPTIONS	5
#define PATCH	6

/* Order matters only for speed: the hottest routes first. */
const struct route ngan_routes[] = {
	{ "/healthz", { [GET] = { ops_healthz } } },
	/* api.me checks the session itself: no api.live_actor. */
	{ "/v1/me", {
		[GET] = { .roles = ROLE_ANY, .flags = CALL_ACTOR_CHECKED,
		    .cache = "no-store", .function = "api.me",
		    .args = { ARG_ACTOR } } } },
	{ "/readyz", { [GET] = { ops_readyz } } },
	{ "/metrics", { [GET] = { ops_metrics } } },
	{ "/openapi.yaml", { [GET] = { ops_openapi } } },
	{ "/.well-known/jwks.json", { [GET] = { token_jwks } } },
	{ "/.well-known/oauth-authorization-server",
	    { [GET] = { oauth_metadata } } },
	{ "/v1/auth/token", { [POST] = { auth_token } } },
	{ "/v1/auth/revoke", { [POST] = { auth_revoke } } },
	{ "/v1/agencies", {
		[GET] = { .roles = ROLE_ANY, .query = agency_query,
		    .function = "api.agencies_list",
		    .args = { ARG_ACTOR, ARG_QUERY + 1, ARG_QUERY + 2,
		    ARG_QUERY + 0, ARG_QUERY + 3 } },
		[POST] = { .roles = ROLE_ADMIN, .body = agency_fields,
		    .function = "api.agency_create",
		    .args = { ARG_ACTOR, ARG_BODY } } } },
	{ "/v1/agencies/{id}", {
		[GET] = { .roles = ROLE_ANY, .function = "api.agency_get",
		    .args = { ARG_ACTOR, ARG_PATH0 } } } },
	{ "/v1/users", {
		[GET] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .query = user_query, .cache = "no-store",
		    .function = "api.users_list",
		    .args = { ARG_ACTOR, ARG_QUERY + 1, ARG_QUERY + 2,
		    ARG_QUERY + 0, ARG_QUERY + 3 } },
		/* A password is hashed here; an organiser's name suffixed. */
		[POST] = { users_create, .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .body = user_create_fields } } },
	{ "/v1/users/{id}", {
		[GET] = { .roles = ROLE_ANY, .cache = "no-store",
		    .function = "api.user_get",
		    .args = { ARG_ACTOR, ARG_PATH0 } },
		[PATCH] = { users_patch, .roles = ROLE_ADMIN,
		    .flags = CALL_IF_MATCH, .body = user_patch_fields } } },
	{ "/v1/partner-clients", {
		[GET] = { .roles = ROLE_ADMIN, .query = partner_query,
		    .function = "api.partner_clients_list",
		    .args = { ARG_ACTOR, ARG_QUERY + 0, ARG_QUERY + 1 } },
		/* The secret is made here and shown once. */
		[POST] = { partners_create, .roles = ROLE_ADMIN,
		    .body = partner_fields } } },
	/* Anonymous reads of events are kept rendered (cache.c). */
	{ "/v1/events", {
		[GET] = { events_list_cached, .query = event_query,
		    .function = "api.events_list",
		    .args = { ARG_ACTOR, ARG_FILTERS, ARG_QUERY + 0,
		    ARG_QUERY + 10 }, .respond = events_list_respond },
		[POST] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .body = event_create_fields,
		    .function = "api.event_create",
		    .args = { ARG_ACTOR, ARG_BODY } } } },
	{ "/v1/events/{id}", {
		[GET] = { events_get_cached, .function = "api.event_get",
		    .args = { ARG_ACTOR, ARG_PATH0 },
		    .respond = events_get_respond },
		[PATCH] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .flags = CALL_IF_MATCH, .body = event_patch_fields,
		    .function = "api.event_patch",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_VERSION,
		    ARG_BODY } } } },
	/* The body is optional: an empty one cancels without a reason. */
	{ "/v1/events/{id}/cancel", {
		[POST] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .flags = CALL_BODY_OPTIONAL, .body = event_cancel_fields,
		    .function = "api.event_cancel",
		    .args = { ARG_ACTOR, ARG_PATH0 } } } },
	/* No GET shows one session: its tag is its version. */
	{ "/v1/events/{id}/sessions", {
		[GET] = { .function = "api.sessions_list",
		    .args = { ARG_ACTOR, ARG_PATH0 } },
		[POST] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .body = session_create_fields,
		    .function = "api.session_write",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_NULL, ARG_NULL,
		    ARG_BODY } } }, ROUTE_TAG_SQL },
	{ "/v1/events/{id}/sessions/{sid}", {
		[PATCH] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .flags = CALL_IF_MATCH, .body = session_patch_fields,
		    .function = "api.session_write",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_PATH1,
		    ARG_VERSION_SET, ARG_BODY } },
		[DELETE] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .function = "api.session_delete",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_PATH1 } } },
	    ROUTE_TAG_SQL },
	{ "/v1/target-groups", {
		[GET] = { .cache = "public, max-age=300",
		    .function = "api.target_groups" } } },
	{ "/v1/registrations/{id}/ticket", { [GET] = { tickets_get } } },
	{ "/v1/registrations/{id}/ticket/reissue",
	    { [POST] = { tickets_reissue } } },
	{ "/v1/registrations/{id}/qr.svg", { [GET] = { tickets_qr_svg } } },
	{ "/v1/registrations/{id}/qr.png", { [GET] = { tickets_qr_png } } },
	/* ticket_print.c: printed tickets and name badges */
	{ "/v1/registrations/{id}/ticket.pdf", { [GET] = { tickets_pdf } } },
	{ "/v1/t", { [GET] = { tickets_short_link } } },
	{ "/v1/events/{id}/badges.pdf", {
		[GET] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .query = badges_query, .cache = "no-store",
		    .function = "api.event_badges",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_QUERY + 0 },
		    .respond = badges_respond } } },
	/* The scanner accounts that may check people in at an event. */
	{ "/v1/events/{id}/scanners", {
		[GET] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .function = "api.scanners_list",
		    .args = { ARG_ACTOR, ARG_PATH0 } } } },
	{ "/v1/events/{id}/scanners/{uid}", {
		[PUT] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .function = "api.scanner_assign",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_PATH1 } },
		[DELETE] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .function = "api.scanner_unassign",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_PATH1 } } } },
	/* participants.c, registrations.c: national ids and phones sealed */
	{ "/v1/participants", {
		[GET] = { participants_list,
		    .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .flags = CALL_CACHE_FIRST, .cache = "no-store" },
		/* Scanners register walk-ins, never anyone on their own. */
		[POST] = { participants_create,
		    .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .body = participant_fields, .flags = CALL_CACHE_FIRST,
		    .cache = "no-store" } } },
	/* Scanners read no participant record: a scan result says enough. */
	{ "/v1/participants/{id}", {
		[GET] = { participants_get,
		    .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .flags = CALL_CACHE_FIRST, .cache = "no-store" } } },
	{ "/v1/events/{id}/registrations", {
		[GET] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .query = registration_query, .flags = CALL_CACHE_FIRST,
		    .cache = "no-store", .function = "api.registrations_list",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_FILTERS,
		    ARG_QUERY + 0, ARG_QUERY + 5 } },
		[POST] = { registrations_create,
		    .roles = ROLE_ADMIN | ROLE_ORGANIZER | ROLE_SCANNER,
		    .body = registration_fields, .flags = CALL_CACHE_FIRST,
		    .cache = "no-store" } } },
	{ "/v1/events/{id}/registrations.csv", {
		[GET] = { registrations_export,
		    .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .flags = CALL_CACHE_FIRST, .cache = "no-store" } } },
	{ "/v1/events/{id}/registrations/import", {
		[POST] = { registrations_import,
		    .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .flags = CALL_CACHE_FIRST, .cache = "no-store" } } },
	{ "/v1/registrations/{id}", {
		[GET] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .flags = CALL_CACHE_FIRST, .cache = "no-store",
		    .function = "api.registration_get",
		    .args = { ARG_ACTOR, ARG_PATH0 } } } },
	/* The outbox (issue 19): a registration's messages, dead letters. */
	{ "/v1/registrations/{id}/messages", {
		[GET] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .cache = "no-store",
		    .function = "api.registration_messages",
		    .args = { ARG_ACTOR, ARG_PATH0 } } } },
	{ "/v1/outbox/dead-letters", {
		[GET] = { .roles = ROLE_ADMIN, .cache = "no-store",
		    .function = "api.outbox_dead_letters",
		    .args = { ARG_ACTOR } } } },
	{ "/v1/outbox/{id}/retry", {
		[POST] = { .roles = ROLE_ADMIN,
		    .function = "api.outbox_retry",
		    .args = { ARG_ACTOR, ARG_PATH0 } } } },
	/* Any body is ignored: nothing is said about a cancellation. */
	{ "/v1/registrations/{id}/cancel", {
		[POST] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .flags = CALL_CACHE_FIRST, .cache = "no-store",
		    .function = "api.registration_cancel",
		    .args = { ARG_ACTOR, ARG_PATH0 } } } },
	/* checkins.c: tickets scanned, in C for their tokens */
	{ "/v1/checkins", {
		[POST] = { checkins_create,
		    .roles = ROLE_ADMIN | ROLE_ORGANIZER | ROLE_SCANNER,
		    .body = checkin_scan_fields } } },
	{ "/v1/checkins/batch", {
		[POST] = { checkins_batch,
		    .roles = ROLE_ADMIN | ROLE_ORGANIZER | ROLE_SCANNER,
		    .body = checkin_batch_fields } } },
	/* The body is optional: no device_id matches a scan without one. */
	{ "/v1/checkins/{id}/annul", {
		[POST] = { checkins_annul,
		    .roles = ROLE_ADMIN | ROLE_ORGANIZER | ROLE_SCANNER,
		    .flags = CALL_BODY_OPTIONAL,
		    .body = checkin_annul_fields } } },
	{ "/v1/events/{id}/checkins", {
		[GET] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER | ROLE_SCANNER,
		    .query = checkin_query, .cache = "no-store",
		    .function = "api.checkins_list",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_FILTERS,
		    ARG_QUERY + 0, ARG_QUERY + 4 } } } },
	{ "/v1/events/{id}/checkins/conflicts", {
		[GET] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER | ROLE_SCANNER,
		    .query = checkin_conflict_query, .cache = "no-store",
		    .function = "api.checkin_conflicts",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_QUERY + 0,
		    ARG_QUERY + 1 } } } },
	/* A tag of what the report counts, checked before it is made. */
	{ "/v1/events/{id}/attendance", {
		[GET] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER | ROLE_SCANNER,
		    .cache = "no-store", .function = "api.attendance",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_IF_NONE_MATCH },
		    .respond = attendance_respond } }, ROUTE_TAG_SQL },
	{ "/v1/events/{id}/scanner-manifest", {
		[GET] = { checkins_manifest,
		    .roles = ROLE_ADMIN | ROLE_ORGANIZER | ROLE_SCANNER } } },
	/* certificates.c */
	{ "/v1/registrations/{id}/certificate",
	    { [POST] = { certificates_issue } } },
	{ "/v1/registrations/{id}/certificate.pdf",
	    { [GET] = { certificates_pdf } } },
	{ "/v1/events/{id}/certificates",
	    { [POST] = { certificates_issue_event } } },
	{ "/v1/events/{id}/certificates/zip",
	    { [POST] = { certificates_zip_start } } },
	/* jobs.c; sql/api/jobs.sql */
	{ "/v1/jobs/{id}", {
		[GET] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .cache = "no-store", .function = "api.job_get",
		    .args = { ARG_ACTOR, ARG_PATH0 } } } },
	{ "/v1/jobs/{id}/certificates.zip",
	    { [GET] = { jobs_certificates_zip } } },
	{ "/v1/certificates/verify", { [GET] = { certificates_verify } } },
	{ "/v1/certificates/{id}/revoke",
	    { [POST] = { certificates_revoke } } },
	{ "/v1/events/{id}/certificate-logo", {
		[PUT] = { certificates_logo_put },
		[DELETE] = { certificates_logo_delete } } },
	{ "/v1/events/{id}/certificate-signature", {
		[PUT] = { certificates_signature_put },
		[DELETE] = { certificates_signature_delete } } },
	/* groups.c, products.c: vocational groups and their products */
	/*
	 * groups.c, products.c: vocational groups and their products. A
	 * group's phone is sealed by its handlers, opened by groups_respond.
	 */
	{ "/v1/groups", {
		[GET] = { .query = group_query, .function = "api.groups_list",
		    .args = { ARG_ACTOR, ARG_FILTERS, ARG_QUERY + 0,
		    ARG_QUERY + 5 }, .respond = groups_respond },
		[POST] = { groups_create, .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .body = group_create_fields } } },
	{ "/v1/groups/{id}", {
		[GET] = { .function = "api.group_get",
		    .args = { ARG_ACTOR, ARG_PATH0 },
		    .respond = groups_respond },
		[PATCH] = { groups_patch, .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .flags = CALL_IF_MATCH, .body = group_patch_fields } } },
	{ "/v1/groups/{id}/products", {
		[GET] = { .function = "api.group_products",
		    .args = { ARG_ACTOR, ARG_PATH0 } },
		[POST] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .body = product_create_fields,
		    .function = "api.product_create",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_BODY } } } },
	{ "/v1/group-categories", {
		[GET] = { .cache = "public, max-age=300",
		    .function = "api.group_categories" } } },
	{ "/v1/products", {
		[GET] = { .query = product_query,
		    .function = "api.products_list",
		    .args = { ARG_ACTOR, ARG_FILTERS, ARG_QUERY + 0,
		    ARG_QUERY + 9 } } } },
	{ "/v1/products/{id}", {
		[GET] = { .function = "api.product_get",
		    .args = { ARG_ACTOR, ARG_PATH0 } },
		[PATCH] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .flags = CALL_IF_MATCH, .body = product_patch_fields,
		    .function = "api.product_patch",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_VERSION, ARG_BODY } },
		[DELETE] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .flags = CALL_IF_MATCH_CHECK,
		    .function = "api.product_delete",
		    .args = { ARG_ACTOR, ARG_PATH0 } } } },
	/* The image is read from its bytes and stored rewritten. */
	{ "/v1/products/{id}/images", {
		[POST] = { product_images_create,
		    .roles = ROLE_ADMIN | ROLE_ORGANIZER } }, ROUTE_TAG_SQL },
	{ "/v1/products/{id}/images/order", {
		[POST] = { product_images_order,
		    .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .body = image_order_fields } } },
	/* The SHA-256 of the bytes, which ?v= names. */
	{ "/v1/products/{id}/images/{n}", {
		[GET] = { product_images_get },
		[DELETE] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .flags = CALL_IF_MATCH_CHECK,
		    .function = "api.product_image_delete",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_PATH1 } } },
	    ROUTE_TAG_SQL },
	{ "/v1/events/{id}/products", {
		[GET] = { .function = "api.event_products",
		    .args = { ARG_ACTOR, ARG_PATH0 } } } },
	{ "/v1/events/{id}/products/{pid}", {
		[PUT] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .function = "api.event_product_put",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_PATH1 } },
		[DELETE] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .function = "api.event_product_delete",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_PATH1 } } } },
	/* Partner data: partners.c, stats.c, feed.c, audit.c, docs.c */
	{ "/v1/partner-clients/{id}", {
		[GET] = { .roles = ROLE_ADMIN,
		    .function = "api.partner_client_get",
		    .args = { ARG_ACTOR, ARG_PATH0 } },
		/* "active": false disables the client at once. */
		[PATCH] = { .roles = ROLE_ADMIN, .flags = CALL_IF_MATCH,
		    .body = partner_patch_fields,
		    .function = "api.partner_client_patch",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_VERSION,
		    ARG_BODY } } } },
	/* A new secret, shown once. */
	{ "/v1/partner-clients/{id}/secret", {
		[POST] = { partners_rotate, .roles = ROLE_ADMIN } } },
	/* The partner accounts that act for a client. */
	{ "/v1/partner-clients/{id}/users", {
		[GET] = { .roles = ROLE_ADMIN, .cache = "no-store",
		    .function = "api.partner_client_users",
		    .args = { ARG_ACTOR, ARG_PATH0 } } } },
	{ "/v1/partner-clients/{id}/users/{uid}", {
		[PUT] = { .roles = ROLE_ADMIN, .cache = "no-store",
		    .function = "api.partner_client_user_link",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_PATH1 } },
		[DELETE] = { .roles = ROLE_ADMIN,
		    .function = "api.partner_client_user_unlink",
		    .args = { ARG_ACTOR, ARG_PATH0, ARG_PATH1 } } } },
	/* webhooks.c: a partner client's endpoints; the secret made there. */
	{ "/v1/webhooks", {
		[GET] = { .roles = ROLE_PARTNER,
		    .cache = "no-store", .function = "api.webhooks_list",
		    .args = { ARG_ACTOR } },
		[POST] = { webhooks_create, .roles = ROLE_PARTNER,
		    .body = webhook_fields } } },
	{ "/v1/webhooks/{id}", {
		[DELETE] = { .roles = ROLE_PARTNER,
		    .function = "api.webhook_delete",
		    .args = { ARG_ACTOR, ARG_PATH0 } } } },
	{ "/v1/stats/attendance", { [GET] = { stats_attendance } } },
	{ "/v1/stats/attendance.csv", { [GET] = { stats_attendance_csv } } },
	{ "/v1/feed/registrations", { [GET] = { feed_registrations } } },
	{ "/v1/audit", {
		[GET] = { .roles = ROLE_ADMIN, .query = audit_query,
		    .cache = "no-store", .flags = CALL_REPLICA,
		    .function = "api.audit_list",
		    .args = { ARG_ACTOR, ARG_QUERY + 2, ARG_QUERY + 3,
		    ARG_QUERY + 4, ARG_QUERY + 5, ARG_QUERY + 0,
		    ARG_QUERY + 1 } } } },
	/* self.c: the participants' own way in; they read their own token. */
	{ "/v1/consent", { [GET] = { self_consent } } },
	{ "/v1/events/{id}/self-registrations", {
		[POST] = { self_register } }, ROUTE_PARTICIPANT },
	{ "/v1/participant-codes", { [POST] = { self_code } },
	    ROUTE_PARTICIPANT },
	{ "/v1/participant-tokens", { [POST] = { self_token } },
	    ROUTE_PARTICIPANT },
	{ "/v1/my/registrations", { [GET] = { self_registrations } },
	    ROUTE_PARTICIPANT },
	{ "/v1/my/registrations/{id}/cancel", { [POST] = { self_cancel } },
	    ROUTE_PARTICIPANT },
	/* privacy.c: the PDPA rights, the person's own and on request. */
	{ "/v1/my/personal-data", { [GET] = { privacy_my_get } },
	    ROUTE_PARTICIPANT },
	{ "/v1/my/personal-data/rectification", {
		[POST] = { privacy_my_rectify, .body = privacy_my_fields } },
	    ROUTE_PARTICIPANT },
	{ "/v1/my/personal-data/erasure", {
		[POST] = { privacy_my_erase, .body = privacy_no_fields,
		    .flags = CALL_BODY_OPTIONAL } }, ROUTE_PARTICIPANT },
	{ "/v1/my/personal-data/restriction", {
		[POST] = { privacy_my_restrict, .body = privacy_no_fields,
		    .flags = CALL_BODY_OPTIONAL },
		[DELETE] = { privacy_my_restrict } }, ROUTE_PARTICIPANT },
	{ "/v1/participants/{id}/personal-data/restriction", {
		[POST] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .body = privacy_no_fields, .flags = CALL_BODY_OPTIONAL,
		    .cache = "no-store", .function = "api.participant_restrict",
		    .args = { ARG_ACTOR, ARG_PATH0 } },
		[DELETE] = { .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .cache = "no-store",
		    .function = "api.participant_unrestrict",
		    .args = { ARG_ACTOR, ARG_PATH0 } } } },
	{ "/v1/my/consent/withdrawal", {
		[POST] = { privacy_my_erase, .body = privacy_no_fields,
		    .flags = CALL_BODY_OPTIONAL } }, ROUTE_PARTICIPANT },
	{ "/v1/participants/{id}/personal-data", {
		[GET] = { privacy_staff_get,
		    .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .flags = CALL_CACHE_FIRST, .cache = "no-store" } } },
	{ "/v1/participants/{id}/personal-data/rectification", {
		[POST] = { privacy_staff_rectify,
		    .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .body = privacy_staff_fields, .flags = CALL_CACHE_FIRST,
		    .cache = "no-store" } } },
	{ "/v1/participants/{id}/personal-data/erasure", {
		[POST] = { privacy_staff_erase,
		    .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .body = privacy_no_fields,
		    .flags = CALL_CACHE_FIRST | CALL_BODY_OPTIONAL,
		    .cache = "no-store" } } },
	{ "/v1/participants/{id}/consent/withdrawal", {
		[POST] = { privacy_staff_erase,
		    .roles = ROLE_ADMIN | ROLE_ORGANIZER,
		    .body = privacy_no_fields,
		    .flags = CALL_CACHE_FIRST | CALL_BODY_OPTIONAL,
		    .cache = "no-store" } } },
	{ "/v1/privacy-requests", {
		[GET] = { .roles = ROLE_ADMIN, .query = privacy_request_query,
		    .cache = "no-store", .function = "api.privacy_requests",
		    .args = { ARG_ACTOR, ARG_QUERY + 0, ARG_QUERY + 1,
		    ARG_QUERY + 2, ARG_QUERY + 3 } } } },
	{ "/docs", { [GET] = { docs_page } } },
	{ "/docs/docs.js", { [GET] = { docs_script } } },
	{ "/docs/swagger-ui.css", { [GET] = { docs_css } } },
	{ "/docs/swagger-ui-bundle.js", { [GET] = { docs_bundle } } },
	/* scan.c: the scanner app and the venue screen */
	{ "/scan", { [GET] = { scan_asset } } },
	{ "/scan/screen", { [GET] = { scan_asset } } },
	{ "/scan/app.js", { [GET] = { scan_asset } } },
	{ "/scan/common.js", { [GET] = { scan_asset } } },
	{ "/scan/screen.js", { [GET] = { scan_asset } } },
	{ "/scan/scan.css", { [GET] = { scan_asset } } },
	{ "/scan/sw.js", { [GET] = { scan_asset } } },
	{ "/scan/manifest.webmanifest", { [GET] = { scan_asset } } },
	{ "/scan/icon.svg", { [GET] = { scan_asset } } },
	{ "/scan/jsQR.js", { [GET] = { scan_asset } } },
};
const size_t ngan_routes_count = sizeof(ngan_routes) / sizeof(ngan_routes[0]);

/* Runs in the parent before the workers fork: shared metrics memory. */
void
kore_parent_configure(int argc, char **argv)
{
	char		err[512];

	(void)argc;
	(void)argv;

	/*
	 * Every setting (and *_FILE secret), read here: before the workers
	 * fork (restarted ones inherit them), outside any chroot, before
	 * privileges drop. A bad one stops the server.
	 */
	if (!config_load(err, sizeof(err)))
		parent_fatal(err);
	/* The issuer, before the workers fork: they inherit it. */
	if (!oauth_issuer_init(err, sizeof(err)))
		parent_fatal(err);
	if (sodium_init() < 0)
		fatal("libsodium failed to start");
	if (!pii_init(config_text(CONFIG_PII_KEY))) {
		(void)snprintf(err, sizeof(err), "NGAN_PII_KEY: %s",
		    config_takes(CONFIG_PII_KEY));
		parent_fatal(err);
	}
	if (!cors_init()) {
		(void)snprintf(err, sizeof(err), "NGAN_CORS_ORIGINS: %s",
		    config_takes(CONFIG_CORS_ORIGINS));
		parent_fatal(err);
	}
	partner_init();
	if (!metrics_init(ngan_routes_count))
		fatal("cannot map the metrics area");
	if (!edge_init(err, sizeof(err)))
		parent_fatal(err);
	/* Before the workers' sandbox: glibc dlopens the converter. */
	if (!csv_text_init())
		fatal("iconv cannot open WINDOWS-874 (glibc's gconv modules)");
	/*
	 * Fontconfig's configuration and caches, the Thai font and libthai's
	 * dictionary, loaded by drawing one certificate: before the workers'
	 * sandbox and any chroot (certificate_pdf.c); they inherit it all.
	 */
	if (!cert_pdf_init())
		fatal("certificates: fontconfig or the Laksaman font "
		    "(fonts-tlwg-laksaman) cannot be loaded");
	/* What the warm-up page freed, back to the system before the fork. */
	(void)malloc_trim(0);
	worker_priority();
}

/*
 * fatal() for a bad setting found in the parent. With the ASan runtime
 * preloaded, exit() can deadlock in libp11-kit's destructor (as in
 * kore_worker_teardown) and the server, meant to stop, hangs; that build
 * ends with _exit() after the same message.
 */
static void
parent_fatal(const char *msg)
{
#if defined(NGAN_SANITIZE)
	printf("kore: %s\n", msg);
	(void)fflush(stdout);
	_exit(1);
#else
	fatal("%s", msg);
#endif
}

/*
 * A worker feeds all of its pooled database connections; while it waits
 * for a CPU behind the backends it feeds, they sit idle. On two cores
 * shared with PostgreSQL the fair scheduler gave each worker about one
 * process's share: at the check-in peak 7 of 16 backends were waiting
 * for a query and a tenth of the CPU went unused. Like nginx's
 * worker_priority, the workers (forked after this, so they inherit it)
 * run at a higher priority. Lowering a nice value needs root or
 * CAP_SYS_NICE; without them the server runs at the inherited one.
 */
static void
worker_priority(void)
{
	char		buf[16];
	int		nice, fd, len;

	nice = config_int(CONFIG_WORKER_PRIORITY);
	if (setpriority(PRIO_PROCESS, 0, nice) == -1) {
		kore_log(LOG_NOTICE, "workers keep nice %d: %s "
		    "(NGAN_WORKER_PRIORITY %d needs CAP_SYS_NICE)",
		    getpriority(PRIO_PROCESS, 0), errno_s, nice);
		return;
	}

	/*
	 * With the kernel's autogroups a nice value only ranks processes of
	 * one session: a server started in a session of its own (setsid, as
	 * the scripts do) competes as a group, and the group's nice is what
	 * counts. Only our own session's: never the shell's we came from.
	 */
	if (getsid(0) != getpid() ||
	    (fd = open("/proc/self/autogroup", O_WRONLY)) == -1)
		return;
	len = snprintf(buf, sizeof(buf), "%d\n", nice);
	if (write(fd, buf, (size_t)len) != len)
		kore_log(LOG_NOTICE, "autogroup nice not set: %s", errno_s);
	(void)close(fd);
}

/*
 * A URI takes options as a query, a key=value string by a space.
 * application_name is ngan unless libpq's PGAPPNAME names it.
 */
static void
conninfo_make(const char *url, char *out, size_t len)
{
	const char	*app;

	app = config_text(CONFIG_PGAPPNAME);
	(void)snprintf(out, len, "%s%sconnect_timeout=3%s%s", url,
	    strncmp(url, "postgres", 8) ? " " : (strchr(url, '?') ? "&" : "?"),
	    *app != '\0' ? "" : strncmp(url, "postgres", 8) ? " " : "&",
	    *app != '\0' ? "" : "application_name=ngan");
}

/* Runs in each worker. */
int
ngan_init(int state)
{
	const char	*url;
	char		conninfo[2048], read_conninfo[2048];

	if (state == KORE_MODULE_UNLOAD)
		return (KORE_RESULT_OK);

	if (sodium_init() < 0)
		fatal("libsodium failed to start");

	conninfo_make(config_text(CONFIG_DATABASE_URL), conninfo,
	    sizeof(conninfo));
	/* Partner reads from a streaming replica; the same by default. */
	if (*(url = config_text(CONFIG_READ_DATABASE_URL)) != '\0')
		conninfo_make(url, read_conninfo, sizeof(read_conninfo));
	else
		read_conninfo[0] = '\0';
	db_init(conninfo, read_conninfo[0] != '\0' ? read_conninfo : NULL);
	notify_init(conninfo);
	revoke_init();
	cache_init();

	access_log = config_int(CONFIG_ACCESS_LOG);

	if (!auth_init())
		fatal("cannot load the signing keys");
	if (!oauth_init())
		fatal("cannot render the OAuth metadata");
	if (!ops_init())
		fatal("cannot load openapi.yaml");
	stats_refresh_init();
	retention_init();
	reminders_init();
	(void)docs_init();
	(void)scan_init();
	notify_start();

	return (KORE_RESULT_OK);
}

/*
 * Kore 4.1 leaves a worker's loop at SIGTERM at once and then closes every
 * connection, requests waiting on PostgreSQL included: their clients get
 * nothing. Kore calls this hook right after the loop; keep the loop
 * turning until no request is left (DRAIN_MS at most), then a moment
 * more so the last answers are written out.
 */
void
kore_worker_teardown(void)
{
	u_int64_t	now, end, flush;

	now = kore_time_ms();
	end = now + DRAIN_MS;
	flush = 0;
	if (http_request_count > 0)
		kore_log(LOG_NOTICE, "draining %u request(s)",
		    http_request_count);

	while ((now = kore_time_ms()) < end) {
		if (http_request_count == 0) {
			if (flush == 0)
				flush = now + FLUSH_MS;
			else if (now >= flush)
				break;
		}
		kore_platform_event_wait(10);
		kore_timer_run(kore_time_ms());
		http_process();
		kore_connection_prune(KORE_CONNECTION_PRUNE_DISCONNECT);
	}

#if defined(NGAN_SANITIZE)
	/*
	 * With the ASan runtime preloaded, exit() deadlocks in libp11-kit's
	 * destructor (freelocale waits on glibc's locale lock): the worker
	 * never ends and SIGTERM hangs. Sanitizers report when they find
	 * something, not at exit (leak checks are off in the server), so
	 * end here in that build only.
	 */
	_exit(0);
#endif
}

int
api_dispatch(struct http_request *req)
{
	struct ngan_req		*r;
	const char		*inm;
	char			allow[96];
	int			known, idx, n, cors;

	if ((r = http_state_get(req)) != NULL)
		return (dispatch_step(req, r));

	r = http_state_create(req, sizeof(*r), request_free);
	r->started = now_us();
	r->body_length = req->http_body_length;
	request_id_make(req, r->request_id, sizeof(r->request_id));
	http_response_header(req, "x-request-id", r->request_id);
	cors = cors_apply(req);

	r->route = route_find(ngan_routes, ngan_routes_count, req->path,
	    r->params, &known);
	if (r->route == NULL) {
		problem(req, 404, NULL, "main.resource_lives_path");
		dispatch_done(req, r);
		return (KORE_RESULT_OK);
	}

	idx = route_method_index(req->method);
	if (req->method == HTTP_METHOD_HEAD)
		idx = route_method_index(HTTP_METHOD_GET);
	if (!route_has(r->route, idx)) {
		if (!route_allow_header(r->route, allow, sizeof(allow)))
			allow[0] = '\0';
		/* No route handles OPTIONS: it is CORS preflight. */
		if (idx == OPTIONS) {
			cors_preflight(req, cors, allow);
			dispatch_done(req, r);
			return (KORE_RESULT_OK);
		}
		if (allow[0] != '\0')
			http_response_header(req, "allow", allow);
		problem(req, 405, NULL, "main.method_allowed_here");
		dispatch_done(req, r);
		return (KORE_RESULT_OK);
	}

	if (req->query_string != NULL) {
		n = query_parse(req->query_string, r->qnames, r->qvalues,
		    NGAN_QUERY_MAX);
		if (n < 0) {
			problem(req, 400, NULL, "main.query_string_malformed");
			dispatch_done(req, r);
			return (KORE_RESULT_OK);
		}
		r->nquery = n;
	}

	/*
	 * The OAuth endpoints read Authorization as client authentication
	 * (HTTP Basic, RFC 6749 2.3.1), not as a bearer token.
	 */
	if (r->route->calls[POST].handler != auth_token &&
	    r->route->calls[POST].handler != auth_revoke &&
	    !(r->route->flags & ROUTE_PARTICIPANT) && !auth_bearer(req, r)) {
		dispatch_done(req, r);
		return (KORE_RESULT_OK);
	}

	/*
	 * If-Match on a write to a resource a GET shows: that GET runs
	 * first, and what it would answer is compared with the list
	 * (precond_settle). Its answer is kept, not sent.
	 */
	if ((req->method == HTTP_METHOD_PATCH ||
	    req->method == HTTP_METHOD_PUT ||
	    req->method == HTTP_METHOD_DELETE) &&
	    route_has(r->route, GET) &&
	    http_request_header(req, "if-match", &inm)) {
		r->precond = PRECOND_CAPTURE;
		r->pre_mark = headers_last(req);
	}

	return (dispatch_step(req, r));
}

/* Runs the handler, and again each time its database call completes. */
static int
dispatch_step(struct http_request *req, struct ngan_req *r)
{
	ngan_handler	h;
	int		ret, idx;

	for (;;) {
		idx = route_method_index(req->method == HTTP_METHOD_HEAD ||
		    r->precond == PRECOND_CAPTURE ? HTTP_METHOD_GET :
		    req->method);
		r->call = &r->route->calls[idx];
		h = r->call->handler != NULL ? r->call->handler : call_plain;
		if (r->db_state != DB_IDLE) {
			ret = db_drive(req, r);
			if (ret != DB_DONE)
				break;
			r->state++;
		}
		/* The row's checks, once before its handler's first step. */
		if (!r->checked && !call_checks(req, r))
			ret = KORE_RESULT_OK;
		else
			ret = h(req, r);
		if (ret == DB_DONE) {
			r->state++;
			continue;
		}
		if (ret == KORE_RESULT_OK && r->precond == PRECOND_CAPTURE) {
			precond_settle(req, r);
			continue;
		}
		break;
	}

	if (ret == KORE_RESULT_OK)
		dispatch_done(req, r);

	return (ret == KORE_RESULT_RETRY ? KORE_RESULT_RETRY : KORE_RESULT_OK);
}

/*
 * The GET has answered (respond_send kept its status and tags): If-Match
 * is compared with the representation it showed, strongly, and the write
 * starts afresh with what the GET left behind gone. pre_version is the
 * row version the database tagged that representation with ("3"), which
 * the write's own check then holds to: a change committed between the
 * two is refused there.
 */
static void
precond_settle(struct http_request *req, struct ngan_req *r)
{
	const char	*im, *v;
	char		*end;
	long		n;

	r->precond = PRECOND_DONE;
	r->pre_match = 0;
	r->pre_version = 0;
	if (r->pre_status >= 200 && r->pre_status <= 299 &&
	    r->pre_etag[0] != '\0' &&
	    http_request_header(req, "if-match", &im) &&
	    etag_list_match(im, r->pre_etag, 0)) {
		r->pre_match = 1;
		v = r->pre_version_tag;
		if (*v == '"') {
			n = strtol(v + 1, &end, 10);
			if (end != v + 1 && *end == '"' && n >= 1 &&
			    n <= INT_MAX)
				r->pre_version = (int)n;
		}
	}

	headers_drop_after(req, r->pre_mark);
	req->status = 0;
	db_request_cleanup(r);
	if (r->body != NULL) {
		json_decref(r->body);
		r->body = NULL;
	}
	free(r->scratch);
	r->scratch = NULL;
	r->scratch_len = 0;
	r->status = 0;
	r->state = STATE_QUERY;
	r->checked = 0;
}

/* Access log and metrics: route template, status, time; no personal data. */
static void
dispatch_done(struct http_request *req, struct ngan_req *r)
{
	u_int64_t	us;

	us = now_us() - r->started;
	metrics_observe(r->route != NULL ? (int)(r->route - ngan_routes) : -1,
	    req->method, req->status, us);
	metrics_db(worker->id, db_connections(), db_in_use, db_waiting);
	if (access_log)
		kore_log(LOG_INFO, "%s %s %d %.3fms %s",
		    http_method_text(req->method), r->route != NULL ?
		    r->route->pattern : "unmatched", req->status,
		    (double)us / 1000.0, r->request_id);
}

static void
request_free(struct http_request *req)
{
	struct ngan_req	*r;
	int		i, big;

	if ((r = http_state_get(req)) == NULL)
		return;

	/*
	 * glibc keeps what a big request freed (a 5,000-row import leaves
	 * a worker near 40 MB resident); hand it back to the system.
	 */
	big = r->body_length > 256 * 1024 || (r->result != NULL &&
	    PQresultMemorySize(r->result) > 1024 * 1024);

	db_request_cleanup(r);
	if (r->body != NULL) {
		json_decref(r->body);
		r->body = NULL;
	}
	free(r->actor.json);
	r->actor.json = NULL;
	free(r->scratch);
	r->scratch = NULL;
	for (i = 0; i < r->nquery; i++) {
		free(r->qnames[i]);
		free(r->qvalues[i]);
	}
	r->nquery = 0;

	/* After Kore has freed the body and buffers too: a moment later. */
	if (big && !trim_pending) {
		trim_pending = 1;
		(void)kore_timer_add(memory_trim, 100, NULL,
		    KORE_TIMER_ONESHOT);
	}
}

static void
memory_trim(void *arg, u_int64_t now)
{
	trim_pending = 0;
	(void)malloc_trim(0);
}
