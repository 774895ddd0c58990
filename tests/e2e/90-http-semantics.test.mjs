// Issue 15, item 3: HTTP semantics as RFC 9110 writes them, read off raw
// responses (node's http module: every header line as sent).
//
// - HEAD on every GET path of openapi.yaml (real ids): the status and
//   headers of GET, no body.
// - No header twice, on any of those answers nor on writes, problems,
//   304s, 412s, preflights.
// - Every GET that sends an ETag answers 304 to a matching If-None-Match
//   (weak comparison, lists, *), with the ETag, Cache-Control and Vary of
//   the 200 and no body.
// - An ETag changes whenever the representation does (an event's counts
//   move with each registration) and differs whenever two bodies differ
//   (role, language).
// - If-Match compares strongly (W/"..." never matches), * matches the
//   current representation, a stale tag is a 412 problem that changes
//   nothing.

import assert from 'node:assert/strict';
import http from 'node:http';
import { before, test } from 'node:test';
import { api, tokenFor, expectStatus, sql, sqlInt, spec, BASE_URL, validateResponse, LAMPANG_AGENCY,
    otherOrganizer, uniq, registerInline, participantBody, sha256Hex, waitFor } from './lib.mjs';
import { provenPerson, publicEvent } from './self-lib.mjs';
import { checkin, runningEvent, registered } from './checkins-lib.mjs';
import { partner } from './partner-lib.mjs';
import { png } from './images-lib.mjs';

const base = new URL(BASE_URL);
const ORIGIN = `http://127.0.0.1:${process.env.NGAN_TEST_ORIGIN_PORT}`;

// One request, the answer as sent: status, header lines, body bytes.
function raw(method, path, headers = {}, body) {
	const payload = body === undefined ? undefined :
	    Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
	return new Promise((resolve, reject) => {
		const req = http.request({ host: base.hostname, port: base.port, path, method,
		    headers: payload !== undefined ? { 'content-type': 'application/json',
			'content-length': payload.length, ...headers } : headers,
		    agent: false, timeout: 20000 }, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => {
				const names = [];
				for (let i = 0; i < res.rawHeaders.length; i += 2)
					names.push(res.rawHeaders[i].toLowerCase());
				const out = { status: res.statusCode, names, headers: res.headers,
				    body: Buffer.concat(chunks), text: Buffer.concat(chunks).toString('utf8') };
				// Checked against openapi.yaml like every answer (not
				// preflights, which it leaves out).
				if (method !== 'OPTIONS') {
					const h = new Headers();
					for (let i = 0; i < res.rawHeaders.length; i += 2)
						h.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
					let json;
					try {
						json = JSON.parse(out.text);
					} catch {
						json = undefined;
					}
					try {
						validateResponse(method, path, { status: out.status, headers: h, text: out.text, json });
					} catch (e) {
						reject(e);
						return;
					}
				}
				resolve(out);
			});
		});
		req.on('error', reject);
		req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
		if (payload !== undefined)
			req.write(payload);
		req.end();
	});
}

const auth = (token) => (token ? { authorization: `Bearer ${token}` } : {});

// Every header name once.
function once(res, what) {
	const seen = new Set();
	const twice = res.names.filter((n) => (seen.has(n) ? true : (seen.add(n), false)));
	assert.deepEqual(twice, [], `${what}: headers sent twice: ${twice.join(', ')} (${res.names.join(', ')})`);
}

