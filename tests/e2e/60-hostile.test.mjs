// Hostile input against the live server (issue 7): another agency's
// organiser on every id-based route, a scanner with another event's
// ticket, forged tokens on every route, SQL metacharacters, 10 kB strings,
// invalid UTF-8, NUL bytes, out-of-range numbers, oversized headers and
// bodies, and a client that sends its body a byte a second. Every answer
// is a 4xx problem (or a closed connection where HTTP wants one) and the
// database is unchanged.
//
// New id-based routes (groups, products, partner stats...) are one line
// in CROSS_AGENCY below.

import assert from 'node:assert/strict';
import net from 'node:net';
import { before, describe, test } from 'node:test';
import { SignJWT, generateKeyPair } from 'jose';
import { api, BASE_URL, tokenFor, expectStatus, expectProblem, sql, sqlInt,
    otherOrganizer, eventDataDigest, tableCounts, eventBody, participantBody,
    PHICHIT_AGENCY, PROBLEM } from './lib.mjs';
import { runningEvent, registered, assignedScanner, checkin, rawOrApi } from './checkins-lib.mjs';

const { hostname, port } = new URL(BASE_URL);

let admin, organizer, stranger; // stranger: organiser of Phichit
let evEtag;
let ev, reg, participantId, checkinId, sessionId, scannerUser;
let otherEv, otherReg; // another running Lampang event and its registration
let group, product; // a Lampang vocational group and its product

// Everything a refused request could have touched.
function digest() {
	return [eventDataDigest(), JSON.stringify(tableCounts()), sql(`select
	    (select count(*) || ':' || coalesce(md5(string_agg(t::text, ',' order by t.id)), '') from checkin t) || '|' ||
	    (select count(*) from event_scanner) || '|' ||
	    (select count(*) || ':' || coalesce(md5(string_agg(t::text, ',' order by t.id)), '') from vocational_group t) || '|' ||
	    (select count(*) || ':' || coalesce(md5(string_agg(t::text, ',' order by t.id)), '') from product t) || '|' ||
	    (select count(*) from event_product) || ':' || (select count(*) from product_image)`)].join('#');
}

async function untouched(fn, msg) {
	const before = digest();
	const r = await fn();
	assert.equal(digest(), before, `${msg}: the database changed`);
	return r;
}

before(async () => {
	admin = await tokenFor('admin');
	organizer = await tokenFor('organizer');
	stranger = await otherOrganizer(PHICHIT_AGENCY);
	ev = await runningEvent();
	evEtag = (await api('GET', `/v1/events/${ev.id}`, { token: organizer })).headers.get('etag');
	otherEv = await runningEvent();
	reg = await registered(ev.id);
	otherReg = await registered(otherEv.id);
	participantId = sql('select participant_id from registration where id = $1::uuid', [reg.id]);
	const sc = await assignedScanner([ev.id], organizer);
	scannerUser = sc;
	const res = await checkin(sc.token, { token: reg.token, event_id: ev.id });
	assert.equal(res.status, 201, `check-in for the fixtures: ${res.text}`);
	checkinId = res.json.checkin_id ?? res.json.id ?? sql(`select id from checkin
	    where registration_id = $1::uuid limit 1`, [reg.id]);
	group = (await api('POST', '/v1/groups', { token: organizer, body: {
	    name: 'กลุ่มจักสานทดสอบ', category: 'handicraft', province_code: '52' } })).json;
	product = (await api('POST', `/v1/groups/${group.id}/products`, { token: organizer,
	    body: { name: 'ตะกร้าหวาย', price_satang: 25000, unit: 'ใบ' } })).json;
	assert.ok(group?.id && product?.id, 'group and product fixtures');
	sessionId = sql(`insert into event_session (event_id, title, kind, starts_at, ends_at)
	    select id, 'ช่วงเช้า', 'lecture', starts_at, starts_at + interval '1 hour' from event
	    where id = $1::uuid returning id`, [ev.id]);
});

