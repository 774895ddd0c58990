/*
 * Asynchronous PostgreSQL calls through Kore's pgsql layer. A handler
 * calls db_query() and returns what it returns; when the result is in,
 * api_dispatch() calls the handler again with r->state one further and the
 * rows in r->result. A connection that went stale (PostgreSQL restarted)
 * is reset and the call retried once; a database that cannot be reached
 * answers 503 at once instead of hanging.
 *
 * A statement whose first parameter is the caller's claims (r->actor.json)
 * binds it as api.live_actor: PostgreSQL checks, when it binds the
 * parameters, that the session, user or partner client behind the token
 * is still live, and refuses the statement otherwise (SQLSTATE NG401,
 * answered 401). So every call that acts for someone sees a revocation
 * committed before it (sql/api/revoke.sql).
 *
 * Schema api is made again when its files change (sql/api/reload.sql),
 * maybe while this server runs: statements prepared before name types
 * and functions that are gone, and fail when bound. The first to fail
 * has every connection of the worker drop its statements and is prepared
 * again and retried (db_stale).
 *
 * With NGAN_READ_DATABASE_URL a second pool (NGAN_DB_READ) reaches a
 * streaming replica: a handler calls db_on_replica() before the db_query
 * that may read there (partner reads: sql/api/audit.sql). Both
 * pools share the wait queue, so nobody overtakes across them either.
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
static int	db_stale(const char *, const char *);
static int	db_deallocate(struct ngan_req *, PGconn *);
static int	db_setup_failed(struct ngan_req *, PGresult *);
static void	db_shrink(struct ngan_req *);
static PGconn	*db_renew(struct ngan_req *);
static int	db_failed(struct http_request *, struct ngan_req *);
static int	db_live_actor_type(PGconn *, struct ngan_req *);
static void	db_event(void *, int);
static void	db_release(struct ngan_req *);
static void	db_queue_add(struct http_request *, struct ngan_req *);
static void	db_queue_remove(struct ngan_req *);
static int	db_statement(struct ngan_req *);
static void	db_prepared_reset(int);

/*
 * Statements are prepared once per connection and then only bound and
 * executed: parsing and planning on every call was the largest database
 * cost. Each route's method keeps the few statements it sends (a plain
 * route one, call.c), known by their text's address; each gets a number
 * the first time it is sent, with no limit.
 */
#define CONNS_MAX	64

/* Parameters or a result larger than this leave libpq's buffers big. */
#define DB_BIG		(1024 * 1024)

struct statements {
	const char	**queries;
	int		*ids;
	int		n;
};

static struct statements	*by_call;	/* call_slot() */
static struct statements	no_call;
static int			nstatements;

static char		*db_conninfo;
static char		*db_read_conninfo;	/* NULL: no replica */

/* What a connection has prepared of a statement: plain, live actor. */
#define PREPARED_PLAIN	0x01
#define PREPARED_LIVE	0x02

static struct {
	PGconn		*db;
	int		renew;		/* carried a big statement */
	int		stale;		/* prepared before schema api changed */
	struct ngan_req	*owner;		/* the call in flight, for db_event */
	u_int8_t	*prepared;	/* by statement number */
	int		nprepared;
} conns[CONNS_MAX];

/* api.live_actor's type oid, the same for every connection. */
static Oid		live_actor_oid = InvalidOid;

/* Connections busy across this worker, for /metrics. */
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

/* read_conninfo: the replica's, or NULL to read from the primary. */
void
db_init(const char *conninfo, const char *read_conninfo)
{
	if (!kore_pgsql_register(NGAN_DB, conninfo))
		fatal("cannot register the database");
	db_conninfo = kore_strdup(conninfo);
	if (read_conninfo != NULL) {
		if (!kore_pgsql_register(NGAN_DB_READ, read_conninfo))
			fatal("cannot register the read database");
		db_read_conninfo = kore_strdup(read_conninfo);
	}
}

int
db_has_replica(void)
{
	return (db_read_conninfo != NULL);
}