let admin, organizer, ev, reg, certCode, ticketCode, jobId, linkToken, participantId, group, product, imageN, client, partnerToken, meId;
let participantToken;
before(async () => {
	admin = await tokenFor('admin');
	organizer = await tokenFor('organizer');
	ev = await runningEvent();
	reg = await registered(ev.id);
	// Checked in, so the registration qualifies and has a certificate
	// (GET /v1/registrations/{id}/certificate.pdf).
	assert.equal((await checkin(organizer, { token: reg.token, event_id: ev.id, direction: 'in' })).status, 201);
	certCode = expectStatus(await api('POST', `/v1/registrations/${reg.id}/certificate`, { token: organizer }),
	    201).json.short_code;
	// A short ticket link as a text message carries it (GET /v1/t?c=):
	// made here as the delivery makes it, its hash stored.
	ticketCode = `h${randomCode(11)}`;
	sql(`insert into ticket_link (code_hash, registration_id, ticket_version)
	    select decode($1, 'hex'), id, ticket_version from registration where id = $2`,
	    [sha256Hex(ticketCode), reg.id]);
	// The event's certificates as a ZIP, built in the background.
	jobId = expectStatus(await api('POST', `/v1/events/${ev.id}/certificates/zip`,
	    { token: organizer }), 202).json.id;
	assert.ok(await waitFor(async () => expectStatus(await api('GET', `/v1/jobs/${jobId}`,
	    { token: organizer }), 200).json.state === 'done', { timeout: 60000, interval: 250 }),
	    'the certificate ZIP is built');
	// The participant's own routes (/v1/my/...) take a ticket link.
	linkToken = expectStatus(await api('GET', `/v1/registrations/${reg.id}/ticket`, { token: organizer }),
	    200).json.link_token;
	participantId = expectStatus(await api('GET', `/v1/registrations/${reg.id}`, { token: organizer }),
	    200).json.participant_id;
	// What is held about a person takes a token proven by a code.
	participantToken = (await provenPerson(await publicEvent())).token;
	meId = expectStatus(await api('GET', '/v1/me', { token: admin }), 200).json.id;
	group = expectStatus(await api('POST', '/v1/groups', { token: organizer, body: {
	    name: uniq('กลุ่มเอชทีทีพี'), category: 'handicraft', province_code: '52' } }), 201).json;
	product = expectStatus(await api('POST', `/v1/groups/${group.id}/products`, { token: organizer,
	    body: { name: 'ผ้าทอ', price_satang: 15000, unit: 'ผืน' } }), 201).json;
	imageN = expectStatus(await api('POST', `/v1/products/${product.id}/images`, { token: organizer,
	    raw: png(20, 10), headers: { 'content-type': 'image/png' } }), 201).json.n;
	({ client, token: partnerToken } = await partner());
});

// n lowercase letters and digits, as a ticket link's code is made.
function randomCode(n) {
	const abc = 'abcdefghijklmnopqrstuvwxyz234567';
	return Array.from({ length: n }, () => abc[Math.floor(Math.random() * abc.length)]).join('');
}

// A real path for each GET template, and who may read it.
function concrete(template) {
	const fill = {
	    '/v1/agencies/{id}': LAMPANG_AGENCY,
	    '/v1/users/{id}': meId,
	    '/v1/participants/{id}': participantId,
	    '/v1/groups/{id}': group.id,
	    '/v1/products/{id}': product.id,
	    '/v1/partner-clients/{id}': client.id,
	    '/v1/jobs/{id}': jobId,
	};
	let id = fill[template] ?? Object.entries(fill).find(([t]) => template.startsWith(`${t}/`))?.[1];
	if (template.startsWith('/v1/events/{id}'))
		id = ev.id;
	if (template.startsWith('/v1/registrations/{id}'))
		id = reg.id;
	let path = template.replace('{id}', id).replace('{n}', String(imageN));
	if (template === '/v1/certificates/verify')
		path += `?code=${encodeURIComponent(certCode)}`;
	if (template === '/v1/t')
		path += `?c=${ticketCode}`;
	// Statistics, the feed and webhooks are a partner client's.
	let token = template.startsWith('/v1/stats/') || template.startsWith('/v1/feed/') ||
	    template.startsWith('/v1/webhooks') ? partnerToken : admin;
	if (template.startsWith('/v1/my/'))
		token = template.startsWith('/v1/my/personal-data') ? participantToken : linkToken;
	return { path, token };
}

const getTemplates = () => Object.keys(spec.paths).filter((t) => spec.paths[t].get);

// Headers whose value may differ between two answers of one resource.
const VOLATILE = new Set(['x-request-id', 'date', 'content-length', 'etag']);

