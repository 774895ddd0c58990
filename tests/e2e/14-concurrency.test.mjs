// Seats under concurrent requests (issue 3): many registrations fired at
// once never take one seat too many, quota groups and the shared pool hold,
// one person registered at once from many requests is registered once, and
// parallel cancellations each promote a different waitlisted registration.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, sql, sqlInt, openEvent, participantBody,
    nationalId } from './lib.mjs';

let organizer;
before(async () => {
	organizer = await tokenFor('organizer');
});

// Fires all the bodies at once (one fetch each, all pending together).
function fireAll(eventId, bodies) {
	return Promise.all(bodies.map((body) => api('POST', `/v1/events/${eventId}/registrations`,
	    { token: organizer, body, timeout: 60000 })));
}

const dbCounts = (eventId) => sql(`select
    count(*) filter (where status = 'confirmed') || '|' ||
    count(*) filter (where status = 'waitlisted') || '|' ||
    count(*) filter (where status = 'cancelled')
    from registration where event_id = $1::uuid`, [eventId]);

test('50 parallel registrations for 10 seats: exactly 10 confirmed and 40 waitlisted', async () => {
	const { event } = await openEvent({ capacity: 10, quotas: [] });
	const bodies = Array.from({ length: 50 }, (_v, i) => ({
	    participant: participantBody({ first_name: `พร้อมกัน${i}`, target_group: 'informal_worker' }),
	}));
	const results = await fireAll(event.id, bodies);
	for (const res of results)
		expectStatus(res, 201, 'every request is registered');
	const statuses = results.map((r) => r.json.status);
	assert.equal(statuses.filter((s) => s === 'confirmed').length, 10, 'confirmed answers');
	assert.equal(statuses.filter((s) => s === 'waitlisted').length, 40, 'waitlisted answers');
	assert.equal(new Set(results.map((r) => r.json.id)).size, 50);
	// The database agrees.
	assert.equal(dbCounts(event.id), '10|40|0');
	assert.equal(sqlInt(`select count(distinct participant_id) from registration where event_id = $1::uuid`,
	    [event.id]), 50);
	const e = expectStatus(await api('GET', `/v1/events/${event.id}`, { token: organizer }), 200).json;
	assert.deepEqual(e.counts, { confirmed: 10, waitlisted: 40 });
	// The waitlist is one line, 1..40, in the order the registrations were stored.
	const wl = expectStatus(await api('GET', `/v1/events/${event.id}/registrations?status=waitlisted&limit=200`,
	    { token: organizer }), 200).json.items;
	assert.deepEqual(wl.map((r) => r.waitlist_position), Array.from({ length: 40 }, (_v, i) => i + 1));
});

test('parallel registrations respect each quota and the shared pool', async () => {
	const { event } = await openEvent({ capacity: 10,
	    quotas: [{ target_group: 'labour_volunteer', seats: 4 }] });
	const bodies = Array.from({ length: 50 }, (_v, i) => ({
	    participant: participantBody({ target_group: i % 2 ? 'labour_volunteer' : 'general' }),
	}));
	const results = await fireAll(event.id, bodies);
	for (const res of results)
		expectStatus(res, 201);
	const count = (group, status) => results.filter((r) => r.json.target_group === group &&
	    r.json.status === status).length;
	assert.equal(count('labour_volunteer', 'confirmed'), 4);
	assert.equal(count('labour_volunteer', 'waitlisted'), 21);
	assert.equal(count('general', 'confirmed'), 6);
	assert.equal(count('general', 'waitlisted'), 19);
	assert.equal(sql(`select string_agg(target_group || '=' || n, ',' order by target_group) from
	    (select target_group, count(*) n from registration where event_id = $1::uuid and status = 'confirmed'
	    group by target_group) x`, [event.id]), 'general=6,labour_volunteer=4');
});

test('one person sent ten times at once is registered once; the others get 409 naming it', async () => {
	const { event } = await openEvent({ capacity: 10, quotas: [] });
	const nid = nationalId();
	const bodies = Array.from({ length: 10 }, () => ({ participant: participantBody({ national_id: nid }) }));
	const results = await fireAll(event.id, bodies);
	const created = results.filter((r) => r.status === 201);
	assert.equal(created.length, 1, `one 201: ${results.map((r) => r.status).join(',')}`);
	for (const res of results.filter((r) => r.status !== 201)) {
		expectProblem(res, 409, 'conflict');
		assert.equal(res.json.registration_id, created[0].json.id);
	}
	assert.equal(sqlInt('select count(*) from registration where event_id = $1::uuid', [event.id]), 1);
	assert.equal(sqlInt('select count(*) from participant where id = $1::uuid', [created[0].json.participant_id]), 1);
	assert.equal(sqlInt(`select count(*) from participant where national_id_last3 = $1 and
	    id in (select participant_id from registration where event_id = $2::uuid)`, [nid.slice(10), event.id]), 1);
});

test('parallel cancellations each promote a different waitlisted registration, oldest first', async () => {
	const { event } = await openEvent({ capacity: 5, quotas: [] });
	const regs = [];
	for (let i = 0; i < 12; i++) {
		regs.push(expectStatus(await api('POST', `/v1/events/${event.id}/registrations`, { token: organizer,
		    body: { participant: participantBody({ target_group: 'general' }) } }), 201).json);
	}
	assert.equal(dbCounts(event.id), '5|7|0');
	const confirmed = regs.filter((r) => r.status === 'confirmed');
	const waiting = regs.filter((r) => r.status === 'waitlisted');
	const results = await Promise.all(confirmed.map((r) => api('POST', `/v1/registrations/${r.id}/cancel`,
	    { token: organizer, timeout: 60000 })));
	for (const res of results)
		expectStatus(res, 200);
	const promoted = results.map((r) => r.json.promoted?.id).filter(Boolean);
	assert.equal(promoted.length, 5, 'each cancellation promoted someone');
	assert.deepEqual([...promoted].sort(), waiting.slice(0, 5).map((r) => r.id).sort(),
	    'the five oldest waitlisted');
	assert.equal(dbCounts(event.id), '5|2|5');
});