/* The next db_query of r goes to the replica, if there is one. */
void
db_on_replica(struct ngan_req *r)
{
	r->db_read_next = db_read_conninfo != NULL;
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
	r->db_name = r->db_read_next ? NGAN_DB_READ : NGAN_DB;
	r->db_read_next = 0;
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
	r->db_live_actor = n > 0 && values[0] != NULL &&
	    values[0] == r->actor.json && !r->actor_checked;
	r->sqlstate[0] = '\0';
	r->db_retried = 0;
	r->db_replanned = 0;
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
	/*
	 * A waiter woken by db_release() may still be in Kore's queue: out
	 * of it first, or a second entry could outlive the request.
	 */
	if (r->db_queued) {
		kore_pgsql_cleanup(&r->sql);
		kore_pgsql_init(&r->sql);
		kore_pgsql_bind_request(&r->sql, req);
	}
	if (!kore_pgsql_setup(&r->sql, r->db_name, KORE_PGSQL_ASYNC)) {
		/* Every connection busy: Kore queued us and wakes us. */
		if (r->sql.state == KORE_PGSQL_STATE_INIT) {
			db_queue_add(req, r);
			return (KORE_RESULT_RETRY);
		}
		kore_log(LOG_WARNING, "database unreachable");
		db_queue_remove(r);
		db_release(r);
		r->db_state = DB_IDLE;
		if (r->db_optional) {
			r->db_unavailable = 1;
			return (DB_DONE);
		}
		problem_retry_after(req, 503, 2,
		    "error.db_unreachable");
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
	Oid		types[NGAN_PARAMS_MAX];
	char		name[16];
	int		id, c, free_slot, ok, variant;

	db = r->sql.conn->db;
	r->db_conn = db;
	id = db_statement(r);

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
		conns[c].stale = 0;
		db_prepared_reset(c);
	} else if (conns[c].renew && (db = db_renew(r)) != conns[c].db) {
		conns[c].db = db;
		conns[c].renew = 0;
		conns[c].stale = 0;
		db_prepared_reset(c);
	} else if (conns[c].stale) {
		if (!db_deallocate(r, db))
			return (KORE_RESULT_ERROR);
		conns[c].stale = 0;
		db_prepared_reset(c);
	}

	if (id >= conns[c].nprepared) {
		conns[c].prepared = kore_realloc(conns[c].prepared,
		    (size_t)nstatements);
		memset(conns[c].prepared + conns[c].nprepared, 0,
		    (size_t)(nstatements - conns[c].nprepared));
		conns[c].nprepared = nstatements;
	}

	variant = r->db_live_actor ? PREPARED_LIVE : PREPARED_PLAIN;
	(void)snprintf(name, sizeof(name), "%c%d", r->db_live_actor ? 'a' :
	    's', id);
	if (!(conns[c].prepared[id] & variant)) {
		memset(types, 0, sizeof(types));
		if (r->db_live_actor) {
			if (!db_live_actor_type(db, r))
				return (KORE_RESULT_ERROR);
			types[0] = live_actor_oid;
		}
		res = PQprepare(db, name, r->query, r->nparams, types);
		/*
		 * "Already exists": this connection kept its statements
		 * through an error we took for a lost connection. Names
		 * stand for the same query for the worker's life.
		 */
		ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
		    (PQresultErrorField(res, PG_DIAG_SQLSTATE) != NULL &&
		    !strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE),
		    "42P05"));
		if (!ok)
			return (db_setup_failed(r, res));
		PQclear(res);
		conns[c].prepared[id] |= variant;
	}

	if (!PQsendQueryPrepared(db, name, r->nparams, values, r->lengths,
	    NULL, 0)) {
		r->sql.state = KORE_PGSQL_STATE_ERROR;
		return (KORE_RESULT_ERROR);
	}

	kore_platform_schedule_read(PQsocket(db), r->sql.conn);
	r->sql.conn->evt.handle = db_event;
	conns[c].owner = r;
	r->sql.state = KORE_PGSQL_STATE_WAIT;
	r->sql.flags |= KORE_PGSQL_SCHEDULED;
	http_request_sleep(req);

	return (KORE_RESULT_OK);
}

