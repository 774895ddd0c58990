// Partner clients: created by admins with the secret shown once and stored
// hashed; client_credentials tokens; what a client token may not do.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { api, tokenFor, tokenRequest, expectStatus, expectProblem, expectFieldError, BASE_URL,
    decodeJwt, sql, sqlInt, unchanged, uniq } from './lib.mjs';

let admin;
before(async () => {
	admin = await tokenFor('admin');
});

const post = (body, token = admin) => api('POST', '/v1/partner-clients', { token, body });
const credentials = (client_id, client_secret) =>
    tokenRequest({ grant_type: 'client_credentials', client_id, client_secret });

async function createClient(overrides = {}) {
	const res = await post({ name: `ระบบรายงานผล สสส. ${uniq('')}`, scopes: ['stats:read', 'feed:read'],
	    provinces: ['52', '56'], ...overrides });
	expectStatus(res, 201, 'create partner client');
	return res;
}

test('admin registers a partner client: secret shown once, no-store, stored hashed', async () => {
	const name = `ระบบรายงานผลของ สสส. ${uniq('')}`;
	const res = await createClient({ name });
	assert.match(res.headers.get('cache-control'), /no-store/);
	const c = res.json;
	assert.match(c.client_id, /^pc_[0-9a-f]{24}$/);
	assert.match(c.client_secret, /^[A-Za-z0-9_-]{43}$/);
	assert.equal(Buffer.from(c.client_secret, 'base64url').length, 32, '256-bit secret');
	assert.equal(c.name, name);
	assert.deepEqual([...c.scopes].sort(), ['feed:read', 'stats:read']);
	assert.deepEqual([...c.provinces].sort(), ['52', '56']);
	assert.equal(c.active, true);

	// The database keeps only a hash of the secret.
	const row = sql(`select p::text from partner_client p where id = $1::uuid`, [c.id]);
	assert.ok(row.length > 0, 'the client is stored');
	assert.ok(!row.includes(c.client_secret), 'the plain secret is not stored');
	assert.equal(sqlInt(`select count(*) from partner_client p where strpos(p::text, $1) > 0`,
	    [c.client_secret]), 0, 'no partner_client row holds the plain secret');
	const asText = createHash('sha256').update(c.client_secret, 'utf8').digest('hex');
	const asBytes = createHash('sha256').update(Buffer.from(c.client_secret, 'base64url')).digest('hex');
	assert.equal(sqlInt(`select count(*) from partner_client where id = $1::uuid and
	    encode(secret_sha256, 'hex') in ($2, $3)`, [c.id, asText, asBytes]), 1,
	    'secret_sha256 is the SHA-256 of the secret');
	// Nothing else in the database holds it either (e.g. a log table).
	const dump = sql(`select string_agg(t::text, '') from (
	    select row_to_json(x)::text as t from partner_client x) s`);
	assert.ok(!dump.includes(c.client_secret));
});

test('client_credentials: a token without refresh token; /v1/me as the client', async () => {
	const c = (await createClient({ scopes: ['stats:read'], provinces: ['52'] })).json;
	const res = await credentials(c.client_id, c.client_secret);
	expectStatus(res, 200);
	assert.match(res.headers.get('cache-control'), /no-store/);
	const t = res.json;
	assert.equal(t.token_type, 'Bearer');
	assert.equal(t.scope, 'stats:read');
	assert.ok(!('refresh_token' in t), 'no refresh token for client_credentials');
	const { payload } = await jwtVerify(t.access_token,
	    createLocalJWKSet(expectStatus(await api('GET', '/.well-known/jwks.json'), 200).json),
	    { issuer: BASE_URL, audience: 'ngan-api', algorithms: ['ES256'] });
	assert.equal(payload.sub, c.id);
	assert.equal(payload.role, 'partner');
	assert.equal(payload.scope, 'stats:read');

	const me = expectStatus(await api('GET', '/v1/me', { token: t.access_token }), 200).json;
	assert.deepEqual(me, { id: c.id, name: c.name, role: 'partner', scope: 'stats:read',
	    kind: 'client', provinces: ['52'] });

	// Both scopes: joined by spaces.
	const both = (await createClient()).json;
	const t2 = expectStatus(await credentials(both.client_id, both.client_secret), 200).json;
	assert.deepEqual(t2.scope.split(' ').sort(), ['feed:read', 'stats:read']);
	const me2 = expectStatus(await api('GET', '/v1/me', { token: t2.access_token }), 200).json;
	assert.deepEqual(me2.scope.split(' ').sort(), ['feed:read', 'stats:read']);
	assert.deepEqual([...me2.provinces].sort(), ['52', '56']);
});

