// Token revocation (RFC 7009) as a standard client sends it: form-encoded,
// the partner client authenticated as at the token endpoint. A revoked
// client token is refused at once and its session is recorded revoked;
// unknown tokens are answered 200; a client's token is revoked by that
// client only.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { api, BASE_URL, decodeJwt, expectStatus, expectUnauthorized, login, sql, sqlInt,
    unchanged } from './lib.mjs';
import { partnerClient } from './partner-lib.mjs';

const ISSUER = new URL(BASE_URL);
const OPTS = { [oauth.allowInsecureRequests]: true };

function form(path, params, headers = {}) {
	return api('POST', path, { raw: new URLSearchParams(params).toString(),
	    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
}

function basic(id, secret) {
	return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function clientToken(c) {
	const res = await form('/v1/auth/token', { grant_type: 'client_credentials' },
	    { authorization: basic(c.client_id, c.client_secret) });
	expectStatus(res, 200, 'client_credentials');
	return res.json.access_token;
}

function revokedAt(sid) {
	return sql(`select coalesce(revoked_reason, '') || '|' || (revoked_at is not null)
	    from auth_session where id = $1::uuid`, [sid]);
}

test('oauth4webapi revokes a client token form-encoded; the token is refused at once and recorded', async () => {
	const c = await partnerClient({ scopes: ['stats:read'] });
	const as = await oauth.processDiscoveryResponse(ISSUER,
	    await oauth.discoveryRequest(ISSUER, { algorithm: 'oauth2', ...OPTS }));
	const client = { client_id: c.client_id };
	const auth = oauth.ClientSecretBasic(c.client_secret);
	const tok = await oauth.processClientCredentialsResponse(as, client,
	    await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), OPTS));
	const sid = decodeJwt(tok.access_token).payload.sid;
	expectStatus(await api('GET', '/v1/stats/attendance', { token: tok.access_token }), 200, 'before');
	assert.equal(revokedAt(sid), '|false');

	const res = await oauth.revocationRequest(as, client, auth, tok.access_token, OPTS);
	assert.equal(res.headers.get('content-type'), 'application/json');
	await oauth.processRevocationResponse(res);
	assert.equal(revokedAt(sid), 'revoked|true', 'the session is recorded revoked');

	expectUnauthorized(await api('GET', '/v1/stats/attendance', { token: tok.access_token }),
	    { invalidToken: true });
	expectUnauthorized(await api('GET', '/v1/me', { token: tok.access_token }), { invalidToken: true });
	// The client itself is not disabled: a new token works.
	expectStatus(await api('GET', '/v1/stats/attendance', { token: await clientToken(c) }), 200, 'new token');
});

test('curl revokes with -u and a form body', async () => {
	const c = await partnerClient({ scopes: ['stats:read'] });
	const token = await clientToken(c);
	const sid = decodeJwt(token).payload.sid;
	const out = execFileSync('curl', ['-sS', '-i', '-u', `${c.client_id}:${c.client_secret}`,
	    '-d', `token=${token}`, '-d', 'token_type_hint=access_token', `${BASE_URL}/v1/auth/revoke`],
	    { encoding: 'utf8', timeout: 15000 });
	assert.match(out, /^HTTP\/1\.1 200/, out);
	assert.equal(out.match(/\r\ncache-control:/gi)?.length, 1, out);
	assert.equal(revokedAt(sid), 'revoked|true');
	expectUnauthorized(await api('GET', '/v1/stats/attendance', { token }), { invalidToken: true });
});

test('unknown tokens answer 200 and change nothing (RFC 7009 2.2)', async () => {
	const c = await partnerClient({ scopes: ['stats:read'] });
	const auth = { authorization: basic(c.client_id, c.client_secret) };
	await unchanged(async () => {
		for (const token of ['x'.repeat(43), 'not.a.jwt', 'ไม่ใช่โทเค็น']) {
			const res = await form('/v1/auth/revoke', { token }, auth);
			expectStatus(res, 200, token);
			assert.deepEqual(res.json, {});
			expectStatus(await form('/v1/auth/revoke', { token }), 200, `${token}, no client`);
		}
	});
});

test('the apps revoke a refresh token form-encoded, without client authentication', async () => {
	const t = await login('scanner');
	const sid = decodeJwt(t.access_token).payload.sid;
	expectStatus(await form('/v1/auth/revoke', { token: t.refresh_token, token_type_hint: 'refresh_token' }), 200);
	assert.equal(revokedAt(sid), 'revoked|true');
	const again = await form('/v1/auth/token', { grant_type: 'refresh_token', refresh_token: t.refresh_token });
	assert.equal(again.status, 400);
	assert.equal(again.json.error, 'invalid_grant');
	expectUnauthorized(await api('GET', '/v1/me', { token: t.access_token }), { invalidToken: true });
});

test('a client token is revoked by its client only; refusals are RFC 6749 5.2 JSON', async () => {
	const c = await partnerClient({ scopes: ['stats:read'] });
	const other = await partnerClient({ scopes: ['stats:read'] });
	const token = await clientToken(c);
	const sid = decodeJwt(token).payload.sid;
	const user = await login('organizer');
	const userSid = decodeJwt(user.access_token).payload.sid;
	const refusals = [
	    [{ token }, {}, 401, 'invalid_client', 'no client authentication'],
	    [{ token }, { authorization: basic(other.client_id, other.client_secret) }, 400,
		'unauthorized_client', 'another client'],
	    [{ token }, { authorization: basic(c.client_id, 'wrong') }, 401, 'invalid_client', 'a wrong secret'],
	    [{ token, client_id: c.client_id, client_secret: c.client_secret },
		{ authorization: basic(c.client_id, c.client_secret) }, 400, 'invalid_request', 'two methods'],
	    [{ token: user.refresh_token }, { authorization: basic(c.client_id, c.client_secret) }, 400,
		'unauthorized_client', "a staff account's token"],
	    [{}, {}, 400, 'invalid_request', 'no token'],
	];
	for (const [params, headers, status, error, msg] of refusals) {
		const res = await form('/v1/auth/revoke', params, headers);
		assert.equal(res.status, status, `${msg}: ${res.text}`);
		assert.equal(res.headers.get('content-type'), 'application/json', msg);
		assert.equal(res.json.error, error, msg);
		if (status === 401)
			assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="ngan"/, msg);
	}
	assert.equal(revokedAt(sid), '|false', 'the client token still stands');
	assert.equal(revokedAt(userSid), '|false', "the staff session still stands");
	expectStatus(await api('GET', '/v1/stats/attendance', { token }), 200);

	// client_secret_post works too.
	expectStatus(await form('/v1/auth/revoke', { token, client_id: c.client_id,
	    client_secret: c.client_secret }), 200);
	assert.equal(revokedAt(sid), 'revoked|true');
	assert.equal(sqlInt(`select count(*) from auth_session where partner_client_id = $1::uuid
	    and revoked_at is not null`, [other.id]), 0, "the other client's sessions are untouched");
});
