// Revocation at once across server processes (issue 14, item 3): a
// second server on the same database refuses a token on the very next
// request after the first one revoked it, and the other way round; a
// server started after the revocation refuses it too (its workers load
// the revocations when they connect); when the workers' listener
// connections are killed (pg_terminate_backend) and a session is revoked
// before they are back, the revocation they never heard of is still
// refused: a worker that lost its listener reloads the set, and while it
// cannot it takes no user token (503, never 200). See
// 76-revocation.test.mjs for the routes and the kinds of revocation on
// one server.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { api, createUser, eventBody, expectStatus, expectUnauthorized, login, sql, sqlInt,
    tokenFor, tokenRequest, validateResponse, DATABASE_URL, DEMO_EVENTS, LAMPANG_AGENCY, uniq,
    waitFor } from './lib.mjs';
import { partner } from './partner-lib.mjs';
import { startServer } from './server-lib.mjs';

const EVENT = DEMO_EVENTS.lampang;
let second;

before(async () => {
	second = await startServer({ PGAPPNAME: 'ngan-second' }, 'revocation');
});

after(async () => {
	await second?.stop();
});

// The same request as api(), against the second server, checked against
// openapi.yaml all the same.
async function at(server, method, path, { token, body, headers: extra = {} } = {}) {
	if (server === null)
		return api(method, path, { token, body, headers: extra });
	const headers = { accept: 'application/json, application/problem+json', ...extra };
	if (token)
		headers.authorization = `Bearer ${token}`;
	if (body !== undefined)
		headers['content-type'] = 'application/json';
	const r = await fetch(server.base + path, { method, headers,
	    body: body === undefined ? undefined : JSON.stringify(body),
	    signal: AbortSignal.timeout(10000) });
	const text = await r.text();
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	const res = { status: r.status, headers: r.headers, text, json,
	    requestId: r.headers.get('x-request-id') };
	validateResponse(method, path, res);
	return res;
}

function burst(server, method, path, token, n = 8) {
	return Promise.all(Array.from({ length: n }, () => at(server, method, path, { token })));
}

function refused(res, what) {
	expectUnauthorized(res, { invalidToken: true });
	assert.ok(res.json?.detail, what);
	return res;
}

function eventsTitled(title) {
	return sqlInt('select count(*) from event where title = $1', [title]);
}

async function organizer() {
	const { user, password, etag } = await createUser({ role: 'organizer',
	    username: uniq('org.'), agency_id: LAMPANG_AGENCY });
	return { user, password, etag, tokens: await login(user.username, password) };
}

// Reads and a write work on both servers, on both workers of each.
async function worksOnBoth(token, userId) {
	for (const server of [null, second]) {
		for (const r of await burst(server, 'GET', `/v1/users/${userId}`, token))
			expectStatus(r, 200, 'before');
		const body = eventBody();
		expectStatus(await at(server, 'POST', '/v1/events', { token, body }), 201, 'write before');
	}
}

// First on `first` (the very next request after the revocation), then on
// the other server: reads and a write refused, nothing written.
async function refusedOnBoth(first, token, userId, what) {
	const other = first === null ? second : null;
	for (const server of [first, other]) {
		const where = `${what} (${server === null ? 'main' : 'second'} server)`;
		refused(await at(server, 'GET', `/v1/users/${userId}`, { token }), `${where}: read`);
		const body = eventBody();
		refused(await at(server, 'POST', '/v1/events', { token, body }), `${where}: write`);
		assert.equal(eventsTitled(body.title), 0, `${where}: nothing written`);
		for (const r of await burst(server, 'GET', `/v1/events/${EVENT}`, token))
			refused(r, `${where}: burst`);
	}
}

test('a user disabled through one server is refused at once by the other', async () => {
	const { user, etag, tokens } = await organizer();
	await worksOnBoth(tokens.access_token, user.id);
	const admin = await tokenFor('admin');
	expectStatus(await at(second, 'PATCH', `/v1/users/${user.id}`, { token: admin,
	    headers: { 'if-match': etag }, body: { active: false } }), 200, 'disabled on the second');
	await refusedOnBoth(null, tokens.access_token, user.id, 'disabled user');
});

test('a session revoked through one server is refused at once by the other', async () => {
	const { user, tokens } = await organizer();
	await worksOnBoth(tokens.access_token, user.id);
	expectStatus(await api('POST', '/v1/auth/revoke', { body: { token: tokens.access_token } }), 200);
	await refusedOnBoth(second, tokens.access_token, user.id, 'revoked session');
});

