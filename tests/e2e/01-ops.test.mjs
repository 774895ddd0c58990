// Operations endpoints and the HTTP conventions every response follows:
// health, readiness, metrics, JWKS, X-Request-Id, 404 and 405 problems.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { api, expectStatus, expectProblem, tokenFor, allOperations,
    documentedMethods, spec, PROBLEM } from './lib.mjs';

test('GET /healthz answers {"status":"ok"}', async () => {
	const res = expectStatus(await api('GET', '/healthz'), 200);
	assert.match(res.headers.get('content-type'), /^application\/json\b/);
	assert.deepEqual(res.json, { status: 'ok' });
});

test('GET /readyz answers {"status":"ready"} while the database is up', async () => {
	const res = expectStatus(await api('GET', '/readyz'), 200);
	assert.deepEqual(res.json, { status: 'ready' });
});

test('X-Request-Id is generated as 32 lowercase hex, unique per request', async () => {
	const a = await api('GET', '/healthz');
	const b = await api('GET', '/healthz');
	assert.match(a.requestId, /^[0-9a-f]{32}$/);
	assert.match(b.requestId, /^[0-9a-f]{32}$/);
	assert.notEqual(a.requestId, b.requestId);
});

test('X-Request-Id sent by the client is echoed, also on errors and in problem bodies', async () => {
	const id = 'client-req.42:abc_DEF';
	const ok = await api('GET', '/healthz', { headers: { 'X-Request-Id': id } });
	assert.equal(ok.requestId, id);
	const nf = await api('GET', '/no-such-route', { headers: { 'X-Request-Id': id } });
	expectProblem(nf, 404, 'not-found');
	assert.equal(nf.requestId, id);
	assert.equal(nf.json.request_id, id);
	const unauth = await api('GET', '/v1/me', { headers: { 'X-Request-Id': id } });
	assert.equal(unauth.status, 401);
	assert.equal(unauth.json.request_id, id);
});

test('an invalid client X-Request-Id is replaced by a generated one', async () => {
	for (const bad of ['has space', 'x'.repeat(65), 'a/b', 'a"b', 'semi;colon', 'comma,sep']) {
		const res = await api('GET', '/healthz', { headers: { 'X-Request-Id': bad } });
		assert.match(res.requestId, /^[0-9a-f]{32}$/, `sent "${bad}"`);
	}
	const max = 'A'.repeat(64);
	const res = await api('GET', '/healthz', { headers: { 'X-Request-Id': max } });
	assert.equal(res.requestId, max, '64 characters are accepted');
});

test('unknown routes answer 404 problem+json', async () => {
	const token = await tokenFor('admin');
	for (const path of ['/nope', '/v1', '/v1/', '/v1/nope', '/v2/me',
	    '/v1/users/b0000000-0000-4000-8000-000000000001/extra',
	    '/v1/agencies/a0000000-0000-4000-8000-000000000001/x',
	    '/healthz/x', '/.well-known/nope', '/v1/me/x', '/v1/auth',
	    '/v1/%E0%B8%97%E0%B8%94%E0%B8%AA%E0%B8%AD%E0%B8%9A']) {
		for (const method of ['GET', 'POST', 'DELETE']) {
			const res = await api(method, path, { token });
			expectProblem(res, 404, 'not-found', `${method} ${path}`);
			assert.equal(res.headers.get('content-type').split(';')[0], PROBLEM);
		}
	}
});

test('wrong methods on known paths answer 405 problem+json with Allow', async () => {
	const token = await tokenFor('admin');
	const probe = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
	for (const template of Object.keys(spec.paths)) {
		const path = template.replace('{n}', '1').replace(/\{[^}]+\}/g, 'b0000000-0000-4000-8000-000000000001');
		const documented = documentedMethods(template);
		for (const method of probe.filter((m) => !documented.includes(m))) {
			const res = await api(method, path, { token,
			    body: ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined });
			expectProblem(res, 405, 'method-not-allowed', `${method} ${path}`);
			const allow = res.headers.get('allow').split(',').map((s) => s.trim());
			for (const m of documented)
				assert.ok(allow.includes(m), `${method} ${path}: Allow "${allow}" lists ${m}`);
			for (const m of allow) {
				assert.ok(documented.includes(m) || m === 'HEAD' || m === 'OPTIONS',
				    `${method} ${path}: Allow lists undocumented ${m}`);
			}
		}
	}
});

test('every documented operation is routed (no 404/405 for its own method)', async () => {
	for (const { method, template } of allOperations()) {
		const path = template.replace('{n}', '1').replace(/\{[^}]+\}/g, 'b0000000-0000-4000-8000-000000000001');
		const res = await api(method, path, {
		    body: ['POST', 'PATCH', 'PUT'].includes(method) ? {} : undefined });
		assert.notEqual(res.status, 405, `${method} ${template} is routed`);
		if (res.status === 404)
			assert.ok(template.includes('{'), `${method} ${template} is routed`);
	}
});

