// Helpers of the participants' own way in (63-*, 64-*, issue 18): events
// open to the public, self-registration bodies, the codes the development
// sender (NGAN_MESSAGES=log: the outbox's delivery, tools/ngan-outbox.c)
// writes to the server log.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { api, expectStatus, nationalId, patchEvent, phoneNumber, sql, sqlInt, tokenFor,
    uniq, waitFor } from './lib.mjs';
import { runningEvent } from './checkins-lib.mjs';

// A published event running now, open to the public for groups.
export async function publicEvent(groups = ['informal_worker'], overrides = {}) {
	const ev = await runningEvent({ quotas: [], ...overrides });
	const { event } = await patchEvent(ev.id, { public_registration: {
	    opens_at: null, closes_at: null, target_groups: groups } },
	    { token: await tokenFor('organizer') });
	assert.deepEqual(event.public_registration.target_groups, [...groups].sort());
	return event;
}

export async function consentVersion() {
	return expectStatus(await api('GET', '/v1/consent'), 200, 'consent').json.version;
}

// Each test its own client address (the test runner is a trusted proxy,
// 127.0.0.1): the per-address limits of one never reach another.
export function clientAddress() {
	const b = randomBytes(2);
	return `198.18.${b[0]}.${b[1] % 254 + 1}`;
}

export function selfApi(method, path, body, { addr, token } = {}) {
	return api(method, path, { body, token,
	    headers: { 'x-forwarded-for': addr ?? clientAddress() } });
}

export async function selfBody(overrides = {}) {
	return {
	    title_th: 'นาง',
	    first_name: `บัวคำ${uniq('')}`,
	    last_name: 'ปัญญาดี',
	    national_id: nationalId(),
	    phone: phoneNumber(),
	    province_code: '52',
	    district_code: '5201',
	    subdistrict_code: '520101',
	    target_group: 'informal_worker',
	    consent_version: await consentVersion(),
	    ...overrides,
	};
}

export function serverLog() {
	const f = process.env.NGAN_SERVER_LOG;
	assert.ok(f && existsSync(f), 'NGAN_SERVER_LOG names the server log');
	return readFileSync(f, 'utf8');
}

// The messages of kind the development sender logged for participant pid,
// once the outbox holds nothing pending for them (delivery is
// asynchronous: a committed message is sent a moment later).
export async function messagesFor(pid, kind) {
	await waitFor(() => sqlInt(`select count(*) from outbox
	    where participant_id = $1 and channel = 'sms' and status = 'pending'`, [pid]) === 0);
	const re = new RegExp(`message ${kind} to (xxx-xxx-[0-9]{4}) participant ${pid}: (.*)$`, 'gm');
	return [...serverLog().matchAll(re)].map((m) => ({ to: m[1], text: m[2] }));
}

// Runs fn() (which asks for a code) and returns the code it sent to pid.
export async function codeSent(pid, fn) {
	const before = (await messagesFor(pid, 'code')).length;
	await fn();
	let all = [];
	await waitFor(async () => (all = await messagesFor(pid, 'code')).length > before);
	const m = all.at(-1).text.match(/(?:รหัสของคุณคือ|your code is) ([0-9]{6})/);
	assert.ok(m, `a code in the message: ${all.at(-1).text}`);
	return m[1];
}

export function participantOf(eventId) {
	return sql('select participant_id from registration where event_id = $1', [eventId]);
}

// Registers body for event, asks for a code and trades it for a token.
export async function provenPerson(event, overrides = {}) {
	const addr = clientAddress();
	const body = await selfBody(overrides);
	expectStatus(await selfApi('POST', `/v1/events/${event.id}/self-registrations`, body,
	    { addr }), 202, 'register');
	const pid = sql(`select r.participant_id from registration r
	    where r.event_id = $1 and r.source = 'self' order by r.created_at desc limit 1`, [event.id]);
	const code = await codeSent(pid, async () => expectStatus(await selfApi('POST',
	    '/v1/participant-codes', { national_id: body.national_id }, { addr }), 202, 'code'));
	const tok = expectStatus(await selfApi('POST', '/v1/participant-tokens',
	    { national_id: body.national_id, code }, { addr }), 200, 'token');
	return { body, pid, addr, token: tok.json.access_token };
}
