/*
 * Prometheus metrics shared by all workers: an anonymous shared mapping
 * made in the parent before it forks, updated with atomic adds, so any
 * worker can answer /metrics for all of them.
 */

#include <sys/mman.h>

#include <stdio.h>
#include <string.h>

#include "ngan.h"

#define METHODS		7
#define WORKERS_MAX	64

static const int	statuses[] = {
	200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 410, 412, 413,
	415, 422, 428, 429, 500, 503, 0
};
#define STATUSES	(sizeof(statuses) / sizeof(statuses[0]))

static const double	bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5
};
#define BOUNDS		(sizeof(bounds) / sizeof(bounds[0]))

struct route_metrics {
	u_int64_t	requests[METHODS][STATUSES];
	u_int64_t	buckets[BOUNDS + 1];
	u_int64_t	sum_us;
	u_int64_t	count;
};

struct worker_metrics {
	u_int32_t	db_open;
	u_int32_t	db_in_use;
	u_int32_t	db_waiting;
	u_int32_t	alive;
};

struct metrics_area {
	size_t			nroutes;
	struct worker_metrics	workers[WORKERS_MAX];
	struct route_metrics	routes[];
};

static struct metrics_area	*area;

int
metrics_init(size_t nroutes)
{
	size_t		len;
	void		*p;

	/* One more for requests no route matched. */
	len = sizeof(*area) + (nroutes + 1) * sizeof(struct route_metrics);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		return (0);
	area = p;
	memset(area, 0, len);
	area->nroutes = nroutes;

	return (1);
}

void
metrics_observe(int route, int method, int status, u_int64_t us)
{
	struct route_metrics	*m;
	size_t			s, b;
	int			mi;

	if (area == NULL)
		return;
	if (route < 0 || (size_t)route >= area->nroutes)
		route = (int)area->nroutes;
	m = &area->routes[route];

	mi = route_method_index(method);
	if (mi < 0)
		mi = 0;
	for (s = 0; s < STATUSES - 1; s++) {
		if (statuses[s] == status)
			break;
	}
	for (b = 0; b < BOUNDS; b++) {
		if ((double)us / 1e6 <= bounds[b])
			break;
	}

	__atomic_fetch_add(&m->requests[mi][s], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&m->buckets[b], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&m->sum_us, us, __ATOMIC_RELAXED);
	__atomic_fetch_add(&m->count, 1, __ATOMIC_RELAXED);
}

void
metrics_db(u_int32_t worker_id, u_int32_t open, u_int32_t in_use,
    u_int32_t waiting)
{
	if (area == NULL || worker_id >= WORKERS_MAX)
		return;
	area->workers[worker_id].db_open = open;
	area->workers[worker_id].db_in_use = in_use;
	area->workers[worker_id].db_waiting = waiting;
	area->workers[worker_id].alive = 1;
}

