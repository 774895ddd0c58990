// Processes (issue 7): a worker killed with SIGKILL is replaced by Kore
// while the other keeps serving; SIGTERM lets the requests in flight
// finish before the server exits (api/main.c, kore_worker_teardown);
// signing-key rotation: a server started with a new key and the old one
// in NGAN_JWT_PREVIOUS_KEYS still accepts the old tokens and publishes
// both keys; after a statement of megabytes (an import) the pooled
// connection that carried it is made anew, so libpq's grown buffers go;
// the workers run at the nice value NGAN_WORKER_PRIORITY names (-10 by
// default), where the server may raise its priority (root here), and
// the autogroup of kore's own session gets it too.
// The last ones start a second server (server-lib.mjs).

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { api, login, tokenFor, expectStatus, sql, sqlInt, sleep, DATABASE_URL, JWT_KEY_PATH,
    openEvent, nationalId, phoneNumber } from './lib.mjs';
import { RUN_DIR, mainPid, workerPids, startServer } from './server-lib.mjs';

test('a worker killed with SIGKILL is replaced; the other keeps serving', async () => {
	const pid = mainPid();
	assert.ok(pid > 0, 'the main server pid (scripts/test.sh writes kore.pid)');
	const before = workerPids(pid);
	assert.ok(before.length >= 2, `workers: ${before}`);
	const token = await tokenFor('organizer');
	process.kill(before[0], 'SIGKILL');
	const t0 = Date.now();
	for (let i = 0; i < 30; i++)
		expectStatus(await api('GET', '/v1/me', { token, timeout: 3000 }), 200, `request ${i} after the kill`);
	let now = [];
	while (Date.now() - t0 < 10000) {
		now = workerPids(pid);
		if (now.length === before.length && !now.includes(before[0]))
			break;
		await sleep(100);
	}
	assert.equal(now.length, before.length, `a new worker replaces the killed one: ${before} -> ${now}`);
	assert.ok(!now.includes(before[0]));
	// The new worker serves too (enough requests to reach both).
	const all = await Promise.all(Array.from({ length: 20 }, () => api('GET', '/v1/me', { token })));
	for (const r of all)
		expectStatus(r, 200, 'after the replacement');
});

test('SIGTERM: requests in flight finish before the server exits', async () => {
	const srv = await startServer({}, 'drain');
	try {
		const admin = await tokenFor('admin');
		const name = `ระบายงาน-${Date.now()}`;
		const before = sqlInt('select count(*) from agency');
		// Hold a lock so the insert waits in PostgreSQL for ~2 s.
		const locker = spawn('psql', [DATABASE_URL, '-q', '-c',
		    'begin; lock table agency in access exclusive mode; select pg_sleep(2); commit;'],
		    { stdio: 'ignore' });
		const unlocked = new Promise((r) => locker.on('exit', r));
		await sleep(300);
		const inflight = fetch(`${srv.base}/v1/agencies`, { method: 'POST',
		    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
		    body: JSON.stringify({ name, kind: 'other' }), signal: AbortSignal.timeout(15000) })
		    .then(async (r) => ({ status: r.status, text: await r.text() }),
			(e) => ({ status: 0, text: String(e.cause ?? e) }));
		await sleep(300);
		srv.proc.kill('SIGTERM');
		const res = await inflight;
		await unlocked;
		const exit = await srv.exit;
		assert.equal(res.status, 201, `the request in flight at SIGTERM: ${res.text}`);
		assert.equal(sqlInt('select count(*) from agency'), before + 1);
		assert.ok(exit.code === 0 || exit.sig === null, `exit ${JSON.stringify(exit)}`);
		// It is gone: new connections are refused.
		await assert.rejects(fetch(`${srv.base}/healthz`, { signal: AbortSignal.timeout(2000) }));
	} finally {
		await srv.stop();
	}
});

