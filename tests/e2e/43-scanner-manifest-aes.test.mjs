// The scanner app's server side: the manifest sealed with AES-256-GCM
// (?cipher=aes-256-gcm), opened here with WebCrypto (globalThis.crypto,
// the browser's API) as the app opens it; the default stays
// XChaCha20-Poly1305; GET /v1/events?scanning=me lists the events the
// caller is assigned to; the app's files under /scan are served with their
// types, a CSP and the service worker's scope.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { api, bkk, expectBadQuery, expectStatus, tokenFor } from './lib.mjs';
import { assignedScanner, openSealed, payloadOf, rawOrApi, registered, runningEvent, ticketKey,
    ticketOf } from './checkins-lib.mjs';

const subtle = globalThis.crypto.subtle;
let organizer, event, other, person, scanner;

async function openGcm(sealed, token) {
	const raw = Buffer.from(sealed, 'base64url');
	const key = await subtle.importKey('raw', await subtle.digest('SHA-256',
	    new TextEncoder().encode(payloadOf(token))), 'AES-GCM', false, ['decrypt']);
	const plain = await subtle.decrypt({ name: 'AES-GCM', iv: raw.subarray(0, 12),
	    additionalData: new TextEncoder().encode('ngan-manifest-v1') }, key, raw.subarray(12));
	return JSON.parse(new TextDecoder().decode(plain));
}

before(async () => {
	organizer = await tokenFor('organizer');
	event = await runningEvent();
	other = await runningEvent();
	person = await registered(event.id);
	scanner = await assignedScanner([event.id], organizer);
});

test('cipher=aes-256-gcm: every entry opens with WebCrypto, the name and group inside', async () => {
	const m = expectStatus(await api('GET', `/v1/events/${event.id}/scanner-manifest?cipher=aes-256-gcm`,
	    { token: scanner.token }), 200).json;
	assert.equal(m.cipher, 'aes-256-gcm');
	assert.match(m.derivation, /AES-256-GCM/);
	const entry = m.entries.find((e) => e.ticket_key === ticketKey(m.manifest_key, person.token));
	assert.ok(entry, 'the ticket is in the manifest');
	// iv 12 + ciphertext + tag 16
	const raw = Buffer.from(entry.sealed, 'base64url');
	const who = await openGcm(entry.sealed, person.token);
	assert.equal(raw.length, 12 + Buffer.byteLength(JSON.stringify(who)) + 16);
	assert.deepEqual(who, { display_name: person.display_name, target_group: person.target_group });
	// Another ticket's payload does not open it.
	const stranger = await registered(other.id);
	await assert.rejects(openGcm(entry.sealed, stranger.token));
	// A flipped byte is refused by the tag.
	raw[raw.length - 1] ^= 1;
	await assert.rejects(openGcm(raw.toString('base64url'), person.token));
});

test('the default and cipher=xchacha20-poly1305 stay as they were', async () => {
	for (const q of ['', '?cipher=xchacha20-poly1305']) {
		const m = expectStatus(await api('GET', `/v1/events/${event.id}/scanner-manifest${q}`,
		    { token: organizer }), 200).json;
		assert.equal(m.cipher, 'xchacha20-poly1305');
		const entry = m.entries.find((e) => e.ticket_key === ticketKey(m.manifest_key, person.token));
		assert.deepEqual(openSealed(entry.sealed, person.token),
		    { display_name: person.display_name, target_group: person.target_group });
	}
});

test('with since, the AES answer carries revocations as before', async () => {
	const p = await registered(event.id);
	const since = bkk(Date.now() - 60 * 1000);
	expectStatus(await rawOrApi('POST', `/v1/registrations/${p.id}/ticket/reissue`, { token: organizer }), 200);
	const fresh = await ticketOf(p.id, organizer);
	const d = expectStatus(await api('GET', `/v1/events/${event.id}/scanner-manifest?cipher=aes-256-gcm` +
	    `&since=${encodeURIComponent(since)}`, { token: scanner.token }), 200).json;
	assert.ok(d.revocations.includes(ticketKey(d.manifest_key, p.token)));
	const entry = d.entries.find((e) => e.ticket_key === ticketKey(d.manifest_key, fresh));
	assert.equal(entry.status, 'valid');
	assert.equal((await openGcm(entry.sealed, fresh)).display_name, p.display_name);
});

test('an unknown cipher is a 422 naming the parameter', async () => {
	for (const c of ['aes-128-gcm', 'AES-256-GCM', '']) {
		const res = await api('GET', `/v1/events/${event.id}/scanner-manifest?cipher=${c}`,
		    { token: organizer });
		expectBadQuery(res, 'cipher');
	}
});

test('GET /v1/events?scanning=me: only the events the scanner is assigned to', async () => {
	const mine = expectStatus(await api('GET', '/v1/events?scanning=me&limit=200',
	    { token: scanner.token }), 200).json;
	assert.deepEqual(mine.items.map((e) => e.id), [event.id]);
	const all = expectStatus(await api('GET', '/v1/events?limit=200', { token: scanner.token }), 200).json;
	assert.ok(all.items.some((e) => e.id === other.id));
	// An organizer assigned to nothing gets an empty list, not everything.
	const none = expectStatus(await api('GET', '/v1/events?scanning=me', { token: organizer }), 200).json;
	assert.deepEqual(none.items, []);
	expectBadQuery(await api('GET', '/v1/events?scanning=you', { token: scanner.token }), 'scanning');
});

