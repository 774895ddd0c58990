// Issue 19, item 1: the reminder the day before an event. A job (on the
// timer in every worker, api/reminders.c) writes one
// message per confirmed registration of an event starting within the
// next day, exactly once per registration however often it runs; the
// person gets it in their language (Thai when they have none). The clock
// is moved as the retention test moves it: the job's function takes
// "now".

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bkk, openEvent, sql, sqlInt, tokenFor, waitFor } from './lib.mjs';
import { registered } from './checkins-lib.mjs';
import { receiver, startOutbox, startSharedOutbox, stopOutbox,
    stopSharedOutbox } from './outbox-lib.mjs';

const HOUR = 3600 * 1000;
let organizer;

before(async () => {
	stopSharedOutbox();
	organizer = await tokenFor('organizer');
});

after(() => startSharedOutbox());

// A published event starting in `hours`, open for registration now.
async function eventIn(hours, overrides = {}) {
	const now = Date.now();
	return (await openEvent({ starts_at: bkk(now + hours * HOUR),
	    ends_at: bkk(now + (hours + 4) * HOUR), registration_opens_at: bkk(now - HOUR),
	    registration_closes_at: bkk(now + (hours - 1) * HOUR), ...overrides },
	    organizer)).event;
}

const reminders = (reg) => sqlInt(`select count(*) from outbox
    where registration_id = $1 and kind = 'reminder'`, [reg]);

test('the day before: one reminder per confirmed registration, in the person\'s language, once', async () => {
	const ev = await eventIn(30, { capacity: 2, quotas: [], title: 'อบรมการออมเพื่อวัยเกษียณ' });
	const thai = await registered(ev.id, { token: organizer });
	const english = await registered(ev.id, { token: organizer });
	const waiting = await registered(ev.id, { token: organizer });
	assert.deepEqual([thai.status, english.status, waiting.status],
	    ['confirmed', 'confirmed', 'waitlisted']);
	sql(`update participant set lang = 'en' where id = (select participant_id
	    from registration where id = $1)`, [english.id]);

	// Thirty hours ahead: not yet.
	sql('select api.reminder_run(now())');
	assert.equal(reminders(thai.id) + reminders(english.id), 0);

	// The clock moved 8 hours on: the event starts within the day.
	assert.ok(Number(sql(`select api.reminder_run(now() + interval '8 hours')`)) >= 2);
	assert.equal(reminders(thai.id), 1);
	assert.equal(reminders(english.id), 1);
	assert.equal(reminders(waiting.id), 0, 'not the waiting list');
	assert.equal(sql('select idempotency_key from outbox where registration_id = $1 and kind = $2',
	    [thai.id, 'reminder']), `reminder:${thai.id}`);

	// Again, and again later the same day: nothing more.
	assert.equal(sql(`select api.reminder_run(now() + interval '8 hours')`), '0');
	sql(`select api.reminder_run(now() + interval '20 hours')`);
	assert.equal(reminders(thai.id), 1);
	assert.equal(reminders(english.id), 1);
	assert.equal(sqlInt(`select count(*) from reminder_sent
	    where registration_id = any($1::uuid[])`, [`{${thai.id},${english.id}}`]), 2);
	// Once started, never (a registration confirmed late is not reminded
	// after the start either).
	sql(`select api.reminder_run(now() + interval '31 hours')`);
	assert.equal(reminders(waiting.id), 0);

	// Delivered: one text each, in their language.
	const rcv = await receiver(() => ({ status: 200 }));
	const ob = startOutbox({ NGAN_MESSAGES: 'sms', NGAN_SMS_URL: rcv.url,
	    NGAN_SMS_TOKEN: 'sms-token-27', NGAN_SMS_SENDER: 'NGAN' });
	try {
		const key = (reg) => `reminder:${reg.id}`;
		const got = (reg) => rcv.got.filter((g) => g.headers['idempotency-key'] === key(reg));
		await waitFor(() => got(thai).length === 1 && got(english).length === 1,
		    { timeout: 15000 });
		const th = JSON.parse(got(thai)[0].body).text;
		const en = JSON.parse(got(english)[0].body).text;
		assert.match(th, /^ngan: พรุ่งนี้ อบรมการออมเพื่อวัยเกษียณ เริ่ม \d{4}-\d\d-\d\d \d\d:\d\d ที่ /);
		assert.match(en, /^ngan: tomorrow, อบรมการออมเพื่อวัยเกษียณ starts at \d{4}-\d\d-\d\d \d\d:\d\d, /);
		// The start in Bangkok time, as the event was given.
		const start = new Date(Date.parse(ev.starts_at) + 7 * HOUR).toISOString()
		    .slice(0, 16).replace('T', ' ');
		assert.ok(th.includes(start) && en.includes(start), `${start} in ${th}`);
		await waitFor(() => sqlInt(`select count(*) from outbox where kind = 'reminder'
		    and registration_id = any($1::uuid[]) and status = 'sent'`,
		    [`{${thai.id},${english.id}}`]) === 2);
	} finally {
		await stopOutbox(ob);
		await rcv.close();
	}
	assert.equal(rcv.got.filter((g) => g.headers['idempotency-key'] === `reminder:${thai.id}`)
	    .length, 1, 'sent once');
});

test('the job runs by itself: every worker\'s tick, once for all of them', async () => {
	const ev = await eventIn(3);
	const reg = await registered(ev.id, { token: organizer });
	// Its last run forgotten: a worker's next tick runs it (every 10 s).
	sql('delete from reminder_run');
	await waitFor(() => reminders(reg.id) === 1, { timeout: 30000, interval: 500 });
	assert.equal(sqlInt(`select count(*) from reminder_run
	    where ran_at > now() - interval '1 minute'`), 1);
	// The other workers' ticks within 5 minutes do nothing.
	assert.equal(sql('select api.reminder_tick() is null'), 't');
	assert.equal(reminders(reg.id), 1);
});
