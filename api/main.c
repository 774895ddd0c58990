/*
 * Module entry: configuration from the environment, the route table and
 * the dispatcher every request goes through (request id, routing, access
 * log, metrics).
 */

#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include <kore/seccomp.h>

#include "ngan.h"

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
 */
KORE_SECCOMP_FILTER("ngan",
	SANITIZER_SYSCALLS
	KORE_SYSCALL_ALLOW(newfstatat),
	KORE_SYSCALL_ALLOW(getrandom),
	KORE_SYSCALL_ALLOW(getdents64),
	KORE_SYSCALL_ALLOW(mremap)
);

int		ngan_init(int);
void		kore_parent_configure(int, char **);
void		kore_worker_teardown(void);

static int	dispatch_step(struct http_request *, struct ngan_req *);
static void	dispatch_done(struct http_request *, struct ngan_req *);
static void	request_free(struct http_request *);
static void	memory_trim(void *, u_int64_t);
static void	worker_priority(void);

static int	trim_pending;

/* The workers' nice value unless NGAN_WORKER_PRIORITY says otherwise. */
#define WORKER_PRIORITY	-10

/* How long a stopping worker waits for the requests it has in hand. */
#define DRAIN_MS	10000
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
	{ "/healthz", { [GET] = ops_healthz } },
	{ "/v1/me", { [GET] = users_me } },
	{ "/readyz", { [GET] = ops_readyz } },
	{ "/metrics", { [GET] = ops_metrics } },
	{ "/openapi.yaml", { [GET] = ops_openapi } },
	{ "/.well-known/jwks.json", { [GET] = auth_jwks } },
	{ "/v1/auth/token", { [POST] = auth_token } },
	{ "/v1/auth/revoke", { [POST] = auth_revoke } },
	{ "/v1/agencies", { [GET] = agencies_list, [POST] = agencies_create } },
	{ "/v1/agencies/{id}", { [GET] = agencies_get } },
	{ "/v1/users", { [GET] = users_list, [POST] = users_create } },
	{ "/v1/users/{id}", { [GET] = users_get, [PATCH] = users_patch } },
	{ "/v1/partner-clients", { [GET] = partners_list,
	    [POST] = partners_create } },
	{ "/v1/events", { [GET] = events_list, [POST] = events_create } },
	{ "/v1/events/{id}", { [GET] = events_get, [PATCH] = events_patch } },
	{ "/v1/events/{id}/cancel", { [POST] = events_cancel } },
	{ "/v1/events/{id}/sessions", { [GET] = sessions_list,
	    [POST] = sessions_create } },
	{ "/v1/events/{id}/sessions/{sid}", { [PATCH] = sessions_patch,
	    [DELETE] = sessions_delete } },
	{ "/v1/target-groups", { [GET] = target_groups_list } },
	{ "/v1/registrations/{id}/ticket", { [GET] = tickets_get } },
	{ "/v1/registrations/{id}/ticket/reissue",
	    { [POST] = tickets_reissue } },
	{ "/v1/registrations/{id}/qr.svg", { [GET] = tickets_qr_svg } },
	{ "/v1/registrations/{id}/qr.png", { [GET] = tickets_qr_png } },
	{ "/v1/events/{id}/scanners", { [GET] = scanners_list } },
	{ "/v1/events/{id}/scanners/{uid}", { [PUT] = scanners_assign,
	    [DELETE] = scanners_unassign } },
	/* participants.c, registrations.c */
	{ "/v1/participants", { [GET] = participants_list,
	    [POST] = participants_create } },
	{ "/v1/participants/{id}", { [GET] = participants_get } },
	{ "/v1/events/{id}/registrations", { [GET] = registrations_list,
	    [POST] = registrations_create } },
	{ "/v1/events/{id}/registrations.csv",
	    { [GET] = registrations_export } },
	{ "/v1/events/{id}/registrations/import",
	    { [POST] = registrations_import } },
	{ "/v1/registrations/{id}", { [GET] = registrations_get } },
	{ "/v1/registrations/{id}/cancel", { [POST] = registrations_cancel } },
	/* checkins.c */
	{ "/v1/checkins", { [POST] = checkins_create } },
	{ "/v1/checkins/batch", { [POST] = checkins_batch } },
	{ "/v1/checkins/{id}/annul", { [POST] = checkins_annul } },
	{ "/v1/events/{id}/checkins", { [GET] = checkins_list } },
	{ "/v1/events/{id}/checkins/conflicts",
	    { [GET] = checkins_conflicts } },
	{ "/v1/events/{id}/attendance", { [GET] = checkins_attendance } },
	{ "/v1/events/{id}/scanner-manifest", { [GET] = checkins_manifest } },
	/* groups.c, products.c: vocational groups and their products */
	{ "/v1/groups", { [GET] = groups_list, [POST] = groups_create } },
	{ "/v1/groups/{id}", { [GET] = groups_get, [PATCH] = groups_patch } },
	{ "/v1/groups/{id}/products", { [GET] = group_products_list,
	    [POST] = group_products_create } },
	{ "/v1/group-categories", { [GET] = group_categories_list } },
	{ "/v1/products", { [GET] = products_list } },
	{ "/v1/products/{id}", { [GET] = products_get,
	    [PATCH] = products_patch, [DELETE] = products_delete } },
	{ "/v1/products/{id}/images", { [POST] = product_images_create } },
	{ "/v1/products/{id}/images/order",
	    { [POST] = product_images_order } },
	{ "/v1/products/{id}/images/{n}", { [GET] = product_images_get,
	    [DELETE] = product_images_delete } },
	{ "/v1/events/{id}/products", { [GET] = event_products_list } },
	{ "/v1/events/{id}/products/{pid}", { [PUT] = event_products_put,
	    [DELETE] = event_products_delete } },
	/* Partner data: partners.c, stats.c, feed.c, audit.c, docs.c */
	{ "/v1/partner-clients/{id}", { [GET] = partners_get,
	    [PATCH] = partners_patch } },
	{ "/v1/partner-clients/{id}/secret", { [POST] = partners_rotate } },
	{ "/v1/stats/attendance", { [GET] = stats_attendance } },
	{ "/v1/stats/attendance.csv", { [GET] = stats_attendance_csv } },
	{ "/v1/feed/registrations", { [GET] = feed_registrations } },
	{ "/v1/audit", { [GET] = audit_list } },
	{ "/docs", { [GET] = docs_page } },
	{ "/docs/docs.js", { [GET] = docs_script } },
	{ "/docs/swagger-ui.css", { [GET] = docs_css } },
	{ "/docs/swagger-ui-bundle.js", { [GET] = docs_bundle } },
};
const size_t ngan_routes_count = sizeof(ngan_routes) / sizeof(ngan_routes[0]);