test('key rotation: old tokens verify until they expire, the JWKS lists both', async () => {
	assert.ok(JWT_KEY_PATH);
	const newKey = join(RUN_DIR, 'keys', 'jwt-rotated.pem');
	const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	writeFileSync(newKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
	const old = await login('organizer'); // signed by the main server's (old) key
	const oldJwks = (await api('GET', '/.well-known/jwks.json')).json;
	const srv = await startServer({ NGAN_JWT_KEY: newKey, NGAN_JWT_PREVIOUS_KEYS: JWT_KEY_PATH }, 'rotated');
	try {
		const get = (path, token) => fetch(srv.base + path, { headers: token ?
		    { authorization: `Bearer ${token}` } : {} }).then(async (r) => ({ status: r.status,
		    json: await r.json().catch(() => null), cc: r.headers.get('cache-control') }));
		const jwks = (await get('/.well-known/jwks.json')).json;
		assert.equal(jwks.keys.length, 2, 'the new key and the previous one');
		assert.notEqual(jwks.keys[0].kid, oldJwks.keys[0].kid, 'the new key comes first');
		assert.equal(jwks.keys[1].kid, oldJwks.keys[0].kid, 'the old key is still published');
		const me = await get('/v1/me', old.access_token);
		assert.equal(me.status, 200, 'a token signed with the previous key still verifies');
		// New tokens are signed with the new key and verify there too.
		const fresh = await fetch(`${srv.base}/v1/auth/token`, { method: 'POST',
		    headers: { 'content-type': 'application/json' },
		    body: JSON.stringify({ grant_type: 'refresh_token', refresh_token: old.refresh_token }) })
		    .then((r) => r.json());
		assert.ok(fresh.access_token, JSON.stringify(fresh));
		const hdr = JSON.parse(Buffer.from(fresh.access_token.split('.')[0], 'base64url'));
		assert.equal(hdr.kid, jwks.keys[0].kid);
		assert.equal((await get('/v1/me', fresh.access_token)).status, 200);
		// The old server does not know the new key.
		assert.equal((await api('GET', '/v1/me', { token: fresh.access_token })).status, 401);
	} finally {
		await srv.stop();
	}
	assert.ok(!srv.log().includes(execFileSync('sed', ['-n', '2p', newKey]).toString().trim()),
	    'the new key is not logged');
});

// api/db.c keeps its own queue of requests waiting for a connection:
// oldest first, nobody overtakes, and a waiter that gives up hands its
// turn on. With one worker and one connection, held by an insert waiting
// on a lock, twenty inserts queue; some clients give up (among them the
// first in line, the one Kore itself would wake). The rest must run in
// the order they came (each row's created_at is its transaction's start),
// those given up must not run, and the queue must not stall afterwards.
test('one connection: waiting requests are served in order, none lost when some give up', async () => {
	const srv = await startServer({}, 'queue', { workers: 1, pgsql_conn_max: 1 });
	const tag = `คิว-${Date.now()}`;
	try {
		const admin = await tokenFor('admin');
		const add = (name, signal) => fetch(`${srv.base}/v1/agencies`, { method: 'POST', signal,
		    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
		    body: JSON.stringify({ name, kind: 'other' }) })
		    .then(async (r) => { await r.arrayBuffer(); return r.status; }, () => 0);
		const locker = spawn('psql', [DATABASE_URL, '-q', '-c',
		    'begin; lock table agency in access exclusive mode; select pg_sleep(4); commit;'],
		    { stdio: 'ignore' });
		const unlocked = new Promise((r) => locker.on('exit', r));
		// Wait for the lock, then for the insert waiting on it, rather
		// than for a time: a loaded machine may start psql late.
		const locks = (granted) => sqlInt(`select count(*) from pg_locks
		    where relation = 'agency'::regclass and granted = $1`, [granted]);
		for (let i = 0; i < 100 && locks(true) === 0; i++)
			await sleep(50);
		assert.equal(locks(true), 1, 'psql holds the lock');
		const held = add(`${tag}-held`, AbortSignal.timeout(15000));
		for (let i = 0; i < 100 && locks(false) === 0; i++)
			await sleep(50);
		assert.equal(locks(false), 1, 'the first insert waits for the lock');
		const waiting = [];
		for (let i = 0; i < 20; i++) {
			const ctl = new AbortController();
			const name = `${tag}-${String(i).padStart(2, '0')}`;
			waiting.push({ name, quits: i % 5 === 0, ctl, status: add(name, ctl.signal) });
			await sleep(25);
		}
		for (const w of waiting.filter((x) => x.quits))
			w.ctl.abort();
		await unlocked;
		assert.equal(await held, 201, 'the insert that held the connection');
		for (const w of waiting)
			assert.equal(await w.status, w.quits ? 0 : 201, w.name);
		// Not stalled: a new burst is answered at once.
		const again = await Promise.all(Array.from({ length: 10 }, (_, i) =>
		    add(`${tag}-again-${i}`, AbortSignal.timeout(5000))));
		assert.deepEqual(again, Array(10).fill(201));
	} finally {
		await srv.stop();
	}
	const ran = sql(`select coalesce(string_agg(name, ' ' order by created_at, name), '')
	    from agency where name like $1 || '-__'`, [tag]).split(' ').filter(Boolean);
	assert.deepEqual(ran, waiting_names(tag).filter((n, i) => i % 5 !== 0),
	    'in the order they came; those given up never ran');
});

function waiting_names(tag) {
	return Array.from({ length: 20 }, (_, i) => `${tag}-${String(i).padStart(2, '0')}`);
}

// libpq keeps a connection's buffers at their largest, and PQreset keeps
// them too: api/db.c replaces a connection that carried more than 1 MB
// (parameters or result) with a new one and gives the pages back. One
// worker, one connection, named by PGAPPNAME so its backend can be told
// apart: a small call keeps the backend; after a 3,000-row import (over
// 1 MB of parameters) the next call gets a new one and works (statements
// prepared again), and the worker is no bigger than before the import.
test('a connection that carried an import is replaced; small calls keep theirs', async () => {
	const app = `ngan-shrink-${Date.now()}`;
	const srv = await startServer({ PGAPPNAME: app }, 'shrink', { workers: 1, pgsql_conn_max: 1 });
	try {
		const organizer = await tokenFor('organizer');
		const { event } = await openEvent({ capacity: 5000, quotas: [] });
		const get = () => fetch(`${srv.base}/v1/events/${event.id}`,
		    { headers: { authorization: `Bearer ${organizer}` } }).then((r) => r.status);
		const backends = () => sql(`select coalesce(string_agg(pid::text, ' '), '')
		    from pg_stat_activity where application_name = $1`, [app]).split(' ').filter(Boolean);
		assert.equal(await get(), 200);
		const first = backends();
		assert.equal(first.length, 1, 'one pooled connection');
		assert.equal(await get(), 200);
		assert.deepEqual(backends(), first, 'a small call keeps the connection');

		// Resident kB of the one worker (not under the sanitizers: their
		// allocator keeps freed memory in quarantine).
		const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(
		    `/proc/${workerPids(srv.proc.pid)[0]}/status`, 'utf8'))[1]);
		const rss0 = rss();
		const rows = ['คำนำหน้า,ชื่อ,นามสกุล,เลขประจำตัวประชาชน,โทรศัพท์,ตำบล,อำเภอ,จังหวัด,กลุ่มเป้าหมาย'];
		for (let i = 0; i < 3000; i++)
			rows.push(`นาง,บัวคำ${i},ปัญญาดี,${nationalId()},${phoneNumber()},ริมปิง,เมืองลำพูน,ลำพูน,แรงงานนอกระบบ`);
		const res = await fetch(`${srv.base}/v1/events/${event.id}/registrations/import`, { method: 'POST',
		    headers: { authorization: `Bearer ${organizer}`, 'content-type': 'text/csv' },
		    body: rows.join('\r\n') + '\r\n', signal: AbortSignal.timeout(60000) });
		const out = await res.json();
		assert.equal(res.status, 200, JSON.stringify(out).slice(0, 300));
		assert.equal(out.summary.created, 3000, JSON.stringify(out.summary));
		assert.equal(sqlInt(`select count(*) from registration where event_id = $1::uuid`, [event.id]), 3000);

		// Marked after the import; made anew by the next call to take it.
		assert.equal(await get(), 200, 'the new connection prepares its statements');
		const after = backends();
		assert.equal(after.length, 1, 'still one pooled connection');
		assert.notEqual(after[0], first[0], 'the import\'s connection was made anew');
		assert.equal(await get(), 200);
		assert.deepEqual(backends(), after, 'and kept for small calls');
		// PQreset alone kept libpq's 2.5 MB buffers: RSS stayed that much up.
		await sleep(300);
		if (!process.env.NGAN_SAN_PRELOAD)
			assert.ok(rss() - rss0 < 1024, `worker RSS ${rss0} kB before the import, ${rss()} kB after`);
	} catch (e) {
		// What the server said, for a failure seen only in CI.
		console.log(`# shrink server, last lines:\n${srv.log().split('\n').slice(-40).join('\n')}`);
		throw e;
	} finally {
		await srv.stop();
	}
});

