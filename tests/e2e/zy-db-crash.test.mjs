// PostgreSQL crashes in the middle of a check-in load (issue 14, item 12):
// every PostgreSQL process is killed with SIGKILL while scanners keep
// scanning, and the database is started again (crash recovery), three
// times. As a power cut or `pkill -9 postgres` does, the processes go
// one by one: a backend first, then, once the postmaster has told the
// others to end (they warn their clients and exit), the postmaster and
// all it runs. Every request in that window answers its result or 503
// with Retry-After: never 500, never nothing. Scanners retry a 503 with
// the same nonce, as the app does: each scan is stored once, every 201
// is in the database with the answer's registration, and each person is
// checked in once. The server and the database are healthy afterwards
// for zz-db-down. The data directory is NGAN_PG_DATA (scripts/test.sh),
// where postmaster.pid names the postmaster; its children are in /proc.
//
// Before the fix one check-in in a few runs answered 500 ("no result
// row"): Kore read a connection again while its result waited for the
// request to take it, and lost the result (api/db.c, db_event).

import assert from 'node:assert/strict';
import { exec } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after as hookAfter, test } from 'node:test';
import { api, sql, sqlInt, sleep, tokenFor } from './lib.mjs';
import { assignedScanner, nonce, registered, runningEvent } from './checkins-lib.mjs';
import { RUN_DIR } from './server-lib.mjs';

const sh = promisify(exec);
const PGDATA = process.env.NGAN_PG_DATA ?? join(RUN_DIR, 'pg', 'data');
const PEOPLE = 150;
const SCANNERS = 16;
const CRASHES = 3;
let down = false;

hookAfter(async () => {
	if (down)
		await sh(process.env.NGAN_PG_START).catch((e) => console.error(e.message));
});

