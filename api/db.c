/*
 * Asynchronous PostgreSQL calls through Kore's pgsql layer. A handler
 * calls db_query() and returns what it returns; when the result is in,
 * api_dispatch() calls the handler again with r->phase one higher and the
 * rows in r->result. A connection that went stale (PostgreSQL restarted)
 * is reset and the call retried once; a database that cannot be reached
 * answers 503 at once instead of hanging.
 */

#include <malloc.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ngan.h"


#define DB_CONTINUE	101

static int	db_start(struct http_request *, struct ngan_req *);
static int	db_send(struct http_request *, struct ngan_req *,
		    const char **);
static void	db_forget(PGconn *);
static void	db_shrink(struct ngan_req *);
static PGconn	*db_renew(struct ngan_req *);
static int	db_failed(struct http_request *, struct ngan_req *);
static void	db_release(struct ngan_req *);
static void	db_queue_add(struct http_request *, struct ngan_req *);
static void	db_queue_remove(struct ngan_req *);

/* Connections busy across this worker, for /metrics. */
/*
 * Statements are prepared once per connection and then only bound and
 * executed: parsing and planning on every call was the largest database
 * cost. Queries are string literals, known by their address.
 */
#define STATEMENTS_MAX	128
#define CONNS_MAX	64

/* Parameters or a result larger than this leave libpq's buffers big. */
#define DB_BIG		(1024 * 1024)

static const char	*statements[STATEMENTS_MAX];
static int		nstatements;

static char		*db_conninfo;

static struct {
	PGconn		*db;
	int		renew;		/* carried a big statement */
	u_int8_t	prepared[STATEMENTS_MAX];
} conns[CONNS_MAX];

u_int32_t	db_in_use = 0;
u_int32_t	db_waiting = 0;

/*
 * Requests waiting for a connection, oldest first. Kore's own queue lets
 * a new request take a connection that was just freed for a woken
 * waiter, which then goes to the back of the queue again: under load
 * some requests waited for seconds. Here nobody overtakes: while anyone
 * waits, a new request queues behind, and only the oldest waiter asks
 * Kore for a connection (so it alone sits in Kore's queue).
 */
static TAILQ_HEAD(, ngan_req)	db_queue = TAILQ_HEAD_INITIALIZER(db_queue);

void
db_init(const char *conninfo)
{
	if (!kore_pgsql_register(NGAN_DB, conninfo))
		fatal("cannot register the database");
	db_conninfo = kore_strdup(conninfo);
}

/* Params are text, NULL for SQL NULL; copied, so the caller keeps them. */
int
db_query(struct http_request *req, struct ngan_req *r, const char *query,
    int n, ...)
{
	const char	*values[NGAN_PARAMS_MAX];
	va_list		ap;
	int		i;

	if (n > NGAN_PARAMS_MAX)
		fatal("db_query: %d parameters", n);

	va_start(ap, n);
	for (i = 0; i < n; i++)
		values[i] = va_arg(ap, const char *);
	va_end(ap);

	return (db_query_array(req, r, query, n, values, NULL));
}

/* lengths may be NULL (all text); with lengths, values may hold bytes. */
int
db_query_array(struct http_request *req, struct ngan_req *r,
    const char *query, int n, const char **values, const int *lengths)
{
	int		i;

	for (i = 0; i < r->nparams; i++)
		free(r->values[i]);

	r->query = query;
	r->nparams = n;
	for (i = 0; i < n; i++) {
		r->values[i] = NULL;
		r->lengths[i] = 0;
		if (values[i] == NULL)
			continue;
		r->lengths[i] = lengths != NULL ? lengths[i] :
		    (int)strlen(values[i]);
		r->values[i] = malloc((size_t)r->lengths[i] + 1);
		if (r->values[i] == NULL)
			fatal("db_query: out of memory");
		memcpy(r->values[i], values[i], (size_t)r->lengths[i]);
		r->values[i][r->lengths[i]] = '\0';
	}

	if (r->result != NULL) {
		PQclear(r->result);
		r->result = NULL;
	}
	r->sqlstate[0] = '\0';
	r->db_retried = 0;
	r->db_state = DB_SETUP;

	return (db_drive(req, r));
}

