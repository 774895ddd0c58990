// Tickets and scanner assignment (issue 4): GET /v1/registrations/{id}/ticket
// (staff, or the participant with ?link=), its QR codes as SVG and PNG,
// reissue, and the scanners of an event. Every answer is checked against
// openapi.yaml by lib.mjs.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { api, tokenFor, expectStatus, expectProblem, expectFieldError, createUser, uniq,
    newUuid, decodeJwt, otherOrganizer, PHICHIT_AGENCY } from './lib.mjs';
import { runningEvent, registered, nonce, checkin, expectScan, qrDecode } from './checkins-lib.mjs';

let admin, organizer, partner, demoScanner, phichitOrganizer, ev;
before(async () => {
	admin = await tokenFor('admin');
	organizer = await tokenFor('organizer');
	partner = await tokenFor('partner');
	demoScanner = await tokenFor('scanner');
	phichitOrganizer = await otherOrganizer(PHICHIT_AGENCY);
	ev = await runningEvent();
});

describe('GET /v1/registrations/{id}/ticket', () => {
	test('staff get the signed ticket and a link token for the participant', async () => {
		const p = await registered(ev.id);
		const res = expectStatus(await api('GET', `/v1/registrations/${p.id}/ticket`,
		    { token: organizer }), 200);
		assert.equal(res.headers.get('cache-control'), 'no-store');
		assert.equal(res.json.registration_id, p.id);
		assert.equal(res.json.event_id, ev.id);
		assert.equal(res.json.version, 1);
		const claims = decodeJwt(res.json.token).payload;
		assert.equal(claims.sub, p.id);
		assert.equal(claims.evt, ev.id);
		assert.equal(claims.ver, 1);
		assert.equal(typeof res.json.link_token, 'string');
		expectStatus(await api('GET', `/v1/registrations/${p.id}/ticket`, { token: admin }), 200);
	});

	test('?link= lets the participant in without a token; no link token for them', async () => {
		const p = await registered(ev.id);
		const staff = expectStatus(await api('GET', `/v1/registrations/${p.id}/ticket`,
		    { token: organizer }), 200);
		const link = encodeURIComponent(staff.json.link_token);
		const res = expectStatus(await api('GET', `/v1/registrations/${p.id}/ticket?link=${link}`), 200);
		assert.equal(res.json.registration_id, p.id);
		assert.equal(res.json.link_token, undefined);
		expectStatus(await api('GET', `/v1/registrations/${p.id}/qr.svg?link=${link}`), 200);
		// The link of one registration does not open another.
		const q = await registered(ev.id);
		expectProblem(await api('GET', `/v1/registrations/${q.id}/ticket?link=${link}`), 403, 'forbidden');
		expectProblem(await api('GET', `/v1/registrations/${q.id}/ticket?link=garbage`), 403, 'forbidden');
	});

	test('roles: no token 401, scanner and partner 403, another agency 404, unknown 404', async () => {
		const p = await registered(ev.id);
		const path = `/v1/registrations/${p.id}/ticket`;
		assert.equal((await api('GET', path)).status, 401);
		assert.equal((await api('GET', path, { token: demoScanner })).status, 403);
		assert.equal((await api('GET', path, { token: partner })).status, 403);
		assert.equal((await api('GET', path, { token: phichitOrganizer })).status, 404);
		assert.equal((await api('GET', `/v1/registrations/${newUuid()}/ticket`,
		    { token: organizer })).status, 404);
	});

	test('a cancelled registration has no ticket: 409', async () => {
		const p = await registered(ev.id);
		expectStatus(await api('POST', `/v1/registrations/${p.id}/cancel`, { token: organizer }), 200);
		expectProblem(await api('GET', `/v1/registrations/${p.id}/ticket`, { token: organizer }),
		    409, 'conflict');
		expectProblem(await api('GET', `/v1/registrations/${p.id}/qr.png`, { token: organizer }),
		    409, 'conflict');
	});
});