/*
 * The number of r's statement: looked for among those its route's
 * method has sent, given the next one when it is new.
 */
static int
db_statement(struct ngan_req *r)
{
	struct statements	*st;
	size_t			slot;
	int			i;

	if (r->route == NULL || r->call == NULL) {
		st = &no_call;
	} else {
		if (by_call == NULL)
			by_call = kore_calloc(ngan_routes_count *
			    ROUTE_METHODS, sizeof(*by_call));
		slot = call_slot(r);
		st = &by_call[slot];
	}
	for (i = 0; i < st->n; i++) {
		if (st->queries[i] == r->query)
			return (st->ids[i]);
	}

	st->queries = kore_realloc(st->queries,
	    (size_t)(st->n + 1) * sizeof(*st->queries));
	st->ids = kore_realloc(st->ids, (size_t)(st->n + 1) *
	    sizeof(*st->ids));
	st->queries[st->n] = r->query;
	st->ids[st->n] = nstatements++;

	return (st->ids[st->n++]);
}

/* Connection c has prepared nothing (new, renewed or deallocated). */
static void
db_prepared_reset(int c)
{
	if (conns[c].prepared != NULL)
		memset(conns[c].prepared, 0, (size_t)conns[c].nprepared);
}

/*
 * In front of Kore's handler for a pooled connection's socket. Kore
 * reads the connection whenever its socket is readable, also when the
 * call's last result or error still waits for its request to take it
 * (the request runs in the loop's http_process, and a turn over its time
 * budget leaves some for the next: after a restart, blocking reconnects
 * use it up): a later read overwrote it, a ReadyForQuery that came apart
 * from an error (PostgreSQL sends errors at once) made the call DONE
 * without a result, and the request answered 500 "no result row" (seen
 * right after crash recovery, on "prepared statement does not exist").
 * Kore reads only for a call that waits; the rest is read when the
 * request takes its result (kore_pgsql_continue) or releases the
 * connection. A free connection still watched (db_failed leaves it so)
 * has no call to hand data to: Kore would follow its missing job.
 */
static void
db_event(void *arg, int error)
{
	struct pgsql_conn	*conn = arg;
	struct ngan_req		*r;
	int			c;

	/* Kore's read flag stays: kore_pgsql_continue() insists on it. */
	if (!error) {
		if (conn->job == NULL)
			return;
		for (r = NULL, c = 0; c < CONNS_MAX && r == NULL; c++) {
			if (conns[c].db == conn->db)
				r = conns[c].owner;
		}
		if (r != NULL && r->sql.conn == conn &&
		    r->sql.state != KORE_PGSQL_STATE_WAIT)
			return;
	}
	kore_pgsql_handle(arg, error);
}

/*
 * Looks api.live_actor's oid up once (a blocking round trip on the
 * worker's first such statement). A failure is handled like a failed
 * prepare.
 */
static int
db_live_actor_type(PGconn *db, struct ngan_req *r)
{
	PGresult	*res;

	if (live_actor_oid != InvalidOid)
		return (KORE_RESULT_OK);
	res = PQexec(db, "SELECT 'api.live_actor'::regtype::oid");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		return (db_setup_failed(r, res));
	live_actor_oid = (Oid)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);

	return (live_actor_oid != InvalidOid);
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

	fresh = PQconnectdb(strcmp(r->db_name, NGAN_DB_READ) == 0 ?
	    db_read_conninfo : db_conninfo);
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

/*
 * Errors of a statement prepared before schema api was made again: a
 * type it was prepared with is gone (cache lookup failed, as for
 * api.live_actor), the result type of what it calls changed (0A000,
 * "cached plan must not change result type"), or a function or type it
 * names is not found (42883, 42704: met when the plan was made again).
 * All come before the statement runs, or end its transaction.
 */
