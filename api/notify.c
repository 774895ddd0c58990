/*
 * PostgreSQL LISTEN/NOTIFY for the workers. Each worker keeps one
 * connection of its own, apart from the pool, that listens on the
 * channels its subscribers named; Kore's event loop watches its socket
 * and each notification is handed to the channel's subscriber.
 *
 * A notification sent while nobody listened is never seen again, so
 * whatever a subscriber keeps is only as good as the connection: after
 * each (re)connection, and before notify_ready() says yes, every
 * subscriber resynchronises on the new connection (its sync callback,
 * which may query it), and while the connection is down notify_ready()
 * says no. Connections are made with libpq's blocking calls, as Kore's
 * own pool makes them: at start, on demand and from a timer while down.
 * An attempt that failed fast (connection refused, the database starting)
 * may be made again on demand after RETRY_MS; one that took long (a
 * timeout, a lock) not before SLOW_RETRY_MS, so a worker does not spend
 * its time waiting for it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngan.h"

#define SUBS_MAX	8
#define RETRY_MS	25	/* after a fast failure */
#define SLOW_MS		50	/* what a fast failure takes at most */
#define SLOW_RETRY_MS	1000	/* after a slow one */
/*
 * Attempts while down, requests or not. Also how long Kore's loop may
 * sleep: with a timer it waits for the next one instead of its usual
 * 100 ms while requests are pending, and a request woken by another
 * (Kore's pgsql queue hands a freed connection on) runs only on the
 * loop's next turn: a slower timer held such requests up to its period.
 */
#define TIMER_MS	100

struct notify_sub {
	const char		*channel;
	notify_message_fn	message;
	notify_sync_fn		sync;
	void			*arg;
};

static void	notify_handle(void *, int);
static void	notify_timer(void *, u_int64_t);
static int	notify_connect(void);
static void	notify_drain(void);
static void	notify_deliver(void);
static void	notify_lost(void);
static void	notify_notice(void *, const PGresult *);

static struct notify_sub	subs[SUBS_MAX];
static int			nsubs;

static struct {
	struct kore_event	evt;	/* first: handed back by the loop */
	PGconn			*conn;
	int			up;	/* listening, subscribers in sync */
	int			ending;	/* the server said it is closing */
	int			down_logged;
	u_int64_t		retry;	/* no attempt before, ms */
	char			*conninfo;
	char			appname[64];
} listener;

/* conninfo as the pool's; the backend is named APP-listen. */
void
notify_init(const char *conninfo)
{
	const char	*app;

	listener.conninfo = kore_strdup(conninfo);
	app = config_text(CONFIG_PGAPPNAME);
	(void)snprintf(listener.appname, sizeof(listener.appname), "%s-listen",
	    *app != '\0' ? app : "ngan");
	listener.evt.type = KORE_TYPE_PGSQL_CONN;
	listener.evt.handle = notify_handle;
	(void)kore_timer_add(notify_timer, TIMER_MS, NULL, 0);
}

/*
 * Calls message(payload, arg) for each notification on channel, and
 * sync(conn, arg) after each connection, before any message; sync
 * returns KORE_RESULT_ERROR when it could not resynchronise (the
 * connection is then dropped and tried again). Before notify_start().
 */
void
notify_subscribe(const char *channel, notify_message_fn message,
    notify_sync_fn sync, void *arg)
{
	if (nsubs == SUBS_MAX)
		fatal("notify_subscribe: too many subscribers");
	subs[nsubs].channel = channel;
	subs[nsubs].message = message;
	subs[nsubs].sync = sync;
	subs[nsubs].arg = arg;
	nsubs++;
}

/* The first connection, once every subscriber is known. */
void
notify_start(void)
{
	(void)notify_connect();
}

/*
 * Whether subscribers are in sync: the connection is up, and whatever
 * has reached its socket is delivered first. When down, tries to
 * connect again (see RETRY_MS). PostgreSQL signals listeners when the
 * notifying transaction commits but delivers on its own time (a
 * listening backend waiting for a CPU, milliseconds): what must hold
 * for the very next request needs a check in the statement as well.
 */
int
notify_ready(void)
{
	if (listener.up) {
		notify_drain();
		if (listener.up)
			return (KORE_RESULT_OK);
	}
	if (kore_time_ms() >= listener.retry)
		(void)notify_connect();

	return (listener.up);
}

static void
notify_handle(void *arg, int error)
{
	listener.evt.flags &= ~KORE_EVENT_READ;
	notify_drain();
}

