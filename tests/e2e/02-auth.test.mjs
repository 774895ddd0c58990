// Password logins for the demo accounts, /v1/me, the JWT's shape and
// signature (verified with jose against the JWKS), and 401 for every kind
// of bad token.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createLocalJWKSet, jwtVerify, importPKCS8, SignJWT, decodeProtectedHeader,
    generateKeyPair, exportJWK } from 'jose';
import { api, login, tokenRequest, expectStatus, expectProblem,
    expectUnauthorized, decodeJwt, DEMO, DEMO_PASSWORD, JWT_KEY_PATH, createUser, BASE_URL,
    allOperations, unchanged, sqlInt, newUuid, uniq, lowS } from './lib.mjs';

const ACCESS_TTL = Number(process.env.NGAN_ACCESS_TTL ?? 900);
const USERS = ['admin', 'organizer', 'scanner', 'partner'];
const tokens = {};

async function jwks() {
	return expectStatus(await api('GET', '/.well-known/jwks.json'), 200).json;
}

test('each demo account gets a token; /v1/me answers with its identity', async () => {
	for (const username of USERS) {
		const res = await tokenRequest({ grant_type: 'password', username,
		    password: DEMO_PASSWORD });
		expectStatus(res, 200, username);
		assert.match(res.headers.get('cache-control'), /no-store/);
		const t = res.json;
		assert.equal(t.token_type, 'Bearer');
		assert.equal(t.expires_in, ACCESS_TTL);
		assert.equal(t.scope, DEMO[username].role);
		assert.equal(typeof t.refresh_token, 'string');
		assert.ok(t.refresh_token.length >= 32, 'refresh token has enough entropy');
		tokens[username] = t;

		const me = await api('GET', '/v1/me', { token: t.access_token });
		expectStatus(me, 200, `/v1/me as ${username}`);
		assert.match(me.headers.get('cache-control'), /no-store/);
		assert.equal(me.json.id, DEMO[username].id);
		assert.equal(me.json.username, username);
		assert.equal(me.json.role, DEMO[username].role);
		assert.equal(me.json.scope, DEMO[username].role);
		assert.equal(me.json.kind, 'user');
		assert.equal(me.json.agency_id, DEMO[username].agency_id);
		assert.ok(me.json.display_name.length > 0);
	}
	// Thai display names round-trip byte for byte.
	const me = await api('GET', '/v1/me', { token: tokens.scanner.access_token });
	assert.equal(me.json.display_name, 'อาสาสมัครจุดลงทะเบียน');
});

test('the access token is an ES256 JWT with the contract claims', async () => {
	const keys = await jwks();
	for (const username of USERS) {
		const t = tokens[username] ?? await login(username);
		const { header, payload } = decodeJwt(t.access_token);
		assert.equal(header.alg, 'ES256');
		assert.equal(header.typ, 'JWT');
		assert.equal(header.kid, keys.keys[0].kid, 'signed with the current (first) key');
		// The issuer of the authorization server metadata (RFC 8414, 9068).
		assert.equal(payload.iss, BASE_URL);
		assert.ok(payload.aud === 'ngan-api' ||
		    (Array.isArray(payload.aud) && payload.aud.includes('ngan-api')), 'aud');
		assert.equal(payload.sub, DEMO[username].id);
		assert.equal(payload.role, DEMO[username].role);
		assert.equal(payload.scope, DEMO[username].role);
		assert.match(payload.sid, /^[0-9a-f-]{36}$/);
		assert.equal(typeof payload.jti, 'string');
		assert.ok(payload.jti.length >= 16);
		for (const c of ['iat', 'nbf', 'exp'])
			assert.ok(Number.isInteger(payload[c]), `${c} is an integer`);
		assert.equal(payload.exp - payload.iat, ACCESS_TTL);
		assert.ok(payload.nbf <= payload.iat + 1);
		assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 300, 'iat is now');
		if (username === 'organizer' || username === 'scanner')
			assert.equal(payload.agency_id, DEMO[username].agency_id);
		// The session in the token exists in the database.
		assert.equal(sqlInt('select count(*) from auth_session where id = $1::uuid and user_id = $2::uuid',
		    [payload.sid, DEMO[username].id]), 1, 'sid names a session of this user');
	}
	const a = decodeJwt((await login('admin')).access_token).payload;
	const b = decodeJwt((await login('admin')).access_token).payload;
	assert.notEqual(a.jti, b.jti, 'jti is unique');
	assert.notEqual(a.sid, b.sid, 'each login is its own session');
});