static int
db_stale(const char *state, const char *msg)
{
	if (state == NULL)
		return (0);
	if (!strcmp(state, "0A000") || !strcmp(state, "42883") ||
	    !strcmp(state, "42704"))
		return (1);

	return (!strcmp(state, "XX000") && msg != NULL &&
	    !strncmp(msg, "cache lookup failed", 19));
}

/*
 * Drops the statements a connection prepared before schema api changed,
 * before its next statement (one blocking round trip). A failure is
 * handled like a failed prepare.
 */
static int
db_deallocate(struct ngan_req *r, PGconn *db)
{
	PGresult	*res;

	res = PQexec(db, "DEALLOCATE ALL");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return (db_setup_failed(r, res));
	PQclear(res);

	return (KORE_RESULT_OK);
}

/*
 * A statement that prepares the call failed (res, which it steals): the
 * call is failed with it, and db_failed() handles it like any failed
 * query. Returns KORE_RESULT_ERROR.
 */
static int
db_setup_failed(struct ngan_req *r, PGresult *res)
{
	if (r->sql.result != NULL)
		PQclear(r->sql.result);
	r->sql.result = res;
	r->sql.state = KORE_PGSQL_STATE_ERROR;

	return (KORE_RESULT_ERROR);
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
	int		broken, c, ran;

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

	/*
	 * The server has ended the statement, or the connection is gone:
	 * nothing to cancel. Kore would open a new connection to send a
	 * cancel for any call not DONE (blocking, a process forked by the
	 * server). The socket may stay watched: see db_event.
	 */
	r->sql.flags &= ~KORE_PGSQL_SCHEDULED;

	/*
	 * Schema api was made again since the statement was prepared here:
	 * the worker's connections drop what they prepared, api.live_actor
	 * is looked up again (its oid changed), and the call is prepared
	 * again and retried, once. No rows came: it did not run.
	 */
	if (!broken && !r->db_replanned && r->result == NULL &&
	    db_stale(state, msg)) {
		kore_log(LOG_NOTICE, "schema api changed (%s): preparing "
		    "statements again", state);
		for (c = 0; c < CONNS_MAX; c++)
			conns[c].stale = 1;
		live_actor_oid = InvalidOid;
		r->db_replanned = 1;
		db_release(r);
		r->db_state = DB_SETUP;
		return (DB_CONTINUE);
	}

	/* api.live_actor: the session or account behind the token ended. */
	if (state != NULL && !strcmp(state, "NG401")) {
		db_release(r);
		r->db_state = DB_IDLE;
		auth_refuse_revoked(req);
		return (KORE_RESULT_OK);
	}

	/*
	 * Rows came and then the connection broke before the statement's
	 * end: it ran, and whether it committed is unknown. Not run again
	 * (a write could be done twice): 503, and the client retries as it
	 * would after any 503 (check-ins with their nonce). A read is.
	 */
	ran = broken && (r->result != NULL || (r->sql.result != NULL &&
	    PQresultStatus(r->sql.result) == PGRES_TUPLES_OK));
	if (ran && (req->method == HTTP_METHOD_GET ||
	    req->method == HTTP_METHOD_HEAD))
		ran = 0;

	if (!broken && (state == NULL || strncmp(state, "23", 2) != 0)) {
		kore_log(LOG_ERR, "query failed (%s): %s %s",
		    r->route->pattern, state ? state : "-", msg ? msg : "-");
	}

	if (broken && r->sql.conn != NULL) {
		/*
		 * libpq may have closed the socket already; Kore must not
		 * try to unregister it (that is fatal), and the pooled
		 * connection is made new for whoever takes it next.
		 */
		db_forget(r->sql.conn->db);
		/*
		 * A server that ended this backend (57P01 after a restart)
		 * may leave the socket looking fine: reset it as well.
		 */
		if (PQstatus(r->sql.conn->db) == CONNECTION_BAD ||
		    (state != NULL && (!strncmp(state, "57P", 3) ||
		    !strncmp(state, "08", 2))))
			PQreset(r->sql.conn->db);
	}

	db_release(r);

	/*
	 * The call did not run: try again, once per pooled connection at
	 * most, since after a PostgreSQL restart each connection left over
	 * is found broken once (renewed or forgotten as it is met). If the
	 * database is still down, the next setup says so.
	 */
	if (broken && !ran && r->db_retried <= pgsql_conn_max) {
		r->db_retried++;
		r->db_state = DB_SETUP;
		return (DB_CONTINUE);
	}

	r->db_state = DB_IDLE;
	/* The handler goes on without rows (/metrics, the database down). */
	if (r->db_optional) {
		if (r->result != NULL) {
			PQclear(r->result);
			r->result = NULL;
		}
		r->db_unavailable = 1;
		return (DB_DONE);
	}
	if (ran) {
		problem_retry_after(req, 503, 1, "error.db_went_away");
	} else if (broken) {
		problem_retry_after(req, 503, 2,
		    "error.db_unreachable");
	} else if (r->sqlstate[0] != '\0' && (!strcmp(r->sqlstate, "40001") ||
	    !strcmp(r->sqlstate, "40P01") || !strcmp(r->sqlstate, "55P03"))) {
		problem_retry_after(req, 503, 1,
		    "error.db_concurrent");
	} else if (!strncmp(r->sqlstate, "23", 2)) {
		problem(req, 409, NULL, "error.db_conflict");
	} else {
		problem(req, 500, NULL, "error.internal");
	}

	return (KORE_RESULT_OK);
}