/*
 * Moves the call along. Returns KORE_RESULT_RETRY while waiting,
 * KORE_RESULT_OK when it answered an error itself, and DB_DONE when the
 * result is in r->result.
 */
int
db_drive(struct http_request *req, struct ngan_req *r)
{
	int		ret;

	for (;;) {
		switch (r->db_state) {
		case DB_SETUP:
			if ((ret = db_start(req, r)) != DB_CONTINUE)
				return (ret);
			break;
		case DB_WAIT:
			switch (r->sql.state) {
			case KORE_PGSQL_STATE_WAIT:
				return (KORE_RESULT_RETRY);
			case KORE_PGSQL_STATE_RESULT:
				/* Keep the rows past kore_pgsql_continue(). */
				if (r->result != NULL)
					PQclear(r->result);
				r->result = r->sql.result;
				r->sql.result = NULL;
				kore_pgsql_continue(&r->sql);
				break;
			case KORE_PGSQL_STATE_ERROR:
				if ((ret = db_failed(req, r)) != DB_CONTINUE)
					return (ret);
				break;
			case KORE_PGSQL_STATE_COMPLETE:
				db_release(r);
				r->db_state = DB_IDLE;
				db_shrink(r);
				return (DB_DONE);
			default:
				kore_pgsql_continue(&r->sql);
				break;
			}
			break;
		default:
			return (DB_DONE);
		}
	}
}

/* Gets a connection and sends the query. */
static int
db_start(struct http_request *req, struct ngan_req *r)
{
	const char	*values[NGAN_PARAMS_MAX];
	int		i;

	if (r->sql.req == NULL) {
		kore_pgsql_init(&r->sql);
		kore_pgsql_bind_request(&r->sql, req);
	}

	if (r->db_queued ? TAILQ_FIRST(&db_queue) != r :
	    !TAILQ_EMPTY(&db_queue)) {
		/* Others came first. */
		db_queue_add(req, r);
		return (KORE_RESULT_RETRY);
	}
	if (!kore_pgsql_setup(&r->sql, NGAN_DB, KORE_PGSQL_ASYNC)) {
		/* Every connection busy: Kore queued us and wakes us. */
		if (r->sql.state == KORE_PGSQL_STATE_INIT) {
			db_queue_add(req, r);
			return (KORE_RESULT_RETRY);
		}
		kore_log(LOG_WARNING, "database unreachable");
		db_queue_remove(r);
		db_release(r);
		r->db_state = DB_IDLE;
		problem_retry_after(req, 503, 2,
		    "The database is unreachable; try again shortly.");
		return (KORE_RESULT_OK);
	}
	/* The next in line may find a connection free too. */
	db_queue_remove(r);
	db_in_use++;
	r->db_holding = 1;

	for (i = 0; i < r->nparams; i++)
		values[i] = r->values[i];
	if (!db_send(req, r, values))
		return (db_failed(req, r));

	r->db_state = DB_WAIT;
	return (DB_CONTINUE);
}

/*
 * Sends the query as a prepared statement, preparing it on this
 * connection first if it is new there (one blocking round trip per
 * connection and statement). Then schedules the read as Kore's own
 * pgsql_schedule() does.
 */
