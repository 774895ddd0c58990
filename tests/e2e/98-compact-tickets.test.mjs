// Compact tickets (issue 21, item 1): the same signed ticket in 168 QR
// alphanumeric characters (NG1: + base45 of 109 bytes, openapi.yaml
// CompactTicket). zbarimg reads every compact QR the API draws (PNG at
// several sizes, SVG rasterised here), each is QR version 7 at most; the
// compact string checks in like the JWT, and every tampered one (a bit
// flipped, another key id, another ticket's signature, another key, the
// mirrored s) is refused online (422 invalid_token, nothing recorded) and
// offline (WebCrypto ES256 with the JWKS, as a scanner app does).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, sign, webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import { api, bkk, JWT_KEY_PATH, spec, tokenFor, expectStatus, expectFieldError, sqlInt, sql,
    decodeJwt } from './lib.mjs';
import { runningEvent, registered, assignedScanner, nonce, checkin, batch, expectScan,
    foreignKey, currentKid, payloadOf, ticketKey } from './checkins-lib.mjs';

const P256_N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const COMPACT_RE = /^NG1:[0-9A-Z $%*+./:-]{164}$/;

let organizer, ev, other, scanner, jwks;
before(async () => {
	organizer = await tokenFor('organizer');
	ev = await runningEvent();
	other = await runningEvent();
	scanner = await assignedScanner([ev.id, other.id], organizer);
	jwks = expectStatus(await api('GET', '/.well-known/jwks.json'), 200).json;
});

// ------------------------------------------------------------ the format

function b45encode(bytes) {
	let out = '';
	for (let i = 0; i < bytes.length; i += 2) {
		if (i + 1 < bytes.length) {
			const n = bytes[i] * 256 + bytes[i + 1];
			out += B45[n % 45] + B45[Math.floor(n / 45) % 45] + B45[Math.floor(n / 2025)];
		} else {
			out += B45[bytes[i] % 45] + B45[Math.floor(bytes[i] / 45)];
		}
	}
	return out;
}

function b45decode(text) {
	if (text.length % 3 === 1)
		return null;
	const out = [];
	for (let i = 0; i < text.length; i += 3) {
		const d = [...text.slice(i, i + 3)].map((c) => B45.indexOf(c));
		if (d.some((x) => x < 0))
			return null;
		const n = d[0] + d[1] * 45 + (d.length === 3 ? d[2] * 2025 : 0);
		if (n > (d.length === 3 ? 65535 : 255))
			return null;
		if (d.length === 3)
			out.push(n >> 8, n & 0xff);
		else
			out.push(n);
	}
	return Buffer.from(out);
}

const hexUuid = (b) => b.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
const uuidBytes = (u) => Buffer.from(u.replace(/-/g, ''), 'hex');

// The 109 bytes of a compact ticket, and its fields.
function unpack(compact) {
	const raw = compact.startsWith('NG1:') ? b45decode(compact.slice(4)) : null;
	if (raw === null || raw.length !== 109)
		return null;
	return { raw, format: raw[0], reg: hexUuid(raw.subarray(1, 17)),
	    evt: hexUuid(raw.subarray(17, 33)), ver: raw.readUInt32BE(33),
	    kid: raw.subarray(37, 45).toString('hex'), signed: raw.subarray(0, 45),
	    sig: raw.subarray(45) };
}

const pack = (signed, sig) => `NG1:${b45encode(Buffer.concat([signed, sig]))}`;

function signedBytes({ reg, evt, ver, kid, format = 1 }) {
	const v = Buffer.alloc(4);
	v.writeUInt32BE(ver);
	return Buffer.concat([Buffer.from([format]), uuidBytes(reg), uuidBytes(evt), v,
	    Buffer.from(kid, 'hex')]);
}

// r || s with s low, as the server signs.
function es256(key, data) {
	const sig = sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
	const s = BigInt(`0x${sig.subarray(32).toString('hex')}`);
	return s <= P256_N / 2n ? sig : mirrored(sig);
}

function mirrored(sig) {
	const s = BigInt(`0x${sig.subarray(32).toString('hex')}`);
	return Buffer.concat([sig.subarray(0, 32),
	    Buffer.from((P256_N - s).toString(16).padStart(64, '0'), 'hex')]);
}

// A compact ticket signed here: with the server's key unless key is given.
async function signCompact(fields, { key } = {}) {
	const signed = signedBytes({ kid: await currentKid(), ...fields });
	return pack(signed, es256(key ?? createPrivateKey(readFileSync(JWT_KEY_PATH)), signed));
}