static void
notify_timer(void *arg, u_int64_t now)
{
	if (!listener.up && now >= listener.retry)
		(void)notify_connect();
}

/*
 * Connects, listens on every channel, lets each subscriber resync, then
 * watches the socket (level-triggered: what is left unread, the end of
 * the connection included, is reported again).
 */
static int
notify_connect(void)
{
	const char	*keywords[] = { "dbname", "application_name", NULL };
	const char	*values[3];
	PGconn		*conn;
	PGresult	*res;
	u_int64_t	start;
	char		*ident, query[128];
	int		i, ok;

	/* dbname expands the pool's conninfo; the name comes after it. */
	values[0] = listener.conninfo;
	values[1] = listener.appname;
	values[2] = NULL;
	start = kore_time_ms();
	if (listener.conn != NULL)
		notify_lost();

	listener.ending = 0;
	conn = PQconnectdbParams(keywords, values, 1);
	if (PQstatus(conn) != CONNECTION_OK)
		goto fail;
	(void)PQsetNoticeReceiver(conn, notify_notice, NULL);

	/* A sync behind a lock (DDL) gives up soon; the worker waits. */
	res = PQexec(conn, "SET lock_timeout = 100; "
	    "SET statement_timeout = 3000");
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok)
		goto fail;

	for (i = 0; i < nsubs; i++) {
		ident = PQescapeIdentifier(conn, subs[i].channel,
		    strlen(subs[i].channel));
		if (ident == NULL)
			goto fail;
		(void)snprintf(query, sizeof(query), "LISTEN %s", ident);
		PQfreemem(ident);
		res = PQexec(conn, query);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
		if (!ok)
			goto fail;
	}

	/* Notifications that arrive meanwhile wait in libpq's queue. */
	for (i = 0; i < nsubs; i++) {
		if (subs[i].sync != NULL && !subs[i].sync(conn, subs[i].arg))
			goto fail;
	}

	listener.conn = conn;
	listener.up = 1;
	kore_platform_event_level_read(PQsocket(conn), &listener.evt);
	notify_deliver();
	if (listener.down_logged) {
		kore_log(LOG_NOTICE, "notify: listening again");
		listener.down_logged = 0;
	}
	return (KORE_RESULT_OK);

fail:
	PQfinish(conn);
	listener.retry = kore_time_ms();
	listener.retry += listener.retry - start < SLOW_MS ? RETRY_MS :
	    SLOW_RETRY_MS;
	if (!listener.down_logged) {
		kore_log(LOG_WARNING, "notify: cannot listen; requests that "
		    "need it wait for the database");
		listener.down_logged = 1;
	}
	return (KORE_RESULT_ERROR);
}

/* Reads what the socket holds; a broken connection is dropped. */
static void
notify_drain(void)
{
	if (listener.conn == NULL)
		return;
	if (!PQconsumeInput(listener.conn) ||
	    PQstatus(listener.conn) != CONNECTION_OK) {
		notify_lost();
		return;
	}
	notify_deliver();
}

static void
notify_deliver(void)
{
	PGnotify	*n;
	int		i;

	while (listener.conn != NULL &&
	    (n = PQnotifies(listener.conn)) != NULL) {
		for (i = 0; i < nsubs; i++) {
			if (!strcmp(subs[i].channel, n->relname))
				subs[i].message(n->extra, subs[i].arg);
		}
		PQfreemem(n);
	}
	if (listener.conn != NULL && (listener.ending ||
	    PQstatus(listener.conn) != CONNECTION_OK))
		notify_lost();
}

/*
 * Closing the socket takes it out of the event loop. What subscribers
 * keep is stale from now on: notify_ready() says so until a new
 * connection has resynced them.
 */
static void
notify_lost(void)
{
	if (listener.up && !listener.down_logged) {
		kore_log(LOG_WARNING, "notify: listener connection lost");
		listener.down_logged = 1;
	}
	PQfinish(listener.conn);
	listener.conn = NULL;
	listener.up = 0;
}

/*
 * An error on an idle connection comes as a notice: "terminating
 * connection due to administrator command", a shutdown, a crash. The
 * backend delivers nothing more, though its end of the socket may not
 * be closed yet: the connection counts as lost from here.
 */
static void
notify_notice(void *arg, const PGresult *res)
{
	const char	*severity;

	severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	if (severity != NULL && (!strcmp(severity, "ERROR") ||
	    !strcmp(severity, "FATAL") || !strcmp(severity, "PANIC")))
		listener.ending = 1;
}
