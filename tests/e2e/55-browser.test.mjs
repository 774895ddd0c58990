// Browsers: headless Chromium (Debian's, driven by playwright-core) makes a
// real cross-origin fetch from a page on the allowed origin (served here on
// NGAN_TEST_ORIGIN_PORT, listed in the server's NGAN_CORS_ORIGINS) and
// from a page on another origin, which the browser must refuse; then it
// opens /docs with every request to another host blocked and finds the
// check-in operation. Preflights and the CORS headers are checked over
// plain HTTP too.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { api, BASE_URL, expectStatus, spec } from './lib.mjs';
import { partner } from './partner-lib.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ORIGIN_PORT = Number(process.env.NGAN_TEST_ORIGIN_PORT ?? 0);
const ALLOWED = `http://127.0.0.1:${ORIGIN_PORT}`;

const PAGE = `<!doctype html><meta charset="utf-8"><title>dashboard</title>
<script>
async function pull(base, token) {
	try {
		const r = await fetch(base + '/v1/stats/attendance?group_by=province', {
		    headers: { Authorization: 'Bearer ' + token, 'X-Request-Id': 'dash-1' } });
		return { ok: true, status: r.status, requestId: r.headers.get('x-request-id'),
		    body: await r.json() };
	} catch (e) {
		return { ok: false, error: String(e) };
	}
}
</script><p>ready</p>`;

let browser, allowedServer, otherServer, otherOrigin;

function serve(port) {
	return new Promise((resolve) => {
		const s = createServer((req, res) => {
			res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
			res.end(PAGE);
		});
		s.listen(port, '127.0.0.1', () => resolve(s));
	});
}

// An HTTP request with any headers (fetch will not send Origin for us).
function rawRequest(method, path, headers) {
	return new Promise((resolve, reject) => {
		const u = new URL(BASE_URL + path);
		const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers },
		    (res) => {
			    res.resume();
			    res.on('end', () => resolve({ status: res.statusCode, headers: res.headers }));
		    });
		req.on('error', reject);
		req.end();
	});
}

before(async () => {
	assert.ok(ORIGIN_PORT > 0, 'NGAN_TEST_ORIGIN_PORT is set by scripts/test.sh');
	assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (scripts/deps.sh)`);
	browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
	allowedServer = await serve(ORIGIN_PORT);
	otherServer = await serve(0);
	otherOrigin = `http://127.0.0.1:${otherServer.address().port}`;
});

after(async () => {
	await browser?.close();
	allowedServer?.close();
	otherServer?.close();
});

test('preflight: an allowed origin gets methods, headers and max-age; others get no CORS header', async () => {
	const pre = await rawRequest('OPTIONS', '/v1/events', { origin: ALLOWED,
	    'access-control-request-method': 'POST',
	    'access-control-request-headers': 'authorization, content-type, idempotency-key' });
	assert.equal(pre.status, 204);
	assert.equal(pre.headers['access-control-allow-origin'], ALLOWED);
	assert.match(pre.headers['access-control-allow-methods'], /\bGET\b.*\bPOST\b/);
	for (const h of ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match'])
		assert.ok(pre.headers['access-control-allow-headers'].includes(h), h);
	assert.equal(pre.headers['access-control-max-age'], '600');
	assert.match(pre.headers.vary, /Origin/);
	assert.ok(!('access-control-allow-credentials' in pre.headers));
	assert.ok(pre.headers['x-request-id']);

	const bad = await rawRequest('OPTIONS', '/v1/events', { origin: otherOrigin,
	    'access-control-request-method': 'POST' });
	assert.equal(bad.status, 204);
	for (const h of Object.keys(bad.headers))
		assert.ok(!h.startsWith('access-control-'), `no ${h} for a foreign origin`);

	const get = await rawRequest('GET', '/healthz', { origin: ALLOWED });
	assert.equal(get.headers['access-control-allow-origin'], ALLOWED);
	assert.match(get.headers['access-control-expose-headers'], /ETag.*X-Request-Id.*Retry-After/);
	assert.notEqual(get.headers['access-control-allow-origin'], '*');
	const foreign = await rawRequest('GET', '/healthz', { origin: otherOrigin });
	assert.equal(foreign.headers['access-control-allow-origin'], undefined);
	// An unknown path is still 404, OPTIONS or not.
	assert.equal((await rawRequest('OPTIONS', '/nope', { origin: ALLOWED })).status, 404);
});

test('Chromium: a dashboard on the allowed origin reads stats cross-origin; another origin cannot', async () => {
	const { token } = await partner({ scopes: ['stats:read'] });
	const page = await browser.newPage();
	try {
		await page.goto(`${ALLOWED}/`);
		const ok = await page.evaluate(([b, t]) => pull(b, t), [BASE_URL, token]);
		assert.equal(ok.ok, true, ok.error);
		assert.equal(ok.status, 200);
		assert.equal(ok.requestId, 'dash-1', 'X-Request-Id is exposed to the page');
		assert.ok(Array.isArray(ok.body.items));

		await page.goto(`${otherOrigin}/`);
		const refused = await page.evaluate(([b, t]) => pull(b, t), [BASE_URL, token]);
		assert.equal(refused.ok, false, 'the browser keeps the answer from a foreign origin');
		assert.match(refused.error, /TypeError/);
	} finally {
		await page.close();
	}
});

test('Chromium: /docs renders the reference from assets with no other host, check-in included', async () => {
	for (const [path, type] of [['/docs', 'text/html'], ['/docs/docs.js', 'text/javascript'],
	    ['/docs/swagger-ui.css', 'text/css'], ['/docs/swagger-ui-bundle.js', 'text/javascript']]) {
		const res = expectStatus(await api('GET', path), 200);
		assert.equal(res.headers.get('content-type').split(';')[0], type, path);
	}
	const page = await browser.newPage();
	const foreign = [];
	const base = new URL(BASE_URL);
	await page.route('**/*', (route) => {
		const u = new URL(route.request().url());
		if (u.host !== base.host) {
			foreign.push(u.href);
			return route.abort();
		}
		return route.continue();
	});
	try {
		await page.goto(`${BASE_URL}/docs`);
		const op = page.locator('.opblock-post .opblock-summary-path[data-path="/v1/checkins"]');
		await op.first().waitFor({ timeout: 15000 });
		assert.match(await page.title(), /ngan/);
		const summary = spec.paths['/v1/checkins'].post.summary;
		assert.equal(await page.getByText(summary, { exact: true }).count(), 1, summary);
		assert.deepEqual(foreign, [], 'nothing fetched from another host');
	} finally {
		await page.close();
	}
});