// What a scanner app does offline (openapi.yaml, CompactTicket): the fields
// when the ticket verifies with a key of the JWKS, else null.
async function offlineVerify(compact, keySet = jwks) {
	if (typeof compact !== 'string' || compact.length !== 168)
		return null;
	const t = unpack(compact);
	if (t === null || t.format !== 1 || t.ver < 1 || t.ver > 999999)
		return null;
	const jwk = keySet.keys.find((k) => k.kid === t.kid);
	if (!jwk || BigInt(`0x${t.sig.subarray(32).toString('hex')}`) > P256_N / 2n)
		return null;
	const key = await webcrypto.subtle.importKey('jwk',
	    { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y },
	    { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
	const ok = await webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key,
	    t.sig, t.signed);
	return ok ? { reg: t.reg, evt: t.evt, ver: t.ver } : null;
}

// ------------------------------------------------------------ QR images

function zbar(png) {
	const dir = mkdtempSync(join(tmpdir(), 'ngan-compact-'));
	try {
		const file = join(dir, 'qr.png');
		writeFileSync(file, png);
		// --raw: the data and a newline; no trim, base45 has spaces.
		return execFileSync('zbarimg', ['--raw', '-q', file], { encoding: 'utf8',
		    stdio: ['ignore', 'pipe', 'ignore'] }).replace(/\n$/, '');
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

// Reads our 1-bit greyscale PNG: width and the dark modules' count check.
function pngSize(png) {
	assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
	assert.equal(png.toString('latin1', 12, 16), 'IHDR');
	return png.readUInt32BE(16);
}

// The module grid of our SVG (viewBox and unit squares).
function svgModules(svg) {
	const [, dim] = svg.match(/viewBox="0 0 (\d+) \1"/);
	const dark = [...svg.matchAll(/M(\d+) (\d+)h1v1h-1z/g)].map((m) => [+m[1], +m[2]]);
	return { dim: +dim, dark };
}

function chunk(type, data) {
	const len = Buffer.alloc(4);
	len.writeUInt32BE(data.length);
	const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(body));
	return Buffer.concat([len, body, crc]);
}

// The SVG's modules drawn as an 8-bit greyscale PNG, scale pixels each.
function rasterise({ dim, dark }, scale = 4) {
	const px = dim * scale;
	const rows = Buffer.alloc((px + 1) * px, 0xff);
	for (let y = 0; y < px; y++)
		rows[y * (px + 1)] = 0;
	for (const [mx, my] of dark) {
		for (let y = my * scale; y < (my + 1) * scale; y++)
			rows.fill(0, y * (px + 1) + 1 + mx * scale, y * (px + 1) + 1 + (mx + 1) * scale);
	}
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(px, 0);
	ihdr.writeUInt32BE(px, 4);
	ihdr[8] = 8;
	return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
	    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

// QR version from the modules across (17 + 4 * version), quiet zone of 4.
function qrVersion(modules) {
	assert.equal((modules - 17) % 4, 0, `${modules} modules is no QR code`);
	return (modules - 17) / 4;
}

const effective = (regId) => sqlInt(`select count(*) from checkin where registration_id = $1::uuid
    and state = 'effective' and direction = 'in'`, [regId]);
const recorded = (regId) => sqlInt('select count(*) from checkin where registration_id = $1::uuid',
    [regId]);

// ------------------------------------------------------------ tests

describe('the contract\'s test vector', () => {
	test('verifies with WebCrypto and the documented JWK; the fields are as documented', async () => {
		const schema = spec.components.schemas.CompactTicket;
		const vector = schema.examples[0];
		assert.match(vector, COMPACT_RE);
		const x = 'YP7UuiVanTHJYet0xjVtaMBJuJI7Yfps5mliLmDyn7Y';
		const y = 'eQP-EAi4vJmkGunpVii8ZPLxsgwtfp9Rd6PClNRGIpk';
		assert.ok(schema.description.includes(x) && schema.description.includes(y));
		const keySet = { keys: [{ kty: 'EC', crv: 'P-256', x, y, kid: '5a7a78cca4a0f420' }] };
		assert.deepEqual(await offlineVerify(vector, keySet), {
		    reg: '3f2b8c1e-7a4d-4e8b-9c1f-2a6d5e4b3c21',
		    evt: 'e0000000-0000-4000-8000-000000000003', ver: 2 });
		const t = unpack(vector);
		assert.ok(schema.description.includes(t.sig.subarray(0, 32).toString('hex')));
		assert.ok(schema.description.includes(t.kid));
		// One bit of the signed bytes changed: no longer verifies.
		const raw = Buffer.from(t.raw);
		raw[40] ^= 1;
		assert.equal(await offlineVerify(pack(raw.subarray(0, 45), raw.subarray(45)), keySet),
		    null);
	});
});

describe('GET /v1/registrations/{id}/ticket: compact', () => {
	test('names the same ticket as the JWT, signed with the current JWKS key', async () => {
		const p = await registered(ev.id);
		const res = expectStatus(await api('GET', `/v1/registrations/${p.id}/ticket`,
		    { token: organizer }), 200);
		assert.match(res.json.compact, COMPACT_RE);
		const t = unpack(res.json.compact);
		const claims = decodeJwt(res.json.token);
		assert.equal(t.format, 1);
		assert.deepEqual([t.reg, t.evt, t.ver], [claims.payload.sub, claims.payload.evt,
		    claims.payload.ver]);
		assert.equal(t.reg, p.id);
		assert.equal(t.kid, claims.header.kid);
		assert.equal(t.kid, jwks.keys[0].kid);
		assert.deepEqual(await offlineVerify(res.json.compact), { reg: p.id, evt: ev.id, ver: 1 });
		// A hand-made one with the server's key is read the same way.
		const mine = await signCompact({ reg: p.id, evt: ev.id, ver: 1 });
		assert.deepEqual(await offlineVerify(mine), { reg: p.id, evt: ev.id, ver: 1 });
	});
});

describe('the scanner manifest and a compact ticket', () => {
	test('a scanner rebuilds the JWT payload from the compact fields and finds the entry', async () => {
		const p = await registered(ev.id);
		const compact = expectStatus(await api('GET', `/v1/registrations/${p.id}/ticket`,
		    { token: organizer }), 200).json.compact;
		const t = await offlineVerify(compact);
		// The payload segment the server signs: sorted keys, no spaces.
		const payload = Buffer.from(JSON.stringify({ aud: 'ngan-ticket', evt: t.evt, iss: 'ngan',
		    sub: t.reg, ver: t.ver })).toString('base64url');
		assert.equal(payload, payloadOf(p.token));
		const m = expectStatus(await api('GET', `/v1/events/${ev.id}/scanner-manifest`,
		    { token: scanner.token }), 200).json;
		const key = ticketKey(m.manifest_key, `-.${payload}.-`);
		const entry = m.entries.find((x) => x.ticket_key === key);
		assert.ok(entry, 'found by the rebuilt payload');
		assert.equal(entry.version, t.ver);
	});
});

describe('QR codes with ?format=compact', () => {
	test('PNG at 2, 3, 6 and 8 pixels a module: zbarimg reads a verifying compact ticket, version <= 7',
	    async () => {
		const p = await registered(ev.id);
		for (const size of [2, 3, 6, 8]) {
			const res = expectStatus(await api('GET',
			    `/v1/registrations/${p.id}/qr.png?format=compact&size=${size}`,
			    { token: organizer }), 200);
			assert.match(res.headers.get('content-type'), /^image\/png/);
			const px = pngSize(res.bytes);
			assert.equal(px % size, 0);
			const version = qrVersion(px / size - 8);
			assert.ok(version >= 1 && version <= 7, `QR version ${version}`);
			const text = zbar(res.bytes);
			assert.match(text, COMPACT_RE, `size ${size}`);
			// Read exactly: one character off and the signature fails.
			assert.deepEqual(await offlineVerify(text), { reg: p.id, evt: ev.id, ver: 1 });
		}
		// The JWT form, for comparison, is far larger.
		// (zbarimg often misses codes of one pixel a module: 2 and up.)
		const jwt = expectStatus(await api('GET',
		    `/v1/registrations/${p.id}/qr.png?format=jwt&size=2`, { token: organizer }), 200);
		assert.ok(qrVersion(pngSize(jwt.bytes) / 2 - 8) > 7);
		assert.equal(decodeJwt(zbar(jwt.bytes)).payload.sub, p.id);
	});

	test('SVG: 45 x 45 modules at most; rasterised, zbarimg reads it and it checks in', async () => {
		const p = await registered(ev.id);
		const res = expectStatus(await api('GET',
		    `/v1/registrations/${p.id}/qr.svg?format=compact&size=400`, { token: organizer }), 200);
		assert.match(res.headers.get('content-type'), /^image\/svg\+xml/);
		const grid = svgModules(res.text);
		const version = qrVersion(grid.dim - 8);
		assert.ok(version <= 7, `QR version ${version}`);
		assert.ok(grid.dark.every(([x, y]) => x >= 4 && y >= 4 && x < grid.dim - 4 &&
		    y < grid.dim - 4));
		const text = zbar(rasterise(grid));
		assert.match(text, COMPACT_RE);
		assert.deepEqual(await offlineVerify(text), { reg: p.id, evt: ev.id, ver: 1 });
		const body = expectScan(await checkin(scanner.token, { token: text, event_id: ev.id }),
		    201, 'checked_in');
		assert.equal(body.registration_id, p.id);
		assert.equal(effective(p.id), 1);
	});

	test('?format= other than jwt or compact: 422 naming format', async () => {
		const p = await registered(ev.id);
		for (const path of ['qr.svg', 'qr.png']) {
			for (const f of ['COMPACT', 'base45', ''])
				expectFieldError(await api('GET', `/v1/registrations/${p.id}/${path}?format=${f}`,
				    { token: organizer }), 'format', 'enum');
		}
	});
});

describe('POST /v1/checkins with a compact ticket', () => {
	test('checks in as the JWT would: 201, then already_checked_in, the nonce replayed', async () => {
		const p = await registered(ev.id);
		const compact = expectStatus(await api('GET', `/v1/registrations/${p.id}/ticket`,
		    { token: organizer }), 200).json.compact;
		const n = nonce();
		const res = await checkin(scanner.token, { token: compact, event_id: ev.id, nonce: n,
		    device_id: 'gate-c' });
		const first = expectScan(res, 201, 'checked_in');
		assert.equal(first.registration_id, p.id);
		assert.equal(sql(`select state || '|' || result || '|' || ticket_version
		    from checkin where id = $1::uuid`, [first.checkin_id]), 'effective|checked_in|1');
		const again = await checkin(scanner.token, { token: compact, event_id: ev.id, nonce: n,
		    device_id: 'gate-c' });
		assert.equal(again.status, 200);
		assert.equal(again.text, res.text, 'byte for byte');
		assert.equal(again.headers.get('idempotent-replayed'), 'true');
		// The JWT of the same ticket: already in.
		expectScan(await checkin(scanner.token, { token: p.token, event_id: ev.id }), 409,
		    'already_checked_in');
		assert.equal(effective(p.id), 1);
	});

	test('another event: 403 wrong_event; reissued: 410 ticket_revoked, the new one 201', async () => {
		const p = await registered(ev.id);
		const old = expectStatus(await api('GET', `/v1/registrations/${p.id}/ticket`,
		    { token: organizer }), 200).json.compact;
		expectScan(await checkin(scanner.token, { token: old, event_id: other.id }), 403,
		    'wrong_event');
		const re = expectStatus(await api('POST', `/v1/registrations/${p.id}/ticket/reissue`,
		    { token: organizer }), 200);
		assert.equal(unpack(re.json.compact).ver, 2);
		expectScan(await checkin(scanner.token, { token: old, event_id: ev.id }), 410,
		    'ticket_revoked');
		expectScan(await checkin(scanner.token, { token: re.json.compact, event_id: ev.id }), 201,
		    'checked_in');
	});

	test('signed with our key but naming no registration: 404 unknown_ticket', async () => {
		const p = await registered(ev.id);
		const newer = await signCompact({ reg: p.id, evt: ev.id, ver: 7 });
		expectScan(await checkin(scanner.token, { token: newer, event_id: ev.id }), 404,
		    'unknown_ticket');
		assert.equal(effective(p.id), 0);
	});
});

describe('tampered compact tickets: refused online and offline', () => {
	let p, q, genuine, cases;
	before(async () => {
		p = await registered(ev.id);
		q = await registered(ev.id);
		genuine = expectStatus(await api('GET', `/v1/registrations/${p.id}/ticket`,
		    { token: organizer }), 200).json.compact;
		const theirs = unpack(expectStatus(await api('GET', `/v1/registrations/${q.id}/ticket`,
		    { token: organizer }), 200).json.compact);
		const t = unpack(genuine);
		const flipByte = (i, bit) => {
			const raw = Buffer.from(t.raw);
			raw[i] ^= 1 << bit;
			return pack(raw.subarray(0, 45), raw.subarray(45));
		};
		cases = {
		    'format byte': flipByte(0, 1),
		    'registration bit': flipByte(5, 0),
		    'registration: the other person': pack(signedBytes({ reg: q.id, evt: ev.id, ver: 1,
			kid: t.kid }), t.sig),
		    'event bit': flipByte(20, 7),
		    'version bit': flipByte(36, 1),
		    'key id bit': flipByte(40, 3),
		    'wrong key id': pack(signedBytes({ reg: p.id, evt: ev.id, ver: 1,
			kid: '0123456789abcdef' }), t.sig),
		    'r bit': flipByte(50, 2),
		    's bit': flipByte(100, 4),
		    'last byte': flipByte(108, 0),
		    'signature of another ticket': pack(t.signed, theirs.sig),
		    'mirrored s (n - s)': pack(t.signed, mirrored(t.sig)),
		    'another server\'s key': await signCompact({ reg: p.id, evt: ev.id, ver: 1 },
			{ key: foreignKey() }),
		    'format 2, our key': await signCompact({ reg: p.id, evt: ev.id, ver: 1, format: 2 }),
		    'version 0, our key': await signCompact({ reg: p.id, evt: ev.id, ver: 0 }),
		    'a character bit': `${genuine.slice(0, 80)}${String.fromCharCode(
			genuine.charCodeAt(80) ^ 1)}${genuine.slice(81)}`,
		    'lower case': genuine.toLowerCase(),
		    'NG2 prefix': `NG2:${genuine.slice(4)}`,
		    'one character short': genuine.slice(0, -1),
		    'one character more': `${genuine}0`,
		};
		for (const [name, token] of Object.entries(cases))
			assert.notEqual(token, genuine, name);
	});

	test('offline: WebCrypto with the JWKS accepts the genuine one and none of the others', async () => {
		assert.deepEqual(await offlineVerify(genuine), { reg: p.id, evt: ev.id, ver: 1 });
		for (const [name, token] of Object.entries(cases))
			assert.equal(await offlineVerify(token), null, name);
		// WebCrypto alone takes the mirrored s: the low-s rule is what refuses it.
		const t = unpack(cases['mirrored s (n - s)']);
		const jwk = jwks.keys.find((k) => k.kid === t.kid);
		const key = await webcrypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256',
		    x: jwk.x, y: jwk.y }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
		assert.equal(await webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key,
		    t.sig, t.signed), true);
	});

	test('online: each 422 invalid_token naming no one, nothing checked in', async () => {
		for (const [name, token] of Object.entries(cases)) {
			const body = expectScan(await checkin(scanner.token, { token, event_id: ev.id }), 422,
			    'invalid_token', name);
			assert.equal(body.participant, null, name);
			assert.equal(body.registration_id, null, name);
		}
		assert.equal(effective(p.id), 0);
		assert.equal(effective(q.id), 0);
		assert.equal(recorded(p.id) + recorded(q.id), 0);
	});

	test('batch: the tampered ones invalid_token, the genuine one checked in', async () => {
		const tampered = Object.values(cases).slice(0, 8);
		const res = expectStatus(await batch(scanner.token, [...tampered, genuine].map((token) =>
		    ({ token, event_id: ev.id, scanned_at: bkk(Date.now() - 60000),
			device_id: 'offline-c' }))), 200);
		const results = res.json.results.map((r) => r.result);
		assert.deepEqual(results, [...tampered.map(() => 'invalid_token'), 'checked_in']);
		assert.equal(effective(p.id), 1);
		assert.equal(effective(q.id), 0);
	});
});

// At one pixel a module the image is the module grid itself.
test('the compact PNG at size 1: a 1-bit image, 45 x 45 modules at most', async () => {
	const p = await registered(ev.id);
	const res = expectStatus(await api('GET', `/v1/registrations/${p.id}/qr.png?format=compact&size=1`,
	    { token: organizer }), 200);
	const px = pngSize(res.bytes);
	assert.equal(res.bytes[24], 1);
	const idat = res.bytes.indexOf(Buffer.from('IDAT'));
	const len = res.bytes.readUInt32BE(idat - 4);
	const rows = inflateSync(res.bytes.subarray(idat + 4, idat + 4 + len));
	assert.equal(rows.length, (Math.ceil(px / 8) + 1) * px);
	assert.ok(qrVersion(px - 8) <= 7);
});