test('JWKS verifies the access token with a standard JWT library (jose)', async () => {
	const JWKS = createLocalJWKSet(await jwks());
	for (const username of USERS) {
		const t = tokens[username] ?? await login(username);
		const { payload, protectedHeader } = await jwtVerify(t.access_token, JWKS, {
		    issuer: BASE_URL, audience: 'ngan-api', algorithms: ['ES256'],
		    typ: 'JWT', requiredClaims: ['sub', 'role', 'scope', 'sid', 'jti', 'iat', 'nbf', 'exp'],
		});
		assert.equal(payload.sub, DEMO[username].id);
		assert.equal(protectedHeader.alg, 'ES256');
	}
	// And rejects a token whose payload was changed.
	const t = tokens.scanner ?? await login('scanner');
	const [h, p, s] = t.access_token.split('.');
	const claims = JSON.parse(Buffer.from(p, 'base64url'));
	claims.role = 'admin';
	const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
	await assert.rejects(jwtVerify(forged, JWKS, { issuer: BASE_URL, audience: 'ngan-api' }));
});

test('wrong password, unknown user and deactivated user: 400 invalid_grant, no session', async () => {
	const { user, password } = await createUser();
	const sessions = () => sqlInt('select count(*) from auth_session where user_id = $1::uuid', [user.id]);
	const before = sessions();
	let res = await tokenRequest({ grant_type: 'password', username: user.username,
	    password: `${password}x` });
	expectStatus(res, 400, 'wrong password');
	assert.equal(res.json.error, 'invalid_grant');
	assert.equal(res.headers.get('content-type'), 'application/json', 'RFC 6749 5.2 JSON');
	assert.ok(!/password_hash|argon2|select |SQL/i.test(res.text), 'no internals leak');
	res = await tokenRequest({ grant_type: 'password', username: uniq('nobody.'),
	    password: 'whatever-password' });
	assert.equal(res.status, 400);
	assert.equal(res.json.error, 'invalid_grant');
	assert.equal(sessions(), before, 'no session was opened');
	// The right password still works (fewer than five failures).
	expectStatus(await tokenRequest({ grant_type: 'password', username: user.username, password }), 200);
});

// RFC 6749 5.2 governs the token endpoint's refusals (more in 88-oauth-standard).
test('token endpoint: unsupported grant type, missing or malformed parameters are 400 invalid_request', async () => {
	const invalid = (res, msg) => {
		expectStatus(res, 400, msg);
		assert.equal(res.headers.get('content-type'), 'application/json', msg);
		assert.equal(res.json.error, 'invalid_request', msg);
		assert.ok(res.json.error_description.length > 0, msg);
	};
	await unchanged(async () => {
		let res = await tokenRequest({ grant_type: 'authorization_code' });
		assert.equal(res.status, 400, res.text);
		assert.equal(res.json.error, 'unsupported_grant_type');

		invalid(await tokenRequest({}), 'no grant_type');
		invalid(await tokenRequest({ grant_type: 'password' }), 'no username and password');
		invalid(await tokenRequest({ grant_type: 'password', username: 42, password: 'x' }),
		    'a number for a username');
		invalid(await tokenRequest({ grant_type: 7, username: 'admin', password: 'x' }), 'a number');
		invalid(await tokenRequest({ grant_type: 'refresh_token' }), 'no refresh_token');
		invalid(await tokenRequest({ grant_type: 'refresh_token', refresh_token: ['a'] }), 'an array');
		invalid(await tokenRequest({ grant_type: 'password', username: 'a'.repeat(65), password: 'x' }),
		    'a username longer than any account has');
		// Unknown parameters are ignored (RFC 6749 3.2): this one signs in.
		expectStatus(await tokenRequest({ grant_type: 'password', username: 'admin',
		    password: DEMO_PASSWORD, remember_me: 'yes' }), 200, 'unknown parameter ignored');
	}, ['app_user', 'partner_client', 'user_versions', 'revoked_sessions']);
});