void
metrics_render(struct kore_buf *buf)
{
	static const char	*methods[METHODS] = {
		"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"
	};
	struct route_metrics	*m;
	const char		*name;
	u_int64_t		n, cumulative;
	u_int32_t		in_use, waiting, workers, open;
	size_t			r, mi, s, b;

	kore_buf_appendf(buf, "# HELP ngan_http_requests_total HTTP "
	    "requests answered.\n# TYPE ngan_http_requests_total counter\n");
	for (r = 0; r <= area->nroutes; r++) {
		m = &area->routes[r];
		name = r < area->nroutes ? ngan_routes[r].pattern : "unmatched";
		for (mi = 0; mi < METHODS; mi++) {
			for (s = 0; s < STATUSES; s++) {
				n = __atomic_load_n(&m->requests[mi][s],
				    __ATOMIC_RELAXED);
				if (n == 0)
					continue;
				if (statuses[s] != 0)
					kore_buf_appendf(buf,
					    "ngan_http_requests_total{route="
					    "\"%s\",method=\"%s\",status="
					    "\"%d\"} %llu\n", name,
					    methods[mi], statuses[s],
					    (unsigned long long)n);
				else
					kore_buf_appendf(buf,
					    "ngan_http_requests_total{route="
					    "\"%s\",method=\"%s\",status="
					    "\"other\"} %llu\n", name,
					    methods[mi],
					    (unsigned long long)n);
			}
		}
	}

	kore_buf_appendf(buf, "# HELP ngan_http_request_duration_seconds "
	    "Time from routing to the answer.\n# TYPE "
	    "ngan_http_request_duration_seconds histogram\n");
	for (r = 0; r <= area->nroutes; r++) {
		m = &area->routes[r];
		if (__atomic_load_n(&m->count, __ATOMIC_RELAXED) == 0)
			continue;
		name = r < area->nroutes ? ngan_routes[r].pattern : "unmatched";
		cumulative = 0;
		for (b = 0; b <= BOUNDS; b++) {
			cumulative += __atomic_load_n(&m->buckets[b],
			    __ATOMIC_RELAXED);
			if (b < BOUNDS)
				kore_buf_appendf(buf,
				    "ngan_http_request_duration_seconds_bucket"
				    "{route=\"%s\",le=\"%g\"} %llu\n", name,
				    bounds[b], (unsigned long long)cumulative);
			else
				kore_buf_appendf(buf,
				    "ngan_http_request_duration_seconds_bucket"
				    "{route=\"%s\",le=\"+Inf\"} %llu\n", name,
				    (unsigned long long)cumulative);
		}
		kore_buf_appendf(buf, "ngan_http_request_duration_seconds_sum"
		    "{route=\"%s\"} %.6f\n", name,
		    (double)__atomic_load_n(&m->sum_us, __ATOMIC_RELAXED) /
		    1e6);
		kore_buf_appendf(buf, "ngan_http_request_duration_seconds_count"
		    "{route=\"%s\"} %llu\n", name, (unsigned long long)
		    __atomic_load_n(&m->count, __ATOMIC_RELAXED));
	}

	in_use = waiting = workers = open = 0;
	for (r = 0; r < WORKERS_MAX; r++) {
		if (!area->workers[r].alive)
			continue;
		workers++;
		in_use += area->workers[r].db_in_use;
		open += area->workers[r].db_open;
		waiting += area->workers[r].db_waiting;
	}
	kore_buf_appendf(buf, "# HELP ngan_db_connections Database "
	    "connections busy with a request.\n# TYPE ngan_db_connections "
	    "gauge\nngan_db_connections{state=\"in_use\"} %u\n"
	    "ngan_db_connections{state=\"idle\"} %u\n", in_use,
	    open > in_use ? open - in_use : 0);
	kore_buf_appendf(buf, "# HELP ngan_db_connections_max Pool size over "
	    "all workers.\n# TYPE ngan_db_connections_max gauge\n"
	    "ngan_db_connections_max %u\n", workers * pgsql_conn_max);
	kore_buf_appendf(buf, "# HELP ngan_db_queue_waiting Requests waiting "
	    "for a free connection.\n# TYPE ngan_db_queue_waiting gauge\n"
	    "ngan_db_queue_waiting %u\n", waiting);
}

/*
 * The outbox's figures from the rows ops.c reads (sql/api/ops.sql):
 * channel, pending, oldest_seconds, sent, failed, dead; one series per
 * channel.
 */
void
metrics_render_outbox(struct kore_buf *buf, struct ngan_req *r)
{
	static const struct {
		int		col;
		const char	*outcome;
	} totals[] = { { 3, "sent" }, { 4, "failed" }, { 5, "dead" } };
	int		i, n, t;

	n = db_rows(r);
	kore_buf_appendf(buf, "# HELP ngan_outbox_pending Messages waiting "
	    "to be sent (due or to be retried).\n# TYPE ngan_outbox_pending "
	    "gauge\n");
	for (i = 0; i < n; i++)
		kore_buf_appendf(buf, "ngan_outbox_pending{channel=\"%s\"} "
		    "%s\n", db_value(r, i, 0), db_value(r, i, 1));
	kore_buf_appendf(buf, "# HELP ngan_outbox_oldest_pending_seconds Age "
	    "of the oldest message waiting, 0 when none.\n# TYPE "
	    "ngan_outbox_oldest_pending_seconds gauge\n");
	for (i = 0; i < n; i++)
		kore_buf_appendf(buf, "ngan_outbox_oldest_pending_seconds"
		    "{channel=\"%s\"} %s\n", db_value(r, i, 0),
		    db_value(r, i, 2));
	kore_buf_appendf(buf, "# HELP ngan_outbox_messages_total Attempts by "
	    "outcome: sent, failed (to be retried or not), dead letters.\n"
	    "# TYPE ngan_outbox_messages_total counter\n");
	for (i = 0; i < n; i++) {
		for (t = 0; t < 3; t++)
			kore_buf_appendf(buf, "ngan_outbox_messages_total"
			    "{channel=\"%s\",outcome=\"%s\"} %s\n",
			    db_value(r, i, 0), totals[t].outcome,
			    db_value(r, i, totals[t].col));
	}
}