/* Returns the connection to the pool and forgets the call. */
static void
db_release(struct ngan_req *r)
{
	struct ngan_req	*first;
	int		c, gone;

	for (c = 0; c < CONNS_MAX; c++) {
		if (conns[c].owner == r)
			conns[c].owner = NULL;
	}
	/*
	 * Kore destroys a connection that failed under a call (its socket
	 * hung up) without waking its queue: the first in line slept until
	 * another connection came free, and with none left in use, until
	 * its client gave up (seen after a crash: no answer for 15 s). It
	 * may open a new one now.
	 */
	gone = r->db_holding && r->sql.conn == NULL &&
	    r->sql.state != KORE_PGSQL_STATE_COMPLETE;
	if (r->db_holding) {
		r->db_holding = 0;
		db_in_use--;
	}
	if (r->sql.req != NULL)
		kore_pgsql_cleanup(&r->sql);
	memset(&r->sql, 0, sizeof(r->sql));
	if (gone && (first = TAILQ_FIRST(&db_queue)) != NULL)
		http_request_wakeup(first->db_req);
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
	char		loc[256];
	json_t		*json, *rid;
	int		status;

	if (db_rows(r) != 1 || db_isnull(r, 0, 0) || db_isnull(r, 0, 1)) {
		kore_log(LOG_ERR, "%s: no result row", r->route->pattern);
		problem(req, 500, NULL, "error.internal");
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
		respond_send(req, 204, NULL, 0);
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
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}
	rid = json_string(r->request_id);
	json_object_set_new(json, "request_id", rid);
	if (status == 401)
		http_response_header(req, "www-authenticate",
		    "Bearer error=\"invalid_token\"");
	problem_send(req, status, json);
	json_decref(json);

	return (KORE_RESULT_OK);
}

/* ------------------------------------------------------------ timers */

static void	db_tick_run(void *, u_int64_t);
static void	db_tick_send(struct db_tick *);
static void	db_tick_step(struct kore_pgsql *, void *);

/*
 * A statement a worker runs on a timer, outside any request (statistics
 * recounted, the day's retention run): at most one in flight per tick,
 * every t->every ms, t->retry ms after a failure. It waits in Kore's
 * queue for a connection like everyone else, so a busy server still
 * gets it done.
 */
void
db_tick_start(struct db_tick *t)
{
	(void)kore_timer_add(db_tick_run, t->every, t, 0);
}