// Field 19 of /proc/PID/stat, after the parenthesised command name.
function niceOf(pid) {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

test('workers run at NGAN_WORKER_PRIORITY (-10 unless set); a bad value stops the server', async () => {
	const root = process.getuid() === 0;
	const main = workerPids(mainPid());
	assert.ok(main.length >= 1, 'the suite\'s server has workers');
	if (root)
		assert.deepEqual(main.map(niceOf), main.map(() => -10), 'the default');
	// scripts/test.sh starts kore in a session of its own (setsid): with
	// the kernel's autogroups, that session's group gets the nice value.
	const group = `/proc/${mainPid()}/autogroup`;
	if (root && existsSync(group))
		assert.match(readFileSync(group, 'utf8'), /nice -10$/m, group);

	const srv = await startServer({ NGAN_WORKER_PRIORITY: '-3' }, 'nice');
	try {
		const pids = workerPids(srv.proc.pid);
		assert.ok(pids.length >= 1);
		if (root)
			assert.deepEqual(pids.map(niceOf), pids.map(() => -3));
		else
			assert.match(srv.log(), /workers keep nice/);
		const res = await fetch(`${srv.base}/healthz`);
		assert.equal(res.status, 200);
	} finally {
		await srv.stop();
	}

	for (const bad of ['high', '-21', '20', '5x'])
		await assert.rejects(startServer({ NGAN_WORKER_PRIORITY: bad }, 'nice-bad'),
		    /NGAN_WORKER_PRIORITY: "[^"]*" is not a nice value, -20 to 19/, bad);
});
