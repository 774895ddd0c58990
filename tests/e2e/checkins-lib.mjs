// Helpers of the check-in tests (30-*, 31-*): events running now, people
// registered with their tickets, scanners assigned, tickets signed by hand,
// QR decoding and the manifest's cryptography.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createDecipheriv, createHash, createHmac, createPrivateKey, generateKeyPairSync,
    randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { api, BASE_URL, JWT_KEY_PATH, bkk, createUser, expectStatus, login, lowS, openEvent,
    operationFor, registerInline, tokenFor, uniq } from './lib.mjs';

export const HOUR = 3600 * 1000;

// An event of the demo organizer's agency, published, that runs now
// (started an hour ago, ends in five hours), registration open.
export async function runningEvent(overrides = {}, token) {
	const now = Date.now();
	return (await openEvent({
	    starts_at: bkk(now - HOUR),
	    ends_at: bkk(now + 5 * HOUR),
	    registration_opens_at: bkk(now - 2 * HOUR),
	    registration_closes_at: bkk(now + 4 * HOUR),
	    ...overrides,
	}, token)).event;
}

// GET without the openapi check when the path is not documented (yet).
export async function rawOrApi(method, path, opts = {}) {
	const found = operationFor(method, path);
	if (found?.op)
		return api(method, path, opts);
	const headers = { ...(opts.headers ?? {}) };
	if (opts.token)
		headers.authorization = `Bearer ${opts.token}`;
	let body;
	if (opts.body !== undefined) {
		body = JSON.stringify(opts.body);
		headers['content-type'] = 'application/json';
	}
	const r = await fetch(BASE_URL + path, { method, headers, body });
	const bytes = Buffer.from(await r.arrayBuffer());
	const text = bytes.toString('utf8');
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: r.status, headers: r.headers, text, json, bytes };
}

// Registers a fresh person; returns {id, token, display_name, target_group}.
export async function registered(eventId, { participant = {}, target_group, token } = {}) {
	token = token ?? await tokenFor('organizer');
	const res = expectStatus(await registerInline(eventId, { participant, target_group, token }), 201,
	    'register');
	return { id: res.json.id, display_name: res.json.participant.display_name,
	    target_group: res.json.target_group, status: res.json.status,
	    token: res.json.status === 'confirmed' ? await ticketOf(res.json.id, token) : null };
}

export async function ticketOf(registrationId, token) {
	const res = await rawOrApi('GET', `/v1/registrations/${registrationId}/ticket`, { token });
	assert.equal(res.status, 200, `ticket: ${res.text}`);
	return res.json.token;
}

// A fresh scanner account of the Lampang agency, assigned to eventIds.
export async function assignedScanner(eventIds, orgToken) {
	const { user, password } = await createUser({ role: 'scanner', username: uniq('scan.') });
	for (const id of eventIds) {
		const res = await rawOrApi('PUT', `/v1/events/${id}/scanners/${user.id}`, { token: orgToken });
		assert.ok([200, 201].includes(res.status), `assign scanner: ${res.status} ${res.text}`);
	}
	return { user, token: (await login(user.username, password)).access_token };
}

let nonceSeq = 0;
export function nonce() {
	return `n-${Date.now().toString(36)}-${process.pid}-${++nonceSeq}-${randomUUID().slice(0, 8)}`;
}

// POST /v1/checkins with a fresh nonce unless one is given.
export function checkin(token, body, headers = {}) {
	return api('POST', '/v1/checkins', { token, headers,
	    body: { nonce: nonce(), ...body } });
}

export function batch(token, scans, headers = {}) {
	return api('POST', '/v1/checkins/batch', { token, headers,
	    body: { scans: scans.map((s) => ({ nonce: nonce(), ...s })) } });
}