// [method, path, body]: every route that names a resource of one agency by
// id. The stranger gets 403 or 404 on each and changes nothing.
const CROSS_AGENCY = [
	['PATCH', () => `/v1/events/${ev.id}`, { title: 'ยึด' }, () => ({ 'if-match': evEtag })],
	['POST', () => `/v1/events/${ev.id}/cancel`, { reason: 'ยึด' }],
	['POST', () => `/v1/events/${ev.id}/sessions`, () => ({ title: 'x', kind: 'lecture',
	    starts_at: ev.starts_at, ends_at: ev.ends_at })],
	['PATCH', () => `/v1/events/${ev.id}/sessions/${sessionId}`, { title: 'ยึด' },
	    () => ({ 'if-match': '"1"' })],
	['DELETE', () => `/v1/events/${ev.id}/sessions/${sessionId}`],
	['GET', () => `/v1/events/${ev.id}/registrations`],
	['POST', () => `/v1/events/${ev.id}/registrations`, () => ({ participant_id: participantId })],
	['GET', () => `/v1/events/${ev.id}/registrations.csv`],
	['POST', () => `/v1/events/${ev.id}/registrations/import`, 'csv'],
	['GET', () => `/v1/registrations/${reg.id}`],
	['POST', () => `/v1/registrations/${reg.id}/cancel`, {}],
	['GET', () => `/v1/registrations/${reg.id}/ticket`],
	['POST', () => `/v1/registrations/${reg.id}/ticket/reissue`, {}],
	['GET', () => `/v1/registrations/${reg.id}/qr.svg`],
	['GET', () => `/v1/registrations/${reg.id}/qr.png`],
	// A person registered only at Lampang's events (issue 14).
	['GET', () => `/v1/participants/${participantId}`],
	['GET', () => `/v1/events/${ev.id}/scanners`],
	['PUT', () => `/v1/events/${ev.id}/scanners/${scannerUser.user.id}`],
	['DELETE', () => `/v1/events/${ev.id}/scanners/${scannerUser.user.id}`],
	['POST', () => `/v1/checkins/${checkinId}/annul`, {}],
	['GET', () => `/v1/events/${ev.id}/checkins`],
	['GET', () => `/v1/events/${ev.id}/checkins/conflicts`],
	['GET', () => `/v1/events/${ev.id}/attendance`],
	['GET', () => `/v1/events/${ev.id}/scanner-manifest`],
	['PATCH', () => `/v1/groups/${group.id}`, { members_count: 1 }, () => ({ 'if-match': '"1"' })],
	['POST', () => `/v1/groups/${group.id}/products`, { name: 'ยึด', price_satang: 1, unit: 'ชิ้น' }],
	['PATCH', () => `/v1/products/${product.id}`, { price_satang: 1 }, () => ({ 'if-match': '"1"' })],
	['DELETE', () => `/v1/products/${product.id}`],
	['POST', () => `/v1/products/${product.id}/images/order`, { order: [] }],
	['DELETE', () => `/v1/products/${product.id}/images/1`],
	['PUT', () => `/v1/events/${ev.id}/products/${product.id}`],
	['DELETE', () => `/v1/events/${ev.id}/products/${product.id}`],
];

function send(method, path, token, body, headers) {
	return rawOrApi(method, path, { token, headers: headers ? headers() : undefined,
	    body: typeof body === 'function' ? body() : body });
}

describe('another agency\'s organiser, by id', () => {
	for (const [method, path, body, headers] of CROSS_AGENCY) {
		test(`${method} ${path.toString().replace(/^\(\) => `|`$/g, '')}`, async () => {
			const p = path();
			const res = await untouched(() => body === 'csv'
			    ? fetch(BASE_URL + p, { method, body: 'first_name,last_name,national_id\nก,ข,1101700230705\n',
				headers: { authorization: `Bearer ${stranger}`, 'content-type': 'text/csv' } })
				.then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }))
			    : send(method, p, stranger, body, headers), `${method} ${p}`);
			assert.ok([403, 404].includes(res.status), `${method} ${p}: ${res.status} ${res.text}`);
			assert.equal(res.headers.get('content-type')?.split(';')[0], PROBLEM);
			assert.ok(!res.text.includes(reg.display_name ?? '\u0000'), 'no personal data in the refusal');
		});
	}
	test('the owner still reads them (the table names real resources)', async () => {
		expectStatus(await rawOrApi('GET', `/v1/registrations/${reg.id}`, { token: organizer }), 200);
		expectStatus(await rawOrApi('GET', `/v1/participants/${participantId}`, { token: organizer }), 200);
		expectStatus(await rawOrApi('GET', `/v1/events/${ev.id}/attendance`, { token: organizer }), 200);
	});
});