// ------------------------------------------------------------ 401

test('every operation that needs a token answers 401 + WWW-Authenticate: Bearer without one', async () => {
	for (const { method, template, op } of allOperations()) {
		// Public operations: no security, or an anonymous alternative ({}).
		if (Array.isArray(op.security) && (op.security.length === 0 ||
		    op.security.some((s) => Object.keys(s).length === 0)))
			continue;
		const path = template.replace('{n}', '1').replace(/\{[^}]+\}/g, DEMO.admin.id);
		const res = await api(method, path, {
		    body: ['POST', 'PATCH'].includes(method) ? {} : undefined,
		    headers: method === 'PATCH' ? { 'If-Match': '"1"' } : {} });
		expectUnauthorized(res);
		assert.doesNotMatch(res.headers.get('www-authenticate'), /invalid_token/,
		    `${method} ${template}: no error code when no token was sent`);
	}
});

test('401 invalid_token for garbage, other schemes, alg none, tampered and foreign-key tokens', async () => {
	const good = (tokens.organizer ?? await login('organizer')).access_token;
	const [h, p, s] = good.split('.');
	const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
	const header = decodeProtectedHeader(good);
	const claims = JSON.parse(Buffer.from(p, 'base64url'));

	const cases = {
	    garbage: 'garbage',
	    'three garbage parts': 'abc.def.ghi',
	    'truncated signature': `${h}.${p}.${s.slice(0, 20)}`,
	    'no signature': `${h}.${p}.`,
	    'alg none': `${b64({ ...header, alg: 'none' })}.${p}.`,
	    'alg none with signature': `${b64({ ...header, alg: 'none' })}.${p}.${s}`,
	    'tampered payload (role admin)': `${h}.${b64({ ...claims, role: 'admin' })}.${s}`,
	    'tampered payload (exp later)': `${h}.${b64({ ...claims, exp: claims.exp + 3600 })}.${s}`,
	    'signature of another token': `${h}.${p}.${(await login('scanner')).access_token.split('.')[2]}`,
	};
	// Signed by a key the server does not know, with the server's kid.
	const { privateKey } = await generateKeyPair('ES256');
	cases['foreign key, same kid'] = await new SignJWT(claims)
	    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: header.kid }).sign(privateKey);
	// HS256 keyed with the public JWK text (algorithm confusion).
	const jwk = (await jwks()).keys[0];
	cases['HS256 with the public key as secret'] = await new SignJWT(claims)
	    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: header.kid })
	    .sign(new TextEncoder().encode(JSON.stringify(jwk)));

	for (const [name, token] of Object.entries(cases)) {
		const res = await api('GET', '/v1/me', { token });
		assert.equal(res.status, 401, `${name}: ${res.text}`);
		expectUnauthorized(res, { invalidToken: true });
	}
	for (const auth of [`Basic ${Buffer.from('admin:x').toString('base64')}`, 'Bearer',
	    'Bearer ', `bearer${good}`, `Token ${good}`]) {
		const res = await api('GET', '/v1/me', { headers: { authorization: auth } });
		expectUnauthorized(res);
	}
	// The untouched token still works (the cases above were the only difference).
	expectStatus(await api('GET', '/v1/me', { token: good }), 200);
});