static int
db_send(struct http_request *req, struct ngan_req *r, const char **values)
{
	PGconn		*db;
	PGresult	*res;
	char		name[16];
	int		id, c, free_slot, ok;

	db = r->sql.conn->db;
	r->db_conn = db;
	for (id = 0; id < nstatements; id++) {
		if (statements[id] == r->query)
			break;
	}
	if (id == nstatements) {
		if (nstatements == STATEMENTS_MAX)
			fatal("db_send: too many statements");
		statements[nstatements++] = r->query;
	}

	free_slot = -1;
	for (c = 0; c < CONNS_MAX; c++) {
		if (conns[c].db == db)
			break;
		if (conns[c].db == NULL && free_slot == -1)
			free_slot = c;
	}
	if (c == CONNS_MAX) {
		if (free_slot == -1)
			fatal("db_send: more connections than slots");
		c = free_slot;
		conns[c].db = db;
		conns[c].renew = 0;
		memset(conns[c].prepared, 0, sizeof(conns[c].prepared));
	} else if (conns[c].renew && (db = db_renew(r)) != conns[c].db) {
		conns[c].db = db;
		conns[c].renew = 0;
		memset(conns[c].prepared, 0, sizeof(conns[c].prepared));
	}

	(void)snprintf(name, sizeof(name), "s%d", id);
	if (!conns[c].prepared[id]) {
		res = PQprepare(db, name, r->query, r->nparams, NULL);
		/*
		 * "Already exists": this connection kept its statements
		 * through an error we took for a lost connection. Names
		 * stand for the same query for the worker's life.
		 */
		ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
		    (PQresultErrorField(res, PG_DIAG_SQLSTATE) != NULL &&
		    !strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE),
		    "42P05"));
		if (!ok) {
			/* Handled by db_failed() like any failed query. */
			if (r->sql.result != NULL)
				PQclear(r->sql.result);
			r->sql.result = res;
			r->sql.state = KORE_PGSQL_STATE_ERROR;
			return (KORE_RESULT_ERROR);
		}
		PQclear(res);
		conns[c].prepared[id] = 1;
	}

	if (!PQsendQueryPrepared(db, name, r->nparams, values, r->lengths,
	    NULL, 0)) {
		r->sql.state = KORE_PGSQL_STATE_ERROR;
		return (KORE_RESULT_ERROR);
	}

	kore_platform_schedule_read(PQsocket(db), r->sql.conn);
	r->sql.state = KORE_PGSQL_STATE_WAIT;
	r->sql.flags |= KORE_PGSQL_SCHEDULED;
	http_request_sleep(req);

	return (KORE_RESULT_OK);
}

/* Connections this worker has used and not seen fail, for /metrics. */
u_int32_t
db_connections(void)
{
	u_int32_t	n;
	int		c;

	for (n = 0, c = 0; c < CONNS_MAX; c++) {
		if (conns[c].db != NULL)
			n++;
	}

	return (n);
}

/*
 * libpq keeps a connection's buffers at the largest size they have
 * had (PQreset keeps them too), so a worker that once sent a 5,000-row
 * import kept megabytes per pooled connection for good. Such a
 * connection is marked here, after the call; the next call to take it
 * from the pool makes a new one (a blocking loopback connect, rare
 * enough) and closes the old one with its buffers (db_renew). Not at
 * once: Kore has already taken the connection back, and may have handed
 * it on. r->db_conn is only compared, never followed.
 */
static void
db_shrink(struct ngan_req *r)
{
	size_t		n;
	int		c, i;

	if (r->db_conn == NULL)
		return;
	n = r->result != NULL ? PQresultMemorySize(r->result) : 0;
	for (i = 0; i < r->nparams; i++)
		n += (size_t)r->lengths[i];
	if (n > DB_BIG) {
		for (c = 0; c < CONNS_MAX; c++) {
			if (conns[c].db == r->db_conn)
				conns[c].renew = 1;
		}
	}
	r->db_conn = NULL;
}

/*
 * Replaces the idle connection r holds by a new one, before a statement
 * is sent on it. Returns the new PGconn, or the old one when no new one
 * can be made (it stays, big).
 */
static PGconn *
db_renew(struct ngan_req *r)
{
	PGconn		*fresh;

	fresh = PQconnectdb(db_conninfo);
	if (PQstatus(fresh) != CONNECTION_OK) {
		PQfinish(fresh);
		return (r->sql.conn->db);
	}
	PQfinish(r->sql.conn->db);
	r->sql.conn->db = fresh;
	r->db_conn = fresh;
	/* The buffers were large: give their pages back now. */
	(void)malloc_trim(0);

	return (fresh);
}

