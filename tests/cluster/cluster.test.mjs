// make cluster-test (issue 17, item 6): against what scripts/cluster.sh
// starts: nginx (NGAN_BASE_URL) in front of two server processes
// (NGAN_SERVER_A, NGAN_SERVER_B) on one primary (DATABASE_URL), and a hot
// standby (STANDBY_DIR, STANDBY_PORT) that partner reads go to.
//
// That a read came from the standby is shown, not assumed: replay on
// the standby is paused, the primary changes, and the answer does not
// have the change; replay resumes, the test waits until the standby has
// replayed everything the primary had written, and the answer has it,
// equal to what the primary counts. No step waits for a time.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { api, createUser, expectStatus, sql, sqlInt, tokenFor, uniq } from '../e2e/lib.mjs';
import { registered, runningEvent } from '../e2e/checkins-lib.mjs';
import { clientToken, drainFeed, feed, partnerClient, stats } from '../e2e/partner-lib.mjs';

const A = process.env.NGAN_SERVER_A;
const B = process.env.NGAN_SERVER_B;
const STANDBY_DIR = process.env.STANDBY_DIR;
const STANDBY_PORT = process.env.STANDBY_PORT;

// psql as the superuser on the standby (over its socket).
function standby(query) {
	const args = ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', join(STANDBY_DIR, 'run'),
	    '-p', STANDBY_PORT, '-U', 'postgres', '-d', 'ngan', '-c', query];
	const root = process.getuid?.() === 0;
	return execFileSync(root ? 'runuser' : 'psql', root ? ['-u', 'postgres', '--', 'psql',
	    ...args] : args, { encoding: 'utf8', cwd: '/', timeout: 30000 }).trim();
}

const pauseReplay = () => standby('select pg_wal_replay_pause()');
const resumeReplay = () => standby('select pg_wal_replay_resume()');

// Until the standby has replayed all the primary had written when called.
async function caughtUp() {
	const lsn = sql('select pg_current_wal_lsn()');
	for (let i = 0; i < 600; i++) {
		if (standby(`select pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn`) === 't')
			return;
		await new Promise((r) => setTimeout(r, 100));
	}
	assert.fail(`the standby did not replay up to ${lsn} in 60 s`);
}

// A request straight to one server process (no nginx), JSON in and out.
async function at(base, method, path, { token, body, headers = {} } = {}) {
	const h = { ...headers };
	if (token)
		h.authorization = `Bearer ${token}`;
	if (body !== undefined)
		h['content-type'] = 'application/json';
	const r = await fetch(base + path, { method, headers: h,
	    body: body === undefined ? undefined : JSON.stringify(body) });
	const text = await r.text();
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: r.status, headers: r.headers, text, json };
}

const nonce = () => `n-${uniq('')}-${Math.random().toString(36).slice(2, 10)}`.slice(0, 60);

before(() => {
	assert.ok(A && B && STANDBY_DIR && STANDBY_PORT, 'run by scripts/cluster.sh test');
	assert.equal(standby('select pg_is_in_recovery()'), 't', 'the standby is a standby');
});

after(() => {
	try {
		resumeReplay();
	} catch {
		// stopped already
	}
});