test('with the server key: expired, not-yet-valid, wrong issuer/audience tokens are 401', async (t) => {
	assert.ok(JWT_KEY_PATH, 'NGAN_JWT_KEY (path of the server signing key) must be exported to the tests');
	const key = await importPKCS8(readFileSync(JWT_KEY_PATH, 'utf8'), 'ES256');
	const kid = (await jwks()).keys[0].kid;
	const now = Math.floor(Date.now() / 1000);
	const t0 = tokens.organizer ?? await login('organizer');
	const base = decodeJwt(t0.access_token).payload;
	// In the one form the server takes (low s, see lowS()).
	const sign = async (claims, hdr = {}) => lowS(await new SignJWT(claims)
	    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid, ...hdr }).sign(key));

	// Positive control: a token we sign with the same key and claims works,
	// so the failures below are about the one claim that differs.
	const control = await sign({ ...base, jti: newUuid(), iat: now, nbf: now, exp: now + 600 });
	expectStatus(await api('GET', '/v1/me', { token: control }), 200, 'control token');

	const bad = {
	    expired: { ...base, jti: newUuid(), iat: now - 3600, nbf: now - 3600, exp: now - 60 },
	    'not yet valid': { ...base, jti: newUuid(), iat: now, nbf: now + 3600, exp: now + 7200 },
	    'wrong issuer': { ...base, jti: newUuid(), iss: 'someone-else', iat: now, nbf: now, exp: now + 600 },
	    // Tickets' issuer, the access tokens' before they named the public URL.
	    'ticket issuer': { ...base, jti: newUuid(), iss: 'ngan', iat: now, nbf: now, exp: now + 600 },
	    'wrong audience': { ...base, jti: newUuid(), aud: 'other-api', iat: now, nbf: now, exp: now + 600 },
	    'no exp': (({ exp, ...c }) => ({ ...c, jti: newUuid(), iat: now, nbf: now }))(base),
	    'unknown user': { ...base, jti: newUuid(), sub: newUuid(), iat: now, nbf: now, exp: now + 600 },
	};
	for (const [name, claims] of Object.entries(bad)) {
		const res = await api('GET', '/v1/me', { token: await sign(claims) });
		assert.equal(res.status, 401, `${name}: ${res.text}`);
		expectUnauthorized(res);
	}
	const unknownKid = await sign({ ...base, jti: newUuid(), iat: now, nbf: now, exp: now + 600 },
	    { kid: 'no-such-kid' });
	expectUnauthorized(await api('GET', '/v1/me', { token: unknownKid }), { invalidToken: true });
	// Expired tokens are refused on other endpoints too, not only /v1/me.
	const expired = await sign(bad.expired);
	expectUnauthorized(await api('GET', '/v1/agencies', { token: expired }), { invalidToken: true });
	expectUnauthorized(await api('GET', '/v1/users', { token: expired }), { invalidToken: true });
});

test('previous signing keys are published after the current one and still verify', async (t) => {
	const previous = (process.env.NGAN_JWT_PREVIOUS_KEYS ?? '').split(':').filter(Boolean);
	if (previous.length === 0) {
		t.skip('NGAN_JWT_PREVIOUS_KEYS is not set');
		return;
	}
	const set = await jwks();
	assert.equal(set.keys.length, 1 + previous.length, 'current key plus each previous key');
	const current = await exportJWK(await importPKCS8(readFileSync(JWT_KEY_PATH, 'utf8'), 'ES256', { extractable: true }));
	assert.equal(set.keys[0].x, current.x, 'the current key comes first');
	const now = Math.floor(Date.now() / 1000);
	const base = decodeJwt((await login('scanner')).access_token).payload;
	for (const [i, path] of previous.entries()) {
		const key = await importPKCS8(readFileSync(path, 'utf8'), 'ES256', { extractable: true });
		const jwk = await exportJWK(key);
		const published = set.keys.find((k) => k.x === jwk.x && k.y === jwk.y);
		assert.ok(published, `previous key ${i + 1} is in the JWKS`);
		assert.equal(set.keys.indexOf(published), i + 1, 'previous keys follow the current one in order');
		const token = lowS(await new SignJWT({ ...base, jti: newUuid(), iat: now, nbf: now, exp: now + 600 })
		    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: published.kid }).sign(key));
		expectStatus(await api('GET', '/v1/me', { token }), 200, 'a token signed with a previous key');
		// The same token with the current key's kid does not verify.
		const wrongKid = lowS(await new SignJWT({ ...base, jti: newUuid(), iat: now, nbf: now, exp: now + 600 })
		    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: set.keys[0].kid }).sign(key));
		expectUnauthorized(await api('GET', '/v1/me', { token: wrongKid }), { invalidToken: true });
	}
});