/* A reset or closed connection has lost its prepared statements. */
static void
db_forget(PGconn *db)
{
	int		c;

	for (c = 0; c < CONNS_MAX; c++) {
		if (conns[c].db == db)
			conns[c].db = NULL;
	}
}

/*
 * A failed call: a broken connection is reset and the call retried once
 * (the query never ran on a connection PostgreSQL had closed); anything
 * else becomes a problem answer. Messages go to the log without the
 * DETAIL part, where PostgreSQL puts the values.
 */
static int
db_failed(struct http_request *req, struct ngan_req *r)
{
	const char	*state, *msg;
	int		broken, renewed;

	state = NULL;
	msg = NULL;
	if (r->sql.result != NULL) {
		state = PQresultErrorField(r->sql.result, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(r->sql.result,
		    PG_DIAG_MESSAGE_PRIMARY);
	}
	if (state != NULL)
		kore_strlcpy(r->sqlstate, state, sizeof(r->sqlstate));

	broken = r->sql.conn == NULL ||
	    PQstatus(r->sql.conn->db) == CONNECTION_BAD ||
	    (state != NULL && (!strncmp(state, "08", 2) ||
	    !strncmp(state, "57P", 3)));

	/*
	 * A statement this connection should have but does not (the pointer
	 * was reused by a new connection): forget and prepare again.
	 */
	if (state != NULL && !strcmp(state, "26000") && r->sql.conn != NULL) {
		db_forget(r->sql.conn->db);
		broken = 1;
	}

	if (!broken && (state == NULL || strncmp(state, "23", 2) != 0)) {
		kore_log(LOG_ERR, "query failed (%s): %s %s",
		    r->route->pattern, state ? state : "-", msg ? msg : "-");
	}

	renewed = 0;
	if (broken && r->sql.conn != NULL) {
		/*
		 * libpq may have closed the socket already; Kore must not
		 * try to unregister it (that is fatal), and the pooled
		 * connection is made new for whoever takes it next.
		 */
		r->sql.flags &= ~KORE_PGSQL_SCHEDULED;
		db_forget(r->sql.conn->db);
		if (PQstatus(r->sql.conn->db) == CONNECTION_BAD) {
			PQreset(r->sql.conn->db);
			renewed = PQstatus(r->sql.conn->db) == CONNECTION_OK;
		}
	}

	db_release(r);

	/*
	 * Once, and again while connections left over from before a
	 * PostgreSQL restart turn up (each is renewed as it is met; the
	 * database is back, so the call is worth another try).
	 */
	if (broken && (r->db_retried == 0 ||
	    (renewed && r->db_retried <= pgsql_conn_max))) {
		r->db_retried++;
		r->db_state = DB_SETUP;
		return (DB_CONTINUE);
	}

	r->db_state = DB_IDLE;
	if (broken) {
		problem_retry_after(req, 503, 2,
		    "The database is unreachable; try again shortly.");
	} else if (r->sqlstate[0] != '\0' && (!strcmp(r->sqlstate, "40001") ||
	    !strcmp(r->sqlstate, "40P01") || !strcmp(r->sqlstate, "55P03"))) {
		problem_retry_after(req, 503, 1,
		    "The request met a concurrent change; try again.");
	} else if (!strncmp(r->sqlstate, "23", 2)) {
		problem(req, 409, NULL, "The change conflicts with "
		    "existing data.");
	} else {
		problem(req, 500, NULL, "Something went wrong on our side.");
	}

	return (KORE_RESULT_OK);
}

/* Returns the connection to the pool and forgets the call. */
static void
db_release(struct ngan_req *r)
{
	if (r->db_holding) {
		r->db_holding = 0;
		db_in_use--;
	}
	if (r->sql.req != NULL)
		kore_pgsql_cleanup(&r->sql);
	memset(&r->sql, 0, sizeof(r->sql));
}

/* Puts r in line (once) and to sleep until db_queue_remove() wakes it. */
static void
db_queue_add(struct http_request *req, struct ngan_req *r)
{
	if (!r->db_queued) {
		r->db_queued = 1;
		r->db_req = req;
		TAILQ_INSERT_TAIL(&db_queue, r, db_link);
		db_waiting++;
	}
	http_request_sleep(req);
}

/*
 * Takes r out of line, if it is in it. When r was first, the new first
 * is woken to ask for a connection: nobody else would wake it.
 */
static void
db_queue_remove(struct ngan_req *r)
{
	struct ngan_req	*next;
	int		first;

	if (!r->db_queued)
		return;
	first = TAILQ_FIRST(&db_queue) == r;
	TAILQ_REMOVE(&db_queue, r, db_link);
	r->db_queued = 0;
	r->db_req = NULL;
	db_waiting--;
	if (first && (next = TAILQ_FIRST(&db_queue)) != NULL)
		http_request_wakeup(next->db_req);
}

void
db_request_cleanup(struct ngan_req *r)
{
	int		i;

	db_queue_remove(r);
	if (r->db_state != DB_IDLE || r->sql.req != NULL)
		db_release(r);
	r->db_state = DB_IDLE;
	for (i = 0; i < r->nparams; i++) {
		free(r->values[i]);
		r->values[i] = NULL;
	}
	r->nparams = 0;
	if (r->result != NULL) {
		PQclear(r->result);
		r->result = NULL;
	}
}

int
db_rows(struct ngan_req *r)
{
	return (r->result != NULL ? PQntuples(r->result) : 0);
}

const char *
db_value(struct ngan_req *r, int row, int col)
{
	return (PQgetvalue(r->result, row, col));
}

int
db_isnull(struct ngan_req *r, int row, int col)
{
	return (PQgetisnull(r->result, row, col));
}

/*
 * Sends an api.result row (status, body, etag, location) as the answer:
 * the common last step of a handler.
 */
int
db_respond(struct http_request *req, struct ngan_req *r)
{
	const char	*body;
	char		*text, loc[256];
	json_t		*json, *rid;
	int		status;

	if (db_rows(r) != 1 || db_isnull(r, 0, 0) || db_isnull(r, 0, 1)) {
		kore_log(LOG_ERR, "%s: no result row", r->route->pattern);
		problem(req, 500, NULL, "Something went wrong on our side.");
		return (KORE_RESULT_OK);
	}

	status = (int)strtol(db_value(r, 0, 0), NULL, 10);
	body = db_value(r, 0, 1);
	if (!db_isnull(r, 0, 2))
		http_response_header(req, "etag", db_value(r, 0, 2));
	if (!db_isnull(r, 0, 3)) {
		(void)snprintf(loc, sizeof(loc), "%s", db_value(r, 0, 3));
		http_response_header(req, "location", loc);
	}

	if (status == 204) {
		http_response(req, 204, NULL, 0);
		return (KORE_RESULT_OK);
	}
	if (status < 400) {
		respond_text(req, status, "application/json", body,
		    strlen(body));
		return (KORE_RESULT_OK);
	}

	/* Problems from SQL get the request id like every other. */
	json = json_loads(body, 0, NULL);
	if (json == NULL) {
		problem(req, 500, NULL, "Something went wrong on our side.");
		return (KORE_RESULT_OK);
	}
	rid = json_string(r->request_id);
	json_object_set_new(json, "request_id", rid);
	text = json_dumps(json, JSON_COMPACT);
	json_decref(json);
	if (status == 401)
		http_response_header(req, "www-authenticate",
		    "Bearer error=\"invalid_token\"");
	respond_text(req, status, "application/problem+json", text,
	    text != NULL ? strlen(text) : 0);
	free(text);

	return (KORE_RESULT_OK);
}
