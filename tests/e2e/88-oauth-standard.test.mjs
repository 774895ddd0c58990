// OAuth 2 as RFC 6749 writes it, tried with the tools a partner's
// integrator already has: oauth4webapi (discovery by RFC 8414, the
// client_credentials grant with client_secret_basic and client_secret_post)
// and curl -u. Every refusal is RFC 6749 5.2 JSON with its status, content
// type and, for invalid_client, WWW-Authenticate: Basic; token answers say
// Cache-Control: no-store once. What the database holds is checked too.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { api, BASE_URL, DEMO_PASSWORD, createUser, decodeJwt, expectStatus, sql,
    sqlInt, unchanged, validateResponse } from './lib.mjs';
import { partnerClient } from './partner-lib.mjs';
import { startServer } from './server-lib.mjs';

const ISSUER = new URL(BASE_URL);
const TOKEN = `${BASE_URL}/v1/auth/token`;

// Every answer oauth4webapi reads is checked against openapi.yaml as api() does.
async function checkedFetch(url, init) {
	const res = await fetch(url, init);
	const copy = res.clone();
	const text = await copy.text();
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	const u = new URL(url);
	validateResponse(init?.method ?? 'GET', u.pathname + u.search,
	    { status: res.status, headers: res.headers, text, json });
	return res;
}

const OPTS = { [oauth.allowInsecureRequests]: true, [oauth.customFetch]: checkedFetch };

async function discover() {
	const res = await oauth.discoveryRequest(ISSUER, { algorithm: 'oauth2', ...OPTS });
	return oauth.processDiscoveryResponse(ISSUER, res);
}

