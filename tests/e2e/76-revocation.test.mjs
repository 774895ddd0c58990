// Revocation at once (issue 14, item 3). An access token lives 15
// minutes and each worker caches the tokens it has verified; until now
// only /v1/me looked at the database. After a user is disabled, a session
// revoked (POST /v1/auth/revoke, or a refresh token presented twice) or a
// partner client disabled, the old token must be refused on the very next
// request, on every route: 401 with WWW-Authenticate: Bearer and a
// problem body, and a refused write changes nothing. Each case warms the
// token on both workers first (bursts of parallel requests), so the
// refusal is not a cold cache. 77-revocation-processes.test.mjs does the
// same across a second server process and a lost listener connection.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, allOperations, createUser, decodeJwt, expectStatus, expectUnauthorized, login,
    tokenFor, tokenRequest, sql, sqlInt, eventBody, spec, sleep, DEMO_EVENTS, LAMPANG_AGENCY,
    uniq } from './lib.mjs';
import { assignedScanner, registered, runningEvent, nonce } from './checkins-lib.mjs';
import { partner } from './partner-lib.mjs';

const EVENT = DEMO_EVENTS.lampang;

// Every table a request may write, as (rows, hash of the rows): a refused
// request must leave all of them as they were.
const TABLES = ['agency', 'app_user', 'auth_session', 'refresh_token', 'login_failure',
    'partner_client', 'event', 'event_co_organizer', 'event_quota', 'event_session',
    'participant', 'registration', 'event_scanner', 'checkin', 'vocational_group', 'product',
    'event_product', 'partner_audit', 'partner_rate', 'registration_feed'];

function fingerprint() {
	const q = TABLES.map((t) => `select '${t}', count(*), coalesce(sum(hashtext(x::text)), 0)
	    from ${t} x`).join(' union all ') +
	    ` union all select 'product_image', count(*), coalesce(sum(hashtext(product_id::text || position || encode(sha256, 'hex'))), 0)
	    from product_image`;
	return sql(q);
}

// A burst of parallel requests, so both workers see the token.
async function burst(method, path, token, n = 8, body) {
	return Promise.all(Array.from({ length: n }, () => api(method, path, { token, body })));
}

function refused(res, what) {
	expectUnauthorized(res, { invalidToken: true });
	assert.ok(res.json.detail, `${what}: the problem says why`);
	return res;
}

async function organizerAccount() {
	const { user, password, etag } = await createUser({ role: 'organizer',
	    username: uniq('org.'), agency_id: LAMPANG_AGENCY });
	return { user, password, etag, tokens: await login(user.username, password) };
}

function eventsTitled(title) {
	return sqlInt('select count(*) from event where title = $1', [title]);
}

// The token reads and writes, on both workers.
async function works(token, userId) {
	for (const r of await burst('GET', `/v1/events/${EVENT}`, token))
		expectStatus(r, 200, 'read before');
	for (const r of await burst('GET', `/v1/users/${userId}`, token))
		expectStatus(r, 200, 'own account before');
	const body = eventBody();
	expectStatus(await api('POST', '/v1/events', { token, body }), 201, 'write before');
	assert.equal(eventsTitled(body.title), 1);
}

// The very next request after the revocation, then a write, then bursts:
// all refused, and nothing written.
async function refusedEverywhere(token, userId, what) {
	const before = fingerprint();
	refused(await api('GET', `/v1/users/${userId}`, { token }), `${what}: next read`);
	const body = eventBody();
	refused(await api('POST', '/v1/events', { token, body }), `${what}: write`);
	refused(await api('GET', `/v1/events/${EVENT}`, { token }), `${what}: public read with the token`);
	for (const r of await burst('GET', `/v1/users/${userId}`, token))
		refused(r, `${what}: burst`);
	for (const r of await burst('POST', '/v1/events', token, 4, body))
		refused(r, `${what}: write burst`);
	refused(await api('GET', '/v1/me', { token }), `${what}: /v1/me`);
	assert.equal(eventsTitled(body.title), 0, `${what}: no event was created`);
	assert.equal(fingerprint(), before, `${what}: the database is unchanged`);
}

