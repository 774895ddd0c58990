// Walk-ins (issue 4): POST /v1/events/{id}/registrations with "check_in":
// true registers a person at the door and checks them in, in one call.
// Scanner accounts assigned to the event may do it; others may not.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, participantBody, sqlInt, bkk } from './lib.mjs';
import { runningEvent, assignedScanner } from './checkins-lib.mjs';

const walkIn = (eventId, token, extra = {}) => api('POST', `/v1/events/${eventId}/registrations`,
    { token, body: { participant: participantBody(), check_in: true, device_id: 'door-1', ...extra } });

let organizer, ev, scanner;
before(async () => {
	organizer = await tokenFor('organizer');
	// Registration closed half an hour ago: walk-ins do not need the window.
	ev = await runningEvent({ registration_closes_at: bkk(Date.now() - 30 * 60 * 1000) });
	scanner = await assignedScanner([ev.id], organizer);
});

describe('walk-ins', () => {
	test('an assigned scanner registers and checks in a person in one call', async () => {
		const res = expectStatus(await walkIn(ev.id, scanner.token), 201);
		assert.equal(res.json.source, 'walk_in');
		assert.equal(res.json.status, 'confirmed');
		assert.equal(res.json.checkin.status, 201);
		assert.equal(res.json.checkin.result, 'checked_in');
		assert.equal(res.json.checkin.registration_id, res.json.id);
		assert.equal(sqlInt(`select count(*) from checkin where registration_id = $1::uuid
		    and state = 'effective' and direction = 'in' and device_id = 'door-1'`,
		    [res.json.id]), 1);
	});

	test('the check-in message follows Accept-Language, as at POST /v1/checkins', async () => {
		const th = expectStatus(await walkIn(ev.id, scanner.token), 201);
		assert.match(th.json.checkin.message, /[\u0E00-\u0E7F]/, 'Thai by default');
		const res = await api('POST', `/v1/events/${ev.id}/registrations`, { token: scanner.token,
		    headers: { 'accept-language': 'en' },
		    body: { participant: participantBody(), check_in: true } });
		expectStatus(res, 201);
		assert.equal(res.json.checkin.result, 'checked_in');
		assert.doesNotMatch(res.json.checkin.message, /[\u0E00-\u0E7F]/, 'English when asked');
	});

	test('staff too; without check_in there is no checkin in the answer', async () => {
		const res = expectStatus(await walkIn(ev.id, organizer), 201);
		assert.equal(res.json.checkin.result, 'checked_in');
		const open = await runningEvent();
		const plain = expectStatus(await walkIn(open.id, organizer, { check_in: false }), 201);
		assert.equal(plain.json.source, 'api');
		assert.equal(plain.json.checkin, undefined);
	});

	test('quota respected: no seat left means waitlisted and not checked in', async () => {
		const small = await runningEvent({ capacity: 1, quotas: [] });
		const s = await assignedScanner([small.id], organizer);
		const first = expectStatus(await walkIn(small.id, s.token), 201);
		assert.equal(first.json.status, 'confirmed');
		const second = expectStatus(await walkIn(small.id, s.token), 201);
		assert.equal(second.json.status, 'waitlisted');
		assert.notEqual(second.json.checkin.status, 201);
		assert.equal(second.json.checkin.checkin_id, null);
		assert.equal(sqlInt(`select count(*) from checkin where registration_id = $1::uuid
		    and state = 'effective'`, [second.json.id]), 0);
	});

	test('a scanner not assigned to the event: 403; an assigned one without check_in: 403', async () => {
		const other = await runningEvent();
		expectProblem(await walkIn(other.id, scanner.token), 403, 'forbidden');
		expectProblem(await walkIn(ev.id, scanner.token, { check_in: false }), 403, 'forbidden');
	});
});

test('the registration window still applies to ordinary registrations', async () => {
	const res = await api('POST', `/v1/events/${ev.id}/registrations`,
	    { token: organizer, body: { participant: participantBody() } });
	expectProblem(res, 409, 'event-not-open');
});