test('client_credentials with a wrong secret or unknown client: 401 invalid_client', async () => {
	const c = (await createClient()).json;
	const cases = [
	    [c.client_id, `${c.client_secret.slice(0, -1)}${c.client_secret.endsWith('A') ? 'B' : 'A'}`],
	    [c.client_id, ''],
	    ['pc_000000000000000000000000', c.client_secret],
	    ['not-a-client', 'x'],
	];
	for (const [id, secret] of cases) {
		const res = await credentials(id, secret);
		if (secret === '' && res.status === 422)
			continue; // an empty secret may be refused as a validation error
		expectStatus(res, 401, `${id} / ${secret.slice(0, 5)}`);
		assert.equal(res.json.error, 'invalid_client');
	}
	// A deactivated client is refused too.
	sql('update partner_client set active = false where id = $1::uuid', [c.id]);
	const res = await credentials(c.client_id, c.client_secret);
	expectStatus(res, 401);
	assert.equal(res.json.error, 'invalid_client');
});

test('partner client tokens cannot administer', async () => {
	const c = (await createClient()).json;
	const token = expectStatus(await credentials(c.client_id, c.client_secret), 200).json.access_token;
	await unchanged(async () => {
		expectProblem(await api('GET', '/v1/users', { token }), 403, 'forbidden');
		expectProblem(await post({ name: 'x', scopes: ['stats:read'] }, token), 403, 'forbidden');
		expectProblem(await api('POST', '/v1/agencies', { token, body: { name: 'x', kind: 'other' } }),
		    403, 'forbidden');
		expectProblem(await api('POST', '/v1/users', { token, body: {
		    username: uniq('p.'), display_name: 'x', role: 'admin', password: '0123456789x' } }),
		    403, 'forbidden');
	});
	// Reading agencies is fine for any token.
	expectStatus(await api('GET', '/v1/agencies', { token }), 200);
});

test('only admins register partner clients', async () => {
	for (const who of ['organizer', 'scanner', 'partner']) {
		await unchanged(async () => {
			expectProblem(await post({ name: 'x', scopes: ['stats:read'] }, await tokenFor(who)),
			    403, 'forbidden', who);
		}, ['partner_client']);
	}
});

test('partner client validation: each bad field named, nothing stored', async () => {
	const cases = [
	    [{ scopes: ['stats:read'] }, 'name', 'required'],
	    [{ name: 'x' }, 'scopes', 'required'],
	    [{ name: '', scopes: ['stats:read'] }, 'name', 'length'],
	    [{ name: 'ก'.repeat(201), scopes: ['stats:read'] }, 'name', 'length'],
	    [{ name: 5, scopes: ['stats:read'] }, 'name', 'type'],
	    [{ name: 'x', scopes: 'stats:read' }, 'scopes', 'type'],
	    [{ name: 'x', scopes: [] }, 'scopes', ['length', 'range']],
	    [{ name: 'x', scopes: ['stats:read', 'feed:read', 'stats:read'] }, /^scopes(\.\d+)?$/,
		['length', 'range', 'duplicate']],
	    [{ name: 'x', scopes: ['stats:read', 'stats:read'] }, /^scopes(\.\d+)?$/, ['duplicate', 'enum']],
	    [{ name: 'x', scopes: ['stats:write'] }, 'scopes.0', 'enum'],
	    [{ name: 'x', scopes: ['stats:read', 7] }, 'scopes.1', 'type'],
	    [{ name: 'x', scopes: ['stats:read'], provinces: '52' }, 'provinces', 'type'],
	    [{ name: 'x', scopes: ['stats:read'], provinces: [52] }, 'provinces.0', 'type'],
	    [{ name: 'x', scopes: ['stats:read'], provinces: ['52', '5'] }, 'provinces.1', 'format'],
	    [{ name: 'x', scopes: ['stats:read'], provinces: ['99'] }, /^provinces(\.0)?$/, 'not_found'],
	    [{ name: 'x', scopes: ['stats:read'], secret: 'mine' }, 'secret', 'unknown'],
	    [{ name: 'x', scopes: ['stats:read'], client_id: 'pc_0' }, 'client_id', 'unknown'],
	];
	for (const [body, field, code] of cases) {
		await unchanged(async () => {
			expectFieldError(await post(body), field, code, JSON.stringify(body));
		}, ['partner_client']);
	}
});