test('a disabled user: the old access token is refused at once, reads and writes', async () => {
	const { user, etag, tokens } = await organizerAccount();
	await works(tokens.access_token, user.id);
	const admin = await tokenFor('admin');
	expectStatus(await api('PATCH', `/v1/users/${user.id}`, { token: admin,
	    headers: { 'if-match': etag }, body: { active: false } }), 200, 'disable');
	await refusedEverywhere(tokens.access_token, user.id, 'disabled user');
});

test('a disabled scanner cannot check in with the token it had', async () => {
	const organizer = await tokenFor('organizer');
	const ev = await runningEvent();
	const a = await registered(ev.id, { token: organizer });
	const b = await registered(ev.id, { token: organizer });
	const scanner = await assignedScanner([ev.id], organizer);
	expectStatus(await api('POST', '/v1/checkins', { token: scanner.token,
	    body: { token: a.token, event_id: ev.id, nonce: nonce() } }), 201, 'scans before');
	const admin = await tokenFor('admin');
	const got = expectStatus(await api('GET', `/v1/users/${scanner.user.id}`, { token: admin }), 200);
	expectStatus(await api('PATCH', `/v1/users/${scanner.user.id}`, { token: admin,
	    headers: { 'if-match': got.headers.get('etag') }, body: { active: false } }), 200);
	const before = fingerprint();
	const n = nonce();
	refused(await api('POST', '/v1/checkins', { token: scanner.token,
	    body: { token: b.token, event_id: ev.id, nonce: n } }), 'check-in');
	refused(await api('POST', '/v1/checkins/batch', { token: scanner.token,
	    body: { scans: [{ token: b.token, event_id: ev.id, nonce: nonce(),
		scanned_at: new Date().toISOString() }] } }), 'batch');
	refused(await api('GET', `/v1/events/${ev.id}/scanner-manifest`, { token: scanner.token }),
	    'manifest');
	assert.equal(sqlInt('select count(*) from checkin where registration_id = $1::uuid', [b.id]), 0);
	assert.equal(fingerprint(), before, 'the database is unchanged');
});

test('a session revoked with POST /v1/auth/revoke: its access token is refused at once', async () => {
	const { user, tokens } = await organizerAccount();
	await works(tokens.access_token, user.id);
	expectStatus(await api('POST', '/v1/auth/revoke', { body: { token: tokens.access_token } }), 200);
	await refusedEverywhere(tokens.access_token, user.id, 'revoked session');
});

test('revoking one session leaves the user\'s other sessions working', async () => {
	const { user, password, tokens } = await organizerAccount();
	const second = await login(user.username, password);
	await works(tokens.access_token, user.id);
	await works(second.access_token, user.id);
	expectStatus(await api('POST', '/v1/auth/revoke', { body: { token: tokens.refresh_token } }), 200);
	refused(await api('GET', `/v1/users/${user.id}`, { token: tokens.access_token }), 'revoked one');
	for (const r of await burst('GET', `/v1/users/${user.id}`, second.access_token))
		expectStatus(r, 200, 'the other session');
});

test('a refresh token presented twice revokes the family: every access token of it is refused', async () => {
	const { user, tokens: t0 } = await organizerAccount();
	const t1 = expectStatus(await tokenRequest({ grant_type: 'refresh_token',
	    refresh_token: t0.refresh_token }), 200).json;
	await works(t0.access_token, user.id);
	await works(t1.access_token, user.id);
	const sid = decodeJwt(t1.access_token).payload.sid;
	// The replay (a thief's, or the owner's after the thief's).
	expectStatus(await tokenRequest({ grant_type: 'refresh_token', refresh_token: t0.refresh_token }),
	    400, 'replayed refresh token');
	assert.equal(sql('select revoked_reason from auth_session where id = $1::uuid', [sid]), 'reuse');
	await refusedEverywhere(t1.access_token, user.id, 'refresh reuse (newest token)');
	await refusedEverywhere(t0.access_token, user.id, 'refresh reuse (first token)');
});

