// Issue 17, item 2: the public event page and list are served rendered
// from each worker (api/cache.c), and a change is visible on the next
// read, from any worker and any server process. Reads here go on fresh
// connections (agent: false), so both workers of both servers answer.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { api, BASE_URL, etagOf, expectStatus, openEvent, patchEvent, registerInline, sql, tokenFor, uniq } from './lib.mjs';
import { startServer } from './server-lib.mjs';

let organizer;
let second;
before(async () => {
	organizer = await tokenFor('organizer');
	second = await startServer({ PGAPPNAME: 'ngan-cache' }, 'cache');
});
after(async () => {
	await second?.stop();
});

// An anonymous GET on a new connection: {status, etag, json}.
function get(base, path, headers = {}) {
	const url = new URL(base + path);
	return new Promise((resolve, reject) => {
		http.get({ host: url.hostname, port: url.port, path: url.pathname + url.search,
		    headers, agent: false, timeout: 20000 }, (res) => {
			let text = '';
			res.setEncoding('utf8');
			res.on('data', (c) => { text += c; });
			res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text,
			    json: text ? JSON.parse(text) : null }));
		}).on('error', reject);
	});
}

// n reads on each server, one after another.
async function reads(path, n = 12) {
	const out = [];
	for (const base of [BASE_URL, second.base])
		for (let i = 0; i < n; i++)
			out.push(await get(base, path));
	return out;
}

test('after a change through the API, every next read on every worker of both servers shows it', async () => {
	const { event, etag } = await openEvent({ capacity: 50, quotas: [] });
	const path = `/v1/events/${event.id}`;
	for (const r of await reads(path))
		assert.equal(r.json.title, event.title);
	const title = `สัมมนาแก้ไข ${uniq('')}`;
	await patchEvent(event.id, { title }, { token: organizer, etag });
	for (const r of await reads(path)) {
		assert.equal(r.status, 200);
		assert.equal(r.json.title, title, 'the next read shows the new title');
	}
	expectStatus(await registerInline(event.id, { token: organizer }), 201);
	for (const r of await reads(path))
		assert.equal(r.json.counts.confirmed, 1, 'and the new count');
});

test('after a change written by another process (psql), every next read shows it; lists too', async () => {
	const { event } = await openEvent({ capacity: 50, quotas: [] });
	const day = event.starts_at.slice(0, 10);
	const list = `/v1/events?from=${day}&to=${day}&limit=100`;
	const path = `/v1/events/${event.id}`;
	await reads(path, 6);
	await reads(list, 6);
	const title = `เปลี่ยนนอกเซิร์ฟเวอร์ ${uniq('')}`;
	sql('update event set title = $2, version = version + 1, updated_at = now() where id = $1::uuid',
	    [event.id, title]);
	for (const r of await reads(path, 6))
		assert.equal(r.json.title, title);
	for (const r of await reads(list, 6))
		assert.equal(r.json.items.find((e) => e.id === event.id)?.title, title);
	// An agency's new name is in every event of it.
	const agency = sql('select agency_id from event where id = $1::uuid', [event.id]);
	const name = sql('select name from agency where id = $1::uuid', [agency]);
	sql('update agency set name = $2 where id = $1::uuid', [agency, `${name} (ทดสอบ)`]);
	try {
		for (const r of await reads(path, 6))
			assert.equal(r.json.agency_name, `${name} (ทดสอบ)`);
	} finally {
		sql('update agency set name = $2 where id = $1::uuid', [agency, name]);
	}
	for (const r of await reads(path, 6))
		assert.equal(r.json.agency_name, name);
});

test('a kept answer is the same answer: status, ETag, 304, HEAD; a token is never served from it', async () => {
	const { event } = await openEvent({ capacity: 50, quotas: [] });
	const path = `/v1/events/${event.id}`;
	const all = await reads(path, 6);
	const tags = new Set(all.map((r) => r.headers.etag));
	assert.equal(tags.size, 1, 'one ETag from every worker and both servers');
	assert.equal(new Set(all.map((r) => r.text)).size, 1, 'one body');
	const first = all[0];
	for (const base of [BASE_URL, second.base]) {
		const again = await get(base, path, { 'if-none-match': first.headers.etag });
		assert.equal(again.status, 304);
		assert.equal(again.headers.etag, first.headers.etag);
		for (const k of ['cache-control', 'vary', 'content-type'])
			assert.equal((await get(base, path)).headers[k], first.headers[k], k);
	}
	// A cancellation shows at once.
	expectStatus(await api('POST', `/v1/events/${event.id}/cancel`,
	    { token: organizer, headers: { 'if-match': await etagOf(path, organizer) } }), 200);
	for (const r of await reads(path, 6))
		assert.equal(r.json.status, 'cancelled');
	// The organiser's own read carries what anonymous readers do not get.
	const own = await get(BASE_URL, path, { authorization: `Bearer ${organizer}` });
	assert.equal(own.status, 200);
	assert.match(own.headers.vary ?? '', /authorization/i);
});