static void
db_tick_run(void *arg, u_int64_t now)
{
	struct db_tick	*t = arg;

	if (t->busy) {
		/* A lost connection ends the call without a callback. */
		if (t->sql.state != KORE_PGSQL_STATE_ERROR ||
		    t->sql.conn != NULL)
			return;
		kore_pgsql_cleanup(&t->sql);
		t->busy = 0;
	}
	if (now < t->after)
		return;

	kore_pgsql_init(&t->sql);
	kore_pgsql_bind_callback(&t->sql, db_tick_step, t);
	t->busy = 1;
	db_tick_send(t);
}

/*
 * With every connection busy Kore queues the call and calls back (state
 * INIT) when one frees.
 */
static void
db_tick_send(struct db_tick *t)
{
	if (!kore_pgsql_setup(&t->sql, NGAN_DB, KORE_PGSQL_ASYNC)) {
		if (t->sql.state == KORE_PGSQL_STATE_INIT)
			return;
		/* No connection to be had: try again later. */
		t->after = kore_time_ms() + t->retry;
		kore_pgsql_cleanup(&t->sql);
		t->busy = 0;
		return;
	}
	if (!kore_pgsql_query_params(&t->sql, t->query, 0,
	    t->param[0] != '\0' ? 1 : 0, KORE_PGSQL_PARAM_TEXT(t->param))) {
		kore_log(LOG_WARNING, "%s: not sent", t->name);
		t->after = kore_time_ms() + t->retry;
		kore_pgsql_cleanup(&t->sql);
		t->busy = 0;
	}
}

static void
db_tick_step(struct kore_pgsql *sql, void *arg)
{
	struct db_tick	*t = arg;

	switch (sql->state) {
	case KORE_PGSQL_STATE_INIT:
		/* A connection came free. */
		db_tick_send(t);
		break;
	case KORE_PGSQL_STATE_WAIT:
		break;
	case KORE_PGSQL_STATE_RESULT:
		if (t->result != NULL)
			t->result(sql);
		kore_pgsql_continue(sql);
		break;
	case KORE_PGSQL_STATE_NOTIFY:
	case KORE_PGSQL_STATE_DONE:
		kore_pgsql_continue(sql);
		break;
	case KORE_PGSQL_STATE_ERROR:
		kore_log(LOG_WARNING, "%s: the run failed", t->name);
		t->after = kore_time_ms() + t->retry;
		kore_pgsql_cleanup(sql);
		t->busy = 0;
		break;
	case KORE_PGSQL_STATE_COMPLETE:
		/* The connection is back in the pool; nothing left to free. */
		t->busy = 0;
		break;
	default:
		break;
	}
}

/*
 * Like db_respond(), but a success body (one object, or a list of them
 * under "items") goes through open() first, which opens the values the
 * answer reveals.
 */
int
db_respond_opened(struct http_request *req, struct ngan_req *r,
    void (*open)(json_t *))
{
	json_t		*body, *items, *item;
	size_t		i;
	int		status;

	if (db_rows(r) != 1 || db_isnull(r, 0, 0) || db_isnull(r, 0, 1) ||
	    (status = (int)strtol(db_value(r, 0, 0), NULL, 10)) >= 400)
		return (db_respond(req, r));

	if ((body = json_loads(db_value(r, 0, 1), 0, NULL)) == NULL) {
		problem(req, 500, NULL, "error.internal");
		return (KORE_RESULT_OK);
	}
	if ((items = json_object_get(body, "items")) != NULL) {
		json_array_foreach(items, i, item)
			open(item);
	} else {
		open(body);
	}

	if (!db_isnull(r, 0, 2))
		http_response_header(req, "etag", db_value(r, 0, 2));
	if (!db_isnull(r, 0, 3))
		http_response_header(req, "location", db_value(r, 0, 3));
	respond_json(req, status, body);
	json_decref(body);

	return (KORE_RESULT_OK);
}