test('a disabled partner client: its token is refused on every route at once; enabling restores it', async () => {
	const { client, token } = await partner({ scopes: ['stats:read'] });
	for (const r of await burst('GET', '/v1/agencies?limit=1', token))
		expectStatus(r, 200, 'read before');
	for (const r of await burst('GET', `/v1/events/${EVENT}`, token))
		expectStatus(r, 200, 'public read before');
	expectStatus(await api('POST', '/v1/events', { token, body: eventBody() }), 403,
	    'a partner may not write');
	const admin = await tokenFor('admin');
	const got = expectStatus(await api('GET', `/v1/partner-clients/${client.id}`, { token: admin }), 200);
	const off = expectStatus(await api('PATCH', `/v1/partner-clients/${client.id}`, { token: admin,
	    headers: { 'if-match': got.headers.get('etag') }, body: { active: false } }), 200);
	const before = fingerprint();
	refused(await api('GET', '/v1/agencies?limit=1', { token }), 'next read');
	const body = eventBody();
	// A partner may write nothing at all: refused for its role (403) or
	// its state (401), either way before anything is written.
	const w = await api('POST', '/v1/events', { token, body });
	assert.ok([401, 403].includes(w.status), `write: ${w.status} ${w.text}`);
	refused(await api('GET', `/v1/events/${EVENT}`, { token }), 'public read with the token');
	for (const r of await burst('GET', '/v1/agencies?limit=1', token))
		refused(r, 'burst');
	refused(await api('GET', '/v1/stats/attendance', { token }), 'stats');
	assert.equal(eventsTitled(body.title), 0);
	assert.equal(fingerprint(), before, 'the database is unchanged (no rate count, no audit row)');

	expectStatus(await api('PATCH', `/v1/partner-clients/${client.id}`, { token: admin,
	    headers: { 'if-match': off.headers.get('etag') }, body: { active: true } }), 200);
	for (const r of await burst('GET', '/v1/agencies?limit=1', token))
		expectStatus(r, 200, 'enabled again: the token works');
});

// Every operation that takes a bearer token, with a revoked one: 401
// before anything else is looked at, whatever the route does (routes that
// sign tickets or render QR codes, routes whose SQL never sees the
// caller), and nothing written. Routes whose SQL gets the caller refuse
// from the statement's own check, so at once; the few that serve public
// data without asking who calls refuse once the worker has heard of the
// revocation (LISTEN/NOTIFY, milliseconds): they are polled.
const PUBLIC_ONLY = new Set(['GET /v1/target-groups', 'GET /v1/group-categories',
    'GET /v1/products/{id}/images/{n}']);

test('every authenticated route refuses a revoked token and writes nothing', async () => {
	const { user, tokens } = await organizerAccount();
	await works(tokens.access_token, user.id);
	expectStatus(await api('POST', '/v1/auth/revoke', { body: { token: tokens.refresh_token } }), 200);
	const ids = { id: EVENT, sid: '00000000-0000-4000-8000-000000000001',
	    uid: user.id, pid: '00000000-0000-4000-8000-000000000002', n: '1' };
	const before = fingerprint();
	const globalSecurity = spec.security ?? [];
	let n = 0;
	for (const { method, template, op } of allOperations()) {
		const security = op.security ?? globalSecurity;
		if (!security.some((s) => 'bearerAuth' in s))
			continue;
		const path = template.replace(/\{([^}]+)\}/g, (_m, k) => ids[k] ?? EVENT);
		const opts = { token: tokens.access_token };
		if (!['GET', 'DELETE'].includes(method))
			opts.body = {};
		let res = await api(method, path, opts);
		for (let i = 0; i < 40 && PUBLIC_ONLY.has(`${method} ${template}`) &&
		    res.status !== 401; i++) {
			await sleep(50);
			res = await api(method, path, opts);
		}
		refused(res, `${method} ${template}`);
		n++;
	}
	assert.ok(n >= 60, `${n} operations checked`);
	assert.equal(fingerprint(), before, 'nothing written by any of them');
});