test('the app and the screen are served from assets/ with their types, CSP and scope', async () => {
	const files = {
		'/scan': /^text\/html/, '/scan/screen': /^text\/html/, '/scan/app.js': /^text\/javascript/,
		'/scan/common.js': /^text\/javascript/, '/scan/screen.js': /^text\/javascript/,
		'/scan/scan.css': /^text\/css/, '/scan/sw.js': /^text\/javascript/,
		'/scan/manifest.webmanifest': /^application\/manifest\+json/,
		'/scan/icon.svg': /^image\/svg\+xml/, '/scan/jsQR.js': /^text\/javascript/,
	};
	for (const [path, type] of Object.entries(files)) {
		const res = expectStatus(await api('GET', path), 200, path);
		assert.match(res.headers.get('content-type'), type, path);
		assert.equal(res.headers.get('cache-control'), 'no-cache', path);
		assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
		assert.ok(res.text.length > 100, `${path} has content`);
	}
	const page = await api('GET', '/scan');
	assert.match(page.headers.get('content-security-policy'), /default-src 'self'/);
	assert.doesNotMatch(page.text, /https?:\/\//, 'no other host');
	assert.match(page.text, /<html lang="th">/);
	const sw = await api('GET', '/scan/sw.js');
	assert.equal(sw.headers.get('service-worker-allowed'), '/scan');
	const wm = JSON.parse((await api('GET', '/scan/manifest.webmanifest')).text);
	assert.equal(wm.start_url, '/scan');
	assert.equal((await api('POST', '/scan')).status, 405);
});

test('attendance for an assigned scanner: the counts, no people, an ETag of its own', async () => {
	const e = await runningEvent();
	const s = await assignedScanner([e.id], organizer);
	const p = await registered(e.id);
	const url = `/v1/events/${e.id}/attendance`;
	const staff = expectStatus(await api('GET', url, { token: organizer }), 200);
	const door = expectStatus(await api('GET', url, { token: s.token }), 200);
	assert.equal(staff.json.people.length, 1);
	assert.deepEqual(door.json.people, []);
	assert.equal(door.json.confirmed, staff.json.confirmed);
	assert.deepEqual(door.json.by_target_group, staff.json.by_target_group);
	assert.doesNotMatch(door.text, new RegExp(p.display_name));
	assert.notEqual(door.headers.get('etag'), staff.headers.get('etag'));
	// The scanner's tag answers 304 until a scan.
	const tag = door.headers.get('etag');
	expectStatus(await api('GET', url, { token: s.token, headers: { 'if-none-match': tag } }), 304);
	expectStatus(await api('POST', '/v1/checkins', { token: s.token, body: { token: p.token, event_id: e.id,
	    nonce: `n-${Date.now()}-att` } }), 201);
	const after = expectStatus(await api('GET', url, { token: s.token, headers: { 'if-none-match': tag } }),
	    200);
	assert.equal(after.json.checked_in, 1);
	// A scanner of another event: 403, nothing read.
	const stranger = await assignedScanner([other.id], organizer);
	expectStatus(await api('GET', url, { token: stranger.token }), 403);
});

test('conflicts for a scanner: only the groups its own scans are in', async () => {
	const e = await runningEvent();
	const s1 = await assignedScanner([e.id], organizer);
	const s2 = await assignedScanner([e.id], organizer);
	const [p, q] = [await registered(e.id), await registered(e.id)];
	const at = (m) => bkk(Date.now() - m * 60 * 1000);
	const up = (s, tok, m, dev) => api('POST', '/v1/checkins/batch', { token: s.token, body: { scans: [
	    { token: tok, event_id: e.id, scanned_at: at(m), device_id: dev, nonce: `n-${dev}-${Date.now()}` }] } });
	// p: s1 and s2 both scanned it; q: s2 twice, on two devices.
	expectStatus(await up(s1, p.token, 5, 'a-1'), 200);
	expectStatus(await up(s2, p.token, 4, 'b-1'), 200);
	expectStatus(await up(s2, q.token, 5, 'b-1'), 200);
	expectStatus(await up(s2, q.token, 4, 'b-2'), 200);
	const url = `/v1/events/${e.id}/checkins/conflicts`;
	const ids = async (tok) => expectStatus(await api('GET', url, { token: tok }), 200).json.items
	    .map((c) => c.registration_id).sort();
	assert.deepEqual(await ids(organizer), [p.id, q.id].sort());
	assert.deepEqual(await ids(s2.token), [p.id, q.id].sort());
	assert.deepEqual(await ids(s1.token), [p.id]);
	const stranger = await assignedScanner([other.id], organizer);
	expectStatus(await api('GET', url, { token: stranger.token }), 403);
});