test('HEAD on every GET path: the same status and headers, no body; no header twice', async () => {
	const templates = getTemplates();
	assert.ok(templates.length >= 40, `GET paths in openapi.yaml: ${templates.length}`);
	for (const template of templates) {
		const { path, token } = concrete(template);
		const get = await raw('GET', path, auth(token));
		assert.equal(get.status, 200, `GET ${path}: ${get.text.slice(0, 300)}`);
		const head = await raw('HEAD', path, auth(token));
		const again = await raw('GET', path, auth(token));
		once(get, `GET ${path}`);
		once(head, `HEAD ${path}`);
		assert.equal(head.status, get.status, `HEAD ${path}: status`);
		assert.equal(head.body.length, 0, `HEAD ${path}: no body`);
		assert.deepEqual([...head.names].sort(), [...get.names].sort(), `HEAD ${path}: header names`);
		for (const name of get.names) {
			if (!VOLATILE.has(name))
				assert.equal(head.headers[name], get.headers[name], `HEAD ${path}: ${name}`);
		}
		// Where two GETs agree, HEAD says the same length and tag.
		for (const name of ['content-length', 'etag']) {
			if (get.headers[name] === again.headers[name])
				assert.equal(head.headers[name], get.headers[name], `HEAD ${path}: ${name}`);
		}
		assert.equal(Number(head.headers['content-length']), Number(get.headers['content-length']) ===
		    Number(again.headers['content-length']) ? get.body.length : Number(head.headers['content-length']),
		    `HEAD ${path}: Content-Length is the length of the GET body`);
	}
});

test('every GET that sends an ETag answers 304 to a matching If-None-Match (weak, lists, *)', async () => {
	const tagged = [];
	for (const template of getTemplates()) {
		const { path, token } = concrete(template);
		const get = await raw('GET', path, auth(token));
		assert.equal(get.status, 200, `GET ${path}`);
		const etag = get.headers.etag;
		if (!etag)
			continue;
		tagged.push(template);
		assert.match(etag, /^"[\x21\x23-\x7e]*"$/, `${path}: a strong ETag: ${etag}`);
		for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, `W/"nope",W/${etag}`, '*']) {
			for (const method of ['GET', 'HEAD']) {
				const res = await raw(method, path, { ...auth(token), 'if-none-match': inm });
				assert.equal(res.status, 304, `${method} ${path} If-None-Match: ${inm}: ${res.status} ${res.text.slice(0, 200)}`);
				assert.equal(res.body.length, 0, `${path}: a 304 has no body`);
				once(res, `304 ${path}`);
				assert.equal(res.headers.etag, etag, `${path}: the 304 names the ETag`);
				assert.equal(res.headers['cache-control'], get.headers['cache-control'], `${path}: 304 Cache-Control`);
				assert.equal(res.headers.vary, get.headers.vary, `${path}: 304 Vary`);
				assert.equal(res.headers['content-type'], undefined, `${path}: a 304 has no Content-Type`);
			}
		}
		for (const inm of ['"nope"', `W/"x${etag.slice(1)}`, 'garbage']) {
			const res = await raw('GET', path, { ...auth(token), 'if-none-match': inm });
			assert.equal(res.status, 200, `${path} If-None-Match: ${inm}`);
			assert.equal(res.headers.etag, etag);
		}
	}
	for (const t of ['/v1/events/{id}', '/v1/users/{id}', '/v1/agencies/{id}', '/v1/registrations/{id}',
	    '/v1/products/{id}', '/v1/groups/{id}', '/v1/participants/{id}', '/v1/partner-clients/{id}'])
		assert.ok(tagged.includes(t), `${t} sends an ETag`);
});

