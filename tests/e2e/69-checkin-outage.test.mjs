// PostgreSQL stops in the middle of a check-in load and starts again
// (issue 7): every check-in answered 201 is in the database afterwards;
// the others failed visibly (503 problem, or no answer while the
// connection broke) and succeed when retried with the same nonce; the
// same server answers again within seconds. Runs just before
// zz-db-down, which covers the read side of an outage.

import assert from 'node:assert/strict';
import { exec } from 'node:child_process';
import { promisify } from 'node:util';
import { after as hookAfter, test } from 'node:test';
import { api, tokenFor, sql, sqlInt, sleep } from './lib.mjs';
import { runningEvent, registered, assignedScanner, nonce } from './checkins-lib.mjs';

const sh = promisify(exec);
let stopped = false;
const after = [];
hookAfter(async () => {
	if (stopped)
		await sh(process.env.NGAN_PG_START).catch((e) => console.error(e.message));
});

async function scan(token, body) {
	try {
		const res = await api('POST', '/v1/checkins', { token, body, timeout: 8000 });
		return { status: res.status, json: res.json, text: res.text };
	} catch (e) {
		return { status: 0, text: e.message };
	}
}

// After such an outage a pooled connection once answered 500 forever:
// its statements had outlived an error taken for a lost connection, and
// preparing them again failed with 42P05 (api/db.c now takes that as
// prepared). "no 500 after the outage" guards it.
test('check-ins across a database outage: 201 means stored, the rest retry', async () => {
	const organizer = await tokenFor('organizer');
	const ev = await runningEvent();
	const people = [];
	for (let i = 0; i < 24; i++)
		people.push(await registered(ev.id, { token: organizer }));
	const scanner = await assignedScanner([ev.id], organizer);
	const scans = people.map((p) => ({ token: p.token, event_id: ev.id, nonce: nonce(), reg: p.id }));
	const body = (s) => ({ token: s.token, event_id: s.event_id, nonce: s.nonce });

	// Four waves of six in parallel; PostgreSQL stops after the first.
	const results = new Map();
	let stopping;
	for (let w = 0; w < 4; w++) {
		if (w === 1) {
			stopping = sh(process.env.NGAN_PG_STOP);
			stopped = true;
		}
		const wave = scans.slice(w * 6, w * 6 + 6);
		const got = await Promise.all(wave.map((s) => scan(scanner.token, body(s))));
		wave.forEach((s, i) => results.set(s.nonce, got[i]));
		if (w === 1)
			await stopping;
	}
	await sh(process.env.NGAN_PG_START);
	stopped = false;

	for (const [n, r] of results) {
		assert.ok([201, 200, 503, 0].includes(r.status), `${n}: ${r.status} ${r.text}`);
		if (r.status === 503)
			assert.equal(r.json?.type, 'urn:ngan:problem:service-unavailable', r.text);
	}
	const failed = scans.filter((s) => results.get(s.nonce).status !== 201);
	assert.ok(failed.length > 0, 'some check-ins met the outage');

	// Back within seconds, without a restart.
	const t0 = Date.now();
	while ((await api('GET', '/readyz', { timeout: 3000 }).catch(() => ({ status: 0 }))).status !== 200) {
		assert.ok(Date.now() - t0 < 10000, 'ready again within 10 s');
		await sleep(250);
	}

	// Every 201 is stored.
	for (const s of scans.filter((x) => results.get(x.nonce).status === 201)) {
		assert.equal(sqlInt(`select count(*) from checkin where nonce = $1 and state = 'effective'
		    and registration_id = $2::uuid`, [s.nonce, s.reg]), 1, `201 stored: ${s.nonce}`);
	}
	// The rest succeed when retried with the same nonce (a replay of one
	// that was stored after all answers as a replay, not twice).
	for (const s of failed) {
		let r;
		for (let i = 0; i < 5; i++) {
			r = await scan(scanner.token, body(s));
			if (r.status !== 503 && r.status !== 0)
				break;
			await sleep(300);
		}
		assert.ok([200, 201].includes(r.status), `retry ${s.nonce}: ${r.status} ${r.text}`);
		assert.ok(['checked_in', 'replayed'].includes(r.json.result), r.text);
	}
	assert.equal(sqlInt(`select count(distinct registration_id) from checkin
	    where registration_id = any($1::uuid[]) and state = 'effective' and direction = 'in'`,
	    [`{${people.map((p) => p.id).join(',')}}`]), people.length, 'each person checked in once');
	assert.equal(sqlInt(`select count(*) from checkin where nonce = any($1::text[])`,
	    [`{${scans.map((s) => s.nonce).join(',')}}`]), scans.length, 'one row per nonce');
	void sql;

	// Every pooled connection of every worker must be fresh again before
	// zz-db-down runs: requests until 40 in a row are 200, counting 500s.
	let ok = 0;
	for (let i = 0; i < 400 && ok < 40; i++) {
		const r = await api('GET', i % 2 ? '/readyz' : '/v1/me', { token: organizer })
		    .catch(() => ({ status: 0 }));
		if (r.status === 200) {
			ok++;
		} else {
			ok = 0;
			after.push(r.status);
		}
	}
	assert.equal(ok, 40, `the server settles after the outage: ${after}`);
});

test('no 500 after the outage', () => {
	assert.deepEqual(after.filter((s) => s >= 500 && s !== 503), []);
});