describe('scanners and forged tokens', () => {
	test('a scanner of one event cannot check in another event\'s ticket', async () => {
		// The scan log keeps refused scans (by design); no check-in counts.
		const before = eventDataDigest();
		const res = await checkin(scannerUser.token, { token: otherReg.token, event_id: otherEv.id });
		assert.equal(res.status, 403, res.text);
		const res2 = await checkin(scannerUser.token, { token: otherReg.token, event_id: ev.id });
		assert.equal(eventDataDigest(), before);
		assert.ok(res2.status >= 400 && res2.status < 500 || res2.json?.result === 'wrong_event',
		    `${res2.status} ${res2.text}`);
		assert.equal(sqlInt(`select count(*) from checkin where registration_id = $1::uuid
		    and state = 'effective'`, [otherReg.id]), 0);
	});

	test('alg none, HS256, foreign key tokens: 401 on every id route', async () => {
		const good = organizer;
		const [h, p] = good.split('.');
		const hdr = JSON.parse(Buffer.from(h, 'base64url'));
		const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
		const claims = JSON.parse(Buffer.from(p, 'base64url'));
		const { privateKey } = await generateKeyPair('ES256');
		const forged = [
		    `${b64({ ...hdr, alg: 'none' })}.${p}.`,
		    await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: hdr.kid })
			.sign(new TextEncoder().encode('secret')),
		    await new SignJWT({ ...claims, agency_id: PHICHIT_AGENCY })
			.setProtectedHeader({ alg: 'ES256', kid: hdr.kid }).sign(privateKey),
		];
		const before = digest();
		for (const [method, path, body, headers] of CROSS_AGENCY) {
			for (const token of forged) {
				const res = await send(method, path(), token,
				    body === 'csv' ? undefined : body, headers);
				assert.equal(res.status, 401, `${method} ${path()}: ${res.text}`);
			}
		}
		assert.equal(digest(), before, 'forged tokens changed the database');
	});
});

// Strings that must be stored as text or refused, never run or crash.
const NASTY = [
	"'; drop table event; --",
	"\" or 1=1 --",
	"x' || pg_sleep(5) || '",
	'$1 $$ \\x00 %s %n %p',
	'ก'.repeat(10 * 1024),
	'a'.repeat(10 * 1024),
	'\u202e\ufeff\u0000',
];

describe('hostile values in every text field', () => {
	const textFields = {
		event: ['title', 'presiding_official'],
		participant: ['first_name', 'occupation'],
	};
	test('events: 201 stored as text, or 4xx; never 500', async () => {
		for (const f of textFields.event) {
			for (const v of NASTY) {
				const before = sqlInt('select count(*) from event');
				const res = await rawOrApi('POST', '/v1/events', { token: organizer,
				    body: eventBody({ [f]: v }) });
				assert.ok(res.status < 500, `${f}=${v.slice(0, 20)}: ${res.status} ${res.text.slice(0, 300)}`);
				if (res.status === 201) {
					assert.equal(sql(`select ${f} from event where id = $1::uuid`, [res.json.id]), v);
				} else {
					assert.ok(res.status >= 400, `${res.status}`);
					assert.equal(sqlInt('select count(*) from event'), before);
				}
			}
		}
		assert.equal(sqlInt("select count(*) from pg_tables where tablename = 'event'"), 1);
	});

	test('participants: 200 or 4xx; never 500', async () => {
		for (const f of textFields.participant) {
			for (const v of NASTY) {
				const before = sqlInt('select count(*) from participant');
				const res = await rawOrApi('POST', '/v1/participants', { token: organizer,
				    body: participantBody({ [f]: v }) });
				assert.ok(res.status < 500, `${f}=${v.slice(0, 20)}: ${res.status} ${res.text.slice(0, 300)}`);
				if (res.status !== 200)
					assert.equal(sqlInt('select count(*) from participant'), before);
			}
		}
	});

	test('invalid UTF-8, NUL bytes and out-of-range numbers: 4xx, nothing stored', async () => {
		const bodies = [
		    Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]),
		    Buffer.from('{"title":"a\u0000b"}'),
		    Buffer.from('{"title":"a\\u0000b"}'),
		    Buffer.from('{"capacity":1e400}'),
		    Buffer.from('{"capacity":99999999999999999999999}'),
		    Buffer.from('{"capacity":-1}'),
		    Buffer.from('{"capacity":2147483648}'),
		    Buffer.from(`{"quotas":[{"target_group":"youth","seats":9223372036854775807}]}`),
		];
		for (const raw of bodies) {
			for (const [m, p] of [['POST', '/v1/events'], ['PATCH', `/v1/events/${ev.id}`],
			    ['POST', '/v1/participants'], ['POST', '/v1/checkins']]) {
				const res = await untouched(() => fetch(BASE_URL + p, { method: m, body: raw,
				    headers: { authorization: `Bearer ${m === 'POST' && p === '/v1/checkins' ?
					scannerUser.token : organizer}`, 'content-type': 'application/json',
					'if-match': '"1"' } }).then(async (r) => ({ status: r.status, text: await r.text(),
					ct: r.headers.get('content-type') })), `${m} ${p}`);
				assert.ok(res.status >= 400 && res.status < 500, `${m} ${p} ${raw}: ${res.status} ${res.text}`);
				assert.equal(res.ct?.split(';')[0], PROBLEM);
			}
		}
	});

	test('query strings: SQL, bad escapes, NUL, invalid UTF-8, huge: 4xx or 200, never 500', async () => {
		for (const q of ["q=%27%3B+drop+table+event%3B--", 'q=%00', 'q=%C3%28', 'q=%', 'limit=1e9',
		    'limit=-1', 'cursor=%27', `q=${'ก'.repeat(3000)}`, 'agency=not-a-uuid', 'a=1&'.repeat(50)]) {
			// An URL past http_header_max may be cut off: a closed connection.
			const res = await untouched(() => rawOrApi('GET', `/v1/events?${q}`, { token: organizer })
			    .catch(() => ({ status: 0, text: 'closed' })), q);
			assert.ok(res.status < 500, `${q.slice(0, 40)}: ${res.status} ${res.text.slice(0, 200)}`);
		}
	});
});

