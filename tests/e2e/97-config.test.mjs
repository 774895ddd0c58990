// Issue 16, item 3: one module reads the environment (api/config.c), with
// one behaviour for a bad value: the server stops with a message naming
// the variable and what it takes, never the value of a secret. Several of
// these were silently replaced by a default before (NGAN_ACCESS_TTL,
// NGAN_REFRESH_TTL, NGAN_CHECKIN_MARGIN_MINUTES, NGAN_TICKET_LINK_DAYS) or
// read any value but "0" as "on" (NGAN_ACCESS_LOG).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEMO_PASSWORD } from './lib.mjs';
import { startServer } from './server-lib.mjs';

async function refused(env, pattern, what) {
	let srv;
	try {
		srv = await startServer(env, 'config-bad');
	} catch (e) {
		assert.match(e.message, pattern, `${what}: ${e.message.slice(0, 400)}`);
		return e.message;
	}
	await srv.stop();
	assert.fail(`${what}: the server started`);
}

test('a bad number stops the server with a message naming the variable and its range', async () => {
	const cases = [
	    ['NGAN_ACCESS_TTL', '5', /NGAN_ACCESS_TTL: "5" is not seconds an access token lasts, 30 to 86400/],
	    ['NGAN_ACCESS_TTL', '900s', /NGAN_ACCESS_TTL: "900s" is not/],
	    ['NGAN_REFRESH_TTL', '59', /NGAN_REFRESH_TTL: "59" is not seconds a refresh token lasts/],
	    ['NGAN_CHECKIN_MARGIN_MINUTES', 'abc', /NGAN_CHECKIN_MARGIN_MINUTES: "abc" is not minutes, 0 to 10080/],
	    ['NGAN_TICKET_LINK_DAYS', '-1', /NGAN_TICKET_LINK_DAYS: "-1" is not days after the event, 0 to 3650/],
	    ['NGAN_ACCESS_LOG', 'yes', /NGAN_ACCESS_LOG: "yes" is not 1 \(a line a request\) or 0/],
	    ['NGAN_PARTNER_RATE', '1e3', /NGAN_PARTNER_RATE: "1e3" is not/],
	    ['NGAN_STATS_TTL', '86401', /NGAN_STATS_TTL: "86401" is not seconds, 0 to 86400/],
	    ['NGAN_CONN_PER_ADDR', '65536', /NGAN_CONN_PER_ADDR: "65536" is not connections per address/],
	    ['NGAN_BODY_MIN_RATE', ' 1', /NGAN_BODY_MIN_RATE: " 1" is not bytes a second/],
	    ['NGAN_WORKER_PRIORITY', '99999999999999999999', /NGAN_WORKER_PRIORITY: "9+" is not a nice value/],
	];
	for (const [name, value, pattern] of cases)
		await refused({ [name]: value }, pattern, `${name}=${value}`);
});

test('a required variable missing, a malformed key or list: stopped, secrets never shown', async () => {
	await refused({ NGAN_JWT_KEY: '' }, /NGAN_JWT_KEY is not set: the path of the ES256/, 'no signing key');
	await refused({ DATABASE_URL: '' }, /DATABASE_URL is not set/, 'no database');
	const key = 'ab'.repeat(31) + 'zz';
	const m = await refused({ NGAN_PII_KEY: key }, /NGAN_PII_KEY: 64 hex digits/, 'a PII key with odd digits');
	assert.ok(!m.includes(key), 'the key is not shown');
	const token = 'short-metrics-token';
	const t = await refused({ NGAN_METRICS_TOKEN: token }, /NGAN_METRICS_TOKEN: at least 32 characters/, 'a short token');
	assert.ok(!t.includes(token), 'the token is not shown');
	await refused({ NGAN_CORS_ORIGINS: 'https://*.example.org' }, /NGAN_CORS_ORIGINS: http\(s\) origins by commas, no \*/,
	    'a wildcard origin');
});

test('good values take effect: NGAN_ACCESS_TTL sets expires_in', async () => {
	const srv = await startServer({ NGAN_ACCESS_TTL: '60', NGAN_ACCESS_LOG: '0' }, 'config-good');
	try {
		const res = await fetch(`${srv.base}/v1/auth/token`, { method: 'POST',
		    headers: { 'content-type': 'application/json' },
		    body: JSON.stringify({ grant_type: 'password', username: 'admin', password: DEMO_PASSWORD }) });
		assert.equal(res.status, 200);
		assert.equal((await res.json()).expires_in, 60);
		assert.ok(!/\]: POST \/v1\/auth\/token /.test(srv.log()), 'no access log line with NGAN_ACCESS_LOG=0');
	} finally {
		await srv.stop();
	}
});