test('a refresh token replayed on one server revokes the family on the other at once', async () => {
	const { user, tokens: t0 } = await organizer();
	const t1 = expectStatus(await tokenRequest({ grant_type: 'refresh_token',
	    refresh_token: t0.refresh_token }), 200).json;
	await worksOnBoth(t1.access_token, user.id);
	const r = await at(second, 'POST', '/v1/auth/token', { body: { grant_type: 'refresh_token',
	    refresh_token: t0.refresh_token } });
	assert.equal(r.status, 400, r.text);
	await refusedOnBoth(null, t1.access_token, user.id, 'refresh reuse');
});

test('a partner client disabled through one server is refused at once by the other', async () => {
	const { client, token } = await partner({ scopes: ['stats:read'] });
	for (const server of [null, second]) {
		for (const r of await burst(server, 'GET', '/v1/agencies?limit=1', token))
			expectStatus(r, 200, 'before');
	}
	const admin = await tokenFor('admin');
	const got = expectStatus(await api('GET', `/v1/partner-clients/${client.id}`, { token: admin }), 200);
	expectStatus(await api('PATCH', `/v1/partner-clients/${client.id}`, { token: admin,
	    headers: { 'if-match': got.headers.get('etag') }, body: { active: false } }), 200);
	const audit = sqlInt('select count(*) from partner_audit');
	for (const server of [second, null]) {
		refused(await at(server, 'GET', '/v1/agencies?limit=1', { token }), 'read');
		refused(await at(server, 'GET', '/v1/stats/attendance', { token }), 'stats');
		// No write is a partner's: refused for the role (403) or the state.
		const body = eventBody();
		const w = await at(server, 'POST', '/v1/events', { token, body });
		assert.ok([401, 403].includes(w.status), `write: ${w.status}`);
		assert.equal(eventsTitled(body.title), 0);
	}
	assert.equal(sqlInt('select count(*) from partner_audit'), audit, 'no audit row either');
});

test('a server started after the revocation refuses the token from its first request', async () => {
	const { user, tokens } = await organizer();
	const client = await partner({ scopes: ['stats:read'] });
	const admin = await tokenFor('admin');
	expectStatus(await api('POST', '/v1/auth/revoke', { body: { token: tokens.refresh_token } }), 200);
	const got = expectStatus(await api('GET', `/v1/partner-clients/${client.client.id}`,
	    { token: admin }), 200);
	expectStatus(await api('PATCH', `/v1/partner-clients/${client.client.id}`, { token: admin,
	    headers: { 'if-match': got.headers.get('etag') }, body: { active: false } }), 200);
	const third = await startServer({}, 'revocation-late');
	try {
		refused(await at(third, 'GET', `/v1/users/${user.id}`, { token: tokens.access_token }),
		    'revoked session');
		refused(await at(third, 'GET', '/v1/agencies', { token: client.token }), 'disabled client');
		for (const r of await burst(third, 'GET', `/v1/events/${EVENT}`, tokens.access_token))
			refused(r, 'burst');
		expectStatus(await at(third, 'GET', '/v1/me', { token: admin }), 200, 'others work');
	} finally {
		await third.stop();
	}
});

// The listeners' backends, by application name (APP-listen).
function listeners() {
	return sqlInt(`select count(*) from pg_stat_activity
	    where application_name in ('ngan-listen', 'ngan-second-listen')`);
}

test('listener connections killed: a revocation they missed is still refused; they come back', async () => {
	const { user, password, tokens } = await organizer();
	const other = await login(user.username, password);
	await worksOnBoth(tokens.access_token, user.id);
	await worksOnBoth(other.access_token, user.id);
	const n = listeners();
	assert.ok(n >= 4, `one listener per worker of each server: ${n}`);
	const sid = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url')).sid;

	// Kill them, and revoke in the same breath (no API call, no worker
	// involved): the notification goes to no one, or to dying backends.
	sql(`select pg_terminate_backend(pid) from pg_stat_activity
	    where application_name in ('ngan-listen', 'ngan-second-listen');
	    update auth_session set revoked_at = now(), revoked_reason = 'test'
	    where id = $1::uuid`, [sid]);

	for (const server of [null, second]) {
		const rs = await burst(server, 'GET', `/v1/users/${user.id}`, tokens.access_token);
		for (const r of rs) {
			// Refused, or not trusted yet (503 Retry-After): never 200.
			if (r.status === 503) {
				assert.ok(r.headers.get('retry-after'), 'a 503 says when to retry');
				continue;
			}
			refused(r, 'missed revocation');
		}
	}
	assert.ok(await waitFor(() => listeners() >= n, { timeout: 5000 }), 'listening again');
	assert.equal(listeners(), n, 'every worker listens again');
	for (const server of [null, second]) {
		for (const r of await burst(server, 'GET', `/v1/users/${user.id}`, tokens.access_token))
			refused(r, 'after the reconnection');
		// A route whose SQL never sees the caller: only the worker's set
		// of revoked sessions refuses there, and it was reloaded.
		for (const r of await burst(server, 'GET', '/v1/target-groups', tokens.access_token))
			refused(r, 'reloaded after the reconnection');
		// The other session of the same user still works...
		for (const r of await burst(server, 'GET', `/v1/users/${user.id}`, other.access_token))
			expectStatus(r, 200, 'the other session');
	}
	// ...until it is revoked too, through the new connections.
	expectStatus(await api('POST', '/v1/auth/revoke', { body: { token: other.refresh_token } }), 200);
	await refusedOnBoth(second, other.access_token, user.id, 'revoked after the reconnection');
});