describe('make cluster: two processes, one primary, a hot standby', () => {
	test('nginx hands requests to both processes', async () => {
		const logged = (f) => readFileSync(f, 'utf8').split('\n')
		    .filter((l) => l.includes('GET /v1/target-groups ')).length;
		const a0 = logged(process.env.KORE_A_LOG);
		const b0 = logged(process.env.KORE_B_LOG);
		// Each on a connection of its own, so nginx's round robin
		// shows (a reused upstream connection is still fine).
		await Promise.all(Array.from({ length: 20 }, () =>
		    api('GET', '/v1/target-groups').then((r) => expectStatus(r, 200))));
		assert.ok(logged(process.env.KORE_A_LOG) > a0, 'server a answered some');
		assert.ok(logged(process.env.KORE_B_LOG) > b0, 'server b answered some');
	});

	test('check-ins through one process; a revocation through the other is refused at once', async () => {
		const organizer = await tokenFor('organizer');
		const ev = await runningEvent({}, organizer);
		const people = [];
		for (let i = 0; i < 3; i++)
			people.push(await registered(ev.id, { token: organizer }));
		// A scanner session of its own, signed in on server a.
		const { user, password } = await createUser({ role: 'scanner', username: uniq('scan.') });
		const assigned = await api('PUT', `/v1/events/${ev.id}/scanners/${user.id}`,
		    { token: organizer });
		assert.ok([200, 201].includes(assigned.status), assigned.text);
		const signin = await at(A, 'POST', '/v1/auth/token', { body: { grant_type: 'password',
		    username: user.username, password } });
		assert.equal(signin.status, 200, signin.text);
		const { access_token: token } = signin.json;

		const first = await at(A, 'POST', '/v1/checkins', { token,
		    body: { token: people[0].token, event_id: ev.id, nonce: nonce() } });
		assert.equal(first.status, 201, first.text);
		assert.equal(first.json.result, 'checked_in');
		// Revoked through server b...
		const rev = await at(B, 'POST', '/v1/auth/revoke', { body: { token } });
		assert.equal(rev.status, 200, `revoke: ${rev.text}`);
		// ...and refused by server a on the very next request, and by b.
		const refused = await at(A, 'POST', '/v1/checkins', { token,
		    body: { token: people[1].token, event_id: ev.id, nonce: nonce() } });
		assert.equal(refused.status, 401, refused.text);
		const refusedB = await at(B, 'POST', '/v1/checkins', { token,
		    body: { token: people[2].token, event_id: ev.id, nonce: nonce() } });
		assert.equal(refusedB.status, 401, refusedB.text);
		assert.equal(sqlInt(`select count(*) from checkin where event_id = $1::uuid`, [ev.id]), 1,
		    'the refused check-ins wrote nothing');
	});

	test('sign-in failures count across processes: 3 on a and 3 on b stop the pair', async () => {
		const { user } = await createUser({ role: 'organizer', username: uniq('thr.') });
		const wrong = (base) => at(base, 'POST', '/v1/auth/token', { body: {
		    grant_type: 'password', username: user.username, password: 'wrong-password-1' } });
		for (const base of [A, B, A, B, A]) {
			const res = await wrong(base);
			assert.equal(res.status, 400, res.text);
			assert.equal(res.json.error, 'invalid_grant');
		}
		// Neither process saw five on its own: the sixth is refused.
		const sixth = await wrong(B);
		assert.equal(sixth.status, 429, sixth.text);
		assert.ok(Number(sixth.headers.get('retry-after')) > 0);
		const seventh = await wrong(A);
		assert.equal(seventh.status, 429, seventh.text);
	});

	test('statistics come from the standby and equal the primary\'s count once it has caught up', async () => {
		const c = await partnerClient({ scopes: ['stats:read'] });
		const token = await clientToken(c);
		const organizer = await tokenFor('organizer');
		const f = { group_by: 'province' };
		const primaryCount = () => JSON.parse(sql(`select body from api.stats_compute(null, '{}', $1::jsonb)`,
		    [JSON.stringify(f)]));
		await caughtUp();
		const before = expectStatus(await stats(token, f), 200).json;
		assert.deepEqual(before.items, primaryCount().items);

		pauseReplay();
		let res;
		try {
			// A new published event on the primary: event counts are
			// exact (people counts are rounded).
			await runningEvent({}, organizer);
			res = expectStatus(await stats(token, f), 200).json;
		} finally {
			resumeReplay();
		}
		const events = (b) => b.totals.events;
		assert.equal(events(primaryCount()), events(before) + 1, 'the primary has the new event');
		assert.equal(events(res), events(before), 'the answer came from the paused standby');
		await caughtUp();
		const now = expectStatus(await stats(token, f), 200).json;
		assert.equal(events(now), events(before) + 1);
		assert.deepEqual(now.items, primaryCount().items);
		assert.deepEqual(now.totals, primaryCount().totals);
		// Every read is audited on the primary, the refused ones too.
		assert.equal(sqlInt(`select count(*) from partner_audit where actor_id = $1::uuid
		    and status = 200`, [c.id]), 3);
	});

	test('the feed read from the standby never skips a row, whatever the standby lags', async () => {
		const c = await partnerClient({ scopes: ['feed:read'] });
		const token = await clientToken(c);
		const organizer = await tokenFor('organizer');
		const ev = await runningEvent({}, organizer);
		await caughtUp();
		let { cursor } = await drainFeed(token);
		const first = Number(Buffer.from(cursor, 'base64url').toString().slice(2));

		// Standby paused: the primary has new rows (stamped by the read
		// itself), the standby answers none and keeps the cursor.
		pauseReplay();
		const made = [];
		try {
			for (let i = 0; i < 3; i++)
				made.push((await registered(ev.id, { token: organizer })).id);
			const page = expectStatus(await feed(token, { cursor, limit: '50' }), 200).json;
			assert.deepEqual(page.items, [], 'nothing from the paused standby');
			assert.equal(page.next_cursor, cursor, 'the cursor stays');
		} finally {
			resumeReplay();
		}
		assert.ok(sqlInt(`select count(*) from registration_feed where pos is not null and
		    registration_id = any ($1::uuid[])`, [`{${made.join(',')}}`]) >= 3,
		    'the primary stamped them');

		// Writers and a reader at once, replay paused and resumed under
		// them: every row comes, once, in positions with no hole.
		const seen = [];
		let writing = true;
		const writers = (async () => {
			for (let i = 0; i < 12; i++)
				made.push((await registered(ev.id, { token: organizer })).id);
			writing = false;
		})();
		const reader = (async () => {
			let k = 0;
			while (writing) {
				if (k++ % 3 === 0)
					pauseReplay();
				const page = expectStatus(await feed(token, { cursor, limit: '5' }), 200).json;
				seen.push(...page.items);
				cursor = page.next_cursor;
				resumeReplay();
			}
		})();
		await Promise.all([writers, reader]);
		await caughtUp();
		const rest = await drainFeed(token, cursor, 5);
		seen.push(...rest.items);

		const positions = seen.map((x) => Number(x.position));
		for (let i = 1; i < positions.length; i++)
			assert.equal(positions[i], positions[i - 1] + 1, `no hole: ${positions}`);
		const created = seen.filter((x) => x.op === 'create').map((x) => x.registration_id);
		assert.deepEqual([...created].sort(), [...made].sort(), 'every registration once');
		// Nothing skipped at the start either: the first row read is the
		// one after the cursor the standby kept.
		assert.equal(positions[0], first + 1);
	});

	test('the audit log admins read comes from the standby', async () => {
		const admin = await tokenFor('admin');
		const c = await partnerClient({ scopes: ['stats:read'] });
		const token = await clientToken(c);
		await caughtUp();
		pauseReplay();
		let paused;
		try {
			expectStatus(await stats(token), 200);
			paused = expectStatus(await api('GET', `/v1/audit?client=${c.id}`, { token: admin }), 200);
		} finally {
			resumeReplay();
		}
		assert.equal(sqlInt('select count(*) from partner_audit where actor_id = $1::uuid', [c.id]), 1);
		assert.deepEqual(paused.json.items, [], 'not yet on the standby');
		await caughtUp();
		const now = expectStatus(await api('GET', `/v1/audit?client=${c.id}`, { token: admin }), 200);
		assert.equal(now.json.items.length, 1);
		assert.equal(now.json.items[0].route, '/v1/stats/attendance');
	});
});