test('an event\'s ETag changes with its counts; a cache holding the old one gets the new counts', async () => {
	const path = `/v1/events/${ev.id}`;
	const first = await raw('GET', path, auth(organizer));
	assert.equal(first.status, 200);
	const before = JSON.parse(first.text);
	expectStatus(await registerInline(ev.id, { token: organizer }), 201);
	const second = await raw('GET', path, auth(organizer));
	const after = JSON.parse(second.text);
	assert.equal(after.counts.confirmed, before.counts.confirmed + 1, 'the counts moved');
	assert.notEqual(second.headers.etag, first.headers.etag, 'so did the ETag');
	const revalidated = await raw('GET', path, { ...auth(organizer), 'if-none-match': first.headers.etag });
	assert.equal(revalidated.status, 200, 'the old tag no longer matches');
	assert.deepEqual(JSON.parse(revalidated.text).counts, after.counts);
	assert.equal(revalidated.headers.etag, second.headers.etag);
});

test('two different bodies never share an ETag (roles, languages); Vary names what they vary by', async () => {
	const other = await otherOrganizer();
	const scanner = await tokenFor('scanner');
	const tokens = [admin, organizer, other, scanner, undefined];
	for (const template of getTemplates()) {
		const { path, token } = concrete(template);
		const seen = new Map();
		const byLang = {};
		for (const t of [token, ...tokens]) {
			for (const lang of ['th', 'en']) {
				const res = await raw('GET', path, { ...auth(t), 'accept-language': lang });
				if (res.status !== 200 || !res.headers.etag)
					continue;
				const tag = res.headers.etag;
				const body = res.body.toString('base64');
				if (seen.has(tag))
					assert.equal(seen.get(tag), body, `${path}: one ETag ${tag}, two bodies`);
				seen.set(tag, body);
				if (t === token)
					byLang[lang] = res;
			}
		}
		if (byLang.th && byLang.en && !byLang.th.body.equals(byLang.en.body))
			assert.match(byLang.th.headers.vary ?? '', /accept-language/i, `${path}: the body follows Accept-Language`);
	}
});

// CI once saw one attendance tag on two bodies a second apart: the tag
// held for the minute while generated_at moved with the clock.
test('one attendance ETag is one body as the clock moves', async () => {
	const running = await runningEvent({}, organizer);
	await registered(running.id, { token: organizer });
	for (const id of [running.id, ev.id]) {
		const path = `/v1/events/${id}/attendance`;
		const seen = [];
		for (let i = 0; i < 3; i++) {
			if (i > 0)
				await new Promise((r) => setTimeout(r, 1100));
			const res = await raw('GET', path, auth(organizer));
			assert.equal(res.status, 200, `${path}: ${res.text}`);
			seen.push(res);
		}
		let same = 0;
		for (let i = 1; i < seen.length; i++) {
			if (seen[i].headers.etag !== seen[i - 1].headers.etag)
				continue;
			same++;
			assert.equal(seen[i].text, seen[i - 1].text, `${path}: one ETag, two bodies`);
		}
		assert.ok(same >= 1, `${path}: the tag holds while nothing changes (a minute turns at most once)`);
	}
});

const eventVersion = (id) => sqlInt('select version from event where id = $1::uuid', [id]);

