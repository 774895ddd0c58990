// Scanner assignment across agencies (issue 14, item 10): an event takes
// only scanner accounts of its organising agency or of a co-organising
// one. The attack of the issue: the Lampang organizer assigns a Phichit
// scanner to a Lampang event, and that scanner then checks people in.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, tokenFor, createUser, expectStatus, expectFieldError, sql, sqlInt, login,
    LAMPANG_AGENCY, LAMPHUN_AGENCY, PHICHIT_AGENCY } from './lib.mjs';
import { runningEvent, registered, checkin } from './checkins-lib.mjs';

let admin, organizer, ev;
before(async () => {
	admin = await tokenFor('admin');
	organizer = await tokenFor('organizer');
	// Lampang organises, Lamphun co-organises.
	ev = await runningEvent({ co_organizer_ids: [LAMPHUN_AGENCY] });
});

// In English: the tests read the messages (Thai is the default).
const assign = (eventId, userId, token) => api('PUT', `/v1/events/${eventId}/scanners/${userId}`,
    { token, headers: { 'accept-language': 'en' } });
const assignments = (eventId) => sql(`select coalesce(string_agg(user_id::text, ',' order by user_id), '')
    from event_scanner where event_id = $1::uuid`, [eventId]);

test('another agency\'s scanner cannot be assigned, by an organizer or an admin; nothing changes', async () => {
	const { user, password } = await createUser({ role: 'scanner', agency_id: PHICHIT_AGENCY });
	const before = assignments(ev.id);
	for (const [who, token] of [['organizer', organizer], ['admin', admin]]) {
		const res = expectFieldError(await assign(ev.id, user.id, token), 'user_id', 'not_found', who);
		assert.match(res.message, /organising or a co-organising agency/, who);
	}
	assert.equal(assignments(ev.id), before, 'no assignment stored');
	// Hence the Phichit scanner checks nobody in at the Lampang event.
	const p = await registered(ev.id);
	const token = (await login(user.username, password)).access_token;
	const scan = await checkin(token, { token: p.token, event_id: ev.id });
	assert.equal(scan.json?.result, 'not_assigned', scan.text);
	assert.equal(sqlInt(`select count(*) from checkin where registration_id = $1::uuid
	    and state = 'effective'`, [p.id]), 0);
});

test('scanners of the organising and of a co-organising agency are assigned', async () => {
	for (const agency of [LAMPANG_AGENCY, LAMPHUN_AGENCY]) {
		const { user } = await createUser({ role: 'scanner', agency_id: agency });
		const res = expectStatus(await assign(ev.id, user.id, organizer), 201, agency);
		assert.equal(res.json.user_id, user.id);
		expectStatus(await assign(ev.id, user.id, organizer), 200, `${agency} again`);
	}
});