// Asserts a scan result: status, result, and the common shape.
export function expectScan(res, status, result, msg = '') {
	assert.equal(res.status, status, `${msg} expected ${status} ${result}, got ${res.status}: ${res.text}`);
	assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${msg} content-type`);
	assert.equal(res.json.result, result, `${msg} result: ${res.text}`);
	assert.equal(typeof res.json.message, 'string');
	assert.ok(res.json.message.length > 0);
	return res.json;
}

// The current ticket-signing key id, from the JWKS.
export async function currentKid() {
	const res = expectStatus(await api('GET', '/.well-known/jwks.json'), 200);
	return res.json.keys[0].kid;
}

// A ticket signed by hand: with the server's key (NGAN_JWT_KEY) unless key
// is given. claims default to a valid-looking ticket.
// Signed in the one form the server takes (low s, see lowS()).
export async function signTicket(claims, { key, kid } = {}) {
	const pk = key ?? createPrivateKey(readFileSync(JWT_KEY_PATH));
	return lowS(await new SignJWT({ aud: 'ngan-ticket', iss: 'ngan', ...claims })
	    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: kid ?? await currentKid() })
	    .sign(pk));
}

export function foreignKey() {
	return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

// Fetches the ticket's QR code as PNG and decodes it with zbarimg.
export async function qrDecode(registrationId, token) {
	const res = await rawOrApi('GET', `/v1/registrations/${registrationId}/qr.png?size=6`, { token });
	assert.equal(res.status, 200, `qr.png: ${res.status}`);
	assert.match(res.headers.get('content-type'), /^image\/png/);
	const dir = mkdtempSync(join(tmpdir(), 'ngan-qr-'));
	try {
		const file = join(dir, 'ticket.png');
		writeFileSync(file, res.bytes);
		return execFileSync('zbarimg', ['--raw', '-q', file], { encoding: 'utf8',
		    stdio: ['ignore', 'pipe', 'ignore'] }).trim();
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

// ---------------------------------------------------------------- manifest

export function payloadOf(token) {
	return token.split('.')[1];
}

export function ticketKey(manifestKey, token) {
	return createHmac('sha256', Buffer.from(manifestKey, 'base64url'))
	    .update(payloadOf(token)).digest('hex');
}

// HChaCha20 (for XChaCha20-Poly1305, which node's crypto lacks).
function hchacha20(key, nonce16) {
	const s = new Uint32Array(16);
	s[0] = 0x61707865;
	s[1] = 0x3320646e;
	s[2] = 0x79622d32;
	s[3] = 0x6b206574;
	for (let i = 0; i < 8; i++)
		s[4 + i] = key.readUInt32LE(i * 4);
	for (let i = 0; i < 4; i++)
		s[12 + i] = nonce16.readUInt32LE(i * 4);
	const rotl = (v, c) => ((v << c) | (v >>> (32 - c))) >>> 0;
	const qr = (a, b, c, d) => {
		s[a] = (s[a] + s[b]) >>> 0; s[d] = rotl(s[d] ^ s[a], 16);
		s[c] = (s[c] + s[d]) >>> 0; s[b] = rotl(s[b] ^ s[c], 12);
		s[a] = (s[a] + s[b]) >>> 0; s[d] = rotl(s[d] ^ s[a], 8);
		s[c] = (s[c] + s[d]) >>> 0; s[b] = rotl(s[b] ^ s[c], 7);
	};
	for (let i = 0; i < 10; i++) {
		qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15);
		qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14);
	}
	const out = Buffer.alloc(32);
	[0, 1, 2, 3, 12, 13, 14, 15].forEach((w, i) => out.writeUInt32LE(s[w], i * 4));
	return out;
}

// Opens a manifest entry's sealed name with the ticket's token.
export function openSealed(sealed, token) {
	const key = createHash('sha256').update(payloadOf(token)).digest();
	const raw = Buffer.from(sealed, 'base64url');
	const n = raw.subarray(0, 24);
	const ct = raw.subarray(24, raw.length - 16);
	const tag = raw.subarray(raw.length - 16);
	const d = createDecipheriv('chacha20-poly1305', hchacha20(key, n.subarray(0, 16)),
	    Buffer.concat([Buffer.alloc(4), n.subarray(16)]), { authTagLength: 16 });
	d.setAAD(Buffer.from('ngan-manifest-v1'), { plaintextLength: ct.length });
	d.setAuthTag(tag);
	return JSON.parse(Buffer.concat([d.update(ct), d.final()]).toString('utf8'));
}