// The killed listeners' backends are gone (their pids), whatever new
// connections are being made meanwhile.
async function gone(pids) {
	assert.ok(await waitFor(() => sqlInt(`select count(*) from pg_stat_activity
	    where pid = any($1::int[])`, [`{${pids.join(',')}}`]) === 0, { timeout: 5000 }),
	    'the killed listeners are gone');
}

test('a worker that cannot reload the revoked sessions takes no user token until it can', async () => {
	const { user, tokens } = await organizer();
	for (const r of await burst(null, 'GET', `/v1/users/${user.id}`, tokens.access_token))
		expectStatus(r, 200, 'before');
	const client = await partner({ scopes: ['stats:read'] });

	// The reload reads auth_session: hold it locked until the checks
	// below are done (a fixed time ran out on a loaded machine, the set
	// reloaded before the burst), and drop the main server's listeners
	// meanwhile.
	const locker = spawn('psql', [DATABASE_URL, '-X', '-q', '-c',
	    'begin; lock table auth_session in access exclusive mode; select pg_sleep(60); commit;'],
	    { stdio: 'ignore', env: { ...process.env, PGAPPNAME: 'ngan-test-locker' } });
	const unlocked = new Promise((r) => locker.on('exit', r));
	let partnerRead;
	try {
		assert.ok(await waitFor(() => sqlInt(`select count(*) from pg_locks where granted and
		    mode = 'AccessExclusiveLock' and relation = 'auth_session'::regclass`) === 1,
		    { interval: 50 }), 'auth_session is locked');
		const pids = sql(`select coalesce(string_agg(pid::text, ','), '') from pg_stat_activity
		    where application_name = 'ngan-listen'`).split(',').filter(Boolean);
		assert.ok(pids.length >= 2, `the main server's listeners: ${pids}`);
		sql(`select pg_terminate_backend(pid) from pg_stat_activity where pid = any($1::int[])`,
		    [`{${pids.join(',')}}`]);
		await gone(pids);
		const t0 = Date.now();
		for (const r of await burst(null, 'GET', `/v1/users/${user.id}`, tokens.access_token)) {
			expectStatus(r, 503, 'a user token while the set cannot be reloaded');
			assert.ok(Number(r.headers.get('retry-after')) >= 1, 'Retry-After');
		}
		assert.ok(Date.now() - t0 < 10000, 'answered without waiting for the lock (60 s)');
		// Requests without a session to look up are served meanwhile; a
		// partner client's statement checks it, waiting for the lock.
		expectStatus(await api('GET', `/v1/events/${EVENT}`), 200, 'anonymous');
		partnerRead = api('GET', '/v1/agencies?limit=1', { token: client.token,
		    timeout: 70000 });
	} finally {
		sql(`select pg_terminate_backend(pid) from pg_stat_activity
		    where application_name = 'ngan-test-locker'`);
		await unlocked;
	}
	expectStatus(await partnerRead, 200, 'a partner client (no session to look up)');
	// Back once the lock is gone: the set is loaded again, in every
	// worker (each retries on its own; the pool's connections that waited
	// on the lock come back too), within seconds.
	assert.ok(await waitFor(async () => (await burst(null, 'GET', `/v1/users/${user.id}`,
	    tokens.access_token)).every((r) => r.status === 200), { timeout: 10000 }), 'back');
	for (const r of await burst(null, 'GET', `/v1/users/${user.id}`, tokens.access_token))
		expectStatus(r, 200, 'after');
});
