// PostgreSQL goes away and comes back while the server runs: /readyz and
// database-backed requests answer 503 problem+json quickly (no hang, no
// crash), /healthz stays 200, and after PostgreSQL starts again the same
// server process recovers by itself. Runs last (zz-) because it stops the
// database.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { api, login, tokenFor, expectStatus, expectProblem, pgStop, pgStart, sleep,
    sqlInt } from './lib.mjs';

const FAST_MS = 5000; // "within a few seconds"
let stopped = false;

after(() => {
	// Never leave the database down, whatever failed above.
	if (stopped) {
		try {
			pgStart();
		} catch (e) {
			console.error(`could not restart PostgreSQL: ${e.message}`);
		}
	}
});

async function timed(method, path, opts = {}) {
	const res = await api(method, path, { ...opts, timeout: FAST_MS });
	assert.ok(res.ms < FAST_MS, `${method} ${path} answered in ${Math.round(res.ms)} ms`);
	return res;
}

function expectDown(res, what) {
	expectProblem(res, 503, 'service-unavailable', what);
	assert.ok(!/PQ|libpq|connection to server|SQLSTATE|could not connect/i.test(res.text),
	    `${what}: no database internals in the answer: ${res.text}`);
}

test('database down: 503 problem+json quickly; back up: recovers without a restart', async () => {
	const token = await tokenFor('organizer');
	const admin = await tokenFor('admin');
	const refresh = (await login('scanner')).refresh_token;
	expectStatus(await api('GET', '/readyz'), 200, 'ready before the outage');
	expectStatus(await api('GET', '/v1/me', { token }), 200);
	const agenciesBefore = sqlInt('select count(*) from agency');

	pgStop();
	stopped = true;

	expectDown(await timed('GET', '/readyz'), '/readyz');
	expectDown(await timed('GET', '/v1/me', { token }), '/v1/me');
	expectDown(await timed('GET', '/v1/agencies', { token }), '/v1/agencies');
	expectDown(await timed('GET', '/v1/users', { token: admin }), '/v1/users');
	expectDown(await timed('POST', '/v1/agencies', { token: admin,
	    body: { name: 'สร้างระหว่างฐานข้อมูลล่ม', kind: 'other' } }), 'POST /v1/agencies');
	expectDown(await timed('POST', '/v1/auth/token', { body: { grant_type: 'refresh_token',
	    refresh_token: refresh } }), 'refresh');
	// Requests that need no database still work.
	expectStatus(await timed('GET', '/healthz'), 200, '/healthz');
	expectStatus(await timed('GET', '/.well-known/jwks.json'), 200, 'jwks');
	const down = expectStatus(await timed('GET', '/metrics',
	    { token: process.env.NGAN_METRICS_TOKEN }), 200, '/metrics');
	assert.match(down.text, /^ngan_db_connections_max /m);
	assert.ok(!/^ngan_outbox_/m.test(down.text), 'the outbox\'s figures left out');
	// Token checks answer without the database; a bad body is refused either
	// before the database (422) or as unavailable (503), never hangs.
	assert.equal((await timed('GET', '/v1/me')).status, 401);
	assert.ok([422, 503].includes((await timed('POST', '/v1/agencies', { token: admin, body: {} })).status));

	// Many at once: all answered, none hangs, the server survives.
	const burst = await Promise.all(Array.from({ length: 20 }, (_, i) =>
	    timed('GET', i % 2 ? '/readyz' : '/v1/me', { token })));
	for (const res of burst)
		expectDown(res, 'burst');
	// Still down a little later (no stale "ready" answer).
	await sleep(1000);
	expectDown(await timed('GET', '/readyz'), '/readyz after 1 s');

	pgStart();
	stopped = false;
	const t0 = Date.now();
	let ready = null;
	while (Date.now() - t0 < 10000) {
		const res = await api('GET', '/readyz', { timeout: FAST_MS });
		if (res.status === 200) {
			ready = res;
			break;
		}
		expectDown(res, '/readyz while recovering');
		await sleep(250);
	}
	assert.ok(ready, '/readyz is 200 again within 10 s of PostgreSQL starting');
	assert.deepEqual(ready.json, { status: 'ready' });
	// Each worker says ready on its own (its revocation listener back):
	// parallel asks reach both; each may still say 503 for a moment.
	let all = false;
	while (!all && Date.now() - t0 < 15000) {
		const answers = await Promise.all(Array.from({ length: 8 }, () =>
		    api('GET', '/readyz', { timeout: FAST_MS })));
		for (const res of answers) {
			if (res.status !== 200)
				expectDown(res, '/readyz while a worker recovers');
		}
		all = answers.every((res) => res.status === 200);
		if (!all)
			await sleep(250);
	}
	assert.ok(all, 'every worker ready within 15 s of PostgreSQL starting');

	// Every request now works: stale pooled connections are retried, not
	// reported (many requests, to reach every pooled connection and worker).
	for (let i = 0; i < 30; i++) {
		expectStatus(await api('GET', '/v1/me', { token }), 200, `/v1/me #${i} after recovery`);
	}
	const burst2 = await Promise.all(Array.from({ length: 16 }, () =>
	    api('GET', '/v1/agencies?limit=1', { token })));
	for (const res of burst2)
		expectStatus(res, 200, 'parallel reads after recovery');
	const created = await api('POST', '/v1/agencies', { token: admin,
	    body: { name: 'สร้างหลังฐานข้อมูลกลับมา', kind: 'other' } });
	expectStatus(created, 201, 'a write after recovery');
	assert.equal(sqlInt('select count(*) from agency'), agenciesBefore + 1,
	    'only the write after recovery was stored');
	assert.match(expectStatus(await api('GET', '/metrics',
	    { token: process.env.NGAN_METRICS_TOKEN }), 200).text,
	    /^ngan_outbox_pending\{channel="sms"\} \d+$/m, 'the outbox\'s figures back');
	const t = await login('scanner');
	expectStatus(await api('GET', '/v1/me', { token: t.access_token }), 200);
	expectStatus(await api('POST', '/v1/auth/token', { body: { grant_type: 'refresh_token',
	    refresh_token: t.refresh_token } }), 200, 'refresh after recovery');
});