// Raw HTTP over a socket: what fetch will not send.
function rawHttp(data, { timeout = 15000, slow } = {}) {
	return new Promise((resolve) => {
		const s = net.connect(Number(port), hostname);
		let out = '';
		const done = (why) => {
			s.destroy();
			resolve({ text: out, why, status: Number(out.match(/^HTTP\/1\.[01] (\d{3})/)?.[1] ?? 0) });
		};
		s.setTimeout(timeout, () => done('timeout'));
		s.on('data', (d) => { out += d.toString('latin1'); });
		s.on('end', () => done('end'));
		s.on('close', () => done('close'));
		s.on('error', () => done('error'));
		s.on('connect', async () => {
			if (!slow) {
				s.write(data);
				return;
			}
			const head = data.indexOf('\r\n\r\n') + 4;
			s.write(data.subarray(0, head));
			for (let i = head; i < data.length; i++) {
				if (s.destroyed)
					return;
				s.write(data.subarray(i, i + 1));
				await new Promise((r) => setTimeout(r, slow));
			}
		});
	});
}

describe('oversized and slow requests', () => {
	test('a header over http_header_max: 4xx or closed, the server lives', async () => {
		const res = await untouched(() => rawHttp(`GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`),
		    'big header');
		assert.ok(res.status === 0 || (res.status >= 400 && res.status < 500), `${res.status} ${res.text.slice(0, 200)}`);
		expectStatus(await api('GET', '/healthz'), 200);
	});

	test('a body over http_body_max: 413 before it is read', async () => {
		const res = await untouched(() => rawHttp(`POST /v1/events HTTP/1.1\r\nHost: x\r\n` +
		    `Authorization: Bearer ${organizer}\r\nContent-Type: application/json\r\n` +
		    `Content-Length: ${64 * 1024 * 1024}\r\n\r\n{`), 'huge body');
		assert.ok(res.status === 413 || res.status === 0, `${res.status} ${res.text.slice(0, 200)}`);
	});

	test('a body of 2 MiB on a JSON route: 413 problem', async () => {
		const res = await untouched(() => rawOrApi('POST', '/v1/participants', { token: organizer,
		    body: { first_name: 'x'.repeat(2 * 1024 * 1024) } }), '2 MiB');
		expectProblem(res, 413, 'payload-too-large');
	});

	test('a client sending its body a byte a second does not hold others up', async () => {
		const body = JSON.stringify({ name: 'ช้า', kind: 'other' });
		const buf = Buffer.from(`POST /v1/agencies HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\n` +
		    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body) + 50}\r\n\r\n${body}`);
		// Sends the headers quickly, then the (too short) body a byte a second.
		const slow = rawHttp(buf, { slow: 1000, timeout: 8000 });
		const t0 = Date.now();
		for (let i = 0; i < 20; i++)
			expectStatus(await api('GET', '/v1/me', { token: organizer, timeout: 2000 }), 200);
		assert.ok(Date.now() - t0 < 5000, 'other clients are served while one is slow');
		const res = await slow;
		assert.ok(res.status === 0 || (res.status >= 400 && res.status < 500),
		    `slow client: ${res.status} ${res.text.slice(0, 200)}`);
		assert.equal(sqlInt("select count(*) from agency where name = 'ช้า'"), 0);
	});
});