function ppidOf(pid) {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function childrenOf(pm) {
	return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((p) => {
		try {
			return ppidOf(p) === pm;
		} catch {
			return false;
		}
	});
}

function busyWait(ms) {
	const end = Date.now() + ms;
	while (Date.now() < end)
		;	// no timers: nothing else of this process may run meanwhile
}

// A backend, then the postmaster and every process it has then, killed
// with SIGKILL. Returns the pids.
function killPostgres() {
	const pm = Number(readFileSync(join(PGDATA, 'postmaster.pid'), 'utf8').split('\n')[0]);
	assert.ok(pm > 0, 'postmaster.pid names the postmaster');
	const first = childrenOf(pm);
	assert.ok(first.length >= 3, `PostgreSQL's processes: ${first}`);
	process.kill(Math.max(...first), 'SIGKILL');
	busyWait(30);
	const pids = [pm, ...childrenOf(pm)];
	for (const p of pids) {
		try {
			process.kill(p, 'SIGKILL');
		} catch {
			// gone already
		}
	}
	return [...new Set([...first, ...pids])];
}

// Until the killed processes are reaped: PostgreSQL will not start while
// its old postmaster's pid still answers (a zombie does, until init
// reaps it; here that takes a second or so).
async function reaped(pids) {
	const t0 = Date.now();
	while (pids.some((p) => existsSync(`/proc/${p}`))) {
		assert.ok(Date.now() - t0 < 30000, `killed processes linger: ${pids}`);
		await sleep(50);
	}
}

// What the server logged besides its access lines for 2xx and 503.
function serverLog() {
	const f = process.env.NGAN_SERVER_LOG;
	if (!f || !existsSync(f))
		return '';
	const lines = readFileSync(f, 'utf8').split('\n');
	return [...lines.filter((l) => /\[parent\]: (?!api serving|privsep|kore is|seccomp|pgsql|tasks)/
	    .test(l)), ...lines.filter((l) => !/ (20[01]|503) [0-9.]+ms |^(WARNING|DETAIL|HINT):|database unreachable/
	    .test(l)).slice(-40)].join('\n');
}

// One request, whatever happens: {status, retryAfter, json, text}.
async function call(method, path, opts) {
	try {
		const r = await api(method, path, { ...opts, timeout: 15000 });
		return { status: r.status, retryAfter: r.headers.get('retry-after'), json: r.json,
		    text: r.text };
	} catch (e) {
		return { status: 0, text: e.message };
	}
}

test('every PostgreSQL process killed during check-ins: results or 503, nothing lost or doubled', {
    skip: !existsSync(join(PGDATA, 'postmaster.pid')) && 'no PostgreSQL data directory here' },
async () => {
	const organizer = await tokenFor('organizer');
	const ev = await runningEvent({ capacity: 200, quotas: [] });
	const people = [];
	for (let i = 0; i < PEOPLE; i++)
		people.push(await registered(ev.id, { token: organizer }));
	const scanner = await assignedScanner([ev.id], organizer);
	const scans = people.map((p) => ({ reg: p.id, body: { token: p.token, event_id: ev.id,
	    nonce: nonce() }, answers: [] }));

	// Scanners take the next ticket and scan it until it is answered,
	// again with the same nonce after a 503 or no answer.
	const all = [];
	let next = 0;
	let done = 0;
	let stop = false;
	const deadline = Date.now() + 90000;
	async function scannerLoop() {
		while (!stop && next < scans.length) {
			const s = scans[next++];
			for (;;) {
				const r = await call('POST', '/v1/checkins', { token: scanner.token,
				    body: s.body });
				s.answers.push(r);
				all.push({ what: 'scan', ...r });
				if ((r.status !== 503 && r.status !== 0) || Date.now() > deadline ||
				    stop)
					break;
				await sleep(100);
			}
			done++;
		}
	}
	// Readers meanwhile: an answer or 503, too.
	let reading = true;
	async function readerLoop() {
		while (reading && !stop) {
			for (const path of ['/v1/me', `/v1/events/${ev.id}`,
			    `/v1/events/${ev.id}/attendance`]) {
				const r = await call('GET', path, { token: organizer });
				all.push({ what: `GET ${path}`, ...r });
			}
			await sleep(20);
		}
	}

	const loops = Array.from({ length: SCANNERS }, scannerLoop);
	const readers = [readerLoop(), readerLoop()];
	const killed = [];
	let atKill;
	try {
		for (let k = 1; k <= CRASHES; k++) {
			while (done < (scans.length * k) / (CRASHES + 1) && next < scans.length)
				await sleep(10);
			const pids = killPostgres();
			down = true;
			killed.push(pids.length);
			atKill = done;
			await reaped(pids);
			await sh(process.env.NGAN_PG_START);
			down = false;
		}
	} finally {
		// Whatever failed, the loops end before the test does.
		if (down)
			stop = true;
		await Promise.all(loops);
		reading = false;
		await Promise.all(readers);
	}

	// The crashes were met: some scans were in the window.
	assert.equal(killed.length, CRASHES);
	assert.ok(killed.every((n) => n >= 4), `processes killed: ${killed}`);
	assert.ok(atKill < scans.length, 'scans went on after the kill');
	const unavailable = all.filter((r) => r.status === 503);
	assert.ok(unavailable.length > 0, 'some requests met the crash (503)');

	// Nothing but results and 503 with Retry-After.
	const odd = all.filter((r) => ![200, 201, 503].includes(r.status));
	assert.deepEqual(odd.map((r) => `${r.what} ${r.status} ${r.text?.slice(0, 200)}`), [],
	    `every request answers its result or 503\n${serverLog()}`);
	for (const r of unavailable) {
		assert.ok(Number(r.retryAfter) >= 1, `503 with Retry-After: ${r.what} ${r.text}`);
		assert.equal(r.json?.type, 'urn:ngan:problem:service-unavailable', r.text);
	}

	// Each scan ended in a check-in (or its replay), stored once. (One
	// query: psql calls block this process, and Kore closes keep-alive
	// connections idle for 10 s with a 408 the next request would read.)
	const rows = new Map(sql(`select n.nonce, count(c.*), count(c.*) filter (where
	    c.state = 'effective' and c.registration_id = n.reg)
	    from unnest($1::text[], $2::uuid[]) n(nonce, reg)
	    left join checkin c on c.nonce = n.nonce group by n.nonce`,
	    [`{${scans.map((x) => x.body.nonce).join(',')}}`, `{${scans.map((x) => x.reg).join(',')}}`])
	    .split('\n').map((l) => l.split('|')).map(([n, rowsOf, effective]) =>
		[n, { rows: Number(rowsOf), effective: Number(effective) }]));
	for (const s of scans) {
		const last = s.answers.at(-1);
		const db = rows.get(s.body.nonce);
		assert.ok([200, 201].includes(last.status), `${s.body.nonce}: ${last.status} ${last.text}`);
		assert.ok(['checked_in', 'replayed'].includes(last.json.result), last.text);
		for (const a of s.answers.filter((x) => [200, 201].includes(x.status)))
			assert.equal(a.json.registration_id, s.reg, `the answer is this ticket's: ${a.text}`);
		assert.equal(db.rows, 1, `one row for nonce ${s.body.nonce} (${s.answers.map((a) => a.status)})`);
		if (s.answers.some((a) => a.status === 201))
			assert.equal(db.effective, 1, `201 stored: ${s.body.nonce}`);
	}
	const retried = scans.filter((s) => s.answers.length > 1);
	assert.ok(retried.length > 0, 'some scans were retried with their nonce');
	assert.equal(sqlInt(`select count(distinct registration_id) from checkin
	    where registration_id = any($1::uuid[]) and state = 'effective' and direction = 'in'`,
	    [`{${people.map((p) => p.id).join(',')}}`]), people.length, 'each person checked in once');
	assert.equal(sqlInt(`select count(*) from checkin where registration_id = any($1::uuid[])`,
	    [`{${people.map((p) => p.id).join(',')}}`]), people.length, 'and no more');

	// Healthy again for what follows: every worker, every pooled
	// connection, the listeners; 40 answers in a row.
	let ok = 0;
	const after = [];
	for (let i = 0; i < 400 && ok < 40; i++) {
		const r = await call('GET', i % 2 ? '/readyz' : '/v1/me', { token: organizer });
		if (r.status === 200) {
			ok++;
		} else {
			ok = 0;
			after.push(r.status === 503 ? 503 : `${r.status} ${r.text}`);
			await sleep(50);
		}
	}
	assert.equal(ok, 40, `the server settles after the crash: ${after}`);
	assert.deepEqual(after.filter((s) => s !== 503), [], `settling: 503 or 200 only\n${serverLog()}`);
	void sql;
});