// A form-encoded POST as a plain client sends it; headers as given.
function form(path, params, headers = {}) {
	return api('POST', path, { raw: new URLSearchParams(params).toString(),
	    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
}

function basic(id, secret) {
	const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+');
	return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

// RFC 6749 5.2: status, application/json, {error, error_description}, no-store once.
function expectOAuthError(res, status, error, msg = '') {
	const where = `${msg || error}: ${res.text}`;
	assert.equal(res.status, status, where);
	assert.equal(res.headers.get('content-type'), 'application/json', where);
	assert.equal(res.json?.error, error, where);
	assert.equal(typeof res.json.error_description, 'string', where);
	assert.deepEqual(Object.keys(res.json).sort(), ['error', 'error_description'], where);
	assert.equal(res.headers.get('cache-control'), 'no-store', `${where}: Cache-Control once`);
	if (error === 'invalid_client')
		assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="ngan"/, where);
	else
		assert.equal(res.headers.get('www-authenticate'), null, where);
	return res;
}

function clientSessions(clientId) {
	return sqlInt('select count(*) from auth_session where partner_client_id = $1::uuid', [clientId]);
}

test('authorization server metadata (RFC 8414) names the endpoints, grants and methods', async () => {
	const res = expectStatus(await api('GET', '/.well-known/oauth-authorization-server'), 200);
	assert.equal(res.headers.get('content-type'), 'application/json');
	const m = res.json;
	assert.equal(m.issuer, BASE_URL, 'the issuer is the URL the metadata was fetched under');
	assert.equal(m.token_endpoint, `${BASE_URL}/v1/auth/token`);
	assert.equal(m.revocation_endpoint, `${BASE_URL}/v1/auth/revoke`);
	assert.equal(m.jwks_uri, `${BASE_URL}/.well-known/jwks.json`);
	assert.deepEqual([...m.grant_types_supported].sort(),
	    ['client_credentials', 'password', 'refresh_token']);
	for (const k of ['token_endpoint_auth_methods_supported', 'revocation_endpoint_auth_methods_supported'])
		assert.deepEqual([...m[k]].sort(), ['client_secret_basic', 'client_secret_post', 'none'], k);
	assert.deepEqual([...m.scopes_supported].sort(), ['feed:read', 'stats:read']);
	assert.deepEqual(m.response_types_supported, [], 'no authorization endpoint');
	// The JWKS it names verifies our tokens: it is the key set served.
	const jwks = await fetch(m.jwks_uri).then((r) => r.json());
	const t = await form('/v1/auth/token', { grant_type: 'password', username: 'admin',
	    password: DEMO_PASSWORD });
	expectStatus(t, 200);
	const { header, payload } = decodeJwt(t.json.access_token);
	assert.ok(jwks.keys.some((k) => k.kid === header.kid));
	assert.equal(payload.iss, m.issuer, 'access tokens carry the issuer as iss');
});

test('oauth4webapi: discovery, client_credentials by client_secret_basic, then statistics', async () => {
	const c = await partnerClient({ scopes: ['stats:read'] });
	const before = clientSessions(c.id);
	const as = await discover();
	const client = { client_id: c.client_id };
	const res = await oauth.clientCredentialsGrantRequest(as, client,
	    oauth.ClientSecretBasic(c.client_secret), new URLSearchParams(), OPTS);
	const tok = await oauth.processClientCredentialsResponse(as, client, res);
	assert.equal(tok.token_type, 'bearer');
	assert.equal(tok.scope, 'stats:read');
	assert.equal(tok.refresh_token, undefined);

	const stats = await oauth.protectedResourceRequest(tok.access_token, 'GET',
	    new URL(`${BASE_URL}/v1/stats/attendance?group_by=province`), new Headers(), null, OPTS);
	assert.equal(stats.status, 200, await stats.clone().text());
	const body = await stats.json();
	assert.ok(Array.isArray(body.rows ?? body.items ?? body.groups ?? []), 'statistics answered');

	// The token's session is the client's, in the database.
	const sid = decodeJwt(tok.access_token).payload.sid;
	assert.equal(clientSessions(c.id), before + 1, 'one session opened for the client');
	assert.equal(sql('select partner_client_id from auth_session where id = $1::uuid', [sid]), c.id);
});

test('oauth4webapi: client_secret_post and a narrower scope', async () => {
	const c = await partnerClient({ scopes: ['stats:read', 'feed:read'] });
	const as = await discover();
	const client = { client_id: c.client_id };
	const res = await oauth.clientCredentialsGrantRequest(as, client,
	    oauth.ClientSecretPost(c.client_secret), new URLSearchParams({ scope: 'feed:read' }), OPTS);
	const tok = await oauth.processClientCredentialsResponse(as, client, res);
	assert.equal(tok.scope, 'feed:read');
	assert.equal(decodeJwt(tok.access_token).payload.scope, 'feed:read');
	// Only what was granted: the feed, not the statistics.
	expectStatus(await api('GET', '/v1/feed/registrations?limit=1', { token: tok.access_token }), 200);
	expectStatus(await api('GET', '/v1/stats/attendance', { token: tok.access_token }), 403,
	    'a scope not asked for');
	const me = expectStatus(await api('GET', '/v1/me', { token: tok.access_token }), 200).json;
	assert.equal(me.scope, 'feed:read', "/v1/me tells the token's scope");
});

test('oauth4webapi reads our refusals: invalid_scope as 5.2 JSON, invalid_client as a Basic challenge', async () => {
	const c = await partnerClient({ scopes: ['stats:read'] });
	const as = await discover();
	const client = { client_id: c.client_id };
	await assert.rejects(async () => oauth.processClientCredentialsResponse(as, client,
	    await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(c.client_secret),
		new URLSearchParams({ scope: 'feed:read' }), OPTS)),
	    (e) => e instanceof oauth.ResponseBodyError && e.error === 'invalid_scope' && e.status === 400);
	await assert.rejects(async () => oauth.processClientCredentialsResponse(as, client,
	    await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(`${c.client_secret}x`),
		new URLSearchParams(), OPTS)),
	    (e) => e instanceof oauth.WWWAuthenticateChallengeError && e.status === 401 &&
		e.cause[0].scheme === 'basic' && e.cause[0].parameters.realm === 'ngan');
	assert.equal(clientSessions(c.id), 0, 'no session for a refused grant');
});

