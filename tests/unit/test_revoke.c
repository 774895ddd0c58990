/*
 * Unit tests of api/revoke.c: the table of revoked sessions, as
 * notifications fill it and requests look it up.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "../../api/revoke.c"

static void	test_revoked_sessions(void);

/* What revoke.c takes from Kore, util.c and notify.c. */
static int	listening = 1;
static int	timers;

struct kore_timer *
kore_timer_add(void (*cb)(void *, u_int64_t), u_int64_t ms, void *arg,
    int flags)
{
	timers++;
	return (NULL);
}

void
kore_log(int prio, const char *fmt, ...)
{
}

void
fatal(const char *fmt, ...)
{
	abort();
}

int
hex_decode(const char *in, u_int8_t *out, size_t len)
{
	size_t		bin_len;

	return (strlen(in) == len * 2 && sodium_hex2bin(out, len, in,
	    len * 2, NULL, &bin_len, NULL) == 0 && bin_len == len);
}

void
notify_subscribe(const char *channel, notify_message_fn message,
    notify_sync_fn sync, void *arg)
{
}

int
notify_ready(void)
{
	return (listening);
}

static void
test_revoked_sessions(void)
{
	struct actor	a;
	u_int8_t	id[16];
	char		sid[NGAN_UUID_LEN + 1];
	int		i, refused;

	revoke_init();
	CHECK(timers == 1 && table_cap >= TABLE_MIN && table_used == 0);

	memset(&a, 0, sizeof(a));
	(void)snprintf(a.sid, sizeof(a.sid), "%s",
	    "c0000000-0000-4000-8000-000000000001");
	CHECK(revoke_check(&a) == REVOKE_OK);
	revoke_message("c0000000-0000-4000-8000-000000000001", NULL);
	CHECK(revoke_check(&a) == REVOKE_REFUSED);
	/* Upper case is the same session. */
	(void)snprintf(a.sid, sizeof(a.sid), "%s",
	    "C0000000-0000-4000-8000-000000000001");
	CHECK(revoke_check(&a) == REVOKE_REFUSED);
	/* Not listening: maybe stale, never "ok". */
	listening = 0;
	CHECK(revoke_check(&a) == REVOKE_UNKNOWN);
	listening = 1;
	/* A client's token: its statement checks its session (sql/027). */
	a.is_client = 1;
	CHECK(revoke_check(&a) == REVOKE_OK);
	listening = 0;
	CHECK(revoke_check(&a) == REVOKE_OK);
	listening = 1;
	a.sid[0] = '\0';
	CHECK(revoke_check(&a) == REVOKE_OK);
	a.is_client = 0;

	/* Odd payloads change nothing. */
	revoke_message("", NULL);
	revoke_message("c0000000-0000-4000-8000-00000000000", NULL);
	revoke_message("c0000000x0000-4000-8000-000000000001", NULL);
	revoke_message("g0000000-0000-4000-8000-000000000001", NULL);
	CHECK(table_used == 1);
	CHECK(!uuid_bytes("c0000000-0000-4000-8000-0000000000012", id));

	/* Many: the table grows, every one is still found. */
	for (i = 0; i < 5000; i++) {
		(void)snprintf(sid, sizeof(sid),
		    "d0000000-0000-4000-8000-%012d", i);
		revoke_message(sid, NULL);
	}
	CHECK(table_used == 5001 && table_cap >= 2 * table_used);
	for (refused = 0, i = 0; i < 5000; i++) {
		(void)snprintf(a.sid, sizeof(a.sid),
		    "d0000000-0000-4000-8000-%012d", i);
		refused += revoke_check(&a) == REVOKE_REFUSED;
	}
	CHECK(refused == 5000);
	(void)snprintf(a.sid, sizeof(a.sid), "%s",
	    "d0000000-0000-4000-8000-000000009999");
	CHECK(revoke_check(&a) == REVOKE_OK);

	/* Past their window they are refused no more, then purged. */
	CHECK(uuid_bytes("d0000000-0000-4000-8000-000000000007", id));
	table_find(id)->until = time(NULL) - 1;
	(void)snprintf(a.sid, sizeof(a.sid), "%s",
	    "d0000000-0000-4000-8000-000000000007");
	CHECK(revoke_check(&a) == REVOKE_OK);
	revoke_purge(NULL, 0);
	CHECK(table_used == 5000 && table_find(id) == NULL);
	(void)snprintf(a.sid, sizeof(a.sid), "%s",
	    "d0000000-0000-4000-8000-000000000008");
	CHECK(revoke_check(&a) == REVOKE_REFUSED);
}

void
unit_revoke(void)
{
	test_revoked_sessions();
}