test('GET /.well-known/jwks.json lists P-256 keys, cacheable for 5 minutes', async () => {
	const res = expectStatus(await api('GET', '/.well-known/jwks.json'), 200);
	assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
	assert.ok(res.json.keys.length >= 1);
	const kids = res.json.keys.map((k) => k.kid);
	assert.equal(new Set(kids).size, kids.length, 'kids are unique');
	for (const k of res.json.keys) {
		assert.equal(k.kty, 'EC');
		assert.equal(k.crv, 'P-256');
		assert.equal(k.alg, 'ES256');
		assert.equal(k.use, 'sig');
		assert.equal(Buffer.from(k.x, 'base64url').length, 32);
		assert.equal(Buffer.from(k.y, 'base64url').length, 32);
		assert.ok(!('d' in k), 'no private part');
	}
});

// Sums the samples of metric `name` whose labels include `labels`.
// Label values may contain braces (route="/v1/users/{id}").
function metricValue(text, name, labels) {
	let sum = null;
	for (const line of text.split('\n')) {
		const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)$/.exec(line.trim());
		if (!m || m[1] !== name)
			continue;
		const have = {};
		for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
			have[k] = v;
		if (Object.entries(labels).every(([k, v]) => have[k] === v))
			sum = (sum ?? 0) + Number(m[3]);
	}
	return sum;
}

test('GET /metrics counts requests by route template, method and status', async () => {
	const token = await tokenFor('organizer');
	// The scraper's credential (NGAN_METRICS_TOKEN, set by scripts/test.sh).
	const scrape = { token: process.env.NGAN_METRICS_TOKEN };
	const before = expectStatus(await api('GET', '/metrics', scrape), 200);
	assert.match(before.headers.get('content-type'), /^text\/plain\b/);
	assert.match(before.headers.get('content-type'), /version=0\.0\.4/);
	const count = (text, labels) =>
	    metricValue(text, 'ngan_http_requests_total', labels) ?? 0;
	const meBefore = count(before.text, { route: '/v1/me', method: 'GET', status: '200' });
	const userBefore = count(before.text, { route: '/v1/users/{id}', method: 'GET', status: '200' });
	const unmatchedBefore = count(before.text, { route: 'unmatched', status: '404' });
	const n = 6;
	for (let i = 0; i < n; i++) {
		expectStatus(await api('GET', '/v1/me', { token }), 200);
		expectStatus(await api('GET', '/v1/users/b0000000-0000-4000-8000-000000000002', { token }), 200);
		expectStatus(await api('GET', `/definitely/not/here/${i}`), 404);
	}
	const after = expectStatus(await api('GET', '/metrics', scrape), 200);
	const text = after.text;
	assert.equal(count(text, { route: '/v1/me', method: 'GET', status: '200' }) - meBefore, n,
	    'ngan_http_requests_total{route="/v1/me",method="GET",status="200"} grew by the requests made');
	assert.equal(count(text, { route: '/v1/users/{id}', method: 'GET', status: '200' }) - userBefore, n,
	    'routes are labelled by template, not by the concrete path');
	assert.ok(count(text, { route: 'unmatched', status: '404' }) - unmatchedBefore >= n,
	    'unknown paths are labelled unmatched');
	assert.ok(!/\/definitely\/not\/here/.test(text), 'raw paths never become labels');
	assert.ok(!/b0000000-0000-4000-8000-000000000002/.test(text), 'ids never become labels');
	assert.match(text, /^# TYPE ngan_http_requests_total counter$/m);
	assert.match(text, /^# TYPE ngan_http_request_duration_seconds histogram$/m);
	const inf = metricValue(text, 'ngan_http_request_duration_seconds_bucket',
	    { route: '/v1/me', le: '+Inf' });
	const cnt = metricValue(text, 'ngan_http_request_duration_seconds_count', { route: '/v1/me' });
	const sum = metricValue(text, 'ngan_http_request_duration_seconds_sum', { route: '/v1/me' });
	assert.ok(inf >= n, 'histogram +Inf bucket');
	assert.equal(inf, cnt, '+Inf bucket equals _count');
	assert.ok(sum > 0, '_sum is positive');
	assert.match(text, /^ngan_http_request_duration_seconds_bucket\{[^}]*le="0\.[0-9]+"[^}]*\} [0-9]/m,
	    'finite buckets exist');
	assert.ok(metricValue(text, 'ngan_db_connections', { state: 'in_use' }) !== null, 'ngan_db_connections{state="in_use"}');
	assert.ok(metricValue(text, 'ngan_db_connections', { state: 'idle' }) !== null, 'ngan_db_connections{state="idle"}');
	const max = metricValue(text, 'ngan_db_connections_max', {});
	assert.ok(max > 0, 'ngan_db_connections_max');
	const inUse = metricValue(text, 'ngan_db_connections', { state: 'in_use' });
	const idle = metricValue(text, 'ngan_db_connections', { state: 'idle' });
	assert.ok(inUse + idle <= max, `in_use ${inUse} + idle ${idle} <= max ${max}`);
	assert.ok(metricValue(text, 'ngan_db_queue_waiting', {}) >= 0, 'ngan_db_queue_waiting');
});