test('curl -u client:secret -d grant_type=client_credentials', async () => {
	const c = await partnerClient({ scopes: ['stats:read'] });
	const out = execFileSync('curl', ['-sS', '-i', '-u', `${c.client_id}:${c.client_secret}`,
	    '-d', 'grant_type=client_credentials', TOKEN], { encoding: 'utf8', timeout: 15000 });
	const [head, body] = out.split(/\r\n\r\n/);
	assert.match(head, /^HTTP\/1\.1 200/, out);
	assert.match(head, /\r\ncontent-type: application\/json\r\n/i);
	// Sent once each, not once per step of the grant.
	assert.equal(head.match(/\r\ncache-control:/gi)?.length, 1, head);
	assert.match(head, /\r\ncache-control: no-store\r\n/i);
	assert.equal(head.match(/\r\npragma: no-cache\r\n/gi)?.length, 1, head);
	const tok = JSON.parse(body);
	assert.equal(tok.scope, 'stats:read');
	expectStatus(await api('GET', '/v1/stats/attendance', { token: tok.access_token }), 200);

	// curl -u with a wrong secret: 401, the Basic challenge, 5.2 JSON.
	const bad = execFileSync('curl', ['-sS', '-i', '-u', `${c.client_id}:nope`,
	    '-d', 'grant_type=client_credentials', TOKEN], { encoding: 'utf8', timeout: 15000 });
	assert.match(bad, /^HTTP\/1\.1 401/);
	assert.match(bad, /\r\nwww-authenticate: Basic realm="ngan"/i);
	assert.equal(JSON.parse(bad.split(/\r\n\r\n/)[1]).error, 'invalid_client');
});

test('Basic credentials are form-decoded first (RFC 6749 2.3.1)', async () => {
	const c = await partnerClient({ scopes: ['stats:read'] });
	// pc_... with its "_" escaped: the same client once decoded.
	const escaped = c.client_id.replace('_', '%5F');
	const raw = `Basic ${Buffer.from(`${escaped}:${c.client_secret}`).toString('base64')}`;
	const res = await form('/v1/auth/token', { grant_type: 'client_credentials' }, { authorization: raw });
	expectStatus(res, 200, 'escaped client id');
	assert.equal(decodeJwt(res.json.access_token).payload.sub, c.id);
});