/* Runs in the parent before the workers fork: shared metrics memory. */
void
kore_parent_configure(int argc, char **argv)
{
	(void)argc;
	(void)argv;

	if (sodium_init() < 0)
		fatal("libsodium failed to start");
	if (!metrics_init(ngan_routes_count))
		fatal("cannot map the metrics area");
	worker_priority();
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

	nice = WORKER_PRIORITY;
	if (!env_int("NGAN_WORKER_PRIORITY", -20, 19, &nice))
		fatal("NGAN_WORKER_PRIORITY: a nice value, -20 to 19");
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

/* Runs in each worker. */
int
ngan_init(int state)
{
	const char	*url, *app;
	char		conninfo[2048];

	if (state == KORE_MODULE_UNLOAD)
		return (KORE_RESULT_OK);

	if (sodium_init() < 0)
		fatal("libsodium failed to start");

	if ((url = getenv("DATABASE_URL")) == NULL || *url == '\0')
		fatal("DATABASE_URL is not set");
	/*
	 * A URI takes options as a query, a key=value string by a space.
	 * application_name is ngan unless libpq's PGAPPNAME names it.
	 */
	app = getenv("PGAPPNAME");
	(void)snprintf(conninfo, sizeof(conninfo), "%s%sconnect_timeout=3"
	    "%s%s", url,
	    strncmp(url, "postgres", 8) ? " " : (strchr(url, '?') ? "&" : "?"),
	    app != NULL && *app != '\0' ? "" : strncmp(url, "postgres", 8) ?
	    " " : "&", app != NULL && *app != '\0' ? "" :
	    "application_name=ngan");
	db_init(conninfo);

	if ((url = getenv("NGAN_ACCESS_LOG")) != NULL && !strcmp(url, "0"))
		access_log = 0;

	if (!auth_init())
		fatal("cannot load the signing keys");
	if (!pii_init())
		fatal("NGAN_PII_KEY must be 64 hex digits (32 bytes)");
	if (!ops_init())
		fatal("cannot load openapi.yaml");
	if (!partner_init())
		fatal("NGAN_PARTNER_RATE or NGAN_STATS_TTL: not a number");
	stats_refresh_init();
	if (!cors_init())
		fatal("NGAN_CORS_ORIGINS: http(s) origins by commas, no *");
	(void)docs_init();

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
		problem(req, 404, NULL, "No resource lives at this path.");
		dispatch_done(req, r);
		return (KORE_RESULT_OK);
	}

	idx = route_method_index(req->method);
	if (req->method == HTTP_METHOD_HEAD)
		idx = route_method_index(HTTP_METHOD_GET);
	if (idx < 0 || r->route->handlers[idx] == NULL) {
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
		problem(req, 405, NULL, "This method is not allowed here.");
		dispatch_done(req, r);
		return (KORE_RESULT_OK);
	}

	if (req->query_string != NULL) {
		n = query_parse(req->query_string, r->qnames, r->qvalues,
		    NGAN_QUERY_MAX);
		if (n < 0) {
			problem(req, 400, NULL, "The query string is "
			    "malformed.");
			dispatch_done(req, r);
			return (KORE_RESULT_OK);
		}
		r->nquery = n;
	}

	if (!auth_bearer(req, r)) {
		dispatch_done(req, r);
		return (KORE_RESULT_OK);
	}

	return (dispatch_step(req, r));
}

/* Runs the handler, and again each time its database call completes. */
static int
dispatch_step(struct http_request *req, struct ngan_req *r)
{
	ngan_handler	h;
	int		ret, idx;

	idx = route_method_index(req->method == HTTP_METHOD_HEAD ?
	    HTTP_METHOD_GET : req->method);
	h = r->route->handlers[idx];

	for (;;) {
		if (r->db_state != DB_IDLE) {
			ret = db_drive(req, r);
			if (ret != DB_DONE)
				break;
			r->phase++;
		}
		ret = h(req, r);
		if (ret == DB_DONE) {
			r->phase++;
			continue;
		}
		break;
	}

	if (ret == KORE_RESULT_OK)
		dispatch_done(req, r);

	return (ret == KORE_RESULT_RETRY ? KORE_RESULT_RETRY : KORE_RESULT_OK);
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
