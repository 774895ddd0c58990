// Partner clients managed by admins: list, get, change with If-Match,
// disable (its tokens stop working at once), enable, rotate the secret;
// scopes decide what a client token may read.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, tokenFor, tokenRequest, expectStatus, expectProblem, expectFieldError, sql,
    unchanged, ETAG_RE, etagOf } from './lib.mjs';
import { partner, partnerClient, clientToken, stats, feed } from './partner-lib.mjs';

const admin = () => tokenFor('admin');
const credentials = (c, secret = c.client_secret) => tokenRequest({ grant_type: 'client_credentials',
    client_id: c.client_id, client_secret: secret });

test('admins list and get partner clients; never the secret; others get 403', async () => {
	const c = await partnerClient({ provinces: ['52'] });
	const got = expectStatus(await api('GET', `/v1/partner-clients/${c.id}`, { token: await admin() }), 200).json;
	assert.equal(got.client_id, c.client_id);
	assert.deepEqual(got.provinces, ['52']);
	assert.ok(!('client_secret' in got));
	const seen = [];
	let cursor = null;
	for (let i = 0; i < 50; i++) {
		const res = expectStatus(await api('GET', `/v1/partner-clients?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
		    { token: await admin() }), 200);
		for (const it of res.json.items) {
			assert.ok(!('client_secret' in it));
			seen.push(it.id);
		}
		cursor = res.json.next_cursor;
		if (!cursor)
			break;
	}
	assert.ok(seen.includes(c.id), 'the list pages through to the new client');
	assert.equal(new Set(seen).size, seen.length, 'no client twice');
	for (const who of ['organizer', 'scanner', 'partner']) {
		const token = await tokenFor(who);
		expectProblem(await api('GET', '/v1/partner-clients', { token }), 403, 'forbidden');
		expectProblem(await api('GET', `/v1/partner-clients/${c.id}`, { token }), 403, 'forbidden');
	}
	expectProblem(await api('GET', '/v1/partner-clients/00000000-0000-4000-8000-000000000000',
	    { token: await admin() }), 404, 'not-found');
});

test('a disabled client cannot get tokens and its tokens stop working at once; enabling restores', async () => {
	const { client: c, token } = await partner({ scopes: ['stats:read', 'feed:read'] });
	expectStatus(await stats(token), 200);
	expectStatus(await feed(token, { limit: '1' }), 200);
	const a = await admin();
	const get = expectStatus(await api('GET', `/v1/partner-clients/${c.id}`, { token: a }), 200);
	const off = expectStatus(await api('PATCH', `/v1/partner-clients/${c.id}`, { token: a,
	    headers: { 'if-match': get.headers.get('etag') }, body: { active: false } }), 200);
	assert.equal(off.json.active, false);
	assert.equal(sql(`select active from partner_client where id = $1::uuid`, [c.id]), 'f');

	// The token is a valid JWT still; the server checks the client anyway.
	expectProblem(await stats(token), 401, 'unauthorized');
	expectProblem(await feed(token), 401, 'unauthorized');
	expectProblem(await api('GET', '/v1/stats/attendance.csv', { token }), 401, 'unauthorized');
	expectProblem(await api('GET', '/v1/me', { token }), 401, 'unauthorized');
	assert.equal((await credentials(c)).status, 401, 'no new token either');

	const on = expectStatus(await api('PATCH', `/v1/partner-clients/${c.id}`, { token: a,
	    headers: { 'if-match': off.headers.get('etag') }, body: { active: true } }), 200);
	assert.equal(on.json.active, true);
	expectStatus(await stats(token), 200);
	expectStatus(await credentials(c), 200);
});

test('PATCH needs If-Match; stale or bad bodies change nothing', async () => {
	const c = await partnerClient();
	const a = await admin();
	const before = sql(`select p::text from partner_client p where id = $1::uuid`, [c.id]);
	const tag = await etagOf(`/v1/partner-clients/${c.id}`, a);
	await unchanged(async () => {
		expectProblem(await api('PATCH', `/v1/partner-clients/${c.id}`, { token: a,
		    body: { active: false } }), 428, 'precondition-required');
		expectProblem(await api('PATCH', `/v1/partner-clients/${c.id}`, { token: a,
		    headers: { 'if-match': '"9"' }, body: { active: false } }), 412, 'precondition-failed');
		expectProblem(await api('PATCH', `/v1/partner-clients/${c.id}`, { token: a,
		    headers: { 'if-match': `W/${tag}` }, body: { active: false } }), 412, 'precondition-failed');
		expectFieldError(await api('PATCH', `/v1/partner-clients/${c.id}`, { token: a,
		    headers: { 'if-match': tag }, body: { scopes: ['events:write'] } }), 'scopes.0');
		expectFieldError(await api('PATCH', `/v1/partner-clients/${c.id}`, { token: a,
		    headers: { 'if-match': tag }, body: { provinces: ['99'] } }), 'provinces');
		expectFieldError(await api('PATCH', `/v1/partner-clients/${c.id}`, { token: a,
		    headers: { 'if-match': tag }, body: { client_id: 'pc_x' } }), 'client_id');
		expectProblem(await api('PATCH', `/v1/partner-clients/${c.id}`, { token: await tokenFor('organizer'),
		    headers: { 'if-match': tag }, body: { active: false } }), 403, 'forbidden');
	});
	assert.equal(sql(`select p::text from partner_client p where id = $1::uuid`, [c.id]), before);

	const res = expectStatus(await api('PATCH', `/v1/partner-clients/${c.id}`, { token: a,
	    headers: { 'if-match': tag }, body: { name: 'ระบบใหม่', scopes: ['stats:read'], provinces: ['56', '52'] } }),
	    200);
	assert.match(res.headers.get('etag'), ETAG_RE);
	assert.notEqual(res.headers.get('etag'), tag);
	assert.deepEqual(res.json.scopes, ['stats:read']);
	assert.deepEqual(res.json.provinces, ['52', '56']);
});

test('rotating the secret: shown once, stored hashed, the old one stops working', async () => {
	const c = await partnerClient();
	const a = await admin();
	const res = expectStatus(await api('POST', `/v1/partner-clients/${c.id}/secret`, { token: a }), 200);
	assert.match(res.headers.get('cache-control'), /no-store/);
	const secret = res.json.client_secret;
	assert.notEqual(secret, c.client_secret);
	assert.equal(sql(`select count(*) from partner_client p where strpos(p::text, $1) > 0`, [secret]), '0');
	assert.equal((await credentials(c)).status, 401, 'old secret refused');
	expectStatus(await credentials(c, secret), 200, 'new secret works');
	expectProblem(await api('POST', `/v1/partner-clients/${c.id}/secret`, { token: await tokenFor('organizer') }),
	    403, 'forbidden');
	expectProblem(await api('POST', '/v1/partner-clients/00000000-0000-4000-8000-000000000000/secret',
	    { token: a }), 404, 'not-found');
});

test('scopes: stats:read alone cannot read the feed, feed:read alone cannot read stats', async () => {
	const s = await partner({ scopes: ['stats:read'] });
	const f = await partner({ scopes: ['feed:read'] });
	expectStatus(await stats(s.token), 200);
	expectProblem(await feed(s.token), 403, 'forbidden');
	expectStatus(await feed(f.token, { limit: '1' }), 200);
	expectProblem(await stats(f.token), 403, 'forbidden');
	expectProblem(await api('GET', '/v1/stats/attendance.csv', { token: f.token }), 403, 'forbidden');
	// Scopes changed by an admin apply to tokens already issued.
	const a = await admin();
	expectStatus(await api('PATCH', `/v1/partner-clients/${s.client.id}`, { token: a,
	    headers: { 'if-match': await etagOf(`/v1/partner-clients/${s.client.id}`, a) },
	    body: { scopes: ['feed:read'] } }), 200);
	expectProblem(await stats(s.token), 403, 'forbidden');
	// Client tokens may not do staff things.
	expectProblem(await api('GET', '/v1/audit', { token: s.token }), 403, 'forbidden');
	expectProblem(await api('GET', '/v1/partner-clients', { token: s.token }), 403, 'forbidden');
	// No token at all.
	assert.equal((await stats(undefined)).status, 401);
	assert.equal((await feed(undefined)).status, 401);
	// A scanner reads neither.
	expectProblem(await stats(await tokenFor('scanner')), 403, 'forbidden');
	expectProblem(await feed(await tokenFor('scanner')), 403, 'forbidden');
	await clientToken(f.client);
});
