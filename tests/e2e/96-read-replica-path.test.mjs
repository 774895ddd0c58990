// Partner reads in three steps (issue 17, item 6; sql/api/audit.sql):
// the partner data tests (the feed and its concurrency, rate limits and
// the audit) run again against a second server whose
// NGAN_READ_DATABASE_URL names a database, so every statistics and feed
// read takes the gate on the primary, the read on the "replica" and the
// audit on the primary. The replica here is the suite's database itself
// (a standby needs a cluster of its own: make cluster-test); what this
// shows is that the three steps answer exactly what the one statement
// answers, refusals, limits and audit rows included.
//
// lib.mjs binds NGAN_BASE_URL when it is loaded, so the second server is
// started first and the test files are imported after.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { startKore } from './ops-lib.mjs';

const MAIN = process.env.NGAN_BASE_URL;

const dir = mkdtempSync('/tmp/ngan-replica-path.');
const server = await startKore(dir, { NGAN_READ_DATABASE_URL: process.env.DATABASE_URL },
    { name: 'replica-path' });
process.env.NGAN_BASE_URL = server.base;

after(async () => {
	await server.stop();
	rmSync(dir, { recursive: true, force: true });
});

// 51-stats.test.mjs also checks the answer cache in SQL, which is not
// run twice; the statistics through the three steps are compared here.
const { api, expectProblem, expectStatus, sqlInt, tokenFor } = await import('./lib.mjs');
const { partner } = await import('./partner-lib.mjs');

test('statistics through the three steps: the same answer as one statement, JSON and CSV, refusals audited',
    async () => {
	const admin = await tokenFor('admin');
	const get = async (base, path, token) => {
		const r = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
		// The bytes as sent (a CSV's byte order mark included).
		const text = new TextDecoder('utf-8', { ignoreBOM: true })
		    .decode(await r.arrayBuffer());
		return { status: r.status, text, headers: r.headers };
	};
	const strip = (t) => JSON.parse(t, (k, v) => (k === 'generated_at' ? undefined : v));
	for (const q of ['', '?group_by=event', '?group_by=month&fiscal_year_be=2569',
	    '?province=52&group_by=district']) {
		const one = await get(MAIN, `/v1/stats/attendance${q}`, admin);
		const three = expectStatus(await api('GET', `/v1/stats/attendance${q}`, { token: admin }), 200);
		assert.equal(one.status, 200);
		assert.deepEqual(three.json.items, strip(one.text).items, q);
		assert.deepEqual(three.json.totals, strip(one.text).totals, q);
		const csv = expectStatus(await api('GET', `/v1/stats/attendance.csv${q}`, { token: admin }), 200);
		assert.equal(csv.text, (await get(MAIN, `/v1/stats/attendance.csv${q}`, admin)).text, q);
	}
	const p = await partner({ scopes: ['stats:read'], provinces: ['52'] });
	const audited = () => sqlInt('select count(*) from partner_audit where actor_id = $1::uuid',
	    [p.client.id]);
	expectStatus(await api('GET', '/v1/stats/attendance?province=52', { token: p.token }), 200);
	assert.equal(audited(), 1);
	expectProblem(await api('GET', '/v1/stats/attendance?province=10', { token: p.token }), 403,
	    'forbidden');
	assert.equal(audited(), 2, 'the refusal is audited too');
	expectProblem(await api('GET', '/v1/feed/registrations', { token: p.token }), 403, 'forbidden');
	assert.equal(audited(), 3);
});

await import('./52-feed.test.mjs');
await import('./53-feed-concurrency.test.mjs');
await import('./54-rate-audit.test.mjs');