describe('QR codes', () => {
	test('SVG: image/svg+xml sized by ?size, 64 to 2048', async () => {
		const p = await registered(ev.id);
		const res = expectStatus(await api('GET', `/v1/registrations/${p.id}/qr.svg?size=200`,
		    { token: organizer }), 200);
		assert.match(res.headers.get('content-type'), /^image\/svg\+xml/);
		assert.match(res.text, /<svg[^>]*width="200"/);
		for (const size of ['63', '2049', 'x'])
			expectFieldError(await api('GET', `/v1/registrations/${p.id}/qr.svg?size=${size}`,
			    { token: organizer }), 'size', 'range');
	});

	test('PNG: decoded by zbarimg, the token checks in (201)', async () => {
		const p = await registered(ev.id);
		const res = expectStatus(await api('GET', `/v1/registrations/${p.id}/qr.png?size=6`,
		    { token: organizer }), 200);
		assert.match(res.headers.get('content-type'), /^image\/png/);
		assert.deepEqual([...res.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
		const token = await qrDecode(p.id, organizer);
		assert.equal(decodeJwt(token).payload.sub, p.id);
		expectScan(await checkin(organizer, { token, event_id: ev.id, nonce: nonce() }), 201,
		    'checked_in');
		for (const size of ['0', '21'])
			expectFieldError(await api('GET', `/v1/registrations/${p.id}/qr.png?size=${size}`,
			    { token: organizer }), 'size', 'range');
	});
});

describe('POST /v1/registrations/{id}/ticket/reissue', () => {
	test('raises the version; the old token is revoked at the door', async () => {
		const p = await registered(ev.id);
		const res = expectStatus(await api('POST', `/v1/registrations/${p.id}/ticket/reissue`,
		    { token: organizer }), 200);
		assert.equal(res.json.version, 2);
		assert.equal(decodeJwt(res.json.token).payload.ver, 2);
		expectScan(await checkin(organizer, { token: p.token, event_id: ev.id }), 410,
		    'ticket_revoked');
		expectScan(await checkin(organizer, { token: res.json.token, event_id: ev.id }), 201,
		    'checked_in');
	});

	test('roles and unknown ids', async () => {
		const p = await registered(ev.id);
		const path = `/v1/registrations/${p.id}/ticket/reissue`;
		assert.equal((await api('POST', path)).status, 401);
		assert.equal((await api('POST', path, { token: demoScanner })).status, 403);
		assert.equal((await api('POST', path, { token: phichitOrganizer })).status, 404);
		assert.equal((await api('POST', `/v1/registrations/${newUuid()}/ticket/reissue`,
		    { token: organizer })).status, 404);
	});
});

describe('/v1/events/{id}/scanners', () => {
	test('PUT 201 then 200, listed, DELETE 204 then 404', async () => {
		const e = await runningEvent();
		const { user } = await createUser({ role: 'scanner', username: uniq('scan.') });
		const path = `/v1/events/${e.id}/scanners/${user.id}`;
		const first = expectStatus(await api('PUT', path, { token: organizer }), 201);
		assert.equal(first.json.user_id, user.id);
		assert.equal(first.json.event_id, e.id);
		expectStatus(await api('PUT', path, { token: organizer }), 200);
		const list = expectStatus(await api('GET', `/v1/events/${e.id}/scanners`,
		    { token: organizer }), 200);
		assert.deepEqual(list.json.items.map((s) => s.user_id), [user.id]);
		expectStatus(await api('DELETE', path, { token: organizer }), 204);
		assert.equal((await api('DELETE', path, { token: organizer })).status, 404);
		const after = expectStatus(await api('GET', `/v1/events/${e.id}/scanners`,
		    { token: admin }), 200);
		assert.deepEqual(after.json.items, []);
	});

	test('only a scanner account: 422; roles 401/403', async () => {
		const e = await runningEvent();
		const { user } = await createUser({ role: 'organizer', username: uniq('org.') });
		expectFieldError(await api('PUT', `/v1/events/${e.id}/scanners/${user.id}`,
		    { token: organizer }), 'user_id', 'not_found');
		expectFieldError(await api('PUT', `/v1/events/${e.id}/scanners/${newUuid()}`,
		    { token: organizer }), 'user_id', 'not_found');
		assert.equal((await api('GET', `/v1/events/${e.id}/scanners`)).status, 401);
		assert.equal((await api('GET', `/v1/events/${e.id}/scanners`, { token: demoScanner })).status, 403);
		assert.equal((await api('GET', `/v1/events/${e.id}/scanners`, { token: phichitOrganizer })).status, 403);
		assert.equal((await api('GET', `/v1/events/${newUuid()}/scanners`, { token: organizer })).status, 404);
	});
});