test('If-Match: strong comparison, * matches, a stale tag is a 412 problem that changes nothing', async () => {
	const path = `/v1/events/${ev.id}`;
	const cur = await raw('GET', path, auth(organizer));
	const etag = cur.headers.etag;
	const v0 = eventVersion(ev.id);
	const patch = (ifMatch, body = { title: `สัมมนา ${uniq('')}` }) =>
	    raw('PATCH', path, { ...auth(organizer), ...(ifMatch !== undefined ? { 'if-match': ifMatch } : {}) }, body);

	// Weak tags never match If-Match.
	let res = await patch(`W/${etag}`);
	assert.equal(res.status, 412, `W/ tag: ${res.text}`);
	assert.equal(res.headers['content-type'], 'application/problem+json');
	assert.equal(JSON.parse(res.text).type, 'urn:ngan:problem:precondition-failed');
	once(res, '412');
	assert.equal(eventVersion(ev.id), v0, 'a 412 changes nothing');
	res = await patch('"nope"');
	assert.equal(res.status, 412);
	res = await patch(`"${v0}"`);
	assert.equal(res.status, 412, 'the bare row version is not the representation\'s tag');
	assert.equal(eventVersion(ev.id), v0);
	res = await patch(undefined);
	assert.equal(res.status, 428, 'no If-Match: 428 as before');

	// The current tag, alone or in a list.
	res = await patch(`"nope", ${etag}`);
	assert.equal(res.status, 200, `a list naming the current tag: ${res.text}`);
	once(res, 'PATCH 200');
	assert.equal(eventVersion(ev.id), v0 + 1);
	const afterPatch = res.headers.etag;
	const got = await raw('GET', path, auth(organizer));
	assert.equal(got.headers.etag, afterPatch, 'the PATCH answer carries the tag GET gives');
	res = await patch(etag);
	assert.equal(res.status, 412, 'the tag read before the change is stale');
	assert.equal(eventVersion(ev.id), v0 + 1);

	// Another registration changes the representation: its old tag is stale.
	expectStatus(await registerInline(ev.id, { token: organizer }), 201);
	res = await patch(afterPatch);
	assert.equal(res.status, 412, 'counts changed since: 412');
	assert.equal(eventVersion(ev.id), v0 + 1);

	// * matches whatever is current.
	res = await patch('*');
	assert.equal(res.status, 200, `If-Match: * ${res.text}`);
	assert.equal(eventVersion(ev.id), v0 + 2);
	// ... but not a resource that is not there.
	res = await raw('PATCH', '/v1/events/00000000-0000-4000-8000-000000000000',
	    { ...auth(organizer), 'if-match': '*' }, { title: 'x' });
	assert.equal(res.status, 404);
});

test('If-Match on the other writes: users, groups, products, partner clients, sessions, DELETE', async () => {
	// PATCH with the tag GET gave, then with the weak form of the new one.
	const cases = [
	    [`/v1/products/${product.id}`, organizer, { name: 'ผ้าทอมือ' }],
	    [`/v1/groups/${group.id}`, organizer, { name: uniq('กลุ่มใหม่') }],
	    [`/v1/partner-clients/${client.id}`, admin, { name: `พันธมิตร ${uniq('')}` }],
	    [`/v1/users/${meId}`, admin, { display_name: 'ผู้ดูแล' }],
	];
	for (const [path, token, body] of cases) {
		const tag = (await raw('GET', path, auth(token))).headers.etag;
		let res = await raw('PATCH', path, { ...auth(token), 'if-match': tag }, body);
		assert.equal(res.status, 200, `PATCH ${path} with the current tag: ${res.text}`);
		const now = (await raw('GET', path, auth(token))).headers.etag;
		assert.equal(res.headers.etag, now, `${path}: the PATCH answer's tag is GET's`);
		res = await raw('PATCH', path, { ...auth(token), 'if-match': `W/${now}` }, body);
		assert.equal(res.status, 412, `PATCH ${path} with W/: ${res.text}`);
		res = await raw('PATCH', path, { ...auth(token), 'if-match': tag }, body);
		assert.equal(res.status, 412, `PATCH ${path} with the old tag`);
		res = await raw('PATCH', path, { ...auth(token), 'if-match': '*' }, body);
		assert.equal(res.status, 200, `PATCH ${path} with *: ${res.text}`);
	}

	// Sessions: no GET shows one; the tag is its version, compared strongly.
	const s = await raw('POST', `/v1/events/${ev.id}/sessions`, auth(organizer), {
	    title: 'ช่วงเช้า', kind: 'lecture', starts_at: ev.starts_at, ends_at: ev.ends_at });
	assert.equal(s.status, 201, s.text);
	const sid = JSON.parse(s.text).id;
	const spath = `/v1/events/${ev.id}/sessions/${sid}`;
	let res = await raw('PATCH', spath, { ...auth(organizer), 'if-match': `W/${s.headers.etag}` }, { title: 'ช่วงบ่าย' });
	assert.equal(res.status, 412, `session W/: ${res.text}`);
	res = await raw('PATCH', spath, { ...auth(organizer), 'if-match': s.headers.etag }, { title: 'ช่วงบ่าย' });
	assert.equal(res.status, 200, res.text);
	res = await raw('PATCH', spath, { ...auth(organizer), 'if-match': s.headers.etag }, { title: 'ช่วงเย็น' });
	assert.equal(res.status, 412, 'the session tag read before is stale');
	res = await raw('PATCH', spath, { ...auth(organizer), 'if-match': '*' }, { title: 'ช่วงเย็น' });
	assert.equal(res.status, 200, `session *: ${res.text}`);
	assert.equal(sql('select title from event_session where id = $1::uuid', [sid]), 'ช่วงเย็น');

	// An image's tag is the SHA-256 of its bytes; DELETE holds to it too.
	const img = expectStatus(await api('POST', `/v1/products/${product.id}/images`, { token: organizer,
	    raw: png(12, 12, 7), headers: { 'content-type': 'image/png' } }), 201).json;
	const ipath = `/v1/products/${product.id}/images/${img.n}`;
	res = await raw('DELETE', ipath, { ...auth(organizer), 'if-match': `W/${img.etag}` });
	assert.equal(res.status, 412, `image DELETE with W/: ${res.text}`);
	assert.equal((await raw('GET', ipath)).status, 200, 'the image is still there');
	res = await raw('DELETE', ipath, { ...auth(organizer), 'if-match': `"x", ${img.etag}` });
	assert.equal(res.status, 204, `image DELETE with its tag: ${res.text}`);

	// DELETE with a tag that is not the current one: 412, still there.
	const p2 = expectStatus(await api('POST', `/v1/groups/${group.id}/products`, { token: organizer,
	    body: { name: 'ตะกร้า', price_satang: 9000, unit: 'ใบ' } }), 201).json;
	const ppath = `/v1/products/${p2.id}`;
	const tag = (await raw('GET', ppath, auth(organizer))).headers.etag;
	res = await raw('DELETE', ppath, { ...auth(organizer), 'if-match': `W/${tag}` });
	assert.equal(res.status, 412, `DELETE with W/: ${res.text}`);
	assert.equal(JSON.parse(res.text).type, 'urn:ngan:problem:precondition-failed');
	res = await raw('GET', ppath, auth(organizer));
	assert.equal(res.status, 200, 'still there');
	res = await raw('DELETE', ppath, { ...auth(organizer), 'if-match': tag });
	assert.equal(res.status, 204, `DELETE with the current tag: ${res.text}`);
	once(res, 'DELETE 204');
});

