// Refresh-token rotation, reuse detection (a reused refresh token revokes
// its whole family) and revocation (RFC 7009).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { api, login, tokenRequest, expectStatus, expectUnauthorized,
    decodeJwt, sql, sqlInt, unchanged } from './lib.mjs';

const refresh = (refresh_token) => tokenRequest({ grant_type: 'refresh_token', refresh_token });
const revoke = (body) => api('POST', '/v1/auth/revoke', { body });

function expectInvalidGrant(res, msg) {
	assert.equal(res.status, 400, `${msg}: ${res.text}`);
	assert.equal(res.json.error, 'invalid_grant', msg);
}

function sessionRevoked(sid) {
	return sql('select revoked_at is not null from auth_session where id = $1::uuid', [sid]) === 't';
}

test('refresh rotates: a new refresh token each time, same session, working access token', async () => {
	const t0 = await login('organizer');
	const sid = decodeJwt(t0.access_token).payload.sid;
	const r1 = await refresh(t0.refresh_token);
	expectStatus(r1, 200, 'first refresh');
	assert.match(r1.headers.get('cache-control'), /no-store/);
	const t1 = r1.json;
	assert.equal(t1.token_type, 'Bearer');
	assert.equal(t1.scope, 'organizer');
	assert.notEqual(t1.refresh_token, t0.refresh_token, 'refresh token rotated');
	assert.notEqual(t1.access_token, t0.access_token);
	const p1 = decodeJwt(t1.access_token).payload;
	assert.equal(p1.sid, sid, 'the refreshed token belongs to the same session');
	assert.equal(p1.sub, 'b0000000-0000-4000-8000-000000000002');
	expectStatus(await api('GET', '/v1/me', { token: t1.access_token }), 200);

	const t2 = expectStatus(await refresh(t1.refresh_token), 200, 'second refresh').json;
	assert.notEqual(t2.refresh_token, t1.refresh_token);
	expectStatus(await api('GET', '/v1/me', { token: t2.access_token }), 200);
	assert.equal(sessionRevoked(sid), false);
});

test('refresh tokens are stored hashed, never in plain text', async () => {
	const t = await login('scanner');
	const asText = createHash('sha256').update(t.refresh_token, 'utf8').digest('hex');
	const asBytes = createHash('sha256').update(Buffer.from(t.refresh_token, 'base64url')).digest('hex');
	assert.equal(sqlInt(`select count(*) from refresh_token
	    where encode(token_sha256, 'hex') in ($1, $2)`, [asText, asBytes]), 1,
	    'a row holds the SHA-256 of the refresh token');
	assert.equal(sqlInt(`select count(*) from refresh_token r
	    where strpos(r::text, $1) > 0 or strpos(encode(r.token_sha256, 'escape'), $1) > 0`,
	    [t.refresh_token]), 0, 'the plain token is nowhere in refresh_token');
});

test('a refresh token used twice revokes the family: the second generation fails too', async () => {
	const t0 = await login('organizer');
	const sid = decodeJwt(t0.access_token).payload.sid;
	const t1 = expectStatus(await refresh(t0.refresh_token), 200).json;

	// Replay of the first token: refused, and the family is revoked.
	expectInvalidGrant(await refresh(t0.refresh_token), 'reused refresh token');
	assert.equal(sessionRevoked(sid), true, 'the session is revoked in the database');

	// The token issued by the first use no longer works either.
	expectInvalidGrant(await refresh(t1.refresh_token), 'second-generation refresh token');
	// Nor the access token of that session.
	expectUnauthorized(await api('GET', '/v1/me', { token: t1.access_token }), { invalidToken: true });
	// No new refresh token was issued for the revoked session.
	assert.equal(sqlInt('select count(*) from refresh_token where session_id = $1::uuid', [sid]), 2);

	// Other sessions of the same user are untouched.
	const other = await login('organizer');
	expectStatus(await api('GET', '/v1/me', { token: other.access_token }), 200);
	expectStatus(await refresh(other.refresh_token), 200);
});

test('unknown, expired and access-token-as-refresh-token are invalid_grant', async () => {
	await unchanged(async () => {
		expectInvalidGrant(await refresh('x'.repeat(43)), 'unknown refresh token');
		expectInvalidGrant(await refresh('ไม่ใช่โทเค็น'), 'Thai garbage');
	}, ['auth_session', 'refresh_token', 'revoked_sessions']);
	const t = await login('organizer');
	// An access token is not a refresh token.
	expectInvalidGrant(await refresh(t.access_token), 'an access token is not a refresh token');

	const t2 = await login('organizer');
	const sid = decodeJwt(t2.access_token).payload.sid;
	sql(`update refresh_token set expires_at = now() - interval '1 second'
	    where session_id = $1::uuid`, [sid]);
	expectInvalidGrant(await refresh(t2.refresh_token), 'expired refresh token');
});

test('revoking a refresh token ends its family', async () => {
	const t = await login('scanner');
	const sid = decodeJwt(t.access_token).payload.sid;
	const res = await revoke({ token: t.refresh_token, token_type_hint: 'refresh_token' });
	expectStatus(res, 200);
	assert.deepEqual(res.json, {});
	assert.equal(sessionRevoked(sid), true);
	expectInvalidGrant(await refresh(t.refresh_token), 'revoked refresh token');
	// Revoking again is fine (idempotent).
	expectStatus(await revoke({ token: t.refresh_token }), 200);
});

test('revoking an access token ends its session', async () => {
	const t = await login('scanner');
	const sid = decodeJwt(t.access_token).payload.sid;
	expectStatus(await api('GET', '/v1/me', { token: t.access_token }), 200);
	const res = await revoke({ token: t.access_token, token_type_hint: 'access_token' });
	expectStatus(res, 200);
	assert.deepEqual(res.json, {});
	assert.equal(sessionRevoked(sid), true);
	expectUnauthorized(await api('GET', '/v1/me', { token: t.access_token }), { invalidToken: true });
	expectInvalidGrant(await refresh(t.refresh_token), 'refresh token of a revoked session');
	// Without a hint too.
	const u = await login('scanner');
	expectStatus(await revoke({ token: u.access_token }), 200);
	assert.equal(sessionRevoked(decodeJwt(u.access_token).payload.sid), true);
});

test('revoking an unknown token answers 200 {} and changes nothing', async () => {
	await unchanged(async () => {
		for (const token of ['nope', 'a.b.c', 'x'.repeat(43), 'โทเค็นปลอม']) {
			const res = await revoke({ token });
			expectStatus(res, 200, token);
			assert.deepEqual(res.json, {});
		}
	});
});

test('revoke: a missing or non-string token is 400 invalid_request; unknown parameters are ignored', async () => {
	await unchanged(async () => {
		for (const body of [{}, { token: 5 }, { token: 'x', token_type_hint: 3 }]) {
			const res = await revoke(body);
			expectStatus(res, 400, JSON.stringify(body));
			assert.equal(res.json.error, 'invalid_request');
		}
		expectStatus(await revoke({ token: 'x', reason: 'lost phone' }), 200, 'RFC 6749 3.2');
	});
});