test('user sign-in form-encoded: password (special characters decoded) and refresh_token', async () => {
	const password = 'a&b=c+d%e ทดสอบ';
	const { user } = await createUser({ password });
	const t = await form('/v1/auth/token', { grant_type: 'password', username: user.username, password });
	expectStatus(t, 200);
	assert.equal(t.headers.get('cache-control'), 'no-store');
	assert.equal(t.headers.get('pragma'), 'no-cache');
	const r = await form('/v1/auth/token', { grant_type: 'refresh_token', refresh_token: t.json.refresh_token });
	expectStatus(r, 200);
	assert.equal(decodeJwt(r.json.access_token).payload.sid, decodeJwt(t.json.access_token).payload.sid);
	// A charset parameter on the media type is fine.
	const again = await api('POST', '/v1/auth/token', {
	    raw: new URLSearchParams({ grant_type: 'password', username: user.username, password }).toString(),
	    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' } });
	expectStatus(again, 200);
});

test('each RFC 6749 error code, its status, content type and challenge; nothing changes', async () => {
	const c = await partnerClient({ scopes: ['stats:read'] });
	const post = { client_id: c.client_id, client_secret: c.client_secret };
	const auth = { authorization: basic(c.client_id, c.client_secret) };
	const cc = { grant_type: 'client_credentials' };
	await unchanged(async () => {
		// invalid_request
		expectOAuthError(await form('/v1/auth/token', {}), 400, 'invalid_request', 'no grant_type');
		expectOAuthError(await api('POST', '/v1/auth/token', { raw: 'grant_type=client_credentials&grant_type=password',
		    headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth } }),
		    400, 'invalid_request', 'a repeated parameter');
		expectOAuthError(await api('POST', '/v1/auth/token', { raw: 'grant_type=pass%zzword',
		    headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400, 'invalid_request', 'a bad escape');
		expectOAuthError(await form('/v1/auth/token', { ...cc, ...post }, auth), 400, 'invalid_request',
		    'Basic and client_secret at once');
		expectOAuthError(await form('/v1/auth/token', { grant_type: 'password', username: 'admin' }),
		    400, 'invalid_request', 'no password');
		expectOAuthError(await api('POST', '/v1/auth/token', { raw: 'grant_type=client_credentials',
		    headers: { 'content-type': 'text/plain', ...auth } }), 415, 'invalid_request', 'text/plain');
		expectOAuthError(await api('POST', '/v1/auth/token', { raw: `grant_type=password&p=${'x'.repeat(17000)}`,
		    headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 413, 'invalid_request', 'over 16 KiB');
		expectOAuthError(await api('POST', '/v1/auth/token', { raw: '{"grant_type":',
		    headers: { 'content-type': 'application/json' } }), 400, 'invalid_request', 'malformed JSON');

		// invalid_client: 401 with WWW-Authenticate: Basic, whichever way the client came.
		expectOAuthError(await form('/v1/auth/token', cc, { authorization: basic(c.client_id, 'wrong') }),
		    401, 'invalid_client', 'Basic, wrong secret');
		expectOAuthError(await form('/v1/auth/token', { ...cc, client_id: c.client_id, client_secret: 'wrong' }),
		    401, 'invalid_client', 'post, wrong secret');
		expectOAuthError(await form('/v1/auth/token', cc, { authorization: basic('pc_000000000000000000000000', 'x') }),
		    401, 'invalid_client', 'unknown client');
		expectOAuthError(await form('/v1/auth/token', cc), 401, 'invalid_client', 'no client authentication');
		expectOAuthError(await form('/v1/auth/token', { ...cc, client_id: c.client_id }), 401, 'invalid_client',
		    'client_id without its secret');
		expectOAuthError(await form('/v1/auth/token', cc, { authorization: 'Basic !!!' }), 401, 'invalid_client',
		    'malformed Basic');
		expectOAuthError(await form('/v1/auth/token', cc, { authorization: 'Bearer abc' }), 401, 'invalid_client',
		    'another scheme');

		// invalid_grant
		expectOAuthError(await form('/v1/auth/token', { grant_type: 'password', username: 'admin',
		    password: `${DEMO_PASSWORD}x` }), 400, 'invalid_grant', 'wrong password');
		expectOAuthError(await form('/v1/auth/token', { grant_type: 'refresh_token', refresh_token: 'x'.repeat(43) }),
		    400, 'invalid_grant', 'unknown refresh token');

		// unauthorized_client: a partner client on the apps' grant.
		expectOAuthError(await form('/v1/auth/token', { grant_type: 'password', username: 'admin',
		    password: DEMO_PASSWORD }, auth), 400, 'unauthorized_client', 'password grant with client credentials');
		// ...but the client is authenticated first.
		expectOAuthError(await form('/v1/auth/token', { grant_type: 'password', username: 'admin',
		    password: DEMO_PASSWORD }, { authorization: basic(c.client_id, 'wrong') }), 401, 'invalid_client',
		    'password grant with a wrong client secret');

		// unsupported_grant_type
		expectOAuthError(await form('/v1/auth/token', { grant_type: 'authorization_code', code: 'x' }),
		    400, 'unsupported_grant_type');

		// invalid_scope
		expectOAuthError(await form('/v1/auth/token', { ...cc, scope: 'feed:read' }, auth), 400, 'invalid_scope',
		    'a scope the client lacks');
		expectOAuthError(await form('/v1/auth/token', { ...cc, scope: 'admin' }, auth), 400, 'invalid_scope',
		    'an unknown scope');
		expectOAuthError(await form('/v1/auth/token', { ...cc, scope: 'stats:read  feed:read' }, auth), 400,
		    'invalid_scope', 'a malformed scope');
	});
	assert.equal(clientSessions(c.id), 0, 'no refused request opened a session');

	// A disabled client is invalid_client too.
	sql('update partner_client set active = false where id = $1::uuid', [c.id]);
	expectOAuthError(await form('/v1/auth/token', cc, auth), 401, 'invalid_client', 'disabled client');
});

test('an empty parameter counts as omitted; unknown ones are ignored (RFC 6749 3.2)', async () => {
	const c = await partnerClient({ scopes: ['stats:read'] });
	const res = await api('POST', '/v1/auth/token', {
	    raw: `grant_type=client_credentials&scope=&resource=x&client_id=${c.client_id}` +
		`&client_secret=${encodeURIComponent(c.client_secret)}`,
	    headers: { 'content-type': 'application/x-www-form-urlencoded' } });
	expectStatus(res, 200);
	assert.equal(res.json.scope, 'stats:read', 'an empty scope asks for all');
});

test('NGAN_PUBLIC_URL: a bad value stops the server with a message; a set one is the issuer everywhere', async () => {
	const cases = [
	    ['ftp://ngan.example.org', /NGAN_PUBLIC_URL \(ftp:\/\/ngan\.example\.org\) must be an origin/],
	    ['https://ngan.example.org/api', /NGAN_PUBLIC_URL .* must be an origin .*no path/],
	    ['https://ngan.example.org?x=1', /NGAN_PUBLIC_URL .* must be an origin/],
	    ['https://user@ngan.example.org', /NGAN_PUBLIC_URL .* must be an origin/],
	    ['https://ngan.example.org:99999', /NGAN_PUBLIC_URL .* must be an origin/],
	    ['http://ngan.example.org', /NGAN_PUBLIC_URL .* must use https \(http only for localhost/],
	];
	for (const [value, message] of cases) {
		let srv = null;
		let err = null;
		try {
			srv = await startServer({ NGAN_PUBLIC_URL: value }, 'public-url-bad');
		} catch (e) {
			err = e;
		}
		if (srv)
			await srv.stop();
		assert.ok(err, `${value}: the server must not start`);
		assert.match(err.message, message, value);
	}

	// Unset: the address and port the server listens on (a local run).
	const local = await startServer({ NGAN_PUBLIC_URL: '' }, 'public-url-derived');
	try {
		const m = await fetch(`${local.base}/.well-known/oauth-authorization-server`).then((r) => r.json());
		assert.equal(m.issuer, local.base, 'derived from the listener');
		assert.equal(m.token_endpoint, `${local.base}/v1/auth/token`);
	} finally {
		await local.stop();
	}

	// Behind a front: the issuer, the endpoints and the tokens' iss follow it.
	const srv = await startServer({ NGAN_PUBLIC_URL: 'https://ngan.example.org/' }, 'public-url');
	try {
		const m = await fetch(`${srv.base}/.well-known/oauth-authorization-server`).then((r) => r.json());
		assert.equal(m.issuer, 'https://ngan.example.org', 'the trailing slash dropped');
		assert.equal(m.token_endpoint, 'https://ngan.example.org/v1/auth/token');
		assert.equal(m.jwks_uri, 'https://ngan.example.org/.well-known/jwks.json');
		const t = await fetch(`${srv.base}/v1/auth/token`, { method: 'POST',
		    headers: { 'content-type': 'application/x-www-form-urlencoded' },
		    body: new URLSearchParams({ grant_type: 'password', username: 'admin', password: DEMO_PASSWORD }) })
		    .then((r) => r.json());
		assert.equal(decodeJwt(t.access_token).payload.iss, 'https://ngan.example.org');
		const me = await fetch(`${srv.base}/v1/me`, { headers: { authorization: `Bearer ${t.access_token}` } });
		assert.equal(me.status, 200);
		// A token of another issuer (the suite's server) is not this one's.
		const ours = await form('/v1/auth/token', { grant_type: 'password', username: 'admin',
		    password: DEMO_PASSWORD });
		const cross = await fetch(`${srv.base}/v1/me`, { headers: { authorization: `Bearer ${ours.json.access_token}` } });
		assert.equal(cross.status, 401);
	} finally {
		await srv.stop();
	}
});
