/*
 * Revoked sessions, per worker. Access tokens are verified without the
 * database; the statement each request sends checks the session, the
 * user and the partner client behind one (api.live_actor, db.c), but
 * routes whose SQL never sees the caller, or that make no SQL call,
 * would still take a revoked token. So each worker keeps the set of
 * sessions revoked (POST /v1/auth/revoke, a refresh token presented
 * twice, a new password, a disabled account) and refuses their tokens
 * before any handler runs.
 *
 * The set is loaded by api.revoked_sessions() each time the worker's
 * listener connects and kept fresh by the NOTIFY on ngan_revoke that
 * the revoking transaction sends (sql/api/revoke.sql).
 * While the listener is down the set may lack a revocation, and a token
 * is not taken at all (REVOKE_UNKNOWN, answered 503).
 *
 * A session only matters while one of its access tokens may still be
 * valid: all were signed before the revocation and live at most a day
 * (NGAN_ACCESS_TTL <= 86400), so entries go after WINDOW. A revoked
 * session is never opened again: the set only grows, then ages.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ngan.h"

#define CHANNEL		"ngan_revoke"
#define WINDOW		(86400 + 300)	/* longest token life, and skew */
#define PURGE_MS	(10 * 60 * 1000)
#define TABLE_MIN	256

/* Open addressing, linear probing; until 0 marks a free slot. */
struct revoked {
	u_int8_t	id[16];
	time_t		until;
};

static int	revoke_sync(PGconn *, void *);
static void	revoke_message(const char *, void *);
static void	revoke_purge(void *, u_int64_t);
static void	table_make(size_t, int);
static size_t	table_slot(const u_int8_t *);
static struct revoked *table_find(const u_int8_t *);
static void	table_add(const u_int8_t *, time_t);
static int	uuid_bytes(const char *, u_int8_t *);

static struct revoked	*table;
static size_t		table_cap;	/* a power of two */
static size_t		table_used;
static u_int8_t		hash_key[crypto_shorthash_KEYBYTES];

void
revoke_init(void)
{
	randombytes_buf(hash_key, sizeof(hash_key));
	table_make(TABLE_MIN, 0);
	notify_subscribe(CHANNEL, revoke_message, revoke_sync, NULL);
	(void)kore_timer_add(revoke_purge, PURGE_MS, NULL, 0);
}

/* REVOKE_OK, REVOKE_REFUSED, or REVOKE_UNKNOWN while not listening. */
int
revoke_check(const struct actor *a)
{
	struct revoked	*e;
	u_int8_t	id[16];

	/*
	 * A partner client's session (sql/api/revoke.sql) is checked by the
	 * statement of every route that acts for it (api.live_actor,
	 * api.me); routes whose SQL never sees the caller serve it public
	 * data only. So a lost listener stops staff tokens, not partners'
	 * feeds.
	 */
	if (a->sid[0] == '\0' || a->is_client)
		return (REVOKE_OK);
	if (!notify_ready())
		return (REVOKE_UNKNOWN);
	/* The token's sid was checked when it was verified. */
	if (!uuid_bytes(a->sid, id))
		return (REVOKE_REFUSED);
	if ((e = table_find(id)) != NULL && e->until > time(NULL))
		return (REVOKE_REFUSED);

	return (REVOKE_OK);
}

/* The whole set again, on a new listener connection. */
static int
revoke_sync(PGconn *conn, void *arg)
{
	PGresult	*res;
	const char	*params[1], *state;
	char		window[16];
	u_int8_t	id[16];
	time_t		now;
	int		i, n;

	(void)snprintf(window, sizeof(window), "%d", WINDOW);
	params[0] = window;
	res = PQexecParams(conn, "SELECT id, age_seconds FROM "
	    "api.revoked_sessions($1)", 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		kore_log(LOG_ERR, "revoked sessions: cannot load them (%s)",
		    state != NULL ? state : "-");
		PQclear(res);
		return (KORE_RESULT_ERROR);
	}

	n = PQntuples(res);
	table_make((size_t)n, 0);
	now = time(NULL);
	for (i = 0; i < n; i++) {
		if (uuid_bytes(PQgetvalue(res, i, 0), id))
			table_add(id, now - strtol(PQgetvalue(res, i, 1),
			    NULL, 10) + WINDOW);
	}
	PQclear(res);

	return (KORE_RESULT_OK);
}

/* A session id, revoked just now. */
static void
revoke_message(const char *payload, void *arg)
{
	u_int8_t	id[16];

	if (!uuid_bytes(payload, id)) {
		kore_log(LOG_WARNING, "revoked sessions: odd notification");
		return;
	}
	table_add(id, time(NULL) + WINDOW);
}

static void
revoke_purge(void *arg, u_int64_t now)
{
	table_make(table_used, 1);
}

/*
 * A new table of at least twice min slots (and TABLE_MIN): empty, or
 * (keep) with the entries of the old one still in their window.
 */
static void
table_make(size_t min, int keep)
{
	struct revoked	*old;
	size_t		old_cap, cap, i;
	time_t		now;

	for (cap = TABLE_MIN; cap < min * 2; cap *= 2)
		;
	old = table;
	old_cap = table_cap;
	if ((table = calloc(cap, sizeof(*table))) == NULL)
		fatal("revoked sessions: out of memory");
	table_cap = cap;
	table_used = 0;

	now = time(NULL);
	for (i = 0; keep && i < old_cap; i++) {
		if (old[i].until > now)
			table_add(old[i].id, old[i].until);
	}
	free(old);
}

static size_t
table_slot(const u_int8_t *id)
{
	u_int8_t	out[crypto_shorthash_BYTES];
	u_int64_t	h;

	/* Keyed: ids chosen by no one can pile up in one run. */
	crypto_shorthash(out, id, 16, hash_key);
	memcpy(&h, out, sizeof(h));

	return ((size_t)h & (table_cap - 1));
}

static struct revoked *
table_find(const u_int8_t *id)
{
	struct revoked	*e;
	size_t		i;

	for (i = table_slot(id);; i = (i + 1) & (table_cap - 1)) {
		e = &table[i];
		if (e->until == 0)
			return (NULL);
		if (!memcmp(e->id, id, 16))
			return (e);
	}
}

static void
table_add(const u_int8_t *id, time_t until)
{
	struct revoked	*e;
	size_t		i;

	if ((e = table_find(id)) != NULL) {
		if (until > e->until)
			e->until = until;
		return;
	}
	if ((table_used + 1) * 2 > table_cap)
		table_make(table_used + 1, 1);

	for (i = table_slot(id); table[i].until != 0;
	    i = (i + 1) & (table_cap - 1))
		;
	memcpy(table[i].id, id, 16);
	table[i].until = until;
	table_used++;
}

/* 36 characters, 8-4-4-4-12 hex digits, into 16 bytes. */
static int
uuid_bytes(const char *s, u_int8_t *out)
{
	char		hex[33];
	size_t		i, n;

	if (strlen(s) != NGAN_UUID_LEN)
		return (KORE_RESULT_ERROR);
	for (i = 0, n = 0; i < NGAN_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return (KORE_RESULT_ERROR);
			continue;
		}
		hex[n++] = s[i];
	}
	hex[n] = '\0';

	return (hex_decode(hex, out, 16));
}