test('no header twice on writes, problems, preflights and CORS answers', async () => {
	const answers = [
	    ['POST', `/v1/events/${ev.id}/registrations`, { ...auth(organizer), origin: ORIGIN, 'accept-language': 'en' },
		{ participant: participantBody() }],
	    ['GET', `/v1/events/${ev.id}/attendance`, { ...auth(organizer), origin: ORIGIN, 'accept-language': 'en' }],
	    ['GET', `/v1/events/${ev.id}`, { origin: ORIGIN }],
	    ['GET', '/v1/events?limit=2', { origin: ORIGIN }],
	    ['OPTIONS', `/v1/events/${ev.id}`, { origin: ORIGIN, 'access-control-request-method': 'PATCH' }],
	    ['GET', '/nowhere', { origin: ORIGIN }],
	    ['DELETE', '/v1/events', { origin: ORIGIN }],
	    ['GET', '/v1/me', {}],
	    ['POST', '/v1/auth/token', { origin: ORIGIN }, { grant_type: 'password', username: 'x', password: 'y' }],
	    ['POST', '/v1/checkins', { ...auth(organizer), origin: ORIGIN, 'accept-language': 'en' },
		{ event_id: ev.id, token: 'x', nonce: uniq('n') }],
	    ['GET', `/v1/registrations/${reg.id}/ticket`, { ...auth(organizer), origin: ORIGIN }],
	    ['GET', `/v1/products/${product.id}/images/${imageN}`, { origin: ORIGIN }],
	];
	for (const [method, path, headers, body] of answers) {
		const res = await raw(method, path, headers, body);
		assert.ok(res.status < 500, `${method} ${path}: ${res.status}`);
		once(res, `${method} ${path} -> ${res.status}`);
	}
});
