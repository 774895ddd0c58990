/*
 * The day-before reminders (issue 19): every worker asks the database
 * every 10 s whether a run is due (api.reminder_tick); its advisory lock
 * and the last run's time make it one run in 5 minutes for all workers
 * and servers, written to the outbox for delivery.
 */

#include <string.h>

#include "ngan.h"

static void	reminders_result(struct kore_pgsql *);

static struct db_tick	reminders = {
	.name = "reminders",
	.query = "SELECT api.reminder_tick()",
	.every = 10000,
	.retry = 60000,
	.result = reminders_result,
};

void
reminders_init(void)
{
	db_tick_start(&reminders);
}

static void
reminders_result(struct kore_pgsql *sql)
{
	if (kore_pgsql_ntuples(sql) == 1 && !PQgetisnull(sql->result, 0, 0) &&
	    strcmp(kore_pgsql_getvalue(sql, 0, 0), "0") != 0)
		kore_log(LOG_NOTICE, "reminders: %s registrations",
		    kore_pgsql_getvalue(sql, 0, 0));
}
