// Minimum attendance for a certificate: min_sessions and min_minutes are
// event fields (create, PATCH, GET), and the attendance report's
// qualifies_for_certificate follows them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, tokenFor, expectStatus, expectFieldError, bkk, patchEvent } from './lib.mjs';
import { runningEvent, registered, checkin, expectScan } from './checkins-lib.mjs';

test('PATCHing min_sessions changes qualifies_for_certificate in attendance', async () => {
	const organizer = await tokenFor('organizer');
	const ev = await runningEvent();
	assert.equal(ev.min_sessions, null);
	assert.equal(ev.min_minutes, null);
	const now = Date.now();
	const session = expectStatus(await api('POST', `/v1/events/${ev.id}/sessions`, {
	    token: organizer, body: { title: 'บรรยาย กฎหมายแรงงาน', kind: 'lecture',
	    starts_at: bkk(now - 30 * 60 * 1000), ends_at: bkk(now + 60 * 60 * 1000) } }), 201).json;
	const p = await registered(ev.id);
	expectScan(await checkin(organizer, { token: p.token, event_id: ev.id,
	    session_id: session.id }), 201, 'checked_in');

	const qualifies = async () => {
		const res = expectStatus(await api('GET', `/v1/events/${ev.id}/attendance`,
		    { token: organizer }), 200);
		return res.json.people.find((x) => x.registration_id === p.id).qualifies_for_certificate;
	};
	assert.equal(await qualifies(), null, 'no requirement set');

	let { event } = await patchEvent(ev.id, { min_sessions: 1 }, { token: organizer });
	assert.equal(event.min_sessions, 1);
	assert.equal(await qualifies(), true, 'one session attended, one needed');

	({ event } = await patchEvent(ev.id, { min_sessions: 2 }, { token: organizer }));
	assert.equal(event.min_sessions, 2);
	assert.equal(await qualifies(), false, 'one session attended, two needed');

	({ event } = await patchEvent(ev.id, { min_sessions: null }, { token: organizer }));
	assert.equal(event.min_sessions, null);
	assert.equal(await qualifies(), null, 'requirement removed');

	const got = expectStatus(await api('GET', `/v1/events/${ev.id}`, { token: organizer }), 200);
	const bad = await api('PATCH', `/v1/events/${ev.id}`, { token: organizer,
	    headers: { 'If-Match': got.headers.get('etag') }, body: { min_sessions: 0 } });
	expectFieldError(bad, 'min_sessions', 'range');
});

test('min_minutes is taken on create', async () => {
	const ev = await runningEvent({ min_minutes: 90 });
	assert.equal(ev.min_minutes, 90);
	assert.equal(ev.min_sessions, null);
});
