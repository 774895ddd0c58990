// Issue 15, item 6: the waitlist position a registration is told is the one
// it stands at. 40 registrations fired at once for an event with 10 seats
// left: the 201 answers give each position from 1 to 30 exactly once, and
// each equals what the listing, GET /v1/registrations/{id} and the database
// give afterwards (before the fix one number was told twice and another
// never: the place in line was the transaction's start time, not the
// moment it took the event's lock).

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, tokenFor, expectStatus, sql, openEvent, participantBody } from './lib.mjs';

let organizer;
before(async () => {
	organizer = await tokenFor('organizer');
});

const register = (eventId, body) => api('POST', `/v1/events/${eventId}/registrations`,
    { token: organizer, body, timeout: 60000 });

const range = (n) => Array.from({ length: n }, (_v, i) => i + 1);

// One burst at an event with ten seats left (capacity - taken); checks
// everything and returns what the next steps need.
async function burst(capacity, taken) {
	const { event } = await openEvent({ capacity, quotas: [] });
	for (let i = 0; i < taken; i++) {
		const res = expectStatus(await register(event.id,
		    { participant: participantBody({ target_group: 'general' }) }), 201);
		assert.equal(res.json.status, 'confirmed');
	}

	const results = await Promise.all(Array.from({ length: 40 }, (_v, i) => register(event.id,
	    { participant: participantBody({ first_name: `แถว${i}`, target_group: 'general' }) })));
	for (const res of results)
		expectStatus(res, 201, 'every request is registered');
	const confirmed = results.filter((r) => r.json.status === 'confirmed');
	const waiting = results.filter((r) => r.json.status === 'waitlisted');
	assert.equal(confirmed.length, 10, 'ten get the seats left');
	assert.equal(waiting.length, 30, 'thirty wait');
	for (const r of confirmed)
		assert.equal(r.json.waitlist_position, null, 'a confirmed registration has no position');

	// Told: 1..30, each once.
	const told = new Map(waiting.map((r) => [r.json.id, r.json.waitlist_position]));
	assert.deepEqual([...told.values()].sort((a, b) => a - b), range(30),
	    'the positions answered are 1..30, each exactly once');

	// Listed afterwards: the same position for the same registration, in
	// line order.
	const listed = expectStatus(await api('GET',
	    `/v1/events/${event.id}/registrations?status=waitlisted&limit=200`, { token: organizer }), 200).json.items;
	assert.equal(listed.length, 30);
	assert.deepEqual(listed.map((r) => r.waitlist_position), range(30), 'the listing reads 1..30 in order');
	for (const r of listed)
		assert.equal(r.waitlist_position, told.get(r.id), `registration ${r.id}: told ${told.get(r.id)}, listed ${r.waitlist_position}`);

	// Paged by 7, the same line.
	const paged = [];
	let cursor = null;
	do {
		const q = `status=waitlisted&limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
		const page = expectStatus(await api('GET', `/v1/events/${event.id}/registrations?${q}`,
		    { token: organizer }), 200).json;
		paged.push(...page.items.map((r) => r.id));
		cursor = page.next_cursor;
	} while (cursor);
	assert.deepEqual(paged, listed.map((r) => r.id), 'pages follow the same line');

	// One by one, as each person would look it up.
	for (const [id, pos] of told) {
		const one = expectStatus(await api('GET', `/v1/registrations/${id}`, { token: organizer }), 200).json;
		assert.equal(one.waitlist_position, pos, `GET /v1/registrations/${id}`);
	}

	// The database: the same positions, and the line in it has no gap and
	// no repeat.
	const rows = sql(`select r.id || '|' || api.waitlist_position(r) from registration r
	    where r.event_id = $1::uuid and r.status = 'waitlisted'`, [event.id]).split('\n');
	assert.equal(rows.length, 30);
	for (const row of rows) {
		const [id, pos] = row.split('|');
		assert.equal(Number(pos), told.get(id), `database position of ${id}`);
	}
	assert.equal(sql(`select count(*) filter (where status = 'confirmed') || '|' ||
	    count(*) filter (where status = 'waitlisted') from registration where event_id = $1::uuid`,
	    [event.id]), `${capacity}|30`);
	return { confirmed, listed };
}

// Each burst is one chance for requests to take the lock in another order
// than they began: three of them, one on an event partly taken first.
test('40 concurrent registrations for 10 seats left: each is told the position it stands at', async () => {
	const { confirmed, listed } = await burst(15, 5);
	await burst(10, 0);
	await burst(10, 0);

	// The first in line gets the next seat freed.
	const first = listed[0].id;
	const cancelled = expectStatus(await api('POST', `/v1/registrations/${confirmed[0].json.id}/cancel`,
	    { token: organizer }), 200).json;
	assert.equal(cancelled.promoted?.id, first, 'the one told 1 is promoted');
	const after = expectStatus(await api('GET', `/v1/registrations/${listed[1].id}`, { token: organizer }), 200).json;
	assert.equal(after.waitlist_position, 1, 'the one told 2 is now first');
});
